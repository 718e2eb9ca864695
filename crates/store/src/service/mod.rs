//! SVC: service tickets, their event log and the SLA clocks derived from it, the configured
//! targets and the assignment history. Records, parts, follow-ups, maintenance and the board
//! have their own modules.

pub mod dispatch;
pub mod evaluation;
pub mod followup;
pub mod maintenance;
pub mod parts;
pub mod records;
pub mod sla;

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct TicketRecord {
    pub id: i64,
    pub number: String,
    pub channel: String,
    pub kind: String,
    pub priority: String,
    pub status: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub caller_name: String,
    pub caller_phone: String,
    pub device_id: Option<i64>,
    pub device_serial: Option<String>,
    pub product_name: Option<String>,
    pub product_line: Option<String>,
    pub contract_id: Option<i64>,
    pub region_id: i64,
    pub fault: String,
    pub requested_at_ms: i64,
    pub handler_id: Option<i64>,
    pub handler_name: Option<String>,
    pub engineer_id: Option<i64>,
    pub engineer_name: Option<String>,
    pub resolution: String,
    pub pm_plan_id: Option<i64>,
    pub created_by: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The earliest due time among the ticket's open clocks (lists sort and colour by it).
    pub next_due_at_ms: Option<i64>,
}

const TICKET_SELECT: &str = "SELECT t.id, t.number, t.channel, t.kind, t.priority, t.status, \
    t.institution_id, i.name AS institution_name, t.department_id, d.name AS department_name, \
    t.contact_id, c.name AS contact_name, t.caller_name, t.caller_phone, t.device_id, \
    v.serial AS device_serial, p.name AS product_name, p.product_line, t.contract_id, t.region_id, \
    t.fault, t.requested_at_ms, t.handler_id, h.display_name AS handler_name, t.engineer_id, \
    e.display_name AS engineer_name, t.resolution, t.pm_plan_id, t.created_by, t.created_at_ms, \
    t.updated_at_ms, \
    (SELECT MIN(k.due_at_ms) FROM sla_clocks k WHERE k.ticket_id = t.id AND k.state IN ('running', 'breached') \
        AND k.stopped_at_ms IS NULL) AS next_due_at_ms \
    FROM service_tickets t JOIN institutions i ON i.id = t.institution_id \
    LEFT JOIN departments d ON d.id = t.department_id LEFT JOIN contacts c ON c.id = t.contact_id \
    LEFT JOIN installed_devices v ON v.id = t.device_id LEFT JOIN products p ON p.id = v.product_id \
    LEFT JOIN users h ON h.id = t.handler_id LEFT JOIN users e ON e.id = t.engineer_id";

pub struct NewTicket<'a> {
    pub channel: &'a str,
    pub kind: &'a str,
    pub priority: &'a str,
    pub institution_id: i64,
    pub department_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub caller_name: &'a str,
    pub caller_phone: &'a str,
    pub device_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub region_id: i64,
    pub fault: &'a str,
    pub requested_at_ms: i64,
    pub engineer_id: Option<i64>,
    pub pm_plan_id: Option<i64>,
    /// `yyyymmdd` of the request in business time, for the number.
    pub day: &'a str,
}

/// A new ticket numbered SR-<day>-<id>.
pub async fn insert_ticket(tx: &mut Tx, t: &NewTicket<'_>, by: i64, now_ms: i64) -> Result<i64> {
    let id: i64 = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO service_tickets (number, channel, kind, priority, status, institution_id,
            department_id, contact_id, caller_name, caller_phone, device_id, contract_id, region_id,
            fault, requested_at_ms, engineer_id, pm_plan_id, created_by, created_at_ms, updated_at_ms)
         VALUES ('', $1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
         RETURNING id")
        .bind(t.channel).bind(t.kind).bind(t.priority).bind(t.institution_id).bind(t.department_id)
        .bind(t.contact_id).bind(t.caller_name).bind(t.caller_phone).bind(t.device_id)
        .bind(t.contract_id).bind(t.region_id).bind(t.fault).bind(t.requested_at_ms)
        .bind(t.engineer_id).bind(t.pm_plan_id).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()?;
    exec!(tx, c => sqlx::query("UPDATE service_tickets SET number = $2 WHERE id = $1")
        .bind(id).bind(format!("SR-{}-{id:06}", t.day)).execute(c).await)
    .db()?;
    Ok(id)
}

pub async fn get_ticket(tx: &mut Tx, id: i64) -> Result<Option<TicketRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{TICKET_SELECT} WHERE t.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// Moves a ticket from `from` (any of them) to `to`; `NotFound` when it is no longer in one
/// of them, so of two people acting at once one wins.
pub async fn set_status(tx: &mut Tx, id: i64, from: &[&str], to: &str, now_ms: i64) -> Result<()> {
    let n = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new("UPDATE service_tickets SET status = ");
        q.push_bind(to).push(", updated_at_ms = ").push_bind(now_ms);
        q.push(" WHERE id = ").push_bind(id).push(" AND status IN (");
        let mut sep = q.separated(", ");
        for s in from {
            sep.push_bind(*s);
        }
        q.push(")");
        q.build().execute(c).await.map(|r| r.rows_affected())
    })
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// SVC-1: an agent takes an unclaimed ticket; `NotFound` when someone else was first.
pub async fn claim(tx: &mut Tx, id: i64, user: i64, now_ms: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE service_tickets SET handler_id = $2, updated_at_ms = $3
         WHERE id = $1 AND handler_id IS NULL AND status IN ('new', 'contacted')")
        .bind(id).bind(user).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// The clocks take the new engineer when the dispatch recomputes them.
pub async fn set_engineer(tx: &mut Tx, id: i64, engineer: i64, now_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "UPDATE service_tickets SET engineer_id = $2, updated_at_ms = $3 WHERE id = $1")
        .bind(id).bind(engineer).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}

pub async fn set_resolution(tx: &mut Tx, id: i64, text: &str, now_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "UPDATE service_tickets SET resolution = $2, updated_at_ms = $3 WHERE id = $1")
        .bind(id).bind(text).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}

/// Who sees which tickets: a region subtree, one engineer, or everything (both `None`).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    pub regions: Option<Vec<i64>>,
    pub engineer: Option<i64>,
}

#[derive(Debug, Default, Clone)]
pub struct TicketFilter {
    pub scope: Scope,
    /// Only these statuses (any when empty).
    pub statuses: Vec<String>,
    pub engineer_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub device_id: Option<i64>,
    pub kind: Option<String>,
    pub priority: Option<String>,
    /// Matches the number, the hospital (name or pinyin initials), the serial or the caller.
    pub query: Option<String>,
}

fn push_ids<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, column: &str, ids: &[i64])
where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push(format!(" AND {column} IN ("));
    let mut sep = q.separated(", ");
    sep.push("NULL");
    for id in ids {
        sep.push_bind(*id);
    }
    q.push(")");
}

impl Scope {
    /// Appends ` AND …` narrowing `alias`'s `region_id` / `engineer_id`.
    pub fn push<DB: sqlx::Database>(&self, q: &mut sqlx::QueryBuilder<DB>, alias: &str)
    where
        for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    {
        if let Some(e) = self.engineer {
            q.push(format!(" AND {alias}.engineer_id = ")).push_bind(e);
        }
        if let Some(regions) = &self.regions {
            push_ids(q, &format!("{alias}.region_id"), regions);
        }
    }
}

/// Tickets newest first, keyset-paged.
pub async fn list_tickets(
    tx: &mut Tx,
    f: &TicketFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<TicketRecord>> {
    let rows: Vec<TicketRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{TICKET_SELECT} WHERE t.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if !f.statuses.is_empty() {
            q.push(" AND t.status IN (");
            let mut sep = q.separated(", ");
            for s in &f.statuses {
                sep.push_bind(s.clone());
            }
            q.push(")");
        }
        if let Some(e) = f.engineer_id {
            q.push(" AND t.engineer_id = ").push_bind(e);
        }
        if let Some(i) = f.institution_id {
            q.push(" AND t.institution_id = ").push_bind(i);
        }
        if let Some(d) = f.device_id {
            q.push(" AND t.device_id = ").push_bind(d);
        }
        if let Some(k) = &f.kind {
            q.push(" AND t.kind = ").push_bind(k.clone());
        }
        if let Some(p) = &f.priority {
            q.push(" AND t.priority = ").push_bind(p.clone());
        }
        if let Some(text) = &f.query {
            let pattern = format!("%{}%", text.to_lowercase());
            q.push(" AND (LOWER(t.number) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(i.name) LIKE ").push_bind(pattern.clone());
            q.push(" OR i.name_initials LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(v.serial) LIKE ").push_bind(pattern.clone());
            q.push(" OR t.caller_phone LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(t.caller_name) LIKE ").push_bind(pattern).push(")");
        }
        f.scope.push(&mut q, "t");
        q.push(" ORDER BY t.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// Open tickets assigned to each of `engineers` (SVC-8 load).
pub async fn open_load(tx: &mut Tx, engineers: &[i64]) -> Result<Vec<(i64, i64)>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT engineer_id, COUNT(*) FROM service_tickets
             WHERE status IN ('new', 'contacted', 'dispatched', 'on_site')");
        push_ids(&mut q, "engineer_id", engineers);
        q.push(" GROUP BY engineer_id");
        q.build_query_as::<(i64, i64)>().fetch_all(c).await
    })
    .db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct EventRecord {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: String,
    pub at_ms: i64,
    pub ref_id: Option<i64>,
    pub note: String,
    pub by_user: i64,
    pub by_name: String,
    pub recorded_at_ms: i64,
}

pub struct NewEvent<'a> {
    pub ticket_id: i64,
    pub kind: &'a str,
    pub at_ms: i64,
    pub ref_id: Option<i64>,
    pub note: &'a str,
}

pub async fn insert_event(tx: &mut Tx, e: &NewEvent<'_>, by: i64, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO ticket_events (ticket_id, kind, at_ms, ref_id, note, by_user, recorded_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(e.ticket_id).bind(e.kind).bind(e.at_ms).bind(e.ref_id).bind(e.note).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

/// A ticket's events in the order they happened.
pub async fn events(tx: &mut Tx, ticket_id: i64) -> Result<Vec<EventRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT e.id, e.ticket_id, e.kind, e.at_ms, e.ref_id, e.note, e.by_user,
            u.display_name AS by_name, e.recorded_at_ms
         FROM ticket_events e JOIN users u ON u.id = e.by_user
         WHERE e.ticket_id = $1 ORDER BY e.at_ms, e.id")
        .bind(ticket_id).fetch_all(c).await)
    .db()
}

/// SVC-7: a corrected event time.
pub async fn set_event_time(tx: &mut Tx, event_id: i64, at_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query("UPDATE ticket_events SET at_ms = $2 WHERE id = $1")
        .bind(event_id).bind(at_ms).execute(c).await)
    .db()?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ClockRecord {
    pub id: i64,
    pub ticket_id: i64,
    pub milestone: String,
    pub part_request_id: i64,
    pub region_id: i64,
    pub engineer_id: Option<i64>,
    pub started_at_ms: i64,
    pub warn_at_ms: i64,
    pub due_at_ms: i64,
    pub stopped_at_ms: Option<i64>,
    pub state: String,
    pub warned_at_ms: Option<i64>,
    pub escalated_at_ms: Option<i64>,
}

const CLOCK_SELECT: &str = "SELECT id, ticket_id, milestone, part_request_id, region_id, engineer_id, \
    started_at_ms, warn_at_ms, due_at_ms, stopped_at_ms, state, warned_at_ms, escalated_at_ms FROM sla_clocks";

/// A clock as the domain computed it.
pub struct ClockValues<'a> {
    pub milestone: &'a str,
    pub part_request_id: i64,
    pub started_at_ms: i64,
    pub warn_at_ms: i64,
    pub due_at_ms: i64,
    pub stopped_at_ms: Option<i64>,
    pub state: &'a str,
}

/// Writes a ticket's computed clocks, keeping when each was warned and escalated.
pub async fn save_clocks(
    tx: &mut Tx,
    ticket_id: i64,
    region_id: i64,
    engineer_id: Option<i64>,
    clocks: &[ClockValues<'_>],
) -> Result<()> {
    for k in clocks {
        exec!(tx, c => sqlx::query(
            "INSERT INTO sla_clocks (ticket_id, milestone, part_request_id, region_id, engineer_id,
                started_at_ms, warn_at_ms, due_at_ms, stopped_at_ms, state)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (ticket_id, milestone, part_request_id) DO UPDATE SET
                region_id = excluded.region_id, engineer_id = excluded.engineer_id,
                started_at_ms = excluded.started_at_ms, warn_at_ms = excluded.warn_at_ms,
                due_at_ms = excluded.due_at_ms, stopped_at_ms = excluded.stopped_at_ms,
                state = excluded.state")
            .bind(ticket_id).bind(k.milestone).bind(k.part_request_id).bind(region_id)
            .bind(engineer_id).bind(k.started_at_ms).bind(k.warn_at_ms).bind(k.due_at_ms)
            .bind(k.stopped_at_ms).bind(k.state)
            .execute(c).await)
        .db()?;
    }
    Ok(())
}

pub async fn clocks_of(tx: &mut Tx, ticket_id: i64) -> Result<Vec<ClockRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{CLOCK_SELECT} WHERE ticket_id = $1 ORDER BY started_at_ms, id"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(ticket_id).fetch_all(c).await).db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct TargetRecord {
    pub id: i64,
    pub milestone: String,
    pub kind: String,
    pub priority: String,
    pub contract_id: i64,
    pub amount: i64,
    pub mode: String,
    pub updated_by: i64,
    pub updated_at_ms: i64,
}

pub async fn targets(tx: &mut Tx) -> Result<Vec<TargetRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT id, milestone, kind, priority, contract_id, amount, mode, updated_by, updated_at_ms
         FROM sla_targets ORDER BY milestone, contract_id, kind, priority")
        .fetch_all(c).await)
    .db()
}

pub struct NewTarget<'a> {
    pub milestone: &'a str,
    pub kind: &'a str,
    pub priority: &'a str,
    pub contract_id: i64,
    pub amount: i64,
    pub mode: &'a str,
}

/// Sets the target for one combination (replacing the one there was).
pub async fn upsert_target(tx: &mut Tx, t: &NewTarget<'_>, by: i64, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO sla_targets (milestone, kind, priority, contract_id, amount, mode, updated_by, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (milestone, kind, priority, contract_id) DO UPDATE SET
            amount = excluded.amount, mode = excluded.mode,
            updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms
         RETURNING id")
        .bind(t.milestone).bind(t.kind).bind(t.priority).bind(t.contract_id).bind(t.amount)
        .bind(t.mode).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn delete_target(tx: &mut Tx, id: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query("DELETE FROM sla_targets WHERE id = $1")
        .bind(id).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct AssignmentRecord {
    pub id: i64,
    pub ticket_id: i64,
    pub engineer_id: i64,
    pub engineer_name: String,
    pub assigned_by: i64,
    pub assigned_by_name: String,
    pub note: String,
    pub at_ms: i64,
}

pub async fn insert_assignment(
    tx: &mut Tx,
    ticket_id: i64,
    engineer_id: i64,
    note: &str,
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO ticket_assignments (ticket_id, engineer_id, assigned_by, note, at_ms)
         VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(ticket_id).bind(engineer_id).bind(by).bind(note).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn assignments(tx: &mut Tx, ticket_id: i64) -> Result<Vec<AssignmentRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT a.id, a.ticket_id, a.engineer_id, e.display_name AS engineer_name, a.assigned_by,
            b.display_name AS assigned_by_name, a.note, a.at_ms
         FROM ticket_assignments a JOIN users e ON e.id = a.engineer_id JOIN users b ON b.id = a.assigned_by
         WHERE a.ticket_id = $1 ORDER BY a.id")
        .bind(ticket_id).fetch_all(c).await)
    .db()
}

/// SVC-7: the request time moves with a corrected `requested` event.
pub async fn set_requested_at(tx: &mut Tx, id: i64, at_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query("UPDATE service_tickets SET requested_at_ms = $2 WHERE id = $1")
        .bind(id).bind(at_ms).execute(c).await)
    .db()?;
    Ok(())
}

/// SVC-1 hotline: institutions whose own number or one of whose contacts' numbers contains
/// `digits`, within `regions` when given (at most `limit`).
pub async fn institutions_by_phone(
    tx: &mut Tx,
    digits: &str,
    regions: Option<&[i64]>,
    limit: i64,
) -> Result<Vec<i64>> {
    let pattern = format!("%{digits}%");
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT i.id FROM institutions i WHERE (i.phone LIKE ");
        q.push_bind(pattern.clone());
        q.push(" OR EXISTS (SELECT 1 FROM contacts k WHERE k.institution_id = i.id AND k.phone LIKE ")
            .push_bind(pattern)
            .push("))");
        if let Some(regions) = regions {
            push_ids(&mut q, "i.region_id", regions);
        }
        q.push(" ORDER BY i.id LIMIT ").push_bind(limit);
        q.build_query_scalar().fetch_all(c).await
    })
    .db()
}

/// ORD-4 with SVC: the open tickets on each of `devices`, as (device, ticket id, number).
pub async fn open_tickets_of_devices(
    tx: &mut Tx,
    devices: &[i64],
) -> Result<Vec<(i64, i64, String)>> {
    if devices.is_empty() {
        return Ok(Vec::new());
    }
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT device_id, id, number FROM service_tickets
             WHERE status NOT IN ('closed', 'cancelled')");
        push_ids(&mut q, "device_id", devices);
        q.push(" ORDER BY device_id, id");
        q.build_query_as::<(i64, i64, String)>().fetch_all(c).await
    })
    .db()
}
