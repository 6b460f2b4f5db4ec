//! `quanyi-load`: the load generator of issue 7 ("3,000 transactions per second, 100 % success,
//! 100 % correct") for the signed channel API of docs/channel-api.md.
//!
//! ```text
//! cargo run -p quanyi-load --release -- --scenario claim-spread --connections 1000 --duration 30s
//! ```
//!
//! One run: seeds its own templates, clients (with secrets it knows), merchant and store straight
//! into PostgreSQL; drives the HTTP API with `--connections` tasks, each on its own keep-alive
//! connection, every request signed with a fresh timestamp, nonce and request id; prints
//! throughput, latency percentiles and outcomes by status and `QY-` code; runs `pgbench` with the
//! server's claim transaction on the same database as a baseline and prints the ratio; finally
//! runs `quanyi audit stock`. It exits non-zero when any request failed with anything but a
//! business answer (sold out), when the database holds other than what the API answered, or when
//! the audit finds stock not conserved.
//!
//! pgbench runs for `--pgbench-duration` (10 s by default, shorter than the API run: it settles in
//! seconds) on templates created for it alone, and its transactions COMMIT: a rolled-back claim
//! would skip the WAL flush every real claim pays. The audit checks its rows with the rest; they
//! are removed after it.
//!
//! Against `quanyi dev` (defaults: API on 127.0.0.1:8080, PostgreSQL on 54329 with the password
//! and data key under `var/secrets/`), run from the workspace root, nothing else to pass.
//!
//! `--scenario channel-delivery` (issue 6) seeds 100 running campaigns and a 1-million-row list,
//! then asks what a channel shows a customer over REST and the ESB, with `/healthz` as the
//! baseline (see `delivery.rs`); no pgbench or audit.
//!
//! `--scenario catalogue-browse` (issue 18) seeds a category of 50 listed products, then reads
//! the H5's home, category and product pages against `/healthz` (see `catalogue.rs`); no pgbench
//! or audit.
//!
//! `--scenario campaign-process` (issue 5) is apart from all this: it drives campaign processes
//! through both approvals over the staff API and runs empty Temporal workflows as its baseline
//! (see `campaign.rs` and `empty.rs`); no seeding, pgbench or audit.
//!
//! Crates, and why: tokio, and hyper's low-level HTTP/1.1 client (`hyper::client::conn`) rather
//! than `reqwest`, because "one task, one keep-alive connection" is exactly what it is (a pooled
//! client would share and hide connections) and it costs the least CPU per request on a machine
//! that also runs the server and PostgreSQL; `hdrhistogram` for latencies (per task, merged at the
//! end, so no lock on the hot path); `hmac` + `sha2` + `hex` for the signature; `clap`;
//! `humantime` for `30s`. Not Goose: its scenario/transaction model and report would have to be
//! bent around our per-request signing, the setup phase that claims a coupon pool, the
//! business-versus-error classification and the pgbench comparison — more glue than this crate.

mod audit;
mod campaign;
mod catalogue;
mod delivery;
mod drive;
mod empty;
mod http;
mod pace;
mod pgbench;
mod points;
mod rush;
mod scenario;
mod seed;
mod sign;
mod stats;

use anyhow::Context;
use clap::Parser;
use scenario::Scenario;
use secrecy::{ExposeSecret, SecretString};
use stats::{Class, Op, Outcome, Tally, summarize};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "quanyi-load",
    about = "Load generator for the signed channel API, with a pgbench baseline and the stock audit",
    after_help = "Example, against `quanyi dev` started from the workspace root:\n  \
        cargo run -p quanyi-load --release -- --scenario claim-spread --connections 1000 --duration 30s"
)]
struct Cli {
    /// What load to drive.
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// Concurrent connections, one task and one keep-alive connection each; for campaign-process,
    /// concurrent processes (and as many concurrent empty workflows in the baseline)
    /// [default: 100; 20 for campaign-process].
    #[arg(long)]
    connections: Option<usize>,
    /// Open loop: send this many requests a second in all, whatever the answers take (as wrk2
    /// does): request k is due k/N s after the start, and its latency counts from then, so a
    /// stall is not hidden. Without it, each connection sends its next request when the last is
    /// answered (closed loop). For claim-*, redeem, mixed, channel-delivery and points-earn.
    #[arg(long)]
    rate: Option<u32>,
    /// How long the measured phase runs (`30s`, `2m`).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// The API.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// The Temporal frontend the campaign-process baseline runs empty workflows on
    /// (`quanyi dev --temporal-port`).
    #[arg(long, default_value = "http://127.0.0.1:17233")]
    temporal_url: String,
    /// PostgreSQL of the installation under load [default: postgres://quanyi:<pw>@127.0.0.1:<pg-port>/quanyi,
    /// <pw> read from <var>/secrets/pg-password, as `quanyi dev` sets it up].
    #[arg(long, env = "QUANYI_LOAD_DATABASE_URL", hide_env_values = true)]
    database_url: Option<SecretString>,
    /// The `quanyi dev` state folder the defaults read secrets from.
    #[arg(long, default_value = "var")]
    var: PathBuf,
    /// PostgreSQL port for the default database URL (`quanyi dev --pg-port`).
    #[arg(long, default_value_t = 54329)]
    pg_port: u16,
    /// The installation's data key (base64), which encrypts the clients' secrets [default: <var>/secrets/data-key].
    #[arg(long)]
    data_key_file: Option<PathBuf>,
    /// Templates claim-spread and mixed spread claims over.
    #[arg(long, default_value_t = 1000)]
    templates: usize,
    /// Stock of each of those templates.
    #[arg(long, default_value_t = 1_000_000)]
    stock: i64,
    /// Stock of the single claim-hot template. Below the number of claims a run makes, it sells
    /// out and the rest of the run measures sold-out answers; above it, the contention on the shards.
    #[arg(long, default_value_t = 50_000)]
    hot_stock: i64,
    /// Stock shards of the claim-hot template (1–64).
    #[arg(long, default_value_t = 16)]
    hot_shards: i32,
    /// Distinct customers claims are drawn from.
    #[arg(long, default_value_t = 1_000_000)]
    customers: u64,
    /// Share of redemptions in the mixed scenario, in percent.
    #[arg(long, default_value_t = 20)]
    redeem_percent: u8,
    /// Coupons claimed before the clock starts [default: 30,000 for redeem, 20 per connection for mixed].
    /// A redeem run ends early when they are all redeemed.
    #[arg(long)]
    pool: Option<u64>,
    /// How long pgbench runs; 0s skips it.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pgbench_duration: Duration,
    /// Skip `quanyi audit stock`.
    #[arg(long)]
    no_audit: bool,
    /// The staff user the ESB consumer of channel-delivery (it needs `campaign:delivery:view`) or
    /// points-earn (`points:transfer:earn`; the earnings come from its org's funding account)
    /// acts as.
    #[arg(long, default_value = "planner")]
    acting_user: String,
    /// staff-rush: sessions that arrive over `--ramp`, one user each.
    #[arg(long, default_value_t = 1000)]
    sessions: usize,
    /// staff-rush: how long the sessions take to arrive (a constant rate).
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    ramp: Duration,
    /// staff-rush: the mean think time between a session's requests.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    think: Duration,
    /// staff-rush: the sign-in concurrencies whose throughput is measured.
    #[arg(long, value_delimiter = ',', default_value = "10,50,100")]
    levels: Vec<usize>,
    /// staff-rush: how long each sign-in concurrency runs.
    #[arg(long, default_value = "15s", value_parser = humantime::parse_duration)]
    burst: Duration,
    /// The `quanyi` binary for the audit [default: the newer of target/release/quanyi and target/debug/quanyi].
    #[arg(long)]
    quanyi_bin: Option<PathBuf>,
    /// PEM file of the certificate(s) to trust for an `https://` --base-url (a reverse proxy's
    /// test certificate); nothing else is trusted.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// Replicas are taken out during this run (tests/scale-out.sh): no answer and 502/503/504 are
    /// counted apart as failover answers, not errors; a claim so answered is sent again with the
    /// same request id (a fresh nonce) every 100 ms until it gets an answer, as a channel would —
    /// the API answers a repeated request id with its first answer; a campaign process so
    /// answered is given up (its staff calls are not idempotent) and checked in the database.
    /// No baseline (pgbench, empty workflows) is run.
    #[arg(long)]
    failover: bool,
    /// Write one line per request to this file: `<unix ms> <op> <ok|business|failover|error>
    /// <status and code, or the transport error> <latency ms, or ->`, tab-separated.
    #[arg(long)]
    events: Option<PathBuf>,
    /// Write the coupon code of every claim answered 200 to this file, one a line.
    #[arg(long)]
    claims_file: Option<PathBuf>,
}

impl Cli {
    fn connections(&self) -> usize {
        self.connections.unwrap_or(match self.scenario {
            Scenario::CampaignProcess => 20,
            _ => 100,
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("quanyi-load: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn database_url(cli: &Cli) -> anyhow::Result<SecretString> {
    if let Some(url) = &cli.database_url {
        return Ok(url.clone());
    }
    let file = cli.var.join("secrets/pg-password");
    let password = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "cannot read {} (start `quanyi dev` first, or pass --database-url)",
            file.display()
        )
    })?;
    Ok(SecretString::from(format!(
        "postgres://quanyi:{}@127.0.0.1:{}/quanyi",
        password.trim(),
        cli.pg_port
    )))
}

/// Whether the run passed.
async fn run(cli: Cli) -> anyhow::Result<bool> {
    let connections = cli.connections();
    anyhow::ensure!(connections > 0, "--connections must be at least 1");
    if let Some(path) = &cli.ca_cert {
        http::trust(path)?;
    }
    if cli.failover {
        stats::expect_failovers();
    }
    for (path, sink) in [
        (&cli.events, &stats::EVENTS),
        (&cli.claims_file, &drive::CLAIMS),
    ] {
        if let Some(path) = path {
            let file = stats::Sink::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let _ = sink.set(file);
        }
    }
    let passed = run_scenario(cli, connections).await;
    for sink in [stats::EVENTS.get(), drive::CLAIMS.get()]
        .into_iter()
        .flatten()
    {
        sink.flush()
            .context("cannot write --events or --claims-file")?;
    }
    passed
}

async fn run_scenario(cli: Cli, connections: usize) -> anyhow::Result<bool> {
    let url = database_url(&cli)?;
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let prefix = format!("L{unix}-");
    if cli.scenario == Scenario::StaffRush {
        let db = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect(url.expose_secret())
            .await
            .context("cannot connect to PostgreSQL")?;
        let options = rush::Options {
            base_url: cli.base_url.clone(),
            sessions: cli.sessions,
            ramp: cli.ramp,
            duration: cli.duration,
            think: cli.think,
            levels: cli.levels.clone(),
            burst: cli.burst,
            prefix,
        };
        let passed = rush::run(options, &db).await?;
        println!("{}", if passed { "PASS" } else { "FAIL" });
        return Ok(passed);
    }
    if cli.scenario == Scenario::CampaignProcess {
        // the captchas of the three sign-ins and the check of the campaigns afterwards
        let db = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(url.expose_secret())
            .await
            .context("cannot connect to PostgreSQL")?;
        let options = campaign::Options {
            base_url: cli.base_url.clone(),
            temporal_url: cli.temporal_url.clone(),
            connections,
            duration: cli.duration,
            prefix,
            baseline: !cli.failover,
        };
        let passed = campaign::run(options, &db).await?;
        println!("{}", if passed { "PASS" } else { "FAIL" });
        return Ok(passed);
    }
    let key_file = cli
        .data_key_file
        .clone()
        .unwrap_or_else(|| cli.var.join("secrets/data-key"));
    let key = quanyi_activities::crypto::DataKey::from_base64(
        &std::fs::read_to_string(&key_file)
            .with_context(|| format!("cannot read the data key {}", key_file.display()))?,
    )?;
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(url.expose_secret())
        .await
        .context("cannot connect to PostgreSQL")?;
    if cli.scenario == Scenario::PointsEarn {
        let passed = run_points(&cli, connections, prefix, &db, &key, &url).await?;
        println!("{}", if passed { "PASS" } else { "FAIL" });
        return Ok(passed);
    }
    if cli.scenario == Scenario::CatalogueBrowse {
        let options = catalogue::Options {
            base_url: cli.base_url.clone(),
            connections,
            duration: cli.duration,
            pace: pace::Pace::new(cli.rate),
        };
        let passed = catalogue::run(&options, &db).await?;
        println!("{}", if passed { "PASS" } else { "FAIL" });
        return Ok(passed);
    }
    if cli.scenario == Scenario::ChannelDelivery {
        let options = delivery::Options {
            base_url: cli.base_url.clone(),
            connections,
            duration: cli.duration,
            prefix,
            acting_user: cli.acting_user.clone(),
            pace: pace::Pace::new(cli.rate),
        };
        let passed = delivery::run(&options, &db, &key).await?;
        println!("{}", if passed { "PASS" } else { "FAIL" });
        return Ok(passed);
    }

    let seeding = std::time::Instant::now();
    let seeded = seed::seed(
        &db,
        &key,
        &seed::SeedPlan {
            prefix: prefix.clone(),
            spread_templates: cli.templates,
            spread_stock: cli.stock,
            hot_stock: cli.hot_stock,
            hot_shards: cli.hot_shards,
            discount: 2000,
            threshold: 10000,
        },
    )
    .await
    .context("cannot seed the run's data")?;
    let plan = Arc::new(drive::Plan {
        target: http::Target::parse(&cli.base_url).await?,
        channel: seeded.channel.clone(),
        merchant: seeded.merchant.clone(),
        scenario: cli.scenario,
        redeem_percent: cli.redeem_percent,
        templates: match cli.scenario {
            Scenario::ClaimHot => vec![seeded.hot.clone()],
            _ => seeded.spread.clone(),
        },
        customers: cli.customers,
        store_code: seeded.store_code.clone(),
        order_amount: 12800,
        prefix: prefix.clone(),
        failover: cli.failover,
    });
    println!(
        "quanyi-load {:?}: prefix {prefix}, {} connections, {:?}, {}; seeded {} templates in {:.1} s",
        cli.scenario,
        connections,
        cli.duration,
        cli.base_url,
        seeded.spread.len() + 1,
        seeding.elapsed().as_secs_f64()
    );

    let pool = Arc::new(drive::CouponPool::default());
    let mut passed = true;
    let mut claimed_in_setup = 0;
    if cli.scenario.needs_pool() {
        let count = cli.pool.unwrap_or(match cli.scenario {
            Scenario::Redeem => 30_000,
            _ => 20 * connections as u64,
        });
        let setup = drive::fill_pool(plan.clone(), pool.clone(), connections.min(64), count).await;
        println!(
            "setup: claimed {} of {count} coupons in {:.1} s ({:.0} req/s), not measured",
            pool.len(),
            setup.elapsed.as_secs_f64(),
            setup.tally.answered() as f64 / setup.elapsed.as_secs_f64()
        );
        passed &= print_outcomes("setup", &setup.tally);
        claimed_in_setup = setup.tally.successes(Op::Claim);
    }

    let result = drive::run(
        plan.clone(),
        pool.clone(),
        connections,
        cli.duration,
        pace::Pace::new(cli.rate),
    )
    .await;
    passed &= report(&cli, &result, &pool);
    passed &= check_claims(&cli, &result.tally);
    passed &= check_recorded(&db, &seeded, claimed_in_setup, &result.tally).await?;

    let mut pgbench_rows = None;
    if !cli.pgbench_duration.is_zero() && !cli.failover {
        match baseline(&cli, &db, &key, &url, &seeded, &prefix, &result).await {
            Ok(rows) => pgbench_rows = Some(rows),
            Err(e) => {
                println!("pgbench     FAILED: {e:#}");
                passed = false;
            }
        }
    }

    if !cli.no_audit {
        match audit::find_binary(cli.quanyi_bin.as_deref()) {
            Some(binary) => {
                println!("audit: {} audit stock", binary.display());
                if !audit::stock(&binary, &url).await? {
                    println!("audit: VIOLATION (see above)");
                    passed = false;
                }
            }
            None => {
                println!(
                    "audit: no quanyi binary (build it, or pass --quanyi-bin / --no-audit): FAILED"
                );
                passed = false;
            }
        }
    }
    if let Some(rows) = pgbench_rows {
        // After the audit, which checked pgbench's rows along with the API's.
        if let Err(e) = rows.remove(&db).await {
            println!(
                "pgbench     its templates stay (conserved, audited): cannot remove them: {e:#}"
            );
        }
    }
    println!("{}", if passed { "PASS" } else { "FAIL" });
    Ok(passed)
}

/// `points-earn`: seed, drive, check the ledger, pgbench the earn transaction, audit the ledger.
async fn run_points(
    cli: &Cli,
    connections: usize,
    prefix: String,
    db: &sqlx::PgPool,
    key: &quanyi_activities::crypto::DataKey,
    url: &SecretString,
) -> anyhow::Result<bool> {
    let options = points::Options {
        base_url: cli.base_url.clone(),
        connections,
        duration: cli.duration,
        prefix: prefix.clone(),
        acting_user: cli.acting_user.clone(),
        customers: cli.customers,
        pace: pace::Pace::new(cli.rate),
    };
    let seeded = Arc::new(points::seed(&options, db, key).await?);
    println!(
        "quanyi-load PointsEarn: prefix {prefix}, {connections} connections, {:?}, {}{}; consumer {} acting as {}",
        cli.duration,
        cli.base_url,
        cli.rate
            .map(|r| format!(", open loop at {r}/s"))
            .unwrap_or_default(),
        seeded.consumer,
        cli.acting_user
    );
    let (phase, given) = points::drive(&options, seeded.clone()).await?;
    let result = drive::PhaseResult {
        tally: phase.tally,
        elapsed: phase.elapsed,
        connect_failures: 0,
    };
    let mut passed = report(cli, &result, &drive::CouponPool::default());
    let accepted = result.tally.successes(Op::PointsEarn) as i64;
    let (transfers, points) = points::recorded(db, &seeded).await?;
    let matches = transfers == accepted && points == given;
    println!(
        "database    {transfers} earnings of {points} points for {accepted} accepted of {given} points: {}",
        if matches { "match" } else { "MISMATCH" }
    );
    passed &= matches;
    if !cli.pgbench_duration.is_zero() {
        let script = points::earn_script(&prefix, seeded.org, cli.customers);
        let clients = connections.min(pgbench::client_cap(db).await?);
        let dir = tempfile::tempdir()?;
        match pgbench::run(url, &script, clients, cli.pgbench_duration, dir.path()).await {
            Ok(bench) => {
                let api = result.tally.answered() as f64 / result.elapsed.as_secs_f64();
                println!();
                println!(
                    "pgbench     {:.1} tps ({} clients{}, {:?}, {} transactions, {} failed; the ledger's earn transaction)",
                    bench.tps,
                    bench.clients,
                    if clients < connections {
                        ", capped by max_connections"
                    } else {
                        ""
                    },
                    bench.duration,
                    bench.transactions,
                    bench.failed
                );
                println!(
                    "ratio       API {api:.1} req/s / pgbench {:.1} tps = {:.2}{}",
                    bench.tps,
                    api / bench.tps,
                    if cli.rate.is_some() {
                        " (the API at a set rate: compare the closed loop)"
                    } else {
                        ""
                    }
                );
                passed &= bench.failed == 0;
            }
            Err(e) => {
                println!("pgbench     FAILED: {e:#}");
                passed = false;
            }
        }
    }
    if !cli.no_audit {
        match audit::find_binary(cli.quanyi_bin.as_deref()) {
            Some(binary) => {
                println!("audit: {} audit ledger", binary.display());
                if !audit::ledger(&binary, url).await? {
                    println!("audit: VIOLATION (see above)");
                    passed = false;
                }
            }
            None => {
                println!(
                    "audit: no quanyi binary (build it, or pass --quanyi-bin / --no-audit): FAILED"
                );
                passed = false;
            }
        }
    }
    Ok(passed)
}

/// Prints the measured phase; false when any request ended in an error.
fn report(cli: &Cli, result: &drive::PhaseResult, pool: &drive::CouponPool) -> bool {
    let tally = &result.tally;
    let secs = result.elapsed.as_secs_f64();
    let answered = tally.answered();
    let transport = tally.requests() - answered;
    println!();
    println!(
        "requests    {answered} answered in {secs:.2} s: {:.1} req/s{}",
        answered as f64 / secs,
        if transport > 0 {
            format!(" ({transport} more without an answer)")
        } else {
            String::new()
        }
    );
    if let Some(rate) = cli.rate {
        println!(
            "open loop   --rate {rate}/s: {} due, {} sent; latency from each request's due time",
            pace::Pace::new(Some(rate)).due(cli.duration).unwrap_or(0),
            tally.requests()
        );
    }
    println!("latency     {}", summarize(&tally.overall()));
    for (op, h) in &tally.latency {
        if tally.latency.len() > 1 {
            println!("  {op:<9} {}", summarize(h));
        }
    }
    let exhausted = pool
        .exhausted_after_ms
        .load(std::sync::atomic::Ordering::Relaxed);
    if exhausted > 0 {
        println!(
            "note        the coupon pool ran out after {:.1} s of {:?} (raise --pool)",
            exhausted as f64 / 1000.0,
            cli.duration
        );
    }
    if result.connect_failures > 0 || tally.reconnects > 0 {
        println!(
            "connections {} failed to open at the start, {} reopened during the run",
            result.connect_failures, tally.reconnects
        );
    }
    print_outcomes("run", tally) && result.connect_failures == 0
}

/// Outcomes by class; false when any is an error.
pub(crate) fn print_outcomes(phase: &str, tally: &Tally) -> bool {
    println!("outcomes ({phase})");
    for (outcome, n) in &tally.outcomes {
        let label = label(outcome.class());
        match outcome {
            Outcome::Answer { op, status, code } => {
                println!("  {op:<7} {status} {code:<12} {n:>9}  {label}")
            }
            Outcome::Done { op } => println!("  {op:<7} done {:<11} {n:>9}  {label}", ""),
            Outcome::Transport { .. } | Outcome::Failed { .. } => {}
        }
    }
    for (heading, transport) in [("transport errors", true), ("failures", false)] {
        let listed: Vec<_> = tally
            .outcomes
            .iter()
            .filter_map(|(o, n)| match o {
                Outcome::Transport { op, error } if transport => Some((op, error, n, o)),
                Outcome::Failed { op, error } if !transport => Some((op, error, n, o)),
                _ => None,
            })
            .collect();
        if !listed.is_empty() {
            println!("{heading} ({phase})");
            for (op, error, n, outcome) in listed {
                println!("  {op:<7} {error:<40} {n:>9}  {}", label(outcome.class()));
            }
        }
    }
    let errors = tally.count(Class::Error);
    let failover = tally.count(Class::Failover);
    println!(
        "  success {}  business {}  errors {errors}{}",
        tally.count(Class::Success),
        tally.count(Class::Business),
        if stats::failovers_expected() {
            format!("  failover {failover}")
        } else {
            String::new()
        }
    );
    errors == 0
}

fn label(class: Class) -> &'static str {
    match class {
        Class::Success => "ok",
        Class::Business => "business (sold out)",
        Class::Failover => "failover (counted apart)",
        Class::Error => "ERROR",
    }
}

/// What the client alone can tell about correctness: never more coupons than stock.
fn check_claims(cli: &Cli, tally: &Tally) -> bool {
    if cli.scenario == Scenario::ClaimHot {
        let claimed = tally.successes(Op::Claim);
        if claimed as i64 > cli.hot_stock {
            println!(
                "OVERSOLD    {claimed} coupons claimed from a stock of {}",
                cli.hot_stock
            );
            return false;
        }
    }
    true
}

/// The database's own count against what the API answered: every 200 to a claim is exactly one
/// coupon of this run's channel client, every 200 to a redemption one live redemption.
async fn check_recorded(
    db: &sqlx::PgPool,
    seeded: &seed::Seeded,
    claimed_in_setup: u64,
    tally: &Tally,
) -> anyhow::Result<bool> {
    let (coupons, redemptions) = seed::recorded(db, seeded).await?;
    let claims = claimed_in_setup + tally.successes(Op::Claim);
    let redeemed = tally.successes(Op::Redeem);
    let ok = coupons as u64 == claims && redemptions as u64 == redeemed;
    println!(
        "database    {coupons} coupons for {claims} successful claims, {redemptions} redemptions for {redeemed}: {}",
        if ok { "match" } else { "MISMATCH" }
    );
    Ok(ok)
}

/// pgbench's templates and client, removed after the audit.
struct PgbenchRows {
    prefix: String,
    client_id: uuid::Uuid,
}

impl PgbenchRows {
    async fn remove(&self, db: &sqlx::PgPool) -> anyhow::Result<()> {
        let mut tx = db.begin().await?;
        // We delete every referencing row ourselves; with the foreign-key triggers on, each
        // deleted coupon would cost a scan of stock_movements and claim_requests, which have no
        // index on coupon_id (the business never deletes a coupon). Needs a superuser, as
        // `quanyi dev`'s is; otherwise the rows stay.
        sqlx::query("SET LOCAL session_replication_role = replica")
            .execute(&mut *tx)
            .await?;
        let pattern = format!("{}%", self.prefix);
        for sql in [
            "DELETE FROM stock_movements WHERE template_id IN (SELECT id FROM coupon_templates WHERE code LIKE $1)",
            "DELETE FROM stock_shards WHERE template_id IN (SELECT id FROM coupon_templates WHERE code LIKE $1)",
        ] {
            sqlx::query(sql).bind(&pattern).execute(&mut *tx).await?;
        }
        for sql in [
            "DELETE FROM api_nonces WHERE client_id = $1",
            "DELETE FROM claim_requests WHERE client_id = $1",
            "DELETE FROM coupons WHERE client_id = $1",
        ] {
            sqlx::query(sql)
                .bind(self.client_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM coupon_templates WHERE code LIKE $1")
            .bind(&pattern)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM api_clients WHERE id = $1")
            .bind(self.client_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// pgbench on templates of its own: the same count and shards as the API run's, stock that never
/// runs out, the server's claim transaction committed (a rolled-back one would skip the WAL flush
/// that every real claim pays).
async fn baseline(
    cli: &Cli,
    db: &sqlx::PgPool,
    key: &quanyi_activities::crypto::DataKey,
    url: &SecretString,
    seeded: &seed::Seeded,
    prefix: &str,
    result: &drive::PhaseResult,
) -> anyhow::Result<PgbenchRows> {
    let pgb_prefix = format!("{prefix}PGB-");
    let (client_id, _) = seed::register(
        db,
        key,
        format!("{}pgb", prefix.to_ascii_lowercase()),
        quanyi_activities::benefits::clients::ClientKind::Channel,
        None,
    )
    .await?;
    let rows = PgbenchRows {
        prefix: pgb_prefix.clone(),
        client_id,
    };
    let plan = seed::SeedPlan {
        prefix: pgb_prefix.clone(),
        spread_templates: cli.templates,
        spread_stock: 1_000_000_000,
        hot_stock: 1_000_000_000,
        hot_shards: cli.hot_shards,
        discount: 2000,
        threshold: 10000,
    };
    let (template, templates, shards) = if cli.scenario == Scenario::ClaimHot {
        let code = format!("{pgb_prefix}HOT");
        let new = seed::template(
            code.clone(),
            plan.hot_stock,
            plan.hot_shards,
            &seeded.merchant_code,
            &plan,
        )?;
        seed::create_template(db, &new, seeded.org_id).await?;
        (format!("'{code}'"), 1, cli.hot_shards)
    } else {
        for i in 0..cli.templates {
            let new = seed::template(
                format!("{pgb_prefix}T{i:04}"),
                plan.spread_stock,
                1,
                &seeded.merchant_code,
                &plan,
            )?;
            seed::create_template(db, &new, seeded.org_id).await?;
        }
        (
            format!("'{pgb_prefix}T' || lpad(:t::text, 4, '0')"),
            cli.templates,
            1,
        )
    };
    let script = pgbench::claim_script(client_id, &template, templates, shards);
    let clients = cli.connections().min(pgbench::client_cap(db).await?);
    let dir = tempfile::tempdir()?;
    let bench = pgbench::run(url, &script, clients, cli.pgbench_duration, dir.path()).await?;
    let api = result.tally.answered() as f64 / result.elapsed.as_secs_f64();
    println!();
    println!(
        "pgbench     {:.1} tps ({} clients{}, {:?}, {} transactions, {} failed; the claim transaction{})",
        bench.tps,
        bench.clients,
        if clients < cli.connections() {
            ", capped by max_connections"
        } else {
            ""
        },
        bench.duration,
        bench.transactions,
        bench.failed,
        if cli.scenario == Scenario::ClaimHot {
            " on one template"
        } else {
            ""
        },
    );
    println!(
        "ratio       API {api:.1} req/s / pgbench {:.1} tps = {:.2}{}",
        bench.tps,
        api / bench.tps,
        if cli.scenario.redeem_percent(cli.redeem_percent) > 0 {
            " (pgbench runs claims; this run also redeems)"
        } else {
            ""
        }
    );
    anyhow::ensure!(
        bench.failed == 0,
        "{} pgbench transactions failed",
        bench.failed
    );
    Ok(rows)
}
