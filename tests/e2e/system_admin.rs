//! 系统管理 (SYS-1, SYS-3), the maintenance half: orgs added and renamed within the data scope,
//! roles created and edited under separation of duties and step-up, the menu as server data, and
//! the batch log with its housekeeping job.

use chrono::Duration;
use quanyi_activities::clock::{ManualClock, SystemClock};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{AppOptions, Browser, TestApp, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
struct Org {
    id: Uuid,
    parent_id: Option<Uuid>,
    code: String,
    name: String,
    level: i16,
}

#[derive(Debug, Deserialize)]
struct Created {
    id: Uuid,
}

#[derive(Debug, Deserialize)]
struct Temporary {
    temporary_password: String,
}

async fn get<T: serde::de::DeserializeOwned>(
    browser: &Browser,
    path: &str,
) -> Result<T, (StatusCode, quanyi_tests::harness::ApiErrorBody)> {
    Browser::answer(browser.http.get(browser.url(path)).send().await.unwrap()).await
}

async fn id_of(app: &TestApp, table: &str, code: &str) -> Uuid {
    sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE code = $1"))
        .bind(code)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// The error code of a POST that should have been refused.
async fn refused_post(browser: &Browser, path: &str, body: Value) -> String {
    browser
        .post_json::<Value>(path, body)
        .await
        .expect_err("refused")
        .1
        .code
}

/// A signed-in user of 城东分行 (BR01) holding a role with `permissions`, scope own org and below.
async fn branch_user(app: &TestApp, permissions: &[&str]) -> Browser {
    sqlx::query("INSERT INTO roles (code, name, data_scope) VALUES ('branch_org', '分行机构维护', 'org_and_below')")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO role_permissions (role_id, permission)
         SELECT r.id, unnest($1::text[]) FROM roles r WHERE r.code = 'branch_org'",
    )
    .bind(permissions)
    .execute(&app.pool)
    .await
    .unwrap();
    let created: Temporary = app
        .post_json(
            "/api/v1/system/users",
            json!({"username": "br01.org", "display_name": "城东分行机构维护", "org_id": id_of(app, "orgs", "BR01").await, "roles": ["branch_org"]}),
        )
        .await
        .unwrap();
    let branch = app.browser();
    branch
        .login("br01.org", &created.temporary_password)
        .await
        .unwrap();
    branch
        .post_empty(
            "/api/v1/auth/password",
            json!({"old_password": created.temporary_password, "new_password": "Branch#2027x"}),
        )
        .await
        .unwrap();
    branch
}

#[tokio::test]
async fn an_org_added_under_a_branch_sits_one_level_down_in_the_tree_with_its_path() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let br01 = id_of(&app, "orgs", "BR01").await;
    let created: Created = app
        .post_json(
            "/api/v1/system/orgs",
            json!({"parent_id": br01, "code": "SB0103", "name": " 城东开发区支行 "}),
        )
        .await
        .unwrap();
    let orgs: Vec<Org> = get(&app, "/api/v1/system/orgs").await.unwrap();
    let codes: Vec<&str> = orgs.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "HO", "BR01", "SB0101", "SB0102", "SB0103", "BR02", "SB0201", "SB0202"
        ],
        "in the tree's order, under its branch"
    );
    let new = orgs.iter().find(|o| o.code == "SB0103").unwrap();
    assert_eq!(
        (new.id, new.parent_id, new.level, new.name.as_str()),
        (created.id, Some(br01), 3, "城东开发区支行")
    );
    let path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE code = 'SB0103'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(path, "/HO/BR01/SB0103/");

    for (body, code) in [
        (
            json!({"parent_id": br01, "code": "SB 01", "name": "空格"}),
            "QY-SYS-1013",
        ),
        (
            json!({"parent_id": br01, "code": "SB0104", "name": "  "}),
            "QY-SYS-1014",
        ),
        (
            json!({"parent_id": br01, "code": "SB0103", "name": "重复"}),
            "QY-SYS-1015",
        ),
        (
            json!({"parent_id": Uuid::new_v4(), "code": "SB0105", "name": "无上级"}),
            "QY-SYS-1001",
        ),
    ] {
        assert_eq!(refused_post(&app, "/api/v1/system/orgs", body).await, code);
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM orgs").await,
        8,
        "nothing partial is written"
    );

    let rename = |id: Uuid, name: &'static str| {
        app.no_content(
            Method::PUT,
            format!("/api/v1/system/orgs/{id}"),
            Some(json!({"name": name})),
        )
    };
    rename(created.id, "城东高新支行").await.expect("renamed");
    assert_eq!(
        rename(created.id, "").await,
        Err("QY-SYS-1014".into()),
        "a name is needed"
    );
    let audit: Vec<(String, Option<Value>, Value)> = sqlx::query_as(
        "SELECT action, before, after FROM audit_log WHERE action LIKE 'system.org.%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].0, "system.org.create");
    assert_eq!(audit[0].2["path"], "/HO/BR01/SB0103/");
    assert_eq!(
        (audit[1].1.clone(), audit[1].2.clone()),
        (
            Some(json!({"name": "城东开发区支行"})),
            json!({"name": "城东高新支行"})
        )
    );
}

#[tokio::test]
async fn a_sub_branch_cannot_have_orgs_below_it() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let sub_branch = id_of(&app, "orgs", "SB0101").await;
    assert_eq!(
        refused_post(
            &app,
            "/api/v1/system/orgs",
            json!({"parent_id": sub_branch, "code": "X01", "name": "网点"})
        )
        .await,
        "QY-SYS-1016"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM orgs WHERE code = 'X01'").await,
        0
    );
}

#[tokio::test]
async fn a_branch_administrator_adds_and_renames_orgs_only_within_its_own_branch() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let branch = branch_user(
        &app,
        &["system:org:view", "system:org:create", "system:org:update"],
    )
    .await;
    let own: Created = branch
        .post_json(
            "/api/v1/system/orgs",
            json!({"parent_id": id_of(&app, "orgs", "BR01").await, "code": "SB0109", "name": "城东九号支行"}),
        )
        .await
        .expect("under its own branch");
    assert_eq!(
        refused_post(
            &branch,
            "/api/v1/system/orgs",
            json!({"parent_id": id_of(&app, "orgs", "BR02").await, "code": "SB0209", "name": "越权支行"})
        )
        .await,
        "QY-SYS-1001"
    );
    assert_eq!(
        refused_post(
            &branch,
            "/api/v1/system/orgs",
            json!({"parent_id": id_of(&app, "orgs", "HO").await, "code": "BR09", "name": "越权分行"})
        )
        .await,
        "QY-SYS-1001",
        "not beside its branch either"
    );
    let rename = |id: Uuid| {
        branch.no_content(
            Method::PUT,
            format!("/api/v1/system/orgs/{id}"),
            Some(json!({"name": "改名"})),
        )
    };
    rename(own.id).await.expect("its own sub-branch");
    assert_eq!(
        rename(id_of(&app, "orgs", "SB0201").await).await,
        Err("QY-SYS-1001".into())
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM orgs WHERE code IN ('SB0209', 'BR09') OR name = '改名' AND code <> 'SB0109'").await,
        0
    );
}

#[tokio::test]
async fn the_permission_catalogue_is_a_tree_of_every_permission_the_api_knows() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let tree: Vec<Value> = get(&app, "/api/v1/system/permissions").await.unwrap();
    assert_eq!(tree[0]["key"], "system");
    assert_eq!(tree[0]["label_zh"], "系统管理");
    let leaves: Vec<String> = tree
        .iter()
        .flat_map(|area| area["children"].as_array().unwrap().clone())
        .flat_map(|e| e["children"].as_array().unwrap().clone())
        .map(|p| p["key"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<&str> = quanyi_api::identity::permission::ALL
        .iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(leaves, expected);
    // Every permission a seeded role holds is in the catalogue.
    let held: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT permission FROM role_permissions ORDER BY 1")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for p in held {
        assert!(leaves.contains(&p), "{p} is not in the catalogue");
    }
}

fn role(code: &str, duty: Option<&str>, permissions: &[&str]) -> Value {
    json!({"code": code, "name": "测试角色", "data_scope": "org_and_below", "duty": duty, "permissions": permissions})
}

#[tokio::test]
async fn a_role_with_an_unknown_permission_is_refused() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let roles = count(&app, "SELECT count(*) FROM roles").await;
    for (body, code) in [
        (
            role("dreamer", None, &["system:org:view", "system:world:rule"]),
            "QY-SYS-1017",
        ),
        (role("Bad Code", None, &[]), "QY-SYS-1022"),
        (
            json!({"code": "nameless", "name": "", "data_scope": "all", "permissions": []}),
            "QY-SYS-1023",
        ),
        (role("planner", None, &[]), "QY-SYS-1024"),
        (
            json!({"code": "scoped", "name": "x", "data_scope": "galaxy", "permissions": []}),
            "QY-REQ-0002",
        ),
    ] {
        assert_eq!(refused_post(&app, "/api/v1/system/roles", body).await, code);
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM roles").await,
        roles,
        "nothing written"
    );
    let created: Created = app
        .post_json(
            "/api/v1/system/roles",
            role(
                "org_keeper",
                None,
                &["system:org:view", "system:org:create", "system:org:view"],
            ),
        )
        .await
        .unwrap();
    let roles: Vec<Value> = get(&app, "/api/v1/system/roles").await.unwrap();
    let keeper = roles.iter().find(|r| r["code"] == "org_keeper").unwrap();
    assert_eq!(keeper["id"], json!(created.id));
    assert_eq!(
        keeper["permissions"],
        json!(["system:org:create", "system:org:view"])
    );
    assert_eq!(keeper["data_scope"], "org_and_below");
}

#[tokio::test]
async fn administration_and_audit_permissions_never_share_a_role_and_duties_stay_fixed() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    for duty in [None, Some("administration"), Some("audit")] {
        assert_eq!(
            refused_post(
                &app,
                "/api/v1/system/roles",
                role("both", duty, &["system:user:view", "system:audit:view"])
            )
            .await,
            "QY-SYS-1019"
        );
    }
    assert_eq!(
        refused_post(
            &app,
            "/api/v1/system/roles",
            role("sneaky", None, &["system:role:grant"])
        )
        .await,
        "QY-SYS-1020",
        "administration only in an administration role, which no auditor can be granted"
    );
    let auditor = id_of(&app, "roles", "auditor").await;
    let put = |id: Uuid, body: Value| {
        app.no_content(
            Method::PUT,
            format!("/api/v1/system/roles/{id}"),
            Some(body),
        )
    };
    let auditor_role = |duty: Value, extra: &[&str]| {
        let mut permissions = vec!["system:audit:view", "system:log:view"];
        permissions.extend_from_slice(extra);
        json!({"name": "审计员", "data_scope": "all", "duty": duty, "permissions": permissions})
    };
    assert_eq!(
        put(auditor, auditor_role(json!("administration"), &[])).await,
        Err("QY-SYS-1018".into())
    );
    assert_eq!(
        put(auditor, auditor_role(Value::Null, &[])).await,
        Err("QY-SYS-1018".into()),
        "null is a duty too"
    );
    assert_eq!(
        put(
            auditor,
            auditor_role(json!("audit"), &["system:parameter:update"])
        )
        .await,
        Err("QY-SYS-1019".into())
    );
    let untouched: Vec<String> =
        sqlx::query_scalar("SELECT permission FROM role_permissions WHERE role_id = $1 ORDER BY 1")
            .bind(auditor)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(untouched.len(), 5, "nothing written: {untouched:?}");
    put(
        auditor,
        auditor_role(json!("audit"), &["system:log:export"]),
    )
    .await
    .expect("the audit side may change within its duty");
}

#[tokio::test]
async fn nobody_edits_a_role_they_hold() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let admin_role = id_of(&app, "roles", "admin").await;
    let body =
        json!({"name": "超级管理员", "data_scope": "all", "permissions": ["system:user:view"]});
    assert_eq!(
        app.no_content(
            Method::PUT,
            format!("/api/v1/system/roles/{admin_role}"),
            Some(body)
        )
        .await,
        Err("QY-SYS-1021".into())
    );
    assert_eq!(
        app.no_content(
            Method::PUT,
            format!("/api/v1/system/roles/{}", Uuid::new_v4()),
            Some(json!({"name": "无", "data_scope": "all", "permissions": []}))
        )
        .await,
        Err("QY-SYS-1003".into())
    );
}

#[tokio::test]
async fn role_changes_need_a_fresh_password() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn_app_with(AppOptions {
        clock: clock.clone(),
        ..Default::default()
    })
    .await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    clock.advance(Duration::minutes(6));
    assert_eq!(
        refused_post(
            &app,
            "/api/v1/system/roles",
            role("late", None, &["system:org:view"])
        )
        .await,
        "QY-AUTH-0011"
    );
    let monitor = id_of(&app, "roles", "monitor").await;
    assert_eq!(
        app.no_content(
            Method::PUT,
            format!("/api/v1/system/roles/{monitor}"),
            Some(json!({"name": "运营监控", "data_scope": "all", "permissions": []}))
        )
        .await,
        Err("QY-AUTH-0011".into())
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM roles WHERE code = 'late'").await,
        0
    );
}

#[tokio::test]
async fn a_permission_removed_from_a_role_is_refused_to_its_holders_at_once() {
    let app = spawn_app().await;
    let monitor = app.browser();
    monitor.login("monitor", DEMO_PASSWORD).await.unwrap();
    get::<Value>(&monitor, "/api/v1/system/orgs")
        .await
        .expect("monitor holds system:org:view");
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let role = id_of(&app, "roles", "monitor").await;
    app.no_content(
        Method::PUT,
        format!("/api/v1/system/roles/{role}"),
        Some(json!({"name": "运营监控（只看状态）", "data_scope": "org", "permissions": ["system:status:view"]})),
    )
    .await
    .expect("changed");
    let refused = get::<Value>(&monitor, "/api/v1/system/orgs")
        .await
        .unwrap_err();
    assert_eq!(
        (refused.0, refused.1.code.as_str()),
        (StatusCode::FORBIDDEN, "QY-AUTH-0003"),
        "the same session, refused at once"
    );
    let (target, before, after): (String, Value, Value) = sqlx::query_as(
        "SELECT target, before, after FROM audit_log WHERE action = 'system.role.update'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(target, "monitor");
    assert_eq!(
        before,
        json!({"name": "运营监控", "data_scope": "all", "permissions": [
            "benefit:coupon:view", "benefit:redemption:view", "benefit:stock:view",
            "benefit:template:view", "campaign:campaign:view", "campaign:delivery:view",
            "customer:customer:view", "esb:outbound:view", "merchant:inspection:view",
            "points:account:view", "points:rule:view", "process:instance:view", "process:policy:view",
            "system:notification:view", "system:org:view", "system:status:view", "tier:tier:view"]})
    );
    assert_eq!(
        after,
        json!({"name": "运营监控（只看状态）", "data_scope": "org", "permissions": ["system:status:view"]})
    );
}

async fn menu_id(app: &TestApp, key: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM menus WHERE key = $1")
        .bind(key)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn keys(tree: &[Value]) -> Vec<String> {
    tree.iter()
        .flat_map(|n| {
            std::iter::once(n["key"].as_str().unwrap().to_owned())
                .chain(keys(n["children"].as_array().unwrap()))
        })
        .collect()
}

#[tokio::test]
async fn a_hidden_menu_disappears_from_the_users_menu_and_a_renamed_one_shows_its_new_title() {
    let app = spawn_app().await;
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    let menu: Vec<Value> = get(&planner, "/api/v1/auth/menus").await.unwrap();
    assert_eq!(
        keys(&menu),
        [
            "home",
            "process",
            "process-tasks",
            "campaign",
            "campaign-list",
            "campaign-review",
            "campaign-delivery",
            "benefit",
            "benefit-templates",
            "benefit-stock",
            "benefit-coupons",
            "benefit-redemptions",
            "customer",
            "customer-list",
            "points",
            "points-rules",
            "points-accounts",
            "tier",
            "tier-levels",
            "tier-tasks",
            "system",
            "system-orgs",
            "system-dictionaries"
        ],
        "only what planner holds, no buttons"
    );
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let full: Vec<Value> = get(&app, "/api/v1/system/menus").await.unwrap();
    assert!(
        keys(&full).contains(&"user-create".to_owned()),
        "buttons too"
    );
    let put = |id: Uuid, body: Value| {
        app.no_content(
            Method::PUT,
            format!("/api/v1/system/menus/{id}"),
            Some(body),
        )
    };
    put(
        menu_id(&app, "system-orgs").await,
        json!({"title_zh": "机构维护", "title_en": "Orgs", "sort": 20, "visible": false}),
    )
    .await
    .expect("hidden");
    put(
        menu_id(&app, "system-dictionaries").await,
        json!({"title_zh": "数据字典", "title_en": "Dictionaries", "sort": 5, "visible": true}),
    )
    .await
    .expect("renamed");
    let menu: Vec<Value> = get(&planner, "/api/v1/auth/menus").await.unwrap();
    assert_eq!(
        keys(&menu),
        [
            "home",
            "process",
            "process-tasks",
            "campaign",
            "campaign-list",
            "campaign-review",
            "campaign-delivery",
            "benefit",
            "benefit-templates",
            "benefit-stock",
            "benefit-coupons",
            "benefit-redemptions",
            "customer",
            "customer-list",
            "points",
            "points-rules",
            "points-accounts",
            "tier",
            "tier-levels",
            "tier-tasks",
            "system",
            "system-dictionaries"
        ],
        "the hidden page is gone"
    );
    assert_eq!(menu[7]["children"][0]["title_zh"], "数据字典");

    assert_eq!(
        put(
            menu_id(&app, "user-create").await,
            json!({"title_zh": "新建", "title_en": "New", "sort": 1, "visible": false})
        )
        .await,
        Err("QY-SYS-1027".into())
    );
    assert_eq!(
        put(
            menu_id(&app, "home").await,
            json!({"title_zh": "", "title_en": "Home", "sort": 1, "visible": true})
        )
        .await,
        Err("QY-SYS-1026".into())
    );
    assert_eq!(
        put(
            Uuid::new_v4(),
            json!({"title_zh": "无", "title_en": "None", "sort": 1, "visible": true})
        )
        .await,
        Err("QY-SYS-1025".into())
    );
    let (before, after): (Value, Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'system.menu.update' AND target = 'system-orgs'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (before["title_zh"].clone(), before["visible"].clone()),
        (json!("机构管理"), json!(true))
    );
    assert_eq!(
        (after["title_zh"].clone(), after["visible"].clone()),
        (json!("机构维护"), json!(false))
    );
}

#[tokio::test]
async fn housekeeping_deletes_expired_captchas_and_old_sessions_and_is_in_the_batch_log() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    sqlx::query(
        "INSERT INTO captchas (id, answer, expires_at) VALUES
           (gen_random_uuid(), 'old1', now() - interval '1 minute'),
           (gen_random_uuid(), 'old2', now() - interval '1 day'),
           (gen_random_uuid(), 'live', now() + interval '5 minutes')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    // Two sessions of the planner: one ended 31 days ago (goes), one 29 days ago (stays).
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, authenticated_at, expires_at, ended_at, ended_reason)
         SELECT sha256(convert_to(d::text, 'UTF8')), u.id, now() - d * interval '1 day', now() - d * interval '1 day',
                now() - d * interval '1 day', now() - d * interval '1 day' + interval '3 hours',
                now() - d * interval '1 day', 'logout'
           FROM users u, unnest(ARRAY[31, 29]) d WHERE u.username = 'planner'",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let run = quanyi_activities::batch::housekeeping(&app.pool, &SystemClock, "test")
        .await
        .unwrap();
    assert_eq!(
        (run.job.as_str(), run.status.as_str(), run.rows_affected),
        ("housekeeping", "succeeded", 3)
    );
    assert!(run.finished_at.is_some());
    let captchas: Vec<String> = sqlx::query_scalar("SELECT answer FROM captchas")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(captchas, ["live"]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'planner'"
        )
        .await,
        1
    );
    app.me().await.expect("live sessions stay");

    let page: Value = get(
        &app,
        "/api/v1/system/batch-log?job=housekeeping&status=succeeded",
    )
    .await
    .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["triggered_by"], "test");
    let none: Value = get(&app, "/api/v1/system/batch-log?status=failed")
        .await
        .unwrap();
    assert_eq!(none["total"], 0);
    assert_eq!(
        get::<Value>(&app, "/api/v1/system/batch-log?job=shredding")
            .await
            .unwrap_err()
            .1
            .code,
        "QY-REQ-0005"
    );
}

#[tokio::test]
async fn exporting_the_batch_log_needs_a_fresh_password_and_is_audited() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn_app_with(AppOptions {
        clock: clock.clone(),
        ..Default::default()
    })
    .await;
    quanyi_activities::batch::housekeeping(&app.pool, clock.as_ref(), "test")
        .await
        .unwrap();
    app.login("auditor", DEMO_PASSWORD).await.unwrap();
    let response = app
        .http
        .get(app.url("/api/v1/system/batch-log/export?job=housekeeping"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"batch-log-")
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,job,started_at,finished_at,status,rows_affected,error,triggered_by"
    );
    assert_eq!(lines.len(), 2);
    assert!(lines[1].contains(",housekeeping,") && lines[1].contains("+08:00"));

    clock.advance(Duration::minutes(6));
    let stale = app
        .http
        .get(app.url("/api/v1/system/batch-log/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale
            .json::<quanyi_tests::harness::ApiErrorBody>()
            .await
            .unwrap()
            .code,
        "QY-AUTH-0011"
    );
    let exports: Vec<(String, Value)> = sqlx::query_as(
        "SELECT target, after FROM audit_log WHERE action = 'system.log.export' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0].0, "batch-log");
    assert_eq!(exports[0].1["filter"]["job"], "housekeeping");
    assert_eq!(exports[0].1["rows"], 1);
}
