//! The signed-request check both signed doors share — the channel API (docs/channel-api.md) and
//! the ESB gateway (docs/esb.md): four headers, a timestamp within 5 minutes, the signer's secret
//! found by the door, and HMAC-SHA256 compared in constant time. Each door answers a refusal with
//! its own code and spends the nonce where its rules say.

use crate::error::ApiError;
use crate::nonces::NonceWriter;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use quanyi_activities::benefits::clients::{self, Client, TIMESTAMP_TOLERANCE_SECONDS};
use uuid::Uuid;

/// Why a signed request is refused, in the order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A signing header is missing or malformed.
    HeaderMissing,
    /// The timestamp is more than [`TIMESTAMP_TOLERANCE_SECONDS`] from the server's clock.
    StaleTimestamp,
    /// No active signer has the request's client code (for this door).
    UnknownSigner,
    BadSignature,
    /// The nonce was spent before: a replay.
    NonceReused,
}

/// A registered signer as a door finds it: a client, and whatever else the door looked up with it.
pub trait Signer {
    /// Whether `signature` (hex) is the signer's over `message`, compared in constant time.
    fn verifies(&self, message: &[u8], signature: &str) -> bool;
}

impl Signer for Client {
    fn verifies(&self, message: &[u8], signature: &str) -> bool {
        Client::verifies(self, message, signature)
    }
}

/// The parts of a request its signature covers.
pub struct Request<'a> {
    pub headers: &'a HeaderMap,
    pub method: &'a str,
    /// The path as the client sent and signed it (with its query string, if any).
    pub path: &'a str,
    pub body: &'a [u8],
}

/// A request whose signature holds: its signer and its nonce, not yet spent.
pub struct Verified<S> {
    pub signer: S,
    pub nonce: String,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// 16–64 characters of `[A-Za-z0-9_-]`.
fn valid_nonce(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The signing headers, each present and well formed.
struct Headers<'a> {
    client: &'a str,
    timestamp: &'a str,
    seconds: i64,
    nonce: &'a str,
    signature: &'a str,
}

impl<'a> Headers<'a> {
    fn read(headers: &'a HeaderMap) -> Option<Headers<'a>> {
        let client = header(headers, "x-qy-client")?;
        let timestamp = header(headers, "x-qy-timestamp")?;
        let nonce = header(headers, "x-qy-nonce")?;
        let signature = header(headers, "x-qy-signature")?;
        let seconds = timestamp.parse::<i64>().ok()?;
        (valid_nonce(nonce) && client.len() <= 32).then_some(Headers {
            client,
            timestamp,
            seconds,
            nonce,
            signature,
        })
    }
}

/// Checks `request`'s headers, timestamp and signature at `now`; `find` looks up the active
/// signer with the request's client code (`None`: unknown or not for this door) and is called
/// only for a request whose headers and timestamp pass.
pub async fn verify<S, E>(
    request: &Request<'_>,
    now: DateTime<Utc>,
    find: impl AsyncFnOnce(&str) -> Result<Option<S>, E>,
) -> Result<Result<Verified<S>, Refusal>, E>
where
    S: Signer,
{
    let Some(headers) = Headers::read(request.headers) else {
        return Ok(Err(Refusal::HeaderMissing));
    };
    if (now.timestamp() - headers.seconds).abs() > TIMESTAMP_TOLERANCE_SECONDS {
        return Ok(Err(Refusal::StaleTimestamp));
    }
    let Some(signer) = find(headers.client).await? else {
        return Ok(Err(Refusal::UnknownSigner));
    };
    let message = clients::string_to_sign(
        headers.timestamp,
        headers.nonce,
        request.method,
        request.path,
        request.body,
    );
    if !signer.verifies(&message, headers.signature) {
        tracing::info!(client = headers.client, "bad signature");
        return Ok(Err(Refusal::BadSignature));
    }
    Ok(Ok(Verified {
        signer,
        nonce: headers.nonce.to_owned(),
    }))
}

/// Spends `nonce` of `client_id` now, for a request that writes nothing else (batched with the
/// other such requests; answered once the batch committed).
pub async fn spend_now(
    nonces: &NonceWriter,
    client_id: Uuid,
    nonce: String,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, ApiError> {
    let fresh = nonces.spend(client_id, nonce, now).await?;
    Ok(if fresh {
        Ok(())
    } else {
        Err(Refusal::NonceReused)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SECRET: &[u8] = b"secret-secret-secret-secret-0123";
    const NOW: i64 = 1_764_144_000;

    /// A signer holding [`SECRET`] (a [`Client`]'s secret is only ever read from the database).
    struct Key;

    impl Signer for Key {
        fn verifies(&self, message: &[u8], signature: &str) -> bool {
            clients::sign(SECRET, message) == signature
        }
    }

    fn signed(timestamp: i64, nonce: &str, path: &str, body: &[u8], secret: &[u8]) -> HeaderMap {
        let message = clients::string_to_sign(&timestamp.to_string(), nonce, "POST", path, body);
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("x-qy-client", "mobile".to_owned()),
            ("x-qy-timestamp", timestamp.to_string()),
            ("x-qy-nonce", nonce.to_owned()),
            ("x-qy-signature", clients::sign(secret, &message)),
        ] {
            headers.insert(name, HeaderValue::from_str(&value).unwrap());
        }
        headers
    }

    async fn check(headers: &HeaderMap, known: bool) -> Result<String, Refusal> {
        let request = Request {
            headers,
            method: "POST",
            path: "/api/channel/v1/claims",
            body: b"{}",
        };
        let now = DateTime::from_timestamp(NOW, 0).unwrap();
        let find = async |code: &str| {
            assert_eq!(code, "mobile");
            Ok::<_, ()>(known.then_some(Key))
        };
        let verified = verify(&request, now, find).await.unwrap()?;
        Ok(verified.nonce)
    }

    fn good(timestamp: i64, nonce: &str) -> HeaderMap {
        signed(timestamp, nonce, "/api/channel/v1/claims", b"{}", SECRET)
    }

    #[tokio::test]
    async fn a_request_signed_in_time_by_a_known_signer_is_verified_with_its_nonce() {
        let nonce = "n0nce-0123456789ab";
        assert_eq!(check(&good(NOW - 300, nonce), true).await, Ok(nonce.into()));
        assert_eq!(check(&good(NOW + 300, nonce), true).await, Ok(nonce.into()));
    }

    #[tokio::test]
    async fn each_check_refuses_in_its_turn() {
        let nonce = "n0nce-0123456789ab";
        let mut missing = good(NOW, nonce);
        missing.remove("x-qy-signature");
        let mut not_a_number = good(NOW, nonce);
        not_a_number.insert("x-qy-timestamp", HeaderValue::from_static("soon"));
        let mut long_client = good(NOW, nonce);
        long_client.insert(
            "x-qy-client",
            HeaderValue::from_str(&"c".repeat(33)).unwrap(),
        );
        let cases = [
            (missing, true, Refusal::HeaderMissing),
            (not_a_number, true, Refusal::HeaderMissing),
            (long_client, true, Refusal::HeaderMissing),
            (good(NOW, "short"), true, Refusal::HeaderMissing),
            (
                good(NOW, "n0nce 0123456789ab"),
                true,
                Refusal::HeaderMissing,
            ),
            (good(NOW - 301, nonce), true, Refusal::StaleTimestamp),
            // a stale request is refused before its signer is looked up
            (good(NOW + 301, nonce), false, Refusal::StaleTimestamp),
            (good(NOW, nonce), false, Refusal::UnknownSigner),
            (
                signed(NOW, nonce, "/api/channel/v1/claims", b"{ }", SECRET),
                true,
                Refusal::BadSignature,
            ),
            (
                signed(NOW, nonce, "/api/channel/v1/other", b"{}", SECRET),
                true,
                Refusal::BadSignature,
            ),
            (
                signed(
                    NOW,
                    nonce,
                    "/api/channel/v1/claims",
                    b"{}",
                    b"another secret",
                ),
                true,
                Refusal::BadSignature,
            ),
        ];
        for (headers, known, refusal) in cases {
            assert_eq!(check(&headers, known).await, Err(refusal), "{headers:?}");
        }
    }
}
