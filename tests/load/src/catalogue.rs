//! `--scenario catalogue-browse` (issue 18, MALL-7): the customers' H5 browsing the mall — the
//! home page, a category's products and a product page, in turn — asked as fast as the phones can,
//! against `GET /healthz` on the same server in the same run (the baseline: what the HTTP stack
//! costs with no work). Target: at least 0.3× the baseline's rate, p99 under 50 ms at 200
//! connections.
//!
//! The data: a category `load-browse` with [`PRODUCTS`] listed products of a supplier `LOADGY`,
//! each with one SKU, every fifth tagged 秒杀 (the home page's seckill zone), written straight
//! into the catalogue tables (not through the listing process: this measures the read path, which
//! never touches it). Seeded once and reused by later runs; their codes start with `SP99`. Every
//! answer is checked: 200, and the product page names its product.

use crate::campaign::{Phase, phase};
use crate::http::{Conn, Target};
use crate::seed;
use crate::stats::{Op, Outcome, Tally, summarize};
use bytes::Bytes;
use http_body_util::Full;
use rand::Rng;
use sqlx::PgPool;
use std::time::Duration;

/// Listed products in the load's category.
pub const PRODUCTS: i64 = 50;
const CATEGORY: &str = "load-browse";

pub struct Options {
    pub base_url: String,
    pub connections: usize,
    pub duration: Duration,
    /// Closed loop, or a constant arrival rate per phase.
    pub pace: crate::pace::Pace,
}

fn product(n: i64) -> String {
    format!("SP99{n:012}")
}

/// The category, the supplier and the listed products, unless an earlier run left them.
async fn seed_catalogue(db: &PgPool) -> anyhow::Result<()> {
    let present: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM products WHERE code LIKE 'SP99%' AND status = 'listed'",
    )
    .fetch_one(db)
    .await?;
    if present == PRODUCTS {
        println!("seed: {PRODUCTS} listed products from an earlier run");
        return Ok(());
    }
    let org = seed::head_office(db).await?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM products WHERE code LIKE 'SP99%'")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO mall_categories (code, name, sort, created_at)
         VALUES ($1, '压测类目', 9999, now()) ON CONFLICT (code) DO NOTHING",
    )
    .bind(CATEGORY)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO merchants (code, name, org_id, is_supplier)
         VALUES ('LOADGY', '压测供应商', $1, true)
         ON CONFLICT (code) DO UPDATE SET is_supplier = true",
    )
    .bind(org)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO products (code, supplier_id, category_id, status, name, subtitle, description,
                               tags, created_by, created_at, updated_at, listed_at)
         SELECT 'SP99' || lpad(k::text, 12, '0'), m.id, c.id, 'listed', '压测商品 ' || k,
                '压测副标题', '<p>压测商品详情</p>',
                CASE WHEN k % 5 = 0 THEN ARRAY['秒杀'] ELSE ARRAY['积分好物'] END,
                'quanyi-load', now(), now(), now() - k * interval '1 minute'
           FROM generate_series(0, $1 - 1) AS k, merchants m, mall_categories c
          WHERE m.code = 'LOADGY' AND c.code = $2",
    )
    .bind(PRODUCTS)
    .bind(CATEGORY)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO product_skus (product_id, code, spec, price_points, price_fen, market_price_fen, stock)
         SELECT id, 'STD', '标准装', 1000 + substr(code, 5)::int, 0, 5000, 1000
           FROM products WHERE code LIKE 'SP99%'",
    )
    .execute(&mut *tx)
    .await?;
    // the API's copy of the catalogue goes at commit
    sqlx::query("SELECT pg_notify('quanyi_cache', 'catalogue')")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    println!("seed: {PRODUCTS} listed products in {CATEGORY}");
    Ok(())
}

/// What one request asks.
#[derive(Clone, Copy)]
enum Way {
    Health,
    /// Home, a category, a product page, in turn.
    Browse,
}

impl Way {
    fn op(self) -> Op {
        match self {
            Way::Health => Op::Health,
            Way::Browse => Op::Browse,
        }
    }

    /// Request `k` of a connection, for product `n`.
    fn request(self, k: u64, n: i64) -> (hyper::Request<Full<Bytes>>, Option<String>) {
        let (path, expect) = match (self, k % 3) {
            (Way::Health, _) => ("/healthz".to_owned(), None),
            (Way::Browse, 0) => ("/api/v1/catalogue/home".to_owned(), None),
            (Way::Browse, 1) => (
                format!("/api/v1/catalogue/categories/{CATEGORY}/products"),
                None,
            ),
            (Way::Browse, _) => (
                format!("/api/v1/catalogue/products/{}", product(n)),
                Some(product(n)),
            ),
        };
        let request = hyper::Request::get(path)
            .body(Full::new(Bytes::new()))
            .expect("a valid request");
        (request, expect)
    }

    fn check(self, status: u16, body: &[u8], expect: Option<&str>) -> Outcome {
        let op = self.op();
        if status != 200 {
            let code = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Outcome::Answer { op, status, code };
        }
        match expect {
            Some(code) if !String::from_utf8_lossy(body).contains(code) => Outcome::Failed {
                op,
                error: format!("the page of {code} does not name it"),
            },
            _ => Outcome::Answer {
                op,
                status,
                code: String::new(),
            },
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
    phase(connections, duration, move |task, start| {
        let (target, pace) = (target.clone(), pace.clone());
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
            // connections start at different pages, so all three are asked at every moment
            let mut k = task as u64;
            let began = deadline - duration;
            while let Some(due) = pace.next(began, deadline).await {
                let n = rand::rng().random_range(0..PRODUCTS);
                let (request, expect) = way.request(k, n);
                k += 1;
                let answer = conn.send(request).await;
                let micros = crate::pace::since(due);
                let outcome = match answer {
                    Ok(a) => way.check(a.status, &a.body, expect.as_deref()),
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

/// Prints a phase; its rate, its p99 in milliseconds, and whether every answer was right.
fn report(name: &str, op: Op, phase: &Phase) -> (f64, Option<f64>, bool) {
    let secs = phase.elapsed.as_secs_f64();
    let answered = phase.tally.answered();
    let rate = answered as f64 / secs;
    let summary = phase.tally.latency.get(&op).map(summarize);
    let latency = summary
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    println!("{name:<9} {answered} answered in {secs:.2} s: {rate:.1} req/s  {latency}");
    let mut ok = true;
    for (outcome, count) in &phase.tally.outcomes {
        match outcome.class() {
            crate::stats::Class::Success => {}
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
    (rate, summary.map(|s| s.p99 as f64 / 1000.0), ok)
}

/// The whole scenario; whether every answer was right (the target is reported, not enforced:
/// a debug build or a busy machine measures something else).
pub async fn run(options: &Options, db: &PgPool) -> anyhow::Result<bool> {
    seed_catalogue(db).await?;
    let target = Target::parse(&options.base_url).await?;
    println!(
        "quanyi-load CatalogueBrowse: {} connections, {:?} per phase, {}",
        options.connections, options.duration, options.base_url
    );
    let mut passed = true;
    let mut rates = Vec::new();
    let mut p99 = None;
    for (name, way) in [("healthz", Way::Health), ("browse", Way::Browse)] {
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
        let (rate, tail, ok) = report(name, way.op(), &result);
        passed &= ok;
        rates.push(rate);
        p99 = tail;
    }
    let ratio = rates[1] / rates[0];
    let p99 = p99.unwrap_or(f64::NAN);
    println!(
        "ratio     browse/healthz {ratio:.3} (target ≥ 0.3)  browse p99 {p99:.1} ms (target < 50 ms): {}",
        if ratio >= 0.3 && p99 < 50.0 {
            "on target"
        } else {
            "below target"
        }
    );
    Ok(passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_asks_home_category_and_product_in_turn() {
        let paths: Vec<String> = (0..3)
            .map(|k| Way::Browse.request(k, 7).0.uri().path().to_owned())
            .collect();
        assert_eq!(
            paths,
            [
                "/api/v1/catalogue/home",
                "/api/v1/catalogue/categories/load-browse/products",
                "/api/v1/catalogue/products/SP99000000000007",
            ]
        );
        let (_, expect) = Way::Browse.request(2, 7);
        assert_eq!(
            Way::Browse
                .check(200, b"{\"code\":\"SP99000000000008\"}", expect.as_deref())
                .class(),
            crate::stats::Class::Error
        );
    }
}
