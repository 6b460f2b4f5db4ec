//! 登录日志 and 操作日志 (SYS-3): filtered, paged reads of the login log and the audit log, and
//! the same filters streamed whole for export.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// Filters both logs share; every field optional. The audit log's `target` is matched whole, or
/// through the business numbers that contain it (each naming an object id and a workflow id), as
/// one `= ANY` so the target index serves it (300,000 rows: 169 ms → 1.5 ms).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LogFilter {
    pub username: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Login log: `true` successes only, `false` failures only. Audit log: refused only when false.
    pub success: Option<bool>,
    /// Audit log: actions starting with this prefix (e.g. `system.user`).
    pub action: Option<String>,
    /// Audit log: the object, by its business number or part of it, or its stored target.
    pub target: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub username: String,
    pub ip: String,
    pub success: bool,
    pub reason: String,
}

/// Lists count their matches up to this many; past it they say "more than" (`total_capped`).
pub const COUNT_CAP: i64 = 10_000;

/// Rows newest first, and their count up to [`COUNT_CAP`] + 1; `limit` None reads everything
/// (export).
#[tracing::instrument(skip(pool))]
pub async fn login_log(
    pool: &PgPool,
    filter: &LogFilter,
    limit: Option<i64>,
    offset: i64,
) -> Result<(Vec<LoginRecord>, i64), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, at, username, ip, success, reason
             FROM login_log
            WHERE ($1::text IS NULL OR username = $1)
              AND ($2::timestamptz IS NULL OR at >= $2)
              AND ($3::timestamptz IS NULL OR at < $3)
              AND ($4::bool IS NULL OR success = $4)
            ORDER BY at DESC, id DESC
            LIMIT $5 OFFSET $6"#,
        filter.username,
        filter.from,
        filter.to,
        filter.success,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    // Counted apart, so a page past the end still knows the total; up to COUNT_CAP + 1.
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (
             SELECT 1 FROM login_log
              WHERE ($1::text IS NULL OR username = $1)
                AND ($2::timestamptz IS NULL OR at >= $2)
                AND ($3::timestamptz IS NULL OR at < $3)
                AND ($4::bool IS NULL OR success = $4)
              LIMIT $5) matched"#,
        filter.username,
        filter.from,
        filter.to,
        filter.success,
        COUNT_CAP + 1,
    )
    .fetch_one(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| LoginRecord {
            id: r.id,
            at: r.at,
            username: r.username,
            ip: r.ip,
            success: r.success,
            reason: r.reason,
        })
        .collect();
    Ok((items, total))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub username: Option<String>,
    pub org_id: Option<Uuid>,
    pub ip: Option<String>,
    pub action: String,
    pub target: Option<String>,
    /// The business number of the object `target` names (a campaign's id or its process's
    /// workflow id: `HD20261207000012`), when it has one.
    pub target_no: Option<String>,
    pub result: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[tracing::instrument(skip(pool))]
pub async fn audit_log(
    pool: &PgPool,
    filter: &LogFilter,
    limit: Option<i64>,
    offset: i64,
) -> Result<(Vec<AuditRecord>, i64), sqlx::Error> {
    let action = filter
        .action
        .as_ref()
        .map(|a| format!("{}%", a.replace(['%', '_'], "")));
    let target = crate::numbers::contains_pattern(filter.target.as_deref());
    let rows = sqlx::query!(
        r#"SELECT id, at, username, org_id, ip, action, target, result, before, after,
                  (SELECT b.number FROM business_numbers b
                    WHERE b.object_id = a.target OR b.workflow_id = a.target
                    LIMIT 1) AS target_no
             FROM audit_log a
            WHERE ($1::text IS NULL OR username = $1)
              AND ($2::timestamptz IS NULL OR at >= $2)
              AND ($3::timestamptz IS NULL OR at < $3)
              AND ($4::bool IS NULL OR (result = 'ok') = $4)
              AND ($5::text IS NULL OR action LIKE $5)
              AND ($8::text IS NULL
                   OR target = ANY (array_append(
                          ARRAY(SELECT object_id FROM business_numbers WHERE number ILIKE $9
                                UNION ALL
                                SELECT workflow_id FROM business_numbers WHERE number ILIKE $9),
                          $8)))
            ORDER BY id DESC
            LIMIT $6 OFFSET $7"#,
        filter.username,
        filter.from,
        filter.to,
        filter.success,
        action,
        limit,
        offset,
        filter.target,
        target,
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (
             SELECT 1 FROM audit_log
              WHERE ($1::text IS NULL OR username = $1)
                AND ($2::timestamptz IS NULL OR at >= $2)
                AND ($3::timestamptz IS NULL OR at < $3)
                AND ($4::bool IS NULL OR (result = 'ok') = $4)
                AND ($5::text IS NULL OR action LIKE $5)
                AND ($6::text IS NULL
                     OR target = ANY (array_append(
                            ARRAY(SELECT object_id FROM business_numbers WHERE number ILIKE $7
                                  UNION ALL
                                  SELECT workflow_id FROM business_numbers WHERE number ILIKE $7),
                            $6)))
              LIMIT $8) matched"#,
        filter.username,
        filter.from,
        filter.to,
        filter.success,
        action,
        filter.target,
        target,
        COUNT_CAP + 1,
    )
    .fetch_one(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| AuditRecord {
            id: r.id,
            at: r.at,
            username: r.username,
            org_id: r.org_id,
            ip: r.ip,
            action: r.action,
            target: r.target,
            target_no: r.target_no,
            result: r.result,
            before: r.before,
            after: r.after,
        })
        .collect();
    Ok((items, total))
}
