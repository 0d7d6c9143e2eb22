//! Pull benchmark: a tablet's first sync of 100,000 stored ops, paged over
//! real HTTP as the app pages it, against the reference the issue sets the
//! goal by, measured in the same run: the same SELECT paged raw with
//! rusqlite on the same file, reading each op's stored JSON. The pull
//! should reach half of it.
//!
//! With `BENCH_POSTGRES_URL` set (see `bench::Backend`), the ops are
//! stored in and pulled from a fresh PostgreSQL database instead; the raw
//! reference reads the SQLite file and is left out there.
//!
//! Run in release (`cargo run --release -p server --example pull`); prints
//! Markdown table rows in the shape `cargo xtask bench` writes into
//! BENCHMARKS.md. `PULL_OPS` changes the number of ops.

use chrono::Utc;
use shared::case::{CaseKind, Channel, Complainant, NoteKind, Registration};
use shared::id::CaseId;
use shared::op::Action;
use shared::phone::Phone;
use shared::property::Location;
use shared::regno::RegNo;
use std::time::Instant;

mod bench;

/// Ops per case: a registration and its notes.
const OPS_PER_CASE: usize = 10;
/// The page sizes measured: the app's, and the largest the server gives.
const PAGES: [u32; 2] = [2000, 5000];
/// How often each is measured (the best run counts).
const RUNS: usize = 3;
/// The pull should reach this share of the raw reference.
const GOAL_RATIO: f64 = 0.5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: usize = std::env::var("PULL_OPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let backend = bench::Backend::from_env();
    let bench::StaffSetup {
        dir,
        store,
        property,
        user,
    } = bench::StaffSetup::new("pull", &backend)?;
    let (_rt, base) = bench::serve(store.clone())?;
    let agent = bench::agent();
    let login = bench::login(&agent, &base, "bench")?;

    // Seeded through the store's push, as devices would have pushed them.
    let mut author = bench::Author::new(login.device, user.id);
    let mut batch = Vec::new();
    for c in 0..total.div_ceil(OPS_PER_CASE) {
        let case = CaseId(uuid::Uuid::now_v7());
        let at = Utc::now();
        batch.push(author.op(
            case,
            at,
            Action::Register(Registration {
                reg_no: RegNo::new(
                    "BENCH",
                    at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
                    login.number,
                    c as u32 + 1,
                )?,
                kind: CaseKind::Complaint,
                property: property.id,
                location: Location::PublicArea,
                complainant: Complainant {
                    name: format!("张{c}"),
                    phone: Phone::parse(&format!("139{c:08}")).ok(),
                    anonymous: false,
                },
                channel: Channel::Phone,
                received_at: at,
                category: "noise".into(),
                content: format!("第{c}号投诉：夜间施工噪音"),
                requested_remedy: String::new(),
                related_case: None,
                source_ref: String::new(),
            }),
        ));
        for n in 1..OPS_PER_CASE {
            batch.push(author.op(
                case,
                at,
                Action::Note {
                    note_kind: NoteKind::General,
                    text: format!("跟进记录 {n}：已联系施工方"),
                },
            ));
        }
        if batch.len() >= 2000 {
            let now = Utc::now();
            store.push(
                login.device,
                &user,
                std::mem::take(&mut batch),
                now,
                now + chrono::Duration::days(1),
            )?;
        }
    }
    if !batch.is_empty() {
        let now = Utc::now();
        store.push(
            login.device,
            &user,
            batch,
            now,
            now + chrono::Duration::days(1),
        )?;
    }
    let stored = author.seq() as usize;
    // The file the raw reference reads: SQLite's only.
    let raw_db = match backend {
        bench::Backend::Sqlite => Some(dir.join(server::DB_FILE)),
        bench::Backend::Postgres { .. } => None,
    };

    for page in PAGES {
        // Each measured RUNS times, alternating, the best kept: the machine
        // is shared, and the first pass also warms the page cache.
        let (mut pull_s, mut raw_s) = (f64::MAX, f64::MAX);
        for _ in 0..RUNS {
            let (pulled, s) = pull_over_http(&agent, &base, &login.token, page)?;
            if pulled != stored {
                return Err(format!("pulled {pulled} ops of {stored}").into());
            }
            pull_s = pull_s.min(s);
            if let Some(db) = &raw_db {
                let (read, s) = raw_pages(db, &property.id.to_string(), page)?;
                if read != stored {
                    return Err(format!("the raw pages read {read} ops of {stored}").into());
                }
                raw_s = raw_s.min(s);
            }
        }
        let rate = stored as f64 / pull_s;
        println!(
            "| pull: a first sync over HTTP, stored op JSON passed through{} | {stored} ops, pages of {page}, best of {RUNS} | {stored} ops in {pull_s:.2} s | **{rate:.0} ops/s** |",
            backend.suffix()
        );
        if raw_db.is_some() {
            let raw_rate = stored as f64 / raw_s;
            let ratio = rate / raw_rate;
            println!(
                "| pull reference: the same SELECT paged raw with rusqlite, reading each op's JSON | {stored} ops, pages of {page}, best of {RUNS} | {stored} ops in {raw_s:.2} s | {raw_rate:.0} ops/s; pull is **{ratio:.2}×** of it ({}) |",
                bench::goal(ratio >= GOAL_RATIO, &format!("goal ≥ {GOAL_RATIO}×"))
            );
        }
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// What the client reads of a page: the ops are counted and skipped.
#[derive(serde::Deserialize)]
struct Page {
    ops: Vec<serde::de::IgnoredAny>,
    cursor: i64,
    more: bool,
}

/// Pulls everything from cursor 0 in pages of `limit`; returns the ops
/// pulled and the seconds taken by the requests and their answers' bytes.
/// The client's reading of each answer is left out of the time: it runs on
/// the same two cores, and the figure is the server's.
fn pull_over_http(
    agent: &ureq::Agent,
    base: &str,
    token: &str,
    limit: u32,
) -> Result<(usize, f64), bench::Error> {
    let mut taken = std::time::Duration::ZERO;
    let (mut after, mut pulled) = (0i64, 0usize);
    loop {
        let started = Instant::now();
        let body = agent
            .get(format!(
                "{base}/api/v1/sync/pull?after={after}&limit={limit}"
            ))
            .header("Authorization", format!("Bearer {token}"))
            .call()?
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()?;
        taken += started.elapsed();
        let page: Page = serde_json::from_slice(&body)?;
        pulled += page.ops.len();
        after = page.cursor;
        if !page.more {
            break;
        }
    }
    Ok((pulled, taken.as_secs_f64()))
}

/// The reference: the pull's SELECT, paged by the same cursor on a
/// connection of its own, each op's JSON read into a string and nothing
/// else done with it.
fn raw_pages(
    db: &std::path::Path,
    property: &str,
    limit: u32,
) -> Result<(usize, f64), bench::Error> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let started = Instant::now();
    let (mut after, mut read) = (0i64, 0usize);
    let mut stmt = conn.prepare(
        "SELECT server_seq, case_id, json FROM ops WHERE server_seq > ?1 AND property_id IN (?2)
         ORDER BY server_seq LIMIT ?3",
    )?;
    loop {
        let mut rows = stmt.query(rusqlite::params![after, property, i64::from(limit)])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            after = r.get(0)?;
            let _case: String = r.get(1)?;
            let json: String = r.get(2)?;
            std::hint::black_box(json);
            n += 1;
        }
        read += n;
        if n < limit as usize {
            break;
        }
    }
    Ok((read, started.elapsed().as_secs_f64()))
}
