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

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::collections::HashMap;
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
    /// `http://127.0.0.1:PORT` (or `https://…` for [`Server::start_tls`]),
    /// without a trailing slash.
    pub base: String,
    child: Option<Child>,
    data: TempDir,
    tls: Option<Tls>,
    agent: ureq::Agent,
}

/// What `server tls init` wrote for a TLS server.
struct Tls {
    /// The directory with `ca.crt`, `server.crt`, `server.key` and
    /// `server.spki`.
    dir: PathBuf,
    /// The base64 SHA-256 of the server key's SPKI (from `server.spki`).
    spki: String,
}

/// The password of every user [`Server::seed`] creates.
pub const PASSWORD: &str = "s3cret-pass";

impl Server {
    /// Starts the server on a free port of 127.0.0.1 and waits until
    /// `/healthz` answers.
    pub fn start() -> Server {
        let data = tempfile::tempdir().expect("create a temp data dir");
        let (child, base) = spawn_server(data.path(), "127.0.0.1:0", None);
        let server = Server {
            base,
            child: Some(child),
            data,
            tls: None,
            agent: agent(None),
        };
        server.wait_healthy();
        server
    }

    /// Starts the server over HTTPS, as a site would run it: `server tls
    /// init --host HOST --ip 127.0.0.1` makes a certificate authority and a
    /// certificate for `host` and 127.0.0.1 in the data directory, then
    /// `serve --tls-cert --tls-key` uses it. [`Server::agent`] trusts that
    /// authority; a browser needs [`Server::chromium_args`].
    pub fn start_tls(host: &str) -> Server {
        let data = tempfile::tempdir().expect("create a temp data dir");
        let dir = data.path().join("tls");
        let dir_arg = dir.to_str().expect("a UTF-8 temp path");
        run_cli(
            data.path(),
            &[
                "tls",
                "init",
                "--host",
                host,
                "--ip",
                "127.0.0.1",
                "--out",
                dir_arg,
            ],
        );
        let spki = std::fs::read_to_string(dir.join("server.spki"))
            .expect("server tls init writes server.spki")
            .trim()
            .to_string();
        assert!(!spki.is_empty(), "server.spki is empty");
        let ca = std::fs::read(dir.join("ca.crt")).expect("server tls init writes ca.crt");
        let ca = ureq::tls::Certificate::from_pem(&ca).expect("ca.crt is a PEM certificate");
        let agent = agent(Some(ca));
        let tls = Tls { dir, spki };
        let (child, base) = spawn_server(data.path(), "127.0.0.1:0", Some(&tls));
        assert!(base.starts_with("https://"), "a TLS server said {base}");
        let server = Server {
            base,
            child: Some(child),
            data,
            tls: Some(tls),
            agent,
        };
        server.wait_healthy();
        server
    }

    /// An HTTP client for this server: over HTTPS it trusts the server's
    /// own certificate authority. Error statuses are answers, not errors.
    pub fn agent(&self) -> ureq::Agent {
        self.agent.clone()
    }

    /// The server's address with `host` in place of 127.0.0.1, e.g.
    /// `https://tablet.test:PORT/path`, for a browser started with
    /// [`Server::chromium_args`].
    pub fn url_at(&self, host: &str, path: &str) -> String {
        format!("{}{path}", self.base.replacen("127.0.0.1", host, 1))
    }

    /// The Chromium flags that make `host` resolve to 127.0.0.1 (any
    /// port) and, for a TLS server, trust its certificate by the hash of
    /// its key (`server.spki`), as `--ignore-certificate-errors-spki-list`
    /// takes it. Only for test profiles: it bypasses the certificate's
    /// chain.
    pub fn chromium_args(&self, host: &str) -> Vec<String> {
        let mut args = vec![format!("--host-resolver-rules=MAP {host} 127.0.0.1")];
        if let Some(tls) = &self.tls {
            args.push(format!(
                "--ignore-certificate-errors-spki-list={}",
                tls.spki
            ));
        }
        args
    }

    /// Starts the server again after [`Server::kill`], on the same address
    /// and the same data directory: the browser's origin (and so its
    /// service worker and IndexedDB) stays the same.
    pub fn restart(&mut self) {
        self.kill();
        let addr = self
            .base
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .to_string();
        let (child, base) = spawn_server(self.data.path(), &addr, self.tls.as_ref());
        assert_eq!(base, self.base, "the server came back on another address");
        self.child = Some(child);
        self.wait_healthy();
    }

    /// Runs `server ARGS --data-dir DIR` (a CLI command on this server's
    /// database) and returns its stdout; panics when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        run_cli(self.data.path(), args)
    }

    /// One property 和园 (code HY, 500 households) with building 1栋 (units
    /// 101, 102, 201), a second property 景苑 (JY) with its own staff, and
    /// users of every role the tests need, all with [`PASSWORD`]:
    /// `staff1`, `manager1`, `regional1` (HY), `staff2` (JY), `quality1`
    /// (head office) and `admin1`.
    pub fn seed(&self) {
        self.cli(&[
            "property",
            "add",
            "--code",
            "HY",
            "--name",
            "和园",
            "--households",
            "500",
        ]);
        self.cli(&[
            "property",
            "building",
            "--property",
            "HY",
            "--name",
            "1栋",
            "--units",
            "101,102,201",
        ]);
        self.cli(&[
            "property",
            "add",
            "--code",
            "JY",
            "--name",
            "景苑",
            "--households",
            "300",
        ]);
        for (login, name, role, property) in [
            ("staff1", "王客服", "staff", Some("HY")),
            ("manager1", "李经理", "manager", Some("HY")),
            ("regional1", "赵区域", "regional_manager", Some("HY")),
            ("staff2", "陈客服", "staff", Some("JY")),
            ("quality1", "周品质", "quality", None),
            ("admin1", "系统管理员", "admin", None),
        ] {
            let mut args = vec![
                "user",
                "add",
                "--login",
                login,
                "--name",
                name,
                "--role",
                role,
                "--password",
                PASSWORD,
            ];
            if let Some(p) = property {
                args.extend(["--property", p]);
            }
            self.cli(&args);
        }
    }

    /// Logs in over HTTP(S) as `login` with [`PASSWORD`], as a new device,
    /// and returns the bearer token.
    pub fn token(&self, login: &str) -> String {
        let body = json!({ "login": login, "password": PASSWORD, "device_name": "e2e" });
        let (status, answer) = self.post_json(None, "/api/v1/auth/login", &body);
        assert_eq!(status, 200, "login of {login}: {answer}");
        answer["token"]
            .as_str()
            .expect("a login answer has a token")
            .to_string()
    }

    /// `GET path` with `token`: the status and the JSON body (`Null` when
    /// there is none).
    pub fn get_json(&self, token: &str, path: &str) -> (u16, Value) {
        let mut response = self
            .agent
            .get(self.url(path))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_json().unwrap_or(Value::Null),
        )
    }

    /// `POST path` with a JSON body (and `token`, when given): the status
    /// and the JSON body (`Null` when there is none).
    pub fn post_json(&self, token: Option<&str>, path: &str, body: &Value) -> (u16, Value) {
        let mut request = self.agent.post(self.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let mut response = request
            .send_json(body)
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_json().unwrap_or(Value::Null),
        )
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
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn wait_healthy(&self) {
        let url = self.url("/healthz");
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.agent.get(&url).call() {
                Ok(response) if response.status() == 200 => return,
                result if Instant::now() > deadline => {
                    panic!("{url} did not answer 200 within {TIMEOUT:?}: {result:?}")
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

/// An HTTP client whose error statuses are answers, trusting `ca` too
/// when given.
fn agent(ca: Option<ureq::tls::Certificate<'static>>) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder().http_status_as_error(false);
    if let Some(ca) = ca {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(&[ca]))
            .build();
        config = config.tls_config(tls);
    }
    config.build().into()
}

/// Runs `server ARGS --data-dir DATA` and returns its stdout; panics when
/// it fails.
fn run_cli(data: &Path, args: &[&str]) -> String {
    let out = Command::new(server_bin())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("SERVER_USER_PASSWORD")
        .output()
        .expect("run the server CLI");
    assert!(
        out.status.success(),
        "server {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Spawns `server serve` on `addr` (over HTTPS with `tls`) and returns it
/// with the base URL it printed. Port 0 makes the server bind a free port
/// and print the address it got as its first line, so no other process can
/// take the port between choosing and binding it.
fn spawn_server(data: &Path, addr: &str, tls: Option<&Tls>) -> (Child, String) {
    let mut command = Command::new(server_bin());
    command
        .args(["serve", "--addr", addr, "--log-level", "warn"])
        .arg("--data-dir")
        .arg(data)
        .arg("--dist")
        .arg(dist_dir());
    if let Some(tls) = tls {
        command
            .arg("--tls-cert")
            .arg(tls.dir.join("server.crt"))
            .arg("--tls-key")
            .arg(tls.dir.join("server.key"));
    }
    let mut child = command
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
    match line.trim().strip_prefix("listening on ") {
        Some(base) => (child, base.trim_end_matches('/').to_string()),
        None => {
            let _ = child.kill();
            panic!("the server did not start on {addr}; its first line was {line:?}")
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A headless Chromium with its own profile, and the WebDriver client
/// that drives it.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    // Field order matters: the driver's process group dies before the
    // profile directory is removed.
    driver: Driver,
    _profile: Option<TempDir>,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a browser session with
    /// a fresh profile.
    pub async fn start() -> Browser {
        Browser::start_with(&[]).await
    }

    /// Like [`Browser::start`], with extra Chromium flags (e.g.
    /// [`Server::chromium_args`]).
    pub async fn start_with(args: &[String]) -> Browser {
        let profile = tempfile::tempdir().expect("create a temp browser profile");
        let mut browser = Browser::start_in_with(profile.path(), args).await;
        browser._profile = Some(profile);
        browser
    }

    /// Opens a browser on the profile in `dir`, which outlives it: starting
    /// again on the same directory is a browser restart, with the service
    /// worker, its cache and IndexedDB as the last one left them.
    pub async fn start_in(dir: &Path) -> Browser {
        Browser::start_in_with(dir, &[]).await
    }

    /// Like [`Browser::start_in`], with extra Chromium flags.
    pub async fn start_in_with(dir: &Path, args: &[String]) -> Browser {
        for path in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing; `cargo xtask test` installs Chromium and chromedriver"
            );
        }
        let driver = Driver::start();
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities(dir, args));
        let client = builder
            .connect(&driver.url)
            .await
            .expect("open a WebDriver session");
        Browser {
            client,
            driver,
            _profile: None,
        }
    }

    /// Opens `url` and waits for the app shell.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("open the app");
        self.wait_for_test_id("app-shell").await;
    }

    /// The first element with `data-testid="{test_id}"`, if there is one now.
    pub async fn find(&self, test_id: &str) -> Option<Element> {
        let css = format!("[data-testid=\"{test_id}\"]");
        self.client.find(Locator::Css(&css)).await.ok()
    }

    /// Every element with `data-testid="{test_id}"` now.
    pub async fn find_all(&self, test_id: &str) -> Vec<Element> {
        let css = format!("[data-testid=\"{test_id}\"]");
        self.client
            .find_all(Locator::Css(&css))
            .await
            .unwrap_or_default()
    }

    /// Clicks the element with `test_id`, waiting for it first. It is
    /// scrolled to the middle of the window first, so the app's sticky
    /// header never sits on top of it (as it would for a person's finger).
    pub async fn click(&self, test_id: &str) {
        let el = self.wait_for_test_id(test_id).await;
        let arg = serde_json::to_value(&el).expect("an element reference");
        let _ = self
            .client
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg])
            .await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click [data-testid={test_id}]: {e}"));
    }

    /// Replaces the text of the input with `test_id`.
    pub async fn fill(&self, test_id: &str, text: &str) {
        let el = self.wait_for_test_id(test_id).await;
        el.clear()
            .await
            .unwrap_or_else(|e| panic!("clear [data-testid={test_id}]: {e}"));
        // WebDriver's clear fires no `input` event; the app listens for it,
        // so tell it the field is empty now, as typing would.
        let arg = serde_json::to_value(&el).expect("an element reference");
        let _ = self
            .client
            .execute(
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                vec![arg],
            )
            .await;
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into [data-testid={test_id}]: {e}"));
    }

    /// Chooses the option with `value` in the select with `test_id`.
    pub async fn choose(&self, test_id: &str, value: &str) {
        let el = self.wait_for_test_id(test_id).await;
        el.select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choose {value:?} in [data-testid={test_id}]: {e}"));
    }

    /// Chooses the option whose visible text contains `label`.
    pub async fn choose_label(&self, test_id: &str, label: &str) {
        let css = format!("[data-testid=\"{test_id}\"] option");
        let deadline = Instant::now() + TIMEOUT;
        loop {
            for option in self
                .client
                .find_all(Locator::Css(&css))
                .await
                .unwrap_or_default()
            {
                if option.text().await.unwrap_or_default().contains(label) {
                    option.click().await.expect("click the option");
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no option {label:?} in [data-testid={test_id}] within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Registers a complaint in 和园 1栋 101 (the seed's property) through
    /// the intake form and returns its registration number as the app shows it.
    pub async fn register_complaint(&self, name: &str, content: &str) -> String {
        self.click("nav-new").await;
        self.choose_label("field-property", "和园").await;
        self.choose_label("field-building", "1栋").await;
        self.choose_label("field-unit", "101").await;
        self.fill("field-name", name).await;
        self.fill("field-phone", "13800138000").await;
        self.choose("field-category", "maintenance").await;
        self.fill("field-content", content).await;
        self.click("save-case").await;
        self.text("reg-no").await
    }

    /// The visible text of the element with `test_id` (waiting for it).
    pub async fn text(&self, test_id: &str) -> String {
        let el = self.wait_for_test_id(test_id).await;
        el.text().await.unwrap_or_default()
    }

    /// The value of an input or select with `test_id`.
    pub async fn value(&self, test_id: &str) -> String {
        let el = self.wait_for_test_id(test_id).await;
        el.prop("value").await.ok().flatten().unwrap_or_default()
    }

    /// An attribute of the element with `test_id`, or "" when absent.
    pub async fn attr(&self, test_id: &str, name: &str) -> String {
        match self.find(test_id).await {
            Some(el) => el.attr(name).await.ok().flatten().unwrap_or_default(),
            None => String::new(),
        }
    }

    /// Waits until `test_id`'s attribute `name` is `want`.
    pub async fn wait_attr(&self, test_id: &str, name: &str, want: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let got = self.attr(test_id, name).await;
            if got == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "[data-testid={test_id}] {name}={got:?}, wanted {want:?} within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the text of `test_id` contains `want`.
    pub async fn wait_text(&self, test_id: &str, want: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let got = match self.find(test_id).await {
                Some(el) => el.text().await.unwrap_or_default(),
                None => String::new(),
            };
            if got.contains(want) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "[data-testid={test_id}] says {got:?}, wanted {want:?} within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until there are exactly `n` elements with `test_id`.
    pub async fn wait_count(&self, test_id: &str, n: usize) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let got = self.find_all(test_id).await.len();
            if got == n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{got} elements [data-testid={test_id}], wanted {n} within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Logs in through the app's form and waits for the first sync to
    /// finish, so the user's properties and colleagues are on the device.
    pub async fn login(&self, login: &str) {
        self.fill("login-name", login).await;
        self.fill("login-password", PASSWORD).await;
        self.click("login-submit").await;
        self.wait_for_test_id("case-list").await;
        self.wait_synced().await;
    }

    /// Waits until a sync has finished without error and nothing waits.
    pub async fn wait_synced(&self) {
        self.wait_attr("sync-status", "data-synced", "true").await;
        self.wait_attr("sync-status", "data-running", "false").await;
        self.wait_attr("sync-pending", "data-pending", "0").await;
    }

    /// Presses "sync now" until a sync has run after this call and left
    /// nothing waiting (the button is disabled while a sync runs).
    pub async fn sync_now(&self) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if self.attr("sync-status", "data-running").await == "false" {
                self.click("sync-now").await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let idle = self.attr("sync-status", "data-running").await == "false";
                let error = self.text("sync-error").await;
                let pending = self.attr("sync-pending", "data-pending").await;
                if idle && error.is_empty() && pending == "0" {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "sync did not complete within {TIMEOUT:?}: {}",
                self.text("sync-status").await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("run {script:?} in the page: {e}"))
    }

    /// Whether a service worker controls the page now.
    pub async fn service_worker_controls(&self) -> bool {
        self.eval("return !!(navigator.serviceWorker && navigator.serviceWorker.controller);")
            .await
            == json!(true)
    }

    /// Waits until a service worker controls the page, so that it loads
    /// with the server down.
    pub async fn wait_service_worker(&self) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let controlled = self
                .client
                .execute(
                    "return !!(navigator.serviceWorker && navigator.serviceWorker.controller);",
                    vec![],
                )
                .await
                .ok();
            if controlled == Some(json!(true)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no service worker controls the page within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
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
        drop(_profile);
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
/// nothing that phones home, plus `extra` flags.
fn capabilities(profile: &Path, extra: &[String]) -> Capabilities {
    let (width, height) = WINDOW;
    let mut args = vec![
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
    args.extend(extra.iter().cloned());
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
    let names = bundle_names(&dist);
    let file = |plain: &str| dist.join(names.get(plain).map_or(plain, String::as_str));
    for plain in ["index.html", "app.js", "app_bg.wasm"] {
        assert!(
            file(plain).exists(),
            "{} is missing: the app is not built. Run `cargo xtask test` (or `cargo xtask dist`).",
            file(plain).display()
        );
    }
    let wasm = file("app_bg.wasm");
    let sources = [
        root.join("app"),
        root.join("style"),
        root.join("shared/src"),
    ];
    assert_fresh(&wasm, &sources, "cargo xtask dist");
    dist
}

/// The names `cargo xtask dist` gave the files it renamed after their
/// content (`app_bg.wasm` → `app_bg-1a2b3c4d.wasm`), by plain name, from
/// `dist/manifest.json`; empty when the bundle has no such file (every
/// file has its plain name).
fn bundle_names(dist: &Path) -> HashMap<String, String> {
    let path = dist.join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return HashMap::new();
    };
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a map of names: {e}", path.display()))
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
