//! 用户管理 (SYS-1, SEC-4): staff users and the roles they hold, each list cut to the caller's data
//! scope ([`super::scope`]), and the separation-of-duties rules that no grant may break.

use crate::audit::{self, Entry};
use crate::identity::scope::{DataScope, in_scope_org, in_scope_user, scope_params};
use crate::identity::{password, totp};
use crate::notify;
use crate::pii;
use chrono::{DateTime, Utc};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub org_id: Uuid,
    pub org_name: String,
    pub kind: String,
    pub status: String,
    pub roles: Vec<String>,
    pub must_change_password: bool,
    pub locked: bool,
    /// Masked (138****5678); the full value through the audited personal-data call.
    pub phone: Option<String>,
    /// Masked (z***@bank.example).
    pub email: Option<String>,
    pub totp_enabled: bool,
}

pub struct UserFilter {
    pub org_id: Option<Uuid>,
    pub keyword: Option<String>,
    pub page: i64,
    pub page_size: i64,
}

/// One page of the users the scope reaches, with the total.
#[tracing::instrument(skip(pool, filter))]
pub async fn users(
    pool: &PgPool,
    scope: &DataScope,
    filter: &UserFilter,
    now: DateTime<Utc>,
) -> Result<(Vec<UserRow>, i64), sqlx::Error> {
    let (all, path, org, me) = scope_params(scope);
    let keyword = filter
        .keyword
        .as_ref()
        .map(|k| format!("%{}%", k.replace(['%', '_'], "")));
    let rows = sqlx::query!(
        r#"SELECT u.id, u.username, u.display_name, u.org_id, o.name AS org_name, u.kind, u.status,
                  u.must_change_password, u.phone, u.email,
                  u.totp_enabled_at IS NOT NULL AS "totp_enabled!",
                  ARRAY(SELECT r.code FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                         WHERE ur.user_id = u.id ORDER BY r.code) AS "roles!",
                  EXISTS (SELECT 1 FROM login_locks l WHERE l.username = u.username AND l.locked_until > $8) AS "locked!"
             FROM users u JOIN orgs o ON o.id = u.org_id
            WHERE ($1 OR o.path LIKE $2 || '%' OR u.org_id = $3 OR u.id = $4)
              AND ($5::uuid IS NULL OR o.path LIKE (SELECT path FROM orgs WHERE id = $5) || '%')
              AND ($6::text IS NULL OR u.username ILIKE $6 OR u.display_name ILIKE $6)
            ORDER BY o.path, u.username
            LIMIT $7 OFFSET $9"#,
        all,
        path,
        org,
        me,
        filter.org_id,
        keyword,
        filter.page_size,
        now,
        (filter.page - 1) * filter.page_size
    )
    .fetch_all(pool)
    .await?;
    // Counted apart, so a page past the end still knows the total.
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM users u JOIN orgs o ON o.id = u.org_id
            WHERE ($1 OR o.path LIKE $2 || '%' OR u.org_id = $3 OR u.id = $4)
              AND ($5::uuid IS NULL OR o.path LIKE (SELECT path FROM orgs WHERE id = $5) || '%')
              AND ($6::text IS NULL OR u.username ILIKE $6 OR u.display_name ILIKE $6)"#,
        all,
        path,
        org,
        me,
        filter.org_id,
        keyword
    )
    .fetch_one(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| UserRow {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            org_id: r.org_id,
            org_name: r.org_name,
            kind: r.kind,
            status: r.status,
            roles: r.roles,
            must_change_password: r.must_change_password,
            locked: r.locked,
            phone: r.phone.map(|p| pii::mask(pii::Kind::Phone, &p)),
            email: r.email.map(|e| pii::mask(pii::Kind::Email, &e)),
            totp_enabled: r.totp_enabled,
        })
        .collect();
    Ok((items, total))
}

/// Why a user administration request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The org or user is outside the caller's data scope (or does not exist).
    OutOfScope,
    UsernameTaken,
    UnknownRole,
    /// Nobody grants roles to themselves, or resets their own password here.
    OwnAccount,
    /// The grant would give one account both an administrator role and the auditor role.
    DutiesConflict,
}

/// A temporary password that satisfies the policy: 12 characters, all four classes.
pub fn temporary_password() -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"@#%&*+=?";
    let mut rng = rand::rng();
    let mut pick = |set: &[u8]| set[rng.random_range(0..set.len())] as char;
    let mut chars: Vec<char> = [UPPER, LOWER, DIGIT, SYMBOL]
        .iter()
        .map(|s| pick(s))
        .collect();
    let all: Vec<u8> = [UPPER, LOWER, DIGIT, SYMBOL].concat();
    chars.extend((0..8).map(|_| pick(&all)));
    chars.shuffle(&mut rand::rng());
    chars.into_iter().collect()
}

/// A temporary password and its hash (hashed off the async threads).
pub(crate) async fn new_temporary_password() -> Result<(String, String), sqlx::Error> {
    let temporary = temporary_password();
    let plain = temporary.clone();
    let hash = password::hash_pooled(plain).await;
    Ok((temporary, hash))
}

/// The username of `user_id` when the caller may administer it: someone else, within the scope.
async fn another_user_in_scope(
    pool: &PgPool,
    scope: &DataScope,
    by: &Entry,
    user_id: Uuid,
) -> Result<Result<String, Refusal>, sqlx::Error> {
    if by.user_id == Some(user_id) {
        return Ok(Err(Refusal::OwnAccount));
    }
    Ok(in_scope_user(pool, scope, user_id)
        .await?
        .ok_or(Refusal::OutOfScope))
}

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub org_id: Uuid,
    pub roles: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Creates a staff user with a temporary password they must change at first sign-in.
#[tracing::instrument(skip(pool, scope, new, by), fields(username = %new.username))]
pub async fn create_user(
    pool: &PgPool,
    scope: &DataScope,
    by: Entry,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<Result<(Uuid, String), Refusal>, sqlx::Error> {
    if !in_scope_org(pool, scope, new.org_id).await? {
        return Ok(Err(Refusal::OutOfScope));
    }
    let duties = sqlx::query!(
        r#"SELECT count(*) AS "found!", count(DISTINCT duty) AS "duties!" FROM roles WHERE code = ANY($1)"#,
        &new.roles
    )
    .fetch_one(pool)
    .await?;
    if duties.found != new.roles.len() as i64 {
        return Ok(Err(Refusal::UnknownRole));
    }
    if duties.duties > 1 {
        return Ok(Err(Refusal::DutiesConflict));
    }
    let (temporary, hash) = new_temporary_password().await?;
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query_scalar!(
        "INSERT INTO users (username, display_name, org_id, kind, password_hash, must_change_password,
                            password_changed_at, created_by, phone, email)
         VALUES ($1, $2, $3, 'staff', $4, true, $5, $6, $7, $8)
         ON CONFLICT (username) DO NOTHING RETURNING id",
        new.username,
        new.display_name,
        new.org_id,
        hash,
        now,
        by.user_id,
        new.phone,
        new.email
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user_id) = inserted else {
        return Ok(Err(Refusal::UsernameTaken));
    };
    sqlx::query!(
        "INSERT INTO user_roles (user_id, role_id, granted_by, granted_at)
         SELECT $1, id, $2, $3 FROM roles WHERE code = ANY($4)",
        user_id,
        by.user_id,
        now,
        &new.roles
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "system.user.create",
        target: Some(new.username.clone()),
        after: Some(serde_json::json!({
            "username": new.username, "display_name": new.display_name,
            "org_id": new.org_id, "roles": new.roles,
            // the audit log is read by auditors without `pii:unmask`
            "phone": new.phone.as_deref().map(|p| pii::mask(pii::Kind::Phone, p)),
            "email": new.email.as_deref().map(|e| pii::mask(pii::Kind::Email, e)),
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok((user_id, temporary)))
}

/// Gives `user_id` a new temporary password that must be changed at the next sign-in, and ends
/// their sessions.
#[tracing::instrument(skip(pool, scope, by))]
pub async fn reset_password(
    pool: &PgPool,
    scope: &DataScope,
    by: Entry,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<String, Refusal>, sqlx::Error> {
    let username = match another_user_in_scope(pool, scope, &by, user_id).await? {
        Ok(username) => username,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let (temporary, hash) = new_temporary_password().await?;
    let mut tx = pool.begin().await?;
    let user = sqlx::query!(
        "UPDATE users SET password_hash = $2, must_change_password = true, password_changed_at = $3
          WHERE id = $1 RETURNING display_name, email",
        user_id,
        hash,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    // The owner hears of it on a channel an impostor does not hold (SEC-3).
    if let Some(email) = &user.email {
        let email = notify::Email {
            key: format!("password-reset:{}:email", Uuid::new_v4()),
            kind: "password_reset",
            user_id: Some(user_id),
            to: email,
            subject: "【权益平台】您的登录密码已被管理员重置".into(),
            body: format!(
                "{name}，您好：\n\n您在权益平台的登录密码已于 {at}（北京时间）由管理员 {admin} 重置，\
                 您的所有会话已结束。请使用管理员告知的临时密码登录，并按提示设置新密码。\n\n\
                 如非您本人申请，请立即联系信息科技部。\n\n此邮件由系统自动发送，请勿回复。",
                name = user.display_name,
                at = now
                    .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                    .format("%Y-%m-%d %H:%M"),
                admin = by.username.as_deref().unwrap_or("-"),
            ),
        };
        notify::queue_email(&mut tx, email, now).await?;
    }
    sqlx::query!(
        "UPDATE sessions SET ended_at = $2, ended_reason = 'logout' WHERE user_id = $1 AND ended_at IS NULL",
        user_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "system.user.reset_password",
        target: Some(username),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(temporary))
}

/// Grants `role` to `user_id`, unless it is the caller's own account or would join an
/// administrator role and the auditor role on one account.
#[tracing::instrument(skip(pool, scope, by))]
pub async fn grant_role(
    pool: &PgPool,
    scope: &DataScope,
    by: Entry,
    user_id: Uuid,
    role: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let username = match another_user_in_scope(pool, scope, &by, user_id).await? {
        Ok(username) => username,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let mut tx = pool.begin().await?;
    // Lock the user's grants so two concurrent grants cannot each pass the duty check.
    let before: Vec<String> = sqlx::query_scalar!(
        r#"SELECT r.code AS "code?" FROM users u LEFT JOIN user_roles ur ON ur.user_id = u.id LEFT JOIN roles r ON r.id = ur.role_id
          WHERE u.id = $1 ORDER BY r.code FOR UPDATE OF u"#,
        user_id
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .flatten()
    .collect();
    let Some(granted) = sqlx::query!("SELECT id, duty FROM roles WHERE code = $1", role)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(Err(Refusal::UnknownRole));
    };
    let conflicting = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                           WHERE ur.user_id = $1 AND r.duty IS NOT NULL AND r.duty <> $2) AS "conflict!""#,
        user_id,
        granted.duty
    )
    .fetch_one(&mut *tx)
    .await?;
    if granted.duty.is_some() && conflicting {
        return Ok(Err(Refusal::DutiesConflict));
    }
    sqlx::query!(
        "INSERT INTO user_roles (user_id, role_id, granted_by, granted_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, role_id) DO NOTHING",
        user_id,
        granted.id,
        by.user_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    let mut after = before.clone();
    if !after.iter().any(|r| r == role) {
        after.push(role.to_owned());
        after.sort();
    }
    let entry = Entry {
        action: "system.user.grant_role",
        target: Some(username),
        before: Some(serde_json::json!({ "roles": before })),
        after: Some(serde_json::json!({ "roles": after })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Removes `role` from `user_id` (never from oneself), audited with the roles before and after.
#[tracing::instrument(skip(pool, scope, by))]
pub async fn revoke_role(
    pool: &PgPool,
    scope: &DataScope,
    by: Entry,
    user_id: Uuid,
    role: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let username = match another_user_in_scope(pool, scope, &by, user_id).await? {
        Ok(username) => username,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let mut tx = pool.begin().await?;
    let before: Vec<String> = sqlx::query_scalar!(
        "SELECT r.code FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1 ORDER BY r.code",
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    if !before.iter().any(|r| r == role) {
        return Ok(Err(Refusal::UnknownRole));
    }
    sqlx::query!(
        "DELETE FROM user_roles WHERE user_id = $1 AND role_id = (SELECT id FROM roles WHERE code = $2)",
        user_id,
        role
    )
    .execute(&mut *tx)
    .await?;
    let after: Vec<&String> = before.iter().filter(|r| *r != role).collect();
    let entry = Entry {
        action: "system.user.revoke_role",
        target: Some(username),
        before: Some(serde_json::json!({ "roles": before })),
        after: Some(serde_json::json!({ "roles": after })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Disables or re-enables an account (never one's own); disabling ends its sessions.
#[tracing::instrument(skip(pool, scope, by))]
pub async fn set_status(
    pool: &PgPool,
    scope: &DataScope,
    by: Entry,
    user_id: Uuid,
    active: bool,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let username = match another_user_in_scope(pool, scope, &by, user_id).await? {
        Ok(username) => username,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let status = if active { "active" } else { "disabled" };
    let mut tx = pool.begin().await?;
    let before = sqlx::query_scalar!("SELECT status FROM users WHERE id = $1 FOR UPDATE", user_id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query!(
        "UPDATE users SET status = $2 WHERE id = $1",
        user_id,
        status
    )
    .execute(&mut *tx)
    .await?;
    if !active {
        sqlx::query!(
            "UPDATE sessions SET ended_at = $2, ended_reason = 'logout' WHERE user_id = $1 AND ended_at IS NULL",
            user_id,
            now
        )
        .execute(&mut *tx)
        .await?;
    }
    let entry = Entry {
        action: if active {
            "system.user.enable"
        } else {
            "system.user.disable"
        },
        target: Some(username),
        before: Some(serde_json::json!({ "status": before })),
        after: Some(serde_json::json!({ "status": status })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// A user's contact details in full, for a holder of `pii:unmask`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonalData {
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Unmasks a user's personal data within the caller's scope; the audit row names who saw whose
/// data and which fields, never the values.
#[tracing::instrument(skip(pool, scope, by))]
pub async fn personal_data(
    pool: &PgPool,
    scope: &DataScope,
    by: Entry,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<PersonalData, Refusal>, sqlx::Error> {
    let Some(username) = in_scope_user(pool, scope, user_id).await? else {
        return Ok(Err(Refusal::OutOfScope));
    };
    let mut tx = pool.begin().await?;
    let row = sqlx::query!("SELECT phone, email FROM users WHERE id = $1", user_id)
        .fetch_one(&mut *tx)
        .await?;
    let fields: Vec<&str> = [
        ("phone", row.phone.is_some()),
        ("email", row.email.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect();
    let entry = Entry {
        action: "pii.unmask",
        target: Some(username),
        after: Some(serde_json::json!({ "fields": fields })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(PersonalData {
        phone: row.phone,
        email: row.email,
    }))
}

/// Turns off another user's second factor (a lost device), within the caller's scope; a role that
/// requires it makes them enrol again at their next sign-in. Their sessions end.
#[tracing::instrument(skip(pool, scope, by))]
pub async fn reset_totp(
    pool: &PgPool,
    scope: &DataScope,
    by: Entry,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    if let Err(refusal) = another_user_in_scope(pool, scope, &by, user_id).await? {
        return Ok(Err(refusal));
    }
    let mut tx = pool.begin().await?;
    totp::disable(&mut tx, user_id, "system.user.reset_totp", now, by).await?;
    sqlx::query!(
        "UPDATE sessions SET ended_at = $2, ended_reason = 'logout'
          WHERE user_id = $1 AND ended_at IS NULL",
        user_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::SecurityPolicy;
    use crate::identity::password::check_composition;

    #[test]
    fn temporary_passwords_meet_the_policy_and_differ() {
        let policy = SecurityPolicy::default();
        let passwords: Vec<String> = (0..200).map(|_| temporary_password()).collect();
        for p in &passwords {
            assert_eq!(p.chars().count(), 12);
            assert_eq!(check_composition(&policy, "someone", p), Ok(()), "{p}");
        }
        let distinct: std::collections::HashSet<_> = passwords.iter().collect();
        assert_eq!(distinct.len(), passwords.len());
    }
}
