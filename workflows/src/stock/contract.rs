//! What the stock-change process takes and does: the request, its one approval, and the activity
//! that adds the stock (once) or closes the request.

use crate::approval::{Actor, OrgChain, Policy};
use crate::host::StepKind;
use crate::process::NoOwn;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityDefinition;

/// The request as the process needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockChangeInput {
    pub request_id: String,
    pub template_code: String,
    pub template_name: String,
    pub quantity: i64,
    pub reason: Option<String>,
    pub org_id: String,
    pub chain: OrgChain,
    pub submitted_by: Actor,
    pub policy: Policy,
}

pub type ActionRequest = crate::process::ActionRequest<NoOwn>;
pub type ProcessView = crate::process::ProcessView<()>;

/// Its one approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review;

impl StepKind for Review {
    fn code(self) -> &'static str {
        "review"
    }
}

/// How a request ends in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRequestOutcome {
    pub request_id: String,
    /// `applied`, `rejected` or `withdrawn`.
    pub status: String,
    pub decided_by: Option<String>,
    pub at: DateTime<Utc>,
}

/// Activity: apply (add the stock, once) or close a stock-change request.
pub struct SettleStockRequest;

impl ActivityDefinition for SettleStockRequest {
    type Input = StockRequestOutcome;
    type Output = ();

    fn name(&self) -> &str {
        "benefit.settle_stock_request"
    }
}
