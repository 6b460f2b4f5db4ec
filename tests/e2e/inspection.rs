//! 巡查任务 (issue 16, WF-4) over HTTP with the real Temporal: a plan's Temporal Schedule fires its
//! rounds (a short interval here) and creates the cycle's tasks once however often it fires, kept
//! in step with the plan (paused, resumed, deleted, reconciled at worker start); a task submitted
//! with a photo, returned, submitted again and confirmed — two confirmations at once record one;
//! an overdue task reminded and escalated once each; a rectification round trip in the merchant
//! portal, which another merchant's user never sees; a serious finding's one-click 停用商户.

use crate::merchants::signed_in;
use chrono::{Duration, Utc};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{ApiErrorBody, Browser, TestApp, spawn_app, stack};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Instant;
use temporalio_client::WorkflowHistory;
use uuid::Uuid;

type Answer<T> = Result<T, (StatusCode, ApiErrorBody)>;

async fn get(browser: &Browser, path: &str) -> Answer<Value> {
    browser.get_json(path).await
}

fn checklist() -> Value {
    json!([
        {"key": "1", "text": "消防器材在有效期内", "kind": "pass_fail", "photo_required": true},
        {"key": "2", "text": "店内权益宣传物料情况", "kind": "text", "photo_required": false}
    ])
}

/// A task for M001 issued by hand, due at `due_at`: its id and workflow id.
async fn issue(manager: &Browser, due_at: chrono::DateTime<Utc>) -> (String, String) {
    let task = manager
        .post_json::<Value>(
            "/api/v1/inspection/tasks",
            json!({"merchant_code": "M001", "checklist": checklist(), "due_at": due_at}),
        )
        .await
        .unwrap();
    assert_eq!(task["state"], "Pending", "{task}");
    assert_eq!(task["inspector"], "inspector1", "{task}");
    assert!(task["code"].as_str().unwrap().starts_with("XC"), "{task}");
    (
        task["id"].as_str().unwrap().to_owned(),
        task["workflow_id"].as_str().unwrap().to_owned(),
    )
}

/// A photo uploaded by `browser`: its file id.
async fn photo(browser: &Browser) -> String {
    let response = crate::files::upload(
        browser,
        "/api/v1/files",
        "shop.png",
        &crate::files::png(b""),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let file: Value = response.json().await.unwrap();
    file["id"].as_str().unwrap().to_owned()
}

fn answers(photo: &str, serious: bool) -> Value {
    json!({"answers": [
        {"key": "1", "result": if serious { "fail" } else { "pass" }, "photos": [photo],
         "serious": serious, "text": if serious { "灭火器已过期" } else { "" }},
        {"key": "2", "text": "宣传物料齐全"}
    ]})
}

async fn submit(inspector: &Browser, id: &str, body: Value) -> Answer<Value> {
    inspector
        .post_json(&format!("/api/v1/inspection/tasks/{id}/submit"), body)
        .await
}

async fn decide(staff: &Browser, id: &str, decision: &str, comment: Option<&str>) -> Answer<Value> {
    staff
        .post_json(
            &format!("/api/v1/inspection/tasks/{id}/decision"),
            json!({"decision": decision, "comment": comment}),
        )
        .await
}

async fn notices(app: &TestApp, pattern: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT key FROM notifications WHERE key LIKE $1 AND channel = 'email' ORDER BY key",
    )
    .bind(pattern)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn temporal() -> temporalio_client::Client {
    quanyi_activities::temporal::connect(&stack().temporal_url, "default")
        .await
        .unwrap()
}

/// A process's history as JSON.
async fn history(workflow_id: &str) -> Vec<u8> {
    temporal()
        .await
        .get_workflow_handle::<quanyi_workflows::inspection::InspectionWorkflow>(workflow_id)
        .fetch_history(Default::default())
        .to_json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plans_schedule_creates_its_cycles_tasks_once_and_follows_the_plan() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let manager = signed_in(&app, "merchant_manager").await;
    let inspector = signed_in(&app, "inspector1").await;
    // M001 a convenience store; M002 (城西) a pharmacy, outside the plan's category
    sqlx::query("UPDATE merchants SET business_category = '便利店' WHERE code = 'M001'")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO merchants (code, name, org_id, business_category)
         SELECT 'M002', '城西药房', id, '药房' FROM orgs WHERE code = 'BR02'",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let bad = manager
        .post_json::<Value>(
            "/api/v1/inspection/plans",
            json!({"name": "空计划", "cycle": "monthly", "checklist": [], "due_days": 7}),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.1.fields[0].code, "QY-INS-0004", "{bad:?}");
    let plan = manager
        .post_json::<Value>(
            "/api/v1/inspection/plans",
            json!({"name": "便利店月度巡查", "category": "便利店", "cycle": "monthly",
                   "interval_seconds": 5, "checklist": checklist(), "due_days": 7}),
        )
        .await
        .unwrap();
    let plan_id: Uuid = plan["id"].as_str().unwrap().parse().unwrap();
    let twice = manager
        .post_json::<Value>(
            "/api/v1/inspection/plans",
            json!({"name": "便利店月度巡查", "cycle": "monthly", "checklist": checklist(), "due_days": 7}),
        )
        .await
        .unwrap_err();
    assert_eq!(twice.1.code, "QY-INS-0005");

    // the schedule fires every 5 s; wait for two rounds to have run
    let client = temporal().await;
    let handle = client.get_schedule_handle(quanyi_activities::inspection::schedule::schedule_id(
        plan_id,
    ));
    let started = Instant::now();
    loop {
        let description = handle.describe(Default::default()).await.unwrap();
        assert!(!description.paused());
        let rounds: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM inspection_tasks WHERE plan_id = $1 AND started",
        )
        .bind(plan_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if description.action_count() >= 2
            && description.running_actions().is_empty()
            && rounds >= 1
        {
            break;
        }
        assert!(started.elapsed().as_secs() < 40, "two rounds within 40 s");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // one task for the cycle, of M001 alone, however often the schedule fired
    let tasks: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT m.code, t.cycle, t.status FROM inspection_tasks t JOIN merchants m ON m.id = t.merchant_id
          WHERE t.plan_id = $1",
    )
    .bind(plan_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let cycle = quanyi_activities::inspection::Cycle::Monthly.key(Utc::now());
    assert_eq!(tasks, [("M001".to_owned(), cycle, "pending".to_owned())]);
    let mine = get(&inspector, "/api/v1/inspection/tasks?mine=true")
        .await
        .unwrap();
    assert_eq!(mine["total"], 1, "{mine}");
    assert_eq!(mine["items"][0]["plan_name"], "便利店月度巡查");
    let listed = get(&manager, "/api/v1/inspection/plans").await.unwrap();
    assert_eq!(listed[0]["tasks"], 1, "{listed}");

    // paused and resumed with its plan
    let paused = manager
        .post_json::<Value>(
            &format!("/api/v1/inspection/plans/{plan_id}/pause"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(paused["status"], "paused");
    assert!(handle.describe(Default::default()).await.unwrap().paused());
    manager
        .post_json::<Value>(
            &format!("/api/v1/inspection/plans/{plan_id}/resume"),
            json!({}),
        )
        .await
        .unwrap();
    assert!(!handle.describe(Default::default()).await.unwrap().paused());

    // a schedule lost behind the plan's back comes back when a worker starts
    handle.delete(Default::default()).await.unwrap();
    assert!(handle.describe(Default::default()).await.is_err());
    quanyi_worker::reconcile_schedules(&client, &app.pool, &app.task_queue).await;
    assert!(!handle.describe(Default::default()).await.unwrap().paused());

    // deleted with its plan; the tasks stay
    manager
        .no_content(
            reqwest::Method::DELETE,
            format!("/api/v1/inspection/plans/{plan_id}"),
            None,
        )
        .await
        .unwrap();
    assert!(handle.describe(Default::default()).await.is_err());
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'merchant.inspection_plan.%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            "merchant.inspection_plan.create",
            "merchant.inspection_plan.pause",
            "merchant.inspection_plan.resume",
            "merchant.inspection_plan.delete"
        ]
    );
    let still = get(&inspector, "/api/v1/inspection/tasks?mine=true")
        .await
        .unwrap();
    assert_eq!(still["total"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_is_submitted_with_a_photo_returned_submitted_again_and_confirmed_once() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let manager = signed_in(&app, "merchant_manager").await;
    let inspector = signed_in(&app, "inspector1").await;
    let reviewer = signed_in(&app, "reviewer1").await;
    let (id, wf) = issue(&manager, Utc::now() + Duration::days(3)).await;
    assert_eq!(
        notices(&app, &format!("{wf}/%/inspector")).await.len(),
        1,
        "the inspector is told"
    );

    // the inspector's task is in their inbox, but it is done by submitting, not by deciding
    let todo = get(&inspector, "/api/v1/tasks?tab=todo&process_type=inspection")
        .await
        .unwrap();
    assert_eq!(todo["total"], 1, "{todo}");
    let task = todo["items"][0]["id"].as_str().unwrap().to_owned();
    let refused = inspector
        .post_json::<Value>(
            &format!("/api/v1/tasks/{task}/decision"),
            json!({"decision": "approve"}),
        )
        .await
        .unwrap_err();
    // the inspector holds no approval permission, and the process refuses a decision there anyway
    assert!(
        ["QY-AUTH-0003", "QY-PROC-0004"].contains(&refused.1.code.as_str()),
        "{refused:?}"
    );
    let page = get(&inspector, &format!("/api/v1/inspection/tasks/{id}"))
        .await
        .unwrap();
    assert_eq!(
        page["allowed_actions"],
        json!(["submit", "transfer"]),
        "{page}"
    );

    // refused: an incomplete checklist, a photo not one's own, a reviewer
    let mine = photo(&inspector).await;
    let theirs = photo(&manager).await;
    let incomplete = submit(
        &inspector,
        &id,
        json!({"answers": [{"key": "1", "result": "pass", "photos": [mine]}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(incomplete.1.fields[0].code, "QY-INS-0003", "{incomplete:?}");
    let no_photo = submit(
        &inspector,
        &id,
        answers(&mine, false)["answers"]
            .as_array()
            .map(|a| {
                let mut a = a.clone();
                a[0]["photos"] = json!([]);
                json!({"answers": a})
            })
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(no_photo.1.fields[0].code, "QY-INS-0003");
    let foreign = submit(&inspector, &id, answers(&theirs, false))
        .await
        .unwrap_err();
    assert_eq!(foreign.1.fields[0].code, "QY-INS-0006");
    let early = decide(&reviewer, &id, "approve", None).await.unwrap_err();
    assert_eq!(early.1.code, "QY-PROC-0002");

    // submitted with the photo, returned with a reason, submitted again
    let submitted = submit(&inspector, &id, answers(&mine, false))
        .await
        .unwrap();
    assert_eq!(submitted["state"], "Submitted", "{submitted}");
    assert_eq!(submitted["answers"][0]["photos"], json!([mine]));
    let unreasoned = decide(&reviewer, &id, "return", None).await.unwrap_err();
    assert_eq!(unreasoned.1.fields[0].code, "QY-PROC-0010");
    let returned = decide(&reviewer, &id, "return", Some("照片不清晰，请重拍"))
        .await
        .unwrap();
    assert_eq!(returned["state"], "Returned");
    assert_eq!(returned["return_reason"], "照片不清晰，请重拍");
    assert_eq!(
        notices(&app, &format!("{wf}/%/inspector")).await.len(),
        2,
        "told of the return"
    );
    let again = submit(&inspector, &id, answers(&mine, false))
        .await
        .unwrap();
    assert_eq!(again["state"], "Submitted");
    assert_eq!(again["return_reason"], Value::Null);

    // the inspector does not confirm their own inspection; two confirmations at once record one
    let own = decide(&inspector, &id, "approve", None).await.unwrap_err();
    assert!(
        ["QY-PROC-0003", "QY-PROC-0004"].contains(&own.1.code.as_str()),
        "{own:?}"
    );
    let (a, b) = tokio::join!(
        decide(&reviewer, &id, "approve", Some("合格")),
        decide(&reviewer, &id, "approve", Some("合格"))
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    let confirmed: Value = a.or(b).unwrap();
    assert_eq!(confirmed["status"], "confirmed", "{confirmed}");
    let approvals: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM process_transitions WHERE workflow_id = $1 AND event = 'ApproveFinal'",
    )
    .bind(&wf)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(approvals, 1);

    // the reviewer sees the photo, as an attachment; a merchant of the shop sees the result
    let response = reviewer
        .http
        .get(reviewer.url(&format!("/api/v1/inspection/tasks/{id}/files/{mine}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let stranger = reviewer
        .http
        .get(reviewer.url(&format!("/api/v1/inspection/tasks/{id}/files/{theirs}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stranger.status(),
        StatusCode::NOT_FOUND,
        "a file not of the task"
    );
    let shop = signed_in(&app, "m001_admin").await;
    let results = get(&shop, "/api/v1/merchant/inspections").await.unwrap();
    assert_eq!(results["total"], 1, "{results}");

    // the timeline; the history replays; RECORD_HISTORIES=1 refreshes the committed copy
    let monitor = signed_in(&app, "monitor").await;
    let detail = get(&monitor, &format!("/api/v1/processes/{wf}"))
        .await
        .unwrap();
    let events: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "Start",
            "Assign",
            "Submit",
            "Return",
            "Submit",
            "ApproveFinal"
        ]
    );
    let recorded = history(&wf).await;
    crate::histories::replayer()
        .replay_workflow(WorkflowHistory::from_json(&recorded).unwrap())
        .await
        .expect("replays");
    if std::env::var_os("RECORD_HISTORIES").is_some() {
        std::fs::write(crate::histories::path("inspection.json"), &recorded).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_task_is_reminded_then_escalated_to_the_superior_org_once_each() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let manager = signed_in(&app, "merchant_manager").await;
    let (id, wf) = issue(&manager, Utc::now() + Duration::seconds(4)).await;
    let started = Instant::now();
    loop {
        let (reminded, escalated): (bool, bool) = sqlx::query_as(
            "SELECT reminded_at IS NOT NULL, escalated_at IS NOT NULL FROM tasks
              WHERE workflow_id = $1 AND step = 'inspect-1'",
        )
        .bind(&wf)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if reminded && escalated {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "reminded and escalated within 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    // nothing more fires: a second look finds the same notices
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let superior: String = sqlx::query_scalar(
        "SELECT o.code FROM tasks t JOIN orgs o ON o.id = t.escalated_org WHERE t.workflow_id = $1",
    )
    .bind(&wf)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(superior, "HO");
    assert_eq!(
        notices(&app, &format!("{wf}/inspect-1/1/remind/%")).await,
        [format!("{wf}/inspect-1/1/remind/inspector1")]
    );
    assert_eq!(
        notices(&app, &format!("{wf}/inspect-1/1/escalate/%")).await,
        [
            format!("{wf}/inspect-1/1/escalate/inspector1"),
            format!("{wf}/inspect-1/1/escalate/inspector2")
        ]
    );
    // the overdue view shows it; head office's inspector may now do it
    let overdue = get(&manager, "/api/v1/inspection/tasks?overdue=true")
        .await
        .unwrap();
    assert_eq!(overdue["total"], 1, "{overdue}");
    assert_eq!(overdue["items"][0]["overdue"], true);
    let head_office = signed_in(&app, "inspector2").await;
    let page = get(&head_office, &format!("/api/v1/inspection/tasks/{id}"))
        .await
        .unwrap();
    assert!(
        page["allowed_actions"]
            .as_array()
            .unwrap()
            .contains(&json!("submit")),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rectification_goes_round_the_merchant_portal_and_a_serious_finding_disables_in_one_click()
 {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let manager = signed_in(&app, "merchant_manager").await;
    let inspector = signed_in(&app, "inspector1").await;
    let reviewer = signed_in(&app, "reviewer1").await;
    let shop = signed_in(&app, "m001_admin").await;
    // M002 with its administrator
    let password_hash = quanyi_activities::identity::password::hash(DEMO_PASSWORD);
    sqlx::query(
        "WITH m AS (INSERT INTO merchants (code, name, org_id)
                    SELECT 'M002', '城西药房', id FROM orgs WHERE code = 'BR02' RETURNING id, org_id),
              u AS (INSERT INTO users (username, display_name, org_id, kind, merchant_id, password_hash)
                    SELECT 'm002_admin', '城西药房管理员', org_id, 'merchant', id, $1 FROM m RETURNING id)
         INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM u, roles r WHERE r.code = 'merchant_admin'",
    )
    .bind(password_hash)
    .execute(&app.pool)
    .await
    .unwrap();
    let other = signed_in(&app, "m002_admin").await;

    let (id, wf) = issue(&manager, Utc::now() + Duration::days(3)).await;
    // nothing for the merchant while the inspection is under way
    assert_eq!(
        get(&shop, "/api/v1/merchant/inspections").await.unwrap()["total"],
        0
    );
    let file = photo(&inspector).await;
    submit(&inspector, &id, answers(&file, true)).await.unwrap();
    let asked = reviewer
        .post_json::<Value>(
            &format!("/api/v1/inspection/tasks/{id}/rectification"),
            json!({"requirement": "更换过期灭火器并上传照片", "deadline": Utc::now() + Duration::days(7)}),
        )
        .await
        .unwrap();
    assert_eq!(asked["state"], "Rectifying", "{asked}");
    assert_eq!(asked["rectifications"][0]["status"], "open");
    assert_eq!(
        notices(&app, &format!("{wf}/%/merchant/m001_admin"))
            .await
            .len(),
        1
    );

    // the merchant sees it; another merchant's user sees nothing, and cannot answer
    let mine = get(&shop, "/api/v1/merchant/inspections").await.unwrap();
    assert_eq!(mine["total"], 1, "{mine}");
    let page = get(&shop, &format!("/api/v1/merchant/inspections/{id}"))
        .await
        .unwrap();
    assert_eq!(
        page["allowed_actions"],
        json!(["answer_rectification"]),
        "{page}"
    );
    assert_eq!(
        get(&other, "/api/v1/merchant/inspections").await.unwrap()["total"],
        0
    );
    let hidden = get(&other, &format!("/api/v1/merchant/inspections/{id}"))
        .await
        .unwrap_err();
    assert_eq!(hidden.1.code, "QY-INS-0002");
    let barred = other
        .post_json::<Value>(
            &format!("/api/v1/merchant/inspections/{id}/rectification"),
            json!({"answer": "冒充", "files": []}),
        )
        .await
        .unwrap_err();
    assert_eq!(barred.1.code, "QY-INS-0002");
    let photo_of_task = other
        .http
        .get(other.url(&format!("/api/v1/merchant/inspections/{id}/files/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(photo_of_task.status(), StatusCode::NOT_FOUND);
    let staff_page = other
        .get_json::<Value>("/api/v1/inspection/tasks")
        .await
        .unwrap_err();
    assert_eq!(staff_page.1.code, "QY-AUTH-0003");

    // answered with evidence, sent back, answered again, accepted
    let evidence = photo(&shop).await;
    let answered = shop
        .post_json::<Value>(
            &format!("/api/v1/merchant/inspections/{id}/rectification"),
            json!({"answer": "已更换", "files": [evidence]}),
        )
        .await
        .unwrap();
    assert_eq!(answered["state"], "RectificationReview", "{answered}");
    let back = decide(&reviewer, &id, "return", Some("照片未显示有效期"))
        .await
        .unwrap();
    assert_eq!(back["state"], "Rectifying");
    assert_eq!(
        notices(&app, &format!("{wf}/%/merchant/m001_admin"))
            .await
            .len(),
        2
    );
    shop.post_json::<Value>(
        &format!("/api/v1/merchant/inspections/{id}/rectification"),
        json!({"answer": "已补拍有效期", "files": [evidence]}),
    )
    .await
    .unwrap();
    let accepted = decide(&reviewer, &id, "approve", Some("整改合格"))
        .await
        .unwrap();
    assert_eq!(accepted["status"], "rectified", "{accepted}");
    let rounds = get(&reviewer, "/api/v1/inspection/rectifications")
        .await
        .unwrap();
    let statuses: Vec<&str> = rounds
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["accepted", "returned"], "{rounds}");
    let evidence_seen = reviewer
        .http
        .get(reviewer.url(&format!("/api/v1/inspection/tasks/{id}/files/{evidence}")))
        .send()
        .await
        .unwrap();
    assert_eq!(evidence_seen.status(), StatusCode::OK);

    // the serious finding: 停用商户 in one click starts the merchant-status process
    let pending = manager
        .post_json::<Value>(
            &format!("/api/v1/inspection/tasks/{id}/disable-merchant"),
            json!({"reason": "消防隐患"}),
        )
        .await
        .unwrap();
    let status_wf = pending["workflow_id"].as_str().unwrap();
    assert!(status_wf.starts_with("merchant-status-"), "{pending}");
    assert_eq!(pending["state"], "UnderReview");
    let reason: String =
        sqlx::query_scalar("SELECT reason FROM merchant_status_requests WHERE status = 'pending'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(reason.contains("消防隐患"), "{reason}");
    let (plain, _) = issue(&manager, Utc::now() + Duration::days(3)).await;
    let not_serious = manager
        .post_json::<Value>(
            &format!("/api/v1/inspection/tasks/{plain}/disable-merchant"),
            json!({}),
        )
        .await
        .unwrap_err();
    assert_eq!(not_serious.1.code, "QY-INS-0009");
}
