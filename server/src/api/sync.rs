//! Push and pull (see docs/sync.md).

use super::responses::{AnyRole, Authenticated, JsonBody};
use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiQuery, ErrorBody, blocking};
use crate::state::AppState;
use crate::store::{Answer, PullWriter, Pusher, Store, StoreError};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use shared::id::CaseId;
use shared::op::Op;
use shared::personal_data::{Shown, Visibility, shown};
use shared::wire::{
    MAX_REFUSALS_ASKED, PullResponse, PushRequest, PushResponse, RefusalsAsked, RefusalsSettled,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The most ops one push may carry; a device sends a longer outbox in turns.
pub const MAX_BATCH: usize = 2000;

/// The most ops a push queues on the request's own thread: writing out and
/// hashing them takes a few microseconds each, less than handing the batch
/// to a blocking thread and back, which under load waits for the scheduler.
const INLINE_BATCH: usize = 50;

/// Stores a batch of ops from the session's device.
#[utoipa::path(post, path = "/api/v1/sync/push", request_body = PushRequest,
    responses(Authenticated, JsonBody,
        (status = 200, description = "What was stored and acknowledged, and what went to quarantine.", body = PushResponse),
        (status = 400, description = "`sync.batch_too_large`, `sync.op_device_mismatch`, `sync.bad_seq`: the batch is refused whole. `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 403, description = "`auth.password_change_required`; `sync.device_mismatch`: the batch names a device other than the session's.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn push(
    State(state): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    if req.device != session.device {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "sync.device_mismatch",
            "the batch names a device other than the session's",
        ));
    }
    if req.ops.len() > MAX_BATCH {
        return Err(ApiError::bad_request(
            "sync.batch_too_large",
            format!("at most {MAX_BATCH} ops per push"),
        ));
    }
    if let Some(op) = req.ops.iter().find(|op| op.device != req.device) {
        return Err(ApiError::bad_request(
            "sync.op_device_mismatch",
            format!("op {} was made on another device", op.id),
        ));
    }
    if let Some(op) = req.ops.iter().find(|op| op.seq == 0) {
        return Err(ApiError::bad_request(
            "sync.bad_seq",
            format!("op {} has sequence 0; sequences start at 1", op.id),
        ));
    }
    let store = state.store.clone();
    let (user, token) = (session.user.clone(), session.token_hash.clone());
    let ceiling = state.clock_ceiling();
    let inline = req.ops.len() <= INLINE_BATCH;
    let queue = move || {
        let pusher = Pusher {
            device: req.device,
            user: &user,
            session: Some(&token),
            unproven: BTreeSet::new(),
        };
        queue(store, pusher, req.ops, ceiling)
    };
    let answer = if inline {
        queue()?
    } else {
        blocking(queue).await?
    };
    let answer = answer.wait().await?;
    if !answer.quarantined.is_empty() {
        tracing::warn!(device = %session.device, count = answer.quarantined.len(), "ops quarantined");
    }
    Ok(Json(answer))
}

/// What became of the ops of the session's device that the server set
/// aside: the tablet asks about those it still shows as waiting, since a
/// pull tells only of one re-applied in a case its user still sees.
#[utoipa::path(post, path = "/api/v1/sync/refusals", request_body = RefusalsAsked,
    responses(Authenticated, JsonBody,
        (status = 200, description = "Of the ops asked about, those an administrator re-applied or discarded.", body = RefusalsSettled),
        (status = 400, description = "`sync.too_many_refusals`: more ops than one request may ask about. `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 403, description = "`auth.password_change_required`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn refusals(
    State(state): State<AppState>,
    session: Session,
    ApiJson(asked): ApiJson<RefusalsAsked>,
) -> Result<Json<RefusalsSettled>, ApiError> {
    if asked.ops.len() > MAX_REFUSALS_ASKED {
        return Err(ApiError::bad_request(
            "sync.too_many_refusals",
            format!("at most {MAX_REFUSALS_ASKED} ops per request"),
        ));
    }
    let store = state.store.clone();
    // The session's device and user, never ones the request names: a
    // tablet learns only of the ops its user pushed from it.
    let pusher = (session.device, session.user.id);
    let settled = blocking(move || store.settled_refusals(pusher, &asked.ops)).await?;
    Ok(Json(RefusalsSettled { settled }))
}

/// Queues a push, and if no one is carrying out pushes, starts doing so on
/// a blocking thread, in one step: a request dropped between the two would
/// leave the queue with no one to carry it out.
fn queue(
    store: Arc<dyn Store>,
    pusher: Pusher<'_>,
    ops: Vec<Op>,
    ceiling: DateTime<Utc>,
) -> Result<Answer, StoreError> {
    let queued = store.queue_push(pusher, ops, Utc::now(), ceiling)?;
    if queued.lead {
        let lead = Lead(store);
        tokio::task::spawn_blocking(move || drop(lead));
    }
    Ok(queued.answer)
}

/// The lead of the push queue: carries out the queued pushes when dropped.
/// That is on the blocking thread it is sent to, or, when the runtime is
/// shutting down and drops that task unstarted, wherever it is dropped:
/// either way no queued push is left with no one to carry it out.
struct Lead(Arc<dyn Store>);

impl Drop for Lead {
    fn drop(&mut self) {
        self.0.carry_out_pushes();
    }
}

/// About how many bytes of a pull page go out at a time.
const PIECE: usize = 64 * 1024;

/// Pull parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    /// The cursor from the previous pull (0 at first).
    #[serde(default)]
    pub after: i64,
    /// The page size (default 500, at most 5000).
    #[serde(default = "default_limit")]
    pub limit: u32,
}

fn default_limit() -> u32 {
    500
}

/// The ops in the caller's scope after the cursor, and changed configuration.
#[utoipa::path(get, path = "/api/v1/sync/pull", params(PullQuery),
    responses(AnyRole,
        (status = 200, description = "The next page of ops and the configuration changed after the cursor.", body = PullResponse),
        (status = 400, description = "`request.bad_query`, `sync.bad_cursor`.", body = ErrorBody),
        (status = 409, description = "`sync.cursor_ahead`: the cursor is past every sequence number this server gave (its database was restored without `server new-epoch`).", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pull(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<impl IntoResponse, ApiError> {
    if q.after < 0 {
        return Err(ApiError::bad_request(
            "sync.bad_cursor",
            "after must not be negative",
        ));
    }
    let store = state.store.clone();
    let scope = session.user.scope();
    let user = session.user.clone();
    // The page goes out in pieces as the store reads it: the device
    // receives the first ops while the rest are read. The channel is
    // unbounded so that a slow device never holds a bulk-read thread or
    // its snapshot; what it can hold in memory is one page, at most
    // `MAX_PAGE_BYTES` of ops (the store ends a page of long ops sooner).
    let (pieces, mut received) = mpsc::unbounded_channel::<Result<Bytes, ApiError>>();
    let failed = pieces.clone();
    crate::bulk::start(
        move || {
            // Its device gave up while the read waited its turn (a server
            // behind on long reads): nobody would read the page.
            if pieces.is_closed() {
                return Ok(());
            }
            // What is shown may depend on the case (a department head sees the
            // phone of the cases they handle): decided once per case of the
            // page, from the case as the server folded it, by the settings
            // of the pull's own snapshot.
            let mut by_case: HashMap<CaseId, Shown> = HashMap::new();
            let mut json = PullWriter::default();
            let mut piece = String::with_capacity(PIECE + PIECE / 4);
            let end = store.pull(&scope, q.after, q.limit, &mut |op, settings, case| {
                let visible = match by_case.get(&op.case_id) {
                    Some(shown) => *shown,
                    None => {
                        // Only the case-dependent rule reads the case.
                        let depends_on_case =
                            settings.personal_data.get(user.role) == Visibility::PhoneWhenHandling;
                        let case = if depends_on_case {
                            case(op.case_id)?
                        } else {
                            None
                        };
                        let s = shown(settings, &user, case.as_ref());
                        by_case.insert(op.case_id, s);
                        s
                    }
                };
                // An op shown whole goes out as stored; only one to mask is
                // read and written again.
                if visible.all() {
                    json.op(&mut piece, op.server_seq, op.json);
                } else {
                    match serde_json::from_str::<Op>(op.json) {
                        Ok(read) => {
                            let masked = serde_json::to_string(&visible.op(&read))?;
                            json.op(&mut piece, op.server_seq, &masked);
                        }
                        // A newer release's op, held by a server rolled
                        // back after it: it cannot be masked, so this
                        // reader does not get it; failing the page would
                        // stop every op after it.
                        Err(e) => tracing::warn!(
                            server_seq = op.server_seq,
                            "a stored op this build cannot read, not sent to a reader who sees it masked: {e}"
                        ),
                    }
                }
                if piece.len() >= PIECE {
                    let full =
                        std::mem::replace(&mut piece, String::with_capacity(PIECE + PIECE / 4));
                    // A device that went away leaves the rest of the page
                    // unread by anyone, which costs only this read.
                    let _ = pieces.send(Ok(full.into()));
                }
                Ok(())
            })?;
            json.end(&mut piece, &end)?;
            let _ = pieces.send(Ok(piece.into()));
            Ok(())
        },
        move |e| {
            let _ = failed.send(Err(e));
        },
    )?;
    // A read that fails before its first piece answers with the error; one
    // that fails later can only cut the answer short, which the device
    // sees as a failed pull and asks again.
    let first = match received.recv().await {
        Some(Ok(first)) => first,
        Some(Err(e)) => return Err(e),
        None => return Err(ApiError::internal("a pull ended unanswered")),
    };
    let rest = futures_util::stream::unfold(received, |mut received| async move {
        let piece = received.recv().await?;
        Some((
            piece.map_err(|e| std::io::Error::other(e.to_string())),
            received,
        ))
    });
    // Fused: the compression layer polls its body once more after the end.
    let body = futures_util::stream::once(async move { Ok(first) })
        .chain(rest)
        .fuse();
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    ))
}

#[cfg(test)]
mod tests {
    use super::queue;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{Pusher, Store, StoreError};
    use chrono::Utc;
    use shared::id::{DeviceId, UserId};
    use shared::role::{Role, User};
    use std::collections::BTreeSet;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_push_queued_while_the_runtime_shuts_down_is_still_carried_out() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("cases.db")).expect("open"));
        let user = User {
            id: UserId(uuid::Uuid::now_v7()),
            login: "staff".into(),
            display_name: "员工".into(),
            role: Role::Staff,
            properties: Vec::new(),
            department: None,
            active: true,
        };
        // A runtime shutting down drops a blocking task it has not started.
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let handle = runtime.handle().clone();
        runtime.shutdown_background();
        let _inside = handle.enter();
        let device = DeviceId(uuid::Uuid::now_v7());
        // The server's state holds the store too, and keeps it open.
        let _state = store.clone();
        let pusher = Pusher {
            device,
            user: &user,
            session: None,
            unproven: BTreeSet::new(),
        };
        let answer = queue(store, pusher, Vec::new(), Utc::now()).expect("queued");
        let (sent, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sent.send(answer.wait_blocking());
        });
        // Not a timing: without a thread carrying the queue out, the
        // answer never comes.
        let answer = received
            .recv_timeout(Duration::from_secs(60))
            .expect("the queued push was carried out");
        // The device is unknown to the store; what counts is the answer.
        assert!(matches!(answer, Err(StoreError::NotFound(_))), "{answer:?}");
    }
}
