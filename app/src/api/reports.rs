//! The head office's report endpoints: the statistics (`/api/v1/stats`),
//! the quarterly spot-checks (`/api/v1/spot-checks`) and the exports
//! (`/api/v1/exports/…`).
//!
//! Their requests and answers are `shared::report` types.

use super::{ApiError, DOWNLOAD_TIMEOUT_MS, Method, get, refusal, send, with_headers, within};
use chrono::{DateTime, Utc};
use gloo_net::http::{Request, Response};
use shared::lang::Lang;
pub use shared::report::{DrawRequest, SpotCheck, Stats};

/// `GET /api/v1/stats?{query}`: every statistic for the filters in
/// `query` (already encoded).
pub async fn stats(token: &str, query: &str) -> Result<Stats, ApiError> {
    get(token, &format!("/api/v1/stats?{query}")).await
}

/// `GET /api/v1/spot-checks`: the samples drawn so far, of one property
/// (its id) or of every one in scope (empty), whose quarter overlaps
/// `from`..`to` (a dashboard's period), their places named in `lang`.
pub async fn spot_checks(
    token: &str,
    property: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    lang: Lang,
) -> Result<Vec<SpotCheck>, ApiError> {
    // RFC 3339 with `Z`: nothing to escape in the query.
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let mut query = format!("lang={}&from={}&to={}", lang.code(), at(from), at(to));
    if !property.is_empty() {
        query.push_str(&format!("&property={property}"));
    }
    get(token, &format!("/api/v1/spot-checks?{query}")).await
}

/// `POST /api/v1/spot-checks`: draws a property's sample of a quarter.
pub async fn draw_spot_check(token: &str, draw: &DrawRequest) -> Result<SpotCheck, ApiError> {
    send(Method::Post, token, "/api/v1/spot-checks", draw).await
}

/// `GET url` of a file the server makes (an export,
/// `/api/v1/exports/…?{query}`, or a case's bundle): the answer, whose body
/// the caller reads as a stream to show the progress.
pub async fn export(token: &str, url: &str) -> Result<Response, ApiError> {
    let resp = within(
        with_headers(Request::get(url), Some(token)),
        DOWNLOAD_TIMEOUT_MS,
    )
    .send()
    .await
    .map_err(|e| ApiError::Network(e.to_string()))?;
    if resp.ok() {
        return Ok(resp);
    }
    // In the user's words, by the answer's code, as every other error.
    Err(refusal(resp).await)
}
