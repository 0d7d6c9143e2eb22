//! The error answers many operations share, for the OpenAPI document.
//!
//! A handler's `#[utoipa::path]` lists what the handler itself decides (its
//! success, its 400/403/404/409 with their codes) and names the sets here
//! for what the layers in front of it answer: [`Authenticated`],
//! [`AnyRole`], [`AdminOnly`] or [`StatisticsReaders`] for the [`Session`]
//! extractor and the role check, [`JsonBody`] for the JSON extractor
//! ([`CredentialsBody`] where it takes a login's few KiB). The sets come
//! first in `responses(...)`: a status the operation lists after
//! them replaces the set's, as the 422 of a body whose fields the handler
//! also bounds does. [`Middleware`] adds, to every operation, what the
//! middleware in [`super::router`] answers before any handler runs, the
//! `Session` extractor's `auth.device_revoked`, the 500 any store call can
//! end in and the 507 any write can.
//!
//! Every error answer has an [`ErrorBody`]; the descriptions name its codes.
//!
//! [`Session`]: crate::auth::Session

use super::{BODY_LIMIT, CREDENTIALS_LIMIT};
use crate::error::ErrorBody;
use std::collections::BTreeMap;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{IntoResponses, ToSchema};

const UNAUTHORIZED: &str = "`auth.missing_token`, `auth.invalid_token`, `auth.token_expired`: \
    no valid session; log in (again).";

/// The 403 the `Session` extractor gives a user whose password was set by
/// someone else, on every path but those in `auth::PASSWORD_CHANGE_PATHS`.
const PASSWORD_CHANGE_REQUIRED: &str =
    "`auth.password_change_required`: the user must set their own password first";

/// The 403 the `Session` extractor gives on every path to a device an
/// administrator revoked; [`Middleware`] adds it to every operation that
/// takes a session, with whatever else its 403 means.
const DEVICE_REVOKED: &str =
    "`auth.device_revoked`: an administrator revoked this device; no login works on it.";

/// The 401 of an operation that takes a session. Alone, for the paths a
/// user who must change their password may still use, and for operations
/// that list their own 403 (which names `auth.password_change_required`).
pub struct Authenticated;

impl IntoResponses for Authenticated {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors([(401, UNAUTHORIZED.into())])
    }
}

/// The 401 and 403 of an operation any role may use.
pub struct AnyRole;

impl IntoResponses for AnyRole {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors([
            (401, UNAUTHORIZED.into()),
            (403, format!("{PASSWORD_CHANGE_REQUIRED}.")),
        ])
    }
}

/// The 401 and 403 of an operation for the admin role only.
pub struct AdminOnly;

impl IntoResponses for AdminOnly {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors([
            (401, UNAUTHORIZED.into()),
            (
                403,
                format!("{PASSWORD_CHANGE_REQUIRED}; `auth.forbidden`: the role is not admin."),
            ),
        ])
    }
}

/// The 401 and 403 of the statistics, spot-check lists and exports
/// (`Role::reads_statistics`, property scope).
pub struct StatisticsReaders;

impl IntoResponses for StatisticsReaders {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors([
            (401, UNAUTHORIZED.into()),
            (
                403,
                format!(
                    "{PASSWORD_CHANGE_REQUIRED}; `auth.forbidden`: the role may not read \
                     statistics, or the `property` filter is outside the caller's scope."
                ),
            ),
        ])
    }
}

/// What the JSON extractor (`ApiJson`) answers for a body it cannot take.
/// A malformed body is a 400 (`request.malformed_json`), listed with each
/// operation's own 400 codes.
pub struct JsonBody;

impl IntoResponses for JsonBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors([
            (413, too_large(BODY_LIMIT)),
            (
                415,
                "`request.content_type`: the body is not sent as `Content-Type: application/json`."
                    .into(),
            ),
            (
                422,
                "`request.invalid_json`: the body does not match the schema.".into(),
            ),
        ])
    }
}

/// What the JSON extractor answers on the login and the password change:
/// as [`JsonBody`], but their bodies are limited to `CREDENTIALS_LIMIT`.
pub struct CredentialsBody;

impl IntoResponses for CredentialsBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = JsonBody::responses();
        responses.extend(errors([(413, too_large(CREDENTIALS_LIMIT))]));
        responses
    }
}

/// Adds the answers of the middleware (a malformed or too old
/// `x-client-schema` header, a declared body over the limit) and the 500
/// and 503 of a failed store call to every operation, merging a 400 with the
/// operation's own; `auth.device_revoked` to every operation that takes a
/// session, merging it with the operation's own 403; and the 507 of a full
/// disk to every operation that writes.
pub struct Middleware;

impl utoipa::Modify for Middleware {
    fn modify(&self, api: &mut OpenApi) {
        let operations = api.paths.paths.iter_mut().flat_map(|(path, item)| {
            let audited = audited_read(path);
            [
                (&mut item.get, audited),
                (&mut item.head, false),
                (&mut item.put, true),
                (&mut item.post, !READING_POSTS.contains(&path.as_str())),
                (&mut item.delete, true),
                (&mut item.patch, true),
            ]
            .into_iter()
            .filter_map(|(operation, writes)| Some((operation.as_mut()?, writes)))
        });
        for (operation, writes) in operations {
            let responses = &mut operation.responses.responses;
            add_or_merge(
                responses,
                400,
                "`client.bad_schema_header`: `x-client-schema` is not a number. \
                 `request.nul_character`: a text (in the body or the query) holds U+0000, \
                 which the database cannot store.",
            );
            add_or_merge(
                responses,
                409,
                "`client.server_older`: the `x-client-schema` header is above the server's own op \
                 schema (a server rolled back after a newer release); the tablet keeps its records.",
            );
            if operation.security.is_some() {
                add_or_merge(responses, 403, DEVICE_REVOKED);
            }
            let mut common = errors([
                (413, too_large(BODY_LIMIT)),
                (
                    426,
                    "`client.update_required`: the `x-client-schema` header is below the oldest \
                     op schema the server takes; reload the app."
                        .into(),
                ),
                (
                    500,
                    "`internal`: the server failed; the body says nothing more.".into(),
                ),
                (
                    503,
                    "`storage.unavailable`: the server cannot reach its database just now \
                     (PostgreSQL restarting or cut off, its connections all taken). A write cut \
                     off at its commit may have been done: send the same request again shortly \
                     (a push, or a save with `If-Match`, is taken once)."
                        .into(),
                ),
            ]);
            if writes {
                common.extend(errors([(
                    507,
                    "`storage.full`: the server's disk is full; nothing was done. Try again once \
                     an administrator has made room."
                        .into(),
                )]));
            }
            for (status, response) in common {
                responses.entry(status).or_insert(response);
            }
        }
    }
}

/// The POSTs that store nothing: a full disk cannot refuse them.
const READING_POSTS: [&str; 2] = ["/api/v1/admin/calendar/preview", "/api/v1/sync/refusals"];

/// Whether a GET on `path` writes: an export or a case's bundle leaves the
/// system as a file, audited before it is handed out.
fn audited_read(path: &str) -> bool {
    path.starts_with("/api/v1/exports/") || path == "/api/v1/cases/{id}/bundle.zip"
}

/// Adds an error answer, or appends its description to the operation's own
/// answer with that status.
fn add_or_merge(responses: &mut BTreeMap<String, RefOr<Response>>, status: u16, description: &str) {
    match responses.get_mut(&status.to_string()) {
        Some(RefOr::T(own)) => {
            own.description = format!("{} {description}", own.description);
        }
        _ => {
            responses.extend(errors([(status, description.into())]));
        }
    }
}

fn too_large(limit: usize) -> String {
    format!("`request.too_large`: the request body is over {limit} bytes.")
}

/// Error answers with an [`ErrorBody`], by status.
fn errors<const N: usize>(list: [(u16, String); N]) -> BTreeMap<String, RefOr<Response>> {
    list.into_iter()
        .map(|(status, description)| {
            let body = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .build();
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", body)
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}
