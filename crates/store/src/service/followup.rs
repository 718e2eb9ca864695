//! SVC-6: the follow-up survey (回访) after completion and the improvement actions an
//! unsatisfied customer opens.

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct SurveyRow {
    pub id: i64,
    pub ticket_id: i64,
    pub engineer_id: Option<i64>,
    pub region_id: i64,
    pub respondent: String,
    pub attitude: i64,
    pub quality: i64,
    pub speed: i64,
    pub satisfied: bool,
    pub comment: String,
    pub by_user: i64,
    pub by_name: String,
    pub at_ms: i64,
}

pub struct NewSurvey<'a> {
    pub ticket_id: i64,
    pub engineer_id: Option<i64>,
    pub region_id: i64,
    pub respondent: &'a str,
    pub attitude: i64,
    pub quality: i64,
    pub speed: i64,
    pub satisfied: bool,
    pub comment: &'a str,
    pub at_ms: i64,
}

/// The ticket's survey; `Conflict` when it already has one.
pub async fn insert_survey(tx: &mut Tx, s: &NewSurvey<'_>, by: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO service_surveys (ticket_id, engineer_id, region_id, respondent, attitude,
            quality, speed, satisfied, comment, by_user, at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(s.ticket_id).bind(s.engineer_id).bind(s.region_id).bind(s.respondent)
        .bind(s.attitude).bind(s.quality).bind(s.speed).bind(s.satisfied).bind(s.comment)
        .bind(by).bind(s.at_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn survey(tx: &mut Tx, ticket_id: i64) -> Result<Option<SurveyRow>> {
    on!(tx, c => sqlx::query_as(
        "SELECT s.id, s.ticket_id, s.engineer_id, s.region_id, s.respondent, s.attitude, s.quality,
            s.speed, s.satisfied, s.comment, s.by_user, u.display_name AS by_name, s.at_ms
         FROM service_surveys s JOIN users u ON u.id = s.by_user WHERE s.ticket_id = $1")
        .bind(ticket_id).fetch_optional(c).await)
    .db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ImprovementRow {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_number: String,
    pub institution_name: String,
    pub survey_id: i64,
    pub region_id: i64,
    pub description: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub due_on: String,
    /// open / done.
    pub status: String,
    pub resolution: String,
    pub created_by: i64,
    pub created_at_ms: i64,
    pub closed_at_ms: Option<i64>,
}

const SELECT: &str = "SELECT a.id, a.ticket_id, t.number AS ticket_number, \
    i.name AS institution_name, a.survey_id, a.region_id, a.description, a.owner_id, \
    o.display_name AS owner_name, a.due_on, a.status, a.resolution, a.created_by, \
    a.created_at_ms, a.closed_at_ms \
    FROM improvement_actions a JOIN service_tickets t ON t.id = a.ticket_id \
    JOIN institutions i ON i.id = t.institution_id JOIN users o ON o.id = a.owner_id";

pub struct NewImprovement<'a> {
    pub ticket_id: i64,
    pub survey_id: i64,
    pub region_id: i64,
    pub description: &'a str,
    pub owner_id: i64,
    pub due_on: &'a str,
}

pub async fn insert_improvement(
    tx: &mut Tx,
    a: &NewImprovement<'_>,
    by: i64,
    now_ms: i64,
) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO improvement_actions (ticket_id, survey_id, region_id, description, owner_id,
            due_on, status, created_by, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8) RETURNING id")
        .bind(a.ticket_id).bind(a.survey_id).bind(a.region_id).bind(a.description)
        .bind(a.owner_id).bind(a.due_on).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn improvement(tx: &mut Tx, id: i64) -> Result<Option<ImprovementRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

pub async fn improvements_of_ticket(tx: &mut Tx, ticket_id: i64) -> Result<Vec<ImprovementRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.ticket_id = $1 ORDER BY a.id"));
    on!(tx, c => sqlx::query_as(sql).bind(ticket_id).fetch_all(c).await).db()
}

#[derive(Debug, Default, Clone)]
pub struct ImprovementFilter {
    pub regions: Option<Vec<i64>>,
    pub status: Option<String>,
    pub owner_id: Option<i64>,
}

/// Improvement actions newest first, keyset-paged by id.
pub async fn improvements(
    tx: &mut Tx,
    f: &ImprovementFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<ImprovementRow>> {
    let rows: Vec<ImprovementRow> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{SELECT} WHERE a.id < "));
        q.push_bind(before_id.unwrap_or(i64::MAX));
        if let Some(s) = &f.status {
            q.push(" AND a.status = ").push_bind(s.clone());
        }
        if let Some(o) = f.owner_id {
            q.push(" AND a.owner_id = ").push_bind(o);
        }
        if let Some(regions) = &f.regions {
            q.push(" AND a.region_id IN (");
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push(")");
        }
        q.push(" ORDER BY a.id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// Closes an open action with its resolution; `NotFound` when it was already closed.
pub async fn close_improvement(tx: &mut Tx, id: i64, resolution: &str, now_ms: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE improvement_actions SET status = 'done', resolution = $2, closed_at_ms = $3
         WHERE id = $1 AND status = 'open'")
        .bind(id).bind(resolution).bind(now_ms).execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}
