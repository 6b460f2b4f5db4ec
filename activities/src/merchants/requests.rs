//! A merchant request as its approver sees it: a 停用/启用 request (`TY…`) or a 结算账户变更
//! (`ZH…`), found by its id — the business key its task in the inbox carries — with the
//! merchant, what is asked, where it stands and the process's history. Account numbers masked.

use crate::identity::scope::{self, DataScope};
use crate::pii::{self, Kind};
use crate::process::inbox::{self, TimelineEntry};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// A settlement account, its number masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaskedAccount {
    pub bank_name: String,
    pub account_name: String,
    /// Masked: `6222***********3445`.
    pub account_no: String,
}

/// One merchant request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MerchantRequestView {
    pub id: Uuid,
    /// `merchant-status` or `settlement-account-change` (the process kind).
    pub kind: String,
    /// The business number: `TY…` or `ZH…`.
    pub code: String,
    pub workflow_id: String,
    pub merchant_code: String,
    pub merchant_name: String,
    /// The merchant's status now: `active` or `disabled`.
    pub merchant_status: String,
    pub org_name: String,
    /// 停用/启用: `disable` or `enable`; absent for an account change.
    pub action: Option<String>,
    pub reason: Option<String>,
    /// An account change: the account in place now (absent when the merchant has none).
    pub account_before: Option<MaskedAccount>,
    /// An account change: the account asked for.
    pub account_after: Option<MaskedAccount>,
    pub requested_by: String,
    /// `pending`, `applied`, `rejected` or `withdrawn`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub timeline: Vec<TimelineEntry>,
}

fn masked(bank_name: String, account_name: String, account_no: &str) -> MaskedAccount {
    MaskedAccount {
        bank_name,
        account_name,
        account_no: pii::mask(Kind::BankCard, account_no),
    }
}

/// The request `id` as a viewer sees it: a merchant's user their own merchant's only, staff those
/// of merchants within their data scope; `None` otherwise, or when there is no such request.
pub async fn view(
    pool: &PgPool,
    id: Uuid,
    viewer_merchant: Option<Uuid>,
    scope: &DataScope,
) -> Result<Option<MerchantRequestView>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        r#"SELECT r.kind AS "kind!", r.code AS "code!", r.merchant_id AS "merchant_id!",
                  r.action AS "action?", r.reason AS "reason?", r.bank_name AS "bank_name?",
                  r.account_name AS "account_name?", r.account_no AS "account_no?",
                  r.requested_by AS "requested_by!", r.status AS "status!",
                  r.created_at AS "created_at!", r.decided_by AS "decided_by?",
                  r.decided_at AS "decided_at?",
                  m.code AS "merchant_code!", m.name AS "merchant_name!",
                  m.status AS "merchant_status!", m.org_id AS "org_id!", o.name AS "org_name!"
             FROM (SELECT 'merchant-status' AS kind, code, merchant_id, action, reason,
                          NULL::text AS bank_name, NULL::text AS account_name, NULL::text AS account_no,
                          requested_by, status, created_at, decided_by, decided_at
                     FROM merchant_status_requests WHERE id = $1
                   UNION ALL
                   SELECT 'settlement-account-change', code, merchant_id, NULL, reason,
                          bank_name, account_name, account_no,
                          requested_by, status, created_at, decided_by, decided_at
                     FROM settlement_account_changes WHERE id = $1) r
             JOIN merchants m ON m.id = r.merchant_id
             JOIN orgs o ON o.id = m.org_id"#,
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let visible = match viewer_merchant {
        Some(own) => own == row.merchant_id,
        None => scope::in_scope_org(pool, scope, row.org_id).await?,
    };
    if !visible {
        return Ok(None);
    }
    let (account_before, account_after) = match (&row.bank_name, &row.account_name, &row.account_no)
    {
        (Some(bank), Some(name), Some(no)) => {
            let mut conn = pool.acquire().await?;
            let before = super::account::current(&mut conn, row.merchant_id)
                .await?
                .map(|a| masked(a.bank_name, a.account_name, &a.account_no));
            (before, Some(masked(bank.clone(), name.clone(), no)))
        }
        _ => (None, None),
    };
    let workflow_id = format!("{}-{id}", row.kind);
    Ok(Some(MerchantRequestView {
        id,
        timeline: inbox::timeline(pool, &workflow_id).await?,
        workflow_id,
        kind: row.kind,
        code: row.code,
        merchant_code: row.merchant_code,
        merchant_name: row.merchant_name,
        merchant_status: row.merchant_status,
        org_name: row.org_name,
        action: row.action,
        reason: row.reason,
        account_before,
        account_after,
        requested_by: row.requested_by,
        status: row.status,
        created_at: row.created_at,
        decided_by: row.decided_by,
        decided_at: row.decided_at,
    }))
}
