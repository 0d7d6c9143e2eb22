//! Small pieces the screens share: navigation, the connection pill, the
//! sync indicator, the banners that say when the app cannot work as it
//! should (no HTTPS, a device the server no longer accepts), the list of
//! the records not uploaded yet and their file (`records`), and the
//! deadline badge; for the
//! online-only screens, server data in a table (`table`) and the pieces of
//! their forms (`form`).

pub mod download;
pub mod focus;
pub mod form;
pub mod location;
pub mod records;
pub mod related;
pub mod table;

pub use records::ExportUnsent;

use crate::api::ApiError;
use crate::blocked::Blocked;
use crate::i18n;
use crate::pages::admin::Tab;
use crate::state::{AppCtx, Screen, now, use_app};
use crate::sync_status::Link;
use crate::update::Update;
use leptos::prelude::*;
use shared::case::Case;
use shared::deadline::ClockStatus;
use shared::lang::Lang;
use shared::wire::CASE_DELETED;

/// The main navigation: list, new case, settings. The tab of the screen
/// shown is the selected one (`aria-current="page"` and the class
/// `current`); a case and its printed record belong to the list's tab. No
/// tab is styled as selected otherwise: 登记 used to be drawn filled on
/// every page and read as the current one.
#[component]
pub fn Nav() -> impl IntoView {
    let ctx = use_app();
    // Photos and signatures taken and not saved, and what is typed in the
    // office's forms, live only on their screen: the first tap away says
    // so (`LeaveWarning`), the second leaves.
    let go = move |s: Screen| move |_| leave_to(ctx, s);
    // A warning is about what it saw, on its screen: once that changes
    // (taken, saved, dropped) or the screen does, the next tap away warns
    // again.
    Effect::new(move |_| {
        ctx.screen.track();
        ctx.staged.track();
        ctx.unsaved.track();
        ctx.leaving.set(None);
    });
    let tab = move || match ctx.screen.get() {
        Screen::Detail(_) | Screen::Print(_) | Screen::Receipt(_) | Screen::Result(_) => {
            Screen::List
        }
        Screen::Admin(_) => Screen::Admin(Tab::Users),
        s => s,
    };
    let is = move |s: Screen| move || tab() == s;
    let current = move |s: Screen| move || (tab() == s).then_some("page");
    let count = move || ctx.inbox.with(Vec::len);
    view! {
        <nav class="nav">
            <button class="nav-btn" class:current=is(Screen::List) aria-current=current(Screen::List)
                data-testid="nav-list" on:click=go(Screen::List)>
                {move || ctx.lang.get().pick("工单", "Cases")}
            </button>
            <button class="nav-btn" class:current=is(Screen::Inbox) aria-current=current(Screen::Inbox)
                data-testid="nav-inbox" on:click=go(Screen::Inbox)>
                {move || ctx.lang.get().pick("待办", "Inbox")}
                <span class="nav-count" data-testid="inbox-count" data-count=count
                    class:zero=move || count() == 0
                    aria-label=move || match ctx.lang.get() {
                        Lang::ZhCn => format!("{} 条待办", count()),
                        Lang::En => format!("{} items", count()),
                    }>
                    {count}
                </span>
            </button>
            // Head-office quality and the administrator work no case: the
            // server refuses a registration of theirs (`Role::works_cases`).
            <Show when=move || ctx.role().is_some_and(|r| r.works_cases())>
                <button class="nav-btn" class:current=is(Screen::New) aria-current=current(Screen::New)
                    data-testid="nav-new" on:click=go(Screen::New)>
                    {move || ctx.lang.get().pick("登记", "Register")}
                </button>
            </Show>
            <Show when=move || ctx.role().is_some_and(|r| r.reads_statistics())>
                <button class="nav-btn" class:current=is(Screen::Dashboard) aria-current=current(Screen::Dashboard)
                    data-testid="nav-dashboard" on:click=go(Screen::Dashboard)>
                    {move || ctx.lang.get().pick("统计", "Dashboard")}
                </button>
            </Show>
            <Show when=move || ctx.role() == Some(shared::role::Role::Admin)>
                <button class="nav-btn" class:current=is(Screen::Admin(Tab::Users)) aria-current=current(Screen::Admin(Tab::Users))
                    data-testid="nav-admin" on:click=go(Screen::Admin(Tab::Users))>
                    {move || ctx.lang.get().pick("管理", "Admin")}
                </button>
            </Show>
            <button class="nav-btn" class:current=is(Screen::Settings) aria-current=current(Screen::Settings)
                data-testid="nav-settings" on:click=go(Screen::Settings)>
                {move || ctx.lang.get().pick("设置", "Settings")}
            </button>
        </nav>
    }
}

/// Ops waiting, the last successful sync (kept across reloads), the last
/// error in plain words, and a button to sync now.
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
    // Evidence bytes wait apart from the ops: a photo can still be on its
    // way after its record synced. Those the server took no bytes for (set
    // aside: their op is in quarantine) are counted apart.
    let waiting = move || ctx.uploads_waiting();
    let set_aside = move || {
        ctx.uploads
            .with(|u| u.values().filter(|p| p.set_aside).count())
    };
    let uploads = move || {
        let l = ctx.lang.get();
        let (waiting, aside) = (waiting(), set_aside());
        let progress = ctx.sync.with(|s| s.upload).map_or_else(String::new, |p| {
            let percent = (p.sent * 100).checked_div(p.total).unwrap_or(0);
            match l {
                Lang::ZhCn => format!("（上传中 {percent}%）"),
                Lang::En => format!(" (uploading, {percent}%)"),
            }
        });
        let mut text = match (waiting, l) {
            (0, _) => String::new(),
            (n, Lang::ZhCn) => format!(" · 待上传文件 {n} 个{progress}"),
            (n, Lang::En) => format!(" · {n} files to upload{progress}"),
        };
        match (aside, l) {
            (0, _) => {}
            (n, Lang::ZhCn) => text.push_str(&format!(" · {n} 个文件待管理员处理隔离记录")),
            (n, Lang::En) => text.push_str(&format!(
                " · {n} files held until an admin settles their quarantined record"
            )),
        }
        text
    };
    let error = move || {
        let l = ctx.lang.get();
        if let Some(blocked) = ctx.blocked.get() {
            return blocked_short(blocked, l).to_string();
        }
        let mut msg = ctx.sync.with(|s| match &s.error {
                // The ops are in IndexedDB before a sync is even tried.
                Some(ApiError::Network(_)) => l
                    .pick(
                        "无法连接服务器。本机的记录已保存，联网后会自动上传。",
                        "Cannot reach the server. Records are kept on this tablet and upload when online.",
                    )
                    .to_string(),
            Some(e) => e.message(l),
            None => String::new(),
        });
        // Not a failure: everything else was sent, and these wait for
        // their author's login on this tablet.
        let held = ctx.sync.with(|s| s.held);
        if held > 0 {
            msg.push_str(&match l {
                Lang::ZhCn => format!(
                    " 本机有 {held} 条其他同事的记录等待上传，只能由记录人本人在本机登录后上传；在此之后记录的内容也要等它们先上传。"
                ),
                Lang::En => format!(
                    " {held} records of a colleague wait on this tablet: only their author's login on this tablet can send them, and what was recorded after them waits for them."
                ),
            });
        }
        // This device's ops the server refused, until an administrator
        // settles them: kept with the device, so a reload still tells.
        // Those of a case deleted meanwhile are told apart (below).
        let refused = ctx.device.with(|d| {
            d.as_ref()
                .map_or(0, |d| d.refused.iter().filter(|r| r.waits()).count())
        });
        if refused > 0 {
            msg.push_str(&match l {
                Lang::ZhCn => format!(
                    " {refused} 条记录被服务器隔离，未生效（见相关工单或“设置”），请联系管理员。"
                ),
                Lang::En => format!(
                    " {refused} records were quarantined by the server and did not take effect (see their cases, or Settings); contact the administrator."
                ),
            });
        }
        msg
    };
    view! {
        <div class="sync" data-testid="sync-status"
            class:sync-error=move || ctx.sync.with(|s| s.error.is_some()) || ctx.blocked.get().is_some()
            data-synced=move || ctx.sync.with(|s| s.synced).to_string()
            data-running=move || ctx.sync.with(|s| s.running).to_string()>
            <span class="sync-text">
                <span data-testid="sync-pending" data-pending=move || pending().to_string()>{text}</span>
                <span class="sync-uploads" data-testid="sync-uploads"
                    data-waiting=move || waiting().to_string()
                    data-set-aside=move || set_aside().to_string()>{uploads}</span>
                <span class="sync-error-text" data-testid="sync-error">{error}</span>
                <DeletedCaseRecords/>
            </span>
            <button class="btn small" data-testid="sync-now" on:click=move |_| crate::sync::request(ctx)
                disabled=move || ctx.sync.with(|s| s.running) || ctx.blocked.get().is_some()>
                {move || ctx.lang.get().pick("立即同步", "Sync now")}
            </button>
        </div>
    }
}

/// What this tablet recorded on cases the server deleted at the end of
/// their retention before the records reached it: they are refused, and
/// then dropped from the tablet with the case (`crate::tombstone`). Told
/// until the user has read it (知道了), not for ever.
#[component]
fn DeletedCaseRecords() -> impl IntoView {
    let ctx = use_app();
    let count = move || {
        ctx.device.with(|d| {
            d.as_ref().map_or(0, |d| {
                d.refused.iter().filter(|r| r.code == CASE_DELETED).count()
            })
        })
    };
    // The change and its write in one turn (`crate::state`): a write of a
    // state taken before a later change would undo that change.
    let dismiss = move |_| {
        leptos::task::spawn_local(async move {
            // `Update` here is the app's update, not the signal trait.
            let snapshot = leptos::prelude::Update::try_update(&ctx.device, |d| {
                d.as_mut().map(|d| {
                    d.refused.retain(|r| r.code != CASE_DELETED);
                    d.clone()
                })
            });
            if let Some(Some(snapshot)) = snapshot
                && let Err(e) = crate::db::save_state(&snapshot).await
            {
                leptos::logging::warn!("the device state was not saved: {e}");
            }
        });
    };
    view! {
        <Show when=move || { count() > 0 }>
            <span class="sync-error-text" role="alert" data-testid="sync-deleted-records">
                {move || match (ctx.lang.get(), count()) {
                    (Lang::ZhCn, n) => format!(" {n} 条记录所属的工单已按保存期限删除，这些记录未能保存。"),
                    (Lang::En, 1) => " 1 record was of a case deleted at the end of its retention and was not kept.".to_string(),
                    (Lang::En, n) => format!(" {n} records were of cases deleted at the end of their retention and were not kept."),
                }}
                <button type="button" class="btn small" data-testid="sync-deleted-records-dismiss" on:click=dismiss>
                    {move || ctx.lang.get().pick("知道了", "OK")}
                </button>
            </span>
        </Show>
    }
}

/// The header's pill: what the last attempt to reach the server found
/// (`crate::sync_status::Link`). 在线 only after the server answered; 离线 when
/// nothing answered; 同步失败 when the server refused, with the reason in
/// `title` (and beside it, in the sync indicator).
#[component]
pub fn ConnectionBadge() -> impl IntoView {
    let ctx = use_app();
    // (data-state, label, reason)
    let pill = move || {
        let l = ctx.lang.get();
        if let Some(blocked) = ctx.blocked.get() {
            let reason = blocked_short(blocked, l).to_string();
            return ("failed", l.pick("同步失败", "Sync failed"), reason);
        }
        ctx.sync.with(|s| match &s.link {
            Link::Unknown => ("checking", l.pick("连接中…", "Connecting…"), String::new()),
            Link::Online => ("online", l.pick("在线", "Online"), String::new()),
            Link::Offline => (
                "offline",
                l.pick("离线", "Offline"),
                l.pick("无法连接服务器", "Cannot reach the server")
                    .to_string(),
            ),
            Link::Failed(e) => ("failed", l.pick("同步失败", "Sync failed"), e.message(l)),
        })
    };
    view! {
        <span
            class=move || format!("connection {}", pill().0)
            role="status"
            data-testid="connection"
            data-state=move || pill().0
            title=move || pill().2
        >
            {move || pill().1}
        </span>
    }
}

/// A device the server no longer accepts, in a few words.
fn blocked_short(blocked: Blocked, l: Lang) -> &'static str {
    match blocked {
        Blocked::Revoked => l.pick(
            "本设备已被系统管理员吊销，不能再同步。",
            "This tablet was revoked by the administrator; it cannot sync.",
        ),
        Blocked::SessionEnded => l.pick(
            "服务器已不再接受本设备的登录（例如密码已在其他设备上修改），请重新登录。",
            "The server no longer accepts this tablet's login (the password changed on another tablet, say); log in again.",
        ),
    }
}

/// Whether the browser lets this page work offline: a secure context
/// (HTTPS, or `localhost`) with service workers. At a plain-HTTP address a
/// tablet can use the app only while the server answers.
pub fn offline_capable() -> bool {
    let window = window();
    let has_service_workers =
        js_sys::Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false);
    window.is_secure_context() && has_service_workers
}

/// Says, instead of failing silently later, that offline use needs HTTPS
/// and how to get it.
#[component]
pub fn HttpsBanner() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let address = window().location().origin().unwrap_or_default();
    (!offline_capable()).then(|| {
        view! {
            <section class="banner warn" role="alert" data-testid="https-banner">
                <h2>{t("此地址不能离线使用", "Offline use is not possible at this address")}</h2>
                <p>{t(
                    "本页面不是通过安全连接（HTTPS）打开的，浏览器因此不允许本应用离线工作：断网或服务器停机时，本页面将无法打开。联网时可以正常使用。",
                    "This page was not opened over a secure connection (HTTPS), so the browser does not let the app work offline: without the network, or while the server is down, this page will not open. It works normally while online.",
                )}</p>
                <p>{t(
                    "请联系系统管理员，改用本应用的 https:// 地址打开（管理员请参阅 README 的“HTTPS for tablets”一节）。",
                    "Ask the administrator for the app's https:// address and open it there (administrators: see \"HTTPS for tablets\" in the README).",
                )}</p>
                <p class="banner-detail">{t("当前地址：", "This address: ")}<code data-testid="https-banner-address">{address}</code></p>
            </section>
        }
    })
}

/// Goes to `to`, unless [`held_back`]: every way off a screen holding
/// photos, signatures or typed text (the navigation, a case's back, print
/// and receipt buttons) warns first.
pub fn leave_to(ctx: AppCtx, to: Screen) {
    if !held_back(ctx, to) {
        ctx.screen.set(to);
        return;
    }
    // The warning is drawn at the top of the screen, maybe far above the
    // button tapped at its foot: unseen, the tap looked ignored, and the
    // second one dropped what it warns of.
    request_animation_frame(|| {
        use wasm_bindgen::JsCast;
        let warning = document()
            .query_selector("[data-testid=leave-warning]")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::Element>().ok());
        if let Some(warning) = warning {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Center);
            warning.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });
}

/// Whether a tap to `to` is held back, the first time, because leaving
/// would drop what only this screen holds (`LeaveWarning` says so); the
/// second tap goes.
pub fn held_back(ctx: AppCtx, to: Screen) -> bool {
    if untrack(|| ctx.holding()) && ctx.leaving.get_untracked() != Some(to) {
        ctx.leaving.set(Some(to));
        return true;
    }
    ctx.leaving.set(None);
    false
}

/// Says that a tap in the navigation was held back: leaving would drop
/// the photos and signatures not saved yet, or what is typed in a form.
#[component]
pub fn LeaveWarning() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <Show when=move || { ctx.leaving.with(Option::is_some) && ctx.holding() }>
            <section class="banner warn" role="alert" data-testid="leave-warning">
                <p>{move || if ctx.staged.get() > 0 {
                    t(
                        "本页有尚未保存的照片或签名，离开将丢失。请先保存；仍要离开请再点一次。",
                        "This screen holds photos or signatures not saved yet, which leaving drops. Save them first, or tap again to leave.",
                    )()
                } else if ctx.unsaved.get() == 0 {
                    t(
                        "浏览器无法暂存本页填写的内容（存储空间可能已满），离开将丢失。请先保存；仍要离开请再点一次。",
                        "The browser cannot keep what is typed in this screen (its storage may be full), and leaving drops it. Save it first, or tap again to leave.",
                    )()
                } else {
                    t(
                        "本页表单中填写的内容尚未保存，离开将丢失。请先保存；仍要离开请再点一次。",
                        "What is typed in this screen's form is not saved yet, and leaving drops it. Save it first, or tap again to leave.",
                    )()
                }}</p>
            </section>
        </Show>
    }
}

/// Says that the browser refused to keep the draft of the form being
/// typed (`pages::draft`): a reload would lose it.
#[component]
pub fn DraftsRefused() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    // What the refused draft held went with its screen: nothing more is
    // at stake (and an update's reload no longer waits for it).
    Effect::new(move |_| {
        ctx.screen.track();
        if ctx.drafts_refused.get_untracked() {
            ctx.drafts_refused.set(false);
        }
    });
    view! {
        <Show when=move || ctx.drafts_refused.get()>
            <section class="banner warn" role="alert" data-testid="drafts-refused">
                <p>{t(
                    "浏览器拒绝在本机暂存正在填写的内容（存储空间可能已满）：保存之前刷新或关闭页面，填写的内容会丢失。请尽快保存。",
                    "The browser refused to keep what is being typed on this tablet (its storage may be full): until it is saved, a reload or closing the page loses it. Save it soon.",
                )}</p>
            </section>
        </Show>
    }
}

/// When the tablet's clock was more than a few minutes off the server's at
/// the last answer (`crate::clock`): what it records and its deadlines
/// follow it.
#[component]
pub fn ClockBanner() -> impl IntoView {
    let ctx = use_app();
    let skew = crate::clock::skew();
    move || {
        let secs = skew.get();
        if secs.abs() <= crate::clock::WRONG_AFTER_SECS {
            return None;
        }
        let lang = ctx.lang.get();
        let apart = crate::clock::spoken(secs, lang);
        // The server ahead: the tablet's clock is behind.
        let text = if secs > 0 {
            lang.pick(
                "本机时间比服务器慢 {}（上次联网时）。",
                "This tablet's clock was {} behind the server's at the last connection. ",
            )
        } else {
            lang.pick(
                "本机时间比服务器快 {}（上次联网时）。",
                "This tablet's clock was {} ahead of the server's at the last connection. ",
            )
        }
        .replace("{}", &apart);
        Some(view! {
            <section class="banner warn" role="alert" data-testid="clock-wrong">
                <p>{text}{lang.pick(
                    "记录的时间和时限都以本机时间为准，请在平板的系统设置中校准日期和时间（可开启“自动设置”）。",
                    "The times it records and the deadlines follow this clock: set the date and time right in the tablet's system settings (or turn on \"set automatically\").",
                )}</p>
            </section>
        })
    }
}

/// While the app fetches the newer build the server needs, and when the
/// server serves none (`crate::update`): the records stay on the tablet
/// either way.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    move || {
        match ctx.update.get() {
        Update::Current => None,
        Update::Fetching => Some(view! {
            <section class="banner info" role="status" data-testid="update-fetching">
                <h2>{t("正在更新应用", "Updating the app")}</h2>
                <p>{t(
                    "服务器已升级，需要新版本的应用。新版本下载完成后，本页面将自动重新加载；本机的记录不受影响。",
                    "The server was upgraded and needs a newer version of the app. The page reloads by itself once the new version is downloaded; the records on this tablet are not affected.",
                )}</p>
                <UpdateWaits/>
            </section>
        }.into_any()),
        Update::Ready => Some(view! {
            <section class="banner info" role="status" data-testid="update-ready">
                <h2>{t("新版本已就绪", "A new version is ready")}</h2>
                <p>{t(
                    "应用的新版本已下载。点“立即更新”重新加载页面；本机的记录和正在填写的内容不受影响。平板锁屏时也会自动更新。",
                    "A new version of the app is downloaded. Tap \"Update now\" to reload the page; the records on this tablet and what is being typed are kept. It also updates by itself when the tablet locks.",
                )}</p>
                <button type="button" class="btn primary" data-testid="update-now"
                    on:click=move |_| crate::update::apply(ctx)>
                    {t("立即更新", "Update now")}
                </button>
            </section>
        }.into_any()),
        Update::Applying => Some(view! {
            <section class="banner info" role="status" data-testid="update-applying">
                <h2>{t("正在更新应用", "Updating the app")}</h2>
                <UpdateWaits/>
            </section>
        }.into_any()),
        Update::Unavailable => Some(view! {
            <section class="banner warn" role="alert" data-testid="update-unavailable">
                <h2>{t("无法更新应用", "The app cannot be updated")}</h2>
                <p>{t(
                    "服务器需要新版本的应用，但服务器提供的仍是本版本，因此暂时无法同步。本机的记录仍保存在本机，不会丢失；稍后的同步会再次检查新版本。请联系系统管理员。",
                    "The server needs a newer version of the app, but still serves this one, so nothing can sync for now. The records on this tablet stay on it and are not lost; later syncs look for the new version again. Contact the administrator.",
                )}</p>
            </section>
        }.into_any()),
    }
    }
}

/// What an update's reload waits for, while anything waits.
#[component]
fn UpdateWaits() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <Show when=move || { ctx.staged.get() > 0 }>
            <p data-testid="update-waits">{t(
                "请先保存或取消尚未保存的照片和签名，之后页面才会重新加载。",
                "Save or cancel the photos and signatures not saved yet; the page reloads after that.",
            )}</p>
        </Show>
        <Show when=move || { ctx.unsaved.get() > 0 }>
            <p data-testid="update-waits-form">{t(
                "请先保存表单中填写的内容，或撤回修改，之后页面才会重新加载。",
                "Save what is typed in the form, or undo it; the page reloads after that.",
            )}</p>
        </Show>
    }
}

/// When the server no longer accepts this device: says so plainly, says
/// that new cases are refused, and lists the records that have not reached
/// the server, with a way to export them as a file. Nothing is deleted.
#[component]
pub fn BlockedBanner() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let count = move || ctx.unsent().len();
    // Photos and signatures whose records reached the server may still
    // wait for their bytes, which only this tablet holds: those the file
    // carries.
    let files = move || records::uploads_of(ctx, &ctx.exported()).len();
    // Records the server set aside before the revocation: the file
    // carries them too, for the administrator to judge again.
    let set_aside = move || ctx.refused_ops().len();
    let title = move || {
        let l = ctx.lang.get();
        match ctx.blocked.get() {
            Some(Blocked::Revoked) => l.pick("本设备已被吊销", "This tablet has been revoked"),
            _ => l.pick(
                "服务器已不再接受本设备的登录",
                "The server no longer accepts this tablet's login",
            ),
        }
    };
    let explanation = move || {
        let l = ctx.lang.get();
        match ctx.blocked.get() {
            Some(Blocked::Revoked) => l.pick(
                "系统管理员已吊销本设备：它不能再登录或同步，也不能再登记新工单。",
                "The administrator revoked this tablet: it can no longer log in or sync, nor register new cases.",
            ),
            _ => l.pick(
                "原因可能是本设备已被系统管理员吊销、账号已被停用，或服务器已从备份恢复。重新登录之前，本设备不会同步，也不能登记新工单。如果重新登录时提示本设备已被吊销，请把下面未上传的记录导出，交给系统管理员。",
                "The administrator may have revoked this tablet or disabled the account, or the server was restored from a backup. Until you log in again this tablet does not sync and does not register new cases. If the login then says the tablet was revoked, export the records below that were not uploaded and give the file to the administrator.",
            ),
        }
    };
    let unsent_text = move || {
        let n = count();
        match ctx.lang.get() {
            Lang::ZhCn => format!(
                "以下 {n} 条记录还没有上传到服务器。它们仍保存在本机，不会被删除；请导出为文件，交给系统管理员。"
            ),
            Lang::En => format!(
                "The {n} records below have not reached the server. They stay on this tablet and are not deleted; export them as a file and give it to the administrator."
            ),
        }
    };
    let session_ended = move || {
        ctx.blocked.get() == Some(Blocked::SessionEnded) && ctx.session.with(Option::is_some)
    };
    // What the screen holds unsaved (photos and signatures staged, a form
    // typed) goes with a logout: said first, the second tap goes.
    let relogin_asked = RwSignal::new(false);
    let holding = move || ctx.holding();
    let relogin = move |_| {
        if untrack(holding) && !relogin_asked.get_untracked() {
            relogin_asked.set(true);
        } else {
            leptos::task::spawn_local(ctx.log_out());
        }
    };
    view! {
        <Show when=move || ctx.blocked.get().is_some()>
            <section class="banner danger" role="alert" data-testid="device-blocked"
                data-reason=move || ctx.blocked.get().map(Blocked::code).unwrap_or_default()
                data-unsent=move || count().to_string()>
                <h2>{title}</h2>
                <p data-testid="device-blocked-text">{explanation}</p>
                <Show when=move || { files() > 0 }>
                    <p data-testid="files-waiting" data-files=move || files().to_string()>{move || {
                        let n = files();
                        match ctx.lang.get() {
                            Lang::ZhCn => format!(
                                "另有 {n} 个文件（照片、签名）还没有上传，只保存在本机，不会被删除；导出的文件包含它们，请交给系统管理员。"
                            ),
                            Lang::En => format!(
                                "{n} more files (photos, signatures) have not been uploaded. Only this tablet holds them, and they are not deleted; the exported file carries them: give it to the administrator."
                            ),
                        }
                    }}</p>
                </Show>
                <Show when=move || { count() > 0 || files() > 0 || set_aside() > 0 }
                    fallback=move || view! {
                        <p data-testid="unsent-none">{t(
                            "本设备的所有记录都已上传到服务器，没有遗漏。",
                            "Every record of this tablet has reached the server; nothing is missing.",
                        )}</p>
                    }>
                    <Show when=move || { count() > 0 }>
                        <p data-testid="unsent-text">{unsent_text}</p>
                    </Show>
                    <Show when=move || { set_aside() > 0 }>
                        <p data-testid="set-aside-text" data-count=move || set_aside().to_string()>{move || {
                            let n = set_aside();
                            match ctx.lang.get() {
                                Lang::ZhCn => format!(
                                    "另有 {n} 条记录被服务器搁置在隔离区，等待系统管理员处理；导出的文件也包含它们。"
                                ),
                                Lang::En => format!(
                                    "{n} more records were set aside by the server, for the administrator to decide on; the exported file carries them too."
                                ),
                            }
                        }}</p>
                    </Show>
                    <div class="actions">
                        <ExportUnsent testid="export-unsent"/>
                    </div>
                    <Show when=move || { count() > 0 }>
                        <UnsentTable row_testid="unsent-op"/>
                    </Show>
                </Show>
                <Show when=session_ended>
                    <Show when=move || relogin_asked.get() && holding()>
                        <p class="warning" role="alert" data-testid="blocked-relogin-ask">{t(
                            "本页还有未保存的照片、签名或填写的内容，退出后会丢失。确定要退出，请再点一次“退出并重新登录”。",
                            "This screen holds photos, signatures or typing not saved, which a logout drops. To log out all the same, tap \"Log out and log in again\" once more.",
                        )}</p>
                    </Show>
                    <div class="actions">
                        <button type="button" class="btn" data-testid="blocked-relogin" on:click=relogin>
                            {t("退出并重新登录", "Log out and log in again")}
                        </button>
                    </div>
                </Show>
            </section>
        </Show>
    }
}

/// The records of this device the server has not acknowledged, oldest
/// first: sequence number, time, action and the case's registration
/// number. `row_testid` names the rows for the browser tests.
#[component]
pub fn UnsentTable(row_testid: &'static str) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let rows = move || {
        let l = ctx.lang.get();
        let tz = ctx.config.with(|c| c.settings.tz());
        let numbers = ctx.cases.with(|cases| {
            cases
                .iter()
                .map(|(id, c)| (*id, c.registration.reg_no.to_string()))
                .collect::<std::collections::HashMap<_, _>>()
        });
        ctx.unsent()
            .into_iter()
            .map(|op| {
                let reg_no = numbers.get(&op.case_id).cloned().unwrap_or_default();
                view! {
                    // The sequence number is bookkeeping, not something
                    // staff read: it stays an attribute (and in 设置 → 高级).
                    <tr data-testid=row_testid data-seq=op.seq.to_string()>
                        <td>{i18n::fmt_time(op.at, tz)}</td>
                        <td>{op.action.kind().label(l)}</td>
                        <td>{reg_no}</td>
                    </tr>
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <table class="stats-table outbox">
            <thead><tr>
                <th>{t("时间", "When")}</th>
                <th>{t("操作", "Action")}</th>
                <th>{t("登记号", "Registration no.")}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// A badge "due in 3h" / "overdue by 1d 2h" for the case's most pressing
/// running clock.
pub fn deadline_badge(case: &Case, ctx: &crate::state::AppCtx) -> impl IntoView + use<> {
    let lang = ctx.lang.get();
    let now = ctx.now.get();
    let due_soon = ctx
        .config
        .with(|c| c.settings.deadlines.due_soon(c.settings.tz()));
    // A clock owed that cannot be computed (next year's holidays not
    // loaded) is not "no deadline": it is said as what it is.
    let uncomputed =
        case.state.is_open() && case.deadline_problems.iter().any(|p| p.met_at.is_none());
    match case.next_clock() {
        None if uncomputed => view! {
            <span class="badge due-soon" data-testid="deadline" data-status="uncomputed">
                {lang.pick("时限无法计算", "Deadline unknown")}
            </span>
        }
        .into_any(),
        None => view! { <span class="badge none" data-testid="deadline">"—"</span> }.into_any(),
        Some(clock) => {
            let status = case.clock_status(clock, now, due_soon);
            let class = match status {
                ClockStatus::Overdue | ClockStatus::Missed => "badge overdue",
                ClockStatus::DueSoon => "badge due-soon",
                _ => "badge ok",
            };
            // Due soon is said, not only coloured: pale amber and pale
            // green are one in sunlight or to a colour-blind eye.
            let soon = match status {
                ClockStatus::DueSoon => format!("{} · ", status.label(lang)),
                _ => String::new(),
            };
            // Ended unmet (a callback the close gave up on) is said so:
            // its due time may lie after the end, and "time left" then
            // would be untrue.
            let when = match (clock.taken_unmet, clock.met_at) {
                (true, Some(ended)) if ended < clock.due_at => lang
                    .pick("未完成（已结案）", "not made (closed)")
                    .to_string(),
                (true, _) => status.label(lang).to_string(),
                (false, _) => i18n::due_text(clock.due_at, case.clocks_read_at(now), lang),
            };
            let text = format!(
                "{soon}{}{}{when}",
                clock.clock.label(lang),
                lang.pick("：", ": "),
            );
            view! { <span class=class data-testid="deadline" data-status=status.code()>{text}</span> }
                .into_any()
        }
    }
}

/// Says which year's holiday schedule must be loaded now, if one must
/// (`Calendar::year_needed`): without it, a working-day clock that ends in
/// that year has no due time and reminds nobody. Shown to the
/// administrator, who loads it, and to the management line, who notice.
#[component]
pub fn CalendarNeeded() -> impl IntoView {
    let ctx = use_app();
    let year = move || {
        let today = ctx
            .config
            .with(|c| now().with_timezone(&c.settings.tz()).date_naive());
        ctx.config.with(|c| {
            c.calendar
                .year_needed(today, c.settings.deadlines.longest_working_days())
        })
    };
    move || {
        year().map(|y| {
            let text = match ctx.lang.get() {
                Lang::ZhCn => format!(
                    "{y} 年的节假日安排尚未导入：按工作日计算、落在 {y} 年的时限将无法计算，也不会提醒。请系统管理员在 管理 → 节假日 中导入国务院办公厅公布的安排。"
                ),
                Lang::En => format!(
                    "The {y} holiday schedule is not loaded: a working-day deadline that falls in {y} cannot be computed or reminded of. The administrator loads the State Council's schedule in Administration → Holidays."
                ),
            };
            view! { <p class="card warning" role="alert" data-testid="calendar-needed" data-year=y>{text}</p> }
        })
    }
}

/// What a screen the user's role may not open shows instead (a URL or a
/// kept screen can name any): the server would refuse its work anyway.
pub fn not_allowed() -> AnyView {
    let lang = use_app().lang;
    view! {
        <p class="error" role="alert" data-testid="not-allowed">
            {move || lang.get().pick("您的角色不能打开此页面。", "Your role cannot open this page.")}
        </p>
    }
    .into_any()
}
