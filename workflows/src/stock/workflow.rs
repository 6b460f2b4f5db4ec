//! The stock-change workflow: the approval host with the stock change's machine, no actions of its
//! own, and one effect — settling the request in the store.

use super::contract::{
    Acted, ActionRequest, Review, SettleStockRequest, StockChangeInput, StockRequestOutcome,
};
use super::machine::{Command, Event, State, StockChange};
use crate::approval::{Actor, Outcome, Refusal};
use crate::host::{self, Effect, Host, Identity, Process};
use crate::kind::ProcessKind;
use crate::process::{NoOwn, ProcessView, activity_options as options};
use chrono::{DateTime, Utc};
use statig::prelude::*;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

type Ctx = WorkflowContext<StockChangeWorkflow>;

#[workflow]
pub struct StockChangeWorkflow {
    host: Host<StockChangeWorkflow>,
    input: StockChangeInput,
    machine: StateMachine<StockChange>,
}

/// No timers of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoTimer {}

impl Process for StockChangeWorkflow {
    type Machine = StockChange;
    type Own = NoOwn;
    type Step = Review;
    type Effect = StockRequestOutcome;
    type Timer = NoTimer;
    type Detail = ();

    const KIND: ProcessKind = ProcessKind::StockChange;
    const SUBMIT: Event = Event::Submit;
    const WITHDRAW: Event = Event::Withdraw;

    fn host(&self) -> &Host<Self> {
        &self.host
    }

    fn host_mut(&mut self) -> &mut Host<Self> {
        &mut self.host
    }

    fn state(&self) -> State {
        *self.machine.state()
    }

    fn handle(&mut self, event: Event) -> Vec<Command> {
        let mut commands = Vec::new();
        self.machine.handle_with_context(&event, &mut commands);
        commands
    }

    fn commands(
        &mut self,
        event: Event,
        commands: Vec<Command>,
        comment: Option<&str>,
        at: DateTime<Utc>,
    ) -> Vec<Effect<StockRequestOutcome>> {
        let mut effects = Vec::new();
        for command in commands {
            match command {
                Command::OpenReview => {
                    let policy = self.input.policy.clone();
                    effects.push(self.host.open_approval(Review, policy, at));
                }
                Command::Apply | Command::Close => {
                    self.host.end_approval();
                    let status = match self.state() {
                        State::Applied {} => "applied",
                        State::Withdrawn {} => "withdrawn",
                        _ => "rejected",
                    };
                    effects.push(Effect::Domain(StockRequestOutcome {
                        request_id: self.input.request_id.clone(),
                        status: status.into(),
                        // who took the step that ends the request
                        decided_by: self.host.last_actor(),
                        at,
                    }));
                }
                Command::CancelApproval => {
                    effects.extend(self.host.cancel_approval("withdrawn", at));
                }
                Command::NotifySubmitter => {
                    let state = self.state();
                    effects.push(self.host.notify_submitter(event, state, comment, None, at));
                }
            }
        }
        effects
    }

    async fn effect(ctx: &mut Ctx, outcome: StockRequestOutcome) -> WorkflowResult<()> {
        ctx.execute_activity(SettleStockRequest, outcome, options())
            .await?;
        Ok(())
    }

    fn decided(&self, _step: Review, outcome: Outcome) -> Option<Event> {
        match outcome {
            Outcome::NextLevel => None,
            Outcome::Approved => Some(Event::ApproveFinal),
            Outcome::Rejected | Outcome::Returned => Some(Event::Reject),
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

    fn timer_name(timer: NoTimer) -> &'static str {
        match timer {}
    }

    fn on_timer(timer: NoTimer) -> Event {
        match timer {}
    }
}

#[workflow_methods]
impl StockChangeWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: StockChangeInput) -> Self {
        let mut machine = StockChange.state_machine();
        let initial = *machine.state();
        let mut first_commands = Vec::new();
        machine.handle_with_context(&Event::Submit, &mut first_commands);
        let identity = Identity {
            key: input.request_id.clone(),
            business_key: input.template_code.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.submitted_by.clone(),
        };
        let title = format!("{} 增加库存 {}", input.template_name, input.quantity);
        Self {
            host: Host::new(
                identity,
                title,
                initial,
                first_commands,
                input.reason.clone(),
            ),
            input,
            machine,
        }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        host::run(ctx).await
    }

    #[query]
    pub fn view(&self, _ctx: &WorkflowContextView, viewer: Actor) -> ProcessView<()> {
        Host::view(self, &viewer)
    }

    #[update_validator(act)]
    fn validate_act(
        &self,
        _ctx: &WorkflowContextView,
        request: &ActionRequest,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        host::validate(self, request)
    }

    #[update]
    pub async fn act(ctx: &mut WorkflowContext<Self>, request: ActionRequest) -> Acted {
        host::act(ctx, request).await
    }

    #[update]
    pub async fn settled(ctx: &mut WorkflowContext<Self>, viewer: Actor) -> ProcessView<()> {
        host::settled(ctx, viewer).await
    }
}
