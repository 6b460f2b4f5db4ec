//! The campaign workflow: one loop that waits for the next human action or the next timer (start,
//! end, SLA reminder or escalation — whichever is due first; the timer that loses is cancelled),
//! feeds the machine, records each transition and runs the commands as activities.

use super::machine::{self, Campaign, Command, Event, State};
use super::{
    Accepted, Action, ActionRequest, ApplyChange, CampaignChange, CampaignInput, ChangeRequest,
    EXTERNAL_RESULT_EVENT, Evaluate, EvaluationRequest, ExternalResult, Facts, HistoryEntry,
    OpenApproval, PROCESS_TYPE, PendingTimer, ProcessView, workflow_id,
};
use crate::approval::{Actor, ApprovalStep, Decision, Outcome, Refusal, SlaTimer};
use crate::process::{Notice, Notify, TaskChange, TransitionRecord};
use chrono::{DateTime, Utc};
use statig::prelude::*;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult};

type Ctx = WorkflowContext<CampaignWorkflow>;

#[workflow]
pub struct CampaignWorkflow {
    input: CampaignInput,
    machine: StateMachine<Campaign>,
    facts: Facts,
    /// Whoever submitted last: the submitter the approval rules and notices refer to.
    submitter: Actor,
    approval: Option<ApprovalStep>,
    change: Option<ChangeRequest>,
    reviews: u32,
    changes: u32,
    /// The one accepted action waiting for the loop: a process takes one human action at a time.
    pending: Option<(u64, ActionRequest)>,
    next_ticket: u64,
    applied: u64,
    history: Vec<TransitionRecord>,
    /// The commands of the submission the process starts with, applied in `init` so that no
    /// update ever sees the campaign as an unsubmitted draft.
    first_commands: Vec<Command>,
    /// Results delivered by other systems, waiting for the loop to record them.
    results: std::collections::VecDeque<ExternalResult>,
}

/// What the loop woke up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    Start,
    End,
    Sla(SlaTimer),
}

impl Due {
    fn name(self) -> &'static str {
        match self {
            Due::Start => "start",
            Due::End => "end",
            Due::Sla(SlaTimer::Remind) => "remind",
            Due::Sla(SlaTimer::Escalate) => "escalate",
        }
    }
}

use crate::process::{self, activity_options as options, workflow_now as now};

fn refuse(r: Refusal) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Err(Box::new(r))
}

impl CampaignWorkflow {
    fn state(&self) -> State {
        *self.machine.state()
    }

    /// Whether the machine takes `event` now.
    fn takes(&self, event: Event) -> Result<(), Refusal> {
        machine::transition(self.state(), event)
            .map(|_| ())
            .ok_or(Refusal::WrongState)
    }

    /// Whether `request` may happen now: the machine's table, the approval step's rules, and one
    /// action at a time. Validators and the query's allowed actions both ask this.
    fn check(&self, request: &ActionRequest) -> Result<(), Refusal> {
        let who = &request.actor;
        match &request.action {
            Action::Decide { step, level, .. } | Action::Transfer { step, level, .. } => {
                let approval = self.approval.as_ref().ok_or(Refusal::AlreadyDecided)?;
                if let Action::Transfer { to, .. } = &request.action {
                    approval.check_transfer(who, step, *level, to)?;
                } else {
                    approval.check_decision(who, step, *level)?;
                }
            }
            Action::Withdraw => {
                self.takes(Event::Withdraw)?;
                self.approval
                    .as_ref()
                    .ok_or(Refusal::WrongState)?
                    .check_withdraw(who)?;
            }
            Action::Submit { .. } => self.takes(Event::Submit)?,
            Action::Pause => self.takes(Event::Pause)?,
            Action::Resume => self.takes(Event::Resume)?,
            Action::Cancel => self.takes(Event::Cancel)?,
            Action::Terminate => {
                self.takes(Event::RequestTerminate)?;
                self.no_change_pending()?;
            }
            Action::Modify { end_at, budget_fen } => {
                self.takes(Event::RequestChange)?;
                self.no_change_pending()?;
                if end_at.is_some_and(|end| end <= self.facts.start_at)
                    || budget_fen.is_some_and(|b| b <= 0)
                    || (end_at.is_none() && budget_fen.is_none())
                {
                    return Err(Refusal::WrongState);
                }
            }
        }
        if self.pending.is_some() {
            return Err(Refusal::WrongState);
        }
        Ok(())
    }

    fn no_change_pending(&self) -> Result<(), Refusal> {
        match self.approval {
            Some(_) => Err(Refusal::WrongState),
            None => Ok(()),
        }
    }

    /// The actions `viewer` may take now, by the names the API uses.
    fn allowed_actions(&self, viewer: &Actor) -> Vec<String> {
        let mut candidates = vec![
            Action::Submit {
                facts: self.facts.clone(),
            },
            Action::Withdraw,
            Action::Pause,
            Action::Resume,
            Action::Cancel,
            Action::Terminate,
        ];
        if let Some(approval) = &self.approval {
            let step = approval.step();
            let level = approval.open.index + 1;
            for decision in [Decision::Approve, Decision::Reject, Decision::Return] {
                candidates.push(Action::Decide {
                    step: step.clone(),
                    level,
                    decision,
                });
            }
            if approval.check_decision(viewer, &step, level).is_ok() {
                candidates.push(Action::Transfer {
                    step,
                    level,
                    to: viewer.clone(),
                });
            }
        }
        let mut allowed: Vec<String> = candidates
            .into_iter()
            .filter(|action| {
                matches!(action, Action::Transfer { .. })
                    || self
                        .check(&ActionRequest {
                            actor: viewer.clone(),
                            action: action.clone(),
                            comment: None,
                        })
                        .is_ok()
            })
            .map(|a| a.name().to_owned())
            .collect();
        if self.takes(Event::RequestChange).is_ok() && self.approval.is_none() {
            allowed.push("modify".into());
        }
        allowed
    }

    /// The timer due first, if any.
    fn next_due(&self) -> Option<(Due, DateTime<Utc>)> {
        let mut due: Vec<(Due, DateTime<Utc>)> = Vec::new();
        match self.state() {
            State::Scheduled {} => due.push((Due::Start, self.facts.start_at)),
            State::Running {} | State::Paused {} => due.push((Due::End, self.facts.end_at)),
            _ => {}
        }
        if let Some((timer, at)) = self.approval.as_ref().and_then(ApprovalStep::next_timer) {
            due.push((Due::Sla(timer), at));
        }
        due.into_iter().min_by_key(|(_, at)| *at)
    }

    fn record_for(&self, to: State, event: &str, at: DateTime<Utc>) -> TransitionRecord {
        let to_state = to.name().to_owned();
        match self.history.last() {
            Some(last) => {
                let mut next = last.next(&to_state, event, at);
                next.title = Some(self.facts.title.clone());
                next.ended = to.is_terminal();
                next
            }
            None => TransitionRecord {
                workflow_id: workflow_id(&self.input.campaign_id),
                process_type: PROCESS_TYPE.into(),
                business_key: self.input.campaign_id.clone(),
                org_id: Some(self.input.org_id.clone()),
                started_by: Some(self.input.submitted_by.username.clone()),
                seq: 1,
                from_state: None,
                to_state,
                event: event.to_owned(),
                actor: None,
                comment: None,
                at,
                ended: false,
                title: Some(self.facts.title.clone()),
            },
        }
    }
}

#[workflow_methods]
impl CampaignWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: CampaignInput) -> Self {
        let mut machine = Campaign.state_machine();
        let mut first_commands = Vec::new();
        machine.handle_with_context(&Event::Submit, &mut first_commands);
        Self {
            facts: input.facts.clone(),
            submitter: input.submitted_by.clone(),
            input,
            machine,
            first_commands,
            approval: None,
            change: None,
            reviews: 0,
            changes: 0,
            pending: None,
            next_ticket: 0,
            applied: 0,
            history: Vec::new(),
            results: std::collections::VecDeque::new(),
        }
    }

    #[run]
    pub async fn run(ctx: &mut Ctx) -> WorkflowResult<String> {
        // Recorded as it happened in `init`: a draft, then the submission it was started for.
        let at = now(ctx);
        let first = ctx.state(|s| s.record_for(State::Draft {}, "Start", at));
        Self::record(ctx, first).await?;
        let (submitted, commands) = ctx.state_mut(|s| {
            let mut record = s.record_for(s.state(), Event::Submit.name(), at);
            record.actor = Some(s.input.submitted_by.username.clone());
            record.comment = s.input.comment.clone();
            (record, std::mem::take(&mut s.first_commands))
        });
        let comment = submitted.comment.clone();
        Self::record(ctx, submitted).await?;
        for command in commands {
            Self::run_command(ctx, command, Event::Submit, comment.as_deref()).await?;
        }

        loop {
            let state = ctx.state(CampaignWorkflow::state);
            if state.is_terminal() {
                return Ok(state.name().to_owned());
            }
            let due = ctx.state(CampaignWorkflow::next_due);
            let fired = process::deadline_or(ctx, due.map(|(_, at)| at), Self::woken).await?;
            let woke_for = due.map(|(due, _)| due).filter(|_| fired);
            match woke_for {
                Some(due) => Self::on_due(ctx, due).await?,
                None if ctx.state(|s| !s.results.is_empty()) => {
                    let result = ctx
                        .state_mut(|s| s.results.pop_front())
                        .expect("woken for a result");
                    Self::record_result(ctx, result).await?;
                }
                None => {
                    let (ticket, request) = ctx
                        .state_mut(|s| s.pending.take())
                        .expect("woken for a pending action");
                    Self::on_action(ctx, request).await?;
                    ctx.state_mut(|s| s.applied = ticket);
                }
            }
        }
    }

    /// What wakes the loop besides a timer: a human action or a delivered result.
    fn woken(&self) -> bool {
        self.pending.is_some() || !self.results.is_empty()
    }

    /// Records a delivered result in the history; the state stays as it is.
    async fn record_result(ctx: &mut Ctx, result: ExternalResult) -> WorkflowResult<()> {
        let at = now(ctx);
        let record = ctx.state(|s| {
            let mut record = s.record_for(s.state(), EXTERNAL_RESULT_EVENT, at);
            record.actor = Some(result.source.clone());
            record.comment = Some(format!(
                "{}（{}）：{}",
                result.kind, result.reference, result.summary
            ));
            record
        });
        Self::record(ctx, record).await
    }

    async fn on_due(ctx: &mut Ctx, due: Due) -> WorkflowResult<()> {
        match due {
            Due::Start => Self::apply(ctx, Event::StartTime, None, None).await,
            Due::End => Self::apply(ctx, Event::EndTime, None, None).await,
            Due::Sla(timer) => {
                let at = now(ctx);
                let update = ctx.state_mut(|s| {
                    let wf = workflow_id(&s.input.campaign_id);
                    Some(s.approval.as_mut()?.sla_fired(timer, &wf, at))
                });
                process::update_task(ctx, update).await?;
                Ok(())
            }
        }
    }

    async fn on_action(ctx: &mut Ctx, request: ActionRequest) -> WorkflowResult<()> {
        let who = Some(&request.actor);
        let comment = request.comment.clone();
        match request.action {
            Action::Submit { facts } => {
                ctx.state_mut(|s| {
                    s.facts = facts;
                    s.submitter = request.actor.clone();
                });
                Self::apply(ctx, Event::Submit, who, comment).await
            }
            Action::Decide { decision, .. } => {
                let at = now(ctx);
                let (update, outcome, kind, terminate) = ctx.state_mut(|s| {
                    let approval = s.approval.as_mut().expect("validated: an open approval");
                    let change = TaskChange::Decided {
                        outcome: decision.as_str().into(),
                        by: request.actor.username.clone(),
                        comment: comment.clone(),
                    };
                    let update =
                        approval.task_update(&workflow_id(&s.input.campaign_id), change, at);
                    let outcome = approval.decide(decision, at);
                    let terminate = matches!(s.change, Some(ChangeRequest::Terminate { .. }));
                    (update, outcome, approval.kind.clone(), terminate)
                });
                process::update_task(ctx, Some(update)).await?;
                let event = match (kind.as_str(), outcome) {
                    ("review", Outcome::NextLevel) => Some(Event::ApproveLevel),
                    ("review", Outcome::Approved) => Some(Event::ApproveFinal),
                    ("review", Outcome::Rejected) => Some(Event::Reject),
                    ("review", Outcome::Returned) => Some(Event::Return),
                    (_, Outcome::NextLevel) => None,
                    (_, Outcome::Approved) if terminate => Some(Event::TerminateApproved),
                    (_, Outcome::Approved) => Some(Event::ChangeApproved),
                    (_, Outcome::Rejected | Outcome::Returned) => Some(Event::ChangeRejected),
                };
                match event {
                    Some(event) => Self::apply(ctx, event, who, comment).await,
                    None => Self::open_task(ctx).await,
                }
            }
            Action::Transfer { to, .. } => {
                let at = now(ctx);
                let update = ctx.state_mut(|s| {
                    let approval = s.approval.as_mut().expect("validated: an open approval");
                    approval.open.assignee = Some(to.clone());
                    let change = TaskChange::Transferred {
                        from: request.actor.username.clone(),
                        to_user_id: to.user_id.clone(),
                        comment: comment.clone(),
                    };
                    approval.task_update(&workflow_id(&s.input.campaign_id), change, at)
                });
                process::update_task(ctx, Some(update)).await?;
                let notice = ctx.state(|s| Notice {
                    key: format!(
                        "{}/transfer/{}/{}",
                        workflow_id(&s.input.campaign_id),
                        s.next_ticket,
                        to.username
                    ),
                    username: to.username.clone(),
                    subject: format!("待办转办：{}", s.facts.title),
                    body: format!(
                        "{} 将营销活动《{}》的审批任务转给您处理。",
                        request.actor.display_name, s.facts.title
                    ),
                    at,
                });
                ctx.execute_activity(Notify, notice, options()).await?;
                Ok(())
            }
            Action::Withdraw => Self::apply(ctx, Event::Withdraw, who, comment).await,
            Action::Pause => Self::apply(ctx, Event::Pause, who, comment).await,
            Action::Resume => Self::apply(ctx, Event::Resume, who, comment).await,
            Action::Cancel => Self::apply(ctx, Event::Cancel, who, comment).await,
            Action::Terminate => {
                ctx.state_mut(|s| {
                    s.change = Some(ChangeRequest::Terminate {
                        comment: comment.clone(),
                    });
                    s.submitter = request.actor.clone();
                });
                Self::apply(ctx, Event::RequestTerminate, who, comment).await
            }
            Action::Modify { end_at, budget_fen } => {
                ctx.state_mut(|s| {
                    s.change = Some(ChangeRequest::Modify {
                        end_at,
                        budget_fen,
                        comment: comment.clone(),
                    });
                    s.submitter = request.actor.clone();
                });
                Self::apply(ctx, Event::RequestChange, who, comment).await
            }
        }
    }

    /// Feeds `event` to the machine, records the transition (internal ones too, so the timeline
    /// shows a change request) and runs the commands it emitted, in order.
    async fn apply(
        ctx: &mut Ctx,
        event: Event,
        by: Option<&Actor>,
        comment: Option<String>,
    ) -> WorkflowResult<()> {
        let at = now(ctx);
        let (record, commands) = ctx.state_mut(|s| {
            let mut commands = Vec::new();
            let row = machine::transition(s.state(), event);
            s.machine.handle_with_context(&event, &mut commands);
            let record = row.map(|row| {
                let mut record = s.record_for(row.to, event.name(), at);
                record.actor = by.map(|a| a.username.clone());
                record.comment = comment.clone();
                record
            });
            (record, commands)
        });
        if let Some(record) = record {
            Self::record(ctx, record).await?;
        }
        for command in commands {
            Self::run_command(ctx, command, event, comment.as_deref()).await?;
        }
        Ok(())
    }

    async fn run_command(
        ctx: &mut Ctx,
        command: Command,
        event: Event,
        comment: Option<&str>,
    ) -> WorkflowResult<()> {
        let at = now(ctx);
        match command {
            Command::OpenReview => {
                ctx.state_mut(|s| {
                    s.reviews += 1;
                    s.approval = Some(ApprovalStep::start(
                        "review",
                        s.reviews,
                        s.input.review_policy.clone(),
                        s.input.chain.clone(),
                        s.submitter.clone(),
                        at,
                    ));
                });
                Self::open_task(ctx).await
            }
            Command::OpenNextLevel => Self::open_task(ctx).await,
            Command::OpenChange => {
                ctx.state_mut(|s| {
                    s.changes += 1;
                    s.approval = Some(ApprovalStep::start(
                        "change",
                        s.changes,
                        s.input.change_policy.clone(),
                        s.input.chain.clone(),
                        s.submitter.clone(),
                        at,
                    ));
                });
                Self::open_task(ctx).await
            }
            Command::ApplyChange => {
                let change = ctx.state(|s| match &s.change {
                    Some(ChangeRequest::Modify {
                        end_at, budget_fen, ..
                    }) => Some(CampaignChange {
                        campaign_id: s.input.campaign_id.clone(),
                        end_at: *end_at,
                        budget_fen: *budget_fen,
                        by: s.submitter.username.clone(),
                        at,
                    }),
                    _ => None,
                });
                if let Some(change) = change {
                    ctx.execute_activity(ApplyChange, change.clone(), options())
                        .await?;
                    ctx.state_mut(|s| {
                        if let Some(end_at) = change.end_at {
                            s.facts.end_at = end_at;
                        }
                        if let Some(budget) = change.budget_fen {
                            s.facts.budget_fen = budget;
                        }
                        s.change = None;
                    });
                }
                Ok(())
            }
            Command::EndApproval => {
                // an approved change stays for ApplyChange, which comes next
                ctx.state_mut(|s| {
                    s.approval = None;
                    if event != Event::ChangeApproved {
                        s.change = None;
                    }
                });
                Ok(())
            }
            Command::CancelApproval => {
                let update = ctx.state_mut(|s| {
                    s.change = None;
                    let approval = s.approval.take()?;
                    let reason = match event {
                        Event::Withdraw => "withdrawn",
                        Event::EndTime => "ended",
                        _ => "cancelled",
                    };
                    let change = TaskChange::Cancelled {
                        reason: reason.into(),
                    };
                    Some(approval.task_update(&workflow_id(&s.input.campaign_id), change, at))
                });
                process::update_task(ctx, update).await?;
                Ok(())
            }
            Command::NotifySubmitter => {
                let notice = ctx.state(|s| {
                    let seq = s.history.last().map_or(0, |r| r.seq);
                    let state = s.state();
                    Notice {
                        key: format!("{}/{seq}/submitter", workflow_id(&s.input.campaign_id)),
                        username: s.submitter.username.clone(),
                        subject: format!("营销活动《{}》：{}", s.facts.title, event.label_zh()),
                        body: format!(
                            "您提交的营销活动《{}》{}，当前状态：{}。{}",
                            s.facts.title,
                            event.label_zh(),
                            state.label_zh(),
                            comment.map(|c| format!("意见：{c}")).unwrap_or_default()
                        ),
                        at,
                    }
                });
                ctx.execute_activity(Notify, notice, options()).await?;
                Ok(())
            }
            Command::Evaluate => {
                let request = ctx.state(|s| EvaluationRequest {
                    campaign_id: s.input.campaign_id.clone(),
                    at,
                });
                ctx.execute_activity(Evaluate, request, options()).await?;
                Box::pin(Self::apply(ctx, Event::Evaluated, None, None)).await
            }
        }
    }

    /// Opens the task of the approval's open level and tells its candidates.
    async fn open_task(ctx: &mut Ctx) -> WorkflowResult<()> {
        let at = now(ctx);
        let opening = ctx.state(|s| {
            let wf = workflow_id(&s.input.campaign_id);
            Some(s.approval.as_ref()?.task_opening(&wf, &s.facts.title, at))
        });
        process::open_task(ctx, opening).await?;
        Ok(())
    }

    async fn record(ctx: &mut Ctx, record: TransitionRecord) -> WorkflowResult<()> {
        process::record(ctx, record, |s| &mut s.history).await
    }

    /// `{state, allowed_actions for the asking user, history, pending timers}`.
    #[query]
    pub fn view(&self, _ctx: &WorkflowContextView, viewer: Actor) -> ProcessView {
        ProcessView {
            state: self.state().name().to_owned(),
            allowed_actions: self.allowed_actions(&viewer),
            history: self.history.iter().map(HistoryEntry::from).collect(),
            pending_timers: self
                .next_due()
                .map(|(due, at)| PendingTimer {
                    name: due.name().to_owned(),
                    fires_at: at,
                })
                .into_iter()
                .collect(),
            approval: self.approval.as_ref().map(|a| OpenApproval {
                step: a.step(),
                level: a.open.index + 1,
                level_name: a.level().name.clone(),
                due_at: a.due_at(),
                change: self.change.clone(),
            }),
            applied: self.applied,
        }
    }

    /// A result from another system, recorded in the history by the loop (in the order received).
    #[signal]
    pub fn deliver_result(&mut self, _ctx: &mut SyncWorkflowContext<Self>, result: ExternalResult) {
        self.results.push_back(result);
    }

    /// Refused — leaving nothing in the history — unless [`CampaignWorkflow::check`] allows it.
    #[update_validator(act)]
    fn validate_act(
        &self,
        _ctx: &WorkflowContextView,
        request: &ActionRequest,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        match self.check(request) {
            Ok(()) => Ok(()),
            Err(refusal) => refuse(refusal),
        }
    }

    /// Takes the action for the loop; a decision closes its level to every other decision at once.
    #[update]
    pub fn act(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        request: ActionRequest,
    ) -> Accepted {
        if let (Action::Decide { .. }, Some(approval)) = (&request.action, self.approval.as_mut()) {
            approval.open.decided = true;
        }
        self.next_ticket += 1;
        self.pending = Some((self.next_ticket, request));
        Accepted {
            ticket: self.next_ticket,
        }
    }
}
