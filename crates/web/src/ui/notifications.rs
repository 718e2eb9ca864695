//! SYS-2: the notifications page and the unread badge in the top bar.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiQuery, UiCaller};
use crate::i18n::Lang;
use crate::ui::{FormData, PageCtx, Shell, local_time, render, see_other};

struct Row {
    text: String,
    link: String,
    at: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct Page {
    t: Lang,
    shell: Shell,
    rows: Vec<Row>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Query {
    cursor: Option<i64>,
}

/// A notification in the page language: a visit due on a date, a stage past its due date, or
/// any other kind under its label (an unknown kind shows its subject and detail only).
fn text(t: Lang, kind: &str, subject: &str, detail: &str) -> String {
    match kind {
        "stage_overdue" => {
            let (stage, due) = detail.split_once('|').unwrap_or((detail, ""));
            let stage = t.t(&format!("opp.stage.{stage}")).to_owned();
            format!("{subject} · {stage} · {} {due}", t.t("notif.stage_overdue"))
        }
        "visit_overdue" => format!("{subject} · {} {detail}", t.t("notif.visit_overdue")),
        other => {
            let key = format!("notif.kind.{other}");
            let label = t.t(&key);
            let parts = [label, subject, detail];
            parts
                .iter()
                .filter(|p| !p.is_empty() && **p != key)
                .copied()
                .collect::<Vec<_>>()
                .join(" · ")
        }
    }
}

pub async fn page(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    ApiQuery(q): ApiQuery<Query>,
) -> Result<Response, UiError> {
    let list = s.app.notifications(&ctx, false, q.cursor, None).await?;
    let page = Page {
        t: p.t,
        shell: p.shell(&ctx),
        rows: list
            .items
            .iter()
            .map(|n| Row {
                text: text(p.t, &n.kind, &n.subject, &n.detail),
                link: n.link.clone(),
                at: local_time(n.created_at_ms),
                unread: n.read_at_ms.is_none(),
            })
            .collect(),
        next: list
            .next_cursor
            .map(|c| format!("/notifications?cursor={c}")),
    };
    render(StatusCode::OK, &page)
}

pub async fn read_all(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    _form: FormData,
) -> Result<Response, UiError> {
    s.app.mark_notifications_read(&ctx, None).await?;
    Ok(see_other("/notifications"))
}

/// The unread count as plain text, fetched by the top bar's badge.
pub async fn badge(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
) -> Result<Response, UiError> {
    let n = s.app.unread_notifications(&ctx).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        n.to_string(),
    )
        .into_response())
}
