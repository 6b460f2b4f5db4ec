//! Registered callers of the signed API (docs/channel-api.md): channels claim, merchant systems
//! redeem, and the bank's ESB calls the gateway (docs/esb.md; its consumers are clients of kind
//! `esb`, their allowlists in `crate::esb`). Each holds a 32-byte secret, shown once and stored encrypted; every request is signed
//! with HMAC-SHA256 over timestamp, nonce, method, path and body, and a nonce is accepted once.

use crate::audit::{self, Entry};
use crate::crypto::DataKey;
use crate::store;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// How far a request's timestamp may be from the server's clock.
pub const TIMESTAMP_TOLERANCE_SECONDS: i64 = 300;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Channel,
    Merchant,
    /// An ESB consumer: registered through the ESB administration only, never as a channel.
    #[serde(skip_deserializing)]
    Esb,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Channel => "channel",
            ClientKind::Merchant => "merchant",
            ClientKind::Esb => "esb",
        }
    }
}

/// A client as the signature check needs it, its secret decrypted.
#[derive(Clone)]
pub struct Client {
    pub id: Uuid,
    pub code: String,
    pub kind: ClientKind,
    pub merchant_id: Option<Uuid>,
    secret: Vec<u8>,
}

/// The string a request's signature covers.
pub fn string_to_sign(
    timestamp: &str,
    nonce: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut text = format!("{timestamp}\n{nonce}\n{method}\n{path}\n").into_bytes();
    text.extend_from_slice(body);
    text
}

/// Lower-case hex HMAC-SHA256 of `message` under `secret` (what a client sends).
pub fn sign(secret: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

impl Client {
    /// This client's signature over `message` (what the client itself would send): the dev
    /// stack's demo page signs customer assertions as the demo mobile banking.
    pub fn sign(&self, message: &[u8]) -> String {
        sign(&self.secret, message)
    }

    /// Whether `signature` (hex) is this client's over `message`, compared in constant time.
    pub fn verifies(&self, message: &[u8], signature: &str) -> bool {
        let Ok(given) = hex::decode(signature) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("any key length");
        mac.update(message);
        mac.verify_slice(&given).is_ok()
    }
}

/// The active client with `code`, its secret decrypted; `None` for unknown or disabled.
pub async fn active(
    pool: &PgPool,
    key: &DataKey,
    code: &str,
) -> Result<Option<Client>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        "SELECT id, code, kind, merchant_id, secret FROM api_clients WHERE code = $1 AND status = 'active'",
        code
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let secret = key
        .open(&row.secret)
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    Ok(Some(Client {
        id: row.id,
        code: row.code,
        kind: match row.kind.as_str() {
            "merchant" => ClientKind::Merchant,
            "esb" => ClientKind::Esb,
            _ => ClientKind::Channel,
        },
        merchant_id: row.merchant_id,
        secret,
    }))
}

/// Records `nonce` for `client_id` in the caller's transaction; false when it was seen before (a
/// replay).
pub async fn spend_nonce(
    conn: &mut PgConnection,
    client_id: Uuid,
    nonce: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let fresh = sqlx::query!(
        "INSERT INTO api_nonces (client_id, nonce, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        client_id,
        nonce,
        now
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(fresh == 1)
}

/// Records many nonces in one statement (one commit for all); for each, whether it was fresh. A
/// nonce twice in the batch is fresh the first time only.
pub async fn spend_nonces(
    pool: &PgPool,
    batch: &[(Uuid, String)],
    now: DateTime<Utc>,
) -> Result<Vec<bool>, sqlx::Error> {
    let clients: Vec<Uuid> = batch.iter().map(|(c, _)| *c).collect();
    let nonces: Vec<String> = batch.iter().map(|(_, n)| n.clone()).collect();
    let written = sqlx::query!(
        r#"INSERT INTO api_nonces (client_id, nonce, seen_at)
           SELECT c, n, $3 FROM unnest($1::uuid[], $2::text[]) AS t (c, n)
           ON CONFLICT DO NOTHING
           RETURNING client_id, nonce"#,
        &clients,
        &nonces,
        now
    )
    .fetch_all(pool)
    .await?;
    let mut fresh: std::collections::HashSet<(Uuid, String)> = written
        .into_iter()
        .map(|r| (r.client_id, r.nonce))
        .collect();
    Ok(batch.iter().map(|key| fresh.remove(key)).collect())
}

/// Forgets nonces older than twice the timestamp tolerance (a request that old is refused
/// anyway); the housekeeping job calls it.
pub async fn purge_nonces(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM api_nonces WHERE seen_at < $1",
        now - chrono::Duration::seconds(2 * TIMESTAMP_TOLERANCE_SECONDS)
    )
    .execute(pool)
    .await?
    .rows_affected())
}

pub struct NewClient {
    pub code: String,
    pub name: String,
    pub kind: ClientKind,
    pub merchant_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    CodeTaken,
    UnknownMerchant,
}

/// Registers a client with a new random secret, returned once (base64) and stored encrypted.
pub async fn register(
    pool: &PgPool,
    key: &DataKey,
    new: NewClient,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(Uuid, Vec<u8>), Refusal>, sqlx::Error> {
    register_with_secret(pool, key, new, new_secret(), now, by).await
}

/// [`register`] with a given secret (the load generator's clients, whose secret it must know).
pub async fn register_with_secret(
    pool: &PgPool,
    key: &DataKey,
    new: NewClient,
    secret: Vec<u8>,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(Uuid, Vec<u8>), Refusal>, sqlx::Error> {
    if let Some(merchant) = new.merchant_id {
        let exists = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM merchants WHERE id = $1) AS "e!""#,
            merchant
        )
        .fetch_one(pool)
        .await?;
        if !exists {
            return Ok(Err(Refusal::UnknownMerchant));
        }
    }
    let mut tx = pool.begin().await?;
    let Some(id) = insert(&mut tx, key, &new, &secret, now).await? else {
        return Ok(Err(Refusal::CodeTaken));
    };
    let entry = Entry {
        action: "benefit.client.register",
        target: Some(new.code.clone()),
        after: Some(serde_json::json!({
            "code": new.code, "name": new.name, "kind": new.kind.as_str(), "merchant_id": new.merchant_id,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    store::announce_change(&mut tx, store::Cached::ApiClients).await?;
    tx.commit().await?;
    Ok(Ok((id, secret)))
}

/// Inserts the client row in the caller's transaction, its secret sealed; `None` when the code
/// is taken. (The ESB's consumers are registered with their allowlists in the same transaction.)
pub async fn insert(
    conn: &mut PgConnection,
    key: &DataKey,
    new: &NewClient,
    secret: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO api_clients (code, name, kind, merchant_id, secret, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING RETURNING id",
        new.code,
        new.name,
        new.kind.as_str(),
        new.merchant_id,
        key.seal(secret),
        now
    )
    .fetch_optional(conn)
    .await
}

/// A new random 32-byte signing secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example's arithmetic, checked once with
    /// `printf '1764144000\nn0nce-0123456789ab\nPOST\n/api/channel/v1/claims\n{}' |
    ///  openssl dgst -sha256 -mac HMAC -macopt key:secret-secret-secret-secret-0123`.
    #[test]
    fn the_signature_is_hmac_sha256_over_the_five_lines() {
        let message = string_to_sign(
            "1764144000",
            "n0nce-0123456789ab",
            "POST",
            "/api/channel/v1/claims",
            b"{}",
        );
        assert_eq!(
            message,
            b"1764144000\nn0nce-0123456789ab\nPOST\n/api/channel/v1/claims\n{}"
        );
        let secret = b"secret-secret-secret-secret-0123".to_vec();
        let signature = sign(&secret, &message);
        assert_eq!(signature, EXPECTED);
        let client = Client {
            id: Uuid::nil(),
            code: "mobile".into(),
            kind: ClientKind::Channel,
            merchant_id: None,
            secret,
        };
        assert!(client.verifies(&message, &signature));
        assert!(!client.verifies(b"tampered", &signature));
        assert!(!client.verifies(&message, "not hex"));
    }

    const EXPECTED: &str = "a118cdb848b0aa5fbb3456139756061c2afa58b33613523a892d3a58d26148fb";
}
