//! PRT-4/5 pages: count sheets (the warehouse records and submits what it counted; a service
//! manager or admin approves or rejects), and purchase orders with their receipts and
//! acceptance records (read; orders and receipts are made through the API).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use medcrm_app::Ctx;
use medcrm_app::domain::parts::CountStatus;
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::parts::counts::{CountEntry, CountLine, CountQuery, CountRecord};
use medcrm_app::parts::purchasing::{OrderQuery, OrderView};
use medcrm_app::policy::{self, Action};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::{FieldErrors, FormData, PageCtx, Shell, after_post, local_time, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/parts/counts", get(counts))
        .route("/parts/counts/{id}", get(count))
        .route("/parts/counts/{id}/{step}", post(count_step))
        .route("/parts/purchase-orders", get(orders))
        .route("/parts/purchase-orders/{id}", get(order))
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
}

impl OrderPage {
    fn yuan(&self, fen: &i64) -> String {
        format_yuan(*fen)
    }

    fn when(&self, ms: &i64) -> String {
        local_time(*ms)
    }
}

pub async fn order(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let view = s.app.purchase_order(&ctx, id).await?;
    render(
        StatusCode::OK,
        &OrderPage {
            t: p.t,
            shell: p.shell(&ctx),
            total: format_yuan(view.order.total_fen),
            status_key: format!("prt.po_status.{}", view.order.status),
            view,
        },
    )
}
