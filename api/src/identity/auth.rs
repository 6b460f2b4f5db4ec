//! Signing in and the session (SEC-1, SEC-2, SEC-3): captcha, lockout, last-login notice, forced
//! and voluntary password changes, re-authentication after an idle spell, one session per user.
//! `CurrentUser` is the extractor every protected handler takes.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path, Valid};
use crate::identity::permission::{Authorized, UserUnlock};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use quanyi_activities::audit::Entry;
use quanyi_activities::identity::login::{self, Attempt, LastLogin, Outcome, Reauth};
use quanyi_activities::identity::password::{self, PasswordRejection};
use quanyi_activities::identity::session::{self, Proof, SessionState, SessionToken};
use quanyi_activities::identity::{self, SecurityPolicy, User, captcha, totp};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use validator::Validate;

/// The header a state-changing request must carry: a cross-site form cannot set it.
pub const CSRF_HEADER: &str = "x-requested-with";
pub const CSRF_VALUE: &str = "quanyi";

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct LoginRequest {
    #[schema(example = "admin", min_length = 1, max_length = 32)]
    #[validate(length(min = 1, max = 32, code = "QY-REQ-0002"))]
    pub username: String,
    #[schema(example = "Quanyi@2026", min_length = 1, max_length = 128, format = Password)]
    #[validate(length(min = 1, max = 128, code = "QY-REQ-0002"))]
    pub password: String,
    /// From `GET /api/v1/auth/captcha`.
    pub captcha_id: uuid::Uuid,
    #[schema(max_length = 8)]
    #[validate(length(max = 8, code = "QY-REQ-0002"))]
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
    /// The user has a TOTP second factor.
    pub totp_enabled: bool,
    /// One of the user's roles requires the second factor.
    pub totp_required: bool,
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
            totp_enabled: u.totp_enabled,
            totp_required: u.totp_required,
        }
    }
}

/// What the second factor still asks of this session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactor {
    /// Nothing: not enrolled and not required, or already given.
    Done,
    /// Enter a code (`POST /auth/totp/verify`) before anything else.
    Verify,
    /// A role requires it and the user has none: enrol (`/auth/totp/enrolment`) first.
    Enrol,
}

impl SecondFactor {
    fn of(user: &User, pending: bool) -> SecondFactor {
        if pending {
            SecondFactor::Verify
        } else if user.totp_required && !user.totp_enabled {
            SecondFactor::Enrol
        } else {
            SecondFactor::Done
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
    pub second_factor: SecondFactor,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub user: UserView,
    pub must_change_password: bool,
    pub second_factor: SecondFactor,
    /// Unused recovery codes of an enrolled user (time to enrol again when it runs low).
    pub recovery_codes_left: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaptchaView {
    pub captcha_id: uuid::Uuid,
    /// A `data:image/png;base64,…` URL.
    pub image: String,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ChangePasswordRequest {
    #[schema(max_length = 128, format = Password)]
    #[validate(length(max = 128, code = "QY-REQ-0002"))]
    pub old_password: String,
    #[schema(max_length = 128, format = Password)]
    #[validate(length(max = 128, code = "QY-REQ-0002"))]
    pub new_password: String,
}

/// Either the password or a code of the second factor (six digits, or a recovery code).
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ReauthRequest {
    #[schema(max_length = 128, format = Password)]
    #[validate(length(max = 128, code = "QY-REQ-0002"))]
    pub password: Option<String>,
    #[schema(example = "123456", max_length = 16)]
    #[validate(length(max = 16, code = "QY-REQ-0002"))]
    pub totp_code: Option<String>,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct TotpCodeRequest {
    /// Six digits from the authenticator app, or a recovery code (`ABCDE-FGHJK`).
    #[schema(example = "123456", min_length = 6, max_length = 16)]
    #[validate(length(min = 6, max = 16, code = "QY-AUTH-0014"))]
    pub code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecoveryCodesView {
    /// Ten one-time codes for a lost device. Shown once; only their hashes are kept.
    pub recovery_codes: Vec<String>,
}

/// The session's user at any stage of signing in: even one who still owes the second factor or
/// a password change. Only `me` and `logout` take this.
pub struct SessionUser {
    pub user: User,
    pub second_factor_pending: bool,
}

/// A user who gave the password and, if enrolled, the second factor — but may still owe a
/// password change or an enrolment; the calls that settle those take this.
pub struct VerifiedUser(pub User);

/// The signed-in user with nothing owed: refused with `QY-AUTH-0012` while the second factor is
/// owed, `QY-AUTH-0009` while a password change is, and `QY-AUTH-0013` while a role requires an
/// enrolment the user has not made.
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
        let (user_id, second_factor_pending) =
            match session::check(&state.pool, &*state.policy().await?, &token, now).await? {
                SessionState::Active {
                    user_id,
                    second_factor_pending,
                } => (user_id, second_factor_pending),
                SessionState::NeedsReauth { .. } => return Err(ErrorCode::ReauthRequired.into()),
                SessionState::Expired => return Err(ErrorCode::SessionExpired.into()),
                SessionState::Replaced => return Err(ErrorCode::SessionReplaced.into()),
                SessionState::None => return Err(ErrorCode::NotAuthenticated.into()),
            };
        let user = identity::user(&state.pool, user_id)
            .await?
            .ok_or(ErrorCode::NotAuthenticated)?;
        tracing::Span::current().record("user", user.username.as_str());
        // read with the user on every request: refused from the commit that disabled the merchant
        if user.merchant_disabled {
            return Err(ErrorCode::MerchantDisabled.into());
        }
        Ok(SessionUser {
            user,
            second_factor_pending,
        })
    }
}

impl FromRequestParts<AppState> for VerifiedUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = SessionUser::from_request_parts(parts, state).await?;
        if session.second_factor_pending {
            return Err(ErrorCode::SecondFactorRequired.into());
        }
        Ok(VerifiedUser(session.user))
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let VerifiedUser(user) = VerifiedUser::from_request_parts(parts, state).await?;
        if user.must_change_password {
            return Err(ErrorCode::PasswordChangeRequired.into());
        }
        if SecondFactor::of(&user, false) == SecondFactor::Enrol {
            return Err(ErrorCode::TotpEnrolmentRequired.into());
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
        (status = 403, body = crate::error::ErrorBody, description = "QY-MER-0001 the user's merchant is disabled"),
        (status = 423, body = crate::error::ErrorBody, description = "QY-AUTH-0007 locked"),
        (status = 429, body = crate::error::ErrorBody, description = "QY-AUTH-0008 throttled"),
    ))]
#[tracing::instrument(skip_all, fields(username = %request.username))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Valid(request): Valid<LoginRequest>,
) -> Result<(CookieJar, Json<LoginView>), ApiError> {
    let attempt = Attempt {
        username: request.username,
        password: request.password,
        captcha_id: request.captcha_id,
        captcha_answer: request.captcha_answer,
        ip: peer.ip().to_string(),
        now: state.clock.now(),
    };
    let (user_id, token, last_login, second_factor_pending) =
        match login::sign_in(&state.pool, &*state.policy().await?, attempt).await? {
            Outcome::SignedIn {
                user_id,
                token,
                last_login,
                second_factor_pending,
            } => (user_id, token, last_login, second_factor_pending),
            Outcome::Throttled => return Err(ErrorCode::TooManyAttempts.into()),
            Outcome::MerchantDisabled => return Err(ErrorCode::MerchantDisabled.into()),
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
    let second_factor = SecondFactor::of(&user, second_factor_pending);
    Ok((
        jar.add(cookie),
        Json(LoginView {
            user: user.into(),
            last_login,
            must_change_password,
            second_factor,
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

/// The signed-in user, and what signing in still asks of them (second factor, password change,
/// enrolment).
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses(
    (status = 200, body = SessionView),
))]
pub async fn me(
    State(state): State<AppState>,
    session: SessionUser,
) -> Result<Json<SessionView>, ApiError> {
    let must_change_password = session.user.must_change_password;
    let second_factor = SecondFactor::of(&session.user, session.second_factor_pending);
    let recovery_codes_left = if session.user.totp_enabled {
        Some(totp::recovery_codes_left(&state.pool, session.user.id).await?)
    } else {
        None
    };
    Ok(Json(SessionView {
        user: session.user.into(),
        must_change_password,
        second_factor,
        recovery_codes_left,
    }))
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
async fn rotate(state: &AppState, jar: CookieJar, proof: Proof) -> Result<CookieJar, ApiError> {
    let old = jar
        .get(state.settings.cookie_name())
        .map(|c| SessionToken::from_cookie(c.value()))
        .ok_or(ErrorCode::NotAuthenticated)?;
    let new = session::rotate(&state.pool, &old, proof, state.clock.now())
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
    VerifiedUser(user): VerifiedUser,
    jar: CookieJar,
    Valid(request): Valid<ChangePasswordRequest>,
) -> Result<(CookieJar, StatusCode), ApiError> {
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
    Ok((
        rotate(&state, jar, Proof::Password).await?,
        StatusCode::NO_CONTENT,
    ))
}

/// Prove who you are again — with the password or, for an enrolled user, a second-factor code —
/// after an idle spell or before a critical operation; the session gets a new id. Failures count
/// toward the lockout like sign-in failures.
#[utoipa::path(post, path = "/api/v1/auth/reauth", tag = "auth", request_body = ReauthRequest,
    responses(
        (status = 204, description = "Re-authenticated; the session cookie is renewed"),
        (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0002 wrong password, QY-AUTH-0014 wrong code"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-AUTH-0018 neither or both given"),
    ))]
pub async fn reauth(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ReauthCandidate(user_id): ReauthCandidate,
    jar: CookieJar,
    Valid(request): Valid<ReauthRequest>,
) -> Result<(CookieJar, StatusCode), ApiError> {
    let user = identity::user(&state.pool, user_id)
        .await?
        .ok_or(ErrorCode::NotAuthenticated)?;
    let by = actor(&user, peer);
    let now = state.clock.now();
    let policy = state.policy().await?;
    match (request.password, request.totp_code) {
        (Some(password), None) => {
            match login::reauthenticate(&state.pool, &policy, user_id, password, now, by).await? {
                Reauth::Verified => Ok((
                    rotate(&state, jar, Proof::Password).await?,
                    StatusCode::NO_CONTENT,
                )),
                Reauth::WrongPassword => Err(ErrorCode::BadCredentials.into()),
                Reauth::Locked => Err(ErrorCode::AccountLocked.into()),
            }
        }
        (None, Some(code)) => {
            totp::verify(
                &state.pool,
                &state.settings.data_key,
                &policy,
                user_id,
                &code,
                now,
                by,
            )
            .await?
            .map_err(totp_refusal)?;
            Ok((
                rotate(&state, jar, Proof::SecondFactor).await?,
                StatusCode::NO_CONTENT,
            ))
        }
        _ => Err(ErrorCode::InvalidCredentialsShape.into()),
    }
}

fn totp_refusal(refusal: totp::Refusal) -> ApiError {
    match refusal {
        totp::Refusal::AlreadyEnabled => ErrorCode::TotpAlreadyEnabled,
        totp::Refusal::NoEnrolment => ErrorCode::TotpNotEnrolling,
        totp::Refusal::WrongCode => ErrorCode::WrongTotpCode,
        totp::Refusal::Locked => ErrorCode::AccountLocked,
    }
    .into()
}

/// The second step of signing in: a code from the authenticator app (or a recovery code). The
/// session gets a new id and may then do what its roles allow.
#[utoipa::path(post, path = "/api/v1/auth/totp/verify", tag = "auth", request_body = TotpCodeRequest,
    responses(
        (status = 204, description = "Verified; the session cookie is renewed"),
        (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0014 wrong code"),
        (status = 423, body = crate::error::ErrorBody, description = "QY-AUTH-0007 locked"),
    ))]
pub async fn verify_totp(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: SessionUser,
    jar: CookieJar,
    Valid(request): Valid<TotpCodeRequest>,
) -> Result<(CookieJar, StatusCode), ApiError> {
    let user = session.user;
    totp::verify(
        &state.pool,
        &state.settings.data_key,
        &*state.policy().await?,
        user.id,
        &request.code,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(totp_refusal)?;
    Ok((
        rotate(&state, jar, Proof::SecondFactor).await?,
        StatusCode::NO_CONTENT,
    ))
}

/// Start enrolling a TOTP second factor: a new secret as a QR code (and as text). Nothing changes
/// until a first code confirms it.
#[utoipa::path(post, path = "/api/v1/auth/totp/enrolment", tag = "auth",
    responses(
        (status = 200, body = totp::Enrolment),
        (status = 409, body = crate::error::ErrorBody, description = "QY-AUTH-0015 already on"),
    ))]
pub async fn start_totp_enrolment(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
) -> Result<Json<totp::Enrolment>, ApiError> {
    let enrolment = totp::start_enrolment(&state.pool, &state.settings.data_key, user.id)
        .await?
        .map_err(totp_refusal)?;
    Ok(Json(enrolment))
}

/// Confirm the enrolment with a first code: the second factor is on from the next sign-in, and
/// ten recovery codes are shown — once.
#[utoipa::path(post, path = "/api/v1/auth/totp/enrolment/confirm", tag = "auth", request_body = TotpCodeRequest,
    responses(
        (status = 200, body = RecoveryCodesView),
        (status = 401, body = crate::error::ErrorBody, description = "QY-AUTH-0014 wrong code"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-AUTH-0015 already on, QY-AUTH-0016 not enrolling"),
    ))]
pub async fn confirm_totp_enrolment(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    VerifiedUser(user): VerifiedUser,
    Valid(request): Valid<TotpCodeRequest>,
) -> Result<Json<RecoveryCodesView>, ApiError> {
    let recovery_codes = totp::confirm_enrolment(
        &state.pool,
        &state.settings.data_key,
        user.id,
        &request.code,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(totp_refusal)?;
    tracing::info!(user = %user.username, "second factor enrolled");
    Ok(Json(RecoveryCodesView { recovery_codes }))
}

/// Turn one's own second factor off (after a step-up); refused while a role requires it.
#[utoipa::path(delete, path = "/api/v1/auth/totp", tag = "auth",
    responses(
        (status = 204, description = "Turned off"),
        (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0011 re-authenticate first"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-AUTH-0017 required by a role"),
    ))]
pub async fn disable_totp(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    CurrentUser(user): CurrentUser,
    _: SteppedUp,
) -> Result<StatusCode, ApiError> {
    if user.totp_required {
        return Err(ErrorCode::TotpRequiredByRole.into());
    }
    let mut tx = state.pool.begin().await?;
    totp::disable(
        &mut tx,
        user.id,
        "auth.totp.disable",
        state.clock.now(),
        actor(&user, peer),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user of a session that may re-authenticate: a live one, or one that sat idle too long.
pub struct ReauthCandidate(pub uuid::Uuid);

impl FromRequestParts<AppState> for ReauthCandidate {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = token(parts, state).ok_or(ErrorCode::NotAuthenticated)?;
        let now = state.clock.now();
        match session::check(&state.pool, &*state.policy().await?, &token, now).await? {
            SessionState::Active { user_id, .. } | SessionState::NeedsReauth { user_id } => {
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

/// Middleware on `/api/v1`: a state-changing request (POST, PUT, PATCH, DELETE) must carry
/// `X-Requested-With: quanyi`. Every other method passes, so one that no route takes (TRACE,
/// CONNECT, …) gets the router's 405, not a 403 that would hide it.
pub async fn require_csrf_header(request: Request, next: Next) -> Result<Response, ApiError> {
    let safe = !matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
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
