//! Phone and ID-card numbers typed into free text. Staff often write the
//! resident's number into the content or a note (业主张先生 138 1234 5678
//! 反映…); a reader who sees the complainant's phone masked must see those
//! masked too ([`mask_in_text`]), and may not save a text that holds such a
//! mask back over the real number ([`holds_masked`]).
//!
//! A number is found by its shape, as [`super::Phone::parse`] reads one:
//! a mobile (11 digits `1[3-9]…`, with or without `86` before it), a
//! landline with its area code (`0` + 2–3 digits, then 7–8 digits), or an
//! 18-character ID-card number (17 digits and a digit or `X`, with a
//! birth date in it). Its digits may be split into groups by one space or
//! dash each (138 1234 5678, 0571-8765 4321) and typed full width. A
//! local landline without its area code is left alone: eight digits are as
//! often a date (20260315) or an order number.

use super::{is_mobile, landline};
use std::borrow::Cow;

/// What a masked digit becomes.
const MASK: char = '*';

/// `text` with the middle digits of every phone and ID-card number in it
/// masked, as [`crate::role::mask_phone`] masks a phone (138****5678) and
/// ID cards are printed (110101********1234). Separators and everything
/// else stay as typed. Borrowed when there is nothing to mask.
pub fn mask_in_text(text: &str) -> Cow<'_, str> {
    // Most texts hold no digit: no copy of their characters is made.
    if !text.chars().any(digit) {
        return Cow::Borrowed(text);
    }
    let mut chars: Vec<char> = text.chars().collect();
    let found = numbers(&chars);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    for number in found {
        for (n, at) in number.positions.into_iter().enumerate() {
            if number.hidden.contains(&n) {
                chars[at] = MASK;
            }
        }
    }
    Cow::Owned(chars.into_iter().collect())
}

/// The digits of every phone and ID-card number in `text` (ASCII, without
/// separators; an 86 before a mobile dropped, an ID card's `X` upper
/// case): what finds a case by a number typed into its text, for a reader
/// who may see it (`search::numbers`).
pub fn numbers_in(text: &str) -> Vec<String> {
    if !text.chars().any(digit) {
        return Vec::new();
    }
    numbers(&text.chars().collect::<Vec<_>>())
        .into_iter()
        .map(|n| n.digits)
        .collect()
}

/// A number found in a text.
struct Found {
    /// The positions of its digits in the text's characters.
    positions: Vec<usize>,
    /// Which of its digits (by index in `positions`) a mask hides.
    hidden: std::ops::Range<usize>,
    /// The number as [`numbers_in`] gives it.
    digits: String,
}

/// The numbers in `chars`, left to right: in each chain of digit groups,
/// the longest run of whole groups from each start that has one of the
/// module's shapes.
fn numbers(chars: &[char]) -> Vec<Found> {
    let mut found = Vec::new();
    for chain in chains(chars) {
        let mut start = 0;
        'next: while start < chain.len() {
            for end in (start + 1..=chain.len()).rev() {
                let groups = &chain[start..end];
                let digits: String = groups
                    .iter()
                    .flat_map(|g| chars[g.clone()].iter().map(|c| ascii(*c)))
                    .collect();
                if let Some(hidden) = hidden_digits(&digits) {
                    let national = match digits.len() {
                        13 => digits[2..].to_string(),
                        _ => digits.to_ascii_uppercase(),
                    };
                    found.push(Found {
                        positions: groups.iter().flat_map(|g| g.clone()).collect(),
                        hidden,
                        digits: national,
                    });
                    start = end;
                    continue 'next;
                }
            }
            start += 1;
        }
    }
    found
}

/// Whether `text` holds a number masked as [`mask_in_text`] masks one: a
/// run of at least four [`MASK`]s with a digit on either side (a space or
/// dash between allowed). Saving such a text would overwrite the real
/// number with its mask.
pub fn holds_masked(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != MASK {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] == MASK {
            i += 1;
        }
        let before = chars[..start].iter().rev().find(|c| !separator(**c));
        let after = chars[i..].iter().find(|c| !separator(**c));
        if i - start >= 4 && before.is_some_and(|c| digit(*c)) && after.is_some_and(|c| digit(*c)) {
            return true;
        }
    }
    false
}

/// Which digits of `digits` (a candidate number, ASCII) to mask, if it is
/// one of the shapes the module names.
fn hidden_digits(digits: &str) -> Option<std::ops::Range<usize>> {
    let n = digits.len();
    if is_mobile(digits) {
        return Some(3..7);
    }
    if n == 13 && digits.starts_with("86") && is_mobile(&digits[2..]) {
        return Some(5..9);
    }
    if landline(digits).is_some() {
        return Some(3..n - 4);
    }
    id_card(digits).then_some(6..14)
}

/// Whether `digits` is an ID-card number: 17 digits and a digit or `X`,
/// with a plausible birth date (19xx or 20xx, month, day) at 6..14.
fn id_card(digits: &str) -> bool {
    let b = digits.as_bytes();
    if b.len() != 18
        || !b[..17].iter().all(u8::is_ascii_digit)
        || !(b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
    {
        return false;
    }
    let number = |r: std::ops::Range<usize>| digits[r].parse::<u32>().unwrap_or(0);
    matches!(number(6..8), 19 | 20)
        && (1..=12).contains(&number(10..12))
        && (1..=31).contains(&number(12..14))
}

/// The runs of digit groups in `chars`: each group the positions of one
/// run of digits (an ID card's final `X` with it), each chain the groups
/// joined by a single separator.
fn chains(chars: &[char]) -> Vec<Vec<std::ops::Range<usize>>> {
    let mut chains: Vec<Vec<std::ops::Range<usize>>> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !digit(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && digit(chars[i]) {
            i += 1;
        }
        if i - start == 17 && chars.get(i).is_some_and(|c| matches!(c, 'X' | 'x')) {
            i += 1;
        }
        let joined = start >= 2
            && separator(chars[start - 1])
            && chains
                .last()
                .and_then(|c| c.last())
                .is_some_and(|g| g.end == start - 1);
        match chains.last_mut() {
            Some(chain) if joined => chain.push(start..i),
            _ => chains.push(std::iter::once(start..i).collect()),
        }
    }
    chains
}

fn digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// `c` as an ASCII digit (full width read as half width); `X` kept.
fn ascii(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        c => c,
    }
}

fn separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '－' | '\u{3000}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        mask_in_text(text).into_owned()
    }

    #[test]
    fn mobiles_in_text_are_masked_as_the_phone_field_is() {
        assert_eq!(
            masked("业主张先生13812345678反映漏水"),
            "业主张先生138****5678反映漏水"
        );
        assert_eq!(masked("电话 138 1234 5678。"), "电话 138 **** 5678。");
        assert_eq!(masked("tel:138-1234-5678"), "tel:138-****-5678");
        assert_eq!(masked("+86 139 1234 5678"), "+86 139 **** 5678");
        assert_eq!(masked("8613912345678"), "86139****5678");
        assert_eq!(masked("１３８１２３４５６７８"), "１３８****５６７８");
        assert_eq!(
            masked("13812345678、13998765432"),
            "138****5678、139****5432"
        );
    }

    #[test]
    fn landlines_with_their_area_code_and_id_cards_are_masked() {
        assert_eq!(masked("座机0571-87654321"), "座机057*-****4321");
        assert_eq!(masked("010 6234 5678"), "010 **** 5678");
        assert_eq!(
            masked("身份证110101199003071234"),
            "身份证110101********1234"
        );
        assert_eq!(masked("11010119900307123X"), "110101********123X");
    }

    #[test]
    fn dates_amounts_numbers_and_codes_are_left_alone() {
        for text in [
            "2026-03-15 14:30 到场",
            "赔偿1000元，20260315前完成",
            "3栋2单元1801室",
            "HY-2026-000123",
            "87654321",
            "12812345678",
            "138123456789",
            "202603151234567890",
            "工单号 1202603150001",
        ] {
            assert!(
                matches!(mask_in_text(text), Cow::Borrowed(_)),
                "{text:?} became {:?}",
                masked(text)
            );
        }
    }

    #[test]
    fn a_number_beside_a_date_is_still_found() {
        assert_eq!(
            masked("2026-03-15 13812345678 来电"),
            "2026-03-15 138****5678 来电"
        );
    }

    #[test]
    fn the_numbers_in_a_text_are_listed_by_their_digits() {
        assert_eq!(
            numbers_in("电话 +86 139 1234 5678，座机0571-87654321；11010119900307123x；20260315"),
            ["13912345678", "057187654321", "11010119900307123X"]
        );
        assert!(numbers_in("3栋2单元1801室").is_empty());
    }

    #[test]
    fn a_masked_number_is_recognized_so_it_is_not_saved_back() {
        for text in ["业主138****5678反映", "138 **** 5678", "110101********1234"] {
            assert!(holds_masked(text), "{text:?}");
        }
        assert!(holds_masked(&masked("电话 138 1234 5678")));
        for text in ["**重要**", "评分****", "1****", "地址 A****B"] {
            assert!(!holds_masked(text), "{text:?}");
        }
    }
}
