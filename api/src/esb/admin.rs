//! 接口服务管理 for staff: the ESB consumers (registered with a secret shown once), the service
//! catalogue with the `retCode` table, and the message log.

use super::services::{CATALOGUE, Service};
use super::{RetCodeRow, code_table};
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Path, Query, Valid, ValidParts};
use crate::identity::auth::{SteppedUp, actor};
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use base64::Engine;
use chrono::{DateTime, Utc};
use quanyi_activities::esb::outbound::{self as outbound_store, OutboundRequest, RequestFilter};
use quanyi_activities::esb::{
    self as store, ConsumerRow, ConsumerTerms, MessageDetail, MessageFilter, MessageRow,
    NewConsumer,
};
use quanyi_activities::store::Cached;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::EsbConsumerManage>,
) -> Result<Json<ConsumerList>, ApiError> {
    let by = actor(&user, peer);
    Ok(Json(ConsumerList {
        items: store::consumers(&state.pool, state.clock.now(), by).await?,
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

/// An address (`10.1.2.3`) or a network (`10.1.2.0/24`, no host bits set, as PostgreSQL's
/// `cidr` takes it), IPv4 or IPv6.
fn network_ok(text: &str) -> bool {
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (text, None),
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return false;
    };
    let Some(prefix) = prefix else {
        return true;
    };
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(bits) = prefix.parse::<u32>() else {
        return false;
    };
    match ip {
        IpAddr::V4(a) => bits <= 32 && u32::from(a) & u32::MAX.checked_shr(bits).unwrap_or(0) == 0,
        IpAddr::V6(a) => {
            bits <= 128 && u128::from(a) & u128::MAX.checked_shr(bits).unwrap_or(0) == 0
        }
    }
}

fn valid_networks(networks: &[String]) -> Result<(), ValidationError> {
    if networks.iter().all(|n| network_ok(n.trim())) {
        Ok(())
    } else {
        Err(ValidationError::new("source_networks"))
    }
}

fn refusal(r: store::Refusal) -> ErrorCode {
    match r {
        store::Refusal::CodeTaken => ErrorCode::ClientCodeTaken,
        store::Refusal::UnknownUser => ErrorCode::UnknownActingUser,
        store::Refusal::PrivilegedUser => ErrorCode::PrivilegedActingUser,
        store::Refusal::BadNetwork => ErrorCode::InvalidSourceNetwork,
        store::Refusal::UnknownConsumer => ErrorCode::UnknownEsbConsumer,
    }
}

// One flat object, read as its two parts (`ConsumerCode`, `UpdateConsumerRequest`) so that every
// field at fault is named as the client sent it.
/// A new consumer: its code and its terms, as an edit takes them.
#[derive(utoipa::ToSchema)]
pub struct RegisterConsumerRequest {
    #[schema(example = "gmp", pattern = "^[a-z][a-z0-9_-]{2,31}$")]
    pub code: String,
    #[serde(flatten)]
    pub terms: UpdateConsumerRequest,
}

/// The new consumer's code.
#[derive(Deserialize, Validate)]
pub struct ConsumerCode {
    #[validate(custom(function = "consumer_code", code = "QY-REQ-0002"))]
    pub code: String,
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
        (status = 422, body = crate::error::ErrorBody, description = "QY-ESB-0001 acting user, 0002 network, 0003 service, 0004 rate, 0005 name"),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::EsbConsumerManage>,
    _: SteppedUp,
    ValidParts(code, terms): ValidParts<ConsumerCode, UpdateConsumerRequest>,
) -> Result<(StatusCode, Json<RegisteredConsumer>), ApiError> {
    let request = RegisterConsumerRequest {
        code: code.code,
        terms,
    };
    let terms = request.terms.into_terms();
    let new = NewConsumer {
        code: request.code,
        name: terms.name,
        services: terms.services,
        source_networks: terms.source_networks,
        rate_per_second: terms.rate_per_second,
        burst: terms.burst,
        acting_username: terms.acting_username,
    };
    let (id, secret) = store::register(
        &state.pool,
        &state.settings.data_key,
        new,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    state.caches.invalidate(Cached::ApiClients);
    Ok((
        StatusCode::CREATED,
        Json(RegisteredConsumer {
            id,
            secret: base64::engine::general_purpose::STANDARD.encode(secret),
        }),
    ))
}

/// A consumer's terms: everything but its code and secret.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct UpdateConsumerRequest {
    #[schema(example = "营销中台", min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-ESB-0005"))]
    pub name: String,
    /// Service codes it may call (of the catalogue).
    #[schema(example = json!(["process.query"]), min_items = 1, max_items = 20)]
    #[validate(
        length(min = 1, max = 20, code = "QY-ESB-0003"),
        custom(function = "known_services", code = "QY-ESB-0003")
    )]
    pub services: Vec<String>,
    /// Addresses or networks (`10.1.2.0/24`) it may call from; none or empty: any.
    #[schema(example = json!(["10.1.2.0/24"]), max_items = 50)]
    #[validate(
        length(max = 50, code = "QY-ESB-0002"),
        custom(function = "valid_networks", code = "QY-ESB-0002")
    )]
    pub source_networks: Option<Vec<String>>,
    /// Requests a second, sustained.
    #[schema(example = 50, minimum = 1, maximum = 100_000)]
    #[validate(range(min = 1, max = 100_000, code = "QY-ESB-0004"))]
    pub rate_per_second: i32,
    /// The most requests taken at once (the size of the limiter's bucket).
    #[schema(example = 100, minimum = 1, maximum = 100_000)]
    #[validate(range(min = 1, max = 100_000, code = "QY-ESB-0004"))]
    pub burst: i32,
    /// The staff user whose permissions and data scope its requests use.
    #[schema(example = "planner", min_length = 1, max_length = 32)]
    #[validate(length(min = 1, max = 32, code = "QY-ESB-0001"))]
    pub acting_username: String,
}

impl UpdateConsumerRequest {
    /// The terms as stored: the name trimmed, services sorted once each, networks trimmed, an
    /// empty network list none.
    fn into_terms(self) -> ConsumerTerms {
        let mut services = self.services;
        services.sort();
        services.dedup();
        let source_networks = self
            .source_networks
            .map(|n| n.iter().map(|n| n.trim().to_owned()).collect::<Vec<_>>())
            .filter(|n| !n.is_empty());
        ConsumerTerms {
            name: self.name.trim().to_owned(),
            services,
            source_networks,
            rate_per_second: self.rate_per_second,
            burst: self.burst,
            acting_username: self.acting_username,
        }
    }
}

/// Edits a consumer: name, allowlists, rate limit, acting user (the code and the secret stay).
/// The gateway uses the new terms at once. Step-up; audited with before and after.
#[utoipa::path(put, path = "/api/v1/esb/consumers/{id}", tag = "esb",
    params(("id" = Uuid, Path)), request_body = UpdateConsumerRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ESB-0006 no such consumer"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-ESB-0001 acting user, 0002 network, 0003 service, 0004 rate, 0005 name"),
    ))]
pub async fn update_consumer(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::EsbConsumerManage>,
    _: SteppedUp,
    Path(id): Path<Uuid>,
    Valid(request): Valid<UpdateConsumerRequest>,
) -> Result<StatusCode, ApiError> {
    store::update(
        &state.pool,
        id,
        request.into_terms(),
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    state.caches.invalidate(Cached::ApiClients);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConsumerStatusRequest {
    /// `false` disables the consumer: the gateway refuses it with `GW-C-0102`.
    pub active: bool,
}

/// Disables or re-enables a consumer, at once on the gateway. Audited.
#[utoipa::path(put, path = "/api/v1/esb/consumers/{id}/status", tag = "esb",
    params(("id" = Uuid, Path)), request_body = ConsumerStatusRequest,
    responses(
        (status = 204, description = "Changed (or already so)"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ESB-0006 no such consumer"),
    ))]
pub async fn set_consumer_status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::EsbConsumerManage>,
    Path(id): Path<Uuid>,
    Json(request): Json<ConsumerStatusRequest>,
) -> Result<StatusCode, ApiError> {
    store::set_status(
        &state.pool,
        id,
        request.active,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    state.caches.invalidate(Cached::ApiClients);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConsumerSecret {
    /// The new signing secret, base64 of 32 bytes. Shown once; the old one no longer signs.
    pub secret: String,
}

/// Gives a consumer a new secret, shown once; the old one is refused (`GW-C-0103`) from now on.
/// Step-up; audited.
#[utoipa::path(post, path = "/api/v1/esb/consumers/{id}/secret", tag = "esb",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ConsumerSecret),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ESB-0006 no such consumer"),
    ))]
pub async fn rotate_consumer_secret(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::EsbConsumerManage>,
    _: SteppedUp,
    Path(id): Path<Uuid>,
) -> Result<Json<ConsumerSecret>, ApiError> {
    let secret = store::rotate_secret(
        &state.pool,
        &state.settings.data_key,
        id,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    state.caches.invalidate(Cached::ApiClients);
    Ok(Json(ConsumerSecret {
        secret: base64::engine::general_purpose::STANDARD.encode(secret),
    }))
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
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessagePage {
    pub items: Vec<MessageRow>,
    pub total: i64,
}

fn filled(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.len() <= 64)
}

/// 报文日志: every message, newest first (the masked bodies: one message's detail).
#[utoipa::path(get, path = "/api/v1/esb/messages", tag = "esb", params(MessageQuery, Paging),
    responses((status = 200, body = MessagePage)))]
pub async fn messages(
    State(state): State<AppState>,
    _: Authorized<perm::EsbLogView>,
    paging: Paging,
    Query(query): Query<MessageQuery>,
) -> Result<Json<MessagePage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
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
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OutboundPage {
    pub items: Vec<OutboundRequest>,
    pub total: i64,
}

/// 外呼日志: every outbound call attempt (SMS platform, WeChat robot, ESB), newest first, bodies
/// masked.
#[utoipa::path(get, path = "/api/v1/esb/outbound", tag = "esb", params(OutboundQuery, Paging),
    responses((status = 200, body = OutboundPage)))]
pub async fn outbound(
    State(state): State<AppState>,
    _: Authorized<perm::EsbOutboundView>,
    paging: Paging,
    Query(query): Query<OutboundQuery>,
) -> Result<Json<OutboundPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
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

/// One message of the log with both envelopes, personal data masked.
#[utoipa::path(get, path = "/api/v1/esb/messages/{id}", tag = "esb",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = MessageDetail),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ESB-0007 no such message"),
    ))]
pub async fn message(
    State(state): State<AppState>,
    _: Authorized<perm::EsbLogView>,
    Path(id): Path<i64>,
) -> Result<Json<MessageDetail>, ApiError> {
    store::message(&state.pool, id)
        .await?
        .map(Json)
        .ok_or_else(|| ErrorCode::UnknownEsbMessage.into())
}

#[cfg(test)]
mod tests {
    use super::network_ok;

    #[test]
    fn source_networks_are_addresses_or_networks_without_host_bits() {
        for ok in [
            "10.1.2.3",
            "10.1.2.0/24",
            "0.0.0.0/0",
            "10.1.2.3/32",
            "::1",
            "2001:db8::/32",
        ] {
            assert!(network_ok(ok), "{ok}");
        }
        for bad in [
            "",
            "10.1.2",
            "10.1.2.3/24",
            "10.1.2.0/33",
            "10.1.2.0/",
            "10.1.2.0/+8",
            "10.1.2.0/24/1",
            "2001:db8::1/32",
            "example.com",
        ] {
            assert!(!network_ok(bad), "{bad}");
        }
    }
}
