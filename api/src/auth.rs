//! Signing in and the session (SEC-1, SEC-2, SEC-3): captcha, lockout, last-login notice, forced
//! and voluntary password changes, re-authentication after an idle spell, one session per user.
//! `CurrentUser` is the extractor every protected handler takes.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path};
use crate::permission::{Authorized, UserUnlock};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use quanyi_activities::audit::Entry;
use quanyi_activities::identity::login::{self, Attempt, LastLogin, Outcome, Reauth};
use quanyi_activities::identity::password::{self, PasswordRejection};
use quanyi_activities::identity::session::{self, SessionState, SessionToken};
use quanyi_activities::identity::{self, SecurityPolicy, User, captcha};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// The header a state-changing request must carry: a cross-site form cannot set it.
pub const CSRF_HEADER: &str = "x-requested-with";
pub const CSRF_VALUE: &str = "quanyi";

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    #[schema(example = "admin", max_length = 32)]
    pub username: String,
    #[schema(example = "Quanyi@2026", max_length = 128, format = Password)]
    pub password: String,
    /// From `GET /api/v1/auth/captcha`.
    pub captcha_id: uuid::Uuid,
    #[schema(max_length = 8)]
    pub captcha_answer: String,
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
pub struct LoginView {
    pub user: UserView,
    /// The previous sign-in of this account; absent at the first one.
    pub last_login: Option<LastLogin>,
    /// Initial, temporary or expired password: nothing but a password change is allowed.
    pub must_change_password: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub user: UserView,
    pub must_change_password: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaptchaView {
    pub captcha_id: uuid::Uuid,
    /// A `data:image/png;base64,…` URL.
    pub image: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangePasswordRequest {
    #[schema(max_length = 128, format = Password)]
    pub old_password: String,
    #[schema(max_length = 128, format = Password)]
    pub new_password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReauthRequest {
    #[schema(max_length = 128, format = Password)]
    pub password: String,
}

/// The session's user, even one who must change their password first. Only the calls that such
/// a user may make take this; everything else takes [`CurrentUser`].
pub struct SessionUser(pub User);

/// The signed-in user, refused with `QY-AUTH-0009` while a password change is pending.
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

fn token(parts: &Parts, state: &AppState) -> Option<SessionToken> {
    CookieJar::from_headers(&parts.headers)
        .get(state.settings.cookie_name())
        .map(|c| SessionToken::from_cookie(c.value()))
}

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = token(parts, state).ok_or(ErrorCode::NotAuthenticated)?;
        let now = state.clock.now();
        let user_id =
            match session::check(&state.pool, &*state.policy().await?, &token, now).await? {
                SessionState::Active { user_id } => user_id,
                SessionState::NeedsReauth { .. } => return Err(ErrorCode::ReauthRequired.into()),
                SessionState::Expired => return Err(ErrorCode::SessionExpired.into()),
                SessionState::Replaced => return Err(ErrorCode::SessionReplaced.into()),
                SessionState::None => return Err(ErrorCode::NotAuthenticated.into()),
            };
        let user = identity::user(&state.pool, user_id)
            .await?
            .ok_or(ErrorCode::NotAuthenticated)?;
        tracing::Span::current().record("user", user.username.as_str());
        Ok(SessionUser(user))
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let SessionUser(user) = SessionUser::from_request_parts(parts, state).await?;
        if user.must_change_password {
            return Err(ErrorCode::PasswordChangeRequired.into());
        }
        Ok(CurrentUser(user))
    }
}

/// The audit fields of a signed-in user acting from `peer`.
pub fn actor(user: &User, peer: SocketAddr) -> Entry {
    Entry {
        user_id: Some(user.id),
        username: Some(user.username.clone()),
        org_id: Some(user.org_id),
        ip: Some(peer.ip().to_string()),
        ..Entry::default()
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

fn lifetime(policy: &SecurityPolicy) -> time::Duration {
    time::Duration::try_from(policy.session_lifetime).unwrap_or(time::Duration::HOUR)
}

/// A new one-time captcha for the sign-in form.
#[utoipa::path(get, path = "/api/v1/auth/captcha", tag = "auth", responses((status = 200, body = CaptchaView)))]
pub async fn new_captcha(State(state): State<AppState>) -> Result<Json<CaptchaView>, ApiError> {
    let issued = captcha::issue(&state.pool, &*state.policy().await?, state.clock.now()).await?;
    Ok(Json(CaptchaView {
        captcha_id: issued.id,
        image: issued.image,
    }))
}

/// Sign in with username, password and captcha; sets the session cookie and ends any other
/// session of the same user.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginView, description = "Signed in; the session cookie is set"),
        (status = 400, body = crate::error::ErrorBody, description = "QY-AUTH-0006 captcha"),
        (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0002 wrong username and/or password"),
        (status = 423, body = crate::error::ErrorBody, description = "QY-AUTH-0007 locked"),
        (status = 429, body = crate::error::ErrorBody, description = "QY-AUTH-0008 throttled"),
    ))]
#[tracing::instrument(skip_all, fields(username = %request.username))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Json(request): Json<LoginRequest>,
) -> Result<(CookieJar, Json<LoginView>), ApiError> {
    if request.username.is_empty()
        || request.username.len() > 32
        || request.password.is_empty()
        || request.password.len() > 128
        || request.captcha_answer.len() > 8
    {
        return Err(ErrorCode::InvalidBody.into());
    }
    let attempt = Attempt {
        username: request.username,
        password: request.password,
        captcha_id: request.captcha_id,
        captcha_answer: request.captcha_answer,
        ip: peer.ip().to_string(),
        now: state.clock.now(),
    };
    let (user_id, token, last_login) =
        match login::sign_in(&state.pool, &*state.policy().await?, attempt).await? {
            Outcome::SignedIn {
                user_id,
                token,
                last_login,
            } => (user_id, token, last_login),
            Outcome::Throttled => return Err(ErrorCode::TooManyAttempts.into()),
            Outcome::BadCaptcha => return Err(ErrorCode::BadCaptcha.into()),
            Outcome::Locked => return Err(ErrorCode::AccountLocked.into()),
            Outcome::BadCredentials => {
                tracing::info!("sign-in refused");
                return Err(ErrorCode::BadCredentials.into());
            }
        };
    let user = identity::user(&state.pool, user_id)
        .await?
        .ok_or(ErrorCode::Internal)?;
    tracing::info!("signed in");
    let cookie = session_cookie(
        &state,
        token.expose().to_owned(),
        lifetime(&*state.policy().await?),
    );
    let must_change_password = user.must_change_password;
    Ok((
        jar.add(cookie),
        Json(LoginView {
            user: user.into(),
            last_login,
            must_change_password,
        }),
    ))
}

/// Sign out: ends the session server side and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out")))]
pub async fn logout(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    if let Some(cookie) = jar.get(state.settings.cookie_name()) {
        let by = Entry {
            ip: Some(peer.ip().to_string()),
            ..Entry::default()
        };
        let token = SessionToken::from_cookie(cookie.value());
        session::end(&state.pool, &token, state.clock.now(), by).await?;
    }
    let expired = session_cookie(&state, String::new(), time::Duration::ZERO);
    Ok((jar.add(expired), StatusCode::NO_CONTENT).into_response())
}

/// The signed-in user, and whether a password change is pending.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses(
    (status = 200, body = SessionView),
    (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0001, 0004, 0005, 0010"),
))]
pub async fn me(SessionUser(user): SessionUser) -> Json<SessionView> {
    let must_change_password = user.must_change_password;
    Json(SessionView {
        user: user.into(),
        must_change_password,
    })
}

fn rejection_code(rejection: PasswordRejection) -> ErrorCode {
    match rejection {
        PasswordRejection::TooShort => ErrorCode::PasswordTooShort,
        PasswordRejection::TooFewClasses => ErrorCode::PasswordTooFewClasses,
        PasswordRejection::ContainsUsername => ErrorCode::PasswordContainsUsername,
        PasswordRejection::Reused => ErrorCode::PasswordReused,
        PasswordRejection::TooSoon => ErrorCode::PasswordTooSoon,
        PasswordRejection::WrongOldPassword => ErrorCode::PasswordOldWrong,
    }
}

/// Rotates the session behind the request's cookie and sets the new one.
async fn rotate(state: &AppState, jar: CookieJar) -> Result<CookieJar, ApiError> {
    let old = jar
        .get(state.settings.cookie_name())
        .map(|c| SessionToken::from_cookie(c.value()))
        .ok_or(ErrorCode::NotAuthenticated)?;
    let new = session::rotate(&state.pool, &old, state.clock.now())
        .await?
        .ok_or(ErrorCode::NotAuthenticated)?;
    Ok(jar.add(session_cookie(
        state,
        new.expose().to_owned(),
        lifetime(&*state.policy().await?),
    )))
}

/// Change one's own password (the only call allowed while a change is pending); the session gets
/// a new id.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; the session cookie is renewed"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-PWD-0001 … QY-PWD-0006, one per rule"),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SessionUser(user): SessionUser,
    jar: CookieJar,
    Json(request): Json<ChangePasswordRequest>,
) -> Result<(CookieJar, StatusCode), ApiError> {
    if request.old_password.len() > 128 || request.new_password.len() > 128 {
        return Err(ErrorCode::InvalidBody.into());
    }
    let policy = &*state.policy().await?;
    let by = actor(&user, peer);
    password::change(
        &state.pool,
        policy,
        user.id,
        request.old_password,
        request.new_password,
        state.clock.now(),
        by,
    )
    .await?
    .map_err(rejection_code)?;
    tracing::info!(user = %user.username, "password changed");
    Ok((rotate(&state, jar).await?, StatusCode::NO_CONTENT))
}

/// Prove who you are again after an idle spell (or before a critical operation); the session gets
/// a new id. Failures count toward the lockout like sign-in failures.
#[utoipa::path(post, path = "/api/v1/auth/reauth", tag = "auth", request_body = ReauthRequest,
    responses(
        (status = 204, description = "Re-authenticated; the session cookie is renewed"),
        (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0002 wrong password"),
    ))]
pub async fn reauth(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ReauthCandidate(user_id): ReauthCandidate,
    jar: CookieJar,
    Json(request): Json<ReauthRequest>,
) -> Result<(CookieJar, StatusCode), ApiError> {
    if request.password.len() > 128 {
        return Err(ErrorCode::InvalidBody.into());
    }
    let user = identity::user(&state.pool, user_id)
        .await?
        .ok_or(ErrorCode::NotAuthenticated)?;
    let by = actor(&user, peer);
    let now = state.clock.now();
    match login::reauthenticate(
        &state.pool,
        &*state.policy().await?,
        user_id,
        request.password,
        now,
        by,
    )
    .await?
    {
        Reauth::Verified => Ok((rotate(&state, jar).await?, StatusCode::NO_CONTENT)),
        Reauth::WrongPassword => Err(ErrorCode::BadCredentials.into()),
        Reauth::Locked => Err(ErrorCode::AccountLocked.into()),
    }
}

/// The user of a session that may re-authenticate: a live one, or one that sat idle too long.
pub struct ReauthCandidate(pub uuid::Uuid);

impl FromRequestParts<AppState> for ReauthCandidate {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = token(parts, state).ok_or(ErrorCode::NotAuthenticated)?;
        let now = state.clock.now();
        match session::check(&state.pool, &*state.policy().await?, &token, now).await? {
            SessionState::Active { user_id } | SessionState::NeedsReauth { user_id } => {
                Ok(ReauthCandidate(user_id))
            }
            SessionState::Expired => Err(ErrorCode::SessionExpired.into()),
            SessionState::Replaced => Err(ErrorCode::SessionReplaced.into()),
            SessionState::None => Err(ErrorCode::NotAuthenticated.into()),
        }
    }
}

/// Administrator: clear the lock of an account (or of a name that is not one).
#[utoipa::path(post, path = "/api/v1/system/locks/{username}/unlock", tag = "system",
    params(("username" = String, Path, description = "The name as typed at sign-in")),
    responses(
        (status = 204, description = "Unlocked (or was not locked)"),
        (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003"),
    ))]
pub async fn unlock(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<UserUnlock>,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    if username.len() > 32 {
        return Err(ErrorCode::InvalidPath.into());
    }
    let by = actor(&user, peer);
    let cleared = login::unlock(&state.pool, &username, state.clock.now(), by).await?;
    tracing::info!(by = %user.username, username, cleared, "account unlocked");
    Ok(StatusCode::NO_CONTENT)
}

/// A user who proved who they are within the step-up window (critical operations); refused with
/// `QY-AUTH-0011` otherwise — the UI then asks for the password (`/auth/reauth`) and retries.
pub struct SteppedUp;

impl FromRequestParts<AppState> for SteppedUp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = token(parts, state).ok_or(ErrorCode::NotAuthenticated)?;
        let window = state.policy().await?.step_up_window;
        if session::authenticated_within(&state.pool, &token, state.clock.now(), window).await? {
            Ok(SteppedUp)
        } else {
            Err(ErrorCode::StepUpRequired.into())
        }
    }
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
