//! The period's figures of the statistics tallied in one pass over its
//! cases: the store reads each case of the period once, narrow
//! ([`StatsCase`]), and [`Tally::add`] counts it into every figure at once,
//! instead of one query per figure. The definitions are the module docs';
//! where the figures were once SQL, the tally keeps SQL's conventions (a
//! missing value is the empty key; averages sum as SQLite does), so the
//! numbers are the same.
//!
//! What is about now rather than the period (the overdue lists) and the
//! spot-check draws are not here: the store reads those through indexes.

use super::{
    CaseRef, ClockRate, FollowUpRate, Handling, REPEAT_LIMIT, Reopen, RepeatComplainant,
    RepeatUnit, RespondentRow, Satisfaction, ScoreCount, nearest_rank, percent, round2,
};
use crate::case::CaseKind;
use crate::deadline::{Clock, met_on_time};
use crate::id::CaseId;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// One case of the period as the statistics read it (see
/// [`super::CaseRow`], whose values these are; codes stay strings, so a
/// code a newer build wrote is counted as it is).
#[derive(Debug, Clone, PartialEq)]
pub struct StatsCase {
    /// The case id.
    pub id: CaseId,
    /// Registration number.
    pub reg_no: String,
    /// Property id.
    pub property: String,
    /// Kind code.
    pub kind: String,
    /// State code.
    pub state: String,
    /// Category code.
    pub category: String,
    /// Channel code.
    pub channel: String,
    /// Severity code, once assessed.
    pub severity: Option<String>,
    /// Building id, unless the public area.
    pub building: Option<String>,
    /// Unit id.
    pub unit: Option<String>,
    /// Complainant's name.
    pub complainant_name: String,
    /// Complainant's phone.
    pub complainant_phone: Option<String>,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Latest resolution.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Reopenings.
    pub reopen_count: u32,
    /// The latest regular follow-up's score.
    pub satisfaction: Option<u8>,
    /// Its clocks still run.
    pub open: bool,
    /// Handling is finished.
    pub completed: bool,
    /// A valid complaint.
    pub valid_complaint: bool,
    /// The department responsible now.
    pub department: Option<String>,
    /// The person complained about.
    pub respondent: Option<String>,
    /// The department complained about.
    pub respondent_department: Option<String>,
    /// Its deadline clocks whose due time is known.
    pub clocks: Vec<StatsClock>,
    /// The codes of its clocks whose due time is unknown
    /// ([`super::CaseRow::unknown_clocks`]).
    pub unknown_clocks: Vec<String>,
}

/// One deadline clock of a [`StatsCase`].
#[derive(Debug, Clone, PartialEq)]
pub struct StatsClock {
    /// The clock's code.
    pub clock: String,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// When it was met, or taken away (`taken_unmet`).
    pub met_at: Option<DateTime<Utc>>,
    /// Taken away unmet after it had run out
    /// ([`crate::deadline::ClockState::taken_unmet`]): missed.
    pub taken_unmet: bool,
}

/// Clock counts before the rate is worked out.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Clocks {
    met: u64,
    on_time: u64,
    overdue: u64,
    /// Clocks with a due time.
    all: u64,
    /// Clocks without one ([`ClockRate::unknown`]).
    unknown: u64,
}

impl Clocks {
    /// Counts one clock. An unmet clock past due is overdue whether its case
    /// is open or not: the fold keeps an ended case's unmet clocks only if
    /// they had run out while it was open (`fold::compute_deadlines`), and
    /// a clock taken away unmet only if it had run out by then.
    fn add(&mut self, c: &StatsClock, now: DateTime<Utc>) {
        self.all += 1;
        match c.met_at {
            Some(_) if c.taken_unmet => self.overdue += 1,
            Some(met) => {
                self.met += 1;
                self.on_time += u64::from(met_on_time(met, c.due_at));
            }
            None => self.overdue += u64::from(c.due_at < now),
        }
    }

    fn rate(self) -> ClockRate {
        ClockRate {
            met: self.met,
            on_time: self.on_time,
            overdue: self.overdue,
            running: self.all.saturating_sub(self.met + self.overdue),
            unknown: self.unknown,
            ..ClockRate::default()
        }
        .finish()
    }
}

/// Follow-up clock counts before the rate is worked out.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct FollowUps {
    done: u64,
    late: u64,
    pending: u64,
}

impl FollowUps {
    fn rate(self, target_percent: u32) -> FollowUpRate {
        FollowUpRate {
            done: self.done,
            due: self.done + self.late,
            pending: self.pending,
            ..FollowUpRate::default()
        }
        .finish(target_percent)
    }
}

/// A sum of floats as SQLite's `sum()` and `avg()` take it
/// (Kahan–Babuška–Neumaier), so averages match the SQL they replace.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sum {
    sum: f64,
    err: f64,
    n: u64,
}

impl Sum {
    fn add(&mut self, x: f64) {
        let s = self.sum + x;
        if self.sum.abs() > x.abs() {
            self.err += (self.sum - s) + x;
        } else {
            self.err += (x - s) + self.sum;
        }
        self.sum = s;
        self.n += 1;
    }

    fn avg(self) -> Option<f64> {
        (self.n > 0).then(|| (self.sum + self.err) / self.n as f64)
    }
}

/// Received → resolved in hours, as SQL's `julianday` difference gave it
/// (Julian days from whole milliseconds), so that sums and ranks match.
fn handling_hours(received: DateTime<Utc>, resolved: DateTime<Utc>) -> f64 {
    // The Unix epoch is Julian day 2440587.5, in milliseconds.
    const EPOCH_MS: i64 = 210_866_760_000_000;
    let jd = |t: DateTime<Utc>| (t.timestamp_millis() + EPOCH_MS) as f64 / 86_400_000.0;
    (jd(resolved) - jd(received)) * 24.0
}

/// The cases that name one person or department complained about
/// (`search::name_text` of each), and their name as last written.
#[derive(Debug, Clone, Default)]
struct Respondent {
    cases: u64,
    valid: u64,
    latest: Option<(DateTime<Utc>, CaseId)>,
    department: String,
    person: String,
}

/// The cases of one group (a unit, a phone number), for the repeat lists.
#[derive(Debug, Clone, Default)]
struct Repeats {
    count: u64,
    /// Property and building (a unit's), or the latest name (a phone's).
    first: String,
    second: Option<String>,
    /// The case the name is from: received last, of two at the same
    /// time the greater id, whatever order the cases are read in (each
    /// engine reads them in its own).
    latest: Option<(DateTime<Utc>, CaseId)>,
    cases: Vec<(DateTime<Utc>, CaseId, String)>,
}

impl Repeats {
    fn add(&mut self, case: &StatsCase) {
        self.count += 1;
        self.cases
            .push((case.received_at, case.id, case.reg_no.clone()));
    }

    /// The cases, oldest first.
    fn refs(mut self) -> Vec<CaseRef> {
        self.cases.sort_by_key(|c| (c.0, c.1));
        self.cases
            .into_iter()
            .map(|(_, id, reg_no)| CaseRef { id, reg_no })
            .collect()
    }
}

/// The groups with two or more cases, most first, then by key; at most
/// [`REPEAT_LIMIT`].
fn repeated(groups: &BTreeMap<String, Repeats>) -> Vec<(String, Repeats)> {
    let mut out: Vec<(String, Repeats)> = groups
        .iter()
        .filter(|(_, r)| r.count >= 2)
        .map(|(k, r)| (k.clone(), r.clone()))
        .collect();
    out.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
    out.truncate(REPEAT_LIMIT as usize);
    out
}

/// A department's counts.
#[derive(Debug, Clone, Default)]
pub struct DepartmentTally {
    /// Cases assigned to it.
    pub cases: u64,
    /// Of those, completed.
    pub resolved: u64,
    handling: Sum,
    clocks: Clocks,
}

impl DepartmentTally {
    /// Average handling time of its completed cases, hours.
    pub fn avg_handling_hours(&self) -> Option<f64> {
        self.handling.avg().map(round2)
    }

    /// Its cases' clocks, all together.
    pub fn clocks(&self) -> ClockRate {
        ClockRate {
            clock: "all".into(),
            ..self.clocks.rate()
        }
    }
}

/// A property's counts.
#[derive(Debug, Clone, Default)]
pub struct PropertyTally {
    /// Cases received.
    pub cases: u64,
    /// Valid complaints received.
    pub valid_complaints: u64,
    /// Complaints received and not assessed (withdrawn ones aside).
    pub unassessed_complaints: u64,
    rated: u64,
    satisfied: u64,
    clocks: Clocks,
    follow_ups: FollowUps,
}

impl PropertyTally {
    /// Its satisfied rate, percent.
    pub fn satisfied_rate(&self) -> Option<f64> {
        percent(self.satisfied, self.rated)
    }

    /// Its on-time rate over every clock, percent.
    pub fn on_time_rate(&self) -> Option<f64> {
        self.clocks.rate().rate
    }

    /// Its follow-up rate.
    pub fn follow_up(&self, target_percent: u32) -> FollowUpRate {
        self.follow_ups.rate(target_percent)
    }
}

/// Every figure of the period, counted one case at a time.
#[derive(Debug, Clone)]
pub struct Tally {
    now: DateTime<Utc>,
    months: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    satisfied_min: u8,
    /// Cases counted.
    pub total: u64,
    /// Cases of the period voided (registered twice or in error), counted
    /// here and in no other figure.
    pub voided: u64,
    /// By kind code.
    pub by_kind: BTreeMap<String, u64>,
    /// By category code.
    pub by_category: BTreeMap<String, u64>,
    /// By property id.
    pub by_property: BTreeMap<String, u64>,
    /// By `property id/building id` (empty building: the public area).
    pub by_building: BTreeMap<String, u64>,
    /// By channel code.
    pub by_channel: BTreeMap<String, u64>,
    /// Complaints and repairs by severity code (empty: not assessed).
    pub by_severity: BTreeMap<String, u64>,
    /// By state code.
    pub by_state: BTreeMap<String, u64>,
    /// Per month of [`Tally::new`]'s `months`, in their order.
    pub by_month: Vec<u64>,
    /// Per property id.
    pub properties: BTreeMap<String, PropertyTally>,
    /// Per department responsible now.
    pub departments: BTreeMap<String, DepartmentTally>,
    per_clock: BTreeMap<String, Clocks>,
    all_clocks: Clocks,
    follow_ups: FollowUps,
    handling: Vec<Option<f64>>,
    handling_sum: Sum,
    scores: [u64; 5],
    reopen: Reopen,
    units: BTreeMap<String, Repeats>,
    phones: BTreeMap<String, Repeats>,
    respondents: BTreeMap<(String, String), Respondent>,
}

impl Tally {
    /// An empty tally: `now` is what clocks are overdue against, `months`
    /// the month buckets' instants, `satisfied_min` the lowest satisfied
    /// score.
    pub fn new(
        now: DateTime<Utc>,
        months: Vec<(DateTime<Utc>, DateTime<Utc>)>,
        satisfied_min: u8,
    ) -> Tally {
        Tally {
            now,
            by_month: vec![0; months.len()],
            months,
            satisfied_min,
            total: 0,
            voided: 0,
            by_kind: BTreeMap::new(),
            by_category: BTreeMap::new(),
            by_property: BTreeMap::new(),
            by_building: BTreeMap::new(),
            by_channel: BTreeMap::new(),
            by_severity: BTreeMap::new(),
            by_state: BTreeMap::new(),
            properties: BTreeMap::new(),
            departments: BTreeMap::new(),
            per_clock: BTreeMap::new(),
            all_clocks: Clocks::default(),
            follow_ups: FollowUps::default(),
            handling: Vec::new(),
            handling_sum: Sum::default(),
            scores: [0; 5],
            reopen: Reopen::default(),
            units: BTreeMap::new(),
            phones: BTreeMap::new(),
            respondents: BTreeMap::new(),
        }
    }

    /// Counts one case of the period into every figure.
    pub fn add(&mut self, case: &StatsCase) {
        fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
            match map.get_mut(key) {
                Some(n) => *n += 1,
                None => {
                    map.insert(key.to_string(), 1);
                }
            }
        }
        // A case that should not have been registered is no case: as a
        // duplicate it would count its complaint twice and make its
        // complainant and unit repeats.
        if case.state == crate::case::CaseState::Voided.code() {
            self.voided += 1;
            return;
        }
        let now = self.now;
        self.total += 1;
        bump(&mut self.by_kind, &case.kind);
        bump(&mut self.by_category, &case.category);
        bump(&mut self.by_property, &case.property);
        bump(
            &mut self.by_building,
            &format!(
                "{}/{}",
                case.property,
                case.building.as_deref().unwrap_or_default()
            ),
        );
        bump(&mut self.by_channel, &case.channel);
        // A suggestion or an inquiry is never assessed: it is not one
        // of those still to assess.
        if CaseKind::from_code(&case.kind).is_some_and(CaseKind::is_assessed) {
            bump(
                &mut self.by_severity,
                case.severity.as_deref().unwrap_or_default(),
            );
        }
        bump(&mut self.by_state, &case.state);
        if let Some(i) = self
            .months
            .iter()
            .position(|(start, end)| *start <= case.received_at && case.received_at < *end)
        {
            self.by_month[i] += 1;
        }

        let hours = case
            .resolved_at
            .map(|r| handling_hours(case.received_at, r));
        if case.completed {
            self.handling.push(hours);
            if let Some(h) = hours {
                self.handling_sum.add(h);
            }
        }
        if let Some(score) = case.satisfaction
            && (1..=5).contains(&score)
        {
            self.scores[usize::from(score - 1)] += 1;
        }
        if case.resolved_at.is_some() {
            self.reopen.resolved += 1;
            self.reopen.reopened += u64::from(case.reopen_count > 0);
        }
        self.reopen.reopenings += u64::from(case.reopen_count);

        let property = self.properties.entry(case.property.clone()).or_default();
        property.cases += 1;
        property.valid_complaints += u64::from(case.valid_complaint);
        property.unassessed_complaints += u64::from(
            case.kind == "complaint" && case.severity.is_none() && case.state != "withdrawn",
        );
        if let Some(score) = case.satisfaction {
            property.rated += 1;
            property.satisfied += u64::from(score >= self.satisfied_min);
        }
        for c in &case.clocks {
            property.clocks.add(c, now);
            self.all_clocks.add(c, now);
            match self.per_clock.get_mut(&c.clock) {
                Some(clocks) => clocks.add(c, now),
                None => {
                    let mut clocks = Clocks::default();
                    clocks.add(c, now);
                    self.per_clock.insert(c.clock.clone(), clocks);
                }
            }
            let follow_up = c.clock == Clock::FollowUpComplaint.code()
                || c.clock == Clock::FollowUpRepair.code();
            // A withdrawn case keeps a callback clock only if it was
            // already missed (`fold::compute_deadlines`), so it counts.
            if follow_up {
                for f in [&mut self.follow_ups, &mut property.follow_ups] {
                    match c.met_at {
                        // A callback taken away unmet was never made.
                        Some(_) if c.taken_unmet => f.late += 1,
                        Some(_) => f.done += 1,
                        None if c.due_at < now => f.late += 1,
                        None => f.pending += 1,
                    }
                }
            }
        }
        for code in &case.unknown_clocks {
            property.clocks.unknown += 1;
            self.all_clocks.unknown += 1;
            match self.per_clock.get_mut(code) {
                Some(clocks) => clocks.unknown += 1,
                None => {
                    let clocks = Clocks {
                        unknown: 1,
                        ..Clocks::default()
                    };
                    self.per_clock.insert(code.clone(), clocks);
                }
            }
        }

        if let Some(department) = &case.department {
            let d = self.departments.entry(department.clone()).or_default();
            d.cases += 1;
            if case.completed {
                d.resolved += 1;
                if let Some(h) = hours {
                    d.handling.add(h);
                }
            }
            // Its own work's clocks: not the registration, transfer,
            // feedback or callback, which others owe.
            for c in case
                .clocks
                .iter()
                .filter(|c| Clock::DEPARTMENT.iter().any(|k| k.code() == c.clock))
            {
                d.clocks.add(c, now);
            }
            d.clocks.unknown += case
                .unknown_clocks
                .iter()
                .filter(|c| Clock::DEPARTMENT.iter().any(|k| k.code() == c.as_str()))
                .count() as u64;
        }
        if case.respondent.is_some() || case.respondent_department.is_some() {
            let department = case.respondent_department.clone().unwrap_or_default();
            let person = case.respondent.clone().unwrap_or_default();
            // One person, however each colleague typed them: `张　三` and
            // `张三`, `Ａ岗` and `A岗` (`search::name_text`). Split across
            // rows, their count in the assessment would fall short.
            let key = (
                crate::search::name_text(&department),
                crate::search::name_text(&person),
            );
            let r = self.respondents.entry(key).or_default();
            r.cases += 1;
            r.valid += u64::from(case.valid_complaint);
            // Named as most recently written.
            let this = (case.received_at, case.id);
            if r.latest.is_none_or(|latest| this > latest) {
                r.latest = Some(this);
                r.department = department;
                r.person = person;
            }
        }
        if let Some(unit) = &case.unit {
            let r = self.units.entry(unit.clone()).or_default();
            r.first.clone_from(&case.property);
            r.second.clone_from(&case.building);
            r.add(case);
        }
        if let Some(phone) = case.complainant_phone.as_ref().filter(|p| !p.is_empty()) {
            let r = self.phones.entry(phone.clone()).or_default();
            // The name given most recently.
            let this = (case.received_at, case.id);
            if r.latest.is_none_or(|latest| this > latest) {
                r.latest = Some(this);
                r.first.clone_from(&case.complainant_name);
            }
            r.add(case);
        }
    }

    /// On-time counts per clock, in [`Clock::ALL`]'s order; clocks without
    /// any are left out, as are codes this build does not know.
    pub fn on_time(&self) -> Vec<ClockRate> {
        Clock::ALL
            .iter()
            .filter_map(|c| {
                self.per_clock.get(c.code()).map(|n| ClockRate {
                    clock: c.code().into(),
                    ..n.rate()
                })
            })
            .collect()
    }

    /// Every clock together, if there is any.
    pub fn on_time_overall(&self) -> Option<ClockRate> {
        (self.all_clocks.all + self.all_clocks.unknown > 0).then(|| ClockRate {
            clock: "all".into(),
            ..self.all_clocks.rate()
        })
    }

    /// The follow-up rate over every property.
    pub fn follow_up(&self, target_percent: u32) -> FollowUpRate {
        self.follow_ups.rate(target_percent)
    }

    /// Handling time of the completed cases.
    pub fn handling(&self) -> Handling {
        let n = self.handling.len() as u64;
        let p90 = nearest_rank(n, 90).and_then(|rank| {
            let mut sorted = self.handling.clone();
            // As SQL's ORDER BY: a missing value first.
            sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            sorted[(rank - 1) as usize]
        });
        Handling {
            resolved: n,
            avg_hours: self.handling_sum.avg().map(round2),
            p90_hours: p90.map(round2),
        }
    }

    /// Satisfaction of the latest regular follow-ups.
    pub fn satisfaction(&self) -> Satisfaction {
        let distribution: Vec<ScoreCount> = (1..=5u8)
            .map(|score| ScoreCount {
                score,
                count: self.scores[usize::from(score - 1)],
            })
            .collect();
        let rated = distribution.iter().map(|s| s.count).sum();
        let satisfied = distribution
            .iter()
            .filter(|s| s.score >= self.satisfied_min)
            .map(|s| s.count)
            .sum();
        Satisfaction {
            distribution,
            rated,
            satisfied,
            satisfied_min: self.satisfied_min,
            rate: percent(satisfied, rated),
        }
    }

    /// The reopen rate.
    pub fn reopen(&self) -> Reopen {
        Reopen {
            rate: percent(self.reopen.reopened, self.reopen.resolved),
            ..self.reopen.clone()
        }
    }

    /// Units with two or more cases, most first, then by unit id;
    /// `label(property, building, unit)` names each.
    pub fn repeat_units(
        &self,
        label: impl Fn(&str, Option<&str>, &str) -> String,
    ) -> Vec<RepeatUnit> {
        repeated(&self.units)
            .into_iter()
            .map(|(unit, r)| RepeatUnit {
                label: label(&r.first, r.second.as_deref(), &unit),
                property: r.first.clone(),
                count: r.count,
                cases: r.refs(),
                unit,
            })
            .collect()
    }

    /// How many units and how many phone numbers have two or more cases:
    /// the lists stop at [`REPEAT_LIMIT`], the totals do not.
    pub fn repeat_totals(&self) -> (u64, u64) {
        let repeats = |groups: &BTreeMap<String, Repeats>| {
            groups.values().filter(|r| r.count >= 2).count() as u64
        };
        (repeats(&self.units), repeats(&self.phones))
    }

    /// Phone numbers with two or more cases, most first, then by phone.
    pub fn repeat_complainants(&self) -> Vec<RepeatComplainant> {
        repeated(&self.phones)
            .into_iter()
            .map(|(phone, r)| RepeatComplainant {
                name: r.first.clone(),
                count: r.count,
                cases: r.refs(),
                phone,
            })
            .collect()
    }

    /// Per person and department complained about, most cases first.
    pub fn respondents(&self) -> Vec<RespondentRow> {
        let mut out: Vec<RespondentRow> = self
            .respondents
            .values()
            .map(|r| RespondentRow {
                department: r.department.clone(),
                person: r.person.clone(),
                cases: r.cases,
                valid_complaints: r.valid,
            })
            .collect();
        // The map's order already sorts by department, then person.
        out.sort_by_key(|r| std::cmp::Reverse(r.cases));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// A repair received at `received` in property "p", open, no clocks.
    fn case(n: u128, received: &str) -> StatsCase {
        StatsCase {
            id: CaseId(uuid::Uuid::from_u128(n)),
            reg_no: format!("R{n}"),
            property: "p".into(),
            kind: "repair".into(),
            state: "registered".into(),
            category: "maintenance".into(),
            channel: "phone".into(),
            severity: None,
            building: None,
            unit: None,
            complainant_name: format!("name{n}"),
            complainant_phone: None,
            received_at: t(received),
            resolved_at: None,
            reopen_count: 0,
            satisfaction: None,
            open: true,
            completed: false,
            valid_complaint: false,
            department: None,
            respondent: None,
            respondent_department: None,
            clocks: Vec::new(),
            unknown_clocks: Vec::new(),
        }
    }

    fn clock(code: &str, due: &str, met: Option<&str>) -> StatsClock {
        StatsClock {
            clock: code.into(),
            due_at: t(due),
            met_at: met.map(t),
            taken_unmet: false,
        }
    }

    fn tally(cases: &[StatsCase]) -> Tally {
        let months = vec![
            (t("2025-01-01T00:00:00Z"), t("2025-02-01T00:00:00Z")),
            (t("2025-02-01T00:00:00Z"), t("2025-03-01T00:00:00Z")),
        ];
        let mut tally = Tally::new(t("2025-03-01T00:00:00Z"), months, 4);
        for c in cases {
            tally.add(c);
        }
        tally
    }

    #[test]
    fn complaints_not_assessed_are_counted_withdrawn_ones_and_other_kinds_aside() {
        let complaint = |n, state: &str, severity: Option<&str>| {
            let mut c = case(n, "2025-01-05T00:00:00Z");
            c.kind = "complaint".into();
            c.state = state.into();
            c.severity = severity.map(Into::into);
            c
        };
        let cases = [
            complaint(1, "registered", None),
            complaint(2, "closed", None),
            complaint(3, "withdrawn", None),
            complaint(4, "closed", Some("minor")),
            case(5, "2025-01-05T00:00:00Z"),
        ];
        assert_eq!(tally(&cases).properties["p"].unassessed_complaints, 2);
    }

    #[test]
    fn a_voided_duplicate_counts_only_as_voided() {
        // The same valid complaint registered twice by two staff, one
        // voided: one complaint, no repeat complainant or unit, no clock.
        let complaint = |n, state: &str| {
            let mut c = case(n, "2025-01-05T00:00:00Z");
            c.kind = "complaint".into();
            c.state = state.into();
            c.valid_complaint = true;
            c.unit = Some("u1".into());
            c.building = Some("b".into());
            c.complainant_phone = Some("13800000000".into());
            c.clocks = vec![clock("solution", "2025-01-08T00:00:00Z", None)];
            c
        };
        let tally = tally(&[complaint(1, "assessed"), complaint(2, "voided")]);
        assert_eq!((tally.total, tally.voided), (1, 1));
        assert_eq!(tally.by_state.get("voided"), None);
        assert_eq!(tally.by_kind["complaint"], 1);
        assert_eq!(tally.properties["p"].valid_complaints, 1);
        assert!(tally.repeat_complainants().is_empty());
        assert!(tally.repeat_units(|_, _, u| u.to_string()).is_empty());
        assert_eq!(tally.on_time_overall().map(|r| r.overdue), Some(1));
    }

    #[test]
    fn counts_buckets_months_and_missing_values_as_the_empty_key() {
        let mut a = case(1, "2025-01-05T00:00:00Z");
        a.building = Some("b".into());
        a.severity = Some("major".into());
        let b = case(2, "2025-02-05T00:00:00Z");
        let c = case(3, "2025-02-06T00:00:00Z");
        let tally = tally(&[a, b, c]);
        assert_eq!(tally.total, 3);
        assert_eq!(tally.by_month, [1, 2]);
        assert_eq!(tally.by_severity[""], 2);
        assert_eq!(tally.by_severity["major"], 1);
        assert_eq!(tally.by_building["p/"], 2);
        assert_eq!(tally.by_building["p/b"], 1);
        // An inquiry or a suggestion is no case still to assess.
        let mut inquiry = case(4, "2025-02-07T00:00:00Z");
        inquiry.kind = "inquiry".into();
        let mut suggestion = case(5, "2025-02-07T00:00:00Z");
        suggestion.kind = "suggestion".into();
        let tally = self::tally(&[inquiry, suggestion]);
        assert_eq!(tally.total, 2);
        assert_eq!(tally.by_severity.get(""), None);
    }

    #[test]
    fn clocks_count_late_and_overdue_only_where_the_rules_say() {
        let mut open = case(1, "2025-01-05T00:00:00Z");
        open.clocks = vec![
            clock(
                "transfer",
                "2025-01-06T00:00:00Z",
                Some("2025-01-05T12:00:00Z"),
            ),
            clock(
                "solution",
                "2025-01-07T00:00:00Z",
                Some("2025-01-08T00:00:00Z"),
            ),
            clock("feedback", "2025-02-01T00:00:00Z", None),
            clock("follow_up_repair", "2025-04-01T00:00:00Z", None),
        ];
        let mut closed = case(2, "2025-01-05T00:00:00Z");
        closed.open = false;
        closed.state = "closed".into();
        closed.clocks = vec![
            clock("transfer", "2025-01-06T00:00:00Z", None),
            clock("follow_up_repair", "2025-01-09T00:00:00Z", None),
        ];
        let mut withdrawn = case(3, "2025-01-05T00:00:00Z");
        withdrawn.open = false;
        withdrawn.state = "withdrawn".into();
        withdrawn.clocks = vec![clock("follow_up_repair", "2025-01-09T00:00:00Z", None)];
        let tally = tally(&[open, closed, withdrawn]);
        let on_time = tally.on_time();
        let transfer = on_time.iter().find(|c| c.clock == "transfer").unwrap();
        // Unmet on a closed case: the fold keeps such a clock only if it
        // ran out while the case was open, so it was missed.
        assert_eq!(
            (
                transfer.met,
                transfer.on_time,
                transfer.overdue,
                transfer.running
            ),
            (1, 1, 1, 0)
        );
        let all = tally.on_time_overall().unwrap();
        // Met: 2 (1 on time, 1 late); overdue: the open case's feedback,
        // the closed case's two and the withdrawn case's callback.
        assert_eq!((all.met, all.late, all.overdue), (2, 1, 4));
        assert_eq!(all.rate, Some(16.67));
        // Follow-ups: the closed and the withdrawn case's are late, the
        // open case's pending.
        let f = tally.follow_up(90);
        assert_eq!((f.done, f.due, f.pending), (0, 2, 1));
        assert!(f.missed);
        assert_eq!(tally.properties["p"].follow_up(90).due, 2);
        assert_eq!(tally.properties["p"].on_time_rate(), Some(16.67));
    }

    #[test]
    fn a_clock_taken_away_unmet_counts_as_missed_and_its_callback_as_not_made() {
        let mut reopened = case(1, "2025-01-05T00:00:00Z");
        let mut taken = clock(
            "follow_up_repair",
            "2025-01-09T00:00:00Z",
            Some("2025-01-20T00:00:00Z"),
        );
        taken.taken_unmet = true;
        let made = clock(
            "follow_up_repair",
            "2025-01-25T00:00:00Z",
            Some("2025-01-24T00:00:00Z"),
        );
        reopened.clocks = vec![taken];
        let mut called = case(2, "2025-01-05T00:00:00Z");
        called.clocks = vec![made];
        let tally = tally(&[reopened, called]);
        let f = tally.follow_up(90);
        assert_eq!((f.done, f.due, f.pending), (1, 2, 0));
        let all = tally.on_time_overall().unwrap();
        assert_eq!((all.met, all.on_time, all.overdue), (1, 1, 1));
    }

    #[test]
    fn a_clock_without_a_due_time_is_counted_apart_and_outside_the_rate() {
        let mut late = case(1, "2026-12-29T02:00:00Z");
        late.department = Some("工程部".into());
        late.clocks = vec![clock(
            "transfer",
            "2026-12-29T04:00:00Z",
            Some("2026-12-29T05:00:00Z"),
        )];
        // Due in a year not loaded: the solution and the start of work
        // (the department's), neither on time nor late.
        late.unknown_clocks = vec!["solution".into(), "department_start".into()];
        let mut only_unknown = case(2, "2026-12-30T02:00:00Z");
        only_unknown.property = "q".into();
        only_unknown.unknown_clocks = vec!["solution".into()];
        let tally = tally(&[late, only_unknown]);
        let all = tally.on_time_overall().unwrap();
        assert_eq!(
            (all.met, all.late, all.overdue, all.running, all.unknown),
            (1, 1, 0, 0, 3)
        );
        assert_eq!(all.rate, Some(0.0));
        let solution = tally
            .on_time()
            .into_iter()
            .find(|c| c.clock == "solution")
            .expect("a clock with only unknown due times is listed");
        assert_eq!(
            (solution.met, solution.running, solution.unknown),
            (0, 0, 2)
        );
        assert_eq!(solution.rate, None);
        let department = tally.departments["工程部"].clocks();
        // The transfer is the manager's, not the department's.
        assert_eq!((department.met, department.unknown), (0, 2));
        assert_eq!(tally.properties["q"].on_time_rate(), None);
    }

    #[test]
    fn handling_averages_and_takes_the_nearest_rank_of_completed_cases() {
        let cases: Vec<StatsCase> = (1..=10)
            .map(|h| {
                let mut c = case(h, "2025-01-05T00:00:00Z");
                c.resolved_at = Some(c.received_at + chrono::Duration::hours(h as i64));
                c.completed = h != 10;
                c.reopen_count = u32::from(h == 10);
                c
            })
            .collect();
        let tally = tally(&cases);
        // Nine completed cases of 1..=9 hours: rank ceil(0.9 × 9) = 9.
        let h = tally.handling();
        assert_eq!(
            (h.resolved, h.avg_hours, h.p90_hours),
            (9, Some(5.0), Some(9.0))
        );
        let r = tally.reopen();
        assert_eq!((r.resolved, r.reopened, r.reopenings), (10, 1, 1));
        assert_eq!(r.rate, Some(10.0));
    }

    #[test]
    fn repeats_keep_the_latest_name_and_list_cases_oldest_first() {
        let mut cases = Vec::new();
        for (n, received, name) in [
            (3, "2025-01-07T00:00:00Z", "王五"),
            (1, "2025-01-09T00:00:00Z", "王先生"),
            (2, "2025-01-05T00:00:00Z", "王"),
        ] {
            let mut c = case(n, received);
            c.complainant_name = name.into();
            c.complainant_phone = Some("13800001111".into());
            c.unit = Some("u1".into());
            c.building = Some("b1".into());
            cases.push(c);
        }
        let mut single = case(4, "2025-01-05T00:00:00Z");
        single.complainant_phone = Some("13900002222".into());
        single.unit = Some("u2".into());
        cases.push(single);
        let tally = tally(&cases);
        let people = tally.repeat_complainants();
        assert_eq!(people.len(), 1);
        assert_eq!((people[0].name.as_str(), people[0].count), ("王先生", 3));
        let order: Vec<&str> = people[0].cases.iter().map(|c| c.reg_no.as_str()).collect();
        assert_eq!(order, ["R2", "R3", "R1"]);
        let units = tally.repeat_units(|p, b, u| format!("{p}:{}:{u}", b.unwrap_or("-")));
        assert_eq!(units.len(), 1);
        assert_eq!((units[0].label.as_str(), units[0].count), ("p:b1:u1", 3));
    }

    #[test]
    fn the_repeat_lists_stop_at_their_limit_and_the_totals_do_not() {
        let over = REPEAT_LIMIT as usize + 2;
        let cases: Vec<StatsCase> = (0..2 * over)
            .map(|i| {
                let mut c = case(i as u128, "2025-01-05T00:00:00Z");
                c.complainant_phone = Some(format!("138{:08}", i / 2));
                c.unit = Some(format!("u{}", i / 2));
                c
            })
            .collect();
        let tally = tally(&cases);
        assert_eq!(tally.repeat_complainants().len(), REPEAT_LIMIT as usize);
        assert_eq!(
            tally.repeat_units(|_, _, u| u.into()).len(),
            REPEAT_LIMIT as usize
        );
        assert_eq!(tally.repeat_totals(), (over as u64, over as u64));
    }

    #[test]
    fn of_two_names_given_at_the_same_time_both_orders_keep_the_same() {
        let named = |n, name: &str| {
            let mut c = case(n, "2025-01-05T00:00:00Z");
            c.complainant_name = name.into();
            c.complainant_phone = Some("13800001111".into());
            c
        };
        let (first, second) = (named(1, "王先生"), named(2, "李女士"));
        let one = tally(&[first.clone(), second.clone()]).repeat_complainants();
        let other = tally(&[second, first]).repeat_complainants();
        assert_eq!(one[0].name, other[0].name);
    }

    #[test]
    fn respondents_sort_by_cases_then_department_then_person() {
        let named = |n, dept: Option<&str>, person: Option<&str>, valid| {
            let mut c = case(n, "2025-01-05T00:00:00Z");
            c.respondent_department = dept.map(Into::into);
            c.respondent = person.map(Into::into);
            c.valid_complaint = valid;
            c
        };
        let tally = tally(&[
            named(1, Some("安保部"), None, false),
            named(2, Some("工程部"), Some("张三"), true),
            named(3, Some("工程部"), Some("张三"), false),
            named(4, None, Some("李四"), true),
            named(5, None, None, true),
        ]);
        let rows: Vec<(String, String, u64, u64)> = tally
            .respondents()
            .into_iter()
            .map(|r| (r.department, r.person, r.cases, r.valid_complaints))
            .collect();
        assert_eq!(
            rows,
            [
                ("工程部".into(), "张三".into(), 2, 1),
                (String::new(), "李四".into(), 1, 1),
                ("安保部".into(), String::new(), 1, 0),
            ]
        );
    }

    /// One person however colleagues typed them, named as written last.
    #[test]
    fn a_respondent_is_one_row_however_typed() {
        let named = |n, received: &str, dept: &str, person: &str| {
            let mut c = case(n, received);
            c.respondent_department = Some(dept.into());
            c.respondent = Some(person.into());
            c.valid_complaint = true;
            c
        };
        let tally = tally(&[
            named(1, "2025-01-05T00:00:00Z", "工程部", "张　三"),
            named(2, "2025-01-07T00:00:00Z", "工程部", "张三"),
            named(3, "2025-01-06T00:00:00Z", "Ａ岗", "李四"),
            named(4, "2025-01-08T00:00:00Z", "A岗", "李 四"),
        ]);
        let rows: Vec<(String, String, u64)> = tally
            .respondents()
            .into_iter()
            .map(|r| (r.department, r.person, r.valid_complaints))
            .collect();
        assert_eq!(
            rows,
            [
                ("A岗".into(), "李 四".into(), 2),
                ("工程部".into(), "张三".into(), 2),
            ]
        );
    }
}
