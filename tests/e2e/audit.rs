//! The audit log (SEC-9): sign-ins and changes are recorded with who, where and how it ended, in a
//! hash chain that exposes a row changed, inserted or deleted by hand.

use quanyi_activities::audit::{self, Violation};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{TestApp, spawn_app};

/// What the tests did, without the demo seed's own changes (its coupons are audited too).
async fn actions(app: &TestApp) -> Vec<(String, Option<String>, String)> {
    sqlx::query_as(
        "SELECT action, username, result FROM audit_log WHERE username IS DISTINCT FROM 'seed' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// The rows the demo seed wrote before any test action.
async fn seeded(app: &TestApp) -> u64 {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE username = 'seed'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    u64::try_from(n).unwrap()
}

/// What an attacker with the database owner's rights does: switch the guard off, then write.
async fn by_hand(app: &TestApp, sql: &str) {
    by_hand_on(app, "audit_log", sql).await;
}

/// `sql` as the owner with `table`'s append-only guard switched off for it.
async fn by_hand_on(app: &TestApp, table: &str, sql: &str) {
    use sqlx::Connection;
    let mut owner = app.owner_connection().await;
    let mut tx = owner.begin().await.unwrap();
    sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut *tx).await.unwrap();
    sqlx::query(&format!("ALTER TABLE {table} ENABLE TRIGGER USER"))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn a_day_of_work(app: &TestApp) {
    app.login("admin", "Wrong@2026").await.unwrap_err();
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    app.post_empty("/api/v1/system/locks/planner/unlock", serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(app.logout().await, reqwest::StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn sign_ins_and_changes_are_audited_with_their_outcome() {
    let app = spawn_app().await;
    a_day_of_work(&app).await;
    assert_eq!(
        actions(&app).await,
        vec![
            (
                "auth.session.login".into(),
                Some("admin".into()),
                "refused".into()
            ),
            (
                "auth.session.login".into(),
                Some("admin".into()),
                "ok".into()
            ),
            // the administrator role requires a second factor: enrolled at the first sign-in
            ("auth.totp.enrol".into(), Some("admin".into()), "ok".into()),
            (
                "system.user.unlock".into(),
                Some("admin".into()),
                "ok".into()
            ),
            (
                "auth.session.logout".into(),
                Some("admin".into()),
                "ok".into()
            ),
        ]
    );
    let (ip, target): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT ip, target FROM audit_log WHERE action = 'system.user.unlock'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (ip.as_deref(), target.as_deref()),
        (Some("127.0.0.1"), Some("planner"))
    );
    assert_eq!(
        audit::verify(&app.pool).await.unwrap(),
        (seeded(&app).await + 5, vec![])
    );
}

#[tokio::test]
async fn the_application_cannot_change_or_remove_audit_rows() {
    let app = spawn_app().await;
    a_day_of_work(&app).await;
    audit::seal(&app.pool, true).await.unwrap();
    for sql in [
        "UPDATE audit_log SET result = 'ok'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "UPDATE audit_seals SET hash = sha256(hash)",
        "DELETE FROM audit_seals",
        "TRUNCATE audit_seals",
    ] {
        let error = sqlx::query(sql).execute(&app.pool).await.expect_err(sql);
        assert!(
            error
                .to_string()
                .contains("permission denied for table audit_"),
            "{sql}: {error}"
        );
    }
    assert_eq!(actions(&app).await.len(), 5);
}

#[tokio::test]
async fn even_the_owner_cannot_change_audit_rows_without_switching_the_guard_off() {
    let app = spawn_app().await;
    a_day_of_work(&app).await;
    audit::seal(&app.pool, true).await.unwrap();
    let mut owner = app.owner_connection().await;
    for sql in [
        "UPDATE audit_log SET result = 'ok'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "UPDATE audit_seals SET hash = sha256(hash)",
        "DELETE FROM audit_seals",
        "TRUNCATE audit_seals",
    ] {
        let error = sqlx::query(sql).execute(&mut owner).await.expect_err(sql);
        assert!(error.to_string().contains("append-only"), "{sql}: {error}");
    }
}

#[tokio::test]
async fn verify_finds_a_row_changed_by_hand() {
    let app = spawn_app().await;
    a_day_of_work(&app).await;
    // A row is sealed within the sealer's interval (250 ms) of its commit; a change before that
    // is sealed as changed (docs/security.md, SEC-9). This one comes after the seal.
    while audit::seal(&app.pool, true).await.unwrap() > 0 {}
    by_hand(
        &app,
        "UPDATE audit_log SET result = 'ok' WHERE result = 'refused'",
    )
    .await;
    let (_, violations) = audit::verify(&app.pool).await.unwrap();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(matches!(violations[0], Violation::Modified { .. }));
}

#[tokio::test]
async fn verify_finds_a_deleted_row() {
    let app = spawn_app().await;
    a_day_of_work(&app).await;
    // deleted whether or not the sealer has sealed it yet (it seals every 250 ms)
    by_hand(
        &app,
        "DELETE FROM audit_log WHERE action = 'system.user.unlock'",
    )
    .await;
    let (rows, violations) = audit::verify(&app.pool).await.unwrap();
    assert_eq!(rows, seeded(&app).await + 4);
    assert!(
        matches!(violations.as_slice(), [Violation::Missing { .. }]),
        "{violations:?}"
    );
    // and with its seal deleted too, the next seal no longer follows
    by_hand_on(
        &app,
        "audit_seals",
        "DELETE FROM audit_seals WHERE audit_id NOT IN (SELECT id FROM audit_log)",
    )
    .await;
    let (_, violations) = audit::verify(&app.pool).await.unwrap();
    assert!(
        matches!(violations.as_slice(), [Violation::Broken { .. }]),
        "{violations:?}"
    );
}

#[tokio::test]
async fn verify_finds_a_row_deleted_before_the_sealer_reached_it() {
    use sqlx::Connection;
    let app = spawn_app().await;
    audit::verify(&app.pool).await.unwrap();
    // the sealer's turn held: the API's sealer cannot seal while the row is written and deleted
    let mut holder = app.owner_connection().await;
    let mut turn = holder.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('audit_seal'))")
        .execute(&mut *turn)
        .await
        .unwrap();
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    by_hand(
        &app,
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    )
    .await;
    turn.rollback().await.unwrap();
    let (_, violations) = audit::verify(&app.pool).await.unwrap();
    assert!(
        matches!(violations.as_slice(), [Violation::Missing { .. }]),
        "{violations:?}"
    );
}

#[tokio::test]
async fn verify_finds_an_inserted_row() {
    let app = spawn_app().await;
    a_day_of_work(&app).await;
    // A forged row slipped in past the application: it has no seal.
    by_hand(
        &app,
        "INSERT INTO audit_log (id, at, action, result)
         SELECT id + 1000, now(), 'system.user.unlock', 'ok' FROM audit_log ORDER BY id DESC LIMIT 1",
    )
    .await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let (_, violations) = audit::verify(&app.pool).await.unwrap();
    assert!(
        matches!(violations.as_slice(), [Violation::Unsealed { .. }]),
        "{violations:?}"
    );
    // Sealed by hand too, continuing the chain with a made-up hash: the rows sealed after it
    // follow it, but its content does not match its seal.
    by_hand_on(
        &app,
        "audit_seals",
        "INSERT INTO audit_seals (seq, audit_id, prev_hash, hash)
         SELECT s.seq + 1000, a.id, s.hash, sha256(s.hash)
           FROM audit_log a, (SELECT seq, hash FROM audit_seals ORDER BY seq DESC LIMIT 1) s
          WHERE NOT EXISTS (SELECT 1 FROM audit_seals x WHERE x.audit_id = a.id)",
    )
    .await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let (_, violations) = audit::verify(&app.pool).await.unwrap();
    assert!(
        matches!(violations.as_slice(), [Violation::Modified { .. }]),
        "{violations:?}"
    );
}
