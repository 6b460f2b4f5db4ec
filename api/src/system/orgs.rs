//! 机构管理 (SYS-1): the org tree within the caller's data scope, orgs added and renamed, every
//! change audited in its own transaction.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use crate::system::Created;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::identity::scope::scope_of;
use quanyi_activities::system::orgs::{self, NewOrg, Refusal};
use serde::Deserialize;
use std::net::SocketAddr;
use uuid::Uuid;

fn refusal(r: Refusal) -> ApiError {
    ApiError::from(match r {
        Refusal::OutOfScope => ErrorCode::OutOfScope,
        Refusal::OrgCodeTaken => ErrorCode::OrgCodeTaken,
        Refusal::SubBranchHasNoChildren => ErrorCode::SubBranchHasNoChildren,
    })
}

/// The orgs within the caller's data scope, parents before children.
#[utoipa::path(get, path = "/api/v1/system/orgs", tag = "system", responses(
    (status = 200, body = Vec<orgs::Org>),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn orgs(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::OrgView>,
) -> Result<Json<Vec<orgs::Org>>, ApiError> {
    let scope = scope_of(&state.pool, user.id).await?;
    Ok(Json(orgs::orgs(&state.pool, &scope, user.org_id).await?))
}

fn valid_org_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// An org name, trimmed, 1–100 characters.
fn org_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ErrorCode::InvalidOrgName.into());
    }
    Ok(name.to_owned())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateOrgRequest {
    /// The new org sits one level below this one; a sub-branch (level 3) takes none.
    pub parent_id: Uuid,
    #[schema(example = "SB0103", pattern = "^[0-9A-Za-z_-]{1,32}$")]
    pub code: String,
    #[schema(example = "城东开发区支行", min_length = 1, max_length = 100)]
    pub name: String,
}

/// Add an org under one within the caller's data scope (audited).
#[utoipa::path(post, path = "/api/v1/system/orgs", tag = "system", request_body = CreateOrgRequest, responses(
    (status = 201, body = Created),
    (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1001 parent out of scope"),
    (status = 409, body = crate::error::ErrorBody, description = "QY-SYS-1015 code taken, QY-SYS-1016 under a sub-branch"),
    (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1013 code, QY-SYS-1014 name"),
))]
pub async fn create_org(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::OrgCreate>,
    Json(request): Json<CreateOrgRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    if !valid_org_code(&request.code) {
        return Err(ErrorCode::InvalidOrgCode.into());
    }
    let name = org_name(&request.name)?;
    let scope = scope_of(&state.pool, user.id).await?;
    let new = NewOrg {
        parent_id: request.parent_id,
        code: request.code,
        name,
    };
    let id = orgs::create_org(
        &state.pool,
        &scope,
        actor(&user, peer),
        new,
        state.clock.now(),
    )
    .await?
    .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateOrgRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// Rename an org within the caller's data scope (audited before/after). Orgs are not moved.
#[utoipa::path(put, path = "/api/v1/system/orgs/{id}", tag = "system",
    params(("id" = Uuid, Path)), request_body = UpdateOrgRequest,
    responses(
        (status = 204, description = "Renamed"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1001 out of scope"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1014 name"),
    ))]
pub async fn update_org(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::OrgUpdate>,
    Path(id): Path<Uuid>,
    Json(request): Json<UpdateOrgRequest>,
) -> Result<StatusCode, ApiError> {
    let name = org_name(&request.name)?;
    let scope = scope_of(&state.pool, user.id).await?;
    orgs::rename_org(
        &state.pool,
        &scope,
        actor(&user, peer),
        id,
        &name,
        state.clock.now(),
    )
    .await?
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}
