//! The security policy in force, read from the parameters and cached briefly: a change made here
//! is seen at once, one made through another replica within the cache's lifetime.

use quanyi_activities::identity::SecurityPolicy;
use quanyi_activities::parameters;
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct PolicyCache {
    defaults: SecurityPolicy,
    ttl: Duration,
    slot: Mutex<Option<(Instant, Arc<SecurityPolicy>)>>,
}

impl PolicyCache {
    pub fn new(defaults: SecurityPolicy) -> Self {
        Self {
            defaults,
            ttl: Duration::from_secs(5),
            slot: Mutex::new(None),
        }
    }

    /// The configured defaults, before any parameter change.
    pub fn defaults(&self) -> &SecurityPolicy {
        &self.defaults
    }

    pub async fn get(&self, pool: &PgPool) -> Result<Arc<SecurityPolicy>, sqlx::Error> {
        if let Some((at, policy)) = self.slot.lock().expect("policy cache lock").as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(policy.clone());
        }
        let policy = Arc::new(parameters::policy(pool, &self.defaults).await?);
        *self.slot.lock().expect("policy cache lock") = Some((Instant::now(), policy.clone()));
        Ok(policy)
    }

    pub fn invalidate(&self) {
        *self.slot.lock().expect("policy cache lock") = None;
    }
}
