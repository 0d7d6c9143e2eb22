//! Sending evidence bytes once the server holds the attach op that names
//! them (it refuses bytes no accepted op names). Each blob goes in chunks
//! of `shared::blob::CHUNK_BYTES`, from where `HEAD` says the server's copy
//! ends, so an upload cut off by a lost network, a closed tab or a server
//! restart continues where it stopped. The server checks the whole hash
//! before it keeps a blob; after a mismatch (the bytes changed in transit)
//! the upload starts once more from the first byte.

use crate::api::{ApiError, blobs};
use crate::db::{self, DbError, Forget, PendingUpload};
use crate::state::AppCtx;
use crate::sync_status::UploadProgress;
use leptos::prelude::*;
use shared::blob::{BlobHash, CHUNK_BYTES};

/// Uploads every waiting blob whose op the server acknowledged. A blob the
/// server refuses for its own reasons stays waiting, and the others go on;
/// losing the network or the session, or the server's disk full
/// (`storage.full`), stops the round, with that error; the server failing
/// on one file is said once the others went. One it takes no
/// bytes for (`blob.unknown`: the op went to quarantine, or its case left
/// the user's scope) or will never take (`blob.wrong_type`) is set aside:
/// offered again at every sync, but no longer holding the tablet against
/// another user's login. Once an
/// administrator discarded its op (`blob.discarded`), it is dropped.
pub async fn upload_waiting(ctx: AppCtx, token: &str) -> Result<(), ApiError> {
    let (current, acked) = ctx.device.with_untracked(|d| {
        d.as_ref()
            .map_or((None, 0), |d| (Some(d.device), d.acked_seq))
    });
    // A former device id's: tried at once, the server knows its op or
    // not (`blob.unknown` sets it aside).
    let ready: Vec<PendingUpload> = ctx.uploads.with_untracked(|u| {
        u.values()
            .filter(|p| p.seq <= acked || p.of_former_device(current))
            .cloned()
            .collect()
    });
    let mut result = Ok(());
    for pending in ready {
        match upload(ctx, token, &pending).await {
            Ok(()) => {
                db::finish_upload(pending.hash).await?;
                ctx.uploads.update(|u| {
                    u.remove(&pending.hash);
                });
            }
            Err(
                e @ (ApiError::Network(_)
                | ApiError::Unauthorized { .. }
                | ApiError::UpdateRequired
                | ApiError::Storage(_)),
            ) => {
                result = Err(e);
                break;
            }
            // The server's disk full, or the server unavailable: the next
            // file would fare no better. The sync says so; the bytes stay
            // here for the next sync.
            Err(
                e @ ApiError::Server {
                    status: 503 | 507, ..
                },
            ) => {
                result = Err(e);
                break;
            }
            // The server failing on this file: the others go on, and the
            // sync says so at the end.
            Err(
                e @ ApiError::Server {
                    status: 500..=599, ..
                },
            ) => {
                leptos::logging::warn!("upload of {}: {e}", pending.hash);
                result = Err(e);
            }
            Err(e) if e.code() == Some("blob.discarded") => {
                drop_discarded(ctx, &pending).await?;
            }
            // `blob.wrong_type`: bytes the server will never take (not
            // what their attachment says) hold nobody's login either. Set
            // aside again each time: the attempt itself took the mark off
            // (`upload`), as the server's `HEAD` answered.
            Err(e)
                if (e.code() == Some("blob.wrong_type")
                    || (e.code() == Some("blob.unknown") && !pending.set_aside))
                    && is_current(ctx, &pending) =>
            {
                let aside = PendingUpload {
                    set_aside: true,
                    ..pending
                };
                db::save_upload(&aside).await?;
                ctx.uploads.update(|u| {
                    u.insert(aside.hash, aside);
                });
            }
            Err(e) => leptos::logging::warn!("upload of {}: {e}", pending.hash),
        }
    }
    ctx.sync.update(|s| s.upload = None);
    result
}

/// Offers the evidence again if the device state says a restore is still
/// owed it ([`shared::device::DeviceState::reoffer`]), then clears the
/// mark: after the answer that brought the new epoch, and at every sync,
/// so that a tab closed or a save refused midway offers it all later.
/// A failure is logged and the mark kept: storage that refuses this must
/// not stop the ops from syncing, and the next sync tries again.
pub async fn offer_again_if_owed(ctx: AppCtx) {
    if !ctx
        .device
        .with_untracked(|d| d.as_ref().is_some_and(|d| d.reoffer))
    {
        return;
    }
    if let Err(e) = offer_and_clear(ctx).await {
        leptos::logging::error!("offering the evidence again after a restore: {e}");
    }
}

async fn offer_and_clear(ctx: AppCtx) -> Result<(), DbError> {
    offer_again(ctx).await?;
    let cleared = ctx.device.try_update(|d| {
        d.as_mut().map(|d| {
            d.reoffer = false;
            d.clone()
        })
    });
    if let Some(Some(state)) = cleared {
        db::save_state(&state).await?;
    }
    Ok(())
}

/// After the server was restored from a backup (a new epoch): offers
/// again every file this device's ops name and it still holds. The
/// restored server may lack bytes that were uploaded after the backup was
/// taken, whether their ops are in the backup or pushed again now, and the
/// device forgot their uploads once they were done. `HEAD` tells, file by
/// file, which the server still has: those finish at once.
async fn offer_again(ctx: AppCtx) -> Result<(), DbError> {
    let Some(device) = ctx.device.with_untracked(|d| d.as_ref().map(|d| d.device)) else {
        return Ok(());
    };
    let named: Vec<(BlobHash, shared::id::CaseId, u64)> = ctx.ops.with_value(|log| {
        log.cases()
            .flat_map(|(_, ops)| ops)
            .chain(log.kept())
            .filter(|op| op.device == device)
            .flat_map(|op| op.blob_hashes().map(move |h| (h, op.case_id, op.seq)))
            .collect()
    });
    for (hash, case_id, seq) in named {
        if ctx.uploads.with_untracked(|u| u.contains_key(&hash)) {
            continue;
        }
        let Some(bytes) = db::blob(hash).await? else {
            continue;
        };
        let pending = PendingUpload {
            hash,
            size: bytes.size() as u64,
            case_id,
            seq,
            device: Some(device),
            set_aside: false,
        };
        db::save_upload(&pending).await?;
        ctx.uploads.update(|u| {
            u.insert(hash, pending);
        });
    }
    Ok(())
}

/// Whether `pending` is still the upload entry of its bytes. Entries are
/// keyed by the bytes' hash: an op attaching the same bytes since this
/// round began replaced it, and only that newer entry may be changed.
fn is_current(ctx: AppCtx, pending: &PendingUpload) -> bool {
    ctx.uploads.with_untracked(|u| {
        u.get(&pending.hash)
            .is_some_and(|p| p.seq == pending.seq && p.case_id == pending.case_id)
    })
}

/// Drops the upload of bytes whose attach op an administrator discarded,
/// and the bytes too unless an op this device holds still shows them (the
/// discarded op itself, until another user logs in on the tablet).
async fn drop_discarded(ctx: AppCtx, pending: &PendingUpload) -> Result<(), DbError> {
    // The same bytes attached again while the server answered: that op's
    // save, still under way, stores them with a new upload entry, which
    // this must see before it decides (it would delete both otherwise).
    let _turn = crate::record::between_recordings().await;
    if !is_current(ctx, pending) {
        return Ok(());
    }
    let hash = pending.hash;
    let shown = ctx.ops.with_value(|log| {
        log.cases()
            .flat_map(|(_, ops)| ops)
            .any(|op| op.blob_hashes().any(|h| h == hash))
    });
    let forget = Forget {
        blobs: if shown { Vec::new() } else { vec![hash] },
        uploads: vec![hash],
        ..Forget::default()
    };
    db::forget(&forget).await?;
    ctx.uploads.update(|u| {
        u.remove(&hash);
    });
    Ok(())
}

async fn upload(ctx: AppCtx, token: &str, pending: &PendingUpload) -> Result<(), ApiError> {
    let Some(blob) = db::blob(pending.hash).await? else {
        return Err(ApiError::Decode(format!(
            "the bytes of {} are gone",
            pending.hash
        )));
    };
    let (offset, _) = blobs::progress(token, pending.hash).await?;
    if pending.set_aside && is_current(ctx, pending) {
        // The server takes the bytes again (an admin re-applied the op):
        // until they are up, they hold the tablet like any upload.
        let waiting = PendingUpload {
            set_aside: false,
            ..pending.clone()
        };
        db::save_upload(&waiting).await?;
        ctx.uploads.update(|u| {
            u.insert(waiting.hash, waiting);
        });
    }
    send_from(ctx, token, pending.hash, &blob, offset).await
}

/// Uploads `blob`, named `hash`, that came from elsewhere than this
/// device's store: a revoked tablet's records file, imported in the
/// office (`pages::admin::records`). The server takes it once the op that
/// names it is stored.
pub async fn send(
    ctx: AppCtx,
    token: &str,
    hash: BlobHash,
    blob: &web_sys::Blob,
) -> Result<(), ApiError> {
    let sent = match blobs::progress(token, hash).await {
        Ok((offset, _)) => send_from(ctx, token, hash, blob, offset).await,
        Err(e) => Err(e),
    };
    ctx.sync.update(|s| s.upload = None);
    sent
}

/// Sends `blob` in chunks from `offset`, where the server's copy ends.
async fn send_from(
    ctx: AppCtx,
    token: &str,
    hash: BlobHash,
    blob: &web_sys::Blob,
    mut offset: u64,
) -> Result<(), ApiError> {
    let total = blob.size() as u64;
    let mut restarted = false;
    while offset < total {
        ctx.sync.update(|s| {
            s.upload = Some(UploadProgress {
                sent: offset,
                total,
            })
        });
        let end = (offset + CHUNK_BYTES as u64).min(total);
        let chunk = blob
            .slice_with_f64_and_f64(offset as f64, end as f64)
            .map_err(|e| ApiError::Decode(super::js_error(e)))?;
        match blobs::put_chunk(token, hash, offset, &chunk).await {
            Ok(answer) if answer.complete => return Ok(()),
            Ok(answer) => offset = answer.offset,
            // Another tab (or an answer lost on the way) moved the
            // server's copy on: continue from where it ends.
            Err(e) if e.code() == Some("blob.wrong_offset") => {
                offset = blobs::progress(token, hash).await?.0;
            }
            Err(e) if e.code() == Some("blob.hash_mismatch") && !restarted => {
                restarted = true;
                offset = 0;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
