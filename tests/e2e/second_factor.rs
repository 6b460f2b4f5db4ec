//! The TOTP second factor (SEC-2): enrolment with a QR code and recovery codes, required by the
//! administrator and auditor roles, owed after the password at every sign-in, a code good once,
//! wrong codes toward the lock, step-up by code, and an administrator's reset for a lost device.

use chrono::Duration;
use quanyi_activities::clock::ManualClock;
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{
    AppOptions, Authenticators, Enrolment, RecoveryCodes, TestApp, spawn_app, spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

fn code<T: std::fmt::Debug>(
    answer: Result<T, (StatusCode, quanyi_tests::harness::ApiErrorBody)>,
) -> String {
    answer.expect_err("refused").1.code
}

async fn users_status(browser: &quanyi_tests::harness::Browser) -> Result<(), String> {
    let response = browser
        .http
        .get(browser.url("/api/v1/system/users"))
        .send()
        .await
        .unwrap();
    if response.status().is_success() {
        Ok(())
    } else {
        Err(response
            .json::<quanyi_tests::harness::ApiErrorBody>()
            .await
            .unwrap()
            .code)
    }
}

async fn audit_count(app: &TestApp, action: &str, refused: bool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1 AND result = $2")
        .bind(action)
        .bind(if refused { "refused" } else { "ok" })
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_administrator_must_enrol_a_second_factor_before_anything_else() {
    let app = spawn_app().await;
    let signed_in = app.login_password("admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(
        signed_in.second_factor, "enrol",
        "the admin role requires it"
    );
    assert_eq!(users_status(&app).await.unwrap_err(), "QY-AUTH-0013");
    assert_eq!(app.me().await.unwrap().second_factor, "enrol");

    let confirm = |code: String| {
        app.post_json::<RecoveryCodes>(
            "/api/v1/auth/totp/enrolment/confirm",
            json!({ "code": code }),
        )
    };
    assert_eq!(
        code(confirm("123456".into()).await),
        "QY-AUTH-0016",
        "nothing to confirm before an enrolment starts"
    );
    let enrolment: Enrolment = app
        .post_json("/api/v1/auth/totp/enrolment", json!({}))
        .await
        .unwrap();
    assert!(enrolment.qr_code.starts_with("data:image/png;base64,"));
    assert!(
        enrolment
            .otpauth_url
            .starts_with("otpauth://totp/Quanyi:admin?")
    );
    assert!(enrolment.otpauth_url.contains(&enrolment.secret));
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT totp_pending_secret FROM users WHERE username = 'admin'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        !String::from_utf8_lossy(&stored).contains(&enrolment.secret),
        "the secret is stored encrypted"
    );

    let now = chrono::Utc::now();
    let right = Authenticators::code_for(&enrolment.secret, now);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_eq!(code(confirm(wrong).await), "QY-AUTH-0014");
    assert_eq!(users_status(&app).await.unwrap_err(), "QY-AUTH-0013");
    let codes = confirm(right).await.expect("confirmed").recovery_codes;
    assert_eq!(codes.len(), 10);
    assert_eq!(
        codes.iter().collect::<std::collections::HashSet<_>>().len(),
        10
    );
    users_status(&app)
        .await
        .expect("enrolled: the session may work");
    assert_eq!(audit_count(&app, "auth.totp.enrol", false).await, 1);
    assert_eq!(
        code(
            app.post_json::<Enrolment>("/api/v1/auth/totp/enrolment", json!({}))
                .await
        ),
        "QY-AUTH-0015",
        "no second enrolment over a live one"
    );
}

#[tokio::test]
async fn an_enrolled_user_owes_a_code_after_the_password_and_nothing_works_until_then() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let other = app.browser();
    let signed_in = other.login_password("admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(signed_in.second_factor, "verify");
    assert_eq!(users_status(&other).await.unwrap_err(), "QY-AUTH-0012");
    assert_eq!(
        code(
            other
                .post_json::<Enrolment>("/api/v1/auth/totp/enrolment", json!({}))
                .await
        ),
        "QY-AUTH-0012"
    );
    // the password again does not stand in for the code
    other
        .post_empty("/api/v1/auth/reauth", json!({ "password": DEMO_PASSWORD }))
        .await
        .unwrap();
    assert_eq!(users_status(&other).await.unwrap_err(), "QY-AUTH-0012");

    let before = other.session_cookie();
    let (status, body) = other
        .post_empty("/api/v1/auth/totp/verify", json!({ "code": 123456 }))
        .await
        .unwrap_err();
    assert_eq!(
        (status, body.code.as_str(), body.fields[0].field.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "QY-REQ-0002", "code"),
        "a number where text belongs: the field is named"
    );
    let good = app
        .authenticators
        .code("admin", &quanyi_activities::clock::SystemClock)
        .await;
    let wrong = format!("{:06}", (good.parse::<u32>().unwrap() + 7) % 1_000_000);
    assert_eq!(
        code(
            other
                .post_empty("/api/v1/auth/totp/verify", json!({ "code": wrong }))
                .await
        ),
        "QY-AUTH-0014"
    );
    other
        .post_empty("/api/v1/auth/totp/verify", json!({ "code": good }))
        .await
        .expect("the right code");
    assert_ne!(before, other.session_cookie(), "a new session id");
    users_status(&other).await.expect("fully signed in");
    assert_eq!(other.me().await.unwrap().second_factor, "done");
    assert_eq!(audit_count(&app, "auth.totp.verify", true).await, 1);

    // the same code a second time is refused, even within its 30 seconds
    let third = app.browser();
    third.login_password("admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(
        code(
            third
                .post_empty("/api/v1/auth/totp/verify", json!({ "code": good }))
                .await
        ),
        "QY-AUTH-0014"
    );
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    app.login_password("admin", DEMO_PASSWORD).await.unwrap();
    let codes = app.enrol_totp("admin").await.unwrap().recovery_codes;
    let other = app.browser();
    other.login_password("admin", DEMO_PASSWORD).await.unwrap();
    // typed loosely: lower case, a space for the hyphen
    let typed = codes[3].to_lowercase().replace('-', " ");
    other
        .post_empty("/api/v1/auth/totp/verify", json!({ "code": typed }))
        .await
        .expect("a recovery code stands in for the app");
    users_status(&other).await.unwrap();
    assert_eq!(other.me().await.unwrap().recovery_codes_left, Some(9));
    let third = app.browser();
    third.login_password("admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(
        code(
            third
                .post_empty("/api/v1/auth/totp/verify", json!({ "code": codes[3] }))
                .await
        ),
        "QY-AUTH-0014",
        "a recovery code is good once"
    );
}

#[tokio::test]
async fn wrong_codes_count_toward_the_same_lock_as_wrong_passwords() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let other = app.browser();
    other.login_password("admin", DEMO_PASSWORD).await.unwrap();
    for _ in 0..5 {
        assert_eq!(
            code(
                other
                    .post_empty("/api/v1/auth/totp/verify", json!({ "code": "ZZZZZ-ZZZZZ" }))
                    .await
            ),
            "QY-AUTH-0014"
        );
    }
    let good = app
        .authenticators
        .code("admin", &quanyi_activities::clock::SystemClock)
        .await;
    assert_eq!(
        code(
            other
                .post_empty("/api/v1/auth/totp/verify", json!({ "code": good }))
                .await
        ),
        "QY-AUTH-0007",
        "locked: even the right code is refused"
    );
}

#[tokio::test]
async fn a_code_serves_as_the_step_up_before_a_critical_operation() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now() + Duration::days(2)));
    let app = spawn_app_with(AppOptions {
        clock: clock.clone(),
        ..Default::default()
    })
    .await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    clock.advance(Duration::minutes(6));
    let export = "/api/v1/system/login-log/export";
    let status = |app: &TestApp| {
        let request = app.http.get(app.url(export));
        async move { request.send().await.unwrap().status() }
    };
    // admin lacks the export permission; the auditor has it
    let auditor = app.browser();
    auditor.login("auditor", DEMO_PASSWORD).await.unwrap();
    clock.advance(Duration::minutes(6));
    let answer = auditor.http.get(auditor.url(export)).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        answer
            .json::<quanyi_tests::harness::ApiErrorBody>()
            .await
            .unwrap()
            .code,
        "QY-AUTH-0011"
    );
    assert_eq!(
        code(
            auditor
                .post_empty(
                    "/api/v1/auth/reauth",
                    json!({ "password": DEMO_PASSWORD, "totp_code": "123456" })
                )
                .await
        ),
        "QY-AUTH-0018",
        "one proof, not both"
    );
    let totp = auditor.authenticators.code("auditor", &*clock).await;
    auditor
        .post_empty("/api/v1/auth/reauth", json!({ "totp_code": totp }))
        .await
        .expect("a code is a step-up");
    let answer = auditor.http.get(auditor.url(export)).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(status(&app).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_required_second_factor_cannot_be_turned_off_an_optional_one_can() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(
        app.no_content(reqwest::Method::DELETE, "/api/v1/auth/totp", None)
            .await
            .unwrap_err(),
        "QY-AUTH-0017"
    );
    let planner = app.browser();
    let signed_in = planner.login("planner", DEMO_PASSWORD).await.unwrap();
    assert_eq!(signed_in.second_factor, "done", "optional for planners");
    planner.enrol_totp("planner").await.unwrap();
    planner
        .no_content(reqwest::Method::DELETE, "/api/v1/auth/totp", None)
        .await
        .expect("turned off by its owner");
    let enabled: bool = sqlx::query_scalar(
        "SELECT totp_enabled_at IS NOT NULL FROM users WHERE username = 'planner'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(!enabled);
    assert_eq!(audit_count(&app, "auth.totp.disable", false).await, 1);
    let again = app.browser();
    assert_eq!(
        again
            .login_password("planner", DEMO_PASSWORD)
            .await
            .unwrap()
            .second_factor,
        "done"
    );
}

#[tokio::test]
async fn an_administrator_resets_a_lost_second_factor_and_the_user_enrols_again() {
    let app = spawn_app().await;
    let auditor = app.browser();
    auditor.login("auditor", DEMO_PASSWORD).await.unwrap();
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let id = |name: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE username = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let reset = |id: Uuid| {
        app.no_content(
            reqwest::Method::POST,
            format!("/api/v1/system/users/{id}/totp-reset"),
            Some(json!({})),
        )
    };
    assert_eq!(reset(id("admin").await).await.unwrap_err(), "QY-SYS-1004");
    reset(id("auditor").await).await.expect("reset");
    assert_eq!(
        code(auditor.me().await),
        "QY-AUTH-0001",
        "the auditor's sessions ended"
    );
    let again = app.browser();
    assert_eq!(
        again
            .login_password("auditor", DEMO_PASSWORD)
            .await
            .unwrap()
            .second_factor,
        "enrol"
    );
    assert_eq!(audit_count(&app, "system.user.reset_totp", false).await, 1);

    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    let refused = planner
        .no_content(
            reqwest::Method::POST,
            format!("/api/v1/system/users/{}/totp-reset", id("auditor").await),
            Some(json!({})),
        )
        .await;
    assert_eq!(refused.unwrap_err(), "QY-AUTH-0003");
}
