//! Reporting periods: whole local days in the company timezone.

use crate::code::coded_enum;
use crate::validation::{FIRST_YEAR, LAST_YEAR, date_in_range};
use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The longest custom period, in days (five years and a leap day or two).
pub const MAX_CUSTOM_DAYS: i64 = 366 * 5;

coded_enum! {
    /// Which calendar period.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum PeriodKind {
        /// A calendar month.
        Month = ("month", "月", "Month"),
        /// A calendar quarter (Q1 = January–March).
        Quarter = ("quarter", "季度", "Quarter"),
        /// A calendar year.
        Year = ("year", "年", "Year"),
        /// Any range of whole days.
        Custom = ("custom", "自定义", "Custom"),
    }
}

/// A range of whole local days, `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    /// Month, quarter, year or custom.
    pub kind: PeriodKind,
    /// The first day.
    pub first: NaiveDate,
    /// The last day (inclusive).
    pub last: NaiveDate,
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The last day is before the first.
    #[error("the period ends before it starts")]
    Reversed,
    /// A custom period longer than [`MAX_CUSTOM_DAYS`].
    #[error("a custom period is at most {MAX_CUSTOM_DAYS} days")]
    TooLong,
    /// A quarter outside 1–4, or a year chrono cannot hold.
    #[error("no such quarter")]
    BadQuarter,
    /// A month/quarter/year needs its day, a custom period both ends.
    #[error("a custom period needs both `from` and `to`")]
    MissingBounds,
    /// A day outside the years the product knows.
    #[error("a period lies within the years {FIRST_YEAR}–{LAST_YEAR}")]
    OutOfRange,
}

impl PeriodError {
    /// A stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            PeriodError::Reversed => "stats.period_reversed",
            PeriodError::TooLong => "stats.period_too_long",
            PeriodError::BadQuarter => "stats.bad_quarter",
            PeriodError::MissingBounds => "stats.period_bounds",
            PeriodError::OutOfRange => "stats.period_out_of_range",
        }
    }
}

impl Period {
    /// The month, quarter or year that contains `day`; a custom period needs
    /// [`Period::custom`].
    pub fn containing(kind: PeriodKind, day: NaiveDate) -> Result<Period, PeriodError> {
        if !date_in_range(day) {
            return Err(PeriodError::OutOfRange);
        }
        let (first, next) = match kind {
            PeriodKind::Month => {
                let first = day.with_day(1).ok_or(PeriodError::BadQuarter)?;
                (first, first.checked_add_months(chrono::Months::new(1)))
            }
            PeriodKind::Quarter => {
                return Period::quarter(day.year(), day.month0() / 3 + 1);
            }
            PeriodKind::Year => {
                let first =
                    NaiveDate::from_ymd_opt(day.year(), 1, 1).ok_or(PeriodError::BadQuarter)?;
                (first, first.checked_add_months(chrono::Months::new(12)))
            }
            PeriodKind::Custom => return Err(PeriodError::MissingBounds),
        };
        let last = next
            .and_then(|n| n.pred_opt())
            .ok_or(PeriodError::BadQuarter)?;
        Ok(Period { kind, first, last })
    }

    /// Quarter `quarter` (1–4) of `year`.
    pub fn quarter(year: i32, quarter: u32) -> Result<Period, PeriodError> {
        if !(1..=4).contains(&quarter) {
            return Err(PeriodError::BadQuarter);
        }
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(PeriodError::OutOfRange);
        }
        let first = NaiveDate::from_ymd_opt(year, (quarter - 1) * 3 + 1, 1)
            .ok_or(PeriodError::BadQuarter)?;
        let last = first
            .checked_add_months(chrono::Months::new(3))
            .and_then(|n| n.pred_opt())
            .ok_or(PeriodError::BadQuarter)?;
        Ok(Period {
            kind: PeriodKind::Quarter,
            first,
            last,
        })
    }

    /// The days `first..=last`.
    pub fn custom(first: NaiveDate, last: NaiveDate) -> Result<Period, PeriodError> {
        // Bounded before anything loops over its days or months.
        if !date_in_range(first) || !date_in_range(last) {
            return Err(PeriodError::OutOfRange);
        }
        if last < first {
            return Err(PeriodError::Reversed);
        }
        let period = Period {
            kind: PeriodKind::Custom,
            first,
            last,
        };
        if period.days() > MAX_CUSTOM_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(period)
    }

    /// The number of days, both ends included.
    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    /// The days of a year for annualizing the period's rates: those of the
    /// calendar year it starts in (365 or 366), or, for a period of a
    /// whole year or more, those of the year from its first day. A year
    /// from March to February whose 29 February falls in the calendar year
    /// after its start is then its own rate too, not 365/366 of it.
    pub fn year_days(&self) -> i64 {
        let from_first = self
            .first
            .checked_add_months(chrono::Months::new(12))
            .map(|next| (next - self.first).num_days());
        match from_first {
            Some(year) if self.days() >= year => year,
            _ if NaiveDate::from_ymd_opt(self.first.year(), 2, 29).is_some() => 366,
            _ => 365,
        }
    }

    /// The first instant of the period in `tz`.
    pub fn start<Tz: TimeZone>(&self, tz: &Tz) -> DateTime<Utc> {
        local_midnight(self.first, tz)
    }

    /// The first instant after the period in `tz`.
    pub fn end<Tz: TimeZone>(&self, tz: &Tz) -> DateTime<Utc> {
        match self.last.succ_opt() {
            Some(next) => local_midnight(next, tz),
            None => DateTime::<Utc>::MAX_UTC,
        }
    }

    /// The calendar months the period touches, each cut to the period:
    /// `(label "YYYY-MM", first day, first day after)`.
    pub fn months(&self) -> Vec<(String, NaiveDate, NaiveDate)> {
        let mut out = Vec::new();
        let mut first = self.first;
        while first <= self.last {
            let month_start = first.with_day(1).unwrap_or(first);
            let next_month = month_start
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(NaiveDate::MAX);
            let after = self
                .last
                .succ_opt()
                .unwrap_or(NaiveDate::MAX)
                .min(next_month);
            out.push((
                format!("{:04}-{:02}", first.year(), first.month()),
                first,
                after,
            ));
            first = after;
        }
        out
    }
}

/// 00:00 of `day` in `tz`, as UTC. Where a DST change skips midnight the
/// day starts at the first local time that exists; where midnight happens
/// twice, at the first.
pub fn local_midnight<Tz: TimeZone>(day: NaiveDate, tz: &Tz) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    for hours in 0..=3 {
        match tz.from_local_datetime(&(midnight + Duration::hours(hours))) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
            LocalResult::None => continue,
        }
    }
    // No zone skips more than a few hours; treat the local time as UTC
    // rather than fail a report.
    Utc.from_utc_datetime(&midnight)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_are_calendar_months_quarters_and_years() {
        let check = |kind, day: &str, first: &str, last: &str, days: i64| {
            let p = Period::containing(kind, d(day)).unwrap();
            assert_eq!(
                (p.first, p.last, p.days()),
                (d(first), d(last), days),
                "{kind:?} {day}"
            );
        };
        check(
            PeriodKind::Month,
            "2025-02-14",
            "2025-02-01",
            "2025-02-28",
            28,
        );
        check(
            PeriodKind::Month,
            "2024-02-29",
            "2024-02-01",
            "2024-02-29",
            29,
        );
        check(
            PeriodKind::Month,
            "2025-12-31",
            "2025-12-01",
            "2025-12-31",
            31,
        );
        check(
            PeriodKind::Quarter,
            "2025-01-15",
            "2025-01-01",
            "2025-03-31",
            90,
        );
        check(
            PeriodKind::Quarter,
            "2025-05-01",
            "2025-04-01",
            "2025-06-30",
            91,
        );
        check(
            PeriodKind::Quarter,
            "2025-12-31",
            "2025-10-01",
            "2025-12-31",
            92,
        );
        check(
            PeriodKind::Year,
            "2024-07-01",
            "2024-01-01",
            "2024-12-31",
            366,
        );
        assert_eq!(
            Period::containing(PeriodKind::Custom, d("2025-01-01")),
            Err(PeriodError::MissingBounds)
        );
        assert_eq!(Period::quarter(2025, 5), Err(PeriodError::BadQuarter));
        assert_eq!(Period::quarter(2025, 0), Err(PeriodError::BadQuarter));
    }

    #[test]
    fn custom_periods_are_checked() {
        assert_eq!(
            Period::custom(d("2025-03-02"), d("2025-03-01")),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            Period::custom(d("2020-01-01"), d("2025-12-31")),
            Err(PeriodError::TooLong)
        );
        let one_day = Period::custom(d("2025-03-01"), d("2025-03-01")).unwrap();
        assert_eq!(one_day.days(), 1);
    }

    #[test]
    fn period_bounds_are_local_midnights() {
        let shanghai = chrono_tz::Asia::Shanghai;
        let q1 = Period::quarter(2025, 1).unwrap();
        assert_eq!(
            q1.start(&shanghai).to_rfc3339(),
            "2024-12-31T16:00:00+00:00"
        );
        assert_eq!(q1.end(&shanghai).to_rfc3339(), "2025-03-31T16:00:00+00:00");
        // A DST zone: Berlin's last Sunday of March has 23 hours, and a
        // month that contains it is 1 hour shorter than its days suggest.
        let berlin = chrono_tz::Europe::Berlin;
        let march = Period::containing(PeriodKind::Month, d("2025-03-10")).unwrap();
        assert_eq!(
            march.start(&berlin).to_rfc3339(),
            "2025-02-28T23:00:00+00:00"
        );
        assert_eq!(march.end(&berlin).to_rfc3339(), "2025-03-31T22:00:00+00:00");
        // Midnight does not exist on a day when clocks jump at 00:00
        // (America/Santiago, 2024-09-08): the day starts at 01:00.
        let santiago = chrono_tz::America::Santiago;
        assert_eq!(
            local_midnight(d("2024-09-08"), &santiago).to_rfc3339(),
            "2024-09-08T04:00:00+00:00"
        );
    }

    #[test]
    fn months_cut_to_the_period() {
        let p = Period::custom(d("2025-01-20"), d("2025-03-05")).unwrap();
        let months: Vec<_> = p.months();
        assert_eq!(
            months,
            vec![
                ("2025-01".to_string(), d("2025-01-20"), d("2025-02-01")),
                ("2025-02".to_string(), d("2025-02-01"), d("2025-03-01")),
                ("2025-03".to_string(), d("2025-03-01"), d("2025-03-06")),
            ]
        );
        let year = Period::containing(PeriodKind::Year, d("2025-06-01")).unwrap();
        assert_eq!(year.months().len(), 12);
    }
}
