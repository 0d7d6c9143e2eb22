//! Login. The network is needed only here, at each login: the session is
//! kept in IndexedDB, so later starts work offline until a logout.
//!
//! The server decides who the device is. The first login sends no device
//! and gets an id and a secret, which the device keeps and sends at every
//! later login. When the server answers with another id than the one kept
//! (the secret no longer matched, or the device was forgotten), the device
//! continues as the new one: its earlier ops stay stored, but only the new
//! id's ops are its outbox from then on.

use crate::api::{self, ApiError};
use crate::blocked::Blocked;
use crate::db::{self, DbError, DeviceIdentity, StoredSession};
use crate::scope;
use crate::state::{AppCtx, Screen, use_app};
use crate::sync_status::Link;
use leptos::prelude::*;
use shared::device::{self, DeviceState};
use shared::lang::Lang;
use shared::wire::{LoginRequest, LoginResponse};

/// The login form.
#[component]
pub fn Login() -> impl IntoView {
    let ctx = use_app();
    let login = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // A tablet is named once, at its first login, by the people who use
    // it: the administrator's device list and the records then say
    // "客服前台平板 2" instead of a browser's user agent.
    let first_login = move || ctx.identity.with(Option::is_none);
    let label = RwSignal::new(
        ctx.identity
            .with_untracked(|i| i.as_ref().map(|i| i.label.clone()))
            .unwrap_or_default(),
    );
    let label_missing = RwSignal::new(false);
    // The login told that another user's drafts would be deleted: the
    // next attempt with it deletes them.
    let confirmed = RwSignal::new(None::<String>);
    let attempt = Action::new_local(
        move |(req, typed_password, discard): &(LoginRequest, String, bool)| {
            let (req, typed_password, discard) = (req.clone(), typed_password.clone(), *discard);
            async move {
                let name = req.login.clone();
                let result = log_in(ctx, req, typed_password, discard).await;
                if let Err(LoginError::OtherUsersDrafts(_)) = result {
                    confirmed.set(Some(name));
                }
                result
            }
        },
    );
    let confirming = move || confirmed.with(|c| c.as_deref() == Some(login.get().trim()));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if attempt.pending().get_untracked() {
            return;
        }
        let identity = ctx.identity.get_untracked();
        let device_name = label.get_untracked().trim().to_string();
        if identity.is_none() && device_name.is_empty() {
            label_missing.set(true);
            return;
        }
        label_missing.set(false);
        let typed_password = password.get_untracked();
        let req = LoginRequest {
            login: login.get_untracked().trim().to_string(),
            password: typed_password.clone(),
            device: identity.as_ref().map(|i| i.device),
            device_secret: identity.map(|i| i.secret),
            device_name,
        };
        let discard = confirmed.with_untracked(|c| c.as_deref() == Some(req.login.as_str()));
        attempt.clear();
        attempt.dispatch_local((req, typed_password, discard));
    };
    let error = move || {
        attempt.value().with(|v| {
            v.as_ref()?
                .as_ref()
                .err()
                .map(|e| e.message(ctx.lang.get()))
        })
    };

    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <form class="card login" data-testid="login-form" on:submit=submit>
            <h2>{t("登录", "Log in")}</h2>
            <p class="hint">{t(
                "登录需要联网；登录后可离线工作，直到退出登录。",
                "Logging in needs the network; once logged in, the app works offline until you log out.",
            )}</p>
            <label class="field">
                <span>{t("账号", "Login")}</span>
                <input type="text" autocomplete="username" data-testid="login-name"
                    autocapitalize="none" spellcheck="false"
                    prop:value=move || login.get()
                    on:input=move |ev| login.set(event_target_value(&ev))/>
            </label>
            <label class="field">
                <span>{t("密码", "Password")}</span>
                <input type="password" autocomplete="current-password" data-testid="login-password"
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))/>
            </label>
            <Show when=first_login>
                <label class="field">
                    <span>{t("本设备名称", "Name of this tablet")}</span>
                    <input type="text" data-testid="login-device-label" maxlength="60"
                        placeholder=move || ctx.lang.get().pick("例如：客服前台平板 2", "e.g. Front desk tablet 2")
                        prop:value=move || label.get()
                        on:input=move |ev| label.set(event_target_value(&ev))/>
                    <span class="field-error" data-testid="error-device-label">{move || label_missing.get().then(|| ctx.lang.get().pick(
                        "请为本设备起个名字，便于管理员和同事辨认",
                        "Give this tablet a name, so the administrator and colleagues can tell it apart",
                    ))}</span>
                </label>
            </Show>
            <p class="error" role="alert" data-testid="login-error">{error}</p>
            <button type="submit" class="btn primary" data-testid="login-submit" disabled=move || attempt.pending().get()>
                {move || if confirming() {
                    ctx.lang.get().pick("删除草稿并登录", "Delete the drafts and log in")
                } else {
                    ctx.lang.get().pick("登录", "Log in")
                }}
            </button>
            <LangSwitch/>
        </form>
    }
}

/// Why a login did not go through.
#[derive(Debug, Clone, thiserror::Error)]
enum LoginError {
    /// The server refused, or could not be reached.
    #[error("login refused: {error}")]
    Refused {
        /// What the server (or the network) said.
        error: ApiError,
        /// Whether this device has never logged in (then the network is
        /// needed above all).
        first_login: bool,
    },
    /// Another user's records on this tablet have not synced yet.
    #[error("{0} records of another user have not synced")]
    OtherUsersRecords(u64, Vec<String>),
    /// Another user left unsaved drafts on this tablet, which a login of
    /// this user deletes (they are that user's, and may hold a resident's
    /// name and phone): said once, and the next attempt goes ahead.
    #[error("{0} drafts of another user")]
    OtherUsersDrafts(usize),
    /// The login could not be stored on the tablet.
    #[error("storage: {0}")]
    Storage(DbError),
}

impl LoginError {
    fn message(&self, l: Lang) -> String {
        match self {
            LoginError::Refused { error, first_login } => login_failed(error, *first_login, l),
            LoginError::OtherUsersRecords(pending, names) if !names.is_empty() => match l {
                Lang::ZhCn => {
                    let names = names.join("、");
                    format!(
                        "本机还有 {pending} 条 {names} 的记录未同步。请 {names} 先在本机登录并联网同步。"
                    )
                }
                Lang::En => {
                    let names = names.join(", ");
                    format!(
                        "{pending} records of {names} on this tablet have not synced yet. {names} must log in on this tablet and sync first."
                    )
                }
            },
            LoginError::OtherUsersRecords(pending, _) => match l {
                Lang::ZhCn => {
                    format!("本机还有 {pending} 条其他用户的记录未同步。请该用户先登录并联网同步。")
                }
                Lang::En => format!(
                    "{pending} records of another user on this tablet have not synced yet. That user must log in and sync first."
                ),
            },
            LoginError::OtherUsersDrafts(drafts) => match l {
                Lang::ZhCn => format!(
                    "本机有其他用户未保存的草稿 {drafts} 份。为保护住户信息，换人登录会删除这些草稿。如需保留，请该用户先登录并保存；否则请再次点击“删除草稿并登录”。"
                ),
                Lang::En => format!(
                    "Another user left {drafts} unsaved drafts on this tablet. To protect residents' details, logging in as someone else deletes them. To keep them, that user must log in and save them first; otherwise tap \"Delete the drafts and log in\"."
                ),
            },
            LoginError::Storage(DbError::Full(_)) => {
                l.pick(DbError::FULL.0, DbError::FULL.1).into()
            }
            LoginError::Storage(_) => storage_failed(l),
        }
    }
}

/// What `user`'s login must wait for before it clears the cases
/// (`shared::device::unsent_before`).
fn unsynced_by_others(
    ctx: AppCtx,
    state: &DeviceState,
    waited: u64,
    user: shared::id::UserId,
) -> u64 {
    let outbox = ctx
        .ops
        .with_value(|log| log.outbox(state.device, state.acked_seq));
    device::unsent_before(
        state.pending().max(waited),
        &outbox,
        &scope::unsent_uploads(ctx),
        user,
    )
}

/// The names of the colleagues whose records wait on the tablet before
/// `user`'s can go: whom to call (none known when the staff list has not
/// reached the tablet).
fn authors_waiting(ctx: AppCtx, state: &DeviceState, user: shared::id::UserId) -> Vec<String> {
    let authors: std::collections::BTreeSet<shared::id::UserId> = ctx.ops.with_value(|log| {
        log.outbox(state.device, state.acked_seq)
            .iter()
            .map(|op| op.author)
            .filter(|a| *a != user)
            .collect()
    });
    ctx.config.with_untracked(|c| {
        authors
            .iter()
            .filter_map(|a| c.users.iter().find(|u| u.id == *a))
            .map(|u| u.display_name.clone())
            .collect()
    })
}

/// [`scope::drop_cases`], for a login: the state stored before it, if
/// any, is stored again with its pull cursor reset in the same
/// transaction, so that a login that fails after the clearing leaves a
/// tablet that pulls everything again, not one whose cursor says the
/// cleared cases are there.
async fn drop_cases(
    ctx: AppCtx,
    state: &DeviceState,
    stored: Option<&DeviceState>,
) -> Result<(), LoginError> {
    let reset = stored.map(|s| {
        let mut s = s.clone();
        s.pull_again();
        s
    });
    let restart = reset.as_ref().map(|state| db::Restart {
        state,
        pulled_for: None,
        session: None,
    });
    scope::drop_cases(ctx, state, restart)
        .await
        .map(drop)
        .map_err(|e| {
            leptos::logging::error!("clearing the cases on the tablet: {e}");
            LoginError::Storage(e)
        })
}

/// Logs in: asks the server, makes sure another user's unsynced work is
/// not lost (and their cases not shown), stores the session and the device
/// state, and opens the case list.
async fn log_in(
    ctx: AppCtx,
    req: LoginRequest,
    typed_password: String,
    discard_drafts: bool,
) -> Result<(), LoginError> {
    let first_login = req.device.is_none();
    // Who used the tablet last, read before the server is asked: a
    // storage that cannot say refuses the login, taken for the same user,
    // the previous user's cases and drafts would be left open to whoever
    // logs in; and refused after the server's answer, the device it
    // issued would be thrown away.
    let owner = db::owner().await.map_err(LoginError::Storage)?;
    let resp = match api::login(&req).await {
        Ok(r) => r,
        Err(error) => {
            match &error {
                ApiError::Network(_) => ctx.sync.update(|s| s.link = Link::Offline),
                // A server upgrade left this build behind: fetch the newer.
                ApiError::UpdateRequired => crate::update::required(ctx),
                e if e.code() == Some("auth.device_revoked") => ctx.block(Blocked::Revoked),
                _ => {}
            }
            return Err(LoginError::Refused { error, first_login });
        }
    };
    // Another user on a shared tablet must not see the previous
    // user's cases, and the previous user's unsynced work must not
    // be lost: it has to sync (under its author's login) first.
    let someone_else = owner.is_some_and(|o| o != resp.user.id);
    // The device's state with the answer taken: after a restore the
    // server acknowledges less than the tablet was told before, and what
    // it lost waits again.
    let before = ctx.device.get_untracked();
    let restored = before
        .as_ref()
        .is_some_and(|d| d.device == resp.device && d.epoch != 0 && d.epoch != resp.epoch);
    // What waited before the answer, under a device id the server has
    // replaced with a new one: the new id starts a state of its own, and
    // the old id's ops still wait on the tablet. Under the same id the
    // answer says what waits (a push stored whose answer was lost waits
    // no more).
    let waited = before
        .as_ref()
        .filter(|d| d.device != resp.device)
        .map_or(0, DeviceState::pending);
    let stored = before.clone();
    let mut state = device_state(before, &resp, someone_else);
    // The scope the cases on the tablet were pulled under: written with
    // the login unless they still have to be cleared (below).
    let scope = resp.user.scope();
    let mut held_scope = Some(scope.clone());
    // The same user, moved by an admin to other properties or given
    // another role: what the tablet pulled was for the old scope, masked
    // for the old role, and the cursor is past everything of the new one.
    let role = resp.user.role;
    let rescoped = !someone_else && scope::moved(&resp.user).await;
    if rescoped {
        if device::unsent(state.pending().max(waited), &scope::unsent_uploads(ctx)) == 0 {
            drop_cases(ctx, &state, stored.as_ref()).await?;
        } else {
            // Their own work must upload first; the old scope's cases go
            // once a sync sent it (`scope::settle`), and the new scope's
            // come now.
            held_scope = None;
        }
        state.pull_again();
    }
    if someone_else {
        // Refused here, the session the server opened goes with it: a
        // token nobody keeps would stay valid until it expires.
        let refuse = |e: LoginError| {
            let token = resp.token.clone();
            leptos::task::spawn_local(async move {
                let _ = crate::api::logout(&token).await;
            });
            Err(e)
        };
        let pending = unsynced_by_others(ctx, &state, waited, resp.user.id);
        if pending > 0 {
            return refuse(LoginError::OtherUsersRecords(
                pending,
                authors_waiting(ctx, &state, resp.user.id),
            ));
        }
        let drafts = super::draft::kept_by_others(resp.user.id);
        if drafts > 0 && !discard_drafts {
            return refuse(LoginError::OtherUsersDrafts(drafts));
        }
        drop_cases(ctx, &state, stored.as_ref()).await?;
        // And so is what they had half typed.
        super::draft::forget_all();
        // The previous user's ops, refused ones among them, are gone.
        state.pull_again();
        state.refused.clear();
    }
    // A secret comes only with a newly issued device: keep the pair.
    let identity = resp.device_secret.clone().map(|secret| DeviceIdentity {
        device: resp.device,
        secret,
        label: req.device_name.clone(),
    });
    let session = StoredSession {
        token: resp.token,
        expires_at: resp.expires_at,
        user: resp.user,
        must_change_password: resp.must_change_password,
        // None until the password is the user's own (`LoginResponse`).
        record_key: Some(resp.record_key).filter(|k| !k.is_empty()),
        unlock: crate::idle_lock::verifier(&typed_password),
    };
    let held = held_scope.as_ref().map(|scope| (scope, role));
    // Before the new epoch is stored (`tombstone::forget_deletions`).
    if restored && let Err(e) = crate::tombstone::forget_deletions(ctx).await {
        leptos::logging::error!("forgetting the deleted cases after a restore: {e}");
        return Err(LoginError::Storage(e));
    }
    if let Err(e) = db::save_login(&session, &state, identity.as_ref(), held).await {
        leptos::logging::error!("storing the login: {e}");
        return Err(LoginError::Storage(e));
    }
    if identity.is_some() {
        ctx.identity.set(identity);
    }
    // Only the change-password screen needs it, and only now.
    ctx.login_password
        .set_value(session.must_change_password.then_some(typed_password));
    ctx.device.set(Some(state));
    crate::idle_lock::in_use();
    ctx.session.set(Some(session));
    // The cases kept from before the login were folded for nobody, or for
    // this user as they were then (another department, another role):
    // drawn again as they may see them now (`state::masked`).
    ctx.refold_all();
    // The uploads the restored server lost are offered again, as a sync
    // that learns of the restore does; the login learnt of it first.
    if restored {
        crate::evidence::upload::offer_again_if_owed(ctx).await;
    }
    // The server accepts the device again (`save_login` forgot the
    // block), and "synced" from now on means since this login.
    ctx.blocked.set(None);
    ctx.sync.update(|s| {
        s.link = Link::Online;
        s.synced = false;
        s.error = None;
        s.failures = 0;
    });
    ctx.screen.set(Screen::List);
    crate::sync::request(ctx);
    Ok(())
}

/// Why a login failed, in words. Without the network nothing was saved:
/// a login needs the server, the first one on a device above all.
fn login_failed(e: &ApiError, first_login: bool, l: shared::lang::Lang) -> String {
    match e {
        ApiError::Network(_) if first_login => l
            .pick(
                "首次登录需要联网：现在无法连接服务器。请连接网络（或确认服务器正在运行）后再试。",
                "The first login needs the network: the server cannot be reached now. Connect (or check that the server runs) and try again.",
            )
            .into(),
        ApiError::Network(_) => l
            .pick(
                "登录需要联网：现在无法连接服务器。请连接网络后再试；本设备上已有的记录仍在本机。",
                "Logging in needs the network: the server cannot be reached now. Connect and try again; the records already on this tablet stay on it.",
            )
            .into(),
        e => e.message(l),
    }
}

/// The login could not be stored on the tablet (the detail, in the
/// browser's English, goes to the console).
fn storage_failed(l: shared::lang::Lang) -> String {
    l.pick(
        "无法在本机保存登录信息（浏览器存储不可用或已满），请检查浏览器设置后重试。",
        "Could not store the login on this tablet (browser storage unavailable or full); check the browser settings and try again.",
    )
    .into()
}

/// The device state after a login answer: the stored one, if it is of the
/// device the server answered for, brought up to date with the answer; or
/// a fresh one for a device the server has just issued.
fn device_state(
    stored: Option<DeviceState>,
    resp: &LoginResponse,
    someone_else: bool,
) -> DeviceState {
    let mut state = match stored {
        Some(mut s) if s.device == resp.device => {
            s.number = resp.device_number;
            s
        }
        other => {
            if let Some(old) = other.filter(|old| old.pending() > 0) {
                // The old id's ops stay stored (nothing is ever deleted
                // here), but they no longer sync: the server gave this
                // tablet a new identity. Someone must know.
                leptos::logging::warn!(
                    "the server issued device {} instead of {}; {} ops of the old device were never acknowledged and stay on this tablet",
                    resp.device,
                    old.device,
                    old.pending()
                );
            }
            DeviceState::new(resp.device, resp.device_number, resp.acked_seq)
        }
    };
    state.take_login(resp.acked_seq, resp.epoch, !someone_else);
    state.mark_acked(crate::state::now());
    state
}

/// 简体中文 / English, stored on the device.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let ctx = use_app();
    // The choice holds for this visit either way; said when the next start
    // will not find it.
    let unsaved = RwSignal::new(false);
    let set = move |lang: shared::lang::Lang| {
        move |_| {
            ctx.lang.set(lang);
            let code = lang.code();
            leptos::task::spawn_local(async move {
                let saved = db::save_lang(code).await;
                if let Err(e) = &saved {
                    leptos::logging::warn!("saving the language: {e}");
                }
                unsaved.set(saved.is_err());
            });
        }
    };
    view! {
        <div class="lang-switch" role="group">
            <button type="button" class="btn small" data-testid="lang-zh"
                class:active=move || ctx.lang.get() == shared::lang::Lang::ZhCn
                on:click=set(shared::lang::Lang::ZhCn)>"简体中文"</button>
            <button type="button" class="btn small" data-testid="lang-en"
                class:active=move || ctx.lang.get() == shared::lang::Lang::En
                on:click=set(shared::lang::Lang::En)>"English"</button>
            <Show when=move || unsaved.get()>
                <span class="field-error" data-testid="lang-unsaved">
                    {move || ctx.lang.get().pick(
                        "语言选择未能保存在本机，下次打开时会恢复原来的语言",
                        "The language could not be saved on this tablet; the next start shows the one before",
                    )}
                </span>
            </Show>
        </div>
    }
}
