//! 流程中心 (WF-7, WF-8): the inbox 代办任务 with its decisions and transfers, the monitor
//! 流程监控 with each process's state diagram, and the approval policies. Acting on a process
//! goes through [`act`]: a Temporal update whose validator refuses with a `QY-PROC-` code and
//! leaves no trace, then a wait until the process has carried the action out.

use crate::AppState;
use crate::auth::actor;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Paging, Path, Query, Valid};
use crate::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use quanyi_activities::audit::{self, Entry};
use quanyi_activities::identity::User;
use quanyi_activities::inbox::{self, PolicyRow, ProcessRow, Tab, TaskRow, TimelineEntry, Viewer};
use quanyi_activities::system;
use quanyi_workflows::approval::{Actor, Decision, Level, OrgRule, Refusal};
use quanyi_workflows::campaign::{self as campaign, CampaignWorkflow};
use quanyi_workflows::process::{Accepted, Action, ActionRequest, ChangeRequest, ProcessView};
use quanyi_workflows::stock::{self, StockChangeWorkflow};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;
use temporalio_client::Client;
use temporalio_client::WorkflowQueryOptions;
use temporalio_client::errors::{WorkflowQueryError, WorkflowUpdateError};
use temporalio_common::{HasWorkflowDefinition, QueryDefinition, UpdateDefinition};
use uuid::Uuid;
use validator::Validate;

/// The workflow's view of the user: who they are, where they sit, which roles they hold.
pub async fn actor_of(state: &AppState, user: &User) -> Result<(Viewer, Actor), ApiError> {
    let viewer = inbox::viewer(&state.pool, user.id)
        .await?
        .ok_or(ErrorCode::NotAuthenticated)?;
    let actor = Actor {
        user_id: user.id.to_string(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        org_path: viewer.org_path.clone(),
        roles: viewer.roles.clone(),
    };
    Ok((viewer, actor))
}

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::WrongState => ErrorCode::WrongProcessState,
        Refusal::OwnSubmission => ErrorCode::OwnSubmission,
        Refusal::NotEligible => ErrorCode::NotEligibleApprover,
        Refusal::AlreadyDecided => ErrorCode::AlreadyDecided,
        Refusal::TargetNotEligible => ErrorCode::TransferTargetNotEligible,
    }
    .into()
}

/// A process's state as an action leaves it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProcessStatus {
    pub workflow_id: String,
    pub state: String,
    pub allowed_actions: Vec<String>,
    pub pending_timers: Vec<PendingTimerView>,
    pub open_tasks: Vec<TaskRow>,
    pub change_request: Option<ChangeRequestView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PendingTimerView {
    /// `start`, `end`, `remind`, `escalate`.
    pub name: String,
    pub label: String,
    pub fires_at: chrono::DateTime<chrono::Utc>,
}

/// A change of a scheduled or running campaign waiting for its approval.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeRequestView {
    /// `modify` or `terminate`.
    pub kind: String,
    pub end_at: Option<chrono::DateTime<chrono::Utc>>,
    pub budget_fen: Option<i64>,
    pub comment: Option<String>,
}

fn timer_label(name: &str) -> &'static str {
    match name {
        "start" => "活动开始",
        "end" => "活动结束",
        "remind" => "超时提醒",
        _ => "超时升级",
    }
}

/// The status a process view and the read model give.
pub async fn status_of(
    state: &AppState,
    workflow_id: &str,
    view: ProcessView,
) -> Result<ProcessStatus, ApiError> {
    let open_tasks = inbox::tasks_of(&state.pool, workflow_id, state.clock.now())
        .await?
        .into_iter()
        .filter(|t| t.status == "open")
        .collect();
    Ok(ProcessStatus {
        workflow_id: workflow_id.to_owned(),
        state: view.state,
        allowed_actions: view.allowed_actions,
        pending_timers: view
            .pending_timers
            .into_iter()
            .map(|t| PendingTimerView {
                label: timer_label(&t.name).into(),
                name: t.name,
                fires_at: t.fires_at,
            })
            .collect(),
        open_tasks,
        change_request: view
            .approval
            .and_then(|a| a.change)
            .map(|change| match change {
                ChangeRequest::Modify {
                    end_at,
                    budget_fen,
                    comment,
                } => ChangeRequestView {
                    kind: "modify".into(),
                    end_at,
                    budget_fen,
                    comment,
                },
                ChangeRequest::Terminate { comment } => ChangeRequestView {
                    kind: "terminate".into(),
                    end_at: None,
                    budget_fen: None,
                    comment,
                },
            }),
    })
}

/// Whether the workflow id names a stock-change process (else a campaign).
fn is_stock_change(workflow_id: &str) -> bool {
    workflow_id.starts_with("stock-change-")
}

async fn typed_query<W, Q>(
    client: &Client,
    workflow_id: &str,
    query: Q,
    viewer: Actor,
) -> Result<ProcessView, WorkflowQueryError>
where
    W: HasWorkflowDefinition,
    Q: QueryDefinition<Workflow = W::Run, Input = Actor, Output = ProcessView>,
{
    client
        .get_workflow_handle::<W>(workflow_id)
        .query(query, viewer, WorkflowQueryOptions::default())
        .await
}

async fn typed_update<W, U>(
    client: &Client,
    workflow_id: &str,
    update: U,
    request: ActionRequest,
) -> Result<Accepted, WorkflowUpdateError>
where
    W: HasWorkflowDefinition,
    U: UpdateDefinition<Workflow = W::Run, Input = ActionRequest, Output = Accepted>,
{
    client
        .get_workflow_handle::<W>(workflow_id)
        .execute_update(update, request, Default::default())
        .await
}

/// The `view` query of whichever process the id names.
async fn query_view(
    client: &Client,
    workflow_id: &str,
    viewer: Actor,
) -> Result<ProcessView, WorkflowQueryError> {
    if is_stock_change(workflow_id) {
        typed_query::<StockChangeWorkflow, _>(
            client,
            workflow_id,
            StockChangeWorkflow::view,
            viewer,
        )
        .await
    } else {
        typed_query::<CampaignWorkflow, _>(client, workflow_id, CampaignWorkflow::view, viewer)
            .await
    }
}

/// The `act` update of whichever process the id names.
async fn update_act(
    client: &Client,
    workflow_id: &str,
    request: ActionRequest,
) -> Result<Accepted, WorkflowUpdateError> {
    if is_stock_change(workflow_id) {
        typed_update::<StockChangeWorkflow, _>(
            client,
            workflow_id,
            StockChangeWorkflow::act,
            request,
        )
        .await
    } else {
        typed_update::<CampaignWorkflow, _>(client, workflow_id, CampaignWorkflow::act, request)
            .await
    }
}

/// Asks the process for its view as `viewer` sees it; `None` once it has completed and can no
/// longer answer, or was never started.
pub async fn view(
    state: &AppState,
    workflow_id: &str,
    viewer: &Actor,
) -> Result<Option<ProcessView>, ApiError> {
    let client = state
        .temporal
        .get()
        .await
        .map_err(|_| ErrorCode::TemporalUnavailable)?;
    match query_view(&client, workflow_id, viewer.clone()).await {
        Ok(view) => Ok(Some(view)),
        Err(WorkflowQueryError::NotFound(_)) => Ok(None),
        Err(e) => {
            tracing::warn!(error = %e, workflow_id, "cannot query the process");
            Err(ErrorCode::TemporalUnavailable.into())
        }
    }
}

/// Sends `request` to the process and waits (up to 10 s) until it has carried it out, so the
/// answer — and the inbox and the read model — show the result. Accepted and refused actions
/// are both audited.
pub async fn act(
    state: &AppState,
    who: Entry,
    workflow_id: &str,
    request: ActionRequest,
) -> Result<ProcessStatus, ApiError> {
    let client = state
        .temporal
        .get()
        .await
        .map_err(|_| ErrorCode::TemporalUnavailable)?;
    let name = request.action.name();
    let viewer = request.actor.clone();
    let audit_entry = |refused: bool| Entry {
        action: "process.action.take",
        target: Some(workflow_id.to_owned()),
        refused,
        after: Some(serde_json::json!({
            "action": name, "comment": request.comment,
            "detail": match &request.action {
                Action::Transfer { to, .. } => serde_json::json!({"to": to.username}),
                Action::Modify { end_at, budget_fen } =>
                    serde_json::json!({"end_at": end_at, "budget_fen": budget_fen}),
                Action::Decide { step, level, .. } => serde_json::json!({"step": step, "level": level}),
                _ => serde_json::Value::Null,
            },
        })),
        ..who.clone()
    };
    let outcome = update_act(&client, workflow_id, request.clone()).await;
    let accepted = match outcome {
        Ok(accepted) => accepted,
        Err(e) => {
            let error = match &e {
                WorkflowUpdateError::NotFound(_) => ApiError::from(ErrorCode::UnknownProcess),
                other => match Refusal::from_message(&format!("{other:?}")) {
                    Some(r) => refusal(r),
                    None => {
                        tracing::error!(error = ?other, workflow_id, "the update failed");
                        ApiError::from(ErrorCode::TemporalUnavailable)
                    }
                },
            };
            if error.code != ErrorCode::TemporalUnavailable {
                let mut tx = state.pool.begin().await?;
                audit::append(&mut tx, state.clock.now(), audit_entry(true)).await?;
                tx.commit().await?;
            }
            return Err(error);
        }
    };
    let mut tx = state.pool.begin().await?;
    audit::append(&mut tx, state.clock.now(), audit_entry(false)).await?;
    tx.commit().await?;
    let view = wait_applied(state, workflow_id, &viewer, accepted.ticket).await?;
    status_of(state, workflow_id, view).await
}

/// Waits (up to 10 s) until a just-started process has opened its first approval task in the read
/// model, so the answer and the approvers' inbox agree.
pub async fn wait_started(
    state: &AppState,
    workflow_id: &str,
    viewer: &Actor,
) -> Result<ProcessView, ApiError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let opened = sqlx::query_scalar!(
            "SELECT EXISTS (SELECT 1 FROM tasks WHERE workflow_id = $1 AND status = 'open')",
            workflow_id
        )
        .fetch_one(&state.pool)
        .await?
        .unwrap_or(false);
        if opened || tokio::time::Instant::now() > deadline {
            return view(state, workflow_id, viewer)
                .await?
                .ok_or_else(|| ErrorCode::UnknownProcess.into());
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// Polls the process until it has carried out action `ticket` (or has completed).
async fn wait_applied(
    state: &AppState,
    workflow_id: &str,
    viewer: &Actor,
    ticket: u64,
) -> Result<ProcessView, ApiError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let view = view(state, workflow_id, viewer).await?;
        match view {
            Some(view) if view.applied >= ticket || tokio::time::Instant::now() > deadline => {
                return Ok(view);
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(30)).await,
            None => return Err(ErrorCode::UnknownProcess.into()),
        }
    }
}

// ---- the inbox --------------------------------------------------------------------------------

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TaskQuery {
    /// `todo` (default), `done` or `mine`.
    pub tab: Option<String>,
    pub process_type: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskPage {
    pub items: Vec<TaskRow>,
    pub total: i64,
}

/// 代办任务: what I may act on, what I decided, what I submitted.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "processes", params(TaskQuery, Paging),
    responses((status = 200, body = TaskPage)))]
pub async fn tasks(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::TaskView>,
    paging: Paging,
    Query(query): Query<TaskQuery>,
) -> Result<Json<TaskPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    let tab = match query.tab.as_deref() {
        None | Some("todo") => Tab::Todo,
        Some("done") => Tab::Done,
        Some("mine") => Tab::Mine,
        Some(_) => return Err(ErrorCode::InvalidQuery.into()),
    };
    let (viewer, _) = actor_of(&state, &user).await?;
    let (items, total) = inbox::tasks(
        &state.pool,
        &viewer,
        tab,
        query.process_type.as_deref(),
        state.clock.now(),
        limit,
        offset,
    )
    .await?;
    Ok(Json(TaskPage { items, total }))
}

/// The inbox badge: open tasks, overdue among them, decided, submitted.
#[utoipa::path(get, path = "/api/v1/tasks/counts", tag = "processes",
    responses((status = 200, body = inbox::TaskCounts)))]
pub async fn task_counts(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::TaskView>,
) -> Result<Json<inbox::TaskCounts>, ApiError> {
    let (viewer, _) = actor_of(&state, &user).await?;
    Ok(Json(
        inbox::counts(&state.pool, &viewer, state.clock.now()).await?,
    ))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct DecisionRequest {
    /// `approve`, `reject` or `return`.
    #[schema(value_type = String, example = "approve", pattern = "^(approve|reject|return)$")]
    pub decision: Decision,
    /// Required to reject or return.
    #[schema(max_length = 500)]
    #[validate(length(max = 500, code = "QY-PROC-0010"))]
    pub comment: Option<String>,
}

async fn open_task(state: &AppState, id: Uuid) -> Result<inbox::TaskKey, ApiError> {
    let task = inbox::task(&state.pool, id)
        .await?
        .ok_or(ErrorCode::UnknownTask)?;
    if task.status != "open" {
        return Err(ErrorCode::AlreadyDecided.into());
    }
    Ok(task)
}

/// Decides a task: approve, reject (ends the request) or return it for changes.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/decision", tag = "processes",
    params(("id" = Uuid, Path)), request_body = DecisionRequest,
    responses(
        (status = 200, body = ProcessStatus),
        (status = 403, body = crate::error::ErrorBody, description = "QY-PROC-0003 own submission, QY-PROC-0004 not eligible"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PROC-0008 no such task"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0002 wrong state, QY-PROC-0005 decided already"),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TaskApprove>,
    Path(id): Path<Uuid>,
    Valid(request): Valid<DecisionRequest>,
) -> Result<Json<ProcessStatus>, ApiError> {
    let comment = request
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if request.decision != Decision::Approve && comment.is_none() {
        return Err(ApiError::fields(vec![FieldError {
            field: "comment".into(),
            code: ErrorCode::CommentRequired,
        }]));
    }
    let task = open_task(&state, id).await?;
    let (_, me) = actor_of(&state, &user).await?;
    let action = ActionRequest {
        actor: me,
        action: Action::Decide {
            step: task.step,
            level: task.level as usize,
            decision: request.decision,
        },
        comment,
    };
    let status = act(&state, actor(&user, peer), &task.workflow_id, action).await?;
    Ok(Json(status))
}

/// The users a task may be handed to.
#[utoipa::path(get, path = "/api/v1/tasks/{id}/candidates", tag = "processes",
    params(("id" = Uuid, Path)), responses(
        (status = 200, body = Vec<quanyi_activities::process::Candidate>),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PROC-0008 no such task"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0005 decided already"),
    ))]
pub async fn candidates(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::TaskApprove>,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<quanyi_activities::process::Candidate>>, ApiError> {
    let task = open_task(&state, id).await?;
    let mut conn = state.pool.acquire().await?;
    let all = quanyi_activities::process::candidates(
        &mut conn,
        &task.workflow_id,
        &task.step,
        task.level,
    )
    .await?;
    Ok(Json(all.into_iter().filter(|c| c.id != user.id).collect()))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct TransferRequest {
    pub to_user_id: Uuid,
    #[schema(max_length = 500)]
    #[validate(length(max = 500, code = "QY-PROC-0010"))]
    pub comment: Option<String>,
}

/// 转办: hands an open task to another user who could act on it.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/transfer", tag = "processes",
    params(("id" = Uuid, Path)), request_body = TransferRequest,
    responses(
        (status = 200, body = ProcessStatus),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PROC-0008 no such task"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0005 decided already"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-PROC-0006 the target may not act"),
    ))]
pub async fn transfer(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TaskApprove>,
    Path(id): Path<Uuid>,
    Valid(request): Valid<TransferRequest>,
) -> Result<Json<ProcessStatus>, ApiError> {
    let task = open_task(&state, id).await?;
    let (_, me) = actor_of(&state, &user).await?;
    let target = quanyi_activities::identity::user(&state.pool, request.to_user_id)
        .await?
        .ok_or(ErrorCode::TransferTargetNotEligible)?;
    let (_, to) = actor_of(&state, &target)
        .await
        .map_err(|_| ApiError::from(ErrorCode::TransferTargetNotEligible))?;
    let action = ActionRequest {
        actor: me,
        action: Action::Transfer {
            step: task.step,
            level: task.level as usize,
            to,
        },
        comment: request.comment.filter(|c| !c.trim().is_empty()),
    };
    let status = act(&state, actor(&user, peer), &task.workflow_id, action).await?;
    Ok(Json(status))
}

// ---- the monitor ------------------------------------------------------------------------------

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ProcessQuery {
    pub process_type: Option<String>,
    pub state: Option<String>,
    /// Only processes with an overdue task.
    pub overdue: Option<bool>,
    /// Only running processes with no transition for this many hours.
    #[param(minimum = 1, maximum = 8760)]
    pub stale_hours: Option<i32>,
    pub business_key: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProcessPage {
    pub items: Vec<ProcessRow>,
    pub total: i64,
}

/// 流程监控: every process in the caller's data scope.
#[utoipa::path(get, path = "/api/v1/processes", tag = "processes", params(ProcessQuery, Paging),
    responses((status = 200, body = ProcessPage)))]
pub async fn processes(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::ProcessView>,
    paging: Paging,
    Query(query): Query<ProcessQuery>,
) -> Result<Json<ProcessPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    if query.stale_hours.is_some_and(|h| !(1..=8760).contains(&h)) {
        return Err(ErrorCode::InvalidQuery.into());
    }
    let scope = system::scope_of(&state.pool, user.id).await?;
    let filter = inbox::ProcessFilter {
        process_type: query.process_type,
        state: query.state,
        overdue: query.overdue.unwrap_or(false),
        stale_hours: query.stale_hours,
        business_key: query.business_key,
        workflow_id: None,
    };
    let (items, total) = inbox::processes(
        &state.pool,
        &scope,
        &filter,
        state.clock.now(),
        limit,
        offset,
    )
    .await?;
    Ok(Json(ProcessPage { items, total }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DiagramState {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub terminal: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DiagramTransition {
    pub from: String,
    pub to: String,
    pub event: String,
    pub label_zh: String,
    pub label_en: String,
}

/// A process type's machine as a graph: its states and its transition table.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Diagram {
    pub states: Vec<DiagramState>,
    pub transitions: Vec<DiagramTransition>,
}

/// A state's (id, 中文, English, terminal).
type StateLabels = (&'static str, &'static str, &'static str, bool);
/// A transition's (from, to, event, 中文, English).
type TransitionLabels = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

impl Diagram {
    fn new(
        states: impl Iterator<Item = StateLabels>,
        transitions: impl Iterator<Item = TransitionLabels>,
    ) -> Self {
        Diagram {
            states: states
                .map(|(id, zh, en, terminal)| DiagramState {
                    id: id.into(),
                    label_zh: zh.into(),
                    label_en: en.into(),
                    terminal,
                })
                .collect(),
            transitions: transitions
                .map(|(from, to, event, zh, en)| DiagramTransition {
                    from: from.into(),
                    to: to.into(),
                    event: event.into(),
                    label_zh: zh.into(),
                    label_en: en.into(),
                })
                .collect(),
        }
    }
}

/// The stock-change machine's diagram, from its transition table.
pub fn stock_diagram() -> Diagram {
    Diagram::new(
        stock::State::ALL
            .iter()
            .map(|s| (s.name(), s.label_zh(), s.label_en(), s.is_terminal())),
        stock::TRANSITIONS.iter().map(|(from, event, to, _)| {
            (
                from.name(),
                to.name(),
                event.name(),
                event.label_zh(),
                event.label_en(),
            )
        }),
    )
}

/// The campaign machine's diagram, straight from its transition table.
pub fn campaign_diagram() -> Diagram {
    Diagram::new(
        campaign::State::ALL
            .iter()
            .map(|s| (s.name(), s.label_zh(), s.label_en(), s.is_terminal())),
        campaign::TRANSITIONS.iter().map(|t| {
            (
                t.from.name(),
                t.to.name(),
                t.event.name(),
                t.event.label_zh(),
                t.event.label_en(),
            )
        }),
    )
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProcessDetail {
    #[serde(flatten)]
    pub process: ProcessRow,
    pub diagram: Diagram,
    pub timeline: Vec<TimelineEntry>,
    pub tasks: Vec<TaskRow>,
    pub pending_timers: Vec<PendingTimerView>,
    /// The process in the Temporal UI, when one is configured.
    pub temporal_url: Option<String>,
}

/// The process `workflow_id` if it lies in `user`'s data scope; `QY-PROC-0007` otherwise, as if
/// it did not exist. Every door that reads or acts on a process by its id checks this.
pub async fn process_in_scope(
    state: &AppState,
    user: &User,
    workflow_id: &str,
) -> Result<ProcessRow, ApiError> {
    let scope = system::scope_of(&state.pool, user.id).await?;
    let filter = inbox::ProcessFilter {
        workflow_id: Some(workflow_id.to_owned()),
        ..Default::default()
    };
    let (mut rows, _) =
        inbox::processes(&state.pool, &scope, &filter, state.clock.now(), 1, 0).await?;
    rows.pop().ok_or_else(|| ErrorCode::UnknownProcess.into())
}

/// One process: its diagram with the current state, timeline, tasks and timers.
#[utoipa::path(get, path = "/api/v1/processes/{workflow_id}", tag = "processes",
    params(("workflow_id" = String, Path)),
    responses((status = 200, body = ProcessDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn process(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::ProcessView>,
    Path(workflow_id): Path<String>,
) -> Result<Json<ProcessDetail>, ApiError> {
    let process = process_in_scope(&state, &user, &workflow_id).await?;
    let now = state.clock.now();
    let (_, actor) = actor_of(&state, &user).await?;
    let pending_timers = match process.ended_at {
        Some(_) => Vec::new(),
        None => view(&state, &workflow_id, &actor)
            .await
            .ok()
            .flatten()
            .map(|v| {
                v.pending_timers
                    .into_iter()
                    .map(|t| PendingTimerView {
                        label: timer_label(&t.name).into(),
                        name: t.name,
                        fires_at: t.fires_at,
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let temporal_url = state.settings.temporal_ui_url.as_ref().map(|base| {
        format!(
            "{}/namespaces/{}/workflows/{}",
            base.trim_end_matches('/'),
            state.temporal.namespace(),
            workflow_id
        )
    });
    Ok(Json(ProcessDetail {
        diagram: if process.process_type == stock::PROCESS_TYPE {
            stock_diagram()
        } else {
            campaign_diagram()
        },
        timeline: inbox::timeline(&state.pool, &workflow_id).await?,
        tasks: inbox::tasks_of(&state.pool, &workflow_id, now).await?,
        pending_timers,
        temporal_url,
        process,
    }))
}

// ---- approval policies ------------------------------------------------------------------------

/// An approval policy: its ordered levels.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    pub process_type: String,
    /// `*` or a campaign type.
    pub variant: String,
    pub label: String,
    pub levels: Vec<LevelRequest>,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<PolicyRow> for PolicyView {
    fn from(row: PolicyRow) -> Self {
        Self {
            process_type: row.process_type,
            variant: row.variant,
            label: row.label,
            levels: row
                .levels
                .into_iter()
                .map(|l| LevelRequest {
                    name: l.name,
                    role: l.role,
                    org_rule: l.org_rule,
                    sla_minutes: l.sla_seconds.div_ceil(60),
                    remind_before_minutes: l.remind_before_seconds / 60,
                    escalate: l.escalate,
                })
                .collect(),
            updated_by: row.updated_by,
            updated_at: row.updated_at,
        }
    }
}

/// The approval policies of every process type.
#[utoipa::path(get, path = "/api/v1/approval-policies", tag = "processes",
    responses((status = 200, body = Vec<PolicyView>)))]
pub async fn policies(
    State(state): State<AppState>,
    _: Authorized<perm::PolicyView>,
) -> Result<Json<Vec<PolicyView>>, ApiError> {
    Ok(Json(
        inbox::policies(&state.pool)
            .await?
            .into_iter()
            .map(PolicyView::from)
            .collect(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoleOption {
    pub code: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgRuleOption {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PolicyOptions {
    pub roles: Vec<RoleOption>,
    pub org_rules: Vec<OrgRuleOption>,
}

/// What a level may name: the roles, the org rules.
#[utoipa::path(get, path = "/api/v1/approval-policies/options", tag = "processes",
    responses((status = 200, body = PolicyOptions)))]
pub async fn policy_options(
    State(state): State<AppState>,
    _: Authorized<perm::PolicyView>,
) -> Result<Json<PolicyOptions>, ApiError> {
    let roles = sqlx::query_as!(
        RoleOption,
        "SELECT code, name FROM roles WHERE duty IS NULL ORDER BY code"
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(PolicyOptions {
        roles,
        org_rules: OrgRule::ALL
            .iter()
            .map(|r| OrgRuleOption {
                code: r.code().into(),
                label_zh: r.label_zh().into(),
                label_en: r.label_en().into(),
            })
            .collect(),
    }))
}

#[derive(Serialize, Deserialize, Validate, utoipa::ToSchema)]
pub struct LevelRequest {
    #[schema(min_length = 1, max_length = 20)]
    #[validate(length(min = 1, max = 20, code = "QY-PROC-0009"))]
    pub name: String,
    /// A role code.
    #[schema(min_length = 2, max_length = 32)]
    #[validate(length(min = 2, max = 32, code = "QY-PROC-0009"))]
    pub role: String,
    /// `campaign_org`, `branch` or `head_office`.
    #[schema(value_type = String, example = "branch", pattern = "^(campaign_org|branch|head_office)$")]
    pub org_rule: OrgRule,
    #[schema(minimum = 1, maximum = 43200)]
    #[validate(range(min = 1, max = 43200, code = "QY-PROC-0009"))]
    pub sla_minutes: u32,
    #[schema(minimum = 0, maximum = 43200)]
    #[validate(range(max = 43200, code = "QY-PROC-0009"))]
    pub remind_before_minutes: u32,
    pub escalate: bool,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct PolicyRequest {
    #[schema(min_items = 1, max_items = 5)]
    #[validate(length(min = 1, max = 5, code = "QY-PROC-0009"), nested)]
    pub levels: Vec<LevelRequest>,
}

/// Sets a policy's levels. Processes already running keep the policy they started with.
#[utoipa::path(put, path = "/api/v1/approval-policies/{process_type}/{variant}", tag = "processes",
    params(("process_type" = String, Path), ("variant" = String, Path)), request_body = PolicyRequest,
    responses(
        (status = 200, body = PolicyView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PROC-0007 no such process type or variant"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-PROC-0009 the levels"),
    ))]
pub async fn set_policy(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PolicyUpdate>,
    Path((process_type, variant)): Path<(String, String)>,
    Valid(request): Valid<PolicyRequest>,
) -> Result<Json<PolicyView>, ApiError> {
    let known_roles: Vec<String> = sqlx::query_scalar!("SELECT code FROM roles WHERE duty IS NULL")
        .fetch_all(&state.pool)
        .await?;
    let mut fields = Vec::new();
    for (i, level) in request.levels.iter().enumerate() {
        if !known_roles.contains(&level.role) {
            fields.push(FieldError {
                field: format!("levels[{i}].role"),
                code: ErrorCode::InvalidPolicy,
            });
        }
        if level.remind_before_minutes >= level.sla_minutes {
            fields.push(FieldError {
                field: format!("levels[{i}].remind_before_minutes"),
                code: ErrorCode::InvalidPolicy,
            });
        }
    }
    if !matches!(variant.as_str(), "*" | "grant" | "lottery" | "seckill") {
        fields.push(FieldError {
            field: "variant".into(),
            code: ErrorCode::InvalidPolicy,
        });
    }
    if !fields.is_empty() {
        return Err(ApiError::fields(fields));
    }
    let levels: Vec<Level> = request
        .levels
        .into_iter()
        .map(|l| Level {
            name: l.name.trim().to_owned(),
            role: l.role,
            org_rule: l.org_rule,
            sla_seconds: l.sla_minutes * 60,
            remind_before_seconds: l.remind_before_minutes * 60,
            escalate: l.escalate,
        })
        .collect();
    let row = inbox::set_policy(
        &state.pool,
        &process_type,
        &variant,
        &levels,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .ok_or(ErrorCode::UnknownProcess)?;
    Ok(Json(row.into()))
}
