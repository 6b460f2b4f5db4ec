//! Point lots (BEN-7, docs/ledger.md) against the real PostgreSQL: spending takes the earliest
//! expiry first and says so lot by lot; a void gives the lots back, a partial capture the rest;
//! a reversal of an earning takes back what its lot holds and says what it could not; the audit
//! finds a hand-edited lot; the nightly expiry run over 10,000 lots, SIGKILLed half way and run
//! again, posts each customer once and leaves the ledger audit clean; the reminders are queued
//! once per customer and lot. And, ignored in CI, the run's benchmark over 1,000,000 customers
//! and 5,000,000 lots.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use quanyi_activities::clock::SystemClock;
use quanyi_activities::ledger::{self, Refusal};
use quanyi_activities::points::{self, expiry};
use quanyi_tests::harness::spawn_app;
use quanyi_workflows::domain::CustomerNo;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

async fn head_office(pool: &PgPool) -> Uuid {
    sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'HO'")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 4, 0, 0).unwrap()
}

fn call(key: &str, now: DateTime<Utc>) -> points::Call<'_> {
    points::Call {
        key,
        body: key.as_bytes(),
        actor: "test",
        now,
        audit: None,
    }
}

/// The customer's lots with points left, earliest expiry first: (expires at, remaining).
async fn lots(pool: &PgPool, customer: &CustomerNo) -> Vec<(DateTime<Utc>, i64)> {
    sqlx::query_as(
        "SELECT expires_at, remaining FROM point_lots WHERE customer_no = $1 AND remaining > 0
          ORDER BY expires_at",
    )
    .bind(customer.as_str())
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn audit_clean(pool: &PgPool) {
    let (_, violations) = ledger::audit::check(pool).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}

/// The end of the year after next, Beijing time: 00:00 on 1 January three years on.
fn rule(earned: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Datelike;
    expiry::cutoff(NaiveDate::from_ymd_opt(expiry::today(earned).year() + 3, 1, 1).unwrap())
}

#[tokio::test]
async fn spending_takes_the_earliest_expiry_first_and_a_void_gives_the_lots_back() {
    let app = spawn_app().await;
    let pool = &app.pool;
    let org = head_office(pool).await;
    let c = CustomerNo::parse("C30000001").unwrap();
    // three lots: earned in 2026, 2024 and 2025, so expiring 2029, 2027, 2028
    for (key, when, points) in [
        ("e1", at(2026, 3, 1), 100),
        ("e2", at(2024, 5, 1), 50),
        ("e3", at(2025, 7, 1), 70),
    ] {
        points::earn(pool, call(key, when), &c, org, points, String::new())
            .await
            .unwrap()
            .unwrap();
    }
    let (y27, y28, y29) = (
        rule(at(2024, 5, 1)),
        rule(at(2025, 7, 1)),
        rule(at(2026, 3, 1)),
    );
    assert_eq!(
        y27,
        expiry::cutoff(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())
    );
    assert_eq!(lots(pool, &c).await, vec![(y27, 50), (y28, 70), (y29, 100)]);

    // a hold of 80 takes the 2027 lot whole and 30 of the 2028 one, each a use of the hold
    let now = Utc::now();
    let hold = points::hold(
        pool,
        call("h1", now),
        &c,
        80,
        Duration::hours(1),
        String::new(),
    )
    .await
    .unwrap()
    .unwrap()[0]
        .id;
    assert_eq!(lots(pool, &c).await, vec![(y28, 40), (y29, 100)]);
    let uses: Vec<(i64,)> =
        sqlx::query_as("SELECT points FROM point_lot_uses WHERE transfer_id = $1 ORDER BY points")
            .bind(hold)
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(uses, vec![(30,), (50,)]);
    audit_clean(pool).await;

    // its void gives both back
    points::void(pool, call("v1", now), hold, String::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lots(pool, &c).await, vec![(y27, 50), (y28, 70), (y29, 100)]);
    audit_clean(pool).await;

    // a hold of 130 captured for 60: the capture spends the earliest 60, the rest goes back
    let hold = points::hold(
        pool,
        call("h2", now),
        &c,
        130,
        Duration::hours(1),
        String::new(),
    )
    .await
    .unwrap()
    .unwrap()[0]
        .id;
    assert_eq!(lots(pool, &c).await, vec![(y29, 90)]);
    let capture = points::capture(pool, call("c2", now), hold, Some(60), String::new())
        .await
        .unwrap()
        .unwrap()[0]
        .id;
    assert_eq!(lots(pool, &c).await, vec![(y28, 60), (y29, 100)]);
    audit_clean(pool).await;

    // a reversal of the capture (a refund) gives its 60 back to the lot they came from
    points::reverse(pool, call("r2", now), capture, String::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lots(pool, &c).await, vec![(y27, 50), (y28, 70), (y29, 100)]);
    // a hold that times out gives its lots back too (the ledger's sweeper)
    // (an hour, and the sweep called as if later: the app's own sweeper keeps to the real time)
    points::hold(
        pool,
        call("h3", now),
        &c,
        55,
        Duration::hours(1),
        String::new(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(lots(pool, &c).await, vec![(y28, 65), (y29, 100)]);
    assert_eq!(
        ledger::expire_due(pool, now + Duration::hours(2), 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(lots(pool, &c).await, vec![(y27, 50), (y28, 70), (y29, 100)]);
    let b = points::balance(pool, &c).await.unwrap();
    assert_eq!(b.available, 220);
    audit_clean(pool).await;
}

#[tokio::test]
async fn a_reversal_of_an_earning_takes_back_what_its_lot_holds_and_says_what_it_could_not() {
    let app = spawn_app().await;
    let pool = &app.pool;
    let org = head_office(pool).await;
    let c = CustomerNo::parse("C30000002").unwrap();
    let now = Utc::now();
    let early = points::earn(
        pool,
        call("e1", at(2024, 5, 1)),
        &c,
        org,
        100,
        String::new(),
    )
    .await
    .unwrap()
    .unwrap()[0]
        .id;
    let late = points::earn(pool, call("e2", now), &c, org, 100, String::new())
        .await
        .unwrap()
        .unwrap()[0]
        .id;
    // 60 spent: from the earlier lot
    let hold = points::hold(
        pool,
        call("h1", now),
        &c,
        60,
        Duration::hours(1),
        String::new(),
    )
    .await
    .unwrap()
    .unwrap()[0]
        .id;
    points::capture(pool, call("c1", now), hold, None, String::new())
        .await
        .unwrap()
        .unwrap();
    // the early earning's reversal takes back the 40 its lot holds, not the later lot's points
    let reversal = points::reverse(pool, call("r1", now), early, String::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (reversal[0].amount, reversal[0].corrects_id),
        (40, Some(early))
    );
    let b = points::balance(pool, &c).await.unwrap();
    assert_eq!(b.available, 100, "the later lot is whole");
    assert_eq!(lots(pool, &c).await, vec![(rule(now), 100)]);
    // the same key answers the same; a second reversal is refused
    let again = points::reverse(pool, call("r1", now), early, String::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, reversal);
    let twice = points::reverse(pool, call("r1b", now), early, String::new())
        .await
        .unwrap();
    assert_eq!(twice.unwrap_err().reason, Refusal::AlreadyReversed);
    // an earning spent whole has nothing to take back
    let hold = points::hold(
        pool,
        call("h2", now),
        &c,
        100,
        Duration::hours(1),
        String::new(),
    )
    .await
    .unwrap()
    .unwrap()[0]
        .id;
    points::capture(pool, call("c2", now), hold, None, String::new())
        .await
        .unwrap()
        .unwrap();
    let nothing = points::reverse(pool, call("r2", now), late, String::new())
        .await
        .unwrap();
    assert_eq!(nothing.unwrap_err().reason, Refusal::NothingToReverse);
    audit_clean(pool).await;
}

#[tokio::test]
async fn the_audit_finds_a_hand_edited_lot() {
    let app = spawn_app().await;
    let pool = &app.pool;
    let org = head_office(pool).await;
    let c = CustomerNo::parse("C30000003").unwrap();
    let now = Utc::now();
    points::earn(pool, call("e1", now), &c, org, 100, String::new())
        .await
        .unwrap()
        .unwrap();
    points::hold(
        pool,
        call("h1", now),
        &c,
        30,
        Duration::hours(1),
        String::new(),
    )
    .await
    .unwrap()
    .unwrap();
    audit_clean(pool).await;
    // a remainder edited by hand: the lot no longer equals its points less its uses, and the
    // customer's lots no longer sum to the balance
    sqlx::query("UPDATE point_lots SET remaining = remaining + 5 WHERE customer_no = $1")
        .bind(c.as_str())
        .execute(pool)
        .await
        .unwrap();
    let (_, violations) = ledger::audit::check(pool).await.unwrap();
    let rules: Vec<_> = violations.iter().map(|v| v.rule).collect();
    assert!(
        rules.contains(&"a lot's remainder differs from its points less its uses"),
        "{violations:?}"
    );
    assert!(
        rules.contains(&"a customer's point lots do not sum to the available balance"),
        "{violations:?}"
    );
    assert!(
        violations
            .iter()
            .any(|v| v.subject == format!("points:customer:{}", c.as_str())
                && v.detail == "available 70, lots hold 75"),
        "{violations:?}"
    );
}

/// `customers` customer accounts with `per` earned lots each, written straight into the ledger
/// as the earning path writes them (requests, transfers, postings, lots, balances) — fast enough
/// for millions. Lot `k` of a customer expires at `dates[k % dates.len()]` (a cutoff) and holds
/// `k % 97 + 1` points. Answers the customers.
async fn seed_lots(
    pool: &PgPool,
    prefix: &str,
    customers: usize,
    per: i32,
    dates: &[DateTime<Utc>],
) -> Vec<CustomerNo> {
    let org = head_office(pool).await;
    let funding = points::funding_account(org, 0);
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO ledger_accounts (id, code, unit, normal_side, no_negative, kind, org_id,
                                      created_at)
         VALUES ($1, $2, 'points', 'debit', false, 'funding', $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(funding.id())
    .bind(&funding.code)
    .bind(org)
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    let all: Vec<CustomerNo> = (0..customers)
        .map(|i| CustomerNo::parse(&format!("{prefix}{i:08}")).unwrap())
        .collect();
    for part in all.chunks(50_000) {
        let ids: Vec<Uuid> = part
            .iter()
            .map(|c| points::customer_account(c).id())
            .collect();
        let numbers: Vec<&str> = part.iter().map(CustomerNo::as_str).collect();
        let mut tx = pool.begin().await.unwrap();
        let total: i64 = sqlx::query_scalar(
            r"WITH acc AS (
                  INSERT INTO ledger_accounts (id, code, unit, normal_side, no_negative, kind,
                                               customer_no, created_at)
                  SELECT a.id, 'points:customer:' || a.no, 'points', 'credit', true, 'customer',
                         a.no, $5
                    FROM unnest($1::uuid[], $2::text[]) AS a (id, no)
                  RETURNING id, customer_no),
              lots AS (
                  SELECT gen_random_uuid() AS id, a.id AS account, a.customer_no,
                         (k % 97 + 1)::bigint AS points,
                         ($4::timestamptz[])[1 + k % cardinality($4::timestamptz[])] AS expires_at
                    FROM acc a CROSS JOIN generate_series(0, $3 - 1) AS k),
              req AS (
                  INSERT INTO ledger_requests (key, body_hash, actor, transfer_ids, at)
                  SELECT 'seed:' || id, '\x'::bytea, 'seed', ARRAY[id], $5 FROM lots),
              tr AS (
                  INSERT INTO ledger_transfers (id, request_key, position, kind, debit_account_id,
                      credit_account_id, amount, unit, code, created_at)
                  SELECT id, 'seed:' || id, 0, 'single', $6, account, points, 'points', 'earn', $5
                    FROM lots
                  RETURNING id, seq, credit_account_id, amount),
              po AS (
                  INSERT INTO ledger_postings (transfer_id, account_id, side, amount, pending, seq)
                  SELECT tr.id, x.account, x.side, tr.amount, false, tr.seq
                    FROM tr CROSS JOIN LATERAL (VALUES ($6::uuid, 'debit'),
                                                       (tr.credit_account_id, 'credit'))
                         AS x (account, side)),
              lo AS (
                  INSERT INTO point_lots (id, transfer_id, account_id, customer_no, points,
                                          remaining, earned_at, expires_at)
                  SELECT id, id, account, customer_no, points, points,
                         expires_at - interval '3 years', expires_at
                    FROM lots)
              SELECT coalesce(sum(points), 0)::bigint FROM lots",
        )
        .bind(&ids)
        .bind(&numbers)
        .bind(per)
        .bind(dates)
        .bind(now)
        .bind(funding.id())
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE ledger_accounts a SET credits_posted = s.points
               FROM (SELECT account_id, sum(points) AS points FROM point_lots
                      WHERE account_id = ANY($1) GROUP BY account_id) s
              WHERE a.id = s.account_id",
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query("UPDATE ledger_accounts SET debits_posted = debits_posted + $2 WHERE id = $1")
            .bind(funding.id())
            .bind(total)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    all
}

/// What each customer has due at `cutoff`: the points of its lots expiring by then.
async fn due(pool: &PgPool, cutoff: DateTime<Utc>) -> HashMap<String, i64> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT customer_no, sum(remaining)::bigint FROM point_lots
          WHERE remaining > 0 AND expires_at <= $1 GROUP BY customer_no",
    )
    .bind(cutoff)
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().collect()
}

/// The expiry transfers of `date`, per customer.
async fn expired_at(pool: &PgPool, date: NaiveDate) -> HashMap<String, (i64, i64)> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT a.customer_no, count(*), sum(t.amount)::bigint
           FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id
          WHERE t.code = 'expiry' AND t.request_key LIKE $1 GROUP BY a.customer_no",
    )
    .bind(format!("points-expiry:{date}:%"))
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().map(|(c, n, p)| (c, (n, p))).collect()
}

#[tokio::test]
async fn the_expiry_run_killed_half_way_and_run_again_posts_each_customer_once() {
    let app = spawn_app().await;
    let pool = &app.pool;
    let date = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let cutoff = expiry::cutoff(date);
    // 500 customers × 20 lots = 10,000 lots; three of each four dates are due at the run's date
    let dates = [
        expiry::cutoff(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()),
        cutoff,
        expiry::cutoff(NaiveDate::from_ymd_opt(2028, 1, 1).unwrap()),
        expiry::cutoff(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
    ];
    let customers = seed_lots(pool, "K", 500, 20, &dates).await;
    let lots_seeded: i64 = sqlx::query_scalar("SELECT count(*) FROM point_lots")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(lots_seeded, 10_000);
    audit_clean(pool).await;
    // some spending first, earliest expiry first: customer 0 spends 100 of its due lots; customer
    // 1 holds 150 across the run (the hold keeps those points from the run)
    let now = Utc::now();
    let hold = points::hold(
        pool,
        call("s0", now),
        &customers[0],
        100,
        Duration::hours(1),
        String::new(),
    )
    .await
    .unwrap()
    .unwrap()[0]
        .id;
    points::capture(pool, call("s0c", now), hold, None, String::new())
        .await
        .unwrap()
        .unwrap();
    let held = points::hold(
        pool,
        call("s1", now),
        &customers[1],
        150,
        Duration::hours(1),
        String::new(),
    )
    .await
    .unwrap()
    .unwrap()[0]
        .id;
    let expected = due(pool, cutoff).await;
    assert_eq!(expected.len(), 500);

    // the run as a process of its own, 10 customers a transaction, killed half way
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_quanyi-test-points-expiry"))
        .env("DATABASE_URL", app.database_url.expose_secret())
        .env("DATE", date.to_string())
        .env("CHUNK", "10")
        .env("PAUSE_MS", "30")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the expiry process starts");
    let started = std::time::Instant::now();
    loop {
        let progress: Option<i64> = sqlx::query_scalar(
            "SELECT rows_affected FROM batch_runs WHERE job = 'points_expiry' AND status = 'running'",
        )
        .fetch_optional(pool)
        .await
        .unwrap();
        if progress.is_some_and(|p| p >= 200) {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the run makes progress"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("SIGKILL the run");
    child.wait().unwrap();
    let before = expired_at(pool, date).await;
    assert!(
        before.len() >= 200 && before.len() < 500,
        "killed half way: {} of 500 customers posted",
        before.len()
    );
    let killed: (String, Option<String>) = sqlx::query_as(
        "SELECT status, error FROM batch_runs WHERE job = 'points_expiry' ORDER BY id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(killed.0, "running", "a killed run cannot record its end");
    audit_clean(pool).await;

    // run again: the rest, nothing twice; the killed run is closed as interrupted
    let again = expiry::expire(
        pool,
        date,
        expiry::RunSettings::default(),
        "test",
        &SystemClock,
    )
    .await
    .unwrap();
    assert_eq!(again.interrupted, 1);
    assert_eq!(again.customers, 500 - before.len() as i64);
    assert_eq!(again.skipped, 0);
    assert_eq!(again.run.status, "succeeded");
    assert_eq!(again.run.rows_affected, again.customers);
    let after = expired_at(pool, date).await;
    assert_eq!(after.len(), 500);
    for (customer, points) in &expected {
        assert_eq!(
            after[customer],
            (1, *points),
            "customer {customer}: one transfer, its due points"
        );
    }
    let killed: (String, Option<String>) = sqlx::query_as(
        "SELECT status, error FROM batch_runs WHERE job = 'points_expiry' ORDER BY id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(killed.0, "failed");
    assert!(killed.1.unwrap().contains("interrupted"));
    assert!(due(pool, cutoff).await.is_empty());
    audit_clean(pool).await;

    // the hold voided after the run gives its points back to lots that expired: the same date's
    // run leaves them (the customer's key is posted), the next day's posts them
    points::void(pool, call("s1v", now), held, String::new())
        .await
        .unwrap()
        .unwrap();
    let third = expiry::expire(
        pool,
        date,
        expiry::RunSettings::default(),
        "test",
        &SystemClock,
    )
    .await
    .unwrap();
    assert_eq!((third.customers, third.skipped), (0, 1));
    assert_eq!(expired_at(pool, date).await, after);
    let next = date.succ_opt().unwrap();
    let fourth = expiry::expire(
        pool,
        next,
        expiry::RunSettings::default(),
        "test",
        &SystemClock,
    )
    .await
    .unwrap();
    assert_eq!((fourth.customers, fourth.points), (1, 150));
    let b = points::balance(pool, &customers[1]).await.unwrap();
    let mine: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(remaining), 0)::bigint FROM point_lots WHERE customer_no = $1",
    )
    .bind(customers[1].as_str())
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(b.available, mine);
    audit_clean(pool).await;
    let expired = ledger::balance(pool, expiry::expired_account().id())
        .await
        .unwrap();
    assert_eq!(
        expired.posted,
        expected.values().sum::<i64>() + 150,
        "the expired account holds every expired point"
    );
}

#[tokio::test]
async fn reminders_are_queued_once_per_customer_and_lot() {
    use quanyi_activities::customers::{self, CustomerInput, PersonalData, Status};
    let app = spawn_app().await;
    let pool = &app.pool;
    let date = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    // lots expiring in 20 days (reminded), in 60 days (not yet) and already expired (not)
    let soon = expiry::cutoff(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap());
    let later = expiry::cutoff(NaiveDate::from_ymd_opt(2027, 2, 3).unwrap());
    let gone = expiry::cutoff(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    let seeded = seed_lots(pool, "R", 30, 3, &[soon, later, gone]).await;
    // two of them have a phone number on file
    for (customer, phone) in [(&seeded[0], "13700000001"), (&seeded[1], "13700000002")] {
        let input = CustomerInput {
            customer_no: customer.clone(),
            org_code: "HO".into(),
            status: Status::Active,
            opened_on: None,
            personal: PersonalData {
                phone: Some(phone.into()),
                ..Default::default()
            },
        };
        customers::upsert(
            pool,
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
    let to = expiry::Reminders {
        keys: Some(quanyi_tests::harness::customer_keys()),
        sms: true,
    };
    let settings = expiry::RunSettings {
        chunk: 7,
        pause: std::time::Duration::ZERO,
    };
    let first = expiry::remind(pool, &to, date, settings, "test", &SystemClock)
        .await
        .unwrap();
    // an SMS to each customer with a phone; every lot in the window recorded once
    assert_eq!((first.customers, first.lots), (2, 30));
    assert_eq!(first.run.status, "succeeded");
    let sms: Vec<(String, String, serde_json::Value)> = sqlx::query_as(
        "SELECT recipient, template_code, params FROM notifications
          WHERE kind = 'points_expiry' AND channel = 'sms' ORDER BY recipient",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(sms.len(), 2);
    assert_eq!(sms[0].0, "13700000001");
    assert_eq!(sms[0].1, "QY_POINTS_EXPIRY");
    // lot 0 of a customer holds 1 point; its last day is 24 December
    assert_eq!(
        sms[0].2,
        serde_json::json!({"points": "1", "date": "2026-12-24"})
    );
    let again = expiry::remind(pool, &to, date, settings, "test", &SystemClock)
        .await
        .unwrap();
    assert_eq!((again.customers, again.lots), (0, 0), "once per lot");
    let next_day = expiry::remind(
        pool,
        &to,
        date.succ_opt().unwrap(),
        settings,
        "test",
        &SystemClock,
    )
    .await
    .unwrap();
    assert_eq!(
        (next_day.customers, next_day.lots),
        (0, 0),
        "once per lot, whatever the day"
    );
    let recorded: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT count(*), count(r.notification_key)
           FROM point_lot_reminders r JOIN point_lots l ON l.id = r.lot_id GROUP BY l.expires_at",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        recorded,
        vec![(30, 2)],
        "only the lots expiring within 30 days"
    );
}

/// The nightly run's time at a bank's size: 1,000,000 customers, 5,000,000 lots, 3 in 5 due
/// (`EXPIRY_BENCH_CUSTOMERS` for another size).
/// `cargo test -p quanyi-tests --test e2e expiry_benchmark -- --ignored --nocapture`
#[tokio::test]
#[ignore = "a benchmark: seeds 5,000,000 lots and runs the expiry over them; minutes"]
async fn expiry_benchmark_over_a_million_customers_and_five_million_lots() {
    let app = spawn_app().await;
    let pool = &app.pool;
    let date = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let dates = [
        expiry::cutoff(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()),
        expiry::cutoff(date),
        expiry::cutoff(NaiveDate::from_ymd_opt(2028, 1, 1).unwrap()),
        expiry::cutoff(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
        expiry::cutoff(NaiveDate::from_ymd_opt(2029, 1, 1).unwrap()),
    ];
    let customers: usize = std::env::var("EXPIRY_BENCH_CUSTOMERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let seeding = std::time::Instant::now();
    seed_lots(pool, "B", customers, 5, &dates).await;
    sqlx::query("ANALYZE").execute(pool).await.ok();
    eprintln!("seeded in {:.1} s", seeding.elapsed().as_secs_f64());
    let started = std::time::Instant::now();
    let done = expiry::expire(
        pool,
        date,
        expiry::RunSettings::default(),
        "test",
        &SystemClock,
    )
    .await
    .unwrap();
    let took = started.elapsed();
    eprintln!(
        "expiry run: {} customers, {} points in {:.1} s",
        done.customers,
        done.points,
        took.as_secs_f64()
    );
    assert_eq!(done.customers, customers as i64);
    let audit = std::time::Instant::now();
    audit_clean(pool).await;
    eprintln!("ledger audit in {:.1} s", audit.elapsed().as_secs_f64());
}
