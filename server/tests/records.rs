//! A revoked tablet's records, exported as a file on the tablet and
//! imported by an administrator, over real HTTP on a real store.

mod common;

use common::{Author, Client, World, code, push_body, secret_of, user_of, world};
use serde_json::{Value, json};
use shared::case::{CaseState, NoteKind};
use shared::op::{Action, Op};
use shared::wire::{RecordsDevice, RecordsFile, RecordsImport, RecordsUser};

/// The file the tablet of `author`, logged in as `login`, exports of `ops`,
/// each proven with `key`, the key its user was given at login.
fn file_of(author: &Author, login: &str, ops: &[Op], key: &str) -> Value {
    file_proving(author, login, ops, |_| Some(key.to_string()))
}

/// The file of `ops` with the proof `proof` gives each op.
fn file_proving(
    author: &Author,
    login: &str,
    ops: &[Op],
    proof: impl Fn(&Op) -> Option<String>,
) -> Value {
    let proofs = ops
        .iter()
        .filter_map(|op| {
            let key = proof(op)?;
            let json = serde_json::to_string(op).expect("the op as JSON");
            Some((op.id, shared::proof::prove(&key, &json)))
        })
        .collect();
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
        proofs,
        files: Vec::new(),
    })
    .expect("serialize the file")
}

/// staff_a's tablet, with a case it registered and pushed: the session,
/// the author, the case's first op and the login's answer.
fn a_tablet_with_a_case(w: &World) -> (Client, Author, Op, Value) {
    let (staff, login) = Client::login(&w.server.base, "staff_a");
    let mut a = Author::new(&login);
    let first = a.register(w.pa(), "电梯异响");
    let (s, body) = staff.post(
        "/api/v1/sync/push",
        &push_body(a.device, std::slice::from_ref(&first)),
    );
    assert_eq!(s, 200, "{body}");
    (staff, a, first, login)
}

/// The key a login's answer gives its user on its device.
fn key_of(login: &Value) -> String {
    login["record_key"]
        .as_str()
        .expect("a record key in the login's answer")
        .to_string()
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
    let (staff, mut a, first, login) = a_tablet_with_a_case(&w);
    let key = key_of(&login);

    // Made offline, then the tablet is revoked before it syncs again.
    let second = a.register(w.pa(), "楼道灯不亮");
    let noted = note(&mut a, first.case_id, "已联系维修");
    let (admin, _) = w.login("admin");
    // A tablet in use sends its own records.
    let (s, body) = admin.post(
        "/api/v1/admin/records/import",
        &file_of(&a, "staff_a", std::slice::from_ref(&second), &key),
    );
    assert_eq!((s, code(&body)), (409, "import.device_active"), "{body}");
    revoke(&admin, &a);
    let (s, body) = staff.post(
        "/api/v1/sync/push",
        &push_body(a.device, &[second.clone(), noted.clone()]),
    );
    assert_eq!((s, code(&body)), (403, "auth.device_revoked"));

    // Only an administrator imports.
    let file = file_of(&a, "staff_a", &[second.clone(), noted.clone()], &key);
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
    // with its reason (no key of theirs proves it); the author's own
    // before it is stored.
    let (_, b_login) = Client::login(&w.server.base, "staff_b");
    let b = user_of(&b_login);
    let own = note(&mut a, first.case_id, "已上门查看");
    let mut other = Author::on(a.device, b.id, b.role, a.number);
    other.seq = a.seq;
    let foreign = note(&mut other, first.case_id, "不是本机用户写的");
    let report = import(
        &admin,
        &file_of(&a, "staff_a", &[own, foreign.clone()], &key),
    );
    assert_eq!(report.stored, 1, "{report:?}");
    assert_eq!(reasons(&report), [(foreign.seq, "import.unproven")]);

    // A file that does not reach back to what the server holds stores
    // nothing and says what is missing.
    a.seq = other.seq;
    let skipped = note(&mut a, first.case_id, "漏掉的一条");
    let after = note(&mut a, first.case_id, "之后的一条");
    let report = import(&admin, &file_of(&a, "staff_a", &[after], &key));
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
            &file_of(&a, "staff_a", &ops, &key),
        );
        assert_eq!((s, code(&body)), (status, expected), "{body}");
    }
}

#[test]
fn records_set_aside_are_judged_again_when_the_file_is_imported_again() {
    let w = world();
    let (_, mut a, first, login) = a_tablet_with_a_case(&w);
    let key = key_of(&login);
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
    let file = file_of(&a, "staff_a", std::slice::from_ref(&later), &key);
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
    // file again counts it as settled, neither held (it is not on the
    // server) nor set aside again.
    active(false);
    let last = note(&mut a, first.case_id, "作废的一条");
    let file = file_of(&a, "staff_a", std::slice::from_ref(&last), &key);
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
        (
            report.stored,
            report.held,
            report.settled,
            report.quarantined.len()
        ),
        (0, 0, 1, 0),
        "{report:?}"
    );
}

/// A records file passes through the hands of whoever had the tablet. A
/// record in the name of a colleague who once logged in on it, or one
/// changed after it was made, is not proven by its author's key and is
/// set aside; importing the file again does not bring it in, and only an
/// administrator's re-apply, having read why, does.
#[test]
fn a_record_not_proven_by_its_authors_key_is_set_aside() {
    let w = world();
    let (_, mut a, first, login) = a_tablet_with_a_case(&w);
    let staff_key = key_of(&login);
    // The manager logged in on the same tablet once, and made a record.
    let (_, manager_login) =
        Client::login_on(&w.server.base, "manager_a", a.device, &secret_of(&login));
    let manager_key = key_of(&manager_login);
    assert_ne!(manager_key, staff_key);
    let m = user_of(&manager_login);
    // Logging in again on the tablet gives the same key: records proven
    // with the key of an earlier login stay proven.
    let (_, again) = Client::login_on(&w.server.base, "staff_a", a.device, &secret_of(&login));
    assert_eq!(key_of(&again), staff_key);

    let own = note(&mut a, first.case_id, "已上门查看");
    let mut manager = Author::on(a.device, m.id, m.role, a.number);
    manager.seq = a.seq;
    manager.clock = a.clock.clone();
    let by_manager = note(&mut manager, first.case_id, "经理已查看");
    // Written afterwards, in the manager's name.
    let forged = note(&mut manager, first.case_id, "经理同意赔偿");
    a.seq = manager.seq;
    a.clock = manager.clock.clone();
    let changed = note(&mut a, first.case_id, "已修好");
    let ops = [
        own.clone(),
        by_manager.clone(),
        forged.clone(),
        changed.clone(),
    ];
    let keys = |op: &Op| {
        Some(if op.id == by_manager.id {
            manager_key.clone()
        } else {
            staff_key.clone()
        })
    };
    let mut file = file_proving(&a, "staff_a", &ops, keys);
    // The record's text changed after it was proven.
    let last = ops.len() - 1;
    file["ops"][last]["action"]["text"] = json!("已修好，业主满意");

    let (admin, _) = w.login("admin");
    revoke(&admin, &a);
    let report = import(&admin, &file);
    assert_eq!(report.stored, 2, "{report:?}");
    assert_eq!(
        reasons(&report),
        [
            (forged.seq, "import.unproven"),
            (changed.seq, "import.unproven")
        ]
    );
    let (_, case) = admin.get(&format!("/api/v1/cases/{}", first.case_id));
    let case = case.to_string();
    assert!(
        case.contains("经理已查看") && case.contains("已上门查看"),
        "{case}"
    );
    assert!(
        !case.contains("经理同意赔偿") && !case.contains("已修好"),
        "{case}"
    );
    // A file without proofs (made before records carried them) proves none.
    let report = import(&admin, &file_proving(&a, "staff_a", &ops[2..3], |_| None));
    assert_eq!(reasons(&report), [(forged.seq, "import.unproven")]);

    // Imported again, the file does not bring them in.
    let report = import(&admin, &file);
    assert_eq!((report.stored, report.held), (0, 2), "{report:?}");
    assert_eq!(report.quarantined.len(), 2, "{report:?}");
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let entry = list
        .as_array()
        .and_then(|l| l.iter().find(|e| e["seq"] == forged.seq))
        .unwrap_or_else(|| panic!("no entry for {}: {list}", forged.seq));
    assert_eq!(entry["code"], "import.unproven", "{entry}");
    // The administrator who confirmed it with its author re-applies it.
    let (s, body) = admin.post(
        &format!("/api/v1/admin/quarantine/{}/reapply", entry["id"]),
        &json!({}),
    );
    assert!(s == 200 || s == 204, "{s} {body}");
    let (_, case) = admin.get(&format!("/api/v1/cases/{}", first.case_id));
    assert!(case.to_string().contains("经理同意赔偿"), "{case}");

    // Its author said the copy was not theirs, so it was discarded...
    let changed_entry = list
        .as_array()
        .and_then(|l| l.iter().find(|e| e["seq"] == changed.seq))
        .unwrap_or_else(|| panic!("no entry for {}: {list}", changed.seq));
    let (s, body) = admin.post(
        &format!("/api/v1/admin/quarantine/{}/discard", changed_entry["id"]),
        &json!({"reason": "作者确认不是本人所写"}),
    );
    assert!(s == 200 || s == 204, "{s} {body}");
    // ...and the author's own file, as the tablet exported it, brings the
    // changed record in as it was made (it was refused as a clone of the
    // copy discarded).
    let genuine = file_proving(&a, "staff_a", &ops, keys);
    let report = import(&admin, &genuine);
    assert_eq!(report.stored, 1, "{report:?}");
    assert!(
        !reasons(&report).contains(&(changed.seq, "import.unproven")),
        "{report:?}"
    );
    let (_, case) = admin.get(&format!("/api/v1/cases/{}", first.case_id));
    let case = case.to_string();
    assert!(
        case.contains("已修好") && !case.contains("业主满意"),
        "{case}"
    );
    // The audit keeps that a tampered copy was replaced.
    let (_, log) = admin.get("/api/v1/admin/audit");
    let import = log
        .as_array()
        .and_then(|l| l.iter().find(|e| e["action"] == "records.import"))
        .unwrap_or_else(|| panic!("no import audited: {log}"));
    assert_eq!(
        import["detail"]["replaced"][0]["seq"],
        json!(changed.seq),
        "{import}"
    );
}

/// A session begun before logins gave keys asks for its user's key: the
/// first ask makes it, every later ask and login on that tablet gives the
/// same, and another user on the tablet has their own.
#[test]
fn a_session_without_a_key_asks_for_it_and_gets_the_one_logins_give() {
    let w = world();
    let (staff, login) = Client::login(&w.server.base, "staff_a");
    let device = common::device_of(&login);
    // As a login before keys left the tablet's row.
    let changed = common::update(
        w.fx.data.path(),
        "UPDATE device_users SET record_key = NULL WHERE device_id = $1",
        &[&device.to_string()],
    );
    assert_eq!(changed, 1);
    let (s, first) = staff.post("/api/v1/auth/record-key", &json!({}));
    assert_eq!(s, 200, "{first}");
    let key = first["record_key"].as_str().unwrap_or_default().to_string();
    assert_eq!(key.len(), 64, "{first}");
    assert_ne!(key, key_of(&login), "a new key, not the one forgotten");
    let (_, again) = staff.post("/api/v1/auth/record-key", &json!({}));
    assert_eq!(again["record_key"], json!(key));
    let (_, relogin) = Client::login_on(&w.server.base, "staff_a", device, &secret_of(&login));
    assert_eq!(key_of(&relogin), key);
    let (manager, their_login) =
        Client::login_on(&w.server.base, "manager_a", device, &secret_of(&login));
    let (s, theirs) = manager.post("/api/v1/auth/record-key", &json!({}));
    assert_eq!(s, 200, "{theirs}");
    assert_eq!(key_of(&theirs).len(), 64, "{theirs}");
    assert_eq!(
        key_of(&theirs),
        key_of(&their_login),
        "the one their login gave"
    );
    assert_ne!(key_of(&theirs), key, "{theirs}");
    // Without a session, nothing.
    let (s, _) = Client::new(&w.server.base).post("/api/v1/auth/record-key", &json!({}));
    assert_eq!(s, 401);
}
