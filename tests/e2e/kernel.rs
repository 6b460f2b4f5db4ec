//! The process kernel takes a new kind without a change outside it: the errand, defined only in
//! the tests and registered at run time, runs on the shipped approval host through the real inbox,
//! monitor, diagram and kinds endpoints; its refusals answer their exact codes and leave nothing in
//! its history; its decision is answered with the state it leads to, no polling.

use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::errand::{self, ErrandInput, ErrandWorkflow};
use quanyi_tests::harness::{Browser, TestApp, spawn_app};
use quanyi_workflows::approval::{Actor, Policy};
use serde_json::{Value, json};
use temporalio_client::WorkflowDescribeOptions;
use temporalio_common::UntypedWorkflow;

async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    browser.login(username, DEMO_PASSWORD).await.unwrap();
    browser
}

/// The workflow's view of a demo user, as the API vouches for it.
async fn actor(app: &TestApp, username: &str) -> (Actor, uuid::Uuid) {
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let viewer = quanyi_activities::process::inbox::viewer(&app.pool, id)
        .await
        .unwrap()
        .unwrap();
    let actor = Actor {
        user_id: id.to_string(),
        username: username.into(),
        display_name: username.into(),
        org_path: viewer.org_path,
        roles: viewer.roles,
    };
    (actor, viewer.org_id)
}

async fn history_length(workflow_id: &str) -> usize {
    let client = quanyi_activities::temporal::connect(
        &quanyi_tests::harness::stack().temporal_url,
        "default",
    )
    .await
    .unwrap();
    client
        .get_workflow_handle::<UntypedWorkflow>(workflow_id)
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap()
        .history_length()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_defined_in_the_tests_runs_through_host_inbox_monitor_and_diagram() {
    let kind = errand::kind();
    let app = spawn_app().await;
    let _worker = app
        .start_worker_registering(Default::default(), |options| {
            options
                .register_workflow::<ErrandWorkflow>()
                .expect("the errand registers");
        })
        .await;
    let (planner, org) = actor(&app, "planner").await;
    // one level: the head office's second reviewers
    let mut policy: Policy =
        quanyi_activities::process::inbox::policy_for(&app.pool, "campaign-change", "*")
            .await
            .unwrap()
            .unwrap();
    policy.levels.truncate(1);
    let key = uuid::Uuid::new_v4().to_string();
    let input = ErrandInput {
        key: key.clone(),
        title: "测试事项一".into(),
        org_id: org.to_string(),
        chain: quanyi_activities::campaign::org_chain(&app.pool, org)
            .await
            .unwrap(),
        submitted_by: planner.clone(),
        policy,
    };
    let (workflow_id, view) =
        quanyi_api::process::start(&app.state, kind, ErrandWorkflow::run, input, &key, &planner)
            .await
            .expect("the errand starts");
    assert_eq!(workflow_id, format!("errand-{key}"));
    assert_eq!(
        view.state, "InReview",
        "answered once its first task is open"
    );
    assert_eq!(view.allowed_actions, ["withdraw"]);

    // the kinds endpoint and the monitor know it
    let reviewer = signed_in(&app, "reviewer2").await;
    let kinds: Vec<Value> = reviewer.get_json("/api/v1/process-kinds").await.unwrap();
    let errand = kinds
        .iter()
        .find(|k| k["code"] == "errand")
        .expect("the registered kind is listed");
    assert_eq!(errand["label_zh"], "测试事项");
    let monitor = signed_in(&app, "monitor").await;
    let page: Value = monitor
        .get_json("/api/v1/processes?process_type=errand")
        .await
        .unwrap();
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["workflow_id"] == workflow_id.as_str()),
        "{page}"
    );
    let detail: Value = monitor
        .get_json(&format!("/api/v1/processes/{workflow_id}"))
        .await
        .unwrap();
    let states: Vec<&str> = detail["diagram"]["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["Requested", "InReview", "Done"]);
    assert_eq!(
        detail["diagram"]["transitions"].as_array().unwrap().len(),
        4
    );
    assert_eq!(detail["state"], "InReview");

    // the reviewer's inbox has its task
    let todo: Value = reviewer.get_json("/api/v1/tasks?tab=todo").await.unwrap();
    let task = todo["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["workflow_id"] == workflow_id.as_str())
        .expect("the errand's task is in the inbox")
        .clone();
    assert_eq!(task["process_type"], "errand");
    let task_id = task["id"].as_str().unwrap();

    // refused decisions answer their exact code and leave nothing in the history
    let before = history_length(&workflow_id).await;
    let own = signed_in(&app, "planner").await;
    let refused = own
        .post_json::<Value>(
            &format!("/api/v1/tasks/{task_id}/decision"),
            json!({"decision": "approve"}),
        )
        .await
        .unwrap_err();
    assert!(
        ["QY-PROC-0003", "QY-AUTH-0003"].contains(&refused.1.code.as_str()),
        "{refused:?}"
    );
    let outsider = signed_in(&app, "reviewer1").await;
    let refused = outsider
        .post_json::<Value>(
            &format!("/api/v1/tasks/{task_id}/decision"),
            json!({"decision": "approve"}),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.1.code, "QY-PROC-0004", "{refused:?}");
    assert_eq!(history_length(&workflow_id).await, before);

    // the decision's answer already shows where it led
    let status: Value = reviewer
        .post_json(
            &format!("/api/v1/tasks/{task_id}/decision"),
            json!({"decision": "approve", "comment": "同意"}),
        )
        .await
        .unwrap();
    assert_eq!(status["state"], "Done");
    assert_eq!(status["open_tasks"], json!([]));
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT event FROM process_transitions WHERE workflow_id = $1 ORDER BY seq",
    )
    .bind(&workflow_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(events, ["Start", "Submit", "ApproveFinal"]);
    let notices: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE workflow_id = $1 AND kind = 'submitter'",
    )
    .bind(&workflow_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(notices >= 1, "the submitter hears of the decision");
}

/// Only `ProcessKind` knows type strings and workflow ids: no shipped Rust source compares a type
/// string, builds an id from a prefix or parses one (`workflows/src/kind.rs` owns them all).
#[test]
fn no_source_outside_process_kind_spells_a_type_string_or_an_id_prefix() {
    let root = quanyi_tests::harness::repo_root();
    let codes: Vec<&str> = quanyi_workflows::kind::ProcessKind::BUILT_IN
        .iter()
        .map(|k| k.code())
        .collect();
    let mut patterns = Vec::new();
    for code in &codes {
        patterns.extend([
            format!("\"{code}-"),
            format!("'{code}-'"),
            format!("== \"{code}\""),
            format!("== '{code}'"),
            format!("= '{code}'"),
            format!("strip_prefix(\"{code}"),
            format!("starts_with(\"{code}"),
        ]);
    }
    let mut found = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = [
        "api/src",
        "activities/src",
        "workflows/src",
        "worker/src",
        "src",
    ]
    .iter()
    .map(|d| root.join(d))
    .collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("workflows/src/kind.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // unit tests below `#[cfg(test)]` may spell ids as data
        for (n, line) in text
            .lines()
            .enumerate()
            .take_while(|(_, l)| !l.contains("#[cfg(test)]"))
        {
            let code = line.split("//").next().unwrap_or_default();
            if patterns.iter().any(|p| code.contains(p.as_str())) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "type strings outside ProcessKind:\n{}",
        found.join("\n")
    );
}
