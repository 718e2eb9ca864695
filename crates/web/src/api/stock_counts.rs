//! PRT-4: stock counts (盘点): count sheets per location (optionally blind), what was counted,
//! submission, and approval that adjusts the book to what was counted.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use medcrm_app::parts::counts::{
    CountEntry, CountInput, CountLine, CountQuery, CountRecord, CountView,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/stock/counts", get(list_counts).post(open_count))
        .route("/api/v1/stock/counts/{id}", get(get_count))
        .route("/api/v1/stock/counts/{id}/lines", put(record_counts))
        .route("/api/v1/stock/counts/{id}/submit", post(submit_count))
        .route("/api/v1/stock/counts/{id}/approve", post(approve_count))
        .route("/api/v1/stock/counts/{id}/reject", post(reject_count))
}

/// PRT-4: a count sheet of one location.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StockCount {
    pub id: i64,
    pub warehouse_id: i64,
    pub warehouse_name: String,
    /// The sheet shows no book quantities while counting.
    pub blind: bool,
    /// counting, submitted, approved, rejected.
    pub status: String,
    pub note: String,
    pub created_by: i64,
    pub created_by_name: String,
    pub created_at: String,
    pub submitted_by: Option<i64>,
    pub submitted_at: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub comment: String,
}

impl From<CountRecord> for StockCount {
    fn from(c: CountRecord) -> Self {
        StockCount {
            id: c.id,
            warehouse_id: c.warehouse_id,
            warehouse_name: c.warehouse_name,
            blind: c.blind,
            status: c.status,
            note: c.note,
            created_by: c.created_by,
            created_by_name: c.created_by_name,
            created_at: ts(c.created_at_ms),
            submitted_by: c.submitted_by,
            submitted_at: c.submitted_at_ms.map(ts),
            decided_by: c.decided_by,
            decided_at: c.decided_at_ms.map(ts),
            comment: c.comment,
        }
    }
}

/// One part on a sheet.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StockCountLine {
    pub id: i64,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub unit: String,
    /// Absent until counted.
    pub counted_qty: Option<i64>,
    pub counted_by: Option<i64>,
    /// Once submitted, the book at submission; while counting, the live balance — absent on
    /// a blind count.
    pub book_qty: Option<i64>,
    /// counted − book.
    pub variance: Option<i64>,
    /// The adjustment the approval posted (absent when nothing was adjusted).
    pub movement_id: Option<i64>,
}

impl From<CountLine> for StockCountLine {
    fn from(l: CountLine) -> Self {
        StockCountLine {
            id: l.id,
            part_id: l.part_id,
            part_code: l.part_code,
            part_name: l.part_name,
            unit: l.unit,
            counted_qty: l.counted_qty,
            counted_by: l.counted_by,
            book_qty: l.book_qty,
            variance: l.variance,
            movement_id: l.movement_id,
        }
    }
}

/// A count sheet with its lines.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StockCountSheet {
    pub count: StockCount,
    pub lines: Vec<StockCountLine>,
}

impl From<CountView> for StockCountSheet {
    fn from(v: CountView) -> Self {
        StockCountSheet {
            count: v.count.into(),
            lines: v.lines.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountBody {
    pub warehouse_id: i64,
    /// Hide book quantities while counting (default false).
    #[serde(default)]
    pub blind: bool,
    #[serde(default)]
    pub note: String,
    /// Parts to count besides those with a balance at the location (at most 500).
    #[serde(default)]
    pub part_ids: Vec<i64>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountedBody {
    /// 1–500 parts with what was counted of each.
    pub lines: Vec<CountedLine>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountedLine {
    pub part_id: i64,
    /// 0–1000000.
    pub counted_qty: i64,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// Required to reject; on approval it is the adjustments' reason.
    #[serde(default)]
    pub comment: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountListQuery {
    /// counting, submitted, approved, rejected.
    pub status: Option<String>,
    pub warehouse_id: Option<i64>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// PRT-4: count sheets of the locations the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/stock/counts", tag = "parts", security(("bearer" = [])),
    params(CountListQuery),
    responses((status = 200, body = Page<StockCount>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_counts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<CountListQuery>,
) -> Result<Json<Page<StockCount>>, ApiError> {
    let query = CountQuery {
        status: q.status,
        warehouse_id: q.warehouse_id,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    let page = s.app.stock_counts(&ctx, query).await?;
    Ok(Json(Page::from(page, StockCount::from)))
}

/// PRT-4: opens a count sheet of a location (the warehouse); one open count per location (409).
#[utoipa::path(post, path = "/api/v1/stock/counts", tag = "parts", security(("bearer" = [])),
    request_body = CountBody,
    responses((status = 201, body = StockCountSheet), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_count(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<CountBody>,
) -> Result<(StatusCode, Json<StockCountSheet>), ApiError> {
    let input = CountInput {
        warehouse_id: b.warehouse_id,
        blind: b.blind,
        note: b.note,
        part_ids: b.part_ids,
    };
    let v = s.app.open_stock_count(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// PRT-4: a count sheet with its lines (book quantities hidden while a blind count is counted).
#[utoipa::path(get, path = "/api/v1/stock/counts/{id}", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = StockCountSheet), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_count(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<StockCountSheet>, ApiError> {
    Ok(Json(s.app.stock_count(&ctx, id).await?.into()))
}

/// PRT-4: records what was counted; only while counting (409).
#[utoipa::path(put, path = "/api/v1/stock/counts/{id}/lines", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CountedBody,
    responses((status = 200, body = StockCountSheet), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_counts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CountedBody>,
) -> Result<Json<StockCountSheet>, ApiError> {
    let entries = b
        .lines
        .into_iter()
        .map(|l| CountEntry {
            part_id: l.part_id,
            counted_qty: l.counted_qty,
        })
        .collect();
    Ok(Json(
        s.app.record_stock_count(&ctx, id, entries).await?.into(),
    ))
}

/// PRT-4: submits a fully counted sheet for approval; the book is taken now.
#[utoipa::path(post, path = "/api/v1/stock/counts/{id}/submit", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = StockCountSheet), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_count(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<StockCountSheet>, ApiError> {
    Ok(Json(s.app.submit_stock_count(&ctx, id).await?.into()))
}

/// PRT-4: approves a submitted count (service manager, admin; never one who took part in it,
/// 422 `own_count`): every variance is adjusted, so the book equals what was counted.
#[utoipa::path(post, path = "/api/v1/stock/counts/{id}/approve", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionBody,
    responses((status = 200, body = StockCountSheet), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn approve_count(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Json<StockCountSheet>, ApiError> {
    let v = s.app.decide_stock_count(&ctx, id, true, &b.comment).await?;
    Ok(Json(v.into()))
}

/// PRT-4: rejects a submitted count with the reason; nothing is adjusted.
#[utoipa::path(post, path = "/api/v1/stock/counts/{id}/reject", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionBody,
    responses((status = 200, body = StockCountSheet), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject_count(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Json<StockCountSheet>, ApiError> {
    let v = s
        .app
        .decide_stock_count(&ctx, id, false, &b.comment)
        .await?;
    Ok(Json(v.into()))
}
