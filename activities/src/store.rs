//! The connection pool and the schema migrations (`migrations/` at the workspace root).

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

/// Every migration, embedded at build time: a deployed binary carries its own schema.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// A pool that fails fast when PostgreSQL is away, so `/readyz` can say so instead of hanging.
pub fn pool(options: PgConnectOptions, max_connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy_with(options)
}

/// Brings the schema up to date; safe to run on every start.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}
