//! SYS-2: in-app notifications.

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NotificationRecord {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub detail: String,
    pub link: String,
    pub created_at_ms: i64,
    pub read_at_ms: Option<i64>,
}

pub struct NewNotification<'a> {
    pub user_id: i64,
    pub kind: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
    pub link: &'a str,
    pub dedupe_key: &'a str,
}

/// Adds a notification unless one with the same key exists; true when added.
pub async fn add(tx: &mut Tx, n: &NewNotification<'_>, now_ms: i64) -> Result<bool> {
    let added = exec!(tx, c => sqlx::query(
        "INSERT INTO notifications (user_id, kind, subject, detail, link, dedupe_key, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING")
        .bind(n.user_id).bind(n.kind).bind(n.subject).bind(n.detail).bind(n.link).bind(n.dedupe_key)
        .bind(now_ms).execute(c).await)
    .db()?;
    Ok(added > 0)
}

/// The user's notifications, newest first.
pub async fn list(
    tx: &mut Tx,
    user_id: i64,
    unread_only: bool,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<NotificationRecord>> {
    let rows: Vec<NotificationRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT id, kind, subject, detail, link, created_at_ms, read_at_ms FROM notifications WHERE user_id = ");
        q.push_bind(user_id);
        if unread_only {
            q.push(" AND read_at_ms IS NULL");
        }
        if let Some(before) = before_id {
            q.push(" AND id < ").push_bind(before);
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

pub async fn unread_count(tx: &mut Tx, user_id: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at_ms IS NULL")
        .bind(user_id).fetch_one(c).await)
    .db()
}

/// Marks the user's notification `id` (or all of theirs) read; returns how many changed.
pub async fn mark_read(tx: &mut Tx, user_id: i64, id: Option<i64>, now_ms: i64) -> Result<u64> {
    exec!(tx, c => sqlx::query(
        "UPDATE notifications SET read_at_ms = $3
         WHERE user_id = $1 AND read_at_ms IS NULL AND ($2 IS NULL OR id = $2)")
        .bind(user_id).bind(id).bind(now_ms).execute(c).await)
    .db()
}

/// `(institution id, name, owner, due date)` of institutions whose visit is overdue, after
/// `after_id`, for the reminder job.
pub async fn overdue_visits(
    tx: &mut Tx,
    today: &str,
    after_id: i64,
    limit: i64,
) -> Result<Vec<(i64, String, i64, String)>> {
    on!(tx, c => sqlx::query_as(
        "SELECT id, name, owner_id, next_visit_due FROM institutions
         WHERE next_visit_due < $1 AND id > $2 ORDER BY id LIMIT $3")
        .bind(today).bind(after_id).bind(limit).fetch_all(c).await)
    .db()
}

/// `(opportunity id, title, stage owner, stage, due date)` of open stages past due.
pub async fn overdue_stages(
    tx: &mut Tx,
    today: &str,
    after_id: i64,
    limit: i64,
) -> Result<Vec<(i64, String, i64, String, String)>> {
    on!(tx, c => sqlx::query_as(
        "SELECT id, title, stage_owner_id, stage, stage_due FROM opportunities
         WHERE stage_due IS NOT NULL AND stage_due < $1 AND id > $2 ORDER BY id LIMIT $3")
        .bind(today).bind(after_id).bind(limit).fetch_all(c).await)
    .db()
}
