//! 库存变动查询, 发放明细查询, redemption records: what staff read, one page at a time, customer
//! numbers masked — and the codes of coupons that can still be redeemed, which are bearer secrets:
//! anyone who reads one can spend it at a till. Used, withdrawn and expired coupons show in full.

use crate::pii;
use chrono::{DateTime, Utc};
use quanyi_workflows::kind::ProcessKind;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemplateRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub face_value: i64,
    pub threshold: i64,
    pub discount_permille: Option<i32>,
    pub status: String,
    pub claim_from: DateTime<Utc>,
    pub claim_to: DateTime<Utc>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    pub valid_days: Option<i32>,
    pub shards: i32,
    pub limit_per_day: Option<i32>,
    pub limit_total: Option<i32>,
    pub limit_per_campaign: Option<i32>,
    pub limit_per_merchant_day: Option<i32>,
    pub initial_stock: i64,
    /// Stock added since (增加库存).
    pub increased: i64,
    /// Unclaimed stock withdrawn (收回).
    pub withdrawn: i64,
    /// Unclaimed stock now, over all shards.
    pub remaining: i64,
    pub claimed: i64,
    pub redeemed: i64,
    pub merchant_codes: Vec<String>,
    pub org_name: String,
    /// Its benefit item (权益品目).
    pub item_code: Option<String>,
}

/// Templates, newest first, optionally those whose code or name contains `q`.
pub async fn templates(
    pool: &PgPool,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<TemplateRow>, i64), sqlx::Error> {
    let pattern = q.map(|q| format!("%{}%", q.replace(['%', '_'], "")));
    let rows = sqlx::query_as!(
        TemplateRow,
        r#"SELECT t.id, t.code, t.name, t.kind, t.face_value, t.threshold, t.discount_permille, t.status,
                  t.claim_from, t.claim_to, t.valid_from, t.valid_to, t.valid_days, t.shards,
                  t.limit_per_day, t.limit_total, t.limit_per_campaign, t.limit_per_merchant_day,
                  t.initial_stock,
                  (SELECT coalesce(sum(quantity), 0) FROM stock_movements m WHERE m.template_id = t.id AND m.kind = 'increase')::bigint AS "increased!",
                  (SELECT coalesce(-sum(quantity), 0) FROM stock_movements m WHERE m.template_id = t.id AND m.kind = 'withdraw')::bigint AS "withdrawn!",
                  (SELECT coalesce(sum(remaining), 0) FROM stock_shards s WHERE s.template_id = t.id)::bigint AS "remaining!",
                  (SELECT count(*) FROM coupons c WHERE c.template_id = t.id) AS "claimed!",
                  (SELECT count(*) FROM coupons c WHERE c.template_id = t.id AND c.status = 'used') AS "redeemed!",
                  ARRAY(SELECT m.code FROM template_merchants tm JOIN merchants m ON m.id = tm.merchant_id
                         WHERE tm.template_id = t.id ORDER BY m.code) AS "merchant_codes!",
                  o.name AS org_name, i.code AS "item_code?"
             FROM coupon_templates t JOIN orgs o ON o.id = t.org_id
             LEFT JOIN benefit_items i ON i.id = t.item_id
            WHERE ($1::text IS NULL OR t.code ILIKE $1 OR t.name ILIKE $1)
            ORDER BY t.created_at DESC, t.code
            LIMIT $2 OFFSET $3"#,
        pattern,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM coupon_templates t WHERE ($1::text IS NULL OR t.code ILIKE $1 OR t.name ILIKE $1)"#,
        pattern
    )
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// A redeemable coupon's code as staff see it: the first and last four characters.
pub fn mask_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let n = chars.len();
    if n <= 8 {
        return "*".repeat(n);
    }
    let mut out: String = chars[..4].iter().collect();
    out.push_str(&"*".repeat(n - 8));
    out.extend(&chars[n - 4..]);
    out
}

/// Whether a coupon can still be redeemed at `now` (unused and not expired): its code is then a
/// secret.
pub fn redeemable(status: &str, valid_to: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    status == "unused" && valid_to > now
}

/// The code as a list shows it, and whether it is masked.
fn shown(
    code: String,
    status: &str,
    valid_to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (String, bool) {
    if redeemable(status, valid_to, now) {
        (mask_code(&code), true)
    } else {
        (code, false)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MovementRow {
    pub id: i64,
    /// `initial`, `increase`, `claim`, `withdraw`.
    pub kind: String,
    pub quantity: i64,
    /// Masked while the coupon can be redeemed.
    pub coupon_code: Option<String>,
    pub by_username: Option<String>,
    pub at: DateTime<Utc>,
}

/// A template's stock ledger, newest first, and per day the net movement (for the chart).
pub async fn movements(
    pool: &PgPool,
    template_code: &str,
    now: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<Option<(Vec<MovementRow>, i64)>, sqlx::Error> {
    let Some(template_id) = sqlx::query_scalar!(
        "SELECT id FROM coupon_templates WHERE code = $1",
        template_code
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let rows = sqlx::query!(
        "SELECT m.id, m.kind, m.quantity, c.code AS \"coupon_code?\", c.status AS \"coupon_status?\",
                c.valid_to AS \"coupon_valid_to?\", u.username AS \"by_username?\", m.at
           FROM stock_movements m
           LEFT JOIN coupons c ON c.id = m.coupon_id
           LEFT JOIN users u ON u.id = m.by_user
          WHERE m.template_id = $1
          ORDER BY m.id DESC LIMIT $2 OFFSET $3",
        template_id,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let rows = rows
        .into_iter()
        .map(|r| MovementRow {
            id: r.id,
            kind: r.kind,
            quantity: r.quantity,
            coupon_code: match (r.coupon_code, r.coupon_status, r.coupon_valid_to) {
                (Some(code), Some(status), Some(valid_to)) => {
                    Some(shown(code, &status, valid_to, now).0)
                }
                (code, _, _) => code,
            },
            by_username: r.by_username,
            at: r.at,
        })
        .collect();
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM stock_movements WHERE template_id = $1"#,
        template_id
    )
    .fetch_one(pool)
    .await?;
    Ok(Some((rows, total)))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StockDay {
    /// Beijing-time day.
    pub day: String,
    pub increased: i64,
    pub claimed: i64,
    pub withdrawn: i64,
    /// Unclaimed stock at the end of the day.
    pub remaining: i64,
}

/// Day by day (Beijing time): stock added, claimed, withdrawn, and what was left at the end.
pub async fn stock_by_day(
    pool: &PgPool,
    template_code: &str,
) -> Result<Vec<StockDay>, sqlx::Error> {
    sqlx::query_as!(
        StockDay,
        r#"SELECT day AS "day!", increased AS "increased!", claimed AS "claimed!", withdrawn AS "withdrawn!",
                  (sum(increased - claimed - withdrawn) OVER (ORDER BY day))::bigint AS "remaining!"
             FROM (SELECT to_char(m.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day,
                          coalesce(sum(m.quantity) FILTER (WHERE m.kind IN ('initial', 'increase')), 0)::bigint AS increased,
                          coalesce(-sum(m.quantity) FILTER (WHERE m.kind = 'claim'), 0)::bigint AS claimed,
                          coalesce(-sum(m.quantity) FILTER (WHERE m.kind = 'withdraw'), 0)::bigint AS withdrawn
                     FROM stock_movements m JOIN coupon_templates t ON t.id = m.template_id
                    WHERE t.code = $1
                    GROUP BY 1) d
            ORDER BY day"#,
        template_code
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CouponRow {
    pub id: Uuid,
    /// Masked (`ABCD********WXYZ`) while the coupon can be redeemed (unused, not expired): a
    /// holder of `benefit:coupon:unmask` reads it whole through `GET /benefits/coupons/{id}/code`,
    /// audited.
    pub code: String,
    /// Whether `code` is masked.
    pub code_masked: bool,
    pub template_code: String,
    pub template_name: String,
    /// Masked (C1****0001).
    pub customer_no: String,
    pub client_code: String,
    pub campaign_id: Option<Uuid>,
    /// The campaign's business number (`HD…`) and name, what staff know it by.
    pub campaign_code: Option<String>,
    pub campaign_name: Option<String>,
    pub status: String,
    pub claimed_at: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
}

pub struct CouponFilter<'a> {
    pub template_code: Option<&'a str>,
    pub customer_no: Option<&'a str>,
    /// 活动编号: the campaign's business number, part of it, part of its name, or its id.
    pub campaign: Option<&'a str>,
    pub status: Option<&'a str>,
}

/// 发放明细: coupons handed out, newest first; the codes of those redeemable at `now` masked.
/// How far a coupon list counts its matches: a total above it is "more than" it.
pub const COUNT_CAP: i64 = 10_000;

/// A page of coupons and their count, up to [`COUNT_CAP`] + 1.
pub async fn coupons(
    pool: &PgPool,
    filter: &CouponFilter<'_>,
    now: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CouponRow>, i64), sqlx::Error> {
    let campaign = filter.campaign.map(str::trim).filter(|c| !c.is_empty());
    let pattern = crate::numbers::contains_pattern(campaign);
    let rows = sqlx::query!(
        r#"SELECT c.id, c.code, t.code AS template_code, t.name AS template_name, c.customer_no, a.code AS client_code, c.campaign_id,
                  k.code AS "campaign_code?", k.name AS "campaign_name?",
                  c.status, c.claimed_at, c.valid_to
             FROM coupons c JOIN coupon_templates t ON t.id = c.template_id JOIN api_clients a ON a.id = c.client_id
             LEFT JOIN campaigns k ON k.id = c.campaign_id
            WHERE ($1::text IS NULL OR t.code = $1) AND ($2::text IS NULL OR c.customer_no = $2)
              AND ($3::text IS NULL OR c.campaign_id IN (SELECT id FROM campaigns
                                                          WHERE code ILIKE $3 OR name ILIKE $3
                                                             OR id::text = $7))
              AND ($4::text IS NULL OR c.status = $4)
            ORDER BY c.claimed_at DESC, c.code LIMIT $5 OFFSET $6"#,
        filter.template_code,
        filter.customer_no,
        pattern,
        filter.status,
        limit,
        offset,
        campaign,
    )
    .fetch_all(pool)
    .await?;
    // counted up to one past the cap: a bank's ten million coupons are not counted on every page
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (
             SELECT 1 FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
              WHERE ($1::text IS NULL OR t.code = $1) AND ($2::text IS NULL OR c.customer_no = $2)
                AND ($3::text IS NULL OR c.campaign_id IN (SELECT id FROM campaigns
                                                            WHERE code ILIKE $3 OR name ILIKE $3
                                                               OR id::text = $5))
                AND ($4::text IS NULL OR c.status = $4)
              LIMIT $6) AS counted"#,
        filter.template_code,
        filter.customer_no,
        pattern,
        filter.status,
        campaign,
        COUNT_CAP + 1,
    )
    .fetch_one(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let (code, code_masked) = shown(r.code, &r.status, r.valid_to, now);
            CouponRow {
                id: r.id,
                code,
                code_masked,
                template_code: r.template_code,
                template_name: r.template_name,
                customer_no: pii::mask(pii::Kind::CustomerNo, &r.customer_no),
                client_code: r.client_code,
                campaign_id: r.campaign_id,
                campaign_code: r.campaign_code,
                campaign_name: r.campaign_name,
                status: r.status,
                claimed_at: r.claimed_at,
                valid_to: r.valid_to,
            }
        })
        .collect();
    Ok((items, total))
}

/// One coupon's code in full, for a holder of `benefit:coupon:unmask`; the audit row names the
/// coupon and who read it, never the code. `None`: no such coupon.
#[tracing::instrument(skip(pool, by))]
pub async fn unmask_code(
    pool: &PgPool,
    id: Uuid,
    now: DateTime<Utc>,
    by: crate::audit::Entry,
) -> Result<Option<String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(row) = sqlx::query!(
        "SELECT c.code, c.status, c.valid_to, t.code AS template_code
           FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE c.id = $1",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let entry = crate::audit::Entry {
        action: "benefit.coupon.unmask",
        target: Some(id.to_string()),
        after: Some(serde_json::json!({
            "template_code": row.template_code, "status": row.status,
            "redeemable": redeemable(&row.status, row.valid_to, now),
        })),
        ..by
    };
    crate::audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Some(row.code))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RedemptionRow {
    pub id: Uuid,
    /// Masked when a reversal made the coupon redeemable again.
    pub coupon_code: String,
    pub template_code: String,
    pub template_name: String,
    pub merchant_code: String,
    pub merchant_name: String,
    pub store_code: String,
    pub store_name: String,
    pub order_amount: i64,
    pub discount: i64,
    pub order_ref: String,
    pub redeemed_at: DateTime<Utc>,
    pub reversed_at: Option<DateTime<Utc>>,
}

/// What 核销记录 is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct RedemptionFilter {
    /// A merchant user's merchant: only its redemptions (`None`: bank staff, all).
    pub merchant_id: Option<Uuid>,
    /// A template's code, or part of its name.
    pub template: Option<String>,
    /// One store's code.
    pub store_code: Option<String>,
    /// Redeemed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Redeemed before.
    pub to: Option<DateTime<Utc>>,
}

/// Redemption records, newest first; a merchant user sees only their merchant's.
pub async fn redemptions(
    pool: &PgPool,
    filter: &RedemptionFilter,
    now: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<RedemptionRow>, i64), sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT r.id, c.code AS coupon_code, c.status AS coupon_status, c.valid_to AS coupon_valid_to,
                t.code AS template_code, t.name AS template_name,
                m.code AS merchant_code, m.name AS merchant_name, s.code AS store_code,
                s.name AS store_name, r.order_amount, r.discount, r.order_ref, r.redeemed_at, r.reversed_at
           FROM redemptions r JOIN coupons c ON c.id = r.coupon_id
           JOIN coupon_templates t ON t.id = c.template_id
           JOIN merchants m ON m.id = r.merchant_id JOIN stores s ON s.id = r.store_id
          WHERE ($1::uuid IS NULL OR r.merchant_id = $1)
            AND ($2::text IS NULL OR t.code = $2 OR strpos(lower(t.name), lower($2)) > 0)
            AND ($3::text IS NULL OR s.code = $3)
            AND ($4::timestamptz IS NULL OR r.redeemed_at >= $4)
            AND ($5::timestamptz IS NULL OR r.redeemed_at < $5)
          ORDER BY r.redeemed_at DESC, r.id LIMIT $6 OFFSET $7",
        filter.merchant_id,
        filter.template,
        filter.store_code,
        filter.from,
        filter.to,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let rows = rows
        .into_iter()
        .map(|r| RedemptionRow {
            id: r.id,
            coupon_code: shown(r.coupon_code, &r.coupon_status, r.coupon_valid_to, now).0,
            template_code: r.template_code,
            template_name: r.template_name,
            merchant_code: r.merchant_code,
            merchant_name: r.merchant_name,
            store_code: r.store_code,
            store_name: r.store_name,
            order_amount: r.order_amount,
            discount: r.discount,
            order_ref: r.order_ref,
            redeemed_at: r.redeemed_at,
            reversed_at: r.reversed_at,
        })
        .collect();
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM redemptions r JOIN coupons c ON c.id = r.coupon_id
             JOIN coupon_templates t ON t.id = c.template_id JOIN stores s ON s.id = r.store_id
            WHERE ($1::uuid IS NULL OR r.merchant_id = $1)
              AND ($2::text IS NULL OR t.code = $2 OR strpos(lower(t.name), lower($2)) > 0)
              AND ($3::text IS NULL OR s.code = $3)
              AND ($4::timestamptz IS NULL OR r.redeemed_at >= $4)
              AND ($5::timestamptz IS NULL OR r.redeemed_at < $5)"#,
        filter.merchant_id,
        filter.template,
        filter.store_code,
        filter.from,
        filter.to
    )
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    /// Templates of this item.
    pub templates: i64,
}

/// 权益品目: the catalogue, with how many templates each item has.
pub async fn items(pool: &PgPool) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as!(
        ItemRow,
        r#"SELECT i.id, i.code, i.name, i.description,
                  (SELECT count(*) FROM coupon_templates t WHERE t.item_id = i.id) AS "templates!"
             FROM benefit_items i ORDER BY i.code"#
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MerchantRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub status: String,
    /// The store codes, active and disabled.
    pub stores: Vec<String>,
    /// The stores with their names and status, by code.
    pub store_list: Vec<StoreRow>,
    /// The 停用/启用 request waiting for its approval, if any.
    pub status_request: Option<PendingRequest>,
    /// The 结算账户变更 waiting for its approval or its check, if any (`action` is `change`).
    pub account_change: Option<PendingRequest>,
}

/// A merchant's request waiting for its approval process.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PendingRequest {
    /// Its business number (`TY…`).
    pub code: String,
    /// `disable` or `enable`.
    pub action: String,
    pub reason: Option<String>,
    pub workflow_id: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoreRow {
    pub code: String,
    pub name: String,
    /// `active` or `disabled`.
    pub status: String,
}

pub async fn merchants(pool: &PgPool) -> Result<Vec<MerchantRow>, sqlx::Error> {
    let merchants = sqlx::query!(
        r#"SELECT m.id, m.code, m.name, m.status, r.id AS "request_id?", r.code AS "request_code?",
                  r.action AS "request_action?", r.reason AS "request_reason?",
                  c.id AS "change_id?", c.code AS "change_code?", c.reason AS "change_reason?"
             FROM merchants m
             LEFT JOIN merchant_status_requests r ON r.merchant_id = m.id AND r.status = 'pending'
             LEFT JOIN settlement_account_changes c ON c.merchant_id = m.id AND c.status = 'pending'
            ORDER BY m.code"#
    )
    .fetch_all(pool)
    .await?;
    let stores = sqlx::query!(
        "SELECT merchant_id, code, name, status FROM stores ORDER BY merchant_id, code"
    )
    .fetch_all(pool)
    .await?;
    let mut by_merchant: std::collections::HashMap<Uuid, Vec<StoreRow>> =
        std::collections::HashMap::new();
    for s in stores {
        by_merchant
            .entry(s.merchant_id)
            .or_default()
            .push(StoreRow {
                code: s.code,
                name: s.name,
                status: s.status,
            });
    }
    Ok(merchants
        .into_iter()
        .map(|m| {
            let store_list = by_merchant.remove(&m.id).unwrap_or_default();
            MerchantRow {
                id: m.id,
                code: m.code,
                name: m.name,
                status: m.status,
                stores: store_list.iter().map(|s| s.code.clone()).collect(),
                store_list,
                status_request: match (m.request_id, m.request_code, m.request_action) {
                    (Some(id), Some(code), Some(action)) => Some(PendingRequest {
                        code,
                        action,
                        reason: m.request_reason,
                        workflow_id: ProcessKind::MerchantStatus.workflow_id(&id.to_string()),
                    }),
                    _ => None,
                },
                account_change: match (m.change_id, m.change_code) {
                    (Some(id), Some(code)) => Some(PendingRequest {
                        code,
                        action: "change".to_owned(),
                        reason: m.change_reason,
                        workflow_id: ProcessKind::SettlementAccountChange
                            .workflow_id(&id.to_string()),
                    }),
                    _ => None,
                },
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_redeemable_coupons_code_is_masked_and_a_spent_or_expired_one_is_not() {
        let now = Utc::now();
        let code = "ABCD2345EFGH6789".to_owned();
        assert_eq!(mask_code(&code), "ABCD********6789");
        let later = now + Duration::days(1);
        assert_eq!(
            shown(code.clone(), "unused", later, now),
            ("ABCD********6789".to_owned(), true)
        );
        for (status, valid_to) in [("used", later), ("withdrawn", later), ("unused", now)] {
            assert_eq!(
                shown(code.clone(), status, valid_to, now),
                (code.clone(), false),
                "{status}"
            );
        }
        assert_eq!(mask_code("SHORT"), "*****");
    }
}
