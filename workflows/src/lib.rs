//! Quanyi's processes: pure state machines and the Temporal workflows that feed them.
//! No I/O lives here; effects are activities, named by the definitions in each module.

pub mod approval;
pub mod campaign;
pub mod domain;
pub mod process;
pub mod stock;
