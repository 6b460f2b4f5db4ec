//! The campaign workflow: the approval host (`crate::host`) with the campaign's machine, its own
//! actions (submit again, pause, resume, cancel, terminate, modify), its start and end timers, the
//! change it writes once approved, the evaluation at the end and the results other systems deliver.

use super::contract::{
    ApplyChange, Approval, CampaignAction, CampaignChange, CampaignInput, ChangeRequest,
    EXTERNAL_RESULT_EVENT, Evaluate, EvaluationRequest, ExternalResult, Facts,
};
use super::machine::{Campaign, Command, Event, State, transition};
use crate::approval::{Actor, Outcome, Refusal};
use crate::host::{self, Commanded, Effect, Host, Identity, OwnTimer, Process};
use crate::kind::ProcessKind;
use crate::process::{Callback, activity_options as options, workflow_now as now};

use std::collections::VecDeque;
use temporalio_macros::workflow;
use temporalio_sdk::{SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult};

type Ctx = WorkflowContext<CampaignWorkflow>;

#[workflow]
pub struct CampaignWorkflow {
    host: Host<CampaignWorkflow>,
    input: CampaignInput,
    facts: Facts,
    change: Option<ChangeRequest>,
    /// Results delivered by other systems, waiting for the loop to record them.
    results: VecDeque<ExternalResult>,
}

/// The campaign's own effects, run in their place among the bookkeeping.
#[derive(Debug)]
pub enum CampaignEffect {
    Apply(CampaignChange),
    Evaluate(EvaluationRequest),
}

impl CampaignWorkflow {
    /// Whether the machine takes `event` now.
    fn takes(&self, event: Event) -> Result<(), Refusal> {
        transition(self.host.state(), event)
            .map(|_| ())
            .ok_or(Refusal::WrongState)
    }

    fn no_approval_open(&self) -> Result<(), Refusal> {
        match self.host.approval {
            Some(_) => Err(Refusal::WrongState),
            None => Ok(()),
        }
    }
}

impl Process for CampaignWorkflow {
    type Machine = Campaign;
    type Own = CampaignAction;
    type Step = Approval;
    type Effect = CampaignEffect;
    type Detail = Option<ChangeRequest>;

    const KIND: ProcessKind = ProcessKind::Campaign;

    fn command(&mut self, c: Commanded<'_, Event, Command>) -> Vec<Effect<CampaignEffect>> {
        let (event, at) = (c.event, c.at);
        match c.command {
            Command::OpenReview => {
                let policy = self.input.review_policy.clone();
                vec![self.host.open_approval(Approval::Review, policy, at)]
            }
            Command::OpenNextLevel => self.host.open_level(at).into_iter().collect(),
            Command::OpenChange => {
                let policy = self.input.change_policy.clone();
                vec![self.host.open_approval(Approval::Change, policy, at)]
            }
            Command::ApplyChange => match &self.change {
                Some(ChangeRequest::Modify {
                    end_at, budget_fen, ..
                }) => vec![Effect::Domain(CampaignEffect::Apply(CampaignChange {
                    campaign_id: self.input.campaign_id.clone(),
                    end_at: *end_at,
                    budget_fen: *budget_fen,
                    by: self.host.submitter.username.clone(),
                    at,
                }))],
                _ => Vec::new(),
            },
            Command::EndApproval => {
                self.host.end_approval();
                // an approved change stays for ApplyChange, which comes next
                if event != Event::ChangeApproved {
                    self.change = None;
                }
                Vec::new()
            }
            Command::CancelApproval => {
                self.change = None;
                let reason = match event {
                    Event::Withdraw => "withdrawn",
                    Event::EndTime => "ended",
                    _ => "cancelled",
                };
                self.host.cancel_approval(reason, at).into_iter().collect()
            }
            Command::NotifySubmitter => {
                let callback = Callback::CampaignPlanResult {
                    campaign_id: self.input.campaign_id.clone(),
                };
                let state = self.host.state();
                vec![
                    self.host
                        .notify_submitter(event, state, c.comment, Some(callback), at),
                ]
            }
            Command::Evaluate => vec![Effect::Domain(CampaignEffect::Evaluate(
                EvaluationRequest {
                    campaign_id: self.input.campaign_id.clone(),
                    at,
                },
            ))],
        }
    }

    async fn effect(ctx: &mut Ctx, effect: CampaignEffect) -> WorkflowResult<()> {
        match effect {
            CampaignEffect::Apply(change) => {
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
                Ok(())
            }
            CampaignEffect::Evaluate(request) => {
                ctx.execute_activity(Evaluate, request, options()).await?;
                host::apply(ctx, Event::Evaluated, None, None).await
            }
        }
    }

    fn decided(&self, step: Approval, outcome: Outcome) -> Option<Event> {
        let terminate = matches!(self.change, Some(ChangeRequest::Terminate { .. }));
        Some(match (step, outcome) {
            (Approval::Review, Outcome::NextLevel) => Event::ApproveLevel,
            (Approval::Review, Outcome::Approved) => Event::ApproveFinal,
            (Approval::Review, Outcome::Rejected) => Event::Reject,
            (Approval::Review, Outcome::Returned) => Event::Return,
            (Approval::Change, Outcome::NextLevel) => return None,
            (Approval::Change, Outcome::Approved) if terminate => Event::TerminateApproved,
            (Approval::Change, Outcome::Approved) => Event::ChangeApproved,
            (Approval::Change, Outcome::Rejected | Outcome::Returned) => Event::ChangeRejected,
        })
    }

    fn check_own(&self, _who: &Actor, action: &CampaignAction) -> Result<(), Refusal> {
        match action {
            CampaignAction::Submit { .. } => self.takes(Event::Submit),
            CampaignAction::Pause => self.takes(Event::Pause),
            CampaignAction::Resume => self.takes(Event::Resume),
            CampaignAction::Cancel => self.takes(Event::Cancel),
            CampaignAction::Terminate => {
                self.takes(Event::RequestTerminate)?;
                self.no_approval_open()
            }
            CampaignAction::Modify { end_at, budget_fen } => {
                self.takes(Event::RequestChange)?;
                self.no_approval_open()?;
                if end_at.is_none() && budget_fen.is_none() {
                    return Err(Refusal::field("end_at", "QY-CAMP-0006"));
                }
                if end_at.is_some_and(|end| end <= self.facts.start_at) {
                    return Err(Refusal::field("end_at", "QY-CAMP-0008"));
                }
                if budget_fen.is_some_and(|b| b <= 0) {
                    return Err(Refusal::field("budget_fen", "QY-CAMP-0006"));
                }
                Ok(())
            }
        }
    }

    fn own_allowed(&self, viewer: &Actor) -> Vec<&'static str> {
        let mut allowed: Vec<&'static str> = [
            CampaignAction::Submit {
                facts: self.facts.clone(),
            },
            CampaignAction::Pause,
            CampaignAction::Resume,
            CampaignAction::Cancel,
            CampaignAction::Terminate,
        ]
        .iter()
        .filter(|a| self.check_own(viewer, a).is_ok())
        .map(|a| crate::process::OwnAction::name(a))
        .collect();
        if self.takes(Event::RequestChange).is_ok() && self.no_approval_open().is_ok() {
            allowed.push("modify");
        }
        allowed
    }

    fn take_own(&mut self, who: &Actor, action: CampaignAction, comment: Option<&str>) -> Event {
        let comment = comment.map(str::to_owned);
        match action {
            CampaignAction::Submit { facts } => {
                self.host.title = facts.title.clone();
                self.facts = facts;
                self.host.submitter = who.clone();
                Event::Submit
            }
            CampaignAction::Pause => Event::Pause,
            CampaignAction::Resume => Event::Resume,
            CampaignAction::Cancel => Event::Cancel,
            CampaignAction::Terminate => {
                self.change = Some(ChangeRequest::Terminate { comment });
                self.host.submitter = who.clone();
                Event::RequestTerminate
            }
            CampaignAction::Modify { end_at, budget_fen } => {
                self.change = Some(ChangeRequest::Modify {
                    end_at,
                    budget_fen,
                    comment,
                });
                self.host.submitter = who.clone();
                Event::RequestChange
            }
        }
    }

    fn detail(&self) -> Option<ChangeRequest> {
        self.change.clone()
    }

    fn timer(&self) -> Option<OwnTimer<Event>> {
        let (name, event, at) = match self.host.state() {
            State::Scheduled {} => ("start", Event::StartTime, self.facts.start_at),
            State::Running {} | State::Paused {} => ("end", Event::EndTime, self.facts.end_at),
            _ => return None,
        };
        Some(OwnTimer { name, event, at })
    }

    fn has_news(&self) -> bool {
        !self.results.is_empty()
    }

    /// Records a delivered result in the history; the state stays as it is.
    async fn on_news(ctx: &mut Ctx) -> WorkflowResult<()> {
        let at = now(ctx);
        let effects = ctx.state_mut(|s| {
            let result = s.results.pop_front().expect("woken for a result");
            let state = s.host.state();
            let comment = format!(
                "{}（{}）：{}",
                result.kind, result.reference, result.summary
            );
            vec![
                s.host
                    .note(state, EXTERNAL_RESULT_EVENT, at, result.source, comment),
            ]
        });
        host::run_effects(ctx, effects).await
    }
}

crate::process_workflow!(CampaignWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: CampaignInput) -> Self {
        let identity = Identity {
            key: input.campaign_id.clone(),
            business_key: input.campaign_id.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.submitted_by.clone(),
        };
        Self {
            host: Host::new(identity, input.facts.title.clone(), input.comment.clone()),
            facts: input.facts.clone(),
            input,
            change: None,
            results: VecDeque::new(),
        }
    }

    /// A result from another system, recorded in the history by the loop (in the order received).
    #[signal]
    pub fn deliver_result(&mut self, _ctx: &mut SyncWorkflowContext<Self>, result: ExternalResult) {
        self.results.push_back(result);
    }
});
