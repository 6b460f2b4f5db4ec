//! The inbound ESB gateway (INT-1, docs/esb.md) over HTTP against the real PostgreSQL and
//! Temporal: every bad message gets its own three-segment code and changes nothing, a serial
//! number gets one answer however often and however concurrently it comes, and a plan goes in,
//! is queried and takes a delivered result into its process history.

use base64::Engine;
use chrono::{Duration, Utc};
use futures::future::join_all;
use quanyi_activities::audit::Entry;
use quanyi_activities::benefits::clients;
use quanyi_activities::esb::{self, NewConsumer};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{Browser, TestApp, data_key, spawn_app};
use quanyi_workflows::campaign::{CampaignWorkflow, ExternalResult};
use quanyi_workflows::process::COMMENT_REFUSED;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use temporalio_client::WorkflowSignalOptions;
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

impl Consumer {
    /// Consumer `code` signing with `secret` (the 32 bytes, decoded from the registration's base64).
    pub(crate) fn new(app: &TestApp, code: &str, secret: Vec<u8>) -> Consumer {
        Consumer {
            code: code.into(),
            secret,
            base: app.url(""),
            http: reqwest::Client::new(),
        }
    }
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
        "comment": "网格化营销平台推送", "customerNo": "C10000001",
        "customer_nos": ["C10000001", "C10000002"]
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
    // text the database cannot keep, and keys named twice: refused where the envelope is read,
    // whichever part of it they are in, and logged all the same
    let raw = |text: &str| text.as_bytes().to_vec();
    cases.push((
        "GW-C-0006",
        gmp.request(
            "process.query",
            raw(r#"{"sysHead":{"serviceCode":"process.query","consumerId":"gmp","consumerSeqNo":"S-11","tranDate":"20261126","tranTime":"083000"},"sysHead":{"serviceCode":"process.query","consumerId":"gmp","consumerSeqNo":"S-12","tranDate":"20261126","tranTime":"083000"},"body":{}}"#),
        ),
    ));
    cases.push((
        "GW-C-0006",
        gmp.request(
            "process.query",
            raw(r#"{"sysHead":{"serviceCode":"process.query","consumerId":"gmp","consumerSeqNo":"S-13","tranDate":"2026\u00001126","tranTime":"083000"},"body":{}}"#),
        ),
    ));
    cases.push((
        "BIZ-C-0001",
        gmp.request(
            "process.query",
            raw(r#"{"sysHead":{"serviceCode":"process.query","consumerId":"gmp","consumerSeqNo":"S-14","tranDate":"20261126","tranTime":"083000"},"body":{"process_type":"campaign","business_key":"00000000-0000-0000-0000-000000000000","extra":"a\u0000b"}}"#),
        ),
    ));
    let mut nul_name = plan(&app).await;
    nul_name["name"] = json!("存款\u{0}有礼");
    cases.push((
        "BIZ-C-0001",
        gmp.request(
            "campaign.plan.submit",
            envelope("gmp", "campaign.plan.submit", "S-15", nul_name),
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
    assert_eq!(logged, 1 + 17 + 1 + 3, "every message is logged");
    // the NUL is kept visibly, and the field at fault is named in the answer
    let nul: Value = sqlx::query_scalar(
        "SELECT jsonb_build_array(request_masked, response_masked) FROM esb_messages
          WHERE request_masked -> 'sysHead' ->> 'consumerSeqNo' = 'S-14'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(nul[0]["body"]["extra"], "a\\u0000b", "{nul}");
    assert_eq!(
        nul[1]["body"]["fields"],
        json!([{"field": "extra", "code": "QY-REQ-0012"}]),
        "{nul}"
    );
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
    assert_eq!(
        masked["body"]["customer_nos"],
        json!(["C1***0001", "C1***0002"]),
        "a plan's customer list too"
    );
    let mut snapshot = first.clone();
    snapshot["sysHead"]["providerSeqNo"] = "QY…".into();
    snapshot["body"]["campaign_id"] = "…".into();
    snapshot["body"]["campaign_code"] = "…".into();
    snapshot["body"]["workflow_id"] = "campaign-…".into();
    insta::assert_json_snapshot!("esb_envelope_plan_submitted", snapshot);
}

/// The consumer `gmp` with the process services, and a plan it submitted under serial `seq`:
/// (consumer, campaign id, workflow id). Each test takes a serial of its own: consumer and serial
/// name the campaign (UUID v5), hence its workflow id on the Temporal server all tests share.
async fn submitted_plan(app: &TestApp, seq: &str) -> (Consumer, String, String) {
    let gmp = register(
        app,
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
    let submitted = gmp.call("campaign.plan.submit", seq, plan(app).await).await;
    assert_eq!(ret_code(&submitted), "000000", "{submitted}");
    let text = |field: &str| submitted["body"][field].as_str().unwrap().to_owned();
    let (key, workflow_id) = (text("campaign_id"), text("workflow_id"));
    (gmp, key, workflow_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_goes_in_is_queried_and_takes_a_delivered_result() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let (gmp, key, _) = submitted_plan(&app, "P-1").await;
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

/// The consumer `code`'s row as the administration lists it.
async fn listed(admin: &Browser, code: &str) -> Value {
    let list: Value = Browser::answer::<Value>(
        admin
            .http
            .get(admin.url("/api/v1/esb/consumers"))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .cloned()
        .unwrap()
}

async fn exchanges(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM esb_exchanges")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A query for a process that does not exist: `BIZ-C-0002` once the gateway let it through.
fn no_process() -> Value {
    json!({"process_type": "campaign", "business_key": Uuid::nil()})
}

fn edit(name: &str) -> Value {
    json!({"name": name, "services": ["process.query", "process.result.deliver"],
           "source_networks": ["127.0.0.1", "10.0.0.0/8"], "rate_per_second": 20, "burst": 40,
           "acting_username": "reviewer1"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_is_edited_disabled_enabled_and_given_a_new_secret_at_once() {
    let app = spawn_app().await;
    let gmp = register(&app, "gmp", &["process.query"], None, 1000).await;
    let admin = app.browser();
    admin.login("admin", DEMO_PASSWORD).await.unwrap();
    let id = listed(&admin, "gmp").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // accepted (and the API's copy of the client cached) before anything changes
    let answer = gmp.call("process.query", "A-1", no_process()).await;
    assert_eq!(ret_code(&answer), "BIZ-C-0002");
    let answer = gmp.call("process.result.deliver", "A-2", json!({})).await;
    assert_eq!(ret_code(&answer), "GW-C-0106");

    // edit: the new allowlist and acting user are in force at once, before and after audited
    admin
        .no_content(
            Method::PUT,
            format!("/api/v1/esb/consumers/{id}"),
            Some(edit(" 网格化营销平台 ")),
        )
        .await
        .unwrap();
    let row = listed(&admin, "gmp").await;
    assert_eq!(row["name"], "网格化营销平台");
    assert_eq!(
        row["services"],
        json!(["process.query", "process.result.deliver"])
    );
    assert_eq!(
        row["source_networks"],
        json!(["127.0.0.1/32", "10.0.0.0/8"])
    );
    assert_eq!(
        (row["rate_per_second"].clone(), row["burst"].clone()),
        (json!(20), json!(40))
    );
    assert_eq!(row["acting_username"], "reviewer1");
    assert!(row["last_message_at"].is_string(), "{row}");
    let answer = gmp.call("process.result.deliver", "A-3", json!({})).await;
    assert_eq!(ret_code(&answer), "BIZ-C-0001", "now allowed: {answer}");
    let (before, after): (Value, Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'esb.consumer.update' AND target = 'gmp'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(before["name"], "gmp 系统");
    assert_eq!(before["acting_user"], "planner");
    assert_eq!(after["name"], "网格化营销平台");
    assert_eq!(after["rate_per_second"], 20);

    // disabled: refused at once as an unknown or disabled consumer, nothing kept
    let held = exchanges(&app).await;
    admin
        .no_content(
            Method::PUT,
            format!("/api/v1/esb/consumers/{id}/status"),
            Some(json!({"active": false})),
        )
        .await
        .unwrap();
    assert_eq!(listed(&admin, "gmp").await["status"], "disabled");
    let answer = gmp.call("process.query", "A-4", no_process()).await;
    assert_eq!(ret_code(&answer), "GW-C-0102", "{answer}");
    assert_eq!(exchanges(&app).await, held, "nothing written");

    // enabled: accepted again, the same serial number carried out now
    admin
        .no_content(
            Method::PUT,
            format!("/api/v1/esb/consumers/{id}/status"),
            Some(json!({"active": true})),
        )
        .await
        .unwrap();
    let answer = gmp.call("process.query", "A-4", no_process()).await;
    assert_eq!(ret_code(&answer), "BIZ-C-0002", "{answer}");
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE target = 'gmp' AND action LIKE 'esb.consumer.%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "esb.consumer.register",
            "esb.consumer.update",
            "esb.consumer.disable",
            "esb.consumer.enable"
        ]
    );

    // a new secret: shown once, the old one refused, the new one accepted
    let rotated: Value = admin
        .post_json(&format!("/api/v1/esb/consumers/{id}/secret"), json!({}))
        .await
        .unwrap();
    let secret = base64::engine::general_purpose::STANDARD
        .decode(rotated["secret"].as_str().unwrap())
        .unwrap();
    assert_eq!(secret.len(), 32);
    assert_ne!(secret, gmp.secret);
    let answer = gmp.call("process.query", "A-5", no_process()).await;
    assert_eq!(ret_code(&answer), "GW-C-0103", "the old secret: {answer}");
    let renewed = Consumer {
        secret,
        code: gmp.code.clone(),
        base: gmp.base.clone(),
        http: reqwest::Client::new(),
    };
    let answer = renewed.call("process.query", "A-5", no_process()).await;
    assert_eq!(ret_code(&answer), "BIZ-C-0002", "the new secret: {answer}");
    let audited: Option<Value> = sqlx::query_scalar(
        "SELECT after FROM audit_log WHERE action = 'esb.consumer.secret.rotate' AND target = 'gmp'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, None, "no secret in the audit log");
}

#[tokio::test]
async fn reading_the_consumers_is_audited_with_the_reader_and_what_was_read() {
    let app = spawn_app().await;
    register(&app, "gmp", &["process.query"], None, 50).await;
    let reads = || async {
        sqlx::query_as::<_, (Option<Uuid>, Option<String>, Option<String>, String)>(
            "SELECT user_id, username, target, result FROM audit_log
              WHERE action = 'esb.consumer.read' ORDER BY id",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap()
    };
    assert_eq!(reads().await, [], "registering is not reading");
    let admin = app.browser();
    admin.login("admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(listed(&admin, "gmp").await["acting_username"], "planner");
    let admin_id: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let read = (
        Some(admin_id),
        Some("admin".to_owned()),
        Some("consumers".to_owned()),
        "ok".to_owned(),
    );
    assert_eq!(reads().await, std::slice::from_ref(&read));
    // every read is one row; a user without esb:consumer:manage reads nothing and leaves none
    listed(&admin, "gmp").await;
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    let refused = planner
        .http
        .get(planner.url("/api/v1/esb/consumers"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(reads().await, [read.clone(), read]);
}

#[tokio::test]
async fn bad_consumer_edits_have_their_codes_and_change_nothing() {
    let app = spawn_app().await;
    register(&app, "gmp", &["process.query"], None, 50).await;
    let admin = app.browser();
    admin.login("admin", DEMO_PASSWORD).await.unwrap();
    let before = listed(&admin, "gmp").await;
    let id = before["id"].as_str().unwrap().to_owned();
    let with = |field: &str, value: Value| {
        let mut body = edit("网格化营销平台");
        body[field] = value;
        body
    };
    let rows = [
        (
            with("services", json!(["process.query", "no.such"])),
            "QY-ESB-0003",
            "services",
        ),
        (with("services", json!([])), "QY-ESB-0003", "services"),
        (
            with("source_networks", json!(["10.1.2.3/24"])),
            "QY-ESB-0002",
            "source_networks",
        ),
        (
            with("source_networks", json!(["10.1.2.0/33"])),
            "QY-ESB-0002",
            "source_networks",
        ),
        (
            with("source_networks", json!(["intranet"])),
            "QY-ESB-0002",
            "source_networks",
        ),
        (
            with("rate_per_second", json!(0)),
            "QY-ESB-0004",
            "rate_per_second",
        ),
        (with("burst", json!(100_001)), "QY-ESB-0004", "burst"),
        (with("name", json!("")), "QY-ESB-0005", "name"),
    ];
    for (body, code, field) in rows {
        let response = admin
            .http
            .put(admin.url(&format!("/api/v1/esb/consumers/{id}")))
            .header("x-requested-with", "quanyi")
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, error) = Browser::answer::<Value>(response).await.unwrap_err();
        assert_eq!(status, 422, "{body}");
        assert_eq!(error.code, code, "{body}");
        assert_eq!(error.fields[0].field, field, "{body}");
    }
    let unknown_user = admin
        .no_content(
            Method::PUT,
            format!("/api/v1/esb/consumers/{id}"),
            Some(with("acting_username", json!("nobody"))),
        )
        .await;
    assert_eq!(unknown_user.unwrap_err(), "QY-ESB-0001");
    let nobody = Uuid::new_v4();
    for (method, path, body) in [
        (
            Method::PUT,
            format!("/api/v1/esb/consumers/{nobody}"),
            Some(edit("x")),
        ),
        (
            Method::PUT,
            format!("/api/v1/esb/consumers/{nobody}/status"),
            Some(json!({"active": false})),
        ),
        (
            Method::POST,
            format!("/api/v1/esb/consumers/{nobody}/secret"),
            None,
        ),
    ] {
        let refused = admin.no_content(method, &path, body).await;
        assert_eq!(refused.unwrap_err(), "QY-ESB-0006", "{path}");
    }
    assert_eq!(listed(&admin, "gmp").await, before, "nothing changed");
    // the list reads (esb.consumer.read) aside, no change
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action LIKE 'esb.consumer.%'
            AND action NOT IN ('esb.consumer.register', 'esb.consumer.read')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 0);

    // without esb:consumer:manage: 403, nothing changed
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    for (method, path, body) in [
        (
            Method::PUT,
            format!("/api/v1/esb/consumers/{id}"),
            Some(edit("x")),
        ),
        (
            Method::PUT,
            format!("/api/v1/esb/consumers/{id}/status"),
            Some(json!({"active": false})),
        ),
        (
            Method::POST,
            format!("/api/v1/esb/consumers/{id}/secret"),
            None,
        ),
    ] {
        let refused = planner.no_content(method, &path, body).await;
        assert_eq!(refused.unwrap_err(), "QY-AUTH-0003", "{path}");
    }
    assert_eq!(listed(&admin, "gmp").await, before, "nothing changed");
}

#[tokio::test]
async fn the_message_log_filters_and_shows_one_message_masked() {
    let app = spawn_app().await;
    let gmp = register(&app, "gmp", &["process.query"], None, 1000).await;
    let other = register(&app, "other", &["process.query"], None, 1000).await;
    let started = Utc::now() - Duration::seconds(1);
    gmp.call(
        "process.query",
        "L-1",
        json!({"process_type": "campaign", "business_key": Uuid::nil(), "mobile": "13812345678"}),
    )
    .await;
    gmp.call("campaign.plan.submit", "L-2", json!({})).await;
    other.call("process.query", "L-3", no_process()).await;
    let admin = app.browser();
    admin.login("admin", DEMO_PASSWORD).await.unwrap();
    let page = |query: String| {
        let admin = &admin;
        async move {
            Browser::answer::<Value>(
                admin
                    .http
                    .get(admin.url(&format!("/api/v1/esb/messages?{query}")))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
            .unwrap()
        }
    };
    let seqs = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["consumer_seq_no"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let all = page(String::new()).await;
    assert_eq!(all["total"], 3);
    assert_eq!(seqs(&all), ["L-3", "L-2", "L-1"], "newest first");
    assert!(
        all["items"][0].get("request_masked").is_none(),
        "the list is light"
    );
    assert_eq!(seqs(&page("consumer=gmp".into()).await), ["L-2", "L-1"]);
    assert_eq!(
        seqs(&page("service=process.query".into()).await),
        ["L-3", "L-1"]
    );
    assert_eq!(seqs(&page("ret_code=GW-C-0106".into()).await), ["L-2"]);
    assert_eq!(
        seqs(&page("failed=true&consumer=gmp".into()).await),
        ["L-2", "L-1"]
    );
    assert_eq!(seqs(&page("seq_no=L-3".into()).await), ["L-3"]);
    let paged = page("page=2&page_size=2".into()).await;
    assert_eq!(
        (paged["total"].clone(), seqs(&paged)),
        (json!(3), vec!["L-1".to_owned()])
    );
    let window = |from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>| {
        format!(
            "from={}&to={}",
            from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    };
    assert_eq!(
        page(window(started, Utc::now() + Duration::seconds(2))).await["total"],
        3
    );
    assert_eq!(
        page(window(started - Duration::hours(2), started)).await["total"],
        0
    );

    let first = &page("seq_no=L-1".into()).await["items"][0];
    let detail: Value = Browser::answer::<Value>(
        admin
            .http
            .get(admin.url(&format!("/api/v1/esb/messages/{}", first["id"])))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(detail["provider_seq_no"], first["provider_seq_no"]);
    assert_eq!(
        detail["request_masked"]["body"]["mobile"], "138****5678",
        "SEC-6"
    );
    assert_eq!(
        detail["response_masked"]["sysHead"]["retCode"],
        "BIZ-C-0002"
    );
    let missing = Browser::answer::<Value>(
        admin
            .http
            .get(admin.url("/api/v1/esb/messages/999999"))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (missing.0.as_u16(), missing.1.code.as_str()),
        (404, "QY-ESB-0007")
    );
}

async fn owner_sql(app: &TestApp, sql: &str) {
    let mut conn = app.owner_connection().await;
    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
}

/// A consumer acting as `username`.
async fn register_as(app: &TestApp, code: &str, username: &str) -> Consumer {
    let (_, secret) = esb::register(
        &app.pool,
        &data_key(),
        NewConsumer {
            code: code.into(),
            name: format!("{code} 系统"),
            services: vec!["process.query".into(), "process.result.deliver".into()],
            source_networks: None,
            rate_per_second: 1000,
            burst: 1000,
            acting_username: username.into(),
        },
        Utc::now(),
        Entry::default(),
    )
    .await
    .unwrap()
    .unwrap_or_else(|r| panic!("{username} may act: {r:?}"));
    Consumer {
        code: code.into(),
        secret,
        base: app.url(""),
        http: reqwest::Client::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_text_never_reaches_a_process_which_takes_its_next_decision_at_once() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let (gmp, key, workflow_id) = submitted_plan(&app, "NUL-P-1").await;
    let transitions = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM process_transitions WHERE workflow_id = $1",
        )
        .bind(&workflow_id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    let before = transitions().await;
    for (seq, summary) in [("D-1", "a\u{0}b"), ("D-2", "响铃\u{7}"), ("D-3", "\u{9f}")] {
        let refused = gmp
            .call(
                "process.result.deliver",
                seq,
                json!({"process_type": "campaign", "business_key": key,
                       "result_type": "evaluation", "summary": summary}),
            )
            .await;
        assert_eq!(ret_code(&refused), "BIZ-C-0001", "{refused}");
        assert_eq!(
            refused["body"]["fields"],
            json!([{"field": "summary", "code": "QY-REQ-0012"}]),
            "{refused}"
        );
    }
    // a tab and a line break are text, not control: they go through
    let fine = gmp
        .call(
            "process.result.deliver",
            "D-4",
            json!({"process_type": "campaign", "business_key": key,
                   "result_type": "evaluation", "summary": "覆盖\t1200 户\n完成"}),
        )
        .await;
    assert_eq!(ret_code(&fine), "000000", "{fine}");
    // past the edges (a signal straight to the workflow), data the database refuses — a comment
    // over the read model's 2,000 characters — fails its activity at once, not retried forever:
    // the transition is recorded without it, and the process goes on
    let temporal = quanyi_activities::temporal::connect(
        &quanyi_tests::harness::stack().temporal_url,
        "default",
    )
    .await
    .unwrap();
    temporal
        .get_workflow_handle::<CampaignWorkflow>(&workflow_id)
        .signal(
            CampaignWorkflow::deliver_result,
            ExternalResult {
                source: "gmp".into(),
                kind: "evaluation".into(),
                reference: "D-5".into(),
                summary: "长".repeat(3000),
            },
            WorkflowSignalOptions::default(),
        )
        .await
        .unwrap();
    let noted = std::time::Instant::now();
    loop {
        let comments: Vec<Option<String>> = sqlx::query_scalar(
            "SELECT comment FROM process_transitions WHERE workflow_id = $1 AND event = 'ExternalResult' ORDER BY seq",
        )
        .bind(&workflow_id)
        .fetch_all(&app.pool)
        .await
        .unwrap();
        if comments.len() == 2 {
            assert_eq!(comments[1].as_deref(), Some(COMMENT_REFUSED));
            break;
        }
        assert!(
            noted.elapsed() < std::time::Duration::from_secs(10),
            "the refused comment is noted: {comments:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // the process still decides: the first reviewer approves and the state moves within a second
    let reviewer = app.browser();
    reviewer.login("reviewer1", DEMO_PASSWORD).await.unwrap();
    let todo: Value = reviewer.get_json("/api/v1/tasks?tab=todo").await.unwrap();
    let task = todo["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["workflow_id"] == workflow_id.as_str())
        .unwrap_or_else(|| panic!("a task for {workflow_id}: {todo}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let decided = std::time::Instant::now();
    reviewer
        .post_json::<Value>(
            &format!("/api/v1/tasks/{task}/decision"),
            json!({"decision": "approve", "comment": "同意"}),
        )
        .await
        .unwrap();
    loop {
        let state: String =
            sqlx::query_scalar("SELECT state FROM process_instances WHERE workflow_id = $1")
                .bind(&workflow_id)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if state == "SecondReview" {
            break;
        }
        assert!(
            decided.elapsed() < std::time::Duration::from_secs(1),
            "the decision took effect within a second (still {state})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // the good result and the decision were recorded, nothing of the refused ones
    let results: Vec<String> = sqlx::query_scalar(
        "SELECT comment FROM process_transitions WHERE workflow_id = $1 AND event = 'ExternalResult'",
    )
    .bind(&workflow_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results[0].contains("1200"), "{results:?}");
    assert_eq!(transitions().await, before + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_acts_only_within_its_users_data_scope_and_never_as_a_privileged_user() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let (gmp, key, workflow_id) = submitted_plan(&app, "SCOPE-P-1").await;

    // a planner of 城西分行, where the 城东 campaign is out of scope
    owner_sql(
        &app,
        "INSERT INTO users (username, display_name, org_id, kind, password_hash,
                            must_change_password, password_changed_at)
         SELECT 'westplanner', '城西分行营销策划', (SELECT id FROM orgs WHERE code = 'BR02'), kind,
                password_hash, false, password_changed_at FROM users WHERE username = 'planner';
         INSERT INTO user_roles (user_id, role_id, granted_at)
         SELECT (SELECT id FROM users WHERE username = 'westplanner'), role_id, now()
           FROM user_roles WHERE user_id = (SELECT id FROM users WHERE username = 'planner');",
    )
    .await;
    let west = register_as(&app, "west", "westplanner").await;
    let query = json!({"process_type": "campaign", "business_key": key});
    let seen = west.call("process.query", "Q-1", query.clone()).await;
    assert_eq!(ret_code(&seen), "BIZ-C-0002", "as on the staff API: {seen}");
    let delivered = west
        .call(
            "process.result.deliver",
            "D-1",
            json!({"process_type": "campaign", "business_key": key,
                   "result_type": "evaluation", "summary": "城西的结果"}),
        )
        .await;
    assert_eq!(ret_code(&delivered), "BIZ-C-0002", "{delivered}");
    // the staff API agrees: the same user gets 404 for the same campaign
    let browser = app.browser();
    browser.login("westplanner", DEMO_PASSWORD).await.unwrap();
    let staff = browser
        .http
        .get(browser.url(&format!("/api/v1/campaigns/{key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(staff.status(), 404);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let results: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM process_transitions WHERE workflow_id = $1 AND event = 'ExternalResult'",
    )
    .bind(&workflow_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(results, 0, "nothing written by an out-of-scope consumer");
    // the owner's consumer still sees it
    let own = gmp.call("process.query", "Q-2", query.clone()).await;
    assert_eq!(ret_code(&own), "000000", "{own}");

    // nobody whose role needs a second factor or an administration or audit duty acts for a
    // consumer: refused when registered ...
    for privileged in ["admin", "auditor"] {
        let refused = esb::register(
            &app.pool,
            &data_key(),
            NewConsumer {
                code: format!("as-{privileged}"),
                name: "特权".into(),
                services: vec!["process.query".into()],
                source_networks: None,
                rate_per_second: 10,
                burst: 10,
                acting_username: privileged.into(),
            },
            Utc::now(),
            Entry::default(),
        )
        .await
        .unwrap();
        assert_eq!(refused.unwrap_err(), esb::Refusal::PrivilegedUser);
    }
    // ... and when such a role is granted later, every message is refused
    owner_sql(
        &app,
        "INSERT INTO user_roles (user_id, role_id, granted_at)
         SELECT (SELECT id FROM users WHERE username = 'westplanner'), id, now()
           FROM roles WHERE code = 'auditor'",
    )
    .await;
    let refused = west.call("process.query", "Q-3", query).await;
    assert_eq!(ret_code(&refused), "BIZ-C-0003", "{refused}");
    assert_eq!(refused["body"]["code"], "QY-AUTH-0003", "{refused}");
}
