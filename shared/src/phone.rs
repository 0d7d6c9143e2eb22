//! Chinese phone numbers. A number is parsed once at the edge into
//! [`Phone`], and code past that point trusts it.
//!
//! Accepted shapes, after removing spaces and dashes and a leading
//! `+86`/`86`/`0086`:
//! - mobile: 11 digits starting `1[3-9]`, also after a trunk `0` (an
//!   out-of-town mobile as a desk phone's caller ID shows it);
//! - landline: area code `0` + 2–3 digits (`010`, `02x` or `0xxx`, none
//!   starting `00` or `01` but `010`), then a 7–8 digit number, optionally
//!   an extension after `-`, `转`, `分机`, `ext`, `x`, `#` or `,` (kept
//!   after `转`); after `+86`/`0086`
//!   without its trunk `0`;
//! - service numbers `400`/`800` + 7 digits;
//! - with `+852`/`+853` (Hong Kong, Macau: 8 digits) or `+886` (Taiwan:
//!   8–9 digits without the trunk `0`), or `00` for the `+`, a number of
//!   the places where groups also manage estates (`settings::TIMEZONES`),
//!   kept with its code: `+852-91234567`.
//!
//! A number as [`Phone`] stores one (`0571-87654321`) reads as it is.
//! One an older build stored under an area code refused now is read back
//! by [`Phone::from_stored`] alone: typed again, it is judged as typed.

use serde::{Deserialize, Serialize};
use std::fmt;

mod in_text;
pub use in_text::{mask_in_text, numbers_in, restore_masked};

/// A phone number that passed [`Phone::parse`]. Stored normalized: digits only,
/// with a landline's area code separated by `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Phone(String);

/// `text` with an extension's mark, as switchboards and contact cards
/// write it (`分机123`, `ext. 123`, `x123`, `#123`, `,123`: the keys a
/// phone keypad offers), written `转`: only when digits alone follow it,
/// so that a name typed into the field (`xu`) is refused as letters.
fn extension_marked(text: &str) -> String {
    for mark in ["分机", "ext.", "ext", "x", "#", ","] {
        if let Some(at) = text.rfind(mark) {
            let rest = text[at + mark.len()..].trim();
            if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
                return format!("{}转{rest}", &text[..at]);
            }
        }
    }
    text.to_string()
}

/// Why a phone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Nothing was typed.
    Empty,
    /// Letters or symbols other than digits, spaces, dashes, `+`, and an
    /// extension's mark (`转`, `分机`, `ext`, `x`, `#`, `,`).
    BadCharacters,
    /// Digits, but not the shape of a Chinese mobile or landline number.
    Malformed,
}

impl Phone {
    /// Parses a mobile, landline or 400/800 number as a person types it.
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        // Full width, as a Chinese keyboard types it: `１３９１２３４５６７８`,
        // `（0571）8765－4321`.
        let folded = crate::search::fold(input);
        // Pasted from a chat or a sheet: the marks that show nothing (a
        // direction mark, a zero-width space) go, and a no-break space is
        // a space.
        let cleaned: String = folded
            .chars()
            .filter(|c| !crate::search::is_invisible(*c))
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        let marked = extension_marked(&cleaned);
        let trimmed = marked.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        // Split off an extension before stripping separators.
        let (main, ext) = match trimmed.split_once('转') {
            Some((m, e)) => (m, Some(e.trim())),
            None => (trimmed, None),
        };
        if !main
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')'))
        {
            return Err(PhoneError::BadCharacters);
        }
        if let Some(e) = ext
            && (e.is_empty() || e.len() > 6 || !e.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(PhoneError::Malformed);
        }
        let groups: Vec<&str> = main
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .collect();
        let with_ext = |s: String| match ext {
            Some(e) => format!("{s}转{e}"),
            None => s,
        };
        let mut digits: String = groups.concat();
        let abroad = if main.trim_start().starts_with('+') {
            Some(digits.as_str())
        } else {
            digits.strip_prefix("00")
        };
        for (code, lengths) in [("852", 8..=8), ("853", 8..=8), ("886", 8..=9)] {
            if let Some(rest) = abroad.and_then(|d| d.strip_prefix(code))
                && lengths.contains(&rest.len())
                && !rest.starts_with('0')
            {
                return Ok(Phone(with_ext(format!("+{code}-{rest}"))));
            }
        }
        if main.trim_start().starts_with('+') {
            digits = match digits.strip_prefix("86") {
                // A landline dialled from abroad drops its trunk `0`.
                Some(rest) if !rest.starts_with('0') && landline(&format!("0{rest}")).is_some() => {
                    format!("0{rest}")
                }
                Some(rest) => rest.to_string(),
                None => return Err(PhoneError::Malformed),
            };
        } else if let Some(rest) = digits.strip_prefix("0086")
            && !rest.starts_with('0')
            && landline(&format!("0{rest}")).is_some()
        {
            digits = format!("0{rest}");
        } else if digits.len() == 12 && digits.starts_with('0') && is_mobile(&digits[1..]) {
            // An out-of-town mobile, with the trunk `0` a desk phone dials.
            digits = digits[1..].to_string();
        } else if digits.len() == 13 && digits.starts_with("861") {
            digits = digits[2..].to_string();
        } else if digits.len() == 15 && digits.starts_with("00861") {
            // Dialled from abroad, or copied from a contact card: without
            // this, `0086-138-1234-5678` read as the landline 0086-1381234
            // with the extension 5678.
            digits = digits[4..].to_string();
        }
        if is_mobile(&digits) && ext.is_none() {
            return Ok(Phone(digits));
        }
        if is_service(&digits) {
            return Ok(Phone(with_ext(digits)));
        }
        if let Some((area, number)) = landline(&digits) {
            return Ok(Phone(with_ext(format!("{area}-{number}"))));
        }
        // A landline typed as "area-number-ext" keeps its last group as the
        // extension.
        if let [head @ .., last] = groups.as_slice()
            && !head.is_empty()
            && ext.is_none()
            && last.len() <= 6
        {
            let main = head.concat();
            if let Some((area, number)) = landline(&main) {
                return Ok(Phone(format!("{area}-{number}转{last}")));
            }
        }
        Err(PhoneError::Malformed)
    }

    /// A number as stored, by this build or an older one: what
    /// [`Phone::parse`] makes of itself, or a landline an older build kept
    /// under any `0` area code (`0138-12345678`, `0086-1381234转5678`).
    /// For numbers that come over the wire or from storage, never for
    /// typing: a typed `0000-1111111` is no number.
    pub fn from_stored(stored: &str) -> Option<Phone> {
        if let Ok(p) = Phone::parse(stored)
            && p.as_str() == stored
        {
            return Some(p);
        }
        let main = stored.split_once('转').map_or(stored, |(main, _)| main);
        as_stored(main).map(|_| Phone(stored.to_string()))
    }

    /// The normalized number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A display-only copy with the middle digits hidden (138****5678).
    pub fn masked(&self) -> Phone {
        Phone(crate::role::mask_phone(&self.0))
    }

    /// Whether this is a mobile number (SMS-capable).
    pub fn is_mobile(&self) -> bool {
        is_mobile(&self.0)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_mobile(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

fn is_service(d: &str) -> bool {
    d.len() == 10 && (d.starts_with("400") || d.starts_with("800"))
}

/// Splits a landline into area code and local number. Area codes are `0`
/// plus 2 digits (010, 020–029) or 3 digits; local numbers have 7–8 digits
/// and do not start with 0.
fn landline(d: &str) -> Option<(&str, &str)> {
    // No area code starts `00` (an international prefix) or `01` but 010.
    if !d.starts_with('0') || d.starts_with("00") || (d.starts_with("01") && !d.starts_with("010"))
    {
        return None;
    }
    let two_digit_area = d.starts_with("010") || d.starts_with("02");
    let area_len = if two_digit_area { 3 } else { 4 };
    if d.len() <= area_len {
        return None;
    }
    let (area, number) = d.split_at(area_len);
    let ok = (7..=8).contains(&number.len()) && !number.starts_with('0');
    ok.then_some((area, number))
}

/// A landline as [`Phone`] stores one, `0AAA-NNNNNNNN`: the area code
/// the way [`landline`] splits it, but any `0` code, so that what an older
/// build stored reads as it was stored ([`Phone::from_stored`]).
fn as_stored(main: &str) -> Option<&str> {
    let (area, number) = main.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let area_len = if area.starts_with("010") || area.starts_with("02") {
        3
    } else {
        4
    };
    let ok = digits(area)
        && digits(number)
        && area.starts_with('0')
        && area.len() == area_len
        && (7..=8).contains(&number.len())
        && !number.starts_with('0');
    ok.then_some(main)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, PhoneError>) {
        let got = Phone::parse(input);
        assert_eq!(
            got.as_ref().map(|p| p.as_str()),
            expected.as_ref().map(|s| *s),
            "input {input:?}"
        );
    }

    #[test]
    fn mobiles() {
        check("13812345678", Ok("13812345678"));
        check("138 1234 5678", Ok("13812345678"));
        check("138-1234-5678", Ok("13812345678"));
        check("+86 138 1234 5678", Ok("13812345678"));
        check("8613812345678", Ok("13812345678"));
        check("0086 138 1234 5678", Ok("13812345678"));
        check("0086-138-1234-5678", Ok("13812345678"));
        check("19912345678", Ok("19912345678"));
        check("12812345678", Err(PhoneError::Malformed));
        check("1381234567", Err(PhoneError::Malformed));
        check("138123456789", Err(PhoneError::Malformed));
        check("+1 138 1234 5678", Err(PhoneError::Malformed));
        // Typed with a Chinese keyboard in full width.
        check("１３８　１２３４　５６７８", Ok("13812345678"));
        // As a desk phone shows an out-of-town mobile: the trunk 0 first.
        check("013812345678", Ok("13812345678"));
        check("0138 1234 5678", Ok("13812345678"));
        check("（0571）8765－4321", Ok("0571-87654321"));
    }

    #[test]
    fn landlines() {
        check("010-12345678", Ok("010-12345678"));
        check("01012345678", Ok("010-12345678"));
        check("021 6234 5678", Ok("021-62345678"));
        check("0755-8123456", Ok("0755-8123456"));
        check("0571-87654321-808", Ok("0571-87654321转808"));
        check("0571-87654321转808", Ok("0571-87654321转808"));
        // The extension as switchboards and contact cards write it.
        for typed in [
            "0755-88886666 分机123",
            "0755-88886666#123",
            "0755-88886666,123",
            "0755-88886666，123",
            "0755-88886666 ext. 123",
            "0755-88886666 EXT 123",
            "0755-88886666x123",
            "075588886666-123",
        ] {
            check(typed, Ok("0755-88886666转123"));
        }
        check("0755-88886666 分机", Err(PhoneError::BadCharacters));
        check("0755-88886666 转 12 转 3", Err(PhoneError::Malformed));
        check("13800138000#12", Err(PhoneError::Malformed));
        // Letters are letters: a name typed into the field is not an
        // extension.
        check("13800138000 xu", Err(PhoneError::BadCharacters));
        check("13800138000 (Xiao)", Err(PhoneError::BadCharacters));
        // Pasted from a chat: direction marks and no-break spaces.
        check("\u{202A}138 0013 8000\u{202C}", Ok("13800138000"));
        check("138\u{A0}0013\u{A0}8000", Ok("13800138000"));
        check("\u{200B}0571-87654321", Ok("0571-87654321"));
        check("010-0234567", Err(PhoneError::Malformed));
        // From abroad, without the trunk 0.
        check("0086 571 8765 4321", Ok("0571-87654321"));
        check("+86 571 8765 4321", Ok("0571-87654321"));
        check("+86 10 1234 5678", Ok("010-12345678"));
        // No area code starts 00, or 01 but 010.
        check("01312345678", Err(PhoneError::Malformed));
        check("00571234567", Err(PhoneError::Malformed));
        // Typed with a dash after such a code, it is no landline either:
        // the out-of-town mobile, or nothing.
        check("0138-12345678", Ok("13812345678"));
        check("0000-1111111", Err(PhoneError::Malformed));
        check("0086-1381234", Err(PhoneError::Malformed));
    }

    #[test]
    fn hong_kong_macau_and_taiwan() {
        check("+852 9123 4567", Ok("+852-91234567"));
        check("00853 6612 3456", Ok("+853-66123456"));
        check("+886 912 345 678", Ok("+886-912345678"));
        check("+886 2 2345 6789", Ok("+886-223456789"));
        check("+886 02 2345 6789", Err(PhoneError::Malformed));
        check("+852 1234", Err(PhoneError::Malformed));
        check("+852-91234567转12", Ok("+852-91234567转12"));
        // As stored, they read as stored.
        for stored in ["+852-91234567", "+886-912345678"] {
            check(stored, Ok(stored));
        }
        check("12345678", Err(PhoneError::Malformed));
        check("0755-812", Err(PhoneError::Malformed));
    }

    #[test]
    fn what_an_older_build_stored_reads_as_stored() {
        for stored in [
            "0138-12345678",
            "0086-1381234转5678",
            "0571-87654321",
            "0571-87654321转808",
            "13812345678",
            "+852-91234567",
        ] {
            assert_eq!(
                Phone::from_stored(stored).as_ref().map(Phone::as_str),
                Some(stored)
            );
        }
        // Not as any build stores a number: typing, not storage.
        for typed in ["138 1234 5678", "0571 87654321", "0000-111", "abc"] {
            assert_eq!(Phone::from_stored(typed), None, "{typed}");
        }
    }

    #[test]
    fn service_numbers_and_junk() {
        check("400-123-4567", Ok("4001234567"));
        check("800 123 4567", Ok("8001234567"));
        check("", Err(PhoneError::Empty));
        check("   ", Err(PhoneError::Empty));
        check("138abc45678", Err(PhoneError::BadCharacters));
        check("电话13812345678", Err(PhoneError::BadCharacters));
    }
}
