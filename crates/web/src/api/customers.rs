//! CUS: institutions, departments, contacts, visits, classification and ownership.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medcrm_app::customers::{
    ContactInput, ContactRecord, DepartmentRecord, InstitutionDetail, InstitutionInput,
    InstitutionQuery, InstitutionRecord, InstitutionView, VisitInput, VisitView,
};
use medcrm_app::domain::customers::{GradeRule, VisitPolicy};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Institution {
    pub id: i64,
    pub name: String,
    /// Pinyin initials of the name, as searched (北京协和医院 → bjxhyy).
    pub name_initials: String,
    /// Unified social credit code (统一社会信用代码), 18 characters.
    pub credit_code: Option<String>,
    /// hospital, private_hospital, primary_care, research, partner.
    pub kind: String,
    /// 3A (三级甲等) … 1, or unrated.
    pub level: String,
    pub province: String,
    pub city: String,
    pub address: String,
    pub beds: Option<i64>,
    pub phone: String,
    pub region_id: i64,
    pub region_name: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub scale_score: i64,
    pub demand_score: i64,
    pub willingness_score: i64,
    /// key, normal, potential (CUS-3).
    pub category: String,
    /// A, B, C (CUS-3).
    pub grade: String,
    /// `rule` or `override`.
    pub grade_source: String,
    pub needs: String,
    pub preferences: String,
    pub procurement_plan: String,
    pub last_visit_on: Option<String>,
    /// CUS-4: the date by which the next visit is due.
    pub next_visit_due: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Institution {
    fn of(r: InstitutionRecord, owner_name: String, region_name: String) -> Self {
        Institution {
            id: r.id,
            name: r.name,
            name_initials: r.name_initials,
            credit_code: r.credit_code,
            kind: r.kind,
            level: r.level,
            province: r.province,
            city: r.city,
            address: r.address,
            beds: r.beds,
            phone: r.phone,
            region_id: r.region_id,
            region_name,
            owner_id: r.owner_id,
            owner_name,
            scale_score: r.scale_score,
            demand_score: r.demand_score,
            willingness_score: r.willingness_score,
            category: r.category,
            grade: r.grade,
            grade_source: r.grade_source,
            needs: r.needs,
            preferences: r.preferences,
            procurement_plan: r.procurement_plan,
            last_visit_on: r.last_visit_on,
            next_visit_due: r.next_visit_due,
            created_at: ts(r.created_at_ms),
            updated_at: ts(r.updated_at_ms),
        }
    }
}

impl From<InstitutionView> for Institution {
    fn from(v: InstitutionView) -> Self {
        Institution::of(v.record, v.owner_name, v.region_name)
    }
}

/// A written record, before the names are looked up again.
impl From<InstitutionRecord> for Institution {
    fn from(r: InstitutionRecord) -> Self {
        Institution::of(r, String::new(), String::new())
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Department {
    pub id: i64,
    pub name: String,
}

impl From<DepartmentRecord> for Department {
    fn from(d: DepartmentRecord) -> Self {
        Department {
            id: d.id,
            name: d.name,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: i64,
    pub department_id: Option<i64>,
    pub name: String,
    /// doctor, department_head, equipment, procurement, finance, kol, other.
    pub role: String,
    pub title: String,
    pub phone: String,
    pub email: String,
}

impl From<ContactRecord> for Contact {
    fn from(c: ContactRecord) -> Self {
        Contact {
            id: c.id,
            department_id: c.department_id,
            name: c.name,
            role: c.role,
            title: c.title,
            phone: c.phone,
            email: c.email,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Visit {
    pub id: i64,
    pub institution_id: i64,
    pub visitor_id: i64,
    /// planned, done, cancelled.
    pub status: String,
    pub planned_on: Option<String>,
    pub visited_on: Option<String>,
    pub purpose: String,
    pub outcome: String,
    pub next_step: String,
    /// Whether it counted as an effective visit (a KPI).
    pub effective: bool,
    pub satisfaction: Option<i64>,
    pub feedback: String,
    pub contact_ids: Vec<i64>,
}

impl From<VisitView> for Visit {
    fn from(
        VisitView {
            visit: v,
            contact_ids,
        }: VisitView,
    ) -> Self {
        Visit {
            id: v.id,
            institution_id: v.institution_id,
            visitor_id: v.visitor_id,
            status: v.status,
            planned_on: v.planned_on,
            visited_on: v.visited_on,
            purpose: v.purpose,
            outcome: v.outcome,
            next_step: v.next_step,
            effective: v.effective,
            satisfaction: v.satisfaction,
            feedback: v.feedback,
            contact_ids,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// Owner and region after the change, or category and grade.
    pub owner_id: Option<i64>,
    pub region_id: Option<i64>,
    pub category: Option<String>,
    pub grade: Option<String>,
    pub source: Option<String>,
    /// The rule's weighted score × 100 when the rule decided (400 = 4.00).
    pub score: Option<i64>,
    /// A code (`created`, `assessment_changed`, `periodic`) or the person's own words.
    pub reason: String,
    pub changed_by: Option<i64>,
    pub at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Partner {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InstitutionFull {
    pub institution: Institution,
    pub departments: Vec<Department>,
    pub contacts: Vec<Contact>,
    pub visits: Vec<Visit>,
    pub owner_history: Vec<HistoryEntry>,
    pub grade_history: Vec<HistoryEntry>,
    /// CUS-7: information completeness, 0–100.
    pub completeness: u8,
    /// What is still missing for a complete record.
    pub missing: Vec<String>,
    /// CUS-8: the partners serving this hospital, or the hospitals this partner serves.
    pub partners: Vec<Partner>,
}

impl From<InstitutionDetail> for InstitutionFull {
    fn from(d: InstitutionDetail) -> Self {
        InstitutionFull {
            institution: d.view.into(),
            departments: d.departments.into_iter().map(Department::from).collect(),
            contacts: d.contacts.into_iter().map(Contact::from).collect(),
            visits: d.visits.into_iter().map(Visit::from).collect(),
            owner_history: d
                .owners
                .into_iter()
                .map(|o| HistoryEntry {
                    owner_id: Some(o.owner_id),
                    region_id: Some(o.region_id),
                    category: None,
                    grade: None,
                    source: None,
                    score: None,
                    reason: o.reason,
                    changed_by: o.changed_by,
                    at: ts(o.at_ms),
                })
                .collect(),
            grade_history: d
                .grades
                .into_iter()
                .map(|g| HistoryEntry {
                    owner_id: None,
                    region_id: None,
                    category: Some(g.category),
                    grade: Some(g.grade),
                    source: Some(g.source),
                    score: g.score,
                    reason: g.reason,
                    changed_by: g.changed_by,
                    at: ts(g.at_ms),
                })
                .collect(),
            completeness: d.completeness,
            missing: d.missing.into_iter().map(str::to_owned).collect(),
            partners: d
                .partners
                .into_iter()
                .map(|(id, name)| Partner { id, name })
                .collect(),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstitutionListQuery {
    /// Part of the name, pinyin initials (`bjxh`) or credit code.
    pub q: Option<String>,
    pub kind: Option<String>,
    pub grade: Option<String>,
    pub category: Option<String>,
    /// This region and everything under it.
    pub region_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// Only customers whose next visit is overdue (CUS-4).
    pub overdue: Option<bool>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// Institutions within the caller's scope: a rep's own, a manager's region, or all.
#[utoipa::path(get, path = "/api/v1/institutions", tag = "customers", security(("bearer" = [])),
    params(InstitutionListQuery),
    responses((status = 200, body = Page<Institution>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<InstitutionListQuery>,
) -> Result<Json<Page<Institution>>, ApiError> {
    let query = InstitutionQuery {
        query: q.q,
        kind: q.kind,
        grade: q.grade,
        category: q.category,
        region_id: q.region_id,
        owner_id: q.owner_id,
        overdue: q.overdue.unwrap_or(false),
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    Ok(Json(Page::from(
        s.app.institutions(&ctx, &query).await?,
        Institution::from,
    )))
}

/// One institution with departments, contacts, visits and history; 404 outside the scope.
#[utoipa::path(get, path = "/api/v1/institutions/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = InstitutionFull), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InstitutionFull>, ApiError> {
    Ok(Json(s.app.institution(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct InstitutionBody {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub kind: Option<String>,
    pub level: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub beds: Option<i64>,
    pub phone: Option<String>,
    /// 1–5 (default 3).
    pub scale_score: Option<i64>,
    pub demand_score: Option<i64>,
    pub willingness_score: Option<i64>,
    pub needs: Option<String>,
    pub preferences: Option<String>,
    pub procurement_plan: Option<String>,
    /// On create only (default: your first region).
    pub region_id: Option<i64>,
    /// On create only (default: you).
    pub owner_id: Option<i64>,
}

impl From<InstitutionBody> for InstitutionInput {
    fn from(b: InstitutionBody) -> Self {
        InstitutionInput {
            name: b.name,
            credit_code: b.credit_code,
            kind: b.kind,
            level: b.level,
            province: b.province,
            city: b.city,
            address: b.address,
            beds: b.beds.map(Some),
            phone: b.phone,
            scale_score: b.scale_score,
            demand_score: b.demand_score,
            willingness_score: b.willingness_score,
            needs: b.needs,
            preferences: b.preferences,
            procurement_plan: b.procurement_plan,
            region_id: b.region_id,
            owner_id: b.owner_id,
        }
    }
}

/// Create an institution (CUS-1); duplicates by credit code or name + city are 409.
#[utoipa::path(post, path = "/api/v1/institutions", tag = "customers", security(("bearer" = [])),
    request_body = InstitutionBody,
    responses((status = 201, body = Institution), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<InstitutionBody>,
) -> Result<(StatusCode, Json<Institution>), ApiError> {
    let created = s.app.create_institution(&ctx, b.into()).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Change an institution; absent fields are kept.
#[utoipa::path(patch, path = "/api/v1/institutions/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = InstitutionBody,
    responses((status = 200, body = Institution), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<InstitutionBody>,
) -> Result<Json<Institution>, ApiError> {
    Ok(Json(
        s.app.update_institution(&ctx, id, b.into()).await?.into(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reassign {
    pub owner_id: i64,
    pub region_id: i64,
    pub reason: String,
}

/// Move an institution to another rep and/or territory (managers, directors); history is kept.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/reassign", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Reassign,
    responses((status = 200, body = Institution), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reassign(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Reassign>,
) -> Result<Json<Institution>, ApiError> {
    let r = s
        .app
        .reassign_institution(&ctx, id, b.owner_id, b.region_id, &b.reason)
        .await?;
    Ok(Json(r.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Classify {
    /// key, normal, potential; omit both this and `grade` to return to the rule.
    pub category: Option<String>,
    /// A, B, C.
    pub grade: Option<String>,
    pub reason: String,
}

/// Override the CUS-3 classification with a reason (managers, directors), or return to the rule.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/classification", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Classify,
    responses((status = 200, body = Institution), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn classify(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Classify>,
) -> Result<Json<Institution>, ApiError> {
    let r = s
        .app
        .classify_institution(
            &ctx,
            id,
            b.category.as_deref(),
            b.grade.as_deref(),
            &b.reason,
        )
        .await?;
    Ok(Json(r.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    /// 科室, e.g. 心内科, 设备科.
    pub name: String,
}

/// Add a department (科室).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/departments", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewDepartment,
    responses((status = 201, body = Department), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_department(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewDepartment>,
) -> Result<(StatusCode, Json<Department>), ApiError> {
    let d = s.app.add_department(&ctx, id, &b.name).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub department_id: Option<i64>,
    pub name: String,
    /// doctor, department_head, equipment, procurement, finance, kol, other.
    pub role: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

/// Add a contact (doctor, department head, 设备科 …).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/contacts", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewContact,
    responses((status = 201, body = Contact), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_contact(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewContact>,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    let input = ContactInput {
        department_id: b.department_id,
        name: b.name,
        role: b.role,
        title: b.title,
        phone: b.phone,
        email: b.email,
    };
    let c = s.app.add_contact(&ctx, id, input).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct VisitBody {
    /// `true` logs a visit that happened (needs `visited_on`, not in the future); `false`
    /// plans one (needs `planned_on`).
    #[serde(default)]
    pub done: bool,
    pub planned_on: Option<String>,
    pub visited_on: Option<String>,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub next_step: String,
    #[serde(default)]
    pub effective: bool,
    /// 1–5.
    pub satisfaction: Option<i64>,
    #[serde(default)]
    pub feedback: String,
    #[serde(default)]
    pub contact_ids: Vec<i64>,
}

impl From<VisitBody> for VisitInput {
    fn from(b: VisitBody) -> Self {
        VisitInput {
            done: b.done,
            planned_on: b.planned_on,
            visited_on: b.visited_on,
            purpose: b.purpose,
            outcome: b.outcome,
            next_step: b.next_step,
            effective: b.effective,
            satisfaction: b.satisfaction,
            feedback: b.feedback,
            contact_ids: b.contact_ids,
        }
    }
}

/// Plan a visit or log one that happened (CUS-4, CUS-5).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/visits", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VisitBody,
    responses((status = 201, body = Visit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_visit(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<VisitBody>,
) -> Result<(StatusCode, Json<Visit>), ApiError> {
    let v = s.app.add_visit(&ctx, id, b.into()).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// Record the outcome of a planned visit (CUS-5).
#[utoipa::path(post, path = "/api/v1/visits/{id}/log", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VisitBody,
    responses((status = 200, body = Visit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn log_visit(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<VisitBody>,
) -> Result<Json<Visit>, ApiError> {
    Ok(Json(s.app.log_visit(&ctx, id, b.into()).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerLink {
    pub hospital_id: i64,
}

/// Record that this partner (distributor/agent) serves a hospital (CUS-8).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/partners", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PartnerLink,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn link_partner(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PartnerLink>,
) -> Result<StatusCode, ApiError> {
    s.app.link_partner(&ctx, id, b.hospital_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerRules {
    /// Weights in percent of the three 1–5 scores; they add up to 100.
    pub scale_weight: u32,
    pub demand_weight: u32,
    pub willingness_weight: u32,
    /// Weighted score × 100 from which the grade is A (e.g. 400 = 4.00) …
    pub a_from: u32,
    /// … and B; below is C.
    pub b_from: u32,
    /// Months between visits per grade; at most 3 (once a quarter).
    pub visit_months_a: u8,
    pub visit_months_b: u8,
    pub visit_months_c: u8,
}

/// The CUS-3 grading rule and CUS-4 visit frequencies in force.
#[utoipa::path(get, path = "/api/v1/customer-rules", tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = CustomerRules), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn rules(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<CustomerRules>, ApiError> {
    let (r, v) = s.app.customer_rules(&ctx).await?;
    Ok(Json(CustomerRules {
        scale_weight: r.scale_weight,
        demand_weight: r.demand_weight,
        willingness_weight: r.willingness_weight,
        a_from: r.a_from,
        b_from: r.b_from,
        visit_months_a: v.a_months,
        visit_months_b: v.b_months,
        visit_months_c: v.c_months,
    }))
}

/// Change the grading rule and visit frequencies (admin, director).
#[utoipa::path(put, path = "/api/v1/customer-rules", tag = "customers", security(("bearer" = [])),
    request_body = CustomerRules,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_rules(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<CustomerRules>,
) -> Result<StatusCode, ApiError> {
    let rule = GradeRule {
        scale_weight: b.scale_weight,
        demand_weight: b.demand_weight,
        willingness_weight: b.willingness_weight,
        a_from: b.a_from,
        b_from: b.b_from,
    };
    let visits = VisitPolicy {
        a_months: b.visit_months_a,
        b_months: b.visit_months_b,
        c_months: b.visit_months_c,
    };
    s.app.set_customer_rules(&ctx, rule, visits).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Reevaluated {
    /// How many institutions changed grade.
    pub changed: u64,
}

/// Re-grade every rule-graded institution now (also runs daily).
#[utoipa::path(post, path = "/api/v1/customer-rules/reevaluate", tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = Reevaluated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn reevaluate(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Reevaluated>, ApiError> {
    let changed = s.app.reevaluate_grades(&ctx).await?;
    Ok(Json(Reevaluated { changed }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RepCompleteness {
    pub owner_id: i64,
    pub owner_name: String,
    pub institutions: i64,
    /// Average information completeness of the rep's customers, 0–100 (CUS-7).
    pub score: u8,
    /// How many customers lack each fact, most missing first.
    pub gaps: Vec<Gap>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Gap {
    /// credit_code, level, address, beds, phone, needs, procurement_plan, departments,
    /// equipment_contact, decision_maker.
    pub fact: String,
    pub missing: i64,
}

/// CUS-7: information completeness per rep within the caller's scope, weakest first.
#[utoipa::path(get, path = "/api/v1/reports/customer-completeness", tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = Vec<RepCompleteness>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn completeness(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<RepCompleteness>>, ApiError> {
    let rows = s.app.completeness_by_rep(&ctx).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| RepCompleteness {
                owner_id: r.owner_id,
                owner_name: r.owner_name,
                institutions: r.institutions,
                score: r.score,
                gaps: r
                    .gaps
                    .into_iter()
                    .map(|(fact, missing)| Gap {
                        fact: fact.to_owned(),
                        missing,
                    })
                    .collect(),
            })
            .collect(),
    ))
}
