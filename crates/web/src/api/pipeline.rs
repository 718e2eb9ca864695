//! OPP: opportunities, stage moves, the board and the funnel.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::pipeline::{
    FunnelReport, MoveInput, OpportunityInput, OpportunityQuery, OpportunityRecord,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Opportunity {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub title: String,
    /// large_equipment, consumables, ivd, service, other.
    pub product_line: String,
    /// Exact amount in fen (分).
    pub amount_fen: i64,
    /// The same amount in yuan, two decimals, for display.
    pub amount: String,
    pub expected_close: String,
    pub owner_id: i64,
    pub region_id: i64,
    /// lead, qualified, needs_analysis, proposal, tender_announced, bid_submitted, tender_won,
    /// tender_lost, negotiation, contract, won, lost.
    pub stage: String,
    pub stage_owner_id: i64,
    /// The date the current stage is due; none once closed.
    pub stage_due: Option<String>,
    pub stage_entered_at: String,
    pub lost_reason: String,
    pub created_at: String,
}

impl From<OpportunityRecord> for Opportunity {
    fn from(o: OpportunityRecord) -> Self {
        Opportunity {
            id: o.id,
            institution_id: o.institution_id,
            institution_name: o.institution_name,
            title: o.title,
            product_line: o.product_line,
            amount: format_yuan(o.amount_fen),
            amount_fen: o.amount_fen,
            expected_close: o.expected_close,
            owner_id: o.owner_id,
            region_id: o.region_id,
            stage: o.stage,
            stage_owner_id: o.stage_owner_id,
            stage_due: o.stage_due,
            stage_entered_at: ts(o.stage_entered_at_ms),
            lost_reason: o.lost_reason,
            created_at: ts(o.created_at_ms),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StageStayOut {
    pub stage: String,
    pub owner_id: i64,
    pub due: Option<String>,
    pub note: String,
    pub entered_at: String,
    pub left_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OpportunityFull {
    pub opportunity: Opportunity,
    /// Every stay in a stage, oldest first.
    pub history: Vec<StageStayOut>,
    /// Stages it may move to now.
    pub next_stages: Vec<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of the title or customer name, or the customer's pinyin initials.
    pub q: Option<String>,
    pub stage: Option<String>,
    pub product_line: Option<String>,
    pub owner_id: Option<i64>,
    /// This region and everything under it.
    pub region_id: Option<i64>,
    pub institution_id: Option<i64>,
    /// Only open opportunities whose stage is past due.
    pub overdue: Option<bool>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

impl ListQuery {
    fn query(self) -> Result<OpportunityQuery, ApiError> {
        Ok(OpportunityQuery {
            query: self.q,
            stage: self.stage,
            product_line: self.product_line,
            owner_id: self.owner_id,
            region_id: self.region_id,
            institution_id: self.institution_id,
            overdue: self.overdue.unwrap_or(false),
            cursor: cursor(self.cursor.as_deref())?,
            limit: self.limit,
        })
    }
}

/// Opportunities within the caller's scope.
#[utoipa::path(get, path = "/api/v1/opportunities", tag = "pipeline", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<Opportunity>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Opportunity>>, ApiError> {
    let page = s.app.opportunities(&ctx, &q.query()?).await?;
    Ok(Json(Page::from(page, Opportunity::from)))
}

/// One opportunity with its stage history; 404 outside the scope.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}", tag = "pipeline", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = OpportunityFull), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OpportunityFull>, ApiError> {
    let d = s.app.opportunity(&ctx, id).await?;
    Ok(Json(OpportunityFull {
        opportunity: d.record.into(),
        history: d
            .history
            .into_iter()
            .map(|h| StageStayOut {
                stage: h.stage,
                owner_id: h.owner_id,
                due: h.due,
                note: h.note,
                entered_at: ts(h.entered_at_ms),
                left_at: h.left_at_ms.map(ts),
            })
            .collect(),
        next_stages: d.next.iter().map(|s| s.code().to_owned()).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOpportunity {
    pub institution_id: i64,
    pub title: String,
    /// large_equipment, consumables, ivd, service, other.
    pub product_line: String,
    /// Yuan as a decimal string, at most two decimals: "1280000.50".
    pub amount: String,
    /// YYYY-MM-DD, today or later.
    pub expected_close: String,
}

/// Open a lead on a customer in your scope (OPP-1).
#[utoipa::path(post, path = "/api/v1/opportunities", tag = "pipeline", security(("bearer" = [])),
    request_body = NewOpportunity,
    responses((status = 201, body = Opportunity), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewOpportunity>,
) -> Result<(StatusCode, Json<Opportunity>), ApiError> {
    let input = OpportunityInput {
        institution_id: b.institution_id,
        title: b.title,
        product_line: b.product_line,
        amount: b.amount,
        expected_close: b.expected_close,
    };
    let o = s.app.create_opportunity(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(o.into())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveStage {
    /// The stage to move to; must be one of `next_stages`.
    pub stage: String,
    /// Who is responsible for the new stage (default: the opportunity's owner).
    pub stage_owner_id: Option<i64>,
    #[serde(default)]
    pub note: String,
    /// Required when moving to `lost`.
    #[serde(default)]
    pub lost_reason: String,
}

/// Move an opportunity to its next stage (OPP-1); an invalid move is 422 naming `stage`, a
/// move that lost a race with another is 409.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/stage", tag = "pipeline", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = MoveStage,
    responses((status = 200, body = Opportunity), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn move_stage(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MoveStage>,
) -> Result<Json<Opportunity>, ApiError> {
    let m = MoveInput {
        to: b.stage,
        stage_owner_id: b.stage_owner_id,
        note: b.note,
        lost_reason: b.lost_reason,
    };
    Ok(Json(s.app.move_opportunity(&ctx, id, m).await?.into()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FunnelStage {
    pub stage: String,
    /// Opportunities in this stage now, and their amount in fen.
    pub current: i64,
    pub current_amount_fen: i64,
    /// Opportunities that ever reached this stage.
    pub reached: i64,
    /// Opportunities lost straight from this stage.
    pub lost_here: i64,
    /// Share of those that reached this stage and moved on (rather than being lost here or
    /// still waiting here), in per mille.
    pub conversion_permille: Option<i64>,
    pub avg_days_in_stage: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Funnel {
    /// The main path: lead → qualified → needs analysis → proposal → negotiation → contract → won.
    pub stages: Vec<FunnelStage>,
    /// The step with the lowest conversion (enough volume only).
    pub bottleneck: Option<String>,
    /// Stages off the main path (tender steps, lost): counts and amounts now.
    pub other: Vec<FunnelStage>,
}

impl From<FunnelReport> for Funnel {
    fn from(r: FunnelReport) -> Self {
        let row =
            |stage: &str, f: &medcrm_app::domain::pipeline::StageFigures, conv, avg| FunnelStage {
                stage: stage.to_owned(),
                current: f.current,
                current_amount_fen: f.current_amount_fen,
                reached: f.reached,
                lost_here: f.lost_here,
                conversion_permille: conv,
                avg_days_in_stage: avg,
            };
        Funnel {
            stages: r
                .rows
                .iter()
                .map(|x| {
                    row(
                        x.stage.code(),
                        &x.figures,
                        x.conversion_permille,
                        x.avg_days_in_stage,
                    )
                })
                .collect(),
            bottleneck: r.bottleneck.map(|s| s.code().to_owned()),
            other: r
                .other
                .iter()
                .map(|(s, f)| row(s.code(), f, None, None))
                .collect(),
        }
    }
}

/// OPP-2: the funnel of the opportunities in scope, by rep, region or product line.
#[utoipa::path(get, path = "/api/v1/pipeline/funnel", tag = "pipeline", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Funnel), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn funnel(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Funnel>, ApiError> {
    Ok(Json(s.app.funnel(&ctx, &q.query()?).await?.into()))
}
