//! The browser app: a Leptos client-side-rendered shell that grows into the
//! login screen, the case list and the case form.
//!
//! wasm-bindgen runs [`start`] when `index.html` calls `init()` from the
//! generated `app.js`; it mounts [`App`] into `<body>`. Nothing in the page
//! is rendered by static HTML, so a browser test that finds the shell knows
//! the wasm ran.
//!
//! **Architecture Invariant:** the app holds no second copy of the rules.
//! Workflow, deadlines and validation come from `shared`.

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

/// The product's name, shown in the header. The browser tests look for it.
pub const PRODUCT_NAME: &str = "物业投诉与服务工单";

/// The wasm module's entry point.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The app shell: a header with the product name and the connection state,
/// and the main area where the screens go.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <div class="app-shell" data-testid="app-shell">
            <header class="app-header" data-testid="app-header">
                <h1 class="app-title" data-testid="app-title">{PRODUCT_NAME}</h1>
                <ConnectionBadge/>
            </header>
            // The login screen, and after it the case screens, mount here.
            <main class="app-main" data-testid="app-main"></main>
            <footer class="app-footer" data-testid="app-version">
                "版本 " {env!("CARGO_PKG_VERSION")}
            </footer>
        </div>
    }
}

/// Shows whether the browser believes it is online. Staff work offline
/// routinely; this tells them whether their changes can sync right now.
#[component]
fn ConnectionBadge() -> impl IntoView {
    let online = RwSignal::new(window().navigator().on_line());
    let on = window_event_listener(leptos::ev::online, move |_| online.set(true));
    let off = window_event_listener(leptos::ev::offline, move |_| online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    view! {
        <span
            class="connection"
            class:offline=move || !online.get()
            role="status"
            data-testid="connection"
        >
            {move || if online.get() { "在线" } else { "离线" }}
        </span>
    }
}
