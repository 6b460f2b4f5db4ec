//! `quanyi dev`: the whole stack on one machine — a private PostgreSQL cluster and a Temporal dev
//! server under `var/`, migrations, the demo bank, and the API and worker in this process. The two
//! servers are supervised: one that dies is reported in one line and started again over its data;
//! one that keeps dying stops the whole stack with a clear message.

use crate::config::{
    ApiConfig, Config, DatabaseConfig, NotifyConfig, TemporalConfig, WorkerConfig,
};
use crate::stack::{
    self, ManagedChild, PgOptions, RestartBudget, StackError, TemporalOptions, VarDir,
};
use quanyi_activities::crypto::DataKey;
use quanyi_activities::seed::{self, DEMO_LOGINS, DEMO_PASSWORD, SeedOutcome};
use rand::distr::{Alphanumeric, SampleString};
use secrecy::SecretString;
use std::fs;
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct DevArgs {
    /// Delete var/ (database, workflow history, tools) after asking, then stop.
    #[arg(long)]
    pub reset: bool,
    /// With --reset: do not ask.
    #[arg(long, requires = "reset")]
    pub yes: bool,
    /// Where the stack keeps its state.
    #[arg(long, env = "QUANYI_VAR_DIR", default_value = "var")]
    pub var: PathBuf,
    /// Port of the API and admin UI.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Port of the private PostgreSQL cluster.
    #[arg(long, default_value_t = 54329)]
    pub pg_port: u16,
    /// Port of the Temporal frontend (gRPC).
    #[arg(long, default_value_t = 17233)]
    pub temporal_port: u16,
    /// Port of the Temporal Web UI.
    #[arg(long, default_value_t = 18233)]
    pub temporal_ui_port: u16,
    /// Serve the admin UI as it is in ui/dist, without rebuilding it.
    #[arg(long)]
    pub no_ui_build: bool,
}

pub async fn run(args: DevArgs) -> Result<(), StackError> {
    let started = Instant::now();
    let var = VarDir(absolute(&args.var)?);
    if args.reset {
        return reset(&var, args.yes);
    }
    stack::ensure_port_free(args.port, "API", "--port")?;
    stack::ensure_port_free(args.pg_port, "PostgreSQL", "--pg-port")?;
    stack::ensure_port_free(args.temporal_port, "Temporal", "--temporal-port")?;
    stack::ensure_port_free(args.temporal_ui_port, "Temporal UI", "--temporal-ui-port")?;
    let ui = PathBuf::from("ui");
    if !args.no_ui_build {
        stack::ensure_ui_built(&ui)?;
    }
    let temporal_cli = stack::ensure_temporal_cli(&var)?;

    let pg = PgOptions {
        data_dir: var.pg_data(),
        socket_dir: var.run(),
        log: var.logs().join("postgres.log"),
        port: args.pg_port,
        superuser: "quanyi".into(),
        password: pg_password(&var)?,
        throwaway: false,
    };
    if stack::init_postgres(&pg)? {
        tracing::info!(
            "created the PostgreSQL cluster in {}",
            pg.data_dir.display()
        );
    }
    let mut postgres = Supervised::new(
        stack::start_postgres(&pg).await?,
        var.pg_data(),
        Restart::Postgres(pg.clone()),
    );
    stack::ensure_database(&pg, "quanyi").await?;
    let temporal_options = TemporalOptions {
        cli: temporal_cli,
        port: args.temporal_port,
        ui_port: Some(args.temporal_ui_port),
        db_file: Some(var.temporal_db()),
        log: var.logs().join("temporal.log"),
    };
    let mut temporal = Supervised::new(
        stack::start_temporal(&temporal_options).await?,
        var.temporal_db(),
        Restart::Temporal(temporal_options.clone()),
    );

    let core_url = demo_core().await?;
    let config = Config {
        database: DatabaseConfig {
            url: pg.url("quanyi"),
            max_connections: 40,
        },
        temporal: TemporalConfig {
            url: temporal_options.url(),
            namespace: "default".into(),
            task_queue: quanyi_workflows::process::DEFAULT_TASK_QUEUE.into(),
            ui_url: Some(format!("http://127.0.0.1:{}", args.temporal_ui_port)),
        },
        api: ApiConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], args.port)),
            ui_dir: ui.join("dist"),
            body_limit_bytes: 1024 * 1024,
            // plain http on localhost: a Secure cookie would never come back
            secure_cookies: false,
            session_idle_minutes: 20,
            data_key: Some(data_key(&var)?),
            pii_key: Some(stored_secret(
                &var.secrets().join("pii-key"),
                DataKey::generate_base64,
            )?),
            mapping_key: Some(stored_secret(
                &var.secrets().join("mapping-key"),
                DataKey::generate_base64,
            )?),
            reversal_window_hours: 24,
            stock_approval_threshold: 10_000,
            hashing_threads: None,
            h5_demo_client: Some(quanyi_activities::seed::DEMO_CHANNEL_CLIENT.into()),
        },
        worker: WorkerConfig {
            sticky_queue_timeout_seconds: 10,
            housekeeping_minutes: 60,
        },
        notify: NotifyConfig::default(),
        esb: Default::default(),
        outbound: Default::default(),
        files: crate::config::FilesConfig {
            dir: var.0.join("files"),
            ..Default::default()
        },
        onboarding: crate::config::OnboardingConfig {
            core_url: Some(core_url),
            ..Default::default()
        },
        points: Default::default(),
        // the dev Q-pay simulator page is not built yet (issue 19): points-only orders pay
        qpay: None,
    };
    let pool = crate::connect_and_migrate(&config).await?;
    let key = config
        .api_settings()
        .map_err(|e| StackError(e.to_string()))?
        .data_key;
    let seeded = seed::seed_demo_bank(&pool, &key)
        .await
        .map_err(|e| StackError(format!("cannot seed the demo bank: {e}")))?;

    let listener = tokio::net::TcpListener::bind(config.api.listen)
        .await
        .map_err(|e| StackError(format!("cannot listen on {}: {e}", config.api.listen)))?;
    banner(
        &config,
        &pg,
        &pg_password_file(&var),
        seeded,
        started.elapsed(),
    );
    // The demo campaigns and merchant applications go through the real process: once the worker
    // below is polling.
    let demo_state = crate::app_state(&config, pool.clone())?;
    let demo = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        match crate::demo::seed_campaigns(&demo_state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(campaigns = n, "demo campaigns seeded"),
            Err(e) => tracing::warn!(error = %e, "cannot seed the demo campaigns"),
        }
        match crate::demo::seed_customers(&demo_state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(customers = n, "demo customers seeded"),
            Err(e) => tracing::warn!(error = %e, "cannot seed the demo customers"),
        }
        match crate::demo::seed_mall(&demo_state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                products = n,
                supplier = crate::demo::DEMO_SUPPLIER.1,
                "demo mall seeded (the supplier signs in with the demo password)"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot seed the demo mall"),
        }
        match crate::demo::seed_inspections(&demo_state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tasks = n, "demo inspections seeded"),
            Err(e) => tracing::warn!(error = %e, "cannot seed the demo inspections"),
        }
        match crate::demo::seed_merchants(&demo_state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(applications = n, "demo merchant applications seeded"),
            Err(e) => tracing::warn!(error = %e, "cannot seed the demo merchant applications"),
        }
    });
    // Everything below runs in this task, on the main thread, and so do the restarts: a child's
    // parent-death signal fires when the thread that started it ends, and this one ends last.
    let stop = CancellationToken::new();
    let serve = async {
        let result =
            crate::serve_api_and_worker(&config, pool, listener, stop.clone().cancelled_owned())
                .await;
        stop.cancel();
        result
    };
    let supervise = async {
        let result = tokio::select! {
            result = postgres.watch(&stop) => result,
            result = temporal.watch(&stop) => result,
            () = crate::shutdown_signal() => Ok(()),
        };
        if let Err(e) = &result {
            tracing::error!("{e}");
        }
        stop.cancel();
        result
    };
    let (served, supervised) = tokio::join!(serve, supervise);
    demo.abort();
    temporal.child.stop(Duration::from_secs(15));
    postgres.child.stop(Duration::from_secs(30));
    tracing::info!("stopped; data kept in {}", var.0.display());
    supervised.and(served)
}

/// How often a child is looked at.
const WATCH_EVERY: Duration = Duration::from_millis(200);

/// A child of the stack, watched and started again over its data when it dies: three tries within
/// five minutes, after 0.5, 1 and 2 s.
struct Supervised {
    child: ManagedChild,
    /// What it keeps, for the report.
    data: PathBuf,
    budget: RestartBudget,
    restart: Restart,
}

enum Restart {
    Postgres(PgOptions),
    Temporal(TemporalOptions),
}

impl Supervised {
    fn new(child: ManagedChild, data: PathBuf, restart: Restart) -> Self {
        Self {
            child,
            data,
            budget: RestartBudget::new(3, Duration::from_secs(300), Duration::from_millis(500)),
            restart,
        }
    }

    async fn start_again(&self) -> Result<ManagedChild, StackError> {
        match &self.restart {
            Restart::Postgres(options) => stack::restart_postgres(options).await,
            Restart::Temporal(options) => stack::restart_temporal(options).await,
        }
    }

    /// Watches the child until `stop`. When it dies it is reaped, reported in one line and started
    /// again (waiting until it answers); `Err` when it dies or fails to start more often than the
    /// budget allows, for the whole stack to stop.
    async fn watch(&mut self, stop: &CancellationToken) -> Result<(), StackError> {
        loop {
            let status = loop {
                if let Some(status) = self.child.try_exit() {
                    break status;
                }
                tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    () = tokio::time::sleep(WATCH_EVERY) => {}
                }
            };
            let died = Instant::now();
            // Ctrl-C in a terminal reaches the children as well as this process: a child that
            // stopped for it is no news, and the signal handler gets a moment to say so.
            tokio::select! {
                () = stop.cancelled() => return Ok(()),
                () = tokio::time::sleep(Duration::from_millis(300)) => {}
            }
            let name = self.child.name();
            let mut what = format!(
                "{name} stopped unexpectedly ({})",
                stack::describe_exit(status)
            );
            loop {
                let Some(attempt) = self.budget.next_try(Instant::now()) else {
                    return Err(StackError(format!(
                        "{what} after {} restarts within {} min: stopping the whole stack; \
                         its data is kept in {}; see {} (last line: {})",
                        self.budget.tries(),
                        self.budget.window().as_secs() / 60,
                        self.data.display(),
                        self.child.log().display(),
                        stack::last_line(self.child.log()),
                    )));
                };
                tracing::warn!(
                    "{what}; restarting it over {} (try {} of {})",
                    self.data.display(),
                    attempt.number,
                    attempt.of
                );
                let restarted = tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    restarted = async {
                        tokio::time::sleep(attempt.delay).await;
                        self.start_again().await
                    } => restarted,
                };
                match restarted {
                    Ok(child) => {
                        self.child = child;
                        tracing::info!(
                            "{name} is back, {:.1} s after it stopped",
                            died.elapsed().as_secs_f64()
                        );
                        break;
                    }
                    Err(e) => what = format!("{name} did not start again ({e})"),
                }
            }
        }
    }
}

/// The embedded stack's stand-in for the core banking system's account enquiry
/// (`core.account.verify`, docs/processes/merchant-onboarding.md), on a port of its own: it
/// confirms every settlement account, except one whose name holds 不符 — so the demo shows 开户异常
/// too. Its URL, for `[onboarding] core_url`.
async fn demo_core() -> Result<String, StackError> {
    use axum::{Json, Router, routing::post};
    use serde_json::{Value, json};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| StackError(format!("cannot start the demo core banking system: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StackError(format!("cannot start the demo core banking system: {e}")))?;
    let app = Router::new().route(
        "/esb/core/account",
        post(|Json(message): Json<Value>| async move {
            let name = message["body"]["accountName"].as_str().unwrap_or_default();
            Json(if name.contains("不符") {
                json!({"retCode": "000000", "match": false, "reason": "户名与账号不符"})
            } else {
                json!({"retCode": "000000", "match": true})
            })
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the demo core banking system stopped");
        }
    });
    Ok(format!("http://{addr}/esb/core/account"))
}

fn absolute(path: &Path) -> Result<PathBuf, StackError> {
    std::path::absolute(path)
        .map_err(|e| StackError(format!("bad var folder {}: {e}", path.display())))
}

/// The cluster's password: generated on first run, kept in `var/secrets/pg-password` (0600).
fn pg_password_file(var: &VarDir) -> PathBuf {
    var.secrets().join("pg-password")
}

fn pg_password(var: &VarDir) -> Result<SecretString, StackError> {
    stored_secret(&pg_password_file(var), || {
        Alphanumeric.sample_string(&mut rand::rng(), 24)
    })
}

/// The dev stack's data key (encrypts TOTP seeds), made once and kept with the database.
fn data_key(var: &VarDir) -> Result<SecretString, StackError> {
    stored_secret(&var.secrets().join("data-key"), DataKey::generate_base64)
}

/// A secret kept in a 0600 file under `var/secrets`, made by `make` the first time.
fn stored_secret(file: &Path, make: impl FnOnce() -> String) -> Result<SecretString, StackError> {
    if let Ok(existing) = fs::read_to_string(file) {
        return Ok(SecretString::from(existing.trim().to_owned()));
    }
    let value = make();
    let dir = file.parent().expect("a secret file lives in var/secrets");
    fs::create_dir_all(dir)
        .and_then(|()| fs::set_permissions(dir, fs::Permissions::from_mode(0o700)))
        .and_then(|()| fs::write(file, &value))
        .and_then(|()| fs::set_permissions(file, fs::Permissions::from_mode(0o600)))
        .map_err(|e| StackError(format!("cannot write {}: {e}", file.display())))?;
    Ok(SecretString::from(value))
}

fn reset(var: &VarDir, yes: bool) -> Result<(), StackError> {
    if !var.0.exists() {
        println!("{} does not exist; nothing to reset.", var.0.display());
        return Ok(());
    }
    if !yes {
        print!(
            "This deletes {} — the database, all workflow history and the installed tools.\nType 'yes' to go on: ",
            var.0.display()
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if answer.trim() != "yes" {
            println!("Nothing deleted.");
            return Ok(());
        }
    }
    if fs::read_to_string(var.pg_data().join("postmaster.pid")).is_ok_and(|pid| {
        pid.lines()
            .next()
            .is_some_and(|p| Path::new(&format!("/proc/{}", p.trim())).exists())
    }) {
        return Err(StackError(
            "the stack is running from this folder: stop it (Ctrl-C) before --reset".into(),
        ));
    }
    fs::remove_dir_all(&var.0)
        .map_err(|e| StackError(format!("cannot delete {}: {e}", var.0.display())))?;
    println!("Deleted {}.", var.0.display());
    Ok(())
}

fn banner(
    config: &Config,
    pg: &PgOptions,
    password_file: &Path,
    seeded: SeedOutcome,
    took: Duration,
) {
    let api = config.api.listen;
    println!();
    println!("  权益 Quanyi is up ({:.1} s).", took.as_secs_f64());
    println!();
    println!("  Admin UI      http://{api}/");
    println!("  API reference http://{api}/api/docs");
    println!("  Readiness     http://{api}/readyz");
    if let Some(ui) = &config.temporal.ui_url {
        println!("  Temporal UI   {ui}/");
    }
    println!(
        "  PostgreSQL    postgres://{}@127.0.0.1:{}/quanyi  (password in {})",
        pg.superuser,
        pg.port,
        password_file.display()
    );
    println!();
    match seeded {
        SeedOutcome::Seeded => {
            println!("  Demo bank seeded. Demo logins, all with password {DEMO_PASSWORD}:")
        }
        SeedOutcome::AlreadySeeded => {
            println!("  Demo logins (password {DEMO_PASSWORD} unless you changed it):")
        }
    }
    for login in DEMO_LOGINS {
        println!(
            "    {:<15} {}（{}）",
            login.username, login.display_name, login.org
        );
    }
    println!(
        "  admin and auditor enrol an authenticator app (TOTP) at their first sign-in: their roles require it."
    );
    println!();
    println!("  Ctrl-C stops everything; your data stays in var/ (`quanyi dev --reset` wipes it).");
    println!();
}
