//! The server-rendered UI: askama templates, zh-CN by default, English on request.
//! Pages show only what the caller may use; the app still checks every action.

mod admin;
mod audit;
pub(crate) mod contracts;
pub(crate) mod customers;
mod deliveries;
mod development_plans;
mod home;
pub(crate) mod imports;
mod login;
mod me;
mod notifications;
mod pipeline;
mod pricing;
mod products;
mod receivables;
mod service;
mod service_ops;
mod sla;
// PRT: spare parts.
mod counts_purchasing;
mod parts;

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use medcrm_app::Ctx;
use medcrm_app::domain::auth::Role;
use medcrm_app::policy::{self, Action};

use crate::AppState;
use crate::csrf::CsrfToken;
use crate::error::UiError;
use crate::i18n::Lang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(receivables::routes())
        .merge(sla::routes())
        .merge(service::routes())
        .merge(service_ops::routes())
        // PRT: spare parts.
        .merge(parts::routes())
        .merge(counts_purchasing::routes())
        .route("/", get(home::page))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang", post(login::switch_language))
        .route("/me", get(me::page))
        .route("/me/password", post(me::change_password))
        .route("/me/tokens", post(me::create_token))
        .route("/me/tokens/{id}/revoke", post(me::revoke_token))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/new", get(admin::new_user))
        .route(
            "/admin/users/{id}",
            get(admin::edit_user).post(admin::update_user),
        )
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route(
            "/admin/regions",
            get(admin::regions).post(admin::create_region),
        )
        .route("/admin/regions/{id}", post(admin::rename_region))
        .route("/admin/calendar", get(admin::calendar))
        .route("/admin/calendar/days", post(admin::set_day))
        .route("/admin/calendar/days/{day}/clear", post(admin::clear_day))
        .route("/admin/calendar/hours", post(admin::set_hours))
        .route("/audit", get(audit::page))
        .route("/notifications", get(notifications::page))
        .route("/notifications/read-all", post(notifications::read_all))
        .route("/notifications/badge", get(notifications::badge))
        .route("/customers", get(customers::list).post(customers::create))
        .route("/customers/overdue", get(customers::list))
        .route("/customers/completeness", get(customers::completeness))
        .route(
            "/customers/rules",
            get(customers::rules).post(customers::save_rules),
        )
        .route("/customers/new", get(customers::new_form))
        // SYS-3: the upload takes files up to 20 MiB; every other form keeps the 1 MiB limit.
        .route(
            "/customers/import",
            get(imports::customers_form)
                .post(imports::customers_upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    imports::MAX_UPLOAD_BODY_BYTES,
                )),
        )
        .route("/customers/import/template", get(imports::template))
        .route(
            "/parts/import",
            get(imports::parts_form).post(imports::parts_upload).layer(
                axum::extract::DefaultBodyLimit::max(imports::MAX_UPLOAD_BODY_BYTES),
            ),
        )
        .route("/parts/import/template", get(imports::template))
        .route("/customers/export", get(imports::export))
        .route(
            "/customers/{id}",
            get(customers::show).post(customers::update),
        )
        .route("/customers/{id}/edit", get(customers::edit_form))
        .route(
            "/customers/{id}/departments",
            post(customers::add_department),
        )
        .route("/customers/{id}/contacts", post(customers::add_contact))
        .route("/customers/{id}/visits", post(customers::add_visit))
        .route(
            "/customers/{id}/visits/{visit}/log",
            post(customers::log_visit),
        )
        .route("/customers/{id}/classification", post(customers::classify))
        .route("/customers/{id}/reassign", post(customers::reassign))
        .route(
            "/plans",
            get(development_plans::list).post(development_plans::create),
        )
        .route("/plans/new", get(development_plans::new_form))
        .route("/plans/{id}", get(development_plans::show))
        .route("/plans/{id}/reports", post(development_plans::report))
        .route("/plans/{id}/reviews", post(development_plans::review))
        .route("/pipeline", get(pipeline::board).post(pipeline::create))
        .route("/pipeline/list", get(pipeline::list))
        .route("/pipeline/new", get(pipeline::new_form))
        .route("/pipeline/funnel", get(pipeline::funnel))
        .route("/pipeline/{id}", get(pipeline::show))
        .route("/pipeline/{id}/stage", post(pipeline::move_stage))
        .route("/products", get(products::list).post(products::create))
        .route("/products/new", get(products::new_form))
        .route("/products/{id}", get(products::show).post(products::update))
        .route("/products/{id}/edit", get(products::edit_form))
        // PRD-2: scans up to 10 MiB; only the three document forms accept them.
        .route(
            "/products/{id}/documents",
            post(products::add_product_document).layer(scan_limit()),
        )
        .route("/products/{id}/prices", post(pricing::propose_price))
        .route(
            "/suppliers",
            get(products::suppliers).post(products::create_supplier),
        )
        .route("/suppliers/new", get(products::new_supplier))
        .route("/suppliers/{id}", get(products::supplier))
        .route(
            "/suppliers/{id}/documents",
            post(products::add_supplier_document).layer(scan_limit()),
        )
        .route(
            "/suppliers/{id}/review",
            post(products::submit_supplier_review),
        )
        .route(
            "/customers/{id}/documents",
            post(products::add_customer_document).layer(scan_limit()),
        )
        .route(
            "/customers/{id}/review",
            post(products::submit_customer_review),
        )
        .route("/documents/expiring", get(products::expiring))
        .route("/documents/{id}/scan", get(products::scan))
        .route("/reviews", get(products::reviews))
        .route("/reviews/{id}/decide", post(products::decide_review))
        .route("/quotes", get(pricing::quotes).post(pricing::create_quote))
        .route("/quotes/new", get(pricing::new_quote))
        .route(
            "/quotes/{id}",
            get(pricing::quote).post(pricing::update_quote),
        )
        .route("/quotes/{id}/edit", get(pricing::edit_quote))
        .route("/quotes/{id}/print", get(pricing::print_quote))
        .route("/quotes/{id}/{action}", post(pricing::quote_action))
        .route("/quotes/{id}/contract", post(contracts::from_quote))
        .route("/customers/{id}/credit", post(contracts::set_credit))
        .route("/contracts", get(contracts::list).post(contracts::create))
        .route("/contracts/new", get(contracts::new_form))
        .route("/contracts/fulfilment", get(contracts::fulfilment))
        .route(
            "/contracts/{id}",
            get(contracts::show).post(contracts::update),
        )
        .route("/contracts/{id}/edit", get(contracts::edit_form))
        .route("/contracts/{id}/print", get(contracts::print))
        .route(
            "/contracts/{id}/problems/{problem}/resolve",
            post(contracts::resolve_problem),
        )
        .route("/contracts/{id}/{action}", post(contracts::action))
        .route("/contract-reviews", get(contracts::reviews))
        .route(
            "/contract-reviews/{id}/decide",
            post(contracts::decide_review),
        )
        .route("/approvals", get(pricing::approvals))
        .route("/approvals/{id}/decide", post(pricing::decide_approval))
        .route(
            "/orders",
            get(deliveries::orders).post(deliveries::create_order),
        )
        .route("/orders/new", get(deliveries::new_order))
        .route("/orders/{id}", get(deliveries::order))
        .route("/orders/{id}/cancel", post(deliveries::cancel_order))
        .route("/deliveries", post(deliveries::create_delivery))
        .route("/deliveries/new", get(deliveries::new_delivery))
        .route("/deliveries/{id}", get(deliveries::delivery))
        .route(
            "/deliveries/{id}/receipt",
            post(deliveries::confirm_receipt),
        )
        .route("/devices", get(deliveries::devices))
        .route(
            "/devices/{id}",
            get(deliveries::device).post(deliveries::update_device),
        )
        .route("/sales-records", get(deliveries::sales_records))
        .route(
            "/sales-records/export.xlsx",
            get(deliveries::export_sales_records),
        )
        .route(
            "/sales-records/{id}/correct",
            post(deliveries::correct_sales_record),
        )
        .route("/trace", get(deliveries::trace))
        .route("/trace.xlsx", get(deliveries::trace_xlsx))
        .route("/static/vendor/htmx.min.js", get(htmx))
        .route("/static/vendor/echarts.min.js", get(echarts))
        .route("/static/app.css", get(css))
}

fn scan_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(products::MAX_SCAN_BODY_BYTES)
}

/// Vendored from npm `htmx.org@2.0.11` (licence beside it); served from the binary, no CDN.
async fn htmx() -> Response {
    script(include_str!("../../static/vendor/htmx-2.0.11.min.js"))
}

/// Vendored from npm `echarts@5.6.0` (the "common" build: bar, line, pie …; licence beside it).
async fn echarts() -> Response {
    script(include_str!(
        "../../static/vendor/echarts-5.6.0.common.min.js"
    ))
}

fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

/// Where the navigation's one service entry leads.
const SERVICE_HOME: &str = "/service/tickets";

/// The service section's pages, each shown to those allowed `action`.
const SERVICE_TABS: &[(&str, &str, Action)] = &[
    (SERVICE_HOME, "svc.tickets", Action::ReadTickets),
    ("/service/hotline", "svc.hotline", Action::ManageTickets),
    ("/service/my", "svc.my", Action::WorkTickets),
    ("/service/board", "sla.nav_board", Action::ReadSlaBoard),
    (
        "/service/part-requests",
        "svc.part_queue",
        Action::FulfilPartRequests,
    ),
    (
        "/service/improvements",
        "svc.improvements",
        Action::ManageImprovements,
    ),
    (
        "/service/maintenance",
        "ops.maintenance",
        Action::ReadMaintenance,
    ),
    (
        "/service/engineers",
        "ops.engineers",
        Action::EvaluateEngineers,
    ),
    (
        "/service/reviews",
        "ops.reviews",
        Action::ManageImprovements,
    ),
    (
        "/service/sla-settings",
        "sla.nav_settings",
        Action::ConfigureService,
    ),
];

/// The parts section's pages (PRT), each shown to those allowed `action`; the warehouse's
/// part-request queue lives with the service pages.
const PARTS_TABS: &[(&str, &str, Action)] = &[
    ("/parts", "prt.catalog", Action::ReadParts),
    ("/parts/stock", "prt.stock", Action::ReadStock),
    ("/parts/movements", "prt.movements", Action::ReadStock),
    ("/parts/counts", "prt.counts", Action::ReadStock),
    (
        "/parts/purchase-orders",
        "prt.purchase_orders",
        Action::ReadPurchasing,
    ),
    (
        "/service/part-requests",
        "svc.part_queue",
        Action::FulfilPartRequests,
    ),
];

pub struct NavItem {
    pub href: &'static str,
    pub key: &'static str,
    pub active: bool,
}

/// What every page's frame needs: language, CSRF token, the user and the navigation.
pub struct Shell {
    pub csrf: String,
    pub display_name: String,
    pub role_labels: Vec<&'static str>,
    pub nav: Vec<NavItem>,
    /// The service section's tabs the caller may open (on `/service/…` pages only).
    pub service_tabs: Vec<NavItem>,
    /// The parts section's tabs the caller may open (on `/parts…` pages only).
    pub parts_tabs: Vec<NavItem>,
    pub path: String,
}

/// Per request: the language and CSRF token, whether or not anyone is signed in.
pub struct PageCtx {
    pub t: Lang,
    pub csrf: String,
    pub path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for PageCtx {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageCtx {
            t: Lang::of(&parts.headers),
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|c| c.0.clone())
                .unwrap_or_default(),
            path: parts.uri.path().to_owned(),
        })
    }
}

impl PageCtx {
    /// The frame for a signed-in caller; navigation lists only modules they may open.
    pub fn shell(&self, ctx: &Ctx) -> Shell {
        let a = &ctx.actor;
        let may = |action| policy::scope(a, action).is_some();
        let mut nav = vec![("/", "nav.home", true)];
        nav.push(("/customers", "nav.customers", may(Action::ReadCustomers)));
        nav.push((
            "/customers/overdue",
            "nav.overdue",
            may(Action::ManageCustomers),
        ));
        nav.push(("/pipeline", "nav.pipeline", may(Action::ReadPipeline)));
        nav.push(("/plans", "nav.plans", may(Action::ManageCustomers)));
        nav.push(("/products", "nav.products", may(Action::ReadProducts)));
        nav.push(("/quotes", "nav.quotes", may(Action::ReadQuotes)));
        nav.push(("/contracts", "nav.contracts", may(Action::ReadContracts)));
        let reviews = may(Action::ReviewContracts) || may(Action::ManageCredit);
        nav.push(("/contract-reviews", "nav.contract_reviews", reviews));
        nav.push(("/approvals", "nav.approvals", may(Action::DecideApprovals)));
        nav.push(("/orders", "nav.orders", may(Action::ReadOrders)));
        nav.push(("/devices", "nav.devices", may(Action::ReadInstalledBase)));
        nav.push((
            "/sales-records",
            "nav.sales_records",
            may(Action::ReadSalesRecords),
        ));
        nav.push(("/trace", "nav.trace", may(Action::TraceDevices)));
        nav.push((
            "/receivables",
            "nav.receivables",
            may(Action::ReadReceivables),
        ));
        // Service (服务) is one entry; its pages carry their own tabs (`service_tabs`).
        let service = SERVICE_TABS.iter().any(|(_, _, action)| may(*action));
        nav.push((SERVICE_HOME, "nav.service", service));
        let quality = may(Action::ReviewQualifications);
        nav.push(("/reviews", "nav.reviews", quality));
        nav.push(("/documents/expiring", "nav.expiring", quality));
        // PRT: spare parts.
        nav.push(("/parts", "nav.parts", may(Action::ReadParts)));
        nav.push(("/admin/users", "nav.users", may(Action::ManageUsers)));
        nav.push(("/admin/regions", "nav.regions", may(Action::ManageRegions)));
        nav.push(("/admin/calendar", "nav.calendar", may(Action::ReadCalendar)));
        nav.push(("/audit", "nav.audit", may(Action::ReadAudit)));
        let nav: Vec<(&'static str, &'static str)> = nav
            .into_iter()
            .filter(|(_, _, allowed)| *allowed)
            .map(|(href, key, _)| (href, key))
            .collect();
        // The item whose path is the longest prefix of this page is the current one, so
        // /customers/overdue lights up "visits due", not "customers" as well.
        let current = nav
            .iter()
            .filter(|(href, _)| {
                let section = if *href == SERVICE_HOME {
                    "/service/"
                } else {
                    href
                };
                self.path == *href || (*href != "/" && self.path.starts_with(section))
            })
            .map(|(href, _)| *href)
            .max_by_key(|href| href.len());
        let nav = nav
            .into_iter()
            .map(|(href, key)| NavItem {
                href,
                key,
                active: Some(href) == current,
            })
            .collect();
        // A section's tabs: the pages of `table` the caller may open, on that section's pages.
        let tabs = |section: &str, table: &[(&'static str, &'static str, Action)]| {
            if !self.path.starts_with(section) {
                return Vec::new();
            }
            table
                .iter()
                .filter(|(_, _, action)| may(*action))
                .map(|(href, key, _)| NavItem {
                    href,
                    key,
                    active: self.path == *href,
                })
                .collect()
        };
        let service_tabs = tabs("/service/", SERVICE_TABS);
        let parts_tabs = tabs("/parts", PARTS_TABS);
        Shell {
            csrf: self.csrf.clone(),
            display_name: a.display_name.clone(),
            role_labels: a.roles.iter().map(|r| role_label(self.t, *r)).collect(),
            nav,
            service_tabs,
            parts_tabs,
            path: self.path.clone(),
        }
    }
}

pub fn role_label(t: Lang, r: Role) -> &'static str {
    match t {
        Lang::Zh => r.label_zh(),
        Lang::En => r.label_en(),
    }
}

/// A region's name in the page language.
pub fn region_name(t: Lang, zh: &str, en: &str) -> String {
    match t {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// An instant in Asia/Shanghai, to the minute.
pub fn local_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .and_then(|t| t.in_tz("Asia/Shanghai").ok())
        .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// `(code, label key)` for a select.
pub type Options = Vec<(&'static str, String)>;

pub fn options<T: Copy>(all: &[T], code: fn(T) -> &'static str, prefix: &str) -> Options {
    all.iter()
        .map(|v| (code(*v), format!("{prefix}.{}", code(*v))))
        .collect()
}

/// Display names of the users `ids`; a name that cannot be had is left out, so a page shows
/// `#id` for it instead of failing.
pub async fn people(s: &AppState, ctx: &Ctx, mut ids: Vec<i64>) -> BTreeMap<i64, String> {
    ids.sort_unstable();
    ids.dedup();
    s.app.colleague_names(ctx, ids).await.unwrap_or_default()
}

/// A user's name from [`people`], or "user #id" when it is unknown.
pub fn name_of(t: Lang, names: &BTreeMap<i64, String>, id: i64) -> String {
    names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("{} #{id}", t.t("common.user")))
}

/// Why an approve/reject decision was refused, as one line in the page language, with the
/// app's own words after it.
pub fn decision_error(t: Lang, e: medcrm_app::Error) -> Result<(StatusCode, String), UiError> {
    let status = crate::error::status_of(&e);
    let text = match e {
        medcrm_app::Error::Refused { code, message, .. } => {
            let key = format!("decision.{code}");
            format!("{}（{message}）", t.t(&key))
        }
        medcrm_app::Error::Conflict { message, .. } => {
            format!("{}（{message}）", t.t("decision.conflict"))
        }
        medcrm_app::Error::Invalid(f) if f.contains_key("comment") => {
            t.t("decision.comment_required").to_owned()
        }
        medcrm_app::Error::Invalid(f) => f.into_values().collect::<Vec<_>>().join("; "),
        other => return Err(UiError(other)),
    };
    Ok((status, text))
}

/// Renders a template with a status.
pub fn render(status: StatusCode, t: &impl Template) -> Result<Response, UiError> {
    let html = t
        .render()
        .map_err(|e| UiError(medcrm_app::Error::Internal(format!("template: {e}"))))?;
    Ok((status, Html(html)).into_response())
}

pub fn ok(t: &impl Template) -> Result<Response, UiError> {
    render(StatusCode::OK, t)
}

/// A "see other" redirect after a successful form post.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// An urlencoded form as ordered pairs (repeated keys, e.g. checkboxes, are kept).
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(FormData(
            form_urlencoded::parse(&bytes).into_owned().collect(),
        ))
    }
}

/// Field errors of a failed form, to show next to each field.
pub type FieldErrors = BTreeMap<String, String>;

/// Splits an app error into field errors (re-render the form) or a page error.
pub fn field_errors(e: medcrm_app::Error) -> Result<(StatusCode, FieldErrors), UiError> {
    let status = crate::error::status_of(&e);
    match e {
        medcrm_app::Error::Invalid(f) => Ok((
            status,
            f.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        )),
        medcrm_app::Error::Conflict { field, message } => Ok((
            status,
            FieldErrors::from([(field.unwrap_or("form").to_owned(), message)]),
        )),
        medcrm_app::Error::Refused { field, message, .. }
        | medcrm_app::Error::Insufficient { field, message, .. } => {
            Ok((status, FieldErrors::from([(field.to_owned(), message)])))
        }
        other => Err(UiError(other)),
    }
}

/// What the caller may read, or nothing when they may not: a picker is a help, not a page.
pub(crate) fn readable<T: Default>(r: medcrm_app::Result<T>) -> medcrm_app::Result<T> {
    match r {
        Err(medcrm_app::Error::Forbidden | medcrm_app::Error::NotFound(_)) => Ok(T::default()),
        other => other,
    }
}

/// The end of a form post: on success redirect to `to(value)` (post/redirect/get); on a
/// validation error or conflict show the form again through `again`, messages by their fields.
pub async fn after_post<T, Fut>(
    result: medcrm_app::Result<T>,
    to: impl FnOnce(T) -> String,
    again: impl FnOnce(StatusCode, FieldErrors) -> Fut,
) -> Result<Response, UiError>
where
    Fut: std::future::Future<Output = Result<Response, UiError>>,
{
    match result {
        Ok(value) => Ok(see_other(&to(value))),
        Err(e) => {
            let (status, errors) = field_errors(e)?;
            again(status, errors).await
        }
    }
}

/// The sales people within the caller's scope of users, `(id, name)`: who may own a customer
/// or a pipeline stage.
pub async fn sales_team(s: &AppState, ctx: &Ctx) -> Result<Vec<(i64, String)>, UiError> {
    let roles = [Role::SalesRep, Role::SalesManager, Role::SalesDirector];
    Ok(holding(s, ctx, &roles)
        .await?
        .into_iter()
        .map(|u| (u.user.id, u.user.display_name))
        .collect())
}

/// The users holding any of `roles` within the caller's scope of users, each once.
pub async fn holding(
    s: &AppState,
    ctx: &Ctx,
    roles: &[Role],
) -> medcrm_app::Result<Vec<medcrm_app::org::UserView>> {
    let mut out: Vec<medcrm_app::org::UserView> = Vec::new();
    for role in roles {
        let q = medcrm_app::org::UserQuery {
            role: Some(role.code().into()),
            limit: Some(medcrm_app::MAX_PAGE_SIZE),
            ..Default::default()
        };
        for u in s.app.users(ctx, &q).await?.items {
            if !out.iter().any(|o| o.user.id == u.user.id) {
                out.push(u);
            }
        }
    }
    Ok(out)
}

/// A local path to return to after a form, never another site.
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}
