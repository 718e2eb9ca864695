//! PRT pages: the parts catalog with search, stock per location with low-stock marks and the
//! reorder list, the movements ledger with filters, each report with its .xlsx. The
//! warehouse issues from the part-request queue (`/service/part-requests`).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use medcrm_app::domain::parts::{MovementKind, is_low};
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::parts::stock::{MovementQuery, StockQuery};
use medcrm_app::parts::{PartQuery, PartRecord, WarehouseRecord};
use medcrm_app::policy::{self, Action};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::audit::urlencode;
use crate::ui::{PageCtx, Shell, local_time, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/parts", get(catalog))
        .route("/parts/stock", get(stock))
        .route("/parts/movements", get(movements))
}

#[derive(Deserialize, Default)]
pub struct CatalogQuery {
    pub q: Option<String>,
    pub cursor: Option<i64>,
}

#[derive(Template)]
#[template(path = "parts/catalog.html")]
struct CatalogPage {
    t: Lang,
    shell: Shell,
    q: String,
    rows: Vec<CatalogRow>,
    next: Option<String>,
    export: String,
    /// The warehouse may import parts and opening stock (SYS-3).
    may_import: bool,
}

struct CatalogRow {
    code: String,
    name: String,
    spec: String,
    unit: String,
    cost: String,
    tracking_key: String,
    active: bool,
}

impl From<PartRecord> for CatalogRow {
    fn from(p: PartRecord) -> Self {
        CatalogRow {
            cost: format_yuan(p.unit_cost_fen),
            tracking_key: format!("prt.tracking.{}", p.tracking),
            code: p.code,
            name: p.name,
            spec: p.spec,
            unit: p.unit,
            active: p.active,
        }
    }
}

pub async fn catalog(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<CatalogQuery>,
) -> Result<Response, UiError> {
    let text = q.q.unwrap_or_default();
    let page = s
        .app
        .parts(
            &ctx,
            PartQuery {
                q: Some(text.clone()),
                cursor: q.cursor,
                ..PartQuery::default()
            },
        )
        .await?;
    let next = page
        .next_cursor
        .map(|c| format!("/parts?q={}&cursor={c}", urlencode(&text)));
    render(
        StatusCode::OK,
        &CatalogPage {
            t: p.t,
            shell: p.shell(&ctx),
            export: format!(
                "/api/v1/exports/parts.xlsx?q={}&lang={}",
                urlencode(&text),
                p.t.code()
            ),
            may_import: policy::scope(&ctx.actor, Action::ManageParts).is_some(),
            q: text,
            rows: page.items.into_iter().map(Into::into).collect(),
            next,
        },
    )
}

#[derive(Deserialize, Default)]
pub struct StockPageQuery {
    pub warehouse_id: Option<i64>,
    pub low: Option<String>,
    pub cursor: Option<i64>,
}

struct StockRow {
    part_code: String,
    part_name: String,
    warehouse: String,
    on_hand: i64,
    faulty: i64,
    in_transit: i64,
    min_qty: i64,
    max_qty: i64,
    low: bool,
}

struct ReorderRow {
    part_code: String,
    part_name: String,
    warehouse: String,
    on_hand: i64,
    min_qty: i64,
    reorder_qty: i64,
}

#[derive(Template)]
#[template(path = "parts/stock.html")]
struct StockPage {
    t: Lang,
    shell: Shell,
    warehouses: Vec<WarehouseRecord>,
    warehouse_id: i64,
    low: bool,
    rows: Vec<StockRow>,
    reorder: Vec<ReorderRow>,
    next: Option<String>,
    export: String,
}

pub async fn stock(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<StockPageQuery>,
) -> Result<Response, UiError> {
    let low = q.low.as_deref().is_some_and(|v| !v.is_empty() && v != "0");
    let warehouses = s.app.warehouses(&ctx).await?;
    let query = StockQuery {
        warehouse_id: q.warehouse_id,
        low_only: low,
        cursor: q.cursor,
        ..StockQuery::default()
    };
    let page = s.app.stock(&ctx, query).await?;
    let reorder = s.app.reorder_list(&ctx).await?;
    let filter = format!(
        "warehouse_id={}&low={}",
        q.warehouse_id.map(|w| w.to_string()).unwrap_or_default(),
        if low { "1" } else { "" }
    );
    render(
        StatusCode::OK,
        &StockPage {
            t: p.t,
            shell: p.shell(&ctx),
            warehouses,
            warehouse_id: q.warehouse_id.unwrap_or(0),
            low,
            rows: page
                .items
                .into_iter()
                .map(|r| StockRow {
                    low: is_low(r.on_hand, r.min_qty),
                    part_code: r.part_code,
                    part_name: r.part_name,
                    warehouse: r.warehouse_name,
                    on_hand: r.on_hand,
                    faulty: r.faulty,
                    in_transit: r.in_transit,
                    min_qty: r.min_qty,
                    max_qty: r.max_qty,
                })
                .collect(),
            reorder: reorder
                .into_iter()
                .map(|l| ReorderRow {
                    part_code: l.stock.part_code,
                    part_name: l.stock.part_name,
                    warehouse: l.stock.warehouse_name,
                    on_hand: l.stock.on_hand,
                    min_qty: l.stock.min_qty,
                    reorder_qty: l.reorder_qty,
                })
                .collect(),
            next: page
                .next_cursor
                .map(|c| format!("/parts/stock?{filter}&cursor={c}")),
            export: format!("/api/v1/stock.xlsx?{filter}&lang={}", p.t.code()),
        },
    )
}

#[derive(Deserialize, Default)]
pub struct MovementPageQuery {
    pub warehouse_id: Option<i64>,
    pub kind: Option<String>,
    pub cursor: Option<i64>,
}

struct MovementRow {
    at: String,
    kind_key: String,
    part: String,
    warehouse: String,
    condition_key: String,
    quantity: i64,
    balance_after: i64,
    reason: String,
    by: String,
    ticket: String,
}

#[derive(Template)]
#[template(path = "parts/movements.html")]
struct MovementsPage {
    t: Lang,
    shell: Shell,
    warehouses: Vec<WarehouseRecord>,
    warehouse_id: i64,
    kinds: Vec<(&'static str, String)>,
    kind: String,
    rows: Vec<MovementRow>,
    next: Option<String>,
    export: String,
}

pub async fn movements(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<MovementPageQuery>,
) -> Result<Response, UiError> {
    let kind = q.kind.clone().filter(|k| !k.is_empty());
    let warehouses = s.app.warehouses(&ctx).await?;
    let query = MovementQuery {
        warehouse_id: q.warehouse_id,
        kind: kind.clone(),
        cursor: q.cursor,
        ..MovementQuery::default()
    };
    let page = s.app.movements(&ctx, query).await?;
    let kind = kind.unwrap_or_default();
    let filter = format!(
        "warehouse_id={}&kind={kind}",
        q.warehouse_id.map(|w| w.to_string()).unwrap_or_default()
    );
    render(
        StatusCode::OK,
        &MovementsPage {
            t: p.t,
            shell: p.shell(&ctx),
            warehouses,
            warehouse_id: q.warehouse_id.unwrap_or(0),
            kinds: MovementKind::ALL
                .iter()
                .map(|k| (k.code(), format!("prt.kind.{}", k.code())))
                .collect(),
            kind,
            rows: page
                .items
                .into_iter()
                .map(|m| MovementRow {
                    at: local_time(m.at_ms),
                    kind_key: format!("prt.kind.{}", m.kind),
                    part: format!("{} {}", m.part_code, m.part_name),
                    warehouse: m.warehouse_name,
                    condition_key: format!("prt.condition.{}", m.condition),
                    quantity: m.quantity,
                    balance_after: m.balance_after,
                    reason: m.reason,
                    by: m.by_name,
                    ticket: m.ticket_number.unwrap_or_default(),
                })
                .collect(),
            next: page
                .next_cursor
                .map(|c| format!("/parts/movements?{filter}&cursor={c}")),
            export: format!("/api/v1/stock/movements.xlsx?{filter}&lang={}", p.t.code()),
        },
    )
}
