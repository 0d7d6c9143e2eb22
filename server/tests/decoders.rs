//! Fuzzing the wire decoders the server runs on untrusted bytes: arbitrary
//! bytes and mutated valid op JSON never make `serde_json` with the shared
//! types panic, and any op that decodes goes through the bounds check and
//! the fold (alone and with a real case) without panicking, and survives a
//! JSON round trip (the server stores ops as JSON and reads them back).
//!
//! `DECODER_CASES` sets the cases per property (1024 by default).

#[path = "common/mutate.rs"]
mod mutate;

use chrono::{DateTime, TimeZone, Utc};
use mutate::{apply, leaf_count, mutations, replace_leaf};
use proptest::prelude::*;
use shared::fold::fold;
use shared::id::{DeviceId, PropertyId, UserId};
use shared::op::{ActionKind, Op};
use shared::role::Role;
use shared::sim::{Fleet, sample_action};
use shared::wire::{LoginRequest, PushRequest};
use std::sync::OnceLock;

/// A fleet's valid ops: a registration and one op of every action kind on
/// its case, as a device would make them.
fn base() -> &'static (Fleet, Vec<Op>) {
    static BASE: OnceLock<(Fleet, Vec<Op>)> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut fleet = Fleet::with_identities(
            &[(
                DeviceId(uuid::Uuid::from_u128(1)),
                UserId(uuid::Uuid::from_u128(2)),
                Role::Manager,
                0,
                7,
            )],
            PropertyId(uuid::Uuid::from_u128(3)),
            0,
        );
        let t0 = Utc
            .with_ymd_and_hms(2026, 3, 2, 2, 0, 0)
            .single()
            .expect("a time");
        let reg = fleet.register(0, t0, 1);
        let mut ops = vec![reg.clone()];
        for (i, kind) in ActionKind::ALL.into_iter().enumerate() {
            let view = fold(&ops, fleet.ctx()).expect("the registration folds");
            let action = sample_action(&view, (reg.author, Role::Manager), kind, i as u32);
            let mut op = reg.clone();
            op.id = shared::id::OpId(uuid::Uuid::from_u128(100 + i as u128));
            op.seq = 2 + i as u64;
            op.hlc.wall_ms += 60_000 * (i as i64 + 1);
            op.at = op.hlc.wall();
            op.expected_state = kind.is_transition().then_some(view.state);
            op.action = action;
            ops.push(op);
        }
        (fleet, ops)
    })
}

fn ceiling() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0)
        .single()
        .expect("a time")
}

/// Runs a decoded op through everything the server does with one.
fn exercise(op: &Op) {
    let (fleet, ops) = base();
    let _ = shared::validation::validate_op(op, ceiling());
    let _ = shared::validation::validate_action(&op.action, ceiling());
    let _ = op.order_key();
    let _ = op.hlc.wall();
    // Alone (it may be a registration), and as part of the base case.
    if let Ok(case) = fold(std::slice::from_ref(op), fleet.ctx()) {
        let _ = serde_json::to_vec(&shared::personal_data::Shown::NOTHING.case(&case));
    }
    let mut joined = op.clone();
    joined.case_id = ops[0].case_id;
    let mut with_case = ops.clone();
    with_case.push(joined);
    if let Ok(case) = fold(&with_case, fleet.ctx()) {
        let _ = serde_json::to_vec(&case);
        let _ = serde_json::to_vec(&shared::personal_data::Shown::NOTHING.case(&case));
    }
    // The server stores the op as JSON and reads it back.
    let json = serde_json::to_vec(op).expect("a decoded op serializes");
    let back: Op = serde_json::from_slice(&json).unwrap_or_else(|e| {
        panic!(
            "an op that decoded does not decode again ({e}): {}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(&back, op, "the JSON round trip changed the op");
}

fn decode_all(bytes: &[u8]) {
    if let Ok(op) = serde_json::from_slice::<Op>(bytes) {
        exercise(&op);
    }
    if let Ok(push) = serde_json::from_slice::<PushRequest>(bytes) {
        for op in &push.ops {
            exercise(op);
        }
    }
    let _ = serde_json::from_slice::<LoginRequest>(bytes);
    let _ = serde_json::from_slice::<shared::wire::PasswordChange>(bytes);
}

/// Every byte of every base op's JSON changed in turn, to a digit, a letter
/// and a quote: what still decodes (most of it, a digit in an id or a
/// text) runs through the op's own readers and everything after them,
/// which random bytes almost never reach.
#[test]
fn each_byte_of_an_op_changed_never_panics() {
    let (_, ops) = base();
    let (mut decoded, mut panics) = (0, Vec::new());
    for op in ops {
        let json = serde_json::to_vec(op).expect("an op serializes");
        for i in 0..json.len() {
            for b in [b'7', b'x', b'"'] {
                if json[i] == b {
                    continue;
                }
                let mut bytes = json.clone();
                bytes[i] = b;
                decoded += usize::from(serde_json::from_slice::<Op>(&bytes).is_ok());
                if std::panic::catch_unwind(|| decode_all(&bytes)).is_err() {
                    panics.push(format!("{:?} byte {i} = {}", op.action.kind(), b as char));
                }
            }
        }
    }
    assert!(
        decoded > 1000,
        "only {decoded} changed ops decoded: the test reaches too little"
    );
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
}

/// Every leaf of every base op set to each extreme time, date and number in
/// turn: nothing that decodes may panic. Deterministic, so a panic that the
/// random search finds once in thousands of cases is found every time.
#[test]
fn extremes_in_every_field_never_panic() {
    let (_, ops) = base();
    let extremes = [
        serde_json::json!("+262142-12-31T23:59:59.999999999Z"),
        serde_json::json!("-262143-01-01T00:00:00Z"),
        serde_json::json!("+262142-12-31"),
        serde_json::json!("-262143-01-01"),
        serde_json::json!(i64::MIN),
        serde_json::json!(i64::MAX),
        serde_json::json!(u64::MAX),
        serde_json::json!(u32::MAX),
    ];
    let mut panics = Vec::new();
    for op in ops {
        let base = serde_json::to_value(op).expect("an op serializes");
        for leaf in 0..leaf_count(&base) {
            for extreme in &extremes {
                let mut v = base.clone();
                let path = replace_leaf(&mut v, leaf, extreme.clone());
                let Ok(mutated) = serde_json::from_value::<Op>(v) else {
                    continue;
                };
                if std::panic::catch_unwind(|| exercise(&mutated)).is_err() {
                    panics.push(format!("{:?} {path} = {extreme}", op.action.kind()));
                }
            }
        }
    }
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("DECODER_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1024),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
    }

    #[test]
    fn json_shaped_text_never_panics(text in "[\\[\\]{}\":,0-9a-z_+\\-.TZ ]{0,200}") {
        decode_all(text.as_bytes());
    }

    #[test]
    fn mutated_ops_never_panic(which in any::<prop::sample::Index>(), ms in mutations(4)) {
        let (_, ops) = base();
        let op = which.get(ops);
        let known = [
            ops[0].case_id.to_string(),
            ops[1].id.to_string(),
            op.device.to_string(),
            op.author.to_string(),
        ];
        let mut v = serde_json::to_value(op).expect("an op serializes");
        for m in &ms {
            apply(&mut v, m, &known, ceiling());
        }
        let bytes = serde_json::to_vec(&v).expect("json");
        decode_all(&bytes);
        let push = serde_json::json!({ "device": op.device, "ops": [v] });
        decode_all(&serde_json::to_vec(&push).expect("json"));
        let login = serde_json::json!({
            "login": v["action"]["type"], "password": v["hlc"]["wall_ms"],
            "device": v["device"], "device_secret": v["author"], "device_name": v["at"],
        });
        decode_all(&serde_json::to_vec(&login).expect("json"));
    }
}
