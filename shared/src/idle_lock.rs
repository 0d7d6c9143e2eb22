//! The idle lock: a tablet left alone for some minutes hides its screen
//! until the user who is logged in types their password again.
//!
//! A front-desk tablet passes from hand to hand, and one left on a counter
//! logged in as a manager showed residents' phones unmasked to whoever
//! picked it up, and let them act and sign records in the manager's name.
//! The lock must open offline, where the server cannot be asked, so at
//! each login (and each password change) the tablet keeps a [`Verifier`]
//! of the password: a salted PBKDF2-HMAC-SHA256, never the password. It
//! guards the screen against a passer-by; the data on the tablet is no
//! safer from someone who reads its storage, and the rounds only make the
//! password itself costly to guess from a copy of the verifier.
//!
//! How long a tablet waits is a company setting
//! (`Settings::idle_lock_minutes`); a wrong password counts, and after
//! [`UNLOCK_ATTEMPTS`] the login ends on the tablet (its records stay and
//! sync after the next login, which needs the network and the server's
//! own checks).

use hmac::Hmac;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The minutes a tablet waits by default: a front desk's pause, not a
/// visit to an estate.
pub const DEFAULT_MINUTES: u32 = 10;
/// The longest wait an admin may set (four hours); 0 turns the lock off.
pub const MAX_MINUTES: u32 = 240;
/// Wrong passwords at the lock before the login ends on the tablet.
pub const UNLOCK_ATTEMPTS: u32 = 5;
/// PBKDF2 rounds of a new verifier: some tenths of a second on a tablet,
/// once at login and once at each unlock.
pub const ROUNDS: u32 = 100_000;
/// The bytes of salt a verifier is made with.
pub const SALT_BYTES: usize = 16;

/// What checks a password typed at the lock, kept with the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifier {
    /// Random bytes drawn at the login (passed in: this crate draws none).
    pub salt: Vec<u8>,
    /// The PBKDF2 rounds it was made with, so that a later build may use
    /// more and still read the verifiers kept before.
    pub rounds: u32,
    /// PBKDF2-HMAC-SHA256 of the password, 32 bytes.
    pub hash: Vec<u8>,
}

impl Verifier {
    /// The verifier of `password` with `salt`.
    pub fn new(password: &str, salt: [u8; SALT_BYTES]) -> Verifier {
        Verifier {
            salt: salt.to_vec(),
            rounds: ROUNDS,
            hash: derive(password, &salt, ROUNDS).to_vec(),
        }
    }

    /// Whether `password` is the one this verifier was made of.
    pub fn admits(&self, password: &str) -> bool {
        // A verifier read back with no rounds would admit nothing useful.
        self.rounds > 0 && derive(password, &self.salt, self.rounds).as_slice() == self.hash
    }
}

fn derive(password: &str, salt: &[u8], rounds: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    // Only an output length HMAC cannot give fails, and 32 bytes it can.
    pbkdf2::pbkdf2::<Hmac<Sha256>>(password.as_bytes(), salt, rounds, &mut out)
        .expect("HMAC takes a key of any length");
    out
}

/// Whether a tablet last used at `since_ms` is locked at `now_ms` (both
/// milliseconds since the epoch) when it waits `minutes` (0: never).
///
/// A use recorded later than now means the clock was set back: locked,
/// since how long the tablet lay idle can no longer be told.
pub fn is_due(minutes: u32, since_ms: i64, now_ms: i64) -> bool {
    if minutes == 0 {
        return false;
    }
    // A minute of slack for the clock's own corrections.
    if since_ms > now_ms + 60_000 {
        return true;
    }
    now_ms.saturating_sub(since_ms) >= i64::from(minutes) * 60_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_admits_its_password_only() {
        let v = Verifier::new("前台 password 1", [7; SALT_BYTES]);
        assert!(v.admits("前台 password 1"));
        assert!(!v.admits("前台 password 2"));
        assert!(!v.admits(""));
        assert_eq!(v.hash.len(), 32);
        // Another salt, another hash: a copied verifier says nothing of
        // another tablet's.
        let other = Verifier::new("前台 password 1", [8; SALT_BYTES]);
        assert_ne!(other.hash, v.hash);
        // Kept as JSON with the session, and read back alike.
        let back: Verifier = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert!(back.admits("前台 password 1"));
        let none = Verifier { rounds: 0, ..v };
        assert!(!none.admits("前台 password 1"));
    }

    #[test]
    fn pbkdf2_is_the_standard_one() {
        // RFC 7914 § 11's PBKDF2-HMAC-SHA256 vector: the hash is the
        // standard one, not a home-made variant.
        let mut out = [0u8; 64];
        pbkdf2::pbkdf2::<Hmac<Sha256>>(b"passwd", b"salt", 1, &mut out).unwrap();
        assert_eq!(&out[..8], &[0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f]);
    }

    #[test]
    fn due_after_the_minutes_and_when_the_clock_went_back() {
        let m = 60_000;
        assert!(!is_due(10, 0, 10 * m - 1));
        assert!(is_due(10, 0, 10 * m));
        assert!(!is_due(0, 0, 1000 * m));
        assert!(!is_due(10, 30_000, 0));
        assert!(is_due(10, 2 * m, 0));
    }
}
