//! FIN-1…3: invoices, payments with their allocations, the dunning log, and the aggregate
//! reads behind aging, statements and reports.

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct InvoiceRecord {
    pub id: i64,
    pub number: String,
    pub contract_id: i64,
    pub contract_number: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub issued_on: String,
    pub due_on: String,
    pub amount_fen: i64,
    pub paid_fen: i64,
    pub cost_fen: i64,
    pub status: String,
    pub void_reason: String,
    pub created_by: i64,
    pub created_at_ms: i64,
}

const INVOICE_SELECT: &str = "SELECT v.id, v.number, v.contract_id, k.number AS contract_number, \
    v.institution_id, i.name AS institution_name, v.owner_id, v.region_id, v.issued_on, v.due_on, \
    v.amount_fen, v.paid_fen, v.cost_fen, v.status, v.void_reason, v.created_by, v.created_at_ms \
    FROM invoices v JOIN contracts k ON k.id = v.contract_id JOIN institutions i ON i.id = v.institution_id";

pub struct NewInvoice<'a> {
    pub number: &'a str,
    pub contract_id: i64,
    pub institution_id: i64,
    pub owner_id: i64,
    pub region_id: i64,
    pub issued_on: &'a str,
    pub due_on: &'a str,
    pub amount_fen: i64,
    pub cost_fen: i64,
}

/// A new open invoice; a number already used is `Conflict`.
pub async fn insert_invoice(tx: &mut Tx, v: &NewInvoice<'_>, by: i64, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO invoices (number, contract_id, institution_id, owner_id, region_id, issued_on,
            due_on, amount_fen, cost_fen, status, created_by, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11) RETURNING id")
        .bind(v.number).bind(v.contract_id).bind(v.institution_id).bind(v.owner_id).bind(v.region_id)
        .bind(v.issued_on).bind(v.due_on).bind(v.amount_fen).bind(v.cost_fen).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn get_invoice(tx: &mut Tx, id: i64) -> Result<Option<InvoiceRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{INVOICE_SELECT} WHERE v.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// Voids an open invoice nothing has been paid on; `NotFound` when it is no longer one.
pub async fn void_invoice(tx: &mut Tx, id: i64, reason: &str) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE invoices SET status = 'void', void_reason = $2
         WHERE id = $1 AND status = 'open' AND paid_fen = 0")
        .bind(id).bind(reason).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// Adds `fen` paid, never past the amount: of two payments racing for the same open
/// amount, the second finds no row (`NotFound`). Settled in full → `paid`.
pub async fn add_paid(tx: &mut Tx, id: i64, fen: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE invoices SET paid_fen = paid_fen + $2,
            status = CASE WHEN paid_fen + $2 = amount_fen THEN 'paid' ELSE status END
         WHERE id = $1 AND status = 'open' AND paid_fen + $2 <= amount_fen")
        .bind(id).bind(fen).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// The open invoices of a contract, oldest due first.
pub async fn open_invoices(tx: &mut Tx, contract_id: i64) -> Result<Vec<InvoiceRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{INVOICE_SELECT} WHERE v.contract_id = $1 AND v.status = 'open' ORDER BY v.due_on, v.id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(contract_id).fetch_all(c).await).db()
}

/// Who sees which rows: a region subtree, one owner, or everything (both `None`).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    pub regions: Option<Vec<i64>>,
    pub owner: Option<i64>,
}

impl Scope {
    /// Appends ` AND …` narrowing `alias`'s `region_id` / `owner_id`.
    fn push<DB: sqlx::Database>(&self, q: &mut sqlx::QueryBuilder<DB>, alias: &str)
    where
        for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    {
        if let Some(owner) = self.owner {
            q.push(format!(" AND {alias}.owner_id = ")).push_bind(owner);
        }
        if let Some(regions) = &self.regions {
            q.push(format!(" AND {alias}.region_id IN ("));
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push(")");
        }
    }
}

/// Invoices or payments of one contract and/or customer, within a scope.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub contract_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub scope: Scope,
}

impl Filter {
    fn push<DB: sqlx::Database>(&self, q: &mut sqlx::QueryBuilder<DB>, alias: &str)
    where
        for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    {
        if let Some(k) = self.contract_id {
            q.push(format!(" AND {alias}.contract_id = ")).push_bind(k);
        }
        if let Some(i) = self.institution_id {
            q.push(format!(" AND {alias}.institution_id = "))
                .push_bind(i);
        }
        self.scope.push(q, alias);
    }
}

#[derive(Debug, Default, Clone)]
pub struct InvoiceFilter {
    pub of: Filter,
    pub status: Option<String>,
    /// Only open invoices due before this date (`YYYY-MM-DD`).
    pub overdue_before: Option<String>,
    pub query: Option<String>,
}

/// Invoices newest first, keyset-paged.
pub async fn list_invoices(
    tx: &mut Tx,
    f: &InvoiceFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<InvoiceRecord>> {
    let rows: Vec<InvoiceRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{INVOICE_SELECT} WHERE v.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if let Some(s) = &f.status {
            q.push(" AND v.status = ").push_bind(s.clone());
        }
        if let Some(d) = &f.overdue_before {
            q.push(" AND v.status = 'open' AND v.due_on < ").push_bind(d.clone());
        }
        if let Some(text) = &f.query {
            let pattern = format!("%{}%", text.to_lowercase());
            q.push(" AND (LOWER(v.number) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(k.number) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(i.name) LIKE ").push_bind(pattern.clone());
            q.push(" OR i.name_initials LIKE ").push_bind(pattern).push(")");
        }
        f.of.push(&mut q, "v");
        q.push(" ORDER BY v.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PaymentRecord {
    pub id: i64,
    pub contract_id: i64,
    pub contract_number: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub received_on: String,
    pub amount_fen: i64,
    pub method: String,
    pub reference: String,
    pub created_by: i64,
    pub created_at_ms: i64,
}

const PAYMENT_SELECT: &str = "SELECT p.id, p.contract_id, k.number AS contract_number, \
    p.institution_id, i.name AS institution_name, p.owner_id, p.region_id, p.received_on, \
    p.amount_fen, p.method, p.reference, p.created_by, p.created_at_ms \
    FROM payments p JOIN contracts k ON k.id = p.contract_id JOIN institutions i ON i.id = p.institution_id";

pub struct NewPayment<'a> {
    pub contract_id: i64,
    pub institution_id: i64,
    pub owner_id: i64,
    pub region_id: i64,
    pub received_on: &'a str,
    pub amount_fen: i64,
    pub method: &'a str,
    pub reference: &'a str,
}

/// A payment with its allocations (which must add up to it).
pub async fn insert_payment(
    tx: &mut Tx,
    p: &NewPayment<'_>,
    allocations: &[(i64, i64)],
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    let id: i64 = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO payments (contract_id, institution_id, owner_id, region_id, received_on,
            amount_fen, method, reference, created_by, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
        .bind(p.contract_id).bind(p.institution_id).bind(p.owner_id).bind(p.region_id)
        .bind(p.received_on).bind(p.amount_fen).bind(p.method).bind(p.reference).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()?;
    for (invoice_id, fen) in allocations {
        exec!(tx, c => sqlx::query(
            "INSERT INTO payment_allocations (payment_id, invoice_id, amount_fen) VALUES ($1, $2, $3)")
            .bind(id).bind(invoice_id).bind(fen).execute(c).await)
        .db()?;
    }
    Ok(id)
}

pub async fn get_payment(tx: &mut Tx, id: i64) -> Result<Option<PaymentRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{PAYMENT_SELECT} WHERE p.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// Payments newest first, keyset-paged.
pub async fn list_payments(
    tx: &mut Tx,
    f: &Filter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<PaymentRecord>> {
    let rows: Vec<PaymentRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{PAYMENT_SELECT} WHERE p.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        f.push(&mut q, "p");
        q.push(" ORDER BY p.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct AllocationRecord {
    pub payment_id: i64,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub received_on: String,
    pub amount_fen: i64,
}

const ALLOCATION_SELECT: &str = "SELECT a.payment_id, a.invoice_id, v.number AS invoice_number, \
    p.received_on, a.amount_fen FROM payment_allocations a \
    JOIN invoices v ON v.id = a.invoice_id JOIN payments p ON p.id = a.payment_id";

/// How a payment was spread.
pub async fn allocations_of_payment(tx: &mut Tx, payment_id: i64) -> Result<Vec<AllocationRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{ALLOCATION_SELECT} WHERE a.payment_id = $1 ORDER BY v.due_on, v.id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(payment_id).fetch_all(c).await).db()
}

/// What was paid on an invoice, oldest first.
pub async fn allocations_of_invoice(tx: &mut Tx, invoice_id: i64) -> Result<Vec<AllocationRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{ALLOCATION_SELECT} WHERE a.invoice_id = $1 ORDER BY p.received_on, p.id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(invoice_id).fetch_all(c).await).db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct DunningRecord {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub contract_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub invoice_number: Option<String>,
    pub region_id: i64,
    pub owner_id: i64,
    pub kind: String,
    pub note: String,
    pub promised_on: Option<String>,
    pub by_user: i64,
    pub by_name: String,
    pub at_ms: i64,
}

const DUNNING_SELECT: &str = "SELECT d.id, d.institution_id, i.name AS institution_name, \
    d.contract_id, d.invoice_id, v.number AS invoice_number, d.region_id, d.owner_id, d.kind, \
    d.note, d.promised_on, d.by_user, u.display_name AS by_name, d.at_ms \
    FROM dunning_log d JOIN institutions i ON i.id = d.institution_id \
    JOIN users u ON u.id = d.by_user LEFT JOIN invoices v ON v.id = d.invoice_id";

pub struct NewDunning<'a> {
    pub institution_id: i64,
    pub contract_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub region_id: i64,
    pub owner_id: i64,
    pub kind: &'a str,
    pub note: &'a str,
    pub promised_on: Option<&'a str>,
}

pub async fn insert_dunning(tx: &mut Tx, d: &NewDunning<'_>, by: i64, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO dunning_log (institution_id, contract_id, invoice_id, region_id, owner_id, kind,
            note, promised_on, by_user, at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
        .bind(d.institution_id).bind(d.contract_id).bind(d.invoice_id).bind(d.region_id)
        .bind(d.owner_id).bind(d.kind).bind(d.note).bind(d.promised_on).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn get_dunning(tx: &mut Tx, id: i64) -> Result<Option<DunningRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{DUNNING_SELECT} WHERE d.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// The dunning log of a customer, or of one invoice, newest first.
pub async fn dunning_of(
    tx: &mut Tx,
    institution_id: Option<i64>,
    invoice_id: Option<i64>,
    limit: i64,
) -> Result<Vec<DunningRecord>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{DUNNING_SELECT} WHERE 1 = 1"));
        if let Some(i) = institution_id {
            q.push(" AND d.institution_id = ").push_bind(i);
        }
        if let Some(v) = invoice_id {
            q.push(" AND d.invoice_id = ").push_bind(v);
        }
        q.push(" ORDER BY d.id DESC LIMIT ").push_bind(limit);
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// What aging (FIN-1) and the report (FIN-3) group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Customer,
    Rep,
    Region,
}

impl GroupBy {
    /// The column grouped on and the subquery naming a group `a.key`.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            GroupBy::Customer => (
                "institution_id",
                "(SELECT i.name FROM institutions i WHERE i.id = a.key)",
            ),
            GroupBy::Rep => (
                "owner_id",
                "(SELECT u.display_name FROM users u WHERE u.id = a.key)",
            ),
            GroupBy::Region => (
                "region_id",
                "(SELECT r.name_zh FROM regions r WHERE r.id = a.key)",
            ),
        }
    }
}

/// Open amounts per bucket of one group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgingRow {
    pub key: i64,
    pub name: String,
    pub not_due: i64,
    pub d1_30: i64,
    pub d31_60: i64,
    pub d61_90: i64,
    pub over_90: i64,
}

/// The earliest due date (`YYYY-MM-DD`) of each bucket: not due, 1–30, 31–60, 61–90.
pub struct AgingCutoffs {
    pub not_due: String,
    pub d1_30: String,
    pub d31_60: String,
    pub d61_90: String,
}

/// FIN-1: open receivables per bucket and group in one aggregate query (the buckets compare
/// `due_on` with the cutoffs; no per-row work outside the database).
pub async fn aging(
    tx: &mut Tx,
    key: GroupBy,
    cutoffs: &AgingCutoffs,
    scope: &Scope,
) -> Result<Vec<AgingRow>> {
    let (column, name) = key.sql();
    // (due on or after, due before, column) of each bucket.
    let c = cutoffs;
    let buckets = [
        (Some(&c.not_due), None, "not_due"),
        (Some(&c.d1_30), Some(&c.not_due), "d1_30"),
        (Some(&c.d31_60), Some(&c.d1_30), "d31_60"),
        (Some(&c.d61_90), Some(&c.d31_60), "d61_90"),
        (None, Some(&c.d61_90), "over_90"),
    ];
    let head = format!(
        "SELECT a.key, COALESCE({name}, '') AS name, a.not_due, a.d1_30, a.d31_60, a.d61_90, \
         a.over_90 FROM (SELECT v.{column} AS key"
    );
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(head.as_str());
        for (from, to, alias) in buckets {
            q.push(", CAST(SUM(CASE WHEN 1 = 1");
            if let Some(f) = from {
                q.push(" AND v.due_on >= ").push_bind(f.clone());
            }
            if let Some(t) = to {
                q.push(" AND v.due_on < ").push_bind(t.clone());
            }
            q.push(format!(" THEN v.amount_fen - v.paid_fen ELSE 0 END) AS BIGINT) AS {alias}"));
        }
        q.push(" FROM invoices v WHERE v.status = 'open'");
        scope.push(&mut q, "v");
        q.push(format!(" GROUP BY v.{column}) a ORDER BY a.key"));
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// Overdue open invoices as the escalation job sees them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OverdueInvoice {
    pub id: i64,
    pub number: String,
    pub institution_name: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub due_on: String,
    pub open_fen: i64,
}

/// Open invoices due before `due_before`, by id after `after_id`.
pub async fn overdue(
    tx: &mut Tx,
    due_before: &str,
    after_id: i64,
    limit: i64,
) -> Result<Vec<OverdueInvoice>> {
    on!(tx, c => sqlx::query_as(
        "SELECT v.id, v.number, i.name AS institution_name, v.owner_id, v.region_id, v.due_on,
            v.amount_fen - v.paid_fen AS open_fen
         FROM invoices v JOIN institutions i ON i.id = v.institution_id
         WHERE v.status = 'open' AND v.due_on < $1 AND v.id > $2 ORDER BY v.id LIMIT $3")
        .bind(due_before).bind(after_id).bind(limit).fetch_all(c).await)
    .db()
}

/// FIN-3: a customer's balance before `date`: invoiced (void excluded) less received.
pub async fn balance_before(tx: &mut Tx, institution_id: i64, date: &str) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "SELECT CAST(COALESCE((SELECT SUM(amount_fen) FROM invoices
                WHERE institution_id = $1 AND status <> 'void' AND issued_on < $2), 0)
            - COALESCE((SELECT SUM(amount_fen) FROM payments
                WHERE institution_id = $1 AND received_on < $2), 0) AS BIGINT)")
        .bind(institution_id).bind(date).fetch_one(c).await)
    .db()
}

/// FIN-3: a customer's invoices (void excluded) issued from `from` to `to`, by date.
pub async fn invoices_between(
    tx: &mut Tx,
    institution_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<InvoiceRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{INVOICE_SELECT} WHERE v.institution_id = $1 AND v.status <> 'void'
         AND v.issued_on >= $2 AND v.issued_on <= $3 ORDER BY v.issued_on, v.id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(institution_id).bind(from).bind(to).fetch_all(c).await)
        .db()
}

/// FIN-3: a customer's payments received from `from` to `to`, by date.
pub async fn payments_between(
    tx: &mut Tx,
    institution_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<PaymentRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{PAYMENT_SELECT} WHERE p.institution_id = $1 AND p.received_on >= $2
         AND p.received_on <= $3 ORDER BY p.received_on, p.id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(institution_id).bind(from).bind(to).fetch_all(c).await)
        .db()
}

/// FIN-3: one month of one group: invoiced (revenue), its cost, what of it is still open,
/// and what was collected.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportRow {
    pub month: String,
    pub key: i64,
    pub name: String,
    pub invoiced: i64,
    pub cost: i64,
    pub outstanding: i64,
    pub collected: i64,
}

/// FIN-3: revenue, cost, outstanding and collections per month (`YYYY-MM`) and group from
/// `from` to `to`, in one aggregate query over invoices and payments.
pub async fn report(
    tx: &mut Tx,
    key: GroupBy,
    from: &str,
    to: &str,
    scope: &Scope,
) -> Result<Vec<ReportRow>> {
    let (column, name) = key.sql();
    let head = format!(
        "SELECT a.month, a.key, COALESCE({name}, '') AS name,
            CAST(SUM(a.invoiced) AS BIGINT) AS invoiced, CAST(SUM(a.cost) AS BIGINT) AS cost,
            CAST(SUM(a.outstanding) AS BIGINT) AS outstanding,
            CAST(SUM(a.collected) AS BIGINT) AS collected
         FROM (SELECT SUBSTR(v.issued_on, 1, 7) AS month, v.{column} AS key, v.amount_fen AS invoiced,
            v.cost_fen AS cost,
            CASE WHEN v.status = 'open' THEN v.amount_fen - v.paid_fen ELSE 0 END AS outstanding,
            0 AS collected
         FROM invoices v WHERE v.status <> 'void' AND v.issued_on >= "
    );
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(head.as_str());
        q.push_bind(from.to_owned()).push(" AND v.issued_on <= ").push_bind(to.to_owned());
        scope.push(&mut q, "v");
        q.push(format!(
            " UNION ALL SELECT SUBSTR(p.received_on, 1, 7), p.{column}, 0, 0, 0, p.amount_fen
             FROM payments p WHERE p.received_on >= "
        ));
        q.push_bind(from.to_owned()).push(" AND p.received_on <= ").push_bind(to.to_owned());
        scope.push(&mut q, "p");
        q.push(") a GROUP BY a.month, a.key ORDER BY a.month, a.key");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}
