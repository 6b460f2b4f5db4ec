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

/// The mall's sweepers every `interval` until `shutdown`: unpaid orders past their window closed
/// (their stock, points and coupon back; an open Q支付 payment queried and closed first) and
/// shipped orders past the days allowed completed. Any number of workers may sweep at once.
pub async fn mall_orders(
    pool: PgPool,
    qpay: Option<quanyi_activities::qpay::Qpay>,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) {
    use quanyi_activities::clock::Clock;
    use quanyi_activities::mall::orders;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                let now = SystemClock.now();
                match orders::close_due(&pool, qpay.as_ref(), now, 500).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(orders = n, "unpaid mall orders closed"),
                    Err(e) => tracing::error!(error = %e, "the mall's unpaid-order sweep failed"),
                }
                let days = orders::parameter(
                    &pool,
                    orders::AUTO_COMPLETE_DAYS_PARAMETER,
                    orders::DEFAULT_AUTO_COMPLETE_DAYS,
                )
                .await
                .unwrap_or(orders::DEFAULT_AUTO_COMPLETE_DAYS);
                match orders::complete_due(&pool, now, days, 500).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(orders = n, "shipped mall orders completed"),
                    Err(e) => tracing::error!(error = %e, "the mall's completion sweep failed"),
                }
            }
            () = &mut shutdown => return,
        }
    }
}
