//! The HTTP API under `/api/v1`, all routes in one place.
//!
//! Every handler takes a [`Session`](crate::auth::Session) (except login)
//! and checks role and property scope itself, for reads as well as writes:
//! nothing the client says about its own rights is trusted.

pub mod admin;
pub mod admin_config;
mod cases;
pub mod exports;
mod login;
pub mod stats;
mod sync;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use shared::op::SCHEMA_VERSION;
use shared::wire::CLIENT_SCHEMA_HEADER;
use std::net::SocketAddr;
use utoipa::OpenApi;

/// The largest request body accepted (a push of a full outbox fits easily).
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The oldest op schema a client may write and still sync.
pub const MIN_CLIENT_SCHEMA: u32 = 1;

/// The API routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/auth/login", post(login::login))
        .route("/api/v1/auth/logout", post(login::logout))
        .route("/api/v1/me", get(login::me))
        .route("/api/v1/auth/password", post(login::change_password))
        .route("/api/v1/sync/push", post(sync::push))
        .route("/api/v1/sync/pull", get(sync::pull))
        .route("/api/v1/cases", get(cases::list))
        .route("/api/v1/cases/{id}", get(cases::get))
        .route(
            "/api/v1/admin/users",
            get(admin::users).post(admin::create_user),
        )
        .route("/api/v1/admin/users/{id}/active", put(admin::set_active))
        .route(
            "/api/v1/admin/users/{id}/password",
            post(admin::reset_password),
        )
        .route("/api/v1/admin/devices", get(admin::devices))
        .route(
            "/api/v1/admin/devices/{id}/revoke",
            post(admin::revoke_device),
        )
        .route(
            "/api/v1/admin/properties",
            get(admin::properties).post(admin::put_property),
        )
        .route("/api/v1/admin/quarantine", get(admin::quarantine))
        .route("/api/v1/stats", get(stats::stats))
        .route(
            "/api/v1/spot-checks",
            get(stats::spot_checks).post(stats::draw_spot_check),
        )
        .route("/api/v1/exports/cases.csv", get(exports::cases_csv))
        .route("/api/v1/exports/cases.xlsx", get(exports::cases_xlsx))
        .route("/api/v1/exports/stats.csv", get(exports::stats_csv))
        .route("/api/v1/exports/stats.xlsx", get(exports::stats_xlsx))
        .route(
            "/api/v1/admin/settings",
            get(admin_config::get_settings).put(admin_config::put_settings),
        )
        .route(
            "/api/v1/admin/categories",
            get(admin_config::get_categories).put(admin_config::put_categories),
        )
        .route(
            "/api/v1/admin/calendar/preview",
            post(admin_config::calendar_preview),
        )
        .route("/api/v1/admin/calendar", post(admin_config::put_calendar))
        .route(
            "/api/v1/admin/quarantine/{id}",
            get(admin_config::quarantine_record),
        )
        .route(
            "/api/v1/admin/quarantine/{id}/reapply",
            post(admin_config::quarantine_reapply),
        )
        .route(
            "/api/v1/admin/quarantine/{id}/discard",
            post(admin_config::quarantine_discard),
        )
        .route("/api/v1/admin/audit", get(admin_config::audit_log))
        .route(
            "/api/v1/admin/cases/{id}",
            delete(admin_config::delete_case),
        )
        .route("/api/openapi.json", get(openapi))
        .route("/api/{*rest}", axum::routing::any(unknown))
        .layer(middleware::from_fn(client_schema))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "Complaint and service-case sync API", version = "1"),
    paths(
        login::login, login::logout, login::me, login::change_password,
        sync::push, sync::pull,
        cases::list, cases::get,
        admin::users, admin::create_user, admin::set_active, admin::reset_password, admin::devices, admin::revoke_device,
        admin::properties, admin::put_property, admin::quarantine,
        stats::stats, stats::draw_spot_check, stats::spot_checks,
        exports::cases_csv, exports::cases_xlsx, exports::stats_csv, exports::stats_xlsx,
        admin_config::get_settings, admin_config::put_settings,
        admin_config::get_categories, admin_config::put_categories,
        admin_config::calendar_preview, admin_config::put_calendar,
        admin_config::quarantine_record, admin_config::quarantine_reapply, admin_config::quarantine_discard,
        admin_config::audit_log, admin_config::delete_case,
    ),
    components(schemas(ErrorBody, admin::NewUserRequest, admin::ActiveRequest, crate::store::DeviceInfo, crate::store::QuarantineEntry,
        crate::store::reports::Stats, crate::store::reports::SpotCheck, stats::DrawRequest,
        admin_config::CalendarPreview, admin_config::DiscardRequest,
        crate::store::administration::QuarantineRecord, crate::store::administration::ReapplyOutcome,
        crate::store::administration::AuditRecord, crate::store::administration::DeletedCase)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn unknown() -> ApiError {
    ApiError::not_found("endpoint")
}

/// Refuses a request whose declared body is over the limit before reading
/// it (a body without a declared length is cut off by `DefaultBodyLimit`
/// while it streams), and answers 426 to clients that write an op schema
/// the server no longer takes.
async fn client_schema(req: Request, next: Next) -> Response {
    let declared_len = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared_len.is_some_and(|n| n > BODY_LIMIT) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
            format!("the request body is larger than {BODY_LIMIT} bytes"),
        )
        .into_response();
    }
    let declared = req
        .headers()
        .get(CLIENT_SCHEMA_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<u32>());
    match declared {
        Some(Ok(v)) if v < MIN_CLIENT_SCHEMA => ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "client.update_required",
            format!(
                "this app writes schema {v}; the server needs {MIN_CLIENT_SCHEMA}–{SCHEMA_VERSION}. Reload the app to update it."
            ),
        )
        .into_response(),
        Some(Err(_)) => ApiError::bad_request("client.bad_schema_header", "x-client-schema must be a number").into_response(),
        _ => next.run(req).await,
    }
}

/// The caller's address, for rate limits and the audit log.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddr(addr))
    }
}

/// The audit record of an administrative change: who (the session's user
/// and device), when (now), from where (`addr`), what and its detail. The
/// store writes it in the change's own transaction.
pub(super) fn audit_entry(
    session: &crate::auth::Session,
    addr: String,
    action: &str,
    detail: serde_json::Value,
) -> crate::store::AuditEntry {
    crate::store::AuditEntry {
        at: chrono::Utc::now(),
        user: Some(session.user.id),
        device: Some(session.device),
        address: Some(addr),
        action: action.into(),
        detail,
    }
}
