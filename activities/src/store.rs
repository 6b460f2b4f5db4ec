//! The connection pool and the schema migrations (`migrations/` at the workspace root).

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};
use std::time::Duration;

/// Every migration, embedded at build time: a deployed binary carries its own schema.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// The role every application query runs as (see the `app_role` migration): it may not change
/// or remove audit rows.
pub const APP_ROLE: &str = "quanyi_app";

/// A pool that fails fast when PostgreSQL is away, so `/readyz` can say so instead of hanging.
/// Every connection switches to [`APP_ROLE`], so the application holds only that role's rights.
///
/// JIT compilation is off on the application's connections: its statements are short and
/// prepared, and a generic plan's cost estimate (a list filtered by optional parameters estimates
/// a whole-table walk even when it stops at the page) made PostgreSQL spend 400 ms compiling a
/// query that ran in 0.4 ms (issue 22, the monitor on 100,000 processes).
pub fn pool(options: PgConnectOptions, max_connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                sqlx::Executor::execute(conn, "SET ROLE quanyi_app").await?;
                Ok(())
            })
        })
        .connect_lazy_with(options.options([("jit", "off")]))
}

/// A pool with the connecting user's own rights, for migrations and seeding only.
pub fn owner_pool(options: PgConnectOptions) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy_with(options)
}

/// Brings the schema up to date; safe to run on every start.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// The channel on which a change to cached data is announced (`NOTIFY`), so every API replica
/// drops its copy when the changing transaction commits.
pub const CACHE_CHANNEL: &str = "quanyi_cache";

/// What a cache-change announcement names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cached {
    Parameters,
    Dictionaries,
    ApiClients,
    /// The running campaigns channel delivery shows: a campaign process changed state.
    Campaigns,
    /// The mall's catalogue (home, categories, product pages): a product listed, revised,
    /// restocked or delisted, a category or banner changed.
    Catalogue,
}

impl Cached {
    pub fn name(self) -> &'static str {
        match self {
            Cached::Parameters => "parameters",
            Cached::Dictionaries => "dictionaries",
            Cached::ApiClients => "api_clients",
            Cached::Campaigns => "campaigns",
            Cached::Catalogue => "catalogue",
        }
    }

    pub fn from_name(name: &str) -> Option<Cached> {
        [
            Cached::Parameters,
            Cached::Dictionaries,
            Cached::ApiClients,
            Cached::Campaigns,
            Cached::Catalogue,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }
}

/// Announces, in the caller's transaction, that `what` changed (delivered at commit only).
pub async fn announce_change(conn: &mut PgConnection, what: Cached) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_notify($1, $2)", CACHE_CHANNEL, what.name())
        .execute(conn)
        .await?;
    Ok(())
}
