//! The OpenAPI document is generated from the code; the committed snapshot and the UI's copy (from
//! which its typed client is generated) must both match it.

use quanyi_api::openapi::ApiDoc;
use quanyi_tests::harness::{repo_root, spawn_app};
use utoipa::OpenApi;

#[test]
fn openapi_document() {
    insta::assert_json_snapshot!(ApiDoc::openapi());
}

#[test]
fn the_ui_generates_its_client_from_the_current_document() {
    let current = serde_json::to_string_pretty(&ApiDoc::openapi()).unwrap() + "\n";
    let path = repo_root().join("ui/src/api/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "ui/src/api/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p quanyi-tests --test e2e openapi` \
         then `npm run gen:api` in ui/"
    );
}

#[tokio::test]
async fn the_document_is_served_as_openapi_3_1_and_the_reference_page_loads_it() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/auth/login"]["post"].is_object());
    let page = app
        .http
        .get(app.url("/api/docs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/api-docs/swagger-ui-bundle.js") && page.contains("/api-docs/init.js"));
    assert!(
        !page.contains("<script>"),
        "no inline script: the CSP forbids it"
    );
}
