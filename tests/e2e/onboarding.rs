//! 商户线上入驻 (WF-2) over HTTP with the real Temporal: an applicant proves a phone by SMS code,
//! drafts, uploads and submits; 初审 and 复核 decide from the inbox; provisioning checks the
//! settlement account with the core banking system (a real HTTP simulator), then creates the
//! merchant, its stores and its administrator once. Returns, lapses, rejections, withdrawals, a
//! core that does not confirm the account and a core that is down for a while.

use crate::customers::esb_example;
use crate::esb::register;
use crate::files::{png, upload};
use quanyi_activities::esb::outbound::{Outbound, OutboundSettings};
use quanyi_activities::notify::{self, Dispatcher, SmsPlatform};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{ApiErrorBody, AppOptions, Browser, TestApp, data_key, spawn_app_with};
use quanyi_tests::peers::{Peer, SMS_APP_ID, SMS_APP_KEY};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

type Answer<T> = Result<T, (StatusCode, ApiErrorBody)>;

const ACCOUNT_NO: &str = "6222020200112233445";
const LEGAL_NAME: &str = "城东鲜果商行有限公司";

async fn get<T: serde::de::DeserializeOwned>(browser: &Browser, path: &str) -> Answer<T> {
    Browser::answer(browser.http.get(browser.url(path)).send().await.unwrap()).await
}

async fn put(browser: &Browser, path: &str, body: Value) -> Answer<Value> {
    Browser::answer(
        browser
            .http
            .put(browser.url(path))
            .header("x-requested-with", "quanyi")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    browser.login(username, DEMO_PASSWORD).await.unwrap();
    browser
}

/// The last SMS queued for `phone` under keys starting with `prefix`: its params.
async fn last_sms(app: &TestApp, phone: &str, prefix: &str) -> Option<Value> {
    sqlx::query_scalar(
        "SELECT params FROM notifications WHERE recipient = $1 AND key LIKE $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(phone)
    .bind(format!("{prefix}%"))
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}

/// The code of the last applicant SMS queued for `phone`, opened as the sender opens it (under
/// the data key, bound to the row's key), after proving that no column of the row holds it.
pub async fn sealed_code(app: &TestApp, phone: &str) -> String {
    let (key, row, sealed): (String, String, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT key, n::text, sealed_params FROM notifications n
          WHERE recipient = $1 AND key LIKE 'applicant-code/%' ORDER BY id DESC LIMIT 1",
    )
    .bind(phone)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let secret = notify::open_params(&data_key(), &key, &sealed.expect("sealed")).unwrap();
    let code = secret["code"].clone();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    // the row as text holds the sealed bytes in hex, never the digits in a run of their own
    assert!(!row.contains(&format!("为{code}")), "{row}");
    assert!(!row.contains(&format!("\"code\": \"{code}\"")), "{row}");
    code
}

/// A browser signed in as the applicant of `phone`, the phone proved by the SMS code.
async fn applicant(app: &TestApp, phone: &str) -> Browser {
    let browser = app.browser();
    let (captcha_id, answer) = browser.captcha().await;
    browser
        .post_empty(
            "/api/v1/onboarding/codes",
            json!({"phone": phone, "captcha_id": captcha_id, "captcha_answer": answer}),
        )
        .await
        .unwrap();
    let code = sealed_code(app, phone).await;
    browser
        .post_empty(
            "/api/v1/onboarding/sessions",
            json!({"phone": phone, "code": code}),
        )
        .await
        .unwrap();
    browser
}

fn draft(account_name: &str) -> Value {
    json!({
        "org_code": "BR01",
        "legal_name": LEGAL_NAME,
        "credit_code": "91310000MA1FL0000N",
        "legal_rep": "张三",
        "id_number": "11010519491231002X",
        "contact_phone": "13911112222",
        "business_category": "零售",
        "address": "人民路 1 号",
        "stores": [{"code": "S001", "name": "人民路店", "address": "人民路 1 号"}],
        "bank_name": "城东银行",
        "account_name": account_name,
        "account_no": ACCOUNT_NO,
    })
}

/// Drafts, uploads a licence and submits: the application in 待初审.
async fn apply(app: &TestApp, phone: &str, account_name: &str) -> (Browser, String) {
    let browser = applicant(app, phone).await;
    let created: Value = browser
        .post_json("/api/v1/onboarding/applications", draft(account_name))
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["state"], "draft");
    let response = upload(
        &browser,
        &format!("/api/v1/onboarding/applications/{id}/files"),
        "营业执照.png",
        &png(b""),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let submitted: Value = browser
        .post_json(
            &format!("/api/v1/onboarding/applications/{id}/submit"),
            json!({}),
        )
        .await
        .unwrap();
    assert!(
        submitted["application_no"]
            .as_str()
            .unwrap()
            .starts_with("RZ")
    );
    assert_eq!(submitted["state"], "FirstReview", "{submitted}");
    (browser, id)
}

async fn the_task(reviewer: &Browser) -> String {
    let page: Value = get(
        reviewer,
        "/api/v1/tasks?tab=todo&process_type=merchant-onboarding",
    )
    .await
    .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    page["items"][0]["id"].as_str().unwrap().to_owned()
}

async fn decide(reviewer: &Browser, decision: &str, comment: &str) -> Answer<Value> {
    let task = the_task(reviewer).await;
    reviewer
        .post_json(
            &format!("/api/v1/tasks/{task}/decision"),
            json!({"decision": decision, "comment": comment}),
        )
        .await
}

async fn state_of(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT state FROM process_instances WHERE workflow_id = $1")
        .bind(format!("merchant-onboarding-{id}"))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Waits for the process to reach `state` (provisioning and timers run after the answer).
async fn reaches(app: &TestApp, id: &str, state: &str) {
    for _ in 0..150 {
        if state_of(app, id).await == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "the application stayed {} instead of reaching {state}",
        state_of(app, id).await
    );
}

/// The administrator's SMS as the sender sends it: the raw outbox row holds the one-time
/// password only sealed (not in `params`, not in `body`); sent through a real SMS platform, the
/// platform gets it, the sealed copy is dropped and the request log hides it. Returns it.
async fn sent_password(app: &TestApp) -> String {
    let (key, params, body, sealed): (String, Value, String, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT key, params, body, sealed_params FROM notifications
          WHERE key LIKE 'onboarding/%/administrator/sms'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(params.get("password").is_none(), "{params}");
    assert!(body.contains("初始密码******"), "{body}");
    let secret = notify::open_params(&data_key(), &key, &sealed.expect("sealed")).unwrap();
    let password = secret["password"].clone();
    let leaks = |sql: &'static str| {
        let password = password.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(password)
                .fetch_one(&app.pool)
                .await
                .unwrap()
        }
    };
    let in_clear = "SELECT count(*) FROM notifications n WHERE strpos(n::text, $1) > 0";
    assert_eq!(leaks(in_clear).await, 0, "no outbox row holds it in clear");
    assert_eq!(
        leaks("SELECT count(*) FROM audit_log a WHERE strpos(a::text, $1) > 0").await,
        0
    );

    let sms = Peer::sms().await;
    let dispatcher = Dispatcher {
        outbound: Some(Outbound::new(app.pool.clone(), OutboundSettings::default()).unwrap()),
        sms: Some(SmsPlatform {
            url: sms.base.clone(),
            app_id: SMS_APP_ID.into(),
            app_key: SMS_APP_KEY.into(),
        }),
        data_key: Some(data_key()),
        ..Dispatcher::default()
    };
    notify::dispatch(&app.pool, &dispatcher, 50, chrono::Utc::now())
        .await
        .unwrap();
    let delivered: Vec<Value> = sms
        .accepted()
        .into_iter()
        .filter(|b| b["templateCode"] == "QY_MERCHANT_ADMIN")
        .collect();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["params"]["password"], password.as_str());
    let (status, sealed): (String, Option<Vec<u8>>) =
        sqlx::query_as("SELECT status, sealed_params FROM notifications WHERE key = $1")
            .bind(&key)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "sent");
    assert!(sealed.is_none(), "dropped once sent");
    assert_eq!(
        leaks("SELECT count(*) FROM outbound_requests r WHERE strpos(r::text, $1) > 0").await,
        0,
        "the request log hides it"
    );
    password
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applicant_applies_two_reviews_approve_and_the_merchant_opens_once() {
    let app = spawn_app_with(AppOptions::default()).await;
    let core = Peer::core(&[(ACCOUNT_NO, LEGAL_NAME)]).await;
    // the core is down for the first calls: provisioning is retried, the account checked once
    core.fail_next(2, StatusCode::SERVICE_UNAVAILABLE);
    let _worker = app.start_worker_with_core(&core.core_url()).await;
    let phone = "13811112222";
    let (applicant, id) = apply(&app, phone, LEGAL_NAME).await;

    // the submitted application no longer changes, and nobody else's session reaches it
    let refused = put(
        &applicant,
        &format!("/api/v1/onboarding/applications/{id}"),
        draft(LEGAL_NAME),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.1.code, "QY-ONB-0006");
    let stranger = self::applicant(&app, "13833334444").await;
    let hidden = get::<Value>(
        &stranger,
        &format!("/api/v1/onboarding/applications/{id}/files/00000000-0000-0000-0000-000000000000"),
    )
    .await
    .unwrap_err();
    assert_eq!(hidden.1.code, "QY-ONB-0005");

    // the reviewers see it masked; the second may unmask, audited
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    let masked: Value = get(&reviewer1, &format!("/api/v1/merchant-applications/{id}"))
        .await
        .unwrap();
    assert_eq!(masked["id_number"], "1101**********002X");
    assert_eq!(masked["account_no"], "6222***********3445");
    assert_eq!(masked["applicant_phone"], "138****2222");
    assert_eq!(masked["files"].as_array().unwrap().len(), 1);
    let events: Vec<&str> = masked["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["Start", "Submit"], "the reviewers see the history");
    let refused = get::<Value>(
        &reviewer1,
        &format!("/api/v1/merchant-applications/{id}?unmask=true"),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.1.code, "QY-AUTH-0003");
    let whole: Value = get(
        &reviewer2,
        &format!("/api/v1/merchant-applications/{id}?unmask=true"),
    )
    .await
    .unwrap();
    assert_eq!(whole["id_number"], "11010519491231002X");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'pii.merchant.unmask'"
        )
        .await,
        1
    );

    // 初审 at the branch, then 复核 at head office: two approvals at once record one
    let first = decide(&reviewer1, "approve", "材料齐全").await.unwrap();
    assert_eq!(first["state"], "SecondReview");
    let task = the_task(&reviewer2).await;
    let path = format!("/api/v1/tasks/{task}/decision");
    let body = json!({"decision": "approve", "comment": "同意开户"});
    let (a, b) = tokio::join!(
        reviewer2.post_json::<Value>(&path, body.clone()),
        reviewer2.post_json::<Value>(&path, body.clone())
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    reaches(&app, &id, "Opened").await;

    // exactly one merchant with its store, one administrator, one account check, one SMS each
    let code = format!(
        "M{}",
        masked["application_no"]
            .as_str()
            .unwrap()
            .trim_start_matches("RZ")
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM merchants WHERE code = '{code}'")
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM stores s JOIN merchants m ON m.id = s.merchant_id WHERE m.code = '{code}'")).await,
        1
    );
    assert_eq!(core.accepted().len(), 1, "the account is checked once");
    assert!(core.received().len() >= 3, "the failed calls were retried");
    let username = code.to_ascii_lowercase();
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM users WHERE username = '{username}' AND kind = 'merchant'"
            )
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM notifications WHERE key LIKE 'onboarding/%/administrator/sms'"
        )
        .await,
        1
    );

    // the one-time password rests in no row in clear: only sealed in its SMS row
    let password = sent_password(&app).await;
    let password = password.as_str();
    let merchant = app.browser();
    let login = merchant.login_password(&username, password).await.unwrap();
    assert!(login.must_change_password);
    merchant
        .post_empty(
            "/api/v1/auth/password",
            json!({"old_password": password, "new_password": "Merchant@2026-new"}),
        )
        .await
        .unwrap();
    assert!(!merchant.me().await.unwrap().must_change_password);

    // the applicant sees 已开通 and was told each step by SMS
    let mine: Vec<Value> = get(&applicant, "/api/v1/onboarding/applications")
        .await
        .unwrap();
    assert_eq!(mine[0]["state"], "Opened");
    assert_eq!(mine[0]["state_label_zh"], "已开通");
    let events: Vec<&str> = mine[0]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["Start", "Submit", "PassFirst", "PassSecond", "Opened"]
    );
    let told = count(
        &app,
        &format!("SELECT count(*) FROM notifications WHERE recipient = '{phone}' AND key LIKE 'merchant-onboarding-%/applicant/sms'"),
    )
    .await;
    assert_eq!(told, 2, "approved (开户中) and opened");

    // the run's history replays; RECORD_HISTORIES=1 refreshes the committed copy
    let recorded = history(&format!("merchant-onboarding-{id}")).await;
    crate::histories::replayer()
        .replay_workflow(temporalio_client::WorkflowHistory::from_json(&recorded).unwrap())
        .await
        .expect("replays");
    if std::env::var_os("RECORD_HISTORIES").is_some() {
        std::fs::write(
            crate::histories::path("merchant-onboarding.json"),
            &recorded,
        )
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn material_answered_in_time_goes_back_to_review_and_unanswered_lapses() {
    let app = spawn_app_with(AppOptions {
        onboarding_supplement: Duration::from_secs(3),
        ..Default::default()
    })
    .await;
    let core = Peer::core(&[]).await;
    let _worker = app.start_worker_with_core(&core.core_url()).await;
    let reviewer1 = signed_in(&app, "reviewer1").await;

    // returned, answered in time: back to 初审
    let (applicant, id) = apply(&app, "13811113333", LEGAL_NAME).await;
    let returned = decide(&reviewer1, "return", "请补充门店照片")
        .await
        .unwrap();
    assert_eq!(returned["state"], "Supplement");
    let view: Value = applicant
        .post_json(
            &format!("/api/v1/onboarding/applications/{id}/resubmit"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(view["state"], "FirstReview");

    // returned again and left unanswered: 已失效, the timeline saying why
    decide(&reviewer1, "return", "请补充法人身份证")
        .await
        .unwrap();
    let mine: Vec<Value> = get(&applicant, "/api/v1/onboarding/applications")
        .await
        .unwrap();
    assert_eq!(mine[0]["state"], "Supplement");
    assert!(mine[0]["supplement_due_at"].is_string());
    assert_eq!(mine[0]["last_comment"], "请补充法人身份证");
    reaches(&app, &id, "Expired").await;
    let late = applicant
        .post_json::<Value>(
            &format!("/api/v1/onboarding/applications/{id}/resubmit"),
            json!({}),
        )
        .await
        .unwrap_err();
    assert_eq!(late.1.code, "QY-PROC-0002");
    let mine: Vec<Value> = get(&applicant, "/api/v1/onboarding/applications")
        .await
        .unwrap();
    let last = mine[0]["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["event"].as_str(), last["to_state"].as_str()),
        (Some("Expire"), Some("Expired"))
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM merchants WHERE code LIKE 'M2%'").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_and_withdrawn_applications_open_nothing() {
    let app = spawn_app_with(AppOptions::default()).await;
    let core = Peer::core(&[(ACCOUNT_NO, LEGAL_NAME)]).await;
    let _worker = app.start_worker_with_core(&core.core_url()).await;
    let reviewer1 = signed_in(&app, "reviewer1").await;

    let (_, rejected) = apply(&app, "13811114444", LEGAL_NAME).await;
    let answer = decide(&reviewer1, "reject", "经营范围不符").await.unwrap();
    assert_eq!(answer["state"], "Rejected");
    let told = last_sms(
        &app,
        "13811114444",
        &format!("merchant-onboarding-{rejected}"),
    )
    .await
    .expect("the applicant is told");
    assert!(told["text"].as_str().unwrap().contains("经营范围不符"));

    let (applicant, withdrawn) = apply(&app, "13811115555", LEGAL_NAME).await;
    let view: Value = applicant
        .post_json(
            &format!("/api/v1/onboarding/applications/{withdrawn}/withdraw"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(view["state"], "Withdrawn");
    let open: Value = get(
        &reviewer1,
        "/api/v1/tasks?tab=todo&process_type=merchant-onboarding",
    )
    .await
    .unwrap();
    assert_eq!(
        open["total"], 0,
        "the withdrawn application's task is closed"
    );
    assert_eq!(core.received().len(), 0);

    // 商户入驻申请: the reviewers' list, in their data scope, filtered, the phone masked
    let page: Value = get(&reviewer1, "/api/v1/merchant-applications")
        .await
        .unwrap();
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["items"][0]["id"], withdrawn.as_str(), "newest first");
    assert_eq!(page["items"][0]["applicant_phone"], "138****5555");
    assert_eq!(page["items"][0]["state"], "Withdrawn");
    let only: Value = get(&reviewer1, "/api/v1/merchant-applications?state=Rejected")
        .await
        .unwrap();
    assert_eq!(only["total"], 1);
    assert_eq!(only["items"][0]["id"], rejected.as_str());
    let none: Value = get(
        &reviewer1,
        "/api/v1/merchant-applications?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z",
    )
    .await
    .unwrap();
    assert_eq!(none["total"], 0);
    // an application of another branch: outside the branch's first reviewer's scope, inside
    // head office's
    sqlx::query(
        "UPDATE onboarding_applications SET org_id = (SELECT id FROM orgs WHERE code = 'BR02')
          WHERE id = $1::uuid",
    )
    .bind(&rejected)
    .execute(&mut app.owner_connection().await)
    .await
    .unwrap();
    let page: Value = get(&reviewer1, "/api/v1/merchant-applications")
        .await
        .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    let reviewer2 = signed_in(&app, "reviewer2").await;
    let page: Value = get(&reviewer2, "/api/v1/merchant-applications?org_code=BR02")
        .await
        .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    let monitor = signed_in(&app, "monitor").await;
    let refused = get::<Value>(&monitor, "/api/v1/merchant-applications")
        .await
        .unwrap_err();
    assert_eq!(refused.1.code, "QY-AUTH-0003");
    assert_eq!(
        count(&app, "SELECT count(*) FROM merchants WHERE code LIKE 'M2%'").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_the_core_does_not_confirm_opens_a_staff_task_and_no_merchant() {
    let app = spawn_app_with(AppOptions::default()).await;
    let core = Peer::core(&[(ACCOUNT_NO, LEGAL_NAME)]).await;
    let _worker = app.start_worker_with_core(&core.core_url()).await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    let (_, id) = apply(&app, "13811116666", "别人的公司").await;
    decide(&reviewer1, "approve", "同意").await.unwrap();
    decide(&reviewer2, "approve", "同意").await.unwrap();
    reaches(&app, &id, "Exception").await;
    let page: Value = get(
        &reviewer2,
        "/api/v1/tasks?tab=todo&process_type=merchant-onboarding",
    )
    .await
    .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["level_name"], "开户异常");
    assert_eq!(
        count(&app, "SELECT count(*) FROM merchants WHERE code LIKE 'M2%'").await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM users WHERE kind = 'merchant' AND username LIKE 'm2%'"
        )
        .await,
        0
    );
    // handled by rejecting: the applicant hears why
    let answer = decide(&reviewer2, "reject", "结算账户户名不符")
        .await
        .unwrap();
    assert_eq!(answer["state"], "Rejected");
}

/// The process's history as JSON.
async fn history(workflow_id: &str) -> Vec<u8> {
    let client = quanyi_activities::temporal::connect(
        &quanyi_tests::harness::stack().temporal_url,
        "default",
    )
    .await
    .unwrap();
    client
        .get_workflow_handle::<quanyi_workflows::onboarding::OnboardingWorkflow>(workflow_id)
        .fetch_history(Default::default())
        .to_json()
        .await
        .unwrap()
}

/// Blanks what differs from run to run in an onboarding ESB answer.
fn blank_esb(mut answer: Value) -> Value {
    answer["sysHead"]["providerSeqNo"] = "QY…".into();
    let body = &mut answer["body"];
    for key in [
        "application_id",
        "application_no",
        "workflow_id",
        "submitted_at",
    ] {
        if body.get(key).is_some_and(|v| !v.is_null()) {
            body[key] = "…".into();
        }
    }
    if let Some(timeline) = body.get_mut("timeline").and_then(Value::as_array_mut) {
        for step in timeline {
            step["at"] = "…".into();
        }
    }
    answer
}

/// docs/esb.md's `merchant.apply` and `merchant.application.query` on a live gateway: the channel
/// applies for an applicant it verified, every field checked as on the page; the serial number
/// names the application, so a retry after a lost answer opens no second one; the query shows
/// the status and timeline masked; the applicant follows it on the page with the phone; the
/// message log keeps the personal data masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_onboarding_examples_of_the_esb_document_work_on_a_live_gateway() {
    let app = spawn_app_with(AppOptions::default()).await;
    let core = Peer::core(&[(ACCOUNT_NO, LEGAL_NAME)]).await;
    let _worker = app.start_worker_with_core(&core.core_url()).await;
    let channel = register(
        &app,
        "mbank",
        &["merchant.apply", "merchant.application.query"],
        None,
        1000,
    )
    .await;
    let example = esb_example("merchant.apply");
    let applied = channel
        .call("merchant.apply", "MB-1", example.clone())
        .await;
    assert_eq!(applied["sysHead"]["retCode"], "000000", "{applied}");
    assert_eq!(applied["body"]["state"], "FirstReview");
    assert_eq!(applied["body"]["state_label_zh"], "待初审");
    let number = applied["body"]["application_no"]
        .as_str()
        .unwrap()
        .to_owned();
    insta::assert_json_snapshot!("esb_merchant_apply", blank_esb(applied.clone()));

    // the gateway kept nothing (as after a SYS-P failure): the retry finds the same application
    sqlx::query("DELETE FROM esb_exchanges")
        .execute(&app.pool)
        .await
        .unwrap();
    let again = channel
        .call("merchant.apply", "MB-1", example.clone())
        .await;
    assert_eq!(again["sysHead"]["retCode"], "000000", "{again}");
    assert_eq!(again["body"]["application_no"], number.as_str());
    assert_eq!(
        count(&app, "SELECT count(*) FROM onboarding_applications").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM process_instances WHERE process_type = 'merchant-onboarding'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'merchant.application.submit' \
             AND username = 'planner@esb:mbank'"
        )
        .await,
        1
    );

    // status and timeline, masked
    let query = serde_json::to_string(&esb_example("merchant.application.query"))
        .unwrap()
        .replace("<application no>", &number);
    let queried = channel
        .call(
            "merchant.application.query",
            "MB-2",
            serde_json::from_str(&query).unwrap(),
        )
        .await;
    assert_eq!(queried["sysHead"]["retCode"], "000000", "{queried}");
    assert_eq!(queried["body"]["phone"], "138****5678");
    assert_eq!(queried["body"]["id_number"], "1101**********002X");
    insta::assert_json_snapshot!("esb_merchant_application_query", blank_esb(queried.clone()));

    // the applicant follows it on the page with the phone the channel verified
    let applicant = applicant(&app, "13812345678").await;
    let mine: Vec<Value> = get(&applicant, "/api/v1/onboarding/applications")
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["application_no"], number.as_str());
    assert!(
        mine[0]["allowed_actions"]
            .as_array()
            .unwrap()
            .contains(&json!("withdraw"))
    );

    // refused field by field, nothing written; a branch outside the planner's scope is unknown
    let mut bad = example.clone();
    bad["credit_code"] = "91310000MA1FL0000X".into();
    bad["id_number"] = "110105194912310021".into();
    bad["phone"] = "12345".into();
    bad["stores"] = json!([]);
    let refused = channel.call("merchant.apply", "MB-3", bad).await;
    assert_eq!(refused["sysHead"]["retCode"], "BIZ-C-0001", "{refused}");
    let mut codes: Vec<String> = refused["body"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["field"].as_str().unwrap(),
                f["code"].as_str().unwrap()
            )
        })
        .collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            "credit_code:QY-ONB-0008",
            "id_number:QY-ONB-0009",
            "phone:QY-SYS-1028"
        ]
    );
    let mut no_stores = example.clone();
    no_stores["stores"] = json!([]);
    let refused = channel.call("merchant.apply", "MB-4", no_stores).await;
    assert_eq!(refused["body"]["fields"][0]["field"], "stores", "{refused}");
    assert_eq!(refused["body"]["fields"][0]["code"], "QY-ONB-0007");
    let mut outside = example.clone();
    outside["org_code"] = "BR02".into();
    let refused = channel.call("merchant.apply", "MB-5", outside).await;
    assert_eq!(
        refused["body"]["fields"][0]["code"], "QY-ONB-0012",
        "{refused}"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM onboarding_applications").await,
        1
    );
    let unknown = channel
        .call(
            "merchant.application.query",
            "MB-6",
            json!({"application_no": "RZ99999999"}),
        )
        .await;
    assert_eq!(unknown["sysHead"]["retCode"], "BIZ-C-0002", "{unknown}");

    // the message log keeps the personal data masked
    let logged: Vec<String> = sqlx::query_scalar(
        "SELECT coalesce(request_masked::text, '') || coalesce(response_masked::text, '') FROM esb_messages",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for text in &logged {
        for secret in [
            "13812345678",
            "13911112222",
            "11010519491231002X",
            ACCOUNT_NO,
        ] {
            assert!(
                !text.contains(secret),
                "{secret} in the message log: {text}"
            );
        }
    }
}

/// The applicant's SMS code rests only sealed in its outbox row: not in `params`, not in `body`
/// (shown `******`), in no column as text; the sealed copy opens only under the row's own key;
/// the SMS platform gets the code and the sealed copy is dropped once sent; the code opens the
/// applicant's session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_applicants_sms_code_rests_only_sealed_in_its_outbox_row() {
    let app = spawn_app_with(AppOptions::default()).await;
    let phone = "13855556666";
    let browser = app.browser();
    let (captcha_id, answer) = browser.captcha().await;
    browser
        .post_empty(
            "/api/v1/onboarding/codes",
            json!({"phone": phone, "captcha_id": captcha_id, "captcha_answer": answer}),
        )
        .await
        .unwrap();
    let (key, params, body, sealed): (String, Value, String, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT key, params, body, sealed_params FROM notifications
          WHERE recipient = $1 AND key LIKE 'applicant-code/%'",
    )
    .bind(phone)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(params.get("code").is_none(), "{params}");
    assert!(body.contains("验证码为******"), "{body}");
    let sealed = sealed.expect("the code is sealed");
    let code = notify::open_params(&data_key(), &key, &sealed).unwrap()["code"].clone();
    assert!(
        notify::open_params(&data_key(), "applicant-code/0/sms", &sealed).is_err(),
        "bound to its own row"
    );
    let in_clear: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications n WHERE strpos(n::text, $1) > 0")
            .bind(&code)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(in_clear, 0, "no outbox row holds {code} in clear");

    let sms = Peer::sms().await;
    let dispatcher = Dispatcher {
        outbound: Some(Outbound::new(app.pool.clone(), OutboundSettings::default()).unwrap()),
        sms: Some(SmsPlatform {
            url: sms.base.clone(),
            app_id: SMS_APP_ID.into(),
            app_key: SMS_APP_KEY.into(),
        }),
        data_key: Some(data_key()),
        ..Dispatcher::default()
    };
    notify::dispatch(&app.pool, &dispatcher, 50, chrono::Utc::now())
        .await
        .unwrap();
    let delivered: Vec<Value> = sms
        .accepted()
        .into_iter()
        .filter(|b| b["templateCode"] == "QY_APPLICANT_CODE")
        .collect();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["params"]["code"], code.as_str());
    let (status, sealed): (String, Option<Vec<u8>>) =
        sqlx::query_as("SELECT status, sealed_params FROM notifications WHERE key = $1")
            .bind(&key)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "sent");
    assert!(sealed.is_none(), "dropped once sent");

    browser
        .post_empty(
            "/api/v1/onboarding/sessions",
            json!({"phone": phone, "code": code}),
        )
        .await
        .unwrap();
    let mine: Value = get(&browser, "/api/v1/onboarding/applications")
        .await
        .unwrap();
    assert!(mine.is_array() || mine.is_object(), "{mine}");
}

/// Holds `table` against inserts (reads go on) in a transaction of the owner's connection, until
/// the connection is dropped or rolled back.
async fn hold_inserts(app: &TestApp, table: &str) -> sqlx::PgConnection {
    let mut owner = app.owner_connection().await;
    sqlx::query("BEGIN").execute(&mut owner).await.unwrap();
    sqlx::query(&format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
        .execute(&mut owner)
        .await
        .unwrap();
    owner
}

/// Waits until a backend waits on a lock to run a statement starting with `statement`: the
/// worker is in the middle of provisioning, held there.
async fn blocked_at(app: &TestApp, statement: &str) {
    let mut watcher = app.owner_connection().await;
    for _ in 0..300 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND query LIKE $1 || '%'",
        )
        .bind(statement)
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no worker came to wait at {statement}");
}

/// Waits up to `seconds` for the process to reach `state` (a killed worker's activity is retried
/// once its 15-second attempt times out).
async fn reaches_within(app: &TestApp, id: &str, state: &str, seconds: u64) {
    for _ in 0..seconds * 5 {
        if state_of(app, id).await == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "the application stayed {} instead of reaching {state}",
        state_of(app, id).await
    );
}

/// Issue 16's fault: the worker SIGKILLed in 开户中 — once after the account check, waiting to
/// create the merchant, once after the merchant, waiting to create its administrator — and a new
/// one started each time. Provisioning completes with exactly one merchant, one administrator,
/// one administrator SMS in the outbox and one account check (recorded once, made once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_during_provisioning_opens_the_merchant_exactly_once() {
    let app = spawn_app_with(AppOptions::default()).await;
    let core = Peer::core(&[(ACCOUNT_NO, LEGAL_NAME)]).await;
    let mut worker = crate::process::WorkerProcess::start_with_core(&app, &core.core_url());
    let phone = "13877778888";
    let (applicant, id) = apply(&app, phone, LEGAL_NAME).await;
    let reviewer1 = signed_in(&app, "reviewer1").await;
    let reviewer2 = signed_in(&app, "reviewer2").await;
    let first = decide(&reviewer1, "approve", "材料齐全").await.unwrap();
    assert_eq!(first["state"], "SecondReview");

    // 开户中 with the account checked, held at the merchant's insert: killed there
    let merchants = hold_inserts(&app, "merchants").await;
    let second = decide(&reviewer2, "approve", "同意开户").await.unwrap();
    assert_eq!(second["state"], "Provisioning", "{second}");
    blocked_at(&app, "INSERT INTO merchants").await;
    assert_eq!(state_of(&app, &id).await, "Provisioning");
    assert_eq!(core.accepted().len(), 1);
    worker.kill();
    drop(merchants);

    // the next worker retries: the check is not made again; held at the administrator: killed
    let users = hold_inserts(&app, "users").await;
    let mut worker = crate::process::WorkerProcess::start_with_core(&app, &core.core_url());
    blocked_at(&app, "INSERT INTO users").await;
    assert_eq!(state_of(&app, &id).await, "Provisioning");
    assert_eq!(
        count(&app, "SELECT count(*) FROM merchants WHERE code LIKE 'M2%'").await,
        1,
        "the merchant is in, its administrator not yet"
    );
    worker.kill();
    drop(users);

    let _worker = crate::process::WorkerProcess::start_with_core(&app, &core.core_url());
    reaches_within(&app, &id, "Opened", 90).await;

    assert_eq!(
        count(&app, "SELECT count(*) FROM merchants WHERE code LIKE 'M2%'").await,
        1,
        "one merchant"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM stores s JOIN merchants m ON m.id = s.merchant_id WHERE m.code LIKE 'M2%'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM users u JOIN merchants m ON m.id = u.merchant_id
              WHERE m.code LIKE 'M2%' AND u.kind = 'merchant'"
        )
        .await,
        1,
        "one administrator"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM notifications WHERE key LIKE 'onboarding/%/administrator/sms'"
        )
        .await,
        1,
        "one SMS with the one-time password"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM onboarding_steps WHERE step = 'account_check'"
        )
        .await,
        1,
        "one check recorded"
    );
    assert_eq!(core.accepted().len(), 1, "one check made");
    let username: String = sqlx::query_scalar(
        "SELECT u.username FROM users u JOIN merchants m ON m.id = u.merchant_id WHERE m.code LIKE 'M2%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM audit_log WHERE action = 'system.user.create' AND target = '{username}'"
            )
        )
        .await,
        1,
        "the administrator created once, audited once"
    );

    // the administrator signs in with the SMS'd password, and the applicant sees 已开通
    let password = sent_password(&app).await;
    let login = app
        .browser()
        .login_password(&username, &password)
        .await
        .unwrap();
    assert!(login.must_change_password);
    let mine: Vec<Value> = get(&applicant, "/api/v1/onboarding/applications")
        .await
        .unwrap();
    assert_eq!(mine[0]["state"], "Opened");
}
