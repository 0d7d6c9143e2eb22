//! Limits password guessing. The counts live in the store
//! (`store::limits_sql`), so that every server on one database counts the
//! same guesses and a restart gives a guesser no fresh ones; what an
//! attempt does to them is decided here, once.
//!
//! Two kinds of keys: the pair (login, address) and the address alone. An
//! enrolled tablet that proves itself (its device id and secret) stands in
//! for the address (`device:<id>`), so that the estate's tablets behind one
//! address are not kept out together.
//! Keys are SHA-256 digests, so a megabyte of login name costs 32 bytes.
//! An attempt is counted *before* the password is checked
//! ([`count`]), so parallel guesses all count; a success gives its count
//! back ([`give_back`]).
//!
//! After [`MAX_FAILURES`] failures a pair must wait, starting at
//! [`BACKOFF_SECONDS`] and doubling with each further failure up to
//! [`WINDOW_MINUTES`]: guessing slows to a crawl, and the real user, who
//! logs in from another address (or from the same one a little later), is
//! never locked out for good. An address that fails [`MAX_ADDRESS_FAILURES`]
//! times in a window waits until the window ends, whatever logins it tries.
//! Counts are forgotten a window after their last attempt or wait, and the
//! store drops them then. An attempt that must wait is told so from a
//! read ([`wait`]), writing nothing; the others are counted under the
//! permit of the password check that follows, so the counts grow no
//! faster than passwords are checked, and what the store keeps is bounded
//! by the password checks of one window.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

/// Failed attempts a (login, address) pair may make before it must wait.
pub const MAX_FAILURES: u32 = 5;
/// Failed attempts an address may make per window, over all logins.
pub const MAX_ADDRESS_FAILURES: u32 = 50;
/// The window after which failures are forgotten.
pub const WINDOW_MINUTES: i64 = 15;
/// The first wait after [`MAX_FAILURES`].
pub const BACKOFF_SECONDS: i64 = 30;

/// What the store keeps for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub failures: u32,
    pub last: DateTime<Utc>,
    pub blocked_until: Option<DateTime<Utc>>,
}

/// The keys one login attempt counts under: the pair (login, address),
/// then the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub pair: [u8; 32],
    pub address: [u8; 32],
}

impl Attempt {
    /// The keys of `login` tried from `address`.
    pub fn of(login: &str, address: &str) -> Attempt {
        let client = client_of(address);
        Attempt {
            pair: key("pair", &[&login.to_lowercase(), &client]),
            address: key("addr", &[&client]),
        }
    }
}

/// Whom an address stands for: an IPv4 address itself, but an IPv6
/// address's /64 network, since one device has a whole /64 to itself and
/// can take a fresh address for every few guesses.
fn client_of(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => address.to_string(),
    }
}

fn key(kind: &str, parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    for p in parts {
        h.update([0]);
        h.update(p.as_bytes());
    }
    h.finalize().into()
}

impl Count {
    fn fresh(now: DateTime<Utc>) -> Count {
        Count {
            failures: 0,
            last: now,
            blocked_until: None,
        }
    }

    /// When it is forgotten: a window after the last attempt or the end of
    /// its wait, whichever is later. Were it counted from the attempt
    /// alone, the longest wait (as long as the window) would end in a
    /// fresh start, and a guesser waiting it out would get five free
    /// guesses every time.
    pub fn forgotten_at(&self) -> DateTime<Utc> {
        let since = self.blocked_until.map_or(self.last, |b| b.max(self.last));
        since + Duration::minutes(WINDOW_MINUTES)
    }
}

/// Counts an attempt against the stored counts of its keys (the pair's,
/// then the address's): the counts to store, or how long to wait, when
/// either key must (nothing is counted then).
pub fn count(stored: [Option<Count>; 2], now: DateTime<Utc>) -> Result<[Count; 2], Duration> {
    if let Some(wait) = wait(stored, now) {
        return Err(wait);
    }
    let current = stored.map(|c| c.filter(|c| c.forgotten_at() > now));
    let limits = [(MAX_FAILURES, true), (MAX_ADDRESS_FAILURES, false)];
    let mut counted = current.map(|c| c.unwrap_or_else(|| Count::fresh(now)));
    for (c, (limit, backoff)) in counted.iter_mut().zip(limits) {
        c.failures += 1;
        // Another server's clock may have counted a moment later.
        c.last = c.last.max(now);
        if c.failures >= limit {
            c.blocked_until = Some(if backoff {
                let doublings = (c.failures - limit).min(10);
                let secs = (BACKOFF_SECONDS << doublings).min(WINDOW_MINUTES * 60);
                now + Duration::seconds(secs)
            } else {
                now + Duration::minutes(WINDOW_MINUTES)
            });
        }
    }
    Ok(counted)
}

/// How long an attempt must wait, given the stored counts of its keys,
/// if either must.
pub fn wait(stored: [Option<Count>; 2], now: DateTime<Utc>) -> Option<Duration> {
    stored
        .iter()
        .flatten()
        .filter(|c| c.forgotten_at() > now)
        .filter_map(|c| c.blocked_until.filter(|u| *u > now).map(|u| u - now))
        .max()
}

/// The attempt succeeded: the pair starts afresh (its count goes) and the
/// address gets its count back; `address` is its stored count.
pub fn give_back(address: Count) -> Count {
    let failures = address.failures.saturating_sub(1);
    Count {
        failures,
        blocked_until: address
            .blocked_until
            .filter(|_| failures >= MAX_ADDRESS_FAILURES),
        ..address
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The counts as a store keeps them, without the store.
    #[derive(Default)]
    struct Kept(HashMap<[u8; 32], Count>);

    impl Kept {
        fn begin(
            &mut self,
            login: &str,
            address: &str,
            now: DateTime<Utc>,
        ) -> Result<Attempt, Duration> {
            let attempt = Attempt::of(login, address);
            let stored = [attempt.pair, attempt.address].map(|k| self.0.get(&k).copied());
            let [pair, address] = count(stored, now)?;
            self.0.insert(attempt.pair, pair);
            self.0.insert(attempt.address, address);
            Ok(attempt)
        }

        fn succeed(&mut self, attempt: Attempt) {
            self.0.remove(&attempt.pair);
            if let Some(c) = self.0.get(&attempt.address).copied() {
                self.0.insert(attempt.address, give_back(c));
            }
        }
    }

    #[test]
    fn parallel_guesses_count_and_the_pair_backs_off() {
        let mut l = Kept::default();
        let t = Utc::now();
        for _ in 0..MAX_FAILURES {
            l.begin("admin", "1.1.1.1", t).expect("allowed");
        }
        // Five attempts in flight, none finished: the sixth must wait.
        let wait = l.begin("admin", "1.1.1.1", t).expect_err("blocked");
        assert_eq!(wait, Duration::seconds(BACKOFF_SECONDS));
        // The real user elsewhere is not refused.
        let ok = l.begin("admin", "2.2.2.2", t).expect("another address");
        l.succeed(ok);
        // After the wait one more guess is allowed, then the wait doubles.
        let later = t + Duration::seconds(BACKOFF_SECONDS);
        l.begin("admin", "1.1.1.1", later).expect("after the wait");
        let wait = l.begin("admin", "1.1.1.1", later).expect_err("blocked");
        assert_eq!(wait, Duration::seconds(2 * BACKOFF_SECONDS));
        // A window later everything is forgotten.
        let much_later = later + Duration::minutes(WINDOW_MINUTES + 1);
        l.begin("admin", "1.1.1.1", much_later).expect("forgotten");
    }

    /// A guesser who tries again the moment each wait ends never gets the
    /// five free guesses back: the wait grows to the window and stays.
    #[test]
    fn waiting_out_the_longest_wait_gives_no_fresh_guesses() {
        let mut l = Kept::default();
        let mut t = Utc::now();
        let mut waits = Vec::new();
        for _ in 0..40 {
            if let Err(wait) = l.begin("admin", "1.1.1.1", t) {
                waits.push(wait.num_seconds());
                t += wait;
            }
        }
        let longest = WINDOW_MINUTES * 60;
        assert_eq!(waits.last(), Some(&longest), "{waits:?}");
        assert!(
            waits.windows(2).all(|w| w[1] >= w[0]),
            "the wait never shrinks: {waits:?}"
        );
        // Left alone a window after its wait ended, it is forgotten.
        t += Duration::seconds(longest) + Duration::minutes(WINDOW_MINUTES);
        for _ in 0..MAX_FAILURES {
            l.begin("admin", "1.1.1.1", t).expect("forgotten");
        }
    }

    #[test]
    fn an_address_spraying_many_logins_waits_and_a_success_gives_one_back() {
        let mut l = Kept::default();
        let t = Utc::now();
        for i in 0..MAX_ADDRESS_FAILURES - 1 {
            l.begin(&format!("user{i}"), "6.6.6.6", t).expect("allowed");
        }
        let right = l.begin("staff", "6.6.6.6", t).expect("the last allowed");
        l.succeed(right);
        l.begin("another", "6.6.6.6", t).expect("given back");
        assert!(l.begin("another", "6.6.6.6", t).is_err());
        assert!(l.begin("another", "7.7.7.7", t).is_ok());
    }

    #[test]
    fn an_ipv6_device_cannot_dodge_the_limit_by_changing_address() {
        let mut l = Kept::default();
        let t = Utc::now();
        for i in 0..MAX_FAILURES {
            l.begin("admin", &format!("2001:db8:1:2::{i:x}"), t)
                .expect("allowed");
        }
        assert!(l.begin("admin", "2001:db8:1:2:ffff::9", t).is_err());
        // Another network is another client.
        assert!(l.begin("admin", "2001:db8:1:3::1", t).is_ok());
    }
}
