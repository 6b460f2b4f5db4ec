//! 积分账户 and 积分流水 for staff: the ledger's points accounts with their kept balances, the points
//! issued, spent and expired by org and Beijing day (the chart's series), and every points transfer
//! by customer, code and time.

use crate::pii::{self, Kind};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// A points account with its balance on its normal side.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = LedgerAccountRow)]
pub struct AccountRow {
    pub id: Uuid,
    /// The account's code; a customer's number in it masked.
    pub code: String,
    /// `customer`, `funding`, `merchant_funding`, `expired`, `exchange_clearing`.
    pub kind: String,
    /// Masked.
    pub customer_no: Option<String>,
    pub org_name: Option<String>,
    pub posted: i64,
    pub pending_out: i64,
    pub pending_in: i64,
    pub available: i64,
    pub created_at: DateTime<Utc>,
}

/// The points accounts of `kind` (all kinds when `None`), customers' last, with how many there are.
pub async fn accounts(
    pool: &PgPool,
    kind: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AccountRow>, i64), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT a.id, a.code, a.kind, a.customer_no, o.name AS "org_name?", a.normal_side,
                  a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, a.created_at
             FROM ledger_accounts a LEFT JOIN orgs o ON o.id = a.org_id
            WHERE a.unit = 'points' AND ($1::text IS NULL OR a.kind = $1)
            ORDER BY a.kind = 'customer', a.kind, a.code LIMIT $2 OFFSET $3"#,
        kind,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM ledger_accounts
            WHERE unit = 'points' AND ($1::text IS NULL OR kind = $1)"#,
        kind
    )
    .fetch_one(pool)
    .await?;
    Ok((
        rows.into_iter()
            .map(|a| {
                let (posted, out, inn) = if a.normal_side == "credit" {
                    (
                        a.credits_posted - a.debits_posted,
                        a.debits_pending,
                        a.credits_pending,
                    )
                } else {
                    (
                        a.debits_posted - a.credits_posted,
                        a.credits_pending,
                        a.debits_pending,
                    )
                };
                let masked = a
                    .customer_no
                    .as_deref()
                    .map(|c| pii::mask(Kind::CustomerNo, c));
                let code = match (&a.customer_no, &masked) {
                    (Some(no), Some(m)) => a.code.replace(no.as_str(), m),
                    _ => a.code,
                };
                AccountRow {
                    id: a.id,
                    code,
                    kind: a.kind,
                    customer_no: masked,
                    org_name: a.org_name,
                    posted,
                    pending_out: out,
                    pending_in: inn,
                    available: posted - out,
                    created_at: a.created_at,
                }
            })
            .collect(),
        total,
    ))
}

/// The points issued, spent and expired by one org in one Beijing day: issued by the funding org
/// (a merchant's funding by the merchant's org), spent (captured) and expired by the customer's
/// org (none: a customer the extract has not brought).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PointsDay)]
pub struct DayRow {
    pub day: NaiveDate,
    pub org_id: Option<Uuid>,
    pub org_name: Option<String>,
    pub issued: i64,
    pub spent: i64,
    pub expired: i64,
}

/// The days from `from` up to `to` (Beijing), every org with a movement.
pub async fn daily(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<DayRow>, sqlx::Error> {
    sqlx::query_as!(
        DayRow,
        r#"SELECT x.day AS "day!", x.org_id, o.name AS "org_name?",
                  x.issued AS "issued!", x.spent AS "spent!", x.expired AS "expired!"
             FROM (SELECT (t.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
                          CASE WHEN t.code = 'earn' THEN coalesce(d.org_id, m.org_id) ELSE c.org_id END
                              AS org_id,
                          coalesce(sum(t.amount) FILTER (WHERE t.code = 'earn'), 0)::bigint AS issued,
                          coalesce(sum(t.amount) FILTER (WHERE t.code = 'capture'), 0)::bigint AS spent,
                          coalesce(sum(t.amount) FILTER (WHERE t.code = 'expiry'), 0)::bigint AS expired
                     FROM ledger_transfers t
                     JOIN ledger_accounts d ON d.id = t.debit_account_id
                     LEFT JOIN merchants m
                            ON d.kind = 'merchant_funding'
                           AND m.id::text = substring(d.code FROM 'points:merchant-funding:(.*)$')
                     LEFT JOIN customers c ON c.customer_no = d.customer_no
                    WHERE t.unit = 'points' AND t.created_at >= $1 AND t.created_at < $2
                      AND t.code IN ('earn', 'capture', 'expiry')
                    GROUP BY 1, 2) AS x
             LEFT JOIN orgs o ON o.id = x.org_id
            ORDER BY x.day, o.name NULLS LAST"#,
        from,
        to
    )
    .fetch_all(pool)
    .await
}

/// 积分流水's filter; every field optional.
#[derive(Debug, Clone, Default)]
pub struct TransferFilter {
    /// One customer's account (the whole number: a customer number is personal data, no prefix).
    pub customer: Option<Uuid>,
    /// `earn`, `hold`, `capture`, `void`, `expire`, `reverse`, `expiry`.
    pub code: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The points transfers matching `filter`, newest first, with how many there are (at most
/// `limit + offset` are read; the count stops at 100,000).
pub async fn transfers(
    pool: &PgPool,
    filter: &TransferFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<crate::ledger::Transfer>, i64), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT t.id, t.kind, t.code, d.code AS debit, c.code AS credit, t.amount, t.unit,
                  t.pending_id, t.corrects_id, t.expires_at, t.memo, t.created_at
             FROM ledger_transfers t
             JOIN ledger_accounts d ON d.id = t.debit_account_id
             JOIN ledger_accounts c ON c.id = t.credit_account_id
            WHERE t.unit = 'points'
              AND ($1::uuid IS NULL OR t.debit_account_id = $1 OR t.credit_account_id = $1)
              AND ($2::text IS NULL OR t.code = $2)
              AND ($3::timestamptz IS NULL OR t.created_at >= $3)
              AND ($4::timestamptz IS NULL OR t.created_at < $4)
            ORDER BY t.seq DESC LIMIT $5 OFFSET $6"#,
        filter.customer,
        filter.code,
        filter.from,
        filter.to,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (
               SELECT 1 FROM ledger_transfers t
                WHERE t.unit = 'points'
                  AND ($1::uuid IS NULL OR t.debit_account_id = $1 OR t.credit_account_id = $1)
                  AND ($2::text IS NULL OR t.code = $2)
                  AND ($3::timestamptz IS NULL OR t.created_at >= $3)
                  AND ($4::timestamptz IS NULL OR t.created_at < $4)
                LIMIT 100000) AS capped"#,
        filter.customer,
        filter.code,
        filter.from,
        filter.to
    )
    .fetch_one(pool)
    .await?;
    Ok((
        rows.into_iter()
            .map(|r| crate::ledger::Transfer {
                id: r.id,
                kind: r.kind,
                code: r.code,
                debit_account: r.debit,
                credit_account: r.credit,
                amount: r.amount,
                unit: r.unit,
                pending_id: r.pending_id,
                corrects_id: r.corrects_id,
                expires_at: r.expires_at,
                memo: r.memo,
                created_at: r.created_at,
            })
            .collect(),
        total,
    ))
}
