//! A retention deletion is a tombstone in the sync sequence, over real
//! HTTP: every device in the case's property pulls it exactly once, at its
//! place among the ops (also when paging one item at a time), devices of
//! other properties never see it, a push to the deleted case is
//! quarantined as `case.deleted`, and all of it survives a restart.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::{Author, Client, Fixture, Server, code, push_body};
use serde_json::json;
use shared::case::{CaseKind, NoteKind};
use shared::id::CaseId;
use shared::op::{Action, Op};

/// A repair case received at `at` and closed the same day.
fn closed_repair(a: &mut Author, fx: &Fixture, at: chrono::DateTime<Utc>) -> Vec<Op> {
    let reg = a.register_at(&fx.pa, CaseKind::Repair, at, |_| {});
    let id = reg.case_id;
    let actions = common::to_proposal(CaseKind::Repair, shared::case::Severity::General, 0)
        .into_iter()
        .chain(common::to_closure("定期检查"));
    let mut ops = vec![reg];
    for (i, action) in actions.into_iter().enumerate() {
        ops.push(a.op_at(id, None, action, at + Duration::hours(i as i64 + 1)));
    }
    ops
}

fn note(a: &mut Author, case: CaseId) -> Op {
    a.op(
        case,
        None,
        Action::Note {
            note_kind: NoteKind::General,
            text: "离线时记下的".into(),
        },
    )
}

/// Pulled items as `(server_seq, case id)`.
type Items = Vec<(i64, String)>;

/// Every item of the pull after `after`, in pages of `limit`: the ops as
/// `(server_seq, case id)` and the deletions as `(server_seq, case id)`,
/// and the last cursor.
fn pull_all(c: &Client, after: i64, limit: u32) -> (Items, Items, i64) {
    let (mut ops, mut deletions, mut cursor) = (Vec::new(), Vec::new(), after);
    loop {
        let (status, page) = c.get(&format!("/api/v1/sync/pull?after={cursor}&limit={limit}"));
        assert_eq!(status, 200, "{page}");
        let items = |key: &str, id: &str| -> Vec<(i64, String)> {
            page[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    let id = if id == "op" {
                        &i["op"]["case_id"]
                    } else {
                        &i["case_id"]
                    };
                    (
                        i["server_seq"].as_i64().unwrap(),
                        id.as_str().unwrap().into(),
                    )
                })
                .collect()
        };
        let (o, d) = (items("ops", "op"), items("deletions", "case"));
        assert!(
            o.len() + d.len() <= limit as usize,
            "a page holds at most limit items"
        );
        for (seq, _) in o.iter().chain(&d) {
            assert!(*seq > cursor && *seq <= page["cursor"].as_i64().unwrap());
        }
        ops.extend(o);
        deletions.extend(d);
        cursor = page["cursor"].as_i64().unwrap();
        if page["more"] != json!(true) {
            return (ops, deletions, cursor);
        }
    }
}

#[test]
fn a_deletion_is_pulled_once_in_scope_refuses_pushes_and_survives_a_restart() {
    let fx = Fixture::new();
    let mut server = Server::start(fx.data.path());
    let (manager, body) = Client::login(&server.base, "manager_a");
    let mut a = Author::new(&body);
    let (staff, staff_body) = Client::login(&server.base, "staff_a");
    let mut s = Author::new(&staff_body);
    let staff_secret = common::secret_of(&staff_body);
    let (other, _) = Client::login(&server.base, "staff_b");
    let old = Utc.with_ymd_and_hms(2025, 2, 10, 2, 0, 0).single().unwrap();

    let expired_ops = closed_repair(&mut a, &fx, old);
    let expired = expired_ops[0].case_id;
    let kept_ops = closed_repair(&mut a, &fx, old);
    let kept = kept_ops[0].case_id;
    let ops: Vec<Op> = expired_ops.into_iter().chain(kept_ops).collect();
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    common::received_long_ago(fx.data.path(), expired, old);

    // The staff tablet holds both cases, and writes a note offline.
    let (pulled, deletions, synced) = pull_all(&staff, 0, 5000);
    assert_eq!(pulled.len(), 14);
    assert!(deletions.is_empty());
    let offline_note = note(&mut s, expired);
    // An op of the case waits in the quarantine, holding what it said.
    let (admin, admin_body) = Client::login(&server.base, "admin");
    let mut admin_author = Author::new(&admin_body);
    let said = "投诉人王某 13800138000 说";
    let kept_aside = admin_author.op(
        expired,
        None,
        Action::Note {
            note_kind: NoteKind::General,
            text: said.into(),
        },
    );
    let (status, answer) = admin.post(
        "/api/v1/sync/push",
        &push_body(admin_author.device, std::slice::from_ref(&kept_aside)),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(code(&answer["quarantined"][0]), "sync.role_not_allowed");
    let (_, waiting) = admin.get("/api/v1/admin/quarantine");
    let aside_id = waiting[0]["id"].as_i64().expect("a quarantine id");
    // The administrator reads the number in it masked, as the phone.
    let read = "投诉人王某 138****8000 说";
    assert!(waiting.to_string().contains(read), "{waiting}");

    let (status, deleted) = admin.delete(&format!("/api/v1/admin/cases/{expired}"));
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["reason"], "retention.expired");
    assert_eq!(deleted["retention_years"], 1);
    // Another op after the deletion, so the tombstone is in the middle.
    let later = note(&mut a, kept);
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &[later]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );

    // The tablet that held the case gets the tombstone once, after its cursor.
    let (after, deletions, cursor) = pull_all(&staff, synced, 5000);
    assert_eq!(deletions.len(), 1);
    let (tomb_seq, ref tomb_case) = deletions[0];
    assert_eq!(*tomb_case, expired.to_string());
    assert!(tomb_seq > synced);
    assert_eq!(after.len(), 1, "only the later note");
    assert!(
        after[0].0 > tomb_seq,
        "the note was stored after the deletion"
    );
    let (again, none, _) = pull_all(&staff, cursor, 5000);
    assert!(
        again.is_empty() && none.is_empty(),
        "nothing is pulled twice"
    );
    let (_, none, _) = pull_all(&staff, tomb_seq, 5000);
    assert!(none.is_empty(), "a cursor at the tombstone is past it");

    // A new device pulling from the start, one item a page: the deletion
    // once, in sequence, and no op of the deleted case.
    let (quality, _) = Client::login(&server.base, "quality");
    let (ops_1, deletions_1, _) = pull_all(&quality, 0, 1);
    let (ops_all, deletions_all, _) = pull_all(&quality, 0, 5000);
    assert_eq!((&ops_1, &deletions_1), (&ops_all, &deletions_all));
    assert_eq!(deletions_1, vec![(tomb_seq, expired.to_string())]);
    assert!(ops_1.iter().all(|(_, case)| *case != expired.to_string()));
    assert_eq!(
        ops_1.len(),
        8,
        "the kept case's seven ops and the later note"
    );
    // A device of another property never hears of it.
    let (_, deletions_b, _) = pull_all(&other, 0, 5000);
    assert!(deletions_b.is_empty());

    // The offline note reaches the server: quarantined, not a new case,
    // and its number is acknowledged so the tablet's outbox moves on.
    let (status, answer) = staff.post("/api/v1/sync/push", &push_body(s.device, &[offline_note]));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["acked_seq"], 1);
    assert_eq!(code(&answer["quarantined"][0]), "case.deleted");
    assert_eq!(staff.get(&format!("/api/v1/cases/{expired}")).0, 404);

    // The quarantine keeps which ops they were, not what they said: the
    // one waiting before the deletion is settled with it, the one after
    // waits for an administrator without its text.
    let (_, record) = admin.get(&format!("/api/v1/admin/quarantine/{aside_id}"));
    assert_eq!(record["resolution"], "case_deleted", "{record}");
    // Sent again (its answer lost), it is refused as the deleted case's.
    let (status, answer) = admin.post(
        "/api/v1/sync/push",
        &push_body(admin_author.device, std::slice::from_ref(&kept_aside)),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(code(&answer["quarantined"][0]), "case.deleted", "{answer}");
    // So is an op the server had taken, sent again after the deletion
    // removed it: not a clone of a number that holds nothing, kept in the
    // quarantine for an administrator to discard.
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops[..1]));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(code(&answer["quarantined"][0]), "case.deleted", "{answer}");
    assert!(!record.to_string().contains(read), "{record}");
    let (status, refused) = admin.post(
        &format!("/api/v1/admin/quarantine/{aside_id}/reapply"),
        &json!({}),
    );
    assert_eq!(
        (status, code(&refused)),
        (409, "quarantine.resolved"),
        "{refused}"
    );
    let (_, waiting) = admin.get("/api/v1/admin/quarantine");
    let waiting = waiting.as_array().expect("a list").clone();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(code(&waiting[0]), "case.deleted");
    assert!(!json!(waiting).to_string().contains("离线时记下的"));

    // The audit keeps who and why.
    let (_, log) = admin.get("/api/v1/admin/audit");
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "case.delete")
        .expect("audited")
        .clone();
    assert_eq!(entry["login"], "admin");
    assert_eq!(entry["detail"]["reason"], "retention.expired");

    // After a restart: the same tombstone at the same place, still refusing.
    // An older build kept what such an op said when it was set aside for
    // another reason: the next start forgets it.
    let old_build = json!({
        "id": uuid::Uuid::now_v7(), "case_id": expired, "device": s.device, "seq": 9,
        "action": { "type": "note", "note_kind": "general", "text": said },
    })
    .to_string();
    let kept_by_old = waiting[0]["id"].as_i64().expect("an id").to_string();
    assert_eq!(
        common::update(
            fx.data.path(),
            "UPDATE quarantine SET json = $1 WHERE CAST(id AS TEXT) = $2",
            &[&old_build, &kept_by_old],
        ),
        1
    );
    server.kill();
    let server = Server::start(fx.data.path());
    let admin_now = Client::login(&server.base, "admin").0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, list) = admin_now.get("/api/v1/admin/quarantine");
        if !list.to_string().contains("投诉人王某") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still held: {list}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (staff, _) = Client::login_on(&server.base, "staff_a", s.device, &staff_secret);
    let (_, deletions, _) = pull_all(&staff, synced, 5000);
    assert_eq!(deletions, vec![(tomb_seq, expired.to_string())]);
    let (status, answer) = staff.post(
        "/api/v1/sync/push",
        &push_body(s.device, &[note(&mut s, expired)]),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["acked_seq"], 2);
    assert_eq!(code(&answer["quarantined"][0]), "case.deleted");
    let (status, quarantine) = Client::login(&server.base, "admin")
        .0
        .get("/api/v1/admin/quarantine");
    assert_eq!(status, 200);
    let codes: Vec<&str> = quarantine.as_array().unwrap().iter().map(code).collect();
    assert_eq!(codes, ["case.deleted", "case.deleted"]);

    // Set aside for a reason found before the deletion is (a role the
    // author does not hold), an op of the deleted case keeps nothing of
    // what it said either.
    let (admin, admin_body) = Client::login(&server.base, "admin");
    let mut admin_author = Author::new(&admin_body);
    let mut late = admin_author.op(
        expired,
        None,
        Action::Note {
            note_kind: NoteKind::General,
            text: said.into(),
        },
    );
    late.role = shared::role::Role::Manager;
    let late_id = late.id;
    let (status, answer) = admin.post(
        "/api/v1/sync/push",
        &push_body(admin_author.device, &[late]),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(code(&answer["quarantined"][0]), "sync.role_mismatch");
    // It waits open for an administrator, yet its tablet, asking, learns
    // that its case is gone (and stops counting it as waiting).
    let (status, answer) = admin.post("/api/v1/sync/refusals", &json!({ "ops": [late_id] }));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["settled"],
        json!([{ "op": late_id, "outcome": "case_deleted" }])
    );
    let (_, quarantine) = admin.get("/api/v1/admin/quarantine");
    assert_eq!(quarantine.as_array().map(Vec::len), Some(3), "{quarantine}");
    assert!(
        !quarantine.to_string().contains("投诉人王某"),
        "{quarantine}"
    );
    assert_eq!(common::cli(fx.data.path(), &["check"]).trim(), "ok");
}
