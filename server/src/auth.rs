//! Passwords, device-bound tokens, failed-login limits and the `Session`
//! extractor that every protected handler takes.
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
use chrono::{DateTime, Duration, Utc};
use shared::id::DeviceId;
use shared::role::{Role, User};
use std::collections::HashMap;
use std::sync::Mutex;

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

/// Counts failed logins per login name and per address in a sliding window.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

/// Failed attempts allowed per key within [`WINDOW_MINUTES`].
pub const MAX_FAILURES: usize = 5;
/// The window for failed attempts.
pub const WINDOW_MINUTES: i64 = 15;

impl LoginLimiter {
    fn keys(login: &str, address: &str) -> [String; 2] {
        [
            format!("login:{}", login.to_lowercase()),
            format!("addr:{address}"),
        ]
    }

    /// Whether either key has used up its attempts.
    pub fn blocked(&self, login: &str, address: &str, now: DateTime<Utc>) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(login, address).iter().any(|k| {
            let list = map.entry(k.clone()).or_default();
            list.retain(|t| now - *t < Duration::minutes(WINDOW_MINUTES));
            list.len() >= MAX_FAILURES
        })
    }

    /// Records a failure for both keys.
    pub fn fail(&self, login: &str, address: &str, now: DateTime<Utc>) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for k in Self::keys(login, address) {
            map.entry(k).or_default().push(now);
        }
    }

    /// Clears the login's failures after a success.
    pub fn succeed(&self, login: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("login:{}", login.to_lowercase()));
    }
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
        let info = crate::error::blocking(move || store.token(&lookup))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("auth.invalid_token", "the session has ended; log in again")
            })?;
        if info.expires_at <= Utc::now() {
            return Err(ApiError::unauthorized(
                "auth.token_expired",
                "the session has expired; log in again",
            ));
        }
        let store = state.store.clone();
        let user = crate::error::blocking(move || store.user(info.user))
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| {
                ApiError::unauthorized("auth.invalid_token", "the session has ended; log in again")
            })?;
        Ok(Session {
            user,
            device: info.device,
            token_hash: hash,
        })
    }
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
    fn limiter_blocks_after_five_failures_per_login_and_per_address() {
        let l = LoginLimiter::default();
        let t = Utc::now();
        for _ in 0..MAX_FAILURES {
            assert!(!l.blocked("alice", "1.1.1.1", t));
            l.fail("alice", "1.1.1.1", t);
        }
        assert!(l.blocked("alice", "2.2.2.2", t), "per login");
        assert!(l.blocked("bob", "1.1.1.1", t), "per address");
        assert!(!l.blocked("bob", "2.2.2.2", t));
        assert!(!l.blocked(
            "alice",
            "3.3.3.3",
            t + Duration::minutes(WINDOW_MINUTES + 1)
        ));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_ne!(token_hash(&a), a);
    }
}
