//! The tamper-evident audit log: entries appended in the caller's transaction, each hashed over
//! its content and its predecessor's hash; `verify` walks the chain and names every break.

pub mod actions;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The hash before the first entry.
const GENESIS: [u8; 32] = [0; 32];

/// Who did what to what, and how it ended.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub org_id: Option<Uuid>,
    pub ip: Option<String>,
    /// `area.entity.verb`, e.g. `auth.session.login`.
    pub action: &'static str,
    pub target: Option<String>,
    pub refused: bool,
    /// For configuration changes: the values before and after.
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The content a row's hash covers, in a fixed order and format.
fn content(at: DateTime<Utc>, e: &StoredFields) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!([
        at.timestamp_micros(),
        e.user_id,
        e.username,
        e.org_id,
        e.ip,
        e.action,
        e.target,
        e.result,
        e.before,
        e.after,
    ]))
    .expect("JSON values always serialize")
}

fn chain(prev: &[u8], content: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(content);
    hasher.finalize().to_vec()
}

struct StoredFields {
    user_id: Option<Uuid>,
    username: Option<String>,
    org_id: Option<Uuid>,
    ip: Option<String>,
    action: String,
    target: Option<String>,
    result: String,
    before: Option<Value>,
    after: Option<Value>,
}

/// Appends `entry` at `at`, in the caller's transaction. Appends are serialized by a transaction
/// lock so the chain has one order.
#[tracing::instrument(skip(conn, entry), fields(action = entry.action))]
pub async fn append(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    entry: Entry,
) -> Result<(), sqlx::Error> {
    // PostgreSQL keeps microseconds: hash what will be read back.
    let at = at.trunc_subsecs(6);
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('audit_log'))")
        .execute(&mut *conn)
        .await?;
    let prev = sqlx::query_scalar!("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_else(|| GENESIS.to_vec());
    let fields = StoredFields {
        user_id: entry.user_id,
        username: entry.username,
        org_id: entry.org_id,
        ip: entry.ip,
        action: entry.action.to_owned(),
        target: entry.target,
        result: if entry.refused { "refused" } else { "ok" }.to_owned(),
        before: entry.before,
        after: entry.after,
    };
    let hash = chain(&prev, &content(at, &fields));
    sqlx::query!(
        "INSERT INTO audit_log (at, user_id, username, org_id, ip, action, target, result, before, after, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        at,
        fields.user_id,
        fields.username,
        fields.org_id,
        fields.ip,
        fields.action,
        fields.target,
        fields.result,
        fields.before,
        fields.after,
        prev,
        hash
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A break in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The row's content no longer matches its hash: it was changed.
    Modified { id: i64 },
    /// The row does not follow the one before it: a row was inserted or deleted here.
    Broken { id: i64, after_id: Option<i64> },
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::Modified { id } => {
                write!(f, "audit row {id}: content changed after it was written")
            }
            Violation::Broken {
                id,
                after_id: Some(prev),
            } => {
                write!(
                    f,
                    "audit row {id}: does not follow row {prev} (a row was inserted or deleted between them)"
                )
            }
            Violation::Broken { id, after_id: None } => {
                write!(
                    f,
                    "audit row {id}: is first but does not start the chain (earlier rows were deleted)"
                )
            }
        }
    }
}

/// Walks the whole chain in order; returns every break (none for an intact log) and the count.
pub async fn verify(pool: &PgPool) -> Result<(u64, Vec<Violation>), sqlx::Error> {
    use futures::TryStreamExt;
    let mut rows = sqlx::query!(
        "SELECT id, at, user_id, username, org_id, ip, action, target, result, before, after, prev_hash, hash
           FROM audit_log ORDER BY id"
    )
    .fetch(pool);
    let mut violations = Vec::new();
    let mut previous: Option<(i64, Vec<u8>)> = None;
    let mut count = 0;
    while let Some(row) = rows.try_next().await? {
        count += 1;
        let expected_prev = previous
            .as_ref()
            .map_or(GENESIS.to_vec(), |(_, h)| h.clone());
        if row.prev_hash != expected_prev {
            violations.push(Violation::Broken {
                id: row.id,
                after_id: previous.as_ref().map(|(id, _)| *id),
            });
        }
        let fields = StoredFields {
            user_id: row.user_id,
            username: row.username,
            org_id: row.org_id,
            ip: row.ip,
            action: row.action,
            target: row.target,
            result: row.result,
            before: row.before,
            after: row.after,
        };
        if chain(&row.prev_hash, &content(row.at, &fields)) != row.hash {
            violations.push(Violation::Modified { id: row.id });
        }
        previous = Some((row.id, row.hash));
    }
    Ok((count, violations))
}
