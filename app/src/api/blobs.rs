//! Evidence bytes on the server (`docs/sync.md`, "Evidence"): how much of
//! a blob it holds (`HEAD`), one chunk of an upload (`PUT`), and the
//! download.

use super::{ApiError, read, refusal, with_headers};
use gloo_net::http::{Method, Request, RequestBuilder};
use shared::blob::BlobHash;
use shared::wire::{BlobUpload, UPLOAD_LENGTH_HEADER, UPLOAD_OFFSET_HEADER};

fn url(hash: BlobHash) -> String {
    format!("/api/v1/blobs/{hash}")
}

async fn send(req: Result<Request, gloo_net::Error>) -> Result<gloo_net::http::Response, ApiError> {
    req.map_err(|e| ApiError::Decode(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))
}

fn builder(method: Method, url: &str, token: &str) -> RequestBuilder {
    with_headers(RequestBuilder::new(url).method(method), Some(token))
}

/// `HEAD /api/v1/blobs/{hash}`: how many bytes the server holds, and the
/// whole size the attach op declared.
pub async fn progress(token: &str, hash: BlobHash) -> Result<(u64, u64), ApiError> {
    let resp = send(builder(Method::HEAD, &url(hash), token).build()).await?;
    // An answer to HEAD has no body to carry its code, and its only 404,
    // 410, 500, 503 and 507 are these.
    let code = match resp.status() {
        404 => Some(("blob.unknown", "no synced attachment names this blob")),
        410 => Some((
            "blob.discarded",
            "the record naming this blob was discarded",
        )),
        500 => Some(("internal", "the server failed")),
        503 => Some((
            "storage.unavailable",
            "the server cannot reach its database",
        )),
        507 => Some(("storage.full", "the server's disk is full")),
        _ => None,
    };
    if let Some((code, message)) = code {
        return Err(ApiError::Server {
            status: resp.status(),
            code: code.into(),
            message: message.into(),
        });
    }
    if !resp.ok() {
        return Err(refusal(resp).await);
    }
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| ApiError::Decode(format!("no {name} header")))
    };
    Ok((header(UPLOAD_OFFSET_HEADER)?, header(UPLOAD_LENGTH_HEADER)?))
}

/// `PUT /api/v1/blobs/{hash}?offset=N`: one chunk.
pub async fn put_chunk(
    token: &str,
    hash: BlobHash,
    offset: u64,
    chunk: &web_sys::Blob,
) -> Result<BlobUpload, ApiError> {
    let path = format!("{}?offset={offset}", url(hash));
    let req = builder(Method::PUT, &path, token)
        .header("Content-Type", "application/octet-stream")
        .body(wasm_bindgen::JsValue::from(chunk.clone()));
    read(send(req).await?).await
}

/// `GET /api/v1/blobs/{hash}`: the bytes, as a `Blob` of their media type.
pub async fn download(token: &str, hash: BlobHash) -> Result<web_sys::Blob, ApiError> {
    let req = super::within(
        builder(Method::GET, &url(hash), token),
        super::DOWNLOAD_TIMEOUT_MS,
    );
    let resp = send(req.build()).await?;
    if !resp.ok() {
        return Err(refusal(resp).await);
    }
    let mime = resp.headers().get("content-type").unwrap_or_default();
    let bytes = resp
        .binary()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    // A held file is never fetched again: what a proxy or a captive
    // portal answered in its place must not be kept under its name.
    if BlobHash::of(&bytes) != hash {
        return Err(ApiError::Decode(
            "the bytes received are not the file asked for".into(),
        ));
    }
    crate::evidence::bytes_to_blob(&bytes, &mime).map_err(ApiError::Decode)
}
