//! The app at a tablet's name rather than at 127.0.0.1, where only HTTPS
//! makes a secure context: over HTTPS (a certificate from `server tls
//! init`) the service worker takes over and the app works through a
//! server outage; over plain HTTP the app says that offline use needs
//! HTTPS instead of failing later.
//!
//! Chromium maps `tablet.test` to 127.0.0.1 and trusts the server's key by
//! its hash (`Server::chromium_args`): nothing on the machine changes.

use e2e::{Browser, Server};
use serde_json::{Value, json};

/// The name the tablet uses for the server.
const HOST: &str = "tablet.test";

/// The registration numbers of the cases on the server, as manager1 sees
/// them.
fn server_reg_nos(server: &Server) -> Vec<Value> {
    let token = server.token("manager1");
    let (status, page) = server.get_json(&token, "/api/v1/cases?per_page=100");
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .map(|items| items.iter().map(|c| c["reg_no"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn over_https_the_service_worker_keeps_the_app_working_through_an_outage() {
    let mut server = Server::start_tls(HOST);
    server.seed();
    let url = server.url_at(HOST, "/");
    assert!(url.starts_with("https://tablet.test:"), "{url}");
    let profile = tempfile::tempdir().expect("a browser profile");
    let browser = Browser::start_in_with(profile.path(), &server.chromium_args(HOST)).await;
    browser.open(&url).await;
    assert_eq!(
        browser.eval("return window.isSecureContext;").await,
        json!(true)
    );
    assert!(
        browser.find("https-banner").await.is_none(),
        "the HTTPS banner shows over HTTPS"
    );
    browser.login("staff1").await;
    browser
        .wait_attr("connection", "data-state", "online")
        .await;
    let first = browser.register_complaint("王五", "电梯按钮失灵").await;
    browser.wait_synced().await;

    // Once the worker is active, a reload is controlled by it from the
    // start.
    browser.wait_service_worker().await;
    browser.open(&url).await;
    assert!(
        browser.service_worker_controls().await,
        "no service worker controls the page after a reload"
    );

    // The server dies: a reload still shows the app and its case, says
    // 离线, and still knows when it last synced.
    server.kill();
    browser.open(&url).await;
    browser.wait_count("case-row", 1).await;
    browser
        .wait_attr("connection", "data-state", "offline")
        .await;
    let status = browser.text("sync-pending").await;
    assert!(
        status.contains("上次同步") && !status.contains("尚未同步"),
        "after an offline reload the header says {status:?}"
    );
    browser.screenshot("https-offline").await;

    // A case registered offline reaches the server once it is back.
    let second = browser.register_complaint("赵六", "小区路灯不亮").await;
    browser.wait_attr("sync-pending", "data-pending", "1").await;
    server.restart();
    browser.sync_now().await;
    browser
        .wait_attr("connection", "data-state", "online")
        .await;
    let numbers = server_reg_nos(&server);
    assert_eq!(numbers.len(), 2, "{numbers:?}");
    assert!(
        numbers.contains(&json!(first)) && numbers.contains(&json!(second)),
        "{numbers:?}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_plain_http_at_a_tablet_name_the_app_says_offline_use_needs_https() {
    let server = Server::start();
    let browser = Browser::start_with(&server.chromium_args(HOST)).await;
    browser.open(&server.url_at(HOST, "/")).await;
    assert_eq!(
        browser.eval("return window.isSecureContext;").await,
        json!(false)
    );
    browser.wait_for_test_id("https-banner").await;
    let text = browser.text("https-banner").await;
    assert!(
        text.contains("HTTPS") && text.contains("https://") && text.contains("系统管理员"),
        "the banner says {text:?}"
    );
    assert!(
        browser
            .text("https-banner-address")
            .await
            .starts_with("http://tablet.test:"),
        "the banner names the address"
    );
    // Online the app still works: the login screen, and the server answers.
    browser.wait_for_test_id("login-form").await;
    browser
        .wait_attr("connection", "data-state", "online")
        .await;
    browser.screenshot("https-banner").await;

    browser.click("lang-en").await;
    browser
        .wait_text("https-banner", "Offline use is not possible")
        .await;
    browser.wait_text("https-banner", "https://").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_https_the_office_page_opens_on_the_same_session_and_again_offline() {
    let mut server = Server::start_tls(HOST);
    server.seed();
    let profile = tempfile::tempdir().expect("a browser profile");
    let browser = Browser::start_in_with(profile.path(), &server.chromium_args(HOST)).await;
    browser.open(&server.url_at(HOST, "/")).await;
    browser.login("manager1").await;
    browser.wait_service_worker().await;

    // 统计 loads the office bundle at /office/, logged in as before.
    browser.click("nav-dashboard").await;
    browser.wait_for_test_id("dashboard").await;
    assert_eq!(
        browser.eval("return location.pathname;").await,
        json!("/office/")
    );
    // The worker kept the office page once fetched: with the server down
    // it opens again, on the stored session.
    server.kill();
    browser.open(&server.url_at(HOST, "/office/")).await;
    browser.wait_for_test_id("case-list").await;
    browser
        .wait_attr("connection", "data-state", "offline")
        .await;
    let fetched = browser
        .eval("return performance.getEntriesByType('resource').map((e) => e.name).join(' ');")
        .await;
    assert!(
        fetched.as_str().is_some_and(|f| f.contains("/office_bg-")),
        "the office bundle runs offline: {fetched}"
    );
    browser.close().await;
}
