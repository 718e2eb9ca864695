//! SYS-3 in the browser: the upload pages — customers, and the warehouse's parts and opening
//! stock — (a dry run by default, then a row-numbered report or "N rows imported"), the empty
//! templates to fill in, and the export downloads behind the customer list's buttons (the
//! list's filters, the caller's scope).

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::Ctx;
use medcrm_app::customers::InstitutionQuery;
use medcrm_app::imports::{
    Format, ImportKind, ImportReport, Labels, MAX_FILE_BYTES, Quiet, RowError, import_template,
    write_table,
};
use medcrm_app::policy::{self, Action};
use serde::Deserialize;

use crate::AppState;
use crate::api::imports::download;
use crate::error::UiError;
use crate::extract::{ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::{PageCtx, Shell, render};

/// The upload route's body limit: the largest file plus room for the form's other fields.
pub const MAX_UPLOAD_BODY_BYTES: usize = MAX_FILE_BYTES + 64 * 1024;

/// The columns of one kind of file, for the page's help.
struct Guide {
    kind: &'static str,
    title: &'static str,
    help: &'static str,
    /// `(Chinese header, English header, required)`.
    columns: Vec<(&'static str, &'static str, bool)>,
}

fn guide(kind: ImportKind, title: &'static str, help: &'static str, required: &[&str]) -> Guide {
    Guide {
        kind: kind.code(),
        title,
        help,
        columns: kind
            .columns()
            .iter()
            .filter(|c| c.imported)
            .map(|c| (c.zh, c.field, required.contains(&c.field)))
            .collect(),
    }
}

/// Where an import page lives: the customers' (institutions, contacts) or the warehouse's
/// (parts catalog, opening stock). Each has its own permission, kinds and way back.
#[derive(Clone, Copy)]
pub enum Desk {
    Customers,
    Parts,
}

impl Desk {
    fn path(self) -> &'static str {
        match self {
            Desk::Customers => "/customers/import",
            Desk::Parts => "/parts/import",
        }
    }

    /// `(href, its title, the "view them" button)` of the page the import serves.
    fn back(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Desk::Customers => ("/customers", "cus.title", "imp.view_customers"),
            Desk::Parts => ("/parts", "prt.catalog", "imp.view_parts"),
        }
    }

    fn title(self) -> &'static str {
        match self {
            Desk::Customers => "imp.title",
            Desk::Parts => "imp.title.parts",
        }
    }

    /// Who may open the page (each kind's own permission is checked again on import).
    fn action(self) -> Action {
        match self {
            Desk::Customers => Action::ManageCustomers,
            Desk::Parts => Action::ManageStock,
        }
    }

    fn guides(self) -> Vec<Guide> {
        match self {
            Desk::Customers => vec![
                guide(
                    ImportKind::Institutions,
                    "imp.kind.institutions",
                    "imp.help.institutions",
                    &["name", "kind", "province", "city"],
                ),
                guide(
                    ImportKind::Contacts,
                    "imp.kind.contacts",
                    "imp.help.contacts",
                    &[],
                ),
            ],
            Desk::Parts => vec![
                guide(
                    ImportKind::Parts,
                    "imp.kind.parts",
                    "imp.help.parts",
                    &["code", "name", "unit"],
                ),
                guide(
                    ImportKind::Stock,
                    "imp.kind.stock",
                    "imp.help.stock",
                    &["part_code", "warehouse"],
                ),
            ],
        }
    }

    fn default_kind(self) -> &'static str {
        match self {
            Desk::Customers => "institutions",
            Desk::Parts => "parts",
        }
    }
}

/// The report as the page shows it.
struct ReportView {
    dry_run: bool,
    imported: bool,
    clean: bool,
    rows: u32,
    bad_rows: u32,
    /// `(i18n key, number)` of what was or would be created.
    created: Vec<(&'static str, u32)>,
    errors: Vec<RowError>,
    more_errors: u32,
}

impl From<ImportReport> for ReportView {
    fn from(r: ImportReport) -> Self {
        ReportView {
            dry_run: r.dry_run,
            imported: r.imported,
            clean: r.is_clean(),
            rows: r.rows,
            bad_rows: r.rows.saturating_sub(r.rows_ok),
            created: match r.kind {
                ImportKind::Institutions | ImportKind::Contacts => vec![
                    ("imp.institutions", r.created.institutions),
                    ("cus.departments", r.created.departments),
                    ("cus.contacts", r.created.contacts),
                ],
                ImportKind::Products => vec![("imp.products", r.created.products)],
                ImportKind::Parts => vec![("imp.parts", r.created.parts)],
                ImportKind::Stock => vec![("imp.stock_rows", r.created.stock)],
            },
            errors: r.errors,
            more_errors: r.more_errors,
        }
    }
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    t: Lang,
    shell: Shell,
    title: &'static str,
    path: &'static str,
    back: (&'static str, &'static str, &'static str),
    kind: String,
    dry_run: bool,
    error: Option<String>,
    report: Option<ReportView>,
    guides: Vec<Guide>,
}

/// What the page shows besides its desk: the kind chosen, the dry-run box, and an error or
/// a report.
struct FormState {
    kind: String,
    dry_run: bool,
    error: Option<String>,
    report: Option<ReportView>,
}

fn page(
    desk: Desk,
    p: &PageCtx,
    ctx: &Ctx,
    status: StatusCode,
    st: FormState,
) -> Result<Response, UiError> {
    render(
        status,
        &ImportPage {
            t: p.t,
            shell: p.shell(ctx),
            title: desk.title(),
            path: desk.path(),
            back: desk.back(),
            kind: st.kind,
            dry_run: st.dry_run,
            error: st.error,
            report: st.report,
            guides: desk.guides(),
        },
    )
}

async fn form(desk: Desk, ctx: &Ctx, p: &PageCtx) -> Result<Response, UiError> {
    policy::require(&ctx.actor, desk.action())?;
    let st = FormState {
        kind: desk.default_kind().to_owned(),
        dry_run: true,
        error: None,
        report: None,
    };
    page(desk, p, ctx, StatusCode::OK, st)
}

pub async fn customers_form(UiCaller(ctx): UiCaller, p: PageCtx) -> Result<Response, UiError> {
    form(Desk::Customers, &ctx, &p).await
}

pub async fn parts_form(UiCaller(ctx): UiCaller, p: PageCtx) -> Result<Response, UiError> {
    form(Desk::Parts, &ctx, &p).await
}

/// What the upload form sent.
struct Upload {
    kind: String,
    dry_run: bool,
    file_name: String,
    bytes: axum::body::Bytes,
}

/// Reads the form; `Err((status, message))` for an upload that cannot be used.
async fn read_upload(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Upload, (StatusCode, String)> {
    let unreadable = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            (
                status,
                format!(
                    "the file is larger than {} MiB; split it into smaller files",
                    MAX_FILE_BYTES / 1024 / 1024
                ),
            )
        } else {
            (
                StatusCode::BAD_REQUEST,
                "the upload could not be read; try again".to_owned(),
            )
        }
    };
    let mut form = multipart.map_err(|e| unreadable(e.status()))?;
    let mut upload = Upload {
        kind: String::new(),
        dry_run: false,
        file_name: String::new(),
        bytes: axum::body::Bytes::new(),
    };
    // Bounded by the body limit: a form of a few fields and one file.
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| unreadable(e.status()))?
    {
        match field.name() {
            Some("kind") => {
                upload.kind = field.text().await.map_err(|e| unreadable(e.status()))?;
            }
            Some("dry_run") => upload.dry_run = true,
            Some("file") => {
                upload.file_name = field.file_name().unwrap_or_default().to_owned();
                upload.bytes = field.bytes().await.map_err(|e| unreadable(e.status()))?;
            }
            _ => {}
        }
    }
    Ok(upload)
}

pub async fn customers_upload(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    upload(Desk::Customers, &s, &ctx, &p, multipart).await
}

pub async fn parts_upload(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    upload(Desk::Parts, &s, &ctx, &p, multipart).await
}

async fn upload(
    desk: Desk,
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, desk.action())?;
    let up = match read_upload(multipart).await {
        Ok(up) => up,
        Err((status, message)) => {
            let st = FormState {
                kind: desk.default_kind().to_owned(),
                dry_run: true,
                error: Some(message),
                report: None,
            };
            return page(desk, p, ctx, status, st);
        }
    };
    let refuse = |message: String| {
        let st = FormState {
            kind: up.kind.clone(),
            dry_run: up.dry_run,
            error: Some(message),
            report: None,
        };
        page(desk, p, ctx, StatusCode::UNPROCESSABLE_ENTITY, st)
    };
    // Only the kinds this page offers: a customer page never imports stock.
    let offered = desk.guides().iter().any(|g| g.kind == up.kind);
    let kind = match up.kind.parse::<ImportKind>() {
        Ok(kind) if offered => kind,
        _ => return refuse("choose what the file contains".into()),
    };
    if up.bytes.is_empty() {
        return refuse("choose a file to upload".into());
    }
    // The file's extension says what it is; without one the content decides.
    let format = match up.file_name.rsplit_once('.') {
        None => None,
        Some(_) => match Format::of_file_name(&up.file_name) {
            Some(f) => Some(f),
            None => {
                return refuse(
                    "only .xlsx and .csv files can be imported (save an .xls file as .xlsx)".into(),
                );
            }
        },
    };
    let result = s
        .app
        .import_file(ctx, kind, format, up.bytes.clone(), up.dry_run, &Quiet)
        .await;
    match result {
        Ok(report) => {
            let status = if report.is_clean() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            // After a clean dry run the form is ready for the real import of the same file.
            let st = FormState {
                kind: kind.code().to_owned(),
                dry_run: !(report.dry_run && report.is_clean()),
                error: None,
                report: Some(report.into()),
            };
            page(desk, p, ctx, status, st)
        }
        Err(medcrm_app::Error::Invalid(fields)) => {
            let message = fields.into_values().collect::<Vec<_>>().join("; ");
            refuse(message)
        }
        Err(e) => Err(e.into()),
    }
}

fn labels_of(t: Lang) -> Labels {
    match t {
        Lang::Zh => Labels::Chinese,
        Lang::En => Labels::Codes,
    }
}

fn format_of(text: Option<&str>) -> Result<Format, UiError> {
    text.unwrap_or("xlsx")
        .parse::<Format>()
        .map_err(|e| UiError(medcrm_app::Error::invalid("format", e)))
}

pub(crate) async fn file(
    table: medcrm_app::imports::Table,
    format: Format,
) -> Result<Vec<u8>, UiError> {
    tokio::task::spawn_blocking(move || write_table(&table, format))
        .await
        .map_err(|e| UiError(medcrm_app::Error::Internal(format!("export: {e}"))))?
        .map_err(UiError)
}

#[derive(Deserialize, Default)]
pub struct TemplateQuery {
    kind: Option<String>,
    format: Option<String>,
}

/// An empty file with the headers of `kind`, in the page language, for whoever may import it.
pub async fn template(
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> Result<Response, UiError> {
    let kind = q
        .kind
        .as_deref()
        .unwrap_or("institutions")
        .parse::<ImportKind>()
        .map_err(|e| UiError(medcrm_app::Error::invalid("kind", e)))?;
    policy::require(&ctx.actor, kind.action())?;
    let format = format_of(q.format.as_deref())?;
    let bytes = file(import_template(kind, labels_of(p.t)), format).await?;
    Ok(download(bytes, format, kind.code()))
}

/// The customer list's filters, as its page sends them, and what to export.
#[derive(Deserialize, Default)]
pub struct ExportQuery {
    /// `institutions` (default) or `contacts`.
    what: Option<String>,
    format: Option<String>,
    q: Option<String>,
    kind: Option<String>,
    grade: Option<String>,
    category: Option<String>,
    region_id: Option<String>,
    overdue: Option<String>,
}

pub async fn export(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, UiError> {
    let format = format_of(q.format.as_deref())?;
    let region_id = match q.region_id.as_deref().unwrap_or("") {
        "" => None,
        r => Some(
            r.parse::<i64>()
                .map_err(|_| UiError(medcrm_app::Error::invalid("region_id", "unknown region")))?,
        ),
    };
    let blank = |v: Option<String>| v.filter(|v| !v.is_empty());
    let query = InstitutionQuery {
        query: blank(q.q),
        kind: blank(q.kind),
        grade: blank(q.grade),
        category: blank(q.category),
        region_id,
        overdue: q.overdue.is_some_and(|o| !o.is_empty()),
        ..Default::default()
    };
    let labels = labels_of(p.t);
    let (table, name) = match q.what.as_deref().unwrap_or("institutions") {
        "institutions" => (
            s.app.export_institutions(&ctx, &query, labels).await?,
            "institutions",
        ),
        "contacts" => (
            s.app.export_contacts(&ctx, &query, labels).await?,
            "contacts",
        ),
        _ => {
            return Err(UiError(medcrm_app::Error::invalid(
                "what",
                "export institutions or contacts",
            )));
        }
    };
    let bytes = file(table, format).await?;
    Ok(download(bytes, format, name))
}

#[cfg(test)]
mod tests {
    use medcrm_app::domain::customers::{ContactRole, HospitalLevel, InstitutionKind};
    use medcrm_app::imports::{KIND_LABELS, LEVEL_LABELS, ROLE_LABELS, code_of, label_of};

    use crate::i18n::Lang;

    /// SYS-3/SYS-4: the words the UI shows for kinds, levels and roles are the words the
    /// import reads and the export writes, in both languages.
    #[test]
    fn sys_3_import_reads_the_labels_the_ui_shows() {
        let kinds = InstitutionKind::ALL
            .iter()
            .map(|k| ("cus.kind", k.code(), KIND_LABELS));
        let levels = HospitalLevel::ALL
            .iter()
            .map(|k| ("cus.level", k.code(), LEVEL_LABELS));
        let roles = ContactRole::ALL
            .iter()
            .map(|k| ("cus.role", k.code(), ROLE_LABELS));
        for (prefix, code, labels) in kinds.chain(levels).chain(roles) {
            let key = format!("{prefix}.{code}");
            for t in [Lang::Zh, Lang::En] {
                assert_eq!(code_of(labels, t.t(&key)), Some(code), "{key} {t:?}");
            }
            assert_eq!(label_of(labels, code), Lang::Zh.t(&key), "{key}");
        }
    }
}
