//! ORD-1 shipments: items with lot/serial/dates or a UDI scan that fills them, the PRD-5
//! documents, the sale gate again on the ship date, and in the same transaction the order's
//! delivered quantities, the contract ledger, the installed base (ORD-2) and one GSP sales
//! record per item (ORD-3).

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use medcrm_domain::deliveries::{DeliveryStatus, OrderStatus, retain_until, warranty_end};
use medcrm_domain::products::DocumentKind;
use medcrm_domain::udi::{self, Udi};
use medcrm_store::customers::{self as customers_store, InstitutionRecord};
use medcrm_store::deliveries::{self as store, NewDelivery, NewDevice, NewGsp, NewItem};
use medcrm_store::products::{self as products_store, Owner, ProductRecord};
use medcrm_store::{Tx, contracts};

use super::orders::{order_status, visible_order};
use super::{DeliveryRecord, ItemRecord, MAX_CODE_CHARS, MAX_QUANTITY, OrderLineRecord};
use crate::customers::{institution_record, today};
use crate::error::Fields;
use crate::org::{blank_to_none, visibility};
use crate::policy::{self, Action};
use crate::products::{buyer, not_sellable, product_record, sale_refusals};
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// Items on one shipment (one per serial for serialized products).
const MAX_ITEMS: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    pub order_line_id: i64,
    pub quantity: i64,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub production_date: Option<String>,
    pub expiry_date: Option<String>,
    /// The scanned GS1 string; fills the fields left blank and must agree with those given.
    pub udi: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ShipInput {
    pub order_id: i64,
    pub ship_date: String,
    pub department_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// Empty: the customer's address.
    pub address: Option<String>,
    /// PRD-5: the manual, label and certificate of conformity went with the goods.
    pub manual_provided: bool,
    pub label_provided: bool,
    pub certificate_provided: bool,
    pub items: Vec<ItemInput>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DeliveryDetail {
    pub record: DeliveryRecord,
    pub items: Vec<ItemRecord>,
}

/// An item checked and completed from its UDI.
struct Item<'a> {
    line: &'a OrderLineRecord,
    quantity: i64,
    lot: Option<String>,
    serial: Option<String>,
    udi: Option<(String, String)>,
    production_date: Option<Date>,
    expiry_date: Option<Date>,
}

/// The refusal of a UDI that does not parse, naming the item and the exact reason.
fn bad_udi(n: usize, e: &udi::UdiError) -> Error {
    Error::Refused {
        code: "udi_invalid",
        field: "items",
        message: format!("item {n}: UDI 无法识别 / not a valid UDI: {e}"),
    }
}

/// The typed value, else the UDI's; both given must agree.
fn merge<T: PartialEq + ToString>(
    n: usize,
    what: &str,
    typed: Option<T>,
    scanned: Option<T>,
) -> Result<Option<T>> {
    match (typed, scanned) {
        (Some(t), Some(s)) if t != s => Err(Error::invalid(
            "items",
            format!(
                "item {n}: {what} {} differs from the UDI's {}",
                t.to_string(),
                s.to_string()
            ),
        )),
        (Some(t), _) => Ok(Some(t)),
        (None, s) => Ok(s),
    }
}

fn date_of(n: usize, what: &str, text: Option<String>) -> Result<Option<Date>> {
    match blank_to_none(text) {
        None => Ok(None),
        Some(t) => t.parse().map(Some).map_err(|_| {
            Error::invalid(
                "items",
                format!("item {n}: {what} must look like 2026-11-25"),
            )
        }),
    }
}

fn code_of(n: usize, what: &str, text: Option<String>) -> Result<Option<String>> {
    let value = blank_to_none(text.map(|t| t.trim().to_owned()));
    if value
        .as_ref()
        .is_some_and(|v| v.chars().count() > MAX_CODE_CHARS)
    {
        return Err(Error::invalid(
            "items",
            format!("item {n}: {what} is at most {MAX_CODE_CHARS} characters"),
        ));
    }
    Ok(value)
}

/// Checks one item against its product and completes it from its UDI.
fn item<'a>(
    n: usize,
    input: &ItemInput,
    lines: &'a [OrderLineRecord],
    products: &BTreeMap<i64, ProductRecord>,
) -> Result<Item<'a>> {
    let line = lines
        .iter()
        .find(|l| l.id == input.order_line_id)
        .ok_or_else(|| Error::invalid("items", format!("item {n}: not a line of this order")))?;
    let product = products
        .get(&line.product_id)
        .ok_or(Error::NotFound("product"))?;
    let scan: Option<(String, Udi)> = match blank_to_none(input.udi.clone()) {
        None => None,
        Some(text) => {
            let parsed = udi::parse(&text).map_err(|e| bad_udi(n, &e))?;
            Some((text.trim().to_owned(), parsed))
        }
    };
    let scanned = scan.as_ref().map(|(_, u)| u);
    let lot = merge(
        n,
        "lot",
        code_of(n, "lot", input.lot.clone())?,
        scanned.and_then(|u| u.lot.clone()),
    )?;
    let serial = merge(
        n,
        "serial",
        code_of(n, "serial", input.serial.clone())?,
        scanned.and_then(|u| u.serial.clone()),
    )?;
    let production_date = merge(
        n,
        "production date",
        date_of(n, "production date", input.production_date.clone())?,
        scanned.and_then(|u| u.production_date),
    )?;
    let expiry_date = merge(
        n,
        "expiry date",
        date_of(n, "expiry date", input.expiry_date.clone())?,
        scanned.and_then(|u| u.expiry_date),
    )?;
    if !(1..=MAX_QUANTITY).contains(&input.quantity) {
        return Err(Error::invalid(
            "items",
            format!("item {n}: quantity 1 to {MAX_QUANTITY}"),
        ));
    }
    if product.serialized {
        if serial.is_none() {
            return Err(Error::invalid(
                "items",
                format!(
                    "item {n}: {} is serialized: give its serial number",
                    product.code
                ),
            ));
        }
        if input.quantity != 1 {
            return Err(Error::invalid(
                "items",
                format!("item {n}: one item per serial, quantity 1"),
            ));
        }
    } else if lot.is_none() {
        return Err(Error::invalid(
            "items",
            format!("item {n}: give the lot number of {}", product.code),
        ));
    }
    if product.shelf_life_months.is_some() && expiry_date.is_none() {
        return Err(Error::invalid(
            "items",
            format!("item {n}: {} expires: give its expiry date", product.code),
        ));
    }
    if let (Some(p), Some(e)) = (production_date, expiry_date)
        && e <= p
    {
        return Err(Error::invalid(
            "items",
            format!("item {n}: the expiry date must be after the production date"),
        ));
    }
    Ok(Item {
        line,
        quantity: input.quantity,
        lot,
        serial,
        udi: scan.map(|(text, u)| (text, u.gtin)),
        production_date,
        expiry_date,
    })
}

/// Refuses a serial given twice in the shipment or delivered before (409).
async fn check_serials(tx: &mut Tx, items: &[Item<'_>]) -> Result<()> {
    let mut seen = BTreeSet::new();
    for it in items {
        let Some(serial) = &it.serial else { continue };
        let key = (it.line.product_id, serial.clone());
        if !seen.insert(key) || store::serial_shipped(tx, it.line.product_id, serial).await? {
            return Err(Error::conflict(
                Some("items"),
                format!(
                    "序列号 {serial}（{}）已发货。Serial {serial} of {} was already delivered.",
                    it.line.product_code, it.line.product_code
                ),
            ));
        }
    }
    Ok(())
}

/// The quantity per order line stays within what was ordered and not yet shipped.
fn check_quantities(items: &[Item<'_>]) -> Result<BTreeMap<i64, i64>> {
    let mut per_line: BTreeMap<i64, i64> = BTreeMap::new();
    for it in items {
        *per_line.entry(it.line.id).or_insert(0) += it.quantity;
    }
    for it in items {
        let l = it.line;
        let shipping = per_line.get(&l.id).copied().unwrap_or(0);
        if l.delivered_qty + shipping > l.quantity {
            return Err(Error::Refused {
                code: "over_delivered",
                field: "items",
                message: format!(
                    "第 {no} 行 {name}：订购 {q}，已发 {d}，本次 {shipping}，超出订购数量。\
                     Line {no} ({code}): {q} ordered, {d} shipped, {shipping} more would exceed it.",
                    no = l.line_no,
                    name = l.product_name,
                    code = l.product_code,
                    q = l.quantity,
                    d = l.delivered_qty,
                ),
            });
        }
    }
    Ok(per_line)
}

/// PRD-5: all three documents went with the goods, or the shipment is refused.
fn check_documents(input: &ShipInput) -> Result<()> {
    let missing: Vec<(&'static str, &str)> = [
        (input.manual_provided, "manual_provided", "说明书 manual"),
        (input.label_provided, "label_provided", "标签 label"),
        (
            input.certificate_provided,
            "certificate_provided",
            "合格证 certificate of conformity",
        ),
    ]
    .into_iter()
    .filter(|(given, _, _)| !given)
    .map(|(_, field, name)| (field, name))
    .collect();
    match missing.first() {
        None => Ok(()),
        Some((field, _)) => Err(Error::Refused {
            code: "documents_missing",
            field,
            message: format!(
                "随货资料未齐全：{}。Each product ships with its manual, label and certificate of conformity (PRD-5).",
                missing
                    .iter()
                    .map(|(_, n)| *n)
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        }),
    }
}

/// The registration certificate (or filing) number valid on `date`, else the latest one.
async fn registration_no(tx: &mut Tx, product_id: i64, date: Date) -> Result<String> {
    let day = date.to_string();
    let docs: Vec<_> = products_store::documents_of(tx, Owner::Product(product_id))
        .await?
        .into_iter()
        .filter(|d| {
            d.kind == DocumentKind::RegistrationCertificate.code()
                || d.kind == DocumentKind::Filing.code()
        })
        .collect();
    let valid = docs
        .iter()
        .filter(|d| d.valid_from <= day && day <= d.valid_to)
        .max_by(|a, b| a.valid_to.cmp(&b.valid_to));
    Ok(valid
        .or_else(|| docs.iter().max_by(|a, b| a.valid_to.cmp(&b.valid_to)))
        .map(|d| d.number.clone())
        .unwrap_or_default())
}

/// The buyer's contact for the sales record: the receiving contact, else the switchboard.
fn buyer_contact(
    institution: &InstitutionRecord,
    contact: Option<&customers_store::ContactRecord>,
) -> String {
    match contact {
        Some(c) => format!("{} {}", c.name, c.phone).trim().to_owned(),
        None => institution.phone.clone(),
    }
}

fn full_address(i: &InstitutionRecord) -> String {
    format!("{}{}{}", i.province, i.city, i.address)
}

async fn delivery_detail(tx: &mut Tx, record: DeliveryRecord) -> Result<DeliveryDetail> {
    let items = store::items_of(tx, record.id).await?;
    Ok(DeliveryDetail { record, items })
}

/// The receiving department and contact belong to the customer.
async fn receiver(
    tx: &mut Tx,
    institution: &InstitutionRecord,
    department_id: Option<i64>,
    contact_id: Option<i64>,
) -> Result<Option<customers_store::ContactRecord>> {
    let mut fields = Fields::default();
    if let Some(d) = department_id {
        let departments = customers_store::departments(tx, institution.id).await?;
        if !departments.iter().any(|x| x.id == d) {
            fields.add("department_id", "not a department of this customer");
        }
    }
    let contact = match contact_id {
        None => None,
        Some(c) => {
            let found = customers_store::contacts(tx, institution.id)
                .await?
                .into_iter()
                .find(|x| x.id == c);
            if found.is_none() {
                fields.add("contact_id", "not a contact of this customer");
            }
            found
        }
    };
    fields.finish()?;
    Ok(contact)
}

impl App {
    /// ORD-1: reads a scanned UDI for the delivery form (the server's reading is the one that
    /// counts when shipping).
    pub fn read_udi(&self, ctx: &Ctx, text: &str) -> Result<Udi> {
        policy::require(&ctx.actor, Action::ShipDeliveries)?;
        udi::parse(text).map_err(|e| bad_udi(1, &e))
    }

    /// ORD-1/2/3, PRD-5: the warehouse ships (part of) an order.
    pub async fn ship(&self, ctx: &Ctx, input: ShipInput) -> Result<DeliveryDetail> {
        policy::require(&ctx.actor, Action::ShipDeliveries)?;
        let mut tx = self.db.write().await?;
        let order = visible_order(&mut tx, ctx, Action::ShipDeliveries, input.order_id).await?;
        let status = order_status(&order)?;
        if !status.ships() {
            return Err(Error::conflict(
                Some("status"),
                format!(
                    "the order is {}: nothing more ships against it",
                    order.status
                ),
            ));
        }
        check_documents(&input)?;
        let mut fields = Fields::default();
        let ship_date =
            crate::customers::parse_date(&mut fields, "ship_date", Some(&input.ship_date));
        match ship_date {
            None => fields.add("ship_date", "the day the goods left"),
            Some(d) if d > today() => fields.add("ship_date", "cannot be in the future"),
            Some(_) => {}
        }
        let address = blank_to_none(input.address.clone());
        if address.as_ref().is_some_and(|a| a.chars().count() > 200) {
            fields.add("address", "at most 200 characters");
        }
        if input.items.is_empty() || input.items.len() > MAX_ITEMS {
            fields.add("items", format!("1 to {MAX_ITEMS} items"));
        }
        fields.finish()?;
        let ship_date = ship_date.unwrap_or_else(today);
        let institution = institution_record(&mut tx, order.institution_id).await?;
        let contact =
            receiver(&mut tx, &institution, input.department_id, input.contact_id).await?;
        store::lock_contract(&mut tx, order.contract_id).await?;
        let lines = store::order_lines(&mut tx, order.id).await?;
        let mut products = BTreeMap::new();
        for l in &lines {
            if let std::collections::btree_map::Entry::Vacant(slot) = products.entry(l.product_id) {
                slot.insert(product_record(&mut tx, l.product_id).await?);
            }
        }
        let items = input
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| item(i + 1, it, &lines, &products))
            .collect::<Result<Vec<_>>>()?;
        let per_line = check_quantities(&items)?;
        check_serials(&mut tx, &items).await?;
        // PRD-2/3 on the ship date: a certificate may have expired since the contract.
        let buyer = buyer(&mut tx, &institution).await?;
        let shipped: BTreeSet<i64> = items.iter().map(|i| i.line.product_id).collect();
        for id in &shipped {
            if let Some(product) = products.get(id) {
                let why = sale_refusals(&mut tx, product, &buyer, ship_date).await?;
                if !why.is_empty() {
                    return Err(not_sellable("items", product, &why));
                }
            }
        }
        let contract = contracts::get(&mut tx, order.contract_id)
            .await?
            .ok_or(Error::NotFound("contract"))?;
        let version = contract.effective_version.unwrap_or(contract.version);
        let warranty_months = contracts::terms(&mut tx, contract.id, version)
            .await?
            .map_or(12, |t| t.warranty_months);
        let address = address.unwrap_or_else(|| full_address(&institution));
        let ship_day = ship_date.to_string();
        let new = NewDelivery {
            order: &order,
            department_id: input.department_id,
            contact_id: input.contact_id,
            address: &address,
            ship_date: &ship_day,
            documents: [true; 3],
        };
        let now = now_ms();
        let by = ctx.actor.user_id;
        let delivery_id = store::insert_delivery(&mut tx, &new, by, today().year(), now).await?;
        let mut registrations = BTreeMap::new();
        for id in &shipped {
            registrations.insert(*id, registration_no(&mut tx, *id, ship_date).await?);
        }
        let mut amount: i64 = 0;
        for it in &items {
            let product = products
                .get(&it.line.product_id)
                .ok_or(Error::NotFound("product"))?;
            let production = it.production_date.map(|d| d.to_string());
            let expiry = it.expiry_date.map(|d| d.to_string());
            let item_id = store::insert_item(
                &mut tx,
                &NewItem {
                    delivery_id,
                    order_line_id: it.line.id,
                    product_id: product.id,
                    quantity: it.quantity,
                    unit_price_fen: it.line.unit_price_fen,
                    lot: it.lot.as_deref(),
                    serial: it.serial.as_deref(),
                    udi: it.udi.as_ref().map(|(t, _)| t.as_str()),
                    udi_di: it.udi.as_ref().map(|(_, g)| g.as_str()),
                    production_date: production.as_deref(),
                    expiry_date: expiry.as_deref(),
                },
            )
            .await?;
            amount = it
                .line
                .unit_price_fen
                .checked_mul(it.quantity)
                .and_then(|v| v.checked_add(amount))
                .ok_or_else(|| Error::invalid("items", "the amount is too large"))?;
            if product.serialized
                && let Some(serial) = &it.serial
            {
                let end = warranty_end(ship_date, warranty_months).map(|d| d.to_string());
                let device = NewDevice {
                    product_id: product.id,
                    serial,
                    lot: it.lot.as_deref(),
                    udi: it.udi.as_ref().map(|(t, _)| t.as_str()),
                    institution_id: institution.id,
                    department_id: input.department_id,
                    contact_id: input.contact_id,
                    owner_id: institution.owner_id,
                    region_id: institution.region_id,
                    contract_id: contract.id,
                    delivery_item_id: item_id,
                    delivered_on: &ship_day,
                    warranty_end: end.as_deref(),
                };
                store::insert_device(&mut tx, &device, now)
                    .await
                    .map_err(|_| {
                        Error::conflict(
                            Some("items"),
                            format!("serial {serial} of {} is already installed", product.code),
                        )
                    })?;
            }
            let record = NewGsp {
                delivery_item_id: Some(item_id),
                corrects_id: None,
                correction_reason: String::new(),
                product_id: product.id,
                product_name: product.name.clone(),
                model: product.model.clone(),
                registration_no: registrations.get(&product.id).cloned().unwrap_or_default(),
                manufacturer: product.manufacturer_name.clone(),
                lot: it.lot.clone(),
                serial: it.serial.clone(),
                production_date: production,
                expiry_date: expiry,
                quantity: it.quantity,
                unit_price_fen: it.line.unit_price_fen,
                buyer_id: institution.id,
                buyer_name: institution.name.clone(),
                buyer_address: full_address(&institution),
                buyer_contact: buyer_contact(&institution, contact.as_ref()),
                sale_date: ship_day.clone(),
                region_id: institution.region_id,
                implantable: product.implantable,
                retain_until: retain_until(ship_date, it.expiry_date, product.implantable)
                    .map(|d| d.to_string()),
            };
            store::insert_gsp(&mut tx, &record, by, now).await?;
        }
        for (line_id, qty) in &per_line {
            store::add_delivered_qty(&mut tx, *line_id, *qty)
                .await
                .map_err(|_| {
                    Error::conflict(Some("items"), "the order changed meanwhile; reload it")
                })?;
        }
        let after: Vec<(i64, i64)> = store::order_lines(&mut tx, order.id)
            .await?
            .iter()
            .map(|l| (l.quantity, l.delivered_qty))
            .collect();
        let next = OrderStatus::after_shipping(&after);
        if next != status {
            store::set_order_status(&mut tx, order.id, status.code(), next.code())
                .await
                .map_err(|_| Error::conflict(Some("status"), "the order changed meanwhile"))?;
        }
        contracts::add_delivered(&mut tx, contract.id, amount, now).await?;
        let record = store::get_delivery(&mut tx, delivery_id)
            .await?
            .ok_or(Error::NotFound("delivery"))?;
        let detail = delivery_detail(&mut tx, record).await?;
        audit::record(
            &mut tx,
            ctx,
            "delivery",
            delivery_id,
            "ship",
            None,
            Some(&detail),
        )
        .await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// ORD-1: a shipment with its items, for whoever may read its order.
    pub async fn delivery(&self, ctx: &Ctx, id: i64) -> Result<DeliveryDetail> {
        let mut tx = self.db.read().await?;
        let record = visible_delivery(&mut tx, ctx, Action::ReadOrders, id).await?;
        delivery_detail(&mut tx, record).await
    }

    /// ORD-1: the customer received the goods (sales or the warehouse records it).
    pub async fn confirm_receipt(
        &self,
        ctx: &Ctx,
        id: i64,
        received_date: &str,
    ) -> Result<DeliveryDetail> {
        let action = if policy::require(&ctx.actor, Action::ShipDeliveries).is_ok() {
            Action::ShipDeliveries
        } else {
            Action::ManageOrders
        };
        let mut tx = self.db.write().await?;
        let before = visible_delivery(&mut tx, ctx, action, id).await?;
        let mut fields = Fields::default();
        let date = crate::customers::parse_date(&mut fields, "received_date", Some(received_date));
        match date {
            None => fields.add("received_date", "the day the customer received the goods"),
            Some(d) if d > today() => fields.add("received_date", "cannot be in the future"),
            Some(d) if d.to_string() < before.ship_date => {
                fields.add("received_date", "cannot be before the ship date")
            }
            Some(_) => {}
        }
        fields.finish()?;
        let day = date.unwrap_or_else(today).to_string();
        store::confirm_receipt(&mut tx, id, &day)
            .await
            .map_err(|_| {
                Error::conflict(
                    Some("status"),
                    format!(
                        "the delivery is already {}",
                        DeliveryStatus::Received.code()
                    ),
                )
            })?;
        let record = store::get_delivery(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("delivery"))?;
        audit::record(
            &mut tx,
            ctx,
            "delivery",
            id,
            "receive",
            Some(&before),
            Some(&record),
        )
        .await?;
        let detail = delivery_detail(&mut tx, record).await?;
        tx.commit().await?;
        Ok(detail)
    }
}

/// The delivery if the caller's scope for `action` reaches it.
async fn visible_delivery(
    tx: &mut Tx,
    ctx: &Ctx,
    action: Action,
    id: i64,
) -> Result<DeliveryRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get_delivery(tx, id)
        .await?
        .filter(|d| policy::can_see(&visible, Some(d.owner_id), &[d.region_id]))
        .ok_or(Error::NotFound("delivery"))
}
