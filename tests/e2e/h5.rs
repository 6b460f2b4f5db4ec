//! The customers' H5 mall (issue 18 part B, MALL-7) over HTTP with the real stack: mobile
//! banking's signed assertion opens a customer session, each kind of bad assertion is refused
//! with its code and writes nothing; the session reaches only its own customer's data and never a
//! staff route; the daily check-in earns once, also when sent twenty times at once, and the
//! ledger's audit stays clean; the catalogue shows the live price while a price change waits.

use crate::listing::{self, send};
use chrono::Utc;
use quanyi_activities::audit::Entry;
use quanyi_activities::benefits::clients::{self, ClientKind, NewClient};
use quanyi_activities::ledger;
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_api::h5::assertion::{self, AUDIENCE, Payload};
use quanyi_tests::harness::{Browser, TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

const SECRET: &[u8] = b"h5-assertion-test-secret-0000001";

/// Registers client `code` of `kind` with [`SECRET`].
async fn client(app: &TestApp, code: &str, kind: ClientKind) {
    let merchant_id = match kind {
        ClientKind::Merchant => Some(
            sqlx::query_scalar("SELECT id FROM merchants WHERE code = 'M001'")
                .fetch_one(&app.pool)
                .await
                .unwrap(),
        ),
        _ => None,
    };
    clients::register_with_secret(
        &app.pool,
        &app.state.settings.data_key,
        NewClient {
            code: code.into(),
            name: code.into(),
            kind,
            merchant_id,
        },
        SECRET.to_vec(),
        Utc::now(),
        Entry::default(),
    )
    .await
    .unwrap()
    .unwrap();
}

/// A customer `no` of 城东分行 (the demo bank's coupons were claimed for C10000000…).
async fn customer(app: &TestApp, no: &str) {
    sqlx::query(
        "INSERT INTO customers (customer_no, org_id, status, pseudonym, source, created_at, updated_at)
         SELECT $1, id, 'active', md5($1), 'import', now(), now() FROM orgs WHERE code = 'BR01'",
    )
    .bind(no)
    .execute(&app.pool)
    .await
    .unwrap();
}

fn payload(customer: &str, iat: i64, exp: i64) -> Payload {
    Payload {
        aud: AUDIENCE.into(),
        customer_no: customer.into(),
        iat,
        exp,
        nonce: Uuid::new_v4().simple().to_string(),
    }
}

/// An assertion of `client` signed with `secret`.
fn signed(client: &str, payload: &Payload, secret: &[u8]) -> String {
    assertion::make(client, payload, |m| clients::sign(secret, m))
}

/// A fresh assertion for `customer` by the test's mobile banking.
fn fresh(customer: &str) -> String {
    let now = Utc::now().timestamp();
    signed("mobile-h5", &payload(customer, now, now + 120), SECRET)
}

/// Sends `assertion` to the exchange from `phone`.
async fn exchange(phone: &Browser, assertion: &str) -> (StatusCode, Value) {
    send(
        phone,
        Method::POST,
        "/api/h5/v1/sessions",
        Some(json!({ "assertion": assertion })),
    )
    .await
}

/// A phone with the H5 open for `customer`.
async fn signed_in_phone(app: &TestApp, customer: &str) -> Browser {
    let phone = app.browser();
    let (status, body) = exchange(&phone, &fresh(customer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    phone
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn a_signed_assertion_opens_a_customer_session_and_every_bad_one_is_refused() {
    let app = spawn_app().await;
    client(&app, "mobile-h5", ClientKind::Channel).await;
    client(&app, "pos-h5", ClientKind::Merchant).await;
    client(&app, "old-h5", ClientKind::Channel).await;
    sqlx::query("UPDATE api_clients SET status = 'disabled' WHERE code = 'old-h5'")
        .execute(&app.pool)
        .await
        .unwrap();
    customer(&app, "C10000001").await;
    customer(&app, "C10000002").await;
    let now = Utc::now().timestamp();
    let phone = app.browser();

    // not signed in: every H5 route but the exchange and signing out answers its own code
    use utoipa::OpenApi;
    let doc = serde_json::to_value(quanyi_api::openapi::ApiDoc::openapi()).unwrap();
    let mut routes = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/h5/v1/")
            || path.ends_with("/sessions")
            || path.ends_with("/logout")
        {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = send(&phone, method.clone(), path, None).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("QY-SHOP-0005")),
                "{method} {path}"
            );
            routes += 1;
        }
    }
    assert_eq!(
        routes, 17,
        "me, points, coupons, activities, growth, check-in (get, post), addresses (get, post, \
         delete), orders (list, place, one, pay, query, cancel, receipt)"
    );

    let good = fresh("C10000001");
    let mut other_audience = payload("C10000001", now, now + 60);
    other_audience.aud = "esb".into();
    let refusals = [
        (
            signed(
                "mobile-h5",
                &payload("C10000001", now, now + 60),
                b"not the key",
            ),
            "QY-CLI-0002",
        ),
        (
            signed(
                "mobile-h5",
                &payload("C10000001", now - 400, now - 100),
                SECRET,
            ),
            "QY-SHOP-0002",
        ),
        (
            signed("mobile-h5", &payload("C10000001", now, now + 3600), SECRET),
            "QY-SHOP-0002",
        ),
        (signed("mobile-h5", &other_audience, SECRET), "QY-SHOP-0003"),
        (
            signed("nobody-h5", &payload("C10000001", now, now + 60), SECRET),
            "QY-CLI-0001",
        ),
        (
            signed("old-h5", &payload("C10000001", now, now + 60), SECRET),
            "QY-CLI-0001",
        ),
        (
            signed("pos-h5", &payload("C10000001", now, now + 60), SECRET),
            "QY-CLI-0006",
        ),
        (
            signed("mobile-h5", &payload("C99999999", now, now + 60), SECRET),
            "QY-SHOP-0004",
        ),
        (good.replace('.', "!"), "QY-SHOP-0001"),
    ];
    for (text, code) in &refusals {
        let status = if *code == "QY-CLI-0006" {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        };
        let (answered, body) = exchange(&phone, text).await;
        assert_eq!(
            (answered, body["code"].as_str()),
            (status, Some(*code)),
            "{body}"
        );
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM customer_sessions").await,
        0,
        "a refused assertion opens nothing"
    );

    // the good one opens a session of that customer; sent again it is a replay
    let (status, body) = exchange(&phone, &good).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(body["customer_no"], "C10000001", "masked");
    let (status, replay) = exchange(&app.browser(), &good).await;
    assert_eq!(
        (status, replay["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("QY-CLI-0004"))
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM customer_sessions").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'customer.session.open'"
        )
        .await,
        1
    );

    // my coupons: the demo claims of C10000001 with their codes, none of another customer
    let (status, coupons) = send(&phone, Method::GET, "/api/h5/v1/coupons", None).await;
    assert_eq!(status, StatusCode::OK, "{coupons}");
    let coupons = coupons.as_array().unwrap();
    assert!(
        !coupons.is_empty(),
        "the demo bank claimed one for C10000001"
    );
    for coupon in coupons {
        let id: Uuid = coupon["coupon_id"].as_str().unwrap().parse().unwrap();
        let owner: String = sqlx::query_scalar("SELECT customer_no FROM coupons WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(owner, "C10000001");
        if coupon["status"] == "unused" {
            let code = coupon["code"].as_str().unwrap();
            assert_eq!(coupon["qr_payload"], format!("quanyi:coupon:{code}"));
        }
    }
    for path in [
        "/api/h5/v1/me",
        "/api/h5/v1/points",
        "/api/h5/v1/activities",
        "/api/h5/v1/growth",
    ] {
        let (status, body) = send(&phone, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }

    // the customer's session is no staff session: not for staff routes, not for another
    // customer's data there
    for path in [
        "/api/v1/auth/me",
        "/api/v1/customers/C10000002",
        "/api/v1/points/accounts/C10000002",
        "/api/v1/benefits/coupons",
    ] {
        let (status, body) = send(&phone, Method::GET, path, None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("QY-AUTH-0001")),
            "{path}"
        );
    }
    // and a staff session is no customer session
    let staff = app.browser();
    staff.login("admin", DEMO_PASSWORD).await.unwrap();
    let (status, body) = send(&staff, Method::GET, "/api/h5/v1/me", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("QY-SHOP-0005"))
    );

    // signing out ends it
    let (status, _) = send(&phone, Method::POST, "/api/h5/v1/logout", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(&phone, Method::GET, "/api/h5/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A check-in rule: 10 points, borne by the head office.
async fn check_in_rule(app: &TestApp) {
    // the funding org in the planner's data scope, as the points rules' tests have it
    sqlx::query(
        "UPDATE users SET org_id = (SELECT id FROM orgs WHERE code = 'HO') WHERE username = 'planner'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    let ho: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'HO'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (status, rule) = send(
        &planner,
        Method::POST,
        "/api/v1/points/rules",
        Some(json!({
            "code": "CHECK-IN", "name": "每日签到 10 分", "txn_type": "check_in",
            "fixed_points": 10,
            "valid_from": Utc::now() - chrono::Duration::days(1),
            "valid_to": Utc::now() + chrono::Duration::days(300),
            "hq_org_id": ho, "hq_pct": 100,
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rule}");
}

async fn available(phone: &Browser) -> i64 {
    let (status, me) = send(phone, Method::GET, "/api/h5/v1/me", None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me["points"]["available"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checking_in_earns_once_a_day_also_when_sent_twenty_times_at_once() {
    let app = spawn_app().await;
    client(&app, "mobile-h5", ClientKind::Channel).await;
    check_in_rule(&app).await;
    customer(&app, "C20000001").await;
    customer(&app, "C20000002").await;

    let phone = signed_in_phone(&app, "C20000001").await;
    let (_, before) = send(&phone, Method::GET, "/api/h5/v1/check-in", None).await;
    assert_eq!(before["checked_in_today"], false);
    for _ in 0..2 {
        let (status, body) = send(&phone, Method::POST, "/api/h5/v1/check-in", None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["checked_in_today"], true);
        assert_eq!(body["points_today"], 10);
        assert_eq!(body["days"].as_array().unwrap().len(), 1);
    }
    assert_eq!(available(&phone).await, 10, "twice on one day earns once");

    let other = signed_in_phone(&app, "C20000002").await;
    let answers = futures::future::join_all(
        (0..20).map(|_| send(&other, Method::POST, "/api/h5/v1/check-in", None)),
    )
    .await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(body["points_today"], 10);
    }
    assert_eq!(available(&other).await, 10, "twenty at once earn once");
    assert_eq!(
        available(&phone).await,
        10,
        "the other's check-in is not mine"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM point_transactions WHERE txn_type = 'check_in'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.credit_account_id
              WHERE a.code LIKE 'points:customer:C2000000%'"
        )
        .await,
        2,
        "one transfer a customer"
    );
    let (_, violations) = ledger::audit::check(&app.pool).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}

/// The first listed product of `cards` with `code`: its price in points.
fn price_in(cards: &Value, code: &str) -> Option<i64> {
    cards
        .as_array()?
        .iter()
        .find(|c| c["code"] == code)
        .and_then(|c| c["price_points"].as_i64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_h5_catalogue_shows_the_live_price_while_a_price_change_waits() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let login = async |name: &str| {
        let b = app.browser();
        b.login(name, DEMO_PASSWORD).await.unwrap();
        b
    };
    let manager = login("merchant_manager").await;
    let reviewer1 = login("reviewer1").await;
    let reviewer2 = login("reviewer2").await;
    listing::categories(&manager).await;
    let gy = listing::supplier(&app, "GY01", "gy01_admin").await;
    let picture = listing::image(&gy).await;
    let mut body = listing::product(&picture, 1000);
    body["tags"] = json!(["秒杀", "活动"]);
    let code = listing::create(&gy, body.clone()).await;
    listing::list(&gy, &reviewer1, &reviewer2, &code).await;

    let phone = app.browser();
    // the worker's commit reaches the API's cache by notification
    let mut home = Value::Null;
    for _ in 0..40 {
        home = send(&phone, Method::GET, "/api/v1/catalogue/home", None)
            .await
            .1;
        if price_in(&home["seckill_zone"], &code).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(price_in(&home["seckill_zone"], &code), Some(1000), "{home}");
    assert_eq!(price_in(&home["activity_zone"], &code), Some(1000));

    // a price change waits: the H5 keeps showing the live price everywhere
    let mut cheaper = listing::product(&picture, 800);
    cheaper["tags"] = json!(["秒杀", "活动"]);
    cheaper["reason"] = "年终促销调价".into();
    let (status, revision) = send(
        &gy,
        Method::PUT,
        &format!("/api/v1/supplier/products/{code}"),
        Some(cheaper),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{revision}");
    let home = send(&phone, Method::GET, "/api/v1/catalogue/home", None)
        .await
        .1;
    assert_eq!(price_in(&home["seckill_zone"], &code), Some(1000));
    let (status, found) = send(
        &phone,
        Method::GET,
        "/api/v1/catalogue/search?q=%E9%BE%99%E4%BA%95",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(price_in(&found, &code), Some(1000), "search: {found}");
    let (_, cards) = send(
        &phone,
        Method::GET,
        "/api/v1/catalogue/categories/food/products",
        None,
    )
    .await;
    assert_eq!(price_in(&cards, &code), Some(1000));
    let (_, page) = send(
        &phone,
        Method::GET,
        &format!("/api/v1/catalogue/products/{code}"),
        None,
    )
    .await;
    assert_eq!(page["skus"][0]["price_points"], 1000);

    // approved: the new price shows in the search too (its cache dropped by the change)
    listing::approve_change(&reviewer2).await;
    let mut found = Value::Null;
    for _ in 0..40 {
        found = send(
            &phone,
            Method::GET,
            "/api/v1/catalogue/search?q=%E9%BE%99%E4%BA%95",
            None,
        )
        .await
        .1;
        if price_in(&found, &code) == Some(800) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(price_in(&found, &code), Some(800), "{found}");

    // a search term is 1–20 characters
    for q in [
        "",
        "%20%20",
        "%E9%BE%99%E4%BA%95%E9%BE%99%E4%BA%95%E9%BE%99%E4%BA%95%E9%BE%99%E4%BA%95%E9%BE%99%E4%BA%95%E9%BE%99%E4%BA%95%E9%BE%99%E4%BA%95%E9%BE%99%E4%BA%95%E9%BE%99%E4%BA%95%E9%BE%99%E4%BA%95%E9%BE%99",
    ] {
        let (status, body) = send(
            &phone,
            Method::GET,
            &format!("/api/v1/catalogue/search?q={q}"),
            None,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("QY-MALL-0038")),
            "{q}"
        );
    }
}
