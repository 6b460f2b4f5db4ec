//! Signing in by the bank's rules (SEC-1, SEC-2, SEC-3), each clause a test against the real stack.

use chrono::Duration;
use quanyi_activities::clock::ManualClock;
use quanyi_activities::identity::SecurityPolicy;
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{AppOptions, TestApp, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use std::sync::Arc;

/// An app on a hand-moved clock that starts two days after the demo passwords were set, so the
/// one-day minimum age does not get in the way unless a test wants it to.
async fn app_with_clock() -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now() + Duration::days(2)));
    let app = spawn_app_with(AppOptions {
        clock: clock.clone(),
        ..Default::default()
    })
    .await;
    (app, clock)
}

fn code<T: std::fmt::Debug>(
    answer: Result<T, (StatusCode, quanyi_tests::harness::ApiErrorBody)>,
) -> String {
    answer.expect_err("refused").1.code
}

#[tokio::test]
async fn a_demo_user_signs_in_sees_who_they_are_and_signs_out() {
    let app = spawn_app().await;
    assert_eq!(app.me().await.unwrap_err().1.code, "QY-AUTH-0001");
    let session = app
        .login("admin", DEMO_PASSWORD)
        .await
        .expect("the demo admin signs in");
    assert_eq!(session.user.username, "admin");
    assert_eq!(session.user.org_name, "总行");
    assert!(
        session
            .user
            .permissions
            .contains(&"system:status:view".to_owned())
    );
    assert!(!session.must_change_password);
    assert_eq!(
        session.last_login, None,
        "the first sign-in has no previous one"
    );
    let me = app.me().await.expect("the session works");
    assert_eq!(me.user.display_name, "系统管理员");

    assert_eq!(app.logout().await, StatusCode::NO_CONTENT);
    assert_eq!(
        code(app.me().await),
        "QY-AUTH-0001",
        "the session ended server side"
    );
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE ended_at IS NULL")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(live, 0);
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let (status_a, wrong_password) = app.login("admin", "Wrong@2026").await.unwrap_err();
    let (status_b, unknown_user) = app.login("nobody", DEMO_PASSWORD).await.unwrap_err();
    assert_eq!(
        (status_a, status_b),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong_password.code, "QY-AUTH-0002");
    assert_eq!(unknown_user.code, "QY-AUTH-0002");
    assert_eq!(wrong_password.message, unknown_user.message);
    assert_eq!(wrong_password.message, "用户名和/或密码错误");
}

#[tokio::test]
async fn a_wrong_captcha_is_refused_before_the_password_is_looked_at() {
    let app = spawn_app().await;
    let (id, answer) = app.captcha().await;
    let wrong = if answer == "aaaaa" { "bbbbb" } else { "aaaaa" };
    // A wrong password with a wrong captcha: refused for the captcha, and no failure counted.
    let refused = app
        .login_with(&app.http, "admin", "Wrong@2026", id, wrong)
        .await;
    assert_eq!(code(refused), "QY-AUTH-0006");
    let failures: Option<i32> =
        sqlx::query_scalar("SELECT consecutive_failures FROM login_locks WHERE username = 'admin'")
            .fetch_optional(&app.pool)
            .await
            .unwrap();
    assert_eq!(failures, None, "the password was never checked");
    // The captcha was spent: even its right answer no longer works.
    assert_eq!(
        code(
            app.login_with(&app.http, "admin", DEMO_PASSWORD, id, &answer)
                .await
        ),
        "QY-AUTH-0006"
    );
    // And a right answer works in any letter case.
    let (id, answer) = app.captcha().await;
    app.login_with(
        &app.http,
        "admin",
        DEMO_PASSWORD,
        id,
        &answer.to_uppercase(),
    )
    .await
    .expect("signed in");
}

#[tokio::test]
async fn an_expired_captcha_is_refused() {
    let (app, clock) = app_with_clock().await;
    let (id, answer) = app.captcha().await;
    clock.advance(Duration::minutes(6));
    assert_eq!(
        code(
            app.login_with(&app.http, "admin", DEMO_PASSWORD, id, &answer)
                .await
        ),
        "QY-AUTH-0006"
    );
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_until_an_administrator_unlocks_it() {
    let app = spawn_app().await;
    for attempt in 1..=5 {
        assert_eq!(
            code(app.login("planner", "Wrong@2026").await),
            "QY-AUTH-0002",
            "attempt {attempt}"
        );
    }
    let (status, locked) = app.login("planner", DEMO_PASSWORD).await.unwrap_err();
    assert_eq!(
        (status, locked.code.as_str()),
        (StatusCode::LOCKED, "QY-AUTH-0007"),
        "the 6th, right, password is refused"
    );

    // An administrator unlocks it; a user without the permission cannot.
    let admin = app.browser();
    admin.login("reviewer2", DEMO_PASSWORD).await.unwrap();
    assert_eq!(
        code(
            admin
                .post_empty("/api/v1/system/locks/planner/unlock", serde_json::json!({}))
                .await
        ),
        "QY-AUTH-0003"
    );
    admin.login("admin", DEMO_PASSWORD).await.unwrap();
    admin
        .post_empty("/api/v1/system/locks/planner/unlock", serde_json::json!({}))
        .await
        .expect("unlocked");
    let session = app
        .login("planner", DEMO_PASSWORD)
        .await
        .expect("signs in after the unlock");
    let last = session.last_login.expect("the failures are reported");
    assert!(!last.success);
    assert_eq!(last.failures_since, 5);
}

#[tokio::test]
async fn the_lock_lifts_by_itself_after_the_lock_time() {
    let (app, clock) = app_with_clock().await;
    for _ in 1..=5 {
        app.login("reviewer2", "Wrong@2026").await.unwrap_err();
    }
    assert_eq!(
        code(app.login("reviewer2", DEMO_PASSWORD).await),
        "QY-AUTH-0007"
    );
    clock.advance(Duration::minutes(31));
    app.login("reviewer2", DEMO_PASSWORD)
        .await
        .expect("the lock has expired");
}

#[tokio::test]
async fn an_unknown_name_locks_exactly_like_a_real_one() {
    let app = spawn_app().await;
    for _ in 1..=5 {
        assert_eq!(code(app.login("ghost", "Wrong@2026").await), "QY-AUTH-0002");
    }
    assert_eq!(code(app.login("ghost", "Wrong@2026").await), "QY-AUTH-0007");
}

#[tokio::test]
async fn one_address_failing_often_is_throttled_without_locking_others_out() {
    let policy = SecurityPolicy {
        ip_max_failures: 3,
        ..Default::default()
    };
    let app = spawn_app_with(AppOptions {
        policy,
        ..Default::default()
    })
    .await;
    for name in ["a1", "a2", "a3"] {
        assert_eq!(code(app.login(name, "Wrong@2026").await), "QY-AUTH-0002");
    }
    let (status, throttled) = app.login("admin", DEMO_PASSWORD).await.unwrap_err();
    assert_eq!(
        (status, throttled.code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "QY-AUTH-0008")
    );
    let admin_failures: Option<i32> =
        sqlx::query_scalar("SELECT consecutive_failures FROM login_locks WHERE username = 'admin'")
            .fetch_optional(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        admin_failures, None,
        "the throttle did not count against the admin account"
    );
}

#[tokio::test]
async fn the_last_sign_in_is_reported_at_the_next_one() {
    let app = spawn_app().await;
    let first = app.login("reviewer2", DEMO_PASSWORD).await.unwrap();
    assert_eq!(first.last_login, None);
    let second = app.login("reviewer2", DEMO_PASSWORD).await.unwrap();
    let last = second.last_login.expect("the first sign-in");
    assert!(last.success && last.failures_since == 0);
    assert_eq!(last.ip, "127.0.0.1");
    app.login("reviewer2", "Wrong@2026").await.unwrap_err();
    app.login("reviewer2", "Wrong@2026").await.unwrap_err();
    let third = app.login("reviewer2", DEMO_PASSWORD).await.unwrap();
    let last = third.last_login.unwrap();
    assert!(!last.success, "the last attempt failed");
    assert_eq!(last.failures_since, 2);
}

#[tokio::test]
async fn an_idle_session_needs_the_password_again_and_gets_a_new_id() {
    let (app, clock) = app_with_clock().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    clock.advance(Duration::minutes(19));
    app.me().await.expect("19 minutes idle is fine");
    clock.advance(Duration::minutes(21));
    assert_eq!(code(app.me().await), "QY-AUTH-0004");
    let before = app.session_cookie();
    assert_eq!(
        code(
            app.post_empty(
                "/api/v1/auth/reauth",
                serde_json::json!({"password": "Wrong@2026"})
            )
            .await
        ),
        "QY-AUTH-0002"
    );
    app.post_empty(
        "/api/v1/auth/reauth",
        serde_json::json!({"password": DEMO_PASSWORD}),
    )
    .await
    .expect("re-authenticated");
    let after = app.session_cookie();
    assert_ne!(before, after, "a new session id at re-authentication");
    app.me().await.expect("the page carries on");
    // The old id is dead.
    let stale = app.browser_with_cookie(&before);
    assert_eq!(code(stale.me().await), "QY-AUTH-0001");
}

#[tokio::test]
async fn a_session_ends_three_hours_after_sign_in_however_busy() {
    let (app, clock) = app_with_clock().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    for _ in 0..17 {
        clock.advance(Duration::minutes(10));
        app.me().await.expect("busy, within 3 hours");
    }
    clock.advance(Duration::minutes(11));
    assert_eq!(code(app.me().await), "QY-AUTH-0010");
}

#[tokio::test]
async fn signing_in_gives_a_new_id_and_a_second_sign_in_ends_the_first() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let first = app.session_cookie();
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    assert_ne!(
        first,
        app.session_cookie(),
        "a new session id at every sign-in"
    );

    let elsewhere = app.browser();
    elsewhere.login("admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(code(app.me().await), "QY-AUTH-0005", "told why");
    elsewhere.me().await.expect("the new session works");
}

#[tokio::test]
async fn the_session_cookie_is_httponly_strict_and_only_its_hash_is_stored() {
    let app = spawn_app().await;
    let (id, answer) = app.captcha().await;
    let response = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("x-requested-with", "quanyi")
        .json(&serde_json::json!({"username": "planner", "password": DEMO_PASSWORD, "captcha_id": id, "captcha_answer": answer}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    assert!(token.len() >= 43, "32 random bytes");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert_ne!(stored, token.as_bytes(), "the token itself is never stored");
}

#[tokio::test]
async fn every_password_rule_has_its_own_code() {
    let (app, _clock) = app_with_clock().await;
    app.login("planner", DEMO_PASSWORD).await.unwrap();
    let change = |old: &str, new: &str| {
        let body = serde_json::json!({"old_password": old, "new_password": new});
        let app = &app;
        async move { app.post_empty("/api/v1/auth/password", body).await }
    };
    assert_eq!(
        code(change("Wrong@2026", "Another#2027").await),
        "QY-PWD-0006"
    );
    assert_eq!(code(change(DEMO_PASSWORD, "Ab1!").await), "QY-PWD-0001");
    assert_eq!(
        code(change(DEMO_PASSWORD, "onlylowercase1").await),
        "QY-PWD-0002"
    );
    assert_eq!(
        code(change(DEMO_PASSWORD, "Planner#2027").await),
        "QY-PWD-0003"
    );
    assert_eq!(
        code(change(DEMO_PASSWORD, DEMO_PASSWORD).await),
        "QY-PWD-0004"
    );
    let before = app.session_cookie();
    change(DEMO_PASSWORD, "Another#2027")
        .await
        .expect("a good password");
    assert_ne!(
        before,
        app.session_cookie(),
        "a new session id after the change"
    );
    assert_eq!(
        code(change("Another#2027", "Third#2028x").await),
        "QY-PWD-0005",
        "less than a day later"
    );
}

#[tokio::test]
async fn none_of_the_last_five_passwords_can_come_back() {
    let (app, clock) = app_with_clock().await;
    app.login("reviewer2", DEMO_PASSWORD).await.unwrap();
    let passwords = ["Second#2027", "Third#2027", "Fourth#2027", "Fifth#2027"];
    let mut current = DEMO_PASSWORD.to_owned();
    for next in passwords {
        clock.advance(Duration::days(2));
        app.login("reviewer2", &current).await.unwrap();
        let body = serde_json::json!({"old_password": current, "new_password": next});
        app.post_empty("/api/v1/auth/password", body)
            .await
            .expect("changed");
        current = next.to_owned();
    }
    clock.advance(Duration::days(2));
    app.login("reviewer2", &current).await.unwrap();
    let back = serde_json::json!({"old_password": current, "new_password": DEMO_PASSWORD});
    assert_eq!(
        code(app.post_empty("/api/v1/auth/password", back).await),
        "QY-PWD-0004",
        "the 5th last"
    );
    let sixth = serde_json::json!({"old_password": current, "new_password": "Sixth#2027"});
    app.post_empty("/api/v1/auth/password", sixth)
        .await
        .expect("a new one is fine");
    clock.advance(Duration::days(2));
    app.login("reviewer2", "Sixth#2027").await.unwrap();
    let oldest = serde_json::json!({"old_password": "Sixth#2027", "new_password": DEMO_PASSWORD});
    app.post_empty("/api/v1/auth/password", oldest)
        .await
        .expect("6 changes ago is allowed again");
}

#[tokio::test]
async fn a_user_with_a_temporary_password_can_do_nothing_but_change_it() {
    let app = spawn_app().await;
    sqlx::query("UPDATE users SET must_change_password = true WHERE username = 'monitor'")
        .execute(&app.pool)
        .await
        .unwrap();
    let session = app.login("monitor", DEMO_PASSWORD).await.unwrap();
    assert!(session.must_change_password);
    let info = app
        .http
        .get(app.url("/api/v1/system/info"))
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        info.json::<quanyi_tests::harness::ApiErrorBody>()
            .await
            .unwrap()
            .code,
        "QY-AUTH-0009"
    );
    assert!(
        app.me().await.unwrap().must_change_password,
        "the session itself works"
    );
    // The minimum age does not stop a forced change.
    let body = serde_json::json!({"old_password": DEMO_PASSWORD, "new_password": "Fresh#2027x"});
    app.post_empty("/api/v1/auth/password", body)
        .await
        .expect("changed");
    let info = app
        .http
        .get(app.url("/api/v1/system/info"))
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_staff_password_older_than_90_days_must_be_changed() {
    let app = spawn_app().await;
    sqlx::query("UPDATE users SET password_changed_at = now() - interval '91 days' WHERE username = 'reviewer2'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(
        app.login("reviewer2", DEMO_PASSWORD)
            .await
            .unwrap()
            .must_change_password
    );
    assert!(
        !app.login("planner", DEMO_PASSWORD)
            .await
            .unwrap()
            .must_change_password
    );
}

#[tokio::test]
async fn a_user_without_the_permission_does_not_get_it() {
    let app = spawn_app().await;
    let session = app.login("planner", DEMO_PASSWORD).await.unwrap();
    assert!(
        !session
            .user
            .permissions
            .contains(&"system:status:view".to_owned())
    );
}
