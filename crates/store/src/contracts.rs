//! CON: contracts, their versioned terms and lines, reviews, problems and customer credit.
//! The ledger amounts (delivered, invoiced, collected) are moved only through
//! [`add_delivered`], [`add_invoiced`] and [`add_collected`], called by the deliveries and
//! receivables use cases in the same transaction as their own rows.

use crate::{Classify, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ContractRecord {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub quote_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub status: String,
    pub version: i64,
    pub effective_version: Option<i64>,
    pub signed_on: Option<String>,
    pub total_fen: i64,
    pub delivered_fen: i64,
    pub invoiced_fen: i64,
    pub collected_fen: i64,
    pub closed_reason: String,
    pub created_by: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

pub(crate) const CONTRACT_SELECT: &str = "SELECT k.id, k.number, k.title, k.institution_id, \
    i.name AS institution_name, k.owner_id, k.region_id, k.quote_id, k.opportunity_id, k.status, \
    k.version, k.effective_version, k.signed_on, k.total_fen, k.delivered_fen, k.invoiced_fen, \
    k.collected_fen, k.closed_reason, k.created_by, k.created_at_ms, k.updated_at_ms \
    FROM contracts k JOIN institutions i ON i.id = k.institution_id";

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<ContractRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{CONTRACT_SELECT} WHERE k.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// CON-1 terms of one version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct TermsRecord {
    pub contract_id: i64,
    pub version: i64,
    pub delivery_date: Option<String>,
    pub delivery_place: String,
    pub quality_standard: String,
    pub payment_terms: String,
    pub payment_days: i64,
    pub after_sales_terms: String,
    pub warranty_months: i64,
    pub total_fen: i64,
    pub change_reason: String,
    pub created_by: i64,
    pub created_at_ms: i64,
}

pub async fn terms(tx: &mut Tx, contract_id: i64, version: i64) -> Result<Option<TermsRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT contract_id, version, delivery_date, delivery_place, quality_standard, payment_terms,
            payment_days, after_sales_terms, warranty_months, total_fen, change_reason, created_by,
            created_at_ms
         FROM contract_versions WHERE contract_id = $1 AND version = $2")
        .bind(contract_id).bind(version).fetch_optional(c).await)
    .db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ContractLine {
    pub id: i64,
    pub contract_id: i64,
    pub version: i64,
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub spec_model: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
}

/// The lines of one version, in line order.
pub async fn lines(tx: &mut Tx, contract_id: i64, version: i64) -> Result<Vec<ContractLine>> {
    on!(tx, c => sqlx::query_as(
        "SELECT l.id, l.contract_id, l.version, l.line_no, l.product_id, p.code AS product_code,
            p.name AS product_name, l.spec_model, p.unit, l.quantity, l.unit_price_fen
         FROM contract_lines l JOIN products p ON p.id = l.product_id
         WHERE l.contract_id = $1 AND l.version = $2 ORDER BY l.line_no")
        .bind(contract_id).bind(version).fetch_all(c).await)
    .db()
}

/// Adds `fen` of goods shipped; the first shipment puts a signed contract into execution.
pub async fn add_delivered(tx: &mut Tx, contract_id: i64, fen: i64, now_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "UPDATE contracts SET delivered_fen = delivered_fen + $2,
            status = CASE WHEN status = 'signed' THEN 'in_execution' ELSE status END,
            updated_at_ms = $3
         WHERE id = $1")
        .bind(contract_id).bind(fen).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}

/// Adds `fen` invoiced (negative when an invoice is voided).
pub async fn add_invoiced(tx: &mut Tx, contract_id: i64, fen: i64, now_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "UPDATE contracts SET invoiced_fen = invoiced_fen + $2, updated_at_ms = $3 WHERE id = $1")
        .bind(contract_id).bind(fen).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}

/// Adds `fen` collected.
pub async fn add_collected(tx: &mut Tx, contract_id: i64, fen: i64, now_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "UPDATE contracts SET collected_fen = collected_fen + $2, updated_at_ms = $3 WHERE id = $1")
        .bind(contract_id).bind(fen).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}
