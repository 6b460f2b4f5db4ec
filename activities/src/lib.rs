//! Everything that touches the world: the PostgreSQL store (typed functions over sqlx) and the
//! Temporal activities, thin wrappers over the same functions the API's hot paths call.

pub mod audit;
pub mod batch;
pub mod benefits;
pub mod campaign;
pub mod clock;
pub mod crypto;
pub mod customers;
pub mod esb;
pub mod files;
pub mod identity;
pub mod inspection;
pub mod ledger;
pub mod mall;
pub mod merchants;
pub mod notify;
pub mod numbers;
pub mod onboarding;
pub mod pii;
pub mod points;
pub mod process;
pub mod qpay;
pub mod seed;
pub mod store;
pub mod system;
pub mod temporal;
pub mod text;
