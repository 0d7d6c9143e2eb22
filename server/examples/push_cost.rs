//! Push-cost benchmark: the time of a one-op push over real HTTP to a case
//! that already holds 1, 100 or 2,000 ops. The store resumes the case's
//! stored fold with the new op instead of folding every op again, so the
//! push should cost about the same whatever the case's length.
//!
//! Run with `cargo xtask bench` (release build); prints Markdown table rows
//! that `xtask` writes into BENCHMARKS.md.

use chrono::Utc;
use shared::case::{CaseKind, NoteKind};
use shared::id::CaseId;
use shared::op::{Action, Op};
use std::time::{Duration, Instant};

mod bench;

/// The case lengths measured, in stored ops.
const LENGTHS: [usize; 3] = [1, 100, 2000];
/// How many cases of each length get one more op, each its own push.
const CASES: usize = 20;
/// The most ops the setup sends in one push (the server's limit).
const SETUP_BATCH: usize = 2000;
/// A push to the longest case may take at most this many times a push to a
/// one-op case.
const GOAL_RATIO: f64 = 2.0;

fn main() -> Result<(), bench::Error> {
    let bench::StaffSetup {
        dir,
        store,
        property,
        user,
    } = bench::StaffSetup::new("push-cost", &bench::Backend::Sqlite)?;
    let (_rt, base) = bench::serve(store.clone())?;
    let agent = bench::agent();
    let login = bench::login(&agent, &base, "bench")?;
    let mut author = bench::Author::new(login.device, user.id);
    let push = |author: &bench::Author, ops: &[Op]| -> Result<Duration, bench::Error> {
        let body = serde_json::json!({ "device": login.device, "ops": ops });
        let started = Instant::now();
        let answer: serde_json::Value = agent
            .post(format!("{base}/api/v1/sync/push"))
            .header("Authorization", format!("Bearer {}", login.token))
            .send_json(&body)?
            .body_mut()
            .read_json()?;
        let took = started.elapsed();
        if answer["acked_seq"].as_u64() != Some(author.seq()) {
            return Err(format!("push not fully acknowledged: {answer}").into());
        }
        Ok(took)
    };
    let mut registered = 0u32;
    let mut medians = Vec::new();
    for length in LENGTHS {
        let mut cases = Vec::new();
        let mut ops = Vec::new();
        for _ in 0..CASES {
            let case = CaseId(uuid::Uuid::now_v7());
            let now = Utc::now();
            registered += 1;
            ops.push(author.op(
                case,
                now,
                Action::Register(bench::registration(
                    property.id,
                    CaseKind::Complaint,
                    login.number,
                    registered,
                )?),
            ));
            for n in 1..length {
                ops.push(author.op(case, now, note(n)));
            }
            cases.push(case);
        }
        for chunk in ops.chunks(SETUP_BATCH) {
            // The author's last number is the chunk's last only for the
            // last chunk; the others are checked by the next push's ack.
            let body = serde_json::json!({ "device": login.device, "ops": chunk });
            agent
                .post(format!("{base}/api/v1/sync/push"))
                .header("Authorization", format!("Bearer {}", login.token))
                .send_json(&body)?;
        }
        let mut times = Vec::new();
        for case in cases {
            let op = author.op(case, Utc::now(), note(length));
            times.push(push(&author, &[op])?);
        }
        times.sort();
        let median = times[times.len() / 2];
        let mean = times.iter().sum::<Duration>() / times.len() as u32;
        medians.push(median);
        println!(
            "| push cost: one-op push over HTTP to a case with {length} stored ops | {CASES} cases, one push each | median {:.2} ms, mean {:.2} ms | **{:.2} ms** per push |",
            ms(median),
            ms(mean),
            ms(median),
        );
    }
    let ratio = ms(medians[medians.len() - 1]) / ms(medians[0]);
    println!(
        "| push cost: the longest case against a one-op case | {} against {} stored ops | {:.2} ms against {:.2} ms | **{ratio:.2}×** ({}) |",
        LENGTHS[LENGTHS.len() - 1],
        LENGTHS[0],
        ms(medians[medians.len() - 1]),
        ms(medians[0]),
        bench::goal(ratio <= GOAL_RATIO, &format!("goal ≤ {GOAL_RATIO}×")),
    );
    drop(_rt);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn note(n: usize) -> Action {
    Action::Note {
        note_kind: NoteKind::General,
        text: format!("记录 {n}"),
    }
}
