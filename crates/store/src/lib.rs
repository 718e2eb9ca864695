//! The only crate of medcrm that knows SQL. One query text serves both backends (portable
//! dialect: `$1` placeholders, `RETURNING`, `ON CONFLICT`, `CAST`); [`on!`] expands it once per
//! backend so each runs on its own typed driver.

pub mod audit;
pub mod bench;
pub mod bench_contracts;
pub mod bench_service;
pub mod calendar;
pub mod contracts;
pub mod customer_reports;
pub mod customers;
pub mod deliveries;
pub mod development_plans;
pub mod notifications;
pub mod parts;
pub mod pipeline;
pub mod pricing;
pub mod products;
pub mod receivables;
pub mod regions;
pub mod service;
pub mod sessions;
pub mod settings;
pub mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Postgres, Sqlite, Transaction};

/// Runs the same statement on whichever backend `$tx` holds; `$c` is the connection.
#[macro_export]
macro_rules! on {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Like [`on!`] for statements run with `.execute(c)`: yields the number of rows affected.
#[macro_export]
macro_rules! exec {
    ($tx:expr, $c:ident => $body:expr) => {
        $crate::on!($tx, $c => $body.map(|r| r.rows_affected()))
    };
}

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u64 = 10_000;
const POOL_MAX_CONNECTIONS: u32 = 16;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unique constraint refused the write; the text names the constraint or column.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A reference to a row that does not exist.
    #[error("reference to a missing row: {0}")]
    MissingReference(String),
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Backend(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Error {
    /// Turns constraint violations into their own variants so the app can answer 409.
    fn classify(e: sqlx::Error) -> Error {
        if let sqlx::Error::Database(db) = &e {
            let what = db.constraint().unwrap_or(db.message()).to_owned();
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => return Error::Conflict(what),
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return Error::MissingReference(what);
                }
                _ => {}
            }
        }
        if matches!(e, sqlx::Error::RowNotFound) {
            return Error::NotFound;
        }
        Error::Backend(e)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Extension to classify sqlx results in one call.
pub(crate) trait Classify<T> {
    fn db(self) -> Result<T>;
}

impl<T> Classify<T> for std::result::Result<T, sqlx::Error> {
    fn db(self) -> Result<T> {
        self.map_err(Error::classify)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool on one of the two backends.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction. Every repository function takes one, reads included, so a use case
/// sees one consistent snapshot and writes all-or-nothing.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Db {
    /// Opens `url` (`postgres://…` or `sqlite://…`), or `medcrm.db` under `data_dir` when none.
    pub async fn connect(url: Option<&str>, data_dir: &Path) -> Result<Db> {
        match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                let pool = PgPoolOptions::new()
                    .max_connections(POOL_MAX_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(u)
                    .await
                    .db()?;
                Ok(Db::Postgres(pool))
            }
            Some(u) => Self::sqlite(SqliteConnectOptions::from_str(u).db()?).await,
            None => {
                let file = data_dir.join("medcrm.db");
                Self::sqlite(SqliteConnectOptions::new().filename(file)).await
            }
        }
    }

    async fn sqlite(options: SqliteConnectOptions) -> Result<Db> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS));
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .db()?;
        Ok(Db::Sqlite(pool))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("../../migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("../../migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// A transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes can fail with
    /// SQLITE_BUSY when another writer got there first, and the busy timeout cannot help it.
    pub async fn write(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await.db()?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await.db()?),
        })
    }

    /// A transaction that only reads.
    pub async fn read(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin().await.db()?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await.db()?),
        })
    }

    /// `SELECT 1`, for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        let mut tx = self.read().await?;
        exec!(&mut tx, c => sqlx::query("SELECT 1").execute(c).await).db()?;
        Ok(())
    }

    /// A consistent copy of a SQLite database into `file` while the server keeps running
    /// (`VACUUM INTO` reads one snapshot). PostgreSQL is backed up with `pg_dump`.
    pub async fn backup_sqlite(&self, file: &Path) -> Result<bool> {
        match self {
            Db::Sqlite(p) => {
                let target = file.to_string_lossy().into_owned();
                sqlx::query("VACUUM INTO $1")
                    .bind(target)
                    .execute(p)
                    .await
                    .db()?;
                Ok(true)
            }
            Db::Postgres(_) => Ok(false),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await.db(),
            Tx::Postgres(t) => t.commit().await.db(),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Rows fetched one more than asked, to know whether a next page exists without counting.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<i64>,
}

impl<T> Page<T> {
    /// `rows` were fetched with `LIMIT limit + 1`; `key` gives the keyset cursor of a row.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> i64) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(key)
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn names(dir: &str) -> BTreeSet<String> {
        let path = format!("{}/../../migrations/{dir}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// Both backends must run the same migration sequence.
    #[test]
    fn migration_folders_mirror_each_other() {
        let sqlite = names("sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names("postgres"));
    }
}
