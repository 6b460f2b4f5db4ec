//! The process plumbing end to end: the probe workflow records its transitions through the
//! shipped activity, survives its worker being SIGKILLed mid-timer, refuses a bad update without
//! a trace, and the read model holds each transition exactly once.

use quanyi_tests::harness::{TestApp, spawn_app};
use quanyi_tests::probe::{self, Confirmation, ProbeInput, ProbeStatus, ProbeWorkflow};
use secrecy::ExposeSecret;
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use temporalio_client::{
    WorkflowDescribeOptions, WorkflowGetResultOptions, WorkflowHistory, WorkflowQueryOptions,
};
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

/// The test worker binary as a child process, so it can be killed for real.
pub(crate) struct WorkerProcess(Child);

impl WorkerProcess {
    pub(crate) fn start(app: &TestApp) -> Self {
        Self::spawn(app, None)
    }

    /// A worker that reaches the core banking system at `core_url` (onboarding's account check).
    pub(crate) fn start_with_core(app: &TestApp, core_url: &str) -> Self {
        Self::spawn(app, Some(core_url))
    }

    fn spawn(app: &TestApp, core_url: Option<&str>) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_quanyi-test-worker"));
        command
            .env("DATABASE_URL", app.database_url.expose_secret())
            .env("TEMPORAL_URL", &quanyi_tests::harness::stack().temporal_url)
            .env("TASK_QUEUE", &app.task_queue)
            .env("DATA_KEY", quanyi_tests::harness::data_key_base64());
        if let Some(url) = core_url {
            command.env("CORE_URL", url);
        }
        Self(command.spawn().expect("start the test worker"))
    }

    pub(crate) fn kill(&mut self) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.0.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .expect("SIGKILL the worker");
        self.0.wait().expect("reap the worker");
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn transitions(
    app: &TestApp,
    workflow_id: &str,
) -> Vec<(i32, Option<String>, String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT seq, from_state, to_state, event, actor FROM process_transitions WHERE workflow_id = $1 ORDER BY seq",
    )
    .bind(workflow_id)
    .fetch_all(&app.pool)
    .await
    .expect("read transitions")
}

async fn wait_for_state(app: &TestApp, workflow_id: &str, state: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let current: Option<String> =
            sqlx::query_scalar("SELECT state FROM process_instances WHERE workflow_id = $1")
                .bind(workflow_id)
                .fetch_optional(&app.pool)
                .await
                .expect("read the instance");
        if current.as_deref() == Some(state) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{workflow_id} did not reach {state} (at {current:?})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_is_replaced_and_the_process_completes_with_each_transition_once() {
    let app = spawn_app().await;
    let key = uuid::Uuid::new_v4().simple().to_string();
    let workflow_id = probe::workflow_id(&key);
    let mut worker = WorkerProcess::start(&app);
    let input = ProbeInput {
        key: key.clone(),
        timer_ms: 4_000,
        started_by: "alice".into(),
    };
    let handle =
        quanyi_api::process::launch(&app.state, probe::kind(), ProbeWorkflow::run, input, &key)
            .await
            .expect("the probe starts");

    // The first transition is recorded, the timer is running: kill the worker for real.
    wait_for_state(&app, &workflow_id, "Waiting", Duration::from_secs(20)).await;
    worker.kill();
    let _replacement = WorkerProcess::start(&app);

    wait_for_state(
        &app,
        &workflow_id,
        "AwaitingConfirmation",
        Duration::from_secs(30),
    )
    .await;
    let status: ProbeStatus = handle
        .query(ProbeWorkflow::status, (), WorkflowQueryOptions::default())
        .await
        .unwrap();
    assert_eq!(
        status,
        ProbeStatus {
            state: "AwaitingConfirmation".into(),
            seq: 2
        }
    );

    // A refused update leaves no trace in the history.
    let before = handle
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap()
        .history_length();
    let own = Confirmation {
        actor: "alice".into(),
        comment: "mine".into(),
    };
    let refused = handle
        .execute_update(ProbeWorkflow::confirm, own, Default::default())
        .await;
    assert!(
        format!("{:?}", refused.expect_err("own submission refused"))
            .contains("QY-PROC-OWN-SUBMISSION")
    );
    let after = handle
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap()
        .history_length();
    assert_eq!(before, after, "the refused update is not in the history");

    let bob = Confirmation {
        actor: "bob".into(),
        comment: "同意".into(),
    };
    let accepted = handle
        .execute_update(ProbeWorkflow::confirm, bob, Default::default())
        .await
        .unwrap();
    assert_eq!(accepted, "accepted");
    let result = handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .unwrap();
    assert_eq!(result, "Done");

    let rows = transitions(&app, &workflow_id).await;
    assert_eq!(
        rows,
        vec![
            (
                1,
                None,
                "Waiting".into(),
                "Start".into(),
                Some("alice".into())
            ),
            (
                2,
                Some("Waiting".into()),
                "AwaitingConfirmation".into(),
                "TimerFired".into(),
                None
            ),
            (
                3,
                Some("AwaitingConfirmation".into()),
                "Done".into(),
                "Confirm".into(),
                Some("bob".into())
            ),
        ],
        "every transition exactly once, in order"
    );
    let (state, last_seq, ended): (String, i32, bool) = sqlx::query_as(
        "SELECT state, last_seq, ended_at IS NOT NULL FROM process_instances WHERE workflow_id = $1",
    )
    .bind(&workflow_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((state.as_str(), last_seq, ended), ("Done", 3, true));
    assert_eq!(
        app.metric("workflow_starts_total{process_type=\"probe\"}")
            .await,
        1.0
    );

    // The history of this run, with its kill and its refused update, replays deterministically;
    // `RECORD_HISTORIES=1` refreshes the committed copy the replay test below uses.
    let history = handle
        .fetch_history(Default::default())
        .to_json()
        .await
        .unwrap();
    replayer()
        .replay_workflow(WorkflowHistory::from_json(&history).unwrap())
        .await
        .expect("replays");
    if std::env::var_os("RECORD_HISTORIES").is_some() {
        std::fs::write(history_file(), &history).unwrap();
    }
}

fn history_file() -> std::path::PathBuf {
    quanyi_tests::harness::repo_root().join("tests/histories/probe.json")
}

fn replayer() -> WorkflowReplayer {
    let options = WorkflowReplayerOptions::new()
        .register_workflow::<ProbeWorkflow>()
        .expect("the probe registers")
        .build();
    WorkflowReplayer::new(options).expect("a replayer")
}

/// The committed history of a probe run replays against today's code: a change to the workflow
/// that would break running processes fails here, not in production.
#[tokio::test]
async fn the_recorded_probe_history_replays() {
    let bytes = std::fs::read(history_file()).expect("tests/histories/probe.json is committed");
    replayer()
        .replay_workflow(WorkflowHistory::from_json(&bytes).unwrap())
        .await
        .expect("the recorded history replays without nondeterminism");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_business_key_cannot_start_a_second_process() {
    let app = spawn_app().await;
    let key = uuid::Uuid::new_v4().simple().to_string();
    let input = || ProbeInput {
        key: key.clone(),
        timer_ms: 60_000,
        started_by: "alice".into(),
    };
    let first =
        quanyi_api::process::launch(&app.state, probe::kind(), ProbeWorkflow::run, input(), &key)
            .await
            .expect("the first start");
    let second =
        quanyi_api::process::launch(&app.state, probe::kind(), ProbeWorkflow::run, input(), &key)
            .await;
    assert_eq!(second.err().map(|e| e.code.code()), Some("QY-PROC-0001"));
    assert_eq!(
        app.metric("workflow_starts_total{process_type=\"probe\"}")
            .await,
        1.0
    );
    assert_eq!(
        app.metric("workflow_start_failures_total{process_type=\"probe\"}")
            .await,
        1.0
    );
    first.terminate(Default::default()).await.expect("clean up");
}

#[tokio::test]
async fn recording_a_transition_twice_writes_it_once() {
    use quanyi_workflows::process::{RecordOutcome, TransitionRecord};
    let app = spawn_app().await;
    let first = TransitionRecord {
        workflow_id: probe::workflow_id("direct"),
        process_type: probe::kind(),
        business_key: "direct".into(),
        org_id: None,
        started_by: Some("alice".into()),
        seq: 1,
        from_state: None,
        to_state: "Waiting".into(),
        event: "Start".into(),
        actor: Some("alice".into()),
        comment: None,
        at: chrono::Utc::now(),
        ended: false,
        title: None,
    };
    let second = first.next("AwaitingConfirmation", "TimerFired", chrono::Utc::now());
    let record = |r: TransitionRecord| {
        let pool = app.pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            let outcome = quanyi_activities::process::record_transition(&mut tx, &r)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            outcome
        }
    };
    assert_eq!(record(first.clone()).await, RecordOutcome::Written);
    assert_eq!(record(second.clone()).await, RecordOutcome::Written);
    // retries, including a late retry of the first step, change nothing
    assert_eq!(record(second).await, RecordOutcome::AlreadyRecorded);
    assert_eq!(record(first).await, RecordOutcome::AlreadyRecorded);
    assert_eq!(transitions(&app, "probe-direct").await.len(), 2);
    let state: String = sqlx::query_scalar(
        "SELECT state FROM process_instances WHERE workflow_id = 'probe-direct'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        state, "AwaitingConfirmation",
        "a late retry never moves the instance back"
    );
}
