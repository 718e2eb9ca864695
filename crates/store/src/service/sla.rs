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

/// `sla_open` counts open clocks per 10-minute slot of their due time (migration 0014).
const SLOT_MS: i64 = 600_000;

/// How to count the running clocks due in `[from, to)` (open-ended where `None`): whole
/// slots from `sla_open`, the rest at either edge from `sla_clocks` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Split {
    /// Slots `[first, end)` summed from the totals; `None` when no whole slot fits.
    slots: Option<(Option<i64>, Option<i64>)>,
    /// Due-time ranges counted clock by clock.
    exact: [Option<(i64, i64)>; 2],
}

fn split(from: Option<i64>, to: Option<i64>) -> Split {
    let first = from.map(|a| a.div_euclid(SLOT_MS) + i64::from(a.rem_euclid(SLOT_MS) != 0));
    let end = to.map(|b| b.div_euclid(SLOT_MS));
    match (from, to, first, end) {
        (Some(a), Some(b), Some(f), Some(e)) if f >= e => Split {
            slots: None,
            exact: [(a < b).then_some((a, b)), None],
        },
        _ => Split {
            slots: Some((first, end)),
            exact: [
                from.zip(first)
                    .map(|(a, f)| (a, f * SLOT_MS))
                    .filter(|(a, b)| a < b),
                to.zip(end)
                    .map(|(b, e)| (e * SLOT_MS, b))
                    .filter(|(a, b)| a < b),
            ],
        },
    }
}

/// Appends `+ (count)` terms for the running clocks due in `[from, to)`.
fn push_running<DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<DB>,
    from: Option<i64>,
    to: Option<i64>,
    regions: Option<&[i64]>,
) where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let s = split(from, to);
    q.push("0");
    if let Some((first, end)) = s.slots {
        q.push(
            " + (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM sla_open WHERE state = 'running'",
        );
        if let Some(f) = first {
            q.push(" AND slot >= ").push_bind(f);
        }
        if let Some(e) = end {
            q.push(" AND slot < ").push_bind(e);
        }
        if let Some(regions) = regions {
            push_ids(q, "region_id", regions);
        }
        q.push(")");
    }
    for (a, b) in s.exact.into_iter().flatten() {
        q.push(" + (SELECT COUNT(*) FROM sla_clocks WHERE state = 'running' AND stopped_at_ms IS NULL AND due_at_ms >= ");
        q.push_bind(a).push(" AND due_at_ms < ").push_bind(b);
        if let Some(regions) = regions {
            push_ids(q, "region_id", regions);
        }
        q.push(")");
    }
}

/// Appends `(total of open clocks in `state`)`, from the slots alone.
fn push_state<DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<DB>,
    state: &str,
    regions: Option<&[i64]>,
) where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push("(SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM sla_open WHERE state = ");
    q.push_bind(state.to_owned());
    if let Some(regions) = regions {
        push_ids(q, "region_id", regions);
    }
    q.push(")");
}

/// The open clocks in `regions` (all when `None`) by urgency at `now_ms`: breached (marked,
/// or running past due), due within 1 h, 4 h, 24 h or later, and paused.
pub async fn buckets(tx: &mut Tx, now_ms: i64, regions: Option<&[i64]>) -> Result<Buckets> {
    let hour = 3_600_000_i64;
    let edges = [now_ms, now_ms + hour, now_ms + 4 * hour, now_ms + 24 * hour];
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new("SELECT ");
        push_state(&mut q, "breached", regions);
        q.push(" + ");
        push_running(&mut q, None, Some(edges[0]), regions);
        q.push(" AS breached");
        for (name, pair) in ["within_1h", "within_4h", "within_24h"].iter().zip(edges.windows(2)) {
            q.push(", ");
            push_running(&mut q, Some(pair[0]), Some(pair[1]), regions);
            q.push(format!(" AS {name}"));
        }
        q.push(", ");
        push_running(&mut q, Some(edges[3]), None, regions);
        q.push(" AS later, ");
        push_state(&mut q, "paused", regions);
        q.push(" AS paused");
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

/// The `limit` open clocks of `state` (running or breached) due first, in `regions`
/// (index `sla_clocks_open`, in due order).
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

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    #[test]
    fn svc_7_a_range_splits_into_whole_slots_and_exact_edges() {
        // 12:03 to 13:03: the edges 12:03–12:10 and 13:00–13:03, slots 12:10 to 13:00.
        let (a, b) = (100 * SLOT_MS + 3 * M, 106 * SLOT_MS + 3 * M);
        assert_eq!(
            split(Some(a), Some(b)),
            Split {
                slots: Some((Some(101), Some(106))),
                exact: [Some((a, 101 * SLOT_MS)), Some((106 * SLOT_MS, b))],
            }
        );
        // On slot boundaries nothing is counted clock by clock.
        assert_eq!(
            split(Some(100 * SLOT_MS), Some(106 * SLOT_MS)),
            Split {
                slots: Some((Some(100), Some(106))),
                exact: [None, None],
            }
        );
        // Inside one slot, or across one boundary only: all exact.
        let inside = split(Some(100 * SLOT_MS + M), Some(100 * SLOT_MS + 5 * M));
        assert_eq!(inside.slots, None);
        assert_eq!(
            inside.exact,
            [Some((100 * SLOT_MS + M, 100 * SLOT_MS + 5 * M)), None]
        );
        let across = split(Some(100 * SLOT_MS + M), Some(101 * SLOT_MS + M));
        assert_eq!(across.slots, None);
        // Open ends: everything before `to`, everything from `from`.
        assert_eq!(
            split(None, Some(b)),
            Split {
                slots: Some((None, Some(106))),
                exact: [None, Some((106 * SLOT_MS, b))],
            }
        );
        assert_eq!(
            split(Some(a), None),
            Split {
                slots: Some((Some(101), None)),
                exact: [Some((a, 101 * SLOT_MS)), None],
            }
        );
    }
}
