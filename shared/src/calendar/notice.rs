//! The days of a holiday schedule as an administrator types them, or
//! copies them from the State Council's notice: one date or range per line
//! (or several, parted by `、`, `，` or `；`), `2027-02-06`, `2027/2/6`,
//! `2027年2月6日` or `2月6日` (in the schedule's year), a range as
//! `2月6日至12日`, `2027-02-06~2027-02-12`, `2月6日到2月12日`, with the
//! weekday the notice adds in brackets (`2月6日（星期六）`) left aside, and
//! full-width digits read as ASCII. The schedule is then checked as any
//! other, by the server's preview.

use chrono::{Datelike, NaiveDate};

/// A line of typed days that reads as no date or range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {text:?} is no date or range of dates")]
pub struct UnreadDays {
    /// The line, from 1.
    pub line: usize,
    /// What it holds, as typed.
    pub text: String,
}

impl UnreadDays {
    /// In Chinese.
    pub fn message_zh(&self) -> String {
        format!(
            "第 {} 行“{}”不是日期或日期范围（例如 2月6日至12日、2027-10-01）",
            self.line, self.text
        )
    }

    /// In English.
    pub fn message_en(&self) -> String {
        format!(
            "line {}: \"{}\" is no date or range of dates (such as 2027-10-01 or 2027-02-06~2027-02-12)",
            self.line, self.text
        )
    }
}

/// The most days one range may cover: a holiday is a week or so, and a
/// year typed for a month is a slip, not a holiday.
const LONGEST_RANGE_DAYS: i64 = 31;

/// The days `typed` names, in `year` where a date gives no year, in order
/// and each once.
pub fn days(typed: &str, year: i32) -> Result<Vec<NaiveDate>, UnreadDays> {
    let mut out = Vec::new();
    for (i, line) in typed.lines().enumerate() {
        let folded = crate::search::fold(line);
        let unread_line = || UnreadDays {
            line: i + 1,
            text: line.trim().to_string(),
        };
        // A bracket left open would hide the rest of the line.
        let plain = without_brackets(&folded).ok_or_else(unread_line)?;
        for item in plain
            .split(['、', ',', '，', ';', '；'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let unread = || UnreadDays {
                line: i + 1,
                text: line.trim().to_string(),
            };
            let (first, last) = range(item, year).ok_or_else(unread)?;
            let span = (last - first).num_days();
            if !(0..LONGEST_RANGE_DAYS).contains(&span) {
                return Err(unread());
            }
            out.extend(first.iter_days().take_while(|d| *d <= last));
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// `text` without what brackets hold (the weekday a notice adds); none
/// when a bracket is left open.
fn without_brackets(text: &str) -> Option<String> {
    let mut depth = 0usize;
    let kept = text
        .chars()
        .filter(|c| match c {
            '(' | '（' => {
                depth += 1;
                false
            }
            ')' | '）' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect();
    (depth == 0).then_some(kept)
}

/// One date, or the first and last day of a range.
fn range(item: &str, year: i32) -> Option<(NaiveDate, NaiveDate)> {
    for sep in ["至", "到", "~", "～", "—", "–"] {
        if let Some((a, b)) = item.split_once(sep) {
            let first = date(a.trim(), year)?;
            let last = date(b.trim(), first.year()).or_else(|| day_of(b.trim(), first))?;
            return Some((first, last));
        }
    }
    date(item, year).map(|d| (d, d))
}

/// A whole date: `2027-02-06`, `2027/2/6`, `2027.2.6`, `2027年2月6日`, or
/// `2月6日` in `year`.
fn date(text: &str, year: i32) -> Option<NaiveDate> {
    let numbers: Vec<&str> = text
        .trim_end_matches(['日', '号'])
        .split(['-', '/', '.', '年', '月'])
        .collect();
    let n = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match numbers.as_slice() {
        [y, m, d] if y.len() == 4 => {
            NaiveDate::from_ymd_opt(i32::try_from(n(y)?).ok()?, n(m)?, n(d)?)
        }
        [m, d] if text.contains('月') => NaiveDate::from_ymd_opt(year, n(m)?, n(d)?),
        _ => None,
    }
}

/// The end of a range given as a day of the first date's month (`12日`).
fn day_of(text: &str, first: NaiveDate) -> Option<NaiveDate> {
    let day = text.trim_end_matches(['日', '号']);
    if day.is_empty() || !day.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    first.with_day(day.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_notice_copied_as_it_is_written_gives_its_days() {
        let typed = "1月1日（星期五）\n2月6日（星期六）至12日（星期五）\n\
                     ２０２７年５月１日至５月５日、10月1日至7日\n";
        let days = days(typed, 2027).expect("read");
        assert_eq!(days.len(), 1 + 7 + 5 + 7);
        assert_eq!(days[0], d("2027-01-01"));
        assert_eq!(days[1], d("2027-02-06"));
        assert_eq!(days[7], d("2027-02-12"));
        assert_eq!(days.last().copied(), Some(d("2027-10-07")));
    }

    #[test]
    fn iso_dates_and_ranges_are_read_too_and_each_day_counts_once() {
        let typed = "2027-02-06~2027-02-08\n2027/2/8\n2027.2.9";
        assert_eq!(
            days(typed, 2027).expect("read"),
            [
                d("2027-02-06"),
                d("2027-02-07"),
                d("2027-02-08"),
                d("2027-02-09")
            ]
        );
        assert_eq!(days("", 2027).expect("read"), []);
    }

    #[test]
    fn what_is_no_date_is_said_with_its_line() {
        let unread = days("2月6日\n春节放假", 2027).unwrap_err();
        assert_eq!((unread.line, unread.text.as_str()), (2, "春节放假"));
        assert!(unread.message_zh().contains("第 2 行"));
        // No 30 February, no range backwards or of months.
        assert!(days("2月30日", 2027).is_err());
        assert!(days("2月12日至6日", 2027).is_err());
        assert!(days("1月1日至12月31日", 2027).is_err());
        // A bracket left open hides nothing silently.
        assert!(days("2月6日（星期六至12日、5月1日至5日", 2027).is_err());
    }
}
