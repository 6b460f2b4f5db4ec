//! 结算账户变更: a merchant's administrator asks to change their own merchant's settlement
//! account, or staff (`benefit:merchant:manage`, within their data scope) a merchant's; either
//! starts the process `settlement-account-change-<id>` — one approval, then the core banking
//! system's check; the new account replaces the old only once confirmed.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path, Valid};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use crate::merchants::MerchantRequestPending;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::audit::Entry;
use quanyi_activities::identity::User;
use quanyi_activities::identity::scope;
use quanyi_activities::merchants::account::{self, Account, For, Refusal};
use quanyi_activities::onboarding::check;
use quanyi_activities::pii::{self, Kind};
use quanyi_workflows::account_change::{self, AccountChangeInput};
use quanyi_workflows::kind::{ProcessKind, SETTLEMENT_EXCEPTION_POLICY};
use serde::Deserialize;
use std::net::SocketAddr;
use validator::{Validate, ValidationError};

fn text_100(value: &str) -> Result<(), ValidationError> {
    let value = value.trim();
    if !value.is_empty() && value.chars().count() <= 100 {
        Ok(())
    } else {
        Err(ValidationError::new("text"))
    }
}

fn valid_account_no(number: &str) -> Result<(), ValidationError> {
    if check::account_no(number) {
        Ok(())
    } else {
        Err(ValidationError::new("account_no"))
    }
}

/// The new settlement account.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct AccountChangeBody {
    #[schema(example = "城东银行", max_length = 100)]
    #[validate(custom(function = "text_100", code = "QY-REQ-0002"))]
    pub bank_name: String,
    /// The account's name: the core checks it against the number.
    #[schema(example = "城东便利店有限公司", max_length = 100)]
    #[validate(custom(function = "text_100", code = "QY-REQ-0002"))]
    pub account_name: String,
    #[schema(example = "6222020200112233445", pattern = "^[0-9]{8,32}$")]
    #[validate(custom(function = "valid_account_no", code = "QY-ONB-0011"))]
    pub account_no: String,
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, code = "QY-REQ-0002"))]
    pub reason: Option<String>,
}

impl AccountChangeBody {
    fn account(&self) -> Account {
        Account {
            bank_name: self.bank_name.trim().to_owned(),
            account_name: self.account_name.trim().to_owned(),
            account_no: self.account_no.clone(),
        }
    }
}

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::UnknownMerchant => ErrorCode::NoSuchMerchant,
        Refusal::Same => ErrorCode::SameSettlementAccount,
        Refusal::Pending => ErrorCode::MerchantRequestPending,
    }
    .into()
}

/// Records the request and starts its process with the policies of the day.
async fn start(
    state: &AppState,
    user: &User,
    whose: For<'_>,
    body: AccountChangeBody,
    by: Entry,
) -> Result<MerchantRequestPending, ApiError> {
    let kind = ProcessKind::SettlementAccountChange;
    let (_, submitter) = crate::process::actor_of(state, user).await?;
    let policy_of = async |key: &str| {
        quanyi_activities::process::inbox::policy_for(&state.pool, key, "*")
            .await?
            .ok_or(ApiError::from(ErrorCode::InvalidPolicy))
    };
    let policy = policy_of(kind.policy_key()).await?;
    let exception_policy = policy_of(SETTLEMENT_EXCEPTION_POLICY).await?;
    let account = body.account();
    let reason = body
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let change = account::request(
        &state.pool,
        whose,
        &account,
        reason.as_deref(),
        state.clock.now(),
        by,
    )
    .await?
    .map_err(refusal)?;
    let input = AccountChangeInput {
        change_id: change.id.to_string(),
        merchant_code: change.merchant_code,
        merchant_name: change.merchant_name,
        account_masked: pii::mask(Kind::BankCard, &account.account_no),
        reason,
        org_id: change.org_id.to_string(),
        chain: quanyi_activities::campaign::org_chain(&state.pool, change.org_id).await?,
        submitted_by: submitter.clone(),
        policy,
        exception_policy,
    };
    let key = input.change_id.clone();
    let (workflow_id, view) = crate::process::start(
        state,
        kind,
        account_change::AccountChangeWorkflow::run,
        input,
        &key,
        &submitter,
    )
    .await?;
    Ok(MerchantRequestPending {
        request_id: change.id,
        code: change.code,
        workflow_id,
        state: view.state,
    })
}

/// 变更结算账户 by staff: starts the approval process `settlement-account-change-<id>` and answers
/// 202 with it; the account is replaced once approved and confirmed by the core. Audited, the
/// account numbers masked.
#[utoipa::path(post, path = "/api/v1/benefits/merchants/{code}/account-changes", tag = "benefits",
    params(("code" = String, Path, description = "The merchant's code")),
    request_body = AccountChangeBody,
    responses(
        (status = 202, body = MerchantRequestPending, description = "waiting for approval"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1021 no such merchant (within your data scope)"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MER-0003 a change is pending, QY-MER-0020 the account in place"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-ONB-0011, QY-REQ-0002 with fields"),
    ))]
pub async fn request_account_change(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantManage>,
    Path(code): Path<String>,
    Valid(body): Valid<AccountChangeBody>,
) -> Result<(StatusCode, Json<MerchantRequestPending>), ApiError> {
    let scope = scope::scope_of(&state.pool, user.id).await?;
    let whose = For::Staff {
        code: &code,
        scope: &scope,
    };
    let pending = start(&state, &user, whose, body, actor(&user, peer)).await?;
    Ok((StatusCode::ACCEPTED, Json(pending)))
}

/// 变更结算账户 by the merchant's administrator, for their own merchant: as the staff's.
#[utoipa::path(post, path = "/api/v1/merchant/account-changes", tag = "merchant",
    request_body = AccountChangeBody,
    responses(
        (status = 202, body = MerchantRequestPending, description = "waiting for approval"),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant user"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MER-0003 a change is pending, QY-MER-0020 the account in place"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-ONB-0011, QY-REQ-0002 with fields"),
    ))]
pub async fn request_own_account_change(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::SettlementRequest>,
    Valid(body): Valid<AccountChangeBody>,
) -> Result<(StatusCode, Json<MerchantRequestPending>), ApiError> {
    let merchant_id = crate::merchants::users::merchant_of(&user)?;
    let pending = start(
        &state,
        &user,
        For::Own(merchant_id),
        body,
        actor(&user, peer),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(pending)))
}
