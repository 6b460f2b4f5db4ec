//! 用户等级体系 (BEN-6): tiers by the points earned in the last 12 months (the core's extract has
//! no assets column, so there is no assets rule yet) or reached by an upgrade task (升级任务,
//! kept 12 months from its completion); 等级权益, coupons granted on upgrade through the claim
//! path, once per customer and tier; downgrades noticed through the outbox, and 到期提醒: the
//! nightly run tells a customer whose tier lapses within [`LAPSE_NOTICE_DAYS`] unless they earn
//! more, once per customer and tier held.
//!
//! A customer's tier is evaluated after each earning (up only) and by the nightly run
//! `tier_evaluation` (up and down). Each evaluation locks the customer's `customer_tiers` row
//! first, so concurrent earnings upgrade once; the grants come after the commit, each a claim
//! whose request id is derived from (customer, tier, template) — a repeat, a concurrent twin or
//! the nightly run's repair gets the first answer, never a second coupon.

use super::expiry::{RunError, RunSettings};
use super::rules::Transaction;
use crate::batch::{self, BatchRun, Job};
use crate::benefits::claim::{self, ClaimRequest};
use crate::clock::Clock;
use crate::customers::keys::CustomerKeys;
use crate::notify::{self, Channel, Outgoing};
use chrono::{DateTime, Duration, FixedOffset, SubsecRound, Utc};
use quanyi_workflows::domain::{CustomerNo, TemplateCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The internal client tier benefits are claimed through (a disabled client: it never signs).
pub const TIER_CLIENT: &str = "quanyi-tiers";
/// The SMS template of a downgrade notice.
pub const DOWNGRADE_TEMPLATE: &str = "QY_TIER_DOWNGRADE";
/// The SMS template of a 到期提醒 (the tier lapses soon).
pub const LAPSE_TEMPLATE: &str = "QY_TIER_LAPSE";
/// How far back earnings count, and how long a task's tier lasts.
pub const WINDOW_DAYS: i64 = 365;
/// How long before a tier lapses its customer is told (到期提醒).
pub const LAPSE_NOTICE_DAYS: i64 = 30;

/// The tier notices that go out by SMS — each kind only when `notify.sms.kinds` routes it there —
/// and the keys to the customers' phones on file.
#[derive(Clone, Default)]
pub struct Notices {
    pub keys: Option<CustomerKeys>,
    /// `tier_downgrade`: the tier went down.
    pub downgrade: bool,
    /// `tier_lapse`: 到期提醒, the tier lapses within [`LAPSE_NOTICE_DAYS`].
    pub lapse: bool,
}

impl Notices {
    /// The kinds `routing` sends by SMS.
    pub fn routed(keys: Option<CustomerKeys>, routing: &notify::Routing) -> Self {
        Notices {
            keys,
            downgrade: routing.sms("tier_downgrade"),
            lapse: routing.sms("tier_lapse"),
        }
    }
}

const EVALUATION_LOCK: i64 = 0x5159_5449_4552_4556;

/// Why an evaluation ran: after an earning (up only) or the nightly run (up and down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Earning,
    Nightly,
}

/// A tier change an evaluation made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub from: Option<Uuid>,
    pub to: Option<Uuid>,
    pub up: bool,
}

/// The points `account` earned after `since`: its earnings less the reversals of earnings.
async fn earned_since(
    conn: &mut PgConnection,
    account: Uuid,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(sum(CASE WHEN credit_account_id = $1 THEN amount ELSE -amount END), 0)::bigint
                  AS "earned!"
             FROM ledger_transfers
            WHERE created_at > $2
              AND ((credit_account_id = $1 AND code = 'earn')
                   OR (debit_account_id = $1 AND code = 'reverse'))"#,
        account,
        since
    )
    .fetch_one(&mut *conn)
    .await
}

/// A tier as the evaluation sees it.
#[derive(Debug, Clone)]
struct Level {
    id: Uuid,
    code: String,
    name: String,
    rank: i32,
}

/// Evaluates `customer`'s tier at `now`; an earning's evaluation only upgrades. Answers the
/// change, if any. A downgrade queues its notice with `notices` (a phone on file and SMS
/// configured), in the same transaction.
#[tracing::instrument(skip(pool, notices))]
pub async fn evaluate(
    pool: &PgPool,
    customer: &CustomerNo,
    cause: Cause,
    notices: &Notices,
    now: DateTime<Utc>,
) -> Result<Option<Change>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let no = customer.as_str();
    let mut tx = pool.begin().await?;
    // the lock every evaluation of this customer takes first
    let current = sqlx::query_scalar!(
        "INSERT INTO customer_tiers (customer_no, tier_id, since, earned_12m, evaluated_at)
         VALUES ($1, NULL, $2, 0, $2)
         ON CONFLICT (customer_no) DO UPDATE SET evaluated_at = customer_tiers.evaluated_at
         RETURNING tier_id",
        no,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    let since = now - Duration::days(WINDOW_DAYS);
    let account = super::customer_account(customer).id();
    let earned = earned_since(&mut tx, account, since).await?;
    let from = match current {
        Some(id) => {
            sqlx::query_as!(
                Level,
                "SELECT id, code, name, rank FROM tiers WHERE id = $1",
                id
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    let deserved = best_deserved(&mut tx, earned, no, since).await?;
    let from_rank = from.as_ref().map_or(0, |l| l.rank);
    let to_rank = deserved.as_ref().map_or(0, |l| l.rank);
    let change = if to_rank > from_rank || (cause == Cause::Nightly && to_rank < from_rank) {
        Some(Change {
            from: from.as_ref().map(|l| l.id),
            to: deserved.as_ref().map(|l| l.id),
            up: to_rank > from_rank,
        })
    } else {
        None
    };
    let to_id = match &change {
        Some(c) => c.to,
        None => current,
    };
    sqlx::query!(
        "UPDATE customer_tiers
            SET tier_id = $2, earned_12m = $3, evaluated_at = $4,
                since = CASE WHEN tier_id IS DISTINCT FROM $2 THEN $4 ELSE since END
          WHERE customer_no = $1",
        no,
        to_id,
        earned,
        now
    )
    .execute(&mut *tx)
    .await?;
    if let Some(c) = &change {
        sqlx::query!(
            "UPDATE customers SET tier = (SELECT code FROM tiers WHERE id = $2), updated_at = $3
              WHERE customer_no = $1",
            no,
            c.to,
            now
        )
        .execute(&mut *tx)
        .await?;
        let notice = if c.up {
            None
        } else {
            notice_downgrade(
                &mut tx,
                notices,
                no,
                from.as_ref(),
                deserved.as_ref(),
                earned,
                now,
            )
            .await?
        };
        let by_task =
            cause == Cause::Earning && c.up && task_gave(&mut tx, no, since, to_rank).await?;
        let cause = match cause {
            Cause::Earning if by_task => "task",
            Cause::Earning => "earning",
            Cause::Nightly => "nightly",
        };
        sqlx::query!(
            "INSERT INTO tier_changes (customer_no, from_tier_id, to_tier_id, direction, cause,
                                       earned_12m, notification_key, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            no,
            c.from,
            c.to,
            if c.up { "up" } else { "down" },
            cause,
            earned,
            notice,
            now
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(change)
}

/// The best tier the rules give: by the points earned in the window, or by an upgrade task
/// completed in it.
async fn best_deserved(
    conn: &mut PgConnection,
    earned: i64,
    customer: &str,
    since: DateTime<Utc>,
) -> Result<Option<Level>, sqlx::Error> {
    sqlx::query_as!(
        Level,
        r#"SELECT id AS "id!", code AS "code!", name AS "name!", rank AS "rank!" FROM (
               (SELECT id, code, name, rank FROM tiers WHERE min_points_12m <= $1
                 ORDER BY rank DESC LIMIT 1)
               UNION ALL
               (SELECT r.id, r.code, r.name, r.rank
                  FROM upgrade_task_progress p JOIN upgrade_tasks t ON t.id = p.task_id
                  JOIN tiers r ON r.id = t.tier_id
                 WHERE p.customer_no = $2 AND p.completed_at > $3
                 ORDER BY r.rank DESC LIMIT 1)) AS best
            ORDER BY rank DESC LIMIT 1"#,
        earned,
        customer,
        since
    )
    .fetch_optional(&mut *conn)
    .await
}

/// Whether an upgrade task completed in the window gives a tier of `rank` (the upgrade's cause).
async fn task_gave(
    conn: &mut PgConnection,
    customer: &str,
    since: DateTime<Utc>,
    rank: i32,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (
               SELECT 1 FROM upgrade_task_progress p JOIN upgrade_tasks t ON t.id = p.task_id
                 JOIN tiers r ON r.id = t.tier_id
                WHERE p.customer_no = $1 AND p.completed_at > $2 AND r.rank = $3) AS "gave!""#,
        customer,
        since,
        rank
    )
    .fetch_one(&mut *conn)
    .await
}

/// Queues a downgrade's SMS when the customer has a phone on file and SMS is configured;
/// answers its key.
async fn notice_downgrade(
    conn: &mut PgConnection,
    notices: &Notices,
    customer: &str,
    from: Option<&Level>,
    to: Option<&Level>,
    earned: i64,
    now: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    let (Some(keys), true) = (&notices.keys, notices.downgrade) else {
        return Ok(None);
    };
    let phones =
        crate::customers::phones_for_notice(&mut *conn, keys, &[customer.to_owned()]).await?;
    let Some(phone) = phones.get(customer) else {
        return Ok(None);
    };
    let none = "普通客户".to_owned();
    let params = BTreeMap::from([
        (
            "from".to_owned(),
            from.map_or(none.clone(), |l| l.name.clone()),
        ),
        ("to".to_owned(), to.map_or(none, |l| l.name.clone())),
        ("points".to_owned(), earned.to_string()),
    ]);
    let subject = format!("等级调整：{} → {}", params["from"], params["to"]);
    let template = notify::sms_template(&mut *conn, DOWNGRADE_TEMPLATE).await?;
    let body = match &template {
        Ok(t) => t.render(&params).unwrap_or_else(|_| subject.clone()),
        Err(_) => subject.clone(),
    };
    let key = format!(
        "tier-down:{customer}:{}:{}",
        from.map_or("none", |l| l.code.as_str()),
        now.timestamp()
    );
    notify::queue(
        &mut *conn,
        &Outgoing {
            key: key.clone(),
            kind: "tier_downgrade".into(),
            workflow_id: None,
            user_id: None,
            channel: Channel::Sms,
            recipient: phone.clone(),
            subject,
            body,
            template_code: Some(DOWNGRADE_TEMPLATE.into()),
            params: Some(serde_json::to_value(&params).expect("strings serialize")),
            sealed_params: None,
        },
        now,
    )
    .await?;
    Ok(Some(key))
}

/// The claim's request id of (customer, tier, template): the same three always name one claim.
fn grant_request_id(customer: &str, tier: Uuid, template: Uuid) -> String {
    let digest = Sha256::digest(format!("{customer}:{tier}:{template}").as_bytes());
    format!("tier-{}", hex::encode(&digest[..16]))
}

/// Grants `customer` the benefits of `tier` not granted yet, each through the claim path once.
/// Answers how many coupons this call got (a repeat's first answer counts, not a second coupon).
pub async fn grant(
    pool: &PgPool,
    customer: &CustomerNo,
    tier: Uuid,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let Some(client) =
        sqlx::query_scalar!("SELECT id FROM api_clients WHERE code = $1", TIER_CLIENT)
            .fetch_optional(pool)
            .await?
    else {
        return Ok(0);
    };
    let missing = sqlx::query!(
        "SELECT b.template_id, t.code FROM tier_benefits b JOIN coupon_templates t ON t.id = b.template_id
          WHERE b.tier_id = $1
            AND NOT EXISTS (SELECT 1 FROM tier_benefit_grants g
                             WHERE g.customer_no = $2 AND g.tier_id = b.tier_id
                               AND g.template_id = b.template_id)
          ORDER BY t.code",
        tier,
        customer.as_str()
    )
    .fetch_all(pool)
    .await?;
    let mut granted = 0;
    for m in missing {
        let Ok(code) = TemplateCode::parse(&m.code) else {
            continue;
        };
        let request_id = grant_request_id(customer.as_str(), tier, m.template_id);
        let request = ClaimRequest {
            client_id: client,
            request_id: &request_id,
            body: request_id.as_bytes(),
            template_code: &code,
            customer_no: customer,
            campaign_id: None,
            nonce: None,
        };
        let answer = claim::claim(pool, &request, now).await?;
        let (coupon, refusal) = match &answer {
            Ok(c) => (Some(c.coupon_code.clone()), None),
            Err(r) => (None, Some(format!("{r:?}"))),
        };
        let recorded = sqlx::query!(
            "INSERT INTO tier_benefit_grants (customer_no, tier_id, template_id, coupon_code,
                                              refusal, at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            customer.as_str(),
            tier,
            m.template_id,
            coupon,
            refusal,
            now
        )
        .execute(pool)
        .await?
        .rows_affected();
        if recorded > 0 && coupon.is_some() {
            granted += 1;
        }
    }
    Ok(granted)
}

/// After an earning: the customer's tier evaluated (up only), the new tier's benefits granted.
pub async fn after_earning(
    pool: &PgPool,
    customer: &CustomerNo,
    now: DateTime<Utc>,
) -> Result<Option<Change>, sqlx::Error> {
    let change = evaluate(pool, customer, Cause::Earning, &Notices::default(), now).await?;
    if let Some(Change { to: Some(tier), .. }) = &change {
        grant(pool, customer, *tier, now).await?;
    }
    Ok(change)
}

/// Counts `txn` toward the active upgrade tasks of its type it qualifies for, in the earning's
/// transaction, by the Beijing month it happened in; a count that reaches the task's number
/// completes it.
pub(crate) async fn count(
    conn: &mut PgConnection,
    txn: &Transaction<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let period = txn
        .occurred_at
        .with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m")
        .to_string();
    sqlx::query!(
        "INSERT INTO upgrade_task_progress (task_id, customer_no, period, done, completed_at)
         SELECT t.id, $1, $2, 1, CASE WHEN t.required_count <= 1 THEN $3::timestamptz END
           FROM upgrade_tasks t
          WHERE t.status = 'active' AND t.txn_type = $4 AND t.min_amount_fen <= $5
         ON CONFLICT (task_id, customer_no, period) DO UPDATE
            SET done = upgrade_task_progress.done + 1,
                completed_at = coalesce(upgrade_task_progress.completed_at,
                    CASE WHEN upgrade_task_progress.done + 1
                              >= (SELECT required_count FROM upgrade_tasks WHERE id = excluded.task_id)
                         THEN $3::timestamptz END)",
        txn.customer.as_str(),
        period,
        now,
        txn.txn_type,
        txn.amount_fen
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What the nightly run did.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub run: BatchRun,
    pub customers: i64,
    pub upgraded: i64,
    pub downgraded: i64,
    pub coupons: i64,
    /// 到期提醒 queued.
    pub lapse_notices: i64,
}

/// The nightly evaluation: every customer with a points account or a tier, up and down, the
/// downgrades noticed, the benefits of every current tier granted where missing (an upgrade
/// whose grants an interruption lost is repaired here). Recorded in the batch log
/// (`tier_evaluation`); one run at a time.
#[tracing::instrument(skip(pool, notices, clock))]
pub async fn evaluate_all(
    pool: &PgPool,
    notices: &Notices,
    settings: RunSettings,
    triggered_by: &str,
    clock: &dyn Clock,
) -> Result<Evaluated, RunError> {
    let lock = super::expiry::lock(pool, EVALUATION_LOCK, "tier_evaluation").await?;
    batch::interrupted(pool, Job::TierEvaluation, clock.now()).await?;
    let run = batch::start(pool, Job::TierEvaluation, triggered_by, clock.now()).await?;
    let outcome = evaluate_chunks(pool, notices, run, settings, clock).await;
    let recorded = match &outcome {
        Ok((customers, ..)) => Ok(*customers),
        Err(e) => {
            tracing::error!(error = %e, "the tier evaluation failed");
            Err(e.to_string())
        }
    };
    let finished = batch::finish(pool, run, recorded, clock.now()).await;
    super::expiry::unlock(lock, EVALUATION_LOCK).await;
    let finished = finished?;
    let (customers, upgraded, downgraded, coupons, lapse_notices) = outcome?;
    Ok(Evaluated {
        run: finished,
        customers,
        upgraded,
        downgraded,
        coupons,
        lapse_notices,
    })
}

async fn evaluate_chunks(
    pool: &PgPool,
    notices: &Notices,
    run: i64,
    settings: RunSettings,
    clock: &dyn Clock,
) -> Result<(i64, i64, i64, i64, i64), sqlx::Error> {
    let (mut customers, mut upgraded, mut downgraded, mut coupons) = (0i64, 0i64, 0i64, 0i64);
    let mut lapse_notices = 0i64;
    let mut after = String::new();
    loop {
        let chunk: Vec<String> = sqlx::query_scalar!(
            r#"SELECT customer_no AS "customer_no!" FROM (
                   SELECT customer_no FROM ledger_accounts
                    WHERE unit = 'points' AND kind = 'customer' AND customer_no > $1
                   UNION
                   SELECT customer_no FROM customer_tiers WHERE customer_no > $1) AS c
                ORDER BY customer_no LIMIT $2"#,
            after,
            settings.chunk.max(1)
        )
        .fetch_all(pool)
        .await?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = last.clone();
        for no in &chunk {
            let Ok(customer) = CustomerNo::parse(no) else {
                continue;
            };
            let now = clock.now();
            match evaluate(pool, &customer, Cause::Nightly, notices, now).await? {
                Some(c) if c.up => upgraded += 1,
                Some(_) => downgraded += 1,
                None => {}
            }
            let tier = sqlx::query_scalar!(
                "SELECT tier_id FROM customer_tiers WHERE customer_no = $1",
                no
            )
            .fetch_optional(pool)
            .await?
            .flatten();
            if let Some(tier) = tier {
                coupons += grant(pool, &customer, tier, now).await? as i64;
                if notice_lapse(pool, notices, &customer, now).await? {
                    lapse_notices += 1;
                }
            }
            customers += 1;
        }
        batch::progress(pool, run, customers).await?;
        if !settings.pause.is_zero() {
            tokio::time::sleep(settings.pause).await;
        }
    }
    Ok((customers, upgraded, downgraded, coupons, lapse_notices))
}

/// 到期提醒: when `customer`'s tier would be gone [`LAPSE_NOTICE_DAYS`] from `now` — the
/// earnings and tasks that hold it then falling out of the 12-month window, nothing more earned —
/// queues an SMS (a phone on file and `tier_lapse` routed to SMS), once per customer and tier
/// held: the key names the time the tier began. Answers whether one was queued now.
async fn notice_lapse(
    pool: &PgPool,
    notices: &Notices,
    customer: &CustomerNo,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let (Some(keys), true) = (&notices.keys, notices.lapse) else {
        return Ok(false);
    };
    let no = customer.as_str();
    let mut tx = pool.begin().await?;
    let Some(held) = sqlx::query!(
        r#"SELECT ct.since, t.code, t.name, t.rank, t.min_points_12m
             FROM customer_tiers ct JOIN tiers t ON t.id = ct.tier_id
            WHERE ct.customer_no = $1"#,
        no
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(false);
    };
    let lapse_at = now + Duration::days(LAPSE_NOTICE_DAYS);
    let since_then = lapse_at - Duration::days(WINDOW_DAYS);
    let account = super::customer_account(customer).id();
    let kept = earned_since(&mut tx, account, since_then).await?;
    let deserved = best_deserved(&mut tx, kept, no, since_then).await?;
    if deserved.as_ref().is_some_and(|l| l.rank >= held.rank) {
        return Ok(false);
    }
    let phones = crate::customers::phones_for_notice(&mut tx, keys, &[no.to_owned()]).await?;
    let Some(phone) = phones.get(no) else {
        return Ok(false);
    };
    let day = lapse_at
        .with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m-%d")
        .to_string();
    let params = BTreeMap::from([
        ("tier".to_owned(), held.name.clone()),
        ("date".to_owned(), day),
        ("points".to_owned(), held.min_points_12m.to_string()),
    ]);
    let subject = format!(
        "等级到期提醒：{} 将于 {} 前后到期",
        held.name, params["date"]
    );
    let template = notify::sms_template(&mut tx, LAPSE_TEMPLATE).await?;
    let body = match &template {
        Ok(t) => t.render(&params).unwrap_or_else(|_| subject.clone()),
        Err(_) => subject.clone(),
    };
    let queued = notify::queue(
        &mut tx,
        &Outgoing {
            key: format!(
                "tier-lapse:{no}:{}:{}",
                held.code,
                held.since.timestamp_micros()
            ),
            kind: "tier_lapse".into(),
            workflow_id: None,
            user_id: None,
            channel: Channel::Sms,
            recipient: phone.clone(),
            subject,
            body,
            template_code: Some(LAPSE_TEMPLATE.into()),
            params: Some(serde_json::to_value(&params).expect("strings serialize")),
            sealed_params: None,
        },
        now.trunc_subsecs(6),
    )
    .await?;
    tx.commit().await?;
    Ok(queued)
}

/// A tier as the customer page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TierRef)]
pub struct TierRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub rank: i32,
    pub min_points_12m: i64,
}

/// A change of a customer's tier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TierChange)]
pub struct TierChangeRow {
    pub from_name: Option<String>,
    pub to_name: Option<String>,
    /// `up` or `down`.
    pub direction: String,
    /// `earning`, `nightly` or `task`.
    pub cause: String,
    pub earned_12m: i64,
    /// Whether a notice was queued (a downgrade to a customer with a phone on file).
    pub noticed: bool,
    pub at: DateTime<Utc>,
}

/// A customer's progress in an active upgrade task this month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = UpgradeTaskProgress)]
pub struct TaskProgress {
    pub code: String,
    pub name: String,
    pub txn_type: String,
    pub tier_name: String,
    pub required_count: i32,
    pub done: i32,
    pub completed_at: Option<DateTime<Utc>>,
    /// The month counted, `YYYY-MM` (Beijing time).
    pub period: String,
}

/// A customer's tier, its history and the tasks, as the customer page shows them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CustomerTier)]
pub struct CustomerTier {
    pub tier: Option<TierRef>,
    pub since: Option<DateTime<Utc>>,
    /// Points earned in the last 12 months as the latest evaluation counted them.
    pub earned_12m: i64,
    /// The next tier up, if any.
    pub next: Option<TierRef>,
    pub history: Vec<TierChangeRow>,
    pub tasks: Vec<TaskProgress>,
}

/// `customer`'s tier page at `now`.
pub async fn of_customer(
    pool: &PgPool,
    customer: &CustomerNo,
    now: DateTime<Utc>,
) -> Result<CustomerTier, sqlx::Error> {
    let no = customer.as_str();
    let row = sqlx::query!(
        "SELECT tier_id, since, earned_12m FROM customer_tiers WHERE customer_no = $1",
        no
    )
    .fetch_optional(pool)
    .await?;
    let tiers = sqlx::query_as!(
        TierRef,
        "SELECT id, code, name, rank, min_points_12m FROM tiers ORDER BY rank"
    )
    .fetch_all(pool)
    .await?;
    let tier_id = row.as_ref().and_then(|r| r.tier_id);
    let tier = tiers.iter().find(|t| Some(t.id) == tier_id).cloned();
    let rank = tier.as_ref().map_or(0, |t| t.rank);
    let next = tiers.iter().find(|t| t.rank > rank).cloned();
    let history = sqlx::query_as!(
        TierChangeRow,
        r#"SELECT f.name AS "from_name?", t.name AS "to_name?", c.direction, c.cause,
                  c.earned_12m, c.notification_key IS NOT NULL AS "noticed!", c.at
             FROM tier_changes c
             LEFT JOIN tiers f ON f.id = c.from_tier_id
             LEFT JOIN tiers t ON t.id = c.to_tier_id
            WHERE c.customer_no = $1 ORDER BY c.id DESC LIMIT 50"#,
        no
    )
    .fetch_all(pool)
    .await?;
    let period = now
        .with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m")
        .to_string();
    let tasks = sqlx::query_as!(
        TaskProgress,
        r#"SELECT k.code, k.name, k.txn_type, r.name AS tier_name, k.required_count,
                  coalesce(p.done, 0) AS "done!", p.completed_at, $2::text AS "period!"
             FROM upgrade_tasks k JOIN tiers r ON r.id = k.tier_id
             LEFT JOIN upgrade_task_progress p
                    ON p.task_id = k.id AND p.customer_no = $1 AND p.period = $2
            WHERE k.status = 'active' ORDER BY k.code"#,
        no,
        period
    )
    .fetch_all(pool)
    .await?;
    Ok(CustomerTier {
        tier,
        since: row.as_ref().map(|r| r.since),
        earned_12m: row.map_or(0, |r| r.earned_12m),
        next,
        history,
        tasks,
    })
}

/// Why a change of the tiers or tasks was refused; each has its own code at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierRefusal {
    CodeTaken,
    RankTaken,
    UnknownTier,
    UnknownTemplate,
    UnknownTask,
}

/// A tier's terms as staff set them.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = TierTerms)]
pub struct TierTerms {
    pub name: String,
    pub rank: i32,
    pub min_points_12m: i64,
}

/// A benefit of a tier: a coupon template.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TierBenefit)]
pub struct BenefitRef {
    pub template_id: Uuid,
    pub template_code: String,
    pub template_name: String,
}

/// A tier as 等级体系 lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Tier)]
pub struct TierRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub rank: i32,
    pub min_points_12m: i64,
    pub benefits: Vec<BenefitRef>,
    /// Customers in it now.
    pub customers: i64,
    pub updated_at: DateTime<Utc>,
}

/// The tiers, lowest first, with their benefits and how many customers each holds.
pub async fn tiers(pool: &PgPool) -> Result<Vec<TierRow>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT t.id, t.code, t.name, t.rank, t.min_points_12m, t.updated_at,
                  (SELECT count(*) FROM customer_tiers c WHERE c.tier_id = t.id) AS "customers!"
             FROM tiers t ORDER BY t.rank"#
    )
    .fetch_all(pool)
    .await?;
    let benefits = sqlx::query!(
        "SELECT b.tier_id, c.id, c.code, c.name FROM tier_benefits b
           JOIN coupon_templates c ON c.id = b.template_id ORDER BY c.code"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TierRow {
            benefits: benefits
                .iter()
                .filter(|b| b.tier_id == r.id)
                .map(|b| BenefitRef {
                    template_id: b.id,
                    template_code: b.code.clone(),
                    template_name: b.name.clone(),
                })
                .collect(),
            id: r.id,
            code: r.code,
            name: r.name,
            rank: r.rank,
            min_points_12m: r.min_points_12m,
            customers: r.customers,
            updated_at: r.updated_at,
        })
        .collect())
}

/// The refusal a unique index stands for.
fn taken(e: &sqlx::Error) -> Option<TierRefusal> {
    match e {
        sqlx::Error::Database(d) => match d.constraint() {
            Some("tiers_code_key") | Some("upgrade_tasks_code_key") => Some(TierRefusal::CodeTaken),
            Some("tiers_rank_key") => Some(TierRefusal::RankTaken),
            _ => None,
        },
        _ => None,
    }
}

/// Creates a tier (`tier.tier.create`, audited).
pub async fn create_tier(
    pool: &PgPool,
    code: &str,
    terms: &TierTerms,
    now: DateTime<Utc>,
    by: crate::audit::Entry,
) -> Result<Result<Uuid, TierRefusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query!(
        "INSERT INTO tiers (id, code, name, rank, min_points_12m, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
        id,
        code,
        terms.name.trim(),
        terms.rank,
        terms.min_points_12m,
        now
    )
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return taken(&e).map_or(Err(e), |r| Ok(Err(r)));
    }
    let entry = crate::audit::Entry {
        action: "tier.tier.create",
        target: Some(code.to_owned()),
        after: Some(serde_json::json!(terms)),
        ..by
    };
    crate::audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Changes a tier's name, rank or entry rule (`tier.tier.update`, audited with before and
/// after). Customers move at the next evaluation.
pub async fn update_tier(
    pool: &PgPool,
    id: Uuid,
    terms: &TierTerms,
    now: DateTime<Utc>,
    by: crate::audit::Entry,
) -> Result<Result<(), TierRefusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    let Some(before) = sqlx::query!(
        "SELECT code, name, rank, min_points_12m FROM tiers WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(TierRefusal::UnknownTier));
    };
    let updated = sqlx::query!(
        "UPDATE tiers SET name = $2, rank = $3, min_points_12m = $4, updated_at = $5 WHERE id = $1",
        id,
        terms.name.trim(),
        terms.rank,
        terms.min_points_12m,
        now
    )
    .execute(&mut *tx)
    .await;
    if let Err(e) = updated {
        return taken(&e).map_or(Err(e), |r| Ok(Err(r)));
    }
    let entry = crate::audit::Entry {
        action: "tier.tier.update",
        target: Some(before.code),
        before: Some(serde_json::json!({"name": before.name, "rank": before.rank,
                                         "min_points_12m": before.min_points_12m})),
        after: Some(serde_json::json!(terms)),
        ..by
    };
    crate::audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Sets a tier's benefits to the templates `codes` (`tier.benefit.update`, audited).
pub async fn set_benefits(
    pool: &PgPool,
    id: Uuid,
    codes: &[String],
    now: DateTime<Utc>,
    by: crate::audit::Entry,
) -> Result<Result<(), TierRefusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    let Some(tier) = sqlx::query_scalar!("SELECT code FROM tiers WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(Err(TierRefusal::UnknownTier));
    };
    let templates: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM coupon_templates WHERE code = ANY($1)",
        codes
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut distinct = codes.to_vec();
    distinct.sort();
    distinct.dedup();
    if templates.len() != distinct.len() {
        return Ok(Err(TierRefusal::UnknownTemplate));
    }
    let before: Vec<String> = sqlx::query_scalar!(
        "SELECT c.code FROM tier_benefits b JOIN coupon_templates c ON c.id = b.template_id
          WHERE b.tier_id = $1 ORDER BY c.code",
        id
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM tier_benefits WHERE tier_id = $1", id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO tier_benefits (tier_id, template_id) SELECT $1, unnest($2::uuid[])",
        id,
        &templates
    )
    .execute(&mut *tx)
    .await?;
    let entry = crate::audit::Entry {
        action: "tier.benefit.update",
        target: Some(tier),
        before: Some(serde_json::json!({"templates": before})),
        after: Some(serde_json::json!({"templates": distinct})),
        ..by
    };
    crate::audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// An upgrade task's terms.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = UpgradeTaskTerms)]
pub struct TaskTerms {
    pub name: String,
    pub txn_type: String,
    pub min_amount_fen: i64,
    pub required_count: i32,
    pub tier_id: Uuid,
}

/// An upgrade task as 升级任务 lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = UpgradeTask)]
pub struct TaskRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub txn_type: String,
    pub min_amount_fen: i64,
    pub required_count: i32,
    pub tier_id: Uuid,
    pub tier_name: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Customers who completed it this month.
    pub completed_this_month: i64,
    pub updated_at: DateTime<Utc>,
}

/// The upgrade tasks, by code.
pub async fn tasks(pool: &PgPool, now: DateTime<Utc>) -> Result<Vec<TaskRow>, sqlx::Error> {
    let period = now
        .with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m")
        .to_string();
    sqlx::query_as!(
        TaskRow,
        r#"SELECT k.id, k.code, k.name, k.txn_type, k.min_amount_fen, k.required_count, k.tier_id,
                  r.name AS tier_name, k.status, k.updated_at,
                  (SELECT count(*) FROM upgrade_task_progress p
                    WHERE p.task_id = k.id AND p.period = $1 AND p.completed_at IS NOT NULL)
                      AS "completed_this_month!"
             FROM upgrade_tasks k JOIN tiers r ON r.id = k.tier_id ORDER BY k.code"#,
        period
    )
    .fetch_all(pool)
    .await
}

/// Creates an upgrade task, active (`tier.task.create`, audited).
pub async fn create_task(
    pool: &PgPool,
    code: &str,
    terms: &TaskTerms,
    now: DateTime<Utc>,
    by: crate::audit::Entry,
) -> Result<Result<Uuid, TierRefusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    let tier = sqlx::query_scalar!("SELECT id FROM tiers WHERE id = $1", terms.tier_id)
        .fetch_optional(&mut *tx)
        .await?;
    if tier.is_none() {
        return Ok(Err(TierRefusal::UnknownTier));
    }
    let inserted = sqlx::query!(
        "INSERT INTO upgrade_tasks (id, code, name, txn_type, min_amount_fen, required_count,
                                    tier_id, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $8)",
        id,
        code,
        terms.name.trim(),
        terms.txn_type,
        terms.min_amount_fen,
        terms.required_count,
        terms.tier_id,
        now
    )
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return taken(&e).map_or(Err(e), |r| Ok(Err(r)));
    }
    let entry = crate::audit::Entry {
        action: "tier.task.create",
        target: Some(code.to_owned()),
        after: Some(serde_json::json!(terms)),
        ..by
    };
    crate::audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Enables or disables an upgrade task (`tier.task.enable` / `tier.task.disable`, audited).
pub async fn set_task_status(
    pool: &PgPool,
    id: Uuid,
    enable: bool,
    now: DateTime<Utc>,
    by: crate::audit::Entry,
) -> Result<Result<(), TierRefusal>, sqlx::Error> {
    let status = if enable { "active" } else { "disabled" };
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    let Some(before) = sqlx::query!(
        "SELECT code, status FROM upgrade_tasks WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(TierRefusal::UnknownTask));
    };
    if before.status == status {
        return Ok(Ok(()));
    }
    sqlx::query!(
        "UPDATE upgrade_tasks SET status = $2, updated_at = $3 WHERE id = $1",
        id,
        status,
        now
    )
    .execute(&mut *tx)
    .await?;
    let entry = crate::audit::Entry {
        action: if enable {
            "tier.task.enable"
        } else {
            "tier.task.disable"
        },
        target: Some(before.code),
        before: Some(serde_json::json!({"status": before.status})),
        after: Some(serde_json::json!({"status": status})),
        ..by
    };
    crate::audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_is_named_by_its_customer_tier_and_template() {
        let (t, p) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let id = grant_request_id("C10000001", t, p);
        assert_eq!(id, grant_request_id("C10000001", t, p));
        assert_ne!(id, grant_request_id("C10000002", t, p));
        assert_ne!(id, grant_request_id("C10000001", p, t));
        // a claim's request id: 1–64 of [A-Za-z0-9_.:-]
        assert!(id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    }
}
