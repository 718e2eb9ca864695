//! OpenAPI 3.1 at `/api/openapi.json` and the Swagger UI at `/api/docs`, both served from the
//! binary (the UI's assets are vendored at build time; no CDN).

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;
use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "medcrm API", description = "Hospital sales and after-sales service for medical-device companies."),
    paths(
        api::health::healthz, api::health::readyz,
        api::auth::login, api::auth::logout, api::auth::me,
        api::auth::tokens, api::auth::create_token, api::auth::revoke_token,
        api::org::list_users, api::org::get_user, api::org::create_user, api::org::update_user,
        api::org::reset_password, api::org::list_regions, api::org::create_region, api::org::rename_region,
        api::calendar::year, api::calendar::set_day, api::calendar::clear_day, api::calendar::set_hours,
        api::calendar::due,
        api::audit::list,
        api::customers::list, api::customers::get, api::customers::create, api::customers::update,
        api::customers::reassign, api::customers::classify, api::customers::add_department,
        api::customers::add_contact, api::customers::add_visit, api::customers::log_visit,
        api::customers::link_partner, api::customers::rules, api::customers::set_rules,
        api::customers::reevaluate, api::customers::completeness,
        api::pipeline::list, api::pipeline::get, api::pipeline::create, api::pipeline::move_stage,
        api::pipeline::funnel,
        api::notifications::list, api::notifications::read, api::notifications::read_all,
        api::development_plans::list, api::development_plans::get, api::development_plans::create,
        api::development_plans::report, api::development_plans::review,
        api::imports::import_institutions, api::imports::import_contacts,
        api::imports::export_institutions_csv, api::imports::export_institutions_xlsx,
        api::imports::export_contacts_csv, api::imports::export_contacts_xlsx,
        api::imports::import_products, api::imports::export_products_csv,
        api::imports::export_products_xlsx, api::imports::import_parts, api::imports::import_stock,
        api::imports::export_parts_csv, api::imports::export_parts_xlsx,
        api::products::list_suppliers, api::products::get_supplier, api::products::create_supplier,
        api::products::list_products, api::products::get_product, api::products::create_product,
        api::products::update_product, api::products::add_product_document,
        api::products::add_supplier_document, api::products::add_institution_document,
        api::products::attach_scan, api::products::download_scan, api::products::expiring,
        api::products::expiry_alerts, api::products::set_expiry_alerts, api::products::qualification,
        api::products::submit_institution, api::products::submit_supplier, api::products::reviews,
        api::products::decide_review, api::products::sale_check,
        api::pricing::prices, api::pricing::propose_price, api::pricing::approvals, api::pricing::decide,
        api::pricing::list, api::pricing::get, api::pricing::create, api::pricing::update,
        api::pricing::submit, api::pricing::send, api::pricing::accept, api::pricing::decline,
        api::pricing::revise, api::pricing::sheet,
        api::pricing::approval_levels, api::pricing::set_approval_levels,
        api::contracts::list, api::contracts::get, api::contracts::create, api::contracts::from_quote,
        api::contracts::update, api::contracts::submit, api::contracts::sign, api::contracts::reviews,
        api::contracts::decide, api::contracts::credit, api::contracts::set_credit,
        api::deliveries::list_orders, api::deliveries::create_order, api::deliveries::get_order,
        api::deliveries::cancel_order, api::deliveries::ship, api::deliveries::get_delivery,
        api::deliveries::receipt, api::deliveries::parse_udi, api::deliveries::list_devices,
        api::deliveries::get_device, api::deliveries::update_device,
        api::deliveries::list_sales_records, api::deliveries::get_sales_record,
        api::deliveries::correct_sales_record, api::deliveries::export_sales_records,
        api::deliveries::trace, api::deliveries::trace_xlsx,
        api::receivables::list_invoices, api::receivables::create_invoice, api::receivables::get_invoice,
        api::receivables::void_invoice, api::receivables::list_payments, api::receivables::create_payment,
        api::receivables::get_payment, api::receivables::preview, api::receivables::aging,
        api::receivables::log_dunning, api::receivables::dunning, api::receivables::statement,
        api::receivables::statement_xlsx, api::receivables::report, api::receivables::report_xlsx,
        api::receivables::contract_receivables, api::receivables::escalation,
        api::receivables::set_escalation,
        api::contracts::amend, api::contracts::terminate, api::contracts::complete,
        api::contracts::versions, api::contracts::diff,
        api::contract_execution::problems, api::contract_execution::log_problem,
        api::contract_execution::resolve_problem, api::contract_execution::problem_settings,
        api::contract_execution::set_problem_settings, api::contract_execution::fulfilment,
        api::contract_execution::export_ledger,
        api::service::list, api::service::create, api::service::get_ticket, api::service::claim,
        api::service::contact, api::service::resolve_by_phone, api::service::dispatch,
        api::service::arrive, api::service::pause, api::service::resume, api::service::cancel,
        api::service::correct_event, api::service::mine, api::service::hotline,
        api::sla::board, api::sla::targets, api::sla::set_target, api::sla::delete_target,
        api::service_work::get_record, api::service_work::put_record,
        api::service_work::get_confirmation, api::service_work::put_confirmation,
        api::service_work::signature, api::service_work::complete,
        api::service_work::ticket_parts, api::service_work::request_part,
        api::service_work::part_queue, api::service_work::fulfil_part,
        api::service_work::cancel_part, api::service_work::get_survey,
        api::service_work::follow_up, api::service_work::improvements,
        api::service_work::close_improvement,
        api::service_ops::certifications, api::service_ops::set_certification,
        api::service_ops::remove_certification, api::service_ops::dispatch_suggestions,
        api::service_ops::plans, api::service_ops::create_plan, api::service_ops::update_plan,
        api::service_ops::record_visit, api::service_ops::due, api::service_ops::generate,
        api::service_ops::evaluation, api::service_ops::evaluation_xlsx,
        api::service_ops::unreviewed, api::service_ops::review,
        // PRT: spare parts.
        api::parts::list_parts, api::parts::create_part, api::parts::get_part, api::parts::update_part,
        api::parts::list_warehouses, api::parts::create_warehouse, api::parts::list_stock,
        api::parts::stock_xlsx, api::parts::set_levels, api::parts::suggestion, api::parts::reorder,
        api::parts::check, api::parts::receipt, api::parts::adjustment, api::parts::list_movements,
        api::parts::movements_xlsx, api::parts::list_transfers, api::parts::send_transfer,
        api::parts::receive_transfer, api::parts::issue, api::parts::return_parts,
        api::stock_counts::list_counts, api::stock_counts::open_count, api::stock_counts::get_count,
        api::stock_counts::record_counts, api::stock_counts::submit_count,
        api::stock_counts::approve_count, api::stock_counts::reject_count,
        api::purchasing::list_orders, api::purchasing::create_order, api::purchasing::get_order,
        api::purchasing::receive, api::purchasing::close,
    ),
    modifiers(&BearerAuth, &BodyErrors),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Answers every JSON-body operation can give before its handler runs (see `extract::ApiJson`),
/// added here once instead of on each path.
struct BodyErrors;

impl Modify for BodyErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let ops = [&mut item.post, &mut item.put, &mut item.patch];
            for op in ops
                .into_iter()
                .flatten()
                .filter(|op| op.request_body.is_some())
            {
                let responses = &mut op.responses.responses;
                // An operation that documents one of these itself (the 20 MiB file uploads'
                // 413) keeps its own.
                for (status, text) in [
                    ("400", "The body is not valid JSON"),
                    ("413", "The body is larger than 1 MiB"),
                    ("415", "The body is not application/json"),
                ] {
                    responses
                        .entry(status.into())
                        .or_insert_with(|| error(text).into());
                }
            }
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::from(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
}
