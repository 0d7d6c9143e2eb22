//! Keeping the small images of the cases on this device: after each sync,
//! the thumbnails (and signatures, which are small and have none) that the
//! device does not hold yet are fetched and kept, a few dozen per sync, so
//! a case's grid shows on site without a network. Whole photos are fetched
//! only when someone opens one (`gallery`), and let go of once their case
//! has been closed a while ([`let_go`]).

use super::gallery::may_see;
use crate::api::{ApiError, blobs};
use crate::db;
use crate::state::AppCtx;
use leptos::prelude::*;
use shared::blob::BlobHash;
use shared::case::AttachmentKind;
use shared::id::OpId;
use std::cell::RefCell;
use std::collections::HashSet;

/// The most images one sync fetches, so that a device joining a busy
/// property does not spend its first sync on pictures.
const PER_SYNC: usize = 40;

thread_local! {
    /// Images the server said it cannot give (masked, or not found) since
    /// the page loaded: not asked again until a reload.
    static REFUSED: RefCell<HashSet<BlobHash>> = RefCell::new(HashSet::new());
    /// Images still on a colleague's tablet when last asked: asked again,
    /// but after the others, so that many of them never crowd out the
    /// images the server holds.
    static PENDING: RefCell<HashSet<BlobHash>> = RefCell::new(HashSet::new());
}

/// Fetches and keeps up to [`PER_SYNC`] missing small images. Only losing
/// the network or the session stops it with an error.
pub async fn keep_small_images(ctx: AppCtx, token: &str) -> Result<(), ApiError> {
    let wanted: Vec<BlobHash> = ctx.cases.with_untracked(|cases| {
        cases
            .values()
            .flat_map(|c| c.attachments.iter())
            .filter(|a| may_see(ctx, a))
            .filter_map(|a| match (&a.thumbnail, a.kind) {
                (Some(t), _) => Some(t.hash),
                (None, AttachmentKind::Photo | AttachmentKind::Document) => None,
                (None, _) => a.hash,
            })
            .collect()
    });
    if wanted.is_empty() {
        return Ok(());
    }
    let held: HashSet<String> = db::blob_hashes().await?.into_iter().collect();
    let mut missing: Vec<BlobHash> = wanted
        .into_iter()
        .filter(|h| !held.contains(&h.to_string()))
        .filter(|h| !REFUSED.with(|r| r.borrow().contains(h)))
        .collect();
    missing.sort_by_key(|h| PENDING.with(|p| p.borrow().contains(h)));
    for hash in missing.into_iter().take(PER_SYNC) {
        match blobs::download(token, hash).await {
            Ok(blob) => {
                // Downloaded for the session that asked: one that ended
                // meanwhile (another user logged in, the tablet cleared for
                // them) keeps nothing of it.
                crate::sync::still_current(ctx, token)?;
                db::save_blob(hash, &blob).await?;
                PENDING.with(|p| p.borrow_mut().remove(&hash));
            }
            Err(e @ (ApiError::Network(_) | ApiError::Unauthorized { .. })) => return Err(e),
            // Still on a colleague's tablet, or not what was asked for (a
            // proxy's page): asked again at the next sync, as an app left
            // open all day would otherwise never show it offline.
            Err(e @ ApiError::Decode(_)) => leptos::logging::warn!("keeping image {hash}: {e}"),
            Err(e) if e.code() == Some("blob.pending") => {
                PENDING.with(|p| p.borrow_mut().insert(hash));
            }
            Err(e) => {
                leptos::logging::warn!("keeping image {hash}: {e}");
                REFUSED.with(|r| r.borrow_mut().insert(hash));
            }
        }
    }
    Ok(())
}

/// Drops the evidence bytes the device no longer keeps
/// (`shared::blob::kept_on_tablet`): the whole photos and documents of
/// cases closed or withdrawn a while ago, and bytes no case on the device
/// names; never bytes still to upload or set aside, nor those of the
/// device's ops the server refused, which exist nowhere else and still
/// show (as not taken), nor those of its own ops recent enough that a
/// restored server may ask for them again, nor those of its records made
/// under a former device id.
pub async fn let_go(ctx: AppCtx) -> Result<(), db::DbError> {
    // An attach op recorded meanwhile would not be among the cases read
    // below, and its bytes would go.
    let _turn = crate::record::between_recordings().await;
    // A restored server may lack bytes no upload names yet: they are all
    // offered to it again first (`upload::offer_again_if_owed`).
    if ctx
        .device
        .with_untracked(|d| d.as_ref().is_none_or(|d| d.reoffer))
    {
        return Ok(());
    }
    let mut kept = ctx.cases.with_untracked(|cases| {
        shared::blob::kept_on_tablet(cases.values().map(|c| &**c), crate::state::now())
    });
    kept.extend(
        ctx.uploads
            .with_untracked(|u| u.keys().copied().collect::<Vec<_>>()),
    );
    let Some(state) = ctx.device.get_untracked() else {
        return Ok(());
    };
    let refused: HashSet<OpId> = state.refused.iter().map(|r| r.op).collect();
    let now = crate::state::now();
    ctx.ops.with_value(|log| {
        let ops = log.cases().flat_map(|(_, ops)| ops);
        // And those of the device's own recent ops: a server restored from
        // a backup older than them asks for the ops again, and for their
        // bytes (`upload::offer_again_if_owed`), as long as the ops are
        // kept (`DeviceState::keeps`).
        kept.extend(
            ops.filter(|op| refused.contains(&op.id) || state.keeps(op, now))
                .flat_map(|op| op.blob_hashes()),
        );
        // The ops kept aside at another user's login keep their bytes for
        // a restored server (`scope::drop_cases`).
        kept.extend(log.kept().flat_map(|op| op.blob_hashes()));
    });
    let mut gone: Vec<BlobHash> = db::blob_hashes()
        .await?
        .iter()
        .filter_map(|key| key.parse::<BlobHash>().ok())
        .filter(|h| !kept.contains(h))
        .collect();
    // And those of the records made under a former device id, which only
    // this tablet holds now (`scope::drop_cases` keeps them too). Read
    // only when something would go: they are in no list held in memory.
    if !gone.is_empty() {
        let stranded: HashSet<BlobHash> = db::stranded_ops(state.device)
            .await?
            .iter()
            .flat_map(|op| op.blob_hashes())
            .collect();
        gone.retain(|h| !stranded.contains(h));
    }
    if !gone.is_empty() {
        let dropped = db::drop_blobs(&gone).await?;
        leptos::logging::log!("let go of {dropped} evidence files kept long enough");
    }
    Ok(())
}
