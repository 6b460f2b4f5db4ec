//! A plan's round: what the plan's Temporal Schedule starts each time it fires. One activity
//! creates the tasks of the cycle the firing falls in (once per plan, cycle and merchant, so a
//! schedule firing twice in a cycle creates nothing twice); each new task's process is started as
//! a child that outlives the round (`inspection-<task id>`, never reused), then marked started.

use super::contract::{IssueRound, MarkStarted, RoundInput, RoundRequest};
use super::workflow::InspectionWorkflow;
use crate::kind::ProcessKind;
use crate::process::{activity_options as options, workflow_now};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ChildWorkflowOptions, ParentClosePolicy, WorkflowContext, WorkflowContextView,
    WorkflowIdReusePolicy, WorkflowResult,
};

/// The id prefix of the rounds a plan's schedule starts (the server appends the time). Not a
/// process kind's prefix: a round is bookkeeping, not a process.
pub fn round_workflow_id(plan_id: &str) -> String {
    format!("plan-round-{plan_id}")
}

#[workflow]
pub struct InspectionRoundWorkflow {
    input: RoundInput,
}

#[workflow_methods]
impl InspectionRoundWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: RoundInput) -> Self {
        Self { input }
    }

    /// Answers how many processes it started.
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u32> {
        let request = RoundRequest {
            plan_id: ctx.state(|s| s.input.plan_id.clone()),
            at: workflow_now(ctx),
        };
        let tasks = ctx.execute_activity(IssueRound, request, options()).await?;
        let mut started = Vec::new();
        for input in tasks {
            let task_id = input.task_id.clone();
            let child = ChildWorkflowOptions::builder()
                .workflow_id(ProcessKind::Inspection.workflow_id(&task_id))
                .parent_close_policy(ParentClosePolicy::Abandon)
                .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
                .build();
            match ctx
                .start_child_workflow(InspectionWorkflow::run, input, child)
                .await
            {
                Ok(_) => {}
                // started by an earlier round that stopped before marking it
                Err(temporalio_sdk::ChildWorkflowStartError::StartFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            started.push(task_id);
        }
        let count = started.len() as u32;
        if !started.is_empty() {
            ctx.execute_activity(MarkStarted, started, options())
                .await?;
        }
        Ok(count)
    }
}
