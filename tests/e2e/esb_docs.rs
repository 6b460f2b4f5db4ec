//! docs/esb.md is a contract the bank's ESB team reads without our code, so its examples are sent
//! to a live gateway: every service's example body, in a real envelope, signed; the answers are
//! reviewed snapshots (ids and serial numbers blanked), and the return-code table in the document
//! is the gateway's own.

use crate::esb::{org, register};
use chrono::Utc;
use quanyi_activities::campaign::{self as store, DeliverySettings, NewCampaign, Rule};
use quanyi_api::esb::code_table;
use quanyi_tests::harness::{TestApp, repo_root, spawn_app};
use serde_json::Value;

fn document() -> String {
    std::fs::read_to_string(repo_root().join("docs/esb.md")).unwrap()
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
    let gmp = register(&app, "gmp", &services, None, 50).await;
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
