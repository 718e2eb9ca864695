//! The JSON API under `/api/v1` (DESIGN "Interfaces"): snake_case JSON, keyset-paged lists,
//! errors in the one error format.

pub mod audit;
pub mod auth;
pub mod calendar;
pub mod contract_execution;
pub mod contracts;
pub mod customers;
pub mod deliveries;
pub mod development_plans;
pub mod health;
pub mod imports;
pub mod notifications;
pub mod org;
pub mod pipeline;
pub mod pricing;
pub mod products;
pub mod receivables;
pub mod service;
pub mod service_ops;
pub mod service_work;
pub mod sla;
// PRT: spare parts.
pub mod parts;
pub mod purchasing;
pub mod stock_counts;

use axum::Router;
use axum::routing::{get, post, put};
use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;

/// A SYS-3 upload route: its body may be as large as the largest file (20 MiB); every other
/// route keeps axum's 1 MiB.
fn upload<H, T>(handler: H) -> axum::routing::MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    post(handler).layer(axum::extract::DefaultBodyLimit::max(
        imports::MAX_IMPORT_BODY_BYTES,
    ))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(receivables::routes())
        .merge(service::routes())
        .merge(sla::routes())
        .merge(service_work::routes())
        .merge(service_ops::routes())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/me", get(auth::me))
        .route(
            "/api/v1/me/tokens",
            get(auth::tokens).post(auth::create_token),
        )
        .route(
            "/api/v1/me/tokens/{id}",
            axum::routing::delete(auth::revoke_token),
        )
        .route("/api/v1/users", get(org::list_users).post(org::create_user))
        .route(
            "/api/v1/users/{id}",
            get(org::get_user).patch(org::update_user),
        )
        .route("/api/v1/users/{id}/password", post(org::reset_password))
        .route(
            "/api/v1/regions",
            get(org::list_regions).post(org::create_region),
        )
        .route(
            "/api/v1/regions/{id}",
            axum::routing::patch(org::rename_region),
        )
        .route("/api/v1/calendar/years/{year}", get(calendar::year))
        .route(
            "/api/v1/calendar/days/{day}",
            put(calendar::set_day).delete(calendar::clear_day),
        )
        .route("/api/v1/calendar/working-hours", put(calendar::set_hours))
        .route("/api/v1/calendar/due", get(calendar::due))
        .route("/api/v1/audit", get(audit::list))
        .route(
            "/api/v1/institutions",
            get(customers::list).post(customers::create),
        )
        .route(
            "/api/v1/institutions/{id}",
            get(customers::get).patch(customers::update),
        )
        .route(
            "/api/v1/institutions/{id}/reassign",
            post(customers::reassign),
        )
        .route(
            "/api/v1/institutions/{id}/classification",
            post(customers::classify),
        )
        .route(
            "/api/v1/institutions/{id}/departments",
            post(customers::add_department),
        )
        .route(
            "/api/v1/institutions/{id}/contacts",
            post(customers::add_contact),
        )
        .route(
            "/api/v1/institutions/{id}/visits",
            post(customers::add_visit),
        )
        .route(
            "/api/v1/institutions/{id}/partners",
            post(customers::link_partner),
        )
        .route("/api/v1/visits/{id}/log", post(customers::log_visit))
        .route(
            "/api/v1/reports/customer-completeness",
            get(customers::completeness),
        )
        .route(
            "/api/v1/opportunities",
            get(pipeline::list).post(pipeline::create),
        )
        .route("/api/v1/opportunities/{id}", get(pipeline::get))
        .route(
            "/api/v1/opportunities/{id}/stage",
            post(pipeline::move_stage),
        )
        .route("/api/v1/pipeline/funnel", get(pipeline::funnel))
        .route(
            "/api/v1/suppliers",
            get(products::list_suppliers).post(products::create_supplier),
        )
        .route("/api/v1/suppliers/{id}", get(products::get_supplier))
        .route(
            "/api/v1/suppliers/{id}/documents",
            post(products::add_supplier_document),
        )
        .route(
            "/api/v1/suppliers/{id}/reviews",
            post(products::submit_supplier),
        )
        .route(
            "/api/v1/products",
            get(products::list_products).post(products::create_product),
        )
        .route(
            "/api/v1/products/{id}",
            get(products::get_product).put(products::update_product),
        )
        .route(
            "/api/v1/products/{id}/documents",
            post(products::add_product_document),
        )
        .route("/api/v1/products/{id}/prices", get(pricing::prices))
        .route(
            "/api/v1/institutions/{id}/documents",
            post(products::add_institution_document),
        )
        .route(
            "/api/v1/institutions/{id}/qualification",
            get(products::qualification),
        )
        .route(
            "/api/v1/institutions/{id}/reviews",
            post(products::submit_institution),
        )
        .route("/api/v1/documents/expiring", get(products::expiring))
        // PRD-2: scans up to 10 MiB; the body limit leaves the size check to the app.
        .route(
            "/api/v1/documents/{id}/scan",
            get(products::download_scan)
                .put(products::attach_scan)
                .layer(axum::extract::DefaultBodyLimit::max(
                    imports::MAX_IMPORT_BODY_BYTES,
                )),
        )
        .route(
            "/api/v1/settings/expiry-alerts",
            get(products::expiry_alerts).put(products::set_expiry_alerts),
        )
        .route("/api/v1/reviews", get(products::reviews))
        .route(
            "/api/v1/reviews/{id}/decision",
            post(products::decide_review),
        )
        .route("/api/v1/sale-check", get(products::sale_check))
        .route("/api/v1/prices", post(pricing::propose_price))
        .route(
            "/api/v1/settings/approval-levels",
            get(pricing::approval_levels).put(pricing::set_approval_levels),
        )
        .route("/api/v1/approvals", get(pricing::approvals))
        .route("/api/v1/approvals/{id}/decision", post(pricing::decide))
        .route("/api/v1/quotes", get(pricing::list).post(pricing::create))
        .route(
            "/api/v1/quotes/{id}",
            get(pricing::get).put(pricing::update),
        )
        .route("/api/v1/quotes/{id}/submit", post(pricing::submit))
        .route("/api/v1/quotes/{id}/send", post(pricing::send))
        .route("/api/v1/quotes/{id}/accept", post(pricing::accept))
        .route("/api/v1/quotes/{id}/decline", post(pricing::decline))
        .route("/api/v1/quotes/{id}/revise", post(pricing::revise))
        .route("/api/v1/quotes/{id}/sheet.xlsx", get(pricing::sheet))
        .route(
            "/api/v1/orders",
            get(deliveries::list_orders).post(deliveries::create_order),
        )
        .route("/api/v1/orders/{id}", get(deliveries::get_order))
        .route("/api/v1/orders/{id}/cancel", post(deliveries::cancel_order))
        .route("/api/v1/deliveries", post(deliveries::ship))
        .route("/api/v1/deliveries/{id}", get(deliveries::get_delivery))
        .route("/api/v1/deliveries/{id}/receipt", post(deliveries::receipt))
        .route("/api/v1/udi/parse", post(deliveries::parse_udi))
        .route("/api/v1/devices", get(deliveries::list_devices))
        .route(
            "/api/v1/devices/{id}",
            get(deliveries::get_device).patch(deliveries::update_device),
        )
        .route("/api/v1/sales-records", get(deliveries::list_sales_records))
        .route(
            "/api/v1/sales-records/export.xlsx",
            get(deliveries::export_sales_records),
        )
        .route(
            "/api/v1/sales-records/{id}",
            get(deliveries::get_sales_record),
        )
        .route(
            "/api/v1/sales-records/{id}/corrections",
            post(deliveries::correct_sales_record),
        )
        .route("/api/v1/trace", get(deliveries::trace))
        .route("/api/v1/trace.xlsx", get(deliveries::trace_xlsx))
        .route("/api/v1/quotes/{id}/contract", post(contracts::from_quote))
        .route(
            "/api/v1/contracts",
            get(contracts::list).post(contracts::create),
        )
        .route(
            "/api/v1/contracts/{id}",
            get(contracts::get).put(contracts::update),
        )
        .route("/api/v1/contracts/{id}/submit", post(contracts::submit))
        .route("/api/v1/contracts/{id}/sign", post(contracts::sign))
        .route("/api/v1/contracts/{id}/amend", post(contracts::amend))
        .route(
            "/api/v1/contracts/{id}/terminate",
            post(contracts::terminate),
        )
        .route("/api/v1/contracts/{id}/complete", post(contracts::complete))
        .route("/api/v1/contracts/{id}/versions", get(contracts::versions))
        .route("/api/v1/contracts/{id}/diff", get(contracts::diff))
        .route(
            "/api/v1/contracts/{id}/problems",
            get(contract_execution::problems).post(contract_execution::log_problem),
        )
        .route(
            "/api/v1/contracts/{id}/problems/{problem_id}/resolve",
            post(contract_execution::resolve_problem),
        )
        .route(
            "/api/v1/settings/contract-problems",
            get(contract_execution::problem_settings).put(contract_execution::set_problem_settings),
        )
        .route(
            "/api/v1/reports/contract-fulfilment",
            get(contract_execution::fulfilment),
        )
        .route(
            "/api/v1/exports/contracts.xlsx",
            get(contract_execution::export_ledger),
        )
        .route("/api/v1/contract-reviews", get(contracts::reviews))
        .route(
            "/api/v1/contract-reviews/{id}/decision",
            post(contracts::decide),
        )
        .route(
            "/api/v1/customers/{id}/credit",
            get(contracts::credit).put(contracts::set_credit),
        )
        .route("/api/v1/notifications", get(notifications::list))
        .route(
            "/api/v1/notifications/read-all",
            post(notifications::read_all),
        )
        .route("/api/v1/notifications/{id}/read", post(notifications::read))
        .route(
            "/api/v1/development-plans",
            get(development_plans::list).post(development_plans::create),
        )
        .route(
            "/api/v1/development-plans/{id}",
            get(development_plans::get),
        )
        .route(
            "/api/v1/development-plans/{id}/reports",
            post(development_plans::report),
        )
        .route(
            "/api/v1/development-plans/{id}/reviews",
            post(development_plans::review),
        )
        .route(
            "/api/v1/customer-rules",
            get(customers::rules).put(customers::set_rules),
        )
        .route(
            "/api/v1/customer-rules/reevaluate",
            post(customers::reevaluate),
        )
        // SYS-3: uploads up to 20 MiB on the import routes only; everything else keeps 1 MiB.
        .route(
            "/api/v1/imports/institutions",
            upload(imports::import_institutions),
        )
        .route("/api/v1/imports/contacts", upload(imports::import_contacts))
        .route("/api/v1/imports/products", upload(imports::import_products))
        .route("/api/v1/imports/parts", upload(imports::import_parts))
        .route("/api/v1/imports/stock", upload(imports::import_stock))
        .route("/api/v1/exports/parts.csv", get(imports::export_parts_csv))
        .route(
            "/api/v1/exports/parts.xlsx",
            get(imports::export_parts_xlsx),
        )
        .route(
            "/api/v1/exports/products.csv",
            get(imports::export_products_csv),
        )
        .route(
            "/api/v1/exports/products.xlsx",
            get(imports::export_products_xlsx),
        )
        .route(
            "/api/v1/exports/institutions.csv",
            get(imports::export_institutions_csv),
        )
        .route(
            "/api/v1/exports/institutions.xlsx",
            get(imports::export_institutions_xlsx),
        )
        .route(
            "/api/v1/exports/contacts.csv",
            get(imports::export_contacts_csv),
        )
        .route(
            "/api/v1/exports/contacts.xlsx",
            get(imports::export_contacts_xlsx),
        )
        // PRT: spare parts.
        .merge(parts::routes())
        .merge(stock_counts::routes())
        .merge(purchasing::routes())
}

/// An instant as RFC 3339 UTC.
pub fn ts(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// A page of a list: `next_cursor` is absent on the last page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` to get the next page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn from<U>(page: medcrm_app::Page<U>, f: impl Fn(U) -> T) -> Page<T> {
        Page {
            items: page.items.into_iter().map(f).collect(),
            next_cursor: page.next_cursor.map(|c| c.to_string()),
        }
    }
}

/// Parses an opaque cursor; a bad one is 422 naming `cursor`.
pub fn cursor(c: Option<&str>) -> Result<Option<i64>, ApiError> {
    c.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>().map_err(|_| {
                ApiError::from(medcrm_app::Error::invalid(
                    "cursor",
                    "cursor must come from next_cursor",
                ))
            })
        })
        .transpose()
}
