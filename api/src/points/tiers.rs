//! 用户等级管理 for staff (BEN-6): 等级体系 (tiers and their entry rule), 等级权益 (the coupon
//! templates a tier grants on upgrade), 升级任务, and a customer's tier for the customer page.

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Path, Valid, ValidParts};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use quanyi_activities::points::tiers::{
    self as store, CustomerTier, TaskRow, TaskTerms, TierRefusal, TierRow, TierTerms,
};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

fn tier_code(code: &str) -> Result<(), ValidationError> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("code"))
    }
}

fn task_code(code: &str) -> Result<(), ValidationError> {
    let ok = (2..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("code"))
    }
}

fn txn_type(t: &str) -> Result<(), ValidationError> {
    let b = t.as_bytes();
    let ok = (2..=32).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("txn_type"))
    }
}

fn status(s: &str) -> Result<(), ValidationError> {
    if matches!(s, "active" | "disabled") {
        Ok(())
    } else {
        Err(ValidationError::new("status"))
    }
}

/// A tier's terms.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct TierBody {
    /// 1–50 characters, e.g. 金卡会员.
    #[validate(length(min = 1, max = 50, code = "QY-TIER-0007"))]
    pub name: String,
    /// 1–100, higher is better; unique.
    #[validate(range(min = 1, max = 100, code = "QY-TIER-0008"))]
    pub rank: i32,
    /// The points earned in the last 12 months that reach it.
    #[validate(range(min = 0, max = 1_000_000_000_000_i64, code = "QY-TIER-0008"))]
    pub min_points_12m: i64,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct TierCode {
    /// 1–32 lower-case letters, digits or underscores (the customer list shows it).
    #[validate(custom(function = "tier_code", code = "QY-TIER-0006"))]
    pub code: String,
}

/// The documented shape of a new tier (read as two parts).
#[derive(Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CreateTierRequest {
    #[serde(flatten)]
    pub code: TierCode,
    #[serde(flatten)]
    pub body: TierBody,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct BenefitsBody {
    /// The coupon templates granted on upgrade to the tier (up to 20).
    #[validate(length(max = 20, code = "QY-TIER-0004"))]
    pub template_codes: Vec<String>,
}

/// An upgrade task's terms.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct TaskBody {
    #[validate(custom(function = "task_code", code = "QY-TIER-0006"))]
    pub code: String,
    /// 1–100 characters, e.g. 本月刷卡 3 次升金卡.
    #[validate(length(min = 1, max = 100, code = "QY-TIER-0007"))]
    pub name: String,
    /// The transactions it counts.
    #[validate(custom(function = "txn_type", code = "QY-PTS-0005"))]
    pub txn_type: String,
    /// The least amount (fen) a transaction must have to count.
    #[serde(default)]
    #[validate(range(min = 0, max = 1_000_000_000_000_i64, code = "QY-TIER-0008"))]
    pub min_amount_fen: i64,
    /// How many in a month (Beijing time) complete it.
    #[validate(range(min = 1, max = 1000, code = "QY-TIER-0008"))]
    pub required_count: i32,
    /// The tier it reaches, kept 12 months from its completion.
    pub tier_id: Uuid,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct TaskStatusBody {
    /// `active` or `disabled`.
    #[validate(custom(function = "status", code = "QY-REQ-0002"))]
    pub status: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TierList {
    pub items: Vec<TierRow>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UpgradeTaskList {
    pub items: Vec<TaskRow>,
}

fn refusal(r: TierRefusal) -> ApiError {
    match r {
        TierRefusal::CodeTaken => ErrorCode::TierCodeTaken.into(),
        TierRefusal::RankTaken => ErrorCode::TierRankTaken.into(),
        TierRefusal::UnknownTier => ErrorCode::UnknownTier.into(),
        TierRefusal::UnknownTemplate => ApiError::fields(vec![FieldError {
            field: "template_codes".into(),
            code: ErrorCode::UnknownTierTemplate,
        }]),
        TierRefusal::UnknownTask => ErrorCode::UnknownUpgradeTask.into(),
    }
}

fn terms(body: &TierBody) -> Result<TierTerms, ApiError> {
    if body.name.trim().is_empty() || body.name.chars().any(char::is_control) {
        return Err(ApiError::fields(vec![FieldError {
            field: "name".into(),
            code: ErrorCode::InvalidTierName,
        }]));
    }
    Ok(TierTerms {
        name: body.name.trim().to_owned(),
        rank: body.rank,
        min_points_12m: body.min_points_12m,
    })
}

async fn list_of(state: &AppState) -> Result<TierList, ApiError> {
    Ok(TierList {
        items: store::tiers(&state.pool).await?,
    })
}

/// 等级体系: the tiers, lowest first, with their benefits and customers.
#[utoipa::path(get, path = "/api/v1/tiers", tag = "tiers", operation_id = "tier_list",
    responses((status = 200, body = TierList)))]
pub async fn list(
    State(state): State<AppState>,
    _: Authorized<perm::TierView>,
) -> Result<Json<TierList>, ApiError> {
    Ok(Json(list_of(&state).await?))
}

/// Creates a tier (`tier.tier.create`, audited). Answers every tier.
#[utoipa::path(post, path = "/api/v1/tiers", tag = "tiers", operation_id = "tier_create",
    request_body = CreateTierRequest,
    responses(
        (status = 200, body = TierList),
        (status = 409, body = crate::error::ErrorBody, description = "QY-TIER-0001 code taken, 0002 rank taken"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-TIER-0006, 0007, 0008"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TierManage>,
    ValidParts(code, body): ValidParts<TierCode, TierBody>,
) -> Result<Json<TierList>, ApiError> {
    let terms = terms(&body)?;
    store::create_tier(
        &state.pool,
        &code.code,
        &terms,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(list_of(&state).await?))
}

/// Changes a tier (`tier.tier.update`, audited); customers move at their next evaluation.
#[utoipa::path(put, path = "/api/v1/tiers/{id}", tag = "tiers", operation_id = "tier_update",
    params(("id" = Uuid, Path)),
    request_body = TierBody,
    responses(
        (status = 200, body = TierList),
        (status = 404, body = crate::error::ErrorBody, description = "QY-TIER-0003"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-TIER-0002 rank taken"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-TIER-0007, 0008"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TierManage>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<TierBody>,
) -> Result<Json<TierList>, ApiError> {
    let terms = terms(&body)?;
    store::update_tier(
        &state.pool,
        id,
        &terms,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(list_of(&state).await?))
}

/// 等级权益: sets the coupon templates a tier grants on upgrade (`tier.benefit.update`, audited).
#[utoipa::path(put, path = "/api/v1/tiers/{id}/benefits", tag = "tiers", operation_id = "tier_benefits",
    params(("id" = Uuid, Path)),
    request_body = BenefitsBody,
    responses(
        (status = 200, body = TierList),
        (status = 404, body = crate::error::ErrorBody, description = "QY-TIER-0003"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-TIER-0004 an unknown template"),
    ))]
pub async fn set_benefits(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TierManage>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<BenefitsBody>,
) -> Result<Json<TierList>, ApiError> {
    store::set_benefits(
        &state.pool,
        id,
        &body.template_codes,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(list_of(&state).await?))
}

async fn tasks_of(state: &AppState) -> Result<UpgradeTaskList, ApiError> {
    Ok(UpgradeTaskList {
        items: store::tasks(&state.pool, state.clock.now()).await?,
    })
}

/// 升级任务: the upgrade tasks, with how many completed each this month.
#[utoipa::path(get, path = "/api/v1/upgrade-tasks", tag = "tiers", operation_id = "upgrade_task_list",
    responses((status = 200, body = UpgradeTaskList)))]
pub async fn tasks(
    State(state): State<AppState>,
    _: Authorized<perm::TierView>,
) -> Result<Json<UpgradeTaskList>, ApiError> {
    Ok(Json(tasks_of(&state).await?))
}

/// Creates an upgrade task, active (`tier.task.create`, audited).
#[utoipa::path(post, path = "/api/v1/upgrade-tasks", tag = "tiers", operation_id = "upgrade_task_create",
    request_body = TaskBody,
    responses(
        (status = 200, body = UpgradeTaskList),
        (status = 404, body = crate::error::ErrorBody, description = "QY-TIER-0003 no such tier"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-TIER-0001 code taken"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-TIER-0006, 0007, 0008, QY-PTS-0005"),
    ))]
pub async fn create_task(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TierManage>,
    Valid(body): Valid<TaskBody>,
) -> Result<Json<UpgradeTaskList>, ApiError> {
    if body.name.trim().is_empty() || body.name.chars().any(char::is_control) {
        return Err(ApiError::fields(vec![FieldError {
            field: "name".into(),
            code: ErrorCode::InvalidTierName,
        }]));
    }
    let terms = TaskTerms {
        name: body.name.trim().to_owned(),
        txn_type: body.txn_type,
        min_amount_fen: body.min_amount_fen,
        required_count: body.required_count,
        tier_id: body.tier_id,
    };
    store::create_task(
        &state.pool,
        &body.code,
        &terms,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(tasks_of(&state).await?))
}

/// Enables or disables an upgrade task (`tier.task.enable`, `tier.task.disable`, audited).
#[utoipa::path(post, path = "/api/v1/upgrade-tasks/{id}/status", tag = "tiers", operation_id = "upgrade_task_status",
    params(("id" = Uuid, Path)),
    request_body = TaskStatusBody,
    responses(
        (status = 200, body = UpgradeTaskList),
        (status = 404, body = crate::error::ErrorBody, description = "QY-TIER-0005"),
    ))]
pub async fn set_task_status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::TierManage>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<TaskStatusBody>,
) -> Result<Json<UpgradeTaskList>, ApiError> {
    store::set_task_status(
        &state.pool,
        id,
        body.status == "active",
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(tasks_of(&state).await?))
}

/// A customer's tier, its history and this month's upgrade tasks.
#[utoipa::path(get, path = "/api/v1/customers/{customer_no}/tier", tag = "customers", operation_id = "customer_tier",
    params(("customer_no" = String, Path)),
    responses(
        (status = 200, body = CustomerTier),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CUST-0001"),
    ))]
pub async fn customer_tier(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::CustomerView>,
    Path(no): Path<String>,
) -> Result<Json<CustomerTier>, ApiError> {
    let no = quanyi_workflows::domain::CustomerNo::parse(&no)
        .map_err(|_| ApiError::from(ErrorCode::InvalidCustomerNo))?;
    crate::customers::customer_in_scope(&state, &user, &no).await?;
    Ok(Json(
        store::of_customer(&state.pool, &no, state.clock.now()).await?,
    ))
}
