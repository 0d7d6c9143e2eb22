//! A property with thousands of cases on one tablet: they all arrive by
//! sync, the list counts them all, renders them a page at a time, and
//! search finds one. The time from login to the full list is printed (not
//! asserted: timings on a shared 2-core machine are not a pass/fail line).

use chrono::Utc;
use e2e::{Browser, PASSWORD, Server};
use serde_json::{Value, json};
use shared::case::{CaseKind, Channel, Complainant, Registration};
use shared::device::{Actor, DeviceState};
use shared::id::{CaseId, OpId};
use shared::op::{Action, Op};
use shared::phone::Phone;
use shared::property::Location;
use shared::wire::{LoginResponse, PullResponse, PushResponse};
use std::time::Instant;

/// How many cases; `MANY_CASES` changes it.
fn cases() -> usize {
    std::env::var("MANY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000)
}

fn post(server: &Server, path: &str, token: Option<&str>, body: &Value) -> Value {
    let mut req = ureq::post(&server.url(path));
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req
        .send_json(body)
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    resp.body_mut().read_json().expect("a JSON answer")
}

/// Registers `n` cases in 和园 from a device of staff1's, over the real
/// sync API, as a tablet would push them after a long day offline. The
/// device is the one the server issues at the login; its ops and their
/// registration numbers carry its id and number.
fn push_cases(server: &Server, n: usize) {
    let login: LoginResponse = serde_json::from_value(post(
        server,
        "/api/v1/auth/login",
        None,
        &json!({ "login": "staff1", "password": PASSWORD, "device_name": "bulk" }),
    ))
    .expect("a login answer");
    let device = login.device;
    let mut resp = ureq::get(&server.url("/api/v1/sync/pull?after=0&limit=10"))
        .header("Authorization", &format!("Bearer {}", login.token))
        .call()
        .expect("pull the configuration");
    let pull: PullResponse = resp.body_mut().read_json().expect("a pull answer");
    let property = pull
        .config
        .iter()
        .find_map(|item| match item {
            shared::wire::ConfigItem::Properties(p) => p.iter().find(|p| p.code == "HY").cloned(),
            _ => None,
        })
        .expect("和园 is in staff1's scope");
    let actor = Actor {
        user: login.user.id,
        role: login.user.role,
    };
    let mut state = DeviceState::new(device, login.device_number, login.acked_seq);
    let tz = chrono_tz::Asia::Shanghai;
    let ops: Vec<Op> = (0..n)
        .map(|i| {
            let at = Utc::now();
            let reg_no = state
                .next_reg_no(&property.code, tz, at)
                .expect("a registration number");
            let registration = Registration {
                reg_no,
                kind: if i % 3 == 0 {
                    CaseKind::Complaint
                } else {
                    CaseKind::Repair
                },
                property: property.id,
                location: Location::PublicArea,
                complainant: Complainant {
                    name: format!("业主{i}"),
                    phone: Phone::parse(&format!("139{i:08}")).ok(),
                    anonymous: false,
                },
                channel: Channel::Phone,
                received_at: at,
                category: "maintenance".into(),
                content: format!("第{i}号：楼道灯不亮"),
                requested_remedy: String::new(),
                related_case: None,
            };
            state.make_op(
                OpId(uuid::Uuid::now_v7()),
                CaseId(uuid::Uuid::now_v7()),
                actor,
                None,
                Action::Register(registration),
                at,
            )
        })
        .collect();
    for batch in ops.chunks(1000) {
        let answer: PushResponse = serde_json::from_value(post(
            server,
            "/api/v1/sync/push",
            Some(&login.token),
            &json!({ "device": device, "ops": batch }),
        ))
        .expect("a push answer");
        assert!(answer.quarantined.is_empty(), "{:?}", answer.quarantined);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_cases_sync_list_page_and_search() {
    let n = cases();
    let server = Server::start();
    server.seed();
    push_cases(&server, n);

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
    browser.choose("filter-kind", "complaint").await;
    browser
        .wait_text("case-count", &format!("共 {} 件", n.div_ceil(3)))
        .await;
    browser.screenshot("app-list-many").await;
    browser.close().await;
}
