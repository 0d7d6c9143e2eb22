//! Settings: language, the user, the device, logout, what is stored on
//! this tablet (ops, cases, the outbox, which can be exported as a file),
//! and the password change. The device's id, its sequence numbers and the
//! pull cursor mean nothing to staff; they are for support, in a collapsed
//! 高级 (advanced) section.

use crate::components::{ExportUnsent, UnsentTable};
use crate::pages::login::LangSwitch;
use crate::pages::password::SettingsPassword;
use crate::state::use_app;
use crate::sync_status::Link;
use leptos::prelude::*;
use shared::lang::Lang;

/// The settings screen.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let user = move || {
        let l = ctx.lang.get();
        ctx.session.with(|s| {
            s.as_ref()
                .map(|s| {
                    format!(
                        "{} ({}) · {}",
                        s.user.display_name,
                        s.user.login,
                        s.user.role.label(l)
                    )
                })
                .unwrap_or_default()
        })
    };
    // The id the server issued, as every op of this device carries it.
    let device_id = move || {
        ctx.device
            .with(|d| d.as_ref().map(|d| d.device.to_string()))
            .unwrap_or_default()
    };
    let device = move || {
        let number = ctx
            .device
            .with(|d| d.as_ref().map(|d| d.number).unwrap_or_default());
        let label = ctx
            .identity
            .with(|i| i.as_ref().map(|i| i.label.clone()))
            .unwrap_or_default();
        format!("{label} #{number}").trim().to_string()
    };
    let counts = move || {
        let cases = ctx.cases.with(|c| c.len());
        // Reading `cases` above also re-runs this after ops change.
        let ops = ctx.ops.with_value(|o| o.len());
        let (pending, last_seq, acked, cursor) = ctx.device.with(|d| {
            d.as_ref()
                .map(|d| (d.pending(), d.last_seq, d.acked_seq, d.cursor))
                .unwrap_or_default()
        });
        (cases, ops, pending, last_seq, acked, cursor)
    };
    // What this user made on the tablet under a former device id (the
    // server issued a new one after a restore): it cannot sync, so the
    // file is the way to the administrator.
    // Read again only when the identity or the user changes, not at each
    // sync's acknowledgement.
    let identity = Memo::new(move |_| {
        ctx.device
            .with(|d| d.as_ref().map(|d| d.device))
            .zip(ctx.session.with(|s| s.as_ref().map(|s| s.user.id)))
    });
    let former = LocalResource::new(move || {
        let ids = identity.get();
        async move {
            let (device, user) = ids?;
            let ops = crate::db::stranded_ops(device).await.ok()?;
            Some(
                ops.into_iter()
                    .filter(|op| op.author == user)
                    .collect::<Vec<_>>(),
            )
        }
    });
    // Kept while it is read again, and compared: a list that flickered
    // empty (or came back the same) would draw its banner, and the file
    // made in it, again.
    let former = Memo::new(
        move |before: Option<&Vec<shared::op::Op>>| match former.get() {
            Some(read) => read.unwrap_or_default(),
            None => before.cloned().unwrap_or_default(),
        },
    );
    view! {
        <section class="card settings" data-testid="settings">
            <h2>{t("设置", "Settings")}</h2>
            <h3>{t("语言", "Language")}</h3>
            <LangSwitch/>
            <dl>
                <div class="kv"><dt>{t("用户", "User")}</dt><dd data-testid="settings-user">{user}</dd></div>
                <div class="kv"><dt>{t("设备", "Device")}</dt>
                    <dd data-testid="settings-device" data-device=device_id>{device}</dd></div>
                <div class="kv"><dt>{t("本机工单", "Cases on this tablet")}</dt>
                    <dd data-testid="settings-cases">{move || counts().0}</dd></div>
                <div class="kv"><dt>{t("本机记录（操作）", "Records (ops) on this tablet")}</dt>
                    <dd data-testid="settings-ops">{move || counts().1}</dd></div>
                <div class="kv"><dt>{t("待上传", "Waiting to upload")}</dt>
                    <dd data-testid="settings-outbox">{move || counts().2}</dd></div>
                // Photos and signatures upload after their records: a
                // record sent is not yet everything sent.
                <div class="kv"><dt>{t("待上传文件（照片、签名）", "Files waiting to upload (photos, signatures)")}</dt>
                    <dd data-testid="settings-files">{move || ctx.uploads_waiting()}</dd></div>
                <StorageRow/>
            </dl>
            <details class="advanced" data-testid="settings-advanced">
                <summary>{t("高级", "Advanced")}</summary>
                <dl>
                    <div class="kv"><dt>{t("设备标识（ID）", "Device id")}</dt>
                        <dd data-testid="settings-device-id">{device_id}</dd></div>
                    <div class="kv"><dt>{t("序号（已确认/最新）", "Sequence (acknowledged / latest)")}</dt>
                        <dd>{move || { let c = counts(); format!("{} / {}", c.4, c.3) }}</dd></div>
                    <div class="kv"><dt>{t("同步位置", "Pull cursor")}</dt>
                        <dd>{move || counts().5}</dd></div>
                </dl>
            </details>
            <h3>{t("待上传的记录", "Records waiting to upload")}</h3>
            <div data-testid="outbox">
                <UnsentTable row_testid="outbox-op"/>
            </div>
            <Show when=move || { counts().2 > 0 }>
                <div class="actions">
                    <ExportUnsent testid="settings-export-unsent"/>
                </div>
            </Show>
            <SetAsideRecords/>
            <Show when=move || former.with(|f| !f.is_empty())>
                <div class="banner warn" data-testid="settings-former"
                    data-count=move || former.with(Vec::len).to_string()>
                    <p>{move || {
                        let n = former.with(Vec::len);
                        ctx.lang.get().pick(
                            &format!("本机有 {n} 条您的记录是在本设备原来的登记下做的。服务器已不认识原来的登记（例如从备份恢复之后），这些记录无法上传，也无法导入，但仍保存在本机。请导出文件交给系统管理员留存，需要的内容请重新登记。"),
                            &format!("{n} of your records on this tablet were made under its former registration. The server no longer knows that registration (after a restore from a backup, for example), so they can be neither uploaded nor imported; they stay on this tablet. Export them as a file for the administrator to keep, and register again what is still needed."),
                        ).to_string()
                    }}</p>
                    <ExportUnsent testid="settings-export-former" former=former/>
                </div>
            </Show>
            <p class="hint">{t(
                "退出登录不会删除本机未上传的记录：您本人下次在本机登录后继续上传；在此之前，其他同事无法在本机登录。",
                "Logging out keeps records not uploaded yet: they upload after your next login on this tablet, and until then no colleague can log in on it.",
            )}</p>
            <LogoutButton/>
        </section>
        <SettingsPassword/>
    }
}

/// 退出登录. On a tablet the shifts share, a logout has consequences the
/// user should hear before, not the next shift after: offline, nobody can
/// log in again until the network is back (a login asks the server);
/// records or files not uploaded keep every colleague's login out until
/// this user logs in again; drafts are deleted by the next colleague's
/// login. With any of these, the first tap says which, and offers to sync
/// first; otherwise it logs out at once.
#[component]
pub(crate) fn LogoutButton() -> impl IntoView {
    let ctx = use_app();
    let asking = RwSignal::new(false);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let leaving = RwSignal::new(false);
    // The last sync found no server, or the browser knows it has no
    // network (a link lost since the last sync, half a minute ago).
    let offline = move || {
        ctx.sync.with(|s| s.link == Link::Offline)
            || web_sys::window().is_some_and(|w| !w.navigator().on_line())
    };
    // This user's own: a colleague's records held on the tablet wait for
    // that colleague's login whoever logs out. Counted by author, not as
    // the outbox less what is held: held counts from the colleague's first
    // record on, this user's later ones too.
    let records = move || {
        let user = ctx.session.with(|s| s.as_ref().map(|s| s.user.id));
        ctx.device.with(|d| match (d, user) {
            (Some(d), Some(user)) => ctx.ops.with_value(|log| {
                log.outbox(d.device, d.acked_seq)
                    .iter()
                    .filter(|op| op.author == user)
                    .count() as u64
            }),
            _ => 0,
        })
    };
    let files = move || ctx.uploads_waiting() as u64;
    let drafts = move || {
        ctx.session
            .with_untracked(|s| s.as_ref().map(|s| s.user.id))
            .map_or(0, crate::pages::draft::kept_by)
    };
    let reasons = move || {
        let l = ctx.lang.get();
        let mut said = Vec::new();
        if offline() {
            said.push(l.pick(
                "现在连不上服务器：退出后，联网之前任何人（包括您）都无法在本机登录。",
                "The server cannot be reached: after logging out, nobody (you included) can log in on this tablet until it can.",
            ).to_string());
        }
        let (records, files) = (records(), files());
        if records + files > 0 {
            let parts: Vec<String> = [(records, "条记录", "record"), (files, "个文件", "file")]
                .into_iter()
                .filter(|(n, _, _)| *n > 0)
                .map(|(n, zh, en)| match (l, n) {
                    (Lang::ZhCn, n) => format!("{n} {zh}"),
                    (Lang::En, 1) => format!("1 {en}"),
                    (Lang::En, n) => format!("{n} {en}s"),
                })
                .collect();
            said.push(match l {
                Lang::ZhCn => format!("本机还有 {}未上传：只有您本人再次在本机登录才能上传，在此之前其他同事无法在本机登录。", parts.join("、")),
                Lang::En => format!("{} not uploaded yet: only your next login on this tablet sends them, and until then no colleague can log in on it.", parts.join(" and ")),
            });
        }
        let drafts = drafts();
        if drafts > 0 {
            said.push(match (l, drafts) {
                (Lang::ZhCn, n) => {
                    format!("您有 {n} 份未保存的草稿：其他同事在本机登录时会被删除。")
                }
                (Lang::En, 1) => {
                    "You have an unsaved draft: a colleague's login on this tablet deletes it."
                        .to_string()
                }
                (Lang::En, n) => format!(
                    "You have {n} unsaved drafts: a colleague's login on this tablet deletes them."
                ),
            });
        }
        said
    };
    // Once: a second tap while the first logs out would log out twice.
    let log_out = move || {
        if !leaving.get_untracked() {
            leaving.set(true);
            leptos::task::spawn_local(ctx.log_out());
        }
    };
    let tap = move |_| {
        if reasons().is_empty() {
            log_out();
        } else {
            asking.set(true);
        }
    };
    view! {
        <Show
            when=move || asking.get()
            fallback=move || view! {
                <button class="btn danger" data-testid="logout" disabled=move || leaving.get() on:click=tap>{t("退出登录", "Log out")}</button>
            }
        >
            <div class="banner warn" role="alert" data-testid="logout-ask">
                {move || reasons().into_iter().map(|r| view! { <p>{r}</p> }).collect_view()}
                <div class="actions">
                    // A blocked tablet syncs no more (`sync::request`).
                    <Show when=move || { !offline() && ctx.blocked.get().is_none() && records() + files() > 0 }>
                        <button type="button" class="btn primary" data-testid="logout-sync"
                            disabled=move || ctx.sync.with(|s| s.running)
                            on:click=move |_| crate::sync::request(ctx)>
                            {t("先同步", "Sync first")}
                        </button>
                    </Show>
                    <button type="button" class="btn danger" data-testid="logout-confirm"
                        disabled=move || leaving.get() on:click=move |_| log_out()>
                        {t("仍然退出", "Log out anyway")}
                    </button>
                    <button type="button" class="btn" data-testid="logout-cancel"
                        on:click=move |_| asking.set(false)>
                        {t("取消", "Cancel")}
                    </button>
                </div>
            </div>
        </Show>
    }
}

/// How much of the tablet's storage the app uses, and whether the browser
/// keeps it when the disk fills: a browser that was not asked to (an app
/// never installed, by Chromium's measure) may evict every record only
/// this tablet holds, which staff can prevent by installing the app.
#[component]
fn StorageRow() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    // Read again as cases come and go (a sync, a record saved).
    let read = LocalResource::new(move || {
        ctx.cases.track();
        crate::db::storage_use()
    });
    let storage = move || read.get().flatten();
    let text = move || {
        storage().map(|s| {
            let (used, quota) = (size(s.used), size(s.quota));
            match ctx.lang.get() {
                Lang::ZhCn => format!("已用 {used}，浏览器允许约 {quota}"),
                Lang::En => format!("{used} used of about {quota} the browser allows"),
            }
        })
    };
    view! {
        <div class="kv"><dt>{t("本机存储空间", "Storage on this tablet")}</dt>
            <dd data-testid="settings-storage"
                data-used=move || storage().map(|s| s.used.to_string())
                data-persisted=move || storage().map(|s| s.persisted.to_string())>
                {text}
                <Show when=move || storage().is_some_and(|s| !s.persisted)>
                    <p class="warning" data-testid="settings-storage-evictable">{t(
                        "浏览器未承诺长期保留本机数据：磁盘空间不足时，尚未上传的记录可能被清除。请将本应用添加到主屏幕（安装），并及时同步。",
                        "The browser has not promised to keep this tablet's data: when the disk fills, records not yet uploaded may be cleared. Add the app to the home screen (install it), and sync often.",
                    )}</p>
                </Show>
            </dd></div>
    }
}

/// Bytes for a person: "12.3 MB", "1.5 GB".
fn size(bytes: f64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes < 1024.0 * MB {
        format!("{:.1} MB", bytes / MB)
    } else {
        format!("{:.1} GB", bytes / MB / 1024.0)
    }
}

/// This tablet's records the server set aside (its quarantine) and has not
/// settled, with why and what was typed in them. The case's screen shows
/// those of a case the tablet holds; this shows them all, also of a case
/// that left the tablet (its user moved to other properties or given
/// another role, after which the server sets the ops made under the old
/// ones aside): nowhere else could the user read what they typed, to type
/// it again or tell the administrator.
#[component]
fn SetAsideRecords() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let refusals = move || {
        ctx.device.with(|d| {
            d.as_ref().map_or_else(Vec::new, |d| {
                d.refused
                    .iter()
                    .filter(|r| r.code != shared::wire::CASE_DELETED)
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    };
    let rows = move || {
        let tz = ctx.config.with(|c| c.settings.tz());
        refusals()
            .into_iter()
            .map(|r| {
                let (at, action, reg_no) = ctx.ops.with_value(|log| {
                    let op = log.own_op(r.case_id, r.op);
                    let held = ctx.cases.with_untracked(|cases| {
                        cases
                            .get(&r.case_id)
                            .map(|c| c.registration.reg_no.to_string())
                    });
                    // A case no longer on the tablet: its number from its
                    // registration, when this tablet made it.
                    let registered = || {
                        log.kept().find_map(|o| match &o.action {
                            shared::op::Action::Register(reg) if o.case_id == r.case_id => {
                                Some(reg.reg_no.to_string())
                            }
                            _ => None,
                        })
                    };
                    (
                        op.map(|o| o.at),
                        op.map(|o| o.action.kind()),
                        held.or_else(registered).unwrap_or_default(),
                    )
                });
                let (code, message) = (r.code.clone(), r.message.clone());
                view! {
                    <tr data-testid="set-aside-op" data-code=r.code.clone()>
                        <td>{at.map(|at| crate::i18n::fmt_time(at, tz)).unwrap_or_default()}</td>
                        <td>{move || action.map_or("?", |a| a.label(ctx.lang.get()))}</td>
                        <td data-testid="set-aside-reg-no">{reg_no}</td>
                        <td>{move || crate::api::refusal_words(&code, &message, ctx.lang.get())}</td>
                        <td><crate::pages::detail::Typed case=r.case_id op=r.op testid="set-aside-text"/></td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <Show when=move || !refusals().is_empty()>
            <h3>{t("被服务器隔离、未生效的记录", "Records the server set aside")}</h3>
            <p class="hint">{t(
                "这些记录已上传，但服务器没有接受（原因见下）。它们保存在本机和服务器的隔离区，由系统管理员重新应用或丢弃；已被丢弃的不会生效。需要的内容请联系管理员，或重新录入。",
                "These records reached the server, which did not accept them (why is below). They are kept on this tablet and in the server's quarantine, where the administrator re-applies or discards them; one discarded will not take effect. Contact the administrator, or record again what is still needed.",
            )}</p>
            <table class="stats-table outbox" data-testid="set-aside">
                <thead><tr>
                    <th>{t("时间", "When")}</th>
                    <th>{t("操作", "Action")}</th>
                    <th>{t("登记号", "Registration no.")}</th>
                    <th>{t("原因", "Why")}</th>
                    <th>{t("填写的内容", "What was typed")}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </Show>
    }
}
