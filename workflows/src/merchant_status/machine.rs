//! The merchant-status request's state machine: the single-approval machine (see
//! [`crate::single_approval`]), 已申请 → 审批中 → 已生效, 已驳回 or 已撤回.

crate::single_approval::single_approval_machine! {
    machine: MerchantStatus,
    apply: "Change the merchant's status, once.",
    requested: ("已申请", "Requested"),
    under_review: ("审批中", "Under review"),
    applied: ("已生效", "Applied"),
}
