//! 角色管理 (SYS-1): the permission catalogue, and roles listed, created and edited behind
//! step-up.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path};
use crate::identity::auth::{SteppedUp, actor};
use crate::identity::permission::{self as perm, Authorized, PermissionNode};
use crate::system::Created;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::identity::roles::{self, Duty, NewRole, Refusal, RoleChange, ScopeKind};
use serde::{Deserialize, Deserializer};
use std::net::SocketAddr;
use uuid::Uuid;

/// Every role with its data scope and permissions.
#[utoipa::path(get, path = "/api/v1/system/roles", tag = "system", responses(
    (status = 200, body = Vec<roles::Role>),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn roles(
    State(state): State<AppState>,
    _: Authorized<perm::RoleView>,
) -> Result<Json<Vec<roles::Role>>, ApiError> {
    Ok(Json(roles::list(&state.pool).await?))
}

/// 权限: every permission the system knows, as area → entity → action with labels.
#[utoipa::path(get, path = "/api/v1/system/permissions", tag = "system", responses(
    (status = 200, body = Vec<PermissionNode>),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn permissions(_: Authorized<perm::RoleView>) -> Json<Vec<PermissionNode>> {
    Json(perm::tree())
}

fn refusal(r: Refusal) -> ApiError {
    ApiError::from(match r {
        Refusal::UnknownRole => ErrorCode::UnknownRole,
        Refusal::CodeTaken => ErrorCode::RoleCodeTaken,
        Refusal::DutyFixed => ErrorCode::RoleDutyFixed,
        Refusal::DutiesCombined => ErrorCode::RoleDutiesCombined,
        Refusal::OutsideDuty => ErrorCode::PermissionOutsideDuty,
        Refusal::OwnRole => ErrorCode::OwnRole,
    })
}

/// The requested permissions, every one known, sorted and without repeats.
fn known_permissions(requested: Vec<String>) -> Result<Vec<String>, ApiError> {
    if requested.len() > perm::ALL.len() * 2 || !requested.iter().all(|p| perm::is_known(p)) {
        return Err(ErrorCode::UnknownPermission.into());
    }
    let mut list = requested;
    list.sort();
    list.dedup();
    Ok(list)
}

fn role_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(ErrorCode::InvalidRoleName.into());
    }
    Ok(name.to_owned())
}

fn valid_role_code(code: &str) -> bool {
    let mut chars = code.chars();
    (2..=32).contains(&code.len())
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateRoleRequest {
    #[schema(example = "branch_admin", pattern = "^[a-z][a-z0-9_]{1,31}$")]
    pub code: String,
    #[schema(example = "分行管理员", min_length = 1, max_length = 50)]
    pub name: String,
    pub data_scope: ScopeKind,
    /// The separation-of-duties side, fixed from now on; user, role and parameter administration
    /// need `administration`, the operation log needs `audit`.
    pub duty: Option<Duty>,
    /// Permission names from `GET /api/v1/system/permissions`.
    pub permissions: Vec<String>,
}

/// Create a role (re-authentication first; audited).
#[utoipa::path(post, path = "/api/v1/system/roles", tag = "system", request_body = CreateRoleRequest, responses(
    (status = 201, body = Created),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003, QY-AUTH-0011 re-authenticate first"),
    (status = 409, body = crate::error::ErrorBody, description = "QY-SYS-1024 code taken, QY-SYS-1019 duties combined, QY-SYS-1020 outside the duty"),
    (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1022 code, QY-SYS-1023 name, QY-SYS-1017 unknown permission"),
))]
pub async fn create_role(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::RoleCreate>,
    _: SteppedUp,
    Json(request): Json<CreateRoleRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    if !valid_role_code(&request.code) {
        return Err(ErrorCode::InvalidRoleCode.into());
    }
    let new = NewRole {
        code: request.code,
        name: role_name(&request.name)?,
        data_scope: request.data_scope,
        duty: request.duty,
        permissions: known_permissions(request.permissions)?,
    };
    let id = roles::create(&state.pool, actor(&user, peer), new, state.clock.now())
        .await?
        .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Duty>>, D::Error> {
    Option::<Duty>::deserialize(d).map(Some)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateRoleRequest {
    #[schema(min_length = 1, max_length = 50)]
    pub name: String,
    pub data_scope: ScopeKind,
    /// Optional; when sent it must be the role's duty, which cannot change (`QY-SYS-1018`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Duty>)]
    pub duty: Option<Option<Duty>>,
    pub permissions: Vec<String>,
}

/// Change a role's name, data scope and permissions — not one you hold (re-authentication
/// first; audited before/after; its holders' next request runs with the new permissions).
#[utoipa::path(put, path = "/api/v1/system/roles/{id}", tag = "system",
    params(("id" = Uuid, Path)), request_body = UpdateRoleRequest,
    responses(
        (status = 204, description = "Changed, in force at once"),
        (status = 403, body = crate::error::ErrorBody, description = "QY-SYS-1021 own role, QY-AUTH-0011 re-authenticate first"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-SYS-1018 duty fixed, QY-SYS-1019 duties combined, QY-SYS-1020 outside the duty"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1003 no such role, QY-SYS-1023 name, QY-SYS-1017 unknown permission"),
    ))]
pub async fn update_role(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::RoleUpdate>,
    _: SteppedUp,
    Path(id): Path<Uuid>,
    Json(request): Json<UpdateRoleRequest>,
) -> Result<StatusCode, ApiError> {
    let change = RoleChange {
        name: role_name(&request.name)?,
        data_scope: request.data_scope,
        duty: request.duty,
        permissions: known_permissions(request.permissions)?,
    };
    roles::update(
        &state.pool,
        actor(&user, peer),
        id,
        change,
        state.clock.now(),
    )
    .await?
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}
