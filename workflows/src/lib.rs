//! Quanyi's processes: pure state machines and the Temporal workflows that feed them.
//! No I/O lives here; effects are activities, named by the definitions in each module.
//! A process is one module (machine, contract, workflow), one [`kind::ProcessKind`] arm and the
//! approval [`host`] it embeds: see `docs/processes/README.md`.

pub mod account_change;
pub mod approval;
pub mod campaign;
pub mod domain;
pub mod host;
pub mod inspection;
pub mod kind;
pub mod listing;
pub mod merchant_status;
pub mod onboarding;
pub mod order;
pub mod process;
pub mod single_approval;
pub mod stock;
pub mod table;
