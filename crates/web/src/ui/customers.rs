//! Customer pages (CUS): the list with search and filters, the overdue-visit list, the
//! customer page (details, departments, contacts, visits, classification, ownership) and the
//! create/edit form. Every action goes through the same use cases as the API.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::Ctx;
use medcrm_app::customers::{
    ContactInput, InstitutionDetail, InstitutionInput, InstitutionQuery, InstitutionRecord,
    InstitutionView, VisitInput, today,
};
use medcrm_app::domain::customers::{
    Category, ContactRole, Grade, GradeRule, HospitalLevel, InstitutionKind, VisitPolicy,
};
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::pipeline::OpportunityQuery;
use medcrm_app::policy::{self, Action};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::audit::urlencode;
use crate::ui::{
    FieldErrors, FormData, Options, PageCtx, Shell, after_post, local_time, options, region_name,
    render,
};

fn kinds() -> Options {
    options(InstitutionKind::ALL, InstitutionKind::code, "cus.kind")
}

fn levels() -> Options {
    options(HospitalLevel::ALL, HospitalLevel::code, "cus.level")
}

fn categories() -> Options {
    options(Category::ALL, Category::code, "cus.category")
}

fn contact_roles() -> Options {
    options(ContactRole::ALL, ContactRole::code, "cus.role")
}

fn grades() -> Vec<&'static str> {
    Grade::ALL.iter().map(|g| g.code()).collect()
}

/// Regions as `(id, indented name)`, parents before children.
pub(crate) async fn region_options(
    s: &AppState,
    ctx: &Ctx,
    t: Lang,
) -> Result<Vec<(i64, String)>, UiError> {
    let all = s.app.regions(ctx).await?;
    let mut out = Vec::new();
    let mut stack: Vec<(Option<i64>, usize)> = vec![(None, 0)];
    // Depth-first, bounded by the number of regions so a corrupt tree cannot loop.
    while let Some((parent, depth)) = stack.pop() {
        if out.len() > all.len() {
            break;
        }
        for r in all.iter().rev().filter(|r| r.parent_id == parent) {
            stack.push((Some(r.id), depth + 1));
        }
        if let Some(id) = parent
            && let Some(r) = all.iter().find(|r| r.id == id)
        {
            let name = region_name(t, &r.name_zh, &r.name_en);
            out.push((
                id,
                format!("{}{name}", "\u{3000}".repeat(depth.saturating_sub(1))),
            ));
        }
    }
    Ok(out)
}

/// A region's name from `region_options`, without its indentation.
pub(crate) fn plain_name(regions: &[(i64, String)], id: i64) -> String {
    regions
        .iter()
        .find(|(r, _)| *r == id)
        .map(|(_, n)| n.trim_start_matches('\u{3000}').to_owned())
        .unwrap_or_default()
}

// ---- list ----

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    kind: Option<String>,
    grade: Option<String>,
    category: Option<String>,
    region_id: Option<String>,
    overdue: Option<String>,
    cursor: Option<i64>,
}

struct Row {
    id: i64,
    name: String,
    kind: String,
    level: String,
    city: String,
    grade: String,
    category: String,
    owner: String,
    region: String,
    next_visit_due: String,
    overdue: bool,
}

impl Row {
    fn of(v: &InstitutionView, today: &str, regions: &[(i64, String)]) -> Row {
        let r = &v.record;
        Row {
            id: r.id,
            name: r.name.clone(),
            kind: format!("cus.kind.{}", r.kind),
            level: format!("cus.level.{}", r.level),
            city: r.city.clone(),
            grade: r.grade.clone(),
            category: format!("cus.category.{}", r.category),
            owner: v.owner_name.clone(),
            region: plain_name(regions, r.region_id),
            next_visit_due: r.next_visit_due.clone(),
            overdue: r.next_visit_due.as_str() < today,
        }
    }
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    t: Lang,
    shell: Shell,
    q: String,
    kind: String,
    grade: String,
    category: String,
    region_id: String,
    overdue: bool,
    kinds: Options,
    grades: Vec<&'static str>,
    categories: Options,
    regions: Vec<(i64, String)>,
    rows: Vec<Row>,
    next: Option<String>,
    errors: FieldErrors,
    can_create: bool,
    can_configure: bool,
}

pub async fn list(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, UiError> {
    let overdue = q.overdue.is_some() || p.path == "/customers/overdue";
    let region_id = q.region_id.clone().unwrap_or_default();
    let mut errors = FieldErrors::new();
    let region = match region_id.parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) if region_id.is_empty() => None,
        Err(_) => {
            errors.insert("region_id".into(), "unknown region".into());
            None
        }
    };
    let query = InstitutionQuery {
        query: q.q.clone(),
        kind: q.kind.clone(),
        grade: q.grade.clone(),
        category: q.category.clone(),
        region_id: region,
        overdue,
        cursor: q.cursor,
        ..Default::default()
    };
    let today = today().to_string();
    let regions = region_options(&s, &ctx, p.t).await?;
    let (rows, next, status) = match s.app.institutions(&ctx, &query).await {
        Ok(page) => {
            let next = page.next_cursor.map(|c| {
                format!(
                    "/customers?q={}&kind={}&grade={}&category={}&region_id={}{}&cursor={c}",
                    urlencode(q.q.as_deref().unwrap_or("")),
                    urlencode(q.kind.as_deref().unwrap_or("")),
                    urlencode(q.grade.as_deref().unwrap_or("")),
                    urlencode(q.category.as_deref().unwrap_or("")),
                    urlencode(&region_id),
                    if overdue { "&overdue=on" } else { "" },
                )
            });
            let rows = page
                .items
                .iter()
                .map(|v| Row::of(v, &today, &regions))
                .collect();
            (rows, next, StatusCode::OK)
        }
        Err(medcrm_app::Error::Invalid(f)) => {
            errors.extend(f.into_iter().map(|(k, v)| (k.to_owned(), v)));
            (Vec::new(), None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(e.into()),
    };
    let page = ListPage {
        t: p.t,
        shell: p.shell(&ctx),
        q: q.q.unwrap_or_default(),
        kind: q.kind.unwrap_or_default(),
        grade: q.grade.unwrap_or_default(),
        category: q.category.unwrap_or_default(),
        region_id,
        overdue,
        kinds: kinds(),
        grades: grades(),
        categories: categories(),
        regions,
        rows,
        next,
        errors,
        can_create: policy::scope(&ctx.actor, Action::ManageCustomers).is_some(),
        can_configure: policy::scope(&ctx.actor, Action::ConfigureCustomers).is_some(),
    };
    render(status, &page)
}

// ---- create / edit form ----

/// The form's values as typed, so a refused form comes back as the user left it.
#[derive(Default)]
struct FormValues {
    name: String,
    credit_code: String,
    kind: String,
    level: String,
    province: String,
    city: String,
    address: String,
    beds: String,
    phone: String,
    scale_score: String,
    demand_score: String,
    willingness_score: String,
    needs: String,
    preferences: String,
    procurement_plan: String,
    region_id: String,
}

impl FormValues {
    fn of(r: &InstitutionRecord) -> Self {
        FormValues {
            name: r.name.clone(),
            credit_code: r.credit_code.clone().unwrap_or_default(),
            kind: r.kind.clone(),
            level: r.level.clone(),
            province: r.province.clone(),
            city: r.city.clone(),
            address: r.address.clone(),
            beds: r.beds.map(|b| b.to_string()).unwrap_or_default(),
            phone: r.phone.clone(),
            scale_score: r.scale_score.to_string(),
            demand_score: r.demand_score.to_string(),
            willingness_score: r.willingness_score.to_string(),
            needs: r.needs.clone(),
            preferences: r.preferences.clone(),
            procurement_plan: r.procurement_plan.clone(),
            region_id: r.region_id.to_string(),
        }
    }

    fn from_form(f: &FormData) -> Self {
        FormValues {
            name: f.get("name"),
            credit_code: f.get("credit_code"),
            kind: f.get("kind"),
            level: f.get("level"),
            province: f.get("province"),
            city: f.get("city"),
            address: f.get("address"),
            beds: f.get("beds"),
            phone: f.get("phone"),
            scale_score: f.get("scale_score"),
            demand_score: f.get("demand_score"),
            willingness_score: f.get("willingness_score"),
            needs: f.get("needs"),
            preferences: f.get("preferences"),
            procurement_plan: f.get("procurement_plan"),
            region_id: f.get("region_id"),
        }
    }

    /// The use-case input; a number that does not parse is reported against its field.
    fn input(&self, errors: &mut FieldErrors) -> InstitutionInput {
        let mut number = |field: &str, text: &str| -> Option<i64> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            text.parse()
                .map_err(|_| {
                    errors.insert(field.to_owned(), "a whole number, please".to_owned());
                })
                .ok()
        };
        InstitutionInput {
            name: Some(self.name.clone()),
            credit_code: Some(self.credit_code.clone()),
            kind: Some(self.kind.clone()),
            level: Some(self.level.clone()),
            province: Some(self.province.clone()),
            city: Some(self.city.clone()),
            address: Some(self.address.clone()),
            beds: Some(number("beds", &self.beds)),
            phone: Some(self.phone.clone()),
            scale_score: number("scale_score", &self.scale_score),
            demand_score: number("demand_score", &self.demand_score),
            willingness_score: number("willingness_score", &self.willingness_score),
            needs: Some(self.needs.clone()),
            preferences: Some(self.preferences.clone()),
            procurement_plan: Some(self.procurement_plan.clone()),
            region_id: number("region_id", &self.region_id),
            owner_id: None,
        }
    }
}

#[derive(Template)]
#[template(path = "customers/form.html")]
struct FormPage {
    t: Lang,
    shell: Shell,
    id: Option<i64>,
    v: FormValues,
    kinds: Options,
    levels: Options,
    regions: Vec<(i64, String)>,
    scores: [&'static str; 5],
    /// `(field, label key, value)` of the three CUS-3 scores.
    score_fields: Vec<(&'static str, &'static str, String)>,
    errors: FieldErrors,
}

async fn form_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    id: Option<i64>,
    v: FormValues,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let score_fields = vec![
        ("scale_score", "cus.scale", v.scale_score.clone()),
        ("demand_score", "cus.demand", v.demand_score.clone()),
        (
            "willingness_score",
            "cus.willingness",
            v.willingness_score.clone(),
        ),
    ];
    let page = FormPage {
        score_fields,
        t: p.t,
        shell: p.shell(ctx),
        id,
        v,
        kinds: kinds(),
        levels: levels(),
        regions: region_options(s, ctx, p.t).await?,
        scores: ["1", "2", "3", "4", "5"],
        errors,
    };
    render(status, &page)
}

pub async fn new_form(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageCustomers)?;
    let v = FormValues {
        kind: InstitutionKind::Hospital.code().into(),
        scale_score: "3".into(),
        demand_score: "3".into(),
        willingness_score: "3".into(),
        region_id: ctx
            .actor
            .region_ids
            .first()
            .map(|r| r.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    form_page(&s, &ctx, &p, StatusCode::OK, None, v, FieldErrors::new()).await
}

pub async fn create(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let v = FormValues::from_form(&form);
    let mut errors = FieldErrors::new();
    let input = v.input(&mut errors);
    if !errors.is_empty() {
        return form_page(
            &s,
            &ctx,
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            v,
            errors,
        )
        .await;
    }
    after_post(
        s.app.create_institution(&ctx, input).await,
        |r| format!("/customers/{}", r.id),
        |status, errors| form_page(&s, &ctx, &p, status, None, v, errors),
    )
    .await
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ManageCustomers)?;
    let d = s.app.institution(&ctx, id).await?;
    let v = FormValues::of(&d.view.record);
    form_page(
        &s,
        &ctx,
        &p,
        StatusCode::OK,
        Some(id),
        v,
        FieldErrors::new(),
    )
    .await
}

pub async fn update(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let v = FormValues::from_form(&form);
    let mut errors = FieldErrors::new();
    let mut input = v.input(&mut errors);
    // Territory changes go through reassignment, which keeps the history.
    input.region_id = None;
    if !errors.is_empty() {
        return form_page(
            &s,
            &ctx,
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(id),
            v,
            errors,
        )
        .await;
    }
    after_post(
        s.app.update_institution(&ctx, id, input).await,
        |_| format!("/customers/{id}?saved=1"),
        |status, errors| form_page(&s, &ctx, &p, status, Some(id), v, errors),
    )
    .await
}

// ---- the customer page ----

/// A history reason: a known code in the page language, or the person's own words.
fn reason_text(t: Lang, reason: &str) -> String {
    let key = format!("cus.reason.{reason}");
    match t.t(&key) {
        text if text == key => reason.to_owned(),
        text => text.to_owned(),
    }
}

fn with_author(text: String, author: String) -> String {
    if author.is_empty() {
        text
    } else {
        format!("{text}（{author}）")
    }
}

struct VisitRow {
    id: i64,
    status: String,
    status_key: String,
    date: String,
    purpose: String,
    outcome: String,
    next_step: String,
    effective: bool,
    satisfaction: String,
    contacts: String,
}

struct ContactRow {
    name: String,
    role: String,
    title: String,
    department: String,
    phone: String,
    email: String,
}

struct HistoryRow {
    when: String,
    what: String,
    reason: String,
}

/// CUS-2: one purchase line: ship date, product, quantity, amount, contract number.
type Purchase = (String, String, i64, String, String);

#[derive(Template)]
#[template(path = "customers/show.html")]
struct ShowPage {
    t: Lang,
    shell: Shell,
    id: i64,
    r: InstitutionRecord,
    owner: String,
    region: String,
    kind: String,
    level: String,
    category: String,
    source: String,
    completeness: u8,
    missing: Vec<String>,
    overdue: bool,
    departments: Vec<(i64, String)>,
    contacts: Vec<ContactRow>,
    contact_choices: Vec<(i64, String)>,
    visits: Vec<VisitRow>,
    owners: Vec<HistoryRow>,
    grades_history: Vec<HistoryRow>,
    partners: Vec<(i64, String)>,
    /// `(id, title, stage label key, amount)` of the customer's opportunities, when the
    /// caller works the pipeline.
    opportunities: Option<Vec<(i64, String, String, String)>>,
    /// CUS-2: `(ship date, product, quantity, amount, contract number)` of what was shipped to
    /// the customer, when the caller reads orders.
    purchases: Option<Vec<Purchase>>,
    /// ORD-2: `(product, serial, status)` of the devices installed at the customer.
    devices: Option<Vec<(String, String, String)>>,
    roles: Options,
    categories: Options,
    grades: Vec<&'static str>,
    regions: Vec<(i64, String)>,
    sellers: Vec<(i64, String)>,
    today: String,
    can_manage: bool,
    can_assign: bool,
    saved: bool,
    errors: FieldErrors,
    /// PRD-3: the licences and first-time reviews section, rendered by the products pages.
    qualification: String,
    /// CON-6: the credit section, rendered by the contract pages.
    credit: String,
}

pub(crate) async fn show_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    saved: bool,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let d: InstitutionDetail = s.app.institution(ctx, id).await?;
    let dept_name = |id: Option<i64>| {
        d.departments
            .iter()
            .find(|x| Some(x.id) == id)
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    let contact_name = |id: &i64| {
        d.contacts
            .iter()
            .find(|c| c.id == *id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let user_name = |id: Option<i64>| {
        id.and_then(|i| d.people.get(&i).cloned())
            .unwrap_or_default()
    };
    let can_assign = policy::scope(&ctx.actor, Action::AssignCustomers).is_some();
    let region_names = region_options(s, ctx, p.t).await?;
    let today = today().to_string();
    let r = d.view.record.clone();
    let (purchases, devices) = s.app.institution_purchases(ctx, id).await?;
    let page = ShowPage {
        t: p.t,
        shell: p.shell(ctx),
        id,
        owner: d.view.owner_name.clone(),
        region: plain_name(&region_names, r.region_id),
        kind: format!("cus.kind.{}", r.kind),
        level: format!("cus.level.{}", r.level),
        category: format!("cus.category.{}", r.category),
        source: format!("cus.source.{}", r.grade_source),
        completeness: d.completeness,
        missing: d
            .missing
            .iter()
            .map(|m| format!("cus.missing.{m}"))
            .collect(),
        overdue: r.next_visit_due < today,
        departments: d
            .departments
            .iter()
            .map(|x| (x.id, x.name.clone()))
            .collect(),
        contacts: d
            .contacts
            .iter()
            .map(|c| ContactRow {
                name: c.name.clone(),
                role: format!("cus.role.{}", c.role),
                title: c.title.clone(),
                department: dept_name(c.department_id),
                phone: c.phone.clone(),
                email: c.email.clone(),
            })
            .collect(),
        contact_choices: d.contacts.iter().map(|c| (c.id, c.name.clone())).collect(),
        visits: d
            .visits
            .iter()
            .map(|v| {
                let x = &v.visit;
                VisitRow {
                    id: x.id,
                    status: x.status.clone(),
                    status_key: format!("cus.status.{}", x.status),
                    date: x
                        .visited_on
                        .clone()
                        .or_else(|| x.planned_on.clone())
                        .unwrap_or_default(),
                    purpose: x.purpose.clone(),
                    outcome: x.outcome.clone(),
                    next_step: x.next_step.clone(),
                    effective: x.effective,
                    satisfaction: x.satisfaction.map(|s| s.to_string()).unwrap_or_default(),
                    contacts: v
                        .contact_ids
                        .iter()
                        .map(contact_name)
                        .collect::<Vec<_>>()
                        .join("、"),
                }
            })
            .collect(),
        owners: d
            .owners
            .iter()
            .map(|o| HistoryRow {
                when: local_time(o.at_ms),
                what: format!(
                    "{} · {}",
                    user_name(Some(o.owner_id)),
                    plain_name(&region_names, o.region_id)
                ),
                reason: with_author(reason_text(p.t, &o.reason), user_name(o.changed_by)),
            })
            .collect(),
        grades_history: d
            .grades
            .iter()
            .map(|g| HistoryRow {
                when: local_time(g.at_ms),
                what: format!(
                    "{} · {}",
                    g.grade,
                    p.t.t(&format!("cus.category.{}", g.category))
                ),
                reason: with_author(
                    match g.score {
                        Some(score) => format!(
                            "{} {}.{:02} · {}",
                            p.t.t("cus.rule_score"),
                            score / 100,
                            score % 100,
                            reason_text(p.t, &g.reason)
                        ),
                        None => format!(
                            "{} · {}",
                            p.t.t(&format!("cus.source.{}", g.source)),
                            g.reason
                        ),
                    },
                    user_name(g.changed_by),
                ),
            })
            .collect(),
        partners: d.partners.clone(),
        opportunities: opportunities_of(s, ctx, id).await?,
        purchases: purchases.map(|list| {
            list.into_iter()
                .map(|b| {
                    let product = format!("{} {}", b.product_name, b.model);
                    let amount = format_yuan(b.amount_fen);
                    (b.ship_date, product, b.quantity, amount, b.contract_number)
                })
                .collect()
        }),
        devices: devices.map(|list| {
            list.into_iter()
                .map(|d| (d.product_name, d.serial, d.status))
                .collect()
        }),
        roles: contact_roles(),
        categories: categories(),
        grades: grades(),
        regions: region_names,
        sellers: if can_assign {
            crate::ui::sales_team(s, ctx).await?
        } else {
            Vec::new()
        },
        today,
        can_manage: policy::scope(&ctx.actor, Action::ManageCustomers).is_some(),
        can_assign,
        saved,
        qualification: crate::ui::products::customer_qualification_html(s, ctx, p, id, &errors)
            .await?,
        credit: crate::ui::contracts::credit_html(s, ctx, p, id, &errors).await?,
        errors,
        r,
    };
    render(status, &page)
}

/// The customer's deals, for those who may read the pipeline.
async fn opportunities_of(
    s: &AppState,
    ctx: &Ctx,
    institution_id: i64,
) -> Result<Option<Vec<(i64, String, String, String)>>, UiError> {
    if policy::scope(&ctx.actor, Action::ReadPipeline).is_none() {
        return Ok(None);
    }
    let q = OpportunityQuery {
        institution_id: Some(institution_id),
        limit: Some(50),
        ..Default::default()
    };
    let page = s.app.opportunities(ctx, &q).await?;
    Ok(Some(
        page.items
            .into_iter()
            .map(|o| {
                let stage = format!("opp.stage.{}", o.stage);
                (o.id, o.title, stage, format_yuan(o.amount_fen))
            })
            .collect(),
    ))
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    saved: Option<String>,
}

pub async fn show(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ShowQuery>,
) -> Result<Response, UiError> {
    show_page(
        &s,
        &ctx,
        &p,
        id,
        StatusCode::OK,
        q.saved.is_some(),
        FieldErrors::new(),
    )
    .await
}

/// The end of a post on the customer page: back to it, or the page again with the errors.
async fn back_to_page<T>(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    result: medcrm_app::Result<T>,
) -> Result<Response, UiError> {
    after_post(
        result,
        |_| format!("/customers/{id}?saved=1"),
        |status, errors| show_page(s, ctx, p, id, status, false, errors),
    )
    .await
}

pub async fn add_department(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let result = s.app.add_department(&ctx, id, &form.get("name")).await;
    back_to_page(&s, &ctx, &p, id, result).await
}

pub async fn add_contact(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let input = ContactInput {
        department_id: form.get("department_id").parse().ok(),
        name: form.get("name"),
        role: form.get("role"),
        title: form.get("title"),
        phone: form.get("phone"),
        email: form.get("email"),
    };
    let result = s.app.add_contact(&ctx, id, input).await;
    back_to_page(&s, &ctx, &p, id, result).await
}

/// The visit fields of a form (plan, log, or log the outcome of a planned one).
fn visit_input(form: &FormData) -> VisitInput {
    let done = form.get("kind") != "planned";
    let date = Some(form.get("date"));
    VisitInput {
        done,
        planned_on: if done { None } else { date.clone() },
        visited_on: if done { date } else { None },
        purpose: form.get("purpose"),
        outcome: form.get("outcome"),
        next_step: form.get("next_step"),
        effective: form.has("effective"),
        satisfaction: form.get("satisfaction").parse().ok(),
        feedback: form.get("feedback"),
        contact_ids: form
            .all("contact_ids")
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect(),
    }
}

/// Field errors of a visit form name the date field the user sees.
fn date_field<T>(result: medcrm_app::Result<T>) -> medcrm_app::Result<T> {
    result.map_err(|e| match e {
        medcrm_app::Error::Invalid(mut f) => {
            for key in ["planned_on", "visited_on"] {
                if let Some(m) = f.remove(key) {
                    f.insert("date", m);
                }
            }
            medcrm_app::Error::Invalid(f)
        }
        other => other,
    })
}

pub async fn add_visit(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let result = date_field(s.app.add_visit(&ctx, id, visit_input(&form)).await);
    back_to_page(&s, &ctx, &p, id, result).await
}

pub async fn log_visit(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath((id, visit)): ApiPath<(i64, i64)>,
    form: FormData,
) -> Result<Response, UiError> {
    let result = date_field(s.app.log_visit(&ctx, visit, visit_input(&form)).await);
    back_to_page(&s, &ctx, &p, id, result).await
}

pub async fn classify(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let back_to_rule = form.has("use_rule");
    let (category, grade) = (form.get("category"), form.get("grade"));
    let chosen = |v: &str| (!back_to_rule).then(|| v.to_owned());
    let result = s
        .app
        .classify_institution(
            &ctx,
            id,
            chosen(&category).as_deref(),
            chosen(&grade).as_deref(),
            &form.get("reason"),
        )
        .await;
    back_to_page(&s, &ctx, &p, id, result).await
}

pub async fn reassign(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let number = |k: &str| form.get(k).parse::<i64>().unwrap_or(0);
    let result = s
        .app
        .reassign_institution(
            &ctx,
            id,
            number("owner_id"),
            number("region_id"),
            &form.get("reason"),
        )
        .await;
    back_to_page(&s, &ctx, &p, id, result).await
}

/// The home-page card of people who visit customers: their customers due a visit (CUS-4).
/// `None` for everyone else.
pub async fn overdue_for_home(
    s: &AppState,
    ctx: &Ctx,
) -> Result<Option<Vec<(i64, String, String)>>, UiError> {
    if policy::scope(&ctx.actor, Action::ManageCustomers).is_none() {
        return Ok(None);
    }
    let q = InstitutionQuery {
        overdue: true,
        limit: Some(10),
        ..Default::default()
    };
    let page = s.app.institutions(ctx, &q).await?;
    Ok(Some(
        page.items
            .into_iter()
            .map(|v| (v.record.id, v.record.name, v.record.next_visit_due))
            .collect(),
    ))
}

/// One row of the completeness page.
struct BookRow {
    owner: String,
    institutions: i64,
    score: u8,
    /// `(label key, missing count)` of the three biggest gaps.
    gaps: Vec<(String, i64)>,
}

#[derive(Template)]
#[template(path = "customers/completeness.html")]
struct CompletenessPage {
    t: Lang,
    shell: Shell,
    rows: Vec<BookRow>,
}

/// CUS-7 per rep: whose customer records need work, and what is missing most.
pub async fn completeness(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    let rows = s
        .app
        .completeness_by_rep(&ctx)
        .await?
        .into_iter()
        .map(|r| BookRow {
            owner: r.owner_name,
            institutions: r.institutions,
            score: r.score,
            gaps: r
                .gaps
                .into_iter()
                .take(3)
                .map(|(k, n)| (format!("cus.missing.{k}"), n))
                .collect(),
        })
        .collect();
    let page = CompletenessPage {
        t: p.t,
        shell: p.shell(&ctx),
        rows,
    };
    render(StatusCode::OK, &page)
}

// ---- the CUS-3 grading rule and CUS-4 visit frequencies ----

#[derive(Template)]
#[template(path = "customers/rules.html")]
struct RulesPage {
    t: Lang,
    shell: Shell,
    /// `(field, label key, value)` of the three weights, in percent.
    weights: Vec<(&'static str, &'static str, u32)>,
    a_from: u32,
    b_from: u32,
    /// Thresholds offered: `(score × 100, shown as 1.0 … 5.0)`.
    thresholds: Vec<(u32, String)>,
    /// `(field, grade, months)`.
    months: Vec<(&'static str, &'static str, u8)>,
    saved: Option<u64>,
    errors: FieldErrors,
}

async fn rules_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    saved: Option<u64>,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    policy::require(&ctx.actor, Action::ConfigureCustomers)?;
    let (rule, visits) = s.app.customer_rules(ctx).await?;
    let page = RulesPage {
        t: p.t,
        shell: p.shell(ctx),
        weights: vec![
            ("scale_weight", "cus.scale", rule.scale_weight),
            ("demand_weight", "cus.demand", rule.demand_weight),
            (
                "willingness_weight",
                "cus.willingness",
                rule.willingness_weight,
            ),
        ],
        a_from: rule.a_from,
        b_from: rule.b_from,
        thresholds: (10..=50)
            .map(|n| (n * 10, format!("{}.{}", n / 10, n % 10)))
            .collect(),
        months: vec![
            ("a_months", "A", visits.a_months),
            ("b_months", "B", visits.b_months),
            ("c_months", "C", visits.c_months),
        ],
        saved,
        errors,
    };
    render(status, &page)
}

#[derive(Deserialize, Default)]
pub struct RulesQuery {
    /// After a save: how many customers the re-evaluation re-graded.
    regraded: Option<u64>,
}

pub async fn rules(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<RulesQuery>,
) -> Result<Response, UiError> {
    rules_page(&s, &ctx, &p, StatusCode::OK, q.regraded, FieldErrors::new()).await
}

/// Saves the rule and re-grades every rule-graded customer at once, so the lists agree with
/// the rule the moment it changes.
pub async fn save_rules(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    // Out-of-range text becomes a value the domain check refuses, with its message.
    let n = |k: &str| form.get(k).trim().parse::<u32>().unwrap_or(u32::MAX);
    let m = |k: &str| form.get(k).trim().parse::<u8>().unwrap_or(0);
    let rule = GradeRule {
        scale_weight: n("scale_weight"),
        demand_weight: n("demand_weight"),
        willingness_weight: n("willingness_weight"),
        a_from: n("a_from"),
        b_from: n("b_from"),
    };
    let visits = VisitPolicy {
        a_months: m("a_months"),
        b_months: m("b_months"),
        c_months: m("c_months"),
    };
    let result = match s.app.set_customer_rules(&ctx, rule, visits).await {
        Ok(()) => s.app.reevaluate_grades(&ctx).await,
        Err(e) => Err(e),
    };
    after_post(
        result,
        |changed| format!("/customers/rules?regraded={changed}"),
        |status, errors| rules_page(&s, &ctx, &p, status, None, errors),
    )
    .await
}
