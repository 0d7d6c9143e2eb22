//! Convergence: five devices with skewed clocks make random valid ops
//! offline and sync in random interleavings, with duplicated batches,
//! lost answers and retries. After every schedule, every device's fold of
//! what it holds equals the server's materialized case, and the server holds
//! each op exactly once.
//!
//! The seed is printed; set `CONVERGENCE_SEED` to replay a failure and
//! `CONVERGENCE_SCHEDULES` to run more or fewer schedules.
//!
//! The server judges every op as it would a real tablet's: the simulated
//! clock starts two years back and never runs past the real one (ops from
//! the future are quarantined), and registration numbers carry the
//! property's code, the local date and the device number the server issued.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Author, Client, Fixture, Server, device_of, push_body, user_of};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use shared::case::NoteKind;
use shared::fold::fold;
use shared::id::{CaseId, OpId};
use shared::op::{Action, Op};
use shared::sim::Fleet;
use shared::wire::PullResponse;
use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

struct Tablet {
    client: Client,
    acked: u64,
    cursor: i64,
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Logs in a device for each handling role, with its clock skew in ms,
/// and a simulated fleet of those devices acting in property A.
fn log_in_fleet(server: &Server, fx: &Fixture) -> (Vec<Client>, Fleet) {
    let logins = [
        ("staff_a", 0),
        ("head_a", -3_600_000),
        ("manager_a", 7_200_000),
        ("regional_a", 90_000),
        ("deputy_a", -86_400_000),
    ];
    let mut clients = Vec::new();
    let mut identities = Vec::new();
    for (login, skew) in logins {
        let (client, body) = Client::login(&server.base, login);
        let user = user_of(&body);
        let number = body["device_number"]
            .as_u64()
            .expect("device_number in login response") as u32;
        identities.push((device_of(&body), user.id, user.role, skew, number));
        clients.push(client);
    }
    let mut fleet = Fleet::with_identities(&identities, fx.pa.id, 0);
    fleet.property_code = fx.pa.code.clone();
    (clients, fleet)
}

#[test]
fn devices_and_server_converge_over_random_schedules() {
    let seed = env_u64("CONVERGENCE_SEED").unwrap_or_else(|| rand::rng().random());
    let schedules = env_u64("CONVERGENCE_SCHEDULES").unwrap_or(300);
    println!("CONVERGENCE_SEED={seed} schedules={schedules}");
    let mut rng = StdRng::seed_from_u64(seed);

    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (clients, mut fleet) = log_in_fleet(&server, &fx);
    let mut tablets: Vec<Tablet> = clients
        .into_iter()
        .map(|client| Tablet {
            client,
            acked: 0,
            cursor: 0,
        })
        .collect();
    let (quality, _) = Client::login(&server.base, "quality");
    let mut now = Utc::now() - Duration::days(2 * 365);
    let mut checked_cases = 0usize;

    for schedule in 0..schedules {
        let first_op = fleet.ops.len();
        let steps = rng.random_range(5..40);
        for _ in 0..steps {
            now = advance(now, Duration::minutes(rng.random_range(0..180)));
            let d = rng.random_range(0..tablets.len());
            match rng.random_range(0..10) {
                0 | 1 => {
                    fleet.register(d, now, rng.random());
                }
                2..=5 => {
                    fleet.act(d, now, rng.random());
                }
                6 | 7 => push_some(&mut rng, &fleet, d, &mut tablets[d]),
                _ => pull_some(&mut rng, &mut fleet, d, &mut tablets[d], now),
            }
        }
        // Everyone comes back online: push everything, then pull everything.
        for (d, tablet) in tablets.iter_mut().enumerate() {
            push_all(&fleet, d, tablet);
        }
        for (d, tablet) in tablets.iter_mut().enumerate() {
            pull_all(&mut fleet, d, tablet, now);
        }
        let cases: BTreeSet<_> = fleet.ops[first_op..].iter().map(|o| o.case_id).collect();
        for case in &cases {
            for (d, tablet) in tablets.iter().enumerate() {
                check_case(&fleet, d, tablet, case, seed, schedule);
            }
        }
        checked_cases += cases.len();
    }

    // Exactly once: the server holds every op made, no more, none quarantined.
    let mut after = 0;
    let mut server_ops = Vec::new();
    loop {
        let (_, page) = quality.get(&format!("/api/v1/sync/pull?after={after}&limit=1000"));
        let page: PullResponse = serde_json::from_value(page).expect("pull page");
        server_ops.extend(page.ops.into_iter().map(|p| p.op.id));
        after = page.cursor;
        if !page.more {
            break;
        }
    }
    let distinct: BTreeSet<_> = server_ops.iter().collect();
    assert_eq!(
        distinct.len(),
        server_ops.len(),
        "seed {seed}: an op was stored twice"
    );
    assert_eq!(
        server_ops.len(),
        fleet.ops.len(),
        "seed {seed}: ops lost or invented"
    );
    let (admin, _) = Client::login(&server.base, "admin");
    let (_, q) = admin.get("/api/v1/admin/quarantine");
    assert_eq!(
        q.as_array().map(Vec::len),
        Some(0),
        "seed {seed}: quarantined {q}"
    );
    println!(
        "{} ops, {checked_cases} case checks across {schedules} schedules; the simulated clock ended at {now}",
        fleet.ops.len()
    );
}

/// The server keeps each case's fold and applies a push's ops to it when
/// they sort after it, folding the case again when they do not. Pushed an
/// op at a time by devices that act on stale views (so some ops arrive
/// after ops they sort after), the case the server shows after every push
/// is the fold of every op it holds.
#[test]
fn a_case_pushed_an_op_at_a_time_is_always_the_fold_of_its_ops() {
    let seed = env_u64("CONVERGENCE_SEED").unwrap_or_else(|| rand::rng().random());
    println!("CONVERGENCE_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (clients, mut fleet) = log_in_fleet(&server, &fx);
    let mut now = Utc::now() - Duration::days(2 * 365);
    // Full visibility, so the case compares with the fold unmasked.
    let reader = &clients[2];
    let mut held: Vec<Op> = Vec::new();
    let mut waiting: Vec<Vec<Op>> = vec![Vec::new(); clients.len()];
    let mut late = 0;
    for step in 0..400 {
        now = advance(now, Duration::minutes(rng.random_range(0..120)));
        let d = rng.random_range(0..clients.len());
        // A device sees what the server holds when it pulls, now and then.
        if rng.random_range(0..3) == 0 {
            fleet.receive(d, &held, now);
        }
        if step % 30 == 0 {
            waiting[d].push(fleet.register(d, now, rng.random()));
        } else if let Some(op) = fleet.act(d, now, rng.random()) {
            waiting[d].push(op);
        }
        if step < 390 && rng.random_range(0..2) == 0 {
            continue;
        }
        for d in 0..clients.len() {
            for op in std::mem::take(&mut waiting[d]) {
                if held
                    .iter()
                    .any(|h| h.case_id == op.case_id && h.order_key() > op.order_key())
                {
                    late += 1;
                }
                let dev = fleet.devices[d].id;
                let (status, body) = clients[d].post(
                    "/api/v1/sync/push",
                    &push_body(dev, std::slice::from_ref(&op)),
                );
                assert_eq!(status, 200, "{body}");
                assert!(
                    body["quarantined"].as_array().is_some_and(Vec::is_empty),
                    "seed {seed}: {body}"
                );
                let case = op.case_id;
                held.push(op);
                let ops: Vec<Op> = held.iter().filter(|o| o.case_id == case).cloned().collect();
                let expected = fold(&ops, fleet.ctx()).expect("registered");
                let (status, remote) = reader.get(&format!("/api/v1/cases/{case}"));
                assert_eq!(status, 200, "{remote}");
                assert!(
                    serde_json::to_value(&expected).expect("serialize") == remote,
                    "seed {seed} step {step}: the server's case is not the fold of its {} ops",
                    ops.len()
                );
            }
        }
    }
    assert!(
        held.len() > 50,
        "seed {seed}: only {} ops pushed",
        held.len()
    );
    assert!(
        late > 0,
        "seed {seed}: no op arrived after one it sorts before"
    );
    println!(
        "{} ops pushed one at a time, {late} of them after ops they sort before",
        held.len()
    );
}

/// Pushes from many devices at once: the writer carries them out in
/// groups, and every push is answered with its own device's
/// acknowledgement once it is stored, and every op is stored once, in its
/// case.
#[test]
fn pushes_from_many_devices_at_once_are_each_answered_and_stored_once() {
    const DEVICES: usize = 12;
    const PUSHES: usize = 8;
    const OPS_PER_PUSH: usize = 3;
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let start = Arc::new(Barrier::new(DEVICES));
    let pushers: Vec<_> = (0..DEVICES)
        .map(|_| Client::login(&server.base, "staff_a"))
        .map(|(client, login)| {
            let start = start.clone();
            let property = fx.pa.clone();
            std::thread::spawn(move || {
                let mut author = Author::new(&login);
                let mut batch = vec![author.register(&property, "同时登记")];
                let case = batch[0].case_id;
                let mut sent = Vec::new();
                start.wait();
                for push in 0..PUSHES {
                    while batch.len() < OPS_PER_PUSH {
                        batch.push(author.op(
                            case,
                            None,
                            Action::Note {
                                note_kind: NoteKind::General,
                                text: format!("记录 {push}"),
                            },
                        ));
                    }
                    let (status, answer) =
                        client.post("/api/v1/sync/push", &push_body(author.device, &batch));
                    assert_eq!(status, 200, "{answer}");
                    assert_eq!(answer["acked_seq"].as_u64(), Some(author.seq), "{answer}");
                    assert_eq!(answer["quarantined"], serde_json::json!([]), "{answer}");
                    sent.extend(batch.drain(..).map(|op| op.id));
                }
                (case, sent)
            })
        })
        .collect();
    let sent: Vec<(CaseId, Vec<OpId>)> = pushers
        .into_iter()
        .map(|t| t.join().expect("a pusher failed"))
        .collect();
    let (reader, _) = Client::login(&server.base, "staff_a");
    let mut pulled = Vec::new();
    let mut after = 0;
    loop {
        let (status, page) = reader.get(&format!("/api/v1/sync/pull?after={after}&limit=1000"));
        assert_eq!(status, 200, "{page}");
        let page: PullResponse = serde_json::from_value(page).expect("page");
        pulled.extend(page.ops.into_iter().map(|p| p.op.id));
        after = page.cursor;
        if !page.more {
            break;
        }
    }
    let stored: BTreeSet<OpId> = pulled.iter().copied().collect();
    assert_eq!(stored.len(), pulled.len(), "an op is stored twice");
    let expected: BTreeSet<OpId> = sent
        .iter()
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect();
    assert_eq!(stored, expected);
    for (case, ids) in &sent {
        let (status, case) = reader.get(&format!("/api/v1/cases/{case}"));
        assert_eq!(status, 200, "{case}");
        let notes = case["notes"].as_array().map_or(0, Vec::len);
        assert_eq!(
            notes,
            ids.len() - 1,
            "every op but the registration is a note"
        );
    }
}

/// The simulated clock `by` later, but never so late that the fastest
/// device (+2 h) would be ahead of the real clock: the clock stands still
/// instead.
fn advance(now: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    let next = now + by;
    if next + Duration::hours(3) > Utc::now() {
        now
    } else {
        next
    }
}

fn outbox(fleet: &Fleet, d: usize, acked: u64) -> Vec<Op> {
    let dev = fleet.devices[d].id;
    fleet
        .ops
        .iter()
        .filter(|o| o.device == dev && o.seq > acked)
        .cloned()
        .collect()
}

/// Pushes a random part of the outbox, shuffled, with duplicates of ops
/// already acknowledged, and sometimes "loses" the answer.
fn push_some(rng: &mut StdRng, fleet: &Fleet, d: usize, t: &mut Tablet) {
    let dev = fleet.devices[d].id;
    let mut batch = outbox(fleet, d, t.acked);
    let keep = rng.random_range(0..=batch.len());
    batch.truncate(keep);
    let old: Vec<Op> = fleet
        .ops
        .iter()
        .filter(|o| o.device == dev && o.seq <= t.acked)
        .cloned()
        .collect();
    for _ in 0..rng.random_range(0..3) {
        if let Some(o) = old.get(rng.random_range(0..old.len().max(1))) {
            batch.push(o.clone());
        }
    }
    batch.shuffle(rng);
    let (status, body) = t.client.post("/api/v1/sync/push", &push_body(dev, &batch));
    assert_eq!(status, 200, "{body}");
    assert!(
        body["quarantined"].as_array().is_some_and(Vec::is_empty),
        "{body}"
    );
    if rng.random_range(0..4) > 0 {
        t.acked = body["acked_seq"].as_u64().expect("acked_seq");
    }
}

fn push_all(fleet: &Fleet, d: usize, t: &mut Tablet) {
    let dev = fleet.devices[d].id;
    loop {
        let batch = outbox(fleet, d, t.acked);
        if batch.is_empty() {
            return;
        }
        let (status, body) = t.client.post("/api/v1/sync/push", &push_body(dev, &batch));
        assert_eq!(status, 200, "{body}");
        let acked = body["acked_seq"].as_u64().expect("acked_seq");
        assert!(acked > t.acked || batch.is_empty(), "no progress: {body}");
        t.acked = acked;
    }
}

fn pull_page(fleet: &mut Fleet, d: usize, t: &mut Tablet, limit: u32, now: DateTime<Utc>) -> bool {
    let (status, page) = t.client.get(&format!(
        "/api/v1/sync/pull?after={}&limit={limit}",
        t.cursor
    ));
    assert_eq!(status, 200, "{page}");
    let page: PullResponse = serde_json::from_value(page).expect("pull page");
    let ops: Vec<Op> = page.ops.into_iter().map(|p| p.op).collect();
    fleet.receive(d, &ops, now);
    t.cursor = page.cursor;
    page.more
}

fn pull_some(rng: &mut StdRng, fleet: &mut Fleet, d: usize, t: &mut Tablet, now: DateTime<Utc>) {
    let limit = rng.random_range(1..20);
    for _ in 0..rng.random_range(1..4) {
        if !pull_page(fleet, d, t, limit, now) {
            return;
        }
    }
}

fn pull_all(fleet: &mut Fleet, d: usize, t: &mut Tablet, now: DateTime<Utc>) {
    while pull_page(fleet, d, t, 200, now) {}
}

fn check_case(
    fleet: &Fleet,
    d: usize,
    t: &Tablet,
    case: &shared::id::CaseId,
    seed: u64,
    schedule: u64,
) {
    let view = fleet.view(d).get(case).cloned().unwrap_or_default();
    let role = fleet.devices[d].role;
    let local = fold(&view, fleet.ctx()).expect("the device holds the registration");
    // The fleet's department heads have no department and are never named
    // as assignees, so they handle no case: the default masks them whole.
    let local = match shared::personal_data::default_visibility(role) {
        shared::personal_data::Visibility::Full => local,
        _ => shared::personal_data::Shown::NOTHING.case(&local),
    };
    let (status, remote) = t.client.get(&format!("/api/v1/cases/{case}"));
    assert_eq!(status, 200, "{remote}");
    let local_json = serde_json::to_value(&local).expect("serialize");
    assert!(
        local_json == remote,
        "seed {seed} schedule {schedule}: device {d} ({role:?}) differs from the server on case {case}"
    );
}
