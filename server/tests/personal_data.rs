//! What each role sees of a complainant, over real HTTP: by default a
//! department head sees the phone of a case assigned to them (in its read,
//! and in the registration op they pull) but not of another, and never
//! the name; changing the company setting changes what a role sees.

mod common;

use common::{Author, Client, Fixture, Server, push_body};
use serde_json::{Value, json};
use shared::case::CaseKind;
use shared::id::CaseId;
use shared::op::Action;

const PHONE: &str = "13912345678";

fn phone(case: &Value) -> &str {
    case["registration"]["complainant"]["phone"]
        .as_str()
        .unwrap_or("")
}

fn name(case: &Value) -> &str {
    case["registration"]["complainant"]["name"]
        .as_str()
        .unwrap_or("")
}

/// The phone in the registration op of `case` that `c` pulls.
fn pulled_phone(c: &Client, case: CaseId) -> String {
    let (status, page) = c.get("/api/v1/sync/pull?after=0&limit=5000");
    assert_eq!(status, 200, "{page}");
    page["ops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["op"]["case_id"] == json!(case) && o["op"]["action"]["type"] == "register")
        .map(|o| {
            o["op"]["action"]["complainant"]["phone"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .expect("the registration is pulled")
}

#[test]
fn a_department_head_sees_the_phone_of_the_cases_they_handle_and_the_setting_rules() {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (admin, _) = Client::login(&server.base, "admin");
    let (manager, body) = Client::login(&server.base, "manager_a");
    let mut a = Author::new(&body);
    let (head, head_body) = Client::login(&server.base, "head_a");
    let head_id = common::user_of(&head_body).id;
    let (staff, _) = Client::login(&server.base, "staff_a");

    // Repairs: assigned straight after registration.
    let mut repair = |content: &str| {
        a.register_at(&fx.pa, CaseKind::Repair, chrono::Utc::now(), |r| {
            r.content = content.into()
        })
    };
    let mine = repair("电梯异响");
    let theirs = repair("绿化带积水");
    let (mine_id, theirs_id) = (mine.case_id, theirs.case_id);
    let assign = |a: &mut Author, case, user| {
        a.op(
            case,
            None,
            Action::Assign {
                department: "工程部".into(),
                user,
                name: "处理人".into(),
                note: String::new(),
            },
        )
    };
    let ops = vec![
        mine,
        theirs,
        assign(&mut a, mine_id, Some(head_id)),
        assign(&mut a, theirs_id, None),
    ];
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );

    let read = |c: &Client, id: CaseId| {
        let (status, case) = c.get(&format!("/api/v1/cases/{id}"));
        assert_eq!(status, 200, "{case}");
        case
    };
    let case = read(&head, mine_id);
    assert_eq!(phone(&case), PHONE, "assigned to them: the phone");
    assert_eq!(name(&case), "王**", "never the name");
    let other = read(&head, theirs_id);
    assert_ne!(phone(&other), PHONE, "another's case: masked");
    assert!(phone(&other).contains('*'), "{other}");
    assert_eq!(pulled_phone(&head, mine_id), PHONE);
    assert!(pulled_phone(&head, theirs_id).contains('*'));
    let (_, list) = head.get("/api/v1/cases");
    for row in list["items"].as_array().unwrap() {
        assert_eq!(row["complainant_name"], "王**", "{row}");
    }
    assert_eq!(
        phone(&read(&staff, theirs_id)),
        PHONE,
        "staff see everything"
    );
    assert_eq!(name(&read(&staff, theirs_id)), "王小明");

    // The admin lets department heads see everything, and staff nothing.
    let (status, mut settings) = admin.get("/api/v1/admin/settings");
    assert_eq!(status, 200);
    assert_eq!(
        settings["personal_data"]["department_head"],
        "phone_when_handling"
    );
    settings["personal_data"]["department_head"] = json!("full");
    settings["personal_data"]["staff"] = json!("masked");
    let (status, saved) = admin.put("/api/v1/admin/settings", &settings);
    assert_eq!(status, 200, "{saved}");
    let other = read(&head, theirs_id);
    assert_eq!((phone(&other), name(&other)), (PHONE, "王小明"));
    assert_eq!(pulled_phone(&head, theirs_id), PHONE);
    let case = read(&staff, mine_id);
    assert_eq!(name(&case), "王**");
    assert!(phone(&case).contains('*'), "{case}");
    assert!(pulled_phone(&staff, mine_id).contains('*'));

    // A value that is not a visibility is refused, and nothing changes.
    settings["personal_data"]["staff"] = json!("sometimes");
    let (status, body) = admin.put("/api/v1/admin/settings", &settings);
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(phone(&read(&staff, mine_id)).contains('*'));
}

/// What the setting lets a role see of a complainant is what its exports,
/// its statistics' repeat complainants and its call lists show, field by
/// field: a role allowed the phone and not the name gets the phone whole
/// and the name masked. Before, anything short of everything masked both,
/// so a role allowed the phone could not make the calls.
#[test]
fn a_role_allowed_the_phone_reads_it_in_exports_and_statistics() {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (admin, _) = Client::login(&server.base, "admin");
    let (manager, body) = Client::login(&server.base, "manager_a");
    let mut a = Author::new(&body);
    // The same caller twice: a repeat complainant.
    let ops = vec![
        a.register(&fx.pa, "电梯异响"),
        a.register(&fx.pa, "电梯又响了"),
    ];
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );

    let read = |admin: &Client| {
        let (status, _, csv) = admin.get_bytes("/api/v1/exports/cases.csv", &[]);
        assert_eq!(status, 200);
        let csv = String::from_utf8(csv).expect("UTF-8");
        let (status, stats) = admin.get("/api/v1/stats");
        assert_eq!(status, 200, "{stats}");
        let repeat = stats["repeat_complainants"][0].clone();
        (csv, repeat)
    };
    // By default the admin sees neither.
    let (csv, repeat) = read(&admin);
    assert!(!csv.contains(PHONE) && !csv.contains("王小明"), "{csv}");
    assert_eq!(
        (&repeat["phone"], &repeat["name"]),
        (&json!("139****5678"), &json!("王**"))
    );

    let (_, mut settings) = admin.get("/api/v1/admin/settings");
    settings["personal_data"]["admin"] = json!("phone");
    let (status, saved) = admin.put("/api/v1/admin/settings", &settings);
    assert_eq!(status, 200, "{saved}");
    let (csv, repeat) = read(&admin);
    assert_eq!(csv.matches(PHONE).count(), 2, "{csv}");
    assert!(!csv.contains("王小明"), "{csv}");
    assert_eq!(
        (&repeat["phone"], &repeat["name"]),
        (&json!(PHONE), &json!("王**"))
    );
}

/// A department head sees the complainant's name masked, and the phone of
/// a case not theirs: an edit of either could only overwrite them blind,
/// and one that changed nothing would confirm a guess. It is kept aside;
/// their other corrections, and the manager's of the name, are taken.
#[test]
fn a_role_that_sees_the_complainant_masked_cannot_change_them() {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (manager, body) = Client::login(&server.base, "manager_a");
    let mut m = Author::new(&body);
    let (head, body) = Client::login(&server.base, "head_a");
    let mut h = Author::new(&body);
    let reg = m.register(&fx.pa, "电梯按钮失灵");
    let case = reg.case_id;
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &[reg]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );

    let edit = |patch: shared::case::RegistrationPatch| Action::Edit(patch);
    let guesses = [
        edit(shared::case::RegistrationPatch {
            complainant_name: Some("张伟".into()),
            ..Default::default()
        }),
        edit(shared::case::RegistrationPatch {
            complainant_phone: Some(shared::phone::Phone::parse(PHONE).ok()),
            ..Default::default()
        }),
        edit(shared::case::RegistrationPatch {
            requested_remedy: Some("尽快修好".into()),
            ..Default::default()
        }),
    ];
    let ops: Vec<_> = guesses
        .into_iter()
        .map(|action| h.op(case, None, action))
        .collect();
    let (status, answer) = head.post("/api/v1/sync/push", &push_body(h.device, &ops));
    assert_eq!(status, 200, "{answer}");
    let codes = common::quarantined_codes(&answer);
    assert_eq!(
        codes,
        ["case.personal_data_hidden", "case.personal_data_hidden"],
        "{answer}"
    );

    let renamed = m.op(
        case,
        None,
        edit(shared::case::RegistrationPatch {
            complainant_name: Some("张伟".into()),
            ..Default::default()
        }),
    );
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &[renamed]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    let (_, stored) = manager.get(&format!("/api/v1/cases/{case}"));
    assert_eq!(name(&stored), "张伟", "{stored}");
    assert_eq!(
        stored["registration"]["requested_remedy"], "尽快修好",
        "{stored}"
    );
}

/// A resident's number typed into the content or a note is personal data
/// too: whoever sees the phone masked reads it masked there, in the case,
/// the pull and the export, and cannot save the masked text back over it.
/// The department head handling the case reads it whole, as the phone.
#[test]
fn a_number_typed_into_the_text_is_masked_wherever_the_phone_is() {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (admin, _) = Client::login(&server.base, "admin");
    let (manager, body) = Client::login(&server.base, "manager_a");
    let mut m = Author::new(&body);
    let (head, head_body) = Client::login(&server.base, "head_a");
    let mut h = Author::new(&head_body);
    let head_id = common::user_of(&head_body).id;
    const CONTENT: &str = "楼上漏水，业主电话 139 8765 4321";
    const NOTE: &str = "已致电13987654321，约明早上门";
    let reg = m.register_at(&fx.pa, CaseKind::Repair, chrono::Utc::now(), |r| {
        r.content = CONTENT.into()
    });
    let case = reg.case_id;
    let note = m.op(
        case,
        None,
        Action::Note {
            note_kind: shared::case::NoteKind::General,
            text: NOTE.into(),
        },
    );
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &[reg, note]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );

    let read = |c: &Client| {
        let (status, case) = c.get(&format!("/api/v1/cases/{case}"));
        assert_eq!(status, 200, "{case}");
        (
            case["registration"]["content"]
                .as_str()
                .unwrap()
                .to_string(),
            case["notes"][0]["text"].as_str().unwrap().to_string(),
        )
    };
    let masked = (
        "楼上漏水，业主电话 139 **** 4321".to_string(),
        "已致电139****4321，约明早上门".to_string(),
    );
    assert_eq!(read(&head), masked, "not theirs: masked");
    assert_eq!(read(&manager), (CONTENT.into(), NOTE.into()));
    let (status, page) = head.get("/api/v1/sync/pull?after=0&limit=5000");
    assert_eq!(status, 200, "{page}");
    let pulled: Vec<&str> = page["ops"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["op"]["case_id"] == json!(case))
        .filter_map(|o| {
            let action = &o["op"]["action"];
            action["content"].as_str().or(action["text"].as_str())
        })
        .collect();
    assert_eq!(pulled, [masked.0.as_str(), masked.1.as_str()]);
    let (status, _, csv) = admin.get_bytes("/api/v1/exports/cases.csv", &[]);
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).expect("UTF-8");
    assert!(csv.contains(&masked.0) && !csv.contains(CONTENT), "{csv}");
    // Nor is the case found by it, nor by the digits the mask hides: that
    // would confirm a guess. Who sees the phone finds it either way.
    let found = |c: &Client, q: &str| {
        let (status, page) = c.get(&format!("/api/v1/cases?q={q}"));
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().unwrap().len()
    };
    for q in ["13987654321", "8765", "139%208765%204321"] {
        assert_eq!(found(&head, q), 0, "{q}");
        assert_eq!(found(&manager, q), 1, "{q}");
    }
    assert_eq!(
        found(&head, "%E6%A5%BC%E4%B8%8A%E6%BC%8F%E6%B0%B4"),
        1,
        "楼上漏水"
    );
    // A list row carries no phone: its summary has the number masked.
    let (_, list) = manager.get("/api/v1/cases");
    assert_eq!(list["items"][0]["summary"], json!(masked.0), "{list}");

    // Corrected as read, the content keeps the number the head could not
    // see; a note typed with the masked number is kept as typed.
    let corrected = h.op(
        case,
        None,
        Action::Edit(shared::case::RegistrationPatch {
            content: Some(format!("{}（补充：水已关）", masked.0)),
            ..Default::default()
        }),
    );
    let noted = h.op(
        case,
        None,
        Action::Note {
            note_kind: shared::case::NoteKind::General,
            text: "回电139****4321无人接听".into(),
        },
    );
    let (status, answer) = head.post(
        "/api/v1/sync/push",
        &push_body(h.device, &[corrected, noted]),
    );
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    let (content, _) = read(&manager);
    assert_eq!(
        content,
        format!("{CONTENT}（补充：水已关）"),
        "the number is kept"
    );
    let (_, whole) = manager.get(&format!("/api/v1/cases/{case}"));
    assert_eq!(
        whole["notes"][1]["text"], "回电139****4321无人接听",
        "{whole}"
    );
    const CONTENT_NOW: &str = "楼上漏水，业主电话 139 8765 4321（补充：水已关）";
    assert_eq!(content, CONTENT_NOW);

    // Given to the head, the case reads whole, as its phone does.
    let assign = m.op(
        case,
        None,
        Action::Assign {
            department: "工程部".into(),
            user: Some(head_id),
            name: "处理人".into(),
            note: String::new(),
        },
    );
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &[assign]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    assert_eq!(read(&head), (CONTENT_NOW.into(), NOTE.into()));
    // And the head now finds it by the number, as their tablet does.
    for q in ["13987654321", "139%208765%204321"] {
        assert_eq!(found(&head, q), 1, "{q}");
    }
}

/// An operator who turns the log to debug, chasing a sync problem, finds
/// no resident in it: the PostgreSQL driver, which logs every statement
/// with its values at debug (the op's JSON, a search's digits), is held at
/// info, and the request's line leaves its query out.
#[test]
fn a_debug_log_keeps_no_complainant() {
    let fx = Fixture::new();
    let logs = tempfile::tempdir().expect("a temp dir");
    let log = logs.path().join("server.log");
    let mut server = Server::start_logged(fx.data.path(), "debug", &log);
    let (staff, body) = Client::login(&server.base, "staff_a");
    let mut a = Author::new(&body);
    let content = "楼上深夜装修噪音";
    let reg = a.register(&fx.pa, content);
    let (status, answer) = staff.post("/api/v1/sync/push", &push_body(a.device, &[reg]));
    assert_eq!(status, 200, "{answer}");
    let (status, found) = staff.get(&format!("/api/v1/cases?q={}", &PHONE[3..]));
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], 1, "{found}");
    server.terminate();
    let text = std::fs::read_to_string(&log).expect("the log");
    assert!(text.contains("DEBUG"), "a debug log");
    for personal in [PHONE, &PHONE[3..], content, "王小明"] {
        assert!(!text.contains(personal), "{personal} is in the log");
    }
}
