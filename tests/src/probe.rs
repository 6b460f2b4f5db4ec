//! The probe: a small real process that lives in the tests only. It records its transitions
//! through the shipped activity, waits on a timer, then on a human's update — the pattern every
//! Quanyi process follows, with a statig machine deciding and the workflow doing.

use chrono::{DateTime, Utc};
use quanyi_workflows::kind::{KindSpec, ProcessKind};
use quanyi_workflows::process::{RecordTransition, TransitionRecord};
use quanyi_workflows::table::{Diagram, DiagramState, DiagramTransition};
use serde::{Deserialize, Serialize};
use statig::prelude::*;
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// The probe's kind, as the API, the activities and the monitor know it once registered.
pub static SPEC: KindSpec = KindSpec {
    code: "probe",
    label_zh: "探针",
    label_en: "Probe",
    policy_key: "probe",
    diagram,
};

fn diagram() -> Diagram {
    let state = |id: &str, terminal| DiagramState {
        id: id.into(),
        label_zh: id.into(),
        label_en: id.into(),
        terminal,
    };
    let step = |from: &str, to: &str, event: &str| DiagramTransition {
        from: from.into(),
        to: to.into(),
        event: event.into(),
        label_zh: event.into(),
        label_en: event.into(),
    };
    Diagram {
        states: vec![
            state("Waiting", false),
            state("AwaitingConfirmation", false),
            state("Done", true),
        ],
        transitions: vec![
            step("Waiting", "AwaitingConfirmation", "TimerFired"),
            step("AwaitingConfirmation", "Done", "Confirm"),
        ],
    }
}

/// Registers the probe's kind (harmless when it is already).
pub fn kind() -> ProcessKind {
    ProcessKind::register(&SPEC)
}

pub fn workflow_id(key: &str) -> String {
    kind().workflow_id(key)
}

/// The pure machine: Waiting → (timer) → AwaitingConfirmation → (confirm) → Done.
#[derive(Default)]
pub struct Probe;

#[derive(Debug)]
pub enum Event {
    TimerFired,
    Confirm,
}

#[state_machine(
    initial = "State::waiting()",
    state(derive(Debug, Clone, PartialEq, Eq))
)]
impl Probe {
    #[state]
    fn waiting(event: &Event) -> Outcome<State> {
        match event {
            Event::TimerFired => Transition(State::awaiting_confirmation()),
            Event::Confirm => Handled,
        }
    }

    #[state]
    fn awaiting_confirmation(event: &Event) -> Outcome<State> {
        match event {
            Event::Confirm => Transition(State::done()),
            Event::TimerFired => Handled,
        }
    }

    #[state]
    fn done(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }
}

pub fn state_name(state: &State) -> &'static str {
    match state {
        State::Waiting {} => "Waiting",
        State::AwaitingConfirmation {} => "AwaitingConfirmation",
        State::Done {} => "Done",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeInput {
    pub key: String,
    pub timer_ms: u64,
    pub started_by: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Confirmation {
    pub actor: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeStatus {
    pub state: String,
    pub seq: i32,
}

#[workflow]
pub struct ProbeWorkflow {
    input: ProbeInput,
    machine: StateMachine<Probe>,
    last: Option<TransitionRecord>,
    confirmation: Option<Confirmation>,
}

/// Workflow time: deterministic on replay, unlike the worker's clock.
fn now(ctx: &WorkflowContext<ProbeWorkflow>) -> DateTime<Utc> {
    ctx.workflow_time()
        .map_or(DateTime::<Utc>::UNIX_EPOCH, DateTime::<Utc>::from)
}

#[workflow_methods]
impl ProbeWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ProbeInput) -> Self {
        Self {
            input,
            machine: Probe.state_machine(),
            last: None,
            confirmation: None,
        }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        let at = now(ctx);
        let first = ctx.state(|s| TransitionRecord {
            workflow_id: workflow_id(&s.input.key),
            process_type: kind(),
            business_key: s.input.key.clone(),
            org_id: None,
            started_by: Some(s.input.started_by.clone()),
            seq: 1,
            from_state: None,
            to_state: state_name(s.machine.state()).into(),
            event: "Start".into(),
            actor: Some(s.input.started_by.clone()),
            comment: None,
            at,
            ended: false,
            title: None,
        });
        Self::record(ctx, first).await?;

        let timer = Duration::from_millis(ctx.state(|s| s.input.timer_ms));
        ctx.timer(timer).await;
        Self::apply(ctx, Event::TimerFired, None).await?;

        ctx.wait_condition(|s| s.confirmation.is_some()).await?;
        let confirmation = ctx.state(|s| s.confirmation.clone());
        Self::apply(ctx, Event::Confirm, confirmation).await?;
        Ok(ctx.state(|s| state_name(s.machine.state()).to_owned()))
    }

    /// Feeds an event to the machine and records the transition it made, if any.
    async fn apply(
        ctx: &mut WorkflowContext<Self>,
        event: Event,
        by: Option<Confirmation>,
    ) -> WorkflowResult<()> {
        let at = now(ctx);
        let record = ctx.state_mut(|s| {
            let before = s.machine.state().clone();
            s.machine.handle(&event);
            let after = s.machine.state().clone();
            (before != after).then(|| {
                let last = s
                    .last
                    .as_ref()
                    .expect("the first transition is recorded at start");
                let mut next = last.next(state_name(&after), &format!("{event:?}"), at);
                next.ended = after == State::done();
                if let Some(by) = &by {
                    next.actor = Some(by.actor.clone());
                    next.comment = Some(by.comment.clone());
                }
                next
            })
        });
        if let Some(record) = record {
            Self::record(ctx, record).await?;
        }
        Ok(())
    }

    async fn record(
        ctx: &mut WorkflowContext<Self>,
        record: TransitionRecord,
    ) -> WorkflowResult<()> {
        ctx.execute_activity(
            RecordTransition,
            record.clone(),
            ActivityOptions::start_to_close_timeout(Duration::from_secs(10)),
        )
        .await?;
        ctx.state_mut(|s| s.last = Some(record));
        Ok(())
    }

    #[query]
    pub fn status(&self, _ctx: &WorkflowContextView) -> ProbeStatus {
        ProbeStatus {
            state: state_name(self.machine.state()).into(),
            seq: self.last.as_ref().map_or(0, |r| r.seq),
        }
    }

    /// Refused (leaving no trace in history) unless the probe awaits confirmation and the actor is
    /// not the one who started it.
    #[update_validator(confirm)]
    fn validate_confirm(
        &self,
        _ctx: &WorkflowContextView,
        confirmation: &Confirmation,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if *self.machine.state() != State::awaiting_confirmation() || self.confirmation.is_some() {
            return Err("QY-PROC-WRONG-STATE".into());
        }
        if confirmation.actor == self.input.started_by {
            return Err("QY-PROC-OWN-SUBMISSION".into());
        }
        Ok(())
    }

    #[update]
    pub fn confirm(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        confirmation: Confirmation,
    ) -> String {
        self.confirmation = Some(confirmation);
        "accepted".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_walks_waiting_confirming_done_and_ignores_early_or_late_events() {
        let mut machine = Probe.state_machine();
        assert_eq!(*machine.state(), State::waiting());
        machine.handle(&Event::Confirm);
        assert_eq!(
            *machine.state(),
            State::waiting(),
            "no confirmation before the timer"
        );
        machine.handle(&Event::TimerFired);
        assert_eq!(*machine.state(), State::awaiting_confirmation());
        machine.handle(&Event::TimerFired);
        assert_eq!(*machine.state(), State::awaiting_confirmation());
        machine.handle(&Event::Confirm);
        assert_eq!(*machine.state(), State::done());
    }
}
