//! 码值 (SYS-2): every code list for labels anywhere in the UI, and the items of the dynamic lists
//! added or changed.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path};
use crate::identity::auth::{CurrentUser, actor};
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::store::Cached;
use quanyi_activities::system::dictionaries;
use serde::Deserialize;
use std::net::SocketAddr;

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
