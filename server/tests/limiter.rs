//! The failed-login limiter keeps its counts in the store: every server on
//! a database, and a server restarted, counts the same guesses; what it
//! keeps is keyed by hashes (never the raw login) and goes once forgotten;
//! a flood of fresh names cannot buy a blocked pair out.

mod common;

use chrono::{Duration, TimeZone, Utc};
use server::login_limit::{Attempt, MAX_FAILURES, WINDOW_MINUTES};
use server::store::Store;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0)
        .single()
        .expect("a time")
}

/// Counts an attempt of `login` from `address` at `now`.
fn begin(
    store: &dyn Store,
    login: &str,
    address: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Attempt, Duration> {
    let attempt = Attempt::of(login, address);
    store
        .count_login(&attempt, now)
        .expect("the store counts")
        .map(|()| attempt)
}

/// How many counts the store of `data` holds.
fn counts(data: &std::path::Path) -> u64 {
    common::update(data, "UPDATE login_limits SET failures = failures", &[])
}

#[test]
fn a_pair_is_blocked_after_its_failures_and_the_wait_doubles() {
    let fx = common::Fixture::new();
    let store = common::open_store(fx.data.path());
    let mut now = t0();
    for i in 0..MAX_FAILURES {
        assert!(
            begin(&*store, "admin", "10.0.0.1", now).is_ok(),
            "attempt {i}"
        );
    }
    let first = begin(&*store, "admin", "10.0.0.1", now).expect_err("blocked after the failures");
    assert!(first > Duration::zero() && first <= Duration::minutes(15));
    // Another address may still try the same login, and its success
    // starts its pair afresh.
    let elsewhere = begin(&*store, "admin", "10.0.0.2", now).expect("another address");
    store.login_succeeded(&elsewhere).expect("given back");
    // After the wait, one more failure blocks for longer.
    now += first;
    assert!(begin(&*store, "admin", "10.0.0.1", now).is_ok());
    let second = begin(&*store, "admin", "10.0.0.1", now).expect_err("blocked again");
    assert!(second > first, "{second} after {first}");
    assert!(second <= Duration::minutes(15));
}

/// A restarted server, or another on the same database, finds the wait:
/// before, each process counted for itself, and a restart gave a guesser
/// five fresh guesses.
#[test]
fn another_server_on_the_database_counts_the_same_guesses() {
    let fx = common::Fixture::new();
    let now = t0();
    {
        let store = common::open_store(fx.data.path());
        for _ in 0..MAX_FAILURES {
            begin(&*store, "admin", "10.0.0.1", now).expect("allowed");
        }
    }
    let other = common::open_store(fx.data.path());
    assert!(
        begin(&*other, "admin", "10.0.0.1", now + Duration::seconds(1)).is_err(),
        "the guesses were forgotten"
    );
}

#[test]
fn a_flood_of_fresh_names_does_not_unblock_a_pair_and_goes_a_window_later() {
    let fx = common::Fixture::new();
    let store = common::open_store(fx.data.path());
    let now = t0();
    for _ in 0..MAX_FAILURES {
        let _ = begin(&*store, "admin", "10.0.0.1", now);
    }
    assert!(begin(&*store, "admin", "10.0.0.1", now).is_err());
    let long = "x".repeat(4096);
    for i in 0..300 {
        let address = format!("172.16.{}.{}", i / 250, i % 250);
        let _ = begin(
            &*store,
            &format!("{i}{long}"),
            &address,
            now + Duration::milliseconds(i),
        );
    }
    assert!(
        begin(&*store, "admin", "10.0.0.1", now + Duration::seconds(1)).is_err(),
        "the flood freed the blocked pair"
    );
    // One count per pair and one per address, whatever the names' length.
    assert_eq!(counts(fx.data.path()), 2 + 300 + 300);
    // A window after the longest wait, the next attempt finds the flood
    // forgotten and gone.
    let later = now + Duration::minutes(2 * WINDOW_MINUTES + 1);
    begin(&*store, "someone", "10.9.9.9", later).expect("allowed");
    assert_eq!(counts(fx.data.path()), 2);
}

/// A success starts its pair afresh and gives its address one failure
/// back, in the store.
#[test]
fn a_success_forgets_its_pair_and_gives_its_address_one_back() {
    let fx = common::Fixture::new();
    let data = fx.data.path();
    let store = common::open_store(data);
    let now = t0();
    for _ in 0..MAX_FAILURES - 1 {
        begin(&*store, "admin", "10.0.0.1", now).expect("allowed");
    }
    let right = begin(&*store, "admin", "10.0.0.1", now).expect("the fifth");
    store.login_succeeded(&right).expect("given back");
    assert_eq!(counts(data), 1, "only the address's count is left");
    let four = "UPDATE login_limits SET failures = failures WHERE failures = 4";
    assert_eq!(common::update(data, four, &[]), 1, "the address has 4 left");
    for i in 0..MAX_FAILURES {
        assert!(
            begin(&*store, "admin", "10.0.0.1", now).is_ok(),
            "attempt {i} after the success"
        );
    }
    assert!(begin(&*store, "admin", "10.0.0.1", now).is_err());
}
