//! The system's Back (a tablet's back gesture or button, the browser's)
//! goes back a screen within the app. The app is one page and pushed no
//! history, so Back left it: installed on a tablet, it closed the app, and
//! the photos and signature not yet saved, held only in memory, with it.
//!
//! One history entry is pushed over the page's own; Back takes it away,
//! which the app answers by going to the screen before (warning first, as
//! any way off a screen does, when it holds what is not saved:
//! [`crate::components::leave_to`]) and pushing it again. With no screen
//! before, or nobody logged in, Back goes on out of the app, as it would
//! have; where there is nothing to go back to (an installed app), the app
//! stays, and the entry is pushed again at the next screen.

use crate::components::leave_to;
use crate::state::{AppCtx, Screen};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// How many screens Back can go back through.
const TRAIL: usize = 30;

/// Follows the screens the user goes through, and answers Back; runs as
/// long as the app.
pub fn follow(ctx: AppCtx) {
    // The screens left, the latest last.
    let trail = StoredValue::new(Vec::<Screen>::new());
    // Whether the entry Back takes away is there.
    let armed = StoredValue::new(false);
    let arm = move || {
        let Ok(history) = window().history() else {
            return;
        };
        match history.push_state(&JsValue::from_str("app"), "") {
            Ok(()) => armed.set_value(true),
            Err(e) => leptos::logging::warn!("arming the back button: {e:?}"),
        }
    };
    // Another user's screens are not this one's to go back to.
    Effect::new(move |_| {
        ctx.session.with(|s| s.as_ref().map(|s| s.user.id));
        trail.set_value(Vec::new());
    });
    Effect::new(move |before: Option<Screen>| {
        let now = ctx.screen.get();
        if let Some(before) = before.filter(|b| *b != now) {
            trail.update_value(|t| {
                // Back within the app (a "back to the list" button) or by
                // the system's Back: the screen returned to is off the
                // trail; any other way, the screen left is on it.
                if t.last() == Some(&now) {
                    t.pop();
                } else {
                    t.push(before);
                    if t.len() > TRAIL {
                        t.remove(0);
                    }
                }
            });
            // A new screen starts at its top, not where the last one was
            // scrolled to.
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
        if !armed.get_value() {
            arm();
        }
        now
    });
    // Never removed: the app's own for as long as the page.
    let _ = window_event_listener(leptos::ev::popstate, move |_| {
        // Behind the idle lock the screens hold still: Back neither moves
        // them (a warning nobody sees, then what was not saved dropped)
        // nor leaves the app.
        if crate::idle_lock::is_closed() {
            arm();
            return;
        }
        let logged_in = ctx.session.with_untracked(Option::is_some);
        match trail
            .with_value(|t| t.last().copied())
            .filter(|_| logged_in)
        {
            Some(to) => {
                leave_to(ctx, to);
                arm();
            }
            None => {
                armed.set_value(false);
                if let Ok(history) = window().history() {
                    let _ = history.back();
                }
            }
        }
    });
}
