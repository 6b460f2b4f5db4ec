//! 系统管理 (SYS-1): system information, the org tree, users and roles — every list cut to the
//! caller's data scope, every change audited in its own transaction.

use crate::AppState;
use crate::auth::{CurrentUser, SteppedUp, actor};
use crate::error::{ApiError, ErrorCode, Lang};
use crate::extract::{Json, Paging, Path, Query, Valid};
use crate::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::store::Cached;
use quanyi_activities::system::{self, NewOrg, NewUser, Refusal, UserFilter};
use quanyi_activities::{dictionaries, parameters};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

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
        Refusal::UsernameTaken => ErrorCode::UsernameTaken,
        Refusal::UnknownRole => ErrorCode::UnknownRole,
        Refusal::OwnAccount => ErrorCode::OwnAccount,
        Refusal::DutiesConflict => ErrorCode::DutiesConflict,
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
    let scope = system::scope_of(&state.pool, user.id).await?;
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
    let scope = system::scope_of(&state.pool, user.id).await?;
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
    let scope = system::scope_of(&state.pool, user.id).await?;
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
    pub items: Vec<system::UserRow>,
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
    let scope = system::scope_of(&state.pool, user.id).await?;
    let filter = UserFilter {
        org_id: query.org_id,
        keyword: query.q.filter(|q| !q.is_empty()),
        page: paging.page(),
        page_size: paging.page_size(),
    };
    let (items, total) = system::users(&state.pool, &scope, &filter, state.clock.now()).await?;
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

fn valid_display_name(name: &str) -> Result<(), ValidationError> {
    let name = name.trim();
    rule(!name.is_empty() && name.chars().count() <= 50)
}

fn valid_phone(phone: &str) -> Result<(), ValidationError> {
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

fn valid_username(name: &str) -> Result<(), ValidationError> {
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
    let scope = system::scope_of(&state.pool, user.id).await?;
    let new = NewUser {
        username: request.username,
        display_name: name.to_owned(),
        org_id: request.org_id,
        roles: request.roles,
        phone: request.phone,
        email: request.email,
    };
    let (user_id, temporary_password) = system::create_user(
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
    let scope = system::scope_of(&state.pool, user.id).await?;
    let temporary_password = system::reset_password(
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
    let scope = system::scope_of(&state.pool, user.id).await?;
    system::revoke_role(
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
    let scope = system::scope_of(&state.pool, user.id).await?;
    system::set_status(
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
    let scope = system::scope_of(&state.pool, user.id).await?;
    system::grant_role(
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

/// Every role with its data scope and permissions.
#[utoipa::path(get, path = "/api/v1/system/roles", tag = "system", responses(
    (status = 200, body = Vec<system::Role>),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn roles(
    State(state): State<AppState>,
    _: Authorized<perm::RoleView>,
) -> Result<Json<Vec<system::Role>>, ApiError> {
    Ok(Json(system::roles(&state.pool).await?))
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

/// SEC-6: a user's contact details in full. Each call is audited (who saw whose data, which
/// fields — never the values).
#[utoipa::path(get, path = "/api/v1/system/users/{id}/personal-data", tag = "system",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = system::PersonalData),
        (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003 without pii:user:unmask"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1001 out of scope"),
    ))]
pub async fn personal_data(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::UserUnmask>,
    Path(id): Path<Uuid>,
) -> Result<Json<system::PersonalData>, ApiError> {
    let scope = system::scope_of(&state.pool, user.id).await?;
    let data = system::personal_data(
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
    let scope = system::scope_of(&state.pool, user.id).await?;
    system::reset_totp(
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
