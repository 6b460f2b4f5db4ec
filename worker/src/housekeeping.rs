//! The worker's timers for batch jobs that need no workflow: housekeeping every N minutes, and
//! the points expiry with its reminders every night; each run recorded in the batch log (批量日志)
//! by the job itself.

use quanyi_activities::clock::SystemClock;
use quanyi_activities::{batch, points};
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

/// Runs the points expiry for the bank's date, then the expiry reminders, then the tier
/// evaluation (downgrade notices and 到期提醒 with `tiers`), every night at `nightly.at` (Beijing time), until
/// `shutdown` resolves. Each run is in the batch log; a run that finds another going (another
/// worker's) leaves the night to it.
pub async fn nightly_points(
    pool: PgPool,
    nightly: points::expiry::Nightly,
    reminders: points::expiry::Reminders,
    tiers: points::tiers::Notices,
    shutdown: impl Future<Output = ()>,
) {
    use quanyi_activities::clock::Clock;
    tracing::info!(at = %nightly.at, "points expiry scheduled");
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let wait = nightly.until_next(SystemClock.now());
        tokio::select! {
            () = tokio::time::sleep(wait) => {
                let date = points::expiry::today(SystemClock.now());
                match points::expiry::expire(&pool, date, nightly.run, "schedule", &SystemClock).await {
                    Ok(done) => tracing::info!(%date, customers = done.customers, points = done.points, "points expired"),
                    Err(e) => tracing::error!(%date, error = %e, "the points expiry run did not finish"),
                }
                match points::expiry::remind(&pool, &reminders, date, nightly.run, "schedule", &SystemClock).await {
                    Ok(done) => tracing::info!(%date, customers = done.customers, "points expiry reminders queued"),
                    Err(e) => tracing::error!(%date, error = %e, "the points reminder run did not finish"),
                }
                match points::tiers::evaluate_all(&pool, &tiers, nightly.run, "schedule", &SystemClock).await {
                    Ok(done) => tracing::info!(%date, customers = done.customers, upgraded = done.upgraded, downgraded = done.downgraded, lapse_notices = done.lapse_notices, "tiers evaluated"),
                    Err(e) => tracing::error!(%date, error = %e, "the tier evaluation did not finish"),
                }
            }
            () = &mut shutdown => return,
        }
    }
}
