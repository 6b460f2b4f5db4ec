//! 商户线上入驻 over HTTP. The applicant's door (`/api/v1/onboarding/…`) needs no staff account:
//! an SMS code proves the phone (after the sign-in captcha; throttled per phone and address), and
//! the session it opens (the cookie `quanyi_applicant`) reaches only that phone's applications.
//! The staff's side (`/api/v1/merchant-applications/…`) is in [`staff`].

pub mod staff;

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Path, Valid};
use crate::files::{self, FileView};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Multipart, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Utc};
use quanyi_activities::audit::Entry;
use quanyi_activities::files::{FileRecord, Owner};
use quanyi_activities::onboarding::{
    self as store, Application, Draft, Refusal, StoreDraft, applicant, check,
};
use quanyi_activities::pii::{self, Kind};
use quanyi_activities::process::inbox::{self, TimelineEntry};
use quanyi_workflows::approval::Actor;
use quanyi_workflows::kind::{ONBOARDING_EXCEPTION_POLICY, ONBOARDING_REVIEW_POLICY, ProcessKind};
use quanyi_workflows::onboarding::{ApplicantAction, OnboardingInput, OnboardingWorkflow};
use quanyi_workflows::process::{Action, ActionRequest};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// The applicant's session cookie.
pub const COOKIE: &str = "quanyi_applicant";

/// The phone a live applicant session is bound to; `QY-ONB-0004` without one.
pub struct Applicant(pub String);

impl FromRequestParts<AppState> for Applicant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = CookieJar::from_headers(&parts.headers)
            .get(COOKIE)
            .map(|c| c.value().to_owned())
            .ok_or(ErrorCode::ApplicantNotSignedIn)?;
        let phone = applicant::session_phone(&state.pool, &token, state.clock.now())
            .await?
            .ok_or(ErrorCode::ApplicantNotSignedIn)?;
        Ok(Applicant(phone))
    }
}

fn rule(ok: bool) -> Result<(), ValidationError> {
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("rule"))
    }
}

fn valid_phone(phone: &str) -> Result<(), ValidationError> {
    rule(check::phone(phone))
}

fn valid_credit_code(code: &str) -> Result<(), ValidationError> {
    rule(check::credit_code(code))
}

fn valid_id_number(number: &str) -> Result<(), ValidationError> {
    rule(check::id_number(number))
}

fn valid_account_no(number: &str) -> Result<(), ValidationError> {
    rule(check::account_no(number))
}

fn valid_store_code(code: &str) -> Result<(), ValidationError> {
    rule(check::store_code(code))
}

/// 1–`max` characters, not only spaces.
fn text(value: &str, max: usize) -> Result<(), ValidationError> {
    rule(!value.trim().is_empty() && value.chars().count() <= max)
}

fn text_50(value: &str) -> Result<(), ValidationError> {
    text(value, 50)
}

fn text_100(value: &str) -> Result<(), ValidationError> {
    text(value, 100)
}

fn text_200(value: &str) -> Result<(), ValidationError> {
    text(value, 200)
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct CodeRequest {
    #[schema(example = "13812345678", pattern = "^1[3-9][0-9]{9}$")]
    #[validate(custom(function = "valid_phone", code = "QY-SYS-1028"))]
    pub phone: String,
    /// The sign-in captcha (`GET /api/v1/auth/captcha`) and its answer.
    pub captcha_id: Uuid,
    #[schema(max_length = 10)]
    #[validate(length(max = 10, code = "QY-AUTH-0006"))]
    pub captcha_answer: String,
}

/// Sends a six-digit code to the phone by SMS (valid 5 minutes). One a minute and five an hour a
/// phone, twenty an hour from one address; the captcha is spent either way.
#[utoipa::path(post, path = "/api/v1/onboarding/codes", tag = "onboarding",
    request_body = CodeRequest,
    responses(
        (status = 204, description = "The code is on its way"),
        (status = 400, body = crate::error::ErrorBody, description = "QY-AUTH-0006 wrong or expired captcha"),
        (status = 429, body = crate::error::ErrorBody, description = "QY-ONB-0001 this phone asked too often; QY-ONB-0002 this address asked too often"),
    ))]
pub async fn send_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Valid(body): Valid<CodeRequest>,
) -> Result<StatusCode, ApiError> {
    let now = state.clock.now();
    if !quanyi_activities::identity::captcha::check(
        &state.pool,
        body.captcha_id,
        &body.captcha_answer,
        now,
    )
    .await?
    {
        return Err(ErrorCode::BadCaptcha.into());
    }
    let sent = applicant::send_code(
        &state.pool,
        &state.settings.data_key,
        &body.phone,
        &peer.ip().to_string(),
        now,
    )
    .await?;
    match sent {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(applicant::Throttled::Phone) => Err(ErrorCode::CodeThrottledPhone.into()),
        Err(applicant::Throttled::Address) => Err(ErrorCode::CodeThrottledAddress.into()),
    }
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct SessionRequest {
    #[schema(example = "13812345678", pattern = "^1[3-9][0-9]{9}$")]
    #[validate(custom(function = "valid_phone", code = "QY-SYS-1028"))]
    pub phone: String,
    #[schema(example = "123456", max_length = 6)]
    #[validate(length(max = 6, code = "QY-ONB-0003"))]
    pub code: String,
}

/// Proves the phone with the code it received and opens the applicant's session (2 hours), bound
/// to that phone.
#[utoipa::path(post, path = "/api/v1/onboarding/sessions", tag = "onboarding",
    request_body = SessionRequest,
    responses(
        (status = 204, description = "Signed in: the cookie `quanyi_applicant` is set"),
        (status = 401, body = crate::error::ErrorBody, description = "QY-ONB-0003 wrong or expired code (five tries a code)"),
    ))]
pub async fn open_session(
    State(state): State<AppState>,
    jar: CookieJar,
    Valid(body): Valid<SessionRequest>,
) -> Result<(CookieJar, StatusCode), ApiError> {
    let token = applicant::verify_code(&state.pool, &body.phone, &body.code, state.clock.now())
        .await?
        .ok_or(ErrorCode::WrongSmsCode)?;
    let cookie = Cookie::build((COOKIE, token))
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Strict)
        .path("/api/v1/onboarding")
        .max_age(time::Duration::hours(applicant::SESSION_HOURS))
        .build();
    Ok((jar.add(cookie), StatusCode::NO_CONTENT))
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, utoipa::ToSchema)]
pub struct StoreBody {
    #[schema(example = "S001", pattern = "^[0-9A-Za-z_-]{1,32}$")]
    #[validate(custom(function = "valid_store_code", code = "QY-ONB-0013"))]
    pub code: String,
    #[schema(example = "人民路店", max_length = 100)]
    #[validate(custom(function = "text_100", code = "QY-ONB-0013"))]
    pub name: String,
    #[schema(max_length = 200)]
    #[validate(custom(function = "text_200", code = "QY-ONB-0013"))]
    pub address: Option<String>,
}

/// The application's fields; every one may be left out of a draft, a submission needs them all.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
pub struct DraftBody {
    /// The branch of the merchant's area (`GET /api/v1/onboarding/branches`).
    #[schema(example = "BR01", max_length = 32)]
    #[validate(length(min = 1, max = 32, code = "QY-ONB-0012"))]
    pub org_code: Option<String>,
    #[schema(example = "城东鲜果商行有限公司", max_length = 100)]
    #[validate(custom(function = "text_100", code = "QY-ONB-0010"))]
    pub legal_name: Option<String>,
    /// 统一社会信用代码 (GB 32100-2015): 18 characters, the last its check digit.
    #[schema(example = "91310000MA1FL0000N", pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$")]
    #[validate(custom(function = "valid_credit_code", code = "QY-ONB-0008"))]
    pub credit_code: Option<String>,
    /// 法定代表人.
    #[schema(example = "张三", max_length = 50)]
    #[validate(custom(function = "text_50", code = "QY-ONB-0010"))]
    pub legal_rep: Option<String>,
    /// The legal representative's resident ID number (18 characters, the last its check digit).
    #[schema(example = "11010519491231002X", pattern = "^[0-9]{17}[0-9X]$")]
    #[validate(custom(function = "valid_id_number", code = "QY-ONB-0009"))]
    pub id_number: Option<String>,
    #[schema(example = "13812345678", pattern = "^1[3-9][0-9]{9}$")]
    #[validate(custom(function = "valid_phone", code = "QY-SYS-1028"))]
    pub contact_phone: Option<String>,
    #[schema(example = "零售", max_length = 50)]
    #[validate(custom(function = "text_50", code = "QY-ONB-0010"))]
    pub business_category: Option<String>,
    #[schema(max_length = 200)]
    #[validate(custom(function = "text_200", code = "QY-ONB-0010"))]
    pub address: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50)]
    #[validate(length(max = 50, code = "QY-ONB-0013"), nested)]
    pub stores: Vec<StoreBody>,
    /// The settlement account: its bank, its name and its number.
    #[schema(max_length = 100)]
    #[validate(custom(function = "text_100", code = "QY-ONB-0010"))]
    pub bank_name: Option<String>,
    #[schema(max_length = 100)]
    #[validate(custom(function = "text_100", code = "QY-ONB-0010"))]
    pub account_name: Option<String>,
    #[schema(example = "6222020200112233445", pattern = "^[0-9]{8,32}$")]
    #[validate(custom(function = "valid_account_no", code = "QY-ONB-0011"))]
    pub account_no: Option<String>,
}

impl DraftBody {
    pub(crate) fn into_draft(self) -> Result<Draft, ApiError> {
        let mut seen = HashSet::new();
        if let Some(i) = self
            .stores
            .iter()
            .position(|s| !seen.insert(s.code.clone()))
        {
            return Err(ApiError::fields(vec![FieldError {
                field: format!("stores[{i}].code"),
                code: ErrorCode::InvalidStoreDraft,
            }]));
        }
        let trim = |v: Option<String>| v.map(|v| v.trim().to_owned());
        Ok(Draft {
            org_code: self.org_code,
            legal_name: trim(self.legal_name),
            credit_code: self.credit_code,
            legal_rep: trim(self.legal_rep),
            id_number: self.id_number,
            contact_phone: self.contact_phone,
            business_category: trim(self.business_category),
            address: trim(self.address),
            stores: self
                .stores
                .into_iter()
                .map(|s| StoreDraft {
                    code: s.code,
                    name: s.name.trim().to_owned(),
                    address: trim(s.address),
                })
                .collect(),
            bank_name: trim(self.bank_name),
            account_name: trim(self.account_name),
            account_no: self.account_no,
        })
    }
}

/// An application as its applicant sees it: everything they entered (it is theirs), where it
/// stands and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    pub id: Uuid,
    /// 申请编号, once submitted.
    pub application_no: Option<String>,
    /// `draft`, or the process's state once submitted (`FirstReview`, `Supplement`, `Opened` …).
    pub state: String,
    pub state_label_zh: String,
    pub state_label_en: String,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
    pub legal_name: Option<String>,
    pub credit_code: Option<String>,
    pub legal_rep: Option<String>,
    pub id_number: Option<String>,
    pub contact_phone: Option<String>,
    pub business_category: Option<String>,
    pub address: Option<String>,
    pub stores: Vec<StoreDraft>,
    pub bank_name: Option<String>,
    pub account_name: Option<String>,
    pub account_no: Option<String>,
    pub files: Vec<FileView>,
    /// What the applicant may do now: `edit`, `upload`, `submit`, `resubmit`, `withdraw`.
    pub allowed_actions: Vec<String>,
    /// When the requested material is due (待补件).
    pub supplement_due_at: Option<DateTime<Utc>>,
    /// The reviewers' last word (a return's or a rejection's reason).
    pub last_comment: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// The process state of a submitted application, from the read model.
pub(crate) async fn process_state(
    state: &AppState,
    application: &Application,
) -> Result<Option<String>, ApiError> {
    if application.status == "draft" {
        return Ok(None);
    }
    let workflow_id = ProcessKind::MerchantOnboarding.workflow_id(&application.id.to_string());
    Ok(sqlx::query_scalar!(
        "SELECT state FROM process_instances WHERE workflow_id = $1",
        workflow_id
    )
    .fetch_optional(&state.pool)
    .await?)
}

/// The labels of a state name of the onboarding machine (`draft` for a draft).
pub(crate) fn labels(name: &str) -> (String, String) {
    use quanyi_workflows::onboarding::State;
    use quanyi_workflows::table::Labels;
    State::ALL
        .into_iter()
        .find(|s| s.name() == name)
        .map_or_else(
            || ("草稿".to_owned(), "Draft".to_owned()),
            |s| (s.label_zh().to_owned(), s.label_en().to_owned()),
        )
}

/// The applicant as the process knows them (no staff account).
pub fn applicant_actor(application: &Application) -> Actor {
    Actor {
        user_id: format!("applicant:{}", application.id),
        username: format!("applicant:{}", pii::mask(Kind::Phone, &application.phone)),
        display_name: application
            .draft
            .legal_name
            .clone()
            .unwrap_or_else(|| "申请人".to_owned()),
        org_path: String::new(),
        roles: Vec::new(),
    }
}

fn applicant_entry(application: &Application, peer: SocketAddr) -> Entry {
    Entry {
        username: Some(format!(
            "applicant:{}",
            pii::mask(Kind::Phone, &application.phone)
        )),
        org_id: application.org_id,
        ip: Some(peer.ip().to_string()),
        ..Entry::default()
    }
}

async fn view_of(state: &AppState, application: Application) -> Result<ApplicationView, ApiError> {
    let process = process_state(state, &application).await?;
    let workflow_id = ProcessKind::MerchantOnboarding.workflow_id(&application.id.to_string());
    let (timeline, detail, allowed) = match &process {
        None => (Vec::new(), None, vec!["edit", "upload", "submit"]),
        Some(name) => {
            let actor = applicant_actor(&application);
            // an ended process has nothing left to offer: its history is the read model's
            let view = if ended(name) {
                None
            } else {
                crate::process::view(state, &workflow_id, &actor).await?
            };
            let mut allowed: Vec<&str> = Vec::new();
            if let Some(view) = &view {
                for a in &view.allowed_actions {
                    match a.as_str() {
                        "resubmit" => allowed.extend(["edit", "upload", "resubmit"]),
                        "withdraw_application" => allowed.push("withdraw"),
                        _ => {}
                    }
                }
            }
            (
                inbox::timeline(&state.pool, &workflow_id).await?,
                view.map(|v| v.detail),
                allowed,
            )
        }
    };
    let name = process.clone().unwrap_or_else(|| "draft".to_owned());
    let (zh, en) = labels(&name);
    let files = quanyi_activities::files::of_application(&state.pool, application.id)
        .await?
        .into_iter()
        .map(FileView::from)
        .collect();
    let last_comment = timeline
        .iter()
        .rev()
        .find(|t| matches!(t.event.as_str(), "Return" | "Reject"))
        .and_then(|t| t.comment.clone());
    let d = application.draft;
    Ok(ApplicationView {
        id: application.id,
        application_no: application.code,
        state: name,
        state_label_zh: zh,
        state_label_en: en,
        org_code: application.org_code,
        org_name: application.org_name,
        legal_name: d.legal_name,
        credit_code: d.credit_code,
        legal_rep: d.legal_rep,
        id_number: d.id_number,
        contact_phone: d.contact_phone,
        business_category: d.business_category,
        address: d.address,
        stores: d.stores,
        bank_name: d.bank_name,
        account_name: d.account_name,
        account_no: d.account_no,
        files,
        allowed_actions: allowed.into_iter().map(String::from).collect(),
        supplement_due_at: detail
            .as_ref()
            .and_then(|d| d.get("supplement_due_at"))
            .and_then(|v| serde_json::from_value(v.clone()).ok()),
        last_comment,
        timeline,
        created_at: application.created_at,
        submitted_at: application.submitted_at,
    })
}

/// The application `id` of the signed-in phone; `QY-ONB-0005` for anyone else's.
async fn own(state: &AppState, phone: &str, id: Uuid) -> Result<Application, ApiError> {
    store::load(&state.pool, id)
        .await?
        .filter(|a| a.phone == phone)
        .ok_or_else(|| ErrorCode::UnknownApplication.into())
}

/// Whether the applicant may change the application now: a draft, or one waiting for material.
async fn editable(state: &AppState, application: &Application) -> Result<bool, ApiError> {
    Ok(match process_state(state, application).await? {
        None => true,
        Some(s) => s == "Supplement",
    })
}

pub(crate) fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::Unknown => ErrorCode::UnknownApplication.into(),
        Refusal::NotDraft => ErrorCode::ApplicationNotEditable.into(),
        Refusal::UnknownOrg => ApiError::fields(vec![FieldError {
            field: "org_code".into(),
            code: ErrorCode::UnknownBranch,
        }]),
        Refusal::Incomplete(fields) => ApiError::fields(
            fields
                .into_iter()
                .map(|f| FieldError {
                    field: f.into(),
                    code: ErrorCode::ApplicationIncomplete,
                })
                .collect(),
        ),
    }
}

/// A branch an applicant may choose as the merchant's area.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BranchOption {
    pub code: String,
    pub name: String,
}

/// The branches, for the form's 所属区域.
#[utoipa::path(get, path = "/api/v1/onboarding/branches", tag = "onboarding",
    responses((status = 200, body = [BranchOption])))]
pub async fn branches(State(state): State<AppState>) -> Result<Json<Vec<BranchOption>>, ApiError> {
    let rows = sqlx::query_as!(
        BranchOption,
        "SELECT code, name FROM orgs WHERE level = 2 ORDER BY code"
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(rows))
}

/// The signed-in phone's applications, newest first.
#[utoipa::path(get, path = "/api/v1/onboarding/applications", tag = "onboarding",
    responses((status = 200, body = [ApplicationView])))]
pub async fn my_applications(
    State(state): State<AppState>,
    Applicant(phone): Applicant,
) -> Result<Json<Vec<ApplicationView>>, ApiError> {
    let mut out = Vec::new();
    for application in store::of_phone(&state.pool, &phone).await? {
        out.push(view_of(&state, application).await?);
    }
    Ok(Json(out))
}

/// Starts a draft with what is filled in so far.
#[utoipa::path(post, path = "/api/v1/onboarding/applications", tag = "onboarding",
    request_body = DraftBody,
    responses(
        (status = 201, body = ApplicationView),
        (status = 422, body = crate::error::ErrorBody, description = "QY-ONB-0008 credit code; QY-ONB-0009 ID number; QY-ONB-0010 a text field; QY-ONB-0011 account number; QY-ONB-0012 no such branch; QY-ONB-0013 a store; QY-SYS-1028 a phone (each named in `fields`)"),
    ))]
pub async fn create_draft(
    State(state): State<AppState>,
    Applicant(phone): Applicant,
    Valid(body): Valid<DraftBody>,
) -> Result<(StatusCode, Json<ApplicationView>), ApiError> {
    let draft = body.into_draft()?;
    let id = store::save_draft(&state.pool, &phone, None, &draft, state.clock.now(), false)
        .await?
        .map_err(refusal)?;
    let application = own(&state, &phone, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(view_of(&state, application).await?),
    ))
}

/// Saves the draft as it is now (or, while material is requested, the application).
#[utoipa::path(put, path = "/api/v1/onboarding/applications/{id}", tag = "onboarding",
    params(("id" = Uuid, Path)),
    request_body = DraftBody,
    responses(
        (status = 200, body = ApplicationView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ONB-0005 no such application of this phone"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-ONB-0006 submitted: it changes only while material is requested"),
        (status = 422, body = crate::error::ErrorBody, description = "the fields at fault, as for a new draft"),
    ))]
pub async fn save_draft(
    State(state): State<AppState>,
    Applicant(phone): Applicant,
    Path(id): Path<Uuid>,
    Valid(body): Valid<DraftBody>,
) -> Result<Json<ApplicationView>, ApiError> {
    let draft = body.into_draft()?;
    let application = own(&state, &phone, id).await?;
    if !editable(&state, &application).await? {
        return Err(ErrorCode::ApplicationNotEditable.into());
    }
    let supplement = application.status != "draft";
    store::save_draft(
        &state.pool,
        &phone,
        Some(id),
        &draft,
        state.clock.now(),
        supplement,
    )
    .await?
    .map_err(refusal)?;
    let application = own(&state, &phone, id).await?;
    Ok(Json(view_of(&state, application).await?))
}

/// Uploads a document to the application (营业执照, ID photos, shop photos): a JPEG, PNG or PDF
/// by content, as `POST /api/v1/files` checks it.
#[utoipa::path(post, path = "/api/v1/onboarding/applications/{id}/files", operation_id = "onboarding_upload", tag = "onboarding",
    params(("id" = Uuid, Path)),
    request_body(content = String, content_type = "multipart/form-data",
        description = "A form with the file in the field `file`"),
    responses(
        (status = 201, body = FileView),
        (status = 400, body = crate::error::ErrorBody, description = "QY-FILE-0008 not a multipart form with the field `file`"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ONB-0005 no such application of this phone"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-ONB-0006 not a draft and no material requested"),
        (status = 413, body = crate::error::ErrorBody, description = "QY-FILE-0002 larger than the cap"),
        (status = 415, body = crate::error::ErrorBody, description = "QY-FILE-0003 not a JPEG, PNG or PDF by its content"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-FILE-0001 empty; QY-FILE-0004 a polyglot; QY-FILE-0005 a bad name; QY-FILE-0006 a damaged image"),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Applicant(phone): Applicant,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    let application = own(&state, &phone, id).await?;
    if !editable(&state, &application).await? {
        return Err(ErrorCode::ApplicationNotEditable.into());
    }
    let by = applicant_entry(&application, peer);
    let view = files::receive(&state, multipart, Owner::Application(id), by).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A file of the application, back to its applicant.
#[utoipa::path(get, path = "/api/v1/onboarding/applications/{id}/files/{file_id}", operation_id = "onboarding_download", tag = "onboarding",
    params(("id" = Uuid, Path), ("file_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The file, as an attachment", content(("image/jpeg"), ("image/png"), ("application/pdf"))),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ONB-0005 no such application; QY-FILE-0007 no such file of it"),
    ))]
pub async fn download(
    State(state): State<AppState>,
    Applicant(phone): Applicant,
    Path((id, file_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    own(&state, &phone, id).await?;
    let record: FileRecord = quanyi_activities::files::find(&state.pool, file_id)
        .await?
        .filter(|r| r.owner() == Some(Owner::Application(id)))
        .ok_or(ErrorCode::UnknownFile)?;
    files::attachment(&state, record).await
}

/// The approval policy `key` of the day.
async fn policy(
    state: &AppState,
    key: &str,
) -> Result<quanyi_workflows::approval::Policy, ApiError> {
    inbox::policy_for(&state.pool, key, "*")
        .await?
        .ok_or_else(|| ErrorCode::InvalidPolicy.into())
}

/// Submits the draft: all its fields and at least one store are needed. Answers the application
/// with its number (`RZ…`), in 待初审 at the branch of its area.
#[utoipa::path(post, path = "/api/v1/onboarding/applications/{id}/submit", operation_id = "onboarding_submit", tag = "onboarding",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ApplicationView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ONB-0005 no such application of this phone"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-ONB-0007 a field a submission needs is missing (each named in `fields`)"),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Applicant(phone): Applicant,
    Path(id): Path<Uuid>,
) -> Result<Json<ApplicationView>, ApiError> {
    let application = submit_and_start(&state, &phone, id, |a| applicant_entry(a, peer)).await?;
    Ok(Json(view_of(&state, application).await?))
}

/// Submits the draft `id` of `phone` and starts its process (once: a second call finds it
/// running). `by` names who submitted, for the audit row written when the process starts: the
/// applicant, or an ESB channel acting for them.
pub async fn submit_and_start(
    state: &AppState,
    phone: &str,
    id: Uuid,
    by: impl FnOnce(&Application) -> Entry,
) -> Result<Application, ApiError> {
    let now = state.clock.now();
    let application = store::submit(&state.pool, phone, id, now)
        .await?
        .map_err(refusal)?;
    let (Some(number), Some(org_id)) = (application.code.clone(), application.org_id) else {
        return Err(ErrorCode::Internal.into());
    };
    let input = OnboardingInput {
        application_id: id.to_string(),
        application_no: number,
        legal_name: application.draft.legal_name.clone().unwrap_or_default(),
        org_id: org_id.to_string(),
        chain: quanyi_activities::campaign::org_chain(&state.pool, org_id).await?,
        applicant: applicant_actor(&application),
        first_policy: policy(state, ProcessKind::MerchantOnboarding.policy_key()).await?,
        second_policy: policy(state, ONBOARDING_REVIEW_POLICY).await?,
        exception_policy: policy(state, ONBOARDING_EXCEPTION_POLICY).await?,
        supplement_seconds: i64::try_from(state.settings.onboarding_supplement.as_secs())
            .unwrap_or(i64::MAX),
    };
    match crate::process::start(
        state,
        ProcessKind::MerchantOnboarding,
        OnboardingWorkflow::run,
        input,
        &id.to_string(),
        &applicant_actor(&application),
    )
    .await
    {
        Ok(_) => {
            let entry = Entry {
                action: "merchant.application.submit",
                target: application.code.clone(),
                after: Some(serde_json::json!({
                    "name": application.draft.legal_name,
                    "org_id": application.org_id,
                })),
                ..by(&application)
            };
            let mut tx = state.pool.begin().await?;
            quanyi_activities::audit::append(&mut tx, now, entry).await?;
            tx.commit().await?;
        }
        // submitted twice: the process runs already
        Err(e) if e.code == ErrorCode::ProcessAlreadyStarted => {}
        Err(e) => return Err(e),
    }
    Ok(application)
}

/// Whether the process state `name` ends the application.
pub(crate) fn ended(name: &str) -> bool {
    matches!(name, "Opened" | "Rejected" | "Withdrawn" | "Expired")
}

/// The applicant's own action on the process.
async fn applicant_act(
    state: &AppState,
    peer: SocketAddr,
    phone: &str,
    id: Uuid,
    action: ApplicantAction,
) -> Result<Json<ApplicationView>, ApiError> {
    let application = own(state, phone, id).await?;
    // the read model says at once what the process would refuse (and an ended one takes nothing)
    let now = process_state(state, &application)
        .await?
        .unwrap_or_default();
    let open = match action {
        ApplicantAction::Resubmit => now == "Supplement",
        ApplicantAction::WithdrawApplication => {
            matches!(now.as_str(), "FirstReview" | "SecondReview" | "Supplement")
        }
    };
    if !open {
        return Err(ErrorCode::WrongProcessState.into());
    }
    let workflow_id = ProcessKind::MerchantOnboarding.workflow_id(&id.to_string());
    crate::process::act(
        state,
        applicant_entry(&application, peer),
        &workflow_id,
        ActionRequest {
            actor: applicant_actor(&application),
            action: Action::Own(action),
            comment: None,
        },
    )
    .await?;
    Ok(Json(view_of(state, application).await?))
}

/// Answers a request for more material (补件): the application goes back to 初审 as it now is.
#[utoipa::path(post, path = "/api/v1/onboarding/applications/{id}/resubmit", tag = "onboarding",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ApplicationView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ONB-0005 no such application of this phone"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0002 no material is requested now (or the deadline passed)"),
    ))]
pub async fn resubmit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Applicant(phone): Applicant,
    Path(id): Path<Uuid>,
) -> Result<Json<ApplicationView>, ApiError> {
    applicant_act(&state, peer, &phone, id, ApplicantAction::Resubmit).await
}

/// Withdraws the application while it is reviewed or waits for material.
#[utoipa::path(post, path = "/api/v1/onboarding/applications/{id}/withdraw", tag = "onboarding",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ApplicationView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ONB-0005 no such application of this phone"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0002 approved, ended, or a draft"),
    ))]
pub async fn withdraw(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Applicant(phone): Applicant,
    Path(id): Path<Uuid>,
) -> Result<Json<ApplicationView>, ApiError> {
    applicant_act(
        &state,
        peer,
        &phone,
        id,
        ApplicantAction::WithdrawApplication,
    )
    .await
}
