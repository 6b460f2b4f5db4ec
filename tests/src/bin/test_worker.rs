//! A worker process for the tests: the shipped registrations plus the probe workflow. Reads
//! `DATABASE_URL`, `TEMPORAL_URL`, `TASK_QUEUE` and, optionally, `CORE_URL` and `DATA_KEY` (the
//! test process's data key in base64); stops at SIGTERM, or dies at SIGKILL.

use quanyi_tests::probe::ProbeWorkflow;
use std::time::Duration;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    // the probe's kind, known before any of its activities arrives
    quanyi_tests::probe::kind();
    let var =
        |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the test"));
    let pool =
        quanyi_activities::store::pool(var("DATABASE_URL").parse().expect("database URL"), 4);
    let client = quanyi_activities::temporal::connect(&var("TEMPORAL_URL"), "default")
        .await
        .expect("Temporal is up");
    let settings = quanyi_worker::WorkerSettings {
        task_queue: var("TASK_QUEUE"),
        // short, so that a replacement worker picks up a killed one's workflows at once
        sticky_queue_timeout: Duration::from_secs(1),
        routing: Default::default(),
        core_url: std::env::var("CORE_URL").ok(),
        outbound: Default::default(),
        data_key: std::env::var("DATA_KEY").ok().map(|key| {
            quanyi_activities::crypto::DataKey::from_base64(&key).expect("DATA_KEY is a data key")
        }),
    };
    let mut options = quanyi_worker::options(&settings, pool);
    options
        .register_workflow::<ProbeWorkflow>()
        .expect("the probe registers");
    quanyi_worker::run(client, options, quanyi::shutdown_signal())
        .await
        .expect("the worker runs");
}
