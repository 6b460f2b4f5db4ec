//! 积分账户 and 积分流水 for staff: the ledger's accounts with their kept balances, the points
//! issued, spent and expired by org and Beijing day (the chart's series), and every points transfer
//! by customer, code and time.

use crate::identity::scope::{DataScope, scope_params};
use crate::pii::{self, Kind};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// A ledger account with its balance on its normal side.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = LedgerAccountRow)]
pub struct AccountRow {
    pub id: Uuid,
    /// The account's code; a customer's number in it masked.
    pub code: String,
    /// `customer`, `funding`, `merchant_funding`, `expired`, `exchange_clearing`, or a money kind.
    pub kind: String,
    /// `points` or `cny_fen`.
    pub unit: String,
    /// Masked.
    pub customer_no: Option<String>,
    /// The org the account belongs to: its own, its customer's, its merchant's, or else the head
    /// office.
    pub org_id: Option<Uuid>,
    pub org_name: Option<String>,
    pub posted: i64,
    pub pending_out: i64,
    pub pending_in: i64,
    pub available: i64,
    pub created_at: DateTime<Utc>,
}

/// The account list's filter; every field optional.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub kind: Option<String>,
    pub unit: Option<String>,
    /// The org the account belongs to (its own, its customer's or its merchant's).
    pub org: Option<Uuid>,
}

/// The ledger's accounts matching `filter` in `scope` — an account belongs to its own org, its
/// customer's or its merchant's, and one with none of these (the expired and clearing accounts, a
/// customer the extract has not brought) to the head office — the bank's own first, customers'
/// last, with how many there are.
pub async fn accounts(
    pool: &PgPool,
    scope: &DataScope,
    filter: &AccountFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AccountRow>, i64), sqlx::Error> {
    let (all, path, org, _) = scope_params(scope);
    let rows = sqlx::query!(
        r#"SELECT a.id, a.code, a.kind, a.unit, a.customer_no, o.id AS "org_id?",
                  o.name AS "org_name?", a.normal_side, a.debits_posted, a.credits_posted,
                  a.debits_pending, a.credits_pending, a.created_at, count(*) OVER () AS "total!"
             FROM ledger_accounts a
             LEFT JOIN customers cu ON cu.customer_no = a.customer_no
             LEFT JOIN merchants m
                    ON a.kind = 'merchant_funding'
                   AND m.id::text = substring(a.code FROM 'points:merchant-funding:(.*)$')
             JOIN orgs o ON o.id = coalesce(a.org_id, cu.org_id, m.org_id,
                                           (SELECT id FROM orgs WHERE level = 1 ORDER BY path LIMIT 1))
            WHERE ($1 OR o.path LIKE $2 || '%' OR o.id = $3)
              AND ($4::text IS NULL OR a.kind = $4)
              AND ($5::text IS NULL OR a.unit = $5)
              AND ($6::uuid IS NULL OR o.id = $6)
            ORDER BY a.kind = 'customer', a.kind, a.code LIMIT $7 OFFSET $8"#,
        all,
        path,
        org,
        filter.kind,
        filter.unit,
        filter.org,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
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
                    unit: a.unit,
                    customer_no: masked,
                    org_id: a.org_id,
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

/// The days from `from` up to `to` (Beijing), every org in `scope` (and `org`, if given) with a
/// movement; the movements of no org (a customer the extract has not brought) count to the head
/// office.
pub async fn daily(
    pool: &PgPool,
    scope: &DataScope,
    org: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<DayRow>, sqlx::Error> {
    let (all, path, scope_org, _) = scope_params(scope);
    sqlx::query_as!(
        DayRow,
        r#"SELECT x.day AS "day!", o.id AS "org_id?", o.name AS "org_name?",
                  x.issued AS "issued!", x.spent AS "spent!", x.expired AS "expired!"
             FROM (SELECT (t.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
                          coalesce(CASE WHEN t.code = 'earn' THEN coalesce(d.org_id, m.org_id)
                                        ELSE c.org_id END,
                                   (SELECT id FROM orgs WHERE level = 1 ORDER BY path LIMIT 1))
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
             JOIN orgs o ON o.id = x.org_id
            WHERE ($3 OR o.path LIKE $4 || '%' OR o.id = $5)
              AND ($6::uuid IS NULL OR o.id = $6)
            ORDER BY x.day, o.name NULLS LAST"#,
        from,
        to,
        all,
        path,
        scope_org,
        org
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

/// The points transfers matching `filter` in `scope`, newest first, with how many there are (at
/// most `limit + offset` are read; the count stops at 100,000). A transfer belongs to its
/// customer's org, else to its funding org, else to the head office.
pub async fn transfers(
    pool: &PgPool,
    scope: &DataScope,
    filter: &TransferFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<crate::ledger::Transfer>, i64), sqlx::Error> {
    let (all, path, org, _) = scope_params(scope);
    let rows = sqlx::query!(
        r#"SELECT t.id, t.kind, t.code, d.code AS debit, c.code AS credit, t.amount, t.unit,
                  t.pending_id, t.corrects_id, t.expires_at, t.memo, t.created_at
             FROM ledger_transfers t
             JOIN ledger_accounts d ON d.id = t.debit_account_id
             JOIN ledger_accounts c ON c.id = t.credit_account_id
             JOIN orgs o ON o.id = (SELECT coalesce(
                      (SELECT org_id FROM customers WHERE customer_no = coalesce(d.customer_no, c.customer_no)),
                      d.org_id, c.org_id,
                      (SELECT id FROM orgs WHERE level = 1 ORDER BY path LIMIT 1)))
            WHERE t.unit = 'points'
              AND ($1::uuid IS NULL OR t.debit_account_id = $1 OR t.credit_account_id = $1)
              AND ($2::text IS NULL OR t.code = $2)
              AND ($3::timestamptz IS NULL OR t.created_at >= $3)
              AND ($4::timestamptz IS NULL OR t.created_at < $4)
              AND ($7 OR o.path LIKE $8 || '%' OR o.id = $9)
            ORDER BY t.seq DESC LIMIT $5 OFFSET $6"#,
        filter.customer,
        filter.code,
        filter.from,
        filter.to,
        limit,
        offset,
        all,
        path,
        org
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (
               SELECT 1 FROM ledger_transfers t
                 JOIN ledger_accounts d ON d.id = t.debit_account_id
                 JOIN ledger_accounts c ON c.id = t.credit_account_id
                 JOIN orgs o ON o.id = (SELECT coalesce(
                          (SELECT org_id FROM customers WHERE customer_no = coalesce(d.customer_no, c.customer_no)),
                          d.org_id, c.org_id,
                          (SELECT id FROM orgs WHERE level = 1 ORDER BY path LIMIT 1)))
                WHERE t.unit = 'points'
                  AND ($1::uuid IS NULL OR t.debit_account_id = $1 OR t.credit_account_id = $1)
                  AND ($2::text IS NULL OR t.code = $2)
                  AND ($3::timestamptz IS NULL OR t.created_at >= $3)
                  AND ($4::timestamptz IS NULL OR t.created_at < $4)
                  AND ($5 OR o.path LIKE $6 || '%' OR o.id = $7)
                LIMIT 100000) AS capped"#,
        filter.customer,
        filter.code,
        filter.from,
        filter.to,
        all,
        path,
        org
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
