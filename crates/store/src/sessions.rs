//! Sessions and tokens (stored as SHA-256 of the secret) and the login-failure log that
//! drives the rate limit. Kept in the database so app nodes hold no state.

use crate::{Classify, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub name: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub last_used_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

const COLUMNS: &str =
    "id, user_id, kind, name, created_at_ms, expires_at_ms, last_used_at_ms, revoked_at_ms";

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub kind: &'a str,
    pub name: &'a str,
    pub expires_at_ms: i64,
}

pub async fn insert(tx: &mut Tx, s: &NewSession<'_>, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO sessions (token_hash, user_id, kind, name, created_at_ms, expires_at_ms, last_used_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING id")
        .bind(s.token_hash).bind(s.user_id).bind(s.kind).bind(s.name).bind(now_ms).bind(s.expires_at_ms)
        .fetch_one(c).await)
    .db()
}

/// The live (unrevoked, unexpired) session with this token hash.
pub async fn live(tx: &mut Tx, token_hash: &str, now_ms: i64) -> Result<Option<SessionRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sessions WHERE token_hash = $1 AND revoked_at_ms IS NULL AND expires_at_ms > $2"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(token_hash).bind(now_ms).fetch_optional(c).await).db()
}

pub async fn touch(tx: &mut Tx, id: i64, now_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query("UPDATE sessions SET last_used_at_ms = $2 WHERE id = $1")
        .bind(id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}

/// Revokes one of `user_id`'s sessions; false when it is not theirs or already revoked.
pub async fn revoke(tx: &mut Tx, id: i64, user_id: i64, now_ms: i64) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE sessions SET revoked_at_ms = $3 WHERE id = $1 AND user_id = $2 AND revoked_at_ms IS NULL")
        .bind(id).bind(user_id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(n == 1)
}

/// Ends every session of a user (deactivation, password change).
pub async fn revoke_all(tx: &mut Tx, user_id: i64, now_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query("UPDATE sessions SET revoked_at_ms = $2 WHERE user_id = $1 AND revoked_at_ms IS NULL")
        .bind(user_id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}

/// A user's personal API tokens, newest first.
pub async fn personal_tokens(tx: &mut Tx, user_id: i64) -> Result<Vec<SessionRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sessions WHERE user_id = $1 AND kind = 'personal' ORDER BY id DESC"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(user_id).fetch_all(c).await).db()
}

pub async fn record_login_failure(
    tx: &mut Tx,
    username: &str,
    address: &str,
    now_ms: i64,
) -> Result<()> {
    exec!(tx, c => sqlx::query("INSERT INTO login_failures (username, address, at_ms) VALUES ($1, $2, $3)")
        .bind(username).bind(address).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}

/// Failures since `since_ms` for this username and for this address.
pub async fn recent_failures(
    tx: &mut Tx,
    username: &str,
    address: &str,
    since_ms: i64,
) -> Result<(i64, i64)> {
    let by_user: i64 = on!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at_ms > $2")
        .bind(username).bind(since_ms).fetch_one(c).await)
    .db()?;
    let by_address: i64 = on!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE address = $1 AND at_ms > $2")
        .bind(address).bind(since_ms).fetch_one(c).await)
    .db()?;
    Ok((by_user, by_address))
}

/// A successful login clears the user's failure count.
pub async fn clear_failures(tx: &mut Tx, username: &str) -> Result<()> {
    exec!(tx, c => sqlx::query("DELETE FROM login_failures WHERE username = $1").bind(username).execute(c).await)
        .db()?;
    Ok(())
}
