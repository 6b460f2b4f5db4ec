//! The campaign as a durable process end to end (MKT-3, WF-1, WF-7, WF-8): over HTTP with the real
//! Temporal and PostgreSQL, from draft to evaluated through both approvals, the timers, a pause;
//! the refusals that leave no trace; one workflow however often it is submitted; the SLA's
//! reminder and escalation once each; and the inbox, the monitor and the read model in step.

use chrono::{DateTime, Duration, Utc};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{ApiErrorBody, Browser, TestApp, spawn_app};
use quanyi_workflows::campaign::{CampaignWorkflow, workflow_id};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Instant;
use temporalio_client::WorkflowDescribeOptions;
use uuid::Uuid;

type Answer<T> = Result<T, (StatusCode, ApiErrorBody)>;

async fn get<T: serde::de::DeserializeOwned>(browser: &Browser, path: &str) -> Answer<T> {
    Browser::answer(browser.http.get(browser.url(path)).send().await.unwrap()).await
}

async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    browser
        .login(username, DEMO_PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{username} signs in: {e:?}"));
    browser
}

async fn org(app: &TestApp, code: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
        .bind(code)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn draft(org_id: Uuid, start_at: DateTime<Utc>, end_at: DateTime<Utc>) -> Value {
    json!({
        "name": "开门红 存款有礼", "type": "grant", "org_id": org_id,
        "channels": ["mobile_banking", "wechat"], "start_at": start_at, "end_at": end_at,
        "success_criteria": "新增存款 ≥ 1 亿元", "description": "一季度开门红",
        "rules": [{"name": "满减券", "budget_fen": 5_000_000, "template_code": "DEMO-MJ20"},
                  {"name": "立减金", "budget_fen": 1_000_000}]
    })
}

async fn upload(browser: &Browser, id: &str, csv: &str) -> Answer<Value> {
    let response = browser
        .http
        .post(browser.url(&format!("/api/v1/campaigns/{id}/customers")))
        .header("x-requested-with", "quanyi")
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    Browser::answer(response).await
}

async fn state_of(app: &TestApp, wf: &str) -> Option<String> {
    sqlx::query_scalar("SELECT state FROM process_instances WHERE workflow_id = $1")
        .bind(wf)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

async fn wait_for(app: &TestApp, wf: &str, state: &str, within: std::time::Duration) {
    let deadline = Instant::now() + within;
    loop {
        let now = state_of(app, wf).await;
        if now.as_deref() == Some(state) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{wf} did not reach {state} (at {now:?})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn transitions(app: &TestApp, wf: &str) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as("SELECT event, to_state, actor FROM process_transitions WHERE workflow_id = $1 ORDER BY seq")
        .bind(wf)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

async fn todo(browser: &Browser) -> Vec<Value> {
    let page: Value = get(browser, "/api/v1/tasks?tab=todo").await.unwrap();
    page["items"].as_array().unwrap().clone()
}

async fn history_length(wf: &str) -> usize {
    let client = quanyi_activities::temporal::connect(
        &quanyi_tests::harness::stack().temporal_url,
        "default",
    )
    .await
    .unwrap();
    client
        .get_workflow_handle::<CampaignWorkflow>(wf)
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap()
        .history_length()
        .try_into()
        .unwrap()
}

async fn decide(browser: &Browser, task: &str, decision: &str, comment: &str) -> Answer<Value> {
    browser
        .post_json(
            &format!("/api/v1/tasks/{task}/decision"),
            json!({"decision": decision, "comment": comment}),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_goes_from_draft_to_evaluated_through_both_approvals_and_its_timers() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    let monitor = signed_in(&app, "monitor").await;
    // the planner holds the 初审 role too: the rule against approving one's own submission bites
    sqlx::query(
        "INSERT INTO user_roles (user_id, role_id)
         SELECT u.id, r.id FROM users u, roles r WHERE u.username = 'planner' AND r.code = 'first_reviewer'",
    )
    .execute(&mut app.owner_connection().await)
    .await
    .unwrap();

    let start = Utc::now() + Duration::seconds(8);
    let body = draft(org(&app, "SB0101").await, start, start + Duration::seconds(6));
    let created: Value = planner.post_json("/api/v1/campaigns", body).await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let wf = workflow_id(&id);
    assert_eq!(created["state"], "Draft");
    assert_eq!(created["budget_fen"], 6_000_000, "the rules share the budget");
    assert!(created["code"].as_str().unwrap().starts_with("HD"));
    assert_eq!(
        created["process"]["allowed_actions"],
        json!(["edit", "upload_customers", "submit"])
    );

    let report = upload(
        &planner,
        &id,
        "customer_no\nC000000001\nC000000002\nC000000001\nbad!\r\nC000000003",
    )
    .await
    .unwrap();
    assert_eq!(
        (
            &report["total_rows"],
            &report["accepted"],
            &report["duplicates"],
            &report["invalid"]
        ),
        (&json!(5), &json!(3), &json!(1), &json!(1))
    );
    let problems: Vec<(i64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(problems, [(4, "QY-CAMP-0102"), (5, "QY-CAMP-0101")]);

    // submit: the process starts and opens 初审 at the campaign's branch
    let status: Value = planner
        .post_json(&format!("/api/v1/campaigns/{id}/submit"), json!({"comment": "请审批"}))
        .await
        .unwrap();
    assert_eq!(status["state"], "FirstReview");
    assert_eq!(status["allowed_actions"], json!(["withdraw"]));
    let not_draft = planner
        .no_content(
            reqwest::Method::PUT,
            format!("/api/v1/campaigns/{id}"),
            Some(draft(org(&app, "SB0101").await, start, start + Duration::seconds(6))),
        )
        .await
        .unwrap_err();
    assert_eq!(not_draft, "QY-CAMP-0003", "after submission a draft edit is refused");

    assert!(todo(&reviewer2).await.is_empty(), "复核 has nothing yet");
    let mine: Value = get(&planner, "/api/v1/tasks?tab=mine").await.unwrap();
    assert_eq!(mine["total"], 1);
    let tasks = todo(&reviewer1).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["level_name"], "初审");
    assert_eq!(tasks[0]["state"], "FirstReview");
    let first = tasks[0]["id"].as_str().unwrap().to_owned();
    let counts: Value = get(&reviewer1, "/api/v1/tasks/counts").await.unwrap();
    assert_eq!(counts["todo"], 1);

    // refused with codes and no trace: own submission, wrong role, nothing moved
    let before = history_length(&wf).await;
    let (status_code, own) = decide(&planner, &first, "approve", "").await.unwrap_err();
    assert_eq!((status_code, own.code.as_str()), (StatusCode::FORBIDDEN, "QY-PROC-0003"));
    let (_, wrong_role) = decide(&reviewer2, &first, "approve", "").await.unwrap_err();
    assert_eq!(wrong_role.code, "QY-PROC-0004", "复核 may not decide 初审");
    let (_, no_comment) = decide(&reviewer1, &first, "reject", " ").await.unwrap_err();
    assert_eq!(no_comment.code, "QY-PROC-0010");
    assert_eq!(
        history_length(&wf).await,
        before,
        "refused updates leave no trace in the workflow history"
    );

    // two concurrent approvals of the one level: exactly one is recorded
    let (a, b) = tokio::join!(
        decide(&reviewer1, &first, "approve", "同意"),
        decide(&reviewer1, &first, "approve", "同意")
    );
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    let loser = a.err().or(b.err()).unwrap();
    assert_eq!(loser.1.code, "QY-PROC-0005");
    assert_eq!(state_of(&app, &wf).await.as_deref(), Some("SecondReview"));
    assert!(todo(&reviewer1).await.is_empty());
    let done: Value = get(&reviewer1, "/api/v1/tasks?tab=done").await.unwrap();
    assert_eq!(done["items"][0]["outcome"], "approve");

    let tasks = todo(&reviewer2).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["level_name"], "复核");
    let second = tasks[0]["id"].as_str().unwrap().to_owned();
    let status = decide(&reviewer2, &second, "approve", "同意发布").await.unwrap();
    assert_eq!(status["state"], "Scheduled");
    assert_eq!(status["pending_timers"][0]["name"], "start");

    // the monitor sees it scheduled, with its diagram and timeline
    let listed: Value = get(&monitor, "/api/v1/processes?state=Scheduled&process_type=campaign")
        .await
        .unwrap();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["workflow_id"] == wf.as_str())
    );
    let detail: Value = get(&monitor, &format!("/api/v1/processes/{wf}")).await.unwrap();
    assert_eq!(detail["state"], "Scheduled");
    assert_eq!(detail["diagram"]["states"].as_array().unwrap().len(), 10);
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 4);
    // not allowed in this state: refused with its code
    let (_, early) = planner
        .post_json::<Value>(
            &format!("/api/v1/campaigns/{id}/actions"),
            json!({"action": "pause"}),
        )
        .await
        .unwrap_err();
    assert_eq!(early.code, "QY-PROC-0002");

    // the start timer: running; pause and resume; the end timer: ended, then evaluated
    wait_for(&app, &wf, "Running", std::time::Duration::from_secs(20)).await;
    let paused: Value = planner
        .post_json(
            &format!("/api/v1/campaigns/{id}/actions"),
            json!({"action": "pause", "comment": "渠道维护"}),
        )
        .await
        .unwrap();
    assert_eq!(paused["state"], "Paused");
    let resumed: Value = planner
        .post_json(
            &format!("/api/v1/campaigns/{id}/actions"),
            json!({"action": "resume"}),
        )
        .await
        .unwrap();
    assert_eq!(resumed["state"], "Running");
    wait_for(&app, &wf, "Evaluated", std::time::Duration::from_secs(30)).await;

    let rows = transitions(&app, &wf).await;
    let events: Vec<&str> = rows.iter().map(|(e, _, _)| e.as_str()).collect();
    assert_eq!(
        events,
        [
            "Start",
            "Submit",
            "ApproveLevel",
            "ApproveFinal",
            "StartTime",
            "Pause",
            "Resume",
            "EndTime",
            "Evaluated"
        ],
        "every transition once, in order"
    );
    assert_eq!(rows[2].2.as_deref(), Some("reviewer1"));
    assert_eq!(rows[3].2.as_deref(), Some("reviewer2"));
    let campaign: Value = get(&planner, &format!("/api/v1/campaigns/{id}")).await.unwrap();
    assert_eq!(campaign["state"], "Evaluated");
    assert_eq!(campaign["evaluation"]["customers"], 3);
    assert_eq!(campaign["evaluation"]["claims"], 0);
    assert_eq!(campaign["timeline"].as_array().unwrap().len(), 9);
    // the submitter heard of the approval once
    let notices: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE key LIKE $1 || '/%/submitter'",
    )
    .bind(&wf)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(notices, 1);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'process.action.take' AND target = $1 AND result = 'refused'",
    )
    .bind(&wf)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(audited >= 3, "refused actions are on the record too");
}
