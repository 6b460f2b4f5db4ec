//! 待办任务 (WF-7): what a user may act on, decided and submitted; deciding and transferring a
//! task goes through the process door ([`super::act`]).

use super::{ProcessStatus, act, actor_of};
use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Paging, Path, Query, Valid};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use quanyi_activities::process::inbox::{self, Tab, TaskPage};
use quanyi_workflows::approval::Decision;
use quanyi_workflows::process::{Action, ActionRequest, ApprovalAction, NoOwn};
use serde::Deserialize;
use std::net::SocketAddr;
use uuid::Uuid;
use validator::Validate;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TaskQuery {
    /// `todo` (default), `done` or `mine`.
    pub tab: Option<String>,
    pub process_type: Option<String>,
    /// The business number, part of it, or part of the title. At most 100 characters.
    #[param(max_length = 100)]
    pub search: Option<String>,
}

/// 待办任务: what I may act on (approvals, and my returned submissions to mend), what I closed
/// (newest 办结时间 first), what I submitted.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "processes", params(TaskQuery, Paging),
    responses((status = 200, body = inbox::TaskPage)))]
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
    if query
        .search
        .as_ref()
        .is_some_and(|s| s.chars().count() > 100)
    {
        return Err(ErrorCode::InvalidQuery.into());
    }
    let (viewer, _) = actor_of(&state, &user).await?;
    let page = inbox::tasks(
        &state.pool,
        &viewer,
        tab,
        query.process_type.as_deref(),
        query.search.as_deref(),
        state.clock.now(),
        limit,
        offset,
    )
    .await?;
    Ok(Json(page))
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
    // a rework is done by submitting again or withdrawing, on the object's own page
    if task.kind != "approval" {
        return Err(ErrorCode::WrongProcessState.into());
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
    let action: ActionRequest<NoOwn> = ActionRequest {
        actor: me,
        action: Action::Approval(ApprovalAction::Decide {
            step: task.step,
            level: task.level as usize,
            decision: request.decision,
        }),
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
    let action: ActionRequest<NoOwn> = ActionRequest {
        actor: me,
        action: Action::Approval(ApprovalAction::Transfer {
            step: task.step,
            level: task.level as usize,
            to,
        }),
        comment: request.comment.filter(|c| !c.trim().is_empty()),
    };
    let status = act(&state, actor(&user, peer), &task.workflow_id, action).await?;
    Ok(Json(status))
}
