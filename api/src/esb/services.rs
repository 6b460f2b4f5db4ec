//! The registry of ESB services: each code with its typed, validated body and its handler. The
//! consumer acts as its configured staff user: that user's permissions and data scope apply.

use super::{Caller, Refusal, RetCode, body_of, body_parts_of};
use crate::AppState;
use crate::campaign::{self, CampaignRequest};
use crate::customers;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::parsed;
use crate::onboarding;
use crate::points;
use crate::process as door;
use quanyi_activities::audit::Entry;
use quanyi_activities::campaign as store;
use quanyi_activities::identity::{self, User};
use quanyi_workflows::campaign::{CampaignWorkflow, ExternalResult};
use quanyi_workflows::domain::CustomerNo;
use quanyi_workflows::kind::ProcessKind;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use temporalio_client::WorkflowSignalOptions;
use temporalio_client::errors::WorkflowInteractionError;
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// A service of the catalogue.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Service {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// The permission the consumer's acting user needs.
    pub permission: &'static str,
}

pub const PLAN_SUBMIT: &str = "campaign.plan.submit";
pub const PROCESS_QUERY: &str = "process.query";
pub const RESULT_DELIVER: &str = "process.result.deliver";
pub const CHANNEL_CAMPAIGNS: &str = "channel.campaigns.query";
pub const POINTS_EARN: &str = "points.earn";
pub const POINTS_HOLD: &str = "points.hold";
pub const POINTS_CAPTURE: &str = "points.capture";
pub const POINTS_VOID: &str = "points.void";
pub const POINTS_REVERSE: &str = "points.reverse";
pub const POINTS_BALANCE: &str = "points.balance";
pub const POINTS_HISTORY: &str = "points.history";
pub const POINTS_TRANSACTION: &str = "points.transaction";
pub const CUSTOMER_UPSERT: &str = "customer.upsert";
pub const CUSTOMER_QUERY: &str = "customer.query";
pub const MERCHANT_APPLY: &str = "merchant.apply";
pub const MERCHANT_APPLICATION_QUERY: &str = "merchant.application.query";

pub const CATALOGUE: &[Service] = &[
    Service {
        code: PLAN_SUBMIT,
        name_zh: "营销方案提交（网格化营销平台）",
        name_en: "Submit a campaign plan (grid marketing platform)",
        permission: "campaign:campaign:submit",
    },
    Service {
        code: PROCESS_QUERY,
        name_zh: "流程查询（按业务编号）",
        name_en: "Query a process by business key",
        permission: "campaign:campaign:view",
    },
    Service {
        code: RESULT_DELIVER,
        name_zh: "异步结果回传（按业务编号）",
        name_en: "Deliver an asynchronous result by business key",
        permission: "campaign:campaign:view",
    },
    Service {
        code: CHANNEL_CAMPAIGNS,
        name_zh: "渠道投放查询（渠道 + 客户号）",
        name_en: "Channel delivery: a customer's campaigns on a channel",
        permission: "campaign:delivery:view",
    },
    Service {
        code: POINTS_EARN,
        name_zh: "积分发放（客户号 + 出资机构）",
        name_en: "Give a customer points from an org's funding account",
        permission: "points:transfer:earn",
    },
    Service {
        code: POINTS_HOLD,
        name_zh: "积分冻结（消费前预留）",
        name_en: "Hold a customer's points for a spend",
        permission: "points:transfer:spend",
    },
    Service {
        code: POINTS_CAPTURE,
        name_zh: "积分扣减（冻结转扣减）",
        name_en: "Capture a hold (spend the points)",
        permission: "points:transfer:spend",
    },
    Service {
        code: POINTS_VOID,
        name_zh: "积分解冻",
        name_en: "Void a hold (give the points back)",
        permission: "points:transfer:spend",
    },
    Service {
        code: POINTS_REVERSE,
        name_zh: "积分冲正（发放或扣减）",
        name_en: "Reverse an earning or a capture",
        permission: "points:transfer:reverse",
    },
    Service {
        code: POINTS_BALANCE,
        name_zh: "积分余额查询",
        name_en: "A customer's points balance",
        permission: "points:account:view",
    },
    Service {
        code: POINTS_HISTORY,
        name_zh: "积分流水查询",
        name_en: "A customer's points history",
        permission: "points:account:view",
    },
    Service {
        code: POINTS_TRANSACTION,
        name_zh: "交易积分计算（核心交易实时推送，按积分规则发放）",
        name_en: "A core transaction, earning by the points rules",
        permission: "points:transfer:earn",
    },
    Service {
        code: CUSTOMER_UPSERT,
        name_zh: "客户信息新增或变更（核心系统）",
        name_en: "Create or change a customer (the core)",
        permission: "customer:customer:update",
    },
    Service {
        code: CUSTOMER_QUERY,
        name_zh: "客户信息查询（个人信息脱敏）",
        name_en: "A customer, personal data masked",
        permission: "customer:customer:view",
    },
    Service {
        code: MERCHANT_APPLY,
        name_zh: "商户入驻申请提交（渠道代办）",
        name_en: "Submit a merchant application for an applicant the channel verified",
        permission: "merchant:application:apply",
    },
    Service {
        code: MERCHANT_APPLICATION_QUERY,
        name_zh: "商户入驻申请进度查询（个人信息脱敏）",
        name_en: "A merchant application's status and timeline, personal data masked",
        permission: "merchant:application:apply",
    },
];

/// The namespace of the campaign ids plans are created under (UUID v5 of consumer and serial).
const PLAN_NAMESPACE: Uuid = Uuid::from_u128(0x6a0e_2f4c_5b1d_4e7a_9c3f_1d2e_8b7a_6c5d);
/// The namespace of the application ids `merchant.apply` creates (UUID v5 of consumer and serial).
const APPLICATION_NAMESPACE: Uuid = Uuid::from_u128(0x3c5e_91a2_7d4b_4f08_b2e6_0a9d_5c71_e4f3);

pub fn find(code: &str) -> Option<&'static Service> {
    CATALOGUE.iter().find(|s| s.code == code)
}

fn refused(code: ErrorCode) -> Refusal {
    ApiError::from(code).into()
}

/// Runs `service` for `caller` with its `body`.
pub async fn run(
    state: &AppState,
    service: &Service,
    caller: &Caller,
    body: Value,
) -> Result<Value, Refusal> {
    let Some(user) = identity::user(&state.pool, caller.acting_user_id).await? else {
        return Err(refused(ErrorCode::Forbidden));
    };
    // the staff API's rules: the permission, and no role a shared secret cannot stand in for
    if !user.permissions.iter().any(|p| p == service.permission)
        || quanyi_activities::esb::privileged(&state.pool, user.id).await?
    {
        return Err(refused(ErrorCode::Forbidden));
    }
    match service.code {
        PLAN_SUBMIT => submit_plan(state, caller, &user, &body).await,
        PROCESS_QUERY => query_process(state, &user, &body).await,
        RESULT_DELIVER => deliver_result(state, caller, &user, &body).await,
        CHANNEL_CAMPAIGNS => channel_campaigns(state, &body).await,
        POINTS_EARN | POINTS_HOLD | POINTS_CAPTURE | POINTS_VOID | POINTS_REVERSE
        | POINTS_BALANCE | POINTS_HISTORY => {
            points_service(state, service.code, caller, &user, &body).await
        }
        POINTS_TRANSACTION => {
            let request: points::rules::PointsTransactionBody = body_of(&body)?;
            let acting = format!("{}@esb:{}", user.username, caller.consumer_code);
            let earned = points::rules::transaction_for(state, &acting, &request).await?;
            Ok(serde_json::to_value(earned).expect("an answer serializes"))
        }
        CUSTOMER_UPSERT => {
            let request: customers::CustomerUpsertBody = body_of(&body)?;
            let done = customers::upsert_for(state, &user, who(&user, caller), &request).await?;
            Ok(serde_json::to_value(done).expect("an answer serializes"))
        }
        CUSTOMER_QUERY => {
            let request: customers::CustomerQueryBody = body_of(&body)?;
            let found = customers::query_for(state, &user, &request).await?;
            Ok(serde_json::to_value(found).expect("an answer serializes"))
        }
        MERCHANT_APPLY => merchant_apply(state, caller, &user, &body).await,
        MERCHANT_APPLICATION_QUERY => merchant_application_query(state, &user, &body).await,
        _ => Err(RetCode::UnknownService.into()),
    }
}

/// The audit's actor: the acting user, marked as acting for the consumer.
fn who(user: &User, caller: &Caller) -> Entry {
    Entry {
        username: Some(format!("{}@esb:{}", user.username, caller.consumer_code)),
        ..crate::identity::auth::actor(user, caller.peer)
    }
}

/// `campaign.plan.submit`: the campaign's fields as `POST /api/v1/campaigns` takes them
/// ([`CampaignRequest`]), and beside them in the same object its customer list and a comment for
/// the approvers — read as two parts, so every field at fault is named.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct PlanSubmitExtras {
    /// The customers the plan reaches: up to 5,000 customer numbers (6–32 letters or digits;
    /// a repeat counts once). A campaign goes to review only with customers: an empty or absent
    /// list is refused with `QY-CAMP-0011` and nothing is created.
    #[serde(default)]
    #[schema(max_items = 5000)]
    #[validate(
        length(max = 5000, code = "QY-CAMP-0006"),
        custom(function = "customer_nos", code = "QY-CAMP-0010")
    )]
    pub customer_nos: Vec<String>,
    #[validate(length(max = 500, code = "QY-PROC-0010"))]
    pub comment: Option<String>,
}

fn customer_nos(numbers: &[String]) -> Result<(), ValidationError> {
    if numbers.iter().all(|n| CustomerNo::parse(n).is_ok()) {
        Ok(())
    } else {
        Err(ValidationError::new("customer_nos"))
    }
}

async fn submit_plan(
    state: &AppState,
    caller: &Caller,
    user: &User,
    body: &Value,
) -> Result<Value, Refusal> {
    let (campaign, request): (CampaignRequest, PlanSubmitExtras) = body_parts_of(body)?;
    let customers = request
        .customer_nos
        .iter()
        .map(|no| parsed("customer_nos", no.as_str(), ErrorCode::InvalidCustomerNo))
        .collect::<Result<Vec<CustomerNo>, _>>()?;
    let comment = request
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let new = campaign.into_new()?;
    if new.end_at <= state.clock.now() {
        return Err(ApiError::fields(vec![FieldError {
            field: "end_at".into(),
            code: ErrorCode::InvalidCampaignTime,
        }])
        .into());
    }
    if !campaign::org_in_scope(state, user, new.org_id).await? {
        return Err(refused(ErrorCode::UnknownCampaignOrg));
    }
    // as on the staff API, no campaign goes to review without customers; refused before a
    // draft is written
    if customers.is_empty() {
        return Err(refused(ErrorCode::CampaignWithoutCustomers));
    }
    // named by the serial number: a retry after a provider failure finds its draft again
    let id = Uuid::new_v5(
        &PLAN_NAMESPACE,
        format!("{}:{}", caller.consumer_code, caller.seq_no).as_bytes(),
    );
    let now = state.clock.now();
    let id = store::create_once(&state.pool, id, &new, &customers, now, who(user, caller))
        .await?
        .map_err(|r| {
            refused(match r {
                store::Refusal::UnknownOrg => ErrorCode::UnknownCampaignOrg,
                store::Refusal::UnknownTemplate => ErrorCode::UnknownRuleTemplate,
                store::Refusal::UnknownCampaign => ErrorCode::UnknownCampaign,
                store::Refusal::NotDraft => ErrorCode::CampaignNotDraft,
            })
        })?;
    let Some(record) = store::detail(&state.pool, id).await? else {
        return Err(refused(ErrorCode::UnknownCampaign));
    };
    // Before the process starts, so its first decision finds whom to call back.
    quanyi_activities::esb::record_campaign_origin(
        &state.pool,
        id,
        &caller.consumer_code,
        &caller.seq_no,
        state.clock.now(),
    )
    .await?;
    let (_, actor) = door::actor_of(state, user).await?;
    let workflow_id = ProcessKind::Campaign.workflow_id(&id.to_string());
    let view = match campaign::start(state, &record, &actor, comment).await {
        Ok(view) => view,
        // the earlier attempt started it before failing
        Err(e) if e.code == ErrorCode::ProcessAlreadyStarted => {
            door::settled(state, &workflow_id, &actor).await?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(json!({
        "campaign_id": id, "campaign_code": record.summary.code,
        "workflow_id": workflow_id, "state": view.state,
    }))
}

fn business_key(key: &str) -> Result<(), ValidationError> {
    if uuid::Uuid::parse_str(key).is_ok() {
        Ok(())
    } else {
        Err(ValidationError::new("business_key"))
    }
}

fn process_type(t: &str) -> Result<(), ValidationError> {
    if ProcessKind::parse(t).is_some() {
        Ok(())
    } else {
        Err(ValidationError::new("process_type"))
    }
}

/// `process.query`.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ProcessQueryBody {
    /// `campaign` or `stock-change`.
    #[validate(custom(function = "process_type", code = "QY-REQ-0002"))]
    pub process_type: String,
    /// The campaign's (or stock-change request's) id.
    #[validate(custom(function = "business_key", code = "QY-REQ-0002"))]
    pub business_key: String,
}

/// The workflow id `process_type` and `business_key` name (both validated).
fn workflow_of(process_type: &str, key: &str) -> Result<String, Refusal> {
    let kind = ProcessKind::parse(process_type).ok_or(RetCode::UnknownBusinessKey)?;
    Ok(kind.workflow_id(key))
}

async fn query_process(state: &AppState, user: &User, body: &Value) -> Result<Value, Refusal> {
    let request: ProcessQueryBody = body_of(body)?;
    let workflow_id = workflow_of(&request.process_type, &request.business_key)?;
    // the acting user's data scope, exactly as on the staff API's process page
    door::monitor::process_in_scope(state, user, &workflow_id).await?;
    let timeline = quanyi_activities::process::inbox::timeline(&state.pool, &workflow_id).await?;
    let Some(last) = timeline.last() else {
        return Err(RetCode::UnknownBusinessKey.into());
    };
    let (_, actor) = door::actor_of(state, user).await?;
    let (state_now, allowed) = match door::view(state, &workflow_id, &actor).await? {
        Some(view) => (view.state, view.allowed_actions),
        // ended: the read model has its last word
        None => (last.to_state.clone(), Vec::new()),
    };
    Ok(json!({
        "workflow_id": workflow_id, "state": state_now, "allowed_actions": allowed,
        "timeline": timeline,
    }))
}

fn result_kind(kind: &str) -> Result<(), ValidationError> {
    if (1..=32).contains(&kind.len()) && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        Ok(())
    } else {
        Err(ValidationError::new("result_type"))
    }
}

fn campaign_only(t: &str) -> Result<(), ValidationError> {
    if ProcessKind::parse(t) == Some(ProcessKind::Campaign) {
        Ok(())
    } else {
        Err(ValidationError::new("process_type"))
    }
}

/// `process.result.deliver`: a result for a running campaign process, recorded in its history.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ResultDeliverBody {
    /// `campaign` (the only process that takes results so far).
    #[validate(custom(function = "campaign_only", code = "QY-REQ-0002"))]
    pub process_type: String,
    #[validate(custom(function = "business_key", code = "QY-REQ-0002"))]
    pub business_key: String,
    /// e.g. `evaluation`: 1–32 lower-case letters or underscores.
    #[validate(custom(function = "result_kind", code = "QY-REQ-0002"))]
    pub result_type: String,
    #[validate(length(min = 1, max = 500, code = "QY-REQ-0002"))]
    pub summary: String,
}

async fn deliver_result(
    state: &AppState,
    caller: &Caller,
    user: &User,
    body: &Value,
) -> Result<Value, Refusal> {
    let request: ResultDeliverBody = body_of(body)?;
    let workflow_id = ProcessKind::Campaign.workflow_id(&request.business_key);
    door::monitor::process_in_scope(state, user, &workflow_id).await?;
    // only a process that exists in the read model and has not ended takes a result
    let timeline = quanyi_activities::process::inbox::timeline(&state.pool, &workflow_id).await?;
    if timeline.is_empty() {
        return Err(RetCode::UnknownBusinessKey.into());
    }
    let client = state
        .temporal
        .get()
        .await
        .map_err(|_| Refusal::from(RetCode::TemporalUnavailable))?;
    let result = ExternalResult {
        source: caller.consumer_code.clone(),
        kind: request.result_type,
        reference: caller.seq_no.clone(),
        summary: request.summary.trim().to_owned(),
    };
    let sent = client
        .get_workflow_handle::<CampaignWorkflow>(&workflow_id)
        .signal(
            CampaignWorkflow::deliver_result,
            result,
            WorkflowSignalOptions::default(),
        )
        .await;
    match sent {
        Ok(()) => Ok(json!({"workflow_id": workflow_id, "accepted": true})),
        Err(WorkflowInteractionError::NotFound(_)) => Err(RetCode::UnknownBusinessKey.into()),
        Err(e) => {
            let text = format!("{e:?}");
            if text.contains("NotFound") || text.contains("already completed") {
                return Err(RetCode::UnknownBusinessKey.into());
            }
            tracing::warn!(error = %e, workflow_id, "cannot signal the process");
            Err(RetCode::TemporalUnavailable.into())
        }
    }
}

fn channel_code(code: &str) -> Result<(), ValidationError> {
    if (2..=20).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        Ok(())
    } else {
        Err(ValidationError::new("channel_code"))
    }
}

fn customer_no(no: &str) -> Result<(), ValidationError> {
    CustomerNo::parse(no)
        .map(drop)
        .map_err(|_| ValidationError::new("customer_no"))
}

/// `channel.campaigns.query`: what a channel shows a customer (MKT-8); each entry returned
/// counts as shown, as on the signed channel API.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ChannelCampaignsBody {
    /// A code of the 渠道 code list, e.g. `mobile_banking`.
    #[validate(custom(function = "channel_code", code = "QY-CAMP-0009"))]
    pub channel_code: String,
    #[validate(custom(function = "customer_no", code = "QY-CAMP-0010"))]
    pub customer_no: String,
}

async fn channel_campaigns(state: &AppState, body: &Value) -> Result<Value, Refusal> {
    let request: ChannelCampaignsBody = body_of(body)?;
    let customer: CustomerNo = parsed(
        "customer_no",
        request.customer_no.as_str(),
        ErrorCode::InvalidCustomerNo,
    )?;
    let answer = campaign::delivery::deliver(state, &request.channel_code, &customer, true).await?;
    Ok(serde_json::to_value(answer).expect("an answer serializes"))
}

/// `points.capture`: a hold to capture, all of it or `points` of it.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct PointsCaptureBody {
    /// The hold's `transfer_id` as `points.hold` answered it.
    pub hold_id: Uuid,
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-LED-0009"))]
    pub points: Option<i64>,
    #[serde(default)]
    #[validate(length(max = 200, code = "QY-LED-0017"))]
    pub memo: String,
}

/// `points.void` (`hold_id`) and `points.reverse` (`transfer_id`).
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct PointsResolveBody {
    /// `points.void`: the hold's `transfer_id`.
    pub hold_id: Option<Uuid>,
    /// `points.reverse`: the earning's or capture's `transfer_id`.
    pub transfer_id: Option<Uuid>,
    #[serde(default)]
    #[validate(length(max = 200, code = "QY-LED-0017"))]
    pub memo: String,
}

/// `points.balance` and `points.history`.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct PointsCustomerBody {
    #[validate(custom(function = "customer_no", code = "QY-CAMP-0010"))]
    pub customer_no: String,
    /// `points.history`: the page, from 1 (default 1).
    #[validate(range(min = 1, max = 10000, code = "QY-REQ-0011"))]
    pub page: Option<i64>,
    /// `points.history`: rows a page, 1–100 (default 20).
    #[validate(range(min = 1, max = 100, code = "QY-REQ-0011"))]
    pub page_size: Option<i64>,
}

/// The points services: the staff API's operations, keyed by the consumer's serial number (a
/// retry after a provider failure finds its first answer in the ledger).
async fn points_service(
    state: &AppState,
    code: &str,
    caller: &Caller,
    user: &User,
    body: &Value,
) -> Result<Value, Refusal> {
    let on_ledger = points::Caller {
        key: format!("esb:{}:{}", caller.consumer_code, caller.seq_no),
        actor: format!("{}@esb:{}", user.username, caller.consumer_code),
        audit: None,
    };
    let answer = match code {
        POINTS_EARN => {
            let request: points::EarnBody = body_of(body)?;
            serde_json::to_value(points::earn_for(state, user, &on_ledger, &request).await?)
        }
        POINTS_HOLD => {
            let request: points::HoldBody = body_of(body)?;
            serde_json::to_value(points::hold_for(state, &on_ledger, &request).await?)
        }
        POINTS_CAPTURE => {
            let request: PointsCaptureBody = body_of(body)?;
            let capture = points::CaptureBody {
                points: request.points,
                memo: request.memo,
            };
            serde_json::to_value(
                points::capture_for(state, &on_ledger, request.hold_id, &capture).await?,
            )
        }
        POINTS_VOID => {
            let request: PointsResolveBody = body_of(body)?;
            let hold = request.hold_id.ok_or_else(|| missing("hold_id"))?;
            let memo = points::MemoBody { memo: request.memo };
            serde_json::to_value(points::void_for(state, &on_ledger, hold, &memo).await?)
        }
        POINTS_REVERSE => {
            let request: PointsResolveBody = body_of(body)?;
            let transfer = request.transfer_id.ok_or_else(|| missing("transfer_id"))?;
            let memo = points::MemoBody { memo: request.memo };
            serde_json::to_value(points::reverse_for(state, &on_ledger, transfer, &memo).await?)
        }
        POINTS_BALANCE | POINTS_HISTORY => {
            let request: PointsCustomerBody = body_of(body)?;
            let customer: CustomerNo = parsed(
                "customer_no",
                request.customer_no.as_str(),
                ErrorCode::InvalidCustomerNo,
            )?;
            if code == POINTS_BALANCE {
                serde_json::to_value(points::balance_of(state, &customer).await?)
            } else {
                let size = request.page_size.unwrap_or(20);
                let offset = (request.page.unwrap_or(1) - 1) * size;
                serde_json::to_value(points::history_of(state, &customer, size, offset).await?)
            }
        }
        _ => return Err(RetCode::UnknownService.into()),
    };
    Ok(answer.expect("an answer serializes"))
}

/// A field the service needs is absent.
fn missing(field: &str) -> Refusal {
    ApiError::fields(vec![FieldError {
        field: field.into(),
        code: ErrorCode::InvalidBody,
    }])
    .into()
}

/// `merchant.apply`: beside the application's fields (as `POST /api/v1/onboarding/applications`
/// takes them, [`onboarding::DraftBody`]) the applicant's phone, which the channel has verified.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct MerchantApplyExtras {
    /// The applicant's mobile number, verified by the channel; the applicant signs in with it on
    /// the public page to follow the application.
    #[validate(custom(function = "applicant_phone", code = "QY-SYS-1028"))]
    pub phone: String,
}

fn applicant_phone(phone: &str) -> Result<(), ValidationError> {
    if quanyi_activities::onboarding::check::phone(phone) {
        Ok(())
    } else {
        Err(ValidationError::new("phone"))
    }
}

/// `merchant.apply`: the application drafted with every field checked as the applicant's page
/// checks it, then submitted; its process starts. The serial number names the application, so a
/// retry after a provider failure finds it (and its process) again.
async fn merchant_apply(
    state: &AppState,
    caller: &Caller,
    user: &User,
    body: &Value,
) -> Result<Value, Refusal> {
    let (fields, extras): (onboarding::DraftBody, MerchantApplyExtras) = body_parts_of(body)?;
    let draft = fields.into_draft()?;
    let lacking = quanyi_activities::onboarding::missing(&draft);
    if !lacking.is_empty() {
        return Err(ApiError::fields(
            lacking
                .into_iter()
                .map(|f| FieldError {
                    field: f.into(),
                    code: ErrorCode::ApplicationIncomplete,
                })
                .collect(),
        )
        .into());
    }
    // the branch, and it within the acting user's data scope (outside it: as if unknown)
    let unknown_branch = || -> Refusal {
        ApiError::fields(vec![FieldError {
            field: "org_code".into(),
            code: ErrorCode::UnknownBranch,
        }])
        .into()
    };
    let org_code = draft.org_code.clone().unwrap_or_default();
    let Some(org_id) = quanyi_activities::onboarding::branch_id(&state.pool, &org_code).await?
    else {
        return Err(unknown_branch());
    };
    if !campaign::org_in_scope(state, user, org_id).await? {
        return Err(unknown_branch());
    }
    let id = Uuid::new_v5(
        &APPLICATION_NAMESPACE,
        format!("{}:{}", caller.consumer_code, caller.seq_no).as_bytes(),
    );
    quanyi_activities::onboarding::draft_once(
        &state.pool,
        id,
        &extras.phone,
        &draft,
        state.clock.now(),
    )
    .await?
    .map_err(onboarding::refusal)?;
    let application =
        onboarding::submit_and_start(state, &extras.phone, id, |_| who(user, caller)).await?;
    let name = onboarding::process_state(state, &application)
        .await?
        .unwrap_or_else(|| "FirstReview".to_owned());
    let (zh, en) = onboarding::labels(&name);
    Ok(json!({
        "application_id": id,
        "application_no": application.code,
        "workflow_id": ProcessKind::MerchantOnboarding.workflow_id(&id.to_string()),
        "state": name, "state_label_zh": zh, "state_label_en": en,
    }))
}

fn application_no(no: &str) -> Result<(), ValidationError> {
    let digits = no.strip_prefix("RZ").unwrap_or("");
    if (1..=30).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ValidationError::new("application_no"))
    }
}

/// `merchant.application.query`.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct MerchantApplicationQueryBody {
    /// 申请编号 as `merchant.apply` answered it: `RZ` and digits.
    #[validate(custom(function = "application_no", code = "QY-REQ-0002"))]
    pub application_no: String,
}

/// `merchant.application.query`: where the application stands and its timeline, personal data
/// masked; an application outside the acting user's data scope is as unknown.
async fn merchant_application_query(
    state: &AppState,
    user: &User,
    body: &Value,
) -> Result<Value, Refusal> {
    use quanyi_activities::pii::{Kind, mask};
    let request: MerchantApplicationQueryBody = body_of(body)?;
    let Some(application) =
        quanyi_activities::onboarding::by_code(&state.pool, &request.application_no).await?
    else {
        return Err(RetCode::UnknownBusinessKey.into());
    };
    let workflow_id = ProcessKind::MerchantOnboarding.workflow_id(&application.id.to_string());
    door::monitor::process_in_scope(state, user, &workflow_id)
        .await
        .map_err(|_| Refusal::from(RetCode::UnknownBusinessKey))?;
    let timeline = quanyi_activities::process::inbox::timeline(&state.pool, &workflow_id).await?;
    let name = onboarding::process_state(state, &application)
        .await?
        .unwrap_or_else(|| "FirstReview".to_owned());
    let (zh, en) = onboarding::labels(&name);
    let last_comment = timeline
        .iter()
        .rev()
        .find(|t| matches!(t.event.as_str(), "Return" | "Reject"))
        .and_then(|t| t.comment.clone());
    let d = &application.draft;
    Ok(json!({
        "application_no": application.code,
        "workflow_id": workflow_id,
        "state": name, "state_label_zh": zh, "state_label_en": en,
        "ended": onboarding::ended(&name),
        "legal_name": d.legal_name,
        "org_code": application.org_code,
        "phone": mask(Kind::Phone, &application.phone),
        "id_number": d.id_number.as_deref().map(|v| mask(Kind::IdNumber, v)),
        "account_no": d.account_no.as_deref().map(|v| mask(Kind::BankCard, v)),
        "merchant_code": application.merchant_id.map(|_| {
            quanyi_activities::onboarding::merchant_code(application.code.as_deref().unwrap_or(""))
        }),
        "last_comment": last_comment,
        "submitted_at": application.submitted_at,
        "timeline": timeline,
    }))
}
