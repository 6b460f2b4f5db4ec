//! Points on the ledger (BEN-5, BEN-7), minimally: a customer's points account (created on first
//! use, keyed by customer number), a funding account per org that bears what it gives, and the
//! exchange clearing account that spent points go to — those two spread over [`SHARDS`] accounts. Earning, a hold and its capture or void,
//! a reversal of an earning or a capture, a balance and a history.

pub mod check_in;
pub mod exchange;
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

/// How many accounts an org's funding, and the exchange clearing, are spread over. Every earning
/// moves a funding account and every hold the clearing account, and a row stays locked from its
/// update to the commit: one account per org would serialize the org's earnings (about 90 a
/// second measured, against about 400 spread over 16). Each shard is an ordinary account with its
/// balance in its row; the org's funding is their sum (`kind = 'funding' AND org_id = …`).
pub const SHARDS: u8 = 16;

/// The shard a customer's earnings and holds use: from the customer's account id (a UUID v5,
/// uniform), so one customer's transfers always meet the same shard and a retry the same account.
pub fn shard_of(customer: &CustomerNo) -> u8 {
    customer_account(customer).id().as_bytes()[0] % SHARDS
}

/// An account code with its shard: shard 0 keeps the plain code (the single account of before).
fn sharded(code: String, shard: u8) -> String {
    match shard % SHARDS {
        0 => code,
        n => format!("{code}:{n}"),
    }
}

/// One shard of an org's funding account: what it has given away (an expense, debit-normal,
/// unbounded).
pub fn funding_account(org: Uuid, shard: u8) -> NewAccount {
    NewAccount {
        code: sharded(format!("{FUNDING_PREFIX}{org}"), shard),
        unit: Unit::Points,
        normal_side: Side::Debit,
        no_negative: false,
        kind: "funding",
        customer_no: None,
        org_id: Some(org),
    }
}

/// One shard of the exchange clearing account, where held and spent points go.
pub fn clearing_account(shard: u8) -> NewAccount {
    NewAccount {
        code: sharded(EXCHANGE_CLEARING.into(), shard),
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

/// The org of a funding account's code (any shard).
pub fn org_of(account_code: &str) -> Option<Uuid> {
    let org = account_code.strip_prefix(FUNDING_PREFIX)?;
    org.split_once(':')
        .map_or(org, |(org, _shard)| org)
        .parse()
        .ok()
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

/// Gives `points` to `customer` from `org`'s funding account (the customer's shard of it).
pub async fn earn(
    pool: &PgPool,
    call: Call<'_>,
    customer: &CustomerNo,
    org: Uuid,
    points: i64,
    memo: String,
) -> Result<Outcome, sqlx::Error> {
    let (to, from) = (
        customer_account(customer),
        funding_account(org, shard_of(customer)),
    );
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
    let (from, to) = (
        customer_account(customer),
        clearing_account(shard_of(customer)),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shard_of_a_funding_account_names_its_org() {
        let org = Uuid::new_v4();
        let codes: std::collections::HashSet<_> = (0..SHARDS)
            .map(|shard| funding_account(org, shard).code)
            .collect();
        assert_eq!(codes.len(), usize::from(SHARDS));
        assert!(
            codes.contains(&format!("{FUNDING_PREFIX}{org}")),
            "shard 0 keeps the plain code"
        );
        for code in &codes {
            assert_eq!(org_of(code), Some(org), "{code}");
        }
        assert_eq!(
            funding_account(org, SHARDS).code,
            funding_account(org, 0).code
        );
        assert_eq!(org_of("points:funding:not-an-org:3"), None);
        assert_eq!(org_of(&clearing_account(3).code), None);
    }

    #[test]
    fn customers_spread_over_the_shards_and_keep_theirs() {
        let customers: Vec<CustomerNo> = (0..1_000)
            .map(|n| CustomerNo::parse(&format!("C{:08}", 10_000_000 + n)).unwrap())
            .collect();
        let mut used = [0u32; SHARDS as usize];
        for customer in &customers {
            assert_eq!(shard_of(customer), shard_of(customer));
            used[usize::from(shard_of(customer))] += 1;
        }
        // 1,000 customers over 16 shards: about 62 each; none empty, none with a third of them
        assert!(used.iter().all(|&n| n > 20 && n < 333), "{used:?}");
    }
}
