//! Passwords: the change the server requires after a login with a password
//! someone else set (an admin's reset, the first admin's printed one), and
//! the change any user may make from settings.
//!
//! Online only: the server checks the current password and keeps the hash.
//! The form checks what it can before sending (the length, that both new
//! entries match) and shows each problem, its own or the server's, beside
//! the field it is about.

use crate::api::{self, ApiError};
use crate::db;
use crate::state::{Screen, use_app};
use leptos::prelude::*;
use shared::lang::Lang;
use shared::validation::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use shared::wire::PasswordChange;

/// The screen after a login whose password the user must change: nothing
/// else is allowed until they do. The password typed at the login is the
/// current one; after a reload it is asked again.
#[component]
pub fn FirstPassword() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let known_current = ctx.login_password.get_value();
    let done = Callback::new(move |new_password: String| {
        ctx.login_password.set_value(None);
        let Some(mut session) = ctx.session.get_untracked() else {
            return;
        };
        session.must_change_password = false;
        session.unlock = crate::idle_lock::verifier(&new_password);
        crate::idle_lock::in_use();
        leptos::task::spawn_local(async move {
            if let Err(e) = db::save_session(&session).await {
                // The server has the new password; at worst the next start
                // shows this screen again, where the new one works.
                leptos::logging::warn!("storing the session: {e}");
            }
            ctx.session.set(Some(session));
            ctx.screen.set(Screen::List);
            crate::sync::request(ctx);
        });
    });
    view! {
        <section class="card login" data-testid="password-change-screen">
            <h2>{t("修改密码", "Change password")}</h2>
            <p class="hint">{t(
                "您的密码是由他人设置的临时密码。请设置您自己的密码后继续。",
                "Your password was set by someone else. Choose your own to continue.",
            )}</p>
            <PasswordForm known_current=known_current on_done=done/>
            <button type="button" class="btn" data-testid="password-logout"
                on:click=move |_| leptos::task::spawn_local(ctx.log_out())>
                {t("退出登录", "Log out")}
            </button>
        </section>
    }
}

/// The password change in settings, for any logged-in user.
#[component]
pub fn SettingsPassword() -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <section class="card settings-password" data-testid="settings-password">
            <h3>{t("修改密码", "Change password")}</h3>
            <p class="hint">{t(
                "修改后，您在其他设备上的登录会失效，需要用新密码重新登录；那些设备上未上传的记录不会丢失。",
                "After the change, your logins on other tablets end and need the new password; records not yet uploaded there are not lost.",
            )}</p>
            <PasswordForm known_current=None on_done=Callback::new(move |new_password: String| {
                // The idle lock opens with the new password from now on.
                let Some(mut session) = ctx.session.get_untracked() else {
                    return;
                };
                session.unlock = crate::idle_lock::verifier(&new_password);
                leptos::task::spawn_local(async move {
                    if let Err(e) = db::save_session(&session).await {
                        // This visit knows it; a reload would unlock with the old one.
                        leptos::logging::warn!("storing the session: {e}");
                    }
                    ctx.session.set(Some(session));
                });
            })/>
        </section>
    }
}

/// The fields of the form, for placing a problem beside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Current,
    New,
    Repeat,
}

/// What is wrong, in words only when shown, so a language switch re-words it.
#[derive(Debug, Clone, PartialEq)]
enum Problem {
    /// The current password is empty.
    Required,
    /// The new password is shorter than [`MIN_PASSWORD_CHARS`].
    TooShort,
    /// The new password is longer than [`MAX_PASSWORD_BYTES`].
    TooLong,
    /// The two new entries differ.
    Mismatch,
    /// The server refused, or could not be reached.
    Server(ApiError),
}

impl Problem {
    fn message(&self, l: Lang) -> String {
        match self {
            Problem::Required => l
                .pick("请输入当前密码", "Enter your current password")
                .into(),
            Problem::TooShort => api::password_too_short(l),
            Problem::TooLong => match l {
                Lang::ZhCn => format!("密码不能超过 {MAX_PASSWORD_BYTES} 个字节"),
                Lang::En => format!("A password has at most {MAX_PASSWORD_BYTES} bytes"),
            },
            Problem::Mismatch => l
                .pick("两次输入的新密码不一致", "The two new passwords differ")
                .into(),
            Problem::Server(e) => e.message(l),
        }
    }
}

/// What the form can tell before it asks the server. `current` is `None`
/// when the current password is already known (typed at the login).
fn check(current: Option<&str>, new: &str, repeat: &str) -> Vec<(Field, Problem)> {
    let mut problems = Vec::new();
    if current.is_some_and(str::is_empty) {
        problems.push((Field::Current, Problem::Required));
    }
    if new.chars().count() < MIN_PASSWORD_CHARS {
        problems.push((Field::New, Problem::TooShort));
    } else if new.len() > MAX_PASSWORD_BYTES {
        problems.push((Field::New, Problem::TooLong));
    }
    if repeat != new {
        problems.push((Field::Repeat, Problem::Mismatch));
    }
    problems
}

/// The field a server refusal is about; `None` for the form as a whole.
fn field_of(e: &ApiError) -> Option<Field> {
    match e.code()? {
        "auth.wrong_password" => Some(Field::Current),
        // The server checks the new password's length before the current one's.
        "validation.password_too_short" | "validation.password_unchanged" | "request.too_long" => {
            Some(Field::New)
        }
        _ => None,
    }
}

/// Current (unless known), new and repeated password, sent to
/// `POST /api/v1/auth/password`; `on_done` runs after the server took it.
#[component]
fn PasswordForm(known_current: Option<String>, on_done: Callback<String>) -> impl IntoView {
    let ctx = use_app();
    let ask_current = known_current.is_none();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let problems = RwSignal::new(Vec::<(Field, Problem)>::new());
    let general = RwSignal::new(None::<Problem>);
    let done = RwSignal::new(false);
    let online = RwSignal::new(window().navigator().on_line());
    let on = window_event_listener(leptos::ev::online, move |_| online.set(true));
    let off = window_event_listener(leptos::ev::offline, move |_| online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });

    let change = Action::new_local(move |(token, req): &(String, PasswordChange)| {
        let (token, req) = (token.clone(), req.clone());
        async move {
            let result = api::change_password(&token, &req).await;
            match &result {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    repeat.set(String::new());
                    done.set(true);
                    on_done.run(req.new.clone());
                }
                // Beside the current password only where the form asks
                // for it: the first-login form knows it, and an error
                // beside a field not drawn would not be seen.
                Err(e) => match field_of(e).filter(|f| ask_current || *f != Field::Current) {
                    Some(field) => problems.set(vec![(field, Problem::Server(e.clone()))]),
                    None => general.set(Some(Problem::Server(e.clone()))),
                },
            }
            result
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if change.pending().get_untracked() {
            return;
        }
        done.set(false);
        general.set(None);
        let typed_current = current.get_untracked();
        let (new_password, repeated) = (new.get_untracked(), repeat.get_untracked());
        let found = check(
            ask_current.then_some(typed_current.as_str()),
            &new_password,
            &repeated,
        );
        problems.set(found.clone());
        if !found.is_empty() {
            return;
        }
        let Some(token) = ctx.token() else {
            return;
        };
        let req = PasswordChange {
            current: known_current.clone().unwrap_or(typed_current),
            new: new_password,
        };
        change.dispatch_local((token, req));
    };

    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let input = move |field: Field,
                      value: RwSignal<String>,
                      testid: &'static str,
                      autocomplete: &'static str,
                      zh: &'static str,
                      en: &'static str| {
        let message = move || {
            let l = ctx.lang.get();
            problems.with(|p| {
                p.iter()
                    .find(|(f, _)| *f == field)
                    .map(|(_, problem)| problem.message(l))
            })
        };
        view! {
            <label class="field">
                <span>{t(zh, en)}</span>
                <input type="password" autocomplete=autocomplete data-testid=testid
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))/>
                <span class="field-error" data-testid=format!("{testid}-error")>{message}</span>
            </label>
        }
    };
    view! {
        <form class="password-form" data-testid="password-form" on:submit=submit>
            {ask_current.then(|| input(
                Field::Current, current, "password-current", "current-password", "当前密码", "Current password",
            ))}
            {input(Field::New, new, "password-new", "new-password", "新密码", "New password")}
            {input(Field::Repeat, repeat, "password-repeat", "new-password", "再次输入新密码", "New password again")}
            <p class="hint">{move || match ctx.lang.get() {
                Lang::ZhCn => format!("至少 {MIN_PASSWORD_CHARS} 个字符。"),
                Lang::En => format!("At least {MIN_PASSWORD_CHARS} characters."),
            }}</p>
            <Show when=move || !online.get()>
                <p class="hint" data-testid="password-offline">{t(
                    "修改密码需要联网。",
                    "Changing the password needs the network.",
                )}</p>
            </Show>
            <p class="error" role="alert" data-testid="password-error">
                {move || general.with(|g| g.as_ref().map(|p| p.message(ctx.lang.get())))}
            </p>
            <Show when=move || done.get()>
                <p class="admin-done" role="status" data-testid="password-done">
                    {t("密码已修改。", "The password was changed.")}
                </p>
            </Show>
            <button type="submit" class="btn primary" data-testid="password-submit"
                disabled=move || change.pending().get() || !online.get()>
                {t("修改密码", "Change password")}
            </button>
        </form>
    }
}
