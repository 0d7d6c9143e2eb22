//! The proof that a record was made by the user it names, on the tablet it
//! names: what lets the server take a records file (`wire::RecordsFile`)
//! from an administrator without believing what the file says.
//!
//! A push needs no proof: its session says who sends it, and the server
//! refuses a record whose author is someone else. A records file has no
//! session. It is plain JSON that passes through the hands of whoever had
//! the revoked tablet, who could add a record in the name of a manager who
//! once logged in on it. So at every login the server gives the user a key
//! of their own on that tablet (the same each time: one per user and
//! device, kept by the server), and the tablet keeps it while the user's
//! session lasts, forgets it at logout or when the server ends the
//! session, and proves each record it makes with it. At import the server checks each record against its author's key
//! on that tablet; one without a valid proof is set aside
//! (`import.unproven`) for an administrator to look at.
//!
//! The proof is an HMAC-SHA256 of the record's JSON as `serde_json` writes
//! an [`Op`](crate::op::Op), which is how the tablet stores it and the
//! server reads it back: any change to the record, or a key other than its
//! author's, fails it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The longest key taken: the server makes them 64 hex digits.
pub const MAX_KEY_CHARS: usize = 128;

/// The proof of the record whose JSON is `op_json`, made with `key`: 64
/// lowercase hex digits.
pub fn prove(key: &str, op_json: &str) -> String {
    let mut mac = keyed(key);
    mac.update(op_json.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `proof` is the proof of `op_json` made with `key`.
pub fn proves(key: &str, op_json: &str, proof: &str) -> bool {
    let Some(bytes) = hex_bytes(proof) else {
        return false;
    };
    let mut mac = keyed(key);
    mac.update(op_json.as_bytes());
    // In constant time: the proof is compared byte by byte only by `hmac`.
    mac.verify_slice(&bytes).is_ok()
}

fn keyed(key: &str) -> HmacSha256 {
    // HMAC takes a key of any length.
    HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes any key length")
}

/// The 32 bytes `hex` writes in lowercase hex digits, or `None`.
fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    hex.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d0f";

    #[test]
    fn a_proof_holds_for_its_record_and_key_only() {
        let json = r#"{"id":"a","author":"u1"}"#;
        let proof = prove(KEY, json);
        assert_eq!(proof.len(), 64);
        assert!(proves(KEY, json, &proof));
        // Another author named in the record.
        assert!(!proves(KEY, r#"{"id":"a","author":"u2"}"#, &proof));
        // Another user's key.
        let other = KEY.replace('9', "8");
        assert!(!proves(&other, json, &proof));
        assert_ne!(prove(&other, json), proof);
        // Not a proof at all.
        assert!(!proves(KEY, json, ""));
        assert!(!proves(KEY, json, &proof.to_uppercase()));
        assert!(!proves(KEY, json, &proof[..62]));
    }

    #[test]
    fn a_proof_is_the_hmac_sha256_of_the_json() {
        // RFC 4231, test case 2: key "Jefe".
        assert_eq!(
            prove("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
