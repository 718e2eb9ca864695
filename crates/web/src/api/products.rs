//! PRD: catalog, suppliers, documents with scans, first-time reviews, expiring documents and
//! the sale gate.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use medcrm_app::domain::products::Refusal;
use medcrm_app::products::{
    DocumentInput, DocumentOwner, DocumentRecord, ProductInput, ProductQuery, ProductRecord,
    ReviewRecord, SupplierInput, SupplierRecord, Upload,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::imports::FileBody;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Supplier {
    pub id: i64,
    pub name: String,
    pub credit_code: Option<String>,
    /// manufacturer or distributor.
    pub kind: String,
    pub contact: String,
    pub phone: String,
    /// The latest first-time review: submitted, approved, rejected; none before any.
    pub review_status: Option<String>,
    pub created_at: String,
}

impl From<SupplierRecord> for Supplier {
    fn from(s: SupplierRecord) -> Self {
        Supplier {
            id: s.id,
            name: s.name,
            credit_code: s.credit_code,
            kind: s.kind,
            contact: s.contact,
            phone: s.phone,
            review_status: s.review_status,
            created_at: ts(s.created_at_ms),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Document {
    pub id: i64,
    /// registration_certificate, filing, production_licence, institution_licence,
    /// business_licence.
    pub kind: String,
    pub product_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub institution_id: Option<i64>,
    /// The name of the product, supplier or institution it belongs to.
    pub owner_name: String,
    pub number: String,
    /// I, II or III for registrations.
    pub device_class: Option<String>,
    /// The holder named on the document (注册人/持证人).
    pub holder: String,
    pub scope: String,
    pub valid_from: String,
    pub valid_to: String,
    pub has_scan: bool,
    pub file_name: Option<String>,
    pub file_type: Option<String>,
    pub file_size: Option<i64>,
    pub file_sha256: Option<String>,
    pub created_at: String,
}

impl From<DocumentRecord> for Document {
    fn from(d: DocumentRecord) -> Self {
        Document {
            id: d.id,
            kind: d.kind,
            product_id: d.product_id,
            supplier_id: d.supplier_id,
            institution_id: d.institution_id,
            owner_name: d.owner_name,
            number: d.number,
            device_class: d.device_class,
            holder: d.holder,
            scope: d.scope,
            valid_from: d.valid_from,
            valid_to: d.valid_to,
            has_scan: d.file_sha256.is_some(),
            file_name: d.file_name,
            file_type: d.file_type,
            file_size: d.file_size,
            file_sha256: d.file_sha256,
            created_at: ts(d.created_at_ms),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Review {
    pub id: i64,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub subject_name: String,
    /// submitted, approved, rejected.
    pub status: String,
    pub note: String,
    pub submitted_by: i64,
    pub submitted_at: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub comment: String,
}

impl From<ReviewRecord> for Review {
    fn from(r: ReviewRecord) -> Self {
        Review {
            id: r.id,
            institution_id: r.institution_id,
            supplier_id: r.supplier_id,
            subject_name: r.subject_name,
            status: r.status,
            note: r.note,
            submitted_by: r.submitted_by,
            submitted_at: ts(r.submitted_at_ms),
            decided_by: r.decided_by,
            decided_at: r.decided_at_ms.map(ts),
            comment: r.comment,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Product {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub model: String,
    /// large_equipment, consumables, ivd, service, other.
    pub product_line: String,
    pub manufacturer_id: i64,
    pub manufacturer_name: String,
    pub unit: String,
    pub serialized: bool,
    pub implantable: bool,
    pub shelf_life_months: Option<i64>,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ProductRecord> for Product {
    fn from(p: ProductRecord) -> Self {
        Product {
            id: p.id,
            code: p.code,
            name: p.name,
            model: p.model,
            product_line: p.product_line,
            manufacturer_id: p.manufacturer_id,
            manufacturer_name: p.manufacturer_name,
            unit: p.unit,
            serialized: p.serialized,
            implantable: p.implantable,
            shelf_life_months: p.shelf_life_months,
            active: p.active,
            created_at: ts(p.created_at_ms),
            updated_at: ts(p.updated_at_ms),
        }
    }
}

fn documents(d: Vec<DocumentRecord>) -> Vec<Document> {
    d.into_iter().map(Document::from).collect()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of the name or credit code.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// Suppliers (manufacturers and distributors we buy from).
#[utoipa::path(get, path = "/api/v1/suppliers", tag = "products", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = Page<Supplier>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_suppliers(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Page<Supplier>>, ApiError> {
    let page = s
        .app
        .suppliers(&ctx, q.q, cursor(q.cursor.as_deref())?, q.limit)
        .await?;
    Ok(Json(Page::from(page, Supplier::from)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SupplierFull {
    pub supplier: Supplier,
    pub documents: Vec<Document>,
    /// First-time reviews, newest first.
    pub reviews: Vec<Review>,
}

/// One supplier with its licences and first-time reviews.
#[utoipa::path(get, path = "/api/v1/suppliers/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = SupplierFull), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn get_supplier(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SupplierFull>, ApiError> {
    let d = s.app.supplier(&ctx, id).await?;
    Ok(Json(SupplierFull {
        supplier: d.record.into(),
        documents: documents(d.documents),
        reviews: d.reviews.into_iter().map(Review::from).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSupplier {
    pub name: String,
    /// Unified social credit code (18 characters, GB 32100 check).
    pub credit_code: Option<String>,
    /// manufacturer or distributor.
    pub kind: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub phone: String,
}

/// Add a supplier (PRD-3: it needs first-time review before the first purchase).
#[utoipa::path(post, path = "/api/v1/suppliers", tag = "products", security(("bearer" = [])), request_body = NewSupplier,
    responses((status = 201, body = Supplier), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_supplier(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewSupplier>,
) -> Result<(StatusCode, Json<Supplier>), ApiError> {
    let input = SupplierInput {
        name: b.name,
        credit_code: b.credit_code,
        kind: b.kind,
        contact: b.contact,
        phone: b.phone,
    };
    let created = s.app.create_supplier(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    /// Part of the name, code or model, or the name's pinyin initials.
    pub q: Option<String>,
    pub product_line: Option<String>,
    pub manufacturer_id: Option<i64>,
    pub active: Option<bool>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// The product catalog (PRD-1).
#[utoipa::path(get, path = "/api/v1/products", tag = "products", security(("bearer" = [])), params(ProductListQuery),
    responses((status = 200, body = Page<Product>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_products(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ProductListQuery>,
) -> Result<Json<Page<Product>>, ApiError> {
    let query = ProductQuery {
        query: q.q,
        product_line: q.product_line,
        manufacturer_id: q.manufacturer_id,
        active: q.active,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    let page = s.app.products(&ctx, &query).await?;
    Ok(Json(Page::from(page, Product::from)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProductFull {
    pub product: Product,
    /// Registration certificates and filings, latest validity first.
    pub documents: Vec<Document>,
    pub manufacturer: Supplier,
    /// The manufacturer's production licences.
    pub manufacturer_documents: Vec<Document>,
}

/// One product with its registration and its manufacturer's licences.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ProductFull), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn get_product(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProductFull>, ApiError> {
    let d = s.app.product(&ctx, id).await?;
    Ok(Json(ProductFull {
        product: d.record.into(),
        documents: documents(d.documents),
        manufacturer: d.manufacturer.into(),
        manufacturer_documents: documents(d.manufacturer_documents),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    /// The company's article number, unique.
    pub code: String,
    pub name: String,
    /// Model / specification (型号规格).
    pub model: String,
    /// large_equipment, consumables, ivd, service, other.
    pub product_line: String,
    pub manufacturer_id: i64,
    /// Unit of sale: 台, 盒, 支 …
    pub unit: String,
    #[serde(default)]
    pub serialized: bool,
    #[serde(default)]
    pub implantable: bool,
    /// Months, 1–240; none for equipment that does not expire.
    pub shelf_life_months: Option<i64>,
    /// Whether it may be sold (default true).
    pub active: Option<bool>,
}

impl From<ProductBody> for ProductInput {
    fn from(b: ProductBody) -> Self {
        ProductInput {
            code: b.code,
            name: b.name,
            model: b.model,
            product_line: b.product_line,
            manufacturer_id: b.manufacturer_id,
            unit: b.unit,
            serialized: b.serialized,
            implantable: b.implantable,
            shelf_life_months: b.shelf_life_months,
            active: b.active.unwrap_or(true),
        }
    }
}

/// Add a product to the catalog (PRD-1).
#[utoipa::path(post, path = "/api/v1/products", tag = "products", security(("bearer" = [])), request_body = ProductBody,
    responses((status = 201, body = Product), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_product(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<ProductBody>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let created = s.app.create_product(&ctx, b.into()).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Replace a product's catalog fields.
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ProductBody,
    responses((status = 200, body = Product), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_product(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ProductBody>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(s.app.update_product(&ctx, id, b.into()).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDocument {
    /// registration_certificate or filing (products), production_licence or business_licence
    /// (suppliers), institution_licence or business_licence (customers).
    pub kind: String,
    pub number: String,
    /// I, II or III.
    pub device_class: Option<String>,
    #[serde(default)]
    pub holder: String,
    #[serde(default)]
    pub scope: String,
    /// YYYY-MM-DD.
    pub valid_from: String,
    /// YYYY-MM-DD, the last valid day.
    pub valid_to: String,
}

async fn add_document(
    s: AppState,
    ctx: medcrm_app::Ctx,
    owner: DocumentOwner,
    b: NewDocument,
) -> Result<(StatusCode, Json<Document>), ApiError> {
    let input = DocumentInput {
        kind: b.kind,
        number: b.number,
        device_class: b.device_class,
        holder: b.holder,
        scope: b.scope,
        valid_from: b.valid_from,
        valid_to: b.valid_to,
    };
    let d = s.app.add_document(&ctx, owner, input, None).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// File a product's registration certificate or filing (PRD-2); attach the scan with
/// `PUT /api/v1/documents/{id}/scan`.
#[utoipa::path(post, path = "/api/v1/products/{id}/documents", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewDocument,
    responses((status = 201, body = Document), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_product_document(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewDocument>,
) -> Result<(StatusCode, Json<Document>), ApiError> {
    add_document(s, ctx, DocumentOwner::Product(id), b).await
}

/// File a supplier's production or business licence (PRD-2, PRD-3).
#[utoipa::path(post, path = "/api/v1/suppliers/{id}/documents", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewDocument,
    responses((status = 201, body = Document), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_supplier_document(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewDocument>,
) -> Result<(StatusCode, Json<Document>), ApiError> {
    add_document(s, ctx, DocumentOwner::Supplier(id), b).await
}

/// File a customer's licence (医疗机构执业许可证, or 经营许可证 for a partner) (PRD-3).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/documents", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewDocument,
    responses((status = 201, body = Document), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_institution_document(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewDocument>,
) -> Result<(StatusCode, Json<Document>), ApiError> {
    add_document(s, ctx, DocumentOwner::Institution(id), b).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScanName {
    /// The original file name, kept for downloads.
    pub name: Option<String>,
}

/// Attach the scan of a document filed without one: a PDF, PNG or JPEG of at most 10 MiB,
/// recognised by its content. A scan is written once; file a new document to replace it.
#[utoipa::path(put, path = "/api/v1/documents/{id}/scan", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path), ScanName),
    request_body(description = "The scan's bytes.",
        content(("application/pdf"), ("image/png"), ("image/jpeg"), ("application/octet-stream"))),
    responses((status = 200, body = Document), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn attach_scan(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ScanName>,
    FileBody(body): FileBody,
) -> Result<Json<Document>, ApiError> {
    let upload = Upload {
        name: q.name.unwrap_or_else(|| "scan".into()),
        bytes: body.to_vec(),
    };
    Ok(Json(s.app.attach_scan(&ctx, id, upload).await?.into()))
}

/// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 5987/6266).
fn attachment(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A stored scan as a download: its recorded type, its name, never sniffed, never cached.
pub fn scan_response(d: &DocumentRecord, bytes: Vec<u8>) -> Response {
    let content_type = d
        .file_type
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&attachment(d.file_name.as_deref().unwrap_or("scan")))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Download a document's scan; 404 when absent or outside what the caller may see.
#[utoipa::path(get, path = "/api/v1/documents/{id}/scan", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>, description = "The scan"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn download_scan(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let (d, bytes) = s.app.document_scan(&ctx, id).await?;
    Ok(scan_response(&d, bytes))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpiringQuery {
    /// Days ahead, 0–366 (default: the longest alert threshold, 90).
    pub days: Option<i64>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// PRD-4: documents expiring from today within `days`, soonest first; customers' licences
/// only within the caller's customer scope.
#[utoipa::path(get, path = "/api/v1/documents/expiring", tag = "products", security(("bearer" = [])),
    params(ExpiringQuery),
    responses((status = 200, body = Page<Document>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn expiring(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ExpiringQuery>,
) -> Result<Json<Page<Document>>, ApiError> {
    let page = s
        .app
        .expiring_documents(&ctx, q.days, q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(Page {
        items: documents(page.items),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpiryAlerts {
    /// Days ahead at which an expiring document is alerted, e.g. [90, 30, 7].
    pub days: Vec<i64>,
}

/// PRD-4: the alert thresholds.
#[utoipa::path(get, path = "/api/v1/settings/expiry-alerts", tag = "products", security(("bearer" = [])),
    responses((status = 200, body = ExpiryAlerts), (status = 401, body = ErrorBody)))]
pub async fn expiry_alerts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<ExpiryAlerts>, ApiError> {
    let days = s.app.expiry_alert_days(&ctx).await?;
    Ok(Json(ExpiryAlerts {
        days: days.into_iter().map(i64::from).collect(),
    }))
}

/// PRD-4: set the alert thresholds (quality only), each 1–366 days, at most 8.
#[utoipa::path(put, path = "/api/v1/settings/expiry-alerts", tag = "products", security(("bearer" = [])),
    request_body = ExpiryAlerts,
    responses((status = 200, body = ExpiryAlerts), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_expiry_alerts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<ExpiryAlerts>,
) -> Result<Json<ExpiryAlerts>, ApiError> {
    let text: Vec<String> = b.days.iter().map(ToString::to_string).collect();
    let days = s.app.set_expiry_alert_days(&ctx, &text.join(",")).await?;
    Ok(Json(ExpiryAlerts {
        days: days.into_iter().map(i64::from).collect(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Qualification {
    pub documents: Vec<Document>,
    pub reviews: Vec<Review>,
}

/// A customer's licences and first-time reviews.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/qualification", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Qualification), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn qualification(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Qualification>, ApiError> {
    let q = s.app.customer_qualification(&ctx, id).await?;
    Ok(Json(Qualification {
        documents: documents(q.documents),
        reviews: q.reviews.into_iter().map(Review::from).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    #[serde(default)]
    pub note: String,
}

/// PRD-3: submit a customer for first-time review (首营); 409 while one is open.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/reviews", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Submission,
    responses((status = 201, body = Review), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_institution(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Submission>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    let r = s.app.submit_customer_review(&ctx, id, &b.note).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// PRD-3: submit a supplier for first-time review; 409 while one is open.
#[utoipa::path(post, path = "/api/v1/suppliers/{id}/reviews", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Submission,
    responses((status = 201, body = Review), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_supplier(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Submission>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    let r = s.app.submit_supplier_review(&ctx, id, &b.note).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// submitted (default), approved or rejected.
    pub status: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// PRD-3: the quality team's first-time review queue, oldest first.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "products", security(("bearer" = [])), params(ReviewQuery),
    responses((status = 200, body = Page<Review>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn reviews(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> Result<Json<Page<Review>>, ApiError> {
    let page = s
        .app
        .reviews(&ctx, q.status, cursor(q.cursor.as_deref())?, q.limit)
        .await?;
    Ok(Json(Page::from(page, Review::from)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub approve: bool,
    /// Required to reject.
    #[serde(default)]
    pub comment: String,
}

/// PRD-3: approve or reject a submission (quality; never one's own). 409 when already decided.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/decision", tag = "products", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = Review), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_review(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Decision>,
) -> Result<Json<Review>, ApiError> {
    Ok(Json(
        s.app
            .decide_review(&ctx, id, b.approve, &b.comment)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SaleCheckQuery {
    pub product_id: i64,
    pub institution_id: i64,
    /// YYYY-MM-DD (default today).
    pub date: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RefusalOut {
    /// product_inactive, document_missing, document_expired, document_not_yet_valid,
    /// first_review_not_approved.
    pub code: String,
    /// Names the document and why, e.g. "registration certificate 国械注准… expired on 2026-11-24".
    pub message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SaleCheck {
    pub allowed: bool,
    pub refusals: Vec<RefusalOut>,
}

/// PRD-2/3: may this product be sold to this customer on this date? The same rule quotes,
/// contracts and shipments apply.
#[utoipa::path(get, path = "/api/v1/sale-check", tag = "products", security(("bearer" = [])), params(SaleCheckQuery),
    responses((status = 200, body = SaleCheck), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn sale_check(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<SaleCheckQuery>,
) -> Result<Json<SaleCheck>, ApiError> {
    let refusals: Vec<Refusal> = s
        .app
        .sale_check(&ctx, q.product_id, q.institution_id, q.date.as_deref())
        .await?;
    Ok(Json(SaleCheck {
        allowed: refusals.is_empty(),
        refusals: refusals
            .iter()
            .map(|r| RefusalOut {
                code: r.code().to_owned(),
                message: r.to_string(),
            })
            .collect(),
    }))
}
