//! 签到: a customer's daily check-in earns through the points rules (transactions of type
//! `check_in`) once per Beijing-time day. The day is in the transaction id, and the rules'
//! `point_transactions` insert reserves that id in the statement that decides — a second check-in
//! the same day, also one sent at the same moment, gets the first answer and earns nothing more.

use super::expiry;
use super::rules::{self, Earned, Transaction, TxnRefusal};
use chrono::{DateTime, NaiveDate, Utc};
use quanyi_workflows::domain::CustomerNo;
use sqlx::PgPool;

/// The transaction id of `customer`'s check-in on `day`.
fn txn_id(customer: &CustomerNo, day: NaiveDate) -> String {
    format!("checkin:{}:{}", customer.as_str(), day.format("%Y-%m-%d"))
}

/// `customer`'s check-in at `now`: what the rules gave (the same answer every time that day).
pub async fn check_in(
    pool: &PgPool,
    customer: &CustomerNo,
    now: DateTime<Utc>,
) -> Result<Result<Earned, TxnRefusal>, sqlx::Error> {
    let day = expiry::today(now);
    let id = txn_id(customer, day);
    let body = serde_json::to_vec(&serde_json::json!({
        "customer_no": customer.as_str(),
        "day": day.format("%Y-%m-%d").to_string(),
    }))
    .expect("a check-in serializes");
    let txn = Transaction {
        txn_id: &id,
        customer,
        txn_type: "check_in",
        amount_fen: 0,
        occurred_at: now,
        merchant_id: None,
        body: &body,
        actor: "h5",
    };
    rules::transact(pool, &txn, now).await
}

/// Whether `customer` checked in on the Beijing-time day of `now`, and the points it gave.
pub async fn today(
    pool: &PgPool,
    customer: &CustomerNo,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT points FROM point_transactions WHERE txn_id = $1",
        txn_id(customer, expiry::today(now))
    )
    .fetch_optional(pool)
    .await
}

/// The Beijing-time days of `customer`'s check-ins in the 31 days up to `now`, latest first.
pub async fn recent_days(
    pool: &PgPool,
    customer: &CustomerNo,
    now: DateTime<Utc>,
) -> Result<Vec<NaiveDate>, sqlx::Error> {
    let since = now - chrono::Duration::days(31);
    let rows = sqlx::query_scalar!(
        "SELECT txn_id FROM point_transactions
          WHERE customer_no = $1 AND txn_type = 'check_in' AND occurred_at >= $2
          ORDER BY occurred_at DESC",
        customer.as_str(),
        since
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|id| id.rsplit(':').next())
        .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_beijing_time() {
        let customer = CustomerNo::parse("C10000001").unwrap();
        // 2026-12-07 16:30 UTC is 2026-12-08 00:30 in Beijing
        let late: DateTime<Utc> = "2026-12-07T16:30:00Z".parse().unwrap();
        assert_eq!(
            txn_id(&customer, expiry::today(late)),
            "checkin:C10000001:2026-12-08"
        );
        let early: DateTime<Utc> = "2026-12-07T15:59:59Z".parse().unwrap();
        assert_eq!(
            txn_id(&customer, expiry::today(early)),
            "checkin:C10000001:2026-12-07"
        );
    }
}
