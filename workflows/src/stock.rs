//! 库存变动审批 (BEN-1): a stock increase above the configured amount is the durable process
//! `stock-change-<request id>`. The second user of the reusable approval step: its levels come from
//! the `stock-change` policy, the stock is added once when the last level approves, and nothing is
//! added when it is rejected, returned or withdrawn.

use crate::approval::{ApprovalStep, OrgChain, Outcome as Decided, Policy, Refusal, SlaTimer};
use crate::process::{
    Accepted, Action, ActionRequest, HistoryEntry, Notice, Notify, OpenApproval, PendingTimer,
    ProcessView, TaskChange, TransitionRecord,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use statig::prelude::*;
use temporalio_common::ActivityDefinition;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult};

pub const PROCESS_TYPE: &str = "stock-change";

pub fn workflow_id(request_id: &str) -> String {
    format!("stock-change-{request_id}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Event {
    Submit,
    Approve,
    Reject,
    Withdraw,
}

impl Event {
    pub const ALL: [Event; 4] = [
        Event::Submit,
        Event::Approve,
        Event::Reject,
        Event::Withdraw,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Event::Submit => "Submit",
            Event::Approve => "ApproveFinal",
            Event::Reject => "Reject",
            Event::Withdraw => "Withdraw",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Event::Submit => "提交审批",
            Event::Approve => "审批通过",
            Event::Reject => "驳回",
            Event::Withdraw => "撤回",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Event::Submit => "Submit",
            Event::Approve => "Approve",
            Event::Reject => "Reject",
            Event::Withdraw => "Withdraw",
        }
    }
}

/// What a transition asks the workflow to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Command {
    OpenReview,
    /// Add the stock, once.
    Apply,
    /// Record the request as not applied (rejected or withdrawn).
    Close,
    CancelApproval,
    NotifySubmitter,
}

#[derive(Default)]
pub struct StockChange;

type Commands = Vec<Command>;

#[state_machine(
    initial = "State::requested()",
    state(derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize))
)]
impl StockChange {
    #[state]
    fn requested(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Submit => {
                context.push(Command::OpenReview);
                Transition(State::under_review())
            }
            _ => Handled,
        }
    }

    #[state]
    fn under_review(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Approve => {
                context.extend_from_slice(&[Command::Apply, Command::NotifySubmitter]);
                Transition(State::applied())
            }
            Event::Reject => {
                context.extend_from_slice(&[Command::Close, Command::NotifySubmitter]);
                Transition(State::rejected())
            }
            Event::Withdraw => {
                context.extend_from_slice(&[Command::CancelApproval, Command::Close]);
                Transition(State::withdrawn())
            }
            Event::Submit => Handled,
        }
    }

    #[state]
    fn applied(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }

    #[state]
    fn rejected(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }

    #[state]
    fn withdrawn(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }
}

impl State {
    pub const ALL: [State; 5] = [
        State::Requested {},
        State::UnderReview {},
        State::Applied {},
        State::Rejected {},
        State::Withdrawn {},
    ];

    pub fn name(self) -> &'static str {
        match self {
            State::Requested {} => "Requested",
            State::UnderReview {} => "UnderReview",
            State::Applied {} => "Applied",
            State::Rejected {} => "Rejected",
            State::Withdrawn {} => "Withdrawn",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            State::Requested {} => "已申请",
            State::UnderReview {} => "审批中",
            State::Applied {} => "已入库",
            State::Rejected {} => "已驳回",
            State::Withdrawn {} => "已撤回",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            State::Requested {} => "Requested",
            State::UnderReview {} => "Under review",
            State::Applied {} => "Applied",
            State::Rejected {} => "Rejected",
            State::Withdrawn {} => "Withdrawn",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Applied {} | State::Rejected {} | State::Withdrawn {}
        )
    }
}

/// One row of the table: `(from, event, to, commands)`.
pub type Row = (State, Event, State, &'static [Command]);

/// Every transition; any other (state, event) pair changes nothing.
pub const TRANSITIONS: &[Row] = &[
    (
        State::Requested {},
        Event::Submit,
        State::UnderReview {},
        &[Command::OpenReview],
    ),
    (
        State::UnderReview {},
        Event::Approve,
        State::Applied {},
        &[Command::Apply, Command::NotifySubmitter],
    ),
    (
        State::UnderReview {},
        Event::Reject,
        State::Rejected {},
        &[Command::Close, Command::NotifySubmitter],
    ),
    (
        State::UnderReview {},
        Event::Withdraw,
        State::Withdrawn {},
        &[Command::CancelApproval, Command::Close],
    ),
];

fn transition(from: State, event: Event) -> Option<&'static Row> {
    TRANSITIONS.iter().find(|r| r.0 == from && r.1 == event)
}

/// The request as the process needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockChangeInput {
    pub request_id: String,
    pub template_code: String,
    pub template_name: String,
    pub quantity: i64,
    pub reason: Option<String>,
    pub org_id: String,
    pub chain: OrgChain,
    pub submitted_by: crate::approval::Actor,
    pub policy: Policy,
}

/// How a request ends in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRequestOutcome {
    pub request_id: String,
    /// `applied`, `rejected` or `withdrawn`.
    pub status: String,
    pub decided_by: Option<String>,
    pub at: DateTime<Utc>,
}

/// Activity: apply (add the stock, once) or close a stock-change request.
pub struct SettleStockRequest;

impl ActivityDefinition for SettleStockRequest {
    type Input = StockRequestOutcome;
    type Output = ();

    fn name(&self) -> &str {
        "benefit.settle_stock_request"
    }
}

type Ctx = WorkflowContext<StockChangeWorkflow>;

use crate::process::{self, activity_options as options, workflow_now as now};

#[workflow]
pub struct StockChangeWorkflow {
    input: StockChangeInput,
    machine: StateMachine<StockChange>,
    approval: Option<ApprovalStep>,
    pending: Option<(u64, ActionRequest)>,
    next_ticket: u64,
    applied: u64,
    history: Vec<TransitionRecord>,
    first_commands: Vec<Command>,
    /// Who decided last, for the store's record.
    decided_by: Option<String>,
}

impl StockChangeWorkflow {
    fn state(&self) -> State {
        *self.machine.state()
    }

    fn title(&self) -> String {
        format!(
            "{} 增加库存 {}",
            self.input.template_name, self.input.quantity
        )
    }

    fn check(&self, request: &ActionRequest) -> Result<(), Refusal> {
        let approval = self.approval.as_ref();
        match &request.action {
            Action::Decide { step, level, .. } => approval
                .ok_or(Refusal::AlreadyDecided)?
                .check_decision(&request.actor, step, *level)?,
            Action::Transfer { step, level, to } => approval
                .ok_or(Refusal::AlreadyDecided)?
                .check_transfer(&request.actor, step, *level, to)?,
            Action::Withdraw => approval
                .ok_or(Refusal::WrongState)?
                .check_withdraw(&request.actor)?,
            _ => return Err(Refusal::WrongState),
        }
        if self.pending.is_some() {
            return Err(Refusal::WrongState);
        }
        Ok(())
    }

    fn allowed_actions(&self, viewer: &crate::approval::Actor) -> Vec<String> {
        let Some(approval) = &self.approval else {
            return Vec::new();
        };
        let (step, level) = (approval.step(), approval.open.index + 1);
        let mut allowed = Vec::new();
        if self.pending.is_none() && approval.check_decision(viewer, &step, level).is_ok() {
            allowed.extend(["approve", "reject", "return", "transfer"].map(String::from));
        }
        if self.pending.is_none() && approval.check_withdraw(viewer).is_ok() {
            allowed.push("withdraw".into());
        }
        allowed
    }

    fn record_for(&self, to: State, event: &str, at: DateTime<Utc>) -> TransitionRecord {
        match self.history.last() {
            Some(last) => {
                let mut next = last.next(to.name(), event, at);
                next.ended = to.is_terminal();
                next
            }
            None => TransitionRecord {
                workflow_id: workflow_id(&self.input.request_id),
                process_type: PROCESS_TYPE.into(),
                business_key: self.input.template_code.clone(),
                org_id: Some(self.input.org_id.clone()),
                started_by: Some(self.input.submitted_by.username.clone()),
                seq: 1,
                from_state: None,
                to_state: to.name().into(),
                event: event.into(),
                actor: None,
                comment: None,
                at,
                ended: false,
                title: Some(self.title()),
            },
        }
    }
}

#[workflow_methods]
impl StockChangeWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: StockChangeInput) -> Self {
        let mut machine = StockChange.state_machine();
        let mut first_commands = Vec::new();
        machine.handle_with_context(&Event::Submit, &mut first_commands);
        Self {
            input,
            machine,
            approval: None,
            pending: None,
            next_ticket: 0,
            applied: 0,
            history: Vec::new(),
            first_commands,
            decided_by: None,
        }
    }

    #[run]
    pub async fn run(ctx: &mut Ctx) -> WorkflowResult<String> {
        let at = now(ctx);
        let first = ctx.state(|s| s.record_for(State::Requested {}, "Start", at));
        Self::record(ctx, first).await?;
        let (submitted, commands) = ctx.state_mut(|s| {
            let mut record = s.record_for(s.state(), Event::Submit.name(), at);
            record.actor = Some(s.input.submitted_by.username.clone());
            record.comment = s.input.reason.clone();
            (record, std::mem::take(&mut s.first_commands))
        });
        Self::record(ctx, submitted).await?;
        Self::run_commands(ctx, commands, None).await?;
        loop {
            let state = ctx.state(StockChangeWorkflow::state);
            if state.is_terminal() {
                return Ok(state.name().to_owned());
            }
            let due = ctx.state(|s| s.approval.as_ref().and_then(ApprovalStep::next_timer));
            let came =
                process::deadline_or(ctx, due.map(|(_, at)| at), |s: &Self| s.pending.is_some())
                    .await?;
            let fired = due.map(|(timer, _)| timer).filter(|_| came);
            match fired {
                Some(timer) => Self::on_sla(ctx, timer).await?,
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

    async fn on_sla(ctx: &mut Ctx, timer: SlaTimer) -> WorkflowResult<()> {
        let at = now(ctx);
        let update = ctx.state_mut(|s| {
            let wf = workflow_id(&s.input.request_id);
            Some(s.approval.as_mut()?.sla_fired(timer, &wf, at))
        });
        process::update_task(ctx, update).await?;
        Ok(())
    }

    async fn on_action(ctx: &mut Ctx, request: ActionRequest) -> WorkflowResult<()> {
        let at = now(ctx);
        let comment = request.comment.clone();
        let by = request.actor.username.clone();
        let event = match request.action {
            Action::Decide { decision, .. } => {
                let (update, outcome) = ctx.state_mut(|s| {
                    let wf = workflow_id(&s.input.request_id);
                    let approval = s.approval.as_mut().expect("validated: an open approval");
                    let change = TaskChange::Decided {
                        outcome: decision.as_str().into(),
                        by: by.clone(),
                        comment: comment.clone(),
                    };
                    let update = approval.task_update(&wf, change, at);
                    s.decided_by = Some(by.clone());
                    (update, approval.decide(decision, at))
                });
                process::update_task(ctx, Some(update)).await?;
                match outcome {
                    Decided::NextLevel => return Self::open_task(ctx).await,
                    Decided::Approved => Event::Approve,
                    Decided::Rejected | Decided::Returned => Event::Reject,
                }
            }
            Action::Transfer { to, .. } => {
                let update = ctx.state_mut(|s| {
                    let wf = workflow_id(&s.input.request_id);
                    let approval = s.approval.as_mut().expect("validated: an open approval");
                    approval.open.assignee = Some(to.clone());
                    let change = TaskChange::Transferred {
                        from: by.clone(),
                        to_user_id: to.user_id.clone(),
                        comment: comment.clone(),
                    };
                    approval.task_update(&wf, change, at)
                });
                process::update_task(ctx, Some(update)).await?;
                return Ok(());
            }
            Action::Withdraw => {
                ctx.state_mut(|s| s.decided_by = Some(by.clone()));
                Event::Withdraw
            }
            _ => return Ok(()),
        };
        let (record, commands) = ctx.state_mut(|s| {
            let mut commands = Vec::new();
            let row = transition(s.state(), event);
            s.machine.handle_with_context(&event, &mut commands);
            let record = row.map(|row| {
                let mut record = s.record_for(row.2, event.name(), at);
                record.actor = Some(by.clone());
                record.comment = comment.clone();
                record
            });
            (record, commands)
        });
        if let Some(record) = record {
            Self::record(ctx, record).await?;
        }
        Self::run_commands(ctx, commands, comment).await
    }

    async fn run_commands(
        ctx: &mut Ctx,
        commands: Vec<Command>,
        comment: Option<String>,
    ) -> WorkflowResult<()> {
        for command in commands {
            let at = now(ctx);
            match command {
                Command::OpenReview => {
                    ctx.state_mut(|s| {
                        s.approval = Some(ApprovalStep::start(
                            "review",
                            1,
                            s.input.policy.clone(),
                            s.input.chain.clone(),
                            s.input.submitted_by.clone(),
                            at,
                        ));
                    });
                    Self::open_task(ctx).await?;
                }
                Command::Apply | Command::Close => {
                    let outcome = ctx.state_mut(|s| {
                        s.approval = None;
                        StockRequestOutcome {
                            request_id: s.input.request_id.clone(),
                            status: match s.state() {
                                State::Applied {} => "applied",
                                State::Withdrawn {} => "withdrawn",
                                _ => "rejected",
                            }
                            .into(),
                            decided_by: s.decided_by.clone(),
                            at,
                        }
                    });
                    ctx.execute_activity(SettleStockRequest, outcome, options())
                        .await?;
                }
                Command::CancelApproval => {
                    let update = ctx.state_mut(|s| {
                        let wf = workflow_id(&s.input.request_id);
                        let approval = s.approval.take()?;
                        let change = TaskChange::Cancelled {
                            reason: "withdrawn".into(),
                        };
                        Some(approval.task_update(&wf, change, at))
                    });
                    process::update_task(ctx, update).await?;
                }
                Command::NotifySubmitter => {
                    let notice = ctx.state(|s| {
                        let seq = s.history.last().map_or(0, |r| r.seq);
                        Notice {
                            key: format!("{}/{seq}/submitter", workflow_id(&s.input.request_id)),
                            username: s.input.submitted_by.username.clone(),
                            subject: format!("库存变动审批：{}", s.state().label_zh()),
                            body: format!(
                                "您申请的《{}》{}。{}",
                                s.title(),
                                s.state().label_zh(),
                                comment
                                    .as_deref()
                                    .map(|c| format!("意见：{c}"))
                                    .unwrap_or_default()
                            ),
                            at,
                        }
                    });
                    ctx.execute_activity(Notify, notice, options()).await?;
                }
            }
        }
        Ok(())
    }

    async fn open_task(ctx: &mut Ctx) -> WorkflowResult<()> {
        let at = now(ctx);
        let opening = ctx.state(|s| {
            let wf = workflow_id(&s.input.request_id);
            Some(s.approval.as_ref()?.task_opening(&wf, &s.title(), at))
        });
        process::open_task(ctx, opening).await?;
        Ok(())
    }

    async fn record(ctx: &mut Ctx, record: TransitionRecord) -> WorkflowResult<()> {
        process::record(ctx, record, |s| &mut s.history).await
    }

    #[query]
    pub fn view(&self, _ctx: &WorkflowContextView, viewer: crate::approval::Actor) -> ProcessView {
        ProcessView {
            state: self.state().name().to_owned(),
            allowed_actions: self.allowed_actions(&viewer),
            history: self.history.iter().map(HistoryEntry::from).collect(),
            pending_timers: self
                .approval
                .as_ref()
                .and_then(ApprovalStep::next_timer)
                .map(|(timer, at)| PendingTimer {
                    name: match timer {
                        SlaTimer::Remind => "remind",
                        SlaTimer::Escalate => "escalate",
                    }
                    .into(),
                    fires_at: at,
                })
                .into_iter()
                .collect(),
            approval: self.approval.as_ref().map(|a| OpenApproval {
                step: a.step(),
                level: a.open.index + 1,
                level_name: a.level().name.clone(),
                due_at: a.due_at(),
                change: None,
            }),
            applied: self.applied,
        }
    }

    #[update_validator(act)]
    fn validate_act(
        &self,
        _ctx: &WorkflowContextView,
        request: &ActionRequest,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.check(request).map_err(|r| Box::new(r) as _)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (state, event) pair does what the table says, and nothing where it is silent.
    #[test]
    fn the_machine_and_its_table_agree_on_every_pair() {
        for from in State::ALL {
            for event in Event::ALL {
                let mut machine = StockChange.state_machine();
                // reach `from` along the table
                let path: &[Event] = match from {
                    State::Requested {} => &[],
                    State::UnderReview {} => &[Event::Submit],
                    State::Applied {} => &[Event::Submit, Event::Approve],
                    State::Rejected {} => &[Event::Submit, Event::Reject],
                    State::Withdrawn {} => &[Event::Submit, Event::Withdraw],
                };
                for e in path {
                    machine.handle_with_context(e, &mut Vec::new());
                }
                assert_eq!(*machine.state(), from);
                let mut commands = Vec::new();
                machine.handle_with_context(&event, &mut commands);
                match transition(from, event) {
                    Some(row) => {
                        assert_eq!((*machine.state(), commands.as_slice()), (row.2, row.3));
                    }
                    None => {
                        assert_eq!(*machine.state(), from, "{event:?} in {from:?}");
                        assert!(commands.is_empty());
                    }
                }
            }
        }
    }
}
