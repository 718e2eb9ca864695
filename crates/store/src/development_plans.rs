//! CUS-6: development plans, their target customers, progress reports and reviews.

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PlanRecord {
    pub id: i64,
    pub owner_id: i64,
    pub region_id: i64,
    pub goal: String,
    pub strategy: String,
    pub channel: String,
    pub deadline: String,
    pub status: String,
    pub progress: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const COLUMNS: &str = "id, owner_id, region_id, goal, strategy, channel, deadline, status, progress, \
    created_at_ms, updated_at_ms";

pub struct NewPlan<'a> {
    pub owner_id: i64,
    pub region_id: i64,
    pub goal: &'a str,
    pub strategy: &'a str,
    pub channel: &'a str,
    pub deadline: &'a str,
}

pub async fn insert(tx: &mut Tx, p: &NewPlan<'_>, targets: &[i64], now_ms: i64) -> Result<i64> {
    let id: i64 = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO development_plans (owner_id, region_id, goal, strategy, channel, deadline, status, progress,
            created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, 'active', 0, $7, $7) RETURNING id")
        .bind(p.owner_id).bind(p.region_id).bind(p.goal).bind(p.strategy).bind(p.channel).bind(p.deadline)
        .bind(now_ms).fetch_one(c).await)
    .db()?;
    for inst in targets {
        exec!(tx, c => sqlx::query(
            "INSERT INTO development_plan_targets (plan_id, institution_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id).bind(*inst).execute(c).await)
        .db()?;
    }
    Ok(id)
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<PlanRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM development_plans WHERE id = $1"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// `(institution id, name)` of the plan's target customers.
pub async fn targets(tx: &mut Tx, id: i64) -> Result<Vec<(i64, String)>> {
    on!(tx, c => sqlx::query_as(
        "SELECT i.id, i.name FROM development_plan_targets t JOIN institutions i ON i.id = t.institution_id
         WHERE t.plan_id = $1 ORDER BY i.id")
        .bind(id).fetch_all(c).await)
    .db()
}

pub async fn set_progress(
    tx: &mut Tx,
    id: i64,
    progress: i64,
    status: &str,
    now_ms: i64,
) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "UPDATE development_plans SET progress = $2, status = $3, updated_at_ms = $4 WHERE id = $1")
        .bind(id).bind(progress).bind(status).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct NoteRecord {
    pub id: i64,
    pub author_id: i64,
    pub kind: String,
    pub progress: Option<i64>,
    pub verdict: Option<String>,
    pub text: String,
    pub at_ms: i64,
}

pub struct NewNote<'a> {
    pub author_id: i64,
    pub kind: &'a str,
    pub progress: Option<i64>,
    pub verdict: Option<&'a str>,
    pub text: &'a str,
}

pub async fn add_note(tx: &mut Tx, plan_id: i64, n: &NewNote<'_>, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO development_plan_notes (plan_id, author_id, kind, progress, verdict, text, at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(plan_id).bind(n.author_id).bind(n.kind).bind(n.progress).bind(n.verdict).bind(n.text).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn notes(tx: &mut Tx, plan_id: i64) -> Result<Vec<NoteRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT id, author_id, kind, progress, verdict, text, at_ms FROM development_plan_notes
         WHERE plan_id = $1 ORDER BY id")
        .bind(plan_id).fetch_all(c).await)
    .db()
}

/// What a plan list is narrowed to; `visible_*` carry the caller's scope.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub status: Option<String>,
    pub visible_regions: Option<Vec<i64>>,
    pub only_owner: Option<i64>,
}

/// A keyset page, newest first.
pub async fn list(
    tx: &mut Tx,
    f: &Filter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<PlanRecord>> {
    let rows: Vec<PlanRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("SELECT {COLUMNS} FROM development_plans WHERE 1 = 1"));
        if let Some(before) = before_id {
            q.push(" AND id < ").push_bind(before);
        }
        if let Some(status) = &f.status {
            q.push(" AND status = ").push_bind(status.clone());
        }
        if let Some(owner) = f.only_owner {
            q.push(" AND owner_id = ").push_bind(owner);
        }
        if let Some(regions) = &f.visible_regions {
            q.push(" AND region_id IN (");
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push(")");
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}
