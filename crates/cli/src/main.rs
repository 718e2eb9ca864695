//! `medcrm`: serve the web UI and API, and the admin subcommands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use medcrm_app::App;
use medcrm_app::audit::Verification;

mod imports;

#[derive(Parser)]
#[command(
    name = "medcrm",
    version,
    about = "Sales and after-sales service for medical-device companies"
)]
struct Cli {
    /// Where the SQLite database and uploads live.
    #[arg(
        long,
        global = true,
        env = "MEDCRM_DATA_DIR",
        default_value = "medcrm-data"
    )]
    data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; embedded SQLite under the data directory otherwise.
    #[arg(long, global = true, env = "MEDCRM_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the API.
    Serve {
        #[arg(long, env = "MEDCRM_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Create the demo company on first start.
        #[arg(long)]
        demo: bool,
    },
    /// Create the first administrator on an empty database.
    Init {
        #[arg(long, default_value = "admin")]
        username: String,
        /// The password; read from MEDCRM_ADMIN_PASSWORD when not given.
        #[arg(long, env = "MEDCRM_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "medcrm")]
        company: String,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo company into an empty database.
    Demo,
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent snapshot of the SQLite database to FILE (safe while serving).
    Backup { file: PathBuf },
    /// Import institutions, contacts, products, spare parts or opening stock from .xlsx or .csv
    /// (SYS-3): all rows or none; bad rows are listed with their row numbers.
    Import {
        #[command(subcommand)]
        command: imports::ImportCommand,
    },
    /// Export institutions, contacts, products, spare parts or stock to .xlsx or .csv (SYS-3).
    Export {
        #[command(subcommand)]
        command: imports::ExportCommand,
    },
    /// Reproducible load tests; run them on an empty database, they fill it with generated data.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Generate a customer book (3 contacts, 10 visits and 2 opportunities per institution;
    /// kept for later runs) and time list, name search, pinyin search, short search, overdue
    /// list and funnel from 10 clients.
    Customers {
        /// Institutions to generate (1 to 1,000,000).
        #[arg(long, default_value_t = 100_000)]
        institutions: u64,
        /// Requests per client and scenario.
        #[arg(long, default_value_t = 100)]
        iterations: u32,
    },
    /// Generate an installed base over a 10,000-institution customer book (10 devices and 2
    /// invoices per contract; kept for later runs) and time the recall trace and the aging
    /// report from 10 clients.
    Contracts {
        /// Installed devices to generate (1 to 5,000,000); invoices are a fifth of that.
        #[arg(long, default_value_t = 1_000_000)]
        devices: u64,
        /// Requests per client and scenario.
        #[arg(long, default_value_t = 100)]
        iterations: u32,
    },
    /// Generate service tickets with their SLA clocks over a 10,000-institution customer book
    /// (kept for later runs), then time ticket creation from 10 clients, the SLA scan and the
    /// SLA board from 10 clients.
    Service {
        /// Tickets to generate (1 to 5,000,000).
        #[arg(long, default_value_t = 1_000_000)]
        tickets: u64,
        /// How many of them are open (the newest).
        #[arg(long, default_value_t = 100_000)]
        open: u64,
        /// Requests per client for the board.
        #[arg(long, default_value_t = 100)]
        iterations: u32,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; names the first broken entry.
    Verify,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            // A validation error says which input is wrong and why.
            if let Some(medcrm_app::Error::Invalid(fields)) = e.downcast_ref::<medcrm_app::Error>()
            {
                for (field, message) in fields {
                    eprintln!("  {field}: {message}");
                }
            }
            ExitCode::FAILURE
        }
    }
}

async fn open(cli: &Cli) -> anyhow::Result<App> {
    if cli.database_url.is_none() {
        std::fs::create_dir_all(&cli.data_dir)?;
    }
    Ok(App::open(cli.database_url.as_deref(), &cli.data_dir).await?)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let started = Instant::now();
    let app = open(&cli).await?;
    match &cli.command {
        Command::Serve { bind, demo } => {
            if *demo && app.load_demo().await? {
                println!("Demo company created.");
            }
            let listener = tokio::net::TcpListener::bind(bind).await?;
            let addr = listener.local_addr()?;
            println!(
                "medcrm is running at http://{addr}/  (started in {} ms)",
                started.elapsed().as_millis()
            );
            if *demo {
                println!(
                    "Demo logins (password `{}`):",
                    medcrm_app::demo::DEMO_PASSWORD
                );
                for (username, name, _, _) in medcrm_app::demo::DEMO_USERS {
                    println!("  {username:<16} {name}");
                }
            }
            tokio::spawn(app.clone().run_jobs());
            medcrm_web::serve(app.clone(), listener).await?;
        }
        Command::Init {
            username,
            password,
            company,
        } => {
            app.init_admin(username, password, company).await?;
            println!("Administrator `{username}` created.");
        }
        Command::Migrate => println!("Database is up to date."),
        Command::Demo => {
            if app.load_demo().await? {
                println!("Demo company created.");
            } else {
                anyhow::bail!(
                    "the database already has users; demo data is only loaded into an empty one"
                );
            }
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => match app.verify_audit_chain().await? {
            Verification::Intact { entries } => {
                println!("Audit log intact: {entries} entries verified.")
            }
            Verification::Broken { entry_id, reason } => {
                anyhow::bail!("audit log broken at entry {entry_id}: {reason}")
            }
        },
        Command::Import { command } => imports::import(&app, command).await?,
        Command::Export { command } => imports::export(&app, command).await?,
        Command::Backup { file } => {
            if app.backup(file).await? {
                println!("Backup written to {}", file.display());
            } else {
                println!(
                    "This instance runs on PostgreSQL; back it up with: pg_dump --format=custom --file=medcrm.dump \"$MEDCRM_DATABASE_URL\""
                );
            }
        }
        Command::Bench {
            command:
                BenchCommand::Customers {
                    institutions,
                    iterations,
                },
        } => {
            let options = medcrm_app::bench::BenchOptions {
                institutions: *institutions,
                iterations: *iterations,
            };
            let report = app.bench_customers(options).await?;
            print_bench(app.backend(), &report);
        }
        Command::Bench {
            command:
                BenchCommand::Contracts {
                    devices,
                    iterations,
                },
        } => {
            let r = app.bench_contracts(*devices, *iterations).await?;
            println!(
                "{:?}: {} installed devices and {} invoices over 10,000 institutions; database {} MB",
                app.backend(),
                r.devices,
                r.invoices,
                r.database_bytes / 1_000_000
            );
            match r.generation {
                Some(took) => println!("generated in {:.1} s", took.as_secs_f64()),
                None => println!("data already generated; reused"),
            }
            print_results(medcrm_app::bench::CLIENTS, r.iterations, &r.results);
        }
        Command::Bench {
            command:
                BenchCommand::Service {
                    tickets,
                    open,
                    iterations,
                },
        } => {
            let r = app.bench_service(*tickets, *open, *iterations).await?;
            print_service(app.backend(), &r);
        }
    }
    app.close().await;
    Ok(())
}

/// The report as a Markdown table, ready for docs/benchmarks.md.
fn print_bench(backend: medcrm_app::Backend, r: &medcrm_app::bench::BenchReport) {
    println!(
        "{backend:?}: bench book of {} institutions (3 contacts, 10 visits and 2 opportunities each) \
         and the demo company; database {} MB",
        r.institutions,
        r.database_bytes / 1_000_000
    );
    match r.generation {
        Some(took) => println!(
            "generated {} institutions in {:.1} s",
            r.generated,
            took.as_secs_f64()
        ),
        None => println!("data already generated; reused"),
    }
    print_results(r.clients, r.iterations, &r.results);
}

/// `bench service` figures, ready for docs/benchmarks.md.
fn print_service(backend: medcrm_app::Backend, r: &medcrm_app::bench_service::ServiceReport) {
    println!(
        "{backend:?}: {} service tickets ({} open) with their SLA clocks over 10,000 institutions; database {} MB",
        r.tickets,
        r.open,
        r.database_bytes / 1_000_000
    );
    match r.generation {
        Some(took) => println!("generated in {:.1} s", took.as_secs_f64()),
        None => println!("data already generated; reused"),
    }
    let secs = r.creation.as_secs_f64();
    println!(
        "ticket creation: {} tickets by {} clients in {:.2} s = {:.0} tickets/s",
        r.created,
        medcrm_app::bench::CLIENTS,
        secs,
        r.created as f64 / secs.max(f64::EPSILON)
    );
    for (i, s) in r.scans.iter().enumerate() {
        println!(
            "SLA scan {}: {:.1} ms ({} warned, {} escalated)",
            i + 1,
            s.took.as_secs_f64() * 1000.0,
            s.outcome.warned,
            s.outcome.escalated
        );
    }
    print_results(medcrm_app::bench::CLIENTS, r.iterations, &r.results);
}

/// Latencies as a Markdown table.
fn print_results(clients: usize, iterations: u32, results: &[medcrm_app::bench::ScenarioResult]) {
    let ms = |d: std::time::Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
    println!(
        "{clients} clients × {iterations} requests per scenario (after one concurrent warm-up round); latency in ms\n"
    );
    println!("| scenario | user | rows | p50 | p95 | p99 | max |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for s in results {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            s.scenario,
            s.username,
            s.rows,
            ms(s.p50),
            ms(s.p95),
            ms(s.p99),
            ms(s.max)
        );
    }
}
