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

pub struct NewContract<'a> {
    pub title: &'a str,
    pub institution_id: i64,
    pub owner_id: i64,
    pub region_id: i64,
    pub quote_id: Option<i64>,
    pub opportunity_id: Option<i64>,
}

/// A draft contract numbered HT-<year>-<id>.
pub async fn insert(
    tx: &mut Tx,
    k: &NewContract<'_>,
    year: i16,
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    let id: i64 = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO contracts (number, title, institution_id, owner_id, region_id, quote_id,
            opportunity_id, status, created_by, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9, $9) RETURNING id")
        .bind(format!("pending-{now_ms}-{}", k.institution_id)).bind(k.title).bind(k.institution_id)
        .bind(k.owner_id).bind(k.region_id).bind(k.quote_id).bind(k.opportunity_id).bind(by)
        .bind(now_ms).fetch_one(c).await)
    .db()?;
    exec!(tx, c => sqlx::query("UPDATE contracts SET number = $2 WHERE id = $1")
        .bind(id).bind(format!("HT-{year}-{id:06}")).execute(c).await)
    .db()?;
    Ok(id)
}

pub struct NewTerms<'a> {
    pub delivery_date: Option<&'a str>,
    pub delivery_place: &'a str,
    pub quality_standard: &'a str,
    pub payment_terms: &'a str,
    pub payment_days: i64,
    pub after_sales_terms: &'a str,
    pub warranty_months: i64,
    pub change_reason: &'a str,
}

pub struct NewLine<'a> {
    pub product_id: i64,
    pub spec_model: &'a str,
    pub quantity: i64,
    pub unit_price_fen: i64,
}

/// Writes (or rewrites, while it is being edited) the terms and lines of one version.
pub async fn write_version(
    tx: &mut Tx,
    contract_id: i64,
    version: i64,
    t: &NewTerms<'_>,
    lines: &[NewLine<'_>],
    by: i64,
    now_ms: i64,
) -> Result<()> {
    let total: i64 = lines.iter().map(|l| l.quantity * l.unit_price_fen).sum();
    exec!(tx, c => sqlx::query("DELETE FROM contract_lines WHERE contract_id = $1 AND version = $2")
        .bind(contract_id).bind(version).execute(c).await)
    .db()?;
    exec!(tx, c => sqlx::query("DELETE FROM contract_versions WHERE contract_id = $1 AND version = $2")
        .bind(contract_id).bind(version).execute(c).await)
    .db()?;
    exec!(tx, c => sqlx::query(
        "INSERT INTO contract_versions (contract_id, version, delivery_date, delivery_place,
            quality_standard, payment_terms, payment_days, after_sales_terms, warranty_months,
            total_fen, change_reason, created_by, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(contract_id).bind(version).bind(t.delivery_date).bind(t.delivery_place)
        .bind(t.quality_standard).bind(t.payment_terms).bind(t.payment_days)
        .bind(t.after_sales_terms).bind(t.warranty_months).bind(total).bind(t.change_reason)
        .bind(by).bind(now_ms).execute(c).await)
    .db()?;
    for (no, l) in (1_i64..).zip(lines) {
        exec!(tx, c => sqlx::query(
            "INSERT INTO contract_lines (contract_id, version, line_no, product_id, spec_model,
                quantity, unit_price_fen)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(contract_id).bind(version).bind(no).bind(l.product_id).bind(l.spec_model)
            .bind(l.quantity).bind(l.unit_price_fen).execute(c).await)
        .db()?;
    }
    Ok(())
}

/// Moves a contract from (`status`, `version`) to the new state. Guarded, so two people
/// acting on one contract at once produce one change (`NotFound` for the loser).
pub struct Move<'a> {
    pub from: (&'a str, i64),
    pub to: (&'a str, i64),
    pub effective_version: Option<i64>,
    pub signed_on: Option<&'a str>,
    pub title: &'a str,
    pub total_fen: i64,
    pub closed_reason: &'a str,
}

pub async fn move_to(tx: &mut Tx, id: i64, m: &Move<'_>, now_ms: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE contracts SET status = $4, version = $5, effective_version = $6, signed_on = $7,
            title = $8, total_fen = $9, closed_reason = $10, updated_at_ms = $11
         WHERE id = $1 AND status = $2 AND version = $3")
        .bind(id).bind(m.from.0).bind(m.from.1).bind(m.to.0).bind(m.to.1)
        .bind(m.effective_version).bind(m.signed_on).bind(m.title).bind(m.total_fen)
        .bind(m.closed_reason).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    pub status: Option<String>,
    pub institution_id: Option<i64>,
    pub query: Option<String>,
    pub only_owner: Option<i64>,
    pub visible_regions: Option<Vec<i64>>,
}

/// Newest first, keyset-paged.
pub async fn list(
    tx: &mut Tx,
    f: &ContractFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<crate::Page<ContractRecord>> {
    let rows: Vec<ContractRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{CONTRACT_SELECT} WHERE k.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if let Some(s) = &f.status {
            q.push(" AND k.status = ").push_bind(s.clone());
        }
        if let Some(i) = f.institution_id {
            q.push(" AND k.institution_id = ").push_bind(i);
        }
        if let Some(text) = &f.query {
            let pattern = format!("%{}%", text.to_lowercase());
            q.push(" AND (LOWER(k.number) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(k.title) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(i.name) LIKE ").push_bind(pattern.clone());
            q.push(" OR i.name_initials LIKE ").push_bind(pattern).push(")");
        }
        if let Some(owner) = f.only_owner {
            q.push(" AND k.owner_id = ").push_bind(owner);
        }
        if let Some(regions) = &f.visible_regions {
            q.push(" AND k.region_id IN (");
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push(")");
        }
        q.push(" ORDER BY k.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(crate::Page::from_rows(rows, limit, |r| r.id))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ReviewRecord {
    pub id: i64,
    pub contract_id: i64,
    pub version: i64,
    pub kind: String,
    pub status: String,
    pub exposure_fen: Option<i64>,
    pub limit_fen: Option<i64>,
    pub requested_by: i64,
    pub requested_at_ms: i64,
    pub decided_by: Option<i64>,
    pub decided_at_ms: Option<i64>,
    pub comment: String,
}

const REVIEW_COLUMNS: &str = "id, contract_id, version, kind, status, exposure_fen, limit_fen, \
    requested_by, requested_at_ms, decided_by, decided_at_ms, comment";

pub struct NewReview<'a> {
    pub contract_id: i64,
    pub version: i64,
    pub kind: &'a str,
    pub exposure_fen: Option<i64>,
    pub limit_fen: Option<i64>,
}

pub async fn insert_review(tx: &mut Tx, r: &NewReview<'_>, by: i64, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO contract_reviews (contract_id, version, kind, status, exposure_fen, limit_fen,
            requested_by, requested_at_ms)
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7) RETURNING id")
        .bind(r.contract_id).bind(r.version).bind(r.kind).bind(r.exposure_fen).bind(r.limit_fen)
        .bind(by).bind(now_ms).fetch_one(c).await)
    .db()
}

pub async fn get_review(tx: &mut Tx, id: i64) -> Result<Option<ReviewRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {REVIEW_COLUMNS} FROM contract_reviews WHERE id = $1"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// Every review of a contract, oldest first.
pub async fn reviews_of(tx: &mut Tx, contract_id: i64) -> Result<Vec<ReviewRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {REVIEW_COLUMNS} FROM contract_reviews WHERE contract_id = $1 ORDER BY id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(contract_id).fetch_all(c).await).db()
}

/// The reviews of `kind` waiting for a decision, oldest first.
pub async fn review_queue(tx: &mut Tx, kind: &str) -> Result<Vec<ReviewRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {REVIEW_COLUMNS} FROM contract_reviews WHERE status = 'pending' AND kind = $1
         ORDER BY id LIMIT 500"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(kind).fetch_all(c).await).db()
}

/// Decides a pending review; `NotFound` when it was decided meanwhile.
pub async fn decide_review(
    tx: &mut Tx,
    id: i64,
    status: &str,
    comment: &str,
    by: Option<i64>,
    now_ms: i64,
) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE contract_reviews SET status = $2, comment = $3, decided_by = $4, decided_at_ms = $5
         WHERE id = $1 AND status = 'pending'")
        .bind(id).bind(status).bind(comment).bind(by).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct CreditRecord {
    pub institution_id: i64,
    pub rating: String,
    pub limit_fen: i64,
    pub note: String,
    pub updated_by: i64,
    pub updated_at_ms: i64,
}

pub async fn credit(tx: &mut Tx, institution_id: i64) -> Result<Option<CreditRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT institution_id, rating, limit_fen, note, updated_by, updated_at_ms
         FROM customer_credit WHERE institution_id = $1")
        .bind(institution_id).fetch_optional(c).await)
    .db()
}

pub async fn set_credit(
    tx: &mut Tx,
    institution_id: i64,
    rating: &str,
    limit_fen: i64,
    note: &str,
    by: i64,
    now_ms: i64,
) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO customer_credit (institution_id, rating, limit_fen, note, updated_by, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (institution_id) DO UPDATE SET rating = excluded.rating,
            limit_fen = excluded.limit_fen, note = excluded.note,
            updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms")
        .bind(institution_id).bind(rating).bind(limit_fen).bind(note).bind(by).bind(now_ms)
        .execute(c).await)
    .db()?;
    Ok(())
}

/// CON-6 exposure: what the customer's other live contracts (in review or binding) still
/// owe, i.e. their totals less what was collected.
pub async fn exposure(tx: &mut Tx, institution_id: i64, except_id: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(total_fen - collected_fen), 0) AS BIGINT) FROM contracts
         WHERE institution_id = $1 AND id <> $2
           AND status IN ('in_review', 'signed', 'in_execution', 'changed')")
        .bind(institution_id).bind(except_id).fetch_one(c).await)
    .db()
}
