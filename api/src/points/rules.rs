//! 积分规则 for staff (BEN-5): the rule library — list, create, edit (a new version), enable and
//! disable — and the core's transactions evaluated against it (`points.transaction` over the
//! ESB, docs/esb.md).

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Paging, Path, Query, Valid, ValidParts};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use chrono::{DateTime, Utc};
use quanyi_activities::identity::User;
use quanyi_activities::points::rules::{
    self as store, Earned, Filter, Rule, RuleRefusal, Terms, Transaction, TxnRefusal, Version,
};
use quanyi_workflows::domain::CustomerNo;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

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

pub(super) fn rule_code(code: &str) -> Result<(), ValidationError> {
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

fn default_unit() -> i64 {
    100
}

fn default_multiplier() -> i32 {
    100
}

/// A rule's terms as staff send them.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct RuleBody {
    /// 1–100 characters.
    #[validate(length(min = 1, max = 100, code = "QY-PTS-0006"))]
    pub name: String,
    /// `card_spend`, `deposit`, `campaign_bonus`, `check_in`, or another type the core sends.
    #[validate(custom(function = "txn_type", code = "QY-PTS-0005"))]
    pub txn_type: String,
    /// The least amount (fen) a transaction must have; 0 by default.
    #[serde(default)]
    #[validate(range(min = 0, max = 1_000_000_000_000_i64, code = "QY-PTS-0007"))]
    pub min_amount_fen: i64,
    /// Points for any qualifying transaction.
    #[serde(default)]
    #[validate(range(min = 0, max = 1_000_000_000, code = "QY-PTS-0007"))]
    pub fixed_points: i64,
    /// Points per `unit_fen` of the amount.
    #[serde(default)]
    #[validate(range(min = 0, max = 1_000_000, code = "QY-PTS-0007"))]
    pub points_per_unit: i64,
    /// 100 (a yuan) by default.
    #[serde(default = "default_unit")]
    #[validate(range(min = 1, max = 100_000_000, code = "QY-PTS-0007"))]
    pub unit_fen: i64,
    /// In percent: 100 (×1) by default, 200 doubles.
    #[serde(default = "default_multiplier")]
    #[validate(range(min = 1, max = 100_000, code = "QY-PTS-0007"))]
    pub multiplier_pct: i32,
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-PTS-0007"))]
    pub daily_cap: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-PTS-0007"))]
    pub monthly_cap: Option<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    pub campaign_id: Option<Uuid>,
    /// 总行: the head office org bearing `hq_pct` percent; in your data scope.
    pub hq_org_id: Option<Uuid>,
    #[serde(default)]
    #[validate(range(min = 0, max = 100, code = "QY-PTS-0001"))]
    pub hq_pct: i32,
    /// 分行: the branch bearing `branch_pct` percent; in your data scope.
    pub branch_org_id: Option<Uuid>,
    #[serde(default)]
    #[validate(range(min = 0, max = 100, code = "QY-PTS-0001"))]
    pub branch_pct: i32,
    /// 商户: a merchant bearing `merchant_pct` percent; the rule then rewards its transactions only.
    pub merchant_id: Option<Uuid>,
    #[serde(default)]
    #[validate(range(min = 0, max = 100, code = "QY-PTS-0001"))]
    pub merchant_pct: i32,
}

impl RuleBody {
    fn terms(&self) -> Terms {
        Terms {
            name: self.name.trim().to_owned(),
            txn_type: self.txn_type.clone(),
            min_amount_fen: self.min_amount_fen,
            fixed_points: self.fixed_points,
            points_per_unit: self.points_per_unit,
            unit_fen: self.unit_fen,
            multiplier_pct: self.multiplier_pct,
            daily_cap: self.daily_cap,
            monthly_cap: self.monthly_cap,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            campaign_id: self.campaign_id,
            hq_org_id: self.hq_org_id,
            hq_pct: self.hq_pct,
            branch_org_id: self.branch_org_id,
            branch_pct: self.branch_pct,
            merchant_id: self.merchant_id,
            merchant_pct: self.merchant_pct,
        }
    }
}

/// A new rule's code.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct RuleCode {
    /// 2–32 letters, digits, `_` or `-`; unique.
    #[validate(custom(function = "rule_code", code = "QY-PTS-0008"))]
    pub code: String,
}

/// The version an edit was made against.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct RuleVersion {
    /// The rule's `version` as it was read: another edit since is refused with `QY-PTS-0011`.
    #[validate(range(min = 1, code = "QY-REQ-0002"))]
    pub version: i32,
}

/// The documented shapes of the create and edit bodies (read as two parts).
#[derive(Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CreateRuleRequest {
    #[serde(flatten)]
    pub code: RuleCode,
    #[serde(flatten)]
    pub body: RuleBody,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UpdateRuleRequest {
    #[serde(flatten)]
    pub version: RuleVersion,
    #[serde(flatten)]
    pub body: RuleBody,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct RuleStatusBody {
    /// `active` or `disabled`.
    #[validate(custom(function = "rule_status", code = "QY-REQ-0002"))]
    pub status: String,
}

pub(super) fn rule_status(s: &str) -> Result<(), ValidationError> {
    if matches!(s, "active" | "disabled") {
        Ok(())
    } else {
        Err(ValidationError::new("status"))
    }
}

/// A rule with its versions, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleDetail {
    pub rule: Rule,
    pub versions: Vec<Version>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RulePage {
    pub items: Vec<Rule>,
    pub total: i64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RuleQuery {
    /// `active` or `disabled`.
    pub status: Option<String>,
    pub txn_type: Option<String>,
    /// Part of the code or the name.
    pub q: Option<String>,
}

pub(super) fn field(name: &str, code: ErrorCode) -> ApiError {
    ApiError::fields(vec![FieldError {
        field: name.into(),
        code,
    }])
}

pub(super) fn refusal(r: RuleRefusal) -> ApiError {
    match r {
        RuleRefusal::SharesNot100 => field("hq_pct", ErrorCode::PointShares),
        RuleRefusal::ShareParty => field("hq_org_id", ErrorCode::PointShareParty),
        RuleRefusal::InvalidWindow => field("valid_to", ErrorCode::PointRuleWindow),
        RuleRefusal::NoPoints => field("points_per_unit", ErrorCode::PointRuleNoPoints),
        RuleRefusal::InvalidTxnType => field("txn_type", ErrorCode::PointTxnType),
        RuleRefusal::InvalidTarget => field("target", ErrorCode::PointExchangeTarget),
        RuleRefusal::InvalidName => field("name", ErrorCode::PointRuleName),
        RuleRefusal::InvalidNumbers => field("daily_cap", ErrorCode::PointRuleNumbers),
        RuleRefusal::UnknownOrg => field("hq_org_id", ErrorCode::UnknownFundingOrg),
        RuleRefusal::UnknownMerchant => field("merchant_id", ErrorCode::PointRuleMerchant),
        RuleRefusal::UnknownCampaign => field("campaign_id", ErrorCode::PointRuleCampaign),
        RuleRefusal::CodeTaken => ErrorCode::PointRuleCodeTaken.into(),
        RuleRefusal::UnknownRule => ErrorCode::UnknownPointRule.into(),
        RuleRefusal::StaleVersion => ErrorCode::PointRuleStale.into(),
    }
}

/// The funding orgs of `terms` in the user's data scope (outside it: as if unknown).
async fn orgs_in_scope(state: &AppState, user: &User, terms: &Terms) -> Result<(), ApiError> {
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

async fn detail_of(state: &AppState, id: Uuid) -> Result<RuleDetail, ApiError> {
    let rule = store::rule(&state.pool, id)
        .await?
        .ok_or(ErrorCode::UnknownPointRule)?;
    Ok(RuleDetail {
        rule,
        versions: store::versions(&state.pool, id).await?,
    })
}

/// 积分规则: the rules with their current terms, by code.
#[utoipa::path(get, path = "/api/v1/points/rules", tag = "points", operation_id = "point_rule_list", params(RuleQuery, Paging),
    responses((status = 200, body = RulePage)))]
pub async fn list(
    State(state): State<AppState>,
    _: Authorized<perm::PointsRuleView>,
    paging: Paging,
    Query(query): Query<RuleQuery>,
) -> Result<Json<RulePage>, ApiError> {
    let filled = |s: Option<String>| {
        s.map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty() && s.chars().count() <= 64)
    };
    let filter = Filter {
        status: filled(query.status),
        txn_type: filled(query.txn_type),
        q: filled(query.q),
    };
    let (items, total) = store::list(&state.pool, &filter, paging.limit(), paging.offset()).await?;
    Ok(Json(RulePage { items, total }))
}

/// A rule with every version.
#[utoipa::path(get, path = "/api/v1/points/rules/{id}", tag = "points", operation_id = "point_rule_detail",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = RuleDetail),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PTS-0010"),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    _: Authorized<perm::PointsRuleView>,
    Path(id): Path<Uuid>,
) -> Result<Json<RuleDetail>, ApiError> {
    Ok(Json(detail_of(&state, id).await?))
}

/// Creates a rule (version 1, active). Audited (`points.rule.create`).
#[utoipa::path(post, path = "/api/v1/points/rules", tag = "points", operation_id = "point_rule_create",
    request_body = CreateRuleRequest,
    responses(
        (status = 200, body = RuleDetail),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PTS-0009 the code is taken"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-PTS-0001–0008, 0012, 0013, QY-LED-0016"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsRuleManage>,
    ValidParts(code, body): ValidParts<RuleCode, RuleBody>,
) -> Result<Json<RuleDetail>, ApiError> {
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
    Ok(Json(detail_of(&state, id).await?))
}

/// Edits a rule: a new version (earnings keep naming the version that paid them). Audited with
/// the terms before and after (`points.rule.update`).
#[utoipa::path(put, path = "/api/v1/points/rules/{id}", tag = "points", operation_id = "point_rule_update",
    params(("id" = Uuid, Path)),
    request_body = UpdateRuleRequest,
    responses(
        (status = 200, body = RuleDetail),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PTS-0010"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PTS-0011 changed since read"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-PTS-0001–0007, 0012, 0013, QY-LED-0016"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsRuleManage>,
    Path(id): Path<Uuid>,
    ValidParts(version, body): ValidParts<RuleVersion, RuleBody>,
) -> Result<Json<RuleDetail>, ApiError> {
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
    Ok(Json(detail_of(&state, id).await?))
}

/// Enables or disables a rule. Audited (`points.rule.enable`, `points.rule.disable`).
#[utoipa::path(post, path = "/api/v1/points/rules/{id}/status", tag = "points", operation_id = "point_rule_status",
    params(("id" = Uuid, Path)),
    request_body = RuleStatusBody,
    responses(
        (status = 200, body = RuleDetail),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PTS-0010"),
    ))]
pub async fn set_status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsRuleManage>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<RuleStatusBody>,
) -> Result<Json<RuleDetail>, ApiError> {
    store::set_status(
        &state.pool,
        id,
        body.status == "active",
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(refusal)?;
    Ok(Json(detail_of(&state, id).await?))
}

fn txn_id(id: &str) -> Result<(), ValidationError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("txn_id"))
    }
}

fn customer_no(no: &str) -> Result<(), ValidationError> {
    CustomerNo::parse(no)
        .map(drop)
        .map_err(|_| ValidationError::new("customer_no"))
}

/// `points.transaction`: a transaction of the core's (real-time feed), evaluated against the
/// active rules.
#[derive(Debug, Serialize, Deserialize, Validate, utoipa::ToSchema)]
pub struct PointsTransactionBody {
    /// The core's transaction id: the same id twice earns once (with another body: `QY-PTS-0014`).
    #[validate(custom(function = "txn_id", code = "QY-PTS-0015"))]
    pub txn_id: String,
    #[schema(example = "C10000001")]
    #[validate(custom(function = "customer_no", code = "QY-CAMP-0010"))]
    pub customer_no: String,
    /// `card_spend`, `deposit`, `campaign_bonus`, `check_in`, …
    #[validate(custom(function = "txn_type", code = "QY-PTS-0005"))]
    pub txn_type: String,
    /// The amount in fen (0 for a check-in).
    #[validate(range(min = 0, max = 1_000_000_000_000_i64, code = "QY-PTS-0015"))]
    pub amount_fen: i64,
    /// When it happened (the caps count by its Beijing day and month); not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The merchant where it happened (商户编号), if any.
    #[validate(length(min = 1, max = 32, code = "QY-PTS-0012"))]
    pub merchant_code: Option<String>,
}

/// Evaluates a core transaction and pays what the rules give, once per transaction id.
pub async fn transaction_for(
    state: &AppState,
    acting: &str,
    body: &PointsTransactionBody,
) -> Result<Earned, ApiError> {
    let customer: CustomerNo = crate::extract::parsed(
        "customer_no",
        body.customer_no.as_str(),
        ErrorCode::InvalidCustomerNo,
    )?;
    let now = state.clock.now();
    if body.occurred_at > now + chrono::Duration::minutes(5) {
        return Err(field("occurred_at", ErrorCode::InvalidPointTxn));
    }
    let merchant_id = match &body.merchant_code {
        Some(code) => Some(
            store::merchant_by_code(&state.pool, code)
                .await?
                .ok_or_else(|| field("merchant_code", ErrorCode::PointRuleMerchant))?,
        ),
        None => None,
    };
    let bytes = serde_json::to_vec(body).expect("a body serializes");
    let txn = Transaction {
        txn_id: &body.txn_id,
        customer: &customer,
        txn_type: &body.txn_type,
        amount_fen: body.amount_fen,
        occurred_at: body.occurred_at,
        merchant_id,
        body: &bytes,
        actor: acting,
    };
    match store::transact(&state.pool, &txn, now).await? {
        Ok(earned) => {
            // the tier after the earning (up only) and its benefits; a failure here is repaired
            // by the nightly evaluation, the earning stands
            if let Err(e) =
                quanyi_activities::points::tiers::after_earning(&state.pool, &customer, now).await
            {
                tracing::warn!(error = %e, "cannot evaluate the tier after an earning");
            }
            Ok(earned)
        }
        Err(TxnRefusal::IdReused) => Err(ErrorCode::PointTxnIdReused.into()),
        Err(TxnRefusal::Ledger(r)) => Err(super::refusal(r)),
    }
}
