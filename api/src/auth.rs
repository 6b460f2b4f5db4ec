//! Sign-in with a server-side session: the cookie holds an unguessable token, PostgreSQL holds
//! its hash. `CurrentUser` is the extractor every protected handler takes.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::json::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::Utc;
use quanyi_activities::identity::{self, SessionToken, User};
use serde::{Deserialize, Serialize};

/// How long a session lives at most, whatever the activity.
const SESSION_LIFETIME: chrono::Duration = chrono::Duration::hours(3);

/// The header a state-changing request must carry: a cross-site form cannot set it.
pub const CSRF_HEADER: &str = "x-requested-with";
pub const CSRF_VALUE: &str = "quanyi";

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    #[schema(example = "admin", max_length = 32)]
    pub username: String,
    #[schema(example = "Quanyi@2026", max_length = 128, format = Password)]
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: uuid::Uuid,
    pub username: String,
    pub display_name: String,
    pub org_id: uuid::Uuid,
    pub org_name: String,
    /// `staff`, `merchant` or `inspector`.
    pub kind: String,
    /// `area:entity:action` strings the user holds.
    pub permissions: Vec<String>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            org_id: u.org_id,
            org_name: u.org_name,
            kind: u.kind,
            permissions: u.permissions,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub user: UserView,
}

/// The signed-in user of the request; refuses with `QY-AUTH-0001` when there is none.
pub struct CurrentUser(pub User);

impl CurrentUser {
    /// Refuses with `QY-AUTH-0003` unless the user holds `permission`.
    pub fn require(&self, permission: &str) -> Result<(), ApiError> {
        if self.0.permissions.iter().any(|p| p == permission) {
            Ok(())
        } else {
            tracing::info!(user = %self.0.username, permission, "permission refused");
            Err(ErrorCode::Forbidden.into())
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(state.settings.cookie_name())
            .map(|c| SessionToken::from_cookie(c.value()))
            .ok_or(ErrorCode::NotAuthenticated)?;
        let user_id = identity::session_user(&state.pool, &token, state.settings.session_idle)
            .await?
            .ok_or(ErrorCode::NotAuthenticated)?;
        let user = identity::user(&state.pool, user_id)
            .await?
            .ok_or(ErrorCode::NotAuthenticated)?;
        tracing::Span::current().record("user", user.username.as_str());
        Ok(CurrentUser(user))
    }
}

fn session_cookie(state: &AppState, value: String, max_age: time::Duration) -> Cookie<'static> {
    Cookie::build((state.settings.cookie_name(), value))
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(max_age)
        .build()
}

/// Sign in with username and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = SessionView, description = "Signed in; the session cookie is set"),
        (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0002"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-REQ-0002"),
    ))]
#[tracing::instrument(skip_all, fields(username = %request.username))]
pub async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    Json(request): Json<LoginRequest>,
) -> Result<(CookieJar, Json<SessionView>), ApiError> {
    if request.username.is_empty()
        || request.username.len() > 32
        || request.password.is_empty()
        || request.password.len() > 128
    {
        return Err(ErrorCode::InvalidBody.into());
    }
    let credentials = identity::credentials(&state.pool, &request.username).await?;
    // Verify against a dummy hash for unknown users: both failures cost the same and look alike.
    let hash = credentials.as_ref().map_or_else(
        || identity::dummy_hash().to_owned(),
        |c| c.password_hash.clone(),
    );
    let password = request.password;
    let verified = tokio::task::spawn_blocking(move || identity::verify_password(&password, &hash))
        .await
        .map_err(|_| ErrorCode::Internal)?;
    let user_id = match credentials {
        Some(c) if verified && c.active => c.user_id,
        _ => {
            tracing::info!("sign-in refused");
            return Err(ErrorCode::BadCredentials.into());
        }
    };
    let token = SessionToken::generate();
    identity::create_session(&state.pool, &token, user_id, Utc::now() + SESSION_LIFETIME).await?;
    let user = identity::user(&state.pool, user_id)
        .await?
        .ok_or(ErrorCode::Internal)?;
    tracing::info!("signed in");
    let cookie = session_cookie(&state, token.expose().to_owned(), time::Duration::hours(3));
    Ok((jar.add(cookie), Json(SessionView { user: user.into() })))
}

/// Sign out: ends the session server side and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out")))]
pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> Result<Response, ApiError> {
    if let Some(cookie) = jar.get(state.settings.cookie_name()) {
        identity::end_session(&state.pool, &SessionToken::from_cookie(cookie.value())).await?;
    }
    let expired = session_cookie(&state, String::new(), time::Duration::ZERO);
    Ok((jar.add(expired), StatusCode::NO_CONTENT).into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses(
    (status = 200, body = SessionView),
    (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0001"),
))]
pub async fn me(CurrentUser(user): CurrentUser) -> Json<SessionView> {
    Json(SessionView { user: user.into() })
}

/// Middleware on `/api/v1`: a state-changing request must carry `X-Requested-With: quanyi`.
pub async fn require_csrf_header(request: Request, next: Next) -> Result<Response, ApiError> {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let marked = request
        .headers()
        .get(CSRF_HEADER)
        .is_some_and(|v| v.as_bytes() == CSRF_VALUE.as_bytes());
    if safe || marked {
        Ok(next.run(request).await)
    } else {
        Err(ErrorCode::CsrfHeaderMissing.into())
    }
}
