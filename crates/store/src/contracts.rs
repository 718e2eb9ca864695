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

/// The contracts of `ids` (in no particular order); one query however many.
pub async fn get_many(tx: &mut Tx, ids: &[i64]) -> Result<Vec<ContractRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{CONTRACT_SELECT} WHERE k.id IN ("));
        let mut sep = q.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        q.push(")");
        q.build_query_as().fetch_all(c).await
    })
    .db()
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
    /// Stable across versions: an amendment keeps the numbers of the lines it keeps.
    pub line_no: i64,
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
    for l in lines {
        exec!(tx, c => sqlx::query(
            "INSERT INTO contract_lines (contract_id, version, line_no, product_id, spec_model,
                quantity, unit_price_fen)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(contract_id).bind(version).bind(l.line_no).bind(l.product_id).bind(l.spec_model)
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
    /// The owner asked for (a filter, within the scope).
    pub owner_id: Option<i64>,
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
        for owner in [f.owner_id, f.only_owner].into_iter().flatten() {
            q.push(" AND k.owner_id = ").push_bind(owner);
        }
        push_regions(&mut q, f.visible_regions.as_deref());
        q.push(" ORDER BY k.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(crate::Page::from_rows(rows, limit, |r| r.id))
}

/// ` AND k.region_id IN (…)` when the scope is a set of regions.
fn push_regions<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, regions: Option<&[i64]>)
where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(regions) = regions {
        q.push(" AND k.region_id IN (");
        let mut sep = q.separated(", ");
        sep.push("NULL");
        for r in regions {
            sep.push_bind(*r);
        }
        q.push(")");
    }
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

/// CON-3: starts version `to` as a copy of version `from` (terms and lines), with the reason
/// for the change.
pub async fn copy_version(
    tx: &mut Tx,
    contract_id: i64,
    (from, to): (i64, i64),
    reason: &str,
    by: i64,
    now_ms: i64,
) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO contract_versions (contract_id, version, delivery_date, delivery_place,
            quality_standard, payment_terms, payment_days, after_sales_terms, warranty_months,
            total_fen, change_reason, created_by, created_at_ms)
         SELECT contract_id, $3, delivery_date, delivery_place, quality_standard, payment_terms,
            payment_days, after_sales_terms, warranty_months, total_fen, $4, $5, $6
         FROM contract_versions WHERE contract_id = $1 AND version = $2")
        .bind(contract_id).bind(from).bind(to).bind(reason).bind(by).bind(now_ms)
        .execute(c).await)
    .db()?;
    exec!(tx, c => sqlx::query(
        "INSERT INTO contract_lines (contract_id, version, line_no, product_id, spec_model,
            quantity, unit_price_fen)
         SELECT contract_id, $3, line_no, product_id, spec_model, quantity, unit_price_fen
         FROM contract_lines WHERE contract_id = $1 AND version = $2")
        .bind(contract_id).bind(from).bind(to).execute(c).await)
    .db()?;
    Ok(())
}

/// Every version's terms, oldest first.
pub async fn versions(tx: &mut Tx, contract_id: i64) -> Result<Vec<TermsRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT contract_id, version, delivery_date, delivery_place, quality_standard, payment_terms,
            payment_days, after_sales_terms, warranty_months, total_fen, change_reason, created_by,
            created_at_ms
         FROM contract_versions WHERE contract_id = $1 ORDER BY version")
        .bind(contract_id).fetch_all(c).await)
    .db()
}

/// Every version's lines, by version and line.
pub async fn all_lines(tx: &mut Tx, contract_id: i64) -> Result<Vec<ContractLine>> {
    on!(tx, c => sqlx::query_as(
        "SELECT l.id, l.contract_id, l.version, l.line_no, l.product_id, p.code AS product_code,
            p.name AS product_name, l.spec_model, p.unit, l.quantity, l.unit_price_fen
         FROM contract_lines l JOIN products p ON p.id = l.product_id
         WHERE l.contract_id = $1 ORDER BY l.version, l.line_no")
        .bind(contract_id).fetch_all(c).await)
    .db()
}

/// What was called off each line: `(line_no, product_id, quantity)` over the orders not
/// cancelled, plus what a cancelled order had already delivered.
pub async fn ordered(tx: &mut Tx, contract_id: i64) -> Result<Vec<(i64, i64, i64)>> {
    on!(tx, c => sqlx::query_as(
        "SELECT ol.line_no, ol.product_id, CAST(SUM(CASE WHEN o.status = 'cancelled'
                THEN ol.delivered_qty ELSE ol.quantity END) AS BIGINT)
         FROM order_lines ol JOIN orders o ON o.id = ol.order_id
         WHERE ol.contract_id = $1
         GROUP BY ol.line_no, ol.product_id
         HAVING SUM(CASE WHEN o.status = 'cancelled' THEN ol.delivered_qty ELSE ol.quantity END) > 0
         ORDER BY ol.line_no")
        .bind(contract_id).fetch_all(c).await)
    .db()
}

// ---- CON-4: execution problems ----

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ProblemRecord {
    pub id: i64,
    pub contract_id: i64,
    pub description: String,
    pub status: String,
    pub raised_by: i64,
    pub raised_at_ms: i64,
    pub escalated_at_ms: Option<i64>,
    pub resolution: String,
    pub resolved_by: Option<i64>,
    pub resolved_at_ms: Option<i64>,
}

const PROBLEM_COLUMNS: &str = "id, contract_id, description, status, raised_by, raised_at_ms, \
    escalated_at_ms, resolution, resolved_by, resolved_at_ms";

pub async fn insert_problem(
    tx: &mut Tx,
    contract_id: i64,
    description: &str,
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO contract_problems (contract_id, description, status, raised_by, raised_at_ms)
         VALUES ($1, $2, 'open', $3, $4) RETURNING id")
        .bind(contract_id).bind(description).bind(by).bind(now_ms).fetch_one(c).await)
    .db()
}

pub async fn get_problem(tx: &mut Tx, id: i64) -> Result<Option<ProblemRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {PROBLEM_COLUMNS} FROM contract_problems WHERE id = $1"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// A contract's problems, newest first.
pub async fn problems_of(tx: &mut Tx, contract_id: i64) -> Result<Vec<ProblemRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {PROBLEM_COLUMNS} FROM contract_problems WHERE contract_id = $1 ORDER BY id DESC"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(contract_id).fetch_all(c).await).db()
}

/// Resolves an open problem; `NotFound` when it was resolved meanwhile.
pub async fn resolve_problem(
    tx: &mut Tx,
    id: i64,
    resolution: &str,
    by: i64,
    now_ms: i64,
) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE contract_problems SET status = 'resolved', resolution = $2, resolved_by = $3,
            resolved_at_ms = $4
         WHERE id = $1 AND status = 'open'")
        .bind(id).bind(resolution).bind(by).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// Open problems raised at or before `raised_by_ms` and not yet escalated, oldest first.
pub async fn problems_to_escalate(tx: &mut Tx, raised_by_ms: i64) -> Result<Vec<ProblemRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {PROBLEM_COLUMNS} FROM contract_problems
         WHERE status = 'open' AND escalated_at_ms IS NULL AND raised_at_ms <= $1
         ORDER BY raised_at_ms, id LIMIT 1000"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(raised_by_ms).fetch_all(c).await).db()
}

/// Marks a problem escalated; `false` when another node did it first.
pub async fn mark_escalated(tx: &mut Tx, id: i64, now_ms: i64) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE contract_problems SET escalated_at_ms = $2
         WHERE id = $1 AND status = 'open' AND escalated_at_ms IS NULL")
        .bind(id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(n == 1)
}

// ---- CON-5: fulfilment ----

/// One owner's contracts due in a period: how many, how many fully delivered, and how many
/// of those shipped completely by the agreed delivery date.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct FulfilmentRow {
    pub owner_id: i64,
    pub due: i64,
    pub fulfilled: i64,
    pub on_time: i64,
}

/// CON-5 in one query: the signed contracts (not terminated) whose delivery date in force
/// falls in `[from, to]`, per owner. Fully delivered = `delivered_fen >= total_fen`; on time
/// = fully delivered and the last shipment's date not after the delivery date.
pub async fn fulfilment(
    tx: &mut Tx,
    (from, to): (&str, &str),
    only_owner: Option<i64>,
    visible_regions: Option<&[i64]>,
) -> Result<Vec<FulfilmentRow>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT k.owner_id, CAST(COUNT(*) AS BIGINT) AS due,
                CAST(SUM(CASE WHEN k.delivered_fen >= k.total_fen THEN 1 ELSE 0 END) AS BIGINT)
                    AS fulfilled,
                CAST(SUM(CASE WHEN k.delivered_fen >= k.total_fen AND
                    (SELECT MAX(d.ship_date) FROM deliveries d WHERE d.contract_id = k.id)
                        <= v.delivery_date THEN 1 ELSE 0 END) AS BIGINT) AS on_time
             FROM contracts k
             JOIN contract_versions v ON v.contract_id = k.id AND v.version = k.effective_version
             WHERE k.status <> 'terminated' AND v.delivery_date >= ");
        q.push_bind(from.to_owned());
        q.push(" AND v.delivery_date <= ").push_bind(to.to_owned());
        if let Some(owner) = only_owner {
            q.push(" AND k.owner_id = ").push_bind(owner);
        }
        push_regions(&mut q, visible_regions);
        q.push(" GROUP BY k.owner_id ORDER BY k.owner_id");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}
