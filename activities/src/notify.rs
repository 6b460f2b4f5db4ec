//! Outbound notifications through an outbox: [`queue_email`] writes the notice in the caller's
//! transaction, so it exists exactly when the change that caused it committed; [`deliver_pending`]
//! (the worker runs it on a timer) sends what is pending over SMTP with lettre and records the
//! outcome. A notice is sent once unless the process dies between the relay's acceptance and the
//! commit of `sent`; its `Message-ID` is derived from its key, so a relay or reader can drop that
//! rare duplicate.

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Failed sends are retried until this many attempts, then marked failed.
pub const MAX_ATTEMPTS: i32 = 5;

/// An e-mail notice to queue.
pub struct Email<'a> {
    /// Unique per event and channel, e.g. `password-reset:<id>:email`.
    pub key: String,
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
    sqlx::query!(
        "INSERT INTO notifications (key, user_id, channel, recipient, subject, body, created_at)
         VALUES ($1, $2, 'email', $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING",
        email.key,
        email.user_id,
        email.to,
        email.subject,
        email.body,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
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
                key.replace([':', ' '], "."),
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

/// Sends up to `batch` pending notices, oldest first; returns how many went out. Rows are locked
/// while they are sent, so several workers never send the same notice.
pub async fn deliver_pending(
    pool: &PgPool,
    mailer: &Mailer,
    batch: i64,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let pending = sqlx::query!(
        "SELECT id, key, recipient, subject, body FROM notifications
          WHERE status = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        batch
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    for n in pending {
        match mailer.send(&n.key, &n.recipient, &n.subject, &n.body).await {
            Ok(()) => {
                sqlx::query!(
                    "UPDATE notifications SET status = 'sent', sent_at = $2, attempts = attempts + 1,
                                              last_error = NULL
                      WHERE id = $1",
                    n.id,
                    now
                )
                .execute(&mut *tx)
                .await?;
                sent += 1;
            }
            Err(error) => {
                tracing::warn!(id = n.id, error, "notification not delivered");
                sqlx::query!(
                    "UPDATE notifications
                        SET attempts = attempts + 1, last_error = $2,
                            status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END
                      WHERE id = $1",
                    n.id,
                    error,
                    MAX_ATTEMPTS
                )
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(sent)
}
