//! 商户管理 beyond the merchant row (issue 16): the merchant's lifecycle as approval processes —
//! 停用/启用 ([`status`]) and 结算账户变更 ([`account`]) — what a disabled merchant is refused, and
//! 商户用户 ([`users`]).

pub mod account;
pub mod status;
pub mod users;

use sqlx::PgConnection;
use uuid::Uuid;

/// Whether the merchant `id` is active, read under a share lock in the caller's transaction: a
/// disabling waits for the transactions that read it active, and every one after it reads it
/// disabled — so nothing the merchant does commits once its disabling has.
pub async fn active_locked(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let status = sqlx::query_scalar!("SELECT status FROM merchants WHERE id = $1 FOR SHARE", id)
        .fetch_optional(conn)
        .await?;
    Ok(status.as_deref() == Some("active"))
}
