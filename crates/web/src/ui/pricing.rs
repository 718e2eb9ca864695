//! PRC pages: a product's price history and the propose form (PRC-1), quotes with their
//! lines, versions and approvals (PRC-3) and a printable quote sheet, and the approvals inbox
//! (PRC-1/2). Money is fen throughout; nothing here touches a float.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::Ctx;
use medcrm_app::customers::today;
use medcrm_app::domain::customers::Grade;
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::domain::pricing::{QuoteStatus, discount_bp};
use medcrm_app::pipeline::OpportunityQuery;
use medcrm_app::policy::{self, Action};
use medcrm_app::pricing::{LineInput, PriceInput, QuoteInput, QuoteLine, QuoteQuery, QuoteRecord};
use medcrm_app::products::ProductQuery;
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::audit::urlencode;
use crate::ui::customers::{plain_name, region_options};
use crate::ui::products::product_page;
use crate::ui::{
    FieldErrors, FormData, PageCtx, Shell, after_post, decision_error, field_errors, local_time,
    name_of, people, render,
};

/// A discount in basis points as a percentage with two decimals, exactly (`1234` → `12.34%`);
/// negative when the price is above list.
fn percent(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let abs = bp.unsigned_abs();
    format!("{sign}{}.{:02}%", abs / 100, abs % 100)
}

/// How many line rows the quote form offers at least.
const MIN_LINE_ROWS: usize = 5;

// ---- PRC-1: a product's prices ----

struct PriceRow {
    effective_from: String,
    region: String,
    grade: String,
    price: String,
    status: String,
    status_key: String,
    reason: String,
    requested: String,
    decision: String,
}

#[derive(Template)]
#[template(path = "quotes/prices.html")]
struct PricesSection<'a> {
    t: Lang,
    csrf: &'a str,
    product_id: i64,
    rows: Vec<PriceRow>,
    can_propose: bool,
    regions: Vec<(i64, String)>,
    grades: Vec<&'static str>,
    today: String,
    errors: &'a FieldErrors,
}

/// The price history with each version's approval, and the propose form for those who may
/// propose; `None` for those who may not read prices.
pub(crate) async fn prices_html(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    product_id: i64,
    errors: &FieldErrors,
) -> Result<Option<String>, UiError> {
    if policy::scope(&ctx.actor, Action::ReadPrices).is_none() {
        return Ok(None);
    }
    let prices = s.app.prices(ctx, product_id).await?;
    let regions = region_options(s, ctx, p.t).await?;
    let ids = prices
        .iter()
        .flat_map(|v| {
            let decided_by = v.approval.as_ref().and_then(|a| a.decided_by);
            [Some(v.record.requested_by), decided_by]
        })
        .flatten()
        .collect();
    let names = people(s, ctx, ids).await;
    let name = |id: i64| name_of(p.t, &names, id);
    let rows = prices
        .iter()
        .map(|v| {
            let r = &v.record;
            PriceRow {
                effective_from: r.effective_from.clone(),
                region: r
                    .region_id
                    .map(|id| plain_name(&regions, id))
                    .unwrap_or_default(),
                grade: r.grade.clone().unwrap_or_default(),
                price: format_yuan(r.price_fen),
                status: r.status.clone(),
                status_key: format!("apr.status.{}", r.status),
                reason: r.reason.clone(),
                requested: format!("{} {}", name(r.requested_by), local_time(r.requested_at_ms)),
                decision: v
                    .approval
                    .as_ref()
                    .and_then(|a| {
                        let by = a.decided_by?;
                        Some(format!("{} {}", name(by), a.comment))
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let section = PricesSection {
        t: p.t,
        csrf: &p.csrf,
        product_id,
        rows,
        can_propose: policy::scope(&ctx.actor, Action::ProposePrices).is_some(),
        regions,
        grades: Grade::ALL.iter().map(|g| g.code()).collect(),
        today: today().to_string(),
        errors,
    };
    section
        .render()
        .map(Some)
        .map_err(|e| UiError(medcrm_app::Error::Internal(format!("template: {e}"))))
}

pub async fn propose_price(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let input = PriceInput {
        product_id: id,
        region_id: form.get("region_id").parse().ok(),
        grade: Some(form.get("grade")),
        price: form.get("price"),
        effective_from: form.get("effective_from"),
        reason: form.get("reason"),
    };
    after_post(
        s.app.propose_price(&ctx, input).await,
        |_| format!("/products/{id}?saved=1#prices"),
        |status, errors| product_page(&s, &ctx, &p, id, status, false, errors),
    )
    .await
}

// ---- quotes: the list ----

fn status_key(status: &str) -> String {
    format!("quo.status.{status}")
}

struct QuoteRow {
    id: i64,
    number: String,
    institution_id: i64,
    customer: String,
    version: i64,
    status: String,
    status_key: String,
    total: String,
    valid_until: String,
    updated: String,
}

impl QuoteRow {
    fn of(q: &QuoteRecord) -> Self {
        QuoteRow {
            id: q.id,
            number: q.number.clone(),
            institution_id: q.institution_id,
            customer: q.institution_name.clone(),
            version: q.version,
            status: q.status.clone(),
            status_key: status_key(&q.status),
            total: format_yuan(q.total_fen),
            valid_until: q.valid_until.clone(),
            updated: local_time(q.updated_at_ms),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct QuotesQuery {
    q: Option<String>,
    status: Option<String>,
    cursor: Option<i64>,
}

#[derive(Template)]
#[template(path = "quotes/list.html")]
struct QuotesPage {
    t: Lang,
    shell: Shell,
    q: String,
    status: String,
    statuses: Vec<(&'static str, String)>,
    rows: Vec<QuoteRow>,
    next: Option<String>,
    can_manage: bool,
}

pub async fn quotes(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<QuotesQuery>,
) -> Result<Response, UiError> {
    let query = QuoteQuery {
        status: q.status.clone(),
        query: q.q.clone(),
        cursor: q.cursor,
        ..Default::default()
    };
    let page = s.app.quotes(&ctx, &query).await?;
    let next = page.next_cursor.map(|c| {
        format!(
            "/quotes?q={}&status={}&cursor={c}",
            urlencode(q.q.as_deref().unwrap_or("")),
            urlencode(q.status.as_deref().unwrap_or("")),
        )
    });
    let page = QuotesPage {
        t: p.t,
        shell: p.shell(&ctx),
        q: q.q.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        statuses: QuoteStatus::ALL
            .iter()
            .map(|s| (s.code(), status_key(s.code())))
            .collect(),
        rows: page.items.iter().map(QuoteRow::of).collect(),
        next,
        can_manage: policy::scope(&ctx.actor, Action::ManageQuotes).is_some(),
    };
    render(StatusCode::OK, &page)
}

// ---- quotes: the new / edit form ----

/// One line row as typed: product id, quantity, unit price (yuan, empty = list price).
struct LineValues {
    product_id: String,
    quantity: String,
    unit_price: String,
}

/// The quote form as typed, so a refused form comes back as the user left it.
struct QuoteValues {
    institution_id: String,
    opportunity_id: String,
    valid_until: String,
    note: String,
    lines: Vec<LineValues>,
}

impl QuoteValues {
    fn from_form(f: &FormData) -> Self {
        let products = f.all("product_id");
        let quantities = f.all("quantity");
        let prices = f.all("unit_price");
        let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
        QuoteValues {
            institution_id: f.get("institution_id"),
            opportunity_id: f.get("opportunity_id"),
            valid_until: f.get("valid_until"),
            note: f.get("note"),
            lines: (0..products.len())
                .map(|i| LineValues {
                    product_id: at(&products, i),
                    quantity: at(&quantities, i),
                    unit_price: at(&prices, i),
                })
                .collect(),
        }
    }

    /// The rows the form shows: the typed ones, then empty ones up to a minimum, two spare.
    fn padded(mut self) -> Self {
        let rows = (self.lines.len() + 2).max(MIN_LINE_ROWS);
        while self.lines.len() < rows {
            self.lines.push(LineValues {
                product_id: String::new(),
                quantity: String::new(),
                unit_price: String::new(),
            });
        }
        self
    }

    /// The use-case input; rows without a product are blank rows and skipped.
    fn input(&self, errors: &mut FieldErrors) -> QuoteInput {
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
            lines.push(LineInput {
                product_id,
                quantity,
                unit_price: Some(l.unit_price.clone()),
            });
        }
        QuoteInput {
            institution_id: self.institution_id.trim().parse().unwrap_or(0),
            opportunity_id: self.opportunity_id.trim().parse().ok(),
            valid_until: self.valid_until.clone(),
            note: self.note.clone(),
            lines,
        }
    }
}

#[derive(Template)]
#[template(path = "quotes/form.html")]
struct QuoteFormPage {
    t: Lang,
    shell: Shell,
    /// `Some(id)` when editing a draft.
    id: Option<i64>,
    v: QuoteValues,
    institutions: Vec<(i64, String)>,
    opportunities: Vec<(i64, String)>,
    products: Vec<(i64, String)>,
    /// The gate refused a product (PRD-2/3): shown beside the lines.
    not_sellable: bool,
    errors: FieldErrors,
}

async fn quote_form(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    id: Option<i64>,
    v: QuoteValues,
    (not_sellable, errors): (bool, FieldErrors),
) -> Result<Response, UiError> {
    let products = ProductQuery {
        active: Some(true),
        limit: Some(medcrm_app::MAX_PAGE_SIZE),
        ..Default::default()
    };
    let opportunities = OpportunityQuery {
        limit: Some(medcrm_app::MAX_PAGE_SIZE),
        ..Default::default()
    };
    let opportunities = if policy::scope(&ctx.actor, Action::ReadPipeline).is_some() {
        s.app
            .opportunities(ctx, &opportunities)
            .await?
            .items
            .into_iter()
            .map(|o| (o.id, format!("{} · {}", o.institution_name, o.title)))
            .collect()
    } else {
        Vec::new()
    };
    let page = QuoteFormPage {
        t: p.t,
        shell: p.shell(ctx),
        id,
        v: v.padded(),
        institutions: crate::ui::pipeline::institution_choices(s, ctx).await?,
        opportunities,
        products: s
            .app
            .products(ctx, &products)
            .await?
            .items
            .into_iter()
            .map(|r| (r.id, format!("{} {} {}", r.code, r.name, r.model)))
            .collect(),
        not_sellable,
        errors,
    };
    render(status, &page)
}

#[derive(Deserialize, Default)]
pub struct NewQuoteQuery {
    institution_id: Option<String>,
    opportunity_id: Option<String>,
}

pub async fn new_quote(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<NewQuoteQuery>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageQuotes)?;
    let valid_until = today()
        .checked_add(jiff::ToSpan::days(30))
        .unwrap_or(today())
        .to_string();
    let v = QuoteValues {
        institution_id: q.institution_id.unwrap_or_default(),
        opportunity_id: q.opportunity_id.unwrap_or_default(),
        valid_until,
        note: String::new(),
        lines: Vec::new(),
    };
    let ok = (false, FieldErrors::new());
    quote_form(&s, &ctx, &p, StatusCode::OK, None, v, ok).await
}

pub async fn edit_quote(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageQuotes)?;
    let d = s.app.quote(&ctx, id).await?;
    let v = QuoteValues {
        institution_id: d.record.institution_id.to_string(),
        opportunity_id: d
            .record
            .opportunity_id
            .map(|o| o.to_string())
            .unwrap_or_default(),
        valid_until: d.record.valid_until.clone(),
        note: d.record.note.clone(),
        lines: d
            .lines
            .iter()
            .map(|l| LineValues {
                product_id: l.product_id.to_string(),
                quantity: l.quantity.to_string(),
                unit_price: format_yuan(l.unit_price_fen).replace(',', ""),
            })
            .collect(),
    };
    let ok = (false, FieldErrors::new());
    quote_form(&s, &ctx, &p, StatusCode::OK, Some(id), v, ok).await
}

/// Whether the app refused because a product may not be sold (PRD-2/3).
fn is_not_sellable<T>(result: &medcrm_app::Result<T>) -> bool {
    matches!(
        result,
        Err(medcrm_app::Error::Refused {
            code: "not_sellable",
            ..
        })
    )
}

/// Create (`id` = `None`) or update a draft, from the same form.
async fn save_quote(
    s: AppState,
    ctx: Ctx,
    p: PageCtx,
    id: Option<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let v = QuoteValues::from_form(&form);
    let mut errors = FieldErrors::new();
    let input = v.input(&mut errors);
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return quote_form(&s, &ctx, &p, status, id, v, (false, errors)).await;
    }
    let result = match id {
        None => s.app.create_quote(&ctx, input).await,
        Some(id) => s.app.update_quote(&ctx, id, input).await,
    };
    let refused = is_not_sellable(&result);
    after_post(
        result,
        |q| format!("/quotes/{}", q.id),
        |status, errors| quote_form(&s, &ctx, &p, status, id, v, (refused, errors)),
    )
    .await
}

pub async fn create_quote(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    save_quote(s, ctx, p, None, form).await
}

pub async fn update_quote(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    save_quote(s, ctx, p, Some(id), form).await
}

// ---- one quote ----

struct LineView {
    no: i64,
    code: String,
    name: String,
    model: String,
    unit: String,
    quantity: i64,
    list_price: String,
    unit_price: String,
    discount: String,
    /// Off the approved list price, so it needs approval (PRC-2).
    off_list: bool,
    total: String,
}

/// The lines as shown, and their grand total; exact fen arithmetic.
fn line_views(lines: &[QuoteLine]) -> (Vec<LineView>, String) {
    let mut sum: i64 = 0;
    let rows = lines
        .iter()
        .map(|l| {
            let total = l.unit_price_fen.saturating_mul(l.quantity);
            sum = sum.saturating_add(total);
            let bp = discount_bp(l.list_price_fen, l.unit_price_fen);
            LineView {
                no: l.line_no,
                code: l.product_code.clone(),
                name: l.product_name.clone(),
                model: l.model.clone(),
                unit: l.unit.clone(),
                quantity: l.quantity,
                list_price: format_yuan(l.list_price_fen),
                unit_price: format_yuan(l.unit_price_fen),
                discount: percent(bp),
                off_list: bp != 0,
                total: format_yuan(total),
            }
        })
        .collect();
    (rows, format_yuan(sum))
}

struct ApprovalView {
    id: i64,
    kind_key: String,
    summary: String,
    level_key: String,
    discount: String,
    status: String,
    status_key: String,
    requester: String,
    requested_at: String,
    decided: String,
    comment: String,
    link: String,
    version: String,
}

async fn approval_views(
    s: &AppState,
    ctx: &Ctx,
    t: Lang,
    all: &[medcrm_app::pricing::ApprovalRecord],
) -> Vec<ApprovalView> {
    let ids = all
        .iter()
        .flat_map(|a| [Some(a.requested_by), a.decided_by])
        .flatten()
        .collect();
    let names = people(s, ctx, ids).await;
    let name = |id: i64| name_of(t, &names, id);
    all.iter()
        .map(|a| ApprovalView {
            id: a.id,
            kind_key: format!("apr.kind.{}", a.kind),
            summary: a.summary.clone(),
            level_key: format!("apr.level.{}", a.level),
            discount: if a.kind == "price_adjustment" {
                percent(a.discount_bp)
            } else {
                String::new()
            },
            status: a.status.clone(),
            status_key: format!("apr.status.{}", a.status),
            requester: name(a.requested_by),
            requested_at: local_time(a.requested_at_ms),
            decided: match (a.decided_by, a.decided_at_ms) {
                (Some(by), Some(at)) => format!("{} {}", name(by), local_time(at)),
                _ => String::new(),
            },
            comment: a.comment.clone(),
            link: match (a.quote_id, a.product_id) {
                (Some(q), _) => format!("/quotes/{q}"),
                (_, Some(p)) => format!("/products/{p}"),
                _ => String::new(),
            },
            version: a.quote_version.map(|v| v.to_string()).unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "quotes/show.html")]
struct QuotePage {
    t: Lang,
    shell: Shell,
    q: QuoteRecord,
    status_key: String,
    owner: String,
    /// The current version's lines.
    rows: Vec<LineView>,
    total: String,
    needs: Option<String>,
    approvals: Vec<ApprovalView>,
    /// Earlier versions, newest first: `(version, lines, total)`.
    history: Vec<(i64, Vec<LineView>, String)>,
    /// The actions the state allows, for those who may manage quotes: `(action, label key)`.
    actions: Vec<QuoteAction>,
    /// May turn an accepted quote into a contract (CON-1).
    can_contract: bool,
    not_sellable: bool,
    errors: FieldErrors,
}

/// A button on the quote page: `(action in the URL, label key)`.
type QuoteAction = (&'static str, &'static str);
const EDIT: QuoteAction = ("edit", "quo.action.edit");
const SUBMIT: QuoteAction = ("submit", "quo.action.submit");
const SEND: QuoteAction = ("send", "quo.action.send");
const ACCEPT: QuoteAction = ("accept", "quo.action.accept");
const DECLINE: QuoteAction = ("decline", "quo.action.decline");
const REVISE: QuoteAction = ("revise", "quo.action.revise");

/// The buttons a quote in `status` offers (PRC-3).
fn actions_of(status: &str) -> Vec<QuoteAction> {
    match status.parse::<QuoteStatus>() {
        Ok(QuoteStatus::Draft) => vec![EDIT, SUBMIT],
        Ok(QuoteStatus::Approved) => vec![SEND, REVISE],
        Ok(QuoteStatus::Sent) => vec![ACCEPT, DECLINE, REVISE],
        Ok(QuoteStatus::Rejected | QuoteStatus::Declined) => vec![REVISE],
        _ => Vec::new(),
    }
}

async fn quote_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    (not_sellable, errors): (bool, FieldErrors),
) -> Result<Response, UiError> {
    let d = s.app.quote(ctx, id).await?;
    let (rows, total) = line_views(&d.lines);
    let owner = people(s, ctx, vec![d.record.owner_id]).await;
    let can_manage = policy::scope(&ctx.actor, Action::ManageQuotes).is_some();
    let page = QuotePage {
        t: p.t,
        shell: p.shell(ctx),
        status_key: status_key(&d.record.status),
        owner: name_of(p.t, &owner, d.record.owner_id),
        rows,
        total,
        needs: d.needs.map(|l| format!("apr.level.{}", l.code())),
        approvals: approval_views(s, ctx, p.t, &d.approvals).await,
        history: d
            .history
            .iter()
            .map(|(v, lines)| {
                let (rows, total) = line_views(lines);
                (*v, rows, total)
            })
            .collect(),
        actions: if can_manage {
            actions_of(&d.record.status)
        } else {
            Vec::new()
        },
        can_contract: policy::scope(&ctx.actor, Action::ManageContracts).is_some(),
        not_sellable,
        errors,
        q: d.record,
    };
    render(status, &page)
}

pub async fn quote(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let ok = (false, FieldErrors::new());
    quote_page(&s, &ctx, &p, id, StatusCode::OK, ok).await
}

/// The state-changing buttons of the quote page: submit, send, accept, decline, revise.
pub async fn quote_action(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath((id, action)): ApiPath<(i64, String)>,
) -> Result<Response, UiError> {
    let result = match action.as_str() {
        "submit" => s.app.submit_quote(&ctx, id).await,
        "send" => s.app.send_quote(&ctx, id).await,
        "accept" => s.app.answer_quote(&ctx, id, true).await,
        "decline" => s.app.answer_quote(&ctx, id, false).await,
        "revise" => s.app.revise_quote(&ctx, id).await,
        _ => return Err(UiError(medcrm_app::Error::NotFound("action"))),
    };
    let refused = is_not_sellable(&result);
    match result {
        Ok(_) => Ok(crate::ui::see_other(&format!("/quotes/{id}"))),
        Err(e) => {
            let (status, errors) = field_errors(e)?;
            quote_page(&s, &ctx, &p, id, status, (refused, errors)).await
        }
    }
}

#[derive(Template)]
#[template(path = "quotes/print.html")]
struct PrintPage {
    t: Lang,
    q: QuoteRecord,
    lines: Vec<LineView>,
    total: String,
    owner: String,
    printed_on: String,
    /// The company: the root of the region tree.
    company: String,
}

/// The quote sheet (报价单) to print or save as PDF; always in Chinese, for the customer.
pub async fn print_quote(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let d = s.app.quote(&ctx, id).await?;
    let (lines, total) = line_views(&d.lines);
    let owner = people(&s, &ctx, vec![d.record.owner_id]).await;
    let company = s
        .app
        .regions(&ctx)
        .await?
        .into_iter()
        .find(|r| r.parent_id.is_none())
        .map(|r| r.name_zh)
        .unwrap_or_default();
    let page = PrintPage {
        company,
        t: Lang::Zh,
        owner: name_of(Lang::Zh, &owner, d.record.owner_id),
        lines,
        total,
        printed_on: today().to_string(),
        q: d.record,
    };
    render(StatusCode::OK, &page)
}

// ---- the approvals inbox ----

#[derive(Deserialize, Default)]
pub struct ApprovalsQuery {
    status: Option<String>,
    cursor: Option<i64>,
    decided: Option<String>,
}

#[derive(Template)]
#[template(path = "quotes/approvals.html")]
struct ApprovalsPage {
    t: Lang,
    shell: Shell,
    status: String,
    tabs: Vec<(&'static str, &'static str)>,
    rows: Vec<ApprovalView>,
    next: Option<String>,
    decided: bool,
    /// The refused decision: `(approval id, message)`.
    refused: Option<(i64, String)>,
}

async fn approvals_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    q: ApprovalsQuery,
    status: StatusCode,
    refused: Option<(i64, String)>,
) -> Result<Response, UiError> {
    let tab = q.status.clone().unwrap_or_else(|| "pending".into());
    let page = s
        .app
        .approvals(ctx, Some(tab.clone()), q.cursor, None)
        .await?;
    let next = page
        .next_cursor
        .map(|c| format!("/approvals?status={}&cursor={c}", urlencode(&tab)));
    let page = ApprovalsPage {
        t: p.t,
        shell: p.shell(ctx),
        tabs: vec![
            ("pending", "apr.status.pending"),
            ("approved", "apr.status.approved"),
            ("rejected", "apr.status.rejected"),
        ],
        status: tab,
        rows: approval_views(s, ctx, p.t, &page.items).await,
        next,
        decided: q.decided.is_some(),
        refused,
    };
    render(status, &page)
}

pub async fn approvals(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ApprovalsQuery>,
) -> Result<Response, UiError> {
    approvals_page(&s, &ctx, &p, q, StatusCode::OK, None).await
}

pub async fn decide_approval(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let approve = form.get("decision") == "approve";
    let result = s
        .app
        .decide_approval(&ctx, id, approve, &form.get("comment"))
        .await;
    match result {
        Ok(_) => Ok(crate::ui::see_other("/approvals?decided=1")),
        Err(e) => {
            let (status, message) = decision_error(p.t, e)?;
            let q = ApprovalsQuery::default();
            approvals_page(&s, &ctx, &p, q, status, Some((id, message))).await
        }
    }
}
