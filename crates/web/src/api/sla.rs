//! SVC-7: the SLA board and the configured SLA targets.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use medcrm_app::service::sla_ops::{
    Buckets, Compliance, SlaBoard, TargetInput, TargetRecord, UrgentClock,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::ts;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sla/board", get(board))
        .route("/api/v1/sla/targets", get(targets).put(set_target))
        .route(
            "/api/v1/sla/targets/{id}",
            axum::routing::delete(delete_target),
        )
}

/// Open clocks per urgency.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SlaBuckets {
    pub breached: i64,
    pub within_1h: i64,
    pub within_4h: i64,
    pub within_24h: i64,
    pub later: i64,
    pub paused: i64,
}

impl From<Buckets> for SlaBuckets {
    fn from(b: Buckets) -> Self {
        SlaBuckets {
            breached: b.breached,
            within_1h: b.within_1h,
            within_4h: b.within_4h,
            within_24h: b.within_24h,
            later: b.later,
            paused: b.paused,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SlaUrgentClock {
    pub clock_id: i64,
    pub ticket_id: i64,
    pub number: String,
    pub institution_name: String,
    /// first_contact, on_site, parts, follow_up.
    pub milestone: String,
    /// running or breached.
    pub state: String,
    pub region_id: i64,
    pub engineer_id: Option<i64>,
    pub engineer_name: Option<String>,
    pub due_at: String,
}

impl From<UrgentClock> for SlaUrgentClock {
    fn from(c: UrgentClock) -> Self {
        SlaUrgentClock {
            clock_id: c.id,
            ticket_id: c.ticket_id,
            number: c.number,
            institution_name: c.institution_name,
            milestone: c.milestone,
            state: c.state,
            region_id: c.region_id,
            engineer_id: c.engineer_id,
            engineer_name: c.engineer_name,
            due_at: ts(c.due_at_ms),
        }
    }
}

/// Met and breached clocks of one group.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SlaCompliance {
    /// Milestone code, region id or engineer id (0: unassigned).
    pub key: String,
    /// The region's or engineer's name; empty for a milestone and for "unassigned".
    pub name: String,
    pub met: i64,
    pub breached: i64,
    /// Met share in basis points (9500 = 95 %); absent without clocks.
    pub percent_bp: Option<i64>,
}

impl From<Compliance> for SlaCompliance {
    fn from(c: Compliance) -> Self {
        SlaCompliance {
            key: c.key,
            name: c.name,
            met: c.met,
            breached: c.breached,
            percent_bp: c.percent_bp,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SlaBoardBody {
    pub now: String,
    pub from: String,
    pub to: String,
    pub buckets: SlaBuckets,
    /// The 50 open clocks due first.
    pub urgent: Vec<SlaUrgentClock>,
    /// Clocks due in the period that were breached.
    pub breaches: i64,
    pub total: SlaCompliance,
    pub by_milestone: Vec<SlaCompliance>,
    pub by_region: Vec<SlaCompliance>,
    pub by_engineer: Vec<SlaCompliance>,
}

fn all(v: Vec<Compliance>) -> Vec<SlaCompliance> {
    v.into_iter().map(Into::into).collect()
}

impl From<SlaBoard> for SlaBoardBody {
    fn from(b: SlaBoard) -> Self {
        SlaBoardBody {
            now: ts(b.now_ms),
            from: b.from.to_string(),
            to: b.to.to_string(),
            buckets: b.buckets.into(),
            urgent: b.urgent.into_iter().map(Into::into).collect(),
            breaches: b.breaches,
            total: b.total.into(),
            by_milestone: all(b.by_milestone),
            by_region: all(b.by_region),
            by_engineer: all(b.by_engineer),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct BoardQuery {
    /// First day of the period (YYYY-MM-DD); 30 days before `to` by default.
    pub from: Option<String>,
    /// Last day of the period; today by default.
    pub to: Option<String>,
}

/// SVC-7: the SLA board (service manager: their region; director: the company).
#[utoipa::path(get, path = "/api/v1/sla/board", tag = "service", security(("bearer" = [])),
    params(BoardQuery),
    responses((status = 200, body = SlaBoardBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn board(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Json<SlaBoardBody>, ApiError> {
    let b = s
        .app
        .sla_board(&ctx, q.from.as_deref(), q.to.as_deref())
        .await?;
    Ok(Json(b.into()))
}

/// A configured SLA target.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SlaTarget {
    pub id: i64,
    pub milestone: String,
    /// Ticket kind, or empty for any.
    pub kind: String,
    /// Priority, or empty for any.
    pub priority: String,
    /// Customer contract, or 0 for any.
    pub contract_id: i64,
    pub amount: i64,
    /// wall_minutes, working_minutes, working_days.
    pub mode: String,
    pub updated_by: i64,
    pub updated_at: String,
}

impl From<TargetRecord> for SlaTarget {
    fn from(t: TargetRecord) -> Self {
        SlaTarget {
            id: t.id,
            milestone: t.milestone,
            kind: t.kind,
            priority: t.priority,
            contract_id: t.contract_id,
            amount: t.amount,
            mode: t.mode,
            updated_by: t.updated_by,
            updated_at: ts(t.updated_at_ms),
        }
    }
}

/// SVC-7: the configured targets (service manager, admin).
#[utoipa::path(get, path = "/api/v1/sla/targets", tag = "service", security(("bearer" = [])),
    responses((status = 200, body = Vec<SlaTarget>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn targets(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<SlaTarget>>, ApiError> {
    let list = s.app.sla_targets(&ctx).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTarget {
    /// first_contact, on_site, parts, follow_up.
    pub milestone: String,
    /// Ticket kind; empty or absent for any.
    #[serde(default)]
    pub kind: String,
    /// Priority; empty or absent for any.
    #[serde(default)]
    pub priority: String,
    /// Customer contract; 0 or absent for any.
    #[serde(default)]
    pub contract_id: i64,
    /// 1 to 100000, in the unit of `mode`.
    pub amount: i64,
    /// wall_minutes, working_minutes, working_days.
    pub mode: String,
}

/// SVC-7: set the target of one milestone / kind / priority / contract combination
/// (replacing the one there was); tickets opened from now on use it.
#[utoipa::path(put, path = "/api/v1/sla/targets", tag = "service", security(("bearer" = [])),
    request_body = SetTarget,
    responses((status = 200, body = SlaTarget), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_target(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<SetTarget>,
) -> Result<Json<SlaTarget>, ApiError> {
    let input = TargetInput {
        milestone: b.milestone,
        kind: b.kind,
        priority: b.priority,
        contract_id: b.contract_id,
        amount: b.amount,
        mode: b.mode,
    };
    Ok(Json(s.app.set_sla_target(&ctx, input).await?.into()))
}

/// SVC-7: remove a target; the more general one (or the policy default) applies again.
#[utoipa::path(delete, path = "/api/v1/sla/targets/{id}", tag = "service", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn delete_target(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_sla_target(&ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
