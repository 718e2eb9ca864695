//! `medcrm import …` and `medcrm export …` (SYS-3): the same use cases as the upload page and
//! the API, with a progress bar, the row-numbered report on the terminal and a non-zero exit
//! when anything is refused.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use medcrm_app::imports::{
    Format, ImportKind, ImportReport, Labels, MAX_FILE_BYTES, Phase, Progress, write_table,
};
use medcrm_app::{App, Ctx};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// One institution per row (name, kind, province, city required; owner by username and
    /// region by code or name optional). Nothing is written if any row is bad.
    Institutions(ImportArgs),
    /// Departments and contacts: one contact per row (a department alone when the name is
    /// blank); the institution by ID, credit code, or name and city.
    Contacts(ImportArgs),
    /// Catalog entries (PRD-1): code, name, model, product line, manufacturer (by name) and
    /// unit required; import as a quality or director user.
    Products(ImportArgs),
    /// Spare parts (PRT-1): code, name and unit required; unit cost in yuan, tracking, the
    /// codes of the products each fits; import as a warehouse or admin user.
    Parts(ImportArgs),
    /// Opening stock (PRT-1/2) in the stock report's columns: part code, location (warehouse
    /// code or name), quantity on hand, optional min/max; booked as receipts.
    Stock(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    /// The file: .xlsx, or .csv in UTF-8 or GBK; the header row names the columns in English
    /// or Chinese.
    file: PathBuf,
    /// Check every row and print the report; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The user to import as (a sales rep, manager or director): their scope applies, they
    /// are the default owner, and the audit log names them.
    #[arg(long = "as", value_name = "USERNAME")]
    as_user: String,
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// Institutions, one per row, in the columns the import reads.
    Institutions(ExportArgs),
    /// Departments and contacts of the institutions, in the columns the import reads.
    Contacts(ExportArgs),
    /// The product catalog in the columns the import reads, with each current registration.
    Products(ExportArgs),
    /// The parts catalog in the columns the import reads.
    Parts(ExportArgs),
    /// Stock per part and location (the stock report), in the columns the import reads.
    Stock(ExportArgs),
}

#[derive(Args)]
pub struct ExportArgs {
    /// Where to write; the extension (.xlsx or .csv) chooses the format.
    file: PathBuf,
    /// Export what this user's customer list shows; the whole company when not given.
    #[arg(long = "as", value_name = "USERNAME")]
    as_user: Option<String>,
    /// English column and value codes (`name`, `hospital`) instead of Chinese headers and
    /// labels.
    #[arg(long)]
    codes: bool,
    /// Replace FILE if it exists.
    #[arg(long)]
    force: bool,
}

/// A progress bar on stderr (drawn only on a terminal).
struct Bar(ProgressBar);

impl Bar {
    fn new() -> Bar {
        Bar(ProgressBar::new(0))
    }
}

impl Progress for Bar {
    fn start(&self, phase: Phase, total: u64) {
        let name = match phase {
            Phase::Reading => "reading",
            Phase::Checking => "checking",
            Phase::Writing => "writing",
        };
        if total == 0 {
            self.0.set_style(ProgressStyle::default_spinner());
            self.0.enable_steady_tick(Duration::from_millis(120));
        } else {
            self.0.disable_steady_tick();
            if let Ok(style) =
                ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} rows ({eta})")
            {
                self.0.set_style(style.progress_chars("=> "));
            }
        }
        self.0.set_message(name);
        self.0.set_length(total);
        self.0.set_position(0);
    }

    fn advance(&self, done: u64) {
        self.0.set_position(done);
    }
}

fn format_of(path: &Path) -> anyhow::Result<Format> {
    let name = path.to_string_lossy();
    Format::of_file_name(&name).with_context(|| format!("{name}: name the file .xlsx or .csv"))
}

pub async fn import(app: &App, command: &ImportCommand) -> anyhow::Result<()> {
    let (kind, args) = match command {
        ImportCommand::Institutions(a) => (ImportKind::Institutions, a),
        ImportCommand::Contacts(a) => (ImportKind::Contacts, a),
        ImportCommand::Products(a) => (ImportKind::Products, a),
        ImportCommand::Parts(a) => (ImportKind::Parts, a),
        ImportCommand::Stock(a) => (ImportKind::Stock, a),
    };
    let ctx = app.ctx_as(&args.as_user, "cli-import").await?;
    let path = &args.file;
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        bail!(
            "{} is larger than {} MiB; split it into smaller files",
            path.display(),
            MAX_FILE_BYTES / 1024 / 1024
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = Format::of_file_name(&path.to_string_lossy());
    let bar = Bar::new();
    let result = app
        .import_file(&ctx, kind, format, bytes, args.dry_run, &bar)
        .await;
    bar.0.finish_and_clear();
    let report = result?;
    print_report(&report)
}

/// Prints the outcome; an error (non-zero exit) when any row was refused.
fn print_report(r: &ImportReport) -> anyhow::Result<()> {
    let c = &r.created;
    if !r.is_clean() {
        eprintln!("row\tcolumn\tproblem");
        for e in &r.errors {
            eprintln!("{}\t{}\t{}", e.row, e.column, e.message);
        }
        if r.more_errors > 0 {
            eprintln!("… and {} more errors not listed", r.more_errors);
        }
        bail!(
            "{} of {} rows have mistakes; nothing was imported",
            r.rows.saturating_sub(r.rows_ok),
            r.rows
        );
    }
    let what = match r.kind {
        ImportKind::Products => format!("{} products", c.products),
        ImportKind::Parts => format!("{} parts", c.parts),
        ImportKind::Stock => format!("{} stock rows", c.stock),
        ImportKind::Institutions | ImportKind::Contacts => format!(
            "{} institutions, {} departments, {} contacts",
            c.institutions, c.departments, c.contacts
        ),
    };
    if r.dry_run {
        println!(
            "Dry run: all {} rows can be imported ({what} would be created); nothing was written.",
            r.rows
        );
    } else {
        println!("Imported {} rows: {what} created.", r.rows);
    }
    Ok(())
}

pub async fn export(app: &App, command: &ExportCommand) -> anyhow::Result<()> {
    let (kind, args) = match command {
        ExportCommand::Institutions(a) => (ImportKind::Institutions, a),
        ExportCommand::Contacts(a) => (ImportKind::Contacts, a),
        ExportCommand::Products(a) => (ImportKind::Products, a),
        ExportCommand::Parts(a) => (ImportKind::Parts, a),
        ExportCommand::Stock(a) => (ImportKind::Stock, a),
    };
    let format = format_of(&args.file)?;
    if args.file.exists() && !args.force {
        bail!(
            "{} already exists; choose another name or pass --force",
            args.file.display()
        );
    }
    let ctx = match &args.as_user {
        Some(u) => app.ctx_as(u, "cli-export").await?,
        None => Ctx::system("cli-export"),
    };
    let labels = if args.codes {
        Labels::Codes
    } else {
        Labels::Chinese
    };
    let query = medcrm_app::customers::InstitutionQuery::default();
    let table = match kind {
        ImportKind::Contacts => app.export_contacts(&ctx, &query, labels).await?,
        ImportKind::Institutions => app.export_institutions(&ctx, &query, labels).await?,
        ImportKind::Products => {
            let all = medcrm_app::products::ProductQuery::default();
            app.export_products(&ctx, &all, labels).await?
        }
        ImportKind::Parts => {
            let all = medcrm_app::parts::PartQuery::default();
            app.export_parts(&ctx, all, labels).await?
        }
        ImportKind::Stock => {
            let all = medcrm_app::parts::stock::StockQuery::default();
            app.export_stock(&ctx, all, labels).await?
        }
    };
    let rows = table.rows.len();
    let bytes = write_table(&table, format)?;
    std::fs::write(&args.file, bytes)
        .with_context(|| format!("cannot write {}", args.file.display()))?;
    println!("Exported {rows} rows to {}", args.file.display());
    Ok(())
}
