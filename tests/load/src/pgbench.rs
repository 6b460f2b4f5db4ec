//! The baseline: `pgbench` runs the server's claim transaction as bare SQL against the same
//! PostgreSQL, with as many clients as the API run had connections (capped by what the server
//! still allows), so `API req/s ÷ pgbench tps` says how much of the database's capacity the whole
//! HTTP + signing + application stack reaches.

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use std::path::Path;
use std::time::Duration;

/// Where pgbench connects, split so the password travels in `PGPASSWORD`, not on the command line.
#[derive(Debug)]
pub struct Conninfo {
    /// The URL without the password.
    pub url: String,
    pub password: Option<SecretString>,
}

/// `postgres://user:pw@host:port/db?x` → (`postgres://user@host:port/db?x`, `pw`).
pub fn split_password(url: &str) -> Conninfo {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Conninfo {
            url: url.to_owned(),
            password: None,
        };
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return Conninfo {
            url: url.to_owned(),
            password: None,
        };
    };
    match userinfo.split_once(':') {
        Some((user, password)) => Conninfo {
            url: format!("{scheme}://{user}@{host}{tail}"),
            password: Some(SecretString::from(password.to_owned())),
        },
        None => Conninfo {
            url: url.to_owned(),
            password: None,
        },
    }
}

/// How many pgbench clients the server can still take: `max_connections` less the superuser
/// reserve, less what is connected now (the API's pool among them), less a margin of 5.
pub async fn client_cap(pool: &PgPool) -> anyhow::Result<usize> {
    let (max, reserved, used): (String, String, i64) = sqlx::query_as(
        "SELECT current_setting('max_connections'), \
                current_setting('superuser_reserved_connections'), \
                (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')",
    )
    .fetch_one(pool)
    .await?;
    let max: i64 = max.parse()?;
    let reserved: i64 = reserved.parse()?;
    Ok((max - reserved - used - 5).max(1) as usize)
}

#[derive(Debug)]
pub struct PgbenchResult {
    pub clients: usize,
    pub duration: Duration,
    pub tps: f64,
    pub transactions: u64,
    pub failed: u64,
}

/// Runs `pgbench -n -M prepared -f script` for `duration` and parses its summary.
pub async fn run(
    database_url: &SecretString,
    script: &str,
    clients: usize,
    duration: Duration,
    dir: &Path,
) -> anyhow::Result<PgbenchResult> {
    let file = dir.join("claim.sql");
    std::fs::write(&file, script).with_context(|| format!("cannot write {}", file.display()))?;
    let conninfo = split_password(database_url.expose_secret());
    let mut command = tokio::process::Command::new("pgbench");
    command
        .args(["-n", "-M", "prepared", "-j"])
        .arg(clients.min(2).to_string())
        .arg("-c")
        .arg(clients.to_string())
        .arg("-T")
        .arg(duration.as_secs().max(1).to_string())
        .arg("-f")
        .arg(&file)
        .arg(&conninfo.url)
        .kill_on_drop(true);
    if let Some(password) = &conninfo.password {
        command.env("PGPASSWORD", password.expose_secret());
    }
    let output = command
        .output()
        .await
        .context("cannot run pgbench (is it on PATH? Debian: postgresql-client)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        anyhow::bail!("pgbench failed ({}):\n{stdout}\n{stderr}", output.status);
    }
    parse(&stdout, clients, duration)
        .with_context(|| format!("cannot read pgbench's summary:\n{stdout}\n{stderr}"))
}

fn parse(stdout: &str, clients: usize, duration: Duration) -> anyhow::Result<PgbenchResult> {
    let field = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(str::trim)
    };
    let tps = field("tps = ")
        .and_then(|v| v.split_whitespace().next())
        .context("no tps line")?
        .parse()?;
    let transactions = field("number of transactions actually processed:")
        .and_then(|v| v.split_whitespace().next())
        .context("no transactions line")?
        .parse()?;
    let failed = field("number of failed transactions:")
        .and_then(|v| v.split_whitespace().next())
        .map_or(Ok(0), str::parse)?;
    Ok(PgbenchResult {
        clients,
        duration,
        tps,
        transactions,
        failed,
    })
}

/// pgbench's script: the server's claim transaction (`quanyi_activities::benefits::claim`)
/// statement for statement — spend the nonce and reserve the request's answer, read the template,
/// then the conditional decrement of one stock shard with its coupon and ledger row in one
/// statement — committed, on templates of its own with stock that never runs out. `template` is
/// an SQL expression for the template code.
pub fn claim_script(
    client_id: uuid::Uuid,
    template: &str,
    templates: usize,
    shards: i32,
) -> String {
    // One uuid per transaction, derived from the client and a random draw, used by three rows
    // (the server makes it in Rust; pgbench has no uuid variables).
    let coupon_id = "md5(:client_id::text || '-' || :r::text)::uuid";
    format!(
        r"\set t random(0, {last_template})
\set shard random(0, {last_shard})
\set r random(1, 1000000000000)
\set c random(1, 9999999)
BEGIN;
WITH spent AS (
    INSERT INTO api_nonces (client_id, nonce, seen_at)
    VALUES ('{client_id}', 'pgb-' || :client_id::text || '-' || :r::text, now())
    ON CONFLICT DO NOTHING RETURNING 1),
  reserved AS (
    INSERT INTO claim_requests (client_id, request_id, body_hash, coupon_id, at)
    VALUES ('{client_id}', 'pgb-' || :client_id::text || '-' || :r::text,
            sha256(convert_to(:r::text, 'UTF8')), {coupon_id}, now())
    ON CONFLICT DO NOTHING RETURNING 1)
  SELECT (SELECT count(*) FROM spent), (SELECT count(*) FROM reserved);
SELECT id AS tid, claim_from, claim_to, valid_from, valid_to, valid_days, shards, limit_per_day,
       limit_total, limit_per_campaign
  FROM coupon_templates WHERE code = {template} AND status = 'active' \gset
WITH taken AS (
    UPDATE stock_shards SET remaining = remaining - 1
     WHERE template_id = :tid AND shard = :shard AND remaining >= 1
    RETURNING template_id),
  coupon AS (
    INSERT INTO coupons (id, code, template_id, customer_no, client_id, campaign_id, claimed_at,
                         valid_from, valid_to)
    SELECT {coupon_id}, upper(substr(md5('c' || :client_id::text || '-' || :r::text), 1, 16)),
           template_id, 'PGB' || lpad(:c::text, 7, '0'), '{client_id}', NULL, now(), now(),
           now() + interval '30 days' FROM taken
    RETURNING id, template_id),
  ledger AS (
    INSERT INTO stock_movements (template_id, kind, quantity, coupon_id, at)
    SELECT template_id, 'claim', -1, id, now() FROM coupon)
  SELECT count(*) FROM coupon;
COMMIT;
",
        last_template = templates.max(1) - 1,
        last_shard = shards.max(1) - 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let c = split_password("postgres://quanyi:s3cret@127.0.0.1:54329/quanyi?sslmode=disable");
        assert_eq!(
            c.url,
            "postgres://quanyi@127.0.0.1:54329/quanyi?sslmode=disable"
        );
        assert_eq!(c.password.unwrap().expose_secret(), "s3cret");
        let c = split_password("postgres://quanyi@127.0.0.1/quanyi");
        assert_eq!(c.url, "postgres://quanyi@127.0.0.1/quanyi");
        assert!(c.password.is_none());
    }

    #[test]
    fn reads_the_summary_of_pgbench_15() {
        let out = "pgbench (15.18 (Debian 15.18-0+deb12u1))
transaction type: /tmp/x/claim.sql
scaling factor: 1
query mode: prepared
number of clients: 50
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 61234
number of failed transactions: 0 (0.000%)
latency average = 8.166 ms
initial connection time = 40.123 ms
tps = 6123.456789 (without initial connection time)
";
        let r = parse(out, 50, Duration::from_secs(10)).unwrap();
        assert_eq!(r.transactions, 61234);
        assert_eq!(r.failed, 0);
        assert!((r.tps - 6123.456789).abs() < 1e-6);
    }

    #[test]
    fn the_script_commits_the_conditional_decrement_with_its_coupon_and_ledger_row() {
        let client = uuid::Uuid::nil();
        let s = claim_script(client, "'L1-PGB-HOT'", 1, 16);
        assert!(s.contains(r"\set t random(0, 0)"));
        assert!(s.contains(r"\set shard random(0, 15)"));
        assert!(s.contains("remaining = remaining - 1"));
        assert!(s.contains("AND remaining >= 1\n"));
        assert!(s.contains("code = 'L1-PGB-HOT' AND status = 'active' \\gset"));
        let order: Vec<_> = [
            "BEGIN;",
            "INSERT INTO api_nonces",
            "INSERT INTO claim_requests",
            "UPDATE stock_shards",
            "INSERT INTO coupons",
            "INSERT INTO stock_movements",
            "COMMIT;",
        ]
        .iter()
        .map(|needle| s.find(needle).unwrap_or_else(|| panic!("{needle} missing")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(!s.contains("ROLLBACK"));
    }
}
