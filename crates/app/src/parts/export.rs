//! PRT-1/2: the stock and movement reports as sheets (.xlsx through the SYS-3 writer),
//! paging the same scoped list use cases the pages read.

use medcrm_domain::pipeline::format_yuan;

use super::stock::{MovementQuery, StockQuery};
use crate::imports::{Row, Table};
use crate::{App, Ctx, MAX_PAGE_SIZE, Result};

/// Most rows one report holds (a sheet is for people; the API pages beyond).
const MAX_REPORT_ROWS: usize = 50_000;

const STOCK_COLUMNS: &[(&str, &str)] = &[
    ("配件编码", "part_code"),
    ("配件名称", "part_name"),
    ("单位", "unit"),
    ("库位", "warehouse"),
    ("在库", "on_hand"),
    ("故障件", "faulty"),
    ("在途", "in_transit"),
    ("下限", "min_qty"),
    ("上限", "max_qty"),
    ("低于下限", "low"),
];

const MOVEMENT_COLUMNS: &[(&str, &str)] = &[
    ("时间", "at"),
    ("类型", "kind"),
    ("配件编码", "part_code"),
    ("配件名称", "part_name"),
    ("库位", "warehouse"),
    ("状态", "condition"),
    ("数量", "quantity"),
    ("结存", "balance_after"),
    ("单价(元)", "unit_cost"),
    ("原因", "reason"),
    ("经办人", "by"),
    ("工单", "ticket"),
];

fn headers(columns: &[(&str, &str)], english: bool) -> Vec<String> {
    columns
        .iter()
        .map(|(zh, en)| (if english { *en } else { *zh }).to_owned())
        .collect()
}

fn table(
    columns: &[(&str, &str)],
    rows: Vec<Vec<String>>,
    numeric: Vec<usize>,
    sheet: &str,
    english: bool,
) -> Table {
    Table {
        header_row: 1,
        headers: headers(columns, english),
        rows: (2_u32..)
            .zip(rows)
            .map(|(number, cells)| Row { number, cells })
            .collect(),
        numeric,
        sheet: sheet.to_owned(),
    }
}

fn yes(b: bool, english: bool) -> String {
    match (b, english) {
        (true, true) => "yes".into(),
        (true, false) => "是".into(),
        (false, _) => String::new(),
    }
}

impl App {
    /// PRT-1: the stock report: every balance the filters and the caller's reach give.
    pub async fn export_stock(&self, ctx: &Ctx, mut q: StockQuery, english: bool) -> Result<Table> {
        let mut rows = Vec::new();
        q.limit = Some(MAX_PAGE_SIZE);
        loop {
            let page = self.stock(ctx, q.clone()).await?;
            rows.extend(page.items.into_iter().map(|s| {
                vec![
                    s.part_code,
                    s.part_name,
                    s.unit,
                    s.warehouse_name,
                    s.on_hand.to_string(),
                    s.faulty.to_string(),
                    s.in_transit.to_string(),
                    s.min_qty.to_string(),
                    s.max_qty.to_string(),
                    yes(medcrm_domain::parts::is_low(s.on_hand, s.min_qty), english),
                ]
            }));
            match page.next_cursor {
                Some(c) if rows.len() < MAX_REPORT_ROWS => q.cursor = Some(c),
                _ => break,
            }
        }
        let sheet = if english { "stock" } else { "库存" };
        Ok(table(
            STOCK_COLUMNS,
            rows,
            vec![4, 5, 6, 7, 8],
            sheet,
            english,
        ))
    }

    /// PRT-2: the movement report: the ledger rows the filters and the caller's reach give.
    pub async fn export_movements(
        &self,
        ctx: &Ctx,
        mut q: MovementQuery,
        english: bool,
    ) -> Result<Table> {
        let mut rows = Vec::new();
        q.limit = Some(MAX_PAGE_SIZE);
        loop {
            let page = self.movements(ctx, q.clone()).await?;
            rows.extend(page.items.into_iter().map(|m| {
                let at = jiff::Timestamp::from_millisecond(m.at_ms)
                    .and_then(|t| t.in_tz(medcrm_domain::calendar::TIME_ZONE))
                    .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default();
                vec![
                    at,
                    m.kind,
                    m.part_code,
                    m.part_name,
                    m.warehouse_name,
                    m.condition,
                    m.quantity.to_string(),
                    m.balance_after.to_string(),
                    format_yuan(m.unit_cost_fen),
                    m.reason,
                    m.by_name,
                    m.ticket_number.unwrap_or_default(),
                ]
            }));
            match page.next_cursor {
                Some(c) if rows.len() < MAX_REPORT_ROWS => q.cursor = Some(c),
                _ => break,
            }
        }
        let sheet = if english {
            "movements"
        } else {
            "出入库明细"
        };
        Ok(table(MOVEMENT_COLUMNS, rows, vec![6, 7], sheet, english))
    }
}
