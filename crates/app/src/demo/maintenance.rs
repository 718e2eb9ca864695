//! Demo dispatch and maintenance data (SVC-8/9): certifications for the two field engineers,
//! a maintenance plan for the first large-equipment product (every device) and one for each
//! of two devices, whose last visits (recorded as done before the system) make one visit
//! overdue and the other due within its lead time. The hourly job raises their tickets.
//! Everything goes through the use cases.

use jiff::ToSpan;

use crate::customers::today;
use crate::deliveries::DeviceQuery;
use crate::service::dispatch::CertificationInput;
use crate::service::maintenance::PlanInput;
use crate::{App, Error, Result};

const CHECKLIST: &str =
    "外观与电源线检查\n探头/线缆完好性\n图像质量校准\n安全与漏电测试\n清洁与保养记录";

impl App {
    /// Run by the demo loader after the deliveries demo (it needs installed devices).
    pub async fn load_maintenance_demo(&self) -> Result<()> {
        let manager = self.ctx_as("service.manager", "demo").await?;
        let today = today();
        let until = today
            .checked_add(1.year())
            .map_err(|e| Error::Internal(e.to_string()))?
            .to_string();
        for (engineer, lines) in [
            ("engineer.east", &["large_equipment"][..]),
            ("engineer.north", &["large_equipment", "ivd"][..]),
        ] {
            let user_id = self.ctx_as(engineer, "demo").await?.actor.user_id;
            for line in lines {
                let input = CertificationInput {
                    user_id,
                    product_line: (*line).into(),
                    valid_until: until.clone(),
                };
                self.set_certification(&manager, input).await?;
            }
        }
        let q = DeviceQuery {
            limit: Some(crate::MAX_PAGE_SIZE),
            ..Default::default()
        };
        let mut devices = self.devices(&manager, &q).await?.items;
        devices.sort_by_key(|d| d.id);
        if let Some(first) = devices.first() {
            let input = PlanInput {
                product_id: Some(first.product_id),
                interval_days: 180,
                lead_days: Some(14),
                checklist: CHECKLIST.into(),
                ..Default::default()
            };
            self.create_maintenance_plan(&manager, input).await?;
        }
        // (interval, days since the last visit): overdue by 10 days; due in 10 days.
        for (device, (interval, since)) in devices.iter().zip([(90_i64, 100_i64), (30, 20)]) {
            let plan = self
                .create_maintenance_plan(
                    &manager,
                    PlanInput {
                        device_id: Some(device.id),
                        interval_days: interval,
                        lead_days: Some(14),
                        checklist: CHECKLIST.into(),
                        ..Default::default()
                    },
                )
                .await?;
            let done = today
                .checked_sub(since.days())
                .map_err(|e| Error::Internal(e.to_string()))?;
            self.record_maintenance_visit(&manager, plan.id, device.id, &done.to_string())
                .await?;
        }
        Ok(())
    }
}
