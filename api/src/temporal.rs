//! The API's Temporal client, connected on first use and reconnected after a failure, so the API
//! starts (and says it is not ready) while Temporal is away.

use quanyi_activities::temporal::{self as t, TemporalError};
use temporalio_client::Client;
use tokio::sync::Mutex;

pub struct TemporalClient {
    url: String,
    namespace: String,
    client: Mutex<Option<Client>>,
}

impl TemporalClient {
    pub fn new(url: impl Into<String>, namespace: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            namespace: namespace.into(),
            client: Mutex::new(None),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The connected client, connecting now if needed.
    pub async fn get(&self) -> Result<Client, TemporalError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let client = t::connect(&self.url, &self.namespace).await?;
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Whether Temporal answers its health check; drops the connection when it does not.
    pub async fn health(&self) -> Result<(), String> {
        let client = self.get().await.map_err(|e| e.to_string())?;
        let result = t::health(&client).await;
        if result.is_err() {
            *self.client.lock().await = None;
        }
        result
    }
}
