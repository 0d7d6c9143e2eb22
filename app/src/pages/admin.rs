//! Administration (admin role): being written.

use leptos::prelude::*;

/// The administration screen.
#[component]
pub fn AdminPage() -> impl IntoView {
    view! { <section class="card" data-testid="admin"></section> }
}
