//! Points on the ledger (BEN-5, BEN-7), minimally: a customer's points account (created on first
//! use, keyed by customer number), a funding account per org that bears what it gives, and the
//! exchange clearing account that spent points go to. Earning, a hold and its capture or void,
//! a reversal of an earning or a capture, a balance and a history.

pub mod expiry;
pub mod lots;
pub mod reports;
pub mod rules;
pub mod tiers;

use crate::audit::Entry;
use crate::ledger::{self, NewAccount, Outcome, Request, Side, Spec, Unit};
use chrono::{DateTime, Duration, Utc};
use quanyi_workflows::domain::CustomerNo;
use sqlx::PgPool;
use uuid::Uuid;

/// The prefix of customers' points accounts.
const CUSTOMER_PREFIX: &str = "points:customer:";
const FUNDING_PREFIX: &str = "points:funding:";
/// Where spent points go until the mall settles them (积分兑换清算).
pub const EXCHANGE_CLEARING: &str = "points:exchange-clearing";

/// A customer's points account: the bank owes the customer (credit-normal), never below zero.
pub fn customer_account(customer: &CustomerNo) -> NewAccount {
    NewAccount {
        code: format!("{CUSTOMER_PREFIX}{}", customer.as_str()),
        unit: Unit::Points,
        normal_side: Side::Credit,
        no_negative: true,
        kind: "customer",
        customer_no: Some(customer.as_str().to_owned()),
        org_id: None,
    }
}

/// An org's funding account: what it has given away (an expense, debit-normal, unbounded).
pub fn funding_account(org: Uuid) -> NewAccount {
    NewAccount {
        code: format!("{FUNDING_PREFIX}{org}"),
        unit: Unit::Points,
        normal_side: Side::Debit,
        no_negative: false,
        kind: "funding",
        customer_no: None,
        org_id: Some(org),
    }
}

pub fn clearing_account() -> NewAccount {
    NewAccount {
        code: EXCHANGE_CLEARING.into(),
        unit: Unit::Points,
        normal_side: Side::Credit,
        no_negative: false,
        kind: "exchange_clearing",
        customer_no: None,
        org_id: None,
    }
}

/// The customer number of a customer points account's code.
pub fn customer_of(account_code: &str) -> Option<&str> {
    account_code.strip_prefix(CUSTOMER_PREFIX)
}

/// The org of a funding account's code.
pub fn org_of(account_code: &str) -> Option<Uuid> {
    account_code
        .strip_prefix(FUNDING_PREFIX)
        .and_then(|id| id.parse().ok())
}

/// Who asks and under which key; the same for every operation.
pub struct Call<'a> {
    /// The ledger's idempotency key (`staff:<request id>`, `esb:<consumer>:<serial>`).
    pub key: &'a str,
    /// The operation's canonical body: another body under the same key is refused.
    pub body: &'a [u8],
    pub actor: &'a str,
    pub now: DateTime<Utc>,
    /// The audit row (staff calls); `None` where the ledger request is the record.
    pub audit: Option<Entry>,
}

async fn run(
    pool: &PgPool,
    call: Call<'_>,
    accounts: Vec<NewAccount>,
    spec: Spec,
) -> Result<Outcome, sqlx::Error> {
    let request = Request {
        key: call.key,
        body: call.body,
        actor: call.actor,
        accounts,
        transfers: vec![spec],
    };
    ledger::execute(pool, &request, call.now, call.audit).await
}

/// Gives `points` to `customer` from `org`'s funding account.
pub async fn earn(
    pool: &PgPool,
    call: Call<'_>,
    customer: &CustomerNo,
    org: Uuid,
    points: i64,
    memo: String,
) -> Result<Outcome, sqlx::Error> {
    let (to, from) = (customer_account(customer), funding_account(org));
    let spec = Spec::Single {
        debit: from.id(),
        credit: to.id(),
        amount: points,
        code: "earn",
        memo,
    };
    run(pool, call, vec![to, from], spec).await
}

/// Reserves `points` of `customer`'s for a spend, for at most `timeout`.
pub async fn hold(
    pool: &PgPool,
    call: Call<'_>,
    customer: &CustomerNo,
    points: i64,
    timeout: Duration,
    memo: String,
) -> Result<Outcome, sqlx::Error> {
    let (from, to) = (customer_account(customer), clearing_account());
    let spec = Spec::Pending {
        debit: from.id(),
        credit: to.id(),
        amount: points,
        timeout,
        code: "hold",
        memo,
    };
    run(pool, call, vec![from, to], spec).await
}

/// Spends a hold: all of it, or `points` of it (the rest goes back to the customer).
pub async fn capture(
    pool: &PgPool,
    call: Call<'_>,
    hold: Uuid,
    points: Option<i64>,
    memo: String,
) -> Result<Outcome, sqlx::Error> {
    let spec = Spec::Post {
        pending: hold,
        unit: Unit::Points,
        amount: points,
        code: "capture",
        memo,
    };
    run(pool, call, Vec::new(), spec).await
}

/// Gives a hold back to the customer.
pub async fn void(
    pool: &PgPool,
    call: Call<'_>,
    hold: Uuid,
    memo: String,
) -> Result<Outcome, sqlx::Error> {
    let spec = Spec::Void {
        pending: hold,
        unit: Unit::Points,
        code: "void",
        memo,
    };
    run(pool, call, Vec::new(), spec).await
}

/// Reverses an earning or a capture, once: the mirror transfer naming it. An earning is taken
/// back only as far as its lot still holds it — what was spent or expired cannot be, and the
/// reversal's amount less the earning's says how much (nothing left: refused,
/// `nothing_to_reverse`). The lot is read before the request: should a spend take from it
/// meanwhile, the reversal takes the difference from the customer's other lots.
pub async fn reverse(
    pool: &PgPool,
    call: Call<'_>,
    transfer: Uuid,
    memo: String,
) -> Result<Outcome, sqlx::Error> {
    let left = sqlx::query_scalar!(
        "SELECT remaining FROM point_lots WHERE transfer_id = $1",
        transfer
    )
    .fetch_optional(pool)
    .await?;
    let spec = Spec::Reverse {
        transfer,
        unit: Unit::Points,
        amount: left,
        code: "reverse",
        memo,
    };
    run(pool, call, Vec::new(), spec).await
}

/// A customer's points balance (zero before the first earning).
pub async fn balance(pool: &PgPool, customer: &CustomerNo) -> Result<ledger::Balance, sqlx::Error> {
    ledger::balance(pool, customer_account(customer).id()).await
}

/// A customer's points movements, newest first, with how many there are.
pub async fn history(
    pool: &PgPool,
    customer: &CustomerNo,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ledger::Transfer>, i64), sqlx::Error> {
    ledger::history(pool, customer_account(customer).id(), limit, offset).await
}
