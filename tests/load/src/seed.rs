//! The run's own data, written straight into PostgreSQL through `quanyi_activities::benefits`:
//! a merchant and its store, coupon templates with stock redeemable there, a channel client and a
//! merchant client whose secrets we choose (stored encrypted under the data key), and a separate
//! channel client for pgbench's rows. Every code starts with the run's prefix, so runs never
//! collide.

use crate::sign::Signer;
use anyhow::Context;
use chrono::{Duration, Utc};
use futures::{StreamExt, TryStreamExt};
use quanyi_activities::audit::Entry;
use quanyi_activities::benefits::{admin, clients};
use quanyi_activities::crypto::DataKey;
use rand::RngCore;
use sqlx::PgPool;
use uuid::Uuid;

/// What to create.
pub struct SeedPlan {
    /// `L<unix seconds>-`.
    pub prefix: String,
    pub spread_templates: usize,
    pub spread_stock: i64,
    pub hot_stock: i64,
    pub hot_shards: i32,
    /// 满减: `discount` fen off an order of at least `threshold` fen.
    pub discount: i64,
    pub threshold: i64,
}

/// What was created.
pub struct Seeded {
    pub channel: Signer,
    pub channel_id: Uuid,
    pub merchant: Signer,
    pub merchant_client_id: Uuid,
    pub merchant_code: String,
    pub store_code: String,
    pub spread: Vec<String>,
    pub hot: String,
    pub org_id: Uuid,
}

/// Client codes are lower case (`^[a-z][a-z0-9_-]{2,31}$`).
pub fn client_code(prefix: &str, what: &str) -> String {
    format!("{}{what}", prefix.to_ascii_lowercase())
}

/// Who the audit log names for the seeding.
pub fn by() -> Entry {
    Entry {
        username: Some("quanyi-load".into()),
        ..Default::default()
    }
}

fn secret() -> Vec<u8> {
    let mut secret = vec![0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// The head office: templates and merchants belong to an org.
pub async fn head_office(pool: &PgPool) -> anyhow::Result<Uuid> {
    sqlx::query_scalar("SELECT id FROM orgs WHERE level = 1 ORDER BY created_at LIMIT 1")
        .fetch_optional(pool)
        .await?
        .context("no head office (level 1 org): is the demo bank seeded (`quanyi dev` does it)?")
}

/// A template claimable now and for a month, each coupon valid for 30 days from its claim,
/// redeemable at `merchant`.
pub fn template(
    code: String,
    stock: i64,
    shards: i32,
    merchant: &str,
    plan: &SeedPlan,
) -> anyhow::Result<admin::NewTemplate> {
    let now = Utc::now();
    Ok(admin::NewTemplate {
        name: format!("压测券 {code}"),
        code: code.try_into()?,
        kind: "threshold".into(),
        face_value: plan.discount,
        threshold: plan.threshold,
        discount_permille: None,
        claim_from: now - Duration::hours(1),
        claim_to: now + Duration::days(30),
        valid_from: None,
        valid_to: None,
        valid_days: Some(30),
        initial_stock: stock,
        shards,
        limit_per_day: None,
        limit_total: None,
        limit_per_campaign: None,
        limit_per_merchant_day: None,
        item_code: None,
        merchant_codes: vec![merchant.to_owned()],
        active: true,
    })
}

pub async fn create_template(
    pool: &PgPool,
    new: &admin::NewTemplate,
    org_id: Uuid,
) -> anyhow::Result<()> {
    admin::create_template(pool, new, org_id, Utc::now(), by())
        .await?
        .map_err(|r| anyhow::anyhow!("template {}: {r:?}", new.code))?;
    Ok(())
}

pub async fn register(
    pool: &PgPool,
    key: &DataKey,
    code: String,
    kind: clients::ClientKind,
    merchant_id: Option<Uuid>,
) -> anyhow::Result<(Uuid, Signer)> {
    let (id, secret) = clients::register_with_secret(
        pool,
        key,
        clients::NewClient {
            name: format!("压测 {code}"),
            code: code.clone(),
            kind,
            merchant_id,
        },
        secret(),
        Utc::now(),
        by(),
    )
    .await?
    .map_err(|r| anyhow::anyhow!("client {code}: {r:?}"))?;
    Ok((id, Signer::new(code, &secret)))
}

pub async fn seed(pool: &PgPool, key: &DataKey, plan: &SeedPlan) -> anyhow::Result<Seeded> {
    let org_id = head_office(pool).await?;
    let merchant_code = format!("{}M", plan.prefix);
    let store_code = format!("{}S1", plan.prefix);
    let merchant_id = admin::create_merchant(
        pool,
        &merchant_code,
        &format!("压测商户 {merchant_code}"),
        org_id,
        &[(store_code.clone(), "压测门店".to_owned())],
        Utc::now(),
        by(),
    )
    .await?
    .map_err(|r| anyhow::anyhow!("merchant {merchant_code}: {r:?}"))?;
    let (channel_id, channel) = register(
        pool,
        key,
        client_code(&plan.prefix, "ch"),
        clients::ClientKind::Channel,
        None,
    )
    .await?;
    let (merchant_client_id, merchant) = register(
        pool,
        key,
        client_code(&plan.prefix, "mc"),
        clients::ClientKind::Merchant,
        Some(merchant_id),
    )
    .await?;
    let hot = format!("{}HOT", plan.prefix);
    create_template(
        pool,
        &template(
            hot.clone(),
            plan.hot_stock,
            plan.hot_shards,
            &merchant_code,
            plan,
        )?,
        org_id,
    )
    .await?;
    // Eight at a time: each is its own transaction with an audit row; the audit chain's lock
    // serializes only the end of each, so the round trips before it overlap.
    let spread: Vec<String> = (0..plan.spread_templates)
        .map(|i| format!("{}T{i:04}", plan.prefix))
        .collect();
    futures::stream::iter(spread.iter().map(|code| {
        let new = template(code.clone(), plan.spread_stock, 1, &merchant_code, plan);
        async move { create_template(pool, &new?, org_id).await }
    }))
    .buffer_unordered(8)
    .try_collect::<Vec<()>>()
    .await?;
    Ok(Seeded {
        channel,
        channel_id,
        merchant,
        merchant_client_id,
        merchant_code,
        store_code,
        spread,
        hot,
        org_id,
    })
}

/// What the database holds for this run's clients: coupons claimed by the channel client and
/// live redemptions by the merchant client — to compare with what the API answered.
pub async fn recorded(pool: &PgPool, seeded: &Seeded) -> anyhow::Result<(i64, i64)> {
    let row: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM coupons WHERE client_id = $1),
                (SELECT count(*) FROM redemptions WHERE client_id = $2 AND reversed_at IS NULL)",
    )
    .bind(seeded.channel_id)
    .bind(seeded.merchant_client_id)
    .fetch_one(pool)
    .await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fit_the_schema_patterns() {
        let prefix = "L1764144000-";
        let c = client_code(prefix, "ch");
        assert_eq!(c, "l1764144000-ch");
        assert!(c.len() <= 32 && c.starts_with(|ch: char| ch.is_ascii_lowercase()));
        let plan = SeedPlan {
            prefix: prefix.into(),
            spread_templates: 1,
            spread_stock: 10,
            hot_stock: 10,
            hot_shards: 16,
            discount: 2000,
            threshold: 10000,
        };
        // the prefix keeps a template's code within its rule (TemplateCode: 1–40 code characters)
        let t = template(format!("{prefix}T0999"), 10, 1, "M", &plan).unwrap();
        assert_eq!(t.code.as_ref(), "L1764144000-T0999");
        assert!(t.claim_from < Utc::now() && t.claim_to > Utc::now());
        assert!(t.active && t.valid_days.is_some() && t.valid_from.is_none());
    }
}
