//! Staff identity: who a user is, how they prove it (passwords, captchas, lockout), and the
//! server-side sessions that carry it; the users and roles administered, and the data scope the
//! roles give. Every rule's numbers live in [`SecurityPolicy`].

pub mod captcha;
pub mod hashing;
pub mod login;
pub mod password;
pub mod roles;
pub mod scope;
pub mod session;
pub mod totp;
pub mod users;

use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// The bank's sign-in rules (RFP §3.5, SEC-1..3), every number configurable.
#[derive(Debug, Clone)]
pub struct SecurityPolicy {
    /// Consecutive failures that lock an account.
    pub max_failures: i32,
    pub lock_duration: Duration,
    /// Failed attempts from one address within `ip_window` before it is throttled.
    pub ip_max_failures: i64,
    pub ip_window: Duration,
    /// Unused this long, a session needs the password again.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, whatever the activity.
    pub session_lifetime: Duration,
    pub password_min_length: usize,
    /// How many earlier passwords (the current one included) cannot be chosen again.
    pub password_history: i64,
    pub password_min_age: Duration,
    /// Staff passwords expire after this long and must be changed at the next sign-in.
    pub password_max_age: Duration,
    pub captcha_lifetime: Duration,
    /// Critical operations (bulk export, role changes, …) need a sign-in or re-authentication
    /// this recent.
    pub step_up_window: Duration,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        const MINUTE: u64 = 60;
        const DAY: u64 = 24 * 60 * MINUTE;
        Self {
            max_failures: 5,
            lock_duration: Duration::from_secs(30 * MINUTE),
            ip_max_failures: 20,
            ip_window: Duration::from_secs(5 * MINUTE),
            session_idle: Duration::from_secs(20 * MINUTE),
            session_lifetime: Duration::from_secs(180 * MINUTE),
            password_min_length: 8,
            password_history: 5,
            password_min_age: Duration::from_secs(DAY),
            password_max_age: Duration::from_secs(90 * DAY),
            captcha_lifetime: Duration::from_secs(5 * MINUTE),
            step_up_window: Duration::from_secs(5 * MINUTE),
        }
    }
}

pub(crate) fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
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
    pub must_change_password: bool,
    /// The user has a confirmed TOTP second factor.
    pub totp_enabled: bool,
    /// One of the user's roles requires the second factor.
    pub totp_required: bool,
    /// A merchant user's merchant (`kind` = `merchant`).
    pub merchant_id: Option<Uuid>,
    /// A merchant user whose merchant is disabled (停用): their session is refused until it is
    /// enabled again.
    pub merchant_disabled: bool,
}

#[tracing::instrument(skip(pool))]
pub async fn user(pool: &PgPool, user_id: Uuid) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT u.id, u.username, u.display_name, u.org_id, o.name AS org_name, u.kind,
                  u.must_change_password, u.totp_enabled_at IS NOT NULL AS "totp_enabled!",
                  EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                           WHERE ur.user_id = u.id AND r.require_totp) AS "totp_required!",
                  ARRAY(SELECT DISTINCT rp.permission
                          FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id
                         WHERE ur.user_id = u.id
                           -- a supplier's grant follows the merchant's supplier role
                           AND (rp.permission <> 'product:product:supply' OR coalesce(m.is_supplier, false))
                         ORDER BY rp.permission) AS "permissions!",
                  u.merchant_id, coalesce(m.status = 'disabled', false) AS "merchant_disabled!"
             FROM users u JOIN orgs o ON o.id = u.org_id
             LEFT JOIN merchants m ON m.id = u.merchant_id
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
        must_change_password: r.must_change_password,
        totp_enabled: r.totp_enabled,
        totp_required: r.totp_required,
        merchant_id: r.merchant_id,
        merchant_disabled: r.merchant_disabled,
    }))
}
