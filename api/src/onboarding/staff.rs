//! The reviewers' view of an application (`merchant:application:view`, within their data scope as
//! its process is): what the inbox's task opens. Personal data — the legal representative's ID
//! number, the phones, the account number — is masked unless the reader holds
//! `pii:merchant:unmask` and asks (`?unmask=true`), each unmasking audited.

use super::{labels, process_state};
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Path, Query};
use crate::files::{self, FileView};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use crate::process::monitor::process_in_scope;
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use quanyi_activities::audit::{self, Entry};
use quanyi_activities::files::Owner;
use quanyi_activities::identity::scope::scope_of;
use quanyi_activities::onboarding::list::{self, ApplicationFilter, ApplicationRow};
use quanyi_activities::onboarding::{self as store, Application, StoreDraft};
use quanyi_activities::pii::{self, Kind};
use quanyi_activities::process::inbox::{self, TimelineEntry};
use quanyi_workflows::kind::ProcessKind;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;

/// A state of the onboarding process, as a filter.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
pub enum StateParam {
    FirstReview,
    SecondReview,
    Supplement,
    Provisioning,
    Exception,
    Opened,
    Rejected,
    Withdrawn,
    Expired,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(inline)]
    pub state: Option<StateParam>,
    /// The branch's org code.
    #[param(max_length = 32)]
    pub org_code: Option<String>,
    /// Submitted at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Submitted before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Part of the application number or of the legal name.
    #[param(max_length = 100)]
    pub q: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApplicationPage {
    pub items: Vec<ApplicationRow>,
    pub total: i64,
}

fn filled(s: Option<String>, max: usize) -> Option<String> {
    s.map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.chars().count() <= max)
}

/// 商户入驻申请: the submitted applications in the reader's data scope (by the branch, as their
/// processes are), newest submission first, the applicant's phone masked.
#[utoipa::path(get, path = "/api/v1/merchant-applications", operation_id = "merchant_applications", tag = "onboarding",
    params(ListQuery, Paging),
    responses((status = 200, body = ApplicationPage)))]
pub async fn applications(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::MerchantApplicationView>,
    paging: Paging,
    Query(query): Query<ListQuery>,
) -> Result<Json<ApplicationPage>, ApiError> {
    let scope = scope_of(&state.pool, user.id).await?;
    let filter = ApplicationFilter {
        state: query.state.map(|s| format!("{s:?}")),
        org_code: filled(query.org_code, 32),
        from: query.from,
        to: query.to,
        search: filled(query.q, 100),
    };
    let (items, total) = list::applications(
        &state.pool,
        &scope,
        &filter,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(Json(ApplicationPage { items, total }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DetailQuery {
    /// Show the personal data whole (`pii:merchant:unmask`; audited).
    #[serde(default)]
    pub unmask: bool,
}

/// An application as a reviewer sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationDetail {
    pub id: Uuid,
    pub application_no: Option<String>,
    pub workflow_id: String,
    pub state: String,
    pub state_label_zh: String,
    pub state_label_en: String,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
    pub legal_name: Option<String>,
    pub credit_code: Option<String>,
    pub legal_rep: Option<String>,
    /// Masked (`1101**********1234`) unless unmasked.
    pub id_number: Option<String>,
    /// The phone the applicant proved; masked unless unmasked.
    pub applicant_phone: String,
    pub contact_phone: Option<String>,
    pub business_category: Option<String>,
    pub address: Option<String>,
    pub stores: Vec<StoreDraft>,
    pub bank_name: Option<String>,
    pub account_name: Option<String>,
    /// Masked (first and last four) unless unmasked.
    pub account_no: Option<String>,
    pub files: Vec<FileView>,
    /// Whether the personal data above is shown whole.
    pub unmasked: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The process's history, oldest first: each decision with its reviewer and comment.
    pub timeline: Vec<TimelineEntry>,
}

/// The submitted application `id` in `user`'s scope, or `QY-ONB-0005`.
async fn in_scope(
    state: &AppState,
    user: &quanyi_activities::identity::User,
    id: Uuid,
) -> Result<Application, ApiError> {
    let application = store::load(&state.pool, id)
        .await?
        .filter(|a| a.status != "draft")
        .ok_or(ErrorCode::UnknownApplication)?;
    let workflow_id = ProcessKind::MerchantOnboarding.workflow_id(&id.to_string());
    process_in_scope(state, user, &workflow_id)
        .await
        .map_err(|_| ApiError::from(ErrorCode::UnknownApplication))?;
    Ok(application)
}

/// A submitted application, personal data masked unless `unmask` (with `pii:merchant:unmask`).
#[utoipa::path(get, path = "/api/v1/merchant-applications/{id}", operation_id = "merchant_application_detail", tag = "onboarding",
    params(("id" = Uuid, Path), DetailQuery),
    responses(
        (status = 200, body = ApplicationDetail),
        (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003 unmasking without pii:merchant:unmask"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ONB-0005 no such submitted application in your scope"),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantApplicationView>,
    Path(id): Path<Uuid>,
    Query(query): Query<DetailQuery>,
) -> Result<Json<ApplicationDetail>, ApiError> {
    if query.unmask
        && !user
            .permissions
            .iter()
            .any(|p| p == <perm::MerchantUnmask as perm::Permission>::NAME)
    {
        return Err(ErrorCode::Forbidden.into());
    }
    let application = in_scope(&state, &user, id).await?;
    if query.unmask {
        let entry = Entry {
            action: "pii.merchant.unmask",
            target: application.code.clone(),
            after: Some(serde_json::json!({
                "detail": ["id_number", "applicant_phone", "contact_phone", "account_no"],
            })),
            ..actor(&user, peer)
        };
        let mut tx = state.pool.begin().await?;
        audit::append(&mut tx, state.clock.now(), entry).await?;
        tx.commit().await?;
    }
    Ok(Json(detail_of(&state, application, query.unmask).await?))
}

/// `application` as its readers see it: personal data masked unless `unmask` (the caller checked
/// the permission and audited it).
pub(crate) async fn detail_of(
    state: &AppState,
    application: Application,
    unmask: bool,
) -> Result<ApplicationDetail, ApiError> {
    let id = application.id;
    let shown = |kind: Kind, value: &str| {
        if unmask {
            value.to_owned()
        } else {
            pii::mask(kind, value)
        }
    };
    let name = process_state(state, &application)
        .await?
        .unwrap_or_else(|| "draft".to_owned());
    let (zh, en) = labels(&name);
    let files = quanyi_activities::files::of_application(&state.pool, id)
        .await?
        .into_iter()
        .map(FileView::from)
        .collect();
    let workflow_id = ProcessKind::MerchantOnboarding.workflow_id(&id.to_string());
    let timeline = inbox::timeline(&state.pool, &workflow_id).await?;
    let d = application.draft;
    Ok(ApplicationDetail {
        id,
        application_no: application.code,
        workflow_id,
        state: name,
        state_label_zh: zh,
        state_label_en: en,
        org_code: application.org_code,
        org_name: application.org_name,
        legal_name: d.legal_name,
        credit_code: d.credit_code,
        legal_rep: d.legal_rep,
        id_number: d.id_number.as_deref().map(|v| shown(Kind::IdNumber, v)),
        applicant_phone: shown(Kind::Phone, &application.phone),
        contact_phone: d.contact_phone.as_deref().map(|v| shown(Kind::Phone, v)),
        business_category: d.business_category,
        address: d.address,
        stores: d.stores,
        bank_name: d.bank_name,
        account_name: d.account_name,
        account_no: d.account_no.as_deref().map(|v| shown(Kind::BankCard, v)),
        files,
        unmasked: unmask,
        submitted_at: application.submitted_at,
        timeline,
    })
}

/// A file of a submitted application in the reader's scope.
#[utoipa::path(get, path = "/api/v1/merchant-applications/{id}/files/{file_id}", operation_id = "merchant_application_download", tag = "onboarding",
    params(("id" = Uuid, Path), ("file_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The file, as an attachment", content(("image/jpeg"), ("image/png"), ("application/pdf"))),
        (status = 404, body = crate::error::ErrorBody, description = "QY-ONB-0005 no such application in your scope; QY-FILE-0007 no such file of it"),
    ))]
pub async fn download(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::MerchantApplicationView>,
    Path((id, file_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    in_scope(&state, &user, id).await?;
    let record = quanyi_activities::files::find(&state.pool, file_id)
        .await?
        .filter(|r| r.owner() == Some(Owner::Application(id)))
        .ok_or(ErrorCode::UnknownFile)?;
    files::attachment(&state, record).await
}
