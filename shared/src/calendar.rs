//! The Chinese statutory working-day calendar, as data.
//!
//! Every year in November or December the General Office of the State Council
//! publishes the next year's holiday schedule (国务院办公厅关于节假日安排的通知):
//! which days are statutory rest days and which weekend days become make-up
//! working days (调休上班). Those cannot be computed, so the calendar holds
//! them as one [`YearSchedule`] per year. An admin loads the new year and it
//! travels to every device through sync; the 2025 and 2026 schedules ship
//! with the crate ([`Calendar::with_builtin`]).
//!
//! A day is a working day unless it is a listed rest day or a weekend day,
//! and a weekend day listed as a make-up workday is a working day.
//!
//! **Architecture Invariant:** the calendar never guesses. Asking about a
//! year that is not loaded is an error ([`CalendarError::YearNotLoaded`]),
//! never a fallback to "weekends only", because a wrong deadline that looks
//! right is worse than a missing one that says why.
//!
//! **Architecture Invariant:** every schedule inside a [`Calendar`] passed
//! [`Calendar::insert`], including those read from JSON, and its dates are
//! sorted and unique. Lookups rely on that to binary-search.
//!
//! More than half of this file is its tests, against the published
//! schedules.

pub mod notice;

use crate::lang::{Coded, Lang};
use crate::validation::{FIRST_YEAR, LAST_YEAR};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One year's official holiday schedule.
///
/// JSON shape (stable): `{"year":2025,"rest_days":["2025-01-01",…],
/// "workdays":["2025-01-26",…],"source":"国办发明电〔2024〕12号"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YearSchedule {
    /// The calendar year.
    pub year: i32,
    /// Statutory rest days. Weekend days inside a holiday block may be
    /// listed too; they are rest days either way.
    pub rest_days: Vec<NaiveDate>,
    /// Make-up working days (调休上班): weekend days that are worked.
    pub workdays: Vec<NaiveDate>,
    /// The notice the schedule comes from, e.g. `国办发明电〔2024〕12号`.
    pub source: String,
}

/// The working-day calendar: the loaded years' schedules.
///
/// JSON shape (stable): `{"years":[<YearSchedule>, …]}` in ascending year
/// order. Reading JSON validates every year as [`Calendar::insert`] does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "CalendarRepr", into = "CalendarRepr")]
pub struct Calendar {
    // On the wire a list of schedules (see `CalendarRepr`).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<YearSchedule>))]
    years: BTreeMap<i32, YearSchedule>,
}

/// Why the calendar cannot answer, or refused a schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub enum CalendarError {
    /// The year's schedule is not loaded, so working days cannot be known.
    YearNotLoaded {
        /// The missing year.
        year: i32,
    },
    /// A date in a schedule belongs to another year.
    DateOutsideYear {
        /// The schedule's year.
        year: i32,
        /// The offending date.
        date: NaiveDate,
    },
    /// A day the holiday rules make a rest day every year ([`FIXED_HOLIDAYS`])
    /// is a working day under the schedule: a schedule without its
    /// holidays (typed by hand, or an empty file) would count them as
    /// working days.
    StatutoryDayAtWork {
        /// The first such day.
        date: NaiveDate,
    },
    /// A date is listed both as a rest day and as a make-up workday.
    RestAndWorkday {
        /// The date listed twice.
        date: NaiveDate,
    },
    /// A make-up workday is a Monday–Friday, which is a working day anyway;
    /// this is almost always a typo in the imported data.
    WorkdayNotWeekend {
        /// The weekday listed as a make-up workday.
        date: NaiveDate,
    },
    /// A rest day is listed more than once.
    DuplicateRestDay {
        /// The repeated date.
        date: NaiveDate,
    },
    /// A make-up workday is listed more than once.
    DuplicateWorkday {
        /// The repeated date.
        date: NaiveDate,
    },
    /// A calendar (as JSON) holds the same year more than once.
    DuplicateYear {
        /// The repeated year.
        year: i32,
    },
    /// A schedule's year lies outside the years the product counts in
    /// ([`crate::validation::FIRST_YEAR`]–[`crate::validation::LAST_YEAR`]).
    YearOutOfRange {
        /// The year.
        year: i32,
    },
    /// A schedule's source (the notice it comes from) is longer than
    /// [`MAX_SOURCE_CHARS`]: every tablet is sent it.
    LongSource,
}

/// The holidays the rules (全国年节及纪念日放假办法) give the same date every
/// year, and the year each was first one: 元旦 (1 January), 劳动节 (1 May,
/// and 2 May since the 2025 revision) and 国庆节 (1–3 October). The Spring
/// Festival, Qingming, Dragon Boat and Mid-Autumn move with the lunar
/// calendar and cannot be checked here.
pub const FIXED_HOLIDAYS: [(i32, u32, u32); 6] = [
    (FIRST_YEAR, 1, 1),
    (FIRST_YEAR, 5, 1),
    (2025, 5, 2),
    (FIRST_YEAR, 10, 1),
    (FIRST_YEAR, 10, 2),
    (FIRST_YEAR, 10, 3),
];

/// The longest source a schedule may name: a notice's number and title.
pub const MAX_SOURCE_CHARS: usize = 200;

impl YearSchedule {
    /// Whether `date` is a working day under this schedule. The caller
    /// makes sure `date` is in this schedule's year.
    fn is_working_day(&self, date: NaiveDate) -> bool {
        // Both lists are sorted by `Calendar::insert`.
        if self.workdays.binary_search(&date).is_ok() {
            return true;
        }
        if self.rest_days.binary_search(&date).is_ok() {
            return false;
        }
        !is_weekend(date)
    }

    /// Sorts the dates and checks the schedule; see [`Calendar::insert`].
    fn normalized(mut self) -> Result<YearSchedule, CalendarError> {
        let year = self.year;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(CalendarError::YearOutOfRange { year });
        }
        if self.source.chars().count() > MAX_SOURCE_CHARS {
            return Err(CalendarError::LongSource);
        }
        if let Some(&date) = self
            .rest_days
            .iter()
            .chain(&self.workdays)
            .find(|d| d.year() != year)
        {
            return Err(CalendarError::DateOutsideYear { year, date });
        }
        self.rest_days.sort_unstable();
        self.workdays.sort_unstable();
        if let Some(date) = first_repeat(&self.rest_days) {
            return Err(CalendarError::DuplicateRestDay { date });
        }
        if let Some(date) = first_repeat(&self.workdays) {
            return Err(CalendarError::DuplicateWorkday { date });
        }
        if let Some(&date) = self.workdays.iter().find(|d| !is_weekend(**d)) {
            return Err(CalendarError::WorkdayNotWeekend { date });
        }
        if let Some(&date) = self
            .workdays
            .iter()
            .find(|d| self.rest_days.binary_search(d).is_ok())
        {
            return Err(CalendarError::RestAndWorkday { date });
        }
        Ok(self)
    }
}

impl Calendar {
    /// An empty calendar: every question about a working day is an error
    /// until a year is inserted.
    pub fn new() -> Calendar {
        Calendar::default()
    }

    /// The calendar with the schedules that ship with the crate (2025, 2026).
    pub fn with_builtin() -> Calendar {
        let mut calendar = Calendar::new();
        for json in BUILTIN {
            // The embedded files are part of the source, not input; the test
            // `builtin_years_load` proves they parse and validate.
            let year: YearSchedule =
                serde_json::from_str(json).expect("embedded calendar JSON is a valid YearSchedule");
            calendar
                .insert(year)
                .expect("embedded calendar schedule passes validation");
        }
        calendar
    }

    /// Adds a year's schedule an administrator loads, as [`Calendar::insert`]
    /// does, once it also has the holidays every year has on the same date
    /// ([`FIXED_HOLIDAYS`]) as rest days. Only here, not in `insert`: a
    /// schedule stored before this check keeps loading.
    pub fn admit(&mut self, schedule: YearSchedule) -> Result<(), CalendarError> {
        let schedule = schedule.normalized()?;
        let at_work = FIXED_HOLIDAYS
            .iter()
            .filter(|(since, _, _)| schedule.year >= *since)
            .filter_map(|&(_, month, day)| NaiveDate::from_ymd_opt(schedule.year, month, day))
            .find(|d| schedule.is_working_day(*d));
        if let Some(date) = at_work {
            return Err(CalendarError::StatutoryDayAtWork { date });
        }
        self.years.insert(schedule.year, schedule);
        Ok(())
    }

    /// Adds a year's schedule, replacing the one already loaded for that
    /// year. Refuses a schedule with a date outside its year, a date that is
    /// both a rest day and a make-up workday, a make-up workday that is not
    /// a Saturday or Sunday, or a repeated date. Dates are stored sorted.
    pub fn insert(&mut self, schedule: YearSchedule) -> Result<(), CalendarError> {
        let schedule = schedule.normalized()?;
        self.years.insert(schedule.year, schedule);
        Ok(())
    }

    /// The loaded years, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// The schedule of `year`, if loaded.
    pub fn schedule(&self, year: i32) -> Option<&YearSchedule> {
        self.years.get(&year)
    }

    /// The year an admin must load now, on local date `today`, for clocks
    /// of up to `reach` working days (`Deadlines::longest_working_days`):
    /// this year if it is missing, else next year, if missing, once
    /// December has come (the State Council publishes it in November or
    /// December, and from mid-December a clock of a few working days
    /// already ends in it) or earlier when a clock started today could
    /// end in it (a 30-working-day rule reaches some six weeks ahead).
    pub fn year_needed(&self, today: NaiveDate, reach: u32) -> Option<i32> {
        let year = today.year();
        // Working days as calendar days: five in seven, and a week's
        // holiday (National Day) on the way.
        let ahead = chrono::Days::new(u64::from(reach) * 7 / 5 + 7);
        let reaches_next = today.month() == 12
            || today
                .checked_add_days(ahead)
                .is_some_and(|d| d.year() > year);
        if !self.years.contains_key(&year) {
            Some(year)
        } else if reaches_next && !self.years.contains_key(&(year + 1)) {
            Some(year + 1)
        } else {
            None
        }
    }

    /// Whether `date` is a working day. Errs if its year is not loaded.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let year = date.year();
        match self.years.get(&year) {
            Some(schedule) => Ok(schedule.is_working_day(date)),
            None => Err(CalendarError::YearNotLoaded { year }),
        }
    }

    /// The `n`-th working day strictly after `date`; `date` itself when `n`
    /// is 0. Errs with the first year it needs that is not loaded.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        let mut remaining = n;
        // The schedule is looked up once per year walked into, not per day:
        // deadlines are worked out for every case of every fold.
        let mut schedule: Option<&YearSchedule> = None;
        // Terminates: each step either counts a working day or walks through
        // a loaded year, and only finitely many years are loaded.
        while remaining > 0 {
            day = match day.succ_opt() {
                Some(next) => next,
                // Past chrono's last date no year can be loaded.
                None => {
                    return Err(CalendarError::YearNotLoaded {
                        year: day.year().saturating_add(1),
                    });
                }
            };
            let year = day.year();
            let current = match schedule {
                Some(s) if s.year == year => s,
                _ => self
                    .years
                    .get(&year)
                    .ok_or(CalendarError::YearNotLoaded { year })?,
            };
            schedule = Some(current);
            if current.is_working_day(day) {
                remaining -= 1;
            }
        }
        Ok(day)
    }
}

impl CalendarError {
    /// A stable machine code, e.g. `calendar.year_not_loaded`.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::YearNotLoaded { .. } => "calendar.year_not_loaded",
            CalendarError::DateOutsideYear { .. } => "calendar.date_outside_year",
            CalendarError::StatutoryDayAtWork { .. } => "calendar.statutory_day_at_work",
            CalendarError::RestAndWorkday { .. } => "calendar.rest_and_workday",
            CalendarError::WorkdayNotWeekend { .. } => "calendar.workday_not_weekend",
            CalendarError::DuplicateRestDay { .. } => "calendar.duplicate_rest_day",
            CalendarError::DuplicateWorkday { .. } => "calendar.duplicate_workday",
            CalendarError::DuplicateYear { .. } => "calendar.duplicate_year",
            CalendarError::YearOutOfRange { .. } => "calendar.year_out_of_range",
            CalendarError::LongSource => "calendar.long_source",
        }
    }

    /// The message for a person, in Simplified Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            CalendarError::YearNotLoaded { year } => {
                format!("尚未载入{year}年的节假日安排，无法计算工作日。请管理员导入该年度日历。")
            }
            CalendarError::DateOutsideYear { year, date } => format!("日期{date}不属于{year}年。"),
            CalendarError::StatutoryDayAtWork { date } => format!(
                "{date}是每年的法定节假日（元旦、劳动节、国庆节），安排中却是工作日：请载入国务院办公厅发布的完整安排。"
            ),
            CalendarError::RestAndWorkday { date } => {
                format!("{date}不能既是放假日又是调休上班日。")
            }
            CalendarError::WorkdayNotWeekend { date } => {
                format!("调休上班日{date}不是周六或周日。")
            }
            CalendarError::DuplicateRestDay { date } => format!("放假日{date}重复列出。"),
            CalendarError::DuplicateWorkday { date } => format!("调休上班日{date}重复列出。"),
            CalendarError::DuplicateYear { year } => format!("{year}年的节假日安排出现了多次。"),
            CalendarError::YearOutOfRange { year } => {
                format!("{year}年不在{FIRST_YEAR}–{LAST_YEAR}年之间。")
            }
            CalendarError::LongSource => format!("来源最多{MAX_SOURCE_CHARS}个字。"),
        }
    }

    /// The message for a person, in English.
    pub fn message_en(&self) -> String {
        match self {
            CalendarError::YearNotLoaded { year } => format!(
                "The holiday schedule for {year} is not loaded, so working days cannot be counted. Ask an administrator to import it."
            ),
            CalendarError::DateOutsideYear { year, date } => {
                format!("The date {date} is not in {year}.")
            }
            CalendarError::StatutoryDayAtWork { date } => format!(
                "{date} is a statutory holiday every year (New Year's Day, Labour Day, National Day), but a working day in this schedule: load the whole schedule the State Council published."
            ),
            CalendarError::RestAndWorkday { date } => {
                format!("{date} cannot be both a rest day and a make-up workday.")
            }
            CalendarError::WorkdayNotWeekend { date } => {
                format!("The make-up workday {date} is not a Saturday or Sunday.")
            }
            CalendarError::DuplicateRestDay { date } => {
                format!("The rest day {date} is listed more than once.")
            }
            CalendarError::DuplicateWorkday { date } => {
                format!("The make-up workday {date} is listed more than once.")
            }
            CalendarError::DuplicateYear { year } => {
                format!("The schedule for {year} appears more than once.")
            }
            CalendarError::YearOutOfRange { year } => {
                format!("{year} is not between {FIRST_YEAR} and {LAST_YEAR}.")
            }
            CalendarError::LongSource => {
                format!("The source is at most {MAX_SOURCE_CHARS} characters.")
            }
        }
    }
}

impl Coded for CalendarError {
    fn code(&self) -> &'static str {
        CalendarError::code(self)
    }

    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::ZhCn => self.message_zh(),
            Lang::En => self.message_en(),
        }
    }
}

/// The schedules embedded in the crate.
const BUILTIN: [&str; 2] = [
    include_str!("../data/calendar/2025.json"),
    include_str!("../data/calendar/2026.json"),
];

/// The wire form of [`Calendar`]: a list, so the year is not written twice
/// (as a map key and inside the schedule) and cannot disagree.
#[derive(Serialize, Deserialize)]
struct CalendarRepr {
    years: Vec<YearSchedule>,
}

impl TryFrom<CalendarRepr> for Calendar {
    type Error = CalendarError;

    fn try_from(repr: CalendarRepr) -> Result<Calendar, CalendarError> {
        let mut calendar = Calendar::new();
        for schedule in repr.years {
            if calendar.years.contains_key(&schedule.year) {
                return Err(CalendarError::DuplicateYear {
                    year: schedule.year,
                });
            }
            calendar.insert(schedule)?;
        }
        Ok(calendar)
    }
}

impl From<Calendar> for CalendarRepr {
    fn from(calendar: Calendar) -> CalendarRepr {
        CalendarRepr {
            years: calendar.years.into_values().collect(),
        }
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The first value that appears twice in a sorted slice.
fn first_repeat(sorted: &[NaiveDate]) -> Option<NaiveDate> {
    sorted.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test dates are well formed")
    }

    fn schedule(year: i32, rest: &[&str], work: &[&str]) -> YearSchedule {
        YearSchedule {
            year,
            rest_days: rest.iter().map(|s| d(s)).collect(),
            workdays: work.iter().map(|s| d(s)).collect(),
            source: "test".into(),
        }
    }

    /// Checks `add_working_days` on the builtin calendar; `expected` is a
    /// date or the year that is reported missing.
    fn check(date: &str, n: u32, expected: Result<&str, i32>) {
        let got = Calendar::with_builtin().add_working_days(d(date), n);
        let expected = expected
            .map(d)
            .map_err(|year| CalendarError::YearNotLoaded { year });
        assert_eq!(got, expected, "{date} + {n} working days");
    }

    /// Checks what `insert` says about a schedule.
    fn check_insert(schedule: YearSchedule, expected: Result<(), CalendarError>) {
        let mut cal = Calendar::new();
        assert_eq!(cal.insert(schedule), expected);
    }

    #[test]
    fn next_year_is_asked_for_in_december_and_a_missing_year_at_once() {
        let cal = Calendar::with_builtin();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // The default rules reach 7 working days (the special case).
        assert_eq!(cal.year_needed(day(2026, 11, 30), 7), None);
        assert_eq!(cal.year_needed(day(2026, 12, 1), 7), Some(2027));
        assert_eq!(
            cal.year_needed(day(2025, 12, 20), 7),
            None,
            "2026 is loaded"
        );
        assert_eq!(cal.year_needed(day(2027, 3, 1), 7), Some(2027));
        // A 30-working-day rule started on 20 November ends in January.
        assert_eq!(cal.year_needed(day(2026, 11, 20), 30), Some(2027));
        assert_eq!(cal.year_needed(day(2026, 10, 31), 30), None);
    }

    #[test]
    fn a_schedule_loaded_has_the_holidays_of_a_fixed_date() {
        let mut cal = Calendar::new();
        // 1 January 2027 is a Friday.
        assert_eq!(
            cal.admit(schedule(2027, &[], &[])),
            Err(CalendarError::StatutoryDayAtWork {
                date: d("2027-01-01")
            })
        );
        // 1 and 2 May 2027 fall on the weekend: rest days unless listed
        // as make-up working days.
        assert_eq!(
            cal.admit(schedule(
                2027,
                &["2027-01-01", "2027-10-01"],
                &["2027-05-02"]
            )),
            Err(CalendarError::StatutoryDayAtWork {
                date: d("2027-05-02")
            })
        );
        assert_eq!(
            cal.admit(schedule(2027, &["2027-01-01", "2027-10-01"], &[])),
            Ok(())
        );
        // Before 2025 Labour Day was one day.
        assert_eq!(
            cal.admit(schedule(
                2024,
                &[
                    "2024-01-01",
                    "2024-05-01",
                    "2024-10-01",
                    "2024-10-02",
                    "2024-10-03"
                ],
                &[]
            )),
            Ok(())
        );
        // The published schedules pass.
        for year in Calendar::with_builtin().years.into_values() {
            assert_eq!(cal.admit(year.clone()), Ok(()), "{}", year.year);
        }
        // A schedule stored before the check still loads.
        assert_eq!(cal.insert(schedule(2028, &[], &[])), Ok(()));
    }

    #[test]
    fn builtin_years_load() {
        let cal = Calendar::with_builtin();
        assert_eq!(cal.years().collect::<Vec<_>>(), vec![2025, 2026]);
        assert_eq!(
            cal.schedule(2025).map(|s| s.source.as_str()),
            Some("国办发明电〔2024〕12号")
        );
        assert_eq!(
            cal.schedule(2026).map(|s| s.source.as_str()),
            Some("国务院办公厅关于2026年部分节假日安排的通知")
        );
        assert_eq!(cal.schedule(2027), None);
    }

    /// A holiday block of an official notice: name, first and last rest day.
    type Block = (&'static str, &'static str, &'static str);

    /// The official notices, transcribed independently of the JSON files:
    /// the holiday blocks and the make-up workdays of each year.
    #[test]
    fn builtin_years_match_the_official_notices() {
        let official: [(i32, &[Block], &[&str]); 2] = [
            (
                2025,
                &[
                    ("元旦", "2025-01-01", "2025-01-01"),
                    ("春节", "2025-01-28", "2025-02-04"),
                    ("清明节", "2025-04-04", "2025-04-06"),
                    ("劳动节", "2025-05-01", "2025-05-05"),
                    ("端午节", "2025-05-31", "2025-06-02"),
                    ("国庆节、中秋节", "2025-10-01", "2025-10-08"),
                ],
                &[
                    "2025-01-26",
                    "2025-02-08",
                    "2025-04-27",
                    "2025-09-28",
                    "2025-10-11",
                ],
            ),
            (
                2026,
                &[
                    ("元旦", "2026-01-01", "2026-01-03"),
                    ("春节", "2026-02-15", "2026-02-23"),
                    ("清明节", "2026-04-04", "2026-04-06"),
                    ("劳动节", "2026-05-01", "2026-05-05"),
                    ("端午节", "2026-06-19", "2026-06-21"),
                    ("中秋节", "2026-09-25", "2026-09-27"),
                    ("国庆节", "2026-10-01", "2026-10-07"),
                ],
                &[
                    "2026-01-04",
                    "2026-02-14",
                    "2026-02-28",
                    "2026-05-09",
                    "2026-09-20",
                    "2026-10-10",
                ],
            ),
        ];
        let cal = Calendar::with_builtin();
        for (year, holidays, makeups) in official {
            let sched = cal.schedule(year).expect("builtin year is loaded");
            let mut rest = Vec::new();
            for &(name, first, last) in holidays {
                let (first, last) = (d(first), d(last));
                // The day before and after each block are not part of it.
                for outside in [first.pred_opt(), last.succ_opt()].into_iter().flatten() {
                    assert!(
                        !sched.rest_days.contains(&outside),
                        "{name}: {outside} is outside"
                    );
                }
                for day in first.iter_days().take_while(|day| *day <= last) {
                    assert_eq!(
                        cal.is_working_day(day),
                        Ok(false),
                        "{name}: {day} is a rest day"
                    );
                    rest.push(day);
                }
            }
            assert_eq!(
                sched.rest_days, rest,
                "{year} rest days are exactly the holiday blocks"
            );
            let makeups: Vec<NaiveDate> = makeups.iter().map(|s| d(s)).collect();
            assert_eq!(sched.workdays, makeups, "{year} make-up workdays");
            for day in makeups {
                assert!(is_weekend(day), "make-up day {day} is a weekend day");
                assert_eq!(
                    cal.is_working_day(day),
                    Ok(true),
                    "make-up day {day} is worked"
                );
            }
        }
    }

    #[test]
    fn working_days_follow_weekends_holidays_and_makeups() {
        let cal = Calendar::with_builtin();
        let cases = [
            ("2025-01-02", true),  // Thursday after 元旦
            ("2025-01-04", false), // ordinary Saturday
            ("2025-01-26", true),  // make-up Sunday before 春节
            ("2025-01-28", false), // 除夕, Tuesday
            ("2025-02-08", true),  // make-up Saturday after 春节
            ("2025-10-08", false), // last day of 国庆+中秋, Wednesday
            ("2025-10-11", true),  // make-up Saturday
            ("2026-01-02", false), // 元旦 block, Friday
            ("2026-01-04", true),  // make-up Sunday
            ("2026-02-23", false), // last day of 春节, Monday
            ("2026-02-24", true),
        ];
        for (date, expected) in cases {
            assert_eq!(cal.is_working_day(d(date)), Ok(expected), "{date}");
        }
        assert_eq!(
            cal.is_working_day(d("2027-01-04")),
            Err(CalendarError::YearNotLoaded { year: 2027 })
        );
        assert_eq!(
            cal.is_working_day(d("2024-12-31")),
            Err(CalendarError::YearNotLoaded { year: 2024 })
        );
    }

    #[test]
    fn zero_days_is_the_date_itself() {
        check("2025-01-28", 0, Ok("2025-01-28"));
        check("2027-06-01", 0, Ok("2027-06-01"));
    }

    #[test]
    fn ordinary_week() {
        check("2025-03-03", 1, Ok("2025-03-04"));
        check("2025-03-07", 1, Ok("2025-03-10"));
        check("2025-03-08", 1, Ok("2025-03-10"));
        check("2025-03-03", 5, Ok("2025-03-10"));
    }

    #[test]
    fn spring_festival_2025() {
        check("2025-01-24", 1, Ok("2025-01-26")); // Fri → make-up Sun
        check("2025-01-26", 1, Ok("2025-01-27"));
        check("2025-01-27", 1, Ok("2025-02-05")); // Jan 28–Feb 4 off
        check("2025-01-27", 3, Ok("2025-02-07"));
        check("2025-02-07", 1, Ok("2025-02-08")); // make-up Saturday
    }

    #[test]
    fn spring_festival_2026() {
        check("2026-02-13", 1, Ok("2026-02-14")); // make-up Saturday
        check("2026-02-14", 1, Ok("2026-02-24")); // Feb 15–23 off
        check("2026-02-27", 1, Ok("2026-02-28")); // make-up Saturday
    }

    #[test]
    fn national_day_2025() {
        check("2025-09-26", 1, Ok("2025-09-28")); // make-up Sunday
        check("2025-09-30", 1, Ok("2025-10-09")); // Oct 1–8 off
        check("2025-10-01", 2, Ok("2025-10-10"));
        check("2025-10-10", 1, Ok("2025-10-11")); // make-up Saturday
    }

    #[test]
    fn national_day_2026() {
        check("2026-09-18", 1, Ok("2026-09-20")); // make-up Sunday
        check("2026-09-24", 1, Ok("2026-09-28")); // 中秋 Sep 25–27
        check("2026-09-30", 1, Ok("2026-10-08")); // Oct 1–7 off
        check("2026-10-09", 1, Ok("2026-10-10")); // make-up Saturday
    }

    #[test]
    fn crossing_into_a_year_not_loaded() {
        check("2026-12-30", 1, Ok("2026-12-31"));
        check("2026-12-31", 1, Err(2027));
        check("2026-12-25", 10, Err(2027));
    }

    #[test]
    fn insert_validates() {
        check_insert(schedule(2030, &["2030-01-01"], &["2030-01-05"]), Ok(()));
        check_insert(
            schedule(2030, &["2031-01-01"], &[]),
            Err(CalendarError::DateOutsideYear {
                year: 2030,
                date: d("2031-01-01"),
            }),
        );
        check_insert(
            schedule(2030, &[], &["2029-12-29"]),
            Err(CalendarError::DateOutsideYear {
                year: 2030,
                date: d("2029-12-29"),
            }),
        );
        check_insert(
            schedule(2030, &["2030-01-05"], &["2030-01-05"]),
            Err(CalendarError::RestAndWorkday {
                date: d("2030-01-05"),
            }),
        );
        // 2030-01-07 is a Monday.
        check_insert(
            schedule(2030, &[], &["2030-01-07"]),
            Err(CalendarError::WorkdayNotWeekend {
                date: d("2030-01-07"),
            }),
        );
        check_insert(
            schedule(2030, &["2030-01-02", "2030-01-01", "2030-01-02"], &[]),
            Err(CalendarError::DuplicateRestDay {
                date: d("2030-01-02"),
            }),
        );
        check_insert(
            schedule(2030, &[], &["2030-01-05", "2030-01-05"]),
            Err(CalendarError::DuplicateWorkday {
                date: d("2030-01-05"),
            }),
        );
    }

    #[test]
    fn insert_replaces_the_year_and_sorts() {
        let mut cal = Calendar::with_builtin();
        let replacement = schedule(2025, &["2025-03-04", "2025-03-03"], &[]);
        assert_eq!(cal.insert(replacement), Ok(()));
        let sched = cal.schedule(2025).expect("2025 is loaded");
        assert_eq!(sched.rest_days, vec![d("2025-03-03"), d("2025-03-04")]);
        assert_eq!(cal.is_working_day(d("2025-01-28")), Ok(true));
        assert_eq!(cal.is_working_day(d("2025-03-04")), Ok(false));
        assert_eq!(cal.years().collect::<Vec<_>>(), vec![2025, 2026]);
    }

    #[test]
    fn error_codes_and_messages() {
        let e = CalendarError::YearNotLoaded { year: 2027 };
        assert_eq!(e.code(), "calendar.year_not_loaded");
        assert!(e.message_zh().contains("2027年"));
        assert!(e.message_en().contains("2027"));
        assert_eq!(e.to_string(), e.message_en());
        assert_eq!(Coded::message(&e, Lang::ZhCn), e.message_zh());
        let date = d("2030-01-07");
        let all = [
            CalendarError::YearNotLoaded { year: 2030 },
            CalendarError::DateOutsideYear { year: 2030, date },
            CalendarError::RestAndWorkday { date },
            CalendarError::WorkdayNotWeekend { date },
            CalendarError::DuplicateRestDay { date },
            CalendarError::DuplicateWorkday { date },
            CalendarError::DuplicateYear { year: 2030 },
        ];
        let mut codes: Vec<&str> = all.iter().map(CalendarError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "codes are distinct");
        for e in all {
            assert!(e.code().starts_with("calendar."));
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
        }
    }

    #[test]
    fn serde_shape_is_stable() {
        let mut cal = Calendar::new();
        cal.insert(schedule(2030, &["2030-01-01"], &["2030-01-05"]))
            .expect("valid schedule");
        let json = serde_json::to_string(&cal).expect("serializes");
        assert_eq!(
            json,
            r#"{"years":[{"year":2030,"rest_days":["2030-01-01"],"workdays":["2030-01-05"],"source":"test"}]}"#
        );
        let back: Calendar = serde_json::from_str(&json).expect("round-trips");
        assert_eq!(back, cal);

        let builtin = Calendar::with_builtin();
        let json = serde_json::to_string(&builtin).expect("serializes");
        assert_eq!(serde_json::from_str::<Calendar>(&json).ok(), Some(builtin));
    }

    #[test]
    fn deserializing_validates() {
        let bad =
            r#"{"years":[{"year":2030,"rest_days":[],"workdays":["2030-01-07"],"source":"x"}]}"#;
        let err =
            serde_json::from_str::<Calendar>(bad).expect_err("a Monday make-up day is refused");
        assert!(err.to_string().contains("2030-01-07"), "{err}");

        let twice = r#"{"years":[{"year":2030,"rest_days":[],"workdays":[],"source":"a"},{"year":2030,"rest_days":[],"workdays":[],"source":"b"}]}"#;
        let err = serde_json::from_str::<Calendar>(twice).expect_err("a repeated year is refused");
        assert!(err.to_string().contains("2030"), "{err}");

        let unsorted = r#"{"years":[{"year":2030,"rest_days":["2030-01-02","2030-01-01"],"workdays":[],"source":"a"}]}"#;
        let cal: Calendar = serde_json::from_str(unsorted).expect("unsorted dates are fine");
        assert_eq!(cal.is_working_day(d("2030-01-01")), Ok(false));
        assert_eq!(
            cal.schedule(2030).map(|s| s.rest_days.clone()),
            Some(vec![d("2030-01-01"), d("2030-01-02")])
        );
    }

    #[test]
    fn a_schedule_is_of_a_year_the_product_counts_in_with_a_short_source() {
        let mut cal = Calendar::new();
        for year in [FIRST_YEAR - 1, LAST_YEAR + 1] {
            assert_eq!(
                cal.insert(schedule(year, &[], &[])),
                Err(CalendarError::YearOutOfRange { year })
            );
        }
        let mut long = schedule(2030, &[], &[]);
        long.source = "国".repeat(MAX_SOURCE_CHARS + 1);
        assert_eq!(cal.insert(long.clone()), Err(CalendarError::LongSource));
        long.source.pop();
        assert_eq!(cal.insert(long), Ok(()));
    }

    /// `add_working_days` the obvious way: one day at a time, asking
    /// `is_working_day` about each.
    fn add_working_days_reference(
        cal: &Calendar,
        date: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        for _ in 0..n {
            loop {
                day = day.succ_opt().ok_or(CalendarError::YearNotLoaded {
                    year: day.year() + 1,
                })?;
                if cal.is_working_day(day)? {
                    break;
                }
            }
        }
        Ok(day)
    }

    proptest! {
        #[test]
        fn add_working_days_matches_the_day_by_day_reference(offset in 0u32..1600, n in 0u32..40) {
            // The builtin years, a missing 2027 and a made-up 2028, so that
            // walks cross years, stop at a gap and carry on past it.
            let mut cal = Calendar::with_builtin();
            cal.insert(schedule(2028, &["2028-01-03", "2028-01-04"], &["2028-01-08"]))
                .expect("a valid schedule");
            let date = d("2024-12-20") + chrono::Duration::days(i64::from(offset));
            prop_assert_eq!(
                cal.add_working_days(date, n),
                add_working_days_reference(&cal, date, n)
            );
        }

        #[test]
        fn add_working_days_counts_exactly_n(offset in 0u32..730, n in 0u32..10) {
            let cal = Calendar::with_builtin();
            let date = d("2025-01-01") + chrono::Duration::days(i64::from(offset));
            match cal.add_working_days(date, n) {
                Ok(result) => {
                    if n == 0 {
                        prop_assert_eq!(result, date);
                    } else {
                        prop_assert!(result > date);
                        prop_assert_eq!(cal.is_working_day(result), Ok(true));
                    }
                    let counted = date
                        .iter_days()
                        .skip(1)
                        .take_while(|day| *day <= result)
                        .filter(|day| cal.is_working_day(*day) == Ok(true))
                        .count();
                    prop_assert_eq!(counted, n as usize);
                }
                Err(e) => {
                    // Only running off the end of 2026 may fail, and only
                    // when fewer than n working days are left in 2026.
                    prop_assert_eq!(e, CalendarError::YearNotLoaded { year: 2027 });
                    let left = date
                        .iter_days()
                        .skip(1)
                        .take_while(|day| day.year() == 2026)
                        .filter(|day| cal.is_working_day(*day) == Ok(true))
                        .count();
                    prop_assert!(left < n as usize);
                }
            }
        }
    }
}
