//! Ingest benchmark: ops per second for batch pushes over real HTTP into a
//! fresh SQLite file, including the per-batch fold of every touched case.
//!
//! Run with `cargo xtask bench` (release build); prints a Markdown table row
//! set that `xtask` writes into BENCHMARKS.md.

use chrono::Utc;
use shared::case::{Channel, Complainant, NoteKind, Registration};
use shared::id::CaseId;
use shared::op::Action;
use shared::phone::Phone;
use shared::property::Location;
use shared::regno::RegNo;
use std::time::Instant;

mod bench;

const BATCHES: usize = 20;
const CASES_PER_BATCH: usize = 200;
const NOTES_PER_CASE: usize = 4;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bench::StaffSetup {
        dir,
        store,
        property,
        user,
    } = bench::StaffSetup::new("ingest")?;
    let (_rt, base) = bench::serve(store.clone())?;
    let agent = bench::agent();
    let bench::Login {
        token,
        device,
        number,
    } = bench::login(&agent, &base, "bench")?;

    let mut author = bench::Author::new(device, user.id);
    let mut total_ops = 0usize;
    let mut elapsed = std::time::Duration::ZERO;
    for batch in 0..BATCHES {
        let mut ops = Vec::new();
        for c in 0..CASES_PER_BATCH {
            let case = CaseId(uuid::Uuid::now_v7());
            let now = Utc::now();
            let mut op = |action: Action| author.op(case, now, action);
            ops.push(op(Action::Register(Registration {
                reg_no: RegNo::new(
                    "BENCH",
                    now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
                    number,
                    (batch * CASES_PER_BATCH + c + 1) as u32,
                )?,
                kind: shared::case::CaseKind::Complaint,
                property: property.id,
                location: Location::PublicArea,
                complainant: Complainant {
                    name: "李四".into(),
                    phone: Phone::parse("13800001111").ok(),
                },
                channel: Channel::Phone,
                received_at: now,
                category: "noise".into(),
                content: "基准测试工单".into(),
                requested_remedy: String::new(),
                related_case: None,
            })));
            for n in 0..NOTES_PER_CASE {
                ops.push(op(Action::Note {
                    note_kind: NoteKind::General,
                    text: format!("记录 {n}"),
                }));
            }
        }
        let body = serde_json::json!({ "device": device, "ops": ops });
        let started = Instant::now();
        let answer: serde_json::Value = agent
            .post(format!("{base}/api/v1/sync/push"))
            .header("Authorization", format!("Bearer {token}"))
            .send_json(&body)?
            .body_mut()
            .read_json()?;
        elapsed += started.elapsed();
        if answer["acked_seq"].as_u64() != Some(author.seq()) {
            return Err(format!("push not fully acknowledged: {answer}").into());
        }
        total_ops += ops.len();
    }
    let per_batch = CASES_PER_BATCH * (1 + NOTES_PER_CASE);
    let rate = total_ops as f64 / elapsed.as_secs_f64();
    println!(
        "| ingest: batch push over HTTP into SQLite | {BATCHES} batches × {per_batch} ops ({CASES_PER_BATCH} new cases each) | {total_ops} ops in {:.2} s | **{rate:.0} ops/s** |",
        elapsed.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
