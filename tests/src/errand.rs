//! The errand: a process kind defined only in the tests — three states, one approval level — run
//! on the shipped approval host, registered with `ProcessKind::register`, so the host, the inbox,
//! the monitor and the diagram endpoint are proven to take a new kind without touching them. It
//! is also the smallest process to copy (see `docs/processes/README.md`).

use quanyi_workflows::approval::{Actor, OrgChain, Outcome as Decided, Policy, Refusal};
use quanyi_workflows::host::{Commanded, Effect, Host, Identity, Process, StepKind};
use quanyi_workflows::kind::{KindSpec, ProcessKind};
use quanyi_workflows::process::NoOwn;
use quanyi_workflows::table::{Labels, Row, Table, row};
use serde::{Deserialize, Serialize};
use statig::prelude::*;
use temporalio_macros::workflow;
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

// ---- the machine ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Event {
    Submit,
    ApproveFinal,
    Reject,
    Withdraw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Command {
    OpenReview,
    EndApproval,
    CancelApproval,
    NotifySubmitter,
}

#[derive(Default)]
pub struct Errand;

#[state_machine(
    initial = "State::requested()",
    state(derive(Debug, Clone, Copy, PartialEq, Eq, Serialize))
)]
impl Errand {
    #[state]
    fn requested(context: &mut Vec<Command>, event: &Event) -> Outcome<State> {
        match event {
            Event::Submit => {
                context.push(Command::OpenReview);
                Transition(State::in_review())
            }
            _ => Handled,
        }
    }

    #[state]
    fn in_review(context: &mut Vec<Command>, event: &Event) -> Outcome<State> {
        match event {
            Event::ApproveFinal | Event::Reject => {
                context.extend([Command::EndApproval, Command::NotifySubmitter]);
                Transition(State::done())
            }
            Event::Withdraw => {
                context.push(Command::CancelApproval);
                Transition(State::done())
            }
            Event::Submit => Handled,
        }
    }

    #[state]
    fn done(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }
}

impl Labels for State {
    fn name(self) -> &'static str {
        match self {
            State::Requested {} => "Requested",
            State::InReview {} => "InReview",
            State::Done {} => "Done",
        }
    }
    fn label_zh(self) -> &'static str {
        match self {
            State::Requested {} => "已申请",
            State::InReview {} => "审批中",
            State::Done {} => "已办结",
        }
    }
    fn label_en(self) -> &'static str {
        match self {
            State::Requested {} => "Requested",
            State::InReview {} => "In review",
            State::Done {} => "Done",
        }
    }
}

impl Labels for Event {
    fn name(self) -> &'static str {
        match self {
            Event::Submit => "Submit",
            Event::ApproveFinal => "ApproveFinal",
            Event::Reject => "Reject",
            Event::Withdraw => "Withdraw",
        }
    }
    fn label_zh(self) -> &'static str {
        match self {
            Event::Submit => "提交审批",
            Event::ApproveFinal => "审批通过",
            Event::Reject => "驳回",
            Event::Withdraw => "撤回",
        }
    }
    fn label_en(self) -> &'static str {
        match self {
            Event::Submit => "Submit",
            Event::ApproveFinal => "Approve",
            Event::Reject => "Reject",
            Event::Withdraw => "Withdraw",
        }
    }
}

const REQUESTED: State = State::Requested {};
const IN_REVIEW: State = State::InReview {};
const DONE: State = State::Done {};
const DECIDED: &[Command] = &[Command::EndApproval, Command::NotifySubmitter];

impl Table for Errand {
    type State = State;
    type Event = Event;
    type Command = Command;
    const STATES: &'static [State] = &[REQUESTED, IN_REVIEW, DONE];
    const ROWS: &'static [Row<State, Event, Command>] = &[
        row(REQUESTED, Event::Submit, IN_REVIEW, &[Command::OpenReview]),
        row(IN_REVIEW, Event::ApproveFinal, DONE, DECIDED),
        row(IN_REVIEW, Event::Reject, DONE, DECIDED),
        row(IN_REVIEW, Event::Withdraw, DONE, &[Command::CancelApproval]),
    ];
    const SUBMIT: Event = Event::Submit;
    const WITHDRAW: Event = Event::Withdraw;

    fn is_terminal(state: State) -> bool {
        state == DONE
    }
}

// ---- the kind and the contract ---------------------------------------------------------------

pub static SPEC: KindSpec = KindSpec {
    code: "errand",
    label_zh: "测试事项",
    label_en: "Errand",
    policy_key: "errand",
    diagram: Errand::diagram,
};

/// Registers the errand's kind (harmless when it is already).
pub fn kind() -> ProcessKind {
    ProcessKind::register(&SPEC)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrandInput {
    pub key: String,
    pub title: String,
    pub org_id: String,
    pub chain: OrgChain,
    pub submitted_by: Actor,
    pub policy: Policy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review;

impl StepKind for Review {
    fn code(self) -> &'static str {
        "review"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Never {}

// ---- the workflow ----------------------------------------------------------------------------

#[workflow]
pub struct ErrandWorkflow {
    host: Host<ErrandWorkflow>,
    input: ErrandInput,
}

impl Process for ErrandWorkflow {
    type Machine = Errand;
    type Own = NoOwn;
    type Step = Review;
    type Effect = Never;
    type Detail = ();

    const KIND: ProcessKind = ProcessKind::Registered(&SPEC);

    fn command(&mut self, c: Commanded<'_, Event, Command>) -> Vec<Effect<Never>> {
        match c.command {
            Command::OpenReview => {
                let policy = self.input.policy.clone();
                vec![self.host.open_approval(Review, policy, c.at)]
            }
            Command::EndApproval => {
                self.host.end_approval();
                Vec::new()
            }
            Command::CancelApproval => self
                .host
                .cancel_approval("withdrawn", c.at)
                .into_iter()
                .collect(),
            Command::NotifySubmitter => {
                let state = self.host.state();
                let notice = self
                    .host
                    .notify_submitter(c.event, state, c.comment, None, c.at);
                vec![notice]
            }
        }
    }

    async fn effect(_ctx: &mut WorkflowContext<Self>, effect: Never) -> WorkflowResult<()> {
        match effect {}
    }

    fn decided(&self, _step: Review, outcome: Decided) -> Option<Event> {
        match outcome {
            Decided::NextLevel => None,
            Decided::Approved => Some(Event::ApproveFinal),
            Decided::Rejected | Decided::Returned => Some(Event::Reject),
        }
    }

    fn check_own(&self, _who: &Actor, action: &NoOwn) -> Result<(), Refusal> {
        match *action {}
    }

    fn own_allowed(&self, _viewer: &Actor) -> Vec<&'static str> {
        Vec::new()
    }

    fn take_own(&mut self, _who: &Actor, action: NoOwn, _comment: Option<&str>) -> Event {
        match action {}
    }

    fn detail(&self) {}
}

quanyi_workflows::process_workflow!(ErrandWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ErrandInput) -> Self {
        let identity = Identity {
            key: input.key.clone(),
            business_key: input.key.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.submitted_by.clone(),
        };
        Self {
            host: Host::new(identity, input.title.clone(), None),
            input,
        }
    }
});
