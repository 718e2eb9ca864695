//! SYS-1: reading the audit log (admin, quality).

use axum::Json;
use axum::extract::State;
use medcrm_app::audit::{AuditRecord, Filter};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    /// Absent for changes the system made itself (init, demo data, jobs).
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    /// JSON text of the record before the change.
    pub before: Option<String>,
    /// JSON text of the record after the change.
    pub after: Option<String>,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRecord> for AuditEntry {
    fn from(r: AuditRecord) -> Self {
        AuditEntry {
            id: r.id,
            at: ts(r.at_ms),
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
            before: r.before_json,
            after: r.after_json,
            request_id: r.request_id,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `user`, `region`, `calendar_day`.
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    /// From this date (YYYY-MM-DD, Asia/Shanghai), inclusive.
    pub from: Option<String>,
    /// Up to this date (YYYY-MM-DD, Asia/Shanghai), inclusive.
    pub to: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// Parses the query into a store filter; bad dates name their field.
pub fn filter(q: &AuditQuery) -> Result<Filter, ApiError> {
    let day_ms = |field: &'static str,
                  s: &Option<String>,
                  next: bool|
     -> Result<Option<i64>, ApiError> {
        let Some(s) = s.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let date: jiff::civil::Date = s.parse().map_err(|_| {
            ApiError::from(medcrm_app::Error::invalid(
                field,
                "expected a date as YYYY-MM-DD",
            ))
        })?;
        let date = if next {
            date.tomorrow().unwrap_or(date)
        } else {
            date
        };
        let ms = date
            .in_tz("Asia/Shanghai")
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|_| ApiError::from(medcrm_app::Error::invalid(field, "date out of range")))?;
        Ok(Some(ms))
    };
    let text = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    Ok(Filter {
        entity: text(&q.entity),
        entity_id: text(&q.entity_id),
        actor_id: q.actor_id,
        action: text(&q.action),
        from_ms: day_ms("from", &q.from, false)?,
        to_ms: day_ms("to", &q.to, true)?,
    })
}

/// Audit entries, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let f = filter(&q)?;
    let limit = medcrm_app::page_size(q.limit)?;
    let page = s
        .app
        .audit_entries(&ctx, &f, cursor(q.cursor.as_deref())?, limit)
        .await?;
    Ok(Json(Page::from(page, AuditEntry::from)))
}
