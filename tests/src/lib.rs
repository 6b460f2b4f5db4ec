//! The test harness: one private PostgreSQL cluster and one Temporal dev server per test process
//! (from the same installs as `quanyi dev`), a database and a task queue per test, the app on a
//! random port with a typed client, and the probe workflow that proves the process plumbing.

pub mod harness;
pub mod probe;

pub use harness::{TestApp, spawn_app};
