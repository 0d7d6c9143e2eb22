//! The one error type of the HTTP API. Every refusal is a 4xx with a JSON
//! body `{code, message}`: a stable dotted code for programs and a message
//! for people. Internal failures are logged and answered with a generic 500
//! body that reveals nothing.

use crate::store::StoreError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// The JSON body of every error answer, defined with the other wire types.
pub use shared::wire::ErrorBody;

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
}

impl ApiError {
    /// The same error, its message naming the `n`-th user of a list (from 1).
    pub fn in_user(self, n: usize, login: &str) -> ApiError {
        ApiError {
            message: format!("user {n} ({login}): {}", self.message),
            ..self
        }
    }

    /// An error with any status.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// 400.
    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401.
    pub fn unauthorized(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 403 for a role or scope refusal.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "auth.forbidden", message)
    }

    /// 403: an administrator revoked the device, which is told why so that
    /// it can say so instead of asking for a login that fails.
    pub fn device_revoked() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.device_revoked",
            "this device has been revoked by an administrator",
        )
    }

    /// 404.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 500; the detail is logged, not sent.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(%detail, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    /// 507: the server's disk is full. Nothing was stored; the caller
    /// keeps what it sent and sends it again. The detail is logged, for
    /// the administrator, who is the one who can act.
    pub fn storage_full(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(%detail, "the disk is full");
        ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "storage.full",
            "the server's disk is full; nothing was stored: send it again once the administrator has made room",
        )
    }

    /// A file the server could not write or read: 507 when the disk or
    /// the user's disk quota is full, as for the database, else 500.
    pub fn io(e: std::io::Error) -> ApiError {
        use std::io::ErrorKind::{QuotaExceeded, StorageFull};
        match e.kind() {
            StorageFull | QuotaExceeded => ApiError::storage_full(e),
            _ => ApiError::internal(e),
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.code
    }
}

/// For an answer already on its way, which can only be cut short.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("already exists: {what}"),
            ),
            StoreError::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("not found: {what}"),
            ),
            StoreError::Internal(detail) => ApiError::internal(detail),
            StoreError::Full(detail) => ApiError::storage_full(detail),
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "the database is unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage.unavailable",
                    "the server cannot reach its database just now; send the same request again shortly",
                )
            }
            StoreError::Changed(what) => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "admin.changed_meanwhile",
                format!(
                    "the {what} changed since you read them (another administrator saved first); read them again and redo the change"
                ),
            ),
            StoreError::NulCharacter => ApiError::bad_request(
                "request.nul_character",
                "a text holds the character U+0000 (NUL), which cannot be stored",
            ),
            StoreError::Refused { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            StoreError::SessionEnded {
                device_revoked: true,
            } => ApiError::device_revoked(),
            StoreError::SessionEnded {
                device_revoked: false,
            } => {
                ApiError::unauthorized("auth.invalid_token", "the session has ended; log in again")
            }
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::internal(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = match r {
            JsonRejection::JsonDataError(_) => "request.invalid_json",
            JsonRejection::JsonSyntaxError(_) => "request.malformed_json",
            JsonRejection::MissingJsonContentType(_) => "request.content_type",
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => "request.too_large",
            _ => "request.unreadable",
        };
        ApiError::new(status, code, r.body_text())
    }
}

/// `Json` whose rejections answer in the API's error format.
///
/// axum's `Json` tracks the path of every value it parses, for the message
/// of a rejection; over a push of a thousand ops that takes about as long
/// again as the parse itself. A body with the plain JSON media type is
/// parsed without it, and only one that fails is parsed again by `Json`, so
/// every rejection is still `Json`'s. Any other media type, or none, is
/// left to `Json` whole, which accepts or refuses it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

/// The `Content-Type` values `Json` surely accepts, for which the body is
/// parsed directly; the second is what most HTTP clients send.
const PLAIN_JSON: [&str; 2] = ["application/json", "application/json; charset=utf-8"];

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let plain = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| PLAIN_JSON.iter().any(|p| v.eq_ignore_ascii_case(p)));
        if !plain {
            let Json(value) = Json::<T>::from_request(req, state).await?;
            return Ok(ApiJson(value));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(JsonRejection::from)?;
        match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(ApiJson(value)),
            Err(_) => Ok(ApiJson(Json::<T>::from_bytes(&bytes)?.0)),
        }
    }
}

impl From<QueryRejection> for ApiError {
    /// Every malformed query string is one code: the client sent parameters
    /// the operation does not take, or values of the wrong type; the message
    /// (axum's) names which.
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request("request.bad_query", r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    /// A path whose parameter is not even text (a percent-encoding of
    /// bytes that are not UTF-8) names nothing the API holds.
    fn from(r: PathRejection) -> Self {
        ApiError::bad_request("request.bad_id", r.body_text())
    }
}

/// `Path` whose rejections answer in the API's error format
/// (`request.bad_id`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    Path<T>: FromRequestParts<S, Rejection = PathRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(value) = Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(value))
    }
}

/// `Query` whose rejections answer in the API's error format
/// (`request.bad_query`). The operation's `utoipa::path` still lists the
/// parameters with `params(T)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}

/// A JSON body whose rejection the handler meets only after it has checked
/// the caller's role: a malformed body from someone who may not use the
/// endpoint at all gets 403, not a description of what was wrong with it.
pub type Body<T> = Result<ApiJson<T>, ApiError>;

/// A query string read the same way: the handler checks the role first.
pub type Params<T> = Result<ApiQuery<T>, ApiError>;

/// Runs a blocking store call on the blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    Ok(tokio::task::spawn_blocking(f).await??)
}
