//! FIN-1…3: invoices, payments and their allocation, aging, dunning, statements, the report
//! and the escalation thresholds.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::domain::receivables::{Aging, Escalation};
use medcrm_app::imports::Format;
use medcrm_app::receivables::{
    AgingReport, AllocationRecord, DunningInput, DunningRecord, InvoiceDetail, InvoiceInput,
    InvoiceQuery, InvoiceRecord, PaymentDetail, PaymentInput, PaymentRecord, ReportLine,
    RevenueReport, Statement, as_of, group_by, percent, period,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::imports::send_table;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/invoices", get(list_invoices).post(create_invoice))
        .route("/api/v1/invoices/{id}", get(get_invoice))
        .route("/api/v1/invoices/{id}/void", post(void_invoice))
        .route("/api/v1/payments", get(list_payments).post(create_payment))
        .route("/api/v1/payments/preview", get(preview))
        .route("/api/v1/payments/{id}", get(get_payment))
        .route("/api/v1/receivables/aging", get(aging))
        .route("/api/v1/receivables/report", get(report))
        .route("/api/v1/receivables/report.xlsx", get(report_xlsx))
        .route("/api/v1/dunning", post(log_dunning))
        .route("/api/v1/institutions/{id}/dunning", get(dunning))
        .route("/api/v1/institutions/{id}/statement", get(statement))
        .route(
            "/api/v1/institutions/{id}/statement.xlsx",
            get(statement_xlsx),
        )
        .route(
            "/api/v1/contracts/{id}/receivables",
            get(contract_receivables),
        )
        .route(
            "/api/v1/settings/receivables-escalation",
            get(escalation).put(set_escalation),
        )
}

/// Money as both integer fen and a yuan string.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Money {
    pub fen: i64,
    pub yuan: String,
}

impl From<i64> for Money {
    fn from(fen: i64) -> Self {
        Money {
            fen,
            yuan: format_yuan(fen),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Invoice {
    pub id: i64,
    /// The tax invoice number (发票号码).
    pub number: String,
    pub contract_id: i64,
    pub contract_number: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub issued_on: String,
    /// issued_on + the contract's payment days.
    pub due_on: String,
    pub amount: Money,
    pub paid: Money,
    pub open: Money,
    pub cost: Money,
    /// open, paid, void.
    pub status: String,
    pub void_reason: String,
    pub created_by: i64,
    pub created_at: String,
}

impl From<InvoiceRecord> for Invoice {
    fn from(v: InvoiceRecord) -> Self {
        let open = if v.status == "open" {
            v.amount_fen - v.paid_fen
        } else {
            0
        };
        Invoice {
            id: v.id,
            number: v.number,
            contract_id: v.contract_id,
            contract_number: v.contract_number,
            institution_id: v.institution_id,
            institution_name: v.institution_name,
            owner_id: v.owner_id,
            region_id: v.region_id,
            issued_on: v.issued_on,
            due_on: v.due_on,
            amount: v.amount_fen.into(),
            paid: v.paid_fen.into(),
            open: open.into(),
            cost: v.cost_fen.into(),
            status: v.status,
            void_reason: v.void_reason,
            created_by: v.created_by,
            created_at: ts(v.created_at_ms),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Allocation {
    pub payment_id: i64,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub received_on: String,
    pub amount: Money,
}

impl From<AllocationRecord> for Allocation {
    fn from(a: AllocationRecord) -> Self {
        Allocation {
            payment_id: a.payment_id,
            invoice_id: a.invoice_id,
            invoice_number: a.invoice_number,
            received_on: a.received_on,
            amount: a.amount_fen.into(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Dunning {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub contract_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub invoice_number: Option<String>,
    /// phone, letter, legal.
    pub kind: String,
    pub note: String,
    /// The date the customer promised to pay.
    pub promised_on: Option<String>,
    pub by_user: i64,
    pub by_name: String,
    pub at: String,
}

impl From<DunningRecord> for Dunning {
    fn from(d: DunningRecord) -> Self {
        Dunning {
            id: d.id,
            institution_id: d.institution_id,
            institution_name: d.institution_name,
            contract_id: d.contract_id,
            invoice_id: d.invoice_id,
            invoice_number: d.invoice_number,
            kind: d.kind,
            note: d.note,
            promised_on: d.promised_on,
            by_user: d.by_user,
            by_name: d.by_name,
            at: ts(d.at_ms),
        }
    }
}

/// An invoice with its payments and dunning log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvoiceWithHistory {
    #[serde(flatten)]
    pub invoice: Invoice,
    pub allocations: Vec<Allocation>,
    pub dunning: Vec<Dunning>,
}

impl From<InvoiceDetail> for InvoiceWithHistory {
    fn from(d: InvoiceDetail) -> Self {
        InvoiceWithHistory {
            invoice: d.record.into(),
            allocations: d.allocations.into_iter().map(Allocation::from).collect(),
            dunning: d.dunning.into_iter().map(Dunning::from).collect(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Payment {
    pub id: i64,
    pub contract_id: i64,
    pub contract_number: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub received_on: String,
    pub amount: Money,
    /// transfer, acceptance_bill, cheque, cash.
    pub method: String,
    pub reference: String,
    pub created_by: i64,
    pub created_at: String,
}

impl From<PaymentRecord> for Payment {
    fn from(p: PaymentRecord) -> Self {
        Payment {
            id: p.id,
            contract_id: p.contract_id,
            contract_number: p.contract_number,
            institution_id: p.institution_id,
            institution_name: p.institution_name,
            received_on: p.received_on,
            amount: p.amount_fen.into(),
            method: p.method,
            reference: p.reference,
            created_by: p.created_by,
            created_at: ts(p.created_at_ms),
        }
    }
}

/// A payment with the invoices it settled.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PaymentWithAllocations {
    #[serde(flatten)]
    pub payment: Payment,
    pub allocations: Vec<Allocation>,
}

impl From<PaymentDetail> for PaymentWithAllocations {
    fn from(d: PaymentDetail) -> Self {
        PaymentWithAllocations {
            payment: d.record.into(),
            allocations: d.allocations.into_iter().map(Allocation::from).collect(),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceListQuery {
    /// open, paid, void.
    pub status: Option<String>,
    pub contract_id: Option<i64>,
    pub institution_id: Option<i64>,
    /// Only open invoices past their due date.
    pub overdue: Option<bool>,
    /// Part of the invoice or contract number or the customer's name.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// FIN-1: invoices in the caller's scope (rep own, manager region, finance company), newest
/// first.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "receivables", security(("bearer" = [])),
    params(InvoiceListQuery),
    responses((status = 200, body = Page<Invoice>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_invoices(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<InvoiceListQuery>,
) -> Result<Json<Page<Invoice>>, ApiError> {
    let query = InvoiceQuery {
        status: q.status,
        contract_id: q.contract_id,
        institution_id: q.institution_id,
        overdue: q.overdue.unwrap_or(false),
        query: q.q,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    let page = s.app.invoices(&ctx, &query).await?;
    Ok(Json(Page::from(page, Invoice::from)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvoice {
    /// A signed, executing, changed or completed contract.
    pub contract_id: i64,
    /// The tax invoice number; unique (409 when already recorded).
    pub number: String,
    /// YYYY-MM-DD, not in the future.
    pub issued_on: String,
    /// Yuan; all invoices of the contract together at most its total (422 `over_contract_total`).
    pub amount: String,
    /// Yuan; the cost of what is billed, for the margin report (default 0).
    pub cost: Option<String>,
}

/// FIN-1: record an invoice (finance). Due date = issued_on + the contract's payment days.
#[utoipa::path(post, path = "/api/v1/invoices", tag = "receivables", security(("bearer" = [])),
    request_body = NewInvoice,
    responses((status = 201, body = Invoice), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_invoice(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewInvoice>,
) -> Result<(StatusCode, Json<Invoice>), ApiError> {
    let input = InvoiceInput {
        contract_id: b.contract_id,
        number: b.number,
        issued_on: b.issued_on,
        amount: b.amount,
        cost: b.cost,
    };
    let v = s.app.create_invoice(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// FIN-1: an invoice with what was paid on it and its dunning log.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "receivables", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = InvoiceWithHistory), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_invoice(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InvoiceWithHistory>, ApiError> {
    Ok(Json(s.app.invoice(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidBody {
    /// Why (red-letter reversal, wrong amount …); kept in the audit log.
    pub reason: String,
}

/// FIN-1: void an invoice nothing was paid on (finance); 409 otherwise.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/void", tag = "receivables", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VoidBody,
    responses((status = 200, body = Invoice), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn void_invoice(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<VoidBody>,
) -> Result<Json<Invoice>, ApiError> {
    Ok(Json(s.app.void_invoice(&ctx, id, &b.reason).await?.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentListQuery {
    pub contract_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// FIN-1: payments in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/payments", tag = "receivables", security(("bearer" = [])),
    params(PaymentListQuery),
    responses((status = 200, body = Page<Payment>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_payments(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PaymentListQuery>,
) -> Result<Json<Page<Payment>>, ApiError> {
    let page = s
        .app
        .payments(
            &ctx,
            q.contract_id,
            q.institution_id,
            cursor(q.cursor.as_deref())?,
            q.limit,
        )
        .await?;
    Ok(Json(Page::from(page, Payment::from)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    pub invoice_id: i64,
    /// Yuan.
    pub amount: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    pub contract_id: i64,
    /// YYYY-MM-DD, not in the future.
    pub received_on: String,
    /// Yuan; at most the contract's open invoiced amount (422 `overpayment`).
    pub amount: String,
    /// transfer, acceptance_bill, cheque, cash.
    pub method: String,
    /// Bank reference or bill number.
    #[serde(default)]
    pub reference: String,
    /// How to spread the payment; omitted: the oldest due invoices first.
    #[serde(default)]
    pub allocations: Vec<AllocationInput>,
}

/// FIN-1: record a payment (finance), allocated to the contract's open invoices in one
/// transaction. 409 when a concurrent payment settled the same invoices first.
#[utoipa::path(post, path = "/api/v1/payments", tag = "receivables", security(("bearer" = [])),
    request_body = NewPayment,
    responses((status = 201, body = PaymentWithAllocations), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_payment(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewPayment>,
) -> Result<(StatusCode, Json<PaymentWithAllocations>), ApiError> {
    let input = PaymentInput {
        contract_id: b.contract_id,
        received_on: b.received_on,
        amount: b.amount,
        method: b.method,
        reference: b.reference,
        allocations: b
            .allocations
            .into_iter()
            .map(|a| (a.invoice_id, a.amount))
            .collect(),
    };
    let p = s.app.record_payment(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// FIN-1: a payment with the invoices it settled.
#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "receivables", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PaymentWithAllocations), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_payment(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PaymentWithAllocations>, ApiError> {
    Ok(Json(s.app.payment(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    pub contract_id: i64,
    /// Yuan.
    pub amount: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PreviewLine {
    pub invoice: Invoice,
    pub amount: Money,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Preview {
    /// The contract's open invoiced amount.
    pub open: Money,
    pub lines: Vec<PreviewLine>,
}

/// FIN-1: how a payment of `amount` would be allocated (oldest due first), before recording.
#[utoipa::path(get, path = "/api/v1/payments/preview", tag = "receivables", security(("bearer" = [])),
    params(PreviewQuery),
    responses((status = 200, body = Preview), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> Result<Json<Preview>, ApiError> {
    let p = s
        .app
        .preview_allocation(&ctx, q.contract_id, &q.amount)
        .await?;
    Ok(Json(Preview {
        open: p.open_fen.into(),
        lines: p
            .lines
            .into_iter()
            .map(|(v, fen)| PreviewLine {
                invoice: v.into(),
                amount: fen.into(),
            })
            .collect(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Buckets {
    pub not_due: Money,
    pub d1_30: Money,
    pub d31_60: Money,
    pub d61_90: Money,
    pub over_90: Money,
    pub overdue: Money,
    pub total: Money,
}

impl From<Aging> for Buckets {
    fn from(a: Aging) -> Self {
        Buckets {
            not_due: a.not_due.into(),
            d1_30: a.d1_30.into(),
            d31_60: a.d31_60.into(),
            d61_90: a.d61_90.into(),
            over_90: a.over_90.into(),
            overdue: a.overdue().into(),
            total: a.total().into(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AgingGroupBody {
    /// The customer, rep or region id.
    pub key: i64,
    pub name: String,
    pub buckets: Buckets,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AgingBody {
    pub as_of: String,
    /// customer, rep or region.
    pub group_by: String,
    pub groups: Vec<AgingGroupBody>,
    pub total: Buckets,
}

fn group_code(g: medcrm_app::receivables::GroupBy) -> &'static str {
    use medcrm_app::receivables::GroupBy as G;
    match g {
        G::Customer => "customer",
        G::Rep => "rep",
        G::Region => "region",
    }
}

impl From<AgingReport> for AgingBody {
    fn from(r: AgingReport) -> Self {
        AgingBody {
            as_of: r.as_of.to_string(),
            group_by: group_code(r.group_by).into(),
            groups: r
                .groups
                .into_iter()
                .map(|g| AgingGroupBody {
                    key: g.key,
                    name: g.name,
                    buckets: g.aging.into(),
                })
                .collect(),
            total: r.total.into(),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgingQuery {
    /// YYYY-MM-DD (default today).
    pub as_of: Option<String>,
    /// customer (default), rep or region.
    pub group_by: Option<String>,
}

/// FIN-1: receivables aging — not yet due, 1–30, 31–60, 61–90, > 90 days past due — per
/// customer, rep or region and in total, in the caller's scope.
#[utoipa::path(get, path = "/api/v1/receivables/aging", tag = "receivables", security(("bearer" = [])),
    params(AgingQuery),
    responses((status = 200, body = AgingBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn aging(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<AgingQuery>,
) -> Result<Json<AgingBody>, ApiError> {
    let as_of = as_of(q.as_of.as_deref())?;
    let group_by = group_by(q.group_by.as_deref())?;
    Ok(Json(s.app.aging(&ctx, as_of, group_by).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDunning {
    pub institution_id: i64,
    pub invoice_id: Option<i64>,
    /// phone, letter, legal.
    pub kind: String,
    pub note: String,
    /// YYYY-MM-DD the customer promised to pay.
    pub promised_on: Option<String>,
}

/// FIN-2: log a collection action on one of the caller's customers (another rep's: 404).
#[utoipa::path(post, path = "/api/v1/dunning", tag = "receivables", security(("bearer" = [])),
    request_body = NewDunning,
    responses((status = 201, body = Dunning), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn log_dunning(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewDunning>,
) -> Result<(StatusCode, Json<Dunning>), ApiError> {
    let input = DunningInput {
        institution_id: b.institution_id,
        invoice_id: b.invoice_id,
        kind: b.kind,
        note: b.note,
        promised_on: b.promised_on,
    };
    let d = s.app.log_dunning(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// FIN-2: a customer's dunning log, newest first.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/dunning", tag = "receivables", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Dunning>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dunning(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Dunning>>, ApiError> {
    let list = s.app.customer_dunning(&ctx, id).await?;
    Ok(Json(list.into_iter().map(Dunning::from).collect()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// YYYY-MM-DD (default the first of this month).
    pub from: Option<String>,
    /// YYYY-MM-DD (default today).
    pub to: Option<String>,
    /// For the report: region (default) or rep.
    pub group_by: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatementLineBody {
    pub date: String,
    /// invoice or payment.
    pub kind: String,
    pub reference: String,
    pub contract_number: String,
    pub debit: Money,
    pub credit: Money,
    pub balance: Money,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatementBody {
    pub institution_id: i64,
    pub institution_name: String,
    pub from: String,
    pub to: String,
    pub opening: Money,
    pub lines: Vec<StatementLineBody>,
    pub invoiced: Money,
    pub received: Money,
    /// opening + invoiced − received.
    pub closing: Money,
}

impl From<Statement> for StatementBody {
    fn from(s: Statement) -> Self {
        StatementBody {
            institution_id: s.institution.id,
            institution_name: s.institution.name,
            from: s.from.to_string(),
            to: s.to.to_string(),
            opening: s.opening_fen.into(),
            lines: s
                .lines
                .into_iter()
                .map(|l| StatementLineBody {
                    date: l.date,
                    kind: l.kind.into(),
                    reference: l.reference,
                    contract_number: l.contract_number,
                    debit: l.debit_fen.into(),
                    credit: l.credit_fen.into(),
                    balance: l.balance_fen.into(),
                })
                .collect(),
            invoiced: s.invoiced_fen.into(),
            received: s.received_fen.into(),
            closing: s.closing_fen.into(),
        }
    }
}

/// FIN-3: a customer's statement (对账单) for a period: opening balance, invoices, payments,
/// closing balance.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/statement", tag = "receivables", security(("bearer" = [])),
    params(("id" = i64, Path), PeriodQuery),
    responses((status = 200, body = StatementBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn statement(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<StatementBody>, ApiError> {
    let (from, to) = period(q.from.as_deref(), q.to.as_deref())?;
    Ok(Json(s.app.statement(&ctx, id, from, to).await?.into()))
}

/// FIN-3: the statement as an Excel sheet.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/statement.xlsx", tag = "receivables", security(("bearer" = [])),
    params(("id" = i64, Path), PeriodQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The statement"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn statement_xlsx(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, ApiError> {
    let (from, to) = period(q.from.as_deref(), q.to.as_deref())?;
    let (_, table) = s.app.statement_sheet(&ctx, id, from, to).await?;
    send_table(table, Format::Xlsx, &format!("statement-{id}")).await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportLineBody {
    /// YYYY-MM; empty on the total.
    pub month: String,
    /// The region or rep id (0 on the total).
    pub key: i64,
    pub name: String,
    /// Revenue: invoiced in the month.
    pub invoiced: Money,
    pub cost: Money,
    pub margin: Money,
    /// Gross margin as a percentage with two decimals, "—" without revenue.
    pub margin_rate: String,
    pub collected: Money,
    /// What of the month's invoices is still open.
    pub outstanding: Money,
}

impl From<ReportLine> for ReportLineBody {
    fn from(l: ReportLine) -> Self {
        ReportLineBody {
            month: l.month,
            key: l.key,
            name: l.name,
            invoiced: l.invoiced_fen.into(),
            cost: l.cost_fen.into(),
            margin: l.margin_fen.into(),
            margin_rate: percent(l.margin_bp),
            collected: l.collected_fen.into(),
            outstanding: l.outstanding_fen.into(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportBody {
    pub from: String,
    pub to: String,
    pub group_by: String,
    pub lines: Vec<ReportLineBody>,
    pub total: ReportLineBody,
}

impl From<RevenueReport> for ReportBody {
    fn from(r: RevenueReport) -> Self {
        ReportBody {
            from: r.from.to_string(),
            to: r.to.to_string(),
            group_by: group_code(r.group_by).into(),
            lines: r.lines.into_iter().map(ReportLineBody::from).collect(),
            total: r.total.into(),
        }
    }
}

/// The report's grouping: region unless `rep`.
pub fn report_group(text: Option<&str>) -> Result<medcrm_app::receivables::GroupBy, ApiError> {
    Ok(group_by(Some(text.unwrap_or("region")))?)
}

/// FIN-3: revenue, cost, gross margin, collected and outstanding per month and region or rep.
#[utoipa::path(get, path = "/api/v1/receivables/report", tag = "receivables", security(("bearer" = [])),
    params(PeriodQuery),
    responses((status = 200, body = ReportBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn report(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<ReportBody>, ApiError> {
    let (from, to) = period(q.from.as_deref(), q.to.as_deref())?;
    let g = report_group(q.group_by.as_deref())?;
    Ok(Json(s.app.revenue_report(&ctx, from, to, g).await?.into()))
}

/// FIN-3: the report as an Excel sheet.
#[utoipa::path(get, path = "/api/v1/receivables/report.xlsx", tag = "receivables", security(("bearer" = [])),
    params(PeriodQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The report"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report_xlsx(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, ApiError> {
    let (from, to) = period(q.from.as_deref(), q.to.as_deref())?;
    let g = report_group(q.group_by.as_deref())?;
    let table = s.app.revenue_report_sheet(&ctx, from, to, g).await?;
    send_table(table, Format::Xlsx, "receivables-report").await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContractReceivablesBody {
    pub contract_id: i64,
    pub contract_number: String,
    pub total: Money,
    pub invoiced: Money,
    pub collected: Money,
    /// invoiced − collected.
    pub receivable: Money,
    pub invoices: Vec<Invoice>,
    pub payments: Vec<Payment>,
}

/// FIN-1: a contract's invoices and payments with its ledger amounts.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/receivables", tag = "receivables", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ContractReceivablesBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn contract_receivables(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ContractReceivablesBody>, ApiError> {
    let r = s.app.contract_receivables(&ctx, id).await?;
    let k = r.contract;
    Ok(Json(ContractReceivablesBody {
        contract_id: k.id,
        contract_number: k.number,
        total: k.total_fen.into(),
        invoiced: k.invoiced_fen.into(),
        collected: k.collected_fen.into(),
        receivable: (k.invoiced_fen - k.collected_fen).into(),
        invoices: r.invoices.into_iter().map(Invoice::from).collect(),
        payments: r.payments.into_iter().map(Payment::from).collect(),
    }))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationBody {
    /// Days overdue when the rep is reminded (≥ 1).
    pub rep_days: u32,
    /// Days overdue when the rep's manager is told.
    pub manager_days: u32,
    /// Days overdue when finance and the director are told (≤ 720).
    pub finance_days: u32,
}

impl From<Escalation> for EscalationBody {
    fn from(e: Escalation) -> Self {
        EscalationBody {
            rep_days: e.rep_days,
            manager_days: e.manager_days,
            finance_days: e.finance_days,
        }
    }
}

/// FIN-2: the overdue thresholds of reminders and escalation.
#[utoipa::path(get, path = "/api/v1/settings/receivables-escalation", tag = "receivables", security(("bearer" = [])),
    responses((status = 200, body = EscalationBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn escalation(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<EscalationBody>, ApiError> {
    Ok(Json(s.app.escalation_rule(&ctx).await?.into()))
}

/// FIN-2: set the thresholds (finance or admin); each later than the one before.
#[utoipa::path(put, path = "/api/v1/settings/receivables-escalation", tag = "receivables", security(("bearer" = [])),
    request_body = EscalationBody,
    responses((status = 200, body = EscalationBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_escalation(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<EscalationBody>,
) -> Result<Json<EscalationBody>, ApiError> {
    let rule = Escalation {
        rep_days: b.rep_days,
        manager_days: b.manager_days,
        finance_days: b.finance_days,
    };
    Ok(Json(s.app.set_escalation_rule(&ctx, rule).await?.into()))
}
