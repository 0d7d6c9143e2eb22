//! The app in a real headless Chromium: the wasm loads and renders the shell.

use e2e::{Browser, Server};

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
    let connection = browser.wait_for_test_id("connection").await;
    assert_eq!(connection.text().await.expect("connection text"), "在线");

    let png = browser.screenshot("shell").await;
    println!("screenshot: {}", png.display());
    browser.close().await;
}
