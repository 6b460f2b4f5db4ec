//! 登录日志 and 操作日志 (SYS-3): filters, the auditor's separate view, and exports that need their
//! own permission and a fresh password, and are audited themselves.

use chrono::Duration;
use quanyi_activities::clock::ManualClock;
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{AppOptions, Browser, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct LoginRecord {
    username: String,
    success: bool,
    reason: String,
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    items: Vec<T>,
    total: i64,
}

async fn get<T: serde::de::DeserializeOwned>(
    b: &Browser,
    path: &str,
) -> Result<T, (StatusCode, quanyi_tests::harness::ApiErrorBody)> {
    Browser::answer(b.http.get(b.url(path)).send().await.unwrap()).await
}

#[tokio::test]
async fn the_login_log_filters_by_user_and_outcome() {
    let app = spawn_app().await;
    app.login("planner", "Wrong@2026").await.unwrap_err();
    app.login("planner", DEMO_PASSWORD).await.unwrap();
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let all: Page<LoginRecord> = get(&app, "/api/v1/system/login-log").await.unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(all.items[0].username, "admin", "newest first");
    let failures: Page<LoginRecord> = get(
        &app,
        "/api/v1/system/login-log?username=planner&success=false",
    )
    .await
    .unwrap();
    assert_eq!(failures.total, 1);
    assert_eq!(
        (failures.items[0].success, failures.items[0].reason.as_str()),
        (false, "bad_credentials")
    );
    let paged: Page<LoginRecord> = get(&app, "/api/v1/system/login-log?page=2&page_size=2")
        .await
        .unwrap();
    assert_eq!((paged.items.len(), paged.total), (1, 3));
    assert_eq!(
        get::<serde_json::Value>(&app, "/api/v1/system/login-log?page=0")
            .await
            .unwrap_err()
            .1
            .code,
        "QY-REQ-0011"
    );
    assert_eq!(
        get::<serde_json::Value>(&app, "/api/v1/system/login-log?from=yesterday")
            .await
            .unwrap_err()
            .1
            .code,
        "QY-REQ-0005"
    );
}

#[tokio::test]
async fn the_operation_log_is_the_auditors_not_the_administrators() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let refused = get::<serde_json::Value>(&app, "/api/v1/system/audit-log")
        .await
        .unwrap_err();
    assert_eq!(refused.1.code, "QY-AUTH-0003");
    let auditor = app.browser();
    auditor.login("auditor", DEMO_PASSWORD).await.unwrap();
    let page: Page<serde_json::Value> =
        get(&auditor, "/api/v1/system/audit-log?action=auth.session")
            .await
            .unwrap();
    assert_eq!(page.total, 2, "two sign-ins");
    assert!(
        page.items
            .iter()
            .all(|r| r["action"] == "auth.session.login")
    );
}

#[tokio::test]
async fn exporting_needs_a_fresh_password_and_is_itself_audited() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn_app_with(AppOptions {
        clock: clock.clone(),
        ..Default::default()
    })
    .await;
    app.login("auditor", DEMO_PASSWORD).await.unwrap();
    let response = app
        .http
        .get(app.url("/api/v1/system/login-log/export?username=auditor"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"login-log-")
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,at,username,ip,success,reason"));
    let rows: Vec<&str> = lines
        .filter(|l| l.contains(",auditor,127.0.0.1,true,ok"))
        .collect();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].contains("+08:00,"),
        "Beijing time in exports: {}",
        rows[0]
    );

    clock.advance(Duration::minutes(6));
    app.me().await.expect("still signed in");
    let stale = app
        .http
        .get(app.url("/api/v1/system/audit-log/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        stale
            .json::<quanyi_tests::harness::ApiErrorBody>()
            .await
            .unwrap()
            .code,
        "QY-AUTH-0011"
    );
    app.post_empty(
        "/api/v1/auth/reauth",
        serde_json::json!({"password": DEMO_PASSWORD}),
    )
    .await
    .unwrap();
    let fresh = app
        .http
        .get(app.url("/api/v1/system/audit-log/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);

    let exports: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT target, after FROM audit_log WHERE action = 'system.log.export' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(exports.len(), 2);
    assert_eq!(exports[0].0, "login-log");
    assert_eq!(exports[0].1["filter"]["username"], "auditor");
    assert_eq!(exports[0].1["rows"], 1);
    assert_eq!(exports[1].0, "audit-log");
}

/// A year of a bank's logs is millions of rows: past 10,000 matches the lists say "more than
/// that" instead of counting them all, still newest first; a filter counts exactly again.
#[tokio::test]
async fn the_logs_count_up_to_ten_thousand_and_say_when_there_are_more() {
    let app = spawn_app().await;
    app.login("auditor", DEMO_PASSWORD).await.unwrap();
    // rows only, straight into the tables (the audit rows are left unsealed: verify is not
    // what is read here); the audit log is in the order of its chain, so the later row is newer
    sqlx::query(
        "INSERT INTO login_log (at, username, ip, success, reason)
         SELECT now() - make_interval(secs => n), 'bulk' || (n % 7), '10.0.0.1', true, 'ok'
           FROM generate_series(1, 10001) AS n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO audit_log (at, username, action, target, result)
         SELECT now() - make_interval(secs => 10002 - n), 'bulk' || (n % 7), 'benefit.coupon.export', NULL, 'ok'
           FROM generate_series(1, 10001) AS n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for path in ["/api/v1/system/login-log", "/api/v1/system/audit-log"] {
        let all: serde_json::Value = app.get_json(&format!("{path}?page_size=50")).await.unwrap();
        assert_eq!(
            (&all["total"], &all["total_capped"]),
            (&serde_json::json!(10_000), &serde_json::json!(true)),
            "{path}"
        );
        let times: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["at"].as_str().unwrap())
            .collect();
        let mut sorted = times.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(times, sorted, "{path}: newest first");
        let one: serde_json::Value = app
            .get_json(&format!("{path}?username=bulk3"))
            .await
            .unwrap();
        assert_eq!(
            (&one["total"], &one["total_capped"]),
            (&serde_json::json!(1429), &serde_json::json!(false)),
            "{path}: 10,001 rows, one in seven of bulk3"
        );
    }
}
