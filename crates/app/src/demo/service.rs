//! Demo service tickets (SVC-1…7) in every state, all through the use cases: new ones about
//! to breach and already breached, contacted, dispatched (one late), on site with a part
//! request pending, completed and waiting for the follow-up, closed with a satisfied and with
//! an unsatisfied survey (which opens an improvement action), solved by phone, cancelled.
//! Requests are dated back (up to a few days) so the clocks show every urgency.

use jiff::{SignedDuration, Timestamp};
use medcrm_domain::org::RegionTree;

use crate::deliveries::DeviceQuery;
use crate::service::TicketInput;
use crate::service::followup::SurveyInput;
use crate::service::parts::PartRequestInput;
use crate::service::records::{ConfirmationInput, RecordInput};
use crate::{App, Ctx, Result};

/// A 1×1 PNG standing in for a signature drawn on the screen.
const SIGNATURE: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// `minutes` before now, as the use cases read a time.
fn ago(minutes: i64) -> String {
    (Timestamp::now() - SignedDuration::from_mins(minutes)).to_string()
}

/// How far a demo ticket gets.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    New,
    Contacted,
    Dispatched,
    OnSite,
    Completed,
    Closed,
}

struct Demo {
    /// Minutes before now the customer called.
    requested: i64,
    stage: Stage,
    priority: &'static str,
    fault: &'static str,
    scores: Scores,
}

/// The follow-up's scores: (attitude, quality, speed); zeros where there is none.
type Scores = (i64, i64, i64);

/// (minutes since the call, stage, priority, fault, follow-up scores).
const TICKETS: [(i64, Stage, &str, &str, Scores); 9] = [
    (
        50,
        Stage::New,
        "urgent",
        "监护仪报警无法消除，屏幕闪烁",
        (0, 0, 0),
    ),
    (180, Stage::New, "high", "超声探头图像有条纹", (0, 0, 0)),
    (
        150,
        Stage::Contacted,
        "normal",
        "打印机卡纸，报告无法打印",
        (0, 0, 0),
    ),
    (
        20 * 60,
        Stage::Dispatched,
        "high",
        "开机自检失败，报错 E101",
        (0, 0, 0),
    ),
    (
        30 * 60,
        Stage::Dispatched,
        "urgent",
        "球管过热保护频繁触发",
        (0, 0, 0),
    ),
    (
        2 * 24 * 60,
        Stage::OnSite,
        "high",
        "电源板烧毁，设备无法开机",
        (0, 0, 0),
    ),
    (
        6 * 24 * 60,
        Stage::Completed,
        "normal",
        "触摸屏失灵",
        (0, 0, 0),
    ),
    (
        9 * 24 * 60,
        Stage::Closed,
        "normal",
        "探头线缆破损",
        (5, 5, 4),
    ),
    // The customer was unhappy, which opens an improvement action.
    (
        12 * 24 * 60,
        Stage::Closed,
        "high",
        "维修后仍偶发黑屏",
        (2, 3, 3),
    ),
];

impl App {
    /// Demo tickets on the East installed base (engineer.east's region). Run by the demo
    /// loader after the delivery demo (the tickets need installed devices).
    pub async fn load_service_demo(&self) -> Result<()> {
        let agent = self.ctx_as("agent", "demo").await?;
        let manager = self.ctx_as("service.manager", "demo").await?;
        let engineer = self.ctx_as("engineer.east", "demo").await?;
        let warehouse = self.ctx_as("warehouse", "demo").await?;
        let admin = self.ctx_as("admin", "demo").await?;
        let regions = self.regions(&admin).await?;
        let tree = RegionTree::new(regions.iter().map(|r| (r.id, r.parent_id)));
        let east = tree.subtree(regions.iter().filter(|r| r.code == "EAST").map(|r| r.id));
        let all = self
            .devices(
                &manager,
                &DeviceQuery {
                    limit: Some(50),
                    ..Default::default()
                },
            )
            .await?
            .items;
        let devices: Vec<(i64, i64)> = all
            .iter()
            .filter(|d| east.contains(&d.region_id))
            .map(|d| (d.id, d.institution_id))
            .collect();
        if devices.is_empty() {
            return Ok(());
        }
        let engineer_id = engineer.actor.user_id;
        let device = |n: usize| devices[n % devices.len()];
        for (n, (requested, stage, priority, fault, scores)) in TICKETS.into_iter().enumerate() {
            let d = Demo {
                requested,
                stage,
                priority,
                fault,
                scores,
            };
            self.demo_ticket(&agent, &manager, &engineer, engineer_id, device(n), &d)
                .await?;
        }
        // A question answered on the phone, and a duplicate call cancelled.
        let (dev, inst) = device(TICKETS.len());
        let phone = self
            .create_ticket(
                &agent,
                ticket_input(inst, dev, 90, "normal", "不会切换成像模式"),
            )
            .await?;
        self.resolve_by_phone(
            &agent,
            phone.id,
            "电话指导客户通过菜单「模式」键切换，已恢复正常",
        )
        .await?;
        let (dev, inst) = device(TICKETS.len() + 1);
        let cancelled = self
            .create_ticket(&agent, ticket_input(inst, dev, 240, "low", "客户重复报修"))
            .await?;
        self.cancel_ticket(&agent, cancelled.id, "与 SR 工单重复，客户确认取消")
            .await?;
        // The North's engineer has a repair of their own, so the board shows two regions.
        let north = tree.subtree(regions.iter().filter(|r| r.code == "NORTH").map(|r| r.id));
        if let Some(d) = all.iter().find(|d| north.contains(&d.region_id)) {
            let engineer = self.ctx_as("engineer.north", "demo").await?;
            let input = ticket_input(
                d.institution_id,
                d.id,
                5 * 60,
                "high",
                "图像出现伪影，怀疑探头晶片损坏",
            );
            let t = self.create_ticket(&agent, input).await?;
            let contacted = ago(5 * 60 - 15);
            self.contact_ticket(&agent, t.id, Some(&contacted), "已与设备科确认故障现象")
                .await?;
            let sent = ago(5 * 60 - 30);
            self.dispatch_ticket(&manager, t.id, engineer.actor.user_id, Some(&sent), "")
                .await?;
        }
        // The warehouse has sent the on-site ticket's first part; the second is pending.
        let queue = self.part_queue(&warehouse, None, Some(10)).await?;
        if let Some(first) = queue.items.first() {
            self.fulfil_part_request(&warehouse, first.id, "顺丰 SF1029384756")
                .await?;
        }
        Ok(())
    }

    async fn demo_ticket(
        &self,
        agent: &Ctx,
        manager: &Ctx,
        engineer: &Ctx,
        engineer_id: i64,
        (device, institution): (i64, i64),
        d: &Demo,
    ) -> Result<()> {
        let t = self
            .create_ticket(
                agent,
                ticket_input(institution, device, d.requested, d.priority, d.fault),
            )
            .await?;
        // An agent has taken the freshest call and is about to ring back.
        if d.stage == Stage::New && d.requested < 60 {
            self.claim_ticket(agent, t.id).await?;
        }
        if d.stage >= Stage::Contacted {
            let at = ago(d.requested - 25);
            self.contact_ticket(agent, t.id, Some(&at), "已电话联系设备科，约定上门")
                .await?;
        }
        if d.stage >= Stage::Dispatched {
            let at = ago(d.requested - 40);
            self.dispatch_ticket(manager, t.id, engineer_id, Some(&at), "")
                .await?;
        }
        if d.stage >= Stage::OnSite {
            let at = ago(d.requested - 20 * 60);
            self.arrive(engineer, t.id, Some(&at)).await?;
        }
        // Parts are still on their way only where the engineer is on site now.
        if d.stage == Stage::OnSite {
            for (code, name) in [("PWR-220", "电源板"), ("FUSE-5A", "保险丝 5A")] {
                let input = PartRequestInput {
                    part_id: None,
                    part_code: code.into(),
                    part_name: name.into(),
                    quantity: 1,
                    note: String::new(),
                };
                self.request_part(engineer, t.id, input).await?;
            }
        }
        if d.stage >= Stage::Completed {
            let record = RecordInput {
                phenomenon: d.fault.into(),
                diagnosis: "元件老化导致故障".into(),
                repair_method: "更换故障部件并完成功能测试".into(),
                parts_replaced: "电源板 ×1".into(),
                minutes_spent: 120,
            };
            self.save_service_record(engineer, t.id, record).await?;
            let signed = d.scores.0 == 0 || d.scores.0 > 2;
            let confirmation = ConfirmationInput {
                name: "设备科 王工".into(),
                confirmed_at: Some(ago(d.requested - 23 * 60)),
                signature: signed.then(|| SIGNATURE.into()),
                code: (!signed).then(|| "RJ-2046".into()),
            };
            self.confirm_ticket(engineer, t.id, confirmation).await?;
            let at = ago(d.requested - 24 * 60);
            self.complete_ticket(engineer, t.id, Some(&at), "").await?;
        }
        if d.stage == Stage::Closed {
            let (attitude, quality, speed) = d.scores;
            let survey = SurveyInput {
                respondent: "设备科 王工".into(),
                attitude,
                quality,
                speed,
                comment: if attitude > 2 {
                    "工程师响应及时，很专业".into()
                } else {
                    "工程师迟到两小时，沟通态度差".into()
                },
                ..Default::default()
            };
            self.follow_up(agent, t.id, survey).await?;
        }
        Ok(())
    }
}

fn ticket_input(
    institution: i64,
    device: i64,
    minutes_ago: i64,
    priority: &str,
    fault: &str,
) -> TicketInput {
    TicketInput {
        channel: "hotline".into(),
        kind: "repair".into(),
        priority: priority.into(),
        institution_id: institution,
        device_id: Some(device),
        caller_name: "设备科 王工".into(),
        caller_phone: "021-64370045".into(),
        fault: fault.into(),
        requested_at: Some(ago(minutes_ago)),
        ..Default::default()
    }
}
