//! The OpenAPI 3.1 document, generated from the handlers' annotations, with the answers that the
//! shared layers give (sessions, signatures, the anti-forgery header, extractors) added once here.

use crate::{
    benefits, campaign, channel, customers, error, esb, files, h5, health, identity, inspection,
    mall, merchants, onboarding, points, process, qpay, system,
};
use axum::response::IntoResponse;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    modifiers(&SharedAnswers),
    info(
        title = "Quanyi API",
        description = "权益 Quanyi — the back office of a retail bank's marketing and benefits platform. \
            Every error is `{code, message, request_id}` (the codes: docs/errors.md); \
            state-changing calls under /api/v1 need the header `X-Requested-With: quanyi`.",
        license(name = "Apache-2.0"),
    ),
    paths(
        esb::admin::consumers,
        esb::admin::register,
        esb::admin::update_consumer,
        esb::admin::set_consumer_status,
        esb::admin::rotate_consumer_secret,
        esb::admin::services,
        esb::admin::messages,
        esb::admin::outbound,
        system::notifications::notifications,
        esb::admin::message,
        health::healthz,
        health::readyz,
        identity::auth::new_captcha,
        identity::auth::login,
        identity::auth::logout,
        identity::auth::me,
        identity::auth::change_password,
        identity::auth::reauth,
        system::menus::my_menu,
        identity::auth::verify_totp,
        identity::auth::start_totp_enrolment,
        identity::auth::confirm_totp_enrolment,
        identity::auth::disable_totp,
        identity::auth::unlock,
        system::info,
        system::orgs::orgs,
        system::orgs::create_org,
        system::orgs::update_org,
        identity::users::users,
        identity::users::create_user,
        identity::users::reset_password,
        identity::users::grant_role,
        identity::users::revoke_role,
        identity::users::set_status,
        identity::users::personal_data,
        identity::users::reset_totp,
        identity::roles::roles,
        identity::roles::create_role,
        identity::roles::update_role,
        identity::roles::permissions,
        system::menus::menus,
        system::menus::update_menu,
        system::dictionaries::dictionaries,
        system::dictionaries::put_dictionary_item,
        system::parameters::parameters,
        system::parameters::update_parameter,
        campaign::list,
        campaign::create,
        campaign::detail,
        campaign::update,
        campaign::upload_customers,
        campaign::submit,
        campaign::take_action,
        campaign::modify,
        process::inbox::tasks,
        process::inbox::task_counts,
        process::inbox::decide,
        process::inbox::candidates,
        process::inbox::transfer,
        process::monitor::kinds,
        process::monitor::processes,
        process::monitor::process,
        process::policies::policies,
        process::policies::policy_options,
        process::policies::set_policy,
        benefits::templates,
        benefits::create_template,
        benefits::update_template,
        benefits::set_status,
        benefits::change_stock,
        benefits::withdraw_coupons,
        benefits::movements,
        benefits::coupons,
        benefits::export_coupons,
        benefits::coupon_code,
        benefits::redemptions,
        benefits::export_redemptions,
        benefits::merchant_redeem,
        benefits::my_stores,
        benefits::items,
        benefits::create_item,
        benefits::merchants,
        benefits::create_merchant,
        benefits::update_merchant,
        merchants::request_merchant_status,
        merchants::users::list_merchant_users,
        merchants::users::create_clerk,
        merchants::users::set_clerk_status,
        merchants::users::reset_clerk_password,
        merchants::account::request_account_change,
        merchants::account::request_own_account_change,
        merchants::merchant_request,
        merchants::portal::portal_application,
        merchants::portal::portal_stores,
        merchants::portal::portal_templates,
        benefits::add_store,
        benefits::update_store,
        benefits::register_client,
        channel::claim,
        channel::redeem,
        channel::reverse,
        campaign::delivery::for_channel,
        campaign::delivery::preview,
        system::logs::login_log,
        system::logs::export_login_log,
        system::logs::audit_log,
        system::logs::audit_actions,
        system::logs::export_audit_log,
        system::logs::batch_log,
        system::logs::export_batch_log,
        points::earn,
        points::hold,
        points::capture,
        points::void,
        points::reverse,
        points::balance,
        points::history,
        points::rules::list,
        points::rules::detail,
        points::rules::create,
        points::rules::update,
        points::rules::set_status,
        points::exchange::list,
        points::exchange::create,
        points::exchange::update,
        points::exchange::set_status,
        points::exchange::quote,
        points::reports::accounts,
        points::reports::daily,
        points::reports::transfers,
        points::reports::export_transfers,
        points::tiers::list,
        points::tiers::create,
        points::tiers::update,
        points::tiers::set_benefits,
        points::tiers::tasks,
        points::tiers::create_task,
        points::tiers::set_task_status,
        points::tiers::customer_tier,
        customers::list,
        customers::by_phone,
        customers::detail,
        customers::points,
        customers::coupons,
        customers::personal_data,
        customers::import,
        files::upload,
        files::download,
        onboarding::send_code,
        onboarding::open_session,
        onboarding::branches,
        onboarding::my_applications,
        onboarding::create_draft,
        onboarding::save_draft,
        onboarding::upload,
        onboarding::download,
        onboarding::submit,
        onboarding::resubmit,
        onboarding::withdraw,
        onboarding::staff::applications,
        onboarding::staff::detail,
        onboarding::staff::download,
        mall::products,
        mall::product,
        mall::force_delist,
        mall::set_supplier,
        mall::categories,
        mall::create_category,
        mall::update_category,
        mall::delete_category,
        mall::tags,
        mall::create_tag,
        mall::banners,
        mall::create_banner,
        mall::update_banner,
        mall::delete_banner,
        mall::reviews,
        mall::moderate_review,
        mall::home,
        mall::search,
        mall::category_products,
        mall::product_page,
        mall::image,
        mall::supplier::categories,
        mall::supplier::my_products,
        mall::supplier::create_product,
        mall::supplier::my_product,
        mall::supplier::edit_product,
        mall::supplier::delete_product,
        mall::supplier::submit_product,
        mall::supplier::add_stock,
        mall::supplier::request_delist,
        mall::orders::supplier_orders,
        mall::orders::supplier_order,
        mall::orders::ship,
        mall::orders::ship_batch,
        h5::orders::my_addresses,
        h5::orders::add_address,
        h5::orders::remove_address,
        h5::orders::place_order,
        h5::orders::my_orders,
        h5::orders::my_order,
        h5::orders::pay,
        h5::orders::query_payment,
        h5::orders::cancel,
        h5::orders::confirm,
        qpay::notify,
        inspection::plans,
        inspection::create_plan,
        inspection::update_plan,
        inspection::pause_plan,
        inspection::resume_plan,
        inspection::delete_plan,
        inspection::list_tasks,
        inspection::export_tasks,
        inspection::issue_task,
        inspection::task,
        inspection::submit,
        inspection::decide,
        inspection::request_rectification,
        inspection::disable_merchant,
        inspection::task_file,
        inspection::rectifications,
        inspection::portal::my_inspections,
        inspection::portal::my_inspection,
        inspection::portal::answer_rectification,
        inspection::portal::my_inspection_file,
        h5::open_session,
        h5::logout,
        h5::me,
        h5::my_points,
        h5::my_coupons,
        h5::my_activities,
        h5::growth,
        h5::check_in_status,
        h5::check_in
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
        (name = "merchant", description = "A merchant administrator's own merchant: its cashiers and its settlement account; a merchant request as its approver sees it"),
        (name = "channel", description = "The signed API for channels and merchant systems (docs/channel-api.md)"),
        (name = "campaigns", description = "Campaigns and their durable process campaign-<id> (docs/processes/campaign.md)"),
        (name = "processes", description = "The inbox, the process monitor and the approval policies"),
        (name = "points", description = "积分: earnings, holds, captures, voids and reversals on the ledger (docs/ledger.md)"),
        (name = "tiers", description = "用户等级管理: 等级体系, 等级权益, 升级任务 (docs/ledger.md)"),
        (name = "customers", description = "客户管理: customers, their masked personal data and the daily import (docs/customers.md)"),
        (name = "esb", description = "接口服务管理: ESB consumers, the service catalogue and the message log (the gateway itself: docs/esb.md)"),
        (name = "onboarding", description = "商户线上入驻: the applicant's door (an SMS-proved phone) and the reviewers' view of applications (docs/processes/merchant-onboarding.md)"),
        (name = "mall", description = "商品管理: every supplier's products, 强制下架, categories, tags, 导航栏/轮播图 and 评价审核 (docs/processes/listing.md)"),
        (name = "supplier", description = "我的商品: a supplier's users keep their own products; listing, revisions, large stock increases and delisting go through the process listing-<id>"),
        (name = "catalogue", description = "The mall's catalogue for customers: public, cached, the live version's prices and stock"),
        (name = "h5", description = "The customers' H5 mall: a customer session from mobile banking's signed assertion, and that customer's points, coupons, campaigns, tier, check-in, addresses, orders and their payment through Q支付 (docs/h5.md)"),
        (name = "inspection", description = "巡查: inspection plans and their schedules, tasks as the process inspection-<task id>, rectifications (docs/processes/inspection.md)"),
        (name = "qpay", description = "Q支付's callback (docs/qpay.md)"),
        (name = "files", description = "Uploaded files (SEC-7): JPEG, PNG and PDF by content, metadata stripped, downloads as attachments"),
    )
)]
pub struct ApiDoc;

/// The routes anyone may call: no session, no signature.
const PUBLIC: &[&str] = &[
    "/healthz",
    "/readyz",
    "/api/v1/auth/captcha",
    "/api/v1/auth/login",
    "/api/v1/auth/logout",
    "/api/v1/onboarding/codes",
    "/api/v1/onboarding/sessions",
    "/api/v1/onboarding/branches",
    "/api/v1/catalogue/home",
    "/api/v1/catalogue/search",
    "/api/v1/catalogue/categories/{code}/products",
    "/api/v1/catalogue/products/{code}",
    "/api/v1/catalogue/images/{id}",
    "/api/h5/v1/sessions",
    "/api/h5/v1/logout",
];

/// The merchant applicant's door: a session of the applicant's proved phone, no staff account.
const APPLICANT_PREFIX: &str = "/api/v1/onboarding/";

/// The routes that take a session at any stage of signing in, so the session layer never answers
/// 403 there (`GET /api/v1/auth/me` tells the client what signing in still asks).
const ANY_STAGE: &[&str] = &["/api/v1/auth/me"];

/// The customers' H5: a customer session from mobile banking's assertion (docs/h5.md).
const CUSTOMER_PREFIX: &str = "/api/h5/v1/";

/// The signed API of channels and merchant systems (docs/channel-api.md).
const SIGNED_PREFIX: &str = "/api/channel/v1/";

/// Q支付's callback, signed with our merchant key (docs/qpay.md).
const QPAY_NOTIFY: &str = "/api/qpay/v1/notify";

/// How a route is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    Public,
    Session,
    Signed,
    Applicant,
    Customer,
    Qpay,
}

fn door(path: &str) -> Door {
    if PUBLIC.contains(&path) {
        Door::Public
    } else if path.starts_with(SIGNED_PREFIX) {
        Door::Signed
    } else if path == QPAY_NOTIFY {
        Door::Qpay
    } else if path.starts_with(APPLICANT_PREFIX) {
        Door::Applicant
    } else if path.starts_with(CUSTOMER_PREFIX) {
        Door::Customer
    } else {
        Door::Session
    }
}

/// Adds to every operation the answers that the shared layers give — sessions (401, 403),
/// signatures (401, 403), the anti-forgery header (403), the path, query and body extractors
/// (400, 413, 415, 422) and an unavailable database or workflow engine (503) — each with the
/// `ErrorBody` schema and its codes. An answer the handler declares itself keeps its description,
/// and the layers' codes it does not name are added after it. Also declares how each route is
/// authenticated (`security`).
pub struct SharedAnswers;

type Codes = &'static [(&'static str, &'static str)];

const SESSION_401: Codes = &[
    ("QY-AUTH-0001", "not signed in, or the session is gone"),
    (
        "QY-AUTH-0004",
        "idle too long: give the password again (POST /api/v1/auth/reauth)",
    ),
    ("QY-AUTH-0005", "the account signed in elsewhere"),
    ("QY-AUTH-0010", "the session reached its time limit"),
];
const SESSION_403: Codes = &[
    ("QY-AUTH-0003", "the user's roles lack the permission"),
    (
        "QY-AUTH-0009",
        "the initial or an expired password must be changed first",
    ),
    ("QY-AUTH-0012", "the second factor is still owed"),
    (
        "QY-AUTH-0013",
        "the user's role requires an authenticator app: enrol first",
    ),
];
const SIGNED_401: Codes = &[
    ("QY-CLI-0001", "unknown or disabled client"),
    ("QY-CLI-0002", "wrong signature"),
    ("QY-CLI-0003", "timestamp more than 5 minutes off"),
    ("QY-CLI-0004", "nonce used before"),
    ("QY-CLI-0005", "a signing header missing or malformed"),
];
const SIGNED_403: Codes = &[(
    "QY-CLI-0006",
    "this kind of client may not call this service",
)];
const APPLICANT_401: Codes = &[(
    "QY-ONB-0004",
    "no applicant session: prove the phone first (POST /api/v1/onboarding/sessions)",
)];
const CUSTOMER_401: Codes = &[(
    "QY-SHOP-0005",
    "no customer session: open the mall from mobile banking (POST /api/h5/v1/sessions)",
)];
const QPAY_401: Codes = &[("QY-MALL-0037", "Q支付's signature invalid or stale")];
const CSRF_403: Codes = &[(
    "QY-REQ-0009",
    "the header `X-Requested-With: quanyi` is missing",
)];
const PATH_400: Codes = &[("QY-REQ-0006", "a path parameter is malformed")];
const QUERY_400: Codes = &[("QY-REQ-0005", "a query parameter is malformed")];
const PAGING_400: Codes = &[("QY-REQ-0011", "page is 1–10000, page_size 1–100")];
const CONTROL_422: Codes = &[(
    "QY-REQ-0012",
    "a parameter or field holds a control character (such as U+0000), named in `fields`",
)];
const JSON_400: Codes = &[(
    "QY-REQ-0001",
    "the body is not JSON (syntax, trailing bytes, nesting deeper than 128, an unpaired surrogate)",
)];
const JSON_422: Codes = &[
    (
        "QY-REQ-0002",
        "a field is missing, of the wrong type or out of range, named in `fields`",
    ),
    ("QY-REQ-0013", "a JSON object names the same key twice"),
];
const BODY_413: Codes = &[(
    "QY-REQ-0004",
    "the body is larger than allowed (1 MiB by default)",
)];
const BODY_415: Codes = &[(
    "QY-REQ-0003",
    "the body is not of the media type documented",
)];
const UNAVAILABLE_503: Codes = &[
    ("QY-SYS-0002", "the database is unavailable: retry shortly"),
    (
        "QY-SYS-0003",
        "the workflow engine is unavailable: retry shortly",
    ),
];

/// The answers the shared layers give to `operation` at `path` by `method`.
fn shared_answers(path: &str, method: &str, operation: &Operation) -> Vec<(u16, Codes)> {
    let mut answers = Vec::new();
    let params = operation.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let write = matches!(method, "post" | "put" | "patch" | "delete");
    match door(path) {
        Door::Public => {}
        Door::Session => {
            answers.push((401, SESSION_401));
            if !ANY_STAGE.contains(&path) {
                answers.push((403, SESSION_403));
            }
        }
        Door::Signed => {
            answers.push((401, SIGNED_401));
            answers.push((403, SIGNED_403));
        }
        Door::Applicant => answers.push((401, APPLICANT_401)),
        Door::Customer => answers.push((401, CUSTOMER_401)),
        Door::Qpay => answers.push((401, QPAY_401)),
    }
    if write && (path.starts_with("/api/v1/") || path.starts_with("/api/h5/")) {
        answers.push((403, CSRF_403));
    }
    let json_body = operation
        .request_body
        .as_ref()
        .map(|body| body.content.keys().any(|media| media == "application/json"));
    let paged = params
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Query && p.name == "page");
    if has(ParameterIn::Path) {
        answers.push((400, PATH_400));
    }
    if has(ParameterIn::Query) {
        answers.push((400, QUERY_400));
    }
    if paged {
        answers.push((400, PAGING_400));
    }
    if json_body == Some(true) {
        answers.push((400, JSON_400));
        answers.push((422, JSON_422));
    }
    if has(ParameterIn::Path) || has(ParameterIn::Query) || json_body == Some(true) {
        answers.push((422, CONTROL_422));
    }
    if json_body.is_some() {
        answers.push((413, BODY_413));
        answers.push((415, BODY_415));
    }
    if !matches!(path, "/healthz" | "/readyz") {
        answers.push((503, UNAVAILABLE_503));
    }
    answers
}

fn error_content() -> Content {
    Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
}

/// Adds `codes` to the answer `status` of `operation`: a new answer if the handler declares none,
/// else the codes its description does not name yet.
fn add(operation: &mut Operation, status: u16, codes: Codes) {
    let key = status.to_string();
    let answers = &mut operation.responses.responses;
    let RefOr::T(response) = answers
        .entry(key)
        .or_insert_with(|| RefOr::T(Response::new(String::new())))
    else {
        return;
    };
    for (code, what) in codes {
        if response.description.contains(code) {
            continue;
        }
        if !response.description.is_empty() {
            response.description.push_str("; ");
        }
        response.description.push_str(&format!("{code} {what}"));
    }
    if response.content.is_empty() {
        response
            .content
            .insert("application/json".to_owned(), error_content());
    }
}

impl Modify for SharedAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "quanyi_session",
                "The session cookie that POST /api/v1/auth/login sets (`__Host-quanyi_session` \
                 where cookies are secure).",
            ))),
        );
        components.add_security_scheme(
            "applicant",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "quanyi_applicant",
                "A merchant applicant's session, bound to the phone that POST \
                 /api/v1/onboarding/sessions proved with an SMS code.",
            ))),
        );
        components.add_security_scheme(
            "customer",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "quanyi_h5",
                "A customer's H5 session, opened by POST /api/h5/v1/sessions with mobile \
                 banking's signed assertion (docs/h5.md).",
            ))),
        );
        components.add_security_scheme(
            "qpay",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-QPay-Signature",
                "HMAC-SHA256 by Q支付 with our merchant key, with X-QPay-Mch, X-QPay-Timestamp \
                 and X-QPay-Nonce (docs/qpay.md).",
            ))),
        );
        components.add_security_scheme(
            "signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Qy-Signature",
                "HMAC-SHA256 of the request with the client's secret, with X-Qy-Client, \
                 X-Qy-Timestamp and X-Qy-Nonce (docs/channel-api.md).",
            ))),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
                ("head", &mut item.head),
                ("options", &mut item.options),
                ("trace", &mut item.trace),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                for (status, codes) in shared_answers(path, method, operation) {
                    add(operation, status, codes);
                }
                operation.security = Some(vec![match door(path) {
                    Door::Public => SecurityRequirement::default(),
                    Door::Session => SecurityRequirement::new("session", Vec::<String>::new()),
                    Door::Signed => SecurityRequirement::new("signature", Vec::<String>::new()),
                    Door::Applicant => SecurityRequirement::new("applicant", Vec::<String>::new()),
                    Door::Customer => SecurityRequirement::new("customer", Vec::<String>::new()),
                    Door::Qpay => SecurityRequirement::new("qpay", Vec::<String>::new()),
                }]);
            }
        }
    }
}

/// `GET /api/openapi.json`
pub async fn document() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}
