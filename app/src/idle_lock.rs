//! The idle lock on the tablet (`shared::idle_lock`): left unused for the
//! company's minutes, the screen gives way to a password field, and
//! nothing of a case shows until the logged-in user types their password
//! (checked on the tablet, offline too) or logs out for a colleague.
//!
//! The screens stay mounted beneath, hidden and inert: what was half typed
//! in a form is there again after the unlock. Within a page, idleness is
//! measured by the page's own clock, which only runs forward (a wall
//! clock moved by hand, or by a test, neither locks nor opens it), and
//! the time a sleeping tablet's page lay hidden by the wall clock (the
//! page's clock may stand still in sleep). Across pages, the last use is
//! kept in `localStorage` by the wall clock, taken over by the next page
//! as it starts, so a reload or a browser reopened the next morning starts
//! locked; and once locked, a latch
//! kept there too holds the lock until the password or a login opens it,
//! whatever another page writes. The wrong passwords are kept as well: a
//! reload does not give back the attempts. Only a page with a session that
//! can be unlocked counts a tap as use: one still loading, or another tab
//! waiting for this one, cannot open the lock by being touched.

use crate::state::AppCtx;
use leptos::prelude::*;
use shared::idle_lock::{self, UNLOCK_ATTEMPTS, Verifier};
use std::cell::Cell;

/// The `localStorage` key of the last use, by the wall clock, in
/// milliseconds since the epoch.
const SINCE: &str = "idle-since";
/// The `localStorage` key set while the lock is closed.
const LATCHED: &str = "idle-locked";
/// The `localStorage` key of the wrong passwords typed at the lock.
const FAILED: &str = "idle-failed";
/// A use within this of the last one stored is not stored again: a
/// typist's every key would write.
const STORE_EVERY_MS: f64 = 5_000.0;

thread_local! {
    /// The last use by the page's clock (one kept by an earlier page
    /// taken over at the start, `watch`).
    static LAST: Cell<f64> = const { Cell::new(0.0) };
    /// The last use stored, by the wall clock, as this page wrote or found it.
    static STORED: Cell<f64> = const { Cell::new(f64::NEG_INFINITY) };
    /// When the page was last hidden, by the wall clock.
    static HIDDEN_AT: Cell<Option<f64>> = const { Cell::new(None) };
    /// The wrong passwords, where `localStorage` keeps none.
    static FAILURES: Cell<u32> = const { Cell::new(0) };
    /// Whether the lock is closed now, for what is not reactive (Back).
    static CLOSED: Cell<bool> = const { Cell::new(false) };
}

/// The lock's state, `Copy` like the app's.
#[derive(Clone, Copy)]
pub struct IdleLock {
    /// Whether the screen is locked now.
    pub locked: Memo<bool>,
    /// Moved when the lock opens or closes between the app clock's ticks.
    changed: RwSignal<u32>,
    /// The tablet slept (its screen off) longer than the lock waits.
    slept: RwSignal<bool>,
    /// The login ended at the lock after too many wrong passwords: said
    /// on the login screen that follows.
    pub ended: RwSignal<bool>,
}

/// The page's clock, in milliseconds: it only runs forward.
fn page_clock() -> f64 {
    window()
        .performance()
        .map_or_else(js_sys::Date::now, |p| p.now())
}

fn read(key: &str) -> Option<f64> {
    crate::local_storage()?
        .get_item(key)
        .ok()
        .flatten()?
        .parse()
        .ok()
}

fn write(key: &str, value: f64) {
    if let Some(storage) = crate::local_storage() {
        let _ = storage.set_item(key, &value.to_string());
    }
}

fn forget(key: &str) {
    if let Some(storage) = crate::local_storage() {
        let _ = storage.remove_item(key);
    }
}

/// Notes a use now, by both clocks.
fn used_now() {
    let wall = js_sys::Date::now();
    LAST.with(|l| l.set(page_clock()));
    STORED.with(|s| s.set(wall));
    write(SINCE, wall);
}

/// Whether the lock is closed now (what is not reactive asks: the
/// system's Back does nothing then).
pub fn is_closed() -> bool {
    CLOSED.with(Cell::get)
}

/// The verifier of a password just typed (a login, a password change):
/// none where the browser gives no random salt, and the tablet then
/// never locks for this session.
pub fn verifier(password: &str) -> Option<Verifier> {
    let crypto = window().crypto().ok()?;
    let mut salt = [0u8; idle_lock::SALT_BYTES];
    crypto.get_random_values_with_u8_array(&mut salt).ok()?;
    Some(Verifier::new(password, salt))
}

/// A login, a password change or an unlock: the tablet is in use from
/// now, the lock open, with every attempt given back.
pub fn in_use() {
    used_now();
    forget(LATCHED);
    forget(FAILED);
    FAILURES.with(|f| f.set(0));
}

/// Starts watching the tablet's use.
pub fn watch(ctx: AppCtx) -> IdleLock {
    let changed = RwSignal::new(0u32);
    let slept = RwSignal::new(false);
    // A session that can be unlocked: one stored by a build before the
    // lock has no verifier until its next login, and the password change
    // comes first.
    let guarded = move || {
        ctx.session.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.unlock.is_some() && !s.must_change_password)
        })
    };
    let minutes = move || ctx.config.with(|c| c.settings.idle_lock_minutes);
    // The last use kept by an earlier page, by the wall clock, taken over
    // once in this page's clock: a reload or a browser opened the next
    // morning reckons from it. One later than now (the clock set back
    // since) counts as now. From here on the wall clock is not read.
    let wall = js_sys::Date::now();
    let stored = read(SINCE).map_or(wall, |since| since.min(wall));
    STORED.with(|s| s.set(stored));
    LAST.with(|l| l.set(page_clock() - (wall - stored)));
    let due = move |minutes: u32| {
        read(LATCHED).is_some()
            || idle_lock::is_due(minutes, 0, (page_clock() - LAST.with(Cell::get)) as i64)
    };
    let locked = Memo::new(move |_| {
        ctx.now.track();
        changed.track();
        let minutes = minutes();
        guarded() && minutes > 0 && (slept.get() || due(minutes))
    });
    // Latched while closed: only the password or a login opens it.
    Effect::new(move |_| {
        let closed = locked.get();
        CLOSED.with(|c| c.set(closed));
        if closed {
            write(LATCHED, 1.0);
        }
    });
    let used = move || {
        // Not before a session that can be unlocked is loaded here: a tap
        // on a page still loading, or on another tab, is nobody's use.
        if locked.get_untracked() || !untrack(guarded) {
            return;
        }
        let minutes = untrack(minutes);
        if minutes > 0 && due(minutes) {
            // The lock's time passed since the last tick: it closes first,
            // and this touch opens nothing.
            changed.update(|n| *n += 1);
            return;
        }
        let stored = STORED.with(Cell::get);
        if (js_sys::Date::now() - stored).abs() >= STORE_EVERY_MS {
            used_now();
        } else {
            LAST.with(|l| l.set(page_clock()));
        }
    };
    for event in ["pointerdown", "keydown", "input", "wheel"] {
        let _ = window_event_listener_untyped(event, move |_| used());
    }
    // A tablet's screen turned off hides the page, and the page's clock
    // may stand still while it sleeps: the wall clock says how long.
    let _ = window_event_listener_untyped("visibilitychange", move |_| {
        let now = js_sys::Date::now();
        if document().hidden() {
            HIDDEN_AT.with(|h| h.set(Some(now)));
        } else if let Some(hidden) = HIDDEN_AT.with(|h| h.take())
            && untrack(guarded)
            && idle_lock::is_due(untrack(minutes), hidden as i64, now as i64)
        {
            slept.set(true);
        }
    });
    let ended = RwSignal::new(false);
    // Another session (a login, a logout) starts unlocked and unslept;
    // what the lock ended is said until the next login.
    Effect::new(move |before: Option<Option<String>>| {
        let token = ctx.session.with(|s| s.as_ref().map(|s| s.token.clone()));
        if before.is_some_and(|b| b != token) {
            slept.set(false);
        }
        if token.is_some() {
            ended.set(false);
        }
        token
    });
    IdleLock {
        locked,
        changed,
        slept,
        ended,
    }
}

impl IdleLock {
    /// The right password: in use from now.
    fn open(self, ctx: AppCtx) {
        in_use();
        self.slept.set(false);
        self.changed.update(|n| *n += 1);
        // An update the lock was loading waits for the next lock: the
        // user is back (`update::apply`).
        crate::update::hold(ctx);
    }
}

/// The wrong passwords typed at the lock so far, as kept.
fn failures() -> u32 {
    let stored = read(FAILED).map_or(0, |n| n.max(0.0) as u32);
    stored.max(FAILURES.with(Cell::get))
}

/// What the password typed at the lock did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    /// Wrong, with this many attempts left.
    Wrong(u32),
    /// Nothing typed.
    Empty,
}

/// The lock's screen, shown in place of the app's while it is locked.
#[component]
pub fn LockScreen(lock: IdleLock) -> impl IntoView {
    let ctx = crate::state::use_app();
    let password = RwSignal::new(String::new());
    let refused = RwSignal::new(None::<Refused>);
    let checking = RwSignal::new(false);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let who = move || {
        ctx.session.with(|s| {
            s.as_ref()
                .map(|s| format!("{} ({})", s.user.display_name, s.user.login))
                .unwrap_or_default()
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if checking.get_untracked() {
            return;
        }
        let typed = password.get_untracked();
        if typed.is_empty() {
            refused.set(Some(Refused::Empty));
            return;
        }
        let Some(verifier) = ctx
            .session
            .with_untracked(|s| s.as_ref().and_then(|s| s.unlock.clone()))
        else {
            return;
        };
        checking.set(true);
        leptos::task::spawn_local(async move {
            // The check takes some tenths of a second: "checking" shows first.
            crate::state::sleep(20).await;
            let admitted = verifier.admits(&typed);
            checking.set(false);
            password.set(String::new());
            if admitted {
                refused.set(None);
                lock.open(ctx);
                return;
            }
            let failed = failures() + 1;
            FAILURES.with(|f| f.set(failed));
            if failed >= UNLOCK_ATTEMPTS {
                // Whoever holds the tablet does not know the password: the
                // login ends here, and a new one asks the server. The
                // screens stay hidden until the session is gone.
                ctx.log_out().await;
                in_use();
                lock.ended.set(true);
                return;
            }
            write(FAILED, f64::from(failed));
            refused.set(Some(Refused::Wrong(UNLOCK_ATTEMPTS - failed)));
        });
    };
    let error = move || {
        let l = ctx.lang.get();
        refused.get().map(|r| match (r, l) {
            (Refused::Empty, l) => l.pick("请输入密码", "Enter the password").to_string(),
            (Refused::Wrong(left), shared::lang::Lang::ZhCn) => {
                format!("密码不正确，还可再试 {left} 次；之后本机将退出登录。")
            }
            (Refused::Wrong(left), shared::lang::Lang::En) => {
                format!("Wrong password: {left} more tries, then this tablet logs out.")
            }
        })
    };
    view! {
        <section class="card login idle-lock" data-testid="idle-lock" aria-labelledby="idle-lock-title">
            <h2 id="idle-lock-title">{t("屏幕已锁定", "The screen is locked")}</h2>
            <p class="hint">
                {move || match ctx.lang.get() {
                    shared::lang::Lang::ZhCn => format!(
                        "本机已有 {} 分钟无人操作。{}：请输入密码继续；其他同事使用本机请先退出登录。",
                        ctx.config.with(|c| c.settings.idle_lock_minutes),
                        who(),
                    ),
                    shared::lang::Lang::En => format!(
                        "This tablet was left unused for {} minutes. {}, enter your password to go on; a colleague logs out first.",
                        ctx.config.with(|c| c.settings.idle_lock_minutes),
                        who(),
                    ),
                }}
            </p>
            <form on:submit=submit>
                <label class="field">
                    <span>{t("密码", "Password")}</span>
                    <input type="password" autocomplete="current-password" data-testid="unlock-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                    <span class="field-error" role="alert" data-testid="unlock-error">{error}</span>
                </label>
                <button type="submit" class="btn primary" data-testid="unlock-submit" disabled=move || checking.get()>
                    {move || if checking.get() {
                        ctx.lang.get().pick("正在核对…", "Checking…")
                    } else {
                        ctx.lang.get().pick("解锁", "Unlock")
                    }}
                </button>
            </form>
            <crate::pages::settings::LogoutButton/>
        </section>
    }
}

/// Said on the login screen after the lock ended a login.
#[component]
pub fn Ended(lock: IdleLock) -> impl IntoView {
    let ctx = crate::state::use_app();
    view! {
        <Show when=move || lock.ended.get() && ctx.session.with(Option::is_none)>
            <p class="banner warn" role="alert" data-testid="idle-lock-ended">
                {move || ctx.lang.get().pick(
                    "锁屏时密码连续输错，本机已退出登录。本机上的记录仍在，下次登录后会同步。",
                    "Wrong passwords at the lock: this tablet logged out. The records on it stay, and sync after the next login.",
                )}
            </p>
        </Show>
    }
}
