//! The administration screen in a real headless Chromium against the real
//! server: an admin adds a user through the form (who can then log in),
//! resets their password (which they must then change), sees the devices,
//! previews a holiday calendar that is refused and one read from a file,
//! applies it, and finds both changes in the audit log; the quarantine
//! tab shows a page at a time.

use e2e::{Browser, PASSWORD, Server};
use fantoccini::Locator;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A 2027 schedule that passes: four rest days, one make-up Saturday.
const GOOD_2027: &str = r#"{
  "year": 2027,
  "rest_days": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-10-01"],
  "workdays": ["2027-10-09"],
  "source": "测试用节假日安排"
}"#;

/// A 2027 schedule the server refuses: a make-up "workday" on a Monday.
const BAD_2027: &str =
    r#"{"year": 2027, "rest_days": ["2027-01-01"], "workdays": ["2027-10-11"], "source": "错误"}"#;

/// Logs in over HTTP as `login` with `password`, as a new device (the
/// server issues its id); returns the answer's status and body.
fn http_login(server: &Server, login: &str, password: &str) -> (u16, Value) {
    let mut resp = ureq::post(&server.url("/api/v1/auth/login"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(json!({ "login": login, "password": password, "device_name": "admin e2e" }))
        .expect("log in over HTTP");
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_json().unwrap_or(Value::Null);
    (status, body)
}

/// A browser with `admin1` logged in on `server`, on the admin screen's
/// `tab`.
async fn admin_on(server: &Server, tab: &str) -> Browser {
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("admin1").await;
    browser.click("nav-admin").await;
    browser.click(&format!("admin-tab-{tab}")).await;
    browser
}

/// The first element matching `css`, waiting for it.
async fn wait_css(browser: &Browser, css: &str) -> fantoccini::elements::Element {
    browser
        .client
        .wait()
        .at_most(e2e::TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

/// Clicks the first element matching `css`, scrolled to the middle of the
/// window first (as the harness's `click` does), so the sticky header is
/// never on top of it.
async fn click_css(browser: &Browser, css: &str) {
    let el = wait_css(browser, css).await;
    let arg = serde_json::to_value(&el).expect("an element reference");
    let _ = browser
        .client
        .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg])
        .await;
    el.click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Waits until the value of the input with `test_id` contains `want`.
async fn wait_value(browser: &Browser, test_id: &str, want: &str) {
    let deadline = Instant::now() + e2e::TIMEOUT;
    loop {
        let got = browser.value(test_id).await;
        if got.contains(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "[data-testid={test_id}] holds {got:?}, wanted {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_a_user_and_imports_a_holiday_calendar() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("admin1").await;

    browser.click("nav-admin").await;
    browser.wait_for_test_id("admin").await;
    // The app ships 2025 and 2026: from December 2026 it asks for the
    // year a working-day clock will soon end in.
    let needed = browser.attr("calendar-needed", "data-year").await;
    assert!(needed.parse::<i32>().is_ok_and(|y| y >= 2027), "{needed}");
    browser.click("admin-tab-users").await;
    // The six seeded users, the admin among them.
    browser.wait_count("user-row", 6).await;

    // A refused user: the server's reason shows beside the field its code
    // names, in Chinese (a login that exists: the server's `conflict`).
    browser.fill("new-user-login", "staff1").await;
    browser.fill("new-user-name", "孙客服").await;
    browser.choose("new-user-role", "staff").await;
    browser.fill("new-user-password", "long-enough-1").await;
    browser.choose_label("new-user-property", "和园").await;
    browser.click("new-user-submit").await;
    browser
        .wait_text("new-user-login-error", "该账号已被使用")
        .await;
    assert_eq!(
        browser.text("admin-error").await,
        "",
        "said beside the field"
    );
    browser.wait_count("user-row", 6).await;

    // A password too short is named beside its field before anything is
    // sent.
    browser.fill("new-user-login", "staff3").await;
    browser.fill("new-user-password", "short").await;
    browser.click("new-user-submit").await;
    browser.wait_text("new-user-password-error", "8").await;
    assert_eq!(browser.text("new-user-login-error").await, "");
    browser.wait_count("user-row", 6).await;

    browser.fill("new-user-password", "long-enough-1").await;
    browser.click("new-user-submit").await;
    browser.wait_count("user-row", 7).await;
    browser.wait_text("new-user-status", "staff3").await;
    let row = wait_css(
        &browser,
        "[data-testid=\"user-row\"][data-login=\"staff3\"]",
    )
    .await;
    let text = row.text().await.unwrap_or_default();
    assert!(text.contains("孙客服"), "row {text:?}");
    assert!(text.contains("物管员"), "row {text:?}");
    assert!(text.contains("HY"), "row {text:?}");

    // The new user can log in, with the password the form set.
    let (status, body) = http_login(&server, "staff3", "long-enough-1");
    assert_eq!(status, 200, "login answer {body}");
    assert_eq!(body["user"]["login"], "staff3");
    assert_eq!(body["user"]["role"], "staff");

    // The admin resets staff3's password: the temporary one works, and
    // staff3 must choose their own at the next login.
    let in_row = |test_id: &str| {
        format!("[data-testid=\"user-row\"][data-login=\"staff3\"] [data-testid=\"{test_id}\"]")
    };
    click_css(&browser, &in_row("user-reset-password")).await;
    wait_css(&browser, &in_row("user-reset-input"))
        .await
        .send_keys("temporary-2")
        .await
        .expect("type the temporary password");
    click_css(&browser, &in_row("user-reset-confirm")).await;
    wait_css(&browser, &in_row("user-reset-done")).await;
    let (status, body) = http_login(&server, "staff3", "temporary-2");
    assert_eq!(status, 200, "login answer {body}");
    assert_eq!(body["must_change_password"], json!(true), "{body}");

    // A misspelt name and a department: the admin corrects the user in
    // the same form, without the login or the password.
    click_css(&browser, &in_row("user-edit")).await;
    browser.wait_text("new-user-form", "修改用户 staff3").await;
    assert!(browser.find("new-user-login").await.is_none());
    assert!(browser.find("new-user-password").await.is_none());
    browser.fill("new-user-name", "孙敏").await;
    browser.fill("new-user-department", "工程部").await;
    browser.click("new-user-submit").await;
    browser
        .wait_text("new-user-status", "已修改用户 staff3（孙敏）")
        .await;
    // The list reloads after the save.
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    loop {
        let row = wait_css(
            &browser,
            "[data-testid=\"user-row\"][data-login=\"staff3\"]",
        )
        .await;
        let text = row.text().await.unwrap_or_default();
        if text.contains("孙敏") && text.contains("工程部") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "row {text:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The form is for a new user again, and offers the department now in
    // use, so that the next user of it is spelt the same.
    browser.wait_for_test_id("new-user-login").await;
    let offered = browser
        .eval(
            "return Array.from(document.querySelectorAll('#user-departments option'))\
             .map(o => o.value)",
        )
        .await;
    assert!(
        offered
            .as_array()
            .is_some_and(|o| o.contains(&json!("工程部"))),
        "{offered}"
    );
    let (status, body) = http_login(&server, "staff3", "temporary-2");
    assert_eq!(status, 200, "login answer {body}");
    assert_eq!(body["user"]["display_name"], json!("孙敏"), "{body}");

    // A user half typed is not dropped by 修改 on a row without asking.
    browser.fill("new-user-name", "半填").await;
    click_css(&browser, &in_row("user-edit")).await;
    wait_css(&browser, &in_row("user-edit-ask-cancel")).await;
    click_css(&browser, &in_row("user-edit-ask-cancel")).await;
    assert_eq!(browser.value("new-user-name").await, "半填");
    click_css(&browser, &in_row("user-edit")).await;
    click_css(&browser, &in_row("user-edit-ask-confirm")).await;
    browser.wait_text("new-user-form", "修改用户 staff3").await;
    assert_eq!(browser.value("new-user-name").await, "孙敏");
    browser.click("user-edit-cancel").await;

    // Correcting an administrator leaves the next new user the role chosen
    // for new users, not the administrator's.
    click_css(
        &browser,
        "[data-testid=\"user-row\"][data-login=\"admin1\"] [data-testid=\"user-edit\"]",
    )
    .await;
    browser.wait_text("new-user-form", "修改用户 admin1").await;
    wait_value(&browser, "new-user-role", "admin").await;
    browser.click("user-edit-cancel").await;
    wait_value(&browser, "new-user-role", "staff").await;

    // Disabling ends the user's sessions on every tablet: asked first.
    click_css(&browser, &in_row("user-toggle")).await;
    click_css(&browser, &in_row("user-toggle-cancel")).await;
    wait_css(
        &browser,
        "[data-testid=\"user-row\"][data-login=\"staff3\"][data-active=\"true\"]",
    )
    .await;
    // A temporary password half typed in another row outlives the
    // disable, which draws the table again.
    let in_staff1 = |test_id: &str| {
        format!("[data-testid=\"user-row\"][data-login=\"staff1\"] [data-testid=\"{test_id}\"]")
    };
    click_css(&browser, &in_staff1("user-reset-password")).await;
    wait_css(&browser, &in_staff1("user-reset-input"))
        .await
        .send_keys("half-typed-9")
        .await
        .expect("type a temporary password");
    click_css(&browser, &in_row("user-toggle")).await;
    click_css(&browser, &in_row("user-toggle-confirm")).await;
    wait_css(
        &browser,
        "[data-testid=\"user-row\"][data-login=\"staff3\"][data-active=\"false\"]",
    )
    .await;
    let (status, _) = http_login(&server, "staff3", "temporary-2");
    assert_ne!(status, 200, "disabled");
    let kept = wait_css(&browser, &in_staff1("user-reset-input"))
        .await
        .prop("value")
        .await
        .ok()
        .flatten();
    assert_eq!(kept.as_deref(), Some("half-typed-9"));
    // Put away, it is not saved: the next tab asks nothing.
    click_css(&browser, &in_staff1("user-reset-password")).await;

    browser.click("admin-tab-devices").await;
    browser.wait_for_test_id("device-row").await;
    // The admin's own tablet is marked, and offers no revoke.
    wait_css(&browser, "[data-testid=\"device-this\"]").await;
    let mut own = Vec::new();
    for row in browser.find_all("device-row").await {
        if row
            .find(fantoccini::Locator::Css("[data-testid=\"device-this\"]"))
            .await
            .is_ok()
        {
            let revoke = row
                .find(fantoccini::Locator::Css("[data-testid=\"device-revoke\"]"))
                .await;
            own.push((row.text().await.unwrap_or_default(), revoke.is_ok()));
        }
    }
    assert_eq!(own.len(), 1, "{own:?}");
    assert!(own[0].0.contains("测试平板 1"), "{own:?}");
    assert!(!own[0].1, "no revoke on the admin's own tablet: {own:?}");

    // A schedule the server would refuse shows the problem and cannot be
    // applied.
    browser.click("admin-tab-calendar").await;
    browser.fill("calendar-input", BAD_2027).await;
    browser.click("calendar-preview").await;
    browser.wait_for_test_id("calendar-problem").await;
    assert_eq!(browser.attr("calendar-apply", "disabled").await, "true");

    // A good schedule, read from a file.
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("2027.json");
    std::fs::write(&file, GOOD_2027).expect("write the calendar file");
    browser
        .wait_for_test_id("calendar-file")
        .await
        .send_keys(&file.to_string_lossy())
        .await
        .expect("choose the calendar file");
    wait_value(&browser, "calendar-input", "测试用节假日安排").await;
    browser.click("calendar-preview").await;
    browser.wait_text("calendar-year", "2027").await;
    browser.wait_count("calendar-rest-day", 4).await;
    browser.wait_count("calendar-workday", 1).await;
    browser
        .wait_attr("calendar-replaces", "data-replaces", "false")
        .await;
    assert!(browser.find("calendar-problem").await.is_none());
    browser
        .wait_text("calendar-result", "2027-10-09 周六")
        .await;
    browser.screenshot("admin").await;

    browser.click("calendar-apply").await;
    browser.wait_text("calendar-status", "2027").await;
    // Once the tablet has the year, it is no longer asked for (from
    // December 2027 the next one is: any year but 2027 will do).
    assert_eq!(
        needed, "2027",
        "the file loaded here is 2027's; give the test the year the tablet asks for"
    );
    browser.sync_now().await;
    browser
        .wait_until(
            "const asked = document.querySelector('[data-testid=\"calendar-needed\"]');
             return !asked || asked.dataset.year !== '2027';",
            "the tablet no longer asks for 2027",
        )
        .await;

    // Both changes are in the audit log, with who made them.
    browser.click("admin-tab-audit").await;
    let created = wait_css(
        &browser,
        "[data-testid=\"audit-row\"][data-action=\"user.create\"]",
    )
    .await;
    let text = created.text().await.unwrap_or_default();
    assert!(text.contains("admin1"), "audit row {text:?}");
    wait_css(
        &browser,
        "[data-testid=\"audit-row\"][data-action=\"calendar.put\"]",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_case_before_its_retention_period_is_refused() {
    let server = Server::start();
    server.seed();
    let manager = Browser::start().await;
    manager.open(&server.url("/")).await;
    manager.login("manager1").await;
    manager.click("nav-new").await;
    manager.choose_label("field-property", "和园").await;
    manager.fill("field-name", "吴九").await;
    manager.fill("field-phone", "13700001111").await;
    manager.choose("field-channel", "phone").await;
    manager.choose("field-category", "parking").await;
    manager.fill("field-content", "车位被占用").await;
    // Where it is must be chosen: a form left untouched does not file a
    // unit's case under the public area.
    manager.click("save-case").await;
    manager.wait_text("error-location", "必填").await;
    // Said beside the building, which takes the cursor: the unit select
    // is disabled until a building is chosen.
    manager
        .wait_until(
            "return document.activeElement?.dataset?.testid === 'field-building';",
            "the building select has the focus",
        )
        .await;
    manager.choose_label("field-building", "公共区域").await;
    manager.click("save-case").await;
    manager.click("open-case").await;
    manager.click("action-withdraw").await;
    manager.fill("in-reason", "业主已自行协商解决").await;
    manager.click("submit-withdraw").await;
    manager
        .wait_attr("detail-state", "data-state", "withdrawn")
        .await;
    // Only an admin is offered the deletion.
    assert!(manager.find("retention").await.is_none());
    manager.wait_synced().await;
    manager.close().await;

    let admin = Browser::start().await;
    admin.open(&server.url("/")).await;
    admin.login("admin1").await;
    admin.click("case-row").await;
    admin.click("retention-delete").await;
    admin.click("retention-confirm").await;
    admin.wait_text("retention-result", "未到保存期限").await;
    // The case is still on the server.
    let (status, body) = http_login(&server, "quality1", PASSWORD);
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().expect("a token");
    let mut resp = ureq::get(&server.url("/api/v1/cases"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("list the cases");
    let page: Value = resp.body_mut().read_json().expect("a case page");
    assert_eq!(page["total"], json!(1), "{page}");
    admin.close().await;
}

/// Puts `body` at `path` as the admin with `token`; answers the status.
fn put_as_admin(server: &Server, token: &str, path: &str, body: &Value) -> u16 {
    server
        .agent()
        .put(server.url(path))
        .header("Authorization", &format!("Bearer {token}"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(body)
        .expect("the request is answered")
        .status()
        .as_u16()
}

/// A clock whose due day falls in a year the holiday calendar lacks is
/// said on the case, not left out in silence, and once the admin loads the
/// year it appears on the tablet and in the server's stored case (which
/// the overdue list and statistics read) without anyone touching the case.
/// The solution clock is set to 25 working days, which from any day of
/// December 2026 ends in 2027: the built-in calendar's last year is 2026.
#[tokio::test(flavor = "multi_thread")]
async fn a_clock_in_a_year_not_loaded_is_said_until_the_year_is_loaded() {
    let server = Server::start();
    server.seed();
    let token = server.token("admin1");
    let (_, mut settings) = server.get_json(&token, "/api/v1/admin/settings");
    settings["deadlines"]["solution"] = json!({"working_days": 25});
    // The special-case limit, extensions included, may not be shorter.
    settings["deadlines"]["special_case_working_days"] = json!(25);
    assert_eq!(
        put_as_admin(&server, &token, "/api/v1/admin/settings", &settings),
        200
    );

    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint("王五", "电梯按钮失灵").await;
    browser.wait_synced().await;
    browser.click("open-case").await;
    let problem = browser.wait_for_test_id("clock-problem").await;
    assert_eq!(
        problem.attr("data-clock").await.ok().flatten().as_deref(),
        Some("solution")
    );
    let said = problem.text().await.unwrap_or_default();
    assert!(
        said.contains("无法计算截止时间：该年份的节假日安排尚未导入"),
        "{said}"
    );
    // Nor does it drop out of the first responder's inbox.
    browser.click("nav-inbox").await;
    let reason = wait_css(
        &browser,
        "[data-testid=\"inbox-reason\"][data-reason=\"clock_unknown\"]",
    )
    .await;
    let said = reason.text().await.unwrap_or_default();
    assert!(said.contains("答复处理方案"), "{said}");
    browser.click("inbox-open").await;

    let schedule: Value = serde_json::from_str(GOOD_2027).expect("a schedule");
    let (status, loaded) = server.post_json(Some(&token), "/api/v1/admin/calendar", &schedule);
    assert_eq!(status, 200, "{loaded}");
    browser.sync_now().await;
    browser.wait_count("clock-problem", 0).await;
    let clocks = browser.find_all("clock").await;
    let mut names = Vec::new();
    for clock in clocks {
        names.push(
            clock
                .attr("data-clock")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
        );
    }
    assert!(names.iter().any(|n| n == "solution"), "{names:?}");

    let staff = server.token("staff1");
    let (_, page) = server.get_json(&staff, "/api/v1/cases?per_page=100");
    let id = page["items"]
        .as_array()
        .and_then(|items| items.iter().find(|c| c["reg_no"] == json!(reg_no)))
        .and_then(|c| c["id"].as_str())
        .expect("the case is on the server")
        .to_string();
    let stored = || {
        let (_, case) = server.get_json(&staff, &format!("/api/v1/cases/{id}"));
        case["deadlines"]
            .as_array()
            .is_some_and(|d| d.iter().any(|c| c["clock"] == "solution"))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !stored() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stored(), "the server's case has its solution clock");
}

/// The year's holidays typed as the State Council's notice writes them,
/// weekdays in brackets and all: a line that is no date is said beside
/// its field, and the days read are previewed and applied as a file's.
#[tokio::test(flavor = "multi_thread")]
async fn a_holiday_schedule_is_typed_as_the_notice_writes_it() {
    let server = Server::start();
    server.seed();
    let browser = admin_on(&server, "calendar").await;
    browser.fill("notice-year", "2027").await;
    paste(
        &browser,
        "notice-rest",
        "1月1日（星期五）至3日（星期日）\n国庆节\n",
    )
    .await;
    paste(&browser, "notice-work", "10月9日（星期六）").await;
    browser.fill("notice-source", "测试通知").await;
    browser.click("notice-preview").await;
    browser.wait_text("notice-rest-error", "第 2 行").await;
    assert!(browser.find("calendar-result").await.is_none());

    paste(
        &browser,
        "notice-rest",
        "1月1日（星期五）至3日（星期日）\n10月1日（星期五）至7日（星期四）\n",
    )
    .await;
    browser.click("notice-preview").await;
    browser.wait_text("calendar-year", "2027").await;
    browser.wait_count("calendar-rest-day", 10).await;
    browser.wait_count("calendar-workday", 1).await;
    assert_eq!(browser.text("notice-rest-error").await, "");
    browser.click("calendar-apply").await;
    browser.wait_text("calendar-status", "2027").await;
    // Loaded: the server now replaces 2027 where it added it.
    let token = server.token("admin1");
    let schedule: Value = serde_json::from_str(GOOD_2027).expect("a schedule");
    let (_, preview) = server.post_json(Some(&token), "/api/v1/admin/calendar/preview", &schedule);
    assert_eq!(preview["replaces"], true, "{preview}");
}

/// A deadline of zero hours (every case overdue the moment it starts) is
/// refused beside its field, and nothing is saved until it is fixed.
#[tokio::test(flavor = "multi_thread")]
async fn a_deadline_out_of_range_is_refused_beside_its_field_and_a_severity_gets_its_own() {
    let server = Server::start();
    server.seed();
    let admin = Browser::start().await;
    admin.open(&server.url("/")).await;
    admin.login("admin1").await;
    admin.open_settings().await;
    admin.fill("setting-transfer", "0").await;
    admin.click("settings-save").await;
    admin
        .wait_text(
            "setting-transfer-error",
            "时限须为 1–720 小时或 1–30 个工作日",
        )
        .await;
    let token = server.token("admin1");
    let (_, settings) = server.get_json(&token, "/api/v1/admin/settings");
    assert_eq!(settings["deadlines"]["transfer"], json!({"hours": 1}));

    admin.fill("setting-transfer", "2").await;
    // A number larger than its field holds is told beside that field,
    // and a case's attachment total beside its own.
    admin.fill("setting-satisfied_min", "300").await;
    admin.click("settings-save").await;
    admin.wait_text("setting-satisfied_min-error", "超出").await;
    admin.fill("setting-satisfied_min", "4").await;
    admin.fill("setting-max_case_bytes", "4096").await;
    admin.click("settings-save").await;
    admin
        .wait_text("setting-max_case_bytes-error", "附件")
        .await;
    assert_eq!(admin.text("setting-max_blob_bytes-error").await, "");
    admin.fill("setting-max_case_bytes", "200").await;
    admin.click("settings-save").await;
    admin.wait_text("settings-status", "设置已保存").await;
    let (_, settings) = server.get_json(&token, "/api/v1/admin/settings");
    assert_eq!(settings["deadlines"]["transfer"], json!({"hours": 2}));

    // A major case's solution period of its own, refused beside its row
    // when out of range, then the clock's again.
    admin.fill("setting-solution_major", "0").await;
    admin.click("settings-save").await;
    admin
        .wait_text(
            "setting-solution_major-error",
            "时限须为 1–720 小时或 1–30 个工作日",
        )
        .await;
    assert_eq!(admin.text("setting-solution-error").await, "");
    admin.fill("setting-solution_major", "1").await;
    admin
        .choose("setting-solution_major-unit", "working_days")
        .await;
    admin.click("settings-save").await;
    admin.wait_text("settings-status", "设置已保存").await;
    let (_, settings) = server.get_json(&token, "/api/v1/admin/settings");
    assert_eq!(
        settings["deadlines"]["solution_by_severity"],
        json!({"major": {"working_days": 1}})
    );
    admin.fill("setting-solution_major", "").await;
    admin.click("settings-save").await;
    admin.wait_text("settings-status", "设置已保存").await;
    let (_, settings) = server.get_json(&token, "/api/v1/admin/settings");
    assert_eq!(settings["deadlines"]["solution_by_severity"], json!({}));
}

/// The seed's property 和园 (HY), as the admin API lists it.
fn seed_property(server: &Server, token: &str) -> Value {
    let (status, list) = server.get_json(token, "/api/v1/admin/properties");
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "HY")
        .expect("the seed's property 和园")
        .clone()
}

/// Two administrators, or one in two tabs: a save made from what was read
/// before another admin's save is refused in words that say so, and
/// undoes nothing. The building form reads the list again and keeps what
/// was typed, so sending it again adds the building beside the other
/// admin's. Settings saved twice in a row from one form go through: each
/// save answers the revision the next one is made at.
#[tokio::test(flavor = "multi_thread")]
async fn a_save_made_after_another_admins_change_is_refused_and_undoes_nothing() {
    let server = Server::start();
    server.seed();
    let token = server.token("admin1");
    let admin = Browser::start().await;
    admin.open(&server.url("/")).await;
    admin.login("admin1").await;

    admin.open_settings().await;
    let (_, mut settings) = server.get_json(&token, "/api/v1/admin/settings");
    settings["deadlines"]["transfer"] = json!({"hours": 3});
    let path = "/api/v1/admin/settings";
    assert_eq!(put_as_admin(&server, &token, path, &settings), 200);
    admin.fill("setting-transfer", "2").await;
    admin.click("settings-save").await;
    admin.wait_text("admin-error", "另一位管理员已保存").await;
    let transfer = || server.get_json(&token, path).1["deadlines"]["transfer"].clone();
    assert_eq!(transfer(), json!({"hours": 3}));
    // Read again, and saved twice.
    admin.click("admin-read-again").await;
    wait_value(&admin, "setting-transfer", "3").await;
    for hours in ["2", "4"] {
        admin.fill("setting-transfer", hours).await;
        admin.click("settings-save").await;
        admin.wait_text("settings-status", "设置已保存").await;
        assert_eq!(admin.text("admin-error").await, "");
        assert_eq!(transfer(), json!({"hours": hours.parse::<u32>().unwrap()}));
    }

    admin.click("admin-tab-properties").await;
    admin.wait_count("property-row", 2).await;
    let mut property = seed_property(&server, &token);
    property["buildings"].as_array_mut().unwrap().push(json!({
        "id": "0192a1b2-0000-7000-8000-000000000008", "name": "8栋", "units": []
    }));
    let (status, body) = server.post_json(Some(&token), "/api/v1/admin/properties", &property);
    assert_eq!(status, 204, "{body}");
    admin
        .choose("new-building-property", property["id"].as_str().unwrap())
        .await;
    admin.fill("new-building-name", "9栋").await;
    admin.click("new-building-submit").await;
    // Said beside the form's button, not at the top of the tab.
    admin
        .wait_text("new-building-refused", "另一位管理员已保存")
        .await;
    let row = "[data-testid=property-row][data-code=HY]";
    let row_text = async || wait_css(&admin, row).await.text().await.unwrap_or_default();
    let deadline = Instant::now() + e2e::TIMEOUT;
    while !row_text().await.contains("8栋") {
        assert!(Instant::now() < deadline, "the list was not read again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!row_text().await.contains("9栋"));
    wait_value(&admin, "new-building-name", "9栋").await;
    admin.click("new-building-submit").await;
    while !row_text().await.contains("9栋") {
        assert!(Instant::now() < deadline, "the building was not added");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored = seed_property(&server, &token);
    let names: Vec<&str> = stored["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["name"].as_str())
        .collect();
    assert!(
        names.contains(&"8栋") && names.contains(&"9栋"),
        "{names:?}"
    );
    admin.close().await;
}

/// The admin renames a building whose name was mistyped and adds the units
/// it gained; a unit it has already is refused beside the field.
#[tokio::test(flavor = "multi_thread")]
async fn an_admin_renames_a_building_and_adds_units_to_it() {
    let server = Server::start();
    server.seed();
    let token = server.token("admin1");
    let admin = Browser::start().await;
    admin.open(&server.url("/")).await;
    admin.login("admin1").await;
    admin.click("nav-admin").await;
    admin.click("admin-tab-properties").await;
    admin.wait_count("property-row", 2).await;
    let property = seed_property(&server, &token);
    let building = &property["buildings"][0];
    admin
        .choose("edit-building-property", property["id"].as_str().unwrap())
        .await;
    admin
        .choose("edit-building-building", building["id"].as_str().unwrap())
        .await;
    // A unit it has already is refused beside the field.
    admin.fill("edit-building-units", "101").await;
    admin.click("edit-building-submit").await;
    admin
        .wait_text("edit-building-units-error", "已有 101")
        .await;
    admin.fill("edit-building-name", "1号楼").await;
    admin.fill("edit-building-units", "301，302").await;
    admin.click("edit-building-submit").await;
    admin.wait_text("admin-properties", "1号楼（5）").await;
    let stored = seed_property(&server, &token);
    let building = &stored["buildings"][0];
    assert_eq!(building["name"], "1号楼");
    let units: Vec<&str> = building["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(units, ["101", "102", "201", "301", "302"]);

    // A unit typed wrong is renamed; one never used is removed.
    let unit_id = |name: &str| {
        building["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == name)
            .and_then(|u| u["id"].as_str())
            .map(String::from)
            .expect("the unit")
    };
    admin.choose("edit-building-unit", &unit_id("302")).await;
    admin.click("edit-building-submit").await;
    admin
        .wait_text("edit-building-unit_name-error", "请填写单元/户的新名称")
        .await;
    admin.fill("edit-building-unit-name", "101").await;
    admin.click("edit-building-submit").await;
    admin
        .wait_text("edit-building-unit_name-error", "已有 101")
        .await;
    admin.fill("edit-building-unit-name", "303").await;
    admin.click("edit-building-submit").await;
    admin.wait_text("edit-building-unit", "303").await;
    admin.choose("edit-building-unit", &unit_id("301")).await;
    admin.click("edit-building-unit-remove").await;
    admin.click("edit-building-submit").await;
    admin.wait_text("admin-properties", "1号楼（4）").await;
    let stored = seed_property(&server, &token);
    let units: Vec<&str> = stored["buildings"][0]["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(units, ["101", "102", "201", "303"]);

    // The property's name and household count, typed wrong at first.
    admin
        .choose("edit-property-property", property["id"].as_str().unwrap())
        .await;
    // Nothing to change is said beside the name.
    admin.click("edit-property-submit").await;
    admin
        .wait_text(
            "edit-property-name-error",
            "请填写新名称、户数、联系方式或状态",
        )
        .await;
    admin.fill("edit-property-name", "和园一期").await;
    // A count that is no number is said beside it, as typed; one written
    // with a thousands comma is read.
    admin.fill("edit-property-households", "520户").await;
    admin.click("edit-property-submit").await;
    admin
        .wait_text("edit-property-households-error", "户数请填写整数")
        .await;
    assert_eq!(admin.value("edit-property-households").await, "520户");
    admin.fill("edit-property-households", "1,040").await;
    // The service desk moved: the number residents are given changes.
    admin
        .fill("edit-property-contact", "客服中心 0571-86660000")
        .await;
    admin.click("edit-property-submit").await;
    admin.wait_text("admin-properties", "和园一期").await;
    admin
        .wait_text("property-contact", "客服中心 0571-86660000")
        .await;
    let stored = seed_property(&server, &token);
    assert_eq!(
        (
            &stored["name"],
            &stored["households"],
            &stored["code"],
            &stored["contact"]
        ),
        (
            &json!("和园一期"),
            &json!(1040),
            &json!("HY"),
            &json!("客服中心 0571-86660000")
        )
    );
    admin.close().await;
}

/// A registration set aside for its fields names them in Chinese on a
/// Chinese screen, not only in the server's English message.
#[tokio::test(flavor = "multi_thread")]
async fn a_quarantined_registration_names_its_fields_in_chinese() {
    let server = Server::start();
    server.seed();
    let mut tablet = e2e::bulk::Tablet::log_in(&server, "staff1", "an older app");
    // Empty content: what a build that checked nothing might send.
    let (_, _, ops) = tablet.complaint("", Vec::new());
    let (status, answer) = server.post_json(
        Some(&tablet.login.token),
        "/api/v1/sync/push",
        &json!({ "device": tablet.login.device, "ops": ops }),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["quarantined"][0]["code"], "sync.invalid_registration",
        "{answer}"
    );
    let browser = admin_on(&server, "quarantine").await;
    browser.wait_count("quarantine-row", 1).await;
    browser
        .wait_text("quarantine-reason-text", "（内容）")
        .await;
    // Whose it claims to be, which the admin asks before re-applying.
    browser
        .wait_text("quarantine-author", "王客服（物管员）")
        .await;
    browser.close().await;
}

/// The quarantine tab shows the oldest page of what waits and says that
/// more follow: a tablet can put a whole push aside at once.
#[tokio::test(flavor = "multi_thread")]
async fn the_quarantine_tab_says_when_more_wait_than_it_shows() {
    let server = Server::start();
    server.seed();
    let e2e::bulk::Tablet {
        login,
        actor,
        mut state,
        ..
    } = e2e::bulk::Tablet::log_in(&server, "staff1", "notes on a lost case");
    // Notes on a case the server never received: each is put aside.
    let case = shared::id::CaseId(uuid::Uuid::now_v7());
    let page = shared::admin::QUARANTINE_PAGE as usize;
    let ops: Vec<shared::op::Op> = (0..=page)
        .map(|n| {
            state.make_op(
                shared::id::OpId(uuid::Uuid::now_v7()),
                case,
                actor,
                None,
                shared::op::Action::Note {
                    note_kind: shared::case::NoteKind::General,
                    text: format!("第{n}次查看"),
                },
                chrono::Utc::now(),
            )
        })
        .collect();
    let (status, answer) = server.post_json(
        Some(&login.token),
        "/api/v1/sync/push",
        &json!({ "device": login.device, "ops": ops }),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["quarantined"].as_array().map(Vec::len),
        Some(page + 1)
    );

    let browser = admin_on(&server, "quarantine").await;
    browser.wait_count("quarantine-row", page).await;
    browser
        .wait_text("quarantine-more", &format!("最早的 {page} 条"))
        .await;

    // A reason half typed in one row outlives the discard of another,
    // which draws the list again.
    let mut ids = Vec::new();
    for row in browser.find_all("quarantine-row").await.iter().take(2) {
        ids.push(row.attr("data-id").await.ok().flatten().unwrap_or_default());
    }
    let in_row = |id: &str, test_id: &str| {
        format!("[data-testid=\"quarantine-row\"][data-id=\"{id}\"] [data-testid=\"{test_id}\"]")
    };
    let (first, second) = (&ids[0], &ids[1]);
    click_css(&browser, &in_row(second, "quarantine-discard")).await;
    wait_css(&browser, &in_row(second, "quarantine-reason"))
        .await
        .send_keys("待核实")
        .await
        .expect("type a reason");
    click_css(&browser, &in_row(first, "quarantine-discard")).await;
    wait_css(&browser, &in_row(first, "quarantine-reason"))
        .await
        .send_keys("工单不存在")
        .await
        .expect("type a reason");
    click_css(&browser, &in_row(first, "quarantine-discard-confirm")).await;
    browser.wait_text("quarantine-status", "已丢弃").await;
    browser
        .wait_until(
            &format!(
                "return !document.querySelector('[data-testid=\"quarantine-row\"][data-id=\"{first}\"]');"
            ),
            "the discarded entry leaves the list",
        )
        .await;
    let kept = wait_css(&browser, &in_row(second, "quarantine-reason"))
        .await
        .prop("value")
        .await
        .ok()
        .flatten();
    assert_eq!(kept.as_deref(), Some("待核实"));
    browser.close().await;
}

/// A Chinese admin adds a category by its Chinese name alone: the code
/// (which statistics and exports key on) is made for it, and the English
/// name is the Chinese one until someone gives another.
#[tokio::test(flavor = "multi_thread")]
async fn a_category_is_added_by_its_chinese_name_alone() {
    let server = Server::start();
    server.seed();
    let token = server.token("admin1");
    let browser = admin_on(&server, "categories").await;
    browser.wait_for_test_id("category-row").await;
    let before = browser.find_all("category-row").await.len();
    assert!(before > 0, "the default categories");
    // Three rows added: one named, one too long, one left blank.
    for n in 1..=3 {
        browser.click("categories-add").await;
        browser.wait_count("category-row", before + n).await;
    }
    let rows = browser.find_all("category-zh").await;
    rows[before].send_keys("电梯").await.expect("type the name");
    rows[before + 1]
        .send_keys(&"长".repeat(41))
        .await
        .expect("type the name");
    browser.click("categories-save").await;
    // The long one is told beside its own row, and nothing is saved.
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    let told = loop {
        let errors = browser.find_all("category-error").await;
        let mut texts = Vec::new();
        for e in &errors {
            texts.push(e.text().await.unwrap_or_default());
        }
        if texts.iter().any(|t| !t.is_empty()) || std::time::Instant::now() > deadline {
            break texts;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let flagged: Vec<(usize, &str)> = told
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(at, t)| (at, t.as_str()))
        .collect();
    assert_eq!(flagged, [(before + 1, "类别名称最多 40 个字")]);
    // The row not saved yet can be removed; the blank one is no category.
    browser.find_all("category-remove").await[1]
        .click()
        .await
        .expect("remove the long one");
    browser.wait_count("category-row", before + 2).await;
    browser.click("categories-save").await;
    browser.wait_text("categories-status", "类别已保存").await;
    browser.wait_count("category-row", before + 1).await;
    let (status, list) = server.get_json(&token, "/api/v1/admin/categories");
    assert_eq!(status, 200, "{list}");
    let added = list
        .as_array()
        .and_then(|l| l.iter().find(|c| c["name_zh"] == "电梯"))
        .unwrap_or_else(|| panic!("no 电梯 in {list}"));
    assert_eq!(added["code"], json!("custom_1"), "{added}");
    assert_eq!(added["name_en"], json!("电梯"), "{added}");
    browser.close().await;
}

/// Sets a text input's value as a paste does (a spreadsheet's cells are
/// separated by tabs, which typed keys would turn into focus moves).
async fn paste(browser: &Browser, test_id: &str, text: &str) {
    let script = format!(
        "const el = document.querySelector('[data-testid={test_id}]'); \
         el.value = {}; el.dispatchEvent(new Event('input', {{bubbles: true}}));",
        json!(text)
    );
    browser.wait_for_test_id(test_id).await;
    browser.eval(&script).await;
}

/// A roster copied from a spreadsheet: each line is checked as it is
/// pasted, nothing is imported while a line is wrong, and the users are
/// then created at once, the passwords made for them shown this once.
#[tokio::test(flavor = "multi_thread")]
async fn an_admin_imports_a_roster_pasted_from_a_spreadsheet() {
    let server = Server::start();
    server.seed();
    let browser = admin_on(&server, "users").await;
    browser.wait_count("user-row", 6).await;

    paste(
        &browser,
        "roster-text",
        "登录名\t姓名\t角色\t项目\t部门\t初始密码\n\
         staff9\t周九\t物管员\t和园\t客服部\t\n\
         staff1\t重名\t物管员\tHY\t\t\n\
         head9\t吴九\t责任部门主管\tHY、JY\t工程部\thead9-pass-1\n",
    )
    .await;
    browser.wait_count("roster-row", 3).await;
    let taken = "[data-testid=\"roster-row\"][data-line=\"3\"]";
    assert_eq!(
        wait_css(&browser, taken)
            .await
            .attr("data-problems")
            .await
            .expect("problems"),
        Some("roster.login_taken".into())
    );
    browser
        .wait_text("roster-table", "登录名已被现有用户使用")
        .await;
    assert_eq!(
        browser
            .eval("return document.querySelector('[data-testid=roster-import]').disabled;")
            .await,
        json!(true),
        "nothing is imported while a line is wrong"
    );

    paste(
        &browser,
        "roster-text",
        "staff9\t周九\t物管员\t和园\t客服部\t\n\
         head9\t吴九\t责任部门主管\tHY、JY\t工程部\thead9-pass-1\n",
    )
    .await;
    browser.wait_count("roster-row", 2).await;
    browser.wait_text("roster-import", "导入 2 人").await;
    // The server's answer is held while the administrator pastes the next
    // sheet's line under the roster sent.
    browser
        .eval(
            "const fetch0 = window.fetch;
             const held = new Promise(r => { window.__release = r; });
             window.fetch = async (...args) => {
                 const answer = await fetch0(...args);
                 if (String(args[0].url || args[0]).includes('/admin/users/import')) { await held; }
                 return answer;
             };
             return true;",
        )
        .await;
    browser.click("roster-import").await;
    let sent = browser.value("roster-text").await;
    let next = "staff8\t周八\t物管员\t和园\t客服部\t";
    paste(&browser, "roster-text", &format!("{sent}{next}")).await;
    browser.eval("window.__release(); return true;").await;
    browser.wait_count("roster-created", 2).await;
    browser.wait_count("user-row", 8).await;
    assert_eq!(browser.value("roster-text").await, next);
    paste(&browser, "roster-text", "").await;
    let made = wait_css(
        &browser,
        "[data-testid=\"roster-created\"][data-login=\"staff9\"] [data-testid=\"roster-password\"]",
    )
    .await
    .text()
    .await
    .expect("the password made");
    assert_eq!(made.chars().count(), 16, "{made}");
    // Shown this once, the passwords outlast a network drop and hold back
    // the first tap away, until the administrator says they are noted.
    browser
        .eval("window.dispatchEvent(new Event('offline')); window.dispatchEvent(new Event('online')); return true;")
        .await;
    browser.wait_count("admin-offline", 0).await;
    browser.click("admin-tab-devices").await;
    browser.wait_text("leave-warning", "尚未保存").await;
    browser.wait_count("roster-created", 2).await;
    browser.click("roster-noted").await;
    browser.wait_count("roster-created", 0).await;
    browser.click("admin-tab-devices").await;
    browser
        .wait_attr("admin-tab-devices", "aria-selected", "true")
        .await;

    let (status, body) = http_login(&server, "staff9", &made);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["must_change_password"], json!(true), "{body}");
    assert_eq!(body["user"]["department"], json!("客服部"));
    let (status, body) = http_login(&server, "head9", "head9-pass-1");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["properties"].as_array().map(Vec::len), Some(2));
    browser.close().await;
}

/// A property whose contract ended is retired: it stays in the list,
/// marked, and is offered neither for a new user nor for a new case on a
/// tablet of its staff.
#[tokio::test(flavor = "multi_thread")]
async fn a_retired_property_is_offered_for_no_new_case_or_user() {
    let server = Server::start();
    server.seed();
    // A case begun in 景苑 before its retirement, kept as a draft.
    let staff = Browser::start().await;
    staff.open(&server.url("/")).await;
    staff.login("staff2").await;
    staff.click("nav-new").await;
    staff.choose_label("field-property", "景苑").await;
    staff.fill("field-content", "景苑北门道闸故障").await;
    let browser = admin_on(&server, "properties").await;
    browser.wait_count("property-row", 2).await;
    browser
        .choose_label("edit-property-property", "JY 景苑")
        .await;
    browser.choose("edit-property-status", "retired").await;
    browser.click("edit-property-submit").await;
    wait_css(
        &browser,
        "[data-testid=\"property-row\"][data-code=\"JY\"][data-retired=\"true\"]",
    )
    .await;
    browser.wait_text("property-table", "已停用").await;

    let options = |select: &str| {
        format!(
            "return Array.from(document.querySelectorAll('[data-testid={select}] option')).map(o => o.textContent);"
        )
    };
    browser.click("admin-tab-users").await;
    browser.wait_count("user-row", 6).await;
    let offered = browser.eval(&options("new-user-property")).await;
    assert_eq!(offered, json!(["HY 和园"]), "{offered}");

    // The draft names it still, and is told so when saved: before, it
    // registered a new case in the retired property.
    staff.open(&server.url("/")).await;
    staff.wait_for_test_id("case-list").await;
    staff.click("nav-new").await;
    staff.wait_for_test_id("draft-restored").await;
    // Once the tablet has heard of the retirement.
    staff.wait_text("properties-retired", "均已停用").await;
    staff.click("save-case").await;
    staff.wait_text("error-property", "已停用").await;
    staff.close().await;

    // staff2 works in 景苑 alone: their tablet offers no property.
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login("staff2").await;
    browser.click("nav-new").await;
    browser.wait_for_test_id("field-property").await;
    let offered = browser.eval(&options("field-property")).await;
    assert_eq!(offered, json!(["请选择"]), "{offered}");
    browser
        .wait_text("properties-retired", "您所属的项目均已停用")
        .await;
    browser.close().await;
}

/// The office's forms keep no drafts: what is typed in them lives only in
/// the page. It stays while the network drops, the first tap to another
/// tab is held back with a warning, and an update the server needs waits
/// to reload the page until the form is saved.
#[tokio::test(flavor = "multi_thread")]
async fn what_is_typed_in_an_office_form_outlasts_a_network_drop_a_tab_tap_and_an_update() {
    let server = Server::start();
    server.seed();
    let browser = admin_on(&server, "calendar").await;
    browser.fill("calendar-input", GOOD_2027).await;
    let typed = || async { browser.value("calendar-input").await };
    assert!(typed().await.contains("测试用节假日安排"));

    // The browser says the network went, then came back.
    browser
        .eval("window.dispatchEvent(new Event('offline')); return true;")
        .await;
    browser.wait_for_test_id("admin-offline").await;
    assert!(typed().await.contains("测试用节假日安排"), "kept offline");
    browser
        .eval("window.dispatchEvent(new Event('online')); return true;")
        .await;
    browser.wait_count("admin-offline", 0).await;
    assert!(typed().await.contains("测试用节假日安排"), "kept online");

    // The first tap on another tab says what it would drop, and stays.
    browser.click("admin-tab-users").await;
    browser.wait_text("leave-warning", "尚未保存").await;
    assert_eq!(
        browser.attr("admin-tab-calendar", "aria-selected").await,
        "true"
    );
    assert!(
        typed().await.contains("测试用节假日安排"),
        "kept on the tab"
    );

    // The server needs a newer build: the reload waits for the form.
    browser.refuse_this_build().await;
    browser.click("sync-now").await;
    browser.wait_for_test_id("update-waits-form").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        browser.eval("return window.__old === true;").await,
        json!(true),
        "the page was not reloaded while the form held typing"
    );
    assert!(
        typed().await.contains("测试用节假日安排"),
        "kept for the update"
    );

    // Applied, nothing is left to lose, and the page reloads.
    browser.click("calendar-preview").await;
    browser.wait_text("calendar-year", "2027").await;
    browser.click("calendar-apply").await;
    browser
        .wait_until(
            "return window.__old === undefined;",
            "the page reloaded once the calendar was applied",
        )
        .await;
    // A reload of the office starts at the list, as in the field bundle.
    browser.wait_for_test_id("case-list").await;
    let schedule: Value = serde_json::from_str(GOOD_2027).expect("the schedule");
    let (status, preview) = server.post_json(
        Some(&server.token("admin1")),
        "/api/v1/admin/calendar/preview",
        &schedule,
    );
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        preview["replaces"],
        json!(true),
        "2027 was applied: {preview}"
    );
    browser.close().await;
}
