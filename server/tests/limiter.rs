//! The failed-login limiter's memory is bounded whatever attackers send:
//! it keys entries by a hash (never the raw login) and holds at most its
//! capacity, and a flood of fresh names cannot buy a blocked pair out.

use chrono::{Duration, TimeZone, Utc};
use server::auth::{DEFAULT_CAPACITY, LoginLimiter, MAX_FAILURES};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0)
        .single()
        .expect("a time")
}

#[test]
fn unique_long_names_leave_the_limiter_bounded() {
    let limiter = LoginLimiter::default();
    let long = "x".repeat(4096);
    for i in 0..1_000 {
        // Twenty addresses, so the per-address limit does not stop the flood.
        let address = format!("10.0.0.{}", i % 20);
        let login = format!("{i}{long}");
        let _ = limiter.begin(&login, &address, t0() + Duration::milliseconds(i));
        assert!(limiter.len() <= DEFAULT_CAPACITY);
    }
    // One entry per pair and one per address: the count does not depend on
    // the names' length, and is at most the capacity.
    assert!(limiter.len() <= 1_000 + 20, "{}", limiter.len());

    let small = LoginLimiter::with_capacity(100);
    for i in 0..1_000 {
        let address = format!("10.0.{}.{}", i / 250, i % 250);
        let login = format!("{i}{long}");
        let _ = small.begin(&login, &address, t0() + Duration::milliseconds(i));
        assert!(
            small.len() <= 100,
            "{} entries after {i} attempts",
            small.len()
        );
    }
}

#[test]
fn a_pair_is_blocked_after_its_failures_and_the_wait_doubles() {
    let limiter = LoginLimiter::default();
    let mut now = t0();
    for i in 0..MAX_FAILURES {
        assert!(
            limiter.begin("admin", "10.0.0.1", now).is_ok(),
            "attempt {i}"
        );
    }
    let first = limiter
        .begin("admin", "10.0.0.1", now)
        .expect_err("blocked after the failures");
    assert!(first > Duration::zero() && first <= Duration::minutes(15));
    // Another address may still try the same login.
    assert!(limiter.begin("admin", "10.0.0.2", now).is_ok());
    // After the wait, one more failure blocks for longer.
    now += first;
    assert!(limiter.begin("admin", "10.0.0.1", now).is_ok());
    let second = limiter
        .begin("admin", "10.0.0.1", now)
        .expect_err("blocked again");
    assert!(second > first, "{second} after {first}");
    assert!(second <= Duration::minutes(15));
}

#[test]
fn a_flood_of_fresh_names_does_not_unblock_a_pair() {
    let limiter = LoginLimiter::with_capacity(100);
    let now = t0();
    for _ in 0..MAX_FAILURES {
        let _ = limiter.begin("admin", "10.0.0.1", now);
    }
    assert!(limiter.begin("admin", "10.0.0.1", now).is_err());
    // Many addresses each try one new name: the limiter must make room,
    // but not by forgetting the blocked pair.
    for i in 0..1_000 {
        let address = format!("172.16.{}.{}", i / 250, i % 250);
        let _ = limiter.begin(
            &format!("user{i}"),
            &address,
            now + Duration::milliseconds(i),
        );
    }
    assert!(limiter.len() <= 100);
    assert!(
        limiter
            .begin("admin", "10.0.0.1", now + Duration::seconds(1))
            .is_err(),
        "the flood evicted the blocked pair"
    );
}
