//! SVC pages: the ticket list with its clocks coloured by urgency, the hotline's quick entry,
//! the new-ticket form, a ticket with everything that can be done to it by the viewer
//! (claim, contact, phone resolution, dispatch, arrival, pause, cancel, service record,
//! signature, completion, part requests, follow-up), the engineer's own tickets, the
//! warehouse's part-request queue, improvement actions and the printable service report.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use medcrm_app::Ctx;
use medcrm_app::domain::auth::Role;
use medcrm_app::domain::service::{Channel, Priority, TicketKind, TicketStatus};
use medcrm_app::policy::{self, Action};
use medcrm_app::service::followup::{ImprovementQuery, ImprovementRow, SurveyInput};
use medcrm_app::service::hotline::HotlineMatch;
use medcrm_app::service::parts::{PartRequestInput, PartRequestRow};
use medcrm_app::service::records::{ConfirmationInput, RecordInput};
use medcrm_app::service::{ClockRecord, TicketInput, TicketQuery, TicketRecord};
use serde::Deserialize;

use crate::AppState;
use crate::api::service_work::png;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::audit::urlencode;
use crate::ui::{
    FieldErrors, FormData, Options, PageCtx, Shell, local_time, options, readable, render,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/service/tickets", get(list).post(create))
        .route("/service/tickets/new", get(new_ticket))
        .route("/service/hotline", get(hotline))
        .route("/service/my", get(mine))
        .route("/service/tickets/{id}", get(ticket))
        .route("/service/tickets/{id}/report", get(report))
        .route("/service/tickets/{id}/signature.png", get(signature))
        .route("/service/tickets/{id}/actions/{step}", post(step))
        .route("/service/part-requests", get(part_queue))
        .route("/service/part-requests/{id}/{step}", post(part_step))
        .route("/service/improvements", get(improvements))
        .route("/service/improvements/{id}/close", post(close_improvement))
}

fn may(ctx: &Ctx, action: Action) -> bool {
    policy::scope(&ctx.actor, action).is_some()
}

/// How close a due time is: `err` past due, `warn` within two hours, `ok` otherwise.
fn urgency(due_ms: Option<i64>, now_ms: i64) -> &'static str {
    match due_ms {
        Some(d) if d <= now_ms => "err",
        Some(d) if d - now_ms <= 2 * 3_600_000 => "warn",
        Some(_) => "ok",
        None => "",
    }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A ticket as a table row.
struct TicketRow {
    id: i64,
    number: String,
    customer: String,
    device: String,
    kind_key: String,
    priority: String,
    priority_key: String,
    status_key: String,
    engineer: String,
    requested: String,
    due: String,
    urgency: &'static str,
}

impl TicketRow {
    fn of(t: &TicketRecord, now: i64) -> Self {
        let device = match (&t.product_name, &t.device_serial) {
            (Some(p), Some(s)) => format!("{p} · {s}"),
            (None, Some(s)) => s.clone(),
            _ => String::new(),
        };
        TicketRow {
            id: t.id,
            number: t.number.clone(),
            customer: t.institution_name.clone(),
            device,
            kind_key: format!("svc.kind.{}", t.kind),
            priority: t.priority.clone(),
            priority_key: format!("svc.priority.{}", t.priority),
            status_key: format!("svc.status.{}", t.status),
            engineer: t.engineer_name.clone().unwrap_or_default(),
            requested: local_time(t.requested_at_ms),
            due: t.next_due_at_ms.map(local_time).unwrap_or_default(),
            urgency: urgency(t.next_due_at_ms, now),
        }
    }
}

fn rows(list: &[TicketRecord]) -> Vec<TicketRow> {
    let now = now_ms();
    list.iter().map(|t| TicketRow::of(t, now)).collect()
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    pub open: Option<String>,
    pub priority: Option<String>,
    pub q: Option<String>,
    pub cursor: Option<i64>,
}

fn nonempty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[derive(Template)]
#[template(path = "service/tickets.html")]
struct TicketsPage {
    t: Lang,
    shell: Shell,
    rows: Vec<TicketRow>,
    statuses: Options,
    priorities: Options,
    status: String,
    priority: String,
    open: bool,
    q: String,
    next: Option<String>,
    can_create: bool,
}

pub async fn list(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, UiError> {
    let status = nonempty(q.status).unwrap_or_default();
    let priority = nonempty(q.priority).unwrap_or_default();
    let text = nonempty(q.q).unwrap_or_default();
    let open = q.open.is_some_and(|o| o == "1");
    let page = s
        .app
        .tickets(
            &ctx,
            TicketQuery {
                status: Some(status.clone()).filter(|s| !s.is_empty()),
                open,
                priority: Some(priority.clone()).filter(|s| !s.is_empty()),
                q: Some(text.clone()).filter(|s| !s.is_empty()),
                cursor: q.cursor,
                ..Default::default()
            },
        )
        .await?;
    let next = page.next_cursor.map(|c| {
        format!(
            "/service/tickets?status={}&priority={}&q={}&open={}&cursor={c}",
            urlencode(&status),
            urlencode(&priority),
            urlencode(&text),
            if open { "1" } else { "" }
        )
    });
    ok_page(&TicketsPage {
        t: p.t,
        shell: p.shell(&ctx),
        rows: rows(&page.items),
        statuses: options(TicketStatus::ALL, TicketStatus::code, "svc.status"),
        priorities: options(Priority::ALL, Priority::code, "svc.priority"),
        status,
        priority,
        open,
        q: text,
        next,
        can_create: may(&ctx, Action::ManageTickets),
    })
}

fn ok_page(t: &impl Template) -> Result<Response, UiError> {
    render(StatusCode::OK, t)
}

#[derive(Template)]
#[template(path = "service/my.html")]
struct MyPage {
    t: Lang,
    shell: Shell,
    rows: Vec<TicketRow>,
}

pub async fn mine(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    let list = s.app.my_tickets(&ctx).await?;
    ok_page(&MyPage {
        t: p.t,
        shell: p.shell(&ctx),
        rows: rows(&list),
    })
}

#[derive(Deserialize, Default)]
pub struct HotlineQuery {
    pub q: Option<String>,
}

#[derive(Template)]
#[template(path = "service/hotline.html")]
struct HotlinePage {
    t: Lang,
    shell: Shell,
    q: String,
    searched: bool,
    matches: Vec<HotlineMatch>,
    error: String,
}

impl HotlinePage {
    fn open_rows(&self, m: &HotlineMatch) -> Vec<TicketRow> {
        rows(&m.open_tickets)
    }
}

pub async fn hotline(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<HotlineQuery>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageTickets).map_err(UiError)?;
    let text = nonempty(q.q).unwrap_or_default();
    let (matches, error) = if text.is_empty() {
        (Vec::new(), String::new())
    } else {
        match s.app.hotline_lookup(&ctx, &text).await {
            Ok(m) => (m, String::new()),
            Err(medcrm_app::Error::Invalid(f)) => {
                (Vec::new(), f.into_values().collect::<Vec<_>>().join("; "))
            }
            Err(e) => return Err(UiError(e)),
        }
    };
    ok_page(&HotlinePage {
        t: p.t,
        shell: p.shell(&ctx),
        searched: !text.is_empty(),
        q: text,
        matches,
        error,
    })
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    pub institution_id: Option<i64>,
    pub device_id: Option<i64>,
    pub contact_id: Option<i64>,
}

#[derive(Default)]
struct TicketForm {
    channel: String,
    kind: String,
    priority: String,
    institution_id: String,
    device_id: String,
    contact_id: String,
    caller_name: String,
    caller_phone: String,
    fault: String,
    requested_at: String,
}

#[derive(Template)]
#[template(path = "service/new.html")]
struct NewPage {
    t: Lang,
    shell: Shell,
    v: TicketForm,
    customer: String,
    /// The customer's devices `(id, serial · product)` and contacts to pick from; empty when
    /// no customer is chosen yet (or the caller may not read them).
    devices: Vec<(String, String)>,
    /// `(id, name, phone)`: choosing one fills in the caller when it is blank.
    contacts: Vec<(String, String, String)>,
    channels: Options,
    kinds: Options,
    priorities: Options,
    errors: FieldErrors,
}

fn opt_id(v: &str) -> Option<i64> {
    v.trim().parse().ok()
}

async fn new_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    v: TicketForm,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let (mut customer, mut devices, mut contacts) = (String::new(), Vec::new(), Vec::new());
    if let Some(id) = opt_id(&v.institution_id) {
        if let Some(i) = readable(s.app.institution(ctx, id).await.map(Some))? {
            customer = i.view.record.name;
            contacts = i
                .contacts
                .into_iter()
                .map(|c| (c.id.to_string(), c.name, c.phone))
                .collect();
        }
        let q = medcrm_app::deliveries::DeviceQuery {
            institution_id: Some(id),
            limit: Some(medcrm_app::MAX_PAGE_SIZE),
            ..Default::default()
        };
        devices = readable(s.app.devices(ctx, &q).await.map(|p| p.items))?
            .into_iter()
            .map(|d| {
                (
                    d.id.to_string(),
                    format!("{} · {} {}", d.serial, d.product_name, d.model),
                )
            })
            .collect();
    }
    let channels = options(Channel::ALL, Channel::code, "svc.channel")
        .into_iter()
        .filter(|(c, _)| *c != Channel::Plan.code())
        .collect();
    render(
        status,
        &NewPage {
            t: p.t,
            shell: p.shell(ctx),
            v,
            customer,
            devices,
            contacts,
            channels,
            kinds: options(TicketKind::ALL, TicketKind::code, "svc.kind"),
            priorities: options(Priority::ALL, Priority::code, "svc.priority"),
            errors,
        },
    )
}

pub async fn new_ticket(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageTickets).map_err(UiError)?;
    let engineer = ctx.actor.roles.contains(&Role::ServiceEngineer);
    let v = TicketForm {
        channel: if engineer { "engineer" } else { "hotline" }.into(),
        kind: "repair".into(),
        priority: "normal".into(),
        institution_id: q.institution_id.map(|i| i.to_string()).unwrap_or_default(),
        device_id: q.device_id.map(|i| i.to_string()).unwrap_or_default(),
        contact_id: q.contact_id.map(|i| i.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    new_page(&s, &ctx, &p, v, StatusCode::OK, FieldErrors::new()).await
}

pub async fn create(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    f: FormData,
) -> Result<Response, UiError> {
    let v = TicketForm {
        channel: f.get("channel"),
        kind: f.get("kind"),
        priority: f.get("priority"),
        institution_id: f.get("institution_id"),
        device_id: f.get("device_id"),
        contact_id: f.get("contact_id"),
        caller_name: f.get("caller_name"),
        caller_phone: f.get("caller_phone"),
        fault: f.get("fault"),
        requested_at: f.get("requested_at"),
    };
    let input = TicketInput {
        channel: v.channel.clone(),
        kind: v.kind.clone(),
        priority: v.priority.clone(),
        institution_id: opt_id(&v.institution_id).unwrap_or(0),
        department_id: None,
        contact_id: opt_id(&v.contact_id),
        caller_name: v.caller_name.clone(),
        caller_phone: v.caller_phone.clone(),
        device_id: opt_id(&v.device_id),
        fault: v.fault.clone(),
        requested_at: Some(v.requested_at.clone()).filter(|s| !s.trim().is_empty()),
    };
    let result = s.app.create_ticket(&ctx, input).await;
    crate::ui::after_post(
        result,
        |t| format!("/service/tickets/{}", t.id),
        |status, errors| new_page(&s, &ctx, &p, v, status, errors),
    )
    .await
}

struct ClockRow {
    milestone_key: String,
    part_request_id: i64,
    state: String,
    state_key: String,
    started: String,
    due: String,
    stopped: String,
    urgency: &'static str,
}

fn clock_rows(list: &[ClockRecord]) -> Vec<ClockRow> {
    let now = now_ms();
    list.iter()
        .map(|c| ClockRow {
            milestone_key: format!("svc.milestone.{}", c.milestone),
            part_request_id: c.part_request_id,
            state: c.state.clone(),
            state_key: format!("svc.clock.{}", c.state),
            started: local_time(c.started_at_ms),
            due: local_time(c.due_at_ms),
            stopped: c.stopped_at_ms.map(local_time).unwrap_or_default(),
            urgency: match c.state.as_str() {
                "running" => urgency(Some(c.due_at_ms), now),
                "breached" => "err",
                "met" => "ok",
                _ => "",
            },
        })
        .collect()
}

struct PartRow {
    id: i64,
    /// PRT-3: a catalog part is issued from stock, not merely fulfilled.
    part_id: Option<i64>,
    ticket_id: i64,
    ticket_number: String,
    customer: String,
    code: String,
    name: String,
    quantity: i64,
    note: String,
    status: String,
    status_key: String,
    requested_by: String,
    requested: String,
    due: String,
    urgency: &'static str,
}

fn part_rows(list: &[PartRequestRow]) -> Vec<PartRow> {
    let now = now_ms();
    list.iter()
        .map(|r| PartRow {
            id: r.id,
            part_id: r.part_id,
            ticket_id: r.ticket_id,
            ticket_number: r.ticket_number.clone(),
            customer: r.institution_name.clone(),
            code: r.part_code.clone(),
            name: r.part_name.clone(),
            quantity: r.quantity,
            note: r.note.clone(),
            status: r.status.clone(),
            status_key: format!("svc.part.{}", r.status),
            requested_by: r.requested_by_name.clone(),
            requested: local_time(r.requested_at_ms),
            due: r.due_at_ms.map(local_time).unwrap_or_default(),
            urgency: if r.status == "requested" {
                urgency(r.due_at_ms, now)
            } else {
                ""
            },
        })
        .collect()
}

/// What the viewer may do to the ticket now.
#[derive(Default)]
struct Allowed {
    claim: bool,
    contact: bool,
    resolve: bool,
    dispatch: bool,
    arrive: bool,
    pause: bool,
    resume: bool,
    cancel: bool,
    work: bool,
    parts: bool,
    fulfil: bool,
    follow_up: bool,
    /// SVC-7: correct when an event happened (the clocks are recomputed).
    correct: bool,
}

fn allowed(ctx: &Ctx, t: &TicketRecord, paused: bool) -> Allowed {
    let manage = may(ctx, Action::ManageTickets);
    let dispatch = may(ctx, Action::DispatchTickets);
    let assignee = may(ctx, Action::WorkTickets)
        && (ctx.actor.roles.contains(&Role::ServiceManager)
            || t.engineer_id == Some(ctx.actor.user_id));
    let s = t.status.as_str();
    Allowed {
        claim: manage && t.handler_id.is_none() && matches!(s, "new" | "contacted"),
        contact: manage && s == "new",
        resolve: manage && matches!(s, "new" | "contacted"),
        dispatch: dispatch && matches!(s, "new" | "contacted" | "dispatched" | "on_site"),
        arrive: assignee && s == "dispatched",
        pause: dispatch && s == "dispatched" && !paused,
        resume: dispatch && s == "dispatched" && paused,
        cancel: manage && matches!(s, "new" | "contacted" | "dispatched"),
        work: assignee && s == "on_site",
        parts: assignee && matches!(s, "dispatched" | "on_site"),
        fulfil: may(ctx, Action::FulfilPartRequests),
        follow_up: may(ctx, Action::FollowUpTickets) && s == "completed",
        correct: may(ctx, Action::CorrectTicketEvents),
    }
}

struct EventRow {
    id: i64,
    kind_key: String,
    at: String,
    /// The time as a `datetime-local` input holds it, for the correction form.
    at_input: String,
    by: String,
    note: String,
}

#[derive(Default)]
struct RecordForm {
    phenomenon: String,
    diagnosis: String,
    repair_method: String,
    parts_replaced: String,
    minutes_spent: String,
}

#[derive(Template)]
#[template(path = "service/ticket.html")]
struct TicketPage {
    t: Lang,
    shell: Shell,
    v: TicketRow,
    ticket: TicketRecord,
    status: String,
    channel_key: String,
    clocks: Vec<ClockRow>,
    events: Vec<EventRow>,
    assignments: Vec<(String, String, String, String)>,
    parts: Vec<PartRow>,
    record: RecordForm,
    has_record: bool,
    confirmation: Option<(String, String, String, String)>,
    survey: Option<medcrm_app::service::followup::SurveyRow>,
    improvements: Vec<ImprovementRow>,
    /// (id, name, currently assigned).
    engineers: Vec<(i64, String, bool)>,
    /// The survey's score fields: (name, label key, error).
    scores: Vec<(&'static str, &'static str, String)>,
    can: Allowed,
    errors: FieldErrors,
}

async fn ticket_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
    posted: Option<RecordForm>,
) -> Result<Response, UiError> {
    let view = s.app.ticket(ctx, id).await?;
    let record = s.app.service_record(ctx, id).await?;
    let confirmation = s.app.ticket_confirmation(ctx, id).await?;
    let parts = s.app.part_requests(ctx, id).await?;
    let survey = s.app.ticket_survey(ctx, id).await?;
    let improvements = if may(ctx, Action::ManageImprovements) {
        s.app.ticket_improvements(ctx, id).await?
    } else {
        Vec::new()
    };
    let paused = view
        .events
        .iter()
        .rev()
        .find(|e| e.kind == "paused" || e.kind == "resumed")
        .is_some_and(|e| e.kind == "paused");
    let can = allowed(ctx, &view.ticket, paused);
    let engineers = if can.dispatch {
        let q = medcrm_app::org::UserQuery {
            role: Some(Role::ServiceEngineer.code().into()),
            limit: Some(medcrm_app::MAX_PAGE_SIZE),
            ..Default::default()
        };
        s.app
            .users(ctx, &q)
            .await?
            .items
            .into_iter()
            .map(|u| {
                let current = view.ticket.engineer_id == Some(u.user.id);
                (u.user.id, u.user.display_name, current)
            })
            .collect()
    } else {
        Vec::new()
    };
    let has_record = record.is_some();
    let record = posted.unwrap_or_else(|| {
        record
            .map(|r| RecordForm {
                phenomenon: r.phenomenon,
                diagnosis: r.diagnosis,
                repair_method: r.repair_method,
                parts_replaced: r.parts_replaced,
                minutes_spent: r.minutes_spent.to_string(),
            })
            .unwrap_or_default()
    });
    let page = TicketPage {
        t: p.t,
        shell: p.shell(ctx),
        v: TicketRow::of(&view.ticket, now_ms()),
        status: view.ticket.status.clone(),
        channel_key: format!("svc.channel.{}", view.ticket.channel),
        clocks: clock_rows(&view.clocks),
        events: view
            .events
            .iter()
            .map(|e| EventRow {
                id: e.id,
                kind_key: format!("svc.event.{}", e.kind),
                at: local_time(e.at_ms),
                at_input: local_time(e.at_ms).replace(' ', "T"),
                by: e.by_name.clone(),
                note: e.note.clone(),
            })
            .collect(),
        assignments: view
            .assignments
            .iter()
            .map(|a| {
                (
                    local_time(a.at_ms),
                    a.engineer_name.clone(),
                    a.assigned_by_name.clone(),
                    a.note.clone(),
                )
            })
            .collect(),
        parts: part_rows(&parts),
        record,
        has_record,
        confirmation: confirmation.map(|c| {
            (
                c.name,
                local_time(c.confirmed_at_ms),
                c.method,
                c.code.unwrap_or_default(),
            )
        }),
        survey,
        improvements,
        engineers,
        scores: [
            ("attitude", "svc.attitude"),
            ("quality", "svc.quality"),
            ("speed", "svc.speed"),
        ]
        .into_iter()
        .map(|(name, key)| (name, key, errors.get(name).cloned().unwrap_or_default()))
        .collect(),
        can,
        ticket: view.ticket,
        errors,
    };
    render(status, &page)
}

pub async fn ticket(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    ticket_page(&s, &ctx, &p, id, StatusCode::OK, FieldErrors::new(), None).await
}

fn int(f: &FormData, key: &str) -> i64 {
    f.get(key).trim().parse().unwrap_or(-1)
}

fn opt_text(f: &FormData, key: &str) -> Option<String> {
    Some(f.get(key)).filter(|s| !s.trim().is_empty())
}

/// A refused correction's fields, named apart from the other forms' `at` and `reason` so the
/// page shows them above the event log and nowhere else.
fn correction_fields(e: medcrm_app::Error) -> medcrm_app::Error {
    match e {
        medcrm_app::Error::Invalid(fields) => medcrm_app::Error::Invalid(
            fields
                .into_iter()
                .map(|(field, message)| match field {
                    "at" => ("correct_at", message),
                    "reason" => ("correct_reason", message),
                    other => (other, message),
                })
                .collect(),
        ),
        other => other,
    }
}

/// One form on the ticket page; on success back to the ticket, else the page with errors.
pub async fn step(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath((id, step)): ApiPath<(i64, String)>,
    f: FormData,
) -> Result<Response, UiError> {
    let app = &s.app;
    let at = opt_text(&f, "at");
    let mut posted = None;
    let result: medcrm_app::Result<()> = match step.as_str() {
        "claim" => app.claim_ticket(&ctx, id).await.map(drop),
        "contact" => app
            .contact_ticket(&ctx, id, at.as_deref(), &f.get("note"))
            .await
            .map(drop),
        "resolve" => app
            .resolve_by_phone(&ctx, id, &f.get("guidance"))
            .await
            .map(drop),
        "dispatch" => match f.get("engineer_id").trim().parse::<i64>() {
            Ok(e) => app
                .dispatch_ticket(&ctx, id, e, None, &f.get("note"))
                .await
                .map(drop),
            Err(_) => Err(medcrm_app::Error::invalid(
                "engineer_id",
                "choose an engineer",
            )),
        },
        "arrive" => app.arrive(&ctx, id, at.as_deref()).await.map(drop),
        "pause" => app.pause_ticket(&ctx, id, &f.get("reason")).await.map(drop),
        "resume" => app.resume_ticket(&ctx, id).await.map(drop),
        "cancel" => app
            .cancel_ticket(&ctx, id, &f.get("reason"))
            .await
            .map(drop),
        "record" => {
            let form = RecordForm {
                phenomenon: f.get("phenomenon"),
                diagnosis: f.get("diagnosis"),
                repair_method: f.get("repair_method"),
                parts_replaced: f.get("parts_replaced"),
                minutes_spent: f.get("minutes_spent"),
            };
            let input = RecordInput {
                phenomenon: form.phenomenon.clone(),
                diagnosis: form.diagnosis.clone(),
                repair_method: form.repair_method.clone(),
                parts_replaced: form.parts_replaced.clone(),
                minutes_spent: int(&f, "minutes_spent"),
            };
            posted = Some(form);
            app.save_service_record(&ctx, id, input).await.map(drop)
        }
        "confirm" => {
            let input = ConfirmationInput {
                name: f.get("name"),
                confirmed_at: opt_text(&f, "confirmed_at"),
                signature: opt_text(&f, "signature"),
                code: opt_text(&f, "code"),
            };
            app.confirm_ticket(&ctx, id, input).await.map(drop)
        }
        "complete" => app
            .complete_ticket(&ctx, id, at.as_deref(), &f.get("note"))
            .await
            .map(drop),
        "correct" => app
            .correct_event(
                &ctx,
                id,
                int(&f, "event_id"),
                &f.get("at"),
                &f.get("reason"),
            )
            .await
            .map(drop)
            .map_err(correction_fields),
        "parts" => {
            let input = PartRequestInput {
                part_id: None,
                part_code: f.get("part_code"),
                part_name: f.get("part_name"),
                quantity: int(&f, "quantity"),
                note: f.get("note"),
            };
            app.request_part(&ctx, id, input).await.map(drop)
        }
        "follow-up" => {
            let input = SurveyInput {
                respondent: f.get("respondent"),
                attitude: int(&f, "attitude"),
                quality: int(&f, "quality"),
                speed: int(&f, "speed"),
                comment: f.get("comment"),
                at: None,
                improvement: opt_text(&f, "improvement"),
                owner_id: None,
                due_on: opt_text(&f, "due_on"),
            };
            app.follow_up(&ctx, id, input).await.map(drop)
        }
        _ => Err(medcrm_app::Error::NotFound("action")),
    };
    let back = format!("/service/tickets/{id}");
    crate::ui::after_post(
        result,
        |()| back,
        |status, errors| ticket_page(&s, &ctx, &p, id, status, errors, posted),
    )
    .await
}

#[derive(Template)]
#[template(path = "service/parts.html")]
struct PartsPage {
    t: Lang,
    shell: Shell,
    rows: Vec<PartRow>,
    /// PRT-3: where the warehouse may issue from (central and regional stock).
    sources: Vec<(i64, String)>,
    next: Option<String>,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct CursorQuery {
    pub cursor: Option<i64>,
    pub status: Option<String>,
}

async fn parts_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    cursor: Option<i64>,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let page = s.app.part_queue(ctx, cursor, None).await?;
    let sources = match s.app.all_warehouses(ctx).await {
        Ok(all) => all
            .into_iter()
            .filter(|w| w.owner_id.is_none() && w.active)
            .map(|w| (w.id, w.name))
            .collect(),
        Err(medcrm_app::Error::Forbidden) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    render(
        status,
        &PartsPage {
            t: p.t,
            shell: p.shell(ctx),
            rows: part_rows(&page.items),
            sources,
            next: page
                .next_cursor
                .map(|c| format!("/service/part-requests?cursor={c}")),
            errors,
        },
    )
}

pub async fn part_queue(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<CursorQuery>,
) -> Result<Response, UiError> {
    parts_page(&s, &ctx, &p, q.cursor, StatusCode::OK, FieldErrors::new()).await
}

/// Fulfil (the warehouse, from the queue) or cancel (the engineer, from the ticket).
pub async fn part_step(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath((id, step)): ApiPath<(i64, String)>,
    f: FormData,
) -> Result<Response, UiError> {
    let back = crate::ui::safe_next(&f.get("next"));
    let result = match step.as_str() {
        "fulfil" => s.app.fulfil_part_request(&ctx, id, &f.get("note")).await,
        "issue" => {
            let input = medcrm_app::parts::issues::IssueInput {
                warehouse_id: f.get("warehouse_id").parse().ok(),
                part_id: None,
                trace: f.get("trace"),
                note: f.get("note"),
            };
            s.app
                .issue_part_request(&ctx, id, input)
                .await
                .map(|r| r.request)
        }
        "cancel" => s.app.cancel_part_request(&ctx, id, &f.get("reason")).await,
        _ => Err(medcrm_app::Error::NotFound("action")),
    };
    match result {
        Ok(_) => Ok(crate::ui::see_other(&back)),
        Err(e) => {
            let (status, errors) = crate::ui::field_errors(e)?;
            match back
                .strip_prefix("/service/tickets/")
                .and_then(|t| t.parse().ok())
            {
                Some(ticket) => ticket_page(&s, &ctx, &p, ticket, status, errors, None).await,
                None => parts_page(&s, &ctx, &p, None, status, errors).await,
            }
        }
    }
}

#[derive(Template)]
#[template(path = "service/improvements.html")]
struct ImprovementsPage {
    t: Lang,
    shell: Shell,
    rows: Vec<ImprovementRow>,
    status: String,
    next: Option<String>,
    errors: FieldErrors,
    today: String,
}

async fn improvements_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    q: CursorQuery,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let filter = nonempty(q.status).unwrap_or_else(|| "open".into());
    let page = s
        .app
        .improvement_actions(
            ctx,
            ImprovementQuery {
                status: Some(filter.clone()).filter(|f| f != "all"),
                cursor: q.cursor,
                ..Default::default()
            },
        )
        .await?;
    render(
        status,
        &ImprovementsPage {
            t: p.t,
            shell: p.shell(ctx),
            rows: page.items,
            next: page
                .next_cursor
                .map(|c| format!("/service/improvements?status={filter}&cursor={c}")),
            status: filter,
            errors,
            today: medcrm_app::customers::today().to_string(),
        },
    )
}

pub async fn improvements(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<CursorQuery>,
) -> Result<Response, UiError> {
    improvements_page(&s, &ctx, &p, q, StatusCode::OK, FieldErrors::new()).await
}

pub async fn close_improvement(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    f: FormData,
) -> Result<Response, UiError> {
    let result = s
        .app
        .close_improvement(&ctx, id, &f.get("resolution"))
        .await;
    crate::ui::after_post(
        result,
        |_| "/service/improvements".to_owned(),
        |status, errors| improvements_page(&s, &ctx, &p, CursorQuery::default(), status, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "service/report.html")]
struct ReportPage {
    t: Lang,
    v: TicketRow,
    ticket: TicketRecord,
    record: Option<medcrm_app::service::records::ServiceRecordRow>,
    confirmation: Option<(String, String, String, String)>,
    parts: Vec<PartRow>,
    arrived: String,
    completed: String,
}

/// SVC-4: the printable service report (服务报告).
pub async fn report(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let r = s.app.service_report(&ctx, id).await?;
    let when = |kind: &str| {
        r.view
            .events
            .iter()
            .rev()
            .find(|e| e.kind == kind)
            .map(|e| local_time(e.at_ms))
            .unwrap_or_default()
    };
    let page = ReportPage {
        t: p.t,
        v: TicketRow::of(&r.view.ticket, now_ms()),
        arrived: when("arrived"),
        completed: when("completed"),
        record: r.record.clone(),
        confirmation: r.confirmation.clone().map(|c| {
            (
                c.name,
                local_time(c.confirmed_at_ms),
                c.method,
                c.code.unwrap_or_default(),
            )
        }),
        parts: part_rows(&r.parts),
        ticket: r.view.ticket.clone(),
    };
    render(StatusCode::OK, &page)
}

/// The customer's signature for the ticket page and the report.
pub async fn signature(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    Ok(png(s.app.signature_image(&ctx, id).await?))
}
