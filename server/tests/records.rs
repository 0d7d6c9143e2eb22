//! A revoked tablet's records, exported as a file on the tablet and
//! imported by an administrator, over real HTTP on a real store.

mod common;

use common::{Author, Client, World, code, push_body, user_of, world};
use serde_json::{Value, json};
use shared::case::{CaseState, NoteKind};
use shared::op::{Action, Op};
use shared::wire::{RecordsDevice, RecordsFile, RecordsImport, RecordsUser};

/// The file the tablet of `author`, logged in as `login`, exports of `ops`.
fn file_of(author: &Author, login: &str, ops: &[Op]) -> Value {
    serde_json::to_value(RecordsFile {
        what: "records this tablet made that the server has not acknowledged".into(),
        exported_at: chrono::Utc::now(),
        blocked: Some("revoked".into()),
        device: Some(RecordsDevice {
            id: author.device,
            number: author.number,
            acked_seq: 1,
            last_seq: author.seq,
        }),
        user: Some(RecordsUser {
            id: author.user,
            login: login.into(),
            display_name: login.into(),
        }),
        count: ops.len(),
        ops: ops.to_vec(),
        files: Vec::new(),
    })
    .expect("serialize the file")
}

/// staff_a's tablet, with a case it registered and pushed.
fn a_tablet_with_a_case(w: &World) -> (Client, Author, Op) {
    let (staff, mut a) = w.login("staff_a");
    let first = a.register(w.pa(), "电梯异响");
    let (s, body) = staff.post(
        "/api/v1/sync/push",
        &push_body(a.device, std::slice::from_ref(&first)),
    );
    assert_eq!(s, 200, "{body}");
    (staff, a, first)
}

/// The administrator revokes the tablet of `author`.
fn revoke(admin: &Client, author: &Author) {
    let (s, body) = admin.post(
        &format!("/api/v1/admin/devices/{}/revoke", author.device),
        &json!({}),
    );
    assert_eq!(s, 204, "{body}");
}

/// What an import set aside: each record's number and reason.
fn reasons(report: &RecordsImport) -> Vec<(u64, &str)> {
    report
        .quarantined
        .iter()
        .map(|n| (n.seq, n.code.as_str()))
        .collect()
}

fn import(admin: &Client, file: &Value) -> RecordsImport {
    let (status, body) = admin.post("/api/v1/admin/records/import", file);
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("an import report")
}

fn note(author: &mut Author, case: shared::id::CaseId, text: &str) -> Op {
    author.op(
        case,
        Some(CaseState::Registered),
        Action::Note {
            note_kind: NoteKind::General,
            text: text.into(),
        },
    )
}

#[test]
fn a_revoked_tablets_exported_records_are_imported_once_and_judged() {
    let w = world();
    let (staff, mut a, first) = a_tablet_with_a_case(&w);

    // Made offline, then the tablet is revoked before it syncs again.
    let second = a.register(w.pa(), "楼道灯不亮");
    let noted = note(&mut a, first.case_id, "已联系维修");
    let (admin, _) = w.login("admin");
    // A tablet in use sends its own records.
    let (s, body) = admin.post(
        "/api/v1/admin/records/import",
        &file_of(&a, "staff_a", std::slice::from_ref(&second)),
    );
    assert_eq!((s, code(&body)), (409, "import.device_active"), "{body}");
    revoke(&admin, &a);
    let (s, body) = staff.post(
        "/api/v1/sync/push",
        &push_body(a.device, &[second.clone(), noted.clone()]),
    );
    assert_eq!((s, code(&body)), (403, "auth.device_revoked"));

    // Only an administrator imports.
    let file = file_of(&a, "staff_a", &[second.clone(), noted.clone()]);
    let (manager, _) = w.login("manager_a");
    let (s, body) = manager.post("/api/v1/admin/records/import", &file);
    assert_eq!((s, code(&body)), (403, "auth.forbidden"), "{body}");
    assert_eq!(
        admin.get(&format!("/api/v1/cases/{}", second.case_id)).0,
        404
    );

    let last_seen = || {
        let (_, devices) = admin.get("/api/v1/admin/devices");
        devices
            .as_array()
            .and_then(|l| l.iter().find(|d| d["id"] == json!(a.device)))
            .map(|d| d["last_seen"].clone())
            .unwrap_or_else(|| panic!("no device {}: {devices}", a.device))
    };
    let seen = last_seen();
    let report = import(&admin, &file);
    assert_eq!(
        (
            report.stored,
            report.held,
            report.quarantined.len(),
            report.missing_from
        ),
        (2, 0, 0, None),
        "{report:?}"
    );
    assert_eq!(last_seen(), seen, "an import is no contact of the tablet");
    let (s, case) = admin.get(&format!("/api/v1/cases/{}", second.case_id));
    assert_eq!(s, 200, "{case}");
    let (_, case) = admin.get(&format!("/api/v1/cases/{}", first.case_id));
    assert!(case.to_string().contains("已联系维修"), "{case}");
    // The same file again changes nothing.
    let again = import(&admin, &file);
    assert_eq!((again.stored, again.held), (0, 2), "{again:?}");
    let (_, log) = admin.get("/api/v1/admin/audit");
    // Each import is audited with what it did, the refused one too.
    let imports: Vec<&Value> = log
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["action"] == "records.import")
                .map(|e| &e["detail"])
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        imports
            .iter()
            .map(|d| (d["outcome"]["stored"].as_u64(), d["refused"].as_str()))
            .collect::<Vec<_>>(),
        [
            (Some(0), None),
            (Some(2), None),
            (None, Some("import.device_active"))
        ],
        "{log}"
    );

    // A record of a user who never logged in on the tablet is set aside
    // with its reason; the author's own before it is stored.
    let (_, b_login) = Client::login(&w.server.base, "staff_b");
    let b = user_of(&b_login);
    let own = note(&mut a, first.case_id, "已上门查看");
    let mut other = Author::on(a.device, b.id, b.role, a.number);
    other.seq = a.seq;
    let foreign = note(&mut other, first.case_id, "不是本机用户写的");
    let report = import(&admin, &file_of(&a, "staff_a", &[own, foreign.clone()]));
    assert_eq!(report.stored, 1, "{report:?}");
    assert_eq!(reasons(&report), [(foreign.seq, "sync.author_mismatch")]);

    // A file that does not reach back to what the server holds stores
    // nothing and says what is missing.
    a.seq = other.seq;
    let skipped = note(&mut a, first.case_id, "漏掉的一条");
    let after = note(&mut a, first.case_id, "之后的一条");
    let report = import(&admin, &file_of(&a, "staff_a", &[after]));
    assert_eq!(
        (report.stored, report.missing_from),
        (0, Some(skipped.seq)),
        "{report:?}"
    );

    // Files the server cannot take are refused whole, each with its code.
    let stranger = Author::on(
        shared::id::DeviceId(uuid::Uuid::now_v7()),
        a.user,
        a.role,
        99,
    );
    let mut unknown = stranger;
    let from_unknown = note(&mut unknown, first.case_id, "未知设备");
    for (ops, status, expected) in [
        (vec![], 400, "import.empty"),
        (vec![from_unknown.clone()], 404, "import.device_unknown"),
        (vec![skipped, from_unknown], 400, "import.mixed_devices"),
    ] {
        let (s, body) = admin.post(
            "/api/v1/admin/records/import",
            &file_of(&a, "staff_a", &ops),
        );
        assert_eq!((s, code(&body)), (status, expected), "{body}");
    }
}

#[test]
fn records_set_aside_are_judged_again_when_the_file_is_imported_again() {
    let w = world();
    let (_, mut a, first) = a_tablet_with_a_case(&w);
    let later = note(&mut a, first.case_id, "已联系维修");

    // The staff member left: the tablet is revoked and the user disabled.
    let (admin, _) = w.login("admin");
    revoke(&admin, &a);
    let user = a.user;
    let active = |on: bool| {
        let (s, body) = admin.put(
            &format!("/api/v1/admin/users/{user}/active"),
            &json!({ "active": on }),
        );
        assert!(s == 200 || s == 204, "{s} {body}");
    };
    active(false);
    let file = file_of(&a, "staff_a", std::slice::from_ref(&later));
    let report = import(&admin, &file);
    assert_eq!(report.stored, 0, "{report:?}");
    assert_eq!(reasons(&report), [(later.seq, "sync.author_disabled")]);

    // Enabled again for the import, the same file brings the record in.
    active(true);
    let report = import(&admin, &file);
    assert_eq!(
        (report.stored, report.held, report.quarantined.len()),
        (1, 0, 0),
        "{report:?}"
    );
    let (_, case) = admin.get(&format!("/api/v1/cases/{}", first.case_id));
    assert!(case.to_string().contains("已联系维修"), "{case}");
    // What the file says of who exported it is audited, bounded.
    let mut forged = file.clone();
    forged["user"]["login"] = json!("x".repeat(5000));
    let report = import(&admin, &forged);
    assert_eq!((report.stored, report.held), (0, 1), "{report:?}");
    let (_, log) = admin.get("/api/v1/admin/audit");
    assert_eq!(
        log[0]["detail"]["exported_by"].as_str().map(str::len),
        Some(shared::validation::MAX_LOGIN),
        "{}",
        log[0]
    );

    // A record the administrator discarded stays discarded: importing the
    // file again counts it as held, not as set aside again.
    active(false);
    let last = note(&mut a, first.case_id, "作废的一条");
    let file = file_of(&a, "staff_a", std::slice::from_ref(&last));
    assert_eq!(import(&admin, &file).quarantined.len(), 1);
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let entry = list
        .as_array()
        .and_then(|l| l.iter().find(|e| e["seq"] == last.seq))
        .map(|e| e["id"].clone())
        .unwrap_or_else(|| panic!("no entry for {}: {list}", last.seq));
    let (s, body) = admin.post(
        &format!("/api/v1/admin/quarantine/{entry}/discard"),
        &json!({ "reason": "重复记录" }),
    );
    assert!(s == 200 || s == 204, "{s} {body}");
    active(true);
    let report = import(&admin, &file);
    assert_eq!(
        (report.stored, report.held, report.quarantined.len()),
        (0, 1, 0),
        "{report:?}"
    );
}
