//! One private PostgreSQL cluster and one Temporal dev server per test process, started on first
//! use from a thread that lives as long as the process: its children get a parent-death signal,
//! so nothing outlives the tests, even when a test panics or the run is killed.

use quanyi::stack::{self, ManagedChild, PgOptions, TemporalOptions, VarDir};
use quanyi_activities::clock::{Clock, SystemClock};
use quanyi_activities::crypto::DataKey;
use quanyi_activities::customers::keys::CustomerKeys;
use quanyi_activities::identity::SecurityPolicy;
use quanyi_api::{ApiSettings, AppState, TemporalClient};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const TEMPLATE_DB: &str = "quanyi_template";

/// The shared servers of this test process.
pub struct Stack {
    pub pg: PgOptions,
    pub temporal_url: String,
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repo")
        .to_path_buf()
}

/// The servers, started on first call.
pub fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("test-stack".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                match runtime.block_on(start()) {
                    Ok((stack, children)) => {
                        tx.send(Ok(stack)).expect("the test waits for the stack");
                        // Keep the children (and this thread, their parent) alive until the process
                        // ends, and keep driving the runtime so that closing connections finish.
                        let _children: Vec<ManagedChild> = children;
                        runtime.block_on(std::future::pending::<()>());
                    }
                    Err(e) => tx.send(Err(e)).expect("the test waits for the stack"),
                }
            })
            .expect("spawn the stack thread");
        match rx.recv().expect("the stack thread answers") {
            Ok(stack) => stack,
            Err(e) => panic!("cannot start the test stack: {e}"),
        }
    })
}

fn init_test_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,quanyi=info".into()),
        )
        .with_test_writer()
        .try_init();
}

/// Removes what earlier, killed test processes left in the temp folder.
fn sweep_stale_dirs(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name
            .strip_prefix("quanyi-test-")
            .and_then(|p| p.parse::<u32>().ok())
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

async fn start() -> Result<(Stack, Vec<ManagedChild>), String> {
    init_test_tracing();
    let tmp = std::env::temp_dir();
    sweep_stale_dirs(&tmp);
    let dir = tmp.join(format!("quanyi-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // The same Temporal CLI install as `quanyi dev`.
    let cli =
        stack::ensure_temporal_cli(&VarDir(repo_root().join("var"))).map_err(|e| e.to_string())?;
    let pg = PgOptions {
        data_dir: dir.join("pg"),
        socket_dir: dir.join("run"),
        log: dir.join("postgres.log"),
        port: stack::free_port(),
        superuser: "quanyi".into(),
        password: SecretString::from(uuid::Uuid::new_v4().simple().to_string()),
        throwaway: true,
    };
    let temporal = TemporalOptions {
        cli,
        port: stack::free_port(),
        ui_port: None,
        db_file: None,
        log: dir.join("temporal.log"),
    };
    stack::init_postgres(&pg).map_err(|e| e.to_string())?;
    let (postgres, temporal_server) =
        tokio::join!(stack::start_postgres(&pg), stack::start_temporal(&temporal));
    let postgres = postgres.map_err(|e| e.to_string())?;
    let temporal_server = temporal_server.map_err(|e| e.to_string())?;
    // One migrated, seeded template; each test copies it, which is far faster than migrating.
    stack::ensure_database(&pg, TEMPLATE_DB)
        .await
        .map_err(|e| e.to_string())?;
    let pool = PgPool::connect(pg.url(TEMPLATE_DB).expose_secret())
        .await
        .map_err(|e| e.to_string())?;
    quanyi_activities::store::migrate(&pool)
        .await
        .map_err(|e| e.to_string())?;
    quanyi_activities::seed::seed_demo_bank(&pool, &data_key())
        .await
        .map_err(|e| e.to_string())?;
    pool.close().await;
    Ok((
        Stack {
            pg,
            temporal_url: temporal.url(),
        },
        vec![postgres, temporal_server],
    ))
}

/// A fresh database of its own, copied from the migrated and seeded template.
pub async fn test_database() -> (String, PgConnectOptions) {
    let stack = stack();
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = PgPool::connect(stack.pg.url("postgres").expose_secret())
        .await
        .expect("connect to postgres");
    // A backend that just left the template may still be exiting; copying waits for it.
    let mut attempts = 0;
    loop {
        match sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
            .execute(&admin)
            .await
        {
            Ok(_) => break,
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && attempts < 50 =>
            {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("create the test database: {e}"),
        }
    }
    admin.close().await;
    let options: PgConnectOptions = stack
        .pg
        .url(&name)
        .expose_secret()
        .parse()
        .expect("valid URL");
    (name, options)
}

/// A running app: API on a random port over its own database, sharing this process's Temporal.
/// It is also its first browser (`app.login(…)`); `app.browser()` opens another.
pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: PgPool,
    pub database_url: SecretString,
    /// Where this app keeps uploaded files.
    pub files_dir: PathBuf,
    pub task_queue: String,
    pub state: AppState,
    browser: Browser,
    stop: CancellationToken,
}

impl std::ops::Deref for TestApp {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// One client with its own cookie jar, as one browser would be.
pub struct Browser {
    pub base: String,
    pub pool: PgPool,
    pub http: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    /// The users' authenticator apps: shared by every browser of the app.
    pub authenticators: Authenticators,
    clock: Arc<dyn Clock>,
}

/// The TOTP secrets the harness enrolled, by username, with the last step each has used (the
/// server takes a code once, so a second sign-in in the same 30 s uses the next step's code).
#[derive(Clone, Default)]
pub struct Authenticators(Arc<Mutex<HashMap<String, (String, u64)>>>);

impl Authenticators {
    fn totp(secret: &str, username: &str) -> totp_rs::TOTP {
        let bytes = totp_rs::Secret::Encoded(secret.to_owned())
            .to_bytes()
            .expect("a base32 secret");
        totp_rs::TOTP::new_unchecked(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            bytes,
            Some("Quanyi".into()),
            username.into(),
        )
    }

    pub fn enrolled(&self, username: &str, secret: &str) {
        self.0
            .lock()
            .expect("authenticators")
            .insert(username.to_owned(), (secret.to_owned(), 0));
    }

    pub fn secret(&self, username: &str) -> Option<String> {
        let map = self.0.lock().expect("authenticators");
        map.get(username).map(|(secret, _)| secret.clone())
    }

    /// A fresh code for `username`: the current step's, or the next one's if that was used (the
    /// server allows one step of drift). When both are used it waits for the clock to move on,
    /// as a person would wait for the app's next code.
    pub async fn code(&self, username: &str, clock: &dyn Clock) -> String {
        for _ in 0..40 {
            let now = u64::try_from(clock.now().timestamp()).expect("after 1970") / 30;
            {
                let mut map = self.0.lock().expect("authenticators");
                let (secret, last) = map.get_mut(username).expect("enrolled by the harness");
                let step = now.max(*last + 1);
                if step <= now + 1 {
                    *last = step;
                    return Self::totp(secret, username).generate(step * 30);
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        panic!(
            "no unused TOTP step for {username}: a hand-moved clock must move on between sign-ins"
        )
    }

    /// A code for `secret` at `now`, for an enrolment the harness does not keep.
    pub fn code_for(secret: &str, now: chrono::DateTime<chrono::Utc>) -> String {
        let t = u64::try_from(now.timestamp()).expect("after 1970");
        Self::totp(secret, "").generate(t)
    }
}

impl Browser {
    fn new(
        base: String,
        pool: PgPool,
        authenticators: Authenticators,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .expect("http client");
        Self {
            base,
            pool,
            http,
            jar,
            authenticators,
            clock,
        }
    }

    /// The session cookie's value, as the browser holds it.
    pub fn session_cookie(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url: reqwest::Url = self.base.parse().expect("base URL");
        self.jar
            .cookies(&url)
            .and_then(|header| {
                header
                    .to_str()
                    .ok()?
                    .split("; ")
                    .find_map(|c| c.strip_prefix("quanyi_session=").map(str::to_owned))
            })
            .unwrap_or_default()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[derive(Clone)]
pub struct AppOptions {
    pub temporal_url: Option<String>,
    pub ui_dir: Option<PathBuf>,
    pub body_limit: usize,
    pub policy: SecurityPolicy,
    /// The app's clock: the system's unless a test moves time by hand.
    pub clock: Arc<dyn Clock>,
    /// The largest upload accepted (SEC-7).
    pub max_file_bytes: u64,
    /// How long a merchant applicant has to supply requested material.
    pub onboarding_supplement: Duration,
    /// Q支付's base URL (a [`crate::peers::QpaySim`]); the app's callback goes to itself.
    pub qpay_url: Option<String>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            temporal_url: None,
            ui_dir: None,
            body_limit: 1024 * 1024,
            policy: SecurityPolicy::default(),
            clock: Arc::new(SystemClock),
            max_file_bytes: quanyi_activities::files::DEFAULT_MAX_BYTES,
            onboarding_supplement: Duration::from_secs(15 * 86_400),
            qpay_url: None,
        }
    }
}

/// This test process's data key: one for every app, as the seeded template database was
/// encrypted under it.
pub fn data_key() -> DataKey {
    DataKey::from_base64(data_key_base64()).expect("a generated key")
}

/// [`data_key`] in base64, for a worker process of the tests.
pub fn data_key_base64() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(DataKey::generate_base64)
}

/// This test process's customer keys (personal data and mapping): one pair for every app.
pub fn customer_keys() -> CustomerKeys {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    let (pii, mapping) = KEYS.get_or_init(CustomerKeys::generate_base64);
    CustomerKeys::from_base64(pii, mapping).expect("generated keys")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    let stack = stack();
    let (name, connect) = test_database().await;
    let pool = quanyi_activities::store::pool(connect, 5);
    let temporal_url = options
        .temporal_url
        .unwrap_or_else(|| stack.temporal_url.clone());
    let task_queue = format!("tq-{}", uuid::Uuid::new_v4().simple());
    let files_dir = std::env::temp_dir()
        .join(format!("quanyi-test-{}", std::process::id()))
        .join(format!("files-{name}"));
    let files = quanyi_activities::files::FileStore::local(&files_dir, options.max_file_bytes)
        .expect("a local file store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let addr = listener.local_addr().expect("bound");
    let qpay = options.qpay_url.as_ref().map(|url| {
        quanyi_activities::qpay::Qpay::new(quanyi_activities::qpay::QpayConfig {
            base_url: url.clone(),
            mch_id: crate::peers::QPAY_MCH_ID.into(),
            key: crate::peers::QPAY_KEY.into(),
            notify_url: format!("http://{addr}/api/qpay/v1/notify"),
        })
    });
    let settings = ApiSettings {
        qpay,
        files,
        onboarding_supplement: options.onboarding_supplement,
        task_queue: task_queue.clone(),
        stock_approval_threshold: 1_000,
        ui_dir: options
            .ui_dir
            .unwrap_or_else(|| repo_root().join("ui").join("dist")),
        body_limit: options.body_limit,
        secure_cookies: false,
        policy: options.policy.clone(),
        temporal_ui_url: None,
        data_key: data_key(),
        customer_keys: Some(customer_keys()),
        reversal_window: Duration::from_secs(24 * 3600),
        h5_demo_client: None,
    };
    let clock = options.clock.clone();
    let state = AppState::new(
        pool.clone(),
        TemporalClient::new(temporal_url, "default"),
        settings,
    )
    .with_clock(options.clock.clone());
    let stop = CancellationToken::new();
    tokio::spawn(quanyi_api::serve(
        listener,
        state.clone(),
        stop.clone().cancelled_owned(),
    ));
    TestApp {
        addr,
        browser: Browser::new(
            format!("http://{addr}"),
            pool.clone(),
            Authenticators::default(),
            clock,
        ),
        pool,
        database_url: stack.pg.url(&name),
        files_dir,
        task_queue,
        state,
        stop,
    }
}

/// The error body every endpoint answers with.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
    pub request_id: String,
    /// Present only for a body that failed validation.
    #[serde(default)]
    pub fields: Vec<FieldErrorBody>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FieldErrorBody {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    pub org_name: String,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SessionView {
    pub user: UserView,
    pub must_change_password: bool,
    /// `done`, `verify` or `enrol`.
    pub second_factor: String,
    pub recovery_codes_left: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct LastLogin {
    pub ip: String,
    pub success: bool,
    pub failures_since: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LoginView {
    pub user: UserView,
    pub last_login: Option<LastLogin>,
    pub must_change_password: bool,
    /// `done`, `verify` or `enrol`, as the sign-in answered (the harness then settles it).
    pub second_factor: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_url: String,
    pub qr_code: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CaptchaView {
    pub captcha_id: uuid::Uuid,
    pub image: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Readiness {
    pub status: String,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: Option<String>,
}

/// A typed answer: the body as `T` on success, the error body otherwise.
pub type Answer<T> = Result<T, (StatusCode, ApiErrorBody)>;

/// A worker running in the test process on the app's task queue; it drains and stops when
/// dropped.
pub struct InProcessWorker {
    stop: CancellationToken,
}

impl Drop for InProcessWorker {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl TestApp {
    /// Starts a worker with every shipped workflow and activity on this app's task queue, on a
    /// thread of its own (the SDK's worker future is not `Send`).
    pub async fn start_worker(&self) -> InProcessWorker {
        self.start_worker_with(quanyi_activities::notify::Routing::default())
            .await
    }

    /// [`TestApp::start_worker`] with notices routed to SMS, WeChat or ESB callbacks.
    pub async fn start_worker_with(
        &self,
        routing: quanyi_activities::notify::Routing,
    ) -> InProcessWorker {
        self.start_worker_registering(routing, |_| {}).await
    }

    /// [`TestApp::start_worker_with`], with the test's own workflows registered too.
    pub async fn start_worker_registering(
        &self,
        routing: quanyi_activities::notify::Routing,
        register: fn(&mut temporalio_sdk::WorkerOptions),
    ) -> InProcessWorker {
        self.spawn_worker(routing, None, register)
    }

    /// A worker that reaches the core banking system (merchant onboarding's account check) at
    /// `core_url`, retrying quickly.
    pub async fn start_worker_with_core(&self, core_url: &str) -> InProcessWorker {
        self.spawn_worker(Default::default(), Some(core_url.to_owned()), |_| {})
    }

    fn spawn_worker(
        &self,
        routing: quanyi_activities::notify::Routing,
        core_url: Option<String>,
        register: fn(&mut temporalio_sdk::WorkerOptions),
    ) -> InProcessWorker {
        let settings = quanyi_worker::WorkerSettings {
            task_queue: self.task_queue.clone(),
            sticky_queue_timeout: Duration::from_secs(1),
            routing,
            core_url,
            outbound: quanyi_activities::esb::outbound::OutboundSettings {
                attempts: 1,
                retry_delay: Duration::from_millis(50),
                breaker_failures: 1000,
                ..Default::default()
            },
            data_key: Some(data_key()),
        };
        let pool = self.pool.clone();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the worker");
            runtime.block_on(async move {
                let client = quanyi_activities::temporal::connect(&stack().temporal_url, "default")
                    .await
                    .expect("Temporal is up");
                quanyi_worker::reconcile_schedules(&client, &pool, &settings.task_queue).await;
                let mut options = quanyi_worker::options(&settings, pool);
                register(&mut options);
                quanyi_worker::run(client, options, stopped.cancelled_owned())
                    .await
                    .expect("the worker runs");
            });
        });
        InProcessWorker { stop }
    }

    /// A connection with the database owner's rights (the application's pool has only its role's),
    /// for what a DBA — or an attacker with a DBA's rights — would do by hand.
    pub async fn owner_connection(&self) -> sqlx::PgConnection {
        use sqlx::Connection;
        sqlx::PgConnection::connect(self.database_url.expose_secret())
            .await
            .expect("owner connection")
    }

    /// Another browser on the same app: its own cookies.
    /// Stops the API and starts a new one — fresh state, caches and Temporal client — over the
    /// same database, on a new port. Browsers opened afterwards reach the new one.
    pub async fn restart_api(&mut self) {
        self.stop.cancel();
        let settings = (*self.state.settings).clone();
        let state = AppState::new(
            self.pool.clone(),
            TemporalClient::new(stack().temporal_url.clone(), "default"),
            settings,
        )
        .with_clock(self.browser.clock.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a random port");
        self.addr = listener.local_addr().expect("bound");
        self.stop = CancellationToken::new();
        tokio::spawn(quanyi_api::serve(
            listener,
            state.clone(),
            self.stop.clone().cancelled_owned(),
        ));
        self.state = state;
        self.browser = Browser::new(
            format!("http://{}", self.addr),
            self.pool.clone(),
            self.browser.authenticators.clone(),
            self.browser.clock.clone(),
        );
    }

    pub fn browser(&self) -> Browser {
        Browser::new(
            self.browser.base.clone(),
            self.pool.clone(),
            self.browser.authenticators.clone(),
            self.browser.clock.clone(),
        )
    }

    /// A browser that presents `session` as its session cookie.
    pub fn browser_with_cookie(&self, session: &str) -> Browser {
        let browser = self.browser();
        let url: reqwest::Url = browser.base.parse().expect("base URL");
        browser
            .jar
            .add_cookie_str(&format!("quanyi_session={session}; Path=/"), &url);
        browser
    }
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn answer<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Answer<T> {
        let status = response.status();
        let bytes = response.bytes().await.expect("body");
        if status.is_success() {
            Ok(serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{status}: {e}: {}", String::from_utf8_lossy(&bytes))))
        } else {
            Err((
                status,
                serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                    panic!(
                        "{status} is not the error shape ({e}): {}",
                        String::from_utf8_lossy(&bytes)
                    )
                }),
            ))
        }
    }

    /// A new captcha and its answer, read where only the server keeps it.
    pub async fn captcha(&self) -> (uuid::Uuid, String) {
        let captcha: CaptchaView = self
            .http
            .get(self.url("/api/v1/auth/captcha"))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("captcha");
        let answer: String = sqlx::query_scalar("SELECT answer FROM captchas WHERE id = $1")
            .bind(captcha.captcha_id)
            .fetch_one(&self.pool)
            .await
            .expect("the captcha is stored");
        (captcha.captcha_id, answer)
    }

    /// Signs in with a correctly answered captcha, then settles the second factor as the user's
    /// authenticator app would: a code when enrolled, an enrolment when a role requires one.
    pub async fn login(&self, username: &str, password: &str) -> Answer<LoginView> {
        let view = self.login_password(username, password).await?;
        match view.second_factor.as_str() {
            "verify" => {
                let code = self.authenticators.code(username, &*self.clock).await;
                self.post_empty(
                    "/api/v1/auth/totp/verify",
                    serde_json::json!({ "code": code }),
                )
                .await?;
            }
            // after the password change the test may want to see; enrol when nothing else is owed
            "enrol" if !view.must_change_password => {
                self.enrol_totp(username).await?;
            }
            _ => {}
        }
        Ok(view)
    }

    /// Only the first step of signing in: username, password and a correct captcha.
    pub async fn login_password(&self, username: &str, password: &str) -> Answer<LoginView> {
        let (captcha_id, answer) = self.captcha().await;
        self.login_with(&self.http, username, password, captcha_id, &answer)
            .await
    }

    /// Enrols `username` (signed in on this browser) in TOTP and keeps the secret.
    pub async fn enrol_totp(&self, username: &str) -> Answer<RecoveryCodes> {
        let enrolment: Enrolment = self
            .post_json("/api/v1/auth/totp/enrolment", serde_json::json!({}))
            .await?;
        self.authenticators.enrolled(username, &enrolment.secret);
        let code = self.authenticators.code(username, &*self.clock).await;
        self.post_json(
            "/api/v1/auth/totp/enrolment/confirm",
            serde_json::json!({ "code": code }),
        )
        .await
    }

    /// Signs in through `http` (another browser, say) with the given captcha answer.
    pub async fn login_with(
        &self,
        http: &reqwest::Client,
        username: &str,
        password: &str,
        captcha_id: uuid::Uuid,
        answer: &str,
    ) -> Answer<LoginView> {
        let response = http
            .post(self.url("/api/v1/auth/login"))
            .header("x-requested-with", "quanyi")
            .json(&serde_json::json!({
                "username": username, "password": password,
                "captcha_id": captcha_id, "captcha_answer": answer,
            }))
            .send()
            .await
            .expect("request");
        Self::answer(response).await
    }

    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Answer<T> {
        let response = self.http.get(self.url(path)).send().await.expect("request");
        Self::answer(response).await
    }

    pub async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Answer<T> {
        let response = self
            .http
            .post(self.url(path))
            .header("x-requested-with", "quanyi")
            .json(&body)
            .send()
            .await
            .expect("request");
        Self::answer(response).await
    }

    /// A change answered with 204, or the error's code.
    pub async fn no_content(
        &self,
        method: reqwest::Method,
        path: impl Into<String>,
        body: Option<serde_json::Value>,
    ) -> Result<(), String> {
        let mut request = self
            .http
            .request(method, self.url(&path.into()))
            .header("x-requested-with", "quanyi");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        if response.status() == StatusCode::NO_CONTENT {
            Ok(())
        } else {
            Err(response
                .json::<ApiErrorBody>()
                .await
                .expect("the error shape")
                .code)
        }
    }

    /// A POST answered with no body (204) or an error.
    pub async fn post_empty(&self, path: &str, body: serde_json::Value) -> Answer<()> {
        let response = self
            .http
            .post(self.url(path))
            .header("x-requested-with", "quanyi")
            .json(&body)
            .send()
            .await
            .expect("request");
        if response.status() == StatusCode::NO_CONTENT {
            return Ok(());
        }
        Self::answer::<serde_json::Value>(response)
            .await
            .map(|_| ())
    }

    pub async fn logout(&self) -> StatusCode {
        self.http
            .post(self.url("/api/v1/auth/logout"))
            .header("x-requested-with", "quanyi")
            .send()
            .await
            .expect("request")
            .status()
    }

    pub async fn me(&self) -> Answer<SessionView> {
        Self::answer(
            self.http
                .get(self.url("/api/v1/auth/me"))
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn readyz(&self) -> (StatusCode, Readiness) {
        let response = self
            .http
            .get(self.url("/readyz"))
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("readiness JSON"))
    }

    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("text")
    }

    /// The value of one sample in `/metrics`, 0 when absent.
    pub async fn metric(&self, series: &str) -> f64 {
        self.metrics()
            .await
            .lines()
            .find_map(|line| {
                line.strip_prefix(series)
                    .and_then(|rest| rest.strip_prefix(' '))
            })
            .map_or(0.0, |v| v.trim().parse().expect("a number"))
    }
}
