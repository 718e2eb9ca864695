//! SYS-2: the caller's own notifications.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medcrm_app::notifications::NotificationRecord;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    /// visit_overdue (CUS-4) or stage_overdue (OPP-1).
    pub kind: String,
    /// The customer or opportunity concerned.
    pub subject: String,
    /// visit_overdue: the due date; stage_overdue: `stage|due date`.
    pub detail: String,
    /// The page to open.
    pub link: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

impl From<NotificationRecord> for Notification {
    fn from(n: NotificationRecord) -> Self {
        Notification {
            id: n.id,
            kind: n.kind,
            subject: n.subject,
            detail: n.detail,
            link: n.link,
            created_at: ts(n.created_at_ms),
            read_at: n.read_at_ms.map(ts),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub unread_only: Option<bool>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// Your notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<Notification>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Notification>>, ApiError> {
    let page = s
        .app
        .notifications(
            &ctx,
            q.unread_only.unwrap_or(false),
            cursor(q.cursor.as_deref())?,
            q.limit,
        )
        .await?;
    Ok(Json(Page::from(page, Notification::from)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Marked {
    /// How many were marked read.
    pub marked: u64,
}

/// Mark one of your notifications read (0 when it is not yours or already read).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Marked), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn read(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Marked>, ApiError> {
    let marked = s.app.mark_notifications_read(&ctx, Some(id)).await?;
    Ok(Json(Marked { marked }))
}

/// Mark all your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Marked), (status = 401, body = ErrorBody)))]
pub async fn read_all(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<(StatusCode, Json<Marked>), ApiError> {
    let marked = s.app.mark_notifications_read(&ctx, None).await?;
    Ok((StatusCode::OK, Json(Marked { marked })))
}
