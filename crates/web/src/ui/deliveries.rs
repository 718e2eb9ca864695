//! ORD pages: orders off a contract (ORD-1), the delivery form with its UDI scan field and the
//! printable delivery note with the PRD-5 documents, the installed base (ORD-2), the GSP sales
//! records with corrections and the inspector's export (ORD-3), and the recall trace (ORD-4).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::Ctx;
use medcrm_app::customers::today;
use medcrm_app::deliveries::{
    Correction, DeliveryDetail, DeviceDetail, DeviceInput, DeviceQuery, DeviceRecord, GspQuery,
    GspRecord, ItemInput, OrderDetail, OrderForm, OrderInput, OrderLineInput, OrderQuery,
    OrderRecord, ShipInput, TraceInput, TraceResult,
};
use medcrm_app::domain::deliveries::{DeviceStatus, OrderStatus};
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::imports::Format;
use medcrm_app::policy::{self, Action};
use medcrm_app::products::ProductQuery;
use medcrm_app::service::{TicketQuery, TicketRecord};
use serde::Deserialize;

use crate::AppState;
use crate::api::imports::download;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::audit::urlencode;
use crate::ui::{FieldErrors, FormData, PageCtx, Shell, after_post, field_errors, render};

/// Item rows the delivery form offers at least.
const MIN_ITEM_ROWS: usize = 5;

fn may(ctx: &Ctx, action: Action) -> bool {
    policy::scope(&ctx.actor, action).is_some()
}

fn id_of(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

// ---- ORD-1: orders ----

#[derive(Deserialize)]
pub struct OrdersQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub cursor: Option<i64>,
}

#[derive(Template)]
#[template(path = "deliveries/orders.html")]
struct OrdersPage {
    t: Lang,
    shell: Shell,
    q: String,
    status: String,
    statuses: Vec<&'static str>,
    rows: Vec<OrderRecord>,
    next: Option<String>,
}

pub async fn orders(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> Result<Response, UiError> {
    let status = q.status.filter(|s| !s.is_empty());
    let query = OrderQuery {
        status: status.clone(),
        query: q.q.clone(),
        cursor: q.cursor,
        ..Default::default()
    };
    let page = s.app.orders(&ctx, &query).await?;
    let q_text = q.q.unwrap_or_default();
    let status = status.unwrap_or_default();
    let next = page.next_cursor.map(|c| {
        format!(
            "/orders?q={}&status={}&cursor={c}",
            urlencode(&q_text),
            urlencode(&status)
        )
    });
    render(
        StatusCode::OK,
        &OrdersPage {
            t: p.t,
            shell: p.shell(&ctx),
            q: q_text,
            status,
            statuses: OrderStatus::ALL.iter().map(|s| s.code()).collect(),
            rows: page.items,
            next,
        },
    )
}

#[derive(Deserialize)]
pub struct NewOrderQuery {
    pub contract_id: i64,
}

#[derive(Template)]
#[template(path = "deliveries/order_form.html")]
struct OrderFormPage {
    t: Lang,
    shell: Shell,
    form: OrderForm,
    requested_date: String,
    note: String,
    /// Quantity typed per line, in line order.
    typed: Vec<String>,
    errors: FieldErrors,
}

async fn order_form(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    contract_id: i64,
    typed: Option<&FormData>,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let form = s.app.order_form(ctx, contract_id).await?;
    let quantities = typed.map(|f| f.all("quantity")).unwrap_or_default();
    let page = OrderFormPage {
        t: p.t,
        shell: p.shell(ctx),
        typed: (0..form.lines.len())
            .map(|i| quantities.get(i).cloned().unwrap_or_default())
            .collect(),
        requested_date: typed.map_or_else(|| today().to_string(), |f| f.get("requested_date")),
        note: typed.map(|f| f.get("note")).unwrap_or_default(),
        form,
        errors,
    };
    render(status, &page)
}

pub async fn new_order(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<NewOrderQuery>,
) -> Result<Response, UiError> {
    order_form(
        &s,
        &ctx,
        &p,
        StatusCode::OK,
        q.contract_id,
        None,
        FieldErrors::new(),
    )
    .await
}

pub async fn create_order(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let contract_id = id_of(&form.get("contract_id")).unwrap_or(0);
    let lines = form
        .all("line_no")
        .iter()
        .zip(form.all("quantity"))
        .filter_map(|(no, qty)| {
            let quantity = qty.trim();
            (!quantity.is_empty()).then(|| OrderLineInput {
                line_no: id_of(no).unwrap_or(0),
                // A non-number is refused by the quantity check with the line's position.
                quantity: quantity.parse().unwrap_or(0),
            })
        })
        .collect();
    let input = OrderInput {
        contract_id,
        requested_date: form.get("requested_date"),
        note: form.get("note"),
        lines,
    };
    let result = s.app.create_order(&ctx, input).await;
    after_post(
        result,
        |d| format!("/orders/{}", d.record.id),
        |status, errors| order_form(&s, &ctx, &p, status, contract_id, Some(&form), errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "deliveries/order.html")]
struct OrderPage {
    t: Lang,
    shell: Shell,
    detail: OrderDetail,
    /// `(line no, product, quantity, delivered, unit price, amount)`.
    lines: Vec<(i64, String, i64, i64, String, String)>,
    can_cancel: bool,
    can_ship: bool,
    errors: FieldErrors,
}

async fn order_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    id: i64,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let d = s.app.order(ctx, id).await?;
    let open = d.record.status == OrderStatus::Open.code();
    let ships = d
        .record
        .status
        .parse::<OrderStatus>()
        .is_ok_and(OrderStatus::ships);
    let lines = d
        .lines
        .iter()
        .map(|l| {
            (
                l.line_no,
                format!("{} {} {}", l.product_code, l.product_name, l.model),
                l.quantity,
                l.delivered_qty,
                format_yuan(l.unit_price_fen),
                format_yuan(l.unit_price_fen.saturating_mul(l.quantity)),
            )
        })
        .collect();
    let page = OrderPage {
        t: p.t,
        shell: p.shell(ctx),
        can_cancel: open && d.deliveries.is_empty() && may(ctx, Action::ManageOrders),
        can_ship: ships && may(ctx, Action::ShipDeliveries),
        lines,
        detail: d,
        errors,
    };
    render(status, &page)
}

pub async fn order(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    order_page(&s, &ctx, &p, StatusCode::OK, id, FieldErrors::new()).await
}

pub async fn cancel_order(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let result = s.app.cancel_order(&ctx, id).await;
    after_post(
        result,
        |_| format!("/orders/{id}"),
        |status, errors| order_page(&s, &ctx, &p, status, id, errors),
    )
    .await
}

// ---- ORD-1, PRD-5: the delivery form and the delivery note ----

#[derive(Deserialize)]
pub struct NewDeliveryQuery {
    pub order_id: i64,
}

/// One item row as typed.
#[derive(Default, Clone)]
struct ItemValues {
    line: String,
    quantity: String,
    lot: String,
    serial: String,
    production_date: String,
    expiry_date: String,
    udi: String,
}

#[derive(Template)]
#[template(path = "deliveries/delivery_form.html")]
struct DeliveryForm {
    t: Lang,
    shell: Shell,
    order: OrderDetail,
    ship_date: String,
    address: String,
    documents: [bool; 3],
    items: Vec<ItemValues>,
    errors: FieldErrors,
}

fn typed_items(f: &FormData) -> Vec<ItemValues> {
    let column = |k: &str| f.all(k);
    let (lines, qty, lots, serials) = (
        column("order_line_id"),
        column("item_quantity"),
        column("lot"),
        column("serial"),
    );
    let (made, expires, udis) = (
        column("production_date"),
        column("expiry_date"),
        column("udi"),
    );
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    (0..lines.len())
        .map(|i| ItemValues {
            line: at(&lines, i),
            quantity: at(&qty, i),
            lot: at(&lots, i),
            serial: at(&serials, i),
            production_date: at(&made, i),
            expiry_date: at(&expires, i),
            udi: at(&udis, i),
        })
        .collect()
}

/// Rows with something typed into them.
fn filled(items: &[ItemValues]) -> impl Iterator<Item = &ItemValues> {
    items.iter().filter(|v| {
        [
            &v.lot,
            &v.serial,
            &v.udi,
            &v.production_date,
            &v.expiry_date,
        ]
        .iter()
        .any(|x| !x.trim().is_empty())
    })
}

/// The server's reading of each scanned UDI fills the row's blank fields (the "read" button).
fn read_scans(s: &AppState, ctx: &Ctx, items: &mut [ItemValues]) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for (i, v) in items.iter_mut().enumerate() {
        if v.udi.trim().is_empty() {
            continue;
        }
        match s.app.read_udi(ctx, &v.udi) {
            Ok(u) => {
                let fill = |slot: &mut String, value: Option<String>| {
                    if slot.trim().is_empty()
                        && let Some(x) = value
                    {
                        *slot = x;
                    }
                };
                fill(&mut v.lot, u.lot);
                fill(&mut v.serial, u.serial);
                fill(
                    &mut v.production_date,
                    u.production_date.map(|d| d.to_string()),
                );
                fill(&mut v.expiry_date, u.expiry_date.map(|d| d.to_string()));
            }
            Err(e) => {
                errors.insert(format!("item {}", i + 1), e.to_string());
            }
        }
    }
    errors
}

#[allow(clippy::too_many_arguments)]
async fn delivery_form(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    order_id: i64,
    typed: Option<&FormData>,
    items: Vec<ItemValues>,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let order = s.app.order(ctx, order_id).await?;
    let mut items = items;
    let first_line = order
        .lines
        .first()
        .map(|l| l.id.to_string())
        .unwrap_or_default();
    while items.len() < MIN_ITEM_ROWS {
        items.push(ItemValues {
            line: first_line.clone(),
            quantity: "1".into(),
            ..Default::default()
        });
    }
    let checked = |k: &str| typed.is_some_and(|f| !f.get(k).is_empty());
    let page = DeliveryForm {
        t: p.t,
        shell: p.shell(ctx),
        ship_date: typed.map_or_else(|| today().to_string(), |f| f.get("ship_date")),
        address: typed.map(|f| f.get("address")).unwrap_or_default(),
        documents: [
            checked("manual_provided"),
            checked("label_provided"),
            checked("certificate_provided"),
        ],
        order,
        items,
        errors,
    };
    render(status, &page)
}

pub async fn new_delivery(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<NewDeliveryQuery>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ShipDeliveries)?;
    let errors = FieldErrors::new();
    delivery_form(
        &s,
        &ctx,
        &p,
        StatusCode::OK,
        q.order_id,
        None,
        Vec::new(),
        errors,
    )
    .await
}

pub async fn create_delivery(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let order_id = id_of(&form.get("order_id")).unwrap_or(0);
    let mut items = typed_items(&form);
    if form.get("action") == "scan" {
        let errors = read_scans(&s, &ctx, &mut items);
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return delivery_form(&s, &ctx, &p, status, order_id, Some(&form), items, errors).await;
    }
    let text = |v: &String| Some(v.clone()).filter(|x| !x.trim().is_empty());
    let input = ShipInput {
        order_id,
        ship_date: form.get("ship_date"),
        department_id: None,
        contact_id: None,
        address: text(&form.get("address")),
        manual_provided: !form.get("manual_provided").is_empty(),
        label_provided: !form.get("label_provided").is_empty(),
        certificate_provided: !form.get("certificate_provided").is_empty(),
        items: filled(&items)
            .map(|v| ItemInput {
                order_line_id: id_of(&v.line).unwrap_or(0),
                quantity: v.quantity.trim().parse().unwrap_or(0),
                lot: text(&v.lot),
                serial: text(&v.serial),
                production_date: text(&v.production_date),
                expiry_date: text(&v.expiry_date),
                udi: text(&v.udi),
            })
            .collect(),
    };
    let result = s.app.ship(&ctx, input).await;
    after_post(
        result,
        |d| format!("/deliveries/{}", d.record.id),
        |status, errors| delivery_form(&s, &ctx, &p, status, order_id, Some(&form), items, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "deliveries/delivery.html")]
struct DeliveryPage {
    t: Lang,
    d: DeliveryDetail,
    /// `(product, lot, serial, production, expiry, udi, quantity, unit price, amount)`.
    items: Vec<[String; 9]>,
    total: String,
    can_confirm: bool,
    csrf: String,
    today: String,
    errors: FieldErrors,
}

async fn delivery_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    id: i64,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let d = s.app.delivery(ctx, id).await?;
    let mut sum: i64 = 0;
    let items = d
        .items
        .iter()
        .map(|i| {
            let amount = i.unit_price_fen.saturating_mul(i.quantity);
            sum = sum.saturating_add(amount);
            let o = |v: &Option<String>| v.clone().unwrap_or_default();
            [
                format!("{} {} {}", i.product_code, i.product_name, i.model),
                o(&i.lot),
                o(&i.serial),
                o(&i.production_date),
                o(&i.expiry_date),
                o(&i.udi_di),
                format!("{} {}", i.quantity, i.unit),
                format_yuan(i.unit_price_fen),
                format_yuan(amount),
            ]
        })
        .collect();
    let can_confirm = d.record.status == "shipped"
        && (may(ctx, Action::ShipDeliveries) || may(ctx, Action::ManageOrders));
    let page = DeliveryPage {
        t: p.t,
        items,
        total: format_yuan(sum),
        can_confirm,
        csrf: p.csrf.clone(),
        today: today().to_string(),
        d,
        errors,
    };
    render(status, &page)
}

pub async fn delivery(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    delivery_page(&s, &ctx, &p, StatusCode::OK, id, FieldErrors::new()).await
}

pub async fn confirm_receipt(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let result = s
        .app
        .confirm_receipt(&ctx, id, &form.get("received_date"))
        .await;
    after_post(
        result,
        |_| format!("/deliveries/{id}"),
        |status, errors| delivery_page(&s, &ctx, &p, status, id, errors),
    )
    .await
}

// ---- ORD-2: the installed base ----

#[derive(Deserialize)]
pub struct DevicesQuery {
    pub q: Option<String>,
    pub cursor: Option<i64>,
}

#[derive(Template)]
#[template(path = "deliveries/devices.html")]
struct DevicesPage {
    t: Lang,
    shell: Shell,
    q: String,
    rows: Vec<DeviceRecord>,
    next: Option<String>,
}

pub async fn devices(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<DevicesQuery>,
) -> Result<Response, UiError> {
    let query = DeviceQuery {
        query: q.q.clone(),
        cursor: q.cursor,
        ..Default::default()
    };
    let page = s.app.devices(&ctx, &query).await?;
    let text = q.q.unwrap_or_default();
    let next = page
        .next_cursor
        .map(|c| format!("/devices?q={}&cursor={c}", urlencode(&text)));
    render(
        StatusCode::OK,
        &DevicesPage {
            t: p.t,
            shell: p.shell(&ctx),
            q: text,
            rows: page.items,
            next,
        },
    )
}

#[derive(Template)]
#[template(path = "deliveries/device.html")]
struct DevicePage {
    t: Lang,
    shell: Shell,
    detail: DeviceDetail,
    /// The scanned UDI in its human-readable form (as scanned when it no longer parses).
    udi: Option<String>,
    statuses: Vec<&'static str>,
    can_manage: bool,
    /// SVC: the device's service tickets, newest first, for those who may read tickets.
    tickets: Option<Vec<TicketRecord>>,
    errors: FieldErrors,
}

/// Service tickets shown on a device's page.
const DEVICE_TICKETS_SHOWN: i64 = 50;

async fn device_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    id: i64,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let detail = s.app.device(ctx, id).await?;
    let udi = detail.record.udi.as_deref().map(|raw| {
        medcrm_app::domain::udi::parse(raw).map_or_else(|_| raw.to_owned(), |u| u.to_string())
    });
    let tickets = if may(ctx, Action::ReadTickets) {
        let q = TicketQuery {
            device_id: Some(id),
            limit: Some(DEVICE_TICKETS_SHOWN),
            ..Default::default()
        };
        Some(s.app.tickets(ctx, q).await?.items)
    } else {
        None
    };
    let page = DevicePage {
        t: p.t,
        shell: p.shell(ctx),
        detail,
        udi,
        statuses: DeviceStatus::ALL.iter().map(|s| s.code()).collect(),
        can_manage: may(ctx, Action::ManageInstalledBase),
        tickets,
        errors,
    };
    render(status, &page)
}

pub async fn device(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    device_page(&s, &ctx, &p, StatusCode::OK, id, FieldErrors::new()).await
}

pub async fn update_device(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let input = DeviceInput {
        installed_on: Some(form.get("installed_on")),
        department_id: None,
        status: Some(form.get("status")),
    };
    let result = s.app.update_device(&ctx, id, input).await;
    after_post(
        result,
        |_| format!("/devices/{id}"),
        |status, errors| device_page(&s, &ctx, &p, status, id, errors),
    )
    .await
}

// ---- ORD-3: the sales records ----

#[derive(Deserialize)]
pub struct RecordsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub cursor: Option<i64>,
}

#[derive(Template)]
#[template(path = "deliveries/sales_records.html")]
struct RecordsPage {
    t: Lang,
    shell: Shell,
    from: String,
    to: String,
    rows: Vec<GspRecord>,
    next: Option<String>,
    can_correct: bool,
    errors: FieldErrors,
}

async fn records_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    q: RecordsQuery,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let blank = |v: Option<String>| v.filter(|x| !x.trim().is_empty());
    let query = GspQuery {
        from: blank(q.from.clone()),
        to: blank(q.to.clone()),
        cursor: q.cursor,
        ..Default::default()
    };
    let page = s.app.sales_records(ctx, &query).await?;
    let from = q.from.unwrap_or_default();
    let to = q.to.unwrap_or_default();
    let next = page.next_cursor.map(|c| {
        format!(
            "/sales-records?from={}&to={}&cursor={c}",
            urlencode(&from),
            urlencode(&to)
        )
    });
    let page = RecordsPage {
        t: p.t,
        shell: p.shell(ctx),
        from,
        to,
        rows: page.items,
        next,
        can_correct: may(ctx, Action::CorrectSalesRecords),
        errors,
    };
    render(status, &page)
}

pub async fn sales_records(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<RecordsQuery>,
) -> Result<Response, UiError> {
    records_page(&s, &ctx, &p, StatusCode::OK, q, FieldErrors::new()).await
}

#[derive(Deserialize)]
pub struct ExportQuery {
    pub from: String,
    pub to: String,
}

pub async fn export_sales_records(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, UiError> {
    let table = s.app.export_sales_records(&ctx, &q.from, &q.to).await?;
    let name = format!("sales-records-{}-{}", q.from, q.to);
    let xlsx = Format::Xlsx;
    Ok(download(
        crate::ui::imports::file(table, xlsx).await?,
        xlsx,
        &name,
    ))
}

pub async fn correct_sales_record(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let text = |k: &str| Some(form.get(k)).filter(|x| !x.trim().is_empty());
    let c = Correction {
        lot: text("lot"),
        serial: text("serial"),
        reason: form.get("reason"),
        ..Default::default()
    };
    let result = s.app.correct_sales_record(&ctx, id, c).await;
    let back = RecordsQuery {
        from: None,
        to: None,
        cursor: None,
    };
    after_post(
        result,
        |_| "/sales-records".to_owned(),
        |status, errors| records_page(&s, &ctx, &p, status, back, errors),
    )
    .await
}

// ---- ORD-4: the trace ----

#[derive(Deserialize, Default)]
pub struct TraceQuery {
    pub product_id: Option<i64>,
    pub lot: Option<String>,
    pub serial_from: Option<String>,
    pub serial_to: Option<String>,
}

impl TraceQuery {
    fn input(&self) -> Option<TraceInput> {
        Some(TraceInput {
            product_id: self.product_id?,
            lot: self.lot.clone(),
            serial_from: self.serial_from.clone(),
            serial_to: self.serial_to.clone(),
        })
    }

    fn link(&self) -> String {
        let o = |v: &Option<String>| urlencode(v.as_deref().unwrap_or(""));
        format!(
            "product_id={}&lot={}&serial_from={}&serial_to={}",
            self.product_id.unwrap_or(0),
            o(&self.lot),
            o(&self.serial_from),
            o(&self.serial_to)
        )
    }
}

#[derive(Template)]
#[template(path = "deliveries/trace.html")]
struct TracePage {
    t: Lang,
    shell: Shell,
    products: Vec<(i64, String)>,
    q: TraceQuery,
    link: String,
    result: Option<TraceResult>,
    errors: FieldErrors,
}

pub async fn trace(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<TraceQuery>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::TraceDevices)?;
    let list = ProductQuery {
        limit: Some(medcrm_app::MAX_PAGE_SIZE),
        ..Default::default()
    };
    let products = s
        .app
        .products(&ctx, &list)
        .await?
        .items
        .into_iter()
        .map(|r| (r.id, format!("{} {}", r.code, r.name)))
        .collect();
    let (status, result, errors) = match q.input() {
        None => (StatusCode::OK, None, FieldErrors::new()),
        Some(input) => match s.app.trace(&ctx, &input).await {
            Ok(r) => (StatusCode::OK, Some(r), FieldErrors::new()),
            Err(e) => {
                let (status, errors) = field_errors(e)?;
                (status, None, errors)
            }
        },
    };
    let page = TracePage {
        t: p.t,
        shell: p.shell(&ctx),
        products,
        link: q.link(),
        q,
        result,
        errors,
    };
    render(status, &page)
}

pub async fn trace_xlsx(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiQuery(q): ApiQuery<TraceQuery>,
) -> Result<Response, UiError> {
    let input = q
        .input()
        .ok_or_else(|| medcrm_app::Error::invalid("product_id", "choose a product"))?;
    let table = s.app.export_trace(&ctx, &input).await?;
    let xlsx = Format::Xlsx;
    Ok(download(
        crate::ui::imports::file(table, xlsx).await?,
        xlsx,
        "trace",
    ))
}
