//! 流程中心 (WF-7, WF-8): the API's one door to durable processes — start, act, view — and the
//! inbox ([`inbox`]), the monitor ([`monitor`]) and the approval policies ([`policies`]).
//!
//! Every process workflow speaks the same contract (`quanyi_workflows::host`): the update `apply`
//! (validated, so a refusal leaves no trace, and answered once the action is carried out), the
//! update `settled` (answered once a started process has opened its first task) and the query
//! `view`. So acting and viewing go through one untyped handle by workflow id, whatever the kind;
//! the kind a workflow id names comes from [`ProcessKind`] alone.

pub mod inbox;
pub mod monitor;
pub mod policies;

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use quanyi_activities::audit::{self, Entry};
use quanyi_activities::identity::User;
use quanyi_activities::process::inbox::{self as store, TaskRow, Viewer};
use quanyi_workflows::approval::{Actor, Refusal};
use quanyi_workflows::campaign::ChangeRequest;
use quanyi_workflows::kind::ProcessKind;
use quanyi_workflows::process::{ActionRequest, OwnAction, ProcessView};
use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_client::errors::{WorkflowQueryError, WorkflowStartError, WorkflowUpdateError};
use temporalio_client::{
    Client, UntypedQuery, UntypedUpdate, WorkflowHandle, WorkflowQueryOptions, WorkflowStartOptions,
};
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_common::{HasWorkflowDefinition, UntypedWorkflow};

/// A process's view as the door reads it: the process's own detail left as JSON until its kind
/// is known.
pub type View = ProcessView<serde_json::Value>;

/// The workflow's view of the user: who they are, where they sit, which roles they hold.
pub async fn actor_of(state: &AppState, user: &User) -> Result<(Viewer, Actor), ApiError> {
    let viewer = store::viewer(&state.pool, user.id)
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

/// The kind and business key a workflow id names; `QY-PROC-0007` when it names none.
pub fn kind_of(workflow_id: &str) -> Result<(ProcessKind, &str), ApiError> {
    ProcessKind::of_workflow_id(workflow_id).ok_or_else(|| ErrorCode::UnknownProcess.into())
}

/// A process's refusal as the API answers it: its code, or the field it names.
fn refusal(r: Refusal) -> ApiError {
    let code = match r {
        Refusal::WrongState => ErrorCode::WrongProcessState,
        Refusal::OwnSubmission => ErrorCode::OwnSubmission,
        Refusal::NotEligible => ErrorCode::NotEligibleApprover,
        Refusal::AlreadyDecided => ErrorCode::AlreadyDecided,
        Refusal::TargetNotEligible => ErrorCode::TransferTargetNotEligible,
        Refusal::Field { field, reason } => {
            let code = ErrorCode::from_code(&reason).unwrap_or(ErrorCode::InvalidQuery);
            return ApiError::fields(vec![FieldError { field, code }]);
        }
    };
    code.into()
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
    /// The submission is back with its submitter (退回修改): who returned it, when, and why.
    pub returned: Option<ReturnedNote>,
}

/// Why a submission came back: what its submitter reads at the top of the page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnedNote {
    /// The reviewer's username.
    pub by: Option<String>,
    pub reason: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The submitter's rework task in the inbox.
    pub task_id: uuid::Uuid,
}

impl ReturnedNote {
    /// The note of the open rework task among `tasks`, if there is one.
    pub fn of(tasks: &[TaskRow]) -> Option<ReturnedNote> {
        tasks
            .iter()
            .find(|t| t.kind == "rework" && t.status == "open")
            .map(|t| ReturnedNote {
                by: t.submitted_by.clone(),
                reason: t.comment.clone(),
                at: t.created_at,
                task_id: t.id,
            })
    }
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

fn timers(view: &View) -> Vec<PendingTimerView> {
    view.pending_timers
        .iter()
        .map(|t| PendingTimerView {
            label: timer_label(&t.name).into(),
            name: t.name.clone(),
            fires_at: t.fires_at,
        })
        .collect()
}

/// The change a campaign's view carries, if any.
fn change_request(kind: ProcessKind, detail: serde_json::Value) -> Option<ChangeRequestView> {
    if kind != ProcessKind::Campaign {
        return None;
    }
    let change: Option<ChangeRequest> = serde_json::from_value(detail).ok()?;
    change.map(|change| match change {
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
    })
}

/// The status a process view and the read model give.
pub async fn status_of(
    state: &AppState,
    workflow_id: &str,
    view: View,
) -> Result<ProcessStatus, ApiError> {
    let (kind, _) = kind_of(workflow_id)?;
    let open_tasks: Vec<TaskRow> = store::tasks_of(&state.pool, workflow_id, state.clock.now())
        .await?
        .into_iter()
        .filter(|t| t.status == "open")
        .collect();
    Ok(ProcessStatus {
        returned: ReturnedNote::of(&open_tasks),
        workflow_id: workflow_id.to_owned(),
        pending_timers: timers(&view),
        state: view.state,
        allowed_actions: view.allowed_actions,
        open_tasks,
        change_request: change_request(kind, view.detail),
    })
}

// ---- the wire --------------------------------------------------------------------------------

fn raw<T: Serialize>(value: &T) -> Result<RawValue, ApiError> {
    let data = serde_json::to_vec(value).map_err(|e| {
        tracing::error!(error = %e, "cannot encode a process payload");
        ApiError::from(ErrorCode::TemporalUnavailable)
    })?;
    Ok(RawValue::new(vec![Payload {
        metadata: [("encoding".to_owned(), b"json/plain".to_vec())].into(),
        data,
        ..Default::default()
    }]))
}

fn decoded<T: DeserializeOwned>(value: RawValue) -> Result<T, ApiError> {
    let payload = value.payloads.into_iter().next().unwrap_or_default();
    serde_json::from_slice(&payload.data).map_err(|e| {
        tracing::error!(error = %e, "cannot read a process's answer");
        ApiError::from(ErrorCode::TemporalUnavailable)
    })
}

async fn client(state: &AppState) -> Result<Client, ApiError> {
    state.temporal.get().await.map_err(|e| {
        tracing::error!(error = %e, "Temporal unavailable");
        ApiError::from(ErrorCode::TemporalUnavailable)
    })
}

fn handle(client: &Client, workflow_id: &str) -> WorkflowHandle<Client, UntypedWorkflow> {
    client.get_workflow_handle::<UntypedWorkflow>(workflow_id)
}

/// An update's failure as the API answers it: a refusal as its code, no such process as
/// `QY-PROC-0007`, anything else as Temporal being unavailable.
fn update_error(e: WorkflowUpdateError, workflow_id: &str) -> ApiError {
    match e {
        WorkflowUpdateError::NotFound(_) => ErrorCode::UnknownProcess.into(),
        WorkflowUpdateError::Failed(failure) => match Refusal::decode(&failure.message) {
            Some(r) => refusal(r),
            None => {
                tracing::error!(message = %failure.message, workflow_id, "the update failed");
                ErrorCode::TemporalUnavailable.into()
            }
        },
        other => {
            tracing::error!(error = ?other, workflow_id, "the update failed");
            ErrorCode::TemporalUnavailable.into()
        }
    }
}

// ---- the door --------------------------------------------------------------------------------

/// Starts `workflow` of `kind` for `key` on the app's task queue and answers its view as `viewer`
/// sees it once it has started (its first task open, so the answer and the approvers' inbox
/// agree).
pub async fn start<W>(
    state: &AppState,
    kind: ProcessKind,
    workflow: W,
    input: W::Input,
    key: &str,
    viewer: &Actor,
) -> Result<(String, View), ApiError>
where
    W: HasWorkflowDefinition,
    W::Input: Send,
{
    let handle = launch(state, kind, workflow, input, key).await?;
    let workflow_id = handle.info().workflow_id.clone();
    let view = settled(state, &workflow_id, viewer).await?;
    Ok((workflow_id, view))
}

/// Starts `workflow` of `kind` for `key` on the app's task queue. Starts and failures are
/// counted by kind; a key used twice is `QY-PROC-0001`.
pub async fn launch<W>(
    state: &AppState,
    kind: ProcessKind,
    workflow: W,
    input: W::Input,
    key: &str,
) -> Result<WorkflowHandle<Client, W>, ApiError>
where
    W: HasWorkflowDefinition,
    W::Input: Send,
{
    let process_type = kind.code();
    let workflow_id = kind.workflow_id(key);
    let client = client(state).await.inspect_err(|_| {
        state.metrics.workflow_start_failed(process_type);
    })?;
    let options =
        WorkflowStartOptions::new(state.settings.task_queue.clone(), workflow_id.clone()).build();
    match client.start_workflow(workflow, input, options).await {
        Ok(handle) => {
            state.metrics.workflow_started(process_type);
            tracing::info!(workflow_id, process_type, "process started");
            Ok(handle)
        }
        Err(WorkflowStartError::AlreadyStarted { .. }) => {
            state.metrics.workflow_start_failed(process_type);
            Err(ErrorCode::ProcessAlreadyStarted.into())
        }
        Err(e) => {
            tracing::error!(error = %e, workflow_id, "cannot start the process");
            state.metrics.workflow_start_failed(process_type);
            Err(ErrorCode::TemporalUnavailable.into())
        }
    }
}

/// The process's view as `viewer` sees it, once it has started and carried out every accepted
/// action.
pub async fn settled(
    state: &AppState,
    workflow_id: &str,
    viewer: &Actor,
) -> Result<View, ApiError> {
    kind_of(workflow_id)?;
    let client = client(state).await?;
    let answer = handle(&client, workflow_id)
        .execute_update(
            UntypedUpdate::new("settled"),
            raw(viewer)?,
            Default::default(),
        )
        .await
        .map_err(|e| update_error(e, workflow_id))?;
    decoded(answer)
}

/// Asks the process for its view as `viewer` sees it; `None` once it has completed and can no
/// longer answer, or was never started.
pub async fn view(
    state: &AppState,
    workflow_id: &str,
    viewer: &Actor,
) -> Result<Option<View>, ApiError> {
    kind_of(workflow_id)?;
    let client = client(state).await?;
    match handle(&client, workflow_id)
        .query(
            UntypedQuery::new("view"),
            raw(viewer)?,
            WorkflowQueryOptions::default(),
        )
        .await
    {
        Ok(view) => decoded(view).map(Some),
        Err(WorkflowQueryError::NotFound(_)) => Ok(None),
        Err(e) => {
            tracing::warn!(error = %e, workflow_id, "cannot query the process");
            Err(ErrorCode::TemporalUnavailable.into())
        }
    }
}

/// Sends `request` to the process (the update `apply`, refused by its validator with no trace) and
/// answers its status once the process has carried it out: the update's own answer. Accepted and
/// refused actions are both audited.
pub async fn act<A: OwnAction>(
    state: &AppState,
    who: Entry,
    workflow_id: &str,
    request: ActionRequest<A>,
) -> Result<ProcessStatus, ApiError> {
    kind_of(workflow_id)?;
    let client = client(state).await?;
    let audit_entry = |refused: bool| Entry {
        action: "process.action.take",
        target: Some(workflow_id.to_owned()),
        refused,
        after: Some(serde_json::json!({
            "action": request.action.name(),
            "comment": request.comment,
            "detail": audit_detail(&request),
        })),
        ..who.clone()
    };
    let outcome = handle(&client, workflow_id)
        .execute_update(
            UntypedUpdate::new("apply"),
            raw(&request)?,
            Default::default(),
        )
        .await;
    let view: View = match outcome {
        Ok(answer) => decoded(answer)?,
        Err(e) => {
            let error = update_error(e, workflow_id);
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
    status_of(state, workflow_id, view).await
}

/// What the audit keeps of an action besides its name: its fields, a transfer's target by name.
fn audit_detail<A: OwnAction>(request: &ActionRequest<A>) -> serde_json::Value {
    let mut detail = serde_json::to_value(&request.action).unwrap_or_default();
    if let Some(fields) = detail.as_object_mut() {
        fields.remove("kind");
        fields.remove("decision");
        fields.remove("facts");
        if let Some(to) = fields.get("to").and_then(|to| to.get("username")).cloned() {
            fields.insert("to".into(), to);
        }
        if fields.is_empty() {
            return serde_json::Value::Null;
        }
    }
    detail
}
