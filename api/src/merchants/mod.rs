//! 商户管理 (issue 16 part B): a merchant's lifecycle as approval processes — 停用/启用
//! (`merchant-status`) — started here by staff holding `benefit:merchant:manage` within their
//! data scope, the approver deciding from the inbox — and 结算账户变更 ([`account`]); and 商户用户
//! ([`users`]), the merchant administrator's cashiers; 商户门户 ([`portal`]), what the administrator
//! reads of their own merchant; and a request as its approver opens it from the inbox.

pub mod account;
pub mod portal;
pub mod users;

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Path, Valid};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::identity::scope;
use quanyi_activities::merchants::requests;
use quanyi_activities::merchants::status::{self, Refusal};
use quanyi_workflows::kind::ProcessKind;
use quanyi_workflows::merchant_status::{self, StatusAction};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::Validate;

/// 停用 or 启用.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusActionBody {
    Disable,
    Enable,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct StatusRequestBody {
    pub action: StatusActionBody,
    /// Why: required to disable.
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, code = "QY-REQ-0002"))]
    pub reason: Option<String>,
}

/// A request waiting for its approval process.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MerchantRequestPending {
    pub request_id: Uuid,
    /// The request's business number (`TY…`), what staff see and search by.
    pub code: String,
    pub workflow_id: String,
    pub state: String,
}

fn status_refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::UnknownMerchant => ErrorCode::NoSuchMerchant,
        Refusal::Unchanged => ErrorCode::MerchantStatusUnchanged,
        Refusal::Pending => ErrorCode::MerchantRequestPending,
    }
    .into()
}

/// 停用/启用: ask to disable (with a reason) or enable a merchant. Starts the approval process
/// `merchant-status-<id>` and answers 202 with it; the merchant's status changes once it is
/// approved. Audited.
#[utoipa::path(post, path = "/api/v1/benefits/merchants/{code}/status-requests", tag = "benefits",
    params(("code" = String, Path, description = "The merchant's code")),
    request_body = StatusRequestBody,
    responses(
        (status = 202, body = MerchantRequestPending, description = "waiting for approval"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1021 no such merchant (within your data scope)"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MER-0002 already so, QY-MER-0003 a request is pending"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MER-0005 disabling needs a reason"),
    ))]
pub async fn request_merchant_status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantManage>,
    Path(code): Path<String>,
    Valid(body): Valid<StatusRequestBody>,
) -> Result<(StatusCode, Json<MerchantRequestPending>), ApiError> {
    let action = match body.action {
        StatusActionBody::Disable => StatusAction::Disable,
        StatusActionBody::Enable => StatusAction::Enable,
    };
    let reason = body
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if action == StatusAction::Disable && reason.is_none() {
        return Err(ApiError::fields(vec![FieldError {
            field: "reason".into(),
            code: ErrorCode::DisableReasonRequired,
        }]));
    }
    let pending = ask_status(&state, &user, &code, action, reason, actor(&user, peer)).await?;
    Ok((StatusCode::ACCEPTED, Json(pending)))
}

/// Records `user`'s request to disable or enable the merchant `code` (within their data scope;
/// audited as `by`) and starts its approval process.
pub async fn ask_status(
    state: &AppState,
    user: &quanyi_activities::identity::User,
    code: &str,
    action: StatusAction,
    reason: Option<String>,
    by: quanyi_activities::audit::Entry,
) -> Result<MerchantRequestPending, ApiError> {
    let kind = ProcessKind::MerchantStatus;
    let (_, submitter) = crate::process::actor_of(state, user).await?;
    let policy = quanyi_activities::process::inbox::policy_for(&state.pool, kind.policy_key(), "*")
        .await?
        .ok_or(ErrorCode::InvalidPolicy)?;
    let scope = scope::scope_of(&state.pool, user.id).await?;
    let request = status::request(
        &state.pool,
        code,
        action,
        reason.as_deref(),
        &scope,
        state.clock.now(),
        by,
    )
    .await?
    .map_err(status_refusal)?;
    let input = merchant_status::MerchantStatusInput {
        request_id: request.id.to_string(),
        merchant_code: code.to_owned(),
        merchant_name: request.merchant_name,
        action,
        reason,
        org_id: request.org_id.to_string(),
        chain: quanyi_activities::campaign::org_chain(&state.pool, request.org_id).await?,
        submitted_by: submitter.clone(),
        policy,
    };
    let key = input.request_id.clone();
    let (workflow_id, view) = crate::process::start(
        state,
        kind,
        merchant_status::MerchantStatusWorkflow::run,
        input,
        &key,
        &submitter,
    )
    .await?;
    Ok(MerchantRequestPending {
        request_id: request.id,
        code: request.code,
        workflow_id,
        state: view.state,
    })
}

/// A merchant request (停用/启用 `TY…` or 结算账户变更 `ZH…`) as its approver sees it, the page
/// the inbox's task opens: the merchant, what is asked (account numbers masked), where it stands
/// and the process's history. A merchant's user sees their own merchant's only, staff those within
/// their data scope.
#[utoipa::path(get, path = "/api/v1/merchant-requests/{id}", tag = "merchant",
    params(("id" = Uuid, Path, description = "The request's id: the business key of its task")),
    responses(
        (status = 200, body = requests::MerchantRequestView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MER-0006 no such request (within your data scope)"),
    ))]
pub async fn merchant_request(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::TaskView>,
    Path(id): Path<Uuid>,
) -> Result<Json<requests::MerchantRequestView>, ApiError> {
    let scope = scope::scope_of(&state.pool, user.id).await?;
    requests::view(&state.pool, id, user.merchant_id, &scope)
        .await?
        .map(Json)
        .ok_or_else(|| ErrorCode::UnknownMerchantRequest.into())
}
