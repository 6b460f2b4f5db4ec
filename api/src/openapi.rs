//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use crate::{
    auth, benefits, campaign, channel, error, esb, health, inbox, logs, notifications, roles,
    system,
};
use axum::response::IntoResponse;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Quanyi API",
        description = "权益 Quanyi — the back office of a retail bank's marketing and benefits platform. \
            Every error is `{code, message, request_id}`; state-changing calls under /api/v1 need \
            the header `X-Requested-With: quanyi`.",
        license(name = "Apache-2.0"),
    ),
    paths(
        esb::admin::consumers,
        esb::admin::register,
        esb::admin::services,
        esb::admin::messages,
        esb::admin::outbound,
        notifications::notifications,
        health::healthz,
        health::readyz,
        auth::new_captcha,
        auth::login,
        auth::logout,
        auth::me,
        auth::change_password,
        auth::reauth,
        roles::my_menu,
        auth::verify_totp,
        auth::start_totp_enrolment,
        auth::confirm_totp_enrolment,
        auth::disable_totp,
        auth::unlock,
        system::info,
        system::orgs,
        system::create_org,
        system::update_org,
        system::users,
        system::create_user,
        system::reset_password,
        system::grant_role,
        system::revoke_role,
        system::set_status,
        system::personal_data,
        system::reset_totp,
        system::roles,
        roles::create_role,
        roles::update_role,
        roles::permissions,
        roles::menus,
        roles::update_menu,
        system::dictionaries,
        system::put_dictionary_item,
        system::parameters,
        system::update_parameter,
        campaign::list,
        campaign::create,
        campaign::detail,
        campaign::update,
        campaign::upload_customers,
        campaign::submit,
        campaign::take_action,
        campaign::modify,
        inbox::tasks,
        inbox::task_counts,
        inbox::decide,
        inbox::candidates,
        inbox::transfer,
        inbox::processes,
        inbox::process,
        inbox::policies,
        inbox::policy_options,
        inbox::set_policy,
        benefits::templates,
        benefits::create_template,
        benefits::update_template,
        benefits::set_status,
        benefits::change_stock,
        benefits::withdraw_coupons,
        benefits::movements,
        benefits::coupons,
        benefits::export_coupons,
        benefits::redemptions,
        benefits::merchant_redeem,
        benefits::my_stores,
        benefits::items,
        benefits::create_item,
        benefits::merchants,
        benefits::create_merchant,
        benefits::register_client,
        channel::claim,
        channel::redeem,
        channel::reverse,
        logs::login_log,
        logs::export_login_log,
        logs::audit_log,
        logs::export_audit_log,
        logs::batch_log,
        logs::export_batch_log
    ),
    components(schemas(
        error::ErrorBody,
        quanyi_activities::batch::Job,
        quanyi_activities::batch::Status
    )),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Sign-in and sessions"),
        (name = "system", description = "System information"),
        (name = "benefits", description = "Coupon templates, stock, coupons and redemptions (staff)"),
        (name = "channel", description = "The signed API for channels and merchant systems (docs/channel-api.md)"),
        (name = "campaigns", description = "Campaigns and their durable process campaign-<id> (docs/processes/campaign.md)"),
        (name = "processes", description = "The inbox, the process monitor and the approval policies"),
        (name = "esb", description = "接口服务管理: ESB consumers, the service catalogue and the message log (the gateway itself: docs/esb.md)"),
    )
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`
pub async fn document() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}
