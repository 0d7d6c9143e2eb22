//! Small pieces the screens share: navigation, the sync indicator and the
//! deadline badge.

use crate::i18n;
use crate::state::{Screen, use_app};
use leptos::prelude::*;
use shared::case::Case;
use shared::deadline::ClockStatus;
use shared::lang::Lang;

/// The main navigation: list, new case, settings.
#[component]
pub fn Nav() -> impl IntoView {
    let ctx = use_app();
    let go = move |s: Screen| move |_| ctx.screen.set(s);
    let is = move |s: Screen| move || ctx.screen.get() == s;
    view! {
        <nav class="nav">
            <button class="nav-btn" class:active=is(Screen::List) data-testid="nav-list" on:click=go(Screen::List)>
                {move || ctx.lang.get().pick("工单", "Cases")}
            </button>
            <button class="nav-btn primary" class:active=is(Screen::New) data-testid="nav-new" on:click=go(Screen::New)>
                {move || ctx.lang.get().pick("登记", "Register")}
            </button>
            <Show when=move || ctx.role().is_some_and(|r| r.reads_statistics())>
                <button class="nav-btn" class:active=is(Screen::Dashboard) data-testid="nav-dashboard" on:click=go(Screen::Dashboard)>
                    {move || ctx.lang.get().pick("统计", "Dashboard")}
                </button>
            </Show>
            <Show when=move || ctx.role() == Some(shared::role::Role::Admin)>
                <button class="nav-btn" class:active=is(Screen::Admin) data-testid="nav-admin" on:click=go(Screen::Admin)>
                    {move || ctx.lang.get().pick("管理", "Admin")}
                </button>
            </Show>
            <button class="nav-btn" class:active=is(Screen::Settings) data-testid="nav-settings" on:click=go(Screen::Settings)>
                {move || ctx.lang.get().pick("设置", "Settings")}
            </button>
        </nav>
    }
}

/// Ops waiting, the last successful sync, the last error in plain words,
/// and a button to sync now.
#[component]
pub fn SyncIndicator() -> impl IntoView {
    let ctx = use_app();
    let pending = move || ctx.device.with(|d| d.as_ref().map_or(0, |d| d.pending()));
    let text = move || {
        let l = ctx.lang.get();
        let s = ctx.sync.get();
        let tz = ctx.config.with(|c| c.settings.tz());
        let waiting = match l {
            Lang::ZhCn => format!("待同步 {} 条", pending()),
            Lang::En => format!("{} waiting", pending()),
        };
        let last = match s.last_ok {
            Some(at) => match l {
                Lang::ZhCn => format!("上次同步 {}", i18n::fmt_time(at, tz)),
                Lang::En => format!("last sync {}", i18n::fmt_time(at, tz)),
            },
            None => l.pick("尚未同步", "not synced yet").to_string(),
        };
        let running = if s.running {
            l.pick(" · 同步中…", " · syncing…")
        } else {
            ""
        };
        format!("{waiting} · {last}{running}")
    };
    let error = move || {
        let l = ctx.lang.get();
        ctx.sync.with(|s| {
            let mut msg = s.error.as_ref().map(|e| e.message(l)).unwrap_or_default();
            if s.quarantined > 0 {
                let q = match l {
                    Lang::ZhCn => format!(" {} 条记录被服务器隔离，请联系管理员。", s.quarantined),
                    Lang::En => format!(
                        " {} records were quarantined by the server; contact the administrator.",
                        s.quarantined
                    ),
                };
                msg.push_str(&q);
            }
            msg
        })
    };
    view! {
        <div class="sync" data-testid="sync-status" class:sync-error=move || ctx.sync.with(|s| s.error.is_some())
            data-synced=move || ctx.sync.with(|s| s.last_ok.is_some()).to_string()
            data-running=move || ctx.sync.with(|s| s.running).to_string()>
            <span class="sync-text">
                <span data-testid="sync-pending" data-pending=move || pending().to_string()>{text}</span>
                <span class="sync-error-text" data-testid="sync-error">{error}</span>
            </span>
            <button class="btn small" data-testid="sync-now" on:click=move |_| crate::sync::request(ctx)
                disabled=move || ctx.sync.with(|s| s.running)>
                {move || ctx.lang.get().pick("立即同步", "Sync now")}
            </button>
        </div>
    }
}

/// The most pressing running clock of a case: overdue first, then the
/// earliest due. `None` when no clock runs.
pub fn next_clock(case: &Case) -> Option<&shared::deadline::ClockState> {
    case.deadlines
        .iter()
        .filter(|c| c.met_at.is_none())
        .min_by_key(|c| c.due_at)
}

/// A badge "due in 3h" / "overdue by 1d 2h" for the case's most pressing
/// running clock.
pub fn deadline_badge(case: &Case, ctx: &crate::state::AppCtx) -> impl IntoView + use<> {
    let lang = ctx.lang.get();
    let now = ctx.now.get();
    let due_soon = ctx.config.with(|c| c.settings.deadlines.due_soon());
    match next_clock(case) {
        None => view! { <span class="badge none" data-testid="deadline">"—"</span> }.into_any(),
        Some(clock) => {
            let status = clock.status(now, due_soon);
            let class = match status {
                ClockStatus::Overdue => "badge overdue",
                ClockStatus::DueSoon => "badge due-soon",
                _ => "badge ok",
            };
            let text = format!(
                "{}：{}",
                clock.clock.label(lang),
                i18n::due_text(clock.due_at, now, lang)
            );
            view! { <span class=class data-testid="deadline" data-status=status.code()>{text}</span> }
                .into_any()
        }
    }
}
