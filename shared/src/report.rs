//! Head-office reports as they cross the wire: the statistics (统计分析),
//! the quarterly spot-check (抽查回访) and the rows of the case exports,
//! with the pure arithmetic that defines them. The server's `store::reports`
//! computes them with SQL; the app deserializes and shows them.
//!
//! Everything here does no IO, so the definitions below are unit-tested
//! on their own:
//!
//! - **Period.** A case belongs to a period when it was *received* in it.
//!   A period is whole local days in the company timezone
//!   (`Settings::tz`): from 00:00 of its first day to 00:00 after its last.
//!   Month, quarter and year are the calendar ones containing a given day;
//!   a custom period is any range of days up to [`MAX_CUSTOM_DAYS`].
//! - **On-time rate per clock.** Over the clocks of the period's cases:
//!   met on time (`met_at <= due_at`) divided by met clocks plus clocks
//!   still running past due on open cases. Clocks still running on closed or
//!   withdrawn cases (e.g. the transfer clock of an unfounded complaint)
//!   count for neither side, like the overdue list.
//! - **Handling time.** Received → latest resolution, over cases whose
//!   state is resolved, followed up or closed (a reopened case is not
//!   finished). The 90th percentile is the nearest-rank one
//!   ([`nearest_rank`]): the smallest value with at least 90% of the values
//!   at or below it.
//! - **Satisfaction.** The latest regular follow-up's score (spot-check
//!   calls are reported separately); satisfied means at least
//!   `Settings::satisfied_min`.
//! - **Follow-up rate.** Follow-up clocks (complaint and repair) that were
//!   met, divided by those met or past due; withdrawn cases are left out and
//!   follow-ups not yet due are reported as `pending`, not counted against
//!   the rate. Missed when below `Settings::follow_up_target_percent`.
//! - **Valid-complaint rate.** Valid complaints received in the period per
//!   household of the property, in basis points, and annualized as
//!   `rate × days of the year the period starts in / days of the period`, so
//!   a whole year is its own rate and a quarter is multiplied by about four.
//!   The target (`Settings::valid_complaint_target_bp`, 100 = 1%) is an
//!   upper bound per year: missed when the annualized rate reaches it.
//! - **Reopen rate.** Cases reopened at least once over cases resolved at
//!   least once.
//! - **Repeat units / complainants.** A unit, or a phone number, with two or
//!   more cases in the period.
//! - **Spot-check.** A draw takes `ceil(n × Settings::spot_check_percent /
//!   100)` (at least one) of the repair cases of one property completed
//!   (resolved within the quarter, and resolved, followed up or closed now),
//!   sorted by id and shuffled with [`SplitMix64`] from a recorded seed. A
//!   draw counts in the statistics of every period its quarter overlaps.

use crate::case::{Case, CaseKind, CaseState, Channel, Severity, Validity};
use crate::code::coded_enum;
use crate::id::{BuildingId, CaseId, PropertyId, UnitId, UserId};
use crate::property::Location;
use crate::role::{mask_name, mask_phone};
use crate::validation::{FIRST_YEAR, LAST_YEAR, date_in_range};
use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The longest custom period, in days (five years and a leap day or two).
pub const MAX_CUSTOM_DAYS: i64 = 366 * 5;

/// The most overdue cases listed in the statistics (the total is exact).
pub const OVERDUE_LIMIT: u32 = 200;

/// The most repeat units or repeat complainants listed.
pub const REPEAT_LIMIT: u32 = 100;

coded_enum! {
    /// Which calendar period.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum PeriodKind {
        /// A calendar month.
        Month = ("month", "本月", "Month"),
        /// A calendar quarter (Q1 = January–March).
        Quarter = ("quarter", "本季度", "Quarter"),
        /// A calendar year.
        Year = ("year", "本年", "Year"),
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

    /// The number of days of the year the period starts in (365 or 366).
    pub fn year_days(&self) -> i64 {
        if NaiveDate::from_ymd_opt(self.first.year(), 2, 29).is_some() {
            366
        } else {
            365
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

/// `num / den` in percent, rounded to two decimals; `None` when `den` is 0.
pub fn percent(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| round2(num as f64 * 100.0 / den as f64))
}

/// Rounds to two decimals, the precision of every rate and duration in the
/// reports.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The 1-based nearest rank of the `p`-th percentile of `n` sorted values:
/// `ceil(p × n / 100)`, at least 1; `None` for no values.
pub fn nearest_rank(n: u64, p: u32) -> Option<u64> {
    (n > 0).then(|| (u64::from(p) * n).div_ceil(100).clamp(1, n))
}

/// Valid complaints per household in basis points (100 = 1%), unrounded;
/// `None` for a property without households.
fn per_household_bp(count: u64, households: u32) -> Option<f64> {
    (households > 0).then(|| count as f64 * 10_000.0 / f64::from(households))
}

/// The valid-complaint rate of a period and its annualized value, both in
/// basis points and rounded to two decimals. See the module docs.
pub fn valid_complaint_rate(count: u64, households: u32, period: &Period) -> Option<(f64, f64)> {
    let raw = per_household_bp(count, households)?;
    let annual = raw * period.year_days() as f64 / period.days() as f64;
    Some((round2(raw), round2(annual)))
}

/// How many of `candidates` cases a spot-check of `percent` draws:
/// rounded up, at least one when there is any.
pub fn sample_size(candidates: usize, percent: u32) -> usize {
    if candidates == 0 {
        return 0;
    }
    (candidates * percent as usize)
        .div_ceil(100)
        .clamp(1, candidates)
}

/// The SplitMix64 generator (Steele, Lea and Flood 2014): tiny, fast and
/// fully specified here, so a recorded seed gives the same sample on any
/// build of the server forever, which a library RNG does not promise
/// across versions.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Draws the spot-check sample: a partial Fisher–Yates shuffle of the
/// candidates (which the caller sorts by id) driven by [`SplitMix64`] from
/// `seed`, keeping the first [`sample_size`] in draw order. The modulo bias
/// of `next % remaining` is below 2⁻⁴⁰ for any realistic candidate count.
pub fn draw_sample<T: Clone>(candidates: &[T], percent: u32, seed: u64) -> Vec<T> {
    let n = candidates.len();
    let k = sample_size(n, percent);
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64::new(seed);
    for i in 0..k {
        let j = i + (rng.next_u64() % (n - i) as u64) as usize;
        order.swap(i, j);
    }
    order[..k].iter().map(|&i| candidates[i].clone()).collect()
}

/// One row of a count table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bucket {
    /// The code or id counted by (empty for "none").
    pub key: String,
    /// Its name for a person.
    pub label: String,
    /// The number of cases.
    pub count: u64,
}

/// The counts of one deadline clock (or of all clocks together).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockRate {
    /// The clock's code (`all` for every clock together).
    pub clock: String,
    /// Its name.
    pub label: String,
    /// Clocks met.
    pub met: u64,
    /// Met at or before the due time.
    pub on_time: u64,
    /// Met after the due time.
    pub late: u64,
    /// Still running past due on an open case.
    pub overdue: u64,
    /// Still running and not yet due, or left running on a finished case.
    pub running: u64,
    /// `on_time / (met + overdue)` in percent.
    pub rate: Option<f64>,
}

impl ClockRate {
    /// Fills `late` and `rate` from the counts.
    pub fn finish(mut self) -> ClockRate {
        self.late = self.met.saturating_sub(self.on_time);
        self.rate = percent(self.on_time, self.met + self.overdue);
        self
    }
}

/// Handling time, received → resolved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Handling {
    /// Cases resolved (and not reopened since).
    pub resolved: u64,
    /// Average, in hours.
    pub avg_hours: Option<f64>,
    /// 90th percentile (nearest rank), in hours.
    pub p90_hours: Option<f64>,
}

/// How many follow-ups gave one score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreCount {
    /// 1 (very unsatisfied) … 5 (very satisfied).
    pub score: u8,
    /// Cases whose latest follow-up gave this score.
    pub count: u64,
}

/// Satisfaction of the latest regular follow-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Satisfaction {
    /// Scores 1–5 and their counts.
    pub distribution: Vec<ScoreCount>,
    /// Cases with a score.
    pub rated: u64,
    /// Cases scored at least `satisfied_min`.
    pub satisfied: u64,
    /// The lowest satisfied score (settings).
    pub satisfied_min: u8,
    /// `satisfied / rated` in percent.
    pub rate: Option<f64>,
}

/// The follow-up rate (回访率) against its target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUpRate {
    /// Follow-ups that were due (done, or past due).
    pub due: u64,
    /// Follow-ups done.
    pub done: u64,
    /// Follow-ups not due yet (not counted).
    pub pending: u64,
    /// `done / due` in percent.
    pub rate: Option<f64>,
    /// The target in percent (settings).
    pub target_percent: u32,
    /// Whether the rate is below the target.
    pub missed: bool,
}

impl FollowUpRate {
    /// Fills `rate` and `missed` from the counts.
    pub fn finish(mut self, target_percent: u32) -> FollowUpRate {
        self.rate = percent(self.done, self.due);
        self.target_percent = target_percent;
        self.missed = self.rate.is_some_and(|r| r < f64::from(target_percent));
        self
    }
}

/// The reopen rate (二次处理).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reopen {
    /// Cases resolved at least once.
    pub resolved: u64,
    /// Of those, reopened at least once.
    pub reopened: u64,
    /// Reopenings in total.
    pub reopenings: u64,
    /// `reopened / resolved` in percent.
    pub rate: Option<f64>,
}

/// One property's figures, with its valid-complaint rate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PropertyRow {
    /// The property id.
    pub property: String,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Households (户数).
    pub households: u32,
    /// Cases received.
    pub cases: u64,
    /// Valid complaints received.
    pub valid_complaints: u64,
    /// Valid complaints per household in the period, basis points.
    pub valid_rate_bp: Option<f64>,
    /// The same, annualized (see the module docs), basis points.
    pub valid_rate_annualized_bp: Option<f64>,
    /// The yearly target in basis points (settings; 100 = 1%).
    pub valid_target_bp: u32,
    /// Whether the annualized rate reaches the target.
    pub valid_missed: bool,
    /// The property's follow-up rate.
    pub follow_up: FollowUpRate,
    /// Its on-time rate over every clock, percent.
    pub on_time_rate: Option<f64>,
    /// Its satisfied rate, percent.
    pub satisfied_rate: Option<f64>,
    /// Its open cases past due now.
    pub overdue_open: u64,
}

/// A case to link to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseRef {
    /// The case id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    /// Its registration number.
    pub reg_no: String,
}

/// A unit with two or more cases in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepeatUnit {
    /// The property id.
    pub property: String,
    /// The unit id.
    pub unit: String,
    /// Property, building and unit for a person.
    pub label: String,
    /// The number of cases.
    pub count: u64,
    /// The cases, oldest first.
    pub cases: Vec<CaseRef>,
}

/// A phone number with two or more cases in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepeatComplainant {
    /// The phone (masked unless the role may see personal data).
    pub phone: String,
    /// The latest name given (masked likewise).
    pub name: String,
    /// The number of cases.
    pub count: u64,
    /// The cases, oldest first.
    pub cases: Vec<CaseRef>,
}

/// A department's performance (by the department a case is assigned to now).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentRow {
    /// The department.
    pub department: String,
    /// Cases assigned to it.
    pub cases: u64,
    /// Of those, resolved (and not reopened since).
    pub resolved: u64,
    /// Average handling time of those, hours.
    pub avg_handling_hours: Option<f64>,
    /// Its cases' clocks, all together.
    pub clocks: ClockRate,
}

/// An open case past due now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverdueCase {
    /// The case id (link: `/cases/{id}`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    /// Its registration number.
    pub reg_no: String,
    /// The property id.
    pub property: String,
    /// The property's name.
    pub property_name: String,
    /// Kind code.
    pub kind: String,
    /// State code.
    pub state: String,
    /// Category code.
    pub category: String,
    /// The responsible department, if assigned.
    pub department: Option<String>,
    /// The earliest due time of its running clocks.
    pub next_due_at: DateTime<Utc>,
    /// Hours past that.
    pub overdue_hours: f64,
    /// The codes of its clocks past due.
    pub clocks: Vec<String>,
}

/// The overdue list: every open case in the filter (whatever the period)
/// with a running clock past due now, most overdue first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overdue {
    /// How many there are.
    pub total: u64,
    /// The first [`OVERDUE_LIMIT`] of them.
    pub items: Vec<OverdueCase>,
}

/// The spot-check draws whose quarter overlaps the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpotCheckCounts {
    /// Draws.
    pub draws: u64,
    /// Cases sampled.
    pub sampled: u64,
    /// Sampled cases with a spot-check call recorded.
    pub called: u64,
    /// Of those, satisfied.
    pub satisfied: u64,
    /// `called / sampled` in percent.
    pub called_rate: Option<f64>,
    /// `satisfied / called` in percent.
    pub satisfied_rate: Option<f64>,
}

/// A target the figures miss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MissedTarget {
    /// `follow_up` or `valid_complaint`.
    pub target: String,
    /// The property, for per-property targets.
    pub property: Option<String>,
    /// What is missed, for a person.
    pub message: String,
}

/// Every statistic of docs/domain.md for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    /// The period.
    pub period: Period,
    /// Its first instant.
    pub start: DateTime<Utc>,
    /// The first instant after it.
    pub end: DateTime<Utc>,
    /// The property filter.
    pub property: Option<String>,
    /// The kind filter.
    pub kind: Option<String>,
    /// When the figures were computed.
    pub generated_at: DateTime<Utc>,
    /// Cases received in the period.
    pub total: u64,
    /// By kind.
    pub by_kind: Vec<Bucket>,
    /// By category.
    pub by_category: Vec<Bucket>,
    /// By property (every property in the filter, zeros included).
    pub by_property: Vec<Bucket>,
    /// By building (`key` = property id/building id; empty building = public area).
    pub by_building: Vec<Bucket>,
    /// By channel.
    pub by_channel: Vec<Bucket>,
    /// By severity (empty key = not assessed).
    pub by_severity: Vec<Bucket>,
    /// By state now.
    pub by_state: Vec<Bucket>,
    /// By month received (`YYYY-MM`), zeros included.
    pub by_month: Vec<Bucket>,
    /// On-time rate per clock.
    pub on_time: Vec<ClockRate>,
    /// All clocks together.
    pub on_time_overall: ClockRate,
    /// Handling time.
    pub handling: Handling,
    /// Satisfaction.
    pub satisfaction: Satisfaction,
    /// Follow-up rate.
    pub follow_up: FollowUpRate,
    /// Reopen rate.
    pub reopen: Reopen,
    /// Per property, with the valid-complaint rate.
    pub properties: Vec<PropertyRow>,
    /// Units with two or more cases.
    pub repeat_units: Vec<RepeatUnit>,
    /// Phone numbers with two or more cases.
    pub repeat_complainants: Vec<RepeatComplainant>,
    /// Per department.
    pub departments: Vec<DepartmentRow>,
    /// Open cases past due now.
    pub overdue: Overdue,
    /// The spot-check.
    pub spot_checks: SpotCheckCounts,
    /// Every target missed, for the dashboard's warnings.
    pub missed_targets: Vec<MissedTarget>,
}

impl Stats {
    /// Masks the complainants' names and phones, for roles that may not
    /// see personal data.
    pub fn mask_personal_data(&mut self) {
        for r in &mut self.repeat_complainants {
            r.phone = mask_phone(&r.phone);
            r.name = mask_name(&r.name);
        }
    }
}

/// One sampled case on the call list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpotCheckItem {
    /// Its place in the draw, from 1.
    pub position: u32,
    /// The case id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub case_id: CaseId,
    /// Its registration number (empty if the case was deleted since).
    pub reg_no: String,
    /// Building and unit.
    pub place: String,
    /// The complainant's name (masked unless the role may see it).
    pub complainant_name: String,
    /// The phone to call (masked likewise).
    pub phone: Option<String>,
    /// When the repair was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the spot-check call was recorded (the latest, if several).
    pub called_at: Option<DateTime<Utc>>,
    /// The score the resident gave on that call.
    pub satisfaction: Option<u8>,
    /// What they said.
    pub comment: Option<String>,
}

/// A spot-check draw (`POST /api/v1/spot-checks`): a property's sample of
/// a quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DrawRequest {
    /// The property id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub property: PropertyId,
    /// The year.
    pub year: i32,
    /// The quarter, 1–4.
    pub quarter: u32,
}

/// A recorded draw and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpotCheck {
    /// The draw's id.
    pub id: i64,
    /// The property id.
    pub property: String,
    /// Its name.
    pub property_name: String,
    /// The year.
    pub year: i32,
    /// The quarter.
    pub quarter: u32,
    /// The seed: drawing again from the same candidates with it gives the same sample.
    pub seed: u64,
    /// The share drawn, percent.
    pub percent: u32,
    /// How many completed repair cases there were to draw from.
    pub candidates: u64,
    /// Who drew.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub drawn_by: UserId,
    /// When.
    pub drawn_at: DateTime<Utc>,
    /// Cases sampled.
    pub sampled: u64,
    /// Of those, called.
    pub called: u64,
    /// Of those, satisfied (`Settings::satisfied_min` or more).
    pub satisfied: u64,
    /// The call list, in draw order.
    pub items: Vec<SpotCheckItem>,
}

impl SpotCheck {
    /// Masks names and phones for roles that may not see personal data.
    pub fn mask_personal_data(&mut self) {
        for item in &mut self.items {
            item.complainant_name = mask_name(&item.complainant_name);
            item.phone = item.phone.as_deref().map(mask_phone);
        }
    }
}

/// A folded case flattened to what the case list, the statistics and the
/// exports read: the server stores one per case next to the case's JSON.
/// Every value, the flags included, is worked out here from the case, so
/// the queries over these rows only filter and count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRow {
    /// The case id.
    pub id: CaseId,
    /// Its property.
    pub property: PropertyId,
    /// Registration number.
    pub reg_no: String,
    /// Kind.
    pub kind: CaseKind,
    /// State now.
    pub state: CaseState,
    /// Category code.
    pub category: String,
    /// Channel.
    pub channel: Channel,
    /// Severity, once assessed.
    pub severity: Option<Severity>,
    /// Validity, once assessed.
    pub validity: Option<Validity>,
    /// Assessed as urgent.
    pub urgent: bool,
    /// The building, unless the public area.
    pub building: Option<BuildingId>,
    /// The unit, when the case is about one.
    pub unit: Option<UnitId>,
    /// The first responder (首问责任人), who registered it.
    pub first_responder: UserId,
    /// The person assigned now, if a person is.
    pub assignee: Option<UserId>,
    /// The department responsible now.
    pub department: Option<String>,
    /// Complainant's name.
    pub complainant_name: String,
    /// Complainant's phone.
    pub complainant_phone: Option<String>,
    /// The start of the content (at most [`SUMMARY_CHARS`] characters).
    pub summary: String,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Recorded.
    pub recorded_at: DateTime<Utc>,
    /// Latest resolution.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closure.
    pub closed_at: Option<DateTime<Utc>>,
    /// [`Case::next_due`].
    pub next_due_at: Option<DateTime<Utc>>,
    /// Reopenings.
    pub reopen_count: u32,
    /// [`Case::latest_satisfaction`].
    pub satisfaction: Option<u8>,
    /// When the latest spot-check call was made.
    pub spot_check_at: Option<DateTime<Utc>>,
    /// The score of that call.
    pub spot_check_satisfaction: Option<u8>,
    /// Escalated at least once.
    pub escalated: bool,
    /// Conflicts nobody has resolved yet.
    pub open_conflicts: usize,
    /// Ops that broke a rule.
    pub violations: usize,
    /// [`CaseState::is_open`]: its clocks still run.
    pub open: bool,
    /// [`Case::is_completed`].
    pub completed: bool,
    /// [`Case::is_valid_complaint`].
    pub valid_complaint: bool,
}

/// How much of the content a [`CaseRow`] keeps as its summary.
pub const SUMMARY_CHARS: usize = 80;

impl CaseRow {
    /// The row of a folded case.
    pub fn of(case: &Case) -> CaseRow {
        let reg = &case.registration;
        let (building, unit) = match reg.location {
            Location::Unit { building, unit } => (Some(building), Some(unit)),
            Location::Building { building } => (Some(building), None),
            Location::PublicArea => (None, None),
        };
        let spot_check = case.latest_spot_check();
        CaseRow {
            id: case.id,
            property: reg.property,
            reg_no: reg.reg_no.to_string(),
            kind: reg.kind,
            state: case.state,
            category: reg.category.clone(),
            channel: reg.channel,
            severity: case.assessment.as_ref().map(|a| a.severity),
            validity: case.assessment.as_ref().map(|a| a.validity),
            urgent: case.assessment.as_ref().is_some_and(|a| a.urgent),
            building,
            unit,
            first_responder: case.registered.by,
            assignee: case.assignee.as_ref().and_then(|a| a.user),
            department: case.assignee.as_ref().map(|a| a.department.clone()),
            complainant_name: reg.complainant.name.clone(),
            complainant_phone: reg.complainant.phone.as_ref().map(|p| p.to_string()),
            summary: reg.content.chars().take(SUMMARY_CHARS).collect(),
            received_at: reg.received_at,
            recorded_at: case.registered.at,
            resolved_at: case.resolution.as_ref().map(|r| r.stamp.at),
            closed_at: case.closure.as_ref().map(|c| c.stamp.at),
            next_due_at: case.next_due(),
            reopen_count: case.reopen_count,
            satisfaction: case.latest_satisfaction(),
            spot_check_at: spot_check.map(|f| f.stamp.at),
            spot_check_satisfaction: spot_check.map(|f| f.satisfaction),
            escalated: case.escalated(),
            open_conflicts: case.open_conflicts().count(),
            violations: case.violations.len(),
            open: case.state.is_open(),
            completed: case.is_completed(),
            valid_complaint: case.is_valid_complaint(),
        }
    }
}

/// Where an export page ends: the last row's `(received_at, id)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCursor {
    /// The stored `received_at` text.
    pub received_at: String,
    /// The case id.
    pub id: String,
}

/// One case as exported, before labelling and masking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRow {
    /// Case id.
    pub id: String,
    /// Registration number.
    pub reg_no: String,
    /// Kind code.
    pub kind: String,
    /// State code.
    pub state: String,
    /// Property id.
    pub property: String,
    /// Building id.
    pub building: Option<String>,
    /// Unit id.
    pub unit: Option<String>,
    /// Category code.
    pub category: String,
    /// Channel code.
    pub channel: String,
    /// Complainant's name.
    pub complainant_name: String,
    /// Complainant's phone.
    pub complainant_phone: Option<String>,
    /// Content.
    pub content: String,
    /// Requested remedy.
    pub requested_remedy: String,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Recorded.
    pub recorded_at: DateTime<Utc>,
    /// Severity code.
    pub severity: Option<String>,
    /// Validity code.
    pub validity: Option<String>,
    /// Urgent flag.
    pub urgent: bool,
    /// Responsible department.
    pub department: Option<String>,
    /// Responsible person.
    pub assignee_name: Option<String>,
    /// Result.
    pub result: Option<String>,
    /// Latest resolution.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closure.
    pub closed_at: Option<DateTime<Utc>>,
    /// Earliest running due time.
    pub next_due_at: Option<DateTime<Utc>>,
    /// Reopenings.
    pub reopen_count: u32,
    /// Latest regular follow-up score.
    pub satisfaction: Option<u8>,
    /// Escalated.
    pub escalated: bool,
    /// The keyset cursor after this row.
    pub cursor: ExportCursor,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Assessment, ContactMethod, FollowUp, Resolution};
    use crate::deadline::{Clock, ClockState};

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

    #[test]
    fn rates_round_to_two_decimals() {
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(1, 3), Some(33.33));
        assert_eq!(percent(2, 3), Some(66.67));
        assert_eq!(percent(10, 11), Some(90.91));
        assert_eq!(percent(5, 5), Some(100.0));
    }

    #[test]
    fn nearest_rank_percentile() {
        let check = |n, p, rank| assert_eq!(nearest_rank(n, p), rank, "n={n} p={p}");
        check(0, 90, None);
        check(1, 90, Some(1));
        check(5, 90, Some(5));
        check(10, 90, Some(9));
        check(11, 90, Some(10));
        check(14, 90, Some(13));
        check(20, 90, Some(18));
        check(100, 90, Some(90));
        check(10, 50, Some(5));
        check(10, 0, Some(1));
    }

    #[test]
    fn valid_complaint_rate_is_annualized_by_days() {
        let year = Period::containing(PeriodKind::Year, d("2025-01-01")).unwrap();
        let q1 = Period::quarter(2025, 1).unwrap();
        let march = Period::containing(PeriodKind::Month, d("2025-03-01")).unwrap();
        assert_eq!(valid_complaint_rate(4, 400, &year), Some((100.0, 100.0)));
        // 3 / 400 = 75 bp in 90 days: 75 × 365 / 90 = 304.17 bp a year.
        assert_eq!(valid_complaint_rate(3, 400, &q1), Some((75.0, 304.17)));
        assert_eq!(valid_complaint_rate(1, 250, &march), Some((40.0, 470.97)));
        assert_eq!(valid_complaint_rate(1, 0, &q1), None);
    }

    #[test]
    fn sample_size_rounds_up_and_takes_at_least_one() {
        let check = |n, pct, k| assert_eq!(sample_size(n, pct), k, "n={n} pct={pct}");
        check(0, 20, 0);
        check(1, 20, 1);
        check(5, 20, 1);
        check(6, 20, 2);
        check(7, 20, 2);
        check(10, 20, 2);
        check(11, 20, 3);
        check(100, 20, 20);
        check(3, 100, 3);
    }

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // From the reference implementation (seed 1234567).
        let mut rng = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn draws_are_reproducible_and_distinct() {
        let candidates: Vec<u32> = (0..50).collect();
        let a = draw_sample(&candidates, 20, 42);
        assert_eq!(a.len(), 10);
        assert_eq!(
            a,
            draw_sample(&candidates, 20, 42),
            "same seed, same sample"
        );
        assert_ne!(
            a,
            draw_sample(&candidates, 20, 43),
            "another seed, another sample"
        );
        let mut distinct = a.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), a.len(), "no case drawn twice");
        assert!(draw_sample::<u32>(&[], 20, 1).is_empty());
        assert_eq!(draw_sample(&[7], 20, 1), vec![7]);
    }

    #[test]
    fn draws_cover_every_candidate_over_many_seeds() {
        let candidates: Vec<u32> = (0..10).collect();
        let mut seen = [0u32; 10];
        for seed in 0..2000 {
            for c in draw_sample(&candidates, 20, seed) {
                seen[c as usize] += 1;
            }
        }
        // 4000 picks over 10 candidates: each near 400.
        assert!(seen.iter().all(|&n| (300..500).contains(&n)), "{seen:?}");
    }

    /// A complaint registered by a simulated device, folded.
    fn complaint() -> Case {
        use crate::sim::Fleet;
        let mut fleet = Fleet::new(
            &[(crate::role::Role::Staff, 0)],
            PropertyId(uuid::Uuid::from_u128(7)),
            0,
        );
        let now = "2026-03-02T01:00:00Z".parse().unwrap();
        // Choice 0 registers a complaint (`CaseKind::ALL[0]`).
        let op = fleet.register(0, now, 0);
        crate::fold::fold(&[op], fleet.ctx()).unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn clock(clock: Clock, due: &str, met: Option<&str>) -> ClockState {
        ClockState {
            clock,
            started_at: t("2026-03-01T00:00:00Z"),
            due_at: t(due),
            met_at: met.map(t),
            extended_working_days: 0,
        }
    }

    fn follow_up(score: u8, spot_check: bool, case: &Case) -> FollowUp {
        FollowUp {
            method: ContactMethod::Phone,
            satisfaction: score,
            comment: String::new(),
            spot_check,
            stamp: case.registered.clone(),
        }
    }

    #[test]
    fn next_due_is_the_earliest_running_clock_of_an_open_case() {
        let mut case = complaint();
        case.deadlines = vec![
            clock(
                Clock::Transfer,
                "2026-03-02T02:00:00Z",
                Some("2026-03-02T01:30:00Z"),
            ),
            clock(Clock::Solution, "2026-03-05T15:59:59Z", None),
            clock(Clock::InitialAssessment, "2026-03-03T15:59:59Z", None),
        ];
        assert_eq!(case.next_due(), Some(t("2026-03-03T15:59:59Z")));
        assert_eq!(CaseRow::of(&case).next_due_at, case.next_due());
        for finished in [CaseState::Closed, CaseState::Withdrawn] {
            case.state = finished;
            assert_eq!(case.next_due(), None, "{finished:?}");
        }
    }

    #[test]
    fn next_clock_keeps_the_clocks_a_finished_case_left_running() {
        let mut case = complaint();
        case.deadlines = vec![
            clock(Clock::Solution, "2026-03-05T15:59:59Z", None),
            clock(
                Clock::Transfer,
                "2026-03-02T02:00:00Z",
                Some("2026-03-02T01:30:00Z"),
            ),
            clock(Clock::InitialAssessment, "2026-03-03T15:59:59Z", None),
        ];
        let due = |c: &Case| c.next_clock().map(|c| c.clock);
        assert_eq!(due(&case), Some(Clock::InitialAssessment));
        case.state = CaseState::Withdrawn;
        assert_eq!(due(&case), Some(Clock::InitialAssessment));
        assert_eq!(case.next_due(), None);
        case.deadlines.retain(|c| c.met_at.is_some());
        assert_eq!(due(&case), None);
    }

    #[test]
    fn only_an_open_case_with_a_clock_past_due_is_overdue() {
        let mut case = complaint();
        case.deadlines = vec![clock(Clock::Solution, "2026-03-05T15:59:59Z", None)];
        assert!(!case.is_overdue(t("2026-03-05T15:59:59Z")));
        assert!(case.is_overdue(t("2026-03-05T16:00:00Z")));
        case.deadlines[0].met_at = Some(t("2026-03-05T12:00:00Z"));
        assert!(!case.is_overdue(t("2026-03-06T00:00:00Z")));
        case.deadlines[0].met_at = None;
        case.state = CaseState::Closed;
        assert!(!case.is_overdue(t("2026-03-06T00:00:00Z")));
    }

    #[test]
    fn satisfaction_is_the_latest_regular_follow_up() {
        let mut case = complaint();
        assert_eq!(case.latest_satisfaction(), None);
        case.follow_ups = vec![
            follow_up(2, false, &case),
            follow_up(5, false, &case),
            follow_up(1, true, &case),
        ];
        assert_eq!(case.latest_satisfaction(), Some(5));
        assert_eq!(case.latest_spot_check().map(|f| f.satisfaction), Some(1));
        let row = CaseRow::of(&case);
        assert_eq!(
            (row.satisfaction, row.spot_check_satisfaction),
            (Some(5), Some(1))
        );
    }

    #[test]
    fn row_flags_follow_the_state_and_the_assessment() {
        let mut case = complaint();
        let row = CaseRow::of(&case);
        assert!(row.open && !row.completed && !row.valid_complaint);
        assert_eq!(row.summary, case.registration.content);
        case.resolution = Some(Resolution {
            result: "done".into(),
            feedback_method: ContactMethod::Phone,
            feedback_at: None,
            on_the_spot: false,
            stamp: case.registered.clone(),
        });
        let completed = |state| {
            let mut c = case.clone();
            c.state = state;
            CaseRow::of(&c).completed
        };
        for state in CaseState::ALL {
            let finished = matches!(
                state,
                CaseState::Resolved | CaseState::FollowedUp | CaseState::Closed
            );
            assert_eq!(completed(state), finished, "{state:?}");
        }
        case.assessment = Some(Assessment {
            severity: Severity::Major,
            urgent: true,
            validity: Validity::Valid,
            reason: String::new(),
            stamp: case.registered.clone(),
        });
        case.state = CaseState::Withdrawn;
        let row = CaseRow::of(&case);
        assert!(!row.open && row.valid_complaint && row.urgent);
        assert_eq!(
            (row.severity, row.validity),
            (Some(Severity::Major), Some(Validity::Valid))
        );
        case.registration.content = "长".repeat(100);
        assert_eq!(CaseRow::of(&case).summary.chars().count(), SUMMARY_CHARS);
    }
}
