//! Real HTTP peers for the outbound tests, each a small axum server on a random port that speaks
//! its documented protocol, keeps every request it receives, and can be told to fail:
//! the bank's SMS platform (`POST /sms/v1/send`, HMAC-signed, drops a repeated `msgId`), the
//! enterprise-WeChat group robot (`POST /cgi-bin/webhook/send?key=…`) and the ESB's outbound
//! endpoint (`POST /esb/outbound`, answers a repeated `consumerSeqNo` with its first answer), and
//! the core banking system's account enquiry behind the ESB (`POST /esb/core/account`: whether
//! an account number is held under the name given).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// The SMS platform's app id and key the tests configure.
pub const SMS_APP_ID: &str = "quanyi";
pub const SMS_APP_KEY: &str = "test-app-key";
/// The WeChat robot's key.
pub const WECHAT_KEY: &str = "robot-key-0001";

/// One request as the peer saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// What the peer accepted and acted on (an SMS sent, a message posted, a callback taken).
    accepted: Vec<Value>,
    /// Answers of the next requests, before any is accepted.
    fail_next: VecDeque<StatusCode>,
    fail_always: Option<StatusCode>,
    /// Ids seen (msgId, consumerSeqNo): a repeat is answered, not acted on again.
    seen: HashMap<String, Value>,
    /// The core's accounts: number → name.
    accounts: HashMap<String, String>,
}

type Shared = Arc<Mutex<Inner>>;

/// A running peer; dropped, it stops.
pub struct Peer {
    pub base: String,
    inner: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Peer {
    async fn start(router: Router<Shared>) -> Peer {
        let inner = Shared::default();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("bound"));
        let app = router.with_state(inner.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the peer serves");
        });
        Peer { base, inner, task }
    }

    /// The bank's SMS platform.
    pub async fn sms() -> Peer {
        Self::start(Router::new().route("/sms/v1/send", post(sms))).await
    }

    /// The enterprise-WeChat group robot.
    pub async fn wechat() -> Peer {
        Self::start(Router::new().route("/cgi-bin/webhook/send", post(wechat))).await
    }

    /// The ESB's endpoint for our outbound calls.
    pub async fn esb() -> Peer {
        Self::start(Router::new().route("/esb/outbound", post(esb))).await
    }

    /// The core banking system holding `accounts` (number, name).
    pub async fn core(accounts: &[(&str, &str)]) -> Peer {
        let peer = Self::start(Router::new().route("/esb/core/account", post(core_account))).await;
        peer.inner.lock().expect("peer").accounts = accounts
            .iter()
            .map(|(no, name)| ((*no).to_owned(), (*name).to_owned()))
            .collect();
        peer
    }

    pub fn core_url(&self) -> String {
        format!("{}/esb/core/account", self.base)
    }

    /// The robot's webhook URL, key included.
    pub fn webhook_url(&self) -> String {
        format!("{}/cgi-bin/webhook/send?key={WECHAT_KEY}", self.base)
    }

    pub fn esb_url(&self) -> String {
        format!("{}/esb/outbound", self.base)
    }

    /// The next `n` requests are answered with `status`.
    pub fn fail_next(&self, n: usize, status: StatusCode) {
        let mut inner = self.inner.lock().expect("peer");
        inner.fail_next.extend(std::iter::repeat_n(status, n));
    }

    /// Every request is answered with `status` until [`Peer::recover`].
    pub fn fail_always(&self, status: StatusCode) {
        self.inner.lock().expect("peer").fail_always = Some(status);
    }

    pub fn recover(&self) {
        self.inner.lock().expect("peer").fail_always = None;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("peer").received.clone()
    }

    pub fn accepted(&self) -> Vec<Value> {
        self.inner.lock().expect("peer").accepted.clone()
    }
}

fn record(
    inner: &Shared,
    query: HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Value, StatusCode> {
    let mut state = inner.lock().expect("peer");
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    state.received.push(Received {
        query,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect(),
        body: body.clone(),
    });
    if let Some(status) = state.fail_next.pop_front().or(state.fail_always) {
        return Err(status);
    }
    Ok(body)
}

/// Accepts `body` once per `id`: a repeat gets the first answer and is not acted on again.
fn once(inner: &Shared, id: &str, body: Value, answer: Value) -> Value {
    let mut state = inner.lock().expect("peer");
    if let Some(first) = state.seen.get(id) {
        return first.clone();
    }
    state.accepted.push(body);
    state.seen.insert(id.to_owned(), answer.clone());
    answer
}

async fn sms(
    State(inner): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let body = match record(&inner, query, &headers, &raw) {
        Ok(b) => b,
        Err(status) => return (status, "unavailable").into_response(),
    };
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SMS_APP_KEY.as_bytes()).expect("key");
    mac.update(format!("{}\n{}\n", header("x-app-id"), header("x-timestamp")).as_bytes());
    mac.update(&raw);
    if header("x-app-id") != SMS_APP_ID
        || hex::decode(header("x-signature"))
            .map(|sig| mac.verify_slice(&sig).is_err())
            .unwrap_or(true)
    {
        return axum::Json(json!({"code": "1001", "msg": "签名错误"})).into_response();
    }
    let complete = ["msgId", "mobile", "templateCode"]
        .iter()
        .all(|f| body[*f].as_str().is_some_and(|s| !s.is_empty()))
        && body["params"].is_object();
    if !complete {
        return axum::Json(json!({"code": "1002", "msg": "参数错误"})).into_response();
    }
    let id = body["msgId"].as_str().unwrap_or_default().to_owned();
    axum::Json(once(
        &inner,
        &id,
        body,
        json!({"code": "0000", "msg": "成功"}),
    ))
    .into_response()
}

async fn wechat(
    State(inner): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let key = query.get("key").cloned();
    let body = match record(&inner, query, &headers, &raw) {
        Ok(b) => b,
        Err(status) => return (status, "unavailable").into_response(),
    };
    if key.as_deref() != Some(WECHAT_KEY) {
        return axum::Json(json!({"errcode": 93000, "errmsg": "invalid webhook url"}))
            .into_response();
    }
    if body["msgtype"] != "text" || !body["text"]["content"].is_string() {
        return axum::Json(json!({"errcode": 40008, "errmsg": "invalid message type"}))
            .into_response();
    }
    inner.lock().expect("peer").accepted.push(body);
    axum::Json(json!({"errcode": 0, "errmsg": "ok"})).into_response()
}

async fn core_account(
    State(inner): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let body = match record(&inner, query, &headers, &raw) {
        Ok(b) => b,
        Err(status) => return (status, "unavailable").into_response(),
    };
    let number = body["body"]["accountNo"].as_str().unwrap_or_default();
    let name = body["body"]["accountName"].as_str().unwrap_or_default();
    let mut state = inner.lock().expect("peer");
    let answer = match state.accounts.get(number) {
        Some(held) if held == name => json!({"retCode": "000000", "match": true}),
        Some(_) => json!({"retCode": "000000", "match": false, "reason": "户名与账号不符"}),
        None => json!({"retCode": "000000", "match": false, "reason": "账号不存在"}),
    };
    state.accepted.push(body);
    axum::Json(answer).into_response()
}

async fn esb(
    State(inner): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let body = match record(&inner, query, &headers, &raw) {
        Ok(b) => b,
        Err(status) => return (status, "unavailable").into_response(),
    };
    let head = &body["sysHead"];
    let complete = [
        "serviceCode",
        "consumerId",
        "consumerSeqNo",
        "providerId",
        "tranDate",
        "tranTime",
    ]
    .iter()
    .all(|f| head[*f].as_str().is_some_and(|s| !s.is_empty()))
        && body["body"].is_object();
    let mut answer_head = head.clone();
    if !complete {
        answer_head["retCode"] = "GW-C-0004".into();
        answer_head["retMsg"] = "sysHead 字段缺失或格式不正确".into();
        return axum::Json(json!({"sysHead": answer_head, "body": {}})).into_response();
    }
    answer_head["retCode"] = "000000".into();
    answer_head["retMsg"] = "交易成功".into();
    let id = format!(
        "{}/{}",
        head["consumerId"].as_str().unwrap_or_default(),
        head["consumerSeqNo"].as_str().unwrap_or_default()
    );
    let answer = json!({"sysHead": answer_head, "appHead": {}, "body": {}});
    axum::Json(once(&inner, &id, body, answer)).into_response()
}

/// The Q-pay merchant id and key the tests configure.
pub const QPAY_MCH_ID: &str = "QY0001";
pub const QPAY_KEY: &str = "qpay-test-key";

/// One payment order as the simulator keeps it.
#[derive(Debug, Clone)]
pub struct SimPayment {
    pub pay_no: String,
    pub amount_fen: i64,
    pub notify_url: String,
    /// `WAITING`, `PAID` or `CLOSED`.
    pub status: String,
    pub trade_no: Option<String>,
    /// How many create requests named it (a repeat answers the same).
    pub creates: usize,
}

#[derive(Default)]
struct QpayInner {
    payments: HashMap<String, SimPayment>,
    /// Answers of the next API requests (503, …), before anything is done.
    fail_next: VecDeque<StatusCode>,
    /// The next API requests hang past the client's timeout.
    hang_next: usize,
    /// Requests that reached the simulator, by operation.
    calls: Vec<String>,
    trades: u64,
    /// Seconds added to the simulator's clock when it signs a callback (to follow an app on a
    /// hand-moved clock).
    skew: i64,
}

type QpayShared = Arc<Mutex<QpayInner>>;

/// Q支付's simulator (docs/qpay.md): a real HTTP peer that keeps payment orders, checks our
/// signatures, pays or fails on command, loses or duplicates callbacks, answers 503 or hangs.
pub struct QpaySim {
    pub base: String,
    inner: QpayShared,
    http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for QpaySim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn qpay_sign(body: &[u8], timestamp: &str, nonce: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(QPAY_KEY.as_bytes()).expect("key");
    mac.update(format!("{QPAY_MCH_ID}\n{timestamp}\n{nonce}\n").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn qpay_signed(headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    header("x-qpay-mch") == QPAY_MCH_ID
        && header("x-qpay-signature")
            == qpay_sign(body, header("x-qpay-timestamp"), header("x-qpay-nonce"))
}

impl QpaySim {
    pub async fn start() -> QpaySim {
        use axum::routing::get;
        let inner = QpayShared::default();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("bound"));
        let app = Router::new()
            .route("/qpay/v1/{*operation}", post(qpay_api))
            .route("/qpay/pay/{pay_no}", get(qpay_page))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the simulator serves");
        });
        QpaySim {
            base,
            inner,
            http: reqwest::Client::new(),
            task,
        }
    }

    pub fn payment(&self, pay_no: &str) -> Option<SimPayment> {
        self.inner
            .lock()
            .expect("sim")
            .payments
            .get(pay_no)
            .cloned()
    }

    /// Money the simulator took: the sum of paid payments.
    pub fn paid_total(&self) -> i64 {
        let inner = self.inner.lock().expect("sim");
        inner
            .payments
            .values()
            .filter(|p| p.status == "PAID")
            .map(|p| p.amount_fen)
            .sum()
    }

    /// The operations called so far (`payments`, `payments/query`, …).
    pub fn calls(&self) -> Vec<String> {
        self.inner.lock().expect("sim").calls.clone()
    }

    pub fn fail_next(&self, n: usize, status: StatusCode) {
        let mut inner = self.inner.lock().expect("sim");
        inner.fail_next.extend(std::iter::repeat_n(status, n));
    }

    /// Callbacks are signed `seconds` later than now.
    pub fn skew(&self, seconds: i64) {
        self.inner.lock().expect("sim").skew = seconds;
    }

    pub fn hang_next(&self, n: usize) {
        self.inner.lock().expect("sim").hang_next += n;
    }

    /// The customer pays on Q支付's page; the callback is not sent (see [`QpaySim::notify`]).
    /// False when the payment cannot be paid (unknown, closed).
    pub fn pay_silently(&self, pay_no: &str) -> bool {
        let mut inner = self.inner.lock().expect("sim");
        inner.trades += 1;
        let trade = format!("QP{:012}", inner.trades);
        match inner.payments.get_mut(pay_no) {
            Some(p) if p.status == "WAITING" => {
                p.status = "PAID".into();
                p.trade_no = Some(trade);
                true
            }
            Some(p) => p.status == "PAID",
            None => false,
        }
    }

    /// Sends the payment's callback (again, for a duplicate), signed; the app's HTTP status and
    /// answer.
    pub async fn notify(&self, pay_no: &str) -> (u16, Value) {
        let p = self.payment(pay_no).expect("a payment the simulator knows");
        let body = json!({
            "pay_no": p.pay_no,
            "trade_no": p.trade_no,
            "amount_fen": p.amount_fen,
            "status": p.status,
        });
        self.send_notice(&p.notify_url, &body).await
    }

    /// Sends `body` as a callback to `url`, signed as Q支付 signs.
    pub async fn send_notice(&self, url: &str, body: &Value) -> (u16, Value) {
        let raw = serde_json::to_vec(body).expect("JSON");
        let skew = self.inner.lock().expect("sim").skew;
        let timestamp = (chrono::Utc::now().timestamp() + skew).to_string();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let response = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("x-qpay-mch", QPAY_MCH_ID)
            .header("x-qpay-timestamp", &timestamp)
            .header("x-qpay-nonce", &nonce)
            .header("x-qpay-signature", qpay_sign(&raw, &timestamp, &nonce))
            .body(raw)
            .send()
            .await
            .expect("the app answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The customer pays and Q支付 calls back.
    pub async fn pay(&self, pay_no: &str) -> (u16, Value) {
        assert!(self.pay_silently(pay_no), "{pay_no} could not be paid");
        self.notify(pay_no).await
    }
}

async fn qpay_api(
    State(inner): State<QpayShared>,
    axum::extract::Path(operation): axum::extract::Path<String>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let hang = {
        let mut state = inner.lock().expect("sim");
        state.calls.push(operation.clone());
        if let Some(status) = state.fail_next.pop_front() {
            return (status, "unavailable").into_response();
        }
        let hang = state.hang_next > 0;
        state.hang_next = state.hang_next.saturating_sub(1);
        hang
    };
    if hang {
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    }
    if !qpay_signed(&headers, &raw) {
        return axum::Json(json!({"code": "SIGN_ERROR"})).into_response();
    }
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let pay_no = body["pay_no"].as_str().unwrap_or_default().to_owned();
    let mut state = inner.lock().expect("sim");
    let answer = match operation.as_str() {
        "payments" => {
            let amount = body["amount_fen"].as_i64().unwrap_or(0);
            let notify_url = body["notify_url"].as_str().unwrap_or_default().to_owned();
            if pay_no.is_empty() || amount <= 0 || notify_url.is_empty() {
                json!({"code": "PARAM_ERROR"})
            } else {
                let p = state
                    .payments
                    .entry(pay_no.clone())
                    .or_insert_with(|| SimPayment {
                        pay_no: pay_no.clone(),
                        amount_fen: amount,
                        notify_url,
                        status: "WAITING".into(),
                        trade_no: None,
                        creates: 0,
                    });
                p.creates += 1;
                if p.amount_fen == amount {
                    json!({"code": "SUCCESS", "pay_no": pay_no, "pay_url": format!("/qpay/pay/{pay_no}")})
                } else {
                    json!({"code": "DUPLICATE_PAY_NO"})
                }
            }
        }
        "payments/query" => match state.payments.get(&pay_no) {
            Some(p) => json!({
                "code": "SUCCESS", "pay_no": pay_no, "status": p.status,
                "trade_no": p.trade_no, "amount_fen": p.amount_fen,
            }),
            None => json!({"code": "SUCCESS", "pay_no": pay_no, "status": "NOT_FOUND"}),
        },
        "payments/close" => match state.payments.get_mut(&pay_no) {
            Some(p) if p.status == "PAID" => json!({"code": "ALREADY_PAID"}),
            Some(p) => {
                p.status = "CLOSED".into();
                json!({"code": "SUCCESS"})
            }
            None => json!({"code": "SUCCESS"}),
        },
        _ => json!({"code": "UNKNOWN_OPERATION"}),
    };
    axum::Json(answer).into_response()
}

/// The page a customer pays on (dev and browser tests follow its link).
async fn qpay_page(
    State(inner): State<QpayShared>,
    axum::extract::Path(pay_no): axum::extract::Path<String>,
) -> Response {
    let state = inner.lock().expect("sim");
    match state.payments.get(&pay_no) {
        Some(p) => axum::response::Html(format!(
            "<!doctype html><meta charset=utf-8><title>Q支付</title><h1>Q支付 收银台</h1>\
             <p>订单 {} 应付 ¥{}.{:02}（{}）</p>",
            p.pay_no,
            p.amount_fen / 100,
            p.amount_fen % 100,
            p.status
        ))
        .into_response(),
        None => (StatusCode::NOT_FOUND, "no such payment").into_response(),
    }
}
