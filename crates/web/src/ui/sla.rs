//! SVC-7 pages: the SLA board (open clocks by urgency, the most urgent ones, compliance per
//! milestone, region and engineer, with ECharts charts; the tables work without JavaScript)
//! and the SLA targets settings.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use medcrm_app::Ctx;
use medcrm_app::domain::service::sla::{Milestone, Mode};
use medcrm_app::domain::service::{Priority, TicketKind};
use medcrm_app::policy::{self, Action};
use medcrm_app::service::sla_ops::{Compliance, TargetInput};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::{FieldErrors, FormData, PageCtx, Shell, after_post, local_time, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/service/board", get(board))
        .route("/service/sla-settings", get(settings).post(save_target))
        .route("/service/sla-settings/{id}/delete", post(delete_target))
}

/// "95.0%", or "—" without clocks.
fn pct(bp: Option<i64>) -> String {
    bp.map_or_else(
        || "—".to_owned(),
        |bp| format!("{}.{}%", bp / 100, (bp % 100) / 10),
    )
}

fn milestone_key(code: &str) -> String {
    format!("sla.m.{code}")
}

/// One compliance line as shown.
struct Line {
    name: String,
    met: i64,
    breached: i64,
    percent: String,
}

fn lines(t: Lang, rows: Vec<Compliance>, label: impl Fn(&Compliance) -> String) -> Vec<Line> {
    rows.into_iter()
        .map(|c| Line {
            name: if c.name.is_empty() {
                t.t(&label(&c)).to_owned()
            } else {
                c.name.clone()
            },
            met: c.met,
            breached: c.breached,
            percent: pct(c.percent_bp),
        })
        .collect()
}

/// An urgent clock as listed.
struct Urgent {
    ticket_id: i64,
    number: String,
    customer: String,
    milestone: String,
    engineer: String,
    due: String,
    breached: bool,
}

#[derive(Template)]
#[template(path = "sla/board.html")]
struct BoardPage {
    t: Lang,
    shell: Shell,
    from: String,
    to: String,
    /// (label key, count, css class)
    buckets: Vec<(&'static str, i64, &'static str)>,
    urgent: Vec<Urgent>,
    breaches: i64,
    total: Line,
    /// (title key, lines): per milestone, region and engineer.
    tables: Vec<(&'static str, Vec<Line>)>,
    bucket_labels: String,
    bucket_values: String,
    milestone_labels: String,
    milestone_values: String,
    can_configure: bool,
}

#[derive(Deserialize)]
pub struct BoardQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

fn json<T: serde::Serialize>(v: &T) -> String {
    // `</` never appears in numbers and label texts; escape it anyway for a script block.
    serde_json::to_string(v)
        .unwrap_or_else(|_| "[]".into())
        .replace("</", "<\\/")
}

pub async fn board(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Response, UiError> {
    let blank = |v: Option<String>| v.filter(|x| !x.trim().is_empty());
    let b = s
        .app
        .sla_board(&ctx, blank(q.from).as_deref(), blank(q.to).as_deref())
        .await?;
    let t = p.t;
    let k = b.buckets;
    let buckets = vec![
        ("sla.bucket.breached", k.breached, "hot"),
        ("sla.bucket.within_1h", k.within_1h, "warn"),
        ("sla.bucket.within_4h", k.within_4h, ""),
        ("sla.bucket.within_24h", k.within_24h, ""),
        ("sla.bucket.later", k.later, ""),
        ("sla.bucket.paused", k.paused, "muted"),
    ];
    let bucket_labels: Vec<&str> = buckets.iter().map(|(key, _, _)| t.t(key)).collect();
    let bucket_values: Vec<i64> = buckets.iter().map(|(_, n, _)| *n).collect();
    let milestone_labels: Vec<String> = b
        .by_milestone
        .iter()
        .map(|c| t.t(&milestone_key(&c.key)).to_owned())
        .collect();
    // Percent with one decimal, as text ECharts reads as a number.
    let milestone_values: Vec<String> = b
        .by_milestone
        .iter()
        .map(|c| {
            pct(c.percent_bp.or(Some(0)))
                .trim_end_matches('%')
                .to_owned()
        })
        .collect();
    let urgent = b
        .urgent
        .into_iter()
        .map(|c| Urgent {
            ticket_id: c.ticket_id,
            number: c.number,
            customer: c.institution_name,
            milestone: t.t(&milestone_key(&c.milestone)).to_owned(),
            engineer: c.engineer_name.unwrap_or_default(),
            due: local_time(c.due_at_ms),
            breached: c.state == "breached" || c.due_at_ms < b.now_ms,
        })
        .collect();
    let page = BoardPage {
        t,
        shell: p.shell(&ctx),
        from: b.from.to_string(),
        to: b.to.to_string(),
        bucket_labels: json(&bucket_labels),
        bucket_values: json(&bucket_values),
        milestone_labels: json(&milestone_labels),
        milestone_values: json(&milestone_values),
        buckets,
        urgent,
        breaches: b.breaches,
        total: Line {
            name: t.t("sla.total").to_owned(),
            met: b.total.met,
            breached: b.total.breached,
            percent: pct(b.total.percent_bp),
        },
        tables: vec![
            (
                "sla.by_milestone",
                lines(t, b.by_milestone, |c| milestone_key(&c.key)),
            ),
            (
                "sla.by_region",
                lines(t, b.by_region, |_| "sla.no_region".into()),
            ),
            (
                "sla.by_engineer",
                lines(t, b.by_engineer, |_| "sla.unassigned".into()),
            ),
        ],
        can_configure: policy::scope(&ctx.actor, Action::ConfigureService).is_some(),
    };
    render(StatusCode::OK, &page)
}

/// A target as listed.
struct TargetRow {
    id: i64,
    milestone: String,
    kind: String,
    priority: String,
    contract: String,
    amount: i64,
    mode: String,
}

#[derive(Template)]
#[template(path = "sla/settings.html")]
struct SettingsPage {
    t: Lang,
    shell: Shell,
    rows: Vec<TargetRow>,
    milestones: Vec<(&'static str, String)>,
    kinds: Vec<(&'static str, String)>,
    priorities: Vec<(&'static str, String)>,
    modes: Vec<(&'static str, String)>,
    form: TargetInput,
    errors: FieldErrors,
}

fn options<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    prefix: &str,
) -> Vec<(&'static str, String)> {
    all.iter()
        .map(|v| (code(*v), format!("{prefix}{}", code(*v))))
        .collect()
}

async fn settings_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    form: TargetInput,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let t = p.t;
    let any = t.t("sla.any");
    let label = |prefix: &str, code: &str| {
        if code.is_empty() {
            any.to_owned()
        } else {
            t.t(&format!("{prefix}{code}")).to_owned()
        }
    };
    let rows = s
        .app
        .sla_targets(ctx)
        .await?
        .into_iter()
        .map(|r| TargetRow {
            id: r.id,
            milestone: label("sla.m.", &r.milestone),
            kind: label("sla.kind.", &r.kind),
            priority: label("sla.priority.", &r.priority),
            contract: if r.contract_id == 0 {
                any.to_owned()
            } else {
                r.contract_id.to_string()
            },
            amount: r.amount,
            mode: label("sla.mode.", &r.mode),
        })
        .collect();
    let page = SettingsPage {
        t,
        shell: p.shell(ctx),
        rows,
        milestones: options(Milestone::ALL, Milestone::code, "sla.m."),
        kinds: options(TicketKind::ALL, TicketKind::code, "sla.kind."),
        priorities: options(Priority::ALL, Priority::code, "sla.priority."),
        modes: options(Mode::ALL, Mode::code, "sla.mode."),
        form,
        errors,
    };
    render(status, &page)
}

pub async fn settings(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    let form = TargetInput {
        mode: Mode::WallMinutes.code().into(),
        ..Default::default()
    };
    settings_page(&s, &ctx, &p, form, StatusCode::OK, FieldErrors::new()).await
}

pub async fn save_target(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    f: FormData,
) -> Result<Response, UiError> {
    let number = |key: &str| {
        let v = f.get(key);
        let v = v.trim();
        if v.is_empty() {
            Some(0)
        } else {
            v.parse::<i64>().ok()
        }
    };
    let (amount, contract_id) = (number("amount"), number("contract_id"));
    let form = TargetInput {
        milestone: f.get("milestone"),
        kind: f.get("kind"),
        priority: f.get("priority"),
        contract_id: contract_id.unwrap_or(-1),
        amount: amount.unwrap_or(0),
        mode: f.get("mode"),
    };
    let result = if amount.is_none() {
        Err(medcrm_app::Error::invalid("amount", "a whole number"))
    } else {
        s.app.set_sla_target(&ctx, form.clone()).await
    };
    after_post(
        result,
        |_| "/service/sla-settings".into(),
        |status, errors| settings_page(&s, &ctx, &p, form, status, errors),
    )
    .await
}

pub async fn delete_target(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let result = s.app.delete_sla_target(&ctx, id).await;
    after_post(
        result,
        |()| "/service/sla-settings".into(),
        |status, errors| settings_page(&s, &ctx, &p, TargetInput::default(), status, errors),
    )
    .await
}
