//! PRT-4: stock count sheets (盘点) and their lines. A sheet moves counting → submitted →
//! approved/rejected by status-guarded `UPDATE`s (of two deciders one wins); the book is
//! snapshotted into the lines when the sheet is submitted. Approval's adjustments are posted
//! by the caller through [`super::post`] and linked back with [`set_line_movement`].

use super::Places;
use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct CountRecord {
    pub id: i64,
    pub warehouse_id: i64,
    pub warehouse_name: String,
    pub blind: bool,
    pub status: String,
    pub note: String,
    pub created_by: i64,
    pub created_by_name: String,
    pub created_at_ms: i64,
    pub submitted_by: Option<i64>,
    pub submitted_at_ms: Option<i64>,
    pub decided_by: Option<i64>,
    pub decided_at_ms: Option<i64>,
    pub comment: String,
    pub updated_at_ms: i64,
}

const COUNT_SELECT: &str = "SELECT c.id, c.warehouse_id, w.name AS warehouse_name, c.blind, \
    c.status, c.note, c.created_by, u.display_name AS created_by_name, c.created_at_ms, \
    c.submitted_by, c.submitted_at_ms, c.decided_by, c.decided_at_ms, c.comment, c.updated_at_ms \
    FROM stock_counts c JOIN warehouses w ON w.id = c.warehouse_id JOIN users u ON u.id = c.created_by";

/// One part on a sheet, with the live balance (`on_hand`) beside the submitted book.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct CountLineRecord {
    pub id: i64,
    pub count_id: i64,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub unit: String,
    pub counted_qty: Option<i64>,
    pub counted_by: Option<i64>,
    pub book_qty: Option<i64>,
    pub on_hand: i64,
    pub movement_id: Option<i64>,
}

const LINE_SELECT: &str = "SELECT l.id, l.count_id, l.part_id, p.code AS part_code, \
    p.name AS part_name, p.unit, l.counted_qty, l.counted_by, l.book_qty, \
    CAST(COALESCE(s.on_hand, 0) AS BIGINT) AS on_hand, l.movement_id \
    FROM stock_count_lines l JOIN stock_counts c ON c.id = l.count_id \
    JOIN parts p ON p.id = l.part_id \
    LEFT JOIN stock s ON s.part_id = l.part_id AND s.warehouse_id = c.warehouse_id";

/// A new sheet; the partial unique index refuses a second open one at a location (`Conflict`).
pub async fn insert_count(
    tx: &mut Tx,
    warehouse_id: i64,
    blind: bool,
    note: &str,
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO stock_counts (warehouse_id, blind, status, note, created_by, created_at_ms,
            updated_at_ms)
         VALUES ($1, $2, 'counting', $3, $4, $5, $5) RETURNING id")
        .bind(warehouse_id).bind(blind).bind(note).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

/// How many parts have a balance row at a location (what a new sheet lists).
pub async fn stocked_parts(tx: &mut Tx, warehouse_id: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM stock WHERE warehouse_id = $1")
        .bind(warehouse_id).fetch_one(c).await)
    .db()
}

/// Puts every part with a balance row at the sheet's location on it.
pub async fn add_stocked_lines(tx: &mut Tx, count_id: i64, warehouse_id: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO stock_count_lines (count_id, part_id)
         SELECT $1, part_id FROM stock WHERE warehouse_id = $2 ORDER BY part_id
         ON CONFLICT (count_id, part_id) DO NOTHING")
        .bind(count_id).bind(warehouse_id).execute(c).await)
    .db()?;
    Ok(())
}

/// Puts a part on the sheet (uncounted) unless it is on it.
pub async fn add_line(tx: &mut Tx, count_id: i64, part_id: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO stock_count_lines (count_id, part_id) VALUES ($1, $2)
         ON CONFLICT (count_id, part_id) DO NOTHING")
        .bind(count_id).bind(part_id).execute(c).await)
    .db()?;
    Ok(())
}

/// Records what was counted of a part (adding the part to the sheet when it was not on it:
/// found where the book has none) and who counted it.
pub async fn record_line(
    tx: &mut Tx,
    count_id: i64,
    part_id: i64,
    counted_qty: i64,
    by: i64,
) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO stock_count_lines (count_id, part_id, counted_qty, counted_by)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (count_id, part_id)
         DO UPDATE SET counted_qty = excluded.counted_qty, counted_by = excluded.counted_by")
        .bind(count_id).bind(part_id).bind(counted_qty).bind(by).execute(c).await)
    .db()?;
    exec!(tx, c => sqlx::query(
        "INSERT INTO stock_count_counters (count_id, user_id) VALUES ($1, $2)
         ON CONFLICT (count_id, user_id) DO NOTHING")
        .bind(count_id).bind(by).execute(c).await)
    .db()?;
    Ok(())
}

/// Whether `user_id` recorded any count on the sheet (even one later recounted by another).
pub async fn counted_by(tx: &mut Tx, count_id: i64, user_id: i64) -> Result<bool> {
    let n: i64 = on!(tx, c => sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM stock_count_counters
         WHERE count_id = $1 AND user_id = $2")
        .bind(count_id).bind(user_id).fetch_one(c).await)
    .db()?;
    Ok(n > 0)
}

/// Locks a sheet that is still being counted (and marks it changed); false when it is not.
pub async fn touch_counting(tx: &mut Tx, id: i64, now_ms: i64) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE stock_counts SET updated_at_ms = $2 WHERE id = $1 AND status = 'counting'")
        .bind(id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(n > 0)
}

/// Submits a sheet being counted and snapshots the book of every line; false when the sheet
/// was not being counted.
pub async fn submit(tx: &mut Tx, id: i64, by: i64, now_ms: i64) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE stock_counts SET status = 'submitted', submitted_by = $2, submitted_at_ms = $3,
            updated_at_ms = $3
         WHERE id = $1 AND status = 'counting'")
        .bind(id).bind(by).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Ok(false);
    }
    exec!(tx, c => sqlx::query(
        "UPDATE stock_count_lines SET book_qty = COALESCE((SELECT s.on_hand FROM stock s
            JOIN stock_counts c ON c.warehouse_id = s.warehouse_id
            WHERE c.id = stock_count_lines.count_id AND s.part_id = stock_count_lines.part_id), 0)
         WHERE count_id = $1")
        .bind(id).execute(c).await)
    .db()?;
    Ok(true)
}

/// Approves or rejects a submitted sheet; false when it was not (or no longer) submitted.
pub async fn decide(
    tx: &mut Tx,
    id: i64,
    status: &str,
    comment: &str,
    by: i64,
    now_ms: i64,
) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE stock_counts SET status = $2, comment = $3, decided_by = $4, decided_at_ms = $5,
            updated_at_ms = $5
         WHERE id = $1 AND status = 'submitted'")
        .bind(id).bind(status).bind(comment).bind(by).bind(now_ms).execute(c).await)
    .db()?;
    Ok(n > 0)
}

/// The adjustment approval posted for a line.
pub async fn set_line_movement(tx: &mut Tx, line_id: i64, movement_id: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "UPDATE stock_count_lines SET movement_id = $2 WHERE id = $1 AND movement_id IS NULL")
        .bind(line_id).bind(movement_id).execute(c).await)
    .db()?;
    Ok(())
}

pub async fn get_count(tx: &mut Tx, id: i64) -> Result<Option<CountRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{COUNT_SELECT} WHERE c.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// A sheet's lines by part code.
pub async fn lines(tx: &mut Tx, count_id: i64) -> Result<Vec<CountLineRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{LINE_SELECT} WHERE l.count_id = $1 ORDER BY p.code, l.id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(count_id).fetch_all(c).await).db()
}

/// Which sheets a list shows; newest first.
#[derive(Debug, Default, Clone)]
pub struct CountFilter {
    pub status: Option<String>,
    pub warehouse_id: Option<i64>,
    pub places: Places,
}

pub async fn counts(
    tx: &mut Tx,
    f: &CountFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<CountRecord>> {
    let rows: Vec<CountRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{COUNT_SELECT} WHERE c.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if let Some(s) = &f.status {
            q.push(" AND c.status = ").push_bind(s.clone());
        }
        if let Some(w) = f.warehouse_id {
            q.push(" AND c.warehouse_id = ").push_bind(w);
        }
        f.places.push(&mut q, "w");
        q.push(" ORDER BY c.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}
