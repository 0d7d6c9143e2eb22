//! What every handler shares.

use crate::proxy::TrustedProxies;
use crate::store::Store;
use axum::extract::FromRef;
use std::sync::Arc;

/// The application state.
#[derive(Clone)]
pub struct AppState {
    /// The storage backend.
    pub store: Arc<dyn Store>,
    /// How long a device token lives, in days.
    pub token_days: i64,
    /// How far ahead of the server's clock an op's times may be.
    pub max_clock_skew: chrono::Duration,
    /// Bounds how many argon2 hashes run at once (one per core).
    pub argon2: Arc<tokio::sync::Semaphore>,
    /// Where `init-admin` printed the first admin's password; removed when
    /// that admin sets their own.
    pub first_admin_file: Option<std::path::PathBuf>,
    /// The reverse proxies whose `X-Forwarded-For` names the client
    /// (`serve --trusted-proxy`); none by default.
    pub trusted_proxies: Arc<TrustedProxies>,
    /// How long a request's body may pause between two pieces before the
    /// server gives up on it (`serve --request-head-timeout-secs`, the
    /// same bound as for the head): a client trickling a body cannot hold
    /// a connection for ever.
    pub body_pause: std::time::Duration,
}

impl FromRef<AppState> for Arc<TrustedProxies> {
    fn from_ref(state: &AppState) -> Self {
        state.trusted_proxies.clone()
    }
}

impl AppState {
    /// The latest time an op may carry now.
    pub fn clock_ceiling(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + self.max_clock_skew
    }
}
