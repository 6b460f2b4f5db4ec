//! The merchant-status workflow: the approval host with its machine, no actions of its own, and
//! one effect — settling the request in the store (the merchant's status changed when approved).

use super::contract::{MerchantStatusInput, Review, SettleStatusRequest, StatusRequestOutcome};
use super::machine::{Command, Event, MerchantStatus, State};
use crate::approval::{Actor, Outcome, Refusal};
use crate::host::{Commanded, Effect, Host, Identity, Process};
use crate::kind::ProcessKind;
use crate::process::{NoOwn, activity_options as options};

use temporalio_macros::workflow;
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

type Ctx = WorkflowContext<MerchantStatusWorkflow>;

#[workflow]
pub struct MerchantStatusWorkflow {
    host: Host<MerchantStatusWorkflow>,
    input: MerchantStatusInput,
}

impl Process for MerchantStatusWorkflow {
    type Machine = MerchantStatus;
    type Own = NoOwn;
    type Step = Review;
    type Effect = StatusRequestOutcome;
    type Detail = ();

    const KIND: ProcessKind = ProcessKind::MerchantStatus;

    fn command(&mut self, c: Commanded<'_, Event, Command>) -> Vec<Effect<StatusRequestOutcome>> {
        match c.command {
            Command::OpenReview => {
                let policy = self.input.policy.clone();
                vec![self.host.open_approval(Review, policy, c.at)]
            }
            Command::Apply | Command::Close => {
                self.host.end_approval();
                let status = match self.host.state() {
                    State::Applied {} => "applied",
                    State::Withdrawn {} => "withdrawn",
                    _ => "rejected",
                };
                vec![Effect::Domain(StatusRequestOutcome {
                    request_id: self.input.request_id.clone(),
                    status: status.into(),
                    // who took the step that ends the request
                    decided_by: self.host.last_actor(),
                    at: c.at,
                })]
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

    async fn effect(ctx: &mut Ctx, outcome: StatusRequestOutcome) -> WorkflowResult<()> {
        ctx.execute_activity(SettleStatusRequest, outcome, options())
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
}

crate::process_workflow!(MerchantStatusWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: MerchantStatusInput) -> Self {
        let identity = Identity {
            key: input.request_id.clone(),
            business_key: input.merchant_code.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.submitted_by.clone(),
        };
        let title = format!(
            "{}商户 {}（{}）",
            input.action.label_zh(),
            input.merchant_name,
            input.merchant_code
        );
        Self {
            host: Host::new(identity, title, input.reason.clone()),
            input,
        }
    }
});
