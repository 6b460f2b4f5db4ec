//! Server-side sessions: the browser holds an unguessable token, PostgreSQL its SHA-256. A session
//! needs the password again after an idle spell, ends at its absolute limit, ends when the same
//! user signs in elsewhere, and gets a new token at every (re-)authentication.

use super::{SecurityPolicy, chrono};
use crate::audit::{self, Entry};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A session token as the browser holds it; only its hash reaches the database. Never log it.
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn from_cookie(value: &str) -> Self {
        Self(value.to_owned())
    }

    /// The value to put in the cookie.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

/// What a presented token is worth now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Active {
        user_id: Uuid,
        /// The password was right but the second factor is still owed.
        second_factor_pending: bool,
    },
    /// Idle too long: only re-authentication is accepted.
    NeedsReauth { user_id: Uuid },
    /// Past its absolute limit.
    Expired,
    /// The same user signed in elsewhere.
    Replaced,
    /// Unknown, signed out, or superseded by a rotation.
    None,
}

/// Opens a session, ending the user's other sessions (one user, one session).
#[tracing::instrument(skip(conn, token, policy))]
pub async fn open(
    conn: &mut PgConnection,
    policy: &SecurityPolicy,
    token: &SessionToken,
    user_id: Uuid,
    second_factor_pending: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    // the user's other session ends as this one opens, in one statement
    sqlx::query!(
        "WITH replaced AS (
           UPDATE sessions SET ended_at = $3, ended_reason = 'replaced'
            WHERE user_id = $2 AND ended_at IS NULL)
         INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, authenticated_at,
                               expires_at, second_factor_pending)
         VALUES ($1, $2, $3, $3, $3, $4, $5)",
        token.hash(),
        user_id,
        now,
        now + chrono(policy.session_lifetime),
        second_factor_pending
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The state of the session behind `token`; an active one is touched (its idle time restarts).
#[tracing::instrument(skip(pool, token, policy))]
pub async fn check(
    pool: &PgPool,
    policy: &SecurityPolicy,
    token: &SessionToken,
    now: DateTime<Utc>,
) -> Result<SessionState, sqlx::Error> {
    let Some(row) = sqlx::query!(
        "SELECT user_id, last_seen_at, expires_at, ended_reason, second_factor_pending
           FROM sessions WHERE token_hash = $1",
        token.hash()
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(SessionState::None);
    };
    let state = match row.ended_reason.as_deref() {
        Some("replaced") => SessionState::Replaced,
        Some(_) => SessionState::None,
        None if now >= row.expires_at => SessionState::Expired,
        None if now >= row.last_seen_at + chrono(policy.session_idle) => {
            SessionState::NeedsReauth {
                user_id: row.user_id,
            }
        }
        None => SessionState::Active {
            user_id: row.user_id,
            second_factor_pending: row.second_factor_pending,
        },
    };
    if let SessionState::Active { .. } = state {
        sqlx::query!(
            "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1",
            token.hash(),
            now
        )
        .execute(pool)
        .await?;
    }
    Ok(state)
}

/// How a rotation treats an owed second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Password (re-authentication, password change): an owed second factor stays owed.
    Password,
    /// The second factor itself: nothing is owed any more.
    SecondFactor,
}

/// Replaces the session behind `old` with a new token after the user proved who they are again;
/// the absolute limit still counts from the original sign-in.
#[tracing::instrument(skip(pool, old))]
pub async fn rotate(
    pool: &PgPool,
    old: &SessionToken,
    proof: Proof,
    now: DateTime<Utc>,
) -> Result<Option<SessionToken>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(row) = sqlx::query!(
        "UPDATE sessions SET ended_at = $2, ended_reason = 'rotated'
          WHERE token_hash = $1 AND ended_at IS NULL AND expires_at > $2
      RETURNING user_id, created_at, expires_at, second_factor_pending",
        old.hash(),
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let new = SessionToken::generate();
    sqlx::query!(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, authenticated_at,
                               expires_at, second_factor_pending)
         VALUES ($1, $2, $3, $4, $4, $5, $6)",
        new.hash(),
        row.user_id,
        row.created_at,
        now,
        row.expires_at,
        row.second_factor_pending && proof == Proof::Password
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(new))
}

/// Signs out: ends the session behind `token`, audited as its user's action.
#[tracing::instrument(skip(pool, token, by))]
pub async fn end(
    pool: &PgPool,
    token: &SessionToken,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let ended = sqlx::query!(
        "UPDATE sessions s SET ended_at = $2, ended_reason = 'logout'
           FROM users u
          WHERE s.token_hash = $1 AND s.ended_at IS NULL AND u.id = s.user_id
      RETURNING u.id, u.username, u.org_id",
        token.hash(),
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(user) = ended {
        let entry = Entry {
            user_id: Some(user.id),
            username: Some(user.username.clone()),
            org_id: Some(user.org_id),
            action: "auth.session.logout",
            target: Some(user.username),
            ..by
        };
        audit::append(&mut tx, now, entry).await?;
    }
    tx.commit().await
}

/// Whether the session's user proved who they are (sign-in or re-authentication) within
/// `window` — the step-up check before a critical operation.
#[tracing::instrument(skip(pool, token))]
pub async fn authenticated_within(
    pool: &PgPool,
    token: &SessionToken,
    now: DateTime<Utc>,
    window: std::time::Duration,
) -> Result<bool, sqlx::Error> {
    let at = sqlx::query_scalar!(
        "SELECT authenticated_at FROM sessions WHERE token_hash = $1 AND ended_at IS NULL",
        token.hash()
    )
    .fetch_optional(pool)
    .await?;
    Ok(at.is_some_and(|at| now < at + chrono(window)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_are_unique_and_hash_to_32_bytes() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.hash().len(), 32);
        assert_eq!(a.hash(), SessionToken::from_cookie(a.expose()).hash());
    }
}
