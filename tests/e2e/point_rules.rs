//! 积分规则 (BEN-5, docs/ledger.md) over HTTP on the real stack: a rule created by staff earns
//! through the ESB's `points.transaction` in the rule's cost shares, the ledger audit clean; a
//! daily cap hit by twenty concurrent transactions gives exactly the cap; the same transaction id
//! twice earns once; an edit makes a version and the earnings name the version that paid; shares
//! that do not sum to 100 are refused with nothing written.

use crate::esb::{Consumer, org, register};
use chrono::{Duration, Utc};
use futures::future::join_all;
use quanyi_activities::ledger;
use quanyi_activities::points;
use quanyi_activities::points::rules::merchant_funding_account;
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{Browser, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// The planner, moved to the head office so the head office's share is in scope.
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

async fn send(
    b: &Browser,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = b
        .http
        .request(method, b.url(path))
        .header("x-requested-with", "quanyi")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn merchant(app: &TestApp, code: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM merchants WHERE code = $1")
        .bind(code)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A card-spend rule: a point a yuan, head office 60 %, branch 30 %, M001 10 %.
async fn shared_rule(app: &TestApp, b: &Browser, code: &str, extra: Value) -> Value {
    let mut body = json!({
        "code": code, "name": "信用卡消费积分", "txn_type": "card_spend",
        "points_per_unit": 1, "unit_fen": 100,
        "valid_from": Utc::now() - Duration::days(30), "valid_to": Utc::now() + Duration::days(300),
        "hq_org_id": org(app, "HO").await, "hq_pct": 60,
        "branch_org_id": org(app, "BR01").await, "branch_pct": 30,
        "merchant_id": merchant(app, "M001").await, "merchant_pct": 10,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, rule) = send(b, reqwest::Method::POST, "/api/v1/points/rules", body).await;
    assert_eq!(status, StatusCode::OK, "{rule}");
    rule
}

async fn core(app: &TestApp) -> Consumer {
    register(
        app,
        "core",
        &["points.transaction", "points.balance"],
        None,
        1000,
    )
    .await
}

fn spend(txn: &str, customer: &str, fen: i64) -> Value {
    json!({"txn_id": txn, "customer_no": customer, "txn_type": "card_spend", "amount_fen": fen,
           "occurred_at": Utc::now() - Duration::minutes(1), "merchant_code": "M001"})
}

async fn available(app: &TestApp, customer: &str) -> i64 {
    let c = quanyi_workflows::domain::CustomerNo::parse(customer).unwrap();
    points::balance(&app.pool, &c).await.unwrap().available
}

async fn audit_clean(app: &TestApp) {
    let (_, violations) = ledger::audit::check(&app.pool).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn a_rule_earns_in_its_cost_shares_and_the_ledger_balances() {
    let app = spawn_app().await;
    let b = planner(&app).await;
    let rule = shared_rule(&app, &b, "CARD-1", json!({})).await;
    assert_eq!(rule["rule"]["version"], 1);
    let core = core(&app).await;
    // 1,288.00 yuan: 1288 points, 60/30/10 rounded down, the remainder to the head office
    let answer = core
        .call(
            "points.transaction",
            "T-1",
            spend("CORE0001", "C80000001", 128_800),
        )
        .await;
    assert_eq!(answer["sysHead"]["retCode"], "000000", "{answer}");
    let body = &answer["body"];
    assert_eq!(body["points"], 1288);
    assert_eq!(body["customer_no"], "C8***0001");
    let earning = &body["earnings"][0];
    assert_eq!(earning["rule_code"], "CARD-1");
    assert_eq!(earning["rule_version"], 1);
    let shares: Vec<(String, i64)> = earning["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["party"].as_str().unwrap().to_owned(),
                s["points"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shares,
        vec![
            ("org".into(), 774),
            ("org".into(), 386),
            ("merchant".into(), 128)
        ]
    );
    assert_eq!(available(&app, "C80000001").await, 1288);
    // the funding accounts bear exactly their shares
    let bears = |id: Uuid| {
        let pool = app.pool.clone();
        async move { ledger::balance(&pool, id).await.unwrap().posted }
    };
    // an org's funding is the sum of its shards; the customer's shard bore it all
    let org_bears = |org: Uuid| {
        let pool = app.pool.clone();
        async move {
            let mut sum = 0;
            for shard in 0..points::SHARDS {
                let id = points::funding_account(org, shard).id();
                sum += ledger::balance(&pool, id).await.unwrap().posted;
            }
            sum
        }
    };
    let (ho, br01) = (org(&app, "HO").await, org(&app, "BR01").await);
    assert_eq!(org_bears(ho).await, 774);
    assert_eq!(org_bears(br01).await, 386);
    let shard =
        points::shard_of(&quanyi_workflows::domain::CustomerNo::parse("C80000001").unwrap());
    assert_eq!(bears(points::funding_account(ho, shard).id()).await, 774);
    assert_eq!(
        bears(merchant_funding_account(merchant(&app, "M001").await).id()).await,
        128
    );
    // the shares are linked transfers of one ledger request, keyed by the core's transaction
    let transfers: i64 = sqlx::query_scalar(
        "SELECT cardinality(transfer_ids)::bigint FROM ledger_requests WHERE key = 'txn:CORE0001'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(transfers, 3);
    // a transaction elsewhere: the merchant's rule does not apply
    let elsewhere = json!({"txn_id": "CORE0002", "customer_no": "C80000001", "txn_type": "card_spend",
                           "amount_fen": 10_000, "occurred_at": Utc::now()});
    let answer = core.call("points.transaction", "T-2", elsewhere).await;
    assert_eq!(answer["body"]["points"], 0, "{answer}");
    assert_eq!(answer["body"]["earnings"], json!([]));
    // 积分账户: the funding accounts with their balances, and the day's issue by org
    let accounts = b
        .get_json::<Value>("/api/v1/points/ledger-accounts?kind=funding")
        .await
        .unwrap();
    let mut funded: Vec<(String, i64)> = accounts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["org_name"].as_str().unwrap_or("").to_owned(),
                a["posted"].as_i64().unwrap(),
            )
        })
        .collect();
    funded.sort();
    assert_eq!(funded, vec![("城东分行".into(), 386), ("总行".into(), 774)]);
    let customers = b
        .get_json::<Value>("/api/v1/points/ledger-accounts?kind=customer")
        .await
        .unwrap();
    assert_eq!(customers["items"][0]["customer_no"], "C8***0001");
    assert!(
        !customers["items"][0]["code"]
            .as_str()
            .unwrap()
            .contains("C80000001")
    );
    let days = b.get_json::<Value>("/api/v1/points/daily").await.unwrap();
    let issued: i64 = days["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["issued"].as_i64().unwrap())
        .sum();
    assert_eq!(issued, 1288);
    // 积分流水: the customer's three earnings, masked
    let flow = b
        .get_json::<Value>("/api/v1/points/transfers?customer_no=C80000001&code=earn")
        .await
        .unwrap();
    assert_eq!(flow["total"], 3);
    assert_eq!(flow["items"][0]["customer_no"], "C8***0001");
    let refused = b
        .http
        .get(b.url("/api/v1/points/transfers?code=nonsense"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    audit_clean(&app).await;
}

#[tokio::test]
async fn twenty_concurrent_transactions_against_a_daily_cap_give_exactly_the_cap() {
    let app = spawn_app().await;
    let b = planner(&app).await;
    shared_rule(
        &app,
        &b,
        "CARD-CAP",
        json!({"daily_cap": 500, "monthly_cap": 5000}),
    )
    .await;
    let core = core(&app).await;
    // twenty spends of 100 yuan at once: 2,000 points asked, 500 given
    let answers = join_all((0..20).map(|i| {
        let core = &core;
        async move {
            core.call(
                "points.transaction",
                &format!("C-{i}"),
                spend(&format!("CAP{i:04}"), "C80000002", 10_000),
            )
            .await
        }
    }))
    .await;
    let mut total = 0;
    let mut capped = 0;
    for a in &answers {
        assert_eq!(a["sysHead"]["retCode"], "000000", "{a}");
        total += a["body"]["points"].as_i64().unwrap();
        if a["body"]["earnings"][0]["capped"] == json!(true) {
            capped += 1;
        }
    }
    assert_eq!(total, 500);
    assert_eq!(capped, 15);
    assert_eq!(available(&app, "C80000002").await, 500);
    let counters: Vec<(String, i64)> = sqlx::query_as(
        "SELECT left(period, 1), earned FROM point_rule_counters WHERE customer_no = 'C80000002'
          ORDER BY period",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(counters, vec![("D".into(), 500), ("M".into(), 500)]);
    audit_clean(&app).await;
}

#[tokio::test]
async fn the_same_transaction_id_twice_earns_once() {
    let app = spawn_app().await;
    let b = planner(&app).await;
    shared_rule(&app, &b, "CARD-ONCE", json!({})).await;
    let core = core(&app).await;
    let txn = spend("CORE0100", "C80000003", 50_000);
    // the same transaction under three serial numbers, two of them at once
    let first = core.call("points.transaction", "S-1", txn.clone()).await;
    let (second, third) = tokio::join!(
        core.call("points.transaction", "S-2", txn.clone()),
        core.call("points.transaction", "S-3", txn.clone())
    );
    assert_eq!(first["body"]["points"], 500, "{first}");
    assert_eq!(second["body"], first["body"]);
    assert_eq!(third["body"], first["body"]);
    assert_eq!(available(&app, "C80000003").await, 500);
    // the same id with another amount: refused, nothing earned
    let mut other = txn.clone();
    other["amount_fen"] = json!(60_000);
    let refused = core.call("points.transaction", "S-4", other).await;
    assert_eq!(refused["sysHead"]["retCode"], "BIZ-C-0003", "{refused}");
    assert_eq!(refused["body"]["code"], "QY-PTS-0014");
    assert_eq!(available(&app, "C80000003").await, 500);
    let earnings: i64 =
        sqlx::query_scalar("SELECT count(*) FROM point_earnings WHERE txn_id = 'CORE0100'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(earnings, 1);
    audit_clean(&app).await;
}

#[tokio::test]
async fn an_edit_makes_a_version_and_the_earning_names_the_version_that_paid() {
    let app = spawn_app().await;
    let b = planner(&app).await;
    let rule = shared_rule(&app, &b, "CARD-V", json!({})).await;
    let id = rule["rule"]["id"].as_str().unwrap().to_owned();
    let core = core(&app).await;
    let one = core
        .call(
            "points.transaction",
            "V-1",
            spend("CORE0200", "C80000004", 10_000),
        )
        .await;
    assert_eq!(one["body"]["earnings"][0]["rule_version"], 1);
    // double points from now on
    let mut edit = rule["rule"].clone();
    edit["multiplier_pct"] = json!(200);
    let (status, edited) = send(
        &b,
        reqwest::Method::PUT,
        &format!("/api/v1/points/rules/{id}"),
        edit.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["rule"]["version"], 2);
    assert_eq!(edited["versions"].as_array().unwrap().len(), 2);
    // an edit against the old version is refused
    let (status, stale) = send(
        &b,
        reqwest::Method::PUT,
        &format!("/api/v1/points/rules/{id}"),
        edit,
    )
    .await;
    assert_eq!(
        (status, stale["code"].as_str()),
        (StatusCode::CONFLICT, Some("QY-PTS-0011"))
    );
    let two = core
        .call(
            "points.transaction",
            "V-2",
            spend("CORE0201", "C80000004", 10_000),
        )
        .await;
    assert_eq!(two["body"]["points"], 200);
    assert_eq!(two["body"]["earnings"][0]["rule_version"], 2);
    let versions: Vec<(i32, i64)> = sqlx::query_as(
        "SELECT rule_version, points FROM point_earnings WHERE customer_no = 'C80000004'
          ORDER BY txn_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(versions, vec![(1, 100), (2, 200)]);
    // disabled, it pays nothing
    let (status, _) = send(
        &b,
        reqwest::Method::POST,
        &format!("/api/v1/points/rules/{id}/status"),
        json!({"status": "disabled"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let three = core
        .call(
            "points.transaction",
            "V-3",
            spend("CORE0202", "C80000004", 10_000),
        )
        .await;
    assert_eq!(three["body"]["points"], 0);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'points.rule.%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "points.rule.create",
            "points.rule.update",
            "points.rule.disable"
        ]
    );
}

#[tokio::test]
async fn shares_that_do_not_sum_to_a_hundred_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let b = planner(&app).await;
    let base = json!({
        "code": "BAD-1", "name": "x", "txn_type": "card_spend", "points_per_unit": 1,
        "valid_from": Utc::now(), "valid_to": Utc::now() + Duration::days(1),
        "hq_org_id": org(&app, "HO").await, "hq_pct": 60,
        "branch_org_id": org(&app, "BR01").await, "branch_pct": 30,
    });
    let (status, answer) = send(
        &b,
        reqwest::Method::POST,
        "/api/v1/points/rules",
        base.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["code"], "QY-PTS-0001");
    // a share without its party
    let mut party = base.clone();
    party["branch_pct"] = json!(40);
    party["branch_org_id"] = Value::Null;
    let (_, answer) = send(&b, reqwest::Method::POST, "/api/v1/points/rules", party).await;
    assert_eq!(answer["code"], "QY-PTS-0002");
    let rules: i64 = sqlx::query_scalar("SELECT count(*) FROM point_rules")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rules, 0);
}
