//! The inspection workflow: the approval host with the inspection machine. The inspector's work is
//! the host's `inspect` approval — its task, its SLA reminder and escalation to the superior org —
//! but it takes no decisions: the inspector submits the checklist as the process's own action.
//! Staff confirm or return through the `review` approval, accept or return a rectification
//! through the `rectification` approval; the merchant answers as an own action. An unanswered
//! rectification is escalated once at its deadline (an own timer).

use super::contract::{
    Answer, INSPECTOR_ROLE, InspectionAction, InspectionChange, InspectionDetail, InspectionInput,
    InspectionRecord, MERCHANT_ROLE, RecordInspection, Step, TEXT_MAX, check_answers,
};
use super::machine::{Command, Event, Inspection, State};
use crate::approval::{Actor, Decision, Outcome, Refusal};
use crate::host::{Commanded, Effect, Host, Identity, OwnTimer, Process};
use crate::kind::ProcessKind;
use crate::process::{Entry, Notice, NoticeKind, TaskChange, activity_options as options};
use chrono::{DateTime, Duration, Utc};
use temporalio_macros::workflow;
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

type Ctx = WorkflowContext<InspectionWorkflow>;

#[workflow]
pub struct InspectionWorkflow {
    host: Host<InspectionWorkflow>,
    input: InspectionInput,
    /// The answers of the submission being taken, until recorded.
    answers: Option<Vec<Answer>>,
    /// The rectification being asked: requirement and deadline, until recorded.
    asked: Option<(String, DateTime<Utc>)>,
    /// The merchant's answer being taken: text and files, until recorded.
    answered: Option<(String, Vec<String>)>,
    /// Who submitted the inspection last.
    inspected_by: Option<Actor>,
    rectification_round: u32,
    rectification_deadline: Option<DateTime<Utc>>,
    rectification_escalated: bool,
}

impl InspectionWorkflow {
    /// Whether `who` may do the inspector's work now: the assigned inspector, or a holder of the
    /// inspector role in the level's orgs (or, once escalated, the superior org).
    fn may_inspect(&self, who: &Actor) -> bool {
        let Some((Step::Inspect, approval)) = &self.host.approval else {
            return false;
        };
        if let Some(assignee) = &approval.open.assignee {
            return assignee.user_id == who.user_id;
        }
        let assigned = self
            .input
            .inspector
            .as_ref()
            .is_some_and(|i| i.user_id == who.user_id);
        assigned
            || (who.roles.iter().any(|r| r == INSPECTOR_ROLE)
                && (approval.open.scope.contains(&who.org_path)
                    || approval
                        .open
                        .escalated_to
                        .as_ref()
                        .is_some_and(|o| o.path == who.org_path)))
    }

    /// Whether `who` may decide the open review now.
    fn may_review(&self, who: &Actor) -> bool {
        match &self.host.approval {
            Some((Step::Review, approval)) => approval
                .check_decision(who, &approval.step(), approval.open.index + 1)
                .is_ok(),
            _ => false,
        }
    }

    fn record(&self, change: InspectionChange, at: DateTime<Utc>) -> Effect<InspectionRecord> {
        Effect::Domain(InspectionRecord {
            task_id: self.input.task_id.clone(),
            workflow_id: self.host.workflow_id.clone(),
            seq: self.host.seq(),
            status: self.host.state().status().to_owned(),
            by: self.host.last_actor(),
            at,
            change,
        })
    }

    /// Closes the open approval's task as done by whoever took this step.
    fn close_as_done(
        &mut self,
        comment: Option<&str>,
        at: DateTime<Utc>,
    ) -> Vec<Effect<InspectionRecord>> {
        let by = self.host.last_actor().unwrap_or_default();
        let workflow_id = self.host.workflow_id.clone();
        self.host
            .approval
            .take()
            .map(|(_, approval)| {
                let change = TaskChange::Decided {
                    outcome: Decision::Approve,
                    by,
                    comment: comment.map(str::to_owned),
                };
                Effect::Entry(Box::new(Entry::Update(approval.task_update(
                    &workflow_id,
                    change,
                    at,
                ))))
            })
            .into_iter()
            .collect()
    }

    /// The notice to the inspector: the assigned one at first, then whoever submitted.
    fn notify_inspector(
        &self,
        event: Event,
        comment: Option<&str>,
        at: DateTime<Utc>,
    ) -> Option<Effect<InspectionRecord>> {
        let username = match event {
            Event::Assign => self.input.inspector.as_ref()?.username.clone(),
            _ => self.inspected_by.as_ref()?.username.clone(),
        };
        let title = &self.host.title;
        let due = (self.input.due_at + Duration::hours(8)).format("%Y-%m-%d %H:%M");
        let (subject, body) = match event {
            Event::Assign => (
                format!("巡查任务：{title}"),
                format!("您有一项巡查任务《{title}》，请于{due}前完成巡查并提交。"),
            ),
            Event::Return => (
                format!("巡查任务《{title}》已退回"),
                format!(
                    "您提交的巡查任务《{title}》已退回，请补充后重新提交。{}",
                    comment.map(|c| format!("原因：{c}")).unwrap_or_default()
                ),
            ),
            _ => (
                format!("巡查任务《{title}》已确认"),
                format!("您提交的巡查任务《{title}》已确认。"),
            ),
        };
        Some(Effect::Entry(Box::new(Entry::Notify(Notice {
            key: format!("{}/{}/inspector", self.host.workflow_id, self.host.seq()),
            kind: NoticeKind::Other,
            workflow_id: self.host.workflow_id.clone(),
            callback: None,
            username,
            subject,
            body,
            at,
        }))))
    }
}

impl Process for InspectionWorkflow {
    type Machine = Inspection;
    type Own = InspectionAction;
    type Step = Step;
    type Effect = InspectionRecord;
    type Detail = InspectionDetail;

    const KIND: ProcessKind = ProcessKind::Inspection;

    fn command(&mut self, c: Commanded<'_, Event, Command>) -> Vec<Effect<InspectionRecord>> {
        match c.command {
            Command::OpenInspect => {
                // the inspector's task is sent by whoever issued it, whoever submitted last
                self.host.submitter = self.input.issued_by.clone();
                let policy = self.input.inspect_policy.clone();
                vec![self.host.open_approval(Step::Inspect, policy, c.at)]
            }
            Command::NotifyInspector => self
                .notify_inspector(c.event, c.comment, c.at)
                .into_iter()
                .collect(),
            Command::CloseInspect | Command::CloseReview => self.close_as_done(c.comment, c.at),
            Command::RecordSubmission => {
                let answers = self.answers.take().unwrap_or_default();
                vec![self.record(InspectionChange::Submitted { answers }, c.at)]
            }
            Command::OpenReview => {
                let policy = self.input.review_policy.clone();
                vec![self.host.open_approval(Step::Review, policy, c.at)]
            }
            Command::Settle => {
                self.host.end_approval();
                let comment = c.comment.map(str::to_owned);
                let change = match self.host.state() {
                    State::Confirmed {} => InspectionChange::Confirmed { comment },
                    State::Cancelled {} => InspectionChange::Cancelled,
                    _ => InspectionChange::Returned { reason: comment },
                };
                vec![self.record(change, c.at)]
            }
            Command::RecordRectification => {
                let (requirement, deadline) = self.asked.take().unwrap_or_default();
                self.rectification_round += 1;
                self.rectification_deadline = Some(deadline);
                let change = InspectionChange::RectificationRequested {
                    round: self.rectification_round,
                    requirement,
                    deadline,
                };
                vec![self.record(change, c.at)]
            }
            Command::RecordAnswer => {
                let (answer, files) = self.answered.take().unwrap_or_default();
                let change = InspectionChange::RectificationAnswered {
                    round: self.rectification_round,
                    answer,
                    files,
                };
                vec![self.record(change, c.at)]
            }
            Command::OpenAcceptance => {
                let policy = self.input.acceptance_policy.clone();
                vec![self.host.open_approval(Step::Acceptance, policy, c.at)]
            }
            Command::SettleRectification => {
                self.host.end_approval();
                let round = self.rectification_round;
                let comment = c.comment.map(str::to_owned);
                let change = match self.host.state() {
                    State::Rectified {} => {
                        InspectionChange::RectificationAccepted { round, comment }
                    }
                    _ => {
                        // sent back: the merchant answers the next round (the store opens it)
                        self.rectification_round += 1;
                        InspectionChange::RectificationReturned {
                            round,
                            reason: comment,
                        }
                    }
                };
                vec![self.record(change, c.at)]
            }
            Command::EscalateRectification => {
                self.rectification_escalated = true;
                let superior_org = self.input.chain.0.get(1).map(|o| o.id.clone());
                let change = InspectionChange::RectificationEscalated {
                    round: self.rectification_round,
                    superior_org,
                };
                vec![self.record(change, c.at)]
            }
            Command::CancelApproval => self
                .host
                .cancel_approval("withdrawn", c.at)
                .into_iter()
                .collect(),
        }
    }

    async fn effect(ctx: &mut Ctx, record: InspectionRecord) -> WorkflowResult<()> {
        ctx.execute_activity(RecordInspection, record, options())
            .await?;
        Ok(())
    }

    fn decidable(&self, step: Step) -> bool {
        step != Step::Inspect
    }

    fn decided(&self, step: Step, outcome: Outcome) -> Option<Event> {
        match (step, outcome) {
            (_, Outcome::NextLevel) | (Step::Inspect, _) => None,
            (Step::Review, Outcome::Approved) => Some(Event::ApproveFinal),
            (Step::Review, Outcome::Rejected | Outcome::Returned) => Some(Event::Return),
            (Step::Acceptance, Outcome::Approved) => Some(Event::AcceptRectification),
            (Step::Acceptance, Outcome::Rejected | Outcome::Returned) => {
                Some(Event::ReturnRectification)
            }
        }
    }

    fn check_own(&self, who: &Actor, action: &InspectionAction) -> Result<(), Refusal> {
        let state = self.host.state();
        match action {
            InspectionAction::Submit { answers } => {
                if !matches!(state, State::Pending {} | State::Returned {}) {
                    return Err(Refusal::WrongState);
                }
                if !self.may_inspect(who) {
                    return Err(Refusal::NotEligible);
                }
                check_answers(&self.input.checklist, answers)
            }
            InspectionAction::RequestRectification { requirement, .. } => {
                if state != (State::Submitted {}) {
                    return Err(Refusal::WrongState);
                }
                if !self.may_review(who) {
                    return Err(Refusal::NotEligible);
                }
                let length = requirement.trim().chars().count();
                if length == 0 || length > TEXT_MAX {
                    return Err(Refusal::field("requirement", "QY-REQ-0002"));
                }
                Ok(())
            }
            InspectionAction::AnswerRectification { answer, files } => {
                if state != (State::Rectifying {}) {
                    return Err(Refusal::WrongState);
                }
                if !who.roles.iter().any(|r| r == MERCHANT_ROLE) {
                    return Err(Refusal::NotEligible);
                }
                let length = answer.trim().chars().count();
                if length == 0 || length > TEXT_MAX || files.len() > super::contract::FILES_MAX {
                    return Err(Refusal::field("answer", "QY-REQ-0002"));
                }
                Ok(())
            }
        }
    }

    fn own_allowed(&self, viewer: &Actor) -> Vec<&'static str> {
        let state = self.host.state();
        let mut allowed = Vec::new();
        if matches!(state, State::Pending {} | State::Returned {}) && self.may_inspect(viewer) {
            allowed.push("submit");
        }
        if state == (State::Submitted {}) && self.may_review(viewer) {
            allowed.push("request_rectification");
        }
        if state == (State::Rectifying {}) && viewer.roles.iter().any(|r| r == MERCHANT_ROLE) {
            allowed.push("answer_rectification");
        }
        allowed
    }

    fn take_own(&mut self, who: &Actor, action: InspectionAction, _comment: Option<&str>) -> Event {
        match action {
            InspectionAction::Submit { answers } => {
                self.answers = Some(answers);
                self.host.submitter = who.clone();
                self.inspected_by = Some(who.clone());
                Event::Submit
            }
            InspectionAction::RequestRectification {
                requirement,
                deadline,
            } => {
                self.asked = Some((requirement.trim().to_owned(), deadline));
                Event::RequestRectification
            }
            InspectionAction::AnswerRectification { answer, files } => {
                self.answered = Some((answer.trim().to_owned(), files));
                self.host.submitter = who.clone();
                Event::AnswerRectification
            }
        }
    }

    fn detail(&self) -> InspectionDetail {
        InspectionDetail {
            due_at: Some(self.input.due_at),
            inspector: self.input.inspector.as_ref().map(|i| i.username.clone()),
            rectification_round: self.rectification_round,
            rectification_deadline: self.rectification_deadline,
            rectification_escalated: self.rectification_escalated,
        }
    }

    fn timer(&self) -> Option<OwnTimer<Event>> {
        let at = self.rectification_deadline?;
        (self.host.state() == State::Rectifying {} && !self.rectification_escalated).then_some(
            OwnTimer {
                name: "rectification",
                event: Event::RectificationOverdue,
                at,
            },
        )
    }
}

crate::process_workflow!(InspectionWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: InspectionInput) -> Self {
        let identity = Identity {
            key: input.task_id.clone(),
            // the task's page is found by its id (staff see its number, XC…)
            business_key: input.task_id.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.issued_by.clone(),
        };
        let title = format!("巡查 {}（{}）", input.merchant_name, input.merchant_code);
        Self {
            host: Host::new(identity, title, None),
            input,
            answers: None,
            asked: None,
            answered: None,
            inspected_by: None,
            rectification_round: 0,
            rectification_deadline: None,
            rectification_escalated: false,
        }
    }
});
