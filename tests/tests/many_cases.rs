//! A property with thousands of cases on one tablet: they all arrive by
//! sync, the list counts them all, renders them a page at a time, and
//! search finds one. The time from login to the full list is printed (not
//! asserted: timings on a shared 2-core machine are not a pass/fail line).

use e2e::{Browser, Server, bulk};
use std::time::Instant;

/// How many cases; `MANY_CASES` changes it.
fn cases() -> usize {
    std::env::var("MANY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000)
}

#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_cases_sync_list_page_and_search() {
    let n = cases();
    let server = Server::start();
    server.seed();
    bulk::push_cases(&server, n, 0);

    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    let started = Instant::now();
    browser.login("manager1").await;
    browser.wait_text("case-count", &format!("共 {n} 件")).await;
    println!(
        "{n} cases: login to full list in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // One page of rows, not thousands of DOM nodes.
    browser.wait_count("case-row", 100).await;
    browser.click("more").await;
    browser.wait_count("case-row", 200).await;

    browser.fill("filter-search", "第1234号").await;
    browser.wait_count("case-row", 1).await;
    browser.fill("filter-search", "").await;
    browser.wait_text("case-count", &format!("共 {n} 件")).await;
    // Typed in full width, as a Chinese input method may: the same case.
    browser.fill("filter-search", "第１２３４号").await;
    browser.wait_text("case-count", "共 1 件").await;
    browser.wait_count("case-row", 1).await;
    browser.fill("filter-search", "").await;
    browser.wait_text("case-count", &format!("共 {n} 件")).await;
    // A word an input method composed, then a Backspace at once: the
    // composition's pause, still running, does not bring the word back.
    browser
        .eval(
            "const box = document.querySelector('[data-testid=filter-search]');
             box.value = '第1234号';
             box.dispatchEvent(new InputEvent('input', {bubbles: true, isComposing: true}));
             box.value = '第1234';
             box.dispatchEvent(new InputEvent('input', {bubbles: true, isComposing: false}));
             return true;",
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(browser.value("filter-search").await, "第1234");
    browser.fill("filter-search", "").await;
    browser.choose("filter-kind", "complaint").await;
    browser
        .wait_text("case-count", &format!("共 {} 件", n.div_ceil(3)))
        .await;
    browser.screenshot("app-list-many").await;
    browser.close().await;
}
