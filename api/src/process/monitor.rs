//! 流程监控 (WF-8): every process in the caller's data scope, and one process with its state
//! diagram (from its kind's transition table), timeline, tasks and timers.

use super::{PendingTimerView, actor_of, kind_of, timer_label, view};
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Path, Query};
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::State;
use quanyi_activities::identity::User;
use quanyi_activities::identity::scope::scope_of;
use quanyi_activities::process::inbox::{self, ProcessRow, TaskRow, TimelineEntry};
use quanyi_workflows::kind::ProcessKind;
use quanyi_workflows::table;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ProcessQuery {
    pub process_type: Option<String>,
    pub state: Option<String>,
    /// Only processes with an overdue task.
    pub overdue: Option<bool>,
    /// Only running processes with no transition for this many hours.
    #[param(minimum = 1, maximum = 8760)]
    pub stale_hours: Option<i32>,
    /// 业务编号: the business number (`HD20261207000012`), part of it, or part of the title; the
    /// whole internal key finds its process too. At most 100 characters.
    #[param(max_length = 100)]
    pub business_key: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProcessPage {
    pub items: Vec<ProcessRow>,
    /// The matches, counted up to 10,000 (`total_capped`: more than that; narrow the search).
    pub total: i64,
    pub total_capped: bool,
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
    if query.stale_hours.is_some_and(|h| !(1..=8760).contains(&h))
        || query
            .business_key
            .as_ref()
            .is_some_and(|k| k.chars().count() > 100)
    {
        return Err(ErrorCode::InvalidQuery.into());
    }
    let scope = scope_of(&state.pool, user.id).await?;
    let filter = inbox::ProcessFilter {
        process_type: query.process_type,
        state: query.state,
        overdue: query.overdue.unwrap_or(false),
        stale_hours: query.stale_hours,
        search: query.business_key,
        workflow_id: None,
    };
    let now = state.clock.now();
    let items = inbox::processes(&state.pool, &scope, &filter, now, limit, offset).await?;
    let total = inbox::count_processes(&state.pool, &scope, &filter, now).await?;
    Ok(Json(ProcessPage {
        items,
        total: total.min(inbox::COUNT_CAP),
        total_capped: total > inbox::COUNT_CAP,
    }))
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

/// A process kind's machine as a graph: its states and its transition table.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Diagram {
    pub states: Vec<DiagramState>,
    pub transitions: Vec<DiagramTransition>,
}

impl From<table::Diagram> for Diagram {
    fn from(d: table::Diagram) -> Self {
        Diagram {
            states: d
                .states
                .into_iter()
                .map(|s| DiagramState {
                    id: s.id,
                    label_zh: s.label_zh,
                    label_en: s.label_en,
                    terminal: s.terminal,
                })
                .collect(),
            transitions: d
                .transitions
                .into_iter()
                .map(|t| DiagramTransition {
                    from: t.from,
                    to: t.to,
                    event: t.event,
                    label_zh: t.label_zh,
                    label_en: t.label_en,
                })
                .collect(),
        }
    }
}

/// A durable process kind: its code, its names, its machine.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProcessKindView {
    /// The type string: `campaign`, `stock-change`, ….
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub diagram: Diagram,
}

impl From<ProcessKind> for ProcessKindView {
    fn from(kind: ProcessKind) -> Self {
        Self {
            code: kind.code().into(),
            label_zh: kind.label_zh().into(),
            label_en: kind.label_en().into(),
            diagram: kind.diagram().into(),
        }
    }
}

/// The process kinds there are, with their labels and state diagrams (the UI's names for them).
#[utoipa::path(get, path = "/api/v1/process-kinds", tag = "processes",
    responses((status = 200, body = Vec<ProcessKindView>)))]
pub async fn kinds(_: crate::identity::auth::CurrentUser) -> Json<Vec<ProcessKindView>> {
    Json(ProcessKind::all().into_iter().map(Into::into).collect())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProcessDetail {
    #[serde(flatten)]
    pub process: ProcessRow,
    pub diagram: Diagram,
    pub timeline: Vec<TimelineEntry>,
    pub tasks: Vec<TaskRow>,
    pub pending_timers: Vec<PendingTimerView>,
    /// Back with its submitter after 退回修改: who returned it, when, and why.
    pub returned: Option<super::ReturnedNote>,
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
    let scope = scope_of(&state.pool, user.id).await?;
    let filter = inbox::ProcessFilter {
        workflow_id: Some(workflow_id.to_owned()),
        ..Default::default()
    };
    let mut rows = inbox::processes(&state.pool, &scope, &filter, state.clock.now(), 1, 0).await?;
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
    let tasks = inbox::tasks_of(&state.pool, &workflow_id, now).await?;
    Ok(Json(ProcessDetail {
        diagram: kind_of(&workflow_id)?.0.diagram().into(),
        timeline: inbox::timeline(&state.pool, &workflow_id).await?,
        returned: super::ReturnedNote::of(&tasks),
        tasks,
        pending_timers,
        temporal_url,
        process,
    }))
}
