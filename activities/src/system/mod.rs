//! 系统管理 in the store (SYS-1, SYS-2, SYS-3): the org tree ([`orgs`]), the menu ([`menus`]), the
//! code lists ([`dictionaries`]), the security parameters ([`parameters`]) and the reads of the
//! login and audit logs ([`logs`]).

pub mod dictionaries;
pub mod logs;
pub mod menus;
pub mod orgs;
pub mod parameters;
