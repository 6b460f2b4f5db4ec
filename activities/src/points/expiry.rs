//! 积分过期 and 到期提醒 (BEN-7): the nightly run that posts the remainders of the lots expired at
//! a date to the expired-points account, and the reminder sent before a lot expires.
//!
//! The expiry run walks the customer accounts that have lots due (expiring at or before the
//! start of the run's date, Beijing time), a chunk of accounts per transaction. For each account
//! of a chunk it writes one ledger transfer of the due lots' remainders to `points:expired`
//! under the idempotency key `points-expiry:<date>:<customer>`, the lots' uses and their zeroed
//! remainders, and the accounts' balances — all of it set-based, in one statement, with the
//! request insert `ON CONFLICT DO NOTHING` deciding which customers are new. A run killed at any
//! point (SIGKILL included) has committed whole chunks only; run again for the same date, it
//! finds the finished customers without due lots, and a customer whose key exists is never
//! posted twice. Only one run goes at a time (a session advisory lock, released when its
//! connection ends, as a killed process's does); it marks the runs that died before it as
//! failed in the batch log, where every run shows its progress.
//!
//! The reminder run finds the lots with points left that expire within the reminder window
//! (`points.reminder.days`, 30 by default) and were not reminded yet, and queues one SMS per
//! customer through the notification outbox, recording each lot reminded (once per lot, and so
//! per customer and lot), in the same transaction.

use crate::batch::{self, BatchRun, Job};
use crate::clock::Clock;
use crate::customers::keys::CustomerKeys;
use crate::ledger::{NewAccount, Side, Unit};
use crate::notify::{self, Channel, Outgoing};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::time::Duration;
use uuid::Uuid;

/// Where expired points go (积分过期): what the bank no longer owes (credit-normal, unbounded).
pub const EXPIRED: &str = "points:expired";

/// The parameter naming how many days before a lot expires its customer is reminded.
pub const REMINDER_DAYS_PARAMETER: &str = "points.reminder.days";
pub const DEFAULT_REMINDER_DAYS: i64 = 30;

/// The SMS template of the reminder.
pub const REMINDER_TEMPLATE: &str = "QY_POINTS_EXPIRY";

/// The lock that keeps to one expiry run at a time (an arbitrary constant of this job).
const EXPIRY_LOCK: i64 = 0x5159_5054_4558_5031;
const REMINDER_LOCK: i64 = 0x5159_5054_5245_4d31;

pub fn expired_account() -> NewAccount {
    NewAccount {
        code: EXPIRED.into(),
        unit: Unit::Points,
        normal_side: Side::Credit,
        no_negative: false,
        kind: "expired",
        customer_no: None,
        org_id: None,
    }
}

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

/// The start of `date` in Beijing: a lot whose `expires_at` is at or before it is expired at
/// `date`.
pub fn cutoff(date: NaiveDate) -> DateTime<Utc> {
    beijing()
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("a fixed offset has one midnight")
        .with_timezone(&Utc)
}

/// The bank's date at `now` (Beijing).
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&beijing()).date_naive()
}

/// How a run goes: accounts per transaction, and a pause between transactions (to leave the
/// database room during business hours; zero at night).
#[derive(Debug, Clone, Copy)]
pub struct RunSettings {
    pub chunk: i64,
    pub pause: Duration,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            chunk: 1000,
            pause: Duration::ZERO,
        }
    }
}

/// The nightly runs: when (Beijing time) and how.
#[derive(Debug, Clone, Copy)]
pub struct Nightly {
    pub at: NaiveTime,
    pub run: RunSettings,
}

impl Nightly {
    /// How long from `now` until the next `at`, Beijing time (a whole day when it is `at` now).
    pub fn until_next(&self, now: DateTime<Utc>) -> Duration {
        let local = now.with_timezone(&beijing());
        let today_at = local.date_naive().and_time(self.at);
        let next = if today_at > local.naive_local() {
            today_at
        } else {
            today_at + chrono::Duration::days(1)
        };
        (next - local.naive_local())
            .to_std()
            .unwrap_or(Duration::ZERO)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("another run of {0} is going")]
    AlreadyRunning(&'static str),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// What an expiry run did.
#[derive(Debug, Clone)]
pub struct Expired {
    pub run: BatchRun,
    /// Customers posted by this run.
    pub customers: i64,
    pub points: i64,
    /// Customers with due lots whose key for this date was posted before (by an earlier run):
    /// left as they are.
    pub skipped: i64,
    /// Earlier runs found dead and marked failed.
    pub interrupted: u64,
}

/// A session lock on a connection of its own, detached from the pool: closing it (or the
/// process dying) releases the lock.
pub(super) async fn lock(
    pool: &PgPool,
    key: i64,
    job: &'static str,
) -> Result<sqlx::PgConnection, RunError> {
    let mut conn = pool.acquire().await?.detach();
    let locked: bool = sqlx::query_scalar!(r#"SELECT pg_try_advisory_lock($1) AS "locked!""#, key)
        .fetch_one(&mut conn)
        .await?;
    if !locked {
        return Err(RunError::AlreadyRunning(job));
    }
    Ok(conn)
}

/// Releases the lock before the connection goes: a dropped connection's backend releases its
/// locks only when it notices and exits, and a run started right after would find it held.
pub(super) async fn unlock(mut conn: sqlx::PgConnection, key: i64) {
    use sqlx::Connection;
    // a failure here means the connection is gone, and its locks with it
    let _ = sqlx::query_scalar!(r#"SELECT pg_advisory_unlock($1) AS "unlocked!""#, key)
        .fetch_one(&mut conn)
        .await;
    let _ = conn.close().await;
}

/// The expiry run for `date`: the lots expired at its start posted to [`EXPIRED`], a ledger
/// transfer per customer. Recorded in the batch log (`points_expiry`) whatever its outcome.
#[tracing::instrument(skip(pool, clock))]
pub async fn expire(
    pool: &PgPool,
    date: NaiveDate,
    settings: RunSettings,
    triggered_by: &str,
    clock: &dyn Clock,
) -> Result<Expired, RunError> {
    let lock = lock(pool, EXPIRY_LOCK, "points_expiry").await?;
    let interrupted = batch::interrupted(pool, Job::PointsExpiry, clock.now()).await?;
    let run = batch::start(pool, Job::PointsExpiry, triggered_by, clock.now()).await?;
    let outcome = expire_chunks(pool, run, date, settings, clock).await;
    let recorded = match &outcome {
        Ok((customers, _, _)) => Ok(*customers),
        Err(e) => {
            tracing::error!(error = %e, "the points expiry run failed");
            Err(e.to_string())
        }
    };
    let finished = batch::finish(pool, run, recorded, clock.now()).await;
    unlock(lock, EXPIRY_LOCK).await;
    let finished = finished?;
    let (customers, points, skipped) = outcome?;
    tracing::info!(%date, customers, points, skipped, "points expired");
    Ok(Expired {
        run: finished,
        customers,
        points,
        skipped,
        interrupted,
    })
}

async fn expire_chunks(
    pool: &PgPool,
    run: i64,
    date: NaiveDate,
    settings: RunSettings,
    clock: &dyn Clock,
) -> Result<(i64, i64, i64), sqlx::Error> {
    let cutoff = cutoff(date);
    let key_prefix = format!("points-expiry:{date}:");
    let memo = format!("积分过期 {date}");
    let expired = expired_account();
    let expired_id = expired.id();
    {
        let mut conn = pool.acquire().await?;
        crate::ledger::ensure_accounts(&mut conn, &[expired], clock.now()).await?;
    }
    let (mut customers, mut points, mut skipped) = (0i64, 0i64, 0i64);
    let mut after = Uuid::nil();
    loop {
        let chunk: Vec<Uuid> = sqlx::query_scalar!(
            "SELECT DISTINCT account_id FROM point_lots
              WHERE remaining > 0 AND expires_at <= $1 AND account_id > $2
              ORDER BY account_id LIMIT $3",
            cutoff,
            after,
            settings.chunk.max(1)
        )
        .fetch_all(pool)
        .await?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = *last;
        let now = clock.now();
        let mut tx = pool.begin().await?;
        // the accounts first, then their lots, as every transfer takes them
        sqlx::query!(
            "SELECT id FROM ledger_accounts WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
            &chunk
        )
        .fetch_all(&mut *tx)
        .await?;
        let done = sqlx::query!(
            r#"WITH due AS (
                   SELECT l.id, l.account_id, l.remaining FROM point_lots l
                    WHERE l.account_id = ANY($1) AND l.remaining > 0 AND l.expires_at <= $2
                      FOR UPDATE),
               sums AS (
                   SELECT d.account_id, a.customer_no, sum(d.remaining)::bigint AS points,
                          gen_random_uuid() AS transfer_id
                     FROM due d JOIN ledger_accounts a ON a.id = d.account_id
                    GROUP BY d.account_id, a.customer_no),
               requested AS (
                   INSERT INTO ledger_requests (key, body_hash, actor, transfer_ids, at)
                   SELECT $3 || s.customer_no, '\x'::bytea, 'points-expiry', ARRAY[s.transfer_id], $4
                     FROM sums s
                   ON CONFLICT DO NOTHING RETURNING key),
               fresh AS (
                   SELECT s.* FROM sums s JOIN requested r ON r.key = $3 || s.customer_no),
               transfers AS (
                   INSERT INTO ledger_transfers (id, request_key, position, kind, debit_account_id,
                       credit_account_id, amount, unit, code, memo, created_at)
                   SELECT f.transfer_id, $3 || f.customer_no, 0, 'single', f.account_id, $5,
                          f.points, 'points', 'expiry', $6, $4
                     FROM fresh f
                   RETURNING id, seq, debit_account_id, amount),
               postings AS (
                   INSERT INTO ledger_postings (transfer_id, account_id, side, amount, pending, seq)
                   SELECT t.id, x.account, x.side, t.amount, false, t.seq
                     FROM transfers t
                    CROSS JOIN LATERAL (VALUES (t.debit_account_id, 'debit'), ($5::uuid, 'credit'))
                          AS x (account, side)),
               zeroed AS (
                   UPDATE point_lots l SET remaining = 0
                     FROM due d JOIN fresh f ON f.account_id = d.account_id
                    WHERE l.id = d.id),
               uses AS (
                   INSERT INTO point_lot_uses (transfer_id, lot_id, points)
                   SELECT f.transfer_id, d.id, d.remaining
                     FROM due d JOIN fresh f ON f.account_id = d.account_id),
               moved AS (
                   UPDATE ledger_accounts a SET debits_posted = a.debits_posted + f.points
                     FROM fresh f WHERE a.id = f.account_id)
               SELECT count(*) AS "customers!", coalesce(sum(f.points), 0)::bigint AS "points!",
                      (SELECT count(*) FROM sums) AS "due!"
                 FROM fresh f"#,
            &chunk,
            cutoff,
            key_prefix,
            now,
            expired_id,
            memo
        )
        .fetch_one(&mut *tx)
        .await?;
        if done.points > 0 {
            // the unbounded account last: locked from here to the commit
            sqlx::query!(
                "UPDATE ledger_accounts SET credits_posted = credits_posted + $2 WHERE id = $1",
                expired_id,
                done.points
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        customers += done.customers;
        points += done.points;
        skipped += done.due - done.customers;
        batch::progress(pool, run, customers).await?;
        tracing::debug!(customers, points, "points expiry: a chunk done");
        if !settings.pause.is_zero() {
            tokio::time::sleep(settings.pause).await;
        }
    }
    Ok((customers, points, skipped))
}

/// What a reminder run did.
#[derive(Debug, Clone)]
pub struct Reminded {
    pub run: BatchRun,
    /// Customers reminded (an SMS queued each).
    pub customers: i64,
    /// Lots recorded as reminded, the ones of customers without a phone (or without SMS) too.
    pub lots: i64,
}

/// Where the reminder's SMS go: the customers' phones need the personal-data keys; `sms` says
/// whether SMS is configured for `points_expiry` notices (without it the lots are recorded,
/// nothing queued).
#[derive(Clone, Default)]
pub struct Reminders {
    pub keys: Option<CustomerKeys>,
    pub sms: bool,
}

/// The reminder run at `date`: the lots with points left expiring within the window after the
/// start of `date`, not reminded yet. Recorded in the batch log (`points_reminder`).
#[tracing::instrument(skip(pool, to, clock))]
pub async fn remind(
    pool: &PgPool,
    to: &Reminders,
    date: NaiveDate,
    settings: RunSettings,
    triggered_by: &str,
    clock: &dyn Clock,
) -> Result<Reminded, RunError> {
    let lock = lock(pool, REMINDER_LOCK, "points_reminder").await?;
    batch::interrupted(pool, Job::PointsReminder, clock.now()).await?;
    let run = batch::start(pool, Job::PointsReminder, triggered_by, clock.now()).await?;
    let outcome = remind_chunks(pool, to, run, date, settings, clock).await;
    let recorded = match &outcome {
        Ok((customers, _)) => Ok(*customers),
        Err(e) => {
            tracing::error!(error = %e, "the points reminder run failed");
            Err(e.to_string())
        }
    };
    let finished = batch::finish(pool, run, recorded, clock.now()).await;
    unlock(lock, REMINDER_LOCK).await;
    let finished = finished?;
    let (customers, lots) = outcome?;
    tracing::info!(%date, customers, lots, "points expiry reminders");
    Ok(Reminded {
        run: finished,
        customers,
        lots,
    })
}

async fn remind_chunks(
    pool: &PgPool,
    to: &Reminders,
    run: i64,
    date: NaiveDate,
    settings: RunSettings,
    clock: &dyn Clock,
) -> Result<(i64, i64), sqlx::Error> {
    let days: i64 = sqlx::query_scalar!(
        r#"SELECT coalesce((SELECT value FROM parameters WHERE key = $1), $2) AS "days!""#,
        REMINDER_DAYS_PARAMETER,
        DEFAULT_REMINDER_DAYS
    )
    .fetch_one(pool)
    .await?;
    let from = cutoff(date);
    let until = from + chrono::Duration::days(days);
    let (mut customers, mut lots) = (0i64, 0i64);
    let mut after = Uuid::nil();
    loop {
        let chunk: Vec<Uuid> = sqlx::query_scalar!(
            "SELECT DISTINCT l.account_id FROM point_lots l
              WHERE l.remaining > 0 AND l.expires_at > $1 AND l.expires_at <= $2
                AND l.account_id > $3
                AND NOT EXISTS (SELECT 1 FROM point_lot_reminders r WHERE r.lot_id = l.id)
              ORDER BY l.account_id LIMIT $4",
            from,
            until,
            after,
            settings.chunk.max(1)
        )
        .fetch_all(pool)
        .await?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = *last;
        let now = clock.now();
        let mut tx = pool.begin().await?;
        let due = sqlx::query!(
            r#"SELECT l.customer_no, array_agg(l.id ORDER BY l.expires_at, l.id) AS "lots!",
                      sum(l.remaining)::bigint AS "points!", min(l.expires_at) AS "first!"
                 FROM point_lots l
                WHERE l.account_id = ANY($1) AND l.remaining > 0
                  AND l.expires_at > $2 AND l.expires_at <= $3
                  AND NOT EXISTS (SELECT 1 FROM point_lot_reminders r WHERE r.lot_id = l.id)
                GROUP BY l.customer_no"#,
            &chunk,
            from,
            until
        )
        .fetch_all(&mut *tx)
        .await?;
        let numbers: Vec<String> = due.iter().map(|d| d.customer_no.clone()).collect();
        let phones = match (&to.keys, to.sms) {
            (Some(keys), true) => {
                crate::customers::phones_for_notice(&mut tx, keys, &numbers).await?
            }
            _ => Default::default(),
        };
        let template = notify::sms_template(&mut tx, REMINDER_TEMPLATE).await?;
        let (mut lot_ids, mut lot_customers, mut lot_keys) = (Vec::new(), Vec::new(), Vec::new());
        for d in &due {
            // the last day the points may be used, as the customer reads it
            let last_day = today(d.first - chrono::Duration::seconds(1));
            let key = phones.get(&d.customer_no).map(|phone| {
                let key = format!("points-remind:{}:{}", d.customer_no, d.lots[0]);
                (key, phone.clone())
            });
            if let Some((key, phone)) = &key {
                let params = BTreeMap::from([
                    ("points".to_owned(), d.points.to_string()),
                    ("date".to_owned(), last_day.format("%Y-%m-%d").to_string()),
                ]);
                let subject = format!("积分到期提醒：{} 积分将于 {last_day} 到期", d.points);
                let body = match &template {
                    Ok(t) => t.render(&params).unwrap_or_else(|_| subject.clone()),
                    Err(_) => subject.clone(),
                };
                let outgoing = Outgoing {
                    key: key.clone(),
                    kind: "points_expiry".into(),
                    workflow_id: None,
                    user_id: None,
                    channel: Channel::Sms,
                    recipient: phone.clone(),
                    subject,
                    body,
                    template_code: Some(REMINDER_TEMPLATE.into()),
                    params: Some(serde_json::to_value(&params).expect("strings serialize")),
                    sealed_params: None,
                };
                notify::queue(&mut tx, &outgoing, now).await?;
                customers += 1;
            }
            for lot in &d.lots {
                lot_ids.push(*lot);
                lot_customers.push(d.customer_no.clone());
                lot_keys.push(key.as_ref().map(|(k, _)| k.clone()));
            }
        }
        lots += sqlx::query!(
            "INSERT INTO point_lot_reminders (lot_id, customer_no, notification_key, reminded_on, at)
             SELECT x.lot, x.customer, x.key, $4, $5
               FROM unnest($1::uuid[], $2::text[], $3::text[]) AS x (lot, customer, key)
             ON CONFLICT DO NOTHING",
            &lot_ids,
            &lot_customers,
            &lot_keys as &[Option<String>],
            date,
            now
        )
        .execute(&mut *tx)
        .await?
        .rows_affected() as i64;
        tx.commit().await?;
        batch::progress(pool, run, customers).await?;
        if !settings.pause.is_zero() {
            tokio::time::sleep(settings.pause).await;
        }
    }
    Ok((customers, lots))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_starts_at_midnight_in_beijing() {
        let date = NaiveDate::from_ymd_opt(2029, 1, 1).unwrap();
        assert_eq!(cutoff(date).to_rfc3339(), "2028-12-31T16:00:00+00:00");
        assert_eq!(today(cutoff(date)), date);
        assert_eq!(
            today(cutoff(date) - chrono::Duration::seconds(1)),
            date.pred_opt().unwrap()
        );
    }

    #[test]
    fn the_nightly_run_waits_for_the_next_half_past_midnight() {
        let nightly = Nightly {
            at: NaiveTime::from_hms_opt(0, 30, 0).unwrap(),
            run: RunSettings::default(),
        };
        // 23:00 in Beijing: an hour and a half
        let now = "2026-12-07T15:00:00Z".parse().unwrap();
        assert_eq!(nightly.until_next(now), Duration::from_secs(90 * 60));
        // at 00:30 itself: the next night
        let now = "2026-12-07T16:30:00Z".parse().unwrap();
        assert_eq!(nightly.until_next(now), Duration::from_secs(24 * 3600));
    }
}
