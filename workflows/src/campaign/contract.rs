//! What the campaign process takes, keeps, does and shows: its input and facts, its own actions
//! besides the approval step's, its approval steps, the change waiting for approval, and the
//! activities it runs besides the host's bookkeeping.

use crate::approval::{Actor, OrgChain, Policy};
use crate::host::StepKind;
use crate::process::OwnAction;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityDefinition;

/// What the process needs to know of the campaign; the submission carries a fresh copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub title: String,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub budget_fen: i64,
}

/// The process's input: the campaign as submitted, its org chain and the policies it keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignInput {
    pub campaign_id: String,
    pub org_id: String,
    /// The campaign's org and its ancestors, nearest first.
    pub chain: OrgChain,
    pub facts: Facts,
    pub submitted_by: Actor,
    pub comment: Option<String>,
    /// 初审/复核 levels.
    pub review_policy: Policy,
    /// The one-level approval of changes and terminations.
    pub change_policy: Policy,
}

/// The campaign's own actions (the approval step's are the host's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CampaignAction {
    /// Submit again after a return or a withdrawal, with the draft as edited.
    Submit {
        facts: Facts,
    },
    Pause,
    Resume,
    Cancel,
    Terminate,
    Modify {
        end_at: Option<DateTime<Utc>>,
        budget_fen: Option<i64>,
    },
}

impl OwnAction for CampaignAction {
    fn name(&self) -> &'static str {
        match self {
            CampaignAction::Submit { .. } => "submit",
            CampaignAction::Pause => "pause",
            CampaignAction::Resume => "resume",
            CampaignAction::Cancel => "cancel",
            CampaignAction::Terminate => "terminate",
            CampaignAction::Modify { .. } => "modify",
        }
    }
}

pub type ActionRequest = crate::process::ActionRequest<CampaignAction>;
pub type Action = crate::process::Action<CampaignAction>;
pub type ProcessView = crate::process::ProcessView<Option<ChangeRequest>>;

/// The campaign's approvals: its review (初审, 复核) and the one-level approval of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    Review,
    Change,
}

impl StepKind for Approval {
    fn code(self) -> &'static str {
        match self {
            Approval::Review => "review",
            Approval::Change => "change",
        }
    }
}

/// A change waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeRequest {
    Modify {
        end_at: Option<DateTime<Utc>>,
        budget_fen: Option<i64>,
        comment: Option<String>,
    },
    Terminate {
        comment: Option<String>,
    },
}

/// An approved change to write into the campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignChange {
    pub campaign_id: String,
    pub end_at: Option<DateTime<Utc>>,
    pub budget_fen: Option<i64>,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Activity: write an approved change of end time or budget into the campaign.
pub struct ApplyChange;

impl ActivityDefinition for ApplyChange {
    type Input = CampaignChange;
    type Output = ();

    fn name(&self) -> &str {
        "campaign.apply_change"
    }
}

/// An asynchronous result another system delivers to the process (through the ESB gateway's
/// `process.result.deliver`), e.g. the grid marketing platform's external evaluation. The process
/// records it in its history as it stands; it changes no state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalResult {
    /// The delivering system (the ESB consumer's code).
    pub source: String,
    /// What kind of result, e.g. `evaluation`.
    pub kind: String,
    /// The delivering system's reference (its serial number).
    pub reference: String,
    pub summary: String,
}

/// The event name such a result has in the history and the timeline.
pub const EXTERNAL_RESULT_EVENT: &str = "ExternalResult";

/// The metrics snapshot of an ended campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub customers: i32,
    /// Customers a channel showed the campaign to (absent in histories from before delivery).
    #[serde(default)]
    pub contacts: i32,
    pub claims: i64,
    pub redemptions: i64,
    pub budget_fen: i64,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationRequest {
    pub campaign_id: String,
    pub at: DateTime<Utc>,
}

/// Activity: record the evaluation snapshot once (a retry returns the first).
pub struct Evaluate;

impl ActivityDefinition for Evaluate {
    type Input = EvaluationRequest;
    type Output = Evaluation;

    fn name(&self) -> &str {
        "campaign.evaluate"
    }
}
