//! SVC-8/9/10 pages: dispatching a ticket from the ranked engineers, preventive maintenance
//! (plans, due visits, "generate now"), the engineer evaluation with its .xlsx export and the
//! review of service records. Plain forms; no JavaScript.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use medcrm_app::Ctx;
use medcrm_app::deliveries::DeviceQuery;
use medcrm_app::domain::products::ProductLine;
use medcrm_app::imports::Format;
use medcrm_app::policy::{self, Action};
use medcrm_app::products::ProductQuery;
use medcrm_app::service::dispatch::{CertificationInput, CertificationRecord, Suggestion};
use medcrm_app::service::evaluation::{
    EngineerScore, Evaluation, RecordRow, evaluation_period, evaluation_table, hundredths,
    percent_bp,
};
use medcrm_app::service::maintenance::{DueItem, PlanInput, PlanRecord};
use serde::Deserialize;

use crate::AppState;
use crate::api::imports::download;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::{
    FieldErrors, FormData, PageCtx, Shell, field_errors, local_time, render, see_other,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/service/tickets/{id}/dispatch",
            get(dispatch_page).post(dispatch),
        )
        .route("/service/maintenance", get(maintenance))
        .route("/service/maintenance/plans", post(create_plan))
        .route(
            "/service/maintenance/plans/{id}/deactivate",
            post(deactivate_plan),
        )
        .route("/service/maintenance/generate", post(generate))
        .route("/service/engineers", get(engineers))
        .route("/service/engineers.xlsx", get(engineers_xlsx))
        .route("/service/certifications", post(set_certification))
        .route(
            "/service/certifications/{user_id}/{line}/remove",
            post(remove_certification),
        )
        .route("/service/reviews", get(reviews))
        .route("/service/reviews/{id}", post(review))
}

fn may(ctx: &Ctx, action: Action) -> bool {
    policy::scope(&ctx.actor, action).is_some()
}

/// The first message of a failed form, for the alert at the top of the page.
fn first_error(errors: &FieldErrors) -> Option<String> {
    errors.iter().next().map(|(k, v)| format!("{k}: {v}"))
}

// ---- SVC-8: dispatch ----

struct AssignmentRow {
    at: String,
    engineer: String,
    by: String,
    note: String,
}

#[derive(Template)]
#[template(path = "service_ops/dispatch.html")]
struct DispatchPage {
    t: Lang,
    shell: Shell,
    ticket_id: i64,
    number: String,
    status_key: String,
    institution: String,
    device: String,
    engineer: String,
    fault: String,
    suggestions: Vec<Suggestion>,
    assignments: Vec<AssignmentRow>,
    error: Option<String>,
}

async fn dispatch_view(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    id: i64,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, UiError> {
    let v = s.app.dispatch_suggestions(ctx, id).await?;
    let t = &v.ticket;
    let page = DispatchPage {
        t: p.t,
        shell: p.shell(ctx),
        ticket_id: t.id,
        number: t.number.clone(),
        status_key: format!("ops.status.{}", t.status),
        institution: t.institution_name.clone(),
        device: [t.product_name.clone(), t.device_serial.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        engineer: t.engineer_name.clone().unwrap_or_default(),
        fault: t.fault.clone(),
        assignments: v
            .assignments
            .iter()
            .map(|a| AssignmentRow {
                at: local_time(a.at_ms),
                engineer: a.engineer_name.clone(),
                by: a.assigned_by_name.clone(),
                note: a.note.clone(),
            })
            .collect(),
        suggestions: v.suggestions,
        error,
    };
    render(status, &page)
}

pub async fn dispatch_page(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    dispatch_view(&s, &ctx, &p, id, StatusCode::OK, None).await
}

pub async fn dispatch(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let Ok(engineer) = form.get("engineer_id").trim().parse::<i64>() else {
        let e = Some(p.t.t("ops.choose_engineer").to_owned());
        return dispatch_view(&s, &ctx, &p, id, StatusCode::UNPROCESSABLE_ENTITY, e).await;
    };
    match s
        .app
        .dispatch_ticket(&ctx, id, engineer, None, &form.get("note"))
        .await
    {
        Ok(_) => Ok(see_other(&format!("/service/tickets/{id}/dispatch"))),
        Err(e) => {
            let (status, errors) = field_errors(e)?;
            dispatch_view(&s, &ctx, &p, id, status, first_error(&errors)).await
        }
    }
}

// ---- SVC-9: maintenance ----

struct PlanRow {
    id: i64,
    target: String,
    institution: String,
    per_product: bool,
    interval_days: i64,
    lead_days: i64,
    checklist: String,
    active: bool,
}

impl PlanRow {
    fn of(p: &PlanRecord) -> Self {
        PlanRow {
            id: p.id,
            target: match &p.device_serial {
                Some(serial) => format!("{} · {serial}", p.product_name),
                None => p.product_name.clone(),
            },
            institution: p.institution_name.clone().unwrap_or_default(),
            per_product: p.per_product,
            interval_days: p.interval_days,
            lead_days: p.lead_days,
            checklist: p.checklist.replace('\n', " / "),
            active: p.active,
        }
    }
}

#[derive(Template)]
#[template(path = "service_ops/maintenance.html")]
struct MaintenancePage {
    t: Lang,
    shell: Shell,
    plans: Vec<PlanRow>,
    due: Vec<DueItem>,
    devices: Vec<(i64, String)>,
    products: Vec<(i64, String)>,
    can_manage: bool,
    raised: Option<i64>,
    errors: FieldErrors,
    form: PlanForm,
}

#[derive(Default)]
struct PlanForm {
    target: String,
    interval_days: String,
    lead_days: String,
    checklist: String,
}

#[derive(Deserialize, Default)]
pub struct MaintenanceQuery {
    raised: Option<i64>,
}

async fn maintenance_view(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    raised: Option<i64>,
    errors: FieldErrors,
    form: PlanForm,
) -> Result<Response, UiError> {
    let plans = s.app.maintenance_plans(ctx).await?;
    let due = s.app.maintenance_due(ctx).await?;
    let can_manage = may(ctx, Action::ManageMaintenance);
    let (mut devices, mut products) = (Vec::new(), Vec::new());
    if can_manage {
        let q = DeviceQuery {
            limit: Some(medcrm_app::MAX_PAGE_SIZE),
            ..Default::default()
        };
        if let Ok(page) = s.app.devices(ctx, &q).await {
            devices = page
                .items
                .iter()
                .filter(|d| d.status != "retired")
                .map(|d| {
                    let label =
                        format!("{} · {} · {}", d.product_name, d.serial, d.institution_name);
                    (d.id, label)
                })
                .collect();
        }
        let q = ProductQuery {
            active: Some(true),
            limit: Some(medcrm_app::MAX_PAGE_SIZE),
            ..Default::default()
        };
        if let Ok(page) = s.app.products(ctx, &q).await {
            products = page
                .items
                .iter()
                .map(|x| (x.id, format!("{} {}", x.code, x.name)))
                .collect();
        }
    }
    let page = MaintenancePage {
        t: p.t,
        shell: p.shell(ctx),
        plans: plans.iter().map(PlanRow::of).collect(),
        due,
        devices,
        products,
        can_manage,
        raised,
        errors,
        form,
    };
    render(status, &page)
}

pub async fn maintenance(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<MaintenanceQuery>,
) -> Result<Response, UiError> {
    let form = PlanForm {
        lead_days: "14".into(),
        ..Default::default()
    };
    maintenance_view(
        &s,
        &ctx,
        &p,
        StatusCode::OK,
        q.raised,
        FieldErrors::new(),
        form,
    )
    .await
}

/// A whole number from a form field; the app then names the field when it is missing.
fn number(form: &FormData, key: &str) -> Option<i64> {
    form.get(key).trim().parse().ok()
}

pub async fn create_plan(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    // The target select sends `device:<id>` or `product:<id>`.
    let target = form.get("target");
    let (kind, id) = target.split_once(':').unwrap_or(("", ""));
    let id = id.parse::<i64>().ok();
    let input = PlanInput {
        device_id: id.filter(|_| kind == "device"),
        product_id: id.filter(|_| kind == "product"),
        interval_days: number(&form, "interval_days").unwrap_or(0),
        lead_days: number(&form, "lead_days"),
        checklist: form.get("checklist"),
    };
    match s.app.create_maintenance_plan(&ctx, input).await {
        Ok(_) => Ok(see_other("/service/maintenance")),
        Err(e) => {
            let (status, errors) = field_errors(e)?;
            let again = PlanForm {
                target,
                interval_days: form.get("interval_days"),
                lead_days: form.get("lead_days"),
                checklist: form.get("checklist"),
            };
            maintenance_view(&s, &ctx, &p, status, None, errors, again).await
        }
    }
}

pub async fn deactivate_plan(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    let change = medcrm_app::service::maintenance::PlanChange {
        active: Some(false),
        ..Default::default()
    };
    s.app.update_maintenance_plan(&ctx, id, change).await?;
    Ok(see_other("/service/maintenance"))
}

pub async fn generate(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
) -> Result<Response, UiError> {
    let raised = s.app.generate_maintenance_now(&ctx).await?;
    Ok(see_other(&format!(
        "/service/maintenance?raised={}",
        raised.len()
    )))
}

// ---- SVC-10: evaluation and reviews ----

struct ScoreRow {
    name: String,
    surveys: i64,
    attitude: String,
    quality: String,
    speed: String,
    unsatisfied: String,
    sla: String,
    milestones: Vec<String>,
    completed: i64,
    records: i64,
    minutes: String,
    review: String,
}

impl ScoreRow {
    fn of(e: &EngineerScore) -> Self {
        ScoreRow {
            name: e.name.clone(),
            surveys: e.surveys,
            attitude: hundredths(e.attitude),
            quality: hundredths(e.quality),
            speed: hundredths(e.speed),
            unsatisfied: percent_bp(e.unsatisfied_bp),
            sla: percent_bp(e.sla_bp),
            milestones: e.sla.iter().map(|c| percent_bp(c.ratio_bp)).collect(),
            completed: e.completed,
            records: e.records,
            minutes: e.average_minutes.map(|m| m.to_string()).unwrap_or_default(),
            review: hundredths(e.review_score),
        }
    }
}

#[derive(Template)]
#[template(path = "service_ops/engineers.html")]
struct EngineersPage {
    t: Lang,
    shell: Shell,
    from: String,
    to: String,
    milestones: Vec<String>,
    rows: Vec<ScoreRow>,
    /// SVC-8, for those who configure service: the certifications and the engineers.
    certifications: Option<Vec<CertificationRecord>>,
    engineers: Vec<(i64, String)>,
    lines: Vec<(&'static str, String)>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

/// A query value, unless the field was left empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|x| !x.trim().is_empty())
}

impl PeriodQuery {
    /// The evaluation for the period asked (this quarter by default).
    async fn evaluate(&self, s: &AppState, ctx: &Ctx) -> Result<Evaluation, UiError> {
        let (from, to) = evaluation_period(given(&self.from), given(&self.to))?;
        Ok(s.app.evaluate_engineers(ctx, from, to).await?)
    }
}

async fn engineers_view(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    q: &PeriodQuery,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, UiError> {
    let e = q.evaluate(s, ctx).await?;
    let certifications = if may(ctx, Action::ConfigureService) {
        Some(s.app.certifications(ctx).await?)
    } else {
        None
    };
    let page = EngineersPage {
        t: p.t,
        shell: p.shell(ctx),
        from: e.from.to_string(),
        to: e.to.to_string(),
        milestones: medcrm_app::domain::service::sla::Milestone::ALL
            .iter()
            .map(|m| format!("ops.milestone.{}", m.code()))
            .collect(),
        rows: e.engineers.iter().map(ScoreRow::of).collect(),
        engineers: e
            .engineers
            .iter()
            .map(|x| (x.user_id, x.name.clone()))
            .collect(),
        certifications,
        lines: crate::ui::options(ProductLine::ALL, ProductLine::code, "ops.line"),
        error,
    };
    render(status, &page)
}

pub async fn engineers(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, UiError> {
    engineers_view(&s, &ctx, &p, &q, StatusCode::OK, None).await
}

/// SVC-8: certifies an engineer (or renews the certification) from the engineers page.
pub async fn set_certification(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let input = CertificationInput {
        user_id: number(&form, "user_id").unwrap_or(0),
        product_line: form.get("product_line"),
        valid_until: form.get("valid_until"),
    };
    match s.app.set_certification(&ctx, input).await {
        Ok(_) => Ok(see_other("/service/engineers#certifications")),
        Err(e) => {
            let (status, errors) = field_errors(e)?;
            let q = PeriodQuery::default();
            engineers_view(&s, &ctx, &p, &q, status, first_error(&errors)).await
        }
    }
}

pub async fn remove_certification(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiPath((user_id, line)): ApiPath<(i64, String)>,
) -> Result<Response, UiError> {
    s.app.remove_certification(&ctx, user_id, &line).await?;
    Ok(see_other("/service/engineers#certifications"))
}

pub async fn engineers_xlsx(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, UiError> {
    let e = q.evaluate(&s, &ctx).await?;
    let table = evaluation_table(&e, p.t == Lang::En);
    let xlsx = Format::Xlsx;
    Ok(download(
        crate::ui::imports::file(table, xlsx).await?,
        xlsx,
        "engineers",
    ))
}

struct RecordView {
    id: i64,
    ticket: String,
    institution: String,
    engineer: String,
    created: String,
    phenomenon: String,
    diagnosis: String,
    repair: String,
    parts: String,
    minutes: i64,
}

impl RecordView {
    fn of(r: &RecordRow) -> Self {
        RecordView {
            id: r.id,
            ticket: r.ticket_number.clone(),
            institution: r.institution_name.clone(),
            engineer: r.engineer_name.clone(),
            created: local_time(r.created_at_ms),
            phenomenon: r.phenomenon.clone(),
            diagnosis: r.diagnosis.clone(),
            repair: r.repair_method.clone(),
            parts: r.parts_replaced.clone(),
            minutes: r.minutes_spent,
        }
    }
}

#[derive(Template)]
#[template(path = "service_ops/reviews.html")]
struct ReviewsPage {
    t: Lang,
    shell: Shell,
    records: Vec<RecordView>,
    error: Option<String>,
}

async fn reviews_view(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, UiError> {
    let records = s.app.records_to_review(ctx).await?;
    let page = ReviewsPage {
        t: p.t,
        shell: p.shell(ctx),
        records: records.iter().map(RecordView::of).collect(),
        error,
    };
    render(status, &page)
}

pub async fn reviews(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    reviews_view(&s, &ctx, &p, StatusCode::OK, None).await
}

pub async fn review(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let score = number(&form, "score").unwrap_or(0);
    match s
        .app
        .review_record(&ctx, id, score, &form.get("note"))
        .await
    {
        Ok(_) => Ok(see_other("/service/reviews")),
        Err(e) => {
            let (status, errors) = field_errors(e)?;
            reviews_view(&s, &ctx, &p, status, first_error(&errors)).await
        }
    }
}
