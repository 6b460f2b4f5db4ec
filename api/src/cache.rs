//! Read-mostly data kept in memory: the security policy (parameters), the code lists and the
//! signed-API clients. A change
//! announces itself with `NOTIFY` in its own transaction (`store::announce_change`); every API
//! replica listens and drops its copy when the change commits. A lifetime backs that up should a
//! notification be lost while the listening connection reconnects — then everything is dropped.

use axum::body::Bytes;
use quanyi_activities::benefits::clients::{self, Client};
use quanyi_activities::campaign::delivery::{self, LiveCampaign};
use quanyi_activities::crypto::DataKey;
use quanyi_activities::esb;
use quanyi_activities::identity::SecurityPolicy;
use quanyi_activities::mall::catalogue;
use quanyi_activities::store::{CACHE_CHANNEL, Cached};
use quanyi_activities::system::dictionaries::{self, Dictionary};
use quanyi_activities::system::parameters;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Longest a copy is used without a notification.
const LIFETIME: Duration = Duration::from_secs(60);

/// The running campaigns change more often and matter more: a short lifetime.
const LIVE_CAMPAIGNS_LIFETIME: Duration = Duration::from_secs(10);

/// ESB consumers' policies by client and source address, with the time each was read.
type EsbPolicies = HashMap<(Uuid, String), (Instant, Option<esb::Policy>)>;
/// The mall's home shows banners on their own schedule: a short lifetime bounds how late one
/// appears or goes.
const HOME_LIFETIME: Duration = Duration::from_secs(10);

/// Keyed copies (a category's products, a product page) kept at most: a flood of unknown codes
/// must not grow a map without end.
const MAX_KEYS: usize = 10_000;

/// A cached value and when it was read; `None` remembered too (no such category or product).
type Kept<T> = (Instant, Option<Arc<T>>);

/// A map of cached values by key.
struct Keyed<T>(Mutex<HashMap<String, Kept<T>>>);

impl<T> Keyed<T> {
    fn new() -> Self {
        Self(Mutex::new(HashMap::new()))
    }

    fn fresh(&self, key: &str) -> Option<Option<Arc<T>>> {
        let map = self.0.lock().expect("cache lock");
        map.get(key)
            .filter(|(at, _)| at.elapsed() < LIFETIME)
            .map(|(_, value)| value.clone())
    }

    fn put(&self, key: &str, value: Option<T>) -> Option<Arc<T>> {
        let value = value.map(Arc::new);
        let mut map = self.0.lock().expect("cache lock");
        if map.len() >= MAX_KEYS {
            map.clear();
        }
        map.insert(key.to_owned(), (Instant::now(), value.clone()));
        value
    }

    fn clear(&self) {
        self.0.lock().expect("cache lock").clear();
    }
}

/// One cached value with the time it was read.
struct Slot<T>(Mutex<Option<(Instant, Arc<T>)>>);

impl<T> Slot<T> {
    fn new() -> Self {
        Self(Mutex::new(None))
    }

    fn fresh(&self, lifetime: Duration) -> Option<Arc<T>> {
        let slot = self.0.lock().expect("cache lock");
        slot.as_ref()
            .filter(|(at, _)| at.elapsed() < lifetime)
            .map(|(_, value)| value.clone())
    }

    fn put(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        *self.0.lock().expect("cache lock") = Some((Instant::now(), value.clone()));
        value
    }

    fn clear(&self) {
        *self.0.lock().expect("cache lock") = None;
    }
}

/// `value` as a JSON answer's body.
fn json(value: &impl serde::Serialize) -> Bytes {
    Bytes::from(serde_json::to_vec(value).expect("a catalogue page serializes"))
}

pub struct Caches {
    defaults: SecurityPolicy,
    policy: Slot<SecurityPolicy>,
    dictionaries: Slot<Vec<Dictionary>>,
    /// The running campaigns channel delivery shows.
    live_campaigns: Slot<Vec<LiveCampaign>>,
    /// Signed-API clients by code, secrets decrypted (`None`: unknown or disabled).
    clients: Mutex<HashMap<String, (Instant, Option<Client>)>>,
    /// ESB consumers' policies by client and source address (`None`: not an ESB consumer);
    /// dropped with the clients, whose every change announces itself as theirs.
    esb_policies: Mutex<EsbPolicies>,
    /// The mall's home page, as its JSON answer: the customers' H5 reads the catalogue far more
    /// than it changes, so each copy is serialized once, not once a request.
    mall_home: Slot<Bytes>,
    /// A category's listed products (JSON), by category code.
    mall_categories: Keyed<Bytes>,
    /// Listed products' pages (JSON), by product code.
    mall_products: Keyed<Bytes>,
    /// Search results (JSON), by search term.
    mall_searches: Keyed<Bytes>,
}

impl Caches {
    pub fn new(defaults: SecurityPolicy) -> Self {
        Self {
            defaults,
            policy: Slot::new(),
            dictionaries: Slot::new(),
            live_campaigns: Slot::new(),
            clients: Mutex::new(HashMap::new()),
            esb_policies: Mutex::new(HashMap::new()),
            mall_home: Slot::new(),
            mall_categories: Keyed::new(),
            mall_products: Keyed::new(),
            mall_searches: Keyed::new(),
        }
    }

    /// The mall's home page (JSON): the banners and navigation on show, the categories, the
    /// zones.
    pub async fn mall_home(
        &self,
        pool: &PgPool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Arc<Bytes>, sqlx::Error> {
        match self.mall_home.fresh(HOME_LIFETIME) {
            Some(home) => Ok(home),
            None => Ok(self.mall_home.put(json(&catalogue::home(pool, now).await?))),
        }
    }

    /// A visible category's listed products (JSON); `None` for no such category.
    pub async fn mall_category(
        &self,
        pool: &PgPool,
        code: &str,
    ) -> Result<Option<Arc<Bytes>>, sqlx::Error> {
        if let Some(cards) = self.mall_categories.fresh(code) {
            return Ok(cards);
        }
        let cards = catalogue::category_products(pool, code).await?;
        Ok(self.mall_categories.put(code, cards.as_ref().map(json)))
    }

    /// A listed product's page (JSON, its live version); `None` when it is not listed.
    pub async fn mall_product(
        &self,
        pool: &PgPool,
        code: &str,
    ) -> Result<Option<Arc<Bytes>>, sqlx::Error> {
        if let Some(page) = self.mall_products.fresh(code) {
            return Ok(page);
        }
        let page = catalogue::product_page(pool, code).await?;
        Ok(self.mall_products.put(code, page.as_ref().map(json)))
    }

    /// The listed products whose name holds `term` (JSON).
    pub async fn mall_search(&self, pool: &PgPool, term: &str) -> Result<Arc<Bytes>, sqlx::Error> {
        if let Some(Some(cards)) = self.mall_searches.fresh(term) {
            return Ok(cards);
        }
        let cards = catalogue::search(pool, term).await?;
        Ok(self
            .mall_searches
            .put(term, Some(json(&cards)))
            .expect("a value put is there"))
    }

    fn invalidate_catalogue(&self) {
        self.mall_searches.clear();
        self.mall_home.clear();
        self.mall_categories.clear();
        self.mall_products.clear();
    }

    /// The active signed-API client with `code`.
    pub async fn client(
        &self,
        pool: &PgPool,
        key: &DataKey,
        code: &str,
    ) -> Result<Option<Client>, sqlx::Error> {
        if let Some((at, client)) = self.clients.lock().expect("cache lock").get(code)
            && at.elapsed() < LIFETIME
        {
            return Ok(client.clone());
        }
        let client = clients::active(pool, key, code).await?;
        let mut cached = self.clients.lock().expect("cache lock");
        // unknown names are cached too, but a flood of them must not grow the map without end
        if cached.len() > 10_000 {
            cached.clear();
        }
        cached.insert(code.to_owned(), (Instant::now(), client.clone()));
        Ok(client)
    }

    /// The policy of ESB consumer `client_id` for a request from `source_ip`: one read per
    /// consumer and address until a client changes, not one per message.
    pub async fn esb_policy(
        &self,
        pool: &PgPool,
        client_id: Uuid,
        source_ip: &str,
    ) -> Result<Option<esb::Policy>, sqlx::Error> {
        let key = (client_id, source_ip.to_owned());
        if let Some((at, policy)) = self.esb_policies.lock().expect("cache lock").get(&key)
            && at.elapsed() < LIFETIME
        {
            return Ok(policy.clone());
        }
        let policy = esb::policy(pool, client_id, source_ip).await?;
        let mut cached = self.esb_policies.lock().expect("cache lock");
        // a consumer calling from ever new addresses must not grow the map without end
        if cached.len() > 10_000 {
            cached.clear();
        }
        cached.insert(key, (Instant::now(), policy.clone()));
        Ok(policy)
    }

    /// The configured defaults, before any parameter change.
    pub fn defaults(&self) -> &SecurityPolicy {
        &self.defaults
    }

    /// The security policy in force: the defaults with the parameters applied.
    pub async fn policy(&self, pool: &PgPool) -> Result<Arc<SecurityPolicy>, sqlx::Error> {
        match self.policy.fresh(LIFETIME) {
            Some(policy) => Ok(policy),
            None => Ok(self
                .policy
                .put(parameters::policy(pool, &self.defaults).await?)),
        }
    }

    pub async fn dictionaries(&self, pool: &PgPool) -> Result<Arc<Vec<Dictionary>>, sqlx::Error> {
        match self.dictionaries.fresh(LIFETIME) {
            Some(all) => Ok(all),
            None => Ok(self.dictionaries.put(dictionaries::all(pool).await?)),
        }
    }

    /// The running campaigns, read again at least every [`LIVE_CAMPAIGNS_LIFETIME`]: a state
    /// change drops the copy at once, the lifetime bounds what a lost notification costs.
    pub async fn live_campaigns(
        &self,
        pool: &PgPool,
    ) -> Result<Arc<Vec<LiveCampaign>>, sqlx::Error> {
        match self.live_campaigns.fresh(LIVE_CAMPAIGNS_LIFETIME) {
            Some(live) => Ok(live),
            None => Ok(self
                .live_campaigns
                .put(delivery::live_campaigns(pool).await?)),
        }
    }

    /// Drops the copy of `what` (this replica changed it; the others hear of it by `NOTIFY`).
    pub fn invalidate(&self, what: Cached) {
        match what {
            Cached::Parameters => self.policy.clear(),
            Cached::Dictionaries => self.dictionaries.clear(),
            Cached::ApiClients => {
                self.clients.lock().expect("cache lock").clear();
                self.esb_policies.lock().expect("cache lock").clear();
            }
            Cached::Campaigns => self.live_campaigns.clear(),
            Cached::Catalogue => self.invalidate_catalogue(),
        }
    }

    fn invalidate_all(&self) {
        self.policy.clear();
        self.dictionaries.clear();
        self.live_campaigns.clear();
        self.clients.lock().expect("cache lock").clear();
        self.esb_policies.lock().expect("cache lock").clear();
        self.invalidate_catalogue();
    }

    /// Listens for change announcements until the task is dropped, reconnecting after a failure.
    pub async fn listen(self: Arc<Self>, pool: PgPool) {
        loop {
            match PgListener::connect_with(&pool).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(CACHE_CHANNEL).await {
                        tracing::warn!(error = %e, "cannot listen for cache changes");
                    } else {
                        // whatever changed before we listened is unknown: start afresh
                        self.invalidate_all();
                        self.receive(&mut listener).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot connect to listen for cache changes"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn receive(&self, listener: &mut PgListener) {
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => match Cached::from_name(notification.payload()) {
                    Some(what) => self.invalidate(what),
                    None => tracing::warn!(payload = notification.payload(), "unknown cache"),
                },
                // the connection dropped and came back: notifications may have been missed
                Ok(None) => self.invalidate_all(),
                Err(e) => {
                    tracing::warn!(error = %e, "lost the cache-change listener");
                    self.invalidate_all();
                    return;
                }
            }
        }
    }
}
