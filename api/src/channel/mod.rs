//! The signed API for the bank's channels and merchant systems (docs/channel-api.md): claims,
//! redemptions and reversals. No session and no cookie: every request is signed by a registered
//! client (HMAC-SHA256 over timestamp, nonce, method, path and body), its timestamp within 5
//! minutes, its nonce used once.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path, is_json, parse_valid, parsed};
use crate::signing;
use axum::body::to_bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, OriginalUri, Request, State};
use axum::http::request::Parts;
use quanyi_activities::benefits::claim::{self, ClaimRequest, ClaimedCoupon};
use quanyi_activities::benefits::clients::{Client, ClientKind};
use quanyi_activities::benefits::redeem::{self, RedeemRequest, Redeemer, Redemption, Reversal};
use quanyi_workflows::domain::{CustomerNo, Fen, TemplateCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// A signed request's client and its body, parsed and validated.
pub struct Signed<T> {
    pub client: Client,
    /// Spent by the handler, in the transaction of what the request does: one commit a request,
    /// and a request that changed nothing leaves its nonce unspent.
    pub nonce: String,
    pub body: T,
    /// The body as signed (claims keep its hash to tell a reused request id apart).
    pub raw: axum::body::Bytes,
}

/// The channel API's code for a signed request's refusal.
fn refused(refusal: signing::Refusal) -> ApiError {
    match refusal {
        signing::Refusal::HeaderMissing => ErrorCode::SignatureHeaderMissing,
        signing::Refusal::StaleTimestamp => ErrorCode::StaleTimestamp,
        signing::Refusal::UnknownSigner => ErrorCode::UnknownClient,
        signing::Refusal::BadSignature => ErrorCode::BadSignature,
        signing::Refusal::NonceReused => ErrorCode::NonceReused,
    }
    .into()
}

/// Checks a signed request's headers, timestamp and signature over `raw`; the client and the
/// nonce to spend. The path signed is the one the client sent, with its query string.
async fn verify(parts: &Parts, raw: &[u8], state: &AppState) -> Result<(Client, String), ApiError> {
    // the nested router sees the path without its prefix
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |uri| &uri.0);
    let request = signing::Request {
        headers: &parts.headers,
        method: parts.method.as_str(),
        path: uri.path_and_query().map_or(uri.path(), |p| p.as_str()),
        body: raw,
    };
    let find = async |code: &str| {
        let key = &state.settings.data_key;
        state.caches.client(&state.pool, key, code).await
    };
    let verified = signing::verify(&request, state.clock.now(), find)
        .await?
        .map_err(refused)?;
    tracing::Span::current().record("user", verified.signer.code.as_str());
    Ok((verified.signer, verified.nonce))
}

impl<T: DeserializeOwned + Validate> FromRequest<AppState> for Signed<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let raw = to_bytes(body, state.settings.body_limit)
            .await
            .map_err(|_| ErrorCode::PayloadTooLarge)?;
        let (client, nonce) = verify(&parts, &raw, state).await?;
        if !is_json(&parts.headers) {
            return Err(ErrorCode::UnsupportedMediaType.into());
        }
        let body = parse_valid(&raw)?;
        Ok(Signed {
            client,
            nonce,
            body,
            raw,
        })
    }
}

/// A signed read (`GET`, no body): its client, the nonce spent.
pub struct SignedRead {
    pub client: Client,
}

impl<S: Sync> FromRequestParts<S> for SignedRead
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let (client, nonce) = verify(parts, &[], &state).await?;
        signing::spend_now(&state.nonces, client.id, nonce, state.clock.now())
            .await?
            .map_err(refused)?;
        Ok(SignedRead { client })
    }
}

fn request_id(id: &str) -> Result<(), ValidationError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("request_id"))
    }
}

fn customer_no(no: &str) -> Result<(), ValidationError> {
    CustomerNo::parse(no)
        .map(drop)
        .map_err(|_| ValidationError::new("customer_no"))
}

fn template_code(code: &str) -> Result<(), ValidationError> {
    TemplateCode::parse(code)
        .map(drop)
        .map_err(|_| ValidationError::new("template_code"))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ClaimBody {
    /// Unique per client; a repeat gets the first answer.
    #[schema(example = "mb-20261126-000001", pattern = "^[0-9A-Za-z_.:-]{1,64}$")]
    #[validate(custom(function = "request_id", code = "QY-REQ-0002"))]
    pub request_id: String,
    #[schema(example = "T001", min_length = 1, max_length = 40)]
    #[validate(custom(function = "template_code", code = "QY-BEN-2004"))]
    pub template_code: String,
    #[schema(example = "C10000001", pattern = "^[0-9A-Za-z]{6,32}$")]
    #[validate(custom(function = "customer_no", code = "QY-REQ-0002"))]
    pub customer_no: String,
    /// The campaign the claim comes through, if any.
    pub campaign_id: Option<Uuid>,
}

fn claim_refusal(refusal: claim::Refusal) -> ApiError {
    match refusal {
        claim::Refusal::SoldOut => ErrorCode::SoldOut,
        claim::Refusal::DailyLimit => ErrorCode::DailyLimitReached,
        claim::Refusal::TotalLimit => ErrorCode::TotalLimitReached,
        claim::Refusal::CampaignLimit => ErrorCode::CampaignLimitReached,
        claim::Refusal::UnknownTemplate => ErrorCode::TemplateNotClaimable,
        claim::Refusal::OutsideWindow => ErrorCode::OutsideClaimWindow,
        claim::Refusal::RequestIdReused => ErrorCode::RequestIdReused,
        claim::Refusal::NonceReused => ErrorCode::NonceReused,
    }
    .into()
}

/// 领券 for a customer (channel clients).
#[utoipa::path(post, path = "/api/channel/v1/claims", tag = "channel", request_body = ClaimBody,
    responses(
        (status = 200, body = ClaimedCoupon),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-2004 no such active template"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-2001 sold out, 2002/2003 limits, 2005 window, 2006 request id reused"),
    ))]
pub async fn claim(
    State(state): State<AppState>,
    signed: Signed<ClaimBody>,
) -> Result<Json<ClaimedCoupon>, ApiError> {
    if signed.client.kind != ClientKind::Channel {
        return Err(ErrorCode::WrongClientKind.into());
    }
    let body = &signed.body;
    let template_code: TemplateCode = parsed(
        "template_code",
        body.template_code.as_str(),
        ErrorCode::TemplateNotClaimable,
    )?;
    let customer_no: CustomerNo = parsed(
        "customer_no",
        body.customer_no.as_str(),
        ErrorCode::InvalidBody,
    )?;
    let request = ClaimRequest {
        client_id: signed.client.id,
        request_id: &body.request_id,
        body: &signed.raw,
        template_code: &template_code,
        customer_no: &customer_no,
        campaign_id: body.campaign_id,
        nonce: Some(&signed.nonce),
    };
    let coupon = claim::claim(&state.pool, &request, state.clock.now())
        .await?
        .map_err(claim_refusal)?;
    Ok(Json(coupon))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct RedeemBody {
    /// Unique per merchant; a repeat gets the first answer.
    #[schema(example = "pos-20261126-000001", pattern = "^[0-9A-Za-z_.:-]{1,64}$")]
    #[validate(custom(function = "request_id", code = "QY-REQ-0002"))]
    pub request_id: String,
    /// The code as typed, or the scanned QR payload.
    #[schema(example = "Q7M2K9XH4TPC8RWN", min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = 64, code = "QY-BEN-3001"))]
    pub coupon_code: String,
    #[schema(example = "S001", min_length = 1, max_length = 32)]
    #[validate(length(min = 1, max = 32, code = "QY-BEN-3009"))]
    pub store_code: String,
    /// Fen, 1 … 10^12.
    #[schema(example = 12800, minimum = 1, maximum = 1_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-BEN-1007"))]
    pub order_amount: i64,
    #[schema(min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = 64, code = "QY-REQ-0002"))]
    pub order_ref: String,
}

pub fn redeem_refusal(refusal: redeem::Refusal) -> ApiError {
    match refusal {
        redeem::Refusal::UnknownCode => ErrorCode::UnknownCoupon,
        redeem::Refusal::AlreadyUsed => ErrorCode::CouponUsed,
        redeem::Refusal::NotValidNow => ErrorCode::CouponNotValidNow,
        redeem::Refusal::NotEligible => ErrorCode::MerchantNotEligible,
        redeem::Refusal::BelowThreshold => ErrorCode::BelowThreshold,
        redeem::Refusal::Withdrawn => ErrorCode::CouponWithdrawn,
        redeem::Refusal::UnknownStore => ErrorCode::UnknownStore,
        redeem::Refusal::MerchantDailyLimit => ErrorCode::MerchantDailyLimitReached,
        redeem::Refusal::NonceReused => ErrorCode::NonceReused,
        redeem::Refusal::MerchantDisabled => ErrorCode::MerchantDisabled,
    }
    .into()
}

fn merchant_of(client: &Client) -> Result<Uuid, ApiError> {
    match (client.kind, client.merchant_id) {
        (ClientKind::Merchant, Some(id)) => Ok(id),
        _ => Err(ErrorCode::WrongClientKind.into()),
    }
}

/// 核销 by a merchant system.
#[utoipa::path(post, path = "/api/channel/v1/redemptions", tag = "channel", request_body = RedeemBody,
    responses(
        (status = 200, body = Redemption),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3004 merchant not eligible, QY-CLI-0006 not a merchant client, QY-MER-0001 the merchant is disabled"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-3001 unknown code"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-3002 used, 3003 not valid now, 3005 below threshold, 3006 withdrawn"),
    ))]
pub async fn redeem(
    State(state): State<AppState>,
    signed: Signed<RedeemBody>,
) -> Result<Json<Redemption>, ApiError> {
    let merchant_id = merchant_of(&signed.client)?;
    let body = &signed.body;
    let order_amount: Fen = parsed("order_amount", body.order_amount, ErrorCode::InvalidAmount)?;
    let request = RedeemRequest {
        merchant_id,
        by: Redeemer::Client(signed.client.id),
        request_id: &body.request_id,
        coupon: &body.coupon_code,
        store_code: &body.store_code,
        order_amount,
        order_ref: &body.order_ref,
        nonce: Some(&signed.nonce),
    };
    let done = redeem::redeem(&state.pool, &request, state.clock.now())
        .await?
        .map_err(redeem_refusal)?;
    Ok(Json(done))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ReversalBody {}

/// 冲正 of a redemption by the merchant system that made it, within the window; idempotent.
#[utoipa::path(post, path = "/api/channel/v1/redemptions/{id}/reversal", tag = "channel",
    operation_id = "reverse_redemption",
    params(("id" = Uuid, Path)), request_body = ReversalBody,
    responses(
        (status = 200, body = Reversal),
        (status = 403, body = crate::error::ErrorBody, description = "QY-MER-0001 the merchant is disabled"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-3008 no such redemption"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-BEN-3007 window passed"),
    ))]
pub async fn reverse(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    signed: Signed<ReversalBody>,
) -> Result<Json<Reversal>, ApiError> {
    let merchant_id = merchant_of(&signed.client)?;
    let window = chrono::Duration::from_std(state.settings.reversal_window)
        .unwrap_or(chrono::Duration::hours(24));
    let nonce = Some((signed.client.id, signed.nonce.as_str()));
    let reversal = redeem::reverse(
        &state.pool,
        merchant_id,
        id,
        window,
        nonce,
        state.clock.now(),
    )
    .await?
    .map_err(|r| match r {
        redeem::ReversalRefusal::UnknownRedemption => ErrorCode::UnknownRedemption,
        redeem::ReversalRefusal::WindowPassed => ErrorCode::ReversalWindowPassed,
        redeem::ReversalRefusal::NonceReused => ErrorCode::NonceReused,
        redeem::ReversalRefusal::MerchantDisabled => ErrorCode::MerchantDisabled,
    })?;
    Ok(Json(reversal))
}
