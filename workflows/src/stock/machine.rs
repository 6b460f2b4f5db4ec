//! The stock change's state machine: the single-approval machine (see
//! [`crate::single_approval`]), 已申请 → 审批中 → 已入库, 已驳回 or 已撤回.

crate::single_approval::single_approval_machine! {
    machine: StockChange,
    apply: "Add the stock, once.",
    requested: ("已申请", "Requested"),
    under_review: ("审批中", "Under review"),
    applied: ("已入库", "Applied"),
}
