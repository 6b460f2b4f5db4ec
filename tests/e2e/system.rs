//! 系统管理 (SYS-1, SEC-4): data scope on every list, temporary passwords, separation of duties,
//! and — table-driven from the OpenAPI document — a session and a permission on every route.

use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{ApiErrorBody, Browser, TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
struct Org {
    code: String,
}

#[derive(Debug, Deserialize)]
struct UserRow {
    id: Uuid,
    username: String,
    roles: Vec<String>,
    must_change_password: bool,
}

#[derive(Debug, Deserialize)]
struct Page {
    items: Vec<UserRow>,
    total: i64,
}

#[derive(Debug, Deserialize)]
struct Temporary {
    user_id: Uuid,
    temporary_password: String,
}

async fn get<T: serde::de::DeserializeOwned>(
    browser: &Browser,
    path: &str,
) -> Result<T, (StatusCode, ApiErrorBody)> {
    Browser::answer(browser.http.get(browser.url(path)).send().await.unwrap()).await
}

async fn org(app: &TestApp, code: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
        .bind(code)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn user_id(app: &TestApp, username: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_demo_bank_has_a_head_office_two_branches_and_four_sub_branches() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let orgs: Vec<Org> = get(&app, "/api/v1/system/orgs").await.unwrap();
    let codes: Vec<&str> = orgs.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(
        codes,
        ["HO", "BR01", "SB0101", "SB0102", "BR02", "SB0201", "SB0202"]
    );
}

#[tokio::test]
async fn a_branch_user_sees_only_its_own_subtree() {
    let app = spawn_app().await;
    // A branch administrator: the admin role cut down to its own org and below.
    sqlx::query("INSERT INTO roles (code, name, data_scope) VALUES ('branch_admin', '分行管理员', 'org_and_below')")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO role_permissions (role_id, permission)
         SELECT r.id, p FROM roles r, unnest(ARRAY['system:user:view', 'system:org:view', 'system:user:create']) p
          WHERE r.code = 'branch_admin'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let created: Temporary = app
        .post_json(
            "/api/v1/system/users",
            json!({"username": "br01.admin", "display_name": "城东分行管理员", "org_id": org(&app, "BR01").await, "roles": ["branch_admin"]}),
        )
        .await
        .expect("created");
    let branch = app.browser();
    branch
        .login("br01.admin", &created.temporary_password)
        .await
        .unwrap();
    branch
        .post_empty(
            "/api/v1/auth/password",
            json!({"old_password": created.temporary_password, "new_password": "Branch#2027x"}),
        )
        .await
        .unwrap();

    let orgs: Vec<Org> = get(&branch, "/api/v1/system/orgs").await.unwrap();
    let codes: Vec<&str> = orgs.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(codes, ["BR01", "SB0101", "SB0102"]);
    let page: Page = get(&branch, "/api/v1/system/users").await.unwrap();
    let mut names: Vec<&str> = page.items.iter().map(|u| u.username.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "br01.admin",
            "clerk",
            "inspector1",
            "m001_admin",
            "planner",
            "reviewer1"
        ],
        "only users of 城东分行 and below"
    );
    assert_eq!(page.total, 6);
    let past_the_end: Page = get(&branch, "/api/v1/system/users?page=9").await.unwrap();
    assert_eq!(
        (past_the_end.items.len(), past_the_end.total),
        (0, 6),
        "the total survives a page past the end"
    );
    let sub_branches: Page = get(
        &app,
        &format!("/api/v1/system/users?org_id={}", org(&app, "BR01").await),
    )
    .await
    .unwrap();
    assert_eq!(
        sub_branches.total, 6,
        "filtering by a branch includes its sub-branches"
    );
    // Creating a user in another branch is refused as out of scope.
    let elsewhere = json!({"username": "br02.user", "display_name": "越权", "org_id": org(&app, "SB0201").await, "roles": []});
    let refused = Browser::answer::<Temporary>(
        branch
            .http
            .post(branch.url("/api/v1/system/users"))
            .header("x-requested-with", "quanyi")
            .json(&elsewhere)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(refused.unwrap_err().1.code, "QY-SYS-1001");
}

#[tokio::test]
async fn a_new_user_gets_a_temporary_password_that_must_be_changed_first() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let created: Temporary = app
        .post_json(
            "/api/v1/system/users",
            json!({"username": "zhangsan", "display_name": "张三", "org_id": org(&app, "SB0102").await, "roles": ["planner"]}),
        )
        .await
        .unwrap();
    let page: Page = get(&app, "/api/v1/system/users?q=zhang").await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].id, created.user_id);
    assert_eq!(page.items[0].roles, ["planner"]);
    assert!(page.items[0].must_change_password);

    let zhangsan = app.browser();
    let session = zhangsan
        .login("zhangsan", &created.temporary_password)
        .await
        .unwrap();
    assert!(session.must_change_password);
    assert_eq!(
        get::<serde_json::Value>(&zhangsan, "/api/v1/system/orgs")
            .await
            .unwrap_err()
            .1
            .code,
        "QY-AUTH-0009"
    );

    let taken = app
        .post_json::<Temporary>("/api/v1/system/users", json!({"username": "zhangsan", "display_name": "另一个", "org_id": org(&app, "HO").await, "roles": []}))
        .await;
    assert_eq!(taken.unwrap_err().1.code, "QY-SYS-1002");
    for (body, code) in [
        (
            json!({"username": "Zhang San", "display_name": "x", "org_id": org(&app, "HO").await, "roles": []}),
            "QY-SYS-1006",
        ),
        (
            json!({"username": "lisi", "display_name": "", "org_id": org(&app, "HO").await, "roles": []}),
            "QY-SYS-1007",
        ),
        (
            json!({"username": "lisi", "display_name": "李四", "org_id": org(&app, "HO").await, "roles": ["no_such_role"]}),
            "QY-SYS-1003",
        ),
        (
            json!({"username": "lisi", "display_name": "李四", "org_id": Uuid::new_v4(), "roles": []}),
            "QY-SYS-1001",
        ),
    ] {
        assert_eq!(
            app.post_json::<Temporary>("/api/v1/system/users", body)
                .await
                .unwrap_err()
                .1
                .code,
            code
        );
    }
    let nobody: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE username = 'lisi'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(nobody, 0, "nothing partial is written");
}

#[tokio::test]
async fn administrator_and_auditor_never_meet_on_one_account() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let both = json!({"username": "both", "display_name": "兼任", "org_id": org(&app, "HO").await, "roles": ["admin", "auditor"]});
    assert_eq!(
        app.post_json::<Temporary>("/api/v1/system/users", both)
            .await
            .unwrap_err()
            .1
            .code,
        "QY-SYS-1005"
    );
    let auditor = user_id(&app, "auditor").await;
    let grant = app
        .post_empty(
            &format!("/api/v1/system/users/{auditor}/roles"),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(grant.unwrap_err().1.code, "QY-SYS-1005");
    let roles: Vec<String> = sqlx::query_scalar(
        "SELECT r.code FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN users u ON u.id = ur.user_id WHERE u.username = 'auditor'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(roles, ["auditor"]);
}

#[tokio::test]
async fn nobody_grants_roles_to_themselves_or_resets_their_own_password_here() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let me = user_id(&app, "admin").await;
    let grant = app
        .post_empty(
            &format!("/api/v1/system/users/{me}/roles"),
            json!({"role": "monitor"}),
        )
        .await;
    assert_eq!(grant.unwrap_err().1.code, "QY-SYS-1004");
    let reset = app
        .post_json::<Temporary>(
            &format!("/api/v1/system/users/{me}/password-reset"),
            json!({}),
        )
        .await;
    assert_eq!(reset.unwrap_err().1.code, "QY-SYS-1004");
    // Granting another user is fine, and audited with before and after.
    let planner = user_id(&app, "planner").await;
    app.post_empty(
        &format!("/api/v1/system/users/{planner}/roles"),
        json!({"role": "monitor"}),
    )
    .await
    .unwrap();
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'system.user.grant_role'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(before, json!({"roles": ["planner"]}));
    assert_eq!(after, json!({"roles": ["monitor", "planner"]}));
}

#[tokio::test]
async fn a_reset_password_is_temporary_and_ends_the_users_sessions() {
    let app = spawn_app().await;
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let id = user_id(&app, "planner").await;
    let reset: Temporary = app
        .post_json(
            &format!("/api/v1/system/users/{id}/password-reset"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(
        planner.me().await.unwrap_err().1.code,
        "QY-AUTH-0001",
        "the old session ended"
    );
    assert_eq!(
        planner
            .login("planner", DEMO_PASSWORD)
            .await
            .unwrap_err()
            .1
            .code,
        "QY-AUTH-0002"
    );
    assert!(
        planner
            .login("planner", &reset.temporary_password)
            .await
            .unwrap()
            .must_change_password
    );
}

/// Every `/api/v1` route, with the permission it needs: `None` for public routes, `Some("")` for
/// any signed-in user. A route in the OpenAPI document but not here fails the test.
pub(crate) const ROUTES: &[(&str, &str, Option<&str>)] = &[
    ("get", "/api/v1/auth/captcha", None),
    ("post", "/api/v1/auth/login", None),
    ("post", "/api/v1/auth/logout", None),
    ("get", "/api/v1/auth/me", Some("")),
    ("post", "/api/v1/auth/password", Some("")),
    ("post", "/api/v1/auth/reauth", Some("")),
    ("get", "/api/v1/auth/menus", Some("")),
    ("delete", "/api/v1/auth/totp", Some("")),
    ("post", "/api/v1/auth/totp/verify", Some("")),
    ("post", "/api/v1/auth/totp/enrolment", Some("")),
    ("post", "/api/v1/auth/totp/enrolment/confirm", Some("")),
    ("get", "/api/v1/system/info", Some("")),
    (
        "post",
        "/api/v1/system/locks/{username}/unlock",
        Some("system:user:unlock"),
    ),
    ("get", "/api/v1/system/orgs", Some("system:org:view")),
    ("post", "/api/v1/system/orgs", Some("system:org:create")),
    ("put", "/api/v1/system/orgs/{id}", Some("system:org:update")),
    ("get", "/api/v1/system/users", Some("system:user:view")),
    ("post", "/api/v1/system/users", Some("system:user:create")),
    (
        "post",
        "/api/v1/system/users/{id}/password-reset",
        Some("system:user:reset_password"),
    ),
    (
        "post",
        "/api/v1/system/users/{id}/roles",
        Some("system:role:grant"),
    ),
    (
        "post",
        "/api/v1/system/users/{id}/totp-reset",
        Some("system:user:reset_totp"),
    ),
    (
        "get",
        "/api/v1/system/users/{id}/personal-data",
        Some("pii:user:unmask"),
    ),
    ("get", "/api/v1/system/roles", Some("system:role:view")),
    ("post", "/api/v1/system/roles", Some("system:role:create")),
    (
        "put",
        "/api/v1/system/roles/{id}",
        Some("system:role:update"),
    ),
    (
        "get",
        "/api/v1/system/permissions",
        Some("system:role:view"),
    ),
    ("get", "/api/v1/system/menus", Some("system:menu:view")),
    (
        "put",
        "/api/v1/system/menus/{id}",
        Some("system:menu:update"),
    ),
    (
        "delete",
        "/api/v1/system/users/{id}/roles/{role}",
        Some("system:role:grant"),
    ),
    (
        "put",
        "/api/v1/system/users/{id}/status",
        Some("system:user:disable"),
    ),
    ("get", "/api/v1/system/dictionaries", Some("")),
    (
        "put",
        "/api/v1/system/dictionaries/{type}/{code}",
        Some("system:dictionary:update"),
    ),
    (
        "get",
        "/api/v1/system/parameters",
        Some("system:parameter:view"),
    ),
    (
        "put",
        "/api/v1/system/parameters/{key}",
        Some("system:parameter:update"),
    ),
    ("get", "/api/v1/system/login-log", Some("system:log:view")),
    (
        "get",
        "/api/v1/system/login-log/export",
        Some("system:log:export"),
    ),
    ("get", "/api/v1/system/audit-log", Some("system:audit:view")),
    (
        "get",
        "/api/v1/system/audit-actions",
        Some("system:audit:view"),
    ),
    (
        "get",
        "/api/v1/benefits/templates",
        Some("benefit:template:view"),
    ),
    (
        "post",
        "/api/v1/benefits/templates",
        Some("benefit:template:create"),
    ),
    (
        "put",
        "/api/v1/benefits/templates/{code}",
        Some("benefit:template:update"),
    ),
    (
        "post",
        "/api/v1/benefits/templates/{code}/status",
        Some("benefit:template:update"),
    ),
    (
        "post",
        "/api/v1/benefits/templates/{code}/stock",
        Some("benefit:stock:update"),
    ),
    (
        "post",
        "/api/v1/benefits/templates/{code}/coupon-withdrawal",
        Some("benefit:coupon:withdraw"),
    ),
    (
        "get",
        "/api/v1/benefits/templates/{code}/movements",
        Some("benefit:stock:view"),
    ),
    (
        "get",
        "/api/v1/benefits/coupons",
        Some("benefit:coupon:view"),
    ),
    (
        "get",
        "/api/v1/benefits/coupons/export",
        Some("benefit:coupon:export"),
    ),
    (
        "get",
        "/api/v1/benefits/coupons/{id}/code",
        Some("benefit:coupon:unmask"),
    ),
    (
        "get",
        "/api/v1/benefits/redemptions",
        Some("benefit:redemption:view"),
    ),
    (
        "get",
        "/api/v1/benefits/redemptions/export",
        Some("benefit:redemption:view"),
    ),
    (
        "post",
        "/api/v1/benefits/merchant-redemptions",
        Some("benefit:coupon:redeem"),
    ),
    (
        "get",
        "/api/v1/benefits/merchants",
        Some("benefit:template:view"),
    ),
    (
        "post",
        "/api/v1/benefits/merchants",
        Some("benefit:merchant:manage"),
    ),
    (
        "put",
        "/api/v1/benefits/merchants/{code}",
        Some("benefit:merchant:manage"),
    ),
    (
        "post",
        "/api/v1/benefits/merchants/{code}/stores",
        Some("benefit:merchant:manage"),
    ),
    (
        "put",
        "/api/v1/benefits/merchants/{code}/stores/{store}",
        Some("benefit:merchant:manage"),
    ),
    (
        "post",
        "/api/v1/benefits/merchants/{code}/status-requests",
        Some("benefit:merchant:manage"),
    ),
    (
        "post",
        "/api/v1/benefits/merchants/{code}/account-changes",
        Some("benefit:merchant:manage"),
    ),
    (
        "post",
        "/api/v1/merchant/account-changes",
        Some("merchant:settlement:request"),
    ),
    (
        "get",
        "/api/v1/merchant-requests/{id}",
        Some("task:task:view"),
    ),
    (
        "get",
        "/api/v1/merchant/application",
        Some("merchant:portal:view"),
    ),
    (
        "get",
        "/api/v1/merchant/stores",
        Some("merchant:portal:view"),
    ),
    (
        "get",
        "/api/v1/merchant/templates",
        Some("merchant:portal:view"),
    ),
    (
        "get",
        "/api/v1/merchant/users",
        Some("merchant:user:manage"),
    ),
    (
        "post",
        "/api/v1/merchant/users",
        Some("merchant:user:manage"),
    ),
    (
        "put",
        "/api/v1/merchant/users/{id}/status",
        Some("merchant:user:manage"),
    ),
    (
        "post",
        "/api/v1/merchant/users/{id}/password-reset",
        Some("merchant:user:manage"),
    ),
    (
        "get",
        "/api/v1/inspection/plans",
        Some("merchant:inspection:manage"),
    ),
    (
        "post",
        "/api/v1/inspection/plans",
        Some("merchant:inspection:manage"),
    ),
    (
        "put",
        "/api/v1/inspection/plans/{id}",
        Some("merchant:inspection:manage"),
    ),
    (
        "delete",
        "/api/v1/inspection/plans/{id}",
        Some("merchant:inspection:manage"),
    ),
    (
        "post",
        "/api/v1/inspection/plans/{id}/pause",
        Some("merchant:inspection:manage"),
    ),
    (
        "post",
        "/api/v1/inspection/plans/{id}/resume",
        Some("merchant:inspection:manage"),
    ),
    (
        "get",
        "/api/v1/inspection/tasks",
        Some("merchant:inspection:view"),
    ),
    (
        "post",
        "/api/v1/inspection/tasks",
        Some("merchant:inspection:manage"),
    ),
    (
        "get",
        "/api/v1/inspection/tasks/export",
        Some("merchant:inspection:export"),
    ),
    (
        "get",
        "/api/v1/inspection/tasks/{id}",
        Some("merchant:inspection:view"),
    ),
    (
        "post",
        "/api/v1/inspection/tasks/{id}/submit",
        Some("merchant:inspection:execute"),
    ),
    (
        "post",
        "/api/v1/inspection/tasks/{id}/decision",
        Some("merchant:inspection:view"),
    ),
    (
        "post",
        "/api/v1/inspection/tasks/{id}/rectification",
        Some("merchant:inspection:view"),
    ),
    (
        "post",
        "/api/v1/inspection/tasks/{id}/disable-merchant",
        Some("benefit:merchant:manage"),
    ),
    (
        "get",
        "/api/v1/inspection/tasks/{id}/files/{file}",
        Some("merchant:inspection:view"),
    ),
    (
        "get",
        "/api/v1/inspection/rectifications",
        Some("merchant:inspection:view"),
    ),
    (
        "get",
        "/api/v1/merchant/inspections",
        Some("merchant:inspection:answer"),
    ),
    (
        "get",
        "/api/v1/merchant/inspections/{id}",
        Some("merchant:inspection:answer"),
    ),
    (
        "post",
        "/api/v1/merchant/inspections/{id}/rectification",
        Some("merchant:inspection:answer"),
    ),
    (
        "get",
        "/api/v1/merchant/inspections/{id}/files/{file}",
        Some("merchant:inspection:answer"),
    ),
    (
        "post",
        "/api/v1/benefits/clients",
        Some("benefit:client:manage"),
    ),
    (
        "get",
        "/api/v1/benefits/my-stores",
        Some("benefit:coupon:redeem"),
    ),
    (
        "get",
        "/api/v1/benefits/items",
        Some("benefit:template:view"),
    ),
    (
        "post",
        "/api/v1/benefits/items",
        Some("benefit:template:create"),
    ),
    (
        "get",
        "/api/v1/system/audit-log/export",
        Some("system:log:export"),
    ),
    ("get", "/api/v1/system/batch-log", Some("system:log:view")),
    (
        "get",
        "/api/v1/system/batch-log/export",
        Some("system:log:export"),
    ),
    ("get", "/api/v1/campaigns", Some("campaign:campaign:view")),
    (
        "post",
        "/api/v1/campaigns",
        Some("campaign:campaign:create"),
    ),
    (
        "get",
        "/api/v1/campaigns/{id}",
        Some("campaign:campaign:view"),
    ),
    (
        "put",
        "/api/v1/campaigns/{id}",
        Some("campaign:campaign:update"),
    ),
    (
        "post",
        "/api/v1/campaigns/{id}/customers",
        Some("campaign:campaign:update"),
    ),
    (
        "post",
        "/api/v1/campaigns/{id}/submit",
        Some("campaign:campaign:submit"),
    ),
    // each action then needs its own permission (withdraw: submit; the rest: operate)
    (
        "post",
        "/api/v1/campaigns/{id}/actions",
        Some("campaign:campaign:view"),
    ),
    (
        "post",
        "/api/v1/campaigns/{id}/modifications",
        Some("campaign:campaign:operate"),
    ),
    (
        "get",
        "/api/v1/channels/{code}/campaigns",
        Some("campaign:delivery:view"),
    ),
    ("get", "/api/v1/tasks", Some("task:task:view")),
    ("get", "/api/v1/tasks/counts", Some("task:task:view")),
    (
        "post",
        "/api/v1/tasks/{id}/decision",
        Some("task:task:approve"),
    ),
    (
        "get",
        "/api/v1/tasks/{id}/candidates",
        Some("task:task:approve"),
    ),
    (
        "post",
        "/api/v1/tasks/{id}/transfer",
        Some("task:task:approve"),
    ),
    ("get", "/api/v1/esb/consumers", Some("esb:consumer:manage")),
    ("post", "/api/v1/esb/consumers", Some("esb:consumer:manage")),
    (
        "put",
        "/api/v1/esb/consumers/{id}",
        Some("esb:consumer:manage"),
    ),
    (
        "put",
        "/api/v1/esb/consumers/{id}/status",
        Some("esb:consumer:manage"),
    ),
    (
        "post",
        "/api/v1/esb/consumers/{id}/secret",
        Some("esb:consumer:manage"),
    ),
    ("get", "/api/v1/esb/services", Some("esb:consumer:manage")),
    ("get", "/api/v1/esb/messages", Some("esb:log:view")),
    ("get", "/api/v1/esb/outbound", Some("esb:outbound:view")),
    (
        "get",
        "/api/v1/system/notifications",
        Some("system:notification:view"),
    ),
    ("get", "/api/v1/esb/messages/{id}", Some("esb:log:view")),
    ("get", "/api/v1/process-kinds", Some("")),
    ("get", "/api/v1/processes", Some("process:instance:view")),
    (
        "get",
        "/api/v1/processes/{workflow_id}",
        Some("process:instance:view"),
    ),
    (
        "get",
        "/api/v1/approval-policies",
        Some("process:policy:view"),
    ),
    (
        "get",
        "/api/v1/approval-policies/options",
        Some("process:policy:view"),
    ),
    (
        "put",
        "/api/v1/approval-policies/{process_type}/{variant}",
        Some("process:policy:update"),
    ),
    (
        "post",
        "/api/v1/points/earnings",
        Some("points:transfer:earn"),
    ),
    (
        "post",
        "/api/v1/points/holds",
        Some("points:transfer:spend"),
    ),
    (
        "post",
        "/api/v1/points/holds/{id}/capture",
        Some("points:transfer:spend"),
    ),
    (
        "post",
        "/api/v1/points/holds/{id}/void",
        Some("points:transfer:spend"),
    ),
    (
        "post",
        "/api/v1/points/transfers/{id}/reversal",
        Some("points:transfer:reverse"),
    ),
    (
        "get",
        "/api/v1/points/accounts/{customer_no}",
        Some("points:account:view"),
    ),
    (
        "get",
        "/api/v1/points/accounts/{customer_no}/history",
        Some("points:account:view"),
    ),
    ("get", "/api/v1/points/rules", Some("points:rule:view")),
    (
        "get",
        "/api/v1/points/ledger-accounts",
        Some("points:account:view"),
    ),
    ("get", "/api/v1/points/daily", Some("points:account:view")),
    (
        "get",
        "/api/v1/points/transfers",
        Some("points:account:view"),
    ),
    (
        "get",
        "/api/v1/points/transfers/export",
        Some("points:account:export"),
    ),
    ("post", "/api/v1/points/rules", Some("points:rule:manage")),
    ("get", "/api/v1/points/rules/{id}", Some("points:rule:view")),
    (
        "put",
        "/api/v1/points/rules/{id}",
        Some("points:rule:manage"),
    ),
    (
        "post",
        "/api/v1/points/rules/{id}/status",
        Some("points:rule:manage"),
    ),
    ("get", "/api/v1/tiers", Some("tier:tier:view")),
    ("post", "/api/v1/tiers", Some("tier:tier:manage")),
    ("put", "/api/v1/tiers/{id}", Some("tier:tier:manage")),
    (
        "put",
        "/api/v1/tiers/{id}/benefits",
        Some("tier:tier:manage"),
    ),
    ("get", "/api/v1/upgrade-tasks", Some("tier:tier:view")),
    ("post", "/api/v1/upgrade-tasks", Some("tier:tier:manage")),
    (
        "post",
        "/api/v1/upgrade-tasks/{id}/status",
        Some("tier:tier:manage"),
    ),
    (
        "get",
        "/api/v1/customers/{customer_no}/tier",
        Some("customer:customer:view"),
    ),
    ("get", "/api/v1/customers", Some("customer:customer:view")),
    (
        "post",
        "/api/v1/customers/phone-lookup",
        Some("customer:customer:view"),
    ),
    (
        "post",
        "/api/v1/customers/imports",
        Some("customer:customer:import"),
    ),
    (
        "get",
        "/api/v1/customers/{customer_no}",
        Some("customer:customer:view"),
    ),
    (
        "get",
        "/api/v1/customers/{customer_no}/points",
        Some("customer:customer:view"),
    ),
    (
        "get",
        "/api/v1/customers/{customer_no}/coupons",
        Some("customer:customer:view"),
    ),
    (
        "get",
        "/api/v1/customers/{customer_no}/personal-data",
        Some("pii:customer:unmask"),
    ),
    ("post", "/api/v1/files", Some("")),
    ("get", "/api/v1/files/{id}", Some("")),
    // the applicant's door: no staff account; an applicant session (QY-ONB-0004 without)
    ("post", "/api/v1/onboarding/codes", None),
    ("post", "/api/v1/onboarding/sessions", None),
    ("get", "/api/v1/onboarding/branches", None),
    ("get", "/api/v1/onboarding/applications", Some("")),
    ("post", "/api/v1/onboarding/applications", Some("")),
    ("put", "/api/v1/onboarding/applications/{id}", Some("")),
    (
        "post",
        "/api/v1/onboarding/applications/{id}/files",
        Some(""),
    ),
    (
        "get",
        "/api/v1/onboarding/applications/{id}/files/{file_id}",
        Some(""),
    ),
    (
        "post",
        "/api/v1/onboarding/applications/{id}/submit",
        Some(""),
    ),
    (
        "post",
        "/api/v1/onboarding/applications/{id}/resubmit",
        Some(""),
    ),
    (
        "post",
        "/api/v1/onboarding/applications/{id}/withdraw",
        Some(""),
    ),
    (
        "get",
        "/api/v1/merchant-applications",
        Some("merchant:application:view"),
    ),
    (
        "get",
        "/api/v1/merchant-applications/{id}",
        Some("merchant:application:view"),
    ),
    (
        "get",
        "/api/v1/merchant-applications/{id}/files/{file_id}",
        Some("merchant:application:view"),
    ),
    // 积分商城: staff, suppliers, and the customers' public catalogue
    ("get", "/api/v1/mall/products", Some("product:product:view")),
    (
        "get",
        "/api/v1/mall/products/{code}",
        Some("product:product:view"),
    ),
    (
        "post",
        "/api/v1/mall/products/{code}/forced-delist",
        Some("listing:product:delist"),
    ),
    (
        "put",
        "/api/v1/benefits/merchants/{code}/supplier",
        Some("benefit:merchant:manage"),
    ),
    (
        "get",
        "/api/v1/mall/categories",
        Some("product:product:view"),
    ),
    (
        "post",
        "/api/v1/mall/categories",
        Some("product:catalogue:manage"),
    ),
    (
        "put",
        "/api/v1/mall/categories/{code}",
        Some("product:catalogue:manage"),
    ),
    (
        "delete",
        "/api/v1/mall/categories/{code}",
        Some("product:catalogue:manage"),
    ),
    ("get", "/api/v1/mall/tags", Some("product:product:view")),
    (
        "post",
        "/api/v1/mall/tags",
        Some("product:catalogue:manage"),
    ),
    ("get", "/api/v1/mall/banners", Some("product:product:view")),
    (
        "post",
        "/api/v1/mall/banners",
        Some("product:catalogue:manage"),
    ),
    (
        "put",
        "/api/v1/mall/banners/{id}",
        Some("product:catalogue:manage"),
    ),
    (
        "delete",
        "/api/v1/mall/banners/{id}",
        Some("product:catalogue:manage"),
    ),
    (
        "get",
        "/api/v1/mall/reviews",
        Some("product:review:moderate"),
    ),
    (
        "post",
        "/api/v1/mall/reviews/{id}/moderation",
        Some("product:review:moderate"),
    ),
    (
        "get",
        "/api/v1/supplier/products",
        Some("product:product:supply"),
    ),
    (
        "post",
        "/api/v1/supplier/products",
        Some("product:product:supply"),
    ),
    (
        "get",
        "/api/v1/supplier/products/{code}",
        Some("product:product:supply"),
    ),
    (
        "put",
        "/api/v1/supplier/products/{code}",
        Some("product:product:supply"),
    ),
    (
        "delete",
        "/api/v1/supplier/products/{code}",
        Some("product:product:supply"),
    ),
    (
        "post",
        "/api/v1/supplier/products/{code}/submission",
        Some("product:product:supply"),
    ),
    (
        "post",
        "/api/v1/supplier/products/{code}/stock",
        Some("product:product:supply"),
    ),
    (
        "post",
        "/api/v1/supplier/products/{code}/delist-request",
        Some("product:product:supply"),
    ),
    ("get", "/api/v1/catalogue/home", None),
    ("get", "/api/v1/catalogue/categories/{code}/products", None),
    ("get", "/api/v1/catalogue/products/{code}", None),
    ("get", "/api/v1/catalogue/images/{id}", None),
    (
        "get",
        "/api/v1/mall/supplier-orders",
        Some("product:product:supply"),
    ),
    (
        "get",
        "/api/v1/mall/supplier-orders/{order_no}",
        Some("product:product:supply"),
    ),
    (
        "post",
        "/api/v1/mall/supplier-orders/{order_no}/shipment",
        Some("product:product:supply"),
    ),
    (
        "post",
        "/api/v1/mall/supplier-orders/shipments",
        Some("product:product:supply"),
    ),
    // the customers' mall: a customer session (its own route a signed assertion), no staff
    ("post", "/api/v1/h5/session", Some("")),
    ("get", "/api/v1/h5/addresses", Some("")),
    ("post", "/api/v1/h5/addresses", Some("")),
    ("delete", "/api/v1/h5/addresses/{id}", Some("")),
    ("get", "/api/v1/h5/orders", Some("")),
    ("post", "/api/v1/h5/orders", Some("")),
    ("get", "/api/v1/h5/orders/{order_no}", Some("")),
    ("post", "/api/v1/h5/orders/{order_no}/payment", Some("")),
    (
        "post",
        "/api/v1/h5/orders/{order_no}/payment-query",
        Some(""),
    ),
    ("post", "/api/v1/h5/orders/{order_no}/cancel", Some("")),
    ("post", "/api/v1/h5/orders/{order_no}/receipt", Some("")),
];

#[tokio::test]
async fn every_route_needs_a_session_and_its_permission() {
    use utoipa::OpenApi;
    let doc = serde_json::to_value(quanyi_api::openapi::ApiDoc::openapi()).unwrap();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if path.starts_with("/api/v1/") {
                documented.push((method.clone(), path.clone()));
            }
        }
    }
    for (method, path) in &documented {
        assert!(
            ROUTES.iter().any(|(m, p, _)| m == method && p == path),
            "{method} {path} is not in the permission table"
        );
    }
    assert_eq!(
        documented.len(),
        ROUTES.len(),
        "the table names a route the API does not have"
    );

    let app = spawn_app().await;
    let anonymous = app.browser();
    // monitor holds system:status:view, system:org:view, the benefit views, the process
    // monitor's and the notification and outbound logs, nothing else of these
    let monitor = app.browser();
    monitor.login("monitor", DEMO_PASSWORD).await.unwrap();
    let held = [
        "system:org:view",
        "benefit:template:view",
        "benefit:stock:view",
        "benefit:coupon:view",
        "benefit:redemption:view",
        "campaign:campaign:view",
        "campaign:delivery:view",
        "process:instance:view",
        "process:policy:view",
        "system:notification:view",
        "esb:outbound:view",
        "points:account:view",
        "points:rule:view",
        "tier:tier:view",
        "customer:customer:view",
        "merchant:inspection:view",
    ];
    for (method, path, permission) in ROUTES {
        let Some(permission) = permission else {
            continue;
        };
        let concrete = path
            .replace("{username}", "planner")
            .replace("{type}", "channel")
            .replace("{role}", "planner")
            .replace("{key}", "security.login.max_failures")
            .replace("{code}", "atm")
            .replace("{store}", "S1")
            .replace("{workflow_id}", "campaign-x")
            .replace("{process_type}", "campaign")
            .replace("{variant}", "*")
            .replace("{customer_no}", "C10000001")
            .replace("{order_no}", "DD202612110000000001")
            .replace("{id}", &Uuid::new_v4().to_string());
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let send = |b: &Browser| {
            b.http
                .request(method.clone(), b.url(&concrete))
                .header("x-requested-with", "quanyi")
                .json(&json!({}))
                .send()
        };
        let response = send(&anonymous).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a session"
        );
        if permission.is_empty() || held.contains(permission) {
            continue;
        }
        let response = send(&monitor).await.unwrap();
        let status = response.status();
        let body: ApiErrorBody = response.json().await.unwrap_or_else(|e| {
            panic!("{method} {path} without {permission}: {status}, not an error body: {e}")
        });
        assert_eq!(
            (status, body.code.as_str()),
            (StatusCode::FORBIDDEN, "QY-AUTH-0003"),
            "{method} {path} without {permission}"
        );
    }
    let refused: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT username, target FROM audit_log WHERE action = 'auth.permission.refused' AND result = 'refused' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        refused
            .iter()
            .all(|(user, _)| user.as_deref() == Some("monitor"))
    );
    assert!(
        refused
            .iter()
            .any(|(_, target)| target.as_deref() == Some("POST /api/v1/system/users")),
        "a refused change is on the record: {refused:?}"
    );
    assert!(
        refused
            .iter()
            .all(|(_, target)| !target.as_deref().unwrap_or("").starts_with("GET ")),
        "refused reads are not"
    );
}

#[tokio::test]
async fn role_grants_and_password_resets_need_a_fresh_password() {
    use chrono::Duration;
    use quanyi_activities::clock::ManualClock;
    use std::sync::Arc;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = quanyi_tests::harness::spawn_app_with(quanyi_tests::harness::AppOptions {
        clock: clock.clone(),
        ..Default::default()
    })
    .await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let planner = user_id(&app, "planner").await;
    clock.advance(Duration::minutes(6));
    let grant = app
        .post_empty(
            &format!("/api/v1/system/users/{planner}/roles"),
            json!({"role": "monitor"}),
        )
        .await;
    assert_eq!(grant.unwrap_err().1.code, "QY-AUTH-0011");
    let reset = app
        .post_json::<Temporary>(
            &format!("/api/v1/system/users/{planner}/password-reset"),
            json!({}),
        )
        .await;
    assert_eq!(reset.unwrap_err().1.code, "QY-AUTH-0011");
    app.post_empty("/api/v1/auth/reauth", json!({"password": DEMO_PASSWORD}))
        .await
        .unwrap();
    app.post_empty(
        &format!("/api/v1/system/users/{planner}/roles"),
        json!({"role": "monitor"}),
    )
    .await
    .expect("granted after re-authentication");
}

#[tokio::test]
async fn a_security_parameter_change_is_in_force_at_once_and_audited() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let put = |key: &str, value: i64| {
        app.no_content(
            Method::PUT,
            format!("/api/v1/system/parameters/{key}"),
            Some(json!({"value": value})),
        )
    };
    assert_eq!(
        put("security.login.max_failures", 2).await,
        Err("QY-SYS-1009".into()),
        "below the range"
    );
    assert_eq!(put("security.no.such", 5).await, Err("QY-SYS-1008".into()));
    put("security.login.max_failures", 3)
        .await
        .expect("changed");

    let params: Vec<serde_json::Value> = get(&app, "/api/v1/system/parameters").await.unwrap();
    let max_failures = params
        .iter()
        .find(|p| p["key"] == "security.login.max_failures")
        .unwrap();
    assert_eq!(
        (
            max_failures["value"].as_i64(),
            max_failures["default"].as_i64()
        ),
        (Some(3), Some(5))
    );

    for _ in 0..3 {
        assert_eq!(
            app.browser()
                .login("planner", "Wrong@2026")
                .await
                .unwrap_err()
                .1
                .code,
            "QY-AUTH-0002"
        );
    }
    assert_eq!(
        app.browser()
            .login("planner", DEMO_PASSWORD)
            .await
            .unwrap_err()
            .1
            .code,
        "QY-AUTH-0007",
        "3 now lock"
    );

    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'system.parameter.update'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((before, after), (json!({"value": 5}), json!({"value": 3})));
    let reads: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'system.parameter.read'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(reads, 1, "reading the security parameters is audited");
}

#[tokio::test]
async fn reading_the_security_parameters_is_audited_with_the_reader_and_what_was_read() {
    let app = spawn_app().await;
    let reads = || async {
        sqlx::query_as::<_, (Option<Uuid>, Option<String>, Option<String>, String)>(
            "SELECT user_id, username, target, result FROM audit_log
              WHERE action = 'system.parameter.read' ORDER BY id",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap()
    };
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(reads().await, [], "signing in reads no parameter");
    let params: Vec<serde_json::Value> = get(&app, "/api/v1/system/parameters").await.unwrap();
    assert!(
        params
            .iter()
            .any(|p| p["key"] == "security.login.max_failures")
    );
    let read = (
        Some(user_id(&app, "admin").await),
        Some("admin".to_owned()),
        Some("security".to_owned()),
        "ok".to_owned(),
    );
    assert_eq!(reads().await, std::slice::from_ref(&read));
    // a user without system:parameter:view is refused and leaves no read behind
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    let refused = get::<Vec<serde_json::Value>>(&planner, "/api/v1/system/parameters").await;
    assert_eq!(refused.unwrap_err().0, StatusCode::FORBIDDEN);
    assert_eq!(reads().await, [read]);
}

#[tokio::test]
async fn dynamic_code_lists_are_maintained_and_audited_static_ones_are_not() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let put = |path: &str, body: serde_json::Value| {
        app.no_content(Method::PUT, path.to_owned(), Some(body))
    };
    let atm = json!({"label_zh": "自助设备", "label_en": "ATM", "sort": 4, "enabled": true});
    put("/api/v1/system/dictionaries/channel/atm", atm.clone())
        .await
        .expect("added");
    assert_eq!(
        put("/api/v1/system/dictionaries/org_level/4", atm.clone()).await,
        Err("QY-SYS-1011".into())
    );
    assert_eq!(
        put("/api/v1/system/dictionaries/nothing/atm", atm.clone()).await,
        Err("QY-SYS-1010".into())
    );
    assert_eq!(
        put("/api/v1/system/dictionaries/channel/ATM!", atm).await,
        Err("QY-SYS-1012".into())
    );
    let lists: Vec<serde_json::Value> = get(&app, "/api/v1/system/dictionaries").await.unwrap();
    let channel = lists.iter().find(|d| d["code"] == "channel").unwrap();
    let codes: Vec<&str> = channel["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["mobile_banking", "wechat", "h5", "atm"]);
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'system.dictionary.put' AND target = 'channel.atm'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_loses_its_sessions_until_enabled() {
    let app = spawn_app().await;
    let planner = app.browser();
    planner.login("planner", DEMO_PASSWORD).await.unwrap();
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let id = user_id(&app, "planner").await;
    let admin = &app;
    let status = |active: bool| async move {
        let path = format!("/api/v1/system/users/{id}/status");
        let body = Some(json!({"active": active}));
        assert_eq!(admin.no_content(Method::PUT, path, body).await, Ok(()));
    };
    status(false).await;
    assert_eq!(
        planner.me().await.unwrap_err().1.code,
        "QY-AUTH-0001",
        "its session ended"
    );
    assert_eq!(
        planner
            .login("planner", DEMO_PASSWORD)
            .await
            .unwrap_err()
            .1
            .code,
        "QY-AUTH-0002",
        "the same answer as a wrong password"
    );
    status(true).await;
    planner
        .login("planner", DEMO_PASSWORD)
        .await
        .expect("enabled again");
    let me = user_id(&app, "admin").await;
    let own = app
        .http
        .put(app.url(&format!("/api/v1/system/users/{me}/status")))
        .header("x-requested-with", "quanyi")
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        own.json::<ApiErrorBody>().await.unwrap().code,
        "QY-SYS-1004"
    );
}

#[tokio::test]
async fn a_role_is_revoked_with_audit_but_never_from_oneself() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let revoke = |id: Uuid, role: &'static str| {
        app.no_content(
            Method::DELETE,
            format!("/api/v1/system/users/{id}/roles/{role}"),
            None,
        )
    };
    let planner = user_id(&app, "planner").await;
    revoke(planner, "planner").await.expect("revoked");
    assert_eq!(
        revoke(planner, "planner").await,
        Err("QY-SYS-1003".into()),
        "no longer held"
    );
    assert_eq!(
        revoke(user_id(&app, "admin").await, "admin").await,
        Err("QY-SYS-1004".into())
    );
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'system.user.revoke_role'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (before, after),
        (json!({"roles": ["planner"]}), json!({"roles": []}))
    );
}

#[tokio::test]
async fn parameters_are_named_in_the_callers_language() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let names = |lang: &'static str| {
        let app = &app;
        async move {
            let params: Vec<serde_json::Value> = app
                .http
                .get(app.url("/api/v1/system/parameters"))
                .header("accept-language", lang)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let p = params
                .into_iter()
                .find(|p| p["key"] == "security.login.lock_minutes")
                .unwrap();
            (
                p["name"].as_str().unwrap().to_owned(),
                p["unit"].as_str().unwrap().to_owned(),
            )
        }
    };
    assert_eq!(
        names("zh-CN").await,
        ("账号锁定时长".to_owned(), "分钟".to_owned())
    );
    assert_eq!(
        names("en").await,
        ("Lock duration".to_owned(), "minutes".to_owned())
    );
}

/// The label of the `wechat` channel as the API serves it.
async fn wechat_label(app: &TestApp) -> String {
    let lists: Vec<serde_json::Value> = get(app, "/api/v1/system/dictionaries").await.unwrap();
    let channel = lists.iter().find(|d| d["code"] == "channel").unwrap();
    let wechat = channel["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "wechat")
        .unwrap();
    wechat["label_zh"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn code_lists_are_cached_and_dropped_when_any_replica_announces_a_change() {
    let app = spawn_app().await;
    app.login("admin", DEMO_PASSWORD).await.unwrap();
    let original = wechat_label(&app).await;
    // Another replica's change, as its transaction would make it: first without the announcement
    // — the cached copy still answers — then with it, delivered at commit.
    let mut other = app.owner_connection().await;
    sqlx::query("UPDATE dictionary_items SET label_zh = '微信公众号' WHERE type_code = 'channel' AND code = 'wechat'")
        .execute(&mut other)
        .await
        .unwrap();
    assert_eq!(wechat_label(&app).await, original, "served from the cache");
    sqlx::query("SELECT pg_notify('quanyi_cache', 'dictionaries')")
        .execute(&mut other)
        .await
        .unwrap();
    let mut seen = String::new();
    for _ in 0..50 {
        seen = wechat_label(&app).await;
        if seen == "微信公众号" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "微信公众号", "the announcement dropped the copy");

    // this replica's own change is seen by its next read, announcement or not
    app.no_content(
        Method::PUT,
        "/api/v1/system/dictionaries/channel/wechat",
        Some(json!({"label_zh": "微信", "label_en": "WeChat", "sort": 2, "enabled": true})),
    )
    .await
    .unwrap();
    assert_eq!(wechat_label(&app).await, "微信");
}
