//! 权益品目/优惠券管理 and 库存: merchants and stores (minimal until merchant onboarding), coupon
//! templates with their stock split into shards, stock increases and withdrawals (收回) of unclaimed
//! stock, withdrawal of claimed-but-unused coupons and of a template (下架). Every change is one
//! transaction with its ledger row and its audit row.

use super::claim::beijing_day;
use crate::audit::{self, Entry};
use crate::numbers::{self, Series};
use chrono::{DateTime, FixedOffset, Utc};
use quanyi_workflows::domain::TemplateCode;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    CodeTaken,
    UnknownTemplate,
    UnknownMerchant,
    UnknownItem,
    /// Less unclaimed stock than asked to withdraw.
    NotEnoughStock,
    /// The template's state does not allow it (e.g. withdrawn).
    WrongStatus,
    /// An edit would change money terms or validity after a coupon was claimed.
    TermsFrozen,
    /// No store of that code at the merchant.
    UnknownStore,
    /// A merchant's status changes only through its approval (停用/启用).
    StatusByApproval,
}

/// Creates a merchant with one store per `stores` entry (code, name).
pub async fn create_merchant(
    pool: &PgPool,
    code: &str,
    name: &str,
    org_id: Uuid,
    stores: &[(String, String)],
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(id) = sqlx::query_scalar!(
        "INSERT INTO merchants (code, name, org_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (code) DO NOTHING RETURNING id",
        code,
        name,
        org_id,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::CodeTaken));
    };
    for (store_code, store_name) in stores {
        sqlx::query!(
            "INSERT INTO stores (merchant_id, code, name) VALUES ($1, $2, $3)",
            id,
            store_code,
            store_name
        )
        .execute(&mut *tx)
        .await?;
    }
    let entry = Entry {
        action: "benefit.merchant.create",
        target: Some(code.to_owned()),
        after: Some(
            serde_json::json!({ "code": code, "name": name, "org_id": org_id, "stores": stores }),
        ),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// A merchant's name and status as an edit sets them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MerchantEdit<'a> {
    pub name: &'a str,
    /// `active` or `disabled`: a disabled merchant's stores redeem nothing.
    pub status: &'a str,
}

/// Changes a merchant's name (its code stays), audited with before and after; `UnknownMerchant`
/// when there is no merchant of that code, `StatusByApproval` when the edit would change its
/// status (that takes the merchant-status process).
pub async fn update_merchant(
    pool: &PgPool,
    code: &str,
    edit: &MerchantEdit<'_>,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(before) = sqlx::query!(
        "SELECT name, status FROM merchants WHERE code = $1 FOR UPDATE",
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownMerchant));
    };
    if before.status != edit.status {
        return Ok(Err(Refusal::StatusByApproval));
    }
    sqlx::query!(
        "UPDATE merchants SET name = $2 WHERE code = $1",
        code,
        edit.name
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "benefit.merchant.update",
        target: Some(code.to_owned()),
        before: Some(serde_json::json!({ "name": before.name, "status": before.status })),
        after: Some(serde_json::json!(edit)),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Adds a store to a merchant, audited; `UnknownMerchant`, or `CodeTaken` when the merchant
/// has a store of that code already.
pub async fn add_store(
    pool: &PgPool,
    merchant: &str,
    code: &str,
    name: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(merchant_id) = sqlx::query_scalar!(
        "SELECT id FROM merchants WHERE code = $1 FOR UPDATE",
        merchant
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownMerchant));
    };
    let added = sqlx::query!(
        "INSERT INTO stores (merchant_id, code, name) VALUES ($1, $2, $3)
         ON CONFLICT (merchant_id, code) DO NOTHING",
        merchant_id,
        code,
        name
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 0 {
        return Ok(Err(Refusal::CodeTaken));
    }
    let entry = Entry {
        action: "benefit.store.create",
        target: Some(format!("{merchant}/{code}")),
        after: Some(serde_json::json!({ "merchant": merchant, "code": code, "name": name })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Changes a store's name and status (`active` / `disabled`: a disabled store redeems nothing),
/// audited with before and after; `UnknownMerchant` or `UnknownStore`.
pub async fn update_store(
    pool: &PgPool,
    merchant: &str,
    code: &str,
    edit: &MerchantEdit<'_>,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(merchant_id) =
        sqlx::query_scalar!("SELECT id FROM merchants WHERE code = $1", merchant)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Ok(Err(Refusal::UnknownMerchant));
    };
    let Some(before) = sqlx::query!(
        "SELECT name, status FROM stores WHERE merchant_id = $1 AND code = $2 FOR UPDATE",
        merchant_id,
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownStore));
    };
    sqlx::query!(
        "UPDATE stores SET name = $3, status = $4 WHERE merchant_id = $1 AND code = $2",
        merchant_id,
        code,
        edit.name,
        edit.status
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "benefit.store.update",
        target: Some(format!("{merchant}/{code}")),
        before: Some(serde_json::json!({ "name": before.name, "status": before.status })),
        after: Some(serde_json::json!(edit)),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Adds a benefit item (权益品目), the catalogue entry templates belong to.
pub async fn create_item(
    pool: &PgPool,
    code: &str,
    name: &str,
    description: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(id) = sqlx::query_scalar!(
        "INSERT INTO benefit_items (code, name, description, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (code) DO NOTHING RETURNING id",
        code,
        name,
        description,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::CodeTaken));
    };
    let entry = Entry {
        action: "benefit.item.create",
        target: Some(code.to_owned()),
        after: Some(serde_json::json!({ "code": code, "name": name, "description": description })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// A coupon template as created (amounts in fen).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct NewTemplate {
    #[schema(value_type = String)]
    pub code: TemplateCode,
    /// The benefit item (权益品目) it belongs to, if any.
    pub item_code: Option<String>,
    pub name: String,
    /// `threshold` 满减, `discount` 折扣, `cash` 代金券, `physical` 实物.
    pub kind: String,
    pub face_value: i64,
    pub threshold: i64,
    /// For `discount`: the share paid in per mille (850 = 8.5 折).
    pub discount_permille: Option<i32>,
    pub claim_from: DateTime<Utc>,
    pub claim_to: DateTime<Utc>,
    /// A fixed validity window…
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    /// …or N days from the claim.
    pub valid_days: Option<i32>,
    pub initial_stock: i64,
    /// Stock shards (1–64); more for a hot (seckill) template.
    pub shards: i32,
    pub limit_per_day: Option<i32>,
    pub limit_total: Option<i32>,
    /// Per customer, of the claims that come through one campaign.
    pub limit_per_campaign: Option<i32>,
    /// Redemptions at one merchant per Beijing-time day.
    pub limit_per_merchant_day: Option<i32>,
    /// Merchants where it may be redeemed; empty = any.
    pub merchant_codes: Vec<String>,
    /// Active at once (claimable in its window), or a draft.
    pub active: bool,
}

/// `total` split over `shards` as evenly as possible (the first ones take the remainder).
pub fn split(total: i64, shards: i32) -> Vec<i64> {
    let n = i64::from(shards.max(1));
    (0..n)
        .map(|i| total / n + i64::from(i < total % n))
        .collect()
}

/// Creates a template, its shards and the `initial` ledger row.
pub async fn create_template(
    pool: &PgPool,
    new: &NewTemplate,
    org_id: Uuid,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (merchants, item_id) = match resolve(&mut tx, &new.merchant_codes, &new.item_code).await? {
        Ok(found) => found,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let Some(id) = sqlx::query_scalar!(
        "INSERT INTO coupon_templates (code, name, kind, face_value, threshold, discount_permille,
                                       claim_from, claim_to, valid_from, valid_to, valid_days,
                                       initial_stock, shards, limit_per_day, limit_total, status,
                                       org_id, created_by, created_at, limit_per_campaign,
                                       limit_per_merchant_day, item_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                 $20, $21, $22)
         ON CONFLICT (code) DO NOTHING RETURNING id",
        new.code.as_str(),
        new.name,
        new.kind,
        new.face_value,
        new.threshold,
        new.discount_permille,
        new.claim_from,
        new.claim_to,
        new.valid_from,
        new.valid_to,
        new.valid_days,
        new.initial_stock,
        new.shards,
        new.limit_per_day,
        new.limit_total,
        if new.active { "active" } else { "draft" },
        org_id,
        by.user_id,
        now,
        new.limit_per_campaign,
        new.limit_per_merchant_day,
        item_id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::CodeTaken));
    };
    let amounts = split(new.initial_stock, new.shards);
    let shard_numbers: Vec<i32> = (0..new.shards.max(1)).collect();
    sqlx::query!(
        "INSERT INTO stock_shards (template_id, shard, remaining)
         SELECT $1, s, r FROM unnest($2::int[], $3::bigint[]) AS x(s, r)",
        id,
        &shard_numbers,
        &amounts
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO template_merchants (template_id, merchant_id) SELECT $1, unnest($2::uuid[])",
        id,
        &merchants
    )
    .execute(&mut *tx)
    .await?;
    movement(&mut tx, id, "initial", new.initial_stock, by.user_id, now).await?;
    let entry = Entry {
        action: "benefit.template.create",
        target: Some(new.code.to_string()),
        after: Some(serde_json::to_value(new).unwrap_or_default()),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// The ids of the merchants and of the item a template names; refused when one is unknown.
async fn resolve(
    conn: &mut PgConnection,
    merchant_codes: &[String],
    item_code: &Option<String>,
) -> Result<Result<(Vec<Uuid>, Option<Uuid>), Refusal>, sqlx::Error> {
    let merchants: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM merchants WHERE code = ANY($1)",
        merchant_codes
    )
    .fetch_all(&mut *conn)
    .await?;
    if merchants.len() != merchant_codes.len() {
        return Ok(Err(Refusal::UnknownMerchant));
    }
    let item_id = match item_code {
        Some(code) => {
            let Some(id) =
                sqlx::query_scalar!("SELECT id FROM benefit_items WHERE code = $1", code)
                    .fetch_optional(&mut *conn)
                    .await?
            else {
                return Ok(Err(Refusal::UnknownItem));
            };
            Some(id)
        }
        None => None,
    };
    Ok(Ok((merchants, item_id)))
}

/// What an edit may change of a template (BEN-1): everything but its code, kind, stock and
/// shards. Stock has its own ledgered endpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TemplateEdit {
    pub item_code: Option<String>,
    pub name: String,
    pub face_value: i64,
    pub threshold: i64,
    pub discount_permille: Option<i32>,
    pub claim_from: DateTime<Utc>,
    pub claim_to: DateTime<Utc>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    pub valid_days: Option<i32>,
    pub limit_per_day: Option<i32>,
    pub limit_total: Option<i32>,
    pub limit_per_campaign: Option<i32>,
    pub limit_per_merchant_day: Option<i32>,
    /// Sorted: the order they were given in is not part of the template.
    pub merchant_codes: Vec<String>,
}

impl TemplateEdit {
    /// The money terms and validity a coupon carries (validity on the coupon itself, the money
    /// terms read at redemption): frozen once any coupon exists.
    fn frozen_terms_differ(&self, other: &TemplateEdit) -> bool {
        (
            self.face_value,
            self.threshold,
            self.discount_permille,
            self.valid_from,
            self.valid_to,
            self.valid_days,
        ) != (
            other.face_value,
            other.threshold,
            other.discount_permille,
            other.valid_from,
            other.valid_to,
            other.valid_days,
        )
    }
}

/// A template's kind (fixed at creation; the edit's rules depend on it), `None` if unknown.
pub async fn template_kind(
    pool: &PgPool,
    code: &TemplateCode,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT kind FROM coupon_templates WHERE code = $1",
        code.as_str()
    )
    .fetch_optional(pool)
    .await
}

/// Edits a template in one transaction with its before/after audit row. Refused, writing
/// nothing, when it names an unknown merchant or item, or when it changes money terms or
/// validity after a coupon was claimed.
///
/// Claims never wait on the template row; they serialize with an edit on the stock shards
/// instead: the edit locks every shard, so claims that already took stock finish first (and are
/// seen as coupons here), and claims that come later find the revision moved and start over.
/// A limit that was absent had no counters kept; when an edit introduces one, its counters are
/// filled from the coupons already claimed, so the new limit counts them.
pub async fn update_template(
    pool: &PgPool,
    code: &TemplateCode,
    edit: &TemplateEdit,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut edit = edit.clone();
    edit.merchant_codes.sort();
    edit.merchant_codes.dedup();
    let mut tx = pool.begin().await?;
    let Some(row) = sqlx::query!(
        r#"SELECT t.id, t.name, t.face_value, t.threshold, t.discount_permille, t.claim_from,
                  t.claim_to, t.valid_from, t.valid_to, t.valid_days, t.limit_per_day,
                  t.limit_total, t.limit_per_campaign, t.limit_per_merchant_day,
                  i.code AS "item_code?",
                  ARRAY(SELECT m.code FROM template_merchants tm JOIN merchants m ON m.id = tm.merchant_id
                         WHERE tm.template_id = t.id ORDER BY m.code) AS "merchant_codes!"
             FROM coupon_templates t LEFT JOIN benefit_items i ON i.id = t.item_id
            WHERE t.code = $1
              FOR UPDATE OF t"#,
        code.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownTemplate));
    };
    let id = row.id;
    let before = TemplateEdit {
        item_code: row.item_code,
        name: row.name,
        face_value: row.face_value,
        threshold: row.threshold,
        discount_permille: row.discount_permille,
        claim_from: row.claim_from,
        claim_to: row.claim_to,
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        valid_days: row.valid_days,
        limit_per_day: row.limit_per_day,
        limit_total: row.limit_total,
        limit_per_campaign: row.limit_per_campaign,
        limit_per_merchant_day: row.limit_per_merchant_day,
        merchant_codes: row.merchant_codes,
    };
    let (merchants, item_id) = match resolve(&mut tx, &edit.merchant_codes, &edit.item_code).await?
    {
        Ok(found) => found,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // waits for claims holding a shard; later ones wait for this edit (see above)
    sqlx::query!(
        "SELECT shard FROM stock_shards WHERE template_id = $1 ORDER BY shard FOR UPDATE",
        id
    )
    .fetch_all(&mut *tx)
    .await?;
    let claimed = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM coupons WHERE template_id = $1) AS "claimed!""#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if claimed && edit.frozen_terms_differ(&before) {
        return Ok(Err(Refusal::TermsFrozen));
    }
    sqlx::query!(
        "UPDATE coupon_templates
            SET name = $2, item_id = $3, face_value = $4, threshold = $5, discount_permille = $6,
                claim_from = $7, claim_to = $8, valid_from = $9, valid_to = $10, valid_days = $11,
                limit_per_day = $12, limit_total = $13, limit_per_campaign = $14,
                limit_per_merchant_day = $15, revision = revision + 1, updated_at = $16
          WHERE id = $1",
        id,
        edit.name,
        item_id,
        edit.face_value,
        edit.threshold,
        edit.discount_permille,
        edit.claim_from,
        edit.claim_to,
        edit.valid_from,
        edit.valid_to,
        edit.valid_days,
        edit.limit_per_day,
        edit.limit_total,
        edit.limit_per_campaign,
        edit.limit_per_merchant_day,
        now
    )
    .execute(&mut *tx)
    .await?;
    if edit.merchant_codes != before.merchant_codes {
        sqlx::query!("DELETE FROM template_merchants WHERE template_id = $1", id)
            .execute(&mut *tx)
            .await?;
        sqlx::query!(
            "INSERT INTO template_merchants (template_id, merchant_id) SELECT $1, unnest($2::uuid[])",
            id,
            &merchants
        )
        .execute(&mut *tx)
        .await?;
    }
    if claimed {
        count_claims_for_new_limits(&mut tx, id, &before, &edit, now).await?;
    }
    let entry = Entry {
        action: "benefit.template.update",
        target: Some(code.to_string()),
        before: Some(serde_json::to_value(&before).unwrap_or_default()),
        after: Some(serde_json::to_value(&edit).unwrap_or_default()),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Fills the per-customer counters of each limit the edit introduces with the coupons already
/// claimed (and, for a merchant's daily limit, today's live redemptions), as the claim and
/// redemption paths would have counted them had the limit been there. Only today's Beijing day
/// matters for a daily limit. Claims in progress touch only the counters of the limits they
/// read, never these, so this cannot deadlock with them.
async fn count_claims_for_new_limits(
    conn: &mut PgConnection,
    template_id: Uuid,
    before: &TemplateEdit,
    after: &TemplateEdit,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    // today (Beijing time), when daily limits count
    let day = beijing_day(now);
    let beijing = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let start = now
        .with_timezone(&beijing)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| midnight.and_local_timezone(beijing).single())
        .map_or(now, |midnight| midnight.with_timezone(&Utc));
    if before.limit_total.is_none() && after.limit_total.is_some() {
        sqlx::query!(
            "INSERT INTO customer_claims (template_id, customer_no, period, claimed)
             SELECT $1, customer_no, 'total', count(*) FROM coupons WHERE template_id = $1
              GROUP BY customer_no
             ON CONFLICT (template_id, customer_no, period) DO UPDATE SET claimed = EXCLUDED.claimed",
            template_id
        )
        .execute(&mut *conn)
        .await?;
    }
    if before.limit_per_day.is_none() && after.limit_per_day.is_some() {
        sqlx::query!(
            "INSERT INTO customer_claims (template_id, customer_no, period, claimed)
             SELECT $1, customer_no, $2, count(*) FROM coupons
              WHERE template_id = $1 AND claimed_at >= $3 AND claimed_at < $3 + interval '1 day'
              GROUP BY customer_no
             ON CONFLICT (template_id, customer_no, period) DO UPDATE SET claimed = EXCLUDED.claimed",
            template_id,
            day,
            start
        )
        .execute(&mut *conn)
        .await?;
    }
    if before.limit_per_merchant_day.is_none() && after.limit_per_merchant_day.is_some() {
        // today's live redemptions per merchant, as the redemption path counts them
        sqlx::query!(
            "INSERT INTO merchant_redemptions (template_id, merchant_id, day, redeemed)
             SELECT $1, r.merchant_id, $2, count(*) FROM redemptions r JOIN coupons c ON c.id = r.coupon_id
              WHERE c.template_id = $1 AND r.reversed_at IS NULL
                AND r.redeemed_at >= $3 AND r.redeemed_at < $3 + interval '1 day'
              GROUP BY r.merchant_id
             ON CONFLICT (template_id, merchant_id, day) DO UPDATE SET redeemed = EXCLUDED.redeemed",
            template_id,
            day,
            start
        )
        .execute(&mut *conn)
        .await?;
    }
    if before.limit_per_campaign.is_none() && after.limit_per_campaign.is_some() {
        sqlx::query!(
            "INSERT INTO customer_claims (template_id, customer_no, period, claimed)
             SELECT $1, customer_no, 'campaign:' || campaign_id, count(*) FROM coupons
              WHERE template_id = $1 AND campaign_id IS NOT NULL
              GROUP BY customer_no, campaign_id
             ON CONFLICT (template_id, customer_no, period) DO UPDATE SET claimed = EXCLUDED.claimed",
            template_id
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn movement(
    conn: &mut PgConnection,
    template_id: Uuid,
    kind: &str,
    quantity: i64,
    by_user: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO stock_movements (template_id, kind, quantity, by_user, at) VALUES ($1, $2, $3, $4, $5)",
        template_id,
        kind,
        quantity,
        by_user,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a template's status: `active` (from draft), `withdrawn` (下架: no more claims).
pub async fn set_status(
    pool: &PgPool,
    code: &TemplateCode,
    status: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(before) = sqlx::query_scalar!(
        "SELECT status FROM coupon_templates WHERE code = $1 FOR UPDATE",
        code.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownTemplate));
    };
    let allowed = matches!(
        (before.as_str(), status),
        ("draft", "active") | ("draft" | "active", "withdrawn")
    );
    if !allowed {
        return Ok(Err(Refusal::WrongStatus));
    }
    sqlx::query!(
        "UPDATE coupon_templates SET status = $2 WHERE code = $1",
        code.as_str(),
        status
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "benefit.template.status",
        target: Some(code.to_string()),
        before: Some(serde_json::json!({ "status": before })),
        after: Some(serde_json::json!({ "status": status })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Adds `quantity` to a template's stock, spread over its shards.
pub async fn increase_stock(
    pool: &PgPool,
    code: &str,
    quantity: i64,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    increase_in(pool.begin().await?, code, quantity, now, by).await
}

/// [`increase_stock`] in the caller's transaction, which it commits when it books the increase.
async fn increase_in(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    code: &str,
    quantity: i64,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let Some(t) = sqlx::query!(
        "SELECT id, shards, status FROM coupon_templates WHERE code = $1 FOR UPDATE",
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownTemplate));
    };
    if t.status == "withdrawn" {
        return Ok(Err(Refusal::WrongStatus));
    }
    let amounts = split(quantity, t.shards);
    let shard_numbers: Vec<i32> = (0..t.shards.max(1)).collect();
    sqlx::query!(
        "UPDATE stock_shards s SET remaining = s.remaining + x.r
           FROM unnest($2::int[], $3::bigint[]) AS x(n, r)
          WHERE s.template_id = $1 AND s.shard = x.n",
        t.id,
        &shard_numbers,
        &amounts
    )
    .execute(&mut *tx)
    .await?;
    book(tx, t.id, code, quantity, now, by).await.map(Ok)
}

/// A stock increase waiting for its approval process.
#[derive(Debug, Clone)]
pub struct StockRequest {
    pub id: Uuid,
    /// Its business number, `KC…`.
    pub code: String,
    pub template_name: String,
    pub template_org: Uuid,
}

/// Records a request to add `quantity` to a template's stock, for the approval process to settle;
/// audited. The stock does not change yet.
pub async fn request_increase(
    pool: &PgPool,
    code: &str,
    quantity: i64,
    reason: Option<&str>,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<StockRequest, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(t) = sqlx::query!(
        "SELECT id, name, org_id, status FROM coupon_templates WHERE code = $1",
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownTemplate));
    };
    if t.status == "withdrawn" {
        return Ok(Err(Refusal::WrongStatus));
    }
    let request = sqlx::query!(
        "INSERT INTO stock_change_requests (template_id, quantity, reason, requested_by, created_at,
                                            code)
         VALUES ($1, $2, $3, $4, $5, issue_business_no($6, $5)) RETURNING id, code",
        t.id,
        quantity,
        reason,
        by.username.as_deref().unwrap_or("system"),
        now,
        Series::StockChange.prefix(),
    )
    .fetch_one(&mut *tx)
    .await?;
    let id = request.id;
    numbers::register(
        &mut tx,
        Series::StockChange,
        &id.to_string(),
        &request.code,
        now,
    )
    .await?;
    let entry = Entry {
        action: "benefit.stock.request",
        target: Some(code.to_owned()),
        after: Some(serde_json::json!({
            "request": request.code, "quantity": quantity, "reason": reason,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(StockRequest {
        id,
        code: request.code,
        template_name: t.name,
        template_org: t.org_id,
    }))
}

/// Settles a request once: `applied` adds the stock (ledger row and audit, by the approver), any
/// other status just records the end. A second call finds it settled and does nothing.
pub async fn settle_request(
    pool: &PgPool,
    id: Uuid,
    status: &str,
    decided_by: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(request) = sqlx::query!(
        "UPDATE stock_change_requests r SET status = $2, decided_by = $3, decided_at = $4
           FROM coupon_templates t
          WHERE r.id = $1 AND r.status = 'pending' AND t.id = r.template_id
      RETURNING t.code, r.quantity",
        id,
        status,
        decided_by,
        at
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(());
    };
    if status != "applied" {
        return tx.commit().await;
    }
    let approver = sqlx::query!(
        "SELECT id, org_id FROM users WHERE username = $1",
        decided_by
    )
    .fetch_optional(&mut *tx)
    .await?;
    let by = Entry {
        user_id: approver.as_ref().map(|a| a.id),
        org_id: approver.as_ref().map(|a| a.org_id),
        username: decided_by.map(str::to_owned),
        ..Entry::default()
    };
    match increase_in(tx, &request.code, request.quantity, at, by).await? {
        Ok(()) => Ok(()),
        Err(refusal) => {
            tracing::warn!(%id, ?refusal, "an approved stock increase could not be applied");
            sqlx::query!(
                "UPDATE stock_change_requests
                    SET status = 'failed', decided_by = $2, decided_at = $3
                  WHERE id = $1 AND status = 'pending'",
                id,
                decided_by,
                at
            )
            .execute(pool)
            .await?;
            Ok(())
        }
    }
}

/// A stock change's ledger row (`increase` for a positive quantity, `withdraw` for a negative
/// one) and its audit row, then the commit.
async fn book(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    template_id: Uuid,
    code: &str,
    quantity: i64,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<(), sqlx::Error> {
    let (kind, action) = if quantity >= 0 {
        ("increase", "benefit.stock.increase")
    } else {
        ("withdraw", "benefit.stock.withdraw")
    };
    movement(&mut tx, template_id, kind, quantity, by.user_id, now).await?;
    let entry = Entry {
        action,
        target: Some(code.to_owned()),
        after: Some(serde_json::json!({ "quantity": quantity.abs() })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await
}

/// Withdraws `quantity` of unclaimed stock (收回), taken from the shards with stock; refused when
/// less is left.
pub async fn withdraw_stock(
    pool: &PgPool,
    code: &str,
    quantity: i64,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(template_id) = sqlx::query_scalar!(
        "SELECT id FROM coupon_templates WHERE code = $1 FOR UPDATE",
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownTemplate));
    };
    let shards = sqlx::query!(
        "SELECT shard, remaining FROM stock_shards WHERE template_id = $1 AND remaining > 0
          ORDER BY shard FOR UPDATE",
        template_id
    )
    .fetch_all(&mut *tx)
    .await?;
    if shards.iter().map(|s| s.remaining).sum::<i64>() < quantity {
        return Ok(Err(Refusal::NotEnoughStock));
    }
    let mut left = quantity;
    for s in shards {
        if left == 0 {
            break;
        }
        let take = left.min(s.remaining);
        sqlx::query!(
            "UPDATE stock_shards SET remaining = remaining - $3
              WHERE template_id = $1 AND shard = $2 AND remaining >= $3",
            template_id,
            s.shard,
            take
        )
        .execute(&mut *tx)
        .await?;
        left -= take;
    }
    book(tx, template_id, code, -quantity, now, by)
        .await
        .map(Ok)
}

/// Withdraws the template's claimed-but-unused coupons (收回); returns how many.
pub async fn withdraw_unused_coupons(
    pool: &PgPool,
    code: &TemplateCode,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<u64, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(template_id) = sqlx::query_scalar!(
        "SELECT id FROM coupon_templates WHERE code = $1",
        code.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownTemplate));
    };
    let withdrawn = sqlx::query!(
        "UPDATE coupons SET status = 'withdrawn' WHERE template_id = $1 AND status = 'unused'",
        template_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let entry = Entry {
        action: "benefit.coupon.withdraw",
        target: Some(code.to_string()),
        after: Some(serde_json::json!({ "coupons": withdrawn })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(withdrawn))
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn stock_splits_evenly_over_shards_and_keeps_every_unit() {
        assert_eq!(split(100, 8), [13, 13, 13, 13, 12, 12, 12, 12]);
        assert_eq!(split(3, 8).iter().sum::<i64>(), 3);
        assert_eq!(split(0, 1), [0]);
        assert_eq!(split(7, 0), [7], "at least one shard");
    }
}

/// The benefit activities the stock-change process calls.
pub struct StockActivities {
    pool: PgPool,
}

impl StockActivities {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[temporalio_macros::activities]
impl StockActivities {
    #[activity(definition = quanyi_workflows::stock::SettleStockRequest)]
    pub async fn settle(
        self: std::sync::Arc<Self>,
        _ctx: temporalio_sdk::activities::ActivityContext,
        outcome: quanyi_workflows::stock::StockRequestOutcome,
    ) -> Result<(), temporalio_sdk::activities::ActivityError> {
        let id =
            Uuid::parse_str(&outcome.request_id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        settle_request(
            &self.pool,
            id,
            &outcome.status,
            outcome.decided_by.as_deref(),
            outcome.at,
        )
        .await
        .map_err(Into::into)
    }
}
