//! SVC-7: the business calendar.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct SpecialDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// `holiday` or `makeup` (a weekend day that is worked, 调休).
    pub kind: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CalendarYear {
    pub year: i16,
    /// `HH:MM`, Asia/Shanghai.
    pub work_start: String,
    pub work_end: String,
    pub working_days: usize,
    pub days: Vec<SpecialDay>,
}

/// A year's holidays, make-up working days and working-day count.
#[utoipa::path(get, path = "/api/v1/calendar/years/{year}", tag = "calendar", security(("bearer" = [])),
    params(("year" = i16, Path)),
    responses((status = 200, body = CalendarYear), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn year(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(year): ApiPath<i16>,
) -> Result<Json<CalendarYear>, ApiError> {
    let v = s.app.calendar_year(&ctx, year).await?;
    Ok(Json(CalendarYear {
        year: v.year,
        work_start: v.working_hours.0.strftime("%H:%M").to_string(),
        work_end: v.working_hours.1.strftime("%H:%M").to_string(),
        working_days: v.working_days,
        days: v
            .days
            .into_iter()
            .map(|d| SpecialDay {
                day: d.day,
                kind: d.kind,
                name: d.name,
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDay {
    /// `holiday` or `makeup`.
    pub kind: String,
    pub name: String,
}

/// Mark a day as a holiday or make-up working day (admin).
#[utoipa::path(put, path = "/api/v1/calendar/days/{day}", tag = "calendar", security(("bearer" = [])),
    params(("day" = String, Path, description = "YYYY-MM-DD")), request_body = SetDay,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_day(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(day): ApiPath<String>,
    ApiJson(b): ApiJson<SetDay>,
) -> Result<StatusCode, ApiError> {
    s.app.set_calendar_day(&ctx, &day, &b.kind, &b.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a special day ordinary again (admin).
#[utoipa::path(delete, path = "/api/v1/calendar/days/{day}", tag = "calendar", security(("bearer" = [])),
    params(("day" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn clear_day(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(day): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    s.app.clear_calendar_day(&ctx, &day).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// `HH:MM`
    pub start: String,
    /// `HH:MM`, after start.
    pub end: String,
}

/// Set the daily working hours (admin).
#[utoipa::path(put, path = "/api/v1/calendar/working-hours", tag = "calendar", security(("bearer" = [])),
    request_body = WorkingHours,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_hours(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<WorkingHours>,
) -> Result<StatusCode, ApiError> {
    s.app.set_working_hours(&ctx, &b.start, &b.end).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// Start instant, RFC 3339 (e.g. `2025-09-30T17:55:00+08:00`).
    pub from: String,
    /// Working hours to add (0–10000).
    pub hours: Option<i64>,
    /// Working days to add (0–1000).
    pub days: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Due {
    /// RFC 3339, Asia/Shanghai.
    pub due: String,
    /// Working minutes between `from` and `due`.
    pub working_minutes: i64,
}

/// When a deadline of N working hours or days from an instant falls.
#[utoipa::path(get, path = "/api/v1/calendar/due", tag = "calendar", security(("bearer" = [])), params(DueQuery),
    responses((status = 200, body = Due), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn due(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> Result<Json<Due>, ApiError> {
    let d = s
        .app
        .due(&ctx, &q.from, q.hours.unwrap_or(0), q.days.unwrap_or(0))
        .await?;
    Ok(Json(Due {
        due: d.due,
        working_minutes: d.working_minutes,
    }))
}
