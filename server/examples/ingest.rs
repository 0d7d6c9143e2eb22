//! Ingest benchmark: ops per second for batch pushes over real HTTP into a
//! fresh SQLite file, including the per-batch fold of every touched case.
//!
//! Run with `cargo xtask bench` (release build); prints a Markdown table row
//! set that `xtask` writes into BENCHMARKS.md.

use chrono::Utc;
use server::store::{AuditEntry, NewUser, Store};
use shared::case::{Channel, Complainant, NoteKind, Registration};
use shared::hlc::HlcClock;
use shared::id::{CaseId, DeviceId, OpId, PropertyId};
use shared::op::{Action, Op, SCHEMA_VERSION};
use shared::phone::Phone;
use shared::property::{Location, Property};
use shared::regno::RegNo;
use shared::role::Role;
use std::sync::Arc;
use std::time::Instant;

const BATCHES: usize = 20;
const CASES_PER_BATCH: usize = 200;
const NOTES_PER_CASE: usize = 4;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("ingest-bench-{}", std::process::id()));
    let store = Arc::new(server::open_store(&dir)?);
    let property = Property {
        id: PropertyId(uuid::Uuid::now_v7()),
        code: "BENCH".into(),
        name: "基准小区".into(),
        households: 1000,
        buildings: Vec::new(),
    };
    store.put_property(&property, &bench_audit("property.put"))?;
    let user = store.create_user(
        NewUser {
            login: "bench".into(),
            display_name: "bench".into(),
            role: Role::Staff,
            properties: vec![property.id],
            department: None,
            password_hash: server::auth::hash_password("bench-password")
                .map_err(|e| format!("{e:?}"))?,
        },
        Utc::now(),
        &bench_audit("user.create"),
    )?;
    let rt = tokio::runtime::Runtime::new()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = server::app(server::state(store.clone()), None);
    rt.spawn(async move { axum::serve(listener, app).await });

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let login: serde_json::Value = agent
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(
            serde_json::json!({ "login": "bench", "password": "bench-password", "device_name": "bench" }),
        )?
        .body_mut()
        .read_json()?;
    let token = login["token"].as_str().ok_or("no token")?.to_string();
    // The server issues the device and its number.
    let device: DeviceId = serde_json::from_value(login["device"].clone())?;
    let number = login["device_number"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or("no device number")?;

    let mut clock = HlcClock::new(device, None);
    let mut seq = 0u64;
    let mut total_ops = 0usize;
    let mut elapsed = std::time::Duration::ZERO;
    for batch in 0..BATCHES {
        let mut ops = Vec::new();
        for c in 0..CASES_PER_BATCH {
            let case = CaseId(uuid::Uuid::now_v7());
            let now = Utc::now();
            let mut op = |action: Action| {
                seq += 1;
                Op {
                    id: OpId(uuid::Uuid::now_v7()),
                    case_id: case,
                    device,
                    seq,
                    hlc: clock.tick(now.timestamp_millis()),
                    at: now,
                    author: user.id,
                    role: Role::Staff,
                    schema: SCHEMA_VERSION,
                    expected_state: None,
                    action,
                }
            };
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
        if answer["acked_seq"].as_u64() != Some(seq) {
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

/// The audit record of the benchmark's own set-up.
fn bench_audit(action: &str) -> AuditEntry {
    AuditEntry::unattended(action, "benchmark", serde_json::Value::Null)
}
