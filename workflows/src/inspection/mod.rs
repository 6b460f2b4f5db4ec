//! 巡查任务 (issue 16, WF-4): an inspection of one merchant is the durable process
//! `inspection-<task id>` — its [`machine`], its [`contract`] and a thin [`InspectionWorkflow`] on
//! the approval host. Tasks come from inspection plans, whose Temporal Schedules start a
//! [`round`] each time they fire, or are issued by hand; see docs/processes/inspection.md.

pub mod contract;
pub mod machine;
pub mod round;
mod workflow;

use crate::kind::KindSpec;
use crate::table::Table;

pub use contract::*;
pub use machine::{Command, Event, State, TRANSITIONS, Transition};
pub use round::{InspectionRoundWorkflow, round_workflow_id};
pub use workflow::InspectionWorkflow;

pub static SPEC: KindSpec = KindSpec {
    code: "inspection",
    label_zh: "巡查任务",
    label_en: "Inspection",
    policy_key: "inspection",
    diagram: machine::Inspection::diagram,
};
