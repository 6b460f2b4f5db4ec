//! The process read model: `process_instances` and `process_transitions`, written by the
//! `process.record_transition` activity idempotently by (workflow id, seq); the approval step's
//! `tasks` (the inbox), opened, decided, transferred, reminded and escalated once each; and the
//! notices a process sends, keyed by workflow id and step so a retry sends nothing twice.

use crate::notify::{self, Email};
use chrono::{DateTime, Utc};
use quanyi_workflows::process::{
    Notice, Notify, OpenTask, RecordOutcome, RecordTransition, TaskChange, TaskOpening, TaskUpdate,
    TransitionRecord, UpdateTask,
};
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
                started_at, updated_at, ended_at, title)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)
           ON CONFLICT (workflow_id) DO UPDATE
               SET state = EXCLUDED.state, last_seq = EXCLUDED.last_seq,
                   updated_at = EXCLUDED.updated_at, ended_at = EXCLUDED.ended_at,
                   title = coalesce(EXCLUDED.title, process_instances.title)
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
        record.title,
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
    // channel delivery shows running campaigns: its copy goes when one changes state
    if inserted == 1 && record.process_type == "campaign" {
        crate::store::announce_change(tx, crate::store::Cached::Campaigns).await?;
    }
    Ok(if inserted == 1 {
        RecordOutcome::Written
    } else {
        RecordOutcome::AlreadyRecorded
    })
}

/// Opens a task; opening the same (workflow id, step, level) again changes nothing.
#[tracing::instrument(skip(pool, task), fields(workflow_id = %task.workflow_id, step = %task.step))]
pub async fn open_task(pool: &PgPool, task: &TaskOpening) -> Result<(), sqlx::Error> {
    let org = Uuid::parse_str(&task.org_scope).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    sqlx::query!(
        "INSERT INTO tasks (workflow_id, step, level, level_name, title, candidate_roles, org_scope,
                            include_descendants, submitted_by, due_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (workflow_id, step, level) DO NOTHING",
        task.workflow_id,
        task.step,
        task.level,
        task.level_name,
        task.title,
        &task.candidate_roles,
        org,
        task.include_descendants,
        task.submitted_by,
        task.due_at,
        task.at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Applies a change to an open task in one transaction, with the notices it causes. A change that
/// finds the task already changed that way (a retry) does nothing, notices included.
#[tracing::instrument(skip(pool, update), fields(workflow_id = %update.workflow_id, step = %update.step))]
pub async fn update_task(pool: &PgPool, update: &TaskUpdate) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (wf, step, level, at) = (&update.workflow_id, &update.step, update.level, update.at);
    let notify = match &update.change {
        TaskChange::Decided {
            outcome,
            by,
            comment,
        } => {
            sqlx::query!(
                "UPDATE tasks SET status = 'done', outcome = $4, decided_by = $5, comment = $6,
                                  closed_at = $7
                  WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'",
                wf,
                step,
                level,
                outcome,
                by,
                comment.as_deref(),
                at
            )
            .execute(&mut *tx)
            .await?;
            None
        }
        TaskChange::Cancelled { reason } => {
            sqlx::query!(
                "UPDATE tasks SET status = 'cancelled', outcome = $4, closed_at = $5
                  WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'",
                wf,
                step,
                level,
                reason,
                at
            )
            .execute(&mut *tx)
            .await?;
            None
        }
        TaskChange::Transferred { to_user_id, .. } => {
            let to = Uuid::parse_str(to_user_id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            sqlx::query!(
                "UPDATE tasks SET assignee = $4
                  WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'",
                wf,
                step,
                level,
                to
            )
            .execute(&mut *tx)
            .await?;
            None
        }
        TaskChange::Reminded => sqlx::query_scalar!(
            "UPDATE tasks SET reminded_at = $4
              WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'
                AND reminded_at IS NULL
          RETURNING title",
            wf,
            step,
            level,
            at
        )
        .fetch_optional(&mut *tx)
        .await?
        .map(|title| ("remind", "即将超时", title)),
        TaskChange::Escalated { superior_org } => {
            let superior = superior_org
                .as_deref()
                .map(Uuid::parse_str)
                .transpose()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            sqlx::query_scalar!(
                "UPDATE tasks SET escalated_at = $4, escalated_org = $5
                  WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'
                    AND escalated_at IS NULL
              RETURNING title",
                wf,
                step,
                level,
                at,
                superior
            )
            .fetch_optional(&mut *tx)
            .await?
            .map(|title| ("escalate", "已超时", title))
        }
    };
    if let Some((kind, what, title)) = notify {
        let title = title.unwrap_or_default();
        for candidate in candidates(&mut tx, wf, step, level).await? {
            let Some(to) = candidate.email.as_deref() else {
                continue;
            };
            let email = Email {
                key: format!("{wf}/{step}/{level}/{kind}/{}", candidate.username),
                user_id: Some(candidate.id),
                to,
                subject: format!("待办{what}：{title}"),
                body: format!("您的待办任务《{title}》{what}，请尽快处理。"),
            };
            notify::queue_email(&mut tx, email, at).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A user who may act on a task.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub org_name: String,
    #[serde(skip)]
    pub email: Option<String>,
}

/// The active users who may act on the open task (workflow id, step, level): the role in the
/// org scope (or the escalated org), never its submitter; only the assignee once transferred.
pub async fn candidates(
    conn: &mut sqlx::PgConnection,
    workflow_id: &str,
    step: &str,
    level: i16,
) -> Result<Vec<Candidate>, sqlx::Error> {
    sqlx::query_as!(
        Candidate,
        r#"SELECT DISTINCT u.id, u.username, u.display_name, o.name AS org_name, u.email
             FROM tasks t
             JOIN orgs so ON so.id = t.org_scope
             JOIN user_roles ur ON true
             JOIN roles r ON r.id = ur.role_id AND r.code = ANY (t.candidate_roles)
             JOIN users u ON u.id = ur.user_id AND u.status = 'active'
             JOIN orgs o ON o.id = u.org_id
            WHERE t.workflow_id = $1 AND t.step = $2 AND t.level = $3 AND t.status = 'open'
              AND u.username IS DISTINCT FROM t.submitted_by
              AND (t.assignee IS NULL OR t.assignee = u.id)
              AND (o.path = so.path
                   OR (t.include_descendants AND o.path LIKE so.path || '%')
                   OR o.id = t.escalated_org)
            ORDER BY u.username"#,
        workflow_id,
        step,
        level
    )
    .fetch_all(conn)
    .await
}

/// Queues a notice to a user by e-mail, once per key; a user without an address gets none.
#[tracing::instrument(skip(pool, notice), fields(key = %notice.key))]
pub async fn notify(pool: &PgPool, notice: &Notice) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let user = sqlx::query!(
        "SELECT id, email FROM users WHERE username = $1",
        notice.username
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(user) = user else {
        return Ok(());
    };
    let Some(to) = user.email.as_deref() else {
        tracing::info!(username = %notice.username, "no e-mail address: notice not sent");
        return Ok(());
    };
    let email = Email {
        key: notice.key.clone(),
        user_id: Some(user.id),
        to,
        subject: notice.subject.clone(),
        body: notice.body.clone(),
    };
    notify::queue_email(&mut conn, email, notice.at).await
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

    #[activity(definition = OpenTask)]
    pub async fn open_task(
        self: Arc<Self>,
        _ctx: ActivityContext,
        task: TaskOpening,
    ) -> Result<(), ActivityError> {
        open_task(&self.pool, &task).await.map_err(retryable)
    }

    #[activity(definition = UpdateTask)]
    pub async fn update_task(
        self: Arc<Self>,
        _ctx: ActivityContext,
        update: TaskUpdate,
    ) -> Result<(), ActivityError> {
        update_task(&self.pool, &update).await.map_err(retryable)
    }

    #[activity(definition = Notify)]
    pub async fn notify(
        self: Arc<Self>,
        _ctx: ActivityContext,
        notice: Notice,
    ) -> Result<(), ActivityError> {
        notify(&self.pool, &notice).await.map_err(retryable)
    }
}

/// Store errors are retried by Temporal's activity retry policy; the write is idempotent.
fn retryable(e: sqlx::Error) -> ActivityError {
    tracing::warn!(error = %e, "process activity failed; Temporal retries it");
    e.into()
}
