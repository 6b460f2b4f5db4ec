//! Personal data (SEC-6) and field-level validation (SEC-8): contact details masked in every list,
//! unmasked only with `pii:user:unmask` and then audited; a body that breaks several rules is
//! refused field by field, each with its own code, and nothing is written.

use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{ApiErrorBody, Browser, spawn_app};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
struct UserRow {
    id: Uuid,
    username: String,
    phone: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Page {
    items: Vec<UserRow>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
struct PersonalData {
    phone: Option<String>,
    email: Option<String>,
}

async fn get<T: serde::de::DeserializeOwned>(
    browser: &Browser,
    path: &str,
) -> Result<T, (StatusCode, ApiErrorBody)> {
    Browser::answer(browser.http.get(browser.url(path)).send().await.unwrap()).await
}

#[tokio::test]
async fn contact_details_are_masked_unless_unmasked_with_permission_and_audited() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let page: Page = get(&app, "/api/v1/system/users?q=planner").await.unwrap();
    let planner = page.items.iter().find(|u| u.username == "planner").unwrap();
    assert_eq!(planner.phone.as_deref(), Some("137****7002"));
    assert_eq!(planner.email.as_deref(), Some("p***@quanyi.example"));
    let everything = serde_json::to_string(
        &get::<serde_json::Value>(&app, "/api/v1/system/users")
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        !everything.contains("13700137002"),
        "no full number anywhere in the list"
    );

    let path = format!("/api/v1/system/users/{}/personal-data", planner.id);
    let full: PersonalData = get(&app, &path).await.unwrap();
    assert_eq!(
        full,
        PersonalData {
            phone: Some("13700137002".into()),
            email: Some("planner@quanyi.example".into()),
        }
    );
    let (by, target, after): (Option<String>, Option<String>, serde_json::Value) =
        sqlx::query_as("SELECT username, target, after FROM audit_log WHERE action = 'pii.unmask'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (by.as_deref(), target.as_deref()),
        (Some("admin"), Some("planner"))
    );
    assert_eq!(after, json!({ "fields": ["phone", "email"] }));
    assert!(
        !after.to_string().contains("13700137002"),
        "never the value"
    );

    // reviewer2 holds no pii:user:unmask
    let reviewer = app.browser();
    reviewer.login("reviewer2", DEMO_PASSWORD).await.unwrap();
    let (status, body) = get::<PersonalData>(&reviewer, &path).await.unwrap_err();
    assert_eq!(
        (status, body.code.as_str()),
        (StatusCode::FORBIDDEN, "QY-AUTH-0003")
    );
    let unmasked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'pii.unmask'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(unmasked, 1);
}

#[tokio::test]
async fn a_new_users_contact_details_are_kept_whole_and_audited_masked() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'SB0101'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    app.post_json::<serde_json::Value>(
        "/api/v1/system/users",
        json!({"username": "lisi", "display_name": "李四", "org_id": org, "roles": ["planner"],
               "phone": "15912345678", "email": "lisi@bank.example"}),
    )
    .await
    .expect("created");
    let stored: (Option<String>, Option<String>) =
        sqlx::query_as("SELECT phone, email FROM users WHERE username = 'lisi'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        stored,
        (Some("15912345678".into()), Some("lisi@bank.example".into()))
    );
    let after: serde_json::Value = sqlx::query_scalar(
        "SELECT after FROM audit_log WHERE action = 'system.user.create' AND target = 'lisi'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(after["phone"], "159****5678");
    assert_eq!(after["email"], "l***@bank.example");
}

#[tokio::test]
async fn every_broken_rule_is_listed_with_its_field_and_code_and_nothing_is_written() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let users = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM users")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let before = users().await;
    let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'HO'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (status, body) = app
        .post_json::<serde_json::Value>(
            "/api/v1/system/users",
            json!({"username": "9bad name", "display_name": "   ", "org_id": org, "roles": [],
                   "phone": "12345", "email": "not-an-address"}),
        )
        .await
        .unwrap_err();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<(&str, &str)> = body
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.code.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("display_name", "QY-SYS-1007"),
            ("email", "QY-SYS-1029"),
            ("phone", "QY-SYS-1028"),
            ("username", "QY-SYS-1006"),
        ]
    );
    assert_eq!(body.code, "QY-SYS-1007", "the first field's code leads");
    assert!(body.fields.iter().all(|f| !f.message.is_empty()));
    assert_eq!(users().await, before, "nothing written");

    // a missing field and a value of the wrong type are named too
    let (_, body) = app
        .post_json::<serde_json::Value>(
            "/api/v1/system/users",
            json!({"username": "wangwu", "display_name": "王五", "roles": []}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (body.code.as_str(), body.fields[0].field.as_str()),
        ("QY-REQ-0002", "org_id")
    );
    let (_, body) = app
        .post_json::<serde_json::Value>(
            "/api/v1/system/users",
            json!({"username": "wangwu", "display_name": "王五", "org_id": org, "roles": ["planner", 7]}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (body.code.as_str(), body.fields[0].field.as_str()),
        ("QY-REQ-0002", "roles[1]")
    );
    assert_eq!(users().await, before);
}
