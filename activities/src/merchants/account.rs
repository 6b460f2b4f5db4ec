//! 结算账户变更 in the store: a merchant's settlement account (the one its onboarding checked,
//! until a change replaces it), a request to change it (`ZH…`, one pending per merchant), the
//! check of the new account with the core banking system — once a round, recorded, whatever the
//! retries — which replaces the old account in the same transaction as its audit row (account
//! numbers masked), and the closing of a request that ends without its account.

use crate::audit::{self, Entry};
use crate::identity::scope::{self, DataScope};
use crate::numbers::{self, Series};
use crate::onboarding::CoreBanking;
use crate::pii::{self, Kind};
use chrono::{DateTime, Utc};
use quanyi_workflows::account_change::{ChangeClosed, CheckRequest, Checked};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A settlement account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub bank_name: String,
    pub account_name: String,
    pub account_no: String,
}

impl Account {
    /// As the audit log and the lists show it: the number masked.
    pub fn masked(&self) -> Value {
        json!({
            "bank_name": self.bank_name,
            "account_name": self.account_name,
            "account_no": pii::mask(Kind::BankCard, &self.account_no),
        })
    }
}

/// The settlement account of `merchant_id`: the last one a change put in place, else the one its
/// onboarding checked; `None` for a merchant staff created without one.
pub async fn current(
    conn: &mut PgConnection,
    merchant_id: Uuid,
) -> Result<Option<Account>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT bank_name AS "bank_name!", account_name AS "account_name!", account_no AS "account_no!"
             FROM (SELECT bank_name, account_name, account_no, 1 AS rank
                     FROM merchant_settlement_accounts WHERE merchant_id = $1
                   UNION ALL
                   SELECT bank_name, account_name, account_no, 2
                     FROM onboarding_applications
                    WHERE merchant_id = $1 AND account_no IS NOT NULL) a
            ORDER BY rank LIMIT 1"#,
        merchant_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Account {
        bank_name: r.bank_name,
        account_name: r.account_name,
        account_no: r.account_no,
    }))
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such merchant (within the caller's data scope).
    UnknownMerchant,
    /// The new account is the one in place.
    Same,
    /// Another change of the merchant's account waits for its approval or check.
    Pending,
}

/// Whose merchant a request is for: a merchant's own administrator, or staff by the merchant's
/// code within their data scope.
pub enum For<'a> {
    Own(Uuid),
    Staff { code: &'a str, scope: &'a DataScope },
}

/// A request as recorded, with what its process needs.
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    pub id: Uuid,
    pub code: String,
    pub merchant_code: String,
    pub merchant_name: String,
    pub org_id: Uuid,
}

/// Records a request to change the merchant's settlement account to `account`, audited (the
/// numbers masked); the caller then starts its process.
pub async fn request(
    pool: &PgPool,
    whose: For<'_>,
    account: &Account,
    reason: Option<&str>,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<ChangeRequest, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (id, code) = match &whose {
        For::Own(id) => (Some(*id), None),
        For::Staff { code, .. } => (None, Some(*code)),
    };
    let Some(merchant) = sqlx::query!(
        "SELECT id, code, name, org_id FROM merchants
          WHERE id = $1 OR code = $2 FOR UPDATE",
        id,
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownMerchant));
    };
    if let For::Staff { scope, .. } = whose
        && !scope::in_scope_org(pool, scope, merchant.org_id).await?
    {
        return Ok(Err(Refusal::UnknownMerchant));
    }
    let before = current(&mut tx, merchant.id).await?;
    if before.as_ref() == Some(account) {
        return Ok(Err(Refusal::Same));
    }
    let requested_by = by.username.clone().unwrap_or_default();
    let Some(inserted) = sqlx::query!(
        "INSERT INTO settlement_account_changes
             (code, merchant_id, bank_name, account_name, account_no, reason, requested_by, created_at)
         VALUES (issue_business_no('ZH', $8), $1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (merchant_id) WHERE status = 'pending' DO NOTHING
         RETURNING id, code",
        merchant.id,
        account.bank_name,
        account.account_name,
        account.account_no,
        reason,
        requested_by,
        now,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::Pending));
    };
    numbers::register(
        &mut tx,
        Series::AccountChange,
        &inserted.id.to_string(),
        &inserted.code,
        now,
    )
    .await?;
    let entry = Entry {
        action: "merchant.settlement.request",
        target: Some(merchant.code.clone()),
        before: before.as_ref().map(Account::masked),
        after: Some(json!({
            "code": inserted.code, "account": account.masked(), "reason": reason,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(ChangeRequest {
        id: inserted.id,
        code: inserted.code,
        merchant_code: merchant.code,
        merchant_name: merchant.name,
        org_id: merchant.org_id,
    }))
}

/// What a check could not do now; Temporal retries the activity.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("no such settlement account change {0}")]
    Unknown(Uuid),
    #[error("the core banking system is not configured")]
    NoCore,
    #[error("the core banking system: {0}")]
    Core(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The core's recorded answer for `round` of the change, asked for once.
async fn core_answer(
    pool: &PgPool,
    core: Option<&CoreBanking>,
    change_id: Uuid,
    round: i32,
    account: &Account,
    now: DateTime<Utc>,
) -> Result<Value, CheckError> {
    let recorded = sqlx::query_scalar!(
        "SELECT result FROM settlement_account_checks WHERE change_id = $1 AND round = $2",
        change_id,
        round
    )
    .fetch_optional(pool)
    .await?;
    if let Some(result) = recorded {
        return Ok(result);
    }
    let core = core.ok_or(CheckError::NoCore)?;
    let result = core
        .verify_account(
            format!("zh-{}-{round}", change_id.simple()),
            Some(&account.account_no),
            Some(&account.account_name),
            Some(&account.bank_name),
        )
        .await
        .map_err(CheckError::Core)?;
    sqlx::query!(
        "INSERT INTO settlement_account_checks (change_id, round, result, checked_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        change_id,
        round,
        result,
        now
    )
    .execute(pool)
    .await?;
    // a concurrent attempt may have recorded first: its answer is the one
    Ok(sqlx::query_scalar!(
        "SELECT result FROM settlement_account_checks WHERE change_id = $1 AND round = $2",
        change_id,
        round
    )
    .fetch_optional(pool)
    .await?
    .unwrap_or(result))
}

/// Checks the change's account with the core (once a round) and, confirmed, replaces the
/// merchant's account with it — once: a change applied already answers `Applied`.
pub async fn check(
    pool: &PgPool,
    core: Option<&CoreBanking>,
    request: &CheckRequest,
) -> Result<Checked, CheckError> {
    let id = Uuid::parse_str(&request.change_id)
        .map_err(|e| CheckError::Database(sqlx::Error::Decode(Box::new(e))))?;
    let change = sqlx::query!(
        "SELECT merchant_id, code, status, bank_name, account_name, account_no
           FROM settlement_account_changes WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(CheckError::Unknown(id))?;
    if change.status == "applied" {
        return Ok(Checked::Applied);
    }
    let account = Account {
        bank_name: change.bank_name,
        account_name: change.account_name,
        account_no: change.account_no,
    };
    let result = core_answer(pool, core, id, request.round, &account, request.at).await?;
    if result.get("match").and_then(Value::as_bool) != Some(true) {
        let reason = result
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("账户名称与账号不符");
        return Ok(Checked::Mismatch {
            reason: format!("结算账户核验未通过：{reason}"),
        });
    }
    let mut tx = pool.begin().await?;
    let applied = sqlx::query!(
        "UPDATE settlement_account_changes SET status = 'applied', decided_by = $2, decided_at = $3
          WHERE id = $1 AND status = 'pending'",
        id,
        request.approved_by,
        request.at
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if applied == 0 {
        return Ok(Checked::Applied);
    }
    let merchant = sqlx::query!(
        "SELECT code FROM merchants WHERE id = $1 FOR UPDATE",
        change.merchant_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let before = current(&mut tx, change.merchant_id).await?;
    sqlx::query!(
        "INSERT INTO merchant_settlement_accounts
             (merchant_id, bank_name, account_name, account_no, change_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (merchant_id) DO UPDATE
            SET bank_name = EXCLUDED.bank_name, account_name = EXCLUDED.account_name,
                account_no = EXCLUDED.account_no, change_id = EXCLUDED.change_id,
                updated_at = EXCLUDED.updated_at",
        change.merchant_id,
        account.bank_name,
        account.account_name,
        account.account_no,
        id,
        request.at
    )
    .execute(&mut *tx)
    .await?;
    let approver = sqlx::query!(
        "SELECT id, org_id FROM users WHERE username = $1",
        request.approved_by
    )
    .fetch_optional(&mut *tx)
    .await?;
    let entry = Entry {
        user_id: approver.as_ref().map(|a| a.id),
        org_id: approver.as_ref().map(|a| a.org_id),
        username: request.approved_by.clone(),
        action: "merchant.settlement.change",
        target: Some(merchant.code),
        before: before.as_ref().map(Account::masked),
        after: Some(json!({ "account": account.masked(), "request": change.code })),
        ..Entry::default()
    };
    audit::append(&mut tx, request.at, entry).await?;
    tx.commit().await?;
    Ok(Checked::Applied)
}

/// Closes a request that ended without its account (rejected or withdrawn); once.
pub async fn close(pool: &PgPool, closed: &ChangeClosed) -> Result<(), sqlx::Error> {
    let id = Uuid::parse_str(&closed.change_id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    sqlx::query!(
        "UPDATE settlement_account_changes SET status = $2, decided_by = $3, decided_at = $4
          WHERE id = $1 AND status = 'pending'",
        id,
        closed.status,
        closed.decided_by,
        closed.at
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The activities the settlement-account-change process calls.
pub struct AccountChangeActivities {
    pool: PgPool,
    core: Option<CoreBanking>,
}

impl AccountChangeActivities {
    /// `core`: where the core banking system's account check is reached; without it the check
    /// waits (its activity fails and is retried) until a worker that has it takes it.
    pub fn new(pool: PgPool, core: Option<CoreBanking>) -> Self {
        Self { pool, core }
    }
}

#[temporalio_macros::activities]
impl AccountChangeActivities {
    #[activity(definition = quanyi_workflows::account_change::CheckAccount)]
    pub async fn check(
        self: std::sync::Arc<Self>,
        _ctx: temporalio_sdk::activities::ActivityContext,
        request: CheckRequest,
    ) -> Result<Checked, temporalio_sdk::activities::ActivityError> {
        check(&self.pool, self.core.as_ref(), &request)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, change = %request.change_id, "the account check failed; retried");
                temporalio_sdk::activities::ActivityError::from(anyhow::anyhow!(e))
            })
    }

    #[activity(definition = quanyi_workflows::account_change::CloseChange)]
    pub async fn close(
        self: std::sync::Arc<Self>,
        _ctx: temporalio_sdk::activities::ActivityContext,
        closed: ChangeClosed,
    ) -> Result<(), temporalio_sdk::activities::ActivityError> {
        close(&self.pool, &closed).await.map_err(Into::into)
    }
}
