//! The optional second factor (SEC-2): time-based one-time passwords (RFC 6238, SHA-1, 6 digits,
//! 30 s — what every authenticator app speaks) through the `totp-rs` crate, with ten one-time
//! recovery codes. A role may require it. A code is accepted once: the step of the last good code
//! is kept, and a code of that step or an earlier one is refused even inside the skew window.

use super::SecurityPolicy;
use super::login::record_failure;
use crate::audit::{self, Entry};
use crate::crypto::DataKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

const ISSUER: &str = "Quanyi";
const STEP: u64 = 30;
const RECOVERY_CODES: usize = 10;
/// Crockford-like base32 without look-alikes (no 0/O, 1/I/L).
const RECOVERY_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// What the user scans (or types) to enrol.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// The shared secret in base32, for typing into an authenticator by hand.
    pub secret: String,
    /// `otpauth://totp/…`, the content of the QR code.
    pub otpauth_url: String,
    /// The QR code as a `data:image/png;base64,…` URL.
    pub qr_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    AlreadyEnabled,
    NoEnrolment,
    WrongCode,
    Locked,
}

fn totp(secret: Vec<u8>, username: &str) -> TOTP {
    TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        secret,
        Some(ISSUER.to_owned()),
        username.to_owned(),
    )
}

/// The step whose code `code` is, within one step either side of `now`.
fn matching_step(totp: &TOTP, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let now = u64::try_from(now.timestamp()).ok()?;
    let current = now / STEP;
    (current.saturating_sub(1)..=current + 1)
        .find(|step| {
            let expected = totp.generate(step * STEP);
            // constant time: the crate's own comparison is private
            expected.len() == code.len()
                && expected
                    .bytes()
                    .zip(code.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
        .and_then(|step| i64::try_from(step).ok())
}

fn is_totp_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

fn normalize_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn recovery_hash(code: &str) -> Vec<u8> {
    Sha256::digest(normalize_recovery(code).as_bytes()).to_vec()
}

fn new_recovery_code() -> String {
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| char::from(RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())]))
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// Starts (or restarts) an enrolment: a new secret, kept encrypted until a first code confirms it.
#[tracing::instrument(skip(pool, key))]
pub async fn start_enrolment(
    pool: &PgPool,
    key: &DataKey,
    user_id: Uuid,
) -> Result<Result<Enrolment, Refusal>, sqlx::Error> {
    let user = sqlx::query!(
        "SELECT username, totp_enabled_at IS NOT NULL AS \"enabled!\" FROM users WHERE id = $1",
        user_id
    )
    .fetch_one(pool)
    .await?;
    if user.enabled {
        return Ok(Err(Refusal::AlreadyEnabled));
    }
    let secret = Secret::generate_secret()
        .to_bytes()
        .expect("a generated secret is raw bytes");
    let totp = totp(secret.clone(), &user.username);
    sqlx::query!(
        "UPDATE users SET totp_pending_secret = $2 WHERE id = $1",
        user_id,
        key.seal(&secret)
    )
    .execute(pool)
    .await?;
    let png = totp
        .get_qr_png()
        .map_err(|e| sqlx::Error::Protocol(format!("QR code: {e}")))?;
    Ok(Ok(Enrolment {
        secret: totp.get_secret_base32(),
        otpauth_url: totp.get_url(),
        qr_code: format!("data:image/png;base64,{}", STANDARD.encode(png)),
    }))
}

/// Confirms an enrolment with a first code: the factor is on, and ten recovery codes are issued
/// (returned once, stored hashed).
#[tracing::instrument(skip(pool, key, code, by))]
pub async fn confirm_enrolment(
    pool: &PgPool,
    key: &DataKey,
    user_id: Uuid,
    code: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Vec<String>, Refusal>, sqlx::Error> {
    let user = sqlx::query!(
        "SELECT username, totp_pending_secret, totp_enabled_at IS NOT NULL AS \"enabled!\"
           FROM users WHERE id = $1",
        user_id
    )
    .fetch_one(pool)
    .await?;
    if user.enabled {
        return Ok(Err(Refusal::AlreadyEnabled));
    }
    let Some(sealed) = user.totp_pending_secret else {
        return Ok(Err(Refusal::NoEnrolment));
    };
    let secret = key
        .open(&sealed)
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let Some(step) = matching_step(&totp(secret, &user.username), code, now) else {
        return Ok(Err(Refusal::WrongCode));
    };
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
                          totp_enabled_at = $2, totp_last_step = $3
          WHERE id = $1",
        user_id,
        now,
        step
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM totp_recovery_codes WHERE user_id = $1",
        user_id
    )
    .execute(&mut *tx)
    .await?;
    for code in &codes {
        sqlx::query!(
            "INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES ($1, $2)",
            user_id,
            recovery_hash(code)
        )
        .execute(&mut *tx)
        .await?;
    }
    let entry = Entry {
        action: "auth.totp.enrol",
        target: Some(user.username),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(codes))
}

/// Checks a code (six digits) or a recovery code of an enrolled user. Wrong codes count toward
/// the same lock as wrong passwords; every attempt is audited.
#[tracing::instrument(skip(pool, key, policy, code, by))]
pub async fn verify(
    pool: &PgPool,
    key: &DataKey,
    policy: &SecurityPolicy,
    user_id: Uuid,
    code: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let user = sqlx::query!(
        "SELECT username, totp_secret, totp_last_step FROM users WHERE id = $1",
        user_id
    )
    .fetch_one(pool)
    .await?;
    let Some(sealed) = user.totp_secret else {
        return Ok(Err(Refusal::NoEnrolment));
    };
    let locked = sqlx::query_scalar!(
        "SELECT locked_until FROM login_locks WHERE username = $1",
        user.username
    )
    .fetch_optional(pool)
    .await?
    .flatten()
    .is_some_and(|until| until > now);
    let mut tx = pool.begin().await?;
    let outcome = if locked {
        Err(Refusal::Locked)
    } else if is_totp_code(code) {
        let secret = key
            .open(&sealed)
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        match matching_step(&totp(secret, &user.username), code, now) {
            Some(step) if user.totp_last_step.is_none_or(|last| step > last) => {
                sqlx::query!(
                    "UPDATE users SET totp_last_step = $2 WHERE id = $1",
                    user_id,
                    step
                )
                .execute(&mut *tx)
                .await?;
                Ok(())
            }
            _ => Err(Refusal::WrongCode),
        }
    } else {
        let used = sqlx::query!(
            "UPDATE totp_recovery_codes SET used_at = $3
              WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            user_id,
            recovery_hash(code),
            now
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used == 1 {
            Ok(())
        } else {
            Err(Refusal::WrongCode)
        }
    };
    match outcome {
        Ok(()) => {
            sqlx::query!("DELETE FROM login_locks WHERE username = $1", user.username)
                .execute(&mut *tx)
                .await?;
        }
        Err(Refusal::WrongCode) => record_failure(&mut tx, policy, &user.username, now).await?,
        Err(_) => {}
    }
    let entry = Entry {
        action: "auth.totp.verify",
        target: Some(user.username),
        refused: outcome.is_err(),
        after: Some(serde_json::json!({
            "method": if is_totp_code(code) { "totp" } else { "recovery_code" },
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Recovery codes not yet used.
pub async fn recovery_codes_left(pool: &PgPool, user_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM totp_recovery_codes WHERE user_id = $1 AND used_at IS NULL"#,
        user_id
    )
    .fetch_one(pool)
    .await
}

/// Turns the factor off — by its owner (refused while a role requires it) or by an administrator
/// for a user who lost their device (who must then enrol again if a role requires it). Audited
/// as `action`.
#[tracing::instrument(skip(conn, by))]
pub async fn disable(
    conn: &mut PgConnection,
    user_id: Uuid,
    action: &'static str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<(), sqlx::Error> {
    let row = sqlx::query!(
        "UPDATE users u SET totp_secret = NULL, totp_enabled_at = NULL, totp_pending_secret = NULL,
                            totp_last_step = NULL
           FROM users old
          WHERE u.id = $1 AND old.id = u.id
      RETURNING u.username, old.totp_enabled_at",
        user_id
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM totp_recovery_codes WHERE user_id = $1",
        user_id
    )
    .execute(&mut *conn)
    .await?;
    let entry = Entry {
        action,
        target: Some(row.username),
        before: Some(serde_json::json!({ "totp_enabled_at": row.totp_enabled_at })),
        after: Some(serde_json::json!({ "totp_enabled_at": null })),
        ..by
    };
    audit::append(conn, now, entry).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed() -> TOTP {
        // RFC 6238 appendix B's SHA-1 seed
        totp(b"12345678901234567890".to_vec(), "admin")
    }

    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let t = fixed();
        // RFC 6238 gives 8 digits (94287082 at T=59); the 6-digit code is its last six
        assert_eq!(t.generate(59), "287082");
        assert_eq!(t.generate(1_111_111_109), "081804");
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side_only() {
        let t = fixed();
        let now = DateTime::from_timestamp(1_111_111_109, 0).unwrap();
        let step = 1_111_111_109 / 30;
        assert_eq!(matching_step(&t, "081804", now), Some(step));
        let previous = t.generate((step as u64 - 1) * 30);
        assert_eq!(matching_step(&t, &previous, now), Some(step - 1));
        let old = t.generate((step as u64 - 2) * 30);
        assert_eq!(matching_step(&t, &old, now), None);
        assert_eq!(matching_step(&t, "000000x", now), None);
    }

    #[test]
    fn recovery_codes_are_typed_loosely_and_hashed_alike() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(
            recovery_hash(&code),
            recovery_hash(&code.to_lowercase().replace('-', " "))
        );
        assert_ne!(new_recovery_code(), code);
        assert!(!is_totp_code(&code));
        assert!(is_totp_code("012345"));
    }
}
