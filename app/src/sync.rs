//! The sync engine: push the outbox (at least one request, so the device
//! learns the server's epoch and acknowledgement), then pull until the
//! server has no more, storing each page durably before moving the cursor
//! (with the cases the server deleted, `crate::tombstone`), then upload the evidence bytes of acknowledged ops
//! (`crate::evidence::upload`) and keep the small images of the device's
//! cases (`crate::evidence::prefetch`).
//!
//! It runs on start, every 30 seconds, when the browser comes back online,
//! after each local save, and from the sync button. A flag makes sure only
//! one sync runs at a time (a request meanwhile runs once more after it);
//! after a failure the automatic attempts back off with
//! `shared::device::backoff`. Without a session (the login screen) the same
//! schedule only asks `/healthz`, so the header can still say whether the
//! server answers.
//!
//! The header's pill says what the last attempt found ([`Link`]): 在线 only
//! after the server answered it. An answer that the server no longer
//! accepts this device (`auth.device_revoked`, or `auth.invalid_token`,
//! which is what a revoked device's token gets, or `auth.token_expired`,
//! a session left unused for its whole life) blocks the device
//! ([`crate::blocked::Blocked`]) and stops syncing until a login succeeds.

use crate::api::{self, ApiError};
use crate::blocked::Blocked;
use crate::db;
use crate::state::{AppCtx, now};
use crate::sync_status::Link;
use chrono::{DateTime, Duration, Utc};
use futures::future::join;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::device::{DeviceState, backoff};
use shared::id::CaseId;
use shared::op::Op;
use shared::wire::{PushRequest, SettledRefusal, Settlement};
use std::collections::HashSet;

/// The most ops sent in one push (the server takes up to 2000).
pub(crate) const PUSH_BATCH: usize = 500;
/// The most bytes of ops' JSON sent in one push: a batch of long notes
/// goes in several requests, each well under what the server reads
/// (`MAX_REQUEST_BYTES`), under the 1 MiB a proxy in front of it commonly
/// reads (nginx's default), and short enough for a weak mobile link.
pub(crate) const PUSH_BYTES: usize = 768 * 1024;
const _: () = assert!(PUSH_BYTES < shared::wire::MAX_REQUEST_BYTES / 2);
/// The smallest a push is made after failures: a few long notes.
const PUSH_BYTES_LEAST: usize = 16 * 1024;

thread_local! {
    /// The bytes the next push may carry: halved after a push that did
    /// not go through (a link so weak that a full batch never arrives in
    /// time, a proxy that takes less than 1 MiB), doubled back after each
    /// that did. Otherwise the same batch would fail the same way for ever.
    static PUSH_BUDGET: std::cell::Cell<usize> = const { std::cell::Cell::new(PUSH_BYTES) };
}

/// After a push that failed for its size or its time (`fits`: it went
/// through) the next one carries half, or twice.
fn adapt_push_budget(fits: bool) {
    PUSH_BUDGET.with(|b| {
        let next = if fits { b.get() * 2 } else { b.get() / 2 };
        b.set(next.clamp(PUSH_BYTES_LEAST, PUSH_BYTES));
    });
}
/// The page size of a pull (the server takes up to 5000): large pages,
/// because a first sync of a busy property is thousands of ops.
const PULL_LIMIT: u32 = 2000;
/// How often an idle, healthy device syncs.
const PERIOD_SECS: i64 = 30;

/// Starts the background loop: a 5-second tick that syncs when an attempt
/// is due, and the `online` event that makes one due at once.
pub fn start(ctx: AppCtx) {
    request(ctx);
    set_interval(
        move || {
            ctx.now.set(now());
            let due = ctx
                .sync
                .with_untracked(|s| s.next_at.is_none_or(|at| at <= now()));
            if due && online() {
                request(ctx);
            }
        },
        std::time::Duration::from_secs(5),
    );
    let handle = window_event_listener(leptos::ev::online, move |_| request(ctx));
    // The browser knows for sure when it has no network at all.
    let offline = window_event_listener(leptos::ev::offline, move |_| {
        ctx.sync.update(|s| s.link = Link::Offline);
    });
    // The app lives as long as the page; the listeners must too.
    std::mem::forget(handle);
    std::mem::forget(offline);
}

fn online() -> bool {
    window().navigator().on_line()
}

/// Runs a sync now, or once more after the one running. Without a session
/// that may sync (logged out, or held at the password change) it only
/// checks that the server answers; on a blocked device it does nothing.
pub fn request(ctx: AppCtx) {
    if ctx.blocked.get_untracked().is_some() {
        return;
    }
    if ctx.sync.with_untracked(|s| s.running) {
        ctx.sync.update(|s| s.queued = true);
        return;
    }
    let token = ctx.session.with_untracked(|s| {
        s.as_ref()
            .filter(|s| !s.must_change_password)
            .map(|s| s.token.clone())
    });
    let has_state = ctx.device.with_untracked(Option::is_some);
    ctx.sync.update(|s| {
        s.running = true;
        s.queued = false;
    });
    let Some(token) = token.filter(|_| has_state) else {
        spawn_local(async move {
            let result = api::health().await;
            finish(ctx, now(), result.map(|()| false));
        });
        return;
    };
    spawn_local(async move {
        let result = run(ctx, &token).await;
        let held = *result.as_ref().unwrap_or(&0);
        if !same_session(ctx, &token) {
            // The user logged out, or another logged in, while it ran: what
            // it brought was not taken, and its errors (the old token's
            // 401) are not the new session's. The new session syncs anew.
            ctx.sync.update(|s| s.running = false);
            request(ctx);
            return;
        }
        match result.as_ref().err().and_then(ApiError::code) {
            Some("auth.password_change_required") => password_change_required(ctx).await,
            Some("auth.device_revoked") => ctx.block(Blocked::Revoked),
            Some("auth.invalid_token" | "auth.token_expired") => ctx.block(Blocked::SessionEnded),
            _ => {}
        }
        let at = now();
        if result.is_ok()
            && let Err(e) = db::save_last_sync(at).await
        {
            leptos::logging::warn!("storing the last sync time: {e}");
        }
        ctx.sync.update(|s| s.held = held);
        finish(ctx, at, result.map(|_| true));
    });
}

/// Records how an attempt ended: `Ok(true)` for a sync, `Ok(false)` for
/// a health check. Then runs a queued attempt, or reloads a
/// page the server says is too old.
fn finish(ctx: AppCtx, at: DateTime<Utc>, result: Result<bool, ApiError>) {
    ctx.sync.update(|s| {
        s.running = false;
        match result {
            Ok(synced) => {
                s.link = Link::Online;
                s.error = None;
                s.failures = 0;
                s.next_at = Some(at + Duration::seconds(PERIOD_SECS));
                if synced {
                    s.last_ok = Some(at);
                    s.synced = true;
                }
            }
            Err(e) => {
                s.link = match e {
                    ApiError::Network(_) => Link::Offline,
                    _ => Link::Failed(e.clone()),
                };
                s.synced = false;
                s.next_at = Some(at + backoff(s.failures));
                s.failures = s.failures.saturating_add(1);
                s.error = Some(e);
            }
        }
    });
    match ctx.sync.with_untracked(|s| s.error.clone()) {
        Some(ApiError::UpdateRequired) => {
            crate::update::required(ctx);
            return;
        }
        None => crate::update::current(ctx),
        Some(_) => {}
    }
    if ctx.sync.with_untracked(|s| s.queued) {
        request(ctx);
    }
}

/// One sync: push everything waiting, then pull every page.
///
/// Every sync pushes at least once, even with an empty outbox, so the
/// device learns the server's epoch and acknowledgement before it pulls: a
/// server restored from a backup (a new epoch) is found at once, and the
/// ops it lost become the outbox again. A pulled page of another epoch
/// (the server was restored between the push and the pull) is not taken:
/// the sync pushes and pulls again, from the cursor the new epoch reset.
async fn run(ctx: AppCtx, token: &str) -> Result<u64, ApiError> {
    ask_record_key(ctx, token).await;
    // Bounded: a server whose epoch changes at every request must not keep
    // the device syncing forever.
    // A restore learnt earlier may still be owed the evidence (the tab
    // closed before it was all offered).
    crate::evidence::upload::offer_again_if_owed(ctx).await;
    for _ in 0..EPOCH_RETRIES {
        // A push the server keeps refusing (an answer that acknowledges
        // nothing, a batch it fails on) must not cut the tablet off from
        // its colleagues' work, nor hold its photos: the pull and the
        // uploads go on, and the sync reports the push's error. Without
        // the network, the session or the right version, nothing else
        // would work either.
        let (pushed, push_failed) = match push_all(ctx, token).await {
            Ok(pushed) => (pushed, None),
            Err(e) if stops_the_sync(&e) => return Err(e),
            Err(e) => {
                leptos::logging::warn!("pushing: {e}; pulling and uploading all the same");
                (Pushed::default(), Some(e))
            }
        };
        crate::tombstone::prune(ctx).await?;
        let pulled = pull_all(ctx, token).await;
        if let Err(e) = &pulled {
            // A pull that keeps failing (the storage full, a page this
            // version cannot read) holds neither the evidence the pushed
            // ops name, which needs no storage to go up, nor the letting
            // go of what the server holds, which frees it.
            leptos::logging::warn!("pulling: {e}; uploading and letting go all the same");
            if let Err(e) = crate::evidence::upload::upload_waiting(ctx, token).await {
                leptos::logging::warn!("uploading evidence: {e}");
            }
            if let Err(e) = crate::evidence::prefetch::let_go(ctx).await {
                leptos::logging::warn!("letting go of old evidence: {e}");
            }
        }
        // Both failed: the push's error is the one to tell (the pull may
        // only have found what the push would have told it, a restore),
        // unless the pull's stops the sync itself (a session ended between
        // the two: the device must be told).
        if let (Err(pull), Some(push)) = (&pulled, &push_failed)
            && !stops_the_sync(pull)
        {
            return Err(push.clone());
        }
        match pulled? {
            Pulled::Done => {
                // Marked with the refusal, in storage: an earlier sync
                // whose pull was cut short left it to this one.
                if ctx
                    .device
                    .with_untracked(|d| d.as_ref().is_some_and(|d| d.clock_ahead))
                {
                    forget_clock_ahead(ctx, token).await?;
                }
                // What stops the uploads is said once the rest is done.
                let uploaded = crate::evidence::upload::upload_waiting(ctx, token).await;
                // Space first, then the thumbnails: a storage that is full
                // must not fail every sync, nor keep what frees it from
                // running. A thumbnail not kept is fetched at the next.
                if let Err(e) = crate::evidence::prefetch::let_go(ctx).await {
                    leptos::logging::warn!("letting go of old evidence: {e}");
                }
                if let Err(e) = crate::evidence::prefetch::keep_small_images(ctx, token).await {
                    leptos::logging::warn!("keeping thumbnails: {e}");
                }
                if let Err(e) = forget_other_epochs(ctx).await {
                    leptos::logging::warn!("forgetting what the server lost: {e}");
                }
                if let Err(e) = settle_refusals(ctx, token).await {
                    leptos::logging::warn!("asking about the records set aside: {e}");
                }
                if let Some(e) = push_failed {
                    return Err(e);
                }
                uploaded?;
                // The rest of the sync went on: the user still gets the
                // others' changes, and the uploads a colleague's login
                // would otherwise wait for are made. The sync is done;
                // the indicator says what waits (`SyncStatus::held`).
                if pushed.held > 0 {
                    return Ok(pushed.held);
                }
                // Everything sent: the cases of a scope or role the user
                // no longer has go, and the next sync pulls the new ones.
                match crate::scope::settle(ctx, token).await {
                    Ok(true) => ctx.sync.update(|s| s.queued = true),
                    Ok(false) => {}
                    Err(e) => leptos::logging::error!("clearing another scope's cases: {e}"),
                }
                return Ok(0);
            }
            Pulled::EpochChanged => continue,
        }
    }
    Err(ApiError::Server {
        status: 409,
        code: "sync.epoch_changed".into(),
        message: "the server's epoch kept changing".into(),
    })
}

/// Asks what became of this device's ops the server set aside and that
/// still wait for an administrator (`DeviceState::waiting_refusals`): a
/// pull brings back one re-applied only in a case the user still sees,
/// and tells nothing of one discarded, which the header would otherwise
/// count as waiting for ever.
async fn settle_refusals(ctx: AppCtx, token: &str) -> Result<(), ApiError> {
    let asks = ctx
        .device
        .with_untracked(|d| d.as_ref().map(DeviceState::waiting_refusals))
        .unwrap_or_default();
    for ops in asks {
        let answer = api::settled_refusals(token, &shared::wire::RefusalsAsked { ops }).await?;
        take_settled(ctx, &answer.settled).await?;
    }
    Ok(())
}

/// Takes in one answer about refused ops, stored before the next is asked.
async fn take_settled(ctx: AppCtx, settled: &[SettledRefusal]) -> Result<(), ApiError> {
    let case_of = |outcome: Option<Settlement>| {
        ctx.device.with_untracked(|d| {
            d.as_ref().map_or_else(Vec::new, |d| {
                d.refused
                    .iter()
                    .filter(|r| {
                        settled
                            .iter()
                            .any(|s| s.op == r.op && outcome.is_none_or(|o| o == s.outcome))
                    })
                    .map(|r| r.case_id)
                    .collect::<Vec<CaseId>>()
            })
        })
    };
    // A case deleted since goes as a pulled deletion takes it (a user moved
    // to other properties pulls no deletion of a case of the old ones):
    // first, so that a tab closed in between asks again and finds it gone.
    let gone = case_of(Some(Settlement::CaseDeleted));
    if !gone.is_empty() {
        let forget = crate::tombstone::plan(ctx, &gone);
        db::forget(&forget).await?;
        crate::tombstone::apply(ctx, &gone, &forget);
    }
    let cases = case_of(None);
    // The change and its write in one turn (`crate::state`).
    let taken = ctx
        .device
        .try_update(|d| d.as_mut().map(|d| (d.take_settled(settled), d.clone())));
    if let Some(Some((true, snapshot))) = taken {
        db::save_state(&snapshot).await?;
        // A re-applied op counts on the tablet now, as on the server.
        ctx.refold(cases);
    }
    Ok(())
}

/// Whether a push's error ends the sync: without the network, a session,
/// the right version or the server's patience, a pull would fail too (or
/// must not run: another session's token).
fn stops_the_sync(e: &ApiError) -> bool {
    match e {
        ApiError::Network(_)
        | ApiError::Unauthorized { .. }
        | ApiError::RateLimited { .. }
        | ApiError::UpdateRequired => true,
        ApiError::Server { code, .. } => code.starts_with("auth."),
        _ => false,
    }
}

/// After a restore (a new epoch), once everything was pulled again: the
/// pages pulled in an earlier epoch go, and the ops only they held leave
/// memory. The server lost those ops with the restore; their tablets send
/// again what they made, and what nobody sends again (a tablet reset, an
/// op set aside now) must not stay on this one as if the server held it.
async fn forget_other_epochs(ctx: AppCtx) -> Result<(), crate::db::DbError> {
    let Some(epoch) = ctx.device.with_untracked(|d| d.as_ref().map(|d| d.epoch)) else {
        return Ok(());
    };
    let gone = db::forget_other_epochs(epoch).await?;
    if gone.is_empty() {
        return Ok(());
    }
    let mut cases = std::collections::HashSet::new();
    ctx.ops.update_value(|log| {
        for (case, ids) in &gone {
            log.remove(*case, ids);
            cases.insert(*case);
        }
    });
    ctx.refold(cases);
    Ok(())
}

/// Whether the session that started a sync with `token` is still the one
/// logged in.
fn same_session(ctx: AppCtx, token: &str) -> bool {
    ctx.token().as_deref() == Some(token)
}

/// Stops a sync whose session ended while it awaited an answer or a save:
/// the device state in memory is the next session's by then (its cursor
/// reset for another user), and an answer to the old session must not move
/// it, nor its pages land in the new user's store. Called in the same turn
/// as the update or save it guards, so nothing changes in between.
pub(crate) fn still_current(ctx: AppCtx, token: &str) -> Result<(), ApiError> {
    if same_session(ctx, token) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized {
            code: "auth.no_session".into(),
        })
    }
}

/// How many push-then-pull rounds one sync tries when the epoch changes.
const EPOCH_RETRIES: usize = 3;

/// How many answers in one sync may set the device back (lower its
/// acknowledgement, or change the epoch) before it gives up until the next
/// attempt. Between setbacks the acknowledgement only grows, up to the
/// last op made, so the push loop always ends.
const MAX_SETBACKS: u32 = 3;

/// After the server refused ops for a clock out of range, and the pull
/// took in what it accepted: the device's clock ran ahead, and its later
/// ops must not carry that time on (`DeviceState::forget_clock_ahead`).
async fn forget_clock_ahead(ctx: AppCtx, token: &str) -> Result<(), ApiError> {
    still_current(ctx, token)?;
    // The server will take an op not sent yet (recorded during the sync,
    // held for its author's login) whose clock is not ahead of its own,
    // and a later op must order after it: the clock goes back no further.
    // One ahead of the server's time, as the tablet last heard it, is
    // the clock being forgotten: the server will refuse it too.
    let server_now_ms = js_sys::Date::now() + crate::clock::skew().get_untracked() as f64 * 1000.0;
    let unsent = untrack(|| ctx.unsent());
    let snapshot = ctx.device.try_update(|d| {
        d.as_mut().map(|d| {
            let refused = d.refused_ops();
            d.forget_clock_ahead(
                unsent
                    .iter()
                    .filter(|op| {
                        !refused.contains(&op.id) && op.hlc.wall_ms as f64 <= server_now_ms
                    })
                    .map(|op| op.hlc)
                    .max(),
            );
            d.clone()
        })
    });
    if let Some(Some(snapshot)) = snapshot {
        db::save_state(&snapshot).await?;
    }
    Ok(())
}

/// What a [`push_all`] left.
#[derive(Default)]
struct Pushed {
    /// The ops that wait for another user's login: from the first op of
    /// the outbox another user made on.
    held: u64,
}

/// Pushes the outbox a batch at a time; always sends at least one request,
/// an empty batch when nothing waits.
///
/// A batch holds at most [`PUSH_BATCH`] ops and [`PUSH_BYTES`] of them, so
/// an outbox of long notes never stalls behind its own size.
///
/// The server takes an op only from its author, and a device's ops only in
/// order: a colleague's op, kept aside at a switch and asked for again by
/// a server restored from a backup, waits for their login, and the ops
/// after it wait with it ([`Pushed::held`]). Sent under this session it
/// would be refused for good.
async fn push_all(ctx: AppCtx, token: &str) -> Result<Pushed, ApiError> {
    let mut pushed = Pushed::default();
    let mut setbacks = 0;
    loop {
        let Some((device, acked)) = ctx
            .device
            .with_untracked(|d| d.as_ref().map(|d| (d.device, d.acked_seq)))
        else {
            return Ok(pushed);
        };
        let Some(user) = ctx
            .session
            .with_untracked(|s| s.as_ref().map(|s| s.user.id))
        else {
            return Ok(pushed);
        };
        let own = |acked: u64| {
            ctx.ops.with_value(|log| {
                let mut outbox = log.outbox(device, acked);
                let own = outbox.iter().take_while(|op| op.author == user).count();
                outbox.truncate(own);
                outbox
            })
        };
        let budget = PUSH_BUDGET.with(std::cell::Cell::get);
        let batch = batch(own(acked), PUSH_BATCH, budget);
        let request = PushRequest { device, ops: batch };
        let answer = match api::push(token, &request).await {
            Ok(answer) => {
                adapt_push_budget(true);
                answer
            }
            Err(e) => {
                // Too big or too slow, not merely offline: a tablet is
                // offline most of the day, and its batches must not shrink
                // for that.
                let too_much = match &e {
                    ApiError::Network(why) => why.contains("TimeoutError"),
                    ApiError::Server { status, .. } => *status == 413,
                    _ => false,
                };
                if too_much {
                    adapt_push_budget(false);
                }
                return Err(e);
            }
        };
        still_current(ctx, token)?;
        // The refusals are stored with the acknowledgement that covers
        // their ops, in one write: an op acknowledged is never shown as
        // accepted for want of its refusal.
        let taken = ctx.device.try_update(|d| {
            d.as_mut().map(|d| {
                let refused = d.take_refusals(&answer.quarantined, &request.ops);
                // 0: the first answer this device ever had, not a restore.
                let restored = d.epoch != 0 && d.epoch != answer.epoch;
                let changed = d.take_answer(answer.acked_seq, answer.expected_seq, answer.epoch);
                d.mark_acked(crate::state::now());
                (changed, refused, restored, d.clone())
            })
        });
        let Some(Some((changed, refused, restored, snapshot))) = taken else {
            return Ok(pushed);
        };
        if restored {
            crate::tombstone::forget_deletions(ctx).await?;
        }
        if changed || refused {
            db::save_state(&snapshot).await?;
        }
        if restored {
            crate::evidence::upload::offer_again_if_owed(ctx).await;
        }
        if refused {
            ctx.refold(request.ops.iter().map(|op| op.case_id));
        }
        if snapshot.pending() == 0 {
            return Ok(pushed);
        }
        if own(snapshot.acked_seq).is_empty() {
            pushed.held = snapshot.pending();
            return Ok(pushed);
        }
        if !changed {
            // The server waits for an op only a newer build can read and
            // send: the newer build is what is missing.
            let waits_for_newer = answer
                .expected_seq
                .is_some_and(|seq| ctx.ops.with_value(|log| log.unreadable.contains(&seq)));
            if waits_for_newer {
                return Err(ApiError::UpdateRequired);
            }
            // The server kept nothing new: resending the same batch would
            // loop forever. Report it; the next attempt backs off.
            return Err(not_acknowledged(&answer));
        }
        if snapshot.acked_seq <= acked {
            setbacks += 1;
            if setbacks > MAX_SETBACKS {
                return Err(not_acknowledged(&answer));
            }
        }
    }
}

/// The first ops of `outbox` that make one push: at most `most` of them,
/// and only as many as fit in `bytes` of JSON, but always the first.
pub(crate) fn batch(outbox: Vec<Op>, most: usize, bytes: usize) -> Vec<Op> {
    let mut left = bytes;
    let mut taken = Vec::new();
    for op in outbox.into_iter().take(most.max(1)) {
        // An op that cannot be written out is the server's to judge.
        let size = serde_json::to_string(&op).map_or(0, |json| json.len() + 1);
        if size > left && !taken.is_empty() {
            break;
        }
        left = left.saturating_sub(size);
        taken.push(op);
    }
    taken
}

fn not_acknowledged(answer: &shared::wire::PushResponse) -> ApiError {
    ApiError::Server {
        status: 409,
        code: "sync.not_acknowledged".into(),
        message: format!(
            "acked {} expected {:?} epoch {}",
            answer.acked_seq, answer.expected_seq, answer.epoch
        ),
    }
}

/// How a pull ended.
enum Pulled {
    /// The server has nothing more.
    Done,
    /// A page came from another epoch than the device's: the server was
    /// restored since the last push. The page was not taken.
    EpochChanged,
}

/// Pulls every page. The next page is fetched while the previous one is
/// written to IndexedDB, and the cases are folded and redrawn at most every
/// [`REDRAW_EVERY_MS`] and at the end, not after each page: on a tablet
/// joining a busy property that is most of the time a first sync takes.
async fn pull_all(ctx: AppCtx, token: &str) -> Result<Pulled, ApiError> {
    let mut unfolded = HashSet::new();
    let result = pull_pages(ctx, token, &mut unfolded).await;
    // Whatever happened, every stored op is shown.
    ctx.refold(unfolded);
    result
}

/// How often a long pull redraws the cases it brought so far.
const REDRAW_EVERY_MS: i64 = 500;

async fn pull_pages(
    ctx: AppCtx,
    token: &str,
    unfolded: &mut HashSet<CaseId>,
) -> Result<Pulled, ApiError> {
    let Some((cursor, epoch)) = ctx
        .device
        .with_untracked(|d| d.as_ref().map(|d| (d.cursor, d.epoch)))
    else {
        return Ok(Pulled::Done);
    };
    let mut page = api::pull(token, cursor, PULL_LIMIT).await?;
    let mut drawn_at = now();
    loop {
        still_current(ctx, token)?;
        if page.epoch != epoch {
            return Ok(Pulled::EpochChanged);
        }
        // Each op read on its own: one this build cannot read (a newer
        // release's) is stored as written for a later build, and the
        // others go on (`api::RawPulledOp`).
        let written: Vec<_> = std::mem::take(&mut page.ops)
            .into_iter()
            .map(|p| p.op)
            .collect();
        let ops: Vec<Op> = written
            .iter()
            .filter_map(|raw| {
                serde_json::from_str::<Op>(raw.get())
                    .inspect_err(|e| {
                        leptos::logging::warn!("a pulled op this build cannot read, kept: {e}")
                    })
                    .ok()
            })
            .collect();
        let deleted: Vec<CaseId> = page.deletions.iter().map(|d| d.case_id).collect();
        let forget = crate::tombstone::plan(ctx, &deleted);
        // Every item is read before the page is stored, so one this
        // version cannot read fails the page as a whole, as an op would.
        let (config, stored): (Vec<_>, Vec<_>) = std::mem::take(&mut page.config)
            .into_iter()
            .map(|c| {
                let json = c.value.to_string();
                let item = crate::state::parse_config(c.key, &json).ok_or_else(|| {
                    ApiError::Decode(format!("configuration {} of the pull", c.key.code()))
                })?;
                Ok((item, (c.key.code().to_string(), json)))
            })
            .collect::<Result<Vec<_>, ApiError>>()?
            .into_iter()
            .unzip();
        let at = now();
        let snapshot = ctx.device.with_untracked(|d| {
            d.as_ref().map(|d| {
                let mut d = d.clone();
                d.observe(&ops, at);
                d.cursor = page.cursor;
                d
            })
        });
        let Some(snapshot) = snapshot else {
            return Ok(Pulled::Done);
        };
        // The cursor in `snapshot` moves only with the ops it covers, in
        // one transaction; the next page is asked for meanwhile, and
        // dropped if this one could not be stored. The device in memory
        // moves only once the page is stored: a page the storage refused
        // (full, say) is asked for again at the next sync, not skipped.
        let (more, next_cursor) = (page.more, page.cursor);
        let next = async move {
            if more {
                Some(api::pull(token, next_cursor, PULL_LIMIT).await)
            } else {
                None
            }
        };
        let (saved, next) =
            join(db::save_pulled(&written, &stored, &forget, &snapshot), next).await;
        saved?;
        still_current(ctx, token)?;
        // An op of this device refused before and re-applied since is
        // already held: its case is folded again, with it this time.
        let accepted = ctx
            .device
            .try_update(|d| {
                d.as_mut().map(|d| {
                    let refused = d.refused.clone();
                    d.observe(&ops, at);
                    d.cursor = page.cursor;
                    refused
                        .into_iter()
                        .filter(|r| !d.refused.contains(r))
                        .map(|r| r.case_id)
                        .collect::<Vec<_>>()
                })
            })
            .flatten()
            .unwrap_or_default();
        unfolded.extend(accepted);
        crate::tombstone::apply(ctx, &deleted, &forget);
        let mut refold = false;
        if !config.is_empty() {
            ctx.config.update(|c| {
                for item in config {
                    refold |= c.apply(item);
                }
            });
        }
        unfolded.extend(ctx.store_ops(ops));
        if refold {
            unfolded.clear();
            ctx.refold_all();
        } else if (now() - drawn_at).num_milliseconds() >= REDRAW_EVERY_MS {
            ctx.refold(std::mem::take(unfolded));
            drawn_at = now();
        }
        match next {
            None => return Ok(Pulled::Done),
            Some(next) => page = next?,
        }
    }
}

/// A session begun before logins gave keys (`shared::proof`) has none, so
/// the records its user makes could not be proven in a records file: the
/// key is asked for once, kept with the session (unless it ended or the
/// device was blocked meanwhile), and the records the user made here
/// without one are proven with it. A failure is asked again at the next
/// sync.
async fn ask_record_key(ctx: AppCtx, token: &str) {
    let keyless = ctx
        .session
        .with_untracked(|s| s.as_ref().is_some_and(|s| s.record_key.is_none()));
    if !keyless || ctx.blocked.get_untracked().is_some() {
        return;
    }
    let key = match crate::api::record_key(token).await {
        Ok(answer) => answer.record_key,
        Err(e) => {
            leptos::logging::warn!("asking for the record key: {e}");
            return;
        }
    };
    match db::save_record_key(token, &key).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            leptos::logging::warn!("storing the record key: {e}");
            return;
        }
    }
    // Blocked while it was stored: `block` took the key from memory and
    // its save from the stored session.
    if ctx.blocked.get_untracked().is_some() {
        return;
    }
    let mut user = None;
    ctx.session.update_untracked(|s| {
        if let Some(s) = s.as_mut().filter(|s| s.token == token) {
            s.record_key = Some(key.clone());
            user = Some(s.user.id);
        }
    });
    if let Some(user) = user {
        prove_keyless(ctx, user, &key).await;
    }
}

/// Proves with `key` the unsent ops `user` made on this device before
/// their session had a key (`db::prove_own`).
pub(crate) async fn prove_keyless(ctx: AppCtx, user: shared::id::UserId, key: &str) {
    let Some((device, acked)) = ctx
        .device
        .with_untracked(|d| d.as_ref().map(|d| (d.device, d.acked_seq)))
    else {
        return;
    };
    if let Err(e) = db::prove_own((user, device), acked, key).await {
        leptos::logging::warn!("proving the records made before the key: {e}");
    }
}

/// The server refused a sync until the password is changed (an admin reset
/// it during this session): the change-password screen takes over, and
/// remembers that across a reload.
async fn password_change_required(ctx: AppCtx) {
    let Some(mut session) = ctx.session.get_untracked() else {
        return;
    };
    session.must_change_password = true;
    if let Err(e) = db::save_session(&session).await {
        leptos::logging::warn!("storing the session: {e}");
    }
    ctx.session.set(Some(session));
}
