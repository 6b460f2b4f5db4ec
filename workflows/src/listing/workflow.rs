//! The listing workflow: the approval host with its machine, no actions of its own, and one
//! effect — settling the request in the store (carried out on the product when approved).

use super::contract::{ListingInput, ListingOutcome, Review, SettleListingRequest};
use super::machine::{Command, Event, Listing, State};
use crate::host::{Host, Identity};

use temporalio_macros::workflow;
use temporalio_sdk::WorkflowContextView;

#[workflow]
pub struct ListingWorkflow {
    host: Host<ListingWorkflow>,
    input: ListingInput,
}

crate::single_approval::single_approval_process! {
    workflow: ListingWorkflow,
    machine: Listing,
    kind: Listing,
    outcome: ListingOutcome,
    settle: SettleListingRequest,
}

crate::process_workflow!(ListingWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ListingInput) -> Self {
        let identity = Identity {
            key: input.request_id.clone(),
            business_key: input.product_code.clone(),
            org_id: input.org_id.clone(),
            chain: input.chain.clone(),
            started_by: input.submitted_by.clone(),
        };
        let title = format!(
            "{}商品 {}（{}）",
            input.kind.label_zh(),
            input.product_name,
            input.product_code
        );
        Self {
            host: Host::new(identity, title, input.reason.clone()),
            input,
        }
    }
});
