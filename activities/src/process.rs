//! The process read model: `process_instances` and `process_transitions`, written by the
//! `process.record_transition` activity idempotently by (workflow id, seq).

use chrono::{DateTime, Utc};
use quanyi_workflows::process::{RecordOutcome, RecordTransition, TransitionRecord};
use sqlx::{PgPool, Postgres, Transaction};
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use uuid::Uuid;

/// Writes one transition and moves the instance to its new state, in the caller's transaction.
/// A second call with the same (workflow id, seq) changes nothing and says so; the instance never
/// moves back to an older state when retries arrive out of order.
#[tracing::instrument(skip(tx, record), fields(workflow_id = %record.workflow_id, seq = record.seq))]
pub async fn record_transition(
    tx: &mut Transaction<'_, Postgres>,
    record: &TransitionRecord,
) -> Result<RecordOutcome, sqlx::Error> {
    let org_id = record
        .org_id
        .as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let ended_at: Option<DateTime<Utc>> = record.ended.then_some(record.at);
    sqlx::query!(
        r#"INSERT INTO process_instances
               (workflow_id, process_type, business_key, state, org_id, started_by, last_seq,
                started_at, updated_at, ended_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
           ON CONFLICT (workflow_id) DO UPDATE
               SET state = EXCLUDED.state, last_seq = EXCLUDED.last_seq,
                   updated_at = EXCLUDED.updated_at, ended_at = EXCLUDED.ended_at
               WHERE process_instances.last_seq < EXCLUDED.last_seq"#,
        record.workflow_id,
        record.process_type,
        record.business_key,
        record.to_state,
        org_id,
        record.started_by,
        record.seq,
        record.at,
        ended_at,
    )
    .execute(&mut **tx)
    .await?;
    let inserted = sqlx::query!(
        r#"INSERT INTO process_transitions
               (workflow_id, seq, from_state, to_state, event, actor, comment, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (workflow_id, seq) DO NOTHING"#,
        record.workflow_id,
        record.seq,
        record.from_state,
        record.to_state,
        record.event,
        record.actor,
        record.comment,
        record.at,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(if inserted == 1 {
        RecordOutcome::Written
    } else {
        RecordOutcome::AlreadyRecorded
    })
}

/// The process activities, sharing the pool.
pub struct ProcessActivities {
    pool: PgPool,
}

impl ProcessActivities {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[activities]
impl ProcessActivities {
    #[activity(definition = RecordTransition)]
    pub async fn record_transition(
        self: Arc<Self>,
        _ctx: ActivityContext,
        record: TransitionRecord,
    ) -> Result<RecordOutcome, ActivityError> {
        let mut tx = self.pool.begin().await.map_err(retryable)?;
        let outcome = record_transition(&mut tx, &record)
            .await
            .map_err(retryable)?;
        tx.commit().await.map_err(retryable)?;
        Ok(outcome)
    }
}

/// Store errors are retried by Temporal's activity retry policy; the write is idempotent.
fn retryable(e: sqlx::Error) -> ActivityError {
    tracing::warn!(error = %e, "process activity failed; Temporal retries it");
    e.into()
}
