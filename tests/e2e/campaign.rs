//! The campaign as a durable process end to end (MKT-3, WF-1, WF-7, WF-8): over HTTP with the real
//! Temporal and PostgreSQL, from draft to evaluated through both approvals, the timers, a pause;
//! the refusals that leave no trace; one workflow however often it is submitted; the SLA's
//! reminder and escalation once each; and the inbox, the monitor and the read model in step.

use chrono::{DateTime, Duration, Utc};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{ApiErrorBody, Browser, TestApp, spawn_app};
use quanyi_workflows::campaign::CampaignWorkflow;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Instant;
use temporalio_client::{WorkflowDescribeOptions, WorkflowHistory};
use uuid::Uuid;

pub(crate) fn workflow_id(campaign_id: &str) -> String {
    quanyi_workflows::kind::ProcessKind::Campaign.workflow_id(campaign_id)
}

pub(crate) type Answer<T> = Result<T, (StatusCode, ApiErrorBody)>;

pub(crate) async fn get<T: serde::de::DeserializeOwned>(
    browser: &Browser,
    path: &str,
) -> Answer<T> {
    Browser::answer(browser.http.get(browser.url(path)).send().await.unwrap()).await
}

pub(crate) async fn put(browser: &Browser, path: &str, body: Value) -> Answer<Value> {
    let response = browser
        .http
        .put(browser.url(path))
        .header("x-requested-with", "quanyi")
        .json(&body)
        .send()
        .await
        .unwrap();
    Browser::answer(response).await
}

pub(crate) async fn signed_in(app: &TestApp, username: &str) -> Browser {
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

pub(crate) async fn wait_for(app: &TestApp, wf: &str, state: &str, within: std::time::Duration) {
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

pub(crate) async fn transitions(app: &TestApp, wf: &str) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as("SELECT event, to_state, actor FROM process_transitions WHERE workflow_id = $1 ORDER BY seq")
        .bind(wf)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

pub(crate) async fn todo(browser: &Browser) -> Vec<Value> {
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
}

pub(crate) async fn decide(
    browser: &Browser,
    task: &str,
    decision: &str,
    comment: &str,
) -> Answer<Value> {
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
    let body = draft(
        org(&app, "SB0101").await,
        start,
        start + Duration::seconds(6),
    );
    let created: Value = planner.post_json("/api/v1/campaigns", body).await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let wf = workflow_id(&id);
    assert_eq!(created["state"], "Draft");
    assert_eq!(
        created["budget_fen"], 6_000_000,
        "the rules share the budget"
    );
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
        .post_json(
            &format!("/api/v1/campaigns/{id}/submit"),
            json!({"comment": "请审批"}),
        )
        .await
        .unwrap();
    assert_eq!(status["state"], "FirstReview");
    assert_eq!(status["allowed_actions"], json!(["withdraw"]));
    let (_, not_draft) = put(
        &planner,
        &format!("/api/v1/campaigns/{id}"),
        draft(
            org(&app, "SB0101").await,
            start,
            start + Duration::seconds(6),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(
        not_draft.code, "QY-CAMP-0003",
        "after submission a draft edit is refused"
    );

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
    assert_eq!(
        (status_code, own.code.as_str()),
        (StatusCode::FORBIDDEN, "QY-PROC-0003")
    );
    let (_, wrong_role) = decide(&reviewer2, &first, "approve", "").await.unwrap_err();
    assert_eq!(wrong_role.code, "QY-PROC-0004", "复核 may not decide 初审");
    let (_, no_comment) = decide(&reviewer1, &first, "reject", " ").await.unwrap_err();
    assert_eq!(no_comment.code, "QY-PROC-0010");
    assert_eq!(
        history_length(&wf).await,
        before,
        "refused updates leave no trace in the workflow history"
    );

    // four concurrent approvals of the one level: exactly one is recorded, each other refused
    // as already decided (validated in one activation or after the winner was taken)
    let outcomes =
        futures::future::join_all((0..4).map(|_| decide(&reviewer1, &first, "approve", "同意")))
            .await;
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    for loser in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert_eq!(loser.1.code, "QY-PROC-0005", "{outcomes:?}");
    }
    assert_eq!(state_of(&app, &wf).await.as_deref(), Some("SecondReview"));
    assert!(todo(&reviewer1).await.is_empty());
    let done: Value = get(&reviewer1, "/api/v1/tasks?tab=done").await.unwrap();
    assert_eq!(done["items"][0]["outcome"], "approve");

    let tasks = todo(&reviewer2).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["level_name"], "复核");
    let second = tasks[0]["id"].as_str().unwrap().to_owned();
    let status = decide(&reviewer2, &second, "approve", "同意发布")
        .await
        .unwrap();
    assert_eq!(status["state"], "Scheduled");
    assert_eq!(status["pending_timers"][0]["name"], "start");

    // the monitor sees it scheduled, with its diagram and timeline
    let listed: Value = get(
        &monitor,
        "/api/v1/processes?state=Scheduled&process_type=campaign",
    )
    .await
    .unwrap();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["workflow_id"] == wf.as_str())
    );
    let detail: Value = get(&monitor, &format!("/api/v1/processes/{wf}"))
        .await
        .unwrap();
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
    let campaign: Value = get(&planner, &format!("/api/v1/campaigns/{id}"))
        .await
        .unwrap();
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

/// A draft with a customer list of three, ready to submit.
pub(crate) async fn created(
    app: &TestApp,
    planner: &Browser,
    kind: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> String {
    let mut body = draft(org(app, "SB0101").await, start, end);
    body["type"] = json!(kind);
    let created: Value = planner.post_json("/api/v1/campaigns", body).await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    upload(
        planner,
        &id,
        "customer_no\nC000000001\nC000000002\nC000000003\n",
    )
    .await
    .unwrap();
    id
}

pub(crate) async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_however_often_submitted_and_a_returned_draft_goes_round_again() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let start = Utc::now() + Duration::days(3);
    let id = created(&app, &planner, "grant", start, start + Duration::days(7)).await;
    let wf = workflow_id(&id);
    let path = format!("/api/v1/campaigns/{id}/submit");

    let (a, b) = tokio::join!(
        planner.post_json::<Value>(&path, json!({})),
        planner.post_json::<Value>(&path, json!({}))
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    assert_eq!(a.err().or(b.err()).unwrap().1.code, "QY-PROC-0002");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM process_transitions WHERE workflow_id = $1 AND event = 'Start'",
            &wf
        )
        .await,
        1,
        "one workflow"
    );

    // 退回修改: back to Draft with the comment; the planner edits and submits again
    let task = todo(&reviewer1).await[0]["id"].as_str().unwrap().to_owned();
    let returned = decide(&reviewer1, &task, "return", "预算过高，请调整")
        .await
        .unwrap();
    assert_eq!(returned["state"], "Draft");
    let mut edited = draft(org(&app, "SB0101").await, start, start + Duration::days(7));
    edited["rules"] = json!([{"name": "满减券", "budget_fen": 2_000_000}]);
    let campaign = put(&planner, &format!("/api/v1/campaigns/{id}"), edited)
        .await
        .unwrap();
    assert_eq!(
        campaign["budget_fen"], 2_000_000,
        "a returned draft is edited freely"
    );
    assert_eq!(campaign["timeline"][2]["comment"], "预算过高，请调整");
    let resubmitted: Value = planner
        .post_json(&path, json!({"comment": "已调整"}))
        .await
        .unwrap();
    assert_eq!(resubmitted["state"], "FirstReview");
    assert_eq!(resubmitted["open_tasks"][0]["step"], "review-2");

    // the submitter withdraws; the open task closes unanswered; then the campaign is cancelled
    let withdrawn: Value = planner
        .post_json(
            &format!("/api/v1/campaigns/{id}/actions"),
            json!({"action": "withdraw"}),
        )
        .await
        .unwrap();
    assert_eq!(withdrawn["state"], "Draft");
    assert!(todo(&reviewer1).await.is_empty());
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM tasks WHERE workflow_id = $1 AND outcome = 'withdrawn'",
            &wf
        )
        .await,
        1
    );
    let cancelled: Value = planner
        .post_json(
            &format!("/api/v1/campaigns/{id}/actions"),
            json!({"action": "cancel"}),
        )
        .await
        .unwrap();
    assert_eq!(cancelled["state"], "Cancelled");
    let events: Vec<String> = transitions(&app, &wf)
        .await
        .into_iter()
        .map(|(e, _, _)| e)
        .collect();
    assert_eq!(
        events,
        ["Start", "Submit", "Return", "Submit", "Withdraw", "Cancel"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_sla_marks_the_task_overdue_reminds_and_escalates_once_each() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    // lottery campaigns get a policy of their own: 初审 in 4 s, reminded 2 s before, escalating
    sqlx::query(
        r#"INSERT INTO approval_policies (process_type, variant, label, levels, updated_by)
           VALUES ('campaign', 'lottery', '抽奖活动审批', '[
             {"name": "初审", "role": "first_reviewer", "org_rule": "branch", "sla_seconds": 4,
              "remind_before_seconds": 2, "escalate": true},
             {"name": "复核", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 3600,
              "remind_before_seconds": 0, "escalate": false}]', 'test')"#,
    )
    .execute(&mut app.owner_connection().await)
    .await
    .unwrap();
    let planner = signed_in(&app, "planner").await;
    let monitor = signed_in(&app, "monitor").await;
    let start = Utc::now() + Duration::days(1);
    let id = created(&app, &planner, "lottery", start, start + Duration::days(1)).await;
    let wf = workflow_id(&id);
    planner
        .post_json::<Value>(&format!("/api/v1/campaigns/{id}/submit"), json!({}))
        .await
        .unwrap();

    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let escalated = count(
            &app,
            "SELECT count(*) FROM tasks WHERE workflow_id = $1 AND escalated_at IS NOT NULL",
            &wf,
        )
        .await;
        if escalated == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the task was not escalated");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // another SLA period: nothing more is sent
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let (reminded, escalated_to): (bool, Option<String>) = sqlx::query_as(
        "SELECT t.reminded_at IS NOT NULL, o.code FROM tasks t LEFT JOIN orgs o ON o.id = t.escalated_org
          WHERE t.workflow_id = $1",
    )
    .bind(&wf)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(reminded);
    assert_eq!(
        escalated_to.as_deref(),
        Some("HO"),
        "the branch's superior may act now"
    );
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT key FROM notifications WHERE key LIKE $1 || '/%' ORDER BY key")
            .bind(&wf)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        keys,
        [
            format!("{wf}/review-1/1/escalate/reviewer1"),
            format!("{wf}/review-1/1/remind/reviewer1"),
        ],
        "one reminder and one escalation to the one candidate"
    );
    let overdue: Value = get(&monitor, "/api/v1/processes?overdue=true")
        .await
        .unwrap();
    assert_eq!(overdue["items"][0]["workflow_id"], wf.as_str());
    assert_eq!(overdue["items"][0]["overdue"], true);
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let tasks = todo(&reviewer1).await;
    assert_eq!(tasks[0]["overdue"], true);
    let counts: Value = get(&reviewer1, "/api/v1/tasks/counts").await.unwrap();
    assert_eq!(
        (counts["todo"].as_i64(), counts["overdue"].as_i64()),
        (Some(1), Some(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transferred_task_a_change_and_a_termination_each_through_their_approval() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    // a second 初审 approver at the branch, to transfer to
    let mut owner = app.owner_connection().await;
    sqlx::query(
        "INSERT INTO users (username, display_name, org_id, kind, password_hash, email)
         SELECT 'reviewer1b', '初审员乙', org_id, 'staff', password_hash, 'r1b@quanyi.example'
           FROM users WHERE username = 'reviewer1'",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO user_roles (user_id, role_id)
         SELECT u.id, r.id FROM users u, roles r WHERE u.username = 'reviewer1b' AND r.code = 'first_reviewer'",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let reviewer1b = signed_in(&app, "reviewer1b").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    let start = Utc::now() + Duration::seconds(3);
    let end = start + Duration::days(2);
    let id = created(&app, &planner, "seckill", start, end).await;
    let wf = workflow_id(&id);
    planner
        .post_json::<Value>(&format!("/api/v1/campaigns/{id}/submit"), json!({}))
        .await
        .unwrap();

    let task = todo(&reviewer1).await[0]["id"].as_str().unwrap().to_owned();
    let candidates: Vec<Value> = get(&reviewer1, &format!("/api/v1/tasks/{task}/candidates"))
        .await
        .unwrap();
    let names: Vec<&str> = candidates
        .iter()
        .map(|c| c["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["reviewer1b"],
        "the planner (submitter) and oneself are not candidates"
    );
    let planner_id: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'planner'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (_, wrong) = reviewer1
        .post_json::<Value>(
            &format!("/api/v1/tasks/{task}/transfer"),
            json!({"to_user_id": planner_id}),
        )
        .await
        .unwrap_err();
    assert_eq!(wrong.code, "QY-PROC-0006");
    reviewer1
        .post_json::<Value>(
            &format!("/api/v1/tasks/{task}/transfer"),
            json!({"to_user_id": candidates[0]["id"], "comment": "休假，请代审"}),
        )
        .await
        .unwrap();
    assert!(todo(&reviewer1).await.is_empty(), "transferred away");
    let (_, gone) = decide(&reviewer1, &task, "approve", "").await.unwrap_err();
    assert_eq!(gone.code, "QY-PROC-0004");
    decide(&reviewer1b, &task, "approve", "同意").await.unwrap();
    let second = todo(&reviewer2).await[0]["id"].as_str().unwrap().to_owned();
    decide(&reviewer2, &second, "approve", "同意")
        .await
        .unwrap();
    wait_for(&app, &wf, "Running", std::time::Duration::from_secs(20)).await;

    // 变更: a later end and a bigger budget, approved at head office; the campaign keeps running
    let new_end = end + Duration::days(5);
    let asked: Value = planner
        .post_json(
            &format!("/api/v1/campaigns/{id}/modifications"),
            json!({"end_at": new_end, "budget_fen": 9_000_000, "comment": "延期"}),
        )
        .await
        .unwrap();
    assert_eq!(asked["state"], "Running");
    assert_eq!(asked["change_request"]["kind"], "modify");
    let (_, busy) = planner
        .post_json::<Value>(
            &format!("/api/v1/campaigns/{id}/actions"),
            json!({"action": "terminate"}),
        )
        .await
        .unwrap_err();
    assert_eq!(busy.code, "QY-PROC-0002", "one change at a time");
    let change = todo(&reviewer2).await[0]["id"].as_str().unwrap().to_owned();
    decide(&reviewer2, &change, "approve", "同意延期")
        .await
        .unwrap();
    let campaign: Value = get(&planner, &format!("/api/v1/campaigns/{id}"))
        .await
        .unwrap();
    assert_eq!(campaign["budget_fen"], 9_000_000);
    assert_eq!(
        campaign["end_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
            .timestamp(),
        new_end.timestamp()
    );
    assert_eq!(campaign["process"]["pending_timers"][0]["name"], "end");

    // 终止: approved, the campaign ends early and is evaluated
    planner
        .post_json::<Value>(
            &format!("/api/v1/campaigns/{id}/actions"),
            json!({"action": "terminate", "comment": "预算用尽"}),
        )
        .await
        .unwrap();
    let stop = todo(&reviewer2).await[0]["id"].as_str().unwrap().to_owned();
    decide(&reviewer2, &stop, "approve", "同意终止")
        .await
        .unwrap();
    wait_for(&app, &wf, "Evaluated", std::time::Duration::from_secs(20)).await;
    let events: Vec<String> = transitions(&app, &wf)
        .await
        .into_iter()
        .map(|(e, _, _)| e)
        .collect();
    assert_eq!(
        events,
        [
            "Start",
            "Submit",
            "ApproveLevel",
            "ApproveFinal",
            "StartTime",
            "RequestChange",
            "ChangeApproved",
            "RequestTerminate",
            "TerminateApproved",
            "Evaluated"
        ]
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM audit_log WHERE action = 'campaign.campaign.change' AND target = $1", &id).await,
        1
    );
}

/// SIGKILL the worker while the process waits on its start timer, and restart the API: the
/// process goes on under a new worker, and no transition or notice happens twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_and_a_restarted_api_lose_nothing_and_repeat_nothing() {
    let mut app = spawn_app().await;
    let mut worker = crate::process::WorkerProcess::start(&app);
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    let start = Utc::now() + Duration::seconds(6);
    let id = created(&app, &planner, "grant", start, start + Duration::seconds(3)).await;
    let wf = workflow_id(&id);
    planner
        .post_json::<Value>(&format!("/api/v1/campaigns/{id}/submit"), json!({}))
        .await
        .unwrap();
    let first = todo(&reviewer1).await[0]["id"].as_str().unwrap().to_owned();
    decide(&reviewer1, &first, "approve", "同意").await.unwrap();
    let second = todo(&reviewer2).await[0]["id"].as_str().unwrap().to_owned();
    decide(&reviewer2, &second, "approve", "同意")
        .await
        .unwrap();
    assert_eq!(state_of(&app, &wf).await.as_deref(), Some("Scheduled"));

    worker.kill();
    app.restart_api().await;
    // the start time passes with no worker at all
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    assert_eq!(state_of(&app, &wf).await.as_deref(), Some("Scheduled"));
    let _replacement = crate::process::WorkerProcess::start(&app);
    wait_for(&app, &wf, "Evaluated", std::time::Duration::from_secs(40)).await;

    let planner = signed_in(&app, "planner").await;
    let campaign: Value = get(&planner, &format!("/api/v1/campaigns/{id}"))
        .await
        .unwrap();
    assert_eq!(
        campaign["state"], "Evaluated",
        "the restarted API sees it all"
    );
    let seqs: Vec<(i32, String)> = sqlx::query_as(
        "SELECT seq, event FROM process_transitions WHERE workflow_id = $1 ORDER BY seq",
    )
    .bind(&wf)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        seqs.iter().map(|(_, e)| e.as_str()).collect::<Vec<_>>(),
        [
            "Start",
            "Submit",
            "ApproveLevel",
            "ApproveFinal",
            "StartTime",
            "EndTime",
            "Evaluated"
        ]
    );
    assert!(
        seqs.iter()
            .enumerate()
            .all(|(i, (seq, _))| *seq == i as i32 + 1)
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM notifications WHERE key LIKE $1 || '/%'",
            &wf
        )
        .await,
        1,
        "the approval notice, once"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM campaign_evaluations WHERE campaign_id::text = $1",
            &id
        )
        .await,
        1
    );

    // this run's history, kill included, replays; RECORD_HISTORIES=1 refreshes the committed copy
    let client = quanyi_activities::temporal::connect(
        &quanyi_tests::harness::stack().temporal_url,
        "default",
    )
    .await
    .unwrap();
    let history = client
        .get_workflow_handle::<CampaignWorkflow>(&wf)
        .fetch_history(Default::default())
        .to_json()
        .await
        .unwrap();
    crate::histories::replayer()
        .replay_workflow(WorkflowHistory::from_json(&history).unwrap())
        .await
        .expect("replays");
    if std::env::var_os("RECORD_HISTORIES").is_some() {
        std::fs::write(crate::histories::path("campaign-apply.json"), &history).unwrap();
    }
}

/// A large list streams in (never whole in memory on either side), problems are listed up to a
/// hundred, and a bad file leaves the old list as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_lists_stream_in_are_validated_and_replaced_all_or_nothing() {
    let app = spawn_app().await;
    let planner = signed_in(&app, "planner").await;
    let start = Utc::now() + Duration::days(2);
    let id = created(&app, &planner, "grant", start, start + Duration::days(2)).await;
    let path = format!("/api/v1/campaigns/{id}/customers");

    // 200,000 lines in 2,000 chunks that cut lines in half; every 1,000th is invalid, every
    // 500th repeats the line before
    const LINES: usize = 200_000;
    let chunks = (0..2_000).map(|c| {
        let text: String = (c * 100..(c + 1) * 100)
            .map(|i| match i {
                i if i % 1000 == 999 => "not-a-number\n".to_owned(),
                i if i % 500 == 499 => format!("K{:09}\n", i - 1),
                i => format!("K{i:09}\n"),
            })
            .collect();
        let (a, b) = text.split_at(text.len() / 2 + 3);
        [Ok::<_, std::io::Error>(a.to_owned()), Ok(b.to_owned())]
    });
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks.flatten()));
    let report: Value = Browser::answer(
        planner
            .http
            .post(planner.url(&path))
            .header("x-requested-with", "quanyi")
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    let invalid = LINES / 1000;
    let duplicates = LINES / 1000; // the 499th of each thousand (the 999th is invalid)
    assert_eq!(report["total_rows"], LINES);
    assert_eq!(report["invalid"], invalid);
    assert_eq!(report["duplicates"], duplicates);
    assert_eq!(report["accepted"], LINES - invalid - duplicates);
    assert_eq!(
        report["errors"].as_array().unwrap().len(),
        100,
        "the first hundred problems"
    );
    assert_eq!(report["errors"][0]["line"], 500);
    let stored: i64 = count(
        &app,
        "SELECT count(*) FROM campaign_customers WHERE campaign_id::text = $1",
        &id,
    )
    .await;
    assert_eq!(stored as usize, LINES - invalid - duplicates);

    // not UTF-8: refused, the list stays; not CSV: refused before reading
    let response = planner
        .http
        .post(planner.url(&path))
        .header("x-requested-with", "quanyi")
        .header("content-type", "text/csv")
        .body(vec![b'K', b'1', b'2', 0xff, 0xfe, b'\n'])
        .send()
        .await
        .unwrap();
    let (status, error) = Browser::answer::<Value>(response).await.unwrap_err();
    assert_eq!(
        (status, error.code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "QY-CAMP-0007")
    );
    let response = planner
        .http
        .post(planner.url(&path))
        .header("x-requested-with", "quanyi")
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap();
    let (status, _) = Browser::answer::<Value>(response).await.unwrap_err();
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let kept: i64 = count(
        &app,
        "SELECT count(*) FROM campaign_customers WHERE campaign_id::text = $1",
        &id,
    )
    .await;
    assert_eq!(kept, stored, "nothing partial is written");
    let campaign: Value = get(&planner, &format!("/api/v1/campaigns/{id}"))
        .await
        .unwrap();
    assert_eq!(campaign["customer_list"]["total"], stored);
}

async fn customers_stored(app: &TestApp, id: &str) -> i64 {
    count(
        app,
        "SELECT count(*) FROM campaign_customers WHERE campaign_id::text = $1",
        id,
    )
    .await
}

/// Issue 13: a second file that imports nothing used to replace a good list with an empty one.
/// Now it is refused with its own code, the lines at fault named, and the list stays; an Excel
/// export whose header names the customer-number column (`序号,客户号,客户姓名`) is read from that
/// column.
#[tokio::test]
async fn a_failed_upload_keeps_the_previous_list_and_an_excel_header_names_the_column() {
    let app = spawn_app().await;
    let planner = signed_in(&app, "planner").await;
    let start = Utc::now() + Duration::days(2);
    let body = draft(org(&app, "SB0101").await, start, start + Duration::days(2));
    let created: Value = planner.post_json("/api/v1/campaigns", body).await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let twenty: String = (1..=20).map(|i| format!("C{i:09}\n")).collect();
    let report = upload(&planner, &id, &format!("customer_no\n{twenty}"))
        .await
        .unwrap();
    assert_eq!(report["accepted"], 20);
    let before: Value = get(&planner, &format!("/api/v1/campaigns/{id}"))
        .await
        .unwrap();
    assert_eq!(before["customer_list"]["total"], 20);

    // nothing valid: a header that names no customer-number column (a header all the same: its
    // titles are words), names in the first column
    let (status, refused) = upload(&planner, &id, "序号,客户姓名\n1,张三\n2,李四\n")
        .await
        .unwrap_err();
    assert_eq!(
        (status, refused.code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "QY-CAMP-0012")
    );
    let lines: Vec<(&str, &str)> = refused
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.code.as_str()))
        .collect();
    assert_eq!(
        lines,
        [("line 2", "QY-CAMP-0010"), ("line 3", "QY-CAMP-0010")]
    );
    // an empty file, and one of blank lines: refused the same way
    for empty in ["", "\r\n\n"] {
        let (_, refused) = upload(&planner, &id, empty).await.unwrap_err();
        assert_eq!(refused.code, "QY-CAMP-0012");
    }
    assert_eq!(customers_stored(&app, &id).await, 20, "the old list stays");
    let after: Value = get(&planner, &format!("/api/v1/campaigns/{id}"))
        .await
        .unwrap();
    assert_eq!(after["customer_list"], before["customer_list"]);
    let refusals = count(
        &app,
        "SELECT count(*) FROM audit_log WHERE action = 'campaign.customers.upload'
            AND target = $1 AND result = 'refused'",
        &id,
    )
    .await;
    assert_eq!(refusals, 3, "each refused upload is on the record");

    // the planner's Excel export: the customer number is the second column
    let report = upload(
        &planner,
        &id,
        "\u{feff}序号,客户号,客户姓名\r\n1,C000000101,张三\r\n2,\"C000000102\",\"王,五\"\r\n3,bad!,李四\r\n",
    )
    .await
    .unwrap();
    assert_eq!(
        (
            &report["total_rows"],
            &report["accepted"],
            &report["invalid"]
        ),
        (&json!(3), &json!(2), &json!(1))
    );
    assert_eq!(report["errors"][0]["line"], 4);
    assert_eq!(report["errors"][0]["value"], "bad!");
    assert_eq!(
        customers_stored(&app, &id).await,
        2,
        "a good file replaces the list"
    );
}

/// The file as it comes, with or without a header.
fn customer_lines(header: bool) -> Vec<Vec<&'static str>> {
    let mut lines = vec![
        vec!["C000000101", "张三"],
        vec!["100000102", "李四"],
        vec!["短号", "王五"],
        vec!["C000000101", "赵六"],
    ];
    if header {
        lines = std::iter::once(vec!["序号", "客户号", "姓名"])
            .chain(lines.into_iter().enumerate().map(|(i, mut l)| {
                l.insert(0, ["1", "2", "3", "4"][i]);
                l
            }))
            .collect();
    }
    lines
}

fn csv_bytes(lines: &[Vec<&str>], encoding: &str) -> Vec<u8> {
    let text: String = lines.iter().map(|l| l.join(",") + "\r\n").collect();
    match encoding {
        "utf-8" => text.into_bytes(),
        "utf-8-bom" => [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat(),
        "gbk" => {
            let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
            assert!(!unmappable);
            bytes.into_owned()
        }
        other => unreachable!("{other}"),
    }
}

/// An Excel workbook of `lines`, numbers that look like numbers written as numbers (as Excel
/// keeps a customer number typed into a cell).
fn xlsx_bytes(lines: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in lines.iter().enumerate() {
        for (c, cell) in line.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(r as u32, c as u16, n).map(|_| ()),
                Err(_) => sheet.write_string(r as u32, c as u16, *cell).map(|_| ()),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// Issue 15: a GBK CSV's header showed as mojibake and counted as an invalid line, a UTF-8
/// `客户号` header counted as invalid, the report showed only the first column, and Excel
/// workbooks were refused. Now UTF-8 (with or without BOM), GBK and `.xlsx` files, each with and
/// without a header, import the same customers with the same report, each refused line whole.
#[tokio::test]
async fn customer_lists_in_utf8_gbk_or_xlsx_with_or_without_a_header_import_alike() {
    let app = spawn_app().await;
    let planner = signed_in(&app, "planner").await;
    let start = Utc::now() + Duration::days(2);
    let body = draft(org(&app, "SB0101").await, start, start + Duration::days(2));
    let created: Value = planner.post_json("/api/v1/campaigns", body).await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    for header in [false, true] {
        let lines = customer_lines(header);
        for format in ["utf-8", "utf-8-bom", "gbk", "xlsx"] {
            let (bytes, content_type) = match format {
                "xlsx" => (xlsx_bytes(&lines), XLSX),
                encoding => (csv_bytes(&lines, encoding), "text/csv"),
            };
            let what = format!("{format}, header {header}");
            let response = planner
                .http
                .post(planner.url(&format!("/api/v1/campaigns/{id}/customers")))
                .header("x-requested-with", "quanyi")
                .header("content-type", content_type)
                .body(bytes)
                .send()
                .await
                .unwrap();
            let report: Value = Browser::answer(response)
                .await
                .unwrap_or_else(|e| panic!("{what}: {e:?}"));
            assert_eq!(
                [
                    &report["total_rows"],
                    &report["accepted"],
                    &report["invalid"],
                    &report["duplicates"]
                ],
                [&json!(4), &json!(2), &json!(1), &json!(1)],
                "{what}: {report}"
            );
            let first = usize::from(header); // the header is line 1
            let errors: Vec<(i64, &str, &str)> = report["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["line"].as_i64().unwrap(),
                        e["code"].as_str().unwrap(),
                        e["content"].as_str().unwrap(),
                    )
                })
                .collect();
            let line = |n: usize| lines[n + first].join(",");
            assert_eq!(
                errors,
                [
                    ((3 + first) as i64, "QY-CAMP-0101", line(2).as_str()),
                    ((4 + first) as i64, "QY-CAMP-0102", line(3).as_str()),
                ],
                "{what}: the whole line, in its own characters"
            );
            let stored: Vec<String> = sqlx::query_scalar(
                "SELECT customer_no FROM campaign_customers WHERE campaign_id::text = $1
                  ORDER BY customer_no",
            )
            .bind(&id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
            assert_eq!(stored, ["100000102", "C000000101"], "{what}");
        }
    }
    // a ZIP file that is no workbook: refused as a file that cannot be read, the list stays
    let response = planner
        .http
        .post(planner.url(&format!("/api/v1/campaigns/{id}/customers")))
        .header("x-requested-with", "quanyi")
        .header("content-type", XLSX)
        .body(b"PK\x03\x04 not really a workbook".to_vec())
        .send()
        .await
        .unwrap();
    let (status, error) = Browser::answer::<Value>(response).await.unwrap_err();
    assert_eq!(
        (status, error.code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "QY-CAMP-0007")
    );
    assert_eq!(customers_stored(&app, &id).await, 2, "the old list stays");
}

/// Issue 13: a campaign with no customers went to review. Now the staff API's submit and the
/// ESB's `campaign.plan.submit` refuse it with QY-CAMP-0011 and start nothing; a plan carries its
/// customer list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_without_customers_cannot_be_submitted_through_either_door() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let planner = signed_in(&app, "planner").await;
    let start = Utc::now() + Duration::days(3);
    let body = draft(org(&app, "SB0101").await, start, start + Duration::days(3));
    let created: Value = planner.post_json("/api/v1/campaigns", body).await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let wf = workflow_id(&id);
    let (status, refused) = planner
        .post_json::<Value>(&format!("/api/v1/campaigns/{id}/submit"), json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        (status, refused.code.as_str()),
        (StatusCode::CONFLICT, "QY-CAMP-0011")
    );
    assert_eq!(state_of(&app, &wf).await, None, "no process started");
    let campaign: Value = get(&planner, &format!("/api/v1/campaigns/{id}"))
        .await
        .unwrap();
    assert_eq!(campaign["state"], "Draft");

    // over the ESB: a plan without customers writes nothing
    let gmp = crate::esb::register(&app, "gmp", &["campaign.plan.submit"], None, 100).await;
    let start = Utc::now() + Duration::days(10);
    let mut plan = json!({
        "name": "网格化营销 存款有礼", "type": "grant", "org_id": org(&app, "SB0101").await,
        "channels": ["mobile_banking"], "start_at": start, "end_at": start + Duration::days(30),
        "rules": [{"name": "立减金", "budget_fen": 1_000_000}]
    });
    let campaigns = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM campaigns")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let before = campaigns().await;
    for (seq, customers) in [("E-1", None), ("E-2", Some(json!([])))] {
        if let Some(customers) = customers {
            plan["customer_nos"] = customers;
        }
        let answer = gmp.call("campaign.plan.submit", seq, plan.clone()).await;
        assert_eq!(answer["sysHead"]["retCode"], "BIZ-C-0003", "{answer}");
        assert_eq!(answer["body"]["code"], "QY-CAMP-0011", "{answer}");
    }
    assert_eq!(campaigns().await, before, "no draft written");
    plan["customer_nos"] = json!(["C10000001", "bad!"]);
    let answer = gmp.call("campaign.plan.submit", "E-3", plan.clone()).await;
    assert_eq!(answer["sysHead"]["retCode"], "BIZ-C-0001", "{answer}");
    assert_eq!(answer["body"]["fields"][0]["field"], "customer_nos");
    assert_eq!(answer["body"]["fields"][0]["code"], "QY-CAMP-0010");

    // with its list the plan goes to review, a repeat counted once
    plan["customer_nos"] = json!(["C10000001", "C10000002", "C10000001"]);
    let answer = gmp.call("campaign.plan.submit", "E-4", plan).await;
    assert_eq!(answer["sysHead"]["retCode"], "000000", "{answer}");
    assert_eq!(answer["body"]["state"], "FirstReview");
    let planned = answer["body"]["campaign_id"].as_str().unwrap();
    assert_eq!(customers_stored(&app, planned).await, 2);
    let campaign: Value = get(&planner, &format!("/api/v1/campaigns/{planned}"))
        .await
        .unwrap();
    assert_eq!(campaign["customer_list"]["total"], 2);
}
