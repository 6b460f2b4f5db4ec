//! The inbound ESB gateway (INT-1, docs/esb.md) over HTTP against the real PostgreSQL and
//! Temporal: every bad message gets its own three-segment code and changes nothing, a serial
//! number gets one answer however often and however concurrently it comes, and a plan goes in,
//! is queried and takes a delivered result into its process history.

use chrono::{Duration, Utc};
use futures::future::join_all;
use quanyi_activities::audit::Entry;
use quanyi_activities::benefits::clients;
use quanyi_activities::esb::{self, NewConsumer};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{TestApp, data_key, spawn_app};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

static NONCE: AtomicU64 = AtomicU64::new(0);

fn nonce() -> String {
    format!(
        "e{:015}-{}",
        NONCE.fetch_add(1, Ordering::Relaxed),
        Uuid::new_v4().simple()
    )
}

/// A registered ESB consumer, as the bank's ESB would call.
pub(crate) struct Consumer {
    code: String,
    secret: Vec<u8>,
    base: String,
    http: reqwest::Client,
}

/// One request, its parts open to tampering.
struct Send<'a> {
    service: &'a str,
    body: Vec<u8>,
    content_type: &'a str,
    timestamp: i64,
    nonce: String,
    /// Replaces the signature when set.
    signature: Option<String>,
    client: Option<&'a str>,
}

impl Consumer {
    fn request<'a>(&self, service: &'a str, body: Vec<u8>) -> Send<'a> {
        Send {
            service,
            body,
            content_type: "application/json; charset=utf-8",
            timestamp: Utc::now().timestamp(),
            nonce: nonce(),
            signature: None,
            client: None,
        }
    }

    async fn send(&self, s: Send<'_>) -> Vec<u8> {
        let path = format!("/esb/v1/{}", s.service);
        let ts = s.timestamp.to_string();
        let message = clients::string_to_sign(&ts, &s.nonce, "POST", &path, &s.body);
        let signature = s
            .signature
            .unwrap_or_else(|| clients::sign(&self.secret, &message));
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", s.content_type)
            .header("x-qy-client", s.client.unwrap_or(&self.code))
            .header("x-qy-timestamp", ts)
            .header("x-qy-nonce", s.nonce)
            .header("x-qy-signature", signature)
            .body(s.body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "the gateway always answers 200");
        response.bytes().await.unwrap().to_vec()
    }

    pub(crate) async fn call(&self, service: &str, seq: &str, body: Value) -> Value {
        let bytes = self
            .send(self.request(service, envelope(&self.code, service, seq, body)))
            .await;
        serde_json::from_slice(&bytes).unwrap()
    }
}

fn envelope(consumer: &str, service: &str, seq: &str, body: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "sysHead": {"serviceCode": service, "consumerId": consumer, "consumerSeqNo": seq,
                    "tranDate": "20261126", "tranTime": "083000"},
        "appHead": {"branchId": "0101"},
        "body": body,
    }))
    .unwrap()
}

fn ret_code(answer: &Value) -> &str {
    answer["sysHead"]["retCode"].as_str().unwrap()
}

pub(crate) async fn register(
    app: &TestApp,
    code: &str,
    services: &[&str],
    networks: Option<Vec<String>>,
    rate: i32,
) -> Consumer {
    let (_, secret) = esb::register(
        &app.pool,
        &data_key(),
        NewConsumer {
            code: code.into(),
            name: format!("{code} 系统"),
            services: services.iter().map(|s| (*s).to_owned()).collect(),
            source_networks: networks,
            rate_per_second: rate,
            burst: rate,
            acting_username: "planner".into(),
        },
        Utc::now(),
        Entry::default(),
    )
    .await
    .unwrap()
    .unwrap();
    Consumer {
        code: code.into(),
        secret,
        base: app.url(""),
        http: reqwest::Client::new(),
    }
}

pub(crate) async fn org(app: &TestApp, code: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
        .bind(code)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn plan(app: &TestApp) -> Value {
    let start = Utc::now() + Duration::days(10);
    json!({
        "name": "网格化营销 存款有礼", "type": "grant", "org_id": org(app, "SB0101").await,
        "channels": ["mobile_banking"], "start_at": start, "end_at": start + Duration::days(30),
        "rules": [{"name": "立减金", "budget_fen": 1_000_000}],
        "comment": "网格化营销平台推送", "customerNo": "C10000001"
    })
}

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "campaigns",
        "process_instances",
        "process_transitions",
        "tasks",
    ] {
        out.push(
            sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&app.pool)
                .await
                .unwrap(),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_message_has_its_own_code_and_changes_nothing() {
    let app = spawn_app().await;
    let gmp = register(
        &app,
        "gmp",
        &["campaign.plan.submit", "process.query"],
        None,
        1000,
    )
    .await;
    let query = |seq: &str, key: Uuid| {
        envelope(
            "gmp",
            "process.query",
            seq,
            json!({"process_type": "campaign", "business_key": key}),
        )
    };
    // the first answers the reused nonce and the reused serial number refer to
    let first = gmp.request("process.query", query("S-1", Uuid::nil()));
    let spent = first.nonce.clone();
    let answer: Value = serde_json::from_slice(&gmp.send(first).await).unwrap();
    assert_eq!(ret_code(&answer), "BIZ-C-0002");
    let before = counts(&app).await;

    let mut cases: Vec<(&str, Send<'_>)> = Vec::new();
    let mut gbk = gmp.request("process.query", query("S-2", Uuid::nil()));
    gbk.content_type = "application/json; charset=GBK";
    cases.push(("GW-C-0001", gbk));
    let mut big = b"{\"pad\":\"".to_vec();
    big.extend(std::iter::repeat_n(b'x', 101 * 1024));
    big.extend(b"\"}");
    cases.push(("GW-C-0002", gmp.request("process.query", big)));
    cases.push((
        "GW-C-0003",
        gmp.request("process.query", b"{\"sysHead\": {".to_vec()),
    ));
    cases.push((
        "GW-C-0004",
        gmp.request(
            "process.query",
            serde_json::to_vec(&json!({"sysHead": {"serviceCode": "process.query", "consumerId": "gmp"}, "body": {}}))
                .unwrap(),
        ),
    ));
    cases.push((
        "GW-C-0005",
        gmp.request("no.such", envelope("gmp", "no.such", "S-3", json!({}))),
    ));
    cases.push((
        "GW-C-0106",
        gmp.request(
            "process.result.deliver",
            envelope("gmp", "process.result.deliver", "S-4", json!({})),
        ),
    ));
    let mut unsigned = gmp.request("process.query", query("S-5", Uuid::nil()));
    unsigned.nonce = "short".into();
    cases.push(("GW-C-0101", unsigned));
    let mut stranger = gmp.request("process.query", query("S-6", Uuid::nil()));
    stranger.client = Some("nobody");
    cases.push(("GW-C-0102", stranger));
    let mut forged = gmp.request("process.query", query("S-7", Uuid::nil()));
    forged.signature = Some("00".repeat(32));
    cases.push(("GW-C-0103", forged));
    let mut stale = gmp.request("process.query", query("S-8", Uuid::nil()));
    stale.timestamp -= 301;
    cases.push(("GW-C-0104", stale));
    let mut replay = gmp.request("process.query", query("S-9", Uuid::nil()));
    replay.nonce = spent;
    cases.push(("GW-C-0105", replay));
    cases.push((
        "GW-C-0201",
        gmp.request("process.query", query("S-1", Uuid::new_v4())),
    ));
    cases.push((
        "BIZ-C-0001",
        gmp.request(
            "campaign.plan.submit",
            envelope(
                "gmp",
                "campaign.plan.submit",
                "S-10",
                json!({"type": "grant"}),
            ),
        ),
    ));
    for (expected, send) in cases {
        let bytes = gmp.send(send).await;
        let answer: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{expected}: an envelope, got {bytes:?}"));
        assert_eq!(ret_code(&answer), expected, "{answer}");
        assert!(
            answer["sysHead"]["providerSeqNo"]
                .as_str()
                .unwrap()
                .starts_with("QY")
        );
    }
    // from an address not on the list, and over the rate limit
    let walled = register(
        &app,
        "walled",
        &["process.query"],
        Some(vec!["10.0.0.0/8".into()]),
        1000,
    )
    .await;
    let answer = walled.call("process.query", "W-1", json!({})).await;
    assert_eq!(ret_code(&answer), "GW-C-0107");
    let slow = register(&app, "slow", &["process.query"], None, 1).await;
    let answers = join_all((0..3).map(|i| {
        let seq = format!("R-{i}");
        let slow = &slow;
        async move { slow.call("process.query", &seq, json!({})).await }
    }))
    .await;
    assert!(
        answers.iter().any(|a| ret_code(a) == "GW-C-0108"),
        "{answers:?}"
    );

    assert_eq!(counts(&app).await, before, "nothing changed");
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM esb_messages")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(logged, 1 + 13 + 1 + 3, "every message is logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_identical_posts_with_one_serial_start_one_workflow_and_get_one_answer() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let gmp = register(&app, "gmp", &["campaign.plan.submit"], None, 1000).await;
    let body = envelope("gmp", "campaign.plan.submit", "GMP-0001", plan(&app).await);
    let answers =
        join_all((0..50).map(|_| gmp.send(gmp.request("campaign.plan.submit", body.clone()))))
            .await;
    let first: Value = serde_json::from_slice(&answers[0]).unwrap();
    assert_eq!(ret_code(&first), "000000", "{first}");
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "50 identical answers"
    );
    assert_eq!(counts(&app).await[..2], [1, 1], "one campaign, one process");
    assert_eq!(first["body"]["state"], "FirstReview");
    assert_eq!(first["sysHead"]["consumerSeqNo"], "GMP-0001");
    assert_eq!(first["appHead"]["branchId"], "0101");
    let replayed: i64 = sqlx::query_scalar("SELECT count(*) FROM esb_messages WHERE replayed")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(replayed, 49);
    let masked: Value =
        sqlx::query_scalar("SELECT request_masked FROM esb_messages WHERE NOT replayed")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(masked["body"]["customerNo"], "C1***0001", "SEC-6");
    let mut snapshot = first.clone();
    snapshot["sysHead"]["providerSeqNo"] = "QY…".into();
    snapshot["body"]["campaign_id"] = "…".into();
    snapshot["body"]["campaign_code"] = "…".into();
    snapshot["body"]["workflow_id"] = "campaign-…".into();
    insta::assert_json_snapshot!("esb_envelope_plan_submitted", snapshot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_goes_in_is_queried_and_takes_a_delivered_result() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let gmp = register(
        &app,
        "gmp",
        &[
            "campaign.plan.submit",
            "process.query",
            "process.result.deliver",
        ],
        None,
        1000,
    )
    .await;
    let submitted = gmp
        .call("campaign.plan.submit", "P-1", plan(&app).await)
        .await;
    assert_eq!(ret_code(&submitted), "000000", "{submitted}");
    let key = submitted["body"]["campaign_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = json!({"process_type": "campaign", "business_key": key});
    let seen = gmp.call("process.query", "Q-1", query.clone()).await;
    assert_eq!(ret_code(&seen), "000000", "{seen}");
    assert_eq!(seen["body"]["state"], "FirstReview");
    assert!(
        seen["body"]["allowed_actions"]
            .as_array()
            .unwrap()
            .contains(&json!("withdraw")),
        "the acting planner may withdraw: {seen}"
    );
    let delivered = gmp
        .call(
            "process.result.deliver",
            "D-1",
            json!({"process_type": "campaign", "business_key": key,
                   "result_type": "evaluation", "summary": "网格评估：覆盖 1200 户"}),
        )
        .await;
    assert_eq!(ret_code(&delivered), "000000", "{delivered}");
    let mut found = false;
    for i in 0..100 {
        let seen = gmp
            .call("process.query", &format!("Q-2-{i}"), query.clone())
            .await;
        let timeline = seen["body"]["timeline"].as_array().unwrap();
        if let Some(entry) = timeline.iter().find(|e| e["event"] == "ExternalResult") {
            assert_eq!(entry["actor"], "gmp");
            assert_eq!(
                entry["to_state"], "FirstReview",
                "a result changes no state"
            );
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found, "the result is in the process history");
    let unknown = gmp
        .call(
            "process.result.deliver",
            "D-2",
            json!({"process_type": "campaign", "business_key": Uuid::new_v4(),
                   "result_type": "evaluation", "summary": "x"}),
        )
        .await;
    assert_eq!(ret_code(&unknown), "BIZ-C-0002");

    // the message log, through the admin API
    let admin = app.browser();
    admin.login("admin", DEMO_PASSWORD).await.unwrap();
    let page: Value = quanyi_tests::harness::Browser::answer::<Value>(
        admin
            .http
            .get(admin.url("/api/v1/esb/messages?consumer=gmp&failed=true"))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["ret_code"], "BIZ-C-0002");
    let consumers: Value = quanyi_tests::harness::Browser::answer::<Value>(
        admin
            .http
            .get(admin.url("/api/v1/esb/consumers"))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(consumers["items"][0]["acting_username"], "planner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_retried_after_a_provider_failure_finds_its_draft_and_process_again() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let gmp = register(&app, "gmp", &["campaign.plan.submit"], None, 1000).await;
    let body = plan(&app).await;
    let first = gmp
        .call("campaign.plan.submit", "P-RETRY", body.clone())
        .await;
    assert_eq!(ret_code(&first), "000000", "{first}");
    // As after a provider failure (SYS-P-…): the gateway gave the serial number back, so the
    // consumer's retry runs the service again — after the draft and perhaps the process were made.
    sqlx::query("DELETE FROM esb_exchanges WHERE consumer_seq_no = 'P-RETRY'")
        .execute(&mut app.owner_connection().await)
        .await
        .unwrap();
    let again = gmp.call("campaign.plan.submit", "P-RETRY", body).await;
    assert_eq!(ret_code(&again), "000000", "{again}");
    assert_eq!(
        again["body"]["campaign_id"], first["body"]["campaign_id"],
        "the same draft"
    );
    assert_eq!(again["body"]["state"], "FirstReview");
    assert_eq!(counts(&app).await[..2], [1, 1], "one campaign, one process");
}
