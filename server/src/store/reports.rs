//! Head-office reports: the statistics (统计分析), the quarterly spot-check
//! (抽查回访) and the streamed case exports, as a storage interface
//! ([`Reports`]) with the pure arithmetic around it.
//!
//! The SQL lives in `sqlite_reports.rs`. Everything in this file does no
//! IO, so the definitions below are unit-tested on their own:
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

use super::AuditEntry;
use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use shared::case::{CaseKind, CaseState, Channel};
use shared::category::Category;
use shared::deadline::Clock;
use shared::id::{CaseId, PropertyId, UserId};
use shared::lang::Lang;
use shared::property::{Location, Property};
use shared::role::{Scope, mask_name, mask_phone};
use shared::settings::Settings;
use shared::validation::{FIRST_YEAR, LAST_YEAR, date_in_range};
use std::collections::BTreeMap;

use super::{CaseFilter, StoreResult};

/// The longest custom period, in days (five years and a leap day or two).
pub const MAX_CUSTOM_DAYS: i64 = 366 * 5;

/// The most overdue cases listed in the statistics (the total is exact).
pub const OVERDUE_LIMIT: u32 = 200;

/// The most repeat units or repeat complainants listed.
pub const REPEAT_LIMIT: u32 = 100;

/// The queries head office needs, next to [`super::Store`].
pub trait Reports {
    /// The statistics of one period, for the cases in the query's scope.
    fn stats(&self, query: &StatsQuery) -> StoreResult<Stats>;

    /// Draws and records the spot-check sample of one property and quarter.
    /// Fails with `Conflict` when that quarter is already drawn: a sample is
    /// drawn once, so that nobody can draw again until it suits them.
    /// The draw is audited in its own transaction (the detail gains the
    /// draw's id, seed and counts).
    fn draw_spot_check(&self, draw: &SpotCheckDraw, audit: &AuditEntry) -> StoreResult<SpotCheck>;

    /// The recorded draws in `scope`, newest quarter first, with each
    /// sampled case and the outcome of its spot-check call.
    fn spot_checks(&self, scope: &Scope, filter: &SpotCheckFilter) -> StoreResult<Vec<SpotCheck>>;

    /// How many cases an export of `filter` in `scope` holds.
    fn export_count(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// The next `limit` export rows after `after`, in `(received_at, id)`
    /// order. Exports walk the cases in such pages (keyset pagination), so
    /// no request ever holds more than one page and the store's lock is
    /// free between pages.
    fn export_page(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        after: Option<&ExportCursor>,
        limit: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ExportRow>>;
}

/// Which calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// A calendar month.
    Month,
    /// A calendar quarter (Q1 = January–March).
    Quarter,
    /// A calendar year.
    Year,
    /// Any range of whole days.
    Custom,
}

impl PeriodKind {
    /// Parses `month`, `quarter`, `year` or `custom`.
    pub fn from_code(code: &str) -> Option<PeriodKind> {
        match code {
            "month" => Some(PeriodKind::Month),
            "quarter" => Some(PeriodKind::Quarter),
            "year" => Some(PeriodKind::Year),
            "custom" => Some(PeriodKind::Custom),
            _ => None,
        }
    }
}

/// A range of whole local days, `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// A statistics request, resolved: the period's instants are computed once
/// from the company timezone, and the thresholds copied from the settings.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    /// The caller's scope.
    pub scope: Scope,
    /// Only this property.
    pub property: Option<PropertyId>,
    /// Only this kind.
    pub kind: Option<CaseKind>,
    /// The period.
    pub period: Period,
    /// Its first instant.
    pub start: DateTime<Utc>,
    /// The first instant after it.
    pub end: DateTime<Utc>,
    /// The month buckets: label and instants.
    pub months: Vec<(String, DateTime<Utc>, DateTime<Utc>)>,
    /// What "overdue" is measured against.
    pub now: DateTime<Utc>,
    /// The lowest satisfied score.
    pub satisfied_min: u8,
    /// The follow-up target, in percent.
    pub follow_up_target_percent: u32,
    /// The valid-complaint target, in basis points per year.
    pub valid_complaint_target_bp: u32,
    /// The language of the labels.
    pub lang: Lang,
}

impl StatsQuery {
    /// Resolves a request against the company settings.
    pub fn new(
        scope: Scope,
        property: Option<PropertyId>,
        kind: Option<CaseKind>,
        period: Period,
        settings: &Settings,
        now: DateTime<Utc>,
        lang: Lang,
    ) -> StatsQuery {
        let tz = settings.tz();
        let months = period
            .months()
            .into_iter()
            .map(|(label, first, after)| {
                (
                    label,
                    local_midnight(first, &tz),
                    local_midnight(after, &tz),
                )
            })
            .collect();
        StatsQuery {
            scope,
            property,
            kind,
            start: period.start(&tz),
            end: period.end(&tz),
            period,
            months,
            now,
            satisfied_min: settings.satisfied_min,
            follow_up_target_percent: settings.follow_up_target_percent,
            valid_complaint_target_bp: settings.valid_complaint_target_bp,
            lang,
        }
    }
}

/// Names for the codes stored on cases, in one language.
#[derive(Debug, Clone)]
pub struct Labels {
    lang: Lang,
    properties: BTreeMap<String, Property>,
    categories: BTreeMap<String, Category>,
}

impl Labels {
    /// Labels from the properties and categories as configured now.
    pub fn new(lang: Lang, properties: Vec<Property>, categories: Vec<Category>) -> Labels {
        Labels {
            lang,
            properties: properties
                .into_iter()
                .map(|p| (p.id.to_string(), p))
                .collect(),
            categories: categories
                .into_iter()
                .map(|c| (c.code.clone(), c))
                .collect(),
        }
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Picks the text for the language.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }

    /// A property's name (its id when unknown).
    pub fn property(&self, id: &str) -> String {
        self.properties
            .get(id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    }

    /// A property's code.
    pub fn property_code(&self, id: &str) -> String {
        self.properties
            .get(id)
            .map_or_else(String::new, |p| p.code.clone())
    }

    /// A building's name within its property.
    pub fn building(&self, property: &str, building: Option<&str>) -> String {
        let Some(building) = building else {
            return self.pick("公共区域", "Public area").into();
        };
        self.properties
            .get(property)
            .and_then(|p| p.buildings.iter().find(|b| b.id.to_string() == building))
            .map_or_else(|| building.to_string(), |b| b.name.clone())
    }

    /// A case's place: building and unit, or the public area.
    pub fn place(&self, property: &str, building: Option<&str>, unit: Option<&str>) -> String {
        let location = match (
            building.and_then(|b| b.parse().ok()),
            unit.and_then(|u| u.parse().ok()),
        ) {
            (Some(building), Some(unit)) => Location::Unit { building, unit },
            (Some(building), None) => Location::Building { building },
            _ => Location::PublicArea,
        };
        if location == Location::PublicArea {
            return self.pick("公共区域", "Public area").into();
        }
        self.properties
            .get(property)
            .map(|p| p.describe(&location))
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| unit.or(building).unwrap_or_default().to_string())
    }

    /// A category's name (its code when unknown).
    pub fn category(&self, code: &str) -> String {
        self.categories
            .get(code)
            .map_or_else(|| code.to_string(), |c| c.name(self.lang).to_string())
    }

    /// A case kind's name.
    pub fn kind(&self, code: &str) -> String {
        CaseKind::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .map_or_else(|| code.to_string(), |k| k.label(self.lang).to_string())
    }

    /// A channel's name.
    pub fn channel(&self, code: &str) -> String {
        Channel::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .map_or_else(|| code.to_string(), |c| c.label(self.lang).to_string())
    }

    /// A state's name.
    pub fn state(&self, code: &str) -> String {
        CaseState::from_code(code)
            .map_or_else(|| code.to_string(), |s| s.label(self.lang).to_string())
    }

    /// A severity's name; no severity means not assessed yet.
    pub fn severity(&self, code: Option<&str>) -> String {
        let (zh, en) = match code {
            None | Some("") => ("未评估", "Not assessed"),
            Some("minor") => ("轻微", "Minor"),
            Some("general") => ("一般", "General"),
            Some("major") => ("重大", "Major"),
            Some(other) => return other.to_string(),
        };
        self.pick(zh, en).into()
    }

    /// A validity's name.
    pub fn validity(&self, code: Option<&str>) -> String {
        match code {
            None | Some("") => String::new(),
            Some("valid") => self.pick("有效投诉", "Valid").into(),
            Some("unfounded") => self.pick("不成立", "Unfounded").into(),
            Some(other) => other.to_string(),
        }
    }

    /// A deadline clock's name.
    pub fn clock(&self, code: &str) -> String {
        Clock::from_code(code).map_or_else(|| code.to_string(), |c| c.label(self.lang).to_string())
    }

    /// Yes or no.
    pub fn yes_no(&self, yes: bool) -> String {
        if yes {
            self.pick("是", "Yes").into()
        } else {
            self.pick("否", "No").into()
        }
    }
}

/// One row of a count table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bucket {
    /// The code or id counted by (empty for "none").
    pub key: String,
    /// Its name for a person.
    pub label: String,
    /// The number of cases.
    pub count: u64,
}

/// The counts of one deadline clock (or of all clocks together).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Handling {
    /// Cases resolved (and not reopened since).
    pub resolved: u64,
    /// Average, in hours.
    pub avg_hours: Option<f64>,
    /// 90th percentile (nearest rank), in hours.
    pub p90_hours: Option<f64>,
}

/// How many follow-ups gave one score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoreCount {
    /// 1 (very unsatisfied) … 5 (very satisfied).
    pub score: u8,
    /// Cases whose latest follow-up gave this score.
    pub count: u64,
}

/// Satisfaction of the latest regular follow-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseRef {
    /// The case id.
    #[schema(value_type = String)]
    pub id: CaseId,
    /// Its registration number.
    pub reg_no: String,
}

/// A unit with two or more cases in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverdueCase {
    /// The case id (link: `/cases/{id}`).
    #[schema(value_type = String)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Overdue {
    /// How many there are.
    pub total: u64,
    /// The first [`OVERDUE_LIMIT`] of them.
    pub items: Vec<OverdueCase>,
}

/// The spot-check draws whose quarter overlaps the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MissedTarget {
    /// `follow_up` or `valid_complaint`.
    pub target: String,
    /// The property, for per-property targets.
    pub property: Option<String>,
    /// What is missed, for a person.
    pub message: String,
}

/// Every statistic of docs/domain.md for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// Which draws to list.
#[derive(Debug, Clone, Default)]
pub struct SpotCheckFilter {
    /// Only this property.
    pub property: Option<PropertyId>,
    /// Only this year.
    pub year: Option<i32>,
    /// Only this quarter.
    pub quarter: Option<u32>,
}

/// A draw to make.
#[derive(Debug, Clone)]
pub struct SpotCheckDraw {
    /// The property.
    pub property: PropertyId,
    /// The quarter's year.
    pub year: i32,
    /// The quarter (1–4).
    pub quarter: u32,
    /// The quarter's first instant.
    pub start: DateTime<Utc>,
    /// The first instant after it.
    pub end: DateTime<Utc>,
    /// The seed.
    pub seed: u64,
    /// The share to draw, percent.
    pub percent: u32,
    /// Who draws.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

/// One sampled case on the call list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpotCheckItem {
    /// Its place in the draw, from 1.
    pub position: u32,
    /// The case id.
    #[schema(value_type = String)]
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

/// A recorded draw and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
    #[schema(value_type = String)]
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

/// Where an export page ends: the last row's `(received_at, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCursor {
    /// The stored `received_at` text.
    pub received_at: String,
    /// The case id.
    pub id: String,
}

/// One case as exported, before labelling and masking.
#[derive(Debug, Clone, PartialEq)]
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

    #[test]
    fn labels_fall_back_to_codes() {
        let labels = Labels::new(
            Lang::ZhCn,
            Vec::new(),
            shared::category::default_categories(),
        );
        assert_eq!(labels.kind("repair"), "报修");
        assert_eq!(labels.category("noise"), "噪音");
        assert_eq!(labels.category("retired_code"), "retired_code");
        assert_eq!(labels.severity(None), "未评估");
        assert_eq!(labels.channel("walk_in"), "来访/现场");
        assert_eq!(labels.place("p", None, None), "公共区域");
        let en = Labels::new(Lang::En, Vec::new(), shared::category::default_categories());
        assert_eq!(en.state("followed_up"), "Followed up");
        assert_eq!(en.clock("transfer"), "Transfer to department");
    }
}
