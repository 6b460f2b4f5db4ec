//! The Temporal client: one connection per process, shared by the API (start, signal, update,
//! query) and the worker.

use std::time::Duration;
use temporalio_client::tonic::Request;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, Url};
use temporalio_common::protos::grpc::health::v1::HealthCheckRequest;

#[derive(Debug, thiserror::Error)]
pub enum TemporalError {
    #[error("Temporal address {0:?} is not a URL")]
    BadUrl(String),
    #[error("cannot reach Temporal at {url}: {reason}")]
    Unreachable { url: String, reason: String },
}

/// Connects to the frontend at `url` (e.g. `http://127.0.0.1:7233`) for `namespace`.
pub async fn connect(url: &str, namespace: &str) -> Result<Client, TemporalError> {
    let target = Url::parse(url).map_err(|_| TemporalError::BadUrl(url.to_owned()))?;
    let options = ConnectionOptions::new(target)
        .identity(format!("quanyi@{}", std::process::id()))
        .connect_timeout(Duration::from_secs(5))
        .build();
    let connection =
        Connection::connect(options)
            .await
            .map_err(|e| TemporalError::Unreachable {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
    Client::new(connection, ClientOptions::new(namespace).build()).map_err(|e| {
        TemporalError::Unreachable {
            url: url.to_owned(),
            reason: e.to_string(),
        }
    })
}

/// Asks the frontend's gRPC health service; `Err` carries what went wrong, for `/readyz`.
pub async fn health(client: &Client) -> Result<(), String> {
    let mut health = client.connection().health_service();
    let response = tokio::time::timeout(
        Duration::from_secs(2),
        health.check(Request::new(HealthCheckRequest::default())),
    )
    .await
    .map_err(|_| "no answer within 2 s".to_owned())?
    .map_err(|status| status.message().to_owned())?;
    // SERVING = 1 in grpc.health.v1
    match response.into_inner().status {
        1 => Ok(()),
        other => Err(format!("health status {other}")),
    }
}
