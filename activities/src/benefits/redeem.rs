//! 核销 and 冲正: a merchant redeems a coupon once — the coupon row is locked, every rule checked,
//! the coupon marked used and the redemption recorded in one transaction — and may reverse it
//! within the window, once, however often the reversal is sent.

use super::claim::beijing_day;
use super::clients;
use super::{code_from_input, discount};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use quanyi_workflows::domain::Fen;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Who redeems: a merchant system (its client) or a merchant's staff member.
#[derive(Debug, Clone, Copy)]
pub enum Redeemer {
    Client(Uuid),
    User(Uuid),
}

pub struct RedeemRequest<'a> {
    pub merchant_id: Uuid,
    pub by: Redeemer,
    pub request_id: &'a str,
    /// As typed or scanned: a code, or a QR payload.
    pub coupon: &'a str,
    pub store_code: &'a str,
    pub order_amount: Fen,
    pub order_ref: &'a str,
    /// A merchant system's signed-request nonce, spent in the redemption's own transaction.
    pub nonce: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Redemption {
    pub redemption_id: Uuid,
    pub coupon_code: String,
    /// Fen off the order.
    #[schema(value_type = i64)]
    pub discount: Fen,
    pub redeemed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownCode,
    AlreadyUsed,
    NotValidNow,
    NotEligible,
    BelowThreshold,
    Withdrawn,
    UnknownStore,
    /// The template's redemptions at this merchant today reached its limit.
    MerchantDailyLimit,
    /// The signed request's nonce was used before: a replay.
    NonceReused,
    /// The merchant is disabled (停用): nothing is kept, so the same request redeems once it is
    /// enabled again.
    MerchantDisabled,
}

impl Refusal {
    /// The refusals kept as a request's first answer (a replay is refused before anything).
    const KEPT: [Refusal; 8] = [
        Refusal::UnknownCode,
        Refusal::AlreadyUsed,
        Refusal::NotValidNow,
        Refusal::NotEligible,
        Refusal::BelowThreshold,
        Refusal::Withdrawn,
        Refusal::UnknownStore,
        Refusal::MerchantDailyLimit,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Refusal::UnknownCode => "unknown_code",
            Refusal::AlreadyUsed => "already_used",
            Refusal::NotValidNow => "not_valid_now",
            Refusal::NotEligible => "not_eligible",
            Refusal::BelowThreshold => "below_threshold",
            Refusal::Withdrawn => "withdrawn",
            Refusal::UnknownStore => "unknown_store",
            Refusal::MerchantDailyLimit => "merchant_daily_limit",
            Refusal::NonceReused => "nonce_reused",
            Refusal::MerchantDisabled => "merchant_disabled",
        }
    }

    fn parse(text: &str) -> Option<Refusal> {
        Refusal::KEPT.into_iter().find(|r| r.as_str() == text)
    }
}

/// Redeems a coupon, or answers why not. A repeat of `(merchant, request id)` answers as the
/// first, a refusal included: the refusal and the request's nonce are kept in one transaction,
/// so the same request cannot redeem later when the coupon's state has changed.
#[tracing::instrument(skip_all)]
pub async fn redeem(
    pool: &PgPool,
    request: &RedeemRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Result<Redemption, Refusal>, sqlx::Error> {
    // PostgreSQL keeps microseconds: the first answer and its repeats must read alike
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    // a disabled merchant redeems nothing from the commit of its disabling on (nothing written)
    if !crate::merchants::active_locked(&mut tx, request.merchant_id).await? {
        return Ok(Err(Refusal::MerchantDisabled));
    }
    if let (Some(nonce), Redeemer::Client(client_id)) = (request.nonce, request.by)
        && !clients::spend_nonce(&mut tx, client_id, nonce, now).await?
    {
        return Ok(Err(Refusal::NonceReused));
    }
    if let Some(first) = first_answer(&mut tx, request.merchant_id, request.request_id).await? {
        tx.commit().await?;
        return Ok(first);
    }
    match attempt(&mut tx, request, now).await? {
        Attempt::Redeemed(redemption) => {
            tx.commit().await?;
            Ok(Ok(redemption))
        }
        Attempt::Refused(refusal) => {
            // a concurrent twin may have redeemed while this waited on the coupon: its answer
            // is the first; otherwise the refusal is
            if let Some(first) = earlier(&mut tx, request.merchant_id, request.request_id).await? {
                tx.commit().await?;
                return Ok(Ok(first));
            }
            let kept = sqlx::query!(
                "INSERT INTO redemption_refusals (merchant_id, request_id, refusal, at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                request.merchant_id,
                request.request_id,
                refusal.as_str(),
                now
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if kept == 0 {
                // a twin refused first: its refusal is the answer
                tx.rollback().await?;
                let mut conn = pool.acquire().await?;
                return first_answer(&mut conn, request.merchant_id, request.request_id)
                    .await?
                    .ok_or_else(|| sqlx::Error::Protocol("a lost redemption refusal".into()));
            }
            tx.commit().await?;
            Ok(Err(refusal))
        }
        Attempt::TwinFirst => {
            // a concurrent twin of this request got there first: its answer is ours
            tx.rollback().await?;
            let mut conn = pool.acquire().await?;
            earlier(&mut conn, request.merchant_id, request.request_id)
                .await?
                .map(Ok)
                .ok_or_else(|| sqlx::Error::Protocol("a lost redemption twin".into()))
        }
    }
}

/// The minimum order (fen) of the coupon a till typed or scanned, for the refusal below it.
pub async fn threshold_of(pool: &PgPool, coupon: &str) -> Result<Option<i64>, sqlx::Error> {
    let code = code_from_input(coupon);
    sqlx::query_scalar!(
        "SELECT t.threshold FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
          WHERE c.code = $1",
        code
    )
    .fetch_optional(pool)
    .await
}

/// What one try at a redemption came to, inside its transaction.
enum Attempt {
    Redeemed(Redemption),
    Refused(Refusal),
    /// A twin with the same request id inserted its redemption first.
    TwinFirst,
}

/// The first answer to `(merchant, request id)`: its redemption or its refusal.
async fn first_answer(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    request_id: &str,
) -> Result<Option<Result<Redemption, Refusal>>, sqlx::Error> {
    if let Some(first) = earlier(conn, merchant_id, request_id).await? {
        return Ok(Some(Ok(first)));
    }
    let refusal = sqlx::query_scalar!(
        "SELECT refusal FROM redemption_refusals WHERE merchant_id = $1 AND request_id = $2",
        merchant_id,
        request_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(refusal.and_then(|r| Refusal::parse(&r)).map(Err))
}

/// Checks every rule and, when they hold, redeems — inside `tx`, nothing committed.
async fn attempt(
    tx: &mut PgConnection,
    request: &RedeemRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Attempt, sqlx::Error> {
    let code = code_from_input(request.coupon);
    let Some(coupon) = sqlx::query!(
        r#"SELECT c.id, c.code, c.status, c.valid_from, c.valid_to, t.id AS template_id, t.kind,
                t.face_value, t.threshold, t.discount_permille, t.limit_per_merchant_day,
                EXISTS (SELECT 1 FROM mall_coupon_locks l
                         WHERE l.coupon_id = c.id AND l.released_at IS NULL) AS "mall_locked!"
           FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
          WHERE c.code = $1
            FOR UPDATE OF c"#,
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Attempt::Refused(Refusal::UnknownCode));
    };
    let refusal = match coupon.status.as_str() {
        // a coupon an order of the mall holds is spent there (or is about to be)
        "used" => Some(Refusal::AlreadyUsed),
        _ if coupon.mall_locked => Some(Refusal::AlreadyUsed),
        "withdrawn" => Some(Refusal::Withdrawn),
        _ if now < coupon.valid_from || now >= coupon.valid_to => Some(Refusal::NotValidNow),
        _ if request.order_amount.get() < coupon.threshold => Some(Refusal::BelowThreshold),
        _ => None,
    };
    if let Some(refusal) = refusal {
        return Ok(Attempt::Refused(refusal));
    }
    let eligible = sqlx::query_scalar!(
        r#"SELECT NOT EXISTS (SELECT 1 FROM template_merchants WHERE template_id = $1)
                  OR EXISTS (SELECT 1 FROM template_merchants WHERE template_id = $1 AND merchant_id = $2)
                  AS "ok!""#,
        coupon.template_id,
        request.merchant_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if !eligible {
        return Ok(Attempt::Refused(Refusal::NotEligible));
    }
    let Some(store_id) = sqlx::query_scalar!(
        "SELECT s.id FROM stores s JOIN merchants m ON m.id = s.merchant_id
          WHERE s.merchant_id = $1 AND s.code = $2 AND s.status = 'active' AND m.status = 'active'",
        request.merchant_id,
        request.store_code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Attempt::Refused(Refusal::UnknownStore));
    };
    if let Some(limit) = coupon.limit_per_merchant_day {
        let counted = sqlx::query!(
            "INSERT INTO merchant_redemptions (template_id, merchant_id, day, redeemed) VALUES ($1, $2, $3, 1)
             ON CONFLICT (template_id, merchant_id, day) DO UPDATE
                SET redeemed = merchant_redemptions.redeemed + 1
              WHERE merchant_redemptions.redeemed < $4",
            coupon.template_id,
            request.merchant_id,
            beijing_day(now),
            limit
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if counted == 0 {
            return Ok(Attempt::Refused(Refusal::MerchantDailyLimit));
        }
    }
    let off = discount(
        &coupon.kind,
        stored_fen(coupon.face_value)?,
        coupon.discount_permille,
        request.order_amount,
    );
    sqlx::query!(
        "UPDATE coupons SET status = 'used' WHERE id = $1 AND status = 'unused'",
        coupon.id
    )
    .execute(&mut *tx)
    .await?;
    let (client_id, by_user) = match request.by {
        Redeemer::Client(id) => (Some(id), None),
        Redeemer::User(id) => (None, Some(id)),
    };
    let inserted = sqlx::query_scalar!(
        "INSERT INTO redemptions (coupon_id, merchant_id, store_id, client_id, by_user, request_id,
                                  order_amount, discount, order_ref, redeemed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (merchant_id, request_id) DO NOTHING RETURNING id",
        coupon.id,
        request.merchant_id,
        store_id,
        client_id,
        by_user,
        request.request_id,
        request.order_amount.get(),
        off.get(),
        request.order_ref,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(redemption_id) = inserted else {
        return Ok(Attempt::TwinFirst);
    };
    Ok(Attempt::Redeemed(Redemption {
        redemption_id,
        coupon_code: coupon.code,
        discount: off,
        redeemed_at: now,
    }))
}

async fn earlier(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    request_id: &str,
) -> Result<Option<Redemption>, sqlx::Error> {
    let Some(r) = sqlx::query!(
        "SELECT r.id, c.code, r.discount, r.redeemed_at FROM redemptions r JOIN coupons c ON c.id = r.coupon_id
          WHERE r.merchant_id = $1 AND r.request_id = $2",
        merchant_id,
        request_id
    )
    .fetch_optional(conn)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Redemption {
        redemption_id: r.id,
        coupon_code: r.code,
        discount: stored_fen(r.discount)?,
        redeemed_at: r.redeemed_at,
    }))
}

/// An amount as stored (its column's check keeps it at zero or more).
fn stored_fen(fen: i64) -> Result<Fen, sqlx::Error> {
    Fen::new(fen).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Reversal {
    pub redemption_id: Uuid,
    pub coupon_code: String,
    pub reversed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReversalRefusal {
    UnknownRedemption,
    WindowPassed,
    NonceReused,
    /// The merchant is disabled (停用); nothing written.
    MerchantDisabled,
}

/// Reverses a redemption of `merchant_id` within `window`; the coupon is unused again. A second
/// reversal answers as the first.
#[tracing::instrument(skip(pool))]
pub async fn reverse(
    pool: &PgPool,
    merchant_id: Uuid,
    redemption_id: Uuid,
    window: Duration,
    nonce: Option<(Uuid, &str)>,
    now: DateTime<Utc>,
) -> Result<Result<Reversal, ReversalRefusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    if !crate::merchants::active_locked(&mut tx, merchant_id).await? {
        return Ok(Err(ReversalRefusal::MerchantDisabled));
    }
    if let Some((client_id, nonce)) = nonce
        && !clients::spend_nonce(&mut tx, client_id, nonce, now).await?
    {
        return Ok(Err(ReversalRefusal::NonceReused));
    }
    let Some(r) = sqlx::query!(
        "SELECT r.id, r.coupon_id, r.redeemed_at, r.reversed_at, c.code, c.template_id,
                t.limit_per_merchant_day
           FROM redemptions r JOIN coupons c ON c.id = r.coupon_id
           JOIN coupon_templates t ON t.id = c.template_id
          WHERE r.id = $1 AND r.merchant_id = $2
            FOR UPDATE OF r",
        redemption_id,
        merchant_id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        // the nonce stays spent: a refusal is an answer too
        tx.commit().await?;
        return Ok(Err(ReversalRefusal::UnknownRedemption));
    };
    if let Some(reversed_at) = r.reversed_at {
        tx.commit().await?;
        return Ok(Ok(Reversal {
            redemption_id: r.id,
            coupon_code: r.code,
            reversed_at,
        }));
    }
    if now >= r.redeemed_at + window {
        tx.commit().await?;
        return Ok(Err(ReversalRefusal::WindowPassed));
    }
    sqlx::query!(
        "UPDATE redemptions SET reversed_at = $2 WHERE id = $1",
        r.id,
        now
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE coupons SET status = 'unused' WHERE id = $1 AND status = 'used'",
        r.coupon_id
    )
    .execute(&mut *tx)
    .await?;
    if r.limit_per_merchant_day.is_some() {
        // the reversed redemption no longer counts toward its day's merchant limit
        sqlx::query!(
            "UPDATE merchant_redemptions SET redeemed = redeemed - 1
              WHERE template_id = $1 AND merchant_id = $2 AND day = $3 AND redeemed > 0",
            r.template_id,
            merchant_id,
            beijing_day(r.redeemed_at)
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(Reversal {
        redemption_id: r.id,
        coupon_code: r.code,
        reversed_at: now,
    }))
}
