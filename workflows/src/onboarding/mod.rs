//! 商户线上入驻 (WF-2): an application a prospective merchant submits online is the durable process
//! `merchant-onboarding-<application id>`: its [`machine`], its [`contract`] and a thin
//! [`OnboardingWorkflow`] on the approval host. 初审 follows the `merchant-onboarding` policy (the
//! branch of the merchant's area), 复核 `merchant-onboarding-review` (head office), 开户异常
//! `merchant-onboarding-exception`; see docs/processes/merchant-onboarding.md.

pub mod contract;
pub mod machine;
mod workflow;

use crate::kind::KindSpec;
use crate::table::Table;

pub use contract::*;
pub use machine::{Command, Event, State, TRANSITIONS, Transition};
pub use workflow::OnboardingWorkflow;

pub static SPEC: KindSpec = KindSpec {
    code: "merchant-onboarding",
    label_zh: "商户入驻",
    label_en: "Merchant onboarding",
    policy_key: "merchant-onboarding",
    diagram: machine::Onboarding::diagram,
};
