//! 商户管理 beyond the merchant row (issue 16): the merchant's lifecycle as approval processes —
//! 停用/启用 ([`status`]) and 结算账户变更 ([`account`]) — what a disabled merchant is refused, and
//! 商户用户 ([`users`]).

pub mod account;
pub mod portal;
pub mod requests;
pub mod status;
pub mod users;

use sqlx::PgConnection;
use uuid::Uuid;

/// Whether the merchant `id` is active, read under a shared transaction-level advisory lock on
/// the merchant ([`lock_status`] takes it exclusively to change the status): a disabling waits
/// for the transactions that read it active, and every one after it reads it disabled — so
/// nothing the merchant does commits once its disabling has. The lock lives in the lock manager's
/// memory: unlike `FOR SHARE` it writes nothing to the merchant's row (no multixact per
/// redemption).
pub async fn active_locked(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock_shared(hashtext('merchant-status'), hashtext($1::uuid::text))",
        id
    )
    .execute(&mut *conn)
    .await?;
    // read after the lock is granted (READ COMMITTED: this statement's snapshot is newer)
    let status = sqlx::query_scalar!("SELECT status FROM merchants WHERE id = $1", id)
        .fetch_optional(conn)
        .await?;
    Ok(status.as_deref() == Some("active"))
}

/// Takes the merchant's status lock exclusively in the caller's transaction, to be held until it
/// commits the merchant's new status: it waits for every transaction that read the merchant
/// active ([`active_locked`]) to end.
pub async fn lock_status(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtext('merchant-status'), hashtext($1::uuid::text))",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}
