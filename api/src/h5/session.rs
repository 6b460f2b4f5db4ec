//! The customer's session in the H5 mall, minimally (issue 19; the H5 branch of issue 18 may
//! bring its own, to be reconciled): mobile banking's assertion — a request signed by a channel
//! client (docs/channel-api.md) naming the customer — is exchanged for a random token in an
//! HttpOnly cookie; only its hash is kept, for 30 minutes. Every customer route takes
//! [`CustomerSession`], which answers `QY-AUTH-0019` without a live session.

use crate::AppState;
use crate::channel::Signed;
use crate::error::{ApiError, ErrorCode};
use crate::extract::Json;
use crate::extract::parsed;
use crate::signing;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use quanyi_activities::benefits::clients::ClientKind;
use quanyi_workflows::domain::CustomerNo;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use validator::Validate;

/// How long a customer's session lasts.
const LIFETIME: chrono::Duration = chrono::Duration::minutes(30);

fn cookie_name(state: &AppState) -> &'static str {
    if state.settings.secure_cookies {
        "__Host-quanyi_h5"
    } else {
        "quanyi_h5"
    }
}

/// The signed-in customer.
pub struct CustomerSession {
    pub customer: CustomerNo,
}

impl FromRequestParts<AppState> for CustomerSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(cookie_name(state))
            .map(|c| c.value().to_owned())
            .ok_or(ErrorCode::CustomerNotSignedIn)?;
        let hash = Sha256::digest(token.as_bytes()).to_vec();
        let customer = sqlx::query_scalar!(
            "SELECT customer_no FROM customer_sessions WHERE token_hash = $1 AND expires_at > $2",
            hash,
            state.clock.now()
        )
        .fetch_optional(&state.pool)
        .await?
        .ok_or(ErrorCode::CustomerNotSignedIn)?;
        let customer = CustomerNo::parse(&customer).map_err(|_| ErrorCode::CustomerNotSignedIn)?;
        Ok(CustomerSession { customer })
    }
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct SessionBody {
    /// The customer mobile banking vouches for.
    #[schema(example = "C10000001", pattern = "^[0-9A-Za-z]{6,32}$")]
    #[validate(length(min = 6, max = 32, code = "QY-REQ-0002"))]
    pub customer_no: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomerSessionView {
    /// The customer number, masked.
    pub customer_no: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// 进入商城: exchanges mobile banking's signed assertion for a customer session (cookie).
#[utoipa::path(post, path = "/api/v1/h5/session", tag = "h5", request_body = SessionBody,
    responses(
        (status = 200, body = CustomerSessionView),
        (status = 401, body = crate::error::ErrorBody, description = "QY-CLI-… the assertion's signature does not hold"),
    ))]
pub async fn start(
    State(state): State<AppState>,
    jar: CookieJar,
    signed: Signed<SessionBody>,
) -> Result<(CookieJar, Json<CustomerSessionView>), ApiError> {
    if signed.client.kind != ClientKind::Channel {
        return Err(ErrorCode::WrongClientKind.into());
    }
    let customer: CustomerNo = parsed(
        "customer_no",
        signed.body.customer_no.as_str(),
        ErrorCode::InvalidBody,
    )?;
    let now = state.clock.now();
    signing::spend_now(&state.nonces, signed.client.id, signed.nonce, now)
        .await?
        .map_err(|_| ErrorCode::NonceReused)?;
    // 244 random bits
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let expires_at = now + LIFETIME;
    sqlx::query!(
        "INSERT INTO customer_sessions (token_hash, customer_no, client_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        Sha256::digest(token.as_bytes()).to_vec(),
        customer.as_str(),
        signed.client.id,
        now,
        expires_at
    )
    .execute(&state.pool)
    .await?;
    let cookie = Cookie::build((cookie_name(&state), token))
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(time::Duration::minutes(LIFETIME.num_minutes()))
        .build();
    Ok((
        jar.add(cookie),
        Json(CustomerSessionView {
            customer_no: quanyi_activities::pii::mask(
                quanyi_activities::pii::Kind::CustomerNo,
                customer.as_str(),
            ),
            expires_at,
        }),
    ))
}
