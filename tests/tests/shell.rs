//! The app in a real headless Chromium: the wasm loads and renders the
//! shell, and the header says the server answers.

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
