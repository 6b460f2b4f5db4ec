//! The admin UI's files: SPA fallback, caching by kind of file, JSON 404s under /api.

use quanyi_tests::harness::{AppOptions, spawn_app_with};
use reqwest::StatusCode;

#[tokio::test]
async fn the_ui_is_served_with_spa_fallback_and_the_right_caching() {
    let dir = std::env::temp_dir().join(format!("quanyi-ui-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Quanyi</title>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/app-1a2b3c.js"), "console.log('app')").unwrap();
    let app = spawn_app_with(AppOptions {
        ui_dir: Some(dir.clone()),
        ..Default::default()
    })
    .await;

    let index = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    assert_eq!(index.headers()["cache-control"], "no-cache");
    assert!(
        index
            .text()
            .await
            .unwrap()
            .contains("<title>Quanyi</title>")
    );

    let deep = app
        .http
        .get(app.url("/system/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        deep.status(),
        StatusCode::OK,
        "a client-side route gets index.html"
    );
    assert_eq!(deep.headers()["cache-control"], "no-cache");
    assert!(deep.text().await.unwrap().contains("<title>Quanyi</title>"));

    let asset = app
        .http
        .get(app.url("/assets/app-1a2b3c.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );

    let api = app
        .http
        .get(app.url("/api/v1/unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.status(),
        StatusCode::NOT_FOUND,
        "never index.html under /api"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn without_a_built_ui_the_root_says_how_to_build_it() {
    let app = spawn_app_with(AppOptions {
        ui_dir: Some("/nonexistent".into()),
        ..Default::default()
    })
    .await;
    let response = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: quanyi_tests::harness::ApiErrorBody = response.json().await.unwrap();
    assert_eq!(body.code, "QY-SYS-0004");
    assert!(body.message.contains("npm run build"), "{}", body.message);
}
