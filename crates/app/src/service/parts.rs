//! SVC-5: the engineer asks the warehouse for parts; each request runs its own 24 h clock
//! from the request to its fulfilment (or cancellation). A request names a catalog part
//! (PRT-3; free text for parts not in the catalog) and a quantity; a catalog part is
//! fulfilled by issuing it from stock (`App::issue_part_request`).

pub use medcrm_store::service::parts::PartRequestRow;

use medcrm_domain::service::EventKind;
use medcrm_store::parts as catalog;
use medcrm_store::service::parts::{self as store, NewPartRequest};
use medcrm_store::{Page, Tx};

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
    /// PRT-3: the catalog part; its code and name then replace the free text.
    pub part_id: Option<i64>,
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
        let min_name = usize::from(input.part_id.is_none());
        check_text(&mut fields, "part_name", &input.part_name, min_name, 200);
        if !(1..=10_000).contains(&input.quantity) {
            fields.add("quantity", "1 to 10000");
        }
        check_note(&mut fields, "note", &input.note, false);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let ticket = visible_ticket(&mut tx, ctx, Action::WorkTickets, ticket_id).await?;
        require_assignee(ctx, &ticket)?;
        let (part_code, part_name) = match input.part_id {
            Some(part_id) => {
                let part = catalog::get_part(&mut tx, part_id)
                    .await?
                    .filter(|p| p.active)
                    .ok_or_else(|| Error::invalid("part_id", "no such active part"))?;
                (part.code, part.name)
            }
            None => (
                input.part_code.trim().to_owned(),
                input.part_name.trim().to_owned(),
            ),
        };
        let now = now_ms();
        let id = store::insert(
            &mut tx,
            &NewPartRequest {
                ticket_id,
                part_id: input.part_id,
                region_id: ticket.region_id,
                part_code: &part_code,
                part_name: &part_name,
                quantity: input.quantity,
                note: input.note.trim(),
            },
            ctx.actor.user_id,
            now,
        )
        .await?;
        let label = format!("{part_name} × {}", input.quantity);
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
        let mut tx = self.db.write().await?;
        let named = store::get(&mut tx, id).await?.and_then(|r| r.part_id);
        if named.is_some() {
            // PRT-3: a catalog part leaves stock only by an issue, which fulfils the request.
            return Err(Error::Refused {
                code: "issue_required",
                field: "part_id",
                message: format!("part request {id} names a catalog part: issue it from stock"),
            });
        }
        let after = close_part_request(
            &mut tx,
            ctx,
            id,
            note,
            Action::FulfilPartRequests,
            EventKind::PartFulfilled,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
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
        let mut tx = self.db.write().await?;
        let after = close_part_request(
            &mut tx,
            ctx,
            id,
            reason,
            Action::WorkTickets,
            EventKind::PartCancelled,
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

/// Closes a request as fulfilled or cancelled in the caller's transaction: checks the
/// caller's scope for `action` reaches its ticket (an engineer's `WorkTickets` also needs the
/// ticket assigned to them), closes it guarded (of two at once one gets 409), logs the
/// ticket event that stops its clock, and audits. PRT-3 issues call it after booking stock.
pub(crate) async fn close_part_request(
    tx: &mut Tx,
    ctx: &Ctx,
    id: i64,
    note: &str,
    action: Action,
    event: EventKind,
) -> Result<PartRequestRow> {
    let mut fields = Fields::default();
    check_note(&mut fields, "note", note, false);
    fields.finish()?;
    let before = store::get(tx, id)
        .await?
        .ok_or(Error::NotFound("part request"))?;
    let ticket = visible_ticket(tx, ctx, action, before.ticket_id)
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
    store::close(tx, id, to, ctx.actor.user_id, now)
        .await
        .map_err(|_| {
            Error::conflict(
                Some("status"),
                format!("part request {id} is already {}", before.status),
            )
        })?;
    apply(tx, ctx, &ticket, event, now, Some(id), note.trim()).await?;
    let after = store::get(tx, id)
        .await?
        .ok_or(Error::NotFound("part request"))?;
    audit::record(tx, ctx, "part_request", id, to, Some(&before), Some(&after)).await?;
    Ok(after)
}
