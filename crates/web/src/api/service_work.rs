//! SVC-4/5/6: the work on site (service record, customer confirmation, completion), part
//! requests with the warehouse queue, the follow-up survey and improvement actions.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use medcrm_app::service::followup::{
    FollowUpOutcome, ImprovementQuery, ImprovementRow, SurveyInput, SurveyRow,
};
use medcrm_app::service::parts::{PartRequestInput, PartRequestRow};
use medcrm_app::service::records::{
    ConfirmationInput, ConfirmationRow, RecordInput, ServiceRecordRow,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::service::{Step, Ticket, TicketReason};
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/tickets/{id}/record",
            get(get_record).put(put_record),
        )
        .route(
            "/api/v1/tickets/{id}/confirmation",
            get(get_confirmation).put(put_confirmation),
        )
        .route("/api/v1/tickets/{id}/signature", get(signature))
        .route("/api/v1/tickets/{id}/complete", post(complete))
        .route(
            "/api/v1/tickets/{id}/part-requests",
            get(ticket_parts).post(request_part),
        )
        .route("/api/v1/part-requests", get(part_queue))
        .route("/api/v1/part-requests/{id}/fulfil", post(fulfil_part))
        .route("/api/v1/part-requests/{id}/cancel", post(cancel_part))
        .route(
            "/api/v1/tickets/{id}/follow-up",
            get(get_survey).post(follow_up),
        )
        .route("/api/v1/improvement-actions", get(improvements))
        .route(
            "/api/v1/improvement-actions/{id}/close",
            post(close_improvement),
        )
}

/// SVC-4: what the engineer found and did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceRecord {
    pub ticket_id: i64,
    pub engineer_id: i64,
    pub engineer_name: String,
    pub phenomenon: String,
    pub diagnosis: String,
    pub repair_method: String,
    pub parts_replaced: String,
    pub minutes_spent: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ServiceRecordRow> for ServiceRecord {
    fn from(r: ServiceRecordRow) -> Self {
        ServiceRecord {
            ticket_id: r.ticket_id,
            engineer_id: r.engineer_id,
            engineer_name: r.engineer_name,
            phenomenon: r.phenomenon,
            diagnosis: r.diagnosis,
            repair_method: r.repair_method,
            parts_replaced: r.parts_replaced,
            minutes_spent: r.minutes_spent,
            created_at: ts(r.created_at_ms),
            updated_at: ts(r.updated_at_ms),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// 故障现象.
    pub phenomenon: String,
    /// 故障诊断.
    pub diagnosis: String,
    /// 维修方法.
    pub repair_method: String,
    /// 更换部件, free text.
    #[serde(default)]
    pub parts_replaced: String,
    /// 0–100000.
    pub minutes_spent: i64,
}

fn not_found_none<T>(v: Option<T>, what: &'static str) -> Result<T, ApiError> {
    v.ok_or_else(|| ApiError::from(medcrm_app::Error::NotFound(what)))
}

/// SVC-4: the ticket's service record (404 before one is written).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/record", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ServiceRecord), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_record(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ServiceRecord>, ApiError> {
    let r = s.app.service_record(&ctx, id).await?;
    Ok(Json(not_found_none(r, "service record")?.into()))
}

/// SVC-4: writes (or corrects) the service record; the assigned engineer or a service
/// manager, while the ticket is on site.
#[utoipa::path(put, path = "/api/v1/tickets/{id}/record", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RecordBody,
    responses((status = 200, body = ServiceRecord), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_record(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RecordBody>,
) -> Result<Json<ServiceRecord>, ApiError> {
    let input = RecordInput {
        phenomenon: b.phenomenon,
        diagnosis: b.diagnosis,
        repair_method: b.repair_method,
        parts_replaced: b.parts_replaced,
        minutes_spent: b.minutes_spent,
    };
    Ok(Json(
        s.app.save_service_record(&ctx, id, input).await?.into(),
    ))
}

/// SVC-4: the customer's confirmation of the result.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Confirmation {
    pub ticket_id: i64,
    pub name: String,
    pub confirmed_at: String,
    /// signature / code.
    pub method: String,
    pub code: Option<String>,
    /// Where the signature image is served (a signature only).
    pub signature_url: Option<String>,
    pub recorded_by: i64,
}

impl From<ConfirmationRow> for Confirmation {
    fn from(c: ConfirmationRow) -> Self {
        Confirmation {
            signature_url: (c.method == "signature")
                .then(|| format!("/api/v1/tickets/{}/signature", c.ticket_id)),
            ticket_id: c.ticket_id,
            name: c.name,
            confirmed_at: ts(c.confirmed_at_ms),
            method: c.method,
            code: c.code,
            recorded_by: c.recorded_by,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmationBody {
    /// Who confirmed for the customer.
    pub name: String,
    /// When (default now): RFC 3339 or YYYY-MM-DDTHH:MM Beijing time.
    pub confirmed_at: Option<String>,
    /// The signature drawn on the screen: `data:image/png;base64,…` (PNG, at most 512 KiB).
    pub signature: Option<String>,
    /// Or a confirmation code the customer gave (4–40 characters).
    pub code: Option<String>,
}

/// SVC-4: the customer's confirmation (404 before there is one).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/confirmation", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Confirmation), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_confirmation(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Confirmation>, ApiError> {
    let c = s.app.ticket_confirmation(&ctx, id).await?;
    Ok(Json(not_found_none(c, "confirmation")?.into()))
}

/// SVC-4: records the customer's confirmation: a name, a time, and a signature (PNG data
/// URL) or a confirmation code.
#[utoipa::path(put, path = "/api/v1/tickets/{id}/confirmation", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ConfirmationBody,
    responses((status = 200, body = Confirmation), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_confirmation(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ConfirmationBody>,
) -> Result<Json<Confirmation>, ApiError> {
    let input = ConfirmationInput {
        name: b.name,
        confirmed_at: b.confirmed_at,
        signature: b.signature,
        code: b.code,
    };
    Ok(Json(s.app.confirm_ticket(&ctx, id, input).await?.into()))
}

/// The signature image as stored, never cached by shared caches.
pub fn png(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response()
}

/// SVC-4: the customer's signature (PNG).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/signature", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/png", description = "The signature."),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn signature(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    Ok(png(s.app.signature_image(&ctx, id).await?))
}

/// SVC-4: completes the work; 422 `record_missing` / `confirmation_missing` without the
/// service record or the customer's confirmation. The follow-up clock starts.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/complete", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Step,
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Step>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(
        s.app
            .complete_ticket(&ctx, id, b.at.as_deref(), &b.note)
            .await?
            .into(),
    ))
}

/// SVC-5: a part asked of the warehouse, with its own 24 h clock.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PartRequest {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_number: String,
    pub institution_name: String,
    pub part_code: String,
    pub part_name: String,
    pub quantity: i64,
    pub note: String,
    /// requested, fulfilled, cancelled.
    pub status: String,
    pub requested_by: i64,
    pub requested_by_name: String,
    pub requested_at: String,
    pub closed_by: Option<i64>,
    pub closed_at: Option<String>,
    /// When the warehouse must have provided it.
    pub due_at: Option<String>,
    /// The request's clock: running, met, breached, cancelled.
    pub clock_state: Option<String>,
    /// PRT-3: the catalog part asked for.
    pub part_id: Option<i64>,
    /// PRT-3: the ledger row of the issue that fulfilled it.
    pub issue_movement_id: Option<i64>,
    /// PRT-3: units returned since the issue.
    pub returned_qty: i64,
}

impl From<PartRequestRow> for PartRequest {
    fn from(r: PartRequestRow) -> Self {
        PartRequest {
            id: r.id,
            ticket_id: r.ticket_id,
            ticket_number: r.ticket_number,
            institution_name: r.institution_name,
            part_code: r.part_code,
            part_name: r.part_name,
            quantity: r.quantity,
            note: r.note,
            status: r.status,
            requested_by: r.requested_by,
            requested_by_name: r.requested_by_name,
            requested_at: ts(r.requested_at_ms),
            closed_by: r.closed_by,
            closed_at: r.closed_at_ms.map(ts),
            due_at: r.due_at_ms.map(ts),
            clock_state: r.clock_state,
            part_id: r.part_id,
            issue_movement_id: r.issue_movement_id,
            returned_qty: r.returned_qty,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartRequestBody {
    /// PRT-3: the catalog part; its code and name then replace `part_code`/`part_name`.
    #[serde(default)]
    pub part_id: Option<i64>,
    #[serde(default)]
    pub part_code: String,
    /// Required unless `part_id` is given.
    #[serde(default)]
    pub part_name: String,
    /// 1–10000.
    pub quantity: i64,
    #[serde(default)]
    pub note: String,
}

/// SVC-5: a ticket's part requests, oldest first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/part-requests", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PartRequest>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ticket_parts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<PartRequest>>, ApiError> {
    let rows = s.app.part_requests(&ctx, id).await?;
    Ok(Json(rows.into_iter().map(PartRequest::from).collect()))
}

/// SVC-5: the engineer asks the warehouse for a part (ticket dispatched or on site); the
/// request's 24 h clock starts.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/part-requests", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PartRequestBody,
    responses((status = 201, body = PartRequest), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_part(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PartRequestBody>,
) -> Result<(StatusCode, Json<PartRequest>), ApiError> {
    let input = PartRequestInput {
        part_id: b.part_id,
        part_code: b.part_code,
        part_name: b.part_name,
        quantity: b.quantity,
        note: b.note,
    };
    let r = s.app.request_part(&ctx, id, input).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// SVC-5: the warehouse queue: open part requests, oldest first, with their due times.
#[utoipa::path(get, path = "/api/v1/part-requests", tag = "service", security(("bearer" = [])),
    params(QueueQuery),
    responses((status = 200, body = Page<PartRequest>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn part_queue(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<Page<PartRequest>>, ApiError> {
    let page = s
        .app
        .part_queue(&ctx, cursor(q.cursor.as_deref())?, q.limit)
        .await?;
    Ok(Json(Page::from(page, PartRequest::from)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    #[serde(default)]
    pub note: String,
}

/// SVC-5: the warehouse has provided the part; its clock stops. 409 when it was already
/// fulfilled or cancelled.
#[utoipa::path(post, path = "/api/v1/part-requests/{id}/fulfil", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Note,
    responses((status = 200, body = PartRequest), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn fulfil_part(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Note>,
) -> Result<Json<PartRequest>, ApiError> {
    Ok(Json(
        s.app.fulfil_part_request(&ctx, id, &b.note).await?.into(),
    ))
}

/// SVC-5: the part is no longer needed (the assigned engineer or a service manager); its
/// clock is cancelled.
#[utoipa::path(post, path = "/api/v1/part-requests/{id}/cancel", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = TicketReason,
    responses((status = 200, body = PartRequest), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel_part(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TicketReason>,
) -> Result<Json<PartRequest>, ApiError> {
    Ok(Json(
        s.app.cancel_part_request(&ctx, id, &b.reason).await?.into(),
    ))
}

/// SVC-6: an improvement action opened by an unsatisfied follow-up.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImprovementAction {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_number: String,
    pub institution_name: String,
    pub description: String,
    pub owner_id: i64,
    pub owner_name: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    /// open, done.
    pub status: String,
    pub resolution: String,
    pub created_at: String,
    pub closed_at: Option<String>,
}

impl From<ImprovementRow> for ImprovementAction {
    fn from(a: ImprovementRow) -> Self {
        ImprovementAction {
            id: a.id,
            ticket_id: a.ticket_id,
            ticket_number: a.ticket_number,
            institution_name: a.institution_name,
            description: a.description,
            owner_id: a.owner_id,
            owner_name: a.owner_name,
            due_on: a.due_on,
            status: a.status,
            resolution: a.resolution,
            created_at: ts(a.created_at_ms),
            closed_at: a.closed_at_ms.map(ts),
        }
    }
}

/// SVC-6: the follow-up answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Survey {
    pub ticket_id: i64,
    pub respondent: String,
    pub attitude: i64,
    pub quality: i64,
    pub speed: i64,
    /// False when any score is 2 or less.
    pub satisfied: bool,
    pub comment: String,
    pub by_user: i64,
    pub by_name: String,
    pub at: String,
    /// The improvement action it opened (unsatisfied answers; on the follow-up's reply).
    pub improvement: Option<ImprovementAction>,
}

impl From<SurveyRow> for Survey {
    fn from(v: SurveyRow) -> Self {
        Survey {
            ticket_id: v.ticket_id,
            respondent: v.respondent,
            attitude: v.attitude,
            quality: v.quality,
            speed: v.speed,
            satisfied: v.satisfied,
            comment: v.comment,
            by_user: v.by_user,
            by_name: v.by_name,
            at: ts(v.at_ms),
            improvement: None,
        }
    }
}

impl From<FollowUpOutcome> for Survey {
    fn from(o: FollowUpOutcome) -> Self {
        Survey {
            improvement: o.improvement.map(ImprovementAction::from),
            ..Survey::from(o.survey)
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyBody {
    /// Who answered for the customer.
    pub respondent: String,
    /// 1–5.
    pub attitude: i64,
    /// 1–5.
    pub quality: i64,
    /// 1–5.
    pub speed: i64,
    #[serde(default)]
    pub comment: String,
    /// When the customer was asked (default now).
    pub at: Option<String>,
    /// Unsatisfied only: what is to be improved (default: the comment).
    pub improvement: Option<String>,
    /// Unsatisfied only: the action's owner, a service manager of the ticket's region
    /// (default: the one nearest to the region).
    pub owner_id: Option<i64>,
    /// Unsatisfied only: YYYY-MM-DD (default: 5 working days from today).
    pub due_on: Option<String>,
}

/// SVC-6: the follow-up survey (404 before there is one).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/follow-up", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Survey), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_survey(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Survey>, ApiError> {
    let v = s.app.ticket_survey(&ctx, id).await?;
    Ok(Json(not_found_none(v, "survey")?.into()))
}

/// SVC-6: the follow-up of a completed ticket; closes it and stops the follow-up clock. Any
/// score of 2 or less opens an improvement action.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/follow-up", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = SurveyBody,
    responses((status = 201, body = Survey), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn follow_up(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SurveyBody>,
) -> Result<(StatusCode, Json<Survey>), ApiError> {
    let input = SurveyInput {
        respondent: b.respondent,
        attitude: b.attitude,
        quality: b.quality,
        speed: b.speed,
        comment: b.comment,
        at: b.at,
        improvement: b.improvement,
        owner_id: b.owner_id,
        due_on: b.due_on,
    };
    let out = s.app.follow_up(&ctx, id, input).await?;
    Ok((StatusCode::CREATED, Json(out.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImprovementListQuery {
    /// open, done.
    pub status: Option<String>,
    /// true: only the caller's own.
    pub mine: Option<bool>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// SVC-6: improvement actions in the caller's regions, newest first.
#[utoipa::path(get, path = "/api/v1/improvement-actions", tag = "service", security(("bearer" = [])),
    params(ImprovementListQuery),
    responses((status = 200, body = Page<ImprovementAction>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn improvements(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ImprovementListQuery>,
) -> Result<Json<Page<ImprovementAction>>, ApiError> {
    let query = ImprovementQuery {
        status: q.status,
        mine: q.mine.unwrap_or(false),
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    let page = s.app.improvement_actions(&ctx, query).await?;
    Ok(Json(Page::from(page, ImprovementAction::from)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImprovementResolution {
    /// What was done (required).
    pub resolution: String,
}

/// SVC-6: closes an improvement action with its resolution; 409 when already closed.
#[utoipa::path(post, path = "/api/v1/improvement-actions/{id}/close", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ImprovementResolution,
    responses((status = 200, body = ImprovementAction), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn close_improvement(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ImprovementResolution>,
) -> Result<Json<ImprovementAction>, ApiError> {
    Ok(Json(
        s.app
            .close_improvement(&ctx, id, &b.resolution)
            .await?
            .into(),
    ))
}
