//! PRT-2: the one way use cases move stock. [`post`] books a movement through
//! `store::parts::post` (ledger row + guarded balance change in the caller's transaction),
//! turns a shortfall into a 409 `insufficient_stock` that names the part, the location and
//! what is there, and raises the low-stock alert once per crossing (PRT-1). Receipts against
//! purchase orders (PRT-5) and count adjustments (PRT-4) call it with their link set.

use medcrm_domain::auth::Role;
use medcrm_domain::parts::{self as rules, Condition, MovementKind};
use medcrm_store::Tx;
use medcrm_store::notifications::{self as inbox, NewNotification};
use medcrm_store::parts::{self as store, NewMovement, Posted};
use medcrm_store::service::dispatch::active_with_role;

use crate::{Ctx, Error, Result};

/// A movement as a use case states it: `quantity` is the number of units (> 0) for every
/// kind but `Adjustment`, which is signed.
#[derive(Debug, Clone, Default)]
pub struct Movement<'a> {
    pub kind: Option<MovementKind>,
    pub part_id: i64,
    pub warehouse_id: i64,
    pub condition: Option<Condition>,
    pub quantity: i64,
    pub reason: &'a str,
    pub part_request_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub transfer_id: Option<i64>,
    pub purchase_order_id: Option<i64>,
    pub stock_count_id: Option<i64>,
}

/// Books `m` and returns the ledger row's id. Every movement of every kind goes through here.
pub async fn post(tx: &mut Tx, ctx: &Ctx, m: &Movement<'_>, now_ms: i64) -> Result<i64> {
    let kind = m
        .kind
        .ok_or_else(|| Error::Internal("movement without a kind".into()))?;
    rules::check_quantity(kind, m.quantity).map_err(|e| Error::invalid("quantity", e))?;
    let condition = m.condition.unwrap_or(Condition::Good);
    let posted = store::post(
        tx,
        &NewMovement {
            kind: kind.code(),
            part_id: m.part_id,
            warehouse_id: m.warehouse_id,
            condition: condition.code(),
            quantity: kind.signed(m.quantity),
            reason: m.reason,
            part_request_id: m.part_request_id,
            ticket_id: m.ticket_id,
            transfer_id: m.transfer_id,
            purchase_order_id: m.purchase_order_id,
            stock_count_id: m.stock_count_id,
        },
        ctx.actor.user_id,
        now_ms,
    )
    .await?;
    match posted {
        Posted::Done { movement_id, .. } => {
            alert_if_low(tx, m.part_id, m.warehouse_id, now_ms).await?;
            Ok(movement_id)
        }
        Posted::Insufficient { available } => {
            let part = store::get_part(tx, m.part_id).await?;
            let place = store::get_warehouse(tx, m.warehouse_id).await?;
            let (code, name) = part.map(|p| (p.code, p.name)).unwrap_or_default();
            let place = place.map(|w| w.name).unwrap_or_default();
            let what = if condition == Condition::Faulty {
                "faulty"
            } else {
                "on hand"
            };
            Err(Error::Insufficient {
                code: "insufficient_stock",
                field: "quantity",
                message: format!(
                    "not enough {code} {name} at {place}: {} needed, {available} {what}",
                    m.quantity.abs()
                ),
            })
        }
    }
}

/// PRT-1: tells every warehouse user when a balance has just fallen below its minimum (once
/// per crossing: the mark is set by a guarded UPDATE and cleared when stock is back).
pub(crate) async fn alert_if_low(
    tx: &mut Tx,
    part_id: i64,
    warehouse_id: i64,
    now_ms: i64,
) -> Result<()> {
    if !store::mark_low(tx, part_id, warehouse_id, now_ms).await? {
        return Ok(());
    }
    let Some(s) = store::get_stock(tx, part_id, warehouse_id).await? else {
        return Ok(());
    };
    let subject = format!("{} {} @ {}", s.part_code, s.part_name, s.warehouse_name);
    let detail = format!("{} / {}", s.on_hand, s.min_qty);
    let link = format!("/parts/stock?warehouse_id={warehouse_id}&low=1");
    for (user_id, _) in active_with_role(tx, Role::Warehouse.code()).await? {
        let key = format!("low_stock:{}:{now_ms}:{user_id}", s.id);
        let n = NewNotification {
            user_id,
            kind: "low_stock",
            subject: &subject,
            detail: &detail,
            link: &link,
            dedupe_key: &key,
        };
        inbox::add(tx, &n, now_ms).await?;
    }
    Ok(())
}
