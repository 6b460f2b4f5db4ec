//! `staff-rush` (issue 22, NFR-2): the 8:30 rush. Staff sign in at a fixed arrival rate and then
//! work as staff do, against the bound of what the machine's cores can hash.
//!
//! 1. **Seeds** `--sessions` staff users of its own (`<prefix>nnnn`, role 营销策划 in 城东分行,
//!    the demo password, one argon2 hash computed once for all of them), so that every session
//!    is a user of its own: a second sign-in of one user would end the first's session.
//! 2. **The argon2 bound**: as many threads as the machine has cores verify the demo password
//!    against that hash for a few seconds, with nothing else running: verifies per second. It is
//!    measured before the sign-ins and again after them, and the higher of the two counts.
//! 3. **Sign-in throughput** at each of `--levels` (default 10, 50, 100): that many tasks sign in
//!    back to back (captcha, its answer from the database as the e2e harness reads it, login) for
//!    `--burst`: sign-ins per second and its ratio to the bound.
//! 4. **The rush** (open loop): session `k` arrives at `k × ramp / sessions` from the start, signs
//!    in — its latency counted from that intended arrival, so a stalled server cannot hide the
//!    queue behind it, as wrk2 counts — then works until `ramp + duration`: after a think time
//!    (uniform 0–2 × `--think`), one of the inbox (我的待办, 30 %), the task counts the menu
//!    badge polls (10 %), a filtered campaign list (25 %), a campaign's detail (15 %), a filtered
//!    coupon list (19 %) or a coupon export (1 %; a step-up with the password first when the
//!    session is older than the step-up window, as the UI asks). The export is the bank's largest
//!    (up to 100,000 rows, a third of a second of PostgreSQL alone on the seeded bank): at 1 % a
//!    thousand sessions ask one a second, a staff member one every quarter of an hour. At 5 %
//!    (five a second, half a million rows a second) the exports alone kept both cores busy.
//!
//! Sign-in, lists, details and exports each get their own latency line; the RFP's bar is 1 s for
//! a sign-in and a query, 3 s for a complex query (the export). Every answer must be 2xx.

use crate::campaign::{ORG, json_of, request};
use crate::http::{Conn, Target};
use crate::stats::{Class, Op, Outcome, Tally, summarize};
use anyhow::Context;
use rand::Rng;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The demo password every seeded user has.
const PASSWORD: &str = quanyi_activities::seed::DEMO_PASSWORD;
/// The role the rush users have: lists, details and exports in their org and below.
const ROLE: &str = "planner";
/// `QY-AUTH-0011`: the export wants a fresh authentication.
const STEP_UP_REQUIRED: &str = "QY-AUTH-0011";

pub struct Options {
    pub base_url: String,
    pub sessions: usize,
    pub ramp: Duration,
    pub duration: Duration,
    pub think: Duration,
    pub levels: Vec<usize>,
    pub burst: Duration,
    pub prefix: String,
}

struct Plan {
    target: Target,
    db: sqlx::PgPool,
    users: Vec<String>,
    /// Campaign ids the detail page opens: those of the users' org.
    campaigns: Vec<uuid::Uuid>,
    think: Duration,
}

/// Whether the run passed: every answer 2xx.
pub async fn run(options: Options, db: &sqlx::PgPool) -> anyhow::Result<bool> {
    let target = Target::parse(&options.base_url).await?;
    let seeding = Instant::now();
    let count = options
        .sessions
        .max(options.levels.iter().copied().max().unwrap_or(0));
    let hash = quanyi_activities::identity::password::hash(PASSWORD);
    let users = seed_users(db, &options.prefix, count, &hash).await?;
    let campaigns: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT c.id FROM campaigns c JOIN orgs o ON o.id = c.org_id WHERE o.code = $1 LIMIT 200",
    )
    .bind(ORG)
    .fetch_all(db)
    .await?;
    println!(
        "quanyi-load staff-rush: prefix {}, {} users seeded in {:.1} s, {} campaigns to open, {}",
        options.prefix,
        users.len(),
        seeding.elapsed().as_secs_f64(),
        campaigns.len(),
        options.base_url
    );
    let plan = Arc::new(Plan {
        target,
        db: db.clone(),
        users,
        campaigns,
        think: options.think,
    });

    // The bound is measured before the sign-ins and again after them, and the higher counts: a
    // neighbour busy during one of the two measurements (this is a shared machine) must not lower
    // the bar.
    let before = argon2_bound(&hash, Duration::from_secs(5)).await;
    println!(
        "argon2      {before:.1} verifies/s on {} cores, hashing alone (before the sign-ins)",
        cores()
    );

    let mut passed = true;
    let mut rates = Vec::new();
    for &level in &options.levels {
        let (rate, tally) = burst(&plan, level, options.burst).await;
        let latency = tally
            .latency
            .get(&Op::SignIn)
            .map(|h| summarize(h).to_string())
            .unwrap_or_default();
        println!("sign-in     {level:>4} at once: {rate:>6.1}/s   {latency}");
        passed &= crate::print_outcomes(&format!("sign-in × {level}"), &tally);
        rates.push((level, rate));
    }
    let after = if rates.is_empty() {
        before
    } else {
        argon2_bound(&hash, Duration::from_secs(5)).await
    };
    println!("argon2      {after:.1} verifies/s, hashing alone (after the sign-ins)");
    let bound = before.max(after);

    let (tally, elapsed) = rush(&plan, &options).await;
    println!();
    println!(
        "rush        {} sessions arriving over {:?}, then {:?} more, think {:?}: {} requests in {:.1} s",
        options.sessions,
        options.ramp,
        options.duration,
        options.think,
        tally.answered(),
        elapsed.as_secs_f64()
    );
    for (op, h) in &tally.latency {
        println!("  {op:<9} {}", summarize(h));
    }
    passed &= crate::print_outcomes("rush", &tally);
    passed &= tally.count(Class::Error) == 0;
    println!("summary     argon2 bound {bound:.1}/s (the higher of {before:.1} and {after:.1})");
    for (level, rate) in rates {
        println!(
            "summary     sign-in × {level}: {rate:.1}/s ({:.2} × bound)",
            rate / bound
        );
    }
    Ok(passed)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Users `<prefix>0000`… with the demo password and the planner's role, in the demo org.
async fn seed_users(
    db: &sqlx::PgPool,
    prefix: &str,
    count: usize,
    hash: &str,
) -> anyhow::Result<Vec<String>> {
    // usernames are `^[a-z][a-z0-9_.-]{2,31}$`: the run's prefix `L<unix>-` lowercased
    let stem = prefix.to_lowercase();
    let users: Vec<String> = (0..count).map(|n| format!("{stem}{n:04}")).collect();
    let mut tx = db.begin().await?;
    sqlx::query(
        "WITH u AS (
           INSERT INTO users (username, display_name, org_id, kind, password_hash)
           SELECT name, '压测' || right(name, 4), (SELECT id FROM orgs WHERE code = $2), 'staff', $3
             FROM unnest($1::text[]) AS name
           RETURNING id)
         INSERT INTO user_roles (user_id, role_id)
         SELECT u.id, r.id FROM u, roles r WHERE r.code = $4",
    )
    .bind(&users)
    .bind(ORG)
    .bind(hash)
    .bind(ROLE)
    .execute(&mut *tx)
    .await
    .context("cannot seed the rush users (is the demo bank seeded?)")?;
    tx.commit().await?;
    Ok(users)
}

/// Verifies per second that every core hashing at once achieves, each thread with its argon2
/// memory as the server's hashing pool has it.
async fn argon2_bound(hash: &str, span: Duration) -> f64 {
    let threads: Vec<_> = (0..cores())
        .map(|_| {
            let hash = hash.to_owned();
            std::thread::spawn(move || {
                let began = Instant::now();
                let mut n = 0u64;
                let mut memory = Vec::new();
                while began.elapsed() < span {
                    assert!(quanyi_activities::identity::password::verify_with(
                        &mut memory,
                        PASSWORD,
                        &hash
                    ));
                    n += 1;
                }
                n as f64 / began.elapsed().as_secs_f64()
            })
        })
        .collect();
    tokio::task::spawn_blocking(move || {
        threads
            .into_iter()
            .map(|t| t.join().expect("a hashing thread does not panic"))
            .sum()
    })
    .await
    .expect("joined")
}

/// `level` tasks signing in back to back for `span`, through the users in turn: sign-ins/s.
async fn burst(plan: &Arc<Plan>, level: usize, span: Duration) -> (f64, Tally) {
    let next = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let deadline = began + span;
    let tasks: Vec<_> = (0..level)
        .map(|_| {
            let (plan, next) = (plan.clone(), next.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut conn = Conn::new(plan.target.clone());
                while Instant::now() < deadline {
                    let user = &plan.users[next.fetch_add(1, Ordering::Relaxed) % plan.users.len()];
                    let _ = sign_in(&plan, &mut conn, user, Instant::now(), &mut tally).await;
                }
                tally
            })
        })
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.expect("a load task does not panic"));
    }
    let rate = tally.successes(Op::SignIn) as f64 / began.elapsed().as_secs_f64();
    (rate, tally)
}

/// Captcha, its answer, login; the login's latency from `intended`. The session cookie.
async fn sign_in(
    plan: &Plan,
    conn: &mut Conn,
    user: &str,
    intended: Instant,
    tally: &mut Tally,
) -> Option<String> {
    let captcha = call(
        conn,
        Op::Captcha,
        request("GET", "/api/v1/auth/captcha", None, None),
        tally,
    )
    .await?;
    let id: uuid::Uuid = captcha["captcha_id"].as_str()?.parse().ok()?;
    let answer: String = match sqlx::query_scalar("SELECT answer FROM captchas WHERE id = $1")
        .bind(id)
        .fetch_one(&plan.db)
        .await
    {
        Ok(answer) => answer,
        Err(e) => {
            tally.note(Outcome::Failed {
                op: Op::SignIn,
                error: format!("captcha answer: {e}"),
            });
            return None;
        }
    };
    let body = json!({"username": user, "password": PASSWORD,
                      "captcha_id": id, "captcha_answer": answer});
    let answer = conn
        .send(request("POST", "/api/v1/auth/login", None, Some(&body)))
        .await;
    let micros = intended.elapsed().as_micros() as u64;
    match answer {
        Ok(answer) => {
            let cookie = answer.session_cookie();
            tally.record(outcome(Op::SignIn, answer.status, &answer.body), micros);
            if (200..300).contains(&answer.status) {
                cookie
            } else {
                None
            }
        }
        Err(error) => {
            tally.note(Outcome::Transport {
                op: Op::SignIn,
                error,
            });
            None
        }
    }
}

/// One call, timed and tallied; its JSON body when it was answered 2xx.
async fn call(
    conn: &mut Conn,
    op: Op,
    req: hyper::Request<http_body_util::Full<bytes::Bytes>>,
    tally: &mut Tally,
) -> Option<Value> {
    let began = Instant::now();
    match conn.send(req).await {
        Ok(answer) => {
            tally.record(
                outcome(op, answer.status, &answer.body),
                began.elapsed().as_micros() as u64,
            );
            let csv = answer
                .headers
                .get(hyper::header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"text/csv"));
            if csv {
                return ((200..300).contains(&answer.status)).then_some(Value::Null);
            }
            json_of(answer).ok()
        }
        Err(error) => {
            tally.note(Outcome::Transport { op, error });
            None
        }
    }
}

fn outcome(op: Op, status: u16, body: &[u8]) -> Outcome {
    // a refusal's `QY-` code; a 2xx body's `code` is the object's own (a campaign's HD…)
    let code = (!(200..300).contains(&status))
        .then(|| serde_json::from_slice::<Value>(body).ok())
        .flatten()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    Outcome::Answer { op, status, code }
}

/// The open-loop rush: the sessions' tallies merged, and how long it took.
async fn rush(plan: &Arc<Plan>, options: &Options) -> (Tally, Duration) {
    let began = Instant::now();
    let end = began + options.ramp + options.duration;
    let gap = options.ramp.div_f64(options.sessions.max(1) as f64);
    let tasks: Vec<_> = (0..options.sessions)
        .map(|k| {
            let plan = plan.clone();
            let arrival = began + gap.mul_f64(k as f64);
            tokio::spawn(async move {
                tokio::time::sleep_until(arrival.into()).await;
                session(&plan, k, arrival, end).await
            })
        })
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.expect("a session does not panic"));
    }
    (tally, began.elapsed())
}

/// One staff member: signs in at `arrival`, works until `end`.
async fn session(plan: &Plan, k: usize, arrival: Instant, end: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut conn = Conn::new(plan.target.clone());
    let user = &plan.users[k % plan.users.len()];
    let Some(mut cookie) = sign_in(plan, &mut conn, user, arrival, &mut tally).await else {
        return tally;
    };
    loop {
        let think = plan.think.mul_f64(rand::rng().random_range(0.0..2.0));
        if Instant::now() + think >= end {
            break;
        }
        tokio::time::sleep(think).await;
        let roll = rand::rng().random_range(0..100);
        let c = Some(cookie.as_str());
        match roll {
            0..30 => {
                call(
                    &mut conn,
                    Op::StaffInbox,
                    request("GET", "/api/v1/tasks?tab=todo&page=1&page_size=20", c, None),
                    &mut tally,
                )
                .await;
            }
            30..40 => {
                call(
                    &mut conn,
                    Op::StaffInbox,
                    request("GET", "/api/v1/tasks/counts", c, None),
                    &mut tally,
                )
                .await;
            }
            40..65 => {
                let state = ["Draft", "Running", "Scheduled", "FirstReview"][roll as usize % 4];
                let path = format!(
                    "/api/v1/campaigns?state={state}&name=%E6%B4%BB%E5%8A%A8&page=1&page_size=20"
                );
                call(
                    &mut conn,
                    Op::StaffList,
                    request("GET", &path, c, None),
                    &mut tally,
                )
                .await;
            }
            65..80 => {
                let path = match plan
                    .campaigns
                    .get(rand::rng().random_range(0..plan.campaigns.len().max(1)))
                {
                    Some(id) => format!("/api/v1/campaigns/{id}"),
                    None => "/api/v1/campaigns?page=1&page_size=20".to_owned(),
                };
                call(
                    &mut conn,
                    Op::StaffDetail,
                    request("GET", &path, c, None),
                    &mut tally,
                )
                .await;
            }
            80..99 => {
                let status = ["unused", "used"][roll as usize % 2];
                let path = format!("/api/v1/benefits/coupons?status={status}&page=1&page_size=20");
                call(
                    &mut conn,
                    Op::StaffList,
                    request("GET", &path, c, None),
                    &mut tally,
                )
                .await;
            }
            _ => {
                if let Some(renewed) = export(&mut conn, &cookie, &mut tally).await {
                    cookie = renewed;
                }
            }
        }
    }
    tally
}

/// A coupon export; when the session must step up first, the password, then the export again.
/// The renewed session cookie, when there was a step-up.
async fn export(conn: &mut Conn, cookie: &str, tally: &mut Tally) -> Option<String> {
    let path = "/api/v1/benefits/coupons/export?status=used";
    let began = Instant::now();
    let first = conn.send(request("GET", path, Some(cookie), None)).await;
    let stale = first.as_ref().is_ok_and(|answer| {
        matches!(outcome(Op::StaffExport, answer.status, &answer.body),
                 Outcome::Answer { code, .. } if code == STEP_UP_REQUIRED)
    });
    if !stale {
        match first {
            Ok(answer) => tally.record(
                outcome(Op::StaffExport, answer.status, &answer.body),
                began.elapsed().as_micros() as u64,
            ),
            Err(error) => tally.note(Outcome::Transport {
                op: Op::StaffExport,
                error,
            }),
        }
        return None;
    }
    let reauth = conn
        .send(request(
            "POST",
            "/api/v1/auth/reauth",
            Some(cookie),
            Some(&json!({"password": PASSWORD})),
        ))
        .await;
    let renewed = match reauth {
        Ok(answer) if (200..300).contains(&answer.status) => {
            answer.session_cookie().unwrap_or_else(|| cookie.to_owned())
        }
        Ok(answer) => {
            tally.record(
                outcome(Op::StepUp, answer.status, &answer.body),
                began.elapsed().as_micros() as u64,
            );
            return None;
        }
        Err(error) => {
            tally.note(Outcome::Transport {
                op: Op::StepUp,
                error,
            });
            return None;
        }
    };
    match conn.send(request("GET", path, Some(&renewed), None)).await {
        Ok(answer) => tally.record(
            outcome(Op::StaffExport, answer.status, &answer.body),
            began.elapsed().as_micros() as u64,
        ),
        Err(error) => tally.note(Outcome::Transport {
            op: Op::StaffExport,
            error,
        }),
    }
    Some(renewed)
}
