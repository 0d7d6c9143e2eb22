//! The server's judgement under random input: one running server takes
//! pushes of valid ops with random fields changed (author, role, device,
//! clock, times, sequence, case, action fields with huge text, extreme
//! numbers and dates, removed or unknown keys). It never answers 5xx; every
//! op of an accepted batch is stored or quarantined; and afterwards every
//! read (case list, each case, statistics, both exports, a full pull)
//! answers 200.
//!
//! `MUTATED_OPS_CASES` sets the number of pushes (64 by default).

mod common;
#[path = "common/mutate.rs"]
mod mutate;

use chrono::Utc;
use common::{Author, Client, Fixture, Server, push_body};
use mutate::{Mutation, apply, mutations};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use shared::case::{
    AttachmentKind, ContactMethod, NoteKind, RegistrationPatch, Severity, Validity,
};
use shared::id::{CaseId, OpId};
use shared::op::{Action, Op};
use shared::role::Role;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// One planned op: which valid op to start from, on which case, and what
/// to change in it.
#[derive(Debug, Clone)]
struct Planned {
    base: u8,
    target: prop::sample::Index,
    mutations: Vec<Mutation>,
}

fn planned() -> impl Strategy<Value = Planned> {
    (any::<u8>(), any::<prop::sample::Index>(), mutations(3)).prop_map(
        |(base, target, mutations)| Planned {
            base,
            target,
            mutations,
        },
    )
}

/// The server and what the test knows of it.
struct Rig {
    _fx: Fixture,
    server: Server,
    staff: Client,
    author: Author,
    quality: Client,
    pa: shared::property::Property,
    /// Cases that exist on the server (registered and accepted).
    cases: Vec<CaseId>,
    /// Every case id an op named.
    named: BTreeSet<CaseId>,
    /// Ids worth putting into ops: other users, cases, properties, devices
    /// and op ids.
    known: Vec<String>,
    /// Ops of the device that the server stored (not quarantined).
    stored: Vec<Op>,
    /// Ops of the device that the server quarantined.
    refused: Vec<Op>,
    /// The batches pushed.
    pushes: usize,
    /// How many planned ops were normal, at another sequence, or refused
    /// with their batch.
    shapes: [usize; 3],
    /// The quarantine codes seen, with their counts.
    codes: BTreeMap<String, usize>,
}

fn rig() -> Rig {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (staff, body) = Client::login(&server.base, "staff_a");
    let author = Author::new(&body);
    let (quality, _) = Client::login(&server.base, "quality");
    let (manager, manager_login) = Client::login(&server.base, "manager_a");
    let (staff_b, b_login) = Client::login(&server.base, "staff_b");
    // A case of PB and a case of PA registered by others.
    let mut b = Author::new(&b_login);
    let reg_b = b.register(&fx.pb, "锦绣花园的工单");
    let (status, answer) = staff_b.post(
        "/api/v1/sync/push",
        &push_body(b.device, std::slice::from_ref(&reg_b)),
    );
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    let mut m = Author::new(&manager_login);
    let reg_m = m.register(&fx.pa, "经理登记的工单");
    let (status, answer) = manager.post(
        "/api/v1/sync/push",
        &push_body(m.device, std::slice::from_ref(&reg_m)),
    );
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    let known = [
        m.user.to_string(),
        b.user.to_string(),
        author.user.to_string(),
        m.device.to_string(),
        b.device.to_string(),
        author.device.to_string(),
        reg_b.case_id.to_string(),
        reg_m.case_id.to_string(),
        reg_b.id.to_string(),
        reg_m.id.to_string(),
        fx.pa.id.to_string(),
        fx.pb.id.to_string(),
        fx.pa.buildings[0].id.to_string(),
        fx.pa.buildings[0].units[0].id.to_string(),
        fx.pb.buildings[0].id.to_string(),
        fx.pb.buildings[0].units[0].id.to_string(),
    ]
    .into_iter()
    .collect();
    Rig {
        pa: fx.pa.clone(),
        _fx: fx,
        server,
        staff,
        author,
        quality,
        cases: vec![reg_m.case_id],
        named: [reg_m.case_id, reg_b.case_id].into(),
        known,
        stored: Vec::new(),
        refused: Vec::new(),
        pushes: 0,
        shapes: [0; 3],
        codes: BTreeMap::new(),
    }
}

/// A valid op of staff_a: a registration, or an action on a case.
fn base_op(rig: &mut Rig, p: &Planned) -> Op {
    let case = if rig.cases.is_empty() {
        None
    } else {
        Some(*p.target.get(&rig.cases))
    };
    let text = |s: &str| s.to_string();
    let action = match (p.base % 12, case) {
        (0, _) | (_, None) => return rig.author.register(&rig.pa.clone(), "随机登记"),
        (1, _) => Action::Edit(RegistrationPatch {
            content: Some(text("补充说明")),
            category: Some(text("cleaning")),
            received_at: Some(Utc::now() - chrono::Duration::hours(1)),
            ..Default::default()
        }),
        (2, _) => Action::Note {
            note_kind: NoteKind::OnSite,
            text: text("现场记录"),
        },
        (3, _) => Action::Assess {
            severity: Severity::Major,
            urgent: true,
            validity: Validity::Valid,
            reason: text("评估"),
            respondent: String::new(),
            respondent_department: String::new(),
        },
        (4, _) => Action::Propose {
            measures: text("更换设备"),
            responsible: text("张工"),
            planned_date: Some(Utc::now().date_naive()),
            compensation_fen: 50_000,
        },
        (5, _) => Action::Extend {
            working_days: 3,
            reason: text("等待配件"),
        },
        (6, _) => Action::Attach {
            id: shared::id::AttachmentId(uuid::Uuid::now_v7()),
            attachment_kind: AttachmentKind::Photo,
            name: text("现场.jpg"),
            mime: text("image/jpeg"),
            size: 2048,
            hash: Some(shared::blob::BlobHash::of(&p.base.to_le_bytes())),
            caption: text("现场"),
            thumbnail: None,
        },
        (7, _) => Action::Resolve {
            result: text("已处理"),
            feedback_method: ContactMethod::Phone,
            feedback_at: Some(Utc::now()),
            on_the_spot: true,
        },
        (8, _) => Action::PlanImprovement {
            plan: text("整改"),
            publish_on: Utc::now().date_naive(),
        },
        (9, _) => Action::FollowUp {
            method: ContactMethod::Visit,
            satisfaction: 4,
            comment: text("满意"),
            spot_check: false,
            ratings: None,
        },
        (10, _) => Action::Escalate {
            to_role: Role::Manager,
            skip_level: false,
            reason: text("上报"),
        },
        (_, _) => Action::Assign {
            department: text("工程部"),
            user: None,
            name: text("李工"),
            note: text("转办"),
        },
    };
    let case = case.expect("a case when not registering");
    rig.author.op(case, None, action)
}

/// How the server must treat one planned op.
enum Shape {
    /// Valid JSON of an op of this device at its next sequence number:
    /// stored or quarantined.
    Normal(Op),
    /// An op at another sequence number: anything but a 5xx.
    Extra(Op),
    /// Refused with the whole batch (does not decode, another device,
    /// sequence 0): pushed on its own, 4xx.
    Alone(Value),
}

fn run_case(rig: &mut Rig, plan: &[Planned]) -> Result<(), TestCaseError> {
    let now = Utc::now();
    let mut shapes = Vec::new();
    for p in plan {
        let op = base_op(rig, p);
        let seq = op.seq;
        let mut v = serde_json::to_value(&op).expect("an op serializes");
        for m in &p.mutations {
            apply(&mut v, m, &rig.known, now);
        }
        let shape = match serde_json::from_value::<Op>(v.clone()) {
            Ok(op) if op.device == rig.author.device && op.seq == seq => Shape::Normal(op),
            Ok(op) if op.device == rig.author.device && op.seq != 0 => Shape::Extra(op),
            _ => Shape::Alone(v),
        };
        rig.shapes[match shape {
            Shape::Normal(_) => 0,
            Shape::Extra(_) => 1,
            Shape::Alone(_) => 2,
        }] += 1;
        if !matches!(shape, Shape::Normal(_)) {
            // The device's own next op takes this sequence number again.
            rig.author.seq = seq - 1;
        }
        shapes.push(shape);
    }

    for shape in &shapes {
        if let Shape::Alone(v) = shape {
            let body = json!({ "device": rig.author.device, "ops": [v] });
            let (status, answer) = rig.staff.post("/api/v1/sync/push", &body);
            prop_assert!(
                (400..500).contains(&status),
                "a malformed op answered {status}: {answer}\n{v}"
            );
        }
    }
    let batch: Vec<Op> = shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Normal(op) | Shape::Extra(op) => Some(op.clone()),
            Shape::Alone(_) => None,
        })
        .collect();
    if batch.is_empty() {
        return Ok(());
    }
    rig.named.extend(batch.iter().map(|o| o.case_id));
    let (status, answer) = rig
        .staff
        .post("/api/v1/sync/push", &push_body(rig.author.device, &batch));
    rig.pushes += 1;
    prop_assert_eq!(status, 200, "{}", answer);
    let acked = answer["acked_seq"].as_u64().expect("acked_seq");
    let quarantined: BTreeMap<u64, String> = answer["quarantined"]
        .as_array()
        .expect("quarantined")
        .iter()
        .map(|q| {
            (
                q["seq"].as_u64().unwrap_or(0),
                q["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for code in quarantined.values() {
        *rig.codes.entry(code.clone()).or_default() += 1;
    }
    for shape in &shapes {
        let Shape::Normal(op) = shape else { continue };
        let listed = quarantined.contains_key(&op.seq);
        prop_assert!(
            op.seq <= acked || listed,
            "op {} neither acknowledged ({acked}) nor quarantined: {answer}",
            op.seq
        );
        if listed {
            rig.refused.push(op.clone());
        } else {
            rig.stored.push(op.clone());
            rig.known.push(op.id.to_string());
            if matches!(op.action, Action::Register(_)) {
                rig.cases.push(op.case_id);
            }
        }
    }
    Ok(())
}

fn cases_to_run() -> u32 {
    std::env::var("MUTATED_OPS_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64)
}

#[test]
fn mutated_ops_are_stored_or_quarantined_and_every_read_survives() {
    let rig = RefCell::new(rig());
    let mut runner = TestRunner::new(Config {
        cases: cases_to_run(),
        failure_persistence: None,
        max_shrink_iters: 32,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(planned(), 1..5), |plan| {
        run_case(&mut rig.borrow_mut(), &plan)
    });
    if let Err(e) = result {
        panic!("{e}");
    }

    let rig = rig.into_inner();
    let [normal, extra, alone] = rig.shapes;
    println!(
        "{} pushes of {normal} normal ops, {extra} at other sequence numbers and {alone} refused \
         with their batch: {} stored, {} quarantined ({:?}), {} cases",
        rig.pushes,
        rig.stored.len(),
        rig.refused.len(),
        rig.codes,
        rig.cases.len()
    );
    if cases_to_run() >= 32 {
        // Guards the generator: it must reach both outcomes.
        assert!(!rig.stored.is_empty() && !rig.refused.is_empty());
    }
    // What was stored is pulled back as it was sent (and decodes); nothing
    // quarantined is (an op quarantined for reusing an op id shares the id
    // of a stored op, not its content).
    let pulled = pull_all(&rig.quality);
    let by_id: BTreeMap<OpId, &Op> = pulled.iter().map(|o| (o.id, o)).collect();
    assert_eq!(by_id.len(), pulled.len(), "an op pulled twice");
    for op in &rig.stored {
        assert_eq!(
            by_id.get(&op.id),
            Some(&op),
            "stored op {} is not pulled as sent",
            op.id
        );
    }
    for op in &rig.refused {
        assert_ne!(
            by_id.get(&op.id),
            Some(&op),
            "quarantined op {} is pulled",
            op.id
        );
    }
    // Registrations that are not this device's next op (a sequence number
    // above a gap, say) may be stored too: count the cases from the log.
    let registered: BTreeSet<CaseId> = pulled
        .iter()
        .filter(|o| matches!(o.action, Action::Register(_)))
        .map(|o| o.case_id)
        .collect();
    pull_all(&rig.staff);

    for c in [&rig.staff, &rig.quality] {
        let (status, page) = c.get("/api/v1/cases?per_page=100");
        assert_eq!(status, 200, "{page}");
    }
    for case in &rig.cases {
        let (status, body) = rig.quality.get(&format!("/api/v1/cases/{case}"));
        assert_eq!(status, 200, "case {case}: {body}");
    }
    for case in &rig.named {
        let (status, body) = rig.staff.get(&format!("/api/v1/cases/{case}"));
        assert!(matches!(status, 200 | 404), "case {case}: {status} {body}");
    }
    let year = Utc::now().format("%Y").to_string();
    for query in [
        format!("period=year&from={year}-06-01"),
        "period=year&from=2000-06-01".to_string(),
        "period=year&from=2100-06-01".to_string(),
        "period=month".to_string(),
    ] {
        let (status, body) = rig.quality.get(&format!("/api/v1/stats?{query}"));
        assert_eq!(status, 200, "stats {query}: {body}");
        let (status, _, _) = rig
            .quality
            .get_bytes(&format!("/api/v1/exports/stats.xlsx?{query}"), &[]);
        assert_eq!(status, 200, "stats.xlsx {query}");
    }
    let total = common::complete_csv_export(&rig.quality);
    assert_eq!(total, registered.len(), "one row per registered case");
    let (status, _, _) = rig.quality.get_bytes("/api/v1/exports/cases.xlsx", &[]);
    assert_eq!(status, 200);
    let (status, _) = rig.server.client().get("/healthz");
    assert_eq!(status, 200);
}

fn pull_all(c: &Client) -> Vec<Op> {
    let mut after = 0;
    let mut ops = Vec::new();
    loop {
        let (status, page) = c.get(&format!("/api/v1/sync/pull?after={after}&limit=500"));
        assert_eq!(status, 200, "{page}");
        let page: shared::wire::PullResponse =
            serde_json::from_value(page).expect("a pull page decodes");
        ops.extend(page.ops.into_iter().map(|p| p.op));
        after = page.cursor;
        if !page.more {
            return ops;
        }
    }
}
