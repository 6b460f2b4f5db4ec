//! Staff identity: password hashes (argon2id), users with their org and permissions, and
//! server-side sessions keyed by the SHA-256 of an unguessable token.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt length");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail on a valid salt")
        .to_string()
}

/// Checks a password against a PHC hash; a malformed hash never verifies.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that an unknown username costs the
/// same time as a wrong password and the two cannot be told apart.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("quanyi-dummy-password"))
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub org_id: Uuid,
    pub org_name: String,
    pub kind: String,
    pub permissions: Vec<String>,
}

#[derive(Debug)]
pub struct Credentials {
    pub user_id: Uuid,
    pub password_hash: String,
    pub active: bool,
}

#[tracing::instrument(skip(pool))]
pub async fn credentials(
    pool: &PgPool,
    username: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, password_hash, status FROM users WHERE username = $1",
        username
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Credentials {
        user_id: r.id,
        password_hash: r.password_hash,
        active: r.status == "active",
    }))
}

#[tracing::instrument(skip(pool))]
pub async fn user(pool: &PgPool, user_id: Uuid) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT u.id, u.username, u.display_name, u.org_id, o.name AS org_name, u.kind,
                  ARRAY(SELECT DISTINCT rp.permission
                          FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id
                         WHERE ur.user_id = u.id ORDER BY rp.permission) AS "permissions!"
             FROM users u JOIN orgs o ON o.id = u.org_id
            WHERE u.id = $1 AND u.status = 'active'"#,
        user_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| User {
        id: r.id,
        username: r.username,
        display_name: r.display_name,
        org_id: r.org_id,
        org_name: r.org_name,
        kind: r.kind,
        permissions: r.permissions,
    }))
}

/// A session token as the browser holds it; only its hash reaches the database.
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

    /// The value to put in the cookie. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

#[tracing::instrument(skip(pool, token))]
pub async fn create_session(
    pool: &PgPool,
    token: &SessionToken,
    user_id: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        token.hash(),
        user_id,
        expires_at
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The user of a live session, touching its last-seen time; `None` for unknown sessions, expired
/// ones, and ones idle for longer than `idle`.
#[tracing::instrument(skip(pool, token))]
pub async fn session_user(
    pool: &PgPool,
    token: &SessionToken,
    idle: std::time::Duration,
) -> Result<Option<Uuid>, sqlx::Error> {
    let idle_seconds = idle.as_secs_f64();
    let row = sqlx::query_scalar!(
        "UPDATE sessions SET last_seen_at = now()
          WHERE token_hash = $1 AND expires_at > now()
            AND last_seen_at > now() - make_interval(secs => $2)
      RETURNING user_id",
        token.hash(),
        idle_seconds
    )
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

#[tracing::instrument(skip(pool, token))]
pub async fn end_session(pool: &PgPool, token: &SessionToken) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sessions WHERE token_hash = $1", token.hash())
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("Quanyi@2026");
        assert!(hash.starts_with("$argon2id$"), "argon2id, got {hash}");
        assert!(verify_password("Quanyi@2026", &hash));
        assert!(!verify_password("Quanyi@2027", &hash));
        assert!(!verify_password("Quanyi@2026", "not a hash"));
        assert_ne!(
            hash,
            hash_password("Quanyi@2026"),
            "every hash has its own salt"
        );
    }

    #[test]
    fn session_tokens_are_unique_and_hash_to_32_bytes() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.hash().len(), 32);
        assert_eq!(a.hash(), SessionToken::from_cookie(a.expose()).hash());
    }
}
