//! 结算账户变更 (issue 16): a merchant's administrator (or staff) asks to change the merchant's
//! settlement account; the request is the durable process `settlement-account-change-<id>`: its
//! [`machine`], its [`contract`] and a thin [`AccountChangeWorkflow`] on the approval host. One
//! approval (`settlement-account-change`), then the same core-banking check as onboarding's; an
//! account the core does not confirm opens a staff task (`settlement-account-change-exception`)
//! as onboarding's 开户异常 does. The new account replaces the old only once checked; see
//! docs/processes/settlement-account-change.md.

pub mod contract;
pub mod machine;
mod workflow;

use crate::kind::KindSpec;
use crate::table::Table;

pub use contract::*;
pub use machine::{Command, Event, State, TRANSITIONS, Transition};
pub use workflow::AccountChangeWorkflow;

pub static SPEC: KindSpec = KindSpec {
    code: "settlement-account-change",
    label_zh: "结算账户变更",
    label_en: "Settlement account change",
    policy_key: "settlement-account-change",
    diagram: machine::AccountChange::diagram,
};
