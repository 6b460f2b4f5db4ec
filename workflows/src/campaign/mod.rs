//! 营销活动 (MKT-3, WF-1): the campaign lifecycle as a durable process `campaign-<id>`: its
//! [`machine`] (pure, statig, with its table), its [`contract`] (facts, input, its own actions, its
//! activities) and a thin [`CampaignWorkflow`] on the approval host (`crate::host`).

pub mod contract;
pub mod machine;
mod workflow;

use crate::kind::KindSpec;
use crate::table::Table;

pub use contract::*;
pub use machine::{Command, Event, State, TRANSITIONS, Transition};
pub use workflow::CampaignWorkflow;

pub static SPEC: KindSpec = KindSpec {
    code: "campaign",
    label_zh: "营销活动",
    label_en: "Campaign",
    policy_key: "campaign",
    diagram: machine::Campaign::diagram,
};

/// The approval policy of changes and terminations.
pub const CHANGE_POLICY_KEY: &str = crate::kind::CAMPAIGN_CHANGE_POLICY;
