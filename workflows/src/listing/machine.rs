//! The listing request's state machine: the single-approval machine (see
//! [`crate::single_approval`]), 草稿 → 待审核 → 已生效, 已驳回 or 已撤回. What the request does to its
//! product (草稿 → 待审核 → 已上架 → 已下架, or a revision going live) is the settling activity's.

crate::single_approval::single_approval_machine! {
    machine: Listing,
    apply: "Carry the request out on the product, once.",
    requested: ("草稿", "Draft"),
    under_review: ("待审核", "Pending review"),
    applied: ("已生效", "Applied"),
}
