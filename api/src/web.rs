//! The admin UI's files (SPA fallback to `index.html`), the customers' H5 under `/h5/` (its own
//! fallback) and, in `quanyi dev`, its demo page, the API reference page, and the security
//! headers every response carries.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, Response};
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; font-src 'self' data:; \
    connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// The UI router: hashed assets cached for a year, everything else (index.html) never cached.
pub fn ui(state: &AppState) -> Router<AppState> {
    let dir = &state.settings.ui_dir;
    let index = dir.join("index.html");
    if !index.is_file() {
        tracing::warn!(dir = %dir.display(), "admin UI not built: run `npm ci && npm run build` in ui/");
        return Router::new().fallback(|| async { ApiError::from(ErrorCode::UiNotBuilt) });
    }
    let files = ServeDir::new(dir).fallback(ServeFile::new(index));
    let mut router = Router::new();
    // the customers' H5 (a second entry of the same build): its own index for its own paths
    let h5_index = dir.join("h5").join("index.html");
    if h5_index.is_file() {
        let h5 = ServeDir::new(dir.join("h5")).fallback(ServeFile::new(h5_index));
        router = router.nest_service("/h5", h5);
    }
    if state.settings.h5_demo_client.is_some() {
        router = router.route("/h5/demo", get(crate::h5::demo::page));
    }
    router
        .fallback_service(files)
        .layer(axum::middleware::from_fn(cache_control))
}

async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let value = if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// `GET /api/docs`: Swagger UI over `/api/openapi.json`, its files built into `ui/dist/api-docs`.
pub async fn api_docs() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Quanyi API</title>\
         <link rel=stylesheet href=/api-docs/swagger-ui.css></head>\
         <body><div id=swagger-ui></div><script src=/api-docs/swagger-ui-bundle.js></script>\
         <script src=/api-docs/init.js></script></body></html>",
    )
}

/// Security headers on every response.
pub fn security_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let headers: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        // the camera for 核销's 扫码, on our own pages only
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(self), microphone=(), geolocation=()",
        ),
    ];
    headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ))
    })
}
