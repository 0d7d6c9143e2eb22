//! Concurrency benchmark: many tablets at once over real HTTP, each with
//! its own login (device and session), as a company's morning looks.
//!
//! - 200 devices each make 20 pushes of 10 ops (a new case with 9 notes,
//!   then 10 notes at a time on it), all starting together;
//! - then 50 devices push the same way while 50 others pull the whole
//!   store page by page, over and over, until the pushers are done.
//!
//! Each run is made [`ROUNDS`] times, each round with new logins. Every
//! request's latency is kept; the rows give p50 and p99 over all rounds,
//! each round's own p99 beside them, and count the errors (a status other
//! than 200, an unacknowledged op, a quarantine or a failed connection).
//! One round's p99 moved by a third from run to run on the 2-core bench
//! machine, where the simulated tablets share the cores with the server;
//! the p99 of three rounds' requests together moves less.
//!
//! Run with `cargo xtask bench` (release build); prints Markdown table rows
//! that `xtask` writes into BENCHMARKS.md.

use chrono::Utc;
use shared::case::{CaseKind, NoteKind};
use shared::id::{CaseId, PropertyId, UserId};
use shared::op::{Action, Op};
use shared::wire::{PushRequest, PushResponse};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

mod bench;

const DEVICES: usize = 200;
const PUSHES: usize = 20;
const OPS_PER_PUSH: usize = 10;
const MIXED_PUSHERS: usize = 50;
const MIXED_PULLERS: usize = 50;
/// The page size the app pulls with.
const PULL_LIMIT: u32 = 500;
/// How many times each run is made.
const ROUNDS: usize = 3;
/// The 99th percentile every run should stay under.
const GOAL_P99: Duration = Duration::from_millis(100);

/// The latencies of one kind of request, and how many failed.
#[derive(Default)]
struct Tally {
    times: Vec<Duration>,
    errors: usize,
    /// Each round's own p99, when the tally gathers rounds.
    rounds: Vec<Duration>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.times.extend(other.times);
        self.errors += other.errors;
    }

    /// Adds a whole round, keeping its p99 apart.
    fn add_round(&mut self, mut round: Tally) {
        self.rounds.push(round.percentile(0.99));
        self.add(round);
    }

    fn percentile(&mut self, p: f64) -> Duration {
        self.times.sort();
        let i = ((self.times.len() as f64 * p).ceil() as usize).saturating_sub(1);
        self.times.get(i).copied().unwrap_or_default()
    }

    /// A table row: what ran, p50 and p99, errors, and the goal.
    fn row(&mut self, what: &str, load: &str) -> String {
        let p50 = self.percentile(0.50);
        let p99 = self.percentile(0.99);
        let met = p99 < GOAL_P99 && self.errors == 0;
        let rounds: Vec<String> = self
            .rounds
            .iter()
            .map(|&d| format!("{:.1}", ms(d)))
            .collect();
        format!(
            "| {what} | {load}, {} rounds | {} requests, {} errors; p50 {:.1} ms; each round's p99 {} ms | **p99 {:.1} ms** ({}) |",
            self.rounds.len(),
            self.times.len(),
            self.errors,
            ms(p50),
            rounds.join(" / "),
            ms(p99),
            bench::goal(
                met,
                &format!("goal p99 < {} ms, 0 errors", GOAL_P99.as_millis())
            ),
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<(), bench::Error> {
    let bench::StaffSetup {
        dir,
        store,
        property,
        user,
    } = bench::StaffSetup::new("concurrency", &bench::Backend::Sqlite)?;
    let (_rt, base) = bench::serve(store.clone())?;
    let base = Arc::new(base);
    let mut registered = 0u32;

    let mut pushes = Tally::default();
    for _ in 0..ROUNDS {
        let tablets = log_in(&base, DEVICES, user.id)?;
        pushes.add_round(run_pushers(&base, tablets, property.id, &mut registered)?);
    }
    println!(
        "{}",
        pushes.row(
            "concurrency: devices pushing at once over HTTP, each its own session",
            &format!("{DEVICES} devices × {PUSHES} pushes of {OPS_PER_PUSH} ops"),
        )
    );

    let (mut mixed_pushes, mut pulls) = (Tally::default(), Tally::default());
    for _ in 0..ROUNDS {
        let (pushed, pulled) = run_mixed(&base, property.id, user.id, &mut registered)?;
        mixed_pushes.add_round(pushed);
        pulls.add_round(pulled);
    }
    let load = format!(
        "{MIXED_PUSHERS} devices × {PUSHES} pushes of {OPS_PER_PUSH} ops, {MIXED_PULLERS} devices pulling pages of {PULL_LIMIT} meanwhile"
    );
    println!(
        "{}",
        mixed_pushes.row("concurrency: pushes while others pull", &load)
    );
    println!(
        "{}",
        pulls.row("concurrency: pulls while others push", &load)
    );
    drop(_rt);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// One round of the mixed run: pushers and pullers at once, new logins
/// each; the pushers' and the pullers' tallies.
fn run_mixed(
    base: &Arc<String>,
    property: PropertyId,
    user: UserId,
    registered: &mut u32,
) -> Result<(Tally, Tally), bench::Error> {
    let pushers = log_in(base, MIXED_PUSHERS, user)?;
    let pullers = log_in(base, MIXED_PULLERS, user)?;
    let done = Arc::new(AtomicBool::new(false));
    let pulling: Vec<_> = pullers
        .into_iter()
        .map(|tablet| {
            let base = base.clone();
            let done = done.clone();
            std::thread::spawn(move || pull_until(&base, &tablet, &done))
        })
        .collect();
    let pushed = run_pushers(base, pushers, property, registered);
    // Set before the pushers' result is looked at, so no puller is left
    // pulling.
    done.store(true, Ordering::SeqCst);
    let mut pulled = Tally::default();
    for handle in pulling {
        pulled.add(handle.join().map_err(|_| "a puller panicked")?);
    }
    Ok((pushed?, pulled))
}

/// One simulated tablet: its session and the ops it makes.
struct Tablet {
    login: bench::Login,
    author: bench::Author,
}

/// Logs `count` new devices in, one after another (each login runs argon2).
fn log_in(base: &str, count: usize, user: UserId) -> Result<Vec<Tablet>, bench::Error> {
    let agent = bench::agent();
    (0..count)
        .map(|_| {
            let login = bench::login(&agent, base, "bench")?;
            let author = bench::Author::new(login.device, user);
            Ok(Tablet { login, author })
        })
        .collect()
}

/// Runs every tablet's pushes on a thread of its own, all released at
/// once, and gathers the latencies.
fn run_pushers(
    base: &Arc<String>,
    tablets: Vec<Tablet>,
    property: PropertyId,
    registered: &mut u32,
) -> Result<Tally, bench::Error> {
    let start = Arc::new(Barrier::new(tablets.len()));
    let handles: Vec<_> = tablets
        .into_iter()
        .map(|tablet| {
            *registered += 1;
            let count = *registered;
            let base = base.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                push_all(&base, tablet, property, count)
            })
        })
        .collect();
    let mut tally = Tally::default();
    for handle in handles {
        tally.add(handle.join().map_err(|_| "a pusher panicked")?);
    }
    Ok(tally)
}

/// One tablet's pushes: a new case with notes, then notes on it.
fn push_all(base: &str, mut tablet: Tablet, property: PropertyId, count: u32) -> Tally {
    let agent = bench::agent();
    let case = CaseId(uuid::Uuid::now_v7());
    let mut tally = Tally::default();
    for push in 0..PUSHES {
        let now = Utc::now();
        let mut ops: Vec<Op> = Vec::new();
        if push == 0 {
            match bench::registration(property, CaseKind::Complaint, tablet.login.number, count) {
                Ok(reg) => ops.push(tablet.author.op(case, now, Action::Register(reg))),
                Err(_) => {
                    tally.errors += 1;
                    return tally;
                }
            }
        }
        while ops.len() < OPS_PER_PUSH {
            let text = format!("记录 {push}-{}", ops.len());
            ops.push(tablet.author.op(
                case,
                now,
                Action::Note {
                    note_kind: NoteKind::General,
                    text,
                },
            ));
        }
        // Written and read as the app's own types, not through
        // `serde_json::Value`: the 200 simulated tablets share the server's
        // two cores, and what they spend on themselves is not the server's.
        let body = PushRequest {
            device: tablet.login.device,
            ops,
        };
        let started = Instant::now();
        let answer = agent
            .post(format!("{base}/api/v1/sync/push"))
            .header("Authorization", format!("Bearer {}", tablet.login.token))
            .send_json(&body)
            .ok()
            .filter(|r| r.status() == 200)
            .and_then(|mut r| r.body_mut().read_json::<PushResponse>().ok());
        tally.times.push(started.elapsed());
        let acked = answer
            .as_ref()
            .is_some_and(|a| a.acked_seq == tablet.author.seq() && a.quarantined.is_empty());
        if !acked {
            tally.errors += 1;
        }
    }
    tally
}

/// What a puller reads of a page. The ops are skipped, not decoded, so
/// that the 50 pullers spend the shared cores on the server rather than on
/// themselves; for the same reason the answer is read whole and then
/// parsed, as a browser's `response.json()` does, not parsed from the
/// connection a byte at a time.
#[derive(serde::Deserialize)]
struct PageEnd {
    cursor: i64,
    more: bool,
}

/// Pulls the whole store page by page, from the start again and again,
/// until `done`.
fn pull_until(base: &str, tablet: &Tablet, done: &AtomicBool) -> Tally {
    let agent = bench::agent();
    let mut tally = Tally::default();
    let mut after = 0i64;
    while !done.load(Ordering::SeqCst) {
        let started = Instant::now();
        let page = agent
            .get(format!(
                "{base}/api/v1/sync/pull?after={after}&limit={PULL_LIMIT}"
            ))
            .header("Authorization", format!("Bearer {}", tablet.login.token))
            .call()
            .ok()
            .filter(|r| r.status() == 200)
            .and_then(|mut r| r.body_mut().read_to_vec().ok())
            .and_then(|body| serde_json::from_slice::<PageEnd>(&body).ok());
        tally.times.push(started.elapsed());
        match page {
            Some(page) => after = if page.more { page.cursor } else { 0 },
            None => tally.errors += 1,
        }
    }
    tally
}
