//! Layered configuration: defaults in code, then the TOML file given by `--config`, then
//! `QUANYI_*` environment variables (`QUANYI_DATABASE__URL`, `QUANYI_API__LISTEN`, …).
//! Secrets are `SecretString`s: they never print, not even in `Debug`.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use quanyi_activities::crypto::DataKey;
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
    /// How often the worker sends what is pending.
    pub interval_seconds: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "权益平台 <noreply@quanyi.example>".into(),
            interval_seconds: 5,
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
    /// How long after a redemption a merchant may reverse it (冲正).
    #[serde(default = "default_reversal_window_hours")]
    pub reversal_window_hours: u64,
    /// A stock increase above this many units waits for the approval process `stock-change-<id>`.
    #[serde(default = "default_stock_approval_threshold")]
    pub stock_approval_threshold: i64,
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
                reversal_window_hours: 24,
                stock_approval_threshold: default_stock_approval_threshold(),
            },
            worker: WorkerConfig {
                sticky_queue_timeout_seconds: 10,
                housekeeping_minutes: 60,
            },
            notify: NotifyConfig::default(),
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
            reversal_window: Duration::from_secs(self.api.reversal_window_hours * 3600),
            task_queue: self.temporal.task_queue.clone(),
            stock_approval_threshold: self.api.stock_approval_threshold,
        })
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

    pub fn worker_settings(&self) -> quanyi_worker::WorkerSettings {
        quanyi_worker::WorkerSettings {
            task_queue: self.temporal.task_queue.clone(),
            sticky_queue_timeout: Duration::from_secs(self.worker.sticky_queue_timeout_seconds),
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
    fn a_missing_config_file_is_an_error_not_a_silent_default() {
        let error = Config::load(Some(Path::new("/nonexistent/quanyi.toml"))).unwrap_err();
        assert!(error.to_string().contains("does not exist"));
    }
}
