//! The integration suite: the real server over HTTP, against SQLite or (with
//! `MEDCRM_TEST_POSTGRES_URL`) PostgreSQL. One binary so it links once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_errors;
mod audit;
mod auth;
mod calendar;
mod contract_execution;
mod contracts;
mod contracts_ui;
mod customers;
mod customers_ui;
mod deliveries;
mod deliveries_ui;
mod development_plans;
mod imports;
mod notifications;
mod org;
mod pipeline;
mod pipeline_ui;
mod pricing;
mod products;
mod products_ui;
mod receivables;
mod receivables_ui;
mod service;
mod service_ops;
mod service_ops_ui;
mod service_ui;
mod service_work;
mod short_search;
mod sla;
mod ui;
// PRT: spare parts.
mod counts;
mod parts;
mod parts_import;
mod parts_ui;
mod purchasing;
