//! The load itself: N tasks, each with its own connection, open their connections, wait for one
//! another, then send signed claims and redemptions back to back until the duration is over.

use crate::http::{Conn, Target};
use crate::scenario::{self, Scenario};
use crate::sign::Signer;
use crate::stats::{Op, Outcome, Tally};
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

pub const CLAIM_PATH: &str = "/api/channel/v1/claims";
pub const REDEEM_PATH: &str = "/api/channel/v1/redemptions";

/// `--claims-file`: the coupon code of every claim answered 200.
pub static CLAIMS: std::sync::OnceLock<crate::stats::Sink> = std::sync::OnceLock::new();

/// With `--failover`: how long a claim answered with a failover answer is sent again before it
/// counts as unanswered, and how long between two attempts.
const FAILOVER_PATIENCE: Duration = Duration::from_secs(60);
const FAILOVER_RETRY: Duration = Duration::from_millis(100);

/// What every task shares.
pub struct Plan {
    pub target: Target,
    pub channel: Signer,
    pub merchant: Signer,
    pub scenario: Scenario,
    pub redeem_percent: u8,
    /// Templates claims draw from, uniformly (one for claim-hot).
    pub templates: Vec<String>,
    /// Customers are `<prefix-without-dash>C<n>`, n below this.
    pub customers: u64,
    pub store_code: String,
    pub order_amount: i64,
    /// Unique per run; request ids and customer numbers start with it.
    pub prefix: String,
    /// `--failover`: a claim answered with no answer or 502/503/504 is sent again with the same
    /// request id until it gets another answer.
    pub failover: bool,
}

/// Coupons waiting to be redeemed, each handed out once.
#[derive(Default)]
pub struct CouponPool {
    coupons: Mutex<Vec<String>>,
    /// When a redeeming task first found the pool empty, in ms since the clock started.
    pub exhausted_after_ms: AtomicU64,
}

impl CouponPool {
    pub fn push(&self, coupon: String) {
        self.coupons.lock().expect("pool lock").push(coupon);
    }
    pub fn pop(&self) -> Option<String> {
        self.coupons.lock().expect("pool lock").pop()
    }
    pub fn len(&self) -> usize {
        self.coupons.lock().expect("pool lock").len()
    }
}

/// The result of one phase.
pub struct PhaseResult {
    pub tally: Tally,
    pub elapsed: Duration,
    /// Tasks whose first connection failed.
    pub connect_failures: u64,
}

#[derive(serde::Deserialize)]
struct Refusal {
    code: Option<String>,
}

#[derive(serde::Deserialize)]
struct Claimed {
    coupon_code: String,
}

impl Plan {
    fn customer(&self, rng: &mut impl Rng) -> String {
        let n = rng.random_range(0..self.customers.max(1));
        format!("{}C{n:07}", self.prefix.trim_end_matches('-'))
    }

    fn claim_body(&self, request_id: &str, rng: &mut impl Rng) -> String {
        let template = &self.templates[rng.random_range(0..self.templates.len())];
        let customer = self.customer(rng);
        format!(
            r#"{{"request_id":"{request_id}","template_code":"{template}","customer_no":"{customer}","campaign_id":null}}"#
        )
    }

    fn redeem_body(&self, request_id: &str, coupon: &str) -> String {
        format!(
            r#"{{"request_id":"{request_id}","coupon_code":"{coupon}","store_code":"{}","order_amount":{},"order_ref":"{request_id}"}}"#,
            self.store_code, self.order_amount
        )
    }
}

/// One request, timed and classified. A successful claim's coupon goes to `keep` when given.
async fn claim(
    plan: &Plan,
    conn: &mut Conn,
    request_id: &str,
    keep: Option<&CouponPool>,
    tally: &mut Tally,
    due: Instant,
) {
    let body = plan.claim_body(request_id, &mut rand::rng());
    let first = Instant::now();
    loop {
        let result = conn.post(&plan.channel, CLAIM_PATH, body.clone()).await;
        let micros = crate::pace::since(due);
        let outcome = classify(Op::Claim, &result);
        // During a failover a channel sends the claim again with the same request id (and a
        // fresh nonce): the API answers it with the first answer, or does it now if it never did.
        if plan.failover && outcome.is_unavailable() && first.elapsed() < FAILOVER_PATIENCE {
            tally.record(outcome, micros);
            tokio::time::sleep(FAILOVER_RETRY).await;
            continue;
        }
        back_off(&result).await;
        if let Ok(answer) = &result
            && (200..300).contains(&answer.status)
            && let Ok(claimed) = serde_json::from_slice::<Claimed>(&answer.body)
        {
            if let Some(sink) = CLAIMS.get() {
                sink.line(format_args!("{}", claimed.coupon_code));
            }
            if let Some(pool) = keep {
                pool.push(claimed.coupon_code);
            }
        }
        tally.record(outcome, micros);
        return;
    }
}

async fn redeem(
    plan: &Plan,
    conn: &mut Conn,
    request_id: &str,
    coupon: &str,
    tally: &mut Tally,
    due: Instant,
) {
    let body = plan.redeem_body(request_id, coupon);
    let result = conn.post(&plan.merchant, REDEEM_PATH, body).await;
    let micros = crate::pace::since(due);
    tally.record(classify(Op::Redeem, &result), micros);
    back_off(&result).await;
}

/// After a transport failure, a pause before the next attempt: a refused connection must not
/// turn the task into a busy loop that counts millions of failures.
async fn back_off(result: &Result<crate::http::Answer, String>) {
    if result.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn classify(op: Op, result: &Result<crate::http::Answer, String>) -> Outcome {
    match result {
        Ok(answer) => Outcome::Answer {
            op,
            status: answer.status,
            code: if (200..300).contains(&answer.status) {
                String::new()
            } else {
                serde_json::from_slice::<Refusal>(&answer.body)
                    .ok()
                    .and_then(|r| r.code)
                    .unwrap_or_default()
            },
        },
        Err(error) => Outcome::Transport {
            op,
            error: error.clone(),
        },
    }
}

/// Claims `count` coupons into `pool` over `connections` connections, as fast as it can. Not
/// part of the measurement; its tally is reported as the setup's.
pub async fn fill_pool(
    plan: Arc<Plan>,
    pool: Arc<CouponPool>,
    connections: usize,
    count: u64,
) -> PhaseResult {
    let started = Instant::now();
    let issued = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for task in 0..connections {
        let (plan, pool, issued) = (plan.clone(), pool.clone(), issued.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(plan.target.clone());
            let mut tally = Tally::default();
            loop {
                let k = issued.fetch_add(1, Ordering::Relaxed);
                if k >= count {
                    break;
                }
                let request_id = format!("{}setup-{task}-{k}", plan.prefix);
                claim(
                    &plan,
                    &mut conn,
                    &request_id,
                    Some(&pool),
                    &mut tally,
                    Instant::now(),
                )
                .await;
            }
            tally.reconnects = conn.reconnects();
            tally
        }));
    }
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.expect("a setup task does not panic"));
    }
    PhaseResult {
        tally,
        elapsed: started.elapsed(),
        connect_failures: 0,
    }
}

/// The measured phase, closed loop or at a constant rate (`pace`).
pub async fn run(
    plan: Arc<Plan>,
    pool: Arc<CouponPool>,
    connections: usize,
    duration: Duration,
    pace: crate::pace::Pace,
) -> PhaseResult {
    let barrier = Arc::new(Barrier::new(connections + 1));
    let connect_failures = Arc::new(AtomicU64::new(0));
    let clock = Arc::new(std::sync::OnceLock::<Instant>::new());
    let percent = plan.scenario.redeem_percent(plan.redeem_percent);
    let keep_claims = plan.scenario == Scenario::Mixed;
    let mut tasks = Vec::with_capacity(connections);
    for task in 0..connections {
        let (plan, pool, barrier, failures, clock, pace) = (
            plan.clone(),
            pool.clone(),
            barrier.clone(),
            connect_failures.clone(),
            clock.clone(),
            pace.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(plan.target.clone());
            if conn.connect().await.is_err() {
                failures.fetch_add(1, Ordering::Relaxed);
            }
            barrier.wait().await;
            let start = *clock.get_or_init(Instant::now);
            let deadline = start + duration;
            let mut tally = Tally::default();
            // Offsetting each connection's sequence spreads the redemptions in time.
            let mut k = task as u64;
            let mut seq = 0u64;
            while let Some(due) = pace.next(start, deadline).await {
                let request_id = format!("{}{task}-{seq}", plan.prefix);
                seq += 1;
                match scenario::op_at(k, percent) {
                    Op::Redeem => match pool.pop() {
                        Some(coupon) => {
                            redeem(&plan, &mut conn, &request_id, &coupon, &mut tally, due).await
                        }
                        None if plan.scenario == Scenario::Redeem => {
                            let _ = pool.exhausted_after_ms.compare_exchange(
                                0,
                                start.elapsed().as_millis().max(1) as u64,
                                Ordering::Relaxed,
                                Ordering::Relaxed,
                            );
                            break;
                        }
                        // mixed: nothing to redeem yet; claim instead
                        None => {
                            claim(&plan, &mut conn, &request_id, Some(&pool), &mut tally, due).await
                        }
                    },
                    // op_at answers Claim or Redeem
                    _ => {
                        let keep = keep_claims.then_some(pool.as_ref());
                        claim(&plan, &mut conn, &request_id, keep, &mut tally, due).await;
                    }
                }
                k += 1;
            }
            tally.reconnects = conn.reconnects();
            tally
        }));
    }
    barrier.wait().await;
    let start = *clock.get_or_init(Instant::now);
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.expect("a load task does not panic"));
    }
    PhaseResult {
        tally,
        elapsed: start.elapsed(),
        connect_failures: connect_failures.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    //! The driver against a stand-in for the channel API that checks every signature and nonce,
    //! sells a small stock and lets each coupon be redeemed once.
    use super::*;
    use crate::pace::Pace;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use std::collections::HashSet;

    const SECRET: &[u8] = b"secret-secret-secret-secret-0123";

    #[derive(Default)]
    struct Fake {
        /// Answers 503 to the first attempt of every request id ending in an even digit.
        flaky: bool,
        failed_once: Mutex<HashSet<String>>,
        stock: Mutex<i64>,
        issued: AtomicU64,
        nonces: Mutex<HashSet<String>>,
        request_ids: Mutex<HashSet<String>>,
        used: Mutex<HashSet<String>>,
    }

    fn verify(fake: &Fake, headers: &HeaderMap, path: &str, body: &str) -> Result<(), String> {
        let h = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        let ts: u64 = h("x-qy-timestamp").parse().map_err(|_| "timestamp")?;
        let expected = Signer::new(h("x-qy-client"), SECRET).signature(
            ts,
            h("x-qy-nonce"),
            "POST",
            path,
            body.as_bytes(),
        );
        if expected != h("x-qy-signature") {
            return Err("QY-CLI-0002".into());
        }
        if !fake
            .nonces
            .lock()
            .unwrap()
            .insert(h("x-qy-nonce").to_owned())
        {
            return Err("QY-CLI-0004".into());
        }
        let v: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let id = v["request_id"].as_str().unwrap_or_default().to_owned();
        if !fake.request_ids.lock().unwrap().insert(id) {
            return Err("duplicate request id".into());
        }
        Ok(())
    }

    fn refuse(status: StatusCode, code: &str) -> (StatusCode, String) {
        (
            status,
            format!(r#"{{"code":"{code}","message":"","request_id":"x"}}"#),
        )
    }

    async fn claims(
        State(fake): State<Arc<Fake>>,
        headers: HeaderMap,
        body: String,
    ) -> (StatusCode, String) {
        if fake.flaky {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let id = v["request_id"].as_str().unwrap().to_owned();
            let even = id.ends_with(['0', '2', '4', '6', '8']);
            if even && fake.failed_once.lock().unwrap().insert(id) {
                return refuse(StatusCode::SERVICE_UNAVAILABLE, "QY-SYS-0002");
            }
        }
        if let Err(code) = verify(&fake, &headers, CLAIM_PATH, &body) {
            return refuse(StatusCode::UNAUTHORIZED, &code);
        }
        {
            let mut stock = fake.stock.lock().unwrap();
            if *stock < 1 {
                return refuse(StatusCode::CONFLICT, crate::stats::SOLD_OUT);
            }
            *stock -= 1;
        }
        let n = fake.issued.fetch_add(1, Ordering::Relaxed);
        (
            StatusCode::OK,
            format!(r#"{{"coupon_code":"C{n:015}","status":"unused"}}"#),
        )
    }

    async fn redemptions(
        State(fake): State<Arc<Fake>>,
        headers: HeaderMap,
        body: String,
    ) -> (StatusCode, String) {
        if let Err(code) = verify(&fake, &headers, REDEEM_PATH, &body) {
            return refuse(StatusCode::UNAUTHORIZED, &code);
        }
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let coupon = v["coupon_code"].as_str().unwrap().to_owned();
        if !fake.used.lock().unwrap().insert(coupon) {
            return refuse(StatusCode::CONFLICT, "QY-BEN-3002");
        }
        (
            StatusCode::OK,
            r#"{"redemption_id":"r","discount":2000}"#.into(),
        )
    }

    async fn serve(stock: i64) -> (Target, Arc<Fake>) {
        serve_fake(Fake {
            stock: Mutex::new(stock),
            ..Default::default()
        })
        .await
    }

    async fn serve_fake(fake: Fake) -> (Target, Arc<Fake>) {
        let fake = Arc::new(fake);
        let app = axum::Router::new()
            .route(CLAIM_PATH, axum::routing::post(claims))
            .route(REDEEM_PATH, axum::routing::post(redemptions))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (
            Target::parse(&format!("http://{addr}")).await.unwrap(),
            fake,
        )
    }

    fn plan(target: Target, scenario: Scenario) -> Arc<Plan> {
        Arc::new(Plan {
            target,
            channel: Signer::new("load-channel", SECRET),
            merchant: Signer::new("load-merchant", SECRET),
            scenario,
            redeem_percent: 20,
            templates: vec!["T1".into(), "T2".into()],
            customers: 1000,
            store_code: "S1".into(),
            order_amount: 12800,
            prefix: "L1-".into(),
            failover: false,
        })
    }

    #[tokio::test]
    async fn a_hot_template_sells_exactly_its_stock_and_the_rest_is_sold_out() {
        let (target, fake) = serve(300).await;
        let plan = plan(target, Scenario::ClaimHot);
        let result = run(
            plan,
            Arc::default(),
            20,
            Duration::from_millis(500),
            Pace::Closed,
        )
        .await;
        let t = &result.tally;
        assert_eq!(t.count(crate::stats::Class::Error), 0, "{:?}", t.outcomes);
        assert_eq!(t.successes(Op::Claim), 300);
        assert!(t.count(crate::stats::Class::Business) > 0);
        assert_eq!(result.connect_failures, 0);
        assert_eq!(t.reconnects, 0, "keep-alive holds");
        assert_eq!(fake.nonces.lock().unwrap().len() as u64, t.requests());
    }

    #[tokio::test]
    async fn a_redeem_run_redeems_each_pooled_coupon_once_then_stops() {
        let (target, fake) = serve(1_000_000).await;
        let plan = plan(target, Scenario::Redeem);
        let pool = Arc::new(CouponPool::default());
        let setup = fill_pool(plan.clone(), pool.clone(), 8, 200).await;
        assert_eq!(setup.tally.successes(Op::Claim), 200);
        assert_eq!(pool.len(), 200);
        let result = run(
            plan,
            pool.clone(),
            10,
            Duration::from_secs(10),
            Pace::Closed,
        )
        .await;
        assert_eq!(result.tally.successes(Op::Redeem), 200);
        assert_eq!(result.tally.requests(), 200, "{:?}", result.tally.outcomes);
        assert!(pool.exhausted_after_ms.load(Ordering::Relaxed) > 0);
        assert!(result.elapsed < Duration::from_secs(10));
        assert_eq!(fake.used.lock().unwrap().len(), 200);
    }

    #[tokio::test]
    async fn a_mixed_run_redeems_about_a_fifth_and_only_claimed_coupons() {
        let (target, fake) = serve(1_000_000).await;
        let plan = plan(target, Scenario::Mixed);
        let pool = Arc::new(CouponPool::default());
        fill_pool(plan.clone(), pool.clone(), 4, 50).await;
        let result = run(plan, pool, 10, Duration::from_millis(500), Pace::Closed).await;
        let t = &result.tally;
        assert_eq!(t.count(crate::stats::Class::Error), 0, "{:?}", t.outcomes);
        let redeemed = t.successes(Op::Redeem) as f64;
        let share = redeemed / t.requests() as f64;
        assert!((0.15..=0.21).contains(&share), "{share}");
        assert_eq!(fake.used.lock().unwrap().len() as f64, redeemed);
    }

    #[tokio::test]
    async fn with_failover_a_claim_answered_503_is_sent_again_with_its_request_id_until_answered() {
        let (target, fake) = serve_fake(Fake {
            flaky: true,
            stock: Mutex::new(1_000_000),
            ..Default::default()
        })
        .await;
        let mut failover = Arc::into_inner(plan(target.clone(), Scenario::ClaimSpread)).unwrap();
        failover.failover = true;
        let result = run(
            Arc::new(failover),
            Arc::default(),
            10,
            Duration::from_millis(400),
            Pace::Closed,
        )
        .await;
        let t = &result.tally;
        let unavailable = Outcome::Answer {
            op: Op::Claim,
            status: 503,
            code: "QY-SYS-0002".into(),
        };
        let retried = t.outcomes.get(&unavailable).copied().unwrap_or(0);
        assert!(retried > 0, "{:?}", t.outcomes);
        // every request id ends with one coupon: the 503 was followed by a 200 for the same id
        let issued = fake.issued.load(Ordering::Relaxed);
        assert_eq!(t.successes(Op::Claim), issued);
        assert_eq!(fake.request_ids.lock().unwrap().len() as u64, issued);
        assert_eq!(fake.failed_once.lock().unwrap().len() as u64, retried);
        assert_eq!(t.requests(), issued + retried);

        // without --failover a 503 is the claim's answer, and an error
        let (target, fake) = serve_fake(Fake {
            flaky: true,
            stock: Mutex::new(1_000_000),
            ..Default::default()
        })
        .await;
        let result = run(
            plan(target, Scenario::ClaimSpread),
            Arc::default(),
            10,
            Duration::from_millis(200),
            Pace::Closed,
        )
        .await;
        let t = &result.tally;
        let refused = t.outcomes.get(&unavailable).copied().unwrap_or(0);
        assert!(refused > 0);
        assert_eq!(t.successes(Op::Claim) + refused, t.requests());
        assert_eq!(fake.issued.load(Ordering::Relaxed), t.successes(Op::Claim));
    }
}
