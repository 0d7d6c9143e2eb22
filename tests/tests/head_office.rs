//! Head office in a real browser: the dashboard for the quality role and a
//! property manager's narrower one, the exports with progress, and the
//! printable record form on A4.

use e2e::{Browser, Server};

/// Registers a complaint in 和园 through the app and returns its number.
async fn register(browser: &Browser, content: &str) -> String {
    browser.click("nav-new").await;
    browser.choose_label("field-property", "和园").await;
    browser.choose_label("field-building", "1栋").await;
    browser.choose_label("field-unit", "102").await;
    browser.fill("field-name", "钱八").await;
    browser.fill("field-phone", "13912345678").await;
    browser.choose("field-channel", "phone").await;
    browser.choose("field-category", "cleaning").await;
    browser.fill("field-content", content).await;
    browser.click("save-case").await;
    browser.text("reg-no").await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_every_property_to_quality_and_one_to_its_manager() {
    let server = Server::start();
    server.seed();
    let manager = Browser::start().await;
    manager.open(&server.url("/")).await;
    manager.login("manager1").await;
    register(&manager, "楼道垃圾未及时清理").await;
    manager.click("new-another").await;
    register(&manager, "电梯间地面湿滑").await;
    manager.wait_synced().await;

    // The company's own targets, which the dashboard states.
    let admin = server.token("admin1");
    let (_, mut settings) = server.get_json(&admin, "/api/v1/admin/settings");
    settings["follow_up_target_percent"] = 95.into();
    settings["spot_check_percent"] = 30.into();
    server.save_settings(&admin, &settings);

    let quality = Browser::start().await;
    quality.open(&server.url("/")).await;
    quality.login("quality1").await;
    // Quality works no case: it is offered no intake the server would
    // refuse.
    assert!(quality.find("nav-new").await.is_none());
    quality.click("nav-dashboard").await;
    quality.wait_text("kpi-total", "2").await;
    quality.wait_text("kpi-follow-up", "目标 95%").await;
    quality.wait_text("spot-checks", "30% 随机样本").await;
    // Every property, including the one without cases.
    quality.wait_count("property-row", 2).await;
    let kinds = quality.find_all("bar").await;
    assert!(!kinds.is_empty(), "the charts have bars");
    assert!(quality.find("chart-month").await.is_some());
    // Two cases registered and none followed up: nothing is due yet, so
    // the follow-up target is not marked missed.
    assert_eq!(quality.attr("kpi-follow-up", "data-missed").await, "false");
    quality.screenshot("dashboard").await;

    // A draw tapped twice draws once: before, the second tap was told the
    // quarter was drawn already, over the first's result. Tapped while the
    // figures are of complaints, which list no draw: the dashboard moves
    // to repairs (before, the draw was listed nowhere).
    quality.choose("stats-kind", "complaint").await;
    let tapped = quality
        .eval(
            "const draw = document.querySelector('[data-testid=\"spot-draw\"]');
             draw.click();
             draw.click();
             return true;",
        )
        .await;
    assert_eq!(tapped, serde_json::json!(true));
    quality.wait_count("spot-draw-result", 1).await;
    quality.wait_attr("spot-draw", "disabled", "").await;
    assert_eq!(quality.text("spot-error").await, "");
    // The quarter drawn (the last one ended) is not this month: the
    // dashboard moves to it, whose figures count the draw.
    assert_eq!(quality.value("stats-period").await, "quarter");
    assert_eq!(quality.value("stats-kind").await, "repair");
    // Another screen and back: the dashboard keeps what was chosen.
    quality.click("nav-settings").await;
    quality.click("nav-dashboard").await;
    quality.wait_count("spot-draw-result", 1).await;
    assert_eq!(quality.value("stats-period").await, "quarter");
    assert_eq!(quality.value("stats-kind").await, "repair");
    quality.choose("stats-kind", "").await;
    // The exports wait for the figures of the filters chosen.
    quality
        .wait_attr("stats-figures", "data-current", "true")
        .await;
    quality.wait_attr("export-cases-xlsx", "disabled", "").await;

    quality.click("export-cases-xlsx").await;
    quality.wait_text("export-progress", "cases.xlsx").await;
    quality.click("export-stats-csv").await;
    quality.wait_text("export-progress", "stats.csv").await;
    // A period the server refuses gets no figures: the last period's stay
    // on screen, and the case list waits instead of going out for the
    // period nobody chose now.
    quality.choose("stats-period", "custom").await;
    quality.wait_for_test_id("stats-to").await;
    quality
        .eval(
            "const to = document.querySelector('[data-testid=stats-to]');
             to.value = '2026-01-01';
             to.dispatchEvent(new Event('change', {bubbles: true}));
             return true;",
        )
        .await;
    quality.wait_text("stats-error", "结束").await;
    quality
        .wait_attr("export-cases-csv", "disabled", "true")
        .await;
    quality
        .wait_attr("export-stats-csv", "disabled", "true")
        .await;
    quality.wait_text("export-cases-waiting", "统计结果").await;
    // The figures on screen say which period they are, and are dimmed
    // while they are not the one chosen.
    quality
        .wait_attr("stats-figures", "data-current", "false")
        .await;
    assert!(
        quality
            .text("stats-period-shown")
            .await
            .contains("统计期间")
    );
    assert!(quality.find("stats-retry").await.is_some());
    quality.choose("stats-period", "month").await;
    quality.wait_attr("export-cases-csv", "disabled", "").await;
    quality
        .wait_attr("stats-figures", "data-current", "true")
        .await;
    assert_eq!(quality.text("export-cases-waiting").await, "");
    // The spot-check list follows the property chosen, as its figures do.
    let drawn = quality.text("spot-draw-result").await;
    let other = if drawn.contains("和园") {
        "景苑"
    } else {
        "和园"
    };
    quality.choose_label("stats-property", other).await;
    quality.wait_count("spot-draw-result", 0).await;
    quality.choose("stats-property", "").await;
    quality.wait_count("spot-draw-result", 1).await;
    // And the kind and the period: the figures of complaints count no
    // spot-check, nor do those of this month.
    quality.choose("stats-kind", "complaint").await;
    quality.wait_count("spot-draw-result", 0).await;
    quality.choose("stats-kind", "").await;
    quality.wait_count("spot-draw-result", 1).await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string();
    quality
        .eval(&format!(
            "const from = document.querySelector('[data-testid=stats-from]');
             from.value = '{today}';
             from.dispatchEvent(new Event('change', {{bubbles: true}}));
             return true;"
        ))
        .await;
    quality.wait_count("spot-draw-result", 0).await;

    // Switching to English asks the server for English labels.
    quality.click("nav-settings").await;
    quality.click("lang-en").await;
    quality.click("nav-dashboard").await;
    quality.wait_text("dashboard", "On time").await;
    quality.close().await;

    // The manager sees their own property only.
    manager.click("nav-dashboard").await;
    manager.wait_text("kpi-total", "2").await;
    manager.wait_count("property-row", 1).await;
    assert!(manager.text("properties-table").await.contains("和园"));
    assert!(!manager.text("properties-table").await.contains("景苑"));
    manager.close().await;

    // Staff have no dashboard, not even by the office page's URL.
    let staff = Browser::start().await;
    staff.open(&server.url("/")).await;
    staff.login("staff2").await;
    assert!(staff.find("nav-dashboard").await.is_none());
    staff.open(&server.url("/office/#dashboard")).await;
    staff.wait_for_test_id("not-allowed").await;
    assert!(staff.find("dashboard").await.is_none());
    // From another page: a change of fragment alone loads nothing.
    staff.open(&server.url("/")).await;
    staff.wait_for_test_id("case-list").await;
    staff.open(&server.url("/office/#admin/users")).await;
    staff.wait_for_test_id("not-allowed").await;
    assert!(staff.find("admin").await.is_none());
    staff.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_prints_as_the_record_form_on_one_a4_page() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    // Written in lines, as a resident's points are: printed in lines.
    let content = "绿化带杂草丛生，影响环境\n1、请尽快修剪";
    let reg_no = register(&browser, content).await;
    browser.click("open-case").await;
    browser.click("open-print").await;
    browser.wait_text("print-reg-no", &reg_no).await;
    let printed = browser.text("print-content").await;
    assert!(printed.contains(content), "{printed:?}");
    let form = browser.text("record-form").await;
    for heading in [
        "客户投诉记录表",
        "投诉人",
        "联系电话",
        "处理结果",
        "回访",
        "受理人签字",
    ] {
        assert!(form.contains(heading), "the form has {heading}: {form}");
    }
    browser.screenshot("print").await;

    assert_eq!(
        browser.print_pages("record-form").await,
        1,
        "the record form fits one A4 page (target/screenshots/record-form.pdf)"
    );
    browser.close().await;
}

/// The URLs the page loaded and the ones its service worker keeps.
async fn fetched_and_cached(browser: &Browser) -> (Vec<String>, Vec<String>) {
    let strings = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let fetched = browser
        .eval("return performance.getEntriesByType('resource').map((e) => e.name);")
        .await;
    // WebDriver waits for a promise the script returns.
    let cached = browser
        .eval(
            "return caches.keys()
               .then((keys) => Promise.all(keys.map((k) => caches.open(k).then((c) => c.keys()))))
               .then((lists) => lists.flat().map((r) => r.url));",
        )
        .await;
    (strings(fetched), strings(cached))
}

/// A manager logged in on a tablet whose service worker holds the field
/// app (the profile is kept while the browser runs).
async fn manager_with_worker() -> (Server, tempfile::TempDir, Browser) {
    let server = Server::start();
    server.seed();
    let profile = tempfile::tempdir().expect("a browser profile");
    let browser = Browser::start_in(profile.path()).await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    browser.wait_service_worker().await;
    (server, profile, browser)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_head_office_screens_are_a_page_of_their_own_that_field_tablets_never_download() {
    let (mut server, _profile, browser) = manager_with_worker().await;
    let (fetched, cached) = fetched_and_cached(&browser).await;
    assert!(
        cached.iter().any(|u| u.contains("/app_bg-")),
        "the worker keeps the field bundle: {cached:?}"
    );
    let office = |urls: &[String]| urls.iter().any(|u| u.contains("office"));
    assert!(
        !office(&fetched) && !office(&cached),
        "the field page loads none of the office bundle: {fetched:?} {cached:?}"
    );

    // The dashboard opens on the office page, on the same session.
    browser.click("nav-dashboard").await;
    browser.wait_for_test_id("kpi-total").await;
    assert_eq!(
        browser
            .eval("return location.pathname + location.hash;")
            .await,
        serde_json::json!("/office/"),
        "the office page, its fragment read and removed"
    );
    let (fetched, cached) = fetched_and_cached(&browser).await;
    assert!(
        fetched.iter().any(|u| u.contains("/office_bg-")),
        "{fetched:?}"
    );
    for kept in ["/office/", "/office_bg-"] {
        assert!(
            cached.iter().any(|u| u.contains(kept)),
            "the worker keeps {kept} once fetched: {cached:?}"
        );
    }
    // A field screen works on the office page too.
    browser.click("nav-list").await;
    browser.wait_for_test_id("case-list").await;

    // With the server down, the office page opens again from the worker.
    server.kill();
    browser.open(&server.url("/office/")).await;
    browser.wait_for_test_id("case-list").await;
    let (fetched, _) = fetched_and_cached(&browser).await;
    assert!(
        fetched.iter().any(|u| u.contains("/office_bg-")),
        "the office bundle runs: {fetched:?}"
    );
    browser.click("nav-dashboard").await;
    browser.wait_for_test_id("dashboard").await;
    browser.close().await;
}

/// Offline, a tablet that never opened the office page online cannot open
/// it: it says so, instead of "opening…" for ever, and opens it when asked
/// again online.
#[tokio::test(flavor = "multi_thread")]
async fn the_office_page_never_opened_online_says_so_offline() {
    let (mut server, _profile, browser) = manager_with_worker().await;

    server.kill();
    // The worker has no office page: it gives the field page there.
    browser.click("nav-dashboard").await;
    browser.wait_for_test_id("case-list").await;
    browser.click("nav-dashboard").await;
    browser.wait_text("office-unavailable", "联网").await;

    server.restart();
    browser.click("office-retry").await;
    browser.wait_for_test_id("kpi-total").await;
    browser.close().await;
}
