//! What an inspection task takes and does: the task with its checklist and its three approvals
//! (the inspector's `inspect`, whose SLA reminds and escalates; the staff's `review`; the staff's
//! `rectification` acceptance), the process's own actions (submit the checklist, ask for
//! rectification, answer it), and the activities that keep the task in the store and issue a
//! plan's round.

use crate::approval::{Actor, OrgChain, Policy, Refusal};
use crate::host::StepKind;
use crate::process::OwnAction;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityDefinition;

/// The role whose holders inspect (巡查员).
pub const INSPECTOR_ROLE: &str = "inspector";
/// The role of a merchant's administrator, who answers rectifications for the merchant.
pub const MERCHANT_ROLE: &str = "merchant_admin";
/// The longest text of an answer, a requirement or a reason.
pub const TEXT_MAX: usize = 500;
/// The most photos or files on one answer.
pub const FILES_MAX: usize = 9;

/// What an item of the checklist asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// 合格/不合格.
    #[default]
    PassFail,
    /// A written observation.
    Text,
}

/// One item of a checklist template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// Stable within the checklist: `1`, `2`, ….
    pub key: String,
    pub text: String,
    pub kind: ItemKind,
    /// The answer needs at least one photo.
    #[serde(default)]
    pub photo_required: bool,
}

/// A pass/fail item's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemResult {
    Pass,
    Fail,
}

/// The inspector's answer to one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub key: String,
    /// A pass/fail item's result.
    #[serde(default)]
    pub result: Option<ItemResult>,
    /// A text item's observation, or a note on any item.
    #[serde(default)]
    pub text: Option<String>,
    /// Photo file ids (from the file store).
    #[serde(default)]
    pub photos: Vec<String>,
    /// A serious finding: offers 停用商户.
    #[serde(default)]
    pub serious: bool,
}

/// Whether `answers` answer `checklist`, each item once: the field error code if not.
pub fn check_answers(checklist: &[ChecklistItem], answers: &[Answer]) -> Result<(), Refusal> {
    let incomplete = || Refusal::field("answers", "QY-INS-0003");
    if answers.len() != checklist.len() {
        return Err(incomplete());
    }
    for item in checklist {
        let mut of_item = answers.iter().filter(|a| a.key == item.key);
        let (Some(answer), None) = (of_item.next(), of_item.next()) else {
            return Err(incomplete());
        };
        let text = answer.text.as_deref().map(str::trim).unwrap_or_default();
        let answered = match item.kind {
            ItemKind::PassFail => answer.result.is_some(),
            ItemKind::Text => !text.is_empty() && answer.result.is_none(),
        };
        if !answered
            || (item.photo_required && answer.photos.is_empty())
            || answer.photos.len() > FILES_MAX
            || text.chars().count() > TEXT_MAX
        {
            return Err(incomplete());
        }
    }
    Ok(())
}

/// An inspector as the task names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspector {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
}

/// The task as the process needs it; answers and rectifications stay in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionInput {
    /// The task's id (`inspection-<id>`).
    pub task_id: String,
    /// Its business number (`XC…`).
    pub task_code: String,
    pub merchant_code: String,
    pub merchant_name: String,
    /// The merchant's org.
    pub org_id: String,
    pub chain: OrgChain,
    /// Who issued it: a staff user, or the plan's round (`system`).
    pub issued_by: Actor,
    /// The inspector it is assigned to, if one was found in the merchant's org.
    pub inspector: Option<Inspector>,
    pub checklist: Vec<ChecklistItem>,
    pub due_at: DateTime<Utc>,
    /// The inspector's level: its SLA is the time to the due date.
    pub inspect_policy: Policy,
    /// 巡查确认.
    pub review_policy: Policy,
    /// 整改验收.
    pub acceptance_policy: Policy,
}

/// The process's own actions besides decide, transfer and withdraw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InspectionAction {
    /// The inspector submits the checklist.
    Submit { answers: Vec<Answer> },
    /// Staff confirming the inspection ask the merchant to rectify instead.
    RequestRectification {
        requirement: String,
        deadline: DateTime<Utc>,
    },
    /// The merchant answers the rectification.
    AnswerRectification { answer: String, files: Vec<String> },
}

impl OwnAction for InspectionAction {
    fn name(&self) -> &'static str {
        match self {
            InspectionAction::Submit { .. } => "submit",
            InspectionAction::RequestRectification { .. } => "request_rectification",
            InspectionAction::AnswerRectification { .. } => "answer_rectification",
        }
    }
}

pub type ActionRequest = crate::process::ActionRequest<InspectionAction>;
pub type ProcessView = crate::process::ProcessView<InspectionDetail>;

/// What the view adds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionDetail {
    pub due_at: Option<DateTime<Utc>>,
    pub inspector: Option<String>,
    pub rectification_round: u32,
    pub rectification_deadline: Option<DateTime<Utc>>,
    pub rectification_escalated: bool,
}

/// The process's approvals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The inspector's work: a task with the SLA of the due date, no decisions.
    Inspect,
    /// 巡查确认.
    Review,
    /// 整改验收.
    Acceptance,
}

impl StepKind for Step {
    fn code(self) -> &'static str {
        match self {
            Step::Inspect => "inspect",
            Step::Review => "review",
            Step::Acceptance => "rectification",
        }
    }
}

/// What happened to a task, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InspectionChange {
    Submitted {
        answers: Vec<Answer>,
    },
    Confirmed {
        comment: Option<String>,
    },
    Returned {
        reason: Option<String>,
    },
    Cancelled,
    RectificationRequested {
        round: u32,
        requirement: String,
        deadline: DateTime<Utc>,
    },
    RectificationAnswered {
        round: u32,
        answer: String,
        files: Vec<String>,
    },
    RectificationAccepted {
        round: u32,
        comment: Option<String>,
    },
    RectificationReturned {
        round: u32,
        reason: Option<String>,
    },
    RectificationEscalated {
        round: u32,
        superior_org: Option<String>,
    },
}

/// A change to a task, written once (the transition's seq keys it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionRecord {
    pub task_id: String,
    pub workflow_id: String,
    /// The transition that made the change.
    pub seq: i32,
    /// The state the task is in now (its store status).
    pub status: String,
    pub by: Option<String>,
    pub at: DateTime<Utc>,
    pub change: InspectionChange,
}

/// Activity: keep a task's change in the store (and tell the merchant of a rectification).
pub struct RecordInspection;

impl ActivityDefinition for RecordInspection {
    type Input = InspectionRecord;
    type Output = ();

    fn name(&self) -> &str {
        "inspection.record"
    }
}

/// A plan's round, fired by its schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundInput {
    pub plan_id: String,
}

/// What the round's activity is asked: the plan, and when the schedule fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundRequest {
    pub plan_id: String,
    pub at: DateTime<Utc>,
}

/// Activity: create the tasks of the plan's merchants for the cycle `at` falls in, once per
/// (plan, cycle, merchant); answers every task of the cycle whose process has not started yet.
pub struct IssueRound;

impl ActivityDefinition for IssueRound {
    type Input = RoundRequest;
    type Output = Vec<InspectionInput>;

    fn name(&self) -> &str {
        "inspection.issue_round"
    }
}

/// Activity: mark the tasks whose processes were started.
pub struct MarkStarted;

impl ActivityDefinition for MarkStarted {
    type Input = Vec<String>;
    type Output = ();

    fn name(&self) -> &str {
        "inspection.mark_started"
    }
}
