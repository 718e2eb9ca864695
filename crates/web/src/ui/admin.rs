//! Admin pages: users, regions and the business calendar.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::Ctx;
use medcrm_app::domain::auth::Role;
use medcrm_app::org::{
    NewRegionInput, NewUserInput, RegionRecord, UserQuery, UserUpdate, UserView,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::audit::urlencode;
use crate::ui::{
    FieldErrors, FormData, PageCtx, Shell, after_post, ok, region_name, render, role_label,
    see_other,
};

/// A region with its depth, for indented lists and pickers.
struct RegionRow {
    id: i64,
    depth: usize,
    code: String,
    kind: String,
    name: String,
    name_zh: String,
    name_en: String,
    can_have_children: bool,
}

/// Regions in tree order (each parent followed by its children).
fn region_rows(t: Lang, all: &[RegionRecord]) -> Vec<RegionRow> {
    fn walk(
        t: Lang,
        all: &[RegionRecord],
        parent: Option<i64>,
        depth: usize,
        out: &mut Vec<RegionRow>,
    ) {
        for r in all.iter().filter(|r| r.parent_id == parent) {
            out.push(RegionRow {
                id: r.id,
                depth,
                code: r.code.clone(),
                kind: format!("regions.kind.{}", r.kind),
                name: region_name(t, &r.name_zh, &r.name_en),
                name_zh: r.name_zh.clone(),
                name_en: r.name_en.clone(),
                can_have_children: r.kind != "area",
            });
            if depth < 8 {
                walk(t, all, Some(r.id), depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(t, all, None, 0, &mut out);
    out
}

// ---- users ----

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    q: Option<String>,
    role: Option<String>,
    include_inactive: Option<String>,
    cursor: Option<i64>,
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    t: Lang,
    shell: Shell,
    q: String,
    role: String,
    include_inactive: bool,
    roles: Vec<(&'static str, &'static str)>,
    rows: Vec<UserRow>,
    next: Option<String>,
    saved: bool,
    /// Managers see their team read-only; only admins get the edit links.
    can_manage: bool,
}

struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    roles: String,
    regions: String,
    active: bool,
}

fn all_roles(t: Lang) -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .iter()
        .map(|r| (r.code(), role_label(t, *r)))
        .collect()
}

pub async fn users(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> Result<Response, UiError> {
    let include_inactive = q.include_inactive.is_some();
    let query = UserQuery {
        query: q.q.clone(),
        role: q.role.clone(),
        include_inactive,
        cursor: q.cursor,
        limit: Some(50),
    };
    let page = s.app.users(&ctx, &query).await?;
    let regions = s.app.regions(&ctx).await?;
    let name_of = |id: &i64| {
        regions
            .iter()
            .find(|r| r.id == *id)
            .map(|r| region_name(p.t, &r.name_zh, &r.name_en))
            .unwrap_or_default()
    };
    let rows = page
        .items
        .into_iter()
        .map(|v| UserRow {
            id: v.user.id,
            username: v.user.username,
            display_name: v.user.display_name,
            roles: v
                .roles
                .iter()
                .map(|r| role_label(p.t, *r))
                .collect::<Vec<_>>()
                .join("、"),
            regions: v
                .region_ids
                .iter()
                .map(name_of)
                .collect::<Vec<_>>()
                .join("、"),
            active: v.user.active,
        })
        .collect();
    let qs = q.q.clone().unwrap_or_default();
    let role = q.role.clone().unwrap_or_default();
    let next = page.next_cursor.map(|c| {
        format!(
            "/admin/users?cursor={c}&q={}&role={}{}",
            urlencode(&qs),
            urlencode(&role),
            if include_inactive {
                "&include_inactive=on"
            } else {
                ""
            }
        )
    });
    ok(&UsersPage {
        t: p.t,
        shell: p.shell(&ctx),
        q: qs,
        role,
        include_inactive,
        roles: all_roles(p.t),
        rows,
        next,
        saved: q.saved.is_some(),
        can_manage: require_admin(&ctx).is_ok(),
    })
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct UserForm {
    t: Lang,
    shell: Shell,
    /// None for a new user.
    id: Option<i64>,
    username: String,
    display_name: String,
    email: String,
    phone: String,
    active: bool,
    roles: Vec<(&'static str, &'static str, bool)>,
    regions: Vec<(RegionRow, bool)>,
    errors: FieldErrors,
    saved: bool,
}

struct FormValues {
    username: String,
    display_name: String,
    email: String,
    phone: String,
    active: bool,
    roles: Vec<String>,
    region_ids: Vec<i64>,
}

impl FormValues {
    fn of(v: &UserView) -> FormValues {
        FormValues {
            username: v.user.username.clone(),
            display_name: v.user.display_name.clone(),
            email: v.user.email.clone().unwrap_or_default(),
            phone: v.user.phone.clone().unwrap_or_default(),
            active: v.user.active,
            roles: v.roles.iter().map(|r| r.code().to_owned()).collect(),
            region_ids: v.region_ids.clone(),
        }
    }

    fn from_form(f: &FormData) -> FormValues {
        FormValues {
            username: f.get("username"),
            display_name: f.get("display_name"),
            email: f.get("email"),
            phone: f.get("phone"),
            active: f.has("active"),
            roles: f.all("roles"),
            region_ids: f
                .all("region_ids")
                .iter()
                .filter_map(|r| r.parse().ok())
                .collect(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn user_form(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    id: Option<i64>,
    v: FormValues,
    errors: FieldErrors,
    saved: bool,
) -> Result<Response, UiError> {
    let regions = region_rows(p.t, &s.app.regions(ctx).await?)
        .into_iter()
        .map(|r| {
            let checked = v.region_ids.contains(&r.id);
            (r, checked)
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| {
            (
                r.code(),
                role_label(p.t, *r),
                v.roles.iter().any(|c| c == r.code()),
            )
        })
        .collect();
    render(
        status,
        &UserForm {
            t: p.t,
            shell: p.shell(ctx),
            id,
            username: v.username,
            display_name: v.display_name,
            email: v.email,
            phone: v.phone,
            active: v.active,
            roles,
            regions,
            errors,
            saved,
        },
    )
}

/// Only admins reach the forms; others get 403 before seeing any.
fn require_admin(ctx: &Ctx) -> Result<(), UiError> {
    medcrm_app::policy::require(&ctx.actor, medcrm_app::policy::Action::ManageUsers)
        .map(|_| ())
        .map_err(UiError)
}

pub async fn new_user(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    require_admin(&ctx)?;
    let blank = FormValues {
        username: String::new(),
        display_name: String::new(),
        email: String::new(),
        phone: String::new(),
        active: true,
        roles: Vec::new(),
        region_ids: Vec::new(),
    };
    user_form(
        &s,
        &ctx,
        &p,
        StatusCode::OK,
        None,
        blank,
        FieldErrors::new(),
        false,
    )
    .await
}

pub async fn create_user(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let v = FormValues::from_form(&form);
    let input = NewUserInput {
        username: v.username.clone(),
        display_name: v.display_name.clone(),
        email: Some(v.email.clone()),
        phone: Some(v.phone.clone()),
        password: form.get("password"),
        roles: v.roles.clone(),
        region_ids: v.region_ids.clone(),
    };
    after_post(
        s.app.create_user(&ctx, input).await,
        |u| format!("/admin/users/{}?saved=1", u.user.id),
        |status, errors| user_form(&s, &ctx, &p, status, None, v, errors, false),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
    year: Option<i16>,
}

pub async fn edit_user(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<SavedQuery>,
) -> Result<Response, UiError> {
    require_admin(&ctx)?;
    let v = s.app.user(&ctx, id).await?;
    user_form(
        &s,
        &ctx,
        &p,
        StatusCode::OK,
        Some(id),
        FormValues::of(&v),
        FieldErrors::new(),
        q.saved.is_some(),
    )
    .await
}

pub async fn update_user(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let mut v = FormValues::from_form(&form);
    let up = UserUpdate {
        display_name: Some(v.display_name.clone()),
        email: Some(Some(v.email.clone())),
        phone: Some(Some(v.phone.clone())),
        active: Some(v.active),
        roles: Some(v.roles.clone()),
        region_ids: Some(v.region_ids.clone()),
    };
    after_post(
        s.app.update_user(&ctx, id, up).await,
        |_| format!("/admin/users/{id}?saved=1"),
        |status, errors| async move {
            v.username = s.app.user(&ctx, id).await?.user.username;
            user_form(&s, &ctx, &p, status, Some(id), v, errors, false).await
        },
    )
    .await
}

pub async fn reset_password(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    let result = s.app.reset_password(&ctx, id, &form.get("password")).await;
    after_post(
        result,
        |()| format!("/admin/users/{id}?saved=1"),
        |status, errors| async move {
            let v = s.app.user(&ctx, id).await?;
            let values = FormValues::of(&v);
            user_form(&s, &ctx, &p, status, Some(id), values, errors, false).await
        },
    )
    .await
}

// ---- regions ----

#[derive(Template)]
#[template(path = "admin/regions.html")]
struct RegionsPage {
    t: Lang,
    shell: Shell,
    rows: Vec<RegionRow>,
    errors: FieldErrors,
    saved: bool,
}

async fn regions_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    status: StatusCode,
    errors: FieldErrors,
    saved: bool,
) -> Result<Response, UiError> {
    medcrm_app::policy::require(&ctx.actor, medcrm_app::policy::Action::ManageRegions)?;
    let rows = region_rows(p.t, &s.app.regions(ctx).await?);
    render(
        status,
        &RegionsPage {
            t: p.t,
            shell: p.shell(ctx),
            rows,
            errors,
            saved,
        },
    )
}

pub async fn regions(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<SavedQuery>,
) -> Result<Response, UiError> {
    regions_page(
        &s,
        &ctx,
        &p,
        StatusCode::OK,
        FieldErrors::new(),
        q.saved.is_some(),
    )
    .await
}

pub async fn create_region(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let input = NewRegionInput {
        parent_id: form.get("parent_id").parse().ok(),
        code: form.get("code"),
        name_zh: form.get("name_zh"),
        name_en: form.get("name_en"),
    };
    after_post(
        s.app.create_region(&ctx, input).await,
        |_| "/admin/regions?saved=1".to_owned(),
        |status, errors| regions_page(&s, &ctx, &p, status, errors, false),
    )
    .await
}

pub async fn rename_region(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiPath(id): ApiPath<i64>,
    form: FormData,
) -> Result<Response, UiError> {
    after_post(
        s.app
            .rename_region(&ctx, id, &form.get("name_zh"), &form.get("name_en"))
            .await,
        |_| "/admin/regions?saved=1".to_owned(),
        |status, errors| regions_page(&s, &ctx, &p, status, errors, false),
    )
    .await
}

// ---- calendar ----

#[derive(Template)]
#[template(path = "admin/calendar.html")]
struct CalendarPage {
    t: Lang,
    shell: Shell,
    year: i16,
    prev_year: i16,
    next_year: i16,
    start: String,
    end: String,
    working_days: usize,
    days: Vec<(String, String, String, String)>,
    can_edit: bool,
    errors: FieldErrors,
    saved: bool,
}

async fn calendar_page(
    s: &AppState,
    ctx: &Ctx,
    p: &PageCtx,
    year: i16,
    status: StatusCode,
    errors: FieldErrors,
    saved: bool,
) -> Result<Response, UiError> {
    let v = s.app.calendar_year(ctx, year).await?;
    let weekday_names_zh = ["一", "二", "三", "四", "五", "六", "日"];
    let weekday_names_en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let days = v
        .days
        .into_iter()
        .map(|d| {
            let wd = d
                .day
                .parse::<jiff::civil::Date>()
                .map(|date| {
                    let i = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
                    match p.t {
                        Lang::Zh => format!("周{}", weekday_names_zh[i % 7]),
                        Lang::En => weekday_names_en[i % 7].to_owned(),
                    }
                })
                .unwrap_or_default();
            (d.day, wd, format!("calendar.{}", d.kind), d.name)
        })
        .collect();
    let can_edit =
        medcrm_app::policy::scope(&ctx.actor, medcrm_app::policy::Action::ManageCalendar).is_some();
    render(
        status,
        &CalendarPage {
            t: p.t,
            shell: p.shell(ctx),
            year,
            prev_year: year - 1,
            next_year: year + 1,
            start: v.working_hours.0.strftime("%H:%M").to_string(),
            end: v.working_hours.1.strftime("%H:%M").to_string(),
            working_days: v.working_days,
            days,
            can_edit,
            errors,
            saved,
        },
    )
}

fn this_year() -> i16 {
    jiff::Timestamp::now()
        .in_tz("Asia/Shanghai")
        .map(|z| z.year())
        .unwrap_or(2026)
}

pub async fn calendar(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<SavedQuery>,
) -> Result<Response, UiError> {
    let year = q.year.unwrap_or_else(this_year);
    calendar_page(
        &s,
        &ctx,
        &p,
        year,
        StatusCode::OK,
        FieldErrors::new(),
        q.saved.is_some(),
    )
    .await
}

fn year_of(day: &str) -> i16 {
    day.get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or_else(this_year)
}

pub async fn set_day(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let day = form.get("day");
    let result = s
        .app
        .set_calendar_day(&ctx, &day, &form.get("kind"), &form.get("name"))
        .await;
    after_post(
        result,
        |()| format!("/admin/calendar?year={}&saved=1", year_of(&day)),
        |status, errors| calendar_page(&s, &ctx, &p, year_of(&day), status, errors, false),
    )
    .await
}

pub async fn clear_day(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiPath(day): ApiPath<String>,
) -> Result<Response, UiError> {
    s.app.clear_calendar_day(&ctx, &day).await?;
    Ok(see_other(&format!(
        "/admin/calendar?year={}&saved=1",
        year_of(&day)
    )))
}

pub async fn set_hours(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let result = s
        .app
        .set_working_hours(&ctx, &form.get("start"), &form.get("end"))
        .await;
    after_post(
        result,
        |()| "/admin/calendar?saved=1".to_owned(),
        |status, errors| calendar_page(&s, &ctx, &p, this_year(), status, errors, false),
    )
    .await
}
