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

/// The account a sign-in names, as the checks before the password read it.
struct Account {
    id: Uuid,
    password_hash: String,
    active: bool,
    totp: bool,
    /// The user is a merchant's, and the merchant is disabled (停用).
    merchant_disabled: bool,
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
    // One round trip for every check before the password: the address's recent failures, the
    // captcha (spent here whatever follows, even for a throttled address), the name's lock and
    // the account.
    let gate = sqlx::query!(
        r#"WITH spent AS (DELETE FROM captchas WHERE id = $3 RETURNING answer, expires_at)
           SELECT (SELECT count(*) FROM login_log WHERE ip = $1 AND NOT success AND at > $2)
                    AS "recent_failures!",
                  (SELECT answer FROM spent) AS "captcha_answer?",
                  (SELECT expires_at FROM spent) AS "captcha_expires_at?",
                  (SELECT locked_until FROM login_locks WHERE username = $4) AS "locked_until?",
                  u.id AS "id?", u.password_hash AS "password_hash?",
                  u.status = 'active' AS "active?", u.totp_enabled_at IS NOT NULL AS "totp?",
                  (SELECT m.status = 'disabled' FROM merchants m WHERE m.id = u.merchant_id)
                    AS "merchant_disabled?"
             FROM (VALUES (1)) AS one LEFT JOIN users u ON u.username = $4"#,
        attempt.ip,
        now - chrono(policy.ip_window),
        attempt.captcha_id,
        attempt.username
    )
    .fetch_one(pool)
    .await?;
    if gate.recent_failures >= policy.ip_max_failures {
        log_alone(pool, &attempt, None, "throttled").await?;
        return Ok(Outcome::Throttled);
    }
    let spent = gate.captcha_answer.zip(gate.captcha_expires_at);
    if !captcha::answered(spent, &attempt.captcha_answer, now) {
        log_alone(pool, &attempt, None, "captcha").await?;
        return Ok(Outcome::BadCaptcha);
    }
    let locked = gate.locked_until.is_some_and(|until| until > now);
    let account = gate.id.map(|id| Account {
        id,
        password_hash: gate.password_hash.unwrap_or_default(),
        active: gate.active == Some(true),
        totp: gate.totp == Some(true),
        merchant_disabled: gate.merchant_disabled == Some(true),
    });
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
    if account.as_ref().is_some_and(|a| a.merchant_disabled) {
        log_alone(pool, &attempt, Some(user_id), "merchant_disabled").await?;
        return Ok(Outcome::MerchantDisabled);
    }

    let mut tx = pool.begin().await?;
    // In one statement: the previous sign-in and the failures since it (read before this one is
    // logged), the lock lifted, a password past its life marked to be changed before anything
    // else, and this sign-in in the login log.
    let last_login = sqlx::query!(
        r#"WITH unlocked AS (DELETE FROM login_locks WHERE username = $2),
                aged AS (UPDATE users SET must_change_password = true
                          WHERE id = $1 AND kind = 'staff' AND password_changed_at < $3),
                logged AS (INSERT INTO login_log (at, username, user_id, ip, success, reason)
                           VALUES ($4, $2, $1, $5, true, 'ok'))
           SELECT l.at AS "at?", l.ip AS "ip?", l.success AS "success?",
                  (SELECT count(*) FROM login_log
                    WHERE user_id = $1 AND reason = 'bad_credentials'
                      AND at > coalesce((SELECT max(at) FROM login_log
                                          WHERE user_id = $1 AND success), '-infinity'))
                    AS "failures_since!"
             FROM (VALUES (1)) AS one
             LEFT JOIN LATERAL (
               SELECT at, ip, success FROM login_log
                WHERE user_id = $1 AND reason IN ('ok', 'bad_credentials')
                ORDER BY at DESC, id DESC LIMIT 1) AS l ON true"#,
        user_id,
        attempt.username,
        now - chrono(policy.password_max_age),
        now,
        attempt.ip
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::append(&mut tx, now, entry(&attempt, Some(user_id), "ok")).await?;
    let token = SessionToken::generate();
    let second_factor_pending = account.as_ref().is_some_and(|a| a.totp);
    session::open(&mut tx, policy, &token, user_id, second_factor_pending, now).await?;
    tx.commit().await?;
    Ok(Outcome::SignedIn {
        user_id,
        token,
        second_factor_pending,
        last_login: match (last_login.at, last_login.ip, last_login.success) {
            (Some(at), Some(ip), Some(success)) => Some(LastLogin {
                at,
                ip,
                success,
                failures_since: last_login.failures_since,
            }),
            _ => None,
        },
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
    audit::append(conn, attempt.now, entry(attempt, user_id, reason)).await
}

/// The audit row of a sign-in attempt.
fn entry(attempt: &Attempt, user_id: Option<Uuid>, reason: &str) -> Entry {
    Entry {
        user_id,
        username: Some(attempt.username.clone()),
        ip: Some(attempt.ip.clone()),
        action: "auth.session.login",
        target: Some(attempt.username.clone()),
        refused: reason != "ok",
        after: (reason != "ok").then(|| serde_json::json!({ "reason": reason })),
        ..Entry::default()
    }
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
