//! A real headless Chromium, driven through chromedriver.

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

use crate::{PASSWORD, TIMEOUT, WINDOW, target_dir};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

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

    /// Like [`Browser::start`], with notifications allowed for every site,
    /// as a user who tapped 允许 would have them.
    pub async fn start_allowing_notifications() -> Browser {
        let profile = tempfile::tempdir().expect("create a temp browser profile");
        let prefs = json!({ "profile.default_content_setting_values.notifications": 1 });
        let mut browser = Browser::session(profile.path(), &[], prefs).await;
        browser._profile = Some(profile);
        browser
    }

    /// Like [`Browser::start_in`], with extra Chromium flags.
    pub async fn start_in_with(dir: &Path, args: &[String]) -> Browser {
        Browser::session(dir, args, json!({})).await
    }

    /// A session on the profile in `dir`, with extra Chromium flags and
    /// profile preferences.
    async fn session(dir: &Path, args: &[String], prefs: Value) -> Browser {
        for path in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing; `cargo xtask test` installs Chromium and chromedriver"
            );
        }
        let driver = Driver::start();
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities(dir, args, prefs));
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

    /// Enters `value` in the input with `test_id` as a person would:
    /// typed into a text field, chosen in a select, picked in a date input.
    pub async fn enter(&self, test_id: &str, value: &str) {
        let el = self.wait_for_test_id(test_id).await;
        let tag = el.tag_name().await.unwrap_or_default().to_lowercase();
        let kind = el.attr("type").await.ok().flatten().unwrap_or_default();
        match (tag.as_str(), kind.as_str()) {
            ("select", _) => self.choose(test_id, value).await,
            (_, "date") => self.set_date(test_id, value).await,
            _ => self.fill(test_id, value).await,
        }
    }

    /// Takes `action` on the open case with `inputs` (name, value) entered
    /// in its form, and waits for the case to reach `state`.
    pub async fn act(&self, action: &str, inputs: &[(&str, &str)], state: &str) {
        self.click(&format!("action-{action}")).await;
        for (name, value) in inputs {
            self.enter(&format!("in-{name}"), value).await;
        }
        self.click(&format!("submit-{action}")).await;
        self.wait_attr("detail-state", "data-state", state).await;
    }

    /// Taps `button`, which makes a file, and answers its link's address
    /// (`{button}-file`) once it is there: making one reads the records'
    /// proofs from IndexedDB first, which waits behind a sync's writes.
    /// Fails if no file is made.
    pub async fn made_file(&self, button: &str) -> String {
        let link = format!("{button}-file");
        let deadline = Instant::now() + TIMEOUT;
        self.click(button).await;
        loop {
            let href = self.attr(&link, "href").await;
            if href.starts_with("blob:") {
                return href;
            }
            assert!(
                Instant::now() < deadline,
                "no file made by [data-testid={button}] within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sets the date input with `test_id` to `date` (`YYYY-MM-DD`), as a
    /// date picker does: typing into one depends on the browser's locale.
    pub async fn set_date(&self, test_id: &str, date: &str) {
        self.wait_for_test_id(test_id).await;
        self.eval(&format!(
            "const i = document.querySelector('[data-testid=\"{test_id}\"]');
             i.value = '{date}';
             i.dispatchEvent(new Event('input', {{bubbles: true}}));
             return true;"
        ))
        .await;
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
        self.fill_complaint(name, content).await;
        self.click("save-case").await;
        self.text("reg-no").await
    }

    /// Fills the intake form as [`Browser::register_complaint`] does, and
    /// leaves it open, unsaved.
    pub async fn fill_complaint(&self, name: &str, content: &str) {
        self.click("nav-new").await;
        self.choose_label("field-property", "和园").await;
        self.choose_label("field-building", "1栋").await;
        self.choose_label("field-unit", "101").await;
        self.fill("field-name", name).await;
        self.fill("field-phone", "13800138000").await;
        self.choose("field-channel", "phone").await;
        self.choose("field-category", "maintenance").await;
        self.fill("field-content", content).await;
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

    /// Waits until `test_id`'s attribute `name` is `want` (`""` for an
    /// attribute absent from an element that is there: a missing element
    /// is no element without it).
    pub async fn wait_attr(&self, test_id: &str, name: &str, want: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let got = match self.find(test_id).await {
                Some(el) => el.attr(name).await.ok().flatten().unwrap_or_default(),
                None => "(no such element)".to_string(),
            };
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

    /// Waits until `test_id` says nothing (or is gone): a message that
    /// ends once what it said is over.
    pub async fn wait_no_text(&self, test_id: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let got = match self.find(test_id).await {
                Some(el) => el.text().await.unwrap_or_default(),
                None => String::new(),
            };
            if got.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "[data-testid={test_id}] still says {got:?} after {TIMEOUT:?}"
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

    /// Logs out from the settings screen (open), going ahead when the app
    /// asks first (records waiting, the server out of reach, drafts).
    pub async fn log_out(&self) {
        self.click("logout").await;
        let deadline = Instant::now() + TIMEOUT;
        let mut confirmed = false;
        loop {
            if self.find("login-form").await.is_some() {
                return;
            }
            if !confirmed && let Some(go) = self.find("logout-confirm").await {
                confirmed = go.click().await.is_ok();
            }
            assert!(
                Instant::now() < deadline,
                "no login form within {TIMEOUT:?} of logging out"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// This tablet's device id, as its settings screen shows it (the
    /// screen stays open).
    pub async fn device_id(&self) -> String {
        self.click("nav-settings").await;
        self.wait_text("settings-device", "#").await;
        self.attr("settings-device", "data-device").await
    }

    /// Makes the tablet hold a device secret the server never issued, as
    /// after a server restored from a backup older than the tablet: its
    /// next login gets a new device id.
    pub async fn lose_device_secret(&self) {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const open = indexedDB.open('complaints');
                 open.onsuccess = () => {
                     const store = open.result.transaction('device', 'readwrite').objectStore('device');
                     const get = store.get('identity');
                     get.onsuccess = () => {
                         const identity = JSON.parse(get.result);
                         identity.secret = 'not-the-secret-the-server-issued';
                         store.put(JSON.stringify(identity), 'identity').onsuccess = () => done(0);
                     };
                 };",
                vec![],
            )
            .await
            .expect("change the stored secret");
    }

    /// Opens the administration's settings form (the user is an admin).
    pub async fn open_settings(&self) {
        self.click("nav-admin").await;
        self.click("admin-tab-settings").await;
        self.wait_for_test_id("settings-form").await;
    }

    /// Logs in through the app's form and waits for the first sync to
    /// finish, so the user's properties and colleagues are on the device.
    pub async fn login(&self, login: &str) {
        self.fill("login-name", login).await;
        self.fill("login-password", PASSWORD).await;
        self.name_tablet().await;
        self.click("login-submit").await;
        self.wait_for_test_id("case-list").await;
        self.wait_synced().await;
    }

    /// Names the tablet when the login form asks (its first login).
    pub async fn name_tablet(&self) {
        if self.find("login-device-label").await.is_some() {
            self.fill("login-device-label", "测试平板 1").await;
        }
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

    /// From now on, until [`Browser::restore_storage`] or a reload, the
    /// page's IndexedDB refuses every write into the object store `store`
    /// as a full disk does (`QuotaExceededError`).
    pub async fn refuse_store(&self, store: &str) {
        let script = format!(
            "window.__put = window.__put || IDBObjectStore.prototype.put;
             IDBObjectStore.prototype.put = function (...args) {{
                 if (this.name === {store:?}) {{
                     throw new DOMException('the disk is full', 'QuotaExceededError');
                 }}
                 return window.__put.apply(this, args);
             }};
             return true;"
        );
        self.eval(&script).await;
    }

    /// From now on, until a reload, the page's IndexedDB aborts every
    /// transaction that writes into the object store `store` when it is
    /// committed, as a browser out of quota does: the requests succeed and
    /// the transaction fails with a `QuotaExceededError` of its own, until
    /// [`Browser::restore_storage`].
    pub async fn fill_storage(&self, store: &str) {
        let script = format!(
            "const commit = IDBTransaction.prototype.commit;
             const error = Object.getOwnPropertyDescriptor(IDBTransaction.prototype, 'error').get;
             Object.defineProperty(IDBTransaction.prototype, 'error', {{
                 get() {{ return this.__full || error.call(this); }},
             }});
             IDBTransaction.prototype.commit = function () {{
                 if (this.mode === 'readwrite' && Array.from(this.objectStoreNames).includes({store:?})) {{
                     this.__full = new DOMException('the quota is used up', 'QuotaExceededError');
                     return this.abort();
                 }}
                 return commit.call(this);
             }};
             window.__commit = commit;
             return true;"
        );
        self.eval(&script).await;
    }

    /// Undoes [`Browser::refuse_store`] and [`Browser::fill_storage`]: the
    /// storage takes writes again.
    pub async fn restore_storage(&self) {
        self.eval(
            "IDBObjectStore.prototype.put = window.__put || IDBObjectStore.prototype.put;
             IDBTransaction.prototype.commit = window.__commit || IDBTransaction.prototype.commit;
             return true;",
        )
        .await;
    }

    /// From now on the page's syncs are answered as a server that no
    /// longer takes this build answers them (426 `client.update_required`),
    /// until the page reloads; `window.__old` marks the page until then.
    pub async fn refuse_this_build(&self) {
        self.eval(
            "window.__old = true;
             const real = window.fetch;
             window.fetch = function (input, init) {
                 const url = typeof input === 'string' ? input : input.url;
                 if (url.includes('/api/v1/sync/')) {
                     return Promise.resolve(new Response(
                         JSON.stringify({ code: 'client.update_required', message: 'this app writes schema 0' }),
                         { status: 426, headers: { 'content-type': 'application/json' } }));
                 }
                 return real.apply(this, arguments);
             };
             return true;",
        )
        .await;
    }

    /// Waits until `script` returns true in the page, across reloads
    /// (asked while the page reloads, the browser may answer with an
    /// error); `what` names it if it does not.
    pub async fn wait_until(&self, script: &str, what: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while self.client.execute(script, vec![]).await.ok() != Some(Value::Bool(true)) {
            assert!(Instant::now() < deadline, "not within {TIMEOUT:?}: {what}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
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

    /// Prints the page to an A4 PDF, keeps it as
    /// `<target>/screenshots/{name}.pdf`, and returns how many pages it has.
    pub async fn print_pages(&self, name: &str) -> usize {
        let config = fantoccini::wd::PrintConfiguration::builder()
            .build()
            .expect("an A4 print configuration");
        let pdf = self.client.print(config).await.expect("print to PDF");
        assert!(pdf.starts_with(b"%PDF"), "a PDF came back");
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("create the screenshot dir");
        std::fs::write(dir.join(format!("{name}.pdf")), &pdf).expect("write the PDF");
        // Each page object says `/Type /Page`; the tree's root says `/Pages`.
        pdf.windows(b"/Type /Page".len() + 1)
            .filter(|w| w.starts_with(b"/Type /Page") && w[w.len() - 1] != b's')
            .count()
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
fn capabilities(profile: &Path, extra: &[String], prefs: Value) -> Capabilities {
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
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args, "prefs": prefs },
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
