//! The harness every end-to-end test shares: the real `server` binary as a
//! child process, and a real headless Chromium driven through chromedriver.
//!
//! The server is the binary `cargo build -p server` leaves in
//! `<target>/debug/server`, and the app is the bundle `cargo xtask` leaves in
//! `dist/` (its files named after their content, as `dist/manifest.json`
//! lists). `cargo xtask test` builds both before it runs the tests; when
//! either is missing or older than its sources, the harness fails with a
//! message that says what to run, rather than testing something stale.
//!
//! A real process, not an in-process router, because tests kill it with
//! SIGKILL to check crash safety and offline behaviour.
//!
//! [`Server::start_tls`] serves HTTPS with a certificate from `server tls
//! init`, and [`Browser::start_with`] passes Chromium extra flags: together
//! (see [`Server::chromium_args`]) a test opens the app at a tablet's name
//! such as `https://tablet.test:PORT/`, mapped to 127.0.0.1 and with the
//! certificate trusted by its key, without touching the system's trust
//! store or name resolution.
//!
//! Chromedriver runs in its own process group. Chromium is its child, so
//! [`Browser`]'s `Drop` kills the whole group: a panicking test leaves no
//! browser behind.
use std::time::Duration;

mod artifacts;
mod browser;
pub mod bulk;
mod picture;
mod server;

pub use artifacts::{dist_dir, server_bin, target_dir, workspace_root};
pub use browser::Browser;
pub use picture::bmp;
pub use server::{PASSWORD, Server};

/// How long to wait for processes to come up and for elements to appear.
/// Generous, because CI is a busy 2-core machine.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The window size for screenshots: a 10" tablet in landscape.
pub const WINDOW: (u32, u32) = (1280, 800);

/// A script that leaves the page unused for `minutes` as the idle lock
/// (`app/src/idle_lock.rs`) reckons it: the page's own clock
/// (`performance.now`) runs on by them, and the last use kept for the
/// next page (`idle-since`, by the wall clock) is as long ago.
pub fn idle_for(minutes: u32) -> String {
    format!(
        "if (!window.__realPageClock) {{ window.__realPageClock = performance.now.bind(performance); window.__idleAhead = 0; }}
         window.__idleAhead += {minutes} * 60000;
         performance.now = () => window.__realPageClock() + window.__idleAhead;
         localStorage.setItem('idle-since', String(Date.now() - {minutes} * 60000));
         return true;"
    )
}
