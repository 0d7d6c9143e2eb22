//! Reminders: a browser notification for each new item of the inbox
//! (我的待办) while the app is open, once the user allowed them.
//!
//! The inbox is recomputed after every fold and once a minute
//! (`AppCtx::inbox`); [`watch`] compares its keys with the previous ones and
//! notifies about the new ones. The previous keys live in memory only: a
//! reload or a login starts again from what is there, without notifying.
//! While a sync runs the keys are not compared (its pages are folded as they
//! come, and a case assigned on one may be resolved on the next); what is
//! new once it ended is. A logout, or another user's login, closes the
//! notifications shown (a page starting closes only another user's), and
//! a click on one opens its case only for the
//! user it was shown to.
//! Where a service worker controls the page, it shows them (the only way
//! on Android) and hands a tap back to the page (`app/static/sw.js`).
//! Without the Notification API, or without the user's permission, nothing
//! is shown and nothing else changes.

use crate::pages::inbox::reason_text;
use crate::state::{AppCtx, Screen};
use crate::sync_status::Link;
use js_sys::Reflect;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::case::Outcome;
use shared::id::{CaseId, UserId};
use shared::inbox::{Key, Reason, ReasonKind};
use shared::lang::Lang;
use std::collections::{HashMap, HashSet};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Notification, NotificationOptions, NotificationPermission};

/// More new items than this at once (a tablet back online after a day)
/// make one notification that counts them, not a stack of them.
const AT_ONCE: usize = 3;

/// How many shown notifications are kept to be closed at logout.
const KEPT_OPEN: usize = 100;

/// What the last computation held, for the user it was made for.
struct Seen {
    user: UserId,
    keys: HashSet<Key>,
    /// How many steps of each case others took ([`others_steps`]).
    others: HashMap<CaseId, usize>,
    /// Whether the baseline is taken. Until the first sync after a load or
    /// a login ends, items come in pages from the server and are not new
    /// to the user, only new to the device.
    armed: bool,
}

/// Watches the inbox and notifies about new items; runs as long as the app.
pub fn watch(ctx: AppCtx) {
    listen(ctx);
    let seen: StoredValue<Option<Seen>> = StoredValue::new(None);
    Effect::new(move |_| {
        let Some(user) = ctx.session.with(|s| s.as_ref().map(|s| s.user.id)) else {
            // A logout. Not a page starting, nor one waiting for the tab
            // that holds the tablet, whose session is not loaded (yet):
            // the reminders the user has not read yet stay.
            if seen.with_value(Option::is_some) {
                close(None);
            }
            seen.set_value(None);
            return;
        };
        match seen.with_value(|s| s.as_ref().map(|s| s.user)) {
            // Another user's reminders name cases that are not theirs.
            Some(before) if before != user => close(None),
            // The page started (a reload, a tap on a reminder): only those
            // of a user who logged out in a page that could not close them.
            None => close(Some(user)),
            Some(_) => {}
        }
        // Armed after a sync succeeded, or after one ended without one (no
        // network, or the server refused it), when what the device holds is
        // all there is to go by.
        let (settled, running) = ctx.sync.with(|s| {
            let ended = !s.running && matches!(s.link, Link::Offline | Link::Failed(_));
            (s.synced || ended, s.running)
        });
        let armed_for = |s: &Option<Seen>| s.as_ref().is_some_and(|s| s.user == user && s.armed);
        // A sync folds its pages as they come: a case assigned on one page
        // may be resolved on the next. Only what holds once it ended is new.
        if running && seen.with_value(armed_for) {
            return;
        }
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
        let others = others_steps(ctx, user);
        let before = seen
            .try_update_value(|s| {
                s.as_mut()
                    .filter(|s| s.user == user)
                    .map(|s| std::mem::take(&mut s.others))
            })
            .flatten()
            .unwrap_or_default();
        let fresh: Vec<(Key, Reason)> = fresh
            .into_iter()
            .filter(|(key, _)| {
                // Something another did came in with it (an assignment
                // ordered before the user's own note): news all the same.
                let by_others = others.get(&key.case) != before.get(&key.case);
                by_others || !own_doing(ctx, key, user)
            })
            .collect();
        seen.set_value(Some(Seen {
            user,
            keys,
            others,
            armed,
        }));
        if !fresh.is_empty() && permission() == Some(NotificationPermission::Granted) {
            notify(ctx, user, fresh);
        }
    });
}

/// How many timeline entries of each case others than `user` made: one
/// more since the last look means the news is not only the user's doing.
fn others_steps(ctx: AppCtx, user: UserId) -> HashMap<CaseId, usize> {
    ctx.cases.with_untracked(|cases| {
        cases
            .iter()
            .map(|(id, case)| {
                let n = case.timeline.iter().filter(|e| e.stamp.by != user).count();
                (*id, n)
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    })
}

/// How recent the user's own action must be for what it put in their
/// inbox to be no news: a recording and the sync after it.
const OWN_DOING: chrono::Duration = chrono::Duration::minutes(2);

/// Whether `key` is what the user's own latest action on its case just
/// put in their inbox: the clock a repair's registration starts (due
/// within the hour), the one an assignment starts, the close their
/// callback leaves, the reopening their unhappy callback made, the major
/// case their assessment made, the approval their own proposal awaits.
/// No news to them; it is in the baseline all the same, so its turning
/// overdue is told. What another tablet's work did to their action (a
/// conflict, an action kept without effect) is news, though their own
/// op is the latest. A clock that turns due soon later, as time passes,
/// is news however long ago they last acted.
fn own_doing(ctx: AppCtx, key: &Key, user: UserId) -> bool {
    let now = crate::state::now();
    !matches!(key.kind, ReasonKind::Conflict | ReasonKind::NotApplied)
        && ctx.cases.with_untracked(|cases| {
            cases
                .get(&key.case)
                .and_then(|c| c.timeline.last())
                .is_some_and(|entry| {
                    entry.stamp.by == user
                        && entry.outcome == Outcome::Applied
                        && now - entry.stamp.at < OWN_DOING
                })
        })
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
fn notify(ctx: AppCtx, user: UserId, fresh: Vec<(Key, Reason)>) {
    let l = ctx.l();
    if fresh.len() > AT_ONCE {
        // Counted by case, as the badge counts: a case newly assigned
        // with its clock due soon is one item, not two.
        let cases: HashSet<_> = fresh.iter().map(|(key, _)| key.case).collect();
        let body = match l {
            Lang::ZhCn => format!("有 {} 条新的待办", cases.len()),
            Lang::En => format!("{} new items in your inbox", cases.len()),
        };
        show(
            ctx,
            user,
            l.pick("我的待办", "My inbox"),
            &body,
            "inbox",
            Screen::Inbox,
        );
        return;
    }
    let tz = ctx.config.with_untracked(|c| c.settings.tz());
    let role = ctx
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.user.role))
        .unwrap_or(shared::role::Role::Staff);
    for (key, reason) in fresh {
        let Some(reg_no) = ctx
            .cases
            .with_untracked(|c| c.get(&key.case).map(|c| c.registration.reg_no.to_string()))
        else {
            continue;
        };
        let title = match l {
            Lang::ZhCn => format!("我的待办：{reg_no}"),
            Lang::En => format!("My inbox: {reg_no}"),
        };
        let tag = format!(
            "{}-{}-{}",
            key.case,
            key.kind.code(),
            key.clock.map_or("", |c| c.code())
        );
        show(
            ctx,
            user,
            &title,
            &reason_text(&reason, role, l, tz),
            &tag,
            Screen::Detail(key.case),
        );
    }
}

thread_local! {
    /// The notifications shown to the user logged in from the page (no
    /// service worker controls it), closed when they log out or another
    /// user logs in on the tablet.
    static OPEN: std::cell::RefCell<Vec<Notification>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Closes the notifications shown, the page's and the service worker's
/// (those already gone cost nothing): all of them, or those of other users
/// than `keep`'s.
fn close(keep: Option<UserId>) {
    OPEN.with_borrow_mut(|open| {
        for n in open.drain(..) {
            n.close();
        }
    });
    spawn_local(async move {
        let Some(registration) = registration().await else {
            return;
        };
        let Some(shown) = crate::update::call(&registration, "getNotifications").await else {
            return;
        };
        let keep = keep.map(|u| JsValue::from_str(&u.to_string()));
        for n in js_sys::Array::from(&shown).iter() {
            if let Ok(n) = n.dyn_into::<Notification>() {
                let user = Reflect::get(&n.data(), &"user".into()).ok();
                if keep.is_none() || user != keep {
                    n.close();
                }
            }
        }
    });
}

/// The registration of the service worker that controls the page, if one
/// does. Notifications come from it where there is one: Chrome on Android
/// refuses `new Notification()` ("Illegal constructor"), and shows only
/// those of a service worker.
async fn registration() -> Option<JsValue> {
    let container = crate::update::container()?;
    crate::update::controller(&container)?;
    let ready = Reflect::get(&container, &"ready".into())
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()?;
    wasm_bindgen_futures::JsFuture::from(ready).await.ok()
}

/// What a reminder opens: the inbox, or a case.
fn target(open: Screen) -> String {
    match open {
        Screen::Detail(case) => case.to_string(),
        _ => INBOX.to_string(),
    }
}

/// [`target`]'s code for the inbox.
const INBOX: &str = "inbox";

/// Opens what a reminder tapped is about, if `user` is still the one
/// logged in.
fn opened(ctx: AppCtx, user: &str, open: &str) {
    let current = ctx
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.user.id.to_string()));
    if current.as_deref() != Some(user) {
        return;
    }
    let screen = match open {
        INBOX => Screen::Inbox,
        case => match case.parse() {
            Ok(case) => Screen::Detail(shared::id::CaseId(case)),
            Err(_) => return,
        },
    };
    let _ = window().focus();
    // Already there: nothing to leave, and no warning to give.
    if ctx.screen.get_untracked() == screen {
        return;
    }
    // Taken as any other way off the screen: photos or a signature not
    // saved yet are warned of first, not dropped.
    crate::components::leave_to(ctx, screen);
}

/// The reminder tapped while no window of the app was open, which
/// `sw.js` opened the app on (`#reminder={user}:{open}`): read once, the
/// fragment removed, so that a reload starts at the list.
fn tapped_before_start() -> Option<(String, String)> {
    let location = window().location();
    let hash = location.hash().ok()?;
    let (user, open) = hash.strip_prefix("#reminder=")?.split_once(':')?;
    let tapped = (
        js_sys::decode_uri_component(user).ok()?.as_string()?,
        js_sys::decode_uri_component(open).ok()?.as_string()?,
    );
    if let (Ok(history), Ok(path)) = (window().history(), location.pathname()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&path));
    }
    Some(tapped)
}

/// Listens for the reminders tapped while the service worker showed them
/// (`sw.js` hands the tap to the page); runs as long as the app.
fn listen(ctx: AppCtx) {
    // One tapped before the app started opens once the session is read.
    if let Some(tapped) = tapped_before_start() {
        let pending = StoredValue::new(Some(tapped));
        Effect::new(move |_| {
            if !ctx.ready.get() || ctx.session.with(Option::is_none) {
                return;
            }
            if let Some((user, open)) = pending.try_update_value(Option::take).flatten() {
                opened(ctx, &user, &open);
            }
        });
    }
    let Some(container) = crate::update::container() else {
        return;
    };
    let on_message = wasm_bindgen::closure::Closure::<dyn Fn(JsValue)>::new(move |ev: JsValue| {
        let reminder = Reflect::get(&ev, &"data".into())
            .and_then(|data| Reflect::get(&data, &"reminder".into()))
            .unwrap_or(JsValue::UNDEFINED);
        let field = |name: &str| {
            Reflect::get(&reminder, &name.into())
                .ok()
                .and_then(|v| v.as_string())
        };
        if let (Some(user), Some(open)) = (field("user"), field("open")) {
            opened(ctx, &user, &open);
        }
    });
    let add = Reflect::get(&container, &"addEventListener".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(add) = add {
        let _ = add.call2(&container, &"message".into(), on_message.as_ref());
    }
    on_message.forget();
}

/// One notification for `user`; a tap brings the app to the front on
/// `open`, if `user` is still the one logged in. A browser that refuses to
/// show it (e.g. permission withdrawn meanwhile) only costs the reminder.
fn show(ctx: AppCtx, user: UserId, title: &str, body: &str, tag: &str, open: Screen) {
    let options = NotificationOptions::new();
    options.set_body(body);
    // The same item notified twice (another tab) replaces, not stacks; a
    // replacement alerts again (a new amount to approve, a count grown).
    options.set_tag(tag);
    options.set_renotify(true);
    let (user, open) = (user.to_string(), target(open));
    let title = title.to_string();
    spawn_local(async move {
        if let Some(registration) = registration().await {
            let data = js_sys::Object::new();
            let _ = Reflect::set(&data, &"user".into(), &user.as_str().into());
            let _ = Reflect::set(&data, &"open".into(), &open.as_str().into());
            options.set_data(&data);
            let args = js_sys::Array::of2(&title.as_str().into(), &options);
            if crate::update::call_with(&registration, "showNotification", &args)
                .await
                .is_none()
            {
                leptos::logging::warn!("the service worker did not show a reminder");
            }
            return;
        }
        match Notification::new_with_options(&title, &options) {
            Ok(n) => {
                let click = wasm_bindgen::closure::Closure::once_into_js(move || {
                    opened(ctx, &user, &open);
                });
                n.set_onclick(Some(click.unchecked_ref()));
                // Bounded: the oldest are long dismissed on most devices.
                OPEN.with_borrow_mut(|shown| {
                    if shown.len() >= KEPT_OPEN {
                        shown.remove(0);
                    }
                    shown.push(n);
                });
            }
            Err(e) => leptos::logging::warn!("showing a reminder: {e:?}"),
        }
    });
}
