//! The inbound ESB gateway `POST /esb/v1/{service_code}` (docs/esb.md, INT-1): the envelope
//! `{sysHead, appHead, body}`, signed consumers with service and source allowlists and a rate
//! limit, one answer per (consumer, serial number), the registry of services, the message log,
//! and the `retCode` table. Every answer is HTTP 200 with an envelope; `retCode` tells.

use crate::AppState;
use crate::error::{ApiError, ErrorCode, Lang};
use crate::extract::{Flaw, check, parse_parts, parse_valid};
use crate::signing::{self, Signer, Verified};
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use quanyi_activities::benefits::clients::{Client, ClientKind};
use quanyi_activities::esb::{self as store, Reservation};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

pub mod admin;
pub mod services;

/// The largest request the gateway reads: 100 KB, refused before parsing.
pub const MAX_REQUEST_BYTES: usize = 100 * 1024;

/// How long a repeat waits for the first request with its serial number to be answered.
const TWIN_WAIT: Duration = Duration::from_secs(30);

macro_rules! ret_codes {
    ($($variant:ident = $code:literal, $zh:literal, $en:literal;)*) => {
        /// Every `retCode` the gateway answers with: `000000`, or `source-direction-detail` —
        /// source `GW` the gateway, `BIZ` the service, `SYS` Quanyi itself; direction `C` the
        /// request must change (do not retry it as it is), `P` the provider failed (retry later
        /// with the same serial number). Codes are stable: never reuse or renumber one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RetCode { $($variant,)* }

        impl RetCode {
            pub const ALL: &'static [RetCode] = &[$(RetCode::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $(RetCode::$variant => $code,)* }
            }

            pub fn message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((RetCode::$variant, Lang::Zh) => $zh, (RetCode::$variant, Lang::En) => $en,)*
                }
            }
        }
    };
}

ret_codes! {
    Success = "000000", "交易成功", "Success";
    Charset = "GW-C-0001",
        "报文须为 UTF-8 编码的 JSON（Content-Type: application/json; charset=utf-8）",
        "The message must be UTF-8 JSON (Content-Type: application/json; charset=utf-8)";
    TooLarge = "GW-C-0002", "报文超过 100 KB", "The message is larger than 100 KB";
    MalformedEnvelope = "GW-C-0003",
        "报文不是合法的 JSON，或缺少 body 对象", "The message is not valid JSON, or has no body object";
    BadSysHead = "GW-C-0004",
        "sysHead 字段缺失或格式不正确（服务码、接入系统编号须与请求一致）",
        "A sysHead field is missing or malformed (service code and consumer id must match the request)";
    UnknownService = "GW-C-0005", "服务码不存在", "No such service code";
    BadText = "GW-C-0006",
        "报文头含有重复字段名或不允许的控制字符（详见 body.fields）",
        "A header names a field twice or holds a control character (see body.fields)";
    SignatureHeaderMissing = "GW-C-0101",
        "缺少或格式不正确的签名标头（X-Qy-Client、X-Qy-Timestamp、X-Qy-Nonce、X-Qy-Signature）",
        "A signing header is missing or malformed (X-Qy-Client, X-Qy-Timestamp, X-Qy-Nonce, X-Qy-Signature)";
    UnknownConsumer = "GW-C-0102", "接入系统不存在或已停用", "Unknown or disabled consumer";
    BadSignature = "GW-C-0103", "报文签名不正确", "The signature is wrong";
    StaleTimestamp = "GW-C-0104",
        "请求时间戳与服务器时间相差超过 5 分钟", "The timestamp is more than 5 minutes off";
    NonceReused = "GW-C-0105", "请求随机数已使用过（疑似重放）", "The nonce was used before (a replay?)";
    ServiceNotAllowed = "GW-C-0106", "接入系统无权调用该服务", "This consumer may not call this service";
    SourceNotAllowed = "GW-C-0107", "请求来源地址不在接入系统的白名单内", "The source address is not on the consumer's allowlist";
    RateLimited = "GW-C-0108", "请求过于频繁，超过接入系统的限流", "Too many requests for this consumer's rate limit";
    SerialReused = "GW-C-0201",
        "流水号已用于内容不同的请求", "The serial number was used for a request with another body";
    SerialInProgress = "GW-P-0202",
        "同一流水号的请求仍在处理中，请稍后以同一流水号重试",
        "A request with this serial number is still being processed; retry later with the same serial number";
    InvalidBody = "BIZ-C-0001",
        "body 字段缺失或格式不正确（详见 body.fields）", "A body field is missing or malformed (see body.fields)";
    UnknownBusinessKey = "BIZ-C-0002",
        "业务流程不存在或已结束", "No such process, or it has ended";
    BusinessRefused = "BIZ-C-0003",
        "业务规则不允许此交易（详见 body.code）", "The business rules refuse this (see body.code)";
    Internal = "SYS-P-0001", "系统内部错误，请稍后以同一流水号重试", "Internal error; retry later with the same serial number";
    DatabaseUnavailable = "SYS-P-0002", "数据库暂不可用，请稍后以同一流水号重试", "The database is unavailable; retry later with the same serial number";
    TemporalUnavailable = "SYS-P-0003", "流程引擎暂不可用，请稍后以同一流水号重试", "The workflow engine is unavailable; retry later with the same serial number";
}

impl RetCode {
    /// Whether the provider failed: the serial number is given back so a retry runs anew.
    pub fn is_provider_failure(self) -> bool {
        self.code().contains("-P-")
    }
}

/// A service's refusal: its `retCode` and what `body` says of it.
#[derive(Debug)]
pub struct Refusal {
    pub code: RetCode,
    pub body: Value,
}

impl From<RetCode> for Refusal {
    fn from(code: RetCode) -> Self {
        Refusal {
            code,
            body: json!({}),
        }
    }
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        let code = match e.code {
            ErrorCode::Internal | ErrorCode::CustomerKeysMissing => RetCode::Internal,
            ErrorCode::DatabaseUnavailable => RetCode::DatabaseUnavailable,
            ErrorCode::TemporalUnavailable => RetCode::TemporalUnavailable,
            ErrorCode::UnknownProcess | ErrorCode::UnknownCampaign => RetCode::UnknownBusinessKey,
            _ if !e.fields.is_empty() => RetCode::InvalidBody,
            ErrorCode::MalformedJson | ErrorCode::InvalidBody => RetCode::InvalidBody,
            _ => RetCode::BusinessRefused,
        };
        let mut body = Map::new();
        if matches!(code, RetCode::InvalidBody | RetCode::BusinessRefused) {
            body.insert("code".into(), e.code.code().into());
            body.insert("message".into(), e.code.message(Lang::Zh).into());
        }
        if !e.fields.is_empty() {
            body.insert(
                "fields".into(),
                e.fields
                    .iter()
                    .map(|f| json!({"field": f.field, "code": f.code.code()}))
                    .collect(),
            );
        }
        Refusal {
            code,
            body: Value::Object(body),
        }
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(e: sqlx::Error) -> Self {
        ApiError::from(e).into()
    }
}

/// Per-consumer token buckets (`governor`). Kept in each API replica: with N replicas behind
/// the ESB a consumer gets up to N times its rate, which the limit's configuration allows for.
#[derive(Default)]
pub struct Limits {
    buckets: Mutex<HashMap<Uuid, Bucket>>,
}

/// A consumer's limiter with the rate and burst it was made for.
type Bucket = (u32, u32, Arc<DefaultDirectRateLimiter>);

impl Limits {
    /// Whether consumer `id` may make one more request now at `rate`/s with `burst`.
    fn admit(&self, id: Uuid, rate: u32, burst: u32) -> bool {
        let limiter = {
            let mut buckets = self.buckets.lock().expect("limits lock");
            let entry = buckets
                .entry(id)
                .or_insert_with(|| (0, 0, new_limiter(rate, burst)));
            if (entry.0, entry.1) != (rate, burst) {
                *entry = (rate, burst, new_limiter(rate, burst));
            }
            entry.2.clone()
        };
        limiter.check().is_ok()
    }
}

fn new_limiter(rate: u32, burst: u32) -> Arc<DefaultDirectRateLimiter> {
    let rate = NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

/// The answer's sysHead: the request's own fields echoed, and ours.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SysHeadOut {
    pub service_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_id: Option<String>,
    /// The consumer's serial number 流水号, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_seq_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tran_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tran_time: Option<String>,
    /// Quanyi's serial number for this exchange.
    pub provider_seq_no: String,
    pub ret_code: String,
    pub ret_msg: String,
}

/// The request's sysHead as checked.
#[derive(Debug, Clone)]
pub struct SysHead {
    pub service_code: String,
    pub consumer_id: String,
    pub consumer_seq_no: String,
    pub tran_date: String,
    pub tran_time: String,
}

fn seq_no_ok(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl SysHead {
    fn parse(map: &Map<String, Value>) -> Option<SysHead> {
        let head = SysHead {
            service_code: text(map, "serviceCode")?,
            consumer_id: text(map, "consumerId")?,
            consumer_seq_no: text(map, "consumerSeqNo")?,
            tran_date: text(map, "tranDate")?,
            tran_time: text(map, "tranTime")?,
        };
        let ok = seq_no_ok(&head.consumer_seq_no)
            && head.tran_date.len() == 8
            && NaiveDate::parse_from_str(&head.tran_date, "%Y%m%d").is_ok()
            && head.tran_time.len() == 6
            && NaiveTime::parse_from_str(&head.tran_time, "%H%M%S").is_ok();
        ok.then_some(head)
    }
}

/// Who calls, as a service sees it.
pub struct Caller {
    pub consumer_code: String,
    pub acting_user_id: Uuid,
    pub seq_no: String,
    pub peer: SocketAddr,
}

/// Our serial number: `QY` + UTC time to the second + 8 random hex digits.
fn provider_seq_no(now: DateTime<Utc>) -> String {
    format!(
        "QY{}{}",
        now.format("%Y%m%d%H%M%S"),
        &Uuid::new_v4().simple().to_string()[..8]
    )
}

/// What one request came to, for its answer and its log row.
struct Outcome {
    head: SysHeadOut,
    app_head: Option<Value>,
    body: Value,
    /// The bytes to answer with when already made: kept for this serial number.
    replay: Option<Vec<u8>>,
    /// Answered from an earlier request with the same serial number.
    replayed: bool,
    consumer_code: Option<String>,
    request: Option<Value>,
    /// The serial number this message reserved and ran under: its answer is kept with the log
    /// row (or, a provider failure, the serial number given back).
    owned: Option<Serial>,
}

/// A consumer's serial number.
struct Serial {
    client_id: Uuid,
    seq_no: String,
}

/// What is known of a request so far, whichever step ends it: for its answer and its log row.
struct Seen {
    lang: Lang,
    head: SysHeadOut,
    /// The consumer, once its signature held.
    consumer_code: Option<String>,
    /// The envelope, once read (or what stands for it in the log).
    request: Option<Value>,
    /// Its size in bytes: as declared until it is read.
    size: usize,
}

impl Seen {
    /// The answer's sysHead with `code`.
    fn head(&self, code: RetCode) -> SysHeadOut {
        SysHeadOut {
            ret_code: code.code().into(),
            ret_msg: code.message(self.lang).into(),
            ..self.head.clone()
        }
    }

    fn outcome(self, code: RetCode, body: Value) -> Outcome {
        Outcome {
            head: self.head(code),
            app_head: None,
            body,
            replay: None,
            replayed: false,
            consumer_code: self.consumer_code,
            request: self.request,
            owned: None,
        }
    }
}

/// A message past every check: what its service answered, or the first answer to its serial
/// number.
struct Ran {
    code: RetCode,
    app_head: Option<Value>,
    body: Value,
    /// The bytes kept for this serial number, which are the answer.
    replay: Option<Vec<u8>>,
    replayed: bool,
    /// The serial number it ran under; `None` for a repeat answered from the first.
    owned: Option<Serial>,
}

fn envelope_bytes(head: &SysHeadOut, app_head: Option<&Value>, body: &Value) -> Vec<u8> {
    let mut envelope = Map::new();
    envelope.insert(
        "sysHead".into(),
        serde_json::to_value(head).expect("sysHead serializes"),
    );
    if let Some(app_head) = app_head {
        envelope.insert("appHead".into(), app_head.clone());
    }
    envelope.insert("body".into(), body.clone());
    serde_json::to_vec(&Value::Object(envelope)).expect("an envelope serializes")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// `application/json`, with no charset or UTF-8.
fn utf8_json(headers: &HeaderMap) -> bool {
    let Some(value) = header(headers, header::CONTENT_TYPE.as_str()) else {
        return false;
    };
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset_ok = parts.all(|p| {
        let p = p.trim().to_ascii_lowercase();
        match p.strip_prefix("charset=") {
            Some(cs) => matches!(cs.trim_matches('"'), "utf-8" | "utf8"),
            None => true,
        }
    });
    mime == "application/json" && charset_ok
}

/// `POST /esb/v1/{service_code}`: checks, runs and logs one ESB message.
#[tracing::instrument(skip_all, fields(service = %service_code))]
pub async fn gateway(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(service_code): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let received_at = state.clock.now();
    let ours = provider_seq_no(received_at);
    let service_code =
        quanyi_activities::text::escape(&service_code.chars().take(64).collect::<String>());
    let seen = Seen {
        lang: Lang::from_headers(&headers),
        head: SysHeadOut {
            service_code: service_code.clone(),
            provider_seq_no: ours.clone(),
            ..SysHeadOut::default()
        },
        consumer_code: None,
        request: None,
        size: 0,
    };
    let incoming = Incoming {
        peer,
        service_code: &service_code,
        headers: &headers,
        ours: &ours,
    };
    let (outcome, request_bytes) = exchange(&state, &incoming, body, seen).await;
    let bytes = match &outcome.replay {
        Some(bytes) => bytes.clone(),
        None => envelope_bytes(&outcome.head, outcome.app_head.as_ref(), &outcome.body),
    };
    let (ret_code, ret_msg, provider) = match outcome.replay {
        Some(ref bytes) => {
            let first: Value = serde_json::from_slice(bytes).unwrap_or_default();
            let h = &first["sysHead"];
            (
                h["retCode"].as_str().unwrap_or_default().to_owned(),
                h["retMsg"].as_str().unwrap_or_default().to_owned(),
                h["providerSeqNo"].as_str().unwrap_or(&ours).to_owned(),
            )
        }
        None => (
            outcome.head.ret_code.clone(),
            outcome.head.ret_msg.clone(),
            ours.clone(),
        ),
    };
    let message = store::Message {
        received_at,
        latency_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
        service_code,
        consumer_code: outcome.consumer_code.clone(),
        consumer_seq_no: outcome.head.consumer_seq_no.clone(),
        provider_seq_no: provider,
        source_ip: Some(peer.ip().to_string()),
        ret_code: ret_code.clone(),
        ret_msg,
        replayed: outcome.replayed,
        request_bytes: i32::try_from(request_bytes).unwrap_or(i32::MAX),
        request_masked: outcome.request.as_ref().map(store::mask),
        response_masked: serde_json::from_slice::<Value>(&bytes)
            .ok()
            .map(|v| store::mask(&v)),
    };
    keep_and_log(
        &state,
        outcome.owned.as_ref(),
        outcome.replay.as_deref(),
        &message,
    )
    .await;
    tracing::info!(
        ret_code,
        latency_ms = message.latency_ms,
        consumer = message.consumer_code.as_deref().unwrap_or(""),
        "ESB message answered"
    );
    let mut response = (StatusCode::OK, Bytes::from(bytes)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    // Refused on size or charset, the body may be left unread and the server then drops the
    // connection: say so, or the consumer's next message on it fails mid-flight.
    if ret_code == RetCode::TooLarge.code() || ret_code == RetCode::Charset.code() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// What the gateway was sent, besides the body.
struct Incoming<'a> {
    peer: SocketAddr,
    /// The path's service code, escaped.
    service_code: &'a str,
    headers: &'a HeaderMap,
    /// Our serial number for this exchange.
    ours: &'a str,
}

/// An ESB consumer as its signature check found it: its client and its allowlists.
struct Consumer {
    client: Client,
    policy: store::Policy,
}

impl Signer for Consumer {
    fn verifies(&self, message: &[u8], signature: &str) -> bool {
        self.client.verifies(message, signature)
    }
}

impl From<signing::Refusal> for Refusal {
    fn from(refusal: signing::Refusal) -> Self {
        match refusal {
            signing::Refusal::HeaderMissing => RetCode::SignatureHeaderMissing,
            signing::Refusal::StaleTimestamp => RetCode::StaleTimestamp,
            signing::Refusal::UnknownSigner => RetCode::UnknownConsumer,
            signing::Refusal::BadSignature => RetCode::BadSignature,
            signing::Refusal::NonceReused => RetCode::NonceReused,
        }
        .into()
    }
}

/// One message, checked in the documented order (docs/esb.md): size, charset, signature headers,
/// timestamp, consumer, signature, source address, rate limit, nonce, envelope, `sysHead`,
/// service, allowlist, serial number — then its service, which checks the body. Returns the
/// outcome and the request's size.
async fn exchange(
    state: &AppState,
    incoming: &Incoming<'_>,
    body: Body,
    mut seen: Seen,
) -> (Outcome, usize) {
    let ran = steps(state, incoming, body, &mut seen).await;
    let size = seen.size;
    let outcome = match ran {
        Ok(ran) => Outcome {
            app_head: ran.app_head,
            replay: ran.replay,
            replayed: ran.replayed,
            owned: ran.owned,
            ..seen.outcome(ran.code, ran.body)
        },
        Err(refusal) => seen.outcome(refusal.code, refusal.body),
    };
    (outcome, size)
}

/// The checks and the service run of [`exchange`]; each step notes in `seen` what it learned of
/// the request, so a refusal at any step is answered and logged with it.
async fn steps(
    state: &AppState,
    incoming: &Incoming<'_>,
    body: Body,
    seen: &mut Seen,
) -> Result<Ran, Refusal> {
    let raw = read_body(incoming.headers, body, seen).await?;
    let now = state.clock.now();
    let Verified {
        signer: consumer,
        nonce,
    } = authenticate(state, incoming, &raw, now).await?;
    seen.consumer_code = Some(consumer.client.code.clone());
    admit(state, &consumer, nonce, now).await?;
    let envelope = open_envelope(&raw, seen)?;
    let (sys, service, body) = route(&envelope, incoming.service_code, &consumer)?;
    let reserved = reserve(state, &consumer, &sys, incoming, body).await?;
    if let Some(first) = reserved {
        return Ok(Ran {
            code: RetCode::Success,
            app_head: None,
            body: json!({}),
            replay: Some(first),
            replayed: true,
            owned: None,
        });
    }
    let caller = Caller {
        consumer_code: consumer.client.code.clone(),
        acting_user_id: consumer.policy.acting_user_id,
        seq_no: sys.consumer_seq_no,
        peer: incoming.peer,
    };
    let (code, body) = match services::run(state, service, &caller, body.clone()).await {
        Ok(body) => (RetCode::Success, body),
        Err(refusal) => (refusal.code, refusal.body),
    };
    let app_head = envelope.get("appHead").cloned();
    // the answer is exactly the bytes kept
    let replay = (!code.is_provider_failure())
        .then(|| envelope_bytes(&seen.head(code), app_head.as_ref(), &body));
    Ok(Ran {
        code,
        app_head,
        body,
        replay,
        replayed: false,
        owned: Some(Serial {
            client_id: consumer.client.id,
            seq_no: caller.seq_no,
        }),
    })
}

/// The message's bytes: at most [`MAX_REQUEST_BYTES`] (a larger declared size is refused before
/// a byte is read), UTF-8 JSON.
async fn read_body(headers: &HeaderMap, body: Body, seen: &mut Seen) -> Result<Bytes, Refusal> {
    seen.size = header(headers, header::CONTENT_LENGTH.as_str())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    if seen.size > MAX_REQUEST_BYTES {
        return Err(RetCode::TooLarge.into());
    }
    if !utf8_json(headers) {
        return Err(RetCode::Charset.into());
    }
    let Ok(raw) = to_bytes(body, MAX_REQUEST_BYTES).await else {
        seen.size = MAX_REQUEST_BYTES + 1;
        return Err(RetCode::TooLarge.into());
    };
    seen.size = raw.len();
    if std::str::from_utf8(&raw).is_err() {
        return Err(RetCode::Charset.into());
    }
    Ok(raw)
}

/// The consumer whose signature the message carries: the channel API's scheme
/// (docs/channel-api.md) over the path `/esb/v1/<service>`. An active client that is not an ESB
/// consumer is unknown here.
async fn authenticate(
    state: &AppState,
    incoming: &Incoming<'_>,
    raw: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified<Consumer>, Refusal> {
    let path = format!("/esb/v1/{}", incoming.service_code);
    let request = signing::Request {
        headers: incoming.headers,
        method: "POST",
        path: &path,
        body: raw,
    };
    let find = async |code: &str| -> Result<Option<Consumer>, sqlx::Error> {
        let key = &state.settings.data_key;
        let client = match state.caches.client(&state.pool, key, code).await? {
            Some(client) if client.kind == ClientKind::Esb => client,
            _ => return Ok(None),
        };
        let source = incoming.peer.ip().to_string();
        let policy = (state.caches)
            .esb_policy(&state.pool, client.id, &source)
            .await?;
        Ok(policy.map(|policy| Consumer { client, policy }))
    };
    Ok(signing::verify(&request, now, find).await??)
}

/// The consumer's own limits: its source addresses and its rate; then its nonce is spent.
async fn admit(
    state: &AppState,
    consumer: &Consumer,
    nonce: String,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if !consumer.policy.source_allowed {
        return Err(RetCode::SourceNotAllowed.into());
    }
    let (id, policy) = (consumer.client.id, &consumer.policy);
    if !state
        .esb_limits
        .admit(id, policy.rate_per_second, policy.burst)
    {
        return Err(RetCode::RateLimited.into());
    }
    Ok(signing::spend_now(&state.nonces, id, nonce, now).await??)
}

/// The envelope, read strictly: a flaw is answered with its field named, and logged with the
/// envelope as a lenient reader sees it (or, not JSON at all, by its hash). Once it is read, the
/// answer echoes what the consumer sent, whatever else is wrong.
fn open_envelope(raw: &[u8], seen: &mut Seen) -> Result<Map<String, Value>, Refusal> {
    if let Err(flaw) = check(raw) {
        seen.request = Some(
            serde_json::from_slice::<Value>(raw)
                .unwrap_or_else(|_| json!({"sha256": hex::encode(Sha256::digest(raw))})),
        );
        return Err(match flaw {
            Flaw::Malformed => RetCode::MalformedEnvelope.into(),
            Flaw::Field(mut field) => {
                let in_body = field.field.starts_with("body.");
                if in_body {
                    field.field = field.field["body.".len()..].to_owned();
                }
                let refusal = Refusal::from(ApiError::fields(vec![field]));
                Refusal {
                    code: if in_body {
                        refusal.code
                    } else {
                        RetCode::BadText
                    },
                    body: refusal.body,
                }
            }
        });
    }
    let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(raw) else {
        return Err(RetCode::MalformedEnvelope.into());
    };
    seen.request = Some(Value::Object(envelope.clone()));
    if let Some(sys) = envelope.get("sysHead").and_then(Value::as_object) {
        seen.head.consumer_id = text(sys, "consumerId");
        seen.head.consumer_seq_no = text(sys, "consumerSeqNo").filter(|s| seq_no_ok(s));
        seen.head.tran_date = text(sys, "tranDate");
        seen.head.tran_time = text(sys, "tranTime");
    }
    Ok(envelope)
}

/// The checked sysHead, which must name this service and consumer; the service, which the
/// consumer must be allowed; and the body.
fn route<'e>(
    envelope: &'e Map<String, Value>,
    service_code: &str,
    consumer: &Consumer,
) -> Result<(SysHead, &'static services::Service, &'e Value), Refusal> {
    let sys = envelope
        .get("sysHead")
        .and_then(Value::as_object)
        .and_then(SysHead::parse)
        .filter(|sys| sys.service_code == service_code && sys.consumer_id == consumer.client.code)
        .ok_or(RetCode::BadSysHead)?;
    let body = envelope
        .get("body")
        .filter(|b| b.is_object())
        .ok_or(RetCode::MalformedEnvelope)?;
    let service = services::find(service_code).ok_or(RetCode::UnknownService)?;
    if !consumer.policy.services.iter().any(|s| s == service_code) {
        return Err(RetCode::ServiceNotAllowed.into());
    }
    Ok((sys, service, body))
}

/// One answer per serial number: `None` when this message owns it and runs, else the first
/// answer's bytes. The body decides what a repeat is (serde_json keeps object keys sorted, so
/// key order and white space do not matter); a twin still running is waited for.
async fn reserve(
    state: &AppState,
    consumer: &Consumer,
    sys: &SysHead,
    incoming: &Incoming<'_>,
    body: &Value,
) -> Result<Option<Vec<u8>>, Refusal> {
    let service_code = incoming.service_code;
    let hash = Sha256::digest(
        serde_json::to_vec(&json!([service_code, body])).expect("a body serializes"),
    )
    .to_vec();
    let deadline = Instant::now() + TWIN_WAIT;
    loop {
        let reservation = store::reserve(
            &state.pool,
            consumer.client.id,
            &sys.consumer_seq_no,
            service_code,
            &hash,
            incoming.ours,
            state.clock.now(),
        )
        .await?;
        match reservation {
            Reservation::Owner => return Ok(None),
            Reservation::Answered(bytes) => return Ok(Some(bytes)),
            Reservation::OtherBody => return Err(RetCode::SerialReused.into()),
            Reservation::Pending if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Reservation::Pending => return Err(RetCode::SerialInProgress.into()),
        }
    }
}

/// Logs the message and, when it ran under its own serial number, keeps the answer's `bytes`
/// for it, so the first answer and its repeats are one — in one statement; without them (a
/// provider failure) gives the serial number back, so a retry runs anew.
async fn keep_and_log(
    state: &AppState,
    owned: Option<&Serial>,
    bytes: Option<&[u8]>,
    message: &store::Message,
) {
    let pool = &state.pool;
    let written = match (owned, bytes) {
        (Some(serial), Some(bytes)) => {
            let now = state.clock.now();
            store::answer_and_log(pool, serial.client_id, &serial.seq_no, bytes, now, message).await
        }
        (Some(serial), None) => {
            let ours = &message.provider_seq_no;
            if let Err(e) = store::release(pool, serial.client_id, &serial.seq_no, ours).await {
                tracing::error!(error = %e, "cannot give the ESB serial number back");
            }
            store::log(pool, message).await
        }
        (None, _) => store::log(pool, message).await,
    };
    if let Err(e) = written {
        tracing::error!(error = %e, "cannot keep the ESB answer or log the message");
    }
}

/// The code table as data (docs/esb.md and the admin UI show it).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetCodeRow {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

pub fn code_table() -> Vec<RetCodeRow> {
    RetCode::ALL
        .iter()
        .map(|c| RetCodeRow {
            code: c.code(),
            zh: c.message(Lang::Zh),
            en: c.message(Lang::En),
        })
        .collect()
}

/// Validates a service body like the API's JSON bodies (SEC-8), as a refusal.
pub fn body_of<T: serde::de::DeserializeOwned + validator::Validate>(
    body: &Value,
) -> Result<T, Refusal> {
    let bytes = serde_json::to_vec(body).expect("a value serializes");
    parse_valid(&bytes).map_err(Refusal::from)
}

/// [`body_of`] for a body read as two parts ([`parse_parts`]).
pub fn body_parts_of<A, B>(body: &Value) -> Result<(A, B), Refusal>
where
    A: serde::de::DeserializeOwned + validator::Validate,
    B: serde::de::DeserializeOwned + validator::Validate,
{
    let bytes = serde_json::to_vec(body).expect("a value serializes");
    parse_parts(&bytes).map_err(Refusal::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quanyi_activities::benefits::clients;
    use std::collections::HashSet;

    #[test]
    fn ret_codes_are_unique_and_three_segments() {
        let mut seen = HashSet::new();
        for c in RetCode::ALL {
            assert!(seen.insert(c.code()), "duplicate {}", c.code());
            if *c == RetCode::Success {
                continue;
            }
            let parts: Vec<&str> = c.code().split('-').collect();
            assert_eq!(parts.len(), 3, "{}", c.code());
            assert!(matches!(parts[0], "GW" | "BIZ" | "SYS"), "{}", c.code());
            assert!(matches!(parts[1], "C" | "P"), "{}", c.code());
            assert!(parts[2].len() == 4 && parts[2].bytes().all(|b| b.is_ascii_digit()));
        }
    }

    /// The table the bank's ESB team relies on: any change shows up in review.
    #[test]
    fn esb_ret_code_table() {
        let table: Vec<Value> = code_table()
            .into_iter()
            .map(|r| json!({"retCode": r.code, "zh-CN": r.zh, "en": r.en}))
            .collect();
        insta::assert_yaml_snapshot!(table);
    }

    /// docs/esb.md's worked example, checked once with the openssl command it shows.
    #[test]
    fn the_documented_signature_example_holds() {
        let doc = include_str!("../../../docs/esb.md");
        let body = r#"{"sysHead":{"serviceCode":"process.query","consumerId":"gmp","consumerSeqNo":"GMP20261126000001","tranDate":"20261126","tranTime":"083000"},"body":{"process_type":"campaign","business_key":"0b0f6c4e-5d1a-4c3e-9a51-2f1c7d7c9e01"}}"#;
        assert!(doc.contains(body), "the example body is the documented one");
        let message = clients::string_to_sign(
            "1764144000",
            "n0nce-0123456789ab",
            "POST",
            "/esb/v1/process.query",
            body.as_bytes(),
        );
        let signature = clients::sign(b"secret-secret-secret-secret-0123", &message);
        assert!(doc.contains(&signature), "docs/esb.md shows {signature}");
        for row in code_table() {
            assert!(
                doc.contains(&format!("`{}`", row.code)),
                "{} is documented",
                row.code
            );
        }
    }

    #[test]
    fn the_charset_must_be_utf8_json() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
            utf8_json(&h)
        };
        assert!(with("application/json"));
        assert!(with("application/json; charset=UTF-8"));
        assert!(!with("application/json; charset=GBK"));
        assert!(!with("text/plain"));
    }
}
