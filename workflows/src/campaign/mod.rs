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

/// A human action on the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Submit again after a return or a withdrawal, with the draft as edited.
    Submit {
        facts: Facts,
    },
    /// Decide the open approval level shown as task (`step`, `level`).
    Decide {
        step: String,
        level: usize,
        decision: crate::approval::Decision,
    },
    /// Hand the open level to another eligible user.
    Transfer {
        step: String,
        level: usize,
        to: Actor,
    },
    Withdraw,
    Pause,
    Resume,
    Cancel,
    Terminate,
    Modify {
        end_at: Option<DateTime<Utc>>,
        budget_fen: Option<i64>,
    },
}

impl Action {
    /// The action's name as the API and the UI's `allowed_actions` spell it.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Submit { .. } => "submit",
            Action::Decide { decision, .. } => decision.as_str(),
            Action::Transfer { .. } => "transfer",
            Action::Withdraw => "withdraw",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Cancel => "cancel",
            Action::Terminate => "terminate",
            Action::Modify { .. } => "modify",
        }
    }
}

/// An action with who takes it and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRequest {
    pub actor: Actor,
    pub action: Action,
    pub comment: Option<String>,
}

/// The answer to an accepted action: its ticket. The action has happened once the process's
/// `applied` ticket (in [`ProcessView`]) reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub ticket: u64,
}

/// A timer the process waits on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTimer {
    /// `start`, `end`, `remind`, `escalate`.
    pub name: String,
    pub fires_at: DateTime<Utc>,
}

/// The open approval level, as the process sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenApproval {
    pub step: String,
    pub level: usize,
    pub level_name: String,
    pub due_at: DateTime<Utc>,
    /// `modify` or `terminate` while a change waits for approval.
    pub change: Option<ChangeRequest>,
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

/// The query's answer: `{state, allowed_actions for the asking user, history, pending timers}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessView {
    pub state: String,
    pub allowed_actions: Vec<String>,
    pub history: Vec<HistoryEntry>,
    pub pending_timers: Vec<PendingTimer>,
    pub approval: Option<OpenApproval>,
    pub facts: Facts,
    /// The last action ticket carried out.
    pub applied: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub seq: i32,
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    pub actor: Option<String>,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
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

/// The metrics snapshot of an ended campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub customers: i32,
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
