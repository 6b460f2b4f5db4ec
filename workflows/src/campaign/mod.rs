//! 营销活动 (MKT-3, WF-1): the campaign lifecycle as a durable process. The workflow
//! `campaign-<id>` holds the [`machine`], turns human actions (Temporal updates, validated so a
//! refused one leaves no trace), timers (start, end, SLA) and approval outcomes into events, and
//! runs the commands the machine emits as activities.

pub mod machine;
mod workflow;

use crate::approval::{Actor, OrgChain, Policy};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityDefinition;

pub use crate::process::{
    Accepted, Action, ActionRequest, ChangeRequest, HistoryEntry, OpenApproval, PendingTimer,
    ProcessView,
};
pub use machine::{Command, Event, State, TRANSITIONS, Transition};
pub use workflow::CampaignWorkflow;

pub const PROCESS_TYPE: &str = "campaign";

pub fn workflow_id(campaign_id: &str) -> String {
    format!("campaign-{campaign_id}")
}

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
