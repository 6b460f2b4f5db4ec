//! docs/esb.md is a contract the bank's ESB team reads without our code, so its examples are sent
//! to a live gateway: the consumer registered as the document shows, its base64 secret decoded to
//! sign; every service's example body, in a real envelope, signed; the answers are reviewed
//! snapshots (ids and serial numbers blanked), and the return-code table in the document is the
//! gateway's own. docs/channel-api.md's registration of a channel client goes the same way, to a
//! signed claim.

use crate::esb::{Consumer, org};
use base64::Engine;
use chrono::Utc;
use quanyi_activities::benefits::clients;
use quanyi_activities::campaign::{self as store, DeliverySettings, NewCampaign, Rule};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_api::esb::code_table;
use quanyi_tests::harness::{Browser, TestApp, repo_root, spawn_app};
use serde_json::Value;

fn document() -> String {
    std::fs::read_to_string(repo_root().join("docs/esb.md")).unwrap()
}

/// The bodies of the ```http request after `<!-- example: <name> -->` in `doc`: the lines after
/// the headers' blank line, one JSON object each (a line that does not close its object goes on).
fn http_example(doc: &str, name: &str) -> Vec<Value> {
    let marker = format!("<!-- example: {name} -->");
    let after = doc.split_once(&marker).expect("the example's marker").1;
    let block = after.split_once("```http\n").unwrap().1;
    let block = block.split_once("```").unwrap().0;
    let body = block
        .split_once("\n\n")
        .expect("headers, a blank line, the body")
        .1;
    serde_json::Deserializer::from_str(body)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect()
}

/// The secret of a registration's answer: base64, decoded to the 32 bytes that sign.
fn secret_of(answer: &Value) -> Vec<u8> {
    let secret = base64::engine::general_purpose::STANDARD
        .decode(answer["secret"].as_str().unwrap())
        .unwrap();
    assert_eq!(secret.len(), 32);
    secret
}

/// The body after `<!-- example: <service> -->`: the next ```json block.
fn example(doc: &str, service: &str) -> String {
    let marker = format!("<!-- example: {service} -->");
    let after = doc
        .split_once(&marker)
        .unwrap_or_else(|| panic!("docs/esb.md has no example for {service}"))
        .1;
    let block = after.split_once("```json\n").unwrap().1;
    block.split_once("```").unwrap().0.to_owned()
}

/// A campaign in 进行中 holding the example's customer, written as the process would leave it.
async fn running_campaign(app: &TestApp) {
    let now = Utc::now();
    let new = NewCampaign {
        name: "存款有礼（进行中）".into(),
        kind: "grant".into(),
        org_id: org(app, "SB0101").await,
        channels: vec!["mobile_banking".into()],
        start_at: now - chrono::Duration::days(1),
        end_at: "2031-01-05T00:00:00Z".parse().unwrap(),
        success_criteria: String::new(),
        description: String::new(),
        rules: vec![Rule {
            name: "立减金".into(),
            budget_fen: 1_000_000,
            template_code: None,
        }],
        delivery: DeliverySettings {
            priority: 80,
            entry_title: "存款有礼".into(),
            entry_image_url: "https://cdn.bank.example/deposit-gift.png".into(),
            entry_link: "/mobile/deposit-gift".into(),
            benefit_summary: "存 5 万送 50 元立减金".into(),
            frequency_cap: Some(3),
        },
    };
    let id = store::create(&app.pool, &new, now, Default::default())
        .await
        .unwrap()
        .unwrap();
    let list = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(
        "C10000001\nC10000002\n",
    ))]);
    store::replace_customers(&app.pool, id, list, now, Default::default())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO process_instances (workflow_id, process_type, business_key, state, org_id,
                                        started_by, last_seq, started_at, updated_at, title)
         SELECT 'campaign-' || id::text, 'campaign', id::text, 'Running', org_id, 'planner', 6,
                now(), now(), name FROM campaigns WHERE id = $1",
    )
    .bind(id)
    .execute(&mut app.owner_connection().await)
    .await
    .unwrap();
}

/// Blanks what differs from run to run.
fn blank(mut answer: Value) -> Value {
    answer["sysHead"]["providerSeqNo"] = "QY…".into();
    let body = &mut answer["body"];
    for key in [
        "campaign_id",
        "campaign_code",
        "workflow_id",
        "business_key",
    ] {
        if body.get(key).is_some() {
            body[key] = "…".into();
        }
    }
    if let Some(items) = body.get_mut("items").and_then(Value::as_array_mut) {
        for item in items {
            item["campaign_id"] = "…".into();
            item["campaign_code"] = "…".into();
        }
    }
    if let Some(timeline) = body.get_mut("timeline").and_then(Value::as_array_mut) {
        for step in timeline {
            step["at"] = "…".into();
        }
    }
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_of_the_interface_specification_works_on_a_live_gateway() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let doc = document();
    let services = [
        "campaign.plan.submit",
        "process.query",
        "process.result.deliver",
        "channel.campaigns.query",
    ];
    // registered by an administrator as the document shows it (from an address the test can use)
    let admin = app.browser();
    admin.login("admin", DEMO_PASSWORD).await.unwrap();
    let [registration] = http_example(&doc, "register").try_into().unwrap();
    assert_eq!(registration["services"], serde_json::json!(services));
    let registration = serde_json::to_string(&registration)
        .unwrap()
        .replace("10.1.2.0/24", "127.0.0.0/8");
    let registered: Value = admin
        .post_json(
            "/api/v1/esb/consumers",
            serde_json::from_str(&registration).unwrap(),
        )
        .await
        .unwrap();
    let gmp = Consumer::new(&app, "gmp", secret_of(&registered));
    running_campaign(&app).await;

    let org_id = org(&app, "SB0101").await.to_string();
    let submitted = gmp
        .call(
            "campaign.plan.submit",
            "GMP20261126000001",
            serde_json::from_str(
                &example(&doc, "campaign.plan.submit").replace("<org uuid>", &org_id),
            )
            .unwrap(),
        )
        .await;
    assert_eq!(submitted["sysHead"]["retCode"], "000000", "{submitted}");
    let campaign_id = submitted["body"]["campaign_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let delivery: Value =
        sqlx::query_scalar("SELECT jsonb_build_object('priority', priority, 'cap', frequency_cap) FROM campaigns WHERE id = $1::uuid")
            .bind(&campaign_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        delivery,
        serde_json::json!({"priority": 80, "cap": 3}),
        "the delivery settings went in"
    );
    insta::assert_json_snapshot!("esb_docs_campaign_plan_submit", blank(submitted));

    let mut answers = Vec::new();
    for (n, service) in services[1..].iter().enumerate() {
        let body = example(&doc, service).replace("<campaign id>", &campaign_id);
        let answer = gmp
            .call(
                service,
                &format!("GMP2026112600001{n}"),
                serde_json::from_str(&body).unwrap(),
            )
            .await;
        assert_eq!(
            answer["sysHead"]["retCode"], "000000",
            "{service}: {answer}"
        );
        answers.push(answer);
    }
    insta::assert_json_snapshot!("esb_docs_process_query", blank(answers[0].clone()));
    insta::assert_json_snapshot!("esb_docs_process_result_deliver", blank(answers[1].clone()));
    insta::assert_json_snapshot!(
        "esb_docs_channel_campaigns_query",
        blank(answers[2].clone())
    );

    // the code table in the document is the gateway's
    for row in code_table() {
        let line = format!("| `{}` |", row.code);
        assert!(doc.contains(&line), "docs/esb.md lacks {}", row.code);
    }
    let documented = doc
        .lines()
        .filter(|l| {
            l.starts_with("| `0")
                || l.starts_with("| `GW")
                || l.starts_with("| `BIZ")
                || l.starts_with("| `SYS")
        })
        .count();
    assert_eq!(
        documented,
        code_table().len(),
        "docs/esb.md documents a code the gateway lacks"
    );
}

/// docs/channel-api.md: a channel client registered as the document shows it, by a user holding
/// `benefit:client:manage`, claims a coupon with a request signed by the decoded secret; the
/// merchant client's registration goes in too.
#[tokio::test]
async fn a_client_registered_as_the_channel_api_document_shows_signs_and_claims() {
    let app = spawn_app().await;
    let doc = std::fs::read_to_string(repo_root().join("docs/channel-api.md")).unwrap();
    let merchant_manager: Browser = app.browser();
    merchant_manager
        .login("merchant_manager", DEMO_PASSWORD)
        .await
        .unwrap();
    let [channel, merchant] = http_example(&doc, "register-client").try_into().unwrap();
    let merchant_code: String =
        sqlx::query_scalar("SELECT code FROM merchants ORDER BY code LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let mut merchant = merchant;
    merchant["merchant_code"] = merchant_code.into();
    let registered: Value = merchant_manager
        .post_json("/api/v1/benefits/clients", channel.clone())
        .await
        .unwrap();
    merchant_manager
        .post_json::<Value>("/api/v1/benefits/clients", merchant)
        .await
        .unwrap();
    let secret = secret_of(&registered);

    let timestamp = Utc::now().timestamp().to_string();
    let nonce = format!("docs-{}", uuid::Uuid::new_v4().simple());
    let body = serde_json::to_vec(&serde_json::json!({
        "request_id": "r-1", "template_code": "DEMO-MJ20", "customer_no": "C10000001"
    }))
    .unwrap();
    let path = "/api/channel/v1/claims";
    let message = clients::string_to_sign(&timestamp, &nonce, "POST", path, &body);
    let answer = reqwest::Client::new()
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("x-qy-client", channel["code"].as_str().unwrap())
        .header("x-qy-timestamp", timestamp)
        .header("x-qy-nonce", nonce)
        .header("x-qy-signature", clients::sign(&secret, &message))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let claimed: Value = answer.json().await.unwrap();
    assert_eq!(status, 200, "{claimed}");
    assert!(claimed["coupon_code"].is_string(), "{claimed}");
}
