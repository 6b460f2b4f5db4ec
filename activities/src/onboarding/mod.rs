//! 商户线上入驻 (WF-2) in the store: the applicant's phone proved by an SMS code and the session
//! bound to it ([`applicant`]), the application as a draft and its submission, and the activities
//! of the process `merchant-onboarding-<id>`: provisioning — the settlement account checked with
//! the core banking system, then the merchant with its stores and its administrator, each step
//! recorded once in `onboarding_steps` so retries and a killed worker do nothing twice — and the
//! applicant's SMS.

pub mod applicant;
pub mod check;
pub mod list;

use crate::audit::{self, Entry};
use crate::crypto::DataKey;
use crate::esb::outbound::{Call, Failure, Idempotency, Outbound, Target};
use crate::notify::{self, Channel, Outgoing};
use crate::numbers::{self, Series};
use chrono::{DateTime, Utc};
use quanyi_workflows::onboarding::{ApplicantNotice, ProvisionRequest, Provisioned};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use uuid::Uuid;

/// A store the merchant will open with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoreDraft {
    /// 1–32 letters, digits, `_` or `-`, unique within the application.
    pub code: String,
    pub name: String,
    pub address: Option<String>,
}

/// The application's fields as the applicant fills them in; any may be missing in a draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// The branch of the merchant's area (an org code of level 2).
    pub org_code: Option<String>,
    pub legal_name: Option<String>,
    /// 统一社会信用代码 (GB 32100-2015), its check digit verified.
    pub credit_code: Option<String>,
    pub legal_rep: Option<String>,
    /// The legal representative's resident ID number (GB 11643), its check digit verified.
    pub id_number: Option<String>,
    pub contact_phone: Option<String>,
    pub business_category: Option<String>,
    pub address: Option<String>,
    pub stores: Vec<StoreDraft>,
    pub bank_name: Option<String>,
    pub account_name: Option<String>,
    pub account_no: Option<String>,
}

/// An application as the store keeps it.
#[derive(Debug, Clone)]
pub struct Application {
    pub id: Uuid,
    pub code: Option<String>,
    pub phone: String,
    pub status: String,
    pub org_id: Option<Uuid>,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
    pub draft: Draft,
    pub merchant_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// Why a change to an application was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such application of this phone.
    Unknown,
    /// Submitted already: it changes only through its process.
    NotDraft,
    /// The org code names no branch.
    UnknownOrg,
    /// The fields a submission needs, by name, that are missing.
    Incomplete(Vec<&'static str>),
}

const MAX_STORES: usize = 50;

struct Row {
    id: Uuid,
    code: Option<String>,
    phone: String,
    status: String,
    org_id: Option<Uuid>,
    org_code: Option<String>,
    org_name: Option<String>,
    legal_name: Option<String>,
    credit_code: Option<String>,
    legal_rep: Option<String>,
    id_number: Option<String>,
    contact_phone: Option<String>,
    business_category: Option<String>,
    address: Option<String>,
    stores: Value,
    bank_name: Option<String>,
    account_name: Option<String>,
    account_no: Option<String>,
    merchant_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
}

impl From<Row> for Application {
    fn from(r: Row) -> Self {
        Application {
            id: r.id,
            code: r.code,
            phone: r.phone,
            status: r.status,
            org_id: r.org_id,
            draft: Draft {
                org_code: r.org_code.clone(),
                legal_name: r.legal_name,
                credit_code: r.credit_code,
                legal_rep: r.legal_rep,
                id_number: r.id_number,
                contact_phone: r.contact_phone,
                business_category: r.business_category,
                address: r.address,
                stores: serde_json::from_value(r.stores).unwrap_or_default(),
                bank_name: r.bank_name,
                account_name: r.account_name,
                account_no: r.account_no,
            },
            org_code: r.org_code,
            org_name: r.org_name,
            merchant_id: r.merchant_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            submitted_at: r.submitted_at,
        }
    }
}

/// The application `id`, whoever it belongs to.
pub async fn load(pool: &PgPool, id: Uuid) -> Result<Option<Application>, sqlx::Error> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT a.id, a.code, a.phone, a.status, a.org_id, o.code AS "org_code?",
                  o.name AS "org_name?", a.legal_name, a.credit_code, a.legal_rep, a.id_number,
                  a.contact_phone, a.business_category, a.address, a.stores, a.bank_name,
                  a.account_name, a.account_no, a.merchant_id, a.created_at, a.updated_at,
                  a.submitted_at
             FROM onboarding_applications a LEFT JOIN orgs o ON o.id = a.org_id
            WHERE a.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Application::from))
}

/// The applications of `phone`, newest first.
pub async fn of_phone(pool: &PgPool, phone: &str) -> Result<Vec<Application>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT a.id, a.code, a.phone, a.status, a.org_id, o.code AS "org_code?",
                  o.name AS "org_name?", a.legal_name, a.credit_code, a.legal_rep, a.id_number,
                  a.contact_phone, a.business_category, a.address, a.stores, a.bank_name,
                  a.account_name, a.account_no, a.merchant_id, a.created_at, a.updated_at,
                  a.submitted_at
             FROM onboarding_applications a LEFT JOIN orgs o ON o.id = a.org_id
            WHERE a.phone = $1 ORDER BY a.created_at DESC, a.id LIMIT 20"#,
        phone
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Application::from).collect())
}

/// The application numbered `code` (`RZ…`), whoever it belongs to.
pub async fn by_code(pool: &PgPool, code: &str) -> Result<Option<Application>, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "SELECT id FROM onboarding_applications WHERE code = $1",
        code
    )
    .fetch_optional(pool)
    .await?;
    match id {
        Some(id) => load(pool, id).await,
        None => Ok(None),
    }
}

/// The branch (an org of level 2) `code` names.
pub async fn branch_id(pool: &PgPool, code: &str) -> Result<Option<Uuid>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    branch(&mut conn, code).await
}

/// The branch an org code names (level 2).
async fn branch(conn: &mut PgConnection, code: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM orgs WHERE code = $1 AND level = 2", code)
        .fetch_optional(conn)
        .await
}

/// Writes `draft` as the new application `id` of `phone`, unless an application `id` exists:
/// whether it was written.
#[allow(clippy::too_many_arguments)]
async fn insert_draft(
    conn: &mut PgConnection,
    id: Uuid,
    phone: &str,
    org_id: Option<Uuid>,
    draft: &Draft,
    stores: &Value,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let written = sqlx::query!(
        "INSERT INTO onboarding_applications
             (id, phone, org_id, legal_name, credit_code, legal_rep, id_number,
              contact_phone, business_category, address, stores, bank_name, account_name,
              account_no, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
         ON CONFLICT (id) DO NOTHING",
        id,
        phone,
        org_id,
        draft.legal_name,
        draft.credit_code,
        draft.legal_rep,
        draft.id_number,
        draft.contact_phone,
        draft.business_category,
        draft.address,
        stores,
        draft.bank_name,
        draft.account_name,
        draft.account_no,
        now
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(written == 1)
}

/// Writes `draft` as the application `id` of `phone` once (an ESB channel's application, its id
/// named by the channel's serial number): a retry finds it again. The caller checked each field.
pub async fn draft_once(
    pool: &PgPool,
    id: Uuid,
    phone: &str,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let org_id = match &draft.org_code {
        Some(code) => match branch(&mut tx, code).await? {
            Some(id) => Some(id),
            None => return Ok(Err(Refusal::UnknownOrg)),
        },
        None => None,
    };
    let stores = serde_json::to_value(&draft.stores).expect("stores serialize");
    insert_draft(&mut tx, id, phone, org_id, draft, &stores, now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Saves `draft` as the application `id` of `phone` (a new one when `id` is `None`). The caller
/// checked each field's form ([`check`]); a submitted application is changed only with
/// `supplement` (its process waits for more material).
pub async fn save_draft(
    pool: &PgPool,
    phone: &str,
    id: Option<Uuid>,
    draft: &Draft,
    now: DateTime<Utc>,
    supplement: bool,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let org_id = match &draft.org_code {
        Some(code) => match branch(&mut tx, code).await? {
            Some(id) => Some(id),
            None => return Ok(Err(Refusal::UnknownOrg)),
        },
        None => None,
    };
    let stores = serde_json::to_value(&draft.stores).expect("stores serialize");
    let id = match id {
        None => {
            let id = Uuid::new_v4();
            insert_draft(&mut tx, id, phone, org_id, draft, &stores, now).await?;
            id
        }
        Some(id) => {
            let status = sqlx::query_scalar!(
                "SELECT status FROM onboarding_applications WHERE id = $1 AND phone = $2 FOR UPDATE",
                id,
                phone
            )
            .fetch_optional(&mut *tx)
            .await?;
            match status.as_deref() {
                None => return Ok(Err(Refusal::Unknown)),
                Some("draft") => {}
                Some(_) if supplement => {}
                Some(_) => return Ok(Err(Refusal::NotDraft)),
            }
            sqlx::query!(
                "UPDATE onboarding_applications
                    SET org_id = $2, legal_name = $3, credit_code = $4, legal_rep = $5,
                        id_number = $6, contact_phone = $7, business_category = $8, address = $9,
                        stores = $10, bank_name = $11, account_name = $12, account_no = $13,
                        updated_at = $14
                  WHERE id = $1",
                id,
                org_id,
                draft.legal_name,
                draft.credit_code,
                draft.legal_rep,
                draft.id_number,
                draft.contact_phone,
                draft.business_category,
                draft.address,
                stores,
                draft.bank_name,
                draft.account_name,
                draft.account_no,
                now
            )
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    tx.commit().await?;
    Ok(Ok(id))
}

/// The fields a submission needs that `draft` lacks, by their names.
pub fn missing(draft: &Draft) -> Vec<&'static str> {
    let mut out = Vec::new();
    let fields: [(&'static str, &Option<String>); 11] = [
        ("org_code", &draft.org_code),
        ("legal_name", &draft.legal_name),
        ("credit_code", &draft.credit_code),
        ("legal_rep", &draft.legal_rep),
        ("id_number", &draft.id_number),
        ("contact_phone", &draft.contact_phone),
        ("business_category", &draft.business_category),
        ("address", &draft.address),
        ("bank_name", &draft.bank_name),
        ("account_name", &draft.account_name),
        ("account_no", &draft.account_no),
    ];
    for (name, value) in fields {
        if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
            out.push(name);
        }
    }
    if draft.stores.is_empty() || draft.stores.len() > MAX_STORES {
        out.push("stores");
    }
    out
}

/// Submits the draft `id` of `phone`: its number (`RZ…`) issued and registered, the application
/// no longer editable. A second call answers the same number (the caller then starts the process,
/// which is started once).
pub async fn submit(
    pool: &PgPool,
    phone: &str,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<Application, Refusal>, sqlx::Error> {
    let Some(application) = load(pool, id).await?.filter(|a| a.phone == phone) else {
        return Ok(Err(Refusal::Unknown));
    };
    if application.status != "draft" {
        return Ok(Ok(application));
    }
    let lacking = missing(&application.draft);
    if !lacking.is_empty() {
        return Ok(Err(Refusal::Incomplete(lacking)));
    }
    let mut tx = pool.begin().await?;
    let code = sqlx::query_scalar!(
        r#"UPDATE onboarding_applications
              SET status = 'submitted', code = issue_business_no('RZ', $3), submitted_at = $3,
                  updated_at = $3
            WHERE id = $1 AND phone = $2 AND status = 'draft'
        RETURNING code AS "code!""#,
        id,
        phone,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(code) = &code {
        numbers::register(&mut tx, Series::Onboarding, &id.to_string(), code, now).await?;
    }
    tx.commit().await?;
    Ok(load(pool, id).await?.ok_or(Refusal::Unknown))
}

/// The core banking system's account check, over the ESB.
#[derive(Clone)]
pub struct CoreBanking {
    pub outbound: Arc<Outbound>,
    /// The ESB's URL for the core's account enquiry.
    pub url: String,
}

impl CoreBanking {
    /// Asks the core whether the account number, name and bank belong together (ESB service
    /// `core.account.verify`, consumer serial `serial`): `{"match", "reason"}` as it is recorded,
    /// or why the core could not be asked.
    pub(crate) async fn verify_account(
        &self,
        serial: String,
        account_no: Option<&str>,
        account_name: Option<&str>,
        bank_name: Option<&str>,
    ) -> Result<Value, String> {
        let body = json!({
            "sysHead": {"serviceCode": "core.account.verify", "consumerSeqNo": serial},
            "body": {
                "accountNo": account_no,
                "accountName": account_name,
                "bankName": bank_name,
            }
        });
        let delivery = self
            .outbound
            .call(&Call {
                target: Target::Esb,
                service: "core.account.verify",
                url: &self.url,
                headers: Vec::new(),
                body: &body,
                idempotency: Idempotency::Idempotent,
                judge: core_judge,
                notification_id: None,
            })
            .await;
        let answer = match delivery.result {
            Ok(answer) => answer,
            Err(Failure::Refused(e) | Failure::Unavailable(e)) => return Err(e),
            Err(Failure::CircuitOpen) => return Err("circuit open".into()),
        };
        Ok(json!({
            "match": answer.get("match").and_then(Value::as_bool) == Some(true),
            "reason": answer.get("reason").and_then(Value::as_str),
        }))
    }
}

/// The core's answer `{"retCode": "000000", "match": true}`: anything but `000000` is a refusal.
fn core_judge(answer: &Value) -> Result<(), String> {
    match answer.get("retCode").and_then(Value::as_str) {
        Some("000000") => Ok(()),
        Some(code) => Err(format!("core answered {code}")),
        None => Err("core answered no retCode".into()),
    }
}

/// What provisioning could not do now; Temporal retries the activity.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("no such application {0}")]
    Unknown(Uuid),
    #[error("the application has no number or branch")]
    Incomplete,
    #[error("the core banking system is not configured")]
    NoCore,
    #[error("no data key to seal the administrator's one-time password")]
    NoDataKey,
    #[error("the core banking system: {0}")]
    Core(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// A step's recorded result, if it was done.
async fn step_done(
    conn: &mut PgConnection,
    id: Uuid,
    step: &str,
    round: i32,
) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT result FROM onboarding_steps WHERE application_id = $1 AND step = $2 AND round = $3",
        id,
        step,
        round
    )
    .fetch_optional(conn)
    .await
}

async fn record_step(
    conn: &mut PgConnection,
    id: Uuid,
    step: &str,
    round: i32,
    result: &Value,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO onboarding_steps (application_id, step, round, result, done_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        id,
        step,
        round,
        result,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The system's own audit fields (provisioning acts for the bank, not a person).
fn system() -> Entry {
    Entry {
        username: Some("system".into()),
        ..Entry::default()
    }
}

/// Checks the settlement account once per round: the recorded answer if there is one, else the
/// core's, recorded. `Ok(None)` when it matched, `Ok(Some(reason))` when it did not.
async fn check_account(
    pool: &PgPool,
    core: Option<&CoreBanking>,
    application: &Application,
    round: i32,
    now: DateTime<Utc>,
) -> Result<Option<String>, ProvisionError> {
    let mut conn = pool.acquire().await?;
    let recorded = step_done(&mut conn, application.id, "account_check", round).await?;
    let result = match recorded {
        Some(result) => result,
        None => {
            let core = core.ok_or(ProvisionError::NoCore)?;
            let draft = &application.draft;
            let result = core
                .verify_account(
                    format!("{}-{round}", application.id.simple()),
                    draft.account_no.as_deref(),
                    draft.account_name.as_deref(),
                    draft.bank_name.as_deref(),
                )
                .await
                .map_err(ProvisionError::Core)?;
            record_step(
                &mut conn,
                application.id,
                "account_check",
                round,
                &result,
                now,
            )
            .await?;
            // a concurrent attempt may have recorded first: its answer is the one
            step_done(&mut conn, application.id, "account_check", round)
                .await?
                .unwrap_or(result)
        }
    };
    if result.get("match").and_then(Value::as_bool) == Some(true) {
        Ok(None)
    } else {
        let reason = result
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("账户名称与账号不符");
        Ok(Some(format!("结算账户核验未通过：{reason}")))
    }
}

/// The merchant's code: its application number's digits after `M`.
pub fn merchant_code(application_no: &str) -> String {
    format!("M{}", application_no.trim_start_matches("RZ"))
}

/// Creates the merchant and its stores once; its id.
async fn create_merchant(
    pool: &PgPool,
    application: &Application,
    code: &str,
    org_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if let Some(done) = step_done(&mut tx, application.id, "merchant", 0).await? {
        let id = done["merchant_id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok());
        if let Some(id) = id {
            return Ok(id);
        }
    }
    let name = application.draft.legal_name.clone().unwrap_or_default();
    let id = sqlx::query_scalar!(
        "INSERT INTO merchants (code, name, org_id, created_at) VALUES ($1, $2, $3, $4)
         RETURNING id",
        code,
        name,
        org_id,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    for store in &application.draft.stores {
        sqlx::query!(
            "INSERT INTO stores (merchant_id, code, name) VALUES ($1, $2, $3)",
            id,
            store.code,
            store.name
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "UPDATE onboarding_applications SET merchant_id = $2 WHERE id = $1",
        application.id,
        id
    )
    .execute(&mut *tx)
    .await?;
    record_step(
        &mut tx,
        application.id,
        "merchant",
        0,
        &json!({ "merchant_id": id, "code": code }),
        now,
    )
    .await?;
    let stores: Vec<(&str, &str)> = application
        .draft
        .stores
        .iter()
        .map(|s| (s.code.as_str(), s.name.as_str()))
        .collect();
    let entry = Entry {
        action: "benefit.merchant.create",
        target: Some(code.to_owned()),
        after: Some(json!({
            "code": code, "name": name, "org_id": org_id, "stores": stores,
            "request": application.code,
        })),
        ..system()
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// The role a provisioned merchant administrator gets: manages the merchant's cashiers.
pub const ADMINISTRATOR_ROLE: &str = crate::merchants::users::ADMIN_ROLE;

/// Creates the merchant's administrator once, with a one-time password that must be changed at
/// the first sign-in, and queues the SMS that carries it in the same transaction — the password
/// sealed under the data key in that row, never in clear at rest.
async fn create_administrator(
    pool: &PgPool,
    data_key: &DataKey,
    application: &Application,
    code: &str,
    merchant_id: Uuid,
    org_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    if step_done(&mut tx, application.id, "administrator", 0)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let username = code.to_ascii_lowercase();
    let (password, hash) = crate::identity::users::new_temporary_password().await?;
    let phone = application
        .draft
        .contact_phone
        .clone()
        .unwrap_or_else(|| application.phone.clone());
    let display_name: String = format!(
        "{}管理员",
        application.draft.legal_name.as_deref().unwrap_or_default()
    )
    .chars()
    .take(50)
    .collect();
    let user_id = sqlx::query_scalar!(
        "INSERT INTO users (username, display_name, org_id, kind, merchant_id, password_hash,
                            must_change_password, password_changed_at, phone)
         VALUES ($1, $2, $3, 'merchant', $4, $5, true, $6, $7) RETURNING id",
        username,
        display_name,
        org_id,
        merchant_id,
        hash,
        now,
        phone
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO user_roles (user_id, role_id, granted_at)
         SELECT $1, id, $2 FROM roles WHERE code = $3",
        user_id,
        now,
        ADMINISTRATOR_ROLE
    )
    .execute(&mut *tx)
    .await?;
    let params: BTreeMap<String, String> = [
        ("merchant".to_owned(), code.to_owned()),
        ("username".to_owned(), username.clone()),
    ]
    .into_iter()
    .collect();
    let secret: BTreeMap<String, String> =
        [("password".to_owned(), password)].into_iter().collect();
    queue_sms(
        &mut tx,
        &format!("onboarding/{}/administrator/sms", application.id),
        "QY_MERCHANT_ADMIN",
        &params,
        Some((data_key, &secret)),
        &phone,
        "商户管理员开通",
        now,
    )
    .await?;
    record_step(
        &mut tx,
        application.id,
        "administrator",
        0,
        &json!({ "user_id": user_id, "username": username }),
        now,
    )
    .await?;
    let entry = Entry {
        action: "system.user.create",
        target: Some(username.clone()),
        after: Some(json!({
            "username": username, "display_name": display_name, "org_id": org_id,
            "roles": [ADMINISTRATOR_ROLE],
            "phone": crate::pii::mask(crate::pii::Kind::Phone, &phone),
            "request": application.code,
        })),
        ..system()
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await
}

/// Queues an SMS of template `template` to `phone` under `key` (once). `secret` variables are
/// sealed under the data key (the sender opens them); the row's body shows them as `******`.
#[allow(clippy::too_many_arguments)]
async fn queue_sms(
    conn: &mut PgConnection,
    key: &str,
    template: &str,
    params: &BTreeMap<String, String>,
    secret: Option<(&DataKey, &BTreeMap<String, String>)>,
    phone: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut shown = params.clone();
    if let Some((_, secret)) = secret {
        shown.extend(secret.keys().map(|k| (k.clone(), "******".to_owned())));
    }
    let body = match notify::sms_template(&mut *conn, template).await? {
        Ok(t) => t.render(&shown).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "an SMS does not fit its template");
            subject.to_owned()
        }),
        Err(e) => {
            tracing::warn!(error = %e, "an SMS template is missing");
            subject.to_owned()
        }
    };
    let outgoing = Outgoing {
        key: key.to_owned(),
        kind: "onboarding".to_owned(),
        workflow_id: None,
        user_id: None,
        channel: Channel::Sms,
        recipient: phone.to_owned(),
        subject: subject.to_owned(),
        body,
        template_code: Some(template.to_owned()),
        params: Some(serde_json::to_value(params).expect("strings serialize")),
        sealed_params: secret.map(|(data_key, secret)| notify::seal_params(data_key, key, secret)),
    };
    notify::queue(conn, &outgoing, now).await?;
    Ok(())
}

/// Provisions the application of `request`: the account checked (once a round), then the
/// merchant with its stores and its administrator (once ever).
pub async fn provision_application(
    pool: &PgPool,
    core: Option<&CoreBanking>,
    data_key: Option<&DataKey>,
    request: &ProvisionRequest,
) -> Result<Provisioned, ProvisionError> {
    let id = Uuid::parse_str(&request.application_id)
        .map_err(|e| ProvisionError::Database(sqlx::Error::Decode(Box::new(e))))?;
    let application = load(pool, id).await?.ok_or(ProvisionError::Unknown(id))?;
    let (Some(number), Some(org_id)) = (application.code.clone(), application.org_id) else {
        return Err(ProvisionError::Incomplete);
    };
    let now = request.at;
    let data_key = data_key.ok_or(ProvisionError::NoDataKey)?;
    if let Some(reason) = check_account(pool, core, &application, request.round, now).await? {
        return Ok(Provisioned::AccountMismatch { reason });
    }
    let code = merchant_code(&number);
    let merchant_id = create_merchant(pool, &application, &code, org_id, now).await?;
    create_administrator(
        pool,
        data_key,
        &application,
        &code,
        merchant_id,
        org_id,
        now,
    )
    .await?;
    Ok(Provisioned::Opened {
        merchant_code: code,
    })
}

/// Queues the applicant's SMS of `notice` (once per key).
pub async fn queue_applicant_notice(
    pool: &PgPool,
    notice: &ApplicantNotice,
) -> Result<(), sqlx::Error> {
    let id =
        Uuid::parse_str(&notice.application_id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let Some(application) = load(pool, id).await? else {
        return Ok(());
    };
    // the platform takes at most 60 characters a variable
    let text: String = if notice.text.chars().count() > 60 {
        notice.text.chars().take(59).chain(['…']).collect()
    } else {
        notice.text.clone()
    };
    let params: BTreeMap<String, String> = [("text".to_owned(), text)].into_iter().collect();
    let mut conn = pool.acquire().await?;
    queue_sms(
        &mut conn,
        &format!("{}/sms", notice.key),
        "QY_ONBOARDING",
        &params,
        None,
        &application.phone,
        "商户入驻进度",
        notice.at,
    )
    .await
}

/// The onboarding activities the process calls.
pub struct OnboardingActivities {
    pool: PgPool,
    core: Option<CoreBanking>,
    data_key: Option<DataKey>,
}

impl OnboardingActivities {
    /// `core`: where the core banking system's account check is reached; `data_key`: seals the
    /// administrator's one-time password in its SMS row. Without either, provisioning waits (its
    /// activity fails and is retried) until a worker that has them takes it.
    pub fn new(pool: PgPool, core: Option<CoreBanking>, data_key: Option<DataKey>) -> Self {
        Self {
            pool,
            core,
            data_key,
        }
    }
}

#[activities]
impl OnboardingActivities {
    #[activity(definition = quanyi_workflows::onboarding::ProvisionMerchant)]
    pub async fn provision(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: ProvisionRequest,
    ) -> Result<Provisioned, ActivityError> {
        provision_application(
            &self.pool,
            self.core.as_ref(),
            self.data_key.as_ref(),
            &request,
        )
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, application = %request.application_id, "provisioning failed; retried");
                ActivityError::from(anyhow::anyhow!(e))
            })
    }

    #[activity(definition = quanyi_workflows::onboarding::NotifyApplicant)]
    pub async fn notify_applicant(
        self: Arc<Self>,
        _ctx: ActivityContext,
        notice: ApplicantNotice,
    ) -> Result<(), ActivityError> {
        queue_applicant_notice(&self.pool, &notice)
            .await
            .map_err(Into::into)
    }
}
