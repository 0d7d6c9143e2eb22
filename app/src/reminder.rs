//! Reminders: a browser notification for each new item of the inbox
//! (我的待办) while the app is open, once the user allowed them.
//!
//! The inbox is recomputed after every fold and once a minute
//! (`AppCtx::inbox`); [`watch`] compares its keys with the previous ones and
//! notifies about the new ones. The previous keys live in memory only: a
//! reload or a login starts again from what is there, without notifying.
//! Without the Notification API, or without the user's permission, nothing
//! is shown and nothing else changes.

use crate::pages::inbox::reason_text;
use crate::state::{AppCtx, Screen};
use crate::sync_status::Link;
use leptos::prelude::*;
use shared::id::UserId;
use shared::inbox::{Key, Reason};
use shared::lang::Lang;
use std::collections::HashSet;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Notification, NotificationOptions, NotificationPermission};

/// More new items than this at once (a tablet back online after a day)
/// make one notification that counts them, not a stack of them.
const AT_ONCE: usize = 3;

/// What the last computation held, for the user it was made for.
struct Seen {
    user: UserId,
    keys: HashSet<Key>,
    /// Whether the baseline is taken. Until the first sync after a load or
    /// a login ends, items come in pages from the server and are not new
    /// to the user, only new to the device.
    armed: bool,
}

/// Watches the inbox and notifies about new items; runs as long as the app.
pub fn watch(ctx: AppCtx) {
    let seen: StoredValue<Option<Seen>> = StoredValue::new(None);
    Effect::new(move |_| {
        let Some(user) = ctx.session.with(|s| s.as_ref().map(|s| s.user.id)) else {
            seen.set_value(None);
            return;
        };
        // Armed after a sync succeeded, or after one found no network at all,
        // when what the device holds is all there is to go by.
        let settled = ctx
            .sync
            .with(|s| s.synced || (!s.running && s.link == Link::Offline));
        let current: Vec<(Key, Reason)> = ctx.inbox.with(|items| {
            items
                .iter()
                .flat_map(|i| i.keys().zip(i.reasons.iter().copied()))
                .collect()
        });
        let (fresh, armed) = seen.with_value(|s| match s {
            Some(s) if s.user == user && s.armed => (
                current
                    .iter()
                    .filter(|(k, _)| !s.keys.contains(k))
                    .copied()
                    .collect(),
                true,
            ),
            _ => (Vec::new(), settled),
        });
        let keys = current.into_iter().map(|(k, _)| k).collect();
        seen.set_value(Some(Seen { user, keys, armed }));
        if !fresh.is_empty() && permission() == Some(NotificationPermission::Granted) {
            notify(ctx, fresh);
        }
    });
}

/// Whether this browser has the Notification API at all (old browsers, and
/// some embedded web views, do not; calling it there would throw).
pub fn supported() -> bool {
    js_sys::Reflect::has(&window(), &JsValue::from_str("Notification")).unwrap_or(false)
}

/// The user's answer so far, `None` without the API.
pub fn permission() -> Option<NotificationPermission> {
    supported().then(Notification::permission)
}

/// Asks the user to allow notifications; returns the answer, `None` without
/// the API or when the browser refused to ask.
pub async fn request_permission() -> Option<NotificationPermission> {
    if !supported() {
        return None;
    }
    let promise = Notification::request_permission().ok()?;
    wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    permission()
}

/// Shows one notification per new reason, or one that counts them.
fn notify(ctx: AppCtx, fresh: Vec<(Key, Reason)>) {
    let l = ctx.l();
    if fresh.len() > AT_ONCE {
        let body = match l {
            Lang::ZhCn => format!("有 {} 条新的待办", fresh.len()),
            Lang::En => format!("{} new items in your inbox", fresh.len()),
        };
        show(
            ctx,
            l.pick("我的待办", "My inbox"),
            &body,
            "inbox",
            Screen::Inbox,
        );
        return;
    }
    let tz = ctx.config.with_untracked(|c| c.settings.tz());
    for (key, reason) in fresh {
        let Some(reg_no) = ctx
            .cases
            .with_untracked(|c| c.get(&key.case).map(|c| c.registration.reg_no.to_string()))
        else {
            continue;
        };
        let title = format!("{}：{reg_no}", l.pick("我的待办", "My inbox"));
        let tag = format!(
            "{}-{}-{}",
            key.case,
            key.kind.code(),
            key.clock.map_or("", |c| c.code())
        );
        show(
            ctx,
            &title,
            &reason_text(&reason, l, tz),
            &tag,
            Screen::Detail(key.case),
        );
    }
}

/// One notification; a click brings the app to the front on `open`. A
/// browser that refuses to show it (e.g. permission withdrawn meanwhile)
/// only costs the reminder.
fn show(ctx: AppCtx, title: &str, body: &str, tag: &str, open: Screen) {
    let options = NotificationOptions::new();
    options.set_body(body);
    // The same item notified twice (another tab) replaces, not stacks.
    options.set_tag(tag);
    match Notification::new_with_options(title, &options) {
        Ok(n) => {
            let click = wasm_bindgen::closure::Closure::once_into_js(move || {
                let _ = window().focus();
                ctx.screen.set(open);
            });
            n.set_onclick(Some(click.unchecked_ref()));
        }
        Err(e) => leptos::logging::warn!("showing a reminder: {e:?}"),
    }
}
