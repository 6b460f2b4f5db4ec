//! Liveness and readiness.

use quanyi_tests::harness::{AppOptions, spawn_app, spawn_app_with};
use reqwest::StatusCode;

#[tokio::test]
async fn ready_when_postgres_and_temporal_answer() {
    let app = spawn_app().await;
    let (status, readiness) = app.readyz().await;
    assert_eq!(status, StatusCode::OK, "{readiness:?}");
    assert_eq!(readiness.status, "ready");
    let names: Vec<&str> = readiness.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["postgres", "temporal"]);
    assert!(readiness.checks.iter().all(|c| c.ok && c.detail.is_none()));
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn not_ready_names_temporal_when_it_is_away() {
    let closed = quanyi::stack::free_port();
    let app = spawn_app_with(AppOptions {
        temporal_url: Some(format!("http://127.0.0.1:{closed}")),
        ..Default::default()
    })
    .await;
    let (status, readiness) = app.readyz().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(readiness.status, "unavailable");
    let postgres = readiness
        .checks
        .iter()
        .find(|c| c.name == "postgres")
        .unwrap();
    let temporal = readiness
        .checks
        .iter()
        .find(|c| c.name == "temporal")
        .unwrap();
    assert!(postgres.ok);
    assert!(!temporal.ok && temporal.detail.is_some(), "{temporal:?}");
}

#[tokio::test]
async fn not_ready_names_postgres_when_it_is_away() {
    let app = spawn_app().await;
    app.pool.close().await;
    let (status, readiness) = app.readyz().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let postgres = readiness
        .checks
        .iter()
        .find(|c| c.name == "postgres")
        .unwrap();
    let temporal = readiness
        .checks
        .iter()
        .find(|c| c.name == "temporal")
        .unwrap();
    assert!(!postgres.ok && temporal.ok, "{readiness:?}");
}

#[tokio::test]
async fn metrics_show_requests_by_route_latency_and_the_pool() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.http.get(app.url("/healthz")).send().await.unwrap();
    }
    let text = app.metrics().await;
    assert_eq!(
        app.metric("http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}")
            .await,
        3.0,
        "{text}"
    );
    assert!(
        text.contains(
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.005\"}"
        ),
        "{text}"
    );
    assert_eq!(app.metric("db_pool_connections{state=\"max\"}").await, 5.0);
}
