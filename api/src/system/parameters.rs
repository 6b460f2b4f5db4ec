//! 参数设置 (SYS-2): the security parameters in force — the read audited — and changed within
//! their ranges behind step-up.

use crate::AppState;
use crate::error::{ApiError, ErrorCode, Lang};
use crate::extract::{Json, Path};
use crate::identity::auth::{SteppedUp, actor};
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::store::Cached;
use quanyi_activities::system::parameters;
use serde::Deserialize;
use std::net::SocketAddr;

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
