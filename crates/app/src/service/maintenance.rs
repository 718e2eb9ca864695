//! SVC-9: preventive maintenance. A plan covers one installed device or every device of a
//! product; each device's next visit falls due an interval after the last one (or after
//! installation), and a visit coming due within the plan's lead time raises a maintenance
//! ticket. The visit row is unique per plan, device and day, so several nodes running the
//! hourly job raise each ticket once.

use jiff::ToSpan;
use jiff::civil::Date;
use medcrm_domain::service::{Channel, Priority, TicketKind, TicketStatus};
use medcrm_store::service::maintenance::{self as store, NewPlan};
pub use medcrm_store::service::maintenance::{DueRecord, PlanRecord};
use medcrm_store::service::{self as tickets, NewTicket, Scope};
use medcrm_store::{Tx, deliveries, products};

use crate::customers::{check_text, parse_date, today};
use crate::error::Fields;
use crate::org::visibility;
use crate::policy::{self, Action, Visible};
use crate::service::{open_ticket, scope_of};
use crate::{App, Ctx, Error, Result, audit, now_ms};

const MAX_CHECKLIST_CHARS: usize = 4000;
const DEFAULT_LEAD_DAYS: i64 = 14;

#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    /// Exactly one of device and product.
    pub device_id: Option<i64>,
    pub product_id: Option<i64>,
    pub interval_days: i64,
    /// Days before the visit the ticket is raised (default 14).
    pub lead_days: Option<i64>,
    /// One check per line.
    pub checklist: String,
}

#[derive(Debug, Clone, Default)]
pub struct PlanChange {
    pub interval_days: Option<i64>,
    pub lead_days: Option<i64>,
    pub checklist: Option<String>,
    pub active: Option<bool>,
}

/// Where a plan stands on one device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DueItem {
    pub plan_id: i64,
    pub device_id: i64,
    pub device_serial: String,
    pub product_name: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub region_id: i64,
    /// `YYYY-MM-DD` the visit is (or was) due.
    pub due_on: String,
    /// `due`; `ticketed` (a ticket is open for it); `overdue` (past due and no ticket done).
    pub status: &'static str,
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<String>,
    /// Whether the visit's ticket should be raised now.
    #[serde(skip)]
    pub raise: bool,
}

/// Whether a maintenance ticket is still being worked on (completed counts as done).
fn in_progress(status: &str) -> bool {
    status
        .parse::<TicketStatus>()
        .is_ok_and(|s| s.is_open() && s != TicketStatus::Completed)
}

fn add_days(day: &str, days: i64) -> Option<Date> {
    day.parse::<Date>().ok()?.checked_add(days.days()).ok()
}

/// SVC-9: the next visit of a plan on a device as of `today`.
pub fn due_item(r: &DueRecord, today: Date) -> DueItem {
    let open = r.last_ticket_status.as_deref().is_some_and(in_progress);
    let due = if open {
        r.last_due_on
            .as_deref()
            .and_then(|d| d.parse::<Date>().ok())
    } else {
        add_days(
            r.last_due_on.as_deref().unwrap_or(&r.base_on),
            r.interval_days,
        )
    }
    .unwrap_or(today);
    let status = if due < today {
        "overdue"
    } else if open {
        "ticketed"
    } else {
        "due"
    };
    let raise = !open
        && due
            .checked_sub(r.lead_days.days())
            .is_ok_and(|from| from <= today);
    DueItem {
        plan_id: r.plan_id,
        device_id: r.device_id,
        device_serial: r.device_serial.clone(),
        product_name: r.product_name.clone(),
        institution_id: r.institution_id,
        institution_name: r.institution_name.clone(),
        region_id: r.region_id,
        due_on: due.to_string(),
        status,
        ticket_id: open.then_some(r.last_ticket_id).flatten(),
        ticket_number: open.then(|| r.last_ticket_number.clone()).flatten(),
        raise,
    }
}

fn check_numbers(fields: &mut Fields, interval: i64, lead: i64) {
    if !(1..=3660).contains(&interval) {
        fields.add("interval_days", "between 1 and 3660 days");
    }
    if !(0..=365).contains(&lead) {
        fields.add("lead_days", "between 0 and 365 days");
    }
}

fn check_checklist(fields: &mut Fields, text: &str) {
    check_text(fields, "checklist", text, 2, MAX_CHECKLIST_CHARS);
}

/// The checklist with blank lines and surrounding spaces removed.
fn tidy(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn can_see_plan(visible: &Visible, p: &PlanRecord) -> bool {
    p.per_product
        || p.region_id
            .is_some_and(|r| policy::can_see(visible, None, &[r]))
}

async fn visible_plan(tx: &mut Tx, ctx: &Ctx, action: Action, id: i64) -> Result<PlanRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get_plan(tx, id)
        .await?
        .filter(|p| can_see_plan(&visible, p))
        .ok_or(Error::NotFound("maintenance plan"))
}

/// The day part of a ticket number raised today.
fn number_day(day: Date) -> String {
    day.strftime("%Y%m%d").to_string()
}

/// Raises the tickets of every visit due within its lead time (`scope`: whose devices).
/// `ctx` acts; for the system, each ticket is logged in the name of its plan's author (the
/// tables need a real user).
async fn generate(tx: &mut Tx, ctx: &Ctx, scope: &Scope, today: Date) -> Result<Vec<i64>> {
    let mut raised = Vec::new();
    for row in store::due(tx, scope).await? {
        let item = due_item(&row, today);
        if !item.raise {
            continue;
        }
        let Some(visit) =
            store::insert_visit(tx, row.plan_id, row.device_id, &item.due_on, "ticketed").await?
        else {
            continue;
        };
        let mut actor = ctx.clone();
        if actor.actor.user_id <= 0 {
            actor.actor.user_id = row.plan_created_by;
        }
        let now = now_ms();
        let id = tickets::insert_ticket(
            tx,
            &NewTicket {
                channel: Channel::Plan.code(),
                kind: TicketKind::Maintenance.code(),
                priority: Priority::Normal.code(),
                institution_id: row.institution_id,
                department_id: row.department_id,
                contact_id: row.contact_id,
                caller_name: "",
                caller_phone: "",
                device_id: Some(row.device_id),
                contract_id: row.contract_id,
                region_id: row.region_id,
                fault: &row.checklist,
                requested_at_ms: now,
                engineer_id: None,
                pm_plan_id: Some(row.plan_id),
                day: &number_day(today),
            },
            actor.actor.user_id,
            now,
        )
        .await?;
        store::set_visit_ticket(tx, visit, id).await?;
        open_ticket(tx, &actor, id, now).await?;
        raised.push(id);
    }
    Ok(raised)
}

impl App {
    /// SVC-9: maintenance plans: device plans of devices in scope, and product plans.
    pub async fn maintenance_plans(&self, ctx: &Ctx) -> Result<Vec<PlanRecord>> {
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadMaintenance).await?;
        Ok(store::plans(&mut tx, visible.regions().as_deref()).await?)
    }

    /// SVC-9: a plan for one device (in scope, not retired) or for every device of a product.
    pub async fn create_maintenance_plan(&self, ctx: &Ctx, input: PlanInput) -> Result<PlanRecord> {
        let mut fields = Fields::default();
        let lead = input.lead_days.unwrap_or(DEFAULT_LEAD_DAYS);
        check_numbers(&mut fields, input.interval_days, lead);
        check_checklist(&mut fields, &input.checklist);
        let mut tx = self.db.write().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ManageMaintenance).await?;
        match (input.device_id, input.product_id) {
            (Some(id), None) => {
                let device = deliveries::get_device(&mut tx, id)
                    .await?
                    .filter(|d| policy::can_see(&visible, None, &[d.region_id]));
                match device {
                    None => fields.add("device_id", "no such device in your scope"),
                    Some(d) if d.status == "retired" => {
                        fields.add("device_id", "the device is retired")
                    }
                    Some(_) => {}
                }
            }
            (None, Some(id)) => {
                if products::get_product(&mut tx, id).await?.is_none() {
                    fields.add("product_id", "no such product");
                }
            }
            _ => fields.add("device_id", "give a device or a product, not both"),
        }
        fields.finish()?;
        let checklist = tidy(&input.checklist);
        let id = store::insert_plan(
            &mut tx,
            &NewPlan {
                device_id: input.device_id,
                product_id: input.product_id,
                interval_days: input.interval_days,
                lead_days: lead,
                checklist: &checklist,
            },
            ctx.actor.user_id,
            now_ms(),
        )
        .await?;
        let plan = store::get_plan(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("maintenance plan"))?;
        audit::record(&mut tx, ctx, "pm_plan", id, "create", None, Some(&plan)).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// SVC-9: changes a plan's interval, lead time or checklist, or (de)activates it.
    pub async fn update_maintenance_plan(
        &self,
        ctx: &Ctx,
        id: i64,
        change: PlanChange,
    ) -> Result<PlanRecord> {
        let mut tx = self.db.write().await?;
        let before = visible_plan(&mut tx, ctx, Action::ManageMaintenance, id).await?;
        let interval = change.interval_days.unwrap_or(before.interval_days);
        let lead = change.lead_days.unwrap_or(before.lead_days);
        let checklist = change.checklist.unwrap_or_else(|| before.checklist.clone());
        let mut fields = Fields::default();
        check_numbers(&mut fields, interval, lead);
        check_checklist(&mut fields, &checklist);
        fields.finish()?;
        let active = change.active.unwrap_or(before.active);
        store::update_plan(&mut tx, id, interval, lead, &tidy(&checklist), active).await?;
        let after = store::get_plan(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("maintenance plan"))?;
        let action = if before.active && !active {
            "deactivate"
        } else {
            "update"
        };
        audit::record(
            &mut tx,
            ctx,
            "pm_plan",
            id,
            action,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// SVC-9: every active plan on every device it covers in scope, the earliest due first.
    pub async fn maintenance_due(&self, ctx: &Ctx) -> Result<Vec<DueItem>> {
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadMaintenance).await?;
        let day = today();
        let mut items: Vec<DueItem> = store::due(&mut tx, &scope_of(&visible))
            .await?
            .iter()
            .map(|r| due_item(r, day))
            .collect();
        items.sort_by(|a, b| {
            (&a.due_on, a.plan_id, a.device_id).cmp(&(&b.due_on, b.plan_id, b.device_id))
        });
        Ok(items)
    }

    /// SVC-9: a visit done outside the system (before go-live, or by a third party): the
    /// next one falls due an interval after `done_on`. 409 when that day is already recorded.
    pub async fn record_maintenance_visit(
        &self,
        ctx: &Ctx,
        plan_id: i64,
        device_id: i64,
        done_on: &str,
    ) -> Result<DueItem> {
        let mut fields = Fields::default();
        let day = parse_date(&mut fields, "done_on", Some(done_on));
        match day {
            None => fields.add("done_on", "required: the day the visit was done"),
            Some(d) if d > today() => fields.add("done_on", "cannot be in the future"),
            Some(_) => {}
        }
        let mut tx = self.db.write().await?;
        let plan = visible_plan(&mut tx, ctx, Action::ManageMaintenance, plan_id).await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ManageMaintenance).await?;
        let scope = scope_of(&visible);
        let row = store::due(&mut tx, &scope)
            .await?
            .into_iter()
            .find(|r| r.plan_id == plan.id && r.device_id == device_id);
        let Some(row) = row else {
            fields.add(
                "device_id",
                "the plan does not cover this device in your scope",
            );
            return Err(fields.finish().err().unwrap_or(Error::NotFound("device")));
        };
        fields.finish()?;
        let done_on = day.map(|d| d.to_string()).unwrap_or_default();
        let visit = store::insert_visit(&mut tx, plan.id, device_id, &done_on, "done")
            .await?
            .ok_or_else(|| {
                Error::conflict(
                    Some("done_on"),
                    format!("a visit on {done_on} is already recorded"),
                )
            })?;
        audit::record(
            &mut tx,
            ctx,
            "pm_visit",
            visit,
            "record_done",
            None,
            Some(&row),
        )
        .await?;
        let after = store::due(&mut tx, &scope)
            .await?
            .into_iter()
            .find(|r| r.plan_id == plan.id && r.device_id == device_id)
            .ok_or(Error::NotFound("device"))?;
        tx.commit().await?;
        Ok(due_item(&after, today()))
    }

    /// SVC-9 (hourly job): raises the maintenance tickets of every visit due within its
    /// plan's lead time as of `day`, as the system. Returns how many.
    pub async fn generate_maintenance_tickets(&self, day: Date) -> Result<usize> {
        let ctx = Ctx::system("job-maintenance");
        let mut tx = self.db.write().await?;
        let raised = generate(&mut tx, &ctx, &Scope::default(), day).await?;
        tx.commit().await?;
        Ok(raised.len())
    }

    /// SVC-9: the manager's "generate now", for the devices in their scope.
    pub async fn generate_maintenance_now(&self, ctx: &Ctx) -> Result<Vec<i64>> {
        let mut tx = self.db.write().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ManageMaintenance).await?;
        let raised = generate(&mut tx, ctx, &scope_of(&visible), today()).await?;
        tx.commit().await?;
        Ok(raised)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(base: &str, last: Option<(&str, &str)>) -> DueRecord {
        DueRecord {
            plan_id: 1,
            device_id: 2,
            device_serial: "S1".into(),
            product_name: "P".into(),
            institution_id: 3,
            institution_name: "H".into(),
            department_id: None,
            contact_id: None,
            contract_id: None,
            region_id: 4,
            interval_days: 90,
            lead_days: 14,
            checklist: "check".into(),
            plan_created_by: 5,
            base_on: base.into(),
            last_due_on: last.map(|(d, _)| d.into()),
            last_status: last.map(|_| "ticketed".into()),
            last_ticket_id: last.map(|_| 9),
            last_ticket_number: last.map(|_| "SR-1".into()),
            last_ticket_status: last.map(|(_, s)| s.into()),
        }
    }

    fn day(s: &str) -> Date {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn svc_9_first_visit_an_interval_after_installation_raised_within_the_lead_time() {
        let item = due_item(&row("2026-01-01", None), day("2026-03-10"));
        assert_eq!(item.due_on, "2026-04-01");
        assert_eq!(item.status, "due");
        assert!(!item.raise, "more than 14 days ahead");
        let item = due_item(&row("2026-01-01", None), day("2026-03-18"));
        assert!(item.raise);
    }

    #[test]
    fn svc_9_an_open_visit_is_ticketed_then_overdue_and_a_done_one_moves_the_next_due() {
        let open = row("2026-01-01", Some(("2026-04-01", "dispatched")));
        let item = due_item(&open, day("2026-03-20"));
        assert_eq!((item.status, item.raise), ("ticketed", false));
        assert_eq!(item.ticket_id, Some(9));
        assert_eq!(due_item(&open, day("2026-04-02")).status, "overdue");
        let done = row("2026-01-01", Some(("2026-04-01", "closed")));
        let item = due_item(&done, day("2026-04-02"));
        assert_eq!((item.due_on.as_str(), item.status), ("2026-06-30", "due"));
        assert_eq!(item.ticket_id, None);
        let never = row("2025-01-01", None);
        assert_eq!(due_item(&never, day("2026-01-01")).status, "overdue");
    }
}
