//! Signing in, in the order the bank's rules need: throttle the address, spend the captcha, refuse
//! a locked name, then — only then — check the password. Every attempt is in the login log.

use super::password::{dummy_hash, verify_pooled};
use super::session::{self, SessionToken};
use super::{SecurityPolicy, captcha, chrono};
use crate::audit::{self, Entry};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub struct Attempt {
    pub username: String,
    pub password: String,
    pub captcha_id: Uuid,
    pub captcha_answer: String,
    pub ip: String,
    pub now: DateTime<Utc>,
}

/// The user's previous sign-in, shown at this one.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LastLogin {
    pub at: DateTime<Utc>,
    pub ip: String,
    pub success: bool,
    /// Wrong passwords given for this account since its last successful sign-in.
    pub failures_since: i64,
}

pub enum Outcome {
    SignedIn {
        user_id: Uuid,
        token: SessionToken,
        last_login: Option<LastLogin>,
        /// The user is enrolled: the session can do nothing until a code is given.
        second_factor_pending: bool,
    },
    Throttled,
    BadCaptcha,
    Locked,
    BadCredentials,
    /// The password was right, but the user's merchant is disabled (停用): no session opens, and
    /// the user's other sessions stay as they are.
    MerchantDisabled,
}

pub async fn sign_in(
    pool: &PgPool,
    policy: &SecurityPolicy,
    attempt: Attempt,
) -> Result<Outcome, sqlx::Error> {
    let now = attempt.now;
    let recent_failures = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM login_log WHERE ip = $1 AND NOT success AND at > $2"#,
        attempt.ip,
        now - chrono(policy.ip_window)
    )
    .fetch_one(pool)
    .await?;
    if recent_failures >= policy.ip_max_failures {
        log_alone(pool, &attempt, None, "throttled").await?;
        return Ok(Outcome::Throttled);
    }
    if !captcha::check(pool, attempt.captcha_id, &attempt.captcha_answer, now).await? {
        log_alone(pool, &attempt, None, "captcha").await?;
        return Ok(Outcome::BadCaptcha);
    }
    let locked = sqlx::query_scalar!(
        "SELECT locked_until FROM login_locks WHERE username = $1",
        attempt.username
    )
    .fetch_optional(pool)
    .await?
    .flatten()
    .is_some_and(|until| until > now);
    let account = sqlx::query!(
        "SELECT id, password_hash, status = 'active' AS \"active!\",
                totp_enabled_at IS NOT NULL AS \"totp!\",
                (SELECT m.status = 'disabled' FROM merchants m WHERE m.id = users.merchant_id)
                    AS merchant_disabled
           FROM users WHERE username = $1",
        attempt.username
    )
    .fetch_optional(pool)
    .await?;
    let user_id = account.as_ref().map(|a| a.id);
    if locked {
        log_alone(pool, &attempt, user_id, "locked").await?;
        return Ok(Outcome::Locked);
    }
    // Unknown users are verified against a dummy hash: same time, same answer.
    let hash = account
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |a| a.password_hash.clone());
    let password = attempt.password.clone();
    let verified = verify_pooled(password, hash).await;
    let Some(user_id) = user_id.filter(|_| verified && account.as_ref().is_some_and(|a| a.active))
    else {
        let mut tx = pool.begin().await?;
        record_failure(&mut tx, policy, &attempt.username, now).await?;
        log(&mut tx, &attempt, account.map(|a| a.id), "bad_credentials").await?;
        tx.commit().await?;
        return Ok(Outcome::BadCredentials);
    };
    if account.as_ref().and_then(|a| a.merchant_disabled) == Some(true) {
        log_alone(pool, &attempt, Some(user_id), "merchant_disabled").await?;
        return Ok(Outcome::MerchantDisabled);
    }

    let mut tx = pool.begin().await?;
    let last_login = sqlx::query!(
        "SELECT at, ip, success FROM login_log WHERE user_id = $1 AND reason IN ('ok', 'bad_credentials')
          ORDER BY at DESC, id DESC LIMIT 1",
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let failures_since = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM login_log
            WHERE user_id = $1 AND reason = 'bad_credentials'
              AND at > coalesce((SELECT max(at) FROM login_log WHERE user_id = $1 AND success), '-infinity')"#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM login_locks WHERE username = $1",
        attempt.username
    )
    .execute(&mut *tx)
    .await?;
    // A password past its life must be changed before anything else.
    sqlx::query!(
        "UPDATE users SET must_change_password = true
          WHERE id = $1 AND kind = 'staff' AND password_changed_at < $2",
        user_id,
        now - chrono(policy.password_max_age)
    )
    .execute(&mut *tx)
    .await?;
    log(&mut tx, &attempt, Some(user_id), "ok").await?;
    let token = SessionToken::generate();
    let second_factor_pending = account.as_ref().is_some_and(|a| a.totp);
    session::open(&mut tx, policy, &token, user_id, second_factor_pending, now).await?;
    tx.commit().await?;
    Ok(Outcome::SignedIn {
        user_id,
        token,
        second_factor_pending,
        last_login: last_login.map(|r| LastLogin {
            at: r.at,
            ip: r.ip,
            success: r.success,
            failures_since,
        }),
    })
}

/// One more consecutive failure for `username`; the one that reaches the limit locks it.
pub(super) async fn record_failure(
    conn: &mut PgConnection,
    policy: &SecurityPolicy,
    username: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO login_locks (username, consecutive_failures) VALUES ($1, 1)
         ON CONFLICT (username) DO UPDATE
            SET consecutive_failures = login_locks.consecutive_failures + 1",
        username
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE login_locks SET locked_until = $3, consecutive_failures = 0
          WHERE username = $1 AND consecutive_failures >= $2",
        username,
        policy.max_failures,
        now + chrono(policy.lock_duration)
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes the attempt to the login log and the audit log, in the caller's transaction.
async fn log(
    conn: &mut PgConnection,
    attempt: &Attempt,
    user_id: Option<Uuid>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO login_log (at, username, user_id, ip, success, reason) VALUES ($1, $2, $3, $4, $5, $6)",
        attempt.now,
        attempt.username,
        user_id,
        attempt.ip,
        reason == "ok",
        reason
    )
    .execute(&mut *conn)
    .await?;
    let entry = Entry {
        user_id,
        username: Some(attempt.username.clone()),
        ip: Some(attempt.ip.clone()),
        action: "auth.session.login",
        target: Some(attempt.username.clone()),
        refused: reason != "ok",
        after: (reason != "ok").then(|| serde_json::json!({ "reason": reason })),
        ..Entry::default()
    };
    audit::append(conn, attempt.now, entry).await
}

/// [`log`] for a refusal that changes nothing else.
async fn log_alone(
    pool: &PgPool,
    attempt: &Attempt,
    user_id: Option<Uuid>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    log(&mut tx, attempt, user_id, reason).await?;
    tx.commit().await
}

/// Admin unlock: clears the lock and the failure count of `username`, audited with what it was.
#[tracing::instrument(skip(pool, by))]
pub async fn unlock(
    pool: &PgPool,
    username: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let cleared = sqlx::query!(
        "DELETE FROM login_locks WHERE username = $1 RETURNING consecutive_failures, locked_until",
        username
    )
    .fetch_optional(&mut *tx)
    .await?;
    let entry = Entry {
        action: "system.user.unlock",
        target: Some(username.to_owned()),
        before: cleared.as_ref().map(|c| {
            serde_json::json!({ "consecutive_failures": c.consecutive_failures, "locked_until": c.locked_until })
        }),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(cleared.is_some())
}

/// What a re-authentication attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reauth {
    Verified,
    WrongPassword,
    Locked,
}

/// Checks the password of a signed-in user who must prove themselves again; wrong answers count
/// toward the same lock as sign-in failures.
pub async fn reauthenticate(
    pool: &PgPool,
    policy: &SecurityPolicy,
    user_id: Uuid,
    password: String,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Reauth, sqlx::Error> {
    let user = sqlx::query!(
        "SELECT username, password_hash FROM users WHERE id = $1",
        user_id
    )
    .fetch_one(pool)
    .await?;
    let locked = sqlx::query_scalar!(
        "SELECT locked_until FROM login_locks WHERE username = $1",
        user.username
    )
    .fetch_optional(pool)
    .await?
    .flatten()
    .is_some_and(|until| until > now);
    let outcome = if locked {
        Reauth::Locked
    } else {
        let hash = user.password_hash;
        let verified = verify_pooled(password, hash).await;
        if verified {
            Reauth::Verified
        } else {
            Reauth::WrongPassword
        }
    };
    let mut tx = pool.begin().await?;
    match outcome {
        Reauth::Verified => {
            sqlx::query!("DELETE FROM login_locks WHERE username = $1", user.username)
                .execute(&mut *tx)
                .await?;
        }
        Reauth::WrongPassword => record_failure(&mut tx, policy, &user.username, now).await?,
        Reauth::Locked => {}
    }
    let entry = Entry {
        action: "auth.session.reauth",
        refused: outcome != Reauth::Verified,
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(outcome)
}
