//! 用户等级体系 (BEN-6) on the real stack: tiers and their benefit set up by staff over HTTP, a
//! customer climbing through the ESB's `points.transaction`; an upgrade grants the tier's coupon
//! once, also under concurrent earnings and after the nightly run; the nightly run's downgrade
//! queues its notice in the outbox; an upgrade task's progress on the customer page reaches its
//! tier.

use crate::esb::{org, register};
use chrono::{Duration, Utc};
use futures::future::join_all;
use quanyi_activities::clock::SystemClock;
use quanyi_activities::customers::{self, CustomerInput, PersonalData, Status};
use quanyi_activities::points::{self, expiry, tiers};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{Browser, TestApp, spawn_app};
use quanyi_workflows::domain::CustomerNo;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn planner(app: &TestApp) -> Browser {
    sqlx::query(
        "UPDATE users SET org_id = (SELECT id FROM orgs WHERE code = 'HO') WHERE username = 'planner'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    planner
}

async fn send(b: &Browser, method: Method, path: &str, body: Value) -> Value {
    let response = b
        .http
        .request(method, b.url(path))
        .header("x-requested-with", "quanyi")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// 银卡 from 500 points, 金卡 from 2,000 granting DEMO-DJ10; a point a yuan on card spends,
/// borne by the head office. Answers the tiers' ids (silver, gold).
async fn setup(app: &TestApp, b: &Browser) -> (String, String) {
    send(
        b,
        Method::POST,
        "/api/v1/tiers",
        json!({"code": "silver", "name": "银卡会员", "rank": 1, "min_points_12m": 500}),
    )
    .await;
    let list = send(
        b,
        Method::POST,
        "/api/v1/tiers",
        json!({"code": "gold", "name": "金卡会员", "rank": 2, "min_points_12m": 2000}),
    )
    .await;
    let id = |code: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == code)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (silver, gold) = (id("silver"), id("gold"));
    let list = send(
        b,
        Method::PUT,
        &format!("/api/v1/tiers/{gold}/benefits"),
        json!({"template_codes": ["DEMO-DJ10"]}),
    )
    .await;
    assert_eq!(
        list["items"][1]["benefits"][0]["template_code"],
        "DEMO-DJ10"
    );
    send(
        b,
        Method::POST,
        "/api/v1/points/rules",
        json!({"code": "CARD", "name": "刷卡积分", "txn_type": "card_spend", "points_per_unit": 1,
               "valid_from": Utc::now() - Duration::days(1), "valid_to": Utc::now() + Duration::days(30),
               "hq_org_id": org(app, "HO").await, "hq_pct": 100}),
    )
    .await;
    (silver, gold)
}

fn spend(txn: &str, customer: &str, yuan: i64) -> Value {
    json!({"txn_id": txn, "customer_no": customer, "txn_type": "card_spend",
           "amount_fen": yuan * 100, "occurred_at": Utc::now() - Duration::minutes(1)})
}

async fn coupons(app: &TestApp, customer: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
          WHERE c.customer_no = $1 AND t.code = 'DEMO-DJ10'",
    )
    .bind(customer)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn tier_of(app: &TestApp, customer: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT t.code FROM customer_tiers c LEFT JOIN tiers t ON t.id = c.tier_id
          WHERE c.customer_no = $1",
    )
    .bind(customer)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// A customer on file (the customer page needs one), with a phone for notices.
async fn on_file(app: &TestApp, customer: &str, phone: &str) {
    let input = CustomerInput {
        customer_no: CustomerNo::parse(customer).unwrap(),
        org_code: "HO".into(),
        status: Status::Active,
        opened_on: None,
        personal: PersonalData {
            phone: Some(phone.into()),
            ..Default::default()
        },
    };
    customers::upsert(
        &app.pool,
        &quanyi_tests::harness::customer_keys(),
        &quanyi_activities::identity::scope::DataScope::All,
        &input,
        Utc::now(),
        Default::default(),
    )
    .await
    .unwrap()
    .unwrap();
}

#[tokio::test]
async fn an_upgrade_grants_the_tiers_coupon_once_even_under_concurrent_earnings() {
    let app = spawn_app().await;
    let b = planner(&app).await;
    setup(&app, &b).await;
    let core = register(&app, "core", &["points.transaction"], None, 1000).await;
    // ten spends of 300 yuan at once: 3,000 points, past 金卡's 2,000
    let answers = join_all((0..10).map(|i| {
        let core = &core;
        async move {
            core.call(
                "points.transaction",
                &format!("U-{i}"),
                spend(&format!("UP{i}"), "C81000001", 300),
            )
            .await
        }
    }))
    .await;
    for a in &answers {
        assert_eq!(a["sysHead"]["retCode"], "000000", "{a}");
    }
    assert_eq!(tier_of(&app, "C81000001").await.as_deref(), Some("gold"));
    assert_eq!(coupons(&app, "C81000001").await, 1);
    let grants: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM tier_benefit_grants WHERE customer_no = 'C81000001' AND coupon_code IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(grants, 1);
    // every change went up, and only one of them reached gold
    let changes: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.direction, t.code FROM tier_changes c JOIN tiers t ON t.id = c.to_tier_id
          WHERE c.customer_no = 'C81000001' ORDER BY c.id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(changes.iter().all(|(d, _)| d == "up"), "{changes:?}");
    assert_eq!(
        changes.iter().filter(|(_, t)| t == "gold").count(),
        1,
        "{changes:?}"
    );
    // more earnings and the nightly run: still the one coupon
    core.call(
        "points.transaction",
        "U-10",
        spend("UP10", "C81000001", 300),
    )
    .await;
    let notices = tiers::Notices::default();
    let settings = expiry::RunSettings::default();
    let run = tiers::evaluate_all(&app.pool, &notices, settings, "test", &SystemClock)
        .await
        .unwrap();
    assert_eq!(run.run.status, "succeeded");
    assert_eq!((run.upgraded, run.downgraded, run.coupons), (0, 0, 0));
    assert_eq!(coupons(&app, "C81000001").await, 1);
}

#[tokio::test]
async fn the_nightly_run_downgrades_and_notifies_through_the_outbox() {
    let app = spawn_app().await;
    let b = planner(&app).await;
    setup(&app, &b).await;
    on_file(&app, "C81000002", "13700000009").await;
    // 2,500 points earned thirteen months ago made the customer gold then
    let customer = CustomerNo::parse("C81000002").unwrap();
    let then = Utc::now() - Duration::days(400);
    let ho = org(&app, "HO").await;
    points::earn(
        &app.pool,
        points::Call {
            key: "old-earning",
            body: b"old",
            actor: "test",
            now: then,
            audit: None,
        },
        &customer,
        ho,
        2500,
        String::new(),
    )
    .await
    .unwrap()
    .unwrap();
    tiers::after_earning(&app.pool, &customer, then)
        .await
        .unwrap();
    assert_eq!(tier_of(&app, "C81000002").await.as_deref(), Some("gold"));
    // an earning now does not take the tier down: only the nightly run does
    let core = register(&app, "core", &["points.transaction"], None, 1000).await;
    let a = core
        .call(
            "points.transaction",
            "D-1",
            spend("DOWN1", "C81000002", 600),
        )
        .await;
    assert_eq!(a["body"]["points"], 600, "{a}");
    assert_eq!(tier_of(&app, "C81000002").await.as_deref(), Some("gold"));
    let notices = tiers::Notices {
        keys: Some(quanyi_tests::harness::customer_keys()),
        downgrade: true,
        lapse: true,
    };
    let run = tiers::evaluate_all(
        &app.pool,
        &notices,
        expiry::RunSettings::default(),
        "test",
        &SystemClock,
    )
    .await
    .unwrap();
    assert_eq!(run.downgraded, 1);
    // 600 points in the last 12 months: silver
    assert_eq!(tier_of(&app, "C81000002").await.as_deref(), Some("silver"));
    let sms: Vec<(String, String, Value)> = sqlx::query_as(
        "SELECT recipient, template_code, params FROM notifications
          WHERE kind = 'tier_downgrade' AND channel = 'sms'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].0, "13700000009");
    assert_eq!(sms[0].1, "QY_TIER_DOWNGRADE");
    assert_eq!(
        sms[0].2,
        json!({"from": "金卡会员", "to": "银卡会员", "points": "600"})
    );
    let cause: (String, String, bool) = sqlx::query_as(
        "SELECT direction, cause, notification_key IS NOT NULL FROM tier_changes
          WHERE customer_no = 'C81000002' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(cause, ("down".into(), "nightly".into(), true));
    let batch: (String, i64) = sqlx::query_as(
        "SELECT status, rows_affected FROM batch_runs WHERE job = 'tier_evaluation'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(batch.0, "succeeded");
    assert!(batch.1 >= 1);
}

/// 到期提醒: a tier held by earnings that fall out of the 12-month window within 30 days is
/// noticed by the nightly run through the outbox, once however many nights it runs; a tier that
/// stays earned is not.
#[tokio::test]
async fn the_nightly_run_reminds_once_of_a_tier_about_to_lapse() {
    let app = spawn_app().await;
    let b = planner(&app).await;
    setup(&app, &b).await;
    on_file(&app, "C81000003", "13700000011").await;
    on_file(&app, "C81000004", "13700000012").await;
    let ho = org(&app, "HO").await;
    // gold from 2,500 points earned 350 days ago: it lapses in 15 days; the other earned now
    for (customer, days, key) in [
        ("C81000003", 350, "lapse-old"),
        ("C81000004", 10, "lapse-new"),
    ] {
        let no = CustomerNo::parse(customer).unwrap();
        let then = Utc::now() - Duration::days(days);
        points::earn(
            &app.pool,
            points::Call {
                key,
                body: key.as_bytes(),
                actor: "test",
                now: then,
                audit: None,
            },
            &no,
            ho,
            2500,
            String::new(),
        )
        .await
        .unwrap()
        .unwrap();
        tiers::after_earning(&app.pool, &no, then).await.unwrap();
        assert_eq!(tier_of(&app, customer).await.as_deref(), Some("gold"));
    }
    let notices = tiers::Notices {
        keys: Some(quanyi_tests::harness::customer_keys()),
        downgrade: true,
        lapse: true,
    };
    for night in 0..2 {
        let run = tiers::evaluate_all(
            &app.pool,
            &notices,
            expiry::RunSettings::default(),
            "test",
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(run.downgraded, 0);
        assert_eq!(run.lapse_notices, i64::from(night == 0), "night {night}");
    }
    let sms: Vec<(String, String, Value)> = sqlx::query_as(
        "SELECT recipient, template_code, params FROM notifications
          WHERE kind = 'tier_lapse' AND channel = 'sms'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0].0, "13700000011");
    assert_eq!(sms[0].1, "QY_TIER_LAPSE");
    assert_eq!(sms[0].2["tier"], "金卡会员");
    assert_eq!(sms[0].2["points"], "2000");
    // without `tier_lapse` routed to SMS nothing is queued
    sqlx::query("DELETE FROM notifications WHERE kind = 'tier_lapse'")
        .execute(&app.pool)
        .await
        .unwrap();
    let quiet = tiers::Notices {
        lapse: false,
        ..notices
    };
    let run = tiers::evaluate_all(
        &app.pool,
        &quiet,
        expiry::RunSettings::default(),
        "test",
        &SystemClock,
    )
    .await
    .unwrap();
    assert_eq!(run.lapse_notices, 0);
}

#[tokio::test]
async fn an_upgrade_tasks_progress_shows_on_the_customer_page_and_reaches_its_tier() {
    let app = spawn_app().await;
    let b = planner(&app).await;
    let (_, gold) = setup(&app, &b).await;
    on_file(&app, "C81000003", "13700000010").await;
    let tasks = send(
        &b,
        Method::POST,
        "/api/v1/upgrade-tasks",
        json!({"code": "SPEND3", "name": "本月刷卡 3 次升金卡", "txn_type": "card_spend",
               "min_amount_fen": 5000, "required_count": 3, "tier_id": gold}),
    )
    .await;
    assert_eq!(tasks["items"][0]["code"], "SPEND3");
    let core = register(&app, "core", &["points.transaction"], None, 1000).await;
    // two spends that count, one too small to
    for (i, yuan) in [(1, 100), (2, 20), (3, 80)] {
        core.call(
            "points.transaction",
            &format!("K-{i}"),
            spend(&format!("TASK{i}"), "C81000003", yuan),
        )
        .await;
    }
    let page = b
        .get_json::<Value>("/api/v1/customers/C81000003/tier")
        .await
        .unwrap();
    assert_eq!(page["tasks"][0]["done"], 2, "{page}");
    assert_eq!(page["tasks"][0]["required_count"], 3);
    assert_eq!(page["tasks"][0]["completed_at"], Value::Null);
    assert_eq!(page["tier"], Value::Null, "{page}");
    assert_eq!(page["next"]["code"], "silver");
    // the third: done, and gold though 260 points reach no tier
    core.call("points.transaction", "K-4", spend("TASK4", "C81000003", 60))
        .await;
    let page = b
        .get_json::<Value>("/api/v1/customers/C81000003/tier")
        .await
        .unwrap();
    assert_eq!(page["tasks"][0]["done"], 3, "{page}");
    assert!(page["tasks"][0]["completed_at"].is_string());
    assert_eq!(page["tier"]["code"], "gold");
    assert_eq!(page["history"][0]["cause"], "task");
    assert_eq!(page["earned_12m"], 260);
    assert_eq!(coupons(&app, "C81000003").await, 1);
    // the customer list shows the tier too
    let tier: Option<String> =
        sqlx::query_scalar("SELECT tier FROM customers WHERE customer_no = 'C81000003'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(tier.as_deref(), Some("gold"));
}
