//! The times every op, timeline entry and clock carries, written as
//! chrono's own `Serialize` writes them, only faster.
//!
//! chrono formats a time through `core::fmt` and the serializer's
//! `collect_str`, which a push pays several times per op (its JSON, its
//! case's JSON and history). Here the digits go into a buffer directly.
//! The text is the same: RFC 3339 in UTC with `Z`, the fraction of a second
//! in the fewest of 3, 6 or 9 digits that hold it, and a leap second as
//! second 60. A year outside 0–9999 (written with a sign) is left to chrono.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

/// For `#[serde(serialize_with)]`: `at` as chrono writes it.
pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    match write(at, &mut buf).and_then(|len| std::str::from_utf8(&buf[..len]).ok()) {
        Some(text) => serializer.serialize_str(text),
        None => at.serialize(serializer),
    }
}

/// Writes `at` into `buf` and returns its length; `None` for a year
/// chrono writes with a sign.
fn write(at: &DateTime<Utc>, buf: &mut [u8; 30]) -> Option<usize> {
    let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
    let (mut second, mut nano) = (at.second(), at.nanosecond());
    if nano >= 1_000_000_000 {
        second += 1;
        nano -= 1_000_000_000;
    }
    let digits = match nano {
        0 => 0,
        n if n % 1_000_000 == 0 => 3,
        n if n % 1_000 == 0 => 6,
        _ => 9,
    };
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        buf[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    };
    put(&padded(year, 4)[..4]);
    for (separator, value) in [
        (b'-', at.month()),
        (b'-', at.day()),
        (b'T', at.hour()),
        (b':', at.minute()),
        (b':', second),
    ] {
        put(&[separator]);
        put(&padded(value, 2)[..2]);
    }
    if digits > 0 {
        put(b".");
        put(&padded(nano, 9)[..digits]);
    }
    put(b"Z");
    Some(len)
}

/// `value`'s last `width` (at most 9) decimal digits, zero-padded, at
/// the start of the result.
fn padded(mut value: u32, width: usize) -> [u8; 9] {
    let mut out = [b'0'; 9];
    for place in (0..width).rev() {
        out[place] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};
    use serde::Serialize;

    #[derive(Serialize)]
    struct Fast(#[serde(serialize_with = "super::serialize")] DateTime<Utc>);

    fn at(year: i32, nano: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(year, 2, 3)
            .and_then(|d| d.and_hms_nano_opt(4, 5, 59, nano))
            .expect("valid")
            .and_utc()
    }

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        for year in [-1, 0, 7, 2026, 9999, 10_000] {
            for nano in [
                0,
                120_000_000,
                123_000,
                123_456_000,
                1,
                123_456_789,
                999_999_999,
                1_000_000_000,
                1_000_123_000,
                1_999_999_999,
            ] {
                let t = at(year, nano);
                assert_eq!(
                    serde_json::to_string(&Fast(t)).expect("fast"),
                    serde_json::to_string(&t).expect("chrono"),
                    "{t:?}"
                );
            }
        }
    }
}
