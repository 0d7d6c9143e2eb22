//! The app in a real headless Chromium: the wasm loads and renders the
//! shell, and the header says the server answers.

use e2e::{Browser, Server};
use std::path::Path;

/// The product name as the app renders it (`app::PRODUCT_NAME`).
const PRODUCT_NAME: &str = "物业投诉与服务工单";

#[tokio::test(flavor = "multi_thread")]
async fn the_wasm_app_renders_the_shell() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser
        .client
        .goto(&server.url("/"))
        .await
        .expect("open the app");

    // index.html has an empty body; only the running wasm creates the shell.
    // A wasm that fails to start (a broken wasm-opt, a panic in `start`)
    // leaves the page without it and this wait fails.
    let shell = browser.wait_for_test_id("app-shell").await;
    let title = browser.wait_for_test_id("app-title").await;
    assert_eq!(title.text().await.expect("title text"), PRODUCT_NAME);
    assert!(
        shell
            .text()
            .await
            .expect("shell text")
            .contains(PRODUCT_NAME)
    );
    // 在线 only once the server answered (the login screen asks /healthz).
    browser
        .wait_attr("connection", "data-state", "online")
        .await;
    assert_eq!(browser.text("connection").await, "在线");
    // 127.0.0.1 is a secure context: nothing to warn about.
    assert!(
        browser.find("https-banner").await.is_none(),
        "the HTTPS banner shows at http://127.0.0.1"
    );

    let png = browser.screenshot("shell").await;
    println!("screenshot: {}", png.display());
    browser.close().await;
}

/// Copies the directory `from` into `to`, subdirectories included.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("make the copy's directory");
    for entry in std::fs::read_dir(from).expect("read the built app") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file of the built app");
        }
    }
}

/// Rewrites the built app in `dist` as a newer build would be: a service
/// worker of another version, and a page that says it is the newer one
/// (`<meta name="build" content="next">`). Their precompressed copies go,
/// so that the server serves the rewritten files.
fn upgrade(dist: &Path) {
    let rewrite = |name: &str, from: &str, to: &str| {
        let path = dist.join(name);
        let text = std::fs::read_to_string(&path).expect("read a file of the built app");
        assert!(text.contains(from), "{name} holds {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("rewrite it");
        for compressed in ["br", "gz"] {
            let _ = std::fs::remove_file(dist.join(format!("{name}.{compressed}")));
        }
    };
    rewrite("sw.js", "const VERSION = \"", "const VERSION = \"next-");
    rewrite(
        "index.html",
        "<head>",
        "<head>\n    <meta name=\"build\" content=\"next\">",
    );
}

/// Logs in at `server` with a service worker controlling the page, as a
/// tablet that used the app before.
async fn installed(server: &Server) -> Browser {
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.wait_service_worker().await;
    browser.open(&server.url("/")).await;
    assert!(browser.service_worker_controls().await);
    browser.login("staff1").await;
    browser
}

/// After a server upgrade that changed the op schema, the old app is
/// refused (426). A reload alone would come back from the service
/// worker's cache as the same old build; the app has the worker fetch the
/// newer build first, then reloads into it, and its records are there.
#[tokio::test(flavor = "multi_thread")]
async fn an_app_the_server_refuses_updates_itself_through_its_service_worker() {
    let dist = tempfile::tempdir().expect("a directory for the built app");
    copy_dir(&e2e::dist_dir(), dist.path());
    let server = Server::start_serving(dist.path());
    server.seed();
    let browser = installed(&server).await;
    let reg_no = browser.register_complaint("郑十", "电梯按钮失灵").await;
    browser.wait_synced().await;

    upgrade(dist.path());
    browser.refuse_this_build().await;
    browser.click("sync-now").await;
    browser
        .wait_until(
            "return !!document.querySelector('meta[name=\"build\"]');",
            "the page came back as the newer build",
        )
        .await;
    browser.wait_for_test_id("case-list").await;
    browser.wait_synced().await;
    assert!(browser.find("update-unavailable").await.is_none());
    assert!(
        browser.text("case-list").await.contains(&reg_no),
        "the case recorded before the update is still listed"
    );
    browser.close().await;
}

/// Head office opened its page on this device: after an update of the app
/// it still opens offline, the newer build's office page fetched when the
/// update came.
#[tokio::test(flavor = "multi_thread")]
async fn the_office_page_opened_before_an_update_opens_offline_after_it() {
    let dist = tempfile::tempdir().expect("a directory for the built app");
    copy_dir(&e2e::dist_dir(), dist.path());
    let mut server = Server::start_serving(dist.path());
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.wait_service_worker().await;
    browser.login("manager1").await;
    browser.click("nav-dashboard").await;
    browser.wait_for_test_id("kpi-total").await;

    upgrade(dist.path());
    browser
        .eval("navigator.serviceWorker.getRegistration().then((r) => r.update()); return true;")
        .await;
    // The newer build's worker took over (its cache is the only one left)
    // and, at the next fetch, holds the office page.
    browser
        .wait_until(
            "return fetch('/healthz').then(() => caches.keys()).then(async (keys) => keys.length === 1
                 && keys[0].startsWith('shell-next-')
                 && !!(await (await caches.open(keys[0])).match('/office/', {ignoreVary: true})));",
            "the newer build's cache holds the office page",
        )
        .await;

    server.kill();
    browser.open(&server.url("/office/")).await;
    browser.wait_for_test_id("case-list").await;
    browser.click("nav-dashboard").await;
    browser.wait_for_test_id("dashboard").await;
    assert!(browser.find("office-unavailable").await.is_none());
    browser.close().await;
}

/// A photo taken in a form and not saved yet is only in the page, which
/// the update's reload would drop: the app waits until the form is saved,
/// says why, and then reloads into the newer build.
#[tokio::test(flavor = "multi_thread")]
async fn an_update_waits_until_the_photos_taken_are_saved() {
    let dist = tempfile::tempdir().expect("a directory for the built app");
    copy_dir(&e2e::dist_dir(), dist.path());
    let server = Server::start_serving(dist.path());
    server.seed();
    let browser = installed(&server).await;
    let pictures = tempfile::tempdir().expect("a directory for the picture");
    let picture = pictures.path().join("picture.bmp");
    std::fs::write(&picture, e2e::bmp(64, 48, |x, y| [x as u8, y as u8, 90]))
        .expect("write a test picture");
    browser.fill_complaint("郑十", "电梯按钮失灵").await;
    let input = browser.wait_for_test_id("evidence-photos").await;
    input
        .send_keys(&picture.display().to_string())
        .await
        .expect("hand a picture to the file input");
    browser.wait_count("staged-evidence", 1).await;

    upgrade(dist.path());
    browser.refuse_this_build().await;
    browser.eval(
        "navigator.serviceWorker.addEventListener('controllerchange', () => { window.__taken = true; }); return true;",
    ).await;
    browser.click("sync-now").await;
    browser.wait_for_test_id("update-waits").await;
    // The newer build took over: without the photo, the page would reload
    // now.
    browser
        .wait_until(
            "return window.__taken === true;",
            "the newer build controls the page",
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        browser.eval("return window.__old === true;").await,
        serde_json::json!(true),
        "the page was not reloaded while the photo was staged"
    );
    browser.wait_count("staged-evidence", 1).await;

    browser.click("save-case").await;
    browser
        .wait_until(
            "return !!document.querySelector('meta[name=\"build\"]');",
            "the page came back as the newer build",
        )
        .await;
    browser.wait_for_test_id("case-list").await;
    browser.wait_synced().await;
    assert_eq!(
        browser.attr("sync-uploads", "data-waiting").await,
        "0",
        "the photo was stored and uploaded"
    );
    browser.close().await;
}

/// When the server refuses the app and serves no newer build, the app
/// reloads once (the page might have been older than its worker's build)
/// and, refused again, says so and keeps the page, instead of reloading
/// the same build in a loop.
#[tokio::test(flavor = "multi_thread")]
async fn an_app_refused_without_a_newer_build_says_so_instead_of_reloading() {
    let server = Server::start();
    server.seed();
    let browser = installed(&server).await;
    browser.refuse_this_build().await;
    browser.click("sync-now").await;
    browser
        .wait_until(
            "return window.__old === undefined;",
            "the page reloaded once",
        )
        .await;
    browser.wait_for_test_id("case-list").await;
    browser.wait_synced().await;

    browser.refuse_this_build().await;
    browser.click("sync-now").await;
    browser.wait_for_test_id("update-unavailable").await;
    assert_eq!(
        browser.eval("return window.__old === true;").await,
        serde_json::json!(true),
        "the page was not reloaded"
    );
    browser.close().await;
}

/// A release that keeps the op schema is refused by no server: a page
/// left open asks its worker for a newer build after a sync, once an
/// hour, says when one is ready, and loads it with a tap, or by itself
/// when the tablet locks unused; its records are there.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_left_open_finds_a_newer_build_and_loads_it() {
    let dist = tempfile::tempdir().expect("a directory for the built app");
    copy_dir(&e2e::dist_dir(), dist.path());
    let server = Server::start_serving(dist.path());
    server.seed();
    let browser = installed(&server).await;
    let reg_no = browser.register_complaint("郑十", "电梯按钮失灵").await;
    browser.wait_synced().await;
    let builds = |n: usize| {
        format!("return document.querySelectorAll('meta[name=\"build\"]').length === {n};")
    };

    upgrade(dist.path());
    // An hour on, by the page's clock, a sync has the worker look.
    let hours_on = |hours: u32| {
        format!(
            "const real = Date.now; Date.now = () => real.call(Date) + {hours} * 3600 * 1000; return true;"
        )
    };
    browser.eval(&hours_on(2)).await;
    browser.sync_now().await;
    browser.wait_for_test_id("update-ready").await;
    browser.click("update-now").await;
    browser
        .wait_until(&builds(1), "the page came back as the newer build")
        .await;
    browser.wait_for_test_id("case-list").await;
    assert!(browser.text("case-list").await.contains(&reg_no));

    // Once more: this time nobody taps, and the tablet locks unused.
    upgrade(dist.path());
    browser.eval(&hours_on(2)).await;
    browser.sync_now().await;
    browser.wait_for_test_id("update-ready").await;
    browser.eval(&e2e::idle_for(60)).await;
    browser
        .wait_until(&builds(2), "the locked tablet loaded the newer build")
        .await;
    browser.wait_for_test_id("idle-lock").await;
    browser.fill("unlock-password", e2e::PASSWORD).await;
    browser.click("unlock-submit").await;
    browser.wait_text("case-list", &reg_no).await;
    browser.close().await;
}
