//! `campaign-process`: how many campaign processes per second `quanyi dev` starts and carries
//! through both approvals, over the staff API as the admin UI calls it, and — in the same run,
//! with the same concurrency and duration — how many empty workflows per second the same
//! Temporal server starts and completes, as the baseline.
//!
//! One process is five calls, each answered only once the workflow has moved:
//! planner `POST /api/v1/campaigns` (a draft), planner `POST /api/v1/campaigns/{id}/customers`
//! (its customer list: a campaign goes to review only with customers), planner
//! `POST /api/v1/campaigns/{id}/submit` (answered when 初审 is open), reviewer1
//! `POST /api/v1/tasks/{task}/decision` (answered when 复核 is open), reviewer2 the same
//! (answered in Scheduled). The campaign starts a year ahead, so
//! the process then rests in Scheduled on its start timer: a completed process.

use crate::empty;
use crate::http::{Answer, Conn, Target};
use crate::stats::{Class, Op, Outcome, Tally, summarize};
use anyhow::Context;
use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// The demo bank's branch the campaigns belong to (城东分行): reviewer1 decides its 初审.
pub const ORG: &str = "SB0101";
/// The demo password of every demo login (activities/src/seed.rs).
const PASSWORD: &str = quanyi_activities::seed::DEMO_PASSWORD;
/// State-changing staff calls carry it (the API's CSRF rule).
const CSRF: (&str, &str) = ("x-requested-with", "quanyi");

pub struct Options {
    pub base_url: String,
    pub temporal_url: String,
    pub connections: usize,
    pub duration: Duration,
    /// Unique per run: the campaigns' names and the empty workflows' ids start with it.
    pub prefix: String,
    /// Run the empty-workflow baseline after the processes (not with `--failover`).
    pub baseline: bool,
}

/// The session cookies of the three demo users, each signed in once: a second sign-in would end
/// the first session, so every connection shares them.
struct Staff {
    planner: String,
    reviewer1: String,
    reviewer2: String,
}

struct Plan {
    target: Target,
    staff: Staff,
    org_id: uuid::Uuid,
    prefix: String,
}

/// Whether the run passed: every process reached Scheduled, the database agrees, and every empty
/// workflow completed.
pub async fn run(options: Options, db: &sqlx::PgPool) -> anyhow::Result<bool> {
    let target = Target::parse(&options.base_url).await?;
    let org_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
        .bind(ORG)
        .fetch_optional(db)
        .await?
        .with_context(|| format!("no org {ORG}: is the demo bank seeded (`quanyi dev`)?"))?;
    let signing_in = Instant::now();
    let staff = Staff {
        planner: sign_in(&target, db, "planner").await?,
        reviewer1: sign_in(&target, db, "reviewer1").await?,
        reviewer2: sign_in(&target, db, "reviewer2").await?,
    };
    println!(
        "quanyi-load campaign-process: prefix {}, {} connections, {:?}, {}, Temporal {}; planner, reviewer1, reviewer2 signed in in {:.1} s",
        options.prefix,
        options.connections,
        options.duration,
        options.base_url,
        options.temporal_url,
        signing_in.elapsed().as_secs_f64()
    );
    let plan = Arc::new(Plan {
        target,
        staff,
        org_id,
        prefix: options.prefix.clone(),
    });

    let processes = phase(options.connections, options.duration, |task, start| {
        let plan = plan.clone();
        async move { drive(&plan, task, start).await }
    })
    .await;
    let mut passed = report_processes(&processes);
    passed &= check_recorded(db, &options.prefix, &processes.tally).await?;

    if options.baseline {
        let baseline = empty::run(&options).await?;
        passed &= report_baseline(&processes, &baseline);
    }
    Ok(passed)
}

/// Signs `username` in with the demo password, answering the captcha from where the server
/// keeps it (as the e2e harness does), and returns its session cookie (`name=value`).
async fn sign_in(target: &Target, db: &sqlx::PgPool, username: &str) -> anyhow::Result<String> {
    let mut conn = Conn::new(target.clone());
    let captcha = json_of(
        conn.send(request("GET", "/api/v1/auth/captcha", None, None))
            .await
            .map_err(|e| anyhow::anyhow!("captcha: {e}"))?,
    )
    .context("captcha")?;
    let id: uuid::Uuid = captcha["captcha_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .context("the captcha answer has no captcha_id")?;
    let answer: String = sqlx::query_scalar("SELECT answer FROM captchas WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await
        .context("the captcha is not in the database")?;
    let body = json!({"username": username, "password": PASSWORD,
                      "captcha_id": id, "captcha_answer": answer});
    let answer = conn
        .send(request("POST", "/api/v1/auth/login", None, Some(&body)))
        .await
        .map_err(|e| anyhow::anyhow!("sign-in: {e}"))?;
    let cookie = answer.session_cookie();
    let view = json_of(answer).with_context(|| format!("{username} cannot sign in"))?;
    anyhow::ensure!(
        view["second_factor"] == "done" && view["must_change_password"] == false,
        "{username} signed in but owes a second factor or a password change: {view}"
    );
    cookie.with_context(|| format!("{username} signed in without a session cookie"))
}

/// The body of a 2xx answer as JSON; an error with the status and body otherwise.
pub(crate) fn json_of(answer: Answer) -> anyhow::Result<Value> {
    anyhow::ensure!(
        (200..300).contains(&answer.status),
        "{}: {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    Ok(serde_json::from_slice(&answer.body)?)
}

pub(crate) fn request(
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&Value>,
) -> hyper::Request<Full<Bytes>> {
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(CSRF.0, CSRF.1);
    if let Some(cookie) = cookie {
        builder = builder.header(hyper::header::COOKIE, cookie);
    }
    let body = match body {
        Some(body) => {
            builder = builder.header(hyper::header::CONTENT_TYPE, "application/json");
            Bytes::from(body.to_string())
        }
        None => Bytes::new(),
    };
    builder.body(Full::new(body)).expect("a valid request")
}

/// What a timed phase measured.
pub struct Phase {
    pub tally: Tally,
    /// From the moment every task was ready until the last one in flight ended.
    pub elapsed: Duration,
}

/// The start line of a phase: every task waits at it, then runs until `duration` after the first
/// one crossed it.
#[derive(Clone)]
pub struct Start {
    barrier: Arc<Barrier>,
    clock: Arc<OnceLock<Instant>>,
    duration: Duration,
}

impl Start {
    /// Waits for every task and returns the deadline.
    pub async fn wait(&self) -> Instant {
        self.barrier.wait().await;
        *self.clock.get_or_init(Instant::now) + self.duration
    }
}

/// Runs `task` `connections` times at once, timed from the start line.
pub async fn phase<F, Fut>(connections: usize, duration: Duration, task: F) -> Phase
where
    F: Fn(usize, Start) -> Fut,
    Fut: Future<Output = Tally> + Send + 'static,
{
    let start = Start {
        barrier: Arc::new(Barrier::new(connections + 1)),
        clock: Arc::new(OnceLock::new()),
        duration,
    };
    let tasks: Vec<_> = (0..connections)
        .map(|n| tokio::spawn(task(n, start.clone())))
        .collect();
    start.wait().await;
    let began = *start.clock.get().expect("set at the start line");
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.expect("a load task does not panic"));
    }
    Phase {
        tally,
        elapsed: began.elapsed(),
    }
}

/// Where a process stopped: the call, and whether its answer was a failover's (no answer,
/// 502/503/504 with `--failover`) rather than a wrong one.
#[derive(Clone, Copy)]
struct Stop {
    op: Op,
    interrupted: bool,
}

impl Stop {
    fn at(op: Op, outcome: &Outcome) -> Stop {
        Stop {
            op,
            interrupted: outcome.class() == Class::Failover,
        }
    }
}

/// One connection's processes, back to back until the deadline.
async fn drive(plan: &Plan, task: usize, start: Start) -> Tally {
    let mut conn = Conn::new(plan.target.clone());
    let opened = conn.connect().await;
    let deadline = start.wait().await;
    let mut tally = Tally::default();
    if let Err(error) = opened {
        tally.note(Outcome::Transport {
            op: Op::Create,
            error,
        });
    }
    let mut seq = 0u64;
    while Instant::now() < deadline {
        let name = format!("压测 {}{task}-{seq}", plan.prefix);
        seq += 1;
        let began = Instant::now();
        match process(plan, &mut conn, &name, &mut tally).await {
            Ok(()) => tally.record(
                Outcome::Done { op: Op::Process },
                began.elapsed().as_micros() as u64,
            ),
            Err(Stop { op, interrupted }) => {
                tally.note(Outcome::Failed {
                    op: Op::Process,
                    error: if interrupted {
                        format!("{} {op}", crate::stats::INTERRUPTED)
                    } else {
                        format!("stopped at {op}")
                    },
                });
                // a refused connection must not become a busy loop
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    tally.reconnects = conn.reconnects();
    tally
}

/// The five calls of one process; the call it stopped at when one failed.
async fn process(plan: &Plan, conn: &mut Conn, name: &str, tally: &mut Tally) -> Result<(), Stop> {
    let start_at = chrono::Utc::now() + chrono::Duration::days(365);
    let draft = json!({
        "name": name, "type": "grant", "org_id": plan.org_id,
        "channels": ["mobile_banking", "wechat"],
        "start_at": start_at, "end_at": start_at + chrono::Duration::days(30),
        "success_criteria": "新增存款 ≥ 1 亿元", "description": "quanyi-load campaign-process",
        "rules": [{"name": "满减券", "budget_fen": 5_000_000, "template_code": "DEMO-MJ20"},
                  {"name": "立减金", "budget_fen": 1_000_000}]
    });
    let staff = &plan.staff;
    let approve = json!({"decision": "approve", "comment": "同意"});
    let id = call(
        conn,
        tally,
        Op::Create,
        "/api/v1/campaigns",
        &staff.planner,
        draft,
        Next::Id,
    )
    .await?;
    upload(conn, tally, &id, &staff.planner).await?;
    let path = format!("/api/v1/campaigns/{id}/submit");
    let body = json!({"comment": "请审批"});
    let mut first = call(
        conn,
        tally,
        Op::Submit,
        &path,
        &staff.planner,
        body,
        Next::TaskIfOpen,
    )
    .await?;
    if first.is_empty() {
        first = inbox_task(conn, tally, &staff.reviewer1, &id).await?;
    }
    let path = format!("/api/v1/tasks/{first}/decision");
    let body = approve.clone();
    let second = call(
        conn,
        tally,
        Op::FirstReview,
        &path,
        &staff.reviewer1,
        body,
        Next::Task,
    )
    .await?;
    let path = format!("/api/v1/tasks/{second}/decision");
    call(
        conn,
        tally,
        Op::SecondReview,
        &path,
        &staff.reviewer2,
        approve,
        Next::Nothing,
    )
    .await?;
    Ok(())
}

/// The draft's customer list: three customers, as a planner's CSV.
async fn upload(conn: &mut Conn, tally: &mut Tally, id: &str, cookie: &str) -> Result<(), Stop> {
    let op = Op::Upload;
    let request = hyper::Request::builder()
        .method("POST")
        .uri(format!("/api/v1/campaigns/{id}/customers"))
        .header(CSRF.0, CSRF.1)
        .header(hyper::header::COOKIE, cookie)
        .header(hyper::header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .body(Full::new(Bytes::from_static(
            b"customer_no\nC000000001\nC000000002\nC000000003\n",
        )))
        .expect("a valid request");
    let began = Instant::now();
    let result = conn.send(request).await;
    let micros = began.elapsed().as_micros() as u64;
    let outcome = crate::drive::classify(op, &result);
    let stop = Stop::at(op, &outcome);
    let success = outcome.class() == Class::Success;
    tally.record(outcome, micros);
    if success { Ok(()) } else { Err(stop) }
}

/// What the next call needs from an answer.
#[derive(Clone, Copy)]
enum Next {
    /// The new campaign's id.
    Id,
    /// The id of the review task now open.
    Task,
    /// The same, or "" when the answer shows none open yet.
    TaskIfOpen,
    Nothing,
}

/// The state an answer must show at each call.
fn expected_state(op: Op) -> &'static str {
    match op {
        Op::Create => "Draft",
        Op::Submit => "FirstReview",
        Op::FirstReview => "SecondReview",
        _ => "Scheduled",
    }
}

/// One staff POST, timed and tallied: what `next` asks of its answer when it was 2xx in the
/// state expected after `op`; the call as the error otherwise.
async fn call(
    conn: &mut Conn,
    tally: &mut Tally,
    op: Op,
    path: &str,
    cookie: &str,
    body: Value,
    next: Next,
) -> Result<String, Stop> {
    let began = Instant::now();
    let result = conn
        .send(request("POST", path, Some(cookie), Some(&body)))
        .await;
    let micros = began.elapsed().as_micros() as u64;
    let outcome = crate::drive::classify(op, &result);
    let answer = match &result {
        Ok(answer) if outcome.class() == Class::Success => answer,
        _ => {
            let stop = Stop::at(op, &outcome);
            tally.record(outcome, micros);
            return Err(stop);
        }
    };
    let picked = match serde_json::from_slice::<Value>(&answer.body) {
        Err(_) => Err(format!("{} without JSON", answer.status)),
        Ok(json) if json["state"] != expected_state(op) => Err(format!(
            "answered in state {}, not {}",
            json["state"],
            expected_state(op)
        )),
        Ok(json) => match next {
            Next::Id => json["id"].as_str().map(str::to_owned).ok_or("an id"),
            Next::Task => json["open_tasks"][0]["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or("an open task"),
            Next::TaskIfOpen => Ok(json["open_tasks"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()),
            Next::Nothing => Ok(String::new()),
        }
        .map_err(|what| format!("answered without {what}")),
    };
    match picked {
        Ok(picked) => {
            tally.record(outcome, micros);
            Ok(picked)
        }
        Err(error) => {
            tally.record(Outcome::Failed { op, error }, micros);
            Err(Stop {
                op,
                interrupted: false,
            })
        }
    }
}

/// How often reviewer1 looks into the inbox while a task is not there yet.
const INBOX_POLL: Duration = Duration::from_millis(30);
/// How long a task may take to appear there.
const INBOX_PATIENCE: Duration = Duration::from_secs(10);

/// When the submission was answered before 初审's task was open: reviewer1 looks for it in the
/// inbox, as a reviewer would, until it is there. Timed from the first look to the one that
/// found it.
async fn inbox_task(
    conn: &mut Conn,
    tally: &mut Tally,
    cookie: &str,
    campaign_id: &str,
) -> Result<String, Stop> {
    let op = Op::Inbox;
    let began = Instant::now();
    loop {
        let look = Instant::now();
        let path = "/api/v1/tasks?tab=todo&process_type=campaign&page_size=100";
        let result = conn.send(request("GET", path, Some(cookie), None)).await;
        let outcome = crate::drive::classify(op, &result);
        let page = match &result {
            Ok(answer) if outcome.class() == Class::Success => {
                serde_json::from_slice::<Value>(&answer.body).unwrap_or_default()
            }
            _ => {
                let stop = Stop::at(op, &outcome);
                tally.record(outcome, look.elapsed().as_micros() as u64);
                return Err(stop);
            }
        };
        let found = page["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|t| t["business_key"] == campaign_id)
                .and_then(|t| t["id"].as_str())
        });
        if let Some(task) = found {
            tally.record(Outcome::Done { op }, began.elapsed().as_micros() as u64);
            return Ok(task.to_owned());
        }
        if began.elapsed() > INBOX_PATIENCE {
            tally.record(
                Outcome::Failed {
                    op,
                    error: format!("初审's task not in the inbox within {INBOX_PATIENCE:?}"),
                },
                began.elapsed().as_micros() as u64,
            );
            return Err(Stop {
                op,
                interrupted: false,
            });
        }
        tokio::time::sleep(INBOX_POLL).await;
    }
}

/// Prints the processes' phase; false when any call or process failed.
fn report_processes(phase: &Phase) -> bool {
    let tally = &phase.tally;
    let secs = phase.elapsed.as_secs_f64();
    let done = tally.successes(Op::Process);
    println!();
    println!(
        "processes   {done} completed (draft → submitted → 初审 → 复核 → Scheduled) in {secs:.2} s: {:.2} processes/s",
        done as f64 / secs
    );
    for (op, h) in &tally.latency {
        println!("  {op:<9} {}", summarize(h));
    }
    let late = tally.successes(Op::Inbox);
    if late > 0 {
        println!(
            "note        {late} of {} submissions were answered before 初审's task was open \
             (the answer's open_tasks was empty); reviewer1 then found it in the inbox (the inbox \
             line: from the first look to the one that found it)",
            tally.successes(Op::Submit)
        );
    }
    if tally.reconnects > 0 {
        println!("connections {} reopened during the run", tally.reconnects);
    }
    crate::print_outcomes("processes", tally)
}

/// The database's own count: every completed process is one campaign of this run whose process
/// rests in Scheduled.
async fn check_recorded(db: &sqlx::PgPool, prefix: &str, tally: &Tally) -> anyhow::Result<bool> {
    let scheduled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM campaigns c JOIN process_instances p
            ON p.process_type = 'campaign' AND p.business_key = c.id::text
         WHERE c.name LIKE $1 AND p.state = 'Scheduled'",
    )
    .bind(format!("压测 {prefix}%"))
    .fetch_one(db)
    .await?;
    let done = tally.successes(Op::Process);
    // A 复核 whose answer was lost in a failover may have gone through all the same.
    let lost = tally
        .outcomes
        .get(&Outcome::Failed {
            op: Op::Process,
            error: format!("{} {}", crate::stats::INTERRUPTED, Op::SecondReview),
        })
        .copied()
        .unwrap_or(0);
    let ok = (done..=done + lost).contains(&(scheduled as u64));
    println!(
        "database    {scheduled} campaigns of this run in Scheduled for {done} completed processes{}: {}",
        if lost > 0 {
            format!(" and {lost} whose 复核 was answered by a failover")
        } else {
            String::new()
        },
        if ok { "match" } else { "MISMATCH" }
    );
    Ok(ok)
}

/// Prints the baseline and the ratio; false when any empty workflow failed.
fn report_baseline(processes: &Phase, baseline: &Phase) -> bool {
    let tally = &baseline.tally;
    let secs = baseline.elapsed.as_secs_f64();
    let done = tally.successes(Op::EmptyWorkflow);
    let empty_rate = done as f64 / secs;
    let process_rate =
        processes.tally.successes(Op::Process) as f64 / processes.elapsed.as_secs_f64();
    println!();
    println!(
        "baseline    {done} empty workflows started and completed in {secs:.2} s: {empty_rate:.2} workflows/s"
    );
    for h in tally.latency.values() {
        println!("  start→result {}", summarize(h));
    }
    let passed = crate::print_outcomes("baseline", tally);
    if done > 0 {
        println!(
            "ratio       {process_rate:.2} processes/s / {empty_rate:.2} empty workflows/s = {:.3}",
            process_rate / empty_rate
        );
    } else {
        println!("ratio       none: no empty workflow completed");
    }
    println!(
        "            (one process is a workflow start answered by the update `settled` and three \
         actions, each one update `apply` answered once its step is applied; a step's \
         bookkeeping is one local activity. An empty workflow is one workflow task: a ratio \
         below 1 is expected)"
    );
    passed
}
