//! Q支付, the bank's acquiring platform (INT-3, docs/qpay.md): Alipay, WeChat Pay and e-CNY
//! behind one API. A payment order per mall order (its pay number is the order number), the
//! customer pays on Q支付's page, Q支付 calls back; an active query settles an order whose callback
//! never came, and a close stops an unpaid order from being paid later. Requests and callbacks
//! are signed alike: HMAC-SHA256 over `mch_id \n timestamp \n nonce \n body` with the merchant
//! key. Every request and its answer, and every callback, is a row of 支付流水 (`qpay_flows`).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;

/// Where Q支付 is and who we are to it.
#[derive(Clone)]
pub struct QpayConfig {
    /// Q支付's base URL (`https://qpay.bank/…`; the simulator's in tests and `quanyi dev`).
    pub base_url: String,
    pub mch_id: String,
    pub key: SecretString,
    /// Where Q支付 calls back: our `/api/qpay/v1/notify`.
    pub notify_url: String,
}

/// The signature of `body` sent at `timestamp` with `nonce`, in hex.
pub fn sign(key: &str, mch_id: &str, timestamp: &str, nonce: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(format!("{mch_id}\n{timestamp}\n{nonce}\n").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` (hex) is `key`'s over the rest, compared in constant time.
pub fn verifies(
    key: &str,
    mch_id: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    let Ok(sig) = hex::decode(signature) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(format!("{mch_id}\n{timestamp}\n{nonce}\n").as_bytes());
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// How far a callback's timestamp may be from our clock.
pub const CALLBACK_TOLERANCE_SECONDS: i64 = 300;

/// A payment's state at Q支付.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradeStatus {
    Waiting,
    Paid,
    Closed,
    NotFound,
}

/// What a query answers.
#[derive(Debug, Clone, Deserialize)]
pub struct Trade {
    pub status: TradeStatus,
    pub trade_no: Option<String>,
    pub amount_fen: Option<i64>,
}

/// A callback's body (and a paid query's fields).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notice {
    pub pay_no: String,
    pub trade_no: String,
    pub amount_fen: i64,
    /// `PAID`
    pub status: String,
}

/// Why a call to Q支付 brought no answer we can act on.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("Q-pay did not answer: {0}")]
    Unreachable(String),
    #[error("Q-pay answered {0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// The client: signs requests, records each with its answer.
#[derive(Clone)]
pub struct Qpay {
    config: QpayConfig,
    http: reqwest::Client,
}

impl Qpay {
    pub fn new(config: QpayConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client");
        Self { config, http }
    }

    pub fn config(&self) -> &QpayConfig {
        &self.config
    }

    /// Whether a callback's headers and body are Q支付's.
    pub fn callback_verifies(
        &self,
        mch_id: &str,
        timestamp: &str,
        nonce: &str,
        body: &[u8],
        signature: &str,
        now: DateTime<Utc>,
    ) -> bool {
        let fresh = timestamp
            .parse::<i64>()
            .is_ok_and(|t| (now.timestamp() - t).abs() <= CALLBACK_TOLERANCE_SECONDS);
        fresh
            && mch_id == self.config.mch_id
            && verifies(
                self.config.key.expose_secret(),
                mch_id,
                timestamp,
                nonce,
                body,
                signature,
            )
    }

    /// POSTs `body` to `path`, signed, and records the request and its answer under `pay_no`.
    async fn call(
        &self,
        pool: &PgPool,
        operation: &str,
        pay_no: &str,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, CallError> {
        let raw = serde_json::to_vec(&body).expect("JSON");
        let timestamp = now.timestamp().to_string();
        let nonce: String = {
            let mut rng = rand::rng();
            (0..24)
                .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
                .collect()
        };
        let signature = sign(
            self.config.key.expose_secret(),
            &self.config.mch_id,
            &timestamp,
            &nonce,
            &raw,
        );
        let url = format!(
            "{}/qpay/v1/{operation}",
            self.config.base_url.trim_end_matches('/')
        );
        let sent = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("x-qpay-mch", &self.config.mch_id)
            .header("x-qpay-timestamp", &timestamp)
            .header("x-qpay-nonce", &nonce)
            .header("x-qpay-signature", signature)
            .body(raw)
            .send()
            .await;
        let (status, answer, outcome) = match sent {
            Err(e) => (None, None, Err(CallError::Unreachable(e.to_string()))),
            Ok(response) => {
                let status = response.status().as_u16();
                let answer: Option<Value> = response.json().await.ok();
                let outcome = match (&answer, status) {
                    (Some(a), 200) if a["code"] == "SUCCESS" => Ok(a.clone()),
                    (Some(a), 200) => Err(CallError::Refused(
                        a["code"].as_str().unwrap_or("?").to_owned(),
                    )),
                    _ => Err(CallError::Unreachable(format!("HTTP {status}"))),
                };
                (Some(i32::from(status)), answer, outcome)
            }
        };
        let label = match &outcome {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        record(
            pool,
            Some(pay_no),
            "out",
            operation,
            Some(&body),
            answer.as_ref(),
            status,
            &label,
            now,
        )
        .await?;
        outcome
    }

    /// Creates the payment order (a repeat of the same pay number answers the same); the page
    /// the customer pays on.
    pub async fn create(
        &self,
        pool: &PgPool,
        pay_no: &str,
        amount_fen: i64,
        subject: &str,
        expire_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<String, CallError> {
        let body = json!({
            "pay_no": pay_no,
            "amount_fen": amount_fen,
            "subject": subject,
            "notify_url": self.config.notify_url,
            "expire_at": expire_at.timestamp(),
        });
        let answer = self.call(pool, "payments", pay_no, body, now).await?;
        answer["pay_url"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| CallError::Refused("no pay_url".into()))
    }

    /// The payment's state at Q支付.
    pub async fn query(
        &self,
        pool: &PgPool,
        pay_no: &str,
        now: DateTime<Utc>,
    ) -> Result<Trade, CallError> {
        let answer = self
            .call(
                pool,
                "payments/query",
                pay_no,
                json!({ "pay_no": pay_no }),
                now,
            )
            .await?;
        serde_json::from_value(answer).map_err(|e| CallError::Refused(e.to_string()))
    }

    /// Closes an unpaid payment so it can no longer be paid; `Refused("ALREADY_PAID")` when the
    /// customer paid first.
    pub async fn close(
        &self,
        pool: &PgPool,
        pay_no: &str,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        self.call(
            pool,
            "payments/close",
            pay_no,
            json!({ "pay_no": pay_no }),
            now,
        )
        .await
        .map(drop)
    }
}

/// Appends a row to 支付流水.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    pool: &PgPool,
    pay_no: Option<&str>,
    direction: &str,
    operation: &str,
    request: Option<&Value>,
    answer: Option<&Value>,
    http_status: Option<i32>,
    outcome: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO qpay_flows (pay_no, direction, operation, request, answer, http_status,
                                 outcome, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        pay_no,
        direction,
        operation,
        request,
        answer,
        http_status,
        outcome,
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// One row of 支付流水.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Flow {
    pub id: i64,
    pub direction: String,
    pub operation: String,
    pub http_status: Option<i32>,
    pub outcome: String,
    pub at: DateTime<Utc>,
}

/// A payment's flows, oldest first.
pub async fn flows(pool: &PgPool, pay_no: &str) -> Result<Vec<Flow>, sqlx::Error> {
    sqlx::query_as!(
        Flow,
        "SELECT id, direction, operation, http_status, outcome, at FROM qpay_flows
          WHERE pay_no = $1 ORDER BY id",
        pay_no
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_over_what_it_signed() {
        let sig = sign("k", "M1", "1700000000", "n1", b"{}");
        assert!(verifies("k", "M1", "1700000000", "n1", b"{}", &sig));
        assert!(!verifies("k", "M1", "1700000000", "n1", b"{ }", &sig));
        assert!(!verifies("k2", "M1", "1700000000", "n1", b"{}", &sig));
        assert!(!verifies("k", "M1", "1700000001", "n1", b"{}", &sig));
        assert!(!verifies("k", "M1", "1700000000", "n1", b"{}", "zz"));
    }
}
