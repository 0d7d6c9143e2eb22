//! The harness every end-to-end test shares: the real `server` binary as a
//! child process, and a real headless Chromium driven through chromedriver.
//!
//! The server is the binary `cargo build -p server` leaves in
//! `<target>/debug/server`, and the app is the bundle `cargo xtask` leaves in
//! `dist/`. `cargo xtask test` builds both before it runs the tests; when
//! either is missing or older than its sources, the harness fails with a
//! message that says what to run, rather than testing something stale.
//!
//! A real process, not an in-process router, because tests kill it with
//! SIGKILL to check crash safety and offline behaviour.
//!
//! Chromedriver runs in its own process group. Chromium is its child, so
//! [`Browser`]'s `Drop` kills the whole group: a panicking test leaves no
//! browser behind.

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};
use tempfile::TempDir;

/// How long to wait for processes to come up and for elements to appear.
/// Generous, because CI is a busy 2-core machine.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The window size for screenshots: a 10" tablet in landscape.
pub const WINDOW: (u32, u32) = (1280, 800);

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A running `server serve` on a port of its own, with a fresh data
/// directory, serving `dist/`. Killed on drop.
pub struct Server {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    child: Child,
    data: TempDir,
}

impl Server {
    /// Starts the server on a free port of 127.0.0.1 and waits until
    /// `/healthz` answers.
    pub fn start() -> Server {
        let data = tempfile::tempdir().expect("create a temp data dir");
        let dist = dist_dir();
        // Port 0: the server binds a free port and prints the address it
        // got as its first line, so there is no window in which another
        // process can take the port.
        let mut child = Command::new(server_bin())
            .args(["serve", "--addr", "127.0.0.1:0", "--log-level", "warn"])
            .arg("--data-dir")
            .arg(data.path())
            .arg("--dist")
            .arg(&dist)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the server binary");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("read the server's first line");
        // Keep draining stdout so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let base = match line.trim().strip_prefix("listening on ") {
            Some(base) => base.trim_end_matches('/').to_string(),
            None => {
                let _ = child.kill();
                panic!("the server did not start; its first line was {line:?}")
            }
        };
        let server = Server { base, child, data };
        server.wait_healthy();
        server
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// A full URL for `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL, as a crash or a power cut would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_healthy(&self) {
        let url = self.url("/healthz");
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match ureq::get(&url).call() {
                Ok(response) if response.status() == 200 => return,
                result if Instant::now() > deadline => {
                    panic!("{url} did not answer 200 within {TIMEOUT:?}: {result:?}")
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A headless Chromium with a fresh profile, and the WebDriver client
/// that drives it.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    // Field order matters: the driver's process group dies before the
    // profile directory is removed.
    driver: Driver,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a browser session.
    pub async fn start() -> Browser {
        for path in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing; `cargo xtask test` installs Chromium and chromedriver"
            );
        }
        let driver = Driver::start();
        let profile = tempfile::tempdir().expect("create a temp browser profile");
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities(profile.path()));
        let client = builder
            .connect(&driver.url)
            .await
            .expect("open a WebDriver session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Waits for the element with `data-testid="{test_id}"`.
    pub async fn wait_for_test_id(&self, test_id: &str) -> Element {
        let css = format!("[data-testid=\"{test_id}\"]");
        self.client
            .wait()
            .at_most(TIMEOUT)
            .for_element(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| {
                panic!("no element {css} within {TIMEOUT:?} (did the wasm start?): {e}")
            })
    }

    /// Saves a PNG of the viewport as `<target>/screenshots/{name}.png` and
    /// returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("take a screenshot");
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("create the screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Ends the session politely. Dropping without closing is fine too: the
    /// process group is killed either way.
    pub async fn close(self) {
        let Browser {
            client,
            driver,
            _profile,
        } = self;
        let _ = client.close().await;
        drop(driver);
    }
}

/// chromedriver, leader of its own process group.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chromedriver");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        driver.wait_ready();
        driver
    }

    fn wait_ready(&self) {
        let status = format!("{}/status", self.url);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let ready = ureq::get(&status)
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == json!(true));
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver at {} was not ready within {TIMEOUT:?}",
                self.url
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The child's pid is its process group's id (`process_group(0)`).
        // A negative pid signals the whole group: chromedriver and every
        // Chromium process it started.
        let Ok(pgid) = i32::try_from(self.child.id()) else {
            return;
        };
        // SAFETY: kill(2) has no memory-safety preconditions; at worst the
        // group is already gone and the call returns ESRCH.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// Headless Chromium as root (CI runs as root) with a throwaway profile and
/// nothing that phones home.
fn capabilities(profile: &Path) -> Capabilities {
    let (width, height) = WINDOW;
    let args = [
        "--headless=new".to_string(),
        "--no-sandbox".to_string(),
        "--disable-gpu".to_string(),
        "--disable-quic".to_string(),
        "--no-first-run".to_string(),
        "--disable-background-networking".to_string(),
        "--disable-component-update".to_string(),
        "--disable-sync".to_string(),
        "--disable-dev-shm-usage".to_string(),
        format!("--window-size={width},{height}"),
        format!("--user-data-dir={}", profile.display()),
    ];
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("the capabilities literal is an object"),
    }
}

/// A port that was free a moment ago. Only for chromedriver, which cannot
/// report the port it bound.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate is inside the workspace")
        .to_path_buf()
}

/// `$CARGO_TARGET_DIR`, or `<root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The built app, checked to be present and newer than its sources.
pub fn dist_dir() -> PathBuf {
    let root = workspace_root();
    let dist = root.join("dist");
    let wasm = dist.join("app_bg.wasm");
    for file in ["index.html", "app.js", "app_bg.wasm"] {
        assert!(
            dist.join(file).exists(),
            "{} is missing: the app is not built. Run `cargo xtask test` (or `cargo xtask dist`).",
            dist.join(file).display()
        );
    }
    let sources = [
        root.join("app"),
        root.join("style"),
        root.join("shared/src"),
    ];
    assert_fresh(&wasm, &sources, "cargo xtask dist");
    dist
}

/// The server binary, checked to be present and newer than its sources.
pub fn server_bin() -> PathBuf {
    let root = workspace_root();
    let bin = target_dir().join("debug").join("server");
    assert!(
        bin.exists(),
        "{} is missing. Run `cargo xtask test` (or `cargo build -p server`).",
        bin.display()
    );
    let sources = [
        root.join("server/src"),
        root.join("server/Cargo.toml"),
        root.join("shared/src"),
    ];
    assert_fresh(&bin, &sources, "cargo build -p server");
    bin
}

/// Fails when a file under `sources` changed after `artifact` was built.
fn assert_fresh(artifact: &Path, sources: &[PathBuf], rebuild: &str) {
    let built = modified(artifact).expect("the artifact exists");
    let newest = sources.iter().filter_map(|s| newest_modified(s)).max();
    let Some((changed, source)) = newest else {
        return;
    };
    assert!(
        changed <= built,
        "{} is older than {}; run `{rebuild}` (or `cargo xtask test`) first",
        artifact.display(),
        source.display()
    );
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The most recently modified file under `path`, with its time.
fn newest_modified(path: &Path) -> Option<(SystemTime, PathBuf)> {
    if path.is_file() {
        return modified(path).map(|t| (t, path.to_path_buf()));
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest_modified(&entry.path()))
        .max()
}
