//! PRD pages: the catalog (list, form, product page with its documents and prices),
//! suppliers with their documents and first-time reviews (首营), a customer's qualification
//! section, the PRD-4 list of expiring documents, scan downloads and the quality team's
//! review queue. Every action goes through the same use cases as the API.

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::Ctx;
use medcrm_app::customers::today;
use medcrm_app::domain::products::{DocumentKind, Holder, ProductLine};
use medcrm_app::policy::{self, Action};
use medcrm_app::products::{
    DocumentInput, DocumentOwner, DocumentRecord, MAX_SCAN_BYTES, ProductInput, ProductQuery,
    ProductRecord, ReviewRecord, SupplierInput, SupplierRecord, Upload,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::audit::urlencode;
use crate::ui::{
    FieldErrors, FormData, Options, PageCtx, Shell, after_post, decision_error, local_time,
    name_of, options, people, render,
};

/// The document upload route's body limit: the largest scan plus the form's other fields.
pub const MAX_SCAN_BODY_BYTES: usize = MAX_SCAN_BYTES + 64 * 1024;

fn product_lines() -> Options {
    options(ProductLine::ALL, ProductLine::code, "opp.line")
}

/// The document kinds a holder may file, for the add-document form.
fn document_kinds(holder: Holder) -> Options {
    let fitting: Vec<DocumentKind> = DocumentKind::ALL
        .iter()
        .copied()
        .filter(|k| k.fits(holder))
        .collect();
    options(&fitting, DocumentKind::code, "doc.kind")
}

// ---- documents, shared by the product, supplier and customer pages ----

/// PRD-4 as a chip: expired, not yet valid, expiring within the alert window, or valid.
fn validity(valid_from: &str, valid_to: &str, today: &str, window_end: &str) -> &'static str {
    if valid_to < today {
        "expired"
    } else if valid_from > today {
        "not_yet"
    } else if valid_to <= window_end {
        "expiring"
    } else {
        "valid"
    }
}

/// One document as a row.
pub struct DocView {
    id: i64,
    kind_key: String,
    number: String,
    device_class: String,
    holder: String,
    valid_from: String,
    valid_to: String,
    status: &'static str,
    days_left: i64,
    file_name: Option<String>,
    owner_name: String,
    owner_link: String,
}

/// The last day of the alert window (the longest PRD-4 threshold) and today, as text.
async fn alert_window(s: &AppState, ctx: &Ctx) -> Result<(String, String), UiError> {
    let days = s.app.expiry_alert_days(ctx).await?;
    let longest = i64::from(days.first().copied().unwrap_or(90));
    let today = today();
    let end = today
        .checked_add(jiff::ToSpan::days(longest))
        .unwrap_or(today);
    Ok((today.to_string(), end.to_string()))
}

async fn doc_views(
    s: &AppState,
    ctx: &Ctx,
    docs: &[DocumentRecord],
) -> Result<Vec<DocView>, UiError> {
    let (today_text, end) = alert_window(s, ctx).await?;
    let today = today();
    Ok(docs
        .iter()
        .map(|d| DocView {
            id: d.id,
            kind_key: format!("doc.kind.{}", d.kind),
            number: d.number.clone(),
            device_class: d.device_class.clone().unwrap_or_default(),
            holder: d.holder.clone(),
            valid_from: d.valid_from.clone(),
            valid_to: d.valid_to.clone(),
            status: validity(&d.valid_from, &d.valid_to, &today_text, &end),
            days_left: d
                .valid_to
                .parse::<jiff::civil::Date>()
                .map(|to| i64::from((to - today).get_days()))
                .unwrap_or_default(),
            file_name: d.file_name.clone(),
            owner_name: d.owner_name.clone(),
            owner_link: match (d.product_id, d.supplier_id, d.institution_id) {
                (Some(p), _, _) => format!("/products/{p}"),
                (_, Some(sup), _) => format!("/suppliers/{sup}"),
                (_, _, Some(i)) => format!("/customers/{i}"),
                _ => String::new(),
            },
        })
        .collect())
}

#[derive(Template)]
#[template(path = "products/documents.html")]
struct DocumentsSection<'a> {
    t: Lang,
    csrf: &'a str,
    title_key: &'a str,
    rows: Vec<DocView>,
    /// Where the add form posts; `None` when the caller may not add.
    action: Option<String>,
    kinds: Options,
    /// Device class belongs to product registrations only.
    with_class: bool,
    errors: &'a FieldErrors,
}

/// The documents table of an owner, with the add form when `action` is given.
#[allow(clippy::too_many_arguments)] // one call per owner page; a struct would only rename them
async fn documents_html(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    title_key: &str,
    docs: &[DocumentRecord],
    holder: Holder,
    action: Option<String>,
    errors: &FieldErrors,
) -> Result<String, UiError> {
    let section = DocumentsSection {
        t: p.t,
        csrf: &p.csrf,
        title_key,
        rows: doc_views(s, ctx, docs).await?,
        action,
        kinds: document_kinds(holder),
        with_class: holder == Holder::Product,
        errors,
    };
    html(&section)
}

fn html(t: &impl Template) -> Result<String, UiError> {
    t.render()
        .map_err(|e| UiError(medcrm_app::Error::Internal(format!("template: {e}"))))
}

struct ReviewView {
    id: i64,
    subject: String,
    subject_link: String,
    status: String,
    status_key: String,
    note: String,
    submitted_by: String,
    submitted_at: String,
    decided_by: String,
    decided_at: String,
    comment: String,
}

async fn review_views(
    s: &AppState,
    ctx: &Ctx,
    t: Lang,
    reviews: &[ReviewRecord],
) -> Result<Vec<ReviewView>, UiError> {
    let ids = reviews
        .iter()
        .flat_map(|r| [Some(r.submitted_by), r.decided_by])
        .flatten()
        .collect();
    let names = people(s, ctx, ids).await;
    let name = |id: i64| name_of(t, &names, id);
    Ok(reviews
        .iter()
        .map(|r| ReviewView {
            id: r.id,
            subject: r.subject_name.clone(),
            subject_link: match (r.institution_id, r.supplier_id) {
                (Some(i), _) => format!("/customers/{i}"),
                (_, Some(sup)) => format!("/suppliers/{sup}"),
                _ => String::new(),
            },
            status: r.status.clone(),
            status_key: format!("rev.status.{}", r.status),
            note: r.note.clone(),
            submitted_by: name(r.submitted_by),
            submitted_at: local_time(r.submitted_at_ms),
            decided_by: r.decided_by.map(name).unwrap_or_default(),
            decided_at: r.decided_at_ms.map(local_time).unwrap_or_default(),
            comment: r.comment.clone(),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "products/reviews.html")]
struct ReviewsSection<'a> {
    t: Lang,
    csrf: &'a str,
    rows: Vec<ReviewView>,
    /// Where "submit for first-time review" posts; `None` when the caller may not submit.
    action: Option<String>,
    errors: &'a FieldErrors,
}

async fn reviews_html(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    reviews: &[ReviewRecord],
    action: Option<String>,
    errors: &FieldErrors,
) -> Result<String, UiError> {
    let pending = reviews.first().is_some_and(|r| r.status != "rejected");
    html(&ReviewsSection {
        t: p.t,
        csrf: &p.csrf,
        rows: review_views(s, ctx, p.t, reviews).await?,
        // Nothing to submit while a review waits or once one is approved.
        action: action.filter(|_| !pending),
        errors,
    })
}

/// The "资质/首营" section of the customer page: licences and first-time reviews.
pub(crate) async fn customer_qualification_html(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    errors: &FieldErrors,
) -> Result<String, UiError> {
    let q = s.app.customer_qualification(ctx, id).await?;
    let may = |a| policy::scope(&ctx.actor, a).is_some();
    let manage = may(Action::ManageCustomers);
    let docs = documents_html(
        s,
        ctx,
        p,
        "doc.licences",
        &q.documents,
        Holder::Institution,
        (manage || may(Action::ReviewQualifications)).then(|| format!("/customers/{id}/documents")),
        errors,
    )
    .await?;
    let reviews = reviews_html(
        s,
        ctx,
        p,
        &q.reviews,
        manage.then(|| format!("/customers/{id}/review")),
        errors,
    )
    .await?;
    Ok(docs + &reviews)
}

/// What the add-document form sent.
struct DocumentForm {
    input: DocumentInput,
    scan: Option<Upload>,
}

/// Reads the multipart add-document form; `Err` with the field message when unreadable.
async fn read_document_form(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<DocumentForm, (StatusCode, FieldErrors)> {
    let unreadable = |status: StatusCode| {
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "the file is larger than {} MiB",
                MAX_SCAN_BYTES / 1024 / 1024
            )
        } else {
            "the upload could not be read; try again".to_owned()
        };
        let status = if status == StatusCode::PAYLOAD_TOO_LARGE {
            status
        } else {
            StatusCode::BAD_REQUEST
        };
        (status, FieldErrors::from([("file".to_owned(), message)]))
    };
    let mut form = multipart.map_err(|e| unreadable(e.status()))?;
    let mut input = DocumentInput::default();
    let mut scan = None;
    // Bounded by the route's body limit: a few short fields and one file.
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| unreadable(e.status()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|e| unreadable(e.status()))?;
            // A browser sends an empty part when no file was chosen: the scan is optional.
            if !(file_name.is_empty() && bytes.is_empty()) {
                scan = Some(Upload {
                    name: file_name,
                    bytes: bytes.to_vec(),
                });
            }
            continue;
        }
        let text = field.text().await.map_err(|e| unreadable(e.status()))?;
        match name.as_str() {
            "kind" => input.kind = text,
            "number" => input.number = text,
            "device_class" => input.device_class = Some(text),
            "holder" => input.holder = text,
            "scope" => input.scope = text,
            "valid_from" => input.valid_from = text,
            "valid_to" => input.valid_to = text,
            _ => {}
        }
    }
    Ok(DocumentForm { input, scan })
}

/// The page a document belongs to, shown again with the form's errors.
async fn owner_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    owner: DocumentOwner,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    match owner {
        DocumentOwner::Product(id) => product_page(s, ctx, p, id, status, false, errors).await,
        DocumentOwner::Supplier(id) => supplier_page(s, ctx, p, id, status, false, errors).await,
        DocumentOwner::Institution(id) => {
            crate::ui::customers::show_page(s, ctx, p, id, status, false, errors).await
        }
    }
}

fn owner_path(owner: DocumentOwner) -> String {
    match owner {
        DocumentOwner::Product(id) => format!("/products/{id}"),
        DocumentOwner::Supplier(id) => format!("/suppliers/{id}"),
        DocumentOwner::Institution(id) => format!("/customers/{id}"),
    }
}

async fn add_document(
    s: AppState,
    ctx: Ctx,
    p: PageCtx,
    owner: DocumentOwner,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    let form = match read_document_form(multipart).await {
        Ok(f) => f,
        Err((status, errors)) => return owner_page(&s, &ctx, &p, owner, status, errors).await,
    };
    after_post(
        s.app.add_document(&ctx, owner, form.input, form.scan).await,
        |_| format!("{}?saved=1#documents", owner_path(owner)),
        |status, errors| owner_page(&s, &ctx, &p, owner, status, errors),
    )
    .await
}

pub async fn add_product_document(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    add_document(s, ctx, p, DocumentOwner::Product(id), multipart).await
}

pub async fn add_supplier_document(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    add_document(s, ctx, p, DocumentOwner::Supplier(id), multipart).await
}

pub async fn add_customer_document(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    add_document(s, ctx, p, DocumentOwner::Institution(id), multipart).await
}

/// A document's scan as a download; "not found" when absent or out of the caller's scope.
pub async fn scan(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let (doc, bytes) = s.app.document_scan(&ctx, id).await?;
    Ok(crate::api::products::scan_response(&doc, bytes))
}

// ---- product list ----

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    product_line: Option<String>,
    /// `1` active only, `0` withdrawn only, empty for all.
    active: Option<String>,
    cursor: Option<i64>,
}

struct ProductRow {
    id: i64,
    code: String,
    name: String,
    model: String,
    line_key: String,
    manufacturer_id: i64,
    manufacturer: String,
    unit: String,
    active: bool,
}

impl ProductRow {
    fn of(r: &ProductRecord) -> Self {
        ProductRow {
            id: r.id,
            code: r.code.clone(),
            name: r.name.clone(),
            model: r.model.clone(),
            line_key: format!("opp.line.{}", r.product_line),
            manufacturer_id: r.manufacturer_id,
            manufacturer: r.manufacturer_name.clone(),
            unit: r.unit.clone(),
            active: r.active,
        }
    }
}

#[derive(Template)]
#[template(path = "products/list.html")]
struct ListPage {
    t: Lang,
    shell: Shell,
    q: String,
    product_line: String,
    active: String,
    lines: Options,
    rows: Vec<ProductRow>,
    next: Option<String>,
    errors: FieldErrors,
    can_manage: bool,
}

pub async fn list(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, UiError> {
    let active = q.active.clone().unwrap_or_default();
    let query = ProductQuery {
        query: q.q.clone(),
        product_line: q.product_line.clone(),
        active: match active.as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
        cursor: q.cursor,
        ..Default::default()
    };
    let mut errors = FieldErrors::new();
    let (rows, next, status) = match s.app.products(&ctx, &query).await {
        Ok(page) => {
            let next = page.next_cursor.map(|c| {
                format!(
                    "/products?q={}&product_line={}&active={}&cursor={c}",
                    urlencode(q.q.as_deref().unwrap_or("")),
                    urlencode(q.product_line.as_deref().unwrap_or("")),
                    urlencode(&active),
                )
            });
            (
                page.items.iter().map(ProductRow::of).collect(),
                next,
                StatusCode::OK,
            )
        }
        Err(medcrm_app::Error::Invalid(f)) => {
            errors.extend(f.into_iter().map(|(k, v)| (k.to_owned(), v)));
            (Vec::new(), None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(e.into()),
    };
    let page = ListPage {
        t: p.t,
        shell: p.shell(&ctx),
        q: q.q.unwrap_or_default(),
        product_line: q.product_line.unwrap_or_default(),
        active,
        lines: product_lines(),
        rows,
        next,
        errors,
        can_manage: policy::scope(&ctx.actor, Action::ManageProducts).is_some(),
    };
    render(status, &page)
}

// ---- product form ----

/// The form's values as typed, so a refused form comes back as the user left it.
#[derive(Default)]
struct ProductValues {
    code: String,
    name: String,
    model: String,
    product_line: String,
    manufacturer_id: String,
    unit: String,
    serialized: bool,
    implantable: bool,
    shelf_life_months: String,
    active: bool,
}

impl ProductValues {
    fn of(r: &ProductRecord) -> Self {
        ProductValues {
            code: r.code.clone(),
            name: r.name.clone(),
            model: r.model.clone(),
            product_line: r.product_line.clone(),
            manufacturer_id: r.manufacturer_id.to_string(),
            unit: r.unit.clone(),
            serialized: r.serialized,
            implantable: r.implantable,
            shelf_life_months: r
                .shelf_life_months
                .map(|m| m.to_string())
                .unwrap_or_default(),
            active: r.active,
        }
    }

    fn from_form(f: &FormData) -> Self {
        ProductValues {
            code: f.get("code"),
            name: f.get("name"),
            model: f.get("model"),
            product_line: f.get("product_line"),
            manufacturer_id: f.get("manufacturer_id"),
            unit: f.get("unit"),
            serialized: f.has("serialized"),
            implantable: f.has("implantable"),
            shelf_life_months: f.get("shelf_life_months"),
            active: f.has("active"),
        }
    }

    /// The use-case input; a number that does not parse is reported against its field.
    fn input(&self, errors: &mut FieldErrors) -> ProductInput {
        let manufacturer_id = self.manufacturer_id.trim().parse().unwrap_or_else(|_| {
            errors.insert("manufacturer_id".into(), "choose the manufacturer".into());
            0
        });
        let shelf = self.shelf_life_months.trim();
        let shelf_life_months = if shelf.is_empty() {
            None
        } else {
            shelf
                .parse()
                .map_err(|_| {
                    errors.insert(
                        "shelf_life_months".into(),
                        "a whole number of months".into(),
                    );
                })
                .ok()
        };
        ProductInput {
            code: self.code.clone(),
            name: self.name.clone(),
            model: self.model.clone(),
            product_line: self.product_line.clone(),
            manufacturer_id,
            unit: self.unit.clone(),
            serialized: self.serialized,
            implantable: self.implantable,
            shelf_life_months,
            active: self.active,
        }
    }
}

#[derive(Template)]
#[template(path = "products/form.html")]
struct FormPage {
    t: Lang,
    shell: Shell,
    id: Option<i64>,
    v: ProductValues,
    lines: Options,
    manufacturers: Vec<(i64, String)>,
    errors: FieldErrors,
}

/// Suppliers of one kind, `(id, name)`, for a select (up to a page).
async fn suppliers_of_kind(
    s: &AppState,
    ctx: &Ctx,
    kind: &str,
) -> Result<Vec<(i64, String)>, UiError> {
    Ok(s.app
        .suppliers(ctx, None, None, Some(medcrm_app::MAX_PAGE_SIZE))
        .await?
        .items
        .into_iter()
        .filter(|x| x.kind == kind)
        .map(|x| (x.id, x.name))
        .collect())
}

async fn form_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    id: Option<i64>,
    v: ProductValues,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let page = FormPage {
        t: p.t,
        shell: p.shell(ctx),
        id,
        v,
        lines: product_lines(),
        manufacturers: suppliers_of_kind(s, ctx, "manufacturer").await?,
        errors,
    };
    render(status, &page)
}

pub async fn new_form(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageProducts)?;
    let v = ProductValues {
        product_line: ProductLine::LargeEquipment.code().into(),
        unit: "台".into(),
        active: true,
        ..Default::default()
    };
    form_page(&s, &ctx, &p, StatusCode::OK, None, v, FieldErrors::new()).await
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageProducts)?;
    let d = s.app.product(&ctx, id).await?;
    let v = ProductValues::of(&d.record);
    form_page(
        &s,
        &ctx,
        &p,
        StatusCode::OK,
        Some(id),
        v,
        FieldErrors::new(),
    )
    .await
}

/// Create (`id` = `None`) or update, from the same form.
async fn save_product(
    s: AppState,
    ctx: Ctx,
    p: PageCtx,
    id: Option<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let v = ProductValues::from_form(&form);
    let mut errors = FieldErrors::new();
    let input = v.input(&mut errors);
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return form_page(&s, &ctx, &p, status, id, v, errors).await;
    }
    let result = match id {
        None => s.app.create_product(&ctx, input).await,
        Some(id) => s.app.update_product(&ctx, id, input).await,
    };
    after_post(
        result,
        |r| format!("/products/{}?saved=1", r.id),
        |status, errors| form_page(&s, &ctx, &p, status, id, v, errors),
    )
    .await
}

pub async fn create(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    save_product(s, ctx, p, None, form).await
}

pub async fn update(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    save_product(s, ctx, p, Some(id), form).await
}

// ---- the product page ----

/// `?saved=1` after a successful form on the page.
#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "products/show.html")]
struct ShowPage {
    t: Lang,
    shell: Shell,
    r: ProductRecord,
    line_key: String,
    maker_kind_key: String,
    documents: String,
    maker_documents: String,
    /// The price history and the propose form, when the caller may read prices.
    prices: Option<String>,
    can_manage: bool,
    saved: bool,
    errors: FieldErrors,
}

/// The product page; `errors` from a refused document or price form.
pub(crate) async fn product_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    saved: bool,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let d = s.app.product(ctx, id).await?;
    let can_manage = policy::scope(&ctx.actor, Action::ManageProducts).is_some();
    let documents = documents_html(
        s,
        ctx,
        p,
        "doc.registration",
        &d.documents,
        Holder::Product,
        can_manage.then(|| format!("/products/{id}/documents")),
        &errors,
    )
    .await?;
    let licences: Vec<DocumentRecord> = d
        .manufacturer_documents
        .into_iter()
        .filter(|x| x.kind == DocumentKind::ProductionLicence.code())
        .collect();
    let maker_documents = documents_html(
        s,
        ctx,
        p,
        "doc.production_licence",
        &licences,
        Holder::Supplier,
        None,
        &errors,
    )
    .await?;
    let prices = crate::ui::pricing::prices_html(s, ctx, p, id, &errors).await?;
    let page = ShowPage {
        t: p.t,
        shell: p.shell(ctx),
        line_key: format!("opp.line.{}", d.record.product_line),
        maker_kind_key: format!("sup.kind.{}", d.manufacturer.kind),
        r: d.record,
        documents,
        maker_documents,
        prices,
        can_manage,
        saved,
        errors,
    };
    render(status, &page)
}

pub async fn show(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<SavedQuery>,
) -> Result<Response, UiError> {
    let saved = q.saved.is_some();
    product_page(&s, &ctx, &p, id, StatusCode::OK, saved, FieldErrors::new()).await
}

// ---- suppliers ----

#[derive(Deserialize, Default)]
pub struct SupplierListQuery {
    q: Option<String>,
    cursor: Option<i64>,
}

fn review_key(status: Option<&str>) -> String {
    format!("rev.status.{}", status.unwrap_or("none"))
}

struct SupplierRow {
    r: SupplierRecord,
    kind_key: String,
    review_key: String,
}

#[derive(Template)]
#[template(path = "products/suppliers.html")]
struct SuppliersPage {
    t: Lang,
    shell: Shell,
    q: String,
    rows: Vec<SupplierRow>,
    next: Option<String>,
    can_manage: bool,
}

pub async fn suppliers(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<SupplierListQuery>,
) -> Result<Response, UiError> {
    let page = s.app.suppliers(&ctx, q.q.clone(), q.cursor, None).await?;
    let next = page.next_cursor.map(|c| {
        format!(
            "/suppliers?q={}&cursor={c}",
            urlencode(q.q.as_deref().unwrap_or(""))
        )
    });
    let page = SuppliersPage {
        t: p.t,
        shell: p.shell(&ctx),
        q: q.q.unwrap_or_default(),
        rows: page
            .items
            .into_iter()
            .map(|r| SupplierRow {
                kind_key: format!("sup.kind.{}", r.kind),
                review_key: review_key(r.review_status.as_deref()),
                r,
            })
            .collect(),
        next,
        can_manage: policy::scope(&ctx.actor, Action::ManageProducts).is_some(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "products/supplier_form.html")]
struct SupplierFormPage {
    t: Lang,
    shell: Shell,
    form: FormData,
    kinds: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
}

fn supplier_form_page(
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let page = SupplierFormPage {
        t: p.t,
        shell: p.shell(ctx),
        form,
        kinds: vec![
            ("manufacturer", "sup.kind.manufacturer"),
            ("distributor", "sup.kind.distributor"),
        ],
        errors,
    };
    render(status, &page)
}

pub async fn new_supplier(UiCaller(ctx): UiCaller, p: PageCtx) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageProducts)?;
    let form = FormData(vec![("kind".into(), "manufacturer".into())]);
    supplier_form_page(&ctx, &p, StatusCode::OK, form, FieldErrors::new())
}

pub async fn create_supplier(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let input = SupplierInput {
        name: form.get("name"),
        credit_code: Some(form.get("credit_code")),
        kind: form.get("kind"),
        contact: form.get("contact"),
        phone: form.get("phone"),
    };
    after_post(
        s.app.create_supplier(&ctx, input).await,
        |r| format!("/suppliers/{}", r.id),
        |status, errors| async move { supplier_form_page(&ctx, &p, status, form, errors) },
    )
    .await
}

#[derive(Template)]
#[template(path = "products/supplier.html")]
struct SupplierPage {
    t: Lang,
    shell: Shell,
    r: SupplierRecord,
    kind_key: String,
    review_key: String,
    documents: String,
    reviews: String,
    products: Vec<ProductRow>,
    saved: bool,
    errors: FieldErrors,
}

async fn supplier_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    saved: bool,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let d = s.app.supplier(ctx, id).await?;
    let manage = policy::scope(&ctx.actor, Action::ManageProducts).is_some();
    let documents = documents_html(
        s,
        ctx,
        p,
        "doc.licences",
        &d.documents,
        Holder::Supplier,
        manage.then(|| format!("/suppliers/{id}/documents")),
        &errors,
    )
    .await?;
    let reviews = reviews_html(
        s,
        ctx,
        p,
        &d.reviews,
        manage.then(|| format!("/suppliers/{id}/review")),
        &errors,
    )
    .await?;
    let q = ProductQuery {
        manufacturer_id: Some(id),
        ..Default::default()
    };
    let products = s.app.products(ctx, &q).await?.items;
    let page = SupplierPage {
        t: p.t,
        shell: p.shell(ctx),
        kind_key: format!("sup.kind.{}", d.record.kind),
        review_key: review_key(d.record.review_status.as_deref()),
        r: d.record,
        documents,
        reviews,
        products: products.iter().map(ProductRow::of).collect(),
        saved,
        errors,
    };
    render(status, &page)
}

pub async fn supplier(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<SavedQuery>,
) -> Result<Response, UiError> {
    let saved = q.saved.is_some();
    supplier_page(&s, &ctx, &p, id, StatusCode::OK, saved, FieldErrors::new()).await
}

pub async fn submit_supplier_review(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let owner = DocumentOwner::Supplier(id);
    after_post(
        s.app
            .submit_supplier_review(&ctx, id, &form.get("note"))
            .await,
        |_| format!("/suppliers/{id}?saved=1"),
        |status, errors| owner_page(&s, &ctx, &p, owner, status, errors),
    )
    .await
}

pub async fn submit_customer_review(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let owner = DocumentOwner::Institution(id);
    after_post(
        s.app
            .submit_customer_review(&ctx, id, &form.get("note"))
            .await,
        |_| format!("/customers/{id}?saved=1"),
        |status, errors| owner_page(&s, &ctx, &p, owner, status, errors),
    )
    .await
}

// ---- PRD-4: expiring documents ----

#[derive(Deserialize, Default)]
pub struct ExpiringQuery {
    days: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "products/expiring.html")]
struct ExpiringPage {
    t: Lang,
    shell: Shell,
    days: String,
    thresholds: Vec<u16>,
    rows: Vec<DocView>,
    next: Option<String>,
    errors: FieldErrors,
}

pub async fn expiring(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ExpiringQuery>,
) -> Result<Response, UiError> {
    let thresholds = s.app.expiry_alert_days(&ctx).await?;
    let days_text = q.days.clone().unwrap_or_default();
    let mut errors = FieldErrors::new();
    let days = match days_text.trim() {
        "" => None,
        d => d
            .parse::<i64>()
            .map_err(|_| {
                errors.insert("days".into(), "a whole number of days".into());
            })
            .ok(),
    };
    let result = if errors.is_empty() {
        s.app
            .expiring_documents(&ctx, days, q.cursor.as_deref(), None)
            .await
    } else {
        Err(medcrm_app::Error::invalid("days", "a whole number of days"))
    };
    let (rows, next, status) = match result {
        Ok(page) => {
            let next = page.next_cursor.map(|c| {
                format!(
                    "/documents/expiring?days={}&cursor={}",
                    urlencode(&days_text),
                    urlencode(&c)
                )
            });
            (
                doc_views(&s, &ctx, &page.items).await?,
                next,
                StatusCode::OK,
            )
        }
        Err(medcrm_app::Error::Invalid(f)) => {
            errors.extend(f.into_iter().map(|(k, v)| (k.to_owned(), v)));
            (Vec::new(), None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(e.into()),
    };
    let page = ExpiringPage {
        t: p.t,
        shell: p.shell(&ctx),
        days: days_text,
        thresholds,
        rows,
        next,
        errors,
    };
    render(status, &page)
}

// ---- PRD-3: the first-time review queue ----

#[derive(Deserialize, Default)]
pub struct ReviewsQuery {
    status: Option<String>,
    cursor: Option<i64>,
    /// Set after a decision was saved.
    decided: Option<String>,
}

#[derive(Template)]
#[template(path = "products/review_queue.html")]
struct ReviewQueuePage {
    t: Lang,
    shell: Shell,
    status: String,
    tabs: Vec<(&'static str, &'static str)>,
    rows: Vec<ReviewView>,
    next: Option<String>,
    decided: bool,
    /// The refused decision: `(review id, message)`.
    refused: Option<(i64, String)>,
}

async fn review_queue(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    q: ReviewsQuery,
    status: StatusCode,
    refused: Option<(i64, String)>,
) -> Result<Response, UiError> {
    let tab = q.status.clone().unwrap_or_else(|| "submitted".into());
    let page = s
        .app
        .reviews(ctx, Some(tab.clone()), q.cursor, None)
        .await?;
    let next = page
        .next_cursor
        .map(|c| format!("/reviews?status={}&cursor={c}", urlencode(&tab)));
    let page = ReviewQueuePage {
        t: p.t,
        shell: p.shell(ctx),
        tabs: vec![
            ("submitted", "rev.status.submitted"),
            ("approved", "rev.status.approved"),
            ("rejected", "rev.status.rejected"),
        ],
        status: tab,
        rows: review_views(s, ctx, p.t, &page.items).await?,
        next,
        decided: q.decided.is_some(),
        refused,
    };
    render(status, &page)
}

pub async fn reviews(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ReviewsQuery>,
) -> Result<Response, UiError> {
    review_queue(&s, &ctx, &p, q, StatusCode::OK, None).await
}

pub async fn decide_review(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let approve = form.get("decision") == "approve";
    let result = s
        .app
        .decide_review(&ctx, id, approve, &form.get("comment"))
        .await;
    match result {
        Ok(_) => Ok(crate::ui::see_other("/reviews?decided=1")),
        Err(e) => {
            let (status, message) = decision_error(p.t, e)?;
            let q = ReviewsQuery::default();
            review_queue(&s, &ctx, &p, q, status, Some((id, message))).await
        }
    }
}
