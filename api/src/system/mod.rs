//! 系统管理 (SYS-1, SYS-2, SYS-3): system information, the org tree ([`orgs`]), the menu
//! ([`menus`]), the code lists ([`dictionaries`]), the security parameters ([`parameters`]), the
//! logs ([`logs`]) and the notices sent ([`notifications`]).

pub mod dictionaries;
pub mod logs;
pub mod menus;
pub mod notifications;
pub mod orgs;
pub mod parameters;

use crate::AppState;
use crate::extract::Json;
use crate::identity::auth::CurrentUser;
use axum::extract::State;
use serde::Serialize;
use uuid::Uuid;

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

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: Uuid,
}
