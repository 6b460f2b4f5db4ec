//! The vocabulary every process shares: the transition record the read model keeps, the task
//! and notice bookkeeping, the activity definitions that write them (implemented in
//! `quanyi-activities`), and the actions, answers and views of the `act` update and `view` query.

use crate::approval::Actor;
use crate::kind::ProcessKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use temporalio_common::ActivityDefinition;
use temporalio_sdk::{ActivityOptions, CancellableFuture, WorkflowContext, WorkflowResult};

/// The task queue every Quanyi workflow and activity runs on unless configured otherwise.
pub const DEFAULT_TASK_QUEUE: &str = "quanyi";

/// One step of a process, as the read model (`process_instances`, `process_transitions`) keeps it.
/// `seq` numbers the transitions of one workflow from 1; the pair (workflow id, seq) is unique, so
/// a retried activity writes nothing twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionRecord {
    pub workflow_id: String,
    pub process_type: ProcessKind,
    pub business_key: String,
    pub org_id: Option<String>,
    pub started_by: Option<String>,
    pub seq: i32,
    /// `None` for the first transition, which creates the process instance.
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    pub actor: Option<String>,
    pub comment: Option<String>,
    /// Workflow time of the transition (never the wall clock of the worker).
    pub at: DateTime<Utc>,
    /// What the monitor and the inbox call the process (e.g. the campaign's name).
    #[serde(default)]
    pub title: Option<String>,
    /// Whether the process has reached a terminal state with this transition.
    pub ended: bool,
}

/// What recording a transition did: `Written` the first time, `AlreadyRecorded` on a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordOutcome {
    Written,
    AlreadyRecorded,
}

/// Activity: write a transition into the read model, idempotently by (workflow id, seq).
pub struct RecordTransition;

impl ActivityDefinition for RecordTransition {
    type Input = TransitionRecord;
    type Output = RecordOutcome;

    fn name(&self) -> &str {
        "process.record_transition"
    }
}

/// Activity: open the task of an approval level (the inbox row), idempotently by
/// (workflow id, step, level).
pub struct OpenTask;

/// What a task asks of its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Decide an approval level: any holder of the candidate roles in the org scope.
    #[default]
    Approval,
    /// 退回修改: the submitter mends a returned submission and submits it again (or withdraws
    /// it); only the assignee.
    Rework,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Approval => "approval",
            TaskKind::Rework => "rework",
        }
    }
}

/// The step of a rework task; its level counts the returns of one process.
pub const REWORK_STEP: &str = "rework";

/// A task to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskOpening {
    pub workflow_id: String,
    pub step: String,
    /// 1-based.
    pub level: i16,
    pub level_name: String,
    pub title: String,
    pub candidate_roles: Vec<String>,
    pub org_scope: String,
    pub include_descendants: bool,
    /// Who sent the task: the submitter of an approval, the reviewer who returned a rework.
    pub submitted_by: String,
    /// None for a task with no deadline (a rework).
    pub due_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub kind: TaskKind,
    /// The one user the task is for (a rework's submitter), by user id.
    #[serde(default)]
    pub assignee: Option<String>,
    /// What the user reads first (a rework: the reviewer's reason).
    #[serde(default)]
    pub comment: Option<String>,
}

impl ActivityDefinition for OpenTask {
    type Input = TaskOpening;
    type Output = ();

    fn name(&self) -> &str {
        "process.open_task"
    }
}

/// What happened to an open task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskChange {
    /// Decided (`approve`, `reject`, `return`): closed as done.
    Decided {
        outcome: crate::approval::Decision,
        by: String,
        comment: Option<String>,
    },
    /// Closed unanswered (`withdrawn`, `cancelled`, `ended`).
    Cancelled { reason: String },
    /// 转办: only `to` may act now.
    Transferred {
        from: String,
        to_user_id: String,
        comment: Option<String>,
    },
    /// The reminder before the SLA breach went out.
    Reminded,
    /// The SLA was breached; `superior_org` may act too when the level escalates.
    Escalated { superior_org: Option<String> },
    /// A rework done by `by`: `resubmitted`, `withdrawn` or `cancelled`; the reason stays.
    Reworked { by: String, outcome: String },
}

/// A change to a task, applied once: a closed task stays closed, a reminder is sent once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskUpdate {
    pub workflow_id: String,
    pub step: String,
    pub level: i16,
    pub change: TaskChange,
    pub at: DateTime<Utc>,
}

/// Activity: apply a [`TaskUpdate`] to the read model and queue the notices it causes (reminders
/// and escalations to the task's candidates), each notice keyed so it is sent once.
pub struct UpdateTask;

impl ActivityDefinition for UpdateTask {
    type Input = TaskUpdate;
    type Output = ();

    fn name(&self) -> &str {
        "process.update_task"
    }
}

/// What a notice tells its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The submitter hears how their submission went.
    Submitter,
    /// A task was transferred to the user.
    Transfer,
    /// The user's submission was returned to them for changes: a rework task is theirs.
    Returned,
    #[default]
    Other,
}

impl NoticeKind {
    /// The kind as the outbox and the SMS routing name it.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Submitter => "submitter",
            NoticeKind::Transfer => "transfer",
            NoticeKind::Returned => "returned",
            NoticeKind::Other => "notice",
        }
    }
}

/// A system besides the user that hears of a decision: the ESB consumer a campaign plan came
/// from (the `campaign.plan.result` callback), when it takes callbacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Callback {
    CampaignPlanResult { campaign_id: String },
}

/// A notice to a user about their process, sent once per `key` (workflow id and step) however
/// often the activity is retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub key: String,
    #[serde(default)]
    pub kind: NoticeKind,
    #[serde(default)]
    pub workflow_id: String,
    #[serde(default)]
    pub callback: Option<Callback>,
    pub username: String,
    pub subject: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// Activity: queue a [`Notice`] (e-mail through the outbox).
pub struct Notify;

impl ActivityDefinition for Notify {
    type Input = Notice;
    type Output = ();

    fn name(&self) -> &str {
        "process.notify"
    }
}

/// One piece of a step's bookkeeping in the read model (tagged `entry`: a notice has a `kind`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "snake_case")]
pub enum Entry {
    Record(TransitionRecord),
    Open(TaskOpening),
    Update(TaskUpdate),
    Notify(Notice),
}

/// A step's bookkeeping, written in the order given in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInput {
    pub workflow_id: String,
    pub entries: Vec<Entry>,
}

/// Activity: record a step — its transition, the tasks it closes and opens, the notices it
/// queues — in one PostgreSQL transaction, each entry idempotent as its own activity is.
pub struct Step;

impl ActivityDefinition for Step {
    type Input = StepInput;
    type Output = ();

    fn name(&self) -> &str {
        "process.step"
    }
}

/// The actions of the approval step, the same for every process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalAction {
    /// Decide the open approval level shown as task (`step`, `level`).
    Decide {
        step: String,
        level: usize,
        decision: crate::approval::Decision,
    },
    /// Hand the open level to another eligible user.
    Transfer {
        step: String,
        level: usize,
        to: Actor,
    },
    /// The submitter takes the submission back.
    Withdraw,
}

impl ApprovalAction {
    pub fn name(&self) -> &'static str {
        match self {
            ApprovalAction::Decide { decision, .. } => decision.as_str(),
            ApprovalAction::Transfer { .. } => "transfer",
            ApprovalAction::Withdraw => "withdraw",
        }
    }
}

/// A process's own actions (`P`) besides the approval step's. A process with none uses [`NoOwn`].
pub trait OwnAction: Clone + std::fmt::Debug + Serialize + for<'de> Deserialize<'de> {
    /// The action's name as the API and the UI's `allowed_actions` spell it.
    fn name(&self) -> &'static str;
}

/// No actions of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoOwn {}

impl OwnAction for NoOwn {
    fn name(&self) -> &'static str {
        match *self {}
    }
}

/// A human action on a process: the approval step's, or the process's own. On the wire both are
/// objects tagged by `kind` (`{"kind": "decide", …}`, `{"kind": "pause"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Action<P> {
    Approval(ApprovalAction),
    Own(P),
}

impl<P: OwnAction> Action<P> {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Approval(a) => a.name(),
            Action::Own(p) => p.name(),
        }
    }
}

/// An action with who takes it and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRequest<P> {
    pub actor: Actor,
    pub action: Action<P>,
    pub comment: Option<String>,
}

/// The answer of the update `act` (kept for the histories and processes from before `apply`): the
/// accepted action's ticket, after which `settled` answered the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub ticket: u64,
}

/// A timer the process waits on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTimer {
    /// `start`, `end`, `remind`, `escalate`.
    pub name: String,
    pub fires_at: DateTime<Utc>,
}

/// The open approval level, as the process sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenApproval {
    pub step: String,
    pub level: usize,
    pub level_name: String,
    pub due_at: DateTime<Utc>,
}

/// The query's answer: `{state, allowed_actions for the asking user, history, pending timers}`,
/// and what the process adds of its own (`detail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessView<X> {
    pub state: String,
    pub allowed_actions: Vec<String>,
    pub history: Vec<HistoryEntry>,
    pub pending_timers: Vec<PendingTimer>,
    pub approval: Option<OpenApproval>,
    /// The last action ticket carried out.
    pub applied: u64,
    pub detail: X,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub seq: i32,
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    pub actor: Option<String>,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<&TransitionRecord> for HistoryEntry {
    fn from(r: &TransitionRecord) -> Self {
        HistoryEntry {
            seq: r.seq,
            from_state: r.from_state.clone(),
            to_state: r.to_state.clone(),
            event: r.event.clone(),
            actor: r.actor.clone(),
            comment: r.comment.clone(),
            at: r.at,
        }
    }
}

/// Workflow time: deterministic on replay, unlike the worker's clock.
pub fn workflow_now<W>(ctx: &WorkflowContext<W>) -> DateTime<Utc> {
    ctx.workflow_time()
        .map_or(DateTime::<Utc>::UNIX_EPOCH, DateTime::<Utc>::from)
}

/// How every process runs its activities: 15 s a try, Temporal's default retries.
pub fn activity_options() -> ActivityOptions {
    ActivityOptions::start_to_close_timeout(Duration::from_secs(15))
}

/// Waits for whichever comes first: `deadline` (a timer, cancelled when it loses — a timer that
/// loses a race is not cancelled by being dropped) or `ready` on the workflow's state. Answers
/// whether the deadline came first; with no deadline, waits for `ready` alone.
pub async fn deadline_or<W>(
    ctx: &WorkflowContext<W>,
    deadline: Option<DateTime<Utc>>,
    ready: fn(&W) -> bool,
) -> WorkflowResult<bool> {
    let Some(at) = deadline else {
        ctx.wait_condition(ready).await?;
        return Ok(false);
    };
    let wait = (at - workflow_now(ctx)).to_std().unwrap_or(Duration::ZERO);
    if wait.is_zero() {
        return Ok(true);
    }
    let timer = ctx.timer(wait);
    let mut timer = std::pin::pin!(timer);
    let fired = temporalio_sdk::workflows::select! {
        _ = timer.as_mut() => true,
        _ = ctx.wait_condition(ready) => false,
    };
    if !fired {
        timer.cancel();
    }
    Ok(fired)
}

/// The comment a transition is recorded with when the database refused the one it came with.
pub const COMMENT_REFUSED: &str = "（该步骤的说明无法保存，已略去）";

impl TransitionRecord {
    /// The record of the next transition of the same process, `seq` one higher.
    pub fn next(&self, to_state: &str, event: &str, at: DateTime<Utc>) -> TransitionRecord {
        TransitionRecord {
            seq: self.seq + 1,
            from_state: Some(self.to_state.clone()),
            to_state: to_state.to_owned(),
            event: event.to_owned(),
            actor: None,
            comment: None,
            at,
            ended: false,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first() -> TransitionRecord {
        TransitionRecord {
            workflow_id: "demo-1".into(),
            process_type: ProcessKind::Campaign,
            business_key: "1".into(),
            org_id: Some("org".into()),
            started_by: Some("alice".into()),
            seq: 1,
            from_state: None,
            to_state: "Draft".into(),
            event: "Start".into(),
            actor: Some("alice".into()),
            comment: Some("first".into()),
            at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            title: None,
            ended: false,
        }
    }

    #[test]
    fn every_entry_of_a_step_reads_back_as_written() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let notice = Notice {
            key: "demo-1/2/submitter".into(),
            kind: NoticeKind::Submitter,
            workflow_id: "demo-1".into(),
            callback: Some(Callback::CampaignPlanResult {
                campaign_id: "1".into(),
            }),
            username: "alice".into(),
            subject: "s".into(),
            body: "b".into(),
            at,
        };
        let update = TaskUpdate {
            workflow_id: "demo-1".into(),
            step: "review-1".into(),
            level: 1,
            change: TaskChange::Decided {
                outcome: crate::approval::Decision::Approve,
                by: "bob".into(),
                comment: None,
            },
            at,
        };
        let step = StepInput {
            workflow_id: "demo-1".into(),
            entries: vec![
                Entry::Record(first()),
                Entry::Update(update),
                Entry::Notify(notice),
            ],
        };
        let json = serde_json::to_string(&step).unwrap();
        assert_eq!(serde_json::from_str::<StepInput>(&json).unwrap(), step);
    }

    #[test]
    fn next_transition_continues_from_the_previous_state_with_the_next_seq() {
        let at = DateTime::from_timestamp(1_700_000_060, 0).unwrap();
        let next = first().next("Review", "Submit", at);
        assert_eq!(next.seq, 2);
        assert_eq!(next.from_state.as_deref(), Some("Draft"));
        assert_eq!(next.to_state, "Review");
        assert_eq!(next.event, "Submit");
        assert_eq!(next.at, at);
        assert_eq!(
            next.actor, None,
            "the actor of one step never leaks into the next"
        );
        assert_eq!(next.comment, None);
        assert_eq!(next.workflow_id, "demo-1");
    }
}
