//! The settlement-account-change workflow: the approval host with its machine, no actions of its
//! own; the check with the core run after the decision that started it was answered (its outcome
//! fed back as the next event), and the closing of a request that ends without its account.

use super::contract::{
    AccountChangeInput, ChangeClosed, CheckAccount, CheckRequest, Checked, CloseChange, Review,
};
use super::machine::{AccountChange, Command, Event, State};
use crate::approval::{Actor, Outcome, Refusal};
use crate::host::{self, Commanded, Effect, Host, Identity, Process};
use crate::kind::ProcessKind;
use crate::process::{NoOwn, activity_options as options};
use temporalio_macros::workflow;
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

type Ctx = WorkflowContext<AccountChangeWorkflow>;

#[workflow]
pub struct AccountChangeWorkflow {
    host: Host<AccountChangeWorkflow>,
    input: AccountChangeInput,
    /// The check rounds started (a handled exception starts another).
    rounds: i32,
    /// The check to run once the decision that started it is answered.
    check: Option<CheckRequest>,
}

impl Process for AccountChangeWorkflow {
    type Machine = AccountChange;
    type Own = NoOwn;
    type Step = Review;
    type Effect = ChangeClosed;
    type Detail = ();

    const KIND: ProcessKind = ProcessKind::SettlementAccountChange;

    fn command(&mut self, c: Commanded<'_, Event, Command>) -> Vec<Effect<ChangeClosed>> {
        match c.command {
            Command::OpenReview => {
                let policy = self.input.policy.clone();
                vec![self.host.open_approval(Review::Review, policy, c.at)]
            }
            Command::OpenException => {
                let policy = self.input.exception_policy.clone();
                vec![self.host.open_approval(Review::Exception, policy, c.at)]
            }
            Command::EndReview => {
                self.host.end_approval();
                Vec::new()
            }
            Command::CancelReview => self
                .host
                .cancel_approval("withdrawn", c.at)
                .into_iter()
                .collect(),
            Command::Check => {
                self.rounds += 1;
                self.check = Some(CheckRequest {
                    change_id: self.input.change_id.clone(),
                    round: self.rounds,
                    approved_by: self.host.last_actor(),
                    at: c.at,
                });
                Vec::new()
            }
            Command::Close => {
                let status = match self.host.state() {
                    State::Withdrawn {} => "withdrawn",
                    _ => "rejected",
                };
                vec![Effect::Domain(ChangeClosed {
                    change_id: self.input.change_id.clone(),
                    status: status.into(),
                    decided_by: self.host.last_actor(),
                    at: c.at,
                })]
            }
            Command::NotifySubmitter => {
                let state = self.host.state();
                let notice = self
                    .host
                    .notify_submitter(c.event, state, c.comment, None, c.at);
                vec![notice]
            }
        }
    }

    async fn effect(ctx: &mut Ctx, closed: ChangeClosed) -> WorkflowResult<()> {
        ctx.execute_activity(CloseChange, closed, options()).await?;
        Ok(())
    }

    fn decided(&self, step: Review, outcome: Outcome) -> Option<Event> {
        match (step, outcome) {
            (_, Outcome::NextLevel) => None,
            (Review::Review, Outcome::Approved) => Some(Event::ApproveFinal),
            (Review::Exception, Outcome::Approved) => Some(Event::Retry),
            (_, Outcome::Rejected | Outcome::Returned) => Some(Event::Reject),
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

    fn has_news(&self) -> bool {
        self.check.is_some()
    }

    /// Checks the account (once a round, retried until the core answers), then feeds the outcome
    /// to the machine: 已变更, or 核验异常 with the reason.
    async fn on_news(ctx: &mut Ctx) -> WorkflowResult<()> {
        let request = ctx
            .state_mut(|s| s.check.take())
            .expect("woken for a check");
        let outcome = ctx
            .execute_activity(CheckAccount, request, options())
            .await?;
        let (event, comment) = match outcome {
            Checked::Applied => (Event::Matched, None),
            Checked::Mismatch { reason } => (Event::Mismatch, Some(reason)),
        };
        host::apply(ctx, event, None, comment).await
    }
}

crate::process_workflow!(AccountChangeWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: AccountChangeInput) -> Self {
        let identity = Identity {
            key: input.change_id.clone(),
            business_key: input.merchant_code.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.submitted_by.clone(),
        };
        let title = format!(
            "{}（{}）结算账户变更为 {}",
            input.merchant_name, input.merchant_code, input.account_masked
        );
        Self {
            host: Host::new(identity, title, input.reason.clone()),
            input,
            rounds: 0,
            check: None,
        }
    }
});
