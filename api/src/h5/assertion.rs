//! The customer assertion mobile banking hands the H5 (docs/channel-api.md, 客户登录凭证): a
//! payload naming the customer, the audience `h5`, issue and expiry times and a nonce, signed by
//! a channel client with its channel-API key — the signature is the one that client would put on
//! `POST /api/h5/v1/sessions` with the payload as body, so the bank signs it with the code it
//! already has. Compact form: `<client code>.<payload, base64url>.<signature, hex>`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use quanyi_activities::benefits::clients;
use serde::{Deserialize, Serialize};

/// The path whose signed `POST` the assertion's signature is.
pub const EXCHANGE_PATH: &str = "/api/h5/v1/sessions";
/// The audience an assertion for the H5 names.
pub const AUDIENCE: &str = "h5";
/// The longest an assertion may live, from issue to expiry.
pub const MAX_LIFETIME_SECONDS: i64 = 300;
/// How far ahead of the server's clock an issue time may be.
pub const CLOCK_SKEW_SECONDS: i64 = 60;

/// What an assertion says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    pub aud: String,
    pub customer_no: String,
    /// Unix seconds.
    pub iat: i64,
    /// Unix seconds.
    pub exp: i64,
    /// 16–64 characters of `[A-Za-z0-9_-]`, never used twice by the client.
    pub nonce: String,
}

/// An assertion taken apart, its signature not yet checked.
#[derive(Debug)]
pub struct Assertion {
    pub client: String,
    pub payload: Payload,
    raw: Vec<u8>,
    signature: String,
}

/// Why an assertion is refused before any client is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    Malformed,
    WrongAudience,
    /// Expired, issued in the future, or living longer than [`MAX_LIFETIME_SECONDS`].
    NotValidNow,
}

fn valid_nonce(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Assertion {
    /// Takes `text` apart and checks its audience and times at `now`.
    pub fn parse(text: &str, now: DateTime<Utc>) -> Result<Assertion, Flaw> {
        let mut parts = text.split('.');
        let (Some(client), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Flaw::Malformed);
        };
        if client.is_empty() || client.len() > 32 || signature.len() != 64 {
            return Err(Flaw::Malformed);
        }
        let raw = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| Flaw::Malformed)?;
        let payload: Payload = serde_json::from_slice(&raw).map_err(|_| Flaw::Malformed)?;
        if !valid_nonce(&payload.nonce) {
            return Err(Flaw::Malformed);
        }
        if payload.aud != AUDIENCE {
            return Err(Flaw::WrongAudience);
        }
        let now = now.timestamp();
        let lifetime = payload.exp - payload.iat;
        if payload.exp <= now
            || payload.iat > now + CLOCK_SKEW_SECONDS
            || !(1..=MAX_LIFETIME_SECONDS).contains(&lifetime)
        {
            return Err(Flaw::NotValidNow);
        }
        Ok(Assertion {
            client: client.to_owned(),
            payload,
            raw,
            signature: signature.to_owned(),
        })
    }

    /// The bytes the signature covers: the channel API's string to sign for the exchange.
    fn message(&self) -> Vec<u8> {
        message(&self.payload, &self.raw)
    }

    /// Whether `verifies` (the client's key) holds the signature.
    pub fn signed_by(&self, verifies: impl FnOnce(&[u8], &str) -> bool) -> bool {
        verifies(&self.message(), &self.signature)
    }
}

fn message(payload: &Payload, raw: &[u8]) -> Vec<u8> {
    clients::string_to_sign(
        &payload.iat.to_string(),
        &payload.nonce,
        "POST",
        EXCHANGE_PATH,
        raw,
    )
}

/// An assertion of `client` for `payload`, signed by `sign` (the client's HMAC over a message).
pub fn make(client: &str, payload: &Payload, sign: impl FnOnce(&[u8]) -> String) -> String {
    let raw = serde_json::to_vec(payload).expect("a payload serializes");
    let signature = sign(&message(payload, &raw));
    format!("{client}.{}.{signature}", URL_SAFE_NO_PAD.encode(&raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"secret-secret-secret-secret-0123";
    const NOW: i64 = 1_764_144_000;

    fn payload(iat: i64, exp: i64) -> Payload {
        Payload {
            aud: AUDIENCE.into(),
            customer_no: "C10000001".into(),
            iat,
            exp,
            nonce: "n0nce-0123456789ab".into(),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(NOW, 0).unwrap()
    }

    fn signed(p: &Payload, secret: &[u8]) -> String {
        make("demo_mobile", p, |m| clients::sign(secret, m))
    }

    fn holds(text: &str) -> bool {
        let a = Assertion::parse(text, now()).unwrap();
        a.signed_by(|m, s| clients::sign(SECRET, m) == s)
    }

    #[test]
    fn a_fresh_assertion_parses_and_its_signature_holds() {
        let text = signed(&payload(NOW - 10, NOW + 120), SECRET);
        let a = Assertion::parse(&text, now()).unwrap();
        assert_eq!(a.client, "demo_mobile");
        assert_eq!(a.payload.customer_no, "C10000001");
        assert!(holds(&text));
        assert!(!holds(&signed(&payload(NOW - 10, NOW + 120), b"another")));
    }

    #[test]
    fn a_changed_payload_breaks_the_signature() {
        let text = signed(&payload(NOW - 10, NOW + 120), SECRET);
        let mut other = payload(NOW - 10, NOW + 120);
        other.customer_no = "C10000002".into();
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).unwrap());
        let parts: Vec<&str> = text.split('.').collect();
        let forged = format!("{}.{forged_body}.{}", parts[0], parts[2]);
        assert!(!holds(&forged));
    }

    #[test]
    fn times_audience_and_form_are_checked() {
        let parse = |text: &str| Assertion::parse(text, now()).map(|_| ());
        let expired = signed(&payload(NOW - 200, NOW), SECRET);
        assert_eq!(parse(&expired), Err(Flaw::NotValidNow));
        let future = signed(&payload(NOW + 61, NOW + 200), SECRET);
        assert_eq!(parse(&future), Err(Flaw::NotValidNow));
        let long = signed(&payload(NOW - 10, NOW + 291), SECRET);
        assert_eq!(parse(&long), Err(Flaw::NotValidNow));
        let mut audience = payload(NOW, NOW + 60);
        audience.aud = "esb".into();
        assert_eq!(parse(&signed(&audience, SECRET)), Err(Flaw::WrongAudience));
        let mut nonce = payload(NOW, NOW + 60);
        nonce.nonce = "short".into();
        assert_eq!(parse(&signed(&nonce, SECRET)), Err(Flaw::Malformed));
        for text in ["", "a.b", "a.b.c.d", "demo.!!!.00", "demo.e30.zz"] {
            assert_eq!(parse(text), Err(Flaw::Malformed), "{text}");
        }
    }
}
