//! Login, logout, "who am I" and password changes.

use super::ClientAddr;
use super::responses::{AnyRole, Authenticated, CredentialsBody};
use crate::auth::{self, Session};
use crate::error::{ApiError, ApiJson, ErrorBody, blocking};
use crate::login_limit::Attempt;
use crate::state::AppState;
use crate::store::{AuditEntry, DeviceClaim, StoreError, StoreResult};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use shared::id::DeviceId;
use shared::validation::{MAX_LOGIN, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use shared::wire::{LoginRequest, LoginResponse, Me, PasswordChange, RecordKey};

fn invalid() -> ApiError {
    // The same answer for an unknown login, a wrong password and a disabled
    // user: a login form must not reveal which accounts exist.
    ApiError::unauthorized("auth.invalid_credentials", "wrong login or password")
}

pub(super) fn too_long(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.too_long",
        format!("the {what} is too long"),
    )
}

/// A new password: long enough, not absurdly long.
pub(super) fn check_new_password(password: &str) -> Result<(), ApiError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(too_long("password"));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.password_too_short",
            format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// The login as the audit log keeps it: at most [`MAX_LOGIN`] characters.
/// What the audit keeps of a login that matches no user: its first two
/// characters, the rest as `*`.
fn masked_login(typed: &str) -> String {
    typed
        .chars()
        .take(MAX_LOGIN)
        .enumerate()
        .map(|(i, c)| if i < 2 { c } else { '*' })
        .collect()
}

/// Logs in on a device and returns a device-bound token.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest,
    responses(CredentialsBody,
        (status = 200, description = "The session: a device-bound token and the device's identity.", body = LoginResponse),
        (status = 400, description = "`request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 401, description = "`auth.invalid_credentials`: unknown login, wrong password or disabled user.", body = ErrorBody),
        (status = 403, description = "`auth.device_revoked`: the claimed device was revoked by an administrator.", body = ErrorBody),
        (status = 422, description = "`request.invalid_json`: the body does not match the schema; `request.too_long`: the login or password is too long.", body = ErrorBody),
        (status = 429, description = "`auth.rate_limited`: too many failed logins; wait the `Retry-After` seconds.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, Response> {
    // Bounded before anything keeps or hashes them.
    if req.login.chars().count() > MAX_LOGIN {
        return Err(too_long("login").into_response());
    }
    if req.password.len() > MAX_PASSWORD_BYTES {
        return Err(too_long("password").into_response());
    }
    let now = Utc::now();
    let store = state.store.clone();
    let (login, password) = (req.login.clone(), req.password.clone());
    // Counted as looked up: `Admin` and `ADMIN` are one login's attempts.
    let counted = shared::roster::login(&req.login);
    // A user's own tablet, proven by its secret, is counted as itself: an
    // estate's tablets often reach the server from one address (its NAT,
    // a proxy, one IPv6 /64), and one guesser there, or one colleague's
    // typos, would otherwise keep every tablet of the estate out.
    let source = match req.device.zip(req.device_secret.as_deref()) {
        Some((device, secret)) => {
            let store = state.store.clone();
            let hash = auth::token_hash(secret);
            let login = req.login.clone();
            let proven = blocking(move || store.device_proven(device, &hash, &login))
                .await
                .map_err(IntoResponse::into_response)?;
            if proven {
                tablet_source(device)
            } else {
                addr.clone()
            }
        }
        None => addr.clone(),
    };
    let checked = limited(&state, &counted, &source, now, move || {
        Ok(match store.user_by_login(&login)? {
            Some(c) => {
                let ok = auth::verify_password(&password, &c.password_hash);
                (Some(c), ok)
            }
            None => {
                auth::verify_password(&password, auth::decoy_hash());
                (None, false)
            }
        })
    })
    .await
    .map_err(IntoResponse::into_response)?;
    let (attempt, (credentials, ok)) = match checked {
        Ok(checked) => checked,
        Err(wait) => {
            let seconds = wait.num_seconds().max(1);
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "auth.rate_limited",
                format!("too many failed logins; try again in {seconds} seconds"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Err(response);
        }
    };
    let credentials = match credentials {
        Some(c) if ok && c.user.active => c,
        known => {
            // The attempt stays counted. The audit keeps the login of a
            // user who exists; what matches nobody is often a password
            // typed in the wrong field, kept with all but its first two
            // characters masked.
            let detail = match known {
                Some(c) => serde_json::json!({ "login": c.user.login }),
                None => serde_json::json!({ "login": masked_login(&req.login), "known": false }),
            };
            let store = state.store.clone();
            blocking(move || {
                store.audit(AuditEntry {
                    at: now,
                    user: None,
                    device: None,
                    address: Some(addr),
                    action: "auth.login_failed".into(),
                    detail,
                })
            })
            .await
            .map_err(IntoResponse::into_response)?;
            return Err(invalid().into_response());
        }
    };
    succeeded(&state, attempt)
        .await
        .map_err(IntoResponse::into_response)?;
    let user = credentials.user;
    let store = state.store.clone();
    let token = auth::new_token();
    let hash = auth::token_hash(&token);
    let secret = auth::new_token();
    let claim = DeviceClaim {
        claimed: req
            .device
            .zip(req.device_secret.as_deref().map(auth::token_hash)),
        fresh: (DeviceId(uuid::Uuid::now_v7()), auth::token_hash(&secret)),
        // A label the tablet makes up: what cannot be shown is left out.
        name: req
            .device_name
            .chars()
            .filter(|c| !c.is_control())
            .take(120)
            .collect(),
        password_hash: credentials.password_hash.clone(),
        schema_floor: super::MIN_CLIENT_SCHEMA,
        record_key: (!credentials.must_change_password).then(auth::new_token),
    };
    let expires_at = now + Duration::days(state.token_days);
    let user_id = user.id;
    let entry = AuditEntry {
        at: now,
        user: Some(user.id),
        device: None,
        address: Some(addr.clone()),
        action: "auth.login".into(),
        detail: serde_json::json!({}),
    };
    let logged_in = blocking(move || {
        let device = store.device_login(&claim, user_id, (&hash, expires_at), now, &entry)?;
        Ok((device, store.epoch()?))
    })
    .await;
    let (logged_in, epoch) = match logged_in {
        Ok(done) => done,
        // Disabled or given another password while this one was checked
        // (a refusal answered as a conflict too: before the arm below).
        Err(e) if e.code() == "auth.invalid_credentials" => return Err(invalid().into_response()),
        Err(e) if e.status() == StatusCode::CONFLICT => {
            // The right password on a revoked (lost, stolen) tablet: the
            // audit says who tried and where.
            let store = state.store.clone();
            let refused = AuditEntry {
                at: now,
                user: Some(user_id),
                device: req.device,
                address: Some(addr),
                action: "auth.login_refused_revoked".into(),
                detail: serde_json::json!({}),
            };
            blocking(move || store.audit(refused))
                .await
                .map_err(IntoResponse::into_response)?;
            return Err(ApiError::device_revoked().into_response());
        }
        Err(e) => return Err(e.into_response()),
    };
    let device = logged_in.device;
    Ok(Json(LoginResponse {
        token,
        expires_at,
        user: logged_in.user,
        device: device.id,
        device_secret: logged_in.new.then_some(secret),
        device_number: device.number,
        acked_seq: device.acked_seq,
        epoch,
        record_key: logged_in.record_key,
        must_change_password: credentials.must_change_password,
    }))
}

/// Ends the session of this token.
#[utoipa::path(post, path = "/api/v1/auth/logout", responses(Authenticated,
        (status = 204, description = "The token no longer works.")),
    security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
) -> Result<StatusCode, ApiError> {
    let store = state.store.clone();
    let entry = AuditEntry {
        at: Utc::now(),
        user: Some(session.user.id),
        device: Some(session.device),
        address: Some(addr),
        action: "auth.logout".into(),
        detail: serde_json::json!({}),
    };
    blocking(move || store.revoke_token(&session.token_hash, &entry)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/me", responses(Authenticated, (status = 200, description = "The session's user and device.", body = Me)), security(("bearer" = [])))]
pub async fn me(session: Session) -> Json<Me> {
    Json(Me {
        role: session.user.role,
        device: session.device,
        user: session.user,
    })
}

/// The session user's key on the session's device, which proves the
/// records they make there (`shared::proof`): a login gives it; a tablet
/// whose session began before logins did asks for it here.
#[utoipa::path(post, path = "/api/v1/auth/record-key", responses(AnyRole,
        (status = 200, description = "The key, the same at every ask and login of this user on this device.", body = RecordKey)),
    security(("bearer" = [])))]
pub async fn record_key(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<RecordKey>, ApiError> {
    let store = state.store.clone();
    let fresh = auth::new_token();
    let record_key =
        blocking(move || store.record_key(session.device, session.user.id, &fresh)).await?;
    Ok(Json(RecordKey { record_key }))
}

/// Changes one's own password. The first admin's printed password stops
/// being needed then, so its file is removed.
#[utoipa::path(post, path = "/api/v1/auth/password", request_body = PasswordChange,
    responses(Authenticated, CredentialsBody,
        (status = 204, description = "The password is changed, and every other session of the user ended. Also the answer to the same change sent again (its answer lost): the new password is already the user's, and nothing changes."),
        (status = 400, description = "`request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 403, description = "`auth.wrong_password`: the current password is wrong.", body = ErrorBody),
        (status = 409, description = "`auth.session_ended`: the session ended while the password was checked (an administrator reset it, or it was changed on another tablet); nothing changed.", body = ErrorBody),
        (status = 422, description = "`request.invalid_json`: the body does not match the schema; `request.too_long`, `validation.password_too_short`: the new password is too long or too short; `validation.password_unchanged`: it is the current one.", body = ErrorBody),
        (status = 429, description = "`auth.rate_limited`: too many wrong passwords; wait.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    check_new_password(&req.new)?;
    if req.current.len() > MAX_PASSWORD_BYTES {
        return Err(too_long("password"));
    }
    // After a reset, keeping the temporary password would leave the one
    // the admin chose in use.
    if req.new == req.current {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.password_unchanged",
            "the new password must differ from the current one",
        ));
    }
    let now = Utc::now();
    let store = state.store.clone();
    let login = session.user.login.clone();
    let (current, new) = (req.current, req.new);
    let counted = shared::roster::login(&session.user.login);
    // Counted under the tablet the session proves, as a login from it is:
    // a guesser at the estate's address would otherwise keep its users
    // from changing the password they guess at.
    let source = tablet_source(session.device);
    let mark = session_mark(&session.token_hash);
    let asked = mark.clone();
    let (attempt, checked) = limited(&state, &counted, &source, now, move || {
        let Some(found) = store.user_by_login(&login)? else {
            return Ok(Checked::Wrong);
        };
        if auth::verify_password(&current, &found.password_hash) {
            return Ok(Checked::Change(auth::hash_password(&new)));
        }
        // Only the session that made the change, and only soon after it,
        // may be told it is made: to anyone else holding a session (or
        // the same one left on a shared tablet for weeks), a "new"
        // password that is already the user's would be a guess confirmed.
        let made_here = || {
            Ok::<_, StoreError>(store.password_changed_in(found.user.id)?.is_some_and(
                |(mark, at)| mark == asked && now - at <= Duration::minutes(RETRY_MINUTES),
            ))
        };
        Ok(
            if !found.must_change_password
                && auth::verify_password(&new, &found.password_hash)
                && made_here()?
            {
                Checked::AlreadyChanged
            } else {
                Checked::Wrong
            },
        )
    })
    .await?
    .map_err(|wait| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "auth.rate_limited",
            format!(
                "too many wrong passwords; try again in {} seconds",
                wait.num_seconds().max(1)
            ),
        )
    })?;
    // Every outcome is audited as the session's, from its address.
    let entry = |action: &str, detail: serde_json::Value| AuditEntry {
        at: now,
        user: Some(session.user.id),
        device: Some(session.device),
        address: Some(addr.clone()),
        action: action.into(),
        detail,
    };
    let hash = match checked {
        Checked::Change(hash) => hash?,
        Checked::AlreadyChanged => {
            succeeded(&state, attempt).await?;
            let store = state.store.clone();
            let repeated = entry("auth.password_change_repeated", serde_json::json!({}));
            blocking(move || store.audit(repeated)).await?;
            return Ok(StatusCode::NO_CONTENT);
        }
        Checked::Wrong => {
            // Someone holding the session, guessing the password.
            let store = state.store.clone();
            let failed = entry("auth.password_change_failed", serde_json::json!({}));
            blocking(move || store.audit(failed)).await?;
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "auth.wrong_password",
                "the current password is wrong",
            ));
        }
    };
    succeeded(&state, attempt).await?;
    let store = state.store.clone();
    let user = session.user.id;
    let entry = entry(
        "auth.password_change",
        serde_json::json!({ "session": mark }),
    );
    // The other sessions end (the old password may be why it changed);
    // this one goes on.
    let keep = session.token_hash.clone();
    blocking(move || store.set_password(user, &hash, false, Some(&keep), &entry)).await?;
    let printed_for_me = state.first_admin_file.as_ref().is_some_and(|file| {
        std::fs::read_to_string(file).is_ok_and(|text| {
            text.lines()
                .any(|l| l == format!("login: {}", session.user.login))
        })
    });
    if let Some(file) = state.first_admin_file.as_ref().filter(|_| printed_for_me) {
        // Best effort: the password it holds no longer works anyway.
        if let Err(e) = std::fs::remove_file(file) {
            tracing::warn!(file = %file.display(), error = %e, "removing the first admin's password file");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// How long after a password change the session that made it is told
/// "done" when it sends the change again (its answer lost on the way).
const RETRY_MINUTES: i64 = 10;

/// What names a session in the audit of a password change it made: a
/// digest of its token's hash, so that the audit, which administrators
/// read, holds nothing that opens the session.
fn session_mark(token_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("password change by {token_hash}").as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// What a password change's check found.
enum Checked {
    /// The current password is right: the new one's hash, to store.
    Change(Result<String, ApiError>),
    /// The "new" password is already the user's, set by this session's
    /// own change: this is its retry after an answer lost on the way (the
    /// tablet still holds the session, which the change kept). Answered
    /// as done, changing nothing: refused as a wrong current password, it
    /// would count as a guess, and the first-login screen, which does not
    /// ask for the current password, could not say why.
    AlreadyChanged,
    /// Neither: someone holding the session, guessing.
    Wrong,
}

/// Checks a password of `login` from `address` as the limiter allows
/// (`crate::login_limit`, kept by the store): an attempt that must wait is
/// told so from a read, writing nothing; the others are counted, then
/// `check` runs, both under the permit of one password check per core, so
/// that a flood of guesses neither floods the database with writes nor
/// grows the counts faster than passwords are checked.
async fn limited<T: Send + 'static>(
    state: &AppState,
    login: &str,
    address: &str,
    now: chrono::DateTime<Utc>,
    check: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> Result<Result<(Attempt, T), Duration>, ApiError> {
    let attempt = Attempt::of(login, address);
    let store = state.store.clone();
    if let Some(wait) = blocking(move || store.login_wait(&attempt, now)).await? {
        return Ok(Err(wait));
    }
    let store = state.store.clone();
    let checked = auth::argon2_limited(state, move || match store.count_login(&attempt, now)? {
        Ok(()) => check().map(Ok),
        Err(wait) => Ok(Err(wait)),
    })
    .await??;
    Ok(checked.map(|t| (attempt, t)))
}

/// The source a proven tablet's attempts are counted under, in place of
/// its address (`crate::login_limit`).
fn tablet_source(device: DeviceId) -> String {
    format!("device:{device}")
}

/// Gives a succeeded attempt's count back.
async fn succeeded(state: &AppState, attempt: Attempt) -> Result<(), ApiError> {
    let store = state.store.clone();
    blocking(move || store.login_succeeded(&attempt)).await
}
