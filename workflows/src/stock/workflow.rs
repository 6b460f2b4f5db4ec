//! The stock-change workflow: the approval host with the stock change's machine, no actions of its
//! own, and one effect — settling the request in the store.

use super::contract::{Review, SettleStockRequest, StockChangeInput, StockRequestOutcome};
use super::machine::{Command, Event, State, StockChange};
use crate::host::{Host, Identity};

use temporalio_macros::workflow;
use temporalio_sdk::WorkflowContextView;

#[workflow]
pub struct StockChangeWorkflow {
    host: Host<StockChangeWorkflow>,
    input: StockChangeInput,
}

crate::single_approval::single_approval_process! {
    workflow: StockChangeWorkflow,
    machine: StockChange,
    kind: StockChange,
    outcome: StockRequestOutcome,
    settle: SettleStockRequest,
}

crate::process_workflow!(StockChangeWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: StockChangeInput) -> Self {
        let identity = Identity {
            key: input.request_id.clone(),
            business_key: input.template_code.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.submitted_by.clone(),
        };
        let title = format!("{} 增加库存 {}", input.template_name, input.quantity);
        Self {
            host: Host::new(identity, title, input.reason.clone()),
            input,
        }
    }
});
