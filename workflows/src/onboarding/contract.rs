//! What the merchant-onboarding process takes, keeps, does and shows: the submitted application,
//! its approvals (初审, 复核, 开户异常), the applicant's own actions (answer a request for more
//! material, withdraw), and the activities of provisioning and of telling the applicant.

use crate::approval::{Actor, OrgChain, Policy};
use crate::host::StepKind;
use crate::process::OwnAction;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityDefinition;

/// The application as the process needs it; the details stay in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardingInput {
    /// The application's id (`merchant-onboarding-<id>`).
    pub application_id: String,
    /// Its business number (`RZ…`).
    pub application_no: String,
    /// The merchant's legal name: the process's title.
    pub legal_name: String,
    /// The branch of the merchant's area, which 初审 belongs to.
    pub org_id: String,
    pub chain: OrgChain,
    /// The applicant, as the process knows them (no staff account: `applicant:<id>`).
    pub applicant: Actor,
    /// 初审 (the branch).
    pub first_policy: Policy,
    /// 复核 (head office).
    pub second_policy: Policy,
    /// 开户异常 (head office operations).
    pub exception_policy: Policy,
    /// How long the applicant has to answer a request for more material.
    pub supplement_seconds: i64,
}

/// The applicant's own actions (the reviewers' are the host's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApplicantAction {
    /// The requested material is supplied: back to 初审.
    Resubmit,
    /// The application is withdrawn while it waits for material.
    WithdrawApplication,
}

impl OwnAction for ApplicantAction {
    fn name(&self) -> &'static str {
        match self {
            ApplicantAction::Resubmit => "resubmit",
            ApplicantAction::WithdrawApplication => "withdraw_application",
        }
    }
}

pub type ActionRequest = crate::process::ActionRequest<ApplicantAction>;
pub type ProcessView = crate::process::ProcessView<OnboardingDetail>;

/// What the view adds: when the material is due, and how provisioning went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardingDetail {
    pub supplement_due_at: Option<DateTime<Utc>>,
    /// The merchant's code once opened.
    pub merchant_code: Option<String>,
}

/// The process's approvals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    First,
    Second,
    Exception,
}

impl StepKind for Review {
    fn code(self) -> &'static str {
        match self {
            Review::First => "first_review",
            Review::Second => "second_review",
            Review::Exception => "exception",
        }
    }
}

/// Provisioning's input: the application, and the round (a 开户异常 handled provisions again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionRequest {
    pub application_id: String,
    pub round: i32,
    pub at: DateTime<Utc>,
}

/// How provisioning ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Provisioned {
    /// Merchant, stores, administrator and account in place.
    Opened { merchant_code: String },
    /// The core banking system did not confirm the account number and name.
    AccountMismatch { reason: String },
}

/// Activity: check the settlement account with the core banking system, then create the merchant,
/// its stores and its administrator (a one-time password by SMS); each step once, whatever the
/// retries.
pub struct ProvisionMerchant;

impl ActivityDefinition for ProvisionMerchant {
    type Input = ProvisionRequest;
    type Output = Provisioned;

    fn name(&self) -> &str {
        "onboarding.provision"
    }
}

/// An SMS to the applicant, queued once under its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicantNotice {
    pub application_id: String,
    /// Unique per notice (`<workflow id>/<seq>/applicant`).
    pub key: String,
    /// The state the application is now in (its stable name).
    pub state: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Activity: queue the applicant's SMS in the outbox.
pub struct NotifyApplicant;

impl ActivityDefinition for NotifyApplicant {
    type Input = ApplicantNotice;
    type Output = ();

    fn name(&self) -> &str {
        "onboarding.notify_applicant"
    }
}
