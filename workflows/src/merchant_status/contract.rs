//! What the merchant-status process takes and does: the request (disable or enable, the reason),
//! its one approval, and the activity that changes the merchant's status (once) or closes the
//! request.

use crate::approval::{Actor, OrgChain, Policy};
use crate::host::StepKind;
use crate::process::NoOwn;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityDefinition;

/// What is asked of the merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusAction {
    /// 停用: redemptions, signed-API calls and sessions refused.
    Disable,
    /// 启用: served again.
    Enable,
}

impl StatusAction {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusAction::Disable => "disable",
            StatusAction::Enable => "enable",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            StatusAction::Disable => "停用",
            StatusAction::Enable => "启用",
        }
    }

    /// The merchant's status once the request is applied.
    pub fn target_status(self) -> &'static str {
        match self {
            StatusAction::Disable => "disabled",
            StatusAction::Enable => "active",
        }
    }
}

/// The request as the process needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantStatusInput {
    pub request_id: String,
    pub merchant_code: String,
    pub merchant_name: String,
    pub action: StatusAction,
    pub reason: Option<String>,
    /// The merchant's org.
    pub org_id: String,
    pub chain: OrgChain,
    pub submitted_by: Actor,
    pub policy: Policy,
}

pub type ActionRequest = crate::process::ActionRequest<NoOwn>;
pub type ProcessView = crate::process::ProcessView<()>;

/// Its one approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review;

impl StepKind for Review {
    fn code(self) -> &'static str {
        "review"
    }
}

/// How a request ends in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRequestOutcome {
    pub request_id: String,
    /// `applied`, `rejected` or `withdrawn`.
    pub status: String,
    pub decided_by: Option<String>,
    pub at: DateTime<Utc>,
}

/// Activity: apply (change the merchant's status, once) or close a status request.
pub struct SettleStatusRequest;

impl ActivityDefinition for SettleStatusRequest {
    type Input = StatusRequestOutcome;
    type Output = ();

    fn name(&self) -> &str {
        "merchant.settle_status_request"
    }
}
