//! Bulk inserts for `medcrm bench`: generated institutions, contacts, visits, opportunities
//! and their stage history written with multi-row `INSERT`s. The rows are made by the app (names, pinyin, grades are business
//! rules); this module only writes them, as fast as the backends allow.
//!
//! Rows carry their own ids (the app numbers them from [`max_ids`]), so contacts and visits can
//! point at institutions of the same statement batch without reading ids back;
//! [`after_bulk_insert`] then moves PostgreSQL's identity sequences past them.

use crate::{Backend, Classify, Db, Result, Tx, exec, on};

/// Bind parameters one statement may carry: SQLite allows 32 766, PostgreSQL 65 535; the
/// smaller serves both.
const MAX_BINDS: usize = 32_766;
/// Rows per `INSERT`; more gains little and only makes statements larger.
const MAX_ROWS_PER_STATEMENT: usize = 1_000;

/// Rows of a `columns`-wide table that fit in one statement.
fn rows_per_statement(columns: usize) -> usize {
    (MAX_BINDS / columns).clamp(1, MAX_ROWS_PER_STATEMENT)
}

#[derive(Debug, Clone)]
pub struct InstitutionRow {
    pub id: i64,
    pub name: String,
    pub name_initials: String,
    pub credit_code: Option<String>,
    pub kind: &'static str,
    pub level: &'static str,
    pub province: &'static str,
    pub city: &'static str,
    pub address: String,
    pub beds: Option<i64>,
    pub phone: String,
    pub region_id: i64,
    pub owner_id: i64,
    pub scale_score: i64,
    pub demand_score: i64,
    pub willingness_score: i64,
    pub category: &'static str,
    pub grade: &'static str,
    pub needs: &'static str,
    pub last_visit_on: String,
    pub next_visit_due: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct ContactRow {
    pub id: i64,
    pub institution_id: i64,
    pub name: String,
    pub role: &'static str,
    pub title: &'static str,
    pub phone: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct OpportunityRow {
    pub id: i64,
    pub institution_id: i64,
    pub title: String,
    pub product_line: &'static str,
    pub amount_fen: i64,
    pub expected_close: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub stage: &'static str,
    pub stage_due: Option<String>,
    pub stage_entered_at_ms: i64,
    pub lost_reason: &'static str,
    pub created_at_ms: i64,
}

/// One stay of an opportunity in a stage; `left_at_ms` is `None` for the current one.
#[derive(Debug, Clone)]
pub struct StageRow {
    pub id: i64,
    pub opportunity_id: i64,
    pub stage: &'static str,
    pub owner_id: i64,
    pub due: Option<String>,
    pub entered_at_ms: i64,
    pub left_at_ms: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct VisitRow {
    pub id: i64,
    pub institution_id: i64,
    pub visitor_id: i64,
    pub visited_on: String,
    pub purpose: &'static str,
    pub outcome: &'static str,
    pub effective: bool,
    pub satisfaction: i64,
    pub created_at_ms: i64,
}

/// The highest id in institutions, contacts and visits (0 when empty).
pub async fn max_ids(tx: &mut Tx) -> Result<(i64, i64, i64)> {
    on!(tx, c => sqlx::query_as(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM institutions),
                (SELECT COALESCE(MAX(id), 0) FROM contacts),
                (SELECT COALESCE(MAX(id), 0) FROM visits)")
        .fetch_one(c).await)
    .db()
}

/// The highest id in opportunities and their stage history (0 when empty).
pub async fn max_pipeline_ids(tx: &mut Tx) -> Result<(i64, i64)> {
    on!(tx, c => sqlx::query_as(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM opportunities),
                (SELECT COALESCE(MAX(id), 0) FROM opportunity_stages)")
        .fetch_one(c).await)
    .db()
}

/// The lowest and highest institution id and how many there are.
pub async fn institution_span(tx: &mut Tx) -> Result<(i64, i64, i64)> {
    on!(tx, c => sqlx::query_as(
        "SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0), COUNT(*) FROM institutions")
        .fetch_one(c).await)
    .db()
}

/// Writes the institutions and their short-search grams (migration 0007), which the app's
/// writes keep in `customers::insert`; `rows` have consecutive ids.
pub async fn insert_institutions(tx: &mut Tx, rows: &[InstitutionRow]) -> Result<()> {
    const COLUMNS: usize = 26;
    for chunk in rows.chunks(rows_per_statement(COLUMNS)) {
        exec!(tx, c => {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO institutions (id, name, name_initials, credit_code, kind, level, province, city,
                    address, beds, phone, region_id, owner_id, scale_score, demand_score, willingness_score,
                    category, grade, grade_source, needs, preferences, procurement_plan, last_visit_on,
                    next_visit_due, created_at_ms, updated_at_ms) ");
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.id).push_bind(r.name.as_str()).push_bind(r.name_initials.as_str())
                    .push_bind(r.credit_code.as_deref()).push_bind(r.kind).push_bind(r.level)
                    .push_bind(r.province).push_bind(r.city).push_bind(r.address.as_str())
                    .push_bind(r.beds).push_bind(r.phone.as_str()).push_bind(r.region_id)
                    .push_bind(r.owner_id).push_bind(r.scale_score).push_bind(r.demand_score)
                    .push_bind(r.willingness_score).push_bind(r.category).push_bind(r.grade)
                    .push_bind("rule").push_bind(r.needs).push_bind("").push_bind("")
                    .push_bind(r.last_visit_on.as_str()).push_bind(r.next_visit_due.as_str())
                    .push_bind(r.created_at_ms).push_bind(r.created_at_ms);
            });
            q.build().execute(c).await
        })
        .db()?;
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        crate::customers::index_grams(tx, first.id, last.id).await?;
    }
    Ok(())
}

pub async fn insert_contacts(tx: &mut Tx, rows: &[ContactRow]) -> Result<()> {
    const COLUMNS: usize = 9;
    for chunk in rows.chunks(rows_per_statement(COLUMNS)) {
        exec!(tx, c => {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO contacts (id, institution_id, name, role, title, phone, email,
                    created_at_ms, updated_at_ms) ");
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.id).push_bind(r.institution_id).push_bind(r.name.as_str())
                    .push_bind(r.role).push_bind(r.title).push_bind(r.phone.as_str()).push_bind("")
                    .push_bind(r.created_at_ms).push_bind(r.created_at_ms);
            });
            q.build().execute(c).await
        })
        .db()?;
    }
    Ok(())
}

pub async fn insert_visits(tx: &mut Tx, rows: &[VisitRow]) -> Result<()> {
    const COLUMNS: usize = 14;
    for chunk in rows.chunks(rows_per_statement(COLUMNS)) {
        exec!(tx, c => {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO visits (id, institution_id, visitor_id, status, planned_on, visited_on,
                    purpose, outcome, next_step, effective, satisfaction, feedback, created_at_ms,
                    updated_at_ms) ");
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.id).push_bind(r.institution_id).push_bind(r.visitor_id)
                    .push_bind("done").push_bind(r.visited_on.as_str()).push_bind(r.visited_on.as_str())
                    .push_bind(r.purpose).push_bind(r.outcome).push_bind("").push_bind(r.effective)
                    .push_bind(r.satisfaction).push_bind("").push_bind(r.created_at_ms)
                    .push_bind(r.created_at_ms);
            });
            q.build().execute(c).await
        })
        .db()?;
    }
    Ok(())
}

pub async fn insert_opportunities(tx: &mut Tx, rows: &[OpportunityRow]) -> Result<()> {
    const COLUMNS: usize = 15;
    for chunk in rows.chunks(rows_per_statement(COLUMNS)) {
        exec!(tx, c => {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO opportunities (id, institution_id, title, product_line, amount_fen,
                    expected_close, owner_id, region_id, stage, stage_owner_id, stage_due,
                    stage_entered_at_ms, lost_reason, created_at_ms, updated_at_ms) ");
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.id).push_bind(r.institution_id).push_bind(r.title.as_str())
                    .push_bind(r.product_line).push_bind(r.amount_fen)
                    .push_bind(r.expected_close.as_str()).push_bind(r.owner_id).push_bind(r.region_id)
                    .push_bind(r.stage).push_bind(r.owner_id).push_bind(r.stage_due.as_deref())
                    .push_bind(r.stage_entered_at_ms).push_bind(r.lost_reason)
                    .push_bind(r.created_at_ms).push_bind(r.stage_entered_at_ms);
            });
            q.build().execute(c).await
        })
        .db()?;
    }
    Ok(())
}

/// Writes the stage history of opportunities just written, then adds those opportunities to
/// the funnel totals (migration 0007), which the app's writes keep in `pipeline::insert` and
/// `pipeline::move_stage`. `rows` hold whole histories of consecutive opportunities.
pub async fn insert_stages(tx: &mut Tx, rows: &[StageRow]) -> Result<()> {
    const COLUMNS: usize = 8;
    for chunk in rows.chunks(rows_per_statement(COLUMNS)) {
        exec!(tx, c => {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO opportunity_stages (id, opportunity_id, stage, owner_id, due, note,
                    entered_at_ms, left_at_ms) ");
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.id).push_bind(r.opportunity_id).push_bind(r.stage)
                    .push_bind(r.owner_id).push_bind(r.due.as_deref()).push_bind("")
                    .push_bind(r.entered_at_ms).push_bind(r.left_at_ms);
            });
            q.build().execute(c).await
        })
        .db()?;
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        crate::pipeline::add_to_funnel_totals(tx, first.opportunity_id, last.opportunity_id)
            .await?;
    }
    Ok(())
}

/// Moves PostgreSQL's identity sequences past the ids written explicitly, so the next row
/// created through the app does not collide. SQLite takes `MAX(rowid) + 1` by itself.
pub async fn after_bulk_insert(tx: &mut Tx) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        for table in [
            "institutions",
            "contacts",
            "visits",
            "opportunities",
            "opportunity_stages",
        ] {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"
            ));
            exec!(tx, c => sqlx::query(sql).execute(c).await).db()?;
        }
    }
    Ok(())
}

/// Brings PostgreSQL to the state autovacuum keeps it in: planner statistics, the visibility
/// map, and the GIN trigram indexes' pending lists merged. Right after a bulk load every search
/// would otherwise scan megabytes of pending entries, and the first minutes of the benchmark
/// would measure autovacuum catching up. `VACUUM` cannot run in a transaction, hence the pool.
/// Nothing on SQLite: a production SQLite file has no statistics (nothing runs `ANALYZE`), and
/// the benchmark should see the plans production sees.
pub async fn settle(db: &Db) -> Result<()> {
    if let Db::Postgres(pool) = db {
        sqlx::query(
            "VACUUM ANALYZE institutions, institution_grams, contacts, visits, opportunities, \
             opportunity_stages, opportunity_funnel",
        )
        .execute(pool)
        .await
        .db()?;
    }
    Ok(())
}

/// Size of the whole database in bytes (SQLite: the main file, without the WAL).
pub async fn database_bytes(tx: &mut Tx) -> Result<i64> {
    match tx.backend() {
        Backend::Sqlite => on!(tx, c => sqlx::query_scalar(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
            .fetch_one(c).await)
        .db(),
        Backend::Postgres => on!(tx, c => sqlx::query_scalar(
            "SELECT pg_database_size(current_database())")
            .fetch_one(c).await)
        .db(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_stay_under_both_bind_limits() {
        for columns in [1, 8, 9, 14, 15, 26, 40_000] {
            let rows = rows_per_statement(columns);
            assert!(rows >= 1);
            assert!(rows * columns <= MAX_BINDS || rows == 1);
        }
        assert_eq!(rows_per_statement(26), 1_000);
    }
}
