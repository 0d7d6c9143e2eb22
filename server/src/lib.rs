//! The sync server: merges ops from many devices, enforces roles and
//! property scope, serves the built app and gives head office its queries.
//!
//! Layout: [`api`] is the HTTP surface (axum), [`auth`] passwords and
//! tokens, [`push`] the accept-or-quarantine decision for each pushed op,
//! [`store`] the storage interface and its SQLite and PostgreSQL backends. Cases are
//! materialized with `shared::fold`; the server holds no second copy of the
//! rules. Around them: [`assets`] serves the built app (precompressed,
//! cached by content hash), [`headers`] adds the security headers to every
//! answer, [`tls`] is HTTPS (`server tls init`, `serve --tls-cert`) and
//! [`proxy`] finds the client's address behind a trusted reverse proxy;
//! [`bulk`] runs the long reads (pulls, statistics) below the writer's
//! priority, [`listener`] is how the server takes connections, and
//! [`secret_file`] writes the files only their owner may read.

pub mod api;
pub mod assets;
pub mod auth;
pub mod bulk;
pub mod error;
pub mod export;
pub mod headers;
pub mod listener;
pub mod login_limit;
pub mod proxy;
pub mod push;
pub mod refold;
pub mod renewal;
pub mod secret_file;
pub mod shutdown;
pub mod state;
pub mod store;
pub mod tls;

use axum::Router;
use axum::routing::get;
use headers::Transport;
use serde_json::json;
use state::AppState;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::sqlite::SqliteStore;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

/// The SQLite file inside a data directory.
pub const DB_FILE: &str = "cases.sqlite3";

/// The file in a data directory where `init-admin` writes the first
/// admin's password until they change it.
pub const FIRST_ADMIN_FILE: &str = "first-admin.txt";

/// How far a tablet's clock may be off unless `serve
/// --max-clock-skew-minutes` says otherwise: a day.
pub const CLOCK_SKEW_MINUTES: u32 = 24 * 60;

/// Opens (creating if needed) the store in `data_dir`.
pub fn open_store(data_dir: &Path) -> Result<SqliteStore, store::StoreError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| store::StoreError::Internal(format!("create {}: {e}", data_dir.display())))?;
    SqliteStore::open(&data_dir.join(DB_FILE))
}

/// Opens the PostgreSQL database at `url` (migrating its schema and
/// seeding the default configuration), with the evidence files in
/// `data_dir`'s `blobs/`.
pub fn open_postgres(
    url: &str,
    pool_size: usize,
    ca: Option<&Path>,
    data_dir: &Path,
) -> Result<store::postgres::PgStore, store::StoreError> {
    let store = store::postgres::PgStore::open(url, pool_size, ca, &data_dir.join("blobs"))?;
    store.seed()?;
    Ok(store)
}

/// The state for a store, with default token lifetime (30 days since it was
/// last used, give or take the day `auth::Session` renews it in, so a
/// tablet can work offline through a long absence from the office
/// network).
pub fn state(store: Arc<dyn store::Store>) -> AppState {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    AppState {
        store,
        token_days: 30,
        max_clock_skew: chrono::Duration::minutes(CLOCK_SKEW_MINUTES.into()),
        argon2: Arc::new(tokio::sync::Semaphore::new(cores)),
        first_admin_file: None,
        trusted_proxies: Arc::default(),
        body_pause: std::time::Duration::from_secs(listener::REQUEST_HEAD_SECS),
    }
}

/// The whole application over plain HTTP: the API, `/healthz`, and the
/// built app from `dist` at `/` (any unknown path gets `index.html`, for
/// the app's routes).
pub fn app(state: AppState, dist: Option<PathBuf>) -> Router {
    app_over(state, dist, Transport::Http)
}

/// The whole application as reached over `transport`: the same as [`app`],
/// with HSTS over HTTPS. Every answer, errors and the fallback included,
/// carries the security headers.
pub fn app_over(state: AppState, dist: Option<PathBuf>, transport: Transport) -> Router {
    let body_pause = state.body_pause;
    let mut router = api::router(state).route("/healthz", get(healthz).fallback(api::wrong_method));
    if let Some(dist) = dist {
        router = router.fallback_service(assets::router(dist));
    }
    router
        // Inside the headers: a panic's answer carries them too.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(axum::middleware::map_response_with_state(
            transport,
            headers::add,
        ))
        // Named by the path alone: a query holds what was searched, a
        // complainant's phone digits, which the log must not keep.
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(RequestBodyTimeoutLayer::new(body_pause))
}

/// A handler that panicked answers as any internal error does, a JSON
/// 500 with the stable code `internal`, not a connection cut without one.
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let detail = (panic.downcast_ref::<String>().map(String::as_str))
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a handler panicked");
    error::ApiError::internal(format!("panic: {detail}")).into_response()
}

async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "schema": shared::op::SCHEMA_VERSION,
    }))
}
