//! 批量日志 (SYS-3): every run of a batch job is a `batch_runs` row, written when it starts and
//! completed with its outcome; the housekeeping job that clears spent captchas and old sessions.

use crate::clock::Clock;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// How long an ended session is kept (for investigations) before housekeeping removes it.
pub const SESSION_RETENTION_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = BatchJob)]
pub enum Job {
    /// Deletes expired captchas and sessions ended more than 30 days ago.
    Housekeeping,
    /// `quanyi audit verify`: the audit log's hash chain walked end to end.
    AuditVerify,
    /// 客户导入: the big-data platform's daily extract of customers.
    CustomerImport,
    /// 积分过期: the nightly run posting the points of expired lots to the expired account.
    PointsExpiry,
    /// 积分到期提醒: the SMS to customers whose points expire within the reminder window.
    PointsReminder,
    /// 等级评定: every customer's tier by the points earned in 12 months and the upgrade tasks,
    /// up and down, the downgrades noticed.
    TierEvaluation,
}

impl Job {
    pub fn as_str(self) -> &'static str {
        match self {
            Job::Housekeeping => "housekeeping",
            Job::AuditVerify => "audit_verify",
            Job::CustomerImport => "customer_import",
            Job::PointsExpiry => "points_expiry",
            Job::PointsReminder => "points_reminder",
            Job::TierEvaluation => "tier_evaluation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = BatchStatus)]
pub enum Status {
    Running,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchRun {
    pub id: i64,
    pub job: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: String,
    pub rows_affected: i64,
    pub error: Option<String>,
    /// `schedule` (the worker's timer), `cli` (an operator's command) or `test`.
    pub triggered_by: String,
}

/// Records the start of a run; returns its id for [`finish`].
#[tracing::instrument(skip(pool))]
pub async fn start(
    pool: &PgPool,
    job: Job,
    triggered_by: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO batch_runs (job, started_at, status, triggered_by) VALUES ($1, $2, 'running', $3)
         RETURNING id",
        job.as_str(),
        now,
        triggered_by
    )
    .fetch_one(pool)
    .await
}

/// Completes a run: the rows it affected, or why it failed.
#[tracing::instrument(skip(pool))]
pub async fn finish(
    pool: &PgPool,
    id: i64,
    outcome: Result<i64, String>,
    now: DateTime<Utc>,
) -> Result<BatchRun, sqlx::Error> {
    let (status, rows, error) = match outcome {
        Ok(rows) => ("succeeded", rows, None),
        Err(error) => ("failed", 0, Some(error)),
    };
    sqlx::query_as!(
        BatchRun,
        "UPDATE batch_runs SET finished_at = $2, status = $3, rows_affected = $4, error = $5
          WHERE id = $1
          RETURNING id, job, started_at, finished_at, status, rows_affected, error, triggered_by",
        id,
        now,
        status,
        rows,
        error
    )
    .fetch_one(pool)
    .await
}

/// The rows a running run has done so far (its progress on the batch log page).
pub async fn progress(pool: &PgPool, id: i64, rows: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE batch_runs SET rows_affected = $2 WHERE id = $1 AND status = 'running'",
        id,
        rows
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks the runs of `job` still `running` as failed: the caller holds the job's lock, so their
/// processes ended (killed, or the machine stopped) before they finished.
pub async fn interrupted(pool: &PgPool, job: Job, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "UPDATE batch_runs
            SET status = 'failed', finished_at = $2,
                error = 'interrupted: the process ended before the run finished'
          WHERE job = $1 AND status = 'running'",
        job.as_str(),
        now
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Deletes expired captchas and sessions (staff's and customers') that ended (or expired) more than
/// [`SESSION_RETENTION_DAYS`] ago, in one transaction; returns how many rows went.
async fn clear_spent(pool: &PgPool, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let captchas = sqlx::query!("DELETE FROM captchas WHERE expires_at < $1", now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let sessions = sqlx::query!(
        "DELETE FROM sessions WHERE coalesce(ended_at, expires_at) < $1",
        now - chrono::Duration::days(SESSION_RETENTION_DAYS)
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let customer_sessions = sqlx::query!(
        "DELETE FROM customer_sessions WHERE expires_at < $1",
        now - chrono::Duration::days(SESSION_RETENTION_DAYS)
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(i64::try_from(captchas + sessions + customer_sessions).unwrap_or(i64::MAX))
}

/// One housekeeping run, recorded in the batch log whatever its outcome. Errors only when even
/// the record cannot be written.
#[tracing::instrument(skip(pool, clock))]
pub async fn housekeeping(
    pool: &PgPool,
    clock: &dyn Clock,
    triggered_by: &str,
) -> Result<BatchRun, sqlx::Error> {
    let id = start(pool, Job::Housekeeping, triggered_by, clock.now()).await?;
    let outcome = clear_spent(pool, clock.now()).await.map_err(|e| {
        tracing::error!(error = %e, "housekeeping failed");
        e.to_string()
    });
    finish(pool, id, outcome, clock.now()).await
}

/// Filters of the batch log page; every field optional.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BatchFilter {
    pub job: Option<Job>,
    pub status: Option<Status>,
    /// Runs started at or after.
    pub from: Option<DateTime<Utc>>,
    /// Runs started before.
    pub to: Option<DateTime<Utc>>,
}

/// Runs newest first with the total; `limit` None reads everything (export).
#[tracing::instrument(skip(pool))]
pub async fn runs(
    pool: &PgPool,
    filter: &BatchFilter,
    limit: Option<i64>,
    offset: i64,
) -> Result<(Vec<BatchRun>, i64), sqlx::Error> {
    let job = filter.job.map(Job::as_str);
    let status = filter.status.map(|s| match s {
        Status::Running => "running",
        Status::Succeeded => "succeeded",
        Status::Failed => "failed",
    });
    let items = sqlx::query_as!(
        BatchRun,
        "SELECT id, job, started_at, finished_at, status, rows_affected, error, triggered_by
           FROM batch_runs
          WHERE ($1::text IS NULL OR job = $1)
            AND ($2::text IS NULL OR status = $2)
            AND ($3::timestamptz IS NULL OR started_at >= $3)
            AND ($4::timestamptz IS NULL OR started_at < $4)
          ORDER BY started_at DESC, id DESC
          LIMIT $5 OFFSET $6",
        job,
        status,
        filter.from,
        filter.to,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    // Counted apart, so a page past the end still knows the total.
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM batch_runs
            WHERE ($1::text IS NULL OR job = $1)
              AND ($2::text IS NULL OR status = $2)
              AND ($3::timestamptz IS NULL OR started_at >= $3)
              AND ($4::timestamptz IS NULL OR started_at < $4)"#,
        job,
        status,
        filter.from,
        filter.to
    )
    .fetch_one(pool)
    .await?;
    Ok((items, total))
}
