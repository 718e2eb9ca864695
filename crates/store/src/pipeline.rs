//! OPP: opportunities, their stage history, and the per-stage aggregates of the funnel.

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct OpportunityRecord {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub title: String,
    pub product_line: String,
    pub amount_fen: i64,
    pub expected_close: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub stage: String,
    pub stage_owner_id: i64,
    pub stage_due: Option<String>,
    pub stage_entered_at_ms: i64,
    pub lost_reason: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const SELECT: &str = "SELECT o.id, o.institution_id, i.name AS institution_name, o.title, o.product_line, \
    o.amount_fen, o.expected_close, o.owner_id, o.region_id, o.stage, o.stage_owner_id, o.stage_due, \
    o.stage_entered_at_ms, o.lost_reason, o.created_at_ms, o.updated_at_ms \
    FROM opportunities o JOIN institutions i ON i.id = o.institution_id";

pub struct NewOpportunity<'a> {
    pub institution_id: i64,
    pub title: &'a str,
    pub product_line: &'a str,
    pub amount_fen: i64,
    pub expected_close: &'a str,
    pub owner_id: i64,
    pub region_id: i64,
}

/// Where an opportunity stands now.
pub struct StagePosition<'a> {
    pub stage: &'a str,
    pub owner_id: i64,
    pub due: Option<&'a str>,
    pub note: &'a str,
}

pub async fn insert(
    tx: &mut Tx,
    o: &NewOpportunity<'_>,
    at: &StagePosition<'_>,
    now_ms: i64,
) -> Result<i64> {
    let id: i64 = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO opportunities (institution_id, title, product_line, amount_fen, expected_close, owner_id,
            region_id, stage, stage_owner_id, stage_due, stage_entered_at_ms, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11) RETURNING id")
        .bind(o.institution_id).bind(o.title).bind(o.product_line).bind(o.amount_fen).bind(o.expected_close)
        .bind(o.owner_id).bind(o.region_id).bind(at.stage).bind(at.owner_id).bind(at.due).bind(now_ms)
        .fetch_one(c).await)
    .db()?;
    enter_stage(tx, id, at, now_ms).await?;
    let bucket = Bucket {
        region_id: o.region_id,
        owner_id: o.owner_id,
        product_line: o.product_line,
    };
    let entered = Totals {
        current: 1,
        current_amount_fen: o.amount_fen,
        reached: 1,
        ..Totals::default()
    };
    add_totals(tx, &bucket, at.stage, &entered).await?;
    Ok(id)
}

/// The funnel totals (migration 0007) are kept per region, owner, product line and stage; an
/// opportunity's region, owner and product line never change after it is created.
struct Bucket<'a> {
    region_id: i64,
    owner_id: i64,
    product_line: &'a str,
}

/// What one write adds to a stage's funnel totals (negative: takes away).
#[derive(Default)]
struct Totals {
    current: i64,
    current_amount_fen: i64,
    reached: i64,
    stay_ms_total: i64,
    stays: i64,
    lost_here: i64,
}

/// Adds `t` to the totals of `stage` in `bucket`, in the transaction of the write itself.
/// On PostgreSQL a move locks the row of its old stage, then of its new one; moves only go
/// forward through the stages, so two transactions never wait for each other in a circle.
async fn add_totals(tx: &mut Tx, bucket: &Bucket<'_>, stage: &str, t: &Totals) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO opportunity_funnel (region_id, owner_id, product_line, stage, current_count,
            current_amount_fen, reached, stay_ms_total, stays, lost_here)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (region_id, owner_id, product_line, stage) DO UPDATE SET
            current_count = opportunity_funnel.current_count + excluded.current_count,
            current_amount_fen = opportunity_funnel.current_amount_fen + excluded.current_amount_fen,
            reached = opportunity_funnel.reached + excluded.reached,
            stay_ms_total = opportunity_funnel.stay_ms_total + excluded.stay_ms_total,
            stays = opportunity_funnel.stays + excluded.stays,
            lost_here = opportunity_funnel.lost_here + excluded.lost_here")
        .bind(bucket.region_id).bind(bucket.owner_id).bind(bucket.product_line).bind(stage)
        .bind(t.current).bind(t.current_amount_fen).bind(t.reached).bind(t.stay_ms_total)
        .bind(t.stays).bind(t.lost_here)
        .execute(c).await)
    .db()?;
    Ok(())
}

/// Adds opportunities `first_id..=last_id`, written in bulk with their whole stage history, to
/// the funnel totals. Migration 0007 fills the totals with this same aggregate over all of
/// them; "lost here" is the stay right before a `lost` or `tender_lost` one.
pub async fn add_to_funnel_totals(tx: &mut Tx, first_id: i64, last_id: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO opportunity_funnel (region_id, owner_id, product_line, stage, current_count,
            current_amount_fen, reached, stay_ms_total, stays, lost_here)
         SELECT region_id, owner_id, product_line, stage, SUM(c), SUM(a), SUM(r), SUM(ms), SUM(st), SUM(l)
         FROM (
            SELECT region_id, owner_id, product_line, stage,
                1 AS c, amount_fen AS a, 0 AS r, 0 AS ms, 0 AS st, 0 AS l
            FROM opportunities WHERE id BETWEEN $1 AND $2
            UNION ALL
            SELECT o.region_id, o.owner_id, o.product_line, s.stage, 0, 0, 1,
                COALESCE(s.left_at_ms - s.entered_at_ms, 0), CASE WHEN s.left_at_ms IS NULL THEN 0 ELSE 1 END, 0
            FROM opportunity_stages s JOIN opportunities o ON o.id = s.opportunity_id
            WHERE o.id BETWEEN $1 AND $2
            UNION ALL
            SELECT o.region_id, o.owner_id, o.product_line, s.stage, 0, 0, 0, 0, 0, 1
            FROM opportunity_stages n JOIN opportunities o ON o.id = n.opportunity_id
            JOIN opportunity_stages s ON s.opportunity_id = n.opportunity_id
                AND s.id = (SELECT MAX(p.id) FROM opportunity_stages p
                            WHERE p.opportunity_id = n.opportunity_id AND p.id < n.id)
            WHERE o.id BETWEEN $1 AND $2 AND n.stage IN ('lost', 'tender_lost')
         ) AS f
         WHERE 1 = 1
         GROUP BY region_id, owner_id, product_line, stage
         ON CONFLICT (region_id, owner_id, product_line, stage) DO UPDATE SET
            current_count = opportunity_funnel.current_count + excluded.current_count,
            current_amount_fen = opportunity_funnel.current_amount_fen + excluded.current_amount_fen,
            reached = opportunity_funnel.reached + excluded.reached,
            stay_ms_total = opportunity_funnel.stay_ms_total + excluded.stay_ms_total,
            stays = opportunity_funnel.stays + excluded.stays,
            lost_here = opportunity_funnel.lost_here + excluded.lost_here")
        .bind(first_id).bind(last_id)
        .execute(c).await)
    .db()?;
    Ok(())
}

async fn enter_stage(tx: &mut Tx, id: i64, at: &StagePosition<'_>, now_ms: i64) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO opportunity_stages (opportunity_id, stage, owner_id, due, note, entered_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id).bind(at.stage).bind(at.owner_id).bind(at.due).bind(at.note).bind(now_ms)
        .execute(c).await)
    .db()?;
    Ok(())
}

/// Moves the opportunity from `from` to `at`. Guarded by the current stage, so two people
/// moving the same card at once produce one move: the second finds 0 rows and gets `NotFound`.
pub async fn move_stage(
    tx: &mut Tx,
    id: i64,
    from: &str,
    at: &StagePosition<'_>,
    lost_reason: &str,
    now_ms: i64,
) -> Result<()> {
    // What the totals need of it, read before the move changes `stage_entered_at_ms`. A move
    // that loses the race below changes nothing, so a stale read here is never counted.
    let before: Option<(i64, i64, String, i64, i64)> = on!(tx, c => sqlx::query_as(
        "SELECT region_id, owner_id, product_line, amount_fen, stage_entered_at_ms
         FROM opportunities WHERE id = $1 AND stage = $2")
        .bind(id).bind(from).fetch_optional(c).await)
    .db()?;
    let Some((region_id, owner_id, product_line, amount_fen, entered_at_ms)) = before else {
        return Err(crate::Error::NotFound);
    };
    let n = exec!(tx, c => sqlx::query(
        "UPDATE opportunities SET stage = $3, stage_owner_id = $4, stage_due = $5, stage_entered_at_ms = $6,
            lost_reason = $7, updated_at_ms = $6
         WHERE id = $1 AND stage = $2")
        .bind(id).bind(from).bind(at.stage).bind(at.owner_id).bind(at.due).bind(now_ms).bind(lost_reason)
        .execute(c).await)
    .db()?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    exec!(tx, c => sqlx::query(
        "UPDATE opportunity_stages SET left_at_ms = $2 WHERE opportunity_id = $1 AND left_at_ms IS NULL")
        .bind(id).bind(now_ms).execute(c).await)
    .db()?;
    enter_stage(tx, id, at, now_ms).await?;
    let bucket = Bucket {
        region_id,
        owner_id,
        product_line: &product_line,
    };
    let left = Totals {
        current: -1,
        current_amount_fen: -amount_fen,
        stay_ms_total: now_ms - entered_at_ms,
        stays: 1,
        lost_here: i64::from(matches!(at.stage, "lost" | "tender_lost")),
        ..Totals::default()
    };
    add_totals(tx, &bucket, from, &left).await?;
    let entered = Totals {
        current: 1,
        current_amount_fen: amount_fen,
        reached: 1,
        ..Totals::default()
    };
    add_totals(tx, &bucket, at.stage, &entered).await
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<OpportunityRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE o.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct StageStay {
    pub stage: String,
    pub owner_id: i64,
    pub due: Option<String>,
    pub note: String,
    pub entered_at_ms: i64,
    pub left_at_ms: Option<i64>,
}

pub async fn history(tx: &mut Tx, id: i64) -> Result<Vec<StageStay>> {
    on!(tx, c => sqlx::query_as(
        "SELECT stage, owner_id, due, note, entered_at_ms, left_at_ms FROM opportunity_stages
         WHERE opportunity_id = $1 ORDER BY id")
        .bind(id).fetch_all(c).await)
    .db()
}

/// What a list, the board or the funnel is narrowed to; `visible_*` carry the caller's scope.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub query: Option<String>,
    pub stages: Option<Vec<String>>,
    pub product_line: Option<String>,
    pub owner_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub region_ids: Option<Vec<i64>>,
    /// Only open stages whose due date is before this date.
    pub due_before: Option<String>,
    pub visible_regions: Option<Vec<i64>>,
    pub only_owner: Option<i64>,
}

/// The `AND …` conditions of `f`, shared by the list and the funnel so they agree on scope.
fn push_filter<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, f: &Filter)
where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(text) = &f.query {
        let pattern = format!("%{}%", text.to_lowercase());
        q.push(" AND (LOWER(o.title) LIKE ")
            .push_bind(pattern.clone());
        q.push(" OR LOWER(i.name) LIKE ").push_bind(pattern.clone());
        q.push(" OR i.name_initials LIKE ")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(stages) = &f.stages {
        q.push(" AND o.stage IN (");
        let mut sep = q.separated(", ");
        sep.push("NULL");
        for s in stages {
            sep.push_bind(s.clone());
        }
        q.push(")");
    }
    if let Some(line) = &f.product_line {
        q.push(" AND o.product_line = ").push_bind(line.clone());
    }
    for owner in [f.owner_id, f.only_owner].into_iter().flatten() {
        q.push(" AND o.owner_id = ").push_bind(owner);
    }
    if let Some(inst) = f.institution_id {
        q.push(" AND o.institution_id = ").push_bind(inst);
    }
    if let Some(due) = &f.due_before {
        q.push(" AND o.stage_due < ").push_bind(due.clone());
    }
    for regions in [&f.region_ids, &f.visible_regions].into_iter().flatten() {
        q.push(" AND o.region_id IN (");
        let mut sep = q.separated(", ");
        sep.push("NULL");
        for r in regions {
            sep.push_bind(*r);
        }
        q.push(")");
    }
}

/// A keyset page ordered by id.
pub async fn list(
    tx: &mut Tx,
    f: &Filter,
    after_id: i64,
    limit: i64,
) -> Result<Page<OpportunityRecord>> {
    let rows: Vec<OpportunityRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{SELECT} WHERE o.id > "));
        q.push_bind(after_id);
        push_filter(&mut q, f);
        q.push(" ORDER BY o.id LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// Whether the funnel totals (migration 0007) can answer for `f`. They hold region, owner and
/// product line; a text, stage, customer or due-date condition needs the opportunities
/// themselves. At 200k opportunities and 700k stays the totals answer in a fraction of a
/// millisecond where the aggregates below read every row in scope (docs/benchmarks.md).
fn totals_answer(f: &Filter) -> bool {
    f.query.is_none() && f.stages.is_none() && f.institution_id.is_none() && f.due_before.is_none()
}

/// The `AND …` conditions of `f` on the funnel totals: the subset [`totals_answer`] allows,
/// with the same meaning as in [`push_filter`].
fn push_totals_filter<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, f: &Filter)
where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(line) = &f.product_line {
        q.push(" AND t.product_line = ").push_bind(line.clone());
    }
    for owner in [f.owner_id, f.only_owner].into_iter().flatten() {
        q.push(" AND t.owner_id = ").push_bind(owner);
    }
    for regions in [&f.region_ids, &f.visible_regions].into_iter().flatten() {
        q.push(" AND t.region_id IN (");
        let mut sep = q.separated(", ");
        sep.push("NULL");
        for r in regions {
            sep.push_bind(*r);
        }
        q.push(")");
    }
}

/// `SELECT stage, <sums> FROM opportunity_funnel` narrowed to `f`, per stage.
fn totals_query<DB: sqlx::Database>(sums: &str, f: &Filter) -> sqlx::QueryBuilder<DB>
where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut q = sqlx::QueryBuilder::new(format!(
        "SELECT t.stage, {sums} FROM opportunity_funnel t WHERE 1 = 1"
    ));
    push_totals_filter(&mut q, f);
    q.push(" GROUP BY t.stage");
    q
}

/// Per stage: `(stage, count now, amount now)` of the filtered opportunities.
pub async fn current_by_stage(tx: &mut Tx, f: &Filter) -> Result<Vec<(String, i64, i64)>> {
    if totals_answer(f) {
        let sums =
            "CAST(SUM(t.current_count) AS BIGINT), CAST(SUM(t.current_amount_fen) AS BIGINT)";
        return on!(tx, c => totals_query(sums, f).build_query_as().fetch_all(c).await).db();
    }
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT o.stage, COUNT(*), CAST(COALESCE(SUM(o.amount_fen), 0) AS BIGINT)
             FROM opportunities o JOIN institutions i ON i.id = o.institution_id WHERE 1 = 1");
        push_filter(&mut q, f);
        q.push(" GROUP BY o.stage");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// Per stage: how many opportunities were lost straight from it, that is whose next stay
/// (the one of the same opportunity with the next id) is `lost` or `tender_lost`.
pub async fn lost_by_stage(tx: &mut Tx, f: &Filter) -> Result<Vec<(String, i64)>> {
    if totals_answer(f) {
        let sums = "CAST(SUM(t.lost_here) AS BIGINT)";
        return on!(tx, c => totals_query(sums, f).build_query_as().fetch_all(c).await).db();
    }
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT s.stage, COUNT(DISTINCT s.opportunity_id)
             FROM opportunity_stages n
             JOIN opportunity_stages s ON s.opportunity_id = n.opportunity_id
                AND s.id = (SELECT MAX(p.id) FROM opportunity_stages p
                            WHERE p.opportunity_id = n.opportunity_id AND p.id < n.id)
             JOIN opportunities o ON o.id = s.opportunity_id
             JOIN institutions i ON i.id = o.institution_id
             WHERE n.stage IN ('lost', 'tender_lost')");
        push_filter(&mut q, f);
        q.push(" GROUP BY s.stage");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// Per stage: `(stage, opportunities that reached it, total ms of finished stays, finished stays)`.
pub async fn history_by_stage(tx: &mut Tx, f: &Filter) -> Result<Vec<(String, i64, i64, i64)>> {
    if totals_answer(f) {
        let sums = "CAST(SUM(t.reached) AS BIGINT), CAST(SUM(t.stay_ms_total) AS BIGINT), \
            CAST(SUM(t.stays) AS BIGINT)";
        return on!(tx, c => totals_query(sums, f).build_query_as().fetch_all(c).await).db();
    }
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT s.stage, COUNT(DISTINCT s.opportunity_id),
                CAST(COALESCE(SUM(s.left_at_ms - s.entered_at_ms), 0) AS BIGINT), COUNT(s.left_at_ms)
             FROM opportunity_stages s JOIN opportunities o ON o.id = s.opportunity_id
             JOIN institutions i ON i.id = o.institution_id WHERE 1 = 1");
        push_filter(&mut q, f);
        q.push(" GROUP BY s.stage");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::{self, Classification, InstitutionFields};
    use crate::{Db, regions, users};

    /// Everything the funnel reads, per stage, sorted.
    type Figures = (
        Vec<(String, i64, i64)>,
        Vec<(String, i64, i64, i64)>,
        Vec<(String, i64)>,
    );

    async fn figures(tx: &mut Tx, f: &Filter) -> Figures {
        let nonzero = |v: &[i64]| v.iter().any(|n| *n != 0);
        let mut current = current_by_stage(tx, f).await.unwrap();
        current.retain(|r| nonzero(&[r.1, r.2]));
        current.sort();
        let mut history = history_by_stage(tx, f).await.unwrap();
        history.retain(|r| nonzero(&[r.1, r.2, r.3]));
        history.sort();
        let mut lost = lost_by_stage(tx, f).await.unwrap();
        lost.retain(|r| r.1 != 0);
        lost.sort();
        (current, history, lost)
    }

    /// OPP-2: the funnel totals kept by every create and move (migration 0007) say exactly what
    /// the aggregates over the opportunities and their stays say, whole and narrowed, moves
    /// within one millisecond and losses from a tender included.
    #[tokio::test]
    async fn opp_2_funnel_totals_answer_what_the_aggregates_answer() {
        let dir = std::env::temp_dir().join(format!("medcrm-store-funnel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::fs::remove_file(dir.join("medcrm.db"));
        let db = Db::connect(None, &dir).await.unwrap();
        db.migrate().await.unwrap();
        let mut tx = db.write().await.unwrap();
        let mut region_ids = Vec::new();
        for code in ["EAST", "NORTH"] {
            let r = regions::NewRegion {
                parent_id: None,
                kind: "region",
                code,
                name_zh: code,
                name_en: code,
            };
            region_ids.push(regions::insert(&mut tx, &r, 0).await.unwrap());
        }
        let mut user_ids = Vec::new();
        for username in ["rep.a", "rep.b"] {
            let u = users::NewUser {
                username,
                display_name: username,
                email: None,
                phone: None,
                password_hash: "x",
                locale: "zh-CN",
            };
            user_ids.push(users::insert(&mut tx, &u, 0).await.unwrap());
        }
        let fields = InstitutionFields {
            name: "上海市第六人民医院".into(),
            name_initials: "shsdlrmyy".into(),
            credit_code: None,
            kind: "hospital".into(),
            level: "3A".into(),
            province: "上海".into(),
            city: "上海市".into(),
            address: String::new(),
            beds: None,
            phone: String::new(),
            scale_score: 3,
            demand_score: 3,
            willingness_score: 3,
            needs: String::new(),
            preferences: String::new(),
            procurement_plan: String::new(),
        };
        let class = Classification {
            category: "normal",
            grade: "B",
            source: "rule",
            next_visit_due: "2026-12-01",
        };
        let institution =
            customers::insert(&mut tx, &fields, region_ids[0], user_ids[0], &class, 0)
                .await
                .unwrap();
        let paths: [&[&str]; 6] = [
            &["lead"],
            &["lead", "qualified", "lost"],
            &[
                "lead",
                "qualified",
                "needs_analysis",
                "proposal",
                "negotiation",
                "contract",
                "won",
            ],
            &[
                "lead",
                "qualified",
                "needs_analysis",
                "proposal",
                "tender_announced",
                "bid_submitted",
                "tender_lost",
                "lost",
            ],
            &[
                "lead",
                "qualified",
                "needs_analysis",
                "proposal",
                "tender_announced",
                "bid_submitted",
                "tender_won",
                "contract",
            ],
            &["lead", "qualified", "needs_analysis", "lost"],
        ];
        for (k, path) in (0i64..).zip(paths.iter().cycle().take(24)) {
            let owner_id = user_ids[usize::try_from(k % 2).unwrap()];
            let new = NewOpportunity {
                institution_id: institution,
                title: "彩超",
                product_line: if k % 3 == 0 { "ivd" } else { "large_equipment" },
                amount_fen: 100_000 * (k + 1),
                expected_close: "2027-06-30",
                owner_id,
                region_id: region_ids[usize::try_from(k / 12).unwrap()],
            };
            let at = |stage| StagePosition {
                stage,
                owner_id,
                due: None,
                note: "",
            };
            let mut now = 1_000 * k;
            let id = insert(&mut tx, &new, &at(path[0]), now).await.unwrap();
            for step in path.windows(2) {
                // Every third opportunity makes its moves within one millisecond.
                if k % 3 != 1 {
                    now += 7 + k;
                }
                let reason = if step[1] == "lost" { "价格" } else { "" };
                move_stage(&mut tx, id, step[0], &at(step[1]), reason, now)
                    .await
                    .unwrap();
            }
        }
        // The aggregates answer whenever a text condition is given; an empty one matches all.
        let narrowings = [
            Filter::default(),
            Filter {
                product_line: Some("ivd".into()),
                ..Filter::default()
            },
            Filter {
                owner_id: Some(user_ids[1]),
                visible_regions: Some(vec![region_ids[1]]),
                ..Filter::default()
            },
            Filter {
                region_ids: Some(vec![region_ids[0]]),
                only_owner: Some(user_ids[0]),
                product_line: Some("large_equipment".into()),
                ..Filter::default()
            },
        ];
        for f in narrowings {
            assert!(totals_answer(&f));
            let scanned = Filter {
                query: Some(String::new()),
                ..f.clone()
            };
            let totals = figures(&mut tx, &f).await;
            assert!(!totals.0.is_empty());
            assert_eq!(totals, figures(&mut tx, &scanned).await, "{f:?}");
        }
        let everything = figures(&mut tx, &Filter::default()).await;
        let lost_from: Vec<&str> = everything.2.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            lost_from,
            [
                "bid_submitted",
                "needs_analysis",
                "qualified",
                "tender_lost"
            ]
        );
        drop(tx);
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
