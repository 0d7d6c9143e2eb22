//! Login, logout and "who am I".

use super::ClientAddr;
use crate::auth::{self, Session};
use crate::error::{ApiError, ApiJson, ErrorBody, blocking};
use crate::state::AppState;
use crate::store::{AuditEntry, TokenInfo};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use shared::wire::{LoginRequest, LoginResponse, Me};

fn invalid() -> ApiError {
    // The same answer for an unknown login, a wrong password and a disabled
    // user: a login form must not reveal which accounts exist.
    ApiError::unauthorized("auth.invalid_credentials", "wrong login or password")
}

/// Logs in on a device and returns a device-bound token.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body(content = Object, description = "LoginRequest"),
    responses((status = 200, description = "LoginResponse"), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let now = Utc::now();
    if state.limiter.blocked(&req.login, &addr, now) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "auth.rate_limited",
            format!(
                "too many failed logins; try again in {} minutes",
                auth::WINDOW_MINUTES
            ),
        ));
    }
    let store = state.store.clone();
    let login = req.login.clone();
    let found = blocking(move || store.user_by_login(&login)).await?;
    let password = req.password.clone();
    let (user, ok) = tokio::task::spawn_blocking(move || match found {
        Some((user, hash)) => {
            let ok = auth::verify_password(&password, &hash);
            (Some(user), ok)
        }
        None => {
            auth::verify_password(&password, auth::decoy_hash());
            (None, false)
        }
    })
    .await?;
    let user = match user {
        Some(u) if ok && u.active => u,
        _ => {
            state.limiter.fail(&req.login, &addr, now);
            let store = state.store.clone();
            let detail = serde_json::json!({ "login": req.login });
            blocking(move || {
                store.audit(AuditEntry {
                    at: now,
                    user: None,
                    device: Some(req.device),
                    address: Some(addr),
                    action: "auth.login_failed".into(),
                    detail,
                })
            })
            .await?;
            return Err(invalid());
        }
    };
    state.limiter.succeed(&req.login);
    let store = state.store.clone();
    let token = auth::new_token();
    let hash = auth::token_hash(&token);
    let info = TokenInfo {
        user: user.id,
        device: req.device,
        expires_at: now + Duration::days(state.token_days),
    };
    let device_name = req.device_name.chars().take(120).collect::<String>();
    let user_id = user.id;
    let device = blocking(move || {
        let device = store.device_login(req.device, &device_name, user_id, now)?;
        store.insert_token(&hash, &info, now)?;
        store.audit(AuditEntry {
            at: now,
            user: Some(user_id),
            device: Some(req.device),
            address: Some(addr),
            action: "auth.login".into(),
            detail: serde_json::json!({}),
        })?;
        Ok(device)
    })
    .await
    .map_err(|e| {
        if e.status() == StatusCode::CONFLICT {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "auth.device_revoked",
                "this device has been revoked by an administrator",
            )
        } else {
            e
        }
    })?;
    Ok(Json(LoginResponse {
        token,
        expires_at: now + Duration::days(state.token_days),
        user,
        device_number: device.number,
        acked_seq: device.acked_seq,
    }))
}

/// Ends the session of this token.
#[utoipa::path(post, path = "/api/v1/auth/logout", responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
) -> Result<StatusCode, ApiError> {
    let store = state.store.clone();
    blocking(move || store.revoke_token(&session.token_hash)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, description = "Me"), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(session: Session) -> Json<Me> {
    Json(Me {
        role: session.user.role,
        device: session.device,
        user: session.user,
    })
}
