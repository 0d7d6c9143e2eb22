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
use sha2::{Digest, Sha256};
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

/// Limits password guessing with bounded memory.
///
/// Two kinds of keys: the pair (login, address) and the address alone.
/// Keys are SHA-256 digests, so a megabyte of login name costs 32 bytes,
/// and the map holds at most `capacity` entries (the least recently used
/// ones go first when it is full). An attempt is counted *before* the
/// password is checked ([`LoginLimiter::begin`]), under the same lock as the
/// check, so parallel guesses all count; a success gives its count back.
///
/// After [`MAX_FAILURES`] failures a pair must wait, starting at
/// [`BACKOFF_SECONDS`] and doubling with each further failure up to
/// [`WINDOW_MINUTES`]: guessing slows to a crawl, and the real user, who
/// logs in from another address (or from the same one a little later), is
/// never locked out for good. An address that fails [`MAX_ADDRESS_FAILURES`]
/// times in a window waits until the window ends, whatever logins it tries.
///
/// The limiter lives in one server process; that is enough, because it
/// only slows guessing and holds nothing the data depends on.
#[derive(Debug)]
pub struct LoginLimiter {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
    capacity: usize,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: DateTime<Utc>,
    blocked_until: Option<DateTime<Utc>>,
}

/// Failed attempts a (login, address) pair may make before it must wait.
pub const MAX_FAILURES: u32 = 5;
/// Failed attempts an address may make per window, over all logins.
pub const MAX_ADDRESS_FAILURES: u32 = 50;
/// The window after which failures are forgotten.
pub const WINDOW_MINUTES: i64 = 15;
/// The first wait after [`MAX_FAILURES`].
pub const BACKOFF_SECONDS: i64 = 30;
/// Entries the limiter keeps at most.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// A counted login attempt; give it back with [`LoginLimiter::succeed`].
#[derive(Debug)]
pub struct Attempt {
    pair: [u8; 32],
    address: [u8; 32],
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::with_capacity(DEFAULT_CAPACITY)
    }
}

/// Whom an address stands for: an IPv4 address itself, but an IPv6
/// address's /64 network, since one device has a whole /64 to itself and
/// can take a fresh address for every few guesses.
fn client_of(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => address.to_string(),
    }
}

fn key(kind: &str, parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    for p in parts {
        h.update([0]);
        h.update(p.as_bytes());
    }
    h.finalize().into()
}

impl Entry {
    fn fresh(now: DateTime<Utc>) -> Entry {
        Entry {
            failures: 0,
            last: now,
            blocked_until: None,
        }
    }

    /// Forgotten a window after the last attempt or the end of its wait,
    /// whichever is later: were it counted from the attempt alone, the
    /// longest wait (as long as the window) would end in a fresh start, and
    /// a guesser waiting it out would get five free guesses every time.
    fn expired(&self, now: DateTime<Utc>) -> bool {
        let since = self.blocked_until.map_or(self.last, |b| b.max(self.last));
        now - since >= Duration::minutes(WINDOW_MINUTES)
    }
}

impl LoginLimiter {
    /// A limiter that keeps at most `capacity` entries.
    pub fn with_capacity(capacity: usize) -> LoginLimiter {
        LoginLimiter {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(2),
        }
    }

    /// How many entries it holds now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts an attempt of `login` from `address`, or says how long to wait.
    pub fn begin(
        &self,
        login: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<Attempt, Duration> {
        let client = client_of(address);
        let attempt = Attempt {
            pair: key("pair", &[&login.to_lowercase(), &client]),
            address: key("addr", &[&client]),
        };
        let mut map = self.lock();
        let mut wait = Duration::zero();
        for k in [&attempt.pair, &attempt.address] {
            if let Some(e) = map.get_mut(k) {
                if e.expired(now) {
                    *e = Entry::fresh(now);
                }
                if let Some(until) = e.blocked_until.filter(|u| *u > now) {
                    wait = wait.max(until - now);
                }
            }
        }
        if wait > Duration::zero() {
            return Err(wait);
        }
        for (k, limit, backoff) in [
            (attempt.pair, MAX_FAILURES, true),
            (attempt.address, MAX_ADDRESS_FAILURES, false),
        ] {
            if !map.contains_key(&k) {
                Self::make_room(&mut map, self.capacity, now);
            }
            let e = map.entry(k).or_insert_with(|| Entry::fresh(now));
            e.failures += 1;
            e.last = now;
            if e.failures >= limit {
                let until = if backoff {
                    let doublings = (e.failures - limit).min(10);
                    let secs = (BACKOFF_SECONDS << doublings).min(WINDOW_MINUTES * 60);
                    now + Duration::seconds(secs)
                } else {
                    now + Duration::minutes(WINDOW_MINUTES)
                };
                e.blocked_until = Some(until);
            }
        }
        Ok(attempt)
    }

    /// The attempt succeeded: the pair starts afresh and the address gets
    /// its count back.
    pub fn succeed(&self, attempt: Attempt) {
        let mut map = self.lock();
        map.remove(&attempt.pair);
        if let Some(e) = map.get_mut(&attempt.address) {
            e.failures = e.failures.saturating_sub(1);
            if e.failures < MAX_ADDRESS_FAILURES {
                e.blocked_until = None;
            }
        }
    }

    /// Drops expired entries and, if still full, the least recently used,
    /// waiting ones last: a flood of fresh names must not buy a blocked
    /// pair its guesses back.
    fn make_room(map: &mut HashMap<[u8; 32], Entry>, capacity: usize, now: DateTime<Utc>) {
        if map.len() < capacity {
            return;
        }
        map.retain(|_, e| !e.expired(now));
        while map.len() >= capacity {
            let Some(victim) = map
                .iter()
                .min_by_key(|(_, e)| (e.blocked_until.is_some_and(|b| b > now), e.last))
                .map(|(k, _)| *k)
            else {
                break;
            };
            map.remove(&victim);
        }
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
    let _permit = state.argon2.acquire().await.map_err(ApiError::internal)?;
    Ok(tokio::task::spawn_blocking(work).await?)
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
    fn parallel_guesses_count_and_the_pair_backs_off() {
        let l = LoginLimiter::default();
        let t = Utc::now();
        let mut held = Vec::new();
        for _ in 0..MAX_FAILURES {
            held.push(l.begin("admin", "1.1.1.1", t).expect("allowed"));
        }
        // Five attempts in flight, none finished: the sixth must wait.
        let wait = l.begin("admin", "1.1.1.1", t).expect_err("blocked");
        assert_eq!(wait, Duration::seconds(BACKOFF_SECONDS));
        // The real user elsewhere is not refused.
        let ok = l.begin("admin", "2.2.2.2", t).expect("another address");
        l.succeed(ok);
        // After the wait one more guess is allowed, then the wait doubles.
        let later = t + Duration::seconds(BACKOFF_SECONDS);
        l.begin("admin", "1.1.1.1", later).expect("after the wait");
        let wait = l.begin("admin", "1.1.1.1", later).expect_err("blocked");
        assert_eq!(wait, Duration::seconds(2 * BACKOFF_SECONDS));
        // A window later everything is forgotten.
        let much_later = later + Duration::minutes(WINDOW_MINUTES + 1);
        l.begin("admin", "1.1.1.1", much_later).expect("forgotten");
    }

    /// A guesser who tries again the moment each wait ends never gets the
    /// five free guesses back: the wait grows to the window and stays.
    #[test]
    fn waiting_out_the_longest_wait_gives_no_fresh_guesses() {
        let l = LoginLimiter::default();
        let mut t = Utc::now();
        let mut waits = Vec::new();
        for _ in 0..40 {
            if let Err(wait) = l.begin("admin", "1.1.1.1", t) {
                waits.push(wait.num_seconds());
                t += wait;
            }
        }
        let longest = WINDOW_MINUTES * 60;
        assert_eq!(waits.last(), Some(&longest), "{waits:?}");
        assert!(
            waits.windows(2).all(|w| w[1] >= w[0]),
            "the wait never shrinks: {waits:?}"
        );
        // Left alone a window after its wait ended, it is forgotten.
        t += Duration::seconds(longest) + Duration::minutes(WINDOW_MINUTES);
        for _ in 0..MAX_FAILURES {
            l.begin("admin", "1.1.1.1", t).expect("forgotten");
        }
    }

    #[test]
    fn an_address_spraying_many_logins_waits() {
        let l = LoginLimiter::default();
        let t = Utc::now();
        for i in 0..MAX_ADDRESS_FAILURES {
            l.begin(&format!("user{i}"), "6.6.6.6", t).expect("allowed");
        }
        assert!(l.begin("another", "6.6.6.6", t).is_err());
        assert!(l.begin("another", "7.7.7.7", t).is_ok());
    }

    #[test]
    fn an_ipv6_device_cannot_dodge_the_limit_by_changing_address() {
        let l = LoginLimiter::default();
        let t = Utc::now();
        for i in 0..MAX_FAILURES {
            l.begin("admin", &format!("2001:db8:1:2::{i:x}"), t)
                .expect("allowed");
        }
        assert!(l.begin("admin", "2001:db8:1:2:ffff::9", t).is_err());
        // Another network is another client.
        assert!(l.begin("admin", "2001:db8:1:3::1", t).is_ok());
    }

    #[test]
    fn memory_stays_bounded_whatever_the_logins() {
        let l = LoginLimiter::with_capacity(100);
        let t = Utc::now();
        let long = "x".repeat(100_000);
        for i in 0..1000 {
            let _ = l.begin(
                &format!("{long}{i}"),
                &format!("10.0.{}.{}", i / 256, i % 256),
                t,
            );
        }
        assert!(l.len() <= 100, "{} entries", l.len());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_ne!(token_hash(&a), a);
    }
}
