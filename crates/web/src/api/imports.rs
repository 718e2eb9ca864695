//! SYS-3: import files of institutions or of departments and contacts (the raw file as the
//! request body), and export the caller's customers as .csv or .xlsx.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use medcrm_app::customers::InstitutionQuery;
use medcrm_app::imports::{Format, ImportKind, ImportReport, Labels, MAX_FILE_BYTES, Quiet};
use medcrm_app::parts::PartQuery;
use medcrm_app::products::ProductQuery;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, Caller};

/// The largest import body; the route raises the global 1 MiB limit to this.
pub const MAX_IMPORT_BODY_BYTES: usize = MAX_FILE_BYTES;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Check every row and report; write nothing (default false).
    pub dry_run: Option<bool>,
    /// `csv` or `xlsx`; when absent, taken from the content (an .xlsx is a zip archive).
    pub format: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RowErrorBody {
    /// The row as Excel numbers it: the header is row 1.
    pub row: u32,
    /// The field at fault, e.g. `credit_code` (for an unknown column: the header).
    pub field: String,
    /// The column as headed in the file, e.g. `统一社会信用代码`.
    pub column: String,
    pub message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedBody {
    pub institutions: u32,
    pub departments: u32,
    pub contacts: u32,
    pub products: u32,
    pub parts: u32,
    /// Stock rows (part and location) given an opening balance or levels.
    pub stock: u32,
}

/// The outcome of an import or a dry run.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReportBody {
    /// `institutions`, `contacts`, `products`, `parts` or `stock`.
    pub kind: String,
    pub dry_run: bool,
    /// Data rows in the file (blank rows not counted).
    pub rows: u32,
    /// Rows without a mistake.
    pub rows_ok: u32,
    /// True when every row was written; false after a dry run or a refusal.
    pub imported: bool,
    /// Written, or (clean dry run) what would be written.
    pub created: CreatedBody,
    /// Every bad row's reasons in row order (at most 1000 listed); nothing is written when
    /// there is any.
    pub errors: Vec<RowErrorBody>,
    /// Errors beyond the ones listed.
    pub more_errors: u32,
}

impl From<ImportReport> for ImportReportBody {
    fn from(r: ImportReport) -> Self {
        ImportReportBody {
            kind: r.kind.code().to_owned(),
            dry_run: r.dry_run,
            rows: r.rows,
            rows_ok: r.rows_ok,
            imported: r.imported,
            created: CreatedBody {
                institutions: r.created.institutions,
                departments: r.created.departments,
                contacts: r.created.contacts,
                products: r.created.products,
                parts: r.created.parts,
                stock: r.created.stock,
            },
            errors: r
                .errors
                .into_iter()
                .map(|e| RowErrorBody {
                    row: e.row,
                    field: e.field,
                    column: e.column,
                    message: e.message,
                })
                .collect(),
            more_errors: r.more_errors,
        }
    }
}

/// The raw request body: 413 (JSON) over the route's limit, 400 when it cannot be read.
pub struct FileBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for FileBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(FileBody)
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        "the request body could not be read",
                    )
                }
            })
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "the file is larger than {} MiB; split it into smaller files",
            MAX_IMPORT_BODY_BYTES / 1024 / 1024
        ),
    )
}

fn format_param(format: Option<&str>) -> Result<Option<Format>, ApiError> {
    format
        .filter(|f| !f.is_empty())
        .map(|f| {
            f.parse::<Format>().map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "validation failed",
                )
                .field("format", e)
            })
        })
        .transpose()
}

async fn import(
    s: AppState,
    ctx: medcrm_app::Ctx,
    kind: ImportKind,
    p: ImportParams,
    body: Bytes,
) -> Result<Json<ImportReportBody>, ApiError> {
    let format = format_param(p.format.as_deref())?;
    let dry_run = p.dry_run.unwrap_or(false);
    let report = s
        .app
        .import_file(&ctx, kind, format, body, dry_run, &Quiet)
        .await?;
    if !dry_run && !report.is_clean() {
        // The one error format, each bad cell under `row N: column`; a dry run gives the
        // same as a structured report.
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!(
                "{} of {} rows have mistakes; nothing was imported",
                report.rows.saturating_sub(report.rows_ok),
                report.rows
            ),
        );
        for r in &report.errors {
            e = e.field(format!("row {}: {}", r.row, r.column), r.message.clone());
        }
        return Err(e);
    }
    Ok(Json(report.into()))
}

/// SYS-3: import institutions from a .csv or .xlsx file sent as the body (≤ 20 MiB, ≤ 50,000
/// rows; header row of column names in English or Chinese, e.g. `name`/`名称`). All or
/// nothing: with `dry_run=true` the answer is the row-numbered report and nothing is
/// written; otherwise a file with any bad row is 422 naming every bad cell as
/// `row N: column`, and nothing is written. Send .xlsx as `application/octet-stream`.
#[utoipa::path(post, path = "/api/v1/imports/institutions", tag = "imports", security(("bearer" = [])),
    params(ImportParams),
    request_body(description = "The file: CSV (UTF-8 or GBK) or .xlsx.",
        content(("text/csv"), ("application/octet-stream"))),
    responses((status = 200, body = ImportReportBody, description = "Imported, or the dry run's report"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "The file is larger than 20 MiB"),
        (status = 422, body = ErrorBody, description = "Bad parameter, unreadable file, or rows refused")))]
pub async fn import_institutions(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(p): ApiQuery<ImportParams>,
    FileBody(body): FileBody,
) -> Result<Json<ImportReportBody>, ApiError> {
    import(s, ctx, ImportKind::Institutions, p, body).await
}

/// SYS-3: import departments and contacts: one row per contact (or per department when the
/// contact's name is blank), the institution named by `institution_id`, its credit code, or
/// its name and city, among the caller's customers. Same rules as the institutions import.
#[utoipa::path(post, path = "/api/v1/imports/contacts", tag = "imports", security(("bearer" = [])),
    params(ImportParams),
    request_body(description = "The file: CSV (UTF-8 or GBK) or .xlsx.",
        content(("text/csv"), ("application/octet-stream"))),
    responses((status = 200, body = ImportReportBody, description = "Imported, or the dry run's report"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "The file is larger than 20 MiB"),
        (status = 422, body = ErrorBody, description = "Bad parameter, unreadable file, or rows refused")))]
pub async fn import_contacts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(p): ApiQuery<ImportParams>,
    FileBody(body): FileBody,
) -> Result<Json<ImportReportBody>, ApiError> {
    import(s, ctx, ImportKind::Contacts, p, body).await
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Part of the name, pinyin initials or credit code (as the list).
    pub q: Option<String>,
    pub kind: Option<String>,
    pub grade: Option<String>,
    pub category: Option<String>,
    /// This region and everything under it.
    pub region_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// Only customers whose next visit is overdue.
    pub overdue: Option<bool>,
    /// `zh-CN` (default): Chinese headers and labels; `en`: English column codes and value
    /// codes. Both import again as they are.
    pub lang: Option<String>,
}

impl ExportQuery {
    pub fn query(&self) -> InstitutionQuery {
        InstitutionQuery {
            query: self.q.clone(),
            kind: self.kind.clone(),
            grade: self.grade.clone(),
            category: self.category.clone(),
            region_id: self.region_id,
            owner_id: self.owner_id,
            overdue: self.overdue.unwrap_or(false),
            cursor: None,
            limit: None,
        }
    }

    fn labels(&self) -> Result<Labels, ApiError> {
        labels_of(self.lang.as_deref())
    }
}

/// `lang` of an export: Chinese labels (default) or codes.
pub(crate) fn labels_of(lang: Option<&str>) -> Result<Labels, ApiError> {
    match lang {
        None | Some("" | "zh-CN" | "zh") => Ok(Labels::Chinese),
        Some("en") => Ok(Labels::Codes),
        Some(_) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "validation failed",
        )
        .field("lang", "use zh-CN or en")),
    }
}

/// A file download: its content type and a `Content-Disposition` naming it.
pub fn download(bytes: Vec<u8>, format: Format, name: &str) -> Response {
    let file = format!(
        "{name}-{}.{}",
        medcrm_app::customers::today(),
        format.extension()
    );
    let mut res = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        )],
        bytes,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

#[derive(Clone, Copy)]
enum What {
    Institutions,
    Contacts,
}

async fn export(
    s: AppState,
    ctx: medcrm_app::Ctx,
    what: What,
    q: ExportQuery,
    format: Format,
) -> Result<Response, ApiError> {
    let labels = q.labels()?;
    let query = q.query();
    let (table, name) = match what {
        What::Institutions => (
            s.app.export_institutions(&ctx, &query, labels).await?,
            "institutions",
        ),
        What::Contacts => (
            s.app.export_contacts(&ctx, &query, labels).await?,
            "contacts",
        ),
    };
    send_table(table, format, name).await
}

/// The table written as a file (off the async threads: a big workbook is CPU work).
pub async fn send_table(
    table: medcrm_app::imports::Table,
    format: Format,
    name: &str,
) -> Result<Response, ApiError> {
    let bytes =
        tokio::task::spawn_blocking(move || medcrm_app::imports::write_table(&table, format))
            .await
            .map_err(|e| medcrm_app::Error::Internal(format!("export: {e}")))??;
    Ok(download(bytes, format, name))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductExportQuery {
    /// Part of the name, code or model, or the name's pinyin initials.
    pub q: Option<String>,
    pub product_line: Option<String>,
    pub manufacturer_id: Option<i64>,
    pub active: Option<bool>,
    /// `zh-CN` (default) or `en`, as for institutions.
    pub lang: Option<String>,
}

async fn export_products(
    s: AppState,
    ctx: medcrm_app::Ctx,
    q: ProductExportQuery,
    format: Format,
) -> Result<Response, ApiError> {
    let labels = labels_of(q.lang.as_deref())?;
    let query = ProductQuery {
        query: q.q,
        product_line: q.product_line,
        manufacturer_id: q.manufacturer_id,
        active: q.active,
        cursor: None,
        limit: None,
    };
    let table = s.app.export_products(&ctx, &query, labels).await?;
    send_table(table, format, "products").await
}

/// SYS-3, PRD-1: the product catalog (with the list's filters) as CSV, in the import's
/// columns plus each product's current registration.
#[utoipa::path(get, path = "/api/v1/exports/products.csv", tag = "imports", security(("bearer" = [])),
    params(ProductExportQuery),
    responses((status = 200, content_type = "text/csv", body = String, description = "The CSV file"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_products_csv(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ProductExportQuery>,
) -> Result<Response, ApiError> {
    export_products(s, ctx, q, Format::Csv).await
}

/// SYS-3, PRD-1: the product catalog as an Excel workbook (.xlsx).
#[utoipa::path(get, path = "/api/v1/exports/products.xlsx", tag = "imports", security(("bearer" = [])),
    params(ProductExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The workbook"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_products_xlsx(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ProductExportQuery>,
) -> Result<Response, ApiError> {
    export_products(s, ctx, q, Format::Xlsx).await
}

/// SYS-3, PRD-1: import catalog entries (compliance roles): one row per product with code,
/// name, model, product line, manufacturer (by name, a manufacturer on the suppliers page) and
/// unit; serialized / implantable / active as 是/否. All rows or none; codes new to the catalog.
#[utoipa::path(post, path = "/api/v1/imports/products", tag = "imports", security(("bearer" = [])),
    params(ImportParams),
    request_body(description = "The file: CSV (UTF-8 or GBK) or .xlsx.",
        content(("text/csv"), ("application/octet-stream"))),
    responses((status = 200, body = ImportReportBody, description = "Imported, or the dry run's report"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "The file is larger than 20 MiB"),
        (status = 422, body = ErrorBody, description = "Bad parameter, unreadable file, or rows refused")))]
pub async fn import_products(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(p): ApiQuery<ImportParams>,
    FileBody(body): FileBody,
) -> Result<Json<ImportReportBody>, ApiError> {
    import(s, ctx, ImportKind::Products, p, body).await
}

/// SYS-3: the caller's institutions (their scope only, with the list's filters) as CSV
/// (UTF-8 with BOM, for Excel). At most 50,000; narrow the filters beyond that (422).
#[utoipa::path(get, path = "/api/v1/exports/institutions.csv", tag = "imports", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String, description = "The CSV file"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_institutions_csv(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    export(s, ctx, What::Institutions, q, Format::Csv).await
}

/// SYS-3: the caller's institutions as an Excel workbook (.xlsx).
#[utoipa::path(get, path = "/api/v1/exports/institutions.xlsx", tag = "imports", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The workbook"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_institutions_xlsx(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    export(s, ctx, What::Institutions, q, Format::Xlsx).await
}

/// SYS-3: the departments and contacts of the caller's institutions (filters as the list) as
/// CSV, in the columns the contacts import reads.
#[utoipa::path(get, path = "/api/v1/exports/contacts.csv", tag = "imports", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String, description = "The CSV file"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_contacts_csv(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    export(s, ctx, What::Contacts, q, Format::Csv).await
}

/// SYS-3: the departments and contacts of the caller's institutions as .xlsx.
#[utoipa::path(get, path = "/api/v1/exports/contacts.xlsx", tag = "imports", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The workbook"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_contacts_xlsx(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    export(s, ctx, What::Contacts, q, Format::Xlsx).await
}

/// SYS-3, PRT-1: import spare parts (warehouse, admin): one row per part with code, name and
/// unit; spec, unit cost in yuan, tracking (无/批号/序列号), active (是/否) and the codes of the
/// products it fits (separated by `;`). All rows or none; codes new to the catalog.
#[utoipa::path(post, path = "/api/v1/imports/parts", tag = "imports", security(("bearer" = [])),
    params(ImportParams),
    request_body(description = "The file: CSV (UTF-8 or GBK) or .xlsx.",
        content(("text/csv"), ("application/octet-stream"))),
    responses((status = 200, body = ImportReportBody, description = "Imported, or the dry run's report"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "The file is larger than 20 MiB"),
        (status = 422, body = ErrorBody, description = "Bad parameter, unreadable file, or rows refused")))]
pub async fn import_parts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(p): ApiQuery<ImportParams>,
    FileBody(body): FileBody,
) -> Result<Json<ImportReportBody>, ApiError> {
    import(s, ctx, ImportKind::Parts, p, body).await
}

/// SYS-3, PRT-1/2: import opening stock (warehouse, admin) in the stock report's columns: part
/// code, location (warehouse code or name), quantity on hand (booked as a receipt with the
/// reason 期初库存导入) and optionally min/max. A part that already has stock at the location
/// is refused (an import twice must not double it). All rows or none.
#[utoipa::path(post, path = "/api/v1/imports/stock", tag = "imports", security(("bearer" = [])),
    params(ImportParams),
    request_body(description = "The file: CSV (UTF-8 or GBK) or .xlsx.",
        content(("text/csv"), ("application/octet-stream"))),
    responses((status = 200, body = ImportReportBody, description = "Imported, or the dry run's report"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "The file is larger than 20 MiB"),
        (status = 422, body = ErrorBody, description = "Bad parameter, unreadable file, or rows refused")))]
pub async fn import_stock(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(p): ApiQuery<ImportParams>,
    FileBody(body): FileBody,
) -> Result<Json<ImportReportBody>, ApiError> {
    import(s, ctx, ImportKind::Stock, p, body).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PartExportQuery {
    /// Part of the code, name or spec.
    pub q: Option<String>,
    /// Only parts that fit this product.
    pub product_id: Option<i64>,
    pub active: Option<bool>,
    /// `zh-CN` (default) or `en`, as for institutions.
    pub lang: Option<String>,
}

async fn export_parts(
    s: AppState,
    ctx: medcrm_app::Ctx,
    q: PartExportQuery,
    format: Format,
) -> Result<Response, ApiError> {
    let labels = labels_of(q.lang.as_deref())?;
    let query = PartQuery {
        q: q.q,
        product_id: q.product_id,
        active: q.active,
        cursor: None,
        limit: None,
    };
    let table = s.app.export_parts(&ctx, query, labels).await?;
    send_table(table, format, "parts").await
}

/// SYS-3, PRT-1: the parts catalog (with the catalog's filters) as CSV, in the import's
/// columns.
#[utoipa::path(get, path = "/api/v1/exports/parts.csv", tag = "imports", security(("bearer" = [])),
    params(PartExportQuery),
    responses((status = 200, content_type = "text/csv", body = String, description = "The CSV file"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_parts_csv(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PartExportQuery>,
) -> Result<Response, ApiError> {
    export_parts(s, ctx, q, Format::Csv).await
}

/// SYS-3, PRT-1: the parts catalog as an Excel workbook (.xlsx).
#[utoipa::path(get, path = "/api/v1/exports/parts.xlsx", tag = "imports", security(("bearer" = [])),
    params(PartExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The workbook"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_parts_xlsx(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PartExportQuery>,
) -> Result<Response, ApiError> {
    export_parts(s, ctx, q, Format::Xlsx).await
}
