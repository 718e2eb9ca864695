//! ORD-4: recall traceability: every customer, department, contact and device a product's lot
//! or serial range reached, in one query, within the caller's scope.

use std::collections::BTreeMap;

use medcrm_domain::deliveries::SerialRange;
use medcrm_store::deliveries::{self as store, TraceBy};
use medcrm_store::products::ProductRecord;
use medcrm_store::service;

use super::{TraceRow, reach};
use crate::customers::today;
use crate::imports::{Row, Table};
use crate::org::{blank_to_none, visibility};
use crate::policy::Action;
use crate::products::product_record;
use crate::{App, Ctx, Error, Result};

/// A lot, or a serial range (both bounds of equal length, compared byte by byte: see
/// [`SerialRange`]).
#[derive(Debug, Clone, Default)]
pub struct TraceInput {
    pub product_id: i64,
    pub lot: Option<String>,
    pub serial_from: Option<String>,
    pub serial_to: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TraceResult {
    pub product: ProductRecord,
    pub rows: Vec<TraceRow>,
    /// How many customers are affected.
    pub institutions: usize,
    /// The open service tickets (id, number) on each device reached, by device id.
    pub open_tickets: BTreeMap<i64, Vec<(i64, String)>>,
}

impl TraceResult {
    /// The numbers of the open tickets on a row's device.
    pub fn tickets_of(&self, device_id: Option<i64>) -> Vec<String> {
        device_id
            .and_then(|d| self.open_tickets.get(&d))
            .map(|ts| ts.iter().map(|(_, n)| n.clone()).collect())
            .unwrap_or_default()
    }
}

enum By {
    Lot(String),
    Serials(SerialRange),
}

fn by(input: &TraceInput) -> Result<By> {
    let lot = blank_to_none(input.lot.clone());
    let from = blank_to_none(input.serial_from.clone());
    let to = blank_to_none(input.serial_to.clone());
    match (lot, from, to) {
        (Some(lot), None, None) => Ok(By::Lot(lot.trim().to_owned())),
        (None, Some(from), Some(to)) => SerialRange::new(&from, &to)
            .map(By::Serials)
            .map_err(|e| Error::invalid("serial_from", e)),
        (None, None, None) => Err(Error::invalid(
            "lot",
            "give a lot, or the first and last serial of a range",
        )),
        (Some(_), _, _) => Err(Error::invalid(
            "lot",
            "give a lot or a serial range, not both",
        )),
        (None, _, _) => Err(Error::invalid(
            "serial_to",
            "give the first and the last serial of the range",
        )),
    }
}

impl App {
    /// ORD-4: the affected customers of a lot or serial range.
    pub async fn trace(&self, ctx: &Ctx, input: &TraceInput) -> Result<TraceResult> {
        let how = by(input)?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::TraceDevices).await?;
        let product = product_record(&mut tx, input.product_id).await?;
        let by = match &how {
            By::Lot(lot) => TraceBy::Lot(lot),
            By::Serials(r) => TraceBy::Serials {
                from: &r.from,
                to: &r.to,
            },
        };
        let rows = store::trace(&mut tx, product.id, by, &reach(&visible)).await?;
        let mut ids: Vec<i64> = rows.iter().map(|r| r.institution_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let devices: Vec<i64> = rows.iter().filter_map(|r| r.device_id).collect();
        let mut open_tickets: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
        for (device, id, number) in service::open_tickets_of_devices(&mut tx, &devices).await? {
            open_tickets.entry(device).or_default().push((id, number));
        }
        Ok(TraceResult {
            product,
            institutions: ids.len(),
            rows,
            open_tickets,
        })
    }

    /// ORD-4: the trace as an Excel sheet for the recall file.
    pub async fn export_trace(&self, ctx: &Ctx, input: &TraceInput) -> Result<Table> {
        let result = self.trace(ctx, input).await?;
        let headers = [
            "客户",
            "地址",
            "科室",
            "联系人",
            "联系电话",
            "产品编码",
            "产品名称",
            "批号",
            "序列号",
            "数量",
            "发货日期",
            "设备状态",
            "未结服务工单",
        ];
        let rows = result
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| Row {
                number: u32::try_from(i + 2).unwrap_or(u32::MAX),
                cells: vec![
                    r.institution_name.clone(),
                    r.institution_address.clone(),
                    r.department_name.clone().unwrap_or_default(),
                    r.contact_name.clone().unwrap_or_default(),
                    r.contact_phone.clone().unwrap_or_default(),
                    result.product.code.clone(),
                    result.product.name.clone(),
                    r.lot.clone().unwrap_or_default(),
                    r.serial.clone().unwrap_or_default(),
                    r.quantity.to_string(),
                    r.delivered_on.clone(),
                    r.device_status.clone().unwrap_or_default(),
                    result.tickets_of(r.device_id).join(", "),
                ],
            })
            .collect();
        Ok(Table {
            header_row: 1,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows,
            numeric: vec![9],
            sheet: format!("追溯 {} {}", result.product.code, today()),
        })
    }
}
