//! The browser app: a Leptos client-side-rendered tablet app for staff on
//! site, offline first.
//!
//! wasm-bindgen runs [`start`] when `index.html` calls `init()` from the
//! generated `app.js`; it mounts [`App`] into `<body>`. Nothing in the page
//! is rendered by static HTML, so a browser test that finds the shell knows
//! the wasm ran.
//!
//! Codemap: `db` is IndexedDB, `api` the HTTP client, `sync` the engine
//! and `sync_status` what it reports, `state` the shared state, `record`
//! the one place ops are made, `reminder` the notifications of new inbox items, `blocked` why the server stopped accepting
//! the device, `evidence` photos and signatures, `pages` the screens,
//! `components` the small shared pieces, `i18n` the words, `office` how
//! the head-office screens live in a second bundle, `navigation` what the
//! system's Back does, `tab` why only one tab
//! works on the device at a time.
//!
//! **Architecture Invariant:** the app holds no second copy of the rules.
//! Workflow, deadlines and validation come from `shared`.

pub mod api;
pub mod blocked;
pub mod clock;
pub mod components;
pub mod db;
pub mod evidence;
pub mod i18n;
pub mod idle_lock;
pub mod navigation;
pub mod office;
pub mod pages;
pub mod record;
pub mod reminder;
pub mod scope;
pub mod state;
pub mod sync;
pub mod sync_status;
pub mod tab;
pub mod tombstone;
pub mod update;

use leptos::prelude::*;
use leptos::task::spawn_local;
use state::{AppCtx, Screen};
use wasm_bindgen::prelude::wasm_bindgen;

/// The product's name, shown in the header and the window's title. The
/// browser tests look for it.
pub const PRODUCT_NAME: &str = "物业投诉与服务工单";
/// Its English name.
const PRODUCT_NAME_EN: &str = "Property complaints and service cases";

/// The origin's localStorage, for the small things kept outside
/// IndexedDB (drafts, the tab lease, the clock's offset); `None` where the
/// browser refuses it.
pub(crate) fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The wasm module's entry point.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The app shell: a header with the product name, the connection and sync
/// state and the navigation, the banners that say when the app cannot work
/// as it should, and the current screen.
#[component]
pub fn App() -> impl IntoView {
    let ctx = AppCtx::new();
    provide_context(ctx);
    reminder::watch(ctx);
    navigation::follow(ctx);
    update::watch(ctx);
    let lock = idle_lock::watch(ctx);
    // A tablet left unused loads a newer build that is ready: nobody is
    // in the middle of anything (`update::apply` waits all the same).
    Effect::new(move |_| {
        if lock.locked.get() && ctx.update.get() == update::Update::Ready {
            update::apply(ctx);
        }
    });
    // Another tab holds the device's storage until it closes (`tab`).
    let elsewhere = RwSignal::new(false);
    spawn_local(async move {
        tab::hold(move || elsewhere.set(true)).await;
        elsewhere.set(false);
        match ctx.load().await {
            Ok(()) => {
                spawn_local(db::ask_to_persist());
                sync::start(ctx);
            }
            Err(e) => {
                leptos::logging::error!("start: {e}");
                // The newer build that upgraded the database is fetched
                // and loaded (at most once in ten minutes).
                if matches!(e, db::DbError::NewerBuild(_)) {
                    update::required(ctx);
                }
                ctx.fatal.set(Some(e));
                ctx.ready.set(true);
            }
        }
    });
    let lang = ctx.lang;
    // `<html lang>` follows the chosen language (index.html starts with
    // zh-CN), so screen readers read English in an English voice.
    Effect::new(move |_| {
        let l = lang.get();
        let code = l.code();
        document().set_title(l.pick(PRODUCT_NAME, PRODUCT_NAME_EN));
        if let Some(html) = document().document_element()
            && let Err(e) = html.set_attribute("lang", code)
        {
            leptos::logging::warn!("setting the page language: {e:?}");
        }
    });
    let logged_in = move || ctx.session.with(Option::is_some);
    // Whether the screen gives way to the revoked tablet's notice. A memo,
    // so that the screen is drawn again only when that changes: a session
    // that ended (the tablet blocked otherwise) must not rebuild the screen
    // and drop the saved card showing the number just given.
    let closed = Memo::new(move |_| {
        ctx.blocked.get() == Some(blocked::Blocked::Revoked) && ctx.screen.get() != Screen::Settings
    });
    // Logged in and allowed to work: not held at the password change.
    let working = move || logged_in() && !ctx.must_change_password();
    view! {
        <div class="app-shell" data-testid="app-shell">
            <header class="app-header" data-testid="app-header"
                hidden=move || lock.locked.get() inert=move || lock.locked.get()>
                <h1 class="app-title" data-testid="app-title">{move || lang.get().pick(PRODUCT_NAME, PRODUCT_NAME_EN)}</h1>
                <Show when=working>
                    <components::Nav/>
                </Show>
                <div class="header-status">
                    <Show when=working>
                        <components::SyncIndicator/>
                    </Show>
                    <components::ConnectionBadge/>
                </div>
            </header>
            // The screens stay beneath the idle lock, hidden: what is half
            // typed is there after the unlock (`idle_lock`).
            <Show when=move || lock.locked.get()>
                <main class="app-main">
                    <idle_lock::LockScreen lock=lock/>
                </main>
            </Show>
            <main class="app-main" data-testid="app-main"
                hidden=move || lock.locked.get() inert=move || lock.locked.get()>
                <components::HttpsBanner/>
                <components::UpdateBanner/>
                <components::ClockBanner/>
                <components::LeaveWarning/>
                <components::DraftsRefused/>
                <idle_lock::Ended lock=lock/>
                <Show when=move || ctx.ready.get()>
                    <components::BlockedBanner/>
                </Show>
                {move || {
                    if elsewhere.get() {
                        return view! {
                            <section class="banner warn" data-testid="open-elsewhere">
                                <h2>
                                    {move || {
                                        lang.get()
                                            .pick(
                                                "本应用已在另一个标签页中打开",
                                                "The app is open in another tab",
                                            )
                                    }}
                                </h2>
                                <p>
                                    {move || {
                                        lang.get()
                                            .pick(
                                                "同一台平板上只能在一个标签页中使用。请关闭另一个标签页或窗口，此页会自动继续。",
                                                "Only one tab can work on this tablet. Close the other tab or window and this page continues by itself.",
                                            )
                                    }}
                                </p>
                            </section>
                        }
                            .into_any();
                    }
                    if !ctx.ready.get() {
                        return view! {
                            <p class="loading" data-testid="loading">
                                {move || lang.get().pick("正在加载…", "Loading…")}
                            </p>
                        }
                            .into_any();
                    }
                    if let Some(e) = ctx.fatal.get() {
                        // In words; the detail is in the console.
                        let (zh, en) = match e {
                            db::DbError::Corrupt(_) => (
                                "本机保存的数据无法读取（可能由更新的版本写入），请联系系统管理员。请勿清除浏览器数据：未上传的记录会丢失。",
                                "The data kept on this tablet cannot be read (written by a newer version?); contact the administrator. Do not clear the browser's data: records not uploaded yet would be lost.",
                            ),
                            // Clearing the site's data "fixes" it, with the
                            // outbox and the photos.
                            db::DbError::NewerBuild(_) => (
                                "本机数据已由较新版本的应用升级，此版本无法打开。联网后应用会自动更新；如仍无法打开，请联系系统管理员。请勿清除浏览器数据：未上传的记录会丢失。",
                                "The data on this tablet was upgraded by a newer version of the app, which this one cannot open. Online, the app updates itself; if it still does not open, contact the administrator. Do not clear the browser's data: records not uploaded yet would be lost.",
                            ),
                            db::DbError::Full(_) => db::DbError::FULL,
                            db::DbError::Idb(_) | db::DbError::NotOpen => (
                                "浏览器不允许使用本机存储（可能是无痕模式，或存储空间已满），请检查浏览器设置。",
                                "The browser refuses storage on this tablet (private mode, or full?); check the browser settings.",
                            ),
                        };
                        return view! {
                            <p class="error" role="alert" data-testid="fatal">{move || lang.get().pick(zh, en)}</p>
                        }
                            .into_any();
                    }
                    if !logged_in() {
                        return view! { <pages::login::Login/> }.into_any();
                    }
                    if ctx.must_change_password() {
                        return view! { <pages::password::FirstPassword/> }.into_any();
                    }
                    // A revoked tablet (lost, stolen, handed back) shows no
                    // case: it can never log in again, and whoever holds it
                    // now is no user. The banner above keeps what only it
                    // holds, to export; the settings (the language, the
                    // logout) hold no case.
                    if closed.get() {
                        return view! {
                            <p class="hint" data-testid="revoked-closed">
                                {move || lang.get().pick(
                                    "本设备已被吊销，工单不再在本机显示。",
                                    "This tablet is revoked: cases are no longer shown on it.",
                                )}
                            </p>
                        }
                            .into_any();
                    }
                    match ctx.screen.get() {
                        Screen::List => view! { <pages::list::CaseList/> }.into_any(),
                        Screen::Inbox => view! { <pages::inbox::Inbox/> }.into_any(),
                        Screen::New if ctx.role().is_some_and(|r| r.works_cases()) => {
                            view! { <pages::new_case::NewCase/> }.into_any()
                        }
                        Screen::New => components::not_allowed(),
                        Screen::Detail(id) => view! { <pages::detail::Detail id=id/> }.into_any(),
                        Screen::Settings => view! { <pages::settings::SettingsPage/> }.into_any(),
                        Screen::Print(id) => view! { <pages::print::PrintRecord id=id/> }.into_any(),
                        Screen::Receipt(id) => view! { <pages::receipt::PrintReceipt id=id/> }.into_any(),
                        Screen::Result(id) => view! { <pages::receipt::PrintResult id=id/> }.into_any(),
                        office @ (Screen::Dashboard | Screen::Admin(_)) => office::view(office),
                    }
                }}
            </main>
            <footer class="app-footer" data-testid="app-version">
                {move || lang.get().pick("版本 ", "Version ")}
                {env!("CARGO_PKG_VERSION")}
            </footer>
        </div>
    }
}
