//! The tamper-evident audit log: entries appended in the caller's transaction, with no lock; a
//! sealer ([`seal`]) then chains the committed ones, each sealed with a hash over its content and
//! its predecessor's seal; [`verify`] seals what waits, walks the chain and names every break.

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

/// Appends `entry` at `at`, in the caller's transaction, and queues it for the sealer. Takes no
/// lock: concurrent transactions append side by side, and the chain is the sealer's.
#[tracing::instrument(skip(conn, entry), fields(action = entry.action))]
pub async fn append(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    entry: Entry,
) -> Result<(), sqlx::Error> {
    // PostgreSQL keeps microseconds: hash what will be read back.
    let at = at.trunc_subsecs(6);
    sqlx::query!(
        "WITH row AS (
           INSERT INTO audit_log (at, user_id, username, org_id, ip, action, target, result, before, after)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           RETURNING id)
         INSERT INTO audit_unsealed (audit_id) SELECT id FROM row",
        at,
        entry.user_id,
        entry.username,
        entry.org_id,
        entry.ip,
        entry.action,
        entry.target,
        if entry.refused { "refused" } else { "ok" },
        entry.before,
        entry.after,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a seal covers for a queued row that was deleted before it was sealed.
const DELETED_BEFORE_SEALED: &[u8] = b"deleted before it was sealed";

/// Rows one sealing transaction takes at most.
const SEAL_BATCH: i64 = 5_000;

/// Seals committed rows waiting in the queue, in the order of their ids, and answers how many.
/// One sealer at a time across every replica: with `wait`, this one waits for its turn; without,
/// it answers 0 when another is sealing.
pub async fn seal(pool: &PgPool, wait: bool) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if wait {
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('audit_seal'))")
            .execute(&mut *tx)
            .await?;
    } else {
        let turn = sqlx::query_scalar!(
            r#"SELECT pg_try_advisory_xact_lock(hashtext('audit_seal')) AS "turn!""#
        )
        .fetch_one(&mut *tx)
        .await?;
        if !turn {
            return Ok(0);
        }
    }
    let taken = sqlx::query_scalar!(
        "DELETE FROM audit_unsealed WHERE audit_id IN
           (SELECT audit_id FROM audit_unsealed ORDER BY audit_id LIMIT $1)
         RETURNING audit_id",
        SEAL_BATCH
    )
    .fetch_all(&mut *tx)
    .await?;
    if taken.is_empty() {
        return Ok(0);
    }
    let last = sqlx::query!("SELECT seq, hash FROM audit_seals ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    let (mut seq, mut prev) = last.map_or((0, GENESIS.to_vec()), |l| (l.seq, l.hash));
    let mut rows: std::collections::BTreeMap<i64, Vec<u8>> = sqlx::query!(
        "SELECT id, at, user_id, username, org_id, ip, action, target, result, before, after
           FROM audit_log WHERE id = ANY($1)",
        &taken
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| {
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
        (row.id, content(row.at, &fields))
    })
    .collect();
    let mut taken = taken;
    taken.sort_unstable();
    let (mut seqs, mut prevs, mut hashes) = (vec![], vec![], vec![]);
    for id in &taken {
        // a queued row is gone only if it was deleted past the application before its seal: it
        // is sealed all the same, over a marker, and verify names it missing
        let content = rows
            .remove(id)
            .unwrap_or_else(|| DELETED_BEFORE_SEALED.to_vec());
        let hash = chain(&prev, &content);
        seq += 1;
        seqs.push(seq);
        prevs.push(std::mem::replace(&mut prev, hash.clone()));
        hashes.push(hash);
    }
    sqlx::query!(
        "INSERT INTO audit_seals (seq, audit_id, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[])",
        &seqs,
        &taken,
        &prevs,
        &hashes
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(seqs.len() as u64)
}

/// Seals every `interval` until dropped, so rows wait well under a second for their seal; every
/// API replica runs one and they take turns.
pub async fn sealer(pool: PgPool, interval: std::time::Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            match seal(&pool, false).await {
                Ok(n) if n == SEAL_BATCH as u64 => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot seal the audit log now");
                    break;
                }
            }
        }
    }
}

/// A break in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The row's content no longer matches its seal: it was changed.
    Modified { id: i64 },
    /// The seal does not follow the one before it: a seal was inserted or deleted here.
    Broken { id: i64, after_id: Option<i64> },
    /// The row was sealed and is gone: it was deleted.
    Missing { id: i64 },
    /// The row has no seal and waits for none: it was written past the application.
    Unsealed { id: i64 },
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
            Violation::Missing { id } => {
                write!(f, "audit row {id}: sealed, and deleted since")
            }
            Violation::Unsealed { id } => {
                write!(
                    f,
                    "audit row {id}: has no seal (written past the application)"
                )
            }
        }
    }
}

/// Seals what waits, then walks the whole chain in order; returns every break (none for an
/// intact log) and the number of rows.
pub async fn verify(pool: &PgPool) -> Result<(u64, Vec<Violation>), sqlx::Error> {
    use futures::TryStreamExt;
    while seal(pool, true).await? > 0 {}
    let mut rows = sqlx::query!(
        r#"SELECT s.audit_id, s.prev_hash, s.hash AS seal, a.id AS "id?", a.at AS "at?",
                  a.user_id, a.username, a.org_id, a.ip, a.action AS "action?", a.target,
                  a.result AS "result?", a.before, a.after
             FROM audit_seals s LEFT JOIN audit_log a ON a.id = s.audit_id
            ORDER BY s.seq"#
    )
    .fetch(pool);
    let mut violations = Vec::new();
    let mut previous: Option<(i64, Vec<u8>)> = None;
    let mut count = 0;
    while let Some(row) = rows.try_next().await? {
        let expected_prev = previous
            .as_ref()
            .map_or(GENESIS.to_vec(), |(_, h)| h.clone());
        if row.prev_hash != expected_prev {
            violations.push(Violation::Broken {
                id: row.audit_id,
                after_id: previous.as_ref().map(|(id, _)| *id),
            });
        }
        match (row.id, row.at, row.action, row.result) {
            (Some(_), Some(at), Some(action), Some(result)) => {
                count += 1;
                let fields = StoredFields {
                    user_id: row.user_id,
                    username: row.username,
                    org_id: row.org_id,
                    ip: row.ip,
                    action,
                    target: row.target,
                    result,
                    before: row.before,
                    after: row.after,
                };
                if chain(&row.prev_hash, &content(at, &fields)) != row.seal {
                    violations.push(Violation::Modified { id: row.audit_id });
                }
            }
            _ => violations.push(Violation::Missing { id: row.audit_id }),
        }
        previous = Some((row.audit_id, row.seal));
    }
    drop(rows);
    let unsealed = sqlx::query_scalar!(
        "SELECT a.id FROM audit_log a
          WHERE NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.audit_id = a.id)
          ORDER BY a.id"
    )
    .fetch_all(pool)
    .await?;
    count += unsealed.len() as u64;
    violations.extend(unsealed.into_iter().map(|id| Violation::Unsealed { id }));
    Ok((count, violations))
}
