//! What every handler shares.

use crate::auth::LoginLimiter;
use crate::store::Store;
use std::sync::Arc;

/// The application state.
#[derive(Clone)]
pub struct AppState {
    /// The storage backend.
    pub store: Arc<dyn Store>,
    /// Failed-login counters.
    pub limiter: Arc<LoginLimiter>,
    /// How long a device token lives, in days.
    pub token_days: i64,
}
