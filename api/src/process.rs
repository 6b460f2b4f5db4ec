//! Starting durable processes from the API: one place that counts starts and failures by process
//! type and turns "already started" (a business key used twice) into its own code.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use temporalio_client::errors::WorkflowStartError;
use temporalio_client::{Client, WorkflowHandle, WorkflowStartOptions};
use temporalio_common::HasWorkflowDefinition;

/// Starts `workflow` under the business-key id `workflow_id` on the app's task queue.
pub async fn start<W>(
    state: &AppState,
    process_type: &str,
    workflow: W,
    input: W::Input,
    workflow_id: &str,
    task_queue: &str,
) -> Result<WorkflowHandle<Client, W>, ApiError>
where
    W: HasWorkflowDefinition,
    W::Input: Send,
{
    let client = state.temporal.get().await.map_err(|e| {
        tracing::error!(error = %e, "Temporal unavailable");
        state.metrics.workflow_start_failed(process_type);
        ApiError::from(ErrorCode::TemporalUnavailable)
    })?;
    let options = WorkflowStartOptions::new(task_queue.to_owned(), workflow_id.to_owned()).build();
    match client.start_workflow(workflow, input, options).await {
        Ok(handle) => {
            state.metrics.workflow_started(process_type);
            tracing::info!(workflow_id, process_type, "process started");
            Ok(handle)
        }
        Err(WorkflowStartError::AlreadyStarted { .. }) => {
            state.metrics.workflow_start_failed(process_type);
            Err(ApiError::from(ErrorCode::ProcessAlreadyStarted))
        }
        Err(e) => {
            tracing::error!(error = %e, workflow_id, "cannot start the process");
            state.metrics.workflow_start_failed(process_type);
            Err(ApiError::from(ErrorCode::TemporalUnavailable))
        }
    }
}
