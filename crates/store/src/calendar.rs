//! SVC-7: the special days of the business calendar (holidays, make-up working days).

use crate::{Classify, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DayRecord {
    pub day: String,
    pub kind: String,
    pub name: String,
}

pub async fn all(tx: &mut Tx) -> Result<Vec<DayRecord>> {
    on!(tx, c => sqlx::query_as("SELECT day, kind, name FROM calendar_days ORDER BY day").fetch_all(c).await).db()
}

pub async fn get(tx: &mut Tx, day: &str) -> Result<Option<DayRecord>> {
    on!(tx, c => sqlx::query_as("SELECT day, kind, name FROM calendar_days WHERE day = $1")
        .bind(day).fetch_optional(c).await)
    .db()
}

/// Inserts or replaces the entry for `day`.
pub async fn upsert(tx: &mut Tx, d: &DayRecord) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3)
         ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name")
        .bind(&d.day).bind(&d.kind).bind(&d.name).execute(c).await)
    .db()?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, day: &str) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query("DELETE FROM calendar_days WHERE day = $1").bind(day).execute(c).await).db()?;
    Ok(n == 1)
}
