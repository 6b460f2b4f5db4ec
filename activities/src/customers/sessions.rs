//! Customers' sessions in the H5 mall: opened by an assertion of the bank's channel client (its
//! signature checked at the edge), bound to one customer, short-lived, never a staff session —
//! another table, another cookie, no roles. Tokens are kept only as SHA-256 hashes.

use crate::audit::{self, Entry};
use crate::benefits::clients;
use crate::identity::session::SessionToken;
use chrono::{DateTime, Duration, Utc};
use quanyi_workflows::domain::CustomerNo;
use sqlx::PgPool;
use uuid::Uuid;

/// How long a customer's session lasts: mobile banking asks again after that.
pub const SESSION_MINUTES: i64 = 30;

/// Why no session was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The assertion's nonce was spent before: a replay.
    NonceReused,
    /// No such customer, or the customer's accounts are closed.
    UnknownCustomer,
}

/// A session just opened: its token (for the cookie) and when it ends.
pub struct Opened {
    pub token: SessionToken,
    pub expires_at: DateTime<Utc>,
}

/// Opens a session for `customer` on the assertion of `client_id` whose nonce is `nonce`: the
/// nonce spent, the session written and audited in one transaction. Nothing is written when
/// refused.
pub async fn open(
    pool: &PgPool,
    client_id: Uuid,
    nonce: &str,
    customer: &CustomerNo,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Opened, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let known = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM customers WHERE customer_no = $1 AND status <> 'closed')
               AS "known!""#,
        customer.as_str()
    )
    .fetch_one(&mut *tx)
    .await?;
    if !known {
        return Ok(Err(Refusal::UnknownCustomer));
    }
    if !clients::spend_nonce(&mut tx, client_id, nonce, now).await? {
        return Ok(Err(Refusal::NonceReused));
    }
    let token = SessionToken::generate();
    let expires_at = now + Duration::minutes(SESSION_MINUTES);
    sqlx::query!(
        "INSERT INTO customer_sessions (token_hash, customer_no, client_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        token.hash(),
        customer.as_str(),
        client_id,
        now,
        expires_at
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "customer.session.open",
        target: Some(crate::pii::mask(
            crate::pii::Kind::CustomerNo,
            customer.as_str(),
        )),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(Opened { token, expires_at }))
}

/// The customer a live session token is bound to.
pub async fn customer_of(
    pool: &PgPool,
    token: &SessionToken,
    now: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT customer_no FROM customer_sessions WHERE token_hash = $1 AND expires_at > $2",
        token.hash(),
        now
    )
    .fetch_optional(pool)
    .await
}

/// Ends a session (signing out); a token that is not live changes nothing.
pub async fn close(
    pool: &PgPool,
    token: &SessionToken,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE customer_sessions SET expires_at = created_at + interval '1 microsecond'
          WHERE token_hash = $1 AND expires_at > $2",
        token.hash(),
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}
