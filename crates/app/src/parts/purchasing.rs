//! PRT-5: purchasing from qualified suppliers. An order goes only to a supplier whose latest
//! first-time review (首营审核, PRD-3) is approved, and states per line the spec, quantity, unit
//! price (fen) and the quality standard the goods are accepted against, with one delivery
//! date. Deliveries are received against the open order, in parts: each receipt carries its
//! acceptance record (the inspector; per line what arrived, what was accepted — with the lot
//! or one serial per unit where the part is tracked — and why the rest was rejected). Accepted
//! units are posted to stock as receipts linked to the order; rejected ones never enter stock
//! and do not count against the order. A receipt may not bring more than is outstanding, nor
//! land on a closed order; the order closes itself once every line is accepted in full.

use std::collections::BTreeSet;

use jiff::civil::Date;
use medcrm_domain::auth::Role;
use medcrm_domain::parts::{self as rules, MovementKind, OrderStatus, Tracking, WarehouseKind};
use medcrm_domain::products::ReviewStatus;
use medcrm_store::parts::purchasing::{
    self as store, NewOrder, NewOrderLine, NewReceiptLine, OrderFilter,
};
use medcrm_store::products::{self as products, Subject};
use medcrm_store::{Page, Tx};

pub use medcrm_store::parts::purchasing::{
    OrderLineRecord, OrderRecord, ReceiptLineRecord, ReceiptRecord,
};

use super::ledger::{self, Movement};
use super::{MAX_UNIT_COST_FEN, active_part, active_with_role};
use crate::customers::{check_text, today};
use crate::error::Fields;
use crate::policy::{Action, require};
use crate::service::check_note;
use crate::{App, Ctx, Error, Result, audit, now_ms, page_size};

/// Most lines on one order or one receipt.
pub const MAX_LINES: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    pub supplier_id: i64,
    /// Where the goods are delivered: central or regional stock.
    pub warehouse_id: i64,
    /// YYYY-MM-DD, today or later.
    pub delivery_date: String,
    pub note: String,
    pub lines: Vec<OrderLineInput>,
}

#[derive(Debug, Clone, Default)]
pub struct OrderLineInput {
    pub part_id: i64,
    /// The spec ordered; the part's own spec when empty.
    pub spec: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub quality_standard: String,
}

#[derive(Debug, Clone, Default)]
pub struct ReceiptInput {
    /// Who inspected the delivery (quality or warehouse); the caller when not given.
    pub inspector_id: Option<i64>,
    pub note: String,
    pub lines: Vec<ReceiptLineInput>,
}

#[derive(Debug, Clone, Default)]
pub struct ReceiptLineInput {
    pub line_no: i64,
    pub received_qty: i64,
    pub accepted_qty: i64,
    /// The lot number, or one serial number per accepted unit, where the part is tracked.
    pub trace: String,
    /// Why units were rejected; required when fewer are accepted than received.
    pub reject_reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    pub status: Option<String>,
    pub supplier_id: Option<i64>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// A receipt with its acceptance lines.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReceiptView {
    pub receipt: ReceiptRecord,
    pub lines: Vec<ReceiptLineRecord>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct OrderView {
    pub order: OrderRecord,
    pub lines: Vec<OrderLineRecord>,
    pub receipts: Vec<ReceiptView>,
}

async fn order_view(tx: &mut Tx, id: i64) -> Result<OrderView> {
    let order = store::get_order(tx, id)
        .await?
        .ok_or(Error::NotFound("purchase order"))?;
    let lines = store::order_lines(tx, id).await?;
    let mut receipt_lines = store::receipt_lines(tx, id).await?;
    let receipts = store::receipts(tx, id)
        .await?
        .into_iter()
        .map(|receipt| {
            let (mine, rest) = receipt_lines
                .drain(..)
                .partition(|l| l.receipt_id == receipt.id);
            receipt_lines = rest;
            ReceiptView {
                receipt,
                lines: mine,
            }
        })
        .collect();
    Ok(OrderView {
        order,
        lines,
        receipts,
    })
}

/// PRD-3: refuses a supplier whose latest first-time review is not approved.
async fn qualified_supplier(tx: &mut Tx, supplier_id: i64) -> Result<()> {
    let supplier = products::get_supplier(tx, supplier_id)
        .await?
        .ok_or_else(|| Error::invalid("supplier_id", "no such supplier"))?;
    let approved = products::reviews_of(tx, Subject::Supplier(supplier_id))
        .await?
        .first()
        .is_some_and(|r| r.status == ReviewStatus::Approved.code());
    if approved {
        return Ok(());
    }
    Err(Error::Refused {
        code: "supplier_not_qualified",
        field: "supplier_id",
        message: format!(
            "{} has not been approved in first-time review (首营审核): no orders to it",
            supplier.name
        ),
    })
}

fn check_order(input: &OrderInput) -> Result<Date> {
    let mut fields = Fields::default();
    check_note(&mut fields, "note", &input.note, false);
    let date = input.delivery_date.trim().parse::<Date>();
    match &date {
        Err(_) => fields.add("delivery_date", "YYYY-MM-DD"),
        Ok(d) if *d < today() => fields.add("delivery_date", "today or later"),
        Ok(_) => {}
    }
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        fields.add("lines", format!("1 to {MAX_LINES} lines"));
    }
    let mut parts = BTreeSet::new();
    for (n, l) in input.lines.iter().enumerate() {
        let n = n + 1;
        let mut line = Fields::default();
        line.check(
            "quantity",
            rules::check_quantity(MovementKind::Receipt, l.quantity),
        );
        if !(0..=MAX_UNIT_COST_FEN).contains(&l.unit_price_fen) {
            line.add("unit_price_fen", format!("0 to {MAX_UNIT_COST_FEN} fen"));
        }
        check_text(&mut line, "quality_standard", &l.quality_standard, 1, 200);
        check_text(&mut line, "spec", &l.spec, 0, 500);
        if !parts.insert(l.part_id) {
            line.add("part_id", "the part is on another line already");
        }
        if let Err(Error::Invalid(errors)) = line.finish() {
            let text: Vec<String> = errors.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            fields.add("lines", format!("line {n}: {}", text.join("; ")));
        }
    }
    fields.finish()?;
    date.map_err(|_| Error::invalid("delivery_date", "YYYY-MM-DD"))
}

fn check_receipt_input(input: &ReceiptInput) -> Result<()> {
    let mut fields = Fields::default();
    check_note(&mut fields, "note", &input.note, false);
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        fields.add("lines", format!("1 to {MAX_LINES} lines"));
    }
    let mut seen = BTreeSet::new();
    for l in &input.lines {
        let n = l.line_no;
        if !seen.insert(n) {
            fields.add("lines", format!("line {n}: given twice"));
        }
        let mut line = Fields::default();
        check_note(
            &mut line,
            "reject_reason",
            &l.reject_reason,
            l.accepted_qty < l.received_qty,
        );
        if let Err(Error::Invalid(errors)) = line.finish() {
            let text: Vec<String> = errors.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            fields.add("lines", format!("line {n}: {}", text.join("; ")));
        }
    }
    fields.finish()
}

fn over_ordered(line_no: i64, why: String) -> Error {
    Error::Refused {
        code: "over_ordered",
        field: "lines",
        message: format!("line {line_no}: {why}"),
    }
}

impl App {
    /// PRT-5: an order to a qualified supplier (422 `supplier_not_qualified` otherwise).
    pub async fn create_purchase_order(&self, ctx: &Ctx, input: OrderInput) -> Result<OrderView> {
        require(&ctx.actor, Action::ManagePurchasing)?;
        let delivery = check_order(&input)?;
        let mut tx = self.db.write().await?;
        qualified_supplier(&mut tx, input.supplier_id).await?;
        let place = medcrm_store::parts::get_warehouse(&mut tx, input.warehouse_id)
            .await?
            .filter(|w| w.active)
            .ok_or_else(|| Error::invalid("warehouse_id", "no such active warehouse"))?;
        if place.kind == WarehouseKind::Engineer.code() {
            return Err(Error::invalid(
                "warehouse_id",
                "suppliers deliver to central or regional stock",
            ));
        }
        let mut specs = Vec::with_capacity(input.lines.len());
        for (l, n) in input.lines.iter().zip(1..) {
            let part = active_part(&mut tx, l.part_id, "lines").await?;
            let spec = match l.spec.trim() {
                "" => part.spec,
                given => given.to_owned(),
            };
            if spec.is_empty() {
                return Err(Error::invalid(
                    "lines",
                    format!("line {n}: spec: required (the part has none)"),
                ));
            }
            specs.push(spec);
        }
        let lines: Vec<NewOrderLine> = input
            .lines
            .iter()
            .zip(&specs)
            .zip(1..)
            .map(|((l, spec), line_no)| NewOrderLine {
                line_no,
                part_id: l.part_id,
                spec,
                quantity: l.quantity,
                unit_price_fen: l.unit_price_fen,
                quality_standard: l.quality_standard.trim(),
            })
            .collect();
        let day = today().strftime("%Y%m%d").to_string();
        let delivery_date = delivery.to_string();
        let order = NewOrder {
            supplier_id: input.supplier_id,
            warehouse_id: place.id,
            delivery_date: &delivery_date,
            note: input.note.trim(),
            day: &day,
        };
        let id = store::insert_order(&mut tx, &order, &lines, ctx.actor.user_id, now_ms()).await?;
        let view = order_view(&mut tx, id).await?;
        audit::record(
            &mut tx,
            ctx,
            "purchase_order",
            id,
            "create",
            None,
            Some(&view),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// PRT-5: a delivery against an open order with its acceptance record. More than is
    /// outstanding → 422 `over_ordered`; a closed order → 409. Accepted units enter stock at
    /// the order's location as receipts linked to the order.
    pub async fn receive_purchase_order(
        &self,
        ctx: &Ctx,
        id: i64,
        input: ReceiptInput,
    ) -> Result<OrderView> {
        require(&ctx.actor, Action::ManagePurchasing)?;
        check_receipt_input(&input)?;
        let mut tx = self.db.write().await?;
        let before = store::get_order(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("purchase order"))?;
        let now = now_ms();
        // The order row first: a concurrent close or receipt waits here and re-checks.
        if !store::lock_open_order(&mut tx, id, now).await? {
            return Err(Error::conflict(
                Some("status"),
                format!(
                    "{} is closed: nothing more is received against it",
                    before.number
                ),
            ));
        }
        let inspector = input.inspector_id.unwrap_or(ctx.actor.user_id);
        if !active_with_role(&mut tx, inspector, &[Role::Quality, Role::Warehouse]).await? {
            return Err(Error::invalid(
                "inspector_id",
                "not an active quality or warehouse user",
            ));
        }
        let order_lines = store::order_lines(&mut tx, id).await?;
        let mut checked = Vec::with_capacity(input.lines.len());
        for l in &input.lines {
            let line = order_lines
                .iter()
                .find(|o| o.line_no == l.line_no)
                .ok_or_else(|| {
                    Error::invalid("lines", format!("line {}: not on the order", l.line_no))
                })?;
            let outstanding = rules::outstanding(line.quantity, line.accepted_qty);
            rules::check_receipt(outstanding, l.received_qty, l.accepted_qty)
                .map_err(|why| over_ordered(l.line_no, why))?;
            let tracking = line.tracking.parse::<Tracking>().map_err(Error::Internal)?;
            let trace = rules::check_trace(tracking, &l.trace, l.accepted_qty)
                .map_err(|e| Error::invalid("lines", format!("line {}: trace: {e}", l.line_no)))?;
            checked.push((line, l, trace));
        }
        let receipt = store::insert_receipt(
            &mut tx,
            id,
            inspector,
            input.note.trim(),
            ctx.actor.user_id,
            now,
        )
        .await?;
        for (line, l, trace) in checked {
            if !store::book_line(&mut tx, line.id, l.received_qty, l.accepted_qty).await? {
                return Err(Error::Insufficient {
                    code: "over_ordered",
                    field: "lines",
                    message: format!("line {}: more than is outstanding", l.line_no),
                });
            }
            let movement_id = if l.accepted_qty > 0 {
                let reason = match trace.as_str() {
                    "" => String::new(),
                    t => format!("[{t}]"),
                };
                let m = Movement {
                    kind: Some(MovementKind::Receipt),
                    part_id: line.part_id,
                    warehouse_id: before.warehouse_id,
                    quantity: l.accepted_qty,
                    reason: &reason,
                    purchase_order_id: Some(id),
                    ..Movement::default()
                };
                Some(ledger::post(&mut tx, ctx, &m, now).await?)
            } else {
                None
            };
            let row = NewReceiptLine {
                order_line_id: line.id,
                received_qty: l.received_qty,
                accepted_qty: l.accepted_qty,
                trace: &trace,
                reject_reason: l.reject_reason.trim(),
                movement_id,
            };
            store::insert_receipt_line(&mut tx, receipt, &row).await?;
        }
        store::close_if_complete(&mut tx, id, "received in full", ctx.actor.user_id, now).await?;
        let after = order_view(&mut tx, id).await?;
        let record = after.receipts.iter().find(|r| r.receipt.id == receipt);
        audit::record(
            &mut tx,
            ctx,
            "purchase_receipt",
            receipt,
            "receive",
            None,
            record.map(|r| r as &dyn audit::ErasedJson),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRT-5: closes an open order short (the rest will not come), with the reason.
    pub async fn close_purchase_order(
        &self,
        ctx: &Ctx,
        id: i64,
        reason: &str,
    ) -> Result<OrderView> {
        require(&ctx.actor, Action::ManagePurchasing)?;
        let mut fields = Fields::default();
        check_note(&mut fields, "reason", reason, true);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let before = store::get_order(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("purchase order"))?;
        if !store::close_order(&mut tx, id, reason.trim(), ctx.actor.user_id, now_ms()).await? {
            return Err(Error::conflict(
                Some("status"),
                format!("{} is closed already", before.number),
            ));
        }
        let after = order_view(&mut tx, id).await?;
        audit::record(
            &mut tx,
            ctx,
            "purchase_order",
            id,
            "close",
            Some(&before),
            Some(&after.order),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRT-5: an order with its lines and receipts.
    pub async fn purchase_order(&self, ctx: &Ctx, id: i64) -> Result<OrderView> {
        require(&ctx.actor, Action::ReadPurchasing)?;
        let mut tx = self.db.read().await?;
        order_view(&mut tx, id).await
    }

    /// PRT-5: orders, newest first, by status and supplier.
    pub async fn purchase_orders(&self, ctx: &Ctx, q: OrderQuery) -> Result<Page<OrderRecord>> {
        require(&ctx.actor, Action::ReadPurchasing)?;
        let limit = page_size(q.limit)?;
        let status = q
            .status
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if let Some(s) = &status {
            s.parse::<OrderStatus>()
                .map_err(|e| Error::invalid("status", e))?;
        }
        let filter = OrderFilter {
            status,
            supplier_id: q.supplier_id,
        };
        let mut tx = self.db.read().await?;
        Ok(store::orders(&mut tx, &filter, q.cursor, limit).await?)
    }
}
