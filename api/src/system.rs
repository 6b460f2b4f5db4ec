//! 系统管理 (SYS-1): system information, the org tree (cut to the caller's data scope), the code
//! lists and the security parameters — every change audited in its own transaction.

use crate::AppState;
use crate::error::{ApiError, ErrorCode, Lang};
use crate::extract::{Json, Path};
use crate::identity::auth::{CurrentUser, SteppedUp, actor};
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::identity::scope::scope_of;
use quanyi_activities::store::Cached;
use quanyi_activities::system::{self, NewOrg, Refusal};
use quanyi_activities::{dictionaries, parameters};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SystemInfo {
    pub version: &'static str,
    /// The Temporal Web UI, for engineers.
    pub temporal_ui_url: Option<String>,
}

/// Version and links for the status page.
#[utoipa::path(get, path = "/api/v1/system/info", tag = "system", responses(
    (status = 200, body = SystemInfo),
    (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0001"),
))]
pub async fn info(State(state): State<AppState>, _user: CurrentUser) -> Json<SystemInfo> {
    Json(SystemInfo {
        version: env!("CARGO_PKG_VERSION"),
        temporal_ui_url: state.settings.temporal_ui_url.clone(),
    })
}

fn refusal(r: Refusal) -> ApiError {
    ApiError::from(match r {
        Refusal::OutOfScope => ErrorCode::OutOfScope,
        Refusal::OrgCodeTaken => ErrorCode::OrgCodeTaken,
        Refusal::SubBranchHasNoChildren => ErrorCode::SubBranchHasNoChildren,
    })
}

/// The orgs within the caller's data scope, parents before children.
#[utoipa::path(get, path = "/api/v1/system/orgs", tag = "system", responses(
    (status = 200, body = Vec<system::Org>),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn orgs(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::OrgView>,
) -> Result<Json<Vec<system::Org>>, ApiError> {
    let scope = scope_of(&state.pool, user.id).await?;
    Ok(Json(system::orgs(&state.pool, &scope, user.org_id).await?))
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: Uuid,
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
    let id = system::create_org(
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
    system::rename_org(
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

/// 参数设置: the security parameters in force (the read is audited).
#[utoipa::path(get, path = "/api/v1/system/parameters", tag = "system", responses(
    (status = 200, body = Vec<parameters::Parameter>),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn parameters(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ParameterView>,
    lang: Lang,
) -> Result<Json<Vec<parameters::Parameter>>, ApiError> {
    let list = parameters::list(
        &state.pool,
        state.caches.defaults(),
        lang == Lang::En,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?;
    Ok(Json(list))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateParameterRequest {
    pub value: i64,
}

/// Change a security parameter (within its range; re-authentication first; audited before/after).
#[utoipa::path(put, path = "/api/v1/system/parameters/{key}", tag = "system",
    params(("key" = String, Path)), request_body = UpdateParameterRequest,
    responses(
        (status = 204, description = "Changed; in force at once"),
        (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003, QY-AUTH-0011 re-authenticate first"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1008"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1009 out of range"),
    ))]
pub async fn update_parameter(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ParameterUpdate>,
    _: SteppedUp,
    Path(key): Path<String>,
    Json(request): Json<UpdateParameterRequest>,
) -> Result<StatusCode, ApiError> {
    let outcome = parameters::update(
        &state.pool,
        state.caches.defaults(),
        &key,
        request.value,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?;
    state.caches.invalidate(Cached::Parameters);
    match outcome {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(parameters::Refusal::UnknownKey) => Err(ErrorCode::UnknownParameter.into()),
        Err(parameters::Refusal::OutOfRange) => Err(ErrorCode::ParameterOutOfRange.into()),
    }
}

/// 码值: every code list with its items, for labels anywhere in the UI.
#[utoipa::path(get, path = "/api/v1/system/dictionaries", tag = "system", responses(
    (status = 200, body = Vec<dictionaries::Dictionary>),
    (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0001"),
))]
pub async fn dictionaries(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<dictionaries::Dictionary>>, ApiError> {
    Ok(Json(state.caches.dictionaries(&state.pool).await?.to_vec()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PutDictionaryItemRequest {
    #[schema(min_length = 1, max_length = 50)]
    pub label_zh: String,
    #[schema(min_length = 1, max_length = 100)]
    pub label_en: String,
    pub sort: i32,
    pub enabled: bool,
}

/// Add or change one item of a dynamic code list (audited with before and after).
#[utoipa::path(put, path = "/api/v1/system/dictionaries/{type}/{code}", tag = "system",
    params(("type" = String, Path), ("code" = String, Path)), request_body = PutDictionaryItemRequest,
    responses(
        (status = 204, description = "Saved"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1010"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-SYS-1011 static list"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1012"),
    ))]
pub async fn put_dictionary_item(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::DictionaryUpdate>,
    Path((type_code, code)): Path<(String, String)>,
    Json(request): Json<PutDictionaryItemRequest>,
) -> Result<StatusCode, ApiError> {
    let code_ok = (1..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !code.starts_with('_');
    let zh = request.label_zh.trim().to_owned();
    let en = request.label_en.trim().to_owned();
    if !code_ok
        || !(1..=50).contains(&zh.chars().count())
        || !(1..=100).contains(&en.chars().count())
        || type_code.len() > 32
    {
        return Err(ErrorCode::InvalidDictionaryItem.into());
    }
    let item = dictionaries::Item {
        code,
        label_zh: zh,
        label_en: en,
        sort: request.sort,
        enabled: request.enabled,
    };
    let outcome = dictionaries::put(
        &state.pool,
        &type_code,
        item,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?;
    state.caches.invalidate(Cached::Dictionaries);
    match outcome {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(dictionaries::Refusal::UnknownType) => Err(ErrorCode::UnknownDictionary.into()),
        Err(dictionaries::Refusal::Builtin) => Err(ErrorCode::BuiltinDictionary.into()),
    }
}
