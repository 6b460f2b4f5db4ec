//! `quanyi dev`'s stand-in for mobile banking (`GET /h5/demo`, only when the settings name a
//! demo client): a page listing demo customers, each a link into the H5 carrying a fresh
//! assertion signed with the demo channel client's key — what the bank's app does for a signed-in
//! customer. Absent in production, where `h5_demo_client` is not set.

use super::assertion::{self, AUDIENCE, Payload};
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use quanyi_activities::pii::{self, Kind};

/// How long the demo's assertions live: the page is opened and a link followed within it.
const LIFETIME_SECONDS: i64 = 120;

fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The demo page: the first demo customers with their coupons and points, each a link into the H5.
pub async fn page(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Some(code) = state.settings.h5_demo_client.as_deref() else {
        return Err(ErrorCode::NotFound.into());
    };
    let client = state
        .caches
        .client(&state.pool, &state.settings.data_key, code)
        .await?
        .ok_or(ErrorCode::UnknownClient)?;
    let customers: Vec<String> = sqlx::query_scalar(
        "SELECT customer_no FROM customers WHERE status = 'active' ORDER BY customer_no LIMIT 5",
    )
    .fetch_all(&state.pool)
    .await?;
    let now = state.clock.now().timestamp();
    let mut links = String::new();
    for no in &customers {
        let payload = Payload {
            aud: AUDIENCE.into(),
            customer_no: no.clone(),
            iat: now,
            exp: now + LIFETIME_SECONDS,
            nonce: nonce(),
        };
        let text = assertion::make(&client.code, &payload, |m| client.sign(m));
        links.push_str(&format!(
            "<li><a class=go href=\"/h5/?assertion={text}\">以客户 {} 打开积分商城</a></li>",
            pii::mask(Kind::CustomerNo, no)
        ));
    }
    let html = format!(
        "<!doctype html><html lang=zh-CN><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <title>手机银行（演示）</title><style>body{{font-family:sans-serif;margin:24px;\
         background:#f5f6f8}}h1{{font-size:20px}}li{{margin:14px 0}}a.go{{display:block;\
         padding:14px;border-radius:8px;background:#e1251b;color:#fff;text-decoration:none;\
         text-align:center}}ul{{list-style:none;padding:0}}p{{color:#666;font-size:13px}}</style>\
         </head><body><h1>手机银行（演示）</h1><p>演示环境：模拟手机银行为已登录客户签发 H5 登录凭证\
         （渠道接入方 {code}，{LIFETIME_SECONDS} 秒内有效，只能使用一次）。</p><ul>{links}</ul></body></html>"
    );
    let mut response = Html(html).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
