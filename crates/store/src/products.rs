//! PRD: suppliers, products, documents with their scans, and first-time reviews (首营).

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct SupplierRecord {
    pub id: i64,
    pub name: String,
    pub credit_code: Option<String>,
    pub kind: String,
    pub contact: String,
    pub phone: String,
    /// The latest first-time review's status; `None` before any submission.
    pub review_status: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const SUPPLIER_SELECT: &str = "SELECT s.id, s.name, s.credit_code, s.kind, s.contact, s.phone, \
    (SELECT r.status FROM qualification_reviews r WHERE r.supplier_id = s.id ORDER BY r.id DESC LIMIT 1) AS review_status, \
    s.created_at_ms, s.updated_at_ms FROM suppliers s";

pub struct SupplierFields<'a> {
    pub name: &'a str,
    pub credit_code: Option<&'a str>,
    pub kind: &'a str,
    pub contact: &'a str,
    pub phone: &'a str,
}

pub async fn insert_supplier(tx: &mut Tx, s: &SupplierFields<'_>, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO suppliers (name, credit_code, kind, contact, phone, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id")
        .bind(s.name).bind(s.credit_code).bind(s.kind).bind(s.contact).bind(s.phone).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn get_supplier(tx: &mut Tx, id: i64) -> Result<Option<SupplierRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{SUPPLIER_SELECT} WHERE s.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

pub async fn supplier_by_name(tx: &mut Tx, name: &str) -> Result<Option<SupplierRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{SUPPLIER_SELECT} WHERE s.name = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(name).fetch_optional(c).await).db()
}

/// Suppliers by name, keyset-paged by id.
pub async fn list_suppliers(
    tx: &mut Tx,
    query: Option<&str>,
    after_id: i64,
    limit: i64,
) -> Result<Page<SupplierRecord>> {
    let pattern = format!("%{}%", query.unwrap_or("").to_lowercase());
    let sql = sqlx::AssertSqlSafe(format!(
        "{SUPPLIER_SELECT} WHERE s.id > $1 AND (LOWER(s.name) LIKE $2 OR LOWER(COALESCE(s.credit_code, '')) LIKE $2)
         ORDER BY s.id LIMIT $3"
    ));
    let rows: Vec<SupplierRecord> = on!(tx, c => sqlx::query_as(sql)
        .bind(after_id).bind(pattern).bind(limit + 1).fetch_all(c).await)
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ProductRecord {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_initials: String,
    pub model: String,
    pub product_line: String,
    pub manufacturer_id: i64,
    pub manufacturer_name: String,
    pub unit: String,
    pub serialized: bool,
    pub implantable: bool,
    pub shelf_life_months: Option<i64>,
    pub active: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const PRODUCT_SELECT: &str = "SELECT p.id, p.code, p.name, p.name_initials, p.model, p.product_line, \
    p.manufacturer_id, s.name AS manufacturer_name, p.unit, p.serialized, p.implantable, p.shelf_life_months, \
    p.active, p.created_at_ms, p.updated_at_ms FROM products p JOIN suppliers s ON s.id = p.manufacturer_id";

pub struct ProductFields<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub name_initials: &'a str,
    pub model: &'a str,
    pub product_line: &'a str,
    pub manufacturer_id: i64,
    pub unit: &'a str,
    pub serialized: bool,
    pub implantable: bool,
    pub shelf_life_months: Option<i64>,
    pub active: bool,
}

pub async fn insert_product(tx: &mut Tx, p: &ProductFields<'_>, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO products (code, name, name_initials, model, product_line, manufacturer_id, unit,
            serialized, implantable, shelf_life_months, active, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id")
        .bind(p.code).bind(p.name).bind(p.name_initials).bind(p.model).bind(p.product_line)
        .bind(p.manufacturer_id).bind(p.unit).bind(p.serialized).bind(p.implantable)
        .bind(p.shelf_life_months).bind(p.active).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn update_product(
    tx: &mut Tx,
    id: i64,
    p: &ProductFields<'_>,
    now_ms: i64,
) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE products SET code = $2, name = $3, name_initials = $4, model = $5, product_line = $6,
            manufacturer_id = $7, unit = $8, serialized = $9, implantable = $10, shelf_life_months = $11,
            active = $12, updated_at_ms = $13 WHERE id = $1")
        .bind(id).bind(p.code).bind(p.name).bind(p.name_initials).bind(p.model).bind(p.product_line)
        .bind(p.manufacturer_id).bind(p.unit).bind(p.serialized).bind(p.implantable)
        .bind(p.shelf_life_months).bind(p.active).bind(now_ms)
        .execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

pub async fn get_product(tx: &mut Tx, id: i64) -> Result<Option<ProductRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{PRODUCT_SELECT} WHERE p.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

pub async fn product_by_code(tx: &mut Tx, code: &str) -> Result<Option<ProductRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{PRODUCT_SELECT} WHERE p.code = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(code).fetch_optional(c).await).db()
}

#[derive(Debug, Default, Clone)]
pub struct ProductFilter {
    /// Name, code, model or pinyin initials contain it.
    pub query: Option<String>,
    pub product_line: Option<String>,
    pub manufacturer_id: Option<i64>,
    pub active: Option<bool>,
}

pub async fn list_products(
    tx: &mut Tx,
    f: &ProductFilter,
    after_id: i64,
    limit: i64,
) -> Result<Page<ProductRecord>> {
    let rows: Vec<ProductRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{PRODUCT_SELECT} WHERE p.id > "));
        q.push_bind(after_id);
        if let Some(text) = &f.query {
            let pattern = format!("%{}%", text.to_lowercase());
            q.push(" AND (LOWER(p.name) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(p.code) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(p.model) LIKE ").push_bind(pattern.clone());
            q.push(" OR p.name_initials LIKE ").push_bind(pattern).push(")");
        }
        if let Some(line) = &f.product_line {
            q.push(" AND p.product_line = ").push_bind(line.clone());
        }
        if let Some(m) = f.manufacturer_id {
            q.push(" AND p.manufacturer_id = ").push_bind(m);
        }
        if let Some(active) = f.active {
            q.push(" AND p.active = ").push_bind(active);
        }
        q.push(" ORDER BY p.id LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// Who a document belongs to; exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Product(i64),
    Supplier(i64),
    Institution(i64),
}

impl Owner {
    fn ids(self) -> (Option<i64>, Option<i64>, Option<i64>) {
        match self {
            Owner::Product(id) => (Some(id), None, None),
            Owner::Supplier(id) => (None, Some(id), None),
            Owner::Institution(id) => (None, None, Some(id)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct DocumentRecord {
    pub id: i64,
    pub kind: String,
    pub product_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub institution_id: Option<i64>,
    /// The product's, supplier's or institution's name.
    pub owner_name: String,
    pub number: String,
    pub device_class: Option<String>,
    pub holder: String,
    pub scope: String,
    pub valid_from: String,
    pub valid_to: String,
    pub file_name: Option<String>,
    pub file_type: Option<String>,
    pub file_size: Option<i64>,
    pub file_sha256: Option<String>,
    pub created_by: i64,
    pub created_at_ms: i64,
}

const DOCUMENT_SELECT: &str = "SELECT d.id, d.kind, d.product_id, d.supplier_id, d.institution_id, \
    COALESCE(p.name, s.name, i.name, '') AS owner_name, d.number, d.device_class, d.holder, d.scope, \
    d.valid_from, d.valid_to, d.file_name, d.file_type, d.file_size, d.file_sha256, d.created_by, d.created_at_ms \
    FROM documents d LEFT JOIN products p ON p.id = d.product_id LEFT JOIN suppliers s ON s.id = d.supplier_id \
    LEFT JOIN institutions i ON i.id = d.institution_id";

pub struct DocumentFields<'a> {
    pub kind: &'a str,
    pub owner: Owner,
    pub number: &'a str,
    pub device_class: Option<&'a str>,
    pub holder: &'a str,
    pub scope: &'a str,
    pub valid_from: &'a str,
    pub valid_to: &'a str,
}

/// An uploaded scan, already checked by the caller.
pub struct Scan<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub bytes: &'a [u8],
}

pub async fn insert_document(
    tx: &mut Tx,
    d: &DocumentFields<'_>,
    scan: Option<&Scan<'_>>,
    created_by: i64,
    now_ms: i64,
) -> Result<i64> {
    let (product, supplier, institution) = d.owner.ids();
    let id: i64 = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO documents (kind, product_id, supplier_id, institution_id, number, device_class, holder,
            scope, valid_from, valid_to, created_by, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id")
        .bind(d.kind).bind(product).bind(supplier).bind(institution).bind(d.number).bind(d.device_class)
        .bind(d.holder).bind(d.scope).bind(d.valid_from).bind(d.valid_to).bind(created_by).bind(now_ms)
        .fetch_one(c).await)
    .db()?;
    if let Some(scan) = scan {
        attach_scan(tx, id, scan).await?;
    }
    Ok(id)
}

/// Adds the scan to a document that has none (guarded, so a scan is written once).
pub async fn attach_scan(tx: &mut Tx, id: i64, scan: &Scan<'_>) -> Result<()> {
    let size = i64::try_from(scan.bytes.len()).unwrap_or(i64::MAX);
    let n = exec!(tx, c => sqlx::query(
        "UPDATE documents SET file_name = $2, file_type = $3, file_size = $4, file_sha256 = $5
         WHERE id = $1 AND file_sha256 IS NULL")
        .bind(id).bind(scan.name).bind(scan.content_type).bind(size).bind(scan.sha256)
        .execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    exec!(tx, c => sqlx::query("INSERT INTO document_files (document_id, content) VALUES ($1, $2)")
        .bind(id).bind(scan.bytes).execute(c).await)
    .db()?;
    Ok(())
}

pub async fn get_document(tx: &mut Tx, id: i64) -> Result<Option<DocumentRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{DOCUMENT_SELECT} WHERE d.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

pub async fn document_file(tx: &mut Tx, id: i64) -> Result<Option<Vec<u8>>> {
    on!(tx, c => sqlx::query_scalar("SELECT content FROM document_files WHERE document_id = $1")
        .bind(id).fetch_optional(c).await)
    .db()
}

/// Every document of one owner, newest validity first.
pub async fn documents_of(tx: &mut Tx, owner: Owner) -> Result<Vec<DocumentRecord>> {
    let (column, id) = match owner {
        Owner::Product(id) => ("product_id", id),
        Owner::Supplier(id) => ("supplier_id", id),
        Owner::Institution(id) => ("institution_id", id),
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "{DOCUMENT_SELECT} WHERE d.{column} = $1 ORDER BY d.valid_to DESC, d.id DESC"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_all(c).await).db()
}

/// Every product's registration certificates and filings, latest validity first per product:
/// one query for an export instead of one per product.
pub async fn registrations(tx: &mut Tx) -> Result<Vec<DocumentRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{DOCUMENT_SELECT} WHERE d.product_id IS NOT NULL AND d.kind IN ('registration_certificate', 'filing')
         ORDER BY d.product_id, d.valid_to DESC, d.id DESC"
    ));
    on!(tx, c => sqlx::query_as(sql).fetch_all(c).await).db()
}

/// Which customers' documents a list may show besides product and supplier documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerDocs {
    None,
    All,
    Regions(Vec<i64>),
    Owner(i64),
}

/// PRD-4: documents whose validity ends between `from` and `to` (inclusive), soonest first,
/// keyset-paged after `(valid_to, id)` of the last row seen.
pub async fn expiring(
    tx: &mut Tx,
    from: &str,
    to: &str,
    customers: &CustomerDocs,
    after: Option<(String, i64)>,
    limit: i64,
) -> Result<Vec<DocumentRecord>> {
    let (after_date, after_id) = after.unwrap_or_default();
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{DOCUMENT_SELECT} WHERE d.valid_to >= "));
        q.push_bind(from.to_owned()).push(" AND d.valid_to <= ").push_bind(to.to_owned());
        q.push(" AND (d.valid_to > ").push_bind(after_date.clone());
        q.push(" OR (d.valid_to = ").push_bind(after_date).push(" AND d.id > ").push_bind(after_id).push("))");
        match customers {
            CustomerDocs::All => {}
            CustomerDocs::None => {
                q.push(" AND d.institution_id IS NULL");
            }
            CustomerDocs::Owner(owner) => {
                q.push(" AND (d.institution_id IS NULL OR i.owner_id = ").push_bind(*owner).push(")");
            }
            CustomerDocs::Regions(regions) => {
                q.push(" AND (d.institution_id IS NULL OR i.region_id IN (");
                let mut sep = q.separated(", ");
                sep.push("NULL");
                for r in regions {
                    sep.push_bind(*r);
                }
                q.push("))");
            }
        }
        q.push(" ORDER BY d.valid_to, d.id LIMIT ").push_bind(limit);
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ReviewRecord {
    pub id: i64,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub subject_name: String,
    pub status: String,
    pub note: String,
    pub submitted_by: i64,
    pub submitted_at_ms: i64,
    pub decided_by: Option<i64>,
    pub decided_at_ms: Option<i64>,
    pub comment: String,
}

const REVIEW_SELECT: &str = "SELECT r.id, r.institution_id, r.supplier_id, COALESCE(i.name, s.name, '') AS subject_name, \
    r.status, r.note, r.submitted_by, r.submitted_at_ms, r.decided_by, r.decided_at_ms, r.comment \
    FROM qualification_reviews r LEFT JOIN institutions i ON i.id = r.institution_id \
    LEFT JOIN suppliers s ON s.id = r.supplier_id";

/// A customer or supplier under first-time review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Institution(i64),
    Supplier(i64),
}

impl Subject {
    fn column(self) -> (&'static str, i64) {
        match self {
            Subject::Institution(id) => ("institution_id", id),
            Subject::Supplier(id) => ("supplier_id", id),
        }
    }
}

/// A new submission; the partial unique index refuses a second open one (`Conflict`).
pub async fn submit_review(
    tx: &mut Tx,
    subject: Subject,
    note: &str,
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    let (column, id) = subject.column();
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO qualification_reviews ({column}, status, note, submitted_by, submitted_at_ms)
         VALUES ($1, 'submitted', $2, $3, $4) RETURNING id"
    ));
    on!(tx, c => sqlx::query_scalar(sql).bind(id).bind(note).bind(by).bind(now_ms).fetch_one(c).await)
        .db()
}

/// Decides an open review. Guarded by the status, so of two reviewers deciding at once one
/// wins and the other gets `NotFound`.
pub async fn decide_review(
    tx: &mut Tx,
    id: i64,
    status: &str,
    comment: &str,
    by: i64,
    now_ms: i64,
) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE qualification_reviews SET status = $2, comment = $3, decided_by = $4, decided_at_ms = $5
         WHERE id = $1 AND status = 'submitted'")
        .bind(id).bind(status).bind(comment).bind(by).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

pub async fn get_review(tx: &mut Tx, id: i64) -> Result<Option<ReviewRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{REVIEW_SELECT} WHERE r.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// The review history of one customer or supplier, newest first.
pub async fn reviews_of(tx: &mut Tx, subject: Subject) -> Result<Vec<ReviewRecord>> {
    let (column, id) = subject.column();
    let sql = sqlx::AssertSqlSafe(format!(
        "{REVIEW_SELECT} WHERE r.{column} = $1 ORDER BY r.id DESC"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_all(c).await).db()
}

/// Reviews in `status`, oldest first (the quality team's queue), keyset-paged.
pub async fn reviews_in(
    tx: &mut Tx,
    status: &str,
    after_id: i64,
    limit: i64,
) -> Result<Page<ReviewRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{REVIEW_SELECT} WHERE r.status = $1 AND r.id > $2 ORDER BY r.id LIMIT $3"
    ));
    let rows: Vec<ReviewRecord> = on!(tx, c => sqlx::query_as(sql)
        .bind(status).bind(after_id).bind(limit + 1).fetch_all(c).await)
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// Ids of the active serialized products, in id order.
pub async fn serialized_ids(tx: &mut Tx) -> Result<Vec<i64>> {
    on!(tx, c => sqlx::query_scalar(
        "SELECT id FROM products WHERE serialized AND active ORDER BY id")
        .fetch_all(c).await)
    .db()
}
