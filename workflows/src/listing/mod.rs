//! 商品上架审批 (issue 18, WF-3 and MALL-5): a supplier's request about one of its products — its
//! first listing (审核 then 复核), a revision of the listed product (the live version keeps
//! selling meanwhile), a stock increase above the threshold, or its delisting — is the durable
//! process `listing-<request id>`: its [`machine`], its [`contract`] and a thin
//! [`ListingWorkflow`] on the approval host, with the levels of the product category's policy.
//! Approved, the request is carried out on the product in one transaction; see
//! docs/processes/listing.md.

pub mod contract;
pub mod machine;
mod workflow;

use crate::kind::KindSpec;
use crate::table::Table;

pub use contract::*;
pub use machine::{Command, Event, State, TRANSITIONS, Transition};
pub use workflow::ListingWorkflow;

pub static SPEC: KindSpec = KindSpec {
    code: "listing",
    label_zh: "商品上架审批",
    label_en: "Product listing",
    policy_key: "listing",
    diagram: machine::Listing::diagram,
};
