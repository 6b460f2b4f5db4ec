//! The baseline of `campaign-process`: the Temporal server's own rate for workflows that do
//! nothing. The load generator runs a worker of its own on a task queue of its own (the worker
//! options `quanyi`'s worker uses, and this one workflow), then starts workflows with as many
//! tasks as the processes had, each waiting for its workflow's result before starting the next.

use crate::campaign::{Options, Phase, Start, phase};
use crate::stats::{Op, Outcome, Tally};
use anyhow::Context;
use std::time::{Duration, Instant};
use temporalio_client::errors::{WorkflowGetResultError, WorkflowStartError};
use temporalio_client::{Client, WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult};

/// Returns at once: one workflow task, started and completed.
#[workflow]
#[derive(Default)]
pub struct EmptyWorkflow;

#[workflow_methods]
impl EmptyWorkflow {
    #[run]
    pub async fn run(_ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        Ok(())
    }
}

/// Runs the baseline phase with a worker of its own, stopped afterwards.
pub async fn run(options: &Options) -> anyhow::Result<Phase> {
    let client = quanyi_activities::temporal::connect(&options.temporal_url, "default")
        .await
        .context("the baseline needs Temporal (--temporal-url)")?;
    let queue = format!("quanyi-load-{}", options.prefix.trim_end_matches('-'));
    // As worker/src/lib.rs builds quanyi's worker, with only this workflow registered.
    let worker_options = WorkerOptions::new(queue.clone())
        .graceful_shutdown_period(Duration::from_secs(10))
        .register_workflow::<EmptyWorkflow>()?
        .build();
    let runtime = Runtime::from_current_tokio(Default::default())
        .map_err(|e| anyhow::anyhow!("cannot start the Temporal worker runtime: {e}"))?;
    let mut worker = Worker::new(&runtime, client.clone(), worker_options)
        .map_err(|e| anyhow::anyhow!("cannot create the baseline worker: {e}"))?;
    let stop = worker.shutdown_handle();
    let worked = worker.run();
    let mut worked = std::pin::pin!(worked);

    let measure = async {
        // one workflow before the clock starts, so the pollers are live
        let warm_up = tokio::time::timeout(
            Duration::from_secs(30),
            once(&client, &queue, &format!("{}empty-warm-up", options.prefix)),
        )
        .await;
        match warm_up {
            Ok(Ok(())) => {}
            Ok(Err(e)) => anyhow::bail!("the baseline's first empty workflow failed: {e}"),
            Err(_) => anyhow::bail!("the baseline's first empty workflow took over 30 s"),
        }
        Ok(phase(options.connections, options.duration, |task, start| {
            let (client, queue, prefix) = (client.clone(), queue.clone(), options.prefix.clone());
            async move { drive(&client, &queue, &prefix, task, start).await }
        })
        .await)
    };
    let measured = tokio::select! {
        result = &mut worked => {
            anyhow::bail!("the baseline worker stopped: {:?}", result.err())
        }
        measured = measure => measured,
    };
    stop();
    worked
        .await
        .map_err(|e| anyhow::anyhow!("the baseline worker failed: {e}"))?;
    measured
}

/// One connection's empty workflows, back to back until the deadline.
async fn drive(client: &Client, queue: &str, prefix: &str, task: usize, start: Start) -> Tally {
    let deadline = start.wait().await;
    let mut tally = Tally::default();
    let mut seq = 0u64;
    while Instant::now() < deadline {
        let id = format!("{prefix}empty-{task}-{seq}");
        seq += 1;
        let began = Instant::now();
        let outcome = match once(client, queue, &id).await {
            Ok(()) => Outcome::Done {
                op: Op::EmptyWorkflow,
            },
            Err(error) => Outcome::Failed {
                op: Op::EmptyWorkflow,
                error,
            },
        };
        let failed = matches!(outcome, Outcome::Failed { .. });
        tally.record(outcome, began.elapsed().as_micros() as u64);
        if failed {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    tally
}

/// Starts one empty workflow and waits for its result; the error in words that do not vary per
/// workflow.
async fn once(client: &Client, queue: &str, id: &str) -> Result<(), String> {
    let handle = client
        .start_workflow(
            EmptyWorkflow::run,
            (),
            WorkflowStartOptions::new(queue.to_owned(), id.to_owned()).build(),
        )
        .await
        .map_err(|e| match e {
            WorkflowStartError::AlreadyStarted { .. } => "start: already started".to_owned(),
            WorkflowStartError::Rpc(status) => format!("start: {:?}", status.code()),
            other => format!("start: {other}"),
        })?;
    handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .map_err(|e| match e {
            WorkflowGetResultError::Rpc(status) => format!("result: {:?}", status.code()),
            WorkflowGetResultError::Failed(_) => "result: the workflow failed".to_owned(),
            other => format!("result: {other}"),
        })
}
