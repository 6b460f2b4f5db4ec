//! Permissions as types: a handler that takes `Authorized<UserCreate>` cannot run, or even read its
//! body, for a user without `system:user:create`. The strings are the `area:entity:action` names
//! roles hold.

use crate::AppState;
use crate::auth::{CurrentUser, actor};
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::extract::{ConnectInfo, OriginalUri};
use axum::http::Method;
use axum::http::request::Parts;
use quanyi_activities::audit::{self, Entry};
use quanyi_activities::identity::User;
use std::marker::PhantomData;
use std::net::SocketAddr;

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
    UserResetTotp = "system:user:reset_totp";
    /// SEC-6: see staff contact details unmasked (each time audited).
    UserUnmask = "pii:user:unmask";
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
        if let Err(refused) = user.require(P::NAME) {
            // A refused attempt to change something is itself on the record.
            if !matches!(parts.method, Method::GET | Method::HEAD) {
                let who = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map_or_else(Entry::default, |peer| actor(&user.0, peer.0));
                let entry = Entry {
                    action: "auth.permission.refused",
                    target: Some(format!("{} {}", parts.method, path(parts))),
                    refused: true,
                    after: Some(serde_json::json!({ "permission": P::NAME })),
                    ..who
                };
                let mut tx = state.pool.begin().await?;
                audit::append(&mut tx, state.clock.now(), entry).await?;
                tx.commit().await?;
            }
            return Err(refused);
        }
        Ok(Authorized(user.0, PhantomData))
    }
}

/// The path as the client sent it (nested routers see it without their prefix).
fn path(parts: &Parts) -> String {
    parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.path().to_owned(), |u| u.0.path().to_owned())
}
