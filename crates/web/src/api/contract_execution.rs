//! CON-3/4/5 on signed contracts: execution problems, their escalation setting, the
//! fulfilment rate and the ledger export.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::contract_execution::{Fulfilment, FulfilmentReport, ProblemRecord};
use medcrm_app::contracts::ContractQuery;
use medcrm_app::imports::Format;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::ts;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub id: i64,
    pub contract_id: i64,
    pub description: String,
    /// open or resolved.
    pub status: String,
    pub raised_by: i64,
    pub raised_at: String,
    /// When it went to management (CON-4), once.
    pub escalated_at: Option<String>,
    pub resolution: String,
    pub resolved_by: Option<i64>,
    pub resolved_at: Option<String>,
}

impl From<ProblemRecord> for Problem {
    fn from(p: ProblemRecord) -> Self {
        Problem {
            id: p.id,
            contract_id: p.contract_id,
            description: p.description,
            status: p.status,
            raised_by: p.raised_by,
            raised_at: ts(p.raised_at_ms),
            escalated_at: p.escalated_at_ms.map(ts),
            resolution: p.resolution,
            resolved_by: p.resolved_by,
            resolved_at: p.resolved_at_ms.map(ts),
        }
    }
}

/// CON-4: the contract's execution problems, newest first.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/problems", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Problem>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn problems(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Problem>>, ApiError> {
    let all = s.app.contract_problems(&ctx, id).await?;
    Ok(Json(all.into_iter().map(Problem::from).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProblem {
    /// What went wrong (2–2000 characters).
    pub description: String,
}

/// CON-4: logs a problem on a signed contract (409 in any other state). Unresolved past the
/// configured days it escalates to the region's sales managers and the directors.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/problems", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewProblem,
    responses((status = 201, body = Problem), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn log_problem(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewProblem>,
) -> Result<(StatusCode, Json<Problem>), ApiError> {
    let p = s.app.log_contract_problem(&ctx, id, &b.description).await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// How it was resolved (2–2000 characters).
    pub resolution: String,
}

/// CON-4: resolves an open problem (409 when already resolved).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/problems/{problem_id}/resolve", tag = "contracts",
    security(("bearer" = [])), params(("id" = i64, Path), ("problem_id" = i64, Path)), request_body = Resolution,
    responses((status = 200, body = Problem), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve_problem(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath((id, problem_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<Resolution>,
) -> Result<Json<Problem>, ApiError> {
    let p = s
        .app
        .resolve_contract_problem(&ctx, id, problem_id, &b.resolution)
        .await?;
    Ok(Json(p.into()))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemSettings {
    /// Calendar days an execution problem may stay open before it escalates (0–90, default 3).
    pub problem_escalation_days: i64,
}

/// CON-4: when open execution problems escalate.
#[utoipa::path(get, path = "/api/v1/settings/contract-problems", tag = "contracts", security(("bearer" = [])),
    responses((status = 200, body = ProblemSettings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn problem_settings(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<ProblemSettings>, ApiError> {
    let days = s.app.problem_escalation_days(&ctx).await?;
    Ok(Json(ProblemSettings {
        problem_escalation_days: days,
    }))
}

/// CON-4: sets when open problems escalate (admin, director).
#[utoipa::path(put, path = "/api/v1/settings/contract-problems", tag = "contracts", security(("bearer" = [])),
    request_body = ProblemSettings,
    responses((status = 200, body = ProblemSettings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_problem_settings(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<ProblemSettings>,
) -> Result<Json<ProblemSettings>, ApiError> {
    let days = s
        .app
        .set_problem_escalation_days(&ctx, b.problem_escalation_days)
        .await?;
    Ok(Json(ProblemSettings {
        problem_escalation_days: days,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// YYYY-MM-DD; default the first day of this year.
    pub from: Option<String>,
    /// YYYY-MM-DD; default the last day of this year; at most a year after `from`.
    pub to: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FulfilmentLine {
    /// The rep; none on the company line.
    pub owner_id: Option<i64>,
    pub owner_name: String,
    /// Contracts whose delivery date fell in the period.
    pub due: i64,
    /// Of them, fully delivered.
    pub fulfilled: i64,
    /// Of them, fully shipped by the delivery date.
    pub on_time: i64,
    /// fulfilled / due in basis points (10,000 = 100 %); none when nothing was due.
    pub rate_bp: Option<i64>,
    pub on_time_rate_bp: Option<i64>,
}

impl From<Fulfilment> for FulfilmentLine {
    fn from(f: Fulfilment) -> Self {
        FulfilmentLine {
            owner_id: f.owner_id,
            owner_name: f.owner_name,
            due: f.due,
            fulfilled: f.fulfilled,
            on_time: f.on_time,
            rate_bp: f.rate_bp,
            on_time_rate_bp: f.on_time_rate_bp,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FulfilmentBody {
    pub from: String,
    pub to: String,
    /// Over the caller's scope.
    pub company: FulfilmentLine,
    pub reps: Vec<FulfilmentLine>,
}

impl From<FulfilmentReport> for FulfilmentBody {
    fn from(r: FulfilmentReport) -> Self {
        FulfilmentBody {
            from: r.from.to_string(),
            to: r.to.to_string(),
            company: r.company.into(),
            reps: r.reps.into_iter().map(FulfilmentLine::from).collect(),
        }
    }
}

/// CON-5 履约率 per rep and for the company (the caller's scope: own, region or all). Counted:
/// signed contracts, not terminated, whose delivery date in force falls in the period;
/// fulfilled: delivered ≥ total; on time: fulfilled and the last shipment on or before the
/// delivery date.
#[utoipa::path(get, path = "/api/v1/reports/contract-fulfilment", tag = "contracts", security(("bearer" = [])),
    params(PeriodQuery),
    responses((status = 200, body = FulfilmentBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn fulfilment(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<FulfilmentBody>, ApiError> {
    let r = s
        .app
        .fulfilment(&ctx, q.from.as_deref(), q.to.as_deref())
        .await?;
    Ok(Json(r.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Part of the number, title or customer name, or the customer's pinyin initials.
    pub q: Option<String>,
    pub status: Option<String>,
    pub institution_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// `zh-CN` (default: Chinese headers and states) or `en` (codes).
    pub lang: Option<String>,
}

impl LedgerQuery {
    pub fn query(&self) -> ContractQuery {
        ContractQuery {
            status: self.status.clone().filter(|s| !s.is_empty()),
            institution_id: self.institution_id,
            query: self.q.clone(),
            owner_id: self.owner_id,
            cursor: None,
            limit: None,
        }
    }
}

/// CON-3: the contract ledger (合同台账) with the list's filters, the caller's scope only:
/// state, total, delivered, invoiced, collected and open per contract.
#[utoipa::path(get, path = "/api/v1/exports/contracts.xlsx", tag = "contracts", security(("bearer" = [])),
    params(LedgerQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The ledger"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_ledger(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Response, ApiError> {
    let english = match q.lang.as_deref() {
        None | Some("" | "zh-CN" | "zh") => false,
        Some("en") => true,
        Some(_) => {
            return Err(medcrm_app::Error::invalid("lang", "use zh-CN or en").into());
        }
    };
    let table = s.app.export_contracts(&ctx, &q.query(), english).await?;
    crate::api::imports::send_table(table, Format::Xlsx, "contracts").await
}
