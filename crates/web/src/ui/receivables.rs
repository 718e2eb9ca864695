//! FIN pages: the receivables overview with aging (FIN-1), invoices, payments with their
//! allocation preview, the dunning log (FIN-2), the printable customer statement and the
//! report (FIN-3), the escalation thresholds, and a contract's receivables (linked from the
//! contract page). Money is fen throughout; nothing here touches a float.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use medcrm_app::Ctx;
use medcrm_app::contracts::ContractQuery;
use medcrm_app::customers::today;
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::domain::receivables::{
    Aging, DunningKind, Escalation, INVOICEABLE, InvoiceStatus, PaymentMethod,
};
use medcrm_app::policy::{self, Action};
use medcrm_app::receivables::{
    DunningInput, DunningRecord, GroupBy, InvoiceInput, InvoiceQuery, InvoiceRecord, PaymentInput,
    as_of, group_by, percent, period,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::audit::urlencode;
use crate::ui::{FieldErrors, FormData, PageCtx, Shell, after_post, local_time, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/receivables", get(overview))
        .route("/receivables/invoices", get(invoices).post(create_invoice))
        .route("/receivables/invoices/new", get(new_invoice))
        .route("/receivables/invoices/{id}", get(invoice))
        .route("/receivables/invoices/{id}/void", post(void_invoice))
        .route("/receivables/invoices/{id}/dunning", post(invoice_dunning))
        .route("/receivables/payments", post(create_payment))
        .route("/receivables/payments/new", get(new_payment))
        .route("/receivables/customers/{id}", get(customer))
        .route(
            "/receivables/customers/{id}/dunning",
            post(customer_dunning),
        )
        .route("/receivables/customers/{id}/statement", get(statement))
        .route("/receivables/report", get(report))
        .route("/receivables/settings", get(settings).post(save_settings))
        .route("/contracts/{id}/receivables", get(contract))
}

fn may(ctx: &Ctx, action: Action) -> bool {
    policy::scope(&ctx.actor, action).is_some()
}

fn template_error(e: askama::Error) -> UiError {
    UiError(medcrm_app::Error::Internal(format!("template: {e}")))
}

/// An invoice as a table row.
struct InvoiceRow {
    id: i64,
    number: String,
    contract_id: i64,
    contract_number: String,
    institution_id: i64,
    customer: String,
    issued_on: String,
    due_on: String,
    amount: String,
    paid: String,
    open: String,
    status: String,
    status_key: String,
    overdue: bool,
}

impl InvoiceRow {
    fn of(v: &InvoiceRecord) -> Self {
        let open = if v.status == "open" {
            v.amount_fen - v.paid_fen
        } else {
            0
        };
        InvoiceRow {
            id: v.id,
            number: v.number.clone(),
            contract_id: v.contract_id,
            contract_number: v.contract_number.clone(),
            institution_id: v.institution_id,
            customer: v.institution_name.clone(),
            issued_on: v.issued_on.clone(),
            due_on: v.due_on.clone(),
            amount: format_yuan(v.amount_fen),
            paid: format_yuan(v.paid_fen),
            open: format_yuan(open),
            overdue: open > 0 && v.due_on < today().to_string(),
            status: v.status.clone(),
            status_key: format!("fin.status.{}", v.status),
        }
    }
}

struct DunningRow {
    at: String,
    by: String,
    kind_key: String,
    note: String,
    promised_on: String,
    invoice_id: Option<i64>,
    invoice_number: String,
}

fn dunning_rows(list: &[DunningRecord]) -> Vec<DunningRow> {
    list.iter()
        .map(|d| DunningRow {
            at: local_time(d.at_ms),
            by: d.by_name.clone(),
            kind_key: format!("fin.kind.{}", d.kind),
            note: d.note.clone(),
            promised_on: d.promised_on.clone().unwrap_or_default(),
            invoice_id: d.invoice_id,
            invoice_number: d.invoice_number.clone().unwrap_or_default(),
        })
        .collect()
}

fn kinds() -> Vec<(&'static str, String)> {
    DunningKind::ALL
        .iter()
        .map(|k| (k.code(), format!("fin.kind.{}", k.code())))
        .collect()
}

/// The dunning form and log, shown on an invoice and on a customer.
#[derive(Template)]
#[template(path = "receivables/dunning.html")]
struct DunningSection<'a> {
    t: Lang,
    csrf: &'a str,
    action: String,
    can_log: bool,
    kinds: Vec<(&'static str, String)>,
    rows: Vec<DunningRow>,
    errors: &'a FieldErrors,
}

fn dunning_html(
    ctx: &Ctx,
    p: &PageCtx,
    action: String,
    list: &[DunningRecord],
    errors: &FieldErrors,
) -> Result<String, UiError> {
    DunningSection {
        t: p.t,
        csrf: &p.csrf,
        action,
        can_log: may(ctx, Action::LogDunning),
        kinds: kinds(),
        rows: dunning_rows(list),
        errors,
    }
    .render()
    .map_err(template_error)
}

// ---- FIN-1: the overview with aging ----

struct AgingRow {
    key: i64,
    name: String,
    cells: Vec<String>,
    total: String,
}

/// One bar of the chart: label key, amount, width in whole percent of the largest bucket.
struct Bar {
    key: String,
    amount: String,
    width: i64,
}

fn cells(a: &Aging) -> Vec<String> {
    a.buckets()
        .iter()
        .map(|(_, fen)| format_yuan(*fen))
        .collect()
}

#[derive(Template)]
#[template(path = "receivables/overview.html")]
struct OverviewPage {
    t: Lang,
    shell: Shell,
    as_of: String,
    group_by: &'static str,
    group_key: &'static str,
    groups: Vec<(&'static str, &'static str)>,
    rows: Vec<AgingRow>,
    total: Vec<String>,
    total_all: String,
    overdue: String,
    bars: Vec<Bar>,
    can_manage: bool,
}

#[derive(Deserialize, Default)]
pub struct OverviewQuery {
    as_of: Option<String>,
    group_by: Option<String>,
}

fn group_code(g: GroupBy) -> &'static str {
    match g {
        GroupBy::Customer => "customer",
        GroupBy::Rep => "rep",
        GroupBy::Region => "region",
    }
}

/// The column heading of a grouping.
fn group_key(g: GroupBy) -> &'static str {
    match g {
        GroupBy::Customer => "fin.by.customer",
        GroupBy::Rep => "fin.by.rep",
        GroupBy::Region => "fin.by.region",
    }
}

pub async fn overview(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<OverviewQuery>,
) -> Result<Response, UiError> {
    let as_of = as_of(q.as_of.as_deref())?;
    let g = group_by(q.group_by.as_deref())?;
    let r = s.app.aging(&ctx, as_of, g).await?;
    let largest = r
        .total
        .buckets()
        .iter()
        .map(|(_, f)| *f)
        .max()
        .unwrap_or(0)
        .max(1);
    let bars = r
        .total
        .buckets()
        .iter()
        .map(|(b, fen)| Bar {
            key: format!("fin.bucket.{}", b.code()),
            amount: format_yuan(*fen),
            width: fen.saturating_mul(100) / largest,
        })
        .collect();
    let page = OverviewPage {
        t: p.t,
        shell: p.shell(&ctx),
        as_of: as_of.to_string(),
        group_by: group_code(g),
        group_key: group_key(g),
        groups: vec![
            ("customer", "fin.by.customer"),
            ("rep", "fin.by.rep"),
            ("region", "fin.by.region"),
        ],
        rows: r
            .groups
            .iter()
            .map(|a| AgingRow {
                key: a.key,
                name: a.name.clone(),
                cells: cells(&a.aging),
                total: format_yuan(a.aging.total()),
            })
            .collect(),
        total: cells(&r.total),
        total_all: format_yuan(r.total.total()),
        overdue: format_yuan(r.total.overdue()),
        bars,
        can_manage: may(&ctx, Action::ManageReceivables),
    };
    render(StatusCode::OK, &page)
}

// ---- invoices ----

#[derive(Deserialize, Default)]
pub struct InvoicesQuery {
    q: Option<String>,
    status: Option<String>,
    overdue: Option<String>,
    cursor: Option<i64>,
}

#[derive(Template)]
#[template(path = "receivables/invoices.html")]
struct InvoicesPage {
    t: Lang,
    shell: Shell,
    q: String,
    status: String,
    overdue: bool,
    statuses: Vec<(&'static str, String)>,
    rows: Vec<InvoiceRow>,
    next: Option<String>,
    can_manage: bool,
}

pub async fn invoices(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<InvoicesQuery>,
) -> Result<Response, UiError> {
    let overdue = q.overdue.as_deref() == Some("1");
    let query = InvoiceQuery {
        status: q.status.clone(),
        overdue,
        query: q.q.clone(),
        cursor: q.cursor,
        ..Default::default()
    };
    let page = s.app.invoices(&ctx, &query).await?;
    let next = page.next_cursor.map(|c| {
        format!(
            "/receivables/invoices?q={}&status={}&overdue={}&cursor={c}",
            urlencode(q.q.as_deref().unwrap_or("")),
            urlencode(q.status.as_deref().unwrap_or("")),
            if overdue { "1" } else { "" },
        )
    });
    let page = InvoicesPage {
        t: p.t,
        shell: p.shell(&ctx),
        q: q.q.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        overdue,
        statuses: InvoiceStatus::ALL
            .iter()
            .map(|s| (s.code(), format!("fin.status.{}", s.code())))
            .collect(),
        rows: page.items.iter().map(InvoiceRow::of).collect(),
        next,
        can_manage: may(&ctx, Action::ManageReceivables),
    };
    render(StatusCode::OK, &page)
}

/// The contracts money may be booked against, `(id, "number customer")`.
async fn billable_contracts(s: &AppState, ctx: &Ctx) -> Result<Vec<(i64, String)>, UiError> {
    let mut out = Vec::new();
    for status in INVOICEABLE {
        let q = ContractQuery {
            status: Some((*status).into()),
            limit: Some(medcrm_app::MAX_PAGE_SIZE),
            ..Default::default()
        };
        for k in s.app.contracts(ctx, q).await?.items {
            out.push((k.id, format!("{} {}", k.number, k.institution_name)));
        }
    }
    out.sort();
    Ok(out)
}

struct InvoiceValues {
    contract_id: String,
    number: String,
    issued_on: String,
    amount: String,
    cost: String,
}

#[derive(Template)]
#[template(path = "receivables/invoice_form.html")]
struct InvoiceForm {
    t: Lang,
    shell: Shell,
    contracts: Vec<(i64, String)>,
    v: InvoiceValues,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct ContractParam {
    contract_id: Option<i64>,
    amount: Option<String>,
}

async fn invoice_form(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    v: InvoiceValues,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    medcrm_app::policy::require(&ctx.actor, Action::ManageReceivables)?;
    let page = InvoiceForm {
        t: p.t,
        shell: p.shell(ctx),
        contracts: billable_contracts(s, ctx).await?,
        v,
        errors,
    };
    render(status, &page)
}

pub async fn new_invoice(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ContractParam>,
) -> Result<Response, UiError> {
    let v = InvoiceValues {
        contract_id: q.contract_id.map(|c| c.to_string()).unwrap_or_default(),
        number: String::new(),
        issued_on: today().to_string(),
        amount: String::new(),
        cost: String::new(),
    };
    invoice_form(&s, &ctx, &p, v, StatusCode::OK, FieldErrors::new()).await
}

pub async fn create_invoice(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    f: FormData,
) -> Result<Response, UiError> {
    let v = InvoiceValues {
        contract_id: f.get("contract_id"),
        number: f.get("number"),
        issued_on: f.get("issued_on"),
        amount: f.get("amount"),
        cost: f.get("cost"),
    };
    let input = InvoiceInput {
        contract_id: v.contract_id.trim().parse().unwrap_or(0),
        number: v.number.clone(),
        issued_on: v.issued_on.clone(),
        amount: v.amount.clone(),
        cost: Some(v.cost.clone()),
    };
    let result = s.app.create_invoice(&ctx, input).await;
    after_post(
        result,
        |r| format!("/receivables/invoices/{}", r.id),
        |status, errors| invoice_form(&s, &ctx, &p, v, status, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "receivables/invoice.html")]
struct InvoicePage {
    t: Lang,
    shell: Shell,
    v: InvoiceRow,
    cost: String,
    void_reason: String,
    payments: Vec<(String, String)>,
    dunning: String,
    can_void: bool,
    can_pay: bool,
    errors: FieldErrors,
}

async fn invoice_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let d = s.app.invoice(ctx, id).await?;
    let action = format!("/receivables/invoices/{id}/dunning");
    let dunning = dunning_html(ctx, p, action, &d.dunning, &errors)?;
    let manage = may(ctx, Action::ManageReceivables);
    let page = InvoicePage {
        t: p.t,
        shell: p.shell(ctx),
        cost: format_yuan(d.record.cost_fen),
        void_reason: d.record.void_reason.clone(),
        can_void: manage && d.record.status == "open" && d.record.paid_fen == 0,
        can_pay: manage && d.record.status == "open",
        v: InvoiceRow::of(&d.record),
        payments: d
            .allocations
            .iter()
            .map(|a| (a.received_on.clone(), format_yuan(a.amount_fen)))
            .collect(),
        dunning,
        errors,
    };
    render(status, &page)
}

pub async fn invoice(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    invoice_page(&s, &ctx, &p, id, StatusCode::OK, FieldErrors::new()).await
}

pub async fn void_invoice(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    f: FormData,
) -> Result<Response, UiError> {
    let result = s.app.void_invoice(&ctx, id, &f.get("reason")).await;
    after_post(
        result,
        |_| format!("/receivables/invoices/{id}"),
        |status, errors| invoice_page(&s, &ctx, &p, id, status, errors),
    )
    .await
}

fn dunning_input(institution_id: i64, invoice_id: Option<i64>, f: &FormData) -> DunningInput {
    DunningInput {
        institution_id,
        invoice_id,
        kind: f.get("kind"),
        note: f.get("note"),
        promised_on: Some(f.get("promised_on")),
    }
}

pub async fn invoice_dunning(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    f: FormData,
) -> Result<Response, UiError> {
    let v = s.app.invoice(&ctx, id).await?.record;
    let input = dunning_input(v.institution_id, Some(id), &f);
    let result = s.app.log_dunning(&ctx, input).await;
    after_post(
        result,
        |_| format!("/receivables/invoices/{id}"),
        |status, errors| invoice_page(&s, &ctx, &p, id, status, errors),
    )
    .await
}

// ---- payments ----

struct PaymentValues {
    contract_id: String,
    received_on: String,
    amount: String,
    method: String,
    reference: String,
}

/// `(invoice number, due on, open, allocated)` of one invoice a payment would settle.
type PreviewLine = (String, String, String, String);

#[derive(Template)]
#[template(path = "receivables/payment_form.html")]
struct PaymentForm {
    t: Lang,
    shell: Shell,
    contracts: Vec<(i64, String)>,
    methods: Vec<(&'static str, String)>,
    v: PaymentValues,
    /// The invoices settled, oldest due first, and the contract's open total.
    preview: Option<(Vec<PreviewLine>, String)>,
    errors: FieldErrors,
}

async fn payment_form(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    v: PaymentValues,
    status: StatusCode,
    mut errors: FieldErrors,
) -> Result<Response, UiError> {
    medcrm_app::policy::require(&ctx.actor, Action::ManageReceivables)?;
    let mut preview = None;
    if let Ok(contract_id) = v.contract_id.trim().parse::<i64>()
        && !v.amount.trim().is_empty()
    {
        match s.app.preview_allocation(ctx, contract_id, &v.amount).await {
            Ok(pv) => {
                let lines = pv
                    .lines
                    .iter()
                    .map(|(inv, fen)| {
                        (
                            inv.number.clone(),
                            inv.due_on.clone(),
                            format_yuan(inv.amount_fen - inv.paid_fen),
                            format_yuan(*fen),
                        )
                    })
                    .collect();
                preview = Some((lines, format_yuan(pv.open_fen)));
            }
            Err(e) => {
                let (_, more) = crate::ui::field_errors(e)?;
                for (k, m) in more {
                    errors.entry(k).or_insert(m);
                }
            }
        }
    }
    let page = PaymentForm {
        t: p.t,
        shell: p.shell(ctx),
        contracts: billable_contracts(s, ctx).await?,
        methods: PaymentMethod::ALL
            .iter()
            .map(|m| (m.code(), format!("fin.method.{}", m.code())))
            .collect(),
        v,
        preview,
        errors,
    };
    render(status, &page)
}

pub async fn new_payment(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ContractParam>,
) -> Result<Response, UiError> {
    let v = PaymentValues {
        contract_id: q.contract_id.map(|c| c.to_string()).unwrap_or_default(),
        received_on: today().to_string(),
        amount: q.amount.unwrap_or_default(),
        method: PaymentMethod::Transfer.code().into(),
        reference: String::new(),
    };
    payment_form(&s, &ctx, &p, v, StatusCode::OK, FieldErrors::new()).await
}

pub async fn create_payment(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    f: FormData,
) -> Result<Response, UiError> {
    let v = PaymentValues {
        contract_id: f.get("contract_id"),
        received_on: f.get("received_on"),
        amount: f.get("amount"),
        method: f.get("method"),
        reference: f.get("reference"),
    };
    let input = PaymentInput {
        contract_id: v.contract_id.trim().parse().unwrap_or(0),
        received_on: v.received_on.clone(),
        amount: v.amount.clone(),
        method: v.method.clone(),
        reference: v.reference.clone(),
        allocations: Vec::new(),
    };
    let result = s.app.record_payment(&ctx, input).await;
    after_post(
        result,
        |r| format!("/contracts/{}/receivables", r.record.contract_id),
        |status, errors| payment_form(&s, &ctx, &p, v, status, errors),
    )
    .await
}

// ---- a customer's receivables and dunning (FIN-2) ----

#[derive(Template)]
#[template(path = "receivables/customer.html")]
struct CustomerPage {
    t: Lang,
    shell: Shell,
    id: i64,
    name: String,
    rows: Vec<InvoiceRow>,
    dunning: String,
}

async fn customer_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let log = s.app.customer_dunning(ctx, id).await?;
    let query = InvoiceQuery {
        institution_id: Some(id),
        limit: Some(medcrm_app::MAX_PAGE_SIZE),
        ..Default::default()
    };
    let invoices = s.app.invoices(ctx, &query).await?.items;
    let name = s.app.institution(ctx, id).await?.view.record.name;
    let action = format!("/receivables/customers/{id}/dunning");
    let page = CustomerPage {
        t: p.t,
        shell: p.shell(ctx),
        id,
        name,
        rows: invoices.iter().map(InvoiceRow::of).collect(),
        dunning: dunning_html(ctx, p, action, &log, &errors)?,
    };
    render(status, &page)
}

pub async fn customer(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    customer_page(&s, &ctx, &p, id, StatusCode::OK, FieldErrors::new()).await
}

pub async fn customer_dunning(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    f: FormData,
) -> Result<Response, UiError> {
    let result = s.app.log_dunning(&ctx, dunning_input(id, None, &f)).await;
    after_post(
        result,
        |_| format!("/receivables/customers/{id}"),
        |status, errors| customer_page(&s, &ctx, &p, id, status, errors),
    )
    .await
}

// ---- FIN-3: the statement ----

#[derive(Deserialize, Default)]
pub struct PeriodParams {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
}

struct StatementRow {
    date: String,
    kind_key: String,
    reference: String,
    contract_number: String,
    debit: String,
    credit: String,
    balance: String,
}

#[derive(Template)]
#[template(path = "receivables/statement.html")]
struct StatementPage {
    t: Lang,
    id: i64,
    company: String,
    customer: String,
    from: String,
    to: String,
    opening: String,
    rows: Vec<StatementRow>,
    invoiced: String,
    received: String,
    closing: String,
    printed_on: String,
}

/// The company: the root of the region tree.
async fn company(s: &AppState, ctx: &Ctx) -> Result<String, UiError> {
    Ok(s.app
        .regions(ctx)
        .await?
        .into_iter()
        .find(|r| r.parent_id.is_none())
        .map(|r| r.name_zh)
        .unwrap_or_default())
}

/// The statement (对账单) to print or send; in Chinese, for the customer.
pub async fn statement(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PeriodParams>,
) -> Result<Response, UiError> {
    let (from, to) = period(q.from.as_deref(), q.to.as_deref())?;
    let st = s.app.statement(&ctx, id, from, to).await?;
    let money = |fen: i64| {
        if fen == 0 {
            String::new()
        } else {
            format_yuan(fen)
        }
    };
    let page = StatementPage {
        t: Lang::Zh,
        id,
        company: company(&s, &ctx).await?,
        customer: st.institution.name.clone(),
        from: from.to_string(),
        to: to.to_string(),
        opening: format_yuan(st.opening_fen),
        rows: st
            .lines
            .iter()
            .map(|l| StatementRow {
                date: l.date.clone(),
                kind_key: format!("fin.line.{}", l.kind),
                reference: l.reference.clone(),
                contract_number: l.contract_number.clone(),
                debit: money(l.debit_fen),
                credit: money(l.credit_fen),
                balance: format_yuan(l.balance_fen),
            })
            .collect(),
        invoiced: format_yuan(st.invoiced_fen),
        received: format_yuan(st.received_fen),
        closing: format_yuan(st.closing_fen),
        printed_on: today().to_string(),
    };
    render(StatusCode::OK, &page)
}

// ---- FIN-3: the report ----

struct ReportRow {
    month: String,
    name: String,
    invoiced: String,
    cost: String,
    margin: String,
    rate: String,
    collected: String,
    outstanding: String,
}

fn report_row(l: &medcrm_app::receivables::ReportLine) -> ReportRow {
    ReportRow {
        month: l.month.clone(),
        name: l.name.clone(),
        invoiced: format_yuan(l.invoiced_fen),
        cost: format_yuan(l.cost_fen),
        margin: format_yuan(l.margin_fen),
        rate: percent(l.margin_bp),
        collected: format_yuan(l.collected_fen),
        outstanding: format_yuan(l.outstanding_fen),
    }
}

#[derive(Template)]
#[template(path = "receivables/report.html")]
struct ReportPage {
    t: Lang,
    shell: Shell,
    from: String,
    to: String,
    group_by: &'static str,
    group_key: &'static str,
    rows: Vec<ReportRow>,
    total: ReportRow,
}

fn report_group(text: Option<&str>) -> Result<GroupBy, UiError> {
    Ok(group_by(Some(text.unwrap_or("region")))?)
}

pub async fn report(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<PeriodParams>,
) -> Result<Response, UiError> {
    let (from, to) = period(q.from.as_deref(), q.to.as_deref())?;
    let g = report_group(q.group_by.as_deref())?;
    let r = s.app.revenue_report(&ctx, from, to, g).await?;
    let page = ReportPage {
        t: p.t,
        shell: p.shell(&ctx),
        from: from.to_string(),
        to: to.to_string(),
        group_by: group_code(g),
        group_key: group_key(g),
        rows: r.lines.iter().map(report_row).collect(),
        total: report_row(&r.total),
    };
    render(StatusCode::OK, &page)
}

// ---- FIN-2: the escalation thresholds ----

#[derive(Template)]
#[template(path = "receivables/settings.html")]
struct SettingsPage {
    t: Lang,
    shell: Shell,
    values: [String; 3],
    can_configure: bool,
    errors: FieldErrors,
}

async fn settings_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    values: Option<[String; 3]>,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let rule = s.app.escalation_rule(ctx).await?;
    let page = SettingsPage {
        t: p.t,
        shell: p.shell(ctx),
        values: values.unwrap_or_else(|| {
            [rule.rep_days, rule.manager_days, rule.finance_days].map(|d| d.to_string())
        }),
        can_configure: may(ctx, Action::ConfigureReceivables),
        errors,
    };
    render(status, &page)
}

pub async fn settings(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    settings_page(&s, &ctx, &p, None, StatusCode::OK, FieldErrors::new()).await
}

pub async fn save_settings(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    f: FormData,
) -> Result<Response, UiError> {
    let values = ["rep_days", "manager_days", "finance_days"].map(|k| f.get(k));
    let [rep, manager, finance] = values.clone().map(|v| v.trim().parse::<u32>().ok());
    let result = match (rep, manager, finance) {
        (Some(rep_days), Some(manager_days), Some(finance_days)) => {
            let rule = Escalation {
                rep_days,
                manager_days,
                finance_days,
            };
            s.app.set_escalation_rule(&ctx, rule).await
        }
        _ => Err(medcrm_app::Error::invalid(
            "finance_days",
            "whole numbers of days",
        )),
    };
    after_post(
        result,
        |_| "/receivables/settings".into(),
        |status, errors| settings_page(&s, &ctx, &p, Some(values), status, errors),
    )
    .await
}

// ---- a contract's receivables (linked from the contract page) ----

#[derive(Template)]
#[template(path = "receivables/contract.html")]
struct ContractPage {
    t: Lang,
    shell: Shell,
    id: i64,
    number: String,
    customer: String,
    institution_id: i64,
    total: String,
    invoiced: String,
    collected: String,
    receivable: String,
    rows: Vec<InvoiceRow>,
    payments: Vec<(String, String, String, String)>,
    can_manage: bool,
}

pub async fn contract(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let r = s.app.contract_receivables(&ctx, id).await?;
    let k = &r.contract;
    let page = ContractPage {
        t: p.t,
        shell: p.shell(&ctx),
        id,
        number: k.number.clone(),
        customer: k.institution_name.clone(),
        institution_id: k.institution_id,
        total: format_yuan(k.total_fen),
        invoiced: format_yuan(k.invoiced_fen),
        collected: format_yuan(k.collected_fen),
        receivable: format_yuan(k.invoiced_fen - k.collected_fen),
        rows: r.invoices.iter().map(InvoiceRow::of).collect(),
        payments: r
            .payments
            .iter()
            .map(|p| {
                (
                    p.received_on.clone(),
                    format!("fin.method.{}", p.method),
                    p.reference.clone(),
                    format_yuan(p.amount_fen),
                )
            })
            .collect(),
        can_manage: may(&ctx, Action::ManageReceivables)
            && INVOICEABLE.contains(&k.status.as_str()),
    };
    render(StatusCode::OK, &page)
}
