//! The merchant-status workflow: the approval host with its machine, no actions of its own, and
//! one effect — settling the request in the store (the merchant's status changed when approved).

use super::contract::{MerchantStatusInput, Review, SettleStatusRequest, StatusRequestOutcome};
use super::machine::{Command, Event, MerchantStatus, State};
use crate::host::{Host, Identity};

use temporalio_macros::workflow;
use temporalio_sdk::WorkflowContextView;

#[workflow]
pub struct MerchantStatusWorkflow {
    host: Host<MerchantStatusWorkflow>,
    input: MerchantStatusInput,
}

crate::single_approval::single_approval_process! {
    workflow: MerchantStatusWorkflow,
    machine: MerchantStatus,
    kind: MerchantStatus,
    outcome: StatusRequestOutcome,
    settle: SettleStatusRequest,
}

crate::process_workflow!(MerchantStatusWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: MerchantStatusInput) -> Self {
        let identity = Identity {
            key: input.request_id.clone(),
            business_key: input.merchant_code.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.submitted_by.clone(),
        };
        let title = format!(
            "{}商户 {}（{}）",
            input.action.label_zh(),
            input.merchant_name,
            input.merchant_code
        );
        Self {
            host: Host::new(identity, title, input.reason.clone()),
            input,
        }
    }
});
