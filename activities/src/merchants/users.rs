//! 商户用户 (issue 16): a merchant's administrator (`merchant_admin`) manages the cashiers
//! (`merchant_clerk`) of their own merchant — lists them, adds one, disables or enables one,
//! resets a password. Every function takes the administrator's merchant: a user of another
//! merchant, an administrator, or the caller's own account is no such user. A new or reset
//! password goes to the cashier by SMS through the outbox, sealed in its row under the data key
//! (never in clear in any row), and must be changed at the next sign-in. Every change is audited.

use crate::audit::{self, Entry};
use crate::crypto::DataKey;
use crate::identity::users::new_temporary_password;
use crate::notify::{self, Channel, Outgoing};
use crate::pii::{self, Kind};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The role a merchant's administrator holds: manages the merchant's cashiers.
pub const ADMIN_ROLE: &str = "merchant_admin";
/// The role of a cashier (收银员), the one role an administrator gives.
pub const CLERK_ROLE: &str = "merchant_clerk";

/// Why a change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No cashier of the caller's merchant with that id (another merchant's user, an
    /// administrator, a staff member, the caller: all the same).
    UnknownUser,
    UsernameTaken,
    /// The cashier has no phone to send a one-time password to.
    NoPhone,
}

/// A user of the merchant as its administrator sees them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MerchantUserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    /// Masked (`138****2222`).
    pub phone: Option<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// `merchant_admin` or `merchant_clerk`.
    pub role: String,
    /// The one-time password is still to be changed.
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

/// The users of `merchant_id`: its administrators first, then its cashiers, by username.
pub async fn list(pool: &PgPool, merchant_id: Uuid) -> Result<Vec<MerchantUserRow>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT u.id, u.username, u.display_name, u.phone, u.status, u.must_change_password,
                  u.created_at,
                  EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                           WHERE ur.user_id = u.id AND r.code = $2) AS "admin!"
             FROM users u
            WHERE u.merchant_id = $1 AND u.kind = 'merchant'
            ORDER BY 8 DESC, u.username"#,
        merchant_id,
        ADMIN_ROLE
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MerchantUserRow {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            phone: r.phone.as_deref().map(|p| pii::mask(Kind::Phone, p)),
            status: r.status,
            role: if r.admin { ADMIN_ROLE } else { CLERK_ROLE }.to_owned(),
            must_change_password: r.must_change_password,
            created_at: r.created_at,
        })
        .collect())
}

/// A cashier to add.
#[derive(Debug, Clone)]
pub struct NewClerk {
    pub username: String,
    pub display_name: String,
    pub phone: String,
}

/// Queues the SMS carrying a one-time password: the password sealed in the row for its key (the
/// sender opens it), `******` in the row's body.
#[allow(clippy::too_many_arguments)]
async fn queue_password_sms(
    conn: &mut PgConnection,
    data_key: &DataKey,
    key: &str,
    template: &str,
    params: BTreeMap<String, String>,
    password: String,
    phone: &str,
    user_id: Uuid,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut shown = params.clone();
    shown.insert("password".into(), "******".into());
    let body = match notify::sms_template(&mut *conn, template).await? {
        Ok(t) => t.render(&shown).unwrap_or_else(|_| subject.to_owned()),
        Err(_) => subject.to_owned(),
    };
    let secret: BTreeMap<String, String> = [("password".to_owned(), password)].into();
    let outgoing = Outgoing {
        key: key.to_owned(),
        kind: "merchant_user".to_owned(),
        workflow_id: None,
        user_id: Some(user_id),
        channel: Channel::Sms,
        recipient: phone.to_owned(),
        subject: subject.to_owned(),
        body,
        template_code: Some(template.to_owned()),
        params: Some(serde_json::to_value(&params).expect("strings serialize")),
        sealed_params: Some(notify::seal_params(data_key, key, &secret)),
    };
    notify::queue(conn, &outgoing, now).await?;
    Ok(())
}

/// Adds a cashier to `merchant_id` (the merchant's org, role `merchant_clerk`) with a one-time
/// password sent by SMS, which must be changed at the first sign-in; audited.
pub async fn create_clerk(
    pool: &PgPool,
    data_key: &DataKey,
    merchant_id: Uuid,
    new: &NewClerk,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    let (password, hash) = new_temporary_password().await?;
    let mut tx = pool.begin().await?;
    let merchant = sqlx::query!(
        "SELECT code, org_id FROM merchants WHERE id = $1",
        merchant_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let Some(user_id) = sqlx::query_scalar!(
        "INSERT INTO users (username, display_name, org_id, kind, merchant_id, password_hash,
                            must_change_password, password_changed_at, created_by, phone)
         VALUES ($1, $2, $3, 'merchant', $4, $5, true, $6, $7, $8)
         ON CONFLICT (username) DO NOTHING RETURNING id",
        new.username,
        new.display_name,
        merchant.org_id,
        merchant_id,
        hash,
        now,
        by.user_id,
        new.phone
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UsernameTaken));
    };
    sqlx::query!(
        "INSERT INTO user_roles (user_id, role_id, granted_by, granted_at)
         SELECT $1, id, $2, $3 FROM roles WHERE code = $4",
        user_id,
        by.user_id,
        now,
        CLERK_ROLE
    )
    .execute(&mut *tx)
    .await?;
    let params: BTreeMap<String, String> = [
        ("merchant".to_owned(), merchant.code.clone()),
        ("username".to_owned(), new.username.clone()),
    ]
    .into();
    queue_password_sms(
        &mut tx,
        data_key,
        &format!("merchant-user/{user_id}/created/sms"),
        "QY_MERCHANT_CLERK",
        params,
        password,
        &new.phone,
        user_id,
        "商户收银员开通",
        now,
    )
    .await?;
    let entry = Entry {
        action: "merchant.user.create",
        target: Some(new.username.clone()),
        after: Some(json!({
            "username": new.username, "display_name": new.display_name,
            "merchant": merchant.code, "roles": [CLERK_ROLE],
            "phone": pii::mask(Kind::Phone, &new.phone),
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(user_id))
}

/// The username, phone and status of the cashier `user_id` of `merchant_id`, locked; `None` for
/// anyone else (another merchant's user, an administrator, the caller).
async fn clerk_of(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    user_id: Uuid,
    by: &Entry,
) -> Result<Option<(String, Option<String>, String)>, sqlx::Error> {
    if by.user_id == Some(user_id) {
        return Ok(None);
    }
    let row = sqlx::query!(
        "SELECT u.username, u.phone, u.status FROM users u
          WHERE u.id = $1 AND u.merchant_id = $2 AND u.kind = 'merchant'
            AND NOT EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                             WHERE ur.user_id = u.id AND r.code = $3)
            FOR UPDATE OF u",
        user_id,
        merchant_id,
        ADMIN_ROLE
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.username, r.phone, r.status)))
}

/// Disables (its sessions ended) or enables the cashier `user_id` of `merchant_id`; audited with
/// before and after.
pub async fn set_status(
    pool: &PgPool,
    merchant_id: Uuid,
    user_id: Uuid,
    active: bool,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some((username, _, before)) = clerk_of(&mut tx, merchant_id, user_id, &by).await? else {
        return Ok(Err(Refusal::UnknownUser));
    };
    let status = if active { "active" } else { "disabled" };
    sqlx::query!(
        "UPDATE users SET status = $2 WHERE id = $1",
        user_id,
        status
    )
    .execute(&mut *tx)
    .await?;
    if !active {
        end_sessions(&mut tx, user_id, now).await?;
    }
    let entry = Entry {
        action: if active {
            "merchant.user.enable"
        } else {
            "merchant.user.disable"
        },
        target: Some(username),
        before: Some(json!({ "status": before })),
        after: Some(json!({ "status": status })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

async fn end_sessions(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET ended_at = $2, ended_reason = 'logout' WHERE user_id = $1 AND ended_at IS NULL",
        user_id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives the cashier `user_id` of `merchant_id` a new one-time password by SMS, to be changed at
/// the next sign-in, and ends their sessions; audited. A cashier without a phone cannot be told:
/// `NoPhone`.
pub async fn reset_password(
    pool: &PgPool,
    data_key: &DataKey,
    merchant_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let (password, hash) = new_temporary_password().await?;
    let mut tx = pool.begin().await?;
    let Some((username, phone, _)) = clerk_of(&mut tx, merchant_id, user_id, &by).await? else {
        return Ok(Err(Refusal::UnknownUser));
    };
    let Some(phone) = phone else {
        return Ok(Err(Refusal::NoPhone));
    };
    sqlx::query!(
        "UPDATE users SET password_hash = $2, must_change_password = true, password_changed_at = $3
          WHERE id = $1",
        user_id,
        hash,
        now
    )
    .execute(&mut *tx)
    .await?;
    end_sessions(&mut tx, user_id, now).await?;
    let params: BTreeMap<String, String> = [("username".to_owned(), username.clone())].into();
    queue_password_sms(
        &mut tx,
        data_key,
        &format!("merchant-user/{user_id}/reset/{}/sms", Uuid::new_v4()),
        "QY_MERCHANT_PASSWORD_RESET",
        params,
        password,
        &phone,
        user_id,
        "商户用户密码重置",
        now,
    )
    .await?;
    let entry = Entry {
        action: "merchant.user.reset_password",
        target: Some(username),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}
