//! The applicant's door: no staff account, a phone number proved by a six-digit SMS code (through
//! the outbox; throttled per phone and per address; the sign-in captcha first), then a session
//! bound to that phone. Codes and session tokens are kept only as SHA-256 hashes; the code's SMS
//! carries it sealed under the data key (`notifications.sealed_params`, opened by the sender and
//! dropped once sent), like a one-time password.

use super::queue_sms;
use crate::crypto::DataKey;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::BTreeMap;

/// How long a code may be used.
pub const CODE_LIFETIME_MINUTES: i64 = 5;
/// One code a phone a minute, …
pub const PHONE_GAP_SECONDS: i64 = 60;
/// … at most this many an hour, …
pub const PHONE_PER_HOUR: i64 = 5;
/// … and at most this many an hour from one address.
pub const IP_PER_HOUR: i64 = 20;
/// Wrong answers a code takes before it is spent.
pub const MAX_ATTEMPTS: i32 = 5;
/// How long an applicant's session lasts.
pub const SESSION_HOURS: i64 = 2;

/// Why no code was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    Phone,
    Address,
}

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Sends `phone` a new code by SMS (queued in the outbox with the code's row), unless the phone
/// or the address asked too often. The code rests only sealed under `data_key` in the outbox row.
pub async fn send_code(
    pool: &PgPool,
    data_key: &DataKey,
    phone: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), Throttled>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // one sender at a time per phone, so two requests cannot both pass the gap
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtext('applicant:' || $1))",
        phone
    )
    .execute(&mut *tx)
    .await?;
    let hour_ago = now - Duration::hours(1);
    let by_phone = sqlx::query!(
        r#"SELECT count(*) AS "count!", max(created_at) AS last
             FROM applicant_codes WHERE phone = $1 AND created_at > $2"#,
        phone,
        hour_ago
    )
    .fetch_one(&mut *tx)
    .await?;
    if by_phone.count >= PHONE_PER_HOUR
        || by_phone
            .last
            .is_some_and(|last| now - last < Duration::seconds(PHONE_GAP_SECONDS))
    {
        return Ok(Err(Throttled::Phone));
    }
    let by_ip = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM applicant_codes WHERE ip = $1 AND created_at > $2"#,
        ip,
        hour_ago
    )
    .fetch_one(&mut *tx)
    .await?;
    if by_ip >= IP_PER_HOUR {
        return Ok(Err(Throttled::Address));
    }
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
    let id = sqlx::query_scalar!(
        "INSERT INTO applicant_codes (phone, code_hash, ip, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        phone,
        digest(&format!("{phone}:{code}")),
        ip,
        now,
        now + Duration::minutes(CODE_LIFETIME_MINUTES)
    )
    .fetch_one(&mut *tx)
    .await?;
    let secret: BTreeMap<String, String> = [("code".to_owned(), code)].into_iter().collect();
    queue_sms(
        &mut tx,
        &format!("applicant-code/{id}/sms"),
        "QY_APPLICANT_CODE",
        &BTreeMap::new(),
        Some((data_key, &secret)),
        phone,
        "商户入驻验证码",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Spends the newest live code of `phone` if `code` is it, and opens a session: its token. A wrong
/// answer counts against the code; the fifth spends it.
pub async fn verify_code(
    pool: &PgPool,
    phone: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(row) = sqlx::query!(
        "SELECT id, code_hash FROM applicant_codes
          WHERE phone = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3
          ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
        phone,
        now,
        MAX_ATTEMPTS
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    if row.code_hash != digest(&format!("{phone}:{}", code.trim())) {
        sqlx::query!(
            "UPDATE applicant_codes SET attempts = attempts + 1 WHERE id = $1",
            row.id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(None);
    }
    sqlx::query!(
        "UPDATE applicant_codes SET used_at = $2 WHERE id = $1",
        row.id,
        now
    )
    .execute(&mut *tx)
    .await?;
    let token = crate::identity::session::SessionToken::generate();
    sqlx::query!(
        "INSERT INTO applicant_sessions (token_hash, phone, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
        digest(token.expose()),
        phone,
        now,
        now + Duration::hours(SESSION_HOURS)
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(token.expose().to_owned()))
}

/// The phone a live session token is bound to.
pub async fn session_phone(
    pool: &PgPool,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT phone FROM applicant_sessions WHERE token_hash = $1 AND expires_at > $2",
        digest(token),
        now
    )
    .fetch_optional(pool)
    .await
}
