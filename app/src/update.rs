//! The app updating itself when the server needs a newer build: a sync
//! or a login answered 426 (`client.update_required`) after a server
//! upgrade that changed the op schema.
//!
//! A reload alone would not do it. The service worker answers a reload
//! from the cache of the build it installed, so the page would come back
//! as the same old build, be refused again and reload again, in a loop,
//! for as long as the new worker takes to install (the whole app, over a
//! tablet's network). So the app asks the service worker to look for a new
//! build, waits until the new worker controls the page, and only then
//! reloads. It reloads once in [`RELOAD_AGAIN_MS`] at most: a page refused
//! again so soon (the server serves no build it takes) says so instead,
//! and the records stay on the tablet. Without a service worker (plain
//! HTTP) the reload fetches the page from the server, and the same holds.
//!
//! A release that keeps the op schema (new rules, a fix) is refused by no
//! server: a tablet whose page stays open for days would never load it,
//! and one opened once after the upgrade runs the old build from the
//! worker's cache while the new worker installs. So after a sync, once an
//! hour, the app asks the worker to look for a newer build, and when a
//! newer worker takes over the page, it says a new version is ready
//! (`Update::Ready`), to load with a tap, or by itself once the tablet
//! locks unused (`idle_lock`): through the same waits as above.

use crate::state::AppCtx;
use js_sys::{Function, Promise, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::Cell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Where the app stands with a build the server needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Update {
    /// The server takes this build.
    #[default]
    Current,
    /// The server needs a newer build, and it is being fetched.
    Fetching,
    /// The server needs a newer build and serves none: the page it served
    /// after the reload is refused too.
    Unavailable,
    /// A newer build is installed and this page is the older one; the
    /// server still takes it.
    Ready,
    /// The newer build loads once nothing in the page would be lost.
    Applying,
}

/// How long a newer worker may take to install before the app stops
/// waiting for it and reloads all the same.
const INSTALL_WAIT_MS: i32 = 5 * 60 * 1000;
/// How often a reload held back by staged photos or unsaved forms looks
/// again.
const STAGED_POLL_MS: i32 = 500;
/// The session-storage key of the time the page last reloaded for an
/// update.
const RELOADED_AT: &str = "update-reloaded-at";
/// A page refused again this soon after such a reload says so instead of
/// reloading again.
const RELOAD_AGAIN_MS: f64 = 10.0 * 60.0 * 1000.0;

/// How often a page left open asks its worker for a newer build.
const LOOK_EVERY_MS: f64 = 60.0 * 60.0 * 1000.0;

thread_local! {
    /// A newer service worker took control of this page after it loaded:
    /// the page is an older build than the one the worker serves.
    static OUTDATED: Cell<bool> = const { Cell::new(false) };
    /// When the worker last looked for a newer build: the page's own
    /// navigation looked as it loaded.
    static LOOKED_AT: Cell<f64> = Cell::new(js_sys::Date::now());
}

/// Notes, from the start, when a newer service worker takes control of
/// the page. The first worker, which takes a page that loaded without one,
/// serves the build the page already is, and does not count.
pub fn watch(ctx: AppCtx) {
    let Some(container) = container() else { return };
    if controller(&container).is_none() {
        return;
    }
    let taken = Closure::<dyn Fn()>::new(move || {
        OUTDATED.with(|o| o.set(true));
        if ctx.update.get_untracked() == Update::Current {
            ctx.update.set(Update::Ready);
        }
    });
    if let Ok(target) = container.dyn_into::<web_sys::EventTarget>() {
        let _ = target
            .add_event_listener_with_callback("controllerchange", taken.as_ref().unchecked_ref());
    }
    // The listener lives as long as the page.
    taken.forget();
}

/// The server refused this build: fetch the newer one and reload into
/// it, or say that there is none. Called by every sync or login the
/// server refuses; one fetch at a time.
pub fn required(ctx: AppCtx) {
    if ctx.update.get_untracked() == Update::Fetching {
        return;
    }
    if reloaded_lately() {
        ctx.update.set(Update::Unavailable);
        return;
    }
    ctx.update.set(Update::Fetching);
    spawn_local(async move {
        newer_build().await;
        reload_when_safe(ctx).await;
    });
}

/// Loads the newer build that is [`Update::Ready`] (a tap on the banner,
/// or the tablet locking unused).
pub fn apply(ctx: AppCtx) {
    if ctx.update.get_untracked() != Update::Ready {
        return;
    }
    ctx.update.set(Update::Applying);
    spawn_local(reload_when_safe(ctx));
}

/// An update the lock was loading ([`apply`]) waits again: the user came
/// back, and a reload now would wipe what they see next (the number a
/// save just gave, to read out).
pub fn hold(ctx: AppCtx) {
    if ctx.update.get_untracked() == Update::Applying {
        ctx.update.set(Update::Ready);
    }
}

/// Reloads once nothing only the page holds would be lost, unless the
/// update was held meanwhile ([`hold`]).
async fn reload_when_safe(ctx: AppCtx) {
    let wanted = || {
        matches!(
            ctx.update.get_untracked(),
            Update::Fetching | Update::Applying
        )
    };
    // Photos and signatures in open forms are only in the page, which
    // the reload would drop (what was typed is kept as drafts): it
    // waits until they are saved or put away; and so while the browser
    // refuses to keep a draft, until its form is saved or left, and
    // while an office form, which keeps no drafts, holds typing.
    while ctx.staged.get_untracked() > 0
        || ctx.drafts_refused.get_untracked()
        || ctx.unsaved.get_untracked() > 0
    {
        if !wanted() {
            return;
        }
        crate::state::sleep(STAGED_POLL_MS).await;
    }
    // Not while an op is being saved: a one-tap action (settling a
    // conflict) has no form whose draft would bring it back. Held
    // through the reload, so no recording starts after it either.
    let _turn = crate::record::between_recordings().await;
    if !wanted() {
        return;
    }
    remember_reload();
    reload();
}

/// The server took this build again (a sync succeeded): and once an hour,
/// the worker looks for a newer one all the same.
pub fn current(ctx: AppCtx) {
    if matches!(
        ctx.update.get_untracked(),
        Update::Fetching | Update::Unavailable
    ) {
        ctx.update.set(Update::Current);
    }
    let now = js_sys::Date::now();
    if now - LOOKED_AT.with(Cell::get) < LOOK_EVERY_MS {
        return;
    }
    LOOKED_AT.with(|l| l.set(now));
    spawn_local(async {
        let Some(container) = container().filter(|c| controller(c).is_some()) else {
            return;
        };
        if let Some(registration) = call(&container, "getRegistration")
            .await
            .filter(|r| !r.is_undefined() && !r.is_null())
        {
            // A newer worker installs and takes over (`sw.js`): `watch`
            // hears it.
            let _ = call(&registration, "update").await;
        }
    });
}

/// Returns once a reload gets the newest build there is: after a newer
/// worker took control, which it waits for while one installs; at once
/// when no worker controls the page (the reload goes to the server), or
/// when the worker finds nothing newer (the page may still be older than
/// what the worker serves, having loaded before it took over: the reload
/// tells).
async fn newer_build() {
    if OUTDATED.with(Cell::get) {
        return;
    }
    let Some((container, controller)) =
        container().and_then(|c| controller(&c).map(|controller| (c, controller)))
    else {
        return;
    };
    let Some(registration) = call(&container, "getRegistration")
        .await
        .filter(|r| !r.is_undefined() && !r.is_null())
    else {
        return;
    };
    // Listened for before asking, so that a worker quick to take over is
    // not missed.
    let taken = taken_over(&container);
    if call(&registration, "update").await.is_none() {
        return;
    }
    let worker = |state: &str| {
        Reflect::get(&registration, &state.into())
            .ok()
            .filter(|w| !w.is_null() && !w.is_undefined())
    };
    let installing = worker("installing").or_else(|| worker("waiting"));
    // Installed after the page's navigation asked, not yet in control.
    let activating = worker("active").is_some_and(|a| !js_sys::Object::is(&a, &controller));
    if OUTDATED.with(Cell::get) || (installing.is_none() && !activating) {
        return;
    }
    let mut outcomes = vec![taken];
    outcomes.extend(installing.as_ref().map(failed));
    let outcome = Promise::race(&outcomes.into_iter().collect::<js_sys::Array>());
    let _ = JsFuture::from(outcome).await;
}

/// Settles when `worker`'s install fails (it becomes redundant: a file of
/// the build missing, the network gone), so that the app does not wait
/// for a takeover that will not come.
fn failed(worker: &JsValue) -> Promise {
    let worker = worker.clone();
    Promise::new(&mut |resolve, _reject| {
        let watched = worker.clone();
        let changed = Closure::<dyn Fn()>::new(move || {
            let state = Reflect::get(&watched, &"state".into())
                .ok()
                .and_then(|s| s.as_string());
            if state.as_deref() == Some("redundant") {
                let _ = resolve.call0(&JsValue::NULL);
            }
        });
        if let Some(target) = worker.dyn_ref::<web_sys::EventTarget>() {
            let _ = target
                .add_event_listener_with_callback("statechange", changed.as_ref().unchecked_ref());
        }
        // Lives as long as the worker may change state.
        changed.forget();
    })
}

/// Settles when another worker takes control of the page, or after
/// [`INSTALL_WAIT_MS`].
fn taken_over(container: &JsValue) -> Promise {
    let container = container.clone();
    Promise::new(&mut |resolve, _reject| {
        if let Some(target) = container.dyn_ref::<web_sys::EventTarget>() {
            let options = web_sys::AddEventListenerOptions::new();
            options.set_once(true);
            let _ = target.add_event_listener_with_callback_and_add_event_listener_options(
                "controllerchange",
                &resolve,
                &options,
            );
        }
        let gave_up = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            gave_up.unchecked_ref(),
            INSTALL_WAIT_MS,
        );
    })
}

/// `navigator.serviceWorker`, where the browser has one (a secure context).
pub(crate) fn container() -> Option<JsValue> {
    Reflect::get(&window().navigator(), &"serviceWorker".into())
        .ok()
        .filter(|c| !c.is_undefined() && !c.is_null())
}

/// The worker that controls the page, if one does.
pub(crate) fn controller(container: &JsValue) -> Option<JsValue> {
    Reflect::get(container, &"controller".into())
        .ok()
        .filter(|c| !c.is_undefined() && !c.is_null())
}

/// Calls the method `name` of `target`, which returns a promise, and
/// waits for what it settles with; `None` when it fails.
pub(crate) async fn call(target: &JsValue, name: &str) -> Option<JsValue> {
    call_with(target, name, &js_sys::Array::new()).await
}

/// [`call`] with the arguments `args`.
pub(crate) async fn call_with(
    target: &JsValue,
    name: &str,
    args: &js_sys::Array,
) -> Option<JsValue> {
    let method = Reflect::get(target, &name.into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let promise = method
        .apply(target, args)
        .ok()?
        .dyn_into::<Promise>()
        .ok()?;
    match JsFuture::from(promise).await {
        Ok(value) => Some(value),
        Err(e) => {
            leptos::logging::warn!("service worker {name}: {e:?}");
            None
        }
    }
}

fn reload() {
    let _ = window().location().reload();
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn reloaded_lately() -> bool {
    session_storage()
        .and_then(|s| s.get_item(RELOADED_AT).ok().flatten())
        .and_then(|at| at.parse::<f64>().ok())
        .is_some_and(|at| js_sys::Date::now() - at < RELOAD_AGAIN_MS)
}

fn remember_reload() {
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(RELOADED_AT, &js_sys::Date::now().to_string());
    }
}
