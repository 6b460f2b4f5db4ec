//! Outbound notices through one outbox (`notifications`): a notice is written in the transaction
//! of the change that causes it, one row per (notice, channel, recipient) under a unique key, so
//! it exists exactly when that change committed and however often the cause is retried. The
//! worker's [`dispatch`] sends the due rows per channel — e-mail over SMTP (lettre), SMS through
//! the bank's SMS platform, the enterprise-WeChat group robot, ESB callbacks (the last three
//! through [`crate::esb::outbound`]) — and records each outcome; a failure is retried on a capped
//! exponential backoff until [`RetryPolicy::max_attempts`], then the row is `failed`. Nothing
//! waits on delivery: a peer that is down leaves its rows `retrying` with the error visible.
//!
//! Duplicates: the e-mail's `Message-ID`, the SMS `msgId` and the ESB `consumerSeqNo` are the
//! row's key, so a peer drops the repeat that a crash between its acceptance and our commit of
//! `sent` would cause (the SMS platform and the ESB do; a mail reader may).

use crate::crypto::DataKey;
use crate::esb::outbound::{Call, Delivery, Failure, Idempotency, Outbound, Target};
use crate::pii::{self, Kind};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;
use std::time::Duration;
use uuid::Uuid;

/// Failed sends are retried until this many attempts, then marked failed (the default of
/// [`RetryPolicy::max_attempts`]).
pub const MAX_ATTEMPTS: i32 = 5;

/// The channels of the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
    Wechat,
    Esb,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Email, Channel::Sms, Channel::Wechat, Channel::Esb];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Wechat => "wechat",
            Channel::Esb => "esb",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A notice for one channel and recipient, ready to queue.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Unique per notice, channel and recipient, e.g. `campaign-<id>/7/submitter/sms`.
    pub key: String,
    /// `remind`, `escalate`, `submitter`, `transfer`, `password_reset`, `result`.
    pub kind: String,
    pub workflow_id: Option<String>,
    pub user_id: Option<Uuid>,
    pub channel: Channel,
    /// An e-mail address, a mobile number, `group` (the WeChat robot) or an ESB consumer code.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// SMS only: the template registered with the platform.
    pub template_code: Option<String>,
    /// The SMS template's variables; the WeChat robot's `mentioned_mobile_list`.
    pub params: Option<Value>,
    /// SMS only: the variables that must not rest in clear (a one-time password), sealed by
    /// [`seal_params`] for this row's key. The sender opens them at send time and drops them
    /// once the notice is sent; `params` and `body` never hold them.
    pub sealed_params: Option<Vec<u8>>,
}

/// `secret` (template variables) sealed under the data key for the outbox row of `key`: they
/// open only in that row.
pub fn seal_params(data_key: &DataKey, key: &str, secret: &BTreeMap<String, String>) -> Vec<u8> {
    let plain = serde_json::to_vec(secret).expect("strings serialize");
    data_key.seal_bound(&plain, key.as_bytes())
}

/// The variables [`seal_params`] sealed for the row of `key`.
pub fn open_params(
    data_key: &DataKey,
    key: &str,
    sealed: &[u8],
) -> Result<BTreeMap<String, String>, String> {
    let plain = data_key
        .open_bound(sealed, key.as_bytes())
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&plain).map_err(|e| format!("sealed parameters: {e}"))
}

/// Queues `n` on `conn` (the caller's transaction); a second notice with the same key is
/// ignored. Returns whether a row was written.
pub async fn queue(
    conn: &mut PgConnection,
    n: &Outgoing,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO notifications (key, kind, workflow_id, user_id, channel, recipient, subject,
                                    body, template_code, params, sealed_params, created_at,
                                    next_attempt_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12)
         ON CONFLICT (key) DO NOTHING",
        n.key,
        n.kind,
        n.workflow_id,
        n.user_id,
        n.channel.as_str(),
        n.recipient,
        n.subject,
        n.body,
        n.template_code,
        n.params,
        n.sealed_params,
        now
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// An e-mail notice to queue.
pub struct Email<'a> {
    /// Unique per event and channel, e.g. `password-reset:<id>:email`.
    pub key: String,
    pub kind: &'static str,
    pub user_id: Option<Uuid>,
    pub to: &'a str,
    pub subject: String,
    pub body: String,
}

/// Queues `email` in the caller's transaction; a second notice with the same key is ignored.
pub async fn queue_email(
    conn: &mut PgConnection,
    email: Email<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let n = Outgoing {
        key: email.key,
        kind: email.kind.into(),
        workflow_id: None,
        user_id: email.user_id,
        channel: Channel::Email,
        recipient: email.to.into(),
        subject: email.subject,
        body: email.body,
        template_code: None,
        params: None,
        sealed_params: None,
    };
    queue(conn, &n, now).await.map(|_| ())
}

/// Which notice kinds go to which channel besides e-mail (e-mail goes to every user with an
/// address). A channel whose platform is not configured has no kinds: no rows are queued for it,
/// and the activity logs that once per notice.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    /// Kinds sent by SMS to users with a phone number; empty: SMS is not configured.
    pub sms: Vec<String>,
    /// Kinds posted to the enterprise-WeChat group; empty: no robot configured.
    pub wechat: Vec<String>,
    /// ESB consumers whose campaign plans are called back when decided; empty: none.
    pub esb_callbacks: Vec<String>,
}

impl Routing {
    pub fn sms(&self, kind: &str) -> bool {
        self.sms.iter().any(|k| k == kind)
    }

    pub fn wechat(&self, kind: &str) -> bool {
        self.wechat.iter().any(|k| k == kind)
    }
}

/// An SMS template as registered with the SMS platform.
#[derive(Debug, Clone)]
pub struct SmsTemplate {
    pub code: String,
    pub content: String,
    pub variables: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("SMS template {0} does not exist")]
    Unknown(String),
    #[error("SMS template {code}: variable {name} is not declared")]
    Undeclared { code: String, name: String },
    #[error("SMS template {code}: variable {name} has no value")]
    Missing { code: String, name: String },
    #[error("SMS template {code}: value of {name} is empty or longer than 60 characters")]
    BadValue { code: String, name: String },
}

impl SmsTemplate {
    /// The text the platform will send: every `${var}` of the content replaced. Refuses an
    /// undeclared placeholder, a variable without a value, and values that are empty or long
    /// (the platform's limit per variable), so a bad template fails at queueing, not on a phone.
    pub fn render(&self, params: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        let mut out = String::new();
        let mut rest = self.content.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if !self.variables.iter().any(|v| v == name) {
                return Err(TemplateError::Undeclared {
                    code: self.code.clone(),
                    name: name.into(),
                });
            }
            let value = params.get(name).ok_or_else(|| TemplateError::Missing {
                code: self.code.clone(),
                name: name.into(),
            })?;
            if value.trim().is_empty() || value.chars().count() > 60 {
                return Err(TemplateError::BadValue {
                    code: self.code.clone(),
                    name: name.into(),
                });
            }
            out.push_str(value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// The template `code`, as the migration seeded it (or a DBA changed it).
pub async fn sms_template(
    conn: &mut PgConnection,
    code: &str,
) -> Result<Result<SmsTemplate, TemplateError>, sqlx::Error> {
    let row = sqlx::query_as!(
        SmsTemplate,
        "SELECT code, content, variables FROM sms_templates WHERE code = $1",
        code
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.ok_or_else(|| TemplateError::Unknown(code.into())))
}

/// The SMTP relay and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("notify.smtp_url: {0}")]
    Url(String),
    #[error("notify.from is not an address: {0}")]
    From(String),
}

impl Mailer {
    /// `smtp_url` as lettre reads it: `smtp://[user:pass@]host:port` (plain, inside the bank's
    /// network) or `smtps://…` / `smtp://…?tls=required` for TLS.
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailerError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailerError::Url(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailerError::From(e.to_string()))?;
        let domain = from.email.domain().to_owned();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    async fn send(&self, key: &str, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!(
                "<{}@{}>",
                key.replace([':', ' ', '/'], "."),
                self.domain
            )))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| format!("message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("smtp: {e}"))
    }
}

/// The bank's SMS platform (protocol: `docs/notifications.md`).
#[derive(Clone)]
pub struct SmsPlatform {
    /// The platform's base URL; we POST to `{url}/sms/v1/send`.
    pub url: String,
    pub app_id: String,
    /// Signs each request (HMAC-SHA256); never logged.
    pub app_key: SecretString,
}

impl SmsPlatform {
    /// `X-App-Id`, `X-Timestamp` and `X-Signature`: hex HMAC-SHA256 under the app key of
    /// `app_id + "\n" + timestamp + "\n" + body`.
    fn headers(&self, body: &str, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
        let timestamp = now.timestamp().to_string();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(self.app_key.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(format!("{}\n{timestamp}\n{body}", self.app_id).as_bytes());
        vec![
            ("x-app-id", self.app_id.clone()),
            ("x-timestamp", timestamp),
            ("x-signature", hex::encode(mac.finalize().into_bytes())),
        ]
    }
}

/// The enterprise-WeChat group robot.
#[derive(Clone)]
pub struct WechatRobot {
    /// `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`; the key is a secret.
    pub webhook_url: SecretString,
}

/// Calls back ESB consumers through the ESB's outbound endpoint.
#[derive(Clone)]
pub struct EsbOutbound {
    /// We POST the envelope here; the ESB routes it to the consumer named in `sysHead`.
    pub url: String,
    /// Our system's code, `sysHead.consumerId` of our calls.
    pub system_id: String,
}

/// How failed rows are retried: after the n-th failed attempt a row is due again
/// `base · 2^(n-1)` later, capped at `max_delay`; after `max_attempts` it is `failed`.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: i32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: MAX_ATTEMPTS,
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The delay after `attempts` failed attempts in all.
    pub fn delay(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        self.base_delay
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_delay)
    }
}

/// What the worker sends with: a channel without its sender keeps its rows queued.
#[derive(Clone, Default)]
pub struct Dispatcher {
    pub mailer: Option<Mailer>,
    pub outbound: Option<Outbound>,
    pub sms: Option<SmsPlatform>,
    pub wechat: Option<WechatRobot>,
    pub esb: Option<EsbOutbound>,
    pub retry: RetryPolicy,
}

impl Dispatcher {
    /// The channels this dispatcher can send.
    pub fn channels(&self) -> Vec<Channel> {
        let http = self.outbound.is_some();
        Channel::ALL
            .into_iter()
            .filter(|c| match c {
                Channel::Email => self.mailer.is_some(),
                Channel::Sms => http && self.sms.is_some(),
                Channel::Wechat => http && self.wechat.is_some(),
                Channel::Esb => http && self.esb.is_some(),
            })
            .collect()
    }
}

struct Due {
    id: i64,
    key: String,
    recipient: String,
    subject: String,
    body: String,
    template_code: Option<String>,
    params: Option<Value>,
}

/// Sends up to `batch` due notices of each channel the dispatcher can send, oldest due first;
/// returns how many went out. Rows are locked while they are sent (`FOR NO KEY UPDATE SKIP
/// LOCKED`: other workers skip them, while the request log may still reference them), so
/// several workers never send the same notice.
pub async fn dispatch(
    pool: &PgPool,
    dispatcher: &Dispatcher,
    batch: i64,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let mut sent = 0;
    for channel in dispatcher.channels() {
        sent += dispatch_channel(pool, dispatcher, channel, batch, now).await?;
    }
    Ok(sent)
}

async fn dispatch_channel(
    pool: &PgPool,
    dispatcher: &Dispatcher,
    channel: Channel,
    batch: i64,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let due = sqlx::query_as!(
        Due,
        "SELECT id, key, recipient, subject, body, template_code, params FROM notifications
          WHERE channel = $1 AND status IN ('pending', 'retrying') AND next_attempt_at <= $2
          ORDER BY next_attempt_at, id LIMIT $3 FOR NO KEY UPDATE SKIP LOCKED",
        channel.as_str(),
        now,
        batch
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    for n in due {
        let delivery = send(dispatcher, channel, &n, now).await;
        let attempts = i32::try_from(delivery.attempts).unwrap_or(i32::MAX);
        match delivery.result {
            Ok(_) => {
                sqlx::query!(
                    "UPDATE notifications
                        SET status = 'sent', sent_at = $2, updated_at = $2,
                            attempts = attempts + $3, last_error = NULL
                      WHERE id = $1",
                    n.id,
                    now,
                    attempts
                )
                .execute(&mut *tx)
                .await?;
                sent += 1;
            }
            Err(failure) => {
                let error = failure.to_string();
                tracing::warn!(
                    id = n.id,
                    channel = channel.as_str(),
                    error,
                    "notice not delivered"
                );
                // An open breaker sent nothing: the row is due again once the breaker may let
                // a call through, without counting an attempt.
                let retry_in = match failure {
                    Failure::CircuitOpen => dispatcher
                        .outbound
                        .as_ref()
                        .map_or(dispatcher.retry.base_delay, |o| {
                            o.settings().breaker_cooldown
                        }),
                    _ => dispatcher.retry.delay(attempts.max(1)),
                };
                let next = now + chrono::Duration::from_std(retry_in).unwrap_or_default();
                sqlx::query!(
                    "UPDATE notifications
                        SET attempts = attempts + $2, last_error = $3, updated_at = $5,
                            next_attempt_at = $6,
                            status = CASE WHEN attempts + $2 >= $4 THEN 'failed' ELSE 'retrying' END
                      WHERE id = $1",
                    n.id,
                    attempts,
                    error.chars().take(1000).collect::<String>(),
                    dispatcher.retry.max_attempts,
                    now,
                    next
                )
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(sent)
}

async fn send(dispatcher: &Dispatcher, channel: Channel, n: &Due, now: DateTime<Utc>) -> Delivery {
    let outbound = dispatcher.outbound.as_ref();
    match (channel, outbound) {
        (Channel::Email, _) => {
            let mailer = dispatcher.mailer.as_ref().expect("only sendable channels");
            let result = mailer
                .send(&n.key, &n.recipient, &n.subject, &n.body)
                .await
                .map(|()| Value::Null)
                .map_err(Failure::Unavailable);
            Delivery {
                attempts: 1,
                result,
            }
        }
        (Channel::Sms, Some(outbound)) => {
            let sms = dispatcher.sms.as_ref().expect("only sendable channels");
            // The platform accepts a msgId once and answers a repeat without sending it again,
            // so a retry after a lost answer cannot send a second SMS: the call is idempotent.
            let body = json!({
                "msgId": n.key,
                "mobile": n.recipient,
                "templateCode": n.template_code,
                "params": n.params.clone().unwrap_or_else(|| json!({})),
            });
            let url = format!("{}/sms/v1/send", sms.url.trim_end_matches('/'));
            outbound
                .call(&Call {
                    target: Target::Sms,
                    service: "sms.send",
                    url: &url,
                    headers: sms.headers(&body.to_string(), now),
                    body: &body,
                    idempotency: Idempotency::Idempotent,
                    judge: |v| match v["code"].as_str() {
                        Some("0000") => Ok(()),
                        code => Err(format!(
                            "SMS platform code {}: {}",
                            code.unwrap_or("-"),
                            v["msg"].as_str().unwrap_or("")
                        )),
                    },
                    notification_id: Some(n.id),
                })
                .await
        }
        (Channel::Wechat, Some(outbound)) => {
            let robot = dispatcher.wechat.as_ref().expect("only sendable channels");
            // The robot keeps no message id. A retry is still safe enough to call idempotent:
            // in-call retries follow only a failure (no connection, 5xx, 429, timeout), the
            // outbox sends each notice once, and the one duplicate left — a post whose answer
            // was lost — shows the same text twice in a staff chat group, with no effect.
            let mobiles = n
                .params
                .as_ref()
                .and_then(|p| p.get("mentioned_mobile_list").cloned())
                .unwrap_or_else(|| json!([]));
            let body = json!({
                "msgtype": "text",
                "text": {"content": n.body, "mentioned_mobile_list": mobiles},
            });
            outbound
                .call(&Call {
                    target: Target::Wechat,
                    service: "wechat.robot",
                    url: robot.webhook_url.expose_secret(),
                    headers: Vec::new(),
                    body: &body,
                    idempotency: Idempotency::Idempotent,
                    judge: |v| match v["errcode"].as_i64() {
                        Some(0) => Ok(()),
                        code => Err(format!(
                            "WeChat errcode {}: {}",
                            code.map_or("-".into(), |c| c.to_string()),
                            v["errmsg"].as_str().unwrap_or("")
                        )),
                    },
                    notification_id: Some(n.id),
                })
                .await
        }
        (Channel::Esb, Some(outbound)) => {
            let esb = dispatcher.esb.as_ref().expect("only sendable channels");
            let body: Value = serde_json::from_str(&n.body).unwrap_or_else(|_| json!({}));
            let local = now.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
            // consumerSeqNo is the outbox key: the ESB answers a repeated serial number with
            // its first answer and delivers it once, so the call is idempotent.
            let envelope = json!({
                "sysHead": {
                    "serviceCode": n.subject,
                    "consumerId": esb.system_id,
                    "consumerSeqNo": esb_seq_no(&n.key),
                    "providerId": n.recipient,
                    "tranDate": local.format("%Y%m%d").to_string(),
                    "tranTime": local.format("%H%M%S").to_string(),
                },
                "appHead": {},
                "body": body,
            });
            outbound
                .call(&Call {
                    target: Target::Esb,
                    service: &n.subject,
                    url: &esb.url,
                    headers: Vec::new(),
                    body: &envelope,
                    idempotency: Idempotency::Idempotent,
                    judge: |v| match v["sysHead"]["retCode"].as_str() {
                        Some("000000") => Ok(()),
                        code => Err(format!(
                            "ESB retCode {}: {}",
                            code.unwrap_or("-"),
                            v["sysHead"]["retMsg"].as_str().unwrap_or("")
                        )),
                    },
                    notification_id: Some(n.id),
                })
                .await
        }
        (_, None) => unreachable!("HTTP channels are sendable only with the outbound client"),
    }
}

/// The ESB serial number of an outbox key: the key with `/` as `.`, since the ESB's serial
/// numbers are `[A-Za-z0-9_.:-]`.
pub fn esb_seq_no(key: &str) -> String {
    key.replace('/', ".")
}

/// One row of 通知记录, the recipient masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationRow {
    pub id: i64,
    pub key: String,
    pub kind: String,
    /// `email`, `sms`, `wechat` or `esb`.
    pub channel: String,
    pub workflow_id: Option<String>,
    /// Masked: `p***@bank.example`, `138****5678`; `group` or the ESB consumer's code.
    pub recipient: String,
    pub subject: String,
    pub template_code: Option<String>,
    /// `pending`, `retrying`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
pub struct NotificationFilter {
    pub channel: Option<String>,
    pub status: Option<String>,
    /// The key or its beginning (a workflow id finds all of its notices).
    pub key: Option<String>,
    pub workflow_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The outbox, newest first, with the number of rows the filter matches.
pub async fn notifications(
    pool: &PgPool,
    f: &NotificationFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<NotificationRow>, i64), sqlx::Error> {
    let key_prefix = f.key.as_deref().map(|k| {
        k.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    });
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM notifications
            WHERE ($1::text IS NULL OR channel = $1) AND ($2::text IS NULL OR status = $2)
              AND ($3::text IS NULL OR key LIKE $3 || '%')
              AND ($4::text IS NULL OR workflow_id = $4)
              AND ($5::timestamptz IS NULL OR created_at >= $5)
              AND ($6::timestamptz IS NULL OR created_at < $6)"#,
        f.channel,
        f.status,
        key_prefix,
        f.workflow_id,
        f.from,
        f.to
    )
    .fetch_one(pool)
    .await?;
    let mut items = sqlx::query_as!(
        NotificationRow,
        r#"SELECT id, key, kind, channel, workflow_id, recipient, subject, template_code, status,
                  attempts, last_error, next_attempt_at, created_at, sent_at
             FROM notifications
            WHERE ($1::text IS NULL OR channel = $1) AND ($2::text IS NULL OR status = $2)
              AND ($3::text IS NULL OR key LIKE $3 || '%')
              AND ($4::text IS NULL OR workflow_id = $4)
              AND ($5::timestamptz IS NULL OR created_at >= $5)
              AND ($6::timestamptz IS NULL OR created_at < $6)
            ORDER BY created_at DESC, id DESC LIMIT $7 OFFSET $8"#,
        f.channel,
        f.status,
        key_prefix,
        f.workflow_id,
        f.from,
        f.to,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    for row in &mut items {
        row.recipient = match Channel::parse(&row.channel) {
            Some(Channel::Email) => pii::mask(Kind::Email, &row.recipient),
            Some(Channel::Sms) => pii::mask(Kind::Phone, &row.recipient),
            _ => row.recipient.clone(),
        };
    }
    Ok((items, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(content: &str, variables: &[&str]) -> SmsTemplate {
        SmsTemplate {
            code: "QY_T".into(),
            content: content.into(),
            variables: variables.iter().map(|v| (*v).into()).collect(),
        }
    }

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn a_template_renders_its_declared_variables_and_refuses_the_rest() {
        let t = template("您的待办《${title}》${what}。", &["title", "what"]);
        assert_eq!(
            t.render(&params(&[("title", "开门红"), ("what", "即将超时")])),
            Ok("您的待办《开门红》即将超时。".into())
        );
        assert!(matches!(
            t.render(&params(&[("title", "开门红")])),
            Err(TemplateError::Missing { name, .. }) if name == "what"
        ));
        assert!(matches!(
            t.render(&params(&[("title", " "), ("what", "x")])),
            Err(TemplateError::BadValue { name, .. }) if name == "title"
        ));
        let undeclared = template("${title}：${who}", &["title"]);
        assert!(matches!(
            undeclared.render(&params(&[("title", "a"), ("who", "b")])),
            Err(TemplateError::Undeclared { name, .. }) if name == "who"
        ));
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(600),
        };
        let delays: Vec<u64> = (1..=7).map(|n| policy.delay(n).as_secs()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 600, 600]);
    }

    #[test]
    fn an_esb_serial_number_is_the_key_in_the_esb_alphabet() {
        assert_eq!(
            esb_seq_no("campaign-1/7/submitter/esb"),
            "campaign-1.7.submitter.esb"
        );
    }
}
