//! 积分商城 II (issue 19): orders over HTTP against the real PostgreSQL and Q支付's simulator (a
//! real HTTP peer). An order is placed in one transaction (stock, points hold, coupon), paid by
//! Q支付's callback — or by the active query when the callback is lost — shipped by its supplier
//! in 发货中心 and confirmed by its customer; an unpaid order closes after its window with stock,
//! points and coupon back once; duplicate and late callbacks change nothing; one request id sent
//! twenty times is one order; 200 concurrent orders of 20 units sell 20. After each, the ledger's
//! audit and the orders' conservation check are clean.

use crate::listing::supplier;
use chrono::{Duration, Utc};
use futures::future::join_all;
use quanyi_activities::audit::Entry;
use quanyi_activities::benefits::clients::{self, ClientKind, NewClient};
use quanyi_activities::clock::{Clock, ManualClock};
use quanyi_activities::ledger;
use quanyi_activities::mall::orders;
use quanyi_activities::points;
use quanyi_tests::harness::{ApiErrorBody, AppOptions, Browser, TestApp, spawn_app_with};
use quanyi_tests::peers::QpaySim;
use quanyi_workflows::domain::CustomerNo;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

const CHANNEL_SECRET: &[u8] = b"channel-secret-channel-secret-01";

struct Mall {
    app: TestApp,
    sim: QpaySim,
    clock: Arc<ManualClock>,
    /// The supplier's administrator, signed in to the portal.
    supplier: Browser,
    product: String,
}

fn seed() -> Entry {
    Entry {
        username: Some("test".into()),
        ..Entry::default()
    }
}

/// An app on a hand-moved clock talking to a Q支付 simulator, with the channel client `mobile`,
/// a supplier `GY01` and its listed product (SKU `CUP`: 500 points + ¥19.90, `stock` units).
async fn mall(stock: i64) -> Mall {
    let sim = QpaySim::start().await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = spawn_app_with(AppOptions {
        clock: clock.clone(),
        qpay_url: Some(sim.base.clone()),
        ..Default::default()
    })
    .await;
    clients::register_with_secret(
        &app.pool,
        &app.state.settings.data_key,
        NewClient {
            code: "mobile".into(),
            name: "手机银行".into(),
            kind: ClientKind::Channel,
            merchant_id: None,
        },
        CHANNEL_SECRET.to_vec(),
        clock.now(),
        seed(),
    )
    .await
    .unwrap()
    .unwrap();
    let supplier = supplier(&app, "GY01", "gy01admin").await;
    let product = format!("SP{}", 20_261_211_000_001u64);
    sqlx::query(
        "WITH c AS (INSERT INTO mall_categories (code, name, created_at) VALUES ('gift', '礼品', now())
                    RETURNING id),
              p AS (INSERT INTO products (code, supplier_id, category_id, status, name, created_by,
                                          created_at, updated_at, listed_at)
                    SELECT $1, m.id, c.id, 'listed', '保温杯', 'test', now(), now(), now()
                      FROM c, merchants m WHERE m.code = 'GY01' RETURNING id)
         INSERT INTO product_skus (product_id, code, spec, price_points, price_fen, stock)
         SELECT id, 'CUP', '500ml 白色', 500, 1990, $2 FROM p",
    )
    .bind(&product)
    .bind(stock)
    .execute(&app.pool)
    .await
    .unwrap();
    Mall {
        app,
        sim,
        clock,
        supplier,
        product,
    }
}

/// A customer who came in from mobile banking: their own browser with the H5 session cookie,
/// `points` points and one address (its id).
async fn customer(mall: &Mall, no: &str, points: i64) -> (Browser, String) {
    let browser = mall.app.browser();
    let path = "/api/v1/h5/session";
    let body = serde_json::to_vec(&json!({ "customer_no": no })).unwrap();
    let timestamp = mall.clock.now().timestamp().to_string();
    let nonce = format!("n{}", Uuid::new_v4().simple());
    let message = clients::string_to_sign(&timestamp, &nonce, "POST", path, &body);
    let response = browser
        .http
        .post(browser.url(path))
        .header("content-type", "application/json")
        .header("x-requested-with", "quanyi")
        .header("x-qy-client", "mobile")
        .header("x-qy-timestamp", timestamp)
        .header("x-qy-nonce", nonce)
        .header("x-qy-signature", clients::sign(CHANNEL_SECRET, &message))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{:?}",
        response.text().await
    );
    if points > 0 {
        let customer = CustomerNo::parse(no).unwrap();
        let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'HO'")
            .fetch_one(&mall.app.pool)
            .await
            .unwrap();
        let key = format!("test:earn:{no}");
        points::earn(
            &mall.app.pool,
            points::Call {
                key: &key,
                body: key.as_bytes(),
                actor: "test",
                now: mall.clock.now(),
                audit: None,
            },
            &customer,
            org,
            points,
            "test".into(),
        )
        .await
        .unwrap()
        .unwrap();
    }
    let address: Value = browser
        .post_json(
            "/api/v1/h5/addresses",
            json!({"name": "张三", "phone": "13812345678", "region": "浙江省 杭州市 西湖区",
                   "detail": "文三路 100 号 5 幢 301"}),
        )
        .await
        .unwrap();
    // personal data is masked in every answer
    assert_eq!(address["name"], "张*");
    assert_eq!(address["phone"], "138****5678");
    (browser, address["id"].as_str().unwrap().to_owned())
}

fn order_body(mall: &Mall, request_id: &str, address: &str, quantity: i32) -> Value {
    json!({
        "request_id": request_id,
        "lines": [{"product_code": mall.product, "sku_code": "CUP", "quantity": quantity}],
        "address_id": address,
    })
}

async fn stock(mall: &Mall) -> i64 {
    sqlx::query_scalar("SELECT stock FROM product_skus WHERE code = 'CUP'")
        .fetch_one(&mall.app.pool)
        .await
        .unwrap()
}

async fn available_points(mall: &Mall, no: &str) -> (i64, i64) {
    let b = points::balance(&mall.app.pool, &CustomerNo::parse(no).unwrap())
        .await
        .unwrap();
    (b.posted, b.available)
}

/// The ledger's audit and the orders' conservation check are both clean.
async fn audits_clean(mall: &Mall) {
    let (_, violations) = ledger::audit::check(&mall.app.pool).await.unwrap();
    assert!(violations.is_empty(), "ledger: {violations:?}");
    let (_, problems) = orders::audit(&mall.app.pool).await.unwrap();
    assert!(problems.is_empty(), "orders: {problems:?}");
}

fn code(e: (StatusCode, ApiErrorBody)) -> String {
    e.1.code
}

#[tokio::test]
async fn an_order_is_paid_by_callback_shipped_and_confirmed_and_a_duplicate_callback_changes_nothing()
 {
    let mall = mall(10).await;
    let (me, address) = customer(&mall, "C10000001", 5_000).await;
    let order: Value = me
        .post_json("/api/v1/h5/orders", order_body(&mall, "r-1", &address, 2))
        .await
        .unwrap();
    let no = order["order_no"].as_str().unwrap().to_owned();
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(
        (&order["points"], &order["cash_fen"]),
        (&json!(1000), &json!(3980))
    );
    assert_eq!(stock(&mall).await, 8);
    assert_eq!(available_points(&mall, "C10000001").await, (5_000, 4_000));

    let started: Value = me
        .post_json(&format!("/api/v1/h5/orders/{no}/payment"), json!({}))
        .await
        .unwrap();
    assert!(
        started["pay_url"]
            .as_str()
            .unwrap()
            .starts_with(&mall.sim.base)
    );
    // asking again gets the same page, and Q支付 one payment order
    let again: Value = me
        .post_json(&format!("/api/v1/h5/orders/{no}/payment"), json!({}))
        .await
        .unwrap();
    assert_eq!(again["pay_url"], started["pay_url"]);
    assert_eq!(mall.sim.payment(&no).unwrap().creates, 1);

    let (status, answer) = mall.sim.pay(&no).await;
    assert_eq!((status, &answer["code"]), (200, &json!("SUCCESS")));
    let paid: Value = me
        .get_json(&format!("/api/v1/h5/orders/{no}"))
        .await
        .unwrap();
    assert_eq!(paid["status"], "paid");
    assert_eq!(available_points(&mall, "C10000001").await, (4_000, 4_000));
    // the same callback again, twice: answered, nothing moves
    for _ in 0..2 {
        let (status, _) = mall.sim.notify(&no).await;
        assert_eq!(status, 200);
    }
    assert_eq!(available_points(&mall, "C10000001").await, (4_000, 4_000));
    let captures: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_transfers WHERE request_key LIKE 'mall:order:%:capture'",
    )
    .fetch_one(&mall.app.pool)
    .await
    .unwrap();
    assert_eq!(captures, 1);
    // 支付流水: the create, its repeat, three callbacks
    let flows: Vec<(String, String)> =
        sqlx::query_as("SELECT operation, outcome FROM qpay_flows WHERE pay_no = $1 ORDER BY id")
            .bind(&no)
            .fetch_all(&mall.app.pool)
            .await
            .unwrap();
    assert_eq!(
        flows,
        vec![
            ("payments".into(), "ok".into()),
            ("notify".into(), "paid".into()),
            ("notify".into(), "duplicate".into()),
            ("notify".into(), "duplicate".into()),
        ]
    );

    // 发货中心: the supplier sees it paid, opens it (address whole), ships it
    let waiting: Value = mall
        .supplier
        .get_json("/api/v1/mall/supplier-orders?status=paid")
        .await
        .unwrap();
    assert_eq!(waiting["total"], 1);
    let detail: Value = mall
        .supplier
        .get_json(&format!("/api/v1/mall/supplier-orders/{no}"))
        .await
        .unwrap();
    assert_eq!(detail["ship_to"]["phone"], "13812345678");
    // confirming before shipping is refused
    let early = me
        .post_json::<Value>(&format!("/api/v1/h5/orders/{no}/receipt"), json!({}))
        .await
        .unwrap_err();
    assert_eq!(code(early), "QY-MALL-0030");
    let bad = mall
        .supplier
        .post_json::<Value>(
            &format!("/api/v1/mall/supplier-orders/{no}/shipment"),
            json!({"carrier": "顺丰速运", "tracking_no": "SF 123"}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(bad), "QY-MALL-0036");
    let shipped: Value = mall
        .supplier
        .post_json(
            &format!("/api/v1/mall/supplier-orders/{no}/shipment"),
            json!({"carrier": "顺丰速运", "tracking_no": "SF1234567890"}),
        )
        .await
        .unwrap();
    assert_eq!(shipped["status"], "shipped");
    // a second shipment of it is refused, row by row in a batch too
    let report: Value = mall
        .supplier
        .post_json(
            "/api/v1/mall/supplier-orders/shipments",
            json!({"shipments": [
                {"order_no": no, "carrier": "顺丰速运", "tracking_no": "SF1234567890"},
                {"order_no": "DD000", "carrier": "顺丰速运", "tracking_no": "SF1234567891"}]}),
        )
        .await
        .unwrap();
    assert_eq!(report["shipped"], 0);
    assert_eq!(report["refused"][0]["code"], "QY-MALL-0030");
    assert_eq!(report["refused"][1]["code"], "QY-MALL-0029");

    let done: Value = me
        .post_json(&format!("/api/v1/h5/orders/{no}/receipt"), json!({}))
        .await
        .unwrap();
    assert_eq!(done["status"], "completed");
    assert_eq!(done["tracking_no"], "SF1234567890");
    let detail: Value = mall
        .supplier
        .get_json(&format!("/api/v1/mall/supplier-orders/{no}"))
        .await
        .unwrap();
    let log: Vec<&str> = detail["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect();
    assert_eq!(log, ["place", "pay", "ship", "confirm"]);
    // the money is in the simulator's books and in the ledger, once
    assert_eq!(mall.sim.paid_total(), 3980);
    let sales = ledger::balance(&mall.app.pool, orders::mall_sales().id())
        .await
        .unwrap();
    assert_eq!(sales.posted, 3980);
    audits_clean(&mall).await;

    // another customer sees none of it
    let (other, _) = customer(&mall, "C10000002", 0).await;
    let hidden = other
        .get_json::<Value>(&format!("/api/v1/h5/orders/{no}"))
        .await
        .unwrap_err();
    assert_eq!(code(hidden), "QY-MALL-0029");
}

#[tokio::test]
async fn a_lost_callback_is_settled_by_the_query_and_a_forged_one_is_refused() {
    let mall = mall(10).await;
    let (me, address) = customer(&mall, "C10000001", 5_000).await;
    let order: Value = me
        .post_json("/api/v1/h5/orders", order_body(&mall, "r-1", &address, 1))
        .await
        .unwrap();
    let no = order["order_no"].as_str().unwrap().to_owned();
    me.post_json::<Value>(&format!("/api/v1/h5/orders/{no}/payment"), json!({}))
        .await
        .unwrap();
    // a callback not signed by Q支付 is refused and changes nothing
    let forged = reqwest::Client::new()
        .post(mall.app.url("/api/qpay/v1/notify"))
        .header("content-type", "application/json")
        .header("x-qpay-mch", "QY0001")
        .header("x-qpay-timestamp", mall.clock.now().timestamp().to_string())
        .header("x-qpay-nonce", "n1")
        .header("x-qpay-signature", "00".repeat(32))
        .body(
            json!({"pay_no": no, "trade_no": "X", "amount_fen": 1990, "status": "PAID"})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["code"], "QY-MALL-0037");

    // paid at Q支付, the callback lost; Q支付 unavailable at first, then the query settles it
    assert!(mall.sim.pay_silently(&no));
    mall.sim.fail_next(1, StatusCode::SERVICE_UNAVAILABLE);
    let down = me
        .post_json::<Value>(&format!("/api/v1/h5/orders/{no}/payment-query"), json!({}))
        .await
        .unwrap_err();
    assert_eq!(code(down), "QY-MALL-0032");
    let settled: Value = me
        .post_json(&format!("/api/v1/h5/orders/{no}/payment-query"), json!({}))
        .await
        .unwrap();
    assert_eq!(settled["status"], "paid");
    // the callback arriving late changes nothing
    let (status, _) = mall.sim.notify(&no).await;
    assert_eq!(status, 200);
    assert_eq!(available_points(&mall, "C10000001").await, (4_500, 4_500));
    assert_eq!(mall.sim.paid_total(), 1990);
    audits_clean(&mall).await;
}

#[tokio::test]
async fn an_unpaid_order_closes_after_its_window_and_gives_stock_and_points_back_once() {
    let mall = mall(10).await;
    let (me, address) = customer(&mall, "C10000001", 5_000).await;
    let mut numbers = Vec::new();
    for (request, quantity) in [("r-1", 3), ("r-2", 1)] {
        let order: Value = me
            .post_json(
                "/api/v1/h5/orders",
                order_body(&mall, request, &address, quantity),
            )
            .await
            .unwrap();
        numbers.push(order["order_no"].as_str().unwrap().to_owned());
    }
    // the first has a payment order at Q支付, the second none
    me.post_json::<Value>(
        &format!("/api/v1/h5/orders/{}/payment", numbers[0]),
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(stock(&mall).await, 6);
    assert_eq!(available_points(&mall, "C10000001").await, (5_000, 3_000));
    // before the window is over the sweeper leaves them
    let pool = &mall.app.pool;
    let qpay = mall.app.state.settings.qpay.as_ref();
    assert_eq!(
        orders::close_due(pool, qpay, mall.clock.now(), 100)
            .await
            .unwrap(),
        0
    );
    mall.clock.advance(Duration::minutes(16));
    // two sweepers at once close each order once
    let (a, b) = tokio::join!(
        orders::close_due(pool, qpay, mall.clock.now(), 100),
        orders::close_due(pool, qpay, mall.clock.now(), 100),
    );
    assert_eq!(a.unwrap() + b.unwrap(), 2);
    assert_eq!(stock(&mall).await, 10);
    assert_eq!(available_points(&mall, "C10000001").await, (5_000, 5_000));
    for no in &numbers {
        let closed: Value = me
            .get_json(&format!("/api/v1/h5/orders/{no}"))
            .await
            .unwrap();
        assert_eq!(closed["status"], "closed");
    }
    // Q支付 closed the payment: it can no longer be paid; a forged-late PAID notice changes nothing
    assert_eq!(mall.sim.payment(&numbers[0]).unwrap().status, "CLOSED");
    assert!(!mall.sim.pay_silently(&numbers[0]));
    mall.sim.skew(16 * 60);
    let (status, _) = mall
        .sim
        .send_notice(
            &mall.sim.payment(&numbers[0]).unwrap().notify_url,
            &json!({"pay_no": numbers[0], "trade_no": "QP9", "amount_fen": 5970, "status": "PAID"}),
        )
        .await;
    assert_eq!(status, 200);
    let still: Value = me
        .get_json(&format!("/api/v1/h5/orders/{}", numbers[0]))
        .await
        .unwrap();
    assert_eq!(still["status"], "closed");
    // paying or cancelling a closed order is refused; nothing released twice
    let late = me
        .post_json::<Value>(
            &format!("/api/v1/h5/orders/{}/payment", numbers[1]),
            json!({}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(late), "QY-MALL-0030");
    assert_eq!(
        orders::close_due(pool, qpay, mall.clock.now(), 100)
            .await
            .unwrap(),
        0
    );
    assert_eq!(stock(&mall).await, 10);
    let releases: i64 =
        sqlx::query_scalar("SELECT count(*) FROM mall_stock_movements WHERE kind = 'release'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(releases, 2);
    audits_clean(&mall).await;
}

#[tokio::test]
async fn one_request_id_sent_twenty_times_places_one_order() {
    let mall = mall(100).await;
    let (me, address) = customer(&mall, "C10000001", 50_000).await;
    let body = order_body(&mall, "same-id", &address, 1);
    let answers =
        join_all((0..20).map(|_| me.post_json::<Value>("/api/v1/h5/orders", body.clone()))).await;
    let numbers: std::collections::HashSet<String> = answers
        .into_iter()
        .map(|a| a.unwrap()["order_no"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(numbers.len(), 1);
    assert_eq!(stock(&mall).await, 99);
    assert_eq!(available_points(&mall, "C10000001").await, (50_000, 49_500));
    // the same id with another body is refused
    let other = me
        .post_json::<Value>(
            "/api/v1/h5/orders",
            order_body(&mall, "same-id", &address, 2),
        )
        .await
        .unwrap_err();
    assert_eq!(code(other), "QY-MALL-0021");
    audits_clean(&mall).await;
}

#[tokio::test]
async fn two_hundred_concurrent_orders_of_twenty_units_sell_exactly_twenty() {
    let mall = mall(20).await;
    let (me, address) = customer(&mall, "C10000001", 1_000_000).await;
    let answers = join_all((0..200).map(|i| {
        me.post_json::<Value>(
            "/api/v1/h5/orders",
            order_body(&mall, &format!("race-{i}"), &address, 1),
        )
    }))
    .await;
    let placed = answers.iter().filter(|a| a.is_ok()).count();
    let sold_out = answers
        .iter()
        .filter(|a| matches!(a, Err((_, e)) if e.code == "QY-MALL-0023"))
        .count();
    assert_eq!((placed, sold_out), (20, 180));
    assert_eq!(stock(&mall).await, 0);
    assert_eq!(
        available_points(&mall, "C10000001").await,
        (1_000_000, 1_000_000 - 20 * 500)
    );
    // more points than the customer holds is refused, and nothing of it is kept
    let (poor, poor_address) = customer(&mall, "C10000002", 100).await;
    sqlx::query("UPDATE product_skus SET stock = 5")
        .execute(&mall.app.pool)
        .await
        .unwrap();
    let short = poor
        .post_json::<Value>(
            "/api/v1/h5/orders",
            order_body(&mall, "poor-1", &poor_address, 1),
        )
        .await
        .unwrap_err();
    assert_eq!(code(short), "QY-MALL-0024");
    assert_eq!(stock(&mall).await, 5);
    sqlx::query("UPDATE product_skus SET stock = 0")
        .execute(&mall.app.pool)
        .await
        .unwrap();
    audits_clean(&mall).await;
}

/// A cash coupon (¥5 off) claimed by `customer`: its code.
async fn coupon(mall: &Mall, customer: &str) -> String {
    use quanyi_activities::benefits::admin::{self, NewTemplate};
    use quanyi_activities::benefits::claim::{self, ClaimRequest};
    let now = mall.clock.now();
    let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'HO'")
        .fetch_one(&mall.app.pool)
        .await
        .unwrap();
    let template = NewTemplate {
        code: "MALL5".try_into().unwrap(),
        item_code: None,
        name: "商城五元券".into(),
        kind: "cash".into(),
        face_value: 500,
        threshold: 0,
        discount_permille: None,
        claim_from: now - Duration::hours(1),
        claim_to: now + Duration::days(1),
        valid_from: None,
        valid_to: None,
        valid_days: Some(7),
        initial_stock: 10,
        shards: 1,
        limit_per_day: None,
        limit_total: None,
        limit_per_campaign: None,
        limit_per_merchant_day: None,
        merchant_codes: Vec::new(),
        active: true,
    };
    admin::create_template(&mall.app.pool, &template, org, now, seed())
        .await
        .unwrap()
        .unwrap();
    let client: Uuid = sqlx::query_scalar("SELECT id FROM api_clients WHERE code = 'mobile'")
        .fetch_one(&mall.app.pool)
        .await
        .unwrap();
    let customer = CustomerNo::parse(customer).unwrap();
    let code = template.code.clone();
    let claimed = claim::claim(
        &mall.app.pool,
        &ClaimRequest {
            client_id: client,
            request_id: "claim-1",
            body: b"claim-1",
            template_code: &code,
            customer_no: &customer,
            campaign_id: None,
            nonce: None,
        },
        now,
    )
    .await
    .unwrap()
    .unwrap();
    claimed.coupon_code
}

#[tokio::test]
async fn one_coupon_in_two_concurrent_orders_goes_to_one_and_comes_back_when_it_ends() {
    let mall = mall(10).await;
    let (me, address) = customer(&mall, "C10000001", 5_000).await;
    let coupon_code = coupon(&mall, "C10000001").await;
    let with_coupon = |request: &str| {
        let mut body = order_body(&mall, request, &address, 1);
        body["coupon_code"] = json!(coupon_code);
        body
    };
    let (a, b) = tokio::join!(
        me.post_json::<Value>("/api/v1/h5/orders", with_coupon("c-1")),
        me.post_json::<Value>("/api/v1/h5/orders", with_coupon("c-2")),
    );
    let (placed, refused) = match (a, b) {
        (Ok(order), Err(e)) | (Err(e), Ok(order)) => (order, e),
        other => panic!("one order should take the coupon: {other:?}"),
    };
    assert_eq!(code(refused), "QY-MALL-0028");
    assert_eq!(
        (&placed["discount_fen"], &placed["cash_fen"]),
        (&json!(500), &json!(1490))
    );
    assert_eq!(placed["coupon_code"], json!(coupon_code));
    // another customer's coupon is not theirs to use
    let (other, other_address) = customer(&mall, "C10000002", 5_000).await;
    let mut theirs = order_body(&mall, "o-1", &other_address, 1);
    theirs["coupon_code"] = json!(coupon_code);
    let not_theirs = other
        .post_json::<Value>("/api/v1/h5/orders", theirs)
        .await
        .unwrap_err();
    assert_eq!(code(not_theirs), "QY-MALL-0027");
    // cancelled, the coupon is free again, and the next order closing releases it once more
    let no = placed["order_no"].as_str().unwrap();
    let cancelled: Value = me
        .post_json(&format!("/api/v1/h5/orders/{no}/cancel"), json!({}))
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    let again: Value = me
        .post_json("/api/v1/h5/orders", with_coupon("c-3"))
        .await
        .unwrap();
    assert_eq!(again["discount_fen"], 500);
    mall.clock.advance(Duration::minutes(16));
    let qpay = mall.app.state.settings.qpay.as_ref();
    assert_eq!(
        orders::close_due(&mall.app.pool, qpay, mall.clock.now(), 100)
            .await
            .unwrap(),
        1
    );
    let live: i64 =
        sqlx::query_scalar("SELECT count(*) FROM mall_coupon_locks WHERE released_at IS NULL")
            .fetch_one(&mall.app.pool)
            .await
            .unwrap();
    assert_eq!(live, 0);
    assert_eq!(stock(&mall).await, 10);
    audits_clean(&mall).await;
}
