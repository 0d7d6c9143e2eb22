//! Deadline clocks (时限): the rules, the engine that turns a start instant
//! into a due instant, and the status of a clock at a given moment.
//!
//! Two kinds of rule exist ([`DeadlineRule`]):
//! - `Hours(n)`: natural hours from the start instant, whatever the day;
//! - `WorkingDays(n)`: ends at 23:59:59 local time of the n-th working day
//!   strictly after the start's *local* date. Local means the company's
//!   timezone (default Asia/Shanghai), so a complaint received at 01:00 on
//!   1 October in Shanghai counts from 1 October even though it is still
//!   30 September in UTC.
//!
//! Which clocks a case has, when they start and when they are met is the
//! fold's business (`fold.rs`); this module only computes.
//!
//! **Architecture Invariant:** nothing here reads the clock. `now` is always
//! an argument, so the tablet and the server give the same answer.
//!
//! More than half of this file is its tests: the clocks against the real
//! 2025 and 2026 calendars.

use crate::calendar::{Calendar, CalendarError};
use crate::case::Severity;
use crate::code::coded_enum;
use chrono::offset::LocalResult;
use chrono::{
    DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, SubsecRound, TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long a clock runs.
///
/// JSON shape (stable): `{"hours":24}` or `{"working_days":3}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeadlineRule {
    /// Natural hours from the start instant.
    Hours(u32),
    /// Until 23:59:59 local time of the n-th working day strictly after the
    /// start's local date.
    WorkingDays(u32),
}

/// The longest rule in hours a company may set: 30 days. Longer is a typo
/// (a clock of zero hours would be overdue the moment it starts).
pub const MAX_HOURS: u32 = 720;
/// The longest rule in working days: about six weeks, far past the
/// regulations' 7-working-day special case, and short enough that a clock
/// never needs a calendar year beyond the next.
pub const MAX_WORKING_DAYS: u32 = 30;

impl DeadlineRule {
    /// Whether the rule is at least one hour or working day and at most
    /// [`MAX_HOURS`] or [`MAX_WORKING_DAYS`].
    pub fn fits(self) -> bool {
        match self {
            DeadlineRule::Hours(h) => (1..=MAX_HOURS).contains(&h),
            DeadlineRule::WorkingDays(d) => (1..=MAX_WORKING_DAYS).contains(&d),
        }
    }
}

coded_enum! {
    /// A deadline clock from the docs/domain.md table.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum Clock {
        /// Register a case received in writing, in person or passed on by
        /// another office within this long of receipt (003: 书面投诉、当面口头
        /// 投诉或转交投诉在24小时内登记). A phone call is registered while the
        /// caller is on the line, so it has no such clock. The code keeps
        /// its first name, from when only written cases had the clock,
        /// because stored settings and statistics name it.
        RegisterWritten = ("register_written", "受理登记", "Register the case"),
        /// Transfer to the responsible department. A complaint must be
        /// assessed before it can be assigned (`workflow`), so its clock
        /// starts at the assessment; other kinds start at registration.
        Transfer = ("transfer", "转交责任部门", "Transfer to department"),
        /// The department starts work after the transfer.
        DepartmentStart = ("department_start", "部门开始处理", "Department starts work"),
        /// Initial assessment (初步评估).
        InitialAssessment = ("initial_assessment", "初步评估", "Initial assessment"),
        /// Urgent case: contact the complainant.
        UrgentContact = ("urgent_contact", "紧急：联系客户", "Urgent: contact the resident"),
        /// Urgent case: be on site.
        UrgentOnSite = ("urgent_on_site", "紧急：到达现场", "Urgent: on site"),
        /// Investigation done after assignment.
        Investigation = ("investigation", "调查完成", "Investigation done"),
        /// Solution / reply to the complainant after receipt. Extensions
        /// (a special case, 特殊状况) move it out, never past
        /// [`DeadlineSettings::special_case_working_days`] after receipt.
        Solution = ("solution", "答复处理方案", "Solution and reply"),
        /// Feedback of the result after completion: met when someone tells
        /// the complainant (a `feedback` op, or the follow-up call if it
        /// comes first), not when the work is marked done.
        Feedback = ("feedback", "结果反馈", "Feedback of result"),
        /// Follow-up call or visit (回访) of a complaint after resolution.
        FollowUpComplaint = ("follow_up_complaint", "投诉回访", "Follow-up (complaint)"),
        /// Follow-up of a repair: end of the next working day after completion.
        FollowUpRepair = ("follow_up_repair", "报修回访", "Follow-up (repair)"),
        /// A case assessed as major (重大) is reported (上报) to the manager
        /// and head office: met by the case's first escalation.
        MajorReport = ("major_report", "重大工单上报", "Report a major case"),
    }
}

impl Clock {
    /// The clocks of the responsible department's own work, which its
    /// performance (部门绩效) is judged by: starting, being on site when
    /// urgent, the investigation and the solution. The registration, the
    /// transfer, the feedback and the callback are the front desk's and
    /// the manager's.
    pub const DEPARTMENT: [Clock; 4] = [
        Clock::DepartmentStart,
        Clock::UrgentOnSite,
        Clock::Investigation,
        Clock::Solution,
    ];
}

/// The deadline part of the company settings: one rule per clock, the
/// due-soon window and the extension cap.
///
/// Every field falls back to its default when missing, so settings saved
/// before a clock existed still load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DeadlineSettings {
    /// [`Clock::RegisterWritten`], default 24 hours.
    pub register_written: DeadlineRule,
    /// [`Clock::Transfer`], default 1 hour.
    pub transfer: DeadlineRule,
    /// [`Clock::DepartmentStart`], default 2 hours.
    pub department_start: DeadlineRule,
    /// [`Clock::InitialAssessment`], default 1 working day.
    pub initial_assessment: DeadlineRule,
    /// [`Clock::UrgentContact`], default 2 hours.
    pub urgent_contact: DeadlineRule,
    /// [`Clock::UrgentOnSite`], default 8 hours.
    pub urgent_on_site: DeadlineRule,
    /// [`Clock::Investigation`], default 2 working days.
    pub investigation: DeadlineRule,
    /// [`Clock::Solution`], default 3 working days.
    pub solution: DeadlineRule,
    /// [`Clock::Solution`] for a case assessed with this severity, instead
    /// of `solution`. The regulation (001) gives 一般, 复杂 and 紧急 cases
    /// their own periods but leaves the numbers to the company, so none is
    /// set by default.
    pub solution_by_severity: BTreeMap<Severity, DeadlineRule>,
    /// A special case (特殊状况, one that was extended) is solved within
    /// this many working days of receipt (003: 处理期限不能超过三个工作日,
    /// 特殊状况不能超过七个工作日), default 7. Extensions therefore total at
    /// most this less the solution clock's working days.
    pub special_case_working_days: u32,
    /// [`Clock::Feedback`], default 24 hours.
    pub feedback: DeadlineRule,
    /// [`Clock::FollowUpComplaint`], default 3 working days.
    pub follow_up_complaint: DeadlineRule,
    /// [`Clock::FollowUpRepair`], default 1 working day.
    pub follow_up_repair: DeadlineRule,
    /// [`Clock::MajorReport`], default 2 hours.
    pub major_report: DeadlineRule,
    /// A running clock is "due soon" this many hours before it is due
    /// (default 4).
    pub due_soon_hours: u32,
}

coded_enum! {
    /// Where a clock stands at a given moment.
    pub enum ClockStatus {
        /// Running, not yet within the due-soon window.
        Pending = ("pending", "进行中", "Pending"),
        /// Running and due within the due-soon window.
        DueSoon = ("due_soon", "即将到期", "Due soon"),
        /// Running and past due.
        Overdue = ("overdue", "已超时", "Overdue"),
        /// Met at or before the due time.
        MetOnTime = ("met_on_time", "按时完成", "Met on time"),
        /// Met after the due time.
        MetLate = ("met_late", "超时完成", "Met late"),
        /// Taken away unmet after it had run out (see
        /// [`ClockState::taken_unmet`]): missed, and owed no more.
        Missed = ("missed", "超时未完成", "Missed"),
    }
}

/// One started clock of a case, as the fold computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockState {
    /// Which clock.
    pub clock: Clock,
    /// When it started.
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub started_at: DateTime<Utc>,
    /// When it is due, extensions included.
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub due_at: DateTime<Utc>,
    /// When it was met, if it was; with [`ClockState::taken_unmet`], when
    /// it was taken away instead.
    pub met_at: Option<DateTime<Utc>>,
    /// How many working days extensions added to `due_at`.
    pub extended_working_days: u32,
    /// Taken away unmet after it had run out, by a reopening or a new
    /// assessment: it ended at `met_at` without being met, and counts as
    /// missed (a callback taken away so was never made). Absent from the
    /// JSON when false, so cases stored before it read the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub taken_unmet: bool,
}

/// When a clock started at `start` under `rule` is due.
///
/// Errs only for a working-day rule that needs a year the calendar has not
/// loaded. An hours rule so large that it leaves chrono's range is due at
/// the last representable instant, which in practice means never.
pub fn due_at(
    start: DateTime<Utc>,
    rule: DeadlineRule,
    tz: Tz,
    cal: &Calendar,
) -> Result<DateTime<Utc>, CalendarError> {
    match rule {
        DeadlineRule::Hours(hours) => Ok(start
            .checked_add_signed(Duration::hours(i64::from(hours)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)),
        DeadlineRule::WorkingDays(days) => {
            let day = cal.add_working_days(local_date(start, tz), days)?;
            Ok(end_of_local_day(day, tz))
        }
    }
}

/// Moves `due` by `working_days`: to the end of the n-th working day
/// strictly after `due`'s local date. Zero leaves `due` unchanged, even
/// when it is not at the end of a day, because an extension of nothing
/// should change nothing.
pub fn extend_due(
    due: DateTime<Utc>,
    working_days: u32,
    tz: Tz,
    cal: &Calendar,
) -> Result<DateTime<Utc>, CalendarError> {
    if working_days == 0 {
        return Ok(due);
    }
    let day = cal.add_working_days(local_date(due, tz), working_days)?;
    Ok(end_of_local_day(day, tz))
}

/// When a running clock counts as due soon: at most `window` is left, or
/// it is due today where the company is. A clock counted in working days
/// ends at its day's last second, so the window alone would show it only
/// in that day's evening, after office hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueSoon {
    /// The company's due-soon window (`due_soon_hours`).
    pub window: Duration,
    /// The company's time zone, whose day "today" is.
    pub tz: Tz,
}

/// Whether a clock due at `due` was met on time by `met`. Deadlines are
/// kept to the second (a working day ends at 23:59:59) while ops carry
/// milliseconds: what is done within the last second is on time.
pub fn met_on_time(met: DateTime<Utc>, due: DateTime<Utc>) -> bool {
    met.trunc_subsecs(0) <= due
}

/// Whether a clock due at `due` had run out by `at`: not while an act
/// then would still meet it on time ([`met_on_time`]), so that a clock
/// ended or taken away within its due second was not missed.
pub fn ran_out(due: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    !met_on_time(at, due)
}

/// Where a clock due at `due` stands at `now`. A met clock is judged by
/// when it was met, whatever `now` is; a running clock is overdue once
/// `now` is past `due`, and due soon as [`DueSoon`] says.
pub fn status(
    due: DateTime<Utc>,
    met: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    due_soon: DueSoon,
) -> ClockStatus {
    if let Some(met) = met {
        return if met_on_time(met, due) {
            ClockStatus::MetOnTime
        } else {
            ClockStatus::MetLate
        };
    }
    if now > due {
        return ClockStatus::Overdue;
    }
    if due - now <= due_soon.window || local_date(due, due_soon.tz) == local_date(now, due_soon.tz)
    {
        ClockStatus::DueSoon
    } else {
        ClockStatus::Pending
    }
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        use DeadlineRule::{Hours, WorkingDays};
        DeadlineSettings {
            register_written: Hours(24),
            transfer: Hours(1),
            department_start: Hours(2),
            initial_assessment: WorkingDays(1),
            urgent_contact: Hours(2),
            urgent_on_site: Hours(8),
            investigation: WorkingDays(2),
            solution: WorkingDays(3),
            solution_by_severity: BTreeMap::new(),
            special_case_working_days: 7,
            feedback: Hours(24),
            follow_up_complaint: WorkingDays(3),
            follow_up_repair: WorkingDays(1),
            major_report: Hours(2),
            due_soon_hours: 4,
        }
    }
}

impl DeadlineSettings {
    /// The rule of `clock` on a case assessed with `severity` (if it has
    /// been assessed).
    pub fn rule_for(&self, clock: Clock, severity: Option<Severity>) -> DeadlineRule {
        match severity.and_then(|s| self.solution_by_severity.get(&s)) {
            Some(rule) if clock == Clock::Solution => *rule,
            _ => self.rule(clock),
        }
    }

    /// The most working days extensions may add in total to a case with
    /// `severity`: whatever keeps its solution within the special-case
    /// limit. A solution clock counted in hours ends within a day or two,
    /// so the whole limit is left to extensions.
    pub fn max_extension_working_days(&self, severity: Option<Severity>) -> u32 {
        match self.rule_for(Clock::Solution, severity) {
            DeadlineRule::WorkingDays(days) => self.special_case_working_days.saturating_sub(days),
            DeadlineRule::Hours(_) => self.special_case_working_days,
        }
    }

    /// The most working days a solution rule counts (the default rule or a
    /// severity's; 0 when all count hours). The special-case limit, which
    /// counts from receipt with the extensions, must be at least this.
    pub fn longest_solution_working_days(&self) -> u32 {
        std::iter::once(&self.solution)
            .chain(self.solution_by_severity.values())
            .map(|rule| match rule {
                DeadlineRule::WorkingDays(days) => *days,
                DeadlineRule::Hours(_) => 0,
            })
            .max()
            .unwrap_or(0)
    }

    /// The most working days any clock counts, the special-case limit
    /// included: how far ahead of today the calendar must reach.
    pub fn longest_working_days(&self) -> u32 {
        Clock::ALL
            .into_iter()
            .map(|c| self.rule(c))
            .chain(self.solution_by_severity.values().copied())
            .map(|rule| match rule {
                DeadlineRule::WorkingDays(days) => days,
                DeadlineRule::Hours(_) => 0,
            })
            .chain(std::iter::once(self.special_case_working_days))
            .max()
            .unwrap_or(0)
    }

    /// The settings key of the first rule outside its bounds: a clock's
    /// code when its rule does not [`DeadlineRule::fits`] (a severity's
    /// solution rule counts as the solution clock's), else
    /// `special_case_working_days` or `due_soon_hours`.
    pub fn out_of_range(&self) -> Option<&'static str> {
        if let Some(clock) = Clock::ALL.into_iter().find(|c| !self.rule(*c).fits()) {
            return Some(clock.code());
        }
        if !self.solution_by_severity.values().all(|r| r.fits()) {
            return Some(Clock::Solution.code());
        }
        if !(1..=MAX_WORKING_DAYS).contains(&self.special_case_working_days) {
            return Some("special_case_working_days");
        }
        (self.due_soon_hours > MAX_HOURS).then_some("due_soon_hours")
    }

    /// The rule of `clock` whatever the case's severity.
    pub fn rule(&self, clock: Clock) -> DeadlineRule {
        match clock {
            Clock::RegisterWritten => self.register_written,
            Clock::Transfer => self.transfer,
            Clock::DepartmentStart => self.department_start,
            Clock::InitialAssessment => self.initial_assessment,
            Clock::UrgentContact => self.urgent_contact,
            Clock::UrgentOnSite => self.urgent_on_site,
            Clock::Investigation => self.investigation,
            Clock::Solution => self.solution,
            Clock::Feedback => self.feedback,
            Clock::FollowUpComplaint => self.follow_up_complaint,
            Clock::FollowUpRepair => self.follow_up_repair,
            Clock::MajorReport => self.major_report,
        }
    }

    /// When a clock is due soon, for a company in `tz`.
    pub fn due_soon(&self, tz: Tz) -> DueSoon {
        DueSoon {
            window: Duration::hours(i64::from(self.due_soon_hours)),
            tz,
        }
    }
}

impl ClockState {
    /// Where this clock stands at `now`; see [`status`].
    pub fn status(&self, now: DateTime<Utc>, due_soon: DueSoon) -> ClockStatus {
        if self.taken_unmet {
            return ClockStatus::Missed;
        }
        status(self.due_at, self.met_at, now, due_soon)
    }
}

/// The last second of a day: where a working-day deadline ends.
const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 59) {
    Some(t) => t,
    None => panic!("23:59:59 is a valid time of day"),
};

/// The calendar date of `instant` in `tz`. At the very edge of chrono's
/// range the local time does not exist (`with_timezone` would panic); the
/// UTC date stands in there, since the fold must never panic on a decoded op.
fn local_date(instant: DateTime<Utc>, tz: Tz) -> NaiveDate {
    let utc = instant.naive_utc();
    utc.checked_add_offset(tz.offset_from_utc_datetime(&utc).fix())
        .map_or(utc.date(), |local| local.date())
}

/// The instant 23:59:59 local time on `day`, in UTC.
fn end_of_local_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let end = NaiveDateTime::new(day, END_OF_DAY);
    match tz.from_local_datetime(&end) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        // The clock was turned back over midnight, so 23:59:59 happens
        // twice; the day ends at the later one.
        LocalResult::Ambiguous(_, later) => later.with_timezone(&Utc),
        // The clock jumped forward over 23:59:59. Read the wall time with
        // the offset in force a day earlier, before the jump, as java.time
        // and Temporal ("compatible") do: the deadline moves later by the
        // length of the gap instead of earlier.
        LocalResult::None => {
            let before = tz
                .offset_from_utc_datetime(&(end - Duration::days(1)))
                .fix();
            (end - Duration::seconds(i64::from(before.local_minus_utc()))).and_utc()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;
    use DeadlineRule::{Hours, WorkingDays};
    use chrono_tz::Asia::Shanghai;

    /// An instant: RFC 3339 (`2025-09-30T17:00:00Z`), or Shanghai local time
    /// written `2025-01-27 23:30` or `2025-02-05 23:59:59`, which keeps the
    /// tables below one case per line.
    fn at(s: &str) -> DateTime<Utc> {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return t.with_timezone(&Utc);
        }
        let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
            .expect("test instants are RFC 3339 or local date and time");
        Shanghai
            .from_local_datetime(&local)
            .single()
            .expect("Shanghai has no DST since 1991")
            .with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test dates are well formed")
    }

    /// Checks `due_at` on the builtin calendar in Shanghai; `expected` is an
    /// instant or the year reported missing.
    fn check(start: &str, rule: DeadlineRule, expected: Result<&str, i32>) {
        let got = due_at(at(start), rule, Shanghai, &Calendar::with_builtin());
        let expected = expected
            .map(at)
            .map_err(|year| CalendarError::YearNotLoaded { year });
        assert_eq!(got, expected, "{start} + {rule:?}");
    }

    /// Checks `extend_due` on the builtin calendar in Shanghai.
    fn check_extend(due: &str, days: u32, expected: Result<&str, i32>) {
        let got = extend_due(at(due), days, Shanghai, &Calendar::with_builtin());
        let expected = expected
            .map(at)
            .map_err(|year| CalendarError::YearNotLoaded { year });
        assert_eq!(got, expected, "{due} extended by {days}");
    }

    /// Checks `status` with a 4-hour due-soon window in Shanghai, due at
    /// 2025-03-03 12:00.
    fn check_status(met: Option<&str>, now: &str, expected: ClockStatus) {
        let got = status(
            at("2025-03-03 12:00"),
            met.map(at),
            at(now),
            DueSoon {
                window: Duration::hours(4),
                tz: Shanghai,
            },
        );
        assert_eq!(got, expected, "met {met:?} now {now}");
    }

    #[test]
    fn hours_are_natural_hours() {
        check("2025-03-03 10:00", Hours(2), Ok("2025-03-03 12:00"));
        check("2025-03-03 23:30", Hours(1), Ok("2025-03-04 00:30"));
        check("2025-03-03 22:15", Hours(8), Ok("2025-03-04 06:15"));
        // Holidays and years not loaded do not matter to natural hours.
        check("2025-01-27 22:00", Hours(24), Ok("2025-01-28 22:00"));
        check("2026-12-31 20:00", Hours(8), Ok("2027-01-01 04:00"));
        check("2025-03-03T10:00:00Z", Hours(0), Ok("2025-03-03T10:00:00Z"));
    }

    #[test]
    fn huge_hours_saturate() {
        let start = at("2025-03-03 10:00");
        let far = due_at(start, Hours(u32::MAX), Shanghai, &Calendar::new());
        assert_eq!(far, Ok(DateTime::<Utc>::MAX_UTC));
    }

    #[test]
    fn working_days_end_at_local_midnight() {
        check(
            "2025-03-03 09:00",
            WorkingDays(1),
            Ok("2025-03-04 23:59:59"),
        );
        check(
            "2025-03-07 09:00",
            WorkingDays(3),
            Ok("2025-03-12 23:59:59"),
        );
        check(
            "2025-03-08 09:00",
            WorkingDays(1),
            Ok("2025-03-10 23:59:59"),
        );
        check(
            "2025-03-03 09:00",
            WorkingDays(0),
            Ok("2025-03-03 23:59:59"),
        );
        // The due instant in UTC.
        check(
            "2025-03-03 09:00",
            WorkingDays(1),
            Ok("2025-03-04T15:59:59Z"),
        );
    }

    #[test]
    fn spring_festival_2025() {
        // Registered at 23:30 the day before 除夕: Jan 28–Feb 4 are off.
        check(
            "2025-01-27 23:30",
            WorkingDays(1),
            Ok("2025-02-05 23:59:59"),
        );
        check(
            "2025-01-27 23:30",
            WorkingDays(3),
            Ok("2025-02-07 23:59:59"),
        );
        // Friday before the make-up Saturday.
        check(
            "2025-02-07 10:00",
            WorkingDays(1),
            Ok("2025-02-08 23:59:59"),
        );
        // Friday before the make-up Sunday.
        check(
            "2025-01-24 10:00",
            WorkingDays(1),
            Ok("2025-01-26 23:59:59"),
        );
        // Received during the holiday.
        check(
            "2025-01-30 10:00",
            WorkingDays(3),
            Ok("2025-02-07 23:59:59"),
        );
    }

    #[test]
    fn spring_festival_2026() {
        check(
            "2026-02-13 10:00",
            WorkingDays(1),
            Ok("2026-02-14 23:59:59"),
        );
        check(
            "2026-02-13 10:00",
            WorkingDays(2),
            Ok("2026-02-24 23:59:59"),
        );
        check(
            "2026-02-20 10:00",
            WorkingDays(3),
            Ok("2026-02-26 23:59:59"),
        );
        check(
            "2026-02-27 10:00",
            WorkingDays(1),
            Ok("2026-02-28 23:59:59"),
        );
    }

    #[test]
    fn national_day_2025() {
        check(
            "2025-09-30 10:00",
            WorkingDays(1),
            Ok("2025-10-09 23:59:59"),
        );
        // Fri Sep 26: the make-up Sunday, Sep 29 and Sep 30 count.
        check(
            "2025-09-26 18:00",
            WorkingDays(3),
            Ok("2025-09-30 23:59:59"),
        );
        check(
            "2025-09-26 18:00",
            WorkingDays(4),
            Ok("2025-10-09 23:59:59"),
        );
        check(
            "2025-10-10 10:00",
            WorkingDays(1),
            Ok("2025-10-11 23:59:59"),
        );
    }

    #[test]
    fn national_day_2026() {
        check(
            "2026-09-30 10:00",
            WorkingDays(1),
            Ok("2026-10-08 23:59:59"),
        );
        check(
            "2026-09-18 10:00",
            WorkingDays(1),
            Ok("2026-09-20 23:59:59"),
        );
        // 中秋 Sep 25–27, then Sep 28, 29, 30 before 国庆.
        check(
            "2026-09-24 10:00",
            WorkingDays(3),
            Ok("2026-09-30 23:59:59"),
        );
        check(
            "2026-10-09 10:00",
            WorkingDays(2),
            Ok("2026-10-12 23:59:59"),
        );
    }

    #[test]
    fn utc_start_counts_from_the_local_date() {
        // 17:00Z on Sep 30 is 01:00 on Oct 1 in Shanghai, so counting starts
        // from Oct 1; counting from Sep 30 would give Oct 9.
        check(
            "2025-09-30T17:00:00Z",
            WorkingDays(1),
            Ok("2025-10-09 23:59:59"),
        );
        check(
            "2025-09-30T17:00:00Z",
            WorkingDays(2),
            Ok("2025-10-10 23:59:59"),
        );
        check(
            "2025-09-29T17:00:00Z",
            WorkingDays(2),
            Ok("2025-10-10 23:59:59"),
        );
        check(
            "2025-09-29T15:59:59Z",
            WorkingDays(2),
            Ok("2025-10-09 23:59:59"),
        );
        // 16:00Z on Thursday Mar 6 is Friday 00:00 in Shanghai.
        check(
            "2025-03-06T15:59:59Z",
            WorkingDays(1),
            Ok("2025-03-07 23:59:59"),
        );
        check(
            "2025-03-06T16:00:00Z",
            WorkingDays(1),
            Ok("2025-03-10 23:59:59"),
        );
    }

    #[test]
    fn the_calendar_is_never_guessed() {
        check("2026-12-31 10:00", WorkingDays(1), Err(2027));
        check("2026-12-28 10:00", WorkingDays(5), Err(2027));
        check(
            "2026-12-28 10:00",
            WorkingDays(3),
            Ok("2026-12-31 23:59:59"),
        );
        // 16:30Z on Dec 31 is already 2027 in Shanghai.
        check("2026-12-31T16:30:00Z", WorkingDays(1), Err(2027));
        // Only the days after the start are looked up, so a start on the
        // last day before a loaded year is fine.
        check(
            "2024-12-31 10:00",
            WorkingDays(1),
            Ok("2025-01-02 23:59:59"),
        );
        check("2024-12-30 10:00", WorkingDays(1), Err(2024));
    }

    #[test]
    fn other_timezones() {
        let cal = Calendar::with_builtin();
        // 20:00Z on Jan 27 is still Jan 27 in Berlin but Jan 28 in Shanghai;
        // both land on Feb 5, each at its own local midnight.
        let start = at("2025-01-27T20:00:00Z");
        let berlin = due_at(start, WorkingDays(1), chrono_tz::Europe::Berlin, &cal);
        assert_eq!(berlin, Ok(at("2025-02-05T23:59:59+01:00")));
        let shanghai = due_at(start, WorkingDays(1), Shanghai, &cal);
        assert_eq!(shanghai, Ok(at("2025-02-05T23:59:59+08:00")));
        // 12:00Z on Fri Feb 7 is Feb 7 in Berlin (→ make-up Sat Feb 8) but
        // Feb 8 in Auckland (→ Mon Feb 10).
        let start = at("2025-02-07T12:00:00Z");
        let auckland = due_at(start, WorkingDays(1), chrono_tz::Pacific::Auckland, &cal);
        assert_eq!(auckland, Ok(at("2025-02-10T23:59:59+13:00")));
        let berlin = due_at(start, WorkingDays(1), chrono_tz::Europe::Berlin, &cal);
        assert_eq!(berlin, Ok(at("2025-02-08T23:59:59+01:00")));
    }

    #[test]
    fn end_of_day_around_daylight_saving() {
        // São Paulo ended DST at midnight on 2018-02-18, so 23:00–23:59:59
        // on Feb 17 happened twice; the day ends at the later 23:59:59.
        let sao_paulo = chrono_tz::America::Sao_Paulo;
        let end = end_of_local_day(date("2018-02-17"), sao_paulo);
        assert_eq!(end, at("2018-02-17T23:59:59-03:00"));
        // Apia skipped 2011-12-30 entirely; its end is read with the old
        // offset (-10:00), i.e. moved later by the 24-hour gap.
        let apia = chrono_tz::Pacific::Apia;
        let end = end_of_local_day(date("2011-12-30"), apia);
        assert_eq!(end, at("2011-12-30T23:59:59-10:00"));
    }

    #[test]
    fn extend_due_moves_by_working_days() {
        check_extend("2025-03-04 23:59:59", 2, Ok("2025-03-06 23:59:59"));
        check_extend("2025-01-27 23:59:59", 1, Ok("2025-02-05 23:59:59"));
        // Sep 30, Oct 9, Oct 10, make-up Sat Oct 11, Oct 13, 14, 15.
        check_extend("2025-09-29 23:59:59", 7, Ok("2025-10-15 23:59:59"));
        check_extend("2026-02-13 23:59:59", 2, Ok("2026-02-24 23:59:59"));
        // An hours-based due moves to the end of a working day.
        check_extend("2025-03-07 14:00", 1, Ok("2025-03-10 23:59:59"));
        // Nothing to extend by changes nothing.
        check_extend("2025-03-07 14:00", 0, Ok("2025-03-07 14:00"));
        check_extend("2026-12-30 23:59:59", 2, Err(2027));
    }

    #[test]
    fn all_five_statuses() {
        check_status(None, "2025-03-02 23:59:59", ClockStatus::Pending);
        // Due today, though more than the window is left.
        check_status(None, "2025-03-03 00:00", ClockStatus::DueSoon);
        check_status(None, "2025-03-03 08:00", ClockStatus::DueSoon);
        check_status(None, "2025-03-03 12:00", ClockStatus::DueSoon);
        check_status(None, "2025-03-03 12:00:01", ClockStatus::Overdue);
        check_status(
            Some("2025-03-03 12:00"),
            "2025-03-05 00:00",
            ClockStatus::MetOnTime,
        );
        check_status(
            Some("2025-03-01 00:00"),
            "2025-03-01 00:00",
            ClockStatus::MetOnTime,
        );
        check_status(
            Some("2025-03-03 12:00:01"),
            "2025-03-03 13:00",
            ClockStatus::MetLate,
        );
        // Within the due second, as a working day's 23:59:59 is met by an
        // op recorded at 23:59:59.400.
        check_status(
            Some("2025-03-03T04:00:00.999Z"),
            "2025-03-03 13:00",
            ClockStatus::MetOnTime,
        );
        // Met is judged by when it was met, whatever `now` is.
        check_status(
            Some("2025-03-04 00:00"),
            "2025-03-01 00:00",
            ClockStatus::MetLate,
        );
    }

    #[test]
    fn a_clock_runs_out_after_its_due_second() {
        let due = at("2025-03-05 23:59:59");
        assert!(!ran_out(due, at("2025-03-05 23:59:58")));
        assert!(!ran_out(due, due));
        assert!(!ran_out(due, at("2025-03-05T15:59:59.400Z")));
        assert!(!ran_out(due, at("2025-03-05T15:59:59.999Z")));
        assert!(ran_out(due, at("2025-03-06 00:00")));
    }

    #[test]
    fn clock_state_status_delegates() {
        let state = ClockState {
            clock: Clock::Solution,
            started_at: at("2025-03-03 09:00"),
            due_at: at("2025-03-06 23:59:59"),
            met_at: None,
            extended_working_days: 0,
            taken_unmet: false,
        };
        let soon = DeadlineSettings::default().due_soon(Shanghai);
        assert_eq!(
            state.status(at("2025-03-05 23:59:59"), soon),
            ClockStatus::Pending
        );
        // Due today: from the start of the day, not only in the window's
        // last four hours.
        assert_eq!(
            state.status(at("2025-03-06 00:00"), soon),
            ClockStatus::DueSoon
        );
        assert_eq!(
            state.status(at("2025-03-06 09:00"), soon),
            ClockStatus::DueSoon
        );
        assert_eq!(
            state.status(at("2025-03-06 20:00"), soon),
            ClockStatus::DueSoon
        );
        // The window reaches back over midnight for a clock due early in
        // the day.
        let early = ClockState {
            due_at: at("2025-03-06 01:00"),
            ..state
        };
        assert_eq!(
            early.status(at("2025-03-05 21:00"), soon),
            ClockStatus::DueSoon
        );
        assert_eq!(
            early.status(at("2025-03-05 20:59"), soon),
            ClockStatus::Pending
        );
        assert_eq!(
            state.status(at("2025-03-07 00:00"), soon),
            ClockStatus::Overdue
        );
        let met = ClockState {
            met_at: Some(at("2025-03-05 10:00")),
            ..state
        };
        assert_eq!(
            met.status(at("2025-03-09 00:00"), soon),
            ClockStatus::MetOnTime
        );
    }

    #[test]
    fn default_settings_match_the_domain_table() {
        let s = DeadlineSettings::default();
        let table = [
            (Clock::RegisterWritten, Hours(24)),
            (Clock::Transfer, Hours(1)),
            (Clock::DepartmentStart, Hours(2)),
            (Clock::InitialAssessment, WorkingDays(1)),
            (Clock::UrgentContact, Hours(2)),
            (Clock::UrgentOnSite, Hours(8)),
            (Clock::Investigation, WorkingDays(2)),
            (Clock::Solution, WorkingDays(3)),
            (Clock::Feedback, Hours(24)),
            (Clock::FollowUpComplaint, WorkingDays(3)),
            (Clock::FollowUpRepair, WorkingDays(1)),
            (Clock::MajorReport, Hours(2)),
        ];
        assert_eq!(table.map(|(c, _)| c), Clock::ALL);
        for (clock, rule) in table {
            assert_eq!(s.rule(clock), rule, "{clock:?}");
        }
        assert_eq!(s.due_soon_hours, 4);
        assert_eq!(s.special_case_working_days, 7);
        assert_eq!(s.max_extension_working_days(None), 4);
        assert_eq!(s.due_soon(Shanghai).window, Duration::hours(4));
    }

    #[test]
    fn repair_follow_up_is_end_of_next_working_day() {
        let rule = DeadlineSettings::default().rule(Clock::FollowUpRepair);
        check("2025-02-07 16:00", rule, Ok("2025-02-08 23:59:59"));
        check("2025-04-30 16:00", rule, Ok("2025-05-06 23:59:59"));
    }

    #[test]
    fn settings_serde_shape_is_stable() {
        let s = DeadlineSettings::default();
        let json = serde_json::to_string(&s).expect("serializes");
        let expected = concat!(
            r#"{"register_written":{"hours":24},"transfer":{"hours":1},"#,
            r#""department_start":{"hours":2},"initial_assessment":{"working_days":1},"#,
            r#""urgent_contact":{"hours":2},"urgent_on_site":{"hours":8},"#,
            r#""investigation":{"working_days":2},"solution":{"working_days":3},"#,
            r#""solution_by_severity":{},"special_case_working_days":7,"feedback":{"hours":24},"#,
            r#""follow_up_complaint":{"working_days":3},"follow_up_repair":{"working_days":1},"#,
            r#""major_report":{"hours":2},"due_soon_hours":4}"#,
        );
        assert_eq!(json, expected);
        let back: DeadlineSettings = serde_json::from_str(&json).expect("round-trips");
        assert_eq!(back, s);

        // Settings written before a field existed load with its default.
        let partial: DeadlineSettings =
            serde_json::from_str(r#"{"solution":{"hours":48}}"#).expect("partial settings load");
        assert_eq!(
            partial,
            DeadlineSettings {
                solution: Hours(48),
                ..s
            }
        );
        let empty: DeadlineSettings = serde_json::from_str("{}").expect("empty settings load");
        assert_eq!(empty, DeadlineSettings::default());
    }

    #[test]
    fn enums_serde_shape_is_stable() {
        let json = serde_json::to_string(&WorkingDays(3)).expect("serializes");
        assert_eq!(json, r#"{"working_days":3}"#);
        let rule: DeadlineRule = serde_json::from_str(r#"{"hours":24}"#).expect("parses");
        assert_eq!(rule, Hours(24));
        for clock in Clock::ALL {
            let json = serde_json::to_string(&clock).expect("serializes");
            assert_eq!(json, format!("\"{}\"", clock.code()));
            assert_eq!(Clock::from_code(clock.code()), Some(clock));
            assert!(!clock.label(Lang::ZhCn).is_empty() && !clock.label(Lang::En).is_empty());
        }
        for st in ClockStatus::ALL {
            let json = serde_json::to_string(&st).expect("serializes");
            assert_eq!(json, format!("\"{}\"", st.code()));
            assert!(!st.label(Lang::ZhCn).is_empty() && !st.label(Lang::En).is_empty());
        }
    }

    #[test]
    fn clock_state_serde_shape_is_stable() {
        let state = ClockState {
            clock: Clock::FollowUpRepair,
            started_at: at("2025-02-07T08:00:00Z"),
            due_at: at("2025-02-08T15:59:59Z"),
            met_at: None,
            extended_working_days: 0,
            taken_unmet: false,
        };
        let json = serde_json::to_string(&state).expect("serializes");
        let expected = concat!(
            r#"{"clock":"follow_up_repair","started_at":"2025-02-07T08:00:00Z","#,
            r#""due_at":"2025-02-08T15:59:59Z","met_at":null,"extended_working_days":0}"#,
        );
        assert_eq!(json, expected);
        let back: ClockState = serde_json::from_str(&json).expect("round-trips");
        assert_eq!(back, state);
    }
}
