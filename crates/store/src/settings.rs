//! Small key/value settings (working hours, …) editable by admin.

use crate::{Classify, Result, Tx, exec, on};

pub async fn get(tx: &mut Tx, key: &str) -> Result<Option<String>> {
    on!(tx, c => sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(c).await).db()
}

pub async fn set(tx: &mut Tx, key: &str, value: &str) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key).bind(value).execute(c).await)
    .db()?;
    Ok(())
}
