//! ORD: orders, deliveries, the installed base, GSP sales records and the recall trace.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::deliveries::{
    Correction, DeliveryDetail, DeviceDetail, DeviceInput, DeviceQuery, DeviceRecord, GspQuery,
    GspRecord, ItemInput, ItemRecord, OrderDetail, OrderInput, OrderLineInput, OrderQuery,
    OrderRecord, ShipInput, TraceInput, TraceResult,
};
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::imports::Format;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::imports::send_table;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrderLine {
    pub id: i64,
    /// The contract line called off.
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub model: String,
    pub unit: String,
    pub serialized: bool,
    pub quantity: i64,
    pub delivered_qty: i64,
    pub unit_price_fen: i64,
    pub unit_price: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Order {
    pub id: i64,
    /// DD-2026-000001.
    pub number: String,
    pub contract_id: i64,
    pub contract_number: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub requested_date: String,
    /// open, partially_delivered, delivered, cancelled.
    pub status: String,
    pub note: String,
    pub created_by: i64,
    pub created_at: String,
    /// Only on a single order.
    pub lines: Option<Vec<OrderLine>>,
    pub deliveries: Option<Vec<Delivery>>,
}

impl From<OrderRecord> for Order {
    fn from(o: OrderRecord) -> Self {
        Order {
            id: o.id,
            number: o.number,
            contract_id: o.contract_id,
            contract_number: o.contract_number,
            institution_id: o.institution_id,
            institution_name: o.institution_name,
            owner_id: o.owner_id,
            region_id: o.region_id,
            requested_date: o.requested_date,
            status: o.status,
            note: o.note,
            created_by: o.created_by,
            created_at: ts(o.created_at_ms),
            lines: None,
            deliveries: None,
        }
    }
}

impl From<OrderDetail> for Order {
    fn from(d: OrderDetail) -> Self {
        let lines = d
            .lines
            .into_iter()
            .map(|l| OrderLine {
                id: l.id,
                line_no: l.line_no,
                product_id: l.product_id,
                product_code: l.product_code,
                product_name: l.product_name,
                model: l.model,
                unit: l.unit,
                serialized: l.serialized,
                quantity: l.quantity,
                delivered_qty: l.delivered_qty,
                unit_price: format_yuan(l.unit_price_fen),
                unit_price_fen: l.unit_price_fen,
            })
            .collect();
        let deliveries = d
            .deliveries
            .into_iter()
            .map(|r| {
                Delivery::from(DeliveryDetail {
                    record: r,
                    items: Vec::new(),
                })
            })
            .collect();
        Order {
            lines: Some(lines),
            deliveries: Some(deliveries),
            ..Order::from(d.record)
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderListQuery {
    pub status: Option<String>,
    pub contract_id: Option<i64>,
    pub institution_id: Option<i64>,
    /// Part of the order's or contract's number or the customer's name.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// ORD-1: orders in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])), params(OrderListQuery),
    responses((status = 200, body = Page<Order>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_orders(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<OrderListQuery>,
) -> Result<Json<Page<Order>>, ApiError> {
    let query = OrderQuery {
        status: q.status,
        contract_id: q.contract_id,
        institution_id: q.institution_id,
        query: q.q,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    let page = s.app.orders(&ctx, &query).await?;
    Ok(Json(Page::from(page, Order::from)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderLine {
    /// The contract line (of the version in force) to call off.
    pub line_no: i64,
    pub quantity: i64,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    pub contract_id: i64,
    /// YYYY-MM-DD: when the customer wants the goods.
    pub requested_date: String,
    #[serde(default)]
    pub note: String,
    pub lines: Vec<NewOrderLine>,
}

/// ORD-1: call off quantities of a signed (or in-execution) contract. 422
/// `contract_not_signed` otherwise; 422 `over_ordered` naming the line when the orders would
/// exceed the contract's quantity.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])), request_body = NewOrder,
    responses((status = 201, body = Order), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_order(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewOrder>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    let input = OrderInput {
        contract_id: b.contract_id,
        requested_date: b.requested_date,
        note: b.note,
        lines: b
            .lines
            .into_iter()
            .map(|l| OrderLineInput {
                line_no: l.line_no,
                quantity: l.quantity,
            })
            .collect(),
    };
    let d = s.app.create_order(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// ORD-1: an order with its lines and deliveries.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_order(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(s.app.order(&ctx, id).await?.into()))
}

/// ORD-1: cancel an open order nothing was shipped against (409 otherwise).
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel_order(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(s.app.cancel_order(&ctx, id).await?.into()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Item {
    pub id: i64,
    pub order_line_id: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub model: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub unit_price: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    /// The scanned GS1 string.
    pub udi: Option<String>,
    /// Its device identifier (GTIN-14).
    pub udi_di: Option<String>,
    pub production_date: Option<String>,
    pub expiry_date: Option<String>,
}

impl From<ItemRecord> for Item {
    fn from(i: ItemRecord) -> Self {
        Item {
            id: i.id,
            order_line_id: i.order_line_id,
            product_id: i.product_id,
            product_code: i.product_code,
            product_name: i.product_name,
            model: i.model,
            unit: i.unit,
            quantity: i.quantity,
            unit_price: format_yuan(i.unit_price_fen),
            unit_price_fen: i.unit_price_fen,
            lot: i.lot,
            serial: i.serial,
            udi: i.udi,
            udi_di: i.udi_di,
            production_date: i.production_date,
            expiry_date: i.expiry_date,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i64,
    /// FH-2026-000001.
    pub number: String,
    pub order_id: i64,
    pub order_number: String,
    pub contract_id: i64,
    pub contract_number: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub address: String,
    pub ship_date: String,
    pub received_date: Option<String>,
    /// PRD-5.
    pub manual_provided: bool,
    pub label_provided: bool,
    pub certificate_provided: bool,
    /// shipped, received.
    pub status: String,
    pub created_by: i64,
    pub created_at: String,
    pub items: Vec<Item>,
}

impl From<DeliveryDetail> for Delivery {
    fn from(d: DeliveryDetail) -> Self {
        let r = d.record;
        Delivery {
            id: r.id,
            number: r.number,
            order_id: r.order_id,
            order_number: r.order_number,
            contract_id: r.contract_id,
            contract_number: r.contract_number,
            institution_id: r.institution_id,
            institution_name: r.institution_name,
            department_id: r.department_id,
            department_name: r.department_name,
            contact_id: r.contact_id,
            contact_name: r.contact_name,
            address: r.address,
            ship_date: r.ship_date,
            received_date: r.received_date,
            manual_provided: r.manual_provided,
            label_provided: r.label_provided,
            certificate_provided: r.certificate_provided,
            status: r.status,
            created_by: r.created_by,
            created_at: ts(r.created_at_ms),
            items: d.items.into_iter().map(Item::from).collect(),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    pub order_line_id: i64,
    /// 1 for a serialized product (one item per serial).
    #[serde(default = "one")]
    pub quantity: i64,
    pub lot: Option<String>,
    pub serial: Option<String>,
    /// YYYY-MM-DD.
    pub production_date: Option<String>,
    pub expiry_date: Option<String>,
    /// A GS1 UDI as scanned (raw with GS separators, or `(01)…(17)…(10)…(21)…`): fills the
    /// fields left out; those given must agree with it.
    pub udi: Option<String>,
}

fn one() -> i64 {
    1
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDelivery {
    pub order_id: i64,
    /// YYYY-MM-DD, not in the future.
    pub ship_date: String,
    pub department_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// Empty: the customer's address.
    pub address: Option<String>,
    /// PRD-5: every one must be true, else 422 `documents_missing`.
    pub manual_provided: bool,
    pub label_provided: bool,
    pub certificate_provided: bool,
    pub items: Vec<NewItem>,
}

impl From<NewItem> for ItemInput {
    fn from(i: NewItem) -> Self {
        ItemInput {
            order_line_id: i.order_line_id,
            quantity: i.quantity,
            lot: i.lot,
            serial: i.serial,
            production_date: i.production_date,
            expiry_date: i.expiry_date,
            udi: i.udi,
        }
    }
}

/// ORD-1/2/3, PRD-2/5: the warehouse ships (part of) an order. 422 `documents_missing`
/// (PRD-5), `not_sellable` (a certificate or licence invalid on the ship date, with which and
/// when), `udi_invalid` (with the reason), `over_delivered`; 409 for a serial already
/// delivered.
#[utoipa::path(post, path = "/api/v1/deliveries", tag = "orders", security(("bearer" = [])), request_body = NewDelivery,
    responses((status = 201, body = Delivery), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ship(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewDelivery>,
) -> Result<(StatusCode, Json<Delivery>), ApiError> {
    let input = ShipInput {
        order_id: b.order_id,
        ship_date: b.ship_date,
        department_id: b.department_id,
        contact_id: b.contact_id,
        address: b.address,
        manual_provided: b.manual_provided,
        label_provided: b.label_provided,
        certificate_provided: b.certificate_provided,
        items: b.items.into_iter().map(ItemInput::from).collect(),
    };
    let d = s.app.ship(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// ORD-1: a delivery with its items.
#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Delivery), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_delivery(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Delivery>, ApiError> {
    Ok(Json(s.app.delivery(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// YYYY-MM-DD, between the ship date and today.
    pub received_date: String,
}

/// ORD-1: the customer received the goods (sales or the warehouse).
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/receipt", tag = "orders", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Receipt,
    responses((status = 200, body = Delivery), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receipt(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Receipt>,
) -> Result<Json<Delivery>, ApiError> {
    Ok(Json(
        s.app
            .confirm_receipt(&ctx, id, &b.received_date)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UdiText {
    pub udi: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UdiFields {
    /// The device identifier (GTIN-14, check digit verified).
    pub gtin: String,
    pub production_date: Option<String>,
    pub expiry_date: Option<String>,
    pub lot: Option<String>,
    pub serial: Option<String>,
}

/// ORD-1: read a scanned GS1 UDI (the delivery form's scan field). 422 `udi_invalid` with the
/// exact reason: unknown AI, bad check digit, bad date, too long, missing GTIN, duplicate AI.
#[utoipa::path(post, path = "/api/v1/udi/parse", tag = "orders", security(("bearer" = [])), request_body = UdiText,
    responses((status = 200, body = UdiFields), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn parse_udi(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<UdiText>,
) -> Result<Json<UdiFields>, ApiError> {
    let u = s.app.read_udi(&ctx, &b.udi)?;
    Ok(Json(UdiFields {
        gtin: u.gtin,
        production_date: u.production_date.map(|d| d.to_string()),
        expiry_date: u.expiry_date.map(|d| d.to_string()),
        lot: u.lot,
        serial: u.serial,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Device {
    pub id: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub model: String,
    pub serial: String,
    pub lot: Option<String>,
    pub udi: Option<String>,
    pub institution_id: i64,
    pub institution_name: String,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub contract_id: Option<i64>,
    pub contract_number: Option<String>,
    pub delivery_id: Option<i64>,
    pub delivery_number: Option<String>,
    pub delivered_on: String,
    pub installed_on: Option<String>,
    pub warranty_end: Option<String>,
    /// delivered, installed, under_repair, retired.
    pub status: String,
    /// in_warranty, expired, unknown (only on a single device).
    pub warranty: Option<String>,
    pub warranty_months: Option<i64>,
}

impl From<DeviceRecord> for Device {
    fn from(d: DeviceRecord) -> Self {
        Device {
            id: d.id,
            product_id: d.product_id,
            product_code: d.product_code,
            product_name: d.product_name,
            model: d.model,
            serial: d.serial,
            lot: d.lot,
            udi: d.udi,
            institution_id: d.institution_id,
            institution_name: d.institution_name,
            department_id: d.department_id,
            department_name: d.department_name,
            contact_id: d.contact_id,
            contact_name: d.contact_name,
            contract_id: d.contract_id,
            contract_number: d.contract_number,
            delivery_id: d.delivery_id,
            delivery_number: d.delivery_number,
            delivered_on: d.delivered_on,
            installed_on: d.installed_on,
            warranty_end: d.warranty_end,
            status: d.status,
            warranty: None,
            warranty_months: None,
        }
    }
}

impl From<DeviceDetail> for Device {
    fn from(d: DeviceDetail) -> Self {
        Device {
            warranty: Some(d.warranty.code().to_owned()),
            warranty_months: d.warranty_months,
            ..Device::from(d.record)
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceListQuery {
    /// Part of the serial, the product's code or name, or the customer's name.
    pub q: Option<String>,
    pub product_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// ORD-2: the installed base in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/devices", tag = "installed base", security(("bearer" = [])), params(DeviceListQuery),
    responses((status = 200, body = Page<Device>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_devices(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<DeviceListQuery>,
) -> Result<Json<Page<Device>>, ApiError> {
    let query = DeviceQuery {
        query: q.q,
        product_id: q.product_id,
        institution_id: q.institution_id,
        status: q.status,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    let page = s.app.devices(&ctx, &query).await?;
    Ok(Json(Page::from(page, Device::from)))
}

/// ORD-2: one device with its delivery, contract and warranty state. Its service history is
/// `GET /api/v1/tickets?device_id=`.
#[utoipa::path(get, path = "/api/v1/devices/{id}", tag = "installed base", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Device), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_device(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Device>, ApiError> {
    Ok(Json(s.app.device(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePatch {
    /// YYYY-MM-DD; the warranty then runs from it. Empty clears it.
    pub installed_on: Option<String>,
    /// A department of the device's customer.
    pub department_id: Option<i64>,
    /// delivered, installed, under_repair, retired.
    pub status: Option<String>,
}

/// ORD-2: installation date (recomputes the warranty end), department, status.
#[utoipa::path(patch, path = "/api/v1/devices/{id}", tag = "installed base", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DevicePatch,
    responses((status = 200, body = Device), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_device(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DevicePatch>,
) -> Result<Json<Device>, ApiError> {
    let input = DeviceInput {
        installed_on: b.installed_on,
        department_id: b.department_id.map(Some),
        status: b.status,
    };
    Ok(Json(s.app.update_device(&ctx, id, input).await?.into()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SalesRecord {
    pub id: i64,
    pub delivery_item_id: Option<i64>,
    /// The record this one corrects.
    pub corrects_id: Option<i64>,
    /// The record that corrects this one.
    pub corrected_by: Option<i64>,
    pub correction_reason: String,
    pub product_id: i64,
    pub product_name: String,
    pub model: String,
    pub registration_no: String,
    pub manufacturer: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub production_date: Option<String>,
    pub expiry_date: Option<String>,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub unit_price: String,
    pub buyer_id: i64,
    pub buyer_name: String,
    pub buyer_address: String,
    pub buyer_contact: String,
    pub sale_date: String,
    pub implantable: bool,
    /// Kept until this day; null: forever (implantable).
    pub retain_until: Option<String>,
    pub created_by: i64,
    pub created_at: String,
}

impl From<GspRecord> for SalesRecord {
    fn from(g: GspRecord) -> Self {
        SalesRecord {
            id: g.id,
            delivery_item_id: g.delivery_item_id,
            corrects_id: g.corrects_id,
            corrected_by: g.corrected_by,
            correction_reason: g.correction_reason,
            product_id: g.product_id,
            product_name: g.product_name,
            model: g.model,
            registration_no: g.registration_no,
            manufacturer: g.manufacturer,
            lot: g.lot,
            serial: g.serial,
            production_date: g.production_date,
            expiry_date: g.expiry_date,
            quantity: g.quantity,
            unit_price: format_yuan(g.unit_price_fen),
            unit_price_fen: g.unit_price_fen,
            buyer_id: g.buyer_id,
            buyer_name: g.buyer_name,
            buyer_address: g.buyer_address,
            buyer_contact: g.buyer_contact,
            sale_date: g.sale_date,
            implantable: g.implantable,
            retain_until: g.retain_until,
            created_by: g.created_by,
            created_at: ts(g.created_at_ms),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SalesRecordQuery {
    /// First sale date, YYYY-MM-DD.
    pub from: Option<String>,
    /// Last sale date, YYYY-MM-DD.
    pub to: Option<String>,
    pub product_id: Option<i64>,
    pub buyer_id: Option<i64>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// ORD-3: sales records of a period in the caller's scope, newest first. They cannot be
/// deleted or changed: there is no such endpoint.
#[utoipa::path(get, path = "/api/v1/sales-records", tag = "sales records", security(("bearer" = [])),
    params(SalesRecordQuery),
    responses((status = 200, body = Page<SalesRecord>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_sales_records(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<SalesRecordQuery>,
) -> Result<Json<Page<SalesRecord>>, ApiError> {
    let query = GspQuery {
        from: q.from,
        to: q.to,
        product_id: q.product_id,
        buyer_id: q.buyer_id,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    let page = s.app.sales_records(&ctx, &query).await?;
    Ok(Json(Page::from(page, SalesRecord::from)))
}

/// ORD-3: one sales record.
#[utoipa::path(get, path = "/api/v1/sales-records/{id}", tag = "sales records", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = SalesRecord), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_sales_record(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SalesRecord>, ApiError> {
    Ok(Json(s.app.sales_record(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NewCorrection {
    /// Why the original was wrong (required).
    pub reason: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub production_date: Option<String>,
    pub expiry_date: Option<String>,
    pub quantity: Option<i64>,
    /// Yuan.
    pub unit_price: Option<String>,
    pub registration_no: Option<String>,
    pub buyer_address: Option<String>,
    pub buyer_contact: Option<String>,
}

/// ORD-3: correct a record (quality): a new record pointing at it; the original stays. 409
/// when it was corrected already (correct the correction).
#[utoipa::path(post, path = "/api/v1/sales-records/{id}/corrections", tag = "sales records", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewCorrection,
    responses((status = 201, body = SalesRecord), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn correct_sales_record(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewCorrection>,
) -> Result<(StatusCode, Json<SalesRecord>), ApiError> {
    let c = Correction {
        lot: b.lot,
        serial: b.serial,
        production_date: b.production_date,
        expiry_date: b.expiry_date,
        quantity: b.quantity,
        unit_price: b.unit_price,
        registration_no: b.registration_no,
        buyer_address: b.buyer_address,
        buyer_contact: b.buyer_contact,
        reason: b.reason,
    };
    let r = s.app.correct_sales_record(&ctx, id, c).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// YYYY-MM-DD.
    pub from: String,
    /// YYYY-MM-DD.
    pub to: String,
}

/// ORD-3: the inspector's Excel export of a period: every field, Chinese headers, oldest
/// first, corrections with what they correct, and the retention date.
#[utoipa::path(get, path = "/api/v1/sales-records/export.xlsx", tag = "sales records", security(("bearer" = [])),
    params(Period),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The sales records of the period"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_sales_records(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<Period>,
) -> Result<Response, ApiError> {
    let table = s.app.export_sales_records(&ctx, &q.from, &q.to).await?;
    let name = format!("sales-records-{}-{}", q.from, q.to);
    send_table(table, Format::Xlsx, &name).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TraceQuery {
    pub product_id: i64,
    /// A lot; or give serial_from and serial_to instead.
    pub lot: Option<String>,
    /// First serial of a range: both bounds have the same length and serials of that length
    /// are compared character by character (zero-pad numbers: 0001–0150).
    pub serial_from: Option<String>,
    pub serial_to: Option<String>,
}

impl From<TraceQuery> for TraceInput {
    fn from(q: TraceQuery) -> Self {
        TraceInput {
            product_id: q.product_id,
            lot: q.lot,
            serial_from: q.serial_from,
            serial_to: q.serial_to,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TraceHit {
    /// device (an installed serialized device) or item (a delivery item of a lot).
    pub kind: String,
    pub device_id: Option<i64>,
    pub delivery_item_id: Option<i64>,
    pub delivery_id: Option<i64>,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub quantity: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub institution_address: String,
    pub department_name: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub delivered_on: String,
    pub device_status: Option<String>,
    /// Numbers of the device's open service tickets.
    pub open_tickets: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Trace {
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    /// Affected customers.
    pub institutions: usize,
    pub hits: Vec<TraceHit>,
}

impl From<TraceResult> for Trace {
    fn from(t: TraceResult) -> Self {
        let tickets: Vec<Vec<String>> = t.rows.iter().map(|r| t.tickets_of(r.device_id)).collect();
        Trace {
            product_id: t.product.id,
            product_code: t.product.code,
            product_name: t.product.name,
            institutions: t.institutions,
            hits: t
                .rows
                .into_iter()
                .zip(tickets)
                .map(|(r, open_tickets)| TraceHit {
                    open_tickets,
                    kind: r.kind,
                    device_id: r.device_id,
                    delivery_item_id: r.delivery_item_id,
                    delivery_id: r.delivery_id,
                    lot: r.lot,
                    serial: r.serial,
                    quantity: r.quantity,
                    institution_id: r.institution_id,
                    institution_name: r.institution_name,
                    institution_address: r.institution_address,
                    department_name: r.department_name,
                    contact_name: r.contact_name,
                    contact_phone: r.contact_phone,
                    delivered_on: r.delivered_on,
                    device_status: r.device_status,
                })
                .collect(),
        }
    }
}

/// ORD-4: every customer, department, contact and device a lot or serial range reached.
#[utoipa::path(get, path = "/api/v1/trace", tag = "sales records", security(("bearer" = [])), params(TraceQuery),
    responses((status = 200, body = Trace), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn trace(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<TraceQuery>,
) -> Result<Json<Trace>, ApiError> {
    Ok(Json(s.app.trace(&ctx, &q.into()).await?.into()))
}

/// ORD-4: the trace as an Excel sheet (Chinese headers).
#[utoipa::path(get, path = "/api/v1/trace.xlsx", tag = "sales records", security(("bearer" = [])), params(TraceQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The affected customers"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn trace_xlsx(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<TraceQuery>,
) -> Result<Response, ApiError> {
    let table = s.app.export_trace(&ctx, &q.into()).await?;
    send_table(table, Format::Xlsx, "trace").await
}
