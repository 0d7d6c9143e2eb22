//! Upload benchmark: evidence bytes per second through the resumable blob
//! upload (`PUT /api/v1/blobs/{hash}` in 256 KiB chunks, each synced to
//! disk, the whole hashed at the end) over real HTTP on loopback.
//!
//! Run with `cargo xtask bench` (release build); prints a Markdown table row
//! that `xtask` writes into BENCHMARKS.md.

use chrono::Utc;
use shared::blob::{BlobHash, CHUNK_BYTES};
use shared::case::{AttachmentKind, CaseKind};
use shared::id::{AttachmentId, CaseId};
use shared::op::Action;
use std::time::Instant;

mod bench;

/// Photos of 8 MiB (under the default 10 MiB a file), this many.
const BLOBS: usize = 12;
const BLOB_BYTES: usize = 8 * 1024 * 1024;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bench::StaffSetup {
        dir,
        store,
        property,
        user,
    } = bench::StaffSetup::new("upload", &bench::Backend::Sqlite)?;
    let (_rt, base) = bench::serve(store.clone())?;
    let agent = bench::agent();
    let bench::Login {
        token,
        device,
        number,
    } = bench::login(&agent, &base, "bench")?;

    // One case with every photo attached (96 MiB, under 200 MiB a case).
    let photos: Vec<Vec<u8>> = (0..BLOBS)
        .map(|i| {
            (0..BLOB_BYTES)
                .map(|j| ((j as u32).wrapping_mul(2_654_435_761) >> 24) as u8 ^ i as u8)
                .collect()
        })
        .collect();
    let case = CaseId(uuid::Uuid::now_v7());
    let now = Utc::now();
    let mut author = bench::Author::new(device, user.id);
    let mut op = |action: Action| author.op(case, now, action);
    let mut ops = vec![op(Action::Register(bench::registration(
        property.id,
        CaseKind::Repair,
        number,
        1,
    )?))];
    for p in &photos {
        ops.push(op(Action::Attach {
            id: AttachmentId(uuid::Uuid::now_v7()),
            attachment_kind: AttachmentKind::Photo,
            name: "现场.jpg".into(),
            mime: "image/jpeg".into(),
            size: p.len() as u64,
            hash: Some(BlobHash::of(p)),
            caption: String::new(),
            thumbnail: None,
        }));
    }
    let answer: serde_json::Value = agent
        .post(format!("{base}/api/v1/sync/push"))
        .header("Authorization", format!("Bearer {token}"))
        .send_json(serde_json::json!({ "device": device, "ops": ops }))?
        .body_mut()
        .read_json()?;
    if answer["quarantined"]
        .as_array()
        .is_none_or(|q| !q.is_empty())
    {
        return Err(format!("attach ops not accepted: {answer}").into());
    }

    let started = Instant::now();
    for p in &photos {
        let hash = BlobHash::of(p);
        for (i, chunk) in p.chunks(CHUNK_BYTES).enumerate() {
            let mut resp = agent
                .put(format!(
                    "{base}/api/v1/blobs/{hash}?offset={}",
                    i * CHUNK_BYTES
                ))
                .header("Authorization", format!("Bearer {token}"))
                .header("Content-Type", "application/octet-stream")
                .send(chunk)?;
            if resp.status() != 200 {
                let text = resp.body_mut().read_to_string()?;
                return Err(format!("chunk {i} of {hash}: {text}").into());
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mib = (BLOBS * BLOB_BYTES) as f64 / (1024.0 * 1024.0);
    println!(
        "| upload: evidence over HTTP in 256 KiB chunks (each fsynced, whole hashed) | {BLOBS} blobs × {} MiB | {mib:.0} MiB in {elapsed:.2} s | **{:.1} MiB/s** |",
        BLOB_BYTES / (1024 * 1024),
        mib / elapsed
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
