//! The OpenAPI document is generated from the code; the committed snapshot and the UI's copy (from
//! which its typed client is generated) must both match it, and the server's real answers must fit
//! it (a schema-conformance check here; the fuzzing gate `tests/fuzz-api.sh` tries every route).

use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_api::openapi::ApiDoc;
use quanyi_tests::harness::{Browser, repo_root, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use utoipa::OpenApi;

#[test]
fn openapi_document() {
    insta::assert_json_snapshot!(ApiDoc::openapi());
}

/// Generated clients name their functions by operation id: two operations with one id (utoipa's
/// default is the handler's name, and `reverse` or `set_status` exist in more than one module)
/// would make one of them unreachable or renamed at random.
#[test]
fn every_operation_has_its_own_id() {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(id) = operation["operationId"].as_str() else {
                continue;
            };
            let here = format!("{method} {path}");
            if let Some(first) = seen.insert(id.to_owned(), here.clone()) {
                panic!("operation id {id} names both {first} and {here}");
            }
        }
    }
    assert!(seen.len() > 100, "{} operations", seen.len());
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

/// The schema of `pointer` in the document, made a standalone JSON Schema: its `$ref`s
/// (`#/components/schemas/…`) resolve within it because the document's components come along.
fn schema_at(doc: &Value, pointer: &str) -> Value {
    let mut schema = doc
        .pointer(pointer)
        .unwrap_or_else(|| panic!("the document has {pointer}"))
        .clone();
    let object = schema.as_object_mut().expect("a schema object");
    object.insert("components".into(), doc["components"].clone());
    schema
}

fn escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

/// `instance` against the schema at `pointer`, with formats (uuid, date-time, email) checked.
fn assert_conforms(doc: &Value, pointer: &str, instance: &Value, what: &str) {
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema_at(doc, pointer))
        .unwrap_or_else(|e| panic!("{what}: the schema at {pointer} compiles: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: the answer disagrees with {pointer}:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

/// Sends `body` (checked first against the documented request body) to `method path`, then checks
/// that the status is documented for the operation `template` and the answer fits its schema.
async fn call(
    browser: &Browser,
    doc: &Value,
    method: Method,
    template: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let verb = method.as_str().to_ascii_lowercase();
    let operation = format!("/paths/{}/{verb}", escape(template));
    assert!(
        doc.pointer(&operation).is_some(),
        "{verb} {template} is documented"
    );
    let mut request = browser
        .http
        .request(method, browser.url(path))
        .header("x-requested-with", "quanyi");
    if let Some(body) = &body {
        assert_conforms(
            doc,
            &format!("{operation}/requestBody/content/application~1json/schema"),
            body,
            &format!("the request body of {verb} {template}"),
        );
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    let answer = format!("{operation}/responses/{}", status.as_u16());
    assert!(
        doc.pointer(&answer).is_some(),
        "{verb} {path} answered {status}, which the document does not list: {}",
        String::from_utf8_lossy(&bytes)
    );
    let value: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    let schema = format!("{answer}/content/application~1json/schema");
    if doc.pointer(&schema).is_some() {
        assert_conforms(doc, &schema, &value, &format!("{verb} {path} {status}"));
    } else {
        assert!(
            bytes.is_empty(),
            "{verb} {path} {status} has no documented body"
        );
    }
    (status, value)
}

/// Real answers of representative routes — a list, a detail, a creation, errors of the shared
/// layers and of a handler — each fit the schema the document gives for its status, and the
/// request bodies sent fit theirs (`PUT /system/users/{id}/status` once documented another's).
#[tokio::test]
async fn real_answers_conform_to_the_documented_schemas() {
    let app = spawn_app().await;
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
    let get = Method::GET;

    // errors of the shared layers: no session, bad paging, a malformed path
    let anonymous = app.browser();
    let (status, _) = call(
        &anonymous,
        &doc,
        get.clone(),
        "/api/v1/system/users",
        "/api/v1/system/users",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let admin = app.browser();
    admin.login("admin", DEMO_PASSWORD).await.unwrap();
    let (status, error) = call(
        &admin,
        &doc,
        get.clone(),
        "/api/v1/system/users",
        "/api/v1/system/users?page=0",
        None,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("QY-REQ-0011"))
    );
    let template = "/api/v1/system/users/{id}/personal-data";
    let (status, _) = call(
        &admin,
        &doc,
        get.clone(),
        template,
        "/api/v1/system/users/not-a-uuid/personal-data",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // a list and a detail
    let (status, users) = call(
        &admin,
        &doc,
        get.clone(),
        "/api/v1/system/users",
        "/api/v1/system/users?page_size=50",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let monitor = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "monitor")
        .expect("the demo monitor is listed")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = call(
        &admin,
        &doc,
        get.clone(),
        template,
        &format!("/api/v1/system/users/{monitor}/personal-data"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &admin,
        &doc,
        get.clone(),
        "/api/v1/system/orgs",
        "/api/v1/system/orgs",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // the account status takes `{active}`; a body of another operation's schema is refused
    let template = "/api/v1/system/users/{id}/status";
    let path = format!("/api/v1/system/users/{monitor}/status");
    let (status, _) = call(
        &admin,
        &doc,
        Method::PUT,
        template,
        &path,
        Some(json!({"active": true})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let refused = admin
        .http
        .put(admin.url(&path))
        .header("x-requested-with", "quanyi")
        .json(&json!({"status": "active"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // a handler's refusal with its fields: the rate limit the schema bounds too
    let consumer = json!({
        "code": "conformance", "name": "一致性", "services": ["process.query"],
        "rate_per_second": 10, "burst": 10, "acting_username": "planner",
    });
    let mut too_slow = consumer.clone();
    too_slow["rate_per_second"] = json!(0);
    let rate = "/paths/~1api~1v1~1esb~1consumers/post/requestBody/content/application~1json/schema";
    let validator = jsonschema::draft202012::options()
        .build(&schema_at(&doc, rate))
        .unwrap();
    assert!(
        !validator.is_valid(&too_slow),
        "the schema bounds the rate as the server does"
    );
    let answer = admin
        .http
        .post(admin.url("/api/v1/esb/consumers"))
        .header("x-requested-with", "quanyi")
        .json(&too_slow)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: Value = answer.json().await.unwrap();
    assert_conforms(
        &doc,
        "/paths/~1api~1v1~1esb~1consumers/post/responses/422/content/application~1json/schema",
        &error,
        "a refused consumer",
    );
    assert_eq!(error["fields"][0]["code"], "QY-ESB-0004");

    // a creation, its detail and the list it joins, as the planner
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    let org: uuid::Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'SB0101'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let start = chrono::Utc::now() + chrono::Duration::days(1);
    let draft = json!({
        "name": "一致性检查", "type": "grant", "org_id": org, "channels": ["mobile_banking"],
        "start_at": start, "end_at": start + chrono::Duration::days(7),
        "rules": [{"name": "满减券", "budget_fen": 100_000, "template_code": "DEMO-MJ20"}],
    });
    let (status, created) = call(
        &planner,
        &doc,
        Method::POST,
        "/api/v1/campaigns",
        "/api/v1/campaigns",
        Some(draft),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap();
    let (status, _) = call(
        &planner,
        &doc,
        get.clone(),
        "/api/v1/campaigns/{id}",
        &format!("/api/v1/campaigns/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &planner,
        &doc,
        get.clone(),
        "/api/v1/campaigns/{id}",
        &format!("/api/v1/campaigns/{}", uuid::Uuid::new_v4()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = call(
        &planner,
        &doc,
        get.clone(),
        "/api/v1/campaigns",
        "/api/v1/campaigns",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id)
    );
    let (status, _) = call(
        &planner,
        &doc,
        get,
        "/api/v1/benefits/templates",
        "/api/v1/benefits/templates",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// The answers every route of a kind gets from the shared layers are in the document, with the
/// error schema: sessions and signatures (401, 403), the anti-forgery header (403), parameters
/// (400), JSON bodies (400, 413, 415, 422) and an unavailable dependency (503).
#[test]
fn every_operation_documents_the_answers_of_the_shared_layers() {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
    let public = [
        "/healthz",
        "/readyz",
        "/api/v1/auth/captcha",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/onboarding/codes",
        "/api/v1/onboarding/sessions",
        "/api/v1/onboarding/branches",
        "/api/v1/catalogue/home",
        "/api/v1/catalogue/search",
        "/api/v1/catalogue/categories/{code}/products",
        "/api/v1/catalogue/products/{code}",
        "/api/v1/catalogue/images/{id}",
        "/api/h5/v1/sessions",
        "/api/h5/v1/logout",
    ];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let answers = operation["responses"].as_object().unwrap();
            let has = |status: &str| answers.contains_key(status);
            let what = format!("{method} {path}");
            if !public.contains(&path.as_str()) {
                assert!(has("401"), "{what}: 401");
                assert!(
                    operation["security"]
                        .as_array()
                        .is_some_and(|s| !s.is_empty()),
                    "{what}: security"
                );
            }
            if ["post", "put", "patch", "delete"].contains(&method.as_str())
                && path.starts_with("/api/v1/")
            {
                assert!(has("403"), "{what}: 403 without the anti-forgery header");
            }
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if !parameters.is_empty() {
                assert!(has("400"), "{what}: 400 for a malformed parameter");
            }
            if operation["requestBody"]["content"]["application/json"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(has(status), "{what}: {status} for its JSON body");
                }
            }
            if !["/healthz", "/readyz"].contains(&path.as_str()) {
                assert!(has("503"), "{what}: 503");
            }
            for (status, answer) in answers {
                let error = status.starts_with('4') || status.starts_with('5');
                if error && path != "/readyz" {
                    assert_eq!(
                        answer["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{what} {status}: the error schema"
                    );
                }
            }
        }
    }
}

/// utoipa files a schema under its type's name, so a second type of the same name silently
/// replaces the first in the document (`StatusRequest` once documented one route's body with
/// another's). Every type deriving `ToSchema` has its own name, or an `as = …` alias.
#[test]
fn no_two_schema_types_share_a_name() {
    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for dir in ["api/src", "activities/src", "workflows/src"] {
        sources(&repo_root().join(dir), &mut files);
    }
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut derive = String::new();
        let (mut in_derive, mut schema, mut aliased) = (false, false, false);
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") {
                in_derive = true;
                derive.clear();
            }
            if in_derive {
                derive.push_str(line);
                if line.contains(")]") {
                    in_derive = false;
                    schema |= derive.contains("ToSchema");
                }
                continue;
            }
            if !schema {
                continue;
            }
            if line.starts_with("#[schema(") && line.contains("as =") {
                aliased = true;
            }
            let name = ["pub struct ", "pub enum ", "struct ", "enum "]
                .iter()
                .find_map(|k| line.strip_prefix(k));
            if let Some(name) = name {
                let name: String = name
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !aliased && let Some(other) = seen.insert(name.clone(), file.clone()) {
                    panic!(
                        "two schema types named {name}: {} and {}",
                        other.display(),
                        file.display()
                    );
                }
                (schema, aliased) = (false, false);
            }
        }
    }
}
