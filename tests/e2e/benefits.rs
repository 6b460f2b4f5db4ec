//! 权益 at bank grade (BEN-1..4, NFR-5): concurrent claims never over-issue, limits hold under
//! concurrency, a retried request yields one coupon, a coupon is redeemed once, a reversal reverses
//! once, bad input writes nothing, a signed request is checked, and the books balance — or the
//! conservation check says where they do not.

use chrono::{Duration, Utc};
use futures::future::join_all;
use quanyi_activities::audit::Entry;
use quanyi_activities::benefits::admin::{self, NewTemplate};
use quanyi_activities::benefits::clients::{self, ClientKind, NewClient};
use quanyi_activities::benefits::conservation;
use quanyi_activities::clock::{Clock, ManualClock};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{AppOptions, TestApp, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

const CHANNEL_SECRET: &[u8] = b"channel-secret-channel-secret-01";
const MERCHANT_SECRET: &[u8] = b"merchant-secret-merchant-secret1";

/// A signed-API caller, as a channel or merchant system would be.
struct Caller {
    code: &'static str,
    secret: &'static [u8],
    base: String,
    http: reqwest::Client,
    clock: Arc<dyn quanyi_activities::clock::Clock>,
}

static NONCE: AtomicU64 = AtomicU64::new(0);

impl Caller {
    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(path, serde_json::to_vec(body).unwrap(), None)
            .await
    }

    /// Sends `body` to `path`, signed; `tamper` changes one header after signing.
    async fn send(
        &self,
        path: &str,
        body: Vec<u8>,
        tamper: Option<(&str, String)>,
    ) -> (StatusCode, Value) {
        self.send_with(path, body, tamper, new_nonce()).await
    }

    /// [`Caller::send`] with the given nonce: a replay sends the same bytes and nonce again.
    async fn send_with(
        &self,
        path: &str,
        body: Vec<u8>,
        tamper: Option<(&str, String)>,
        nonce: String,
    ) -> (StatusCode, Value) {
        let timestamp = self.clock.now().timestamp().to_string();
        let message = clients::string_to_sign(&timestamp, &nonce, "POST", path, &body);
        let mut headers = vec![
            ("x-qy-client", self.code.to_owned()),
            ("x-qy-timestamp", timestamp),
            ("x-qy-nonce", nonce),
            ("x-qy-signature", clients::sign(self.secret, &message)),
        ];
        if let Some((name, value)) = tamper {
            headers.retain(|(n, _)| *n != name);
            if !value.is_empty() {
                headers.push((leak(name), value));
            }
        }
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn new_nonce() -> String {
    format!(
        "n{:015}-{}",
        NONCE.fetch_add(1, Ordering::Relaxed),
        Uuid::new_v4().simple()
    )
}

fn leak(name: &str) -> &'static str {
    Box::leak(name.to_owned().into_boxed_str())
}

struct Bank {
    app: TestApp,
    channel: Caller,
    merchant: Caller,
    clock: Arc<ManualClock>,
}

fn seed() -> Entry {
    Entry {
        username: Some("test".into()),
        ..Entry::default()
    }
}

/// An app on a hand-moved clock with a channel client, merchant T01 (stores A and B) and its
/// merchant-system client, and merchant T02 (store C).
async fn bank() -> Bank {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = spawn_app_with(AppOptions {
        clock: clock.clone(),
        ..Default::default()
    })
    .await;
    let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'HO'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let now = clock.now();
    let stores = |codes: &[&str]| -> Vec<(String, String)> {
        codes
            .iter()
            .map(|c| ((*c).to_owned(), format!("门店{c}")))
            .collect()
    };
    let t01 = admin::create_merchant(
        &app.pool,
        "T01",
        "测试商户一",
        org,
        &stores(&["A", "B"]),
        now,
        seed(),
    )
    .await
    .unwrap()
    .unwrap();
    admin::create_merchant(
        &app.pool,
        "T02",
        "测试商户二",
        org,
        &stores(&["C"]),
        now,
        seed(),
    )
    .await
    .unwrap()
    .unwrap();
    let key = &app.state.settings.data_key;
    let register = |code: &str, kind, merchant_id, secret: &[u8]| {
        clients::register_with_secret(
            &app.pool,
            key,
            NewClient {
                code: code.into(),
                name: code.into(),
                kind,
                merchant_id,
            },
            secret.to_vec(),
            now,
            seed(),
        )
    };
    register("mobile", ClientKind::Channel, None, CHANNEL_SECRET)
        .await
        .unwrap()
        .unwrap();
    register("pos-t01", ClientKind::Merchant, Some(t01), MERCHANT_SECRET)
        .await
        .unwrap()
        .unwrap();
    let caller = |code, secret| Caller {
        code,
        secret,
        base: app.url(""),
        http: reqwest::Client::new(),
        clock: clock.clone(),
    };
    let channel = caller("mobile", CHANNEL_SECRET);
    let merchant = caller("pos-t01", MERCHANT_SECRET);
    Bank {
        app,
        channel,
        merchant,
        clock,
    }
}

fn template(code: &str, stock: i64, shards: i32) -> NewTemplate {
    let now = Utc::now();
    NewTemplate {
        code: code.try_into().unwrap(),
        item_code: None,
        name: format!("模板{code}"),
        kind: "threshold".into(),
        face_value: 2000,
        threshold: 10000,
        discount_permille: None,
        claim_from: now - Duration::hours(1),
        claim_to: now + Duration::days(1),
        valid_from: None,
        valid_to: None,
        valid_days: Some(7),
        initial_stock: stock,
        shards,
        limit_per_day: None,
        limit_total: None,
        limit_per_campaign: None,
        limit_per_merchant_day: None,
        merchant_codes: vec!["T01".into()],
        active: true,
    }
}

impl Bank {
    async fn template(&self, t: NewTemplate) {
        let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'HO'")
            .fetch_one(&self.app.pool)
            .await
            .unwrap();
        admin::create_template(&self.app.pool, &t, org, self.clock.now(), seed())
            .await
            .unwrap()
            .unwrap();
    }

    async fn claim(&self, request_id: &str, template: &str, customer: &str) -> (StatusCode, Value) {
        self.channel
            .post(
                "/api/channel/v1/claims",
                &json!({"request_id": request_id, "template_code": template, "customer_no": customer}),
            )
            .await
    }

    async fn redeem(
        &self,
        request_id: &str,
        code: &str,
        store: &str,
        amount: i64,
    ) -> (StatusCode, Value) {
        self.merchant
            .post(
                "/api/channel/v1/redemptions",
                &json!({"request_id": request_id, "coupon_code": code, "store_code": store,
                        "order_amount": amount, "order_ref": format!("ORD-{request_id}")}),
            )
            .await
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.app.pool)
            .await
            .unwrap()
    }

    async fn balanced(&self) {
        let (_, violations) = conservation::check(&self.app.pool).await.unwrap();
        assert!(violations.is_empty(), "{violations:?}");
    }

    /// Row counts of every benefits table, to show that a refusal wrote nothing.
    async fn footprint(&self) -> Vec<i64> {
        let mut counts = Vec::new();
        for table in [
            "coupons",
            "redemptions",
            "stock_movements",
            "claim_requests",
            "customer_claims",
        ] {
            counts.push(self.count(&format!("SELECT count(*) FROM {table}")).await);
        }
        counts.push(
            self.count("SELECT coalesce(sum(remaining), 0)::bigint FROM stock_shards")
                .await,
        );
        counts.push(
            self.count("SELECT count(*) FROM coupons WHERE status = 'used'")
                .await,
        );
        counts
    }
}

fn code_of(answer: &(StatusCode, Value)) -> String {
    answer.1["code"].as_str().unwrap_or("").to_owned()
}

#[tokio::test]
async fn two_hundred_concurrent_claims_on_a_hundred_units_give_exactly_a_hundred_coupons() {
    let bank = bank().await;
    for (code, shards) in [("HOT1", 1), ("HOT8", 8)] {
        bank.template(template(code, 100, shards)).await;
        let answers = join_all((0..200).map(|i| {
            let bank = &bank;
            async move {
                bank.claim(&format!("{code}-{i}"), code, &format!("C{:08}", i))
                    .await
            }
        }))
        .await;
        let ok = answers.iter().filter(|a| a.0 == StatusCode::OK).count();
        let sold_out = answers
            .iter()
            .filter(|a| code_of(a) == "QY-BEN-2001")
            .count();
        assert_eq!((ok, sold_out), (100, 100), "{code}: {shards} shard(s)");
        let remaining = bank
            .count(&format!(
                "SELECT sum(remaining)::bigint FROM stock_shards s JOIN coupon_templates t ON t.id = s.template_id WHERE t.code = '{code}'"
            ))
            .await;
        assert_eq!(remaining, 0);
        let coupons = bank
            .count(&format!(
                "SELECT count(*) FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE t.code = '{code}'"
            ))
            .await;
        assert_eq!(coupons, 100);
    }
    bank.balanced().await;
}

#[tokio::test]
async fn one_customers_concurrent_claims_never_exceed_the_limits() {
    let bank = bank().await;
    bank.template(NewTemplate {
        limit_per_day: Some(2),
        limit_total: Some(3),
        ..template("LIM", 1000, 4)
    })
    .await;
    let bank = &bank;
    let claims = |round: &'static str| {
        join_all((0..20).map(move |i| async move {
            bank.claim(&format!("{round}-{i}"), "LIM", "C20000001")
                .await
        }))
    };
    let first = claims("day1").await;
    assert_eq!(first.iter().filter(|a| a.0 == StatusCode::OK).count(), 2);
    assert!(
        first
            .iter()
            .filter(|a| a.0 != StatusCode::OK)
            .all(|a| code_of(a) == "QY-BEN-2002")
    );
    bank.clock.advance(Duration::days(1));
    let second = claims("day2").await;
    assert_eq!(
        second.iter().filter(|a| a.0 == StatusCode::OK).count(),
        1,
        "the total limit of 3 leaves one for the second day"
    );
    assert!(
        second
            .iter()
            .filter(|a| a.0 != StatusCode::OK)
            .all(|a| code_of(a) == "QY-BEN-2003")
    );
    // a refused claim takes no stock
    assert_eq!(
        bank.count("SELECT sum(remaining)::bigint FROM stock_shards s JOIN coupon_templates t ON t.id = s.template_id WHERE t.code = 'LIM'")
            .await,
        997
    );
    bank.balanced().await;
}

#[tokio::test]
async fn a_request_id_retried_concurrently_yields_one_coupon() {
    let bank = bank().await;
    bank.template(template("RETRY", 10, 2)).await;
    let answers = join_all((0..20).map(|_| bank.claim("same-request", "RETRY", "C30000001"))).await;
    assert!(answers.iter().all(|a| a.0 == StatusCode::OK), "{answers:?}");
    assert!(
        answers.iter().all(|a| a.1 == answers[0].1),
        "every repeat gets the first answer"
    );
    assert_eq!(
        bank.count("SELECT count(*) FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE t.code = 'RETRY'")
            .await,
        1
    );
    let other_body = bank.claim("same-request", "RETRY", "C30000002").await;
    assert_eq!(code_of(&other_body), "QY-BEN-2006");
    // a refusal is a first answer too
    bank.template(template("EMPTY", 0, 1)).await;
    assert_eq!(
        code_of(&bank.claim("r-empty", "EMPTY", "C30000003").await),
        "QY-BEN-2001"
    );
    sqlx::query("UPDATE stock_shards SET remaining = 5 WHERE template_id = (SELECT id FROM coupon_templates WHERE code = 'EMPTY')")
        .execute(&mut bank.app.owner_connection().await)
        .await
        .unwrap();
    assert_eq!(
        code_of(&bank.claim("r-empty", "EMPTY", "C30000003").await),
        "QY-BEN-2001",
        "the repeat answers as the first did"
    );
}

#[tokio::test]
async fn two_concurrent_redemptions_of_one_coupon_one_succeeds_and_a_reversal_sent_twice_reverses_once()
 {
    let bank = bank().await;
    bank.template(template("RED", 10, 1)).await;
    let claimed = bank.claim("c1", "RED", "C40000001").await;
    let code = claimed.1["coupon_code"].as_str().unwrap().to_owned();
    let (a, b) = tokio::join!(
        bank.redeem("pos-1", &code, "A", 12800),
        bank.redeem("pos-2", &code, "B", 12800)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let won = if a.0 == StatusCode::OK { &a } else { &b };
    let lost = if a.0 == StatusCode::OK { &b } else { &a };
    assert_eq!(code_of(lost), "QY-BEN-3002");
    assert_eq!(won.1["discount"], 2000);
    let id = won.1["redemption_id"].as_str().unwrap().to_owned();
    // the same request again answers as the first, without a second redemption
    let again = bank
        .redeem(
            if a.0 == StatusCode::OK {
                "pos-1"
            } else {
                "pos-2"
            },
            &code,
            "A",
            12800,
        )
        .await;
    assert_eq!(again.1, won.1);
    assert_eq!(
        bank.count(&format!("SELECT count(*) FROM redemptions r JOIN coupons c ON c.id = r.coupon_id WHERE c.code = '{code}'"))
            .await,
        1
    );

    let path = format!("/api/channel/v1/redemptions/{id}/reversal");
    let empty = json!({});
    let (r1, r2) = tokio::join!(
        bank.merchant.post(&path, &empty),
        bank.merchant.post(&path, &empty)
    );
    assert_eq!((r1.0, r2.0), (StatusCode::OK, StatusCode::OK));
    assert_eq!(r1.1, r2.1, "the second reversal answers as the first");
    assert_eq!(
        bank.count(&format!("SELECT count(*) FROM redemptions r JOIN coupons c ON c.id = r.coupon_id WHERE r.reversed_at IS NOT NULL AND c.code = '{code}'"))
            .await,
        1
    );
    assert_eq!(
        bank.count(&format!(
            "SELECT count(*) FROM coupons WHERE status = 'unused' AND code = '{code}'"
        ))
        .await,
        1
    );
    bank.balanced().await;
    // unused again: it can be redeemed again, and that one's window closes after 24 hours
    let second = bank.redeem("pos-3", &code, "A", 12800).await;
    assert_eq!(second.0, StatusCode::OK);
    bank.clock.advance(Duration::hours(25));
    let late = bank
        .merchant
        .post(
            &format!(
                "/api/channel/v1/redemptions/{}/reversal",
                second.1["redemption_id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(code_of(&late), "QY-BEN-3007");
    bank.balanced().await;
}

/// docs/benefits.md: a repeat answers as the first — a refusal too. Sent again byte for byte
/// (its nonce included) after the coupon became redeemable, it is a replay; with a new nonce and
/// the same request id, it answers the first refusal; it never redeems.
#[tokio::test]
async fn a_refused_redemption_stays_refused_however_it_is_sent_again() {
    let bank = bank().await;
    bank.template(template("REP", 10, 1)).await;
    let claimed = bank.claim("c1", "REP", "C40000002").await;
    let code = claimed.1["coupon_code"].as_str().unwrap().to_owned();
    let first = bank.redeem("pos-1", &code, "A", 12800).await;
    assert_eq!(first.0, StatusCode::OK, "{first:?}");
    let body = serde_json::to_vec(&json!({"request_id": "pos-2", "coupon_code": code,
        "store_code": "A", "order_amount": 12800, "order_ref": "ORD-pos-2"}))
    .unwrap();
    let nonce = new_nonce();
    let path = "/api/channel/v1/redemptions";
    let refused = bank
        .merchant
        .send_with(path, body.clone(), None, nonce.clone())
        .await;
    assert_eq!(code_of(&refused), "QY-BEN-3002", "{refused:?}");
    // the coupon is reversed: unused, redeemable again
    let id = first.1["redemption_id"].as_str().unwrap();
    let reversal = bank
        .merchant
        .post(&format!("{path}/{id}/reversal"), &json!({}))
        .await;
    assert_eq!(reversal.0, StatusCode::OK, "{reversal:?}");
    let replay = bank
        .merchant
        .send_with(path, body.clone(), None, nonce)
        .await;
    assert_eq!(
        code_of(&replay),
        "QY-CLI-0004",
        "the nonce was spent: {replay:?}"
    );
    let repeat = bank.merchant.send(path, body, None).await;
    assert_eq!(
        (repeat.0, code_of(&repeat)),
        (refused.0, code_of(&refused)),
        "the first answer, again"
    );
    assert_eq!(
        bank.count(&format!(
            "SELECT count(*) FROM redemptions r JOIN coupons c ON c.id = r.coupon_id
              WHERE c.code = '{code}' AND r.reversed_at IS NULL"
        ))
        .await,
        0,
        "nothing redeemed"
    );
    // a refused reversal spends its nonce too
    let unknown = format!("{path}/{}/reversal", Uuid::new_v4());
    let nonce = new_nonce();
    let body = b"{}".to_vec();
    let first = bank
        .merchant
        .send_with(&unknown, body.clone(), None, nonce.clone())
        .await;
    assert_eq!(code_of(&first), "QY-BEN-3008", "{first:?}");
    let replay = bank.merchant.send_with(&unknown, body, None, nonce).await;
    assert_eq!(code_of(&replay), "QY-CLI-0004", "{replay:?}");
    bank.balanced().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_its_own_code_and_writes_nothing() {
    let bank = bank().await;
    bank.template(template("BAD", 10, 1)).await;
    bank.template(NewTemplate {
        merchant_codes: vec!["T02".into()],
        ..template("ELSEWHERE", 10, 1)
    })
    .await;
    let code = |answer: (StatusCode, Value)| answer.1["coupon_code"].as_str().unwrap().to_owned();
    let good = code(bank.claim("b1", "BAD", "C50000001").await);
    let other = code(bank.claim("b2", "ELSEWHERE", "C50000002").await);
    let expiring = code(bank.claim("b3", "BAD", "C50000003").await);
    let before = bank.footprint().await;
    let redeem = |request: &'static str, coupon: String, store: &'static str, amount: Value| {
        let bank = &bank;
        async move {
            bank.merchant
                .post(
                    "/api/channel/v1/redemptions",
                    &json!({"request_id": request, "coupon_code": coupon, "store_code": store,
                            "order_amount": amount, "order_ref": "ORD-1"}),
                )
                .await
        }
    };
    let cases: Vec<(&str, (StatusCode, Value), &str)> = vec![
        (
            "negative amount",
            redeem("x1", good.clone(), "A", json!(-1)).await,
            "QY-BEN-1007",
        ),
        (
            "overflowing amount",
            redeem("x2", good.clone(), "A", json!(10_000_000_000_000_i64)).await,
            "QY-BEN-1007",
        ),
        (
            "amount beyond i64",
            redeem("x3", good.clone(), "A", json!(1e30)).await,
            "QY-REQ-0002",
        ),
        (
            "amount as text",
            redeem("x4", good.clone(), "A", json!("128")).await,
            "QY-REQ-0002",
        ),
        (
            "unknown code",
            redeem("x5", "ZZZZZZZZZZZZZZZZ".into(), "A", json!(12800)).await,
            "QY-BEN-3001",
        ),
        (
            "wrong merchant",
            redeem("x6", other.clone(), "A", json!(12800)).await,
            "QY-BEN-3004",
        ),
        (
            "wrong store",
            redeem("x7", good.clone(), "C", json!(12800)).await,
            "QY-BEN-3009",
        ),
        (
            "below threshold",
            redeem("x8", good.clone(), "A", json!(9999)).await,
            "QY-BEN-3005",
        ),
        (
            "malformed request id",
            redeem("bad id!", good.clone(), "A", json!(12800)).await,
            "QY-REQ-0002",
        ),
        (
            "malformed redemption id",
            bank.merchant
                .post(
                    "/api/channel/v1/redemptions/not-a-uuid/reversal",
                    &json!({}),
                )
                .await,
            "QY-REQ-0006",
        ),
        (
            "claim with a malformed customer",
            bank.claim("x9", "BAD", "C5!").await,
            "QY-REQ-0002",
        ),
        // a code no template could have is refused before the claim keeps an answer
        (
            "claim with a malformed template code",
            bank.claim("x11", "BAD 1", "C50000001").await,
            "QY-BEN-2004",
        ),
    ];
    for (what, answer, expected) in &cases {
        assert_eq!(code_of(answer), *expected, "{what}: {answer:?}");
    }
    assert_eq!(bank.footprint().await, before, "nothing written");
    // a claim of an unknown template writes nothing but its answer, so a repeat gets the same
    let unknown = bank.claim("x10", "NOPE", "C50000009").await;
    assert_eq!(code_of(&unknown), "QY-BEN-2004");
    let mut expected = before.clone();
    expected[3] += 1;
    assert_eq!(bank.footprint().await, expected);
    let before = expected;
    // expired: valid for 7 days from the claim
    bank.clock.advance(Duration::days(8));
    let expired = redeem("x11", expiring, "A", json!(12800)).await;
    assert_eq!(code_of(&expired), "QY-BEN-3003");
    assert_eq!(bank.footprint().await, before);
}

#[tokio::test]
async fn every_signed_request_is_checked_before_it_is_served() {
    let bank = bank().await;
    bank.template(template("SIG", 10, 1)).await;
    let body = serde_json::to_vec(
        &json!({"request_id": "s1", "template_code": "SIG", "customer_no": "C60000001"}),
    )
    .unwrap();
    let path = "/api/channel/v1/claims";
    let cases = [
        (Some(("x-qy-signature", "00".repeat(32))), "QY-CLI-0002"),
        (
            Some((
                "x-qy-timestamp",
                (bank.clock.now().timestamp() - 301).to_string(),
            )),
            "QY-CLI-0003",
        ),
        (Some(("x-qy-client", "nobody".into())), "QY-CLI-0001"),
        (Some(("x-qy-nonce", String::new())), "QY-CLI-0005"),
        (Some(("x-qy-nonce", "short".into())), "QY-CLI-0005"),
    ];
    for (tamper, expected) in cases {
        let answer = bank.channel.send(path, body.clone(), tamper.clone()).await;
        assert_eq!(
            (answer.0, code_of(&answer).as_str()),
            (StatusCode::UNAUTHORIZED, expected),
            "{tamper:?}"
        );
    }
    // the body is signed: another body under the same signature is refused
    let answer = bank
        .channel
        .send(
            path,
            body.clone(),
            Some(("x-qy-signature", {
                let ts = bank.clock.now().timestamp().to_string();
                clients::sign(
                    CHANNEL_SECRET,
                    &clients::string_to_sign(&ts, "fixed-nonce-0000001", "POST", path, b"{}"),
                )
            })),
        )
        .await;
    assert_eq!(code_of(&answer), "QY-CLI-0002");
    // a merchant system cannot claim, a channel cannot redeem
    let coupons = bank.count("SELECT count(*) FROM coupons").await;
    let answer = bank.merchant.send(path, body.clone(), None).await;
    assert_eq!(
        (answer.0, code_of(&answer).as_str()),
        (StatusCode::FORBIDDEN, "QY-CLI-0006")
    );
    assert_eq!(bank.count("SELECT count(*) FROM coupons").await, coupons);
    // a replayed nonce is refused
    let ts = bank.clock.now().timestamp().to_string();
    let nonce = "replayed-nonce-000001";
    let signature = clients::sign(
        CHANNEL_SECRET,
        &clients::string_to_sign(&ts, nonce, "POST", path, &body),
    );
    let send = || {
        reqwest::Client::new()
            .post(bank.app.url(path))
            .header("content-type", "application/json")
            .header("x-qy-client", "mobile")
            .header("x-qy-timestamp", &ts)
            .header("x-qy-nonce", nonce)
            .header("x-qy-signature", &signature)
            .body(body.clone())
            .send()
    };
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    let replay = send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(replay.json::<Value>().await.unwrap()["code"], "QY-CLI-0004");
    assert_eq!(
        bank.count("SELECT count(*) FROM coupons").await,
        coupons + 1
    );
}

#[tokio::test]
async fn the_conservation_check_finds_a_violation_planted_by_hand() {
    let bank = bank().await;
    bank.template(template("BOOK", 50, 4)).await;
    for i in 0..10 {
        bank.claim(&format!("k{i}"), "BOOK", &format!("C7000000{i}"))
            .await;
    }
    bank.balanced().await;
    let mut owner = bank.app.owner_connection().await;
    sqlx::query("UPDATE stock_shards SET remaining = remaining + 1 WHERE shard = 0 AND template_id = (SELECT id FROM coupon_templates WHERE code = 'BOOK')")
        .execute(&mut owner)
        .await
        .unwrap();
    let (checked, violations) = conservation::check(&bank.app.pool).await.unwrap();
    assert_eq!(checked, 4, "the three demo templates and BOOK");
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].template, "BOOK");
    assert_eq!(
        violations[0].rule,
        "initial + increases − claims − withdrawals ≠ remaining"
    );
    sqlx::query("UPDATE stock_shards SET remaining = remaining - 1 WHERE shard = 0 AND template_id = (SELECT id FROM coupon_templates WHERE code = 'BOOK')")
        .execute(&mut owner)
        .await
        .unwrap();
    bank.balanced().await;
    // a coupon that appeared without its claim
    sqlx::query("INSERT INTO coupons (code, template_id, customer_no, client_id, claimed_at, valid_from, valid_to)
                 SELECT 'FORGED2345678923', c.template_id, 'C99999999', c.client_id, c.claimed_at, c.valid_from, c.valid_to
                   FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE t.code = 'BOOK' LIMIT 1")
        .execute(&mut owner)
        .await
        .unwrap();
    let (_, violations) = conservation::check(&bank.app.pool).await.unwrap();
    assert_eq!(
        violations.iter().map(|v| v.rule).collect::<Vec<_>>(),
        ["claims, coupons and claim ledger rows differ"]
    );
}

#[tokio::test]
async fn staff_create_templates_with_field_errors_see_stock_and_masked_coupons() {
    let app = spawn_app().await;
    app.login("planner", DEMO_PASSWORD).await.unwrap();
    let now = Utc::now();
    let body = |code: &str| {
        json!({"code": code, "name": "满200减30", "kind": "threshold", "face_value": 3000, "threshold": 20000,
               "discount_permille": null, "claim_from": now, "claim_to": now + Duration::days(30),
               "valid_from": null, "valid_to": null, "valid_days": 15, "initial_stock": 500, "shards": 2,
               "limit_per_day": 1, "limit_total": 2, "merchant_codes": ["M001"], "active": true})
    };
    let item: Value = app
        .post_json(
            "/api/v1/benefits/items",
            json!({"code": "STORE-COUPON", "name": "门店券", "description": ""}),
        )
        .await
        .expect("an item");
    assert!(item["id"].is_string());
    let mut with_item = body("MJ30");
    with_item["item_code"] = json!("STORE-COUPON");
    let created: Value = app
        .post_json("/api/v1/benefits/templates", with_item)
        .await
        .expect("created");
    let mut unknown_item = body("MJ32");
    unknown_item["item_code"] = json!("NOPE");
    let (_, refused) = app
        .post_json::<Value>("/api/v1/benefits/templates", unknown_item)
        .await
        .unwrap_err();
    assert_eq!(refused.code, "QY-BEN-1011");
    assert!(created["id"].is_string());
    let mut bad = body("MJ31");
    bad["face_value"] = json!(30000); // more off than the threshold
    bad["claim_to"] = json!(now - Duration::days(1));
    bad["valid_days"] = json!(null);
    let (status, error) = app
        .post_json::<Value>("/api/v1/benefits/templates", bad)
        .await
        .unwrap_err();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<(&str, &str)> = error
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.code.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("claim_to", "QY-BEN-1008"),
            ("valid_days", "QY-BEN-1008"),
            ("face_value", "QY-BEN-1007")
        ]
    );
    let (_, taken) = app
        .post_json::<Value>("/api/v1/benefits/templates", body("MJ30"))
        .await
        .unwrap_err();
    assert_eq!(taken.code, "QY-BEN-1001");

    app.post_empty(
        "/api/v1/benefits/templates/MJ30/stock",
        json!({"action": "increase", "quantity": 100}),
    )
    .await
    .unwrap();
    let (_, refused) = app
        .post_empty(
            "/api/v1/benefits/templates/MJ30/stock",
            json!({"action": "withdraw", "quantity": 601}),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, "QY-BEN-1004");
    let get = |path: String| {
        let request = app.http.get(app.url(&path));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let templates = get("/api/v1/benefits/templates?q=MJ30".into()).await;
    assert_eq!(templates["items"][0]["remaining"], 600);
    assert_eq!(templates["items"][0]["increased"], 100);
    assert_eq!(templates["items"][0]["item_code"], "STORE-COUPON");
    let items = get("/api/v1/benefits/items".into()).await;
    let store = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "STORE-COUPON")
        .unwrap();
    assert_eq!(store["templates"], 1);
    let movements = get("/api/v1/benefits/templates/MJ30/movements".into()).await;
    let kinds: Vec<&str> = movements["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["increase", "initial"]);
    assert_eq!(movements["days"][0]["remaining"], 600);

    // the demo seed's coupons: customer numbers masked
    let coupons = get("/api/v1/benefits/coupons?template_code=DEMO-MJ20".into()).await;
    let first = coupons["items"][0]["customer_no"].as_str().unwrap();
    assert!(first.starts_with("C1") && first.contains("***"), "{first}");
    assert_eq!(coupons["total"], 10);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('benefit.item.create', 'benefit.template.create', 'benefit.stock.increase') AND username = 'planner'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 3);
}

#[tokio::test]
async fn a_merchant_cashier_redeems_at_the_till_and_sees_only_their_merchants_records() {
    let app = spawn_app().await;
    app.login("clerk", DEMO_PASSWORD).await.unwrap();
    let unused: String = sqlx::query_scalar(
        "SELECT c.code FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
          WHERE t.code = 'DEMO-DJ10' AND c.status = 'unused' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let done: Value = app
        .post_json(
            "/api/v1/benefits/merchant-redemptions",
            json!({"request_id": "till-1", "coupon_code": format!("quanyi:coupon:{unused}"),
                   "store_code": "S002", "order_amount": 3500, "order_ref": "POS-1"}),
        )
        .await
        .expect("redeemed by scanning the QR payload");
    assert_eq!(done["discount"], 1000);
    let stores: Value = app
        .http
        .get(app.url("/api/v1/benefits/my-stores"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stores[0]["code"], "S001");
    assert_eq!(stores.as_array().unwrap().len(), 2);
    let records: Value = app
        .http
        .get(app.url("/api/v1/benefits/redemptions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        records["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["merchant_code"] == "M001" && r["merchant_name"] == "城东便利店")
    );
    // below the minimum: the refusal names it (in fen), for the till to say "满 ¥100.00 可用"
    let threshold_coupon: String = sqlx::query_scalar(
        "SELECT c.code FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
          WHERE t.code = 'DEMO-MJ20' AND c.status = 'unused' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let response = app
        .http
        .post(app.url("/api/v1/benefits/merchant-redemptions"))
        .header("x-requested-with", "quanyi")
        .json(
            &json!({"request_id": "till-low", "coupon_code": threshold_coupon,
                      "store_code": "S001", "order_amount": 5000, "order_ref": "POS-LOW"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let refused: Value = response.json().await.unwrap();
    assert_eq!(refused["code"], "QY-BEN-3005");
    assert_eq!(refused["params"], json!({"threshold": "10000"}));
    // a bank user without the merchant role cannot redeem
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    let (status, _) = planner
        .post_json::<Value>(
            "/api/v1/benefits/merchant-redemptions",
            json!({"request_id": "till-2", "coupon_code": unused, "store_code": "S001",
                   "order_amount": 3500, "order_ref": "POS-2"}),
        )
        .await
        .unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn nonces_are_forgotten_once_their_timestamps_would_be_refused() {
    let bank = bank().await;
    bank.template(template("NONCE", 10, 1)).await;
    bank.claim("n1", "NONCE", "C80000001").await;
    let count = || bank.count("SELECT count(*) FROM api_nonces");
    assert_eq!(count().await, 1);
    let now = bank.clock.now();
    assert_eq!(clients::purge_nonces(&bank.app.pool, now).await.unwrap(), 0);
    bank.clock.advance(Duration::minutes(11));
    assert_eq!(
        clients::purge_nonces(&bank.app.pool, bank.clock.now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(count().await, 0);
}

#[tokio::test]
async fn a_campaign_limit_counts_the_campaigns_claims_and_a_merchant_limit_its_days_redemptions() {
    let bank = bank().await;
    bank.template(NewTemplate {
        limit_per_campaign: Some(1),
        limit_per_merchant_day: Some(2),
        ..template("RULES", 100, 2)
    })
    .await;
    let campaign = Uuid::new_v4();
    let claim = |request: String, campaign: Option<Uuid>| {
        let bank = &bank;
        async move {
            bank.channel
                .post(
                    "/api/channel/v1/claims",
                    &json!({"request_id": request, "template_code": "RULES",
                            "customer_no": "C90000001", "campaign_id": campaign}),
                )
                .await
        }
    };
    let through = join_all((0..5).map(|i| claim(format!("camp-{i}"), Some(campaign)))).await;
    assert_eq!(through.iter().filter(|a| a.0 == StatusCode::OK).count(), 1);
    assert!(
        through
            .iter()
            .filter(|a| a.0 != StatusCode::OK)
            .all(|a| code_of(a) == "QY-BEN-2007")
    );
    // outside the campaign (or through another) the campaign's limit does not count
    assert_eq!(claim("plain-1".into(), None).await.0, StatusCode::OK);
    assert_eq!(
        claim("other-1".into(), Some(Uuid::new_v4())).await.0,
        StatusCode::OK
    );
    let campaign_coupons = bank
        .count(&format!(
            "SELECT count(*) FROM coupons WHERE campaign_id = '{campaign}'"
        ))
        .await;
    assert_eq!(campaign_coupons, 1, "claims carry their campaign");

    // three coupons, a merchant limit of two redemptions a day
    let mut codes = Vec::new();
    for i in 0..3 {
        let answer = bank
            .claim(&format!("m-{i}"), "RULES", &format!("C9100000{i}"))
            .await;
        codes.push(answer.1["coupon_code"].as_str().unwrap().to_owned());
    }
    let first = bank.redeem("r-1", &codes[0], "A", 12800).await;
    assert_eq!(
        bank.redeem("r-2", &codes[1], "A", 12800).await.0,
        StatusCode::OK
    );
    assert_eq!(
        code_of(&bank.redeem("r-3", &codes[2], "B", 12800).await),
        "QY-BEN-3011"
    );
    // a reversal gives the day's allowance back
    let path = format!(
        "/api/channel/v1/redemptions/{}/reversal",
        first.1["redemption_id"].as_str().unwrap()
    );
    assert_eq!(
        bank.merchant.post(&path, &json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        bank.redeem("r-4", &codes[2], "B", 12800).await.0,
        StatusCode::OK
    );
    bank.clock.advance(Duration::days(1));
    assert_eq!(
        bank.redeem("r-5", &codes[0], "A", 12800).await.0,
        StatusCode::OK,
        "a new day, a new allowance"
    );
    bank.balanced().await;
}

/// A PUT with a JSON body as the UI sends it: the status and the body (null when empty).
async fn put(
    browser: &quanyi_tests::harness::Browser,
    path: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let response = browser
        .http
        .put(browser.url(path))
        .header("x-requested-with", "quanyi")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The editable terms of a template of [`template`], as the edit dialog sends them back.
fn terms(t: &NewTemplate) -> Value {
    json!({"item_code": t.item_code, "name": t.name, "face_value": t.face_value, "threshold": t.threshold,
           "discount_permille": t.discount_permille, "claim_from": t.claim_from, "claim_to": t.claim_to,
           "valid_from": t.valid_from, "valid_to": t.valid_to, "valid_days": t.valid_days,
           "limit_per_day": t.limit_per_day, "limit_total": t.limit_total,
           "limit_per_campaign": t.limit_per_campaign, "limit_per_merchant_day": t.limit_per_merchant_day,
           "merchant_codes": t.merchant_codes})
}

impl Bank {
    /// Everything an edit could touch, as text: the same before and after a refusal means it
    /// wrote nothing.
    async fn contents(&self) -> Vec<String> {
        let mut contents = Vec::new();
        for (table, order) in [
            ("coupon_templates", "code"),
            ("template_merchants", "template_id, merchant_id"),
            ("stock_shards", "template_id, shard"),
            ("stock_movements", "id"),
            ("coupons", "code"),
            ("customer_claims", "template_id, customer_no, period"),
            ("merchant_redemptions", "template_id, merchant_id, day"),
            ("audit_log", "id"),
        ] {
            // the benefit area's audit rows (a sign-in writes its own)
            let only = if table == "audit_log" {
                "WHERE action LIKE 'benefit.%'"
            } else {
                ""
            };
            let rows: Option<String> = sqlx::query_scalar(&format!(
                "SELECT string_agg(row_to_json(x)::text, E'\\n' ORDER BY {order}) FROM {table} x {only}"
            ))
            .fetch_one(&self.app.pool)
            .await
            .unwrap();
            contents.push(rows.unwrap_or_default());
        }
        contents
    }
}

#[tokio::test]
async fn a_planner_edits_a_template_audited_with_before_and_after() {
    let bank = bank().await;
    bank.app.login("planner", DEMO_PASSWORD).await.unwrap();
    let t = template("ED1", 10, 2);
    bank.template(t.clone()).await;
    let mut edit = terms(&t);
    edit["name"] = json!("满80减15（改）");
    edit["face_value"] = json!(1500);
    edit["threshold"] = json!(8000);
    edit["valid_days"] = json!(10);
    edit["limit_per_day"] = json!(2);
    edit["limit_total"] = json!(3);
    edit["merchant_codes"] = json!(["T02", "T01"]);
    let (status, _) = put(&bank.app, "/api/v1/benefits/templates/ED1", &edit).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let row: Value = sqlx::query_scalar(
        "SELECT json_build_object('name', name, 'face_value', face_value, 'threshold', threshold,
                'valid_days', valid_days, 'limit_per_day', limit_per_day, 'limit_total', limit_total,
                'revision', revision,
                'remaining', (SELECT sum(remaining) FROM stock_shards s WHERE s.template_id = t.id))
           FROM coupon_templates t WHERE code = 'ED1'",
    )
    .fetch_one(&bank.app.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        json!({"name": "满80减15（改）", "face_value": 1500, "threshold": 8000, "valid_days": 10,
               "limit_per_day": 2, "limit_total": 3, "revision": 1, "remaining": 10}),
        "edited, stock untouched"
    );
    let merchants: Vec<String> = sqlx::query_scalar(
        "SELECT m.code FROM template_merchants tm JOIN merchants m ON m.id = tm.merchant_id
           JOIN coupon_templates t ON t.id = tm.template_id WHERE t.code = 'ED1' ORDER BY m.code",
    )
    .fetch_all(&bank.app.pool)
    .await
    .unwrap();
    assert_eq!(merchants, ["T01", "T02"]);
    let (before, after): (Value, Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'benefit.template.update'
            AND target = 'ED1' AND username = 'planner'",
    )
    .fetch_one(&bank.app.pool)
    .await
    .unwrap();
    assert_eq!(before["name"], "模板ED1");
    assert_eq!(after["name"], "满80减15（改）");
    assert_eq!(
        (&before["face_value"], &after["face_value"]),
        (&json!(2000), &json!(1500))
    );
    assert_eq!(before["limit_total"], Value::Null);
    assert_eq!(after["merchant_codes"], json!(["T01", "T02"]));

    // the edited terms are what the next claim gets
    let claimed = bank.claim("ed1-a", "ED1", "C0000001").await;
    assert_eq!(claimed.0, StatusCode::OK, "{claimed:?}");
    let valid_from = claimed.1["valid_from"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<Utc>>()
        .unwrap();
    let valid_to = claimed.1["valid_to"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<Utc>>()
        .unwrap();
    assert_eq!(valid_to - valid_from, Duration::days(10));
    bank.balanced().await;
}

#[tokio::test]
async fn once_a_coupon_is_claimed_money_terms_and_validity_are_frozen_and_a_refusal_writes_nothing()
{
    let bank = bank().await;
    bank.app.login("planner", DEMO_PASSWORD).await.unwrap();
    let t = template("ED2", 10, 1);
    bank.template(t.clone()).await;
    for (i, customer) in ["C0000001", "C0000001", "C0000002"].iter().enumerate() {
        let claimed = bank.claim(&format!("ed2-{i}"), "ED2", customer).await;
        assert_eq!(claimed.0, StatusCode::OK, "{claimed:?}");
    }
    for (field, value) in [
        ("face_value", json!(1000)),
        ("threshold", json!(20000)),
        ("valid_days", json!(30)),
    ] {
        let before = bank.contents().await;
        let mut edit = terms(&t);
        edit["name"] = json!("想改名");
        edit[field] = value;
        let (status, error) = put(&bank.app, "/api/v1/benefits/templates/ED2", &edit).await;
        assert_eq!(
            (status, code_of(&(status, error))),
            (StatusCode::CONFLICT, "QY-BEN-1013".into()),
            "{field}"
        );
        assert_eq!(bank.contents().await, before, "{field}: nothing written");
    }
    // a fixed window instead of days is a change of validity too
    let mut edit = terms(&t);
    edit["valid_days"] = Value::Null;
    edit["valid_from"] = json!(t.claim_from);
    edit["valid_to"] = json!(t.claim_to);
    let (status, error) = put(&bank.app, "/api/v1/benefits/templates/ED2", &edit).await;
    assert_eq!(code_of(&(status, error)), "QY-BEN-1013");

    // name, windows and limits still change; a limit introduced now counts the earlier claims
    let mut edit = terms(&t);
    edit["name"] = json!("满100减20（第二版）");
    edit["claim_to"] = json!(t.claim_to + Duration::days(3));
    edit["limit_total"] = json!(2);
    let (status, body) = put(&bank.app, "/api/v1/benefits/templates/ED2", &edit).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let refused = bank.claim("ed2-3", "ED2", "C0000001").await;
    assert_eq!(
        code_of(&refused),
        "QY-BEN-2003",
        "two claimed before the limit came"
    );
    let granted = bank.claim("ed2-4", "ED2", "C0000002").await;
    assert_eq!(granted.0, StatusCode::OK, "{granted:?}");
    let refused = bank.claim("ed2-5", "ED2", "C0000002").await;
    assert_eq!(code_of(&refused), "QY-BEN-2003");
    bank.balanced().await;
}

#[tokio::test]
async fn an_edit_is_refused_field_by_field_as_a_creation_is_and_only_with_the_permission() {
    let bank = bank().await;
    bank.app.login("planner", DEMO_PASSWORD).await.unwrap();
    let t = template("ED3", 10, 1);
    bank.template(t.clone()).await;
    let before = bank.contents().await;
    let mut bad = terms(&t);
    bad["face_value"] = json!(30000); // more off than the threshold
    bad["claim_to"] = json!(t.claim_from - Duration::days(1));
    bad["valid_days"] = Value::Null;
    bad["discount_permille"] = json!(850); // not a discount template
    let (status, error) = put(&bank.app, "/api/v1/benefits/templates/ED3", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<(&str, &str)> = error["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("claim_to", "QY-BEN-1008"),
            ("valid_days", "QY-BEN-1008"),
            ("discount_permille", "QY-BEN-1006"),
            ("face_value", "QY-BEN-1007")
        ]
    );
    let mut bad = terms(&t);
    bad["name"] = json!("");
    bad["limit_total"] = json!(0);
    bad["face_value"] = json!(-1);
    let (_, error) = put(&bank.app, "/api/v1/benefits/templates/ED3", &bad).await;
    let fields: Vec<(&str, &str)> = error["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("face_value", "QY-BEN-1007"),
            ("limit_total", "QY-BEN-1006"),
            ("name", "QY-BEN-1006")
        ]
    );
    for (field, value, code) in [
        ("merchant_codes", json!(["T01", "NOPE"]), "QY-BEN-1003"),
        ("item_code", json!("NOPE"), "QY-BEN-1011"),
    ] {
        let mut bad = terms(&t);
        bad[field] = value;
        let answer = put(&bank.app, "/api/v1/benefits/templates/ED3", &bad).await;
        assert_eq!(code_of(&answer), code, "{field}");
    }
    // a mistyped value is named by its field, on an edit and on a creation alike
    let mut bad = terms(&t);
    bad["face_value"] = json!("20 元");
    let (_, error) = put(&bank.app, "/api/v1/benefits/templates/ED3", &bad).await;
    assert_eq!(error["fields"][0]["field"], "face_value", "{error}");
    let mut new = terms(&t);
    for (key, value) in [
        ("code", json!("ED4")),
        ("kind", json!("threshold")),
        ("initial_stock", json!(5)),
        ("shards", json!(1)),
        ("active", json!(true)),
        ("face_value", json!("20 元")),
    ] {
        new[key] = value;
    }
    let (_, error) = bank
        .app
        .post_json::<Value>("/api/v1/benefits/templates", new)
        .await
        .unwrap_err();
    assert_eq!(
        error
            .fields
            .iter()
            .map(|f| (f.field.as_str(), f.code.as_str()))
            .collect::<Vec<_>>(),
        [("face_value", "QY-REQ-0002")]
    );
    let answer = put(&bank.app, "/api/v1/benefits/templates/NOPE", &terms(&t)).await;
    assert_eq!(
        (answer.0, code_of(&answer)),
        (StatusCode::NOT_FOUND, "QY-BEN-1002".into())
    );
    assert_eq!(bank.contents().await, before, "no refusal wrote anything");

    let monitor = bank.app.browser();
    monitor.login("monitor", DEMO_PASSWORD).await.unwrap();
    let mut edit = terms(&t);
    edit["name"] = json!("监控员改名");
    let answer = put(&monitor, "/api/v1/benefits/templates/ED3", &edit).await;
    assert_eq!(
        (answer.0, code_of(&answer)),
        (StatusCode::FORBIDDEN, "QY-AUTH-0003".into())
    );
    assert_eq!(bank.contents().await, before);
}

/// The demo's coupons as stored: (id, code, status).
async fn stored_coupons(app: &TestApp) -> Vec<(Uuid, String, String)> {
    sqlx::query_as("SELECT id, code, status FROM coupons")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// Issue 13: an unused coupon's code redeems at any till, yet a planner saw them whole in
/// 权益发放明细查询 and its export. Now every list masks the code of a coupon that can still be
/// redeemed (first and last four shown); a used one shows whole.
#[tokio::test]
async fn a_planner_sees_unused_coupon_codes_masked_in_the_list_and_the_export() {
    let app = spawn_app().await;
    app.login("planner", DEMO_PASSWORD).await.unwrap();
    let stored = stored_coupons(&app).await;
    let unused: Vec<&String> = stored
        .iter()
        .filter(|(_, _, s)| s == "unused")
        .map(|(_, c, _)| c)
        .collect();
    let used: Vec<&String> = stored
        .iter()
        .filter(|(_, _, s)| s == "used")
        .map(|(_, c, _)| c)
        .collect();
    assert!(!unused.is_empty() && !used.is_empty(), "the demo has both");

    let page: Value = app
        .get_json("/api/v1/benefits/coupons?page_size=100")
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), stored.len());
    for item in items {
        let (_, code, status) = stored
            .iter()
            .find(|(id, _, _)| item["id"] == id.to_string())
            .expect("a stored coupon");
        let shown = item["code"].as_str().unwrap();
        if status == "unused" {
            assert_eq!(item["code_masked"], true);
            assert_eq!(shown, format!("{}********{}", &code[..4], &code[12..]));
        } else {
            assert_eq!(item["code_masked"], false);
            assert_eq!(shown, code, "a {status} coupon shows whole");
        }
    }

    let export = app
        .http
        .get(app.url("/api/v1/benefits/coupons/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    let csv = export.text().await.unwrap();
    for code in &unused {
        assert!(!csv.contains(code.as_str()), "{code} leaked in the export");
        assert!(csv.contains(&format!("{}********{}", &code[..4], &code[12..])));
    }
    for code in &used {
        assert!(csv.contains(code.as_str()), "a used code shows whole");
    }

    // the stock ledger and the redemption records show no redeemable code either
    for path in [
        "/api/v1/benefits/templates/DEMO-MJ20/movements?page_size=100",
        "/api/v1/benefits/redemptions?page_size=100",
    ] {
        let text = app
            .http
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for code in &unused {
            assert!(!text.contains(code.as_str()), "{code} leaked in {path}");
        }
    }
}

/// Reading an unused code whole takes `benefit:coupon:unmask` (no demo role holds it) and each
/// read is an audit row naming the coupon, never the code.
#[tokio::test]
async fn unmasking_a_coupon_code_takes_its_permission_and_is_audited() {
    let app = spawn_app().await;
    let stored = stored_coupons(&app).await;
    let (id, code, _) = stored.iter().find(|(_, _, s)| s == "unused").unwrap();
    let path = format!("/api/v1/benefits/coupons/{id}/code");
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    let refused = planner.http.get(planner.url(&path)).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["code"], "QY-AUTH-0003");

    // a customer-service role with the permission, granted to monitor
    let mut owner = app.owner_connection().await;
    sqlx::query(
        "WITH r AS (INSERT INTO roles (code, name, data_scope) VALUES ('service', '客服', 'all')
                    RETURNING id),
              p AS (INSERT INTO role_permissions (role_id, permission)
                    SELECT id, 'benefit:coupon:unmask' FROM r)
         INSERT INTO user_roles (user_id, role_id)
         SELECT u.id, r.id FROM users u, r WHERE u.username = 'monitor'",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    app.login("monitor", DEMO_PASSWORD).await.unwrap();
    let listed: Value = app
        .get_json("/api/v1/benefits/coupons?page_size=100")
        .await
        .unwrap();
    let row = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.to_string())
        .unwrap();
    assert_eq!(
        row["code_masked"], true,
        "the list masks it for a holder too"
    );
    let shown: Value = app.get_json(&path).await.unwrap();
    assert_eq!(shown["code"], code.as_str());
    let audited: Vec<(Option<String>, Option<String>, Value)> = sqlx::query_as(
        "SELECT username, target, after FROM audit_log WHERE action = 'benefit.coupon.unmask'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audited.len(),
        1,
        "one read, one row; the refusal read nothing"
    );
    assert_eq!(audited[0].0.as_deref(), Some("monitor"));
    assert_eq!(audited[0].1, Some(id.to_string()));
    assert_eq!(audited[0].2["redeemable"], true);
    assert!(
        !audited[0].2.to_string().contains(code.as_str()),
        "the audit row never holds the code"
    );
    let unknown = app
        .http
        .get(app.url(&format!("/api/v1/benefits/coupons/{}/code", Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(unknown["code"], "QY-BEN-3001");
}

async fn merchant_of(app: &TestApp, code: &str) -> Value {
    let merchants: Value = app
        .http
        .get(app.url("/api/v1/benefits/merchants"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    merchants
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("{code} listed"))
}

/// Issue 15: merchants could not be changed after creation. Now the merchant's name and status
/// are edited, its stores added, renamed, disabled and enabled — each audited with before and
/// after, each for holders of benefit:merchant:manage only — and a disabled store leaves the
/// till's choice.
#[tokio::test]
async fn a_merchant_and_its_stores_are_changed_after_creation_audited_and_permission_checked() {
    let app = spawn_app().await;
    app.login("merchant_manager", DEMO_PASSWORD).await.unwrap();
    let audited = |action: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_as::<_, (Option<String>, Option<Value>, Option<Value>)>(
                "SELECT target, before, after FROM audit_log WHERE action = $1 ORDER BY id",
            )
            .bind(action)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };

    let (status, _) = put(
        &app,
        "/api/v1/benefits/merchants/M001",
        &json!({"name": "  城东便利店（新）  ", "status": "active"}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(merchant_of(&app, "M001").await["name"], "城东便利店（新）");
    let rows = audited("benefit.merchant.update").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0.as_deref(), Some("M001"));
    assert_eq!(rows[0].1.as_ref().unwrap()["name"], "城东便利店");
    assert_eq!(rows[0].2.as_ref().unwrap()["name"], "城东便利店（新）");

    // a store added; its code taken a second time is refused with its own code
    let added: Value = app
        .post_json(
            "/api/v1/benefits/merchants/M001/stores",
            json!({"code": "S009", "name": " 北街店 "}),
        )
        .await
        .unwrap();
    assert_eq!(added, json!({"code": "S009", "name": "北街店"}));
    let (status, refused) = app
        .post_json::<Value>(
            "/api/v1/benefits/merchants/M001/stores",
            json!({"code": "S009", "name": "又一家"}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (status, refused.code.as_str()),
        (StatusCode::CONFLICT, "QY-BEN-1020")
    );
    let stores = merchant_of(&app, "M001").await["store_list"].clone();
    assert!(
        stores
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "S009" && s["name"] == "北街店" && s["status"] == "active"),
        "{stores}"
    );

    // renamed, then disabled: the till no longer offers it; enabled again
    let (status, _) = put(
        &app,
        "/api/v1/benefits/merchants/M001/stores/S009",
        &json!({"name": "北街旗舰店", "status": "disabled"}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let rows = audited("benefit.store.update").await;
    assert_eq!(rows[0].0.as_deref(), Some("M001/S009"));
    assert_eq!(
        (rows[0].1.as_ref().unwrap(), rows[0].2.as_ref().unwrap()),
        (
            &json!({"name": "北街店", "status": "active"}),
            &json!({"name": "北街旗舰店", "status": "disabled"})
        )
    );
    assert_eq!(
        audited("benefit.store.create").await.len(),
        1,
        "one store added"
    );
    let clerk = app.browser();
    clerk.login("clerk", DEMO_PASSWORD).await.unwrap();
    let till: Value = clerk
        .http
        .get(clerk.url("/api/v1/benefits/my-stores"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        till.as_array().unwrap().iter().all(|s| s["code"] != "S009"),
        "a disabled store is not offered at the till: {till}"
    );

    // unknown merchant or store; a bad status; a name of spaces: refused, nothing written
    for (path, body, want) in [
        (
            "/api/v1/benefits/merchants/NOPE",
            json!({"name": "x", "status": "active"}),
            (StatusCode::NOT_FOUND, "QY-BEN-1021"),
        ),
        (
            "/api/v1/benefits/merchants/M001/stores/NOPE",
            json!({"name": "x", "status": "active"}),
            (StatusCode::NOT_FOUND, "QY-BEN-1022"),
        ),
        (
            "/api/v1/benefits/merchants/M001",
            json!({"name": "x", "status": "closed"}),
            (StatusCode::UNPROCESSABLE_ENTITY, "QY-REQ-0002"),
        ),
        (
            "/api/v1/benefits/merchants/M001",
            json!({"name": "   ", "status": "active"}),
            (StatusCode::UNPROCESSABLE_ENTITY, "QY-REQ-0002"),
        ),
    ] {
        let (status, body) = put(&app, path, &body).await;
        assert_eq!((status, body["code"].as_str().unwrap()), want, "{path}");
    }
    assert_eq!(audited("benefit.merchant.update").await.len(), 1);
    assert_eq!(audited("benefit.store.update").await.len(), 1);

    // without benefit:merchant:manage: forbidden
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    let (status, _) = put(
        &planner,
        "/api/v1/benefits/merchants/M001",
        &json!({"name": "x", "status": "disabled"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(merchant_of(&app, "M001").await["status"], "active");
}

/// A bank's millions of coupons are not counted on every page: past 10,000 the list says only
/// "more than that", newest first as ever; a narrower search counts exactly again.
#[tokio::test]
async fn the_coupon_list_counts_up_to_ten_thousand_and_says_when_there_are_more() {
    let app = spawn_app().await;
    app.login("planner", DEMO_PASSWORD).await.unwrap();
    let before: Value = app.get_json("/api/v1/benefits/coupons").await.unwrap();
    let demo = before["total"].as_i64().unwrap();
    assert_eq!(before["total_capped"], false);
    // 10,000 more, straight into the table (the claim path is not what is measured here)
    sqlx::query(
        "INSERT INTO coupons (code, template_id, customer_no, client_id, status, claimed_at, valid_from, valid_to)
         SELECT 'ZZ' || lpad(n::text, 14, '0'), (SELECT id FROM coupon_templates ORDER BY code LIMIT 1),
                'C' || lpad(n::text, 9, '0'), (SELECT id FROM api_clients ORDER BY code LIMIT 1),
                'unused', now() + make_interval(secs => n), now(), now() + interval '30 days'
           FROM generate_series(1, 10000) AS n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let page: Value = app
        .get_json("/api/v1/benefits/coupons?page_size=5")
        .await
        .unwrap();
    assert_eq!(
        (page["total"].as_i64(), &page["total_capped"]),
        (Some(10_000), &json!(true))
    );
    let newest: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customer_no"].as_str().unwrap())
        .collect();
    assert_eq!(newest.len(), 5);
    assert!(
        newest[0].ends_with("0000"),
        "the newest first (masked): {newest:?}"
    );
    let used: Value = app
        .get_json("/api/v1/benefits/coupons?status=used")
        .await
        .unwrap();
    assert_eq!(used["total_capped"], false);
    assert!(used["total"].as_i64().unwrap() < demo.max(1) + 1);
}
