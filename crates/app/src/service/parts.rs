//! SVC-5: the engineer asks the warehouse for parts; each request runs its own 24 h clock
//! from the request to its fulfilment (or cancellation). The spare-parts module (PRT) will
//! link requests to the catalog and stock; a request is kept to a code, a name and a quantity.

pub use medcrm_store::service::parts::PartRequestRow;

use medcrm_domain::service::EventKind;
use medcrm_store::Page;
use medcrm_store::service::parts::{self as store, NewPartRequest};

use super::{apply, check_note, require_assignee, visible_ticket};
use crate::customers::check_text;
use crate::error::Fields;
use crate::org::visibility;
use crate::policy::Action;
use crate::{App, Ctx, Error, Result, audit, now_ms, page_size};

#[derive(Debug, Clone, Default)]
pub struct PartRequestInput {
    pub part_code: String,
    pub part_name: String,
    pub quantity: i64,
    pub note: String,
}

impl App {
    /// SVC-5: a part request on a dispatched or on-site ticket; its clock starts now.
    pub async fn request_part(
        &self,
        ctx: &Ctx,
        ticket_id: i64,
        input: PartRequestInput,
    ) -> Result<PartRequestRow> {
        let mut fields = Fields::default();
        check_text(&mut fields, "part_code", &input.part_code, 0, 64);
        check_text(&mut fields, "part_name", &input.part_name, 1, 200);
        if !(1..=10_000).contains(&input.quantity) {
            fields.add("quantity", "1 to 10000");
        }
        check_note(&mut fields, "note", &input.note, false);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let ticket = visible_ticket(&mut tx, ctx, Action::WorkTickets, ticket_id).await?;
        require_assignee(ctx, &ticket)?;
        let now = now_ms();
        let id = store::insert(
            &mut tx,
            &NewPartRequest {
                ticket_id,
                part_id: None,
                region_id: ticket.region_id,
                part_code: input.part_code.trim(),
                part_name: input.part_name.trim(),
                quantity: input.quantity,
                note: input.note.trim(),
            },
            ctx.actor.user_id,
            now,
        )
        .await?;
        let label = format!("{} × {}", input.part_name.trim(), input.quantity);
        apply(
            &mut tx,
            ctx,
            &ticket,
            EventKind::PartRequested,
            now,
            Some(id),
            &label,
        )
        .await?;
        let row = store::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("part request"))?;
        audit::record(&mut tx, ctx, "part_request", id, "create", None, Some(&row)).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// SVC-5: the warehouse has provided the part; its clock stops. Of two fulfilments at
    /// once, one gets 409.
    pub async fn fulfil_part_request(
        &self,
        ctx: &Ctx,
        id: i64,
        note: &str,
    ) -> Result<PartRequestRow> {
        self.close_part_request(
            ctx,
            id,
            note,
            Action::FulfilPartRequests,
            EventKind::PartFulfilled,
        )
        .await
    }

    /// SVC-5: the engineer (or the service manager) no longer needs the part; its clock is
    /// cancelled.
    pub async fn cancel_part_request(
        &self,
        ctx: &Ctx,
        id: i64,
        reason: &str,
    ) -> Result<PartRequestRow> {
        let mut fields = Fields::default();
        check_note(&mut fields, "reason", reason, true);
        fields.finish()?;
        self.close_part_request(
            ctx,
            id,
            reason,
            Action::WorkTickets,
            EventKind::PartCancelled,
        )
        .await
    }

    async fn close_part_request(
        &self,
        ctx: &Ctx,
        id: i64,
        note: &str,
        action: Action,
        event: EventKind,
    ) -> Result<PartRequestRow> {
        let mut fields = Fields::default();
        check_note(&mut fields, "note", note, false);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let before = store::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("part request"))?;
        let ticket = visible_ticket(&mut tx, ctx, action, before.ticket_id)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound("part request"),
                other => other,
            })?;
        if action == Action::WorkTickets {
            require_assignee(ctx, &ticket)?;
        }
        let to = if event == EventKind::PartFulfilled {
            "fulfilled"
        } else {
            "cancelled"
        };
        let now = now_ms();
        store::close(&mut tx, id, to, ctx.actor.user_id, now)
            .await
            .map_err(|_| {
                Error::conflict(
                    Some("status"),
                    format!("part request {id} is already {}", before.status),
                )
            })?;
        apply(&mut tx, ctx, &ticket, event, now, Some(id), note.trim()).await?;
        let after = store::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("part request"))?;
        audit::record(
            &mut tx,
            ctx,
            "part_request",
            id,
            to,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A ticket's part requests, oldest first.
    pub async fn part_requests(&self, ctx: &Ctx, ticket_id: i64) -> Result<Vec<PartRequestRow>> {
        let mut tx = self.db.read().await?;
        visible_ticket(&mut tx, ctx, Action::ReadTickets, ticket_id).await?;
        Ok(store::of_ticket(&mut tx, ticket_id).await?)
    }

    /// SVC-5: the warehouse's queue: open requests, oldest first, each with its due time.
    pub async fn part_queue(
        &self,
        ctx: &Ctx,
        cursor: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<PartRequestRow>> {
        let limit = page_size(limit)?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::FulfilPartRequests).await?;
        let regions = visible.regions();
        Ok(store::queue(&mut tx, regions.as_deref(), cursor, limit).await?)
    }
}
