//! Notices by e-mail (SEC-3: the owner hears of an administrator's password reset): queued in the
//! reset's own transaction, delivered by the worker's dispatcher over SMTP to a real listener,
//! once; a relay that is down leaves the notice retrying on a backoff, then failed.

use quanyi_activities::notify::{self, Dispatcher, MAX_ATTEMPTS, Mailer};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{TestApp, spawn_app};
use quanyi_tests::smtp::SmtpSink;
use serde_json::json;
use uuid::Uuid;

const FROM: &str = "权益平台 <noreply@quanyi.example>";

async fn reset(app: &TestApp, username: &str) {
    let id: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    app.post_json::<serde_json::Value>(
        &format!("/api/v1/system/users/{id}/password-reset"),
        json!({}),
    )
    .await
    .expect("reset");
}

/// One round of the worker's dispatcher with only e-mail configured.
async fn deliver(app: &TestApp, mailer: &Mailer, now: chrono::DateTime<chrono::Utc>) -> usize {
    let dispatcher = Dispatcher {
        mailer: Some(mailer.clone()),
        ..Dispatcher::default()
    };
    notify::dispatch(&app.pool, &dispatcher, 10, now)
        .await
        .unwrap()
}

async fn statuses(app: &TestApp) -> Vec<(String, String, i32)> {
    sqlx::query_as("SELECT recipient, status, attempts FROM notifications ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_password_reset_is_mailed_to_its_owner_once() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    reset(&app, "planner").await;
    reset(&app, "monitor").await; // no e-mail address: nothing to send
    assert_eq!(
        statuses(&app).await,
        [("planner@quanyi.example".into(), "pending".into(), 0)],
        "queued with the reset"
    );

    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&sink.url(), FROM).unwrap();
    let now = chrono::Utc::now();
    assert_eq!(deliver(&app, &mailer, now).await, 1);
    assert_eq!(
        deliver(&app, &mailer, now).await,
        0,
        "nothing is sent twice"
    );
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["planner@quanyi.example"]);
    assert_eq!(received[0].from, "noreply@quanyi.example");
    let message = mail_parser::MessageParser::default()
        .parse(&received[0].data)
        .expect("a well-formed message");
    assert_eq!(
        message.subject(),
        Some("【权益平台】您的登录密码已被管理员重置")
    );
    let body = message.body_text(0).unwrap();
    assert!(body.contains("由管理员 admin 重置"), "{body}");
    assert!(body.contains("如非您本人申请"), "{body}");
    assert!(
        message
            .message_id()
            .is_some_and(|id| id.starts_with("password-reset.")),
        "the Message-ID carries the notice's key"
    );
    assert_eq!(
        statuses(&app).await,
        [("planner@quanyi.example".into(), "sent".into(), 1)]
    );
}

#[tokio::test]
async fn a_relay_that_is_down_leaves_the_notice_retrying_then_failed() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    reset(&app, "reviewer1").await;
    let port = {
        let sink = SmtpSink::start().await;
        sink.port
    }; // dropped: nothing listens there any more
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mailer = Mailer::new(&format!("smtp://127.0.0.1:{port}"), FROM).unwrap();
    let mut now = chrono::Utc::now();
    for attempt in 1..MAX_ATTEMPTS {
        assert_eq!(deliver(&app, &mailer, now).await, 0);
        assert_eq!(
            statuses(&app).await,
            [(
                "reviewer1@quanyi.example".into(),
                "retrying".into(),
                attempt
            )]
        );
        // backing off: not due again at once
        deliver(&app, &mailer, now).await;
        assert_eq!(
            statuses(&app).await[0].2,
            attempt,
            "not retried before it is due"
        );
        now += chrono::Duration::hours(2);
    }
    deliver(&app, &mailer, now).await;
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, last_error FROM notifications")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.is_some_and(|e| e.contains("smtp:")));
}
