//! 权益管理 for staff (BEN-1, BEN-2, BEN-4): coupon templates and their stock, the stock ledger and
//! its chart, coupons handed out (customers masked) with export, redemption records, merchants and
//! stores, API clients — and redemption by a merchant's own staff.

use crate::AppState;
use crate::channel::redeem_refusal;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Paging, Path, Query, Valid, ValidParts, parsed};
use crate::identity::auth::{SteppedUp, actor};
use crate::identity::permission::{self as perm, Authorized};
use crate::system::logs;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use quanyi_activities::benefits::admin::{self, NewTemplate, Refusal};
use quanyi_activities::benefits::clients::{self, ClientKind, NewClient};
use quanyi_activities::benefits::queries::{self, CouponFilter};
use quanyi_activities::benefits::redeem::{self, RedeemRequest, Redeemer, Redemption};
use quanyi_workflows::domain::{Fen, TemplateCode};
use quanyi_workflows::kind::ProcessKind;
use quanyi_workflows::stock;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::CodeTaken => ErrorCode::TemplateCodeTaken,
        Refusal::UnknownTemplate => ErrorCode::UnknownTemplate,
        Refusal::UnknownMerchant => ErrorCode::UnknownMerchant,
        Refusal::UnknownItem => ErrorCode::UnknownItem,
        Refusal::NotEnoughStock => ErrorCode::NotEnoughStock,
        Refusal::WrongStatus => ErrorCode::TemplateWrongStatus,
        Refusal::TermsFrozen => ErrorCode::TemplateTermsFrozen,
        Refusal::UnknownStore => ErrorCode::NoSuchStore,
        Refusal::StatusByApproval => ErrorCode::MerchantStatusByApproval,
    }
    .into()
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Part of the code or name.
    pub q: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TemplatePage {
    pub items: Vec<queries::TemplateRow>,
    pub total: i64,
}

/// Coupon templates with their stock, claims and redemptions.
#[utoipa::path(get, path = "/api/v1/benefits/templates", tag = "benefits", params(PageQuery, Paging),
    responses((status = 200, body = TemplatePage)))]
pub async fn templates(
    State(state): State<AppState>,
    _: Authorized<perm::TemplateView>,
    paging: Paging,
    Query(query): Query<PageQuery>,
) -> Result<Json<TemplatePage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    let q = query.q.filter(|q| !q.is_empty() && q.chars().count() <= 50);
    let (items, total) = queries::templates(&state.pool, q.as_deref(), limit, offset).await?;
    Ok(Json(TemplatePage { items, total }))
}

/// A code of 1–`max` letters, digits, underscores or hyphens.
fn code_like(code: &str, max: usize) -> Result<(), ValidationError> {
    let ok = (1..=max).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("code"))
    }
}

fn template_code(code: &str) -> Result<(), ValidationError> {
    TemplateCode::parse(code)
        .map(drop)
        .map_err(|_| ValidationError::new("code"))
}

/// A template's code in a path: one that does not parse names no template.
fn template_in_path(code: &str) -> Result<TemplateCode, ApiError> {
    TemplateCode::parse(code).map_err(|_| ErrorCode::UnknownTemplate.into())
}

fn kind(kind: &str) -> Result<(), ValidationError> {
    if ["threshold", "discount", "cash", "physical"].contains(&kind) {
        Ok(())
    } else {
        Err(ValidationError::new("kind"))
    }
}

/// What staff set on a template at creation and may change later (BEN-1): the rules on each
/// field live here once, for create and edit alike.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct TemplateTerms {
    /// Its benefit item (权益品目), if any.
    #[schema(min_length = 1, max_length = 32)]
    #[validate(length(min = 1, max = 32, code = "QY-BEN-1011"))]
    pub item_code: Option<String>,
    #[schema(example = "满100减20", min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-BEN-1006"))]
    pub name: String,
    /// Fen.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    #[validate(range(min = 0, max = 1_000_000_000_000_i64, code = "QY-BEN-1007"))]
    pub face_value: i64,
    /// Fen; the order must reach it.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    #[validate(range(min = 0, max = 1_000_000_000_000_i64, code = "QY-BEN-1007"))]
    pub threshold: i64,
    /// For `discount` only: the share paid, per mille (850 = 8.5 折).
    #[schema(minimum = 1, maximum = 999)]
    #[validate(range(min = 1, max = 999, code = "QY-BEN-1006"))]
    pub discount_permille: Option<i32>,
    pub claim_from: chrono::DateTime<chrono::Utc>,
    pub claim_to: chrono::DateTime<chrono::Utc>,
    pub valid_from: Option<chrono::DateTime<chrono::Utc>>,
    pub valid_to: Option<chrono::DateTime<chrono::Utc>>,
    #[schema(minimum = 1, maximum = 3660)]
    #[validate(range(min = 1, max = 3660, code = "QY-BEN-1008"))]
    pub valid_days: Option<i32>,
    #[schema(minimum = 1, maximum = 1000)]
    #[validate(range(min = 1, max = 1000, code = "QY-BEN-1006"))]
    pub limit_per_day: Option<i32>,
    #[schema(minimum = 1, maximum = 10000)]
    #[validate(range(min = 1, max = 10000, code = "QY-BEN-1006"))]
    pub limit_total: Option<i32>,
    /// Per customer, of the claims through one campaign.
    #[schema(minimum = 1, maximum = 1000)]
    #[validate(range(min = 1, max = 1000, code = "QY-BEN-1006"))]
    pub limit_per_campaign: Option<i32>,
    /// Redemptions at one merchant per day.
    #[schema(minimum = 1, maximum = 1_000_000)]
    #[validate(range(min = 1, max = 1_000_000, code = "QY-BEN-1006"))]
    pub limit_per_merchant_day: Option<i32>,
    #[schema(max_items = 100)]
    #[validate(length(max = 100, code = "QY-BEN-1003"))]
    pub merchant_codes: Vec<String>,
}

impl TemplateTerms {
    /// The rules between fields for a template of `kind`, each failure named by its field.
    fn cross_checks(&self, kind: &str) -> Result<(), ApiError> {
        let mut fields = Vec::new();
        let mut fail = |field: &str, code| {
            fields.push(FieldError {
                field: field.into(),
                code,
            })
        };
        if self.claim_to <= self.claim_from {
            fail("claim_to", ErrorCode::InvalidWindow);
        }
        match (self.valid_from, self.valid_to, self.valid_days) {
            (Some(from), Some(to), None) if to > from => {}
            (None, None, Some(_)) => {}
            _ => fail("valid_days", ErrorCode::InvalidWindow),
        }
        if (kind == "discount") != self.discount_permille.is_some() {
            fail("discount_permille", ErrorCode::InvalidTemplate);
        }
        if kind == "threshold" && self.face_value > self.threshold {
            // 满减: the reduction cannot exceed the threshold it needs
            fail("face_value", ErrorCode::InvalidAmount);
        }
        if fields.is_empty() {
            Ok(())
        } else {
            Err(ApiError::fields(fields))
        }
    }

    fn into_edit(self) -> admin::TemplateEdit {
        admin::TemplateEdit {
            item_code: self.item_code,
            name: self.name.trim().to_owned(),
            face_value: self.face_value,
            threshold: self.threshold,
            discount_permille: self.discount_permille,
            claim_from: self.claim_from,
            claim_to: self.claim_to,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            valid_days: self.valid_days,
            limit_per_day: self.limit_per_day,
            limit_total: self.limit_total,
            limit_per_campaign: self.limit_per_campaign,
            limit_per_merchant_day: self.limit_per_merchant_day,
            merchant_codes: self.merchant_codes,
        }
    }
}

/// The fields of a new template that an edit cannot change.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct TemplateIdentity {
    #[schema(example = "T2026-001", pattern = "^[0-9A-Za-z_-]{1,40}$")]
    #[validate(custom(function = "template_code", code = "QY-BEN-1006"))]
    pub code: String,
    /// `threshold` 满减, `discount` 折扣, `cash` 代金券, `physical` 实物.
    #[schema(
        example = "threshold",
        pattern = "^(threshold|discount|cash|physical)$"
    )]
    #[validate(custom(function = "kind", code = "QY-BEN-1006"))]
    pub kind: String,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    #[validate(range(min = 0, max = 1_000_000_000, code = "QY-BEN-1006"))]
    pub initial_stock: i64,
    /// 1–64; more for a hot (seckill) template.
    #[schema(minimum = 1, maximum = 64)]
    #[validate(range(min = 1, max = 64, code = "QY-BEN-1006"))]
    pub shards: i32,
    /// Claimable at once (in its window), or a draft to activate later.
    pub active: bool,
}

// The OpenAPI schema of the body; the handler reads the two parts with `ValidParts`, which names a
// mistyped field where a flattened struct would not.
/// A new template: its identity and its terms, in one flat JSON object.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateTemplateRequest {
    #[serde(flatten)]
    pub identity: TemplateIdentity,
    #[serde(flatten)]
    pub terms: TemplateTerms,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedView {
    pub id: Uuid,
}

/// Create a coupon template with its stock (split over its shards) and the ledger's first row.
#[utoipa::path(post, path = "/api/v1/benefits/templates", tag = "benefits", request_body = CreateTemplateRequest,
    responses(
        (status = 201, body = CreatedView),
        (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-1001 code taken"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-BEN-1003, 1006, 1007, 1008 with fields"),
    ))]
pub async fn create_template(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TemplateCreate>,
    ValidParts(identity, terms): ValidParts<TemplateIdentity, TemplateTerms>,
) -> Result<(StatusCode, Json<CreatedView>), ApiError> {
    terms.cross_checks(&identity.kind)?;
    let code: TemplateCode = parsed("code", identity.code, ErrorCode::InvalidTemplate)?;
    let terms = terms.into_edit();
    let new = NewTemplate {
        code,
        item_code: terms.item_code,
        name: terms.name,
        kind: identity.kind,
        face_value: terms.face_value,
        threshold: terms.threshold,
        discount_permille: terms.discount_permille,
        claim_from: terms.claim_from,
        claim_to: terms.claim_to,
        valid_from: terms.valid_from,
        valid_to: terms.valid_to,
        valid_days: terms.valid_days,
        initial_stock: identity.initial_stock,
        shards: identity.shards,
        limit_per_day: terms.limit_per_day,
        limit_total: terms.limit_total,
        limit_per_campaign: terms.limit_per_campaign,
        limit_per_merchant_day: terms.limit_per_merchant_day,
        merchant_codes: terms.merchant_codes,
        active: identity.active,
    };
    let id = admin::create_template(
        &state.pool,
        &new,
        user.org_id,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(CreatedView { id })))
}

/// Edit a template: name, windows, limits, merchants, item — and its money terms and validity
/// while no coupon has been claimed. Stock has its own endpoint. Audited with before and after.
#[utoipa::path(put, path = "/api/v1/benefits/templates/{code}", tag = "benefits",
    params(("code" = String, Path)), request_body = TemplateTerms,
    responses(
        (status = 204),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1002"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-1013 money terms or validity after a claim"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-BEN-1003, 1006, 1007, 1008, 1011 with fields"),
    ))]
pub async fn update_template(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TemplateUpdate>,
    Path(code): Path<String>,
    Valid(request): Valid<TemplateTerms>,
) -> Result<StatusCode, ApiError> {
    let code = template_in_path(&code)?;
    // the kind never changes, so reading it before the edit's transaction is safe
    let kind = admin::template_kind(&state.pool, &code)
        .await?
        .ok_or(ErrorCode::UnknownTemplate)?;
    request.cross_checks(&kind)?;
    admin::update_template(
        &state.pool,
        &code,
        &request.into_edit(),
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplateStatus {
    Active,
    Withdrawn,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct StatusRequest {
    /// `active` (上架, from draft) or `withdrawn` (下架: no more claims).
    pub status: TemplateStatus,
}

/// 上架 / 下架 a template.
#[utoipa::path(post, path = "/api/v1/benefits/templates/{code}/status", tag = "benefits",
    operation_id = "set_template_status",
    params(("code" = String, Path)), request_body = StatusRequest,
    responses(
        (status = 204),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1002 no such template"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-1005"),
    ))]
pub async fn set_status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TemplateUpdate>,
    Path(code): Path<String>,
    Valid(request): Valid<StatusRequest>,
) -> Result<StatusCode, ApiError> {
    let code = template_in_path(&code)?;
    let status = match request.status {
        TemplateStatus::Active => "active",
        TemplateStatus::Withdrawn => "withdrawn",
    };
    admin::set_status(
        &state.pool,
        &code,
        status,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockAction {
    Increase,
    Withdraw,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct StockRequest {
    /// `increase` (增加库存) or `withdraw` (收回未领取的库存).
    pub action: StockAction,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    #[validate(range(min = 1, max = 1_000_000_000, code = "QY-BEN-1006"))]
    pub quantity: i64,
    /// Why: shown to the approver of a large increase.
    #[schema(max_length = 500)]
    #[validate(length(max = 500, code = "QY-BEN-1006"))]
    pub reason: Option<String>,
}

/// A large increase waiting for its approval process.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StockChangePending {
    pub request_id: Uuid,
    /// The request's business number (`KC…`), what staff see and search by.
    pub code: String,
    pub workflow_id: String,
    pub state: String,
}

/// Add stock, or withdraw unclaimed stock; one ledger row each. An increase above
/// `api.stock_approval_threshold` is not made here: it starts the approval process
/// `stock-change-<id>` (库存变动审批) and answers 202; the stock is added once it is approved.
#[utoipa::path(post, path = "/api/v1/benefits/templates/{code}/stock", tag = "benefits",
    params(("code" = String, Path)), request_body = StockRequest,
    responses(
        (status = 204, description = "done"),
        (status = 202, body = StockChangePending, description = "waiting for approval"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1002 no such template"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-1004 not enough, 1005 withdrawn"),
    ))]
pub async fn change_stock(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::StockUpdate>,
    Path(code): Path<String>,
    Valid(request): Valid<StockRequest>,
) -> Result<Response, ApiError> {
    let (now, by) = (state.clock.now(), actor(&user, peer));
    match request.action {
        StockAction::Increase if request.quantity > state.settings.stock_approval_threshold => {
            let reason = request
                .reason
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
            let pending =
                request_stock_change(&state, &user, &code, request.quantity, reason, by).await?;
            return Ok((StatusCode::ACCEPTED, Json(pending)).into_response());
        }
        StockAction::Increase => {
            admin::increase_stock(&state.pool, &code, request.quantity, now, by).await?
        }
        StockAction::Withdraw => {
            admin::withdraw_stock(&state.pool, &code, request.quantity, now, by).await?
        }
    }
    .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Records the request and starts its approval process with the `stock-change` policy of the day.
async fn request_stock_change(
    state: &AppState,
    user: &quanyi_activities::identity::User,
    code: &str,
    quantity: i64,
    reason: Option<String>,
    by: quanyi_activities::audit::Entry,
) -> Result<StockChangePending, ApiError> {
    let kind = ProcessKind::StockChange;
    let (_, submitter) = crate::process::actor_of(state, user).await?;
    let policy = quanyi_activities::process::inbox::policy_for(&state.pool, kind.policy_key(), "*")
        .await?
        .ok_or(ErrorCode::InvalidPolicy)?;
    let request = admin::request_increase(
        &state.pool,
        code,
        quantity,
        reason.as_deref(),
        state.clock.now(),
        by,
    )
    .await?
    .map_err(refusal)?;
    let input = stock::StockChangeInput {
        request_id: request.id.to_string(),
        template_code: code.to_owned(),
        template_name: request.template_name,
        quantity,
        reason,
        org_id: request.template_org.to_string(),
        chain: quanyi_activities::campaign::org_chain(&state.pool, request.template_org).await?,
        submitted_by: submitter.clone(),
        policy,
    };
    let key = input.request_id.clone();
    let (workflow_id, view) = crate::process::start(
        state,
        kind,
        stock::StockChangeWorkflow::run,
        input,
        &key,
        &submitter,
    )
    .await?;
    Ok(StockChangePending {
        code: request.code,
        request_id: request.id,
        workflow_id,
        state: view.state,
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WithdrawnView {
    /// Claimed-but-unused coupons withdrawn.
    pub withdrawn: u64,
}

/// 收回: withdraw every claimed-but-unused coupon of a template.
#[utoipa::path(post, path = "/api/v1/benefits/templates/{code}/coupon-withdrawal", tag = "benefits",
    params(("code" = String, Path)), responses(
        (status = 200, body = WithdrawnView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1002 no such template"),
    ))]
pub async fn withdraw_coupons(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CouponWithdraw>,
    _: SteppedUp,
    Path(code): Path<String>,
) -> Result<Json<WithdrawnView>, ApiError> {
    let code = template_in_path(&code)?;
    let withdrawn =
        admin::withdraw_unused_coupons(&state.pool, &code, state.clock.now(), actor(&user, peer))
            .await?
            .map_err(refusal)?;
    Ok(Json(WithdrawnView { withdrawn }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MovementPage {
    pub items: Vec<queries::MovementRow>,
    pub total: i64,
    /// Day by day, for the chart.
    pub days: Vec<queries::StockDay>,
}

/// 库存变动查询: a template's stock ledger and its day-by-day totals.
#[utoipa::path(get, path = "/api/v1/benefits/templates/{code}/movements", tag = "benefits",
    params(("code" = String, Path), Paging), responses(
        (status = 200, body = MovementPage),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1002 no such template"),
    ))]
pub async fn movements(
    State(state): State<AppState>,
    _: Authorized<perm::StockView>,
    Path(code): Path<String>,
    paging: Paging,
) -> Result<Json<MovementPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    let (items, total) = queries::movements(&state.pool, &code, state.clock.now(), limit, offset)
        .await?
        .ok_or(ErrorCode::UnknownTemplate)?;
    let days = queries::stock_by_day(&state.pool, &code).await?;
    Ok(Json(MovementPage { items, total, days }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CouponQuery {
    pub template_code: Option<String>,
    /// The full customer number (the list shows it masked).
    pub customer_no: Option<String>,
    /// 活动编号: the campaign's business number (`HD20261207000012`), part of it, or part of its
    /// name; its id works too. At most 100 characters.
    #[param(max_length = 100)]
    pub campaign: Option<String>,
    /// `unused`, `used`, `withdrawn`.
    pub status: Option<String>,
}

impl CouponQuery {
    fn filter(&self) -> Result<CouponFilter<'_>, ApiError> {
        if self
            .status
            .as_deref()
            .is_some_and(|s| !["unused", "used", "withdrawn"].contains(&s))
            || self.customer_no.as_ref().is_some_and(|c| c.len() > 32)
            || self.template_code.as_ref().is_some_and(|c| c.len() > 40)
            || self
                .campaign
                .as_ref()
                .is_some_and(|c| c.chars().count() > 100)
        {
            return Err(ErrorCode::InvalidQuery.into());
        }
        Ok(CouponFilter {
            template_code: self.template_code.as_deref().filter(|s| !s.is_empty()),
            customer_no: self.customer_no.as_deref().filter(|s| !s.is_empty()),
            campaign: self.campaign.as_deref().filter(|s| !s.is_empty()),
            status: self.status.as_deref().filter(|s| !s.is_empty()),
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CouponPage {
    pub items: Vec<queries::CouponRow>,
    /// The matches, counted up to 10,000 (`total_capped`: more than that; narrow the search).
    pub total: i64,
    pub total_capped: bool,
}

/// 发放明细查询: coupons handed out, customers masked, and the codes of coupons that can still be
/// redeemed masked (`code_masked`): for everyone, also a holder of `benefit:coupon:unmask`, who
/// reads one whole through `GET /benefits/coupons/{id}/code`.
#[utoipa::path(get, path = "/api/v1/benefits/coupons", tag = "benefits", params(CouponQuery, Paging),
    responses((status = 200, body = CouponPage)))]
pub async fn coupons(
    State(state): State<AppState>,
    _: Authorized<perm::CouponView>,
    paging: Paging,
    Query(query): Query<CouponQuery>,
) -> Result<Json<CouponPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    let filter = query.filter()?;
    let (items, total) =
        queries::coupons(&state.pool, &filter, state.clock.now(), limit, offset).await?;
    Ok(Json(CouponPage {
        items,
        total: total.min(queries::COUNT_CAP),
        total_capped: total > queries::COUNT_CAP,
    }))
}

/// One coupon's code in full.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CouponCode {
    pub code: String,
}

/// A coupon's code in full (`benefit:coupon:unmask`): an unused code is a bearer secret, so each
/// read is audited — who read which coupon's code, never the code.
#[utoipa::path(get, path = "/api/v1/benefits/coupons/{id}/code", tag = "benefits",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = CouponCode),
        (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003 without benefit:coupon:unmask"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-3001 no such coupon"),
    ))]
pub async fn coupon_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CouponUnmask>,
    Path(id): Path<Uuid>,
) -> Result<Json<CouponCode>, ApiError> {
    let code = queries::unmask_code(&state.pool, id, state.clock.now(), actor(&user, peer))
        .await?
        .ok_or(ErrorCode::UnknownCoupon)?;
    Ok(Json(CouponCode { code }))
}

#[derive(Serialize)]
struct CouponCsvRow {
    code: String,
    template: String,
    customer: String,
    client: String,
    status: String,
    claimed_at: String,
    valid_to: String,
}

/// Export the coupons handed out as CSV (customers and redeemable codes masked, whoever exports;
/// step-up; audited).
#[utoipa::path(get, path = "/api/v1/benefits/coupons/export", tag = "benefits", params(CouponQuery),
    responses((status = 200, content_type = "text/csv", description = "UTF-8 CSV with a BOM")))]
pub async fn export_coupons(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CouponExport>,
    _: SteppedUp,
    Query(query): Query<CouponQuery>,
) -> Result<Response, ApiError> {
    const MAX_ROWS: i64 = 100_000;
    let now = state.clock.now();
    let (items, _) = queries::coupons(&state.pool, &query.filter()?, now, MAX_ROWS, 0).await?;
    let rows = items.len();
    let csv = logs::csv_bytes(items.into_iter().map(|c| CouponCsvRow {
        code: c.code,
        template: c.template_code,
        customer: c.customer_no,
        client: c.client_code,
        status: c.status,
        claimed_at: c.claimed_at.with_timezone(&logs::beijing()).to_rfc3339(),
        valid_to: c.valid_to.with_timezone(&logs::beijing()).to_rfc3339(),
    }))?;
    // the customer filter is personal data: the audit row says only that there was one
    let filter = serde_json::json!({
        "template_code": query.template_code, "status": query.status,
        "campaign": query.campaign, "customer_filter": query.customer_no.is_some(),
    });
    let by = actor(&user, peer);
    logs::export(
        &state,
        by,
        "benefit.coupon.export",
        "coupons",
        &filter,
        csv,
        rows,
    )
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RedemptionQuery {
    /// A template's code, or part of its name (the till's staff type either).
    #[param(max_length = 100)]
    pub template_code: Option<String>,
    /// One store's code.
    #[param(max_length = 32)]
    pub store_code: Option<String>,
    /// Redeemed at or after (RFC 3339).
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Redeemed before (RFC 3339).
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

impl RedemptionQuery {
    /// The filter of `user`'s redemptions: a merchant's users their merchant's only.
    async fn filter(
        &self,
        state: &AppState,
        user: &quanyi_activities::identity::User,
    ) -> Result<queries::RedemptionFilter, ApiError> {
        let text = |s: &Option<String>, max: usize| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.chars().count() <= max)
                .map(str::to_owned)
        };
        Ok(queries::RedemptionFilter {
            merchant_id: merchant_scope(state, user).await?,
            template: text(&self.template_code, 100),
            store_code: text(&self.store_code, 32),
            from: self.from,
            to: self.to,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RedemptionPage {
    pub items: Vec<queries::RedemptionRow>,
    pub total: i64,
}

/// Redemption records, by template, store and time; a merchant's staff see only their merchant's.
#[utoipa::path(get, path = "/api/v1/benefits/redemptions", tag = "benefits", params(RedemptionQuery, Paging),
    responses((status = 200, body = RedemptionPage)))]
pub async fn redemptions(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::RedemptionView>,
    paging: Paging,
    Query(query): Query<RedemptionQuery>,
) -> Result<Json<RedemptionPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    let filter = query.filter(&state, &user).await?;
    let (items, total) =
        queries::redemptions(&state.pool, &filter, state.clock.now(), limit, offset).await?;
    Ok(Json(RedemptionPage { items, total }))
}

#[derive(Serialize)]
struct RedemptionCsvRow {
    coupon: String,
    template: String,
    merchant: String,
    store: String,
    order_amount: String,
    discount: String,
    order_ref: String,
    redeemed_at: String,
    reversed_at: String,
}

/// Yuan from fen, two decimals.
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// Export 核销记录 as CSV with the list's filters (a merchant's staff their merchant's only;
/// redeemable codes masked; step-up; audited).
#[utoipa::path(get, path = "/api/v1/benefits/redemptions/export", tag = "benefits", params(RedemptionQuery),
    responses(
        (status = 200, content_type = "text/csv", description = "UTF-8 CSV with a BOM"),
        (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0011 sign in again first"),
    ))]
pub async fn export_redemptions(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::RedemptionView>,
    _: SteppedUp,
    Query(query): Query<RedemptionQuery>,
) -> Result<Response, ApiError> {
    const MAX_ROWS: i64 = 100_000;
    let filter = query.filter(&state, &user).await?;
    let (items, _) =
        queries::redemptions(&state.pool, &filter, state.clock.now(), MAX_ROWS, 0).await?;
    let rows = items.len();
    let at = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&logs::beijing()).to_rfc3339();
    let csv = logs::csv_bytes(items.into_iter().map(|r| RedemptionCsvRow {
        coupon: r.coupon_code,
        template: r.template_code,
        merchant: r.merchant_code,
        store: r.store_code,
        order_amount: yuan(r.order_amount),
        discount: yuan(r.discount),
        order_ref: r.order_ref,
        redeemed_at: at(r.redeemed_at),
        reversed_at: r.reversed_at.map(&at).unwrap_or_default(),
    }))?;
    let described = serde_json::json!({
        "template_code": filter.template, "store_code": filter.store_code,
        "from": filter.from, "to": filter.to,
        "merchant": filter.merchant_id,
    });
    logs::export(
        &state,
        actor(&user, peer),
        "benefit.redemption.export",
        "redemptions",
        &described,
        csv,
        rows,
    )
    .await
}

/// The merchant a merchant user belongs to (`None` for bank staff, who see all).
async fn merchant_scope(
    state: &AppState,
    user: &quanyi_activities::identity::User,
) -> Result<Option<Uuid>, ApiError> {
    if user.kind != "merchant" {
        return Ok(None);
    }
    let merchant = sqlx::query_scalar!("SELECT merchant_id FROM users WHERE id = $1", user.id)
        .fetch_one(&state.pool)
        .await?;
    merchant
        .map(Some)
        .ok_or_else(|| ErrorCode::NotAMerchantUser.into())
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct StaffRedeemRequest {
    /// Unique per merchant (the page makes one per attempt); a repeat answers as the first.
    #[schema(min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = 64, code = "QY-REQ-0002"))]
    pub request_id: String,
    /// Typed, or the scanned QR payload.
    #[schema(min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = 64, code = "QY-BEN-3001"))]
    pub coupon_code: String,
    #[schema(min_length = 1, max_length = 32)]
    #[validate(length(min = 1, max = 32, code = "QY-BEN-3009"))]
    pub store_code: String,
    /// Fen.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-BEN-1007"))]
    pub order_amount: i64,
    #[schema(min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = 64, code = "QY-REQ-0002"))]
    pub order_ref: String,
}

/// 核销 by a merchant's staff member at the till (scan or type the code).
#[utoipa::path(post, path = "/api/v1/benefits/merchant-redemptions", tag = "benefits",
    request_body = StaffRedeemRequest,
    responses(
        (status = 200, body = Redemption),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant user, 3004 not eligible, QY-MER-0001 the merchant is disabled"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-3001 no such coupon code"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-3002, 3003, 3005, 3006, 3011"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-BEN-3009 no such store"),
    ))]
pub async fn merchant_redeem(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::CouponRedeem>,
    Valid(request): Valid<StaffRedeemRequest>,
) -> Result<Json<Redemption>, ApiError> {
    let merchant_id = merchant_scope(&state, &user)
        .await?
        .ok_or(ErrorCode::NotAMerchantUser)?;
    let order_amount: Fen = parsed(
        "order_amount",
        request.order_amount,
        ErrorCode::InvalidAmount,
    )?;
    let redeem = RedeemRequest {
        merchant_id,
        by: Redeemer::User(user.id),
        request_id: &request.request_id,
        coupon: &request.coupon_code,
        store_code: &request.store_code,
        order_amount,
        order_ref: &request.order_ref,
        nonce: None,
    };
    let done = match redeem::redeem(&state.pool, &redeem, state.clock.now()).await? {
        Ok(done) => done,
        // the till says which minimum the order missed
        Err(refusal @ redeem::Refusal::BelowThreshold) => {
            let error = redeem_refusal(refusal);
            return Err(
                match redeem::threshold_of(&state.pool, &request.coupon_code).await? {
                    Some(threshold) => error.with_param("threshold", threshold.to_string()),
                    None => error,
                },
            );
        }
        Err(refusal) => return Err(redeem_refusal(refusal)),
    };
    Ok(Json(done))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StoreView {
    pub code: String,
    pub name: String,
}

/// The stores of the signed-in merchant user's merchant (the till page's store choice).
#[utoipa::path(get, path = "/api/v1/benefits/my-stores", tag = "benefits",
    responses((status = 200, body = Vec<StoreView>), (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010")))]
pub async fn my_stores(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::CouponRedeem>,
) -> Result<Json<Vec<StoreView>>, ApiError> {
    let merchant_id = merchant_scope(&state, &user)
        .await?
        .ok_or(ErrorCode::NotAMerchantUser)?;
    let stores = sqlx::query_as!(
        StoreView,
        "SELECT code, name FROM stores WHERE merchant_id = $1 AND status = 'active' ORDER BY code",
        merchant_id
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(stores))
}

/// 权益品目: the benefit catalogue.
#[utoipa::path(get, path = "/api/v1/benefits/items", tag = "benefits",
    responses((status = 200, body = Vec<queries::ItemRow>)))]
pub async fn items(
    State(state): State<AppState>,
    _: Authorized<perm::TemplateView>,
) -> Result<Json<Vec<queries::ItemRow>>, ApiError> {
    Ok(Json(queries::items(&state.pool).await?))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct CreateItemRequest {
    #[schema(pattern = "^[0-9A-Za-z_-]{1,32}$")]
    #[validate(custom(function = "short_code", code = "QY-BEN-1011"))]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-BEN-1011"))]
    pub name: String,
    #[schema(max_length = 1000)]
    #[validate(length(max = 1000, code = "QY-BEN-1011"))]
    pub description: String,
}

/// Add a benefit item (权益品目).
#[utoipa::path(post, path = "/api/v1/benefits/items", tag = "benefits", request_body = CreateItemRequest,
    responses((status = 201, body = CreatedView), (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-1012")))]
pub async fn create_item(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TemplateCreate>,
    Valid(request): Valid<CreateItemRequest>,
) -> Result<(StatusCode, Json<CreatedView>), ApiError> {
    let id = admin::create_item(
        &state.pool,
        &request.code,
        request.name.trim(),
        request.description.trim(),
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(|_| ErrorCode::ItemCodeTaken)?;
    Ok((StatusCode::CREATED, Json(CreatedView { id })))
}

/// Merchants and their stores.
#[utoipa::path(get, path = "/api/v1/benefits/merchants", tag = "benefits",
    responses((status = 200, body = Vec<queries::MerchantRow>)))]
pub async fn merchants(
    State(state): State<AppState>,
    _: Authorized<perm::TemplateView>,
) -> Result<Json<Vec<queries::MerchantRow>>, ApiError> {
    Ok(Json(queries::merchants(&state.pool).await?))
}

fn short_code(code: &str) -> Result<(), ValidationError> {
    code_like(code, 32)
}

#[derive(Deserialize, Serialize, Validate, utoipa::ToSchema)]
pub struct StoreRequest {
    #[schema(pattern = "^[0-9A-Za-z_-]{1,32}$")]
    #[validate(custom(function = "short_code", code = "QY-REQ-0002"))]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-REQ-0002"))]
    pub name: String,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct CreateMerchantRequest {
    #[schema(pattern = "^[0-9A-Za-z_-]{1,32}$")]
    #[validate(custom(function = "short_code", code = "QY-REQ-0002"))]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-REQ-0002"))]
    pub name: String,
    #[schema(min_items = 1, max_items = 50)]
    #[validate(length(min = 1, max = 50), nested)]
    pub stores: Vec<StoreRequest>,
}

/// Add a merchant with its stores (the merchant-onboarding process comes later).
#[utoipa::path(post, path = "/api/v1/benefits/merchants", tag = "benefits", request_body = CreateMerchantRequest,
    responses((status = 201, body = CreatedView), (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-1009")))]
pub async fn create_merchant(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantManage>,
    Valid(request): Valid<CreateMerchantRequest>,
) -> Result<(StatusCode, Json<CreatedView>), ApiError> {
    let stores: Vec<(String, String)> = request
        .stores
        .into_iter()
        .map(|s| (s.code, s.name))
        .collect();
    let id = admin::create_merchant(
        &state.pool,
        &request.code,
        &request.name,
        user.org_id,
        &stores,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(|_| ErrorCode::MerchantCodeTaken)?;
    Ok((StatusCode::CREATED, Json(CreatedView { id })))
}

fn active_or_disabled(status: &str) -> Result<(), ValidationError> {
    if matches!(status, "active" | "disabled") {
        Ok(())
    } else {
        Err(ValidationError::new("status"))
    }
}

/// A merchant's or a store's name and status, as an edit sets them.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct MerchantEditRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-REQ-0002"))]
    pub name: String,
    /// `active` or `disabled`: a disabled merchant or store redeems nothing.
    #[schema(example = "active")]
    #[validate(custom(function = "active_or_disabled", code = "QY-REQ-0002"))]
    pub status: String,
}

impl MerchantEditRequest {
    /// The name trimmed; a name of spaces only is refused as the field.
    fn edit(&self) -> Result<admin::MerchantEdit<'_>, ApiError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(ApiError::fields(vec![FieldError {
                field: "name".into(),
                code: ErrorCode::InvalidBody,
            }]));
        }
        Ok(admin::MerchantEdit {
            name,
            status: &self.status,
        })
    }
}

fn merchant_refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::UnknownMerchant => ErrorCode::NoSuchMerchant.into(),
        Refusal::CodeTaken => ErrorCode::StoreCodeTaken.into(),
        other => refusal(other),
    }
}

/// Change a merchant's name (its code stays). Audited with before and after. Its status is the
/// one it has: disabling and enabling go through their approval
/// (`POST /api/v1/benefits/merchants/{code}/status-requests`).
#[utoipa::path(put, path = "/api/v1/benefits/merchants/{code}", tag = "benefits",
    params(("code" = String, Path, description = "The merchant's code")),
    request_body = MerchantEditRequest,
    responses(
        (status = 204),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1021 no such merchant"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MER-0004 a status change goes through its approval"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-REQ-0002 a field is not valid"),
    ))]
pub async fn update_merchant(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantManage>,
    Path(code): Path<String>,
    Valid(request): Valid<MerchantEditRequest>,
) -> Result<StatusCode, ApiError> {
    let edit = request.edit()?;
    admin::update_merchant(
        &state.pool,
        &code,
        &edit,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(merchant_refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a store to a merchant. Audited.
#[utoipa::path(post, path = "/api/v1/benefits/merchants/{code}/stores", tag = "benefits",
    params(("code" = String, Path, description = "The merchant's code")),
    request_body = StoreRequest,
    responses(
        (status = 201, body = StoreView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1021 no such merchant"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-1020 the merchant has a store of that code"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-REQ-0002 a field is not valid"),
    ))]
pub async fn add_store(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantManage>,
    Path(code): Path<String>,
    Valid(request): Valid<StoreRequest>,
) -> Result<(StatusCode, Json<StoreView>), ApiError> {
    let name = request.name.trim();
    if name.is_empty() {
        return Err(ApiError::fields(vec![FieldError {
            field: "name".into(),
            code: ErrorCode::InvalidBody,
        }]));
    }
    admin::add_store(
        &state.pool,
        &code,
        &request.code,
        name,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(merchant_refusal)?;
    Ok((
        StatusCode::CREATED,
        Json(StoreView {
            code: request.code.clone(),
            name: name.to_owned(),
        }),
    ))
}

/// Change a store's name, or disable or enable it (its code stays). Audited with before and after.
#[utoipa::path(put, path = "/api/v1/benefits/merchants/{code}/stores/{store}", tag = "benefits",
    params(("code" = String, Path, description = "The merchant's code"), ("store" = String, Path, description = "The store's code")),
    request_body = MerchantEditRequest,
    responses(
        (status = 204),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1021 no such merchant; QY-BEN-1022 no such store"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-REQ-0002 a field is not valid"),
    ))]
pub async fn update_store(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantManage>,
    Path((code, store)): Path<(String, String)>,
    Valid(request): Valid<MerchantEditRequest>,
) -> Result<StatusCode, ApiError> {
    let edit = request.edit()?;
    admin::update_store(
        &state.pool,
        &code,
        &store,
        &edit,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(merchant_refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

fn client_code(code: &str) -> Result<(), ValidationError> {
    let mut bytes = code.bytes();
    let ok = (3..=32).contains(&code.len())
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("code"))
    }
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct RegisterClientRequest {
    #[schema(example = "mobile_banking", pattern = "^[a-z][a-z0-9_-]{2,31}$")]
    #[validate(custom(function = "client_code", code = "QY-REQ-0002"))]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-REQ-0002"))]
    pub name: String,
    pub kind: ClientKind,
    /// For a merchant system: its merchant.
    pub merchant_code: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegisteredClientView {
    pub id: Uuid,
    /// The signing secret, base64 of 32 bytes. Shown once; only its ciphertext is kept.
    pub secret: String,
}

/// Register a channel or merchant-system client; its secret is shown once. Step-up; audited.
#[utoipa::path(post, path = "/api/v1/benefits/clients", tag = "benefits", request_body = RegisterClientRequest,
    responses((status = 201, body = RegisteredClientView), (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-1010")))]
pub async fn register_client(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ClientManage>,
    _: SteppedUp,
    Valid(request): Valid<RegisterClientRequest>,
) -> Result<(StatusCode, Json<RegisteredClientView>), ApiError> {
    let merchant_id = match (request.kind, &request.merchant_code) {
        (ClientKind::Merchant, Some(code)) => Some(
            sqlx::query_scalar!("SELECT id FROM merchants WHERE code = $1", code)
                .fetch_optional(&state.pool)
                .await?
                .ok_or(ErrorCode::UnknownMerchant)?,
        ),
        (ClientKind::Channel, None) => None,
        _ => {
            return Err(ApiError::fields(vec![FieldError {
                field: "merchant_code".into(),
                code: ErrorCode::UnknownMerchant,
            }]));
        }
    };
    let new = NewClient {
        code: request.code,
        name: request.name,
        kind: request.kind,
        merchant_id,
    };
    let (id, secret) = clients::register(
        &state.pool,
        &state.settings.data_key,
        new,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(|r| match r {
        clients::Refusal::CodeTaken => ErrorCode::ClientCodeTaken,
        clients::Refusal::UnknownMerchant => ErrorCode::UnknownMerchant,
    })?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredClientView {
            id,
            secret: base64::engine::general_purpose::STANDARD.encode(secret),
        }),
    ))
}
