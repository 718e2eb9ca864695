//! SVC-7 operations: the scan that warns and escalates open clocks (exactly once each, by a
//! guarded update), the open tickets a calendar change recomputes, and the SLA board's
//! figures, each read from one index of `sla_clocks`.

use super::push_ids;
use crate::{Classify, Result, Tx, exec, on};

/// An open clock the scan acts on, with what its notification names.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScanClock {
    pub id: i64,
    pub ticket_id: i64,
    pub number: String,
    pub institution_name: String,
    pub milestone: String,
    pub region_id: i64,
    pub engineer_id: Option<i64>,
    pub due_at_ms: i64,
}

const SCAN_SELECT: &str = "SELECT k.id, k.ticket_id, t.number, i.name AS institution_name, \
    k.milestone, k.region_id, k.engineer_id, k.due_at_ms \
    FROM sla_clocks k JOIN service_tickets t ON t.id = k.ticket_id \
    JOIN institutions i ON i.id = t.institution_id";

/// Running clocks past their warning time and not yet warned (index `sla_clocks_warn`).
pub async fn to_warn(tx: &mut Tx, now_ms: i64, limit: i64) -> Result<Vec<ScanClock>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SCAN_SELECT} WHERE k.state = 'running' AND k.warned_at_ms IS NULL AND k.warn_at_ms <= $1
         ORDER BY k.warn_at_ms LIMIT $2"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(now_ms).bind(limit).fetch_all(c).await).db()
}

/// Open clocks past due and not yet escalated (index `sla_clocks_due`).
pub async fn to_escalate(tx: &mut Tx, now_ms: i64, limit: i64) -> Result<Vec<ScanClock>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SCAN_SELECT} WHERE k.state IN ('running', 'breached') AND k.stopped_at_ms IS NULL
            AND k.due_at_ms < $1 AND k.escalated_at_ms IS NULL
         ORDER BY k.due_at_ms LIMIT $2"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(now_ms).bind(limit).fetch_all(c).await).db()
}

/// Stamps the warning; false when another scan was first (or the clock moved on).
pub async fn mark_warned(tx: &mut Tx, id: i64, now_ms: i64) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE sla_clocks SET warned_at_ms = $2
         WHERE id = $1 AND warned_at_ms IS NULL AND state = 'running'")
        .bind(id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(n > 0)
}

/// Marks the clock breached and stamps the escalation; false when another scan was first.
pub async fn mark_escalated(tx: &mut Tx, id: i64, now_ms: i64) -> Result<bool> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE sla_clocks SET escalated_at_ms = $2, state = 'breached'
         WHERE id = $1 AND escalated_at_ms IS NULL AND stopped_at_ms IS NULL
            AND state IN ('running', 'breached')")
        .bind(id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(n > 0)
}

/// Tickets after `after_id` with an open clock of one of `milestones`, in id order.
pub async fn open_tickets_with(
    tx: &mut Tx,
    milestones: &[&str],
    after_id: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT DISTINCT ticket_id FROM sla_clocks
             WHERE state IN ('running', 'paused', 'breached') AND stopped_at_ms IS NULL
                AND ticket_id > ");
        q.push_bind(after_id).push(" AND milestone IN (");
        let mut sep = q.separated(", ");
        sep.push("NULL");
        for m in milestones {
            sep.push_bind(*m);
        }
        q.push(") ORDER BY ticket_id LIMIT ").push_bind(limit);
        q.build_query_scalar().fetch_all(c).await
    })
    .db()
}

/// Open clocks per urgency: how many are breached, fall due within 1 h, 4 h, 24 h or later,
/// and how many wait paused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Buckets {
    pub breached: i64,
    pub within_1h: i64,
    pub within_4h: i64,
    pub within_24h: i64,
    pub later: i64,
    pub paused: i64,
}

/// The open clocks in `regions` (all when `None`) by urgency at `now_ms` (index
/// `sla_clocks_due` only).
pub async fn buckets(tx: &mut Tx, now_ms: i64, regions: Option<&[i64]>) -> Result<Buckets> {
    let hour = 3_600_000_i64;
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new("SELECT COUNT(CASE WHEN state = 'breached' OR (state = 'running' AND due_at_ms < ");
        q.push_bind(now_ms).push(") THEN 1 END) AS breached");
        for (name, from, to) in [
            ("within_1h", now_ms, now_ms + hour),
            ("within_4h", now_ms + hour, now_ms + 4 * hour),
            ("within_24h", now_ms + 4 * hour, now_ms + 24 * hour),
        ] {
            q.push(", COUNT(CASE WHEN state = 'running' AND due_at_ms >= ").push_bind(from);
            q.push(" AND due_at_ms < ").push_bind(to);
            q.push(format!(" THEN 1 END) AS {name}"));
        }
        q.push(", COUNT(CASE WHEN state = 'running' AND due_at_ms >= ").push_bind(now_ms + 24 * hour);
        q.push(" THEN 1 END) AS later, COUNT(CASE WHEN state = 'paused' THEN 1 END) AS paused
            FROM sla_clocks WHERE state IN ('running', 'paused', 'breached') AND stopped_at_ms IS NULL");
        if let Some(regions) = regions {
            push_ids(&mut q, "region_id", regions);
        }
        q.build_query_as().fetch_one(c).await
    })
    .db()
}

/// An open clock on the board's most-urgent list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct UrgentClock {
    pub id: i64,
    pub ticket_id: i64,
    pub number: String,
    pub institution_name: String,
    pub milestone: String,
    pub state: String,
    pub region_id: i64,
    pub engineer_id: Option<i64>,
    pub engineer_name: Option<String>,
    pub due_at_ms: i64,
}

/// The `limit` open clocks of `state` (running or breached) due first, in `regions`.
pub async fn most_urgent(
    tx: &mut Tx,
    state: &str,
    regions: Option<&[i64]>,
    limit: i64,
) -> Result<Vec<UrgentClock>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT k.id, k.ticket_id, t.number, i.name AS institution_name, k.milestone, k.state,
                k.region_id, k.engineer_id, u.display_name AS engineer_name, k.due_at_ms
             FROM sla_clocks k JOIN service_tickets t ON t.id = k.ticket_id
                JOIN institutions i ON i.id = t.institution_id
                LEFT JOIN users u ON u.id = k.engineer_id
             WHERE k.state = ");
        q.push_bind(state.to_owned()).push(" AND k.stopped_at_ms IS NULL");
        if let Some(regions) = regions {
            push_ids(&mut q, "k.region_id", regions);
        }
        q.push(" ORDER BY k.due_at_ms, k.id LIMIT ").push_bind(limit);
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// Met and breached clocks of one milestone, region and engineer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ComplianceRow {
    pub milestone: String,
    pub region_id: i64,
    pub engineer_id: Option<i64>,
    pub met: i64,
    pub breached: i64,
}

/// Asia/Shanghai keeps UTC+8 all year; `sla_daily.day_no` is the civil day there
/// (migration 0014).
const DAY_OFFSET_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The `sla_daily.day_no` of the instant `ms`.
pub(crate) fn day_no(ms: i64) -> i64 {
    (ms + DAY_OFFSET_MS).div_euclid(DAY_MS)
}

/// Clocks due on the days `[from_ms, to_ms)` (both at a day's start in Asia/Shanghai) that
/// were met or breached, grouped: read from the daily totals `sla_daily`, which triggers keep
/// with every change of a clock.
pub async fn compliance(
    tx: &mut Tx,
    from_ms: i64,
    to_ms: i64,
    regions: Option<&[i64]>,
) -> Result<Vec<ComplianceRow>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT milestone, region_id, NULLIF(engineer_id, 0) AS engineer_id,
                CAST(SUM(met) AS BIGINT) AS met, CAST(SUM(breached) AS BIGINT) AS breached
             FROM sla_daily WHERE day_no >= ");
        q.push_bind(day_no(from_ms)).push(" AND day_no < ").push_bind(day_no(to_ms));
        if let Some(regions) = regions {
            push_ids(&mut q, "region_id", regions);
        }
        q.push(" GROUP BY milestone, region_id, engineer_id HAVING SUM(met) + SUM(breached) > 0");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}
