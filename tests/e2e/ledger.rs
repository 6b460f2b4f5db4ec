//! The ledger and points (issue 17, docs/ledger.md) against the real PostgreSQL: random
//! sequences of earnings (with mixed expiry dates), holds, captures, voids, reversals, linked
//! transfers, replays, hold expiries and nightly lot expiry runs agree with a model, keep each
//! customer's point lots summing to the available balance, and never break the balance rules; `quanyi audit ledger`'s check
//! finds a hand-edited posting, a hand-edited balance and a deleted transfer; and over HTTP 200
//! concurrent spends never overdraw, one request id sent 50 times at once is one transfer, and a
//! hold that times out is voided once.

use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use quanyi_activities::ledger::{self, NewAccount, Refusal, Request, Spec, Transfer, Unit};
use quanyi_activities::points;
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{Browser, TestApp, spawn_app};
use quanyi_workflows::domain::CustomerNo;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

const CUSTOMERS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    /// An earning made `back` years ago, so its lot expires earlier (mixed expiry dates).
    Earn {
        c: usize,
        amount: i64,
        back: i64,
    },
    Hold {
        c: usize,
        amount: i64,
        secs: i64,
    },
    Capture {
        h: usize,
        part: Option<i64>,
    },
    Void {
        h: usize,
    },
    Reverse {
        t: usize,
    },
    /// Debit `from` to the clearing account and credit `to` from the funding account, linked.
    Linked {
        from: usize,
        to: usize,
        amount: i64,
    },
    Advance {
        secs: i64,
    },
    /// The nightly expiry run at 1 January of 2027 + `year` (lots earned 2 and 1 years back).
    Expire {
        year: i32,
    },
    /// Sends the `i`-th request again, with its body or (`other`) with another.
    Replay {
        i: usize,
        other: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let c = 0..CUSTOMERS;
    prop_oneof![
        3 => (c.clone(), 1..400i64, 0..3i64).prop_map(|(c, amount, back)| Op::Earn { c, amount, back }),
        3 => (c.clone(), 1..300i64, 1..60i64).prop_map(|(c, amount, secs)| Op::Hold { c, amount, secs }),
        2 => (0..12usize, proptest::option::of(1..300i64)).prop_map(|(h, part)| Op::Capture { h, part }),
        1 => (0..12usize).prop_map(|h| Op::Void { h }),
        1 => (0..20usize).prop_map(|t| Op::Reverse { t }),
        1 => (c.clone(), c, 1..300i64).prop_map(|(from, to, amount)| Op::Linked { from, to, amount }),
        1 => (1..40i64).prop_map(|secs| Op::Advance { secs }),
        1 => (0..2i32).prop_map(|year| Op::Expire { year }),
        1 => (0..30usize, any::<bool>()).prop_map(|(i, other)| Op::Replay { i, other }),
    ]
}

/// Where points sit, as the model names the ledger's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Customer(usize),
    Funding,
    Clearing,
}

#[derive(Debug)]
struct HoldModel {
    id: Uuid,
    c: usize,
    amount: i64,
    expires_at: DateTime<Utc>,
    /// `None` while open; else what resolved it.
    resolved: Option<&'static str>,
}

#[derive(Debug)]
struct Posted {
    id: Uuid,
    from: Who,
    to: Who,
    amount: i64,
    reversed: bool,
}

/// What the ledger must answer and hold, worked out without it.
struct Model {
    posted: [i64; CUSTOMERS],
    holds: Vec<HoldModel>,
    transfers: Vec<Posted>,
    now: DateTime<Utc>,
}

impl Model {
    fn held(&self, c: usize) -> i64 {
        self.holds
            .iter()
            .filter(|h| h.c == c && h.resolved.is_none())
            .map(|h| h.amount)
            .sum()
    }

    fn available(&self, c: usize) -> i64 {
        self.posted[c] - self.held(c)
    }

    fn post(&mut self, id: Uuid, from: Who, to: Who, amount: i64) {
        if let Who::Customer(c) = from {
            self.posted[c] -= amount;
        }
        if let Who::Customer(c) = to {
            self.posted[c] += amount;
        }
        self.transfers.push(Posted {
            id,
            from,
            to,
            amount,
            reversed: false,
        });
    }
}

/// One case's world: its own customers (fresh numbers), the shared funding org.
struct World {
    pool: PgPool,
    org: Uuid,
    customers: Vec<CustomerNo>,
    case: String,
    sent: Vec<Sent>,
    /// The (date, customer) pairs an expiry run posted.
    expired: std::collections::HashSet<(chrono::NaiveDate, usize)>,
}

/// A request as sent: key, body, transfers, accounts, and its first answer.
type Sent = (String, Vec<u8>, Vec<Spec>, Vec<NewAccount>, ledger::Outcome);

impl World {
    fn account(&self, who: Who) -> NewAccount {
        match who {
            Who::Customer(c) => points::customer_account(&self.customers[c]),
            Who::Funding => points::funding_account(self.org, 0),
            Who::Clearing => points::clearing_account(0),
        }
    }

    async fn send(
        &mut self,
        specs: Vec<Spec>,
        accounts: Vec<NewAccount>,
        now: DateTime<Utc>,
    ) -> ledger::Outcome {
        let key = format!("{}-{}", self.case, self.sent.len());
        let body = format!("{specs:?}").into_bytes();
        let request = Request {
            key: &key,
            body: &body,
            actor: "proptest",
            accounts: accounts.clone(),
            transfers: specs.clone(),
        };
        let outcome = ledger::execute(&self.pool, &request, now, None)
            .await
            .expect("the database answers");
        self.sent
            .push((key, body, specs, accounts, outcome.clone()));
        outcome
    }
}

fn refused(outcome: &ledger::Outcome) -> Option<Refusal> {
    outcome.as_ref().err().map(|r| r.reason)
}

async fn run_case(world: &mut World, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut model = Model {
        posted: [0; CUSTOMERS],
        holds: Vec::new(),
        transfers: Vec::new(),
        now: Utc::now(),
    };
    for op in ops {
        let now = model.now;
        match op.clone() {
            Op::Earn { c, amount, back } => {
                let now = now - Duration::days(365 * back);
                let (from, to) = (world.account(Who::Funding), world.account(Who::Customer(c)));
                let spec = Spec::Single {
                    debit: from.id(),
                    credit: to.id(),
                    amount,
                    code: "earn",
                    memo: String::new(),
                };
                let outcome = world.send(vec![spec], vec![from, to], now).await;
                let t = outcome.map_err(|r| TestCaseError::fail(format!("earn refused: {r:?}")))?;
                model.post(t[0].id, Who::Funding, Who::Customer(c), amount);
            }
            Op::Hold { c, amount, secs } => {
                let (from, to) = (
                    world.account(Who::Customer(c)),
                    world.account(Who::Clearing),
                );
                let spec = Spec::Pending {
                    debit: from.id(),
                    credit: to.id(),
                    amount,
                    timeout: Duration::seconds(secs),
                    code: "hold",
                    memo: String::new(),
                };
                let ok = model.available(c) >= amount;
                let outcome = world.send(vec![spec], vec![from, to], now).await;
                if ok {
                    let t = outcome.map_err(|r| TestCaseError::fail(format!("hold: {r:?}")))?;
                    model.holds.push(HoldModel {
                        id: t[0].id,
                        c,
                        amount,
                        expires_at: now + Duration::seconds(secs),
                        resolved: None,
                    });
                } else {
                    prop_assert_eq!(refused(&outcome), Some(Refusal::InsufficientBalance));
                }
            }
            Op::Capture { h, part } => {
                let Some(hold) = model.holds.get(h) else {
                    continue;
                };
                let expected = match hold.resolved {
                    Some("expire") => Err(Refusal::PendingExpired),
                    Some(_) => Err(Refusal::PendingResolved),
                    None if hold.expires_at <= now => Err(Refusal::PendingExpired),
                    None if part.is_some_and(|p| p > hold.amount) => Err(Refusal::ExceedsPending),
                    None => Ok(part.unwrap_or(hold.amount)),
                };
                let spec = Spec::Post {
                    pending: hold.id,
                    unit: Unit::Points,
                    amount: part,
                    code: "capture",
                    memo: String::new(),
                };
                let outcome = world.send(vec![spec], Vec::new(), now).await;
                match expected {
                    Ok(taken) => {
                        let t =
                            outcome.map_err(|r| TestCaseError::fail(format!("capture: {r:?}")))?;
                        prop_assert_eq!(t[0].amount, taken);
                        let c = model.holds[h].c;
                        model.holds[h].resolved = Some("post");
                        model.post(t[0].id, Who::Customer(c), Who::Clearing, taken);
                    }
                    Err(reason) => prop_assert_eq!(refused(&outcome), Some(reason)),
                }
            }
            Op::Void { h } => {
                let Some(hold) = model.holds.get(h) else {
                    continue;
                };
                let expected = match hold.resolved {
                    Some("expire") => Some(Refusal::PendingExpired),
                    Some(_) => Some(Refusal::PendingResolved),
                    None => None,
                };
                let spec = Spec::Void {
                    pending: hold.id,
                    unit: Unit::Points,
                    code: "void",
                    memo: String::new(),
                };
                let outcome = world.send(vec![spec], Vec::new(), now).await;
                prop_assert_eq!(refused(&outcome), expected);
                if expected.is_none() {
                    model.holds[h].resolved = Some("void");
                }
            }
            Op::Reverse { t } => {
                let Some(original) = model.transfers.get(t) else {
                    continue;
                };
                let expected = if original.reversed {
                    Some(Refusal::AlreadyReversed)
                } else if let Who::Customer(c) = original.to
                    && model.available(c) < original.amount
                {
                    Some(Refusal::InsufficientBalance)
                } else {
                    None
                };
                let (id, from, to, amount) =
                    (original.id, original.to, original.from, original.amount);
                let spec = Spec::Reverse {
                    transfer: id,
                    unit: Unit::Points,
                    amount: None,
                    code: "reverse",
                    memo: String::new(),
                };
                let outcome = world.send(vec![spec], Vec::new(), now).await;
                prop_assert_eq!(refused(&outcome), expected);
                if let Ok(written) = outcome {
                    prop_assert_eq!(written[0].corrects_id, Some(id));
                    model.transfers[t].reversed = true;
                    model.post(written[0].id, from, to, amount);
                }
            }
            Op::Linked { from, to, amount } => {
                let accounts = vec![
                    world.account(Who::Customer(from)),
                    world.account(Who::Clearing),
                    world.account(Who::Funding),
                    world.account(Who::Customer(to)),
                ];
                let specs = vec![
                    Spec::Single {
                        debit: accounts[0].id(),
                        credit: accounts[1].id(),
                        amount,
                        code: "spend",
                        memo: String::new(),
                    },
                    Spec::Single {
                        debit: accounts[2].id(),
                        credit: accounts[3].id(),
                        amount,
                        code: "earn",
                        memo: String::new(),
                    },
                ];
                let ok = model.available(from) >= amount;
                let outcome = world.send(specs, accounts, now).await;
                if ok {
                    let t = outcome.map_err(|r| TestCaseError::fail(format!("linked: {r:?}")))?;
                    prop_assert_eq!(t.len(), 2);
                    model.post(t[0].id, Who::Customer(from), Who::Clearing, amount);
                    model.post(t[1].id, Who::Funding, Who::Customer(to), amount);
                } else {
                    let r = outcome.expect_err("refused");
                    prop_assert_eq!((r.reason, r.position), (Refusal::InsufficientBalance, 0));
                }
            }
            Op::Advance { secs } => {
                model.now = now + Duration::seconds(secs);
                // small batches, so a sweep takes several
                while ledger::expire_due(&world.pool, model.now, 3)
                    .await
                    .expect("sweep")
                    > 0
                {}
                for hold in &mut model.holds {
                    if hold.resolved.is_none() && hold.expires_at <= model.now {
                        hold.resolved = Some("expire");
                    }
                }
            }
            Op::Expire { year } => {
                let date = chrono::NaiveDate::from_ymd_opt(2027 + year, 1, 1).unwrap();
                // what each customer has due, unless this date's run posted the customer before
                let mut due = [0i64; CUSTOMERS];
                for (c, customer) in world.customers.iter().enumerate() {
                    if !world.expired.insert((date, c)) {
                        continue;
                    }
                    due[c] = sqlx::query_scalar(
                        "SELECT coalesce(sum(remaining), 0)::bigint FROM point_lots
                          WHERE customer_no = $1 AND remaining > 0 AND expires_at <= $2",
                    )
                    .bind(customer.as_str())
                    .bind(points::expiry::cutoff(date))
                    .fetch_one(&world.pool)
                    .await
                    .expect("due lots");
                    if due[c] == 0 {
                        // no transfer, so no key: a later run of the date may still post
                        world.expired.remove(&(date, c));
                    }
                }
                let settings = points::expiry::RunSettings {
                    chunk: 2,
                    pause: std::time::Duration::ZERO,
                };
                let clock = quanyi_activities::clock::ManualClock::new(now);
                points::expiry::expire(&world.pool, date, settings, "test", &clock)
                    .await
                    .expect("the expiry run");
                for (c, points) in due.into_iter().enumerate() {
                    model.posted[c] -= points;
                }
            }
            Op::Replay { i, other } => {
                let Some((key, body, specs, accounts, first)) = world.sent.get(i).cloned() else {
                    continue;
                };
                let body = if other {
                    [&body[..], b"!"].concat()
                } else {
                    body
                };
                let request = Request {
                    key: &key,
                    body: &body,
                    actor: "proptest",
                    accounts,
                    transfers: specs,
                };
                let again = ledger::execute(&world.pool, &request, now, None)
                    .await
                    .expect("the database answers");
                if other {
                    prop_assert_eq!(refused(&again), Some(Refusal::KeyReused));
                } else {
                    prop_assert_eq!(again, first);
                }
            }
        }
        for (c, customer) in world.customers.iter().enumerate() {
            let balance = points::balance(&world.pool, customer)
                .await
                .expect("balance");
            prop_assert_eq!(
                (balance.posted, balance.pending_out, balance.available),
                (model.posted[c], model.held(c), model.available(c)),
                "customer {} after {:?}",
                c,
                op
            );
            prop_assert!(balance.available >= 0);
            let lots: i64 = sqlx::query_scalar(
                "SELECT coalesce(sum(remaining), 0)::bigint FROM point_lots WHERE customer_no = $1",
            )
            .bind(customer.as_str())
            .fetch_one(&world.pool)
            .await
            .expect("lots");
            prop_assert_eq!(
                lots,
                model.available(c),
                "lots of customer {} after {:?}",
                c,
                op
            );
        }
    }
    let (_, violations) = ledger::audit::check(&world.pool).await.expect("audit");
    prop_assert!(violations.is_empty(), "{:?}", violations);
    Ok(())
}

#[test]
fn random_sequences_of_transfers_holds_and_expiries_keep_every_balance_rule() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (pool, org) = runtime.block_on(async {
        let (_, options) = quanyi_tests::harness::test_database().await;
        let pool = quanyi_activities::store::pool(options, 4);
        let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'HO'")
            .fetch_one(&pool)
            .await
            .unwrap();
        (pool, org)
    });
    let cases = std::env::var("LEDGER_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&proptest::collection::vec(op(), 1..40), |ops| {
            let case = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut world = World {
                pool: pool.clone(),
                org,
                customers: (0..CUSTOMERS)
                    .map(|c| CustomerNo::parse(&format!("P{case:05}C{c}")).unwrap())
                    .collect(),
                case: format!("case{case}-{}", Uuid::new_v4().simple()),
                sent: Vec::new(),
                expired: Default::default(),
            };
            runtime.block_on(run_case(&mut world, &ops))
        })
        .unwrap();
}

/// A ledger with an earning, a captured hold, an open hold and a reversal, written directly.
async fn some_ledger(pool: &PgPool) -> (CustomerNo, Vec<Transfer>) {
    let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'HO'")
        .fetch_one(pool)
        .await
        .unwrap();
    let customer = CustomerNo::parse("C20000001").unwrap();
    let now = Utc::now();
    let call = |key: &'static str| points::Call {
        key,
        body: key.as_bytes(),
        actor: "test",
        now,
        audit: None,
    };
    let mut written = Vec::new();
    let earned = points::earn(pool, call("k1"), &customer, org, 1000, "card".into())
        .await
        .unwrap()
        .unwrap();
    written.extend(earned.clone());
    let hold = points::hold(
        pool,
        call("k2"),
        &customer,
        300,
        Duration::hours(1),
        String::new(),
    )
    .await
    .unwrap()
    .unwrap();
    written.extend(hold.clone());
    written.extend(
        points::capture(pool, call("k3"), hold[0].id, Some(200), String::new())
            .await
            .unwrap()
            .unwrap(),
    );
    written.extend(
        points::hold(
            pool,
            call("k4"),
            &customer,
            100,
            Duration::hours(1),
            String::new(),
        )
        .await
        .unwrap()
        .unwrap(),
    );
    let second = points::earn(pool, call("k5"), &customer, org, 50, String::new())
        .await
        .unwrap()
        .unwrap();
    written.extend(
        points::reverse(pool, call("k6"), second[0].id, String::new())
            .await
            .unwrap()
            .unwrap(),
    );
    let (_, violations) = ledger::audit::check(pool).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    let b = points::balance(pool, &customer).await.unwrap();
    assert_eq!((b.posted, b.pending_out, b.available), (800, 100, 700));
    (customer, written)
}

async fn rules(pool: &PgPool) -> Vec<&'static str> {
    let (_, violations) = ledger::audit::check(pool).await.unwrap();
    violations.iter().map(|v| v.rule).collect()
}

#[tokio::test]
async fn the_audit_finds_a_hand_edited_posting() {
    let app = spawn_app().await;
    let (_, written) = some_ledger(&app.pool).await;
    let mut owner = app.owner_connection().await;
    sqlx::query(
        "UPDATE ledger_postings SET amount = amount + 1 WHERE transfer_id = $1 AND side = 'credit'",
    )
    .bind(written[0].id)
    .execute(&mut owner)
    .await
    .unwrap();
    let found = rules(&app.pool).await;
    assert!(found.contains(&"a transfer does not balance"), "{found:?}");
    assert!(
        found.contains(&"the kept balance differs from the sum of its postings"),
        "{found:?}"
    );
}

#[tokio::test]
async fn the_audit_finds_a_hand_edited_balance() {
    let app = spawn_app().await;
    let (customer, _) = some_ledger(&app.pool).await;
    let mut owner = app.owner_connection().await;
    sqlx::query(
        "UPDATE ledger_accounts SET credits_posted = credits_posted + 500 WHERE customer_no = $1",
    )
    .bind(customer.as_str())
    .execute(&mut owner)
    .await
    .unwrap();
    let (_, violations) = ledger::audit::check(&app.pool).await.unwrap();
    let rules: Vec<_> = violations.iter().map(|v| v.rule).collect();
    assert!(
        rules.contains(&"the kept balance differs from the sum of its postings"),
        "{violations:?}"
    );
    assert!(
        violations
            .iter()
            .any(|v| v.subject == format!("points:customer:{}", customer.as_str())),
        "the account is named: {violations:?}"
    );
    assert!(
        rules.contains(&"debits and credits of all accounts differ"),
        "{violations:?}"
    );
}

#[tokio::test]
async fn the_audit_finds_a_deleted_transfer() {
    let app = spawn_app().await;
    let (_, written) = some_ledger(&app.pool).await;
    // the application may not delete a transfer at all
    let denied = sqlx::query("DELETE FROM ledger_transfers WHERE id = $1")
        .bind(written[0].id)
        .execute(&app.pool)
        .await;
    assert!(denied.is_err(), "the app role cannot delete transfers");
    // a DBA can: the reversal of the second earning goes, postings and all
    let reversal = written.last().unwrap().id;
    let mut owner = app.owner_connection().await;
    sqlx::query("DELETE FROM ledger_postings WHERE transfer_id = $1")
        .bind(reversal)
        .execute(&mut owner)
        .await
        .unwrap();
    sqlx::query("DELETE FROM point_lot_uses WHERE transfer_id = $1")
        .bind(reversal)
        .execute(&mut owner)
        .await
        .unwrap();
    sqlx::query("DELETE FROM ledger_transfers WHERE id = $1")
        .bind(reversal)
        .execute(&mut owner)
        .await
        .unwrap();
    let found = rules(&app.pool).await;
    assert!(
        found.contains(&"a transfer of a request is missing (deleted?) or unnamed"),
        "{found:?}"
    );
    assert!(
        found.contains(&"the kept balance differs from the sum of its postings"),
        "{found:?}"
    );
}

async fn planner(app: &TestApp) -> (Browser, Uuid) {
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    let org: Uuid = sqlx::query_scalar("SELECT org_id FROM users WHERE username = 'planner'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (planner, org)
}

async fn post(b: &Browser, path: &str, body: Value) -> (StatusCode, Value) {
    let response = b
        .http
        .post(b.url(path))
        .header("x-requested-with", "quanyi")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn balance(b: &Browser, customer: &str) -> Value {
    b.get_json::<Value>(&format!("/api/v1/points/accounts/{customer}"))
        .await
        .unwrap()
}

/// The mall spends through the ESB: a hold, then its capture, 200 customers' orders at once
/// against one customer's points.
#[tokio::test]
async fn two_hundred_concurrent_spends_never_overdraw_and_leave_exactly_the_rest() {
    let app = spawn_app().await;
    let (planner, org) = planner(&app).await;
    let (status, earned) = post(
        &planner,
        "/api/v1/points/earnings",
        json!({"request_id": "earn-1", "customer_no": "C30000001", "org_id": org,
               "points": 10_000, "memo": "开卡礼"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{earned}");
    assert_eq!(earned["customer_no"], "C3***0001");
    assert_eq!(earned["direction"], "in");
    let mall = crate::esb::register(
        &app,
        "mall",
        &["points.hold", "points.capture"],
        None,
        10_000,
    )
    .await;
    let amounts: Vec<i64> = (0..200).map(|i| 30 + (i * 37) % 91).collect();
    assert!(
        amounts.iter().sum::<i64>() > 10_000,
        "more asked than there is"
    );
    let spends = amounts.iter().enumerate().map(|(i, &points)| {
        let mall = &mall;
        async move {
            let hold = mall
                .call(
                    "points.hold",
                    &format!("HOLD-{i}"),
                    json!({"customer_no": "C30000001", "points": points, "timeout_seconds": 600}),
                )
                .await;
            if hold["sysHead"]["retCode"] != "000000" {
                return (
                    hold["sysHead"]["retCode"].as_str().unwrap().to_owned(),
                    hold["body"]["code"].as_str().unwrap_or_default().to_owned(),
                    0,
                );
            }
            let captured = mall
                .call(
                    "points.capture",
                    &format!("CAPTURE-{i}"),
                    json!({"hold_id": hold["body"]["transfer_id"]}),
                )
                .await;
            assert_eq!(captured["sysHead"]["retCode"], "000000", "{captured}");
            (
                "000000".to_owned(),
                String::new(),
                captured["body"]["points"].as_i64().unwrap(),
            )
        }
    });
    let results = join_all(spends).await;
    let accepted: i64 = results.iter().map(|r| r.2).sum();
    let refused: Vec<_> = results.iter().filter(|r| r.0 != "000000").collect();
    assert!(!refused.is_empty() && accepted > 0);
    assert!(
        refused
            .iter()
            .all(|r| r.0 == "BIZ-C-0003" && r.1 == "QY-LED-0002"),
        "every refusal is not-enough-points: {:?}",
        refused.iter().take(3).collect::<Vec<_>>()
    );
    let b = balance(&planner, "C30000001").await;
    assert_eq!(b["posted"], 10_000 - accepted);
    assert_eq!(b["available"], 10_000 - accepted);
    assert_eq!(b["pending_out"], 0);
    assert!(10_000 - accepted >= 0);
    // refused only when the rest could not pay for it
    let smallest_refused = results
        .iter()
        .zip(&amounts)
        .filter(|(r, _)| r.0 != "000000")
        .map(|(_, a)| *a)
        .min()
        .unwrap();
    assert!(
        10_000 - accepted < smallest_refused,
        "a refusal that would have fit"
    );
    let captures: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_transfers WHERE kind = 'post' AND request_key LIKE 'esb:mall:%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        captures,
        results.iter().filter(|r| r.0 == "000000").count() as i64
    );
    let (_, violations) = ledger::audit::check(&app.pool).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn one_request_id_sent_fifty_times_at_once_is_one_transfer_and_fifty_identical_answers() {
    let app = spawn_app().await;
    let (planner, org) = planner(&app).await;
    let body = json!({"request_id": "dup-1", "customer_no": "C40000001", "org_id": org,
                      "points": 88, "memo": "签到"});
    let sends = (0..50).map(|_| {
        let (planner, body) = (&planner, body.clone());
        async move {
            let response = planner
                .http
                .post(planner.url("/api/v1/points/earnings"))
                .header("x-requested-with", "quanyi")
                .json(&body)
                .send()
                .await
                .unwrap();
            (response.status(), response.bytes().await.unwrap())
        }
    });
    let answers = join_all(sends).await;
    assert!(
        answers.iter().all(|(s, _)| *s == StatusCode::OK),
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|(_, b)| *b == answers[0].1),
        "identical answers"
    );
    let transfers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_transfers WHERE request_key = 'staff:dup-1'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(transfers, 1);
    assert_eq!(balance(&planner, "C40000001").await["posted"], 88);
    // the same id with another body is refused and changes nothing
    let mut other = body.clone();
    other["points"] = json!(89);
    let (status, refusal) = post(&planner, "/api/v1/points/earnings", other).await;
    assert_eq!(
        (status, refusal["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "QY-LED-0001")
    );
    assert_eq!(balance(&planner, "C40000001").await["posted"], 88);
}

#[tokio::test]
async fn a_hold_that_times_out_is_voided_once() {
    let app = spawn_app().await;
    let (planner, org) = planner(&app).await;
    let (status, _) = post(
        &planner,
        "/api/v1/points/earnings",
        json!({"request_id": "e", "customer_no": "C50000001", "org_id": org, "points": 500}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut holds = Vec::new();
    for i in 0..20 {
        let (status, hold) = post(
            &planner,
            "/api/v1/points/holds",
            json!({"request_id": format!("h{i}"), "customer_no": "C50000001", "points": 10,
                   "timeout_seconds": 1}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{hold}");
        holds.push(
            hold["transfer_id"]
                .as_str()
                .unwrap()
                .parse::<Uuid>()
                .unwrap(),
        );
    }
    assert_eq!(balance(&planner, "C50000001").await["available"], 300);
    // the API's sweeper, and four more racing it
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let racers = (0..4).map(|_| {
        let pool = app.pool.clone();
        async move {
            let mut n = 0;
            for _ in 0..5 {
                n += ledger::expire_due(&pool, Utc::now(), 3).await.unwrap();
            }
            n
        }
    });
    join_all(racers).await;
    for _ in 0..50 {
        if balance(&planner, "C50000001").await["pending_out"] == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let b = balance(&planner, "C50000001").await;
    assert_eq!(
        (b["posted"].as_i64(), b["available"].as_i64()),
        (Some(500), Some(500))
    );
    let expiries: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT pending_id, count(*) FROM ledger_transfers WHERE kind = 'expire' GROUP BY pending_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(expiries.len(), 20);
    assert!(expiries.iter().all(|(id, n)| *n == 1 && holds.contains(id)));
    // a capture now is too late, and says so
    let (status, late) = post(
        &planner,
        &format!("/api/v1/points/holds/{}/capture", holds[0]),
        json!({"request_id": "late"}),
    )
    .await;
    assert_eq!(
        (status, late["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "QY-LED-0007")
    );
    let history: Value = planner
        .get_json("/api/v1/points/accounts/C50000001/history?page_size=5")
        .await
        .unwrap();
    assert_eq!(history["total"], 41);
    assert_eq!(history["items"][0]["code"], "expire");
    assert_eq!(history["items"][0]["direction"], "in");
    let (_, violations) = ledger::audit::check(&app.pool).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn staff_reverse_void_and_are_refused_with_their_codes() {
    let app = spawn_app().await;
    let (planner, org) = planner(&app).await;
    let (_, earned) = post(
        &planner,
        "/api/v1/points/earnings",
        json!({"request_id": "r1", "customer_no": "C60000001", "org_id": org, "points": 100}),
    )
    .await;
    let (_, hold) = post(
        &planner,
        "/api/v1/points/holds",
        json!({"request_id": "r2", "customer_no": "C60000001", "points": 60, "timeout_seconds": 60}),
    )
    .await;
    let hold_id = hold["transfer_id"].as_str().unwrap();
    let reversal = format!(
        "/api/v1/points/transfers/{}/reversal",
        earned["transfer_id"].as_str().unwrap()
    );
    let (status, voided) = post(
        &planner,
        &format!("/api/v1/points/holds/{hold_id}/void"),
        json!({"request_id": "r4"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{voided}");
    assert_eq!(voided["hold_id"].as_str(), Some(hold_id));
    let (status, again) = post(
        &planner,
        &format!("/api/v1/points/holds/{hold_id}/void"),
        json!({"request_id": "r5"}),
    )
    .await;
    assert_eq!(
        (status, again["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "QY-LED-0006")
    );
    // 60 of the earning's 100 held again: its reversal takes back the 40 its lot still holds and
    // says what it could not
    post(
        &planner,
        "/api/v1/points/holds",
        json!({"request_id": "r2b", "customer_no": "C60000001", "points": 60, "timeout_seconds": 60}),
    )
    .await;
    let (status, reversed) = post(
        &planner,
        &reversal,
        json!({"request_id": "r6", "memo": "误发"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reversed}");
    assert_eq!(reversed["reverses"], earned["transfer_id"]);
    assert_eq!(reversed["direction"], "out");
    assert_eq!(
        (
            reversed["points"].as_i64(),
            reversed["not_reversed"].as_i64()
        ),
        (Some(40), Some(60))
    );
    assert_eq!(balance(&planner, "C60000001").await["posted"], 60);
    let (status, twice) = post(&planner, &reversal, json!({"request_id": "r7"})).await;
    assert_eq!(
        (status, twice["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "QY-LED-0013")
    );
    // an earning whose lot is spent whole has nothing to take back
    let (_, spent) = post(
        &planner,
        "/api/v1/points/earnings",
        json!({"request_id": "r3", "customer_no": "C60000002", "org_id": org, "points": 10}),
    )
    .await;
    post(
        &planner,
        "/api/v1/points/holds",
        json!({"request_id": "r3h", "customer_no": "C60000002", "points": 10, "timeout_seconds": 60}),
    )
    .await;
    let (status, nothing) = post(
        &planner,
        &format!(
            "/api/v1/points/transfers/{}/reversal",
            spent["transfer_id"].as_str().unwrap()
        ),
        json!({"request_id": "r3r"}),
    )
    .await;
    assert_eq!(
        (status, nothing["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "QY-LED-0018")
    );
    // out of the planner's data scope: another branch's funding account
    let other: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'BR02'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (status, r) = post(
        &planner,
        "/api/v1/points/earnings",
        json!({"request_id": "r8", "customer_no": "C60000001", "org_id": other, "points": 1}),
    )
    .await;
    assert_eq!(
        (status, r["code"].as_str().unwrap()),
        (StatusCode::UNPROCESSABLE_ENTITY, "QY-LED-0016")
    );
    let (status, r) = post(
        &planner,
        "/api/v1/points/earnings",
        json!({"request_id": "bad id", "customer_no": "C6", "org_id": org, "points": 0}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: HashMap<String, String> = r["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().into(),
                f["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(fields["request_id"], "QY-LED-0014");
    assert_eq!(fields["customer_no"], "QY-CAMP-0010");
    assert_eq!(fields["points"], "QY-LED-0009");
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, result FROM audit_log WHERE action LIKE 'points.%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            ("points.transfer.earn", "ok"),
            ("points.transfer.hold", "ok"),
            ("points.transfer.void", "ok"),
            ("points.transfer.void", "refused"),
            ("points.transfer.hold", "ok"),
            ("points.transfer.reverse", "ok"),
            ("points.transfer.reverse", "refused"),
            ("points.transfer.earn", "ok"),
            ("points.transfer.hold", "ok"),
            ("points.transfer.reverse", "refused"),
        ]
        .map(|(a, r)| (a.to_owned(), r.to_owned()))
    );
}

#[tokio::test]
async fn the_bank_earns_holds_captures_and_reads_points_through_the_esb() {
    let app = spawn_app().await;
    let consumer = crate::esb::register(
        &app,
        "core",
        &[
            "points.earn",
            "points.hold",
            "points.capture",
            "points.void",
            "points.reverse",
            "points.balance",
            "points.history",
        ],
        None,
        1000,
    )
    .await;
    let org: Uuid = sqlx::query_scalar("SELECT org_id FROM users WHERE username = 'planner'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let earn = json!({"customer_no": "C70000001", "org_id": org, "points": 1200, "memo": "刷卡"});
    let first = consumer
        .call("points.earn", "CORE-0001", earn.clone())
        .await;
    assert_eq!(first["sysHead"]["retCode"], "000000", "{first}");
    assert_eq!(first["body"]["points"], 1200);
    // the serial number again: the first answer, nothing twice
    let again = consumer.call("points.earn", "CORE-0001", earn).await;
    assert_eq!(again["body"], first["body"]);
    let hold = consumer
        .call(
            "points.hold",
            "CORE-0002",
            json!({"customer_no": "C70000001", "points": 500, "timeout_seconds": 300}),
        )
        .await;
    assert_eq!(hold["sysHead"]["retCode"], "000000", "{hold}");
    let too_much = consumer
        .call(
            "points.hold",
            "CORE-0003",
            json!({"customer_no": "C70000001", "points": 701, "timeout_seconds": 300}),
        )
        .await;
    assert_eq!(too_much["sysHead"]["retCode"], "BIZ-C-0003");
    assert_eq!(too_much["body"]["code"], "QY-LED-0002");
    let captured = consumer
        .call(
            "points.capture",
            "CORE-0004",
            json!({"hold_id": hold["body"]["transfer_id"], "points": 450}),
        )
        .await;
    assert_eq!(captured["body"]["points"], 450, "{captured}");
    let balance = consumer
        .call(
            "points.balance",
            "CORE-0005",
            json!({"customer_no": "C70000001"}),
        )
        .await;
    assert_eq!(balance["body"]["posted"], 750);
    assert_eq!(balance["body"]["available"], 750);
    assert_eq!(balance["body"]["customer_no"], "C7***0001");
    let history = consumer
        .call(
            "points.history",
            "CORE-0006",
            json!({"customer_no": "C70000001", "page_size": 2}),
        )
        .await;
    assert_eq!(history["body"]["total"], 3);
    assert_eq!(history["body"]["items"][0]["code"], "capture");
    let bad = consumer
        .call(
            "points.earn",
            "CORE-0007",
            json!({"customer_no": "C7", "org_id": org, "points": 0}),
        )
        .await;
    assert_eq!(bad["sysHead"]["retCode"], "BIZ-C-0001");
    let actor: String =
        sqlx::query_scalar("SELECT actor FROM ledger_requests WHERE key = 'esb:core:CORE-0001'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(actor, "planner@esb:core");
    let (_, violations) = ledger::audit::check(&app.pool).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}

/// The body after `<!-- example: <service> -->` in docs/esb.md: the next ```json block.
fn esb_example(service: &str) -> String {
    let doc =
        std::fs::read_to_string(quanyi_tests::harness::repo_root().join("docs/esb.md")).unwrap();
    let marker = format!("<!-- example: {service} -->");
    let after = doc
        .split_once(&marker)
        .unwrap_or_else(|| panic!("docs/esb.md has no example for {service}"))
        .1;
    let block = after.split_once("```json\n").unwrap().1;
    block.split_once("```").unwrap().0.to_owned()
}

#[tokio::test]
async fn the_points_examples_of_the_esb_document_work_on_a_live_gateway() {
    let app = spawn_app().await;
    let consumer = crate::esb::register(
        &app,
        "mall",
        &[
            "points.earn",
            "points.hold",
            "points.capture",
            "points.reverse",
            "points.balance",
            "points.history",
        ],
        None,
        1000,
    )
    .await;
    let org: Uuid = sqlx::query_scalar("SELECT org_id FROM users WHERE username = 'planner'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let call = |service: &'static str, seq: &'static str, body: String| {
        let consumer = &consumer;
        async move {
            let answer = consumer
                .call(service, seq, serde_json::from_str(&body).unwrap())
                .await;
            assert_eq!(
                answer["sysHead"]["retCode"], "000000",
                "{service}: {answer}"
            );
            answer["body"].clone()
        }
    };
    let earned = call(
        "points.earn",
        "MALL-1",
        esb_example("points.earn").replace("<org uuid>", &org.to_string()),
    )
    .await;
    assert_eq!(
        (earned["points"].as_i64(), earned["direction"].as_str()),
        (Some(1200), Some("in"))
    );
    let hold = call("points.hold", "MALL-2", esb_example("points.hold")).await;
    assert_eq!(hold["kind"], "pending");
    let captured = call(
        "points.capture",
        "MALL-3",
        esb_example("points.capture").replace("<hold id>", hold["transfer_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        (captured["points"].as_i64(), captured["kind"].as_str()),
        (Some(450), Some("post"))
    );
    let reversed = call(
        "points.reverse",
        "MALL-4",
        esb_example("points.reverse")
            .replace("<capture id>", captured["transfer_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(reversed["reverses"], captured["transfer_id"]);
    let balance = call("points.balance", "MALL-5", esb_example("points.balance")).await;
    assert_eq!(
        (
            balance["posted"].as_i64(),
            balance["available"].as_i64(),
            balance["pending_out"].as_i64()
        ),
        (Some(1200), Some(1200), Some(0))
    );
    let history = call("points.history", "MALL-6", esb_example("points.history")).await;
    assert_eq!(history["total"], 4);
    let codes: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["reverse", "capture", "hold", "earn"]);
}
