//! What one run measured: a latency histogram per operation and a count per outcome. Each
//! connection keeps its own `Tally` (no shared lock on the hot path); they merge at the end.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

/// What we time: the two calls of the channel API; the five calls of a campaign process, the
/// whole process, and an empty Temporal workflow (campaign-process).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Claim,
    Redeem,
    /// `POST /api/v1/campaigns` by the planner.
    Create,
    /// `POST /api/v1/campaigns/{id}/customers` by the planner: the draft's customer list.
    Upload,
    /// `POST /api/v1/campaigns/{id}/submit` by the planner, answered once 初审 is open.
    Submit,
    /// reviewer1 looking for 初审's task in the inbox, when the submission's answer came before
    /// the task was open.
    Inbox,
    /// 初审: reviewer1's decision, answered once 复核 is open.
    FirstReview,
    /// 复核: reviewer2's decision, answered in Scheduled.
    SecondReview,
    /// The five calls above, one after the other.
    Process,
    /// Start an empty workflow and wait for its result.
    EmptyWorkflow,
    /// `GET /healthz`: channel-delivery's baseline.
    Health,
    /// Channel delivery on the signed channel API.
    DeliveryRest,
    /// Channel delivery through the ESB gateway.
    DeliveryEsb,
    /// staff-rush: a new captcha.
    Captcha,
    /// staff-rush: the login, from its intended start (captcha included).
    SignIn,
    /// staff-rush: 我的待办 and its counts.
    StaffInbox,
    /// staff-rush: a filtered list (campaigns, coupons).
    StaffList,
    /// staff-rush: a campaign's page.
    StaffDetail,
    /// staff-rush: a coupon export (a step-up included when one was asked for).
    StaffExport,
    /// staff-rush: a step-up that failed.
    StepUp,
    /// `points.earn` through the ESB gateway.
    PointsEarn,
    /// catalogue-browse: the H5's home, a category or a product page.
    Browse,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Op::Claim => "claim",
            Op::Redeem => "redeem",
            Op::Create => "create",
            Op::Upload => "upload",
            Op::Submit => "submit",
            Op::Inbox => "inbox",
            Op::FirstReview => "初审",
            Op::SecondReview => "复核",
            Op::Process => "process",
            Op::EmptyWorkflow => "empty workflow",
            Op::Health => "healthz",
            Op::Browse => "browse",
            Op::DeliveryRest => "delivery (REST)",
            Op::DeliveryEsb => "delivery (ESB)",
            Op::Captcha => "captcha",
            Op::SignIn => "sign-in",
            Op::StaffInbox => "inbox",
            Op::StaffList => "list",
            Op::StaffDetail => "detail",
            Op::StaffExport => "export",
            Op::StepUp => "step-up",
            Op::PointsEarn => "points.earn",
        })
    }
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// An HTTP answer: the status and the `QY-` code of a refusal ("" for a 2xx or a body
    /// without a code).
    Answer { op: Op, status: u16, code: String },
    /// No HTTP answer: connect, write or read failed.
    Transport { op: Op, error: String },
    /// Something that is not one HTTP call (a whole process, an empty workflow) finished as it
    /// should.
    Done { op: Op },
    /// It did not, or a call was answered 2xx with less than the next step needs; `error` says
    /// what went wrong in words that do not vary per request.
    Failed { op: Op, error: String },
}

/// Whether an outcome counts against "100 % success".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Success,
    /// An answer the business expects under load: sold out on a claim.
    Business,
    /// With `--failover` only: what docs/operations.md says a client sees while a replica or
    /// PostgreSQL is taken out — no answer (connection refused or reset), or 502/503/504 — and a
    /// process the load generator gave up at such an answer. Counted apart, not as an error; the
    /// scale-out test checks when they happened.
    Failover,
    Error,
}

/// `--failover`: replicas are being killed under this run (tests/scale-out.sh).
static FAILOVER: AtomicBool = AtomicBool::new(false);

pub fn expect_failovers() {
    FAILOVER.store(true, Ordering::Relaxed);
}

pub fn failovers_expected() -> bool {
    FAILOVER.load(Ordering::Relaxed)
}

/// How a process the load generator gave up at a failover answer is noted
/// (`Outcome::Failed { error: "<INTERRUPTED> <op>" }`).
pub const INTERRUPTED: &str = "interrupted by a failover at";

/// A file written line by line from every task (`--events`, `--claims-file`).
pub struct Sink(Mutex<std::io::BufWriter<std::fs::File>>);

impl Sink {
    pub fn create(path: &std::path::Path) -> std::io::Result<Sink> {
        Ok(Sink(Mutex::new(std::io::BufWriter::new(
            std::fs::File::create(path)?,
        ))))
    }

    pub fn line(&self, line: fmt::Arguments<'_>) {
        let mut file = self.0.lock().expect("sink lock");
        // a full disk must not stop the load; the check reading the file will see it short
        let _ = writeln!(file, "{line}");
    }

    pub fn flush(&self) -> std::io::Result<()> {
        self.0.lock().expect("sink lock").flush()
    }
}

/// `--events FILE`: one line per request, `<unix ms>\t<op>\t<class>\t<status and code, or the
/// transport error>\t<latency in ms, or - when not timed>`, for the scale-out test to find when
/// errors happened and how late answers came.
pub static EVENTS: OnceLock<Sink> = OnceLock::new();

fn log_event(outcome: &Outcome, micros: Option<u64>) {
    let Some(sink) = EVENTS.get() else { return };
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let class = match outcome.class() {
        Class::Success => "ok",
        Class::Business => "business",
        Class::Failover => "failover",
        Class::Error => "error",
    };
    let op = outcome.op();
    let latency = micros.map_or("-".to_owned(), |us| format!("{:.1}", us as f64 / 1000.0));
    let detail = match outcome {
        Outcome::Answer { status, code, .. } => format!("{status} {code}"),
        Outcome::Done { .. } => "done".to_owned(),
        Outcome::Transport { error, .. } | Outcome::Failed { error, .. } => error.clone(),
    };
    sink.line(format_args!("{ms}\t{op}\t{class}\t{detail}\t{latency}"));
}

/// The refusals that are correct answers, not failures, under our load.
pub const SOLD_OUT: &str = "QY-BEN-2001";

impl Outcome {
    pub fn op(&self) -> Op {
        match self {
            Outcome::Answer { op, .. }
            | Outcome::Transport { op, .. }
            | Outcome::Done { op }
            | Outcome::Failed { op, .. } => *op,
        }
    }

    /// What a client sees while a replica or PostgreSQL is taken out: no answer, 502/503/504, or
    /// a process given up at one.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Outcome::Transport { .. } => true,
            Outcome::Answer { status, .. } => matches!(status, 502..=504),
            Outcome::Failed { error, .. } => error.starts_with(INTERRUPTED),
            Outcome::Done { .. } => false,
        }
    }

    pub fn class(&self) -> Class {
        if failovers_expected() && self.is_unavailable() {
            return Class::Failover;
        }
        match self {
            Outcome::Answer { status, .. } if (200..300).contains(status) => Class::Success,
            Outcome::Done { .. } => Class::Success,
            Outcome::Answer {
                op: Op::Claim,
                status: 409,
                code,
            } if code == SOLD_OUT => Class::Business,
            _ => Class::Error,
        }
    }
}

/// Latencies are kept in microseconds, 1 µs … 10 min, three significant digits.
fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub latency: BTreeMap<Op, Histogram<u64>>,
    pub outcomes: BTreeMap<Outcome, u64>,
    /// Connections (re)opened after the first one: a sign the server closes keep-alive.
    pub reconnects: u64,
}

impl Tally {
    pub fn record(&mut self, outcome: Outcome, micros: u64) {
        log_event(&outcome, Some(micros));
        let op = outcome.op();
        self.latency
            .entry(op)
            .or_insert_with(new_histogram)
            .saturating_record(micros.max(1));
        *self.outcomes.entry(outcome).or_default() += 1;
    }

    /// Counts an outcome without timing it (a process that stopped early, a failure noticed
    /// after the call it belongs to was timed).
    pub fn note(&mut self, outcome: Outcome) {
        log_event(&outcome, None);
        *self.outcomes.entry(outcome).or_default() += 1;
    }

    pub fn merge(&mut self, other: Tally) {
        for (op, h) in other.latency {
            self.latency
                .entry(op)
                .or_insert_with(new_histogram)
                .add(h)
                .expect("histograms share bounds");
        }
        for (o, n) in other.outcomes {
            *self.outcomes.entry(o).or_default() += n;
        }
        self.reconnects += other.reconnects;
    }

    pub fn requests(&self) -> u64 {
        self.outcomes.values().sum()
    }

    /// Requests that got an HTTP answer (what throughput counts).
    pub fn answered(&self) -> u64 {
        self.outcomes
            .iter()
            .filter(|(o, _)| matches!(o, Outcome::Answer { .. }))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn count(&self, class: Class) -> u64 {
        self.outcomes
            .iter()
            .filter(|(o, _)| o.class() == class)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn successes(&self, op: Op) -> u64 {
        self.outcomes
            .iter()
            .filter(|(o, _)| o.class() == Class::Success && o.op() == op)
            .map(|(_, n)| n)
            .sum()
    }

    /// All operations together.
    pub fn overall(&self) -> Histogram<u64> {
        let mut all = new_histogram();
        for h in self.latency.values() {
            all.add(h).expect("histograms share bounds");
        }
        all
    }
}

/// p50/p95/p99/max of a histogram, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub count: u64,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
    pub max: u64,
}

pub fn summarize(h: &Histogram<u64>) -> Summary {
    Summary {
        count: h.len(),
        p50: h.value_at_quantile(0.50),
        p95: h.value_at_quantile(0.95),
        p99: h.value_at_quantile(0.99),
        max: h.max(),
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |us: u64| us as f64 / 1000.0;
        write!(
            f,
            "p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            ms(self.max)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(op: Op) -> Outcome {
        Outcome::Answer {
            op,
            status: 200,
            code: String::new(),
        }
    }

    #[test]
    fn percentiles_of_one_to_ten_thousand_microseconds() {
        let mut t = Tally::default();
        for us in 1..=10_000 {
            t.record(ok(Op::Claim), us);
        }
        let s = summarize(&t.overall());
        assert_eq!(s.count, 10_000);
        // three significant digits: within 0.1 % of the exact rank
        assert!(s.p50.abs_diff(5_000) <= 5, "{s:?}");
        assert!(s.p95.abs_diff(9_500) <= 10, "{s:?}");
        assert!(s.p99.abs_diff(9_900) <= 10, "{s:?}");
        assert!(s.max.abs_diff(10_000) <= 10, "{s:?}");
        assert_eq!(
            format!(
                "{}",
                summarize(&{
                    let mut h = new_histogram();
                    h.record(1500).unwrap();
                    h
                })
            ),
            "p50 1.50 ms  p95 1.50 ms  p99 1.50 ms  max 1.50 ms"
        );
    }

    #[test]
    fn merged_tallies_add_counts_and_latencies_per_operation() {
        let mut a = Tally::default();
        let mut b = Tally::default();
        a.record(ok(Op::Claim), 100);
        b.record(ok(Op::Claim), 300);
        b.record(ok(Op::Redeem), 1_000_000);
        b.reconnects = 2;
        a.merge(b);
        assert_eq!(a.requests(), 3);
        assert_eq!(a.successes(Op::Claim), 2);
        assert_eq!(a.successes(Op::Redeem), 1);
        assert_eq!(a.latency[&Op::Claim].len(), 2);
        assert_eq!(a.overall().len(), 3);
        assert_eq!(a.reconnects, 2);
        // a zero-time answer is still counted (recorded as 1 µs)
        a.record(ok(Op::Claim), 0);
        assert_eq!(a.latency[&Op::Claim].len(), 3);
    }

    #[test]
    fn sold_out_on_a_claim_is_business_everything_else_refused_is_an_error() {
        let refused = |op, status, code: &str| Outcome::Answer {
            op,
            status,
            code: code.into(),
        };
        assert_eq!(ok(Op::Redeem).class(), Class::Success);
        assert_eq!(refused(Op::Claim, 409, SOLD_OUT).class(), Class::Business);
        assert_eq!(refused(Op::Claim, 409, "QY-BEN-2002").class(), Class::Error);
        assert_eq!(
            refused(Op::Redeem, 409, "QY-BEN-3002").class(),
            Class::Error
        );
        assert_eq!(refused(Op::Claim, 401, "QY-CLI-0004").class(), Class::Error);
        assert_eq!(refused(Op::Claim, 500, "").class(), Class::Error);
        let t = Outcome::Transport {
            op: Op::Claim,
            error: "connection reset".into(),
        };
        assert_eq!(t.class(), Class::Error);
        let mut tally = Tally::default();
        tally.record(refused(Op::Claim, 409, SOLD_OUT), 10);
        tally.record(t, 10);
        tally.record(ok(Op::Claim), 10);
        assert_eq!(tally.requests(), 3);
        assert_eq!(tally.answered(), 2);
        assert_eq!(tally.count(Class::Business), 1);
        assert_eq!(tally.count(Class::Error), 1);
        assert_eq!(tally.count(Class::Success), 1);
    }

    #[test]
    fn what_a_failover_gives_is_no_answer_502_to_504_or_a_process_given_up_at_one() {
        let answer = |status| Outcome::Answer {
            op: Op::Claim,
            status,
            code: String::new(),
        };
        for status in [502, 503, 504] {
            assert!(answer(status).is_unavailable(), "{status}");
        }
        for status in [200, 401, 409, 500, 501] {
            assert!(!answer(status).is_unavailable(), "{status}");
        }
        let reset = Outcome::Transport {
            op: Op::Claim,
            error: "send: connection reset".into(),
        };
        assert!(reset.is_unavailable());
        let given_up = |error: String| Outcome::Failed {
            op: Op::Process,
            error,
        };
        assert!(given_up(format!("{INTERRUPTED} 复核")).is_unavailable());
        assert!(!given_up("stopped at 复核".into()).is_unavailable());
        assert!(!Outcome::Done { op: Op::Process }.is_unavailable());
    }
}
