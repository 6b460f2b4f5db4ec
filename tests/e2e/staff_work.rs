//! What bank staff stumbled on (issue 15, items 1, 2, 3 and 7), end to end over the real API:
//! objects found by their business number, part of it or their name, never by UUID; a returned
//! submission is its submitter's task until submitted again or withdrawn; 已办 newest 办结时间
//! first; and every audit action named in one catalogue, its object shown by its number.

use crate::campaign::{
    count, created, decide, get, signed_in, todo, transitions, wait_for, workflow_id,
};
use chrono::{Duration, Utc};
use quanyi_activities::audit::{Entry, actions};
use quanyi_activities::benefits::clients::{self, ClientKind, NewClient};
use quanyi_tests::harness::{Browser, TestApp, data_key, spawn_app};
use quanyi_workflows::campaign::CampaignWorkflow;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use temporalio_client::WorkflowHistory;

async fn page(browser: &Browser, path: &str) -> Value {
    get::<Value>(browser, path)
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e:?}"))
}

/// The business numbers a page of rows carries under `field`.
fn numbers(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r[field].as_str().map(str::to_owned))
        .collect()
}

async fn campaign_code(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT code FROM campaigns WHERE id::text = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_are_found_by_their_number_part_of_it_or_their_name_and_shown_by_number() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let monitor = signed_in(&app, "monitor").await;
    let start = Utc::now() + Duration::days(3);
    let id = created(&app, &planner, "grant", start, start + Duration::days(7)).await;
    let other = created(&app, &planner, "grant", start, start + Duration::days(7)).await;
    // the process takes the campaign's name at submission
    sqlx::query("UPDATE campaigns SET name = '春季理财节' WHERE id::text = $1")
        .bind(&id)
        .execute(&app.pool)
        .await
        .unwrap();
    for c in [&id, &other] {
        planner
            .post_json::<Value>(&format!("/api/v1/campaigns/{c}/submit"), json!({}))
            .await
            .unwrap();
    }
    let code = campaign_code(&app, &id).await;
    assert!(code.starts_with("HD") && code.len() == 16, "{code}");
    let tail = &code[code.len() - 6..];

    // 流程监控 › 业务编号: the whole number, its last digits, part of the name; never a UUID shown
    for q in [code.as_str(), tail, "理财"] {
        let found = page(
            &monitor,
            &format!("/api/v1/processes?business_key={}", urlencode(q)),
        )
        .await;
        assert_eq!(
            numbers(&found, "business_no"),
            std::slice::from_ref(&code),
            "{q}: {found}"
        );
    }
    let all = page(&monitor, "/api/v1/processes?process_type=campaign").await;
    assert_eq!(all["total"], 2);
    assert!(
        numbers(&all, "business_no")
            .iter()
            .all(|n| n.starts_with("HD")),
        "{all}"
    );
    let none = page(&monitor, "/api/v1/processes?business_key=HD1999").await;
    assert_eq!(none["total"], 0, "a number that is not there finds nothing");
    // a percent sign is a character, not a wildcard
    let literal = page(&monitor, "/api/v1/processes?business_key=%25").await;
    assert_eq!(literal["total"], 0);

    // the review list and the inbox show the number and take part of it
    let inbox = page(&reviewer1, "/api/v1/tasks?tab=todo").await;
    let mut shown = numbers(&inbox, "business_no");
    shown.sort();
    let mut both = vec![code.clone(), campaign_code(&app, &other).await];
    both.sort();
    assert_eq!(shown, both);
    let searched = page(&reviewer1, &format!("/api/v1/tasks?tab=todo&search={tail}")).await;
    assert_eq!(
        numbers(&searched, "business_no"),
        std::slice::from_ref(&code)
    );
    let by_name = page(
        &reviewer1,
        &format!(
            "/api/v1/tasks?tab=todo&process_type=campaign&search={}",
            urlencode("理财节")
        ),
    )
    .await;
    assert_eq!(
        numbers(&by_name, "business_no"),
        std::slice::from_ref(&code)
    );

    // 营销活动查询 takes part of the number
    let list = page(&planner, &format!("/api/v1/campaigns?name={tail}")).await;
    assert_eq!(numbers(&list, "code"), std::slice::from_ref(&code));

    // 权益发放明细查询 › 活动编号: a coupon of the campaign, found by its number, part of it, its name
    let (client, _) = clients::register(
        &app.pool,
        &data_key(),
        NewClient {
            code: "staff_work_test".into(),
            name: "测试渠道".into(),
            kind: ClientKind::Channel,
            merchant_id: None,
        },
        Utc::now(),
        Entry::default(),
    )
    .await
    .unwrap()
    .unwrap();
    sqlx::query(
        "INSERT INTO coupons (code, template_id, customer_no, client_id, campaign_id, claimed_at,
                              valid_from, valid_to)
         SELECT 'STAFFWORK0000001', t.id, 'C000000001', $1, $2::uuid, now(), now(),
                now() + interval '30 days'
           FROM coupon_templates t WHERE t.code = 'DEMO-MJ20'",
    )
    .bind(client)
    .bind(&id)
    .execute(&app.pool)
    .await
    .unwrap();
    for q in [code.as_str(), tail, "春季理财", id.as_str()] {
        let coupons = page(
            &planner,
            &format!("/api/v1/benefits/coupons?campaign={}", urlencode(q)),
        )
        .await;
        assert_eq!(coupons["total"], 1, "{q}: {coupons}");
        assert_eq!(coupons["items"][0]["campaign_code"], code.as_str());
        assert_eq!(coupons["items"][0]["campaign_name"], "春季理财节");
    }
    let other_code = campaign_code(&app, &other).await;
    let coupons = page(
        &planner,
        &format!("/api/v1/benefits/coupons?campaign={other_code}"),
    )
    .await;
    assert_eq!(coupons["total"], 0);

    // a stock-change request gets its own number from the same mechanism, and is found by it
    let pending: Value = planner
        .post_json(
            "/api/v1/benefits/templates/DEMO-MJ20/stock",
            json!({"action": "increase", "quantity": 50_000, "reason": "节日加量"}),
        )
        .await
        .unwrap();
    let request = pending["code"].as_str().unwrap().to_owned();
    assert!(
        request.starts_with("KC") && request.len() == 16,
        "{pending}"
    );
    let found = page(
        &monitor,
        &format!("/api/v1/processes?business_key={request}"),
    )
    .await;
    assert_eq!(
        numbers(&found, "business_no"),
        std::slice::from_ref(&request),
        "{found}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM business_numbers WHERE number = $1 AND workflow_id LIKE 'stock-change-%'",
            &request
        )
        .await,
        1
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The planner's open tasks of kind `rework`.
async fn reworks(planner: &Browser) -> Vec<Value> {
    todo(planner)
        .await
        .into_iter()
        .filter(|t| t["kind"] == "rework")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_campaign_is_its_planners_task_until_submitted_again_or_withdrawn() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    // starts soon and ends soon after, so this history also runs the evaluation (an activity)
    let start = Utc::now() + Duration::seconds(8);
    let id = created(&app, &planner, "grant", start, start + Duration::seconds(3)).await;
    let wf = workflow_id(&id);
    let code = campaign_code(&app, &id).await;
    planner
        .post_json::<Value>(&format!("/api/v1/campaigns/{id}/submit"), json!({}))
        .await
        .unwrap();
    assert!(reworks(&planner).await.is_empty());

    // 退回修改: the planner's inbox has the campaign, with the reason and the number
    let task = todo(&reviewer1).await[0]["id"].as_str().unwrap().to_owned();
    let returned = decide(&reviewer1, &task, "return", "预算过高，请调整")
        .await
        .unwrap();
    assert_eq!(returned["state"], "Draft");
    let mine = reworks(&planner).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["business_no"], code.as_str());
    assert_eq!(mine[0]["comment"], "预算过高，请调整");
    assert_eq!(mine[0]["submitted_by"], "reviewer1");
    assert_eq!(mine[0]["status"], "open");
    let rework = mine[0]["id"].as_str().unwrap().to_owned();
    assert!(
        todo(&reviewer1).await.is_empty() && todo(&reviewer2).await.is_empty(),
        "nobody else's"
    );
    // the page the planner lands on says why, at the top
    let detail: Value = get(&planner, &format!("/api/v1/campaigns/{id}"))
        .await
        .unwrap();
    assert_eq!(detail["process"]["returned"]["reason"], "预算过高，请调整");
    assert_eq!(detail["process"]["returned"]["by"], "reviewer1");
    assert_eq!(detail["process"]["returned"]["task_id"], rework.as_str());
    // and a notice went to the planner (the campaign's typed submitter notice)
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
              WHERE n.key LIKE $1 || '/%' AND u.username = 'planner' AND n.body LIKE '%预算过高%'",
            &wf
        )
        .await,
        1
    );
    // a rework is not decided from the inbox, even by a reviewer
    let refused = decide(&reviewer1, &rework, "approve", "")
        .await
        .unwrap_err();
    assert_eq!(refused.1.code, "QY-PROC-0002");

    // submitted again: the task closes as done by the planner, and is in the planner's 已办
    let again: Value = planner
        .post_json(
            &format!("/api/v1/campaigns/{id}/submit"),
            json!({"comment": "已调整"}),
        )
        .await
        .unwrap();
    assert_eq!(again["state"], "FirstReview");
    assert!(again["returned"].is_null());
    assert!(reworks(&planner).await.is_empty());
    let done = page(&planner, "/api/v1/tasks?tab=done").await;
    assert_eq!(done["items"][0]["id"], rework.as_str());
    assert_eq!(done["items"][0]["outcome"], "resubmitted");
    assert_eq!(
        done["items"][0]["comment"], "预算过高，请调整",
        "the reason stays"
    );

    // both approve; the campaign runs and is evaluated
    let first = todo(&reviewer1).await[0]["id"].as_str().unwrap().to_owned();
    decide(&reviewer1, &first, "approve", "同意").await.unwrap();
    let second = todo(&reviewer2).await[0]["id"].as_str().unwrap().to_owned();
    decide(&reviewer2, &second, "approve", "同意")
        .await
        .unwrap();
    wait_for(&app, &wf, "Evaluated", std::time::Duration::from_secs(40)).await;
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
            "Return",
            "Submit",
            "ApproveLevel",
            "ApproveFinal",
            "StartTime",
            "EndTime",
            "Evaluated"
        ]
    );

    // its history replays; RECORD_HISTORIES=1 refreshes the committed copy
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
    assert!(
        patches(&history).contains(&quanyi_workflows::host::RETURNED_TASK.to_owned()),
        "the history carries the patch marker: {:?}",
        patches(&history)
    );
    crate::histories::replayer()
        .replay_workflow(WorkflowHistory::from_json(&history).unwrap())
        .await
        .expect("replays");
    if std::env::var_os("RECORD_HISTORIES").is_some() {
        std::fs::write(crate::histories::path("campaign-returned.json"), &history).unwrap();
    }
}

/// The ids of the patch markers a history (as JSON) records.
fn patches(history: &[u8]) -> Vec<String> {
    use base64::Engine as _;
    let history: Value = serde_json::from_slice(history).unwrap();
    history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.pointer("/attributes/MarkerRecordedEventAttributes"))
        .filter(|m| m["marker_name"] == "core_patch")
        .filter_map(|m| m.pointer("/details/patch-data/payloads/0/data")?.as_str())
        .filter_map(|data| base64::engine::general_purpose::STANDARD.decode(data).ok())
        .filter_map(|json| serde_json::from_slice::<Value>(&json).ok())
        .filter_map(|patch| patch["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_campaign_cancelled_closes_its_task_and_a_stock_change_returned_ends() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    let start = Utc::now() + Duration::days(3);
    let id = created(&app, &planner, "grant", start, start + Duration::days(7)).await;
    planner
        .post_json::<Value>(&format!("/api/v1/campaigns/{id}/submit"), json!({}))
        .await
        .unwrap();
    let task = todo(&reviewer1).await[0]["id"].as_str().unwrap().to_owned();
    decide(&reviewer1, &task, "return", "请补充说明")
        .await
        .unwrap();
    assert_eq!(reworks(&planner).await.len(), 1);
    let cancelled: Value = planner
        .post_json(
            &format!("/api/v1/campaigns/{id}/actions"),
            json!({"action": "cancel", "comment": "不再举办"}),
        )
        .await
        .unwrap();
    assert_eq!(cancelled["state"], "Cancelled");
    assert!(reworks(&planner).await.is_empty());
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM tasks WHERE workflow_id = $1 AND kind = 'rework'
                AND status = 'done' AND outcome = 'cancelled' AND decided_by = 'planner'",
            &workflow_id(&id)
        )
        .await,
        1
    );

    // a stock change has no way back: returned, it ends, and nobody gets a task
    let pending: Value = planner
        .post_json(
            "/api/v1/benefits/templates/DEMO-MJ20/stock",
            json!({"action": "increase", "quantity": 50_000, "reason": "节日加量"}),
        )
        .await
        .unwrap();
    let wf = pending["workflow_id"].as_str().unwrap().to_owned();
    let stock = todo(&reviewer2).await[0]["id"].as_str().unwrap().to_owned();
    let answer = decide(&reviewer2, &stock, "return", "数量有误")
        .await
        .unwrap();
    assert_eq!(answer["state"], "Rejected");
    assert!(reworks(&planner).await.is_empty());
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM tasks WHERE workflow_id = $1 AND kind = 'rework'",
            &wf
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_done_tab_lists_tasks_by_closing_time_newest_first() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let start = Utc::now() + Duration::days(3);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = created(&app, &planner, "grant", start, start + Duration::days(7)).await;
        planner
            .post_json::<Value>(&format!("/api/v1/campaigns/{id}/submit"), json!({}))
            .await
            .unwrap();
        ids.push(id);
    }
    // arrived oldest first: decide the middle one first, then the newest, then the oldest
    let arrived: Vec<String> = {
        let mut t = todo(&reviewer1).await;
        t.reverse();
        t.iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(arrived.len(), 3);
    for i in [1, 2, 0] {
        decide(&reviewer1, &arrived[i], "approve", "同意")
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let done = page(&reviewer1, "/api/v1/tasks?tab=done").await;
    let order: Vec<&str> = done["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [&arrived[0], &arrived[2], &arrived[1]],
        "newest 办结时间 first, whenever the task arrived"
    );
    let closed: Vec<&str> = done["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["closed_at"].as_str().unwrap())
        .collect();
    let mut sorted = closed.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(closed, sorted);
}

/// A reviewer's inbox and the monitor on a bank's scale: past 10,000 matches a list and the badges
/// say "more than that", each tab still pages newest first (已办 by 办结时间) without overlap, the
/// overdue are all counted, and a search narrows to an exact count again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_and_the_monitor_count_up_to_ten_thousand_and_page_in_order() {
    let app = spawn_app().await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let counts_before = page(&reviewer1, "/api/v1/tasks/counts").await;
    assert_eq!(counts_before["capped"], false);
    // 10,001 processes of 城东分行, each with an open 初审 task for its first reviewers and a
    // 复核 task reviewer1 decided; the first 300 of the open ones overdue. Rows only: no
    // workflow runs behind them (what is measured is the reading).
    sqlx::query(
        "WITH p AS (
           INSERT INTO process_instances (workflow_id, process_type, business_key, business_no, title,
                                          state, org_id, started_by, last_seq, started_at, updated_at)
           SELECT 'campaign-cap-' || n, 'campaign', 'cap-' || n, 'HDCAP' || lpad(n::text, 10, '0'),
                  '容量活动' || n, 'FirstReview', (SELECT id FROM orgs WHERE code = 'BR01'), 'planner', 2,
                  now() - make_interval(mins => n), now() - make_interval(secs => n)
             FROM generate_series(1, 10001) AS n
           RETURNING workflow_id, started_at)
         INSERT INTO tasks (workflow_id, step, level, candidate_roles, org_scope, submitted_by, due_at,
                            status, outcome, decided_by, created_at, closed_at)
         SELECT workflow_id, 'review', l.level, ARRAY['first_reviewer'],
                (SELECT id FROM orgs WHERE code = 'BR01'), 'planner',
                CASE WHEN l.level = 1 AND substr(workflow_id, 14)::int <= 300
                     THEN now() - interval '1 day' ELSE now() + interval '2 days' END,
                CASE l.level WHEN 1 THEN 'open' ELSE 'done' END,
                CASE l.level WHEN 1 THEN NULL ELSE 'approve' END,
                CASE l.level WHEN 1 THEN NULL ELSE 'reviewer1' END,
                started_at,
                CASE l.level WHEN 1 THEN NULL
                     ELSE now() + interval '1 hour' - make_interval(secs => substr(workflow_id, 14)::int) END
           FROM p, (VALUES (1::smallint), (2::smallint)) AS l (level)",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let counts = page(&reviewer1, "/api/v1/tasks/counts").await;
    assert_eq!(
        (&counts["todo"], &counts["done"], &counts["capped"]),
        (&json!(10_000), &json!(10_000), &json!(true))
    );
    assert_eq!(
        counts["overdue"].as_i64().unwrap(),
        counts_before["overdue"].as_i64().unwrap() + 300,
        "every overdue task counted, though the to-do are past the cap"
    );

    for tab in ["todo", "done"] {
        let first = page(&reviewer1, &format!("/api/v1/tasks?tab={tab}&page_size=50")).await;
        let second = page(
            &reviewer1,
            &format!("/api/v1/tasks?tab={tab}&page_size=50&page=2"),
        )
        .await;
        assert_eq!(
            (&first["total"], &first["total_capped"]),
            (&json!(10_000), &json!(true)),
            "{tab}"
        );
        let key = if tab == "done" {
            "closed_at"
        } else {
            "created_at"
        };
        let times: Vec<String> = [&first, &second]
            .iter()
            .flat_map(|p| p["items"].as_array().unwrap().iter())
            .map(|t| t[key].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(times.len(), 100, "{tab}");
        let mut sorted = times.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(times, sorted, "{tab}: newest first across pages");
        let ids: BTreeSet<&str> = [&first, &second]
            .iter()
            .flat_map(|p| p["items"].as_array().unwrap().iter())
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 100, "{tab}: no task on both pages");
    }
    let done = page(&reviewer1, "/api/v1/tasks?tab=done&page_size=3").await;
    assert_eq!(
        numbers(&done, "business_no"),
        ["HDCAP0000000001", "HDCAP0000000002", "HDCAP0000000003"],
        "the latest 办结时间 first"
    );
    // part of a number: HDCAP0000000040 … HDCAP0000000049
    let found = page(&reviewer1, "/api/v1/tasks?tab=todo&search=HDCAP000000004").await;
    assert_eq!(
        (&found["total"], &found["total_capped"]),
        (&json!(10), &json!(false))
    );

    let monitor = signed_in(&app, "monitor").await;
    let all = page(&monitor, "/api/v1/processes?page_size=20").await;
    assert_eq!(
        (&all["total"], &all["total_capped"]),
        (&json!(10_000), &json!(true))
    );
    let moved: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["updated_at"].as_str().unwrap())
        .collect();
    let mut sorted = moved.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(moved, sorted, "most recently moved first");
    let one = page(&monitor, "/api/v1/processes?business_key=HDCAP0000000042").await;
    assert_eq!(
        (
            &one["total"],
            &one["total_capped"],
            numbers(&one, "business_no")
        ),
        (&json!(1), &json!(false), vec!["HDCAP0000000042".to_owned()])
    );
}

/// Every string in the code that looks like an audit action (`area.entity.verb`), less those that
/// are something else, each for its reason.
const NOT_ACTIONS: &[(&str, &str)] = &[
    (
        "security.",
        "keys of the security parameters (system_parameters)",
    ),
    ("points.lot.", "keys of the points parameters (parameters)"),
    (
        "points.reminder.",
        "keys of the points parameters (parameters)",
    ),
    ("campaign.plan.submit", "an ESB service code"),
    (
        "campaign.plan.result",
        "an ESB service code (the callback we call)",
    ),
    ("process.result.deliver", "an ESB service code"),
    ("channel.campaigns.query", "an ESB service code"),
    (
        "core.account.verify",
        "the core's ESB service code (onboarding's account check)",
    ),
    ("merchant.application.query", "an ESB service code"),
    (
        "a.b.c.d",
        "a malformed assertion in the H5 assertion's unit test",
    ),
];

/// The action-like string literals of the Rust sources under `dir`.
fn action_literals(dir: &std::path::Path, found: &mut BTreeSet<(String, String)>) {
    let pattern = regex::Regex::new(r#""([a-z_]+(?:\.[a-z_]+){2,3})""#).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            action_literals(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs")
            // the catalogue itself names them all
            && !path.ends_with("audit/actions.rs")
        {
            let text = std::fs::read_to_string(&path).unwrap();
            for c in pattern.captures_iter(&text) {
                found.insert((c[1].to_owned(), path.display().to_string()));
            }
        }
    }
}

#[test]
fn every_audit_action_written_in_the_code_is_named_in_the_catalogue() {
    let root = quanyi_tests::harness::repo_root();
    let mut found = BTreeSet::new();
    for dir in [
        "activities/src",
        "api/src",
        "src",
        "worker/src",
        "workflows/src",
    ] {
        action_literals(&root.join(dir), &mut found);
    }
    assert!(
        found.iter().any(|(a, _)| a == "process.action.take"),
        "the scan finds the actions"
    );
    let missing: Vec<String> = found
        .iter()
        .filter(|(a, _)| !NOT_ACTIONS.iter().any(|(n, _)| a.starts_with(n)))
        .filter(|(a, _)| actions::label(a).is_none())
        .map(|(a, file)| format!("{a} ({file})"))
        .collect();
    assert!(
        missing.is_empty(),
        "audit actions without a name in activities/src/audit/actions.rs: {missing:?}"
    );
    // and the catalogue names nothing the code no longer writes
    let written: BTreeSet<&str> = found.iter().map(|(a, _)| a.as_str()).collect();
    let stale: Vec<&str> = actions::ACTIONS
        .iter()
        .map(|a| a.code)
        .filter(|c| !written.contains(c))
        .collect();
    assert!(stale.is_empty(), "named but never written: {stale:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auditor_reads_actions_by_name_and_objects_by_number() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let auditor = signed_in(&app, "auditor").await;
    let start = Utc::now() + Duration::days(3);
    let id = created(&app, &planner, "grant", start, start + Duration::days(7)).await;
    let code = campaign_code(&app, &id).await;
    planner
        .post_json::<Value>(&format!("/api/v1/campaigns/{id}/submit"), json!({}))
        .await
        .unwrap();
    let task = todo(&reviewer1).await[0]["id"].as_str().unwrap().to_owned();
    decide(&reviewer1, &task, "return", "预算过高")
        .await
        .unwrap();

    let catalogue = page(&auditor, "/api/v1/system/audit-actions").await;
    let served: Vec<&str> = catalogue["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        served.len(),
        actions::ACTIONS.len(),
        "the filter lists them all"
    );
    assert!(served.contains(&"campaign.delivery.query"));
    let take = catalogue["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "process.action.take")
        .unwrap();
    assert_eq!(
        (take["label_zh"].as_str(), take["label_en"].as_str()),
        (Some("流程办理"), Some("Process action"))
    );
    assert!(
        catalogue["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "comment" && f["label_zh"] == "意见")
    );
    // the planner may not read it
    let refused = get::<Value>(&planner, "/api/v1/system/audit-actions")
        .await
        .unwrap_err();
    assert_eq!(refused.1.code, "QY-AUTH-0003");

    // the log names the campaign and its process by the campaign's number
    let log = page(
        &auditor,
        "/api/v1/system/audit-log?action=process.action.take",
    )
    .await;
    assert!(log["total"].as_i64().unwrap() >= 1, "{log}");
    for row in log["items"].as_array().unwrap() {
        assert_eq!(row["target_no"], code.as_str(), "{row}");
        assert_eq!(row["target"], workflow_id(&id).as_str());
    }
    let created_row = page(
        &auditor,
        "/api/v1/system/audit-log?action=campaign.campaign.create",
    )
    .await;
    assert_eq!(created_row["items"][0]["target_no"], code.as_str());

    // 操作对象 takes the number or part of it: the campaign's record and its process's
    let tail = &code[code.len() - 6..];
    let of_it = page(&auditor, &format!("/api/v1/system/audit-log?target={tail}")).await;
    let actions: BTreeSet<&str> = of_it["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["target_no"], code.as_str(), "{r}");
            r["action"].as_str().unwrap()
        })
        .collect();
    assert!(
        actions.contains("campaign.campaign.create") && actions.contains("process.action.take"),
        "{actions:?}"
    );
    let by_name = page(&auditor, "/api/v1/system/audit-log?target=planner").await;
    assert!(
        by_name["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["target"] == "planner"),
        "a target as stored is matched whole"
    );
}
