//! Permissions as types: a handler that takes `Authorized<UserCreate>` cannot run, or even read its
//! body, for a user without `system:user:create`. The strings are the `area:entity:action` names
//! roles hold.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use quanyi_activities::identity::User;
use std::marker::PhantomData;

pub trait Permission {
    const NAME: &'static str;
}

macro_rules! permissions {
    ($($(#[$doc:meta])* $ty:ident = $name:literal;)*) => {
        $($(#[$doc])* pub struct $ty; impl Permission for $ty { const NAME: &'static str = $name; })*
    };
}

permissions! {
    StatusView = "system:status:view";
    OrgView = "system:org:view";
    UserView = "system:user:view";
    UserCreate = "system:user:create";
    UserResetPassword = "system:user:reset_password";
    UserUnlock = "system:user:unlock";
    RoleView = "system:role:view";
    RoleGrant = "system:role:grant";
    UserDisable = "system:user:disable";
    LogView = "system:log:view";
    AuditView = "system:audit:view";
    LogExport = "system:log:export";
    ParameterView = "system:parameter:view";
    ParameterUpdate = "system:parameter:update";
    DictionaryUpdate = "system:dictionary:update";
}

/// The signed-in user, holding permission `P`; `QY-AUTH-0003` otherwise.
pub struct Authorized<P>(pub User, pub PhantomData<P>);

impl<P: Permission + Send + Sync> FromRequestParts<AppState> for Authorized<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        user.require(P::NAME)?;
        Ok(Authorized(user.0, PhantomData))
    }
}
