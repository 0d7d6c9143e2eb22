//! What the header and the screens say about the link to the server: the
//! pill reflects the last attempt (在线 only after the server answered), the
//! last successful sync survives a reload, a first login without the
//! network says it needs one, and a tablet the administrator revoked says
//! so, refuses new cases and offers what it did not upload as a file.

use e2e::{Browser, PASSWORD, Server};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn the_pill_says_what_the_last_attempt_found_and_the_last_sync_survives_a_reload() {
    let mut server = Server::start();
    server.seed();
    let url = server.url("/");
    let browser = Browser::start().await;
    browser.open(&url).await;
    // Before any login the app asks /healthz: 在线 only once it answered.
    browser
        .wait_attr("connection", "data-state", "online")
        .await;

    // A first login without the server says that it needs the network, and
    // nothing about data kept on the tablet.
    server.kill();
    browser.fill("login-name", "staff1").await;
    browser.fill("login-password", PASSWORD).await;
    browser.name_tablet().await;
    browser.click("login-submit").await;
    browser.wait_text("login-error", "首次登录需要联网").await;
    let said = browser.text("login-error").await;
    assert!(!said.contains("已保存"), "the login error says {said:?}");
    browser
        .wait_attr("connection", "data-state", "offline")
        .await;
    assert_eq!(browser.text("connection").await, "离线");

    server.restart();
    browser.login("staff1").await;
    browser
        .wait_attr("connection", "data-state", "online")
        .await;
    assert_eq!(browser.text("connection").await, "在线");
    browser.wait_text("sync-pending", "上次同步").await;
    browser.wait_service_worker().await;

    // The server goes away: the next attempt says 离线, and that the
    // records are kept.
    server.kill();
    browser.click("sync-now").await;
    browser
        .wait_attr("connection", "data-state", "offline")
        .await;
    browser.wait_text("sync-error", "本机的记录已保存").await;

    // After a reload, offline, the tablet still knows when it last synced.
    browser.open(&url).await;
    browser
        .wait_attr("connection", "data-state", "offline")
        .await;
    let status = browser.text("sync-pending").await;
    assert!(
        status.contains("上次同步") && !status.contains("尚未同步"),
        "after an offline reload the header says {status:?}"
    );
    browser.screenshot("status-offline").await;

    server.restart();
    browser.sync_now().await;
    browser
        .wait_attr("connection", "data-state", "online")
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_tablet_says_so_refuses_new_cases_and_exports_what_it_did_not_upload() {
    let server = Server::start();
    server.seed();
    let url = server.url("/");
    let browser = Browser::start().await;
    browser.open(&url).await;
    browser.login("staff1").await;
    let synced = browser.register_complaint("钱八", "单元门禁损坏").await;
    browser.wait_synced().await;
    let device = browser.device_id().await;
    // The administrator revokes the tablet.
    server.revoke_device(&device);

    // A case registered now is kept on the tablet; its upload is refused
    // with the reason (the device was revoked), and the app says so instead
    // of claiming nothing is lost.
    // (Its number is read from the list of unsent records: the saved card
    // that shows it goes once the tablet hears of the revocation.)
    browser.fill_complaint("孙七", "垃圾清运不及时").await;
    browser.click("save-case").await;
    browser
        .wait_attr("device-blocked", "data-reason", "revoked")
        .await;
    browser.wait_text("device-blocked", "本设备已被吊销").await;
    browser
        .wait_attr("connection", "data-state", "failed")
        .await;
    assert_eq!(browser.text("connection").await, "同步失败");
    let error = browser.text("sync-error").await;
    assert!(!error.contains("不会丢失"), "the header says {error:?}");

    // The records that did not reach the server are listed, with a file.
    browser.wait_count("unsent-op", 1).await;
    let row = browser.text("unsent-op").await;
    let unsent = row
        .split_whitespace()
        .find(|w| w.starts_with("HY-"))
        .unwrap_or_else(|| panic!("no number in the unsent row {row:?}"))
        .to_string();
    assert!(!row.contains(&synced), "{row:?}");
    let href = browser.made_file("export-unsent").await;
    assert!(href.starts_with("blob:"), "the export link is {href:?}");
    assert_eq!(browser.attr("export-unsent-file", "data-files").await, "0");
    let file = browser.attr("export-unsent-file", "download").await;
    assert!(file.ends_with(".json"), "the export file is {file:?}");

    // No case is shown any more, nor can one be registered: whoever holds
    // a revoked tablet is no user.
    browser.wait_for_test_id("revoked-closed").await;
    assert!(browser.find("case-list").await.is_none());
    browser.click("nav-new").await;
    browser.wait_for_test_id("revoked-closed").await;
    assert!(browser.find("case-form").await.is_none());
    browser.screenshot("status-blocked").await;

    // A reload remembers it (IndexedDB), offline or not.
    browser.open(&url).await;
    browser
        .wait_attr("device-blocked", "data-reason", "revoked")
        .await;
    browser.wait_count("unsent-op", 1).await;
    browser.wait_for_test_id("revoked-closed").await;
    assert_eq!(browser.find_all("case-row").await.len(), 0);
    browser.screenshot("status-revoked").await;

    // The server has only the case that synced before the revocation.
    let manager = server.token("manager1");
    let (_, page) = server.get_json(&manager, "/api/v1/cases?per_page=100");
    let numbers: Vec<Value> = page["items"]
        .as_array()
        .map(|items| items.iter().map(|c| c["reg_no"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(numbers, vec![json!(synced)]);

    // The file holds the unsent op, as the tablet would have pushed it.
    let href = browser.made_file("export-unsent").await;
    browser.client.goto(&href).await.expect("open the export");
    let text = browser.eval("return document.body.innerText;").await;
    let export: Value = serde_json::from_str(text.as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the export is not JSON ({e}): {text}"));
    assert_eq!(export["count"], json!(1), "{export}");
    assert_eq!(export["blocked"], json!("revoked"), "{export}");
    assert_eq!(export["device"]["id"], json!(device), "{export}");
    assert!(
        export["ops"][0].to_string().contains(&unsent)
            && export["ops"][0].to_string().contains("垃圾清运不及时"),
        "the exported op is not {unsent}: {export}"
    );
    // With the proof, made with its author's key, that the import checks.
    let op_id = export["ops"][0]["id"].as_str().unwrap_or_default();
    let proof = export["proofs"][op_id].as_str().unwrap_or_default();
    assert_eq!(proof.len(), 64, "no proof of {op_id}: {export}");
    browser.close().await;

    // The administrator imports the file: the case reaches the server, and
    // a second import stores nothing twice.
    let files = tempfile::tempdir().expect("a directory for the file");
    let path = files.path().join("unsent.json");
    std::fs::write(&path, text.as_str().unwrap_or_default()).expect("save the export");
    let admin = Browser::start().await;
    admin.open(&url).await;
    admin.login("admin1").await;
    admin.click("nav-admin").await;
    admin.click("admin-tab-quarantine").await;
    for (stored, held) in [("1", "0"), ("0", "1")] {
        let input = admin.wait_for_test_id("records-file").await;
        input
            .send_keys(&path.display().to_string())
            .await
            .expect("hand the file to the input");
        admin.wait_attr("records-imported", "data-held", held).await;
        assert_eq!(admin.attr("records-imported", "data-stored").await, stored);
        assert_eq!(
            admin.attr("records-imported", "data-quarantined").await,
            "0"
        );
    }
    admin.screenshot("admin-records-imported").await;
    admin.close().await;
    let (_, page) = server.get_json(&manager, "/api/v1/cases?per_page=100");
    let mut numbers: Vec<String> = page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|c| c["reg_no"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    numbers.sort();
    let mut expected = vec![synced, unsent];
    expected.sort();
    assert_eq!(numbers, expected);
}
