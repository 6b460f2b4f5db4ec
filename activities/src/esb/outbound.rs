//! Outbound HTTP calls to the bank's systems (SMS platform, enterprise-WeChat robot, ESB): one
//! client with connect and request timeouts, retries with exponential backoff for idempotent calls
//! only (backon), a circuit breaker per target (failsafe), and a row in `outbound_requests` for
//! every attempt, bodies masked.
//!
//! The breaker lives in this process's memory: each worker replica learns on its own that a peer
//! is down, which costs at most `breaker_failures` calls per replica and keeps no shared state.

use crate::esb::mask;
use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use failsafe::failure_policy::{ConsecutiveFailures, consecutive_failures};
use failsafe::{Config, StateMachine, backoff};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Who is called; each target has its own circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Sms,
    Wechat,
    Esb,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Sms => "sms",
            Target::Wechat => "wechat",
            Target::Esb => "esb",
        }
    }
}

/// Whether a call may be repeated: only an idempotent call is retried, since a repeat of any
/// other call after a lost answer would do its effect twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    Idempotent,
    /// Attempted once; the caller decides what to do with a failure.
    Once,
}

/// Timeouts, retries and the breaker's thresholds (`[outbound]` in the configuration).
#[derive(Debug, Clone)]
pub struct OutboundSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Attempts of an idempotent call within one dispatch, the first included (at least 1).
    pub attempts: u32,
    /// The first retry's delay; each next one doubles, up to `retry_max_delay`.
    pub retry_delay: Duration,
    pub retry_max_delay: Duration,
    /// Consecutive failures that open a target's breaker.
    pub breaker_failures: u32,
    /// How long an open breaker refuses calls before it lets one through (half-open).
    pub breaker_cooldown: Duration,
}

impl Default for OutboundSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            attempts: 3,
            retry_delay: Duration::from_millis(200),
            retry_max_delay: Duration::from_secs(2),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(30),
        }
    }
}

/// Judges a peer's JSON answer to an HTTP 2xx: `Err(reason)` when the peer refused the request
/// (e.g. SMS `code` other than `0000`). A refusal proves the peer is up: it never opens the
/// breaker and is not retried in the call (the outbox retries it later).
pub type Judge = fn(&Value) -> Result<(), String>;

/// One call to make.
pub struct Call<'a> {
    pub target: Target,
    /// What is called, for the log: `sms.send`, `wechat.robot`, the ESB service code.
    pub service: &'a str,
    pub url: &'a str,
    pub headers: Vec<(&'static str, String)>,
    pub body: &'a Value,
    pub idempotency: Idempotency,
    pub judge: Judge,
    /// The outbox row the call delivers, for the log.
    pub notification_id: Option<i64>,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The target's breaker is open: nothing was sent.
    CircuitOpen,
    /// The peer answered and refused (its own code), or answered 4xx: retrying as is won't help.
    Refused(String),
    /// Connection refused, timeout, HTTP 5xx/429 or an unreadable answer: the peer may be down.
    Unavailable(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::CircuitOpen => f.write_str("circuit open: the peer failed repeatedly"),
            Failure::Refused(e) => write!(f, "refused: {e}"),
            Failure::Unavailable(e) => write!(f, "unavailable: {e}"),
        }
    }
}

/// What a call came to: how many requests went out, and the peer's answer or the last failure.
#[derive(Debug)]
pub struct Delivery {
    pub attempts: u32,
    pub result: Result<Value, Failure>,
}

type Breaker = StateMachine<ConsecutiveFailures<backoff::Constant>, ()>;

/// The client; cheap to clone (the HTTP pool and the breakers are shared).
#[derive(Clone)]
pub struct Outbound {
    http: reqwest::Client,
    pool: PgPool,
    settings: OutboundSettings,
    breakers: Arc<[(Target, Breaker); 3]>,
}

impl Outbound {
    pub fn new(pool: PgPool, settings: OutboundSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .build()?;
        let breaker = || -> Breaker {
            Config::new()
                .failure_policy(consecutive_failures(
                    settings.breaker_failures.max(1),
                    backoff::constant(settings.breaker_cooldown),
                ))
                .build()
        };
        let breakers = Arc::new([
            (Target::Sms, breaker()),
            (Target::Wechat, breaker()),
            (Target::Esb, breaker()),
        ]);
        Ok(Self {
            http,
            pool,
            settings,
            breakers,
        })
    }

    pub fn settings(&self) -> &OutboundSettings {
        &self.settings
    }

    fn breaker(&self, target: Target) -> &Breaker {
        &self
            .breakers
            .iter()
            .find(|(t, _)| *t == target)
            .expect("a breaker per target")
            .1
    }

    /// POSTs `call.body` as JSON; an idempotent call is retried on `Unavailable` with exponential
    /// backoff, up to `settings.attempts` requests. Every attempt is logged, a refused one too.
    pub async fn call(&self, call: &Call<'_>) -> Delivery {
        let made = &AtomicU32::new(0);
        let attempt = move || async move {
            let breaker = self.breaker(call.target);
            if !breaker.is_call_permitted() {
                self.log(
                    call,
                    made.load(Ordering::SeqCst) + 1,
                    None,
                    0,
                    &Err(Failure::CircuitOpen),
                    None,
                )
                .await;
                return Err(Failure::CircuitOpen);
            }
            let n = made.fetch_add(1, Ordering::SeqCst) + 1;
            let started = Instant::now();
            let (status, answer, result) = self.send(call).await;
            let latency = started.elapsed();
            match &result {
                Err(Failure::Unavailable(_)) => breaker.on_error(),
                _ => breaker.on_success(),
            }
            self.log(
                call,
                n,
                status,
                latency.as_millis(),
                &result,
                answer.as_ref(),
            )
            .await;
            result
        };
        let result = match call.idempotency {
            Idempotency::Once => attempt().await,
            Idempotency::Idempotent => {
                let backoff = ExponentialBuilder::default()
                    .with_min_delay(self.settings.retry_delay)
                    .with_max_delay(self.settings.retry_max_delay)
                    .with_max_times(self.settings.attempts.max(1) as usize - 1);
                attempt
                    .retry(backoff)
                    .sleep(tokio::time::sleep)
                    .when(|f| matches!(f, Failure::Unavailable(_)))
                    .await
            }
        };
        Delivery {
            attempts: made.load(Ordering::SeqCst),
            result,
        }
    }

    async fn send(&self, call: &Call<'_>) -> (Option<u16>, Option<String>, Result<Value, Failure>) {
        let mut request = self.http.post(call.url).json(call.body);
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return (None, None, Err(Failure::Unavailable(transport(&e)))),
        };
        let status = response.status();
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => {
                return (
                    Some(status.as_u16()),
                    None,
                    Err(Failure::Unavailable(transport(&e))),
                );
            }
        };
        let code = Some(status.as_u16());
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return (
                code,
                Some(text),
                Err(Failure::Unavailable(format!("HTTP {status}"))),
            );
        }
        if !status.is_success() {
            return (
                code,
                Some(text),
                Err(Failure::Refused(format!("HTTP {status}"))),
            );
        }
        let result = match serde_json::from_str::<Value>(&text) {
            Ok(v) => (call.judge)(&v).map(|()| v).map_err(Failure::Refused),
            Err(_) => Err(Failure::Unavailable("the answer is not JSON".into())),
        };
        (code, Some(text), result)
    }

    async fn log(
        &self,
        call: &Call<'_>,
        attempt: u32,
        status: Option<u16>,
        latency_ms: u128,
        result: &Result<Value, Failure>,
        answer: Option<&String>,
    ) {
        let (outcome, error) = match result {
            Ok(_) => ("ok", None),
            Err(Failure::CircuitOpen) => ("circuit_open", Some(result_text(result))),
            Err(Failure::Refused(_)) => ("refused", Some(result_text(result))),
            Err(Failure::Unavailable(e)) if e.starts_with("timeout") => {
                ("timeout", Some(result_text(result)))
            }
            Err(Failure::Unavailable(_)) if status.is_some() => {
                ("http_error", Some(result_text(result)))
            }
            Err(Failure::Unavailable(_)) => ("connect_error", Some(result_text(result))),
        };
        let request = excerpt(&mask(call.body).to_string());
        let response = answer.map(|a| match serde_json::from_str::<Value>(a) {
            Ok(v) => excerpt(&mask(&v).to_string()),
            Err(_) => excerpt(a),
        });
        let written = sqlx::query!(
            "INSERT INTO outbound_requests (at, target, service, url, notification_id, attempt,
                                            http_status, latency_ms, outcome, error,
                                            request_excerpt, response_excerpt)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            Utc::now(),
            call.target.as_str(),
            call.service,
            without_query(call.url),
            call.notification_id,
            attempt as i32,
            status.map(i32::from),
            i32::try_from(latency_ms).unwrap_or(i32::MAX),
            outcome,
            error.map(|e| excerpt_of(&e, 500)),
            request,
            response,
        )
        .execute(&self.pool)
        .await;
        // The log must not stop a delivery: a lost log row is reported, the call stands.
        if let Err(e) = written {
            tracing::warn!(error = %e, target = call.target.as_str(), "outbound call not logged");
        }
    }
}

fn result_text(result: &Result<Value, Failure>) -> String {
    result
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// reqwest's error without the URL, which may carry a key (the WeChat robot's).
fn transport(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "transport error"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}

/// `url` without its query string: the WeChat robot's key travels there.
pub fn without_query(url: &str) -> &str {
    url.split_once('?').map_or(url, |(u, _)| u)
}

fn excerpt(s: &str) -> String {
    excerpt_of(s, 2000)
}

fn excerpt_of(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// One row of the request log (外呼日志).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutboundRequest {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `sms`, `wechat` or `esb`.
    pub target: String,
    pub service: String,
    pub url: String,
    pub notification_id: Option<i64>,
    pub attempt: i32,
    pub http_status: Option<i32>,
    pub latency_ms: i32,
    /// `ok`, `refused`, `http_error`, `timeout`, `connect_error` or `circuit_open`.
    pub outcome: String,
    pub error: Option<String>,
    /// The request body, personal data masked, at most 2,000 characters.
    pub request_excerpt: Option<String>,
    pub response_excerpt: Option<String>,
}

#[derive(Debug, Default)]
pub struct RequestFilter {
    pub target: Option<String>,
    pub outcome: Option<String>,
    pub notification_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The log, newest first, with the number of rows the filter matches.
pub async fn requests(
    pool: &PgPool,
    f: &RequestFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OutboundRequest>, i64), sqlx::Error> {
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM outbound_requests
            WHERE ($1::text IS NULL OR target = $1) AND ($2::text IS NULL OR outcome = $2)
              AND ($3::bigint IS NULL OR notification_id = $3)
              AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)"#,
        f.target,
        f.outcome,
        f.notification_id,
        f.from,
        f.to
    )
    .fetch_one(pool)
    .await?;
    let items = sqlx::query_as!(
        OutboundRequest,
        r#"SELECT id, at, target, service, url, notification_id, attempt, http_status, latency_ms,
                  outcome, error, request_excerpt, response_excerpt
             FROM outbound_requests
            WHERE ($1::text IS NULL OR target = $1) AND ($2::text IS NULL OR outcome = $2)
              AND ($3::bigint IS NULL OR notification_id = $3)
              AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)
            ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7"#,
        f.target,
        f.outcome,
        f.notification_id,
        f.from,
        f.to,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    Ok((items, total))
}
