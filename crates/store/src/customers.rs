//! CUS: institutions, departments, contacts, ownership and grade history, visits.

use crate::{Backend, Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct InstitutionRecord {
    pub id: i64,
    pub name: String,
    pub name_initials: String,
    pub credit_code: Option<String>,
    pub kind: String,
    pub level: String,
    pub province: String,
    pub city: String,
    pub address: String,
    pub beds: Option<i64>,
    pub phone: String,
    pub region_id: i64,
    pub owner_id: i64,
    pub scale_score: i64,
    pub demand_score: i64,
    pub willingness_score: i64,
    pub category: String,
    pub grade: String,
    pub grade_source: String,
    pub needs: String,
    pub preferences: String,
    pub procurement_plan: String,
    pub last_visit_on: Option<String>,
    pub next_visit_due: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const COLUMNS: &str = "id, name, name_initials, credit_code, kind, level, province, city, address, beds, phone, \
    region_id, owner_id, scale_score, demand_score, willingness_score, category, grade, grade_source, \
    needs, preferences, procurement_plan, last_visit_on, next_visit_due, created_at_ms, updated_at_ms";

/// Everything about an institution a user edits (ownership, grade and visit dates have their
/// own writes, each with history).
#[derive(Debug, Clone)]
pub struct InstitutionFields {
    pub name: String,
    pub name_initials: String,
    pub credit_code: Option<String>,
    pub kind: String,
    pub level: String,
    pub province: String,
    pub city: String,
    pub address: String,
    pub beds: Option<i64>,
    pub phone: String,
    pub scale_score: i64,
    pub demand_score: i64,
    pub willingness_score: i64,
    pub needs: String,
    pub preferences: String,
    pub procurement_plan: String,
}

/// Classification and the visit due date that follows from it.
pub struct Classification<'a> {
    pub category: &'a str,
    pub grade: &'a str,
    pub source: &'a str,
    pub next_visit_due: &'a str,
}

pub async fn insert(
    tx: &mut Tx,
    f: &InstitutionFields,
    region_id: i64,
    owner_id: i64,
    class: &Classification<'_>,
    now_ms: i64,
) -> Result<i64> {
    let id = on!(tx, c => sqlx::query_scalar(
        "INSERT INTO institutions (name, name_initials, credit_code, kind, level, province, city, address, beds, phone,
            region_id, owner_id, scale_score, demand_score, willingness_score, category, grade, grade_source,
            needs, preferences, procurement_plan, next_visit_due, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23)
         RETURNING id")
        .bind(&f.name).bind(&f.name_initials).bind(&f.credit_code).bind(&f.kind).bind(&f.level)
        .bind(&f.province).bind(&f.city).bind(&f.address).bind(f.beds).bind(&f.phone)
        .bind(region_id).bind(owner_id).bind(f.scale_score).bind(f.demand_score).bind(f.willingness_score)
        .bind(class.category).bind(class.grade).bind(class.source)
        .bind(&f.needs).bind(&f.preferences).bind(&f.procurement_plan).bind(class.next_visit_due).bind(now_ms)
        .fetch_one(c).await)
    .db()?;
    index_grams(tx, id, id).await?;
    Ok(id)
}

pub async fn update(tx: &mut Tx, id: i64, f: &InstitutionFields, now_ms: i64) -> Result<()> {
    // The old grams are found from the row as stored, so this runs before it changes.
    unindex_grams(tx, id).await?;
    let n = exec!(tx, c => sqlx::query(
        "UPDATE institutions SET name = $2, name_initials = $3, credit_code = $4, kind = $5, level = $6,
            province = $7, city = $8, address = $9, beds = $10, phone = $11, scale_score = $12,
            demand_score = $13, willingness_score = $14, needs = $15, preferences = $16,
            procurement_plan = $17, updated_at_ms = $18
         WHERE id = $1")
        .bind(id).bind(&f.name).bind(&f.name_initials).bind(&f.credit_code).bind(&f.kind).bind(&f.level)
        .bind(&f.province).bind(&f.city).bind(&f.address).bind(f.beds).bind(&f.phone)
        .bind(f.scale_score).bind(f.demand_score).bind(f.willingness_score)
        .bind(&f.needs).bind(&f.preferences).bind(&f.procurement_plan).bind(now_ms)
        .execute(c).await)
    .db()?;
    found(n)?;
    index_grams(tx, id, id).await
}

/// The distinct substrings of one and two characters (`gram`) of the institutions with ids
/// `$1..=$2`, taken from exactly the expressions [`list`] matches with `LIKE`, lowered by the
/// database itself: a term of 1-2 characters matches an institution's text if and only if it
/// is one of its grams, whatever either backend's `LOWER` does with a character. Migration
/// 0007 fills the table with this same statement over all institutions.
const GRAMS: &str = "WITH RECURSIVE
    texts (id, t) AS (
        SELECT id, LOWER(name) FROM institutions WHERE id BETWEEN $1 AND $2
        UNION ALL SELECT id, LOWER(name_initials) FROM institutions WHERE id BETWEEN $1 AND $2
        UNION ALL SELECT id, LOWER(credit_code) FROM institutions
            WHERE id BETWEEN $1 AND $2 AND credit_code IS NOT NULL
    ),
    positions (n) AS (
        SELECT 1
        UNION ALL SELECT n + 1 FROM positions WHERE n < (SELECT MAX(LENGTH(t)) FROM texts)
    ),
    grams (gram, id) AS (
        SELECT DISTINCT SUBSTR(texts.t, positions.n, widths.w), texts.id
        FROM texts, positions, (SELECT 1 AS w UNION ALL SELECT 2) widths
        WHERE positions.n + widths.w - 1 <= LENGTH(texts.t)
    )";

/// Adds the grams of institutions `first_id..=last_id` (migration 0007) to the short-search
/// index; called in the transaction that wrote them, so the index is never behind.
pub async fn index_grams(tx: &mut Tx, first_id: i64, last_id: i64) -> Result<()> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{GRAMS} INSERT INTO institution_grams (gram, institution_id) SELECT gram, id FROM grams"
    ));
    exec!(tx, c => sqlx::query(sql).bind(first_id).bind(last_id).execute(c).await).db()?;
    Ok(())
}

/// Removes the grams of institution `id` as it is stored now. Found by `(gram, id)`, the
/// primary key, so no second index on the id is needed.
async fn unindex_grams(tx: &mut Tx, id: i64) -> Result<()> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{GRAMS} DELETE FROM institution_grams
         WHERE institution_id = $1 AND gram IN (SELECT gram FROM grams)"
    ));
    exec!(tx, c => sqlx::query(sql).bind(id).bind(id).execute(c).await).db()?;
    Ok(())
}

fn found(rows: u64) -> Result<()> {
    if rows == 0 {
        Err(crate::Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<InstitutionRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM institutions WHERE id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// An institution that would duplicate one with this credit code, or this name in this city
/// (CUS-1), other than `except`: `(id, name, city)`.
pub async fn find_duplicate(
    tx: &mut Tx,
    credit_code: Option<&str>,
    name: &str,
    city: &str,
    except: Option<i64>,
) -> Result<Option<(i64, String, String)>> {
    on!(tx, c => sqlx::query_as(
        "SELECT id, name, city FROM institutions
         WHERE (credit_code = $1 OR (name = $2 AND city = $3)) AND id <> $4
         ORDER BY id LIMIT 1")
        .bind(credit_code).bind(name).bind(city).bind(except.unwrap_or(0))
        .fetch_optional(c).await)
    .db()
}

pub async fn set_owner(
    tx: &mut Tx,
    id: i64,
    owner_id: i64,
    region_id: i64,
    now_ms: i64,
) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE institutions SET owner_id = $2, region_id = $3, updated_at_ms = $4 WHERE id = $1")
        .bind(id).bind(owner_id).bind(region_id).bind(now_ms).execute(c).await)
    .db()?;
    found(n)
}

pub async fn set_classification(
    tx: &mut Tx,
    id: i64,
    class: &Classification<'_>,
    now_ms: i64,
) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE institutions SET category = $2, grade = $3, grade_source = $4, next_visit_due = $5, updated_at_ms = $6
         WHERE id = $1")
        .bind(id).bind(class.category).bind(class.grade).bind(class.source).bind(class.next_visit_due).bind(now_ms)
        .execute(c).await)
    .db()?;
    found(n)
}

pub async fn set_visit_dates(
    tx: &mut Tx,
    id: i64,
    last_visit_on: &str,
    next_visit_due: &str,
) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE institutions SET last_visit_on = $2, next_visit_due = $3 WHERE id = $1")
        .bind(id).bind(last_visit_on).bind(next_visit_due).execute(c).await)
    .db()?;
    found(n)
}

/// What an institution list is narrowed to; `visible_*` carry the caller's data scope.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Part of the name, pinyin initials, or the credit code.
    pub query: Option<String>,
    pub kind: Option<String>,
    pub grade: Option<String>,
    pub category: Option<String>,
    pub region_ids: Option<Vec<i64>>,
    pub owner_id: Option<i64>,
    /// Only those whose next visit was due before this date (CUS-4).
    pub due_before: Option<String>,
    pub visible_regions: Option<Vec<i64>>,
    pub only_owner: Option<i64>,
}

/// How [`list`] finds the institutions a search term can match; in every case its `LIKE`
/// conditions still decide, so the answer is exactly that of a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Search {
    /// Every row in scope is read (no term, or one with `LIKE` wildcards or PostgreSQL's
    /// escape character `\`).
    Scan,
    /// One or two characters: the postings of this gram (migration 0007), in id order.
    Gram(String),
    /// SQLite, 3 or more characters: the FTS5 trigram index (migration 0003) with this
    /// phrase, in rowid order. PostgreSQL's trigram indexes serve the LIKEs themselves.
    Trigram(String),
}

impl Search {
    fn for_term(backend: Backend, text: Option<&str>) -> Search {
        let Some(text) = text.map(str::to_lowercase) else {
            return Search::Scan;
        };
        if text.contains(['%', '_', '\\']) {
            return Search::Scan;
        }
        match text.chars().count() {
            0 => Search::Scan,
            1 | 2 => Search::Gram(text),
            _ if backend == Backend::Sqlite => {
                // Inside an FTS5 string every character is literal except `"`, written twice.
                Search::Trigram(format!("\"{}\"", text.replace('"', "\"\"")))
            }
            _ => Search::Scan,
        }
    }
}

/// A keyset page ordered by id.
///
/// With an index for the term, the query walks the term's postings in id order and looks each
/// institution up by id, so it stops at a full page after reading about `limit / share of
/// matches in scope` postings: a common gram (医) ends at once, a rare one (协和) reads only
/// its own few rows. SQLite keeps the written join order of a `CROSS JOIN`. PostgreSQL would
/// reorder it on its estimates — the LIKEs look selective, so it scanned the institutions in
/// scope (36 ms), and its generic plan merge-joined the whole table (88 ms) — so there the
/// institution is a `LATERAL` subquery of the posting, fenced by `OFFSET 0`: 0.1-0.9 ms.
pub async fn list(
    tx: &mut Tx,
    f: &Filter,
    after_id: i64,
    limit: i64,
) -> Result<Page<InstitutionRecord>> {
    let search = Search::for_term(tx.backend(), f.query.as_deref());
    let columns: Vec<String> = COLUMNS
        .split(',')
        .map(|c| format!("i.{}", c.trim()))
        .collect();
    let columns = columns.join(", ");
    let (from, key) = match &search {
        Search::Scan => ("institutions i", "i.id"),
        Search::Gram(_) if tx.backend() == Backend::Postgres => (
            "institution_grams g CROSS JOIN LATERAL \
             (SELECT * FROM institutions WHERE id = g.institution_id OFFSET 0) i",
            "g.institution_id",
        ),
        Search::Gram(_) => (
            "institution_grams g CROSS JOIN institutions i",
            "g.institution_id",
        ),
        Search::Trigram(_) => (
            "institution_search CROSS JOIN institutions i",
            "institution_search.rowid",
        ),
    };
    let rows: Vec<InstitutionRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("SELECT {columns} FROM {from} WHERE {key} > "));
        q.push_bind(after_id);
        match &search {
            Search::Scan => {}
            Search::Gram(gram) => {
                q.push(" AND g.gram = ").push_bind(gram.clone()).push(" AND i.id = g.institution_id");
            }
            Search::Trigram(phrase) => {
                q.push(" AND institution_search MATCH ").push_bind(phrase.clone())
                    .push(" AND i.id = institution_search.rowid");
            }
        }
        if let Some(text) = &f.query {
            let pattern = format!("%{}%", text.to_lowercase());
            q.push(" AND (LOWER(i.name) LIKE ").push_bind(pattern.clone());
            q.push(" OR i.name_initials LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(i.credit_code) LIKE ").push_bind(pattern).push(")");
        }
        for (column, value) in [("kind", &f.kind), ("grade", &f.grade), ("category", &f.category)] {
            if let Some(v) = value {
                q.push(format!(" AND i.{column} = ")).push_bind(v.clone());
            }
        }
        if let Some(owner) = f.owner_id {
            q.push(" AND i.owner_id = ").push_bind(owner);
        }
        if let Some(only) = f.only_owner {
            q.push(" AND i.owner_id = ").push_bind(only);
        }
        if let Some(due) = &f.due_before {
            q.push(" AND i.next_visit_due < ").push_bind(due.clone());
        }
        for regions in [&f.region_ids, &f.visible_regions].into_iter().flatten() {
            q.push(" AND i.region_id IN (");
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push(")");
        }
        q.push(format!(" ORDER BY {key} LIMIT ")).push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

// ---- departments and contacts ----

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct DepartmentRecord {
    pub id: i64,
    pub institution_id: i64,
    pub name: String,
}

pub async fn insert_department(
    tx: &mut Tx,
    institution_id: i64,
    name: &str,
    now_ms: i64,
) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO departments (institution_id, name, created_at_ms) VALUES ($1, $2, $3) RETURNING id")
        .bind(institution_id).bind(name).bind(now_ms).fetch_one(c).await)
    .db()
}

pub async fn departments(tx: &mut Tx, institution_id: i64) -> Result<Vec<DepartmentRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT id, institution_id, name FROM departments WHERE institution_id = $1 ORDER BY id")
        .bind(institution_id).fetch_all(c).await)
    .db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ContactRecord {
    pub id: i64,
    pub institution_id: i64,
    pub department_id: Option<i64>,
    pub name: String,
    pub role: String,
    pub title: String,
    pub phone: String,
    pub email: String,
}

pub struct NewContact<'a> {
    pub department_id: Option<i64>,
    pub name: &'a str,
    pub role: &'a str,
    pub title: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
}

pub async fn insert_contact(
    tx: &mut Tx,
    institution_id: i64,
    n: &NewContact<'_>,
    now_ms: i64,
) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO contacts (institution_id, department_id, name, role, title, phone, email, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id")
        .bind(institution_id).bind(n.department_id).bind(n.name).bind(n.role).bind(n.title)
        .bind(n.phone).bind(n.email).bind(now_ms).fetch_one(c).await)
    .db()
}

pub async fn contacts(tx: &mut Tx, institution_id: i64) -> Result<Vec<ContactRecord>> {
    on!(tx, c => sqlx::query_as(
        "SELECT id, institution_id, department_id, name, role, title, phone, email
         FROM contacts WHERE institution_id = $1 ORDER BY id")
        .bind(institution_id).fetch_all(c).await)
    .db()
}

// ---- history ----

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct OwnerChange {
    pub owner_id: i64,
    pub region_id: i64,
    pub reason: String,
    pub changed_by: Option<i64>,
    pub at_ms: i64,
}

pub async fn record_owner(tx: &mut Tx, institution_id: i64, ch: &OwnerChange) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO institution_owners (institution_id, owner_id, region_id, reason, changed_by, at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(institution_id).bind(ch.owner_id).bind(ch.region_id).bind(&ch.reason)
        .bind(ch.changed_by).bind(ch.at_ms).execute(c).await)
    .db()?;
    Ok(())
}

pub async fn owner_history(tx: &mut Tx, institution_id: i64) -> Result<Vec<OwnerChange>> {
    on!(tx, c => sqlx::query_as(
        "SELECT owner_id, region_id, reason, changed_by, at_ms FROM institution_owners
         WHERE institution_id = $1 ORDER BY id")
        .bind(institution_id).fetch_all(c).await)
    .db()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct GradeChange {
    pub category: String,
    pub grade: String,
    pub source: String,
    /// The rule's weighted score × 100 when the rule decided.
    pub score: Option<i64>,
    pub reason: String,
    pub changed_by: Option<i64>,
    pub at_ms: i64,
}

pub async fn record_grade(tx: &mut Tx, institution_id: i64, ch: &GradeChange) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO institution_grades (institution_id, category, grade, source, score, reason, changed_by, at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(institution_id).bind(&ch.category).bind(&ch.grade).bind(&ch.source).bind(ch.score).bind(&ch.reason)
        .bind(ch.changed_by).bind(ch.at_ms).execute(c).await)
    .db()?;
    Ok(())
}

pub async fn grade_history(tx: &mut Tx, institution_id: i64) -> Result<Vec<GradeChange>> {
    on!(tx, c => sqlx::query_as(
        "SELECT category, grade, source, score, reason, changed_by, at_ms FROM institution_grades
         WHERE institution_id = $1 ORDER BY id")
        .bind(institution_id).fetch_all(c).await)
    .db()
}

/// Institutions classified by the rule (not overridden) after `after_id`, for re-evaluation.
pub async fn rule_graded(tx: &mut Tx, after_id: i64, limit: i64) -> Result<Vec<InstitutionRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM institutions WHERE id > $1 AND grade_source = 'rule' ORDER BY id LIMIT $2"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(after_id).bind(limit).fetch_all(c).await).db()
}

// ---- visits ----

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct VisitRecord {
    pub id: i64,
    pub institution_id: i64,
    pub visitor_id: i64,
    pub status: String,
    pub planned_on: Option<String>,
    pub visited_on: Option<String>,
    pub purpose: String,
    pub outcome: String,
    pub next_step: String,
    pub effective: bool,
    pub satisfaction: Option<i64>,
    pub feedback: String,
    pub created_at_ms: i64,
}

const VISIT_COLUMNS: &str = "id, institution_id, visitor_id, status, planned_on, visited_on, purpose, outcome, \
    next_step, effective, satisfaction, feedback, created_at_ms";

pub struct VisitFields<'a> {
    pub status: &'a str,
    pub planned_on: Option<&'a str>,
    pub visited_on: Option<&'a str>,
    pub purpose: &'a str,
    pub outcome: &'a str,
    pub next_step: &'a str,
    pub effective: bool,
    pub satisfaction: Option<i64>,
    pub feedback: &'a str,
}

pub async fn insert_visit(
    tx: &mut Tx,
    institution_id: i64,
    visitor_id: i64,
    v: &VisitFields<'_>,
    now_ms: i64,
) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO visits (institution_id, visitor_id, status, planned_on, visited_on, purpose, outcome, next_step,
            effective, satisfaction, feedback, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id")
        .bind(institution_id).bind(visitor_id).bind(v.status).bind(v.planned_on).bind(v.visited_on)
        .bind(v.purpose).bind(v.outcome).bind(v.next_step).bind(v.effective).bind(v.satisfaction)
        .bind(v.feedback).bind(now_ms).fetch_one(c).await)
    .db()
}

/// Records the outcome of a planned visit.
pub async fn update_visit(tx: &mut Tx, id: i64, v: &VisitFields<'_>, now_ms: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE visits SET status = $2, visited_on = $3, outcome = $4, next_step = $5, effective = $6,
            satisfaction = $7, feedback = $8, updated_at_ms = $9
         WHERE id = $1")
        .bind(id).bind(v.status).bind(v.visited_on).bind(v.outcome).bind(v.next_step).bind(v.effective)
        .bind(v.satisfaction).bind(v.feedback).bind(now_ms).execute(c).await)
    .db()?;
    found(n)
}

pub async fn get_visit(tx: &mut Tx, id: i64) -> Result<Option<VisitRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {VISIT_COLUMNS} FROM visits WHERE id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

pub async fn visits(tx: &mut Tx, institution_id: i64) -> Result<Vec<VisitRecord>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {VISIT_COLUMNS} FROM visits WHERE institution_id = $1
         ORDER BY COALESCE(visited_on, planned_on) DESC, id DESC"
    ));
    on!(tx, c => sqlx::query_as(sql).bind(institution_id).fetch_all(c).await).db()
}

pub async fn set_visit_contacts(tx: &mut Tx, visit_id: i64, contact_ids: &[i64]) -> Result<()> {
    for id in contact_ids {
        exec!(tx, c => sqlx::query("INSERT INTO visit_contacts (visit_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(visit_id).bind(*id).execute(c).await)
        .db()?;
    }
    Ok(())
}

/// `(visit_id, contact_id)` of every visit of the institution.
pub async fn visit_contacts(tx: &mut Tx, institution_id: i64) -> Result<Vec<(i64, i64)>> {
    on!(tx, c => sqlx::query_as(
        "SELECT vc.visit_id, vc.contact_id FROM visit_contacts vc JOIN visits v ON v.id = vc.visit_id
         WHERE v.institution_id = $1 ORDER BY vc.visit_id, vc.contact_id")
        .bind(institution_id).fetch_all(c).await)
    .db()
}

/// The latest date the institution was visited, if ever.
pub async fn last_visit_on(tx: &mut Tx, institution_id: i64) -> Result<Option<String>> {
    on!(tx, c => sqlx::query_scalar(
        "SELECT MAX(visited_on) FROM visits WHERE institution_id = $1 AND status = 'done'")
        .bind(institution_id).fetch_one(c).await)
    .db()
}

// ---- partners (CUS-8) ----

pub async fn link_partner(
    tx: &mut Tx,
    partner_id: i64,
    hospital_id: i64,
    now_ms: i64,
) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO partner_links (partner_id, hospital_id, created_at_ms) VALUES ($1, $2, $3)")
        .bind(partner_id).bind(hospital_id).bind(now_ms).execute(c).await)
    .db()?;
    Ok(())
}

/// For a partner, the hospitals it serves; for a hospital, the partners serving it: `(id, name)`.
pub async fn partners_of(tx: &mut Tx, id: i64) -> Result<Vec<(i64, String)>> {
    on!(tx, c => sqlx::query_as(
        "SELECT i.id, i.name FROM partner_links l JOIN institutions i
            ON i.id = CASE WHEN l.partner_id = $1 THEN l.hospital_id ELSE l.partner_id END
         WHERE l.partner_id = $1 OR l.hospital_id = $1 ORDER BY i.id")
        .bind(id).fetch_all(c).await)
    .db()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Db, regions, users};

    fn fields(name: &str, credit_code: Option<&str>) -> InstitutionFields {
        InstitutionFields {
            name: name.into(),
            // The app computes real pinyin; a fixed key is enough to search by here.
            name_initials: if name.starts_with("北京协和") {
                "bjxhyy".into()
            } else {
                "yy".into()
            },
            credit_code: credit_code.map(str::to_owned),
            kind: "hospital".into(),
            level: "3A".into(),
            province: "北京".into(),
            city: "北京市".into(),
            address: String::new(),
            beds: None,
            phone: String::new(),
            scale_score: 3,
            demand_score: 3,
            willingness_score: 3,
            needs: String::new(),
            preferences: String::new(),
            procurement_plan: String::new(),
        }
    }

    async fn names(tx: &mut Tx, q: &str) -> Vec<String> {
        let f = Filter {
            query: Some(q.into()),
            ..Default::default()
        };
        let page = list(tx, &f, 0, 100).await.unwrap();
        page.items.into_iter().map(|r| r.name).collect()
    }

    /// What the list answered before the index: the LIKE scan alone.
    async fn scanned(tx: &mut Tx, q: &str) -> Vec<String> {
        let pattern = format!("%{}%", q.to_lowercase());
        on!(tx, c => sqlx::query_scalar(
            "SELECT name FROM institutions
             WHERE LOWER(name) LIKE $1 OR name_initials LIKE $1 OR LOWER(credit_code) LIKE $1 ORDER BY id")
            .bind(pattern).fetch_all(c).await)
        .unwrap()
    }

    /// The trigram index (migration 0003) and the gram index of 1-2 characters (0007) only
    /// narrow the search: every term, with wildcards, quotes, mixed case or of any length,
    /// finds exactly what the plain scan finds, and edits reach both indexes.
    #[tokio::test]
    async fn indexed_search_answers_exactly_what_the_scan_answers() {
        let dir = std::env::temp_dir().join(format!("medcrm-store-search-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::fs::remove_file(dir.join("medcrm.db"));
        let db = Db::connect(None, &dir).await.unwrap();
        db.migrate().await.unwrap();
        let mut tx = db.write().await.unwrap();
        let region = regions::NewRegion {
            parent_id: None,
            kind: "company",
            code: "HQ",
            name_zh: "总部",
            name_en: "HQ",
        };
        let region = regions::insert(&mut tx, &region, 0).await.unwrap();
        let user = users::NewUser {
            username: "rep",
            display_name: "rep",
            email: None,
            phone: None,
            password_hash: "x",
            locale: "zh-CN",
        };
        let user = users::insert(&mut tx, &user, 0).await.unwrap();
        let class = Classification {
            category: "normal",
            grade: "B",
            source: "rule",
            next_visit_due: "2026-12-01",
        };
        let mut ids = Vec::new();
        for (name, code) in [
            ("北京协和医院", Some("12100000400000624D")),
            ("Mayo Clinic 梅奥", None),
            ("上海市第六人民医院", Some("12310000425006117X")),
            ("康复100%_中心", None),
            ("引号\"医院", None),
        ] {
            ids.push(
                insert(&mut tx, &fields(name, code), region, user, &class, 0)
                    .await
                    .unwrap(),
            );
        }
        update(&mut tx, ids[2], &fields("上海市第十人民医院", None), 1)
            .await
            .unwrap();
        for q in [
            "bjxh",
            "BJXH",
            "协和医院",
            "MAYO",
            "clinic 梅",
            "100%_",
            "0%_中",
            "%_中",
            "1_0",
            "号\"医",
            "\"",
            "12100000",
            "624d",
            "425006117",
            "第六人民",
            "第十人民",
            "不存在的医院",
            "协和",
            "人民",
            "yy",
            "y",
            "六",
            "十",
            "第十",
            "7x",
            "\"",
            "号\"",
            "o ",
            "%",
            "1%",
            "\\",
        ] {
            assert_eq!(
                names(&mut tx, q).await,
                scanned(&mut tx, q).await,
                "q = {q}"
            );
        }
        assert_eq!(names(&mut tx, "协和医院").await, ["北京协和医院"]);
        assert_eq!(names(&mut tx, "第十人民").await, ["上海市第十人民医院"]);
        assert!(names(&mut tx, "第六人民").await.is_empty());
        // A rename reaches the one- and two-character index as well: old grams go, new come.
        assert!(names(&mut tx, "六").await.is_empty());
        assert_eq!(names(&mut tx, "第十").await, ["上海市第十人民医院"]);
        assert!(names(&mut tx, "7x").await.is_empty());
        drop(tx);
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
