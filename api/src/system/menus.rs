//! 菜单管理 (SYS-1): the menu as server data — each user's own menu, and the full tree to
//! maintain.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path};
use crate::identity::auth::{CurrentUser, actor};
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quanyi_activities::system::menus::{self, MenuChange, MenuNode};
use serde::Deserialize;
use std::net::SocketAddr;
use uuid::Uuid;

/// The signed-in user's side menu: visible entries of their kind (staff, or a merchant's users:
/// the merchant portal) they hold the permission for.
#[utoipa::path(get, path = "/api/v1/auth/menus", tag = "auth", responses(
    (status = 200, body = Vec<MenuNode>),
    (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0001"),
))]
pub async fn my_menu(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<MenuNode>>, ApiError> {
    let tree = menus::tree(&menus::rows(&state.pool).await?);
    let holds = |p: &str| user.permissions.iter().any(|held| held == p);
    Ok(Json(menus::visible_menu(&tree, &user.kind, &holds)))
}

/// 菜单管理: every menu entry and button, hidden ones included.
#[utoipa::path(get, path = "/api/v1/system/menus", tag = "system", responses(
    (status = 200, body = Vec<MenuNode>),
    (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
))]
pub async fn menus(
    State(state): State<AppState>,
    _: Authorized<perm::MenuView>,
) -> Result<Json<Vec<MenuNode>>, ApiError> {
    Ok(Json(menus::tree(&menus::rows(&state.pool).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateMenuRequest {
    #[schema(min_length = 1, max_length = 50)]
    pub title_zh: String,
    #[schema(min_length = 1, max_length = 100)]
    pub title_en: String,
    #[schema(minimum = 0, maximum = 9999)]
    pub sort: i32,
    /// Hidden entries leave every user's menu (the permission still guards the page).
    pub visible: bool,
}

/// Rename, reorder, hide or show a menu entry (audited before/after).
#[utoipa::path(put, path = "/api/v1/system/menus/{id}", tag = "system",
    params(("id" = Uuid, Path)), request_body = UpdateMenuRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-SYS-1025"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-SYS-1027 a button cannot be hidden"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-SYS-1026"),
    ))]
pub async fn update_menu(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MenuUpdate>,
    Path(id): Path<Uuid>,
    Json(request): Json<UpdateMenuRequest>,
) -> Result<StatusCode, ApiError> {
    let zh = request.title_zh.trim().to_owned();
    let en = request.title_en.trim().to_owned();
    if !(1..=50).contains(&zh.chars().count())
        || !(1..=100).contains(&en.chars().count())
        || !(0..=9999).contains(&request.sort)
    {
        return Err(ErrorCode::InvalidMenuEntry.into());
    }
    let change = MenuChange {
        title_zh: zh,
        title_en: en,
        sort: request.sort,
        visible: request.visible,
    };
    match menus::update(
        &state.pool,
        actor(&user, peer),
        id,
        change,
        state.clock.now(),
    )
    .await?
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(menus::Refusal::UnknownMenu) => Err(ErrorCode::UnknownMenu.into()),
        Err(menus::Refusal::ButtonAlwaysShown) => Err(ErrorCode::ButtonAlwaysShown.into()),
    }
}
