//! Prometheus metrics at `/metrics`: requests by route and status with a latency histogram, error
//! codes, DB pool gauges, and workflow starts and failures by type. One registry per app.

use crate::AppState;
use crate::error::ErrorCode;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::time::Instant;

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    errors: IntCounterVec,
    pool: IntGaugeVec,
    workflow_starts: IntCounterVec,
    workflow_start_failures: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        let errors = IntCounterVec::new(
            Opts::new("http_errors_total", "Error answers by QY- code"),
            &["code"],
        )
        .expect("valid metric");
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "PostgreSQL pool connections by state",
            ),
            &["state"],
        )
        .expect("valid metric");
        let workflow_starts = IntCounterVec::new(
            Opts::new("workflow_starts_total", "Workflows started by process type"),
            &["process_type"],
        )
        .expect("valid metric");
        let workflow_start_failures = IntCounterVec::new(
            Opts::new(
                "workflow_start_failures_total",
                "Workflow starts refused or failed by process type",
            ),
            &["process_type"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(errors.clone()),
            Box::new(pool.clone()),
            Box::new(workflow_starts.clone()),
            Box::new(workflow_start_failures.clone()),
        ] {
            registry
                .register(collector)
                .expect("each metric is registered once");
        }
        Self {
            registry,
            requests,
            latency,
            errors,
            pool,
            workflow_starts,
            workflow_start_failures,
        }
    }

    pub fn workflow_started(&self, process_type: &str) {
        self.workflow_starts
            .with_label_values(&[process_type])
            .inc();
    }

    pub fn workflow_start_failed(&self, process_type: &str) {
        self.workflow_start_failures
            .with_label_values(&[process_type])
            .inc();
    }
}

/// The route template a request matched, carried from the inner router to the outer middleware.
#[derive(Clone)]
struct Route(String);

/// Inner layer (on matched routes only): remembers the route template.
pub async fn mark_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Outer layer: counts every request, matched or not, by its route template.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    // Unmatched paths share one label, so scanners cannot blow up the series count.
    let route = response
        .extensions()
        .get::<Route>()
        .map_or("unmatched", |r| r.0.as_str());
    let metrics = &state.metrics;
    metrics
        .requests
        .with_label_values(&[method.as_str(), route, response.status().as_str()])
        .inc();
    metrics
        .latency
        .with_label_values(&[method.as_str(), route])
        .observe(started.elapsed().as_secs_f64());
    if let Some(code) = response.extensions().get::<ErrorCode>() {
        metrics.errors.with_label_values(&[code.code()]).inc();
    }
    response
}

/// `GET /metrics` in the Prometheus text format.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let pool = &state.pool;
    let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
    let size = i64::from(pool.size());
    state.metrics.pool.with_label_values(&["idle"]).set(idle);
    state
        .metrics
        .pool
        .with_label_values(&["in_use"])
        .set(size - idle);
    state
        .metrics
        .pool
        .with_label_values(&["max"])
        .set(i64::from(pool.options().get_max_connections()));
    let mut buffer = Vec::new();
    TextEncoder::new()
        .encode(&state.metrics.registry.gather(), &mut buffer)
        .expect("encoding to a Vec cannot fail");
    (
        [(
            header::CONTENT_TYPE,
            TextEncoder::new().format_type().to_owned(),
        )],
        buffer,
    )
}
