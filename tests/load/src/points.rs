//! `--scenario points-earn` (issue 17): the bank's core giving customers points through the ESB
//! service `points.earn`, as fast as it can (closed loop) or at `--rate` a second (open loop).
//! One ESB consumer of the run's own, acting as `--acting-user` (the demo planner: it holds
//! `points:transfer:earn`), earns 1–1000 points for customers drawn from `--customers`, all from
//! the acting user's org's funding account — spread over the ledger's shards, the org's every
//! earning moves one of them, as a real day's feed would. Every answer is checked (`retCode` 000000 and the points asked for); then
//! the ledger must hold exactly the accepted earnings (count and sum), pgbench runs the server's
//! earn transaction statement for statement as the baseline, and `quanyi audit ledger` must find
//! the ledger balanced.

use crate::campaign::{Phase, phase};
use crate::http::{Conn, Target};
use crate::pace::Pace;
use crate::seed;
use crate::sign::Signer;
use crate::stats::{Op, Outcome, Tally};
use anyhow::Context;
use bytes::Bytes;
use http_body_util::Full;
use quanyi_activities::crypto::DataKey;
use rand::Rng;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use uuid::Uuid;

pub struct Options {
    pub base_url: String,
    pub connections: usize,
    pub duration: Duration,
    pub prefix: String,
    pub acting_user: String,
    pub customers: u64,
    pub pace: Pace,
}

/// What the run set up.
pub struct Seeded {
    pub consumer: String,
    pub signer: Signer,
    pub org: Uuid,
}

pub async fn seed(options: &Options, db: &PgPool, key: &DataKey) -> anyhow::Result<Seeded> {
    let org: Uuid = sqlx::query_scalar("SELECT org_id FROM users WHERE username = $1")
        .bind(&options.acting_user)
        .fetch_optional(db)
        .await?
        .with_context(|| format!("no user {} (is the demo bank seeded?)", options.acting_user))?;
    let consumer = seed::client_code(&options.prefix, "pts");
    let (_, secret) = quanyi_activities::esb::register(
        db,
        key,
        quanyi_activities::esb::NewConsumer {
            code: consumer.clone(),
            name: format!("压测 {consumer}"),
            services: vec!["points.earn".into(), "points.balance".into()],
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
    .context("the ESB consumer acts as --acting-user (it needs points:transfer:earn)")?;
    Ok(Seeded {
        signer: Signer::new(consumer.clone(), &secret),
        consumer,
        org,
    })
}

/// The customer number of draw `n`: the run's digits, `P`, seven digits.
fn customer(prefix: &str, n: u64) -> String {
    let digits: String = prefix.chars().filter(char::is_ascii_digit).collect();
    format!("L{digits}P{n:07}")
}

fn earn_request(
    seeded: &Seeded,
    serial: &str,
    customer: &str,
    points: i64,
) -> hyper::Request<Full<Bytes>> {
    let path = "/esb/v1/points.earn";
    let body = serde_json::json!({
        "sysHead": {"serviceCode": "points.earn", "consumerId": seeded.consumer,
                    "consumerSeqNo": serial, "tranDate": "20261207", "tranTime": "120000"},
        "body": {"customer_no": customer, "org_id": seeded.org, "points": points,
                 "memo": "压测刷卡积分"},
    })
    .to_string();
    let signed = seeded.signer.sign("POST", path, body.as_bytes());
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

/// Whether an answer is the earning asked for.
pub fn check(status: u16, body: &[u8], points: i64) -> Outcome {
    let op = Op::PointsEarn;
    if status != 200 {
        return Outcome::Answer {
            op,
            status,
            code: String::new(),
        };
    }
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Outcome::Failed {
            op,
            error: "not JSON".into(),
        };
    };
    let ret = answer["sysHead"]["retCode"].as_str().unwrap_or_default();
    if ret != "000000" {
        let code = answer["body"]["code"].as_str().unwrap_or_default();
        return Outcome::Failed {
            op,
            error: format!("retCode {ret} {code}"),
        };
    }
    if answer["body"]["points"].as_i64() != Some(points) || answer["body"]["code"] != "earn" {
        return Outcome::Failed {
            op,
            error: "an answer that is not the earning asked for".into(),
        };
    }
    Outcome::Answer {
        op,
        status,
        code: String::new(),
    }
}

/// The measured phase; the points the accepted earnings gave.
pub async fn drive(options: &Options, seeded: Arc<Seeded>) -> anyhow::Result<(Phase, i64)> {
    let target = Target::parse(&options.base_url).await?;
    let given = Arc::new(AtomicI64::new(0));
    let run: u32 = rand::rng().random();
    let (customers, pace, prefix, duration) = (
        options.customers.max(1),
        options.pace.clone(),
        options.prefix.clone(),
        options.duration,
    );
    let result = phase(options.connections, options.duration, {
        let given = given.clone();
        move |task, start| {
            let (target, seeded, pace, given, prefix) = (
                target.clone(),
                seeded.clone(),
                pace.clone(),
                given.clone(),
                prefix.clone(),
            );
            async move {
                let mut conn = Conn::new(target);
                let mut tally = Tally::default();
                let opened = conn.connect().await;
                let deadline = start.wait().await;
                if let Err(error) = opened {
                    tally.note(Outcome::Transport {
                        op: Op::PointsEarn,
                        error,
                    });
                    return tally;
                }
                let began = deadline - duration;
                let mut k = 0u64;
                let mut mine = 0i64;
                while let Some(due) = pace.next(began, deadline).await {
                    let (n, points) = {
                        let mut rng = rand::rng();
                        (
                            rng.random_range(0..customers),
                            rng.random_range(1..=1000i64),
                        )
                    };
                    let serial = format!("{run:08x}{task:05}{k:09}");
                    k += 1;
                    let answer = conn
                        .send(earn_request(
                            &seeded,
                            &serial,
                            &customer(&prefix, n),
                            points,
                        ))
                        .await;
                    let micros = crate::pace::since(due);
                    let outcome = match answer {
                        Ok(a) => check(a.status, &a.body, points),
                        Err(error) => Outcome::Transport {
                            op: Op::PointsEarn,
                            error,
                        },
                    };
                    if outcome.class() == crate::stats::Class::Success {
                        mine += points;
                    }
                    tally.record(outcome, micros);
                }
                given.fetch_add(mine, Ordering::Relaxed);
                tally.reconnects = conn.reconnects();
                tally
            }
        }
    })
    .await;
    Ok((result, given.load(Ordering::Relaxed)))
}

/// The ledger's own count of the run's earnings: (transfers, points).
pub async fn recorded(db: &PgPool, seeded: &Seeded) -> anyhow::Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT count(*), coalesce(sum(amount), 0)::bigint FROM ledger_transfers
          WHERE request_key LIKE $1 AND code = 'earn'",
    )
    .bind(format!("esb:{}:%", seeded.consumer))
    .fetch_one(db)
    .await?)
}

/// pgbench's script: the server's earn (`quanyi_activities::ledger::execute` for
/// `points::earn`) statement for statement — reserve the idempotency key, create the two
/// accounts unless they exist, write the transfer with its postings, record the answer, move the
/// customer's account (conditionally) then the funding account, make the earning's point lot —
/// committed. Its own customers
/// (`PGB…`) and its own funding account of the same org, spread over as many shards as the
/// server's (customer `c` on shard `c mod SHARDS`).
pub fn earn_script(prefix: &str, org: Uuid, customers: u64) -> String {
    // no colon in a literal: pgbench -M prepared reads `:name` inside quotes as a variable too
    let funding_code = format!("pgb-funding-{}", prefix.trim_end_matches('-'));
    format!(
        r"\set c random(0, {last})
\set r random(1, 1000000000000)
\set p random(1, 1000)
\set s mod(:c, {shards})
BEGIN;
INSERT INTO ledger_requests (key, body_hash, actor, at)
VALUES ('pgb-' || :client_id::text || '-' || :r::text, sha256(convert_to(:r::text, 'UTF8')), 'pgbench', now())
ON CONFLICT DO NOTHING RETURNING 1 AS one;
INSERT INTO ledger_accounts (id, code, unit, normal_side, no_negative, kind, customer_no, org_id, created_at)
SELECT a.id, a.code, a.unit, a.side, a.flag, a.kind, a.customer_no, a.org_id, now()
  FROM unnest(ARRAY[md5('pgb-c-' || :c::text)::uuid, md5('{funding_code}-' || :s::text)::uuid],
              ARRAY['pgb-customer-PGB' || lpad(:c::text, 7, '0'), '{funding_code}-' || :s::text],
              ARRAY['points', 'points'], ARRAY['credit', 'debit'], ARRAY[true, false],
              ARRAY['customer', 'funding'], ARRAY['PGB' || lpad(:c::text, 7, '0'), NULL],
              ARRAY[NULL, '{org}'::uuid])
       AS a (id, code, unit, side, flag, kind, customer_no, org_id)
 WHERE a.org_id IS NULL OR EXISTS (SELECT 1 FROM orgs o WHERE o.id = a.org_id)
ON CONFLICT DO NOTHING;
WITH a AS (
    SELECT d.code AS debit, d.unit AS debit_unit, d.no_negative AS debit_flagged,
           c.code AS credit, c.unit AS credit_unit, c.no_negative AS credit_flagged
      FROM ledger_accounts d, ledger_accounts c
     WHERE d.id = md5('{funding_code}-' || :s::text)::uuid AND c.id = md5('pgb-c-' || :c::text)::uuid),
  t AS (
    INSERT INTO ledger_transfers (id, request_key, position, kind, debit_account_id,
        credit_account_id, amount, unit, pending_id, expires_at, corrects_id, code, memo, created_at)
    SELECT md5(:client_id::text || '-' || :r::text)::uuid, 'pgb-' || :client_id::text || '-' || :r::text, 0, 'single',
           md5('{funding_code}-' || :s::text)::uuid, md5('pgb-c-' || :c::text)::uuid, :p::bigint, a.debit_unit, NULL, NULL,
           NULL, 'earn', '压测刷卡积分', now()
      FROM a WHERE a.debit_unit = a.credit_unit
    RETURNING id, seq),
  p AS (
    INSERT INTO ledger_postings (transfer_id, account_id, side, amount, pending, seq)
    SELECT t.id, x.account, x.side, :p::bigint, false, t.seq
      FROM t, (VALUES (md5('{funding_code}-' || :s::text)::uuid, 'debit'), (md5('pgb-c-' || :c::text)::uuid, 'credit'))
           AS x (account, side))
SELECT a.debit, a.debit_unit, a.debit_flagged, a.credit, a.credit_unit, a.credit_flagged,
       (SELECT count(*) FROM t) AS written
  FROM a;
UPDATE ledger_requests
   SET transfer_ids = ARRAY[md5(:client_id::text || '-' || :r::text)::uuid],
       answer = jsonb_build_array(jsonb_build_object(
           'id', md5(:client_id::text || '-' || :r::text)::uuid, 'kind', 'single', 'code', 'earn',
           'debit_account', '{funding_code}-' || :s::text, 'credit_account', 'pgb-customer-PGB' || lpad(:c::text, 7, '0'),
           'amount', :p::bigint, 'unit', 'points', 'pending_id', NULL, 'corrects_id', NULL,
           'expires_at', NULL, 'memo', '压测刷卡积分', 'created_at', now()))
 WHERE key = 'pgb-' || :client_id::text || '-' || :r::text;
UPDATE ledger_accounts
   SET debits_posted = debits_posted + 0, credits_posted = credits_posted + :p::bigint,
       debits_pending = debits_pending + 0, credits_pending = credits_pending + 0
 WHERE id = md5('pgb-c-' || :c::text)::uuid
   AND (NOT no_negative OR CASE normal_side
         WHEN 'credit' THEN (credits_posted + :p::bigint) - (debits_posted + 0) - (debits_pending + 0)
         ELSE (debits_posted + 0) - (credits_posted + :p::bigint) - (credits_pending + 0) END >= 0)
RETURNING 1 AS one;
UPDATE ledger_accounts
   SET debits_posted = debits_posted + :p::bigint, credits_posted = credits_posted + 0,
       debits_pending = debits_pending + 0, credits_pending = credits_pending + 0
 WHERE id = md5('{funding_code}-' || :s::text)::uuid
   AND (NOT no_negative OR CASE normal_side
         WHEN 'credit' THEN (credits_posted + 0) - (debits_posted + :p::bigint) - (debits_pending + 0)
         ELSE (debits_posted + :p::bigint) - (credits_posted + 0) - (credits_pending + 0) END >= 0)
RETURNING 1 AS one;
INSERT INTO point_lots (id, transfer_id, account_id, customer_no, points, remaining, earned_at, expires_at)
SELECT x.id, x.id, x.account, a.customer_no, x.points, x.points, now(),
       make_timestamptz(extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int
                        + coalesce((SELECT value FROM parameters WHERE key = 'points.lot.expiry_years'), 2)::int
                        + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai')
  FROM (VALUES (md5(:client_id::text || '-' || :r::text)::uuid, md5('pgb-c-' || :c::text)::uuid, :p::bigint))
       AS x (id, account, points)
  JOIN ledger_accounts a ON a.id = x.account;
COMMIT;
",
        last = customers.max(1) - 1,
        shards = quanyi_activities::points::SHARDS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_are_valid_customer_numbers() {
        let no = customer("L1765000000-", 42);
        assert_eq!(no, "L1765000000P0000042");
        assert!(no.len() <= 32 && no.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn only_the_earning_asked_for_is_a_success() {
        let ok = br#"{"sysHead":{"retCode":"000000"},"body":{"code":"earn","points":7}}"#;
        assert_eq!(check(200, ok, 7).class(), crate::stats::Class::Success);
        assert_eq!(check(200, ok, 8).class(), crate::stats::Class::Error);
        let refused = br#"{"sysHead":{"retCode":"BIZ-C-0003"},"body":{"code":"QY-LED-0016"}}"#;
        assert_eq!(
            check(200, refused, 7),
            Outcome::Failed {
                op: Op::PointsEarn,
                error: "retCode BIZ-C-0003 QY-LED-0016".into()
            }
        );
        assert_eq!(check(502, b"", 7).class(), crate::stats::Class::Error);
    }

    #[test]
    fn the_script_is_the_servers_earn_statement_for_statement() {
        let s = earn_script("L1-", Uuid::nil(), 1000);
        let order: Vec<_> = [
            "BEGIN;",
            "INSERT INTO ledger_requests",
            "INSERT INTO ledger_accounts",
            "INSERT INTO ledger_transfers",
            "INSERT INTO ledger_postings",
            "UPDATE ledger_requests",
            "UPDATE ledger_accounts",
            "WHERE id = md5('pgb-c-'",
            "WHERE id = md5('pgb-funding-L1-' || :s::text)",
            "COMMIT;",
        ]
        .iter()
        .map(|needle| s.find(needle).unwrap_or_else(|| panic!("{needle} missing")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(s.contains(r"\set c random(0, 999)"));
        assert!(s.contains(r"\set s mod(:c, 16)"));
        assert!(!s.contains("ROLLBACK"));
        // pgbench -M prepared would take `:name` in a literal for a variable
        for literal in s.split('\'').skip(1).step_by(2) {
            assert!(!literal.contains(':'), "a colon in '{literal}'");
        }
    }
}
