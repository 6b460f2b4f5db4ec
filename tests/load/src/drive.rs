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
) {
    let body = plan.claim_body(request_id, &mut rand::rng());
    let started = Instant::now();
    let result = conn.post(&plan.channel, CLAIM_PATH, body).await;
    let micros = started.elapsed().as_micros() as u64;
    let outcome = classify(Op::Claim, &result);
    if let (Ok(answer), Some(pool)) = (&result, keep)
        && (200..300).contains(&answer.status)
        && let Ok(claimed) = serde_json::from_slice::<Claimed>(&answer.body)
    {
        pool.push(claimed.coupon_code);
    }
    tally.record(outcome, micros);
}

async fn redeem(plan: &Plan, conn: &mut Conn, request_id: &str, coupon: &str, tally: &mut Tally) {
    let body = plan.redeem_body(request_id, coupon);
    let started = Instant::now();
    let result = conn.post(&plan.merchant, REDEEM_PATH, body).await;
    let micros = started.elapsed().as_micros() as u64;
    tally.record(classify(Op::Redeem, &result), micros);
}

fn classify(op: Op, result: &Result<crate::http::Answer, String>) -> Outcome {
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
                claim(&plan, &mut conn, &request_id, Some(&pool), &mut tally).await;
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

/// The measured phase.
pub async fn run(
    plan: Arc<Plan>,
    pool: Arc<CouponPool>,
    connections: usize,
    duration: Duration,
) -> PhaseResult {
    let barrier = Arc::new(Barrier::new(connections + 1));
    let connect_failures = Arc::new(AtomicU64::new(0));
    let clock = Arc::new(std::sync::OnceLock::<Instant>::new());
    let percent = plan.scenario.redeem_percent(plan.redeem_percent);
    let keep_claims = plan.scenario == Scenario::Mixed;
    let mut tasks = Vec::with_capacity(connections);
    for task in 0..connections {
        let (plan, pool, barrier, failures, clock) = (
            plan.clone(),
            pool.clone(),
            barrier.clone(),
            connect_failures.clone(),
            clock.clone(),
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
            while Instant::now() < deadline {
                let request_id = format!("{}{task}-{seq}", plan.prefix);
                seq += 1;
                match scenario::op_at(k, percent) {
                    Op::Claim => {
                        let keep = keep_claims.then_some(pool.as_ref());
                        claim(&plan, &mut conn, &request_id, keep, &mut tally).await;
                    }
                    Op::Redeem => match pool.pop() {
                        Some(coupon) => {
                            redeem(&plan, &mut conn, &request_id, &coupon, &mut tally).await
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
                        None => claim(&plan, &mut conn, &request_id, Some(&pool), &mut tally).await,
                    },
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
