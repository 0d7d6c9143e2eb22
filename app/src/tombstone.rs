//! Cases the server deleted at the end of their retention period: a pull
//! brings each deletion once (`shared::wire::PulledDeletion`), and the
//! device drops the case, its ops, its evidence bytes and its pending
//! uploads, in the transaction that moves the pull cursor past it.
//!
//! Except this device's own ops the server has not acknowledged: the
//! outbox is the ops above `acked_seq` and the server takes sequence
//! numbers only without gaps, so dropping one would stop every later op
//! from syncing. They stay, unseen (a case without its registration is not
//! shown), are pushed, and the server quarantines them as `case.deleted`
//! and acknowledges their numbers; [`prune`] then drops them.

use crate::db::{self, DbError, Forget};
use crate::state::AppCtx;
use leptos::prelude::*;
use shared::blob::BlobHash;
use shared::id::{CaseId, OpId};
use shared::op::Op;
use std::collections::HashSet;

/// What deleting `cases` removes from this device, worked out from memory
/// (which mirrors IndexedDB).
pub fn plan(ctx: AppCtx, cases: &[CaseId]) -> Forget {
    if cases.is_empty() {
        return Forget::default();
    }
    let waiting = unacknowledged(ctx);
    let gone: HashSet<CaseId> = cases.iter().copied().collect();
    let (ops, mut blobs, elsewhere) = ctx.ops.with_value(|log| {
        let ops: Vec<OpId> = cases
            .iter()
            .flat_map(|id| log.ops_of(*id))
            .filter(|op| !waiting(op))
            .map(|op| op.id)
            .collect();
        // Bytes another case also names stay.
        let elsewhere: HashSet<BlobHash> = log
            .cases()
            .filter(|(id, _)| !gone.contains(id))
            .flat_map(|(_, ops)| ops.iter().flat_map(Op::blob_hashes))
            .collect();
        let blobs: HashSet<BlobHash> = cases
            .iter()
            .flat_map(|id| log.ops_of(*id).iter().flat_map(Op::blob_hashes))
            .filter(|h| !elsewhere.contains(h))
            .collect();
        (ops, blobs, elsewhere)
    });
    // An upload set aside (its attach op in quarantine) may name bytes of
    // an op this device no longer holds (another user logged in since):
    // they go with their case all the same.
    let set_aside: Vec<BlobHash> = ctx.uploads.with_untracked(|u| {
        u.values()
            .filter(|p| p.set_aside && gone.contains(&p.case_id) && !elsewhere.contains(&p.hash))
            .map(|p| p.hash)
            .collect()
    });
    blobs.extend(set_aside);
    let uploads = ctx.uploads.with_untracked(|u| {
        u.values()
            .filter(|p| gone.contains(&p.case_id) && blobs.contains(&p.hash))
            .map(|p| p.hash)
            .collect()
    });
    let mut deleted: Vec<CaseId> = ctx
        .deleted
        .with_untracked(|d| d.iter().copied().filter(|id| !gone.contains(id)).collect());
    deleted.extend(cases);
    Forget {
        ops,
        blobs: blobs.into_iter().collect(),
        uploads,
        deleted: Some(deleted),
    }
}

/// Takes a stored [`plan`] into memory: the cases leave the list (and an
/// open case screen says they were deleted).
pub fn apply(ctx: AppCtx, cases: &[CaseId], forget: &Forget) {
    if cases.is_empty() && forget.ops.is_empty() {
        return;
    }
    let ids: HashSet<OpId> = forget.ops.iter().copied().collect();
    ctx.ops.update_value(|log| {
        for id in cases {
            log.remove(*id, &ids);
        }
    });
    ctx.uploads.update(|u| {
        for hash in &forget.uploads {
            u.remove(hash);
        }
    });
    if let Some(deleted) = &forget.deleted {
        ctx.deleted.set(deleted.iter().copied().collect());
    }
    crate::pages::draft::forget_cases(cases);
    ctx.refold(cases.iter().copied());
}

/// Forgets which cases the server deleted, after a restore (a new epoch):
/// the restored server may hold one again (its deletion was after the
/// backup and could not be done again), and the list would drop it from
/// this tablet at every sync, for good. The pull from the start that the
/// new epoch brings names again the deletions the server still holds.
/// Done before the new epoch is stored: stored first, a tab closed in
/// between would never learn of the restore again.
pub async fn forget_deletions(ctx: AppCtx) -> Result<(), DbError> {
    if ctx.deleted.with_untracked(|d| d.is_empty()) {
        return Ok(());
    }
    let forget = Forget {
        deleted: Some(Vec::new()),
        ..Forget::default()
    };
    db::forget(&forget).await?;
    ctx.deleted.set(Default::default());
    Ok(())
}

/// Drops this device's ops of deleted cases that the server has
/// acknowledged since they were kept (see the module's note).
pub async fn prune(ctx: AppCtx) -> Result<(), DbError> {
    let cases: Vec<CaseId> = ctx.deleted.with_untracked(|d| d.iter().copied().collect());
    let waiting = unacknowledged(ctx);
    let ops: Vec<OpId> = ctx.ops.with_value(|log| {
        cases
            .iter()
            .flat_map(|id| log.ops_of(*id))
            .filter(|op| !waiting(op))
            .map(|op| op.id)
            .collect()
    });
    if ops.is_empty() {
        return Ok(());
    }
    let forget = Forget {
        ops,
        ..Forget::default()
    };
    db::forget(&forget).await?;
    apply(ctx, &cases, &forget);
    Ok(())
}

/// Whether an op is this device's and not yet acknowledged by the server.
fn unacknowledged(ctx: AppCtx) -> impl Fn(&Op) -> bool {
    let mine = ctx
        .device
        .with_untracked(|d| d.as_ref().map(|d| (d.device, d.acked_seq)));
    move |op| mine.is_some_and(|(device, acked)| op.device == device && op.seq > acked)
}
