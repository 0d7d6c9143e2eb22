//! Evidence bytes (see `docs/sync.md`, "Evidence"): a resumable upload in
//! the manner of tus (`HEAD` says how far it came, `PUT` appends a chunk at
//! an offset) and the download.
//!
//! Who may do what follows the cases: a blob exists for a caller only if an
//! accepted attach op of a case in their scope names it. Anyone in scope may
//! upload it (a tablet is shared; whoever is logged in sends what it holds,
//! and only bytes with the right hash are ever kept), and may download it,
//! except a complainant's signature, which only the roles that see the
//! complainant's personal data may.

use super::responses::AnyRole;
use super::{ClientAddr, audit_entry};
use crate::auth::Session;
use crate::error::{ApiError, ApiPath, ApiQuery, ErrorBody, blocking};
use crate::state::AppState;
use crate::store::BlobRef;
use crate::store::blobs::{BlobError, Progress};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::blob::{BlobHash, CHUNK_BYTES};
use shared::personal_data::shown;
use shared::wire::{BlobUpload, UPLOAD_LENGTH_HEADER, UPLOAD_OFFSET_HEADER};

/// Where a chunk goes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChunkAt {
    /// The byte of the blob the chunk starts at: what the server holds.
    pub offset: u64,
}

/// How far the upload of a blob has come: `Upload-Offset` (the bytes the
/// server holds) and `Upload-Length` (the size the attach op declared).
#[utoipa::path(head, path = "/api/v1/blobs/{hash}",
    params(("hash" = String, Path, description = "the blob's SHA-256, 64 lowercase hex digits")),
    responses(AnyRole,
        (status = 200, description = "Headers `Upload-Offset` and `Upload-Length`; no body. Offset equal to length: the blob is whole."),
        (status = 400, description = "`request.bad_id`: not a SHA-256.", body = ErrorBody),
        (status = 404, description = "`blob.unknown`: no accepted attach op of a case in the caller's scope names this blob (sync first).", body = ErrorBody),
        (status = 410, description = "`blob.discarded`: no case references this blob, and an administrator discarded the quarantined attach ops of the caller's device that named it: the device may delete the bytes.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn head(
    State(state): State<AppState>,
    session: Session,
    ApiPath(hash): ApiPath<String>,
) -> Result<Response, ApiError> {
    let hash = parse(&hash)?;
    let (Known { size, .. }, progress) = known(&state, &session, hash).await?;
    let offset = match progress {
        Progress::Complete => size,
        Progress::Partial(n) => n,
    };
    Ok((StatusCode::OK, upload_headers(offset, size)).into_response())
}

/// Appends one chunk (at most `CHUNK_BYTES`, 256 KiB) at `offset`. The
/// last chunk's answer comes after the whole blob's hash is checked; a
/// chunk for a blob already whole is accepted and changes nothing.
#[utoipa::path(put, path = "/api/v1/blobs/{hash}",
    params(("hash" = String, Path, description = "the blob's SHA-256, 64 lowercase hex digits"), ChunkAt),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The chunk."),
    responses(AnyRole,
        (status = 200, description = "Stored (and synced to disk); `complete` once the blob is whole. Also in `Upload-Offset`.", body = BlobUpload),
        (status = 400, description = "`request.bad_id`: not a SHA-256. `request.bad_query`: no `offset`, or not a number. `request.unreadable`: the chunk was cut short (a stalled or broken connection).", body = ErrorBody),
        (status = 404, description = "`blob.unknown`: no accepted attach op of a case in the caller's scope names this blob (sync first).", body = ErrorBody),
        (status = 410, description = "`blob.discarded`: no case references this blob, and an administrator discarded the quarantined attach ops of the caller's device that named it: the device may delete the bytes.", body = ErrorBody),
        (status = 409, description = "`blob.wrong_offset`: the chunk does not start where the stored bytes end; `Upload-Offset` says where they do.", body = ErrorBody),
        (status = 413, description = "`request.too_large`: the chunk is over 256 KiB. `blob.too_large`: the chunk would run past the size the attach op declared.", body = ErrorBody),
        (status = 415, description = "`request.content_type`: the chunk is not sent as `application/octet-stream`. `blob.wrong_type`: the first chunk's bytes are not of the media type the attach op declared (JPEG, PNG, WebP or PDF by their first bytes); nothing is stored.", body = ErrorBody),
        (status = 422, description = "`blob.hash_mismatch`: all bytes arrived but they are not the blob; nothing is kept, upload it again from 0.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    ApiPath(hash): ApiPath<String>,
    query: Result<ApiQuery<ChunkAt>, ApiError>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let hash = parse(&hash)?;
    let ApiQuery(ChunkAt { offset }) = query?;
    let octets = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/octet-stream"));
    if !octets {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.content_type",
            "send the chunk as Content-Type: application/octet-stream",
        ));
    }
    // Scope first: the body of a caller who may not upload this blob is
    // never read.
    let (Known { size, media_type }, _) = known(&state, &session, hash).await?;
    let chunk = axum::body::to_bytes(body, CHUNK_BYTES).await.map_err(|e| {
        // Over the limit, or cut short: a body that stalled past the
        // read timeout on a poor link, or a broken connection.
        let too_large = std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
            .any(|e| e.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request.too_large",
                format!("a chunk is at most {CHUNK_BYTES} bytes"),
            )
        } else {
            ApiError::bad_request(
                "request.unreadable",
                format!("the chunk could not be read whole ({e}); send it again"),
            )
        }
    })?;
    // The first chunk shows what the bytes are: a file that is not what
    // its attach op says (a HEIC named .jpg, a page a proxy answered) is
    // never stored, to be shown broken in the gallery, the print and the
    // bundle. Every blob's first chunk holds its signature whole.
    // A blob already whole answers as ever, whatever is sent.
    let mismatch = offset == 0 && shared::blob::sniff(&chunk) != Some(media_type.as_str());
    let store = state.store.clone();
    if mismatch && !tokio::task::spawn_blocking(move || store.blobs().has(&hash)).await? {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "blob.wrong_type",
            format!("the file's bytes are not {media_type}, as its attachment says"),
        ));
    }
    let store = state.store.clone();
    let (was_whole, appended, referenced) = tokio::task::spawn_blocking(move || {
        let blobs = store.blobs();
        let was_whole = blobs.has(&hash);
        let appended = blobs.append(&hash, session.device, size, offset, &chunk);
        // Its case may have been deleted (retention) since `known` looked,
        // and the deletion's removal of the files may have come before
        // these bytes: they would stay, referenced by nothing.
        (was_whole, appended, store.keep_blob_if_referenced(&hash))
    })
    .await?;
    if !referenced? {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "blob.unknown",
            "the case that named this file was deleted meanwhile",
        ));
    }
    let progress = match appended {
        Ok(p) => p,
        Err(BlobError::WrongOffset { offset, have }) => {
            let mut answer = ApiError::new(
                StatusCode::CONFLICT,
                "blob.wrong_offset",
                format!("the server holds {have} bytes of this blob; send from byte {have}, not {offset}"),
            )
            .into_response();
            answer.headers_mut().extend(upload_headers(have, size));
            return Ok(answer);
        }
        Err(e @ BlobError::TooLong { .. }) => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "blob.too_large",
                e.to_string(),
            ));
        }
        Err(e @ BlobError::HashMismatch { .. }) => {
            tracing::warn!(%hash, device = %session.device, "an uploaded blob failed its hash");
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "blob.hash_mismatch",
                format!("{e}; nothing was kept, upload it again from byte 0"),
            ));
        }
        Err(BlobError::Io(e)) => return Err(ApiError::io(e)),
    };
    let (offset, complete) = match progress {
        Progress::Complete => (size, true),
        Progress::Partial(n) => (n, false),
    };
    // Who sent the bytes is the session's, not the attach op's author: on
    // a shared tablet another user's login may upload them.
    if complete && !was_whole {
        tracing::info!(%hash, device = %session.device, "blob uploaded");
        let entry = audit_entry(
            &session,
            addr,
            "blob.uploaded",
            serde_json::json!({ "hash": hash.to_string(), "size": size }),
        );
        let store = state.store.clone();
        // The blob is stored whole: an error answered now would not undo
        // that, and the tablet, finding it whole, would never send it again.
        if let Err(e) = blocking(move || store.audit(entry)).await {
            tracing::error!(%hash, error = ?e, "a whole blob's upload was not written to the audit log");
        }
    }
    let answer = BlobUpload {
        offset,
        length: size,
        complete,
    };
    Ok((StatusCode::OK, upload_headers(offset, size), Json(answer)).into_response())
}

/// The bytes of a blob, with its attachment's media type, never cached by
/// the browser.
#[utoipa::path(get, path = "/api/v1/blobs/{hash}",
    params(("hash" = String, Path, description = "the blob's SHA-256, 64 lowercase hex digits")),
    responses(AnyRole,
        (status = 200, description = "The bytes, as the attachment's media type, with `Cache-Control: no-store` (the browser's cache does not key on the caller).", content_type = "application/octet-stream"),
        (status = 400, description = "`request.bad_id`: not a SHA-256.", body = ErrorBody),
        (status = 403, description = "`auth.password_change_required`; `blob.masked`: a complainant's signature, and the role may not see the complainant's personal data.", body = ErrorBody),
        (status = 404, description = "`not_found`: no case in the caller's scope references this blob. `blob.pending`: referenced, but its device (named in the message) has not uploaded it yet.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(hash): ApiPath<String>,
) -> Result<Response, ApiError> {
    let hash = parse(&hash)?;
    let store = state.store.clone();
    let scope = session.user.scope();
    let refs = tokio::task::spawn_blocking(move || store.blob_refs(&scope, &hash)).await??;
    // Out of scope answers like a blob nobody references: existence is
    // not revealed.
    let first = refs
        .in_scope
        .first()
        .ok_or_else(|| ApiError::not_found("blob"))?;
    // The complainant's signature identifies them as their name does; and
    // whether a user handles the case changes only what they see of the
    // phone, so no case is needed to decide.
    // Bytes that are a complainant's signature anywhere are one everywhere:
    // attached also as a photo (first, or in data stored before the push
    // refused that) they stay masked.
    let settings = super::settings(&state).await?;
    let sees_personal = shown(&settings, &session.user, None).name;
    if !sees_personal && refs.signature {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "blob.masked",
            "this is a complainant's signature, which your role may not see",
        ));
    }
    let media_type = HeaderValue::from_str(&first.media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let pending = pending(first);
    let store = state.store.clone();
    let file = tokio::task::spawn_blocking(move || store.blobs().open_blob(&hash))
        .await?
        .map_err(ApiError::internal)?
        .ok_or(pending)?;
    let len = file.metadata().map_err(ApiError::internal)?.len();
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    // Not in the browser's cache, as no answer of the API is
    // (`api::no_store`): the next user of a shared tablet would get the
    // bytes without the scope and masking checks above. The app keeps the
    // bytes it needs in IndexedDB itself.
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            (header::CONTENT_LENGTH, HeaderValue::from(len)),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// A SHA-256 from the path, or 400 `request.bad_id`.
fn parse(raw: &str) -> Result<BlobHash, ApiError> {
    super::path_id(raw, "blob (SHA-256)")
}

/// The size and media type the attach ops naming `hash` declare (one size: the push
/// quarantines an attach declaring another, `attachment.size_mismatch`),
/// and the upload's progress; 404 `blob.unknown` when no case in the
/// caller's scope names it (nor one where the caller made ops from this
/// device, which recorded the bytes), or 410 `blob.discarded` when no case at all
/// does and an administrator discarded the attach ops of the caller's
/// device that did.
async fn known(
    state: &AppState,
    session: &Session,
    hash: BlobHash,
) -> Result<(Known, Progress), ApiError> {
    let store = state.store.clone();
    let scope = session.user.scope();
    let device = session.device;
    let user = session.user.id;
    let admin = session.user.role == shared::role::Role::Admin;
    tokio::task::spawn_blocking(move || {
        let refs = store.blob_refs(&scope, &hash)?;
        // The tablet that took the photo uploads it after its user was
        // moved to other properties: set aside, it would wait on the
        // tablet for someone of the old property to log in there.
        let recorded = match refs.in_scope.first() {
            Some(first) => Some((first.size, first.media_type.clone())),
            None => store.blob_recorded_by(device, user, &hash)?,
        };
        let Some((size, media_type)) = recorded else {
            // An administrator importing a revoked tablet's file uploads
            // from the office's device: told of the records discarded on
            // any device, or a file whose record was discarded waited for
            // ever in the import's count.
            let of = (!admin).then_some(device);
            if store.blob_discarded(of, &hash)? {
                return Err(ApiError::new(
                    StatusCode::GONE,
                    "blob.discarded",
                    "an administrator discarded the record that named this file: \
                     the device may delete it",
                ));
            }
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "blob.unknown",
                "no synced attachment names this blob: push the attach op first",
            ));
        };
        let progress = store
            .blobs()
            .progress_toward(&hash, device, size)
            .map_err(ApiError::io)?;
        Ok((Known { size, media_type }, progress))
    })
    .await?
}

/// What the attach op that names a blob declared of it.
struct Known {
    size: u64,
    media_type: String,
}

/// 404 `blob.pending`, naming the device that holds the bytes.
fn pending(r: &BlobRef) -> ApiError {
    let message = match r.device_number {
        Some(n) => format!("the file has not been uploaded yet; it is on device {n}"),
        None => "the file has not been uploaded yet from the device that recorded it".into(),
    };
    ApiError::new(StatusCode::NOT_FOUND, "blob.pending", message)
}

/// The tus headers of an answer about an upload (never cached, as no
/// answer of the API is).
fn upload_headers(offset: u64, length: u64) -> [(HeaderName, HeaderValue); 2] {
    [
        (
            HeaderName::from_static(UPLOAD_OFFSET_HEADER),
            HeaderValue::from(offset),
        ),
        (
            HeaderName::from_static(UPLOAD_LENGTH_HEADER),
            HeaderValue::from(length),
        ),
    ]
}
