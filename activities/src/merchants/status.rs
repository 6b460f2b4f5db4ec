//! 商户停用/启用 in the store: a request (`TY…`, one pending per merchant) and its settlement once
//! its process ends — applied, the merchant's status changes in the same transaction as its audit
//! row (before and after) and the announcement that drops the API replicas' copies of its
//! signed-API clients.

use crate::audit::{self, Entry};
use crate::identity::scope::{self, DataScope};
use crate::numbers::{self, Series};
use crate::store::{self, Cached};
use chrono::{DateTime, Utc};
use quanyi_workflows::merchant_status::{StatusAction, StatusRequestOutcome};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No merchant of that code within the caller's data scope.
    UnknownMerchant,
    /// The merchant is already disabled (or active).
    Unchanged,
    /// Another status request of the merchant waits for its approval.
    Pending,
}

/// A request as recorded, with what its process needs.
#[derive(Debug, Clone)]
pub struct StatusRequest {
    pub id: Uuid,
    pub code: String,
    pub merchant_name: String,
    pub org_id: Uuid,
}

/// Records a request to disable or enable the merchant `merchant_code`, audited; the caller then
/// starts its process.
pub async fn request(
    pool: &PgPool,
    merchant_code: &str,
    action: StatusAction,
    reason: Option<&str>,
    scope: &DataScope,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<StatusRequest, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(merchant) = sqlx::query!(
        "SELECT id, name, org_id, status FROM merchants WHERE code = $1 FOR UPDATE",
        merchant_code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownMerchant));
    };
    if !scope::in_scope_org(pool, scope, merchant.org_id).await? {
        return Ok(Err(Refusal::UnknownMerchant));
    }
    if merchant.status == action.target_status() {
        return Ok(Err(Refusal::Unchanged));
    }
    let requested_by = by.username.clone().unwrap_or_default();
    let Some(inserted) = sqlx::query!(
        "INSERT INTO merchant_status_requests
             (code, merchant_id, action, reason, requested_by, created_at)
         VALUES (issue_business_no('TY', $5), $1, $2, $3, $4, $5)
         ON CONFLICT (merchant_id) WHERE status = 'pending' DO NOTHING
         RETURNING id, code",
        merchant.id,
        action.as_str(),
        reason,
        requested_by,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::Pending));
    };
    let (id, code) = (inserted.id, inserted.code);
    numbers::register(&mut tx, Series::MerchantStatus, &id.to_string(), &code, now).await?;
    let entry = Entry {
        action: "benefit.merchant.status_request",
        target: Some(merchant_code.to_owned()),
        after: Some(json!({
            "code": code, "action": action.as_str(), "reason": reason,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(StatusRequest {
        id,
        code,
        merchant_name: merchant.name,
        org_id: merchant.org_id,
    }))
}

/// Settles a request once: `applied` changes the merchant's status (audited with before and
/// after, by the approver, and announced to the API replicas' caches), any other status just
/// records the end. A second call finds it settled and does nothing.
pub async fn settle(pool: &PgPool, outcome: &StatusRequestOutcome) -> Result<(), sqlx::Error> {
    let id = Uuid::parse_str(&outcome.request_id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut tx = pool.begin().await?;
    let Some(request) = sqlx::query!(
        "UPDATE merchant_status_requests SET status = $2, decided_by = $3, decided_at = $4
          WHERE id = $1 AND status = 'pending'
      RETURNING merchant_id, action, reason, code",
        id,
        outcome.status,
        outcome.decided_by,
        outcome.at
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(());
    };
    if outcome.status != "applied" {
        return tx.commit().await;
    }
    let target = if request.action == "disable" {
        "disabled"
    } else {
        "active"
    };
    // the redemptions that read the merchant active commit first; those after this read the new status
    super::lock_status(&mut tx, request.merchant_id).await?;
    let before = sqlx::query!(
        "SELECT code, status FROM merchants WHERE id = $1 FOR UPDATE",
        request.merchant_id
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE merchants SET status = $2 WHERE id = $1",
        request.merchant_id,
        target
    )
    .execute(&mut *tx)
    .await?;
    // the replicas' copies of the merchant's signed-API clients go at this commit
    store::announce_change(&mut tx, Cached::ApiClients).await?;
    let approver = sqlx::query!(
        "SELECT id, org_id FROM users WHERE username = $1",
        outcome.decided_by
    )
    .fetch_optional(&mut *tx)
    .await?;
    let entry = Entry {
        user_id: approver.as_ref().map(|a| a.id),
        org_id: approver.as_ref().map(|a| a.org_id),
        username: outcome.decided_by.clone(),
        action: if target == "disabled" {
            "benefit.merchant.disable"
        } else {
            "benefit.merchant.enable"
        },
        target: Some(before.code),
        before: Some(json!({ "status": before.status })),
        after: Some(json!({
            "status": target, "request": request.code, "reason": request.reason,
        })),
        ..Entry::default()
    };
    audit::append(&mut tx, outcome.at, entry).await?;
    tx.commit().await
}

/// The merchant activities the merchant-status process calls.
pub struct MerchantStatusActivities {
    pool: PgPool,
}

impl MerchantStatusActivities {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[temporalio_macros::activities]
impl MerchantStatusActivities {
    #[activity(definition = quanyi_workflows::merchant_status::SettleStatusRequest)]
    pub async fn settle(
        self: std::sync::Arc<Self>,
        _ctx: temporalio_sdk::activities::ActivityContext,
        outcome: StatusRequestOutcome,
    ) -> Result<(), temporalio_sdk::activities::ActivityError> {
        settle(&self.pool, &outcome).await.map_err(Into::into)
    }
}
