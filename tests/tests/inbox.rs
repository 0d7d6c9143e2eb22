//! 我的待办 in a real headless Chromium against the real server: after a
//! sync, a compensation waits in the inbox of the role that may approve
//! it, an escalation in the inbox of its target role, the assignment in the
//! assignee's, and nothing in the inbox of a user it is not meant for.

use e2e::{Browser, PASSWORD, Server};

async fn switch_user(browser: &Browser, login: &str) {
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login(login).await;
}

/// A complaint staff1 registers and answers on the spot, the detail open:
/// its registration number.
async fn answered_on_the_spot(server: &Server, content: &str, result: &str) -> (Browser, String) {
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint("王五", content).await;
    browser.click("open-case").await;
    browser.click("action-resolve").await;
    browser.fill("in-result", result).await;
    browser.click("submit-resolve").await;
    browser
        .wait_attr("detail-state", "data-state", "resolved")
        .await;
    (browser, reg_no)
}

/// The reason codes of the inbox's only item, once the header counts it.
async fn only_item_reasons(browser: &Browser, reg_no: &str) -> Vec<String> {
    browser.wait_attr("inbox-count", "data-count", "1").await;
    browser.click("nav-inbox").await;
    browser.wait_count("inbox-item", 1).await;
    assert_eq!(browser.attr("inbox-item", "data-reg-no").await, reg_no);
    browser
        .attr("inbox-item", "data-reason")
        .await
        .split(' ')
        .map(String::from)
        .collect()
}

/// deputy1 (孙副总), a deputy GM of 和园, who approves up to 3,000 yuan.
fn add_deputy_gm(server: &Server) {
    server.cli(&[
        "user",
        "add",
        "--own-password",
        "--login",
        "deputy1",
        "--name",
        "孙副总",
        "--role",
        "deputy_gm",
        "--password",
        PASSWORD,
        "--property",
        "HY",
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_escalation_and_a_pending_approval_reach_the_right_users_after_sync() {
    let server = Server::start();
    server.seed();
    // 2,000 yuan is above the regional manager's limit (1,000): a deputy
    // GM of 和园 approves it.
    add_deputy_gm(&server);
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_attr("inbox-count", "data-count", "0").await;
    let reg_no = browser
        .register_complaint("张三", "地下车库漏水，车辆被淹")
        .await;
    browser.wait_synced().await;

    // The manager assesses it as major, assigns it to staff1, and once a
    // solution with compensation is proposed escalates it to the regional
    // manager.
    switch_user(&browser, "manager1").await;
    browser.click("case-open").await;
    browser.click("action-assess").await;
    browser.choose("in-severity", "major").await;
    browser.fill("in-reason", "车辆受损，业主要求赔偿").await;
    browser.click("submit-assess").await;
    browser
        .wait_attr("detail-state", "data-state", "assessed")
        .await;
    browser.click("action-assign").await;
    // The department is left empty: the chosen user's own is taken.
    browser.choose_label("in-user", "王客服").await;
    browser.click("submit-assign").await;
    browser
        .wait_attr("detail-state", "data-state", "assigned")
        .await;
    browser.act("start", &[], "in_progress").await;
    browser
        .act(
            "propose",
            &[
                ("measures", "修复排水泵，赔偿洗车及维修费用"),
                ("responsible", "工程部张师傅"),
                ("yuan", "2000"),
                ("planned_date", "2030-01-10"),
            ],
            "solution_proposed",
        )
        .await;
    let entries = browser.find_all("timeline-entry").await.len();
    browser.click("action-escalate").await;
    browser.fill("in-reason", "业主要求区域经理出面").await;
    browser.click("submit-escalate").await;
    browser.wait_count("timeline-entry", entries + 1).await;
    browser.sync_now().await;
    let token = server.token("manager1");
    let (status, page) = server.get_json(&token, &format!("/api/v1/cases?q={reg_no}"));
    assert_eq!(status, 200, "{page}");
    let id = page["items"][0]["id"].as_str().expect("the case is listed");
    let (_, case) = server.get_json(&token, &format!("/api/v1/cases/{id}"));
    assert_eq!(
        case["assignee"]["department"], "客服部",
        "the chosen user's department: {case}"
    );

    // The deputy GM: the approval (and the major case), not the escalation.
    switch_user(&browser, "deputy1").await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert!(reasons.contains(&"approval".into()), "{reasons:?}");
    assert!(reasons.contains(&"major".into()), "{reasons:?}");
    assert!(!reasons.contains(&"escalated".into()), "{reasons:?}");
    browser
        .wait_text("inbox-reason", "待我审批：赔偿 2000.00 元")
        .await;
    // Reminders never break the screen, whatever the browser allows.
    let mut switch = Vec::new();
    for id in [
        "reminders-enable",
        "reminders-on",
        "reminders-blocked",
        "reminders-unsupported",
    ] {
        switch.extend(browser.find(id).await);
    }
    assert_eq!(switch.len(), 1, "one reminders switch");
    // The item opens its case.
    browser.click("inbox-open").await;
    browser
        .wait_attr("detail-state", "data-state", "solution_proposed")
        .await;

    // The regional manager: the escalation, not the approval.
    switch_user(&browser, "regional1").await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert!(reasons.contains(&"escalated".into()), "{reasons:?}");
    assert!(!reasons.contains(&"approval".into()), "{reasons:?}");

    // The assignee: the assignment, neither the approval nor the escalation.
    switch_user(&browser, "staff1").await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert!(reasons.contains(&"assigned".into()), "{reasons:?}");
    assert!(!reasons.contains(&"approval".into()), "{reasons:?}");
    assert!(!reasons.contains(&"escalated".into()), "{reasons:?}");

    // Staff of another property: nothing.
    switch_user(&browser, "staff2").await;
    browser.wait_attr("inbox-count", "data-count", "0").await;
    browser.click("nav-inbox").await;
    browser.wait_for_test_id("inbox-empty").await;
    browser.wait_count("inbox-item", 0).await;
    browser.close().await;
}

/// A compensation is decided by someone other than whoever proposed it:
/// the regional manager who proposed 500 yuan is offered no decision and
/// has nothing to approve in the inbox; the deputy GM has.
#[tokio::test(flavor = "multi_thread")]
async fn a_compensation_is_never_decided_by_whoever_proposed_it() {
    let server = Server::start();
    server.seed();
    add_deputy_gm(&server);
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint("张三", "装修损坏了地板").await;
    browser.wait_synced().await;

    switch_user(&browser, "manager1").await;
    browser.click("case-open").await;
    browser.act("assess", &[], "assessed").await;
    browser.click("action-assign").await;
    browser.choose_label("in-user", "王客服").await;
    browser.click("submit-assign").await;
    browser
        .wait_attr("detail-state", "data-state", "assigned")
        .await;
    browser.act("start", &[], "in_progress").await;
    browser.wait_synced().await;

    switch_user(&browser, "regional1").await;
    browser.click("nav-list").await;
    browser.click("case-open").await;
    browser
        .act(
            "propose",
            &[
                ("measures", "更换地板"),
                ("responsible", "工程部张师傅"),
                ("planned_date", "2030-01-10"),
                ("yuan", "500"),
            ],
            "solution_proposed",
        )
        .await;
    browser.wait_for_test_id("action-escalate").await;
    assert!(
        browser.find("action-approve").await.is_none(),
        "the proposer is offered no decision"
    );
    browser.wait_synced().await;
    browser.click("nav-inbox").await;
    // The inbox drawn first: its items, or that it is empty.
    let count: usize = browser
        .attr("inbox-count", "data-count")
        .await
        .parse()
        .expect("a count");
    if count == 0 {
        browser.wait_for_test_id("inbox-empty").await;
    } else {
        browser.wait_count("inbox-item", count).await;
    }
    for item in browser.find_all("inbox-item").await {
        let reasons = item
            .attr("data-reason")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        assert!(!reasons.contains("approval"), "{reasons}");
    }

    switch_user(&browser, "deputy1").await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert!(reasons.contains(&"approval".into()), "{reasons:?}");
    browser.click("inbox-open").await;
    browser
        .act("approve", &[("comment", "同意")], "solution_proposed")
        .await;
    browser.wait_synced().await;
    let token = server.token("deputy1");
    let (_, page) = server.get_json(&token, &format!("/api/v1/cases?q={reg_no}"));
    let id = page["items"][0]["id"].as_str().expect("the case is listed");
    let (_, case) = server.get_json(&token, &format!("/api/v1/cases/{id}"));
    assert_eq!(case["solution"]["approval"], "approved", "{case}");
    browser.close().await;
}

/// A repair staff1 registers and resolves on the spot, the detail open:
/// its registration number.
async fn repaired_on_the_spot(server: &Server, content: &str, result: &str) -> (Browser, String) {
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.fill_complaint("王五", content).await;
    browser.choose("field-kind", "repair").await;
    browser.click("save-case").await;
    let reg_no = browser.text("reg-no").await;
    browser.click("open-case").await;
    browser.click("action-resolve").await;
    browser.fill("in-result", result).await;
    browser.click("submit-resolve").await;
    browser
        .wait_attr("detail-state", "data-state", "resolved")
        .await;
    (browser, reg_no)
}

/// A resident unhappy at the follow-up call reopens a repair whose clocks
/// were all met in the first round: it comes back to the inbox of the
/// staff member who took it in and of the property's manager. After a
/// satisfied call the repair waits for its first responder to close it.
#[tokio::test(flavor = "multi_thread")]
async fn a_reopened_repair_and_a_repair_to_close_wait_in_the_inbox() {
    let server = Server::start();
    server.seed();
    let (browser, reg_no) = repaired_on_the_spot(&server, "厨房水龙头漏水", "已更换水龙头").await;
    browser.click("action-follow_up").await;
    browser.choose("in-satisfaction", "2").await;
    browser.fill("in-comment", "仍有渗水").await;
    browser.click("submit-follow_up").await;
    browser
        .wait_attr("detail-state", "data-state", "reopened")
        .await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert!(reasons.contains(&"reopened".into()), "{reasons:?}");
    browser.wait_text("inbox-reason", "重新处理").await;
    browser.wait_synced().await;

    switch_user(&browser, "manager1").await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert!(reasons.contains(&"reopened".into()), "{reasons:?}");
    // The manager sends it back to work, and it is done again.
    browser.click("inbox-open").await;
    browser.act("start", &[], "in_progress").await;
    browser
        .act("resolve", &[("result", "已重新密封水管接口")], "resolved")
        .await;
    browser.wait_synced().await;

    switch_user(&browser, "staff1").await;
    browser.click("nav-list").await;
    browser.click("case-open").await;
    browser
        .wait_attr("detail-state", "data-state", "resolved")
        .await;
    browser.click("action-follow_up").await;
    browser.choose("in-satisfaction", "5").await;
    browser.fill("in-comment", "已无渗水").await;
    browser.click("submit-follow_up").await;
    browser
        .wait_attr("detail-state", "data-state", "followed_up")
        .await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert_eq!(reasons, ["next_step"]);
    browser.wait_text("inbox-reason", "待我处理：结案").await;
    browser.click("inbox-open").await;
    browser.act("close", &[], "closed").await;
    browser.wait_attr("inbox-count", "data-count", "0").await;
    browser.wait_synced().await;

    // The manager's spot-check call finds the resident unhappy after
    // all: the closed repair waits in their inbox until a case follows
    // it (a new repair that names it as its 关联工单).
    switch_user(&browser, "manager1").await;
    browser.click("nav-list").await;
    browser.click("case-open").await;
    browser.click("action-follow_up").await;
    browser.choose("in-satisfaction", "2").await;
    browser.fill("in-comment", "抽查：水槽下方又有渗水").await;
    browser.click("submit-follow_up").await;
    browser.wait_text("timeline", "抽查回访：满意度 2").await;
    assert_eq!(browser.attr("detail-state", "data-state").await, "closed");
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert_eq!(reasons, ["spot_check_unhappy"]);
    browser
        .wait_text("inbox-reason", "抽查回访不满意（2 分）")
        .await;
    browser
        .fill_complaint("王五", "抽查发现水槽下方渗水，返修")
        .await;
    browser.choose("field-kind", "repair").await;
    // The whole number typed is the link (the picker offers a case
    // until its number is in the box).
    browser.fill("field-related", &reg_no).await;
    browser.click("save-case").await;
    let repair = browser.text("reg-no").await;
    // The inbox drawn with the new repair in it (its clocks are the
    // manager's), and the spot-checked one gone.
    browser.click("nav-inbox").await;
    browser
        .wait_until(
            &format!(
                "const items = [...document.querySelectorAll('[data-testid=inbox-item]')];
                 return items.some(e => e.dataset.regNo === '{repair}')
                     && !items.some(e => e.dataset.regNo === '{reg_no}');"
            ),
            "the spot-checked repair left the inbox once a case followed it",
        )
        .await;
    browser.close().await;
}

/// A resident who never answers: each missed callback is on the timeline,
/// and after the third the repair waits in its first responder's inbox to
/// close without the callback.
#[tokio::test(flavor = "multi_thread")]
async fn a_repair_whose_resident_never_answers_closes_after_three_missed_callbacks() {
    let server = Server::start();
    server.seed();
    let (browser, reg_no) = repaired_on_the_spot(&server, "阳台地漏堵塞", "已疏通地漏").await;
    let entries = browser.find_all("timeline-entry").await.len();
    // The tries an hour or more apart, after the repair (tries dated
    // before it count for nothing): the tablet's clock says now, then 2
    // and 4 hours later. One a minute after the first is no new try, and
    // is not numbered as one.
    let tries = [
        (0, "无人接听", "回访未果（电话，第 1 次"),
        (
            60_000,
            "再拨一次",
            "回访未果（电话；距上一次不足一小时，不另计次）",
        ),
        (2 * 3_600_000, "关机", "回访未果（电话，第 2 次"),
        (4 * 3_600_000, "无人接听", "回访未果（电话，第 3 次"),
    ];
    for (tried, (later_ms, what, said)) in tries.into_iter().enumerate() {
        assert!(
            browser.find("action-close").await.is_none(),
            "no close after {tried} tries"
        );
        let ago_ms = -(later_ms as i64);
        browser
            .eval(&format!(
                "if (!window.__realNow) {{
                     window.__realNow = Date.now;
                     Date.now = () => window.__realNow.call(Date) - window.__ago;
                 }}
                 window.__ago = {ago_ms};
                 return true;"
            ))
            .await;
        browser.click("action-callback_missed").await;
        browser.fill("in-comment", what).await;
        browser.click("submit-callback_missed").await;
        browser
            .wait_count("timeline-entry", entries + tried + 1)
            .await;
        browser.wait_text("timeline", said).await;
    }
    assert_eq!(browser.attr("detail-state", "data-state").await, "resolved");
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert!(reasons.contains(&"next_step".into()), "{reasons:?}");
    browser.wait_text("inbox-item", "待我处理：结案").await;
    browser.click("inbox-open").await;
    browser.act("close", &[], "closed").await;
    browser.wait_synced().await;
    // In the list, the callback the close gave up on was never made; its
    // time had not run out, and none is left either.
    browser.click("nav-list").await;
    browser
        .wait_text("deadline", "报修回访：未完成（已结案）")
        .await;

    let token = server.token("manager1");
    let (_, page) = server.get_json(&token, "/api/v1/cases?per_page=100");
    let id = page["items"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["reg_no"] == reg_no.as_str()))
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("{reg_no} on the server: {page}"))
        .to_string();
    let (_, case) = server.get_json(&token, &format!("/api/v1/cases/{id}"));
    assert_eq!(case["state"], "closed", "{case}");
    assert_eq!(
        case["callbacks_missed"].as_array().map(Vec::len),
        Some(4),
        "{case}"
    );
    assert_eq!(case["follow_ups"], serde_json::json!([]), "{case}");
    browser.close().await;
}

/// A solution planned for yesterday, the work not done: the case is in
/// the manager's inbox as past its planned date. A date before the case
/// was received is refused beside the field.
#[tokio::test(flavor = "multi_thread")]
async fn a_plan_past_its_date_waits_in_the_inbox() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("manager1").await;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let day = |days: i64| {
        (today - chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    // Taken by phone two days ago, written up now.
    browser.fill_complaint("赵六", "楼道墙面脱落").await;
    browser
        .set_date("field-received", &format!("{}T09:30", day(2)))
        .await;
    browser.click("save-case").await;
    let reg_no = browser.text("reg-no").await;
    browser.click("open-case").await;
    browser.act("assess", &[], "assessed").await;
    browser.click("action-assign").await;
    browser.choose_label("in-user", "李经理").await;
    browser.fill("in-department", "工程部").await;
    browser.click("submit-assign").await;
    browser
        .wait_attr("detail-state", "data-state", "assigned")
        .await;
    browser.act("start", &[], "in_progress").await;
    browser.click("action-propose").await;
    browser.fill("in-measures", "重新粉刷墙面").await;
    let yesterday = day(1);
    browser.fill("in-responsible", "王师傅").await;
    browser.set_date("in-planned_date", &day(3)).await;
    browser.click("submit-propose").await;
    browser
        .wait_text("error-planned_date", "日期不能早于受理日期")
        .await;
    browser.set_date("in-planned_date", &yesterday).await;
    browser.click("submit-propose").await;
    browser
        .wait_attr("detail-state", "data-state", "solution_proposed")
        .await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert!(reasons.contains(&"plan_late".into()), "{reasons:?}");
    browser
        .wait_text("inbox", &format!("超过计划完成日期（{yesterday}）"))
        .await;
    browser.close().await;
}

/// A complaint closed before anyone assessed it stays in the manager's
/// inbox until it is assessed, and the dashboard counts it as not assessed
/// meanwhile: without it, the valid-complaint rate is not final.
#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_closed_before_its_assessment_is_assessed_closed() {
    let server = Server::start();
    server.seed();
    let (browser, reg_no) = answered_on_the_spot(&server, "电梯间有异味", "当场清理并通风").await;
    browser
        .act("follow_up", &[("satisfaction", "5")], "followed_up")
        .await;
    browser.wait_synced().await;

    switch_user(&browser, "manager1").await;
    assert_eq!(only_item_reasons(&browser, &reg_no).await, ["next_step"]);
    browser.click("inbox-open").await;
    // It may yet be found valid, so it closes as a valid complaint does.
    browser.click("action-close").await;
    browser.click("submit-close").await;
    browser.wait_text("error-corrective", "纠正预防措施").await;
    browser.fill("in-corrective", "增加巡查").await;
    browser.fill("in-verification", "无异味").await;
    browser.click("submit-close").await;
    browser
        .wait_attr("detail-state", "data-state", "closed")
        .await;
    browser.click("nav-inbox").await;
    browser
        .wait_text("inbox-reason", "待我处理：初步评估")
        .await;
    browser.wait_synced().await;
    browser.click("nav-dashboard").await;
    browser
        .wait_attr("unassessed-complaints", "data-count", "1")
        .await;

    browser.open(&server.url("/")).await;
    assert_eq!(only_item_reasons(&browser, &reg_no).await, ["next_step"]);
    browser.click("inbox-open").await;
    browser.click("action-assess").await;
    browser.click("submit-assess").await;
    browser.wait_attr("inbox-count", "data-count", "0").await;
    assert_eq!(browser.attr("detail-state", "data-state").await, "closed");
    browser.wait_synced().await;
    browser.click("nav-dashboard").await;
    browser
        .wait_attr("unassessed-complaints", "data-count", "0")
        .await;
    browser.close().await;
}

/// A complaint answered on the spot skipped its assessment: after the
/// follow-up call it waits in the manager's inbox to be assessed (valid
/// or unfounded, for the valid-complaint rate), then to be closed.
#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_answered_on_the_spot_waits_for_the_managers_assessment() {
    let server = Server::start();
    server.seed();
    let (browser, reg_no) =
        answered_on_the_spot(&server, "保安态度生硬", "当场道歉，保安已认错").await;
    browser
        .act(
            "follow_up",
            &[("satisfaction", "4"), ("comment", "接受道歉")],
            "followed_up",
        )
        .await;
    browser.wait_synced().await;

    switch_user(&browser, "manager1").await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert_eq!(reasons, ["next_step"]);
    browser
        .wait_text("inbox-reason", "待我处理：初步评估")
        .await;
    browser.click("inbox-open").await;
    browser.act("assess", &[], "followed_up").await;
    browser.click("nav-inbox").await;
    browser.wait_text("inbox-reason", "待我处理：结案").await;
    browser.click("inbox-open").await;
    browser
        .act(
            "close",
            &[
                ("corrective", "保安服务用语培训"),
                ("verification", "抽查无再犯"),
            ],
            "closed",
        )
        .await;
    browser.wait_attr("inbox-count", "data-count", "0").await;
    browser.wait_synced().await;
    browser.close().await;
}

/// The notifications the service worker shows now: title and tag of each.
/// A reminder tapped while no window of the app is open opens the app on
/// what it is about (`sw.js` opens `/#reminder={user}:{open}`), for the
/// user it was for only; the fragment is read once.
#[tokio::test(flavor = "multi_thread")]
async fn a_reminder_tapped_with_the_app_closed_opens_what_it_is_about() {
    let server = Server::start();
    server.seed();
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint("王五", "电梯按钮失灵").await;
    browser.wait_synced().await;
    let token = server.token("staff1");
    let (_, me) = server.get_json(&token, "/api/v1/me");
    let user = me["user"]["id"]
        .as_str()
        .expect("the user's id")
        .to_string();
    let (_, page) = server.get_json(&token, "/api/v1/cases");
    let case = page["items"][0]["id"]
        .as_str()
        .expect("the case's id")
        .to_string();

    // A new page load (the query makes it one; the worker ignores it).
    browser
        .open(&server.url(&format!("/?tapped#reminder={user}:{case}")))
        .await;
    browser.wait_text("detail-reg-no", &reg_no).await;
    assert_eq!(
        browser.eval("return location.hash;").await,
        serde_json::json!(""),
        "read once: a reload starts at the list"
    );

    // Another user's reminder opens nothing of theirs.
    let (_, other) = server.get_json(&server.token("manager1"), "/api/v1/me");
    let other = other["user"]["id"].as_str().expect("an id").to_string();
    browser
        .open(&server.url(&format!("/?again#reminder={other}:{case}")))
        .await;
    browser.wait_for_test_id("case-list").await;
    assert!(browser.find("case-detail").await.is_none());
    browser.close().await;
}

async fn notifications(browser: &Browser) -> Vec<String> {
    let shown = browser
        .eval(
            "return navigator.serviceWorker.ready
                 .then((r) => r.getNotifications())
                 .then((all) => all.map((n) => n.title + ' ' + n.tag));",
        )
        .await;
    serde_json::from_value(shown).expect("a list of notifications")
}

/// A case assigned to staff1 on another tablet just before staff1 noted
/// something on it: the note is the latest step, by its clock, but the
/// assignment is news all the same.
#[tokio::test(flavor = "multi_thread")]
async fn an_assignment_that_came_with_the_users_own_note_is_notified() {
    use shared::case::CaseState;
    use shared::op::Action;
    let server = Server::start();
    server.seed();
    let staff = e2e::bulk::Tablet::log_in(&server, "staff1", "王客服的平板")
        .actor
        .user;
    let browser = Browser::start_allowing_notifications().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_service_worker().await;
    browser.click("nav-inbox").await;
    browser.wait_for_test_id("reminders-on").await;

    let mut manager = e2e::bulk::Tablet::log_in(&server, "manager1", "经理的平板");
    let (case, reg_no, ops) = manager.assessed_complaint("楼道灯不亮", Vec::new());
    manager.push(&server, &ops);
    browser.sync_now().await;
    let assign = manager.op(
        case,
        Some(CaseState::Assessed),
        Action::Assign {
            department: "客服部".into(),
            user: Some(staff),
            name: "王客服".into(),
            note: String::new(),
        },
    );
    // Noted after the assignment was made, before it reached the tablet.
    browser.click("nav-list").await;
    let row = format!("[data-testid=\"case-row\"][data-reg-no=\"{reg_no}\"]");
    browser
        .client
        .wait()
        .at_most(e2e::TIMEOUT)
        .for_element(fantoccini::Locator::Css(&row))
        .await
        .expect("the case's row")
        .click()
        .await
        .expect("open the case");
    browser.click("action-note").await;
    browser.fill("in-text", "已电话联系业主").await;
    browser.click("submit-note").await;
    browser.wait_synced().await;
    manager.push(&server, &[assign]);
    browser.sync_now().await;
    let want = format!("我的待办：{reg_no} {case}-assigned-");
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    while !notifications(&browser).await.contains(&want) {
        assert!(
            std::time::Instant::now() < deadline,
            "no reminder {want:?}: {:?}",
            notifications(&browser).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    browser.close().await;
}

/// A case assigned to staff1 from another tablet while the app is open
/// is a new item of the inbox: the service worker notifies it (Chrome on
/// Android shows no other notification), and a logout closes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_inbox_item_is_notified_by_the_service_worker() {
    use shared::case::CaseState;
    use shared::op::Action;
    let server = Server::start();
    server.seed();
    let staff = e2e::bulk::Tablet::log_in(&server, "staff1", "王客服的平板")
        .actor
        .user;
    let browser = Browser::start_allowing_notifications().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_service_worker().await;
    browser.click("nav-inbox").await;
    browser.wait_for_test_id("reminders-on").await;
    assert_eq!(notifications(&browser).await, Vec::<String>::new());

    let mut manager = e2e::bulk::Tablet::log_in(&server, "manager1", "经理的平板");
    let assign = Action::Assign {
        department: "客服部".into(),
        user: Some(staff),
        name: "王客服".into(),
        note: String::new(),
    };
    let (case, reg_no, ops) =
        manager.assessed_complaint("电梯异响", vec![(Some(CaseState::Assessed), assign)]);
    manager.push(&server, &ops);
    browser.sync_now().await;
    browser.wait_attr("inbox-count", "data-count", "1").await;

    // One per reason: the assignment, and the clock it starts (due soon).
    let want = format!("我的待办：{reg_no} {case}-assigned-");
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    while !notifications(&browser).await.contains(&want) {
        assert!(
            std::time::Instant::now() < deadline,
            "no reminder {want:?}: {:?}",
            notifications(&browser).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // A page starting (a reload, a tap on a reminder) leaves the user's
    // reminders shown: only a logout or another user's login closes them.
    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("nav-inbox").await;
    browser.wait_synced().await;
    let shown = notifications(&browser).await;
    assert!(shown.contains(&want), "closed by the reload: {shown:?}");

    // Headless Chromium drops a notification by itself some twenty
    // seconds after showing it, so the logout follows at once, and its
    // closing is looked for well within that (it takes milliseconds).
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.wait_for_test_id("login-form").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    while !notifications(&browser).await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the reminders are still shown after the logout"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // What the user's own action puts in their inbox is no news to them:
    // the manager assessing a case as major is not told of a major case.
    browser.login("manager1").await;
    browser.click("nav-inbox").await;
    browser.wait_for_test_id("reminders-on").await;
    browser.register_complaint("周五", "化粪池外溢").await;
    browser.click("open-case").await;
    browser.click("action-assess").await;
    browser.choose("in-severity", "major").await;
    browser.fill("in-reason", "影响整栋住户").await;
    browser.click("submit-assess").await;
    browser
        .wait_attr("detail-state", "data-state", "assessed")
        .await;
    browser.wait_synced().await;
    browser.click("nav-inbox").await;
    browser.wait_text("inbox", "重大工单").await;
    // Told at once when it is news (above): a second after the sync, it
    // would have been shown.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let shown = notifications(&browser).await;
    assert!(
        !shown.iter().any(|n| n.contains("-major-")),
        "told of their own doing: {shown:?}"
    );
    browser.close().await;
}

/// staff1 (王客服) leaves and is disabled; staff3 (刘客服) of the same
/// estate joins.
fn staff1_leaves_for_staff3(server: &Server) {
    server.cli(&[
        "user",
        "add",
        "--own-password",
        "--login",
        "staff3",
        "--name",
        "刘客服",
        "--role",
        "staff",
        "--password",
        PASSWORD,
        "--property",
        "HY",
    ]);
    server.cli(&["user", "disable", "--login", "staff1"]);
}

/// The staff member who took a repair in leaves before its callback: the
/// property's manager finds it in the inbox, names another first
/// responder, and the repair is theirs to call back and to close.
#[tokio::test(flavor = "multi_thread")]
async fn a_repair_whose_first_responder_left_is_handed_to_another() {
    let server = Server::start();
    server.seed();
    let (browser, reg_no) = repaired_on_the_spot(&server, "阳台地漏堵塞", "已疏通地漏").await;
    browser.wait_synced().await;
    staff1_leaves_for_staff3(&server);

    switch_user(&browser, "manager1").await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert!(reasons.contains(&"responder_gone".into()), "{reasons:?}");
    browser
        .wait_text("inbox-item", "首问责任人已离岗：请更换首问责任人")
        .await;
    browser.click("inbox-open").await;
    browser.click("action-change_responder").await;
    browser.wait_text("responder-now", "王客服").await;
    // Nobody chosen: said beside the field, and nothing is recorded.
    browser.fill("in-reason", "王客服离职").await;
    browser.click("submit-change_responder").await;
    browser
        .wait_text("error-user", "请选择新的首问责任人")
        .await;
    browser.choose_label("in-user", "刘客服").await;
    browser.click("submit-change_responder").await;
    browser
        .wait_until(
            "return [...document.querySelectorAll('[data-testid=timeline-sentence]')]\
             .some(e => e.textContent.includes('将首问责任人由 王客服 改为 刘客服：王客服离职'));",
            "the change on the timeline",
        )
        .await;
    assert_eq!(
        browser.attr("detail-state", "data-state").await,
        "resolved",
        "the case stays where it was"
    );
    browser
        .wait_until(
            "return ![...document.querySelectorAll('[data-testid=inbox-reason]')]\
             .some(e => e.dataset.reason === 'responder_gone');",
            "the item gone from the manager's inbox",
        )
        .await;
    browser.wait_synced().await;

    switch_user(&browser, "staff3").await;
    browser.click("nav-list").await;
    browser.click("case-open").await;
    browser.wait_text("detail-reg-no", &reg_no).await;
    browser.wait_text("first-responder", "刘客服").await;
    browser.click("action-follow_up").await;
    browser.choose("in-satisfaction", "5").await;
    browser.fill("in-comment", "地漏已通").await;
    browser.click("submit-follow_up").await;
    browser
        .wait_attr("detail-state", "data-state", "followed_up")
        .await;
    let reasons = only_item_reasons(&browser, &reg_no).await;
    assert_eq!(reasons, ["next_step"]);
    browser.wait_text("inbox-reason", "待我处理：结案").await;
    browser.close().await;
}

/// A staff member leaves with several open cases: the manager hands them
/// all to one colleague from 我的待办, each case by its own op, and the
/// server has them as that colleague's.
#[tokio::test(flavor = "multi_thread")]
async fn the_cases_of_a_first_responder_who_left_are_handed_over_at_once() {
    let server = Server::start();
    server.seed();
    let (browser, first) = repaired_on_the_spot(&server, "走廊灯不亮", "已更换灯泡").await;
    let second = browser
        .register_complaint("王五", "垃圾桶满了无人清理")
        .await;
    browser.wait_synced().await;
    staff1_leaves_for_staff3(&server);

    switch_user(&browser, "manager1").await;
    browser.click("nav-inbox").await;
    browser
        .wait_text("handover", "2 张工单的首问责任人已离岗")
        .await;
    browser.fill("handover-reason", "王客服离职").await;
    browser.click("handover-submit").await;
    browser
        .wait_text("handover-problem", "请选择新的首问责任人")
        .await;
    // What was typed is kept through a visit to another screen.
    browser.click("nav-list").await;
    browser.click("nav-inbox").await;
    browser
        .wait_text("handover", "2 张工单的首问责任人已离岗")
        .await;
    assert_eq!(browser.value("handover-reason").await, "王客服离职");
    browser.choose_label("handover-to", "刘客服").await;
    // The colleague chosen is disabled before the tap, and the tablet
    // hears it: said beside the choice, and the reason stays.
    server.cli(&["user", "disable", "--login", "staff3"]);
    browser.sync_now().await;
    browser.click("handover-submit").await;
    browser
        .wait_text("handover-problem", "所选同事已不能负责本项目的工单")
        .await;
    assert_eq!(browser.value("handover-reason").await, "王客服离职");
    server.cli(&["user", "enable", "--login", "staff3"]);
    browser.sync_now().await;
    browser.choose_label("handover-to", "刘客服").await;
    browser.click("handover-submit").await;
    browser
        .wait_text("handover-result", "已更换 2 张工单的首问责任人")
        .await;
    browser
        .wait_until(
            "return ![...document.querySelectorAll('[data-testid=inbox-reason]')]\
             .some(e => e.dataset.reason === 'responder_gone');",
            "no case left whose first responder is gone",
        )
        .await;
    browser.wait_synced().await;

    let token = server.token("staff3");
    let (status, page) = server.get_json(&token, "/api/v1/cases?mine=true&per_page=100");
    assert_eq!(status, 200, "{page}");
    let mut theirs: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["reg_no"].as_str().map(String::from))
        .collect();
    theirs.sort();
    let mut both = vec![first, second];
    both.sort();
    assert_eq!(theirs, both);
    browser.close().await;
}

/// An approval decides the amount its form was opened on: a new proposal
/// that arrives by sync while the regional manager types is not approved
/// unseen; the refusal names both amounts, and confirming again decides
/// the amount now shown.
#[tokio::test(flavor = "multi_thread")]
async fn an_approval_decides_the_amount_it_was_opened_on() {
    use shared::case::CaseState;
    use shared::op::Action;
    let server = Server::start();
    server.seed();
    let mut tablet = e2e::bulk::Tablet::log_in(&server, "manager1", "the office's tablet");
    let propose = |fen| Action::Propose {
        measures: "更换楼板防水层".into(),
        responsible: "李工".into(),
        planned_date: chrono::NaiveDate::from_ymd_opt(2030, 1, 10),
        compensation_fen: fen,
    };
    let assign = Action::Assign {
        department: "工程部".into(),
        user: None,
        name: "李工".into(),
        note: String::new(),
    };
    let (case, reg_no, ops) = tablet.assessed_complaint(
        "楼上漏水泡坏地板",
        vec![
            (Some(CaseState::Assessed), assign),
            (Some(CaseState::Assigned), Action::Start),
            (Some(CaseState::InProgress), propose(80_000)),
        ],
    );
    tablet.push(&server, &ops);

    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("regional1").await;
    let reasons = only_item_reasons(&browser, &reg_no.to_string()).await;
    assert!(reasons.contains(&"approval".into()), "{reasons:?}");
    browser.click("inbox-open").await;
    browser.click("action-approve").await;
    browser.fill("in-comment", "同意赔偿").await;
    // Proposed again, higher, on the office's tablet meanwhile.
    let again = tablet.op(case, Some(CaseState::SolutionProposed), propose(90_000));
    tablet.push(&server, &[again]);
    browser.sync_now().await;
    browser.click("submit-approve").await;
    browser
        .wait_text("action-error", "审批的赔偿金额（800.00元）已被改为900.00元")
        .await;
    browser.click("submit-approve").await;
    browser.wait_synced().await;
    // The decision, with its reason, is on the case screen.
    browser.wait_text("case-fields", "批准 900.00 元").await;
    browser.wait_text("case-fields", "同意赔偿").await;
    let (_, detail) = server.get_json(&server.token("quality1"), &format!("/api/v1/cases/{case}"));
    assert_eq!(detail["solution"]["approval"], "approved", "{detail}");
    assert_eq!(detail["solution"]["compensation_fen"], 90_000, "{detail}");
    browser.close().await;
}
