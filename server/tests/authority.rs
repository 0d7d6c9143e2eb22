//! The server trusts nothing a device claims: each attack from the issue
//! "The server trusts nothing a device claims", over real HTTP against the
//! real binary, is refused (a quarantine code or a 4xx) and leaves every
//! case and the op log as they were.
//!
//! One file on purpose (over 1,000 lines): each test is one attack from the
//! issue, and they read best side by side with their shared helpers.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{
    Author, Client, Fixture, PASSWORD, Server, cli, code, device_of, local_date, push_body,
    registered_before_the_schema_floor, secret_of, world,
};
use serde_json::{Value, json};
use shared::case::{CaseKind, CaseState, NoteKind, RegistrationPatch, Severity, Validity};
use shared::id::{CaseId, OpId, UserId};
use shared::op::{Action, Op};
use shared::role::Role;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier};
use std::time::Duration as StdDuration;

/// Pushes `ops` from `author`'s device; the push itself must succeed.
fn push(c: &Client, author: &Author, ops: &[Op]) -> Value {
    let (status, answer) = c.post("/api/v1/sync/push", &push_body(author.device, ops));
    assert_eq!(status, 200, "{answer}");
    answer
}

/// The quarantine notices of a push answer, as (seq, code).
fn quarantined(answer: &Value) -> Vec<(u64, String)> {
    answer["quarantined"]
        .as_array()
        .unwrap_or_else(|| panic!("no quarantine list in {answer}"))
        .iter()
        .map(|q| (q["seq"].as_u64().unwrap_or(0), code(q).to_string()))
        .collect()
}

/// Every op `c` may see, pulled from the start.
fn pull_all(c: &Client) -> Vec<Op> {
    let mut after = 0;
    let mut ops = Vec::new();
    loop {
        let (status, page) = c.get(&format!("/api/v1/sync/pull?after={after}&limit=1000"));
        assert_eq!(status, 200, "{page}");
        let page: shared::wire::PullResponse = serde_json::from_value(page).expect("pull page");
        ops.extend(page.ops.into_iter().map(|p| p.op));
        after = page.cursor;
        if !page.more {
            return ops;
        }
    }
}

fn case_of(c: &Client, id: CaseId) -> Value {
    let (status, case) = c.get(&format!("/api/v1/cases/{id}"));
    assert_eq!(status, 200, "{case}");
    case
}

/// The case ids of the first page of `c`'s case list.
fn listed(c: &Client) -> BTreeSet<String> {
    c.case_ids("").into_iter().collect()
}

fn assess() -> Action {
    Action::Assess {
        severity: Severity::General,
        urgent: false,
        validity: Validity::Valid,
        reason: String::new(),
        respondent: String::new(),
        respondent_department: String::new(),
    }
}

fn assign() -> Action {
    Action::Assign {
        department: "工程部".into(),
        user: None,
        name: "张工".into(),
        note: String::new(),
    }
}

fn note(text: &str) -> Action {
    Action::Note {
        note_kind: NoteKind::General,
        text: text.into(),
    }
}

/// Attack 1: staff of PA learn the manager's device id from a pulled op
/// and try to act as the manager, on a case of PB and on one of PA.
#[test]
fn nobody_acts_as_another_user_or_device() {
    let w = world();
    let base = w.server.base.clone();
    let (staff, staff_login) = Client::login(&base, "staff_a");
    let mut s = Author::new(&staff_login);
    let (manager, manager_login) = Client::login(&base, "manager_a");
    let mut m = Author::new(&manager_login);
    let (staff_b, mut b) = w.login("staff_b");
    let (quality, _) = w.login("quality");

    let reg_a = s.register(w.pa(), "电梯故障");
    let reg_b = b.register(w.pb(), "停车纠纷");
    assert_eq!(
        quarantined(&push(&staff, &s, std::slice::from_ref(&reg_a))),
        []
    );
    assert_eq!(
        quarantined(&push(&staff_b, &b, std::slice::from_ref(&reg_b))),
        []
    );
    let assessed = m.op(reg_a.case_id, Some(CaseState::Registered), assess());
    assert_eq!(quarantined(&push(&manager, &m, &[assessed])), []);

    // The manager's device id is no secret: every pulled op carries it.
    let learned = pull_all(&staff)
        .into_iter()
        .find(|o| o.author == m.user)
        .map(|o| o.device)
        .expect("staff pull the manager's op");
    assert_eq!(learned, m.device);

    // Naming it without its secret, or with a wrong one, gets a new device.
    let (impostor, impostor_login) = Client::login_with(
        &base,
        &json!({ "login": "staff_a", "password": PASSWORD, "device": learned, "device_name": "x" }),
    );
    let fake = device_of(&impostor_login);
    assert_ne!(fake, m.device, "a device id alone is no proof");
    assert!(impostor_login["device_secret"].is_string(), "a new device");
    assert_ne!(
        impostor_login["device_number"],
        manager_login["device_number"]
    );
    let (_, wrong_secret) = Client::login_with(
        &base,
        &json!({
            "login": "staff_a", "password": PASSWORD, "device": learned,
            "device_secret": secret_of(&manager_login).chars().rev().collect::<String>(),
        }),
    );
    assert_ne!(device_of(&wrong_secret), m.device);
    let (_, me) = impostor.get("/api/v1/me");
    assert_eq!(me["device"], json!(fake));

    let case_a = case_of(&quality, reg_a.case_id);
    let case_b = case_of(&quality, reg_b.case_id);
    let ops_before = pull_all(&quality).len();

    // Pushing as the manager's device is refused outright.
    let mut as_manager_device = Author::new(&manager_login);
    as_manager_device.seq = 50;
    let stolen = as_manager_device.op(reg_a.case_id, Some(CaseState::Assessed), assign());
    let (status, body) = impostor.post("/api/v1/sync/push", &push_body(m.device, &[]));
    assert_eq!((status, code(&body)), (403, "sync.device_mismatch"));
    let (status, body) = impostor.post(
        "/api/v1/sync/push",
        &push_body(fake, std::slice::from_ref(&stolen)),
    );
    assert_eq!((status, code(&body)), (400, "sync.op_device_mismatch"));

    // From its own device, ops claiming the manager are quarantined.
    let number = impostor_login["device_number"].as_u64().expect("number") as u32;
    let mut forger = Author::on(fake, m.user, Role::Manager, number);
    let on_a = forger.op(reg_a.case_id, Some(CaseState::Assessed), assign());
    let on_b = forger.op(reg_b.case_id, Some(CaseState::Registered), assess());
    // Their own user in the manager's role.
    forger.user = s.user;
    let as_role = forger.op(reg_a.case_id, Some(CaseState::Assessed), assign());
    // Their own user and role, with the manager's device in the clock.
    forger.role = Role::Staff;
    let mut foreign_clock = forger.op(reg_a.case_id, None, note("伪造时钟"));
    foreign_clock.hlc.device = m.device;
    let answer = push(&impostor, &forger, &[on_a, on_b, as_role, foreign_clock]);
    let codes: BTreeMap<u64, String> = quarantined(&answer).into_iter().collect();
    assert_eq!(answer["acked_seq"], 4, "{answer}");
    assert_eq!(
        codes.get(&1).map(String::as_str),
        Some("sync.author_mismatch")
    );
    assert!(
        matches!(
            codes.get(&2).map(String::as_str),
            Some("sync.author_mismatch" | "sync.out_of_scope")
        ),
        "{answer}"
    );
    assert_eq!(
        codes.get(&3).map(String::as_str),
        Some("sync.role_mismatch")
    );
    assert_eq!(
        codes.get(&4).map(String::as_str),
        Some("sync.hlc_device_mismatch")
    );

    assert_eq!(
        case_of(&quality, reg_a.case_id),
        case_a,
        "PA's case unchanged"
    );
    assert_eq!(
        case_of(&quality, reg_b.case_id),
        case_b,
        "PB's case unchanged"
    );
    assert_eq!(pull_all(&quality).len(), ops_before, "no op stored");

    // The manager's own device goes on as before: no clone, no quarantine.
    let next = m.op(reg_a.case_id, Some(CaseState::Assessed), assign());
    let answer = push(&manager, &m, &[next]);
    assert_eq!(quarantined(&answer), []);
    assert_eq!(answer["acked_seq"], 2);
    assert_eq!(case_of(&quality, reg_a.case_id)["state"], "assigned");
}

/// Attack 2: a second registration of an existing case, with an HLC at the
/// epoch so that it would fold first, moving the case to another property.
#[test]
fn a_case_cannot_be_registered_again_or_moved() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    let (quality, mut q) = w.login("quality");
    let (staff_b, _) = w.login("staff_b");
    let (manager_b, _) = w.login("manager_b");
    let reg = s.register(w.pa(), "楼道漏水");
    let case = reg.case_id;
    assert_eq!(quarantined(&push(&staff, &s, &[reg])), []);
    let before = case_of(&quality, case);
    let ops_before = pull_all(&quality).len();

    let mut at_epoch = q.register(w.pb(), "改到锦绣花园");
    at_epoch.case_id = case;
    at_epoch.hlc.wall_ms = 0;
    let mut valid_time = q.register(w.pb(), "改到锦绣花园");
    valid_time.case_id = case;
    let answer = push(&quality, &q, &[at_epoch, valid_time]);
    let codes = quarantined(&answer);
    assert_eq!(answer["acked_seq"], 2, "{answer}");
    assert_eq!(codes.len(), 2, "{answer}");
    assert!(
        ["clock.out_of_range", "case.already_registered"].contains(&codes[0].1.as_str()),
        "{answer}"
    );
    assert_eq!(codes[1], (2, "case.already_registered".to_string()));
    // The same property, by the author of the case, is no better.
    let mut again = s.register(w.pa(), "重复登记");
    again.case_id = case;
    let answer = push(&staff, &s, &[again]);
    assert_eq!(
        quarantined(&answer),
        [(2, "case.already_registered".to_string())]
    );

    let after = case_of(&quality, case);
    assert_eq!(after, before);
    assert_eq!(after["registration"]["property"], json!(w.pa().id));
    assert_eq!(pull_all(&quality).len(), ops_before);
    assert!(listed(&staff).contains(&case.to_string()), "still PA's");
    for c in [&staff_b, &manager_b] {
        assert!(!listed(c).contains(&case.to_string()), "not PB's");
        assert_eq!(c.get(&format!("/api/v1/cases/{case}")).0, 404);
    }
}

/// A tablet whose push answer was lost sends the same ops again: an op
/// the first push put aside is refused again, from what the server holds,
/// so that the tablet does not show it as taken; it is not put aside twice.
/// A case is assigned only to someone who will receive it: an active user
/// of a role that works cases and of the case's property. The tablet's
/// picker offers no one else; an op naming anyone else is set aside.
#[test]
fn a_case_is_assigned_only_to_someone_who_receives_it() {
    let w = world();
    let (manager, mut m) = w.login("manager_a");
    let (admin, _) = w.login("admin");
    let id_of = |login: &str| common::user_id(&Client::login(&w.server.base, login).1);
    let (head, staff_b, quality, staff_a) = (
        id_of("head_a"),
        id_of("staff_b"),
        id_of("quality"),
        id_of("staff_a"),
    );
    let (status, body) = admin.put(
        &format!("/api/v1/admin/users/{staff_a}/active"),
        &json!({ "active": false }),
    );
    assert_eq!(status, 204, "{body}");

    let reg = m.register(w.pa(), "楼道灯不亮");
    let assessed = m.op(reg.case_id, Some(CaseState::Registered), assess());
    assert_eq!(
        quarantined(&push(&manager, &m, &[reg.clone(), assessed])),
        []
    );
    let refused: Vec<Op> = [
        to(staff_b),
        to(quality),
        to(staff_a),
        to(shared::id::UserId(uuid::Uuid::now_v7())),
    ]
    .into_iter()
    .map(|a| m.op(reg.case_id, Some(CaseState::Assessed), a))
    .collect();
    let seqs: Vec<u64> = refused.iter().map(|o| o.seq).collect();
    let answer = push(&manager, &m, &refused);
    assert_eq!(
        quarantined(&answer),
        [
            (seqs[0], "assign.not_assignable".to_string()),
            (seqs[1], "assign.not_assignable".to_string()),
            (seqs[2], "assign.not_assignable".to_string()),
            (seqs[3], "assign.unknown_user".to_string()),
        ],
        "{answer}"
    );
    // The answer names them as the tablet knows them, without their
    // logins (the fixture's display names are the logins).
    for login in ["staff_b", "quality", "staff_a"] {
        assert!(
            !answer.to_string().contains(&format!("({login})")),
            "{login}: {answer}"
        );
    }
    assert_eq!(case_of(&manager, reg.case_id)["state"], "assessed");

    let taken = m.op(reg.case_id, Some(CaseState::Assessed), to(head));
    assert_eq!(quarantined(&push(&manager, &m, &[taken])), []);
    assert_eq!(case_of(&manager, reg.case_id)["state"], "assigned");
}

/// A department head passes on only the cases they handle, or those no one
/// has yet: taking another department's case would show them its
/// complainant's phone (`shared::workflow::may_assign`). The server judges
/// it against the case as it holds it, this push's earlier ops included.
#[test]
fn a_department_head_passes_on_only_what_they_handle() {
    let w = world();
    let (manager, mut m) = w.login("manager_a");
    let (head, mut h) = w.login("head_a");
    let head_id = h.user;
    let repair = |a: &mut Author| {
        a.register_at(w.pa(), CaseKind::Repair, chrono::Utc::now(), |r| {
            r.content = "水管漏水".into()
        })
    };
    // Another department's case (the fixture's head has no department).
    let theirs = repair(&mut m);
    let given = m.op(theirs.case_id, Some(CaseState::Registered), assign());
    assert_eq!(
        quarantined(&push(&manager, &m, &[theirs.clone(), given])),
        []
    );
    let taken = h.op(theirs.case_id, Some(CaseState::Assigned), to(head_id));
    let seq = taken.seq;
    assert_eq!(
        quarantined(&push(&head, &h, &[taken])),
        [(seq, "assign.not_handling".to_string())]
    );
    assert_eq!(
        case_of(&manager, theirs.case_id)["assignee"]["user"],
        json!(null)
    );

    // A repair no one has yet is theirs to take, and then to pass on, in
    // one push: the second is judged with the first folded in.
    let new = repair(&mut h);
    let own = h.op(new.case_id, Some(CaseState::Registered), to(head_id));
    let passed = h.op(new.case_id, Some(CaseState::Assigned), assign());
    assert_eq!(
        quarantined(&push(&head, &h, &[new.clone(), own, passed])),
        []
    );
    // Passed to a department not theirs, it is no longer theirs to move.
    let again = h.op(new.case_id, Some(CaseState::Assigned), to(head_id));
    let seq = again.seq;
    assert_eq!(
        quarantined(&push(&head, &h, &[again])),
        [(seq, "assign.not_handling".to_string())]
    );
    // Management moves any case.
    let back = m.op(theirs.case_id, Some(CaseState::Assigned), to(head_id));
    assert_eq!(quarantined(&push(&manager, &m, &[back])), []);
    assert_eq!(
        case_of(&manager, theirs.case_id)["assignee"]["user"],
        json!(head_id)
    );

    // Nor is an op dated back to before the manager gave the case to
    // another department (from another tablet, whose clock had nothing
    // after): it is judged against the case as the server holds it.
    let later = repair(&mut m);
    let registered = later.at;
    let given = m.op_at(
        later.case_id,
        Some(CaseState::Registered),
        assign(),
        registered + chrono::Duration::milliseconds(50),
    );
    assert_eq!(
        quarantined(&push(&manager, &m, &[later.clone(), given])),
        []
    );
    let (other_tablet, mut h2) = w.login("head_a");
    let dated_back = h2.op_at(
        later.case_id,
        Some(CaseState::Registered),
        to(head_id),
        registered + chrono::Duration::milliseconds(1),
    );
    let seq = dated_back.seq;
    assert_eq!(
        quarantined(&push(&other_tablet, &h2, &[dated_back])),
        [(seq, "assign.not_handling".to_string())]
    );
}

/// A push outside the author's scope tells nothing of the other
/// property's case: not that its id is registered, nor what is wrong with
/// an edit of it against that property's categories.
#[test]
fn a_push_outside_the_scope_tells_nothing_of_the_other_property() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    let (staff_b, mut b) = w.login("staff_b");
    let reg = s.register(w.pa(), "电梯故障");
    assert_eq!(
        quarantined(&push(&staff, &s, std::slice::from_ref(&reg))),
        []
    );
    let mut same_id = b.register(w.pb(), "停车纠纷");
    same_id.case_id = reg.case_id;
    let bad_edit = b.op(
        reg.case_id,
        None,
        Action::Edit(RegistrationPatch {
            category: Some("no_such_category".into()),
            ..Default::default()
        }),
    );
    let seqs = [same_id.seq, bad_edit.seq];
    assert_eq!(
        quarantined(&push(&staff_b, &b, &[same_id, bad_edit])),
        [
            (seqs[0], "sync.out_of_scope".to_string()),
            (seqs[1], "sync.out_of_scope".to_string()),
        ]
    );
}

/// Management changes a case's first responder only to someone who will
/// receive it, as an assignee; the case is then theirs on the server: in
/// their 我的 list, and no longer in that of whoever registered it.
#[test]
fn a_first_responder_is_changed_only_to_someone_who_receives_the_case() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    let (manager, mut m) = w.login("manager_a");
    let (regional, _) = w.login("regional_a");
    let id_of = |login: &str| common::user_id(&Client::login(&w.server.base, login).1);
    let (regional_id, head_id, staff_b, quality, staff_a) = (
        id_of("regional_a"),
        id_of("head_a"),
        id_of("staff_b"),
        id_of("quality"),
        id_of("staff_a"),
    );
    let reg = s.register(w.pa(), "地库积水");
    let case = reg.case_id;
    assert_eq!(quarantined(&push(&staff, &s, &[reg])), []);
    let mine = |c: &Client| c.case_ids("mine=true");
    assert!(mine(&staff).contains(&case.to_string()));
    assert!(!mine(&regional).contains(&case.to_string()));

    let change = |to| Action::ChangeResponder {
        to,
        reason: "原首问责任人调岗".into(),
    };
    // Another property's staff, a role that works no case, and a
    // department head, who works the case but makes no callback.
    let refused: Vec<Op> = [
        change(staff_b),
        change(quality),
        change(head_id),
        change(UserId(uuid::Uuid::now_v7())),
    ]
    .into_iter()
    .map(|a| m.op(case, None, a))
    .collect();
    let seqs: Vec<u64> = refused.iter().map(|o| o.seq).collect();
    let answer = push(&manager, &m, &refused);
    assert_eq!(
        quarantined(&answer),
        [
            (seqs[0], "change_responder.not_assignable".to_string()),
            (seqs[1], "change_responder.not_assignable".to_string()),
            (seqs[2], "change_responder.not_assignable".to_string()),
            (seqs[3], "change_responder.unknown_user".to_string()),
        ],
        "{answer}"
    );
    // The first responder does not pass the case on alone.
    let own = s.op(case, None, change(regional_id));
    let seq = own.seq;
    assert_eq!(
        quarantined(&push(&staff, &s, &[own])),
        [(seq, "sync.role_not_allowed".to_string())]
    );
    assert!(case_of(&manager, case)["responder_changes"].is_null());

    let taken = m.op(case, None, change(regional_id));
    assert_eq!(quarantined(&push(&manager, &m, &[taken])), []);
    let stored = case_of(&manager, case);
    assert_eq!(stored["responder_changes"][0]["from"], json!(staff_a));
    assert_eq!(stored["responder_changes"][0]["to"], json!(regional_id));
    assert!(mine(&regional).contains(&case.to_string()));
    assert!(!mine(&staff).contains(&case.to_string()));
}

/// An assignment of the case to `user`.
/// A role the company shows the phone only on the cases it handles takes
/// no case handled by others: assigning it to itself would show it the
/// phone, as for a department head.
#[test]
fn a_role_shown_the_phone_only_when_handling_takes_no_one_elses_case() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (_, mut settings) = admin.get("/api/v1/admin/settings");
    settings["personal_data"]["staff"] = json!("phone_when_handling");
    let (status, body) = admin.put("/api/v1/admin/settings", &settings);
    assert_eq!(status, 200, "{body}");
    let (manager, mut m) = w.login("manager_a");
    let reg = m.register_at(w.pa(), CaseKind::Repair, chrono::Utc::now(), |r| {
        r.content = "水管漏水".into()
    });
    let case = reg.case_id;
    let given = m.op(case, Some(CaseState::Registered), assign());
    assert_eq!(quarantined(&push(&manager, &m, &[reg, given])), []);
    let (staff, mut s) = w.login("staff_a");
    let taken = s.op(case, Some(CaseState::Assigned), to(s.user));
    let seq = taken.seq;
    assert_eq!(
        quarantined(&push(&staff, &s, &[taken])),
        [(seq, "assign.not_handling".to_string())]
    );
    let phone = case_of(&staff, case)["registration"]["complainant"]["phone"].clone();
    assert!(phone.as_str().is_some_and(|p| p.contains('*')), "{phone}");
}

/// A case assigned to a department (often with a worker who has no
/// account) is its head's: in their 我的 (mine) list, as in their inbox.
#[test]
fn a_department_heads_cases_are_their_departments() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (manager, mut m) = w.login("manager_a");
    let head_id = common::user_id(&Client::login(&w.server.base, "head_a").1);
    let (s, body) = admin.put(
        &format!("/api/v1/admin/users/{head_id}"),
        &json!({ "display_name": "王主管", "role": "department_head", "properties": [w.pa().id], "department": "工程部" }),
    );
    assert_eq!(s, 200, "{body}");
    let (head, _) = w.login("head_a");
    // A repair, which is passed on without an assessment.
    let reg = m.register_at(w.pa(), CaseKind::Repair, chrono::Utc::now(), |r| {
        r.content = "地库照明损坏".into()
    });
    let case = reg.case_id;
    let given = m.op(case, Some(CaseState::Registered), assign());
    assert_eq!(quarantined(&push(&manager, &m, &[reg, given])), []);
    assert!(head.case_ids("mine=true").contains(&case.to_string()));
    // Another department's head has it not.
    let (s, body) = admin.put(
        &format!("/api/v1/admin/users/{head_id}"),
        &json!({ "display_name": "王主管", "role": "department_head", "properties": [w.pa().id], "department": "保洁部" }),
    );
    assert_eq!(s, 200, "{body}");
    let (head, _) = w.login("head_a");
    assert!(!head.case_ids("mine=true").contains(&case.to_string()));
}

fn to(user: UserId) -> Action {
    Action::Assign {
        department: "工程部".into(),
        user: Some(user),
        name: "某人".into(),
        note: String::new(),
    }
}

/// An assignment that lost a conflict is applied later, when the person
/// it names may have left: it is checked then, as the users are then.
#[test]
fn an_assignment_applied_after_its_conflict_is_checked_then() {
    let w = world();
    let (manager, mut m) = w.login("manager_a");
    let (admin, _) = w.login("admin");
    let id_of = |login: &str| common::user_id(&Client::login(&w.server.base, login).1);
    let (head, staff, regional) = (id_of("head_a"), id_of("staff_a"), id_of("regional_a"));
    let reg = m.register(w.pa(), "电梯异响");
    let case = reg.case_id;
    let assessed = m.op(case, Some(CaseState::Registered), assess());
    let first = m.op(case, Some(CaseState::Assessed), to(head));
    // Made from the same assessed case: conflicts once the first is in.
    let second = m.op(case, Some(CaseState::Assessed), to(staff));
    let third = m.op(case, Some(CaseState::Assessed), to(regional));
    let ops = [reg, assessed, first, second.clone(), third.clone()];
    let answer = push(&manager, &m, &ops);
    assert_eq!(quarantined(&answer), [], "{answer}");
    assert_eq!(
        case_of(&manager, case)["conflicts"][0]["op"],
        json!(second.id)
    );

    let (status, body) = admin.put(
        &format!("/api/v1/admin/users/{staff}/active"),
        &json!({ "active": false }),
    );
    assert_eq!(status, 204, "{body}");
    let resolve = |op: &Op, apply| Action::ResolveConflict {
        conflict_op: op.id,
        apply,
        note: String::new(),
    };
    let applied = m.op(case, None, resolve(&second, true));
    let seq = applied.seq;
    let answer = push(&manager, &m, &[applied]);
    assert_eq!(
        quarantined(&answer),
        [(seq, "assign.not_assignable".to_string())],
        "{answer}"
    );
    let stored = case_of(&manager, case);
    assert_eq!(stored["assignee"]["user"], json!(head), "{stored}");
    // Dismissing it gives the case to nobody, and is taken; the one naming
    // someone who still works the property's cases is applied.
    let dismissed = m.op(case, None, resolve(&second, false));
    let applied = m.op(case, None, resolve(&third, true));
    assert_eq!(quarantined(&push(&manager, &m, &[dismissed, applied])), []);
    let stored = case_of(&manager, case);
    assert_eq!(stored["conflicts"][0]["applied"], false, "{stored}");
    assert_eq!(stored["conflicts"][1]["applied"], true, "{stored}");
    assert_eq!(stored["assignee"]["user"], json!(regional), "{stored}");
}

/// Attack 9: a staff member settles a manager's void that lost a sync
/// conflict, applying it with the manager's authority or dropping the
/// manager's decision. Only its author, or someone who may void, may.
#[test]
fn a_conflict_is_settled_by_its_author_or_someone_who_may_take_the_action() {
    let w = world();
    let (manager, mut m) = w.login("manager_a");
    let (staff, mut s) = w.login("staff_a");
    let (regional, mut r) = w.login("regional_a");
    let reg = m.register(w.pa(), "重复登记的工单");
    let case = reg.case_id;
    let assessed = m.op(case, Some(CaseState::Registered), assess());
    // Voided from the case as registered: a conflict once assessed.
    let void = m.op(
        case,
        Some(CaseState::Registered),
        Action::Void {
            duplicate_of: None,
            reason: "误登记".into(),
        },
    );
    assert_eq!(
        quarantined(&push(&manager, &m, &[reg, assessed, void.clone()])),
        []
    );
    assert_eq!(
        case_of(&manager, case)["conflicts"][0]["op"],
        json!(void.id)
    );
    let resolve = |apply| Action::ResolveConflict {
        conflict_op: void.id,
        apply,
        note: String::new(),
    };
    let applied = s.op(case, None, resolve(true));
    let dismissed = s.op(case, None, resolve(false));
    let seqs = (applied.seq, dismissed.seq);
    assert_eq!(
        quarantined(&push(&staff, &s, &[applied, dismissed])),
        [
            (seqs.0, "conflict.not_yours".to_string()),
            (seqs.1, "conflict.not_yours".to_string()),
        ]
    );
    assert_eq!(case_of(&manager, case)["state"], "assessed");
    // A regional manager may void: they may settle it.
    let applied = r.op(case, None, resolve(true));
    assert_eq!(quarantined(&push(&regional, &r, &[applied])), []);
    let stored = case_of(&manager, case);
    assert_eq!(stored["state"], "voided", "{stored}");
    assert_eq!(stored["conflicts"][0]["applied"], true, "{stored}");
}

#[test]
fn an_op_pushed_again_after_its_refusal_was_lost_is_refused_again() {
    let w = world();
    let (admin, mut a) = w.login("admin");
    let (staff, mut s) = w.login("staff_a");
    let reg = s.register(w.pa(), "楼道漏水");
    let case = reg.case_id;
    assert_eq!(quarantined(&push(&staff, &s, &[reg])), []);
    let ops = [a.op(case, None, note("管理员备注"))];
    let first = push(&admin, &a, &ops);
    let refused = [(1, "sync.role_not_allowed".to_string())];
    assert_eq!(quarantined(&first), refused, "{first}");
    let again = push(&admin, &a, &ops);
    assert_eq!(quarantined(&again), refused, "{again}");
    assert_eq!(again["acked_seq"], first["acked_seq"]);
    assert_eq!(
        again["quarantined"][0]["message"], first["quarantined"][0]["message"],
        "{again}"
    );
    let (_, aside) = admin.get("/api/v1/admin/quarantine");
    assert_eq!(aside.as_array().map(Vec::len), Some(1), "{aside}");
    // Discarded by an admin, it is still not taken.
    let id = aside[0]["id"].as_i64().expect("a quarantine id");
    let (status, body) = admin.post(
        &format!("/api/v1/admin/quarantine/{id}/discard"),
        &json!({"reason": "管理员不写工单"}),
    );
    assert_eq!(status, 204, "{body}");
    assert_eq!(quarantined(&push(&admin, &a, &ops)), refused);
}

/// An op's schema decides the rules the fold checks it by, and it is the
/// device's claim: once the server holds a device's op of one schema, a
/// later op of that device may not claim an older one. Ops from before an
/// update, older than ops the server took after them, are still taken.
/// A device registered since the server required a schema has no ops
/// older than it.
#[test]
fn a_device_cannot_go_back_to_an_older_schema() {
    let w = world();
    let older = |mut op: Op| {
        op.schema = shared::op::SCHEMA_VERSION - 1;
        op
    };
    let (newcomer, mut n) = w.login("staff_a");
    let first = older(n.register(w.pa(), "新平板的第一条"));
    assert_eq!(
        quarantined(&push(&newcomer, &n, &[first])),
        [(1, "sync.schema_older".into())]
    );
    let (staff, mut s) = w.login("staff_a");
    let (other, mut b) = w.login("manager_a");
    // Both tablets were registered while their app wrote the older schema.
    registered_before_the_schema_floor(w.fx.data.path(), s.device);
    registered_before_the_schema_floor(w.fx.data.path(), b.device);
    let reg = older(s.register(w.pa(), "电梯异响"));
    let case = reg.case_id;
    // A colleague's case that reaches the server only later.
    let theirs = b.register(w.pa(), "路灯不亮");
    let early = older(s.op(theirs.case_id, None, note("更新前写的")));
    let newer = s.op(case, None, note("更新后写的"));
    let back = older(s.op(case, None, note("声称旧版本")));
    let answer = push(&staff, &s, &[reg, early, newer, back]);
    assert_eq!(
        quarantined(&answer),
        [
            (2, "sync.unknown_case".into()),
            (4, "sync.schema_older".into())
        ],
        "{answer}"
    );
    // The claim is judged against what the server holds, not only the batch.
    let later = older(s.op(case, None, note("又一次")));
    assert_eq!(
        quarantined(&push(&staff, &s, &[later])),
        [(5, "sync.schema_older".into())]
    );
    assert_eq!(quarantined(&push(&other, &b, &[theirs])), []);
    // Re-applied, each op is judged against the op the server holds just
    // before it: the one from before the update is taken, the claims not.
    let (admin, _) = w.login("admin");
    let (_, aside) = admin.get("/api/v1/admin/quarantine");
    let outcomes: Vec<(u64, String)> = aside
        .as_array()
        .expect("a list")
        .iter()
        .map(|entry| {
            let id = entry["id"].as_i64().expect("an id");
            let (status, outcome) = admin.post(
                &format!("/api/v1/admin/quarantine/{id}/reapply"),
                &json!({}),
            );
            assert_eq!(status, 200, "{outcome}");
            let seq = entry["seq"].as_u64().unwrap_or(0);
            (seq, format!("{} {}", outcome["outcome"], code(&outcome)))
        })
        .collect();
    assert_eq!(outcomes.len(), 4, "{aside}");
    let refused = "\"refused\" sync.schema_older".to_string();
    assert_eq!(
        outcomes,
        [
            (1, refused.clone()),
            (2, "\"accepted\" ".into()),
            (4, refused.clone()),
            (5, refused)
        ]
    );
}

/// A server rolled back after a newer release holds devices (and ops) of
/// that release's schema, and the tablets' service worker brings back
/// this build's app: its ops are taken, not set aside for good as a claim
/// to escape the newer rules.
#[test]
fn after_a_rollback_a_device_is_held_to_the_servers_own_schema_at_most() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    // The number in the statement: PostgreSQL takes no text for it.
    let changed = common::update(
        w.fx.data.path(),
        &format!(
            "UPDATE devices SET schema_floor = {} WHERE id = $1",
            shared::op::SCHEMA_VERSION + 1
        ),
        &[&s.device.to_string()],
    );
    assert_eq!(changed, 1);
    let reg = s.register(w.pa(), "回滚后登记");
    assert_eq!(quarantined(&push(&staff, &s, &[reg])), []);
}

/// An op a newer release wrote, held by a server rolled back after it,
/// does not break its case: the case is folded without it, as a tablet
/// folds it, and a later op on the case is taken (the refold read every
/// stored op and failed the push).
#[test]
fn a_stored_op_this_build_cannot_read_does_not_break_its_case() {
    let w = world();
    let (manager, mut m) = w.login("manager_a");
    let reg = m.register(w.pa(), "电梯异响");
    let case = reg.case_id;
    let first = m.op(case, None, note("第一条"));
    let op_id = first.id.to_string();
    assert_eq!(quarantined(&push(&manager, &m, &[reg, first])), []);
    let id = case.to_string();
    let changed = common::update(
        w.fx.data.path(),
        "UPDATE ops SET json = replace(json, '\"type\":\"note\"', '\"type\":\"note_in_a_newer_release\"') WHERE id = $1",
        &[&op_id],
    );
    assert_eq!(changed, 1);
    // Its fold state gone, as a rollback's other rules leave it unused:
    // the next op folds the case from all its stored ops.
    common::update(
        w.fx.data.path(),
        "DELETE FROM case_folds WHERE case_id = $1",
        &[&id],
    );
    let later = m.op(case, None, note("第二条"));
    let answer = push(&manager, &m, &[later]);
    assert_eq!(quarantined(&answer), [], "{answer}");
    let (status, read) = manager.get(&format!("/api/v1/cases/{id}"));
    assert_eq!(status, 200, "{read}");
    assert!(read.to_string().contains("第二条"), "{read}");
    // A reader who sees the case masked gets the ops around it: it cannot
    // be masked, and failing the page would stop every op after it.
    let (head, _) = w.login("head_a");
    let (status, page) = head.get("/api/v1/sync/pull?after=0&limit=500");
    assert_eq!(status, 200, "{page}");
    let page = page.to_string();
    assert!(
        page.contains("第二条") && !page.contains("第一条"),
        "{page}"
    );
}

/// The quarantine list comes a page at a time, oldest first: a device can
/// put a whole push aside at once.
#[test]
fn the_quarantine_list_comes_in_pages() {
    let w = world();
    let (admin, mut a) = w.login("admin");
    let (staff, mut s) = w.login("staff_a");
    let reg = s.register(w.pa(), "楼道漏水");
    let case = reg.case_id;
    assert_eq!(quarantined(&push(&staff, &s, &[reg])), []);
    let ops: Vec<Op> = (0..5)
        .map(|n| a.op(case, None, note(&format!("管理员备注 {n}"))))
        .collect();
    assert_eq!(quarantined(&push(&admin, &a, &ops)).len(), 5);
    let ids = |page: &Value| -> Vec<i64> {
        page.as_array()
            .expect("a list")
            .iter()
            .map(|e| e["id"].as_i64().expect("an id"))
            .collect()
    };
    let (_, all) = admin.get("/api/v1/admin/quarantine");
    let all = ids(&all);
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "oldest first: {all:?}");
    let (_, first) = admin.get("/api/v1/admin/quarantine?limit=2");
    assert_eq!(ids(&first), all[..2]);
    let (_, next) = admin.get(&format!(
        "/api/v1/admin/quarantine?limit=2&after={}",
        all[1]
    ));
    assert_eq!(ids(&next), all[2..4]);
    let (status, body) = admin.get("/api/v1/admin/quarantine?limit=lots");
    assert_eq!((status, code(&body)), (400, "request.bad_query"));
}

/// Quality and admin read every case and work none: a registration from
/// them is kept aside, not made into a case.
#[test]
fn only_roles_that_work_cases_register_them() {
    let w = world();
    let (quality, mut q) = w.login("quality");
    let (admin, mut a) = w.login("admin");
    let (staff, mut s) = w.login("staff_a");
    let ops_before = pull_all(&quality).len();
    for (c, author) in [(&quality, &mut q), (&admin, &mut a)] {
        let reg = author.register(w.pa(), "总部代登记");
        let case = reg.case_id;
        let answer = push(c, author, &[reg]);
        assert_eq!(
            quarantined(&answer),
            [(1, "sync.role_not_allowed".to_string())],
            "{answer}"
        );
        assert_eq!(quality.get(&format!("/api/v1/cases/{case}")).0, 404);
    }
    assert_eq!(pull_all(&quality).len(), ops_before, "no op stored");
    // Staff register as before.
    let reg = s.register(w.pa(), "楼道漏水");
    let case = reg.case_id;
    assert_eq!(quarantined(&push(&staff, &s, &[reg])), []);

    // Nor do they write into a case's record: an admin's note, a file
    // attached by quality or admin. Quality's own note (a remark from
    // head office) is theirs to make.
    let attach = |author: &mut Author| {
        author.op(
            case,
            None,
            Action::Attach {
                id: shared::id::AttachmentId(uuid::Uuid::now_v7()),
                attachment_kind: shared::case::AttachmentKind::Photo,
                name: "总部.jpg".into(),
                mime: "image/jpeg".into(),
                size: 17,
                hash: Some(shared::blob::BlobHash::of(b"head office photo")),
                caption: String::new(),
                thumbnail: None,
            },
        )
    };
    let admin_ops = [a.op(case, None, note("管理员备注")), attach(&mut a)];
    let answer = push(&admin, &a, &admin_ops);
    assert_eq!(
        quarantined(&answer)
            .iter()
            .map(|(_, c)| c.as_str())
            .collect::<Vec<_>>(),
        ["sync.role_not_allowed", "sync.role_not_allowed"],
        "{answer}"
    );
    let quality_ops = [attach(&mut q), q.op(case, None, note("总部抽查意见"))];
    let answer = push(&quality, &q, &quality_ops);
    assert_eq!(
        quarantined(&answer)
            .iter()
            .map(|(_, c)| c.as_str())
            .collect::<Vec<_>>(),
        ["sync.role_not_allowed"],
        "{answer}"
    );
    let stored = case_of(&quality, case);
    let text = stored.to_string();
    assert!(text.contains("总部抽查意见"), "{text}");
    assert!(!text.contains("管理员备注"), "{text}");
    assert_eq!(stored["attachments"], json!([]), "{text}");
}

/// A registration number is the device's own: the property's code, the
/// local date of the op and the device's number, never another case's.
#[test]
fn registration_numbers_must_be_the_devices_own() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    let (quality, _) = w.login("quality");
    let now = Utc::now();
    let number = s.number;
    // The latest 20:00 UTC in the past: already the next day in Shanghai.
    let evening = {
        let today = now
            .date_naive()
            .and_hms_opt(20, 0, 0)
            .expect("20:00")
            .and_utc();
        if today < now {
            today
        } else {
            today - Duration::days(1)
        }
    };
    let taken = s.register(w.pa(), "先登记的工单");
    let taken_no = match &taken.action {
        Action::Register(r) => r.reg_no.clone(),
        _ => unreachable!("a registration"),
    };
    assert_eq!(quarantined(&push(&staff, &s, &[taken])), []);
    let ops_before = pull_all(&quality).len();

    let regno = |code: &str, date, device, counter| {
        shared::regno::RegNo::new(code, date, device, counter).expect("a registration number")
    };
    let today = local_date(now);
    let wrong_property = s.register_at(w.pa(), CaseKind::Complaint, now, |r| {
        r.reg_no = regno("PB", today, number, 101)
    });
    let utc_date = s.register_at(w.pa(), CaseKind::Complaint, evening, |r| {
        r.reg_no = regno("PA", evening.date_naive(), number, 102)
    });
    let other_device = s.register_at(w.pa(), CaseKind::Complaint, now, |r| {
        r.reg_no = regno("PA", today, number + 1, 103)
    });
    let twice = s.register_at(w.pa(), CaseKind::Complaint, now, |r| {
        r.reg_no = taken_no.clone()
    });
    let answer = push(&staff, &s, &[wrong_property, utc_date, other_device, twice]);
    assert_eq!(
        quarantined(&answer),
        [
            (2, "case.reg_no_mismatch".to_string()),
            (3, "case.reg_no_mismatch".to_string()),
            (4, "case.reg_no_mismatch".to_string()),
            (5, "case.reg_no_taken".to_string()),
        ]
    );
    assert_eq!(pull_all(&quality).len(), ops_before);
    // The evening case with the local date is fine.
    let local = s.register_at(w.pa(), CaseKind::Complaint, evening, |_| {});
    assert_eq!(quarantined(&push(&staff, &s, &[local])), []);
    // Two cases of one push with one number: the second is refused,
    // though neither is in the case list when it is judged.
    let first = s.register_at(w.pa(), CaseKind::Complaint, now, |r| {
        r.reg_no = regno("PA", today, number, 201)
    });
    let second = s.register_at(w.pa(), CaseKind::Complaint, now, |r| {
        r.reg_no = regno("PA", today, number, 201)
    });
    let seq = second.seq;
    assert_eq!(
        quarantined(&push(&staff, &s, &[first, second])),
        [(seq, "case.reg_no_taken".to_string())]
    );
}

fn void(of: Option<&Op>) -> Action {
    Action::Void {
        duplicate_of: of.map(|op| match &op.action {
            Action::Register(r) => r.reg_no.clone(),
            _ => unreachable!("a registration"),
        }),
        reason: "重复登记".into(),
    }
}

/// Attack 8: a void names as the case kept one that is voided itself
/// (two managers voiding two copies as each other's, offline), one that
/// does not exist, or one of a property the author does not see.
#[test]
fn a_void_names_a_live_case_the_author_may_see() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    let (m1, mut a1) = w.login("manager_a");
    let (m2, mut a2) = w.login("manager_a");
    let (staff_b, mut sb) = w.login("staff_b");
    let (x, y, p, q) = (
        s.register(w.pa(), "水管爆裂"),
        s.register(w.pa(), "水管爆裂（重复）"),
        s.register(w.pa(), "电梯停运"),
        s.register(w.pa(), "电梯停运（重复）"),
    );
    let elsewhere = sb.register(w.pb(), "他处的工单");
    let registered = [x.clone(), y.clone(), p.clone(), q.clone()];
    assert_eq!(quarantined(&push(&staff, &s, &registered)), []);
    assert_eq!(
        quarantined(&push(&staff_b, &sb, std::slice::from_ref(&elsewhere))),
        []
    );
    let registered_state = Some(CaseState::Registered);

    // Two tablets, each voiding one copy as the other's.
    let x_void = a1.op(x.case_id, registered_state, void(Some(&y)));
    let y_void = a2.op(y.case_id, registered_state, void(Some(&x)));
    assert_eq!(quarantined(&push(&m1, &a1, &[x_void])), []);
    let seq = y_void.seq;
    assert_eq!(
        quarantined(&push(&m2, &a2, &[y_void])),
        [(seq, "void.duplicate_voided".to_string())]
    );
    assert_eq!(case_of(&m2, y.case_id)["state"], "registered");

    // Both in one push: the second sees the first.
    let p_void = a1.op(p.case_id, registered_state, void(Some(&q)));
    let q_void = a1.op(q.case_id, registered_state, void(Some(&p)));
    let seq = q_void.seq;
    assert_eq!(
        quarantined(&push(&m1, &a1, &[p_void, q_void])),
        [(seq, "void.duplicate_voided".to_string())]
    );

    // A number no case has, and one of another property: alike.
    let mut unknown = void(Some(&y));
    if let Action::Void { duplicate_of, .. } = &mut unknown {
        *duplicate_of = Some("PA-261205-99-9999".parse().expect("a registration number"));
    }
    let nowhere = a2.op(q.case_id, registered_state, unknown);
    let foreign = a2.op(q.case_id, registered_state, void(Some(&elsewhere)));
    let (s1, s2) = (nowhere.seq, foreign.seq);
    assert_eq!(
        quarantined(&push(&m2, &a2, &[nowhere, foreign])),
        [
            (s1, "void.unknown_case".to_string()),
            (s2, "void.unknown_case".to_string()),
        ]
    );
    // Voided with no case named, it is.
    let plain = a2.op(q.case_id, registered_state, void(None));
    assert_eq!(quarantined(&push(&m2, &a2, &[plain])), []);
    assert_eq!(case_of(&m2, q.case_id)["state"], "voided");

    // A void that lost a conflict is judged when it is applied: the case
    // it names may have been voided as its copy meanwhile.
    let (a, b) = (
        s.register(w.pa(), "门禁损坏"),
        s.register(w.pa(), "门禁损坏（重复）"),
    );
    assert_eq!(quarantined(&push(&staff, &s, &[a.clone(), b.clone()])), []);
    let assessed = a1.op(a.case_id, registered_state, assess());
    let a_void = a1.op(a.case_id, registered_state, void(Some(&b)));
    assert_eq!(
        quarantined(&push(&m1, &a1, &[assessed, a_void.clone()])),
        []
    );
    assert_eq!(
        case_of(&m1, a.case_id)["state"],
        "assessed",
        "the void lost"
    );
    let b_void = a2.op(b.case_id, registered_state, void(Some(&a)));
    assert_eq!(quarantined(&push(&m2, &a2, &[b_void])), []);
    let applied = a1.op(
        a.case_id,
        None,
        Action::ResolveConflict {
            conflict_op: a_void.id,
            apply: true,
            note: String::new(),
        },
    );
    let seq = applied.seq;
    assert_eq!(
        quarantined(&push(&m1, &a1, &[applied])),
        [(seq, "void.duplicate_voided".to_string())]
    );
    assert_eq!(case_of(&m1, a.case_id)["state"], "assessed");
}

/// The server accepts device clocks up to the allowed skew ahead of its
/// own (a day by default, `--max-clock-skew-minutes`), no further.
#[test]
fn the_allowed_clock_skew_is_a_flag() {
    let fx = Fixture::new();
    let ahead = |server: &Server, minutes: i64| {
        let (c, mut a) = {
            let (c, body) = Client::login(&server.base, "staff_a");
            (c, Author::new(&body))
        };
        let at = Utc::now() + Duration::minutes(minutes);
        let op = a.register_at(&fx.pa, CaseKind::Complaint, at, |_| {});
        quarantined(&push(&c, &a, &[op]))
    };
    // The default, as `server serve` has it.
    let default = server::CLOCK_SKEW_MINUTES.to_string();
    let server = Server::start_with(fx.data.path(), &["--max-clock-skew-minutes", &default]);
    assert_eq!(ahead(&server, 23 * 60), []);
    assert_eq!(
        ahead(&server, 25 * 60),
        [(1, "clock.out_of_range".to_string())]
    );
    drop(server);
    let strict = Server::start_with(fx.data.path(), &["--max-clock-skew-minutes", "5"]);
    assert_eq!(ahead(&strict, 2), []);
    assert_eq!(ahead(&strict, 10), [(1, "clock.out_of_range".to_string())]);
}

/// An act dated back, to look on time or to slip in before a colleague's,
/// is set aside: a device's clock never goes back from one op to the next
/// (`clock.went_back`), and an op's time lies no further than the allowed
/// skew before its device's first login or its own HLC (`clock.behind`).
/// An op recorded offline some hours ago, as a tablet does, is taken.
#[test]
fn an_act_dated_back_is_set_aside() {
    let fx = Fixture::new();
    let default = server::CLOCK_SKEW_MINUTES.to_string();
    let server = Server::start_with(fx.data.path(), &["--max-clock-skew-minutes", &default]);
    let login = || {
        let (c, body) = Client::login(&server.base, "staff_a");
        (c, Author::new(&body))
    };
    let (c, mut a) = login();
    let reg = a.register(&fx.pa, "楼道灯不亮");
    let case = reg.case_id;
    assert_eq!(quarantined(&push(&c, &a, &[reg])), []);
    let three_days_ago = Utc::now() - Duration::days(3);

    // Its own clock runs on; its time claims three days ago.
    let mut dated_back = a.op(case, None, note("已处理"));
    dated_back.at = three_days_ago;
    // Its clock set before the op the device made before it.
    let mut clock_back = a.op(case, None, note("已处理"));
    clock_back.hlc.wall_ms = three_days_ago.timestamp_millis();
    clock_back.at = three_days_ago;
    // Made offline this morning, sent now: taken.
    let mut this_morning = a.op(case, None, note("上午已上门"));
    this_morning.at = Utc::now() - Duration::hours(3);
    // Its clock carried 20 hours ahead by a colleague's fast tablet, its
    // own clock 10 hours slow: within twice the skew, taken.
    let mut carried = a.op(case, None, note("已电话联系"));
    carried.hlc.wall_ms = (Utc::now() + Duration::hours(20)).timestamp_millis();
    carried.at = Utc::now() - Duration::hours(10);
    assert_eq!(
        quarantined(&push(
            &c,
            &a,
            &[dated_back, clock_back, this_morning, carried]
        )),
        [
            (2, "clock.behind".to_string()),
            (3, "clock.went_back".to_string())
        ]
    );
    // An administrator who read why vouches for its time: taken.
    let (admin, _) = Client::login(&server.base, "admin");
    let (_, aside) = admin.get("/api/v1/admin/quarantine");
    let entry = aside.as_array().expect("the quarantine")[0]["id"]
        .as_i64()
        .expect("an id");
    let (_, outcome) = admin.post(
        &format!("/api/v1/admin/quarantine/{entry}/reapply"),
        &json!({}),
    );
    assert_eq!(outcome["outcome"], "accepted", "{outcome}");

    // A new login's device, clock and time both three days back.
    let (c, mut fresh) = login();
    let op = fresh.op_at(case, None, note("已处理"), three_days_ago);
    assert_eq!(
        quarantined(&push(&c, &fresh, &[op])),
        [(1, "clock.behind".to_string())]
    );
}

/// Attack 3: statistics over a period in year 262142 must not loop over
/// every day up to it; every bad period answers 400 at once.
#[test]
fn statistics_periods_are_bounded() {
    let w = world();
    let (quality, _) = w.login("quality");
    let mut c = Client::with_timeout(&w.server.base, StdDuration::from_secs(10));
    c.token = quality.token.clone();
    let periods = [
        "period=custom&from=%2B262142-12-01&to=%2B262142-12-31",
        "period=custom&from=-000001-01-01&to=2025-01-01",
        "period=custom&from=1999-12-31&to=2000-01-02",
        "period=custom&from=2100-12-01&to=2101-01-01",
        "period=custom&from=2000-01-01&to=2100-12-31",
        "period=year&from=%2B262142-06-01",
        "period=quarter&from=1999-12-31",
        "period=month&from=2101-01-01",
    ];
    for period in periods {
        for endpoint in [
            "/api/v1/stats",
            "/api/v1/exports/stats.csv",
            "/api/v1/exports/stats.xlsx",
        ] {
            let path = format!("{endpoint}?{period}");
            let (status, body) = c.get(&path);
            assert_eq!(status, 400, "{path}: {body}");
            assert!(code(&body).starts_with("stats."), "{path}: {body}");
        }
    }
    // The bounds themselves are fine.
    let (status, body) = c.get("/api/v1/stats?period=year&from=2100-06-01");
    assert_eq!(status, 200, "{body}");
    let (status, body) = c.get("/api/v1/stats?period=custom&from=2000-01-01&to=2004-12-31");
    assert_eq!(status, 200, "{body}");
    let (status, body) = c.get("/api/v1/stats?period=custom&from=2096-01-01&to=2100-12-31");
    assert_eq!(status, 200, "{body}");
    let (status, body) = w.server.client().get("/healthz");
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
}

/// Attack 4: failed logins with huge names cost the server no memory and
/// leave no huge audit entry; the password is never recorded.
#[test]
fn huge_login_names_are_refused_before_anything_else() {
    let w = world();
    // The admin logs in first: the flood may block the address.
    let (admin, _) = w.login("admin");
    let anon = w.server.client();
    let before = w.server.peak_rss_kb();
    let mib = "x".repeat(1 << 20);
    for i in 0..200 {
        let login = format!("{i:04}{mib}");
        // A login's body is a few KiB at most: this one is refused unread,
        // and the answer may come while it is still being sent, which cuts
        // the sending short.
        let status = anon.try_post(
            "/api/v1/auth/login",
            &json!({ "login": login, "password": "whatever-pass" }),
        );
        assert!(
            matches!(status, None | Some(413 | 429)),
            "attempt {i}: {status:?}"
        );
    }
    let (status, body) = anon.post(
        "/api/v1/auth/login",
        &json!({ "login": "x".repeat(20 * 1024), "password": "whatever-pass" }),
    );
    assert_eq!((status, code(&body)), (413, "request.too_large"));
    // One that fits the body is refused for its login's length.
    let (status, body) = anon.post(
        "/api/v1/auth/login",
        &json!({ "login": "x".repeat(1000), "password": "whatever-pass" }),
    );
    assert!(matches!(status, 422 | 429), "{status} {body}");
    if status == 422 {
        assert_eq!(code(&body), "request.too_long");
    }
    let after = w.server.peak_rss_kb();
    println!("server peak RSS before {before:?} kB, after {after:?} kB");
    if let (Some(before), Some(after)) = (before, after) {
        assert!(
            after.saturating_sub(before) < 100 * 1024,
            "peak RSS grew from {before} kB to {after} kB"
        );
    }
    // The bounds: 64 characters of login, 256 bytes of password.
    let (status, body) = anon.post(
        "/api/v1/auth/login",
        &json!({ "login": "字".repeat(65), "password": "whatever-pass" }),
    );
    assert_eq!((status, code(&body)), (422, "request.too_long"));
    let (status, body) = anon.post(
        "/api/v1/auth/login",
        &json!({ "login": "staff_a", "password": "p".repeat(257) }),
    );
    assert_eq!((status, code(&body)), (422, "request.too_long"));

    let (status, log) = admin.get("/api/v1/admin/audit?limit=1000");
    assert_eq!(status, 200, "{log}");
    let text = log.to_string();
    assert!(
        text.len() < 1 << 20,
        "the audit log holds {} bytes",
        text.len()
    );
    assert!(!text.contains(&"x".repeat(65)), "a long login was recorded");
    assert!(!text.contains("whatever-pass"), "a password was recorded");
    for entry in log.as_array().expect("entries") {
        if let Some(login) = entry["detail"]["login"].as_str() {
            assert!(login.chars().count() <= 64, "{entry}");
        }
    }
}

/// The audit entry of a failed login: the login of a user who exists;
/// what matches nobody (often a password typed in the login field) masked
/// but for its first two characters; never the password.
#[test]
fn failed_logins_are_audited_without_the_password() {
    let w = world();
    let (admin, _) = w.login("admin");
    let anon = w.server.client();
    let long_login = "甲".repeat(64);
    for (login, password) in [
        ("staff_a", "wrong-password-1"),
        (long_login.as_str(), "wrong-password-2"),
        // A password typed in the login field.
        ("Tr0ub4dor&3", ""),
    ] {
        let (status, body) = anon.post(
            "/api/v1/auth/login",
            &json!({ "login": login, "password": password }),
        );
        assert_eq!(
            (status, code(&body)),
            (401, "auth.invalid_credentials"),
            "{body}"
        );
    }
    let (_, log) = admin.get("/api/v1/admin/audit?limit=100");
    let failed: Vec<&Value> = log
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "auth.login_failed")
        .collect();
    let logins: BTreeSet<&str> = failed
        .iter()
        .filter_map(|e| e["detail"]["login"].as_str())
        .collect();
    let long_masked = format!("甲甲{}", "*".repeat(62));
    assert_eq!(
        logins,
        BTreeSet::from(["staff_a", long_masked.as_str(), "Tr*********"])
    );
    let text = log.to_string();
    assert!(
        !text.contains("wrong-password") && !text.contains("Tr0ub4dor"),
        "{text}"
    );
}

/// Attack 5: thirty wrong passwords at once for one login from one
/// address; the limiter counts them atomically.
#[test]
fn parallel_wrong_passwords_are_throttled() {
    let w = world();
    let n = 30;
    let start = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let base = w.server.base.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                let c = Client::new(&base);
                start.wait();
                c.post_with_headers(
                    "/api/v1/auth/login",
                    &json!({ "login": "admin", "password": format!("wrong-password-{i}") }),
                    &["retry-after"],
                )
            })
        })
        .collect();
    let answers: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().expect("login thread"))
        .collect();
    let checked = answers.iter().filter(|(s, _, _)| *s == 401).count();
    let refused: Vec<u64> = answers
        .iter()
        .filter(|(s, _, _)| *s == 429)
        .map(|(_, headers, body)| {
            assert_eq!(code(body), "auth.rate_limited", "{body}");
            headers[0]
                .as_deref()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("429 without a Retry-After in seconds: {headers:?}"))
        })
        .collect();
    assert_eq!(
        checked + refused.len(),
        n,
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert!(checked <= 5, "{checked} wrong passwords were checked");
    assert!(refused.len() >= 25);
    let longest = refused.iter().copied().max().unwrap_or(0);
    assert!(refused.iter().all(|s| *s >= 1));

    // The right password is refused too, for a bounded time that the
    // refused attempts did not extend.
    let (status, headers, body) = w.server.client().post_with_headers(
        "/api/v1/auth/login",
        &json!({ "login": "admin", "password": PASSWORD }),
        &["retry-after"],
    );
    assert_eq!((status, code(&body)), (429, "auth.rate_limited"), "{body}");
    let wait: u64 = headers[0]
        .as_deref()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(
        wait <= longest + 1,
        "refused attempts extended the wait to {wait} s"
    );
    assert!(
        wait <= 15 * 60,
        "the first block lasts one window: {wait} s"
    );
}

/// Thirty wrong passwords for one login, in parallel, through a trusted
/// reverse proxy from the attacker's address: the real user, from another
/// address, still logs in. Without `--trusted-proxy` the header is not
/// believed, so an attacker cannot escape the limiter by naming addresses.
#[test]
fn a_throttled_attacker_does_not_lock_out_the_user_elsewhere() {
    let fx = Fixture::new();
    let behind_proxy = Server::start_with(fx.data.path(), &["--trusted-proxy", "127.0.0.1"]);
    let wrong_from = |base: &str, address: Option<String>, i: usize| {
        let mut c = Client::new(base);
        c.forwarded_for = address;
        c.post(
            "/api/v1/auth/login",
            &json!({ "login": "admin", "password": format!("wrong-password-{i}") }),
        )
        .0
    };
    let start = Arc::new(Barrier::new(30));
    let statuses: Vec<u16> = (0..30)
        .map(|i| {
            let base = behind_proxy.base.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                wrong_from(&base, Some("203.0.113.7".into()), i)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().expect("login thread"))
        .collect();
    assert!(
        statuses.iter().filter(|s| **s == 401).count() <= 5,
        "{statuses:?}"
    );
    let mut user = Client::new(&behind_proxy.base);
    user.forwarded_for = Some("198.51.100.9".into());
    let (status, body) = user.post(
        "/api/v1/auth/login",
        &json!({ "login": "admin", "password": PASSWORD }),
    );
    assert_eq!(status, 200, "the real user is locked out: {body}");
    let mut attacker = Client::new(&behind_proxy.base);
    attacker.forwarded_for = Some("203.0.113.7".into());
    let (status, _) = attacker.post(
        "/api/v1/auth/login",
        &json!({ "login": "admin", "password": PASSWORD }),
    );
    assert_eq!(status, 429, "the attacker's address is still throttled");
    drop(behind_proxy);

    // No trusted proxy: every request is from 127.0.0.1, whatever it says.
    let direct = Server::start(fx.data.path());
    let statuses: Vec<u16> = (0..10)
        .map(|i| wrong_from(&direct.base, Some(format!("192.0.2.{i}")), i))
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
}

/// When and how a case was received set its deadlines. The department
/// head working it cannot move them; its first responder and management
/// can, but never to after the case was recorded.
#[test]
fn what_the_clocks_count_from_is_corrected_by_the_first_responder_or_management() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    let (head, mut h) = w.login("head_a");
    let (manager, mut m) = w.login("manager_a");
    let reg = s.register(w.pa(), "楼道灯不亮");
    let case = reg.case_id;
    let recorded = reg.at;
    assert_eq!(quarantined(&push(&staff, &s, &[reg])), []);
    // The codes the server quarantines an edit by `a` with.
    let edit = |c: &Client, a: &mut Author, patch: RegistrationPatch| -> Vec<String> {
        let op = a.op(case, None, Action::Edit(patch));
        let answer = push(c, a, &[op]);
        quarantined(&answer)
            .into_iter()
            .map(|(_, code)| code)
            .collect()
    };
    let received = |t| RegistrationPatch {
        received_at: Some(t),
        ..Default::default()
    };
    let by_letter = RegistrationPatch {
        channel: Some(shared::case::Channel::Letter),
        ..Default::default()
    };
    let clock_fields = ["case.clock_fields"];
    assert_eq!(
        edit(&head, &mut h, received(recorded - Duration::hours(1))),
        clock_fields
    );
    assert_eq!(edit(&head, &mut h, by_letter.clone()), clock_fields);
    // What else they may correct, they still may.
    let content = RegistrationPatch {
        content: Some("楼道灯不亮，已两天".into()),
        ..Default::default()
    };
    assert!(edit(&head, &mut h, content).is_empty());
    let earlier = received(recorded - Duration::hours(2));
    assert!(edit(&staff, &mut s, earlier).is_empty());
    assert!(edit(&manager, &mut m, by_letter).is_empty());
    assert_eq!(
        edit(&manager, &mut m, received(recorded + Duration::hours(1))),
        ["validation.received_in_future"]
    );
    let stored = case_of(&manager, case);
    assert_eq!(
        stored["registration"]["channel"],
        json!("letter"),
        "{stored}"
    );
    // Whoever registered it is held to its registration clock: they
    // correct the receipt only earlier, and keep a written channel's clock.
    // The fold judges it, against the case as it stands when the edit
    // comes in the op order, whichever tablet's push arrived first: the
    // edit is stored, and refused.
    let refused = |field: &str| {
        let stored = case_of(&manager, case);
        let rules: Vec<&Value> = stored["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .map(|v| &v["rule"])
            .collect();
        assert_eq!(
            rules.last(),
            Some(&&json!({"code": "in_own_favour", "field": field})),
            "{stored}"
        );
        stored
    };
    let later = received(recorded - Duration::hours(1));
    assert!(edit(&staff, &mut s, later.clone()).is_empty());
    let stored = refused("received_at");
    let kept = (recorded - Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let stored_at: DateTime<Utc> = stored["registration"]["received_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("a time received");
    assert_eq!(
        stored_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        kept
    );
    let by_phone = RegistrationPatch {
        channel: Some(shared::case::Channel::Phone),
        ..Default::default()
    };
    assert!(edit(&staff, &mut s, by_phone.clone()).is_empty());
    assert_eq!(
        refused("channel")["registration"]["channel"],
        json!("letter")
    );
    let by_email = RegistrationPatch {
        channel: Some(shared::case::Channel::Email),
        ..Default::default()
    };
    assert!(edit(&staff, &mut s, by_email).is_empty());
    assert!(edit(&staff, &mut s, received(recorded - Duration::hours(3))).is_empty());
    // Management corrects either way.
    assert!(edit(&manager, &mut m, later).is_empty());
    assert!(edit(&manager, &mut m, by_phone).is_empty());

    // The manager corrects the receipt to earlier; offline, whoever
    // registered the case corrects it too, later than the manager's: in
    // their own favour against it. Whichever push arrives first, the
    // manager's stands.
    for staff_first in [true, false] {
        let (staff2, mut s2) = w.login("staff_a");
        let (manager2, mut m2) = w.login("manager_a");
        let reg = s2.register(w.pa(), "门禁失灵");
        let (id, at) = (reg.case_id, reg.at);
        assert_eq!(quarantined(&push(&staff2, &s2, &[reg])), []);
        let now = Utc::now();
        let by_manager = m2.op_at(
            id,
            None,
            Action::Edit(received(at - Duration::hours(3))),
            now + Duration::seconds(1),
        );
        let by_staff = s2.op_at(
            id,
            None,
            Action::Edit(received(at - Duration::hours(1))),
            now + Duration::seconds(2),
        );
        if staff_first {
            assert_eq!(quarantined(&push(&staff2, &s2, &[by_staff])), []);
            assert_eq!(quarantined(&push(&manager2, &m2, &[by_manager])), []);
        } else {
            assert_eq!(quarantined(&push(&manager2, &m2, &[by_manager])), []);
            assert_eq!(quarantined(&push(&staff2, &s2, &[by_staff])), []);
        }
        let stored = case_of(&manager, id);
        let stored_at: DateTime<Utc> = stored["registration"]["received_at"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("a time received");
        assert_eq!(
            stored_at,
            at - Duration::hours(3),
            "staff first: {staff_first}: {stored}"
        );
    }

    // An edit its tablet recorded before these rules keeps its meaning.
    let (old_tablet, mut o) = w.login("head_a");
    registered_before_the_schema_floor(w.fx.data.path(), o.device);
    let mut old = o.op(
        case,
        None,
        Action::Edit(received(recorded + Duration::hours(1))),
    );
    old.schema = shared::workflow::CLOCK_FIELDS_SCHEMA - 1;
    assert_eq!(quarantined(&push(&old_tablet, &o, &[old])), []);
}

/// Attack 6: times, texts and numbers beyond every bound are quarantined,
/// and the reads that render them keep working.
#[test]
fn values_beyond_their_bounds_are_quarantined() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    let (quality, _) = w.login("quality");
    let reg = s.register(w.pa(), "垃圾清运不及时");
    let case = reg.case_id;
    assert_eq!(quarantined(&push(&staff, &s, &[reg])), []);
    let before = case_of(&quality, case);

    let far: DateTime<Utc> = "+10000-01-01T00:00:00Z".parse().expect("a far date");
    let edit = |patch: RegistrationPatch| Action::Edit(patch);
    let mut ops: Vec<(Op, &[&str])> = Vec::new();
    let mut add = |op: Op, codes: &'static [&'static str]| ops.push((op, codes));
    add(
        s.op(
            case,
            None,
            edit(RegistrationPatch {
                received_at: Some(far),
                ..Default::default()
            }),
        ),
        &["clock.out_of_range"],
    );
    add(
        s.op(
            case,
            None,
            edit(RegistrationPatch {
                content: Some("字".repeat(40_000)),
                ..Default::default()
            }),
        ),
        &["validation.too_long"],
    );
    add(
        s.op(
            case,
            None,
            edit(RegistrationPatch {
                complainant_phone: Some(Some(
                    serde_json::from_value(json!("call me maybe")).expect("a phone"),
                )),
                ..Default::default()
            }),
        ),
        &["validation.phone_malformed"],
    );
    // A complaint's name is required at intake, so a correction may not
    // clear it.
    add(
        s.op(
            case,
            None,
            edit(RegistrationPatch {
                complainant_name: Some("  ".into()),
                ..Default::default()
            }),
        ),
        &["validation.required"],
    );
    add(
        s.op(
            case,
            None,
            edit(RegistrationPatch {
                category: Some("no-such-category".into()),
                ..Default::default()
            }),
        ),
        &["validation.unknown_category"],
    );
    let pb_building = w.pb().buildings[0].id;
    add(
        s.op(
            case,
            None,
            edit(RegistrationPatch {
                location: Some(shared::property::Location::Building {
                    building: pb_building,
                }),
                ..Default::default()
            }),
        ),
        &["validation.not_in_property"],
    );
    // Times are changed after the op is made, so that the author's clock
    // (which every later op follows) stays sane.
    let mut end_of_time = s.op(case, None, note("世界末日"));
    end_of_time.at = DateTime::<Utc>::MAX_UTC;
    add(end_of_time, &["clock.out_of_range"]);
    let mut extreme_clock = s.op(case, None, note("时钟溢出"));
    extreme_clock.hlc.wall_ms = i64::MAX;
    extreme_clock.hlc.counter = u32::MAX;
    add(
        extreme_clock,
        &["clock.out_of_range", "validation.out_of_range"],
    );
    let mut big_counter = s.op(case, None, note("计数溢出"));
    big_counter.hlc.counter = u32::MAX;
    add(big_counter, &["validation.out_of_range"]);
    let mut too_old = s.op(case, None, note("上个世纪"));
    too_old.at = "1999-12-31T23:59:59Z".parse().expect("a time");
    add(too_old, &["clock.out_of_range"]);
    // Past the test server's allowed skew (`common::lenient_clock`).
    let mut years_ahead = s.op(case, None, note("十一年后"));
    years_ahead.at = Utc::now() + Duration::days(11 * 366);
    add(years_ahead, &["clock.out_of_range"]);
    add(
        s.op(
            case,
            None,
            Action::Extend {
                working_days: u32::MAX,
                reason: "等待".into(),
            },
        ),
        &["validation.out_of_range"],
    );
    add(
        s.op(
            case,
            None,
            Action::Propose {
                measures: "赔偿".into(),
                responsible: "张工".into(),
                planned_date: chrono::NaiveDate::from_ymd_opt(262_142, 12, 31),
                compensation_fen: i64::MAX,
            },
        ),
        &["clock.out_of_range", "validation.out_of_range"],
    );
    add(
        s.op(
            case,
            None,
            Action::Attach {
                id: shared::id::AttachmentId(uuid::Uuid::now_v7()),
                attachment_kind: shared::case::AttachmentKind::Photo,
                name: "大.jpg".into(),
                mime: "image/jpeg".into(),
                size: u64::MAX,
                hash: Some(shared::blob::BlobHash::of(b"big")),
                caption: String::new(),
                thumbnail: None,
            },
        ),
        &["validation.out_of_range"],
    );
    add(s.op(case, None, note(" ")), &["validation.required"]);
    // A new case registered at the end of time.
    let mut doomsday = s.register(w.pa(), "末日登记");
    doomsday.at = DateTime::<Utc>::MAX_UTC;
    if let Action::Register(r) = &mut doomsday.action {
        r.received_at = DateTime::<Utc>::MAX_UTC;
    }
    let doomsday_case = doomsday.case_id;
    add(doomsday, &["clock.out_of_range", "case.reg_no_mismatch"]);

    let (batch, expected): (Vec<Op>, Vec<&[&str]>) = ops.into_iter().unzip();
    let answer = push(&staff, &s, &batch);
    assert_eq!(answer["acked_seq"], s.seq, "{answer}");
    let got: BTreeMap<u64, String> = quarantined(&answer).into_iter().collect();
    for (op, want) in batch.iter().zip(expected) {
        let code = got.get(&op.seq).map(String::as_str).unwrap_or("stored");
        assert!(
            want.contains(&code),
            "op {} ({:?}): {code}",
            op.seq,
            op.action.kind()
        );
    }

    // An admin re-applying them gets the same judgement, not a crash.
    let (admin, _) = w.login("admin");
    let (status, list) = admin.get("/api/v1/admin/quarantine");
    assert_eq!(status, 200, "{list}");
    let entries = list.as_array().expect("a list");
    assert_eq!(entries.len(), batch.len());
    for entry in entries {
        let id = entry["id"].as_i64().expect("an id");
        let (status, outcome) = admin.post(
            &format!("/api/v1/admin/quarantine/{id}/reapply"),
            &json!({}),
        );
        assert_eq!(status, 200, "{outcome}");
        assert_eq!(outcome["outcome"], "refused", "{entry}: {outcome}");
    }
    assert_eq!(case_of(&quality, case), before, "nothing reached the case");
    assert_eq!(staff.get(&format!("/api/v1/cases/{doomsday_case}")).0, 404);
    let (status, page) = staff.get("/api/v1/cases");
    assert_eq!((status, &page["total"]), (200, &json!(1)), "{page}");
    check_reads(&quality);
}

/// Every read that renders cases answers 200: the list, the statistics and
/// both exports, the CSV with as many rows as `X-Total-Rows` says.
fn check_reads(reader: &Client) {
    let (status, page) = reader.get("/api/v1/cases?per_page=100");
    assert_eq!(status, 200, "{page}");
    let (status, stats) = reader.get("/api/v1/stats?period=year");
    assert_eq!(status, 200, "{stats}");
    let total = common::complete_csv_export(reader);
    let (status, _, xlsx) = reader.get_bytes("/api/v1/exports/cases.xlsx", &[]);
    assert_eq!(status, 200);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("an XLSX file");
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).expect("the cases sheet");
    assert_eq!(range.height(), total + 1, "header + one row per case");
    let (status, stats_csv) = reader.get("/api/v1/exports/stats.csv?period=year");
    assert_eq!(status, 200, "{stats_csv}");
}

/// Attack 7: the users a device pulls are names and roles of the caller's
/// properties (and which of those properties each works in), nothing more.
#[test]
fn pulled_users_are_cards_of_the_callers_properties() {
    let w = world();
    let users_pulled = |login: &str| -> Vec<Value> {
        let (c, _) = w.login(login);
        let (status, page) = c.get("/api/v1/sync/pull?after=0");
        assert_eq!(status, 200, "{page}");
        page["config"]
            .as_array()
            .expect("config")
            .iter()
            .find(|i| i["type"] == "users")
            .map(|i| i["value"].as_array().cloned().expect("a list"))
            .expect("users in the first pull")
    };
    let names = |users: &[Value]| -> BTreeSet<String> {
        users
            .iter()
            .map(|u| u["display_name"].as_str().expect("name").to_string())
            .collect()
    };
    let staff_view = users_pulled("staff_a");
    for user in &staff_view {
        let keys: BTreeSet<&str> = user
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert!(
            keys.is_subset(&BTreeSet::from([
                "id",
                "display_name",
                "role",
                "active",
                "properties",
                "department"
            ])),
            "{user}"
        );
        // Of a colleague's properties, only those the caller shares.
        for p in user["properties"].as_array().into_iter().flatten() {
            assert_eq!(p, &json!(w.pa().id), "{user}");
        }
    }
    let seen = names(&staff_view);
    for colleague in ["staff_a", "head_a", "manager_a", "regional_a", "deputy_a"] {
        assert!(
            seen.contains(colleague),
            "{colleague} missing from {seen:?}"
        );
    }
    for stranger in ["staff_b", "manager_b"] {
        assert!(!seen.contains(stranger), "{stranger} leaks to PA: {seen:?}");
    }
    let text = serde_json::to_string(&staff_view).expect("json");
    assert!(!text.contains("\"login\""));
    assert!(
        !text.contains(&w.pb().id.to_string()),
        "nothing of another property"
    );

    let quality_view = names(&users_pulled("quality"));
    assert_eq!(quality_view.len(), 10, "{quality_view:?}");
    let b_view = names(&users_pulled("manager_b"));
    assert!(b_view.contains("staff_b") && !b_view.contains("staff_a"));
}

/// The quarantine list masks the complainant in the ops it shows, field by
/// field as the role's setting says.
#[test]
fn the_quarantine_list_masks_personal_data() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    let (admin, _) = w.login("admin");
    let mut reg = s.register(w.pa(), "宠物扰民");
    if let Action::Register(r) = &mut reg.action {
        r.category = "no-such-category".into();
    }
    let answer = push(&staff, &s, &[reg]);
    assert_eq!(
        quarantined(&answer),
        [(1, "sync.invalid_registration".to_string())]
    );
    let (status, list) = admin.get("/api/v1/admin/quarantine");
    assert_eq!(status, 200, "{list}");
    let id = list[0]["id"].as_i64().expect("an entry");
    let (status, record) = admin.get(&format!("/api/v1/admin/quarantine/{id}"));
    assert_eq!(status, 200, "{record}");
    for shown in [&list, &record] {
        let text = shown.to_string();
        assert!(!text.contains("13912345678"), "{text}");
        assert!(!text.contains("王小明"), "{text}");
        assert!(text.contains("宠物扰民"), "the rest of the op is shown");
    }

    // An administrator allowed the phone (可见电话) reads it, and still not
    // the name.
    let (_, mut settings) = admin.get("/api/v1/admin/settings");
    settings["personal_data"]["admin"] = json!("phone");
    let (status, saved) = admin.put("/api/v1/admin/settings", &settings);
    assert_eq!(status, 200, "{saved}");
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let (_, record) = admin.get(&format!("/api/v1/admin/quarantine/{id}"));
    for shown in [&list, &record] {
        let text = shown.to_string();
        assert!(text.contains("13912345678"), "{text}");
        assert!(!text.contains("王小明"), "{text}");
    }
}

/// Attack 8: a server restored from a backup starts a new epoch, takes the
/// devices' ops again from where the backup ends, and never issues a device
/// number twice.
#[test]
fn a_restored_server_takes_the_lost_ops_again() {
    if !common::sqlite_only("backup and restore work on the SQLite file") {
        return;
    }
    let fx = Fixture::new();
    let mut server = Server::start(fx.data.path());
    let base = server.base.clone();
    let (staff, staff_login) = Client::login(&base, "staff_a");
    let mut s = Author::new(&staff_login);
    let staff_secret = secret_of(&staff_login);
    let (quality, quality_login) = Client::login(&base, "quality");
    let epoch = staff_login["epoch"].as_u64().expect("epoch");

    let mut made = Vec::new();
    let first = s.register(&fx.pa, "备份前");
    let first_case = first.case_id;
    made.push(first);
    made.push(s.op(first_case, None, note("备份前记录 1")));
    made.push(s.op(first_case, None, note("备份前记录 2")));
    let answer = push(&staff, &s, &made);
    assert_eq!(answer["acked_seq"], 3);
    assert_eq!(answer["epoch"], epoch);

    let dir = tempfile::tempdir().expect("temp dir");
    let backup = dir.path().join("backup.db");
    cli(
        fx.data.path(),
        &["backup", backup.to_str().expect("utf-8 path")],
    );

    // After the backup: three more ops, and a device the backup never saw.
    let second = s.register(&fx.pa, "备份后");
    let second_case = second.case_id;
    let later = vec![
        second,
        s.op(second_case, None, note("备份后记录 1")),
        s.op(second_case, None, note("备份后记录 2")),
    ];
    assert_eq!(push(&staff, &s, &later)["acked_seq"], 6);
    made.extend(later);
    let (staff_b, b_login) = Client::login(&base, "staff_b");
    let mut b = Author::new(&b_login);
    let b_secret = secret_of(&b_login);
    let b_reg = b.register(&fx.pb, "新设备登记");
    assert_eq!(
        push(&staff_b, &b, std::slice::from_ref(&b_reg))["acked_seq"],
        1
    );
    let numbers_before: Vec<u64> = [&staff_login, &quality_login, &b_login]
        .iter()
        .map(|l| l["device_number"].as_u64().expect("number"))
        .collect();
    drop((staff, staff_b, quality));

    server.kill();
    cli(
        fx.data.path(),
        &["restore", backup.to_str().expect("utf-8 path")],
    );
    let server = Server::start(fx.data.path());
    let base = server.base.clone();

    // Both devices are still known, with their ids, secrets and numbers.
    let (staff, again) = Client::login_on(&base, "staff_a", s.device, &staff_secret);
    assert_eq!(device_of(&again), s.device);
    assert_eq!(again["device_number"], staff_login["device_number"]);
    assert_eq!(again["acked_seq"], 3, "the backup holds three ops");
    let new_epoch = again["epoch"].as_u64().expect("epoch");
    assert_ne!(new_epoch, epoch, "a restore starts a new epoch");
    let (staff_b, b_again) = Client::login_on(&base, "staff_b", b.device, &b_secret);
    assert_eq!(
        device_of(&b_again),
        b.device,
        "a device the backup never saw"
    );
    assert_eq!(b_again["device_number"], b_login["device_number"]);
    assert_eq!(b_again["acked_seq"], 0);

    // The device makes its next op; the server asks for what it lost.
    let mut state = shared::device::DeviceState::new(s.device, s.number, 0);
    state.last_seq = s.seq;
    state.take_answer(6, None, epoch);
    state.cursor = 42;
    let seventh = s.op(second_case, None, note("恢复后记录"));
    state.last_seq = s.seq;
    let answer = push(&staff, &s, std::slice::from_ref(&seventh));
    made.push(seventh);
    assert_eq!(answer["acked_seq"], 3, "{answer}");
    assert_eq!(answer["expected_seq"], 4, "{answer}");
    assert_eq!(answer["epoch"], new_epoch, "{answer}");
    assert!(state.take_answer(3, Some(4), new_epoch));
    assert_eq!((state.acked_seq, state.cursor), (3, 0));
    let outbox: Vec<Op> = made
        .iter()
        .filter(|o| o.seq > state.acked_seq)
        .cloned()
        .collect();
    assert_eq!(outbox.len(), 4);
    let answer = push(&staff, &s, &outbox);
    assert_eq!(answer["acked_seq"], 7, "{answer}");
    assert_eq!(quarantined(&answer), []);
    let answer = push(&staff_b, &b, std::slice::from_ref(&b_reg));
    assert_eq!(
        (answer["acked_seq"].as_u64(), quarantined(&answer)),
        (Some(1), vec![])
    );

    // From cursor 0 every op comes back, exactly once, in the new epoch.
    let (quality, quality_again) = Client::login(&base, "quality");
    assert_eq!(quality_again["epoch"], new_epoch);
    let (_, page) = quality.get("/api/v1/sync/pull?after=0&limit=1");
    assert_eq!(page["epoch"], new_epoch);
    let pulled: Vec<OpId> = pull_all(&quality).into_iter().map(|o| o.id).collect();
    let expected: BTreeSet<OpId> = made.iter().chain([&b_reg]).map(|o| o.id).collect();
    assert_eq!(pulled.len(), expected.len(), "an op twice or missing");
    assert_eq!(pulled.into_iter().collect::<BTreeSet<_>>(), expected);
    for id in [first_case, second_case, b_reg.case_id] {
        case_of(&quality, id);
    }

    // A new device gets a number never issued before.
    let (_, fresh) = Client::login(&base, "manager_a");
    let number = fresh["device_number"].as_u64().expect("number");
    assert!(
        numbers_before.iter().all(|n| number > *n),
        "{number} after {numbers_before:?}"
    );
}

/// A backup is older than the logouts and deactivations made since: a
/// restore must not bring back a session that ended or a user an admin
/// disabled.
#[test]
fn a_restore_keeps_the_logouts_and_deactivations_made_after_the_backup() {
    if !common::sqlite_only("backup and restore work on the SQLite file") {
        return;
    }
    let fx = Fixture::new();
    let mut server = Server::start(fx.data.path());
    let base = server.base.clone();
    let (staff, _) = Client::login(&base, "staff_a");
    let (manager, manager_login) = Client::login(&base, "manager_a");
    let (admin, _) = Client::login(&base, "admin");
    // Disabled when the backup is made, enabled again since.
    let returning = common::user_id(&Client::login(&base, "staff_b").1);
    let active = |on: bool| {
        let (status, body) = admin.put(
            &format!("/api/v1/admin/users/{returning}/active"),
            &json!({ "active": on }),
        );
        assert_eq!(status, 204, "{body}");
    };
    active(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let backup = dir.path().join("backup.db");
    cli(
        fx.data.path(),
        &["backup", backup.to_str().expect("utf-8 path")],
    );
    active(true);
    // A category added and a setting changed since.
    let (_, categories) = admin.get("/api/v1/admin/categories");
    let mut categories = categories.as_array().cloned().expect("a list");
    categories.push(json!({"code": "pets", "name_zh": "宠物", "name_en": "Pets", "active": true}));
    let (status, body) = admin.put("/api/v1/admin/categories", &json!(categories));
    assert_eq!(status, 200, "{body}");
    let (_, mut settings) = admin.get("/api/v1/admin/settings");
    settings["satisfied_min"] = json!(5);
    settings["earlier_rules"] = json!([]);
    let (status, body) = admin.put("/api/v1/admin/settings", &settings);
    assert_eq!(status, 200, "{body}");

    assert_eq!(staff.post("/api/v1/auth/logout", &json!({})).0, 204);
    // The head of PA is moved to PB as staff.
    let pb = Client::login(&base, "staff_b").1["user"]["properties"].clone();
    let head = common::user_id(&Client::login(&base, "head_a").1);
    let (status, body) = admin.put(
        &format!("/api/v1/admin/users/{head}"),
        &json!({ "display_name": "head_a", "role": "staff", "properties": pb }),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = admin.post(
        "/api/v1/admin/users",
        &json!({
            "login": "newcomer",
            "display_name": "新同事",
            "role": "staff",
            "properties": pb,
            "password": "a-newcomers-pass",
        }),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = admin.post(
        "/api/v1/auth/password",
        &json!({ "current": PASSWORD, "new": "a-new-admin-pass" }),
    );
    assert_eq!(status, 204, "{body}");
    cli(
        fx.data.path(),
        &[
            "property",
            "add",
            "--code",
            "PC",
            "--name",
            "新园",
            "--households",
            "90",
        ],
    );
    let manager_id = common::user_id(&manager_login);
    let (status, body) = admin.put(
        &format!("/api/v1/admin/users/{manager_id}/active"),
        &json!({ "active": false }),
    );
    assert_eq!(status, 204, "{body}");
    server.kill();
    cli(
        fx.data.path(),
        &["restore", backup.to_str().expect("utf-8 path")],
    );
    let server = Server::start(fx.data.path());
    // The sessions from before, at the restarted server's address.
    let at = |c: &Client| {
        let mut again = Client::new(&server.base);
        again.token = c.token.clone();
        again
    };

    assert_eq!(at(&staff).get("/api/v1/me").0, 401, "the logout holds");
    assert_eq!(at(&manager).get("/api/v1/me").0, 401, "the token died");
    let (status, body) = login_status(&server.base, "manager_a", PASSWORD);
    assert!(
        matches!(status, 401 | 403),
        "a disabled user logs in: {status} {body}"
    );
    assert_eq!(at(&admin).get("/api/v1/me").0, 200, "the rest go on");
    let (status, _) = login_status(&server.base, "admin", PASSWORD);
    assert_eq!(status, 401, "the password replaced after the backup");
    let (status, body) = login_status(&server.base, "admin", "a-new-admin-pass");
    assert_eq!(status, 200, "{body}");
    let user = &Client::login(&server.base, "head_a").1["user"];
    assert_eq!(
        (&user["role"], &user["properties"]),
        (&json!("staff"), &pb),
        "the scope given since the backup"
    );
    let (status, body) = login_status(&server.base, "newcomer", "a-newcomers-pass");
    assert_eq!(status, 200, "a user added since the backup: {body}");
    let (status, body) = login_status(&server.base, "staff_b", PASSWORD);
    assert_eq!(status, 200, "a user enabled again since the backup: {body}");
    // A property added since: tablets' ops about it are not set aside.
    let (_, properties) = at(&admin).get("/api/v1/admin/properties");
    assert!(
        properties
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["code"] == "PC" && p["name"] == "新园")),
        "{properties}"
    );
    // The configuration saved since: tablets' registrations under the new
    // category are not set aside, nor the rules put back.
    let (_, categories) = at(&admin).get("/api/v1/admin/categories");
    assert!(
        categories
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["code"] == "pets")),
        "{categories}"
    );
    let (_, settings) = at(&admin).get("/api/v1/admin/settings");
    assert_eq!(settings["satisfied_min"], 5, "{settings}");
}

/// A backup written by a newer build is refused before anything is
/// replaced: swapped in, no server of this build could open it, and the
/// cases deleted since the backup would be forgotten.
#[test]
fn a_backup_of_a_newer_build_is_refused_whole() {
    if !common::sqlite_only("backup and restore work on the SQLite file") {
        return;
    }
    let fx = Fixture::new();
    let mut server = Server::start(fx.data.path());
    server.kill();
    let dir = tempfile::tempdir().expect("temp dir");
    let backup = dir.path().join("backup.db");
    cli(
        fx.data.path(),
        &["backup", backup.to_str().expect("utf-8 path")],
    );
    let db = rusqlite::Connection::open(&backup).expect("open the backup");
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("its version");
    db.pragma_update(None, "user_version", version + 1)
        .expect("a newer version");
    drop(db);
    let said = common::cli_refused(
        fx.data.path(),
        &["restore", backup.to_str().expect("utf-8 path")],
    );
    assert!(said.contains("newer than this server"), "{said}");
    let aside: Vec<_> = std::fs::read_dir(fx.data.path())
        .expect("the data directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("replaced"))
        .collect();
    assert!(aside.is_empty(), "{aside:?}");
    Server::start(fx.data.path());
}

/// The usual reason to restore is a damaged database: one that cannot be
/// read (or is gone) is set aside whole, and the restore goes on without
/// it, moving the epoch and the device numbers past any it may have
/// handed out.
#[test]
fn a_restore_over_a_damaged_database_still_moves_on_its_counters() {
    if !common::sqlite_only("backup and restore work on the SQLite file") {
        return;
    }
    let fx = Fixture::new();
    let mut server = Server::start(fx.data.path());
    let (_, first) = Client::login(&server.base, "staff_a");
    let dir = tempfile::tempdir().expect("temp dir");
    let backup = dir.path().join("backup.db");
    cli(
        fx.data.path(),
        &["backup", backup.to_str().expect("utf-8 path")],
    );
    // A tablet first seen after the backup, which the restore cannot know.
    let (_, since) = Client::login(&server.base, "manager_a");
    let since_number = since["device_number"].as_u64().expect("number");
    server.kill();
    let db = fx.data.path().join(server::DB_FILE);
    std::fs::write(&db, vec![0x5a; 8192]).expect("damage the database");
    let printed = cli(
        fx.data.path(),
        &["restore", backup.to_str().expect("utf-8 path")],
    );
    assert!(
        printed.contains("could not be read") && printed.contains("nothing since the backup"),
        "{printed}"
    );
    let kept: Vec<String> = std::fs::read_dir(fx.data.path())
        .expect("the data directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains("replaced-"))
        .collect();
    assert!(!kept.is_empty(), "the damaged file is kept aside");
    let server = Server::start(fx.data.path());
    let (_, fresh) = Client::login(&server.base, "gm");
    assert!(
        fresh["device_number"].as_u64().expect("number") > since_number,
        "{fresh}"
    );
    assert!(
        fresh["epoch"].as_u64().expect("epoch") > first["epoch"].as_u64().expect("epoch") + 1,
        "an epoch never handed out: {fresh}"
    );
}

/// A copy whose sequence counter is behind its own rows (a torn copy of a
/// running server's files, not `server backup`'s) is restored with the
/// counter past them: a push after the restore is taken, not refused on
/// a number given twice.
#[test]
fn a_restore_moves_the_sequence_past_the_rows_of_the_copy() {
    if !common::sqlite_only("backup and restore work on the SQLite file") {
        return;
    }
    let mut w = world();
    let (staff, mut s) = w.login("staff_a");
    let reg = s.register(w.pa(), "电梯异响");
    assert_eq!(quarantined(&push(&staff, &s, &[reg])), []);
    let dir = tempfile::tempdir().expect("temp dir");
    let backup = dir.path().join("backup.db");
    cli(
        w.fx.data.path(),
        &["backup", backup.to_str().expect("utf-8 path")],
    );
    rusqlite::Connection::open(&backup)
        .and_then(|db| {
            db.execute(
                "UPDATE counters SET value = 0 WHERE name = 'server_seq'",
                [],
            )
        })
        .expect("set the copy's counter back");
    w.server.kill();
    let db = w.fx.data.path().join(server::DB_FILE);
    std::fs::write(&db, vec![0x5a; 8192]).expect("damage the database");
    cli(
        w.fx.data.path(),
        &["restore", backup.to_str().expect("utf-8 path")],
    );
    let (counter, highest): (i64, i64) = rusqlite::Connection::open(&db)
        .and_then(|db| {
            db.query_row(
                "SELECT (SELECT value FROM counters WHERE name = 'server_seq'),
                        (SELECT max(server_seq) FROM ops)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .expect("read the restored file");
    assert!(
        counter >= highest,
        "counter {counter}, an op numbered {highest}"
    );
    w.server = Server::start(w.fx.data.path());
    let (staff, mut s) = w.login("staff_a");
    let reg = s.register(w.pa(), "路灯不亮");
    let answer = push(&staff, &s, &[reg]);
    assert_eq!(quarantined(&answer), [], "{answer}");
}

/// The role is checked before the body: a malformed body to an admin
/// endpoint tells a non-admin only that they may not.
#[test]
fn admin_endpoints_refuse_before_reading_the_body() {
    let w = world();
    let (staff, _) = w.login("staff_a");
    let (admin, _) = w.login("admin");
    for body in [r#"{"nonsense":1}"#, "{not json", "[]"] {
        let (status, answer) = staff.send("POST", "/api/v1/admin/users", body);
        assert_eq!((status, code(&answer)), (403, "auth.forbidden"), "{body}");
        let (status, answer) = staff.send("PUT", "/api/v1/admin/settings", body);
        assert_eq!((status, code(&answer)), (403, "auth.forbidden"), "{body}");
    }
    let (status, _) = admin.send("POST", "/api/v1/admin/users", r#"{"nonsense":1}"#);
    assert_eq!(status, 422);
}

fn login_status(base: &str, login: &str, password: &str) -> (u16, Value) {
    Client::new(base).post(
        "/api/v1/auth/login",
        &json!({ "login": login, "password": password }),
    )
}

#[test]
fn users_change_their_password_and_admins_reset_it() {
    let w = world();
    let base = w.server.base.clone();
    let (staff, s) = w.login("staff_a");
    let (admin, _) = w.login("admin");
    let change = |c: &Client, current: &str, new: &str| {
        c.post(
            "/api/v1/auth/password",
            &json!({ "current": current, "new": new }),
        )
    };
    let (status, body) = change(&staff, "not-my-password", "brand-new-pass");
    assert_eq!((status, code(&body)), (403, "auth.wrong_password"));
    let (status, body) = change(&staff, PASSWORD, "short");
    assert_eq!(
        (status, code(&body)),
        (422, "validation.password_too_short")
    );
    let (status, body) = change(&staff, PASSWORD, PASSWORD);
    assert_eq!(
        (status, code(&body)),
        (422, "validation.password_unchanged")
    );
    // Someone else logged in with the old password: the change logs them
    // out, and not the session that made it.
    let (other, _) = w.login("staff_a");
    assert_eq!(other.get("/api/v1/me").0, 200);
    let (status, body) = change(&staff, PASSWORD, "brand-new-pass");
    assert_eq!(status, 204, "{body}");
    assert_eq!(other.get("/api/v1/me").0, 401, "the other session ended");
    assert_eq!(staff.get("/api/v1/me").0, 200, "this one goes on");
    assert_eq!(login_status(&base, "staff_a", PASSWORD).0, 401);
    let (status, body) = login_status(&base, "staff_a", "brand-new-pass");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["must_change_password"], false);

    // Only an admin resets a password, and the user must then choose one.
    let reset = format!("/api/v1/admin/users/{}/password", s.user);
    let (status, _) = staff.post(&reset, &json!({ "new": "temporary-pass" }));
    assert!(matches!(status, 401 | 403), "{status}");
    let (status, body) = admin.post(&reset, &json!({ "new": "temporary-pass" }));
    assert_eq!(status, 204, "{body}");
    assert_eq!(staff.get("/api/v1/me").0, 401, "a reset ends every session");
    let (mut reset_client, answer) = {
        let mut c = Client::new(&base);
        let (status, answer) = c.post(
            "/api/v1/auth/login",
            &json!({ "login": "staff_a", "password": "temporary-pass" }),
        );
        assert_eq!(status, 200, "{answer}");
        c.token = answer["token"].as_str().map(String::from);
        (c, answer)
    };
    assert_eq!(answer["must_change_password"], true);
    // Whoever was told the temporary password gets no key to prove records
    // in the user's name, nor can ask for one.
    assert_eq!(answer["record_key"], "", "{answer}");
    let (status, body) = reset_client.post("/api/v1/auth/record-key", &json!({}));
    assert_eq!(
        (status, code(&body)),
        (403, "auth.password_change_required")
    );
    // Keeping the temporary password is no change.
    let (status, body) = change(&reset_client, "temporary-pass", "temporary-pass");
    assert_eq!(
        (status, code(&body)),
        (422, "validation.password_unchanged")
    );
    for path in ["/api/v1/cases", "/api/v1/sync/pull?after=0"] {
        let (status, body) = reset_client.get(path);
        assert_eq!(
            (status, code(&body)),
            (403, "auth.password_change_required"),
            "{path}"
        );
    }
    let device = device_of(&answer);
    let (status, body) = reset_client.post("/api/v1/sync/push", &push_body(device, &[]));
    assert_eq!(
        (status, code(&body)),
        (403, "auth.password_change_required")
    );
    assert_eq!(reset_client.get("/api/v1/me").0, 200);
    let (status, body) = change(&reset_client, "temporary-pass", "my-own-pass");
    assert_eq!(status, 204, "{body}");
    // Its answer lost on the way, the tablet sends the change again: done,
    // not a wrong current password counted as a guess (the first-login
    // screen does not even show that field).
    let (status, body) = change(&reset_client, "temporary-pass", "my-own-pass");
    assert_eq!(status, 204, "{body}");
    // Sent again past the ten minutes a retry takes, even by that
    // session, it is a wrong current password: a session left open on a
    // shared tablet must not confirm a guess days later.
    let eleven_minutes_ago = (chrono::Utc::now() - chrono::Duration::minutes(11))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let aged = common::update(
        w.fx.data.path(),
        "UPDATE audit SET at = $1 WHERE action = $2",
        &[&eleven_minutes_ago, &"auth.password_change".to_string()],
    );
    assert!(aged >= 1, "the change is audited");
    let (status, body) = change(&reset_client, "temporary-pass", "my-own-pass");
    assert_eq!((status, code(&body)), (403, "auth.wrong_password"));
    let (status, body) = login_status(&base, "staff_a", "my-own-pass");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["must_change_password"], false);
    assert_eq!(
        body["record_key"].as_str().map(str::len),
        Some(64),
        "{body}"
    );
    reset_client.token = body["token"].as_str().map(String::from);
    assert_eq!(reset_client.get("/api/v1/cases").0, 200);
    // Told "done" only in the session that made the change: to another
    // one, a "new" password that is already the user's would confirm a
    // guess, changing nothing, without a trace.
    let (status, body) = change(&reset_client, "a-guess-at-random", "my-own-pass");
    assert_eq!((status, code(&body)), (403, "auth.wrong_password"));
    assert_eq!(reset_client.post("/api/v1/auth/logout", &json!({})).0, 204);

    // A wrong current password and a logout are in the audit log, by whom.
    let (status, log) = admin.get("/api/v1/admin/audit?limit=200");
    assert_eq!(status, 200, "{log}");
    let by_staff = |action: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action && e["login"] == "staff_a" && e["device"].is_string())
            .count()
    };
    assert_eq!(by_staff("auth.password_change_failed"), 3, "{log}");
    assert_eq!(by_staff("auth.password_change_repeated"), 1, "{log}");
    assert_eq!(by_staff("auth.logout"), 1, "{log}");
}

#[test]
fn the_first_admin_changes_the_printed_password() {
    let data = tempfile::tempdir().expect("temp dir");
    let d = data.path();
    cli(d, &["init-admin"]);
    let file = d.join("first-admin.txt");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("first-admin.txt")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner reads the password");
    }
    let text = std::fs::read_to_string(&file).expect("first-admin.txt");
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("password:"))
        .map(|p| p.trim().to_string())
        .unwrap_or_else(|| panic!("no password in {text:?}"));
    let server = Server::start(d);
    let base = server.base.clone();
    let mut admin = Client::new(&base);
    let (status, answer) = admin.post(
        "/api/v1/auth/login",
        &json!({ "login": "admin", "password": password }),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["must_change_password"], true);
    admin.token = answer["token"].as_str().map(String::from);
    let (status, body) = admin.get("/api/v1/admin/users");
    assert_eq!(
        (status, code(&body)),
        (403, "auth.password_change_required")
    );
    assert_eq!(admin.get("/api/v1/me").0, 200);
    assert!(file.exists(), "kept until the admin chooses a password");
    let (status, body) = admin.post(
        "/api/v1/auth/password",
        &json!({ "current": password, "new": "the-admins-own" }),
    );
    assert_eq!(status, 204, "{body}");
    assert!(!file.exists(), "first-admin.txt is removed");
    let (status, answer) = login_status(&base, "admin", "the-admins-own");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["must_change_password"], false);
    admin.token = answer["token"].as_str().map(String::from);
    assert_eq!(admin.get("/api/v1/admin/users").0, 200);
}

/// The first admin is created before its password is written down: a
/// file that cannot be written still leaves the password printed, or the
/// account would stand with a password nobody was told.
#[test]
fn the_first_admins_password_is_printed_when_its_file_cannot_be_written() {
    let data = tempfile::tempdir().expect("temp dir");
    let d = data.path();
    std::fs::create_dir(d.join("first-admin.txt")).expect("a directory in the file's place");
    let out = std::process::Command::new(common::bin())
        .args(["init-admin", "--data-dir"])
        .arg(d)
        .args(common::backend_args(d))
        .output()
        .expect("run server binary");
    assert!(!out.status.success(), "the file was not written");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout
        .split("password \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no password printed: {stdout}"));
    let server = Server::start(d);
    let (status, answer) = login_status(&server.base, "admin", password);
    assert_eq!(status, 200, "{answer}");
}

/// A database restored with PostgreSQL's tools (or an SQLite file copied
/// back by hand) is older than what the tablets hold: `server new-epoch`
/// tells them, as `server restore` does, so that each resends what the
/// database lacks and pulls again. Audited.
///
/// The restored database may be older than epochs and device numbers the
/// tablets hold: the new epoch is one never used (the time in seconds),
/// and device numbers move on past those a tablet first seen after the
/// backup may carry in its registration numbers.
#[test]
fn a_new_epoch_started_from_the_command_line_reaches_every_answer() {
    let w = world();
    let (staff, mut a) = w.login("staff_a");
    let reg = a.register(w.pa(), "电梯异响");
    let before = push(&staff, &a, &[reg])["epoch"].as_u64().expect("epoch");
    let started = Utc::now().timestamp() as u64;
    let out = common::cli(&w.server.data, &["new-epoch"]);
    let (_, page) = staff.get("/api/v1/sync/pull?after=0");
    let epoch = page["epoch"].as_u64().expect("epoch");
    assert!(epoch > before && epoch >= started, "{before} → {epoch}");
    assert!(out.contains(&format!("epoch {epoch}")), "{out}");
    let next = a.register(w.pa(), "楼道灯不亮");
    assert_eq!(push(&staff, &a, &[next])["epoch"], json!(epoch));
    let (admin, first_seen_after) = w.login("admin");
    assert!(
        first_seen_after.number > a.number + 999,
        "a new tablet is numbered {} after tablet {}",
        first_seen_after.number,
        a.number
    );
    let (_, log) = admin.get("/api/v1/admin/audit?limit=5");
    assert!(
        log.as_array()
            .expect("a list")
            .iter()
            .any(|e| e["action"] == "server.new_epoch" && e["detail"]["epoch"] == json!(epoch)),
        "{log}"
    );
    // Started again at once, it still moves on.
    let out = common::cli(&w.server.data, &["new-epoch"]);
    assert!(out.contains(&format!("epoch {}", epoch + 1)), "{out}");
}
