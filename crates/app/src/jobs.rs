//! Background jobs run by `medcrm serve`. They are idempotent, so several nodes on one
//! PostgreSQL database may run them side by side without harm.

use std::time::Duration;

use crate::{App, Ctx};

/// How often the periodic jobs run.
const DAILY: Duration = Duration::from_secs(24 * 60 * 60);
/// Reminders are checked hourly: a due date passes at midnight, and nobody should learn of it
/// a day late.
const HOURLY: Duration = Duration::from_secs(60 * 60);
/// SVC-7: SLA clocks are scanned every minute: a first-contact deadline is one hour away.
const MINUTELY: Duration = Duration::from_secs(60);

impl App {
    /// Runs forever: SYS-2 reminders, PRD-4 expiry alerts, FIN-2 overdue receivables and CON-4
    /// problem escalation hourly (the first right after
    /// start) and CUS-3
    /// re-evaluation of rule-graded customers daily (the first a day after start, so start-up
    /// stays fast). Failures are logged and retried next time.
    pub async fn run_jobs(self) {
        let start = tokio::time::Instant::now();
        let mut daily = tokio::time::interval_at(start + DAILY, DAILY);
        let mut hourly = tokio::time::interval_at(start, HOURLY);
        let mut minutely = tokio::time::interval_at(start, MINUTELY);
        minutely.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = hourly.tick() => {
                    match self.send_reminders().await {
                        Ok(added) => tracing::info!(added, "reminders sent"),
                        Err(e) => tracing::error!(error = %e, "reminders failed"),
                    }
                    match self.send_expiry_alerts().await {
                        Ok(added) => tracing::info!(added, "document expiry alerts sent"),
                        Err(e) => tracing::error!(error = %e, "document expiry alerts failed"),
                    }
                    match self.send_receivable_reminders().await {
                        Ok(added) => tracing::info!(added, "overdue receivable reminders sent"),
                        Err(e) => tracing::error!(error = %e, "overdue receivable reminders failed"),
                    }
                    match self.escalate_contract_problems().await {
                        Ok(n) => tracing::info!(n, "contract problems escalated"),
                        Err(e) => tracing::error!(error = %e, "contract problem escalation failed"),
                    }
                    match self.generate_maintenance_tickets(crate::customers::today()).await {
                        Ok(n) => tracing::info!(n, "maintenance tickets raised"),
                        Err(e) => tracing::error!(error = %e, "maintenance tickets failed"),
                    }
                }
                _ = minutely.tick() => match self.scan_sla(jiff::Timestamp::now()).await {
                    Ok(o) => tracing::debug!(warned = o.warned, escalated = o.escalated, "SLA clocks scanned"),
                    Err(e) => tracing::error!(error = %e, "SLA scan failed"),
                },
                _ = daily.tick() => match self.reevaluate_grades(&Ctx::system("job-regrade")).await {
                    Ok(changed) => tracing::info!(changed, "customer grades re-evaluated"),
                    Err(e) => tracing::error!(error = %e, "customer re-evaluation failed"),
                },
            }
        }
    }
}
