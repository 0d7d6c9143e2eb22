//! Phone and ID-card numbers typed into free text. Staff often write the
//! resident's number into the content or a note (业主张先生 138 1234 5678
//! 反映…); a reader who sees the complainant's phone masked must see those
//! masked too ([`mask_in_text`]); a text they save as they read it keeps
//! the numbers it held ([`restore_masked`]).
//!
//! A number is found by its shape, as [`super::Phone::parse`] reads one:
//! a mobile (11 digits `1[3-9]…`, with or without 86 or 0086 before it), a
//! landline with its area code (`0` + 2–3 digits, then 7–8 digits), or an
//! 18-character ID-card number (17 digits and a digit or `X`, with a birth
//! date in it). Its digits may be typed whole or in the groups people
//! write them in (138 1234 5678, 0571-8765 4321, (0571)87654321,
//! 110101 19900307 1234), the groups apart by up to three spaces, dashes
//! or brackets, and full width. A local landline without its area code is
//! left alone: eight digits are as often a date (20260315) or an order
//! number.

use super::{is_mobile, landline};
use std::borrow::Cow;
use std::ops::Range;

/// What a masked digit becomes.
const MASK: char = '*';

/// The most separator characters between two groups of one number.
const MAX_GAP: usize = 3;

/// The most groups one number is typed in.
const MAX_GROUPS: usize = 4;

/// `text` with the middle digits of every phone and ID-card number in it
/// masked, as [`crate::role::mask_phone`] masks a phone (138****5678) and
/// ID cards are printed (110101********1234). Separators and everything
/// else stay as typed. Borrowed when there is nothing to mask.
pub fn mask_in_text(text: &str) -> Cow<'_, str> {
    if too_few_digits(text) {
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

/// The digits of every phone and ID-card number in `text`, in no order
/// that means anything (ASCII, without
/// separators; an 86 before a mobile dropped, an ID card's `x` lower case
/// as a search compares it): what finds a case by a number typed into its
/// text, for a reader who may see it (`search::numbers`).
pub fn numbers_in(text: &str) -> Vec<String> {
    if too_few_digits(text) {
        return Vec::new();
    }
    numbers(&text.chars().collect::<Vec<_>>())
        .into_iter()
        .map(|n| n.digits)
        .collect()
}

/// `typed` with every number of `held` that it holds masked, as
/// [`mask_in_text`] shows it (139 **** 5678), put back as `held` has it.
/// A reader who sees the numbers masked corrects a text, or assesses again
/// from a reason, as they read it: the fold keeps the numbers they could
/// not see (`fold::apply_patch`, the assessment's reason) instead of
/// storing their masks. A masked form is taken only whole, with no digit
/// or star beside it, the longest at each place (139****5678 is not taken
/// out of 86139****5678); one that two different numbers of `held` share
/// is left as typed, since which was meant cannot be told.
pub fn restore_masked<'a>(typed: &'a str, held: &str) -> Cow<'a, str> {
    if !typed.contains(MASK) || too_few_digits(held) {
        return Cow::Borrowed(typed);
    }
    let chars: Vec<char> = held.chars().collect();
    // Each masked form with what it stands for; `None` when two numbers
    // share it.
    let mut forms: Vec<(Vec<char>, Option<Vec<char>>)> = Vec::new();
    for number in numbers(&chars) {
        let (Some(&first), Some(&last)) = (number.positions.first(), number.positions.last())
        else {
            continue;
        };
        let original = chars[first..=last].to_vec();
        let masked: Vec<char> = (first..=last)
            .map(|at| match number.positions.iter().position(|p| *p == at) {
                Some(n) if number.hidden.contains(&n) => MASK,
                _ => chars[at],
            })
            .collect();
        match forms.iter_mut().find(|(m, _)| *m == masked) {
            Some((_, kept)) if kept.as_ref() != Some(&original) => *kept = None,
            Some(_) => {}
            None => forms.push((masked, Some(original))),
        }
    }
    let typed_chars: Vec<char> = typed.chars().collect();
    let free = |c: Option<&char>| c.is_none_or(|c| !digit(*c) && *c != MASK);
    let mut out = String::with_capacity(typed.len());
    let mut restored = false;
    let mut i = 0;
    while i < typed_chars.len() {
        let found = forms
            .iter()
            .filter(|(m, _)| typed_chars[i..].starts_with(m))
            .filter(|(m, _)| free(typed_chars.get(i + m.len())))
            .max_by_key(|(m, _)| m.len())
            .filter(|_| i == 0 || free(typed_chars.get(i - 1)));
        match found {
            Some((m, Some(original))) => {
                out.extend(original);
                restored = true;
                i += m.len();
            }
            _ => {
                out.push(typed_chars[i]);
                i += 1;
            }
        }
    }
    if restored {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(typed)
    }
}

/// A number found in a text.
struct Found {
    /// The positions of its characters (digits, an ID card's `X`) in the
    /// text's characters.
    positions: Vec<usize>,
    /// Which of them (by index in `positions`) a mask hides.
    hidden: Range<usize>,
    /// The number as [`numbers_in`] gives it.
    digits: String,
}

/// The numbers in `chars`, each chain's mobiles and ID cards before its
/// landlines (what uses them needs no order). In each chain of digit groups,
/// mobiles and ID cards are looked for first, then landlines among the
/// groups left: a group that starts with 0 before a spaced mobile (a
/// room 0801, a time 0930) would otherwise be read as the area code of a
/// landline that takes the mobile's first groups. From each group on, the
/// most groups that make the shape are taken.
fn numbers(chars: &[char]) -> Vec<Found> {
    let mut found = Vec::new();
    for chain in chains(chars) {
        let texts: Vec<String> = chain
            .iter()
            .map(|g| chars[g.clone()].iter().map(|c| ascii(*c)).collect())
            .collect();
        let mut taken = vec![false; chain.len()];
        for kinds in [&[Kind::Mobile, Kind::IdCard][..], &[Kind::Landline][..]] {
            let mut start = 0;
            'next: while start < chain.len() {
                // No shape has more than four groups (0086 139 1234 5678):
                // a long run of groups is not tried whole from every start.
                let free = taken[start..]
                    .iter()
                    .take(MAX_GROUPS)
                    .take_while(|t| !**t)
                    .count();
                for end in (start + 1..=start + free).rev() {
                    let Some((kind, hidden, digits)) = shape(&texts[start..end]) else {
                        continue;
                    };
                    if !kinds.contains(&kind) {
                        continue;
                    }
                    found.push(Found {
                        positions: chain[start..end].iter().flat_map(|g| g.clone()).collect(),
                        hidden,
                        digits,
                    });
                    taken[start..end].iter_mut().for_each(|t| *t = true);
                    start = end;
                    continue 'next;
                }
                start += 1;
            }
        }
    }
    found
}

/// The kinds of number [`shape`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mobile,
    IdCard,
    Landline,
}

/// Whether `groups` (ASCII, as typed apart) make a number: its kind, which
/// of its characters a mask hides, and its digits as [`numbers_in`] gives
/// them. The groups must fall where people split such a number, so that a
/// date or a unit before a mobile is not read as part of it.
fn shape(groups: &[String]) -> Option<(Kind, Range<usize>, String)> {
    let lengths: Vec<usize> = groups.iter().map(String::len).collect();
    let all = groups.concat();
    // A mobile, with its country code as a group of its own or run in.
    let (prefix, national) = match groups {
        [code, rest @ ..] if !rest.is_empty() && (code == "86" || code == "0086") => {
            (code.len(), rest)
        }
        _ => (0, groups),
    };
    let digits = national.concat();
    let split: Vec<usize> = national.iter().map(String::len).collect();
    if is_mobile(&digits) && matches!(split.as_slice(), [11] | [3, 4, 4] | [3, 8] | [7, 4]) {
        return Some((Kind::Mobile, prefix + 3..prefix + 7, digits));
    }
    if lengths == [13] && all.starts_with("86") && is_mobile(&all[2..]) {
        return Some((Kind::Mobile, 5..9, all[2..].to_string()));
    }
    // With the trunk 0 a desk phone shows an out-of-town mobile with
    // (013812345678, 0138 1234 5678): the mobile, as `Phone::parse` reads
    // it; no landline's area code starts 01 but 010.
    if matches!(lengths.as_slice(), [12] | [4, 4, 4] | [4, 8])
        && all.starts_with('0')
        && is_mobile(&all[1..])
    {
        return Some((Kind::Mobile, 4..8, all[1..].to_string()));
    }
    if matches!(lengths.as_slice(), [18] | [6, 8, 4]) && id_card(&all) {
        return Some((Kind::IdCard, 6..14, all.to_ascii_lowercase()));
    }
    let landline_split = matches!(
        lengths.as_slice(),
        [10..=12] | [3 | 4, 7 | 8] | [3 | 4, 3 | 4, 4]
    );
    // The area code kept, four digits hidden (0571-****4321): a 10-digit
    // number gives one of its area code, so that a mask always hides
    // four.
    if landline_split && landline(&all).is_some() {
        return Some((Kind::Landline, all.len() - 8..all.len() - 4, all));
    }
    None
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
    let number = |r: Range<usize>| digits[r].parse::<u32>().unwrap_or(0);
    matches!(number(6..8), 19 | 20)
        && (1..=12).contains(&number(10..12))
        && (1..=31).contains(&number(12..14))
}

/// The runs of digit groups in `chars`: each group the positions of one
/// run of digits (an ID card's final `X` with it), each chain the groups
/// apart by at most [`MAX_GAP`] separators.
fn chains(chars: &[char]) -> Vec<Vec<Range<usize>>> {
    let mut chains: Vec<Vec<Range<usize>>> = Vec::new();
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
        // The check character of an ID card, whole or in its last group.
        if matches!(i - start, 17 | 3)
            && chars
                .get(i)
                .is_some_and(|c| matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ'))
        {
            i += 1;
        }
        let joined = chains.last().and_then(|c| c.last()).is_some_and(|g| {
            start - g.end <= MAX_GAP && chars[g.end..start].iter().all(|c| separator(*c))
        });
        match chains.last_mut() {
            Some(chain) if joined => chain.push(start..i),
            _ => chains.push(std::iter::once(start..i).collect()),
        }
    }
    chains
}

/// Whether `text` has fewer digits than the shortest number (a landline of
/// 10): most texts, which are then neither copied nor searched.
fn too_few_digits(text: &str) -> bool {
    text.chars().filter(|c| digit(*c)).take(10).count() < 10
}

fn digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// `c` as ASCII: a full-width digit or `Ｘ` as its half-width form.
fn ascii(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        'Ｘ' => 'X',
        'ｘ' => 'x',
        c => c,
    }
}

/// What people type between a number's groups. Dots too (138.1234.5678),
/// not slashes, which stand between two numbers given together.
fn separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '－' | '—' | '\u{3000}' | '(' | ')' | '（' | '）' | '.' | '．'
    )
    // Pasted from a chat or a web page: a no-break or narrow space, or a
    // mark that shows nothing, between the groups. Not taken as one, the
    // number would show whole to a role that sees it masked.
    || (c.is_whitespace() && c != '\n' && c != '\r' && c != '\t')
        || crate::search::is_invisible(c)
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
        assert_eq!(masked("业主电话138.1234.5678"), "业主电话138.****.5678");
        assert_eq!(masked("13812345678/13912345678"), "138****5678/139****5678");
        assert_eq!(masked("tel:138-1234-5678"), "tel:138-****-5678");
        assert_eq!(masked("+86 139 1234 5678"), "+86 139 **** 5678");
        assert_eq!(masked("0086 139 1234 5678"), "0086 139 **** 5678");
        assert_eq!(masked("8613912345678"), "86139****5678");
        // With the trunk 0 of an out-of-town call.
        assert_eq!(masked("来电013812345678"), "来电0138****5678");
        assert_eq!(masked("0138 1234 5678"), "0138 **** 5678");
        assert_eq!(numbers_in("来电013812345678"), ["13812345678"]);
        assert_eq!(masked("１３８１２３４５６７８"), "１３８****５６７８");
        assert_eq!(
            masked("13812345678、13998765432"),
            "138****5678、139****5432"
        );
        // Pasted from a chat: no-break spaces, a zero-width space.
        assert_eq!(
            masked("业主电话138\u{A0}1234\u{A0}5678"),
            "业主电话138\u{A0}****\u{A0}5678"
        );
        assert_eq!(masked("138\u{200B}12345678"), "138\u{200B}****5678");
        assert_eq!(numbers_in("138\u{202F}1234\u{202F}5678"), ["13812345678"]);
    }

    #[test]
    fn landlines_with_their_area_code_and_id_cards_are_masked() {
        assert_eq!(masked("座机0571-87654321"), "座机0571-****4321");
        assert_eq!(masked("010 6234 5678"), "010 **** 5678");
        assert_eq!(masked("010-1234567"), "01*-***4567");
        assert_eq!(masked("(0571)87654321"), "(0571)****4321");
        assert_eq!(masked("（0571）8765 4321"), "（0571）**** 4321");
        assert_eq!(masked("0571 - 87654321"), "0571 - ****4321");
        assert_eq!(
            masked("身份证110101199003071234"),
            "身份证110101********1234"
        );
        assert_eq!(masked("11010119900307123X"), "110101********123X");
        assert_eq!(masked("110101 19900307 123x"), "110101 ******** 123x");
        assert_eq!(
            masked("１１０１０１１９９００３０７１２３Ｘ"),
            "１１０１０１********１２３Ｘ"
        );
    }

    #[test]
    fn dates_amounts_numbers_and_codes_are_left_alone() {
        for text in [
            "2026-03-15 14:30 到场",
            "赔偿1000元，20260315前完成",
            "3栋2单元1801室",
            "HY-2026-000123",
            "PA-250303-01-0001",
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

    /// A group before the number is not taken as its first: the number is
    /// masked where it is, and nothing before it.
    #[test]
    fn a_number_beside_a_date_or_a_unit_is_still_found_whole() {
        assert_eq!(
            masked("2026-03-15 13812345678 来电"),
            "2026-03-15 138****5678 来电"
        );
        assert_eq!(
            masked("2026-03-15 138 1234 5678"),
            "2026-03-15 138 **** 5678"
        );
        assert_eq!(masked("3栋1801 138 1234 5678"), "3栋1801 138 **** 5678");
        assert_eq!(numbers_in("3栋1801 138 1234 5678"), ["13812345678"]);
        // A group starting with 0 is no area code of the mobile's digits.
        assert_eq!(masked("3栋0801 138 1234 5678"), "3栋0801 138 **** 5678");
        assert_eq!(masked("约0930 138 1234 5678"), "约0930 138 **** 5678");
        assert_eq!(masked("0801 1381234 5678"), "0801 138**** 5678");
        assert_eq!(numbers_in("3栋0801 138 1234 5678"), ["13812345678"]);
    }

    #[test]
    fn the_numbers_in_a_text_are_listed_by_their_digits() {
        assert_eq!(
            numbers_in("电话 +86 139 1234 5678，座机0571-87654321；11010119900307123X；20260315"),
            ["13912345678", "057187654321", "11010119900307123x"]
        );
        assert_eq!(
            numbers_in("座机0571-87654321 13912345678"),
            ["13912345678", "057187654321"]
        );
        assert!(numbers_in("3栋2单元1801室").is_empty());
    }

    #[test]
    fn a_text_saved_as_read_masked_keeps_the_numbers_it_held() {
        let held = "楼上漏水，业主电话 139 8765 4321，座机0571-87654321";
        let read = masked(held);
        assert_eq!(read, "楼上漏水，业主电话 139 **** 4321，座机0571-****4321");
        let typed = format!("{read}（补充：水已关）");
        assert_eq!(
            restore_masked(&typed, held),
            format!("{held}（补充：水已关）")
        );
        // A number taken out stays out; one typed anew stays as typed.
        assert_eq!(
            restore_masked("楼上漏水，座机0571-****4321", held),
            "楼上漏水，座机0571-87654321"
        );
        assert_eq!(
            restore_masked("回电138****5678无人接听", held),
            "回电138****5678无人接听"
        );
        // One form inside another's: each number back in its own place.
        let nested = "13911115678 和 8613922225678，0086 139 3333 5678";
        assert_eq!(restore_masked(&masked(nested), nested), nested);
        // Two numbers masked alike: which was meant cannot be told.
        let twins = "13912345678 或 13987655678";
        assert_eq!(restore_masked("139****5678", twins), "139****5678");
        assert!(matches!(restore_masked("无号码", held), Cow::Borrowed(_)));
    }

    /// A long run of digit groups is read in linear time: no number is
    /// more than four groups.
    #[test]
    fn a_long_run_of_groups_is_read_quickly() {
        let long = "1 ".repeat(2000);
        assert!(numbers_in(&long).is_empty());
        let mut with_a_number = long.clone();
        with_a_number.push_str("138 1234 5678");
        assert_eq!(numbers_in(&with_a_number), ["13812345678"]);
    }
}
