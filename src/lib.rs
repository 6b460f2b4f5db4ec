//! The `quanyi` binary's library: configuration, logging, the embedded stack that `quanyi dev`
//! and the test harness share, and the wiring that runs the API and the worker.

pub mod config;
pub mod demo;
pub mod dev;
pub mod stack;
pub mod telemetry;

use config::Config;
use quanyi_api::{AppState, TemporalClient};
use sqlx::PgPool;
use stack::StackError;
use tokio_util::sync::CancellationToken;

/// A lazy pool over the configured database.
pub fn connect(config: &Config) -> Result<PgPool, StackError> {
    let options = config
        .database_options()
        .map_err(|e| StackError(e.to_string()))?;
    Ok(quanyi_activities::store::pool(
        options,
        config.database.max_connections,
    ))
}

/// The application's pool, after bringing the schema up to date with the owner's rights.
pub async fn connect_and_migrate(config: &Config) -> Result<PgPool, StackError> {
    let options = config
        .database_options()
        .map_err(|e| StackError(e.to_string()))?;
    let owner = quanyi_activities::store::owner_pool(options);
    let migrated = quanyi_activities::store::migrate(&owner).await;
    owner.close().await;
    migrated.map_err(|e| StackError(format!("cannot migrate the database: {e}")))?;
    connect(config)
}

fn app_state(config: &Config, pool: PgPool) -> Result<AppState, StackError> {
    quanyi_activities::identity::hashing::start(config.api.hashing_threads);
    let settings = config
        .api_settings()
        .map_err(|e| StackError(e.to_string()))?;
    Ok(AppState::new(
        pool,
        TemporalClient::new(
            config.temporal.url.clone(),
            config.temporal.namespace.clone(),
        ),
        settings,
    ))
}

/// Resolves at SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler installs");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
}

/// `quanyi api`: serves until a signal, draining requests in flight.
pub async fn serve_api(
    config: &Config,
    pool: PgPool,
    listener: tokio::net::TcpListener,
) -> Result<(), StackError> {
    quanyi_api::serve(listener, app_state(config, pool)?, shutdown_signal())
        .await
        .map_err(|e| StackError(format!("the API stopped: {e}")))
}

/// Sends due notices every `interval` until `stop`, on every configured channel. Never waits on
/// a process, and no process waits on it: a peer that is down only leaves its rows retrying.
pub async fn dispatch_notifications(
    dispatcher: quanyi_activities::notify::Dispatcher,
    pool: PgPool,
    batch: i64,
    interval: std::time::Duration,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => return,
        }
        let now = chrono::Utc::now();
        if let Err(e) = quanyi_activities::notify::dispatch(&pool, &dispatcher, batch, now).await {
            tracing::warn!(error = %e, "cannot dispatch notifications");
        }
    }
}

async fn worker(config: &Config, pool: PgPool, stop: CancellationToken) -> Result<(), StackError> {
    let nightly = config
        .points_nightly()
        .map_err(|e| StackError(e.to_string()))?;
    let reminders = quanyi_activities::points::expiry::Reminders {
        keys: config
            .customer_keys()
            .map_err(|e| StackError(e.to_string()))?,
        sms: config.routing().sms("points_expiry"),
    };
    let dispatcher = config
        .dispatcher(&pool)
        .map_err(|e| StackError(e.to_string()))?;
    let channels: Vec<&str> = dispatcher.channels().iter().map(|c| c.as_str()).collect();
    if config.notify.smtp_url.is_none() {
        tracing::info!("notify.smtp_url is not set: e-mail notices stay queued");
    }
    tracing::info!(?channels, "notification channels");
    tokio::spawn(dispatch_notifications(
        dispatcher,
        pool.clone(),
        config.notify.batch.max(1),
        std::time::Duration::from_secs(config.notify.interval_seconds.max(1)),
        stop.clone(),
    ));
    let client =
        quanyi_activities::temporal::connect(&config.temporal.url, &config.temporal.namespace)
            .await
            .map_err(|e| StackError(e.to_string()))?;
    // checked before anything is spawned: an error returns with nothing left running
    let settings = config
        .worker_settings()
        .map_err(|e| StackError(e.to_string()))?;
    let housekeeping = tokio::spawn(quanyi_worker::housekeeping::every(
        pool.clone(),
        config.housekeeping_interval(),
        stop.clone().cancelled_owned(),
    ));
    let tiers = quanyi_activities::points::tiers::Notices::routed(
        reminders.keys.clone(),
        &config.routing(),
    );
    let points = tokio::spawn(quanyi_worker::housekeeping::nightly_points(
        pool.clone(),
        nightly,
        reminders,
        tiers,
        stop.clone().cancelled_owned(),
    ));
    let qpay = config.qpay_client();
    let mall = tokio::spawn(quanyi_worker::housekeeping::mall_orders(
        pool.clone(),
        qpay,
        std::time::Duration::from_secs(30),
        stop.clone().cancelled_owned(),
    ));
    quanyi_worker::reconcile_schedules(&client, &pool, &settings.task_queue).await;
    let options = quanyi_worker::options(&settings, pool);
    let result = quanyi_worker::run(client, options, stop.clone().cancelled_owned())
        .await
        .map_err(|e| StackError(e.to_string()));
    // The timer stops with the worker, whichever way the worker ended.
    stop.cancel();
    housekeeping
        .await
        .map_err(|e| StackError(format!("the housekeeping task failed: {e}")))?;
    points
        .await
        .map_err(|e| StackError(format!("the points expiry task failed: {e}")))?;
    mall.await
        .map_err(|e| StackError(format!("the mall's sweeper failed: {e}")))?;
    result
}

/// `quanyi worker`: runs until a signal, finishing the tasks in hand.
pub async fn serve_worker(config: &Config, pool: PgPool) -> Result<(), StackError> {
    let stop = CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        on_signal.cancel();
    });
    worker(config, pool, stop).await
}

/// The API and the worker in one process (`quanyi dev`), stopping both when `shutdown` resolves
/// or when either fails.
pub async fn serve_api_and_worker(
    config: &Config,
    pool: PgPool,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), StackError> {
    let state = app_state(config, pool.clone())?;
    let stop = CancellationToken::new();
    let api = tokio::spawn(quanyi_api::serve(
        listener,
        state,
        stop.clone().cancelled_owned(),
    ));
    let worker = worker(config, pool, stop.clone());
    tokio::pin!(worker);
    let worker_result = tokio::select! {
        result = &mut worker => result,
        () = shutdown => {
            stop.cancel();
            worker.await
        }
    };
    stop.cancel();
    let api_result = api
        .await
        .map_err(|e| StackError(format!("the API task failed: {e}")))?
        .map_err(|e| StackError(format!("the API stopped: {e}")));
    worker_result.and(api_result)
}
