//! Quanyi's HTTP edge: routes by area, the session extractor, the error type and its catalogue,
//! request ids, metrics, OpenAPI, and the admin UI's files.

pub mod benefits;
pub mod cache;
pub mod campaign;
pub mod channel;
pub mod customers;
pub mod error;
pub mod esb;
pub mod extract;
pub mod files;
pub mod h5;
pub mod health;
pub mod identity;
pub mod inspection;
pub mod mall;
pub mod merchants;
pub mod metrics;
pub mod nonces;
pub mod onboarding;
pub mod openapi;
pub mod points;
pub mod process;
pub mod qpay;
pub mod request_id;
pub mod settings;
pub mod signing;
pub mod system;
pub mod temporal;
pub mod web;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{delete, get, post, put};
use quanyi_activities::clock::{Clock, SystemClock};
use sqlx::PgPool;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use settings::ApiSettings;
pub use temporal::TemporalClient;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub temporal: Arc<TemporalClient>,
    pub settings: Arc<ApiSettings>,
    pub metrics: metrics::Metrics,
    pub clock: Arc<dyn Clock>,
    pub caches: Arc<cache::Caches>,
    /// The ESB consumers' rate limits.
    pub esb_limits: Arc<esb::Limits>,
    /// Channel delivery's showings, counted until the next write.
    pub showings: Arc<campaign::delivery::Showings>,
    /// Spends signed reads' nonces in batches.
    pub nonces: nonces::NonceWriter,
}

impl AppState {
    /// Inside a tokio runtime: it starts the nonce writer.
    pub fn new(pool: PgPool, temporal: TemporalClient, settings: ApiSettings) -> Self {
        let nonces = nonces::NonceWriter::start(pool.clone());
        Self {
            nonces,
            pool,
            temporal: Arc::new(temporal),
            caches: Arc::new(cache::Caches::new(settings.policy.clone())),
            settings: Arc::new(settings),
            metrics: metrics::Metrics::new(),
            clock: Arc::new(SystemClock),
            esb_limits: Arc::new(esb::Limits::default()),
            showings: Arc::new(campaign::delivery::Showings::default()),
        }
    }

    /// The security policy in force (configuration defaults with the parameters applied).
    pub async fn policy(
        &self,
    ) -> Result<Arc<quanyi_activities::identity::SecurityPolicy>, error::ApiError> {
        Ok(self.caches.policy(&self.pool).await?)
    }

    /// The same app reading time from `clock` (tests move it by hand).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    // Staff calls under a session, area by area; a state-changing one needs the anti-forgery
    // header.
    let v1 = Router::new()
        .merge(identity_routes())
        .merge(system_routes())
        .merge(benefits_routes())
        .merge(campaign_routes())
        .merge(esb_routes())
        .merge(process_routes())
        .merge(points_routes())
        .merge(customer_routes())
        .merge(files_routes(&state))
        .merge(onboarding_routes(&state))
        .merge(merchant_routes())
        .merge(mall_routes())
        .merge(inspection_routes())
        .merge(h5_routes())
        .layer(from_fn(identity::auth::require_csrf_header));
    // Signed by registered clients, not sessions: no cookie, so no CSRF header either.
    let channel = channel_routes();
    let api = Router::new()
        .nest("/v1", v1)
        .nest("/channel/v1", channel)
        // Q支付's callback: signed by Q支付, no cookie (docs/qpay.md)
        .route("/qpay/v1/notify", post(qpay::notify))
        .route("/openapi.json", get(openapi::document))
        .route("/docs", get(web::api_docs))
        // Unknown API paths are JSON 404s, never the UI's index.html.
        .fallback(|| async { error::ApiError::from(error::ErrorCode::NotFound) });
    let app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .nest("/api", api)
        // The bank's ESB: signed consumers, an envelope answer for everything (docs/esb.md).
        .route("/esb/v1/{service_code}", post(esb::gateway))
        .route_layer(from_fn(metrics::mark_route))
        .merge(web::ui(&state))
        .layer(DefaultBodyLimit::max(state.settings.body_limit))
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(from_fn(error::render))
        .layer(from_fn_with_state(state.clone(), metrics::record))
        .layer(from_fn(request_id::middleware));
    web::security_headers(app).with_state(state)
}

/// Signing in, the session and the second factor; users, roles and permissions.
fn identity_routes() -> Router<AppState> {
    Router::new()
        .route("/auth/captcha", get(identity::auth::new_captcha))
        .route("/auth/login", post(identity::auth::login))
        .route("/auth/logout", post(identity::auth::logout))
        .route("/auth/me", get(identity::auth::me))
        .route("/auth/password", post(identity::auth::change_password))
        .route("/auth/reauth", post(identity::auth::reauth))
        .route("/auth/totp", delete(identity::auth::disable_totp))
        .route("/auth/totp/verify", post(identity::auth::verify_totp))
        .route(
            "/auth/totp/enrolment",
            post(identity::auth::start_totp_enrolment),
        )
        .route(
            "/auth/totp/enrolment/confirm",
            post(identity::auth::confirm_totp_enrolment),
        )
        .route(
            "/system/locks/{username}/unlock",
            post(identity::auth::unlock),
        )
        .route(
            "/system/users",
            get(identity::users::users).post(identity::users::create_user),
        )
        .route(
            "/system/users/{id}/password-reset",
            post(identity::users::reset_password),
        )
        .route(
            "/system/users/{id}/roles",
            post(identity::users::grant_role),
        )
        .route(
            "/system/users/{id}/roles/{role}",
            delete(identity::users::revoke_role),
        )
        .route(
            "/system/users/{id}/status",
            put(identity::users::set_status),
        )
        .route(
            "/system/users/{id}/personal-data",
            get(identity::users::personal_data),
        )
        .route(
            "/system/users/{id}/totp-reset",
            post(identity::users::reset_totp),
        )
        .route(
            "/system/roles",
            get(identity::roles::roles).post(identity::roles::create_role),
        )
        .route("/system/roles/{id}", put(identity::roles::update_role))
        .route("/system/permissions", get(identity::roles::permissions))
}

/// The org tree, the menu, code lists, parameters, logs, notices and system information.
fn system_routes() -> Router<AppState> {
    Router::new()
        .route("/auth/menus", get(system::menus::my_menu))
        .route(
            "/system/orgs",
            get(system::orgs::orgs).post(system::orgs::create_org),
        )
        .route("/system/orgs/{id}", put(system::orgs::update_org))
        .route("/system/menus", get(system::menus::menus))
        .route("/system/menus/{id}", put(system::menus::update_menu))
        .route(
            "/system/dictionaries",
            get(system::dictionaries::dictionaries),
        )
        .route(
            "/system/dictionaries/{type}/{code}",
            put(system::dictionaries::put_dictionary_item),
        )
        .route("/system/parameters", get(system::parameters::parameters))
        .route(
            "/system/parameters/{key}",
            put(system::parameters::update_parameter),
        )
        .route("/system/login-log", get(system::logs::login_log))
        .route(
            "/system/login-log/export",
            get(system::logs::export_login_log),
        )
        .route("/system/audit-log", get(system::logs::audit_log))
        .route("/system/audit-actions", get(system::logs::audit_actions))
        .route(
            "/system/audit-log/export",
            get(system::logs::export_audit_log),
        )
        .route("/system/batch-log", get(system::logs::batch_log))
        .route(
            "/system/batch-log/export",
            get(system::logs::export_batch_log),
        )
        .route("/system/info", get(system::info))
        .route(
            "/system/notifications",
            get(system::notifications::notifications),
        )
}

/// Templates and their stock, coupons, redemptions, merchants and API clients, for staff.
fn benefits_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/benefits/templates",
            get(benefits::templates).post(benefits::create_template),
        )
        .route("/benefits/templates/{code}", put(benefits::update_template))
        .route(
            "/benefits/templates/{code}/status",
            post(benefits::set_status),
        )
        .route(
            "/benefits/templates/{code}/stock",
            post(benefits::change_stock),
        )
        .route(
            "/benefits/templates/{code}/coupon-withdrawal",
            post(benefits::withdraw_coupons),
        )
        .route(
            "/benefits/templates/{code}/movements",
            get(benefits::movements),
        )
        .route("/benefits/coupons", get(benefits::coupons))
        .route("/benefits/coupons/export", get(benefits::export_coupons))
        .route("/benefits/coupons/{id}/code", get(benefits::coupon_code))
        .route("/benefits/redemptions", get(benefits::redemptions))
        .route(
            "/benefits/redemptions/export",
            get(benefits::export_redemptions),
        )
        .route(
            "/benefits/merchant-redemptions",
            post(benefits::merchant_redeem),
        )
        .route(
            "/benefits/merchants",
            get(benefits::merchants).post(benefits::create_merchant),
        )
        .route("/benefits/merchants/{code}", put(benefits::update_merchant))
        .route(
            "/benefits/merchants/{code}/stores",
            post(benefits::add_store),
        )
        .route(
            "/benefits/merchants/{code}/status-requests",
            post(merchants::request_merchant_status),
        )
        .route(
            "/benefits/merchants/{code}/account-changes",
            post(merchants::account::request_account_change),
        )
        .route("/merchant-requests/{id}", get(merchants::merchant_request))
        .route(
            "/benefits/merchants/{code}/stores/{store}",
            put(benefits::update_store),
        )
        .route("/benefits/clients", post(benefits::register_client))
        .route("/benefits/my-stores", get(benefits::my_stores))
        .route(
            "/benefits/items",
            get(benefits::items).post(benefits::create_item),
        )
}

/// Campaigns and their process, and what a channel would show (staff preview).
fn campaign_routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(campaign::list).post(campaign::create))
        .route(
            "/campaigns/{id}",
            get(campaign::detail).put(campaign::update),
        )
        .route(
            "/campaigns/{id}/customers",
            post(campaign::upload_customers),
        )
        .route("/campaigns/{id}/submit", post(campaign::submit))
        .route("/campaigns/{id}/actions", post(campaign::take_action))
        .route("/campaigns/{id}/modifications", post(campaign::modify))
        .route(
            "/channels/{code}/campaigns",
            get(campaign::delivery::preview),
        )
}

/// 接口服务管理: ESB consumers, the service catalogue, the message and outbound logs.
fn esb_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/esb/consumers",
            get(esb::admin::consumers).post(esb::admin::register),
        )
        .route("/esb/consumers/{id}", put(esb::admin::update_consumer))
        .route(
            "/esb/consumers/{id}/status",
            put(esb::admin::set_consumer_status),
        )
        .route(
            "/esb/consumers/{id}/secret",
            post(esb::admin::rotate_consumer_secret),
        )
        .route("/esb/services", get(esb::admin::services))
        .route("/esb/messages", get(esb::admin::messages))
        .route("/esb/outbound", get(esb::admin::outbound))
        .route("/esb/messages/{id}", get(esb::admin::message))
}

/// The inbox, the process monitor and the approval policies.
fn process_routes() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(process::inbox::tasks))
        .route("/tasks/counts", get(process::inbox::task_counts))
        .route("/tasks/{id}/decision", post(process::inbox::decide))
        .route("/tasks/{id}/candidates", get(process::inbox::candidates))
        .route("/tasks/{id}/transfer", post(process::inbox::transfer))
        .route("/process-kinds", get(process::monitor::kinds))
        .route("/processes", get(process::monitor::processes))
        .route("/processes/{workflow_id}", get(process::monitor::process))
        .route("/approval-policies", get(process::policies::policies))
        .route(
            "/approval-policies/options",
            get(process::policies::policy_options),
        )
        .route(
            "/approval-policies/{process_type}/{variant}",
            put(process::policies::set_policy),
        )
}

/// 积分商城: 商品管理 and the catalogue staff keep, the suppliers' 我的商品, and the catalogue
/// the customers' mall reads (public, cached).
fn mall_routes() -> Router<AppState> {
    Router::new()
        .route("/mall/products", get(mall::products))
        .route("/mall/products/{code}", get(mall::product))
        .route(
            "/mall/products/{code}/forced-delist",
            post(mall::force_delist),
        )
        .route(
            "/mall/categories",
            get(mall::categories).post(mall::create_category),
        )
        .route(
            "/mall/categories/{code}",
            put(mall::update_category).delete(mall::delete_category),
        )
        .route("/mall/tags", get(mall::tags).post(mall::create_tag))
        .route(
            "/mall/banners",
            get(mall::banners).post(mall::create_banner),
        )
        .route(
            "/mall/banners/{id}",
            put(mall::update_banner).delete(mall::delete_banner),
        )
        .route("/mall/reviews", get(mall::reviews))
        .route("/mall/reviews/{id}/moderation", post(mall::moderate_review))
        .route(
            "/benefits/merchants/{code}/supplier",
            put(mall::set_supplier),
        )
        .route(
            "/supplier/products",
            get(mall::supplier::my_products).post(mall::supplier::create_product),
        )
        .route(
            "/supplier/products/{code}",
            get(mall::supplier::my_product)
                .put(mall::supplier::edit_product)
                .delete(mall::supplier::delete_product),
        )
        .route(
            "/supplier/products/{code}/submission",
            post(mall::supplier::submit_product),
        )
        .route(
            "/supplier/products/{code}/stock",
            post(mall::supplier::add_stock),
        )
        .route(
            "/supplier/products/{code}/delist-request",
            post(mall::supplier::request_delist),
        )
        .route("/mall/supplier-orders", get(mall::orders::supplier_orders))
        .route(
            "/mall/supplier-orders/shipments",
            post(mall::orders::ship_batch),
        )
        .route(
            "/mall/supplier-orders/{order_no}",
            get(mall::orders::supplier_order),
        )
        .route(
            "/mall/supplier-orders/{order_no}/shipment",
            post(mall::orders::ship),
        )
        .route("/catalogue/home", get(mall::home))
        .route(
            "/catalogue/categories/{code}/products",
            get(mall::category_products),
        )
        .route("/catalogue/products/{code}", get(mall::product_page))
        .route("/catalogue/images/{id}", get(mall::image))
}

/// The customers' mall (H5): the session, addresses, orders and their payment.
fn h5_routes() -> Router<AppState> {
    Router::new()
        .route("/h5/session", post(h5::session::start))
        .route("/h5/addresses", get(h5::my_addresses).post(h5::add_address))
        .route("/h5/addresses/{id}", delete(h5::remove_address))
        .route("/h5/orders", get(h5::my_orders).post(h5::place_order))
        .route("/h5/orders/{order_no}", get(h5::my_order))
        .route("/h5/orders/{order_no}/payment", post(h5::pay))
        .route(
            "/h5/orders/{order_no}/payment-query",
            post(h5::query_payment),
        )
        .route("/h5/orders/{order_no}/cancel", post(h5::cancel))
        .route("/h5/orders/{order_no}/receipt", post(h5::confirm))
}

/// 积分: earnings, holds and their capture or void, reversals, balances and histories.
fn points_routes() -> Router<AppState> {
    Router::new()
        .route("/points/earnings", post(points::earn))
        .route("/points/holds", post(points::hold))
        .route("/points/holds/{id}/capture", post(points::capture))
        .route("/points/holds/{id}/void", post(points::void))
        .route("/points/transfers/{id}/reversal", post(points::reverse))
        .route("/points/accounts/{customer_no}", get(points::balance))
        .route(
            "/points/accounts/{customer_no}/history",
            get(points::history),
        )
        .route(
            "/points/rules",
            get(points::rules::list).post(points::rules::create),
        )
        .route(
            "/points/rules/{id}",
            get(points::rules::detail).put(points::rules::update),
        )
        .route("/points/rules/{id}/status", post(points::rules::set_status))
        .route("/points/ledger-accounts", get(points::reports::accounts))
        .route("/points/daily", get(points::reports::daily))
        .route("/points/transfers", get(points::reports::transfers))
        .route(
            "/points/transfers/export",
            get(points::reports::export_transfers),
        )
        .route(
            "/tiers",
            get(points::tiers::list).post(points::tiers::create),
        )
        .route("/tiers/{id}", put(points::tiers::update))
        .route("/tiers/{id}/benefits", put(points::tiers::set_benefits))
        .route(
            "/upgrade-tasks",
            get(points::tiers::tasks).post(points::tiers::create_task),
        )
        .route(
            "/upgrade-tasks/{id}/status",
            post(points::tiers::set_task_status),
        )
        .route(
            "/customers/{customer_no}/tier",
            get(points::tiers::customer_tier),
        )
}

/// 客户管理: the customer list and page, the personal data in full, the daily import.
fn customer_routes() -> Router<AppState> {
    Router::new()
        .route("/customers", get(customers::list))
        .route("/customers/imports", post(customers::import))
        .route("/customers/phone-lookup", post(customers::by_phone))
        .route("/customers/{customer_no}", get(customers::detail))
        .route("/customers/{customer_no}/points", get(customers::points))
        .route("/customers/{customer_no}/coupons", get(customers::coupons))
        .route(
            "/customers/{customer_no}/personal-data",
            get(customers::personal_data),
        )
}

/// SEC-7 files: uploads, read through the cap of their own, and downloads.
fn files_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/files",
            post(files::upload).layer(DefaultBodyLimit::max(files::body_limit(state))),
        )
        .route("/files/{id}", get(files::download))
}

/// 商户线上入驻: the applicant's door (an SMS-proved phone, no staff account) and the reviewers'.
fn onboarding_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/onboarding/codes", post(onboarding::send_code))
        .route("/onboarding/sessions", post(onboarding::open_session))
        .route("/onboarding/branches", get(onboarding::branches))
        .route(
            "/onboarding/applications",
            get(onboarding::my_applications).post(onboarding::create_draft),
        )
        .route("/onboarding/applications/{id}", put(onboarding::save_draft))
        .route(
            "/onboarding/applications/{id}/files",
            post(onboarding::upload).layer(DefaultBodyLimit::max(files::body_limit(state))),
        )
        .route(
            "/onboarding/applications/{id}/files/{file_id}",
            get(onboarding::download),
        )
        .route(
            "/onboarding/applications/{id}/submit",
            post(onboarding::submit),
        )
        .route(
            "/onboarding/applications/{id}/resubmit",
            post(onboarding::resubmit),
        )
        .route(
            "/onboarding/applications/{id}/withdraw",
            post(onboarding::withdraw),
        )
        .route(
            "/merchant-applications",
            get(onboarding::staff::applications),
        )
        .route(
            "/merchant-applications/{id}",
            get(onboarding::staff::detail),
        )
        .route(
            "/merchant-applications/{id}/files/{file_id}",
            get(onboarding::staff::download),
        )
}

/// 商户用户: a merchant administrator's cashiers, and their own merchant's settlement account.
fn merchant_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/merchant/users",
            get(merchants::users::list_merchant_users).post(merchants::users::create_clerk),
        )
        .route(
            "/merchant/users/{id}/status",
            put(merchants::users::set_clerk_status),
        )
        .route(
            "/merchant/users/{id}/password-reset",
            post(merchants::users::reset_clerk_password),
        )
        .route(
            "/merchant/account-changes",
            post(merchants::account::request_own_account_change),
        )
        .route(
            "/merchant/application",
            get(merchants::portal::portal_application),
        )
        .route("/merchant/stores", get(merchants::portal::portal_stores))
        .route(
            "/merchant/templates",
            get(merchants::portal::portal_templates),
        )
}

/// 巡查: plans, tasks, rectifications; and a merchant's own results in the portal.
fn inspection_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/inspection/plans",
            get(inspection::plans).post(inspection::create_plan),
        )
        .route(
            "/inspection/plans/{id}",
            put(inspection::update_plan).delete(inspection::delete_plan),
        )
        .route("/inspection/plans/{id}/pause", post(inspection::pause_plan))
        .route(
            "/inspection/plans/{id}/resume",
            post(inspection::resume_plan),
        )
        .route(
            "/inspection/tasks",
            get(inspection::list_tasks).post(inspection::issue_task),
        )
        .route("/inspection/tasks/export", get(inspection::export_tasks))
        .route("/inspection/tasks/{id}", get(inspection::task))
        .route("/inspection/tasks/{id}/submit", post(inspection::submit))
        .route("/inspection/tasks/{id}/decision", post(inspection::decide))
        .route(
            "/inspection/tasks/{id}/rectification",
            post(inspection::request_rectification),
        )
        .route(
            "/inspection/tasks/{id}/disable-merchant",
            post(inspection::disable_merchant),
        )
        .route(
            "/inspection/tasks/{id}/files/{file}",
            get(inspection::task_file),
        )
        .route(
            "/inspection/rectifications",
            get(inspection::rectifications),
        )
        .route(
            "/merchant/inspections",
            get(inspection::portal::my_inspections),
        )
        .route(
            "/merchant/inspections/{id}",
            get(inspection::portal::my_inspection),
        )
        .route(
            "/merchant/inspections/{id}/rectification",
            post(inspection::portal::answer_rectification),
        )
        .route(
            "/merchant/inspections/{id}/files/{file}",
            get(inspection::portal::my_inspection_file),
        )
}

/// The signed channel API: claims, redemptions and reversals, and what a channel shows.
fn channel_routes() -> Router<AppState> {
    Router::new()
        .route("/claims", post(channel::claim))
        .route("/redemptions", post(channel::redeem))
        .route("/redemptions/{id}/reversal", post(channel::reverse))
        .route(
            "/channels/{code}/campaigns",
            get(campaign::delivery::for_channel),
        )
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "API listening");
    let caches = tokio::spawn(state.caches.clone().listen(state.pool.clone()));
    let nonces = tokio::spawn(purge_nonces(state.clone()));
    let showings = tokio::spawn(campaign::delivery::Showings::run(state.clone()));
    let sealer = tokio::spawn(quanyi_activities::audit::sealer(
        state.pool.clone(),
        std::time::Duration::from_millis(250),
    ));
    let holds = tokio::spawn(points::sweep_holds(state.clone()));
    let last = state.clone();
    // The peer address is the client's IP for throttling and the login log.
    let served = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    caches.abort();
    nonces.abort();
    showings.abort();
    sealer.abort();
    holds.abort();
    // what was counted since the last write; what was audited since the last seal
    last.showings.flush(&last.pool).await;
    if let Err(e) = quanyi_activities::audit::seal(&last.pool, true).await {
        tracing::warn!(error = %e, "cannot seal the audit log at shutdown");
    }
    served
}

/// Forgets signed-request nonces once their timestamps would be refused anyway, every minute:
/// at thousands of requests a second the table must stay small.
async fn purge_nonces(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        match quanyi_activities::benefits::clients::purge_nonces(&state.pool, state.clock.now())
            .await
        {
            Ok(0) => {}
            Ok(purged) => tracing::debug!(purged, "old nonces purged"),
            Err(e) => tracing::warn!(error = %e, "cannot purge old nonces"),
        }
    }
}
