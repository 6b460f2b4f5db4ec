//! System information for the admin UI.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::extract::Json;
use axum::extract::State;
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SystemInfo {
    pub version: &'static str,
    /// The Temporal Web UI, for engineers.
    pub temporal_ui_url: Option<String>,
}

/// Version and links for the status page.
#[utoipa::path(get, path = "/api/v1/system/info", tag = "system", responses(
    (status = 200, body = SystemInfo),
    (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0001"),
))]
pub async fn info(State(state): State<AppState>, _user: CurrentUser) -> Json<SystemInfo> {
    Json(SystemInfo {
        version: env!("CARGO_PKG_VERSION"),
        temporal_ui_url: state.settings.temporal_ui_url.clone(),
    })
}
