//! Passwords, device-bound tokens and the `Session` extractor that every
//! protected handler takes (the failed-login limits are `login_limit`).
//!
//! Tokens are 256 random bits shown once to the device; the server keeps
//! only their SHA-256. A token is bound to one user on one device, expires,
//! and dies with the user's deactivation or the device's revocation.

use crate::error::ApiError;
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use shared::id::DeviceId;
use shared::role::{Role, User};

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Checks a password against a PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the login does not exist, so that the
/// answer takes as long as for a real user and reveals nothing.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password for unknown logins").unwrap_or_default())
}

/// A new random token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the server stores of a token.
pub fn token_hash(token: &str) -> String {
    crate::push::hash(token)
}

/// The authenticated caller: a user on a device.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user, as stored now (role and scope are current, not as at login).
    pub user: User,
    /// The device the token is bound to.
    pub device: DeviceId,
    /// The token's hash (for logout).
    pub token_hash: String,
}

impl Session {
    /// Refuses unless the user's role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "the role {} may not do this",
                self.user.role.code()
            )))
        }
    }
}

/// Paths a user who must change their password may still use.
pub(crate) const PASSWORD_CHANGE_PATHS: [&str; 3] =
    ["/api/v1/auth/password", "/api/v1/auth/logout", "/api/v1/me"];

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("auth.missing_token", "log in first"))?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| {
            ApiError::unauthorized("auth.missing_token", "use an Authorization: Bearer token")
        })?;
        let hash = token_hash(token.trim());
        let store = state.store.clone();
        let lookup = hash.clone();
        let row = crate::error::blocking(move || store.session(&lookup))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("auth.invalid_token", "the session has ended; log in again")
            })?;
        // Revoking a device revokes its tokens too.
        if row.device_revoked {
            return Err(ApiError::device_revoked());
        }
        if row.expires_at <= Utc::now() {
            return Err(ApiError::unauthorized(
                "auth.token_expired",
                "the session has expired; log in again",
            ));
        }
        if row.must_change_password && !PASSWORD_CHANGE_PATHS.contains(&parts.uri.path()) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "auth.password_change_required",
                "set your own password first",
            ));
        }
        // A session in use goes on: a tablet synced every day is not cut off
        // mid-shift when its login is `token_days` old; one left unused that
        // long still ends. Renewed at most once a day. Best effort: a full
        // disk or a busy writer must not fail the reads one would use to
        // see why.
        let lifetime = chrono::Duration::days(state.token_days);
        if row.expires_at - Utc::now() < lifetime - chrono::Duration::days(1) {
            let store = state.store.clone();
            let renewed = hash.clone();
            let done =
                crate::error::blocking(move || store.renew_token(&renewed, Utc::now() + lifetime))
                    .await;
            if let Err(e) = done {
                tracing::warn!(error = %e, "renewing a session");
            }
        }
        Ok(Session {
            user: row.user,
            device: row.device,
            token_hash: hash,
        })
    }
}

/// Runs argon2 on the blocking pool, at most as many at once as the server
/// has cores, so a flood of logins queues instead of starving everything.
pub async fn argon2_limited<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    // The permit goes with the work: a request dropped while argon2 runs
    // (its client gave up) must not let another start beside it.
    let permit = state
        .argon2
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    Ok(tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_ne!(token_hash(&a), a);
    }
}
