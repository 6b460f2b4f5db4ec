//! 积分兑换规则 (BEN-5): the rate at which points pay for mall products or coupons, how much of a
//! price points may pay, the caps, and who bears the money value of the points spent (分摊 between
//! head office, branch and merchant, as the earning rules' shares).
//!
//! A rule is kept in one row: an edit is made against the version the editor read (another edit
//! since is refused) and audited with the terms before and after. [`ExchangeTerms::quote`] is the
//! rule's arithmetic — what a price costs in points, what is left in cash, who bears what — and
//! 试算 shows it to staff before they price a product.

use super::rules::{Party, RuleRefusal, by_name, check_shares, references, split_by_shares};
use crate::audit::{self, Entry};
use crate::ledger;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

/// What points may pay for.
pub const TARGETS: &[&str] = &["mall_product", "coupon"];

/// What an exchange rule says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PointExchangeTerms)]
pub struct ExchangeTerms {
    pub name: String,
    /// `mall_product` or `coupon`.
    pub target: String,
    /// How many points make one yuan (100: a point is a fen).
    pub points_per_yuan: i64,
    /// The most of a price, in percent, that points may pay; cash pays the rest.
    pub max_pct: i32,
    /// The most points one exchange may spend.
    pub order_cap: Option<i64>,
    /// The most points a customer may spend under the rule in a Beijing day / month.
    pub daily_cap: Option<i64>,
    pub monthly_cap: Option<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    /// Who bears the money value of the points spent.
    pub hq_org_id: Option<Uuid>,
    pub hq_pct: i32,
    pub branch_org_id: Option<Uuid>,
    pub branch_pct: i32,
    pub merchant_id: Option<Uuid>,
    pub merchant_pct: i32,
}

/// What a price costs under a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = PointExchangeQuote)]
pub struct Quote {
    pub price_fen: i64,
    /// The points the customer spends.
    pub points: i64,
    /// Their money value (fen), which the parties bear in their shares.
    pub points_value_fen: i64,
    /// What the customer pays in cash.
    pub cash_fen: i64,
    /// Whether the order cap cut the points.
    pub capped: bool,
    pub shares: Vec<QuoteShare>,
}

/// A party's part of the points' money value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = PointExchangeShare)]
pub struct QuoteShare {
    /// `org` or `merchant`.
    pub party: String,
    pub party_id: Uuid,
    pub fen: i64,
}

impl ExchangeTerms {
    /// The checks that need no database: name, target, rate, caps, window, shares.
    pub fn check(&self) -> Result<(), RuleRefusal> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(RuleRefusal::InvalidName);
        }
        if !TARGETS.contains(&self.target.as_str()) {
            return Err(RuleRefusal::InvalidTarget);
        }
        let cap_ok = |c: Option<i64>| c.is_none_or(|c| (1..=ledger::MAX_AMOUNT).contains(&c));
        if !(1..=1_000_000).contains(&self.points_per_yuan)
            || !(1..=100).contains(&self.max_pct)
            || !cap_ok(self.order_cap)
            || !cap_ok(self.daily_cap)
            || !cap_ok(self.monthly_cap)
        {
            return Err(RuleRefusal::InvalidNumbers);
        }
        if self.valid_to <= self.valid_from {
            return Err(RuleRefusal::InvalidWindow);
        }
        check_shares([
            (self.hq_org_id.is_some(), self.hq_pct),
            (self.branch_org_id.is_some(), self.branch_pct),
            (self.merchant_id.is_some(), self.merchant_pct),
        ])
    }

    /// What `price_fen` costs: points pay at most `max_pct` of it at the rule's rate (whole points,
    /// rounded down, at most the order cap), their value rounded down to the fen, cash the rest;
    /// the value split between the parties by their shares.
    pub fn quote(&self, price_fen: i64) -> Quote {
        let price = i128::from(price_fen.max(0));
        let rate = i128::from(self.points_per_yuan.max(1));
        let payable = price * i128::from(self.max_pct) / 100;
        let mut points = payable * rate / 100;
        let capped = self.order_cap.is_some_and(|c| points > i128::from(c));
        if let Some(cap) = self.order_cap {
            points = points.min(i128::from(cap));
        }
        let value = (points * 100 / rate).min(payable);
        let value_fen = i64::try_from(value).unwrap_or(i64::MAX);
        let shares = split_by_shares(
            value_fen,
            [
                (self.hq_org_id.map(Party::Org), self.hq_pct),
                (self.branch_org_id.map(Party::Org), self.branch_pct),
                (self.merchant_id.map(Party::Merchant), self.merchant_pct),
            ],
        )
        .into_iter()
        .map(|(party, fen)| {
            let (party, party_id) = match party {
                Party::Org(id) => ("org", id),
                Party::Merchant(id) => ("merchant", id),
            };
            QuoteShare {
                party: party.into(),
                party_id,
                fen,
            }
        })
        .collect();
        Quote {
            price_fen,
            points: i64::try_from(points).unwrap_or(i64::MAX),
            points_value_fen: value_fen,
            cash_fen: price_fen.max(0) - value_fen,
            capped,
            shares,
        }
    }
}

/// An exchange rule as the list and the detail show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PointExchangeRule)]
pub struct ExchangeRule {
    pub id: Uuid,
    pub code: String,
    pub version: i32,
    /// `active` or `disabled`.
    pub status: String,
    #[serde(flatten)]
    pub terms: ExchangeTerms,
    pub hq_org_name: Option<String>,
    pub branch_org_name: Option<String>,
    pub merchant_name: Option<String>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// The exchange rules' filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub target: Option<String>,
    /// Part of the code or the name.
    pub q: Option<String>,
}

macro_rules! exchange_rule_of {
    ($r:expr) => {{
        let r = $r;
        ExchangeRule {
            id: r.id,
            code: r.code,
            version: r.version,
            status: r.status,
            terms: ExchangeTerms {
                name: r.name,
                target: r.target,
                points_per_yuan: r.points_per_yuan,
                max_pct: r.max_pct,
                order_cap: r.order_cap,
                daily_cap: r.daily_cap,
                monthly_cap: r.monthly_cap,
                valid_from: r.valid_from,
                valid_to: r.valid_to,
                hq_org_id: r.hq_org_id,
                hq_pct: r.hq_pct,
                branch_org_id: r.branch_org_id,
                branch_pct: r.branch_pct,
                merchant_id: r.merchant_id,
                merchant_pct: r.merchant_pct,
            },
            hq_org_name: r.hq_org_name,
            branch_org_name: r.branch_org_name,
            merchant_name: r.merchant_name,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }};
}

/// The exchange rules matching `filter` (or the one `id`), by code, with how many match.
pub async fn list(
    pool: &PgPool,
    id: Option<Uuid>,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ExchangeRule>, i64), sqlx::Error> {
    let q = crate::numbers::contains_pattern(filter.q.as_deref());
    let rows = sqlx::query!(
        r#"SELECT r.id, r.code, r.version, r.status, r.name, r.target, r.points_per_yuan,
                  r.max_pct, r.order_cap, r.daily_cap, r.monthly_cap, r.valid_from, r.valid_to,
                  r.hq_org_id, r.hq_pct, r.branch_org_id, r.branch_pct, r.merchant_id,
                  r.merchant_pct, r.updated_by, r.updated_at,
                  ho.name AS "hq_org_name?", bo.name AS "branch_org_name?",
                  m.name AS "merchant_name?", count(*) OVER () AS "total!"
             FROM point_exchange_rules r
             LEFT JOIN orgs ho ON ho.id = r.hq_org_id
             LEFT JOIN orgs bo ON bo.id = r.branch_org_id
             LEFT JOIN merchants m ON m.id = r.merchant_id
            WHERE ($1::uuid IS NULL OR r.id = $1)
              AND ($2::text IS NULL OR r.status = $2) AND ($3::text IS NULL OR r.target = $3)
              AND ($4::text IS NULL OR r.code ILIKE $4 OR r.name ILIKE $4)
            ORDER BY r.code LIMIT $5 OFFSET $6"#,
        id,
        filter.status,
        filter.target,
        q,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((
        rows.into_iter().map(|r| exchange_rule_of!(r)).collect(),
        total,
    ))
}

/// One exchange rule.
pub async fn rule(pool: &PgPool, id: Uuid) -> Result<Option<ExchangeRule>, sqlx::Error> {
    Ok(list(pool, Some(id), &Filter::default(), 1, 0)
        .await?
        .0
        .into_iter()
        .next())
}

/// Creates an exchange rule (version 1, active), audited (`points.exchange_rule.create`).
pub async fn create(
    pool: &PgPool,
    code: &str,
    t: &ExchangeTerms,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, RuleRefusal>, sqlx::Error> {
    if let Err(r) = t.check() {
        return Ok(Err(r));
    }
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    if let Err(r) = references(&mut tx, [t.hq_org_id, t.branch_org_id], t.merchant_id, None).await?
    {
        return Ok(Err(r));
    }
    let id = Uuid::new_v4();
    let name = by_name(&by);
    let created = sqlx::query_scalar!(
        "INSERT INTO point_exchange_rules (id, code, version, status, name, target,
             points_per_yuan, max_pct, order_cap, daily_cap, monthly_cap, valid_from, valid_to,
             hq_org_id, hq_pct, branch_org_id, branch_pct, merchant_id, merchant_pct,
             created_by, created_at, updated_by, updated_at)
         VALUES ($1, $2, 1, 'active', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 $16, $17, $18, $19, $18, $19)
         ON CONFLICT (code) DO NOTHING RETURNING id",
        id,
        code,
        t.name.trim(),
        t.target,
        t.points_per_yuan,
        t.max_pct,
        t.order_cap,
        t.daily_cap,
        t.monthly_cap,
        t.valid_from,
        t.valid_to,
        t.hq_org_id,
        t.hq_pct,
        t.branch_org_id,
        t.branch_pct,
        t.merchant_id,
        t.merchant_pct,
        name,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if created.is_none() {
        return Ok(Err(RuleRefusal::CodeTaken));
    }
    let entry = Entry {
        action: "points.exchange_rule.create",
        target: Some(code.to_owned()),
        after: Some(serde_json::json!({"version": 1, "terms": t})),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Edits an exchange rule against `expected` (the version the editor saw; another edit since is
/// refused), audited with the terms before and after (`points.exchange_rule.update`).
pub async fn update(
    pool: &PgPool,
    id: Uuid,
    expected: i32,
    t: &ExchangeTerms,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<i32, RuleRefusal>, sqlx::Error> {
    if let Err(r) = t.check() {
        return Ok(Err(r));
    }
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    if let Err(r) = references(&mut tx, [t.hq_org_id, t.branch_org_id], t.merchant_id, None).await?
    {
        return Ok(Err(r));
    }
    let Some(before) = sqlx::query!(
        r#"SELECT code, version,
                  to_jsonb(r) - 'id' - 'code' - 'version' - 'status' - 'created_by' - 'created_at'
                      - 'updated_by' - 'updated_at' AS "terms!"
             FROM point_exchange_rules r WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(RuleRefusal::UnknownRule));
    };
    if before.version != expected {
        return Ok(Err(RuleRefusal::StaleVersion));
    }
    let version = before.version + 1;
    sqlx::query!(
        "UPDATE point_exchange_rules
            SET version = $2, name = $3, target = $4, points_per_yuan = $5, max_pct = $6,
                order_cap = $7, daily_cap = $8, monthly_cap = $9, valid_from = $10,
                valid_to = $11, hq_org_id = $12, hq_pct = $13, branch_org_id = $14,
                branch_pct = $15, merchant_id = $16, merchant_pct = $17, updated_by = $18,
                updated_at = $19
          WHERE id = $1",
        id,
        version,
        t.name.trim(),
        t.target,
        t.points_per_yuan,
        t.max_pct,
        t.order_cap,
        t.daily_cap,
        t.monthly_cap,
        t.valid_from,
        t.valid_to,
        t.hq_org_id,
        t.hq_pct,
        t.branch_org_id,
        t.branch_pct,
        t.merchant_id,
        t.merchant_pct,
        by_name(&by),
        now
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "points.exchange_rule.update",
        target: Some(before.code),
        before: Some(serde_json::json!({"version": before.version, "terms": before.terms})),
        after: Some(serde_json::json!({"version": version, "terms": t})),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(version))
}

/// Enables or disables an exchange rule (`points.exchange_rule.enable` / `.disable`, audited);
/// the same status again changes nothing and is not audited.
pub async fn set_status(
    pool: &PgPool,
    id: Uuid,
    enable: bool,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), RuleRefusal>, sqlx::Error> {
    let status = if enable { "active" } else { "disabled" };
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    let Some(before) = sqlx::query!(
        "SELECT code, status FROM point_exchange_rules WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(RuleRefusal::UnknownRule));
    };
    if before.status == status {
        return Ok(Ok(()));
    }
    sqlx::query!(
        "UPDATE point_exchange_rules SET status = $2, updated_by = $3, updated_at = $4 WHERE id = $1",
        id,
        status,
        by_name(&by),
        now
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: if enable {
            "points.exchange_rule.enable"
        } else {
            "points.exchange_rule.disable"
        },
        target: Some(before.code),
        before: Some(serde_json::json!({"status": before.status})),
        after: Some(serde_json::json!({"status": status})),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> ExchangeTerms {
        ExchangeTerms {
            name: "商城积分兑换".into(),
            target: "mall_product".into(),
            points_per_yuan: 100,
            max_pct: 80,
            order_cap: None,
            daily_cap: Some(100_000),
            monthly_cap: None,
            valid_from: "2026-01-01T00:00:00Z".parse().unwrap(),
            valid_to: "2027-01-01T00:00:00Z".parse().unwrap(),
            hq_org_id: Some(Uuid::from_u128(1)),
            hq_pct: 70,
            branch_org_id: None,
            branch_pct: 0,
            merchant_id: Some(Uuid::from_u128(3)),
            merchant_pct: 30,
        }
    }

    #[test]
    fn a_rule_names_a_known_target_sane_numbers_and_shares_of_a_hundred() {
        assert_eq!(terms().check(), Ok(()));
        let t = ExchangeTerms {
            target: "cash".into(),
            ..terms()
        };
        assert_eq!(t.check(), Err(RuleRefusal::InvalidTarget));
        let t = ExchangeTerms {
            max_pct: 0,
            ..terms()
        };
        assert_eq!(t.check(), Err(RuleRefusal::InvalidNumbers));
        let t = ExchangeTerms {
            merchant_pct: 20,
            ..terms()
        };
        assert_eq!(t.check(), Err(RuleRefusal::SharesNot100));
        let t = ExchangeTerms {
            branch_org_id: Some(Uuid::from_u128(2)),
            ..terms()
        };
        assert_eq!(t.check(), Err(RuleRefusal::ShareParty));
        let t = ExchangeTerms {
            valid_to: terms().valid_from,
            ..terms()
        };
        assert_eq!(t.check(), Err(RuleRefusal::InvalidWindow));
    }

    #[test]
    fn a_quote_pays_at_most_the_share_of_the_price_and_splits_its_value() {
        // 99.99 yuan, points pay 80 %: 7,999 fen → 7,999 points, cash 2,000 fen
        let q = terms().quote(9_999);
        assert_eq!(
            (q.points, q.points_value_fen, q.cash_fen),
            (7_999, 7_999, 2_000)
        );
        assert!(!q.capped);
        let fen: Vec<i64> = q.shares.iter().map(|s| s.fen).collect();
        // 70 % of 7,999 is 5,599.3: the remainder goes to the head office
        assert_eq!(fen, vec![5_600, 2_399]);
        assert_eq!(q.shares[1].party, "merchant");
    }

    #[test]
    fn a_quote_rounds_points_down_and_keeps_the_order_cap() {
        // 3 points a yuan: 1 yuan 1 fen at 100 % is 3 points, worth 100 fen
        let t = ExchangeTerms {
            points_per_yuan: 3,
            max_pct: 100,
            ..terms()
        };
        let q = t.quote(101);
        assert_eq!((q.points, q.points_value_fen, q.cash_fen), (3, 100, 1));
        let t = ExchangeTerms {
            order_cap: Some(500),
            ..terms()
        };
        let q = t.quote(100_000);
        assert_eq!(
            (q.points, q.points_value_fen, q.cash_fen),
            (500, 500, 99_500)
        );
        assert!(q.capped);
        assert_eq!(t.quote(0).points, 0);
    }
}
