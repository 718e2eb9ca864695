//! SYS-2: in-app notifications. The reminder job tells each rep which of their customers is
//! due a visit (CUS-4) and each stage owner which pipeline stage is past due (OPP-1); a
//! reminder is made once per due date, so the job may run as often as wanted.

use medcrm_store::Page;
pub use medcrm_store::notifications::NotificationRecord;
use medcrm_store::notifications::{self as store, NewNotification};

use crate::customers::today;
use crate::{App, Ctx, Result, now_ms};

/// Rows read per transaction by the reminder job.
const REMINDER_BATCH: i64 = 500;

impl App {
    /// The caller's notifications, newest first. Everyone has their own; nobody else's.
    pub async fn notifications(
        &self,
        ctx: &Ctx,
        unread_only: bool,
        cursor: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<NotificationRecord>> {
        let limit = crate::page_size(limit)?;
        let mut tx = self.db.read().await?;
        Ok(store::list(&mut tx, ctx.actor.user_id, unread_only, cursor, limit).await?)
    }

    pub async fn unread_notifications(&self, ctx: &Ctx) -> Result<i64> {
        let mut tx = self.db.read().await?;
        Ok(store::unread_count(&mut tx, ctx.actor.user_id).await?)
    }

    /// Marks one of the caller's notifications (or all of them) read. Reading is not a change
    /// to business data, so it is not audited.
    pub async fn mark_notifications_read(&self, ctx: &Ctx, id: Option<i64>) -> Result<u64> {
        let mut tx = self.db.write().await?;
        let n = store::mark_read(&mut tx, ctx.actor.user_id, id, now_ms()).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Creates the reminders that are due now; returns how many were new.
    pub async fn send_reminders(&self) -> Result<u64> {
        let today = today().to_string();
        let mut added = 0;
        let mut after = 0;
        loop {
            let mut tx = self.db.write().await?;
            let batch = store::overdue_visits(&mut tx, &today, after, REMINDER_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.0;
            for (id, name, owner, due) in &batch {
                let n = NewNotification {
                    user_id: *owner,
                    kind: "visit_overdue",
                    subject: name,
                    detail: due,
                    link: &format!("/customers/{id}"),
                    dedupe_key: &format!("visit_overdue:{id}:{owner}:{due}"),
                };
                added += u64::from(store::add(&mut tx, &n, now_ms()).await?);
            }
            tx.commit().await?;
        }
        after = 0;
        loop {
            let mut tx = self.db.write().await?;
            let batch = store::overdue_stages(&mut tx, &today, after, REMINDER_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.0;
            for (id, title, owner, stage, due) in &batch {
                let n = NewNotification {
                    user_id: *owner,
                    kind: "stage_overdue",
                    subject: title,
                    detail: &format!("{stage}|{due}"),
                    link: &format!("/pipeline/{id}"),
                    dedupe_key: &format!("stage_overdue:{id}:{owner}:{stage}:{due}"),
                };
                added += u64::from(store::add(&mut tx, &n, now_ms()).await?);
            }
            tx.commit().await?;
        }
        Ok(added)
    }
}
