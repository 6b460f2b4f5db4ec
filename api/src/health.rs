//! Liveness (`/healthz`) and readiness (`/readyz`: PostgreSQL and Temporal reachable).

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use std::time::Instant;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` while the process serves requests.
    pub status: &'static str,
}

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` when every check passed, else `unavailable`.
    pub status: &'static str,
    pub checks: Vec<Check>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Check {
    /// `postgres` or `temporal`.
    pub name: &'static str,
    pub ok: bool,
    pub latency_ms: u64,
    /// What failed, when it failed.
    pub detail: Option<String>,
}

async fn timed<F: Future<Output = Result<(), String>>>(name: &'static str, check: F) -> Check {
    let started = Instant::now();
    let result = check.await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if let Err(reason) = &result {
        tracing::warn!(check = name, reason, "readiness check failed");
    }
    Check {
        name,
        ok: result.is_ok(),
        latency_ms,
        detail: result.err(),
    }
}

/// Ready: PostgreSQL and Temporal both answer; 503 names the one that does not.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, body = Readiness, description = "Every dependency answers"),
    (status = 503, body = Readiness, description = "At least one dependency does not answer"),
))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let postgres = timed("postgres", async {
        sqlx::query_scalar!("SELECT 1 AS \"one!\"")
            .fetch_one(&state.pool)
            .await
            .map(|_| ())
            .map_err(|e| match e {
                sqlx::Error::PoolTimedOut => "no connection within 3 s".to_owned(),
                other => other.to_string(),
            })
    });
    let temporal = timed("temporal", state.temporal.health());
    let (postgres, temporal) = tokio::join!(postgres, temporal);
    let checks = vec![postgres, temporal];
    let ready = checks.iter().all(|c| c.ok);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            status: if ready { "ready" } else { "unavailable" },
            checks,
        }),
    )
}
