//! PRT-5: purchase orders with their lines, receipts against them and each receipt's
//! acceptance record. A receipt raises a line's `accepted_qty` only by a guarded `UPDATE …
//! WHERE accepted_qty + received <= quantity`, under the order row locked by
//! [`lock_open_order`], so a delivery never exceeds what is outstanding and never lands on a
//! closed order, however many receipts run at once. Accepted units are posted to stock by the
//! caller through [`super::post`].

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct OrderRecord {
    pub id: i64,
    pub number: String,
    pub supplier_id: i64,
    pub supplier_name: String,
    pub warehouse_id: i64,
    pub warehouse_name: String,
    pub delivery_date: String,
    pub status: String,
    pub note: String,
    /// Σ quantity × unit price of the lines.
    pub total_fen: i64,
    pub created_by: i64,
    pub created_by_name: String,
    pub created_at_ms: i64,
    pub closed_by: Option<i64>,
    pub closed_at_ms: Option<i64>,
    pub close_reason: String,
    pub updated_at_ms: i64,
}

const ORDER_SELECT: &str = "SELECT o.id, o.number, o.supplier_id, s.name AS supplier_name, \
    o.warehouse_id, w.name AS warehouse_name, o.delivery_date, o.status, o.note, \
    CAST(COALESCE((SELECT SUM(l.quantity * l.unit_price_fen) FROM purchase_order_lines l \
        WHERE l.purchase_order_id = o.id), 0) AS BIGINT) AS total_fen, \
    o.created_by, u.display_name AS created_by_name, o.created_at_ms, o.closed_by, o.closed_at_ms, \
    o.close_reason, o.updated_at_ms \
    FROM purchase_orders o JOIN suppliers s ON s.id = o.supplier_id \
    JOIN warehouses w ON w.id = o.warehouse_id JOIN users u ON u.id = o.created_by";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct OrderLineRecord {
    pub id: i64,
    pub purchase_order_id: i64,
    pub line_no: i64,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub unit: String,
    pub tracking: String,
    pub spec: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub quality_standard: String,
    pub received_qty: i64,
    pub accepted_qty: i64,
}

const LINE_SELECT: &str = "SELECT l.id, l.purchase_order_id, l.line_no, l.part_id, \
    p.code AS part_code, p.name AS part_name, p.unit, p.tracking, l.spec, l.quantity, \
    l.unit_price_fen, l.quality_standard, l.received_qty, l.accepted_qty \
    FROM purchase_order_lines l JOIN parts p ON p.id = l.part_id";

pub struct NewOrder<'a> {
    pub supplier_id: i64,
    pub warehouse_id: i64,
    pub delivery_date: &'a str,
    pub note: &'a str,
    /// `yyyymmdd` of the order in business time, for the number.
    pub day: &'a str,
}

pub struct NewOrderLine<'a> {
    pub line_no: i64,
    pub part_id: i64,
    pub spec: &'a str,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub quality_standard: &'a str,
}

/// A new open order numbered PO-<day>-<id>, with its lines.
pub async fn insert_order(
    tx: &mut Tx,
    o: &NewOrder<'_>,
    lines: &[NewOrderLine<'_>],
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    let id: i64 = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO purchase_orders (number, supplier_id, warehouse_id, delivery_date, status,
            note, created_by, created_at_ms, updated_at_ms)
         VALUES ('', $1, $2, $3, 'open', $4, $5, $6, $6) RETURNING id")
        .bind(o.supplier_id).bind(o.warehouse_id).bind(o.delivery_date).bind(o.note).bind(by)
        .bind(now_ms).fetch_one(c).await)
    .db()?;
    exec!(tx, c => sqlx::query("UPDATE purchase_orders SET number = $2 WHERE id = $1")
        .bind(id).bind(format!("PO-{}-{id:06}", o.day)).execute(c).await)
    .db()?;
    for l in lines {
        exec!(tx, c => sqlx::query(
            "INSERT INTO purchase_order_lines (purchase_order_id, line_no, part_id, spec, quantity,
                unit_price_fen, quality_standard)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id).bind(l.line_no).bind(l.part_id).bind(l.spec).bind(l.quantity)
            .bind(l.unit_price_fen).bind(l.quality_standard).execute(c).await)
        .db()?;
    }
    Ok(id)
}

pub async fn get_order(tx: &mut Tx, id: i64) -> Result<Option<OrderRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{ORDER_SELECT} WHERE o.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

pub async fn order_lines(tx: &mut Tx, order_id: i64) -> Result<Vec<OrderLineRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{LINE_SELECT} WHERE l.purchase_order_id = $1 ORDER BY l.line_no"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(order_id).fetch_all(c).await).db()
}

/// Which orders a list shows; newest first.
#[derive(Debug, Default, Clone)]
pub struct OrderFilter {
    pub status: Option<String>,
    pub supplier_id: Option<i64>,
}

pub async fn orders(
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
        if let Some(s) = f.supplier_id {
            q.push(" AND o.supplier_id = ").push_bind(s);
        }
        q.push(" ORDER BY o.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// Locks an open order for a receipt (on PostgreSQL a concurrent close or receipt waits and
/// re-checks the status); false when the order is not open.
pub async fn lock_open_order(tx: &mut Tx, id: i64, now_ms: i64) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE purchase_orders SET updated_at_ms = $2 WHERE id = $1 AND status = 'open'")
        .bind(id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(n > 0)
}

/// Closes an open order (short, with the reason); false when it was not open.
pub async fn close_order(tx: &mut Tx, id: i64, reason: &str, by: i64, now_ms: i64) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE purchase_orders SET status = 'closed', close_reason = $2, closed_by = $3,
            closed_at_ms = $4, updated_at_ms = $4
         WHERE id = $1 AND status = 'open'")
        .bind(id).bind(reason).bind(by).bind(now_ms).execute(c).await)
    .db()?;
    Ok(n > 0)
}

/// Closes an open order whose every line is accepted in full; true when it did.
pub async fn close_if_complete(
    tx: &mut Tx,
    id: i64,
    reason: &str,
    by: i64,
    now_ms: i64,
) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE purchase_orders SET status = 'closed', close_reason = $2, closed_by = $3,
            closed_at_ms = $4, updated_at_ms = $4
         WHERE id = $1 AND status = 'open' AND NOT EXISTS (SELECT 1 FROM purchase_order_lines l
            WHERE l.purchase_order_id = $1 AND l.accepted_qty < l.quantity)")
        .bind(id).bind(reason).bind(by).bind(now_ms).execute(c).await)
    .db()?;
    Ok(n > 0)
}

/// Books a delivery on an order line: `received` more arrived, `accepted` more passed.
/// Guarded: false (nothing written) when `received` exceeds what is still outstanding.
pub async fn book_line(tx: &mut Tx, line_id: i64, received: i64, accepted: i64) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE purchase_order_lines SET received_qty = received_qty + $2,
            accepted_qty = accepted_qty + $3
         WHERE id = $1 AND accepted_qty + $2 <= quantity")
        .bind(line_id).bind(received).bind(accepted).execute(c).await)
    .db()?;
    Ok(n > 0)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ReceiptRecord {
    pub id: i64,
    pub purchase_order_id: i64,
    pub inspector_id: i64,
    pub inspector_name: String,
    pub note: String,
    pub received_by: i64,
    pub received_by_name: String,
    pub received_at_ms: i64,
}

const RECEIPT_SELECT: &str = "SELECT r.id, r.purchase_order_id, r.inspector_id, \
    i.display_name AS inspector_name, r.note, r.received_by, u.display_name AS received_by_name, \
    r.received_at_ms FROM purchase_receipts r JOIN users i ON i.id = r.inspector_id \
    JOIN users u ON u.id = r.received_by";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ReceiptLineRecord {
    pub id: i64,
    pub receipt_id: i64,
    pub order_line_id: i64,
    pub line_no: i64,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub received_qty: i64,
    pub accepted_qty: i64,
    pub trace: String,
    pub reject_reason: String,
    pub movement_id: Option<i64>,
}

pub async fn insert_receipt(
    tx: &mut Tx,
    order_id: i64,
    inspector_id: i64,
    note: &str,
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO purchase_receipts (purchase_order_id, inspector_id, note, received_by,
            received_at_ms)
         VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(order_id).bind(inspector_id).bind(note).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub struct NewReceiptLine<'a> {
    pub order_line_id: i64,
    pub received_qty: i64,
    pub accepted_qty: i64,
    pub trace: &'a str,
    pub reject_reason: &'a str,
    /// The receipt movement of the accepted units (none when nothing was accepted).
    pub movement_id: Option<i64>,
}

pub async fn insert_receipt_line(
    tx: &mut Tx,
    receipt_id: i64,
    l: &NewReceiptLine<'_>,
) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO purchase_receipt_lines (receipt_id, order_line_id, received_qty,
            accepted_qty, trace, reject_reason, movement_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(receipt_id).bind(l.order_line_id).bind(l.received_qty).bind(l.accepted_qty)
        .bind(l.trace).bind(l.reject_reason).bind(l.movement_id).execute(c).await)
    .db()?;
    Ok(())
}

/// An order's receipts, oldest first (an order has a handful of deliveries).
pub async fn receipts(tx: &mut Tx, order_id: i64) -> Result<Vec<ReceiptRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{RECEIPT_SELECT} WHERE r.purchase_order_id = $1 ORDER BY r.id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(order_id).fetch_all(c).await).db()
}

/// The lines of every receipt of an order, by receipt then order line.
pub async fn receipt_lines(tx: &mut Tx, order_id: i64) -> Result<Vec<ReceiptLineRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT rl.id, rl.receipt_id, rl.order_line_id, l.line_no, l.part_id, p.code AS part_code,
            p.name AS part_name, rl.received_qty, rl.accepted_qty, rl.trace, rl.reject_reason,
            rl.movement_id
         FROM purchase_receipt_lines rl JOIN purchase_receipts r ON r.id = rl.receipt_id
         JOIN purchase_order_lines l ON l.id = rl.order_line_id JOIN parts p ON p.id = l.part_id
         WHERE r.purchase_order_id = $1 ORDER BY rl.receipt_id, l.line_no")
        .bind(order_id).fetch_all(c).await)
    .db()
}
