//! Server data on the online-only screens: a resource loaded when the
//! screen opens ([`Loaded`]), its loading and error states ([`loaded`]),
//! and the table most of it is shown in ([`DataTable`]).

use crate::api::ApiError;
use crate::state::use_app;
use leptos::prelude::*;

/// Server data a screen shows: `None` while loading.
pub type Loaded<T> = LocalResource<Result<T, ApiError>>;

/// The view of a loaded resource: loading, the error, or `ready`'s view.
pub fn loaded<T>(
    res: Loaded<T>,
    ready: impl Fn(T) -> AnyView + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let ctx = use_app();
    move || {
        match res.get() {
        None => view! {
            <p class="hint" data-testid="admin-loading">{move || ctx.lang.get().pick("正在加载…", "Loading…")}</p>
        }
        .into_any(),
        Some(Err(e)) => view! {
            <p class="error" role="alert" data-testid="admin-load-error">{move || e.message(ctx.lang.get())}</p>
        }
        .into_any(),
        Some(Ok(v)) => ready(v),
    }
    }
}

/// A table with a header row of `(zh, en)` titles (an empty pair for a
/// column without a title) and the rows as children, in a scrolling box.
#[component]
pub fn DataTable(
    /// The table's `data-testid`.
    testid: &'static str,
    /// The column titles, in both languages.
    headers: &'static [(&'static str, &'static str)],
    children: Children,
) -> impl IntoView {
    let ctx = use_app();
    let titles = headers
        .iter()
        .map(|&(zh, en)| view! { <th>{move || ctx.lang.get().pick(zh, en)}</th> })
        .collect_view();
    view! {
        <div class="admin-table">
            <table data-testid=testid>
                <thead><tr>{titles}</tr></thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
