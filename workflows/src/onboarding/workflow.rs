//! The merchant-onboarding workflow: the approval host with the onboarding machine, the applicant's
//! own actions, the deadline for more material, provisioning (run after the decision that starts
//! it has been answered, its outcome fed back as the next event) and the applicant's SMS.

use super::contract::{
    ApplicantAction, ApplicantNotice, NotifyApplicant, OnboardingDetail, OnboardingInput,
    ProvisionMerchant, ProvisionRequest, Provisioned, Review,
};
use super::machine::{Command, Event, Onboarding, State};
use crate::approval::{Actor, Outcome, Refusal};
use crate::host::{self, Commanded, Effect, Host, Identity, OwnTimer, Process};
use crate::kind::ProcessKind;
use crate::process::{OwnAction, activity_options as options};
use crate::table::Labels;
use chrono::{DateTime, Duration, Utc};
use temporalio_macros::workflow;
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

type Ctx = WorkflowContext<OnboardingWorkflow>;

#[workflow]
pub struct OnboardingWorkflow {
    host: Host<OnboardingWorkflow>,
    input: OnboardingInput,
    /// When the requested material is due (while 待补件).
    deadline: Option<DateTime<Utc>>,
    /// The provisioning rounds started (a handled 开户异常 starts another).
    rounds: i32,
    /// Provisioning to run once the decision that started it is answered.
    provision: Option<ProvisionRequest>,
    merchant_code: Option<String>,
}

impl OnboardingWorkflow {
    fn is_applicant(&self, who: &Actor) -> bool {
        who.user_id == self.input.applicant.user_id
    }

    /// The SMS that tells the applicant where the application now stands.
    fn notice(&self, state: State, comment: Option<&str>, at: DateTime<Utc>) -> ApplicantNotice {
        let no = &self.input.application_no;
        let reason = comment.map(|c| format!("意见：{c}")).unwrap_or_default();
        let text = match state {
            State::Supplement {} => {
                let due = self
                    .deadline
                    .map(|d| {
                        (d + Duration::hours(8))
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default();
                format!("需补充材料，请于{due}前提交。{reason}")
            }
            State::Rejected {} => format!("未通过审核。{reason}"),
            State::Provisioning {} => "已审核通过，正在开户。".to_owned(),
            State::Opened {} => format!(
                "已开通，商户编号{}。",
                self.merchant_code.as_deref().unwrap_or_default()
            ),
            State::Expired {} => "因未在期限内补充材料已失效。".to_owned(),
            other => format!("当前状态：{}。", other.label_zh()),
        };
        ApplicantNotice {
            application_id: self.input.application_id.clone(),
            key: format!("{}/{}/applicant", self.host.workflow_id, self.host.seq()),
            state: state.name().to_owned(),
            text: format!("您的商户入驻申请{no}{text}"),
            at,
        }
    }
}

impl Process for OnboardingWorkflow {
    type Machine = Onboarding;
    type Own = ApplicantAction;
    type Step = Review;
    type Effect = ApplicantNotice;
    type Detail = OnboardingDetail;

    const KIND: ProcessKind = ProcessKind::MerchantOnboarding;

    fn command(&mut self, c: Commanded<'_, Event, Command>) -> Vec<Effect<ApplicantNotice>> {
        match c.command {
            Command::OpenFirstReview => {
                let policy = self.input.first_policy.clone();
                vec![self.host.open_approval(Review::First, policy, c.at)]
            }
            Command::OpenSecondReview => {
                let policy = self.input.second_policy.clone();
                vec![self.host.open_approval(Review::Second, policy, c.at)]
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
            Command::StartDeadline => {
                self.deadline = Some(c.at + Duration::seconds(self.input.supplement_seconds));
                Vec::new()
            }
            Command::Provision => {
                self.rounds += 1;
                self.provision = Some(ProvisionRequest {
                    application_id: self.input.application_id.clone(),
                    round: self.rounds,
                    at: c.at,
                });
                Vec::new()
            }
            Command::NotifyApplicant => {
                let state = self.host.state();
                vec![Effect::Domain(self.notice(state, c.comment, c.at))]
            }
        }
    }

    async fn effect(ctx: &mut Ctx, notice: ApplicantNotice) -> WorkflowResult<()> {
        ctx.execute_activity(NotifyApplicant, notice, options())
            .await?;
        Ok(())
    }

    fn decided(&self, step: Review, outcome: Outcome) -> Option<Event> {
        match (step, outcome) {
            (_, Outcome::NextLevel) => None,
            (Review::First, Outcome::Approved) => Some(Event::PassFirst),
            (Review::Second, Outcome::Approved) => Some(Event::PassSecond),
            (Review::Exception, Outcome::Approved) => Some(Event::Retry),
            (Review::First | Review::Second, Outcome::Returned) => Some(Event::Return),
            (_, Outcome::Rejected | Outcome::Returned) => Some(Event::Reject),
        }
    }

    fn check_own(&self, who: &Actor, action: &ApplicantAction) -> Result<(), Refusal> {
        if !self.is_applicant(who) {
            return Err(Refusal::NotEligible);
        }
        let allowed = match action {
            ApplicantAction::Resubmit => self.host.state() == State::Supplement {},
            ApplicantAction::WithdrawApplication => matches!(
                self.host.state(),
                State::FirstReview {} | State::SecondReview {} | State::Supplement {}
            ),
        };
        if allowed {
            Ok(())
        } else {
            Err(Refusal::WrongState)
        }
    }

    fn own_allowed(&self, viewer: &Actor) -> Vec<&'static str> {
        [
            ApplicantAction::Resubmit,
            ApplicantAction::WithdrawApplication,
        ]
        .into_iter()
        .filter(|a| self.check_own(viewer, a).is_ok())
        .map(|a| a.name())
        .collect()
    }

    fn take_own(&mut self, _who: &Actor, action: ApplicantAction, _comment: Option<&str>) -> Event {
        self.deadline = None;
        match action {
            ApplicantAction::Resubmit => Event::Resubmit,
            ApplicantAction::WithdrawApplication => Event::Withdraw,
        }
    }

    fn detail(&self) -> OnboardingDetail {
        OnboardingDetail {
            supplement_due_at: self.deadline,
            merchant_code: self.merchant_code.clone(),
        }
    }

    fn timer(&self) -> Option<OwnTimer<Event>> {
        let at = self.deadline?;
        (self.host.state() == State::Supplement {}).then_some(OwnTimer {
            name: "supplement",
            event: Event::Expire,
            at,
        })
    }

    fn has_news(&self) -> bool {
        self.provision.is_some()
    }

    /// Provisions (every step once, retried until the core banking system answers), then feeds
    /// the outcome to the machine: 已开通, or 开户异常 with the reason.
    async fn on_news(ctx: &mut Ctx) -> WorkflowResult<()> {
        let request = ctx
            .state_mut(|s| s.provision.take())
            .expect("woken for provisioning");
        let outcome = ctx
            .execute_activity(ProvisionMerchant, request, options())
            .await?;
        let (event, comment) = match outcome {
            Provisioned::Opened { merchant_code } => {
                ctx.state_mut(|s| s.merchant_code = Some(merchant_code.clone()));
                (Event::Opened, Some(format!("商户编号 {merchant_code}")))
            }
            Provisioned::AccountMismatch { reason } => (Event::AccountMismatch, Some(reason)),
        };
        host::apply(ctx, event, None, comment).await
    }
}

crate::process_workflow!(OnboardingWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: OnboardingInput) -> Self {
        let identity = Identity {
            key: input.application_id.clone(),
            business_key: input.application_id.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.applicant.clone(),
        };
        Self {
            host: Host::new(identity, input.legal_name.clone(), None),
            input,
            deadline: None,
            rounds: 0,
            provision: None,
            merchant_code: None,
        }
    }
});
