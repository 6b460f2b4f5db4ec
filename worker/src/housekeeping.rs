//! The worker's timer for batch jobs that need no workflow: housekeeping every N minutes, each run
//! recorded in the batch log (批量日志) by the job itself.

use quanyi_activities::batch;
use quanyi_activities::clock::SystemClock;
use sqlx::PgPool;
use std::future::Future;
use std::time::Duration;

/// Runs housekeeping every `interval` (the first run one interval after start) until `shutdown`
/// resolves. A failed run is in the batch log; one that cannot even be recorded is logged here
/// and the timer carries on.
pub async fn every(pool: PgPool, interval: Duration, shutdown: impl Future<Output = ()>) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    // A worker that was paused does not catch up with a burst of runs.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(minutes = interval.as_secs() / 60, "housekeeping scheduled");
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                match batch::housekeeping(&pool, &SystemClock, "schedule").await {
                    Ok(run) => tracing::info!(status = run.status, rows = run.rows_affected, "housekeeping ran"),
                    Err(e) => tracing::error!(error = %e, "housekeeping could not be recorded"),
                }
            }
            () = &mut shutdown => return,
        }
    }
}
