//! 商户用户: a merchant's administrator (`merchant:user:manage`, a merchant user) manages the
//! cashiers of their own merchant — list, add (a one-time password by SMS, changed at the first
//! sign-in), disable or enable, reset a password. Nobody reaches another merchant's users: the
//! merchant is always the caller's own.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path, Valid};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use crate::identity::users::{valid_display_name, valid_phone, valid_username};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::identity::User;
use quanyi_activities::merchants::users::{self, MerchantUserRow, NewClerk, Refusal};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::Validate;

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::UnknownUser => ErrorCode::UnknownMerchantUser,
        Refusal::UsernameTaken => ErrorCode::UsernameTaken,
        Refusal::NoPhone => ErrorCode::MerchantUserNoPhone,
    }
    .into()
}

/// The caller's merchant: `QY-BEN-3010` for anyone who is not a merchant user.
pub(crate) fn merchant_of(user: &User) -> Result<Uuid, ApiError> {
    match (user.kind.as_str(), user.merchant_id) {
        ("merchant", Some(id)) => Ok(id),
        _ => Err(ErrorCode::NotAMerchantUser.into()),
    }
}

/// The users of the caller's merchant: its administrators, then its cashiers; phones masked.
#[utoipa::path(get, path = "/api/v1/merchant/users", tag = "merchant",
    responses(
        (status = 200, body = Vec<MerchantUserRow>),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant user"),
    ))]
pub async fn list_merchant_users(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::MerchantUserManage>,
) -> Result<Json<Vec<MerchantUserRow>>, ApiError> {
    let merchant_id = merchant_of(&user)?;
    Ok(Json(users::list(&state.pool, merchant_id).await?))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct NewClerkRequest {
    #[schema(example = "m001_cashier2", pattern = "^[a-z][a-z0-9_.-]{2,31}$")]
    #[validate(custom(function = "valid_username", code = "QY-SYS-1006"))]
    pub username: String,
    #[schema(example = "收银员王五", min_length = 1, max_length = 50)]
    #[validate(custom(function = "valid_display_name", code = "QY-SYS-1007"))]
    pub display_name: String,
    /// Where the one-time password goes by SMS.
    #[schema(example = "13812345678", pattern = "^1[3-9][0-9]{9}$")]
    #[validate(custom(function = "valid_phone", code = "QY-SYS-1028"))]
    pub phone: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedClerk {
    pub id: Uuid,
    pub username: String,
}

/// Add a cashier to the caller's merchant: a one-time password goes to their phone by SMS (never
/// shown, never stored in clear) and must be changed at the first sign-in. Audited.
#[utoipa::path(post, path = "/api/v1/merchant/users", tag = "merchant", request_body = NewClerkRequest,
    responses(
        (status = 201, body = CreatedClerk),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant user"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-SYS-1002 username taken"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1006, 1007, 1028 with fields"),
    ))]
pub async fn create_clerk(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantUserManage>,
    Valid(request): Valid<NewClerkRequest>,
) -> Result<(StatusCode, Json<CreatedClerk>), ApiError> {
    let merchant_id = merchant_of(&user)?;
    let new = NewClerk {
        username: request.username,
        display_name: request.display_name.trim().to_owned(),
        phone: request.phone,
    };
    let id = users::create_clerk(
        &state.pool,
        &state.settings.data_key,
        merchant_id,
        &new,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedClerk {
            id,
            username: new.username,
        }),
    ))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ClerkStatusRequest {
    /// false disables the cashier (their sessions end), true enables them.
    pub active: bool,
}

/// Disable or enable a cashier of the caller's merchant. Audited with before and after.
#[utoipa::path(put, path = "/api/v1/merchant/users/{id}/status", tag = "merchant",
    params(("id" = Uuid, Path)), request_body = ClerkStatusRequest,
    responses(
        (status = 204),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant user"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MER-0010 no such cashier of your merchant"),
    ))]
pub async fn set_clerk_status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantUserManage>,
    Path(id): Path<Uuid>,
    Valid(request): Valid<ClerkStatusRequest>,
) -> Result<StatusCode, ApiError> {
    let merchant_id = merchant_of(&user)?;
    users::set_status(
        &state.pool,
        merchant_id,
        id,
        request.active,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ClerkPasswordResetRequest {}

/// Reset a cashier's password: a one-time password by SMS, to be changed at the next sign-in;
/// their sessions end. Audited.
#[utoipa::path(post, path = "/api/v1/merchant/users/{id}/password-reset", tag = "merchant",
    params(("id" = Uuid, Path)), request_body = ClerkPasswordResetRequest,
    responses(
        (status = 204),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant user"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MER-0010 no such cashier of your merchant"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MER-0011 no phone to send it to"),
    ))]
pub async fn reset_clerk_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantUserManage>,
    Path(id): Path<Uuid>,
    Valid(_body): Valid<ClerkPasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    let merchant_id = merchant_of(&user)?;
    users::reset_password(
        &state.pool,
        &state.settings.data_key,
        merchant_id,
        id,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}
