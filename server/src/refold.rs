//! Brings the stored cases up to the current settings and calendar. A
//! case's row (its clocks, `next_due_at`) is what head office's overdue
//! lists and statistics read, and it was folded with the configuration of
//! its last op: after an admin loads next year's holidays, a case received
//! in late December would otherwise lack the clocks that year decides
//! until somebody touched it, and the untouched case is the overdue one.
//! Tablets fold every case again when the configuration reaches them; this
//! does the same on the server, in short write transactions so that pushes
//! go between them.

use crate::store::{Store, StoreResult};
use std::sync::Arc;

/// Cases folded in one write transaction: a few milliseconds of the writer.
const BATCH: usize = 100;

/// Folds again every case folded with an earlier configuration; answers
/// how many batches it took.
pub fn catch_up(store: &dyn Store) -> StoreResult<usize> {
    let mut after = None;
    let mut batches = 0;
    while let Some(last) = store.refold_stale(after, BATCH)? {
        after = Some(last);
        batches += 1;
    }
    Ok(batches)
}

/// [`catch_up`] on a thread of its own: after a configuration change, and
/// at start (a run cut short by a stop leaves its remaining cases stale).
pub fn in_background(store: Arc<dyn Store>) {
    std::thread::spawn(move || refold_all(store.as_ref()));
}

/// At start, on a thread of its own: what older builds kept in the
/// quarantine of deleted cases goes (`Store::forget_deleted_in_quarantine`),
/// then [`catch_up`].
pub fn at_start(store: Arc<dyn Store>) {
    std::thread::spawn(move || {
        match store.forget_deleted_in_quarantine() {
            Ok(0) => {}
            Ok(cleared) => tracing::info!(cleared, "quarantined ops of deleted cases forgotten"),
            Err(e) => tracing::warn!(error = %e, "forgetting quarantined ops of deleted cases"),
        }
        refold_all(store.as_ref());
    });
}

fn refold_all(store: &dyn Store) {
    match catch_up(store) {
        Ok(0) => {}
        Ok(batches) => tracing::info!(batches, "cases folded again with the current configuration"),
        Err(e) => tracing::warn!(error = %e, "folding cases again with the current configuration"),
    }
}
