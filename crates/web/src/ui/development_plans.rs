//! Development plan pages (CUS-6): the list, a new plan, and a plan with its timeline of
//! progress reports and reviews.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::Ctx;
use medcrm_app::customers::{InstitutionQuery, today};
use medcrm_app::development_plans::{CHANNELS, PlanInput, PlanRecord};
use medcrm_app::policy::{self, Action};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::{FieldErrors, FormData, PageCtx, Shell, after_post, local_time, render};

fn channels() -> Vec<(&'static str, String)> {
    CHANNELS
        .iter()
        .map(|c| (*c, format!("plan.channel.{c}")))
        .collect()
}

struct Row {
    id: i64,
    goal: String,
    channel: String,
    deadline: String,
    status: String,
    progress: i64,
    overdue: bool,
}

impl Row {
    fn of(p: &PlanRecord, today: &str) -> Row {
        Row {
            id: p.id,
            goal: p.goal.clone(),
            channel: format!("plan.channel.{}", p.channel),
            deadline: p.deadline.clone(),
            status: format!("plan.status.{}", p.status),
            progress: p.progress,
            overdue: p.status == "active" && p.deadline.as_str() < today,
        }
    }
}

#[derive(Template)]
#[template(path = "plans/list.html")]
struct ListPage {
    t: Lang,
    shell: Shell,
    rows: Vec<Row>,
    next: Option<String>,
    can_create: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    cursor: Option<i64>,
}

pub async fn list(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, UiError> {
    let page = s.app.development_plans(&ctx, None, q.cursor, None).await?;
    let today = today().to_string();
    let page = ListPage {
        t: p.t,
        shell: p.shell(&ctx),
        rows: page.items.iter().map(|r| Row::of(r, &today)).collect(),
        next: page.next_cursor.map(|c| format!("/plans?cursor={c}")),
        can_create: policy::scope(&ctx.actor, Action::ManageCustomers).is_some(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "plans/new.html")]
struct NewPage {
    t: Lang,
    shell: Shell,
    channels: Vec<(&'static str, String)>,
    institutions: Vec<(i64, String, bool)>,
    goal: String,
    strategy: String,
    channel: String,
    deadline: String,
    errors: FieldErrors,
}

async fn new_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    form: &FormData,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let chosen = form.all("institution_ids");
    let q = InstitutionQuery {
        limit: Some(200),
        ..Default::default()
    };
    let institutions = s
        .app
        .institutions(ctx, &q)
        .await?
        .items
        .into_iter()
        .map(|v| {
            let checked = chosen.contains(&v.record.id.to_string());
            (v.record.id, v.record.name, checked)
        })
        .collect();
    let page = NewPage {
        t: p.t,
        shell: p.shell(ctx),
        channels: channels(),
        institutions,
        goal: form.get("goal"),
        strategy: form.get("strategy"),
        channel: form.get("channel"),
        deadline: form.get("deadline"),
        errors,
    };
    render(status, &page)
}

pub async fn new_form(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageCustomers)?;
    new_page(
        &s,
        &ctx,
        &p,
        StatusCode::OK,
        &FormData(Vec::new()),
        FieldErrors::new(),
    )
    .await
}

pub async fn create(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let input = PlanInput {
        goal: form.get("goal"),
        strategy: form.get("strategy"),
        channel: form.get("channel"),
        deadline: form.get("deadline"),
        institution_ids: form
            .all("institution_ids")
            .iter()
            .filter_map(|i| i.parse().ok())
            .collect(),
    };
    after_post(
        s.app.create_development_plan(&ctx, input).await,
        |plan| format!("/plans/{}", plan.id),
        |status, errors| new_page(&s, &ctx, &p, status, &form, errors),
    )
    .await
}

struct NoteRow {
    kind: String,
    author: String,
    progress: String,
    verdict: String,
    text: String,
    at: String,
}

#[derive(Template)]
#[template(path = "plans/show.html")]
struct ShowPage {
    t: Lang,
    shell: Shell,
    row: Row,
    strategy: String,
    targets: Vec<(i64, String)>,
    notes: Vec<NoteRow>,
    is_owner: bool,
    can_review: bool,
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
    let d = s.app.development_plan(ctx, id).await?;
    let today = today().to_string();
    let page = ShowPage {
        t: p.t,
        shell: p.shell(ctx),
        row: Row::of(&d.plan, &today),
        strategy: d.plan.strategy.clone(),
        targets: d.targets,
        notes: d
            .notes
            .iter()
            .map(|n| NoteRow {
                kind: format!("plan.note.{}", n.kind),
                author: d.people.get(&n.author_id).cloned().unwrap_or_default(),
                progress: n.progress.map(|p| format!("{p}%")).unwrap_or_default(),
                verdict: n
                    .verdict
                    .as_ref()
                    .map(|v| format!("plan.verdict.{v}"))
                    .unwrap_or_default(),
                text: n.text.clone(),
                at: local_time(n.at_ms),
            })
            .collect(),
        is_owner: d.plan.owner_id == ctx.actor.user_id && d.plan.status == "active",
        can_review: d.plan.owner_id != ctx.actor.user_id
            && policy::scope(&ctx.actor, Action::AssignCustomers).is_some(),
        errors,
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

pub async fn report(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let progress = form.get("progress").parse().unwrap_or(-1);
    let result = s
        .app
        .report_plan_progress(&ctx, id, progress, &form.get("text"))
        .await;
    after_post(
        result,
        |_| format!("/plans/{id}"),
        |status, errors| show_page(&s, &ctx, &p, id, status, errors),
    )
    .await
}

pub async fn review(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let result = s
        .app
        .review_plan(&ctx, id, &form.get("verdict"), &form.get("text"))
        .await;
    after_post(
        result,
        |_| format!("/plans/{id}"),
        |status, errors| show_page(&s, &ctx, &p, id, status, errors),
    )
    .await
}
