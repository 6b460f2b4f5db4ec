//! The run's own data, written straight into PostgreSQL through `quanyi-activities`: templates
//! with stock, a channel client and a merchant client with secrets we know, a merchant and a
//! store. Every code starts with the run's prefix, so runs never collide.

use crate::sign::Signer;
use quanyi_activities::crypto::DataKey;
use sqlx::PgPool;

/// What to create.
pub struct SeedPlan {
    pub prefix: String,
    pub spread_templates: usize,
    pub spread_stock: i64,
    pub hot_stock: i64,
    pub discount: i64,
    pub threshold: i64,
}

/// What was created.
pub struct Seeded {
    pub channel: Signer,
    pub merchant: Signer,
    pub store_code: String,
    pub spread: Vec<String>,
    pub hot: String,
}

pub async fn seed(_pool: &PgPool, _key: &DataKey, _plan: &SeedPlan) -> anyhow::Result<Seeded> {
    anyhow::bail!("seeding waits for quanyi_activities::benefits (templates, clients, merchants)")
}
