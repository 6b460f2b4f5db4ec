//! 积分规则 (BEN-5): the rule library, and the evaluation of a core transaction against it.
//!
//! A rule is versioned: an edit writes a new version and the rule points at it, so an earning
//! names the version that paid. A transaction (`points.transaction` over the ESB, keyed by the
//! core's transaction id) is evaluated in one database transaction: its id reserved first (a
//! twin waits, then gets the first answer), each active rule of its type computes its points, the
//! caps' counters are locked and moved (a day and a month per customer and rule, Beijing time —
//! the lock is taken before the counter is read, so twenty concurrent earnings give exactly the
//! cap), then the points go to the customer from the funding accounts in the rule's shares
//! (分摊), all of them linked transfers of one ledger request, and the earnings are recorded.

use crate::audit::{self, Entry};
use crate::ledger::{self, NewAccount, Refusal as LedgerRefusal, Request, Side, Spec, Unit};
use crate::pii::{self, Kind};
use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use quanyi_workflows::domain::CustomerNo;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The transaction types the UI offers; a rule may name any other the core sends.
pub const KNOWN_TYPES: &[&str] = &["card_spend", "deposit", "campaign_bonus", "check_in"];

const MERCHANT_FUNDING_PREFIX: &str = "points:merchant-funding:";

/// A merchant's funding account: what it has given away (debit-normal, unbounded).
pub fn merchant_funding_account(merchant: Uuid) -> NewAccount {
    NewAccount {
        code: format!("{MERCHANT_FUNDING_PREFIX}{merchant}"),
        unit: Unit::Points,
        normal_side: Side::Debit,
        no_negative: false,
        kind: "merchant_funding",
        customer_no: None,
        org_id: None,
    }
}

/// The merchant of a merchant funding account's code.
pub fn merchant_of(account_code: &str) -> Option<Uuid> {
    account_code
        .strip_prefix(MERCHANT_FUNDING_PREFIX)
        .and_then(|id| id.parse().ok())
}

/// What a version of a rule says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PointRuleTerms)]
pub struct Terms {
    pub name: String,
    pub txn_type: String,
    /// The least amount (fen) a transaction must have.
    pub min_amount_fen: i64,
    /// Points for any qualifying transaction (a check-in's 10 points).
    pub fixed_points: i64,
    /// Points per `unit_fen` of the amount (1 per 100 fen: a point a yuan).
    pub points_per_unit: i64,
    pub unit_fen: i64,
    /// 100 = ×1, 200 = ×2.
    pub multiplier_pct: i32,
    /// The most points the rule gives a customer in a day / a month (Beijing time).
    pub daily_cap: Option<i64>,
    pub monthly_cap: Option<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    /// The campaign that pays, recorded on each earning.
    pub campaign_id: Option<Uuid>,
    pub hq_org_id: Option<Uuid>,
    pub hq_pct: i32,
    pub branch_org_id: Option<Uuid>,
    pub branch_pct: i32,
    /// A merchant that co-funds: the rule then rewards that merchant's transactions only.
    pub merchant_id: Option<Uuid>,
    pub merchant_pct: i32,
}

/// Why a rule change was refused; each has its own code at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleRefusal {
    /// The shares do not sum to 100, or one is outside 0–100.
    SharesNot100,
    /// A party has a share but is not named, or is named without a share.
    ShareParty,
    InvalidWindow,
    /// Neither fixed points nor points per unit.
    NoPoints,
    InvalidTxnType,
    /// An exchange rule's target is neither `mall_product` nor `coupon`.
    InvalidTarget,
    InvalidName,
    InvalidNumbers,
    UnknownOrg,
    UnknownMerchant,
    UnknownCampaign,
    CodeTaken,
    UnknownRule,
    /// The edit was made against an older version than the current one.
    StaleVersion,
}

fn txn_type_ok(t: &str) -> bool {
    let b = t.as_bytes();
    (2..=32).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

impl Terms {
    /// The checks that need no database: shares, parties, window, numbers.
    pub fn check(&self) -> Result<(), RuleRefusal> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(RuleRefusal::InvalidName);
        }
        if !txn_type_ok(&self.txn_type) {
            return Err(RuleRefusal::InvalidTxnType);
        }
        check_shares([
            (self.hq_org_id.is_some(), self.hq_pct),
            (self.branch_org_id.is_some(), self.branch_pct),
            (self.merchant_id.is_some(), self.merchant_pct),
        ])?;
        if self.valid_to <= self.valid_from {
            return Err(RuleRefusal::InvalidWindow);
        }
        if self.fixed_points <= 0 && self.points_per_unit <= 0 {
            return Err(RuleRefusal::NoPoints);
        }
        let numbers_ok = (0..=1_000_000_000_000).contains(&self.min_amount_fen)
            && (0..=1_000_000_000).contains(&self.fixed_points)
            && (0..=1_000_000).contains(&self.points_per_unit)
            && (1..=100_000_000).contains(&self.unit_fen)
            && (1..=100_000).contains(&self.multiplier_pct)
            && self
                .daily_cap
                .is_none_or(|c| (1..=ledger::MAX_AMOUNT).contains(&c))
            && self
                .monthly_cap
                .is_none_or(|c| (1..=ledger::MAX_AMOUNT).contains(&c));
        if !numbers_ok {
            return Err(RuleRefusal::InvalidNumbers);
        }
        Ok(())
    }

    async fn references(
        &self,
        conn: &mut PgConnection,
    ) -> Result<Result<(), RuleRefusal>, sqlx::Error> {
        references(
            conn,
            [self.hq_org_id, self.branch_org_id],
            self.merchant_id,
            self.campaign_id,
        )
        .await
    }

    /// The points this version gives for `amount_fen`: (fixed + whole units × points per unit)
    /// × multiplier, rounded down, at most the ledger's largest amount.
    pub fn points_for(&self, amount_fen: i64) -> i64 {
        let units = i128::from(amount_fen.max(0)) / i128::from(self.unit_fen.max(1));
        let base = i128::from(self.fixed_points) + units * i128::from(self.points_per_unit);
        let points = base * i128::from(self.multiplier_pct) / 100;
        i64::try_from(points.min(i128::from(ledger::MAX_AMOUNT))).unwrap_or(ledger::MAX_AMOUNT)
    }

    /// `points` split between the funding parties by the shares: each share rounded down, the
    /// remainder to the first party with a share (head office, branch, merchant). Parties whose
    /// part is zero are left out.
    pub fn split(&self, points: i64) -> Vec<(Party, i64)> {
        split_by_shares(
            points,
            [
                (self.hq_org_id.map(Party::Org), self.hq_pct),
                (self.branch_org_id.map(Party::Org), self.branch_pct),
                (self.merchant_id.map(Party::Merchant), self.merchant_pct),
            ],
        )
    }
}

/// The cost shares (分摊) of head office, branch and merchant, each `(named, percent)`: whole
/// percentages 0–100 summing to 100, a party named exactly when it has a share. The earning and
/// the exchange rules share them.
pub(crate) fn check_shares(parties: [(bool, i32); 3]) -> Result<(), RuleRefusal> {
    if parties.iter().any(|(_, s)| !(0..=100).contains(s))
        || parties.iter().map(|(_, s)| s).sum::<i32>() != 100
    {
        return Err(RuleRefusal::SharesNot100);
    }
    if parties.iter().any(|(named, pct)| (*pct > 0) != *named) {
        return Err(RuleRefusal::ShareParty);
    }
    Ok(())
}

/// `amount` split between the parties by their shares: each share rounded down, the remainder to
/// the first named party; parties whose part is zero are left out.
pub(crate) fn split_by_shares(
    amount: i64,
    parties: [(Option<Party>, i32); 3],
) -> Vec<(Party, i64)> {
    let mut parts: Vec<(Party, i64)> = parties
        .iter()
        .filter_map(|(party, pct)| {
            party.map(|p| {
                (
                    p,
                    i64::try_from(i128::from(amount) * i128::from(*pct) / 100).unwrap_or(0),
                )
            })
        })
        .collect();
    let given: i64 = parts.iter().map(|(_, n)| n).sum();
    if let Some(first) = parts.first_mut() {
        first.1 += amount - given;
    }
    parts.retain(|(_, n)| *n > 0);
    parts
}

/// Who bears a part of an earning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Org(Uuid),
    Merchant(Uuid),
}

impl Party {
    /// The account that bears this party's part of `customer`'s earning: for an org, the
    /// customer's shard of its funding.
    fn account(self, customer: &CustomerNo) -> NewAccount {
        match self {
            Party::Org(org) => super::funding_account(org, super::shard_of(customer)),
            Party::Merchant(merchant) => merchant_funding_account(merchant),
        }
    }
}

/// A rule as the list and the detail show it: its current version's terms.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PointRule)]
pub struct Rule {
    pub id: Uuid,
    pub code: String,
    pub version: i32,
    /// `active` or `disabled`.
    pub status: String,
    #[serde(flatten)]
    pub terms: Terms,
    pub hq_org_name: Option<String>,
    pub branch_org_name: Option<String>,
    pub merchant_name: Option<String>,
    pub campaign_name: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// A version of a rule, as its history shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PointRuleVersion)]
pub struct Version {
    pub version: i32,
    #[serde(flatten)]
    pub terms: Terms,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// The rules' filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub txn_type: Option<String>,
    /// Part of the code or the name.
    pub q: Option<String>,
}

/// A version's terms out of any query row that selects the version's columns by their names (the
/// list, the detail, the history and the evaluation read the same columns into different records).
macro_rules! terms_of {
    ($r:expr) => {
        Terms {
            name: $r.name,
            txn_type: $r.txn_type,
            min_amount_fen: $r.min_amount_fen,
            fixed_points: $r.fixed_points,
            points_per_unit: $r.points_per_unit,
            unit_fen: $r.unit_fen,
            multiplier_pct: $r.multiplier_pct,
            daily_cap: $r.daily_cap,
            monthly_cap: $r.monthly_cap,
            valid_from: $r.valid_from,
            valid_to: $r.valid_to,
            campaign_id: $r.campaign_id,
            hq_org_id: $r.hq_org_id,
            hq_pct: $r.hq_pct,
            branch_org_id: $r.branch_org_id,
            branch_pct: $r.branch_pct,
            merchant_id: $r.merchant_id,
            merchant_pct: $r.merchant_pct,
        }
    };
}

macro_rules! rule_of {
    ($r:expr) => {{
        let r = $r;
        Rule {
            id: r.id,
            code: r.code,
            version: r.version,
            status: r.status,
            terms: terms_of!(r),
            hq_org_name: r.hq_org_name,
            branch_org_name: r.branch_org_name,
            merchant_name: r.merchant_name,
            campaign_name: r.campaign_name,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }};
}

/// The rules, by code, with how many there are.
pub async fn list(
    pool: &PgPool,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Rule>, i64), sqlx::Error> {
    let q = crate::numbers::contains_pattern(filter.q.as_deref());
    let rows = sqlx::query!(
        r#"SELECT r.id, r.code, r.version, r.status, r.updated_at, v.created_by AS updated_by,
                  v.name, v.txn_type, v.min_amount_fen, v.fixed_points, v.points_per_unit,
                  v.unit_fen, v.multiplier_pct, v.daily_cap, v.monthly_cap, v.valid_from,
                  v.valid_to, v.campaign_id, v.hq_org_id, v.hq_pct, v.branch_org_id,
                  v.branch_pct, v.merchant_id, v.merchant_pct,
                  ho.name AS "hq_org_name?", bo.name AS "branch_org_name?",
                  m.name AS "merchant_name?", c.name AS "campaign_name?"
             FROM point_rules r
             JOIN point_rule_versions v ON v.rule_id = r.id AND v.version = r.version
             LEFT JOIN orgs ho ON ho.id = v.hq_org_id
             LEFT JOIN orgs bo ON bo.id = v.branch_org_id
             LEFT JOIN merchants m ON m.id = v.merchant_id
             LEFT JOIN campaigns c ON c.id = v.campaign_id
            WHERE ($1::text IS NULL OR r.status = $1) AND ($2::text IS NULL OR v.txn_type = $2)
              AND ($3::text IS NULL OR r.code ILIKE $3 OR v.name ILIKE $3)
            ORDER BY r.code LIMIT $4 OFFSET $5"#,
        filter.status,
        filter.txn_type,
        q,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM point_rules r
             JOIN point_rule_versions v ON v.rule_id = r.id AND v.version = r.version
            WHERE ($1::text IS NULL OR r.status = $1) AND ($2::text IS NULL OR v.txn_type = $2)
              AND ($3::text IS NULL OR r.code ILIKE $3 OR v.name ILIKE $3)"#,
        filter.status,
        filter.txn_type,
        q
    )
    .fetch_one(pool)
    .await?;
    Ok((rows.into_iter().map(|r| rule_of!(r)).collect(), total))
}

/// One rule with its current terms.
pub async fn rule(pool: &PgPool, id: Uuid) -> Result<Option<Rule>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT r.id, r.code, r.version, r.status, r.updated_at, v.created_by AS updated_by,
                  v.name, v.txn_type, v.min_amount_fen, v.fixed_points, v.points_per_unit,
                  v.unit_fen, v.multiplier_pct, v.daily_cap, v.monthly_cap, v.valid_from,
                  v.valid_to, v.campaign_id, v.hq_org_id, v.hq_pct, v.branch_org_id,
                  v.branch_pct, v.merchant_id, v.merchant_pct,
                  ho.name AS "hq_org_name?", bo.name AS "branch_org_name?",
                  m.name AS "merchant_name?", c.name AS "campaign_name?"
             FROM point_rules r
             JOIN point_rule_versions v ON v.rule_id = r.id AND v.version = r.version
             LEFT JOIN orgs ho ON ho.id = v.hq_org_id
             LEFT JOIN orgs bo ON bo.id = v.branch_org_id
             LEFT JOIN merchants m ON m.id = v.merchant_id
             LEFT JOIN campaigns c ON c.id = v.campaign_id
            WHERE r.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| rule_of!(r)))
}

/// Every version of a rule, newest first.
pub async fn versions(pool: &PgPool, id: Uuid) -> Result<Vec<Version>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT version, name, txn_type, min_amount_fen, fixed_points, points_per_unit, unit_fen,
                multiplier_pct, daily_cap, monthly_cap, valid_from, valid_to, campaign_id,
                hq_org_id, hq_pct, branch_org_id, branch_pct, merchant_id, merchant_pct,
                created_by, created_at
           FROM point_rule_versions WHERE rule_id = $1 ORDER BY version DESC",
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Version {
            version: r.version,
            terms: terms_of!(r),
            created_by: r.created_by,
            created_at: r.created_at,
        })
        .collect())
}

/// The references of a rule that must exist: the two funding orgs, the merchant, the campaign.
pub(crate) async fn references(
    conn: &mut PgConnection,
    orgs: [Option<Uuid>; 2],
    merchant: Option<Uuid>,
    campaign: Option<Uuid>,
) -> Result<Result<(), RuleRefusal>, sqlx::Error> {
    let found = sqlx::query!(
        r#"SELECT ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM orgs WHERE id = $1))
              AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM orgs WHERE id = $2)) AS "orgs!",
                  ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM merchants WHERE id = $3)) AS "merchant!",
                  ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM campaigns WHERE id = $4)) AS "campaign!""#,
        orgs[0],
        orgs[1],
        merchant,
        campaign
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(if !found.orgs {
        Err(RuleRefusal::UnknownOrg)
    } else if !found.merchant {
        Err(RuleRefusal::UnknownMerchant)
    } else if !found.campaign {
        Err(RuleRefusal::UnknownCampaign)
    } else {
        Ok(())
    })
}

async fn insert_version(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    t: &Terms,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO point_rule_versions (rule_id, version, name, txn_type, min_amount_fen,
             fixed_points, points_per_unit, unit_fen, multiplier_pct, daily_cap, monthly_cap,
             valid_from, valid_to, campaign_id, hq_org_id, hq_pct, branch_org_id, branch_pct,
             merchant_id, merchant_pct, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22)",
        id,
        version,
        t.name.trim(),
        t.txn_type,
        t.min_amount_fen,
        t.fixed_points,
        t.points_per_unit,
        t.unit_fen,
        t.multiplier_pct,
        t.daily_cap,
        t.monthly_cap,
        t.valid_from,
        t.valid_to,
        t.campaign_id,
        t.hq_org_id,
        t.hq_pct,
        t.branch_org_id,
        t.branch_pct,
        t.merchant_id,
        t.merchant_pct,
        by,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) fn by_name(by: &Entry) -> String {
    by.username.clone().unwrap_or_else(|| "system".into())
}

/// Creates a rule (version 1, active), audited (`points.rule.create`).
pub async fn create(
    pool: &PgPool,
    code: &str,
    terms: &Terms,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, RuleRefusal>, sqlx::Error> {
    if let Err(r) = terms.check() {
        return Ok(Err(r));
    }
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    if let Err(r) = terms.references(&mut tx).await? {
        return Ok(Err(r));
    }
    let id = Uuid::new_v4();
    let created = sqlx::query_scalar!(
        "INSERT INTO point_rules (id, code, version, status, created_at, updated_at)
         VALUES ($1, $2, 1, 'active', $3, $3) ON CONFLICT (code) DO NOTHING RETURNING id",
        id,
        code,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if created.is_none() {
        return Ok(Err(RuleRefusal::CodeTaken));
    }
    insert_version(&mut tx, id, 1, terms, &by_name(&by), now).await?;
    let entry = Entry {
        action: "points.rule.create",
        target: Some(code.to_owned()),
        after: Some(serde_json::json!({"version": 1, "terms": terms})),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Edits a rule: a new version with `terms`, made against `expected` (the version the editor
/// saw; another edit since is refused), audited with the terms before and after
/// (`points.rule.update`). Answers the new version.
pub async fn update(
    pool: &PgPool,
    id: Uuid,
    expected: i32,
    terms: &Terms,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<i32, RuleRefusal>, sqlx::Error> {
    if let Err(r) = terms.check() {
        return Ok(Err(r));
    }
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    if let Err(r) = terms.references(&mut tx).await? {
        return Ok(Err(r));
    }
    let Some(current) = sqlx::query!(
        "SELECT code, version FROM point_rules WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(RuleRefusal::UnknownRule));
    };
    if current.version != expected {
        return Ok(Err(RuleRefusal::StaleVersion));
    }
    let before = versions_one(&mut tx, id, current.version).await?;
    let version = current.version + 1;
    insert_version(&mut tx, id, version, terms, &by_name(&by), now).await?;
    sqlx::query!(
        "UPDATE point_rules SET version = $2, updated_at = $3 WHERE id = $1",
        id,
        version,
        now
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "points.rule.update",
        target: Some(current.code),
        before: Some(serde_json::json!({"version": current.version, "terms": before})),
        after: Some(serde_json::json!({"version": version, "terms": terms})),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(version))
}

/// A version's terms as JSON, for the audit's before.
async fn versions_one(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
) -> Result<serde_json::Value, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT to_jsonb(v) - 'rule_id' - 'created_by' - 'created_at' AS "terms!"
             FROM point_rule_versions v WHERE rule_id = $1 AND version = $2"#,
        id,
        version
    )
    .fetch_one(&mut *conn)
    .await
}

/// Enables or disables a rule (`points.rule.enable` / `points.rule.disable`, audited); the same
/// status again changes nothing and is not audited.
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
        "SELECT code, status FROM point_rules WHERE id = $1 FOR UPDATE",
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
        "UPDATE point_rules SET status = $2, updated_at = $3 WHERE id = $1",
        id,
        status,
        now
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: if enable {
            "points.rule.enable"
        } else {
            "points.rule.disable"
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

/// A transaction from the core to evaluate.
pub struct Transaction<'a> {
    /// The core's transaction id: the same id twice earns once.
    pub txn_id: &'a str,
    pub customer: &'a CustomerNo,
    pub txn_type: &'a str,
    pub amount_fen: i64,
    pub occurred_at: DateTime<Utc>,
    /// The merchant where it happened, if any.
    pub merchant_id: Option<Uuid>,
    /// The canonical body: the same id with another body is refused.
    pub body: &'a [u8],
    pub actor: &'a str,
}

/// What one rule gave for a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PointEarning)]
pub struct Earning {
    pub rule_id: Uuid,
    pub rule_code: String,
    pub rule_version: i32,
    pub campaign_id: Option<Uuid>,
    /// What the rule computed, and what the caps let through.
    pub computed: i64,
    pub points: i64,
    /// Whether a cap cut it.
    pub capped: bool,
    pub shares: Vec<Share>,
}

/// A funding party's part of an earning: the ledger transfer from its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PointEarningShare)]
pub struct Share {
    pub transfer_id: Uuid,
    /// `org` or `merchant`.
    pub party: String,
    pub party_id: Uuid,
    pub points: i64,
}

/// The answer to a transaction: the same every time its id comes again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PointTransactionAnswer)]
pub struct Earned {
    pub txn_id: String,
    /// Masked.
    pub customer_no: String,
    pub txn_type: String,
    pub amount_fen: i64,
    /// All the rules gave.
    pub points: i64,
    pub earnings: Vec<Earning>,
}

/// Why a transaction earned nothing and was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnRefusal {
    /// The transaction id came before with another body.
    IdReused,
    /// The ledger refused (a funding account that cannot be made).
    Ledger(LedgerRefusal),
}

/// The Beijing-time day and month of `at`, as the caps' periods.
fn periods(at: DateTime<Utc>) -> (String, String) {
    let local = at.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
    (
        local.format("D%Y-%m-%d").to_string(),
        local.format("M%Y-%m").to_string(),
    )
}

/// A rule version in force, as the evaluation reads it.
struct Active {
    id: Uuid,
    code: String,
    version: i32,
    terms: Terms,
}

/// The id of the merchant with `code`.
pub async fn merchant_by_code(pool: &PgPool, code: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM merchants WHERE code = $1", code)
        .fetch_optional(pool)
        .await
}

/// Locks the counter of (rule, customer, period), creating it at zero, and answers what it holds.
async fn lock_counter(
    conn: &mut PgConnection,
    rule: Uuid,
    customer: &str,
    period: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO point_rule_counters (rule_id, customer_no, period, earned)
         VALUES ($1, $2, $3, 0)
         ON CONFLICT (rule_id, customer_no, period)
         DO UPDATE SET earned = point_rule_counters.earned
         RETURNING earned",
        rule,
        customer,
        period
    )
    .fetch_one(&mut *conn)
    .await
}

/// Evaluates `txn` against the active rules and pays what they give, once per transaction id.
#[tracing::instrument(skip_all, fields(txn = txn.txn_id))]
pub async fn transact(
    pool: &PgPool,
    txn: &Transaction<'_>,
    now: DateTime<Utc>,
) -> Result<Result<Earned, TxnRefusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let hash = Sha256::digest(txn.body).to_vec();
    let customer = txn.customer.as_str();
    let mut tx = pool.begin().await?;
    let reserved = sqlx::query_scalar!(
        r#"INSERT INTO point_transactions (txn_id, body_hash, customer_no, txn_type, amount_fen,
               occurred_at, points, answer, actor, at)
           VALUES ($1, $2, $3, $4, $5, $6, 0, '{}', $7, $8)
           ON CONFLICT DO NOTHING RETURNING 1 AS "one!""#,
        txn.txn_id,
        hash,
        customer,
        txn.txn_type,
        txn.amount_fen,
        txn.occurred_at,
        txn.actor,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if reserved.is_none() {
        tx.rollback().await?;
        let first = sqlx::query!(
            "SELECT body_hash, answer FROM point_transactions WHERE txn_id = $1",
            txn.txn_id
        )
        .fetch_one(pool)
        .await?;
        if first.body_hash != hash {
            return Ok(Err(TxnRefusal::IdReused));
        }
        return Ok(Ok(serde_json::from_value(first.answer).map_err(|e| {
            sqlx::Error::Decode(format!("a stored points answer: {e}").into())
        })?));
    }
    let rules = sqlx::query!(
        "SELECT r.id, r.code, r.version, v.name, v.txn_type, v.min_amount_fen, v.fixed_points,
                v.points_per_unit, v.unit_fen, v.multiplier_pct, v.daily_cap, v.monthly_cap,
                v.valid_from, v.valid_to, v.campaign_id, v.hq_org_id, v.hq_pct, v.branch_org_id,
                v.branch_pct, v.merchant_id, v.merchant_pct
           FROM point_rules r
           JOIN point_rule_versions v ON v.rule_id = r.id AND v.version = r.version
          WHERE r.status = 'active' AND v.txn_type = $1 AND v.valid_from <= $2
            AND v.valid_to > $2 AND v.min_amount_fen <= $3
            AND (v.merchant_id IS NULL OR v.merchant_id = $4)
          ORDER BY r.id",
        txn.txn_type,
        txn.occurred_at,
        txn.amount_fen,
        txn.merchant_id
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| Active {
        id: r.id,
        code: r.code,
        version: r.version,
        terms: terms_of!(r),
    })
    .collect::<Vec<_>>();
    let (day, month) = periods(txn.occurred_at);
    // each rule's points through its caps, the counters locked rule by rule (by id) before
    // they are read: a concurrent earning of the same customer waits here
    let mut given = Vec::with_capacity(rules.len());
    for rule in &rules {
        let computed = rule.terms.points_for(txn.amount_fen);
        let mut points = computed;
        if rule.terms.daily_cap.is_some() || rule.terms.monthly_cap.is_some() {
            if let Some(cap) = rule.terms.daily_cap {
                let so_far = lock_counter(&mut tx, rule.id, customer, &day).await?;
                points = points.min((cap - so_far).max(0));
            }
            if let Some(cap) = rule.terms.monthly_cap {
                let so_far = lock_counter(&mut tx, rule.id, customer, &month).await?;
                points = points.min((cap - so_far).max(0));
            }
            if points > 0 {
                let mut moved = Vec::new();
                if rule.terms.daily_cap.is_some() {
                    moved.push(day.clone());
                }
                if rule.terms.monthly_cap.is_some() {
                    moved.push(month.clone());
                }
                sqlx::query!(
                    "UPDATE point_rule_counters SET earned = earned + $4
                      WHERE rule_id = $1 AND customer_no = $2 AND period = ANY($3)",
                    rule.id,
                    customer,
                    &moved,
                    points
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        given.push((rule, computed, points));
    }
    // one ledger request: a transfer per funding party of each rule, linked
    let to = super::customer_account(txn.customer);
    let mut accounts: Vec<NewAccount> = vec![to.clone()];
    let mut specs = Vec::new();
    let mut owners = Vec::new();
    for (i, (rule, _, points)) in given.iter().enumerate() {
        for (party, part) in rule.terms.split(*points) {
            let from = party.account(txn.customer);
            specs.push(Spec::Single {
                debit: from.id(),
                credit: to.id(),
                amount: part,
                code: "earn",
                memo: format!(
                    "{} v{} · {} {}",
                    rule.code, rule.version, txn.txn_type, txn.txn_id
                ),
            });
            if accounts.iter().all(|a| a.code != from.code) {
                accounts.push(from);
            }
            owners.push((i, party, part));
        }
    }
    let mut transfers = Vec::new();
    if !specs.is_empty() {
        let key = format!("txn:{}", txn.txn_id);
        let request = Request {
            key: &key,
            body: txn.body,
            actor: txn.actor,
            accounts,
            transfers: specs,
        };
        match ledger::execute_within(&mut tx, &request, now).await? {
            Ok(written) => transfers = written,
            Err(refused) => {
                tx.rollback().await?;
                return Ok(Err(TxnRefusal::Ledger(refused.reason)));
            }
        }
    }
    let mut earnings: Vec<Earning> = given
        .iter()
        .map(|(rule, computed, points)| Earning {
            rule_id: rule.id,
            rule_code: rule.code.clone(),
            rule_version: rule.version,
            campaign_id: rule.terms.campaign_id,
            computed: *computed,
            points: *points,
            capped: points < computed,
            shares: Vec::new(),
        })
        .collect();
    for ((i, party, part), transfer) in owners.into_iter().zip(&transfers) {
        let (kind, id) = match party {
            Party::Org(id) => ("org", id),
            Party::Merchant(id) => ("merchant", id),
        };
        earnings[i].shares.push(Share {
            transfer_id: transfer.id,
            party: kind.into(),
            party_id: id,
            points: part,
        });
    }
    for e in &earnings {
        let ids: Vec<Uuid> = e.shares.iter().map(|s| s.transfer_id).collect();
        sqlx::query!(
            "INSERT INTO point_earnings (txn_id, rule_id, rule_version, campaign_id, customer_no,
                 computed, points, transfer_ids, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            txn.txn_id,
            e.rule_id,
            e.rule_version,
            e.campaign_id,
            customer,
            e.computed,
            e.points,
            &ids,
            now
        )
        .execute(&mut *tx)
        .await?;
    }
    super::tiers::count(&mut tx, txn, now).await?;
    let earned = Earned {
        txn_id: txn.txn_id.to_owned(),
        customer_no: pii::mask(Kind::CustomerNo, customer),
        txn_type: txn.txn_type.to_owned(),
        amount_fen: txn.amount_fen,
        points: earnings.iter().map(|e| e.points).sum(),
        earnings,
    };
    sqlx::query!(
        "UPDATE point_transactions SET points = $2, answer = $3 WHERE txn_id = $1",
        txn.txn_id,
        earned.points,
        serde_json::to_value(&earned).expect("an answer serializes")
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(earned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Terms {
        Terms {
            name: "刷卡积分".into(),
            txn_type: "card_spend".into(),
            min_amount_fen: 0,
            fixed_points: 0,
            points_per_unit: 1,
            unit_fen: 100,
            multiplier_pct: 100,
            daily_cap: None,
            monthly_cap: None,
            valid_from: "2026-01-01T00:00:00Z".parse().unwrap(),
            valid_to: "2027-01-01T00:00:00Z".parse().unwrap(),
            campaign_id: None,
            hq_org_id: Some(Uuid::from_u128(1)),
            hq_pct: 50,
            branch_org_id: Some(Uuid::from_u128(2)),
            branch_pct: 30,
            merchant_id: Some(Uuid::from_u128(3)),
            merchant_pct: 20,
        }
    }

    #[test]
    fn shares_must_sum_to_a_hundred_and_name_their_parties() {
        assert_eq!(terms().check(), Ok(()));
        let t = Terms {
            merchant_pct: 21,
            ..terms()
        };
        assert_eq!(t.check(), Err(RuleRefusal::SharesNot100));
        let t = Terms {
            merchant_id: None,
            ..terms()
        };
        assert_eq!(t.check(), Err(RuleRefusal::ShareParty));
        let t = Terms {
            hq_pct: 100,
            branch_pct: 0,
            merchant_pct: 0,
            ..terms()
        };
        assert_eq!(t.check(), Err(RuleRefusal::ShareParty));
        let t = Terms {
            points_per_unit: 0,
            ..terms()
        };
        assert_eq!(t.check(), Err(RuleRefusal::NoPoints));
    }

    #[test]
    fn points_are_whole_units_times_the_multiplier_rounded_down() {
        let t = Terms {
            multiplier_pct: 150,
            fixed_points: 5,
            ..terms()
        };
        // 12,345 fen: 123 whole yuan, +5, ×1.5 = 192.0
        assert_eq!(t.points_for(12_345), 192);
        assert_eq!(t.points_for(0), 7);
        assert_eq!(t.points_for(i64::MAX), ledger::MAX_AMOUNT);
    }

    #[test]
    fn a_split_gives_the_remainder_to_the_first_party_and_sums_to_the_points() {
        let t = terms();
        let parts = t.split(101);
        assert_eq!(
            parts,
            vec![
                (Party::Org(Uuid::from_u128(1)), 51),
                (Party::Org(Uuid::from_u128(2)), 30),
                (Party::Merchant(Uuid::from_u128(3)), 20),
            ]
        );
        for points in [0, 1, 2, 3, 7, 99, 1000] {
            assert_eq!(t.split(points).iter().map(|p| p.1).sum::<i64>(), points);
        }
        // a party whose part rounds to nothing is left out
        assert_eq!(t.split(1), vec![(Party::Org(Uuid::from_u128(1)), 1)]);
    }

    #[test]
    fn caps_count_by_the_beijing_day_and_month() {
        let (d, m) = periods("2026-11-30T16:30:00Z".parse().unwrap());
        assert_eq!((d.as_str(), m.as_str()), ("D2026-12-01", "M2026-12"));
    }
}
