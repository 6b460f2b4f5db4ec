//! The test harness: one private PostgreSQL cluster and one Temporal dev server per test process
//! (from the same installs as `quanyi dev`), a database and a task queue per test, the app on a
//! random port with a typed client, the probe workflow that proves the process plumbing, and the
//! real peers the bank owns (an SMTP relay; the SMS platform, the WeChat robot and the ESB's
//! outbound endpoint over HTTP).

pub mod errand;
pub mod harness;
pub mod peers;
pub mod probe;
pub mod smtp;

pub use harness::{TestApp, spawn_app};
