//! SYS-1: the audit log. This module can only insert and read: there is no update or delete
//! path here, and triggers refuse them in the database as well.

use crate::{Classify, Page, Result, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub at_ms: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

const COLUMNS: &str = "id, at_ms, actor_id, actor_name, entity, entity_id, action, before_json, after_json, request_id, prev_hash, hash";

/// Serialises appends so two writers never chain from the same previous entry. SQLite
/// write transactions are already exclusive (`BEGIN IMMEDIATE`); PostgreSQL takes a
/// transaction-scoped advisory lock.
pub async fn lock_chain(tx: &mut Tx) -> Result<()> {
    if let crate::Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7310001)")
            .execute(&mut **t)
            .await
            .db()?;
    }
    Ok(())
}

pub async fn last_hash(tx: &mut Tx) -> Result<Option<String>> {
    on!(tx, c => sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(c).await)
        .db()
}

pub async fn append(tx: &mut Tx, r: &AuditRecord) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO audit_log (at_ms, actor_id, actor_name, entity, entity_id, action, before_json, after_json, request_id, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(r.at_ms).bind(r.actor_id).bind(&r.actor_name).bind(&r.entity).bind(&r.entity_id)
        .bind(&r.action).bind(&r.before_json).bind(&r.after_json).bind(&r.request_id)
        .bind(&r.prev_hash).bind(&r.hash)
        .fetch_one(c).await)
    .db()
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// Newest first, keyset-paged by id (`before_id` = cursor).
pub async fn list(
    tx: &mut Tx,
    f: &Filter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<AuditRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_log
         WHERE (CAST($1 AS BIGINT) IS NULL OR id < $1)
           AND (CAST($2 AS TEXT) IS NULL OR entity = $2)
           AND (CAST($3 AS TEXT) IS NULL OR entity_id = $3)
           AND (CAST($4 AS BIGINT) IS NULL OR actor_id = $4)
           AND (CAST($5 AS TEXT) IS NULL OR action = $5)
           AND (CAST($6 AS BIGINT) IS NULL OR at_ms >= $6)
           AND (CAST($7 AS BIGINT) IS NULL OR at_ms < $7)
         ORDER BY id DESC LIMIT $8"
    ));
    let rows: Vec<AuditRecord> = on!(tx, c => sqlx::query_as(sql)
        .bind(before_id).bind(&f.entity).bind(&f.entity_id).bind(f.actor_id).bind(&f.action)
        .bind(f.from_ms).bind(f.to_ms).bind(limit + 1)
        .fetch_all(c).await)
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// Entries in chain order, `after_id` exclusive, for verification in batches.
pub async fn chain_batch(tx: &mut Tx, after_id: i64, limit: i64) -> Result<Vec<AuditRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(after_id).bind(limit).fetch_all(c).await).db()
}
