//! 登录日志, 操作日志, 批量日志 (SYS-3): filtered pages for the log pages, and CSV export — which
//! needs its own permission and a recent re-authentication, and is itself audited.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Query};
use crate::identity::auth::{SteppedUp, actor};
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use quanyi_activities::audit::{self, Entry, actions};
use quanyi_activities::batch::{self, BatchFilter, BatchRun, Job, Status};
use quanyi_activities::system::logs::{self, AuditRecord, LogFilter, LoginRecord};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LogQuery {
    pub username: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339, exclusive.
    pub to: Option<DateTime<Utc>>,
    /// Successes (`true`) or failures/refusals (`false`) only.
    pub success: Option<bool>,
    /// Audit log only: actions starting with this, e.g. `system.user`.
    pub action: Option<String>,
    /// Audit log only: the object, by its business number or part of it (`HD20261207000012`,
    /// `000012`), or as the log stores it (a username, a template code). At most 100 characters.
    #[param(max_length = 100)]
    pub target: Option<String>,
}

impl LogQuery {
    fn filter(&self) -> Result<LogFilter, ApiError> {
        if self.username.as_ref().is_some_and(|u| u.len() > 32)
            || self.action.as_ref().is_some_and(|a| a.len() > 64)
            || self
                .target
                .as_ref()
                .is_some_and(|t| t.chars().count() > 100)
        {
            return Err(ErrorCode::InvalidQuery.into());
        }
        Ok(LogFilter {
            username: self.username.clone().filter(|u| !u.is_empty()),
            from: self.from,
            to: self.to,
            success: self.success,
            action: self.action.clone().filter(|a| !a.is_empty()),
            target: self
                .target
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginLogPage {
    pub items: Vec<LoginRecord>,
    /// The matches, counted up to 10,000 (`total_capped`: more than that; narrow the search).
    pub total: i64,
    pub total_capped: bool,
}

/// 登录日志: every sign-in attempt, newest first.
#[utoipa::path(get, path = "/api/v1/system/login-log", tag = "system", params(LogQuery, Paging), responses(
    (status = 200, body = LoginLogPage),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn login_log(
    State(state): State<AppState>,
    _: Authorized<perm::LogView>,
    paging: Paging,
    Query(query): Query<LogQuery>,
) -> Result<Json<LoginLogPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    let (items, total) =
        logs::login_log(&state.pool, &query.filter()?, Some(limit), offset).await?;
    Ok(Json(LoginLogPage {
        items,
        total: total.min(logs::COUNT_CAP),
        total_capped: total > logs::COUNT_CAP,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditLogPage {
    pub items: Vec<AuditRecord>,
    /// The matches, counted up to 10,000 (`total_capped`: more than that; narrow the search).
    pub total: i64,
    pub total_capped: bool,
}

/// 操作日志: the audit log, newest first.
#[utoipa::path(get, path = "/api/v1/system/audit-log", tag = "system", params(LogQuery, Paging), responses(
    (status = 200, body = AuditLogPage),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn audit_log(
    State(state): State<AppState>,
    _: Authorized<perm::AuditView>,
    paging: Paging,
    Query(query): Query<LogQuery>,
) -> Result<Json<AuditLogPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    let (items, total) =
        logs::audit_log(&state.pool, &query.filter()?, Some(limit), offset).await?;
    Ok(Json(AuditLogPage {
        items,
        total: total.min(logs::COUNT_CAP),
        total_capped: total > logs::COUNT_CAP,
    }))
}

/// 操作日志's words: every audit action and every before/after field, named in zh-CN and English.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditCatalogue {
    pub actions: Vec<actions::ActionLabel>,
    pub fields: Vec<actions::FieldLabel>,
}

/// The catalogue of audit actions and fields, for the 操作 filter and a record's names.
#[utoipa::path(get, path = "/api/v1/system/audit-actions", tag = "system", responses(
    (status = 200, body = AuditCatalogue),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn audit_actions(_: Authorized<perm::AuditView>) -> Json<AuditCatalogue> {
    Json(AuditCatalogue {
        actions: actions::ACTIONS.to_vec(),
        fields: actions::FIELDS.to_vec(),
    })
}

/// The audit action of a log export.
const LOG_EXPORT: &str = "system.log.export";

/// Records the export itself as `action`, then answers the CSV as a download named `what`.
pub(crate) async fn export(
    state: &AppState,
    by: Entry,
    action: &'static str,
    what: &str,
    filter: &impl Serialize,
    csv: Vec<u8>,
    rows: usize,
) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    let entry = Entry {
        action,
        target: Some(what.to_owned()),
        after: Some(serde_json::json!({ "filter": filter, "rows": rows })),
        ..by
    };
    audit::append(&mut tx, state.clock.now(), entry).await?;
    tx.commit().await?;
    let disposition = format!(
        "attachment; filename=\"{what}-{}.csv\"",
        state
            .clock
            .now()
            .with_timezone(&beijing())
            .format("%Y%m%d%H%M%S")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

/// Asia/Shanghai: the bank's time, for what people read in exports.
pub(crate) fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

pub(crate) fn csv_bytes<R: Serialize>(
    rows: impl IntoIterator<Item = R>,
) -> Result<Vec<u8>, ApiError> {
    // A UTF-8 byte order mark, so Excel on the bank's desktops shows the Chinese right.
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    for row in rows {
        writer.serialize(row).map_err(|_| ErrorCode::Internal)?;
    }
    writer
        .into_inner()
        .map_err(|_| ApiError::from(ErrorCode::Internal))
}

/// Export the login log as CSV (own permission, recent re-authentication, audited).
#[utoipa::path(get, path = "/api/v1/system/login-log/export", tag = "system", params(LogQuery), responses(
    (status = 200, content_type = "text/csv", description = "The filtered login log"),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003, QY-AUTH-0011 re-authenticate first"),
))]
pub async fn export_login_log(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::LogExport>,
    _: SteppedUp,
    Query(query): Query<LogQuery>,
) -> Result<Response, ApiError> {
    let filter = query.filter()?;
    let (items, _) = logs::login_log(&state.pool, &filter, None, 0).await?;
    let rows = items.len();
    let csv = csv_bytes(items.into_iter().map(|r| LoginCsvRow {
        id: r.id,
        at: r.at.with_timezone(&beijing()),
        username: r.username,
        ip: r.ip,
        success: r.success,
        reason: r.reason,
    }))?;
    let by = actor(&user, peer);
    export(&state, by, LOG_EXPORT, "login-log", &filter, csv, rows).await
}

/// Exports show times in Beijing time, with the offset.
#[derive(Serialize)]
struct LoginCsvRow {
    id: i64,
    at: DateTime<FixedOffset>,
    username: String,
    ip: String,
    success: bool,
    reason: String,
}

#[derive(Serialize)]
struct AuditCsvRow {
    id: i64,
    at: DateTime<FixedOffset>,
    username: Option<String>,
    ip: Option<String>,
    action: String,
    action_label: String,
    target: Option<String>,
    target_no: Option<String>,
    result: String,
    before: String,
    after: String,
}

/// Export the audit log as CSV (own permission, recent re-authentication, audited).
#[utoipa::path(get, path = "/api/v1/system/audit-log/export", tag = "system", params(LogQuery), responses(
    (status = 200, content_type = "text/csv", description = "The filtered audit log"),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003, QY-AUTH-0011 re-authenticate first"),
))]
pub async fn export_audit_log(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::LogExport>,
    _: Authorized<perm::AuditView>,
    _: SteppedUp,
    Query(query): Query<LogQuery>,
) -> Result<Response, ApiError> {
    let filter = query.filter()?;
    let (items, _) = logs::audit_log(&state.pool, &filter, None, 0).await?;
    let rows = items.len();
    let json = |v: Option<serde_json::Value>| v.map(|v| v.to_string()).unwrap_or_default();
    let csv = csv_bytes(items.into_iter().map(|r| AuditCsvRow {
        id: r.id,
        at: r.at.with_timezone(&beijing()),
        username: r.username,
        ip: r.ip,
        action_label: actions::label(&r.action).map_or_else(String::new, |a| a.label_zh.into()),
        action: r.action,
        target: r.target,
        target_no: r.target_no,
        result: r.result,
        before: json(r.before),
        after: json(r.after),
    }))?;
    let by = actor(&user, peer);
    export(&state, by, LOG_EXPORT, "audit-log", &filter, csv, rows).await
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct BatchQuery {
    pub job: Option<Job>,
    pub status: Option<Status>,
    /// Runs started at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Runs started before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

impl BatchQuery {
    fn filter(&self) -> BatchFilter {
        BatchFilter {
            job: self.job,
            status: self.status,
            from: self.from,
            to: self.to,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchLogPage {
    pub items: Vec<BatchRun>,
    pub total: i64,
}

/// 批量日志: every run of a batch job, newest first.
#[utoipa::path(get, path = "/api/v1/system/batch-log", tag = "system", params(BatchQuery, Paging), responses(
    (status = 200, body = BatchLogPage),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn batch_log(
    State(state): State<AppState>,
    _: Authorized<perm::LogView>,
    paging: Paging,
    Query(query): Query<BatchQuery>,
) -> Result<Json<BatchLogPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    let (items, total) = batch::runs(&state.pool, &query.filter(), Some(limit), offset).await?;
    Ok(Json(BatchLogPage { items, total }))
}

#[derive(Serialize)]
struct BatchCsvRow {
    id: i64,
    job: String,
    started_at: DateTime<FixedOffset>,
    finished_at: Option<DateTime<FixedOffset>>,
    status: String,
    rows_affected: i64,
    error: Option<String>,
    triggered_by: String,
}

/// Export the batch log as CSV (own permission, recent re-authentication, audited).
#[utoipa::path(get, path = "/api/v1/system/batch-log/export", tag = "system", params(BatchQuery), responses(
    (status = 200, content_type = "text/csv", description = "The filtered batch log"),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003, QY-AUTH-0011 re-authenticate first"),
))]
pub async fn export_batch_log(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::LogExport>,
    _: SteppedUp,
    Query(query): Query<BatchQuery>,
) -> Result<Response, ApiError> {
    let filter = query.filter();
    let (items, _) = batch::runs(&state.pool, &filter, None, 0).await?;
    let rows = items.len();
    let csv = csv_bytes(items.into_iter().map(|r| BatchCsvRow {
        id: r.id,
        job: r.job,
        started_at: r.started_at.with_timezone(&beijing()),
        finished_at: r.finished_at.map(|t| t.with_timezone(&beijing())),
        status: r.status,
        rows_affected: r.rows_affected,
        error: r.error,
        triggered_by: r.triggered_by,
    }))?;
    let by = actor(&user, peer);
    export(&state, by, LOG_EXPORT, "batch-log", &filter, csv, rows).await
}
