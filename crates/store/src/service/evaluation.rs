//! SVC-10: what engineers' work adds up to over a period (surveys, SLA clocks, tickets
//! completed, service records and their reviews), and the periodic review of records.

use super::Scope;
use super::sla::day_no;
use crate::{Classify, Result, Tx, exec, on};

/// Follow-up scores of one engineer: count, sums, unsatisfied answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct SurveyTotals {
    pub engineer_id: i64,
    pub surveys: i64,
    pub attitude_sum: i64,
    pub quality_sum: i64,
    pub speed_sum: i64,
    pub unsatisfied: i64,
}

/// Surveys answered in `[from_ms, to_ms)` per engineer.
pub async fn survey_totals(
    tx: &mut Tx,
    scope: &Scope,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<SurveyTotals>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT s.engineer_id, COUNT(*) AS surveys,
                CAST(COALESCE(SUM(s.attitude), 0) AS BIGINT) AS attitude_sum,
                CAST(COALESCE(SUM(s.quality), 0) AS BIGINT) AS quality_sum,
                CAST(COALESCE(SUM(s.speed), 0) AS BIGINT) AS speed_sum,
                CAST(COALESCE(SUM(CASE WHEN s.satisfied THEN 0 ELSE 1 END), 0) AS BIGINT) AS unsatisfied
             FROM service_surveys s WHERE s.engineer_id IS NOT NULL AND s.at_ms >= ");
        q.push_bind(from_ms).push(" AND s.at_ms < ").push_bind(to_ms);
        scope.push(&mut q, "s");
        q.push(" GROUP BY s.engineer_id");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// Clocks met and breached per engineer and milestone, among those due on the days
/// `[from_ms, to_ms)` (each at a day's start), from the daily totals.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SlaTotals {
    pub engineer_id: i64,
    pub milestone: String,
    pub met: i64,
    pub breached: i64,
}

pub async fn sla_totals(
    tx: &mut Tx,
    scope: &Scope,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<SlaTotals>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT k.engineer_id, k.milestone,
                CAST(SUM(k.met) AS BIGINT) AS met, CAST(SUM(k.breached) AS BIGINT) AS breached
             FROM sla_daily k WHERE k.engineer_id <> 0 AND k.day_no >= ");
        q.push_bind(day_no(from_ms)).push(" AND k.day_no < ").push_bind(day_no(to_ms));
        scope.push(&mut q, "k");
        q.push(" GROUP BY k.engineer_id, k.milestone");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// Tickets completed in the period, and the records written in it, per engineer.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkTotals {
    pub engineer_id: i64,
    pub completed: i64,
    pub records: i64,
    pub minutes_sum: i64,
    pub reviewed: i64,
    pub review_sum: i64,
}

pub async fn work_totals(
    tx: &mut Tx,
    scope: &Scope,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<WorkTotals>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT w.engineer_id, CAST(SUM(w.completed) AS BIGINT) AS completed,
                CAST(SUM(w.records) AS BIGINT) AS records, CAST(SUM(w.minutes) AS BIGINT) AS minutes_sum,
                CAST(SUM(w.reviewed) AS BIGINT) AS reviewed, CAST(SUM(w.score) AS BIGINT) AS review_sum
             FROM (
                SELECT t.engineer_id, 1 AS completed, 0 AS records, 0 AS minutes, 0 AS reviewed, 0 AS score
                FROM ticket_events e JOIN service_tickets t ON t.id = e.ticket_id
                WHERE e.kind = 'completed' AND t.engineer_id IS NOT NULL AND e.at_ms >= ");
        q.push_bind(from_ms).push(" AND e.at_ms < ").push_bind(to_ms);
        scope.push(&mut q, "t");
        q.push(
            " UNION ALL
                SELECT r.engineer_id, 0, 1, r.minutes_spent,
                    CASE WHEN r.review_score IS NULL THEN 0 ELSE 1 END, COALESCE(r.review_score, 0)
                FROM service_records r JOIN service_tickets t ON t.id = r.ticket_id
                WHERE r.created_at_ms >= ",
        );
        q.push_bind(from_ms).push(" AND r.created_at_ms < ").push_bind(to_ms);
        scope.push(&mut q, "t");
        q.push(") w GROUP BY w.engineer_id");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// A service record waiting for (or given) the manager's review.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct RecordRow {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_number: String,
    pub institution_name: String,
    pub region_id: i64,
    pub engineer_id: i64,
    pub engineer_name: String,
    pub phenomenon: String,
    pub diagnosis: String,
    pub repair_method: String,
    pub parts_replaced: String,
    pub minutes_spent: i64,
    pub reviewed_by: Option<i64>,
    pub reviewed_at_ms: Option<i64>,
    pub review_score: Option<i64>,
    pub review_note: String,
    pub created_at_ms: i64,
}

const RECORD_SELECT: &str = "SELECT r.id, r.ticket_id, t.number AS ticket_number, \
    i.name AS institution_name, t.region_id, r.engineer_id, u.display_name AS engineer_name, \
    r.phenomenon, r.diagnosis, r.repair_method, r.parts_replaced, r.minutes_spent, r.reviewed_by, \
    r.reviewed_at_ms, r.review_score, r.review_note, r.created_at_ms \
    FROM service_records r JOIN service_tickets t ON t.id = r.ticket_id \
    JOIN institutions i ON i.id = t.institution_id JOIN users u ON u.id = r.engineer_id";

/// Records nobody has reviewed yet, oldest first (at most `limit`).
pub async fn unreviewed(tx: &mut Tx, scope: &Scope, limit: i64) -> Result<Vec<RecordRow>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{RECORD_SELECT} WHERE r.reviewed_at_ms IS NULL"));
        scope.push(&mut q, "t");
        q.push(" ORDER BY r.created_at_ms, r.id LIMIT ").push_bind(limit);
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

pub async fn get_record(tx: &mut Tx, id: i64) -> Result<Option<RecordRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{RECORD_SELECT} WHERE r.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// The review of a record; `NotFound` when it was already reviewed (of two at once, one wins).
pub async fn review(
    tx: &mut Tx,
    id: i64,
    score: i64,
    note: &str,
    by: i64,
    now_ms: i64,
) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE service_records SET reviewed_by = $2, reviewed_at_ms = $3, review_score = $4,
            review_note = $5, updated_at_ms = $3
         WHERE id = $1 AND reviewed_at_ms IS NULL")
        .bind(id).bind(by).bind(now_ms).bind(score).bind(note).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}
