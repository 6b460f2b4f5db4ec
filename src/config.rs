//! Layered configuration: defaults in code, then the TOML file given by `--config`, then
//! `QUANYI_*` environment variables (`QUANYI_DATABASE__URL`, `QUANYI_API__LISTEN`, …).
//! Secrets are `SecretString`s: they never print, not even in `Debug`.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use quanyi_activities::crypto::DataKey;
use quanyi_activities::customers::keys::CustomerKeys;
use quanyi_activities::esb::outbound::{Outbound, OutboundSettings};
use quanyi_activities::notify::{
    Dispatcher, EsbOutbound, RetryPolicy, Routing, SmsPlatform, WechatRobot,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Config {
    pub database: DatabaseConfig,
    pub temporal: TemporalConfig,
    pub api: ApiConfig,
    pub worker: WorkerConfig,
    #[serde(default)]
    pub notify: NotifyConfig,
    #[serde(default)]
    pub esb: EsbConfig,
    #[serde(default)]
    pub outbound: OutboundConfig,
    #[serde(default)]
    pub files: FilesConfig,
    #[serde(default)]
    pub onboarding: OnboardingConfig,
    #[serde(default)]
    pub points: PointsConfig,
    /// Q支付 (docs/qpay.md); without it orders with a cash part cannot be paid.
    #[serde(default)]
    pub qpay: Option<QpayConfig>,
}

/// Q支付, the bank's acquiring platform (docs/qpay.md).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct QpayConfig {
    pub url: String,
    pub mch_id: String,
    #[serde(serialize_with = "redacted")]
    pub key: SecretString,
    /// Where Q支付 calls back: this deployment's `https://…/api/qpay/v1/notify`.
    pub notify_url: String,
}

/// Points (BEN-7): the nightly expiry run and the reminders after it. The lots' expiry rule and
/// the reminder's days are run-time parameters (`points.lot.expiry_years`,
/// `points.reminder.days`, docs/ledger.md).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PointsConfig {
    /// When the worker runs the expiry and then the reminders each night, Beijing time (`HH:MM`).
    pub nightly_at: String,
    /// Customer accounts per transaction.
    pub chunk: i64,
    /// A pause between transactions, in milliseconds (0: none).
    pub pause_ms: u64,
}

impl Default for PointsConfig {
    fn default() -> Self {
        Self {
            nightly_at: "00:30".into(),
            chunk: 1000,
            pause_ms: 0,
        }
    }
}

/// 商户线上入驻: the deadline for requested material and the core banking system's account check.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OnboardingConfig {
    /// How long an applicant has to supply requested material (补件) before the application lapses.
    pub supplement_days: u64,
    /// The ESB's URL of the core's account enquiry (`core.account.verify`); unset: provisioning
    /// waits until it is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_url: Option<String>,
}

impl Default for OnboardingConfig {
    fn default() -> Self {
        Self {
            supplement_days: 15,
            core_url: None,
        }
    }
}

/// Uploaded files (SEC-7): on the local filesystem under `dir`, or in S3-compatible object
/// storage when `[files.s3]` is set.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FilesConfig {
    pub dir: PathBuf,
    /// The largest file accepted.
    pub max_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<quanyi_activities::files::S3Settings>,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("var/files"),
            max_bytes: quanyi_activities::files::DEFAULT_MAX_BYTES,
            s3: None,
        }
    }
}

impl FilesConfig {
    pub fn store(&self) -> Result<quanyi_activities::files::FileStore, ConfigError> {
        use quanyi_activities::files::FileStore;
        match &self.s3 {
            Some(s3) => FileStore::s3(s3, self.max_bytes),
            None => FileStore::local(&self.dir, self.max_bytes),
        }
        .map_err(|e| ConfigError(format!("files: {e}")))
    }
}

/// Outbound e-mail (notices such as "your password was reset"); off unless `smtp_url` is set.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NotifyConfig {
    /// `smtp://[user:password@]relay:25`, `smtp://relay:587?tls=required` or `smtps://relay:465`;
    /// a secret, since it may carry the relay's password.
    #[serde(
        default,
        serialize_with = "redacted_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub smtp_url: Option<SecretString>,
    pub from: String,
    /// How often the worker sends what is due.
    pub interval_seconds: u64,
    /// Notices sent per channel and round.
    #[serde(default = "default_batch")]
    pub batch: i64,
    /// A notice that failed this many attempts is `failed`.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: i32,
    /// A failed notice is due again after `retry_base_seconds · 2^(attempts-1)`, at most
    /// `retry_max_seconds`.
    #[serde(default = "default_retry_base_seconds")]
    pub retry_base_seconds: u64,
    #[serde(default = "default_retry_max_seconds")]
    pub retry_max_seconds: u64,
    /// The bank's SMS platform; unset: no SMS is queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsConfig>,
    /// The enterprise-WeChat group robot; unset: nothing is posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat: Option<WechatConfig>,
}

fn default_batch() -> i64 {
    50
}
fn default_max_attempts() -> i32 {
    quanyi_activities::notify::MAX_ATTEMPTS
}
fn default_retry_base_seconds() -> u64 {
    30
}
fn default_retry_max_seconds() -> u64 {
    3600
}

/// The notice kinds of process notices: `remind` and `escalate` (an approval task's SLA),
/// `submitter` (a decision on what the user submitted), `transfer` (a task handed to the user).
fn all_kinds() -> Vec<String> {
    ["remind", "escalate", "submitter", "transfer"]
        .map(String::from)
        .to_vec()
}

fn escalations() -> Vec<String> {
    vec!["escalate".into()]
}

/// `POST {url}/sms/v1/send`, signed with the app key (docs/notifications.md).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SmsConfig {
    pub url: String,
    pub app_id: String,
    #[serde(serialize_with = "redacted")]
    pub app_key: SecretString,
    /// Which notice kinds go by SMS (to users with a phone number).
    #[serde(default = "all_kinds")]
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WechatConfig {
    /// The robot's webhook, `…/cgi-bin/webhook/send?key=…`: a secret, the key is its password.
    #[serde(serialize_with = "redacted")]
    pub webhook_url: SecretString,
    /// Which notice kinds are posted to the group.
    #[serde(default = "escalations")]
    pub kinds: Vec<String>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "权益平台 <noreply@quanyi.example>".into(),
            interval_seconds: 5,
            batch: default_batch(),
            max_attempts: default_max_attempts(),
            retry_base_seconds: default_retry_base_seconds(),
            retry_max_seconds: default_retry_max_seconds(),
            sms: None,
            wechat: None,
        }
    }
}

/// Outbound calls to the ESB: the decision on a plan a consumer submitted is called back.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EsbConfig {
    /// The ESB's endpoint for our outbound calls; unset: no callback is queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_url: Option<String>,
    /// Our system's code in the ESB (`sysHead.consumerId` of our calls).
    pub system_id: String,
    /// Consumers (their codes) that take the `campaign.plan.result` callback.
    #[serde(default)]
    pub callback_consumers: Vec<String>,
}

impl Default for EsbConfig {
    fn default() -> Self {
        Self {
            outbound_url: None,
            system_id: "quanyi".into(),
            callback_consumers: Vec::new(),
        }
    }
}

/// The outbound HTTP client: timeouts, retries of idempotent calls, the circuit breaker.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OutboundConfig {
    pub connect_timeout_ms: u64,
    pub request_timeout_ms: u64,
    /// Requests per idempotent call and dispatch round, the first included.
    pub attempts: u32,
    pub retry_delay_ms: u64,
    pub retry_max_delay_ms: u64,
    /// Consecutive failures that open a target's breaker, and how long it stays open.
    pub breaker_failures: u32,
    pub breaker_cooldown_seconds: u64,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        let d = quanyi_activities::esb::outbound::OutboundSettings::default();
        Self {
            connect_timeout_ms: d.connect_timeout.as_millis() as u64,
            request_timeout_ms: d.request_timeout.as_millis() as u64,
            attempts: d.attempts,
            retry_delay_ms: d.retry_delay.as_millis() as u64,
            retry_max_delay_ms: d.retry_max_delay.as_millis() as u64,
            breaker_failures: d.breaker_failures,
            breaker_cooldown_seconds: d.breaker_cooldown.as_secs(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DatabaseConfig {
    /// `postgres://user:password@host:port/db`; a secret because it holds the password.
    #[serde(serialize_with = "redacted")]
    pub url: SecretString,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TemporalConfig {
    /// The frontend's gRPC address, e.g. `http://127.0.0.1:7233`.
    pub url: String,
    pub namespace: String,
    pub task_queue: String,
    /// The Temporal Web UI, linked from the admin UI.
    pub ui_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ApiConfig {
    pub listen: SocketAddr,
    pub ui_dir: PathBuf,
    pub body_limit_bytes: usize,
    /// `Secure` + `__Host-` session cookie; only a local development stack may turn it off.
    pub secure_cookies: bool,
    pub session_idle_minutes: u64,
    /// 32 random bytes in base64: encrypts secrets at rest (TOTP seeds). Required; generate one
    /// with `openssl rand -base64 32` and keep it with the database backups' keys.
    #[serde(
        default,
        serialize_with = "redacted_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub data_key: Option<SecretString>,
    /// 32 random bytes in base64: seals customers' personal data (SEC-6), a key of its own, not
    /// the data key. Without it (and `mapping_key`) the customer pages, the import and the
    /// customer ESB services refuse with QY-CUST-0002; the rest of the API runs.
    #[serde(
        default,
        serialize_with = "redacted_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub pii_key: Option<SecretString>,
    /// 32 random bytes in base64: makes customers' pseudonymous ids (AML-4). Held apart from the
    /// personal-data key: whoever has the pseudonyms without it cannot tie them to customers.
    #[serde(
        default,
        serialize_with = "redacted_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mapping_key: Option<SecretString>,
    /// How long after a redemption a merchant may reverse it (冲正).
    #[serde(default = "default_reversal_window_hours")]
    pub reversal_window_hours: u64,
    /// A stock increase above this many units waits for the approval process `stock-change-<id>`.
    #[serde(default = "default_stock_approval_threshold")]
    pub stock_approval_threshold: i64,
    /// Threads that hash passwords (argon2), each with its memory, a queue in front of them;
    /// unset: as many as the machine's cores. More than the cores only slows every sign-in down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashing_threads: Option<usize>,
    /// The channel client whose key the H5 demo page (`/h5/demo`) signs customer assertions
    /// with: `quanyi dev` sets it; never set it in production.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h5_demo_client: Option<String>,
}

fn default_reversal_window_hours() -> u64 {
    24
}

fn default_stock_approval_threshold() -> i64 {
    10_000
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WorkerConfig {
    pub sticky_queue_timeout_seconds: u64,
    /// Minutes between housekeeping runs (expired captchas, sessions ended 30 days ago).
    pub housekeeping_minutes: u64,
}

fn redacted<S: serde::Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("[redacted]")
}

fn redacted_opt<S: serde::Serializer>(_: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("[redacted]")
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database: DatabaseConfig {
                url: SecretString::from("postgres://quanyi@127.0.0.1:5432/quanyi"),
                max_connections: 20,
            },
            temporal: TemporalConfig {
                url: "http://127.0.0.1:7233".into(),
                namespace: "default".into(),
                task_queue: quanyi_workflows_task_queue().into(),
                ui_url: None,
            },
            api: ApiConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
                ui_dir: PathBuf::from("ui/dist"),
                body_limit_bytes: 1024 * 1024,
                secure_cookies: true,
                session_idle_minutes: 20,
                data_key: None,
                pii_key: None,
                mapping_key: None,
                reversal_window_hours: 24,
                hashing_threads: None,
                stock_approval_threshold: default_stock_approval_threshold(),
                h5_demo_client: None,
            },
            worker: WorkerConfig {
                sticky_queue_timeout_seconds: 10,
                housekeeping_minutes: 60,
            },
            notify: NotifyConfig::default(),
            esb: EsbConfig::default(),
            outbound: OutboundConfig::default(),
            files: FilesConfig::default(),
            onboarding: OnboardingConfig::default(),
            points: PointsConfig::default(),
            qpay: None,
        }
    }
}

fn quanyi_workflows_task_queue() -> &'static str {
    quanyi_workflows::process::DEFAULT_TASK_QUEUE
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Defaults, then `file` (when given), then `QUANYI_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::layered(Figment::from(Serialized::defaults(Config::default())), file)
    }

    /// Like [`Config::load`], over the embedded stack's database and data key when `var` holds
    /// one (`quanyi dev` made it) and no database is configured: `quanyi audit …`, `seed` and
    /// the rest then find a `quanyi dev` stack of the same checkout, as `quanyi dev` itself does.
    /// The port is the running cluster's (its `postmaster.pid`), else the default 54329.
    pub fn load_beside(var: &Path, file: Option<&Path>) -> Result<Config, ConfigError> {
        let configured = file.is_some() || std::env::var_os("QUANYI_DATABASE__URL").is_some();
        let var = crate::stack::VarDir(var.to_path_buf());
        let read = |path: PathBuf| std::fs::read_to_string(path).ok();
        let password = read(var.secrets().join("pg-password"));
        let (false, Some(password)) = (configured, password) else {
            return Self::load(file);
        };
        let port = read(var.pg_data().join("postmaster.pid"))
            .and_then(|pid| {
                pid.lines()
                    .nth(3)
                    .and_then(|p| p.trim().parse::<u16>().ok())
            })
            .unwrap_or(54329);
        // secrets serialize redacted, so they are set on the loaded configuration, not layered
        let mut config = Self::load(file)?;
        config.database.url = SecretString::from(format!(
            "postgres://quanyi:{}@127.0.0.1:{port}/quanyi",
            password.trim()
        ));
        for (slot, file) in [
            (&mut config.api.data_key, "data-key"),
            (&mut config.api.pii_key, "pii-key"),
            (&mut config.api.mapping_key, "mapping-key"),
        ] {
            if slot.is_none() {
                *slot = read(var.secrets().join(file))
                    .map(|key| SecretString::from(key.trim().to_owned()));
            }
        }
        tracing::info!(
            port,
            "using the quanyi dev stack's database in {}",
            var.0.display()
        );
        Ok(config)
    }

    /// Like [`Config::load`], over other defaults (the embedded stack's).
    pub fn layered(base: Figment, file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = base;
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError(format!("{} does not exist", file.display())));
            }
            figment = figment.merge(Toml::file(file));
        }
        // The `database.url` default is serialized redacted; a real one must come from a layer.
        figment
            .merge(Env::prefixed("QUANYI_").split("__"))
            .extract()
            .map_err(|e| ConfigError(e.to_string()))
    }

    pub fn api_settings(&self) -> Result<quanyi_api::ApiSettings, ConfigError> {
        let data_key = self.api.data_key.as_ref().ok_or_else(|| {
            ConfigError(
                "api.data_key is not set (QUANYI_API__DATA_KEY): 32 random bytes in base64, \
                 e.g. from `openssl rand -base64 32`"
                    .into(),
            )
        })?;
        let data_key = DataKey::from_base64(data_key.expose_secret())
            .map_err(|e| ConfigError(format!("api.data_key: {e}")))?;
        let customer_keys = self.customer_keys()?;
        Ok(quanyi_api::ApiSettings {
            ui_dir: self.api.ui_dir.clone(),
            body_limit: self.api.body_limit_bytes,
            secure_cookies: self.api.secure_cookies,
            policy: quanyi_activities::identity::SecurityPolicy {
                session_idle: Duration::from_secs(self.api.session_idle_minutes * 60),
                ..Default::default()
            },
            temporal_ui_url: self.temporal.ui_url.clone(),
            data_key,
            customer_keys,
            reversal_window: Duration::from_secs(self.api.reversal_window_hours * 3600),
            task_queue: self.temporal.task_queue.clone(),
            stock_approval_threshold: self.api.stock_approval_threshold,
            files: self.files.store()?,
            onboarding_supplement: Duration::from_secs(self.onboarding.supplement_days * 86_400),
            h5_demo_client: self.api.h5_demo_client.clone(),
            qpay: self.qpay_client(),
        })
    }

    /// Q支付's client, when configured.
    pub fn qpay_client(&self) -> Option<quanyi_activities::qpay::Qpay> {
        self.qpay.as_ref().map(|q| {
            quanyi_activities::qpay::Qpay::new(quanyi_activities::qpay::QpayConfig {
                base_url: q.url.clone(),
                mch_id: q.mch_id.clone(),
                key: q.key.clone(),
                notify_url: q.notify_url.clone(),
            })
        })
    }

    /// The customers' keys (`api.pii_key` and `api.mapping_key`), when both are configured; one
    /// without the other, or a malformed one, is an error.
    pub fn customer_keys(&self) -> Result<Option<CustomerKeys>, ConfigError> {
        match (&self.api.pii_key, &self.api.mapping_key) {
            (None, None) => {
                tracing::warn!(
                    "api.pii_key and api.mapping_key are not set: customers' personal data is \
                     unavailable (QY-CUST-0002)"
                );
                Ok(None)
            }
            (Some(pii), Some(mapping)) => {
                CustomerKeys::from_base64(pii.expose_secret(), mapping.expose_secret())
                    .map(Some)
                    .map_err(|e| ConfigError(format!("api.pii_key, api.mapping_key: {e}")))
            }
            _ => Err(ConfigError(
                "api.pii_key and api.mapping_key go together (QUANYI_API__PII_KEY, \
                 QUANYI_API__MAPPING_KEY): 32 random bytes in base64 each, two different keys"
                    .into(),
            )),
        }
    }

    /// The SMTP mailer, when outbound e-mail is configured.
    pub fn mailer(&self) -> Result<Option<quanyi_activities::notify::Mailer>, ConfigError> {
        self.notify
            .smtp_url
            .as_ref()
            .map(|url| {
                quanyi_activities::notify::Mailer::new(url.expose_secret(), &self.notify.from)
                    .map_err(|e| ConfigError(e.to_string()))
            })
            .transpose()
    }

    pub fn worker_settings(&self) -> Result<quanyi_worker::WorkerSettings, ConfigError> {
        Ok(quanyi_worker::WorkerSettings {
            task_queue: self.temporal.task_queue.clone(),
            sticky_queue_timeout: Duration::from_secs(self.worker.sticky_queue_timeout_seconds),
            routing: self.routing(),
            core_url: self.onboarding.core_url.clone(),
            outbound: self.outbound_settings(),
            data_key: self.data_key()?,
        })
    }

    /// `api.data_key`, when it is set; a malformed one is an error.
    pub fn data_key(&self) -> Result<Option<DataKey>, ConfigError> {
        self.api
            .data_key
            .as_ref()
            .map(|k| {
                DataKey::from_base64(k.expose_secret())
                    .map_err(|e| ConfigError(format!("api.data_key: {e}")))
            })
            .transpose()
    }

    /// Which notices go where: a channel without its configuration gets none.
    pub fn routing(&self) -> Routing {
        Routing {
            sms: self
                .notify
                .sms
                .as_ref()
                .map(|s| s.kinds.clone())
                .unwrap_or_default(),
            wechat: self
                .notify
                .wechat
                .as_ref()
                .map(|w| w.kinds.clone())
                .unwrap_or_default(),
            esb_callbacks: if self.esb.outbound_url.is_some() {
                self.esb.callback_consumers.clone()
            } else {
                Vec::new()
            },
        }
    }

    pub fn outbound_settings(&self) -> OutboundSettings {
        let o = &self.outbound;
        OutboundSettings {
            connect_timeout: Duration::from_millis(o.connect_timeout_ms),
            request_timeout: Duration::from_millis(o.request_timeout_ms),
            attempts: o.attempts.max(1),
            retry_delay: Duration::from_millis(o.retry_delay_ms),
            retry_max_delay: Duration::from_millis(o.retry_max_delay_ms),
            breaker_failures: o.breaker_failures.max(1),
            breaker_cooldown: Duration::from_secs(o.breaker_cooldown_seconds),
        }
    }

    /// The worker's sender of notices: every channel that is configured.
    pub fn dispatcher(&self, pool: &sqlx::PgPool) -> Result<Dispatcher, ConfigError> {
        let outbound = Outbound::new(pool.clone(), self.outbound_settings())
            .map_err(|e| ConfigError(format!("outbound: {e}")))?;
        Ok(Dispatcher {
            mailer: self.mailer()?,
            outbound: Some(outbound),
            sms: self.notify.sms.as_ref().map(|s| SmsPlatform {
                url: s.url.clone(),
                app_id: s.app_id.clone(),
                app_key: s.app_key.clone(),
            }),
            wechat: self.notify.wechat.as_ref().map(|w| WechatRobot {
                webhook_url: w.webhook_url.clone(),
            }),
            esb: self.esb.outbound_url.as_ref().map(|url| EsbOutbound {
                url: url.clone(),
                system_id: self.esb.system_id.clone(),
            }),
            retry: RetryPolicy {
                max_attempts: self.notify.max_attempts.max(1),
                base_delay: Duration::from_secs(self.notify.retry_base_seconds.max(1)),
                max_delay: Duration::from_secs(self.notify.retry_max_seconds.max(1)),
            },
            data_key: self.data_key()?,
        })
    }

    /// The points runs' settings; a `nightly_at` that is not `HH:MM` is refused.
    pub fn points_nightly(
        &self,
    ) -> Result<quanyi_activities::points::expiry::Nightly, ConfigError> {
        let at = chrono::NaiveTime::parse_from_str(self.points.nightly_at.trim(), "%H:%M")
            .map_err(|_| {
                ConfigError(format!(
                    "points.nightly_at is HH:MM, not {:?}",
                    self.points.nightly_at
                ))
            })?;
        Ok(quanyi_activities::points::expiry::Nightly {
            at,
            run: self.points_run(),
        })
    }

    pub fn points_run(&self) -> quanyi_activities::points::expiry::RunSettings {
        quanyi_activities::points::expiry::RunSettings {
            chunk: self.points.chunk.max(1),
            pause: Duration::from_millis(self.points.pause_ms),
        }
    }

    /// Never zero: a zero interval would spin.
    pub fn housekeeping_interval(&self) -> Duration {
        Duration::from_secs(self.worker.housekeeping_minutes.max(1) * 60)
    }

    pub fn database_options(&self) -> Result<sqlx::postgres::PgConnectOptions, ConfigError> {
        self.database
            .url
            .expose_secret()
            .parse()
            .map_err(|_| ConfigError("database.url is not a valid postgres:// URL".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `quanyi audit …` in a checkout finds its `quanyi dev` stack: the running cluster's port,
    /// its password and data key; a configured database wins.
    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn the_commands_find_a_dev_stack_beside_them() {
        figment::Jail::expect_with(|jail| {
            std::fs::create_dir_all("var/secrets").unwrap();
            std::fs::create_dir_all("var/pg").unwrap();
            jail.create_file("var/secrets/pg-password", "pw123\n")?;
            jail.create_file("var/secrets/data-key", "a2V5\n")?;
            jail.create_file(
                "var/pg/postmaster.pid",
                "4242\n/x/pg\n1764144000\n54444\n/x/run\n",
            )?;
            let config = Config::load_beside(Path::new("var"), None).unwrap();
            assert_eq!(
                config.database.url.expose_secret(),
                "postgres://quanyi:pw123@127.0.0.1:54444/quanyi"
            );
            assert_eq!(config.api.data_key.unwrap().expose_secret(), "a2V5");
            // stopped: the default port
            std::fs::remove_file("var/pg/postmaster.pid").unwrap();
            let config = Config::load_beside(Path::new("var"), None).unwrap();
            assert!(
                config
                    .database
                    .url
                    .expose_secret()
                    .ends_with(":54329/quanyi")
            );
            // no stack there: as configured
            let config = Config::load_beside(Path::new("elsewhere"), None).unwrap();
            assert!(config.database_options().is_err());
            jail.set_env("QUANYI_DATABASE__URL", "postgres://u:p@db:5432/prod");
            let config = Config::load_beside(Path::new("var"), None).unwrap();
            assert_eq!(
                config.database.url.expose_secret(),
                "postgres://u:p@db:5432/prod"
            );
            Ok(())
        });
    }

    #[test]
    fn the_database_url_never_prints() {
        let mut config = Config::default();
        config.database.url = SecretString::from("postgres://u:hunter2@db/quanyi");
        assert!(!format!("{config:?}").contains("hunter2"));
        assert!(!toml::to_string(&config).unwrap().contains("hunter2"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn the_file_overrides_defaults_and_the_environment_overrides_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "quanyi.toml",
                "[api]\nlisten = \"0.0.0.0:9000\"\n[temporal]\nnamespace = \"bank\"\n",
            )?;
            jail.set_env("QUANYI_TEMPORAL__NAMESPACE", "bank-prod");
            jail.set_env("QUANYI_DATABASE__URL", "postgres://u:p@db:5432/q");
            let config = Config::load(Some(Path::new("quanyi.toml"))).unwrap();
            assert_eq!(config.api.listen.port(), 9000);
            assert_eq!(config.temporal.namespace, "bank-prod");
            assert_eq!(
                config.database.url.expose_secret(),
                "postgres://u:p@db:5432/q"
            );
            assert_eq!(
                config.api.body_limit_bytes,
                1024 * 1024,
                "untouched defaults stay"
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn a_channel_without_its_configuration_gets_no_notices_and_secrets_never_print() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("QUANYI_DATABASE__URL", "postgres://u:p@db:5432/q");
            let deployed = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/quanyi.toml");
            let config = Config::load(Some(&deployed)).unwrap();
            let routing = config.routing();
            assert!(routing.sms.is_empty() && routing.wechat.is_empty());
            assert!(routing.esb_callbacks.is_empty());

            jail.create_file(
                "quanyi.toml",
                "[notify.sms]\nurl = \"https://sms\"\napp_id = \"quanyi\"\n\
                 [notify.wechat]\n\
                 [esb]\noutbound_url = \"http://esb/out\"\ncallback_consumers = [\"gmp\"]\n",
            )?;
            jail.set_env("QUANYI_NOTIFY__SMS__APP_KEY", "sms-secret-1");
            jail.set_env(
                "QUANYI_NOTIFY__WECHAT__WEBHOOK_URL",
                "https://robot?key=wx-secret-2",
            );
            let config = Config::load(Some(Path::new("quanyi.toml"))).unwrap();
            let routing = config.routing();
            assert_eq!(routing.sms, ["remind", "escalate", "submitter", "transfer"]);
            assert_eq!(routing.wechat, ["escalate"]);
            assert_eq!(routing.esb_callbacks, ["gmp"]);
            let printed = format!("{config:?}{}", toml::to_string(&config).unwrap());
            assert!(!printed.contains("sms-secret-1") && !printed.contains("wx-secret-2"));
            Ok(())
        });
    }

    #[test]
    fn the_customer_keys_go_together_and_apart_from_each_other() {
        let key = || SecretString::from(DataKey::generate_base64());
        let mut config = Config::default();
        assert!(config.customer_keys().unwrap().is_none());
        config.api.pii_key = Some(key());
        let alone = config.customer_keys().err().expect("one without the other");
        assert!(alone.to_string().contains("go together"));
        config.api.mapping_key = config.api.pii_key.clone();
        assert!(config.customer_keys().is_err(), "the same key twice");
        config.api.mapping_key = Some(key());
        assert!(config.customer_keys().unwrap().is_some());
        let printed = format!("{config:?}{}", toml::to_string(&config).unwrap());
        let pii = config
            .api
            .pii_key
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_owned();
        assert!(!printed.contains(&pii), "a key never prints");
    }

    #[test]
    fn a_missing_config_file_is_an_error_not_a_silent_default() {
        let error = Config::load(Some(Path::new("/nonexistent/quanyi.toml"))).unwrap_err();
        assert!(error.to_string().contains("does not exist"));
    }
}
