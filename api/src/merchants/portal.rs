//! 商户门户 (issue 16): a merchant's administrator reads their own merchant — its onboarding
//! application with its history (read-only, personal data masked), its stores and the coupon
//! templates it may redeem. `merchant:portal:view`; each route serves the caller's merchant only,
//! whatever it is asked.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::Json;
use crate::identity::permission::{self as perm, Authorized};
use crate::onboarding::staff::{ApplicationDetail, detail_of};
use axum::extract::State;
use quanyi_activities::identity::User;
use quanyi_activities::merchants::portal::{self, PortalStore, PortalTemplate};
use serde::Serialize;
use uuid::Uuid;

/// The caller's merchant, or `QY-BEN-3010` for a user who is not a merchant's.
fn own_merchant(user: &User) -> Result<Uuid, ApiError> {
    user.merchant_id
        .filter(|_| user.kind == "merchant")
        .ok_or_else(|| ErrorCode::NotAMerchantUser.into())
}

/// The application that opened the merchant, if it came through one.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MyApplication {
    /// `null` for a merchant the bank created directly.
    pub application: Option<ApplicationDetail>,
}

/// 我的入驻申请: the onboarding application that opened the caller's merchant and its history,
/// personal data masked.
#[utoipa::path(get, path = "/api/v1/merchant/application", tag = "merchant",
    responses(
        (status = 200, body = MyApplication),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant's user"),
    ))]
pub async fn portal_application(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::MerchantPortalView>,
) -> Result<Json<MyApplication>, ApiError> {
    let merchant = own_merchant(&user)?;
    let application = match portal::application_of(&state.pool, merchant).await? {
        Some(id) => match quanyi_activities::onboarding::load(&state.pool, id).await? {
            Some(application) => Some(detail_of(&state, application, false).await?),
            None => None,
        },
        None => None,
    };
    Ok(Json(MyApplication { application }))
}

/// 门店: the caller's merchant's stores, disabled ones included.
#[utoipa::path(get, path = "/api/v1/merchant/stores", tag = "merchant",
    responses(
        (status = 200, body = Vec<PortalStore>),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant's user"),
    ))]
pub async fn portal_stores(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::MerchantPortalView>,
) -> Result<Json<Vec<PortalStore>>, ApiError> {
    let merchant = own_merchant(&user)?;
    Ok(Json(portal::stores(&state.pool, merchant).await?))
}

/// 商户权益: the coupon templates the caller's merchant may redeem (those for any merchant and
/// those naming it), with their validity and remaining stock.
#[utoipa::path(get, path = "/api/v1/merchant/templates", tag = "merchant",
    responses(
        (status = 200, body = Vec<PortalTemplate>),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant's user"),
    ))]
pub async fn portal_templates(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::MerchantPortalView>,
) -> Result<Json<Vec<PortalTemplate>>, ApiError> {
    let merchant = own_merchant(&user)?;
    Ok(Json(portal::templates(&state.pool, merchant).await?))
}
