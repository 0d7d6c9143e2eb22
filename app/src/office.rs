//! The head-office screens, the dashboard and the administration, are in a
//! second bundle: the app built with the `office` feature, served at
//! `/office/`. Staff on site never open them, so the field bundle (served
//! at `/`, and kept by the service worker for offline use) leaves them out
//! and loads about a fifth less. The office bundle is the whole app.
//!
//! Opening a head-office screen in the field bundle loads
//! `/office/#<screen>`; the office bundle starts on the screen the fragment
//! names. Both bundles share the origin, so the session, the device and
//! every stored op are the same on both pages.

use crate::pages::admin::Tab;
use crate::state::Screen;
use leptos::prelude::*;

/// The fragment that names `screen` in the office bundle's URL: only the
/// field bundle links to it.
#[cfg(not(feature = "office"))]
fn fragment(screen: Screen) -> Option<String> {
    match screen {
        Screen::Dashboard => Some("dashboard".into()),
        Screen::Admin(tab) => Some(format!("admin/{}", tab.code())),
        _ => None,
    }
}

/// The screen a fragment names (with or without its `#`).
fn screen_of(fragment: &str) -> Option<Screen> {
    match fragment.trim_start_matches('#') {
        "dashboard" => Some(Screen::Dashboard),
        other => other
            .strip_prefix("admin/")
            .and_then(Tab::from_code)
            .map(Screen::Admin),
    }
}

/// The head-office screen `screen`, for a role that may see it. A URL can
/// name any screen, so the office page checks what the navigation only
/// offers: the administration to an admin, the dashboard to a role that
/// reads statistics. (The server refuses the rest either way.)
#[cfg(feature = "office")]
pub fn view(screen: Screen) -> AnyView {
    use crate::pages::{admin::AdminPage, dashboard::Dashboard};
    use shared::role::Role;
    let ctx = crate::state::use_app();
    let role = ctx.role();
    match screen {
        Screen::Admin(tab) if role == Some(Role::Admin) => {
            view! { <AdminPage start=tab/> }.into_any()
        }
        Screen::Dashboard if role.is_some_and(|r| r.reads_statistics()) => {
            view! { <Dashboard/> }.into_any()
        }
        _ => crate::components::not_allowed(),
    }
}

/// The head-office screen `screen`: this bundle has none, so it loads the
/// office bundle on it.
#[cfg(not(feature = "office"))]
pub fn view(screen: Screen) -> AnyView {
    let lang = crate::state::use_app().lang;
    // This bundle at the office page's address: the service worker had no
    // office page to give (opened offline, and never online since the
    // last update), so it gave this one. Going there again would only
    // change the fragment, and wait for ever.
    if window()
        .location()
        .pathname()
        .is_ok_and(|p| p.starts_with("/office"))
    {
        return view! {
            <section class="card" data-testid="office-unavailable">
                <p class="error">{move || lang.get().pick(
                    "总部页面需要先在联网时打开一次，本设备上还没有它的离线副本。请联网后重试。",
                    "The head-office page must first be opened online; this device has no offline copy of it yet. Try again when online.",
                )}</p>
                <button class="btn" data-testid="office-retry" on:click=move |_| {
                    let _ = window().location().reload();
                }>{move || lang.get().pick("重试", "Try again")}</button>
            </section>
        }
        .into_any();
    }
    if let Some(fragment) = fragment(screen)
        && let Err(e) = window().location().assign(&format!("/office/#{fragment}"))
    {
        leptos::logging::error!("opening the head-office page: {e:?}");
    }
    view! {
        <p class="loading" data-testid="loading">
            {move || lang.get().pick("正在打开总部页面…", "Opening the head-office page…")}
        </p>
    }
    .into_any()
}

/// The screen the app starts on: the list, or in the office bundle the
/// screen its URL names. The fragment is removed once read, so that a
/// reload starts at the list as it does in the field bundle.
pub fn first_screen() -> Screen {
    if !cfg!(feature = "office") {
        return Screen::List;
    }
    let location = window().location();
    let Some(screen) = location.hash().ok().as_deref().and_then(screen_of) else {
        return Screen::List;
    };
    if let Ok(history) = window().history()
        && let Err(e) = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&location.pathname().unwrap_or_default()),
        )
    {
        leptos::logging::warn!("clearing the page's fragment: {e:?}");
    }
    screen
}
