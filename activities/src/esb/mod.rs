//! The ESB gateway's store (docs/esb.md): consumers — signed-API clients of kind `esb` with their
//! service and source allowlists, rate limit and acting user — each serial number's first answer
//! (kept byte for byte), and the message log with its bodies masked (SEC-6).
//!
//! Every call out to the bank's systems, the ESB's among them, goes through [`outbound`].

pub mod outbound;

use crate::audit::{self, Entry};
use crate::benefits::clients::{self, ClientKind, NewClient};
use crate::crypto::DataKey;
use crate::pii::{self, Kind};
use crate::store;
use crate::text;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// How long a reservation may stay unanswered before another request with the same serial
/// number takes it over (its first request's replica died mid-way).
pub const RESERVATION_LEASE_SECONDS: i64 = 60;

/// What the gateway checks of a consumer on every request.
#[derive(Debug, Clone)]
pub struct Policy {
    pub services: Vec<String>,
    /// Whether the request's source address is on the allowlist (or there is none).
    pub source_allowed: bool,
    pub rate_per_second: u32,
    pub burst: u32,
    pub acting_user_id: Uuid,
}

/// The policy of ESB consumer `client_id` for a request from `source_ip`; `None` when the client
/// is not an ESB consumer.
pub async fn policy(
    pool: &PgPool,
    client_id: Uuid,
    source_ip: &str,
) -> Result<Option<Policy>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT services, rate_per_second, burst, acting_user_id,
                  (source_networks IS NULL OR $2::text::inet <<= ANY (source_networks)) AS "allowed!"
             FROM esb_consumers WHERE client_id = $1"#,
        client_id,
        source_ip
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Policy {
        services: r.services,
        source_allowed: r.allowed,
        rate_per_second: u32::try_from(r.rate_per_second).unwrap_or(1),
        burst: u32::try_from(r.burst).unwrap_or(1),
        acting_user_id: r.acting_user_id,
    }))
}

/// A consumer as the administration lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsumerRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub status: String,
    pub services: Vec<String>,
    /// `None`: any source address.
    pub source_networks: Option<Vec<String>>,
    pub rate_per_second: i32,
    pub burst: i32,
    /// The staff user whose rights and data scope its requests use.
    pub acting_username: String,
    pub created_at: DateTime<Utc>,
    /// When its latest message arrived; `None` before the first.
    pub last_message_at: Option<DateTime<Utc>>,
}

/// Every consumer with its allowlists and acting user. The read is audited (SEC-9): who looked at
/// which systems may call in, from where and as whom.
pub async fn consumers(
    pool: &PgPool,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Vec<ConsumerRow>, sqlx::Error> {
    let rows = sqlx::query_as!(
        ConsumerRow,
        r#"SELECT c.id, c.code, c.name, c.status, e.services,
                  e.source_networks::text[] AS source_networks, e.rate_per_second, e.burst,
                  u.username AS acting_username, e.created_at,
                  (SELECT max(m.received_at) FROM esb_messages m WHERE m.consumer_code = c.code)
                      AS last_message_at
             FROM esb_consumers e JOIN api_clients c ON c.id = e.client_id
             JOIN users u ON u.id = e.acting_user_id
            ORDER BY c.code"#
    )
    .fetch_all(pool)
    .await?;
    let mut tx = pool.begin().await?;
    let entry = Entry {
        action: "esb.consumer.read",
        target: Some("consumers".into()),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(rows)
}

pub struct NewConsumer {
    pub code: String,
    pub name: String,
    pub services: Vec<String>,
    pub source_networks: Option<Vec<String>>,
    pub rate_per_second: i32,
    pub burst: i32,
    pub acting_username: String,
}

/// What an edit may change: everything but the code and the secret.
pub struct ConsumerTerms {
    pub name: String,
    pub services: Vec<String>,
    pub source_networks: Option<Vec<String>>,
    pub rate_per_second: i32,
    pub burst: i32,
    pub acting_username: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    CodeTaken,
    UnknownUser,
    /// The acting user holds a role that requires a second factor or carries an administration
    /// or audit duty: a consumer signs with a shared secret and cannot give either.
    PrivilegedUser,
    BadNetwork,
    UnknownConsumer,
}

/// Whether `user_id` holds a role that requires a second factor or carries an administration or
/// audit duty: such a user may not be a consumer's acting user (checked when a consumer is
/// registered or edited, and again for every message, since roles change).
pub async fn privileged<'e>(
    db: impl sqlx::PgExecutor<'e>,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                           WHERE ur.user_id = $1 AND (r.require_totp OR r.duty IS NOT NULL))
                  AS "privileged!""#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// Registers a consumer with a new random secret, returned once and stored encrypted; the client
/// row, the allowlists and the audit row commit together.
pub async fn register(
    pool: &PgPool,
    key: &DataKey,
    new: NewConsumer,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(Uuid, Vec<u8>), Refusal>, sqlx::Error> {
    register_with_secret(pool, key, new, clients::new_secret(), now, by).await
}

/// [`register`] with a given secret (the demo bank's core, whose secret its browser test derives).
pub async fn register_with_secret(
    pool: &PgPool,
    key: &DataKey,
    new: NewConsumer,
    secret: Vec<u8>,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(Uuid, Vec<u8>), Refusal>, sqlx::Error> {
    let Some(user_id) = sqlx::query_scalar!(
        "SELECT id FROM users WHERE username = $1 AND status = 'active'",
        new.acting_username
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(Err(Refusal::UnknownUser));
    };
    if privileged(pool, user_id).await? {
        return Ok(Err(Refusal::PrivilegedUser));
    }
    let mut tx = pool.begin().await?;
    let client = NewClient {
        code: new.code.clone(),
        name: new.name.clone(),
        kind: ClientKind::Esb,
        merchant_id: None,
    };
    let Some(id) = clients::insert(&mut tx, key, &client, &secret, now).await? else {
        return Ok(Err(Refusal::CodeTaken));
    };
    let inserted = sqlx::query!(
        "INSERT INTO esb_consumers (client_id, services, source_networks, rate_per_second, burst,
                                    acting_user_id, created_at)
         VALUES ($1, $2, $3::text[]::cidr[], $4, $5, $6, $7)",
        id,
        &new.services,
        new.source_networks.as_deref(),
        new.rate_per_second,
        new.burst,
        user_id,
        now
    )
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("22P02") => {
            return Ok(Err(Refusal::BadNetwork));
        }
        Err(e) => return Err(e),
    }
    let entry = Entry {
        action: "esb.consumer.register",
        target: Some(new.code.clone()),
        after: Some(serde_json::json!({
            "code": new.code, "name": new.name, "services": new.services,
            "source_networks": new.source_networks, "rate_per_second": new.rate_per_second,
            "burst": new.burst, "acting_user": new.acting_username,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    store::announce_change(&mut tx, store::Cached::ApiClients).await?;
    tx.commit().await?;
    Ok(Ok((id, secret)))
}

/// The consumer's terms as the audit log shows them, before or after a change.
async fn terms_of(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
) -> Result<Option<(String, Value)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT c.code, c.name, c.status, e.services,
                  e.source_networks::text[] AS source_networks, e.rate_per_second, e.burst,
                  u.username AS acting_user
             FROM esb_consumers e JOIN api_clients c ON c.id = e.client_id
             JOIN users u ON u.id = e.acting_user_id
            WHERE c.id = $1 AND c.kind = 'esb'
              FOR UPDATE OF c, e"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| {
        (
            r.code,
            serde_json::json!({
                "name": r.name, "status": r.status, "services": r.services,
                "source_networks": r.source_networks, "rate_per_second": r.rate_per_second,
                "burst": r.burst, "acting_user": r.acting_user,
            }),
        )
    }))
}

/// Changes a consumer's name, allowlists, rate limit and acting user; audited with the values
/// before and after, and announced so every replica's gateway uses the new terms at once.
pub async fn update(
    pool: &PgPool,
    id: Uuid,
    terms: ConsumerTerms,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some((code, before)) = terms_of(&mut tx, id).await? else {
        return Ok(Err(Refusal::UnknownConsumer));
    };
    let Some(user_id) = sqlx::query_scalar!(
        "SELECT id FROM users WHERE username = $1 AND status = 'active'",
        terms.acting_username
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownUser));
    };
    if privileged(&mut *tx, user_id).await? {
        return Ok(Err(Refusal::PrivilegedUser));
    }
    let updated = sqlx::query!(
        "UPDATE esb_consumers SET services = $2, source_networks = $3::text[]::cidr[],
                rate_per_second = $4, burst = $5, acting_user_id = $6
          WHERE client_id = $1",
        id,
        &terms.services,
        terms.source_networks.as_deref(),
        terms.rate_per_second,
        terms.burst,
        user_id
    )
    .execute(&mut *tx)
    .await;
    match updated {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("22P02") => {
            return Ok(Err(Refusal::BadNetwork));
        }
        Err(e) => return Err(e),
    }
    sqlx::query!(
        "UPDATE api_clients SET name = $2 WHERE id = $1",
        id,
        terms.name
    )
    .execute(&mut *tx)
    .await?;
    let (_, after) = terms_of(&mut tx, id)
        .await?
        .expect("the consumer just updated");
    let entry = Entry {
        action: "esb.consumer.update",
        target: Some(code),
        before: Some(before),
        after: Some(after),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    store::announce_change(&mut tx, store::Cached::ApiClients).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Disables (the gateway refuses it with `GW-C-0102`) or re-enables a consumer; audited when it
/// changes anything.
pub async fn set_status(
    pool: &PgPool,
    id: Uuid,
    active: bool,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let status = if active { "active" } else { "disabled" };
    let mut tx = pool.begin().await?;
    let Some((code, before)) = terms_of(&mut tx, id).await? else {
        return Ok(Err(Refusal::UnknownConsumer));
    };
    if before["status"] == status {
        return Ok(Ok(()));
    }
    sqlx::query!(
        "UPDATE api_clients SET status = $2 WHERE id = $1",
        id,
        status
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: if active {
            "esb.consumer.enable"
        } else {
            "esb.consumer.disable"
        },
        target: Some(code),
        before: Some(serde_json::json!({"status": before["status"]})),
        after: Some(serde_json::json!({"status": status})),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    store::announce_change(&mut tx, store::Cached::ApiClients).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Gives a consumer a new random secret, returned once and stored encrypted; the old one stops
/// working when this commits. Audited (without either secret).
pub async fn rotate_secret(
    pool: &PgPool,
    key: &DataKey,
    id: Uuid,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Vec<u8>, Refusal>, sqlx::Error> {
    let secret = clients::new_secret();
    let mut tx = pool.begin().await?;
    let Some(code) = sqlx::query_scalar!(
        "UPDATE api_clients SET secret = $2 WHERE id = $1 AND kind = 'esb' RETURNING code",
        id,
        key.seal(&secret)
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownConsumer));
    };
    let entry = Entry {
        action: "esb.consumer.secret.rotate",
        target: Some(code),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    store::announce_change(&mut tx, store::Cached::ApiClients).await?;
    tx.commit().await?;
    Ok(Ok(secret))
}

/// What a request finds when it reserves its serial number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The first: it carries the request out and answers with [`answer`] (or [`release`]).
    Owner,
    /// Answered before: this is the answer, byte for byte.
    Answered(Vec<u8>),
    /// The serial number was used with another body.
    OtherBody,
    /// The first request is still being carried out.
    Pending,
}

/// Reserves `(client, serial)` for a request with body hash `hash`, or tells what holds it.
pub async fn reserve(
    pool: &PgPool,
    client_id: Uuid,
    seq_no: &str,
    service_code: &str,
    hash: &[u8],
    provider_seq_no: &str,
    now: DateTime<Utc>,
) -> Result<Reservation, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO esb_exchanges (client_id, consumer_seq_no, service_code, body_hash,
                                    provider_seq_no, reserved_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        client_id,
        seq_no,
        service_code,
        hash,
        provider_seq_no,
        now
    )
    .execute(pool)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Reservation::Owner);
    }
    let Some(row) = sqlx::query!(
        "SELECT body_hash, state, response, reserved_at FROM esb_exchanges
          WHERE client_id = $1 AND consumer_seq_no = $2",
        client_id,
        seq_no
    )
    .fetch_optional(pool)
    .await?
    else {
        // released between the two statements: the caller tries again
        return Ok(Reservation::Pending);
    };
    if row.body_hash != hash {
        return Ok(Reservation::OtherBody);
    }
    if let Some(response) = row.response {
        return Ok(Reservation::Answered(response));
    }
    if row.reserved_at < now - Duration::seconds(RESERVATION_LEASE_SECONDS) {
        let taken = sqlx::query!(
            "UPDATE esb_exchanges SET provider_seq_no = $3, reserved_at = $4
              WHERE client_id = $1 AND consumer_seq_no = $2 AND state = 'pending'
                AND reserved_at = $5",
            client_id,
            seq_no,
            provider_seq_no,
            now,
            row.reserved_at
        )
        .execute(pool)
        .await?
        .rows_affected();
        if taken == 1 {
            return Ok(Reservation::Owner);
        }
    }
    Ok(Reservation::Pending)
}

/// Keeps the owner's answer for every later request with the same serial number, and logs the
/// message, in one statement (one commit on the gateway's path instead of two).
pub async fn answer_and_log(
    pool: &PgPool,
    client_id: Uuid,
    seq_no: &str,
    response: &[u8],
    answered_at: DateTime<Utc>,
    m: &Message,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH kept AS (
           UPDATE esb_exchanges
              SET state = 'answered', response = $14, ret_code = $8, answered_at = $15
            WHERE client_id = $16 AND consumer_seq_no = $17 AND provider_seq_no = $6)
         INSERT INTO esb_messages (received_at, latency_ms, service_code, consumer_code,
             consumer_seq_no, provider_seq_no, source_ip, ret_code, ret_msg, replayed,
             request_bytes, request_masked, response_masked)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        m.received_at,
        m.latency_ms,
        m.service_code,
        m.consumer_code,
        m.consumer_seq_no,
        m.provider_seq_no,
        m.source_ip,
        m.ret_code,
        m.ret_msg,
        m.replayed,
        m.request_bytes,
        m.request_masked.as_ref().map(text::escape_json),
        m.response_masked.as_ref().map(text::escape_json),
        response,
        answered_at,
        client_id,
        seq_no
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives the serial number back (the request failed on our side): a retry carries it out anew.
pub async fn release(
    pool: &PgPool,
    client_id: Uuid,
    seq_no: &str,
    provider_seq_no: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM esb_exchanges
          WHERE client_id = $1 AND consumer_seq_no = $2 AND provider_seq_no = $3 AND state = 'pending'",
        client_id,
        seq_no,
        provider_seq_no
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// One message as the gateway logs it.
#[derive(Debug, Clone)]
pub struct Message {
    pub received_at: DateTime<Utc>,
    pub latency_ms: i32,
    pub service_code: String,
    pub consumer_code: Option<String>,
    pub consumer_seq_no: Option<String>,
    pub provider_seq_no: String,
    pub source_ip: Option<String>,
    pub ret_code: String,
    pub ret_msg: String,
    pub replayed: bool,
    pub request_bytes: i32,
    /// The request envelope, personal data masked; `None` when it was not JSON.
    pub request_masked: Option<Value>,
    pub response_masked: Option<Value>,
}

/// One logged message as the log's list shows it (its bodies: [`message`]).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageRow {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub latency_ms: i32,
    pub service_code: String,
    pub consumer_code: Option<String>,
    /// The consumer's serial number 流水号.
    pub consumer_seq_no: Option<String>,
    /// Ours.
    pub provider_seq_no: String,
    pub source_ip: Option<String>,
    pub ret_code: String,
    pub ret_msg: String,
    /// Answered from an earlier request with the same serial number.
    pub replayed: bool,
    pub request_bytes: i32,
}

/// One logged message with both envelopes, personal data masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageDetail {
    #[serde(flatten)]
    pub row: MessageRow,
    /// The request envelope; `None` when it was not JSON.
    pub request_masked: Option<Value>,
    pub response_masked: Option<Value>,
}

/// Logs one message. Whatever its envelopes held is stored: a character PostgreSQL cannot keep
/// (U+0000) is written visibly as `\u0000`.
pub async fn log(pool: &PgPool, m: &Message) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO esb_messages (received_at, latency_ms, service_code, consumer_code,
             consumer_seq_no, provider_seq_no, source_ip, ret_code, ret_msg, replayed,
             request_bytes, request_masked, response_masked)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        m.received_at,
        m.latency_ms,
        m.service_code,
        m.consumer_code,
        m.consumer_seq_no,
        m.provider_seq_no,
        m.source_ip,
        m.ret_code,
        m.ret_msg,
        m.replayed,
        m.request_bytes,
        m.request_masked.as_ref().map(text::escape_json),
        m.response_masked.as_ref().map(text::escape_json)
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct MessageFilter {
    pub consumer_code: Option<String>,
    pub service_code: Option<String>,
    pub ret_code: Option<String>,
    /// The consumer's or our serial number.
    pub seq_no: Option<String>,
    /// Only failures (`retCode` other than `000000`).
    pub failed_only: bool,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The log, newest first, with the number of messages the filter matches.
pub async fn messages(
    pool: &PgPool,
    f: &MessageFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MessageRow>, i64), sqlx::Error> {
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM esb_messages
            WHERE ($1::text IS NULL OR consumer_code = $1) AND ($2::text IS NULL OR service_code = $2)
              AND ($3::text IS NULL OR ret_code = $3)
              AND ($4::text IS NULL OR consumer_seq_no = $4 OR provider_seq_no = $4)
              AND (NOT $5 OR ret_code <> '000000')
              AND ($6::timestamptz IS NULL OR received_at >= $6)
              AND ($7::timestamptz IS NULL OR received_at < $7)"#,
        f.consumer_code,
        f.service_code,
        f.ret_code,
        f.seq_no,
        f.failed_only,
        f.from,
        f.to
    )
    .fetch_one(pool)
    .await?;
    let items = sqlx::query_as!(
        MessageRow,
        r#"SELECT id, received_at, latency_ms, service_code, consumer_code, consumer_seq_no,
                  provider_seq_no, source_ip, ret_code, ret_msg, replayed, request_bytes
             FROM esb_messages
            WHERE ($1::text IS NULL OR consumer_code = $1) AND ($2::text IS NULL OR service_code = $2)
              AND ($3::text IS NULL OR ret_code = $3)
              AND ($4::text IS NULL OR consumer_seq_no = $4 OR provider_seq_no = $4)
              AND (NOT $5 OR ret_code <> '000000')
              AND ($6::timestamptz IS NULL OR received_at >= $6)
              AND ($7::timestamptz IS NULL OR received_at < $7)
            ORDER BY received_at DESC, id DESC LIMIT $8 OFFSET $9"#,
        f.consumer_code,
        f.service_code,
        f.ret_code,
        f.seq_no,
        f.failed_only,
        f.from,
        f.to,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    Ok((items, total))
}

/// Records that `campaign_id` came from `consumer_code`'s plan `consumer_seq_no`, so the decision
/// on it can be called back to that consumer; a second record for the campaign changes nothing.
pub async fn record_campaign_origin(
    pool: &PgPool,
    campaign_id: Uuid,
    consumer_code: &str,
    consumer_seq_no: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO esb_campaign_origins (campaign_id, client_id, consumer_seq_no, created_at)
         SELECT $1, id, $3, $4 FROM api_clients WHERE code = $2
         ON CONFLICT (campaign_id) DO NOTHING",
        campaign_id,
        consumer_code,
        consumer_seq_no,
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Logged message `id` with its masked bodies.
pub async fn message(pool: &PgPool, id: i64) -> Result<Option<MessageDetail>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, received_at, latency_ms, service_code, consumer_code, consumer_seq_no,
                provider_seq_no, source_ip, ret_code, ret_msg, replayed, request_bytes,
                request_masked, response_masked
           FROM esb_messages WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| MessageDetail {
        row: MessageRow {
            id: r.id,
            received_at: r.received_at,
            latency_ms: r.latency_ms,
            service_code: r.service_code,
            consumer_code: r.consumer_code,
            consumer_seq_no: r.consumer_seq_no,
            provider_seq_no: r.provider_seq_no,
            source_ip: r.source_ip,
            ret_code: r.ret_code,
            ret_msg: r.ret_msg,
            replayed: r.replayed,
            request_bytes: r.request_bytes,
        },
        request_masked: r.request_masked,
        response_masked: r.response_masked,
    }))
}

/// The kind of personal data a body field holds, by its name as the bank's systems spell it.
fn personal(key: &str) -> Option<Kind> {
    let key = key.to_ascii_lowercase().replace(['_', '-'], "");
    match key.as_str() {
        "customerno" | "custno" | "customerid" | "custid" | "customernos" | "custnos" => {
            Some(Kind::CustomerNo)
        }
        "mobile"
        | "phone"
        | "mobileno"
        | "phoneno"
        | "telephone"
        | "mentionedmobilelist"
        | "contactphone"
        | "applicantphone" => Some(Kind::Phone),
        "idno" | "idnumber" | "certno" | "certificateno" => Some(Kind::IdNumber),
        "cardno" | "cardnos" | "cardnumber" | "cardnumbers" | "bankcard" | "accountno"
        | "acctno" => Some(Kind::BankCard),
        "customername" | "custname" | "realname" => Some(Kind::Name),
        "email" => Some(Kind::Email),
        _ => None,
    }
}

/// Whether a body field holds a secret shown as `******` whatever it is (an SMS's one-time
/// password in the outbound request log).
fn secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace(['_', '-'], "");
    matches!(
        key.as_str(),
        "password" | "passwd" | "otp" | "onetimepassword"
    )
}

/// `value` with every personal field masked (strings, and the strings inside arrays of them)
/// and every secret hidden.
pub fn mask(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    if secret(k) {
                        return (k.clone(), Value::String("******".into()));
                    }
                    let masked = match (personal(k), v) {
                        (Some(kind), Value::String(s)) => Value::String(pii::mask(kind, s)),
                        (Some(kind), Value::Array(items)) => Value::Array(
                            items
                                .iter()
                                .map(|i| match i {
                                    Value::String(s) => Value::String(pii::mask(kind, s)),
                                    other => mask(other),
                                })
                                .collect(),
                        ),
                        (Some(_), Value::Number(n)) => {
                            Value::String("*".repeat(n.to_string().len()))
                        }
                        _ => mask(v),
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_fields_are_masked_wherever_they_sit() {
        let body = serde_json::json!({
            "sysHead": {"consumerId": "gmp"},
            "body": {"customerNo": "C10000001", "mobile": "13812345678",
                     "list": [{"cust_name": "张三", "idNo": "110101199001011234"}],
                     "customerNos": "x", "name": "开门红"}
        });
        let masked = mask(&body);
        assert_eq!(masked["body"]["customerNo"], "C1***0001");
        assert_eq!(masked["body"]["mobile"], "138****5678");
        assert_eq!(masked["body"]["list"][0]["cust_name"], "张*");
        assert_eq!(masked["body"]["list"][0]["idNo"], "1101**********1234");
        assert_eq!(masked["body"]["name"], "开门红");
        assert_eq!(masked["sysHead"]["consumerId"], "gmp");
    }

    #[test]
    fn secrets_are_hidden_whole() {
        let body = serde_json::json!({"params": {"username": "m1", "password": "Ab3$xyz789"}});
        let masked = mask(&body);
        assert_eq!(masked["params"]["password"], "******");
        assert_eq!(masked["params"]["username"], "m1");
    }
}
