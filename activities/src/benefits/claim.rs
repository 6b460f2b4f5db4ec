//! 领券: one transaction per claim — the request's answer is reserved first (a repeat, even a
//! concurrent one, waits and gets the first answer), then the per-customer limits and the stock
//! move by conditional updates, then the coupon and its ledger row. A hot template's stock is in
//! shards: a claim starts at a random shard and falls over to the others before it answers sold
//! out.

use super::{new_coupon_code, qr_payload};
use chrono::{DateTime, Duration, FixedOffset, SubsecRound, Utc};
use quanyi_workflows::domain::{CustomerNo, TemplateCode};
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub struct ClaimRequest<'a> {
    pub client_id: Uuid,
    pub request_id: &'a str,
    /// The request body as signed, so a reused request id with another body is told apart.
    pub body: &'a [u8],
    pub template_code: &'a TemplateCode,
    pub customer_no: &'a CustomerNo,
    pub campaign_id: Option<Uuid>,
    /// The signed request's nonce, spent in the claim's own transaction (one commit a claim);
    /// `None` for claims made inside Quanyi (the demo seed).
    pub nonce: Option<&'a str>,
}

/// A claimed coupon as the channel shows it to the customer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ClaimedCoupon {
    pub coupon_code: String,
    pub template_code: String,
    pub status: String,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    /// The content of the QR code the customer shows at the till.
    pub qr_payload: String,
    pub claimed_at: DateTime<Utc>,
}

/// Why a claim got no coupon; each has its own code at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    SoldOut,
    DailyLimit,
    TotalLimit,
    CampaignLimit,
    UnknownTemplate,
    OutsideWindow,
    /// The request id was used before with another body.
    RequestIdReused,
    /// The signed request's nonce was used before: a replay, refused before anything happens
    /// (and not kept as the request's answer).
    NonceReused,
}

impl Refusal {
    fn as_str(self) -> &'static str {
        match self {
            Refusal::SoldOut => "sold_out",
            Refusal::DailyLimit => "daily_limit",
            Refusal::TotalLimit => "total_limit",
            Refusal::CampaignLimit => "campaign_limit",
            Refusal::UnknownTemplate => "unknown_template",
            Refusal::OutsideWindow => "outside_window",
            Refusal::RequestIdReused => "request_id_reused",
            Refusal::NonceReused => "nonce_reused",
        }
    }

    fn parse(text: &str) -> Refusal {
        [
            Refusal::SoldOut,
            Refusal::DailyLimit,
            Refusal::TotalLimit,
            Refusal::CampaignLimit,
            Refusal::UnknownTemplate,
            Refusal::OutsideWindow,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
        .unwrap_or(Refusal::RequestIdReused)
    }
}

/// The Beijing-time day a claim (or a redemption) counts toward for daily limits.
pub(crate) fn beijing_day(at: DateTime<Utc>) -> String {
    at.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m-%d")
        .to_string()
}

/// Claims a coupon, or answers why not; the same `(client, request id)` always gets its first
/// answer back.
#[tracing::instrument(skip_all, fields(template = %request.template_code))]
pub async fn claim(
    pool: &PgPool,
    request: &ClaimRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Result<ClaimedCoupon, Refusal>, sqlx::Error> {
    // PostgreSQL keeps microseconds: the first answer and its repeats must read alike
    let now = now.trunc_subsecs(6);
    let body_hash = Sha256::digest(request.body).to_vec();
    // a claim that read a template an edit then changed starts over (see `take`); an edit is a
    // rare staff action, so this loops at most a few times
    loop {
        match attempt(pool, request, &body_hash, now).await? {
            Taken::Coupon(coupon) => return Ok(Ok(coupon)),
            Taken::Refused(refusal) => return Ok(Err(refusal)),
            Taken::Edited => continue,
        }
    }
}

/// What one try of a claim came to.
enum Taken {
    Coupon(ClaimedCoupon),
    Refused(Refusal),
    /// The template was edited after it was read: nothing was kept, and the claim starts over on
    /// the edited terms.
    Edited,
}

/// One try of [`claim`], in one transaction.
async fn attempt(
    pool: &PgPool,
    request: &ClaimRequest<'_>,
    body_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Taken, sqlx::Error> {
    let coupon_id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    // Spend the nonce and reserve the answer in one round trip; a concurrent twin of the request
    // blocks on the reservation until this transaction ends.
    let first = sqlx::query!(
        r#"WITH spent AS (
               INSERT INTO api_nonces (client_id, nonce, seen_at)
               SELECT $1, $6, $5 WHERE $6::text IS NOT NULL
               ON CONFLICT DO NOTHING RETURNING 1),
           reserved AS (
               INSERT INTO claim_requests (client_id, request_id, body_hash, coupon_id, at)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1)
           SELECT (SELECT count(*) FROM spent) AS "spent!", (SELECT count(*) FROM reserved) AS "reserved!""#,
        request.client_id,
        request.request_id,
        body_hash,
        coupon_id,
        now,
        request.nonce
    )
    .fetch_one(&mut *tx)
    .await?;
    if request.nonce.is_some() && first.spent == 0 {
        tx.rollback().await?;
        return Ok(Taken::Refused(Refusal::NonceReused));
    }
    if first.reserved == 0 {
        tx.rollback().await?;
        let first = first_answer(pool, request.client_id, request.request_id, body_hash).await?;
        return Ok(match first {
            Ok(coupon) => Taken::Coupon(coupon),
            Err(refusal) => Taken::Refused(refusal),
        });
    }
    let taken = take(&mut tx, request, coupon_id, now).await?;
    match &taken {
        Taken::Edited => {
            tx.rollback().await?;
            return Ok(taken);
        }
        Taken::Refused(refusal) => {
            sqlx::query!(
                "UPDATE claim_requests SET coupon_id = NULL, refusal = $3 WHERE client_id = $1 AND request_id = $2",
                request.client_id,
                request.request_id,
                refusal.as_str()
            )
            .execute(&mut *tx)
            .await?;
        }
        Taken::Coupon(_) => {}
    }
    tx.commit().await?;
    Ok(taken)
}

/// The terms of an active template a claim needs.
struct Terms {
    id: Uuid,
    code: String,
    claim_from: DateTime<Utc>,
    claim_to: DateTime<Utc>,
    valid_from: Option<DateTime<Utc>>,
    valid_to: Option<DateTime<Utc>>,
    valid_days: Option<i32>,
    shards: i32,
    limit_per_day: Option<i32>,
    limit_total: Option<i32>,
    limit_per_campaign: Option<i32>,
    revision: i32,
}

impl Terms {
    /// A new coupon's validity: the template's dates, or `valid_days` (30 unless set) from now.
    fn validity(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        match (self.valid_from, self.valid_to, self.valid_days) {
            (Some(from), Some(to), _) => (from, to),
            (_, _, days) => (now, now + Duration::days(i64::from(days.unwrap_or(30)))),
        }
    }
}

/// A coupon about to be handed out.
struct NewCoupon<'a> {
    id: Uuid,
    code: &'a str,
    valid_from: DateTime<Utc>,
    valid_to: DateTime<Utc>,
}

/// Limits, stock, coupon and ledger — inside the claim's transaction. On a refusal nothing of it
/// is left behind (a savepoint covers the limit counters). [`Taken::Edited`] when an edit of the
/// template committed after it was read: the caller rolls back and tries again.
async fn take(
    tx: &mut PgConnection,
    request: &ClaimRequest<'_>,
    coupon_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Taken, sqlx::Error> {
    let Some(t) = sqlx::query_as!(
        Terms,
        "SELECT id, code, claim_from, claim_to, valid_from, valid_to, valid_days, shards,
                limit_per_day, limit_total, limit_per_campaign, revision
           FROM coupon_templates WHERE code = $1 AND status = 'active'",
        request.template_code.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Taken::Refused(Refusal::UnknownTemplate));
    };
    if now < t.claim_from || now >= t.claim_to {
        return Ok(Taken::Refused(Refusal::OutsideWindow));
    }
    // a campaign's limit counts only the claims that come through that campaign
    let campaign_limit = request.campaign_id.and(t.limit_per_campaign);
    let limited = t.limit_per_day.is_some() || t.limit_total.is_some() || campaign_limit.is_some();
    if limited {
        sqlx::query("SAVEPOINT claim_limits")
            .execute(&mut *tx)
            .await?;
        if let Some(refusal) = count_claim(tx, &t, request, campaign_limit, now).await? {
            sqlx::query("ROLLBACK TO SAVEPOINT claim_limits")
                .execute(&mut *tx)
                .await?;
            return Ok(Taken::Refused(refusal));
        }
    }
    let (valid_from, valid_to) = t.validity(now);
    let code = new_coupon_code();
    let coupon = NewCoupon {
        id: coupon_id,
        code: &code,
        valid_from,
        valid_to,
    };
    if !take_unit(tx, &t, request, &coupon, now).await? {
        if limited {
            sqlx::query("ROLLBACK TO SAVEPOINT claim_limits")
                .execute(&mut *tx)
                .await?;
        }
        return Ok(Taken::Refused(Refusal::SoldOut));
    }
    // Holding a shard now, no edit can be under way: one that locked the shards first has
    // committed, and its new revision shows here. The coupon must not carry the old terms.
    let revision = sqlx::query_scalar!("SELECT revision FROM coupon_templates WHERE id = $1", t.id)
        .fetch_one(&mut *tx)
        .await?;
    if revision != t.revision {
        return Ok(Taken::Edited);
    }
    Ok(Taken::Coupon(ClaimedCoupon {
        qr_payload: qr_payload(&code),
        coupon_code: code,
        template_code: t.code,
        status: "unused".into(),
        valid_from,
        valid_to,
        claimed_at: now,
    }))
}

/// Counts the claim toward the customer's limits of the template (a day in Beijing time, in
/// total, through the campaign); the first limit it would pass, if any. The caller rolls the
/// counters back on a refusal.
async fn count_claim(
    tx: &mut PgConnection,
    t: &Terms,
    request: &ClaimRequest<'_>,
    campaign_limit: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Option<Refusal>, sqlx::Error> {
    let campaign = request
        .campaign_id
        .map(|id| format!("campaign:{id}"))
        .unwrap_or_default();
    for (period, limit, refusal) in [
        (beijing_day(now), t.limit_per_day, Refusal::DailyLimit),
        ("total".to_owned(), t.limit_total, Refusal::TotalLimit),
        (campaign, campaign_limit, Refusal::CampaignLimit),
    ] {
        let Some(limit) = limit else { continue };
        let counted = sqlx::query!(
            "INSERT INTO customer_claims (template_id, customer_no, period, claimed)
                 VALUES ($1, $2, $3, 1)
                 ON CONFLICT (template_id, customer_no, period) DO UPDATE
                    SET claimed = customer_claims.claimed + 1
                  WHERE customer_claims.claimed < $4",
            t.id,
            request.customer_no.as_str(),
            period,
            limit
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if counted == 0 {
            return Ok(Some(refusal));
        }
    }
    Ok(None)
}

/// Takes one unit of the template's stock for `coupon`, with the coupon and its ledger row;
/// false when no shard holds stock (sold out).
async fn take_unit(
    tx: &mut PgConnection,
    t: &Terms,
    request: &ClaimRequest<'_>,
    coupon: &NewCoupon<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    // A random shard first: a hot template spreads its row locks over its shards. Should that
    // one be empty, any shard that still holds stock; sold out only when none does.
    let shards = t.shards.max(1);
    let mut shard = rand::rng().random_range(0..shards);
    // Each miss means another claim took that shard's last unit, so the loop ends: with a coupon,
    // or when no shard holds stock.
    loop {
        // the decrement, the coupon and its ledger row in one statement: all or none
        let took = sqlx::query_scalar!(
            r#"WITH taken AS (
                   UPDATE stock_shards SET remaining = remaining - 1
                    WHERE template_id = $1 AND shard = $2 AND remaining >= 1
                RETURNING template_id),
               coupon AS (
                   INSERT INTO coupons (id, code, template_id, customer_no, client_id, campaign_id,
                                        claimed_at, valid_from, valid_to)
                   SELECT $3, $4, template_id, $5, $6, $7, $8, $9, $10 FROM taken
                RETURNING id, template_id),
               ledger AS (
                   INSERT INTO stock_movements (template_id, kind, quantity, coupon_id, at)
                   SELECT template_id, 'claim', -1, id, $8 FROM coupon)
               SELECT count(*) AS "n!" FROM coupon"#,
            t.id,
            shard,
            coupon.id,
            coupon.code,
            request.customer_no.as_str(),
            request.client_id,
            request.campaign_id,
            now,
            coupon.valid_from,
            coupon.valid_to
        )
        .fetch_one(&mut *tx)
        .await?
            == 1;
        if took {
            return Ok(true);
        }
        let Some(next) = sqlx::query_scalar!(
            "SELECT shard FROM stock_shards WHERE template_id = $1 AND remaining >= 1
              ORDER BY random() LIMIT 1",
            t.id
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        shard = next;
    }
}

/// The stored answer of an earlier request with the same id (refused if its body differs).
async fn first_answer(
    pool: &PgPool,
    client_id: Uuid,
    request_id: &str,
    body_hash: &[u8],
) -> Result<Result<ClaimedCoupon, Refusal>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT r.body_hash, r.refusal, c.code AS "code?",
                  c.valid_from AS "valid_from?", c.valid_to AS "valid_to?", c.claimed_at AS "claimed_at?",
                  t.code AS "template_code?"
             FROM claim_requests r
             LEFT JOIN coupons c ON c.id = r.coupon_id
             LEFT JOIN coupon_templates t ON t.id = c.template_id
            WHERE r.client_id = $1 AND r.request_id = $2"#,
        client_id,
        request_id
    )
    .fetch_one(pool)
    .await?;
    if row.body_hash != body_hash {
        return Ok(Err(Refusal::RequestIdReused));
    }
    if let Some(refusal) = row.refusal {
        return Ok(Err(Refusal::parse(&refusal)));
    }
    match (
        row.code,
        row.template_code,
        row.valid_from,
        row.valid_to,
        row.claimed_at,
    ) {
        (Some(code), Some(template_code), Some(valid_from), Some(valid_to), Some(claimed_at)) => {
            Ok(Ok(ClaimedCoupon {
                qr_payload: qr_payload(&code),
                coupon_code: code,
                template_code,
                // the coupon as it was handed out: a repeat is the first answer, byte for byte
                status: "unused".into(),
                valid_from,
                valid_to,
                claimed_at,
            }))
        }
        _ => Err(sqlx::Error::Protocol(
            "a claim request without its coupon".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_limits_count_in_beijing_time() {
        let late_utc = DateTime::parse_from_rfc3339("2026-11-26T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(beijing_day(late_utc), "2026-11-27");
        let early = DateTime::parse_from_rfc3339("2026-11-26T15:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(beijing_day(early), "2026-11-26");
    }

    #[test]
    fn stored_refusals_read_back_as_themselves() {
        for r in [
            Refusal::SoldOut,
            Refusal::DailyLimit,
            Refusal::TotalLimit,
            Refusal::CampaignLimit,
            Refusal::UnknownTemplate,
            Refusal::OutsideWindow,
        ] {
            assert_eq!(Refusal::parse(r.as_str()), r);
        }
    }
}
