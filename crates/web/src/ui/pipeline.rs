//! Pipeline pages (OPP): the board (drag a card to move it; htmx re-renders the board), the
//! list, an opportunity with its stage history and the move form, a new lead, and the
//! funnel with a chart. Every move goes through the same use case as the API.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use medcrm_app::Ctx;
use medcrm_app::customers::{InstitutionQuery, today};
use medcrm_app::domain::pipeline::{Stage, format_yuan};
use medcrm_app::pipeline::{
    MoveInput, OpportunityInput, OpportunityQuery, OpportunityRecord, PRODUCT_LINES,
};
use medcrm_app::policy::{self, Action};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::audit::urlencode;
use crate::ui::{
    FieldErrors, FormData, PageCtx, Shell, after_post, field_errors, local_time, render,
};

/// A card on the board or a row in the list.
struct Card {
    id: i64,
    title: String,
    institution_id: i64,
    institution: String,
    amount: String,
    stage_key: String,
    line_key: String,
    due: String,
    overdue: bool,
}

impl Card {
    fn of(o: &OpportunityRecord, today: &str) -> Card {
        let due = o.stage_due.clone().unwrap_or_default();
        Card {
            id: o.id,
            title: o.title.clone(),
            institution_id: o.institution_id,
            institution: o.institution_name.clone(),
            amount: format_yuan(o.amount_fen),
            stage_key: format!("opp.stage.{}", o.stage),
            line_key: format!("opp.line.{}", o.product_line),
            overdue: !due.is_empty() && due.as_str() < today,
            due,
        }
    }
}

fn lines() -> Vec<(&'static str, String)> {
    PRODUCT_LINES
        .iter()
        .map(|l| (*l, format!("opp.line.{l}")))
        .collect()
}

fn stages(all: &[Stage]) -> Vec<(&'static str, String)> {
    all.iter()
        .map(|s| (s.code(), format!("opp.stage.{}", s.code())))
        .collect()
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    q: Option<String>,
    product_line: Option<String>,
    stage: Option<String>,
    overdue: Option<String>,
    cursor: Option<i64>,
    /// `1` when htmx asks for the board alone, after a card was moved.
    partial: Option<String>,
}

impl BoardQuery {
    fn query(&self) -> OpportunityQuery {
        OpportunityQuery {
            query: self.q.clone(),
            product_line: self.product_line.clone(),
            stage: self.stage.clone(),
            overdue: self.overdue.is_some(),
            cursor: self.cursor,
            ..Default::default()
        }
    }
}

struct Column {
    stage: &'static str,
    key: String,
    cards: Vec<Card>,
    total: String,
}

#[derive(Template)]
#[template(path = "pipeline/board.html")]
struct BoardPage {
    t: Lang,
    shell: Shell,
    q: String,
    product_line: String,
    overdue: bool,
    lines: Vec<(&'static str, String)>,
    columns: Vec<Column>,
    can_manage: bool,
    /// Where htmx fetches the board again after a move, with the same filters.
    partial_url: String,
}

#[derive(Template)]
#[template(path = "pipeline/columns.html")]
struct BoardColumns {
    t: Lang,
    columns: Vec<Column>,
    can_manage: bool,
}

pub async fn board(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Response, UiError> {
    let today = today().to_string();
    let columns: Vec<Column> = s
        .app
        .pipeline_board(&ctx, &q.query())
        .await?
        .into_iter()
        .map(|(stage, items)| Column {
            stage: stage.code(),
            key: format!("opp.stage.{}", stage.code()),
            total: format_yuan(items.iter().map(|o| o.amount_fen).sum()),
            cards: items.iter().map(|o| Card::of(o, &today)).collect(),
        })
        .collect();
    let can_manage = policy::scope(&ctx.actor, Action::ManagePipeline).is_some();
    if q.partial.is_some() {
        return render(
            StatusCode::OK,
            &BoardColumns {
                t: p.t,
                columns,
                can_manage,
            },
        );
    }
    let partial_url = format!(
        "/pipeline?partial=1&q={}&product_line={}{}",
        urlencode(q.q.as_deref().unwrap_or("")),
        urlencode(q.product_line.as_deref().unwrap_or("")),
        if q.overdue.is_some() {
            "&overdue=on"
        } else {
            ""
        },
    );
    let page = BoardPage {
        partial_url,
        t: p.t,
        shell: p.shell(&ctx),
        q: q.q.unwrap_or_default(),
        product_line: q.product_line.unwrap_or_default(),
        overdue: q.overdue.is_some(),
        lines: lines(),
        columns,
        can_manage,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "pipeline/list.html")]
struct ListPage {
    t: Lang,
    shell: Shell,
    q: String,
    product_line: String,
    stage: String,
    overdue: bool,
    lines: Vec<(&'static str, String)>,
    stages: Vec<(&'static str, String)>,
    rows: Vec<Card>,
    next: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Response, UiError> {
    let page = s.app.opportunities(&ctx, &q.query()).await?;
    let today = today().to_string();
    let next = page.next_cursor.map(|c| {
        format!(
            "/pipeline/list?q={}&product_line={}&stage={}{}&cursor={c}",
            urlencode(q.q.as_deref().unwrap_or("")),
            urlencode(q.product_line.as_deref().unwrap_or("")),
            urlencode(q.stage.as_deref().unwrap_or("")),
            if q.overdue.is_some() {
                "&overdue=on"
            } else {
                ""
            },
        )
    });
    let page = ListPage {
        t: p.t,
        shell: p.shell(&ctx),
        rows: page.items.iter().map(|o| Card::of(o, &today)).collect(),
        next,
        q: q.q.unwrap_or_default(),
        product_line: q.product_line.unwrap_or_default(),
        stage: q.stage.unwrap_or_default(),
        overdue: q.overdue.is_some(),
        lines: lines(),
        stages: stages(&Stage::ALL),
    };
    render(StatusCode::OK, &page)
}

// ---- one opportunity ----

struct Stay {
    stage_key: String,
    owner: String,
    due: String,
    note: String,
    entered: String,
    left: String,
}

#[derive(Template)]
#[template(path = "pipeline/show.html")]
struct ShowPage {
    t: Lang,
    shell: Shell,
    card: Card,
    o: OpportunityRecord,
    owner: String,
    history: Vec<Stay>,
    next: Vec<(&'static str, String)>,
    people: Vec<(i64, String)>,
    can_manage: bool,
    errors: FieldErrors,
}

async fn show_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let d = s.app.opportunity(ctx, id).await?;
    let name = |id: i64| d.people.get(&id).cloned().unwrap_or_default();
    let today = today().to_string();
    let page = ShowPage {
        t: p.t,
        shell: p.shell(ctx),
        card: Card::of(&d.record, &today),
        owner: name(d.record.owner_id),
        history: d
            .history
            .iter()
            .map(|h| Stay {
                stage_key: format!("opp.stage.{}", h.stage),
                owner: name(h.owner_id),
                due: h.due.clone().unwrap_or_default(),
                note: h.note.clone(),
                entered: local_time(h.entered_at_ms),
                left: h.left_at_ms.map(local_time).unwrap_or_default(),
            })
            .collect(),
        next: stages(&d.next),
        people: crate::ui::sales_team(s, ctx).await?,
        can_manage: policy::scope(&ctx.actor, Action::ManagePipeline).is_some(),
        errors,
        o: d.record,
    };
    render(status, &page)
}

pub async fn show(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    show_page(&s, &ctx, &p, id, StatusCode::OK, FieldErrors::new()).await
}

/// A stage move from the page's form or a card dropped on the board. The board (htmx) gets
/// 204 on success and the reason as plain text on refusal; the form gets the usual redirect.
pub async fn move_stage(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let m = MoveInput {
        to: form.get("stage"),
        stage_owner_id: form.get("stage_owner_id").parse().ok(),
        note: form.get("note"),
        lost_reason: form.get("lost_reason"),
    };
    let result = s.app.move_opportunity(&ctx, id, m).await;
    if headers.contains_key("hx-request") {
        return match result {
            Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
            Err(e) => {
                let (status, errors) = field_errors(e)?;
                let text = errors.into_values().collect::<Vec<_>>().join("; ");
                Ok((status, text).into_response())
            }
        };
    }
    after_post(
        result,
        |_| format!("/pipeline/{id}"),
        |status, errors| show_page(&s, &ctx, &p, id, status, errors),
    )
    .await
}

// ---- a new lead ----

#[derive(Template)]
#[template(path = "pipeline/new.html")]
struct NewPage {
    t: Lang,
    shell: Shell,
    institutions: Vec<(i64, String)>,
    institution_id: String,
    title: String,
    product_line: String,
    amount: String,
    expected_close: String,
    lines: Vec<(&'static str, String)>,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    institution_id: Option<String>,
}

/// Up to a page of the caller's customers for the picker (a manager with more types to search).
pub(crate) async fn institution_choices(
    s: &AppState,
    ctx: &Ctx,
) -> Result<Vec<(i64, String)>, UiError> {
    let q = InstitutionQuery {
        limit: Some(200),
        ..Default::default()
    };
    Ok(s.app
        .institutions(ctx, &q)
        .await?
        .items
        .into_iter()
        .map(|v| {
            (
                v.record.id,
                format!("{}（{}）", v.record.name, v.record.city),
            )
        })
        .collect())
}

async fn new_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    form: &FormData,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let close = today()
        .checked_add(jiff::ToSpan::days(90))
        .unwrap_or(today())
        .to_string();
    let value = |k: &str, default: &str| {
        Some(form.get(k))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    let page = NewPage {
        t: p.t,
        shell: p.shell(ctx),
        institutions: institution_choices(s, ctx).await?,
        institution_id: value("institution_id", ""),
        title: value("title", ""),
        product_line: value("product_line", "large_equipment"),
        amount: value("amount", ""),
        expected_close: value("expected_close", &close),
        lines: lines(),
        errors,
    };
    render(status, &page)
}

pub async fn new_form(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManagePipeline)?;
    let form = FormData(
        q.institution_id
            .map(|i| vec![("institution_id".to_owned(), i)])
            .unwrap_or_default(),
    );
    new_page(&s, &ctx, &p, StatusCode::OK, &form, FieldErrors::new()).await
}

pub async fn create(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let input = OpportunityInput {
        institution_id: form.get("institution_id").parse().unwrap_or(0),
        title: form.get("title"),
        product_line: form.get("product_line"),
        amount: form.get("amount"),
        expected_close: form.get("expected_close"),
    };
    after_post(
        s.app.create_opportunity(&ctx, input).await,
        |o| format!("/pipeline/{}", o.id),
        |status, errors| new_page(&s, &ctx, &p, status, &form, errors),
    )
    .await
}

// ---- the funnel ----

struct FunnelRowView {
    key: String,
    current: i64,
    amount: String,
    reached: i64,
    conversion: String,
    avg_days: String,
    bottleneck: bool,
}

#[derive(Template)]
#[template(path = "pipeline/funnel.html")]
struct FunnelPage {
    t: Lang,
    shell: Shell,
    owner_id: String,
    product_line: String,
    people: Vec<(i64, String)>,
    lines: Vec<(&'static str, String)>,
    rows: Vec<FunnelRowView>,
    other: Vec<FunnelRowView>,
    bottleneck: Option<String>,
    /// Chart data as JSON arrays: stage labels, reached counts.
    chart_labels: String,
    chart_values: String,
}

#[derive(Deserialize, Default)]
pub struct FunnelQuery {
    owner_id: Option<String>,
    product_line: Option<String>,
}

pub async fn funnel(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<FunnelQuery>,
) -> Result<Response, UiError> {
    let owner_id = q.owner_id.clone().unwrap_or_default();
    let query = OpportunityQuery {
        owner_id: owner_id.parse().ok(),
        product_line: q.product_line.clone(),
        ..Default::default()
    };
    let report = s.app.funnel(&ctx, &query).await?;
    let view = |stage: Stage,
                f: &medcrm_app::domain::pipeline::StageFigures,
                conv: Option<i64>,
                avg: Option<i64>| {
        FunnelRowView {
            key: format!("opp.stage.{}", stage.code()),
            current: f.current,
            amount: format_yuan(f.current_amount_fen),
            reached: f.reached,
            conversion: conv
                .map(|c| format!("{}.{}%", c / 10, c % 10))
                .unwrap_or_default(),
            avg_days: avg.map(|d| d.to_string()).unwrap_or_default(),
            bottleneck: report.bottleneck == Some(stage),
        }
    };
    let rows: Vec<FunnelRowView> = report
        .rows
        .iter()
        .map(|r| {
            view(
                r.stage,
                &r.figures,
                r.conversion_permille,
                r.avg_days_in_stage,
            )
        })
        .collect();
    // Numbers and labels are JSON-encoded for the chart script; JSON text of plain strings
    // and integers is safe inside <script> once `<` is escaped.
    let labels: Vec<&str> = rows.iter().map(|r| p.t.t(&r.key)).collect();
    let values: Vec<i64> = rows.iter().map(|r| r.reached).collect();
    let json =
        |v: serde_json::Result<String>| v.unwrap_or_else(|_| "[]".into()).replace('<', "\\u003c");
    let page = FunnelPage {
        t: p.t,
        shell: p.shell(&ctx),
        chart_labels: json(serde_json::to_string(&labels)),
        chart_values: json(serde_json::to_string(&values)),
        other: report
            .other
            .iter()
            .map(|(s, f)| view(*s, f, None, None))
            .collect(),
        rows,
        bottleneck: report.bottleneck.map(|s| format!("opp.stage.{}", s.code())),
        people: crate::ui::sales_team(&s, &ctx).await?,
        lines: lines(),
        owner_id,
        product_line: q.product_line.unwrap_or_default(),
    };
    render(StatusCode::OK, &page)
}
