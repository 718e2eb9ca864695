//! PRT-1…3: the parts catalog, warehouses, stock per part and location, transfers and the
//! immutable ledger. Every balance change goes through [`post`]: the ledger row and the
//! guarded balance UPDATE in the caller's transaction, so a balance always equals the sum of
//! its ledger and never goes negative, however many movements run at once. Stock counts
//! (PRT-4, [`counts`]) and purchasing (PRT-5, [`purchasing`]) post through it too.

use crate::{Classify, Page, Result, Tx, exec, on};

pub mod counts;
pub mod purchasing;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PartRecord {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub spec: String,
    pub unit: String,
    pub unit_cost_fen: i64,
    pub tracking: String,
    pub active: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const PART_SELECT: &str = "SELECT p.id, p.code, p.name, p.spec, p.unit, p.unit_cost_fen, \
    p.tracking, p.active, p.created_at_ms, p.updated_at_ms FROM parts p";

pub struct PartFields<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub spec: &'a str,
    pub unit: &'a str,
    pub unit_cost_fen: i64,
    pub tracking: &'a str,
    pub active: bool,
}

pub async fn insert_part(tx: &mut Tx, p: &PartFields<'_>, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO parts (code, name, spec, unit, unit_cost_fen, tracking, active,
            created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id")
        .bind(p.code).bind(p.name).bind(p.spec).bind(p.unit).bind(p.unit_cost_fen)
        .bind(p.tracking).bind(p.active).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn update_part(tx: &mut Tx, id: i64, p: &PartFields<'_>, now_ms: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE parts SET code = $2, name = $3, spec = $4, unit = $5, unit_cost_fen = $6,
            tracking = $7, active = $8, updated_at_ms = $9 WHERE id = $1")
        .bind(id).bind(p.code).bind(p.name).bind(p.spec).bind(p.unit).bind(p.unit_cost_fen)
        .bind(p.tracking).bind(p.active).bind(now_ms)
        .execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

pub async fn get_part(tx: &mut Tx, id: i64) -> Result<Option<PartRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{PART_SELECT} WHERE p.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

pub async fn part_by_code(tx: &mut Tx, code: &str) -> Result<Option<PartRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{PART_SELECT} WHERE p.code = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(code).fetch_optional(c).await).db()
}

#[derive(Debug, Default, Clone)]
pub struct PartFilter {
    /// Code, name or spec contain it.
    pub query: Option<String>,
    /// Fits this product.
    pub product_id: Option<i64>,
    pub active: Option<bool>,
}

pub async fn list_parts(
    tx: &mut Tx,
    f: &PartFilter,
    after_id: i64,
    limit: i64,
) -> Result<Page<PartRecord>> {
    let rows: Vec<PartRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{PART_SELECT} WHERE p.id > "));
        q.push_bind(after_id);
        if let Some(text) = &f.query {
            let pattern = format!("%{}%", text.to_lowercase());
            q.push(" AND (LOWER(p.code) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(p.name) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(p.spec) LIKE ").push_bind(pattern).push(")");
        }
        if let Some(product) = f.product_id {
            q.push(" AND EXISTS (SELECT 1 FROM part_products pp WHERE pp.part_id = p.id AND pp.product_id = ")
                .push_bind(product).push(")");
        }
        if let Some(active) = f.active {
            q.push(" AND p.active = ").push_bind(active);
        }
        q.push(" ORDER BY p.id LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct CompatibleProduct {
    pub product_id: i64,
    pub code: String,
    pub name: String,
    pub model: String,
}

/// Replaces the products a part fits.
pub async fn set_compatible(tx: &mut Tx, part_id: i64, products: &[i64]) -> Result<()> {
    exec!(tx, c => sqlx::query("DELETE FROM part_products WHERE part_id = $1")
        .bind(part_id).execute(c).await)
    .db()?;
    for product in products {
        exec!(tx, c => sqlx::query(
            "INSERT INTO part_products (part_id, product_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(part_id).bind(*product).execute(c).await)
        .db()?;
    }
    Ok(())
}

pub async fn compatible(tx: &mut Tx, part_id: i64) -> Result<Vec<CompatibleProduct>> {
    on!(tx, c => sqlx::query_as(
        "SELECT p.id AS product_id, p.code, p.name, p.model FROM part_products pp
         JOIN products p ON p.id = pp.product_id WHERE pp.part_id = $1 ORDER BY p.id")
        .bind(part_id).fetch_all(c).await)
    .db()
}

/// `(part id, product code)` of every part's compatible products, for the catalog export
/// (one read instead of one per part).
pub async fn compatible_codes(tx: &mut Tx) -> Result<Vec<(i64, String)>> {
    on!(tx, c => sqlx::query_as(
        "SELECT pp.part_id, p.code FROM part_products pp
         JOIN products p ON p.id = pp.product_id ORDER BY pp.part_id, p.code")
        .fetch_all(c).await)
    .db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct WarehouseRecord {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub region_id: Option<i64>,
    pub region_name: Option<String>,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub active: bool,
    pub created_at_ms: i64,
}

const WAREHOUSE_SELECT: &str = "SELECT w.id, w.code, w.name, w.kind, w.region_id, \
    r.name_zh AS region_name, w.owner_id, u.display_name AS owner_name, w.active, w.created_at_ms \
    FROM warehouses w LEFT JOIN regions r ON r.id = w.region_id LEFT JOIN users u ON u.id = w.owner_id";

pub struct WarehouseFields<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub region_id: Option<i64>,
    pub owner_id: Option<i64>,
}

pub async fn insert_warehouse(tx: &mut Tx, w: &WarehouseFields<'_>, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO warehouses (code, name, kind, region_id, owner_id, active, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id")
        .bind(w.code).bind(w.name).bind(w.kind).bind(w.region_id).bind(w.owner_id).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn get_warehouse(tx: &mut Tx, id: i64) -> Result<Option<WarehouseRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{WAREHOUSE_SELECT} WHERE w.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// The engineer's own stock location, if they have one.
pub async fn warehouse_of(tx: &mut Tx, owner_id: i64) -> Result<Option<WarehouseRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{WAREHOUSE_SELECT} WHERE w.owner_id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(owner_id).fetch_optional(c).await).db()
}

/// Every location, by kind then id (a company keeps tens, not thousands).
pub async fn warehouses(tx: &mut Tx) -> Result<Vec<WarehouseRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{WAREHOUSE_SELECT} ORDER BY CASE w.kind WHEN 'central' THEN 0 WHEN 'regional' THEN 1 ELSE 2 END, w.id"
    ));
    on!(tx, c => sqlx::query_as(sql).fetch_all(c).await).db()
}

/// Which locations a list may show: `None`s reach everything.
#[derive(Debug, Default, Clone)]
pub struct Places {
    /// Locations in these regions, and central stock (which has none).
    pub regions: Option<Vec<i64>>,
    /// Only this engineer's own stock.
    pub owner_id: Option<i64>,
}

impl Places {
    /// Appends ` AND …` narrowing the warehouse `alias`.
    fn push<DB: sqlx::Database>(&self, q: &mut sqlx::QueryBuilder<DB>, alias: &str)
    where
        for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    {
        if let Some(owner) = self.owner_id {
            q.push(format!(" AND {alias}.owner_id = ")).push_bind(owner);
        }
        if let Some(regions) = &self.regions {
            q.push(format!(
                " AND ({alias}.region_id IS NULL OR {alias}.region_id IN ("
            ));
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push("))");
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct StockRecord {
    pub id: i64,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub unit: String,
    pub warehouse_id: i64,
    pub warehouse_name: String,
    pub warehouse_kind: String,
    pub region_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub on_hand: i64,
    pub faulty: i64,
    /// On its way here by transfers not yet received.
    pub in_transit: i64,
    pub min_qty: i64,
    pub max_qty: i64,
    pub low_since_ms: Option<i64>,
    pub updated_at_ms: i64,
}

const STOCK_SELECT: &str = "SELECT s.id, s.part_id, p.code AS part_code, p.name AS part_name, \
    p.unit, s.warehouse_id, w.name AS warehouse_name, w.kind AS warehouse_kind, w.region_id, \
    w.owner_id, s.on_hand, s.faulty, \
    CAST(COALESCE((SELECT SUM(t.quantity) FROM stock_transfers t WHERE t.to_warehouse_id = s.warehouse_id \
        AND t.part_id = s.part_id AND t.status = 'in_transit'), 0) AS BIGINT) AS in_transit, \
    s.min_qty, s.max_qty, s.low_since_ms, s.updated_at_ms \
    FROM stock s JOIN parts p ON p.id = s.part_id JOIN warehouses w ON w.id = s.warehouse_id";

pub async fn get_stock(
    tx: &mut Tx,
    part_id: i64,
    warehouse_id: i64,
) -> Result<Option<StockRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{STOCK_SELECT} WHERE s.part_id = $1 AND s.warehouse_id = $2"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(part_id).bind(warehouse_id).fetch_optional(c).await).db()
}

/// Which stock rows a list shows.
#[derive(Debug, Default, Clone)]
pub struct StockFilter {
    pub warehouse_id: Option<i64>,
    pub part_id: Option<i64>,
    pub places: Places,
    /// Only rows below their minimum.
    pub low_only: bool,
}

pub async fn list_stock(
    tx: &mut Tx,
    f: &StockFilter,
    after_id: i64,
    limit: i64,
) -> Result<Page<StockRecord>> {
    let rows: Vec<StockRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{STOCK_SELECT} WHERE s.id > "));
        q.push_bind(after_id);
        if let Some(w) = f.warehouse_id {
            q.push(" AND s.warehouse_id = ").push_bind(w);
        }
        if let Some(p) = f.part_id {
            q.push(" AND s.part_id = ").push_bind(p);
        }
        f.places.push(&mut q, "w");
        if f.low_only {
            q.push(" AND s.min_qty > 0 AND s.on_hand < s.min_qty");
        }
        q.push(" ORDER BY s.id LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// Creates the (empty) balance row of a part at a location unless it exists.
pub async fn ensure_stock(tx: &mut Tx, part_id: i64, warehouse_id: i64, now_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO stock (part_id, warehouse_id, updated_at_ms) VALUES ($1, $2, $3)
         ON CONFLICT (part_id, warehouse_id) DO NOTHING")
        .bind(part_id).bind(warehouse_id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}

pub async fn set_levels(
    tx: &mut Tx,
    part_id: i64,
    warehouse_id: i64,
    min_qty: i64,
    max_qty: i64,
    now_ms: i64,
) -> Result<()> {
    ensure_stock(tx, part_id, warehouse_id, now_ms).await?;
    exec!(tx, c => sqlx::query(
        "UPDATE stock SET min_qty = $3, max_qty = $4, updated_at_ms = $5
         WHERE part_id = $1 AND warehouse_id = $2")
        .bind(part_id).bind(warehouse_id).bind(min_qty).bind(max_qty).bind(now_ms)
        .execute(c).await)
    .db()?;
    Ok(())
}

/// PRT-1: marks a balance that has fallen below its minimum, once per crossing; true when
/// this call marked it (the caller alerts). A balance back at or above its minimum is
/// unmarked, so the next crossing alerts again.
pub async fn mark_low(tx: &mut Tx, part_id: i64, warehouse_id: i64, now_ms: i64) -> Result<bool> {
    exec!(tx, c => sqlx::query(
        "UPDATE stock SET low_since_ms = NULL WHERE part_id = $1 AND warehouse_id = $2
         AND low_since_ms IS NOT NULL AND NOT (min_qty > 0 AND on_hand < min_qty)")
        .bind(part_id).bind(warehouse_id).execute(c).await)
    .db()?;
    let n = exec!(tx, c => sqlx::query(
        "UPDATE stock SET low_since_ms = $3 WHERE part_id = $1 AND warehouse_id = $2
         AND low_since_ms IS NULL AND min_qty > 0 AND on_hand < min_qty")
        .bind(part_id).bind(warehouse_id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(n > 0)
}

/// A movement to post; `quantity` is already signed by its kind.
#[derive(Debug, Clone, Default)]
pub struct NewMovement<'a> {
    pub kind: &'a str,
    pub part_id: i64,
    pub warehouse_id: i64,
    /// `good` (usable, `stock.on_hand`) or `faulty` (`stock.faulty`).
    pub condition: &'a str,
    pub quantity: i64,
    pub reason: &'a str,
    pub part_request_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub transfer_id: Option<i64>,
    pub purchase_order_id: Option<i64>,
    pub stock_count_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct MovementRecord {
    pub id: i64,
    pub kind: String,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub warehouse_id: i64,
    pub warehouse_name: String,
    pub condition: String,
    pub quantity: i64,
    pub balance_after: i64,
    pub unit_cost_fen: i64,
    pub reason: String,
    pub by_user: i64,
    pub by_name: String,
    pub at_ms: i64,
    pub part_request_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<String>,
    pub transfer_id: Option<i64>,
    pub purchase_order_id: Option<i64>,
    pub stock_count_id: Option<i64>,
}

const MOVEMENT_SELECT: &str = "SELECT m.id, m.kind, m.part_id, p.code AS part_code, \
    p.name AS part_name, m.warehouse_id, w.name AS warehouse_name, m.condition, m.quantity, \
    m.balance_after, m.unit_cost_fen, m.reason, m.by_user, u.display_name AS by_name, m.at_ms, \
    m.part_request_id, m.ticket_id, t.number AS ticket_number, m.transfer_id, \
    m.purchase_order_id, m.stock_count_id \
    FROM stock_movements m JOIN parts p ON p.id = m.part_id JOIN warehouses w ON w.id = m.warehouse_id \
    JOIN users u ON u.id = m.by_user LEFT JOIN service_tickets t ON t.id = m.ticket_id";

/// What [`post`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// The ledger row's id and the balance after it.
    Done {
        movement_id: i64,
        balance_after: i64,
    },
    /// The balance would have gone negative; nothing was written. What is there now.
    Insufficient { available: i64 },
}

/// PRT-2: the one way a balance changes. Moves the balance of the movement's condition by a
/// guarded `UPDATE … WHERE balance + quantity >= 0` (on PostgreSQL concurrent posters queue
/// on the row lock and re-check the guard; on SQLite writers are serial) and appends the
/// ledger row with the balance after it, in the caller's transaction.
pub async fn post(tx: &mut Tx, m: &NewMovement<'_>, by: i64, now_ms: i64) -> Result<Posted> {
    let column = match m.condition {
        "faulty" => "faulty",
        _ => "on_hand",
    };
    ensure_stock(tx, m.part_id, m.warehouse_id, now_ms).await?;
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE stock SET {column} = {column} + $3, updated_at_ms = $4
         WHERE part_id = $1 AND warehouse_id = $2 AND {column} + $3 >= 0 RETURNING {column}"
    ));
    let balance: Option<i64> = on!(tx, c => sqlx::query_scalar(sql)
        .bind(m.part_id).bind(m.warehouse_id).bind(m.quantity).bind(now_ms)
        .fetch_optional(c).await)
    .db()?;
    let Some(balance_after) = balance else {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {column} FROM stock WHERE part_id = $1 AND warehouse_id = $2"
        ));
        let available: i64 = on!(tx, c => sqlx::query_scalar(sql)
            .bind(m.part_id).bind(m.warehouse_id).fetch_one(c).await)
        .db()?;
        return Ok(Posted::Insufficient { available });
    };
    let movement_id = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO stock_movements (kind, part_id, warehouse_id, condition, quantity,
            balance_after, unit_cost_fen, reason, by_user, at_ms, part_request_id, ticket_id,
            transfer_id, purchase_order_id, stock_count_id)
         SELECT $1, $2, $3, $4, $5, $6, p.unit_cost_fen, $7, $8, $9, $10, $11, $12, $13, $14
         FROM parts p WHERE p.id = $2 RETURNING id")
        .bind(m.kind).bind(m.part_id).bind(m.warehouse_id).bind(m.condition).bind(m.quantity)
        .bind(balance_after).bind(m.reason).bind(by).bind(now_ms).bind(m.part_request_id)
        .bind(m.ticket_id).bind(m.transfer_id).bind(m.purchase_order_id).bind(m.stock_count_id)
        .fetch_one(c).await)
    .db()?;
    Ok(Posted::Done {
        movement_id,
        balance_after,
    })
}

pub async fn get_movement(tx: &mut Tx, id: i64) -> Result<Option<MovementRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{MOVEMENT_SELECT} WHERE m.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// Which ledger rows a list shows; newest first.
#[derive(Debug, Default, Clone)]
pub struct MovementFilter {
    pub part_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub kind: Option<String>,
    pub part_request_id: Option<i64>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub places: Places,
}

pub async fn movements(
    tx: &mut Tx,
    f: &MovementFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<MovementRecord>> {
    let rows: Vec<MovementRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{MOVEMENT_SELECT} WHERE m.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if let Some(p) = f.part_id {
            q.push(" AND m.part_id = ").push_bind(p);
        }
        if let Some(w) = f.warehouse_id {
            q.push(" AND m.warehouse_id = ").push_bind(w);
        }
        if let Some(k) = &f.kind {
            q.push(" AND m.kind = ").push_bind(k.clone());
        }
        if let Some(r) = f.part_request_id {
            q.push(" AND m.part_request_id = ").push_bind(r);
        }
        if let Some(from) = f.from_ms {
            q.push(" AND m.at_ms >= ").push_bind(from);
        }
        if let Some(to) = f.to_ms {
            q.push(" AND m.at_ms < ").push_bind(to);
        }
        f.places.push(&mut q, "w");
        q.push(" ORDER BY m.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// A balance that does not equal the sum of its ledger (there should never be one).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Mismatch {
    pub part_id: i64,
    pub warehouse_id: i64,
    pub on_hand: i64,
    pub ledger_good: i64,
    pub faulty: i64,
    pub ledger_faulty: i64,
}

/// PRT-2: every balance checked against the sum of its ledger, in one query.
pub async fn mismatches(tx: &mut Tx) -> Result<Vec<Mismatch>> {
    on!(tx, c => sqlx::query_as(
        "SELECT s.part_id, s.warehouse_id, s.on_hand, CAST(COALESCE(l.good, 0) AS BIGINT) AS ledger_good,
            s.faulty, CAST(COALESCE(l.faulty, 0) AS BIGINT) AS ledger_faulty
         FROM stock s LEFT JOIN (
            SELECT part_id, warehouse_id,
                SUM(CASE WHEN condition = 'good' THEN quantity ELSE 0 END) AS good,
                SUM(CASE WHEN condition = 'faulty' THEN quantity ELSE 0 END) AS faulty
            FROM stock_movements GROUP BY part_id, warehouse_id) l
         ON l.part_id = s.part_id AND l.warehouse_id = s.warehouse_id
         WHERE s.on_hand <> COALESCE(l.good, 0) OR s.faulty <> COALESCE(l.faulty, 0)
         ORDER BY s.part_id, s.warehouse_id")
        .fetch_all(c).await)
    .db()
}

/// Units issued per part and location since `since_ms`, for the level suggestion.
pub async fn issued_since(
    tx: &mut Tx,
    part_id: i64,
    warehouse_id: i64,
    since_ms: i64,
) -> Result<i64> {
    let n: Option<i64> = on!(tx, c => sqlx::query_scalar(
        "SELECT CAST(SUM(-quantity) AS BIGINT) FROM stock_movements
         WHERE part_id = $1 AND warehouse_id = $2 AND kind = 'issue' AND at_ms >= $3")
        .bind(part_id).bind(warehouse_id).bind(since_ms).fetch_one(c).await)
    .db()?;
    Ok(n.unwrap_or(0))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct TransferRecord {
    pub id: i64,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub from_warehouse_id: i64,
    pub from_name: String,
    pub to_warehouse_id: i64,
    pub to_name: String,
    pub quantity: i64,
    pub status: String,
    pub reason: String,
    pub sent_by: i64,
    pub sent_at_ms: i64,
    pub received_by: Option<i64>,
    pub received_at_ms: Option<i64>,
}

const TRANSFER_SELECT: &str = "SELECT t.id, t.part_id, p.code AS part_code, p.name AS part_name, \
    t.from_warehouse_id, f.name AS from_name, t.to_warehouse_id, d.name AS to_name, t.quantity, \
    t.status, t.reason, t.sent_by, t.sent_at_ms, t.received_by, t.received_at_ms \
    FROM stock_transfers t JOIN parts p ON p.id = t.part_id \
    JOIN warehouses f ON f.id = t.from_warehouse_id JOIN warehouses d ON d.id = t.to_warehouse_id";

pub struct NewTransfer<'a> {
    pub part_id: i64,
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    pub quantity: i64,
    pub reason: &'a str,
}

pub async fn insert_transfer(
    tx: &mut Tx,
    t: &NewTransfer<'_>,
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO stock_transfers (part_id, from_warehouse_id, to_warehouse_id, quantity,
            status, reason, sent_by, sent_at_ms)
         VALUES ($1, $2, $3, $4, 'in_transit', $5, $6, $7) RETURNING id")
        .bind(t.part_id).bind(t.from_warehouse_id).bind(t.to_warehouse_id).bind(t.quantity)
        .bind(t.reason).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn get_transfer(tx: &mut Tx, id: i64) -> Result<Option<TransferRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{TRANSFER_SELECT} WHERE t.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// Marks an in-transit transfer received; `NotFound` when it was received already.
pub async fn receive_transfer(tx: &mut Tx, id: i64, by: i64, now_ms: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE stock_transfers SET status = 'received', received_by = $2, received_at_ms = $3
         WHERE id = $1 AND status = 'in_transit'")
        .bind(id).bind(by).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// Transfers, newest first, optionally only those still in transit; `places` narrows to
/// transfers whose destination is among them.
pub async fn transfers(
    tx: &mut Tx,
    in_transit_only: bool,
    places: &Places,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<TransferRecord>> {
    let rows: Vec<TransferRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{TRANSFER_SELECT} WHERE t.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if in_transit_only {
            q.push(" AND t.status = 'in_transit'");
        }
        places.push(&mut q, "d");
        q.push(" ORDER BY t.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}
