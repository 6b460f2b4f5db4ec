//! The approval host every process workflow embeds (WF-7, WF-8). A process is its machine (pure,
//! statig, with its table), its contract (facts, its own actions, its view) and a thin workflow
//! whose `run`, `act`, `settled`, `view` and validator call the functions here. The host keeps
//! what every process has: the open approval with its tickets, SLA timers and escalation; the
//! history of transitions; one human action at a time; decide, transfer and withdraw; the view.
//!
//! One step's bookkeeping — the transition, the tasks it closes and opens, the notices it queues —
//! is written by one local activity in one PostgreSQL transaction (`process.step`). Processes
//! started before that (no [`ONE_STEP`] patch marker in their history) keep running, and
//! replaying, the activity per entry they were started with.
//!
//! The `act` update accepts (its validator refuses with no trace), and the `settled` update
//! answers once the accepted action is carried out, with the view: the API never polls.

use crate::approval::{
    Actor, ApprovalStep, Decision, OrgChain, Outcome, Policy, Refusal, SlaTimer,
};
use crate::kind::ProcessKind;
use crate::process::{
    Accepted, Action, ActionRequest, ApprovalAction, COMMENT_REFUSED, Callback, Entry,
    HistoryEntry, Notice, NoticeKind, Notify, OpenApproval, OpenTask, OwnAction, PendingTimer,
    ProcessView, REWORK_STEP, RecordTransition, Step, StepInput, TaskChange, TaskKind, TaskOpening,
    TaskUpdate, TransitionRecord, UpdateTask, activity_options, deadline_or, workflow_now as now,
};
use crate::table::{Drive, Labels, Table};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use statig::blocking::StateMachine;
use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;
use temporalio_sdk::{
    ActivityExecutionError, LocalActivityOptions, WorkflowContext, WorkflowResult,
};

/// The patch marker of one-step bookkeeping and answers that wait for the action.
pub const ONE_STEP: &str = "one-step-bookkeeping";

/// The patch marker of the rework task: a submission returned for changes opens a task for its
/// submitter, closed when they submit again or withdraw. Processes started before it return as
/// they did, with no task.
pub const RETURNED_TASK: &str = "returned-task";

type StateOf<P> = <<P as Process>::Machine as Table>::State;
type EventOf<P> = <<P as Process>::Machine as Table>::Event;
type CommandOf<P> = <<P as Process>::Machine as Table>::Command;

/// The kinds of approval a process runs (e.g. review, change), each naming its task step.
pub trait StepKind: Copy + Eq + std::fmt::Debug + 'static {
    /// The step's name in tasks: `review` gives `review-1`, `review-2`, ….
    fn code(self) -> &'static str;
}

/// The host inside a process workflow's state ([`process_workflow!`](crate::process_workflow)
/// implements it).
pub trait HasHost: Sized {
    type Of: Process;
    fn host(&self) -> &Host<Self::Of>;
    fn host_mut(&mut self) -> &mut Host<Self::Of>;
}

/// What a process tells the host. Implemented by the workflow struct.
pub trait Process: HasHost<Of = Self> + Sized + 'static {
    /// The machine (statig) with its table: its states, events and commands.
    type Machine: Drive;
    /// The process's own actions besides decide, transfer and withdraw.
    type Own: OwnAction;
    type Step: StepKind;
    /// Effects that are the process's own business (write a change, evaluate, add stock), run by
    /// [`Process::effect`] in their place among the bookkeeping.
    type Effect;
    /// What the view adds of the process's own.
    type Detail: Clone + Serialize + for<'de> Deserialize<'de>;

    const KIND: ProcessKind;

    /// What one command does: bookkeeping and the process's own effects, in order.
    fn command(
        &mut self,
        c: Commanded<'_, EventOf<Self>, CommandOf<Self>>,
    ) -> Vec<Effect<Self::Effect>>;
    /// Runs one of the process's own effects.
    fn effect(
        ctx: &mut WorkflowContext<Self>,
        effect: Self::Effect,
    ) -> impl Future<Output = WorkflowResult<()>>;
    /// The event an approval's outcome is; `None` when the next level opens without one.
    fn decided(&self, step: Self::Step, outcome: Outcome) -> Option<EventOf<Self>>;
    /// Whether `who` may take `action` now (the host checks one action at a time).
    fn check_own(&self, who: &Actor, action: &Self::Own) -> Result<(), Refusal>;
    /// The names of the own actions `viewer` may take now.
    fn own_allowed(&self, viewer: &Actor) -> Vec<&'static str>;
    /// Takes an own action into the process's fields; the event it feeds the machine.
    fn take_own(&mut self, who: &Actor, action: Self::Own, comment: Option<&str>) -> EventOf<Self>;
    fn detail(&self) -> Self::Detail;

    /// Whether the open approval of `step` takes decisions (approve, reject, return). A step that
    /// is a person's own work rather than a decision (an inspector's inspection, done by submitting
    /// its checklist through the process's own action) answers false: its level keeps its task,
    /// SLA and transfers, but no decision is taken on it.
    fn decidable(&self, step: Self::Step) -> bool {
        let _ = step;
        true
    }

    /// The process's own timer due first, if any (e.g. a campaign's start or end).
    fn timer(&self) -> Option<OwnTimer<EventOf<Self>>> {
        None
    }

    /// Whether something besides an action or a timer waits for the loop (e.g. a delivered result).
    fn has_news(&self) -> bool {
        false
    }
    fn on_news(ctx: &mut WorkflowContext<Self>) -> impl Future<Output = WorkflowResult<()>> {
        let _ = ctx;
        async { Ok(()) }
    }
}

/// A timer of the process's own: its name (`start`, `end`), the event it feeds the machine, and
/// when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnTimer<E> {
    pub name: &'static str,
    pub event: E,
    pub at: DateTime<Utc>,
}

/// A command a transition emitted, with the event that emitted it and the step's comment and time.
#[derive(Debug, Clone, Copy)]
pub struct Commanded<'a, E, C> {
    pub command: C,
    pub event: E,
    pub comment: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// The effects of `commands`, in order.
fn commanded<P: Process>(
    process: &mut P,
    event: EventOf<P>,
    commands: Vec<CommandOf<P>>,
    comment: Option<&str>,
    at: DateTime<Utc>,
) -> Vec<Effect<P::Effect>> {
    commands
        .into_iter()
        .flat_map(|command| {
            process.command(Commanded {
                command,
                event,
                comment,
                at,
            })
        })
        .collect()
}

/// One thing a step does: a piece of bookkeeping, or the process's own effect.
#[derive(Debug)]
pub enum Effect<D> {
    Entry(Box<Entry>),
    Domain(D),
}

/// Who and what a process is about, fixed when it starts.
#[derive(Debug, Clone)]
pub struct Identity {
    /// What the workflow id names: `<kind>-<key>`.
    pub key: String,
    /// The internal key the read model keeps beside the workflow id (a campaign's id, a stock
    /// change's template code); staff see the object's business number, which the read model
    /// takes from the number registry (`business_numbers`) by workflow id.
    pub business_key: String,
    pub org_id: String,
    pub chain: OrgChain,
    pub started_by: Actor,
}

/// [`Host::reserved`]: nothing, an action, or a decision (which closes its level at once).
const NOT_RESERVED: u8 = 0;
const RESERVED_ACTION: u8 = 1;
const RESERVED_DECISION: u8 = 2;

/// The host's part of a process workflow's state.
pub struct Host<P: Process> {
    machine: StateMachine<P::Machine>,
    pub identity: Identity,
    pub workflow_id: String,
    /// What the inbox and the monitor call the process (e.g. the campaign's name).
    pub title: String,
    /// Whoever submitted last: the submitter the approval rules and notices refer to.
    pub submitter: Actor,
    pub approval: Option<(P::Step, ApprovalStep)>,
    rounds: Vec<(P::Step, u32)>,
    pending: Option<(u64, ActionRequest<P::Own>)>,
    /// An action the validator of `apply` let through whose handler has not yet taken it: set by
    /// the validator so that a second action validated in the same activation is refused, cleared
    /// by the handler (which alone runs on replay, and takes the action into `pending`).
    reserved: AtomicU8,
    next_ticket: u64,
    applied: u64,
    history: Vec<TransitionRecord>,
    /// The state before the first submission, and what the submission emitted.
    initial: StateOf<P>,
    first_commands: Vec<CommandOf<P>>,
    first_comment: Option<String>,
    batched: bool,
    started: bool,
    /// Whether a return opens a rework task ([`RETURNED_TASK`]).
    reworks: bool,
    /// The level of the open rework task, if the submission is back with its submitter.
    rework: Option<i16>,
    /// The rework tasks opened so far (a level each).
    rework_rounds: i16,
}

impl<P: Process> Host<P> {
    /// A process whose machine has taken its first submission ([`Process::SUBMIT`]), done in
    /// `init` so that no update ever sees it unsubmitted.
    pub fn new(identity: Identity, title: String, comment: Option<String>) -> Self {
        let mut machine = P::Machine::machine();
        let initial = P::Machine::current(&machine);
        let first_commands = P::Machine::fire(&mut machine, P::Machine::SUBMIT);
        Self {
            machine,
            workflow_id: P::KIND.workflow_id(&identity.key),
            submitter: identity.started_by.clone(),
            identity,
            title,
            approval: None,
            rounds: Vec::new(),
            pending: None,
            reserved: AtomicU8::new(NOT_RESERVED),
            next_ticket: 0,
            applied: 0,
            history: Vec::new(),
            initial,
            first_commands,
            first_comment: comment,
            batched: false,
            started: false,
            reworks: false,
            rework: None,
            rework_rounds: 0,
        }
    }

    /// Whether the submission is back with its submitter, a rework task open.
    pub fn returned(&self) -> bool {
        self.rework.is_some()
    }

    /// Opens the submitter's rework task after `by` returned the submission with `reason`, and
    /// tells the submitter, unless the return's own commands did (`told`). Only where the return
    /// left the process able to take a new submission (a campaign back in Draft): not where it
    /// ended it (a stock change) or where it turned down a change of a live process. Nothing for a
    /// process started before [`RETURNED_TASK`].
    fn open_rework(
        &mut self,
        by: &Actor,
        reason: Option<String>,
        told: bool,
        at: DateTime<Utc>,
    ) -> Vec<Effect<P::Effect>> {
        if !self.reworks || P::Machine::row(self.state(), P::Machine::SUBMIT).is_none() {
            return Vec::new();
        }
        self.rework_rounds += 1;
        let level = self.rework_rounds;
        self.rework = Some(level);
        let opening = TaskOpening {
            workflow_id: self.workflow_id.clone(),
            step: REWORK_STEP.to_owned(),
            level,
            level_name: "退回修改".to_owned(),
            title: self.title.clone(),
            candidate_roles: Vec::new(),
            org_scope: self.identity.org_id.clone(),
            include_descendants: false,
            submitted_by: by.username.clone(),
            due_at: None,
            at,
            kind: TaskKind::Rework,
            assignee: Some(self.submitter.user_id.clone()),
            comment: reason.clone(),
        };
        let mut effects = vec![Effect::Entry(Box::new(Entry::Open(opening)))];
        if !told {
            let label = P::KIND.label_zh();
            effects.push(Effect::Entry(Box::new(Entry::Notify(Notice {
                key: format!("{}/rework/{level}", self.workflow_id),
                kind: NoticeKind::Returned,
                workflow_id: self.workflow_id.clone(),
                callback: None,
                username: self.submitter.username.clone(),
                subject: format!("{label}《{}》：退回修改", self.title),
                body: format!(
                    "{} 退回了您提交的{label}《{}》，请修改后重新提交。{}",
                    by.display_name,
                    self.title,
                    reason.map(|c| format!("意见：{c}")).unwrap_or_default()
                ),
                at,
            }))));
        }
        effects
    }

    /// Closes the open rework task, if any, as `event` by `by` leaves the returned state.
    fn close_rework(
        &mut self,
        event: EventOf<P>,
        by: Option<&Actor>,
        at: DateTime<Utc>,
    ) -> Option<Effect<P::Effect>> {
        let level = self.rework.take()?;
        let outcome = if event == P::Machine::SUBMIT {
            "resubmitted"
        } else if event == P::Machine::WITHDRAW {
            "withdrawn"
        } else {
            "cancelled"
        };
        Some(Effect::Entry(Box::new(Entry::Update(TaskUpdate {
            workflow_id: self.workflow_id.clone(),
            step: REWORK_STEP.to_owned(),
            level,
            change: TaskChange::Reworked {
                by: by.map_or_else(|| "system".to_owned(), |a| a.username.clone()),
                outcome: outcome.to_owned(),
            },
            at,
        }))))
    }

    /// The machine's state.
    pub fn state(&self) -> StateOf<P> {
        P::Machine::current(&self.machine)
    }

    /// Feeds `event` to the machine; the commands it emitted.
    fn handle(&mut self, event: EventOf<P>) -> Vec<CommandOf<P>> {
        P::Machine::fire(&mut self.machine, event)
    }

    /// Who took the last step, if a person did.
    pub fn last_actor(&self) -> Option<String> {
        self.history.last().and_then(|r| r.actor.clone())
    }

    /// The last transition's seq (0 before the first).
    pub fn seq(&self) -> i32 {
        self.history.last().map_or(0, |r| r.seq)
    }

    /// The record of a transition to `to`, kept in the history at once.
    fn record(
        &mut self,
        to: StateOf<P>,
        event: &str,
        at: DateTime<Utc>,
        actor: Option<String>,
        comment: Option<String>,
    ) -> TransitionRecord {
        let mut record = match self.history.last() {
            Some(last) => last.next(to.name(), event, at),
            None => TransitionRecord {
                workflow_id: self.workflow_id.clone(),
                process_type: P::KIND,
                business_key: self.identity.business_key.clone(),
                org_id: Some(self.identity.org_id.clone()),
                started_by: Some(self.identity.started_by.username.clone()),
                seq: 1,
                from_state: None,
                to_state: to.name().to_owned(),
                event: event.to_owned(),
                actor: None,
                comment: None,
                at,
                title: None,
                ended: false,
            },
        };
        record.title = Some(self.title.clone());
        record.ended = P::Machine::is_terminal(to);
        record.actor = actor;
        record.comment = comment;
        self.history.push(record.clone());
        record
    }

    /// A record of something that happened without a change of state (e.g. a delivered result).
    pub fn note(
        &mut self,
        state: StateOf<P>,
        event: &str,
        at: DateTime<Utc>,
        actor: String,
        comment: String,
    ) -> Effect<P::Effect> {
        Effect::Entry(Box::new(Entry::Record(self.record(
            state,
            event,
            at,
            Some(actor),
            Some(comment),
        ))))
    }

    /// Starts an approval of kind `step` under `policy` and opens its first level's task.
    pub fn open_approval(
        &mut self,
        step: P::Step,
        policy: Policy,
        at: DateTime<Utc>,
    ) -> Effect<P::Effect> {
        let round = match self.rounds.iter_mut().find(|(s, _)| *s == step) {
            Some((_, round)) => {
                *round += 1;
                *round
            }
            None => {
                self.rounds.push((step, 1));
                1
            }
        };
        let approval = ApprovalStep::start(
            step.code(),
            round,
            policy,
            self.identity.chain.clone(),
            self.submitter.clone(),
            at,
        );
        self.approval = Some((step, approval));
        self.open_level(at).expect("an approval was just opened")
    }

    /// The task of the open level, if there is an approval.
    pub fn open_level(&self, at: DateTime<Utc>) -> Option<Effect<P::Effect>> {
        let (_, approval) = self.approval.as_ref()?;
        Some(Effect::Entry(Box::new(Entry::Open(approval.task_opening(
            &self.workflow_id,
            &self.title,
            at,
        )))))
    }

    /// Ends the approval whose last task is closed already.
    pub fn end_approval(&mut self) {
        self.approval = None;
    }

    /// Closes the open task unanswered (`withdrawn`, `cancelled`, `ended`) and ends the approval.
    pub fn cancel_approval(
        &mut self,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Option<Effect<P::Effect>> {
        let (_, approval) = self.approval.take()?;
        let change = TaskChange::Cancelled {
            reason: reason.to_owned(),
        };
        Some(Effect::Entry(Box::new(Entry::Update(
            approval.task_update(&self.workflow_id, change, at),
        ))))
    }

    /// Tells the submitter how their submission went, keyed by the step so it is sent once.
    pub fn notify_submitter(
        &self,
        event: EventOf<P>,
        state: StateOf<P>,
        comment: Option<&str>,
        callback: Option<Callback>,
        at: DateTime<Utc>,
    ) -> Effect<P::Effect> {
        let label = P::KIND.label_zh();
        Effect::Entry(Box::new(Entry::Notify(Notice {
            key: format!("{}/{}/submitter", self.workflow_id, self.seq()),
            kind: NoticeKind::Submitter,
            workflow_id: self.workflow_id.clone(),
            callback,
            username: self.submitter.username.clone(),
            subject: format!("{label}《{}》：{}", self.title, event.label_zh()),
            body: format!(
                "您提交的{label}《{}》{}，当前状态：{}。{}",
                self.title,
                event.label_zh(),
                state.label_zh(),
                comment.map(|c| format!("意见：{c}")).unwrap_or_default()
            ),
            at,
        })))
    }

    /// Whether `request` may happen now: the approval step's rules, the process's own, and one
    /// action at a time. The validator and the view's allowed actions both ask this.
    pub fn check(process: &P, request: &ActionRequest<P::Own>) -> Result<(), Refusal> {
        let host = process.host();
        let who = &request.actor;
        let approval = host.approval.as_ref().map(|(_, a)| a);
        let reserved = host.reserved.load(Ordering::Relaxed);
        // a decision let through but not yet taken has decided the level, as `accept` will record
        if reserved == RESERVED_DECISION
            && matches!(
                request.action,
                Action::Approval(ApprovalAction::Decide { .. })
            )
        {
            return Err(Refusal::AlreadyDecided);
        }
        match &request.action {
            Action::Approval(ApprovalAction::Decide { step, level, .. }) => {
                if host
                    .approval
                    .as_ref()
                    .is_some_and(|(kind, _)| !process.decidable(*kind))
                {
                    return Err(Refusal::NotEligible);
                }
                approval
                    .ok_or(Refusal::AlreadyDecided)?
                    .check_decision(who, step, *level)?
            }
            Action::Approval(ApprovalAction::Transfer { step, level, to }) => approval
                .ok_or(Refusal::AlreadyDecided)?
                .check_transfer(who, step, *level, to)?,
            Action::Approval(ApprovalAction::Withdraw) => {
                P::Machine::row(host.state(), P::Machine::WITHDRAW).ok_or(Refusal::WrongState)?;
                approval.ok_or(Refusal::WrongState)?.check_withdraw(who)?;
            }
            Action::Own(own) => process.check_own(who, own)?,
        }
        if host.pending.is_some() || reserved != NOT_RESERVED {
            return Err(Refusal::WrongState);
        }
        Ok(())
    }

    /// The actions `viewer` may take now, by the names the API uses.
    fn allowed(process: &P, viewer: &Actor) -> Vec<String> {
        let host = process.host();
        if host.pending.is_some() {
            return Vec::new();
        }
        let mut allowed: Vec<&'static str> = process.own_allowed(viewer);
        if let Some((kind, approval)) = &host.approval {
            let (step, level) = (approval.step(), approval.open.index + 1);
            if approval.check_decision(viewer, &step, level).is_ok() {
                if process.decidable(*kind) {
                    allowed.extend(
                        [Decision::Approve, Decision::Reject, Decision::Return]
                            .map(Decision::as_str),
                    );
                }
                allowed.push("transfer");
            }
            if P::Machine::row(host.state(), P::Machine::WITHDRAW).is_some()
                && approval.check_withdraw(viewer).is_ok()
            {
                allowed.push("withdraw");
            }
        }
        allowed.into_iter().map(String::from).collect()
    }

    /// The timer due first: the process's own, or the open level's SLA.
    fn next_due(process: &P) -> Option<(Due<EventOf<P>>, DateTime<Utc>)> {
        let own = process.timer().map(|t| (Due::Own(t.name, t.event), t.at));
        let sla = process
            .host()
            .approval
            .as_ref()
            .and_then(|(_, a)| a.next_timer())
            .map(|(t, at)| (Due::Sla(t), at));
        own.into_iter().chain(sla).min_by_key(|(_, at)| *at)
    }

    /// `{state, allowed_actions for the asking user, history, pending timers}`.
    pub fn view(process: &P, viewer: &Actor) -> ProcessView<P::Detail> {
        let host = process.host();
        ProcessView {
            state: host.state().name().to_owned(),
            allowed_actions: Self::allowed(process, viewer),
            history: host.history.iter().map(HistoryEntry::from).collect(),
            pending_timers: Self::next_due(process)
                .map(|(due, at)| PendingTimer {
                    name: match due {
                        Due::Own(name, _) => name,
                        Due::Sla(SlaTimer::Remind) => "remind",
                        Due::Sla(SlaTimer::Escalate) => "escalate",
                    }
                    .to_owned(),
                    fires_at: at,
                })
                .into_iter()
                .collect(),
            approval: host.approval.as_ref().map(|(_, a)| OpenApproval {
                step: a.step(),
                level: a.open.index + 1,
                level_name: a.level().name.clone(),
                due_at: a.due_at(),
            }),
            applied: host.applied,
            detail: process.detail(),
        }
    }

    /// Takes an accepted action for the loop: a decision closes its level to every other decision
    /// at once. Its ticket.
    fn accept(&mut self, request: ActionRequest<P::Own>) -> u64 {
        if let (Action::Approval(ApprovalAction::Decide { .. }), Some((_, approval))) =
            (&request.action, self.approval.as_mut())
        {
            approval.open.decided = true;
        }
        self.next_ticket += 1;
        self.pending = Some((self.next_ticket, request));
        self.next_ticket
    }
}

/// What the loop woke up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due<E> {
    Own(&'static str, E),
    Sla(SlaTimer),
}

// ---- the workflow's methods ------------------------------------------------------------------

/// The `run` of every process: records the start and the submission, then one loop that waits for
/// the next human action, timer or news, feeds the machine and carries out the effects.
pub async fn run<P: Process>(ctx: &mut WorkflowContext<P>) -> WorkflowResult<String> {
    let batched = ctx.patched(ONE_STEP);
    let reworks = ctx.patched(RETURNED_TASK);
    let at = now(ctx);
    let effects = ctx.state_mut(|s| {
        let host = s.host_mut();
        host.batched = batched;
        host.reworks = reworks;
        let initial = host.initial;
        let submitter = host.submitter.username.clone();
        let comment = host.first_comment.take();
        host.record(initial, "Start", at, None, None);
        let mut effects = vec![Effect::Entry(Box::new(Entry::Record(
            host.history.last().cloned().expect("just recorded"),
        )))];
        let state = s.host().state();
        let record = s.host_mut().record(
            state,
            P::Machine::SUBMIT.name(),
            at,
            Some(submitter),
            comment.clone(),
        );
        effects.push(Effect::Entry(Box::new(Entry::Record(record))));
        let commands = std::mem::take(&mut s.host_mut().first_commands);
        effects.extend(commanded(
            s,
            P::Machine::SUBMIT,
            commands,
            comment.as_deref(),
            at,
        ));
        effects
    });
    run_effects(ctx, effects).await?;
    ctx.state_mut(|s| s.host_mut().started = true);

    loop {
        let state = ctx.state(|s| s.host().state());
        if P::Machine::is_terminal(state) {
            // every answer is given before the workflow completes
            let handlers = ctx.clone();
            ctx.wait_condition(move |_| handlers.all_handlers_finished())
                .await?;
            return Ok(state.name().to_owned());
        }
        let due = ctx.state(Host::<P>::next_due);
        let fired = deadline_or(ctx, due.map(|(_, at)| at), woken::<P>).await?;
        match due.map(|(due, _)| due).filter(|_| fired) {
            Some(Due::Sla(timer)) => {
                let at = now(ctx);
                let effects = ctx.state_mut(|s| {
                    let host = s.host_mut();
                    let workflow_id = host.workflow_id.clone();
                    host.approval
                        .as_mut()
                        .map(|(_, a)| {
                            Effect::Entry(Box::new(Entry::Update(a.sla_fired(
                                timer,
                                &workflow_id,
                                at,
                            ))))
                        })
                        .into_iter()
                        .collect()
                });
                run_effects(ctx, effects).await?;
            }
            Some(Due::Own(_, event)) => apply(ctx, event, None, None).await?,
            None if ctx.state(P::has_news) => P::on_news(ctx).await?,
            None => {
                let (ticket, request) = ctx
                    .state_mut(|s| s.host_mut().pending.take())
                    .expect("woken for a pending action");
                let at = now(ctx);
                let effects = ctx.state_mut(|s| action_effects(s, request, at));
                run_effects(ctx, effects).await?;
                ctx.state_mut(|s| s.host_mut().applied = ticket);
            }
        }
    }
}

fn woken<P: Process>(process: &P) -> bool {
    process.host().pending.is_some() || process.has_news()
}

/// The effects of a human action, its state changes made.
fn action_effects<P: Process>(
    process: &mut P,
    request: ActionRequest<P::Own>,
    at: DateTime<Utc>,
) -> Vec<Effect<P::Effect>> {
    let who = request.actor;
    let comment = request.comment;
    match request.action {
        Action::Approval(ApprovalAction::Decide { decision, .. }) => {
            let host = process.host_mut();
            let workflow_id = host.workflow_id.clone();
            let (step, approval) = host.approval.as_mut().expect("validated: an open approval");
            let change = TaskChange::Decided {
                outcome: decision,
                by: who.username.clone(),
                comment: comment.clone(),
            };
            let update = approval.task_update(&workflow_id, change, at);
            let outcome = approval.decide(decision, at);
            let step = *step;
            let mut effects = vec![Effect::Entry(Box::new(Entry::Update(update)))];
            match process.decided(step, outcome) {
                Some(event) => {
                    effects.extend(transit(process, event, Some(&who), comment.clone(), at));
                    if outcome == Outcome::Returned {
                        let submitter = process.host().submitter.username.clone();
                        let told = effects.iter().any(|e| {
                            matches!(e, Effect::Entry(entry)
                                if matches!(&**entry, Entry::Notify(n) if n.username == submitter))
                        });
                        let host = process.host_mut();
                        effects.extend(host.open_rework(&who, comment, told, at));
                    }
                }
                None => effects.extend(process.host().open_level(at)),
            }
            effects
        }
        Action::Approval(ApprovalAction::Transfer { to, .. }) => {
            let host = process.host_mut();
            let workflow_id = host.workflow_id.clone();
            let (_, approval) = host.approval.as_mut().expect("validated: an open approval");
            approval.open.assignee = Some(to.clone());
            let change = TaskChange::Transferred {
                from: who.username.clone(),
                to_user_id: to.user_id.clone(),
                comment,
            };
            let update = approval.task_update(&workflow_id, change, at);
            let notice = Notice {
                key: format!(
                    "{workflow_id}/transfer/{}/{}",
                    host.next_ticket, to.username
                ),
                kind: NoticeKind::Transfer,
                workflow_id: workflow_id.clone(),
                callback: None,
                username: to.username.clone(),
                subject: format!("待办转办：{}", host.title),
                body: format!(
                    "{} 将{}《{}》的审批任务转给您处理。",
                    who.display_name,
                    P::KIND.label_zh(),
                    host.title
                ),
                at,
            };
            vec![
                Effect::Entry(Box::new(Entry::Update(update))),
                Effect::Entry(Box::new(Entry::Notify(notice))),
            ]
        }
        Action::Approval(ApprovalAction::Withdraw) => {
            transit(process, P::Machine::WITHDRAW, Some(&who), comment, at)
        }
        Action::Own(own) => {
            let event = process.take_own(&who, own, comment.as_deref());
            transit(process, event, Some(&who), comment, at)
        }
    }
}

/// Feeds `event` to the machine, records the transition (internal ones too, so the timeline
/// shows a change request) and turns the commands it emitted into effects, in order.
pub fn transit<P: Process>(
    process: &mut P,
    event: EventOf<P>,
    by: Option<&Actor>,
    comment: Option<String>,
    at: DateTime<Utc>,
) -> Vec<Effect<P::Effect>> {
    let row = P::Machine::row(process.host().state(), event);
    let commands = process.host_mut().handle(event);
    let mut effects = Vec::new();
    if let Some(row) = row {
        let actor = by.map(|a| a.username.clone());
        let record = process
            .host_mut()
            .record(row.to, event.name(), at, actor, comment.clone());
        effects.push(Effect::Entry(Box::new(Entry::Record(record))));
        // the returned submission moves on: its rework is done
        effects.extend(process.host_mut().close_rework(event, by, at));
    }
    effects.extend(commanded(process, event, commands, comment.as_deref(), at));
    effects
}

/// [`transit`], then the effects carried out.
pub async fn apply<P: Process>(
    ctx: &mut WorkflowContext<P>,
    event: EventOf<P>,
    by: Option<&Actor>,
    comment: Option<String>,
) -> WorkflowResult<()> {
    let at = now(ctx);
    let effects = ctx.state_mut(|s| transit(s, event, by, comment, at));
    run_effects(ctx, effects).await
}

/// Carries out `effects` in order: consecutive bookkeeping as one step, the process's own effects
/// in their place between.
pub async fn run_effects<P: Process>(
    ctx: &mut WorkflowContext<P>,
    effects: Vec<Effect<P::Effect>>,
) -> WorkflowResult<()> {
    let batched = ctx.state(|s| s.host().batched);
    let mut batch = Vec::new();
    for effect in effects {
        match effect {
            Effect::Entry(entry) if batched => batch.push(*entry),
            Effect::Entry(entry) => one_by_one(ctx, *entry).await?,
            Effect::Domain(own) => {
                step(ctx, std::mem::take(&mut batch)).await?;
                Box::pin(P::effect(ctx, own)).await?;
            }
        }
    }
    step(ctx, batch).await
}

/// Records a step's bookkeeping in one local activity. Data the database refuses (a comment it
/// cannot store) comes back at once: the step is recorded again with its comments replaced by a
/// note, so the process stays able to take its next decision.
async fn step<P: Process>(ctx: &mut WorkflowContext<P>, entries: Vec<Entry>) -> WorkflowResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let workflow_id = ctx.state(|s| s.host().workflow_id.clone());
    let mut input = StepInput {
        workflow_id,
        entries,
    };
    let options = LocalActivityOptions::builder()
        .start_to_close_timeout(Duration::from_secs(15))
        .build();
    match ctx
        .execute_local_activity(Step, input.clone(), options.clone())
        .await
    {
        Ok(()) => Ok(()),
        Err(ActivityExecutionError::Failed(_)) => {
            let mut refused = Vec::new();
            for entry in &mut input.entries {
                if let Entry::Record(record) = entry
                    && record.comment.is_some()
                {
                    record.comment = Some(COMMENT_REFUSED.to_owned());
                    refused.push(record.seq);
                }
            }
            ctx.execute_local_activity(Step, input, options).await?;
            ctx.state_mut(|s| s.host_mut().refused_comments(&refused));
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

impl<P: Process> Host<P> {
    fn refused_comments(&mut self, seqs: &[i32]) {
        for record in self.history.iter_mut().filter(|r| seqs.contains(&r.seq)) {
            record.comment = Some(COMMENT_REFUSED.to_owned());
        }
    }
}

/// A piece of bookkeeping as its own activity: how processes started before [`ONE_STEP`] run.
async fn one_by_one<P: Process>(ctx: &mut WorkflowContext<P>, entry: Entry) -> WorkflowResult<()> {
    match entry {
        Entry::Record(mut record) => {
            match ctx
                .execute_activity(RecordTransition, record.clone(), activity_options())
                .await
            {
                Ok(_) => {}
                Err(ActivityExecutionError::Failed(_)) => {
                    record.comment = Some(COMMENT_REFUSED.to_owned());
                    ctx.execute_activity(RecordTransition, record.clone(), activity_options())
                        .await?;
                    ctx.state_mut(|s| s.host_mut().refused_comments(&[record.seq]));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Entry::Open(opening) => {
            ctx.execute_activity(OpenTask, opening, activity_options())
                .await?;
        }
        Entry::Update(update) => {
            ctx.execute_activity(UpdateTask, update, activity_options())
                .await?;
        }
        Entry::Notify(notice) => {
            ctx.execute_activity(Notify, notice, activity_options())
                .await?;
        }
    }
    Ok(())
}

/// The `apply` update, past its validator: takes the action for the loop at its first poll and
/// answers the view once the loop has carried it out — one update, one answer. Between the
/// validator and this first poll the validator's reservation refuses any other action, so two
/// decisions sent at once can never both be accepted.
pub async fn apply_update<P: Process>(
    ctx: &mut WorkflowContext<P>,
    request: ActionRequest<P::Own>,
) -> ProcessView<P::Detail> {
    let viewer = request.actor.clone();
    let ticket = ctx.state_mut(|s| {
        let host = s.host_mut();
        host.reserved.store(NOT_RESERVED, Ordering::Relaxed);
        host.accept(request)
    });
    settle(ctx, viewer, ticket).await
}

/// The `act` update, past its validator: takes the action for the loop at once and answers its
/// ticket, after which `settled` answered the view. What the API sent before `apply`: kept so that
/// the histories and processes from then replay and an API replica of that release still works.
pub fn act_update<P: Process>(process: &mut P, request: ActionRequest<P::Own>) -> Accepted {
    Accepted {
        ticket: process.host_mut().accept(request),
    }
}

/// The `settled` update: answers the view once the process has started (its first task open)
/// and carried out every action accepted before it — what the API answers a start with.
pub async fn settled<P: Process>(
    ctx: &mut WorkflowContext<P>,
    viewer: Actor,
) -> ProcessView<P::Detail> {
    let ticket = ctx.state(|s| s.host().next_ticket);
    settle(ctx, viewer, ticket).await
}

/// The view once the process has started and carried out the action with `ticket` and every
/// one before it.
async fn settle<P: Process>(
    ctx: &mut WorkflowContext<P>,
    viewer: Actor,
    ticket: u64,
) -> ProcessView<P::Detail> {
    let _ = ctx
        .wait_condition(|s: &P| {
            let host = s.host();
            host.started && host.pending.is_none() && host.applied >= ticket
        })
        .await;
    ctx.state(|s| Host::view(s, &viewer))
}

/// The validator of `apply` and `act`: a refusal leaves nothing in the history; an action `apply`
/// lets through is reserved until its handler takes it (`act`'s handler takes it at once).
pub fn validate<P: Process>(
    process: &P,
    request: &ActionRequest<P::Own>,
    reserve: bool,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Host::check(process, request).map_err(|r| Box::new(r) as Box<_>)?;
    if reserve {
        let decision = matches!(
            request.action,
            Action::Approval(ApprovalAction::Decide { .. })
        );
        process.host().reserved.store(
            if decision {
                RESERVED_DECISION
            } else {
                RESERVED_ACTION
            },
            Ordering::Relaxed,
        );
    }
    Ok(())
}

/// The workflow methods every process has, the same for each: `run`, the query `view`, the
/// update `apply` with its validator, the update `settled` (the answer to a start), the legacy
/// update `act` — and [`HasHost`] over its `host` field.
/// Takes the workflow struct and its own methods (`#[init] new`, signals of its own).
#[macro_export]
macro_rules! process_workflow {
    ($workflow:ident { $($own:tt)* }) => {
        impl $crate::host::HasHost for $workflow {
            type Of = $workflow;
            fn host(&self) -> &$crate::host::Host<$workflow> {
                &self.host
            }
            fn host_mut(&mut self) -> &mut $crate::host::Host<$workflow> {
                &mut self.host
            }
        }

        #[$crate::host::workflow_methods]
        impl $workflow {
            $($own)*

            #[run]
            pub async fn run(
                ctx: &mut temporalio_sdk::WorkflowContext<Self>,
            ) -> temporalio_sdk::WorkflowResult<String> {
                $crate::host::run(ctx).await
            }

            /// `{state, allowed_actions for the asking user, history, pending timers}`.
            #[query]
            pub fn view(
                &self,
                _ctx: &temporalio_sdk::WorkflowContextView,
                viewer: $crate::approval::Actor,
            ) -> $crate::process::ProcessView<<$workflow as $crate::host::Process>::Detail> {
                $crate::host::Host::view(self, &viewer)
            }

            /// Refused — leaving nothing in the history — unless the host and the process allow it.
            #[update_validator(apply)]
            fn validate_apply(
                &self,
                _ctx: &temporalio_sdk::WorkflowContextView,
                request: &$crate::process::ActionRequest<<$workflow as $crate::host::Process>::Own>,
            ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
                $crate::host::validate(self, request, true)
            }

            /// Takes the action and answers the view once it is carried out.
            #[update]
            pub async fn apply(
                ctx: &mut temporalio_sdk::WorkflowContext<Self>,
                request: $crate::process::ActionRequest<<$workflow as $crate::host::Process>::Own>,
            ) -> $crate::process::ProcessView<<$workflow as $crate::host::Process>::Detail> {
                $crate::host::apply_update(ctx, request).await
            }

            /// As `apply`, refused alike, but answers only the ticket (`settled` gave the view):
            /// kept for the histories and API replicas from before `apply`.
            #[update_validator(act)]
            fn validate_act(
                &self,
                _ctx: &temporalio_sdk::WorkflowContextView,
                request: &$crate::process::ActionRequest<<$workflow as $crate::host::Process>::Own>,
            ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
                $crate::host::validate(self, request, false)
            }

            /// Takes the action and answers its ticket.
            #[update]
            pub fn act(
                &mut self,
                _ctx: &mut temporalio_sdk::SyncWorkflowContext<Self>,
                request: $crate::process::ActionRequest<<$workflow as $crate::host::Process>::Own>,
            ) -> $crate::process::Accepted {
                $crate::host::act_update(self, request)
            }

            /// Answers once the process has started and carried out every accepted action.
            #[update]
            pub async fn settled(
                ctx: &mut temporalio_sdk::WorkflowContext<Self>,
                viewer: $crate::approval::Actor,
            ) -> $crate::process::ProcessView<<$workflow as $crate::host::Process>::Detail> {
                $crate::host::settled(ctx, viewer).await
            }
        }
    };
}

#[doc(hidden)]
pub use temporalio_macros::workflow_methods;
