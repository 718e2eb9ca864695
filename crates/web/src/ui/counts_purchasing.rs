//! PRT-4/5 pages: count sheets (the warehouse records and submits what it counted; a service
//! manager or admin approves or rejects), and purchase orders: the new-order form (qualified
//! suppliers, up to [`NEW_LINES`] lines), each order with its lines, the receipt form (received,
//! accepted, lot/serial and why units were rejected) and the acceptance records.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use medcrm_app::Ctx;
use medcrm_app::domain::auth::Role;
use medcrm_app::domain::parts::CountStatus;
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::domain::pipeline::parse_yuan;
use medcrm_app::parts::counts::{CountEntry, CountLine, CountQuery, CountRecord};
use medcrm_app::parts::purchasing::{
    OrderInput, OrderLineInput, OrderQuery, OrderView, ReceiptInput, ReceiptLineInput,
};
use medcrm_app::policy::{self, Action};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::{
    FieldErrors, FormData, PageCtx, Shell, after_post, holding, local_time, readable, render,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/parts/counts", get(counts))
        .route("/parts/counts/{id}", get(count))
        .route("/parts/counts/{id}/{step}", post(count_step))
        .route("/parts/purchase-orders", get(orders).post(create_order))
        .route("/parts/purchase-orders/new", get(new_order))
        .route("/parts/purchase-orders/{id}", get(order))
        .route("/parts/purchase-orders/{id}/{step}", post(order_step))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    pub cursor: Option<i64>,
}

struct CountRow {
    id: i64,
    warehouse: String,
    blind: bool,
    status_key: String,
    created: String,
    by: String,
}

impl From<CountRecord> for CountRow {
    fn from(c: CountRecord) -> Self {
        CountRow {
            id: c.id,
            warehouse: c.warehouse_name,
            blind: c.blind,
            status_key: format!("prt.count_status.{}", c.status),
            created: local_time(c.created_at_ms),
            by: c.created_by_name,
        }
    }
}

#[derive(Template)]
#[template(path = "parts/counts.html")]
struct CountsPage {
    t: Lang,
    shell: Shell,
    statuses: Vec<(&'static str, String)>,
    status: String,
    rows: Vec<CountRow>,
    next: Option<String>,
}

pub async fn counts(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, UiError> {
    let status = q.status.unwrap_or_default();
    let query = CountQuery {
        status: Some(status.clone()),
        cursor: q.cursor,
        ..CountQuery::default()
    };
    let page = s.app.stock_counts(&ctx, query).await?;
    render(
        StatusCode::OK,
        &CountsPage {
            t: p.t,
            shell: p.shell(&ctx),
            statuses: CountStatus::ALL
                .iter()
                .map(|c| (c.code(), format!("prt.count_status.{}", c.code())))
                .collect(),
            next: page
                .next_cursor
                .map(|c| format!("/parts/counts?status={status}&cursor={c}")),
            status,
            rows: page.items.into_iter().map(Into::into).collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "parts/count.html")]
struct CountPage {
    t: Lang,
    shell: Shell,
    count: CountRow,
    note: String,
    comment: String,
    lines: Vec<CountLine>,
    /// The sheet is being counted and the caller counts.
    can_count: bool,
    /// The sheet waits for a decision and the caller approves counts.
    can_decide: bool,
    errors: FieldErrors,
}

async fn count_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let view = s.app.stock_count(ctx, id).await?;
    let may = |action| policy::scope(&ctx.actor, action).is_some();
    let state = view.count.status.clone();
    render(
        status,
        &CountPage {
            t: p.t,
            shell: p.shell(ctx),
            can_count: state == CountStatus::Counting.code() && may(Action::CountStock),
            can_decide: state == CountStatus::Submitted.code() && may(Action::ApproveCounts),
            note: view.count.note.clone(),
            comment: view.count.comment.clone(),
            count: view.count.into(),
            lines: view.lines,
            errors,
        },
    )
}

pub async fn count(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    count_page(&s, &ctx, &p, id, StatusCode::OK, FieldErrors::new()).await
}

/// Record (a `qty_<part id>` field per line; blank = not counted yet), submit, approve, reject.
pub async fn count_step(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath((id, step)): ApiPath<(i64, String)>,
    f: FormData,
) -> Result<Response, UiError> {
    let result = match step.as_str() {
        "lines" => {
            let mut entries = Vec::new();
            for (key, value) in &f.0 {
                let Some(part) = key.strip_prefix("qty_").and_then(|k| k.parse().ok()) else {
                    continue;
                };
                if value.trim().is_empty() {
                    continue;
                }
                let Ok(counted_qty) = value.trim().parse() else {
                    return count_page(
                        &s,
                        &ctx,
                        &p,
                        id,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        FieldErrors::from([("lines".into(), format!("{value}: not a number"))]),
                    )
                    .await;
                };
                entries.push(CountEntry {
                    part_id: part,
                    counted_qty,
                });
            }
            s.app.record_stock_count(&ctx, id, entries).await.map(drop)
        }
        "submit" => s.app.submit_stock_count(&ctx, id).await.map(drop),
        "approve" => s
            .app
            .decide_stock_count(&ctx, id, true, &f.get("comment"))
            .await
            .map(drop),
        "reject" => s
            .app
            .decide_stock_count(&ctx, id, false, &f.get("comment"))
            .await
            .map(drop),
        _ => Err(medcrm_app::Error::NotFound("action")),
    };
    after_post(
        result,
        |()| format!("/parts/counts/{id}"),
        |status, errors| count_page(&s, &ctx, &p, id, status, errors),
    )
    .await
}

struct OrderRow {
    id: i64,
    number: String,
    supplier: String,
    warehouse: String,
    delivery_date: String,
    total: String,
    status_key: String,
}

#[derive(Template)]
#[template(path = "parts/orders.html")]
struct OrdersPage {
    t: Lang,
    shell: Shell,
    status: String,
    rows: Vec<OrderRow>,
    next: Option<String>,
    may_order: bool,
}

pub async fn orders(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, UiError> {
    let status = q.status.unwrap_or_default();
    let query = OrderQuery {
        status: Some(status.clone()),
        cursor: q.cursor,
        ..OrderQuery::default()
    };
    let page = s.app.purchase_orders(&ctx, query).await?;
    render(
        StatusCode::OK,
        &OrdersPage {
            t: p.t,
            shell: p.shell(&ctx),
            next: page
                .next_cursor
                .map(|c| format!("/parts/purchase-orders?status={status}&cursor={c}")),
            may_order: policy::scope(&ctx.actor, Action::ManagePurchasing).is_some(),
            status,
            rows: page
                .items
                .into_iter()
                .map(|o| OrderRow {
                    id: o.id,
                    number: o.number,
                    supplier: o.supplier_name,
                    warehouse: o.warehouse_name,
                    delivery_date: o.delivery_date,
                    total: format_yuan(o.total_fen),
                    status_key: format!("prt.po_status.{}", o.status),
                })
                .collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "parts/order.html")]
struct OrderPage {
    t: Lang,
    shell: Shell,
    view: OrderView,
    total: String,
    status_key: String,
    /// The caller may record a receipt or close the order (an open order only).
    manage: bool,
    /// Quality and warehouse users who may inspect a delivery: `(id, name)`.
    inspectors: Vec<(i64, String)>,
    errors: FieldErrors,
}

impl OrderPage {
    fn yuan(&self, fen: &i64) -> String {
        format_yuan(*fen)
    }

    fn when(&self, ms: &i64) -> String {
        local_time(*ms)
    }
}

async fn order_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let view = s.app.purchase_order(ctx, id).await?;
    let manage = view.order.status == "open"
        && policy::scope(&ctx.actor, Action::ManagePurchasing).is_some();
    let inspectors = if manage {
        readable(holding(s, ctx, &[Role::Quality, Role::Warehouse]).await)?
            .into_iter()
            .filter(|u| u.user.active)
            .map(|u| (u.user.id, u.user.display_name))
            .collect()
    } else {
        Vec::new()
    };
    render(
        status,
        &OrderPage {
            t: p.t,
            shell: p.shell(ctx),
            total: format_yuan(view.order.total_fen),
            status_key: format!("prt.po_status.{}", view.order.status),
            view,
            manage,
            inspectors,
            errors,
        },
    )
}

pub async fn order(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    order_page(&s, &ctx, &p, id, StatusCode::OK, FieldErrors::new()).await
}

/// A whole number typed into a form; blank is 0, anything else unreadable is -1 (refused by
/// the use case with its message).
fn qty(f: &FormData, key: &str) -> i64 {
    let text = f.get(key);
    match text.trim() {
        "" => 0,
        t => t.parse().unwrap_or(-1),
    }
}

/// Receive a delivery (a `received_<line>` … field set per line; lines left blank are not
/// part of it) or close the order short with a reason.
pub async fn order_step(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath((id, step)): ApiPath<(i64, String)>,
    f: FormData,
) -> Result<Response, UiError> {
    let result = match step.as_str() {
        "receive" => {
            let view = s.app.purchase_order(&ctx, id).await?;
            let lines = view
                .lines
                .iter()
                .map(|l| l.line_no)
                .filter(|n| !f.get(&format!("received_{n}")).trim().is_empty())
                .map(|n| ReceiptLineInput {
                    line_no: n,
                    received_qty: qty(&f, &format!("received_{n}")),
                    accepted_qty: qty(&f, &format!("accepted_{n}")),
                    trace: f.get(&format!("trace_{n}")),
                    reject_reason: f.get(&format!("reject_{n}")),
                })
                .collect();
            let input = ReceiptInput {
                inspector_id: f.get("inspector_id").trim().parse().ok(),
                note: f.get("note"),
                lines,
            };
            s.app
                .receive_purchase_order(&ctx, id, input)
                .await
                .map(drop)
        }
        "close" => s
            .app
            .close_purchase_order(&ctx, id, &f.get("reason"))
            .await
            .map(drop),
        _ => Err(medcrm_app::Error::NotFound("action")),
    };
    after_post(
        result,
        |()| format!("/parts/purchase-orders/{id}"),
        |status, errors| order_page(&s, &ctx, &p, id, status, errors),
    )
    .await
}

/// Lines the new-order form offers (an order may have up to 100 through the API).
pub const NEW_LINES: usize = 6;

/// One line of the new-order form as typed.
#[derive(Default, Clone)]
struct LineForm {
    part_id: String,
    spec: String,
    quantity: String,
    unit_price: String,
    quality_standard: String,
}

#[derive(Template)]
#[template(path = "parts/order_new.html")]
struct NewOrderPage {
    t: Lang,
    shell: Shell,
    /// `(id, name, qualified)`.
    suppliers: Vec<(i64, String, bool)>,
    warehouses: Vec<(i64, String)>,
    parts: Vec<(i64, String)>,
    supplier_id: String,
    warehouse_id: String,
    delivery_date: String,
    note: String,
    lines: Vec<LineForm>,
    errors: FieldErrors,
}

async fn new_order_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    form: (String, String, String, String),
    mut lines: Vec<LineForm>,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManagePurchasing).map_err(UiError)?;
    let suppliers = readable(
        s.app
            .suppliers(ctx, None, None, Some(medcrm_app::MAX_PAGE_SIZE))
            .await
            .map(|p| p.items),
    )?
    .into_iter()
    .map(|x| {
        let qualified = x.review_status.as_deref() == Some("approved");
        (x.id, x.name, qualified)
    })
    .collect();
    let warehouses = s
        .app
        .warehouses(ctx)
        .await?
        .into_iter()
        .filter(|w| w.kind != "engineer" && w.active)
        .map(|w| (w.id, w.name))
        .collect();
    let parts = s
        .app
        .parts(
            ctx,
            medcrm_app::parts::PartQuery {
                active: Some(true),
                limit: Some(medcrm_app::MAX_PAGE_SIZE),
                ..Default::default()
            },
        )
        .await?
        .items
        .into_iter()
        .map(|x| (x.id, format!("{} {}", x.code, x.name)))
        .collect();
    lines.resize(NEW_LINES, LineForm::default());
    let (supplier_id, warehouse_id, delivery_date, note) = form;
    render(
        status,
        &NewOrderPage {
            t: p.t,
            shell: p.shell(ctx),
            suppliers,
            warehouses,
            parts,
            supplier_id,
            warehouse_id,
            delivery_date,
            note,
            lines,
            errors,
        },
    )
}

pub async fn new_order(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    let blank = (String::new(), String::new(), String::new(), String::new());
    new_order_page(
        &s,
        &ctx,
        &p,
        StatusCode::OK,
        blank,
        Vec::new(),
        FieldErrors::new(),
    )
    .await
}

pub async fn create_order(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    f: FormData,
) -> Result<Response, UiError> {
    let lines: Vec<LineForm> = (1..=NEW_LINES)
        .map(|n| LineForm {
            part_id: f.get(&format!("part_{n}")),
            spec: f.get(&format!("spec_{n}")),
            quantity: f.get(&format!("quantity_{n}")),
            unit_price: f.get(&format!("price_{n}")),
            quality_standard: f.get(&format!("standard_{n}")),
        })
        .collect();
    let mut errors = FieldErrors::new();
    let mut input = OrderInput {
        supplier_id: f.get("supplier_id").trim().parse().unwrap_or(0),
        warehouse_id: f.get("warehouse_id").trim().parse().unwrap_or(0),
        delivery_date: f.get("delivery_date"),
        note: f.get("note"),
        lines: Vec::new(),
    };
    for (n, l) in lines.iter().enumerate() {
        let Ok(part_id) = l.part_id.trim().parse::<i64>() else {
            continue;
        };
        let unit_price_fen = match parse_yuan(&l.unit_price) {
            Ok(fen) => fen,
            Err(e) => {
                errors.insert("lines".into(), format!("line {}: unit price: {e}", n + 1));
                0
            }
        };
        input.lines.push(OrderLineInput {
            part_id,
            spec: l.spec.clone(),
            quantity: l.quantity.trim().parse().unwrap_or(0),
            unit_price_fen,
            quality_standard: l.quality_standard.clone(),
        });
    }
    let form = (
        f.get("supplier_id"),
        f.get("warehouse_id"),
        f.get("delivery_date"),
        f.get("note"),
    );
    if !errors.is_empty() {
        return new_order_page(
            &s,
            &ctx,
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            lines,
            errors,
        )
        .await;
    }
    let result = s.app.create_purchase_order(&ctx, input).await;
    after_post(
        result,
        |v| format!("/parts/purchase-orders/{}", v.order.id),
        |status, errors| new_order_page(&s, &ctx, &p, status, form, lines, errors),
    )
    .await
}
