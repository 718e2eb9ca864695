//! SVC-1/2/3/7/8: service tickets, their SLA clocks and event log, dispatch, the engineer's
//! own list and the hotline's quick lookup.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use medcrm_app::service::hotline::HotlineMatch;
use medcrm_app::service::{
    AssignmentRecord, ClockRecord, EventRecord, TicketInput, TicketQuery, TicketRecord, TicketView,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::deliveries::Device;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tickets", get(list).post(create))
        .route("/api/v1/tickets/{id}", get(get_ticket))
        .route("/api/v1/tickets/{id}/claim", post(claim))
        .route("/api/v1/tickets/{id}/contact", post(contact))
        .route(
            "/api/v1/tickets/{id}/resolve-by-phone",
            post(resolve_by_phone),
        )
        .route("/api/v1/tickets/{id}/dispatch", post(dispatch))
        .route("/api/v1/tickets/{id}/arrive", post(arrive))
        .route("/api/v1/tickets/{id}/pause", post(pause))
        .route("/api/v1/tickets/{id}/resume", post(resume))
        .route("/api/v1/tickets/{id}/cancel", post(cancel))
        .route(
            "/api/v1/tickets/{id}/events/{event_id}/time",
            post(correct_event),
        )
        .route("/api/v1/me/tickets", get(mine))
        .route("/api/v1/hotline/lookup", get(hotline))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Ticket {
    pub id: i64,
    /// SR-<yyyymmdd>-<id>.
    pub number: String,
    /// hotline, web, email, engineer, plan.
    pub channel: String,
    /// installation, commissioning, repair, maintenance, consultation.
    pub kind: String,
    /// urgent, high, normal, low.
    pub priority: String,
    /// new, contacted, dispatched, on_site, completed, closed, cancelled.
    pub status: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub caller_name: String,
    pub caller_phone: String,
    pub device_id: Option<i64>,
    pub device_serial: Option<String>,
    pub product_name: Option<String>,
    pub contract_id: Option<i64>,
    pub region_id: i64,
    pub fault: String,
    pub requested_at: String,
    pub handler_id: Option<i64>,
    pub handler_name: Option<String>,
    pub engineer_id: Option<i64>,
    pub engineer_name: Option<String>,
    /// The phone guidance given, or the closing summary.
    pub resolution: String,
    pub pm_plan_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    /// The earliest due time among the open clocks.
    pub next_due_at: Option<String>,
    /// Only on a single ticket.
    pub clocks: Option<Vec<Clock>>,
    pub events: Option<Vec<Event>>,
    pub assignments: Option<Vec<Assignment>>,
}

impl From<TicketRecord> for Ticket {
    fn from(t: TicketRecord) -> Self {
        Ticket {
            id: t.id,
            number: t.number,
            channel: t.channel,
            kind: t.kind,
            priority: t.priority,
            status: t.status,
            institution_id: t.institution_id,
            institution_name: t.institution_name,
            department_id: t.department_id,
            department_name: t.department_name,
            contact_id: t.contact_id,
            contact_name: t.contact_name,
            caller_name: t.caller_name,
            caller_phone: t.caller_phone,
            device_id: t.device_id,
            device_serial: t.device_serial,
            product_name: t.product_name,
            contract_id: t.contract_id,
            region_id: t.region_id,
            fault: t.fault,
            requested_at: ts(t.requested_at_ms),
            handler_id: t.handler_id,
            handler_name: t.handler_name,
            engineer_id: t.engineer_id,
            engineer_name: t.engineer_name,
            resolution: t.resolution,
            pm_plan_id: t.pm_plan_id,
            created_at: ts(t.created_at_ms),
            updated_at: ts(t.updated_at_ms),
            next_due_at: t.next_due_at_ms.map(ts),
            clocks: None,
            events: None,
            assignments: None,
        }
    }
}

impl From<TicketView> for Ticket {
    fn from(v: TicketView) -> Self {
        Ticket {
            clocks: Some(v.clocks.into_iter().map(Clock::from).collect()),
            events: Some(v.events.into_iter().map(Event::from).collect()),
            assignments: Some(v.assignments.into_iter().map(Assignment::from).collect()),
            ..Ticket::from(v.ticket)
        }
    }
}

/// SVC-7: one SLA milestone of a ticket.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Clock {
    /// first_contact, on_site, parts, follow_up.
    pub milestone: String,
    /// The part request a parts clock runs for (0 otherwise).
    pub part_request_id: i64,
    pub started_at: String,
    /// When the service manager is warned (75 % of the target used).
    pub warn_at: String,
    pub due_at: String,
    pub stopped_at: Option<String>,
    /// running, paused, met, breached, cancelled.
    pub state: String,
    pub warned_at: Option<String>,
    pub escalated_at: Option<String>,
}

impl From<ClockRecord> for Clock {
    fn from(c: ClockRecord) -> Self {
        Clock {
            milestone: c.milestone,
            part_request_id: c.part_request_id,
            started_at: ts(c.started_at_ms),
            warn_at: ts(c.warn_at_ms),
            due_at: ts(c.due_at_ms),
            stopped_at: c.stopped_at_ms.map(ts),
            state: c.state,
            warned_at: c.warned_at_ms.map(ts),
            escalated_at: c.escalated_at_ms.map(ts),
        }
    }
}

/// SVC-7: an entry of the ticket's event log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    /// When it happened (correctable).
    pub at: String,
    pub ref_id: Option<i64>,
    pub note: String,
    pub by_user: i64,
    pub by_name: String,
    pub recorded_at: String,
}

impl From<EventRecord> for Event {
    fn from(e: EventRecord) -> Self {
        Event {
            id: e.id,
            kind: e.kind,
            at: ts(e.at_ms),
            ref_id: e.ref_id,
            note: e.note,
            by_user: e.by_user,
            by_name: e.by_name,
            recorded_at: ts(e.recorded_at_ms),
        }
    }
}

/// SVC-8: who was sent, by whom.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Assignment {
    pub engineer_id: i64,
    pub engineer_name: String,
    pub assigned_by: i64,
    pub assigned_by_name: String,
    pub note: String,
    pub at: String,
}

impl From<AssignmentRecord> for Assignment {
    fn from(a: AssignmentRecord) -> Self {
        Assignment {
            engineer_id: a.engineer_id,
            engineer_name: a.engineer_name,
            assigned_by: a.assigned_by,
            assigned_by_name: a.assigned_by_name,
            note: a.note,
            at: ts(a.at_ms),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketListQuery {
    pub status: Option<String>,
    /// true: every status still being worked on.
    pub open: Option<bool>,
    pub engineer_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub device_id: Option<i64>,
    pub kind: Option<String>,
    pub priority: Option<String>,
    /// Part of the number, the hospital's name or pinyin initials, the serial, the caller.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// SVC-1: tickets in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "service", security(("bearer" = [])), params(TicketListQuery),
    responses((status = 200, body = Page<Ticket>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<TicketListQuery>,
) -> Result<Json<Page<Ticket>>, ApiError> {
    let query = TicketQuery {
        status: q.status,
        open: q.open.unwrap_or(false),
        engineer_id: q.engineer_id,
        institution_id: q.institution_id,
        device_id: q.device_id,
        kind: q.kind,
        priority: q.priority,
        q: q.q,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    Ok(Json(Page::from(
        s.app.tickets(&ctx, query).await?,
        Ticket::from,
    )))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// hotline, web, email, engineer.
    pub channel: String,
    /// installation, commissioning, repair, maintenance, consultation.
    pub kind: String,
    /// urgent, high, normal, low.
    pub priority: String,
    pub institution_id: i64,
    pub department_id: Option<i64>,
    pub contact_id: Option<i64>,
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub caller_phone: String,
    /// The installed device (found by serial or UDI scan).
    pub device_id: Option<i64>,
    pub fault: String,
    /// When the customer asked (default now): RFC 3339 or YYYY-MM-DDTHH:MM Beijing time,
    /// at most 30 days back.
    pub requested_at: Option<String>,
}

/// SVC-1: a new ticket; its first-contact clock (1 h) starts at the request.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "service", security(("bearer" = [])), request_body = NewTicket,
    responses((status = 201, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewTicket>,
) -> Result<(StatusCode, Json<Ticket>), ApiError> {
    let input = TicketInput {
        channel: b.channel,
        kind: b.kind,
        priority: b.priority,
        institution_id: b.institution_id,
        department_id: b.department_id,
        contact_id: b.contact_id,
        caller_name: b.caller_name,
        caller_phone: b.caller_phone,
        device_id: b.device_id,
        fault: b.fault,
        requested_at: b.requested_at,
    };
    let t = s.app.create_ticket(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// SVC-7: a ticket with its clocks, event log and assignments.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_ticket(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(s.app.ticket(&ctx, id).await?.into()))
}

/// SVC-1: take the ticket as its handler; 409 when someone else already has.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/claim", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn claim(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(s.app.claim_ticket(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// When it happened (default now; not in the future, not before the request).
    pub at: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// SVC-2: the first contact with the customer; stops the 1 h clock.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/contact", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Step,
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn contact(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Step>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(
        s.app
            .contact_ticket(&ctx, id, b.at.as_deref(), &b.note)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneResolution {
    /// The guidance that solved the problem.
    pub guidance: String,
}

/// SVC-2: a simple problem solved by phone guidance; the ticket closes.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/resolve-by-phone", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PhoneResolution,
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve_by_phone(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PhoneResolution>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(
        s.app.resolve_by_phone(&ctx, id, &b.guidance).await?.into(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dispatch {
    pub engineer_id: i64,
    /// When the engineer was sent (default now; not in the future, not before the request).
    pub at: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// SVC-3/8: send an engineer (or another one); the on-site clock runs from the request.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/dispatch", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Dispatch,
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dispatch(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Dispatch>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(
        s.app
            .dispatch_ticket(&ctx, id, b.engineer_id, b.at.as_deref(), &b.note)
            .await?
            .into(),
    ))
}

/// SVC-3: the assigned engineer is on site; stops the on-site clock.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/arrive", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Step,
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn arrive(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Step>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(s.app.arrive(&ctx, id, b.at.as_deref()).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketReason {
    pub reason: String,
}

/// SVC-7: the customer postponed the visit; the on-site clock waits until resumed.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/pause", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = TicketReason,
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pause(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TicketReason>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(s.app.pause_ticket(&ctx, id, &b.reason).await?.into()))
}

/// SVC-7: the on-site clock runs again.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/resume", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resume(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(s.app.resume_ticket(&ctx, id).await?.into()))
}

/// Cancel a ticket opened in error or withdrawn (before anyone is on site).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/cancel", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = TicketReason,
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TicketReason>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(s.app.cancel_ticket(&ctx, id, &b.reason).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTime {
    /// RFC 3339 or YYYY-MM-DDTHH:MM Beijing time.
    pub at: String,
    pub reason: String,
}

/// SVC-7: correct when an event happened; the clocks are recomputed (service manager).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/events/{event_id}/time", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path), ("event_id" = i64, Path)), request_body = EventTime,
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn correct_event(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath((id, event_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<EventTime>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(
        s.app
            .correct_event(&ctx, id, event_id, &b.at, &b.reason)
            .await?
            .into(),
    ))
}

/// SVC-8: the engineer's open tickets, the most urgent clock first.
#[utoipa::path(get, path = "/api/v1/me/tickets", tag = "service", security(("bearer" = [])),
    responses((status = 200, body = Vec<Ticket>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn mine(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<Ticket>>, ApiError> {
    let items = s.app.my_tickets(&ctx).await?;
    Ok(Json(items.into_iter().map(Ticket::from).collect()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotlineQuery {
    /// A few digits of a phone number, part of the hospital's name or pinyin initials, or
    /// of a serial.
    pub q: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HotlineContact {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub phone: String,
}

/// SVC-1: a customer the hotline search found, with what a call needs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HotlineCustomer {
    pub institution_id: i64,
    pub institution_name: String,
    pub phone: String,
    pub region_id: i64,
    pub contacts: Vec<HotlineContact>,
    pub devices: Vec<Device>,
    pub open_tickets: Vec<Ticket>,
}

impl From<HotlineMatch> for HotlineCustomer {
    fn from(m: HotlineMatch) -> Self {
        HotlineCustomer {
            institution_id: m.institution_id,
            institution_name: m.institution_name,
            phone: m.phone,
            region_id: m.region_id,
            contacts: m
                .contacts
                .into_iter()
                .map(|c| HotlineContact {
                    id: c.id,
                    name: c.name,
                    title: c.title,
                    phone: c.phone,
                })
                .collect(),
            devices: m.devices.into_iter().map(Device::from).collect(),
            open_tickets: m.open_tickets.into_iter().map(Ticket::from).collect(),
        }
    }
}

/// SVC-1: hotline quick entry: customers by phone digits, name, pinyin initials or serial.
#[utoipa::path(get, path = "/api/v1/hotline/lookup", tag = "service", security(("bearer" = [])), params(HotlineQuery),
    responses((status = 200, body = Vec<HotlineCustomer>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn hotline(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<HotlineQuery>,
) -> Result<Json<Vec<HotlineCustomer>>, ApiError> {
    let found = s.app.hotline_lookup(&ctx, &q.q).await?;
    Ok(Json(found.into_iter().map(HotlineCustomer::from).collect()))
}
