//! SVC-9: preventive maintenance plans (per installed device or per product), the visits
//! they call for and the tickets those raised.

use super::Scope;
use crate::{Classify, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PlanRecord {
    pub id: i64,
    pub device_id: Option<i64>,
    pub device_serial: Option<String>,
    pub institution_name: Option<String>,
    /// The device's region (device plans only).
    pub region_id: Option<i64>,
    /// The product of the plan, or of the plan's device.
    pub product_id: i64,
    pub product_name: String,
    /// Whether the plan covers every device of the product.
    pub per_product: bool,
    pub interval_days: i64,
    pub lead_days: i64,
    pub checklist: String,
    pub active: bool,
    pub created_by: i64,
    pub created_at_ms: i64,
}

const PLAN_SELECT: &str = "SELECT p.id, p.device_id, v.serial AS device_serial, \
    i.name AS institution_name, v.region_id, pr.id AS product_id, pr.name AS product_name, \
    (p.product_id IS NOT NULL) AS per_product, p.interval_days, p.lead_days, p.checklist, \
    p.active, p.created_by, p.created_at_ms \
    FROM pm_plans p LEFT JOIN installed_devices v ON v.id = p.device_id \
    LEFT JOIN institutions i ON i.id = v.institution_id \
    JOIN products pr ON pr.id = COALESCE(p.product_id, v.product_id)";

pub struct NewPlan<'a> {
    pub device_id: Option<i64>,
    pub product_id: Option<i64>,
    pub interval_days: i64,
    pub lead_days: i64,
    pub checklist: &'a str,
}

pub async fn insert_plan(tx: &mut Tx, p: &NewPlan<'_>, by: i64, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO pm_plans (device_id, product_id, interval_days, lead_days, checklist, active,
            created_by, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7) RETURNING id")
        .bind(p.device_id).bind(p.product_id).bind(p.interval_days).bind(p.lead_days)
        .bind(p.checklist).bind(by).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn update_plan(
    tx: &mut Tx,
    id: i64,
    interval_days: i64,
    lead_days: i64,
    checklist: &str,
    active: bool,
) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "UPDATE pm_plans SET interval_days = $2, lead_days = $3, checklist = $4, active = $5 WHERE id = $1")
        .bind(id).bind(interval_days).bind(lead_days).bind(checklist).bind(active)
        .execute(c).await)
    .db()?;
    Ok(())
}

pub async fn get_plan(tx: &mut Tx, id: i64) -> Result<Option<PlanRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{PLAN_SELECT} WHERE p.id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// Plans by id; device plans only within `regions` when given (product plans are
/// company-wide, like the catalog).
pub async fn plans(tx: &mut Tx, regions: Option<&[i64]>) -> Result<Vec<PlanRecord>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("{PLAN_SELECT} WHERE (p.product_id IS NOT NULL"));
        match regions {
            Some(ids) => {
                q.push(" OR v.region_id IN (NULL");
                for id in ids {
                    q.push(", ").push_bind(*id);
                }
                q.push(")");
            }
            None => {
                q.push(" OR TRUE");
            }
        }
        q.push(") ORDER BY p.active DESC, p.id");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// One active plan applied to one device, with the last visit the plan called for there.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct DueRecord {
    pub plan_id: i64,
    pub device_id: i64,
    pub device_serial: String,
    pub product_name: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub department_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub region_id: i64,
    pub interval_days: i64,
    pub lead_days: i64,
    pub checklist: String,
    pub plan_created_by: i64,
    /// Installed on, or delivered on when not installed yet.
    pub base_on: String,
    pub last_due_on: Option<String>,
    /// `ticketed`, `done` or `skipped` as recorded on the visit.
    pub last_status: Option<String>,
    pub last_ticket_id: Option<i64>,
    pub last_ticket_number: Option<String>,
    pub last_ticket_status: Option<String>,
}

/// Every active plan × every device it covers that is not retired, within `scope`.
pub async fn due(tx: &mut Tx, scope: &Scope) -> Result<Vec<DueRecord>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT p.id AS plan_id, v.id AS device_id, v.serial AS device_serial, pr.name AS product_name,
                v.institution_id, i.name AS institution_name, v.department_id, v.contact_id, v.contract_id,
                v.region_id, p.interval_days, p.lead_days, p.checklist, p.created_by AS plan_created_by,
                COALESCE(v.installed_on, v.delivered_on) AS base_on, lv.due_on AS last_due_on,
                lv.status AS last_status, lv.ticket_id AS last_ticket_id, t.number AS last_ticket_number,
                t.status AS last_ticket_status
             FROM pm_plans p
             JOIN installed_devices v ON (v.id = p.device_id OR v.product_id = p.product_id)
             JOIN products pr ON pr.id = v.product_id
             JOIN institutions i ON i.id = v.institution_id
             LEFT JOIN pm_visits lv ON lv.plan_id = p.id AND lv.device_id = v.id
                AND lv.due_on = (SELECT MAX(x.due_on) FROM pm_visits x WHERE x.plan_id = p.id AND x.device_id = v.id)
             LEFT JOIN service_tickets t ON t.id = lv.ticket_id
             WHERE p.active = TRUE AND v.status <> 'retired'");
        scope.push(&mut q, "v");
        q.push(" ORDER BY p.id, v.id");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// A visit the plan calls for; `None` when it is already there (another node, or a second
/// run, got to it first).
pub async fn insert_visit(
    tx: &mut Tx,
    plan_id: i64,
    device_id: i64,
    due_on: &str,
    status: &str,
) -> Result<Option<i64>> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO pm_visits (plan_id, device_id, due_on, status) VALUES ($1, $2, $3, $4)
         ON CONFLICT (plan_id, device_id, due_on) DO NOTHING RETURNING id")
        .bind(plan_id).bind(device_id).bind(due_on).bind(status)
        .fetch_optional(c).await)
    .db()
}

pub async fn set_visit_ticket(tx: &mut Tx, visit_id: i64, ticket_id: i64) -> Result<()> {
    exec!(tx, c => sqlx::query("UPDATE pm_visits SET ticket_id = $2 WHERE id = $1")
        .bind(visit_id).bind(ticket_id).execute(c).await)
    .db()?;
    Ok(())
}
