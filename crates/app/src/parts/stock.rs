//! PRT-1/2: stock per location, receipts, adjustments, transfers (out → in transit →
//! received), min/max levels with a suggestion from the last 90 days of issues, the reorder
//! list and the ledger itself.

use medcrm_domain::parts::{self as rules, Condition, MovementKind, SUGGESTION_DAYS};
use medcrm_store::parts::{self as store, MovementFilter, NewTransfer, StockFilter};
use medcrm_store::{Page, Tx};

use super::ledger::{self, Movement};
use super::{
    Mismatch, MovementRecord, StockRecord, TransferRecord, active_part, places_of,
    visible_warehouse,
};
use crate::error::Fields;
use crate::org::visibility;
use crate::policy::{Action, require};
use crate::service::check_note;
use crate::{App, Ctx, Error, Result, audit, now_ms, page_size};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Largest reorder list: one page of the low stock the caller may see.
const REORDER_ROWS: i64 = 200;

/// A receipt (manual; purchase-order receipts come with PRT-5) or an adjustment.
#[derive(Debug, Clone, Default)]
pub struct StockChange {
    pub part_id: i64,
    pub warehouse_id: i64,
    /// Units received; for an adjustment the signed change.
    pub quantity: i64,
    /// `good` (default) or `faulty` (an adjustment of faulty stock: scrapped, sent back).
    pub condition: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct TransferInput {
    pub part_id: i64,
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    pub quantity: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct StockQuery {
    pub warehouse_id: Option<i64>,
    pub part_id: Option<i64>,
    pub low_only: bool,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct MovementQuery {
    pub part_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub kind: Option<String>,
    pub part_request_id: Option<i64>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// A stock row below its minimum with what to order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReorderLine {
    pub stock: StockRecord,
    pub reorder_qty: i64,
}

/// A location's levels with the suggestion from recent demand.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LevelSuggestion {
    pub part_id: i64,
    pub warehouse_id: i64,
    pub issued_last_days: i64,
    pub days: i64,
    pub min_qty: i64,
    pub max_qty: i64,
}

fn check_reason(reason: &str) -> Result<()> {
    let mut fields = Fields::default();
    check_note(&mut fields, "reason", reason, true);
    fields.finish()
}

async fn movement_row(tx: &mut Tx, id: i64) -> Result<MovementRecord> {
    store::get_movement(tx, id)
        .await?
        .ok_or(Error::NotFound("movement"))
}

/// Books a checked manual movement (receipt or adjustment) of an active part at a location
/// the caller manages, audited, in the caller's transaction: the forms and the SYS-3 stock
/// import both go through here.
pub(crate) async fn book(tx: &mut Tx, ctx: &Ctx, m: &Movement<'_>) -> Result<MovementRecord> {
    active_part(tx, m.part_id, "part_id").await?;
    visible_warehouse(tx, ctx, Action::ManageStock, m.warehouse_id)
        .await
        .map_err(|_| Error::invalid("warehouse_id", "no such warehouse"))?;
    let id = ledger::post(tx, ctx, m, now_ms()).await?;
    let row = movement_row(tx, id).await?;
    let kind = m.kind.map_or("movement", |k| k.code());
    audit::record(tx, ctx, "stock_movement", id, kind, None, Some(&row)).await?;
    Ok(row)
}

/// Sets checked `(min, max)` levels of an active part at a location the caller manages,
/// audited, in the caller's transaction (the form and the SYS-3 stock import).
pub(crate) async fn set_levels(
    tx: &mut Tx,
    ctx: &Ctx,
    part_id: i64,
    warehouse_id: i64,
    (min_qty, max_qty): (i64, i64),
) -> Result<StockRecord> {
    active_part(tx, part_id, "part_id").await?;
    visible_warehouse(tx, ctx, Action::ManageStock, warehouse_id)
        .await
        .map_err(|_| Error::invalid("warehouse_id", "no such warehouse"))?;
    let before = store::get_stock(tx, part_id, warehouse_id).await?;
    let now = now_ms();
    store::set_levels(tx, part_id, warehouse_id, min_qty, max_qty, now).await?;
    ledger::alert_if_low(tx, part_id, warehouse_id, now).await?;
    let after = store::get_stock(tx, part_id, warehouse_id)
        .await?
        .ok_or(Error::NotFound("stock"))?;
    audit::record(
        tx,
        ctx,
        "stock",
        after.id,
        "levels",
        before.as_ref().map(|b| b as &dyn audit::ErasedJson),
        Some(&after),
    )
    .await?;
    Ok(after)
}

impl App {
    /// PRT-2: parts received at a location (manual receipt, with its reason).
    pub async fn receive_stock(&self, ctx: &Ctx, c: StockChange) -> Result<MovementRecord> {
        self.change_stock(ctx, MovementKind::Receipt, c).await
    }

    /// PRT-2: a correction of a balance (signed), with its reason; faulty stock is written
    /// off the same way.
    pub async fn adjust_stock(&self, ctx: &Ctx, c: StockChange) -> Result<MovementRecord> {
        self.change_stock(ctx, MovementKind::Adjustment, c).await
    }

    async fn change_stock(
        &self,
        ctx: &Ctx,
        kind: MovementKind,
        c: StockChange,
    ) -> Result<MovementRecord> {
        require(&ctx.actor, Action::ManageStock)?;
        check_reason(&c.reason)?;
        let condition = match c.condition.as_deref().map(str::trim) {
            None | Some("") => Condition::Good,
            Some(text) => text
                .parse::<Condition>()
                .map_err(|e| Error::invalid("condition", e))?,
        };
        if kind == MovementKind::Receipt && condition == Condition::Faulty {
            return Err(Error::invalid("condition", "receipts are of usable parts"));
        }
        rules::check_quantity(kind, c.quantity).map_err(|e| Error::invalid("quantity", e))?;
        let mut tx = self.db.write().await?;
        let m = Movement {
            kind: Some(kind),
            part_id: c.part_id,
            warehouse_id: c.warehouse_id,
            condition: Some(condition),
            quantity: c.quantity,
            reason: c.reason.trim(),
            ..Movement::default()
        };
        let row = book(&mut tx, ctx, &m).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// PRT-2: sends parts to another location; they leave the source now and are in transit
    /// until received. A transfer to the same location is refused (422).
    pub async fn send_transfer(&self, ctx: &Ctx, t: TransferInput) -> Result<TransferRecord> {
        require(&ctx.actor, Action::ManageStock)?;
        let mut fields = Fields::default();
        check_note(&mut fields, "reason", &t.reason, false);
        fields.check(
            "to_warehouse_id",
            rules::check_transfer(t.from_warehouse_id, t.to_warehouse_id),
        );
        fields.check(
            "quantity",
            rules::check_quantity(MovementKind::TransferOut, t.quantity),
        );
        fields.finish()?;
        let mut tx = self.db.write().await?;
        active_part(&mut tx, t.part_id, "part_id").await?;
        for (field, id) in [
            ("from_warehouse_id", t.from_warehouse_id),
            ("to_warehouse_id", t.to_warehouse_id),
        ] {
            let w = store::get_warehouse(&mut tx, id).await?;
            if !w.is_some_and(|w| w.active) {
                return Err(Error::invalid(field, "no such active warehouse"));
            }
        }
        let now = now_ms();
        let id = store::insert_transfer(
            &mut tx,
            &NewTransfer {
                part_id: t.part_id,
                from_warehouse_id: t.from_warehouse_id,
                to_warehouse_id: t.to_warehouse_id,
                quantity: t.quantity,
                reason: t.reason.trim(),
            },
            ctx.actor.user_id,
            now,
        )
        .await?;
        let m = Movement {
            kind: Some(MovementKind::TransferOut),
            part_id: t.part_id,
            warehouse_id: t.from_warehouse_id,
            quantity: t.quantity,
            reason: t.reason.trim(),
            transfer_id: Some(id),
            ..Movement::default()
        };
        ledger::post(&mut tx, ctx, &m, now).await?;
        let row = store::get_transfer(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("transfer"))?;
        audit::record(&mut tx, ctx, "stock_transfer", id, "send", None, Some(&row)).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// PRT-2: a transfer arrives; the destination's stock goes up. The warehouse receives at
    /// any location, an engineer only into their own stock. Received twice → 409.
    pub async fn receive_transfer(&self, ctx: &Ctx, id: i64) -> Result<TransferRecord> {
        let mut tx = self.db.write().await?;
        let before = store::get_transfer(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("transfer"))?;
        visible_warehouse(
            &mut tx,
            ctx,
            Action::ReceiveTransfers,
            before.to_warehouse_id,
        )
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound("transfer"),
            other => other,
        })?;
        let now = now_ms();
        store::receive_transfer(&mut tx, id, ctx.actor.user_id, now)
            .await
            .map_err(|_| Error::conflict(Some("status"), format!("transfer {id} was received")))?;
        let m = Movement {
            kind: Some(MovementKind::TransferIn),
            part_id: before.part_id,
            warehouse_id: before.to_warehouse_id,
            quantity: before.quantity,
            reason: &before.reason,
            transfer_id: Some(id),
            ..Movement::default()
        };
        ledger::post(&mut tx, ctx, &m, now).await?;
        let after = store::get_transfer(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("transfer"))?;
        audit::record(
            &mut tx,
            ctx,
            "stock_transfer",
            id,
            "receive",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRT-2: transfers to the locations the caller may see, newest first.
    pub async fn transfers(
        &self,
        ctx: &Ctx,
        in_transit_only: bool,
        cursor: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<TransferRecord>> {
        let limit = page_size(limit)?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadStock).await?;
        let places = places_of(&visible);
        Ok(store::transfers(&mut tx, in_transit_only, &places, cursor, limit).await?)
    }

    /// PRT-1: min/max for a part at a location (0 = none). Setting a minimum above what is
    /// there raises the low-stock alert at once.
    pub async fn set_stock_levels(
        &self,
        ctx: &Ctx,
        part_id: i64,
        warehouse_id: i64,
        min_qty: i64,
        max_qty: i64,
    ) -> Result<StockRecord> {
        require(&ctx.actor, Action::ManageStock)?;
        rules::check_levels(min_qty, max_qty).map_err(|e| Error::invalid("max_qty", e))?;
        let mut tx = self.db.write().await?;
        let after = set_levels(&mut tx, ctx, part_id, warehouse_id, (min_qty, max_qty)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRT-1: the min/max the last 90 days of issues from this location suggest.
    pub async fn suggest_stock_levels(
        &self,
        ctx: &Ctx,
        part_id: i64,
        warehouse_id: i64,
    ) -> Result<LevelSuggestion> {
        let mut tx = self.db.read().await?;
        visible_warehouse(&mut tx, ctx, Action::ReadStock, warehouse_id).await?;
        let since = now_ms() - SUGGESTION_DAYS * DAY_MS;
        let issued = store::issued_since(&mut tx, part_id, warehouse_id, since).await?;
        let (min_qty, max_qty) = rules::suggest_levels(issued);
        Ok(LevelSuggestion {
            part_id,
            warehouse_id,
            issued_last_days: issued,
            days: SUGGESTION_DAYS,
            min_qty,
            max_qty,
        })
    }

    /// PRT-1: stock per part and location, within the caller's reach.
    pub async fn stock(&self, ctx: &Ctx, q: StockQuery) -> Result<Page<StockRecord>> {
        let limit = page_size(q.limit)?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadStock).await?;
        let filter = StockFilter {
            warehouse_id: q.warehouse_id,
            part_id: q.part_id,
            places: places_of(&visible),
            low_only: q.low_only,
        };
        Ok(store::list_stock(&mut tx, &filter, q.cursor.unwrap_or(0), limit).await?)
    }

    /// PRT-1: what to order: every balance below its minimum with the quantity that brings
    /// it (with what is in transit) back to its maximum.
    pub async fn reorder_list(&self, ctx: &Ctx) -> Result<Vec<ReorderLine>> {
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadStock).await?;
        let filter = StockFilter {
            places: places_of(&visible),
            low_only: true,
            ..StockFilter::default()
        };
        let rows = store::list_stock(&mut tx, &filter, 0, REORDER_ROWS).await?;
        Ok(rows
            .items
            .into_iter()
            .map(|s| ReorderLine {
                reorder_qty: rules::reorder_quantity(s.on_hand, s.in_transit, s.min_qty, s.max_qty),
                stock: s,
            })
            .filter(|l| l.reorder_qty > 0)
            .collect())
    }

    /// PRT-2: the ledger, newest first, filtered; within the caller's reach.
    pub async fn movements(&self, ctx: &Ctx, q: MovementQuery) -> Result<Page<MovementRecord>> {
        let limit = page_size(q.limit)?;
        if let Some(kind) = &q.kind {
            kind.parse::<MovementKind>()
                .map_err(|e| Error::invalid("kind", e))?;
        }
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadStock).await?;
        let filter = MovementFilter {
            part_id: q.part_id,
            warehouse_id: q.warehouse_id,
            kind: q.kind,
            part_request_id: q.part_request_id,
            from_ms: q.from_ms,
            to_ms: q.to_ms,
            places: places_of(&visible),
        };
        Ok(store::movements(&mut tx, &filter, q.cursor, limit).await?)
    }

    /// PRT-2: every balance that does not equal the sum of its ledger (there should be none).
    pub async fn verify_stock(&self, ctx: &Ctx) -> Result<Vec<Mismatch>> {
        require(&ctx.actor, Action::ManageStock)?;
        let mut tx = self.db.read().await?;
        Ok(store::mismatches(&mut tx).await?)
    }
}

/// Midnight (business time) starting the day `text` (YYYY-MM-DD), or the next day's when
/// `next` (an inclusive end); `None` when it is no date.
pub fn day_start_ms(text: &str, next: bool) -> Option<i64> {
    let day: jiff::civil::Date = text.trim().parse().ok()?;
    let day = if next { day.tomorrow().ok()? } else { day };
    crate::service::sla_ops::day_start_ms(day).ok()
}
