//! The tablet app in a real headless Chromium against the real server:
//! the whole complaint workflow, working offline through a server restart
//! and a browser restart, conflicts between two tablets, validation, the
//! password change a reset password requires, and the device identity the
//! server issues.

use e2e::{Browser, PASSWORD, Server};
use serde_json::{Value, json};

/// Loads the app again (a tablet that discarded the tab) and opens the
/// case with `reg_no`.
async fn reload_case(browser: &Browser, server: &Server, reg_no: &str) {
    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("case-list").await;
    open_case(browser, reg_no).await;
}

/// Opens the case with `reg_no` from the list.
async fn open_case(browser: &Browser, reg_no: &str) {
    browser.click("nav-list").await;
    let css = format!("[data-testid=\"case-row\"][data-reg-no=\"{reg_no}\"]");
    let row = browser
        .client
        .wait()
        .at_most(e2e::TIMEOUT)
        .for_element(fantoccini::Locator::Css(&css))
        .await
        .unwrap_or_else(|e| panic!("no row for {reg_no}: {e}"));
    row.click().await.expect("open the case");
    browser.wait_text("detail-reg-no", reg_no).await;
}

/// The message beside a field of an action form or of the correction
/// form a save was refused for stays while a sync draws the case again (a
/// colleague's note arrives), as what was typed does.
#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_beside_a_field_stays_when_a_sync_redraws_the_case() {
    use shared::case::CaseState;
    use shared::op::Action;
    let server = Server::start();
    server.seed();
    let mut tablet = e2e::bulk::Tablet::log_in(&server, "manager1", "另一台平板");
    let assign = Action::Assign {
        department: "工程部".into(),
        user: None,
        name: "李工".into(),
        note: String::new(),
    };
    let (case, reg_no, ops) = tablet.assessed_complaint(
        "地下室渗水",
        vec![
            (Some(CaseState::Assessed), assign),
            (Some(CaseState::Assigned), Action::Start),
        ],
    );
    tablet.push(&server, &ops);

    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    open_case(&browser, &reg_no.to_string()).await;
    browser.click("action-propose").await;
    browser.enter("in-measures", "封堵渗水点").await;
    browser.enter("in-yuan", "两千").await;
    browser.click("submit-propose").await;
    browser.wait_text("error-yuan", "金额").await;
    let said = browser.text("error-yuan").await;

    // A colleague's note arrives by sync, and the case is drawn again.
    let mut note_arrives = async |text: &str| {
        let note = tablet.op(
            case,
            Some(CaseState::InProgress),
            Action::Note {
                note_kind: shared::case::NoteKind::General,
                text: text.into(),
            },
        );
        tablet.push(&server, &[note]);
        browser.sync_now().await;
        browser.wait_text("timeline", text).await;
    };
    note_arrives("已联系物业工程部").await;
    assert_eq!(browser.text("error-yuan").await, said);
    assert_eq!(browser.value("in-measures").await, "封堵渗水点");

    // The correction form's, likewise.
    browser.click("open-edit").await;
    browser.fill("edit-phone", "12345").await;
    browser.click("save-edit").await;
    browser
        .wait_text("edit-error-complainant-phone", "手机号")
        .await;
    let said = browser.text("edit-error-complainant-phone").await;
    note_arrives("业主已拍照留证").await;
    assert_eq!(browser.text("edit-error-complainant-phone").await, said);
    assert_eq!(browser.value("edit-phone").await, "12345");
    browser.close().await;
}

/// The texts of every timeline entry on the detail screen.
async fn timeline(browser: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    for entry in browser.find_all("timeline-entry").await {
        out.push(entry.text().await.unwrap_or_default());
    }
    out
}

/// Logs in over HTTP as `login` with `password`, as a new device (the
/// server issues its id); returns the answer's status and body.
fn http_login(server: &Server, login: &str, password: &str) -> (u16, Value) {
    let mut resp = ureq::post(&server.url("/api/v1/auth/login"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(json!({ "login": login, "password": password, "device_name": "app e2e" }))
        .expect("log in over HTTP");
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_json().unwrap_or(Value::Null);
    (status, body)
}

/// Logs in over HTTP and returns a bearer token.
fn token(server: &Server, login: &str) -> String {
    let (status, body) = http_login(server, login, PASSWORD);
    assert_eq!(status, 200, "login answer {body}");
    body["token"].as_str().expect("a token").to_string()
}

/// `GET path` on the server as `login`.
fn get(server: &Server, login: &str, path: &str) -> Value {
    let token = token(server, login);
    let mut resp = ureq::get(&server.url(path))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    resp.body_mut().read_json().expect("a JSON answer")
}

/// An administrator's correction of `login`'s profile (`body`: name, role,
/// properties, department), which must be taken.
fn update_user(server: &Server, login: &str, body: Value) {
    let users = get(server, "admin1", "/api/v1/admin/users");
    let id = users
        .as_array()
        .and_then(|l| l.iter().find(|u| u["login"] == json!(login)))
        .and_then(|u| u["id"].as_str())
        .unwrap_or_else(|| panic!("no {login} in {users}"))
        .to_string();
    let resp = ureq::put(&server.url(&format!("/api/v1/admin/users/{id}")))
        .header(
            "Authorization",
            &format!("Bearer {}", token(server, "admin1")),
        )
        .send_json(body)
        .unwrap_or_else(|e| panic!("update {login}: {e}"));
    assert_eq!(resp.status().as_u16(), 200);
}

/// The server's case summaries as `login` sees them.
fn server_cases(server: &Server, login: &str) -> Vec<Value> {
    let page = get(server, login, "/api/v1/cases?per_page=100");
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_goes_through_the_whole_workflow() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;

    browser.click("nav-new").await;
    browser.wait_for_test_id("case-form").await;
    browser.screenshot("app-form").await;
    let reg_no = browser
        .register_complaint("张三", "卫生间天花板漏水，楼上装修后出现")
        .await;
    assert!(reg_no.starts_with("HY-"), "registration number {reg_no}");
    browser.click("open-case").await;
    browser
        .wait_attr("detail-state", "data-state", "registered")
        .await;

    browser
        .act(
            "assess",
            &[
                ("respondent", "保洁 王阿姨"),
                ("respondent_department", "保洁部"),
            ],
            "assessed",
        )
        .await;
    browser.click("action-assign").await;
    browser.choose_label("in-user", "李经理").await;
    browser.fill("in-department", "工程部").await;
    browser.fill("in-note", "请今天上门查看").await;
    browser.click("submit-assign").await;
    browser
        .wait_attr("detail-state", "data-state", "assigned")
        .await;
    browser.act("start", &[], "in_progress").await;
    // On site, the leak turns out to reach the wiring: the manager
    // assesses the case again, and it stays in the works.
    let entries = browser.find_all("timeline-entry").await.len();
    browser.wait_text("action-assess", "重新评估").await;
    browser.click("action-assess").await;
    // The names written before and the property's staff are offered, so
    // that one person is written one way.
    let offered = browser
        .eval(
            "return [...document.querySelectorAll('#respondent-known option, #respondent_department-known option')].map((o) => o.value);",
        )
        .await;
    for name in ["保洁 王阿姨", "保洁部", "王客服", "客服部"] {
        assert!(
            offered
                .as_array()
                .is_some_and(|o| o.iter().any(|v| v == name)),
            "{name} offered: {offered}"
        );
    }
    browser.choose("in-severity", "major").await;
    browser.click("submit-assess").await;
    browser.wait_count("timeline-entry", entries + 1).await;
    browser.wait_text("timeline", "重新评估为重大").await;
    assert_eq!(
        browser.attr("detail-state", "data-state").await,
        "in_progress"
    );
    browser
        .act(
            "propose",
            &[
                ("measures", "更换楼上防水层"),
                ("responsible", "张师傅"),
                ("planned_date", "2030-01-10"),
            ],
            "solution_proposed",
        )
        .await;
    // A new proposal starts from this one, a field or two to change.
    browser.click("action-propose").await;
    assert_eq!(browser.value("in-measures").await, "更换楼上防水层");
    assert_eq!(browser.value("in-responsible").await, "张师傅");
    assert_eq!(browser.value("in-planned_date").await, "2030-01-10");
    browser.click("cancel-action").await;
    browser.click("discard-confirm").await;
    // Resolved without telling the resident: no feedback method is asked
    // (one chosen here would tell nobody); the form says how it is told.
    browser.click("action-resolve").await;
    browser.wait_text("resolve-feedback-hint", "结果反馈").await;
    assert!(browser.find("in-method").await.is_none());
    browser.click("in-on_the_spot").await;
    browser.wait_for_test_id("in-method").await;
    assert!(browser.find("resolve-feedback-hint").await.is_none());
    browser.click("in-on_the_spot").await;
    browser.wait_for_test_id("resolve-feedback-hint").await;
    browser
        .enter("in-result", "防水层已更换，天花板已修复")
        .await;
    browser.click("submit-resolve").await;
    browser
        .wait_attr("detail-state", "data-state", "resolved")
        .await;
    browser
        .act(
            "follow_up",
            &[("satisfaction", "5"), ("comment", "很满意")],
            "followed_up",
        )
        .await;
    // The follow-up call told the resident the result.
    browser.wait_text("case-fields", "回访时告知").await;
    assert!(
        !browser.text("case-fields").await.contains("尚未告知住户"),
        "{}",
        browser.text("case-fields").await
    );
    // A valid complaint closes with its corrective action and that
    // action's verification: without the verification the form says so
    // beside its input and records nothing.
    browser.click("action-close").await;
    browser.fill("in-corrective", "装修前检查防水").await;
    browser.click("submit-close").await;
    browser.wait_text("error-verification", "验证情况").await;
    assert_eq!(
        browser.attr("detail-state", "data-state").await,
        "followed_up"
    );
    browser.fill("in-verification", "回访确认无漏水").await;
    browser.click("submit-close").await;
    browser
        .wait_attr("detail-state", "data-state", "closed")
        .await;
    browser.wait_count("timeline-entry", 9).await;
    // The resident is handed the result (处理结果反馈单): what was done,
    // the result and the improvement, a place for their opinion, and
    // nothing internal (the verification is the company's).
    browser.click("open-result").await;
    browser
        .wait_text("result-notice", "投诉处理结果反馈单")
        .await;
    let notice = browser.text("result-notice").await;
    for text in [
        reg_no.as_str(),
        "更换楼上防水层",
        "防水层已更换，天花板已修复",
        "装修前检查防水",
        "您对处理结果的意见",
        "住户签字",
    ] {
        assert!(notice.contains(text), "the notice has {text}: {notice}");
    }
    assert!(!notice.contains("回访确认无漏水"), "{notice}");
    let message = browser.value("result-message").await;
    assert!(
        message.contains(&reg_no) && message.contains("处理完毕"),
        "{message}"
    );
    assert_eq!(
        browser.print_pages("result").await,
        1,
        "the notice prints on one page (target/screenshots/result.pdf)"
    );
    browser.click("result-back").await;
    browser.wait_for_test_id("detail-state").await;
    // A later spot-check call (抽查回访) is recorded on the closed case
    // without reopening it.
    browser.click("action-follow_up").await;
    let spot_check = browser.wait_for_test_id("in-spot_check").await;
    assert_eq!(
        spot_check.prop("checked").await.ok().flatten().as_deref(),
        Some("true"),
        "a follow-up on a closed case is a spot-check"
    );
    browser.fill("in-comment", "抽查回访：满意").await;
    // The score is the resident's: nothing is chosen for them, and the
    // form says so beside it until it is.
    browser.click("submit-follow_up").await;
    browser
        .wait_text("error-satisfaction", "请选择住户的满意度")
        .await;
    browser.choose("in-satisfaction", "4").await;
    browser.click("submit-follow_up").await;
    browser.wait_count("timeline-entry", 10).await;
    assert_eq!(browser.attr("detail-state", "data-state").await, "closed");
    let entries = timeline(&browser).await;
    assert!(
        entries[0].contains("李经理"),
        "timeline names the actor: {entries:?}"
    );
    assert!(
        entries.iter().any(|e| e.contains("工程部")),
        "the handover is in the timeline: {entries:?}"
    );
    browser.wait_text("case-fields", "抽查回访").await;
    let calls: Vec<&String> = entries.iter().filter(|e| e.contains("回访：")).collect();
    assert!(
        calls.len() == 2 && !calls[0].contains("抽查") && calls[1].contains("抽查回访："),
        "the follow-up and the later spot-check read apart: {entries:?}"
    );
    browser.screenshot("app-detail").await;

    browser.wait_synced().await;
    let cases = server_cases(&server, "quality1");
    let summary = cases
        .iter()
        .find(|c| c["reg_no"] == json!(reg_no))
        .unwrap_or_else(|| panic!("{reg_no} is not on the server: {cases:?}"));
    assert_eq!(summary["state"], json!("closed"));
    let id = summary["id"].as_str().expect("an id");
    let case = get(&server, "quality1", &format!("/api/v1/cases/{id}"));
    assert_eq!(case["follow_ups"][0]["satisfaction"], json!(5), "{case}");
    assert_eq!(case["follow_ups"][1]["spot_check"], json!(true), "{case}");

    browser.click("nav-list").await;
    browser.wait_count("case-row", 1).await;
    assert_eq!(browser.attr("case-state", "data-state").await, "closed");
    browser.screenshot("app-list").await;
    browser.close().await;
}

/// A tap away while the case is being saved (the second tap, which
/// leaves what the form holds): the case is saved all the same and the app
/// goes on (it stopped, reading the gone screen's photos).
#[tokio::test(flavor = "multi_thread")]
async fn a_case_saved_as_the_screen_is_left_is_saved_and_the_app_goes_on() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.fill_complaint("蒋十三", "单元门禁无法关闭").await;
    let tapped = browser
        .eval(
            "document.querySelector('[data-testid=\"save-case\"]').click();
             const list = document.querySelector('[data-testid=\"nav-list\"]');
             list.click();
             list.click();
             return true;",
        )
        .await;
    assert_eq!(tapped, serde_json::json!(true));
    browser.wait_for_test_id("case-list").await;
    browser.wait_synced().await;
    let cases = server_cases(&server, "staff1");
    assert!(
        cases.iter().any(|c| c["summary"]
            .as_str()
            .is_some_and(|s| s.contains("单元门禁无法关闭"))),
        "{cases:?}"
    );
    // Still running: the intake opens again, empty.
    browser.click("nav-new").await;
    browser.wait_for_test_id("case-form").await;
    assert_eq!(browser.value("field-content").await, "");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_phone_is_reported_beside_the_field_and_nothing_is_saved() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;

    browser.click("nav-new").await;
    // Saved untouched with no property: every field asked for is said at
    // once, the channel among them (it was 电话 unless changed), not the
    // property alone.
    browser.choose("field-property", "").await;
    browser.click("save-case").await;
    browser.wait_text("error-property", "此项必填").await;
    browser.wait_text("error-channel", "此项必填").await;
    browser.wait_text("error-content", "请填写内容").await;
    browser.choose_label("field-property", "和园").await;
    browser.choose_label("field-building", "公共区域").await;
    browser.fill("field-name", "李四").await;
    browser.fill("field-phone", "12345").await;
    browser.choose("field-channel", "phone").await;
    browser.choose("field-category", "noise").await;
    browser.fill("field-content", "夜间施工噪音").await;
    // The time of receipt emptied too: both are said at the first try.
    let set_received = |value: &str| {
        format!(
            "const i = document.querySelector('[data-testid=\"field-received\"]');
             const was = i.value;
             i.value = '{value}';
             i.dispatchEvent(new Event('input', {{bubbles: true}}));
             return was;"
        )
    };
    let received = browser.eval(&set_received("")).await;
    let received = received.as_str().expect("the time shown").to_string();
    browser.click("save-case").await;

    browser.wait_text("error-received_at", "此项必填").await;
    // The first field refused, in the form's order, is brought to with
    // the cursor in it: the button is a screen below it on a tablet.
    browser
        .wait_until(
            "return document.activeElement?.dataset?.testid === 'field-phone';",
            "the phone field, the first refused, has the focus",
        )
        .await;
    browser.eval(&set_received(&received)).await;
    let message = browser.text("error-complainant-phone").await;
    assert!(
        !message.trim().is_empty(),
        "no message beside the phone field"
    );
    assert!(
        browser.find("case-saved").await.is_none(),
        "the case was saved"
    );
    // What was typed stays.
    assert_eq!(browser.value("field-phone").await, "12345");
    assert_eq!(browser.value("field-name").await, "李四");
    assert_eq!(browser.value("field-content").await, "夜间施工噪音");
    browser.screenshot("app-form-error").await;

    // Nothing reached the device's outbox or the server.
    assert_eq!(browser.attr("sync-pending", "data-pending").await, "0");
    browser.fill("field-phone", "0571-88886666").await;
    browser.choose("field-channel", "phone").await;
    // A tablet whose clock a flat battery reset to 1970 saves nothing the
    // server would refuse for good, and says why; what was typed stays.
    browser
        .eval("window.realNow = Date.now; Date.now = () => 86400000; return true;")
        .await;
    browser.click("save-case").await;
    browser.wait_text("save-error", "日期时间不对").await;
    browser
        .eval("Date.now = window.realNow; return true;")
        .await;
    assert_eq!(browser.attr("sync-pending", "data-pending").await, "0");
    assert_eq!(browser.value("field-content").await, "夜间施工噪音");
    browser.click("save-case").await;
    let reg_no = browser.text("reg-no").await;
    browser.wait_synced().await;
    let cases = server_cases(&server, "manager1");
    assert_eq!(cases.len(), 1, "exactly the corrected case: {cases:?}");
    assert_eq!(cases[0]["reg_no"], json!(reg_no));

    // An action form's problems are shown beside their field as well.
    browser.click("open-case").await;
    browser.click("action-note").await;
    browser.click("submit-note").await;
    browser.wait_text("error-text", "必填").await;
    browser.wait_count("timeline-entry", 1).await;
    browser.fill("in-text", "已电话联系业主").await;
    browser.click("submit-note").await;
    browser.wait_count("timeline-entry", 2).await;
    // What the complainant was told is refused beside its own input,
    // though the action names it otherwise (`note`).
    browser.click("action-resolve").await;
    browser.fill("in-result", "已当场解释噪音管理规定").await;
    // A case still at intake resolves only as answered on the spot: the
    // box is ticked and cannot be unticked into a refusal.
    let on_the_spot = browser
        .eval(
            "const box = document.querySelector('[data-testid=in-on_the_spot]'); \
             return [box.checked, box.disabled];",
        )
        .await;
    assert_eq!(on_the_spot, json!([true, true]));
    browser.click("submit-resolve").await;
    browser
        .wait_attr("detail-state", "data-state", "resolved")
        .await;
    browser.click("action-feedback").await;
    browser
        .eval(
            "const input = document.querySelector('[data-testid=in-comment]'); \
             input.value = '已电话告知处理结果。'.repeat(401); \
             input.dispatchEvent(new Event('input', {bubbles: true}));",
        )
        .await;
    browser.click("submit-feedback").await;
    browser.wait_text("error-comment", "不能超过4000个字").await;
    browser.fill("in-comment", "已电话告知处理结果").await;
    browser.click("submit-feedback").await;
    browser.wait_count("form-feedback", 0).await;
    browser.wait_synced().await;

    // A colleague of another property on the same tablet sees none of it;
    // the first user gets the case back at their next login.
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login("staff2").await;
    browser.wait_count("case-row", 0).await;
    browser.wait_for_test_id("empty").await;
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login("staff1").await;
    browser.wait_count("case-row", 1).await;
    browser.close().await;
}

/// The server cannot refuse a tablet clock that runs behind by less than
/// the allowed skew (an op may have been recorded long ago), so the app
/// says it, from the server's time in its answers, until an answer finds
/// the clock set right.
#[tokio::test(flavor = "multi_thread")]
async fn a_tablet_clock_that_runs_behind_is_said_until_it_is_set_right() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_synced().await;
    assert!(
        browser.find("clock-wrong").await.is_none(),
        "a clock that is right is called wrong"
    );
    browser
        .eval(
            "window.realNow = Date.now; \
             Date.now = () => window.realNow.call(Date) - (2 * 24 + 3) * 3600000; return true;",
        )
        .await;
    browser.sync_now().await;
    browser.wait_text("clock-wrong", "慢 2 天 3 小时").await;
    browser.screenshot("app-clock-wrong").await;
    browser
        .eval("Date.now = window.realNow; return true;")
        .await;
    browser.sync_now().await;
    browser
        .wait_until(
            "return !document.querySelector('[data-testid=\"clock-wrong\"]');",
            "the warning goes once the clock is right",
        )
        .await;
}

/// What a tablet's Chinese keyboard types is read as meant: the login
/// its keyboard capitalized, a phone in full width, a related case's
/// number in lowercase; and Enter pressed in a one-line field (for a new
/// line, or the keyboard's 前往) does not send a half-typed case.
#[tokio::test(flavor = "multi_thread")]
async fn what_a_chinese_tablet_keyboard_types_is_read_as_meant() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("Staff1").await;
    let first = browser.register_complaint("王五", "电梯按钮失灵").await;

    browser.fill_complaint("赵六", "小区路灯不亮").await;
    browser
        .fill("field-phone", "１３９　１２３４　５６７８")
        .await;
    // Pressed while the form would save: nothing is sent (the count of
    // the company's cases at the end says so too).
    browser
        .wait_for_test_id("field-name")
        .await
        .send_keys("\u{E007}")
        .await
        .expect("press Enter in the name");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        browser.find("case-saved").await.is_none(),
        "Enter sent the form"
    );
    browser.fill("field-related", "电梯").await;
    browser.click("save-case").await;
    browser
        .wait_text("error-related_case", "完整的登记号")
        .await;
    // Read out without its dashes, the number is offered all the same.
    browser
        .fill("field-related", &first.replace('-', "").to_lowercase())
        .await;
    browser.wait_text("field-related-option", &first).await;
    browser.fill("field-related", &first.to_lowercase()).await;
    browser.click("save-case").await;
    let second = browser.text("reg-no").await;
    browser.wait_synced().await;
    let id = case_id(&server, "manager1", &second);
    let saved = get(&server, "manager1", &format!("/api/v1/cases/{id}"));
    assert_eq!(
        (
            &saved["registration"]["complainant"]["phone"],
            &saved["registration"]["related_case"]
        ),
        (&json!("13912345678"), &json!(first)),
        "{saved}"
    );
    assert_eq!(
        server_cases(&server, "manager1").len(),
        2,
        "no case sent by Enter"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn work_done_offline_survives_reloads_restarts_and_syncs() {
    let mut server = Server::start();
    server.seed();
    let profile = tempfile::tempdir().expect("a browser profile");
    let browser = Browser::start_in(profile.path()).await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_service_worker().await;

    server.kill();
    let first = browser.register_complaint("王五", "电梯按钮失灵").await;
    browser.click("new-another").await;
    let second = browser.register_complaint("赵六", "小区路灯不亮").await;
    browser.click("open-case").await;
    browser.click("action-note").await;
    browser.fill("in-text", "已电话联系业主，约明早上门").await;
    browser.click("submit-note").await;
    browser.wait_count("timeline-entry", 2).await;
    browser.wait_attr("sync-pending", "data-pending", "3").await;

    // A reload with the server down: the service worker serves the app and
    // IndexedDB still has the cases and the outbox.
    browser.open(&server.url("/")).await;
    browser.wait_count("case-row", 2).await;
    browser.wait_attr("sync-pending", "data-pending", "3").await;
    browser.close().await;

    // A browser restart on the same profile, still offline.
    let browser = Browser::start_in(profile.path()).await;
    browser.open(&server.url("/")).await;
    browser.wait_count("case-row", 2).await;
    browser.wait_attr("sync-pending", "data-pending", "3").await;
    browser.click("nav-settings").await;
    browser.wait_count("outbox-op", 3).await;
    // A logout now is told what it costs before it is made.
    browser.click("logout").await;
    browser.wait_text("logout-ask", "3 条记录").await;
    browser.click("logout-cancel").await;
    open_case(&browser, &second).await;
    let offline_timeline = timeline(&browser).await;
    assert_eq!(offline_timeline.len(), 2);
    // Each step says it has not reached the server yet, until it has.
    assert!(
        offline_timeline.iter().all(|e| e.contains("待同步")),
        "{offline_timeline:?}"
    );
    browser.wait_count("timeline-unsent", 2).await;

    server.restart();
    browser.sync_now().await;
    browser.wait_count("timeline-unsent", 0).await;
    browser.wait_count("timeline-entry", 2).await;
    let cases = server_cases(&server, "manager1");
    let numbers: Vec<&Value> = cases.iter().map(|c| &c["reg_no"]).collect();
    assert_eq!(cases.len(), 2, "{numbers:?}");
    assert!(numbers.contains(&&json!(first)) && numbers.contains(&&json!(second)));

    // A colleague of the same property sees the same cases and timeline.
    let colleague = Browser::start().await;
    colleague.open(&server.url("/")).await;
    colleague.login("manager1").await;
    colleague.wait_count("case-row", 2).await;
    open_case(&colleague, &second).await;
    colleague.wait_count("timeline-entry", 2).await;
    let theirs = timeline(&colleague).await;
    assert!(
        theirs.iter().any(|e| e.contains("约明早上门")),
        "the note reached the colleague: {theirs:?}"
    );
    // Another property's staff sees none of it.
    let outsider = server_cases(&server, "staff2");
    assert!(outsider.is_empty(), "{outsider:?}");
    colleague.close().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tablets_acting_offline_on_one_case_show_the_same_conflict() {
    let mut server = Server::start();
    server.seed();
    let a = Browser::start().await;
    a.open(&server.url("/")).await;
    a.login("manager1").await;
    let reg_no = a.register_complaint("孙七", "垃圾清运不及时").await;
    a.wait_synced().await;
    let b = Browser::start().await;
    b.open(&server.url("/")).await;
    b.login("regional1").await;
    b.wait_count("case-row", 1).await;

    server.kill();
    open_case(&a, &reg_no).await;
    a.act("assess", &[], "assessed").await;
    open_case(&b, &reg_no).await;
    b.act("withdraw", &[("reason", "业主表示已自行解决")], "withdrawn")
        .await;

    server.restart();
    a.sync_now().await;
    b.sync_now().await;
    a.sync_now().await;

    a.wait_count("conflict", 1).await;
    b.wait_count("conflict", 1).await;
    let state_a = a.attr("detail-state", "data-state").await;
    let state_b = b.attr("detail-state", "data-state").await;
    assert_eq!(state_a, state_b, "both tablets fold to the same state");
    let conflict_a = a.text("conflict").await;
    let conflict_b = b.text("conflict").await;
    assert!(!conflict_a.is_empty());
    assert_eq!(conflict_a, conflict_b, "both show the same conflict");
    // What the withdrawal said is there to weigh before it is settled.
    for tablet in [&a, &b] {
        tablet
            .wait_text("conflict-text", "业主表示已自行解决")
            .await;
    }
    let server_state = server_cases(&server, "manager1")[0]["state"].clone();
    assert_eq!(server_state, json!(state_a));
    a.screenshot("app-conflict").await;
    a.close().await;
    b.close().await;
}

/// `POST path` on the server with `token` and a JSON body; returns the
/// status (the body of a 204 is empty).
fn post_status(server: &Server, token: &str, path: &str, body: &Value) -> u16 {
    ureq::post(&server.url(path))
        .config()
        .http_status_as_error(false)
        .build()
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(body)
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_the_admin_set_is_changed_at_the_next_login() {
    const TEMPORARY: &str = "temp-pass-1";
    const CHOSEN: &str = "my-own-pass-2";
    let server = Server::start();
    server.seed();
    let admin = token(&server, "admin1");
    let users = get(&server, "admin1", "/api/v1/admin/users");
    let staff1 = users
        .as_array()
        .and_then(|us| us.iter().find(|u| u["login"] == json!("staff1")))
        .unwrap_or_else(|| panic!("staff1 is a user: {users}"));
    let path = format!(
        "/api/v1/admin/users/{}/password",
        staff1["id"].as_str().expect("an id")
    );
    assert_eq!(
        post_status(&server, &admin, &path, &json!({ "new": TEMPORARY })),
        204
    );

    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.fill("login-name", "staff1").await;
    browser.fill("login-password", TEMPORARY).await;
    browser.name_tablet().await;
    browser.click("login-submit").await;
    browser.wait_for_test_id("password-change-screen").await;
    assert!(
        browser.find("nav-list").await.is_none(),
        "nothing else is offered"
    );

    // Too short: the form says so beside the field and sends nothing.
    browser.fill("password-new", "short").await;
    browser.fill("password-repeat", "short").await;
    browser.click("password-submit").await;
    browser.wait_text("password-new-error", "8").await;
    assert!(browser.find("password-change-screen").await.is_some());
    browser.screenshot("app-password-change").await;

    // Keeping the temporary password is refused beside the field.
    browser.fill("password-new", TEMPORARY).await;
    browser.fill("password-repeat", TEMPORARY).await;
    browser.click("password-submit").await;
    browser
        .wait_text("password-new-error", "不能与当前密码相同")
        .await;
    assert!(browser.find("password-change-screen").await.is_some());

    browser.fill("password-new", CHOSEN).await;
    browser.fill("password-repeat", CHOSEN).await;
    browser.click("password-submit").await;
    browser.wait_for_test_id("case-list").await;
    browser.wait_synced().await;

    let (status, body) = http_login(&server, "staff1", CHOSEN);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["must_change_password"], json!(false), "{body}");
    let (status, body) = http_login(&server, "staff1", TEMPORARY);
    assert_eq!(
        status, 401,
        "the temporary password no longer works: {body}"
    );

    // In settings, a wrong current password is named beside its field.
    browser.click("nav-settings").await;
    browser.fill("password-current", "not-my-password").await;
    browser.fill("password-new", "another-pass-3").await;
    browser.fill("password-repeat", "another-pass-3").await;
    browser.click("password-submit").await;
    browser
        .wait_text("password-current-error", "当前密码不正确")
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_device_is_the_one_the_server_issued_and_stays_it_across_logins() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.register_complaint("钱八", "单元门禁损坏").await;
    browser.wait_synced().await;

    browser.click("nav-settings").await;
    browser.wait_text("settings-device", "#").await;
    let shown = browser.attr("settings-device", "data-device").await;
    assert!(!shown.is_empty(), "settings shows no device id");
    let devices = get(&server, "admin1", "/api/v1/admin/devices");
    let listed = devices
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["id"] == json!(shown)))
        .unwrap_or_else(|| panic!("{shown} is not among the server's devices: {devices}"));
    assert_eq!(listed["acked_seq"], json!(1), "{listed}");

    // The next login proves the same device with its secret.
    browser.log_out().await;
    browser.login("staff1").await;
    browser.click("nav-settings").await;
    browser
        .wait_attr("settings-device", "data-device", &shown)
        .await;
    browser.close().await;
}

/// staff1's tablet with two cases on the server, the second registered
/// after a backup: what a restore of the backup loses.
struct Restorable {
    server: Server,
    browser: Browser,
    backup: tempfile::TempDir,
    kept: String,
    lost: String,
}

impl Restorable {
    async fn new() -> Restorable {
        let server = Server::start();
        server.seed();
        let browser = Browser::start().await;
        browser.open(&server.url("/")).await;
        browser.login("staff1").await;
        let kept = browser.register_complaint("孙一", "消防通道堆放杂物").await;
        browser.wait_synced().await;
        let backup = tempfile::tempdir().expect("a backup dir");
        server.cli(&["backup", &Restorable::file(&backup)]);
        browser.click("new-another").await;
        let lost = browser.register_complaint("孙二", "地下车库漏水").await;
        browser.wait_synced().await;
        assert_eq!(server_cases(&server, "manager1").len(), 2);
        Restorable {
            server,
            browser,
            backup,
            kept,
            lost,
        }
    }

    fn file(backup: &tempfile::TempDir) -> String {
        let file = backup.path().join("backup.db");
        file.to_str().expect("a UTF-8 path").to_string()
    }

    /// The server loses the second case: it is restored from the backup.
    fn restore(&mut self) {
        self.server.kill();
        self.server
            .cli(&["restore", &Restorable::file(&self.backup)]);
        self.server.restart();
        assert_eq!(server_cases(&self.server, "manager1").len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restored_from_a_backup_gets_the_ops_it_lost_again() {
    let mut r = Restorable::new().await;
    r.restore();
    let Restorable {
        server,
        browser,
        kept,
        lost,
        ..
    } = &r;
    // The next sync learns the new epoch, sends the op again and pulls
    // from the start; the tablet still shows each case once.
    browser.sync_now().await;
    let cases = server_cases(server, "manager1");
    let numbers: Vec<&Value> = cases.iter().map(|c| &c["reg_no"]).collect();
    assert_eq!(cases.len(), 2, "{numbers:?}");
    assert!(numbers.contains(&&json!(kept)) && numbers.contains(&&json!(lost)));
    browser.click("nav-list").await;
    browser.wait_count("case-row", 2).await;
    r.browser.close().await;
}

/// A restore also takes the acknowledgement of the tablet's later ops.
/// When another user logs in on the tablet first, the login counts what
/// waits against the restored acknowledgement: before, it counted against
/// the old one, found nothing waiting and cleared the previous user's
/// cases and ops, which the server no longer had.
#[tokio::test(flavor = "multi_thread")]
async fn after_a_restore_another_users_login_keeps_the_ops_the_server_lost() {
    let mut r = Restorable::new().await;
    r.browser.click("nav-settings").await;
    r.browser.log_out().await;
    r.restore();
    let browser = &r.browser;

    // A colleague picks up the tablet: refused while staff1's case waits,
    // and told whose it is.
    browser.fill("login-name", "manager1").await;
    browser.fill("login-password", PASSWORD).await;
    browser.click("login-submit").await;
    browser
        .wait_text("login-error", "条 王客服 的记录未同步")
        .await;
    // The session the server opened for the refused login is ended.
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    loop {
        let log = get(&r.server, "admin1", "/api/v1/admin/audit");
        let ended = log.as_array().is_some_and(|entries| {
            entries
                .iter()
                .any(|e| e["action"] == "auth.logout" && e["login"] == "manager1")
        });
        if ended {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no logout: {log}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // staff1 logs in and the case reaches the server again.
    browser.login("staff1").await;
    browser.sync_now().await;
    let cases = server_cases(&r.server, "manager1");
    assert!(
        cases.iter().any(|c| c["reg_no"] == json!(r.lost)),
        "{cases:?}"
    );
    r.browser.close().await;
}

/// Another user logs in before the restore: nothing waited, so staff1's
/// cases left the tablet, but it kept its own ops aside. The restored
/// server asks for the lost one again: without it, the server would wait
/// for that number forever, and no later op of the tablet would reach it.
/// Only its author may send it (the server takes an op only from its
/// author), so staff1's login is not refused for it, and sends it.
#[tokio::test(flavor = "multi_thread")]
async fn a_restore_after_another_users_login_gets_the_ops_it_lost_again() {
    let mut r = Restorable::new().await;
    r.browser.click("nav-settings").await;
    r.browser.log_out().await;
    r.browser.login("staff2").await;
    r.browser.wait_synced().await;
    r.browser.wait_count("case-row", 0).await;
    // The kept ops come back from storage too.
    r.browser.open(&r.server.url("/")).await;
    r.browser.wait_synced().await;
    r.browser.click("nav-settings").await;
    r.browser.log_out().await;
    r.restore();

    r.browser.login("staff1").await;
    r.browser.sync_now().await;
    let cases = server_cases(&r.server, "manager1");
    assert!(
        cases.iter().any(|c| c["reg_no"] == json!(r.lost)),
        "{cases:?}"
    );
    r.browser.click("nav-list").await;
    r.browser.wait_count("case-row", 2).await;
    r.browser.close().await;
}

/// manager1 records on the tablet while the server is down, and the
/// server comes back from a backup without staff1's last op and without
/// manager1's session. The server takes an op only from its author, and a
/// device's ops only in order: staff1's op goes first, under staff1's
/// login; manager1's, after it, waits for manager1's. Sent under the
/// wrong login, either would be refused for good; and neither login is
/// refused for the other's ops.
#[tokio::test(flavor = "multi_thread")]
async fn after_a_restore_each_users_ops_wait_for_their_own_login() {
    let mut r = Restorable::new().await;
    let browser = &r.browser;
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login("manager1").await;
    r.server.kill();
    let later = browser.register_complaint("孙三", "楼道灯不亮").await;
    r.server.cli(&["restore", &Restorable::file(&r.backup)]);
    r.server.restart();
    // The next sync finds the session gone.
    browser.click("sync-now").await;
    browser
        .wait_attr("device-blocked", "data-reason", "session_ended")
        .await;
    browser.click("blocked-relogin").await;
    let on_server = || -> Vec<Value> {
        server_cases(&r.server, "manager1")
            .into_iter()
            .map(|c| c["reg_no"].clone())
            .collect()
    };
    let log_in = |login: &'static str| async move {
        browser.fill("login-name", login).await;
        browser.fill("login-password", PASSWORD).await;
        browser.name_tablet().await;
        browser.click("login-submit").await;
        browser.wait_for_test_id("case-list").await;
    };

    // manager1 logs in again: staff1's op comes first and is not
    // manager1's to send, so nothing is sent, and the sync says why.
    log_in("manager1").await;
    browser.wait_text("sync-error", "记录人本人").await;
    let cases = on_server();
    assert!(!cases.contains(&json!(r.lost)), "{cases:?}");
    assert!(!cases.contains(&json!(later)), "{cases:?}");

    // staff1's login is not refused for manager1's op that waits after
    // staff1's: it sends staff1's, and leaves manager1's aside.
    browser.click("nav-settings").await;
    browser.log_out().await;
    log_in("staff1").await;
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    while !on_server().contains(&json!(r.lost)) {
        assert!(std::time::Instant::now() < deadline, "staff1's op is sent");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    browser.wait_text("sync-error", "记录人本人").await;
    let cases = on_server();
    assert!(!cases.contains(&json!(later)), "{cases:?}");

    // And manager1's next login sends manager1's.
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login("manager1").await;
    let cases = on_server();
    assert!(cases.contains(&json!(later)), "{cases:?}");
    let (_, quarantine) = r
        .server
        .get_json(&r.server.token("admin1"), "/api/v1/admin/quarantine");
    assert_eq!(quarantine, json!([]), "nothing refused");
    r.browser.close().await;
}

/// A pulled page the tablet's storage refuses (full, say) is pulled again
/// at the next sync: the device's pull cursor moves only with the page it
/// covers, so no other tablet's case is skipped for good.
#[tokio::test(flavor = "multi_thread")]
async fn a_pulled_page_the_storage_refused_is_pulled_again() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_synced().await;
    let before = browser.find_all("case-row").await.len();

    // From now on the browser refuses to store pulled pages.
    browser.refuse_store("pulled").await;
    push_case_from_another_tablet(&server, "水管爆裂");
    browser.click("sync-now").await;
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    while browser.text("sync-error").await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the refused page was reported"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(browser.find_all("case-row").await.len(), before);

    // The storage takes pages again: the next sync brings the case.
    browser.restore_storage().await;
    browser.sync_now().await;
    browser.wait_count("case-row", before + 1).await;
    // And it is stored: a reload shows it too.
    browser.open(&server.url("/")).await;
    browser.wait_count("case-row", before + 1).await;
    browser.close().await;
}

/// Registers a repair in 和园 from a new device of manager1's, over the
/// sync API.
fn push_case_from_another_tablet(server: &Server, content: &str) {
    let e2e::bulk::Tablet {
        login,
        property,
        actor,
        mut state,
    } = e2e::bulk::Tablet::log_in(server, "manager1", "another tablet");
    let at = chrono::Utc::now();
    let registration = shared::case::Registration {
        reg_no: state
            .next_reg_no(&property.code, chrono_tz::Asia::Shanghai, at)
            .expect("a registration number"),
        kind: shared::case::CaseKind::Repair,
        property: property.id,
        location: shared::property::Location::PublicArea,
        complainant: shared::case::Complainant {
            name: "王五".into(),
            phone: shared::phone::Phone::parse("13800003333").ok(),
            anonymous: false,
        },
        channel: shared::case::Channel::Phone,
        received_at: at,
        category: "maintenance".into(),
        content: content.into(),
        requested_remedy: String::new(),
        related_case: None,
        source_ref: String::new(),
    };
    let op = state.make_op(
        shared::id::OpId(uuid::Uuid::now_v7()),
        shared::id::CaseId(uuid::Uuid::now_v7()),
        actor,
        None,
        shared::op::Action::Register(registration),
        at,
    );
    let (status, answer) = server.post_json(
        Some(&login.token),
        "/api/v1/sync/push",
        &json!({ "device": login.device, "ops": [op] }),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");
}

/// The stored device state names a sequence number whose op was never
/// stored (its save failed after a sync had written the state): at the
/// next start the number is handed out again, so the next op fills the
/// gap and the outbox syncs instead of waiting forever.
#[tokio::test(flavor = "multi_thread")]
async fn a_sequence_number_whose_op_was_never_stored_is_used_again() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_synced().await;

    let stored = browser
        .client
        .execute_async(
            "const done = arguments[0];
             const open = indexedDB.open('complaints');
             open.onerror = () => done({error: String(open.error)});
             open.onsuccess = () => {
                 const tx = open.result.transaction(['device'], 'readwrite');
                 const states = tx.objectStore('device');
                 const read = states.get('state');
                 read.onsuccess = () => {
                     const state = JSON.parse(read.result);
                     state.last_seq += 1;
                     states.put(JSON.stringify(state), 'state');
                 };
                 tx.oncomplete = () => { open.result.close(); done({ok: true}); };
                 tx.onerror = () => done({error: String(tx.error)});
             };",
            vec![],
        )
        .await
        .expect("change the stored state");
    assert_eq!(stored, json!({"ok": true}), "{stored}");

    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("case-list").await;
    let reg_no = browser.register_complaint("孙七", "垃圾桶满了没人清").await;
    browser.sync_now().await;
    assert!(
        server_cases(&server, "staff1")
            .iter()
            .any(|c| c["reg_no"] == json!(reg_no)),
        "the case reached the server"
    );
    browser.close().await;
}

/// Two tabs of the app on one tablet would each load the device state and
/// hand out the same sequence numbers: the server would quarantine one
/// tab's ops as a clone. A second tab waits, saying why, until the first
/// closes, and then carries on from what the first stored. Over HTTPS at
/// a tablet's name, as the tablets reach the server.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_tab_waits_until_the_first_closes() {
    second_tab_waits_until_the_first_closes(true).await;
}

/// The same over plain HTTP at a name other than 127.0.0.1, where the
/// browser has no Web Locks: a lease in local storage stands in for them.
#[tokio::test(flavor = "multi_thread")]
async fn over_plain_http_a_second_tab_waits_until_the_first_closes() {
    second_tab_waits_until_the_first_closes(false).await;
}

/// Over plain HTTP the lease of a tab that is gone (crashed, or frozen
/// by the browser) holds the app only until its holder fails to answer;
/// and a tab that finds its lease taken when it wakes stops working and
/// waits, until the other tab turns out to be gone too.
#[tokio::test(flavor = "multi_thread")]
async fn over_plain_http_a_tab_that_is_gone_does_not_hold_the_app() {
    const HOST: &str = "tablet.test";
    let server = Server::start();
    server.seed();
    let browser = Browser::start_with(&server.chromium_args(HOST)).await;
    let lease_of = |tab: &str, age_ms: u32| {
        format!(
            "localStorage.setItem('tab-lease', JSON.stringify({{tab: '{tab}', at: Date.now() - {age_ms}}})); return true;"
        )
    };
    // A tab that crashed a minute ago left its lease behind (written from
    // a page of the origin that is not the app).
    browser
        .client
        .goto(&server.url_at(HOST, "/manifest.webmanifest"))
        .await
        .expect("open a page of the origin");
    browser.eval(&lease_of("crashed", 60_000)).await;
    browser.open(&server.url_at(HOST, "/")).await;
    browser.login("staff1").await;
    let mine = browser
        .eval("return JSON.parse(localStorage.getItem('tab-lease')).tab;")
        .await;
    assert_ne!(mine, json!("crashed"), "the lease is this tab's now");

    // Another tab took the lease while this one was asleep: this one
    // stops and waits; the other never renews it, so this one takes it
    // back and works again.
    browser.eval(&lease_of("other", 0)).await;
    browser.wait_for_test_id("open-elsewhere").await;
    browser.wait_for_test_id("case-list").await;
    assert!(browser.find("open-elsewhere").await.is_none());
    browser.wait_synced().await;
    browser.close().await;
}

async fn second_tab_waits_until_the_first_closes(tls: bool) {
    const HOST: &str = "tablet.test";
    let server = match tls {
        true => Server::start_tls(HOST),
        false => Server::start(),
    };
    server.seed();
    let browser = Browser::start_with(&server.chromium_args(HOST)).await;
    browser.open(&server.url_at(HOST, "/")).await;
    // Web Locks exist only in a secure context.
    assert_eq!(
        browser.eval("return !!navigator.locks;").await,
        json!(tls),
        "Web Locks only over HTTPS"
    );
    browser.login("staff1").await;
    browser.wait_synced().await;
    let first = browser.client.window().await.expect("the first tab");

    let second = browser
        .client
        .new_window(true)
        .await
        .expect("open a second tab")
        .handle;
    browser
        .client
        .switch_to_window(second.clone())
        .await
        .expect("switch to the second tab");
    browser.open(&server.url_at(HOST, "/")).await;
    browser.wait_for_test_id("open-elsewhere").await;
    assert!(
        browser.find("case-list").await.is_none(),
        "the second tab shows no cases while the first works"
    );
    if !tls {
        // The first tab stops renewing its lease, as a tab in the
        // background whose timers the browser slowed down. Its lease goes
        // stale, but asked, the first tab answers: the second keeps
        // waiting.
        browser
            .client
            .switch_to_window(first.clone())
            .await
            .expect("back to the first tab");
        browser
            .eval("for (let i = 1; i < 10000; i++) { clearInterval(i); } return true;")
            .await;
        browser
            .client
            .switch_to_window(second.clone())
            .await
            .expect("to the second tab");
        tokio::time::sleep(std::time::Duration::from_secs(15)).await;
        assert!(browser.find("open-elsewhere").await.is_some());
        assert!(browser.find("case-list").await.is_none());
    }

    browser
        .client
        .switch_to_window(first)
        .await
        .expect("back to the first tab");
    let in_first = browser.register_complaint("周一", "楼道灯不亮").await;
    browser
        .client
        .close_window()
        .await
        .expect("close the first tab");
    browser
        .client
        .switch_to_window(second)
        .await
        .expect("to the second tab");
    browser.wait_for_test_id("case-list").await;
    assert!(browser.find("open-elsewhere").await.is_none());
    let in_second = browser.register_complaint("吴二", "电梯异响").await;
    assert_ne!(in_first, in_second, "each case has its own number");
    browser.sync_now().await;

    let (status, page) = server.get_json(&server.token("staff1"), "/api/v1/cases?per_page=100");
    assert_eq!(status, 200, "{page}");
    let on_server = page["items"].as_array().cloned().unwrap_or_default();
    for reg_no in [&in_first, &in_second] {
        assert!(
            on_server.iter().any(|c| c["reg_no"] == json!(reg_no)),
            "{reg_no} reached the server: {on_server:?}"
        );
    }
    let (_, quarantine) = server.get_json(&server.token("admin1"), "/api/v1/admin/quarantine");
    assert_eq!(
        quarantine.as_array().map(Vec::len),
        Some(0),
        "nothing quarantined: {quarantine}"
    );
    browser.close().await;
}

/// A tablet offline for long keeps long notes in its outbox: more bytes
/// than one request the server reads (`MAX_REQUEST_BYTES`). They go in
/// several pushes, not as one request refused again at every sync.
#[tokio::test(flavor = "multi_thread")]
async fn an_outbox_larger_than_a_request_goes_in_several_pushes() {
    use shared::device::{Actor, DeviceState};
    use shared::op::{Action, Op};
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.register_complaint("郑三", "楼上漏水").await;
    browser.sync_now().await;

    let stored = browser
        .client
        .execute_async(
            "const done = arguments[0];
             const open = indexedDB.open('complaints');
             open.onerror = () => done({error: String(open.error)});
             open.onsuccess = () => {
                 const tx = open.result.transaction(['device', 'ops'], 'readonly');
                 const state = tx.objectStore('device').get('state');
                 const ops = tx.objectStore('ops').getAll();
                 tx.oncomplete = () => {
                     open.result.close();
                     done({state: state.result, ops: ops.result.map(r => r.json)});
                 };
                 tx.onerror = () => done({error: String(tx.error)});
             };",
            vec![],
        )
        .await
        .expect("read the stored state");
    let mut state: DeviceState =
        serde_json::from_str(stored["state"].as_str().expect("a stored state")).expect("a state");
    let registered: Op = stored["ops"]
        .as_array()
        .expect("stored ops")
        .iter()
        .filter_map(|json| serde_json::from_str::<Op>(json.as_str()?).ok())
        .find(|op| op.device == state.device)
        .expect("the registration");
    let actor = Actor {
        user: registered.author,
        role: registered.role,
    };
    // What a day's long notes made offline would leave.
    let text = "楼".repeat(shared::validation::MAX_TEXT);
    let notes: Vec<Op> = (0..380)
        .map(|_| {
            state.make_op(
                shared::id::OpId(uuid::Uuid::now_v7()),
                registered.case_id,
                actor,
                None,
                Action::Note {
                    note_kind: shared::case::NoteKind::General,
                    text: text.clone(),
                },
                chrono::Utc::now(),
            )
        })
        .collect();
    let records: Vec<Value> = notes
        .iter()
        .map(|op| {
            json!({
                "id": op.id.to_string(),
                "case_id": op.case_id.to_string(),
                "json": serde_json::to_string(op).expect("an op's JSON"),
            })
        })
        .collect();
    let bytes: usize = records
        .iter()
        .map(|r| r["json"].as_str().map_or(0, str::len))
        .sum();
    assert!(bytes > shared::wire::MAX_REQUEST_BYTES, "{bytes} bytes");
    let written = browser
        .client
        .execute_async(
            "const [records, state, done] = arguments;
             const open = indexedDB.open('complaints');
             open.onerror = () => done({error: String(open.error)});
             open.onsuccess = () => {
                 const tx = open.result.transaction(['device', 'ops'], 'readwrite');
                 for (const r of records) tx.objectStore('ops').put(r);
                 tx.objectStore('device').put(state, 'state');
                 tx.oncomplete = () => { open.result.close(); done({ok: true}); };
                 tx.onerror = () => done({error: String(tx.error)});
             };",
            vec![
                Value::Array(records),
                json!(serde_json::to_string(&state).expect("the state's JSON")),
            ],
        )
        .await
        .expect("store the notes");
    assert_eq!(written, json!({"ok": true}), "{written}");

    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("case-list").await;
    browser.sync_now().await;
    // Pulled page by page: so many long notes are more than one page.
    let mut on_server = 0;
    let mut after = 0;
    loop {
        let page = get(
            &server,
            "staff1",
            &format!("/api/v1/sync/pull?after={after}&limit=5000"),
        );
        on_server += page["ops"]
            .as_array()
            .expect("pulled ops")
            .iter()
            .filter(|p| p["op"]["case_id"] == json!(registered.case_id.to_string()))
            .count();
        after = page["cursor"].as_i64().expect("a cursor");
        if page["more"] != json!(true) {
            break;
        }
    }
    assert_eq!(on_server, 1 + notes.len());
    browser.close().await;
}

/// Another tablet registers a complaint, assesses it, and withdraws it
/// `n` times from the state it was registered in: `n` open conflicts,
/// which manager1's browser shows on the case.
async fn conflicts_open(n: usize) -> (Server, shared::id::CaseId, Browser) {
    use shared::case::CaseState;
    use shared::op::Action;
    let server = Server::start();
    server.seed();
    let mut tablet = e2e::bulk::Tablet::log_in(&server, "manager1", "另一台平板");
    let withdraw = || {
        let reason = "业主表示已自行解决".into();
        (Some(CaseState::Registered), Action::Withdraw { reason })
    };
    let (case, reg_no, ops) =
        tablet.assessed_complaint("电梯经常停运", (0..n).map(|_| withdraw()).collect());
    tablet.push(&server, &ops);

    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    open_case(&browser, &reg_no.to_string()).await;
    browser.wait_count("conflict-dismiss", n).await;
    (server, case, browser)
}

/// Two ops recorded at once (here two conflicts dismissed in one go),
/// where the first one's save fails after the second took its number:
/// before, the second was stored with the next number and the first's was
/// never used again, and the server, which takes a device's ops without
/// gaps, took nothing more from the tablet. Recording is one at a time, so
/// the second takes the number the first gave back.
#[tokio::test(flavor = "multi_thread")]
async fn two_ops_recorded_at_once_leave_no_gap_when_the_first_save_fails() {
    let (server, case, browser) = conflicts_open(2).await;
    // The first save's transaction aborts once the second has begun.
    let clicked = browser
        .eval(
            "const proto = IDBTransaction.prototype;
             const commit = proto.commit;
             let armed = true;
             proto.commit = function () {
                 if (armed && this.mode === 'readwrite' && this.objectStoreNames.contains('ops')) {
                     armed = false;
                     this.abort();
                     return;
                 }
                 return commit.call(this);
             };
             const buttons = document.querySelectorAll('[data-testid=\"conflict-dismiss\"]');
             buttons.forEach(b => b.click());
             return buttons.length;",
        )
        .await;
    assert_eq!(clicked, json!(2));
    browser.wait_count("conflict-dismiss", 1).await;
    browser.sync_now().await;
    let (_, detail) = server.get_json(&server.token("manager1"), &format!("/api/v1/cases/{case}"));
    let dismissed = detail["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .filter(|c| !c["resolved_by"].is_null())
        .count();
    assert_eq!(dismissed, 1, "{detail}");
    browser.close().await;
}

/// A conflict tapped twice before the first tap's op is saved is settled
/// once: before, both taps recorded a settlement, and the fold could only
/// keep the second (its conflict settled already) as a violation, shown
/// on every tablet.
#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_tapped_twice_is_settled_once() {
    let (server, case, browser) = conflicts_open(1).await;
    let clicked = browser
        .eval(
            "const button = document.querySelector('[data-testid=\"conflict-dismiss\"]');
             button.click();
             button.click();
             return true;",
        )
        .await;
    assert_eq!(clicked, json!(true));
    browser.wait_count("conflict-dismiss", 0).await;
    browser.sync_now().await;
    let (_, detail) = server.get_json(&server.token("manager1"), &format!("/api/v1/cases/{case}"));
    assert!(!detail["conflicts"][0]["resolved_by"].is_null(), "{detail}");
    assert_eq!(detail["violations"], json!([]), "{detail}");
    browser.close().await;
}

/// "Start afresh" on a restored intake form empties the choices too: the
/// lists show what the form will save. Before, they went on showing the
/// draft's kind, channel and property while the form held the blank ones,
/// and a case was saved as another kind, for another property, than shown.
#[tokio::test(flavor = "multi_thread")]
async fn starting_afresh_empties_the_choices_too() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.click("nav-new").await;
    let choices = async || {
        let mut shown = Vec::new();
        for field in [
            "field-kind",
            "field-channel",
            "field-property",
            "field-building",
            "field-category",
        ] {
            shown.push(browser.value(field).await);
        }
        shown
    };
    let blank = choices().await;
    browser.fill_complaint("冯十二", "小区门禁失灵").await;
    browser.choose("field-kind", "repair").await;
    browser.choose("field-channel", "field_visit").await;
    assert_ne!(choices().await, blank);

    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("case-list").await;
    browser.click("nav-new").await;
    browser.wait_for_test_id("draft-restored").await;
    assert_eq!(browser.value("field-kind").await, "repair");
    browser.click("draft-discard").await;
    assert_eq!(browser.value("field-content").await, "");
    assert_eq!(choices().await, blank);
    browser.close().await;
}

/// An assignment that lost a conflict to another one names someone who
/// has since left: applying it is not offered (the server would set it
/// aside), dismissing it is, with the reason said.
#[tokio::test(flavor = "multi_thread")]
async fn a_conflicted_assignment_to_someone_who_left_is_only_dismissed() {
    use shared::case::CaseState;
    use shared::op::Action;
    let server = Server::start();
    server.seed();
    let staff = e2e::bulk::Tablet::log_in(&server, "staff1", "王客服的平板")
        .actor
        .user;
    let mut tablet = e2e::bulk::Tablet::log_in(&server, "manager1", "另一台平板");
    let to = |user, name: &str| {
        let action = Action::Assign {
            department: "客服部".into(),
            user: Some(user),
            name: name.into(),
            note: String::new(),
        };
        (Some(CaseState::Assessed), action)
    };
    let me = tablet.actor.user;
    let regional = e2e::bulk::Tablet::log_in(&server, "regional1", "区域经理的平板")
        .actor
        .user;
    let steps = vec![
        to(me, "李经理"),
        to(staff, "王客服"),
        to(regional, "赵区域"),
    ];
    let (case, reg_no, ops) = tablet.assessed_complaint("地库积水", steps);
    tablet.push(&server, &ops);
    server.cli(&["user", "disable", "--login", "staff1"]);

    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    open_case(&browser, &reg_no.to_string()).await;
    browser.wait_count("conflict-dismiss", 2).await;
    // The assignments that lost say what they were, not "派单给 " nobody.
    let entries = timeline(&browser).await;
    let lost: Vec<&String> = entries.iter().filter(|e| e.contains("冲突")).collect();
    assert!(
        lost.len() == 2
            && lost
                .iter()
                .all(|e| e.contains("派单/转办") && !e.contains("派单给")),
        "{entries:?}"
    );
    let why = browser.wait_for_test_id("conflict-unassignable").await;
    let why = why.text().await.expect("the reason");
    assert!(why.contains("王客服"), "{why}");
    // Only the conflict naming the regional manager, who still works the
    // property's cases, may be applied.
    assert_eq!(browser.find_all("conflict-unassignable").await.len(), 1);
    assert_eq!(browser.find_all("conflict-apply").await.len(), 1);
    browser.click("conflict-dismiss").await;
    browser.wait_count("conflict-dismiss", 1).await;
    browser.click("conflict-apply").await;
    browser.wait_count("conflict-dismiss", 0).await;
    browser.sync_now().await;
    let (_, detail) = server.get_json(&server.token("manager1"), &format!("/api/v1/cases/{case}"));
    assert_eq!(detail["conflicts"][0]["applied"], json!(false), "{detail}");
    assert!(!detail["conflicts"][0]["resolved_by"].is_null(), "{detail}");
    assert_eq!(detail["conflicts"][1]["applied"], json!(true), "{detail}");
    assert_eq!(detail["assignee"]["user"], json!(regional), "{detail}");
    browser.close().await;
}

/// A form open on a case stays open, with what was typed, when a sync
/// brings a colleague's change to the case: the screen is drawn again for
/// the new case, and before, every open form was drawn anew and empty. A
/// correction is read against the case as it was when its form opened,
/// so saving it keeps the colleague's correction of another field.
#[tokio::test(flavor = "multi_thread")]
async fn a_form_open_on_a_case_keeps_what_was_typed_when_a_colleague_changes_the_case() {
    let server = Server::start();
    server.seed();
    let (browser, reg_no) = staff_on_a_new_case(&server, "周八", "楼道灯不亮").await;

    // Half-way through a note and a correction of the content.
    browser.click("action-note").await;
    browser.fill("in-text", "已联系电工，明天上午").await;
    browser.click("open-edit").await;
    browser.fill("edit-content", "楼道灯不亮，三楼和四楼").await;

    // Meanwhile the manager corrects the phone from another tablet.
    let (case, before) = phone_corrected_elsewhere(&server, &browser, &reg_no, "13900001111").await;

    browser.sync_now().await;
    browser.wait_count("timeline-entry", before + 1).await;
    assert_eq!(browser.value("in-text").await, "已联系电工，明天上午");
    assert_eq!(
        browser.value("edit-content").await,
        "楼道灯不亮，三楼和四楼"
    );

    browser.click("save-edit").await;
    browser.wait_count("edit-form", 0).await;
    browser.click("submit-note").await;
    browser.wait_count("form-note", 0).await;
    browser.sync_now().await;
    let detail = get(&server, "staff1", &format!("/api/v1/cases/{case}"));
    let registration = &detail["registration"];
    assert_eq!(registration["content"], json!("楼道灯不亮，三楼和四楼"));
    assert_eq!(
        registration["complainant"]["phone"],
        json!("13900001111"),
        "the manager's correction stays: {registration}"
    );
    let notes: Vec<&Value> = detail["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .filter(|e| e["action"] == json!("note"))
        .collect();
    assert_eq!(notes.len(), 1, "{detail}");
    browser.close().await;
}

/// The field being typed in keeps the focus, and its caret, when a sync
/// that came by itself draws the case again: the focus went, and with it
/// the tablet's keyboard, mid-sentence.
#[tokio::test(flavor = "multi_thread")]
async fn the_field_typed_in_keeps_the_focus_when_a_sync_draws_the_case_again() {
    let server = Server::start();
    server.seed();
    let (browser, reg_no) = staff_on_a_new_case(&server, "吴九", "门禁卡失灵").await;
    browser.click("action-note").await;
    browser.fill("in-text", "已联系物业").await;

    let (_, before) = phone_corrected_elsewhere(&server, &browser, &reg_no, "13900002222").await;
    // A sync of its own: a tap on the button would take the focus.
    browser
        .eval("document.querySelector('[data-testid=sync-now]').click(); return 0;")
        .await;
    browser.wait_count("timeline-entry", before + 1).await;
    browser
        .wait_until(
            "return document.activeElement?.dataset?.testid === 'in-text';",
            "the note's field has the focus again",
        )
        .await;
    browser
        .client
        .active_element()
        .await
        .expect("the focused field")
        .send_keys("，明天上门")
        .await
        .expect("type on");
    assert_eq!(browser.value("in-text").await, "已联系物业，明天上门");
    browser.close().await;
}

/// staff1 registers a complaint of `name` about `content`, syncs it and
/// opens it; answers the browser and the case's number.
async fn staff_on_a_new_case(server: &Server, name: &str, content: &str) -> (Browser, String) {
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint(name, content).await;
    browser.sync_now().await;
    open_case(&browser, &reg_no).await;
    (browser, reg_no)
}

/// The manager corrects the phone of case `reg_no` to `phone` from
/// another tablet, while `browser` shows it; answers the case and how many
/// timeline entries the browser showed before.
async fn phone_corrected_elsewhere(
    server: &Server,
    browser: &Browser,
    reg_no: &str,
    phone: &str,
) -> (shared::id::CaseId, usize) {
    let before = browser.find_all("timeline-entry").await.len();
    let case = case_id(server, "staff1", reg_no);
    act_from_another_tablet(
        server,
        case,
        None,
        shared::op::Action::Edit(shared::case::RegistrationPatch {
            complainant_phone: Some(shared::phone::Phone::parse(phone).ok()),
            ..Default::default()
        }),
    );
    (case, before)
}

/// The id of the case numbered `reg_no`, as `login` finds it on the server.
fn case_id(server: &Server, login: &str, reg_no: &str) -> shared::id::CaseId {
    let id = server_cases(server, login)
        .into_iter()
        .find(|c| c["reg_no"] == json!(reg_no))
        .expect("the case on the server")["id"]
        .as_str()
        .expect("an id")
        .to_string();
    shared::id::CaseId(id.parse().expect("a case id"))
}

/// The manager takes `action` on `case` from a tablet of their own, now.
fn act_from_another_tablet(
    server: &Server,
    case: shared::id::CaseId,
    expected_state: Option<shared::case::CaseState>,
    action: shared::op::Action,
) {
    let e2e::bulk::Tablet {
        login,
        actor,
        mut state,
        ..
    } = e2e::bulk::Tablet::log_in(server, "manager1", "经理的另一台平板");
    let op = state.make_op(
        shared::id::OpId(uuid::Uuid::now_v7()),
        case,
        actor,
        expected_state,
        action,
        chrono::Utc::now(),
    );
    let (status, answer) = server.post_json(
        Some(&login.token),
        "/api/v1/sync/push",
        &json!({ "device": login.device, "ops": [op] }),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");
}

/// When the browser refuses to keep a draft (its storage full) or the
/// language chosen, the screen says so, not only the console: a reload
/// would lose them. The next draft kept ends the warning, and that draft
/// is back after a reload.
#[tokio::test(flavor = "multi_thread")]
async fn a_draft_or_a_language_the_browser_refuses_to_keep_is_said() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.click("nav-new").await;
    browser
        .eval(
            "window.__setItem = window.__setItem || Storage.prototype.setItem;
             Storage.prototype.setItem = function (key, value) {
                 if (String(key).startsWith('draft:')) {
                     throw new DOMException('the disk is full', 'QuotaExceededError');
                 }
                 return window.__setItem.call(this, key, value);
             };
             return true;",
        )
        .await;
    browser.fill("field-content", "电梯按钮失灵").await;
    browser.wait_for_test_id("drafts-refused").await;
    // Leaving would drop it, with no draft to bring it back: the first tap
    // is held back and says so, what is typed stays.
    browser.click("nav-list").await;
    browser.wait_for_test_id("leave-warning").await;
    assert_eq!(browser.value("field-content").await, "电梯按钮失灵");

    browser
        .eval("Storage.prototype.setItem = window.__setItem; return true;")
        .await;
    browser.fill("field-content", "电梯按钮失灵，三号梯").await;
    browser.wait_count("drafts-refused", 0).await;
    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("case-list").await;
    browser.click("nav-new").await;
    browser.wait_for_test_id("draft-restored").await;
    assert_eq!(browser.value("field-content").await, "电梯按钮失灵，三号梯");

    browser.refuse_store("prefs").await;
    browser.click("nav-settings").await;
    browser.click("lang-en").await;
    browser
        .wait_text(
            "lang-unsaved",
            "The language could not be saved on this tablet; the next start shows the one before",
        )
        .await;
    browser.close().await;
}

/// Choices alone (the building and unit, the category) are a draft too:
/// they are back after a reload. Started afresh, the form is no draft
/// again.
#[tokio::test(flavor = "multi_thread")]
async fn choices_made_on_the_intake_form_are_back_after_a_reload() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.click("nav-new").await;
    browser.choose_label("field-property", "和园").await;
    browser.choose_label("field-building", "1栋").await;
    browser.choose_label("field-unit", "101").await;
    browser.choose("field-category", "maintenance").await;

    let reopen = async || {
        browser.open(&server.url("/")).await;
        browser.wait_for_test_id("case-list").await;
        browser.click("nav-new").await;
        browser.wait_for_test_id("case-form").await;
    };
    reopen().await;
    browser.wait_for_test_id("draft-restored").await;
    let chosen = |test_id: &str| {
        format!(
            "return document.querySelector('[data-testid={test_id}]').selectedOptions[0].textContent;"
        )
    };
    assert_eq!(browser.eval(&chosen("field-building")).await, json!("1栋"));
    assert_eq!(browser.eval(&chosen("field-unit")).await, json!("101"));
    assert_eq!(browser.value("field-category").await, "maintenance");

    browser.click("draft-discard").await;
    browser.wait_count("draft-restored", 0).await;
    reopen().await;
    assert!(browser.find("draft-restored").await.is_none());
    browser.close().await;
}

/// A registration saved is not offered again as a draft though the
/// draft's removal was lost (the browser killed right after the save: the
/// case is in IndexedDB, the draft in local storage, written apart); it
/// would be registered a second time, under a second number.
#[tokio::test(flavor = "multi_thread")]
async fn a_registration_saved_is_no_draft_though_its_removal_was_lost() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.fill_complaint("郑十二", "地库入口积水").await;
    let kept_draft =
        "const key = Object.keys(localStorage).find(k => k.startsWith('draft:intake:'));
         return [key, localStorage.getItem(key)];";
    let kept = browser.eval(kept_draft).await;
    assert!(kept[1].is_string(), "the draft is kept: {kept}");
    browser.click("save-case").await;
    browser.wait_for_test_id("reg-no").await;

    // The removal did not reach the disk: the draft is back as it was.
    browser
        .client
        .execute(
            "localStorage.setItem(arguments[0], arguments[1]); return true;",
            vec![kept[0].clone(), kept[1].clone()],
        )
        .await
        .expect("put the draft back");
    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("case-list").await;
    browser.click("nav-new").await;
    browser.wait_for_test_id("case-form").await;
    assert!(browser.find("draft-restored").await.is_none());
    assert_eq!(browser.value("field-content").await, "");
    browser.close().await;
}

/// What is typed into the intake form survives a reload (a tablet that
/// discarded the tab, a tap elsewhere) until the case is saved, and is
/// the typist's own: it is gone once another user logs in.
#[tokio::test(flavor = "multi_thread")]
async fn a_registration_half_typed_is_back_after_a_reload_until_it_is_saved() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.fill_complaint("郑十一", "地库入口积水").await;
    // The person is named as the kind names them.
    browser.wait_text("label-name", "投诉人姓名").await;
    browser.choose("field-kind", "repair").await;
    browser.wait_text("label-name", "报修人姓名").await;
    browser.choose("field-kind", "complaint").await;
    browser.wait_text("label-name", "投诉人姓名").await;

    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("case-list").await;
    browser.click("nav-new").await;
    browser.wait_for_test_id("draft-restored").await;
    assert_eq!(browser.value("field-name").await, "郑十一");
    assert_eq!(browser.value("field-content").await, "地库入口积水");
    assert_eq!(browser.value("field-phone").await, "13800138000");
    browser.click("save-case").await;
    let reg_no = browser.text("reg-no").await;
    browser.sync_now().await;
    assert!(
        server_cases(&server, "staff1")
            .iter()
            .any(|c| c["reg_no"] == json!(reg_no)),
        "the restored form was saved"
    );

    // Saved: the next form is empty.
    browser.click("new-another").await;
    browser.click("nav-new").await;
    assert_eq!(browser.value("field-content").await, "");
    assert!(browser.find("draft-restored").await.is_none());

    // Half typed again, and another user logs in: it is not theirs. The
    // login says so first and deletes it only when tapped again.
    browser.fill("field-content", "楼道堆放杂物").await;
    browser.click("nav-settings").await;
    // Its author hears it first, at the logout, and may stay.
    browser.click("logout").await;
    browser.wait_text("logout-ask", "1 份未保存的草稿").await;
    browser.click("logout-cancel").await;
    browser.wait_for_test_id("settings").await;
    browser.log_out().await;
    let drafts = "return Object.keys(localStorage).filter(k => k.startsWith('draft:')).length;";
    browser.fill("login-name", "staff2").await;
    browser.fill("login-password", PASSWORD).await;
    browser.click("login-submit").await;
    browser.wait_text("login-error", "未保存的草稿 1 份").await;
    browser.wait_text("login-submit", "删除草稿并登录").await;
    assert_eq!(
        browser.eval(drafts).await,
        json!(1),
        "staff1's draft is kept until confirmed"
    );
    browser.click("login-submit").await;
    browser.wait_for_test_id("case-list").await;
    browser.wait_synced().await;
    assert_eq!(
        browser.eval(drafts).await,
        json!(0),
        "staff1's draft went with the login"
    );
    browser.click("nav-new").await;
    assert_eq!(browser.value("field-content").await, "");
    assert!(browser.find("draft-restored").await.is_none());
    browser.close().await;
}

/// A correction kept while the manager saw the complainant whole comes
/// back masked once the company masks them for managers: the draft does
/// not keep what the screen no longer shows.
#[tokio::test(flavor = "multi_thread")]
async fn a_kept_correction_is_masked_as_the_case_is_now() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    let reg_no = browser
        .register_complaint("冯十三", "电梯按钮失灵，业主另留电话13912345678")
        .await;
    open_case(&browser, &reg_no).await;
    browser.click("open-edit").await;
    assert_eq!(browser.value("edit-phone").await, "13800138000");
    browser.fill("edit-remedy", "请尽快更换按钮").await;
    browser.click("nav-list").await;

    let token = server.token("admin1");
    let (status, mut settings) = server.get_json(&token, "/api/v1/admin/settings");
    assert_eq!(status, 200, "{settings}");
    settings["personal_data"]["manager"] = json!("masked");
    server.save_settings(&token, &settings);
    browser.sync_now().await;
    open_case(&browser, &reg_no).await;
    browser.wait_for_test_id("edit-form").await;
    assert_eq!(browser.value("edit-remedy").await, "请尽快更换按钮");
    let shown = [
        browser.value("edit-phone").await,
        browser.value("edit-name").await,
        browser.value("edit-content").await,
    ];
    assert!(
        shown[0].contains('*') && !shown[1].contains("十三") && !shown[2].contains("1234"),
        "{shown:?}"
    );
    browser.close().await;
}

/// A correction half typed is back, in its open form, after a reload; once
/// saved, it is not offered again.
#[tokio::test(flavor = "multi_thread")]
async fn a_correction_half_typed_is_back_after_a_reload() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint("冯十二", "电梯按钮失灵").await;
    open_case(&browser, &reg_no).await;
    browser.click("open-edit").await;
    browser.fill("edit-remedy", "请尽快更换按钮").await;

    reload_case(&browser, &server, &reg_no).await;
    browser.wait_for_test_id("edit-form").await;
    assert_eq!(browser.value("edit-remedy").await, "请尽快更换按钮");
    assert_eq!(browser.value("edit-name").await, "冯十二");
    browser.click("save-edit").await;
    browser.wait_count("edit-form", 0).await;
    browser.wait_count("timeline-entry", 2).await;

    reload_case(&browser, &server, &reg_no).await;
    browser.wait_count("timeline-entry", 2).await;
    assert!(browser.find("edit-form").await.is_none());
    browser.wait_synced().await;
    let summary = server_cases(&server, "manager1")
        .into_iter()
        .find(|c| c["reg_no"] == json!(reg_no))
        .expect("the case is on the server");
    let id = summary["id"].as_str().expect("an id");
    let case = get(&server, "manager1", &format!("/api/v1/cases/{id}"));
    assert_eq!(
        case["registration"]["requested_remedy"],
        json!("请尽快更换按钮"),
        "{case}"
    );
    browser.close().await;
}

/// A note half typed on a case is back, in its open form, after a reload
/// (a tablet that discarded the tab); once saved, it is not offered again.
#[tokio::test(flavor = "multi_thread")]
async fn a_note_half_typed_on_a_case_is_back_after_a_reload() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint("冯十二", "电梯按钮失灵").await;
    open_case(&browser, &reg_no).await;
    browser.click("action-note").await;
    browser.fill("in-text", "明早九点与业主一起看现场").await;

    reload_case(&browser, &server, &reg_no).await;
    assert_eq!(browser.value("in-text").await, "明早九点与业主一起看现场");
    browser.click("submit-note").await;
    browser.wait_count("form-note", 0).await;

    reload_case(&browser, &server, &reg_no).await;
    browser.wait_count("timeline-entry", 2).await;
    assert!(browser.find("form-note").await.is_none());
    browser.close().await;
}

/// An admin moves a staff member to another estate. Their tablet, asked
/// to log in again, drops the cases of the old estate and pulls those of
/// the new one from the start (its cursor was past all of them).
#[tokio::test(flavor = "multi_thread")]
async fn a_user_moved_to_another_property_gets_its_cases_and_loses_the_old_ones() {
    let server = Server::start();
    server.seed();
    server.cli(&[
        "property",
        "building",
        "--property",
        "JY",
        "--name",
        "2栋",
        "--units",
        "301",
    ]);
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    // A case of 景苑, registered by its own staff.
    browser.login("staff2").await;
    browser.click("nav-new").await;
    browser.choose_label("field-property", "景苑").await;
    browser.choose_label("field-building", "2栋").await;
    browser.choose_label("field-unit", "301").await;
    browser.fill("field-name", "吴九").await;
    browser.fill("field-phone", "13900139000").await;
    browser.choose("field-channel", "phone").await;
    browser.choose("field-category", "maintenance").await;
    browser.fill("field-content", "楼道灯不亮").await;
    browser.click("save-case").await;
    let jy_case = browser.text("reg-no").await;
    browser.wait_synced().await;
    browser.click("nav-settings").await;
    browser.log_out().await;
    // staff1 of 和园 on the same tablet.
    browser.login("staff1").await;
    let hy_case = browser.register_complaint("郑十", "门禁卡失灵").await;
    browser.wait_synced().await;
    browser.click("nav-list").await;
    browser.wait_count("case-row", 1).await;
    assert_eq!(browser.attr("case-row", "data-reg-no").await, hy_case);

    // The admin moves staff1 to 景苑.
    let properties = get(&server, "admin1", "/api/v1/admin/properties");
    let jy = properties
        .as_array()
        .and_then(|l| l.iter().find(|p| p["code"] == json!("JY")))
        .and_then(|p| p["id"].as_str())
        .unwrap_or_else(|| panic!("no JY in {properties}"))
        .to_string();
    update_user(
        &server,
        "staff1",
        json!({ "display_name": "王客服", "role": "staff", "properties": [jy] }),
    );

    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login("staff1").await;
    browser.click("nav-list").await;
    browser.wait_attr("case-row", "data-reg-no", &jy_case).await;
    browser.wait_count("case-row", 1).await;
    browser.close().await;
}

/// An admin moves a staff member to another estate while their tablet
/// holds a note not sent yet. The login that follows keeps the old
/// estate's cases, since the note must upload first, and pulls the new
/// estate's; once a sync has sent the note, the old estate's cases go
/// without another login, and the new estate's stay. The note, set aside
/// by the server, stays readable in the settings, and once an
/// administrator discarded it, says so there.
#[tokio::test(flavor = "multi_thread")]
async fn a_user_moved_with_work_waiting_loses_the_old_cases_once_it_is_sent() {
    let server = Server::start();
    server.seed();
    let mut colleague = e2e::bulk::Tablet::log_in_to(&server, "staff2", "景苑的平板", "JY");
    let (_, jy_case, ops) = colleague.complaint("景苑的路灯不亮", Vec::new());
    colleague.push(&server, &ops);
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let hy_case = browser.register_complaint("郑十", "门禁卡失灵").await;
    browser.wait_synced().await;

    update_user(
        &server,
        "staff1",
        json!({
            "display_name": "王客服",
            "role": "staff",
            "properties": [colleague.property.id],
        }),
    );

    // The tablet does not know yet: the note is recorded, and its sync
    // finds the session ended by the move.
    open_case(&browser, &hy_case).await;
    browser.click("action-note").await;
    browser.fill("in-text", "搬走前写的备注").await;
    browser.click("submit-note").await;
    browser
        .wait_attr("device-blocked", "data-reason", "session_ended")
        .await;
    browser.click("blocked-relogin").await;
    browser.login("staff1").await;
    browser.click("nav-list").await;
    browser
        .wait_attr("case-row", "data-reg-no", &jy_case.to_string())
        .await;
    browser.wait_count("case-row", 1).await;
    let (_, aside) = server.get_json(&token(&server, "admin1"), "/api/v1/admin/quarantine");
    assert_eq!(
        aside[0]["code"], "sync.out_of_scope",
        "the note reached the server: {aside}"
    );
    // The case went with the old estate, and the note with it from every
    // case screen: the settings still say what was set aside, why, and
    // what was typed.
    browser.click("nav-settings").await;
    browser
        .wait_attr("set-aside-op", "data-code", "sync.out_of_scope")
        .await;
    assert_eq!(browser.text("set-aside-reg-no").await, hy_case);
    browser.wait_text("set-aside-text", "搬走前写的备注").await;
    assert!(
        browser
            .text("sync-error")
            .await
            .contains("1 条记录被服务器隔离"),
        "the header counts it as waiting"
    );

    // The administrator discards it: the next sync learns so (no pull
    // would tell), the header stops counting it, and the list says why,
    // across a reload.
    let admin = token(&server, "admin1");
    let entry = aside[0]["id"].as_i64().expect("the entry");
    let (status, body) = server.post_json(
        Some(&admin),
        &format!("/api/v1/admin/quarantine/{entry}/discard"),
        &json!({ "reason": "已在新项目重新记录" }),
    );
    assert_eq!(status, 204, "{body}");
    browser.click("sync-now").await;
    browser
        .wait_attr("set-aside-op", "data-code", "quarantine.discarded")
        .await;
    assert!(
        !browser.text("sync-error").await.contains("隔离"),
        "no longer counted as waiting: {}",
        browser.text("sync-error").await
    );
    browser.open(&server.url("/")).await;
    browser.click("nav-settings").await;
    browser
        .wait_attr("set-aside-op", "data-code", "quarantine.discarded")
        .await;
    browser
        .wait_text("set-aside-op", "已在新项目重新记录")
        .await;
    browser.close().await;
}

/// A session left unused past its life (a tablet back from a month in a
/// drawer) is told to log in again, as an ended one is: the work recorded
/// meanwhile waits for the login and is then sent.
#[tokio::test(flavor = "multi_thread")]
async fn an_expired_session_asks_for_a_login_and_keeps_the_work() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_synced().await;
    {
        let db = rusqlite::Connection::open(server.data_dir().join("cases.sqlite3"))
            .expect("open the server's file");
        db.busy_timeout(std::time::Duration::from_secs(10))
            .expect("a busy timeout");
        let changed = db
            .execute(
                "UPDATE tokens SET expires_at = '2026-01-02T00:00:00.000Z' WHERE revoked = 0",
                [],
            )
            .expect("end the session");
        assert_eq!(changed, 1);
    }
    let reg_no = browser.register_complaint("钱七", "电梯按钮失灵").await;
    browser
        .wait_attr("device-blocked", "data-reason", "session_ended")
        .await;
    browser.click("blocked-relogin").await;
    browser.login("staff1").await;
    browser.wait_synced().await;
    let on_server: Vec<Value> = server_cases(&server, "staff1")
        .into_iter()
        .map(|c| c["reg_no"].clone())
        .collect();
    assert!(on_server.contains(&json!(reg_no)), "{on_server:?}");
    browser.close().await;
}

/// The server issues a tablet a new identity when it does not know its
/// secret (a database restored from before the tablet registered, say).
/// The old identity's unsent ops no longer sync and exist only on the
/// tablet: another user's login, which clears the cases, keeps them.
#[tokio::test(flavor = "multi_thread")]
async fn ops_of_a_former_device_id_survive_another_users_login() {
    let mut server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let old = browser.device_id().await;
    server.kill();
    browser.register_complaint("冯十一", "单元门禁失灵").await;
    browser.wait_attr("sync-pending", "data-pending", "1").await;
    // The secret the tablet holds is one the server does not know.
    browser.lose_device_secret().await;
    browser.click("nav-settings").await;
    browser.log_out().await;
    server.restart();
    browser.open(&server.url("/")).await;
    browser.fill("login-name", "staff1").await;
    browser.fill("login-password", PASSWORD).await;
    browser.name_tablet().await;
    browser.click("login-submit").await;
    browser.wait_for_test_id("case-list").await;
    assert_ne!(browser.device_id().await, old, "a new identity");
    browser.log_out().await;
    browser.login("manager1").await;
    let stranded = browser
        .client
        .execute_async(
            "const [device, done] = arguments;
             const open = indexedDB.open('complaints');
             open.onsuccess = () => {
                 const all = open.result.transaction('ops').objectStore('ops').getAll();
                 all.onsuccess = () => done(all.result.filter(r => JSON.parse(r.json).device === device).length);
             };",
            vec![json!(old)],
        )
        .await
        .expect("count the former identity's ops");
    assert_eq!(
        stranded,
        json!(1),
        "the former identity's op is still on the tablet"
    );

    // Its author is told in the settings and can export it for the
    // administrator.
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login("staff1").await;
    browser.wait_synced().await;
    browser.click("nav-settings").await;
    browser
        .wait_attr("settings-former", "data-count", "1")
        .await;
    // Opened as a download link opens (the page's CSP keeps `fetch` from
    // blob URLs).
    let href = browser.made_file("settings-export-former").await;
    browser.client.goto(&href).await.expect("open the export");
    let text = browser.eval("return document.body.innerText;").await;
    let file: Value = serde_json::from_str(text.as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the file is not JSON ({e}): {text}"));
    assert_eq!(file["count"], 1, "{file}");
    assert_eq!(file["ops"][0]["device"], json!(old), "{file}");
    assert!(
        file["what"].as_str().is_some_and(|w| w.contains("former")),
        "{file}"
    );
    browser.close().await;
}

/// The same properties under another role: what the tablet pulled was
/// masked for the old role (a department head sees no complainant's
/// name by default), so the login pulls the cases again, as a move to
/// other properties does.
#[tokio::test(flavor = "multi_thread")]
async fn a_user_given_another_role_sees_the_cases_as_that_role_does() {
    let server = Server::start();
    server.seed();
    let mut manager = e2e::bulk::Tablet::log_in(&server, "manager1", "经理的平板");
    let property = manager.property.id;
    let (_, reg_no, ops) = manager.assessed_complaint("水管漏水", Vec::new());
    manager.push(&server, &ops);

    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let shown = async || {
        open_case(&browser, &reg_no.to_string()).await;
        browser
            .eval("return document.body.innerText;")
            .await
            .as_str()
            .expect("the case's text")
            .to_string()
    };
    assert!(shown().await.contains("钱九"), "staff see the name");

    update_user(
        &server,
        "staff1",
        json!({
            "display_name": "王客服",
            "role": "department_head",
            "properties": [property],
            "department": "客服部",
        }),
    );

    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login("staff1").await;
    let text = shown().await;
    assert!(!text.contains("钱九") && text.contains("钱*"), "{text}");
    browser.close().await;
}

/// Fills the open void form as a duplicate of `duplicate_of`, confirms,
/// and waits for the refusal beside that field to say `says`.
async fn void_refused(browser: &Browser, duplicate_of: &str, says: &str) {
    browser.fill("in-duplicate_of", duplicate_of).await;
    browser.fill("in-reason", "重复登记").await;
    browser.click("submit-void").await;
    browser.wait_text("error-duplicate_of", says).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_registered_twice_is_voided_and_links_to_the_one_kept() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    let kept = browser
        .register_complaint("王五", "地下车库入口积水，车辆无法通行")
        .await;
    // The same matter, registered again at the desk (the intake warns,
    // and it may still be a new case).
    let twice = browser.register_complaint("王五", "车库入口积水").await;
    browser.click("open-case").await;
    browser.wait_text("detail-reg-no", &twice).await;

    browser.click("action-void").await;
    browser.wait_for_test_id("void-hint").await;
    // Its own number, or none at all, is refused beside the field and
    // nothing is recorded.
    void_refused(&browser, &twice, "另一张工单").await;
    void_refused(&browser, "HY-12", "登记号格式不正确").await;
    // A number of no case the tablet holds: the server would refuse it.
    void_refused(&browser, "HY-200101-0K-0001", "本平板上没有该登记号的工单").await;
    assert_eq!(
        browser.attr("detail-state", "data-state").await,
        "registered"
    );
    // The case it repeats is found as a related case is, by its words.
    browser.fill("in-duplicate_of", "无法通行").await;
    browser.click("in-duplicate_of-option").await;
    assert_eq!(browser.value("in-duplicate_of").await, kept);
    browser.click("submit-void").await;
    browser
        .wait_attr("detail-state", "data-state", "voided")
        .await;
    browser
        .wait_text("timeline", &format!("作废（与 {kept} 重复）：重复登记"))
        .await;
    assert!(
        browser.find_all("action-note").await.is_empty(),
        "a voided case takes no more actions"
    );
    // Each case links to the other.
    browser.click("duplicate-of").await;
    browser.wait_text("detail-reg-no", &kept).await;
    browser.wait_text("duplicate-from", &twice).await;
    browser.screenshot("app-voided-duplicate").await;
    // The one kept cannot be voided as a repeat of the one voided: the
    // matter would be in no figure.
    browser.click("action-void").await;
    void_refused(&browser, &twice, "已作废").await;
    browser.click("cancel-action").await;
    browser.click("discard-confirm").await;
    assert_eq!(
        browser.attr("detail-state", "data-state").await,
        "registered"
    );

    browser.wait_synced().await;
    let cases = server_cases(&server, "quality1");
    let state = |reg_no: &str| {
        cases
            .iter()
            .find(|c| c["reg_no"] == json!(reg_no))
            .map(|c| c["state"].clone())
    };
    assert_eq!(state(&twice), Some(json!("voided")), "{cases:?}");
    assert_eq!(state(&kept), Some(json!("registered")), "{cases:?}");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    // The year's cases counted, and those voided, as head office reads them.
    let counted = || {
        let stats = get(
            &server,
            "quality1",
            &format!("/api/v1/stats?period=year&from={today}"),
        );
        (stats["total"].clone(), stats["voided"].clone())
    };
    assert_eq!(counted(), (json!(1), json!(1)));

    // Voided by mistake after all: restored where it was, it counts again.
    open_case(&browser, &twice).await;
    browser
        .act("restore", &[("reason", "并非重复")], "registered")
        .await;
    browser
        .wait_text("timeline", "恢复了作废的工单：并非重复")
        .await;
    browser.wait_synced().await;
    assert_eq!(counted(), (json!(2), json!(0)));
    browser.close().await;
}

/// An assessment form holding only choices (major, urgent: a valid
/// complaint needs no reason) is a draft: the manager looks at another
/// screen and comes back to it as left, not to a general one.
#[tokio::test(flavor = "multi_thread")]
async fn an_action_form_holding_only_choices_is_kept() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    let reg_no = browser.register_complaint("郑一", "化粪池外溢").await;
    browser.click("open-case").await;
    browser.wait_text("detail-reg-no", &reg_no).await;
    browser.click("action-assess").await;
    browser.choose("in-severity", "major").await;
    browser.click("in-urgent").await;
    browser.click("nav-list").await;
    open_case(&browser, &reg_no).await;
    browser.wait_for_test_id("in-severity").await;
    assert_eq!(browser.value("in-severity").await, "major");
    let urgent = browser.wait_for_test_id("in-urgent").await;
    assert_eq!(
        urgent.prop("checked").await.ok().flatten().as_deref(),
        Some("true")
    );
    browser.close().await;
}

/// A second assessment's form starts from the assessment; when a
/// colleague replaces that assessment before it is confirmed, the form
/// would put the old one back with the one change made. What was not
/// changed in the form becomes the colleague's, what was stays as typed;
/// it says so, and records nothing until confirmed.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_assessment_replaced_meanwhile_starts_again_from_the_new_one() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    let reg_no = browser.register_complaint("吴九", "电梯运行时异响").await;
    browser.click("open-case").await;
    browser.wait_text("detail-reg-no", &reg_no).await;
    browser.act("assess", &[], "assessed").await;
    browser.sync_now().await;

    // The form is filled from the first assessment; urgent is ticked and
    // a reason typed.
    browser.click("action-assess").await;
    browser.click("in-urgent").await;
    browser.fill("in-reason", "夜间异响扰民").await;

    // Meanwhile, on another tablet, the case is found major.
    let case = case_id(&server, "manager1", &reg_no);
    act_from_another_tablet(
        &server,
        case,
        Some(shared::case::CaseState::Assessed),
        shared::op::Action::Assess {
            severity: shared::case::Severity::Major,
            urgent: false,
            validity: shared::case::Validity::Valid,
            reason: String::new(),
            respondent: String::new(),
            respondent_department: String::new(),
        },
    );
    let before = browser.find_all("timeline-entry").await.len();
    browser.sync_now().await;
    browser.wait_count("timeline-entry", before + 1).await;

    browser.click("submit-assess").await;
    browser.wait_text("action-error", "评估已被他人修改").await;
    assert_eq!(
        browser.value("in-severity").await,
        "major",
        "what the form did not change is the colleague's"
    );
    let urgent = browser.wait_for_test_id("in-urgent").await;
    assert_eq!(
        urgent.prop("checked").await.ok().flatten().as_deref(),
        Some("true"),
        "what the form changed stays"
    );
    assert_eq!(browser.value("in-reason").await, "夜间异响扰民");
    assert_eq!(
        browser.find_all("timeline-entry").await.len(),
        before + 1,
        "nothing recorded"
    );
    // Confirmed on the new one, the change is made to it.
    browser.click("submit-assess").await;
    browser.wait_count("timeline-entry", before + 2).await;
    browser.wait_synced().await;
    let detail = get(&server, "manager1", &format!("/api/v1/cases/{case}"));
    assert_eq!(detail["assessment"]["severity"], json!("major"), "{detail}");
    assert_eq!(detail["assessment"]["urgent"], json!(true), "{detail}");
    assert_eq!(
        detail["assessment"]["reason"],
        json!("夜间异响扰民"),
        "{detail}"
    );
    browser.close().await;
}

/// A form kept open while a colleague's step syncs in and moves the case
/// on records nothing until confirmed again: recorded at once, a
/// withdrawal would be taken as made on the colleague's assignment and
/// quietly end it, where one made offline would meet it as a conflict.
#[tokio::test(flavor = "multi_thread")]
async fn an_action_on_a_case_moved_on_meanwhile_is_confirmed_again() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    let reg_no = browser.register_complaint("钱七", "楼下商铺油烟扰民").await;
    browser.click("open-case").await;
    browser.wait_text("detail-reg-no", &reg_no).await;
    browser.act("assess", &[], "assessed").await;
    browser.sync_now().await;
    browser.click("action-withdraw").await;
    browser.fill("in-reason", "业主表示已与商铺协商").await;

    let case = case_id(&server, "manager1", &reg_no);
    act_from_another_tablet(
        &server,
        case,
        Some(shared::case::CaseState::Assessed),
        shared::op::Action::Assign {
            department: "工程部".into(),
            user: None,
            name: "李工".into(),
            note: String::new(),
        },
    );
    let before = browser.find_all("timeline-entry").await.len();
    browser.sync_now().await;
    browser.wait_count("timeline-entry", before + 1).await;
    browser
        .wait_attr("detail-state", "data-state", "assigned")
        .await;

    browser.click("submit-withdraw").await;
    browser
        .wait_text("action-error", "已由「已评估」变为「已派单」")
        .await;
    assert_eq!(browser.value("in-reason").await, "业主表示已与商铺协商");
    assert_eq!(
        browser.find_all("timeline-entry").await.len(),
        before + 1,
        "nothing recorded"
    );
    // Confirmed again, it is made on the state now shown.
    browser.click("submit-withdraw").await;
    browser
        .wait_attr("detail-state", "data-state", "withdrawn")
        .await;
    browser.wait_synced().await;
    let detail = get(&server, "manager1", &format!("/api/v1/cases/{case}"));
    assert_eq!(detail["state"], json!("withdrawn"), "{detail}");
    browser.close().await;
}

/// The time received starts as the intake screen opened and is taken
/// again at the first thing typed: a 登记 screen left open at the front
/// desk since the morning dates the afternoon's call in the afternoon. Set
/// by hand, it stays as set.
#[tokio::test(flavor = "multi_thread")]
async fn the_time_received_is_taken_when_typing_starts() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.click("nav-new").await;
    browser.wait_for_test_id("case-form").await;
    let minutes = |v: &str| {
        chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
            .unwrap_or_else(|e| panic!("{v:?}: {e}"))
            .and_utc()
            .timestamp()
            / 60
    };
    let shown = browser.value("field-received").await;
    let opened = minutes(&shown);
    // Three hours pass with the screen open (the tablet's clock moves on).
    let later = |hours: u32| {
        format!(
            "const real = Date.now; Date.now = () => real() + {hours} * 3600 * 1000; return true;"
        )
    };
    browser.eval(&later(3)).await;
    browser.fill("field-content", "地库入口积水").await;
    browser
        .wait_until(
            &format!(
                "return document.querySelector('[data-testid=field-received]').value !== {shown:?};"
            ),
            "the time received taken again at the first thing typed",
        )
        .await;
    let typed = minutes(&browser.value("field-received").await);
    assert!(
        (179..=181).contains(&(typed - opened)),
        "opened {opened}, typed {typed}"
    );

    // Set by hand before anything is typed, it is not taken again.
    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("case-list").await;
    browser.click("nav-new").await;
    browser.click("draft-discard").await;
    browser.wait_count("draft-restored", 0).await;
    browser.set_date("field-received", "2026-03-02T08:15").await;
    browser.eval(&later(5)).await;
    browser.fill("field-content", "电梯异响").await;
    browser.fill("field-name", "郑十一").await;
    assert_eq!(browser.value("field-received").await, "2026-03-02T08:15");
}

/// Leaves the tablet unused for `minutes`, as the lock reckons it: the
/// page's own clock runs on by them, and the last use kept for the next
/// page is as long ago by the wall clock.
async fn leave_unused(browser: &Browser, minutes: u32) {
    browser.eval(&e2e::idle_for(minutes)).await;
}

/// Whether the element with `test_id` shows on the screen.
async fn shows(browser: &Browser, test_id: &str) -> bool {
    browser
        .eval(&format!(
            "const e = document.querySelector('[data-testid=\"{test_id}\"]'); return !!e && e.checkVisibility();"
        ))
        .await
        .as_bool()
        .unwrap_or(false)
}

/// A shared tablet left unused for the company's minutes (ten by
/// default) hides every screen until the user types their password,
/// offline too; what was half typed is there after the unlock. A reload
/// starts locked, wrong passwords count across it, and the fifth ends the
/// login on the tablet. The lock's wait is a company setting, bounded.
#[tokio::test(flavor = "multi_thread")]
async fn a_tablet_left_unused_locks_until_its_user_types_the_password() {
    let mut server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    browser.click("nav-new").await;
    browser.fill("field-content", "电梯按钮失灵").await;
    leave_unused(&browser, 9).await;
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    assert!(
        browser.find("idle-lock").await.is_none(),
        "locked before ten minutes"
    );

    // Offline: the password is checked on the tablet.
    server.kill();
    leave_unused(&browser, 11).await;
    browser.wait_for_test_id("idle-lock").await;
    assert!(
        !shows(&browser, "app-main").await,
        "the screens show under the lock"
    );
    assert!(
        !shows(&browser, "nav-list").await,
        "the navigation shows under the lock"
    );
    browser.screenshot("app-idle-lock").await;
    browser.fill("unlock-password", "not the password").await;
    browser.click("unlock-submit").await;
    browser.wait_text("unlock-error", "还可再试 4 次").await;
    assert!(browser.find("idle-lock").await.is_some());
    browser.fill("unlock-password", PASSWORD).await;
    browser.click("unlock-submit").await;
    browser
        .wait_until(
            "return !document.querySelector('[data-testid=\"idle-lock\"]');",
            "the right password opens the lock",
        )
        .await;
    assert!(shows(&browser, "field-content").await);
    assert_eq!(browser.value("field-content").await, "电梯按钮失灵");

    // The browser opened again the next morning: locked from the start,
    // by the last use kept (not by a latch of this page's).
    server.restart();
    leave_unused(&browser, 11).await;
    browser
        .eval("localStorage.removeItem('idle-locked'); return true;")
        .await;
    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("idle-lock").await;
    assert!(!shows(&browser, "app-main").await);
    for left in [4, 3] {
        browser.fill("unlock-password", "guess").await;
        browser.click("unlock-submit").await;
        browser
            .wait_text("unlock-error", &format!("还可再试 {left} 次"))
            .await;
    }
    // A reload gives no attempt back.
    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("idle-lock").await;
    for left in [2, 1] {
        browser.fill("unlock-password", "guess").await;
        browser.click("unlock-submit").await;
        browser
            .wait_text("unlock-error", &format!("还可再试 {left} 次"))
            .await;
    }
    browser.fill("unlock-password", "guess").await;
    browser.click("unlock-submit").await;
    browser.wait_for_test_id("login-form").await;
    browser.wait_text("idle-lock-ended", "本机已退出登录").await;

    // Their next login (online) goes on; the company then turns the lock
    // off (0).
    browser.login("manager1").await;
    let token = server.token("admin1");
    let (status, mut settings) = server.get_json(&token, "/api/v1/admin/settings");
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["idle_lock_minutes"], json!(10));
    settings["idle_lock_minutes"] = json!(0);
    server.save_settings(&token, &settings);
    browser.sync_now().await;
    leave_unused(&browser, 600).await;
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    assert!(
        browser.find("idle-lock").await.is_none(),
        "locked with the lock turned off"
    );
}

/// A pulled op this build cannot read (a newer release's action, pulled
/// from a server rolled back after it) does not stop the pull: it is kept
/// as the server wrote it, for a later build, and what comes after it
/// still arrives.
#[tokio::test(flavor = "multi_thread")]
async fn a_pulled_op_this_build_cannot_read_does_not_stop_the_pull() {
    let server = Server::start();
    server.seed();
    // The manager's other tablet, on which the server sends ops whole.
    let mut colleague = e2e::bulk::Tablet::log_in(&server, "manager1", "经理的另一台平板");
    let (_, first, ops) = colleague.assessed_complaint("电梯异响", vec![]);
    colleague.push(&server, &ops);
    {
        let db = rusqlite::Connection::open(server.data_dir().join("cases.sqlite3"))
            .expect("open the server's file");
        db.busy_timeout(std::time::Duration::from_secs(10))
            .expect("a busy timeout");
        let changed = db
            .execute(
                "UPDATE ops SET json = replace(json, '\"type\":\"assess\"', '\"type\":\"assess_in_a_newer_release\"') \
                 WHERE json LIKE '%\"type\":\"assess\"%'",
                [],
            )
            .expect("make the op one of a newer release");
        assert_eq!(changed, 1);
    }
    let (_, second, ops) = colleague.complaint("路灯不亮", vec![]);
    colleague.push(&server, &ops);

    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    browser.wait_synced().await;
    let list = browser.text("case-list").await;
    for reg_no in [&first, &second] {
        assert!(
            list.contains(&reg_no.to_string()),
            "{reg_no} listed: {list}"
        );
    }
    let kept = browser
        .client
        .execute_async(
            "const done = arguments[0];
             const open = indexedDB.open('complaints');
             open.onerror = () => done(String(open.error));
             open.onsuccess = () => {
                 const read = open.result.transaction(['pulled']).objectStore('pulled').getAll();
                 read.onsuccess = () => { open.result.close(); done(read.result.join('')); };
                 read.onerror = () => done(String(read.error));
             };",
            vec![],
        )
        .await
        .expect("read the stored pages");
    assert!(
        kept.as_str()
            .is_some_and(|pages| pages.contains("assess_in_a_newer_release")),
        "the op is kept as written: {kept}"
    );
}
