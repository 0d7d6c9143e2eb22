//! Registration numbers (登记号), made offline and never changed by sync.
//!
//! Format: `{property}-{yymmdd}-{device}-{counter}`, e.g. `HY-261123-0K-0042`.
//! - `property`: the property's short code (ASCII letters/digits, uppercased);
//! - `yymmdd`: the local date (company timezone) when the case was recorded;
//! - `device`: the device number the server assigns at the device's first
//!   login, written in base 36, at least two characters;
//! - `counter`: the device's own counter, at least four digits, never reused.
//!
//! Uniqueness across devices follows from the device number being unique
//! and the counter never repeating on one device; the date and the property
//! are there so that a resident and the staff can read the number aloud and
//! know what it is about.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A parsed registration number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegNo {
    property: String,
    date: NaiveDate,
    device: u32,
    counter: u32,
}

/// Why a registration number could not be made or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegNoError {
    /// The property code is empty or has characters other than ASCII letters and digits.
    #[error("property code must be ASCII letters and digits")]
    BadPropertyCode,
    /// The text is not of the documented shape.
    #[error("not a registration number: {0}")]
    Malformed(String),
    /// Device numbers start at 1.
    #[error("device number must be at least 1")]
    BadDevice,
}

impl RegNo {
    /// Makes the number for the `counter`-th case of device `device`.
    pub fn new(
        property_code: &str,
        date: NaiveDate,
        device: u32,
        counter: u32,
    ) -> Result<RegNo, RegNoError> {
        let property = property_code.trim().to_ascii_uppercase();
        if property.is_empty() || !property.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(RegNoError::BadPropertyCode);
        }
        if device == 0 {
            return Err(RegNoError::BadDevice);
        }
        Ok(RegNo {
            property,
            date,
            device,
            counter,
        })
    }

    /// The local date it was recorded on.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The property code.
    pub fn property_code(&self) -> &str {
        &self.property
    }

    /// The number of the device that made it.
    pub fn device(&self) -> u32 {
        self.device
    }

    /// The device's own count it carries.
    pub fn counter(&self) -> u32 {
        self.counter
    }
}

impl fmt::Display for RegNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written by hand into one buffer rather than with `write!` and
        // padded arguments: the fold writes every case's number into its
        // timeline, and a single `write_str` lets `to_string` allocate once.
        const CAPACITY: usize = 64;
        let mut buf = [0u8; CAPACITY];
        let mut len = 0;
        let mut put = |bytes: &[u8]| {
            buf[len..len + bytes.len()].copy_from_slice(bytes);
            len += bytes.len();
        };
        // The rest takes at most 26 bytes: `-yymmdd-`, seven base-36 digits
        // of a u32, `-` and ten decimal digits.
        if self.property.len() <= CAPACITY - 26 {
            put(self.property.as_bytes());
        } else {
            f.write_str(&self.property)?;
        }
        let mut digits = [0u8; 10];
        let yy = self.date.year().rem_euclid(100).unsigned_abs();
        put(b"-");
        put(padded(yy, 10, 2, &mut digits));
        put(padded(self.date.month(), 10, 2, &mut digits));
        put(padded(self.date.day(), 10, 2, &mut digits));
        put(b"-");
        put(padded(self.device, 36, 2, &mut digits));
        put(b"-");
        put(padded(self.counter, 10, 4, &mut digits));
        // Only whole ASCII pieces and the whole property went in.
        f.write_str(std::str::from_utf8(&buf[..len]).map_err(|_| fmt::Error)?)
    }
}

impl std::str::FromStr for RegNo {
    type Err = RegNoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || RegNoError::Malformed(s.to_string());
        let parts: Vec<&str> = s.trim().split('-').collect();
        let [property, date, device, counter] = parts.as_slice() else {
            return Err(bad());
        };
        if date.len() != 6 || !date.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| date[r].parse::<u32>().map_err(|_| bad());
        // Two-digit years are 2000–2099: the product did not exist before.
        let date = NaiveDate::from_ymd_opt(2000 + num(0..2)? as i32, num(2..4)?, num(4..6)?)
            .ok_or_else(bad)?;
        let device = u32::from_str_radix(device, 36).map_err(|_| bad())?;
        if counter.len() < 4 {
            return Err(bad());
        }
        let counter = counter.parse::<u32>().map_err(|_| bad())?;
        RegNo::new(property, date, device, counter)
    }
}

impl TryFrom<String> for RegNo {
    type Error = RegNoError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<RegNo> for String {
    fn from(r: RegNo) -> String {
        r.to_string()
    }
}

/// On the wire a registration number is its text, e.g. `HY-261123-0K-0042`
/// (`serde(try_from = "String")`), so its schema is a string, not the
/// struct's fields.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for RegNo {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some(
                "A registration number: property code, local date (yymmdd), device number \
                 (base 36), counter (at least four digits).",
            ))
            .examples(["HY-261123-0K-0042"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for RegNo {}

/// Whether device number `n` reads clearly in a registration number: its
/// base-36 digits hold neither I nor O, which a resident reading the
/// number aloud, or staff typing it from a receipt, would take for 1 and 0
/// (device 18 is `0I`, and `01` is device 1, another tablet's cases). The
/// server gives out only such numbers.
pub fn reads_clearly(n: u32) -> bool {
    let mut digits = [0u8; 10];
    !padded(n, 36, 2, &mut digits)
        .iter()
        .any(|d| matches!(d, b'I' | b'O'))
}

/// A device's number as registration numbers show it (base 36, two
/// characters at least: `0K` for device 20), so that whoever holds a case
/// number finds the tablet it was registered on.
pub fn device_code(number: u32) -> String {
    let mut digits = [0u8; 10];
    String::from_utf8_lossy(padded(number, 36, 2, &mut digits)).into_owned()
}

/// The digits of `n` in `radix` (at most 36, upper-case letters past 9),
/// zero-padded to at least `min` (at most 10) digits, written at the end of
/// `buf`.
fn padded(mut n: u32, radix: u32, min: usize, buf: &mut [u8; 10]) -> &[u8] {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = DIGITS[(n % radix) as usize];
        n /= radix;
        if n == 0 {
            break;
        }
    }
    while buf.len() - start < min {
        start -= 1;
        buf[start] = b'0';
    }
    &buf[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_code_is_the_one_in_its_registration_numbers() {
        assert_eq!(device_code(20), "0K");
        assert_eq!(device_code(36 * 36 + 1), "101");
        let reg = RegNo {
            property: "HY".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            device: 20,
            counter: 42,
        };
        assert!(reg.to_string().contains(&format!("-{}-", device_code(20))));
    }

    #[test]
    fn device_numbers_with_an_i_or_an_o_do_not_read_clearly() {
        assert!(reads_clearly(1) && reads_clearly(17) && reads_clearly(19));
        assert!(!reads_clearly(18), "0I");
        assert!(!reads_clearly(24), "0O");
        assert!(!reads_clearly(18 * 36), "I0");
        assert_eq!((1..=36).filter(|&n| !reads_clearly(n)).count(), 2);
    }
    use proptest::prelude::*;

    #[test]
    fn format_and_parse() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let r = RegNo::new("hy", d, 20, 42).unwrap();
        assert_eq!(r.to_string(), "HY-261123-0K-0042");
        assert_eq!("HY-261123-0K-0042".parse::<RegNo>().unwrap(), r);
        let big = RegNo::new("A1", d, 50_000, 123_456).unwrap();
        assert_eq!(big.to_string(), "A1-261123-12KW-123456");
        assert_eq!(big.to_string().parse::<RegNo>().unwrap(), big);
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"HY-261123-0K-0042\"");
    }

    #[test]
    fn refusals() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(
            RegNo::new("华苑", d, 1, 1),
            Err(RegNoError::BadPropertyCode)
        );
        assert_eq!(RegNo::new("", d, 1, 1), Err(RegNoError::BadPropertyCode));
        assert_eq!(RegNo::new("HY", d, 0, 1), Err(RegNoError::BadDevice));
        for bad in [
            "",
            "HY",
            "HY-2611-0K-0042",
            "HY-261323-0K-0042",
            "HY-261123-0K-42",
            "HY-261123-!!-0042",
        ] {
            assert!(bad.parse::<RegNo>().is_err(), "{bad}");
        }
    }

    /// The format as the module doc states it, written the obvious way.
    fn reference(r: &RegNo) -> String {
        let mut device = String::new();
        let mut n = r.device;
        loop {
            device.insert(
                0,
                char::from_digit(n % 36, 36).unwrap().to_ascii_uppercase(),
            );
            n /= 36;
            if n == 0 {
                break;
            }
        }
        format!(
            "{}-{:02}{:02}{:02}-{:0>2}-{:04}",
            r.property,
            r.date.year().rem_euclid(100),
            r.date.month(),
            r.date.day(),
            device,
            r.counter
        )
    }

    proptest! {
        #[test]
        fn display_matches_the_reference(
            property in "[A-Z0-9]{1,60}",
            days in 0i32..80_000,
            device in 1u32..,
            counter in any::<u32>(),
        ) {
            let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(i64::from(days));
            let r = RegNo::new(&property, date, device, counter).unwrap();
            prop_assert_eq!(r.to_string(), reference(&r));
        }

        #[test]
        fn distinct_devices_or_counters_give_distinct_numbers(d1 in 1u32..100_000, d2 in 1u32..100_000, c1 in 0u32..1_000_000, c2 in 0u32..1_000_000) {
            let day = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
            let a = RegNo::new("HY", day, d1, c1).unwrap();
            let b = RegNo::new("HY", day, d2, c2).unwrap();
            prop_assert_eq!(a.to_string() == b.to_string(), (d1, c1) == (d2, c2));
            prop_assert_eq!(a.to_string().parse::<RegNo>().unwrap(), a);
        }
    }
}
