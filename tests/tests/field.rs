//! The field workflow in a real headless Chromium against the real server:
//! correcting a registration offline, the navigation and settings in plain
//! words, a tablet named at its first login, and a fully handled
//! complaint (with the feedback step, the person complained about and the
//! three ratings) whose record form fits one A4 page.

use e2e::{Browser, PASSWORD, Server};
use serde_json::{Value, json};

/// head1 (孙主管), the head of 工程部 in 和园.
fn add_department_head(server: &Server) {
    server.cli(&[
        "user",
        "add",
        "--own-password",
        "--login",
        "head1",
        "--name",
        "孙主管",
        "--role",
        "department_head",
        "--department",
        "工程部",
        "--password",
        PASSWORD,
        "--property",
        "HY",
    ]);
}

/// The texts of every timeline entry on the detail screen.
async fn timeline(browser: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    for entry in browser.find_all("timeline-entry").await {
        out.push(entry.text().await.unwrap_or_default());
    }
    out
}

/// The server's case with `reg_no`, as `login` reads it.
fn server_case(server: &Server, login: &str, reg_no: &str) -> Value {
    let token = server.token(login);
    let (_, page) = server.get_json(&token, "/api/v1/cases?per_page=100");
    let items = page["items"].as_array().cloned().unwrap_or_default();
    let summary = items
        .iter()
        .find(|c| c["reg_no"] == json!(reg_no))
        .unwrap_or_else(|| panic!("{reg_no} is not on the server: {items:?}"));
    let id = summary["id"].as_str().expect("an id");
    server.get_json(&token, &format!("/api/v1/cases/{id}")).1
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_number_is_corrected_offline_and_reaches_the_server() {
    let mut server = Server::start();
    server.seed();
    let profile = tempfile::tempdir().expect("a browser profile");
    let browser = Browser::start_in(profile.path()).await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_service_worker().await;
    let reg_no = browser.register_complaint("王五", "电梯按钮失灵").await;
    browser.wait_synced().await;

    server.kill();
    browser.click("open-case").await;
    browser.wait_count("timeline-entry", 1).await;
    browser.click("open-edit").await;
    assert_eq!(browser.value("edit-phone").await, "13800138000");
    assert_eq!(browser.attr("edit-phone", "readonly").await, "");

    // A wrong number: the message stands beside the field, nothing is
    // saved, and what was typed stays.
    browser.fill("edit-phone", "1391234").await;
    browser.click("save-edit").await;
    browser
        .wait_text("edit-error-complainant-phone", "请输入正确的手机号")
        .await;
    assert_eq!(browser.value("edit-phone").await, "1391234");
    assert_eq!(timeline(&browser).await.len(), 1, "nothing was saved");
    assert_eq!(browser.attr("sync-pending", "data-pending").await, "0");

    // The right one is saved on the tablet, offline; the timeline says
    // which field changed from what to what.
    browser.fill("edit-phone", "139 1234 5678").await;
    browser.click("save-edit").await;
    browser.wait_count("timeline-entry", 2).await;
    browser.wait_attr("sync-pending", "data-pending", "1").await;
    assert!(
        browser.find("edit-form").await.is_none(),
        "the form closes once saved"
    );
    let entries = timeline(&browser).await;
    // Each step is a sentence; the raw field changes wait behind 详情.
    assert!(
        entries[0].contains("登记了投诉") && !entries[0].contains("登记号："),
        "the registration in words: {entries:?}"
    );
    let edit = entries
        .iter()
        .find(|e| e.contains("联系电话"))
        .unwrap_or_else(|| panic!("the correction is in the timeline: {entries:?}"));
    assert!(
        edit.contains("13800138000 → 13912345678"),
        "old → new: {edit}"
    );
    browser.wait_text("case-fields", "13912345678").await;

    // Back online, the correction reaches the server.
    server.restart();
    browser.sync_now().await;
    let case = server_case(&server, "manager1", &reg_no);
    assert_eq!(
        case["registration"]["complainant"]["phone"],
        json!("13912345678"),
        "{case}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_correction_by_a_role_that_sees_the_phone_masked_keeps_the_phone() {
    let server = Server::start();
    server.seed();
    add_department_head(&server);
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let content = "电梯按钮失灵，业主另留电话 139 1234 5678";
    let reg_no = browser.register_complaint("王五", content).await;
    browser.wait_synced().await;
    // Its first responder may correct when it was received, but not to
    // after it was recorded: the deadlines count from it.
    browser.click("open-case").await;
    browser.click("open-edit").await;
    assert!(browser.find("edit-clocks-held").await.is_none());
    browser
        .eval(
            "const i = document.querySelector('[data-testid=\"edit-received\"]');
             i.value = '2099-01-01T09:00';
             i.dispatchEvent(new Event('input', {bubbles: true}));
             return true;",
        )
        .await;
    browser.click("save-edit").await;
    browser
        .wait_text("edit-error-received_at", "受理时间不能晚于登记时间")
        .await;
    // Earlier, as it was: saved. Later again, in their own favour: the
    // registration clock holds them to it, so only management may.
    let shanghai = |hours: i64| {
        (chrono::Utc::now() - chrono::Duration::hours(hours))
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let set_received = |value: String| {
        format!(
            "const i = document.querySelector('[data-testid=\"edit-received\"]');
             i.value = '{value}';
             i.dispatchEvent(new Event('input', {{bubbles: true}}));
             return true;"
        )
    };
    browser.eval(&set_received(shanghai(2))).await;
    browser.click("save-edit").await;
    browser.wait_count("timeline-entry", 2).await;
    browser.wait_synced().await;
    browser.click("open-edit").await;
    browser.eval(&set_received(shanghai(1))).await;
    browser.click("save-edit").await;
    browser
        .wait_text("edit-error-received_at", "登记人只能把受理时间改早")
        .await;
    // Dropped, so that the next user's login finds no draft to delete: a
    // first tap on 取消 only asks, as a finger reaching for 保存 hits it.
    browser.click("cancel-edit").await;
    browser.wait_for_test_id("discard-ask").await;
    assert_eq!(browser.find_all("edit-form").await.len(), 1, "still open");
    browser.click("discard-confirm").await;
    browser.wait_count("edit-form", 0).await;
    browser.click("nav-settings").await;
    browser.log_out().await;

    // A department head sees the phone of a case not theirs masked, and
    // corrects what the resident asked for without being stopped by it.
    browser.login("head1").await;
    browser.wait_count("case-row", 1).await;
    browser.click("case-open").await;
    browser.wait_count("timeline-entry", 2).await;
    browser.click("open-edit").await;
    let shown = browser.value("edit-phone").await;
    assert!(shown.contains('*'), "the phone is shown masked: {shown}");
    // What they see masked they cannot overwrite blind.
    for field in ["edit-name", "edit-phone"] {
        assert_ne!(browser.attr(field, "readonly").await, "", "{field}");
    }
    // Nor may they move what their own deadlines count from.
    assert_ne!(browser.attr("edit-received", "readonly").await, "");
    assert_ne!(browser.attr("edit-channel", "disabled").await, "");
    browser
        .wait_text("edit-clocks-held", "只有登记人和管理人员")
        .await;
    // The number typed into the content is masked as the phone is; the
    // content corrected as read keeps it.
    let masked = "电梯按钮失灵，业主另留电话 139 **** 5678";
    assert_eq!(browser.value("edit-content").await, masked);
    browser
        .fill("edit-content", &format!("{masked}，按钮已拆下"))
        .await;
    browser.fill("edit-remedy", "尽快修好电梯按钮").await;
    browser.click("save-edit").await;
    browser.wait_count("timeline-entry", 3).await;
    browser.wait_count("edit-form", 0).await;
    browser.wait_synced().await;

    let case = server_case(&server, "manager1", &reg_no);
    assert_eq!(
        case["registration"]["requested_remedy"],
        json!("尽快修好电梯按钮"),
        "{case}"
    );
    assert_eq!(
        case["registration"]["complainant"]["phone"],
        json!("13800138000"),
        "the phone is as it was: {case}"
    );
    assert_eq!(
        case["registration"]["content"],
        json!(format!("{content}，按钮已拆下")),
        "and the number in the content: {case}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_current_tab_is_the_selected_one_and_settings_keep_ids_aside() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;

    // The first login asks what to call the tablet, and goes nowhere
    // without a name.
    browser.fill("login-name", "manager1").await;
    browser.fill("login-password", PASSWORD).await;
    browser.click("login-submit").await;
    browser
        .wait_text("error-device-label", "请为本设备起个名字")
        .await;
    assert!(browser.find("case-list").await.is_none());
    browser.fill("login-device-label", "客服前台平板 2").await;
    browser.click("login-submit").await;
    browser.wait_for_test_id("case-list").await;
    browser.wait_synced().await;
    let token = server.token("admin1");
    let (_, devices) = server.get_json(&token, "/api/v1/admin/devices");
    assert!(
        devices
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["name"] == json!("客服前台平板 2"))),
        "the server knows the tablet by its name: {devices}"
    );

    let tabs = ["nav-list", "nav-new", "nav-dashboard", "nav-settings"];
    // Which tabs say they are the current page.
    let current = async || {
        let mut out = Vec::new();
        for tab in tabs {
            if browser.attr(tab, "aria-current").await == "page" {
                assert!(
                    browser.attr(tab, "class").await.contains("current"),
                    "{tab} is drawn as current"
                );
                out.push(tab);
            } else {
                assert!(
                    !browser.attr(tab, "class").await.contains("current"),
                    "{tab} is not drawn as current"
                );
            }
        }
        out
    };
    assert_eq!(current().await, ["nav-list"]);
    for tab in tabs {
        browser.click(tab).await;
        browser.wait_attr(tab, "aria-current", "page").await;
        assert_eq!(current().await, [tab], "after opening {tab}");
    }

    // The device's id and sequence numbers are in a collapsed 高级 section.
    browser.wait_for_test_id("settings").await;
    assert!(
        browser
            .text("settings-device")
            .await
            .contains("客服前台平板 2")
    );
    let advanced = browser.wait_for_test_id("settings-advanced").await;
    assert_eq!(
        advanced.attr("open").await.ok().flatten(),
        None,
        "the advanced section starts collapsed"
    );
    let device = browser.attr("settings-device", "data-device").await;
    assert!(!device.is_empty());
    assert!(
        !browser.text("settings").await.contains(&device),
        "the device id is not shown by default"
    );
    let summary = browser
        .client
        .find(fantoccini::Locator::Css(
            "[data-testid=\"settings-advanced\"] summary",
        ))
        .await
        .expect("the advanced section's summary");
    summary.click().await.expect("open the advanced section");
    browser.wait_text("settings-device-id", &device).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_without_a_property_is_pointed_to_properties_and_users() {
    let server = Server::start();
    server.cli(&[
        "user",
        "add",
        "--own-password",
        "--login",
        "admin1",
        "--name",
        "系统管理员",
        "--role",
        "admin",
        "--password",
        PASSWORD,
    ]);
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("admin1").await;
    browser.wait_text("first-steps", "管理 → 项目").await;
    browser.click("first-steps-properties").await;
    browser
        .wait_attr("admin-tab-properties", "aria-selected", "true")
        .await;
    browser.wait_attr("nav-admin", "aria-current", "page").await;
    browser.click("nav-list").await;
    browser.click("first-steps-users").await;
    browser
        .wait_attr("admin-tab-users", "aria-selected", "true")
        .await;
    browser.close().await;
}

/// A text of about `chars` characters, as someone might type it.
fn long(text: &str, chars: usize) -> String {
    text.chars().cycle().take(chars).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_complaint_with_every_section_filled_prints_on_one_page() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;

    let content = long(
        "卫生间天花板持续漏水，楼上装修后出现，墙面发霉，家具受损，已多次电话反映未果。",
        400,
    );
    browser.fill_complaint("张三", &content).await;
    browser
        .fill(
            "field-remedy",
            &long(
                "尽快查明漏水原因并修复，赔偿受损家具，并书面答复处理结果。",
                150,
            ),
        )
        .await;
    browser.fill("field-related", "HY-250101-1-0001").await;
    browser.click("save-case").await;
    let reg_no = browser.text("reg-no").await;
    browser.click("open-case").await;
    browser
        .wait_attr("detail-state", "data-state", "registered")
        .await;

    browser
        .act(
            "assess",
            &[
                (
                    "reason",
                    &long("楼上装修破坏防水层导致渗漏，属物业监管责任范围。", 120),
                ),
                ("respondent", "装修巡查员刘某"),
                ("respondent_department", "秩序部"),
            ],
            "assessed",
        )
        .await;
    browser.click("action-note").await;
    browser
        .fill(
            "in-text",
            &long(
                "已上门查看，确认楼上卫生间防水层破损，与楼上业主沟通维修时间。",
                200,
            ),
        )
        .await;
    browser.click("submit-note").await;
    browser.wait_count("timeline-entry", 3).await;
    browser.click("action-assign").await;
    browser.choose_label("in-user", "李经理").await;
    browser.fill("in-department", "工程部").await;
    browser
        .fill("in-note", &long("请今天上门查看并拍照留证。", 80))
        .await;
    browser.click("submit-assign").await;
    browser
        .wait_attr("detail-state", "data-state", "assigned")
        .await;
    browser.act("start", &[], "in_progress").await;
    browser
        .act(
            "propose",
            &[
                (
                    "measures",
                    &long(
                        "更换楼上卫生间防水层，修复天花板并重新粉刷，清理霉斑。",
                        200,
                    ),
                ),
                ("responsible", "工程部张师傅"),
                ("planned_date", "2030-01-10"),
            ],
            "solution_proposed",
        )
        .await;
    browser
        .act(
            "resolve",
            &[(
                "result",
                &long(
                    "防水层已更换并做闭水试验四十八小时无渗漏，天花板已修复粉刷。",
                    200,
                ),
            )],
            "resolved",
        )
        .await;
    // Telling the resident is its own step, which stops the feedback clock.
    browser
        .act(
            "feedback",
            &[("comment", "已电话告知业主处理结果并约定回访时间")],
            "resolved",
        )
        .await;
    // The three ratings of 001 besides overall satisfaction.
    browser.click("action-follow_up").await;
    browser.choose("in-satisfaction", "5").await;
    browser.choose("in-rating_result", "4").await;
    browser.choose("in-rating_attitude", "5").await;
    browser.choose("in-rating_timeliness", "3").await;
    browser
        .fill(
            "in-comment",
            &long(
                "业主表示满意，希望今后加强装修监管，及时处理类似问题。",
                150,
            ),
        )
        .await;
    browser.click("submit-follow_up").await;
    browser
        .wait_attr("detail-state", "data-state", "followed_up")
        .await;
    browser
        .act(
            "close",
            &[
                (
                    "corrective",
                    &long(
                        "装修申报时加查防水施工方案，完工后做闭水试验并由物业验收。",
                        150,
                    ),
                ),
                (
                    "verification",
                    &long("一个月后回访确认无渗漏，业主认可。", 100),
                ),
            ],
            "closed",
        )
        .await;

    browser.click("open-print").await;
    browser.wait_text("print-reg-no", &reg_no).await;
    let form = browser.text("record-form").await;
    // Every text is on the paper in full: none is clipped away.
    for text in [
        &content[..],
        "工程部张师傅",
        "一个月后回访确认无渗漏",
        "已告知投诉人：电话",
        "被投诉：装修巡查员刘某 秩序部",
        "结果/态度/效率 4 5 3",
    ] {
        assert!(form.contains(text), "the form has {text}");
    }
    // And shown whole: no cell's text is cut off by the page's styles
    // (the text alone is there even when hidden).
    let clipped = browser
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=record-form] td, [data-testid=record-form] th'))
                 .filter(c => c.scrollHeight > c.clientHeight + 1 || c.scrollWidth > c.clientWidth + 1)
                 .map(c => c.textContent.slice(0, 20));",
        )
        .await;
    assert_eq!(clipped, json!([]), "cells whose text is cut off");
    browser.screenshot("record-form-full").await;
    assert_eq!(
        browser.print_pages("record-form-full").await,
        1,
        "a closed complaint's form fits one A4 page (target/screenshots/record-form-full.pdf)"
    );
    browser.close().await;
}

/// The complainant leaves with a receipt: the number to quote and when
/// the reply is due, on paper or as a text to send.
#[tokio::test(flavor = "multi_thread")]
async fn the_complainant_gets_a_receipt_with_the_number_and_the_reply_date() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint("王五", "电梯按钮失灵").await;
    browser.click("open-case").await;
    browser.click("open-receipt").await;
    browser.wait_text("receipt", &reg_no).await;
    let receipt = browser.text("receipt").await;
    // Whom to contact is the property's, as the administrator set it.
    for text in [
        "投诉受理回执",
        "答复期限",
        "电梯按钮失灵",
        "王五",
        "客服中心 0571-88886666",
    ] {
        assert!(receipt.contains(text), "the receipt has {text}: {receipt}");
    }
    assert!(!receipt.contains("严重程度"), "nothing of the handling");
    let message = browser.value("receipt-message").await;
    assert!(
        message.contains(&reg_no)
            && message.contains("前答复您")
            && message.contains("联系方式：客服中心 0571-88886666"),
        "{message}"
    );
    assert_eq!(
        browser.print_pages("receipt").await,
        1,
        "the receipt prints on one page (target/screenshots/receipt.pdf)"
    );
    browser.click("receipt-back").await;
    browser.wait_for_test_id("detail-state").await;

    // Staff who read the app in English still hand the resident a
    // Chinese receipt, unless they choose English for it.
    browser.click("nav-settings").await;
    browser.click("lang-en").await;
    browser.click("nav-list").await;
    browser.click("case-open").await;
    browser.click("open-receipt").await;
    browser.wait_text("receipt", "投诉受理回执").await;
    browser.wait_text("receipt-back", "Back to the case").await;
    browser.choose("receipt-lang", "en").await;
    browser
        .wait_text("receipt", "Receipt of your complaint")
        .await;
    let message = browser.value("receipt-message").await;
    assert!(message.contains("We will reply by"), "{message}");
    browser.close().await;
}

/// A member of staff working through a filtered list finds it as they
/// left it when they come back from a case.
#[tokio::test(flavor = "multi_thread")]
async fn the_list_keeps_its_filters_while_a_case_is_open() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.register_complaint("王五", "电梯按钮失灵").await;
    browser.fill_complaint("赵六", "厨房水管漏水").await;
    browser.choose("field-kind", "repair").await;
    // Another category: not offered as the first one's duplicate.
    browser.choose("field-category", "common_facilities").await;
    browser.click("save-case").await;
    let repair = browser.text("reg-no").await;
    browser.click("nav-list").await;
    browser.wait_count("case-row", 2).await;
    browser.choose("filter-kind", "repair").await;
    browser.wait_count("case-row", 1).await;
    browser.click("case-open").await;
    browser.wait_for_test_id("detail-state").await;
    browser.click("back").await;
    browser.wait_for_test_id("case-list").await;
    browser.wait_count("case-row", 1).await;
    assert_eq!(browser.value("filter-kind").await, "repair");
    assert_eq!(
        browser.attr("case-row", "data-reg-no").await,
        repair,
        "the repair, not the complaint"
    );
    // Another user starts from the whole list.
    browser.wait_synced().await;
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login("manager1").await;
    browser.wait_count("case-row", 2).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_complaint_from_the_same_unit_is_flagged_and_linked_both_ways() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let first = browser.register_complaint("王五", "电梯按钮失灵").await;

    // The same unit, phone and category again: a warning, not a refusal.
    browser.fill_complaint("王五", "电梯按钮还是失灵").await;
    browser.wait_for_test_id("duplicate-warning").await;
    let offered = browser.find_all("duplicate").await;
    assert_eq!(offered.len(), 1, "one open case like it");
    assert_eq!(
        offered[0].attr("data-reg-no").await.ok().flatten(),
        Some(first.clone())
    );
    assert!(
        browser
            .text("duplicate-warning")
            .await
            .contains("同房号、同电话")
    );
    browser.click("duplicate-link").await;
    assert_eq!(browser.value("field-related").await, first);
    browser.click("save-case").await;
    let second = browser.text("reg-no").await;
    assert_ne!(second, first);

    // Another category from the same unit is not flagged.
    browser.fill_complaint("王五", "楼道灯不亮").await;
    browser.choose("field-category", "cleaning").await;
    browser.wait_for_test_id("field-related").await;
    assert!(browser.find("duplicate-warning").await.is_none());

    // The link shows from both cases and opens the other one.
    browser.click("nav-list").await;
    let open_case = async |reg_no: &str| {
        browser.fill("filter-search", reg_no).await;
        browser.wait_count("case-row", 1).await;
        browser.click("case-open").await;
        browser.wait_text("detail-reg-no", reg_no).await;
    };
    open_case(&second).await;
    assert_eq!(browser.text("related-to").await, first);
    browser.click("related-to").await;
    browser.wait_text("detail-reg-no", &first).await;
    assert_eq!(browser.text("related-from").await, second);
    browser.wait_synced().await;
    let case = server_case(&server, "manager1", &second);
    assert_eq!(case["registration"]["related_case"], json!(first), "{case}");
    browser.close().await;
}

/// The 12345 hotline transfers a complaint with its order number: the
/// intake asks for it with that channel, the case shows it and is found
/// by it, the hotline's second transfer of the same order is flagged, and
/// a correction changes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_hotline_transfer_keeps_its_order_number() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.fill_complaint("王五", "夜间施工噪音").await;
    assert!(
        browser.find("field-source").await.is_none(),
        "asked only of a case that comes with a number"
    );
    browser.choose("field-channel", "hotline_transfer").await;
    // Typed as read out, in lower case with a space: kept as written.
    browser.fill("field-source", "gd 2026120500123").await;
    browser.click("save-case").await;
    let first = browser.text("reg-no").await;

    // Transferred again when the resident called the hotline again.
    browser.fill_complaint("赵六", "施工还在继续").await;
    browser.choose("field-category", "cleaning").await;
    browser.choose("field-channel", "hotline_transfer").await;
    browser.fill("field-source", "ｇｄ2026120500123").await;
    browser.wait_text("duplicate-warning", "同一来源单号").await;
    assert_eq!(browser.attr("duplicate", "data-reg-no").await, first);

    browser.click("nav-list").await;
    browser.fill("filter-search", "GD2026120500123").await;
    browser.wait_count("case-row", 1).await;
    browser.click("case-open").await;
    browser.wait_text("detail-reg-no", &first).await;
    browser
        .wait_text("case-fields", "热线转办（来源单号 GD2026120500123）")
        .await;

    browser.click("open-edit").await;
    browser.fill("edit-source", "GD2026120500132").await;
    browser.click("save-edit").await;
    browser
        .wait_text("case-fields", "来源单号 GD2026120500132")
        .await;
    browser.wait_synced().await;
    let case = server_case(&server, "manager1", &first);
    assert_eq!(
        case["registration"]["source_ref"],
        json!("GD2026120500132"),
        "{case}"
    );
    browser.close().await;
}

/// The assignment picker offers a case only to colleagues who work in its
/// property: anyone else would never see it (the server sends a case to
/// nobody outside its property). A regional manager of two properties
/// knows the staff of both.
#[tokio::test(flavor = "multi_thread")]
async fn a_case_is_assigned_only_to_someone_who_works_in_its_property() {
    let server = Server::start();
    server.seed();
    server.cli(&[
        "user",
        "add",
        "--own-password",
        "--login",
        "regional2",
        "--name",
        "钱区域",
        "--role",
        "regional_manager",
        "--password",
        PASSWORD,
        "--property",
        "HY",
        "--property",
        "JY",
    ]);
    add_department_head(&server);
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("regional2").await;
    browser.register_complaint("周八", "电梯按钮失灵").await;
    browser.click("open-case").await;
    browser.act("assess", &[], "assessed").await;
    browser.click("action-assign").await;
    browser.wait_for_test_id("in-user").await;
    let options = browser
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=in-user] option'))\
             .map(o => o.textContent)",
        )
        .await;
    let options: Vec<String> = serde_json::from_value(options).expect("the options");
    assert!(options.iter().any(|o| o.contains("李经理")), "{options:?}");
    assert!(
        options.iter().all(|o| !o.contains("陈客服")),
        "staff of 景苑 offered for a case of 和园: {options:?}"
    );
    // A department nobody belongs to is said as it is typed: its head,
    // if it has one, would never be given the case.
    browser.fill("in-department", "工程").await;
    browser.wait_text("department-unknown", "工程").await;
    browser.fill("in-department", "工程部").await;
    browser.wait_count("department-unknown", 0).await;
    browser.close().await;
}

/// A case registered offline that the server then refuses to register
/// (here its property's code changed meanwhile, so the number no longer
/// matches): the server holds no such case. The tablet keeps what was
/// typed and says why, and offers nothing more on the case, which waits
/// in nobody's inbox: every action on it would be refused too.
#[tokio::test(flavor = "multi_thread")]
async fn a_case_whose_registration_the_server_refused_is_kept_and_not_worked() {
    let mut server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_synced().await;

    server.kill();
    browser.register_complaint("赵六", "楼道堆放杂物").await;
    {
        let db = rusqlite::Connection::open(server.data_dir().join("cases.sqlite3"))
            .expect("open the server's file");
        let changed = db
            .execute(
                "UPDATE properties SET code = 'HZ', json = json_set(json, '$.code', 'HZ')
                 WHERE code = 'HY'",
                [],
            )
            .expect("change the property's code");
        assert_eq!(changed, 1);
    }
    server.restart();
    browser.click("sync-now").await;
    browser.click("nav-list").await;
    browser.wait_count("case-refused", 1).await;
    browser.click("case-open").await;
    browser
        .wait_attr("refused-op", "data-code", "case.reg_no_mismatch")
        .await;
    browser
        .wait_text("registration-refused", "服务器未接受本工单的登记")
        .await;
    browser.wait_text("case-fields", "楼道堆放杂物").await;
    assert!(
        browser.find("actions").await.is_none(),
        "no action is offered on a case the server does not hold"
    );
    assert!(browser.find("open-edit").await.is_none());
    browser.click("nav-inbox").await;
    browser.wait_attr("inbox-count", "data-count", "0").await;
    browser.close().await;
}
