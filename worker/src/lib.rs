//! The Temporal host: registers every Quanyi workflow and activity on one task queue and runs
//! until told to stop, finishing the tasks in hand.

pub mod housekeeping;

use quanyi_activities::benefits::admin::StockActivities;
use quanyi_activities::campaign::CampaignActivities;
use quanyi_activities::esb::outbound::{Outbound, OutboundSettings};
use quanyi_activities::inspection::InspectionActivities;
use quanyi_activities::mall::products::ListingActivities;
use quanyi_activities::merchants::account::AccountChangeActivities;
use quanyi_activities::merchants::status::MerchantStatusActivities;
use quanyi_activities::onboarding::{CoreBanking, OnboardingActivities};
use quanyi_activities::process::ProcessActivities;
use quanyi_workflows::account_change::AccountChangeWorkflow;
use quanyi_workflows::campaign::CampaignWorkflow;
use quanyi_workflows::inspection::{InspectionRoundWorkflow, InspectionWorkflow};
use quanyi_workflows::listing::ListingWorkflow;
use quanyi_workflows::merchant_status::MerchantStatusWorkflow;
use quanyi_workflows::onboarding::OnboardingWorkflow;
use quanyi_workflows::stock::StockChangeWorkflow;
use sqlx::PgPool;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use temporalio_client::Client;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("cannot start the Temporal worker runtime: {0}")]
    Runtime(String),
    #[error("cannot create the Temporal worker: {0}")]
    Create(String),
    #[error("the Temporal worker stopped with an error: {0}")]
    Run(String),
}

/// How the worker polls: the task queue, and how long a workflow task may wait on this worker's
/// sticky queue before any worker takes it (short in tests, so a killed worker is replaced fast).
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub task_queue: String,
    pub sticky_queue_timeout: Duration,
    /// Which notices go to SMS, the WeChat group and ESB callbacks (from `[notify]`, `[esb]`).
    pub routing: quanyi_activities::notify::Routing,
    /// Where the core banking system's account check is reached over the ESB (merchant
    /// onboarding); unset: provisioning waits, retried, for a worker that has it.
    pub core_url: Option<String>,
    /// The outbound client's timeouts, retries and breaker (`[outbound]`).
    pub outbound: OutboundSettings,
    /// The installation's data key (`api.data_key`): seals the one-time password of a
    /// provisioned merchant administrator in its SMS row; unset: provisioning waits, retried.
    pub data_key: Option<quanyi_activities::crypto::DataKey>,
}

/// Worker options with every shipped workflow and activity registered. Callers may register more
/// (the test suite adds its own workflows) before passing them to [`run`].
pub fn options(settings: &WorkerSettings, pool: PgPool) -> WorkerOptions {
    let mut options = WorkerOptions::new(settings.task_queue.clone())
        .sticky_queue_schedule_to_start_timeout(settings.sticky_queue_timeout)
        .graceful_shutdown_period(Duration::from_secs(10))
        .build();
    options.register_activities(ProcessActivities::new(
        pool.clone(),
        settings.routing.clone(),
    ));
    options.register_activities(CampaignActivities::new(pool.clone()));
    options.register_activities(InspectionActivities::new(
        pool.clone(),
        settings.routing.clone(),
    ));
    let core = settings.core_url.as_ref().map(|url| CoreBanking {
        outbound: Arc::new(
            Outbound::new(pool.clone(), settings.outbound.clone())
                .expect("the outbound HTTP client builds"),
        ),
        url: url.clone(),
    });
    options.register_activities(AccountChangeActivities::new(pool.clone(), core.clone()));
    options.register_activities(OnboardingActivities::new(
        pool.clone(),
        core,
        settings.data_key.clone(),
    ));
    options.register_activities(MerchantStatusActivities::new(pool.clone()));
    options.register_activities(ListingActivities::new(pool.clone()));
    options.register_activities(StockActivities::new(pool));
    options
        .register_workflow::<CampaignWorkflow>()
        .expect("the campaign workflow registers once");
    options
        .register_workflow::<StockChangeWorkflow>()
        .expect("the stock-change workflow registers once");
    options
        .register_workflow::<OnboardingWorkflow>()
        .expect("the onboarding workflow registers once");
    options
        .register_workflow::<MerchantStatusWorkflow>()
        .expect("the merchant-status workflow registers once");
    options
        .register_workflow::<AccountChangeWorkflow>()
        .expect("the settlement-account-change workflow registers once");
    options
        .register_workflow::<ListingWorkflow>()
        .expect("the listing workflow registers once");
    options
        .register_workflow::<InspectionWorkflow>()
        .expect("the inspection workflow registers once");
    options
        .register_workflow::<InspectionRoundWorkflow>()
        .expect("the inspection round workflow registers once");
    options
}

/// Brings the inspection plans' Temporal Schedules of `task_queue` in line with the plans, before
/// the worker polls: a plan and its schedule never drift, whatever happened while no worker ran.
/// A failure is logged, not fatal: the next start tries again.
pub async fn reconcile_schedules(client: &Client, pool: &PgPool, task_queue: &str) {
    match quanyi_activities::inspection::schedule::reconcile(client, pool, task_queue).await {
        Ok(done) => tracing::info!(
            upserted = done.upserted,
            deleted = done.deleted,
            "inspection plan schedules reconciled"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot reconcile the inspection plan schedules"),
    }
}

/// Runs a worker until `shutdown` resolves, then drains it.
pub async fn run(
    client: Client,
    options: WorkerOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), WorkerError> {
    let runtime = Runtime::from_current_tokio(Default::default())
        .map_err(|e| WorkerError::Runtime(e.to_string()))?;
    let task_queue = options.task_queue.clone();
    let mut worker =
        Worker::new(&runtime, client, options).map_err(|e| WorkerError::Create(e.to_string()))?;
    let stop = worker.shutdown_handle();
    tracing::info!(task_queue, "Temporal worker polling");
    let run = worker.run();
    let mut run = std::pin::pin!(run);
    tokio::select! {
        result = &mut run => return result.map_err(|e| WorkerError::Run(e.to_string())),
        () = shutdown => {}
    }
    tracing::info!("Temporal worker draining");
    stop();
    run.await.map_err(|e| WorkerError::Run(e.to_string()))
}
