//! PRT-1…3: the parts catalog, warehouses, stock, the ledger, transfers, and issues and
//! returns against part requests.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use medcrm_app::imports::Format;
use medcrm_app::parts::issues::{IssueInput, IssueResult, ReturnInput};
use medcrm_app::parts::stock::{
    LevelSuggestion, MovementQuery, ReorderLine, StockChange, StockQuery, TransferInput,
};
use medcrm_app::parts::{
    CompatibleProduct, Mismatch, MovementRecord, PartInput, PartQuery, PartRecord, PartView,
    StockRecord, TransferRecord, WarehouseInput, WarehouseRecord,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::imports::{labels_of, send_table};
use crate::api::service_work::PartRequest;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/parts", get(list_parts).post(create_part))
        .route("/api/v1/parts/{id}", get(get_part).put(update_part))
        .route(
            "/api/v1/warehouses",
            get(list_warehouses).post(create_warehouse),
        )
        .route("/api/v1/stock", get(list_stock))
        .route("/api/v1/stock.xlsx", get(stock_xlsx))
        .route("/api/v1/stock/levels", put(set_levels))
        .route("/api/v1/stock/suggestion", get(suggestion))
        .route("/api/v1/stock/reorder", get(reorder))
        .route("/api/v1/stock/check", get(check))
        .route("/api/v1/stock/receipts", post(receipt))
        .route("/api/v1/stock/adjustments", post(adjustment))
        .route("/api/v1/stock/movements", get(list_movements))
        .route("/api/v1/stock/movements.xlsx", get(movements_xlsx))
        .route(
            "/api/v1/stock/transfers",
            get(list_transfers).post(send_transfer),
        )
        .route(
            "/api/v1/stock/transfers/{id}/receive",
            post(receive_transfer),
        )
        .route("/api/v1/part-requests/{id}/issue", post(issue))
        .route("/api/v1/part-requests/{id}/returns", post(return_parts))
}

/// PRT-1: a catalog part.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Part {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub spec: String,
    pub unit: String,
    pub unit_cost_fen: i64,
    /// none, serial, lot.
    pub tracking: String,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<PartRecord> for Part {
    fn from(p: PartRecord) -> Self {
        Part {
            id: p.id,
            code: p.code,
            name: p.name,
            spec: p.spec,
            unit: p.unit,
            unit_cost_fen: p.unit_cost_fen,
            tracking: p.tracking,
            active: p.active,
            created_at: ts(p.created_at_ms),
            updated_at: ts(p.updated_at_ms),
        }
    }
}

/// A product (one model) a part fits.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PartProduct {
    pub product_id: i64,
    pub code: String,
    pub name: String,
    pub model: String,
}

impl From<CompatibleProduct> for PartProduct {
    fn from(c: CompatibleProduct) -> Self {
        PartProduct {
            product_id: c.product_id,
            code: c.code,
            name: c.name,
            model: c.model,
        }
    }
}

/// A part with the products it fits and its stock where the caller may see stock.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PartDetail {
    pub part: Part,
    pub compatible: Vec<PartProduct>,
    pub stock: Vec<Stock>,
}

impl From<PartView> for PartDetail {
    fn from(v: PartView) -> Self {
        PartDetail {
            part: v.part.into(),
            compatible: v.compatible.into_iter().map(Into::into).collect(),
            stock: v.stock.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartBody {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub spec: String,
    pub unit: String,
    /// 0–1000000000.
    pub unit_cost_fen: i64,
    /// none (default), serial, lot.
    #[serde(default)]
    pub tracking: Option<String>,
    /// Default true.
    #[serde(default)]
    pub active: Option<bool>,
    /// The products the part fits.
    #[serde(default)]
    pub product_ids: Vec<i64>,
}

impl From<PartBody> for PartInput {
    fn from(b: PartBody) -> Self {
        PartInput {
            code: b.code,
            name: b.name,
            spec: b.spec,
            unit: b.unit,
            unit_cost_fen: b.unit_cost_fen,
            tracking: b.tracking.unwrap_or_else(|| "none".into()),
            active: b.active.unwrap_or(true),
            product_ids: b.product_ids,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartListQuery {
    /// Part of the code, name or spec.
    pub q: Option<String>,
    /// Only parts that fit this product.
    pub product_id: Option<i64>,
    pub active: Option<bool>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// PRT-1: the catalog, searched by code, name or spec, or by the product a part fits.
#[utoipa::path(get, path = "/api/v1/parts", tag = "parts", security(("bearer" = [])),
    params(PartListQuery),
    responses((status = 200, body = Page<Part>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_parts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PartListQuery>,
) -> Result<Json<Page<Part>>, ApiError> {
    let query = PartQuery {
        q: q.q,
        product_id: q.product_id,
        active: q.active,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    Ok(Json(Page::from(
        s.app.parts(&ctx, query).await?,
        Part::from,
    )))
}

/// PRT-1: a new part (warehouse, admin); its code is unique (409).
#[utoipa::path(post, path = "/api/v1/parts", tag = "parts", security(("bearer" = [])),
    request_body = PartBody,
    responses((status = 201, body = PartDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_part(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<PartBody>,
) -> Result<(StatusCode, Json<PartDetail>), ApiError> {
    let v = s.app.create_part(&ctx, b.into()).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// PRT-1: a part with the products it fits and its stock.
#[utoipa::path(get, path = "/api/v1/parts/{id}", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PartDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_part(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PartDetail>, ApiError> {
    Ok(Json(s.app.part(&ctx, id).await?.into()))
}

/// PRT-1: edits a part and replaces the products it fits.
#[utoipa::path(put, path = "/api/v1/parts/{id}", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PartBody,
    responses((status = 200, body = PartDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_part(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PartBody>,
) -> Result<Json<PartDetail>, ApiError> {
    Ok(Json(s.app.update_part(&ctx, id, b.into()).await?.into()))
}

/// PRT-1: a stock location.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Warehouse {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// central, regional, engineer.
    pub kind: String,
    pub region_id: Option<i64>,
    pub region_name: Option<String>,
    /// The engineer whose own stock it is.
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub active: bool,
}

impl From<WarehouseRecord> for Warehouse {
    fn from(w: WarehouseRecord) -> Self {
        Warehouse {
            id: w.id,
            code: w.code,
            name: w.name,
            kind: w.kind,
            region_id: w.region_id,
            region_name: w.region_name,
            owner_id: w.owner_id,
            owner_name: w.owner_name,
            active: w.active,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseBody {
    pub code: String,
    pub name: String,
    /// central, regional, engineer.
    pub kind: String,
    /// Required for regional and engineer stock; none for central.
    #[serde(default)]
    pub region_id: Option<i64>,
    /// The engineer, for an engineer's own stock (one each).
    #[serde(default)]
    pub owner_id: Option<i64>,
}

/// PRT-1: the locations the caller may see stock of.
#[utoipa::path(get, path = "/api/v1/warehouses", tag = "parts", security(("bearer" = [])),
    responses((status = 200, body = Vec<Warehouse>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_warehouses(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<Warehouse>>, ApiError> {
    let rows = s.app.warehouses(&ctx).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// PRT-1: a central or regional warehouse, or an engineer's own stock.
#[utoipa::path(post, path = "/api/v1/warehouses", tag = "parts", security(("bearer" = [])),
    request_body = WarehouseBody,
    responses((status = 201, body = Warehouse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_warehouse(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<WarehouseBody>,
) -> Result<(StatusCode, Json<Warehouse>), ApiError> {
    let input = WarehouseInput {
        code: b.code,
        name: b.name,
        kind: b.kind,
        region_id: b.region_id,
        owner_id: b.owner_id,
    };
    let w = s.app.create_warehouse(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(w.into())))
}

/// PRT-1: a part's balance at one location.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Stock {
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub unit: String,
    pub warehouse_id: i64,
    pub warehouse_name: String,
    pub warehouse_kind: String,
    /// Usable stock: the sum of the good-condition ledger.
    pub on_hand: i64,
    /// Faulty returns kept apart (never issued).
    pub faulty: i64,
    /// On its way here by transfers not yet received.
    pub in_transit: i64,
    pub min_qty: i64,
    pub max_qty: i64,
    /// Below its minimum.
    pub low: bool,
    pub updated_at: String,
}

impl From<StockRecord> for Stock {
    fn from(r: StockRecord) -> Self {
        Stock {
            low: medcrm_app::domain::parts::is_low(r.on_hand, r.min_qty),
            part_id: r.part_id,
            part_code: r.part_code,
            part_name: r.part_name,
            unit: r.unit,
            warehouse_id: r.warehouse_id,
            warehouse_name: r.warehouse_name,
            warehouse_kind: r.warehouse_kind,
            on_hand: r.on_hand,
            faulty: r.faulty,
            in_transit: r.in_transit,
            min_qty: r.min_qty,
            max_qty: r.max_qty,
            updated_at: ts(r.updated_at_ms),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockListQuery {
    pub warehouse_id: Option<i64>,
    pub part_id: Option<i64>,
    /// Only balances below their minimum.
    pub low: Option<bool>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Sheet language for the .xlsx: `zh-CN` (default) or `en`.
    pub lang: Option<String>,
}

fn stock_query(q: &StockListQuery) -> Result<StockQuery, ApiError> {
    Ok(StockQuery {
        warehouse_id: q.warehouse_id,
        part_id: q.part_id,
        low_only: q.low.unwrap_or(false),
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    })
}

/// PRT-1: stock per part and location within the caller's reach (an engineer: their own).
#[utoipa::path(get, path = "/api/v1/stock", tag = "parts", security(("bearer" = [])),
    params(StockListQuery),
    responses((status = 200, body = Page<Stock>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_stock(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<StockListQuery>,
) -> Result<Json<Page<Stock>>, ApiError> {
    let page = s.app.stock(&ctx, stock_query(&q)?).await?;
    Ok(Json(Page::from(page, Stock::from)))
}

/// PRT-1: the stock report as .xlsx (every row the filters and the caller's reach give).
#[utoipa::path(get, path = "/api/v1/stock.xlsx", tag = "parts", security(("bearer" = [])),
    params(StockListQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The stock report"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stock_xlsx(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<StockListQuery>,
) -> Result<Response, ApiError> {
    let labels = labels_of(q.lang.as_deref())?;
    let table = s.app.export_stock(&ctx, stock_query(&q)?, labels).await?;
    send_table(table, Format::Xlsx, "stock").await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelsBody {
    pub part_id: i64,
    pub warehouse_id: i64,
    /// 0 = none.
    pub min_qty: i64,
    /// 0 = none; otherwise at least the minimum.
    pub max_qty: i64,
}

/// PRT-1: min/max for a part at a location; a minimum above the stock raises the alert.
#[utoipa::path(put, path = "/api/v1/stock/levels", tag = "parts", security(("bearer" = [])),
    request_body = LevelsBody,
    responses((status = 200, body = Stock), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_levels(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<LevelsBody>,
) -> Result<Json<Stock>, ApiError> {
    let r = s
        .app
        .set_stock_levels(&ctx, b.part_id, b.warehouse_id, b.min_qty, b.max_qty)
        .await?;
    Ok(Json(r.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceQuery {
    pub part_id: i64,
    pub warehouse_id: i64,
}

/// PRT-1: min/max suggested from the last 90 days of issues.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub part_id: i64,
    pub warehouse_id: i64,
    /// Units issued from the location over the window.
    pub issued: i64,
    pub days: i64,
    pub min_qty: i64,
    pub max_qty: i64,
}

impl From<LevelSuggestion> for Suggestion {
    fn from(l: LevelSuggestion) -> Self {
        Suggestion {
            part_id: l.part_id,
            warehouse_id: l.warehouse_id,
            issued: l.issued_last_days,
            days: l.days,
            min_qty: l.min_qty,
            max_qty: l.max_qty,
        }
    }
}

/// PRT-1: the min/max the last 90 days of issues from a location suggest.
#[utoipa::path(get, path = "/api/v1/stock/suggestion", tag = "parts", security(("bearer" = [])),
    params(PlaceQuery),
    responses((status = 200, body = Suggestion), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn suggestion(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<PlaceQuery>,
) -> Result<Json<Suggestion>, ApiError> {
    let l = s
        .app
        .suggest_stock_levels(&ctx, q.part_id, q.warehouse_id)
        .await?;
    Ok(Json(l.into()))
}

/// PRT-1: a balance below its minimum and what to order.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Reorder {
    pub stock: Stock,
    /// Brings on hand plus in transit back to the maximum (or the minimum when none).
    pub reorder_qty: i64,
}

impl From<ReorderLine> for Reorder {
    fn from(l: ReorderLine) -> Self {
        Reorder {
            stock: l.stock.into(),
            reorder_qty: l.reorder_qty,
        }
    }
}

/// PRT-1: the reorder list.
#[utoipa::path(get, path = "/api/v1/stock/reorder", tag = "parts", security(("bearer" = [])),
    responses((status = 200, body = Vec<Reorder>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn reorder(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<Reorder>>, ApiError> {
    let rows = s.app.reorder_list(&ctx).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// PRT-2: a balance that does not equal the sum of its ledger.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StockMismatch {
    pub part_id: i64,
    pub warehouse_id: i64,
    pub on_hand: i64,
    pub ledger_good: i64,
    pub faulty: i64,
    pub ledger_faulty: i64,
}

/// PRT-2: the result of checking every balance against its ledger.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StockCheck {
    /// Empty when every balance equals the sum of its ledger.
    pub mismatches: Vec<StockMismatch>,
}

/// PRT-2: checks every balance against the sum of its ledger (warehouse, admin).
#[utoipa::path(get, path = "/api/v1/stock/check", tag = "parts", security(("bearer" = [])),
    responses((status = 200, body = StockCheck), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn check(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<StockCheck>, ApiError> {
    let rows = s.app.verify_stock(&ctx).await?;
    let mismatches = rows
        .into_iter()
        .map(|m: Mismatch| StockMismatch {
            part_id: m.part_id,
            warehouse_id: m.warehouse_id,
            on_hand: m.on_hand,
            ledger_good: m.ledger_good,
            faulty: m.faulty,
            ledger_faulty: m.ledger_faulty,
        })
        .collect();
    Ok(Json(StockCheck { mismatches }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockChangeBody {
    pub part_id: i64,
    pub warehouse_id: i64,
    /// Units received; for an adjustment the signed change.
    pub quantity: i64,
    /// good (default) or faulty (adjustments only: faulty stock scrapped or sent back).
    #[serde(default)]
    pub condition: Option<String>,
    /// Why; required.
    pub reason: String,
}

impl From<StockChangeBody> for StockChange {
    fn from(b: StockChangeBody) -> Self {
        StockChange {
            part_id: b.part_id,
            warehouse_id: b.warehouse_id,
            quantity: b.quantity,
            condition: b.condition,
            reason: b.reason,
        }
    }
}

/// PRT-2: an immutable ledger row.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Movement {
    pub id: i64,
    /// receipt, issue, return, transfer_out, transfer_in, adjustment.
    pub kind: String,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub warehouse_id: i64,
    pub warehouse_name: String,
    /// good or faulty.
    pub condition: String,
    /// Signed: what it added to (or took from) the balance.
    pub quantity: i64,
    pub balance_after: i64,
    pub unit_cost_fen: i64,
    pub reason: String,
    pub by_user: i64,
    pub by_name: String,
    pub at: String,
    pub part_request_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<String>,
    pub transfer_id: Option<i64>,
    pub purchase_order_id: Option<i64>,
    pub stock_count_id: Option<i64>,
}

impl From<MovementRecord> for Movement {
    fn from(m: MovementRecord) -> Self {
        Movement {
            id: m.id,
            kind: m.kind,
            part_id: m.part_id,
            part_code: m.part_code,
            part_name: m.part_name,
            warehouse_id: m.warehouse_id,
            warehouse_name: m.warehouse_name,
            condition: m.condition,
            quantity: m.quantity,
            balance_after: m.balance_after,
            unit_cost_fen: m.unit_cost_fen,
            reason: m.reason,
            by_user: m.by_user,
            by_name: m.by_name,
            at: ts(m.at_ms),
            part_request_id: m.part_request_id,
            ticket_id: m.ticket_id,
            ticket_number: m.ticket_number,
            transfer_id: m.transfer_id,
            purchase_order_id: m.purchase_order_id,
            stock_count_id: m.stock_count_id,
        }
    }
}

/// PRT-2: parts received at a location (manual receipt, with its reason).
#[utoipa::path(post, path = "/api/v1/stock/receipts", tag = "parts", security(("bearer" = [])),
    request_body = StockChangeBody,
    responses((status = 201, body = Movement), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn receipt(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<StockChangeBody>,
) -> Result<(StatusCode, Json<Movement>), ApiError> {
    let m = s.app.receive_stock(&ctx, b.into()).await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// PRT-2: a signed correction with its reason; 409 `insufficient_stock` below zero.
#[utoipa::path(post, path = "/api/v1/stock/adjustments", tag = "parts", security(("bearer" = [])),
    request_body = StockChangeBody,
    responses((status = 201, body = Movement), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adjustment(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<StockChangeBody>,
) -> Result<(StatusCode, Json<Movement>), ApiError> {
    let m = s.app.adjust_stock(&ctx, b.into()).await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementListQuery {
    pub part_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    /// receipt, issue, return, transfer_out, transfer_in, adjustment.
    pub kind: Option<String>,
    pub part_request_id: Option<i64>,
    /// From this day (YYYY-MM-DD, business time), inclusive.
    pub from: Option<String>,
    /// To this day, inclusive.
    pub to: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Sheet language for the .xlsx: `zh-CN` (default) or `en`.
    pub lang: Option<String>,
}

fn movement_query(q: &MovementListQuery) -> Result<MovementQuery, ApiError> {
    let day = |field: &'static str, text: &Option<String>, next: bool| {
        text.as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| {
                medcrm_app::parts::stock::day_start_ms(t, next)
                    .ok_or_else(|| ApiError::from(medcrm_app::Error::invalid(field, "YYYY-MM-DD")))
            })
            .transpose()
    };
    Ok(MovementQuery {
        part_id: q.part_id,
        warehouse_id: q.warehouse_id,
        kind: q.kind.clone().filter(|k| !k.is_empty()),
        part_request_id: q.part_request_id,
        from_ms: day("from", &q.from, false)?,
        to_ms: day("to", &q.to, true)?,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    })
}

/// PRT-2: the ledger, newest first, within the caller's reach.
#[utoipa::path(get, path = "/api/v1/stock/movements", tag = "parts", security(("bearer" = [])),
    params(MovementListQuery),
    responses((status = 200, body = Page<Movement>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_movements(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<MovementListQuery>,
) -> Result<Json<Page<Movement>>, ApiError> {
    let page = s.app.movements(&ctx, movement_query(&q)?).await?;
    Ok(Json(Page::from(page, Movement::from)))
}

/// PRT-2: the movement report as .xlsx.
#[utoipa::path(get, path = "/api/v1/stock/movements.xlsx", tag = "parts", security(("bearer" = [])),
    params(MovementListQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The movement report"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn movements_xlsx(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<MovementListQuery>,
) -> Result<Response, ApiError> {
    let labels = labels_of(q.lang.as_deref())?;
    let table = s
        .app
        .export_movements(&ctx, movement_query(&q)?, labels)
        .await?;
    send_table(table, Format::Xlsx, "movements").await
}

/// PRT-2: parts on their way from one location to another.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Transfer {
    pub id: i64,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub from_warehouse_id: i64,
    pub from_name: String,
    pub to_warehouse_id: i64,
    pub to_name: String,
    pub quantity: i64,
    /// in_transit, received.
    pub status: String,
    pub reason: String,
    pub sent_by: i64,
    pub sent_at: String,
    pub received_by: Option<i64>,
    pub received_at: Option<String>,
}

impl From<TransferRecord> for Transfer {
    fn from(t: TransferRecord) -> Self {
        Transfer {
            id: t.id,
            part_id: t.part_id,
            part_code: t.part_code,
            part_name: t.part_name,
            from_warehouse_id: t.from_warehouse_id,
            from_name: t.from_name,
            to_warehouse_id: t.to_warehouse_id,
            to_name: t.to_name,
            quantity: t.quantity,
            status: t.status,
            reason: t.reason,
            sent_by: t.sent_by,
            sent_at: ts(t.sent_at_ms),
            received_by: t.received_by,
            received_at: t.received_at_ms.map(ts),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    pub part_id: i64,
    pub from_warehouse_id: i64,
    /// Another location (the same one is refused, 422).
    pub to_warehouse_id: i64,
    pub quantity: i64,
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransferListQuery {
    /// Only those still in transit.
    pub in_transit: Option<bool>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// PRT-2: transfers to the locations the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/stock/transfers", tag = "parts", security(("bearer" = [])),
    params(TransferListQuery),
    responses((status = 200, body = Page<Transfer>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_transfers(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<TransferListQuery>,
) -> Result<Json<Page<Transfer>>, ApiError> {
    let page = s
        .app
        .transfers(
            &ctx,
            q.in_transit.unwrap_or(false),
            cursor(q.cursor.as_deref())?,
            q.limit,
        )
        .await?;
    Ok(Json(Page::from(page, Transfer::from)))
}

/// PRT-2: sends parts; they leave the source now and stay in transit until received.
#[utoipa::path(post, path = "/api/v1/stock/transfers", tag = "parts", security(("bearer" = [])),
    request_body = TransferBody,
    responses((status = 201, body = Transfer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn send_transfer(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<TransferBody>,
) -> Result<(StatusCode, Json<Transfer>), ApiError> {
    let input = TransferInput {
        part_id: b.part_id,
        from_warehouse_id: b.from_warehouse_id,
        to_warehouse_id: b.to_warehouse_id,
        quantity: b.quantity,
        reason: b.reason,
    };
    let t = s.app.send_transfer(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// PRT-2: the transfer arrives; 409 when it was received already.
#[utoipa::path(post, path = "/api/v1/stock/transfers/{id}/receive", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Transfer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive_transfer(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Transfer>, ApiError> {
    Ok(Json(s.app.receive_transfer(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// Where from; an engineer's own stock when not given.
    #[serde(default)]
    pub warehouse_id: Option<i64>,
    /// The catalog part, for a request made in free text.
    #[serde(default)]
    pub part_id: Option<i64>,
    /// Serial or lot number; required for parts tracked by them.
    #[serde(default)]
    pub trace: String,
    #[serde(default)]
    pub note: String,
}

/// PRT-3: the request after an issue or a return, and the ledger row written.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IssueOutcome {
    pub request: PartRequest,
    pub movement: Movement,
}

impl From<IssueResult> for IssueOutcome {
    fn from(r: IssueResult) -> Self {
        IssueOutcome {
            request: r.request.into(),
            movement: r.movement.into(),
        }
    }
}

/// PRT-3: issues a request's part from a location (the warehouse from central or regional
/// stock, an engineer from their own); the request is fulfilled and its clock stops. Too
/// little stock → 409 `insufficient_stock`.
#[utoipa::path(post, path = "/api/v1/part-requests/{id}/issue", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = IssueBody,
    responses((status = 200, body = IssueOutcome), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<IssueBody>,
) -> Result<Json<IssueOutcome>, ApiError> {
    let input = IssueInput {
        warehouse_id: b.warehouse_id,
        part_id: b.part_id,
        trace: b.trace,
        note: b.note,
    };
    Ok(Json(
        s.app.issue_part_request(&ctx, id, input).await?.into(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// Where they go back to; the issuing location when not given.
    #[serde(default)]
    pub warehouse_id: Option<i64>,
    pub quantity: i64,
    /// Faulty parts go to the location's faulty balance, never issued again.
    #[serde(default)]
    pub faulty: bool,
    pub reason: String,
}

/// PRT-3: issued parts come back (unused or faulty); never more than was issued (409).
#[utoipa::path(post, path = "/api/v1/part-requests/{id}/returns", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReturnBody,
    responses((status = 201, body = IssueOutcome), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn return_parts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReturnBody>,
) -> Result<(StatusCode, Json<IssueOutcome>), ApiError> {
    let input = ReturnInput {
        warehouse_id: b.warehouse_id,
        quantity: b.quantity,
        faulty: b.faulty,
        reason: b.reason,
    };
    let r = s.app.return_parts(&ctx, id, input).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}
