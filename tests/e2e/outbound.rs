//! Outbound notices and calls (INT-1, INT-2) against real peers: the SMS platform that fails and
//! recovers, the one that is down while a campaign goes on, a notice queued twice, the WeChat
//! group hearing of an escalation (and e-mail still going out), the circuit breaker, and the ESB
//! consumer called back once when the plan it submitted is approved.

use chrono::{DateTime, Duration, Utc};
use quanyi_activities::audit::Entry;
use quanyi_activities::benefits::clients;
use quanyi_activities::esb::outbound::{
    Call, Failure, Idempotency, Outbound, OutboundSettings, Target,
};
use quanyi_activities::esb::{self as esb_store, NewConsumer};
use quanyi_activities::notify::{
    self, Dispatcher, EsbOutbound, RetryPolicy, Routing, SmsPlatform, WechatRobot,
};
use quanyi_activities::process;
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{Browser, TestApp, data_key, spawn_app};
use quanyi_tests::peers::{Peer, SMS_APP_ID, SMS_APP_KEY};
use quanyi_tests::smtp::SmtpSink;
use quanyi_workflows::process::{Notice, NoticeKind};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

fn workflow_id(campaign_id: &str) -> String {
    quanyi_workflows::kind::ProcessKind::Campaign.workflow_id(campaign_id)
}

/// Fast retries so a test sees them all within a second.
fn settings() -> OutboundSettings {
    OutboundSettings {
        connect_timeout: std::time::Duration::from_millis(500),
        request_timeout: std::time::Duration::from_secs(2),
        attempts: 3,
        retry_delay: std::time::Duration::from_millis(20),
        retry_max_delay: std::time::Duration::from_millis(100),
        breaker_failures: 50,
        breaker_cooldown: std::time::Duration::from_secs(1),
    }
}

fn dispatcher(app: &TestApp, settings: OutboundSettings) -> Dispatcher {
    Dispatcher {
        outbound: Some(Outbound::new(app.pool.clone(), settings).unwrap()),
        retry: RetryPolicy {
            max_attempts: 1000,
            base_delay: std::time::Duration::from_millis(200),
            max_delay: std::time::Duration::from_secs(1),
        },
        ..Dispatcher::default()
    }
}

fn sms_platform(url: &str) -> SmsPlatform {
    SmsPlatform {
        url: url.into(),
        app_id: SMS_APP_ID.into(),
        app_key: SMS_APP_KEY.into(),
    }
}

fn all_kinds() -> Vec<String> {
    ["remind", "escalate", "submitter", "transfer"]
        .map(String::from)
        .to_vec()
}

fn sms_routing() -> Routing {
    Routing {
        sms: all_kinds(),
        ..Routing::default()
    }
}

/// A decision notice to the planner, as the campaign workflow's `NotifySubmitter` queues it.
fn notice(wf: &str) -> Notice {
    Notice {
        key: format!("{wf}/3/submitter"),
        kind: NoticeKind::Submitter,
        workflow_id: wf.to_owned(),
        callback: None,
        username: "planner".into(),
        subject: "营销活动《开门红》：审批通过".into(),
        body: "您提交的营销活动《开门红》审批通过，当前状态：待发布。".into(),
        at: Utc::now(),
    }
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct Row {
    channel: String,
    recipient: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
}

async fn rows(app: &TestApp, key_prefix: &str) -> Vec<Row> {
    sqlx::query_as(
        "SELECT channel, recipient, status, attempts, last_error FROM notifications
          WHERE key LIKE $1 || '%' ORDER BY channel, id",
    )
    .bind(key_prefix)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    browser.login(username, DEMO_PASSWORD).await.unwrap();
    browser
}

async fn get(browser: &Browser, path: &str) -> Value {
    Browser::answer::<Value>(browser.http.get(browser.url(path)).send().await.unwrap())
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e:?}"))
}

/// Runs the worker's dispatch loop (the function `quanyi worker` spawns) until the token stops.
fn spawn_dispatcher(app: &TestApp, dispatcher: Dispatcher) -> CancellationToken {
    let stop = CancellationToken::new();
    tokio::spawn(quanyi::dispatch_notifications(
        dispatcher,
        app.pool.clone(),
        50,
        std::time::Duration::from_millis(100),
        stop.clone(),
    ));
    stop
}

/// Polls `check` until it holds, failing after `within`.
async fn eventually<F, Fut>(within: std::time::Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn state_of(app: &TestApp, wf: &str) -> Option<String> {
    sqlx::query_scalar("SELECT state FROM process_instances WHERE workflow_id = $1")
        .bind(wf)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

async fn org(app: &TestApp, code: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
        .bind(code)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn plan(org_id: Uuid, kind: &str, start: DateTime<Utc>) -> Value {
    json!({
        "name": "开门红 存款有礼", "type": kind, "org_id": org_id,
        "channels": ["mobile_banking"], "start_at": start, "end_at": start + Duration::days(30),
        "success_criteria": "", "description": "",
        "rules": [{"name": "立减金", "budget_fen": 1_000_000}]
    })
}

/// Submits a draft for review with a one-customer list (a campaign goes to review only with
/// customers).
async fn submit(browser: &Browser, id: &str) {
    let response = browser
        .http
        .post(browser.url(&format!("/api/v1/campaigns/{id}/customers")))
        .header("x-requested-with", "quanyi")
        .header("content-type", "text/csv")
        .body("customer_no\nC000000001\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    browser
        .post_json::<Value>(&format!("/api/v1/campaigns/{id}/submit"), json!({}))
        .await
        .unwrap();
}

async fn first_task(browser: &Browser) -> String {
    let page = get(browser, "/api/v1/tasks?tab=todo").await;
    page["items"][0]["id"].as_str().expect("a task").to_owned()
}

async fn decide(browser: &Browser, task: &str, decision: &str, comment: &str) {
    browser
        .post_json::<Value>(
            &format!("/api/v1/tasks/{task}/decision"),
            json!({"decision": decision, "comment": comment}),
        )
        .await
        .unwrap_or_else(|e| panic!("{decision}: {e:?}"));
}

#[tokio::test]
async fn an_sms_whose_platform_fails_twice_is_sent_once_on_the_third_attempt() {
    let app = spawn_app().await;
    let peer = Peer::sms().await;
    peer.fail_next(2, StatusCode::SERVICE_UNAVAILABLE);
    let wf = workflow_id(&Uuid::new_v4().to_string());
    process::notify(
        &mut app.pool.acquire().await.unwrap(),
        &sms_routing(),
        &notice(&wf),
    )
    .await
    .unwrap();

    let dispatcher = Dispatcher {
        sms: Some(sms_platform(&peer.base)),
        ..dispatcher(&app, settings())
    };
    assert_eq!(
        notify::dispatch(&app.pool, &dispatcher, 10, Utc::now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(peer.received().len(), 3, "two 503s, then the one accepted");
    let accepted = peer.accepted();
    assert_eq!(accepted.len(), 1, "exactly one SMS");
    assert_eq!(accepted[0]["mobile"], "13700137002");
    assert_eq!(accepted[0]["msgId"], format!("{wf}/3/submitter/sms"));
    assert_eq!(accepted[0]["templateCode"], "QY_PROCESS_NOTICE");
    assert_eq!(
        accepted[0]["params"],
        json!({"subject": "营销活动《开门红》：审批通过"})
    );
    let sms: Vec<Row> = rows(&app, &wf)
        .await
        .into_iter()
        .filter(|r| r.channel == "sms")
        .collect();
    assert_eq!(
        sms,
        [Row {
            channel: "sms".into(),
            recipient: "13700137002".into(),
            status: "sent".into(),
            attempts: 3,
            last_error: None,
        }]
    );
    // the request log: each attempt, the mobile masked
    let log: Vec<(i32, Option<i32>, String, String)> = sqlx::query_as(
        "SELECT attempt, http_status, outcome, request_excerpt FROM outbound_requests ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let outcomes: Vec<(i32, Option<i32>, &str)> = log
        .iter()
        .map(|(a, s, o, _)| (*a, *s, o.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (1, Some(503), "http_error"),
            (2, Some(503), "http_error"),
            (3, Some(200), "ok")
        ]
    );
    assert!(
        log.iter().all(
            |(.., excerpt)| excerpt.contains("137****7002") && !excerpt.contains("13700137002")
        )
    );
    // the staff's view of it
    let monitor = signed_in(&app, "monitor").await;
    let page = get(
        &monitor,
        "/api/v1/esb/outbound?target=sms&outcome=http_error",
    )
    .await;
    assert_eq!(page["total"], 2);
}

#[tokio::test]
async fn the_same_notice_queued_twice_is_one_row_and_one_sms() {
    let app = spawn_app().await;
    let peer = Peer::sms().await;
    let wf = workflow_id(&Uuid::new_v4().to_string());
    let notice = notice(&wf);
    // the activity retried after its first run committed
    process::notify(
        &mut app.pool.acquire().await.unwrap(),
        &sms_routing(),
        &notice,
    )
    .await
    .unwrap();
    process::notify(
        &mut app.pool.acquire().await.unwrap(),
        &sms_routing(),
        &notice,
    )
    .await
    .unwrap();
    let queued: Vec<(String, String)> = rows(&app, &wf)
        .await
        .into_iter()
        .map(|r| (r.channel, r.status))
        .collect();
    assert_eq!(
        queued,
        [
            ("email".into(), "pending".into()),
            ("sms".into(), "pending".into())
        ]
    );
    let dispatcher = Dispatcher {
        sms: Some(sms_platform(&peer.base)),
        ..dispatcher(&app, settings())
    };
    notify::dispatch(&app.pool, &dispatcher, 10, Utc::now())
        .await
        .unwrap();
    notify::dispatch(&app.pool, &dispatcher, 10, Utc::now())
        .await
        .unwrap();
    assert_eq!(peer.received().len(), 1, "sent once");

    // A crash after the platform accepted and before `sent` committed: the row is due again,
    // and the platform drops the repeat because the msgId is the same.
    sqlx::query(
        "UPDATE notifications SET status = 'retrying', sent_at = NULL WHERE channel = 'sms'",
    )
    .execute(&mut app.owner_connection().await)
    .await
    .unwrap();
    notify::dispatch(&app.pool, &dispatcher, 10, Utc::now())
        .await
        .unwrap();
    let received = peer.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body["msgId"], received[1].body["msgId"]);
    assert_eq!(peer.accepted().len(), 1, "one SMS reached the phone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_that_is_down_leaves_the_sms_retrying_and_the_campaign_goes_on() {
    let app = spawn_app().await;
    let _worker = app.start_worker_with(sms_routing()).await;
    let closed = {
        let peer = Peer::sms().await;
        peer.base.clone()
    }; // dropped: connection refused from now on
    let stop = spawn_dispatcher(
        &app,
        Dispatcher {
            sms: Some(sms_platform(&closed)),
            ..dispatcher(&app, settings())
        },
    );
    let planner = signed_in(&app, "planner").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let start = Utc::now() + Duration::days(10);
    let created: Value = planner
        .post_json(
            "/api/v1/campaigns",
            plan(org(&app, "SB0101").await, "grant", start),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let wf = workflow_id(id);
    submit(&planner, id).await;
    let task = first_task(&reviewer1).await;
    decide(&reviewer1, &task, "return", "预算请细化").await;

    // the process went on: returned to the planner's draft, whatever the SMS platform does
    eventually(std::time::Duration::from_secs(20), "returned", || async {
        state_of(&app, &wf).await.as_deref() == Some("Draft")
    })
    .await;
    eventually(
        std::time::Duration::from_secs(20),
        "an SMS retrying",
        || async {
            rows(&app, &wf)
                .await
                .iter()
                .any(|r| r.channel == "sms" && r.status == "retrying" && r.attempts >= 1)
        },
    )
    .await;
    stop.cancel();

    let monitor = signed_in(&app, "monitor").await;
    let page = get(
        &monitor,
        &format!("/api/v1/system/notifications?channel=sms&status=retrying&workflow_id={wf}"),
    )
    .await;
    assert_eq!(page["total"], 1, "{page}");
    let item = &page["items"][0];
    assert_eq!(item["recipient"], "137****7002", "masked");
    assert_eq!(item["kind"], "submitter");
    assert_eq!(item["template_code"], "QY_PROCESS_NOTICE");
    assert!(
        item["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("connection failed")),
        "{item}"
    );
    // a filter value outside the list is refused with the query's code
    let (status, error) = Browser::answer::<Value>(
        monitor
            .http
            .get(monitor.url("/api/v1/system/notifications?status=lost"))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (status, error.code.as_str()),
        (StatusCode::BAD_REQUEST, "QY-REQ-0005")
    );
    // and a user without the permission sees nothing
    let (status, _) = Browser::answer::<Value>(
        reviewer1
            .http
            .get(reviewer1.url("/api/v1/system/notifications"))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wechat_group_hears_of_an_escalation_and_e_mail_still_goes_out() {
    let app = spawn_app().await;
    let routing = Routing {
        wechat: vec!["escalate".into()],
        ..Routing::default()
    };
    let _worker = app.start_worker_with(routing).await;
    let robot = Peer::wechat().await;
    let sink = SmtpSink::start().await;
    let stop = spawn_dispatcher(
        &app,
        Dispatcher {
            mailer: Some(
                notify::Mailer::new(&sink.url(), "权益平台 <noreply@quanyi.example>").unwrap(),
            ),
            wechat: Some(WechatRobot {
                webhook_url: robot.webhook_url().into(),
            }),
            ..dispatcher(&app, settings())
        },
    );
    // lottery campaigns: 初审 in 3 s, reminded 2 s before, escalating
    sqlx::query(
        r#"INSERT INTO approval_policies (process_type, variant, label, levels, updated_by)
           VALUES ('campaign', 'lottery', '抽奖活动审批', '[
             {"name": "初审", "role": "first_reviewer", "org_rule": "branch", "sla_seconds": 3,
              "remind_before_seconds": 2, "escalate": true},
             {"name": "复核", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 3600,
              "remind_before_seconds": 0, "escalate": false}]', 'test')"#,
    )
    .execute(&mut app.owner_connection().await)
    .await
    .unwrap();
    let planner = signed_in(&app, "planner").await;
    let start = Utc::now() + Duration::days(10);
    let created: Value = planner
        .post_json(
            "/api/v1/campaigns",
            plan(org(&app, "SB0101").await, "lottery", start),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    submit(&planner, id).await;

    eventually(
        std::time::Duration::from_secs(20),
        "the group hears",
        || async { !robot.accepted().is_empty() },
    )
    .await;
    eventually(
        std::time::Duration::from_secs(20),
        "two e-mails",
        || async { sink.received().len() == 2 },
    )
    .await;
    stop.cancel();
    let posted = robot.accepted();
    assert_eq!(posted.len(), 1, "one post per escalation: {posted:?}");
    let body = &posted[0];
    assert_eq!(body["msgtype"], "text");
    let content = body["text"]["content"].as_str().unwrap();
    assert!(content.contains("已超时"), "{content}");
    assert!(content.contains("开门红 存款有礼"), "{content}");
    assert_eq!(
        body["text"]["mentioned_mobile_list"],
        json!(["13600136003"]),
        "the one candidate, reviewer1"
    );
    assert_eq!(
        robot.received()[0].query["key"],
        quanyi_tests::peers::WECHAT_KEY
    );
    let mails: Vec<Vec<String>> = sink.received().into_iter().map(|m| m.to).collect();
    assert_eq!(
        mails,
        [
            vec!["reviewer1@quanyi.example".to_owned()],
            vec!["reviewer1@quanyi.example".to_owned()]
        ],
        "the reminder and the escalation"
    );
    // the webhook's key never reaches the log
    let urls: Vec<String> = sqlx::query_scalar("SELECT url FROM outbound_requests")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(!urls.is_empty() && urls.iter().all(|u| !u.contains("key=")));
}

#[tokio::test]
async fn an_open_breaker_fails_fast_and_closes_after_its_cool_down() {
    let app = spawn_app().await;
    let peer = Peer::sms().await;
    peer.fail_always(StatusCode::SERVICE_UNAVAILABLE);
    let settings = OutboundSettings {
        attempts: 1,
        breaker_failures: 3,
        breaker_cooldown: std::time::Duration::from_secs(1),
        ..settings()
    };
    let client = Outbound::new(app.pool.clone(), settings.clone()).unwrap();
    let body = json!({"ping": 1});
    let url = format!("{}/sms/v1/send", peer.base);
    let call = Call {
        target: Target::Sms,
        service: "sms.send",
        url: &url,
        headers: Vec::new(),
        body: &body,
        idempotency: Idempotency::Once,
        judge: |_| Ok(()),
        notification_id: None,
    };
    for _ in 0..3 {
        let d = client.call(&call).await;
        assert!(matches!(d.result, Err(Failure::Unavailable(_))), "{d:?}");
        assert_eq!(d.attempts, 1);
    }
    assert_eq!(peer.received().len(), 3);
    // open: nothing reaches the peer
    for _ in 0..5 {
        let d = client.call(&call).await;
        assert_eq!(d.result.unwrap_err(), Failure::CircuitOpen);
        assert_eq!(d.attempts, 0);
    }
    assert_eq!(peer.received().len(), 3, "fail fast while open");
    // another target is not affected
    let other = client
        .call(&Call {
            target: Target::Esb,
            ..call_clone(&call)
        })
        .await;
    assert!(matches!(other.result, Err(Failure::Unavailable(_))));
    assert_eq!(peer.received().len(), 4);

    // the dispatcher leaves a due SMS for later, without counting an attempt
    let wf = workflow_id(&Uuid::new_v4().to_string());
    process::notify(
        &mut app.pool.acquire().await.unwrap(),
        &sms_routing(),
        &notice(&wf),
    )
    .await
    .unwrap();
    let dispatcher = Dispatcher {
        sms: Some(sms_platform(&peer.base)),
        outbound: Some(client.clone()),
        ..dispatcher(&app, settings.clone())
    };
    let now = Utc::now();
    notify::dispatch(&app.pool, &dispatcher, 10, now)
        .await
        .unwrap();
    let (status, attempts, error, due): (String, i32, Option<String>, DateTime<Utc>) =
        sqlx::query_as(
            "SELECT status, attempts, last_error, next_attempt_at FROM notifications
              WHERE channel = 'sms'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!((status.as_str(), attempts), ("retrying", 0));
    assert!(error.is_some_and(|e| e.contains("circuit open")));
    assert!(due > now, "due again later");
    assert_eq!(peer.received().len(), 4);

    // the peer recovers; after the cool-down one call goes through and closes the breaker
    peer.recover();
    eventually(std::time::Duration::from_secs(5), "half-open", || async {
        client.call(&call).await.result.is_ok()
    })
    .await;
    assert_eq!(peer.received().len(), 5, "exactly one trial call");
    assert!(client.call(&call).await.result.is_ok(), "closed again");
    let open_logged: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbound_requests WHERE outcome = 'circuit_open'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        open_logged >= 6,
        "each refused call is logged: {open_logged}"
    );
}

fn call_clone<'a>(call: &Call<'a>) -> Call<'a> {
    Call {
        target: call.target,
        service: call.service,
        url: call.url,
        headers: call.headers.clone(),
        body: call.body,
        idempotency: call.idempotency,
        judge: call.judge,
        notification_id: call.notification_id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_submitted_over_the_esb_and_approved_is_called_back_once() {
    let app = spawn_app().await;
    let routing = Routing {
        esb_callbacks: vec!["gmp".into()],
        ..Routing::default()
    };
    let _worker = app.start_worker_with(routing).await;
    let esb_peer = Peer::esb().await;
    let stop = spawn_dispatcher(
        &app,
        Dispatcher {
            esb: Some(EsbOutbound {
                url: esb_peer.esb_url(),
                system_id: "quanyi".into(),
            }),
            ..dispatcher(&app, settings())
        },
    );
    let (_, secret) = esb_store::register(
        &app.pool,
        &data_key(),
        NewConsumer {
            code: "gmp".into(),
            name: "网格化营销平台".into(),
            services: vec!["campaign.plan.submit".into()],
            source_networks: None,
            rate_per_second: 100,
            burst: 100,
            acting_username: "planner".into(),
        },
        Utc::now(),
        Entry::default(),
    )
    .await
    .unwrap()
    .unwrap();
    let start = Utc::now() + Duration::days(10);
    let mut body = plan(org(&app, "SB0101").await, "grant", start);
    body["comment"] = "网格化营销平台推送".into();
    body["customer_nos"] = json!(["C000000001", "C000000002"]);
    let envelope = serde_json::to_vec(&json!({
        "sysHead": {"serviceCode": "campaign.plan.submit", "consumerId": "gmp",
                    "consumerSeqNo": "GMP-0042", "tranDate": "20261126", "tranTime": "083000"},
        "body": body,
    }))
    .unwrap();
    let path = "/esb/v1/campaign.plan.submit";
    let ts = Utc::now().timestamp().to_string();
    let nonce = Uuid::new_v4().simple().to_string();
    let signature = clients::sign(
        &secret,
        &clients::string_to_sign(&ts, &nonce, "POST", path, &envelope),
    );
    let answer: Value = reqwest::Client::new()
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("x-qy-client", "gmp")
        .header("x-qy-timestamp", ts)
        .header("x-qy-nonce", nonce)
        .header("x-qy-signature", signature)
        .body(envelope)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["sysHead"]["retCode"], "000000", "{answer}");
    let campaign_id = answer["body"]["campaign_id"].as_str().unwrap().to_owned();
    let wf = workflow_id(&campaign_id);

    let reviewer1 = signed_in(&app, "reviewer1").await;
    let task = first_task(&reviewer1).await;
    decide(&reviewer1, &task, "approve", "同意").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    eventually(std::time::Duration::from_secs(10), "复核 open", || async {
        get(&reviewer2, "/api/v1/tasks?tab=todo").await["total"] == 1
    })
    .await;
    let task = first_task(&reviewer2).await;
    decide(&reviewer2, &task, "approve", "同意发布").await;

    eventually(
        std::time::Duration::from_secs(20),
        "the callback",
        || async { !esb_peer.accepted().is_empty() },
    )
    .await;
    // a few more dispatch rounds: still one
    let key = format!("{wf}/esb");
    eventually(std::time::Duration::from_secs(5), "sent", || async {
        sqlx::query_scalar::<_, String>(
            "SELECT status FROM notifications WHERE channel = 'esb' AND key LIKE $1 || '%'",
        )
        .bind(&wf)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
        .as_deref()
            == Some("sent")
    })
    .await;
    stop.cancel();
    let calls = esb_peer.accepted();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(esb_peer.received().len(), 1);
    let call = &calls[0];
    let head = &call["sysHead"];
    assert_eq!(head["serviceCode"], "campaign.plan.result");
    assert_eq!(head["consumerId"], "quanyi");
    assert_eq!(head["providerId"], "gmp");
    let seq = head["consumerSeqNo"].as_str().unwrap();
    assert!(
        seq.starts_with(&format!("{wf}.")) && seq.ends_with(".submitter.esb"),
        "{seq} is the outbox key {key}…"
    );
    assert!(head["tranDate"].as_str().unwrap().len() == 8);
    assert!(head["tranTime"].as_str().unwrap().len() == 6);
    let body = &call["body"];
    assert_eq!(body["campaign_id"], campaign_id.as_str());
    assert_eq!(body["workflow_id"], wf.as_str());
    assert_eq!(body["state"], "Scheduled");
    assert_eq!(body["submit_seq_no"], "GMP-0042");
    assert!(body["campaign_code"].as_str().unwrap().starts_with("HD"));
}
