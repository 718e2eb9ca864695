//! SYS-1: the audit log page for admin and quality, filterable.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::AppState;
use crate::api::audit::{AuditQuery, filter};
use crate::error::UiError;
use crate::extract::{ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::{PageCtx, Shell, local_time, ok};

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: Lang,
    shell: Shell,
    q: AuditQuery,
    rows: Vec<Row>,
    next: Option<String>,
    error: Option<String>,
}

struct Row {
    at: String,
    actor: String,
    entity: String,
    entity_id: String,
    action: String,
    change: String,
    request_id: String,
}

pub async fn page(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    q: Result<ApiQuery<AuditQuery>, crate::error::ApiError>,
) -> Result<Response, UiError> {
    let q = q.map(|q| q.0).unwrap_or_default();
    let mut error = None;
    let f = filter(&q).unwrap_or_else(|e| {
        error = Some(e.fields.values().cloned().collect::<Vec<_>>().join("; "));
        Default::default()
    });
    let cursor = q.cursor.as_deref().and_then(|c| c.parse().ok());
    let page = s.app.audit_entries(&ctx, &f, cursor, 50).await?;
    let rows = page
        .items
        .into_iter()
        .map(|r| Row {
            at: local_time(r.at_ms),
            actor: r.actor_name,
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
            change: match (r.before_json, r.after_json) {
                (Some(b), Some(a)) => format!("{b} → {a}"),
                (None, Some(a)) => a,
                (Some(b), None) => format!("{b} → ∅"),
                (None, None) => String::new(),
            },
            request_id: r.request_id,
        })
        .collect();
    let next = page.next_cursor.map(|c| {
        let keep = |k: &str, v: &Option<String>| {
            v.as_ref()
                .map(|v| format!("&{k}={}", urlencode(v)))
                .unwrap_or_default()
        };
        format!(
            "/audit?cursor={c}{}{}{}{}{}",
            keep("entity", &q.entity),
            keep("entity_id", &q.entity_id),
            keep("action", &q.action),
            keep("from", &q.from),
            keep("to", &q.to)
        )
    });
    ok(&AuditPage {
        t: p.t,
        shell: p.shell(&ctx),
        q,
        rows,
        next,
        error,
    })
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
