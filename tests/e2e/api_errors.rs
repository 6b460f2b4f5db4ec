//! Every error — ours and axum's own rejections — is `{code, message, request_id}` with a stable
//! code, the right status, a localized message, and a count in `/metrics`.

use quanyi_tests::harness::{ApiErrorBody, TestApp, spawn_app};
use reqwest::{Method, StatusCode};

struct Case {
    name: &'static str,
    method: Method,
    path: &'static str,
    content_type: Option<&'static str>,
    csrf: bool,
    body: Vec<u8>,
    status: StatusCode,
    code: &'static str,
}

fn cases() -> Vec<Case> {
    let login = "/api/v1/auth/login";
    let json = Some("application/json");
    vec![
        Case {
            name: "malformed JSON",
            method: Method::POST,
            path: login,
            content_type: json,
            csrf: true,
            body: br#"{"username": "admin","#.to_vec(),
            status: StatusCode::BAD_REQUEST,
            code: "QY-REQ-0001",
        },
        Case {
            name: "missing field",
            method: Method::POST,
            path: login,
            content_type: json,
            csrf: true,
            body: br#"{"username": "admin"}"#.to_vec(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "QY-REQ-0002",
        },
        Case {
            name: "wrong type",
            method: Method::POST,
            path: login,
            content_type: json,
            csrf: true,
            body: br#"{"username": 7, "password": "x"}"#.to_vec(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "QY-REQ-0002",
        },
        Case {
            name: "wrong content type",
            method: Method::POST,
            path: login,
            content_type: Some("text/plain"),
            csrf: true,
            body: br#"{"username":"a","password":"b"}"#.to_vec(),
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "QY-REQ-0003",
        },
        Case {
            name: "2 MiB body",
            method: Method::POST,
            path: login,
            content_type: json,
            csrf: true,
            body: big_json(2 * 1024 * 1024),
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "QY-REQ-0004",
        },
        Case {
            name: "unknown API route",
            method: Method::GET,
            path: "/api/v1/no-such-thing",
            content_type: None,
            csrf: false,
            body: vec![],
            status: StatusCode::NOT_FOUND,
            code: "QY-REQ-0007",
        },
        Case {
            name: "unknown top-level API path",
            method: Method::GET,
            path: "/api/nothing",
            content_type: None,
            csrf: false,
            body: vec![],
            status: StatusCode::NOT_FOUND,
            code: "QY-REQ-0007",
        },
        Case {
            name: "wrong method",
            method: Method::DELETE,
            path: "/api/v1/auth/me",
            content_type: None,
            csrf: true,
            body: vec![],
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "QY-REQ-0008",
        },
        Case {
            name: "wrong method on a top-level route",
            method: Method::POST,
            path: "/healthz",
            content_type: None,
            csrf: false,
            body: vec![],
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "QY-REQ-0008",
        },
        Case {
            name: "TRACE, which no route takes, without the anti-forgery header",
            method: Method::TRACE,
            path: "/api/v1/auth/me",
            content_type: None,
            csrf: false,
            body: vec![],
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "QY-REQ-0008",
        },
        Case {
            name: "TRACE on a write route",
            method: Method::TRACE,
            path: login,
            content_type: None,
            csrf: false,
            body: vec![],
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "QY-REQ-0008",
        },
        Case {
            name: "a write method the route does not take",
            method: Method::PATCH,
            path: "/api/v1/system/users",
            content_type: json,
            csrf: true,
            body: b"{}".to_vec(),
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "QY-REQ-0008",
        },
        Case {
            name: "no anti-forgery header",
            method: Method::POST,
            path: login,
            content_type: json,
            csrf: false,
            body: br#"{"username":"admin","password":"Quanyi@2026"}"#.to_vec(),
            status: StatusCode::FORBIDDEN,
            code: "QY-REQ-0009",
        },
        Case {
            name: "not signed in",
            method: Method::GET,
            path: "/api/v1/system/info",
            content_type: None,
            csrf: false,
            body: vec![],
            status: StatusCode::UNAUTHORIZED,
            code: "QY-AUTH-0001",
        },
    ]
}

fn big_json(size: usize) -> Vec<u8> {
    let mut body = br#"{"username":"admin","password":""#.to_vec();
    body.resize(size, b'a');
    body.extend_from_slice(br#""}"#);
    body
}

async fn send(
    app: &TestApp,
    case: &Case,
    lang: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, ApiErrorBody) {
    let mut request = app
        .http
        .request(case.method.clone(), app.url(case.path))
        .body(case.body.clone());
    if let Some(ct) = case.content_type {
        request = request.header("content-type", ct);
    }
    if case.csrf {
        request = request.header("x-requested-with", "quanyi");
    }
    if let Some(lang) = lang {
        request = request.header("accept-language", lang);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body: ApiErrorBody = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not the error shape ({e}): {text}", case.name));
    (status, headers, body)
}

#[tokio::test]
async fn every_refusal_has_the_error_shape_its_code_and_a_count_in_metrics() {
    let app = spawn_app().await;
    for case in cases() {
        let (status, headers, body) = send(&app, &case, None).await;
        assert_eq!(status, case.status, "{}", case.name);
        assert_eq!(body.code, case.code, "{}", case.name);
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{}",
            case.name
        );
        assert_eq!(
            headers["x-request-id"].to_str().unwrap(),
            body.request_id,
            "{}",
            case.name
        );
        assert!(
            body.message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}: zh-CN by default: {}",
            case.name,
            body.message
        );
        let (_, _, english) = send(&app, &case, Some("en-US,en;q=0.9")).await;
        assert_eq!(english.code, case.code, "{}", case.name);
        assert!(
            english.message.is_ascii() && english.message != body.message,
            "{}: English on request: {}",
            case.name,
            english.message
        );
    }
    for case in cases() {
        let sent = cases().iter().filter(|c| c.code == case.code).count() * 2;
        let counted = app
            .metric(&format!("http_errors_total{{code=\"{}\"}}", case.code))
            .await;
        assert_eq!(counted, sent as f64, "/metrics counts {}", case.code);
    }
    let unmatched = app
        .metric("http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}")
        .await;
    assert_eq!(unmatched, 4.0, "unknown routes share the `unmatched` label");
}

#[tokio::test]
async fn nothing_internal_leaks_into_an_error() {
    let app = spawn_app().await;
    for case in cases() {
        let (_, headers, body) = send(&app, &case, None).await;
        let text = format!("{body:?}");
        for leak in [
            "SELECT",
            "sqlx",
            "panicked",
            "src/",
            "Failed to",
            "quanyi_session",
        ] {
            assert!(!text.contains(leak), "{}: {leak} in {text}", case.name);
        }
        assert!(!headers.contains_key("server"), "no Server banner");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
            "{csp}"
        );
    }
}

#[tokio::test]
async fn the_request_id_is_echoed_when_sane_and_replaced_when_not() {
    let app = spawn_app().await;
    let echo = |id: &'static str| {
        let app = &app;
        async move {
            let response = app
                .http
                .get(app.url("/healthz"))
                .header("x-request-id", id)
                .send()
                .await
                .unwrap();
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(echo("esb-20261126-000042").await, "esb-20261126-000042");
    let replaced = echo("<script>alert(1)</script>").await;
    assert_ne!(replaced, "<script>alert(1)</script>");
    assert!(
        uuid::Uuid::parse_str(&replaced).is_ok(),
        "a generated id: {replaced}"
    );
    let generated = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert!(uuid::Uuid::parse_str(generated.headers()["x-request-id"].to_str().unwrap()).is_ok());
}

#[tokio::test]
async fn a_smaller_configured_body_limit_is_enforced() {
    let app = quanyi_tests::harness::spawn_app_with(quanyi_tests::harness::AppOptions {
        body_limit: 1024,
        ..Default::default()
    })
    .await;
    let response = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("x-requested-with", "quanyi")
        .header("content-type", "application/json")
        .body(big_json(2048))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: ApiErrorBody = response.json().await.unwrap();
    assert_eq!(body.code, "QY-REQ-0004");
}
