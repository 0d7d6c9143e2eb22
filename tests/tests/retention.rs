//! A retention deletion reaches the tablets: a case withdrawn over a year
//! ago, with a handler's signature, is on a staff member's tablet (its
//! signature kept for offline display); the admin deletes it in another
//! browser; at the staff tablet's next sync the case leaves the list, the
//! open case screen says it was deleted, and IndexedDB holds none of its
//! ops nor its signature.

use chrono::{Duration, Utc};
use e2e::bulk::Tablet;
use e2e::{Browser, Server};
use serde_json::{Value, json};
use shared::blob::BlobHash;
use shared::case::{AttachmentKind, CaseKind, Channel, Complainant, Registration};
use shared::id::{AttachmentId, CaseId, OpId};
use shared::op::{Action, Op};
use shared::phone::Phone;
use shared::property::Location;
use shared::wire::PushResponse;
use std::time::Instant;

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

/// Registers a repair in 和园 400 days ago, attaches a handler's
/// signature and withdraws it an hour later each, from a device of
/// manager1's over the sync API, and uploads the signature. Returns the
/// case and the signature's hash.
fn push_old_withdrawn_case(server: &Server, signature: &[u8]) -> (CaseId, BlobHash) {
    let Tablet {
        login,
        property,
        actor,
        mut state,
    } = Tablet::log_in(server, "manager1", "old records");
    let at = Utc::now() - Duration::days(400);
    let case = CaseId(uuid::Uuid::now_v7());
    let registration = Registration {
        reg_no: state
            .next_reg_no(&property.code, chrono_tz::Asia::Shanghai, at)
            .expect("a registration number"),
        kind: CaseKind::Repair,
        property: property.id,
        location: Location::PublicArea,
        complainant: Complainant {
            name: "郑十".into(),
            phone: Phone::parse("13800002222").ok(),
            anonymous: false,
        },
        channel: Channel::Phone,
        received_at: at,
        category: "maintenance".into(),
        content: "楼道灯不亮".into(),
        requested_remedy: String::new(),
        related_case: None,
        source_ref: String::new(),
    };
    let hash = BlobHash::of(signature);
    let actions = [
        Action::Register(registration),
        Action::Attach {
            id: AttachmentId(uuid::Uuid::now_v7()),
            attachment_kind: AttachmentKind::HandlerSignature,
            name: "signature.png".into(),
            mime: "image/png".into(),
            size: signature.len() as u64,
            hash: Some(hash),
            caption: String::new(),
            thumbnail: None,
        },
        Action::Withdraw {
            reason: "业主已自行解决".into(),
        },
    ];
    let ops: Vec<Op> = actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| {
            let t = at + Duration::hours(i as i64);
            state.make_op(OpId(uuid::Uuid::now_v7()), case, actor, None, action, t)
        })
        .collect();
    let answer: PushResponse = serde_json::from_value(post(
        server,
        "/api/v1/sync/push",
        Some(&login.token),
        &json!({ "device": login.device, "ops": ops }),
    ))
    .expect("a push answer");
    assert!(answer.quarantined.is_empty(), "{:?}", answer.quarantined);
    let status = ureq::put(&server.url(&format!("/api/v1/blobs/{hash}?offset=0")))
        .header("Authorization", &format!("Bearer {}", login.token))
        .header("Content-Type", "application/octet-stream")
        .send(signature)
        .expect("upload the signature")
        .status();
    assert_eq!(status, 200);
    received_long_ago(server, case, at);
    (case, hash)
}

/// Dates the server's receipt of `case`'s ops at `at`, in its SQLite
/// file, as a server that received them then would have stored them:
/// retention counts from the later of the tablet's times and the
/// server's receipt.
fn received_long_ago(server: &Server, case: CaseId, at: chrono::DateTime<Utc>) {
    let db = rusqlite::Connection::open(server.data_dir().join("cases.sqlite3"))
        .expect("open the server's file");
    db.busy_timeout(std::time::Duration::from_secs(10))
        .expect("a busy timeout");
    let changed = db
        .execute(
            "UPDATE ops SET received_at = ?1 WHERE case_id = ?2",
            [
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                case.to_string(),
            ],
        )
        .expect("date the receipt");
    assert_eq!(changed, 3, "the case's ops are stored");
}

/// What the browser's IndexedDB holds: how many ops of `case` (made on
/// the tablet, in `ops`, or pulled, in the pages of `pulled`), and whether
/// the bytes of `hash`.
async fn held(browser: &Browser, case: CaseId, hash: BlobHash) -> (u64, bool) {
    let answer = browser
        .client
        .execute_async(
            "const [caseId, hash, done] = arguments;
             const open = indexedDB.open('complaints');
             open.onerror = () => done({error: String(open.error)});
             open.onsuccess = () => {
                 const tx = open.result.transaction(['ops', 'pulled', 'blobs']);
                 const ops = tx.objectStore('ops').index('case_id').count(caseId);
                 ops.onsuccess = () => {
                     const pages = tx.objectStore('pulled').getAll();
                     pages.onerror = () => done({error: String(pages.error)});
                     pages.onsuccess = () => {
                         const pulled = pages.result
                             .map(page => JSON.parse(page).filter(op => op.case_id === caseId).length)
                             .reduce((a, b) => a + b, 0);
                         const blob = tx.objectStore('blobs').count(hash);
                         blob.onsuccess = () => done({ops: ops.result + pulled, blob: blob.result > 0});
                         blob.onerror = () => done({error: String(blob.error)});
                     };
                 };
                 ops.onerror = () => done({error: String(ops.error)});
             };",
            vec![json!(case.to_string()), json!(hash.to_string())],
        )
        .await
        .expect("read IndexedDB");
    match (answer["ops"].as_u64(), answer["blob"].as_bool()) {
        (Some(ops), Some(blob)) => (ops, blob),
        _ => panic!("IndexedDB: {answer}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_case_leaves_the_other_tablets_at_their_next_sync() {
    let mut server = Server::start();
    server.seed();
    // A PNG's first bytes: the server checks them against the type the
    // attach op declares.
    let mut signature = b"\x89PNG\r\n\x1a\n".to_vec();
    signature.extend((0..=255u8).cycle().take(892));
    let (case, hash) = push_old_withdrawn_case(&server, &signature);

    let staff = Browser::start().await;
    staff.open(&server.url("/")).await;
    staff.login("staff1").await;
    staff.wait_count("case-row", 1).await;
    // The sync keeps the signature for offline display.
    let deadline = Instant::now() + e2e::TIMEOUT;
    while held(&staff, case, hash).await != (3, true) {
        assert!(
            Instant::now() < deadline,
            "the case and its signature are kept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    staff.click("case-row").await;
    staff
        .wait_attr("detail-state", "data-state", "withdrawn")
        .await;
    let backup_dir = tempfile::tempdir().expect("a backup dir");
    let backup_file = backup_dir.path().join("backup.db");
    let backup = backup_file.to_str().expect("a UTF-8 path");
    server.cli(&["backup", backup]);

    let admin = Browser::start().await;
    admin.open(&server.url("/")).await;
    admin.login("admin1").await;
    admin.click("case-row").await;
    admin.click("retention-delete").await;
    admin.click("retention-confirm").await;
    // Only a deletion the server accepted starts the sync that drops the
    // case from the admin's own tablet at once; the screen then says it
    // was deleted (and the retention card, with its message, is gone, so
    // the message itself may never be seen).
    admin.wait_for_test_id("case-deleted").await;
    admin.close().await;

    staff.sync_now().await;
    staff.wait_for_test_id("case-deleted").await;
    assert_eq!(held(&staff, case, hash).await, (0, false));
    staff.click("back").await;
    staff.wait_count("case-row", 0).await;
    // A reload finds nothing of it either.
    staff.open(&server.url("/")).await;
    staff.wait_for_test_id("case-list").await;
    staff.wait_count("case-row", 0).await;

    // The database is lost and restored from the backup, which holds the
    // case: nothing tells the restore of its deletion. The tablet shows
    // what the server holds again, and keeps it through later syncs.
    server.kill();
    for file in ["cases.sqlite3", "cases.sqlite3-wal", "cases.sqlite3-shm"] {
        let _ = std::fs::remove_file(server.data_dir().join(file));
    }
    server.cli(&["restore", backup]);
    server.restart();
    staff.sync_now().await;
    staff.sync_now().await;
    staff.wait_count("case-row", 1).await;
    staff.sync_now().await;
    assert_eq!(held(&staff, case, hash).await.0, 3, "dropped again");
    staff.close().await;
}
