//! 巡查 (issue 16, WF-4): inspection plans, each kept in step with its Temporal Schedule; the
//! tasks (each the process `inspection-<task id>`), issued by a plan's round or by hand; the
//! inspector's checklist; staff confirming, returning and asking for rectification; the merchant
//! answering it in the portal ([`portal`]); a serious finding's one-click 停用商户. Every list is
//! cut by the caller's data scope; a merchant's users see only their merchant's results.

pub mod portal;

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Paging, Path, Query, Valid};
use crate::identity::auth::{SteppedUp, actor};
use crate::identity::permission::{self as perm, Authorized};
use crate::system::logs;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use quanyi_activities::files::{self, Owner};
use quanyi_activities::identity::User;
use quanyi_activities::identity::scope;
use quanyi_activities::inspection::schedule::{self, PlanSchedule};
use quanyi_activities::inspection::tasks::{
    self, InspectionTaskPage, Reader, Rectification, TaskDetail, TaskFilter,
};
use quanyi_activities::inspection::{
    self as store, ChecklistEntry, Cycle, IssueRefusal, Plan, PlanInput, PlanRefusal,
};
use quanyi_workflows::approval::Decision;
use quanyi_workflows::inspection::{Answer, InspectionAction, InspectionWorkflow, ItemResult};
use quanyi_workflows::kind::ProcessKind;
use quanyi_workflows::merchant_status::StatusAction;
use quanyi_workflows::process::{Action, ActionRequest, ApprovalAction};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

fn plan_refusal(r: PlanRefusal) -> ApiError {
    match r {
        PlanRefusal::Unknown => ErrorCode::UnknownInspectionPlan.into(),
        PlanRefusal::NameTaken => ErrorCode::InspectionPlanNameTaken.into(),
        PlanRefusal::OrgOutOfScope => ApiError::fields(vec![FieldError {
            field: "scope_org_id".into(),
            code: ErrorCode::OutOfScope,
        }]),
    }
}

fn text_200(value: &str) -> Result<(), ValidationError> {
    let n = value.trim().chars().count();
    if (1..=200).contains(&n) && !value.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(ValidationError::new("QY-INS-0004"))
    }
}

fn valid_checklist(items: &[ChecklistEntry]) -> Result<(), ValidationError> {
    let mut keys = HashSet::new();
    let ok = (1..=50).contains(&items.len())
        && items.iter().all(|i| {
            let key = i.key.trim();
            (1..=20).contains(&key.chars().count())
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && keys.insert(key.to_owned())
                && text_200(&i.text).is_ok()
        });
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("QY-INS-0004"))
    }
}

fn text_100(value: &str) -> Result<(), ValidationError> {
    let n = value.trim().chars().count();
    if (1..=100).contains(&n) && !value.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(ValidationError::new("QY-REQ-0002"))
    }
}

fn text_50(value: &str) -> Result<(), ValidationError> {
    let n = value.trim().chars().count();
    if (1..=50).contains(&n) && !value.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(ValidationError::new("QY-REQ-0002"))
    }
}

/// An inspection plan as staff write it.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct PlanBody {
    #[schema(example = "便利店月度巡查", min_length = 1, max_length = 100)]
    #[validate(custom(function = "text_100", code = "QY-REQ-0002"))]
    pub name: String,
    /// The merchants of this business category (the application's 经营类目); none: any.
    #[schema(example = "便利店", min_length = 1, max_length = 50)]
    #[validate(custom(function = "text_50", code = "QY-REQ-0002"))]
    pub category: Option<String>,
    /// The merchants within this org and below; none: anywhere in your data scope's plan.
    pub scope_org_id: Option<Uuid>,
    pub cycle: Cycle,
    /// Fire every so many seconds instead of on the cycle's calendar (tests, demos); tasks are
    /// still created once per month or quarter.
    #[schema(minimum = 5, maximum = 8000000)]
    #[validate(range(min = 5, max = 8_000_000, code = "QY-REQ-0002"))]
    pub interval_seconds: Option<i32>,
    /// 1–50 items.
    #[validate(custom(function = "valid_checklist", code = "QY-INS-0004"))]
    pub checklist: Vec<ChecklistEntry>,
    /// Days from the round to the tasks' due date.
    #[schema(minimum = 1, maximum = 90, example = 7)]
    #[validate(range(min = 1, max = 90, code = "QY-REQ-0002"))]
    pub due_days: i32,
}

impl PlanBody {
    fn input(self) -> PlanInput {
        PlanInput {
            name: self.name.trim().to_owned(),
            category: self.category.map(|c| c.trim().to_owned()),
            scope_org_id: self.scope_org_id,
            cycle: self.cycle,
            interval_seconds: self.interval_seconds,
            checklist: self
                .checklist
                .into_iter()
                .map(|i| ChecklistEntry {
                    key: i.key.trim().to_owned(),
                    text: i.text.trim().to_owned(),
                    ..i
                })
                .collect(),
            due_days: self.due_days,
        }
    }
}

async fn client(state: &AppState) -> Result<temporalio_client::Client, ApiError> {
    state.temporal.get().await.map_err(|e| {
        tracing::error!(error = %e, "no Temporal for the plan's schedule");
        ApiError::from(ErrorCode::TemporalUnavailable)
    })
}

/// Brings the plan's schedule in line with the plan (created, changed, paused or resumed).
async fn sync_schedule(state: &AppState, plan: &Plan) -> Result<(), ApiError> {
    let client = client(state).await?;
    let wanted = PlanSchedule {
        plan_id: plan.id,
        active: plan.status == "active",
        cycle: plan.cycle,
        interval_seconds: plan.interval_seconds,
    };
    schedule::upsert(&client, &wanted, &state.settings.task_queue)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, plan = %plan.id, "cannot keep the plan's schedule");
            ApiError::from(ErrorCode::TemporalUnavailable)
        })
}

async fn plan_in_scope(state: &AppState, user: &User, id: Uuid) -> Result<Plan, ApiError> {
    let scope = scope::scope_of(&state.pool, user.id).await?;
    store::plan(&state.pool, id, &scope)
        .await?
        .ok_or_else(|| ErrorCode::UnknownInspectionPlan.into())
}

/// 巡查计划: the plans within your data scope, newest first.
#[utoipa::path(get, path = "/api/v1/inspection/plans", tag = "inspection",
    responses((status = 200, body = Vec<Plan>)))]
pub async fn plans(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::InspectionManage>,
) -> Result<Json<Vec<Plan>>, ApiError> {
    let scope = scope::scope_of(&state.pool, user.id).await?;
    Ok(Json(store::plans(&state.pool, &scope).await?))
}

/// Creates a plan and its Temporal Schedule (active at once). Audited.
#[utoipa::path(post, path = "/api/v1/inspection/plans", tag = "inspection",
    request_body = PlanBody,
    responses(
        (status = 201, body = Plan),
        (status = 409, body = crate::error::ErrorBody, description = "QY-INS-0005 a plan has the name"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-INS-0004 a bad checklist; QY-SYS-1001 an org outside your data scope"),
    ))]
pub async fn create_plan(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionManage>,
    Valid(body): Valid<PlanBody>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let scope = scope::scope_of(&state.pool, user.id).await?;
    let id = store::create_plan(
        &state.pool,
        &body.input(),
        user.org_id,
        &scope,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(plan_refusal)?;
    let plan = plan_in_scope(&state, &user, id).await?;
    sync_schedule(&state, &plan).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// Changes a plan and its schedule. Audited with before and after.
#[utoipa::path(put, path = "/api/v1/inspection/plans/{id}", tag = "inspection",
    params(("id" = Uuid, Path)),
    request_body = PlanBody,
    responses(
        (status = 200, body = Plan),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0001 no such plan"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-INS-0005 a plan has the name"),
    ))]
pub async fn update_plan(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionManage>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<PlanBody>,
) -> Result<Json<Plan>, ApiError> {
    let scope = scope::scope_of(&state.pool, user.id).await?;
    store::update_plan(
        &state.pool,
        id,
        &body.input(),
        &scope,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(plan_refusal)?;
    let plan = plan_in_scope(&state, &user, id).await?;
    sync_schedule(&state, &plan).await?;
    Ok(Json(plan))
}

async fn set_active(
    state: &AppState,
    user: &User,
    peer: SocketAddr,
    id: Uuid,
    active: bool,
) -> Result<Json<Plan>, ApiError> {
    let scope = scope::scope_of(&state.pool, user.id).await?;
    store::set_plan_active(
        &state.pool,
        id,
        active,
        &scope,
        state.clock.now(),
        actor(user, peer),
    )
    .await?
    .map_err(plan_refusal)?;
    let plan = plan_in_scope(state, user, id).await?;
    sync_schedule(state, &plan).await?;
    Ok(Json(plan))
}

/// Pauses a plan: its schedule stops firing. Audited.
#[utoipa::path(post, path = "/api/v1/inspection/plans/{id}/pause", tag = "inspection",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Plan),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0001 no such plan"),
    ))]
pub async fn pause_plan(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionManage>,
    Path(id): Path<Uuid>,
) -> Result<Json<Plan>, ApiError> {
    set_active(&state, &user, peer, id, false).await
}

/// Resumes a paused plan. Audited.
#[utoipa::path(post, path = "/api/v1/inspection/plans/{id}/resume", tag = "inspection",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Plan),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0001 no such plan"),
    ))]
pub async fn resume_plan(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionManage>,
    Path(id): Path<Uuid>,
) -> Result<Json<Plan>, ApiError> {
    set_active(&state, &user, peer, id, true).await
}

/// Deletes a plan and its schedule; its tasks stay. Audited.
#[utoipa::path(delete, path = "/api/v1/inspection/plans/{id}", tag = "inspection",
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0001 no such plan"),
    ))]
pub async fn delete_plan(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionManage>,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let scope = scope::scope_of(&state.pool, user.id).await?;
    store::delete_plan(
        &state.pool,
        id,
        &scope,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(plan_refusal)?;
    let client = client(&state).await?;
    schedule::delete(&client, id).await.map_err(|e| {
        tracing::error!(error = %e, plan = %id, "cannot delete the plan's schedule");
        ApiError::from(ErrorCode::TemporalUnavailable)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- tasks -------------------------------------------------------------------------------------

/// The open approval of a task's process.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenStep {
    /// `inspect-1`, `review-1`, `rectification-1`, ….
    pub step: String,
    pub level: usize,
    pub level_name: String,
    pub due_at: DateTime<Utc>,
}

/// A task with where its process stands for the caller.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = InspectionTaskView)]
pub struct TaskView {
    #[serde(flatten)]
    pub detail: TaskDetail,
    /// The process's state (`Pending`, `Submitted`, …); none once it has ended and the store's
    /// status says it.
    pub state: Option<String>,
    /// What the caller may do now: `submit`, `approve`, `return`, `request_rectification`,
    /// `answer_rectification`, `transfer`.
    pub allowed_actions: Vec<String>,
    pub approval: Option<OpenStep>,
}

pub(crate) async fn task_view(
    state: &AppState,
    user: &User,
    reader: &Reader,
    id: Uuid,
) -> Result<TaskView, ApiError> {
    let detail = tasks::task(&state.pool, reader, id, state.clock.now())
        .await?
        .ok_or(ErrorCode::UnknownInspectionTask)?;
    let (_, viewer) = crate::process::actor_of(state, user).await?;
    let view = crate::process::view(state, &detail.task.workflow_id, &viewer).await?;
    Ok(TaskView {
        detail,
        state: view.as_ref().map(|v| v.state.clone()),
        allowed_actions: view
            .as_ref()
            .map(|v| v.allowed_actions.clone())
            .unwrap_or_default(),
        approval: view.and_then(|v| v.approval).map(|a| OpenStep {
            step: a.step,
            level: a.level,
            level_name: a.level_name,
            due_at: a.due_at,
        }),
    })
}

pub(crate) async fn staff_reader(state: &AppState, user: &User) -> Result<Reader, ApiError> {
    Ok(Reader::Staff(scope::scope_of(&state.pool, user.id).await?))
}

/// 巡查任务: the tasks within your data scope (an inspector: also those assigned to them), by
/// status, org, merchant, plan, overdue or mine.
#[utoipa::path(get, path = "/api/v1/inspection/tasks", tag = "inspection",
    params(TaskFilter, Paging),
    responses((status = 200, body = InspectionTaskPage)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::InspectionView>,
    Query(filter): Query<TaskFilter>,
    paging: Paging,
) -> Result<Json<InspectionTaskPage>, ApiError> {
    let reader = staff_reader(&state, &user).await?;
    let page = tasks::tasks(
        &state.pool,
        &reader,
        user.id,
        &filter,
        (paging.limit(), paging.offset()),
        state.clock.now(),
    )
    .await?;
    Ok(Json(page))
}

#[derive(Serialize)]
struct TaskCsvRow {
    code: String,
    plan: String,
    cycle: String,
    merchant_code: String,
    merchant_name: String,
    org: String,
    inspector: String,
    status: String,
    serious: bool,
    overdue: bool,
    due_at: String,
    submitted_at: String,
}

/// Exports the tasks the filter finds as CSV (step-up; audited).
#[utoipa::path(get, path = "/api/v1/inspection/tasks/export", tag = "inspection",
    params(TaskFilter),
    responses((status = 200, content_type = "text/csv", description = "UTF-8 CSV with a BOM")))]
pub async fn export_tasks(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionExport>,
    _: SteppedUp,
    Query(filter): Query<TaskFilter>,
) -> Result<Response, ApiError> {
    const MAX_ROWS: i64 = 100_000;
    let reader = staff_reader(&state, &user).await?;
    let page = tasks::tasks(
        &state.pool,
        &reader,
        user.id,
        &filter,
        (MAX_ROWS, 0),
        state.clock.now(),
    )
    .await?;
    let rows = page.items.len();
    let at = |t: DateTime<Utc>| t.with_timezone(&logs::beijing()).to_rfc3339();
    let csv = logs::csv_bytes(page.items.into_iter().map(|t| TaskCsvRow {
        code: t.code,
        plan: t.plan_name.unwrap_or_default(),
        cycle: t.cycle.unwrap_or_default(),
        merchant_code: t.merchant_code,
        merchant_name: t.merchant_name,
        org: t.org_name,
        inspector: t.inspector_name.unwrap_or_default(),
        status: t.status,
        serious: t.serious,
        overdue: t.overdue,
        due_at: at(t.due_at),
        submitted_at: t.submitted_at.map(at).unwrap_or_default(),
    }))?;
    let described = serde_json::json!({
        "status": filter.status, "org_id": filter.org_id, "merchant": filter.merchant,
        "overdue": filter.overdue, "plan_id": filter.plan_id, "mine": filter.mine,
    });
    logs::export(
        &state,
        actor(&user, peer),
        "merchant.inspection.export",
        "inspections",
        &described,
        csv,
        rows,
    )
    .await
}

/// A task issued by hand.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct IssueBody {
    #[schema(example = "M001")]
    #[validate(length(min = 1, max = 32, code = "QY-REQ-0002"))]
    pub merchant_code: String,
    #[validate(custom(function = "valid_checklist", code = "QY-INS-0004"))]
    pub checklist: Vec<ChecklistEntry>,
    /// Within 90 days.
    pub due_at: DateTime<Utc>,
    /// An inspector of the merchant's branch; none: the one with the fewest open tasks.
    #[validate(length(min = 1, max = 32, code = "QY-REQ-0002"))]
    pub inspector: Option<String>,
}

fn deadline_ok(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    at > now && at <= now + Duration::days(90)
}

fn deadline_refused(field: &str) -> ApiError {
    ApiError::fields(vec![FieldError {
        field: field.into(),
        code: ErrorCode::InvalidInspectionDeadline,
    }])
}

/// 下发巡查任务: a task for one merchant, by hand; its process starts at once and its inspector
/// is told. Audited.
#[utoipa::path(post, path = "/api/v1/inspection/tasks", tag = "inspection",
    request_body = IssueBody,
    responses(
        (status = 201, body = TaskView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1021 no such merchant within your data scope"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-INS-0004 a bad checklist; QY-INS-0007 a bad due date; QY-INS-0008 not an inspector there"),
    ))]
pub async fn issue_task(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionManage>,
    Valid(body): Valid<IssueBody>,
) -> Result<(StatusCode, Json<TaskView>), ApiError> {
    let now = state.clock.now();
    if !deadline_ok(body.due_at, now) {
        return Err(deadline_refused("due_at"));
    }
    let scope = scope::scope_of(&state.pool, user.id).await?;
    let (id, _) = store::issue(
        &state.pool,
        body.merchant_code.trim(),
        &body.checklist,
        body.due_at,
        body.inspector.as_deref(),
        &scope,
        now,
        actor(&user, peer),
    )
    .await?
    .map_err(|r| match r {
        IssueRefusal::UnknownMerchant => ApiError::from(ErrorCode::NoSuchMerchant),
        IssueRefusal::NotAnInspector => ApiError::fields(vec![FieldError {
            field: "inspector".into(),
            code: ErrorCode::NotAnInspector,
        }]),
    })?;
    let input = store::input_of(&state.pool, id)
        .await?
        .ok_or(ErrorCode::UnknownInspectionTask)?;
    let (_, issuer) = crate::process::actor_of(&state, &user).await?;
    crate::process::start(
        &state,
        ProcessKind::Inspection,
        InspectionWorkflow::run,
        input,
        &id.to_string(),
        &issuer,
    )
    .await?;
    store::mark_started(&state.pool, &[id.to_string()]).await?;
    let reader = staff_reader(&state, &user).await?;
    Ok((
        StatusCode::CREATED,
        Json(task_view(&state, &user, &reader, id).await?),
    ))
}

/// One task: its checklist, answers, rectifications and what you may do now.
#[utoipa::path(get, path = "/api/v1/inspection/tasks/{id}", tag = "inspection",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TaskView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0002 no such task within your data scope"),
    ))]
pub async fn task(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::InspectionView>,
    Path(id): Path<Uuid>,
) -> Result<Json<TaskView>, ApiError> {
    let reader = staff_reader(&state, &user).await?;
    Ok(Json(task_view(&state, &user, &reader, id).await?))
}

/// Sends an action to task `id`'s process as `user` (the task within `reader`'s sight) and
/// answers the task as it then stands.
pub(crate) async fn act(
    state: &AppState,
    user: &User,
    peer: SocketAddr,
    reader: &Reader,
    id: Uuid,
    action: Action<InspectionAction>,
    comment: Option<String>,
) -> Result<TaskView, ApiError> {
    let detail = tasks::task(&state.pool, reader, id, state.clock.now())
        .await?
        .ok_or(ErrorCode::UnknownInspectionTask)?;
    let (_, who) = crate::process::actor_of(state, user).await?;
    crate::process::act(
        state,
        actor(user, peer),
        &detail.task.workflow_id,
        ActionRequest {
            actor: who,
            action,
            comment,
        },
    )
    .await?;
    task_view(state, user, reader, id).await
}

/// Whether every file is the caller's upload, or already part of the task.
pub(crate) async fn own_files(
    state: &AppState,
    user: &User,
    task: Uuid,
    ids: &[Uuid],
    field: &str,
) -> Result<(), ApiError> {
    for &file in ids {
        let mine = files::find(&state.pool, file)
            .await?
            .is_some_and(|r| r.owner() == Some(Owner::User(user.id)));
        if !mine && !tasks::has_file(&state.pool, task, file).await? {
            return Err(ApiError::fields(vec![FieldError {
                field: field.into(),
                code: ErrorCode::InspectionFileNotYours,
            }]));
        }
    }
    Ok(())
}

/// The inspector's answer to one item.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AnswerBody {
    pub key: String,
    /// `pass` or `fail`, for a pass/fail item.
    #[schema(value_type = Option<String>, example = "pass")]
    pub result: Option<ItemResult>,
    /// A text item's observation, or a note (at most 500 characters).
    pub text: Option<String>,
    /// Photo file ids (uploaded through `/api/v1/files`), at most 9.
    #[serde(default)]
    pub photos: Vec<Uuid>,
    /// A serious finding: 停用商户 is offered.
    #[serde(default)]
    pub serious: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = InspectionSubmitBody)]
pub struct SubmitBody {
    pub answers: Vec<AnswerBody>,
}

/// The inspector submits the checklist (each item answered once, photos where required).
#[utoipa::path(post, path = "/api/v1/inspection/tasks/{id}/submit", tag = "inspection", operation_id = "submit_inspection",
    params(("id" = Uuid, Path)),
    request_body = SubmitBody,
    responses(
        (status = 200, body = TaskView),
        (status = 403, body = crate::error::ErrorBody, description = "QY-PROC-0004 not an inspector of the task"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0002 no such task"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0002 not waiting for the inspection"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-INS-0003 an incomplete checklist; QY-INS-0006 a photo not yours"),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionExecute>,
    Path(id): Path<Uuid>,
    Json(body): Json<SubmitBody>,
) -> Result<Json<TaskView>, ApiError> {
    let photos: Vec<Uuid> = body.answers.iter().flat_map(|a| a.photos.clone()).collect();
    own_files(&state, &user, id, &photos, "answers").await?;
    let answers = body
        .answers
        .into_iter()
        .map(|a| Answer {
            key: a.key,
            result: a.result,
            text: a
                .text
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            photos: a.photos.iter().map(Uuid::to_string).collect(),
            serious: a.serious,
        })
        .collect();
    let reader = staff_reader(&state, &user).await?;
    let action = Action::Own(InspectionAction::Submit { answers });
    Ok(Json(
        act(&state, &user, peer, &reader, id, action, None).await?,
    ))
}

/// A staff decision on the open confirmation or rectification acceptance.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = InspectionDecisionBody)]
pub struct DecisionBody {
    /// `approve` (确认 / 验收通过) or `return` (退回).
    #[schema(value_type = String, example = "approve")]
    pub decision: Decision,
    /// Why: the inspector or the merchant reads it (required to return).
    #[validate(length(min = 1, max = 500, code = "QY-REQ-0002"))]
    pub comment: Option<String>,
}

/// 确认 or 退回 the submitted inspection, or 验收 or 退回 the merchant's rectification: the
/// decision on whichever is open (the inbox's task does the same).
#[utoipa::path(post, path = "/api/v1/inspection/tasks/{id}/decision", tag = "inspection", operation_id = "decide_inspection",
    params(("id" = Uuid, Path)),
    request_body = DecisionBody,
    responses(
        (status = 200, body = TaskView),
        (status = 403, body = crate::error::ErrorBody, description = "QY-PROC-0003 your own submission; QY-PROC-0004 not eligible"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0002 no such task"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0005 decided already; QY-PROC-0002 nothing to decide"),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionView>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<DecisionBody>,
) -> Result<Json<TaskView>, ApiError> {
    let reader = staff_reader(&state, &user).await?;
    let current = task_view(&state, &user, &reader, id).await?;
    let Some(open) = current.approval.filter(|a| !a.step.starts_with("inspect")) else {
        return Err(ErrorCode::WrongProcessState.into());
    };
    let comment = body.comment.map(|c| c.trim().to_owned());
    if body.decision != Decision::Approve && comment.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::fields(vec![FieldError {
            field: "comment".into(),
            code: ErrorCode::CommentRequired,
        }]));
    }
    let action = Action::Approval(ApprovalAction::Decide {
        step: open.step,
        level: open.level,
        decision: body.decision,
    });
    Ok(Json(
        act(&state, &user, peer, &reader, id, action, comment).await?,
    ))
}

/// 要求整改: instead of confirming, ask the merchant to rectify by a deadline.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct RectifyBody {
    #[schema(
        example = "灭火器过期，请更换并拍照上传",
        min_length = 1,
        max_length = 500
    )]
    #[validate(length(min = 1, max = 500, code = "QY-REQ-0002"))]
    pub requirement: String,
    /// Within 90 days.
    pub deadline: DateTime<Utc>,
}

/// Asks the merchant for rectification (the confirmation is then done); the merchant's
/// administrators are told.
#[utoipa::path(post, path = "/api/v1/inspection/tasks/{id}/rectification", tag = "inspection",
    params(("id" = Uuid, Path)),
    request_body = RectifyBody,
    responses(
        (status = 200, body = TaskView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0002 no such task"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0002 not submitted"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-INS-0007 a bad deadline"),
    ))]
pub async fn request_rectification(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionView>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<RectifyBody>,
) -> Result<Json<TaskView>, ApiError> {
    if !deadline_ok(body.deadline, state.clock.now()) {
        return Err(deadline_refused("deadline"));
    }
    let reader = staff_reader(&state, &user).await?;
    let action = Action::Own(InspectionAction::RequestRectification {
        requirement: body.requirement,
        deadline: body.deadline,
    });
    Ok(Json(
        act(&state, &user, peer, &reader, id, action, None).await?,
    ))
}

/// A reason for 停用商户.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct DisableBody {
    #[validate(length(min = 1, max = 400, code = "QY-REQ-0002"))]
    pub reason: Option<String>,
}

/// 停用商户 from a serious finding, with one click: starts the merchant's `merchant-status`
/// disable request (its approval as usual).
#[utoipa::path(post, path = "/api/v1/inspection/tasks/{id}/disable-merchant", tag = "inspection",
    params(("id" = Uuid, Path)),
    request_body = DisableBody,
    responses(
        (status = 202, body = crate::merchants::MerchantRequestPending),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0002 no such task"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-INS-0009 nothing serious; QY-MER-0002 disabled already; QY-MER-0003 a request is pending"),
    ))]
pub async fn disable_merchant(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantManage>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<DisableBody>,
) -> Result<(StatusCode, Json<crate::merchants::MerchantRequestPending>), ApiError> {
    let reader = staff_reader(&state, &user).await?;
    let detail = tasks::task(&state.pool, &reader, id, state.clock.now())
        .await?
        .ok_or(ErrorCode::UnknownInspectionTask)?;
    if !detail.task.serious {
        return Err(ErrorCode::NoSeriousFinding.into());
    }
    let reason = format!(
        "巡查任务{}发现严重问题{}",
        detail.task.code,
        body.reason
            .map(|r| format!("：{}", r.trim()))
            .unwrap_or_default()
    );
    let pending = crate::merchants::ask_status(
        &state,
        &user,
        &detail.task.merchant_code,
        StatusAction::Disable,
        Some(reason),
        crate::identity::auth::actor(&user, peer),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(pending)))
}

/// A photo or evidence file of a task you may see.
#[utoipa::path(get, path = "/api/v1/inspection/tasks/{id}/files/{file}", tag = "inspection",
    params(("id" = Uuid, Path), ("file" = Uuid, Path)),
    responses(
        (status = 200, description = "The file, as an attachment", content(("image/jpeg"), ("image/png"), ("application/pdf"))),
        (status = 404, body = crate::error::ErrorBody, description = "QY-FILE-0007 no such file of the task"),
    ))]
pub async fn task_file(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::InspectionView>,
    Path((id, file)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let reader = staff_reader(&state, &user).await?;
    file_of(&state, &reader, id, file).await
}

pub(crate) async fn file_of(
    state: &AppState,
    reader: &Reader,
    id: Uuid,
    file: Uuid,
) -> Result<Response, ApiError> {
    let visible = tasks::task(&state.pool, reader, id, state.clock.now())
        .await?
        .is_some();
    if !visible || !tasks::has_file(&state.pool, id, file).await? {
        return Err(ErrorCode::UnknownFile.into());
    }
    let record = files::find(&state.pool, file)
        .await?
        .ok_or(ErrorCode::UnknownFile)?;
    crate::files::attachment(state, record).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RectificationQuery {
    /// `open`, `answered`, `accepted`, `returned`.
    pub status: Option<String>,
}

/// 整改: the rectifications of the tasks within your data scope, the open ones first.
#[utoipa::path(get, path = "/api/v1/inspection/rectifications", tag = "inspection",
    params(RectificationQuery),
    responses((status = 200, body = Vec<Rectification>)))]
pub async fn rectifications(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::InspectionView>,
    Query(query): Query<RectificationQuery>,
) -> Result<Json<Vec<Rectification>>, ApiError> {
    let reader = staff_reader(&state, &user).await?;
    Ok(Json(
        tasks::rectifications(
            &state.pool,
            &reader,
            None,
            query.status.as_deref(),
            state.clock.now(),
        )
        .await?,
    ))
}
