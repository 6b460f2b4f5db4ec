//! `quanyi`: one binary for the whole back office. `dev` runs everything on one machine; `api`,
//! `worker`, `migrate` and `seed` are the production pieces.

use clap::{Parser, Subcommand};
use quanyi::config::Config;
use quanyi::stack::StackError;
use quanyi::telemetry::{self, LogFormat};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "quanyi",
    version,
    about = "权益 Quanyi — the back office of a retail bank's marketing and benefits platform"
)]
struct Cli {
    /// Configuration file (TOML); `QUANYI_*` environment variables override it.
    #[arg(long, global = true, env = "QUANYI_CONFIG")]
    config: Option<PathBuf>,
    /// Log lines for people (`pretty`) or for a log pipeline (`json`).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "pretty",
        env = "QUANYI_LOG_FORMAT"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start everything on this machine: a private PostgreSQL and Temporal dev server under var/,
    /// migrations, the demo bank, and the API with the worker. Ctrl-C stops it all.
    Dev(quanyi::dev::DevArgs),
    /// Serve the HTTP API and the admin UI (production; scale it separately from the worker).
    Api,
    /// Run the Temporal worker: every workflow and activity (production).
    Worker,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Seed the demo bank (orgs, roles, demo logins) unless this database has it already.
    Seed,
    /// Audit tools. Without a configured database (`--config`, `QUANYI_DATABASE__URL`) they check
    /// the `quanyi dev` stack whose data is in `--var`.
    Audit {
        /// The embedded stack's folder, as given to `quanyi dev --var`.
        #[arg(long, default_value = "var")]
        var: PathBuf,
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// 客户管理. Without a configured database (`--config`, `QUANYI_DATABASE__URL`) it works on
    /// the `quanyi dev` stack whose data is in `--var`.
    Customers {
        /// The embedded stack's folder, as given to `quanyi dev --var`.
        #[arg(long, default_value = "var")]
        var: PathBuf,
        #[command(subcommand)]
        command: CustomersCommand,
    },
    /// 积分. Without a configured database (`--config`, `QUANYI_DATABASE__URL`) it works on the
    /// `quanyi dev` stack whose data is in `--var`.
    Points {
        /// The embedded stack's folder, as given to `quanyi dev --var`.
        #[arg(long, default_value = "var")]
        var: PathBuf,
        #[command(subcommand)]
        command: PointsCommand,
    },
}

#[derive(Subcommand)]
enum PointsCommand {
    /// The expiry run (the worker's nightly run, by hand): the points of the lots expired at the
    /// start of the date (Beijing time) go to the expired-points account, one transfer per
    /// customer. Safe to run again, and after a run that was killed: nothing is posted twice.
    /// Recorded in the batch log (`points_expiry`).
    Expire {
        /// The bank's date (YYYY-MM-DD); today in Beijing when not given.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
    /// The expiry reminders (after the nightly run, by hand): an SMS to each customer with points
    /// expiring within `points.reminder.days` of the date, once per lot. Needs `api.pii_key` and
    /// `api.mapping_key` for the phone numbers, and SMS configured for `points_expiry`.
    Remind {
        /// The bank's date (YYYY-MM-DD); today in Beijing when not given.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
    /// The tier evaluation (the worker's nightly run, by hand): every customer's tier by the
    /// points earned in 12 months and the upgrade tasks, up and down, the downgrades noticed by
    /// SMS (configured for `tier_downgrade`), 到期提醒 for tiers lapsing within 30 days (for
    /// `tier_lapse`), the missing benefits of every tier granted.
    /// Recorded in the batch log (`tier_evaluation`).
    Tiers,
}

#[derive(Subcommand)]
enum CustomersCommand {
    /// Import the big-data platform's daily extract (INT-4, docs/customers.md): a UTF-8 CSV file
    /// with a header. Good lines are upserted, a line equal to what is stored changes nothing;
    /// prints the report (refused lines by number, field and reason) and records the run in the
    /// batch log. Needs `api.pii_key` and `api.mapping_key`.
    Import {
        /// The extract.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the audit log's hash chain; print every modified, inserted or deleted row and exit
    /// non-zero if there is any.
    Verify,
    /// Check that the benefits books balance: for every coupon template, initial stock +
    /// increases − claims − withdrawals = remaining, claims = coupons = ledger rows, no coupon
    /// redeemed twice. Prints each violation; exits non-zero if there is any.
    Stock,
    /// Prove the ledger: every transfer balances, every account's kept balance equals the sum of
    /// its postings, the open holds equal the pending transfers, nothing below zero where it may
    /// not be, debits equal credits in total; each point lot's remainder is its points less its
    /// uses, and a customer's lots sum to the available points. Prints each violation; exits
    /// non-zero if there is any.
    Ledger,
    /// Check the mall's orders: each order's stock taken (and given back once if it ended
    /// unpaid), its points held and captured or voided, its cash paid at Q支付 and posted in the
    /// ledger, and its coupon lock agree with its state. Prints each order at fault; exits
    /// non-zero if there is any.
    Orders,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("quanyi: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quanyi: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), StackError> {
    let var = match &cli.command {
        Command::Audit { var, .. }
        | Command::Customers { var, .. }
        | Command::Points { var, .. } => var.clone(),
        _ => PathBuf::from("var"),
    };
    let config =
        || Config::load_beside(&var, cli.config.as_deref()).map_err(|e| StackError(e.to_string()));
    match cli.command {
        Command::Dev(args) => quanyi::dev::run(args).await,
        Command::Api => {
            let config = config()?;
            let pool = quanyi::connect_and_migrate(&config).await?;
            let listener = tokio::net::TcpListener::bind(config.api.listen)
                .await
                .map_err(|e| StackError(format!("cannot listen on {}: {e}", config.api.listen)))?;
            quanyi::serve_api(&config, pool, listener).await
        }
        Command::Worker => {
            let config = config()?;
            let pool = quanyi::connect(&config)?;
            quanyi::serve_worker(&config, pool).await
        }
        Command::Migrate => {
            quanyi::connect_and_migrate(&config()?).await?;
            tracing::info!("schema up to date");
            Ok(())
        }
        Command::Seed => {
            let config = config()?;
            let key = config
                .api_settings()
                .map_err(|e| StackError(e.to_string()))?
                .data_key;
            let pool = quanyi::connect_and_migrate(&config).await?;
            let outcome = quanyi_activities::seed::seed_demo_bank(&pool, &key)
                .await
                .map_err(|e| StackError(format!("cannot seed: {e}")))?;
            tracing::info!(?outcome, "demo bank");
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
            ..
        } => {
            use quanyi_activities::batch::{self, Job};
            use quanyi_activities::clock::{Clock, SystemClock};
            let pool = quanyi::connect(&config()?)?;
            let cannot_record =
                |e: sqlx::Error| StackError(format!("cannot write the batch log: {e}"));
            // Recorded in the batch log (批量日志) like any batch job, with its outcome.
            let run = batch::start(&pool, Job::AuditVerify, "cli", SystemClock.now())
                .await
                .map_err(cannot_record)?;
            let outcome = match quanyi_activities::audit::verify(&pool).await {
                Ok((rows, violations)) => {
                    for violation in &violations {
                        println!("{violation}");
                    }
                    if violations.is_empty() {
                        println!("audit log intact: {rows} rows, hash chain unbroken");
                        Ok(rows)
                    } else {
                        Err(format!(
                            "audit log tampered: {} break(s) in {rows} rows",
                            violations.len()
                        ))
                    }
                }
                Err(e) => Err(format!("cannot read the audit log: {e}")),
            };
            let recorded = outcome
                .clone()
                .map(|rows| i64::try_from(rows).unwrap_or(i64::MAX));
            batch::finish(&pool, run, recorded, SystemClock.now())
                .await
                .map_err(cannot_record)?;
            outcome.map(|_| ()).map_err(StackError)
        }
        Command::Customers {
            command: CustomersCommand::Import { file },
            ..
        } => {
            let config = config()?;
            let keys = config
                .customer_keys()
                .map_err(|e| StackError(e.to_string()))?
                .ok_or_else(|| {
                    StackError(
                        "api.pii_key and api.mapping_key are not set (QUANYI_API__PII_KEY, \
                         QUANYI_API__MAPPING_KEY)"
                            .into(),
                    )
                })?;
            let pool = quanyi::connect(&config)?;
            import_customers(&pool, &keys, &file).await
        }
        Command::Points { command, .. } => points_run(&config()?, command).await,
        Command::Audit {
            command: AuditCommand::Stock,
            ..
        } => {
            let pool = quanyi::connect(&config()?)?;
            let (templates, violations) = quanyi_activities::benefits::conservation::check(&pool)
                .await
                .map_err(|e| StackError(format!("cannot read the stock: {e}")))?;
            for violation in &violations {
                println!("{violation}");
            }
            if violations.is_empty() {
                println!("stock balances: {templates} templates, no violation");
                Ok(())
            } else {
                Err(StackError(format!(
                    "stock does not balance: {} violation(s) in {templates} templates",
                    violations.len()
                )))
            }
        }
        Command::Audit {
            command: AuditCommand::Orders,
            ..
        } => {
            let pool = quanyi::connect(&config()?)?;
            let (checked, problems) = quanyi_activities::mall::orders::audit(&pool)
                .await
                .map_err(|e| StackError(format!("cannot read the orders: {e}")))?;
            for problem in &problems {
                println!("{problem}");
            }
            if problems.is_empty() {
                println!("orders add up: {checked} orders, no violation");
                Ok(())
            } else {
                Err(StackError(format!(
                    "orders do not add up: {} of {checked} orders at fault",
                    problems.len()
                )))
            }
        }
        Command::Audit {
            command: AuditCommand::Ledger,
            ..
        } => {
            let pool = quanyi::connect(&config()?)?;
            let (checked, violations) = quanyi_activities::ledger::audit::check(&pool)
                .await
                .map_err(|e| StackError(format!("cannot read the ledger: {e}")))?;
            for violation in &violations {
                println!("{violation}");
            }
            if violations.is_empty() {
                println!(
                    "ledger balances: {} accounts, {} transfers, no violation",
                    checked.accounts, checked.transfers
                );
                Ok(())
            } else {
                Err(StackError(format!(
                    "the ledger does not balance: {} violation(s) in {} accounts and {} transfers",
                    violations.len(),
                    checked.accounts,
                    checked.transfers
                )))
            }
        }
    }
}

/// `quanyi points expire|remind [--date D]`.
async fn points_run(config: &Config, command: PointsCommand) -> Result<(), StackError> {
    use quanyi_activities::clock::{Clock, SystemClock};
    use quanyi_activities::points::expiry;
    let pool = quanyi::connect(config)?;
    let settings = config.points_run();
    let started = std::time::Instant::now();
    match command {
        PointsCommand::Expire { date } => {
            let date = date.unwrap_or_else(|| expiry::today(SystemClock.now()));
            let done = expiry::expire(&pool, date, settings, "cli", &SystemClock)
                .await
                .map_err(|e| StackError(format!("the expiry run for {date} stopped: {e}")))?;
            println!(
                "points expired at {date}: {} customers, {} points, {} customers posted before \
                 and left alone, {} interrupted run(s) closed, in {:.1} s (batch run {})",
                done.customers,
                done.points,
                done.skipped,
                done.interrupted,
                started.elapsed().as_secs_f64(),
                done.run.id
            );
        }
        PointsCommand::Remind { date } => {
            let date = date.unwrap_or_else(|| expiry::today(SystemClock.now()));
            let reminders = expiry::Reminders {
                keys: config
                    .customer_keys()
                    .map_err(|e| StackError(e.to_string()))?,
                sms: config.routing().sms("points_expiry"),
            };
            let done = expiry::remind(&pool, &reminders, date, settings, "cli", &SystemClock)
                .await
                .map_err(|e| StackError(format!("the reminder run for {date} stopped: {e}")))?;
            println!(
                "points expiry reminders at {date}: {} customers sent an SMS, {} lots recorded, \
                 in {:.1} s (batch run {})",
                done.customers,
                done.lots,
                started.elapsed().as_secs_f64(),
                done.run.id
            );
        }
        PointsCommand::Tiers => {
            let notices = quanyi_activities::points::tiers::Notices::routed(
                config
                    .customer_keys()
                    .map_err(|e| StackError(e.to_string()))?,
                &config.routing(),
            );
            let done = quanyi_activities::points::tiers::evaluate_all(
                &pool,
                &notices,
                settings,
                "cli",
                &SystemClock,
            )
            .await
            .map_err(|e| StackError(format!("the tier evaluation stopped: {e}")))?;
            println!(
                "tiers evaluated: {} customers, {} up, {} down, {} coupons granted, {} lapse \
                 notices, in {:.1} s (batch run {})",
                done.customers,
                done.upgraded,
                done.downgraded,
                done.coupons,
                done.lapse_notices,
                started.elapsed().as_secs_f64(),
                done.run.id
            );
        }
    }
    Ok(())
}

/// `quanyi customers import FILE`: the file streamed in chunks, the report printed.
async fn import_customers(
    pool: &sqlx::PgPool,
    keys: &quanyi_activities::customers::keys::CustomerKeys,
    file: &std::path::Path,
) -> Result<(), StackError> {
    use quanyi_activities::clock::SystemClock;
    use quanyi_activities::customers::import::{self, Importer};
    use quanyi_activities::identity::scope::DataScope;
    use tokio::io::AsyncReadExt;
    let opened = tokio::fs::File::open(file)
        .await
        .map_err(|e| StackError(format!("cannot open {}: {e}", file.display())))?;
    let chunks = futures::stream::unfold(Some(opened), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), Some(file)))
            }
            // the import stops at the first error: nothing more is read
            Err(e) => Some((Err(e), None)),
        }
    });
    let name = file.file_name().map_or_else(
        || "extract.csv".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let importer = Importer {
        triggered_by: "cli",
        scope: DataScope::All,
        by: quanyi_activities::audit::Entry {
            username: Some("cli".into()),
            ..Default::default()
        },
    };
    let started = std::time::Instant::now();
    let report = import::import(pool, keys, importer, &name, Box::pin(chunks), &SystemClock)
        .await
        .map_err(|e| StackError(format!("the import stopped, nothing of it written: {e}")))?;
    for reject in &report.rejects {
        println!(
            "line {}: {} {} {}",
            reject.line, reject.field, reject.code, reject.reason
        );
    }
    if report.rejected > report.rejects.len() as i64 {
        println!(
            "… and {} more refused lines",
            report.rejected - report.rejects.len() as i64
        );
    }
    println!(
        "{name}: {} lines, {} inserted, {} updated, {} unchanged, {} refused in {:.1} s \
         (batch run {}, sha256 {})",
        report.total_rows,
        report.inserted,
        report.updated,
        report.unchanged,
        report.rejected,
        started.elapsed().as_secs_f64(),
        report.batch_run_id,
        report.file_sha256
    );
    Ok(())
}
