//! 积分兑换规则 for staff (BEN-5), under 积分规则 and its permissions: list, create, edit, enable and
//! disable the rules by which points pay for mall products or coupons, and 试算 — what a price
//! costs in points and cash under a rule, and who bears the points' value.

use super::rules::{field, refusal, rule_code, rule_status};
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Path, Query, Valid, ValidParts};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use chrono::{DateTime, Utc};
use quanyi_activities::identity::User;
use quanyi_activities::points::exchange::{
    self as store, ExchangeRule, ExchangeTerms, Filter, Quote, TARGETS,
};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

fn target(t: &str) -> Result<(), ValidationError> {
    if TARGETS.contains(&t) {
        Ok(())
    } else {
        Err(ValidationError::new("target"))
    }
}

fn default_rate() -> i64 {
    100
}

fn default_pct() -> i32 {
    100
}

/// An exchange rule's terms as staff send them.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct ExchangeRuleBody {
    /// 1–100 characters.
    #[validate(length(min = 1, max = 100, code = "QY-PTS-0006"))]
    pub name: String,
    /// `mall_product` or `coupon`.
    #[validate(custom(function = "target", code = "QY-PTS-0016"))]
    pub target: String,
    /// Points that make one yuan: 100 (a point a fen) by default.
    #[serde(default = "default_rate")]
    #[validate(range(min = 1, max = 1_000_000, code = "QY-PTS-0007"))]
    pub points_per_yuan: i64,
    /// The most of a price (percent) points may pay: 100 by default.
    #[serde(default = "default_pct")]
    #[validate(range(min = 1, max = 100, code = "QY-PTS-0007"))]
    pub max_pct: i32,
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-PTS-0007"))]
    pub order_cap: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-PTS-0007"))]
    pub daily_cap: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-PTS-0007"))]
    pub monthly_cap: Option<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    /// 总行 bearing `hq_pct` percent of the points' value; in your data scope.
    pub hq_org_id: Option<Uuid>,
    #[serde(default)]
    #[validate(range(min = 0, max = 100, code = "QY-PTS-0001"))]
    pub hq_pct: i32,
    /// 分行 bearing `branch_pct` percent; in your data scope.
    pub branch_org_id: Option<Uuid>,
    #[serde(default)]
    #[validate(range(min = 0, max = 100, code = "QY-PTS-0001"))]
    pub branch_pct: i32,
    /// 商户 bearing `merchant_pct` percent.
    pub merchant_id: Option<Uuid>,
    #[serde(default)]
    #[validate(range(min = 0, max = 100, code = "QY-PTS-0001"))]
    pub merchant_pct: i32,
}

impl ExchangeRuleBody {
    fn terms(&self) -> ExchangeTerms {
        ExchangeTerms {
            name: self.name.trim().to_owned(),
            target: self.target.clone(),
            points_per_yuan: self.points_per_yuan,
            max_pct: self.max_pct,
            order_cap: self.order_cap,
            daily_cap: self.daily_cap,
            monthly_cap: self.monthly_cap,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            hq_org_id: self.hq_org_id,
            hq_pct: self.hq_pct,
            branch_org_id: self.branch_org_id,
            branch_pct: self.branch_pct,
            merchant_id: self.merchant_id,
            merchant_pct: self.merchant_pct,
        }
    }
}

/// A new exchange rule's code.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct ExchangeRuleCode {
    /// 2–32 letters, digits, `_` or `-`; unique among the exchange rules.
    #[validate(custom(function = "rule_code", code = "QY-PTS-0008"))]
    pub code: String,
}

/// The version an edit was made against.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct ExchangeRuleVersion {
    /// The rule's `version` as it was read: another edit since is refused with `QY-PTS-0011`.
    #[validate(range(min = 1, code = "QY-REQ-0002"))]
    pub version: i32,
}

/// The documented shapes of the create and edit bodies (read as two parts).
#[derive(Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CreateExchangeRuleRequest {
    #[serde(flatten)]
    pub code: ExchangeRuleCode,
    #[serde(flatten)]
    pub body: ExchangeRuleBody,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UpdateExchangeRuleRequest {
    #[serde(flatten)]
    pub version: ExchangeRuleVersion,
    #[serde(flatten)]
    pub body: ExchangeRuleBody,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct ExchangeRuleStatusBody {
    /// `active` or `disabled`.
    #[validate(custom(function = "rule_status", code = "QY-REQ-0002"))]
    pub status: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExchangeRulePage {
    pub items: Vec<ExchangeRule>,
    pub total: i64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExchangeRuleQuery {
    /// `active` or `disabled`.
    pub status: Option<String>,
    /// `mall_product` or `coupon`.
    pub target: Option<String>,
    /// Part of the code or the name.
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct QuoteQuery {
    /// The price in fen: 0 to 10^12.
    pub price_fen: i64,
}

/// The funding orgs of `terms` in the user's data scope (outside it: as if unknown).
async fn orgs_in_scope(
    state: &AppState,
    user: &User,
    terms: &ExchangeTerms,
) -> Result<(), ApiError> {
    for (name, org) in [
        ("hq_org_id", terms.hq_org_id),
        ("branch_org_id", terms.branch_org_id),
    ] {
        if let Some(org) = org
            && !crate::campaign::org_in_scope(state, user, org).await?
        {
            return Err(field(name, ErrorCode::UnknownFundingOrg));
        }
    }
    Ok(())
}

async fn rule_of(state: &AppState, id: Uuid) -> Result<ExchangeRule, ApiError> {
    store::rule(&state.pool, id)
        .await?
        .ok_or_else(|| ErrorCode::UnknownPointRule.into())
}

/// 积分兑换规则, by code.
#[utoipa::path(get, path = "/api/v1/points/exchange-rules", tag = "points", operation_id = "point_exchange_rule_list",
    params(ExchangeRuleQuery, Paging),
    responses((status = 200, body = ExchangeRulePage)))]
pub async fn list(
    State(state): State<AppState>,
    _: Authorized<perm::PointsRuleView>,
    paging: Paging,
    Query(query): Query<ExchangeRuleQuery>,
) -> Result<Json<ExchangeRulePage>, ApiError> {
    let filled = |s: Option<String>| {
        s.map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty() && s.chars().count() <= 64)
    };
    let filter = Filter {
        status: filled(query.status),
        target: filled(query.target),
        q: filled(query.q),
    };
    let (items, total) =
        store::list(&state.pool, None, &filter, paging.limit(), paging.offset()).await?;
    Ok(Json(ExchangeRulePage { items, total }))
}

/// Creates an exchange rule (version 1, active). Audited (`points.exchange_rule.create`).
#[utoipa::path(post, path = "/api/v1/points/exchange-rules", tag = "points", operation_id = "point_exchange_rule_create",
    request_body = CreateExchangeRuleRequest,
    responses(
        (status = 200, body = ExchangeRule),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PTS-0009 the code is taken"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-PTS-0001–0003, 0006–0008, 0012, 0016, QY-LED-0016"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsRuleManage>,
    ValidParts(code, body): ValidParts<ExchangeRuleCode, ExchangeRuleBody>,
) -> Result<Json<ExchangeRule>, ApiError> {
    let terms = body.terms();
    terms.check().map_err(refusal)?;
    orgs_in_scope(&state, &user, &terms).await?;
    let id = store::create(
        &state.pool,
        &code.code,
        &terms,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(rule_of(&state, id).await?))
}

/// Edits an exchange rule, against the version read. Audited with the terms before and after
/// (`points.exchange_rule.update`).
#[utoipa::path(put, path = "/api/v1/points/exchange-rules/{id}", tag = "points", operation_id = "point_exchange_rule_update",
    params(("id" = Uuid, Path)),
    request_body = UpdateExchangeRuleRequest,
    responses(
        (status = 200, body = ExchangeRule),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PTS-0010"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PTS-0011 changed since read"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-PTS-0001–0003, 0006, 0007, 0012, 0016, QY-LED-0016"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsRuleManage>,
    Path(id): Path<Uuid>,
    ValidParts(version, body): ValidParts<ExchangeRuleVersion, ExchangeRuleBody>,
) -> Result<Json<ExchangeRule>, ApiError> {
    let terms = body.terms();
    terms.check().map_err(refusal)?;
    orgs_in_scope(&state, &user, &terms).await?;
    store::update(
        &state.pool,
        id,
        version.version,
        &terms,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(rule_of(&state, id).await?))
}

/// Enables or disables an exchange rule. Audited (`points.exchange_rule.enable`, `.disable`).
#[utoipa::path(post, path = "/api/v1/points/exchange-rules/{id}/status", tag = "points", operation_id = "point_exchange_rule_status",
    params(("id" = Uuid, Path)),
    request_body = ExchangeRuleStatusBody,
    responses(
        (status = 200, body = ExchangeRule),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PTS-0010"),
    ))]
pub async fn set_status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsRuleManage>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<ExchangeRuleStatusBody>,
) -> Result<Json<ExchangeRule>, ApiError> {
    store::set_status(
        &state.pool,
        id,
        body.status == "active",
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(rule_of(&state, id).await?))
}

/// 试算: what a price costs in points and cash under the rule, and who bears the points' value.
#[utoipa::path(get, path = "/api/v1/points/exchange-rules/{id}/quote", tag = "points", operation_id = "point_exchange_rule_quote",
    params(("id" = Uuid, Path), QuoteQuery),
    responses(
        (status = 200, body = Quote),
        (status = 400, body = crate::error::ErrorBody, description = "QY-REQ-0005 a price outside 0–10^12 fen"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PTS-0010"),
    ))]
pub async fn quote(
    State(state): State<AppState>,
    _: Authorized<perm::PointsRuleView>,
    Path(id): Path<Uuid>,
    Query(query): Query<QuoteQuery>,
) -> Result<Json<Quote>, ApiError> {
    if !(0..=1_000_000_000_000).contains(&query.price_fen) {
        return Err(ErrorCode::InvalidQuery.into());
    }
    let rule = rule_of(&state, id).await?;
    Ok(Json(rule.terms.quote(query.price_fen)))
}
