//! 库存变动审批 (BEN-1 with WF-7): an increase above the threshold waits for the durable process
//! `stock-change-<id>`; approved, the stock is added exactly once by the approver; rejected, never.
//! The stock books balance throughout.

use quanyi_activities::benefits::conservation;
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{ApiErrorBody, Browser, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use temporalio_client::WorkflowHistory;

type Answer<T> = Result<T, (StatusCode, ApiErrorBody)>;

async fn get<T: serde::de::DeserializeOwned>(browser: &Browser, path: &str) -> Answer<T> {
    Browser::answer(browser.http.get(browser.url(path)).send().await.unwrap()).await
}

async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    browser.login(username, DEMO_PASSWORD).await.unwrap();
    browser
}

/// The template's remaining stock and its increase ledger rows.
async fn stock(app: &TestApp) -> (i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT sum(remaining)::bigint FROM stock_shards s WHERE s.template_id = t.id),
                (SELECT count(*) FROM stock_movements m WHERE m.template_id = t.id AND m.kind = 'increase')
           FROM coupon_templates t WHERE t.code = 'DEMO-MJ20'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn change(planner: &Browser, quantity: i64) -> reqwest::Response {
    planner
        .http
        .post(planner.url("/api/v1/benefits/templates/DEMO-MJ20/stock"))
        .header("x-requested-with", "quanyi")
        .json(&json!({"action": "increase", "quantity": quantity, "reason": "节日加量"}))
        .send()
        .await
        .unwrap()
}

async fn the_task(reviewer: &Browser) -> String {
    let page: Value = get(reviewer, "/api/v1/tasks?tab=todo&process_type=stock-change")
        .await
        .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["level_name"], "库存审批");
    page["items"][0]["id"].as_str().unwrap().to_owned()
}

async fn decide(reviewer: &Browser, task: &str, decision: &str) -> Answer<Value> {
    reviewer
        .post_json(
            &format!("/api/v1/tasks/{task}/decision"),
            json!({"decision": decision, "comment": "审核意见"}),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_increase_waits_for_its_approval_and_is_added_once() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    let (before, increases) = stock(&app).await;

    // at or under the threshold (1,000 in the tests): at once
    assert_eq!(
        change(&planner, 1_000).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(stock(&app).await, (before + 1_000, increases + 1));

    // above it: a request and its process; nothing added yet
    let response = change(&planner, 5_000).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let pending: Value = response.json().await.unwrap();
    let wf = pending["workflow_id"].as_str().unwrap().to_owned();
    assert!(wf.starts_with("stock-change-"));
    assert_eq!(pending["state"], "UnderReview");
    assert_eq!(stock(&app).await, (before + 1_000, increases + 1));
    let none: Value = get(
        &reviewer1,
        "/api/v1/tasks?tab=todo&process_type=stock-change",
    )
    .await
    .unwrap();
    assert_eq!(none["total"], 0, "初审 holds no stock approvals");

    // a refused decision answers its code and leaves nothing in the history
    let task = the_task(&reviewer2).await;
    let untouched = events(&history(&wf).await);
    let refused = decide(&reviewer1, &task, "approve").await.unwrap_err();
    assert_eq!(refused.1.code, "QY-PROC-0004", "{refused:?}");
    assert_eq!(
        events(&history(&wf).await),
        untouched,
        "the refusal is not in the history"
    );

    // two approvals at once: one recorded, the stock added once, by the approver
    let (a, b) = tokio::join!(
        decide(&reviewer2, &task, "approve"),
        decide(&reviewer2, &task, "approve")
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    assert_eq!(a.or(b).unwrap()["state"], "Applied");
    assert_eq!(stock(&app).await, (before + 6_000, increases + 2));
    let (status, decided_by): (String, Option<String>) =
        sqlx::query_as("SELECT status, decided_by FROM stock_change_requests")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), decided_by.as_deref()),
        ("applied", Some("reviewer2"))
    );
    let by: String = sqlx::query_scalar(
        "SELECT username FROM audit_log WHERE action = 'benefit.stock.increase' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(by, "reviewer2");

    // rejected: never added
    assert_eq!(change(&planner, 2_000).await.status(), StatusCode::ACCEPTED);
    let task = the_task(&reviewer2).await;
    let rejected = decide(&reviewer2, &task, "reject").await.unwrap();
    assert_eq!(rejected["state"], "Rejected");
    assert_eq!(stock(&app).await, (before + 6_000, increases + 2));

    // the monitor draws the stock-change machine and its timeline
    let monitor = signed_in(&app, "monitor").await;
    let detail: Value = get(&monitor, &format!("/api/v1/processes/{wf}"))
        .await
        .unwrap();
    assert_eq!(detail["state"], "Applied");
    let states: Vec<&str> = detail["diagram"]["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "Requested",
            "UnderReview",
            "Applied",
            "Rejected",
            "Withdrawn"
        ]
    );
    let events: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["Start", "Submit", "ApproveFinal"]);
    let (_, violations) = conservation::check(&app.pool).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");

    // the approved run's history replays; RECORD_HISTORIES=1 refreshes the committed copy
    let recorded = history(&wf).await;
    crate::histories::replayer()
        .replay_workflow(WorkflowHistory::from_json(&recorded).unwrap())
        .await
        .expect("replays");
    if std::env::var_os("RECORD_HISTORIES").is_some() {
        std::fs::write(crate::histories::path("stock-change-apply.json"), &recorded).unwrap();
    }
}

/// The event types of a history, in order.
fn events(history: &[u8]) -> Vec<i64> {
    let history: Value = serde_json::from_slice(history).unwrap();
    history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_i64().unwrap())
        .collect()
}

/// The process's history as JSON.
async fn history(workflow_id: &str) -> Vec<u8> {
    let client = quanyi_activities::temporal::connect(
        &quanyi_tests::harness::stack().temporal_url,
        "default",
    )
    .await
    .unwrap();
    client
        .get_workflow_handle::<quanyi_workflows::stock::StockChangeWorkflow>(workflow_id)
        .fetch_history(Default::default())
        .to_json()
        .await
        .unwrap()
}
