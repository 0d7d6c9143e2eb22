//! The tab lock where the browser has no Web Locks: a plain-HTTP address,
//! where the office page and the field page open side by side on a head
//! office desktop are as likely as two tabs on a tablet.
//!
//! The tab that holds the device's storage keeps a lease in local storage,
//! which every tab of the origin sees: its own id and when it last renewed
//! it. It renews it every [`RENEW_MS`] and marks it given up when the page
//! goes away. Another tab waits while the lease is fresh. A lease gone stale
//! may belong to a tab in the background whose timers the browser slowed
//! down, so the waiting tab asks first (a write to [`ASK`], which the
//! holder answers by renewing) and takes the lease only when nobody
//! answers: the holder crashed, or the browser froze it. A holder that
//! finds its lease taken when it wakes has stopped being the one: it
//! reloads, and then waits like any other tab.
//!
//! Two tabs that start at the same moment may both write the lease; each
//! reads it back after [`SETTLE_MS`], and only the one that finds its own
//! id goes on.

use crate::state::sleep;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The lease's key.
const KEY: &str = "tab-lease";
/// The key a waiting tab writes to ask whether the holder is still there.
const ASK: &str = "tab-lease-asked";
/// How often the holder renews the lease.
const RENEW_MS: i32 = 2_000;
/// A lease renewed this recently has a holder.
const FRESH_MS: f64 = 10_000.0;
/// How long a waiting tab gives a stale lease's holder to answer.
const ANSWER_MS: i32 = 1_000;
/// How long a tab waits before reading back the lease it wrote.
const SETTLE_MS: i32 = 300;
/// How often a waiting tab looks at the lease again.
const WAIT_MS: i32 = 1_000;

/// Who holds the device's storage, and since when they said so last.
#[derive(Serialize, Deserialize)]
struct Lease {
    tab: String,
    /// Milliseconds since the epoch.
    at: f64,
    /// Given up: its tab went away. Left in place rather than removed, so
    /// that a tab that held the lease before, frozen meanwhile, sees when
    /// it wakes that another tab held it since, and starts again from
    /// what that tab stored instead of reusing its sequence and
    /// registration numbers.
    #[serde(default)]
    released: bool,
}

/// Takes the lease, calling `waiting` first if another tab holds it, and
/// keeps it for the life of the page. Without local storage there is
/// nothing to take it in: the tab goes on alone, as before there was any
/// lock.
pub async fn hold(waiting: impl FnOnce()) {
    let Some(storage) = crate::local_storage() else {
        leptos::logging::warn!(
            "no Web Locks and no local storage: two tabs could both work on the device"
        );
        return;
    };
    let me = uuid::Uuid::now_v7().to_string();
    let mut waiting = Some(waiting);
    loop {
        if let Some(lease) = read(&storage)
            && lease.tab != me
            && held(&storage, &lease).await
        {
            if let Some(waiting) = waiting.take() {
                waiting();
            }
            sleep(WAIT_MS).await;
            continue;
        }
        if !write(&storage, &me) {
            // A full local storage (drafts live there too) cannot hold
            // the lease: going on alone beats never starting.
            leptos::logging::warn!(
                "the tab lease cannot be written: two tabs could both work on the device"
            );
            return;
        }
        sleep(SETTLE_MS).await;
        if read(&storage).is_some_and(|lease| lease.tab == me) {
            break;
        }
    }
    keep(storage, me);
}

/// Whether the lease is held: its tab renewed it lately, or answers when
/// asked, or another tab took it meanwhile.
async fn held(storage: &web_sys::Storage, lease: &Lease) -> bool {
    if lease.released {
        return false;
    }
    if fresh(lease) {
        return true;
    }
    let asked = uuid::Uuid::now_v7().to_string();
    if storage.set_item(ASK, &asked).is_err() {
        // A full local storage cannot take the question: a stale lease
        // nobody can be asked about is taken (or, if the lease cannot be
        // written either, the tab goes on alone), rather than waiting for
        // good on a holder that crashed.
        return false;
    }
    sleep(ANSWER_MS).await;
    read(storage).is_some_and(|now| answered(lease, &now))
}

/// Whether the lease read `now` shows its holder answered (or another tab
/// took it) since it read `before`: any new time, not only a later one, as
/// a holder whose clock was set back since answers with an earlier time.
fn answered(before: &Lease, now: &Lease) -> bool {
    now.tab != before.tab || now.at != before.at
}

/// Renewed lately. A time ahead of this tablet's clock by more than that
/// (the clock was set back since) counts as stale, so that the tab asks.
fn fresh(lease: &Lease) -> bool {
    let age = js_sys::Date::now() - lease.at;
    (-FRESH_MS..=FRESH_MS).contains(&age)
}

/// Renews the lease while the page lives, answers the tabs that ask, and
/// gives the lease up when the page goes away.
fn keep(storage: web_sys::Storage, me: String) {
    let renew = {
        let (storage, me) = (storage.clone(), me.clone());
        move || match read(&storage) {
            // Another tab took it while this one was frozen or asleep, and
            // holds it still or has given it up since.
            Some(lease) if lease.tab != me => lost(),
            _ => {
                write(&storage, &me);
            }
        }
    };
    set_interval(
        renew.clone(),
        std::time::Duration::from_millis(RENEW_MS as u64),
    );
    let asked = {
        let renew = renew.clone();
        window_event_listener(leptos::ev::storage, move |e| {
            if matches!(e.key().as_deref(), Some(ASK | KEY)) {
                renew();
            }
        })
    };
    // Back in front after the browser held the page in the background:
    // look at once, before the person can act on the page.
    let shown = window_event_listener(leptos::ev::visibilitychange, move |_| renew());
    let gone = window_event_listener(leptos::ev::pagehide, move |_| {
        if read(&storage).is_some_and(|lease| lease.tab == me) {
            write_lease(&storage, &me, true);
        }
    });
    // A page restored from the back-forward cache gave its lease up when
    // it was hidden: it starts again, and takes it again or waits.
    let restored = window_event_listener(leptos::ev::pageshow, |e| {
        if e.persisted() {
            lost();
        }
    });
    // They live as long as the page.
    std::mem::forget((asked, shown, gone, restored));
}

/// This tab no longer holds the device's storage: it starts again, and
/// waits for the tab that does.
fn lost() {
    leptos::logging::warn!("another tab took the device's storage: reloading");
    let _ = window().location().reload();
}

fn read(storage: &web_sys::Storage) -> Option<Lease> {
    serde_json::from_str(&storage.get_item(KEY).ok()??).ok()
}

/// Writes this tab's lease; says whether it could.
fn write(storage: &web_sys::Storage, me: &str) -> bool {
    write_lease(storage, me, false)
}

/// Writes this tab's lease, held or `released`; says whether it could.
fn write_lease(storage: &web_sys::Storage, me: &str, released: bool) -> bool {
    let lease = Lease {
        tab: me.to_string(),
        at: js_sys::Date::now(),
        released,
    };
    let Ok(text) = serde_json::to_string(&lease) else {
        return false;
    };
    match storage.set_item(KEY, &text) {
        Ok(()) => true,
        Err(e) => {
            leptos::logging::warn!("writing the tab lease: {e:?}");
            false
        }
    }
}
