//! Demo orders and deliveries on signed contracts: serialized devices with serials and a
//! scanned UDI, lots of consumables (one lot reaches several hospitals, for the recall trace
//! demo), the installed base with some devices installed, and a receipt — all through the use
//! cases, as the people who would do each step.

use jiff::ToSpan;
use medcrm_domain::udi::check_digit;

use crate::customers::today;
use crate::deliveries::{DeviceInput, ItemInput, OrderInput, OrderLineInput, ShipInput};
use crate::{App, Error, Result};

/// The lot every consumable ships from: the same lot reaches several hospitals.
const SHARED_LOT: &str = "L2607A";

/// The production lot of every demo device, so a recall by lot reaches several hospitals too.
const DEVICE_LOT: &str = "US2610";

/// A GS1 UDI for `serial` of [`DEVICE_LOT`]: a GTIN-14 whose check digit is computed, made 30
/// days ago; the lot (variable length) ends with the GS separator.
fn udi(product_id: i64, serial: &str) -> String {
    let body = format!("0690123{:06}", product_id % 1_000_000);
    let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    let made = today().checked_sub(30.days()).unwrap_or_else(|_| today());
    let yymmdd = format!(
        "{:02}{:02}{:02}",
        made.year() % 100,
        made.month(),
        made.day()
    );
    format!(
        "]d201{body}{}11{yymmdd}10{DEVICE_LOT}\u{1d}21{serial}",
        check_digit(&digits)
    )
}

impl App {
    /// ORD-1/2: orders and shipments for `contracts` (signed): the first ships in part, the
    /// others in full; returns how many shipments it made. Part of `--demo`, after the
    /// contracts.
    pub async fn load_delivery_demo(&self, contracts: &[i64]) -> Result<usize> {
        let director = self.ctx_as("director", "demo").await?;
        let warehouse = self.ctx_as("warehouse", "demo").await?;
        let service = self.ctx_as("service.manager", "demo").await?;
        let today = today();
        let expiry = today.checked_add(24.months()).unwrap_or(today).to_string();
        let made = today.checked_sub(30.days()).unwrap_or(today).to_string();
        let mut shipped = 0;
        for (n, contract_id) in contracts.iter().copied().enumerate() {
            let form = self.order_form(&director, contract_id).await?;
            let lines: Vec<OrderLineInput> = form
                .lines
                .iter()
                .filter(|(_, left)| *left > 0)
                .map(|(l, left)| OrderLineInput {
                    line_no: l.line_no,
                    quantity: *left,
                })
                .collect();
            if lines.is_empty() {
                continue;
            }
            let input = OrderInput {
                contract_id,
                requested_date: today.checked_add(7.days()).unwrap_or(today).to_string(),
                note: "请提前一天电话联系设备科".into(),
                lines,
            };
            let order = self.create_order(&director, input).await?;
            // The first order ships only its first unit: a partial delivery.
            let partial = n == 0;
            let mut items = Vec::new();
            for line in &order.lines {
                let count = if partial { 1 } else { line.quantity };
                if line.serialized {
                    for i in 0..count {
                        let serial =
                            format!("{}-{:04}{:02}", line.product_code, order.record.id, i + 1);
                        items.push(ItemInput {
                            order_line_id: line.id,
                            quantity: 1,
                            udi: Some(udi(line.product_id, &serial)),
                            ..Default::default()
                        });
                    }
                } else {
                    items.push(ItemInput {
                        order_line_id: line.id,
                        quantity: count,
                        lot: Some(SHARED_LOT.into()),
                        production_date: Some(made.clone()),
                        expiry_date: Some(expiry.clone()),
                        ..Default::default()
                    });
                }
            }
            // Received by the customer's first department and a contact of it, so the
            // recall trace names them (ORD-4).
            let customer = self
                .institution(&director, order.record.institution_id)
                .await?;
            let department_id = customer.departments.first().map(|d| d.id);
            let contact_id = customer
                .contacts
                .iter()
                .find(|c| department_id.is_some() && c.department_id == department_id)
                .or(customer.contacts.first())
                .map(|c| c.id);
            let input = ShipInput {
                order_id: order.record.id,
                ship_date: today.to_string(),
                department_id,
                contact_id,
                manual_provided: true,
                label_provided: true,
                certificate_provided: true,
                items,
                ..Default::default()
            };
            let delivery = match self.ship(&warehouse, input).await {
                Ok(d) => d,
                // A certificate lapsed since the contract: the gate refuses, as it should.
                Err(Error::Refused { .. }) => continue,
                Err(e) => return Err(e),
            };
            shipped += 1;
            if n == 0 {
                self.confirm_receipt(&warehouse, delivery.record.id, &today.to_string())
                    .await?;
            }
            // The first device of each shipment is installed today.
            if let Some(serial) = delivery.items.iter().find_map(|i| i.serial.clone()) {
                let q = crate::deliveries::DeviceQuery {
                    query: Some(serial),
                    ..Default::default()
                };
                if let Some(device) = self.devices(&service, &q).await?.items.first() {
                    let change = DeviceInput {
                        installed_on: Some(today.to_string()),
                        status: Some("installed".into()),
                        ..Default::default()
                    };
                    self.update_device(&service, device.id, change).await?;
                }
            }
        }
        Ok(shipped)
    }
}
