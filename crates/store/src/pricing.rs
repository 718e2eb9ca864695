//! PRC: price-list versions, quotes with their versioned lines, and approvals.

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PriceRecord {
    pub id: i64,
    pub product_id: i64,
    pub region_id: Option<i64>,
    pub grade: Option<String>,
    pub price_fen: i64,
    pub effective_from: String,
    pub status: String,
    pub reason: String,
    pub requested_by: i64,
    pub requested_at_ms: i64,
}

const PRICE_COLUMNS: &str = "id, product_id, region_id, grade, price_fen, effective_from, status, reason, \
    requested_by, requested_at_ms";

pub struct NewPrice<'a> {
    pub product_id: i64,
    pub region_id: Option<i64>,
    pub grade: Option<&'a str>,
    pub price_fen: i64,
    pub effective_from: &'a str,
    pub reason: &'a str,
    pub status: &'a str,
}

pub async fn insert_price(tx: &mut Tx, p: &NewPrice<'_>, by: i64, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO prices (product_id, region_id, grade, price_fen, effective_from, status, reason,
            requested_by, requested_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(p.product_id).bind(p.region_id).bind(p.grade).bind(p.price_fen).bind(p.effective_from)
        .bind(p.status).bind(p.reason).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn set_price_status(tx: &mut Tx, id: i64, status: &str) -> Result<()> {
    exec!(tx, c => sqlx::query("UPDATE prices SET status = $2 WHERE id = $1 AND status = 'pending'")
        .bind(id).bind(status).execute(c).await)
    .db()?;
    Ok(())
}

pub async fn get_price(tx: &mut Tx, id: i64) -> Result<Option<PriceRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {PRICE_COLUMNS} FROM prices WHERE id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// Every version of a product's prices, newest first (the price history).
pub async fn prices_of(tx: &mut Tx, product_id: i64) -> Result<Vec<PriceRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {PRICE_COLUMNS} FROM prices WHERE product_id = $1 ORDER BY effective_from DESC, id DESC"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(product_id).fetch_all(c).await).db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct QuoteRecord {
    pub id: i64,
    pub number: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub opportunity_id: Option<i64>,
    pub owner_id: i64,
    pub region_id: i64,
    pub version: i64,
    pub status: String,
    pub valid_until: String,
    pub note: String,
    pub total_fen: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const QUOTE_SELECT: &str = "SELECT q.id, q.number, q.institution_id, i.name AS institution_name, q.opportunity_id, \
    q.owner_id, q.region_id, q.version, q.status, q.valid_until, q.note, q.total_fen, q.created_at_ms, \
    q.updated_at_ms FROM quotes q JOIN institutions i ON i.id = q.institution_id";

pub struct NewQuote<'a> {
    pub institution_id: i64,
    pub opportunity_id: Option<i64>,
    pub owner_id: i64,
    pub region_id: i64,
    pub valid_until: &'a str,
    pub note: &'a str,
}

/// A new draft; its number is `QT-<year>-<id, 6 digits>`, unique by construction. The id is
/// known only after the insert, so the row briefly carries a placeholder inside this
/// transaction.
pub async fn insert_quote(tx: &mut Tx, q: &NewQuote<'_>, year: i16, now_ms: i64) -> Result<i64> {
    let id: i64 = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO quotes (number, institution_id, opportunity_id, owner_id, region_id, status,
            valid_until, note, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $8) RETURNING id")
        .bind(format!("pending-{now_ms}-{}", q.institution_id)).bind(q.institution_id).bind(q.opportunity_id)
        .bind(q.owner_id).bind(q.region_id).bind(q.valid_until).bind(q.note).bind(now_ms)
        .fetch_one(c).await)
    .db()?;
    exec!(tx, c => sqlx::query("UPDATE quotes SET number = $2 WHERE id = $1")
        .bind(id).bind(format!("QT-{year}-{id:06}")).execute(c).await)
    .db()?;
    Ok(id)
}

pub async fn get_quote(tx: &mut Tx, id: i64) -> Result<Option<QuoteRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{QUOTE_SELECT} WHERE q.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// Moves a quote from `from` to `to` (and sets its version, header and total). Guarded by the
/// status and version, so two people acting on one quote at once produce one change.
#[allow(clippy::too_many_arguments)]
pub async fn update_quote(
    tx: &mut Tx,
    id: i64,
    from: (&str, i64),
    to: (&str, i64),
    valid_until: &str,
    note: &str,
    total_fen: i64,
    now_ms: i64,
) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE quotes SET status = $4, version = $5, valid_until = $6, note = $7, total_fen = $8,
            updated_at_ms = $9
         WHERE id = $1 AND status = $2 AND version = $3")
        .bind(id).bind(from.0).bind(from.1).bind(to.0).bind(to.1).bind(valid_until).bind(note)
        .bind(total_fen).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct QuoteFilter {
    pub status: Option<String>,
    pub institution_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub query: Option<String>,
    pub visible_regions: Option<Vec<i64>>,
    pub only_owner: Option<i64>,
}

pub async fn list_quotes(
    tx: &mut Tx,
    f: &QuoteFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<QuoteRecord>> {
    let rows: Vec<QuoteRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{QUOTE_SELECT} WHERE q.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if let Some(s) = &f.status {
            q.push(" AND q.status = ").push_bind(s.clone());
        }
        if let Some(i) = f.institution_id {
            q.push(" AND q.institution_id = ").push_bind(i);
        }
        if let Some(o) = f.opportunity_id {
            q.push(" AND q.opportunity_id = ").push_bind(o);
        }
        if let Some(text) = &f.query {
            let pattern = format!("%{}%", text.to_lowercase());
            q.push(" AND (LOWER(q.number) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(i.name) LIKE ").push_bind(pattern.clone());
            q.push(" OR i.name_initials LIKE ").push_bind(pattern).push(")");
        }
        if let Some(owner) = f.only_owner {
            q.push(" AND q.owner_id = ").push_bind(owner);
        }
        if let Some(regions) = &f.visible_regions {
            q.push(" AND q.region_id IN (");
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push(")");
        }
        q.push(" ORDER BY q.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    // Newest first: the cursor is the smallest id seen, and the next page starts below it.
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct QuoteLine {
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub model: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub list_price_fen: i64,
}

pub struct NewLine {
    pub product_id: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub list_price_fen: i64,
}

/// Writes the lines of one version (a version's lines are written once).
pub async fn insert_lines(
    tx: &mut Tx,
    quote_id: i64,
    version: i64,
    lines: &[NewLine],
) -> Result<()> {
    for (no, l) in (1_i64..).zip(lines) {
        exec!(tx, c => sqlx::query(
            "INSERT INTO quote_lines (quote_id, version, line_no, product_id, quantity, unit_price_fen, list_price_fen)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(quote_id).bind(version).bind(no).bind(l.product_id).bind(l.quantity)
            .bind(l.unit_price_fen).bind(l.list_price_fen).execute(c).await)
        .db()?;
    }
    Ok(())
}

pub async fn delete_lines(tx: &mut Tx, quote_id: i64, version: i64) -> Result<()> {
    exec!(tx, c => sqlx::query("DELETE FROM quote_lines WHERE quote_id = $1 AND version = $2")
        .bind(quote_id).bind(version).execute(c).await)
    .db()?;
    Ok(())
}

pub async fn lines(tx: &mut Tx, quote_id: i64, version: i64) -> Result<Vec<QuoteLine>> {
    on!(tx, c => sqlx::query_as(
        "SELECT l.line_no, l.product_id, p.code AS product_code, p.name AS product_name, p.model, p.unit,
            l.quantity, l.unit_price_fen, l.list_price_fen
         FROM quote_lines l JOIN products p ON p.id = l.product_id
         WHERE l.quote_id = $1 AND l.version = $2 ORDER BY l.line_no")
        .bind(quote_id).bind(version).fetch_all(c).await)
    .db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ApprovalRecord {
    pub id: i64,
    pub kind: String,
    pub price_id: Option<i64>,
    /// The product of a price change.
    pub product_id: Option<i64>,
    pub quote_id: Option<i64>,
    pub quote_version: Option<i64>,
    pub level: String,
    pub region_id: Option<i64>,
    pub discount_bp: i64,
    pub summary: String,
    pub status: String,
    pub requested_by: i64,
    pub requested_at_ms: i64,
    pub decided_by: Option<i64>,
    pub decided_at_ms: Option<i64>,
    pub comment: String,
}

const APPROVAL_COLUMNS: &str = "id, kind, price_id, \
    (SELECT p.product_id FROM prices p WHERE p.id = approvals.price_id) AS product_id, quote_id, quote_version, level, region_id, discount_bp, \
    summary, status, requested_by, requested_at_ms, decided_by, decided_at_ms, comment";

pub struct NewApproval<'a> {
    pub kind: &'a str,
    pub price_id: Option<i64>,
    pub quote: Option<(i64, i64)>,
    pub level: &'a str,
    pub region_id: Option<i64>,
    pub discount_bp: i64,
    pub summary: &'a str,
}

pub async fn insert_approval(
    tx: &mut Tx,
    a: &NewApproval<'_>,
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO approvals (kind, price_id, quote_id, quote_version, level, region_id, discount_bp,
            summary, status, requested_by, requested_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10) RETURNING id")
        .bind(a.kind).bind(a.price_id).bind(a.quote.map(|q| q.0)).bind(a.quote.map(|q| q.1))
        .bind(a.level).bind(a.region_id).bind(a.discount_bp).bind(a.summary).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

/// Decides a pending approval. Guarded by the status: of two approvers acting at once, one
/// decides and the other gets `NotFound`.
pub async fn decide_approval(
    tx: &mut Tx,
    id: i64,
    status: &str,
    comment: &str,
    by: i64,
    now_ms: i64,
) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE approvals SET status = $2, comment = $3, decided_by = $4, decided_at_ms = $5
         WHERE id = $1 AND status = 'pending'")
        .bind(id).bind(status).bind(comment).bind(by).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

pub async fn get_approval(tx: &mut Tx, id: i64) -> Result<Option<ApprovalRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE id = $1"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

pub async fn approvals_of_quote(tx: &mut Tx, quote_id: i64) -> Result<Vec<ApprovalRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE quote_id = $1 ORDER BY id DESC"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(quote_id).fetch_all(c).await).db()
}

/// The approvals of every price version of a product, in one query.
pub async fn price_approvals(tx: &mut Tx, product_id: i64) -> Result<Vec<ApprovalRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {APPROVAL_COLUMNS} FROM approvals
         WHERE price_id IN (SELECT id FROM prices WHERE product_id = $1) ORDER BY id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(product_id).fetch_all(c).await).db()
}

/// What an approvals inbox shows: requests of `status` at one of `levels`, within
/// `regions` when given (company-wide requests have no region and show to all who may
/// decide their level), oldest first.
pub struct Inbox {
    pub status: String,
    pub levels: Vec<String>,
    pub regions: Option<Vec<i64>>,
}

pub async fn approvals(
    tx: &mut Tx,
    f: &Inbox,
    after_id: i64,
    limit: i64,
) -> Result<Page<ApprovalRecord>> {
    let rows: Vec<ApprovalRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE id > "));
        q.push_bind(after_id);
        q.push(" AND status = ").push_bind(f.status.clone());
        q.push(" AND level IN (");
        let mut sep = q.separated(", ");
        sep.push("NULL");
        for l in &f.levels {
            sep.push_bind(l.clone());
        }
        q.push(")");
        if let Some(regions) = &f.regions {
            q.push(" AND (region_id IS NULL OR region_id IN (");
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push("))");
        }
        q.push(" ORDER BY id LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}
