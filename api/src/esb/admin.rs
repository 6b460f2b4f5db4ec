//! 接口服务管理 for staff: the ESB consumers (registered with a secret shown once), the service
//! catalogue with the `retCode` table, and the message log.

use super::services::{CATALOGUE, Service};
use super::{RetCodeRow, code_table};
use crate::AppState;
use crate::auth::{SteppedUp, actor};
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Query, Valid, paging};
use crate::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use base64::Engine;
use chrono::{DateTime, Utc};
use quanyi_activities::esb::{self as store, ConsumerRow, Message, MessageFilter, NewConsumer};
use quanyi_activities::outbound::{self as outbound_store, OutboundRequest, RequestFilter};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConsumerList {
    pub items: Vec<ConsumerRow>,
}

/// 接入系统: the registered ESB consumers.
#[utoipa::path(get, path = "/api/v1/esb/consumers", tag = "esb",
    responses((status = 200, body = ConsumerList)))]
pub async fn consumers(
    State(state): State<AppState>,
    _: Authorized<perm::EsbConsumerManage>,
) -> Result<Json<ConsumerList>, ApiError> {
    Ok(Json(ConsumerList {
        items: store::consumers(&state.pool).await?,
    }))
}

fn consumer_code(code: &str) -> Result<(), ValidationError> {
    let ok = (3..=32).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("code"))
    }
}

fn known_services(services: &[String]) -> Result<(), ValidationError> {
    if services
        .iter()
        .all(|s| CATALOGUE.iter().any(|known| known.code == s))
    {
        Ok(())
    } else {
        Err(ValidationError::new("services"))
    }
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct RegisterConsumerRequest {
    #[schema(example = "gmp", pattern = "^[a-z][a-z0-9_-]{2,31}$")]
    #[validate(custom(function = "consumer_code", code = "QY-REQ-0002"))]
    pub code: String,
    #[validate(length(min = 1, max = 100, code = "QY-REQ-0002"))]
    pub name: String,
    /// Service codes it may call.
    #[validate(
        length(min = 1, max = 20, code = "QY-ESB-0003"),
        custom(function = "known_services", code = "QY-ESB-0003")
    )]
    pub services: Vec<String>,
    /// Addresses or networks (`10.1.2.0/24`) it may call from; none: any.
    #[validate(length(max = 50, code = "QY-ESB-0002"))]
    pub source_networks: Option<Vec<String>>,
    #[validate(range(min = 1, max = 100_000, code = "QY-REQ-0002"))]
    pub rate_per_second: i32,
    #[validate(range(min = 1, max = 100_000, code = "QY-REQ-0002"))]
    pub burst: i32,
    /// The staff user whose permissions and data scope its requests use.
    #[validate(length(min = 1, max = 32, code = "QY-ESB-0001"))]
    pub acting_username: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegisteredConsumer {
    pub id: Uuid,
    /// The signing secret, base64 of 32 bytes. Shown once; only its ciphertext is kept.
    pub secret: String,
}

/// Registers an ESB consumer; its secret is shown once. Step-up; audited.
#[utoipa::path(post, path = "/api/v1/esb/consumers", tag = "esb", request_body = RegisterConsumerRequest,
    responses(
        (status = 201, body = RegisteredConsumer),
        (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-1010 code taken"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-ESB-0001 acting user, 0002 network, 0003 service"),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::EsbConsumerManage>,
    _: SteppedUp,
    Valid(request): Valid<RegisterConsumerRequest>,
) -> Result<(StatusCode, Json<RegisteredConsumer>), ApiError> {
    let mut services = request.services;
    services.sort();
    services.dedup();
    let new = NewConsumer {
        code: request.code,
        name: request.name.trim().to_owned(),
        services,
        source_networks: request.source_networks.filter(|n| !n.is_empty()),
        rate_per_second: request.rate_per_second,
        burst: request.burst,
        acting_username: request.acting_username,
    };
    let (id, secret) = store::register(
        &state.pool,
        &state.settings.data_key,
        new,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(|r| match r {
        store::Refusal::CodeTaken => ErrorCode::ClientCodeTaken,
        store::Refusal::UnknownUser => ErrorCode::UnknownActingUser,
        store::Refusal::BadNetwork => ErrorCode::InvalidSourceNetwork,
    })?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredConsumer {
            id,
            secret: base64::engine::general_purpose::STANDARD.encode(secret),
        }),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceCatalogue {
    pub services: Vec<Service>,
    pub ret_codes: Vec<RetCodeRow>,
}

/// 服务目录: the services the gateway serves and its `retCode` table.
#[utoipa::path(get, path = "/api/v1/esb/services", tag = "esb",
    responses((status = 200, body = ServiceCatalogue)))]
pub async fn services(_: Authorized<perm::EsbConsumerManage>) -> Json<ServiceCatalogue> {
    Json(ServiceCatalogue {
        services: CATALOGUE.to_vec(),
        ret_codes: code_table(),
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MessageQuery {
    pub consumer: Option<String>,
    pub service: Option<String>,
    pub ret_code: Option<String>,
    /// The consumer's or our serial number.
    pub seq_no: Option<String>,
    /// Only the failures.
    pub failed: Option<bool>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessagePage {
    pub items: Vec<Message>,
    pub total: i64,
}

fn filled(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.len() <= 64)
}

/// 报文日志: every message, newest first, bodies masked.
#[utoipa::path(get, path = "/api/v1/esb/messages", tag = "esb", params(MessageQuery),
    responses((status = 200, body = MessagePage)))]
pub async fn messages(
    State(state): State<AppState>,
    _: Authorized<perm::EsbLogView>,
    Query(query): Query<MessageQuery>,
) -> Result<Json<MessagePage>, ApiError> {
    let (limit, offset) = paging(query.page, query.page_size)?;
    let filter = MessageFilter {
        consumer_code: filled(query.consumer),
        service_code: filled(query.service),
        ret_code: filled(query.ret_code),
        seq_no: filled(query.seq_no),
        failed_only: query.failed.unwrap_or(false),
        from: query.from,
        to: query.to,
    };
    let (items, total) = store::messages(&state.pool, &filter, limit, offset).await?;
    Ok(Json(MessagePage { items, total }))
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutboundTarget {
    Sms,
    Wechat,
    Esb,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboundOutcome {
    Ok,
    Refused,
    HttpError,
    Timeout,
    ConnectError,
    CircuitOpen,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OutboundQuery {
    #[param(inline)]
    pub target: Option<OutboundTarget>,
    #[param(inline)]
    pub outcome: Option<OutboundOutcome>,
    /// The calls that delivered one notice (通知记录's id).
    #[param(minimum = 1)]
    pub notification_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OutboundPage {
    pub items: Vec<OutboundRequest>,
    pub total: i64,
}

/// 外呼日志: every outbound call attempt (SMS platform, WeChat robot, ESB), newest first, bodies
/// masked.
#[utoipa::path(get, path = "/api/v1/esb/outbound", tag = "esb", params(OutboundQuery),
    responses((status = 200, body = OutboundPage)))]
pub async fn outbound(
    State(state): State<AppState>,
    _: Authorized<perm::EsbOutboundView>,
    Query(query): Query<OutboundQuery>,
) -> Result<Json<OutboundPage>, ApiError> {
    let (limit, offset) = paging(query.page, query.page_size)?;
    let filter = RequestFilter {
        target: query.target.map(|t| {
            match t {
                OutboundTarget::Sms => "sms",
                OutboundTarget::Wechat => "wechat",
                OutboundTarget::Esb => "esb",
            }
            .to_owned()
        }),
        outcome: query.outcome.map(|o| {
            match o {
                OutboundOutcome::Ok => "ok",
                OutboundOutcome::Refused => "refused",
                OutboundOutcome::HttpError => "http_error",
                OutboundOutcome::Timeout => "timeout",
                OutboundOutcome::ConnectError => "connect_error",
                OutboundOutcome::CircuitOpen => "circuit_open",
            }
            .to_owned()
        }),
        notification_id: query.notification_id,
        from: query.from,
        to: query.to,
    };
    let (items, total) = outbound_store::requests(&state.pool, &filter, limit, offset).await?;
    Ok(Json(OutboundPage { items, total }))
}
