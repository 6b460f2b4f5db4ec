//! 用户管理 (SYS-1, SEC-6): staff users within the caller's data scope — created with a temporary
//! password, their roles granted and revoked, disabled, their password and second factor reset,
//! their personal data unmasked — every change audited in its own transaction.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Path, Query, Valid};
use crate::identity::auth::{SteppedUp, actor};
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::identity::scope::scope_of;
use quanyi_activities::identity::users::{self, NewUser, Refusal, UserFilter};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

fn refusal(r: Refusal) -> ApiError {
    ApiError::from(match r {
        Refusal::OutOfScope => ErrorCode::OutOfScope,
        Refusal::UsernameTaken => ErrorCode::UsernameTaken,
        Refusal::UnknownRole => ErrorCode::UnknownRole,
        Refusal::OwnAccount => ErrorCode::OwnAccount,
        Refusal::DutiesConflict => ErrorCode::DutiesConflict,
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UserQuery {
    /// Only users of this org.
    pub org_id: Option<Uuid>,
    /// Part of the username or display name.
    #[param(max_length = 50)]
    pub q: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserPage {
    pub items: Vec<users::UserRow>,
    pub total: i64,
}

/// Users within the caller's data scope.
#[utoipa::path(get, path = "/api/v1/system/users", tag = "system", params(UserQuery, Paging), responses(
    (status = 200, body = UserPage),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn users(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::UserView>,
    paging: Paging,
    Query(query): Query<UserQuery>,
) -> Result<Json<UserPage>, ApiError> {
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 50) {
        return Err(ErrorCode::InvalidQuery.into());
    }
    let scope = scope_of(&state.pool, user.id).await?;
    let filter = UserFilter {
        org_id: query.org_id,
        keyword: query.q.filter(|q| !q.is_empty()),
        page: paging.page(),
        page_size: paging.page_size(),
    };
    let (items, total) = users::users(&state.pool, &scope, &filter, state.clock.now()).await?;
    Ok(Json(UserPage { items, total }))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct CreateUserRequest {
    #[schema(example = "zhangsan", pattern = "^[a-z][a-z0-9_.-]{2,31}$")]
    #[validate(custom(function = "valid_username", code = "QY-SYS-1006"))]
    pub username: String,
    #[schema(example = "张三", min_length = 1, max_length = 50)]
    #[validate(custom(function = "valid_display_name", code = "QY-SYS-1007"))]
    pub display_name: String,
    pub org_id: Uuid,
    /// Role codes.
    #[schema(max_items = 20)]
    #[validate(length(max = 20, code = "QY-SYS-1003"))]
    pub roles: Vec<String>,
    /// A mainland mobile number; shown masked except to holders of `pii:user:unmask`.
    #[schema(example = "13812345678", pattern = "^1[3-9][0-9]{9}$")]
    #[validate(custom(function = "valid_phone", code = "QY-SYS-1028"))]
    pub phone: Option<String>,
    #[schema(example = "zhangsan@bank.example", max_length = 100)]
    #[validate(email(code = "QY-SYS-1029"), length(max = 100, code = "QY-SYS-1029"))]
    pub email: Option<String>,
}

fn rule(ok: bool) -> Result<(), ValidationError> {
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("rule"))
    }
}

pub(crate) fn valid_display_name(name: &str) -> Result<(), ValidationError> {
    let name = name.trim();
    rule(!name.is_empty() && name.chars().count() <= 50)
}

pub(crate) fn valid_phone(phone: &str) -> Result<(), ValidationError> {
    let digits = phone.as_bytes();
    rule(
        digits.len() == 11
            && digits[0] == b'1'
            && (b'3'..=b'9').contains(&digits[1])
            && digits.iter().all(u8::is_ascii_digit),
    )
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TemporaryPasswordView {
    pub user_id: Uuid,
    /// Shown once to the administrator; the user must change it at first sign-in.
    pub temporary_password: String,
}

pub(crate) fn valid_username(name: &str) -> Result<(), ValidationError> {
    let mut chars = name.chars();
    rule(
        (3..=32).contains(&name.len())
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            }),
    )
}

/// Create a staff user in an org within the caller's scope, with a temporary password.
#[utoipa::path(post, path = "/api/v1/system/users", tag = "system", request_body = CreateUserRequest, responses(
    (status = 201, body = TemporaryPasswordView),
    (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1001 the org is out of scope"),
    (status = 409, body = crate::error::ErrorBody, description = "QY-SYS-1002 taken, QY-SYS-1005 duties"),
    (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1006 username, QY-SYS-1007 name, QY-SYS-1003 role"),
))]
pub async fn create_user(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::UserCreate>,
    Valid(request): Valid<CreateUserRequest>,
) -> Result<(StatusCode, Json<TemporaryPasswordView>), ApiError> {
    let name = request.display_name.trim();
    let scope = scope_of(&state.pool, user.id).await?;
    let new = NewUser {
        username: request.username,
        display_name: name.to_owned(),
        org_id: request.org_id,
        roles: request.roles,
        phone: request.phone,
        email: request.email,
    };
    let (user_id, temporary_password) = users::create_user(
        &state.pool,
        &scope,
        actor(&user, peer),
        new,
        state.clock.now(),
    )
    .await?
    .map_err(refusal)?;
    Ok((
        StatusCode::CREATED,
        Json(TemporaryPasswordView {
            user_id,
            temporary_password,
        }),
    ))
}

/// Give a user a new temporary password (they must change it; their sessions end).
#[utoipa::path(post, path = "/api/v1/system/users/{id}/password-reset", tag = "system",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TemporaryPasswordView),
        (status = 403, body = crate::error::ErrorBody, description = "QY-SYS-1004 own account, QY-AUTH-0011 re-authenticate first"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1001 out of scope"),
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::UserResetPassword>,
    _: SteppedUp,
    Path(id): Path<Uuid>,
) -> Result<Json<TemporaryPasswordView>, ApiError> {
    let scope = scope_of(&state.pool, user.id).await?;
    let temporary_password = users::reset_password(
        &state.pool,
        &scope,
        actor(&user, peer),
        id,
        state.clock.now(),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(TemporaryPasswordView {
        user_id: id,
        temporary_password,
    }))
}

/// Remove a role from a user (never from oneself; re-authentication first; audited).
#[utoipa::path(delete, path = "/api/v1/system/users/{id}/roles/{role}", tag = "system",
    params(("id" = Uuid, Path), ("role" = String, Path)),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, body = crate::error::ErrorBody, description = "QY-SYS-1004 own account, QY-AUTH-0011 re-authenticate first"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1001 out of scope"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1003 the user does not hold it"),
    ))]
pub async fn revoke_role(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::RoleGrant>,
    _: SteppedUp,
    Path((id, role)): Path<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    if role.len() > 32 {
        return Err(ErrorCode::UnknownRole.into());
    }
    let scope = scope_of(&state.pool, user.id).await?;
    users::revoke_role(
        &state.pool,
        &scope,
        actor(&user, peer),
        id,
        &role,
        state.clock.now(),
    )
    .await?
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

/// An account's status: named apart from the coupon template's `StatusRequest`, which utoipa would
/// otherwise file under the same schema name.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct UserStatusRequest {
    /// `false` disables the account and ends its sessions.
    pub active: bool,
}

/// Disable or re-enable an account (never one's own; audited).
#[utoipa::path(put, path = "/api/v1/system/users/{id}/status", tag = "system",
    operation_id = "set_user_status",
    params(("id" = Uuid, Path)), request_body = UserStatusRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 403, body = crate::error::ErrorBody, description = "QY-SYS-1004 own account"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1001 out of scope"),
    ))]
pub async fn set_status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::UserDisable>,
    Path(id): Path<Uuid>,
    Json(request): Json<UserStatusRequest>,
) -> Result<StatusCode, ApiError> {
    let scope = scope_of(&state.pool, user.id).await?;
    users::set_status(
        &state.pool,
        &scope,
        actor(&user, peer),
        id,
        request.active,
        state.clock.now(),
    )
    .await?
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct GrantRoleRequest {
    /// A role code.
    #[schema(example = "planner", min_length = 1, max_length = 32)]
    pub role: String,
}

/// Grant a role (never to oneself; never an administrator role and the auditor role together).
#[utoipa::path(post, path = "/api/v1/system/users/{id}/roles", tag = "system",
    params(("id" = Uuid, Path)), request_body = GrantRoleRequest,
    responses(
        (status = 204, description = "Granted"),
        (status = 403, body = crate::error::ErrorBody, description = "QY-SYS-1004 own account, QY-AUTH-0011 re-authenticate first"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1001 out of scope"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-SYS-1005 duties"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1003 no such role"),
    ))]
pub async fn grant_role(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::RoleGrant>,
    _: SteppedUp,
    Path(id): Path<Uuid>,
    Json(request): Json<GrantRoleRequest>,
) -> Result<StatusCode, ApiError> {
    if request.role.len() > 32 {
        return Err(ErrorCode::UnknownRole.into());
    }
    let scope = scope_of(&state.pool, user.id).await?;
    users::grant_role(
        &state.pool,
        &scope,
        actor(&user, peer),
        id,
        &request.role,
        state.clock.now(),
    )
    .await?
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

/// SEC-6: a user's contact details in full. Each call is audited (who saw whose data, which
/// fields — never the values).
#[utoipa::path(get, path = "/api/v1/system/users/{id}/personal-data", tag = "system",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = users::PersonalData),
        (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003 without pii:user:unmask"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1001 out of scope"),
    ))]
pub async fn personal_data(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::UserUnmask>,
    Path(id): Path<Uuid>,
) -> Result<Json<users::PersonalData>, ApiError> {
    let scope = scope_of(&state.pool, user.id).await?;
    let data = users::personal_data(
        &state.pool,
        &scope,
        actor(&user, peer),
        id,
        state.clock.now(),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(data))
}

/// Turn off another user's second factor (a lost device); they enrol again at their next sign-in
/// if a role requires it. Their sessions end.
#[utoipa::path(post, path = "/api/v1/system/users/{id}/totp-reset", tag = "system",
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Second factor removed"),
        (status = 403, body = crate::error::ErrorBody, description = "QY-SYS-1004 own account, QY-AUTH-0011 re-authenticate first"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1001 out of scope"),
    ))]
pub async fn reset_totp(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::UserResetTotp>,
    _: SteppedUp,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let scope = scope_of(&state.pool, user.id).await?;
    users::reset_totp(
        &state.pool,
        &scope,
        actor(&user, peer),
        id,
        state.clock.now(),
    )
    .await?
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}
