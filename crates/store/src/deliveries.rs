//! ORD: orders called off contracts, deliveries and their items, the installed base, the GSP
//! sales records (append-only: the database refuses UPDATE and DELETE) and the recall trace.

use crate::{Classify, Page, Result, Tx, exec, on};

/// Which rows a caller's scope reaches: `None` = no limit of that kind.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub regions: Option<Vec<i64>>,
    pub owner: Option<i64>,
}

/// ` AND <alias>.owner_id = … AND <alias>.region_id IN (…)` for `reach`.
fn push_reach<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, alias: &str, reach: &Reach)
where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(owner) = reach.owner {
        q.push(format!(" AND {alias}.owner_id = ")).push_bind(owner);
    }
    if let Some(regions) = &reach.regions {
        q.push(format!(" AND {alias}.region_id IN ("));
        let mut sep = q.separated(", ");
        sep.push("NULL");
        for r in regions {
            sep.push_bind(*r);
        }
        q.push(")");
    }
}

/// Takes the contract's row lock (PostgreSQL) so two orders or shipments against one contract
/// check their quantities one after the other; SQLite writers are serial already.
pub async fn lock_contract(tx: &mut Tx, contract_id: i64) -> Result<()> {
    exec!(tx, c => sqlx::query("UPDATE contracts SET updated_at_ms = updated_at_ms WHERE id = $1")
        .bind(contract_id).execute(c).await)
    .db()?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct OrderRecord {
    pub id: i64,
    pub number: String,
    pub contract_id: i64,
    pub contract_number: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub requested_date: String,
    pub status: String,
    pub note: String,
    pub created_by: i64,
    pub created_at_ms: i64,
}

const ORDER_SELECT: &str = "SELECT o.id, o.number, o.contract_id, k.number AS contract_number, \
    o.institution_id, i.name AS institution_name, o.owner_id, o.region_id, o.requested_date, o.status, \
    o.note, o.created_by, o.created_at_ms FROM orders o JOIN contracts k ON k.id = o.contract_id \
    JOIN institutions i ON i.id = o.institution_id";

pub struct NewOrder<'a> {
    pub contract_id: i64,
    pub institution_id: i64,
    pub owner_id: i64,
    pub region_id: i64,
    pub requested_date: &'a str,
    pub note: &'a str,
}

/// A new open order numbered `DD-<year>-<id, 6 digits>`.
pub async fn insert_order(
    tx: &mut Tx,
    o: &NewOrder<'_>,
    by: i64,
    year: i16,
    now_ms: i64,
) -> Result<i64> {
    let id: i64 = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO orders (number, contract_id, institution_id, owner_id, region_id, requested_date,
            status, note, created_by, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9) RETURNING id")
        .bind(format!("pending-{now_ms}-{}", o.contract_id)).bind(o.contract_id).bind(o.institution_id)
        .bind(o.owner_id).bind(o.region_id).bind(o.requested_date).bind(o.note).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()?;
    exec!(tx, c => sqlx::query("UPDATE orders SET number = $2 WHERE id = $1")
        .bind(id).bind(format!("DD-{year}-{id:06}")).execute(c).await)
    .db()?;
    Ok(id)
}

pub async fn insert_order_line(
    tx: &mut Tx,
    order_id: i64,
    contract_id: i64,
    line: (i64, i64),
    quantity: i64,
    unit_price_fen: i64,
) -> Result<i64> {
    let (line_no, product_id) = line;
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO order_lines (order_id, contract_id, line_no, product_id, quantity, unit_price_fen)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(order_id).bind(contract_id).bind(line_no).bind(product_id).bind(quantity)
        .bind(unit_price_fen).fetch_one(c).await)
    .db()
}

pub async fn get_order(tx: &mut Tx, id: i64) -> Result<Option<OrderRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{ORDER_SELECT} WHERE o.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct OrderLineRecord {
    pub id: i64,
    pub order_id: i64,
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
}

pub async fn order_lines(tx: &mut Tx, order_id: i64) -> Result<Vec<OrderLineRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT l.id, l.order_id, l.line_no, l.product_id, p.code AS product_code, p.name AS product_name,
            p.model, p.unit, p.serialized, l.quantity, l.delivered_qty, l.unit_price_fen
         FROM order_lines l JOIN products p ON p.id = l.product_id
         WHERE l.order_id = $1 ORDER BY l.line_no")
        .bind(order_id).fetch_all(c).await)
    .db()
}

/// `(line_no, quantity)` already called off each line of a contract by orders not cancelled.
pub async fn ordered_per_line(tx: &mut Tx, contract_id: i64) -> Result<Vec<(i64, i64)>> {
    on!(tx, c => sqlx::query_as(
        "SELECT l.line_no, CAST(SUM(l.quantity) AS BIGINT)
         FROM order_lines l JOIN orders o ON o.id = l.order_id
         WHERE l.contract_id = $1 AND o.status <> 'cancelled' GROUP BY l.line_no")
        .bind(contract_id).fetch_all(c).await)
    .db()
}

/// Adds `qty` shipped to an order line; refuses (NotFound) when it would pass the ordered
/// quantity, so a race between two shipments cannot over-deliver.
pub async fn add_delivered_qty(tx: &mut Tx, line_id: i64, qty: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE order_lines SET delivered_qty = delivered_qty + $2
         WHERE id = $1 AND delivered_qty + $2 <= quantity")
        .bind(line_id).bind(qty).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// Moves an order from `from` to `to`; NotFound when it is no longer in `from`.
pub async fn set_order_status(tx: &mut Tx, id: i64, from: &str, to: &str) -> Result<()> {
    let n =
        exec!(tx, c => sqlx::query("UPDATE orders SET status = $3 WHERE id = $1 AND status = $2")
        .bind(id).bind(from).bind(to).execute(c).await)
        .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// Cancels an open order nothing was shipped against; NotFound otherwise.
pub async fn cancel_order(tx: &mut Tx, id: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE orders SET status = 'cancelled'
         WHERE id = $1 AND status = 'open' AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.order_id = $1)")
        .bind(id).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<String>,
    pub contract_id: Option<i64>,
    pub institution_id: Option<i64>,
    /// Part of the order's or contract's number or the customer's name.
    pub query: Option<String>,
    pub reach: Reach,
}

/// Newest first; the cursor is the last id seen.
pub async fn list_orders(
    tx: &mut Tx,
    f: &OrderFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<OrderRecord>> {
    let rows: Vec<OrderRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{ORDER_SELECT} WHERE o.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if let Some(s) = &f.status {
            q.push(" AND o.status = ").push_bind(s.clone());
        }
        if let Some(k) = f.contract_id {
            q.push(" AND o.contract_id = ").push_bind(k);
        }
        if let Some(i) = f.institution_id {
            q.push(" AND o.institution_id = ").push_bind(i);
        }
        if let Some(text) = &f.query {
            let pattern = format!("%{}%", text.to_lowercase());
            q.push(" AND (LOWER(o.number) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(k.number) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(i.name) LIKE ").push_bind(pattern.clone());
            q.push(" OR i.name_initials LIKE ").push_bind(pattern).push(")");
        }
        push_reach(&mut q, "o", &f.reach);
        q.push(" ORDER BY o.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct DeliveryRecord {
    pub id: i64,
    pub number: String,
    pub order_id: i64,
    pub order_number: String,
    pub contract_id: i64,
    pub contract_number: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub address: String,
    pub ship_date: String,
    pub received_date: Option<String>,
    pub manual_provided: bool,
    pub label_provided: bool,
    pub certificate_provided: bool,
    pub status: String,
    pub created_by: i64,
    pub created_at_ms: i64,
}

const DELIVERY_SELECT: &str = "SELECT d.id, d.number, d.order_id, o.number AS order_number, d.contract_id, \
    k.number AS contract_number, d.institution_id, i.name AS institution_name, d.owner_id, d.region_id, \
    d.department_id, dep.name AS department_name, d.contact_id, ct.name AS contact_name, \
    ct.phone AS contact_phone, d.address, d.ship_date, d.received_date, d.manual_provided, \
    d.label_provided, d.certificate_provided, d.status, d.created_by, d.created_at_ms \
    FROM deliveries d JOIN orders o ON o.id = d.order_id JOIN contracts k ON k.id = d.contract_id \
    JOIN institutions i ON i.id = d.institution_id LEFT JOIN departments dep ON dep.id = d.department_id \
    LEFT JOIN contacts ct ON ct.id = d.contact_id";

pub struct NewDelivery<'a> {
    pub order: &'a OrderRecord,
    pub department_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub address: &'a str,
    pub ship_date: &'a str,
    /// PRD-5: manual, label, certificate of conformity.
    pub documents: [bool; 3],
}

/// A shipment numbered `FH-<year>-<id, 6 digits>`.
pub async fn insert_delivery(
    tx: &mut Tx,
    d: &NewDelivery<'_>,
    by: i64,
    year: i16,
    now_ms: i64,
) -> Result<i64> {
    let o = d.order;
    let [manual, label, certificate] = d.documents;
    let id: i64 = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO deliveries (number, order_id, contract_id, institution_id, owner_id, region_id,
            department_id, contact_id, address, ship_date, manual_provided, label_provided,
            certificate_provided, status, created_by, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'shipped', $14, $15) RETURNING id")
        .bind(format!("pending-{now_ms}-{}", o.id)).bind(o.id).bind(o.contract_id).bind(o.institution_id)
        .bind(o.owner_id).bind(o.region_id).bind(d.department_id).bind(d.contact_id).bind(d.address)
        .bind(d.ship_date).bind(manual).bind(label).bind(certificate).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()?;
    exec!(tx, c => sqlx::query("UPDATE deliveries SET number = $2 WHERE id = $1")
        .bind(id).bind(format!("FH-{year}-{id:06}")).execute(c).await)
    .db()?;
    Ok(id)
}

pub async fn get_delivery(tx: &mut Tx, id: i64) -> Result<Option<DeliveryRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{DELIVERY_SELECT} WHERE d.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

pub async fn deliveries_of_order(tx: &mut Tx, order_id: i64) -> Result<Vec<DeliveryRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{DELIVERY_SELECT} WHERE d.order_id = $1 ORDER BY d.id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(order_id).fetch_all(c).await).db()
}

/// ORD-1: the customer confirms receipt; NotFound when already received.
pub async fn confirm_receipt(tx: &mut Tx, id: i64, received_date: &str) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE deliveries SET received_date = $2, status = 'received' WHERE id = $1 AND status = 'shipped'")
        .bind(id).bind(received_date).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ItemRecord {
    pub id: i64,
    pub delivery_id: i64,
    pub order_line_id: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub model: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub udi: Option<String>,
    pub udi_di: Option<String>,
    pub production_date: Option<String>,
    pub expiry_date: Option<String>,
}

pub struct NewItem<'a> {
    pub delivery_id: i64,
    pub order_line_id: i64,
    pub product_id: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub lot: Option<&'a str>,
    pub serial: Option<&'a str>,
    pub udi: Option<&'a str>,
    pub udi_di: Option<&'a str>,
    pub production_date: Option<&'a str>,
    pub expiry_date: Option<&'a str>,
}

pub async fn insert_item(tx: &mut Tx, i: &NewItem<'_>) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO delivery_items (delivery_id, order_line_id, product_id, quantity, unit_price_fen,
            lot, serial, udi, udi_di, production_date, expiry_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(i.delivery_id).bind(i.order_line_id).bind(i.product_id).bind(i.quantity)
        .bind(i.unit_price_fen).bind(i.lot).bind(i.serial).bind(i.udi).bind(i.udi_di)
        .bind(i.production_date).bind(i.expiry_date).fetch_one(c).await)
    .db()
}

pub async fn items_of(tx: &mut Tx, delivery_id: i64) -> Result<Vec<ItemRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT it.id, it.delivery_id, it.order_line_id, it.product_id, p.code AS product_code,
            p.name AS product_name, p.model, p.unit, it.quantity, it.unit_price_fen, it.lot, it.serial,
            it.udi, it.udi_di, it.production_date, it.expiry_date
         FROM delivery_items it JOIN products p ON p.id = it.product_id
         WHERE it.delivery_id = $1 ORDER BY it.id")
        .bind(delivery_id).fetch_all(c).await)
    .db()
}

/// Whether `serial` of `product_id` was shipped before.
pub async fn serial_shipped(tx: &mut Tx, product_id: i64, serial: &str) -> Result<bool> {
    let n: Option<i64> = on!(tx, c => sqlx::query_scalar(
        "SELECT id FROM delivery_items WHERE product_id = $1 AND serial = $2 LIMIT 1")
        .bind(product_id).bind(serial).fetch_optional(c).await)
    .db()?;
    Ok(n.is_some())
}

/// CUS-2: one line of a customer's purchase history (an item shipped to it).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PurchaseRecord {
    pub delivery_id: i64,
    pub delivery_number: String,
    pub ship_date: String,
    pub contract_id: i64,
    pub contract_number: String,
    pub product_id: i64,
    pub product_name: String,
    pub model: String,
    pub quantity: i64,
    pub amount_fen: i64,
}

/// The newest `limit` purchase lines of an institution within `reach`.
pub async fn purchases(
    tx: &mut Tx,
    institution_id: i64,
    reach: &Reach,
    limit: i64,
) -> Result<Vec<PurchaseRecord>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT d.id AS delivery_id, d.number AS delivery_number, d.ship_date, d.contract_id,
                k.number AS contract_number, it.product_id, p.name AS product_name, p.model,
                CAST(SUM(it.quantity) AS BIGINT) AS quantity,
                CAST(SUM(it.quantity * it.unit_price_fen) AS BIGINT) AS amount_fen
             FROM deliveries d JOIN delivery_items it ON it.delivery_id = d.id
             JOIN products p ON p.id = it.product_id JOIN contracts k ON k.id = d.contract_id
             WHERE d.institution_id = ");
        q.push_bind(institution_id);
        push_reach(&mut q, "d", reach);
        q.push(" GROUP BY d.id, d.number, d.ship_date, d.contract_id, k.number, it.product_id, p.name, p.model");
        q.push(" ORDER BY d.ship_date DESC, d.id DESC, it.product_id LIMIT ").push_bind(limit);
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct DeviceRecord {
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
    pub owner_id: i64,
    pub region_id: i64,
    pub contract_id: Option<i64>,
    pub contract_number: Option<String>,
    pub delivery_item_id: Option<i64>,
    pub delivery_id: Option<i64>,
    pub delivery_number: Option<String>,
    pub delivered_on: String,
    pub installed_on: Option<String>,
    pub warranty_end: Option<String>,
    pub status: String,
    pub created_at_ms: i64,
}

const DEVICE_SELECT: &str = "SELECT v.id, v.product_id, p.code AS product_code, p.name AS product_name, \
    p.model, v.serial, v.lot, v.udi, v.institution_id, i.name AS institution_name, v.department_id, \
    dep.name AS department_name, v.contact_id, ct.name AS contact_name, v.owner_id, v.region_id, \
    v.contract_id, k.number AS contract_number, v.delivery_item_id, it.delivery_id, \
    dl.number AS delivery_number, v.delivered_on, v.installed_on, v.warranty_end, v.status, v.created_at_ms \
    FROM installed_devices v JOIN products p ON p.id = v.product_id \
    JOIN institutions i ON i.id = v.institution_id LEFT JOIN departments dep ON dep.id = v.department_id \
    LEFT JOIN contacts ct ON ct.id = v.contact_id LEFT JOIN contracts k ON k.id = v.contract_id \
    LEFT JOIN delivery_items it ON it.id = v.delivery_item_id LEFT JOIN deliveries dl ON dl.id = it.delivery_id";

pub struct NewDevice<'a> {
    pub product_id: i64,
    pub serial: &'a str,
    pub lot: Option<&'a str>,
    pub udi: Option<&'a str>,
    pub institution_id: i64,
    pub department_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub owner_id: i64,
    pub region_id: i64,
    pub contract_id: i64,
    pub delivery_item_id: i64,
    pub delivered_on: &'a str,
    pub warranty_end: Option<&'a str>,
}

pub async fn insert_device(tx: &mut Tx, v: &NewDevice<'_>, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO installed_devices (product_id, serial, lot, udi, institution_id, department_id,
            contact_id, owner_id, region_id, contract_id, delivery_item_id, delivered_on, warranty_end,
            status, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'delivered', $14) RETURNING id")
        .bind(v.product_id).bind(v.serial).bind(v.lot).bind(v.udi).bind(v.institution_id)
        .bind(v.department_id).bind(v.contact_id).bind(v.owner_id).bind(v.region_id).bind(v.contract_id)
        .bind(v.delivery_item_id).bind(v.delivered_on).bind(v.warranty_end).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn get_device(tx: &mut Tx, id: i64) -> Result<Option<DeviceRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{DEVICE_SELECT} WHERE v.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// ORD-2: what a service manager may change on a device.
pub struct DeviceChange<'a> {
    pub installed_on: Option<&'a str>,
    pub warranty_end: Option<&'a str>,
    pub department_id: Option<i64>,
    pub status: &'a str,
}

pub async fn update_device(tx: &mut Tx, id: i64, ch: &DeviceChange<'_>) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "UPDATE installed_devices SET installed_on = $2, warranty_end = $3, department_id = $4, status = $5
         WHERE id = $1")
        .bind(id).bind(ch.installed_on).bind(ch.warranty_end).bind(ch.department_id).bind(ch.status)
        .execute(c).await)
    .db()?;
    Ok(())
}

/// Moves a device from status `from` to `to` (a no-op if someone changed it meanwhile).
pub async fn set_device_status(tx: &mut Tx, id: i64, from: &str, to: &str) -> Result<()> {
    exec!(tx, c => sqlx::query("UPDATE installed_devices SET status = $3 WHERE id = $1 AND status = $2")
        .bind(id).bind(from).bind(to).execute(c).await)
    .db()?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct DeviceFilter {
    /// Part of the serial, the product's code or name, or the customer's name.
    pub query: Option<String>,
    pub product_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub status: Option<String>,
    pub reach: Reach,
}

pub async fn list_devices(
    tx: &mut Tx,
    f: &DeviceFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<DeviceRecord>> {
    let rows: Vec<DeviceRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{DEVICE_SELECT} WHERE v.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if let Some(p) = f.product_id {
            q.push(" AND v.product_id = ").push_bind(p);
        }
        if let Some(i) = f.institution_id {
            q.push(" AND v.institution_id = ").push_bind(i);
        }
        if let Some(s) = &f.status {
            q.push(" AND v.status = ").push_bind(s.clone());
        }
        if let Some(text) = &f.query {
            let pattern = format!("%{}%", text.to_lowercase());
            q.push(" AND (LOWER(v.serial) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(p.code) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(p.name) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(i.name) LIKE ").push_bind(pattern.clone());
            q.push(" OR i.name_initials LIKE ").push_bind(pattern).push(")");
        }
        push_reach(&mut q, "v", &f.reach);
        q.push(" ORDER BY v.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// ORD-3: one sales record as the regulator reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct GspRecord {
    pub id: i64,
    pub delivery_item_id: Option<i64>,
    pub corrects_id: Option<i64>,
    /// The correction of this record, when there is one.
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
    pub buyer_id: i64,
    pub buyer_name: String,
    pub buyer_address: String,
    pub buyer_contact: String,
    pub sale_date: String,
    pub region_id: i64,
    pub implantable: bool,
    pub retain_until: Option<String>,
    pub created_by: i64,
    pub created_at_ms: i64,
}

const GSP_SELECT: &str = "SELECT g.id, g.delivery_item_id, g.corrects_id, n.id AS corrected_by, \
    g.correction_reason, g.product_id, g.product_name, g.model, g.registration_no, g.manufacturer, g.lot, \
    g.serial, g.production_date, g.expiry_date, g.quantity, g.unit_price_fen, g.buyer_id, g.buyer_name, \
    g.buyer_address, g.buyer_contact, g.sale_date, g.region_id, g.implantable, g.retain_until, \
    g.created_by, g.created_at_ms FROM gsp_records g LEFT JOIN gsp_records n ON n.corrects_id = g.id";

/// The content of a new record (an original or a correction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGsp {
    pub delivery_item_id: Option<i64>,
    pub corrects_id: Option<i64>,
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
    pub buyer_id: i64,
    pub buyer_name: String,
    pub buyer_address: String,
    pub buyer_contact: String,
    pub sale_date: String,
    pub region_id: i64,
    pub implantable: bool,
    pub retain_until: Option<String>,
}

impl From<GspRecord> for NewGsp {
    fn from(g: GspRecord) -> Self {
        NewGsp {
            delivery_item_id: g.delivery_item_id,
            corrects_id: g.corrects_id,
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
            unit_price_fen: g.unit_price_fen,
            buyer_id: g.buyer_id,
            buyer_name: g.buyer_name,
            buyer_address: g.buyer_address,
            buyer_contact: g.buyer_contact,
            sale_date: g.sale_date,
            region_id: g.region_id,
            implantable: g.implantable,
            retain_until: g.retain_until,
        }
    }
}

/// Adds a record; a second correction of the same record is a Conflict.
pub async fn insert_gsp(tx: &mut Tx, g: &NewGsp, by: i64, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO gsp_records (delivery_item_id, corrects_id, correction_reason, product_id,
            product_name, model, registration_no, manufacturer, lot, serial, production_date, expiry_date,
            quantity, unit_price_fen, buyer_id, buyer_name, buyer_address, buyer_contact, sale_date,
            region_id, implantable, retain_until, created_by, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
            $20, $21, $22, $23, $24) RETURNING id")
        .bind(g.delivery_item_id).bind(g.corrects_id).bind(&g.correction_reason).bind(g.product_id)
        .bind(&g.product_name).bind(&g.model).bind(&g.registration_no).bind(&g.manufacturer)
        .bind(&g.lot).bind(&g.serial).bind(&g.production_date).bind(&g.expiry_date).bind(g.quantity)
        .bind(g.unit_price_fen).bind(g.buyer_id).bind(&g.buyer_name).bind(&g.buyer_address)
        .bind(&g.buyer_contact).bind(&g.sale_date).bind(g.region_id).bind(g.implantable)
        .bind(&g.retain_until).bind(by).bind(now_ms).fetch_one(c).await)
    .db()
}

pub async fn get_gsp(tx: &mut Tx, id: i64) -> Result<Option<GspRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{GSP_SELECT} WHERE g.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

#[derive(Debug, Clone, Default)]
pub struct GspFilter {
    /// Sale dates from and to (inclusive), `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
    pub product_id: Option<i64>,
    pub buyer_id: Option<i64>,
    /// Only these regions (the sales records have no owner).
    pub regions: Option<Vec<i64>>,
}

/// Newest first by id; `limit` rows (plus one to know whether more exist).
pub async fn list_gsp(
    tx: &mut Tx,
    f: &GspFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<GspRecord>> {
    let rows: Vec<GspRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{GSP_SELECT} WHERE g.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if let Some(from) = &f.from {
            q.push(" AND g.sale_date >= ").push_bind(from.clone());
        }
        if let Some(to) = &f.to {
            q.push(" AND g.sale_date <= ").push_bind(to.clone());
        }
        if let Some(p) = f.product_id {
            q.push(" AND g.product_id = ").push_bind(p);
        }
        if let Some(b) = f.buyer_id {
            q.push(" AND g.buyer_id = ").push_bind(b);
        }
        let reach = Reach { regions: f.regions.clone(), owner: None };
        push_reach(&mut q, "g", &reach);
        q.push(" ORDER BY g.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// ORD-4: one affected unit: an installed device, or the delivery item of a lot of a product
/// without serials.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct TraceRow {
    /// `device` or `item`.
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
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub delivered_on: String,
    /// The device's status; `None` for a delivery item.
    pub device_status: Option<String>,
    pub region_id: i64,
}

/// What a trace looks for within one product.
#[derive(Debug, Clone, Copy)]
pub enum TraceBy<'a> {
    Lot(&'a str),
    /// Serials of this length, from ≤ serial ≤ to byte by byte (see the domain's SerialRange).
    Serials {
        from: &'a str,
        to: &'a str,
    },
}

/// ORD-4 in one query: the installed devices and the serial-less delivery items of `product_id`
/// that `by` reaches, within `reach`, by customer. A lot is found through the
/// `(product_id, lot)` indexes; a serial range through `(product_id, serial)`.
pub async fn trace(
    tx: &mut Tx,
    product_id: i64,
    by: TraceBy<'_>,
    reach: &Reach,
) -> Result<Vec<TraceRow>> {
    // PostgreSQL's default collation may not sort byte by byte; the range must.
    let collate = match tx.backend() {
        crate::Backend::Postgres => " COLLATE \"C\"",
        crate::Backend::Sqlite => "",
    };
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT 'device' AS kind, v.id AS device_id, v.delivery_item_id AS delivery_item_id,
                it.delivery_id AS delivery_id, v.lot AS lot, v.serial AS serial,
                CAST(1 AS BIGINT) AS quantity, v.institution_id AS institution_id, i.name AS institution_name,
                i.address AS institution_address, v.department_id, dep.name AS department_name,
                v.contact_id, ct.name AS contact_name, ct.phone AS contact_phone,
                v.delivered_on, v.status AS device_status, v.region_id
             FROM installed_devices v JOIN institutions i ON i.id = v.institution_id
             LEFT JOIN delivery_items it ON it.id = v.delivery_item_id
             LEFT JOIN departments dep ON dep.id = v.department_id
             LEFT JOIN contacts ct ON ct.id = v.contact_id
             WHERE v.product_id = ");
        q.push_bind(product_id);
        push_trace_by(&mut q, "v", by, collate);
        push_reach(&mut q, "v", reach);
        q.push(
            " UNION ALL
             SELECT 'item', NULL, it.id, it.delivery_id, it.lot, it.serial, it.quantity, d.institution_id,
                i.name, i.address, d.department_id, dep.name, d.contact_id, ct.name, ct.phone,
                d.ship_date, NULL, d.region_id
             FROM delivery_items it JOIN deliveries d ON d.id = it.delivery_id
             JOIN products p ON p.id = it.product_id AND p.serialized = FALSE
             JOIN institutions i ON i.id = d.institution_id
             LEFT JOIN departments dep ON dep.id = d.department_id
             LEFT JOIN contacts ct ON ct.id = d.contact_id
             WHERE it.product_id = ");
        q.push_bind(product_id);
        push_trace_by(&mut q, "it", by, collate);
        push_reach(&mut q, "d", reach);
        q.push(" ORDER BY institution_name, institution_id, serial, delivery_item_id");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

fn push_trace_by<DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<DB>,
    alias: &str,
    by: TraceBy<'_>,
    collate: &str,
) where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    match by {
        TraceBy::Lot(lot) => {
            q.push(format!(" AND {alias}.lot = "))
                .push_bind(lot.to_owned());
        }
        TraceBy::Serials { from, to } => {
            let width = i64::try_from(from.chars().count()).unwrap_or(i64::MAX);
            q.push(format!(" AND LENGTH({alias}.serial) = "))
                .push_bind(width);
            q.push(format!(" AND {alias}.serial{collate} >= "))
                .push_bind(from.to_owned());
            q.push(format!(" AND {alias}.serial{collate} <= "))
                .push_bind(to.to_owned());
        }
    }
}
