//! CUS: institutions (CUS-1, CUS-8), their departments and contacts, ownership and territory,
//! classification (CUS-3), visits and overdue visits (CUS-4, CUS-5), completeness (CUS-7).
//! Every read is narrowed to the caller's scope; records outside it are "not found".

use std::collections::BTreeMap;

use jiff::civil::Date;
use medcrm_domain::auth::Role;
use medcrm_domain::customers::{
    Assessment, Category, ContactRole, Facts, Grade, GradeRule, HospitalLevel, InstitutionKind,
    VisitPolicy, check_credit_code, completeness, initials,
};
use medcrm_domain::org::RegionTree;
use medcrm_store::customers::{self as store, Classification, InstitutionFields, VisitFields};
pub use medcrm_store::customers::{
    ContactRecord, DepartmentRecord, GradeChange, InstitutionRecord, OwnerChange, VisitRecord,
};
use medcrm_store::{Page, Tx, regions, settings, users};

use crate::error::Fields;
use crate::org::{blank_to_none, check_contact, region_tree, visibility};
use crate::policy::{self, Action, Visible};
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// An institution with the names a person reads instead of ids.
#[derive(Debug, Clone)]
pub struct InstitutionView {
    pub record: InstitutionRecord,
    pub owner_name: String,
    pub region_name: String,
}

/// Everything on a customer's page.
#[derive(Debug, Clone)]
pub struct InstitutionDetail {
    pub view: InstitutionView,
    pub departments: Vec<DepartmentRecord>,
    pub contacts: Vec<ContactRecord>,
    pub visits: Vec<VisitView>,
    pub owners: Vec<OwnerChange>,
    pub grades: Vec<GradeChange>,
    /// CUS-7: 0–100 and the facts still missing.
    pub completeness: u8,
    pub missing: Vec<&'static str>,
    /// Partners serving this hospital, or hospitals this partner serves (CUS-8): `(id, name)`.
    pub partners: Vec<(i64, String)>,
    /// Display names of the people named in the histories.
    pub people: BTreeMap<i64, String>,
}

#[derive(Debug, Clone)]
pub struct VisitView {
    pub visit: VisitRecord,
    pub contact_ids: Vec<i64>,
}

/// Fields of an institution as typed; `None` keeps the current value on update and takes
/// the default on create.
#[derive(Debug, Clone, Default)]
pub struct InstitutionInput {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub kind: Option<String>,
    pub level: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    /// `Some(None)` clears it.
    pub beds: Option<Option<i64>>,
    pub phone: Option<String>,
    pub scale_score: Option<i64>,
    pub demand_score: Option<i64>,
    pub willingness_score: Option<i64>,
    pub needs: Option<String>,
    pub preferences: Option<String>,
    pub procurement_plan: Option<String>,
    /// On create only: the territory (default: the caller's first region) and owner rep
    /// (default: the caller). Later changes go through reassignment.
    pub region_id: Option<i64>,
    pub owner_id: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct InstitutionQuery {
    pub query: Option<String>,
    pub kind: Option<String>,
    pub grade: Option<String>,
    pub category: Option<String>,
    pub region_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// Only those whose next visit is overdue (CUS-4).
    pub overdue: bool,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub department_id: Option<i64>,
    pub name: String,
    pub role: String,
    pub title: String,
    pub phone: String,
    pub email: String,
}

/// A visit to plan (`done = false`, with `planned_on`) or to log as done (with `visited_on`).
#[derive(Debug, Clone, Default)]
pub struct VisitInput {
    pub done: bool,
    pub planned_on: Option<String>,
    pub visited_on: Option<String>,
    pub purpose: String,
    pub outcome: String,
    pub next_step: String,
    pub effective: bool,
    pub satisfaction: Option<i64>,
    pub feedback: String,
    pub contact_ids: Vec<i64>,
}

/// Settings keys of the CUS-3 rule and CUS-4 frequencies.
const GRADE_RULE_KEY: &str = "customers.grade_rule";
const VISIT_POLICY_KEY: &str = "customers.visit_months";

/// Longest free text kept on a customer (needs, plans, visit notes).
const MAX_TEXT_CHARS: usize = 2000;
const MAX_BEDS: i64 = 20_000;
/// Rows re-graded per transaction by the periodic re-evaluation.
const REGRADE_BATCH: i64 = 500;

/// Today in Asia/Shanghai, the date business rules speak of.
pub fn today() -> Date {
    local_date(jiff::Timestamp::now())
}

fn local_date(t: jiff::Timestamp) -> Date {
    // The tz database is bundled into the binary, so the fallback is never taken in practice.
    jiff::tz::TimeZone::get(medcrm_domain::calendar::TIME_ZONE)
        .unwrap_or(jiff::tz::TimeZone::UTC)
        .to_datetime(t)
        .date()
}

pub(crate) fn numbers(text: &str) -> Vec<u32> {
    text.split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// The configured CUS-3 rule and CUS-4 frequencies, or the defaults.
pub(crate) async fn rules(tx: &mut Tx) -> Result<(GradeRule, VisitPolicy)> {
    let rule = match settings::get(tx, GRADE_RULE_KEY)
        .await?
        .map(|t| numbers(&t))
    {
        Some(n) if n.len() == 5 => GradeRule {
            scale_weight: n[0],
            demand_weight: n[1],
            willingness_weight: n[2],
            a_from: n[3],
            b_from: n[4],
        },
        _ => GradeRule::default(),
    };
    let policy = match settings::get(tx, VISIT_POLICY_KEY)
        .await?
        .map(|t| numbers(&t))
    {
        Some(n) if n.len() == 3 => VisitPolicy {
            a_months: u8::try_from(n[0]).unwrap_or(1),
            b_months: u8::try_from(n[1]).unwrap_or(2),
            c_months: u8::try_from(n[2]).unwrap_or(3),
        },
        _ => VisitPolicy::default(),
    };
    Ok((rule, policy))
}

pub(crate) fn parse_date(
    fields: &mut Fields,
    field: &'static str,
    value: Option<&str>,
) -> Option<Date> {
    let text = value.map(str::trim).filter(|v| !v.is_empty())?;
    match text.parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            fields.add(field, "a date looks like 2026-11-25");
            None
        }
    }
}

pub(crate) fn check_text(
    fields: &mut Fields,
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) {
    let n = value.trim().chars().count();
    if n < min || n > max {
        fields.add(
            field,
            if min == 0 {
                format!("at most {max} characters")
            } else {
                format!("{min} to {max} characters")
            },
        );
    }
}

fn trimmed(value: Option<String>, current: &str) -> String {
    value.map_or_else(|| current.to_owned(), |v| v.trim().to_owned())
}

/// Merges `input` over `current` (create: the defaults) and validates the result.
pub(crate) fn institution_fields(
    input: InstitutionInput,
    current: Option<&InstitutionRecord>,
) -> Result<InstitutionFields> {
    let mut fields = Fields::default();
    let cur = |f: fn(&InstitutionRecord) -> &str| current.map_or("", f);
    let name = trimmed(input.name, cur(|r| &r.name));
    check_text(&mut fields, "name", &name, 2, 100);
    let credit_code = match input.credit_code {
        Some(c) => blank_to_none(Some(c.to_uppercase())),
        None => current.and_then(|r| r.credit_code.clone()),
    };
    if let Some(code) = &credit_code {
        fields.check("credit_code", check_credit_code(code));
    }
    let kind = trimmed(input.kind, cur(|r| &r.kind));
    fields.check("kind", kind.parse::<InstitutionKind>().map(drop));
    let mut level = trimmed(input.level, cur(|r| &r.level));
    if level.is_empty() {
        level = HospitalLevel::Unrated.code().to_owned();
    }
    fields.check("level", level.parse::<HospitalLevel>().map(drop));
    let province = trimmed(input.province, cur(|r| &r.province));
    check_text(&mut fields, "province", &province, 2, 30);
    let city = trimmed(input.city, cur(|r| &r.city));
    check_text(&mut fields, "city", &city, 2, 30);
    let address = trimmed(input.address, cur(|r| &r.address));
    check_text(&mut fields, "address", &address, 0, 200);
    let beds = input.beds.unwrap_or_else(|| current.and_then(|r| r.beds));
    if beds.is_some_and(|b| !(0..=MAX_BEDS).contains(&b)) {
        fields.add("beds", format!("beds must be between 0 and {MAX_BEDS}"));
    }
    let phone = trimmed(input.phone, cur(|r| &r.phone));
    check_contact(
        &mut fields,
        None,
        Some(phone.as_str()).filter(|p| !p.is_empty()),
    );
    let score = |v: Option<i64>, current: Option<i64>| v.or(current).unwrap_or(3);
    let scale_score = score(input.scale_score, current.map(|r| r.scale_score));
    let demand_score = score(input.demand_score, current.map(|r| r.demand_score));
    let willingness_score = score(
        input.willingness_score,
        current.map(|r| r.willingness_score),
    );
    fields.check(
        "scale_score",
        Assessment::new(scale_score, demand_score, willingness_score).map(drop),
    );
    let needs = trimmed(input.needs, cur(|r| &r.needs));
    check_text(&mut fields, "needs", &needs, 0, MAX_TEXT_CHARS);
    let preferences = trimmed(input.preferences, cur(|r| &r.preferences));
    check_text(&mut fields, "preferences", &preferences, 0, MAX_TEXT_CHARS);
    let procurement_plan = trimmed(input.procurement_plan, cur(|r| &r.procurement_plan));
    check_text(
        &mut fields,
        "procurement_plan",
        &procurement_plan,
        0,
        MAX_TEXT_CHARS,
    );
    fields.finish()?;
    Ok(InstitutionFields {
        name_initials: initials(&name),
        name,
        credit_code,
        kind,
        level,
        province,
        city,
        address,
        beds,
        phone,
        scale_score,
        demand_score,
        willingness_score,
        needs,
        preferences,
        procurement_plan,
    })
}

fn assessment(f: &InstitutionRecord) -> Option<Assessment> {
    Assessment::new(f.scale_score, f.demand_score, f.willingness_score).ok()
}

/// CUS-1: refuses a second institution with the same credit code, or name in the same city.
pub(crate) async fn refuse_duplicate(
    tx: &mut Tx,
    f: &InstitutionFields,
    except: Option<i64>,
) -> Result<()> {
    let found =
        store::find_duplicate(tx, f.credit_code.as_deref(), &f.name, &f.city, except).await?;
    let Some((id, name, city)) = found else {
        return Ok(());
    };
    let same_code = f.credit_code.is_some() && (name != f.name || city != f.city);
    Err(Error::conflict(
        Some(if same_code { "credit_code" } else { "name" }),
        if same_code {
            format!("institution #{id} {name} ({city}) already has this credit code")
        } else {
            format!("institution #{id} {name} already exists in {city}")
        },
    ))
}

/// The institution if the caller's scope reaches it; "not found" otherwise, so its
/// existence never leaks.
pub(crate) async fn visible_institution(
    tx: &mut Tx,
    ctx: &Ctx,
    action: Action,
    id: i64,
) -> Result<(InstitutionRecord, RegionTree)> {
    let (visible, tree) = visibility(tx, ctx, action).await?;
    let record = store::get(tx, id)
        .await?
        .filter(|r| policy::can_see(&visible, Some(r.owner_id), &[r.region_id]))
        .ok_or(Error::NotFound("institution"))?;
    Ok((record, tree))
}

/// Display names of the users `ids`, one query per distinct user.
pub(crate) async fn display_names(tx: &mut Tx, ids: Vec<i64>) -> Result<BTreeMap<i64, String>> {
    let mut names = BTreeMap::new();
    for id in ids {
        if let std::collections::btree_map::Entry::Vacant(slot) = names.entry(id) {
            let user = users::get(tx, id).await?;
            slot.insert(user.map(|u| u.display_name).unwrap_or_default());
        }
    }
    Ok(names)
}

impl App {
    /// Display names of colleagues, as pages show who submitted, approved or owns a record
    /// the caller can already see; names only (no roles, regions or contact data), so any
    /// signed-in user may ask. At most a page's worth at once.
    /// `_ctx` is the signed-in caller: being one is the whole permission.
    pub async fn colleague_names(
        &self,
        _ctx: &Ctx,
        ids: Vec<i64>,
    ) -> Result<BTreeMap<i64, String>> {
        if ids.len() > usize::try_from(crate::MAX_PAGE_SIZE).unwrap_or(200) {
            return Err(Error::invalid("ids", "too many users at once"));
        }
        let mut tx = self.db.read().await?;
        let mut names = display_names(&mut tx, ids).await?;
        names.retain(|_, n| !n.is_empty());
        Ok(names)
    }
}

async fn views(tx: &mut Tx, records: Vec<InstitutionRecord>) -> Result<Vec<InstitutionView>> {
    let regions: BTreeMap<i64, String> = regions::all(tx)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name_zh))
        .collect();
    let owners = display_names(tx, records.iter().map(|r| r.owner_id).collect()).await?;
    Ok(records
        .into_iter()
        .map(|record| InstitutionView {
            owner_name: owners.get(&record.owner_id).cloned().unwrap_or_default(),
            region_name: regions.get(&record.region_id).cloned().unwrap_or_default(),
            record,
        })
        .collect())
}

/// An active user holding a sales role, who can own customers.
pub(crate) async fn check_owner(tx: &mut Tx, fields: &mut Fields, owner_id: i64) -> Result<()> {
    let active = users::get(tx, owner_id).await?.is_some_and(|u| u.active);
    let roles = users::roles(tx, owner_id).await?;
    let sells = [Role::SalesRep, Role::SalesManager, Role::SalesDirector]
        .iter()
        .any(|r| roles.iter().any(|c| c == r.code()));
    if !active || !sells {
        fields.add(
            "owner_id",
            "the owner must be an active user with a sales role",
        );
    }
    Ok(())
}

/// Region and owner the caller may give a customer: inside their scope.
pub(crate) fn check_territory(
    fields: &mut Fields,
    ctx: &Ctx,
    visible: &Visible,
    tree: &RegionTree,
    region_id: i64,
    owner_id: i64,
) {
    if !tree.contains(region_id) {
        fields.add("region_id", format!("unknown region {region_id}"));
        return;
    }
    let allowed = match visible {
        Visible::All => true,
        Visible::Regions(ids) => ids.contains(&region_id),
        // A rep files customers in their own territory, owned by themselves.
        Visible::OnlyUser(me) => {
            owner_id == *me
                && tree
                    .subtree(ctx.actor.region_ids.iter().copied())
                    .contains(&region_id)
        }
    };
    if !allowed {
        fields.add(
            "region_id",
            "you can only file customers within your own territory",
        );
    }
}

fn classification<'a>(
    category: Category,
    grade: Grade,
    source: &'a str,
    due: &'a str,
) -> Classification<'a> {
    Classification {
        category: category.code(),
        grade: grade.code(),
        source,
        next_visit_due: due,
    }
}

/// Inserts a validated institution (CUS-1) classified by the rule (CUS-3), with its first
/// owner and grade history and its audit entry, inside `tx`. Shared by `create_institution`
/// and the import (SYS-3), which checks every row first and then writes them all in one
/// transaction.
pub(crate) async fn insert_institution(
    tx: &mut Tx,
    ctx: &Ctx,
    f: &InstitutionFields,
    region_id: i64,
    owner_id: i64,
    rule: &GradeRule,
    visit_policy: &VisitPolicy,
) -> Result<InstitutionRecord> {
    let a = Assessment::new(f.scale_score, f.demand_score, f.willingness_score)
        .map_err(|e| Error::invalid("scale_score", e))?;
    let (category, grade) = rule.classify(a);
    let due = visit_policy.next_due(grade, today()).to_string();
    let now = now_ms();
    let class = classification(category, grade, "rule", &due);
    let id = store::insert(tx, f, region_id, owner_id, &class, now).await?;
    let by = Some(ctx.actor.user_id).filter(|u| *u > 0);
    store::record_owner(
        tx,
        id,
        &OwnerChange {
            owner_id,
            region_id,
            reason: "created".into(),
            changed_by: by,
            at_ms: now,
        },
    )
    .await?;
    store::record_grade(
        tx,
        id,
        &GradeChange {
            category: category.code().into(),
            grade: grade.code().into(),
            source: "rule".into(),
            score: Some(i64::from(rule.score(a))),
            reason: "created".into(),
            changed_by: by,
            at_ms: now,
        },
    )
    .await?;
    audited(tx, ctx, id, "create", None).await
}

/// The institution as it now stands in this transaction.
pub(crate) async fn institution_record(tx: &mut Tx, id: i64) -> Result<InstitutionRecord> {
    store::get(tx, id)
        .await?
        .ok_or(Error::NotFound("institution"))
}

/// The institution as written, with the audit entry of `action` from `before` to it (SYS-1).
async fn audited(
    tx: &mut Tx,
    ctx: &Ctx,
    id: i64,
    action: &str,
    before: Option<&InstitutionRecord>,
) -> Result<InstitutionRecord> {
    let after = institution_record(tx, id).await?;
    let before = before.map(|b| b as &dyn audit::ErasedJson);
    audit::record(tx, ctx, "institution", id, action, before, Some(&after)).await?;
    Ok(after)
}

/// The date the next visit is due under `grade`, from the last visit or from `since`.
fn next_due(policy: &VisitPolicy, grade: Grade, last_visit_on: Option<&str>, since: Date) -> Date {
    let from = last_visit_on
        .and_then(|d| d.parse::<Date>().ok())
        .unwrap_or(since);
    policy.next_due(grade, from)
}

impl App {
    /// Institutions within the caller's scope, keyset-paged, searchable by name, pinyin
    /// initials or credit code.
    pub async fn institutions(
        &self,
        ctx: &Ctx,
        q: &InstitutionQuery,
    ) -> Result<Page<InstitutionView>> {
        let scope = policy::require(&ctx.actor, Action::ReadCustomers)?;
        let limit = crate::page_size(q.limit)?;
        let mut fields = Fields::default();
        let code = |f: &mut Fields, field, v: &Option<String>, ok: fn(&str) -> bool| {
            let v = blank_to_none(v.clone());
            if v.as_deref().is_some_and(|v| !ok(v)) {
                f.add(field, "unknown value");
            }
            v
        };
        let kind = code(&mut fields, "kind", &q.kind, |v| {
            v.parse::<InstitutionKind>().is_ok()
        });
        let grade = code(&mut fields, "grade", &q.grade, |v| {
            v.parse::<Grade>().is_ok()
        });
        let category = code(&mut fields, "category", &q.category, |v| {
            v.parse::<Category>().is_ok()
        });
        let mut tx = self.db.read().await?;
        let tree = region_tree(&mut tx).await?;
        if q.region_id.is_some_and(|r| !tree.contains(r)) {
            fields.add("region_id", "unknown region");
        }
        fields.finish()?;
        let visible = policy::visible(&ctx.actor, scope, &tree);
        let filter = store::Filter {
            query: blank_to_none(q.query.clone()),
            kind,
            grade,
            category,
            region_ids: q.region_id.map(|r| tree.subtree([r]).into_iter().collect()),
            owner_id: q.owner_id,
            due_before: q.overdue.then(|| today().to_string()),
            visible_regions: visible.regions(),
            only_owner: visible.only_user(),
        };
        let page = store::list(&mut tx, &filter, q.cursor.unwrap_or(0), limit).await?;
        Ok(Page {
            items: views(&mut tx, page.items).await?,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn institution(&self, ctx: &Ctx, id: i64) -> Result<InstitutionDetail> {
        let mut tx = self.db.read().await?;
        let (record, _) = visible_institution(&mut tx, ctx, Action::ReadCustomers, id).await?;
        let departments = store::departments(&mut tx, id).await?;
        let contacts = store::contacts(&mut tx, id).await?;
        let mut links: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (visit, contact) in store::visit_contacts(&mut tx, id).await? {
            links.entry(visit).or_default().push(contact);
        }
        let visits = store::visits(&mut tx, id)
            .await?
            .into_iter()
            .map(|visit| VisitView {
                contact_ids: links.remove(&visit.id).unwrap_or_default(),
                visit,
            })
            .collect();
        let equipment = departments
            .iter()
            .filter(|d| d.name.contains("设备"))
            .map(|d| d.id)
            .collect::<Vec<_>>();
        let facts = Facts {
            credit_code: record.credit_code.is_some(),
            level_rated: record.level != HospitalLevel::Unrated.code(),
            address: !record.address.is_empty(),
            beds: record.beds.is_some(),
            phone: !record.phone.is_empty(),
            needs: !record.needs.is_empty(),
            procurement_plan: !record.procurement_plan.is_empty(),
            departments: !departments.is_empty(),
            equipment_contact: contacts.iter().any(|c| {
                c.role == ContactRole::Equipment.code()
                    || c.department_id.is_some_and(|d| equipment.contains(&d))
            }),
            decision_maker_with_phone: contacts.iter().any(|c| {
                !c.phone.is_empty()
                    && [ContactRole::DepartmentHead, ContactRole::Kol]
                        .iter()
                        .any(|r| r.code() == c.role)
            }),
        };
        let (score, missing) = completeness(&facts);
        let owners = store::owner_history(&mut tx, id).await?;
        let grades = store::grade_history(&mut tx, id).await?;
        let partners = store::partners_of(&mut tx, id).await?;
        let named = owners.iter().flat_map(|o| [Some(o.owner_id), o.changed_by]);
        let named = named.chain(grades.iter().map(|g| g.changed_by)).flatten();
        let people = display_names(&mut tx, named.collect()).await?;
        let view = views(&mut tx, vec![record])
            .await?
            .pop()
            .ok_or(Error::NotFound("institution"))?;
        Ok(InstitutionDetail {
            view,
            departments,
            contacts,
            visits,
            owners,
            grades,
            completeness: score,
            missing,
            partners,
            people,
        })
    }

    /// CUS-1: a new institution, classified by the rule (CUS-3), owned by the caller unless a
    /// manager names another rep.
    pub async fn create_institution(
        &self,
        ctx: &Ctx,
        mut input: InstitutionInput,
    ) -> Result<InstitutionRecord> {
        let scope = policy::require(&ctx.actor, Action::ManageCustomers)?;
        let region_id = input
            .region_id
            .take()
            .or_else(|| ctx.actor.region_ids.first().copied());
        let owner_id = input.owner_id.take().unwrap_or(ctx.actor.user_id);
        if input.kind.is_none() {
            return Err(Error::invalid("kind", "choose the kind of institution"));
        }
        let f = institution_fields(input, None)?;
        let mut tx = self.db.write().await?;
        let tree = region_tree(&mut tx).await?;
        let visible = policy::visible(&ctx.actor, scope, &tree);
        let mut fields = Fields::default();
        let Some(region_id) = region_id else {
            return Err(Error::invalid("region_id", "choose a region"));
        };
        check_territory(&mut fields, ctx, &visible, &tree, region_id, owner_id);
        check_owner(&mut tx, &mut fields, owner_id).await?;
        fields.finish()?;
        refuse_duplicate(&mut tx, &f, None).await?;
        let (rule, visit_policy) = rules(&mut tx).await?;
        let created =
            insert_institution(&mut tx, ctx, &f, region_id, owner_id, &rule, &visit_policy).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Edits an institution; a changed assessment re-grades it unless the grade is overridden.
    pub async fn update_institution(
        &self,
        ctx: &Ctx,
        id: i64,
        input: InstitutionInput,
    ) -> Result<InstitutionRecord> {
        let mut tx = self.db.write().await?;
        let (before, _) = visible_institution(&mut tx, ctx, Action::ManageCustomers, id).await?;
        if input.region_id.is_some() || input.owner_id.is_some() {
            return Err(Error::invalid(
                "owner_id",
                "owner and region change by reassignment, which keeps their history",
            ));
        }
        let f = institution_fields(input, Some(&before))?;
        refuse_duplicate(&mut tx, &f, Some(id)).await?;
        let now = now_ms();
        store::update(&mut tx, id, &f, now).await?;
        let changed = Assessment::new(f.scale_score, f.demand_score, f.willingness_score).ok();
        if before.grade_source == "rule" && changed != assessment(&before) {
            let updated = institution_record(&mut tx, id).await?;
            let (rule, visit_policy) = rules(&mut tx).await?;
            regrade(
                &mut tx,
                ctx,
                &updated,
                &rule,
                &visit_policy,
                "assessment_changed",
            )
            .await?;
        }
        let after = audited(&mut tx, ctx, id, "update", Some(&before)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Moves an institution to another owner and/or territory, with the reason kept.
    pub async fn reassign_institution(
        &self,
        ctx: &Ctx,
        id: i64,
        owner_id: i64,
        region_id: i64,
        reason: &str,
    ) -> Result<InstitutionRecord> {
        let scope = policy::require(&ctx.actor, Action::AssignCustomers)?;
        let mut tx = self.db.write().await?;
        let (before, tree) = visible_institution(&mut tx, ctx, Action::AssignCustomers, id).await?;
        let visible = policy::visible(&ctx.actor, scope, &tree);
        let mut fields = Fields::default();
        check_text(&mut fields, "reason", reason, 2, 500);
        check_territory(&mut fields, ctx, &visible, &tree, region_id, owner_id);
        check_owner(&mut tx, &mut fields, owner_id).await?;
        fields.finish()?;
        let now = now_ms();
        store::set_owner(&mut tx, id, owner_id, region_id, now).await?;
        store::record_owner(
            &mut tx,
            id,
            &OwnerChange {
                owner_id,
                region_id,
                reason: reason.trim().into(),
                changed_by: Some(ctx.actor.user_id).filter(|u| *u > 0),
                at_ms: now,
            },
        )
        .await?;
        let after = audited(&mut tx, ctx, id, "reassign", Some(&before)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// CUS-3: overrides category and grade with a reason, or (both `None`) returns the
    /// institution to the rule.
    pub async fn classify_institution(
        &self,
        ctx: &Ctx,
        id: i64,
        category: Option<&str>,
        grade: Option<&str>,
        reason: &str,
    ) -> Result<InstitutionRecord> {
        let mut tx = self.db.write().await?;
        let (before, _) = visible_institution(&mut tx, ctx, Action::AssignCustomers, id).await?;
        let mut fields = Fields::default();
        check_text(&mut fields, "reason", reason, 2, 500);
        let category = category.map(|c| c.parse::<Category>());
        let grade = grade.map(|g| g.parse::<Grade>());
        let chosen = match (category, grade) {
            (None, None) => None,
            (Some(Ok(c)), Some(Ok(g))) => Some((c, g)),
            (c, g) => {
                if !matches!(c, Some(Ok(_))) {
                    fields.add("category", "choose key, normal or potential");
                }
                if !matches!(g, Some(Ok(_))) {
                    fields.add("grade", "choose A, B or C");
                }
                None
            }
        };
        fields.finish()?;
        let (rule, visit_policy) = rules(&mut tx).await?;
        match chosen {
            Some((category, grade)) => {
                let due = next_due(
                    &visit_policy,
                    grade,
                    before.last_visit_on.as_deref(),
                    today(),
                )
                .to_string();
                let class = classification(category, grade, "override", &due);
                store::set_classification(&mut tx, id, &class, now_ms()).await?;
                store::record_grade(
                    &mut tx,
                    id,
                    &GradeChange {
                        category: category.code().into(),
                        grade: grade.code().into(),
                        source: "override".into(),
                        score: None,
                        reason: reason.trim().into(),
                        changed_by: Some(ctx.actor.user_id).filter(|u| *u > 0),
                        at_ms: now_ms(),
                    },
                )
                .await?;
            }
            None => {
                let back = InstitutionRecord {
                    grade_source: "override".into(),
                    ..before.clone()
                };
                regrade(&mut tx, ctx, &back, &rule, &visit_policy, reason.trim()).await?;
            }
        }
        let after = audited(&mut tx, ctx, id, "classify", Some(&before)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// CUS-3: periodic re-evaluation of every rule-graded institution under the current rule;
    /// changes are recorded in the grade history. Returns how many changed.
    pub async fn reevaluate_grades(&self, ctx: &Ctx) -> Result<u64> {
        policy::require(&ctx.actor, Action::ConfigureCustomers)?;
        let mut changed = 0;
        let mut after_id = 0;
        loop {
            let mut tx = self.db.write().await?;
            let (rule, visit_policy) = rules(&mut tx).await?;
            let batch = store::rule_graded(&mut tx, after_id, REGRADE_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after_id = last.id;
            for r in &batch {
                if regrade(&mut tx, ctx, r, &rule, &visit_policy, "periodic").await? {
                    changed += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(changed)
    }

    pub async fn add_department(&self, ctx: &Ctx, id: i64, name: &str) -> Result<DepartmentRecord> {
        let mut tx = self.db.write().await?;
        visible_institution(&mut tx, ctx, Action::ManageCustomers, id).await?;
        let name = name.trim();
        let mut fields = Fields::default();
        check_text(&mut fields, "name", name, 1, 50);
        fields.finish()?;
        if store::departments(&mut tx, id)
            .await?
            .iter()
            .any(|d| d.name == name)
        {
            return Err(Error::conflict(
                Some("name"),
                format!("department {name} already exists here"),
            ));
        }
        let dept = insert_department(&mut tx, ctx, id, name).await?;
        tx.commit().await?;
        Ok(dept)
    }

    pub async fn add_contact(&self, ctx: &Ctx, id: i64, c: ContactInput) -> Result<ContactRecord> {
        let mut tx = self.db.write().await?;
        visible_institution(&mut tx, ctx, Action::ManageCustomers, id).await?;
        let mut fields = Fields::default();
        let (phone, email) = contact_fields(&mut fields, &c);
        if let Some(d) = c.department_id
            && !store::departments(&mut tx, id)
                .await?
                .iter()
                .any(|x| x.id == d)
        {
            fields.add("department_id", "not a department of this institution");
        }
        fields.finish()?;
        let contact =
            insert_contact(&mut tx, ctx, id, &c, phone.as_deref(), email.as_deref()).await?;
        tx.commit().await?;
        Ok(contact)
    }

    /// CUS-4/5: plans a visit, or logs one done (never in the future); a logged visit moves
    /// the next due date on.
    pub async fn add_visit(&self, ctx: &Ctx, id: i64, v: VisitInput) -> Result<VisitView> {
        let mut tx = self.db.write().await?;
        let (inst, _) = visible_institution(&mut tx, ctx, Action::ManageCustomers, id).await?;
        let mut fields = Fields::default();
        check_text(&mut fields, "purpose", &v.purpose, 2, 200);
        let planned = parse_date(&mut fields, "planned_on", v.planned_on.as_deref());
        let visited = parse_date(&mut fields, "visited_on", v.visited_on.as_deref());
        if v.done {
            match visited {
                None => fields.add("visited_on", "a logged visit needs the date it happened"),
                Some(d) if d > today() => {
                    fields.add("visited_on", "a visit cannot be marked done in the future")
                }
                Some(_) => {}
            }
        } else {
            match planned {
                None => fields.add("planned_on", "a planned visit needs a date"),
                Some(d) if d < today() => fields.add("planned_on", "plan a date from today on"),
                Some(_) => {}
            }
        }
        check_visit_notes(&mut fields, &v);
        let contacts = store::contacts(&mut tx, id).await?;
        if v.contact_ids
            .iter()
            .any(|c| !contacts.iter().any(|x| x.id == *c))
        {
            fields.add(
                "contact_ids",
                "every contact must belong to this institution",
            );
        }
        fields.finish()?;
        let planned_on = planned.map(|d| d.to_string());
        let visited_on = visited.filter(|_| v.done).map(|d| d.to_string());
        let record = VisitFields {
            status: if v.done { "done" } else { "planned" },
            planned_on: planned_on.as_deref(),
            visited_on: visited_on.as_deref(),
            purpose: v.purpose.trim(),
            outcome: v.outcome.trim(),
            next_step: v.next_step.trim(),
            effective: v.effective && v.done,
            satisfaction: v.satisfaction.filter(|_| v.done),
            feedback: v.feedback.trim(),
        };
        // Work the system does itself (demo data, imports) is credited to the owner.
        let visitor = Some(ctx.actor.user_id)
            .filter(|u| *u > 0)
            .unwrap_or(inst.owner_id);
        let visit_id = store::insert_visit(&mut tx, id, visitor, &record, now_ms()).await?;
        store::set_visit_contacts(&mut tx, visit_id, &v.contact_ids).await?;
        if v.done {
            move_due_date(&mut tx, &inst).await?;
        }
        let created = store::get_visit(&mut tx, visit_id)
            .await?
            .ok_or(Error::NotFound("visit"))?;
        audit::record(
            &mut tx,
            ctx,
            "visit",
            visit_id,
            "create",
            None,
            Some(&created),
        )
        .await?;
        tx.commit().await?;
        Ok(VisitView {
            visit: created,
            contact_ids: v.contact_ids,
        })
    }

    /// CUS-5: records the outcome of a planned visit.
    pub async fn log_visit(&self, ctx: &Ctx, visit_id: i64, v: VisitInput) -> Result<VisitView> {
        let mut tx = self.db.write().await?;
        let before = store::get_visit(&mut tx, visit_id)
            .await?
            .ok_or(Error::NotFound("visit"))?;
        let (inst, _) =
            visible_institution(&mut tx, ctx, Action::ManageCustomers, before.institution_id)
                .await
                .map_err(|e| match e {
                    Error::NotFound(_) => Error::NotFound("visit"),
                    other => other,
                })?;
        if before.status != "planned" {
            return Err(Error::conflict(
                Some("status"),
                format!("this visit is already {}", before.status),
            ));
        }
        let mut fields = Fields::default();
        let visited = parse_date(&mut fields, "visited_on", v.visited_on.as_deref());
        match visited {
            None => fields.add("visited_on", "a logged visit needs the date it happened"),
            Some(d) if d > today() => {
                fields.add("visited_on", "a visit cannot be marked done in the future")
            }
            Some(_) => {}
        }
        check_visit_notes(&mut fields, &v);
        fields.finish()?;
        let visited_on = visited.map(|d| d.to_string());
        let record = VisitFields {
            status: "done",
            planned_on: before.planned_on.as_deref(),
            visited_on: visited_on.as_deref(),
            purpose: &before.purpose,
            outcome: v.outcome.trim(),
            next_step: v.next_step.trim(),
            effective: v.effective,
            satisfaction: v.satisfaction,
            feedback: v.feedback.trim(),
        };
        store::update_visit(&mut tx, visit_id, &record, now_ms()).await?;
        move_due_date(&mut tx, &inst).await?;
        let after = store::get_visit(&mut tx, visit_id)
            .await?
            .ok_or(Error::NotFound("visit"))?;
        audit::record(
            &mut tx,
            ctx,
            "visit",
            visit_id,
            "log",
            Some(&before),
            Some(&after),
        )
        .await?;
        let contact_ids = store::visit_contacts(&mut tx, inst.id)
            .await?
            .into_iter()
            .filter(|(v, _)| *v == visit_id)
            .map(|(_, c)| c)
            .collect();
        tx.commit().await?;
        Ok(VisitView {
            visit: after,
            contact_ids,
        })
    }
}

/// A department of institution `institution_id` (name already checked), audited, inside
/// `tx`. Shared by `add_department` and the import (SYS-3).
pub(crate) async fn insert_department(
    tx: &mut Tx,
    ctx: &Ctx,
    institution_id: i64,
    name: &str,
) -> Result<DepartmentRecord> {
    let dept_id = store::insert_department(tx, institution_id, name, now_ms()).await?;
    let dept = DepartmentRecord {
        id: dept_id,
        institution_id,
        name: name.into(),
    };
    audit::record(tx, ctx, "department", dept_id, "create", None, Some(&dept)).await?;
    Ok(dept)
}

/// Checks a contact's own fields (CUS-1); returns its phone and email, blank ones as `None`.
pub(crate) fn contact_fields(
    fields: &mut Fields,
    c: &ContactInput,
) -> (Option<String>, Option<String>) {
    check_text(fields, "name", &c.name, 1, 50);
    fields.check("role", c.role.parse::<ContactRole>().map(drop));
    check_text(fields, "title", &c.title, 0, 50);
    let phone = blank_to_none(Some(c.phone.clone()));
    let email = blank_to_none(Some(c.email.clone()));
    check_contact(fields, email.as_deref(), phone.as_deref());
    (phone, email)
}

/// Inserts a checked contact of institution `institution_id`, audited, inside `tx`. Shared by
/// `add_contact` and the import (SYS-3).
pub(crate) async fn insert_contact(
    tx: &mut Tx,
    ctx: &Ctx,
    institution_id: i64,
    c: &ContactInput,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<ContactRecord> {
    let new = store::NewContact {
        department_id: c.department_id,
        name: c.name.trim(),
        role: &c.role,
        title: c.title.trim(),
        phone: phone.unwrap_or(""),
        email: email.unwrap_or(""),
    };
    let id = store::insert_contact(tx, institution_id, &new, now_ms()).await?;
    // What was just written, without reading the institution's whole contact list back (an
    // import adds thousands).
    let contact = ContactRecord {
        id,
        institution_id,
        department_id: new.department_id,
        name: new.name.to_owned(),
        role: new.role.to_owned(),
        title: new.title.to_owned(),
        phone: new.phone.to_owned(),
        email: new.email.to_owned(),
    };
    audit::record(tx, ctx, "contact", id, "create", None, Some(&contact)).await?;
    Ok(contact)
}

fn check_visit_notes(fields: &mut Fields, v: &VisitInput) {
    for (field, text) in [
        ("outcome", &v.outcome),
        ("next_step", &v.next_step),
        ("feedback", &v.feedback),
    ] {
        check_text(fields, field, text, 0, MAX_TEXT_CHARS);
    }
    if v.satisfaction.is_some_and(|s| !(1..=5).contains(&s)) {
        fields.add("satisfaction", "satisfaction is 1 (poor) to 5 (excellent)");
    }
}

/// After a visit is logged: the last visit date and the next due date follow from it.
async fn move_due_date(tx: &mut Tx, inst: &InstitutionRecord) -> Result<()> {
    let Some(last) = store::last_visit_on(tx, inst.id).await? else {
        return Ok(());
    };
    let (_, policy) = rules(tx).await?;
    let grade = inst.grade.parse::<Grade>().unwrap_or(Grade::C);
    let due = next_due(&policy, grade, Some(&last), today()).to_string();
    store::set_visit_dates(tx, inst.id, &last, &due).await?;
    Ok(())
}

/// Applies the rule to a rule-graded (or returning) institution; records and audits a change.
async fn regrade(
    tx: &mut Tx,
    ctx: &Ctx,
    r: &InstitutionRecord,
    rule: &GradeRule,
    visit_policy: &VisitPolicy,
    reason: &str,
) -> Result<bool> {
    let Some(a) = assessment(r) else {
        return Ok(false);
    };
    let (category, grade) = rule.classify(a);
    if r.grade_source == "rule" && r.category == category.code() && r.grade == grade.code() {
        return Ok(false);
    }
    let created =
        jiff::Timestamp::from_millisecond(r.created_at_ms).map_or_else(|_| today(), local_date);
    let due = next_due(visit_policy, grade, r.last_visit_on.as_deref(), created).to_string();
    let now = now_ms();
    store::set_classification(
        tx,
        r.id,
        &classification(category, grade, "rule", &due),
        now,
    )
    .await?;
    store::record_grade(
        tx,
        r.id,
        &GradeChange {
            category: category.code().into(),
            grade: grade.code().into(),
            source: "rule".into(),
            score: Some(i64::from(rule.score(a))),
            reason: reason.into(),
            changed_by: Some(ctx.actor.user_id).filter(|u| *u > 0),
            at_ms: now,
        },
    )
    .await?;
    let before =
        serde_json::json!({"category": r.category, "grade": r.grade, "source": r.grade_source});
    let after =
        serde_json::json!({"category": category.code(), "grade": grade.code(), "source": "rule"});
    audit::record(
        tx,
        ctx,
        "institution",
        r.id,
        "regrade",
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(true)
}

impl App {
    /// CUS-8: records that a partner (distributor/agent) serves a hospital. Both must be
    /// within the caller's scope.
    pub async fn link_partner(&self, ctx: &Ctx, partner_id: i64, hospital_id: i64) -> Result<()> {
        let mut tx = self.db.write().await?;
        let (partner, _) =
            visible_institution(&mut tx, ctx, Action::ManageCustomers, partner_id).await?;
        let (hospital, _) =
            visible_institution(&mut tx, ctx, Action::ManageCustomers, hospital_id).await?;
        let partner_kind = InstitutionKind::Partner.code();
        let mut fields = Fields::default();
        if partner.kind != partner_kind {
            fields.add(
                "partner_id",
                "only a partner (distributor/agent) can serve hospitals",
            );
        }
        if hospital.kind == partner_kind {
            fields.add(
                "hospital_id",
                "a partner cannot be served by another partner here",
            );
        }
        fields.finish()?;
        if store::partners_of(&mut tx, partner_id)
            .await?
            .iter()
            .any(|(id, _)| *id == hospital_id)
        {
            return Err(Error::conflict(
                Some("hospital_id"),
                "these two are already linked",
            ));
        }
        store::link_partner(&mut tx, partner_id, hospital_id, now_ms()).await?;
        let link = serde_json::json!({"partner_id": partner_id, "hospital_id": hospital_id});
        audit::record(
            &mut tx,
            ctx,
            "partner_link",
            partner_id,
            "create",
            None,
            Some(&link),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The CUS-3 rule and CUS-4 frequencies in force.
    pub async fn customer_rules(&self, ctx: &Ctx) -> Result<(GradeRule, VisitPolicy)> {
        policy::require(&ctx.actor, Action::ReadCustomers)?;
        let mut tx = self.db.read().await?;
        rules(&mut tx).await
    }

    /// Changes the CUS-3 rule and CUS-4 frequencies; takes effect on the next re-evaluation.
    pub async fn set_customer_rules(
        &self,
        ctx: &Ctx,
        rule: GradeRule,
        visits: VisitPolicy,
    ) -> Result<()> {
        policy::require(&ctx.actor, Action::ConfigureCustomers)?;
        let mut fields = Fields::default();
        fields.check("grade_rule", rule.validate());
        fields.check("visit_months", visits.validate());
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let before = rules(&mut tx).await?;
        let rule_text = format!(
            "{},{},{},{},{}",
            rule.scale_weight,
            rule.demand_weight,
            rule.willingness_weight,
            rule.a_from,
            rule.b_from
        );
        let visit_text = format!(
            "{},{},{}",
            visits.a_months, visits.b_months, visits.c_months
        );
        settings::set(&mut tx, GRADE_RULE_KEY, &rule_text).await?;
        settings::set(&mut tx, VISIT_POLICY_KEY, &visit_text).await?;
        let shown = |(r, v): (GradeRule, VisitPolicy)| serde_json::json!({"grade_rule": format!("{r:?}"), "visit_months": format!("{v:?}")});
        audit::record(
            &mut tx,
            ctx,
            "setting",
            "customers",
            "update",
            Some(&shown(before)),
            Some(&shown((rule, visits))),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
