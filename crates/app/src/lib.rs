//! Use cases of medcrm. Web and CLI call only this crate. Every use case runs in one
//! transaction, asks [`policy`] whether the caller may act, and writes its audit entry in the
//! same transaction as the change.

pub mod audit;
pub mod auth;
pub mod bench;
pub mod bench_contracts;
pub mod bench_service;
pub mod calendar;
pub mod contract_execution;
pub mod contracts;
pub mod customer_reports;
pub mod customers;
pub mod deliveries;
pub mod demo;
pub mod development_plans;
mod error;
pub mod imports;
mod jobs;
pub mod notifications;
pub mod org;
pub mod parts;
pub mod pipeline;
pub mod policy;
pub mod pricing;
pub mod products;
pub mod receivables;
pub mod service;

use std::path::Path;

pub use error::{Error, Result};
pub use medcrm_domain as domain;
use medcrm_store::Db;
pub use medcrm_store::{Backend, Page};

/// The caller of a use case: who, and which request (for the audit log and the logs).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: auth::Actor,
    pub request_id: String,
}

/// Everything the use cases need; cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct App {
    db: Db,
}

/// Largest page a list returns; asking for more is refused rather than silently cut.
pub const MAX_PAGE_SIZE: i64 = 200;
pub const DEFAULT_PAGE_SIZE: i64 = 50;

impl App {
    /// Connects (SQLite under `data_dir` unless `database_url` is given) and migrates.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<App> {
        let db = Db::connect(database_url, data_dir).await?;
        db.migrate().await?;
        let app = App { db };
        app.seed_reference_data().await?;
        Ok(app)
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// True when the database answers.
    pub async fn ready(&self) -> bool {
        self.db.ping().await.is_ok()
    }

    pub async fn close(&self) {
        self.db.close().await
    }

    /// Data every installation starts with: the official holiday schedule and working hours.
    async fn seed_reference_data(&self) -> Result<()> {
        let mut tx = self.db.write().await?;
        calendar::seed_official(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A consistent SQLite snapshot into `file` (the server may keep running). `Ok(false)` on
    /// PostgreSQL, which is backed up with `pg_dump`.
    pub async fn backup(&self, file: &Path) -> Result<bool> {
        if file.exists() {
            return Err(Error::invalid("file", "the backup file already exists"));
        }
        Ok(self.db.backup_sqlite(file).await?)
    }
}

/// Milliseconds since the Unix epoch, the unit instants are stored in.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Validates a requested page size: absent → default; outside 1..=MAX → error naming `limit`.
pub fn page_size(limit: Option<i64>) -> Result<i64> {
    match limit {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE_SIZE}"),
        )),
    }
}
