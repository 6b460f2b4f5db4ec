//! 商户门户 (issue 16): what a merchant's administrator reads of their own merchant — its
//! onboarding application, its stores and the coupon templates it may redeem. Every query takes
//! the caller's merchant; nothing here reads another merchant's rows.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// The onboarding application that opened the merchant, if it came through one (a merchant staff
/// created directly has none).
pub async fn application_of(pool: &PgPool, merchant_id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM onboarding_applications WHERE merchant_id = $1 ORDER BY submitted_at LIMIT 1",
        merchant_id
    )
    .fetch_optional(pool)
    .await
}

/// One of the merchant's stores.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortalStore {
    pub code: String,
    pub name: String,
    /// `active` or `disabled` (a disabled store redeems nothing).
    pub status: String,
}

/// The merchant's stores, by code.
pub async fn stores(pool: &PgPool, merchant_id: Uuid) -> Result<Vec<PortalStore>, sqlx::Error> {
    sqlx::query_as!(
        PortalStore,
        "SELECT code, name, status FROM stores WHERE merchant_id = $1 ORDER BY code",
        merchant_id
    )
    .fetch_all(pool)
    .await
}

/// A coupon template the merchant may redeem.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortalTemplate {
    pub code: String,
    pub name: String,
    /// `threshold` 满减, `discount` 折扣, `cash` 代金券, `physical` 实物.
    pub kind: String,
    /// Fen.
    pub face_value: i64,
    /// Fen: the order amount from which it applies.
    pub threshold: i64,
    /// `discount`: the share paid, per mille.
    pub discount_permille: Option<i32>,
    /// `active` (being claimed) or `withdrawn` (no more claims; coupons claimed still redeem).
    pub status: String,
    pub claim_from: DateTime<Utc>,
    pub claim_to: DateTime<Utc>,
    /// A fixed validity window, or …
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    /// … this many days from the claim.
    pub valid_days: Option<i32>,
    /// Stock not yet claimed.
    pub remaining: i64,
    /// Whether only some merchants may redeem it (this one among them), rather than any.
    pub restricted: bool,
}

/// The templates the merchant may redeem — those for any merchant and those naming it — that are
/// out of draft, newest first.
pub async fn templates(
    pool: &PgPool,
    merchant_id: Uuid,
) -> Result<Vec<PortalTemplate>, sqlx::Error> {
    sqlx::query_as!(
        PortalTemplate,
        r#"SELECT t.code, t.name, t.kind, t.face_value, t.threshold, t.discount_permille, t.status,
                  t.claim_from, t.claim_to, t.valid_from, t.valid_to, t.valid_days,
                  (SELECT coalesce(sum(remaining), 0) FROM stock_shards s
                    WHERE s.template_id = t.id)::bigint AS "remaining!",
                  EXISTS (SELECT 1 FROM template_merchants tm WHERE tm.template_id = t.id) AS "restricted!"
             FROM coupon_templates t
            WHERE t.status <> 'draft'
              AND (NOT EXISTS (SELECT 1 FROM template_merchants tm WHERE tm.template_id = t.id)
                   OR EXISTS (SELECT 1 FROM template_merchants tm
                               WHERE tm.template_id = t.id AND tm.merchant_id = $1))
            ORDER BY t.created_at DESC, t.code"#,
        merchant_id
    )
    .fetch_all(pool)
    .await
}
