//! What the listing process takes and does: a supplier's request about one product (its first
//! listing, a revision of the listed product, a stock increase above the threshold, or its
//! delisting), the approval it waits for, and the activity that carries it out on the product
//! (once) or closes it.

use crate::approval::{Actor, OrgChain, Policy};
use crate::host::StepKind;
use crate::process::NoOwn;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityDefinition;

/// What is asked about the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// 上架: the first listing of a draft, 审核 then 复核.
    List,
    /// 变更: a revision of a listed product (text, images, specs, prices); the live version
    /// keeps selling until it is approved.
    Revise,
    /// 补库存: a stock increase above the threshold.
    Restock,
    /// 下架: the supplier's own delisting.
    Delist,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::List => "list",
            RequestKind::Revise => "revise",
            RequestKind::Restock => "restock",
            RequestKind::Delist => "delist",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RequestKind::List => "上架",
            RequestKind::Revise => "变更",
            RequestKind::Restock => "补库存",
            RequestKind::Delist => "下架",
        }
    }
}

/// The request as the process needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingInput {
    pub request_id: String,
    pub product_code: String,
    pub product_name: String,
    pub kind: RequestKind,
    pub reason: Option<String>,
    /// The supplier's org.
    pub org_id: String,
    pub chain: OrgChain,
    pub submitted_by: Actor,
    /// The product category's policy of the day: `listing` for a first listing, `listing-change`
    /// for the others.
    pub policy: Policy,
}

pub type ActionRequest = crate::process::ActionRequest<NoOwn>;
pub type ProcessView = crate::process::ProcessView<()>;

/// Its approval (one or more levels, by its policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review;

impl StepKind for Review {
    fn code(self) -> &'static str {
        "review"
    }
}

/// How a request ends in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingOutcome {
    pub request_id: String,
    /// `applied`, `rejected` or `withdrawn`.
    pub status: String,
    pub decided_by: Option<String>,
    pub at: DateTime<Utc>,
}

/// Activity: carry out (once) or close a listing request.
pub struct SettleListingRequest;

impl ActivityDefinition for SettleListingRequest {
    type Input = ListingOutcome;
    type Output = ();

    fn name(&self) -> &str {
        "mall.settle_listing_request"
    }
}
