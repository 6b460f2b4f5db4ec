//! `--scenario channel-delivery` (issue 6, MKT-8): what a channel shows a customer, asked as fast
//! as the channels can, three ways in one run, each for `--duration` with `--connections`:
//!
//! 1. `GET /healthz` on the same server: the baseline, what the HTTP stack costs with no work;
//! 2. the signed channel API, `GET /api/channel/v1/channels/mobile_banking/campaigns?customer=`;
//! 3. the ESB service `channel.campaigns.query`, signed envelopes with a fresh serial number each.
//!
//! The data: 100 running campaigns on `mobile_banking` and a customer list of 1,000,000 rows (each
//! campaign 10,000 customers of a population of 200,000, so every customer is in exactly five
//! lists). They are written straight into the read model (`campaigns`, `process_instances` in
//! 进行中, `campaign_customers`), not through Temporal: this measures the delivery path, which
//! never touches Temporal. Seeded once and reused by later runs on the same database; their
//! campaign codes start with `HD99`. Customers are drawn from 220,000 numbers, so about one in
//! eleven is in no list. Every answer is checked: five entries for a customer of the population,
//! none for the others (no frequency cap is set, so the count never shrinks).

use crate::campaign::{Phase, phase};
use crate::http::{Conn, Target};
use crate::seed;
use crate::sign::Signer;
use crate::stats::{Op, Outcome, Tally, summarize};
use anyhow::Context;
use bytes::Bytes;
use http_body_util::Full;
use quanyi_activities::crypto::DataKey;
use rand::Rng;
use sqlx::PgPool;
use std::time::{Duration, Instant};

pub const CAMPAIGNS: i64 = 100;
pub const PER_CAMPAIGN: i64 = 10_000;
pub const POPULATION: i64 = 200_000;
/// Customers are drawn from this many numbers; those at or above [`POPULATION`] are in no list.
const DRAWN_FROM: i64 = 220_000;
/// How many lists a customer of the population is in.
const LISTS_PER_CUSTOMER: usize = (CAMPAIGNS * PER_CAMPAIGN / POPULATION) as usize;

pub struct Options {
    pub base_url: String,
    pub connections: usize,
    pub duration: Duration,
    pub prefix: String,
    /// The staff user the ESB consumer acts as (needs `campaign:delivery:view`).
    pub acting_user: String,
    /// Closed loop, or a constant arrival rate per phase.
    pub pace: crate::pace::Pace,
}

fn customer(n: i64) -> String {
    format!("LD{n:08}")
}

/// The 100 campaigns and their lists, unless an earlier run left them.
async fn seed_campaigns(db: &PgPool) -> anyhow::Result<()> {
    let present: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM campaigns c JOIN process_instances p
             ON p.workflow_id = 'campaign-' || c.id::text AND p.state = 'Running'
          WHERE c.code LIKE 'HD99%'",
    )
    .fetch_one(db)
    .await?;
    let listed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM campaign_customers cc JOIN campaigns c ON c.id = cc.campaign_id
          WHERE c.code LIKE 'HD99%'",
    )
    .fetch_one(db)
    .await?;
    if present == CAMPAIGNS && listed == CAMPAIGNS * PER_CAMPAIGN {
        println!("seed: {CAMPAIGNS} running campaigns and {listed} list rows from an earlier run");
        return Ok(());
    }
    let began = Instant::now();
    let org = seed::head_office(db).await?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "DELETE FROM process_instances WHERE workflow_id IN
             (SELECT 'campaign-' || id::text FROM campaigns WHERE code LIKE 'HD99%')",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM campaigns WHERE code LIKE 'HD99%'")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO campaigns (code, name, type, org_id, channels, start_at, end_at, budget_fen,
                                created_by, created_at, updated_at, priority, entry_title,
                                entry_image_url, entry_link, benefit_summary, customers_total)
         SELECT 'HD99' || lpad(k::text, 12, '0'), '压测投放活动 ' || k, 'grant', $1,
                ARRAY['mobile_banking'], now() - interval '1 day', now() + interval '30 days',
                100000000, 'quanyi-load', now(), now(), (k * 37) % 1000, '压测入口 ' || k,
                'https://cdn.bank.example/load/' || k || '.png', '/mobile/campaigns/' || k,
                '满 100 减 ' || (k % 50 + 1) || ' 元', $2
           FROM generate_series(0, $3 - 1) AS k",
    )
    .bind(org)
    .bind(PER_CAMPAIGN as i32)
    .bind(CAMPAIGNS)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO process_instances (workflow_id, process_type, business_key, state, org_id,
                                        started_by, last_seq, started_at, updated_at, title)
         SELECT 'campaign-' || id::text, 'campaign', id::text, 'Running', org_id, 'quanyi-load',
                1, now(), now(), name
           FROM campaigns WHERE code LIKE 'HD99%'",
    )
    .execute(&mut *tx)
    .await?;
    // campaign k lists the customers k*2000 … k*2000+9999 (mod the population)
    sqlx::query(
        "INSERT INTO campaign_customers (campaign_id, customer_no)
         SELECT c.id, 'LD' || lpad((((substr(c.code, 5)::bigint * ($1 / $2)) + i) % $1)::text, 8, '0')
           FROM campaigns c, generate_series(0, $3 - 1) AS i
          WHERE c.code LIKE 'HD99%'",
    )
    .bind(POPULATION)
    .bind(CAMPAIGNS)
    .bind(PER_CAMPAIGN)
    .execute(&mut *tx)
    .await?;
    // the API's copy of the running campaigns goes at commit
    sqlx::query("SELECT pg_notify('quanyi_cache', 'campaigns')")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    sqlx::query("ANALYZE campaign_customers")
        .execute(db)
        .await?;
    println!(
        "seed: {CAMPAIGNS} running campaigns, {} list rows in {:.1} s",
        CAMPAIGNS * PER_CAMPAIGN,
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// How one connection asks.
#[derive(Clone)]
enum Way {
    Health,
    Rest(Signer),
    Esb { signer: Signer, consumer: String },
}

impl Way {
    fn op(&self) -> Op {
        match self {
            Way::Health => Op::Health,
            Way::Rest(_) => Op::DeliveryRest,
            Way::Esb { .. } => Op::DeliveryEsb,
        }
    }

    fn request(&self, n: i64, serial: &str) -> hyper::Request<Full<Bytes>> {
        match self {
            Way::Health => hyper::Request::get("/healthz")
                .body(Full::new(Bytes::new()))
                .expect("a valid request"),
            Way::Rest(signer) => {
                let path = format!(
                    "/api/channel/v1/channels/mobile_banking/campaigns?customer={}",
                    customer(n)
                );
                let signed = signer.sign("GET", &path, b"");
                hyper::Request::get(path)
                    .header("x-qy-client", signed.client)
                    .header("x-qy-timestamp", signed.timestamp)
                    .header("x-qy-nonce", signed.nonce)
                    .header("x-qy-signature", signed.signature)
                    .body(Full::new(Bytes::new()))
                    .expect("a valid request")
            }
            Way::Esb { signer, consumer } => {
                let path = "/esb/v1/channel.campaigns.query";
                let body = serde_json::json!({
                    "sysHead": {"serviceCode": "channel.campaigns.query", "consumerId": consumer,
                                "consumerSeqNo": serial, "tranDate": "20261126",
                                "tranTime": "120000"},
                    "body": {"channel_code": "mobile_banking", "customer_no": customer(n)},
                })
                .to_string();
                let signed = signer.sign("POST", path, body.as_bytes());
                hyper::Request::post(path)
                    .header(
                        hyper::header::CONTENT_TYPE,
                        "application/json; charset=utf-8",
                    )
                    .header("x-qy-client", signed.client)
                    .header("x-qy-timestamp", signed.timestamp)
                    .header("x-qy-nonce", signed.nonce)
                    .header("x-qy-signature", signed.signature)
                    .body(Full::new(Bytes::from(body)))
                    .expect("a valid request")
            }
        }
    }

    /// Whether the answer is what customer `n` must see.
    fn check(&self, n: i64, status: u16, body: &[u8]) -> Outcome {
        let op = self.op();
        if status != 200 {
            let code = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Outcome::Answer { op, status, code };
        }
        if matches!(self, Way::Health) {
            return Outcome::Answer {
                op,
                status,
                code: String::new(),
            };
        }
        let text = String::from_utf8_lossy(body);
        if matches!(self, Way::Esb { .. }) && !text.contains("\"retCode\":\"000000\"") {
            return Outcome::Failed {
                op,
                error: "retCode not 000000".into(),
            };
        }
        let entries = text.matches("\"campaign_id\"").count();
        let expected = if n < POPULATION {
            LISTS_PER_CUSTOMER
        } else {
            0
        };
        if entries == expected {
            Outcome::Answer {
                op,
                status,
                code: String::new(),
            }
        } else {
            Outcome::Failed {
                op,
                error: format!("{entries} entries where {expected} are due"),
            }
        }
    }
}

async fn ask(
    target: Target,
    way: Way,
    connections: usize,
    duration: Duration,
    pace: crate::pace::Pace,
) -> Phase {
    let prefix: u64 = rand::rng().random();
    phase(connections, duration, move |task, start| {
        let (target, way, pace) = (target.clone(), way.clone(), pace.clone());
        async move {
            let mut conn = Conn::new(target);
            let mut tally = Tally::default();
            let opened = conn.connect().await;
            let deadline = start.wait().await;
            if let Err(e) = opened {
                tally.note(Outcome::Transport {
                    op: way.op(),
                    error: e,
                });
                return tally;
            }
            let mut k = 0u64;
            let began = deadline - duration;
            while let Some(due) = pace.next(began, deadline).await {
                let n = rand::rng().random_range(0..DRAWN_FROM);
                let serial = format!("{:x}{task:04x}{k:08x}", prefix & 0xffff_ffff);
                k += 1;
                let answer = conn.send(way.request(n, &serial)).await;
                let micros = crate::pace::since(due);
                let outcome = match answer {
                    Ok(a) => way.check(n, a.status, &a.body),
                    Err(error) => Outcome::Transport {
                        op: way.op(),
                        error,
                    },
                };
                tally.record(outcome, micros);
            }
            tally.reconnects = conn.reconnects();
            tally
        }
    })
    .await
}

/// Prints a phase; its rate, and whether every answer was right.
fn report(name: &str, op: Op, phase: &Phase) -> (f64, bool) {
    let secs = phase.elapsed.as_secs_f64();
    let answered = phase.tally.answered();
    let rate = answered as f64 / secs;
    let latency = phase
        .tally
        .latency
        .get(&op)
        .map(|h| summarize(h).to_string())
        .unwrap_or_default();
    println!("{name:<9} {answered} answered in {secs:.2} s: {rate:.1} req/s  {latency}");
    let mut ok = true;
    for (outcome, count) in &phase.tally.outcomes {
        match outcome.class() {
            crate::stats::Class::Success => {}
            // --failover: counted apart, the scale-out test checks when they came
            crate::stats::Class::Failover => {
                println!("          {count} × {outcome:?} (failover, counted apart)")
            }
            _ => {
                println!("          {count} × {outcome:?}");
                ok = false;
            }
        }
    }
    if phase.tally.reconnects > 0 {
        println!("          {} reconnects", phase.tally.reconnects);
    }
    (rate, ok)
}

/// The whole scenario; whether every answer of every phase was right.
pub async fn run(options: &Options, db: &PgPool, key: &DataKey) -> anyhow::Result<bool> {
    seed_campaigns(db).await?;
    let (_, channel) = seed::register(
        db,
        key,
        seed::client_code(&options.prefix, "ch"),
        quanyi_activities::benefits::clients::ClientKind::Channel,
        None,
    )
    .await?;
    let consumer = seed::client_code(&options.prefix, "esb");
    let (_, secret) = quanyi_activities::esb::register(
        db,
        key,
        quanyi_activities::esb::NewConsumer {
            code: consumer.clone(),
            name: format!("压测 {consumer}"),
            services: vec!["channel.campaigns.query".into()],
            source_networks: None,
            rate_per_second: 100_000,
            burst: 100_000,
            acting_username: options.acting_user.clone(),
        },
        chrono::Utc::now(),
        seed::by(),
    )
    .await?
    .map_err(|r| anyhow::anyhow!("ESB consumer {consumer}: {r:?}"))
    .context("the ESB consumer acts as --acting-user")?;
    let esb = Way::Esb {
        signer: Signer::new(consumer.clone(), &secret),
        consumer,
    };
    let target = Target::parse(&options.base_url).await?;
    println!(
        "quanyi-load ChannelDelivery: {} connections, {:?} per phase, {}",
        options.connections, options.duration, options.base_url
    );
    let mut passed = true;
    let mut rates = Vec::new();
    for (name, way) in [
        ("healthz", Way::Health),
        ("rest", Way::Rest(channel)),
        ("esb", esb),
    ] {
        let op = way.op();
        // each phase has its own schedule, from its own start
        let pace = crate::pace::Pace::new(match &options.pace {
            crate::pace::Pace::Open { per_second, .. } => Some(*per_second as u32),
            crate::pace::Pace::Closed => None,
        });
        let result = ask(
            target.clone(),
            way,
            options.connections,
            options.duration,
            pace,
        )
        .await;
        let (rate, ok) = report(name, op, &result);
        passed &= ok;
        rates.push(rate);
    }
    println!(
        "ratio     rest/healthz {:.3}  esb/healthz {:.3}",
        rates[1] / rates[0],
        rates[2] / rates[0]
    );
    Ok(passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_customer_of_the_population_is_in_five_lists() {
        let mut lists = vec![0usize; POPULATION as usize];
        for k in 0..CAMPAIGNS {
            for i in 0..PER_CAMPAIGN {
                lists[((k * (POPULATION / CAMPAIGNS) + i) % POPULATION) as usize] += 1;
            }
        }
        assert!(lists.iter().all(|&n| n == LISTS_PER_CUSTOMER));
        assert_eq!(LISTS_PER_CUSTOMER, 5);
    }

    #[test]
    fn an_answer_is_right_only_with_the_entries_due() {
        let way = Way::Health;
        assert_eq!(
            way.check(0, 200, b"ok").class(),
            crate::stats::Class::Success
        );
        let signer = Signer::new("c", b"k");
        let rest = Way::Rest(signer);
        let five = r#"{"items":[{"campaign_id":1},{"campaign_id":2},{"campaign_id":3},{"campaign_id":4},{"campaign_id":5}]}"#;
        assert_eq!(
            rest.check(7, 200, five.as_bytes()).class(),
            crate::stats::Class::Success
        );
        assert_eq!(
            rest.check(POPULATION + 1, 200, five.as_bytes()).class(),
            crate::stats::Class::Error
        );
        assert_eq!(
            rest.check(POPULATION + 1, 200, br#"{"items":[]}"#).class(),
            crate::stats::Class::Success
        );
        assert_eq!(
            rest.check(7, 401, br#"{"code":"QY-CLI-0003"}"#).class(),
            crate::stats::Class::Error
        );
    }
}
