//! 渠道投放 (MKT-8) end to end, with campaigns brought to 进行中 by the real process: a channel
//! sees a customer's running campaigns of the right channel, highest priority first, each within
//! its daily cap; a pause takes a campaign out at once (the cache hears of it); staff look without
//! counting; the ESB gets the same answer; every bad request has its code; the evaluation counts
//! the customers reached.

use chrono::{Duration, Utc};
use quanyi_activities::audit::Entry;
use quanyi_activities::benefits::clients::{self, ClientKind, NewClient};
use quanyi_activities::esb::{self, NewConsumer};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{ApiErrorBody, Browser, TestApp, data_key, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Instant;
use uuid::Uuid;

fn workflow_id(campaign_id: &str) -> String {
    quanyi_workflows::kind::ProcessKind::Campaign.workflow_id(campaign_id)
}

const SECRET: &[u8] = b"channel-delivery-test-secret-0001";

/// A signed channel system.
struct Channel {
    code: String,
    secret: Vec<u8>,
    base: String,
    http: reqwest::Client,
}

impl Channel {
    async fn get(&self, path: &str, nonce: &str) -> (StatusCode, Value) {
        let ts = Utc::now().timestamp().to_string();
        let message = clients::string_to_sign(&ts, nonce, "GET", path, b"");
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("x-qy-client", &self.code)
            .header("x-qy-timestamp", ts)
            .header("x-qy-nonce", nonce)
            .header("x-qy-signature", clients::sign(&self.secret, &message))
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    /// The campaign codes `channel` shows `customer` (each counted as shown).
    async fn shown(&self, channel: &str, customer: &str) -> Vec<String> {
        let path = format!("/api/channel/v1/channels/{channel}/campaigns?customer={customer}");
        let (status, body) = self.get(&path, &Uuid::new_v4().simple().to_string()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        codes(&body)
    }
}

fn codes(answer: &Value) -> Vec<String> {
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["campaign_code"].as_str().unwrap().to_owned())
        .collect()
}

async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    browser.login(username, DEMO_PASSWORD).await.unwrap();
    browser
}

async fn get(browser: &Browser, path: &str) -> Result<Value, (StatusCode, ApiErrorBody)> {
    Browser::answer(browser.http.get(browser.url(path)).send().await.unwrap()).await
}

async fn todo(browser: &Browser) -> Vec<Value> {
    let page = get(browser, "/api/v1/tasks?tab=todo").await.unwrap();
    page["items"].as_array().unwrap().clone()
}

async fn state_of(app: &TestApp, id: &str) -> Option<String> {
    sqlx::query_scalar("SELECT state FROM process_instances WHERE workflow_id = $1")
        .bind(workflow_id(id))
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

async fn wait_for_state(app: &TestApp, id: &str, state: &str) {
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while state_of(app, id).await.as_deref() != Some(state) {
        assert!(Instant::now() < deadline, "{id} never reached {state}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// How often `customer` was shown campaign `id` today, as written.
async fn shown_today(app: &TestApp, id: &str, customer: &str) -> i32 {
    sqlx::query_scalar(
        "SELECT coalesce(sum(shown), 0)::int FROM campaign_exposures
          WHERE campaign_id = $1::uuid AND customer_no = $2",
    )
    .bind(id)
    .bind(customer)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn wait_shown(app: &TestApp, id: &str, customer: &str, n: i32) {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = shown_today(app, id, customer).await;
        if now == n {
            return;
        }
        assert!(now < n, "shown {now} times, more than {n}");
        assert!(
            Instant::now() < deadline,
            "showings not written: {now} of {n}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

struct Reviewers {
    first: Browser,
    second: Browser,
}

/// A campaign created, listed, submitted and approved at both levels: it runs from `start`.
/// A campaign to bring to 进行中.
struct Plan<'a> {
    name: &'a str,
    channels: &'a [&'a str],
    delivery: Value,
    customers: &'a [&'a str],
    start: chrono::DateTime<Utc>,
}

async fn approved_campaign(
    app: &TestApp,
    planner: &Browser,
    reviewers: &Reviewers,
    plan: Plan<'_>,
) -> (String, String) {
    let Plan {
        name,
        channels,
        delivery,
        customers,
        start,
    } = plan;
    let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'SB0101'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let created: Value = planner
        .post_json(
            "/api/v1/campaigns",
            json!({
                "name": name, "type": "grant", "org_id": org, "channels": channels,
                "start_at": start, "end_at": start + Duration::hours(2),
                "rules": [{"name": "立减金", "budget_fen": 100_000}], "delivery": delivery,
            }),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let code = created["code"].as_str().unwrap().to_owned();
    let csv = format!("customer_no\n{}\n", customers.join("\n"));
    let response = planner
        .http
        .post(planner.url(&format!("/api/v1/campaigns/{id}/customers")))
        .header("x-requested-with", "quanyi")
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    planner
        .post_json::<Value>(&format!("/api/v1/campaigns/{id}/submit"), json!({}))
        .await
        .unwrap();
    for reviewer in [&reviewers.first, &reviewers.second] {
        let task = todo(reviewer)
            .await
            .into_iter()
            .find(|t| t["business_key"] == id.as_str())
            .unwrap_or_else(|| panic!("a task for {name}"));
        reviewer
            .post_json::<Value>(
                &format!("/api/v1/tasks/{}/decision", task["id"].as_str().unwrap()),
                json!({"decision": "approve", "comment": "同意"}),
            )
            .await
            .unwrap();
    }
    (id, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_shows_a_customer_the_running_campaigns_of_their_lists_by_priority_within_the_cap()
 {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let planner = signed_in(&app, "planner").await;
    let reviewers = Reviewers {
        first: signed_in(&app, "reviewer1").await,
        second: signed_in(&app, "reviewer2").await,
    };
    let now = Utc::now();
    clients::register_with_secret(
        &app.pool,
        &app.state.settings.data_key,
        NewClient {
            code: "mobile-app".into(),
            name: "手机银行".into(),
            kind: ClientKind::Channel,
            merchant_id: None,
        },
        SECRET.to_vec(),
        now,
        Entry::default(),
    )
    .await
    .unwrap()
    .unwrap();
    let channel = Channel {
        code: "mobile-app".into(),
        secret: SECRET.to_vec(),
        base: app.url(""),
        http: reqwest::Client::new(),
    };

    let start = now + Duration::seconds(12);
    let (a, a_code) = approved_campaign(
        &app,
        &planner,
        &reviewers,
        Plan {
            name: "A 高优先 限两次",
            channels: &["mobile_banking"],
            delivery: json!({"priority": 90, "frequency_cap": 2, "benefit_summary": "满100减20"}),
            customers: &["C000000001"],
            start,
        },
    )
    .await;
    let (b, b_code) = approved_campaign(
        &app,
        &planner,
        &reviewers,
        Plan {
            name: "B 低优先",
            channels: &["mobile_banking", "wechat"],
            delivery: json!({"priority": 10, "entry_title": "B 入口", "entry_link": "/mobile/b",
               "entry_image_url": "https://cdn.bank.example/b.png"}),
            customers: &["C000000001", "C000000002"],
            start,
        },
    )
    .await;
    let (c, c_code) = approved_campaign(
        &app,
        &planner,
        &reviewers,
        Plan {
            name: "C 仅微信",
            channels: &["wechat"],
            delivery: json!({"priority": 50}),
            customers: &["C000000001"],
            start,
        },
    )
    .await;
    assert_eq!(state_of(&app, &a).await.as_deref(), Some("Scheduled"));
    assert!(
        channel
            .shown("mobile_banking", "C000000001")
            .await
            .is_empty(),
        "approved but not started: nothing shows"
    );

    for id in [&a, &b] {
        wait_for_state(&app, id, "Running").await;
    }
    wait_for_state(&app, &c, "Running").await;
    // the start moved them to 进行中: the cache heard of it
    let (status, first) = channel
        .get(
            "/api/channel/v1/channels/mobile_banking/campaigns?customer=C000000001",
            "first-look-0000000001",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        codes(&first),
        [a_code.as_str(), b_code.as_str()],
        "by priority"
    );
    assert_eq!(
        first["items"][0]["title"], "A 高优先 限两次",
        "no title: the name"
    );
    assert_eq!(first["items"][0]["benefit_summary"], "满100减20");
    assert_eq!(first["items"][1]["title"], "B 入口");
    assert_eq!(first["items"][1]["link"], "/mobile/b");
    assert_eq!(
        first["items"][1]["image_url"],
        "https://cdn.bank.example/b.png"
    );
    assert_eq!(
        channel.shown("wechat", "C000000001").await,
        [c_code.as_str(), b_code.as_str()],
        "another channel, its own campaigns"
    );
    assert_eq!(
        channel.shown("mobile_banking", "C000000002").await,
        [b_code.as_str()],
        "only the lists the customer is in"
    );
    assert!(
        channel
            .shown("mobile_banking", "C999999999")
            .await
            .is_empty()
    );

    // the cap: A twice a day to one customer
    wait_shown(&app, &a, "C000000001", 1).await;
    assert_eq!(
        channel.shown("mobile_banking", "C000000001").await,
        [a_code.as_str(), b_code.as_str()]
    );
    wait_shown(&app, &a, "C000000001", 2).await;
    assert_eq!(
        channel.shown("mobile_banking", "C000000001").await,
        [b_code.as_str()],
        "A reached its cap for today"
    );
    // B: twice on mobile banking and once on WeChat before, and once more now
    wait_shown(&app, &b, "C000000001", 4).await;

    // 投放查询: staff see the same, nothing counts, the lookup is in the operation log
    let preview = get(
        &planner,
        "/api/v1/channels/mobile_banking/campaigns?customer=C000000001",
    )
    .await
    .unwrap();
    assert_eq!(codes(&preview), [b_code.as_str()]);
    tokio::time::sleep(quanyi_api::campaign::delivery::FLUSH_EVERY * 4).await;
    assert_eq!(shown_today(&app, &b, "C000000001").await, 4);
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'campaign.delivery.query'
            AND target = 'mobile_banking:C0****0001'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(logged, 1);

    // bad requests, each with its code
    let bad = [
        (
            "/api/channel/v1/channels/no_such/campaigns?customer=C000000001",
            StatusCode::NOT_FOUND,
            "QY-CAMP-0009",
        ),
        (
            "/api/channel/v1/channels/mobile_banking/campaigns?customer=bad!",
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-CAMP-0010",
        ),
    ];
    for (path, status, code) in bad {
        let (got, body) = channel
            .get(path, &Uuid::new_v4().simple().to_string())
            .await;
        assert_eq!(
            (got, body["code"].as_str().unwrap()),
            (status, code),
            "{path}"
        );
    }
    let (replayed, body) = channel
        .get(
            "/api/channel/v1/channels/mobile_banking/campaigns?customer=C000000001",
            "first-look-0000000001",
        )
        .await;
    assert_eq!(
        (replayed, body["code"].as_str().unwrap()),
        (StatusCode::UNAUTHORIZED, "QY-CLI-0004"),
        "a nonce is spent once"
    );
    // the same nonce twice at once (one batch of the nonce writer, or two): one answer only
    let path = "/api/channel/v1/channels/mobile_banking/campaigns?customer=C000000002";
    let (one, two) = tokio::join!(
        channel.get(path, "twice-at-once-00001"),
        channel.get(path, "twice-at-once-00001")
    );
    let mut statuses = [one.0, two.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNAUTHORIZED]);
    // the query string is signed: another customer under the same signature is refused
    let ts = Utc::now().timestamp().to_string();
    let message = clients::string_to_sign(
        &ts,
        "tampered-000000001",
        "GET",
        "/api/channel/v1/channels/mobile_banking/campaigns?customer=C000000001",
        b"",
    );
    let tampered = channel
        .http
        .get(app.url("/api/channel/v1/channels/mobile_banking/campaigns?customer=C000000002"))
        .header("x-qy-client", "mobile-app")
        .header("x-qy-timestamp", ts)
        .header("x-qy-nonce", "tampered-000000001")
        .header("x-qy-signature", clients::sign(SECRET, &message))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);
    let unsigned = reqwest::get(
        app.url("/api/channel/v1/channels/mobile_banking/campaigns?customer=C000000001"),
    )
    .await
    .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);

    // the ESB: the same answer through the envelope, a bad body with its code
    let (_, esb_secret) = esb::register(
        &app.pool,
        &data_key(),
        NewConsumer {
            code: "mbank-esb".into(),
            name: "手机银行 ESB".into(),
            services: vec!["channel.campaigns.query".into()],
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
    let esb_call = |seq: &'static str, body: Value| {
        let secret = esb_secret.clone();
        let url = app.url("/esb/v1/channel.campaigns.query");
        async move {
            let raw = serde_json::to_vec(&json!({
                "sysHead": {"serviceCode": "channel.campaigns.query", "consumerId": "mbank-esb",
                            "consumerSeqNo": seq, "tranDate": "20261126", "tranTime": "083000"},
                "body": body,
            }))
            .unwrap();
            let ts = Utc::now().timestamp().to_string();
            let nonce = Uuid::new_v4().simple().to_string();
            let message = clients::string_to_sign(
                &ts,
                &nonce,
                "POST",
                "/esb/v1/channel.campaigns.query",
                &raw,
            );
            let answer: Value = reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json; charset=utf-8")
                .header("x-qy-client", "mbank-esb")
                .header("x-qy-timestamp", ts)
                .header("x-qy-nonce", &nonce)
                .header("x-qy-signature", clients::sign(&secret, &message))
                .body(raw)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer
        }
    };
    let answer = esb_call(
        "MB202611260001",
        json!({"channel_code": "wechat", "customer_no": "C000000001"}),
    )
    .await;
    assert_eq!(answer["sysHead"]["retCode"], "000000", "{answer}");
    assert_eq!(codes(&answer["body"]), [c_code.as_str(), b_code.as_str()]);
    let refused = esb_call(
        "MB202611260002",
        json!({"channel_code": "wechat", "customer_no": "x"}),
    )
    .await;
    assert_eq!(refused["sysHead"]["retCode"], "BIZ-C-0001");
    assert_eq!(refused["body"]["fields"][0]["code"], "QY-CAMP-0010");

    // an ESB consumer is not a channel system
    let esb_as_channel = Channel {
        code: "mbank-esb".into(),
        secret: esb_secret.clone(),
        base: app.url(""),
        http: reqwest::Client::new(),
    };
    let (status, body) = esb_as_channel
        .get(
            "/api/channel/v1/channels/wechat/campaigns?customer=C000000001",
            "esb-as-channel-0001",
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str().unwrap()),
        (StatusCode::FORBIDDEN, "QY-CLI-0006")
    );

    // a pause takes B out at once: the process's transition drops the cached copy
    planner
        .post_json::<Value>(
            &format!("/api/v1/campaigns/{b}/actions"),
            json!({"action": "pause", "comment": "渠道维护"}),
        )
        .await
        .unwrap();
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    while !channel
        .shown("mobile_banking", "C000000002")
        .await
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "a paused campaign still shows (the cache was not told)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // 终止 A: its evaluation counts the one customer it reached
    planner
        .post_json::<Value>(
            &format!("/api/v1/campaigns/{a}/actions"),
            json!({"action": "terminate", "comment": "提前结束"}),
        )
        .await
        .unwrap();
    let stop = todo(&reviewers.second)
        .await
        .into_iter()
        .find(|t| t["business_key"] == a.as_str())
        .unwrap();
    reviewers
        .second
        .post_json::<Value>(
            &format!("/api/v1/tasks/{}/decision", stop["id"].as_str().unwrap()),
            json!({"decision": "approve", "comment": "同意"}),
        )
        .await
        .unwrap();
    wait_for_state(&app, &a, "Evaluated").await;
    let detail = get(&planner, &format!("/api/v1/campaigns/{a}"))
        .await
        .unwrap();
    assert_eq!(detail["evaluation"]["customers"], 1);
    assert_eq!(detail["evaluation"]["contacts"], 1);
    assert_eq!(detail["delivery"]["frequency_cap"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_settings_are_validated_field_by_field() {
    let app = spawn_app().await;
    let planner = signed_in(&app, "planner").await;
    let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'SB0101'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM campaigns")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let start = Utc::now() + Duration::days(1);
    for (delivery, field) in [
        (json!({"priority": 1000}), "delivery.priority"),
        (json!({"priority": -1}), "delivery.priority"),
        (json!({"frequency_cap": 0}), "delivery.frequency_cap"),
        (
            json!({"entry_link": "javascript:alert(1)"}),
            "delivery.entry_link",
        ),
        (
            json!({"entry_link": "//evil.example/x"}),
            "delivery.entry_link",
        ),
        (
            json!({"entry_image_url": "http://plain.example/a.png"}),
            "delivery.entry_image_url",
        ),
        (
            json!({"entry_title": "标".repeat(41)}),
            "delivery.entry_title",
        ),
        (
            json!({"benefit_summary": "减".repeat(101)}),
            "delivery.benefit_summary",
        ),
    ] {
        let (status, error) = planner
            .post_json::<Value>(
                "/api/v1/campaigns",
                json!({
                    "name": "校验", "type": "grant", "org_id": org, "channels": ["wechat"],
                    "start_at": start, "end_at": start + Duration::days(1),
                    "rules": [{"name": "立减金", "budget_fen": 100}], "delivery": delivery,
                }),
            )
            .await
            .unwrap_err();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{delivery}");
        let fields: Vec<&str> = error.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, [field], "{delivery}");
        assert_eq!(error.fields[0].code, "QY-CAMP-0006");
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM campaigns")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, after, "nothing written");
}
