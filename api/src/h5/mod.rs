//! The customers' H5 mall over HTTP (MALL-7, docs/h5.md): the exchange of mobile banking's
//! signed assertion for a customer session (the cookie `quanyi_h5`, never a staff session), and
//! what that customer reads and does — their points, coupons, campaigns, tier, and the daily
//! check-in. Every route answers for the session's customer only: no route takes a customer
//! number. The catalogue the H5 shows is the public `/api/v1/catalogue/*`.

pub mod assertion;
pub mod demo;
pub mod orders;

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Valid};
use crate::points::{PointsHistory, history_of};
use assertion::{Assertion, Flaw};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, NaiveDate, Utc};
use quanyi_activities::audit::Entry;
use quanyi_activities::benefits::clients::ClientKind;
use quanyi_activities::customers::sessions::{self, Refusal, SESSION_MINUTES};
use quanyi_activities::customers::{self as store, CustomerCampaign, OwnCoupon};
use quanyi_activities::identity::session::SessionToken;
use quanyi_activities::ledger::Balance;
use quanyi_activities::pii::{self, Kind};
use quanyi_activities::points::{self, check_in, lots::Lot, rules::TxnRefusal, tiers};
use quanyi_workflows::domain::CustomerNo;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use validator::Validate;

/// The customer's session cookie, sent only to the H5 API.
pub const COOKIE: &str = "quanyi_h5";
const COOKIE_PATH: &str = "/api/h5";

/// The customer a live H5 session is bound to; `QY-SHOP-0005` without one. A staff session is not
/// one: it is another cookie and another table.
pub struct Customer(pub CustomerNo);

impl FromRequestParts<AppState> for Customer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = CookieJar::from_headers(&parts.headers)
            .get(COOKIE)
            .map(|c| SessionToken::from_cookie(c.value()))
            .ok_or(ErrorCode::CustomerNotSignedIn)?;
        let no = sessions::customer_of(&state.pool, &token, state.clock.now())
            .await?
            .ok_or(ErrorCode::CustomerNotSignedIn)?;
        let no = CustomerNo::parse(&no).map_err(|_| ErrorCode::CustomerNotSignedIn)?;
        tracing::Span::current().record("user", pii::mask(Kind::CustomerNo, no.as_str()));
        Ok(Customer(no))
    }
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct CustomerSessionRequest {
    /// `<client code>.<payload, base64url>.<signature, hex>` (docs/channel-api.md).
    #[schema(min_length = 1, max_length = 2048)]
    #[validate(length(min = 1, max = 2048, code = "QY-SHOP-0001"))]
    pub assertion: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomerSessionView {
    /// Masked.
    pub customer_no: String,
    pub expires_at: DateTime<Utc>,
}

/// Exchanges mobile banking's signed assertion for a customer session (30 minutes): the cookie
/// `quanyi_h5` (HttpOnly, SameSite=Strict, path `/api/h5`). The assertion's nonce is spent: the
/// same assertion twice is a replay.
#[utoipa::path(post, path = "/api/h5/v1/sessions", tag = "h5", operation_id = "h5_open_session", request_body = CustomerSessionRequest,
    responses(
        (status = 200, body = CustomerSessionView, description = "Signed in: the cookie `quanyi_h5` is set"),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0001 malformed, QY-SHOP-0002 expired or not yet valid, QY-SHOP-0003 not for the H5, QY-SHOP-0004 unknown customer, QY-CLI-0001 unknown or disabled client, QY-CLI-0002 bad signature, QY-CLI-0004 replayed"),
        (status = 403, body = crate::error::ErrorBody, description = "QY-CLI-0006 not a channel client"),
    ))]
pub async fn open_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Valid(body): Valid<CustomerSessionRequest>,
) -> Result<(CookieJar, Json<CustomerSessionView>), ApiError> {
    let now = state.clock.now();
    let assertion = Assertion::parse(&body.assertion, now).map_err(|flaw| match flaw {
        Flaw::Malformed => ErrorCode::AssertionMalformed,
        Flaw::WrongAudience => ErrorCode::AssertionWrongAudience,
        Flaw::NotValidNow => ErrorCode::AssertionExpired,
    })?;
    let client = state
        .caches
        .client(&state.pool, &state.settings.data_key, &assertion.client)
        .await?
        .ok_or(ErrorCode::UnknownClient)?;
    if !assertion.signed_by(|message, signature| client.verifies(message, signature)) {
        tracing::info!(client = client.code, "bad assertion signature");
        return Err(ErrorCode::BadSignature.into());
    }
    if client.kind != ClientKind::Channel {
        return Err(ErrorCode::WrongClientKind.into());
    }
    let customer = CustomerNo::parse(&assertion.payload.customer_no)
        .map_err(|_| ErrorCode::AssertionUnknownCustomer)?;
    let by = Entry {
        username: Some(format!("client:{}", client.code)),
        ip: Some(peer.ip().to_string()),
        ..Entry::default()
    };
    let opened = sessions::open(
        &state.pool,
        client.id,
        &assertion.payload.nonce,
        &customer,
        now,
        by,
    )
    .await?
    .map_err(|refusal| match refusal {
        Refusal::NonceReused => ErrorCode::NonceReused,
        Refusal::UnknownCustomer => ErrorCode::AssertionUnknownCustomer,
    })?;
    let cookie = Cookie::build((COOKIE, opened.token.expose().to_owned()))
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Strict)
        .path(COOKIE_PATH)
        .max_age(time::Duration::minutes(SESSION_MINUTES))
        .build();
    Ok((
        jar.add(cookie),
        Json(CustomerSessionView {
            customer_no: pii::mask(Kind::CustomerNo, customer.as_str()),
            expires_at: opened.expires_at,
        }),
    ))
}

/// Signs out: ends the session and clears the cookie.
#[utoipa::path(post, path = "/api/h5/v1/logout", tag = "h5", operation_id = "h5_logout",
    responses((status = 204, description = "Signed out")))]
pub async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
) -> Result<(CookieJar, StatusCode), ApiError> {
    if let Some(cookie) = jar.get(COOKIE) {
        let token = SessionToken::from_cookie(cookie.value());
        sessions::close(&state.pool, &token, state.clock.now()).await?;
    }
    let expired = Cookie::build((COOKIE, ""))
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Strict)
        .path(COOKIE_PATH)
        .max_age(time::Duration::ZERO)
        .build();
    Ok((jar.add(expired), StatusCode::NO_CONTENT))
}

/// The 我的 page's header.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    /// Masked.
    pub customer_no: String,
    pub points: Balance,
    /// The tier's name (none before the first evaluation).
    pub tier_name: Option<String>,
    pub checked_in_today: bool,
}

/// The signed-in customer: masked number, points, tier, whether they checked in today.
#[utoipa::path(get, path = "/api/h5/v1/me", tag = "h5", operation_id = "h5_me",
    responses(
        (status = 200, body = Me),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 not signed in"),
    ))]
pub async fn me(
    State(state): State<AppState>,
    Customer(no): Customer,
) -> Result<Json<Me>, ApiError> {
    let now = state.clock.now();
    let tier = tiers::of_customer(&state.pool, &no, now).await?;
    Ok(Json(Me {
        customer_no: pii::mask(Kind::CustomerNo, no.as_str()),
        points: points::balance(&state.pool, &no).await?,
        tier_name: tier.tier.map(|t| t.name),
        checked_in_today: check_in::today(&state.pool, &no, now).await?.is_some(),
    }))
}

/// 我的积分.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MyPoints {
    pub balance: Balance,
    /// Movements, newest first.
    pub history: PointsHistory,
    /// Lots with points left that expire within 90 days, earliest first.
    pub expiring: Vec<Lot>,
}

/// My points: the balance, the movements (paged) and what expires within 90 days.
#[utoipa::path(get, path = "/api/h5/v1/points", tag = "h5", operation_id = "h5_points", params(Paging),
    responses(
        (status = 200, body = MyPoints),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 not signed in"),
    ))]
pub async fn my_points(
    State(state): State<AppState>,
    Customer(no): Customer,
    paging: Paging,
) -> Result<Json<MyPoints>, ApiError> {
    let account = points::customer_account(&no).id();
    let soon = state.clock.now() + chrono::Duration::days(90);
    Ok(Json(MyPoints {
        balance: points::balance(&state.pool, &no).await?,
        history: history_of(&state, &no, paging.limit(), paging.offset()).await?,
        expiring: points::lots::expiring(&state.pool, account, soon).await?,
    }))
}

/// My coupons: unused ones with their code and QR payload to show at the till, then the rest.
#[utoipa::path(get, path = "/api/h5/v1/coupons", tag = "h5", operation_id = "h5_coupons",
    responses(
        (status = 200, body = Vec<OwnCoupon>),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 not signed in"),
    ))]
pub async fn my_coupons(
    State(state): State<AppState>,
    Customer(no): Customer,
) -> Result<Json<Vec<OwnCoupon>>, ApiError> {
    Ok(Json(store::own_coupons(&state.pool, &no).await?))
}

/// My activities: the campaigns whose lists hold me, latest start first.
#[utoipa::path(get, path = "/api/h5/v1/activities", tag = "h5", operation_id = "h5_activities",
    responses(
        (status = 200, body = Vec<CustomerCampaign>),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 not signed in"),
    ))]
pub async fn my_activities(
    State(state): State<AppState>,
    Customer(no): Customer,
) -> Result<Json<Vec<CustomerCampaign>>, ApiError> {
    Ok(Json(store::campaigns(&state.pool, &no).await?))
}

/// 成长等级: my tier, the next one, and this month's upgrade tasks.
#[utoipa::path(get, path = "/api/h5/v1/growth", tag = "h5", operation_id = "h5_growth",
    responses(
        (status = 200, body = tiers::CustomerTier),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 not signed in"),
    ))]
pub async fn growth(
    State(state): State<AppState>,
    Customer(no): Customer,
) -> Result<Json<tiers::CustomerTier>, ApiError> {
    Ok(Json(
        tiers::of_customer(&state.pool, &no, state.clock.now()).await?,
    ))
}

/// 签到: today's check-in and the last month's.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CheckInView {
    pub checked_in_today: bool,
    /// What today's check-in earned (0 when no rule pays for it).
    pub points_today: i64,
    /// The Beijing-time days checked in within the last 31, latest first.
    pub days: Vec<NaiveDate>,
}

async fn check_in_view(state: &AppState, no: &CustomerNo) -> Result<CheckInView, ApiError> {
    let now = state.clock.now();
    let today = check_in::today(&state.pool, no, now).await?;
    Ok(CheckInView {
        checked_in_today: today.is_some(),
        points_today: today.unwrap_or(0),
        days: check_in::recent_days(&state.pool, no, now).await?,
    })
}

/// Whether I checked in today, and the days of the last month I did.
#[utoipa::path(get, path = "/api/h5/v1/check-in", tag = "h5", operation_id = "h5_check_in_status",
    responses(
        (status = 200, body = CheckInView),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 not signed in"),
    ))]
pub async fn check_in_status(
    State(state): State<AppState>,
    Customer(no): Customer,
) -> Result<Json<CheckInView>, ApiError> {
    Ok(Json(check_in_view(&state, &no).await?))
}

/// Checks in for today (Beijing time): the check-in rules pay through the ledger once a day; a
/// second check-in the same day, also a concurrent one, answers the same and earns nothing.
#[utoipa::path(post, path = "/api/h5/v1/check-in", tag = "h5", operation_id = "h5_check_in",
    responses(
        (status = 200, body = CheckInView),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 not signed in"),
    ))]
pub async fn check_in(
    State(state): State<AppState>,
    Customer(no): Customer,
) -> Result<Json<CheckInView>, ApiError> {
    let now = state.clock.now();
    match check_in::check_in(&state.pool, &no, now).await? {
        Ok(_) => {
            // the tier after the earning (up only); the nightly evaluation repairs a failure
            if let Err(e) = tiers::after_earning(&state.pool, &no, now).await {
                tracing::warn!(error = %e, "cannot evaluate the tier after a check-in");
            }
        }
        Err(TxnRefusal::IdReused) => return Err(ErrorCode::PointTxnIdReused.into()),
        Err(TxnRefusal::Ledger(r)) => return Err(crate::points::refusal(r)),
    }
    Ok(Json(check_in_view(&state, &no).await?))
}
