//! The points admin's other pages over HTTP on the real stack (issue 17): 积分兑换规则 validated,
//! audited, checked against the version read and quoted; the ledger's account list, the daily
//! chart and 积分流水 kept to the caller's data scope, filtered by kind, unit and org; the export
//! refused without a fresh step-up and, with one, holding no customer number unmasked.

use crate::esb::org;
use chrono::{Duration, Utc};
use quanyi_activities::clock::ManualClock;
use quanyi_activities::customers::{self, CustomerInput, PersonalData, Status};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{AppOptions, Browser, TestApp, spawn_app, spawn_app_with};
use quanyi_workflows::domain::CustomerNo;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

/// Moves the planner (org and below) to `org_code` and signs them in.
async fn planner_at(app: &TestApp, org_code: &str) -> Browser {
    sqlx::query(
        "UPDATE users SET org_id = (SELECT id FROM orgs WHERE code = $1) WHERE username = 'planner'",
    )
    .bind(org_code)
    .execute(&app.pool)
    .await
    .unwrap();
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    planner
}

async fn send(b: &Browser, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
    let response = b
        .http
        .request(method, b.url(path))
        .header("x-requested-with", "quanyi")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn merchant(app: &TestApp, code: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM merchants WHERE code = $1")
        .bind(code)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn audit_actions(app: &TestApp, prefix: &str) -> Vec<(String, Option<Value>, Option<Value>)> {
    sqlx::query_as(
        "SELECT action, before, after FROM audit_log WHERE action LIKE $1 || '%' ORDER BY id",
    )
    .bind(prefix)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// A customer on file, served by the org `org_code`.
async fn on_file(app: &TestApp, customer: &str, org_code: &str) {
    let input = CustomerInput {
        customer_no: CustomerNo::parse(customer).unwrap(),
        org_code: org_code.into(),
        status: Status::Active,
        opened_on: None,
        personal: PersonalData::default(),
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

async fn earn(b: &Browser, key: &str, customer: &str, org: Uuid, points: i64) {
    let (status, earned) = send(
        b,
        Method::POST,
        "/api/v1/points/earnings",
        json!({"request_id": key, "customer_no": customer, "org_id": org, "points": points,
               "memo": "开卡礼"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{earned}");
}

#[tokio::test]
async fn an_exchange_rule_is_validated_audited_kept_against_its_version_and_quoted() {
    let app = spawn_app().await;
    let b = planner_at(&app, "HO").await;
    let (ho, m001) = (org(&app, "HO").await, merchant(&app, "M001").await);
    let body = json!({
        "code": "MALL-EX", "name": "商城积分抵现", "target": "mall_product",
        "points_per_yuan": 100, "max_pct": 80, "order_cap": 50_000, "daily_cap": 100_000,
        "valid_from": Utc::now() - Duration::days(1), "valid_to": Utc::now() + Duration::days(365),
        "hq_org_id": ho, "hq_pct": 70, "merchant_id": m001, "merchant_pct": 30,
    });
    // shares that do not sum to 100, a party with a share but no name, a target that is none:
    // each refused with its code, nothing written
    let mut bad = body.clone();
    bad["merchant_pct"] = json!(20);
    let (status, refusal) = send(&b, Method::POST, "/api/v1/points/exchange-rules", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refusal}");
    assert_eq!(refusal["code"], "QY-PTS-0001");
    let mut bad = body.clone();
    bad["merchant_id"] = Value::Null;
    let (_, refusal) = send(&b, Method::POST, "/api/v1/points/exchange-rules", bad).await;
    assert_eq!(refusal["code"], "QY-PTS-0002", "{refusal}");
    let mut bad = body.clone();
    bad["target"] = json!("cash");
    let (_, refusal) = send(&b, Method::POST, "/api/v1/points/exchange-rules", bad).await;
    assert_eq!(refusal["fields"][0]["code"], "QY-PTS-0016", "{refusal}");
    let mut bad = body.clone();
    bad["name"] = json!("抵现\u{0007}");
    let (status, _) = send(&b, Method::POST, "/api/v1/points/exchange-rules", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(audit_actions(&app, "points.exchange_rule").await.is_empty());

    let (status, rule) = send(
        &b,
        Method::POST,
        "/api/v1/points/exchange-rules",
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rule}");
    assert_eq!(rule["version"], 1);
    assert_eq!(rule["status"], "active");
    assert_eq!(rule["hq_org_name"], "总行");
    let id = rule["id"].as_str().unwrap().to_owned();
    let (status, _) = send(
        &b,
        Method::POST,
        "/api/v1/points/exchange-rules",
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "the code is taken");

    // 试算: 199.99 yuan, 80 % in points: 15,999 points worth 159.99 yuan, 70 / 30 borne
    let quote = b
        .get_json::<Value>(&format!(
            "/api/v1/points/exchange-rules/{id}/quote?price_fen=19999"
        ))
        .await
        .unwrap();
    assert_eq!(quote["points"], 15_999, "{quote}");
    assert_eq!(quote["cash_fen"], 4_000);
    assert_eq!(quote["shares"][0]["fen"], 11_200);
    assert_eq!(quote["shares"][1]["party"], "merchant");
    assert_eq!(quote["shares"][1]["fen"], 4_799);
    // a thousand yuan: the order cap keeps it to 50,000 points
    let quote = b
        .get_json::<Value>(&format!(
            "/api/v1/points/exchange-rules/{id}/quote?price_fen=100000000"
        ))
        .await
        .unwrap();
    assert_eq!(
        (quote["points"].as_i64(), quote["capped"].as_bool()),
        (Some(50_000), Some(true))
    );
    let refused = b
        .http
        .get(b.url(&format!(
            "/api/v1/points/exchange-rules/{id}/quote?price_fen=-1"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // an edit against version 1, then another against the same stale version
    let mut edit = body.clone();
    edit.as_object_mut().unwrap().remove("code");
    edit["version"] = json!(1);
    edit["max_pct"] = json!(100);
    let path = format!("/api/v1/points/exchange-rules/{id}");
    let (status, edited) = send(&b, Method::PUT, &path, edit.clone()).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        (edited["version"].as_i64(), edited["max_pct"].as_i64()),
        (Some(2), Some(100))
    );
    let (status, stale) = send(&b, Method::PUT, &path, edit).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(stale["code"], "QY-PTS-0011");
    let (status, disabled) = send(
        &b,
        Method::POST,
        &format!("{path}/status"),
        json!({"status": "disabled"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(disabled["status"], "disabled");
    let listed = b
        .get_json::<Value>("/api/v1/points/exchange-rules?status=disabled&target=mall_product")
        .await
        .unwrap();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["code"], "MALL-EX");

    let audited = audit_actions(&app, "points.exchange_rule").await;
    let actions: Vec<&str> = audited.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "points.exchange_rule.create",
            "points.exchange_rule.update",
            "points.exchange_rule.disable"
        ]
    );
    let (_, before, after) = &audited[1];
    assert_eq!(before.as_ref().unwrap()["terms"]["max_pct"], 80);
    assert_eq!(after.as_ref().unwrap()["terms"]["max_pct"], 100);

    // the monitor reads the rules but may not keep them
    let monitor = app.browser();
    monitor.login("monitor", DEMO_PASSWORD).await.unwrap();
    assert!(
        monitor
            .get_json::<Value>("/api/v1/points/exchange-rules")
            .await
            .is_ok()
    );
    let mut other = body.clone();
    other["code"] = json!("MON-EX");
    let (status, refused) = send(
        &monitor,
        Method::POST,
        "/api/v1/points/exchange-rules",
        other,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
}

#[tokio::test]
async fn the_account_list_the_chart_and_the_transfers_keep_to_the_callers_orgs() {
    let app = spawn_app().await;
    let (ho, br01) = (org(&app, "HO").await, org(&app, "BR01").await);
    on_file(&app, "C81000001", "BR02").await;
    on_file(&app, "C81000002", "SB0101").await;
    let head = planner_at(&app, "HO").await;
    earn(&head, "scope-1", "C81000001", ho, 100).await;
    earn(&head, "scope-2", "C81000002", br01, 50).await;

    // the head office sees every account; filtered by kind, unit and org
    let all = head
        .get_json::<Value>("/api/v1/points/ledger-accounts?unit=points&kind=customer")
        .await
        .unwrap();
    assert_eq!(all["total"], 2, "{all}");
    let sb0101 = org(&app, "SB0101").await;
    let of_sb0101 = head
        .get_json::<Value>(&format!(
            "/api/v1/points/ledger-accounts?kind=customer&org_id={sb0101}"
        ))
        .await
        .unwrap();
    assert_eq!(of_sb0101["total"], 1);
    assert_eq!(of_sb0101["items"][0]["customer_no"], "C8***0002");
    assert_eq!(of_sb0101["items"][0]["org_name"], "城东分行营业部");
    let money = head
        .get_json::<Value>("/api/v1/points/ledger-accounts?unit=cny_fen")
        .await
        .unwrap();
    assert_eq!(money["total"], 0);
    // a unit or kind that is none; a control character is refused where the text enters
    for (bad, status) in [
        ("unit=yen", StatusCode::BAD_REQUEST),
        ("kind=Customer", StatusCode::BAD_REQUEST),
        ("kind=customer%00", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let refused = head
            .http
            .get(head.url(&format!("/api/v1/points/ledger-accounts?{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), status, "{bad}");
    }

    let head_flow = head
        .get_json::<Value>("/api/v1/points/transfers")
        .await
        .unwrap();
    assert_eq!(head_flow["total"], 2);
    let head_days = head
        .get_json::<Value>("/api/v1/points/daily")
        .await
        .unwrap();
    let total: i64 = head_days["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["issued"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 150);
    let one = head
        .get_json::<Value>(&format!("/api/v1/points/daily?org_id={ho}"))
        .await
        .unwrap();
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    assert_eq!(one["items"][0]["issued"], 100);

    // a planner of 城东分行 (signing in ends the head office's session: one session a user) sees its
    // own and its sub-branches' accounts, days and transfers only
    let branch = planner_at(&app, "BR01").await;
    let seen = branch
        .get_json::<Value>("/api/v1/points/ledger-accounts")
        .await
        .unwrap();
    let rows = seen["items"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|a| a["customer_no"] != "C8***0001"
            && a["kind"] != "expired"
            && a["kind"] != "exchange_clearing"
            && a["org_name"] != "总行"),
        "{seen}"
    );
    assert!(rows.iter().any(|a| a["customer_no"] == "C8***0002"));
    let days = branch
        .get_json::<Value>("/api/v1/points/daily")
        .await
        .unwrap();
    let issued: Vec<(String, i64)> = days["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["org_name"].as_str().unwrap().to_owned(),
                d["issued"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(issued, vec![("城东分行".to_owned(), 50)]);
    // 积分流水 likewise: the earning of 城东分行's customer, not the other
    let flow = branch
        .get_json::<Value>("/api/v1/points/transfers")
        .await
        .unwrap();
    assert_eq!(flow["total"], 1, "{flow}");
    assert_eq!(flow["items"][0]["customer_no"], "C8***0002");
}

#[tokio::test]
async fn the_transfer_export_needs_a_fresh_step_up_and_masks_every_customer() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = spawn_app_with(AppOptions {
        clock: clock.clone(),
        ..Default::default()
    })
    .await;
    let ho = org(&app, "HO").await;
    let b = planner_at(&app, "HO").await;
    earn(&b, "exp-1", "C82000001", ho, 300).await;
    earn(&b, "exp-2", "C82000002", ho, 200).await;

    // a sign-in long ago is no step-up: refused, nothing exported, nothing audited as exported
    clock.advance(Duration::minutes(6));
    let stale = b
        .http
        .get(b.url("/api/v1/points/transfers/export?code=earn"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::FORBIDDEN);
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["code"], "QY-AUTH-0011");
    assert!(
        audit_actions(&app, "points.transfer.export")
            .await
            .is_empty()
    );

    let (status, _) = send(
        &b,
        Method::POST,
        "/api/v1/auth/reauth",
        json!({"password": DEMO_PASSWORD}),
    )
    .await;
    assert!(status.is_success(), "{status}");
    let fresh = b
        .http
        .get(b.url("/api/v1/points/transfers/export?code=earn&customer_no=C82000001"))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    let text = String::from_utf8(fresh.bytes().await.unwrap().to_vec()).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].contains("C8***0001"), "{text}");
    assert!(
        !text.contains("C82000001") && !text.contains("C82000002"),
        "{text}"
    );
    let everything = b
        .http
        .get(b.url("/api/v1/points/transfers/export"))
        .send()
        .await
        .unwrap();
    let text = String::from_utf8(everything.bytes().await.unwrap().to_vec()).unwrap();
    assert!(
        text.contains("C8***0001") && text.contains("C8***0002"),
        "{text}"
    );
    assert!(
        !text.contains("C82000001") && !text.contains("C82000002"),
        "{text}"
    );
    // the audit rows say there was a customer filter, not whose
    let audited = audit_actions(&app, "points.transfer.export").await;
    assert_eq!(audited.len(), 2);
    let first = audited[0].2.as_ref().unwrap().to_string();
    assert!(!first.contains("C82000001"), "{first}");
    assert_eq!(
        audited[0].2.as_ref().unwrap()["filter"]["customer_filter"],
        true
    );
}
