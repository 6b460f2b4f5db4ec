//! The points expiry run as a process of its own, so a test can SIGKILL it half way. Reads
//! `DATABASE_URL`, `DATE` (YYYY-MM-DD), `CHUNK` and `PAUSE_MS`.

use quanyi_activities::clock::SystemClock;
use quanyi_activities::points::expiry::{self, RunSettings};
use std::time::Duration;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let var =
        |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the test"));
    let pool =
        quanyi_activities::store::pool(var("DATABASE_URL").parse().expect("database URL"), 2);
    let settings = RunSettings {
        chunk: var("CHUNK").parse().expect("CHUNK"),
        pause: Duration::from_millis(var("PAUSE_MS").parse().expect("PAUSE_MS")),
    };
    let date = var("DATE").parse().expect("DATE");
    let done = expiry::expire(&pool, date, settings, "test", &SystemClock)
        .await
        .expect("the run finishes");
    println!("{} customers, {} points", done.customers, done.points);
}
