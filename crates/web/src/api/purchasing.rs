//! PRT-5: purchase orders to qualified suppliers, receipts against them with their acceptance
//! records, and closing an order short.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use medcrm_app::domain::parts::outstanding;
use medcrm_app::parts::purchasing::{
    OrderInput, OrderLineInput, OrderLineRecord, OrderQuery, OrderRecord, OrderView, ReceiptInput,
    ReceiptLineInput, ReceiptLineRecord, ReceiptView,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/purchase-orders",
            get(list_orders).post(create_order),
        )
        .route("/api/v1/purchase-orders/{id}", get(get_order))
        .route("/api/v1/purchase-orders/{id}/receipts", post(receive))
        .route("/api/v1/purchase-orders/{id}/close", post(close))
}

/// PRT-5: a purchase order.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PurchaseOrder {
    pub id: i64,
    /// PO-yyyymmdd-nnnnnn.
    pub number: String,
    pub supplier_id: i64,
    pub supplier_name: String,
    /// Where it is delivered.
    pub warehouse_id: i64,
    pub warehouse_name: String,
    /// YYYY-MM-DD.
    pub delivery_date: String,
    /// open, closed.
    pub status: String,
    pub note: String,
    /// Σ quantity × unit price, fen.
    pub total_fen: i64,
    pub created_by: i64,
    pub created_by_name: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub close_reason: String,
}

impl From<OrderRecord> for PurchaseOrder {
    fn from(o: OrderRecord) -> Self {
        PurchaseOrder {
            id: o.id,
            number: o.number,
            supplier_id: o.supplier_id,
            supplier_name: o.supplier_name,
            warehouse_id: o.warehouse_id,
            warehouse_name: o.warehouse_name,
            delivery_date: o.delivery_date,
            status: o.status,
            note: o.note,
            total_fen: o.total_fen,
            created_by: o.created_by,
            created_by_name: o.created_by_name,
            created_at: ts(o.created_at_ms),
            closed_at: o.closed_at_ms.map(ts),
            close_reason: o.close_reason,
        }
    }
}

/// What one line orders and how much of it has come.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PurchaseOrderLine {
    pub line_no: i64,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub unit: String,
    /// none, serial, lot: what a receipt records.
    pub tracking: String,
    pub spec: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub quality_standard: String,
    pub received_qty: i64,
    pub accepted_qty: i64,
    /// Still expected: quantity − accepted.
    pub outstanding_qty: i64,
}

impl From<OrderLineRecord> for PurchaseOrderLine {
    fn from(l: OrderLineRecord) -> Self {
        PurchaseOrderLine {
            outstanding_qty: outstanding(l.quantity, l.accepted_qty),
            line_no: l.line_no,
            part_id: l.part_id,
            part_code: l.part_code,
            part_name: l.part_name,
            unit: l.unit,
            tracking: l.tracking,
            spec: l.spec,
            quantity: l.quantity,
            unit_price_fen: l.unit_price_fen,
            quality_standard: l.quality_standard,
            received_qty: l.received_qty,
            accepted_qty: l.accepted_qty,
        }
    }
}

/// One line of an acceptance record.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AcceptanceLine {
    pub line_no: i64,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub received_qty: i64,
    pub accepted_qty: i64,
    /// The lot, or the accepted units' serials.
    pub trace: String,
    pub reject_reason: String,
    /// The receipt movement of the accepted units.
    pub movement_id: Option<i64>,
}

impl From<ReceiptLineRecord> for AcceptanceLine {
    fn from(l: ReceiptLineRecord) -> Self {
        AcceptanceLine {
            line_no: l.line_no,
            part_id: l.part_id,
            part_code: l.part_code,
            part_name: l.part_name,
            received_qty: l.received_qty,
            accepted_qty: l.accepted_qty,
            trace: l.trace,
            reject_reason: l.reject_reason,
            movement_id: l.movement_id,
        }
    }
}

/// A delivery against the order with its acceptance record (验收记录).
#[derive(Serialize, utoipa::ToSchema)]
pub struct PurchaseReceipt {
    pub id: i64,
    pub inspector_id: i64,
    pub inspector_name: String,
    pub note: String,
    pub received_by: i64,
    pub received_by_name: String,
    pub received_at: String,
    pub lines: Vec<AcceptanceLine>,
}

impl From<ReceiptView> for PurchaseReceipt {
    fn from(v: ReceiptView) -> Self {
        let r = v.receipt;
        PurchaseReceipt {
            id: r.id,
            inspector_id: r.inspector_id,
            inspector_name: r.inspector_name,
            note: r.note,
            received_by: r.received_by,
            received_by_name: r.received_by_name,
            received_at: ts(r.received_at_ms),
            lines: v.lines.into_iter().map(Into::into).collect(),
        }
    }
}

/// An order with its lines and receipts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PurchaseOrderDetail {
    pub order: PurchaseOrder,
    pub lines: Vec<PurchaseOrderLine>,
    pub receipts: Vec<PurchaseReceipt>,
}

impl From<OrderView> for PurchaseOrderDetail {
    fn from(v: OrderView) -> Self {
        PurchaseOrderDetail {
            order: v.order.into(),
            lines: v.lines.into_iter().map(Into::into).collect(),
            receipts: v.receipts.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// A supplier approved in first-time review (PRD-3).
    pub supplier_id: i64,
    /// Central or regional stock.
    pub warehouse_id: i64,
    /// YYYY-MM-DD, today or later.
    pub delivery_date: String,
    #[serde(default)]
    pub note: String,
    /// 1–100 lines, one per part.
    pub lines: Vec<OrderLineBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLineBody {
    pub part_id: i64,
    /// The part's own spec when not given.
    #[serde(default)]
    pub spec: String,
    /// 1–1000000.
    pub quantity: i64,
    /// 0–1000000000.
    pub unit_price_fen: i64,
    /// The standard the goods are accepted against (e.g. GB 9706.1-2020).
    pub quality_standard: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    /// Who inspected (quality or warehouse); the caller when not given.
    #[serde(default)]
    pub inspector_id: Option<i64>,
    #[serde(default)]
    pub note: String,
    pub lines: Vec<ReceiptLineBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLineBody {
    pub line_no: i64,
    /// 1 to what is outstanding.
    pub received_qty: i64,
    /// 0 to received.
    pub accepted_qty: i64,
    /// The lot number, or one serial per accepted unit (comma-separated), where tracked.
    #[serde(default)]
    pub trace: String,
    /// Required when fewer are accepted than received.
    #[serde(default)]
    pub reject_reason: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    pub reason: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderListQuery {
    /// open, closed.
    pub status: Option<String>,
    pub supplier_id: Option<i64>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// PRT-5: purchase orders, newest first.
#[utoipa::path(get, path = "/api/v1/purchase-orders", tag = "parts", security(("bearer" = [])),
    params(OrderListQuery),
    responses((status = 200, body = Page<PurchaseOrder>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_orders(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<OrderListQuery>,
) -> Result<Json<Page<PurchaseOrder>>, ApiError> {
    let query = OrderQuery {
        status: q.status,
        supplier_id: q.supplier_id,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    let page = s.app.purchase_orders(&ctx, query).await?;
    Ok(Json(Page::from(page, PurchaseOrder::from)))
}

/// PRT-5: an order to a qualified supplier (422 `supplier_not_qualified` otherwise).
#[utoipa::path(post, path = "/api/v1/purchase-orders", tag = "parts", security(("bearer" = [])),
    request_body = OrderBody,
    responses((status = 201, body = PurchaseOrderDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_order(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<OrderBody>,
) -> Result<(StatusCode, Json<PurchaseOrderDetail>), ApiError> {
    let input = OrderInput {
        supplier_id: b.supplier_id,
        warehouse_id: b.warehouse_id,
        delivery_date: b.delivery_date,
        note: b.note,
        lines: b
            .lines
            .into_iter()
            .map(|l| OrderLineInput {
                part_id: l.part_id,
                spec: l.spec,
                quantity: l.quantity,
                unit_price_fen: l.unit_price_fen,
                quality_standard: l.quality_standard,
            })
            .collect(),
    };
    let v = s.app.create_purchase_order(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// PRT-5: an order with its lines and receipts.
#[utoipa::path(get, path = "/api/v1/purchase-orders/{id}", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PurchaseOrderDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_order(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PurchaseOrderDetail>, ApiError> {
    Ok(Json(s.app.purchase_order(&ctx, id).await?.into()))
}

/// PRT-5: a delivery with its acceptance record; accepted units enter stock. More than is
/// outstanding → 422 `over_ordered`; a closed order → 409.
#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/receipts", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReceiptBody,
    responses((status = 201, body = PurchaseOrderDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReceiptBody>,
) -> Result<(StatusCode, Json<PurchaseOrderDetail>), ApiError> {
    let input = ReceiptInput {
        inspector_id: b.inspector_id,
        note: b.note,
        lines: b
            .lines
            .into_iter()
            .map(|l| ReceiptLineInput {
                line_no: l.line_no,
                received_qty: l.received_qty,
                accepted_qty: l.accepted_qty,
                trace: l.trace,
                reject_reason: l.reject_reason,
            })
            .collect(),
    };
    let v = s.app.receive_purchase_order(&ctx, id, input).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// PRT-5: closes an open order short, with the reason; 409 when closed already.
#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/close", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CloseBody,
    responses((status = 200, body = PurchaseOrderDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CloseBody>,
) -> Result<Json<PurchaseOrderDetail>, ApiError> {
    Ok(Json(
        s.app
            .close_purchase_order(&ctx, id, &b.reason)
            .await?
            .into(),
    ))
}
