//! SVC-8/9/10: engineer certifications and dispatch suggestions, preventive maintenance
//! plans and their due visits, engineer evaluation and the review of service records.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use medcrm_app::imports::Format;
use medcrm_app::service::dispatch::{
    CertificationInput, CertificationRecord, DispatchView, Suggestion,
};
use medcrm_app::service::evaluation::{
    Compliance, EngineerScore, Evaluation, RecordRow, evaluation_period, evaluation_table,
};
use medcrm_app::service::maintenance::{DueItem, PlanChange, PlanInput, PlanRecord};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::imports::send_table;
use crate::api::service::{Assignment, Ticket};
use crate::api::ts;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/service/certifications",
            get(certifications).put(set_certification),
        )
        .route(
            "/api/v1/service/certifications/{user_id}/{product_line}",
            delete(remove_certification),
        )
        .route(
            "/api/v1/tickets/{id}/dispatch-suggestions",
            get(dispatch_suggestions),
        )
        .route("/api/v1/maintenance/plans", get(plans).post(create_plan))
        .route("/api/v1/maintenance/plans/{id}", patch(update_plan))
        .route("/api/v1/maintenance/plans/{id}/visits", post(record_visit))
        .route("/api/v1/maintenance/due", get(due))
        .route("/api/v1/maintenance/generate", post(generate))
        .route("/api/v1/service/engineers/evaluation", get(evaluation))
        .route(
            "/api/v1/service/engineers/evaluation.xlsx",
            get(evaluation_xlsx),
        )
        .route("/api/v1/service/records/unreviewed", get(unreviewed))
        .route("/api/v1/service/records/{id}/review", post(review))
}

// ---- SVC-8 ----

/// SVC-8: an engineer's certification for a product line.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Certification {
    pub user_id: i64,
    pub user_name: String,
    /// large_equipment, consumables, ivd, service, other.
    pub product_line: String,
    /// The last valid day, YYYY-MM-DD.
    pub valid_until: String,
}

impl From<CertificationRecord> for Certification {
    fn from(c: CertificationRecord) -> Self {
        Certification {
            user_id: c.user_id,
            user_name: c.user_name,
            product_line: c.product_line,
            valid_until: c.valid_until,
        }
    }
}

/// SVC-8: every engineer's certifications (service manager, admin).
#[utoipa::path(get, path = "/api/v1/service/certifications", tag = "service", security(("bearer" = [])),
    responses((status = 200, body = Vec<Certification>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn certifications(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<Certification>>, ApiError> {
    let list = s.app.certifications(&ctx).await?;
    Ok(Json(list.into_iter().map(Certification::from).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCertification {
    /// An active service engineer.
    pub user_id: i64,
    pub product_line: String,
    /// YYYY-MM-DD.
    pub valid_until: String,
}

/// SVC-8: certify an engineer for a product line until a day (or renew it).
#[utoipa::path(put, path = "/api/v1/service/certifications", tag = "service", security(("bearer" = [])),
    request_body = SetCertification,
    responses((status = 200, body = Certification), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_certification(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<SetCertification>,
) -> Result<Json<Certification>, ApiError> {
    let input = CertificationInput {
        user_id: b.user_id,
        product_line: b.product_line,
        valid_until: b.valid_until,
    };
    Ok(Json(s.app.set_certification(&ctx, input).await?.into()))
}

/// SVC-8: withdraw a certification.
#[utoipa::path(delete, path = "/api/v1/service/certifications/{user_id}/{product_line}", tag = "service",
    security(("bearer" = [])), params(("user_id" = i64, Path), ("product_line" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn remove_certification(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath((user_id, line)): ApiPath<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    s.app.remove_certification(&ctx, user_id, &line).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// SVC-8: an engineer dispatch may send.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DispatchSuggestion {
    pub user_id: i64,
    pub name: String,
    /// Works in the ticket's region, above or below it.
    pub in_region: bool,
    /// Holds a valid certification for the device's product line today.
    pub certified: bool,
    /// Open tickets assigned now.
    pub open_tickets: i64,
}

impl From<Suggestion> for DispatchSuggestion {
    fn from(s: Suggestion) -> Self {
        DispatchSuggestion {
            user_id: s.user_id,
            name: s.name,
            in_region: s.in_region,
            certified: s.certified,
            open_tickets: s.open_tickets,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DispatchSuggestions {
    pub ticket: Ticket,
    /// Certified first, then in region, then the least loaded.
    pub suggestions: Vec<DispatchSuggestion>,
    pub assignments: Vec<Assignment>,
}

impl From<DispatchView> for DispatchSuggestions {
    fn from(v: DispatchView) -> Self {
        DispatchSuggestions {
            ticket: v.ticket.into(),
            suggestions: v.suggestions.into_iter().map(Into::into).collect(),
            assignments: v.assignments.into_iter().map(Into::into).collect(),
        }
    }
}

/// SVC-8: the engineers to send to a ticket, ranked (dispatchers only).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/dispatch-suggestions", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = DispatchSuggestions), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dispatch_suggestions(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DispatchSuggestions>, ApiError> {
    Ok(Json(s.app.dispatch_suggestions(&ctx, id).await?.into()))
}

// ---- SVC-9 ----

/// SVC-9: a preventive maintenance plan for one device or every device of a product.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MaintenancePlan {
    pub id: i64,
    pub device_id: Option<i64>,
    pub device_serial: Option<String>,
    pub institution_name: Option<String>,
    pub product_id: i64,
    pub product_name: String,
    /// Covers every installed device of the product.
    pub per_product: bool,
    pub interval_days: i64,
    /// Tickets are raised this many days before a visit is due.
    pub lead_days: i64,
    /// One check per line.
    pub checklist: String,
    pub active: bool,
    pub created_at: String,
}

impl From<PlanRecord> for MaintenancePlan {
    fn from(p: PlanRecord) -> Self {
        MaintenancePlan {
            id: p.id,
            device_id: p.device_id,
            device_serial: p.device_serial,
            institution_name: p.institution_name,
            product_id: p.product_id,
            product_name: p.product_name,
            per_product: p.per_product,
            interval_days: p.interval_days,
            lead_days: p.lead_days,
            checklist: p.checklist,
            active: p.active,
            created_at: ts(p.created_at_ms),
        }
    }
}

/// SVC-9: plans of the devices in scope, and product plans.
#[utoipa::path(get, path = "/api/v1/maintenance/plans", tag = "service", security(("bearer" = [])),
    responses((status = 200, body = Vec<MaintenancePlan>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn plans(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<MaintenancePlan>>, ApiError> {
    let list = s.app.maintenance_plans(&ctx).await?;
    Ok(Json(list.into_iter().map(MaintenancePlan::from).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMaintenancePlan {
    /// Exactly one of device and product.
    pub device_id: Option<i64>,
    pub product_id: Option<i64>,
    /// 1–3660.
    pub interval_days: i64,
    /// 0–365, default 14.
    pub lead_days: Option<i64>,
    pub checklist: String,
}

/// SVC-9: a new plan.
#[utoipa::path(post, path = "/api/v1/maintenance/plans", tag = "service", security(("bearer" = [])),
    request_body = NewMaintenancePlan,
    responses((status = 201, body = MaintenancePlan), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_plan(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewMaintenancePlan>,
) -> Result<(StatusCode, Json<MaintenancePlan>), ApiError> {
    let input = PlanInput {
        device_id: b.device_id,
        product_id: b.product_id,
        interval_days: b.interval_days,
        lead_days: b.lead_days,
        checklist: b.checklist,
    };
    let plan = s.app.create_maintenance_plan(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(plan.into())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    pub interval_days: Option<i64>,
    pub lead_days: Option<i64>,
    pub checklist: Option<String>,
    /// false: deactivate (no more tickets).
    pub active: Option<bool>,
}

/// SVC-9: change or deactivate a plan.
#[utoipa::path(patch, path = "/api/v1/maintenance/plans/{id}", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PlanPatch,
    responses((status = 200, body = MaintenancePlan), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_plan(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PlanPatch>,
) -> Result<Json<MaintenancePlan>, ApiError> {
    let change = PlanChange {
        interval_days: b.interval_days,
        lead_days: b.lead_days,
        checklist: b.checklist,
        active: b.active,
    };
    Ok(Json(
        s.app
            .update_maintenance_plan(&ctx, id, change)
            .await?
            .into(),
    ))
}

/// SVC-9: where a plan stands on one device.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DueVisit {
    pub plan_id: i64,
    pub device_id: i64,
    pub device_serial: String,
    pub product_name: String,
    pub institution_id: i64,
    pub institution_name: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    /// due, ticketed, overdue (past due and no ticket done).
    pub status: String,
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<String>,
}

impl From<DueItem> for DueVisit {
    fn from(d: DueItem) -> Self {
        DueVisit {
            plan_id: d.plan_id,
            device_id: d.device_id,
            device_serial: d.device_serial,
            product_name: d.product_name,
            institution_id: d.institution_id,
            institution_name: d.institution_name,
            due_on: d.due_on,
            status: d.status.to_owned(),
            ticket_id: d.ticket_id,
            ticket_number: d.ticket_number,
        }
    }
}

/// SVC-9: every active plan on every device it covers in scope, the earliest due first.
#[utoipa::path(get, path = "/api/v1/maintenance/due", tag = "service", security(("bearer" = [])),
    responses((status = 200, body = Vec<DueVisit>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn due(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<DueVisit>>, ApiError> {
    let list = s.app.maintenance_due(&ctx).await?;
    Ok(Json(list.into_iter().map(DueVisit::from).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoneVisit {
    pub device_id: i64,
    /// YYYY-MM-DD, not in the future.
    pub done_on: String,
}

/// SVC-9: a visit done outside the system; the next falls due an interval later.
#[utoipa::path(post, path = "/api/v1/maintenance/plans/{id}/visits", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DoneVisit,
    responses((status = 201, body = DueVisit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_visit(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DoneVisit>,
) -> Result<(StatusCode, Json<DueVisit>), ApiError> {
    let item = s
        .app
        .record_maintenance_visit(&ctx, id, b.device_id, &b.done_on)
        .await?;
    Ok((StatusCode::CREATED, Json(item.into())))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Generated {
    /// The maintenance tickets raised now (none when every due visit already has one).
    pub ticket_ids: Vec<i64>,
}

/// SVC-9: raise now the tickets of the visits due within their lead time in scope.
#[utoipa::path(post, path = "/api/v1/maintenance/generate", tag = "service", security(("bearer" = [])),
    responses((status = 200, body = Generated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn generate(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Generated>, ApiError> {
    let ticket_ids = s.app.generate_maintenance_now(&ctx).await?;
    Ok(Json(Generated { ticket_ids }))
}

// ---- SVC-10 ----

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// YYYY-MM-DD; default the first day of this quarter.
    pub from: Option<String>,
    /// YYYY-MM-DD; default the last day of this quarter.
    pub to: Option<String>,
    /// Sheet headings: zh-CN (default) or en.
    pub lang: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EngineerCompliance {
    /// first_contact, on_site, parts, follow_up.
    pub milestone: String,
    pub met: i64,
    pub breached: i64,
    /// Met among met + breached, in basis points (10000 = 100 %).
    pub ratio_bp: Option<i64>,
}

impl From<Compliance> for EngineerCompliance {
    fn from(c: Compliance) -> Self {
        EngineerCompliance {
            milestone: c.milestone,
            met: c.met,
            breached: c.breached,
            ratio_bp: c.ratio_bp,
        }
    }
}

/// SVC-10: one engineer's figures.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EngineerEvaluation {
    pub user_id: i64,
    pub name: String,
    pub surveys: i64,
    /// Average 1–5 scores in hundredths (467 = 4.67).
    pub attitude: Option<i64>,
    pub quality: Option<i64>,
    pub speed: Option<i64>,
    /// Unsatisfied answers in basis points.
    pub unsatisfied_bp: Option<i64>,
    pub sla: Vec<EngineerCompliance>,
    /// All milestones together, in basis points.
    pub sla_bp: Option<i64>,
    pub completed: i64,
    pub records: i64,
    pub average_minutes: Option<i64>,
    pub reviewed: i64,
    /// Average review score in hundredths.
    pub review_score: Option<i64>,
}

impl From<EngineerScore> for EngineerEvaluation {
    fn from(e: EngineerScore) -> Self {
        EngineerEvaluation {
            user_id: e.user_id,
            name: e.name,
            surveys: e.surveys,
            attitude: e.attitude,
            quality: e.quality,
            speed: e.speed,
            unsatisfied_bp: e.unsatisfied_bp,
            sla: e.sla.into_iter().map(Into::into).collect(),
            sla_bp: e.sla_bp,
            completed: e.completed,
            records: e.records,
            average_minutes: e.average_minutes,
            reviewed: e.reviewed,
            review_score: e.review_score,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EngineersEvaluation {
    pub from: String,
    pub to: String,
    pub engineers: Vec<EngineerEvaluation>,
}

impl From<Evaluation> for EngineersEvaluation {
    fn from(e: Evaluation) -> Self {
        EngineersEvaluation {
            from: e.from.to_string(),
            to: e.to.to_string(),
            engineers: e.engineers.into_iter().map(Into::into).collect(),
        }
    }
}

/// SVC-10: engineers in scope over a period (default this quarter).
#[utoipa::path(get, path = "/api/v1/service/engineers/evaluation", tag = "service", security(("bearer" = [])),
    params(PeriodQuery),
    responses((status = 200, body = EngineersEvaluation), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn evaluation(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<EngineersEvaluation>, ApiError> {
    let (from, to) = evaluation_period(q.from.as_deref(), q.to.as_deref())?;
    Ok(Json(s.app.evaluate_engineers(&ctx, from, to).await?.into()))
}

/// SVC-10: the evaluation as an .xlsx sheet for the appraisal.
#[utoipa::path(get, path = "/api/v1/service/engineers/evaluation.xlsx", tag = "service", security(("bearer" = [])),
    params(PeriodQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The evaluation"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn evaluation_xlsx(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, ApiError> {
    let english = match q.lang.as_deref() {
        None | Some("" | "zh-CN" | "zh") => false,
        Some("en") => true,
        Some(_) => return Err(medcrm_app::Error::invalid("lang", "use zh-CN or en").into()),
    };
    let (from, to) = evaluation_period(q.from.as_deref(), q.to.as_deref())?;
    let e = s.app.evaluate_engineers(&ctx, from, to).await?;
    send_table(evaluation_table(&e, english), Format::Xlsx, "engineers").await
}

/// SVC-4/10: a service record and its review.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewedRecord {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_number: String,
    pub institution_name: String,
    pub engineer_id: i64,
    pub engineer_name: String,
    pub phenomenon: String,
    pub diagnosis: String,
    pub repair_method: String,
    pub parts_replaced: String,
    pub minutes_spent: i64,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<String>,
    /// 1–5.
    pub review_score: Option<i64>,
    pub review_note: String,
    pub created_at: String,
}

impl From<RecordRow> for ReviewedRecord {
    fn from(r: RecordRow) -> Self {
        ReviewedRecord {
            id: r.id,
            ticket_id: r.ticket_id,
            ticket_number: r.ticket_number,
            institution_name: r.institution_name,
            engineer_id: r.engineer_id,
            engineer_name: r.engineer_name,
            phenomenon: r.phenomenon,
            diagnosis: r.diagnosis,
            repair_method: r.repair_method,
            parts_replaced: r.parts_replaced,
            minutes_spent: r.minutes_spent,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at_ms.map(ts),
            review_score: r.review_score,
            review_note: r.review_note,
            created_at: ts(r.created_at_ms),
        }
    }
}

/// SVC-10: service records not reviewed yet in the manager's regions, oldest first.
#[utoipa::path(get, path = "/api/v1/service/records/unreviewed", tag = "service", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReviewedRecord>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn unreviewed(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<ReviewedRecord>>, ApiError> {
    let list = s.app.records_to_review(&ctx).await?;
    Ok(Json(list.into_iter().map(ReviewedRecord::from).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordReview {
    /// 1–5.
    pub score: i64,
    #[serde(default)]
    pub note: String,
}

/// SVC-10: review a record once; a second review gets 409.
#[utoipa::path(post, path = "/api/v1/service/records/{id}/review", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RecordReview,
    responses((status = 200, body = ReviewedRecord), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RecordReview>,
) -> Result<Json<ReviewedRecord>, ApiError> {
    Ok(Json(
        s.app
            .review_record(&ctx, id, b.score, &b.note)
            .await?
            .into(),
    ))
}
