//! Regions: company → region → area.

use crate::{Classify, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RegionRecord {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

pub struct NewRegion<'a> {
    pub parent_id: Option<i64>,
    pub kind: &'a str,
    pub code: &'a str,
    pub name_zh: &'a str,
    pub name_en: &'a str,
}

/// All regions; the tree is small (hundreds of rows), so callers build it in memory.
pub async fn all(tx: &mut Tx) -> Result<Vec<RegionRecord>> {
    on!(tx, c => sqlx::query_as("SELECT id, parent_id, kind, code, name_zh, name_en FROM regions ORDER BY id")
        .fetch_all(c).await)
    .db()
}

pub async fn insert(tx: &mut Tx, r: &NewRegion<'_>, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO regions (parent_id, kind, code, name_zh, name_en, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(r.parent_id).bind(r.kind).bind(r.code).bind(r.name_zh).bind(r.name_en).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn rename(tx: &mut Tx, id: i64, name_zh: &str, name_en: &str) -> Result<()> {
    let n =
        exec!(tx, c => sqlx::query("UPDATE regions SET name_zh = $2, name_en = $3 WHERE id = $1")
        .bind(id).bind(name_zh).bind(name_en).execute(c).await)
        .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}
