//! Finding cases by what a user types in the search box: one rule for the
//! tablet's list and the server's, so both find the same cases.
//!
//! A case is found by its registration number, content, requested remedy,
//! place (property, building and unit) and source number (来源单号), and, where the
//! role may see them, by the
//! complainant's name and phone. A phone is matched on its digits, so
//! "138 1234 5678", "+86 13812345678" and "02162345678" find the numbers
//! stored as `13812345678` and `021-62345678`, and the last four digits find
//! the whole number. A number typed into the content or the remedy is
//! found the same way, and only by the roles that see the phone. The
//! registration and source numbers are also found without their
//! separators, as they are read aloud or copied from another system:
//! `hy2611230k0042` and `HY 261123 0K 0042` find `HY-261123-0K-0042`.
//! Category codes are not searched: the category has its
//! own filter, and its code (`cleaning`) would match unrelated words.

use crate::case::Registration;
use crate::personal_data::Shown;
use crate::phone::{Phone, mask_in_text, numbers_in};

/// The longest query, in characters: longer text is no search a person
/// types, and every search reads every case in scope.
pub const MAX_QUERY_CHARS: usize = 100;

/// Fewest digits a query must hold to be matched against phone numbers.
const MIN_PHONE_DIGITS: usize = 3;

/// Fewest characters a query must keep without its separators to be
/// matched against the numbers' compact forms ([`compact`]): `3 2` would
/// otherwise find every number with a 32 in it.
const MIN_COMPACT_CHARS: usize = 4;

/// A query as typed, ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    text: String,
    digits: Option<String>,
    compact: Option<String>,
    name: String,
    place: Option<String>,
}

/// Why a query was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a search is at most {MAX_QUERY_CHARS} characters")]
pub struct QueryTooLong;

impl Query {
    /// The query in `typed`; none when it is blank.
    pub fn parse(typed: &str) -> Result<Option<Query>, QueryTooLong> {
        let trimmed = typed.trim();
        if trimmed.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryTooLong);
        }
        if trimmed.is_empty() {
            return Ok(None);
        }
        // A mark that shows nothing, pasted with the words, would find
        // nothing; the texts searched are kept without them too.
        let folded: String = fold(trimmed)
            .chars()
            .filter(|c| !is_invisible(*c))
            .collect();
        Ok(Some(Query {
            digits: phone_digits_of(&folded),
            compact: compact_of(&folded),
            name: bare_name(&folded),
            place: place_query(&folded),
            text: folded,
        }))
    }

    /// The address in short the query reads as (` 3~1~502`), to find
    /// within [`text`], when it reads as one.
    pub fn place(&self) -> Option<&str> {
        self.place.as_deref()
    }

    /// The folded text without its spaces, to find within [`name`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The folded text ([`fold`]), to find within [`text`] and [`name`].
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The digits to find within a phone number's ([`digits`]), when the
    /// query reads as (part of) one.
    pub fn digits(&self) -> Option<&str> {
        self.digits.as_deref()
    }

    /// The query without its separators, to find within [`text`] too,
    /// when it reads as (part of) a number typed in groups.
    pub fn compact(&self) -> Option<&str> {
        self.compact.as_deref()
    }

    /// Whether the case registered as `reg`, at `place`, is found, by a
    /// user who is `shown` the complainant's name or phone.
    pub fn matches(&self, reg: &Registration, place: &str, shown: Shown) -> bool {
        self.finds(&Haystack::of(reg, place), shown)
    }

    /// Whether the case of `haystack` is found, by a user who is `shown`
    /// the complainant's name or phone.
    pub fn finds(&self, haystack: &Haystack, shown: Shown) -> bool {
        let h = haystack;
        h.text.contains(&self.text)
            || self.compact().is_some_and(|c| h.text.contains(c))
            || self.place.as_deref().is_some_and(|p| h.text.contains(p))
            // A query of dots or marks alone leaves no name to find.
            || (shown.name && !self.name.is_empty() && h.name.contains(&self.name))
            || (shown.phone
                && self.digits().is_some_and(|d| {
                    h.phone_digits.iter().any(|shown| shown.contains(d)) || h.numbers.contains(d)
                }))
    }
}

/// What one case is found by, folded once: a list searched at every
/// keystroke makes it once per case, not once per case and keystroke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Haystack {
    text: String,
    name: String,
    numbers: String,
    /// The phone's digits, in the runs it shows: a number the tablet holds
    /// masked (pulled before its reader could see it) is matched within
    /// the digits it shows, never across the stars, so its last four still
    /// find it, as the server's whole number does.
    phone_digits: Vec<String>,
}

impl Haystack {
    /// What the case registered as `reg`, at `place`, is found by.
    pub fn of(reg: &Registration, place: &str) -> Haystack {
        Haystack {
            text: text(reg, place),
            name: name(reg),
            numbers: numbers(reg),
            phone_digits: reg
                .complainant
                .phone
                .as_ref()
                .map(|p| {
                    p.as_str()
                        .split('*')
                        .map(|run| run.chars().filter(char::is_ascii_digit).collect())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// What a case is found by apart from the complainant, folded: the
/// server stores it beside the case, the tablet makes it when it searches.
/// The numbers typed into the content and remedy are in it masked
/// ([`mask_in_text`]): a reader who sees them masked must not find the
/// case by them, which would confirm a guess. Who may see them finds them
/// by [`numbers`]. The registration and source numbers follow once more
/// without their separators ([`compact`]), which a query typed without
/// them, or with others, finds.
pub fn text(reg: &Registration, place: &str) -> String {
    let reg_no = reg.reg_no.to_string();
    let mut all = format!(
        "{} {} {} {} {} {}",
        reg_no,
        mask_in_text(&reg.content),
        mask_in_text(&reg.requested_remedy),
        place,
        reg.source_ref,
        compact(&reg_no)
    );
    // And the source number and the place without their separators, as
    // numbers are read aloud and addresses written (`3号楼502`); folded
    // first, so that full-width separators are found. The place's short
    // forms ([`place`]) are left out: run together, their digits would
    // make numbers nobody wrote.
    let described = place.split(SHORT_FORMS).next().unwrap_or(place);
    for typed in [&reg.source_ref, described] {
        let folded = fold(typed);
        let short = compact(&folded);
        if short != folded {
            all.push(' ');
            all.push_str(&short);
        }
    }
    fold(&all).chars().filter(|c| !is_invisible(*c)).collect()
}

/// `number` without the separators people type into or between its
/// groups (spaces, dashes, slashes, dots, brackets; full width ones once
/// folded): `HY-261123-0K-0042` is `HY2611230K0042`.
pub fn compact(number: &str) -> String {
    number.chars().filter(|c| !is_separator(*c)).collect()
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '_' | '/' | '.' | '#' | '(' | ')' | ':')
}

/// The query without its separators, when it has some and what is left
/// reads as a number: a digit in it, long enough to mean one.
fn compact_of(folded: &str) -> Option<String> {
    let compact = compact(folded);
    (compact.len() != folded.len()
        && compact.chars().count() >= MIN_COMPACT_CHARS
        && compact.chars().any(|c| c.is_ascii_digit()))
    .then_some(compact)
}

/// The place a case is found by ([`text`]'s `place`): its property's name,
/// then its building and unit (or public area) in Chinese, as both the
/// tablet and the server pass it. A public area is found in English too,
/// as the English list names it. A unit is found by its short forms too,
/// as staff write and say an address: the letters and numbers of its
/// building and unit, whole and as building and room (`3栋 1单元 502` is
/// `3-1-502` and `3-502`), after [`SHORT_FORMS`]. They are joined by `~`,
/// which no address query keeps ([`place_query`]): joined by the dash a
/// query types, `3-502` would be found within `13-502`.
pub fn place(property: &crate::property::Property, location: &crate::property::Location) -> String {
    let described = property.describe(location);
    let place = format!("{} {described}", property.name);
    match location {
        crate::property::Location::PublicArea => format!(
            "{place} {}",
            property.describe_in(location, crate::lang::Lang::En)
        ),
        crate::property::Location::Unit { .. } => {
            let folded = fold(&described);
            let runs = runs(&folded);
            match runs.as_slice() {
                [first, .., last] => {
                    let mut place = format!("{place}{SHORT_FORMS} {}", runs.join("~"));
                    if runs.len() > 2 {
                        place.push_str(&format!(" {first}~{last}"));
                    }
                    place
                }
                _ => place,
            }
        }
        crate::property::Location::Building { .. } => place,
    }
}

/// Where a place's short forms start ([`place`]): a character nobody
/// types, so that [`text`] tells them from what was written.
const SHORT_FORMS: char = '\u{1F}';

/// The runs of ASCII letters and digits in folded text: `3栋 1单元 502`
/// has `3`, `1` and `502`.
fn runs(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|r| !r.is_empty())
        .collect()
}

/// A query that reads as an address in short ([`place`]): two or more
/// runs of letters and digits, with only separators and the words of an
/// address between them (`3-1-502`, `3－1－502`, `3#502`, `3栋502`,
/// `3号楼1单元502`), joined as [`place`] joins them, after a space, so
/// that `3-502` is not found within `13-502`.
fn place_query(folded: &str) -> Option<String> {
    const WORDS: [&str; 9] = ["号楼", "单元", "栋", "幢", "座", "楼", "室", "号", "门"];
    let mut rest = folded.to_string();
    for word in WORDS {
        rest = rest.replace(word, " ");
    }
    if !rest
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || is_separator(c))
    {
        return None;
    }
    let runs = runs(&rest);
    (runs.len() >= 2).then(|| format!(" {}", runs.join("~")))
}

/// The digits of the phone and ID-card numbers typed into the content and
/// the requested remedy ([`numbers_in`]), space-separated: searched like
/// the complainant's phone, by the roles that see it. The server stores
/// it beside the case.
pub fn numbers(reg: &Registration) -> String {
    let mut all = String::new();
    for number in numbers_in(&reg.content)
        .into_iter()
        .chain(numbers_in(&reg.requested_remedy))
    {
        if !all.is_empty() {
            all.push(' ');
        }
        all.push_str(&number);
    }
    all
}

/// The complainant's name, folded and without its spaces: stored beside
/// the case apart from [`text`], because only some roles may find a case
/// by it. A two-character name is often written padded (`张　三`), and a
/// pinyin one with or without its space (`Li Ming`): either way typed,
/// it is found.
pub fn name(reg: &Registration) -> String {
    name_text(&reg.complainant.name)
}

/// A complainant's name as [`name`] keeps it.
pub fn name_text(name: &str) -> String {
    bare_name(&fold(name))
}

/// A name without what people write between its parts or not: spaces,
/// the middle dot of a transcribed name (`阿卜杜·热合曼`, written `•`, `・`
/// or `.` on other keyboards, or left out), and marks that show nothing.
fn bare_name(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !c.is_whitespace()
                && !is_invisible(*c)
                && !matches!(c, '·' | '•' | '・' | '‧' | '･' | '.' | '∙' | '⋅')
        })
        .collect()
}

/// Text as it is compared: full-width letters, digits and signs read as
/// their ASCII forms and the ideographic space as a space (a Chinese input
/// method in full-width mode types `Ａ栋１０２`, where the record says
/// `A栋102`), then lowercased by Unicode's rules (`Émile` is `émile`). The
/// tablet and the server both compare only folded text, so neither a
/// database's `lower()` nor its collation decides what is found.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

/// Whether `c` shows nothing: a zero-width space or joiner, a direction
/// mark or embedding, a soft hyphen, a byte-order mark. Text pasted from
/// a chat or a spreadsheet carries them, and they look the same in every
/// list (`roster::is_usable_login` refuses them in a login).
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{FEFF}')
        || ('\u{200B}'..='\u{200F}').contains(&c)
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2060}'..='\u{206F}').contains(&c)
}

/// The digits of a stored number: `0571-87654321转808` is `057187654321808`.
pub fn digits(phone: &Phone) -> String {
    phone
        .as_str()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// The digits of a query that reads as a phone number or part of one:
/// digits with the separators people type, the country code dropped.
fn phone_digits_of(typed: &str) -> Option<String> {
    // An ID card's check character, as `numbers` keeps it, the number
    // typed whole or in its groups.
    let whole = compact(typed);
    if let Some(body) = whole.strip_suffix('x')
        && body.len() == 17
        && body.chars().all(|c| c.is_ascii_digit())
    {
        return Some(whole);
    }
    let phone_like = typed
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')' | '转'));
    if !phone_like {
        return None;
    }
    let compact: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let national = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(&compact);
    let digits: String = national.chars().filter(char::is_ascii_digit).collect();
    // A mobile as caller ID shows it: after 86 without its `+`, or after
    // the trunk 0 of an out-of-town call.
    let mobile = ["86", "0"]
        .iter()
        .filter_map(|prefix| digits.strip_prefix(prefix))
        .filter_map(|rest| crate::phone::Phone::parse(rest).ok())
        .find(Phone::is_mobile);
    // And a landline after 86 without its `+`, which drops the trunk 0.
    let landline = || {
        digits
            .strip_prefix("86")
            .filter(|rest| !rest.starts_with('0'))
            .and_then(|rest| crate::phone::Phone::parse(&format!("0{rest}")).ok())
            .filter(|p| !p.is_mobile())
    };
    let digits = match mobile.or_else(landline) {
        Some(p) => self::digits(&p),
        None => digits,
    };
    (digits.len() >= MIN_PHONE_DIGITS).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseKind, Channel, Complainant};
    use crate::id::PropertyId;
    use crate::property::Location;
    use crate::regno::RegNo;
    use chrono::NaiveDate;

    fn reg(phone: &str) -> Registration {
        Registration {
            reg_no: RegNo::new("CL", NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), 1, 7).unwrap(),
            kind: CaseKind::Complaint,
            property: PropertyId(uuid::Uuid::from_u128(1)),
            location: Location::PublicArea,
            complainant: Complainant {
                name: "张三".into(),
                phone: Some(Phone::parse(phone).unwrap()),
                anonymous: false,
            },
            channel: Channel::Phone,
            received_at: "2026-03-02T01:00:00Z".parse().unwrap(),
            category: "cleaning".into(),
            content: "楼道有垃圾".into(),
            requested_remedy: "每天清扫".into(),
            related_case: None,
            source_ref: String::new(),
        }
    }

    fn finds(typed: &str, reg: &Registration, shown: Shown) -> bool {
        Query::parse(typed)
            .unwrap()
            .is_some_and(|q| q.matches(reg, "3号楼 502", shown))
    }

    #[test]
    fn phones_are_found_by_their_digits_however_typed() {
        let mobile = reg("13812345678");
        for typed in [
            "138 1234 5678",
            "+86 13812345678",
            "0086-138-1234-5678",
            "5678",
        ] {
            assert!(finds(typed, &mobile, Shown::ALL), "{typed}");
        }
        // As caller ID shows it: 86 without its `+`, the trunk 0.
        for typed in [
            "8613812345678",
            "013812345678",
            "86 138 1234 5678",
            "086 138 1234 5678",
        ] {
            assert!(finds(typed, &mobile, Shown::ALL), "{typed}");
        }
        let landline = reg("021-62345678");
        assert!(finds("02162345678", &landline, Shown::ALL));
        assert!(finds("021-6234", &landline, Shown::ALL));
        // 86 without its `+` drops a landline's trunk 0 too.
        assert!(finds("86 21 6234 5678", &landline, Shown::ALL));
        // Too few digits to mean a phone; words are no phone at all.
        assert!(!finds("56", &mobile, Shown::ALL));
        assert!(Query::parse("3号楼").unwrap().unwrap().digits().is_none());
    }

    /// A name written padded (`张　三`), a pinyin one with its space or a
    /// transcribed one with its middle dot is found however these are
    /// typed.
    #[test]
    fn a_name_is_found_whatever_its_spaces() {
        let mut padded = reg("13812345678");
        padded.complainant.name = "张\u{3000}三".into();
        assert!(finds("张三", &padded, Shown::ALL));
        let mut pinyin = reg("13812345678");
        pinyin.complainant.name = "Li Ming".into();
        assert!(finds("liming", &pinyin, Shown::ALL));
        let plain = reg("13812345678");
        assert!(finds("张 三", &plain, Shown::ALL));
        // Not by a role that sees the name masked.
        assert!(!finds("liming", &pinyin, Shown::NOTHING));
        // A transcribed name, its middle dot typed as it comes, or not.
        let mut dotted = reg("13812345678");
        dotted.complainant.name = "阿卜杜·热合曼".into();
        for typed in [
            "阿卜杜热合曼",
            "阿卜杜•热合曼",
            "阿卜杜.热合曼",
            "阿卜杜・热合曼",
            "热合曼",
        ] {
            assert!(finds(typed, &dotted, Shown::ALL), "{typed}");
        }
        assert!(
            !finds("·", &dotted, Shown::ALL),
            "a dot alone finds every name"
        );
        let mut pasted = reg("13812345678");
        pasted.complainant.name = "王\u{200B}芳".into();
        assert!(finds("王芳", &pasted, Shown::ALL));
        // Words pasted with a zero-width space, or searched with one.
        pasted.content = "楼道\u{200B}漏水".into();
        assert!(finds("楼道漏水", &pasted, Shown::NOTHING));
        assert!(finds("楼道\u{200D}漏水", &pasted, Shown::NOTHING));
    }

    /// The 12345 hotline asks about its order by the order's number.
    #[test]
    fn a_case_is_found_by_the_number_it_came_with() {
        let mut r = reg("13812345678");
        assert!(!finds("GD20261205", &r, Shown::NOTHING));
        r.source_ref = "GD2026120500123".into();
        assert!(finds("gd20261205", &r, Shown::NOTHING));
        assert!(finds("ＧＤ2026120500123", &r, Shown::NOTHING));
        r.source_ref = "12345-2026/1205 0123".into();
        for typed in ["1234520261205", "12345 2026 1205", "2026-1205-0123"] {
            assert!(finds(typed, &r, Shown::NOTHING), "{typed}");
        }
    }

    /// A registration number read aloud, or copied from a message that
    /// lost its dashes, still finds its case.
    #[test]
    fn a_registration_number_is_found_without_its_dashes() {
        let r = reg("13812345678");
        let number = r.reg_no.to_string();
        assert_eq!(number, "CL-260302-01-0007");
        for typed in [
            "CL260302010007",
            "cl 260302 01 0007",
            "260302 01",
            "２６０３０２ ０１ ０００７",
            "cl-260302-010007",
        ] {
            assert!(finds(typed, &r, Shown::NOTHING), "{typed}");
        }
        // Separators alone do not make a short query a number.
        assert!(Query::parse("3 2").unwrap().unwrap().compact().is_none());
        assert!(
            Query::parse("楼道 垃圾")
                .unwrap()
                .unwrap()
                .compact()
                .is_none()
        );
        assert!(!finds("2603 0208", &r, Shown::NOTHING));
    }

    #[test]
    fn the_complainant_is_searched_only_where_the_role_sees_them() {
        let r = reg("13812345678");
        assert!(finds("张三", &r, Shown::ALL));
        assert!(!finds("张三", &r, Shown::NOTHING));
        assert!(!finds("13812345678", &r, Shown::NOTHING));
        let phone_only = Shown {
            name: false,
            phone: true,
        };
        assert!(finds("13812345678", &r, phone_only));
        assert!(!finds("张三", &r, phone_only));
    }

    /// A number typed into the content is searched like the phone: a
    /// reader who sees it masked would otherwise confirm a guess, also by
    /// the digits the mask hides.
    #[test]
    fn a_number_typed_into_the_content_is_found_only_by_who_sees_the_phone() {
        let mut r = reg("13812345678");
        r.content = "楼道有垃圾，业主另留电话 139 8765 4321".into();
        r.requested_remedy = "打座机0571-87654321".into();
        let phone_only = Shown {
            name: false,
            phone: true,
        };
        for typed in ["13987654321", "139 8765 4321", "87654321", "0571-8765"] {
            assert!(finds(typed, &r, phone_only), "{typed}");
            assert!(!finds(typed, &r, Shown::NOTHING), "{typed}");
        }
        for hidden in ["98765", "8765"] {
            assert!(!finds(hidden, &r, Shown::NOTHING), "{hidden}");
        }
        assert!(finds("业主另留电话", &r, Shown::NOTHING));
        assert_eq!(numbers(&r), "13987654321 057187654321");
        // An ID card's number, its check character typed either case.
        r.content = "身份证11010119900307123X".into();
        assert!(finds("11010119900307123x", &r, phone_only));
        assert!(finds(
            "１１０１０１１９９００３０７１２３Ｘ",
            &r,
            phone_only
        ));
        assert!(!finds("11010119900307123X", &r, Shown::NOTHING));
        assert!(finds("110101 19900307 123X", &r, phone_only));
    }

    /// A tablet holds a phone masked when it pulled the case before its
    /// reader could see it: the digits either side of the stars are no
    /// number of the case's, each side alone still is.
    #[test]
    fn a_masked_phone_is_not_matched_across_its_stars() {
        let mut r = reg("13812345678");
        r.complainant.phone = r.complainant.phone.map(|p| p.masked());
        for typed in ["1385678", "385678"] {
            assert!(!finds(typed, &r, Shown::ALL), "{typed}");
        }
        for typed in ["5678", "138"] {
            assert!(finds(typed, &r, Shown::ALL), "{typed}");
        }
    }

    #[test]
    fn the_case_is_found_by_number_content_remedy_and_place_not_category_code() {
        let r = reg("13812345678");
        for typed in ["cl-260302", "垃圾", "每天清扫", "3号楼", "502", "3号楼502"] {
            assert!(finds(typed, &r, Shown::NOTHING), "{typed}");
        }
        assert!(!finds("cleaning", &r, Shown::NOTHING));
        assert!(!finds("clean", &r, Shown::NOTHING));
    }

    #[test]
    fn a_public_area_is_found_in_either_language() {
        let property = crate::property::Property {
            id: PropertyId(uuid::Uuid::from_u128(1)),
            code: "CL".into(),
            name: "春蕾苑".into(),
            households: 100,
            buildings: Vec::new(),
            retired: false,
            contact: String::new(),
            removed: Vec::new(),
        };
        let r = reg("13812345678");
        let here = place(&property, &Location::PublicArea);
        for typed in ["公共区域", "public area", "Public Area", "春蕾苑"] {
            let q = Query::parse(typed).unwrap().unwrap();
            assert!(q.matches(&r, &here, Shown::NOTHING), "{typed}");
        }
    }

    /// An address as staff write and say it in short: `3-1-502`.
    #[test]
    fn a_unit_is_found_by_its_address_in_short() {
        use crate::id::{BuildingId, UnitId};
        let building = |n: u128, name: &str, units: &[(u128, &str)]| crate::property::Building {
            id: BuildingId(uuid::Uuid::from_u128(n)),
            name: name.into(),
            units: units
                .iter()
                .map(|(id, name)| crate::property::Unit {
                    id: UnitId(uuid::Uuid::from_u128(*id)),
                    name: (*name).into(),
                })
                .collect(),
        };
        let property = crate::property::Property {
            id: PropertyId(uuid::Uuid::from_u128(1)),
            code: "HY".into(),
            name: "华苑".into(),
            households: 100,
            buildings: vec![
                building(3, "3栋", &[(31, "1单元 502"), (32, "2单元 502")]),
                building(13, "13栋", &[(131, "502")]),
            ],
            retired: false,
            contact: String::new(),
            removed: Vec::new(),
        };
        let at = |b: u128, u: u128| {
            place(
                &property,
                &Location::Unit {
                    building: BuildingId(uuid::Uuid::from_u128(b)),
                    unit: UnitId(uuid::Uuid::from_u128(u)),
                },
            )
        };
        let found = |typed: &str, place: &str| {
            Query::parse(typed).unwrap().unwrap().matches(
                &reg("13812345678"),
                place,
                Shown::NOTHING,
            )
        };
        let (here, next_door, other) = (at(3, 31), at(3, 32), at(13, 131));
        for typed in [
            "3-1-502",
            "3－1－502",
            "3号楼1单元502",
            "3栋1单元502室",
            "3栋502",
            "3#502",
            "3 1 502",
            "3栋 1单元 502",
        ] {
            assert!(found(typed, &here), "{typed} finds 3栋 1单元 502");
        }
        assert!(!found("3-1-502", &next_door));
        assert!(found("3-2-502", &next_door));
        assert!(!found("3-2-502", &here));
        // `3-502` is not found within `13-502`; 13栋's own is.
        assert!(!found("3-502", &other));
        assert!(found("13-502", &other));
        assert!(!found("13-502", &here));
        // The short forms make no number: `50231` is nowhere.
        assert!(!found("502-31", &here));
        assert!(!text(&reg("13812345678"), &here).contains("50231502"));
    }

    #[test]
    fn full_width_and_upper_case_find_what_was_recorded_otherwise() {
        let mut r = reg("13812345678");
        r.complainant.name = "Émile ZOË".into();
        r.content = "Ａ栋电梯ＥＲＲ故障".into();
        // Typed in full width, found in half width, and back.
        for typed in [
            "３号楼\u{3000}５０２",
            "ＣＬ－２６０３０２",
            "a栋",
            "err",
            "ｅｒｒ",
        ] {
            assert!(finds(typed, &r, Shown::NOTHING), "{typed}");
        }
        for typed in ["émile", "ÉMILE", "zoë", "ＺＯË"] {
            assert!(finds(typed, &r, Shown::ALL), "{typed}");
            assert!(!finds(typed, &r, Shown::NOTHING), "{typed}");
        }
        // Full-width digits and signs are a phone number too.
        for typed in [
            "１３８１２３４５６７８",
            "＋８６ １３８－１２３４－５６７８",
            "５６７８",
        ] {
            assert!(finds(typed, &r, Shown::ALL), "{typed}");
        }
        assert_eq!(fold("Ａ栋\u{3000}ＸＹ－１"), "a栋 xy-1");
        // Folding what is folded changes nothing, so a stored text folded
        // by an older rule can be folded again on its own.
        assert_eq!(fold(&fold("ÉＢc")), fold("ÉＢc"));
        assert_eq!(fold(&"ÉＢc".to_lowercase()), fold("ÉＢc"));
    }

    #[test]
    fn blank_queries_are_none_and_long_ones_are_refused() {
        assert_eq!(Query::parse("   "), Ok(None));
        assert_eq!(
            Query::parse(&"楼".repeat(MAX_QUERY_CHARS)).map(|q| q.is_some()),
            Ok(true)
        );
        assert_eq!(
            Query::parse(&"楼".repeat(MAX_QUERY_CHARS + 1)),
            Err(QueryTooLong)
        );
    }
}
