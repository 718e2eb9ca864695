//! SVC-8: engineer certifications per product line, and the engineers dispatch can choose
//! from.

use crate::{Classify, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct CertificationRecord {
    pub user_id: i64,
    pub user_name: String,
    pub product_line: String,
    /// `YYYY-MM-DD`, the last day it is valid.
    pub valid_until: String,
}

/// Every certification, by engineer then product line.
pub async fn certifications(tx: &mut Tx) -> Result<Vec<CertificationRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT c.user_id, u.display_name AS user_name, c.product_line, c.valid_until
         FROM engineer_certifications c JOIN users u ON u.id = c.user_id
         ORDER BY u.display_name, c.user_id, c.product_line")
        .fetch_all(c).await)
    .db()
}

/// Sets (or renews) an engineer's certification for a product line.
pub async fn set_certification(
    tx: &mut Tx,
    user_id: i64,
    product_line: &str,
    valid_until: &str,
) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO engineer_certifications (user_id, product_line, valid_until) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, product_line) DO UPDATE SET valid_until = excluded.valid_until")
        .bind(user_id).bind(product_line).bind(valid_until).execute(c).await)
    .db()?;
    Ok(())
}

/// `NotFound` when there was no such certification.
pub async fn remove_certification(tx: &mut Tx, user_id: i64, product_line: &str) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "DELETE FROM engineer_certifications WHERE user_id = $1 AND product_line = $2")
        .bind(user_id).bind(product_line).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// Active users holding `role`, `(id, display name)` by id.
pub async fn active_with_role(tx: &mut Tx, role: &str) -> Result<Vec<(i64, String)>> {
    on!(tx, c => sqlx::query_as(
        "SELECT u.id, u.display_name FROM users u JOIN user_roles r ON r.user_id = u.id
         WHERE r.role = $1 AND u.active = TRUE ORDER BY u.id")
        .bind(role).fetch_all(c).await)
    .db()
}

/// Engineers holding a certification for `product_line` valid on `day` (`YYYY-MM-DD`).
pub async fn certified_on(tx: &mut Tx, product_line: &str, day: &str) -> Result<Vec<i64>> {
    on!(tx, c => sqlx::query_scalar(
        "SELECT user_id FROM engineer_certifications WHERE product_line = $1 AND valid_until >= $2")
        .bind(product_line).bind(day).fetch_all(c).await)
    .db()
}
