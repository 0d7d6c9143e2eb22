//! The HTTP API under `/api/v1`, all routes in one place.
//!
//! Every handler takes a [`Session`](crate::auth::Session) (except login)
//! and checks role and property scope itself, for reads as well as writes:
//! nothing the client says about its own rights is trusted.

pub mod admin;
pub mod admin_config;
mod blobs;
mod cases;
pub mod exports;
mod login;
mod records;
pub mod responses;
mod revision;
pub mod stats;
mod sync;

use crate::error::{ApiError, ErrorBody};
use crate::proxy::TrustedProxies;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use responses::Middleware;
use shared::op::SCHEMA_VERSION;
use shared::settings::Settings;
use shared::wire::CLIENT_SCHEMA_HEADER;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{
    DefaultPredicate, NotForContentType, Predicate, SizeAbove,
};
use utoipa::OpenApi;

/// The largest request body accepted (a push of a full outbox fits easily).
pub const BODY_LIMIT: usize = shared::wire::MAX_REQUEST_BYTES;

/// The oldest op schema a client may write and still sync. 10: a build
/// writing an older schema records what the rules of the newer refuse
/// (`shared::workflow::check_new`: closures from schema 2, head-office
/// quality's callbacks and field notes from 3, a decision on one's own
/// compensation, a solution without its date and a follow-up by message
/// from 7, a missed callback by message from 8, work or a compensation on a
/// complaint found unfounded from 9), or cannot read the ops of the newer
/// (a missed callback from 4, a void from 5, a change of first responder
/// and a source number from 6) or fold them as they were meant (a reopened
/// inquiry answered from 9; a second call of the resident on a case seen
/// resolved, and a settlement's decision on a compensation, from 10), so
/// it updates before it
/// records or pulls more. The ops it recorded already keep their schema
/// and their meaning.
pub const MIN_CLIENT_SCHEMA: u32 = 10;

/// The API routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        // Read before anyone is known: a few KiB, not the push's 4 MiB.
        .route(
            "/api/v1/auth/login",
            post(login::login).layer(DefaultBodyLimit::max(CREDENTIALS_LIMIT)),
        )
        .route("/api/v1/auth/logout", post(login::logout))
        .route("/api/v1/me", get(login::me))
        .route("/api/v1/auth/record-key", post(login::record_key))
        .route(
            "/api/v1/auth/password",
            post(login::change_password).layer(DefaultBodyLimit::max(CREDENTIALS_LIMIT)),
        )
        .route("/api/v1/sync/push", post(sync::push))
        .route("/api/v1/sync/pull", get(sync::pull))
        .route("/api/v1/sync/refusals", post(sync::refusals))
        .route("/api/v1/cases", get(cases::list))
        .route("/api/v1/cases/{id}", get(cases::get))
        .route("/api/v1/cases/{id}/bundle.zip", get(cases::bundle))
        .route(
            "/api/v1/blobs/{hash}",
            get(blobs::get).head(blobs::head).put(blobs::put),
        )
        .route(
            "/api/v1/admin/users",
            get(admin::users).post(admin::create_user),
        )
        .route("/api/v1/admin/users/import", post(admin::import_users))
        .route("/api/v1/admin/users/{id}", put(admin::update_user))
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
        .route("/api/v1/admin/records/import", post(records::import))
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
        // `{*rest}` matches no empty tail: a client whose base address is
        // cut short gets JSON too, not the app's page.
        .route("/api", axum::routing::any(unknown))
        .route("/api/", axum::routing::any(unknown))
        .method_not_allowed_fallback(wrong_method)
        .layer(middleware::from_fn(head_only_for_blobs))
        .layer(middleware::from_fn(client_schema))
        .layer(middleware::map_response(no_store))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(compression())
        .with_state(state)
}

/// Answers shorter than this go out as they are: a push's answer is about
/// a hundred bytes, compressing it saves a few of them, and with brotli,
/// which browsers ask for over HTTPS, setting up the encoder for every
/// push raised the median push under load by about a quarter (the
/// concurrency bench's 200 devices asking for brotli: p50 75–88 ms against
/// 45–68 ms).
const COMPRESS_FROM: u16 = 1024;

/// Compresses answers (brotli or gzip, as the client accepts; `Vary:
/// Accept-Encoding` either way) of [`COMPRESS_FROM`] bytes or more, or of
/// an unknown length (a streamed pull page or CSV), except XLSX and a case's ZIP bundle, which
/// are zips already and keep their `Content-Length` for progress. CSV exports are
/// compressed as they stream: a tenth of the bytes, and the app counts what
/// the browser has decompressed, against `X-Total-Rows`.
///
/// At quality 5, not the encoders' defaults: brotli's is 11, its archival
/// setting, which took 4.7 s of CPU for a pull page of 2,000 ops (955 KiB)
/// where 5 took 15 ms for 18 KiB instead of 17. Browsers ask for brotli
/// only over HTTPS, so every tablet on a real network would have paid it.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(tower_http::CompressionLevel::Precise(5))
        .compress_when(
            DefaultPredicate::new()
                .and(SizeAbove::new(COMPRESS_FROM))
                .and(NotForContentType::const_new(
                    "application/vnd.openxmlformats-officedocument",
                ))
                .and(NotForContentType::const_new("application/zip")),
        )
}

/// The OpenAPI document, generated from the handlers' annotations (see
/// [`responses`] for the statuses many operations share).
#[derive(OpenApi)]
#[openapi(
    info(title = "Complaint and service-case sync API", version = "1"),
    paths(
        login::login, login::logout, login::me, login::record_key, login::change_password,
        sync::push, sync::pull, sync::refusals,
        cases::list, cases::get, cases::bundle,
        blobs::head, blobs::put, blobs::get,
        admin::users, admin::create_user, admin::import_users, admin::update_user, admin::set_active, admin::reset_password, admin::devices, admin::revoke_device,
        admin::properties, admin::put_property, admin::quarantine,
        stats::stats, stats::draw_spot_check, stats::spot_checks,
        exports::cases_csv, exports::cases_xlsx, exports::stats_csv, exports::stats_xlsx,
        admin_config::get_settings, admin_config::put_settings,
        admin_config::get_categories, admin_config::put_categories,
        admin_config::calendar_preview, admin_config::put_calendar,
        admin_config::quarantine_record, admin_config::quarantine_reapply, admin_config::quarantine_discard,
        admin_config::audit_log, admin_config::delete_case,
        records::import,
    ),
    // The bodies' schemas are collected from the annotations; `ErrorBody` is
    // named here because the shared error answers (`responses`) refer to
    // it, and `ConfigItem` and `PulledOp` because `PullResponse`, generic
    // over how a reader takes its items and ops, refers to them without
    // collecting them.
    components(schemas(ErrorBody, shared::wire::ConfigItem, shared::wire::PulledOp)),
    modifiers(&BearerAuth, &Middleware)
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

/// A method the path does not take: 405, with the `Allow` header axum adds
/// when its router refuses (a HEAD refused ahead of it, by
/// [`head_only_for_blobs`], has none: the path's methods are not known
/// there).
pub(crate) async fn wrong_method(method: axum::http::Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "request.method_not_allowed",
        format!("this endpoint does not take {method}"),
    )
}

/// HEAD is answered where it means something alone: whether the server
/// holds a blob, which a tablet asks before it uploads again. Elsewhere
/// axum runs the GET handler and drops its body: an export or a case
/// bundle would be built, and written to the audit log as handed out,
/// for nothing.
async fn head_only_for_blobs(req: Request, next: Next) -> Response {
    if req.method() == axum::http::Method::HEAD && !req.uri().path().starts_with("/api/v1/blobs/") {
        return wrong_method(axum::http::Method::HEAD).await.into_response();
    }
    next.run(req).await
}

/// The most a login or a password change may send.
const CREDENTIALS_LIMIT: usize = 16 * 1024;

/// Every answer of the API is kept by no cache unless it says otherwise:
/// the browser's HTTP cache does not key on the bearer token, so on a
/// shared tablet the cases, statistics and users a manager read would stay
/// on disk, names and phones with them, after the app wiped its own store
/// for the next user.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(axum::http::header::CACHE_CONTROL)
        .or_insert(axum::http::HeaderValue::from_static("no-store"));
    response
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
        // A server rolled back after a newer release, met by a tablet
        // still running that release's app: its ops would be set aside
        // (`sync.schema_too_new`) and acknowledged. Refused whole, they
        // wait on the tablet until the server is upgraded again, or the
        // service worker brings back this build's app.
        Some(Ok(v)) if v > SCHEMA_VERSION => ApiError::new(
            StatusCode::CONFLICT,
            "client.server_older",
            format!(
                "this app writes schema {v}; this server takes at most {SCHEMA_VERSION}: it is older than the app. The records stay on the tablet until the server is upgraded."
            ),
        )
        .into_response(),
        Some(Err(_)) => ApiError::bad_request("client.bad_schema_header", "x-client-schema must be a number").into_response(),
        _ => next.run(req).await,
    }
}

/// The caller's address, for rate limits and the audit log: the TCP peer,
/// or behind a reverse proxy named with `--trusted-proxy`, the address that
/// proxy put in `X-Forwarded-For` (see [`crate::proxy`]).
pub struct ClientAddr(pub String);

impl<S> FromRequestParts<S> for ClientAddr
where
    S: Send + Sync,
    Arc<TrustedProxies>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
        else {
            return Ok(ClientAddr("unknown".into()));
        };
        // Read lossily: the proxy appends the address it saw to the line
        // the client sent, and a byte that is not text there would
        // otherwise drop the line, and with it the proxy's own word.
        let forwarded: Vec<String> = parts
            .headers
            .get_all(crate::proxy::FORWARDED_FOR)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let forwarded: Vec<&str> = forwarded.iter().map(String::as_str).collect();
        let proxies = Arc::<TrustedProxies>::from_ref(state);
        Ok(ClientAddr(proxies.client(peer, &forwarded).to_string()))
    }
}

/// An id from the path, or 400 `request.bad_id` naming what it should be.
pub(super) fn path_id<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request("request.bad_id", format!("not a {what} id")))
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

/// The company settings, for a decision a handler makes with them (what
/// a role sees of a complainant: `shared::personal_data::shown`).
pub(crate) async fn settings(state: &AppState) -> Result<Settings, ApiError> {
    let store = state.store.clone();
    crate::error::blocking(move || Ok(store.config()?.settings)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// Operations whose JSON body is read as a `serde_json::Value` and
    /// checked by the handler, which answers 400 for a body that does not
    /// match: the extractor never gives them a 422.
    const HAND_CHECKED_BODIES: [&str; 1] = ["put /api/v1/admin/settings"];

    /// Operations that limit failed attempts per login and address.
    const RATE_LIMITED: [&str; 2] = ["post /api/v1/auth/login", "post /api/v1/auth/password"];

    /// Operations whose body is limited to `CREDENTIALS_LIMIT`, 16 KiB.
    const CREDENTIAL_BODIES: [&str; 2] = ["post /api/v1/auth/login", "post /api/v1/auth/password"];

    /// Reads that write, so that a full disk refuses them: an export or a
    /// case's bundle is audited before it goes out.
    const AUDITED_READS: [&str; 5] = [
        "get /api/v1/exports/cases.csv",
        "get /api/v1/exports/cases.xlsx",
        "get /api/v1/exports/stats.csv",
        "get /api/v1/exports/stats.xlsx",
        "get /api/v1/cases/{id}/bundle.zip",
    ];

    /// The POSTs that store nothing: a full disk does not refuse them.
    const STORES_NOTHING: [&str; 2] = [
        "post /api/v1/admin/calendar/preview",
        "post /api/v1/sync/refusals",
    ];

    fn document() -> Value {
        serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes")
    }

    /// Every operation of the document: `("method path", path, operation)`.
    fn operations(doc: &Value) -> Vec<(String, &str, &Value)> {
        let paths = doc["paths"].as_object().expect("the document has paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                let methods = item.as_object().expect("a path item is an object");
                methods
                    .iter()
                    .map(move |(method, op)| (format!("{method} {path}"), path.as_str(), op))
            })
            .collect()
    }

    /// The description of an operation's answer with `status`, empty if
    /// it lists none.
    fn description<'a>(op: &'a Value, status: &str) -> &'a str {
        op["responses"][status]["description"]
            .as_str()
            .unwrap_or_default()
    }

    fn statuses(op: &Value) -> BTreeSet<&str> {
        let responses = op["responses"]
            .as_object()
            .expect("an operation has responses");
        responses.keys().map(String::as_str).collect()
    }

    /// The schema a `$ref` points at.
    fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(r) => {
                let name = r
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("{r} is not a component schema"));
                let found = &doc["components"]["schemas"][name];
                assert!(!found.is_null(), "{r} names no component schema");
                found
            }
            None => schema,
        }
    }

    /// The names of the schemas reachable from `schema` that are a bare
    /// `{"type": "object"}`: an object that says nothing of its fields.
    fn bare_objects(
        doc: &Value,
        schema: &Value,
        seen: &mut BTreeSet<String>,
        found: &mut Vec<String>,
    ) {
        if let Some(r) = schema["$ref"].as_str() {
            if seen.insert(r.to_string()) {
                bare_objects(doc, resolve(doc, schema), seen, found);
            }
            return;
        }
        let Some(map) = schema.as_object() else {
            return;
        };
        let is_object = match &schema["type"] {
            Value::String(t) => t == "object",
            Value::Array(ts) => ts.iter().any(|t| t == "object"),
            _ => false,
        };
        let described = [
            "properties",
            "additionalProperties",
            "allOf",
            "oneOf",
            "anyOf",
        ]
        .iter()
        .any(|k| map.contains_key(*k));
        if is_object && !described {
            found.push(schema.to_string());
        }
        for (key, value) in map {
            match key.as_str() {
                "properties" => value
                    .as_object()
                    .into_iter()
                    .flat_map(|m| m.values())
                    .for_each(|v| bare_objects(doc, v, seen, found)),
                "items" | "additionalProperties" => bare_objects(doc, value, seen, found),
                "allOf" | "oneOf" | "anyOf" => value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .for_each(|v| bare_objects(doc, v, seen, found)),
                _ => {}
            }
        }
    }

    /// Whether a body schema names its type: a `$ref`, or a list of one.
    fn is_named(schema: &Value) -> bool {
        schema["$ref"].is_string()
            || schema["type"] == "array" && schema["items"]["$ref"].is_string()
    }

    #[test]
    fn a_bare_object_is_found_behind_refs_lists_and_variants() {
        let doc = serde_json::json!({"components": {"schemas": {
            "Free": {"type": "object"},
            "Typed": {"type": "object", "properties": {"a": {"type": "string"}}},
            "Holder": {"type": "object", "properties": {
                "list": {"type": "array", "items": {"$ref": "#/components/schemas/Free"}}}},
            "Either": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Holder"}]},
        }}});
        let check = |schema: Value| {
            let mut found = Vec::new();
            bare_objects(&doc, &schema, &mut BTreeSet::new(), &mut found);
            found.len()
        };
        assert_eq!(
            check(serde_json::json!({"$ref": "#/components/schemas/Typed"})),
            0
        );
        assert_eq!(
            check(serde_json::json!({"$ref": "#/components/schemas/Either"})),
            1
        );
        assert_eq!(check(serde_json::json!({"type": ["object", "null"]})), 1);
    }

    #[test]
    fn every_operation_lists_what_the_layers_in_front_of_it_answer() {
        let doc = document();
        let mut missing = Vec::new();
        for (name, path, op) in operations(&doc) {
            let has = statuses(op);
            // The middleware's answers, on every route.
            let mut need = vec!["400", "413", "426", "500", "503"];
            // The codes an answer's description must name, by status.
            let mut codes = Vec::new();
            if op.get("security").is_some() {
                need.extend(["401", "403"]);
                // The `Session` extractor refuses a revoked device on every
                // path, and a user who must change their password on every
                // path but those that let them do it.
                codes.push(("403", "`auth.device_revoked`"));
                if !crate::auth::PASSWORD_CHANGE_PATHS.contains(&path) {
                    codes.push(("403", "`auth.password_change_required`"));
                }
            }
            let method = name.split(' ').next().unwrap_or_default();
            let writes = ["post", "put", "delete"].contains(&method)
                && !STORES_NOTHING.contains(&name.as_str());
            if writes || AUDITED_READS.contains(&name.as_str()) {
                codes.push(("507", "`storage.full`"));
            }
            if CREDENTIAL_BODIES.contains(&name.as_str()) {
                codes.push(("413", "over 16384 bytes"));
            }
            missing.extend(
                codes
                    .into_iter()
                    .filter(|(status, code)| !description(op, status).contains(code))
                    .map(|(status, code)| format!("{name}'s {status} does not name {code}")),
            );
            if op.get("requestBody").is_some() {
                need.extend(["413", "415"]);
                if !HAND_CHECKED_BODIES.contains(&name.as_str()) {
                    need.push("422");
                }
            }
            if RATE_LIMITED.contains(&name.as_str()) {
                need.push("429");
            }
            missing.extend(
                need.into_iter()
                    .filter(|s| !has.contains(s))
                    .map(|s| format!("{name} does not list {s}")),
            );
        }
        assert_eq!(missing, Vec::<String>::new());
        let login = operations(&doc)
            .into_iter()
            .find(|(name, _, _)| name == "post /api/v1/auth/login")
            .expect("login is documented");
        assert!(statuses(login.2).contains("429"));
    }

    #[test]
    fn every_parameter_is_where_the_handler_reads_it() {
        // Path parameters are the `{name}`s of the path; the headers an
        // extractor reads are headers (`revision::IfMatch`); everything else
        // a handler reads (`ApiQuery`, `CaseFilterQuery`) is the query
        // string.
        const HEADERS: [&str; 1] = ["If-Match"];
        let doc = document();
        let mut wrong = Vec::new();
        for (name, path, op) in operations(&doc) {
            for param in op["parameters"].as_array().into_iter().flatten() {
                let (param_name, place) = (&param["name"], &param["in"]);
                let in_path = param_name
                    .as_str()
                    .is_some_and(|n| path.contains(&format!("{{{n}}}")));
                let in_header = param_name.as_str().is_some_and(|n| HEADERS.contains(&n));
                let expected = match (in_path, in_header) {
                    (true, _) => "path",
                    (false, true) => "header",
                    (false, false) => "query",
                };
                if place != expected {
                    wrong.push(format!(
                        "{name}: {param_name} is in {place}, not {expected}"
                    ));
                }
            }
        }
        assert_eq!(wrong, Vec::<String>::new());
    }

    #[test]
    fn every_error_answer_has_the_error_body() {
        let doc = document();
        let mut wrong = Vec::new();
        for (name, _, op) in operations(&doc) {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let schema = &response["content"]["application/json"]["schema"];
                if !status.starts_with('2') && schema["$ref"] != "#/components/schemas/ErrorBody" {
                    wrong.push(format!("{name} {status}"));
                }
            }
        }
        assert_eq!(wrong, Vec::<String>::new());
    }

    #[test]
    fn request_and_response_bodies_are_real_schemas() {
        let doc = document();
        let mut wrong = Vec::new();
        for (name, _, op) in operations(&doc) {
            let mut bodies = Vec::new();
            // A blob chunk is bytes, not a schema.
            let raw = |body: &Value| !body["content"]["application/octet-stream"].is_null();
            if let Some(body) = op.get("requestBody").filter(|b| !raw(b)) {
                let schema = &body["content"]["application/json"]["schema"];
                if !is_named(schema) {
                    wrong.push(format!(
                        "{name}: the request body is not a named schema: {schema}"
                    ));
                }
                bodies.push(("request", schema));
            }
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let schema = &response["content"]["application/json"]["schema"];
                if status.starts_with('2') && !schema.is_null() {
                    if !is_named(schema) {
                        wrong.push(format!("{name} {status}: not a named schema: {schema}"));
                    }
                    bodies.push(("response", schema));
                }
            }
            for (which, schema) in bodies {
                let mut found = Vec::new();
                bare_objects(&doc, schema, &mut BTreeSet::new(), &mut found);
                // Quarantined ops and audit details are kept as they came,
                // whatever their shape: only responses may carry them.
                if which == "request" && !found.is_empty() {
                    wrong.push(format!(
                        "{name}: the request body holds bare objects {found:?}"
                    ));
                }
            }
        }
        assert_eq!(wrong, Vec::<String>::new());
    }
}
