//! What the settlement-account-change process takes and does: the request, its approvals (the
//! review, and the exception task when the core does not confirm the account), the check (which
//! replaces the account once it is confirmed) and the closing of a request that ends otherwise.

use crate::approval::{Actor, OrgChain, Policy};
use crate::host::StepKind;
use crate::process::NoOwn;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityDefinition;

/// The request as the process needs it; the account itself stays in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChangeInput {
    pub change_id: String,
    pub merchant_code: String,
    pub merchant_name: String,
    /// The new account number, masked: the title and the inbox show it.
    pub account_masked: String,
    pub reason: Option<String>,
    /// The merchant's org.
    pub org_id: String,
    pub chain: OrgChain,
    pub submitted_by: Actor,
    /// The review.
    pub policy: Policy,
    /// The task an account the core does not confirm opens.
    pub exception_policy: Policy,
}

pub type ActionRequest = crate::process::ActionRequest<NoOwn>;
pub type ProcessView = crate::process::ProcessView<()>;

/// The process's approvals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Review,
    Exception,
}

impl StepKind for Review {
    fn code(self) -> &'static str {
        match self {
            Review::Review => "review",
            Review::Exception => "exception",
        }
    }
}

/// A check of the new account with the core banking system: once per round (a handled exception
/// checks again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRequest {
    pub change_id: String,
    pub round: i32,
    /// Who approved the round (the audit's actor when the account is replaced).
    pub approved_by: Option<String>,
    pub at: DateTime<Utc>,
}

/// How the check ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Checked {
    /// Confirmed: the new account replaced the old.
    Applied,
    /// The core banking system did not confirm the account number and name.
    Mismatch { reason: String },
}

/// Activity: check the new account with the core banking system (once a round, whatever the
/// retries) and, confirmed, replace the merchant's account with it.
pub struct CheckAccount;

impl ActivityDefinition for CheckAccount {
    type Input = CheckRequest;
    type Output = Checked;

    fn name(&self) -> &str {
        "merchant.check_settlement_account"
    }
}

/// A request that ends without its account: rejected or withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeClosed {
    pub change_id: String,
    /// `rejected` or `withdrawn`.
    pub status: String,
    pub decided_by: Option<String>,
    pub at: DateTime<Utc>,
}

/// Activity: close a request that ends without its account.
pub struct CloseChange;

impl ActivityDefinition for CloseChange {
    type Input = ChangeClosed;
    type Output = ();

    fn name(&self) -> &str {
        "merchant.close_account_change"
    }
}
