//! The listing workflow: the approval host with its machine, no actions of its own, and one
//! effect — settling the request in the store (carried out on the product when approved).

use super::contract::{ListingInput, ListingOutcome, Review, SettleListingRequest};
use super::machine::{Command, Event, Listing, State};
use crate::approval::{Actor, Outcome, Refusal};
use crate::host::{Commanded, Effect, Host, Identity, Process};
use crate::kind::ProcessKind;
use crate::process::{NoOwn, activity_options as options};

use temporalio_macros::workflow;
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

type Ctx = WorkflowContext<ListingWorkflow>;

#[workflow]
pub struct ListingWorkflow {
    host: Host<ListingWorkflow>,
    input: ListingInput,
}

impl Process for ListingWorkflow {
    type Machine = Listing;
    type Own = NoOwn;
    type Step = Review;
    type Effect = ListingOutcome;
    type Detail = ();

    const KIND: ProcessKind = ProcessKind::Listing;

    fn command(&mut self, c: Commanded<'_, Event, Command>) -> Vec<Effect<ListingOutcome>> {
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
                vec![Effect::Domain(ListingOutcome {
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

    async fn effect(ctx: &mut Ctx, outcome: ListingOutcome) -> WorkflowResult<()> {
        ctx.execute_activity(SettleListingRequest, outcome, options())
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

crate::process_workflow!(ListingWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ListingInput) -> Self {
        let identity = Identity {
            key: input.request_id.clone(),
            business_key: input.product_code.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.submitted_by.clone(),
        };
        let title = format!(
            "{}商品 {}（{}）",
            input.kind.label_zh(),
            input.product_name,
            input.product_code
        );
        Self {
            host: Host::new(identity, title, input.reason.clone()),
            input,
        }
    }
});
