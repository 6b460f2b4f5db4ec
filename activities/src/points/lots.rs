//! Point lots (BEN-7): points in lots with an expiry date, spent earliest expiry first.
//!
//! The ledger calls [`follow`] for each transfer it writes, in the transfer's transaction and after
//! the transfer's accounts moved (so the customer's account row is locked: lots are always taken
//! after the account, never before), and [`give_back`] for the holds its sweeper expires. Every
//! statement here is set-based: one statement takes a spend from as many lots as it needs.
//!
//! What a transfer does to a customer's points account's lots:
//!
//! | transfer | lots |
//! |---|---|
//! | a credit (an earning, any posted credit) | a new lot of its points, expiring by the rule |
//! | a reversal of a debit (a refund of a capture or spend) | what that debit took goes back to the lots it came from |
//! | a hold, a single debit (a spend, a reversal of an earning) | taken earliest expiry first (a reversal of an earning from its own lot first) |
//! | a capture of a hold | what the capture does not take goes back, latest expiry first |
//! | a void or an expiry of a hold | everything the hold took goes back |
//!
//! Each take and each give-back is a `point_lot_uses` row (positive: taken; negative: given back),
//! so a lot's remainder is its points less its net uses, and a customer's remainders sum to the
//! account's available balance (posted less what holds reserve): [`check`] proves both. A credit
//! that finds nothing to give back to (a hold from before lots) makes a lot of what is missing.

use super::customer_of;
use crate::ledger::audit::Violation;
use crate::ledger::{Transfer, account_id};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The parameter naming how many years after the year of an earning its lot lasts: the lot
/// expires at the end of that year (Beijing time). 2, the default: the end of the year after next.
pub const EXPIRY_YEARS_PARAMETER: &str = "points.lot.expiry_years";
pub const DEFAULT_EXPIRY_YEARS: i64 = 2;

/// Follows one written transfer; `reserved` is the hold's amount for a capture, void or expiry.
pub(crate) async fn follow(
    conn: &mut PgConnection,
    t: &Transfer,
    reserved: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if t.unit != "points" {
        return Ok(());
    }
    let from = customer_of(&t.debit_account).map(|_| account_id(&t.debit_account));
    let to = customer_of(&t.credit_account).map(|_| account_id(&t.credit_account));
    match (t.kind.as_str(), from, to) {
        ("pending", Some(account), _) => take(conn, account, t.amount, None, t.id).await?,
        ("void" | "expire", Some(account), _) => {
            let hold = t.pending_id.expect("a resolution names its hold");
            give_back(conn, &[hold], &[t.id], &[t.amount], &[account], now).await?;
        }
        ("post", Some(account), _) => {
            let hold = t.pending_id.expect("a capture names its hold");
            let rest = reserved.expect("a capture knows its hold") - t.amount;
            if rest > 0 {
                give_back_rest(conn, hold, t.id, rest, account, now).await?;
            }
        }
        ("single", Some(account), _) => {
            // a reversal of an earning takes back from the earning's own lot first
            take(conn, account, t.amount, t.corrects_id, t.id).await?;
        }
        _ => {}
    }
    if let (Some(account), "single" | "post") = (to, t.kind.as_str()) {
        let restored = match t.corrects_id {
            Some(original) => restore(conn, original, t.id).await?,
            None => 0,
        };
        if t.amount > restored {
            new_lots(conn, &[t.id], &[account], &[t.amount - restored], now).await?;
        }
    }
    Ok(())
}

/// Takes `points` from `account`'s lots, earliest expiry first (`first`'s lot before any), as
/// `transfer`'s uses. The lots sum to the available balance the ledger just checked, so they
/// have it; if they do not, the lots were edited by hand and the transaction fails.
async fn take(
    conn: &mut PgConnection,
    account: Uuid,
    points: i64,
    first: Option<Uuid>,
    transfer: Uuid,
) -> Result<(), sqlx::Error> {
    let taken = sqlx::query_scalar!(
        r#"WITH locked AS (
               SELECT id, remaining, expires_at FROM point_lots
                WHERE account_id = $1 AND remaining > 0
                ORDER BY expires_at, id FOR UPDATE),
           ordered AS (
               SELECT id, remaining,
                      (sum(remaining) OVER (ORDER BY (id = $3) IS TRUE DESC, expires_at, id))::bigint AS upto
                 FROM locked),
           take AS (
               SELECT id, least(remaining, $2 - (upto - remaining)) AS points
                 FROM ordered WHERE upto - remaining < $2),
           lots AS (
               UPDATE point_lots l SET remaining = l.remaining - t.points
                 FROM take t WHERE l.id = t.id),
           uses AS (
               INSERT INTO point_lot_uses (transfer_id, lot_id, points)
               SELECT $4, id, points FROM take)
           SELECT coalesce(sum(points), 0)::bigint AS "taken!" FROM take"#,
        account,
        points,
        first,
        transfer
    )
    .fetch_one(&mut *conn)
    .await?;
    if taken < points {
        tracing::error!(%account, points, taken, "a customer's point lots hold less than the balance");
        return Err(sqlx::Error::Protocol(format!(
            "the point lots of account {account} hold {taken} of the {points} points to take \
             (run `quanyi audit ledger`)"
        )));
    }
    Ok(())
}

/// Gives back to the lots everything each hold took, as its resolution's uses; a hold's points
/// that no lot gave (a hold from before lots) make a new lot. Holds on accounts other than
/// customers' points accounts have no uses and are left alone.
pub(crate) async fn give_back(
    conn: &mut PgConnection,
    holds: &[Uuid],
    resolutions: &[Uuid],
    amounts: &[i64],
    accounts: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let short = sqlx::query!(
        r#"WITH r AS (
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[])
                        AS r (hold, resolution, amount, account)),
           back AS (
               SELECT r.resolution, u.lot_id, u.points
                 FROM r JOIN point_lot_uses u ON u.transfer_id = r.hold),
           lots AS (
               UPDATE point_lots l SET remaining = l.remaining + s.points
                 FROM (SELECT lot_id, sum(points)::bigint AS points FROM back GROUP BY lot_id) s
                WHERE l.id = s.lot_id),
           uses AS (
               INSERT INTO point_lot_uses (transfer_id, lot_id, points)
               SELECT resolution, lot_id, -points FROM back)
           SELECT r.resolution AS "resolution!", r.account AS "account!",
                  (r.amount - coalesce((SELECT sum(b.points) FROM back b
                                         WHERE b.resolution = r.resolution), 0))::bigint AS "short!"
             FROM r JOIN ledger_accounts a ON a.id = r.account
            WHERE a.unit = 'points' AND a.kind = 'customer'"#,
        holds,
        resolutions,
        amounts,
        accounts
    )
    .fetch_all(&mut *conn)
    .await?;
    let short: Vec<_> = short.into_iter().filter(|s| s.short > 0).collect();
    if !short.is_empty() {
        let ids: Vec<Uuid> = short.iter().map(|s| s.resolution).collect();
        let accounts: Vec<Uuid> = short.iter().map(|s| s.account).collect();
        let points: Vec<i64> = short.iter().map(|s| s.short).collect();
        new_lots(conn, &ids, &accounts, &points, now).await?;
    }
    Ok(())
}

/// A capture's rest: `rest` of what `hold` took goes back, latest expiry first (the capture
/// spends the earliest).
async fn give_back_rest(
    conn: &mut PgConnection,
    hold: Uuid,
    capture: Uuid,
    rest: i64,
    account: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let back = sqlx::query_scalar!(
        r#"WITH held AS (
               SELECT u.lot_id, u.points, l.expires_at
                 FROM point_lot_uses u JOIN point_lots l ON l.id = u.lot_id
                WHERE u.transfer_id = $1),
           ordered AS (
               SELECT lot_id, points,
                      (sum(points) OVER (ORDER BY expires_at DESC, lot_id DESC))::bigint AS upto
                 FROM held),
           back AS (
               SELECT lot_id, least(points, $2 - (upto - points)) AS points
                 FROM ordered WHERE upto - points < $2),
           lots AS (
               UPDATE point_lots l SET remaining = l.remaining + b.points
                 FROM back b WHERE l.id = b.lot_id),
           uses AS (
               INSERT INTO point_lot_uses (transfer_id, lot_id, points)
               SELECT $3, lot_id, -points FROM back)
           SELECT coalesce(sum(points), 0)::bigint AS "back!" FROM back"#,
        hold,
        rest,
        capture
    )
    .fetch_one(&mut *conn)
    .await?;
    if back < rest {
        new_lots(conn, &[capture], &[account], &[rest - back], now).await?;
    }
    Ok(())
}

/// A reversal of a debit: what the debit (with its hold, for a capture) took net goes back to
/// the same lots, as the reversal's uses. Answers how many points went back.
async fn restore(
    conn: &mut PgConnection,
    original: Uuid,
    reversal: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"WITH d AS (
               SELECT id FROM ledger_transfers WHERE id = $1
               UNION ALL
               SELECT pending_id FROM ledger_transfers WHERE id = $1 AND pending_id IS NOT NULL),
           net AS (
               SELECT u.lot_id, sum(u.points)::bigint AS points
                 FROM point_lot_uses u WHERE u.transfer_id IN (SELECT id FROM d)
                GROUP BY u.lot_id HAVING sum(u.points) > 0),
           lots AS (
               UPDATE point_lots l SET remaining = l.remaining + n.points
                 FROM net n WHERE l.id = n.lot_id),
           uses AS (
               INSERT INTO point_lot_uses (transfer_id, lot_id, points)
               SELECT $2, lot_id, -points FROM net)
           SELECT coalesce(sum(points), 0)::bigint AS "restored!" FROM net"#,
        original,
        reversal
    )
    .fetch_one(&mut *conn)
    .await
}

/// New lots, one per transfer `ids[i]` of `points[i]` on `accounts[i]`, earned `now` and expiring
/// at the end of the year [`EXPIRY_YEARS_PARAMETER`] years after `now`'s, Beijing time.
async fn new_lots(
    conn: &mut PgConnection,
    ids: &[Uuid],
    accounts: &[Uuid],
    points: &[i64],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO point_lots (id, transfer_id, account_id, customer_no, points, remaining,
                                 earned_at, expires_at)
         SELECT x.id, x.id, x.account, a.customer_no, x.points, x.points, $4,
                make_timestamptz(extract(year FROM $4 AT TIME ZONE 'Asia/Shanghai')::int
                                 + coalesce((SELECT value FROM parameters WHERE key = $5), $6)::int
                                 + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai')
           FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS x (id, account, points)
           JOIN ledger_accounts a ON a.id = x.account",
        ids,
        accounts,
        points,
        now,
        EXPIRY_YEARS_PARAMETER,
        DEFAULT_EXPIRY_YEARS
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A lot that expires soon, as the customer page shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = PointLot)]
pub struct Lot {
    pub id: Uuid,
    pub points: i64,
    pub remaining: i64,
    pub earned_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The customer account `account`'s lots with points left that expire before `until`, earliest
/// first (at most 100), and the points they hold.
pub async fn expiring(
    pool: &sqlx::PgPool,
    account: Uuid,
    until: DateTime<Utc>,
) -> Result<Vec<Lot>, sqlx::Error> {
    sqlx::query_as!(
        Lot,
        "SELECT id, points, remaining, earned_at, expires_at FROM point_lots
          WHERE account_id = $1 AND remaining > 0 AND expires_at <= $2
          ORDER BY expires_at, id LIMIT 100",
        account,
        until
    )
    .fetch_all(pool)
    .await
}

/// The lots' checks of `quanyi audit ledger`, in its transaction: every lot's remainder is its
/// points less its net uses; every customer points account's lots sum to its available balance.
pub(crate) async fn check(conn: &mut PgConnection) -> Result<Vec<Violation>, sqlx::Error> {
    let mut violations = Vec::new();
    for l in sqlx::query!(
        r#"SELECT l.id::text AS "id!", l.customer_no, l.points, l.remaining,
                  coalesce(u.used, 0)::bigint AS "used!"
             FROM point_lots l
             LEFT JOIN (SELECT lot_id, sum(points) AS used FROM point_lot_uses GROUP BY lot_id) u
                    ON u.lot_id = l.id
            WHERE l.remaining <> l.points - coalesce(u.used, 0)"#
    )
    .fetch_all(&mut *conn)
    .await?
    {
        violations.push(Violation {
            subject: format!("lot {}", l.id),
            rule: "a lot's remainder differs from its points less its uses",
            detail: format!(
                "customer {}: {} points, {} used, {} left",
                crate::pii::mask(crate::pii::Kind::CustomerNo, &l.customer_no),
                l.points,
                l.used,
                l.remaining
            ),
        });
    }
    for a in sqlx::query!(
        r#"SELECT a.code, (a.credits_posted - a.debits_posted - a.debits_pending) AS "available!",
                  coalesce(l.remaining, 0)::bigint AS "lots!"
             FROM ledger_accounts a
             LEFT JOIN (SELECT account_id, sum(remaining) AS remaining FROM point_lots
                         GROUP BY account_id) l ON l.account_id = a.id
            WHERE a.unit = 'points' AND a.kind = 'customer'
              AND a.credits_posted - a.debits_posted - a.debits_pending <> coalesce(l.remaining, 0)
            ORDER BY a.code"#
    )
    .fetch_all(&mut *conn)
    .await?
    {
        violations.push(Violation {
            subject: a.code,
            rule: "a customer's point lots do not sum to the available balance",
            detail: format!("available {}, lots hold {}", a.available, a.lots),
        });
    }
    Ok(violations)
}
