//! The fold benchmark: the op log of `BENCH_CASES` cases (2,000 by
//! default) of simulated devices acting through the workflow, folded from
//! scratch, best of five. `cargo xtask bench` runs it in release mode and
//! prints its table row; the wasm fold runs the same code in the browser.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use shared::fold::fold_all;
use shared::id::PropertyId;
use shared::role::Role;
use shared::sim::Fleet;

/// Ops per case on average: the registration and nine steps.
const STEPS_PER_CASE: usize = 9;

/// The limit the performance issue keeps.
const GOAL_OPS_PER_S: f64 = 1_000_000.0;

// A benchmark reads the clock: this example is not the library, whose
// purity the lint guards.
#[allow(clippy::disallowed_methods)]
fn main() {
    let cases: usize = std::env::var("BENCH_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let roles = [
        (Role::Staff, 0),
        (Role::Manager, 0),
        (Role::DepartmentHead, 0),
        (Role::RegionalManager, 0),
    ];
    let mut fleet = Fleet::new(&roles, PropertyId(uuid::Uuid::from_u128(1)), 0);
    let start: DateTime<Utc> = "2026-03-02T01:00:00Z".parse().expect("a time");
    // A fixed pseudo-random sequence (64-bit LCG): the same log every run.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut choice = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as u32
    };
    for i in 0..cases * (1 + STEPS_PER_CASE) {
        let now = start + Duration::minutes(i as i64);
        let dev = i % roles.len();
        let op = if i % (1 + STEPS_PER_CASE) == 0 {
            Some(fleet.register(0, now, choice()))
        } else {
            fleet.act(dev, now, choice())
        };
        if let Some(op) = op {
            for d in 0..roles.len() {
                fleet.receive(d, std::slice::from_ref(&op), now);
            }
        }
    }
    let ops = fleet.ops.len();
    let best = (0..5)
        .map(|_| {
            let started = Instant::now();
            let folded = fold_all(&fleet.ops, fleet.ctx());
            assert_eq!(folded.len(), cases, "every case folds");
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    let rate = ops as f64 / best;
    println!(
        "| fold (native): every case of the op log from scratch, best of 5 | {cases} cases / {ops} ops of simulated devices | {ops} ops in {:.1} ms | **{rate:.0} ops/s** (goal ≥ {GOAL_OPS_PER_S:.0} ops/s: {}) |",
        best * 1000.0,
        if rate >= GOAL_OPS_PER_S {
            "met"
        } else {
            "not met"
        }
    );
}
