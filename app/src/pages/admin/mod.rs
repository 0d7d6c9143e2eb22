//! Administration (admin role, online only): users, devices, properties,
//! categories, company settings, the holiday calendar, the quarantine list
//! and the audit log, one tab each.
//!
//! Every tab loads its data from the server when it opens and writes
//! straight back to it: administration changes the company's shared
//! configuration, which only the server holds, so nothing here is queued
//! offline. What the devices need of it (settings, categories, calendar,
//! properties, users) reaches them through the ordinary pull; after a
//! change this screen asks for a sync so that this device has it at once.
//!
//! The server checks the role and every value; the app only hides the
//! screen from other roles and shows the server's refusals. The requests
//! go through the typed client `crate::api::admin`, whose requests and
//! answers are `shared` types.
//!
//! One module per tab: `users`, `devices`, `properties`, `categories`,
//! `settings`, `calendar`, `quarantine` (with `records`, the import of a
//! tablet's exported records) and `audit`. The tables and the
//! form pieces they share are `crate::components::table` and
//! `crate::components::form`; the small helpers are below.

mod audit;
mod calendar;
mod categories;
mod devices;
mod properties;
mod quarantine;
mod records;
mod roster;
mod settings;
mod users;

use crate::api::{self, ApiError};
use crate::components::held_back;
use crate::state::{AppCtx, Screen, use_app};
use chrono_tz::Tz;
use leptos::prelude::*;
use shared::lang::Lang;
use shared::role::Role;

/// The administration screen, opened on the tab `start`.
#[component]
pub fn AdminPage(start: Tab) -> impl IntoView {
    let ctx = use_app();
    let tab = RwSignal::new(start);
    let online = RwSignal::new(window().navigator().on_line());
    // Counts the returns of the network that find nothing typed: each
    // opens the tab afresh, which reads its data again (a read the drop
    // cut off shows its error until then).
    let revived = RwSignal::new(0u32);
    let on = window_event_listener(leptos::ev::online, move |_| {
        online.set(true);
        if ctx.unsaved.get_untracked() == 0 {
            revived.update(|n| *n += 1);
        }
    });
    let off = window_event_listener(leptos::ev::offline, move |_| online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    // A tab opened offline waits for the network; one open when the
    // network drops stays, with the notice above it, so that what is typed
    // in its forms is not lost (saving says the network is missing).
    let open = Memo::new(move |before: Option<&Option<(Tab, u32)>>| {
        let tb = tab.get();
        let kept = before.copied().flatten().is_some_and(|(was, _)| was == tb);
        (online.get() || kept).then(|| (tb, revived.get()))
    });
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <section class="admin" data-testid="admin">
            <h2>{t("系统管理", "Administration")}</h2>
            <crate::components::CalendarNeeded/>
            <nav class="admin-tabs" role="tablist">
                {Tab::ALL
                    .into_iter()
                    .map(|tb| {
                        view! {
                            <button type="button" class="admin-tab" role="tab"
                                class:active=move || tab.get() == tb
                                aria-selected=move || (tab.get() == tb).to_string()
                                data-testid=tb.testid()
                                on:click=move |_| {
                                    if tab.get_untracked() != tb && !held_back(ctx, Screen::Admin(tb)) {
                                        tab.set(tb);
                                    }
                                }>
                                {move || tb.label(ctx.lang.get())}
                            </button>
                        }
                    })
                    .collect_view()}
            </nav>
            <Show when=move || !online.get()>
                <p class="card admin-offline" data-testid="admin-offline">
                    {t(
                        "管理功能需要联网。请连接网络后再试；工单登记和处理仍可离线进行。",
                        "Administration needs the network. Connect and try again; cases can still be registered and worked offline.",
                    )}
                </p>
            </Show>
            {move || {
                if ctx.role() != Some(Role::Admin) {
                    return view! {
                        <p class="card error" data-testid="admin-forbidden">
                            {t("只有系统管理员可以使用管理功能。", "Only the system administrator may use administration.")}
                        </p>
                    }
                        .into_any();
                }
                match open.get().map(|(tb, _)| tb) {
                    None => ().into_any(),
                    Some(Tab::Users) => view! { <users::UsersTab/> }.into_any(),
                    Some(Tab::Devices) => view! { <devices::DevicesTab/> }.into_any(),
                    Some(Tab::Properties) => view! { <properties::PropertiesTab/> }.into_any(),
                    Some(Tab::Categories) => view! { <categories::CategoriesTab/> }.into_any(),
                    Some(Tab::Settings) => view! { <settings::SettingsTab/> }.into_any(),
                    Some(Tab::Calendar) => view! { <calendar::CalendarTab/> }.into_any(),
                    Some(Tab::Quarantine) => view! { <quarantine::QuarantineTab/> }.into_any(),
                    Some(Tab::Audit) => view! { <audit::AuditTab/> }.into_any(),
                }
            }}
        </section>
    }
}

/// The tabs of the screen, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Users,
    Devices,
    Properties,
    Categories,
    Settings,
    Calendar,
    Quarantine,
    Audit,
}

impl Tab {
    /// Every tab, in display order.
    pub const ALL: [Tab; 8] = [
        Tab::Users,
        Tab::Devices,
        Tab::Properties,
        Tab::Categories,
        Tab::Settings,
        Tab::Calendar,
        Tab::Quarantine,
        Tab::Audit,
    ];

    /// The tab's name in test ids and in the office page's URL
    /// (`crate::office`).
    pub fn code(self) -> &'static str {
        match self {
            Tab::Users => "users",
            Tab::Devices => "devices",
            Tab::Properties => "properties",
            Tab::Categories => "categories",
            Tab::Settings => "settings",
            Tab::Calendar => "calendar",
            Tab::Quarantine => "quarantine",
            Tab::Audit => "audit",
        }
    }

    /// The tab named `code` ([`Tab::code`]).
    pub fn from_code(code: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|tab| tab.code() == code)
    }

    fn testid(self) -> String {
        format!("admin-tab-{}", self.code())
    }

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Tab::Users => lang.pick("用户", "Users"),
            Tab::Devices => lang.pick("设备", "Devices"),
            Tab::Properties => lang.pick("项目", "Properties"),
            Tab::Categories => lang.pick("类别", "Categories"),
            Tab::Settings => lang.pick("设置", "Settings"),
            Tab::Calendar => lang.pick("节假日", "Holidays"),
            Tab::Quarantine => lang.pick("隔离区", "Quarantine"),
            Tab::Audit => lang.pick("审计日志", "Audit log"),
        }
    }
}

// ---- Helpers the tabs share ---------------------------------------------

/// The session's token, or the error for a request without a session (the
/// screen is only shown to a logged-in admin, so this means the session
/// just ended).
fn token(ctx: AppCtx) -> Result<String, ApiError> {
    ctx.token().ok_or_else(|| ApiError::Unauthorized {
        code: "auth.no_session".into(),
    })
}

/// The words the server would use for `code`, for a check the form makes
/// before it asks.
fn words(code: &str, l: Lang) -> String {
    api::code_words(code, l)
}

/// The first 8 characters of an id, enough to tell ids apart on screen.
fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// The company timezone, for showing times.
fn company_tz(ctx: AppCtx) -> Tz {
    ctx.config.with_untracked(|c| c.settings.tz())
}

/// Whether `e` is the refusal of a save made from an older copy
/// (`admin.changed_meanwhile`).
fn changed_meanwhile(e: &ApiError) -> bool {
    e.code() == Some("admin.changed_meanwhile")
}

/// Offered beside a save refused with `admin.changed_meanwhile`: reads what
/// is stored now into the form (what was typed here goes, as the user
/// chose). Without it the form keeps the old revision and every save is
/// refused again.
#[component]
fn ReadAgain(
    #[prop(into)] when: Signal<bool>,
    read: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = use_app();
    move || {
        when.get().then(|| {
            view! {
                <button type="button" class="btn" data-testid="admin-read-again" on:click=move |_| read()>
                    {move || ctx.lang.get().pick("载入最新内容", "Load what is saved now")}
                </button>
            }
        })
    }
}
