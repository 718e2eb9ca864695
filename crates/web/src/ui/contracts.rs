//! CON pages: the ledger (台账) with its filters and export, the contract form, the contract
//! page with its terms, lines, reviews, versions and diff, problems and the actions its state
//! allows, the legal/finance review queue, the printable contract and the fulfilment report.
//! Money is fen throughout.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::Ctx;
use medcrm_app::contract_execution::{Fulfilment, ProblemRecord};
use medcrm_app::contracts::{
    ContractDetail, ContractDiff, ContractInput, ContractLineInput, ContractQuery, ContractRecord,
    CreditInput, LineChange,
};
use medcrm_app::customers::today;
use medcrm_app::domain::contracts::{ContractStatus, CreditRating};
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::policy::{self, Action};
use medcrm_app::products::ProductQuery;
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::audit::urlencode;
use crate::ui::{
    FieldErrors, FormData, PageCtx, Shell, after_post, decision_error, field_errors, local_time,
    name_of, people, render, see_other,
};

/// How many line rows the form offers at least.
const MIN_LINE_ROWS: usize = 3;

fn status_key(status: &str) -> String {
    format!("con.status.{status}")
}

/// A share in basis points as a percentage with two decimals, exactly.
fn percent(bp: Option<i64>) -> String {
    bp.map(|bp| format!("{}.{:02}%", bp / 100, bp % 100))
        .unwrap_or_else(|| "—".into())
}

/// A credit review's exposure against the limit it was raised on (CON-6).
fn exposure(r: &medcrm_app::contracts::ReviewRecord) -> String {
    match (r.exposure_fen, r.limit_fen) {
        (Some(e), Some(l)) => format!("¥{} / ¥{}", format_yuan(e), format_yuan(l)),
        (Some(e), None) => format!("¥{}", format_yuan(e)),
        _ => String::new(),
    }
}

// ---- the ledger ----

struct LedgerRow {
    id: i64,
    number: String,
    title: String,
    institution_id: i64,
    customer: String,
    owner: String,
    status: String,
    status_key: String,
    total: String,
    delivered: String,
    invoiced: String,
    collected: String,
    open: String,
}

#[derive(Deserialize, Default)]
pub struct LedgerQuery {
    q: Option<String>,
    status: Option<String>,
    owner_id: Option<String>,
    cursor: Option<i64>,
}

#[derive(Template)]
#[template(path = "contracts/list.html")]
struct LedgerPage {
    t: Lang,
    shell: Shell,
    q: String,
    status: String,
    owner_id: String,
    statuses: Vec<(&'static str, String)>,
    owners: Vec<(i64, String)>,
    rows: Vec<LedgerRow>,
    next: Option<String>,
    export: String,
    can_manage: bool,
}

pub async fn list(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Response, UiError> {
    let status = q.status.clone().unwrap_or_default();
    let owner_id = q.owner_id.clone().unwrap_or_default();
    let query = ContractQuery {
        status: Some(status.clone()).filter(|s| !s.is_empty()),
        query: q.q.clone(),
        owner_id: owner_id.parse().ok(),
        cursor: q.cursor,
        ..Default::default()
    };
    let page = s.app.contracts(&ctx, query).await?;
    let names = people(&s, &ctx, page.items.iter().map(|k| k.owner_id).collect()).await;
    let filters = format!(
        "q={}&status={}&owner_id={}",
        urlencode(q.q.as_deref().unwrap_or("")),
        urlencode(&status),
        urlencode(&owner_id)
    );
    let rows = page
        .items
        .iter()
        .map(|k| LedgerRow {
            id: k.id,
            number: k.number.clone(),
            title: k.title.clone(),
            institution_id: k.institution_id,
            customer: k.institution_name.clone(),
            owner: name_of(p.t, &names, k.owner_id),
            status: k.status.clone(),
            status_key: status_key(&k.status),
            total: format_yuan(k.total_fen),
            delivered: format_yuan(k.delivered_fen),
            invoiced: format_yuan(k.invoiced_fen),
            collected: format_yuan(k.collected_fen),
            open: format_yuan(k.invoiced_fen - k.collected_fen),
        })
        .collect();
    let page = LedgerPage {
        t: p.t,
        shell: p.shell(&ctx),
        q: q.q.unwrap_or_default(),
        statuses: ContractStatus::ALL
            .iter()
            .map(|s| (s.code(), status_key(s.code())))
            .collect(),
        owners: crate::ui::sales_team(&s, &ctx).await.unwrap_or_default(),
        next: page
            .next_cursor
            .map(|c| format!("/contracts?{filters}&cursor={c}")),
        export: format!("/api/v1/exports/contracts.xlsx?{filters}"),
        rows,
        status,
        owner_id,
        can_manage: policy::scope(&ctx.actor, Action::ManageContracts).is_some(),
    };
    render(StatusCode::OK, &page)
}

// ---- the form ----

struct LineValues {
    line_no: String,
    product_id: String,
    spec_model: String,
    quantity: String,
    unit_price: String,
}

/// The form as typed, so a refused form comes back as the user left it.
struct ContractValues {
    institution_id: String,
    title: String,
    delivery_date: String,
    delivery_place: String,
    quality_standard: String,
    payment_terms: String,
    payment_days: String,
    after_sales_terms: String,
    warranty_months: String,
    lines: Vec<LineValues>,
}

impl ContractValues {
    fn from_form(f: &FormData) -> Self {
        let column = |k: &str| f.all(k);
        let (numbers, products, models, quantities, prices) = (
            column("line_no"),
            column("product_id"),
            column("spec_model"),
            column("quantity"),
            column("unit_price"),
        );
        let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
        ContractValues {
            institution_id: f.get("institution_id"),
            title: f.get("title"),
            delivery_date: f.get("delivery_date"),
            delivery_place: f.get("delivery_place"),
            quality_standard: f.get("quality_standard"),
            payment_terms: f.get("payment_terms"),
            payment_days: f.get("payment_days"),
            after_sales_terms: f.get("after_sales_terms"),
            warranty_months: f.get("warranty_months"),
            lines: (0..products.len())
                .map(|i| LineValues {
                    line_no: at(&numbers, i),
                    product_id: at(&products, i),
                    spec_model: at(&models, i),
                    quantity: at(&quantities, i),
                    unit_price: at(&prices, i),
                })
                .collect(),
        }
    }

    fn of(d: &ContractDetail) -> Self {
        let t = &d.terms;
        ContractValues {
            institution_id: d.record.institution_id.to_string(),
            title: d.record.title.clone(),
            delivery_date: t.delivery_date.clone().unwrap_or_default(),
            delivery_place: t.delivery_place.clone(),
            quality_standard: t.quality_standard.clone(),
            payment_terms: t.payment_terms.clone(),
            payment_days: t.payment_days.to_string(),
            after_sales_terms: t.after_sales_terms.clone(),
            warranty_months: t.warranty_months.to_string(),
            lines: d
                .lines
                .iter()
                .map(|l| LineValues {
                    line_no: l.line_no.to_string(),
                    product_id: l.product_id.to_string(),
                    spec_model: l.spec_model.clone(),
                    quantity: l.quantity.to_string(),
                    unit_price: format_yuan(l.unit_price_fen).replace(',', ""),
                })
                .collect(),
        }
    }

    fn padded(mut self) -> Self {
        let rows = (self.lines.len() + 2).max(MIN_LINE_ROWS);
        while self.lines.len() < rows {
            self.lines.push(LineValues {
                line_no: String::new(),
                product_id: String::new(),
                spec_model: String::new(),
                quantity: String::new(),
                unit_price: String::new(),
            });
        }
        self
    }

    /// The use-case input; rows without a product are blank rows and skipped.
    fn input(&self, errors: &mut FieldErrors) -> ContractInput {
        let mut number = |field: &str, text: &str| -> Option<i64> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            text.parse()
                .map_err(|_| {
                    errors.insert(field.into(), "a whole number".into());
                })
                .ok()
        };
        let payment_days = number("payment_days", &self.payment_days);
        let warranty_months = number("warranty_months", &self.warranty_months);
        let mut lines = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            let Ok(product_id) = l.product_id.trim().parse::<i64>() else {
                continue;
            };
            let quantity = l.quantity.trim().parse::<i64>().unwrap_or_else(|_| {
                errors.insert(
                    "lines".into(),
                    format!("line {}: the quantity is a whole number", i + 1),
                );
                0
            });
            lines.push(ContractLineInput {
                product_id,
                quantity,
                unit_price: l.unit_price.clone(),
                spec_model: Some(l.spec_model.clone()),
                line_no: l.line_no.trim().parse().ok(),
            });
        }
        ContractInput {
            institution_id: self.institution_id.trim().parse().unwrap_or(0),
            title: self.title.clone(),
            delivery_date: Some(self.delivery_date.clone()).filter(|d| !d.trim().is_empty()),
            delivery_place: self.delivery_place.clone(),
            quality_standard: self.quality_standard.clone(),
            payment_terms: self.payment_terms.clone(),
            payment_days,
            after_sales_terms: self.after_sales_terms.clone(),
            warranty_months,
            lines,
            ..Default::default()
        }
    }
}

#[derive(Template)]
#[template(path = "contracts/form.html")]
struct FormPage {
    t: Lang,
    shell: Shell,
    id: Option<i64>,
    v: ContractValues,
    institutions: Vec<(i64, String)>,
    products: Vec<(i64, String)>,
    errors: FieldErrors,
}

async fn form_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    id: Option<i64>,
    v: ContractValues,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let products = ProductQuery {
        active: Some(true),
        limit: Some(medcrm_app::MAX_PAGE_SIZE),
        ..Default::default()
    };
    let page = FormPage {
        t: p.t,
        shell: p.shell(ctx),
        id,
        v: v.padded(),
        institutions: crate::ui::pipeline::institution_choices(s, ctx).await?,
        products: s
            .app
            .products(ctx, &products)
            .await?
            .items
            .into_iter()
            .map(|r| (r.id, format!("{} {} {}", r.code, r.name, r.model)))
            .collect(),
        errors,
    };
    render(status, &page)
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    institution_id: Option<String>,
}

pub async fn new_form(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageContracts)?;
    let v = ContractValues {
        institution_id: q.institution_id.unwrap_or_default(),
        title: String::new(),
        delivery_date: String::new(),
        delivery_place: String::new(),
        quality_standard: String::new(),
        payment_terms: String::new(),
        payment_days: "30".into(),
        after_sales_terms: String::new(),
        warranty_months: "12".into(),
        lines: Vec::new(),
    };
    form_page(&s, &ctx, &p, StatusCode::OK, None, v, FieldErrors::new()).await
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageContracts)?;
    let d = s.app.contract(&ctx, id).await?;
    let v = ContractValues::of(&d);
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

async fn save(
    s: AppState,
    ctx: Ctx,
    p: PageCtx,
    id: Option<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let v = ContractValues::from_form(&form);
    let mut errors = FieldErrors::new();
    let input = v.input(&mut errors);
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return form_page(&s, &ctx, &p, status, id, v, errors).await;
    }
    let result = match id {
        None => s.app.create_contract(&ctx, input).await,
        Some(id) => s.app.update_contract(&ctx, id, input).await,
    };
    after_post(
        result,
        |d| format!("/contracts/{}", d.record.id),
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
    save(s, ctx, p, None, form).await
}

pub async fn update(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    save(s, ctx, p, Some(id), form).await
}

/// CON-1: the "create contract" button of an accepted quote.
pub async fn from_quote(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let d = s.app.contract_from_quote(&ctx, id).await?;
    Ok(see_other(&format!("/contracts/{}/edit", d.record.id)))
}

// ---- one contract ----

struct LineView {
    no: i64,
    code: String,
    name: String,
    model: String,
    unit: String,
    quantity: i64,
    unit_price: String,
    total: String,
}

fn line_views(lines: &[medcrm_app::contracts::ContractLine]) -> (Vec<LineView>, String) {
    let mut sum: i64 = 0;
    let rows = lines
        .iter()
        .map(|l| {
            let total = l.unit_price_fen.saturating_mul(l.quantity);
            sum = sum.saturating_add(total);
            LineView {
                no: l.line_no,
                code: l.product_code.clone(),
                name: l.product_name.clone(),
                model: l.spec_model.clone(),
                unit: l.unit.clone(),
                quantity: l.quantity,
                unit_price: format_yuan(l.unit_price_fen),
                total: format_yuan(total),
            }
        })
        .collect();
    (rows, format_yuan(sum))
}

struct ReviewView {
    kind_key: String,
    version: i64,
    status: String,
    status_key: String,
    requested: String,
    decided: String,
    comment: String,
    exposure: String,
}

struct ProblemView {
    id: i64,
    description: String,
    open: bool,
    raised: String,
    escalated: String,
    resolution: String,
}

struct DiffRow {
    label: String,
    old: String,
    new: String,
}

#[derive(Template)]
#[template(path = "contracts/show.html")]
struct ContractPage {
    t: Lang,
    shell: Shell,
    k: ContractRecord,
    status_key: String,
    owner: String,
    terms: medcrm_app::contracts::TermsRecord,
    rows: Vec<LineView>,
    total: String,
    delivered: String,
    invoiced: String,
    collected: String,
    open_fen: String,
    reviews: Vec<ReviewView>,
    problems: Vec<ProblemView>,
    versions: Vec<(i64, String, String)>,
    diff: Option<(i64, i64, Vec<DiffRow>)>,
    /// CON-6: the customer's credit section.
    credit: String,
    can_manage: bool,
    can_close: bool,
    editable: bool,
    in_review: bool,
    amendable: bool,
    completable: bool,
    closable: bool,
    binding: bool,
    today: String,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    from: Option<i64>,
    to: Option<i64>,
}

fn diff_rows(t: Lang, d: ContractDiff) -> Vec<DiffRow> {
    let mut rows: Vec<DiffRow> = d
        .terms
        .into_iter()
        .map(|c| DiffRow {
            label: t.t(&format!("con.{}", c.field)).to_owned(),
            old: c.old,
            new: c.new,
        })
        .collect();
    let text = |l: &medcrm_app::domain::contracts::VersionLine| {
        format!(
            "{} {} × {} @ ¥{}",
            l.product_name,
            l.spec_model,
            l.quantity,
            format_yuan(l.unit_price_fen)
        )
    };
    for c in d.lines {
        let (no, old, new) = match &c {
            LineChange::Added(l) => (l.line_no, String::new(), text(l)),
            LineChange::Removed(l) => (l.line_no, text(l), String::new()),
            LineChange::Changed { old, new } => (new.line_no, text(old), text(new)),
        };
        rows.push(DiffRow {
            label: format!("{} {no}", t.t("con.line")),
            old,
            new,
        });
    }
    rows
}

async fn contract_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    q: ShowQuery,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let d = s.app.contract(ctx, id).await?;
    let problems = s.app.contract_problems(ctx, id).await?;
    let versions = s.app.contract_versions(ctx, id).await?;
    let credit = credit_html(s, ctx, p, d.record.institution_id, &errors).await?;
    let ids = d
        .reviews
        .iter()
        .flat_map(|r| [Some(r.requested_by), r.decided_by])
        .flatten()
        .chain(problems.iter().map(|p| p.raised_by))
        .chain([d.record.owner_id])
        .collect();
    let names = people(s, ctx, ids).await;
    let name = |id: i64| name_of(p.t, &names, id);
    let latest = d.record.version;
    let (from, to) = match (q.from, q.to) {
        (Some(f), Some(t)) => (f, t),
        _ => (latest - 1, latest),
    };
    let diff = if from >= 1 && to > from {
        let dd = s.app.contract_diff(ctx, id, from, to).await?;
        Some((from, to, diff_rows(p.t, dd)))
    } else {
        None
    };
    let state: ContractStatus = d
        .record
        .status
        .parse()
        .map_err(|e: String| UiError(medcrm_app::Error::Internal(e)))?;
    let (rows, total) = line_views(&d.lines);
    let page = ContractPage {
        t: p.t,
        shell: p.shell(ctx),
        status_key: status_key(&d.record.status),
        owner: name(d.record.owner_id),
        rows,
        total,
        delivered: format_yuan(d.record.delivered_fen),
        invoiced: format_yuan(d.record.invoiced_fen),
        collected: format_yuan(d.record.collected_fen),
        open_fen: format_yuan(d.record.invoiced_fen - d.record.collected_fen),
        reviews: d
            .reviews
            .iter()
            .map(|r| ReviewView {
                kind_key: format!("con.review.{}", r.kind),
                version: r.version,
                status: r.status.clone(),
                status_key: format!("con.review_status.{}", r.status),
                requested: format!("{} {}", name(r.requested_by), local_time(r.requested_at_ms)),
                decided: match (r.decided_by, r.decided_at_ms) {
                    (Some(by), Some(at)) => format!("{} {}", name(by), local_time(at)),
                    _ => String::new(),
                },
                comment: r.comment.clone(),
                exposure: exposure(r),
            })
            .collect(),
        problems: problems
            .iter()
            .map(|x| problem_view(p.t, &names, x))
            .collect(),
        versions: versions
            .iter()
            .map(|v| {
                (
                    v.terms.version,
                    format_yuan(v.terms.total_fen),
                    v.terms.change_reason.clone(),
                )
            })
            .collect(),
        diff,
        credit,
        can_manage: policy::scope(&ctx.actor, Action::ManageContracts).is_some(),
        can_close: policy::scope(&ctx.actor, Action::CloseContracts).is_some(),
        editable: matches!(state, ContractStatus::Draft | ContractStatus::Changed),
        in_review: state == ContractStatus::InReview,
        amendable: matches!(state, ContractStatus::Signed | ContractStatus::InExecution),
        completable: matches!(state, ContractStatus::Signed | ContractStatus::InExecution),
        closable: !matches!(
            state,
            ContractStatus::Completed | ContractStatus::Terminated
        ),
        binding: state.binding(),
        today: today().to_string(),
        errors,
        terms: d.terms,
        k: d.record,
    };
    render(status, &page)
}

fn problem_view(
    t: Lang,
    names: &std::collections::BTreeMap<i64, String>,
    x: &ProblemRecord,
) -> ProblemView {
    ProblemView {
        id: x.id,
        description: x.description.clone(),
        open: x.status == "open",
        raised: format!(
            "{} {}",
            name_of(t, names, x.raised_by),
            local_time(x.raised_at_ms)
        ),
        escalated: x.escalated_at_ms.map(local_time).unwrap_or_default(),
        resolution: x.resolution.clone(),
    }
}

pub async fn show(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ShowQuery>,
) -> Result<Response, UiError> {
    contract_page(&s, &ctx, &p, id, q, StatusCode::OK, FieldErrors::new()).await
}

/// The buttons of the contract page: submit, sign, amend, terminate, complete, problems.
pub async fn action(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath((id, action)): ApiPath<(i64, String)>,
    form: FormData,
) -> Result<Response, UiError> {
    let done = match action.as_str() {
        "submit" => s.app.submit_contract(&ctx, id).await.map(drop),
        "sign" => s
            .app
            .sign_contract(&ctx, id, &form.get("signed_on"))
            .await
            .map(drop),
        "amend" => s
            .app
            .amend_contract(&ctx, id, &form.get("reason"))
            .await
            .map(drop),
        "terminate" => s
            .app
            .terminate_contract(&ctx, id, &form.get("reason"))
            .await
            .map(drop),
        "complete" => s.app.complete_contract(&ctx, id).await.map(drop),
        "problems" => s
            .app
            .log_contract_problem(&ctx, id, &form.get("description"))
            .await
            .map(drop),
        _ => return Err(UiError(medcrm_app::Error::NotFound("action"))),
    };
    match done {
        Ok(()) if action == "amend" => Ok(see_other(&format!("/contracts/{id}/edit"))),
        Ok(()) => Ok(see_other(&format!("/contracts/{id}"))),
        Err(e) => {
            let (status, errors) = field_errors(e)?;
            contract_page(&s, &ctx, &p, id, ShowQuery::default(), status, errors).await
        }
    }
}

pub async fn resolve_problem(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath((id, problem)): ApiPath<(i64, i64)>,
    form: FormData,
) -> Result<Response, UiError> {
    let result = s
        .app
        .resolve_contract_problem(&ctx, id, problem, &form.get("resolution"))
        .await;
    after_post(
        result,
        |_| format!("/contracts/{id}#problems"),
        |status, errors| contract_page(&s, &ctx, &p, id, ShowQuery::default(), status, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "contracts/print.html")]
struct PrintPage {
    t: Lang,
    k: ContractRecord,
    terms: medcrm_app::contracts::TermsRecord,
    lines: Vec<LineView>,
    total: String,
    company: String,
}

/// The contract (合同) to print or save as PDF; always in Chinese.
pub async fn print(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let d = s.app.contract(&ctx, id).await?;
    let (lines, total) = line_views(&d.lines);
    let company = s
        .app
        .regions(&ctx)
        .await?
        .into_iter()
        .find(|r| r.parent_id.is_none())
        .map(|r| r.name_zh)
        .unwrap_or_default();
    let page = PrintPage {
        t: Lang::Zh,
        lines,
        total,
        company,
        terms: d.terms,
        k: d.record,
    };
    render(StatusCode::OK, &page)
}

// ---- CON-6: a customer's credit ----

#[derive(Template)]
#[template(path = "contracts/credit.html")]
struct CreditSection<'a> {
    t: Lang,
    csrf: &'a str,
    institution_id: i64,
    credit: Option<(String, String, String)>,
    ratings: Vec<&'static str>,
    can_manage: bool,
    errors: &'a FieldErrors,
}

/// The credit section of the customer and contract pages: rating and limit, and finance's
/// form; empty for those who may not read credit.
pub(crate) async fn credit_html(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    institution_id: i64,
    errors: &FieldErrors,
) -> Result<String, UiError> {
    if policy::scope(&ctx.actor, Action::ReadCredit).is_none() {
        return Ok(String::new());
    }
    let credit = s.app.credit(ctx, institution_id).await?;
    let section = CreditSection {
        t: p.t,
        csrf: &p.csrf,
        institution_id,
        credit: credit.map(|c| (c.rating, format_yuan(c.limit_fen), c.note)),
        ratings: CreditRating::ALL.iter().map(|r| r.code()).collect(),
        can_manage: policy::scope(&ctx.actor, Action::ManageCredit).is_some(),
        errors,
    };
    section
        .render()
        .map_err(|e| UiError(medcrm_app::Error::Internal(format!("template: {e}"))))
}

/// CON-6: finance rates a customer and sets its limit, from the customer page.
pub async fn set_credit(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let input = CreditInput {
        rating: form.get("rating"),
        limit: form.get("limit"),
        note: form.get("note"),
    };
    after_post(
        s.app.set_credit(&ctx, id, input).await,
        |_| format!("/customers/{id}#credit"),
        |status, errors| crate::ui::customers::show_page(&s, &ctx, &p, id, status, false, errors),
    )
    .await
}

// ---- the review queue ----

struct QueueRow {
    id: i64,
    contract_id: i64,
    number: String,
    title: String,
    customer: String,
    version: i64,
    kind_key: String,
    total: String,
    exposure: String,
    requested: String,
}

#[derive(Template)]
#[template(path = "contracts/reviews.html")]
struct ReviewsPage {
    t: Lang,
    shell: Shell,
    rows: Vec<QueueRow>,
    decided: bool,
    refused: Option<(i64, String)>,
}

async fn reviews_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    decided: bool,
    refused: Option<(i64, String)>,
) -> Result<Response, UiError> {
    let queue = s.app.contract_review_queue(ctx).await?;
    let names = people(
        s,
        ctx,
        queue.iter().map(|q| q.review.requested_by).collect(),
    )
    .await;
    let rows = queue
        .iter()
        .map(|q| QueueRow {
            id: q.review.id,
            contract_id: q.contract.id,
            number: q.contract.number.clone(),
            title: q.contract.title.clone(),
            customer: q.contract.institution_name.clone(),
            version: q.review.version,
            kind_key: format!("con.review.{}", q.review.kind),
            total: format_yuan(q.contract.total_fen),
            exposure: exposure(&q.review),
            requested: format!(
                "{} {}",
                name_of(p.t, &names, q.review.requested_by),
                local_time(q.review.requested_at_ms)
            ),
        })
        .collect();
    let page = ReviewsPage {
        t: p.t,
        shell: p.shell(ctx),
        rows,
        decided,
        refused,
    };
    render(status, &page)
}

#[derive(Deserialize, Default)]
pub struct DecidedQuery {
    decided: Option<String>,
}

pub async fn reviews(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<DecidedQuery>,
) -> Result<Response, UiError> {
    reviews_page(&s, &ctx, &p, StatusCode::OK, q.decided.is_some(), None).await
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
        .decide_contract_review(&ctx, id, approve, &form.get("comment"))
        .await;
    match result {
        Ok(_) => Ok(see_other("/contract-reviews?decided=1")),
        Err(e) => {
            let (status, message) = decision_error(p.t, e)?;
            reviews_page(&s, &ctx, &p, status, false, Some((id, message))).await
        }
    }
}

// ---- CON-5: fulfilment ----

struct RateRow {
    name: String,
    due: i64,
    fulfilled: i64,
    on_time: i64,
    rate: String,
    on_time_rate: String,
}

impl RateRow {
    fn of(name: String, f: &Fulfilment) -> Self {
        RateRow {
            name,
            due: f.due,
            fulfilled: f.fulfilled,
            on_time: f.on_time,
            rate: percent(f.rate_bp),
            on_time_rate: percent(f.on_time_rate_bp),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "contracts/fulfilment.html")]
struct FulfilmentPage {
    t: Lang,
    shell: Shell,
    from: String,
    to: String,
    company: RateRow,
    reps: Vec<RateRow>,
}

pub async fn fulfilment(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, UiError> {
    let blank = |v: Option<String>| v.filter(|x| !x.trim().is_empty());
    let r = s
        .app
        .fulfilment(&ctx, blank(q.from).as_deref(), blank(q.to).as_deref())
        .await?;
    let page = FulfilmentPage {
        t: p.t,
        shell: p.shell(&ctx),
        from: r.from.to_string(),
        to: r.to.to_string(),
        company: RateRow::of(p.t.t("con.company").to_owned(), &r.company),
        reps: r
            .reps
            .iter()
            .map(|f| RateRow::of(f.owner_name.clone(), f))
            .collect(),
    };
    render(StatusCode::OK, &page)
}
