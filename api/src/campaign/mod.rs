//! 营销活动 (MKT-3, WF-1) for staff: drafts edited freely, the customer list uploaded as CSV, then
//! everything through the durable process `campaign-<id>` — submit, withdraw, pause, resume,
//! cancel, terminate, modify; the approvals themselves come through the inbox.
//!
//! What a channel shows a customer (渠道投放) is [`delivery`].

pub mod delivery;

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Paging, Path, Query, Valid};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use crate::process::{self as door, ProcessStatus};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use quanyi_activities::campaign::{
    self as store, CampaignRecord, CampaignSummary, DeliverySettings, Filter, NewCampaign, Refusal,
    Rule, UploadError, UploadReport,
};
use quanyi_activities::identity::User;
use quanyi_activities::identity::scope::{DataScope, scope_of};
use quanyi_activities::process::inbox::{TaskRow, TimelineEntry};
use quanyi_activities::system;
use quanyi_workflows::approval::Actor;
use quanyi_workflows::campaign::{
    Action, ActionRequest, CHANGE_POLICY_KEY, CampaignAction, CampaignInput, CampaignWorkflow,
    Facts,
};
use quanyi_workflows::kind::ProcessKind;
use quanyi_workflows::process::ApprovalAction;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::UnknownCampaign => ErrorCode::UnknownCampaign,
        Refusal::UnknownOrg => ErrorCode::UnknownCampaignOrg,
        Refusal::UnknownTemplate => ErrorCode::UnknownRuleTemplate,
        Refusal::NotDraft => ErrorCode::CampaignNotDraft,
    }
    .into()
}

fn kind(kind: &str) -> Result<(), ValidationError> {
    match kind {
        "grant" | "lottery" | "seckill" => Ok(()),
        _ => Err(ValidationError::new("type")),
    }
}

fn channels(channels: &[String]) -> Result<(), ValidationError> {
    let ok = channels.iter().all(|c| {
        (2..=20).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    });
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("channels"))
    }
}

fn code_like(code: &str) -> Result<(), ValidationError> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("code"))
    }
}

#[derive(Serialize, Deserialize, Validate, utoipa::ToSchema)]
pub struct RuleRequest {
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, code = "QY-CAMP-0006"))]
    pub name: String,
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-CAMP-0006"))]
    pub budget_fen: i64,
    /// A coupon template's code.
    #[schema(pattern = "^[0-9A-Za-z_-]{1,32}$")]
    #[validate(custom(function = "code_like", code = "QY-CAMP-0004"))]
    pub template_code: Option<String>,
}

/// A campaign's editable fields. The budget is what the rules share.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct CampaignRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-CAMP-0006"))]
    pub name: String,
    /// `grant` 派发, `lottery` 抽奖 or `seckill` 秒杀.
    #[serde(rename = "type")]
    #[schema(example = "grant", pattern = "^(grant|lottery|seckill)$")]
    #[validate(custom(function = "kind", code = "QY-CAMP-0006"))]
    pub kind: String,
    pub org_id: Uuid,
    /// Codes of the 渠道 code list, each 2–20 lower-case letters or underscores.
    #[schema(example = json!(["mobile_banking"]), min_items = 1, max_items = 5)]
    #[validate(
        length(min = 1, max = 5, code = "QY-CAMP-0006"),
        custom(function = "channels", code = "QY-CAMP-0006")
    )]
    pub channels: Vec<String>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    #[serde(default)]
    #[schema(max_length = 500)]
    #[validate(length(max = 500, code = "QY-CAMP-0006"))]
    pub success_criteria: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000, code = "QY-CAMP-0006"))]
    pub description: String,
    #[schema(min_items = 1, max_items = 20)]
    #[validate(length(min = 1, max = 20, code = "QY-CAMP-0006"), nested)]
    pub rules: Vec<RuleRequest>,
    /// How channels show it; absent: priority 50, the campaign's name, no cap.
    #[serde(default)]
    #[validate(nested)]
    pub delivery: DeliveryRequest,
}

/// An entry link or image, when given: an `https://` address or an internal path, printable, no spaces.
fn entry_url(url: &str) -> Result<(), ValidationError> {
    if url.is_empty() {
        return Ok(());
    }
    let printable = url.chars().all(|c| !c.is_whitespace() && !c.is_control());
    let shaped = url.starts_with("https://") && url.len() > 8
        || url.starts_with('/') && !url.starts_with("//");
    if printable && shaped {
        Ok(())
    } else {
        Err(ValidationError::new("url"))
    }
}

/// 投放参数: the entry assets, priority and frequency cap (MKT-8).
#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(default)]
pub struct DeliveryRequest {
    #[schema(minimum = 0, maximum = 999)]
    #[validate(range(min = 0, max = 999, code = "QY-CAMP-0006"))]
    pub priority: i16,
    #[schema(max_length = 40)]
    #[validate(length(max = 40, code = "QY-CAMP-0006"))]
    pub entry_title: String,
    /// Empty, an `https://` address or a path on this site (`/…`), with no spaces.
    #[schema(max_length = 500)]
    #[validate(
        length(max = 500, code = "QY-CAMP-0006"),
        custom(function = "entry_url", code = "QY-CAMP-0006")
    )]
    pub entry_image_url: String,
    /// Empty, an `https://` address or a path on this site (`/…`), with no spaces.
    #[schema(max_length = 500)]
    #[validate(
        length(max = 500, code = "QY-CAMP-0006"),
        custom(function = "entry_url", code = "QY-CAMP-0006")
    )]
    pub entry_link: String,
    #[schema(max_length = 100)]
    #[validate(length(max = 100, code = "QY-CAMP-0006"))]
    pub benefit_summary: String,
    #[schema(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100, code = "QY-CAMP-0006"))]
    pub frequency_cap: Option<i16>,
}

impl Default for DeliveryRequest {
    fn default() -> Self {
        Self {
            priority: 50,
            entry_title: String::new(),
            entry_image_url: String::new(),
            entry_link: String::new(),
            benefit_summary: String::new(),
            frequency_cap: None,
        }
    }
}

impl CampaignRequest {
    pub(crate) fn into_new(self) -> Result<NewCampaign, ApiError> {
        if self.end_at <= self.start_at {
            return Err(ApiError::fields(vec![FieldError {
                field: "end_at".into(),
                code: ErrorCode::InvalidCampaignTime,
            }]));
        }
        let mut channels = self.channels;
        channels.sort();
        channels.dedup();
        Ok(NewCampaign {
            name: self.name.trim().to_owned(),
            kind: self.kind,
            org_id: self.org_id,
            channels,
            start_at: self.start_at,
            end_at: self.end_at,
            success_criteria: self.success_criteria.trim().to_owned(),
            description: self.description.trim().to_owned(),
            rules: self
                .rules
                .into_iter()
                .map(|r| Rule {
                    name: r.name.trim().to_owned(),
                    budget_fen: r.budget_fen,
                    template_code: r.template_code.filter(|c| !c.is_empty()),
                })
                .collect(),
            delivery: DeliverySettings {
                priority: self.delivery.priority,
                entry_title: self.delivery.entry_title.trim().to_owned(),
                entry_image_url: self.delivery.entry_image_url,
                entry_link: self.delivery.entry_link,
                benefit_summary: self.delivery.benefit_summary.trim().to_owned(),
                frequency_cap: self.delivery.frequency_cap,
            },
        })
    }
}

/// Whether `org_id` is an org the user's data scope reaches.
pub(crate) async fn org_in_scope(
    state: &AppState,
    user: &User,
    org_id: Uuid,
) -> Result<bool, ApiError> {
    let scope = scope_of(&state.pool, user.id).await?;
    let orgs = system::orgs::orgs(&state.pool, &scope, user.org_id).await?;
    Ok(orgs.iter().any(|o| o.id == org_id))
}

/// The campaign if it exists and the user's data scope reaches it; otherwise "no such campaign".
async fn campaign_in_scope(
    state: &AppState,
    user: &User,
    id: Uuid,
) -> Result<CampaignRecord, ApiError> {
    let record = store::detail(&state.pool, id)
        .await?
        .ok_or(ErrorCode::UnknownCampaign)?;
    let visible = match scope_of(&state.pool, user.id).await? {
        DataScope::All => true,
        DataScope::OrgAndBelow(path) => record.org_path.starts_with(&path),
        DataScope::Org(org) => record.summary.org_id == org,
        DataScope::SelfOnly(_) => record.summary.created_by == user.username,
    };
    if visible {
        Ok(record)
    } else {
        Err(ErrorCode::UnknownCampaign.into())
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CampaignQuery {
    pub state: Option<String>,
    pub org_id: Option<Uuid>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// Part of the name, or the business number (`HD…`) or part of it.
    pub name: Option<String>,
    pub start_from: Option<DateTime<Utc>>,
    pub start_to: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignPage {
    pub items: Vec<CampaignSummary>,
    pub total: i64,
}

/// 营销活动查询: campaigns in the caller's data scope.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(CampaignQuery, Paging),
    responses((status = 200, body = CampaignPage)))]
pub async fn list(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::CampaignView>,
    paging: Paging,
    Query(query): Query<CampaignQuery>,
) -> Result<Json<CampaignPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    let scope = scope_of(&state.pool, user.id).await?;
    let filter = Filter {
        state: query.state.filter(|s| !s.is_empty()),
        org_id: query.org_id,
        kind: query.kind.filter(|k| !k.is_empty()),
        name: query
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty() && n.chars().count() <= 100),
        start_from: query.start_from,
        start_to: query.start_to,
    };
    let (items, total) =
        store::list(&state.pool, &scope, &user.username, &filter, limit, offset).await?;
    Ok(Json(CampaignPage { items, total }))
}

/// The customer list's numbers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomerList {
    pub total: i32,
    pub uploaded_at: Option<DateTime<Utc>>,
    pub uploaded_by: Option<String>,
}

/// The process as the detail page shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProcessPart {
    /// `None` until the first submission.
    pub workflow_id: Option<String>,
    pub state: String,
    pub allowed_actions: Vec<String>,
    pub pending_timers: Vec<door::PendingTimerView>,
    pub open_tasks: Vec<TaskRow>,
    pub change_request: Option<door::ChangeRequestView>,
    /// Back with its planner after 退回修改: who returned it, when, and why.
    pub returned: Option<door::ReturnedNote>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignDetail {
    #[serde(flatten)]
    pub campaign: CampaignRecord,
    pub customer_list: CustomerList,
    pub process: ProcessPart,
    pub timeline: Vec<TimelineEntry>,
    /// The campaign machine's states and transitions, for its diagram.
    pub diagram: door::monitor::Diagram,
}

/// What a user may do to a draft (by permission) besides what the process allows.
fn draft_actions(user: &User, state: &str) -> Vec<String> {
    let mut actions = Vec::new();
    if state == "Draft" {
        let holds = |p: &str| user.permissions.iter().any(|h| h == p);
        if holds("campaign:campaign:update") {
            actions.push("edit".to_owned());
            actions.push("upload_customers".to_owned());
        }
        if holds("campaign:campaign:submit") {
            actions.push("submit".to_owned());
        }
    }
    actions
}

/// Keeps the process's allowed actions the user also has the permission for.
fn permitted(user: &User, actions: Vec<String>) -> Vec<String> {
    let holds = |p: &str| user.permissions.iter().any(|h| h == p);
    actions
        .into_iter()
        .filter(|a| match a.as_str() {
            "submit" | "withdraw" => holds("campaign:campaign:submit"),
            "approve" | "reject" | "return" | "transfer" => holds("task:task:approve"),
            _ => holds("campaign:campaign:operate"),
        })
        .collect()
}

async fn detail_of(
    state: &AppState,
    user: &User,
    campaign: CampaignRecord,
) -> Result<CampaignDetail, ApiError> {
    let workflow_id = ProcessKind::Campaign.workflow_id(&campaign.summary.id.to_string());
    let timeline = quanyi_activities::process::inbox::timeline(&state.pool, &workflow_id).await?;
    let started = !timeline.is_empty();
    let mut part = ProcessPart {
        workflow_id: started.then(|| workflow_id.clone()),
        state: campaign.summary.state.clone(),
        allowed_actions: Vec::new(),
        pending_timers: Vec::new(),
        open_tasks: Vec::new(),
        change_request: None,
        returned: None,
    };
    let ended = matches!(
        campaign.summary.state.as_str(),
        "Evaluated" | "Rejected" | "Cancelled"
    );
    if started && !ended {
        let (_, actor) = door::actor_of(state, user).await?;
        if let Some(view) = door::view(state, &workflow_id, &actor).await? {
            let status = door::status_of(state, &workflow_id, view).await?;
            part.allowed_actions = permitted(user, status.allowed_actions);
            part.pending_timers = status.pending_timers;
            part.open_tasks = status.open_tasks;
            part.change_request = status.change_request;
            part.returned = status.returned;
        }
    }
    let mut actions = draft_actions(user, &part.state);
    for a in part.allowed_actions.drain(..) {
        if !actions.contains(&a) {
            actions.push(a);
        }
    }
    part.allowed_actions = actions;
    Ok(CampaignDetail {
        customer_list: CustomerList {
            total: campaign.summary.customers,
            uploaded_at: campaign.customers_uploaded_at,
            uploaded_by: campaign.customers_uploaded_by.clone(),
        },
        campaign,
        process: part,
        timeline,
        diagram: ProcessKind::Campaign.diagram().into(),
    })
}

/// Creates a draft.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignRequest,
    responses(
        (status = 201, body = CampaignDetail),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CAMP-0002, 0004, 0006, 0008 with fields"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CampaignCreate>,
    Valid(request): Valid<CampaignRequest>,
) -> Result<(StatusCode, Json<CampaignDetail>), ApiError> {
    let new = request.into_new()?;
    if !org_in_scope(&state, &user, new.org_id).await? {
        return Err(ErrorCode::UnknownCampaignOrg.into());
    }
    let id = store::create(&state.pool, &new, state.clock.now(), actor(&user, peer))
        .await?
        .map_err(refusal)?;
    let campaign = campaign_in_scope(&state, &user, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(detail_of(&state, &user, campaign).await?),
    ))
}

/// One campaign with its process: state, what the caller may do, timers, open tasks, timeline.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CampaignDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::CampaignView>,
    Path(id): Path<Uuid>,
) -> Result<Json<CampaignDetail>, ApiError> {
    let campaign = campaign_in_scope(&state, &user, id).await?;
    Ok(Json(detail_of(&state, &user, campaign).await?))
}

/// Edits a draft; after submission a campaign changes only through its process.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = Uuid, Path)), request_body = CampaignRequest,
    responses(
        (status = 200, body = CampaignDetail),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CAMP-0001 no such campaign in scope"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-CAMP-0003 not a draft"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CampaignUpdate>,
    Path(id): Path<Uuid>,
    Valid(request): Valid<CampaignRequest>,
) -> Result<Json<CampaignDetail>, ApiError> {
    campaign_in_scope(&state, &user, id).await?;
    let new = request.into_new()?;
    if !org_in_scope(&state, &user, new.org_id).await? {
        return Err(ErrorCode::UnknownCampaignOrg.into());
    }
    store::update(&state.pool, id, &new, state.clock.now(), actor(&user, peer))
        .await?
        .map_err(refusal)?;
    let campaign = campaign_in_scope(&state, &user, id).await?;
    Ok(Json(detail_of(&state, &user, campaign).await?))
}

/// Replaces a draft's customer list 活动名单 with the file in the body, streamed into
/// PostgreSQL: a CSV or text file (UTF-8 with or without BOM, GBK/GB18030: the encoding is told
/// from the file, a `charset` parameter is not needed) or an Excel workbook (`.xlsx`, its first
/// sheet), one customer number per row. The number is the first column, or the column a header
/// row names (`customer_no`, `客户号`, `客户编号`: an Excel export such as `序号,客户号,客户姓名`
/// works as it is); a header of other titles (`姓名,手机`) is skipped. All or nothing: a file
/// with no valid customer number, or one that cannot be read whole, is refused and the previous
/// list stays. The report's refused lines carry the whole line (`content`).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/customers", tag = "campaigns",
    params(("id" = Uuid, Path)),
    request_body(content = String, content_type = "text/csv",
        description = "The file's bytes: CSV or text in any encoding, or an .xlsx workbook (sent as application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/vnd.ms-excel or application/octet-stream)"),
    responses(
        (status = 200, body = UploadReport),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CAMP-0001 no such campaign in scope"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-CAMP-0003 not a draft"),
        (status = 415, body = crate::error::ErrorBody, description = "QY-REQ-0003 not a CSV, text or .xlsx file"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CAMP-0007 not readable text or workbook; QY-CAMP-0012 no valid customer number (the list is unchanged; `fields` names the first lines, `line <n>`, with QY-CAMP-0010)"),
    ))]
pub async fn upload_customers(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CampaignUpdate>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<UploadReport>, ApiError> {
    let media = crate::extract::media_type(&headers);
    // what browsers and Excel call a CSV or a workbook; the content itself says which it is
    if !matches!(
        media.as_str(),
        "text/csv"
            | "text/plain"
            | "application/csv"
            | "application/vnd.ms-excel"
            | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            | "application/octet-stream"
    ) {
        return Err(ErrorCode::UnsupportedMediaType.into());
    }
    campaign_in_scope(&state, &user, id).await?;
    let mut read = 0usize;
    let limited = body.into_data_stream().map(move |chunk| {
        let chunk = chunk?;
        read += chunk.len();
        if read > MAX_CUSTOMER_FILE {
            return Err(axum::Error::new("the customer list is larger than 64 MiB"));
        }
        Ok(chunk)
    });
    let report = store::replace_customers(
        &state.pool,
        id,
        Box::pin(limited),
        state.clock.now(),
        actor(&user, peer),
    )
    .await
    .map_err(|e| match e {
        UploadError::Refused(r) => refusal(r),
        UploadError::NotText(_) | UploadError::LineTooLong(_) => {
            ApiError::from(ErrorCode::InvalidCustomerFile)
        }
        UploadError::NotWorkbook(reason) => {
            tracing::info!(reason, "customer workbook not read");
            ApiError::from(ErrorCode::InvalidCustomerFile)
        }
        UploadError::NothingImported(report) => nothing_imported(&report),
        UploadError::Body(reason) => {
            tracing::info!(reason, "customer list body not read");
            ApiError::from(ErrorCode::PayloadTooLarge)
        }
        UploadError::Store(e) => e.into(),
    })?;
    Ok(Json(report))
}

/// The largest customer list accepted: some three million customer numbers.
pub const MAX_CUSTOMER_FILE: usize = 64 * 1024 * 1024;

/// How many of the refused lines an upload that imported nothing names.
const NOTHING_IMPORTED_LINES: usize = 20;

/// An upload that imported nothing: its own code, and the first lines at fault as fields
/// (`line 2`) so the planner sees why (a header that names no customer-number column, numbers
/// in another column).
fn nothing_imported(report: &UploadReport) -> ApiError {
    ApiError {
        code: ErrorCode::NoCustomersImported,
        fields: report
            .errors
            .iter()
            .take(NOTHING_IMPORTED_LINES)
            .map(|e| FieldError {
                field: format!("line {}", e.line),
                code: ErrorCode::InvalidCustomerNo,
            })
            .collect(),
        params: Vec::new(),
    }
}

/// A campaign goes to review only with customers to reach: an empty list is refused with its
/// own code, before anything is started or signalled.
pub(crate) fn has_customers(record: &CampaignRecord) -> Result<(), ApiError> {
    if record.summary.customers > 0 {
        Ok(())
    } else {
        Err(ErrorCode::CampaignWithoutCustomers.into())
    }
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct CommentRequest {
    #[schema(max_length = 500)]
    #[validate(length(max = 500, code = "QY-PROC-0010"))]
    pub comment: Option<String>,
}

fn comment(c: Option<String>) -> Option<String> {
    c.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty())
}

fn facts(record: &CampaignRecord) -> Facts {
    Facts {
        title: record.summary.name.clone(),
        start_at: record.summary.start_at,
        end_at: record.summary.end_at,
        budget_fen: record.summary.budget_fen,
    }
}

/// Submits a draft for approval: the first submission starts `campaign-<id>` with the policies
/// of the day; a resubmission after a return or a withdrawal goes to the running process.
/// Submitting twice at once starts one process; the second is refused.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/submit", tag = "campaigns",
    params(("id" = Uuid, Path)), request_body = CommentRequest,
    responses(
        (status = 200, body = ProcessStatus),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CAMP-0001 no such campaign in scope"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0002 not a draft; QY-CAMP-0011 the customer list is empty"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CAMP-0008 the end time has passed"),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CampaignSubmit>,
    Path(id): Path<Uuid>,
    Valid(request): Valid<CommentRequest>,
) -> Result<Json<ProcessStatus>, ApiError> {
    let record = campaign_in_scope(&state, &user, id).await?;
    if record.summary.state != "Draft" {
        return Err(ErrorCode::WrongProcessState.into());
    }
    has_customers(&record)?;
    if record.summary.end_at <= state.clock.now() {
        return Err(ApiError::fields(vec![FieldError {
            field: "end_at".into(),
            code: ErrorCode::InvalidCampaignTime,
        }]));
    }
    let (_, actor_now) = door::actor_of(&state, &user).await?;
    let comment = comment(request.comment);
    let workflow_id = ProcessKind::Campaign.workflow_id(&id.to_string());
    let started = !quanyi_activities::process::inbox::timeline(&state.pool, &workflow_id)
        .await?
        .is_empty();
    if !started {
        match start(&state, &record, &actor_now, comment.clone()).await {
            Ok(view) => {
                audit_submit(&state, &user, peer, &workflow_id, comment.as_deref()).await?;
                return door::status_of(&state, &workflow_id, view).await.map(Json);
            }
            Err(e) if e.code == ErrorCode::ProcessAlreadyStarted => {}
            Err(e) => return Err(e),
        }
    }
    let action = ActionRequest {
        actor: actor_now,
        action: Action::Own(CampaignAction::Submit {
            facts: facts(&record),
        }),
        comment,
    };
    let status = door::act(&state, actor(&user, peer), &workflow_id, action).await?;
    Ok(Json(status))
}

async fn audit_submit(
    state: &AppState,
    user: &User,
    peer: SocketAddr,
    workflow_id: &str,
    comment: Option<&str>,
) -> Result<(), ApiError> {
    let entry = quanyi_activities::audit::Entry {
        action: "process.action.take",
        target: Some(workflow_id.to_owned()),
        after: Some(serde_json::json!({"action": "submit", "comment": comment})),
        ..actor(user, peer)
    };
    let mut tx = state.pool.begin().await?;
    quanyi_activities::audit::append(&mut tx, state.clock.now(), entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Starts the process with the campaign as it is and the policies of the day; a campaign with
/// no customers is refused (QY-CAMP-0011), whichever door it came through. Answers the process's
/// view once its first task is open.
pub async fn start(
    state: &AppState,
    record: &CampaignRecord,
    submitter: &Actor,
    comment: Option<String>,
) -> Result<door::View, ApiError> {
    has_customers(record)?;
    let policy = |process_type: &'static str| async move {
        quanyi_activities::process::inbox::policy_for(
            &state.pool,
            process_type,
            &record.summary.kind,
        )
        .await?
        .ok_or_else(|| ApiError::from(ErrorCode::InvalidPolicy))
    };
    let input = CampaignInput {
        campaign_id: record.summary.id.to_string(),
        org_id: record.summary.org_id.to_string(),
        chain: store::org_chain(&state.pool, record.summary.org_id).await?,
        facts: facts(record),
        submitted_by: submitter.clone(),
        comment,
        review_policy: policy(ProcessKind::Campaign.policy_key()).await?,
        change_policy: policy(CHANGE_POLICY_KEY).await?,
    };
    let key = input.campaign_id.clone();
    let (_, view) = door::start(
        state,
        ProcessKind::Campaign,
        CampaignWorkflow::run,
        input,
        &key,
        submitter,
    )
    .await?;
    Ok(view)
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ActionBody {
    /// `withdraw`, `pause`, `resume`, `cancel` or `terminate`.
    #[schema(
        example = "pause",
        pattern = "^(withdraw|pause|resume|cancel|terminate)$"
    )]
    pub action: String,
    #[schema(max_length = 500)]
    #[validate(length(max = 500, code = "QY-PROC-0010"))]
    pub comment: Option<String>,
}

/// The process's own actions on a campaign: withdraw (submitter), pause, resume, cancel before
/// the start, terminate (opens a one-level approval; the campaign runs on until it is approved).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/actions", tag = "campaigns",
    params(("id" = Uuid, Path)), request_body = ActionBody,
    responses(
        (status = 200, body = ProcessStatus),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CAMP-0001 no such campaign in scope"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0002 not allowed in this state"),
    ))]
pub async fn take_action(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CampaignView>,
    Path(id): Path<Uuid>,
    Valid(request): Valid<ActionBody>,
) -> Result<Json<ProcessStatus>, ApiError> {
    let (action, permission) = match request.action.as_str() {
        "withdraw" => (
            Action::Approval(ApprovalAction::Withdraw),
            "campaign:campaign:submit",
        ),
        "pause" => (
            Action::Own(CampaignAction::Pause),
            "campaign:campaign:operate",
        ),
        "resume" => (
            Action::Own(CampaignAction::Resume),
            "campaign:campaign:operate",
        ),
        "cancel" => (
            Action::Own(CampaignAction::Cancel),
            "campaign:campaign:operate",
        ),
        "terminate" => (
            Action::Own(CampaignAction::Terminate),
            "campaign:campaign:operate",
        ),
        _ => {
            return Err(ApiError::fields(vec![FieldError {
                field: "action".into(),
                code: ErrorCode::InvalidBody,
            }]));
        }
    };
    crate::identity::auth::CurrentUser(user.clone()).require(permission)?;
    let record = campaign_in_scope(&state, &user, id).await?;
    if record.summary.state == "Draft" && matches!(action, Action::Own(CampaignAction::Cancel)) {
        let workflow_id = ProcessKind::Campaign.workflow_id(&id.to_string());
        if quanyi_activities::process::inbox::timeline(&state.pool, &workflow_id)
            .await?
            .is_empty()
        {
            // never submitted: there is no process to cancel
            return Err(ErrorCode::WrongProcessState.into());
        }
    }
    let (_, actor_now) = door::actor_of(&state, &user).await?;
    let workflow_id = ProcessKind::Campaign.workflow_id(&id.to_string());
    let request = ActionRequest {
        actor: actor_now,
        action,
        comment: comment(request.comment),
    };
    let status = door::act(&state, actor(&user, peer), &workflow_id, request).await?;
    Ok(Json(status))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ModificationRequest {
    pub end_at: Option<DateTime<Utc>>,
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-CAMP-0006"))]
    pub budget_fen: Option<i64>,
    #[schema(max_length = 500)]
    #[validate(length(max = 500, code = "QY-PROC-0010"))]
    pub comment: Option<String>,
}

/// 变更: a new end time or budget for a scheduled or running campaign, through one approval
/// level; the campaign keeps its state meanwhile.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/modifications", tag = "campaigns",
    params(("id" = Uuid, Path)), request_body = ModificationRequest,
    responses(
        (status = 200, body = ProcessStatus),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CAMP-0001 no such campaign in scope"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0002 not changeable now"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CAMP-0006, QY-CAMP-0008"),
    ))]
pub async fn modify(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CampaignOperate>,
    Path(id): Path<Uuid>,
    Valid(request): Valid<ModificationRequest>,
) -> Result<Json<ProcessStatus>, ApiError> {
    let record = campaign_in_scope(&state, &user, id).await?;
    if request.end_at.is_none() && request.budget_fen.is_none() {
        return Err(ApiError::fields(vec![FieldError {
            field: "end_at".into(),
            code: ErrorCode::InvalidCampaign,
        }]));
    }
    if request
        .end_at
        .is_some_and(|end| end <= record.summary.start_at || end <= state.clock.now())
    {
        return Err(ApiError::fields(vec![FieldError {
            field: "end_at".into(),
            code: ErrorCode::InvalidCampaignTime,
        }]));
    }
    let (_, actor_now) = door::actor_of(&state, &user).await?;
    let workflow_id = ProcessKind::Campaign.workflow_id(&id.to_string());
    let action = ActionRequest {
        actor: actor_now,
        action: Action::Own(CampaignAction::Modify {
            end_at: request.end_at,
            budget_fen: request.budget_fen,
        }),
        comment: comment(request.comment),
    };
    let status = door::act(&state, actor(&user, peer), &workflow_id, action).await?;
    Ok(Json(status))
}
