//! Background jobs run by `medcrm serve`. They are idempotent, so several nodes on one
//! PostgreSQL database may run them side by side without harm.

use std::time::Duration;

use crate::{App, Ctx};

/// How often the periodic jobs run.
const DAILY: Duration = Duration::from_secs(24 * 60 * 60);

impl App {
    /// Runs forever: CUS-3 re-evaluation of rule-graded customers once a day (first run one
    /// interval after start, so start-up stays fast). Failures are logged and retried next time.
    pub async fn run_jobs(self) {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + DAILY, DAILY);
        loop {
            tick.tick().await;
            match self.reevaluate_grades(&Ctx::system("job-regrade")).await {
                Ok(changed) => tracing::info!(changed, "customer grades re-evaluated"),
                Err(e) => tracing::error!(error = %e, "customer re-evaluation failed"),
            }
        }
    }
}
