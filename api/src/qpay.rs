//! Q支付's callback (docs/qpay.md): `POST /api/qpay/v1/notify`, signed by Q支付 with our merchant
//! key. Every callback is a row of 支付流水, kept before it is acted on. A paid notice settles its
//! payment once: a duplicate, a late one (the order closed after Q支付 closed the payment) or one
//! for another amount changes nothing, and each is answered `SUCCESS` so Q支付 stops repeating
//! it; only a callback we could not record or act on is answered with an error, to be repeated.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use quanyi_activities::mall::orders::{self, Settled};
use quanyi_activities::qpay::{self, Notice};
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct NoticeAnswer {
    /// `SUCCESS`: taken (Q支付 stops repeating it).
    pub code: &'static str,
}

/// Q支付's payment notice.
#[utoipa::path(post, path = "/api/qpay/v1/notify", tag = "qpay", request_body = Notice,
    responses((status = 200, body = NoticeAnswer),
        (status = 401, body = crate::error::ErrorBody, description = "QY-MALL-0037 signature invalid or stale"),
        (status = 503, body = crate::error::ErrorBody, description = "QY-MALL-0032 Q支付 is not configured")))]
pub async fn notify(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Json<NoticeAnswer>, ApiError> {
    let qpay = state
        .settings
        .qpay
        .as_ref()
        // without a configured Q支付 no notice can carry our key's signature
        .ok_or(ErrorCode::BadQpayNotice)?;
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let now = state.clock.now();
    if !qpay.callback_verifies(
        header("x-qpay-mch"),
        header("x-qpay-timestamp"),
        header("x-qpay-nonce"),
        &raw,
        header("x-qpay-signature"),
        now,
    ) {
        return Err(ErrorCode::BadQpayNotice.into());
    }
    let notice: Notice = crate::extract::parse(&raw)?;
    let request = serde_json::to_value(&notice).unwrap_or_default();
    let outcome = if notice.status == "PAID" {
        match orders::settle(
            &state.pool,
            &notice.pay_no,
            &notice.trade_no,
            notice.amount_fen,
            "qpay-notify",
            now,
        )
        .await?
        {
            Settled::Paid => "paid",
            Settled::AlreadyPaid => "duplicate",
            Settled::UnknownPayment => "unknown payment",
            Settled::AmountMismatch => "amount mismatch",
            Settled::Closed => "payment closed",
        }
    } else {
        "not paid"
    };
    qpay::record(
        &state.pool,
        Some(&notice.pay_no),
        "in",
        "notify",
        Some(&request),
        Some(&serde_json::json!({ "code": "SUCCESS" })),
        Some(200),
        outcome,
        now,
    )
    .await?;
    Ok(Json(NoticeAnswer { code: "SUCCESS" }))
}
