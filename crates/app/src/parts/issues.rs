//! PRT-3: parts leave stock only against an engineer's part request (SVC-5). The warehouse
//! issues from central or regional stock, an engineer from their own stock only; the issue
//! books the ledger row and fulfils the request through the same step as any fulfilment
//! (`service::parts::close_part_request`), which stops the request's clock. Returns of unused
//! parts go back to usable stock; faulty ones are booked to the location's separate faulty
//! balance, which is never issued (it leaves by an adjustment when scrapped or sent back).

use medcrm_domain::org::Scope;
use medcrm_domain::parts::{Condition, MovementKind, Tracking, WarehouseKind};
use medcrm_domain::service::EventKind;
use medcrm_store::Tx;
use medcrm_store::service::parts::{self as requests, PartRequestRow};

use super::ledger::{self, Movement};
use super::{WarehouseRecord, active_part, visible_warehouse};
use crate::error::Fields;
use crate::policy::{Action, require};
use crate::service::check_note;
use crate::service::parts::close_part_request;
use crate::{App, Ctx, Error, Result, audit, now_ms};

#[derive(Debug, Clone, Default)]
pub struct IssueInput {
    /// Where from; an engineer's own stock when not given and they have one.
    pub warehouse_id: Option<i64>,
    /// The catalog part, for a request made in free text; must match a named one.
    pub part_id: Option<i64>,
    /// Serial or lot number, required for a part tracked by them.
    pub trace: String,
    pub note: String,
}

#[derive(Debug, Clone, Default)]
pub struct ReturnInput {
    /// Where the parts go back to; the issuing location when not given.
    pub warehouse_id: Option<i64>,
    pub quantity: i64,
    pub faulty: bool,
    pub reason: String,
}

/// The request after an issue or a return, with the ledger row it wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssueResult {
    pub request: PartRequestRow,
    pub movement: super::MovementRecord,
}

/// Where the caller may move parts for a request: the warehouse (company scope) at central
/// or regional stock, an engineer only at their own.
async fn issuing_place(
    tx: &mut Tx,
    ctx: &Ctx,
    warehouse_id: Option<i64>,
) -> Result<(WarehouseRecord, Action)> {
    let scope = require(&ctx.actor, Action::IssueParts)?;
    let id = match warehouse_id {
        Some(id) => id,
        None => medcrm_store::parts::warehouse_of(tx, ctx.actor.user_id)
            .await?
            .map(|w| w.id)
            .ok_or_else(|| Error::invalid("warehouse_id", "required"))?,
    };
    let w = visible_warehouse(tx, ctx, Action::IssueParts, id).await?;
    if scope == Scope::Own {
        return Ok((w, Action::WorkTickets));
    }
    if w.kind == WarehouseKind::Engineer.code() {
        return Err(Error::Refused {
            code: "engineer_stock",
            field: "warehouse_id",
            message: format!(
                "{} is an engineer's own stock: only they issue from it",
                w.name
            ),
        });
    }
    Ok((w, Action::FulfilPartRequests))
}

async fn request(tx: &mut Tx, id: i64) -> Result<PartRequestRow> {
    requests::get(tx, id)
        .await?
        .ok_or(Error::NotFound("part request"))
}

impl App {
    /// PRT-3: issues what a request asks for from one location; the request is fulfilled and
    /// its clock stops. Too little stock → 409 `insufficient_stock`; of two issues of the same
    /// request one gets 409.
    pub async fn issue_part_request(
        &self,
        ctx: &Ctx,
        id: i64,
        input: IssueInput,
    ) -> Result<IssueResult> {
        let mut fields = Fields::default();
        check_note(&mut fields, "note", &input.note, false);
        check_note(&mut fields, "trace", &input.trace, false);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let (place, action) = issuing_place(&mut tx, ctx, input.warehouse_id).await?;
        let before = request(&mut tx, id).await?;
        let part_id = match (before.part_id, input.part_id) {
            (Some(named), Some(given)) if named != given => {
                return Err(Error::invalid("part_id", "the request names another part"));
            }
            (Some(named), _) => named,
            (None, Some(given)) => given,
            (None, None) => return Err(Error::invalid("part_id", "required")),
        };
        let part = active_part(&mut tx, part_id, "part_id").await?;
        let tracked = part.tracking != Tracking::None.code();
        if tracked && input.trace.trim().is_empty() {
            return Err(Error::invalid(
                "trace",
                format!("{} is tracked by {}: give it", part.code, part.tracking),
            ));
        }
        // The ticket is the why (the row links it); the serial or lot and a note add to it.
        let reason = match (input.trace.trim(), input.note.trim()) {
            ("", note) => note.to_owned(),
            (trace, note) => format!("[{trace}] {note}"),
        };
        let now = now_ms();
        // Stock first: concurrent issues queue on the balance row before anything else.
        let m = Movement {
            kind: Some(MovementKind::Issue),
            part_id,
            warehouse_id: place.id,
            quantity: before.quantity,
            reason: reason.trim(),
            part_request_id: Some(id),
            ticket_id: Some(before.ticket_id),
            ..Movement::default()
        };
        let movement_id = ledger::post(&mut tx, ctx, &m, now).await?;
        if before.part_id.is_none() {
            requests::set_part(&mut tx, id, part_id).await?;
        }
        requests::set_issue(&mut tx, id, movement_id).await?;
        let note = format!("{} → {}", place.name, input.note.trim());
        let after = close_part_request(
            &mut tx,
            ctx,
            id,
            note.trim_end_matches([' ', '→']),
            action,
            EventKind::PartFulfilled,
        )
        .await?;
        let movement = medcrm_store::parts::get_movement(&mut tx, movement_id)
            .await?
            .ok_or(Error::NotFound("movement"))?;
        audit::record(
            &mut tx,
            ctx,
            "stock_movement",
            movement_id,
            "issue",
            None,
            Some(&movement),
        )
        .await?;
        tx.commit().await?;
        Ok(IssueResult {
            request: after,
            movement,
        })
    }

    /// PRT-3: parts issued for a request come back: unused ones to usable stock, faulty ones
    /// to the faulty balance. Never more than was issued (409).
    pub async fn return_parts(
        &self,
        ctx: &Ctx,
        id: i64,
        input: ReturnInput,
    ) -> Result<IssueResult> {
        let mut fields = Fields::default();
        check_note(&mut fields, "reason", &input.reason, true);
        fields.check(
            "quantity",
            medcrm_domain::parts::check_quantity(MovementKind::Return, input.quantity),
        );
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let before = request(&mut tx, id).await?;
        let (Some(part_id), Some(issued)) = (before.part_id, before.issue_movement_id) else {
            return Err(Error::Refused {
                code: "not_issued",
                field: "status",
                message: format!("part request {id} was not issued from stock"),
            });
        };
        let issue = medcrm_store::parts::get_movement(&mut tx, issued)
            .await?
            .ok_or(Error::NotFound("movement"))?;
        let (place, action) = issuing_place(
            &mut tx,
            ctx,
            input.warehouse_id.or(Some(issue.warehouse_id)),
        )
        .await?;
        // The caller must reach the request's ticket as for an issue (an engineer: assigned).
        crate::service::visible_ticket(&mut tx, ctx, action, before.ticket_id)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound("part request"),
                other => other,
            })?;
        let condition = if input.faulty {
            Condition::Faulty
        } else {
            Condition::Good
        };
        let now = now_ms();
        let reason = input.reason.trim();
        let m = Movement {
            kind: Some(MovementKind::Return),
            part_id,
            warehouse_id: place.id,
            condition: Some(condition),
            quantity: input.quantity,
            reason,
            part_request_id: Some(id),
            ticket_id: Some(before.ticket_id),
            ..Movement::default()
        };
        let movement_id = ledger::post(&mut tx, ctx, &m, now).await?;
        requests::add_returned(&mut tx, id, input.quantity)
            .await
            .map_err(|_| {
                Error::conflict(
                    Some("quantity"),
                    format!(
                        "{} of {} issued were returned already",
                        before.returned_qty, before.quantity
                    ),
                )
            })?;
        let after = request(&mut tx, id).await?;
        let movement = medcrm_store::parts::get_movement(&mut tx, movement_id)
            .await?
            .ok_or(Error::NotFound("movement"))?;
        audit::record(
            &mut tx,
            ctx,
            "stock_movement",
            movement_id,
            "return",
            Some(&before),
            Some(&movement),
        )
        .await?;
        tx.commit().await?;
        Ok(IssueResult {
            request: after,
            movement,
        })
    }
}
