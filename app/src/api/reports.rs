//! The head office's report endpoints: the statistics (`/api/v1/stats`),
//! the quarterly spot-checks (`/api/v1/spot-checks`) and the exports
//! (`/api/v1/exports/…`).
//!
//! Their answers' types live only in the server for now: each has an alias
//! below, named as the server names its type, for the `serde_json::Value`
//! it arrives as; when `shared` has the type, the alias becomes a
//! `pub use`.

use super::{ApiError, ErrorBody, Method, get, send, with_headers};
use gloo_net::http::{Request, Response};
use serde_json::{Value, json};

/// Every statistic for a period (`GET /api/v1/stats`), as JSON.
pub type Stats = Value;
/// One property's spot-check sample of a quarter, as JSON.
pub type SpotCheck = Value;

/// `GET /api/v1/stats?{query}`: every statistic for the filters in
/// `query` (already encoded).
pub async fn stats(token: &str, query: &str) -> Result<Stats, ApiError> {
    get(token, &format!("/api/v1/stats?{query}")).await
}

/// `GET /api/v1/spot-checks`: the samples drawn so far.
pub async fn spot_checks(token: &str) -> Result<Vec<SpotCheck>, ApiError> {
    get(token, "/api/v1/spot-checks").await
}

/// `POST /api/v1/spot-checks`: draws a property's sample of a quarter. The
/// property is the id as the form holds it; the server refuses one that
/// does not parse.
pub async fn draw_spot_check(
    token: &str,
    property: &str,
    year: i32,
    quarter: u32,
) -> Result<SpotCheck, ApiError> {
    let body = json!({ "property": property, "year": year, "quarter": quarter });
    send(Method::Post, token, "/api/v1/spot-checks", &body).await
}

/// `GET url` of an export (`/api/v1/exports/…?{query}`): the answer, whose
/// body the caller reads as a stream to show the progress.
pub async fn export(token: &str, url: &str) -> Result<Response, ApiError> {
    let resp = with_headers(Request::get(url), Some(token))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if resp.ok() {
        return Ok(resp);
    }
    // In the user's words, by the answer's code, as every other error.
    let status = resp.status();
    let (code, message) = resp
        .json::<ErrorBody>()
        .await
        .map_or_else(|_| (String::new(), String::new()), |b| (b.code, b.message));
    Err(ApiError::Server {
        status,
        code,
        message,
    })
}
