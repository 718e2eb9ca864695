//! SYS-3 for spare parts (PRT-1/2): the parts catalog and opening stock, checked and written
//! like every import (all rows or none, each record audited as if typed), and the catalog's
//! export in the same columns.
//!
//! A stock row is an opening balance: its quantity is received at the location (a ledger
//! receipt, so the balance still equals the ledger) and its min/max set when given. A part
//! that already has stock or movements at that location is refused — importing the same file
//! twice must not double the stock; later corrections are adjustments with their reason.

use std::collections::HashMap;

use medcrm_domain::calendar::TIME_ZONE;
use medcrm_domain::parts::{self as rules, Condition, MovementKind};
use medcrm_domain::pipeline::{format_yuan, parse_yuan};
use medcrm_store::parts::{self as part_store, PartRecord, WarehouseRecord};
use medcrm_store::{Tx, products as product_store};

use super::columns::{
    CONDITION_LABELS, MOVEMENT_COLUMNS, MOVEMENT_KIND_LABELS, PART_COLUMNS, STOCK_COLUMNS,
    TRACKING_LABELS, YES_NO_LABELS,
};
use super::{
    Errors, Labels, Mapping, Phase, Plan, Progress, Row, Table, coded, count, repeated, settle,
    table_of, whole,
};
use crate::error::Fields;
use crate::parts::ledger::Movement;
use crate::parts::stock::{self, MovementQuery, StockQuery};
use crate::parts::{PartInput, PartQuery, check_part};
use crate::{App, Ctx, Error, MAX_PAGE_SIZE, Result};

/// The reason every imported opening balance carries in the ledger.
pub const OPENING_REASON: &str = "期初库存导入";

/// One checked stock row.
pub(super) struct StockRow {
    pub row: u32,
    pub part_id: i64,
    pub warehouse_id: i64,
    /// Received when above zero.
    pub on_hand: i64,
    pub levels: Option<(i64, i64)>,
}

/// The product codes a `products` cell lists.
fn product_codes(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([';', '；', '、', ',', '，'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

/// PRT-1: every part row checked as the part form checks it, the products it fits found by
/// code, part codes unique in the file and in the catalog.
pub(super) async fn check_parts(
    tx: &mut Tx,
    table: &Table,
    progress: &dyn Progress,
) -> Result<(Plan, Errors)> {
    let mut errors = Errors::default();
    let required: &[&[&str]] = &[&["code"], &["name"], &["unit"]];
    let mapping = Mapping::new(table, PART_COLUMNS, required, &mut errors);
    if !errors.is_empty() {
        return Ok((Plan::Parts(Vec::new()), errors));
    }
    let mut products: HashMap<String, Option<i64>> = HashMap::new();
    let mut codes: HashMap<String, u32> = HashMap::new();
    let mut plan = Vec::new();
    progress.start(Phase::Checking, table.rows.len() as u64);
    for (i, row) in table.rows.iter().enumerate() {
        progress.advance(i as u64 + 1);
        let mut fields = Fields::default();
        let text = |f: &str| mapping.text(row, f);
        if mapping.orphan_cells(row) {
            fields.add("file", "a cell under a column without a header");
        }
        let mut product_ids = Vec::new();
        for code in product_codes(text("products").unwrap_or_default()) {
            if !products.contains_key(code) {
                let found = product_store::product_by_code(tx, code).await?;
                products.insert(code.to_owned(), found.map(|p| p.id));
            }
            match products.get(code).copied().flatten() {
                Some(id) if !product_ids.contains(&id) => product_ids.push(id),
                Some(_) => {}
                None => fields.add("products", format!("no product with the code `{code}`")),
            }
        }
        let unit_cost_fen = match text("unit_cost").map(parse_yuan) {
            None => 0,
            Some(Ok(fen)) => fen,
            Some(Err(e)) => {
                fields.add("unit_cost", e);
                0
            }
        };
        let input = PartInput {
            code: text("code").unwrap_or_default().to_owned(),
            name: text("name").unwrap_or_default().to_owned(),
            spec: text("spec").unwrap_or_default().to_owned(),
            unit: text("unit").unwrap_or_default().to_owned(),
            unit_cost_fen,
            tracking: coded(&mut fields, "tracking", text("tracking"), TRACKING_LABELS)
                .unwrap_or_else(|| "none".into()),
            active: coded(&mut fields, "active", text("active"), YES_NO_LABELS)
                .is_none_or(|c| c == "yes"),
            product_ids,
        };
        if let Err(Error::Invalid(map)) = check_part(&input) {
            for (field, message) in map {
                // The form's fields named as the file's columns.
                let field = match field {
                    "unit_cost_fen" => "unit_cost",
                    "product_ids" => "products",
                    other => other,
                };
                fields.add(field, message);
            }
        }
        let code = input.code.trim();
        if let Some(e) = repeated(&mut codes, code, row.number) {
            fields.add("code", e);
        } else if !code.is_empty() && part_store::part_by_code(tx, code).await?.is_some() {
            fields.add("code", "a part with this code is already in the catalog");
        }
        if settle(&mut errors, &mapping, row.number, fields) {
            plan.push((row.number, input));
        }
    }
    Ok((Plan::Parts(plan), errors))
}

/// A sheet's next row (the header is row 1).
fn push_row(rows: &mut Vec<Row>, cells: Vec<String>) {
    let number = count(rows.len() + 2);
    rows.push(Row { number, cells });
}

/// A warehouse by its code, else its name.
fn find_warehouse<'w>(all: &'w [WarehouseRecord], text: &str) -> Option<&'w WarehouseRecord> {
    all.iter()
        .find(|w| w.code == text)
        .or_else(|| all.iter().find(|w| w.name == text))
}

/// PRT-1/2: every stock row names an active part by code and a warehouse by code or name,
/// a quantity of at least zero and levels as the levels form checks them; each part and
/// location once in the file and without stock so far.
pub(super) async fn check_stock(
    tx: &mut Tx,
    table: &Table,
    progress: &dyn Progress,
) -> Result<(Plan, Errors)> {
    let mut errors = Errors::default();
    let required: &[&[&str]] = &[&["part_code"], &["warehouse"], &["on_hand", "min_qty"]];
    let mapping = Mapping::new(table, STOCK_COLUMNS, required, &mut errors);
    if !errors.is_empty() {
        return Ok((Plan::Stock(Vec::new()), errors));
    }
    let warehouses = part_store::warehouses(tx).await?;
    let mut parts: HashMap<String, Option<PartRecord>> = HashMap::new();
    let mut seen: HashMap<(i64, i64), u32> = HashMap::new();
    let mut plan = Vec::new();
    progress.start(Phase::Checking, table.rows.len() as u64);
    for (i, row) in table.rows.iter().enumerate() {
        progress.advance(i as u64 + 1);
        let mut fields = Fields::default();
        let text = |f: &str| mapping.text(row, f);
        if mapping.orphan_cells(row) {
            fields.add("file", "a cell under a column without a header");
        }
        let code = text("part_code").unwrap_or_default();
        if !parts.contains_key(code) {
            let found = part_store::part_by_code(tx, code).await?;
            parts.insert(code.to_owned(), found);
        }
        let part = match parts.get(code).and_then(Option::as_ref) {
            Some(p) if p.active => Some(p.id),
            Some(_) => {
                fields.add("part_code", "this part is inactive");
                None
            }
            None => {
                fields.add("part_code", format!("no part with the code `{code}`"));
                None
            }
        };
        let place = text("warehouse").unwrap_or_default();
        let warehouse = find_warehouse(&warehouses, place).map(|w| w.id);
        if warehouse.is_none() {
            fields.add(
                "warehouse",
                format!("no warehouse `{place}` (its code or name)"),
            );
        }
        let quantity = whole(&mut fields, "on_hand", text("on_hand"));
        let unreadable = text("on_hand").is_some() && quantity.is_none();
        let on_hand = quantity.unwrap_or(0);
        if on_hand > 0 {
            if let Err(e) = rules::check_quantity(MovementKind::Receipt, on_hand) {
                fields.add("on_hand", e);
            }
        } else if on_hand < 0 {
            fields.add("on_hand", "a quantity of at least 0");
        }
        let min = whole(&mut fields, "min_qty", text("min_qty"));
        let max = whole(&mut fields, "max_qty", text("max_qty"));
        let levels = match (min, max) {
            (Some(min), Some(max)) => {
                if let Err(e) = rules::check_levels(min, max) {
                    fields.add("max_qty", e);
                }
                Some((min, max))
            }
            (None, None) => None,
            _ => {
                fields.add(
                    "max_qty",
                    "give both the minimum and the maximum, or neither",
                );
                None
            }
        };
        if on_hand == 0 && !unreadable && min.is_none() && max.is_none() {
            fields.add("on_hand", "nothing to import: no quantity and no levels");
        }
        if let (Some(part_id), Some(warehouse_id)) = (part, warehouse) {
            if let Some(first) = seen.get(&(part_id, warehouse_id)) {
                fields.add(
                    "warehouse",
                    format!("the same part and location as row {first} of this file"),
                );
            } else {
                seen.insert((part_id, warehouse_id), row.number);
                let held = part_store::get_stock(tx, part_id, warehouse_id).await?;
                if on_hand > 0 && held.is_some_and(|s| s.on_hand + s.faulty + s.in_transit > 0) {
                    fields.add(
                        "on_hand",
                        "this location already holds the part; correct it with an adjustment",
                    );
                }
            }
            if settle(&mut errors, &mapping, row.number, fields) {
                plan.push(StockRow {
                    row: row.number,
                    part_id,
                    warehouse_id,
                    on_hand,
                    levels,
                });
            }
        } else {
            settle(&mut errors, &mapping, row.number, fields);
        }
    }
    Ok((Plan::Stock(plan), errors))
}

/// Writes one checked stock row: the opening receipt, then the levels.
pub(super) async fn write_stock(tx: &mut Tx, ctx: &Ctx, r: &StockRow) -> Result<()> {
    if r.on_hand > 0 {
        let m = Movement {
            kind: Some(MovementKind::Receipt),
            part_id: r.part_id,
            warehouse_id: r.warehouse_id,
            condition: Some(Condition::Good),
            quantity: r.on_hand,
            reason: OPENING_REASON,
            ..Movement::default()
        };
        stock::book(tx, ctx, &m).await?;
    }
    if let Some(levels) = r.levels {
        stock::set_levels(tx, ctx, r.part_id, r.warehouse_id, levels).await?;
    }
    Ok(())
}

impl App {
    /// PRT-1, SYS-3: the parts catalog (the catalog's filters) in the import's columns, so
    /// an exported file imports into another installation. At most 50,000 parts.
    pub async fn export_parts(&self, ctx: &Ctx, query: PartQuery, labels: Labels) -> Result<Table> {
        let mut q = PartQuery {
            cursor: None,
            limit: Some(MAX_PAGE_SIZE),
            ..query
        };
        let mut parts = Vec::new();
        loop {
            let page = self.parts(ctx, q.clone()).await?;
            parts.extend(page.items);
            match page.next_cursor {
                Some(_) if parts.len() >= super::MAX_ROWS => {
                    return Err(Error::invalid(
                        "filters",
                        format!(
                            "more than {} parts match; narrow the filters to export",
                            super::MAX_ROWS
                        ),
                    ));
                }
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        let mut tx = self.db.read().await?;
        let mut fits: HashMap<i64, Vec<String>> = HashMap::new();
        for (part_id, code) in part_store::compatible_codes(&mut tx).await? {
            fits.entry(part_id).or_default().push(code);
        }
        drop(tx);
        let rows = parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| Row {
                number: count(i + 2),
                cells: PART_COLUMNS
                    .iter()
                    .map(|c| match c.field {
                        "id" => p.id.to_string(),
                        "code" => p.code.clone(),
                        "name" => p.name.clone(),
                        "spec" => p.spec.clone(),
                        "unit" => p.unit.clone(),
                        "unit_cost" => format_yuan(p.unit_cost_fen).replace(',', ""),
                        "tracking" => labels.word(TRACKING_LABELS, &p.tracking),
                        "active" => labels.word(YES_NO_LABELS, if p.active { "yes" } else { "no" }),
                        "products" => fits.get(&p.id).map(|c| c.join("; ")).unwrap_or_default(),
                        _ => String::new(),
                    })
                    .collect(),
            })
            .collect();
        Ok(table_of(PART_COLUMNS, labels, rows, "parts"))
    }

    /// PRT-1: the stock report: every balance the filters and the caller's reach give, in the
    /// stock import's columns. At most 50,000 rows (the API pages beyond).
    pub async fn export_stock(
        &self,
        ctx: &Ctx,
        mut q: StockQuery,
        labels: Labels,
    ) -> Result<Table> {
        let mut rows = Vec::new();
        q.limit = Some(MAX_PAGE_SIZE);
        loop {
            let page = self.stock(ctx, q.clone()).await?;
            for s in page.items {
                let low = rules::is_low(s.on_hand, s.min_qty);
                let cells = STOCK_COLUMNS
                    .iter()
                    .map(|c| match c.field {
                        "part_code" => s.part_code.clone(),
                        "part_name" => s.part_name.clone(),
                        "unit" => s.unit.clone(),
                        "warehouse" => s.warehouse_name.clone(),
                        "on_hand" => s.on_hand.to_string(),
                        "faulty" => s.faulty.to_string(),
                        "in_transit" => s.in_transit.to_string(),
                        "min_qty" => s.min_qty.to_string(),
                        "max_qty" => s.max_qty.to_string(),
                        // A mark on the rows to act on; the others stay blank.
                        "low" if low => labels.word(YES_NO_LABELS, "yes"),
                        _ => String::new(),
                    })
                    .collect();
                push_row(&mut rows, cells);
            }
            match page.next_cursor {
                Some(c) if rows.len() < super::MAX_ROWS => q.cursor = Some(c),
                _ => break,
            }
        }
        let sheet = match labels {
            Labels::Chinese => "库存",
            Labels::Codes => "stock",
        };
        Ok(table_of(STOCK_COLUMNS, labels, rows, sheet))
    }

    /// PRT-2: the movement report: the ledger rows the filters and the caller's reach give,
    /// newest first. At most 50,000 rows (the API pages beyond).
    pub async fn export_movements(
        &self,
        ctx: &Ctx,
        mut q: MovementQuery,
        labels: Labels,
    ) -> Result<Table> {
        let mut rows = Vec::new();
        q.limit = Some(MAX_PAGE_SIZE);
        loop {
            let page = self.movements(ctx, q.clone()).await?;
            for m in page.items {
                let at = jiff::Timestamp::from_millisecond(m.at_ms)
                    .and_then(|t| t.in_tz(TIME_ZONE))
                    .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default();
                let cells = MOVEMENT_COLUMNS
                    .iter()
                    .map(|c| match c.field {
                        "at" => at.clone(),
                        "kind" => labels.word(MOVEMENT_KIND_LABELS, &m.kind),
                        "part_code" => m.part_code.clone(),
                        "part_name" => m.part_name.clone(),
                        "warehouse" => m.warehouse_name.clone(),
                        "condition" => labels.word(CONDITION_LABELS, &m.condition),
                        "quantity" => m.quantity.to_string(),
                        "balance_after" => m.balance_after.to_string(),
                        "unit_cost" => format_yuan(m.unit_cost_fen),
                        "reason" => m.reason.clone(),
                        "by" => m.by_name.clone(),
                        "ticket" => m.ticket_number.clone().unwrap_or_default(),
                        _ => String::new(),
                    })
                    .collect();
                push_row(&mut rows, cells);
            }
            match page.next_cursor {
                Some(c) if rows.len() < super::MAX_ROWS => q.cursor = Some(c),
                _ => break,
            }
        }
        let sheet = match labels {
            Labels::Chinese => "出入库明细",
            Labels::Codes => "movements",
        };
        Ok(table_of(MOVEMENT_COLUMNS, labels, rows, sheet))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_3_product_codes_split_on_every_usual_separator() {
        let codes: Vec<&str> = product_codes(" P-1；P-2、P-3, P-4;;").collect();
        assert_eq!(codes, ["P-1", "P-2", "P-3", "P-4"]);
    }
}
