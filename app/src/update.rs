//! The app updating itself when the server needs a newer build: a sync
//! answered 426 (`client.update_required`) after a server upgrade that
//! changed the op schema.
//!
//! A reload alone would not do it. The service worker answers a reload
//! from the cache of the build it installed, so the page would come back
//! as the same old build, be refused again and reload again, in a loop,
//! for as long as the new worker takes to install (the whole app, over a
//! tablet's network). So the app asks the service worker to look for a new
//! build, waits until the new worker controls the page, and only then
//! reloads, once. When the server serves no newer build, the app says so
//! and does not reload: the records stay on the tablet, and the next sync
//! asks again. Without a service worker (plain HTTP) a reload fetches the
//! page from the server; the app reloads once, and says so if the page it
//! gets is still refused.

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
    /// The server needs a newer build and serves none (or the page it
    /// served is refused too).
    Unavailable,
}

/// How long a newer worker may take to install before the app stops
/// waiting for it (and says that no newer build came).
const INSTALL_WAIT_MS: i32 = 5 * 60 * 1000;
/// The session-storage key of the time the page last reloaded for an
/// update without a service worker.
const RELOADED_AT: &str = "update-reloaded-at";
/// A page refused again this soon after such a reload is refused for good.
const RELOAD_AGAIN_MS: f64 = 10.0 * 60.0 * 1000.0;

thread_local! {
    /// A newer service worker took control of this page after it loaded:
    /// the page is an older build than the one the worker serves.
    static OUTDATED: Cell<bool> = const { Cell::new(false) };
}

/// Notes, from the start, when a newer service worker takes control of
/// the page. The first worker, which takes a page that loaded without one,
/// serves the build the page already is, and does not count.
pub fn watch() {
    let Some(container) = container() else { return };
    if controller(&container).is_none() {
        return;
    }
    let taken = Closure::<dyn Fn()>::new(|| OUTDATED.with(|o| o.set(true)));
    if let Ok(target) = container.dyn_into::<web_sys::EventTarget>() {
        let _ = target
            .add_event_listener_with_callback("controllerchange", taken.as_ref().unchecked_ref());
    }
    // The listener lives as long as the page.
    taken.forget();
}

/// The server refused this build: fetch the newer one and reload into it,
/// or say that there is none. Called by every sync the server refuses;
/// one fetch at a time.
pub fn required(ctx: AppCtx) {
    if ctx.update.get_untracked() == Update::Fetching {
        return;
    }
    ctx.update.set(Update::Fetching);
    spawn_local(async move {
        match newer_build().await {
            Newer::Controls => reload(),
            Newer::NoWorker if !reloaded_lately() => {
                remember_reload();
                reload();
            }
            Newer::NoWorker | Newer::None => ctx.update.set(Update::Unavailable),
        }
    });
}

/// The server took this build again (a sync succeeded).
pub fn current(ctx: AppCtx) {
    if ctx.update.get_untracked() != Update::Current {
        ctx.update.set(Update::Current);
    }
}

/// What the service worker has for the page.
enum Newer {
    /// A newer worker controls the page: a reload gets the newer build.
    Controls,
    /// No worker controls the page: a reload goes to the server.
    NoWorker,
    /// The worker found no newer build.
    None,
}

async fn newer_build() -> Newer {
    if OUTDATED.with(Cell::get) {
        return Newer::Controls;
    }
    let Some(container) = container().filter(|c| controller(c).is_some()) else {
        return Newer::NoWorker;
    };
    let Some(registration) = call(&container, "getRegistration")
        .await
        .filter(|r| !r.is_undefined() && !r.is_null())
    else {
        return Newer::NoWorker;
    };
    // Listened for before asking, so that a worker quick to take over is
    // not missed.
    let taken = taken_over(&container);
    if call(&registration, "update").await.is_none() {
        return Newer::None;
    }
    let installing = ["installing", "waiting"].iter().any(|state| {
        Reflect::get(&registration, &(*state).into())
            .is_ok_and(|w| !w.is_null() && !w.is_undefined())
    });
    if OUTDATED.with(Cell::get)
        || (installing && JsFuture::from(taken).await.is_ok_and(|t| t.is_truthy()))
    {
        Newer::Controls
    } else {
        Newer::None
    }
}

/// Settles truthy when another worker takes control of the page, falsy
/// after [`INSTALL_WAIT_MS`].
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
            let _ = resolve.call1(&JsValue::NULL, &JsValue::FALSE);
        });
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            gave_up.unchecked_ref(),
            INSTALL_WAIT_MS,
        );
    })
}

/// `navigator.serviceWorker`, where the browser has one (a secure context).
fn container() -> Option<JsValue> {
    Reflect::get(&window().navigator(), &"serviceWorker".into())
        .ok()
        .filter(|c| !c.is_undefined() && !c.is_null())
}

/// The worker that controls the page, if one does.
fn controller(container: &JsValue) -> Option<JsValue> {
    Reflect::get(container, &"controller".into())
        .ok()
        .filter(|c| !c.is_undefined() && !c.is_null())
}

/// Calls the method `name` of `target`, which returns a promise, and
/// waits for what it settles with; `None` when it fails.
async fn call(target: &JsValue, name: &str) -> Option<JsValue> {
    let method = Reflect::get(target, &name.into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let promise = method.call0(target).ok()?.dyn_into::<Promise>().ok()?;
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
