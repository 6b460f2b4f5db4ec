//! 商户停用/启用 (issue 16): staff ask to disable (with a reason) or enable a merchant; the request
//! is the durable process `merchant-status-<request id>`: its [`machine`], its [`contract`] and a
//! thin [`MerchantStatusWorkflow`] on the approval host, one level from the `merchant-status`
//! policy. Approved, the merchant's status changes at once — its redemptions, its signed-API
//! clients' calls and its users' sessions are refused (or served again) from that commit on; see
//! docs/processes/merchant-status.md.

pub mod contract;
pub mod machine;
mod workflow;

use crate::kind::KindSpec;
use crate::table::Table;

pub use contract::*;
pub use machine::{Command, Event, State, TRANSITIONS, Transition};
pub use workflow::MerchantStatusWorkflow;

pub static SPEC: KindSpec = KindSpec {
    code: "merchant-status",
    label_zh: "商户停用/启用",
    label_en: "Merchant disable / enable",
    policy_key: "merchant-status",
    diagram: machine::MerchantStatus::diagram,
};
