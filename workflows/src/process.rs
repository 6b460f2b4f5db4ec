//! The plumbing every process shares: the transition record the read model keeps and the
//! activity definitions a workflow calls to write it (implemented in `quanyi-activities`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityDefinition;

/// The task queue every Quanyi workflow and activity runs on unless configured otherwise.
pub const DEFAULT_TASK_QUEUE: &str = "quanyi";

/// One step of a process, as the read model (`process_instances`, `process_transitions`) keeps it.
/// `seq` numbers the transitions of one workflow from 1; the pair (workflow id, seq) is unique, so
/// a retried activity writes nothing twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionRecord {
    pub workflow_id: String,
    pub process_type: String,
    pub business_key: String,
    pub org_id: Option<String>,
    pub started_by: Option<String>,
    pub seq: i32,
    /// `None` for the first transition, which creates the process instance.
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    pub actor: Option<String>,
    pub comment: Option<String>,
    /// Workflow time of the transition (never the wall clock of the worker).
    pub at: DateTime<Utc>,
    /// Whether the process has reached a terminal state with this transition.
    pub ended: bool,
}

/// What recording a transition did: `Written` the first time, `AlreadyRecorded` on a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordOutcome {
    Written,
    AlreadyRecorded,
}

/// Activity: write a transition into the read model, idempotently by (workflow id, seq).
pub struct RecordTransition;

impl ActivityDefinition for RecordTransition {
    type Input = TransitionRecord;
    type Output = RecordOutcome;

    fn name(&self) -> &str {
        "process.record_transition"
    }
}

impl TransitionRecord {
    /// The record of the next transition of the same process, `seq` one higher.
    pub fn next(&self, to_state: &str, event: &str, at: DateTime<Utc>) -> TransitionRecord {
        TransitionRecord {
            seq: self.seq + 1,
            from_state: Some(self.to_state.clone()),
            to_state: to_state.to_owned(),
            event: event.to_owned(),
            actor: None,
            comment: None,
            at,
            ended: false,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first() -> TransitionRecord {
        TransitionRecord {
            workflow_id: "demo-1".into(),
            process_type: "demo".into(),
            business_key: "1".into(),
            org_id: Some("org".into()),
            started_by: Some("alice".into()),
            seq: 1,
            from_state: None,
            to_state: "Draft".into(),
            event: "Start".into(),
            actor: Some("alice".into()),
            comment: Some("first".into()),
            at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            ended: false,
        }
    }

    #[test]
    fn next_transition_continues_from_the_previous_state_with_the_next_seq() {
        let at = DateTime::from_timestamp(1_700_000_060, 0).unwrap();
        let next = first().next("Review", "Submit", at);
        assert_eq!(next.seq, 2);
        assert_eq!(next.from_state.as_deref(), Some("Draft"));
        assert_eq!(next.to_state, "Review");
        assert_eq!(next.event, "Submit");
        assert_eq!(next.at, at);
        assert_eq!(
            next.actor, None,
            "the actor of one step never leaks into the next"
        );
        assert_eq!(next.comment, None);
        assert_eq!(next.workflow_id, "demo-1");
    }
}
