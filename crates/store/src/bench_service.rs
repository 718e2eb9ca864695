//! Bulk rows for `medcrm bench service`: service tickets over the bench institutions with
//! their SLA clocks, written by `INSERT … SELECT` over a generated number series. Ticket `n`
//! of the book (0-based) is closed when `n < tickets - open`, spread over the 1 000 days
//! before the last 30 hours; the open ones are spread over those 30 hours, so their on-site
//! clocks are running, warned or (for a fifth) breached. Stamps the scan would have set by
//! generation time are set, so a scan afterwards does what a minute's scan does.

use crate::{Backend, Classify, Db, Result, Tx, exec, on};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Open tickets were requested within this span before generation.
const OPEN_SPAN_MS: i64 = 30 * HOUR;
/// Closed tickets were requested within this span before the open ones.
const CLOSED_SPAN_MS: i64 = 1_000 * DAY;

#[derive(Debug, Clone)]
pub struct ServiceBatch {
    /// Ticket numbers `first..first + count` of the book.
    pub first: i64,
    pub count: i64,
    /// The whole book: `tickets` tickets, the newest `open` of them open.
    pub tickets: i64,
    pub open: i64,
    /// Bench institutions, `first_institution..first_institution + institutions`.
    pub first_institution: i64,
    pub institutions: i64,
    /// Service engineers the dispatched tickets are spread over.
    pub engineers: Vec<i64>,
    pub created_by: i64,
    pub now_ms: i64,
}

/// Writes one batch of tickets and their clocks.
pub async fn insert_batch(tx: &mut Tx, b: &ServiceBatch) -> Result<()> {
    let last: i64 =
        on!(tx, c => sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM service_tickets")
        .fetch_one(c).await)
        .db()?;
    let closed = b.tickets - b.open;
    let open_step = OPEN_SPAN_MS / b.open.max(1);
    let closed_step = CLOSED_SPAN_MS / closed.max(1);
    let now = b.now_ms;
    let (first, count) = (b.first, b.count);
    let series = format!(
        "WITH RECURSIVE s(x) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT x + 1 FROM s WHERE x + 1 < {count}),
         g AS (SELECT s.x AS x, {first} + s.x AS n,
            CASE WHEN {first} + s.x >= {closed}
                THEN {now} - ({tickets} - 1 - ({first} + s.x)) * {open_step}
                ELSE {now} - {OPEN_SPAN_MS} - ({closed} - ({first} + s.x)) * {closed_step} END AS req
            FROM s)",
        tickets = b.tickets
    );
    let mut engineer = String::from("CASE");
    let engineers = i64::try_from(b.engineers.len()).unwrap_or(1).max(1);
    for (i, e) in (0_i64..).zip(&b.engineers) {
        engineer.push_str(&format!(" WHEN g.n % {engineers} = {i} THEN {e}"));
    }
    engineer.push_str(" END");
    // Open tickets younger than an hour are still new; older ones were dispatched.
    let status = format!(
        "CASE WHEN g.n < {closed} THEN 'closed' WHEN {now} - g.req < {HOUR} THEN 'new' ELSE 'dispatched' END"
    );
    let tickets = format!(
        "{series} INSERT INTO service_tickets (id, number, channel, kind, priority, status,
            institution_id, region_id, fault, requested_at_ms, engineer_id, created_by,
            created_at_ms, updated_at_ms)
         SELECT {last} + 1 + g.x, 'SR-BENCH-' || g.n, 'hotline', 'repair',
            CASE g.n % 4 WHEN 0 THEN 'urgent' WHEN 1 THEN 'high' WHEN 2 THEN 'normal' ELSE 'low' END,
            {status}, i.id, i.region_id, '开机后探头无图像，报错 E203', g.req,
            CASE WHEN {status} = 'new' THEN NULL ELSE {engineer} END, {by}, g.req, g.req
         FROM g JOIN institutions i ON i.id = {fi} + g.n % {ni}",
        by = b.created_by,
        fi = b.first_institution,
        ni = b.institutions
    );
    let range = format!(
        "FROM service_tickets t WHERE t.id > {last} AND t.id <= {}",
        last + count
    );
    // (milestone, start, warn, due, stop, which tickets): closed tickets stopped their clocks
    // (one in 20 first contacts and one in 10 visits late); open ones run until now.
    let clocks = [
        (
            "first_contact",
            "t.requested_at_ms".to_owned(),
            format!("t.requested_at_ms + {}", 45 * MINUTE),
            format!("t.requested_at_ms + {HOUR}"),
            format!(
                "CASE WHEN t.status = 'new' THEN NULL WHEN t.id % 20 = 0 THEN t.requested_at_ms + {} ELSE t.requested_at_ms + {} END",
                90 * MINUTE,
                30 * MINUTE
            ),
            "TRUE",
        ),
        (
            "on_site",
            "t.requested_at_ms".to_owned(),
            format!("t.requested_at_ms + {}", 18 * HOUR),
            format!("t.requested_at_ms + {DAY}"),
            format!(
                "CASE WHEN t.status <> 'closed' THEN NULL WHEN t.id % 10 = 0 THEN t.requested_at_ms + {} ELSE t.requested_at_ms + {} END",
                30 * HOUR,
                4 * HOUR
            ),
            "t.status <> 'new'",
        ),
        (
            "follow_up",
            format!("t.requested_at_ms + {}", 2 * DAY),
            format!("t.requested_at_ms + {}", 4 * DAY),
            format!("t.requested_at_ms + {}", 5 * DAY),
            format!("t.requested_at_ms + {}", 3 * DAY),
            "t.status = 'closed'",
        ),
    ];
    let mut statements = vec![tickets];
    for (milestone, start, warn, due, stop, which) in clocks {
        let state = format!(
            "CASE WHEN ({stop}) IS NULL THEN (CASE WHEN {due} < {now} THEN 'breached' ELSE 'running' END)
                WHEN ({stop}) <= {due} THEN 'met' ELSE 'breached' END"
        );
        statements.push(format!(
            "INSERT INTO sla_clocks (ticket_id, milestone, part_request_id, region_id, engineer_id,
                started_at_ms, warn_at_ms, due_at_ms, stopped_at_ms, state, warned_at_ms,
                escalated_at_ms)
             SELECT t.id, '{milestone}', 0, t.region_id, t.engineer_id, {start}, {warn}, {due},
                {stop}, {state},
                CASE WHEN {warn} <= {now} AND (({stop}) IS NULL OR ({stop}) > {warn}) THEN {warn} END,
                CASE WHEN {due} < {now} AND (({stop}) IS NULL OR ({stop}) > {due}) THEN {due} END
             {range} AND {which}"
        ));
    }
    for sql in statements {
        let sql = sqlx::AssertSqlSafe(sql);
        exec!(tx, c => sqlx::query(sql).execute(c).await).db()?;
    }
    if tx.backend() == Backend::Postgres {
        exec!(tx, c => sqlx::query(
            "SELECT setval(pg_get_serial_sequence('service_tickets', 'id'), GREATEST(MAX(id), 1)) FROM service_tickets")
            .execute(c).await)
        .db()?;
    }
    Ok(())
}

/// Planner statistics and the visibility map after the load (PostgreSQL; the board's
/// compliance is an index-only scan).
pub async fn settle(db: &Db) -> Result<()> {
    if let Db::Postgres(pool) = db {
        sqlx::query("VACUUM ANALYZE service_tickets, sla_clocks")
            .execute(pool)
            .await
            .db()?;
    }
    Ok(())
}
