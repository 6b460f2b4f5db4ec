//! 审批策略: the approval policies of every process kind, their levels, and what a level may name.

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Path, Valid};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use quanyi_activities::process::inbox::{self, PolicyRow};
use quanyi_workflows::approval::{Level, OrgRule};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use validator::Validate;

/// An approval policy: its ordered levels.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    pub process_type: String,
    /// `*`, a campaign type, or a product category's code (the listing policies).
    pub variant: String,
    pub label: String,
    pub levels: Vec<LevelRequest>,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<PolicyRow> for PolicyView {
    fn from(row: PolicyRow) -> Self {
        Self {
            process_type: row.process_type,
            variant: row.variant,
            label: row.label,
            levels: row
                .levels
                .into_iter()
                .map(|l| LevelRequest {
                    name: l.name,
                    role: l.role,
                    org_rule: l.org_rule,
                    sla_minutes: l.sla_seconds.div_ceil(60),
                    remind_before_minutes: l.remind_before_seconds / 60,
                    escalate: l.escalate,
                })
                .collect(),
            updated_by: row.updated_by,
            updated_at: row.updated_at,
        }
    }
}

/// The approval policies of every process type.
#[utoipa::path(get, path = "/api/v1/approval-policies", tag = "processes",
    responses((status = 200, body = Vec<PolicyView>)))]
pub async fn policies(
    State(state): State<AppState>,
    _: Authorized<perm::PolicyView>,
) -> Result<Json<Vec<PolicyView>>, ApiError> {
    Ok(Json(
        inbox::policies(&state.pool)
            .await?
            .into_iter()
            .map(PolicyView::from)
            .collect(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoleOption {
    pub code: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgRuleOption {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PolicyOptions {
    pub roles: Vec<RoleOption>,
    pub org_rules: Vec<OrgRuleOption>,
}

/// What a level may name: the roles, the org rules.
#[utoipa::path(get, path = "/api/v1/approval-policies/options", tag = "processes",
    responses((status = 200, body = PolicyOptions)))]
pub async fn policy_options(
    State(state): State<AppState>,
    _: Authorized<perm::PolicyView>,
) -> Result<Json<PolicyOptions>, ApiError> {
    let roles = sqlx::query_as!(
        RoleOption,
        "SELECT code, name FROM roles WHERE duty IS NULL ORDER BY code"
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(PolicyOptions {
        roles,
        org_rules: OrgRule::ALL
            .iter()
            .map(|r| OrgRuleOption {
                code: r.code().into(),
                label_zh: r.label_zh().into(),
                label_en: r.label_en().into(),
            })
            .collect(),
    }))
}

#[derive(Serialize, Deserialize, Validate, utoipa::ToSchema)]
pub struct LevelRequest {
    #[schema(min_length = 1, max_length = 20)]
    #[validate(length(min = 1, max = 20, code = "QY-PROC-0009"))]
    pub name: String,
    /// A role code.
    #[schema(min_length = 2, max_length = 32)]
    #[validate(length(min = 2, max = 32, code = "QY-PROC-0009"))]
    pub role: String,
    /// `campaign_org`, `branch` or `head_office`.
    #[schema(value_type = String, example = "branch", pattern = "^(campaign_org|branch|head_office)$")]
    pub org_rule: OrgRule,
    #[schema(minimum = 1, maximum = 43200)]
    #[validate(range(min = 1, max = 43200, code = "QY-PROC-0009"))]
    pub sla_minutes: u32,
    #[schema(minimum = 0, maximum = 43200)]
    #[validate(range(max = 43200, code = "QY-PROC-0009"))]
    pub remind_before_minutes: u32,
    pub escalate: bool,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct PolicyRequest {
    #[schema(min_items = 1, max_items = 5)]
    #[validate(length(min = 1, max = 5, code = "QY-PROC-0009"), nested)]
    pub levels: Vec<LevelRequest>,
}

/// Sets a policy's levels. Processes already running keep the policy they started with.
#[utoipa::path(put, path = "/api/v1/approval-policies/{process_type}/{variant}", tag = "processes",
    params(("process_type" = String, Path), ("variant" = String, Path)), request_body = PolicyRequest,
    responses(
        (status = 200, body = PolicyView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-PROC-0007 no such process type or variant"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-PROC-0009 the levels"),
    ))]
pub async fn set_policy(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PolicyUpdate>,
    Path((process_type, variant)): Path<(String, String)>,
    Valid(request): Valid<PolicyRequest>,
) -> Result<Json<PolicyView>, ApiError> {
    let known_roles: Vec<String> = sqlx::query_scalar!("SELECT code FROM roles WHERE duty IS NULL")
        .fetch_all(&state.pool)
        .await?;
    let mut fields = Vec::new();
    for (i, level) in request.levels.iter().enumerate() {
        if !known_roles.contains(&level.role) {
            fields.push(FieldError {
                field: format!("levels[{i}].role"),
                code: ErrorCode::InvalidPolicy,
            });
        }
        if level.remind_before_minutes >= level.sla_minutes {
            fields.push(FieldError {
                field: format!("levels[{i}].remind_before_minutes"),
                code: ErrorCode::InvalidPolicy,
            });
        }
    }
    // a campaign's policy varies by campaign type, a listing's by product category
    let variant_known = match process_type.as_str() {
        _ if variant == "*" => true,
        "listing" | quanyi_workflows::kind::LISTING_CHANGE_POLICY => {
            sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM mall_categories WHERE code = $1) AS "known!""#,
                variant
            )
            .fetch_one(&state.pool)
            .await?
        }
        _ => matches!(variant.as_str(), "grant" | "lottery" | "seckill"),
    };
    if !variant_known {
        fields.push(FieldError {
            field: "variant".into(),
            code: ErrorCode::InvalidPolicy,
        });
    }
    if !fields.is_empty() {
        return Err(ApiError::fields(fields));
    }
    let levels: Vec<Level> = request
        .levels
        .into_iter()
        .map(|l| Level {
            name: l.name.trim().to_owned(),
            role: l.role,
            org_rule: l.org_rule,
            sla_seconds: l.sla_minutes * 60,
            remind_before_seconds: l.remind_before_minutes * 60,
            escalate: l.escalate,
        })
        .collect();
    let row = inbox::set_policy(
        &state.pool,
        &process_type,
        &variant,
        &levels,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .ok_or(ErrorCode::UnknownProcess)?;
    Ok(Json(row.into()))
}
