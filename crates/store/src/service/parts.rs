//! SVC-5: parts an engineer asks the warehouse for. Each request runs its own 24 h clock
//! (the `parts` clock with its id); PRT-3 links a request to a catalog part and to the issue
//! that fulfilled it.

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PartRequestRow {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_number: String,
    pub institution_name: String,
    pub region_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub quantity: i64,
    pub note: String,
    /// requested / fulfilled / cancelled.
    pub status: String,
    pub requested_by: i64,
    pub requested_by_name: String,
    pub requested_at_ms: i64,
    pub closed_by: Option<i64>,
    pub closed_at_ms: Option<i64>,
    /// When the warehouse must have provided it (the request's own clock).
    pub due_at_ms: Option<i64>,
    /// The clock's state: running, met, breached, cancelled.
    pub clock_state: Option<String>,
    /// PRT-3: the catalog part asked for (requests made before the catalog have none).
    pub part_id: Option<i64>,
    /// PRT-3: the ledger row of the issue that fulfilled it.
    pub issue_movement_id: Option<i64>,
    /// PRT-3: units of the issue returned since.
    pub returned_qty: i64,
}

const SELECT: &str = "SELECT r.id, r.ticket_id, t.number AS ticket_number, \
    i.name AS institution_name, r.region_id, r.part_code, r.part_name, r.quantity, r.note, \
    r.status, r.requested_by, u.display_name AS requested_by_name, r.requested_at_ms, \
    r.closed_by, r.closed_at_ms, k.due_at_ms, k.state AS clock_state, r.part_id, \
    r.issue_movement_id, r.returned_qty \
    FROM part_requests r JOIN service_tickets t ON t.id = r.ticket_id \
    JOIN institutions i ON i.id = t.institution_id JOIN users u ON u.id = r.requested_by \
    LEFT JOIN sla_clocks k ON k.ticket_id = r.ticket_id AND k.milestone = 'parts' \
        AND k.part_request_id = r.id";

pub struct NewPartRequest<'a> {
    pub ticket_id: i64,
    pub part_id: Option<i64>,
    pub region_id: i64,
    pub part_code: &'a str,
    pub part_name: &'a str,
    pub quantity: i64,
    pub note: &'a str,
}

pub async fn insert(tx: &mut Tx, r: &NewPartRequest<'_>, by: i64, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO part_requests (ticket_id, region_id, part_code, part_name, quantity, note,
            status, requested_by, requested_at_ms, part_id)
         VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8, $9) RETURNING id")
        .bind(r.ticket_id).bind(r.region_id).bind(r.part_code).bind(r.part_name)
        .bind(r.quantity).bind(r.note).bind(by).bind(now_ms).bind(r.part_id)
        .fetch_one(c).await)
    .db()
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<PartRequestRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

pub async fn of_ticket(tx: &mut Tx, ticket_id: i64) -> Result<Vec<PartRequestRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.ticket_id = $1 ORDER BY r.id"));
    on!(tx, c => sqlx::query_as(sql).bind(ticket_id).fetch_all(c).await).db()
}

/// Closes a request still `requested` as `to` (fulfilled / cancelled); `NotFound` when
/// someone else closed it first.
pub async fn close(tx: &mut Tx, id: i64, to: &str, by: i64, now_ms: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE part_requests SET status = $2, closed_by = $3, closed_at_ms = $4
         WHERE id = $1 AND status = 'requested'")
        .bind(id).bind(to).bind(by).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// PRT-3: links a free-text request to the catalog part issued for it.
pub async fn set_part(tx: &mut Tx, id: i64, part_id: i64) -> Result<()> {
    exec!(tx, c => sqlx::query("UPDATE part_requests SET part_id = $2 WHERE id = $1")
        .bind(id).bind(part_id).execute(c).await)
    .db()?;
    Ok(())
}

/// PRT-3: records the ledger row of the issue that fulfilled a request.
pub async fn set_issue(tx: &mut Tx, id: i64, movement_id: i64) -> Result<()> {
    exec!(tx, c => sqlx::query("UPDATE part_requests SET issue_movement_id = $2 WHERE id = $1")
        .bind(id).bind(movement_id).execute(c).await)
    .db()?;
    Ok(())
}

/// PRT-3: counts `quantity` more units returned against an issued request, guarded so the
/// returns never exceed the issue (of two returns at once that would, one gets `NotFound`).
pub async fn add_returned(tx: &mut Tx, id: i64, quantity: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE part_requests SET returned_qty = returned_qty + $2
         WHERE id = $1 AND status = 'fulfilled' AND issue_movement_id IS NOT NULL
           AND returned_qty + $2 <= quantity")
        .bind(id).bind(quantity).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// The warehouse queue: open requests oldest first, keyset-paged by id, within `regions`
/// when given.
pub async fn queue(
    tx: &mut Tx,
    regions: Option<&[i64]>,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Page<PartRequestRow>> {
    let rows: Vec<PartRequestRow> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!(
            "{SELECT} WHERE r.status = 'requested' AND r.id > "));
        q.push_bind(after_id.unwrap_or(0));
        if let Some(regions) = regions {
            q.push(" AND r.region_id IN (");
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push(")");
        }
        q.push(" ORDER BY r.id LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}
