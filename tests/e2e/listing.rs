//! 积分商城 I (issue 18 part A) with the real Temporal: a supplier's product goes 草稿 → 待审核 →
//! 已上架 through 审核 and 复核 and shows in the public catalogue; a price change waits while the
//! old price sells, then the new price shows and 价格修改历史 has its row; a stock increase above
//! the threshold (the coupons' rule) waits; a delist request is approved; a forced delist is
//! immediate and audited; two decisions at once record one. Refusals answer their codes and
//! write nothing, and one supplier reaches none of another's products.

use crate::files::{png, upload};
use quanyi_activities::identity::password;
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{ApiErrorBody, Browser, TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use temporalio_client::WorkflowHistory;
use uuid::Uuid;

type Answer<T> = Result<T, (StatusCode, ApiErrorBody)>;

async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    browser.login(username, DEMO_PASSWORD).await.unwrap();
    browser
}

/// A supplier merchant `code` (城东分行) and its administrator `username`, signed in.
pub(crate) async fn supplier(app: &TestApp, code: &str, username: &str) -> Browser {
    sqlx::query(
        "WITH m AS (INSERT INTO merchants (code, name, org_id, is_supplier)
                    SELECT $1, $1 || '供应商', id, true FROM orgs WHERE code = 'BR01' RETURNING id),
              u AS (INSERT INTO users (username, display_name, org_id, kind, merchant_id, password_hash)
                    SELECT $2, $2, (SELECT id FROM orgs WHERE code = 'BR01'), 'merchant', m.id, $3
                      FROM m RETURNING id)
         INSERT INTO user_roles (user_id, role_id)
         SELECT u.id, r.id FROM u, roles r WHERE r.code = 'merchant_admin'",
    )
    .bind(code)
    .bind(username)
    .bind(password::hash(DEMO_PASSWORD))
    .execute(&app.pool)
    .await
    .unwrap();
    signed_in(app, username).await
}

/// A category `tea` under `food`, made by the merchant manager.
pub(crate) async fn categories(manager: &Browser) {
    for body in [
        json!({"code": "food", "name": "食品"}),
        json!({"code": "tea", "parent_code": "food", "name": "茶叶", "sort": 1}),
    ] {
        manager
            .no_content(Method::POST, "/api/v1/mall/categories", Some(body))
            .await
            .unwrap();
    }
}

/// An image uploaded by `browser`: its file id.
pub(crate) async fn image(browser: &Browser) -> String {
    let response = upload(browser, "/api/v1/files", "tea.png", &png(b"")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let view: Value = response.json().await.unwrap();
    view["id"].as_str().unwrap().to_owned()
}

pub(crate) fn product(image: &str, price_points: i64) -> Value {
    json!({
        "category_code": "tea",
        "name": "明前龙井",
        "subtitle": "杭州西湖产区",
        "description": "<p onclick=\"x()\">头采<b>嫩芽</b><script>alert(1)</script></p>",
        "images": [image],
        "tags": ["新品"],
        "skus": [{"code": "G250", "spec": "250g 礼盒", "price_points": price_points,
                  "price_fen": 0, "market_price_fen": 19800, "stock": 100}],
    })
}

pub(crate) async fn send(
    browser: &Browser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = browser
        .http
        .request(method, browser.url(path))
        .header("x-requested-with", "quanyi");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

pub(crate) async fn create(supplier: &Browser, body: Value) -> String {
    let (status, answer) = send(
        supplier,
        Method::POST,
        "/api/v1/supplier/products",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["code"].as_str().unwrap().to_owned()
}

/// The listing task open for `reviewer`: its id and level.
pub(crate) async fn the_task(reviewer: &Browser) -> (String, String) {
    let page: Value = reviewer
        .get_json("/api/v1/tasks?tab=todo&process_type=listing")
        .await
        .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    (
        page["items"][0]["id"].as_str().unwrap().to_owned(),
        page["items"][0]["level_name"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn decide(reviewer: &Browser, task: &str, decision: &str) -> Answer<Value> {
    reviewer
        .post_json(
            &format!("/api/v1/tasks/{task}/decision"),
            json!({"decision": decision, "comment": "审核意见"}),
        )
        .await
}

/// The one approval of a change, by reviewer2.
pub(crate) async fn approve_change(reviewer2: &Browser) {
    let (task, level) = the_task(reviewer2).await;
    assert_eq!(level, "变更审核");
    let answer = decide(reviewer2, &task, "approve").await.unwrap();
    assert_eq!(answer["state"], "Applied", "{answer}");
}

/// The catalogue's product page, polled until `ready` holds of it (the worker's commit reaches
/// the API's cache by notification) or two seconds pass.
async fn page_until(
    anyone: &Browser,
    code: &str,
    ready: impl Fn(StatusCode, &Value) -> bool,
) -> (StatusCode, Value) {
    let path = format!("/api/v1/catalogue/products/{code}");
    for _ in 0..40 {
        let (status, page) = send(anyone, Method::GET, &path, None).await;
        if ready(status, &page) {
            return (status, page);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    send(anyone, Method::GET, &path, None).await
}

/// Submits `code` and has reviewer1 (审核) and reviewer2 (复核) approve it.
pub(crate) async fn list(
    supplier: &Browser,
    reviewer1: &Browser,
    reviewer2: &Browser,
    code: &str,
) -> String {
    let (status, pending) = send(
        supplier,
        Method::POST,
        &format!("/api/v1/supplier/products/{code}/submission"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    let (task, level) = the_task(reviewer1).await;
    assert_eq!(level, "审核");
    decide(reviewer1, &task, "approve").await.unwrap();
    let (task, level) = the_task(reviewer2).await;
    assert_eq!(level, "复核");
    let answer = decide(reviewer2, &task, "approve").await.unwrap();
    assert_eq!(answer["state"], "Applied");
    pending["workflow_id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_is_listed_by_two_levels_and_its_changes_wait_for_their_approval() {
    let app = spawn_app().await;
    let _worker = app.start_worker().await;
    let manager = signed_in(&app, "merchant_manager").await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    let anyone = app.browser();
    categories(&manager).await;
    let now = chrono::Utc::now();
    let (status, _) = send(
        &manager,
        Method::POST,
        "/api/v1/mall/banners",
        Some(json!({"kind": "banner", "title": "新茶上市", "link": "/h5/category/tea",
                    "starts_at": now - chrono::Duration::hours(1), "ends_at": now + chrono::Duration::days(1)})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(
        &manager,
        Method::POST,
        "/api/v1/mall/banners",
        Some(json!({"kind": "banner", "title": "下月活动", "starts_at": now + chrono::Duration::days(30),
                    "ends_at": now + chrono::Duration::days(31)})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let gy = supplier(&app, "GY01", "gy01_admin").await;
    // the supplier files under the tree staff keep, with no catalogue permission of its own
    let (status, tree) = send(&gy, Method::GET, "/api/v1/supplier/categories", None).await;
    assert_eq!(status, StatusCode::OK, "{tree}");
    let (_, kept) = send(&manager, Method::GET, "/api/v1/mall/categories", None).await;
    assert_eq!(tree, kept);
    assert!(tree.as_array().is_some_and(|t| !t.is_empty()), "{tree}");
    let (status, _) = send(&gy, Method::GET, "/api/v1/mall/categories", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let picture = image(&gy).await;
    let code = create(&gy, product(&picture, 1000)).await;
    assert!(code.starts_with("SP"), "{code}");
    let (_, detail) = send(
        &gy,
        Method::GET,
        &format!("/api/v1/supplier/products/{code}"),
        None,
    )
    .await;
    assert_eq!(detail["status"], "draft");
    assert_eq!(
        detail["description"], "<p>头采<b>嫩芽</b></p>",
        "sanitised on the server"
    );
    let (status, _) = send(
        &anyone,
        Method::GET,
        &format!("/api/v1/catalogue/products/{code}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a draft is not for sale");

    // submitted: 待审核, 审核 then 复核; two 复核 approvals at once record one
    let (status, pending) = send(
        &gy,
        Method::POST,
        &format!("/api/v1/supplier/products/{code}/submission"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    assert_eq!(
        (pending["kind"].as_str(), pending["state"].as_str()),
        (Some("list"), Some("UnderReview"))
    );
    let wf = pending["workflow_id"].as_str().unwrap().to_owned();
    assert!(wf.starts_with("listing-"), "{wf}");
    let (_, detail) = send(
        &gy,
        Method::GET,
        &format!("/api/v1/supplier/products/{code}"),
        None,
    )
    .await;
    assert_eq!(detail["status"], "pending");
    let none: Value = reviewer2
        .get_json("/api/v1/tasks?tab=todo&process_type=listing")
        .await
        .unwrap();
    assert_eq!(none["total"], 0, "复核 waits for 审核");
    let (task, level) = the_task(&reviewer1).await;
    assert_eq!(level, "审核");
    let first = decide(&reviewer1, &task, "approve").await.unwrap();
    assert_eq!(first["state"], "UnderReview");
    let (task, level) = the_task(&reviewer2).await;
    assert_eq!(level, "复核");
    let (a, b) = tokio::join!(
        decide(&reviewer2, &task, "approve"),
        decide(&reviewer2, &task, "approve")
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    assert_eq!(a.or(b).unwrap()["state"], "Applied");
    let approvals: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM process_transitions WHERE workflow_id = $1 AND event = 'ApproveFinal'",
    )
    .bind(&wf)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(approvals, 1);

    // on sale: the public catalogue shows it, its banner on show and not the next month's
    let (status, page) = page_until(&anyone, &code, |s, _| s == StatusCode::OK).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["skus"][0]["price_points"], 1000);
    assert_eq!(page["skus"][0]["stock"], 100);
    let (_, cards) = send(
        &anyone,
        Method::GET,
        "/api/v1/catalogue/categories/food/products",
        None,
    )
    .await;
    assert_eq!(
        cards[0]["code"],
        code.as_str(),
        "a parent category shows its children's products"
    );
    let (_, home) = send(&anyone, Method::GET, "/api/v1/catalogue/home", None).await;
    let banners: Vec<&str> = home["banners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap())
        .collect();
    assert_eq!(banners, ["新茶上市"]);
    let response = anyone
        .http
        .get(anyone.url(&format!("/api/v1/catalogue/images/{picture}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a listed product's image is public"
    );

    // a price change waits while the old price sells
    let mut changed = product(&picture, 800);
    changed["reason"] = "年终促销调价".into();
    let (status, revision) = send(
        &gy,
        Method::PUT,
        &format!("/api/v1/supplier/products/{code}"),
        Some(changed.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{revision}");
    assert_eq!(revision["kind"], "revise");
    let (_, page) = send(
        &anyone,
        Method::GET,
        &format!("/api/v1/catalogue/products/{code}"),
        None,
    )
    .await;
    assert_eq!(
        page["skus"][0]["price_points"], 1000,
        "the live version sells"
    );
    let (status, again) = send(
        &gy,
        Method::PUT,
        &format!("/api/v1/supplier/products/{code}"),
        Some(changed),
    )
    .await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("QY-MALL-0007"))
    );
    approve_change(&reviewer2).await;
    let (_, page) = page_until(&anyone, &code, |_, p| p["skus"][0]["price_points"] == 800).await;
    assert_eq!(page["skus"][0]["price_points"], 800, "{page}");
    assert_eq!(page["version"], 2);
    let (_, detail) = send(
        &manager,
        Method::GET,
        &format!("/api/v1/mall/products/{code}"),
        None,
    )
    .await;
    let prices = &detail["price_history"];
    assert_eq!(prices.as_array().unwrap().len(), 1, "{detail}");
    assert_eq!(
        (
            prices[0]["old_points"].as_i64(),
            prices[0]["new_points"].as_i64(),
            prices[0]["reason"].as_str(),
            prices[0]["requested_by"].as_str(),
            prices[0]["approved_by"].as_str(),
        ),
        (
            Some(1000),
            Some(800),
            Some("年终促销调价"),
            Some("gy01_admin"),
            Some("reviewer2")
        )
    );

    // stock: up to the threshold (1,000 in the tests, the coupons' rule) at once, above it waits
    let stock_path = format!("/api/v1/supplier/products/{code}/stock");
    gy.no_content(
        Method::POST,
        stock_path.clone(),
        Some(json!({"sku_code": "G250", "quantity": 1000})),
    )
    .await
    .unwrap();
    let (_, page) = send(
        &anyone,
        Method::GET,
        &format!("/api/v1/catalogue/products/{code}"),
        None,
    )
    .await;
    assert_eq!(page["skus"][0]["stock"], 1100);
    let (status, restock) = send(
        &gy,
        Method::POST,
        &stock_path,
        Some(json!({"sku_code": "G250", "quantity": 5000, "reason": "春节备货"})),
    )
    .await;
    assert_eq!(
        (status, restock["kind"].as_str()),
        (StatusCode::ACCEPTED, Some("restock"))
    );
    let (_, page) = send(
        &anyone,
        Method::GET,
        &format!("/api/v1/catalogue/products/{code}"),
        None,
    )
    .await;
    assert_eq!(page["skus"][0]["stock"], 1100, "not yet");
    approve_change(&reviewer2).await;
    let (_, page) = page_until(&anyone, &code, |_, p| p["skus"][0]["stock"] == 6100).await;
    assert_eq!(page["skus"][0]["stock"], 6100);

    // a review approved shows on the page
    let review: Uuid = sqlx::query_scalar(
        "INSERT INTO product_reviews (product_id, customer_no, rating, content, created_at)
         SELECT id, 'C10000001', 5, '茶香浓郁', now() FROM products WHERE code = $1 RETURNING id",
    )
    .bind(&code)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    manager
        .no_content(
            Method::POST,
            format!("/api/v1/mall/reviews/{review}/moderation"),
            Some(json!({"action": "approve"})),
        )
        .await
        .unwrap();
    let (_, page) = send(
        &anyone,
        Method::GET,
        &format!("/api/v1/catalogue/products/{code}"),
        None,
    )
    .await;
    assert_eq!(page["reviews"][0]["content"], "茶香浓郁");
    assert_eq!(page["reviews"][0]["customer"], "C1*****01");

    // the supplier's delist request: still on sale until approved
    let (status, delist) = send(
        &gy,
        Method::POST,
        &format!("/api/v1/supplier/products/{code}/delist-request"),
        Some(json!({"reason": "产品换季"})),
    )
    .await;
    assert_eq!(
        (status, delist["kind"].as_str()),
        (StatusCode::ACCEPTED, Some("delist"))
    );
    let (status, _) = send(
        &anyone,
        Method::GET,
        &format!("/api/v1/catalogue/products/{code}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    approve_change(&reviewer2).await;
    let (status, _) = page_until(&anyone, &code, |s, _| s == StatusCode::NOT_FOUND).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, detail) = send(
        &gy,
        Method::GET,
        &format!("/api/v1/supplier/products/{code}"),
        None,
    )
    .await;
    assert_eq!(detail["status"], "delisted");

    // a forced delist by staff: at once, no approval, with its reason in the audit log
    let second = create(&gy, product(&picture, 500)).await;
    list(&gy, &reviewer1, &reviewer2, &second).await;
    page_until(&anyone, &second, |s, _| s == StatusCode::OK).await;
    let (status, refused) = send(
        &manager,
        Method::POST,
        &format!("/api/v1/mall/products/{second}/forced-delist"),
        Some(json!({"reason": "  "})),
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("QY-MALL-0012"))
    );
    manager
        .no_content(
            Method::POST,
            format!("/api/v1/mall/products/{second}/forced-delist"),
            Some(json!({"reason": "抽检不合格"})),
        )
        .await
        .unwrap();
    let (status, _) = send(
        &anyone,
        Method::GET,
        &format!("/api/v1/catalogue/products/{second}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "off sale at once");
    let (who, after): (Option<String>, Value) = sqlx::query_as(
        "SELECT username, after FROM audit_log WHERE action = 'mall.product.force_delist' AND target = $1",
    )
    .bind(&second)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (who.as_deref(), after["reason"].as_str()),
        (Some("merchant_manager"), Some("抽检不合格"))
    );
    let tasks: Value = reviewer2
        .get_json("/api/v1/tasks?tab=todo&process_type=listing")
        .await
        .unwrap();
    assert_eq!(tasks["total"], 0, "no approval for a forced delist");

    // the first listing's history replays; RECORD_HISTORIES=1 refreshes the committed copy
    let recorded = history(&wf).await;
    crate::histories::replayer()
        .replay_workflow(WorkflowHistory::from_json(&recorded).unwrap())
        .await
        .expect("replays");
    if std::env::var_os("RECORD_HISTORIES").is_some() {
        std::fs::write(crate::histories::path("listing.json"), &recorded).unwrap();
    }
}

/// What the mall's tables hold, to show a refusal wrote nothing.
async fn rows(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "products",
        "product_skus",
        "listing_requests",
        "process_instances",
        "product_price_history",
        "mall_categories",
    ] {
        out.push(
            sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&app.pool)
                .await
                .unwrap(),
        );
    }
    let changes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action LIKE 'mall.%' AND result <> 'refused'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    out.push(changes);
    out
}

fn code_of(answer: &(StatusCode, Value)) -> (StatusCode, &str, Option<&str>) {
    (
        answer.0,
        answer.1["code"].as_str().unwrap_or_default(),
        answer.1["fields"][0]["field"].as_str(),
    )
}

#[tokio::test]
async fn refusals_answer_their_codes_and_write_nothing() {
    let app = spawn_app().await;
    let manager = signed_in(&app, "merchant_manager").await;
    categories(&manager).await;
    let gy01 = supplier(&app, "GY01", "gy01_admin").await;
    let gy02 = supplier(&app, "GY02", "gy02_admin").await;
    let picture = image(&gy01).await;
    let theirs = image(&gy02).await;
    let code = create(&gy01, product(&picture, 1000)).await;
    let bare = create(&gy01, json!({"category_code": "tea", "name": "无图商品"})).await;
    let before = rows(&app).await;

    // another supplier's product is no product of theirs, on every route
    let of = |suffix: &str| format!("/api/v1/supplier/products/{code}{suffix}");
    for (method, path, body) in [
        (Method::GET, of(""), None),
        (Method::PUT, of(""), Some(product(&theirs, 900))),
        (Method::DELETE, of(""), None),
        (Method::POST, of("/submission"), None),
        (
            Method::POST,
            of("/stock"),
            Some(json!({"sku_code": "G250", "quantity": 5})),
        ),
        (
            Method::POST,
            of("/delist-request"),
            Some(json!({"reason": "不想卖了"})),
        ),
    ] {
        let answer = send(&gy02, method.clone(), &path, body).await;
        assert_eq!(
            code_of(&answer),
            (StatusCode::NOT_FOUND, "QY-MALL-0001", None),
            "{method} {path}"
        );
    }
    let (_, listed) = send(&gy02, Method::GET, "/api/v1/supplier/products", None).await;
    assert_eq!(listed, json!([]), "none of another supplier's products");
    // a merchant without the supplier role keeps no products: its administrator does not hold
    // the supplier's permission at all
    let m001 = signed_in(&app, "m001_admin").await;
    let answer = send(&m001, Method::GET, "/api/v1/supplier/products", None).await;
    assert_eq!(
        code_of(&answer),
        (StatusCode::FORBIDDEN, "QY-AUTH-0003", None)
    );

    // prices: below zero, over the limit, nothing at all
    for (points, fen) in [(-1, 0), (100_000_001, 0), (0, 0), (10, -5)] {
        let mut body = product(&picture, points);
        body["skus"][0]["price_fen"] = fen.into();
        let answer = send(&gy01, Method::POST, "/api/v1/supplier/products", Some(body)).await;
        assert_eq!(
            answer.0,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{points} {fen}: {}",
            answer.1
        );
        assert_eq!(answer.1["code"], "QY-MALL-0003", "{points} {fen}");
    }
    // an image that is not an image (a PDF the file store took), another supplier's image
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
    let response = upload(&gy01, "/api/v1/files", "spec.pdf", pdf).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let not_image: Value = response.json().await.unwrap();
    for file in [not_image["id"].as_str().unwrap(), theirs.as_str()] {
        let answer = send(
            &gy01,
            Method::POST,
            "/api/v1/supplier/products",
            Some(product(file, 100)),
        )
        .await;
        assert_eq!(
            code_of(&answer),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "QY-MALL-0004",
                Some("images[0]")
            )
        );
    }
    // a listing without its images (nor SKUs, nor a description); a body without a name
    let answer = send(
        &gy01,
        Method::POST,
        &format!("/api/v1/supplier/products/{bare}/submission"),
        None,
    )
    .await;
    assert_eq!(
        code_of(&answer),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-MALL-0005",
            Some("images")
        )
    );
    let mut nameless = product(&picture, 100);
    nameless.as_object_mut().unwrap().remove("name");
    let answer = send(
        &gy01,
        Method::POST,
        "/api/v1/supplier/products",
        Some(nameless),
    )
    .await;
    assert_eq!(code_of(&answer).0, StatusCode::UNPROCESSABLE_ENTITY);
    let mut unknown = product(&picture, 100);
    unknown["category_code"] = "nothing".into();
    let answer = send(
        &gy01,
        Method::POST,
        "/api/v1/supplier/products",
        Some(unknown),
    )
    .await;
    assert_eq!(
        code_of(&answer),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-MALL-0002",
            Some("category_code")
        )
    );
    // a category below itself, a product's category removed
    let answer = send(
        &manager,
        Method::PUT,
        "/api/v1/mall/categories/food",
        Some(json!({"code": "food", "parent_code": "tea", "name": "食品"})),
    )
    .await;
    assert_eq!(
        code_of(&answer),
        (StatusCode::UNPROCESSABLE_ENTITY, "QY-MALL-0016", None)
    );
    let answer = send(
        &manager,
        Method::DELETE,
        "/api/v1/mall/categories/tea",
        None,
    )
    .await;
    assert_eq!(
        code_of(&answer),
        (StatusCode::CONFLICT, "QY-MALL-0015", None)
    );
    // only a product on sale is delisted
    let answer = send(
        &gy01,
        Method::POST,
        &format!("/api/v1/supplier/products/{code}/delist-request"),
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(
        code_of(&answer),
        (StatusCode::CONFLICT, "QY-MALL-0006", None)
    );

    assert_eq!(rows(&app).await, before, "nothing written");
}

/// The process's history as JSON.
async fn history(workflow_id: &str) -> Vec<u8> {
    let client = quanyi_activities::temporal::connect(
        &quanyi_tests::harness::stack().temporal_url,
        "default",
    )
    .await
    .unwrap();
    client
        .get_workflow_handle::<quanyi_workflows::listing::ListingWorkflow>(workflow_id)
        .fetch_history(Default::default())
        .to_json()
        .await
        .unwrap()
}
