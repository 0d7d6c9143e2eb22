//! One tab at a time works on the device's storage.
//!
//! Two tabs of the app would each load the device state and hand out the
//! same sequence and registration numbers; the server keeps the first op
//! of each number and quarantines the other tab's as a clone, which an
//! admin can only discard. So before the app reads anything from
//! IndexedDB it takes an exclusive Web Lock, held for the life of the
//! page. A second tab (the field page or the office page: they share the
//! storage) says that the app is open elsewhere and waits; the browser
//! hands it the lock when the first tab closes, and it then loads what
//! the first tab stored.
//!
//! Web Locks exist only in a secure context (HTTPS, or 127.0.0.1). On a
//! plain-HTTP address (where the app already warns that it cannot work
//! offline, `components::HttpsBanner`) a lease in local storage stands in
//! for the lock ([`lease`]).

mod lease;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The lock's name: one per origin, like the storage it guards.
const LOCK: &str = "complaints-device";

/// Takes the lock, calling `waiting` first if another tab holds it.
/// Returns once this tab holds it.
pub async fn hold(waiting: impl FnOnce()) {
    let Some((locks, request)) = lock_manager() else {
        lease::hold(waiting).await;
        return;
    };
    match acquire(&locks, &request, true).await {
        Some(true) => return,
        Some(false) => {}
        None => return lease::hold(waiting).await,
    }
    waiting();
    if acquire(&locks, &request, false).await.is_none() {
        lease::hold(|| {}).await;
    }
}

/// `navigator.locks` and its `request` method.
fn lock_manager() -> Option<(JsValue, Function)> {
    let navigator = leptos::prelude::window().navigator();
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = Reflect::get(&locks, &"request".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    Some((locks, request))
}

/// Requests the lock; with `if_available`, only if no other tab holds it.
/// Returns whether it was granted, or `None` when the browser refused the
/// request (an opaque origin, say): the caller then takes the lease, as
/// without Web Locks. A granted lock is held until the page
/// goes away: the callback answers with a promise that never settles.
async fn acquire(locks: &JsValue, request: &Function, if_available: bool) -> Option<bool> {
    let granted = Promise::new(&mut |resolve, _reject| {
        let on_grant = resolve.clone();
        let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
            let held = !lock.is_null();
            let _ = on_grant.call1(&JsValue::NULL, &JsValue::from_bool(held));
            if held {
                Promise::new(&mut |_, _| {}).into()
            } else {
                JsValue::NULL
            }
        });
        let options = Object::new();
        let _ = Reflect::set(&options, &"ifAvailable".into(), &if_available.into());
        // A browser that refuses the request (an opaque origin, say) is
        // treated like one without Web Locks, whether it throws or rejects.
        let refused = Closure::once_into_js(move |e: JsValue| {
            leptos::logging::warn!("requesting the tab lock: {e:?}");
            let _ = resolve.call1(&JsValue::NULL, &JsValue::UNDEFINED);
        });
        let refused: Function = refused.unchecked_into();
        match request.call3(locks, &LOCK.into(), &options, &callback) {
            Ok(pending) => {
                if let Ok(catch) =
                    Reflect::get(&pending, &"catch".into()).and_then(|c| c.dyn_into::<Function>())
                {
                    let _ = catch.call1(&pending, &refused);
                }
            }
            Err(e) => {
                let _ = refused.call1(&JsValue::NULL, &e);
            }
        }
    });
    match JsFuture::from(granted).await {
        Ok(held) => held.as_bool(),
        Err(e) => {
            leptos::logging::warn!("the tab lock: {e:?}");
            None
        }
    }
}
