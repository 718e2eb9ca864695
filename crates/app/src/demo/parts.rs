//! Demo spare parts (PRT): the central warehouse, the East and North regional ones, each
//! engineer's own stock, parts that fit the demo's equipment, some stock below its minimum,
//! a transfer in transit, and part requests linked to parts — one issued from the engineer's
//! own stock, one pending within its 24 h clock and one late; stock counts (PRT-4): one
//! approved with a variance at the North warehouse, one awaiting approval at the East one;
//! purchasing (PRT-5): an order partly received with its acceptance record, and one open.

use jiff::{SignedDuration, Timestamp};

use crate::parts::counts::{CountEntry, CountInput};
use crate::parts::issues::IssueInput;
use crate::parts::purchasing::{OrderInput, OrderLineInput, ReceiptInput, ReceiptLineInput};
use crate::parts::stock::{StockChange, TransferInput};
use crate::parts::{PartInput, WarehouseInput};
use crate::products::ProductQuery;
use crate::service::parts::PartRequestInput;
use crate::{App, Ctx, Result};

/// code, name, spec, unit, unit cost (fen), tracking.
const PARTS: &[(&str, &str, &str, &str, i64, &str)] = &[
    (
        "PWR-220",
        "电源板",
        "AC 220V / DC 24V 600W",
        "块",
        238_000,
        "serial",
    ),
    ("FUSE-5A", "保险丝 5A", "5×20mm 慢断", "个", 800, "none"),
    (
        "PRB-C5",
        "凸阵探头 C5-2",
        "2–5 MHz",
        "个",
        1_860_000,
        "serial",
    ),
    ("CBL-PRB", "探头线缆", "2 m 屏蔽", "根", 45_000, "lot"),
    ("FLT-AIR", "空气滤网", "300×300mm", "片", 6_500, "lot"),
];

/// part, warehouse index (0 central, 1 East, 2 North, 3 engineer.east, 4 engineer.north),
/// quantity received, min, max.
const STOCK: &[(&str, usize, i64, i64, i64)] = &[
    ("PWR-220", 0, 12, 5, 20),
    ("FUSE-5A", 0, 200, 50, 300),
    ("PRB-C5", 0, 3, 2, 6),
    ("CBL-PRB", 0, 30, 10, 40),
    ("FLT-AIR", 0, 40, 20, 80),
    ("PWR-220", 1, 2, 3, 8),
    ("FUSE-5A", 1, 30, 10, 60),
    ("FLT-AIR", 1, 4, 10, 30),
    ("FUSE-5A", 2, 20, 10, 40),
    ("CBL-PRB", 2, 5, 2, 10),
    ("FUSE-5A", 3, 6, 2, 10),
    ("PWR-220", 3, 1, 0, 0),
    ("FUSE-5A", 4, 4, 2, 10),
];

fn ago_hours(hours: i64) -> String {
    (Timestamp::now() - SignedDuration::from_hours(hours)).to_string()
}

impl App {
    pub(crate) async fn load_parts_demo(&self) -> Result<()> {
        let wh = self.ctx_as("warehouse", "demo").await?;
        let admin = self.ctx_as("admin", "demo").await?;
        let regions = self.regions(&admin).await?;
        let region = |code: &str| regions.iter().find(|r| r.code == code).map(|r| r.id);
        let users = |name: &'static str| async move {
            Ok::<_, crate::Error>(self.ctx_as(name, "demo").await?.actor.user_id)
        };
        let east_engineer = users("engineer.east").await?;
        let north_engineer = users("engineer.north").await?;
        let places = [
            ("WH-HQ", "总部中心库", "central", None, None),
            ("WH-EAST", "华东区域库", "regional", region("EAST"), None),
            ("WH-NORTH", "华北区域库", "regional", region("NORTH"), None),
            (
                "WH-ENG-E",
                "华东工程师 随车库",
                "engineer",
                region("EAST"),
                Some(east_engineer),
            ),
            (
                "WH-ENG-N",
                "华北工程师 随车库",
                "engineer",
                region("NORTH"),
                Some(north_engineer),
            ),
        ];
        let mut warehouses = Vec::new();
        for (code, name, kind, region_id, owner_id) in places {
            let input = WarehouseInput {
                code: code.into(),
                name: name.into(),
                kind: kind.into(),
                region_id,
                owner_id,
            };
            warehouses.push(self.create_warehouse(&wh, input).await?.id);
        }
        let equipment = ProductQuery {
            product_line: Some("large_equipment".into()),
            limit: Some(20),
            ..ProductQuery::default()
        };
        let product_ids: Vec<i64> = self
            .products(&wh, &equipment)
            .await?
            .items
            .iter()
            .map(|p| p.id)
            .collect();
        let mut parts = std::collections::BTreeMap::new();
        for (code, name, spec, unit, cost, tracking) in PARTS {
            let input = PartInput {
                code: (*code).into(),
                name: (*name).into(),
                spec: (*spec).into(),
                unit: (*unit).into(),
                unit_cost_fen: *cost,
                tracking: (*tracking).into(),
                active: true,
                product_ids: product_ids.clone(),
            };
            parts.insert(*code, self.create_part(&wh, input).await?.part.id);
        }
        for (code, at, quantity, min, max) in STOCK {
            let change = StockChange {
                part_id: parts[code],
                warehouse_id: warehouses[*at],
                quantity: *quantity,
                condition: None,
                reason: "期初库存".into(),
            };
            self.receive_stock(&wh, change).await?;
            if *min > 0 {
                self.set_stock_levels(&wh, parts[code], warehouses[*at], *min, *max)
                    .await?;
            }
        }
        // Filters on their way to the East warehouse.
        let transfer = TransferInput {
            part_id: parts["FLT-AIR"],
            from_warehouse_id: warehouses[0],
            to_warehouse_id: warehouses[1],
            quantity: 10,
            reason: "华东季度补货".into(),
        };
        self.send_transfer(&wh, transfer).await?;
        self.demo_counts(&wh, &warehouses, &parts).await?;
        self.demo_purchasing(&wh, &warehouses, &parts).await?;
        self.link_demo_requests(&parts).await
    }

    /// North counted one fuse short, approved by the service manager; East's blind count of
    /// last month waits for approval with one fuse short too.
    async fn demo_counts(
        &self,
        wh: &Ctx,
        warehouses: &[i64],
        parts: &std::collections::BTreeMap<&str, i64>,
    ) -> Result<()> {
        let manager = self.ctx_as("service.manager", "demo").await?;
        for (at, blind, note) in [
            (2, false, "华北区域库季度盘点"),
            (1, true, "华东区域库月度盲盘"),
        ] {
            let input = CountInput {
                warehouse_id: warehouses[at],
                blind,
                note: note.into(),
                part_ids: Vec::new(),
            };
            let sheet = self.open_stock_count(wh, input).await?;
            // Everything as booked but one fuse short.
            let entries = STOCK
                .iter()
                .filter(|(_, place, ..)| *place == at)
                .map(|(code, _, quantity, ..)| CountEntry {
                    part_id: parts[code],
                    counted_qty: if *code == "FUSE-5A" {
                        quantity - 1
                    } else {
                        *quantity
                    },
                })
                .collect();
            let id = sheet.count.id;
            self.record_stock_count(wh, id, entries).await?;
            self.submit_stock_count(wh, id).await?;
            if !blind {
                self.decide_stock_count(&manager, id, true, "盘亏 1 个：现场领用未登记，已核实")
                    .await?;
            }
        }
        Ok(())
    }

    /// To the first supplier approved in first-time review: power boards and filters for
    /// central stock, partly received (one board failed its power-on test), and fuses for
    /// East still to come.
    async fn demo_purchasing(
        &self,
        wh: &Ctx,
        warehouses: &[i64],
        parts: &std::collections::BTreeMap<&str, i64>,
    ) -> Result<()> {
        let mut supplier = None;
        for s in self.suppliers(wh, None, None, Some(50)).await?.items {
            let detail = self.supplier(wh, s.id).await?;
            if detail
                .reviews
                .first()
                .is_some_and(|r| r.status == medcrm_domain::products::ReviewStatus::Approved.code())
            {
                supplier = Some(s.id);
                break;
            }
        }
        let Some(supplier_id) = supplier else {
            return Ok(());
        };
        let in_days = |days: i64| {
            let today = crate::customers::today();
            today
                .checked_add(jiff::Span::new().days(days))
                .unwrap_or(today)
                .to_string()
        };
        let line = |code: &str, quantity, unit_price_fen, standard: &str| OrderLineInput {
            part_id: parts[code],
            spec: String::new(),
            quantity,
            unit_price_fen,
            quality_standard: standard.into(),
        };
        let central = OrderInput {
            supplier_id,
            warehouse_id: warehouses[0],
            delivery_date: in_days(14),
            note: "季度备件补货".into(),
            lines: vec![
                line("PWR-220", 10, 230_000, "GB 9706.1-2020，出厂检验报告"),
                line("FLT-AIR", 50, 6_000, "企业标准 Q/RK 012-2024"),
            ],
        };
        let order = self.create_purchase_order(wh, central).await?;
        let quality = self.ctx_as("quality", "demo").await?;
        let receipt = ReceiptInput {
            inspector_id: Some(quality.actor.user_id),
            note: "第一批到货".into(),
            lines: vec![
                ReceiptLineInput {
                    line_no: 1,
                    received_qty: 4,
                    accepted_qty: 3,
                    trace: "PWR2612001, PWR2612002, PWR2612003".into(),
                    reject_reason: "1 块通电测试不合格，退回供应商".into(),
                },
                ReceiptLineInput {
                    line_no: 2,
                    received_qty: 50,
                    accepted_qty: 50,
                    trace: "FA-2612-01".into(),
                    reject_reason: String::new(),
                },
            ],
        };
        self.receive_purchase_order(wh, order.order.id, receipt)
            .await?;
        let east = OrderInput {
            supplier_id,
            warehouse_id: warehouses[1],
            delivery_date: in_days(7),
            note: "华东保险丝补货".into(),
            lines: vec![line("FUSE-5A", 200, 750, "GB/T 9364.1-2015")],
        };
        self.create_purchase_order(wh, east).await?;
        Ok(())
    }

    /// The on-site ticket's requests: the free-text fuse issued from the engineer's own
    /// stock, a catalog request pending within its clock, and one 27 hours late.
    async fn link_demo_requests(
        &self,
        parts: &std::collections::BTreeMap<&str, i64>,
    ) -> Result<()> {
        let engineer: Ctx = self.ctx_as("engineer.east", "demo").await?;
        let wh = self.ctx_as("warehouse", "demo").await?;
        let manager = self.ctx_as("service.manager", "demo").await?;
        let queue = self.part_queue(&wh, None, Some(50)).await?;
        let Some(fuse) = queue
            .items
            .iter()
            .find(|r| r.part_code == "FUSE-5A" && r.requested_by == engineer.actor.user_id)
        else {
            return Ok(());
        };
        let ticket_id = fuse.ticket_id;
        let issue = IssueInput {
            part_id: Some(parts["FUSE-5A"]),
            note: "随车备件".into(),
            ..IssueInput::default()
        };
        self.issue_part_request(&engineer, fuse.id, issue).await?;
        for (code, quantity) in [("PRB-C5", 1), ("CBL-PRB", 2)] {
            let input = PartRequestInput {
                part_id: Some(parts[code]),
                quantity,
                note: "现场确认需更换".into(),
                ..PartRequestInput::default()
            };
            self.request_part(&engineer, ticket_id, input).await?;
        }
        // The cable was asked for yesterday morning: its clock is past due.
        let view = self.ticket(&manager, ticket_id).await?;
        let cable = view
            .events
            .iter()
            .rev()
            .find(|e| e.kind == "part_requested");
        if let Some(e) = cable {
            self.correct_event(
                &manager,
                ticket_id,
                e.id,
                &ago_hours(27),
                "补录：电话申请时间",
            )
            .await?;
        }
        Ok(())
    }
}
