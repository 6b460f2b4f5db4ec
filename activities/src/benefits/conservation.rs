//! `quanyi audit stock`: the books must balance. For every template: initial stock + increases −
//! claims − withdrawals = what the shards hold; claims = coupons = claim ledger rows; no coupon is
//! redeemed twice at once; a used coupon has exactly one live redemption and an unused one none.

use sqlx::PgPool;

/// One broken rule, for a person to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub template: String,
    pub rule: &'static str,
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.template, self.rule, self.detail)
    }
}

/// Checks every template; returns how many were checked and every violation found.
pub async fn check(pool: &PgPool) -> Result<(i64, Vec<Violation>), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT t.code, t.initial_stock,
                  (SELECT coalesce(sum(remaining), 0) FROM stock_shards s WHERE s.template_id = t.id)::bigint AS "remaining!",
                  (SELECT coalesce(sum(quantity), 0) FROM stock_movements m WHERE m.template_id = t.id)::bigint AS "ledger!",
                  (SELECT coalesce(sum(quantity), 0) FROM stock_movements m WHERE m.template_id = t.id AND m.kind = 'initial')::bigint AS "initial_moved!",
                  (SELECT count(*) FROM stock_movements m WHERE m.template_id = t.id AND m.kind = 'claim') AS "claim_rows!",
                  (SELECT count(DISTINCT coupon_id) FROM stock_movements m WHERE m.template_id = t.id AND m.kind = 'claim') AS "claimed_coupons!",
                  (SELECT count(*) FROM coupons c WHERE c.template_id = t.id) AS "coupons!",
                  (SELECT count(*) FROM coupons c WHERE c.template_id = t.id AND c.status = 'used'
                      AND (SELECT count(*) FROM redemptions r WHERE r.coupon_id = c.id AND r.reversed_at IS NULL) <> 1) AS "used_unbacked!",
                  (SELECT count(*) FROM coupons c WHERE c.template_id = t.id AND c.status <> 'used'
                      AND EXISTS (SELECT 1 FROM redemptions r WHERE r.coupon_id = c.id AND r.reversed_at IS NULL)) AS "redeemed_unmarked!",
                  (SELECT count(*) FROM (SELECT r.coupon_id FROM redemptions r JOIN coupons c ON c.id = r.coupon_id
                      WHERE c.template_id = t.id AND r.reversed_at IS NULL GROUP BY r.coupon_id HAVING count(*) > 1) d) AS "double_redeemed!"
             FROM coupon_templates t ORDER BY t.code"#
    )
    .fetch_all(pool)
    .await?;
    let checked = rows.len() as i64;
    let mut violations = Vec::new();
    for r in rows {
        let mut broken = |rule: &'static str, detail: String| {
            violations.push(Violation {
                template: r.code.clone(),
                rule,
                detail,
            });
        };
        if r.initial_moved != r.initial_stock {
            broken(
                "the initial ledger row differs from the initial stock",
                format!("ledger {} ≠ template {}", r.initial_moved, r.initial_stock),
            );
        }
        if r.ledger != r.remaining {
            broken(
                "initial + increases − claims − withdrawals ≠ remaining",
                format!(
                    "ledger says {} but the shards hold {}",
                    r.ledger, r.remaining
                ),
            );
        }
        if r.claim_rows != r.coupons || r.claimed_coupons != r.coupons {
            broken(
                "claims, coupons and claim ledger rows differ",
                format!(
                    "{} claim rows for {} distinct coupons, {} coupons",
                    r.claim_rows, r.claimed_coupons, r.coupons
                ),
            );
        }
        if r.double_redeemed > 0 {
            broken(
                "a coupon redeemed more than once",
                format!("{} coupons", r.double_redeemed),
            );
        }
        if r.used_unbacked > 0 {
            broken(
                "a used coupon without exactly one live redemption",
                format!("{} coupons", r.used_unbacked),
            );
        }
        if r.redeemed_unmarked > 0 {
            broken(
                "a redeemed coupon not marked used (a reversal exceeded its redemption)",
                format!("{} coupons", r.redeemed_unmarked),
            );
        }
    }
    Ok((checked, violations))
}
