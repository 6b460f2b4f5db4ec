//! 库存变动审批 (BEN-1): a stock increase above the configured amount is the durable process
//! `stock-change-<request id>`: its [`machine`], its [`contract`] and a thin
//! [`StockChangeWorkflow`] on the approval host. Its levels come from the `stock-change` policy;
//! the stock is added once when the last level approves, and nothing is added when it is
//! rejected, returned or withdrawn.

pub mod contract;
pub mod machine;
mod workflow;

use crate::kind::KindSpec;
use crate::table::Table;

pub use contract::*;
pub use machine::{Command, Event, State, TRANSITIONS, Transition};
pub use workflow::StockChangeWorkflow;

pub static SPEC: KindSpec = KindSpec {
    code: "stock-change",
    label_zh: "库存变动审批",
    label_en: "Stock change",
    policy_key: "stock-change",
    diagram: machine::StockChange::diagram,
};
