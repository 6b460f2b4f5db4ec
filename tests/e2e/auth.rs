//! Sign-in, the session, sign-out.

use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::spawn_app;
use reqwest::StatusCode;

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
    let me = app.me().await.expect("the session works");
    assert_eq!(me.user.display_name, "系统管理员");

    assert_eq!(app.logout().await, StatusCode::NO_CONTENT);
    assert_eq!(
        app.me().await.unwrap_err().1.code,
        "QY-AUTH-0001",
        "the session ended server side"
    );
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
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
async fn the_session_cookie_is_httponly_strict_and_only_its_hash_is_stored() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("x-requested-with", "quanyi")
        .json(&serde_json::json!({"username": "marketer", "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
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
async fn a_user_without_the_permission_does_not_get_it() {
    let app = spawn_app().await;
    let session = app.login("marketer", DEMO_PASSWORD).await.unwrap();
    assert!(
        !session
            .user
            .permissions
            .contains(&"system:status:view".to_owned())
    );
}
