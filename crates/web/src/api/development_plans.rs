//! CUS-6: development plans with progress reports and manager reviews.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medcrm_app::development_plans::{NoteRecord, PlanDetail, PlanInput, PlanRecord};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: i64,
    pub owner_id: i64,
    pub region_id: i64,
    pub goal: String,
    pub strategy: String,
    /// phone, online, exhibition, association, visit.
    pub channel: String,
    pub deadline: String,
    /// active, completed, cancelled.
    pub status: String,
    /// Last reported progress, 0–100.
    pub progress: i64,
    pub created_at: String,
}

impl From<PlanRecord> for Plan {
    fn from(p: PlanRecord) -> Self {
        Plan {
            id: p.id,
            owner_id: p.owner_id,
            region_id: p.region_id,
            goal: p.goal,
            strategy: p.strategy,
            channel: p.channel,
            deadline: p.deadline,
            status: p.status,
            progress: p.progress,
            created_at: ts(p.created_at_ms),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanNote {
    pub id: i64,
    pub author_id: i64,
    /// `report` (the owner's progress) or `review` (a manager's).
    pub kind: String,
    pub progress: Option<i64>,
    /// For reviews: on_track or needs_work.
    pub verdict: Option<String>,
    pub text: String,
    pub at: String,
}

impl From<NoteRecord> for PlanNote {
    fn from(n: NoteRecord) -> Self {
        PlanNote {
            id: n.id,
            author_id: n.author_id,
            kind: n.kind,
            progress: n.progress,
            verdict: n.verdict,
            text: n.text,
            at: ts(n.at_ms),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Target {
    pub institution_id: i64,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanFull {
    pub plan: Plan,
    pub targets: Vec<Target>,
    pub notes: Vec<PlanNote>,
    /// Active and past its deadline.
    pub overdue: bool,
}

impl From<PlanDetail> for PlanFull {
    fn from(d: PlanDetail) -> Self {
        PlanFull {
            plan: d.plan.into(),
            targets: d
                .targets
                .into_iter()
                .map(|(institution_id, name)| Target {
                    institution_id,
                    name,
                })
                .collect(),
            notes: d.notes.into_iter().map(PlanNote::from).collect(),
            overdue: d.overdue,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// active, completed, cancelled.
    pub status: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// Development plans within the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/development-plans", tag = "customers", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<Plan>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Plan>>, ApiError> {
    let page = s
        .app
        .development_plans(
            &ctx,
            q.status.as_deref(),
            cursor(q.cursor.as_deref())?,
            q.limit,
        )
        .await?;
    Ok(Json(Page::from(page, Plan::from)))
}

/// One plan with its targets, reports and reviews; 404 outside the scope.
#[utoipa::path(get, path = "/api/v1/development-plans/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PlanFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PlanFull>, ApiError> {
    Ok(Json(s.app.development_plan(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub goal: String,
    pub strategy: String,
    /// phone, online, exhibition, association, visit.
    pub channel: String,
    /// YYYY-MM-DD, today or later.
    pub deadline: String,
    /// 1–50 target customers in your scope.
    pub institution_ids: Vec<i64>,
}

/// Create a development plan (CUS-6), owned by the caller.
#[utoipa::path(post, path = "/api/v1/development-plans", tag = "customers", security(("bearer" = [])),
    request_body = NewPlan,
    responses((status = 201, body = Plan), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewPlan>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let input = PlanInput {
        goal: b.goal,
        strategy: b.strategy,
        channel: b.channel,
        deadline: b.deadline,
        institution_ids: b.institution_ids,
    };
    let plan = s.app.create_development_plan(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(plan.into())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// 0–100; 100 completes the plan.
    pub progress: i64,
    pub text: String,
}

/// The owner reports progress.
#[utoipa::path(post, path = "/api/v1/development-plans/{id}/reports", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Report,
    responses((status = 200, body = Plan), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Report>,
) -> Result<Json<Plan>, ApiError> {
    let plan = s
        .app
        .report_plan_progress(&ctx, id, b.progress, &b.text)
        .await?;
    Ok(Json(plan.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// on_track or needs_work.
    pub verdict: String,
    pub text: String,
}

/// A manager reviews a plan (never their own).
#[utoipa::path(post, path = "/api/v1/development-plans/{id}/reviews", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Review,
    responses((status = 201, body = PlanNote), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Review>,
) -> Result<(StatusCode, Json<PlanNote>), ApiError> {
    let note = s.app.review_plan(&ctx, id, &b.verdict, &b.text).await?;
    Ok((StatusCode::CREATED, Json(note.into())))
}
