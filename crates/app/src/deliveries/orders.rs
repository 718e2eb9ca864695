//! ORD-1: orders call off quantities of a signed contract's lines, never more than the
//! contract holds; an order nothing was shipped against may be cancelled.

use std::collections::BTreeMap;

use medcrm_domain::deliveries::OrderStatus;
use medcrm_store::contracts::{self as contracts, ContractLine, ContractRecord};
use medcrm_store::deliveries::{self as store, NewOrder, OrderFilter};
use medcrm_store::{Page, Tx};

use super::{DeliveryRecord, MAX_QUANTITY, OrderLineRecord, OrderRecord, reach};
use crate::customers::{check_text, parse_date, today};
use crate::error::Fields;
use crate::org::visibility;
use crate::policy::{self, Action};
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// Lines on one order.
const MAX_ORDER_LINES: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct OrderLineInput {
    /// The contract line called off.
    pub line_no: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    pub contract_id: i64,
    pub requested_date: String,
    pub note: String,
    pub lines: Vec<OrderLineInput>,
}

#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    pub status: Option<String>,
    pub contract_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub query: Option<String>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct OrderDetail {
    pub record: OrderRecord,
    pub lines: Vec<OrderLineRecord>,
    pub deliveries: Vec<DeliveryRecord>,
}

/// The new-order form: the contract and, per line in force, what may still be called off.
#[derive(Debug, Clone)]
pub struct OrderForm {
    pub contract: ContractRecord,
    pub lines: Vec<(ContractLine, i64)>,
}

/// The order if the caller's scope for `action` reaches it; "not found" otherwise.
pub(super) async fn visible_order(
    tx: &mut Tx,
    ctx: &Ctx,
    action: Action,
    id: i64,
) -> Result<OrderRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get_order(tx, id)
        .await?
        .filter(|o| policy::can_see(&visible, Some(o.owner_id), &[o.region_id]))
        .ok_or(Error::NotFound("order"))
}

pub(super) fn order_status(o: &OrderRecord) -> Result<OrderStatus> {
    o.status.parse().map_err(Error::Internal)
}

async fn detail(tx: &mut Tx, record: OrderRecord) -> Result<OrderDetail> {
    let lines = store::order_lines(tx, record.id).await?;
    let deliveries = store::deliveries_of_order(tx, record.id).await?;
    Ok(OrderDetail {
        record,
        lines,
        deliveries,
    })
}

/// The contract an order may be called off: in scope, signed or in execution, with the lines
/// of the version in force.
async fn open_contract(
    tx: &mut Tx,
    ctx: &Ctx,
    contract_id: i64,
) -> Result<(ContractRecord, Vec<ContractLine>)> {
    let (visible, _) = visibility(tx, ctx, Action::ManageOrders).await?;
    let contract = contracts::get(tx, contract_id)
        .await?
        .filter(|k| policy::can_see(&visible, Some(k.owner_id), &[k.region_id]))
        .ok_or(Error::NotFound("contract"))?;
    let version = match (contract.status.as_str(), contract.effective_version) {
        ("signed" | "in_execution", Some(v)) => v,
        (status, _) => {
            return Err(Error::Refused {
                code: "contract_not_signed",
                field: "contract_id",
                message: format!(
                    "合同 {} 状态为 {status}，只有已签订或执行中的合同可以下单。\
                     Only a signed contract or one in execution takes orders ({} is {status}).",
                    contract.number, contract.number
                ),
            });
        }
    };
    let lines = contracts::lines(tx, contract_id, version).await?;
    Ok((contract, lines))
}

/// Quantity already called off per contract line.
async fn ordered(tx: &mut Tx, contract_id: i64) -> Result<BTreeMap<i64, i64>> {
    Ok(store::ordered_per_line(tx, contract_id)
        .await?
        .into_iter()
        .collect())
}

impl App {
    /// ORD-1: what remains to call off each line of a contract (the new-order form).
    pub async fn order_form(&self, ctx: &Ctx, contract_id: i64) -> Result<OrderForm> {
        let mut tx = self.db.read().await?;
        let (contract, lines) = open_contract(&mut tx, ctx, contract_id).await?;
        let done = ordered(&mut tx, contract_id).await?;
        let lines = lines
            .into_iter()
            .map(|l| {
                let left = l.quantity - done.get(&l.line_no).copied().unwrap_or(0);
                (l, left.max(0))
            })
            .collect();
        Ok(OrderForm { contract, lines })
    }

    /// ORD-1: an order calling off quantities of a signed contract's lines.
    pub async fn create_order(&self, ctx: &Ctx, input: OrderInput) -> Result<OrderDetail> {
        policy::require(&ctx.actor, Action::ManageOrders)?;
        let mut tx = self.db.write().await?;
        let (contract, lines) = open_contract(&mut tx, ctx, input.contract_id).await?;
        let mut fields = Fields::default();
        check_text(&mut fields, "note", &input.note, 0, 1000);
        let requested = parse_date(&mut fields, "requested_date", Some(&input.requested_date));
        if requested.is_none() {
            fields.add("requested_date", "the date the customer wants the goods");
        }
        if input.lines.is_empty() || input.lines.len() > MAX_ORDER_LINES {
            fields.add("lines", format!("1 to {MAX_ORDER_LINES} lines"));
        }
        fields.finish()?;
        let requested = requested.unwrap_or_else(today).to_string();
        // Two orders against one contract check the called-off quantities one at a time.
        store::lock_contract(&mut tx, contract.id).await?;
        let mut done = ordered(&mut tx, contract.id).await?;
        let mut chosen = Vec::with_capacity(input.lines.len());
        for (i, l) in input.lines.iter().enumerate() {
            let n = i + 1;
            let line = lines
                .iter()
                .find(|c| c.line_no == l.line_no)
                .ok_or_else(|| {
                    Error::invalid(
                        "lines",
                        format!("line {n}: the contract has no line {}", l.line_no),
                    )
                })?;
            if !(1..=MAX_QUANTITY).contains(&l.quantity) {
                return Err(Error::invalid(
                    "lines",
                    format!("line {n}: quantity 1 to {MAX_QUANTITY}"),
                ));
            }
            let before = done.entry(line.line_no).or_insert(0);
            if *before + l.quantity > line.quantity {
                return Err(Error::Refused {
                    code: "over_ordered",
                    field: "lines",
                    message: format!(
                        "合同第 {no} 行 {name}：合同数量 {total}，已下单 {before}，本次 {qty}，超出合同数量。\
                         Contract line {no} ({code}): {total} contracted, {before} already ordered, \
                         {qty} more would exceed it.",
                        no = line.line_no,
                        name = line.product_name,
                        code = line.product_code,
                        total = line.quantity,
                        qty = l.quantity,
                    ),
                });
            }
            *before += l.quantity;
            chosen.push((line, l.quantity));
        }
        let new = NewOrder {
            contract_id: contract.id,
            institution_id: contract.institution_id,
            owner_id: contract.owner_id,
            region_id: contract.region_id,
            requested_date: &requested,
            note: input.note.trim(),
        };
        let id =
            store::insert_order(&mut tx, &new, ctx.actor.user_id, today().year(), now_ms()).await?;
        for (line, qty) in chosen {
            store::insert_order_line(
                &mut tx,
                id,
                contract.id,
                (line.line_no, line.product_id),
                qty,
                line.unit_price_fen,
            )
            .await?;
        }
        let record = store::get_order(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("order"))?;
        let detail = detail(&mut tx, record).await?;
        audit::record(&mut tx, ctx, "order", id, "create", None, Some(&detail)).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// ORD-1: an order with its lines and shipments.
    pub async fn order(&self, ctx: &Ctx, id: i64) -> Result<OrderDetail> {
        let mut tx = self.db.read().await?;
        let record = visible_order(&mut tx, ctx, Action::ReadOrders, id).await?;
        detail(&mut tx, record).await
    }

    /// ORD-1: orders in scope, newest first.
    pub async fn orders(&self, ctx: &Ctx, q: &OrderQuery) -> Result<Page<OrderRecord>> {
        let limit = crate::page_size(q.limit)?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadOrders).await?;
        let mut fields = Fields::default();
        if let Some(s) = &q.status {
            fields.check("status", s.parse::<OrderStatus>().map(drop));
        }
        fields.finish()?;
        let filter = OrderFilter {
            status: q.status.clone(),
            contract_id: q.contract_id,
            institution_id: q.institution_id,
            query: crate::org::blank_to_none(q.query.clone()),
            reach: reach(&visible),
        };
        Ok(store::list_orders(&mut tx, &filter, q.cursor, limit).await?)
    }

    /// ORD-1: cancels an open order nothing was shipped against (409 otherwise).
    pub async fn cancel_order(&self, ctx: &Ctx, id: i64) -> Result<OrderDetail> {
        let mut tx = self.db.write().await?;
        let before = visible_order(&mut tx, ctx, Action::ManageOrders, id).await?;
        store::cancel_order(&mut tx, id).await.map_err(|_| {
            Error::conflict(
                Some("status"),
                format!(
                    "only an open order with nothing shipped can be cancelled (it is {})",
                    before.status
                ),
            )
        })?;
        let record = store::get_order(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("order"))?;
        audit::record(
            &mut tx,
            ctx,
            "order",
            id,
            "cancel",
            Some(&before),
            Some(&record),
        )
        .await?;
        let detail = detail(&mut tx, record).await?;
        tx.commit().await?;
        Ok(detail)
    }
}
