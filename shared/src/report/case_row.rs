//! A folded case flattened to the row that queries read.

use crate::case::{Case, CaseKind, CaseState, Channel, Severity, Validity};
use crate::deadline::Clock;
use crate::id::{BuildingId, CaseId, PropertyId, UnitId, UserId};
use crate::property::Location;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// The first responder (首问责任人) now: who registered it, unless
    /// management changed it.
    pub first_responder: UserId,
    /// The person assigned now, if a person is.
    pub assignee: Option<UserId>,
    /// The department responsible now.
    pub department: Option<String>,
    /// The person complained about (被投诉人), if recorded.
    pub respondent: Option<String>,
    /// The department complained about (被投诉部门), if recorded.
    pub respondent_department: Option<String>,
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
    /// How many attachments the case has (photos, signatures, documents),
    /// uploaded or not: what was recorded, not what has arrived.
    #[serde(default)]
    pub attachments: usize,
    /// The clocks whose due time is unknown (`Case::deadline_problems`: a
    /// year the calendar has not loaded), met or not: the statistics can
    /// judge them neither on time nor late, and count them apart.
    #[serde(default)]
    pub unknown_clocks: Vec<Clock>,
}

/// How much of the content a [`CaseRow`] keeps as its summary, with the
/// numbers typed into it masked.
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
            first_responder: case.first_responder(),
            assignee: case.assignee.as_ref().and_then(|a| a.user),
            department: case.assignee.as_ref().map(|a| a.department.clone()),
            respondent: case
                .assessment
                .as_ref()
                .map(|a| a.respondent.trim().to_string())
                .filter(|s| !s.is_empty()),
            respondent_department: case
                .assessment
                .as_ref()
                .map(|a| a.respondent_department.trim().to_string())
                .filter(|s| !s.is_empty()),
            complainant_name: reg.complainant.name.clone(),
            complainant_phone: reg.complainant.phone.as_ref().map(|p| p.to_string()),
            // Masked for every reader: the list carries no phone, and a
            // number cut at the end would show its digits unmasked.
            summary: crate::phone::mask_in_text(&reg.content)
                .chars()
                .take(SUMMARY_CHARS)
                .collect(),
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
            attachments: case.attachments.len(),
            unknown_clocks: case.deadline_problems.iter().map(|p| p.clock).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Assessment, ContactMethod, FollowUp, Resolution};
    use crate::deadline::ClockState;

    use crate::sim::folded_complaint as complaint;

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
            taken_unmet: false,
        }
    }

    fn follow_up(score: u8, spot_check: bool, case: &Case) -> FollowUp {
        FollowUp {
            method: ContactMethod::Phone,
            satisfaction: score,
            comment: String::new(),
            spot_check,
            ratings: None,
            stamp: case.registered.clone(),
        }
    }

    #[test]
    fn a_clock_whose_due_time_is_unknown_is_kept_met_or_not() {
        let mut case = complaint();
        let problem = |clock, met_at| crate::case::DeadlineProblem {
            clock,
            code: "calendar.year_not_loaded".into(),
            message: "2027".into(),
            met_at,
        };
        case.deadline_problems = vec![
            problem(Clock::Solution, None),
            problem(Clock::Investigation, Some(t("2026-12-30T00:00:00Z"))),
        ];
        assert_eq!(
            CaseRow::of(&case).unknown_clocks,
            [Clock::Solution, Clock::Investigation]
        );
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
        // A callback taken away unmet by a reopening: no longer running
        // while the case is open, the missed one once it has ended.
        let mut taken = clock(
            Clock::FollowUpComplaint,
            "2026-03-01T15:59:59Z",
            Some("2026-03-04T01:00:00Z"),
        );
        taken.taken_unmet = true;
        case.deadlines.push(taken);
        assert_eq!(due(&case), Some(Clock::FollowUpComplaint));
        case.state = CaseState::InProgress;
        assert_eq!(due(&case), None);
        assert_eq!(case.next_due(), None);
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
        case.resolution = Some(Box::new(Resolution {
            result: "done".into(),
            feedback_method: ContactMethod::Phone,
            feedback_at: None,
            on_the_spot: false,
            feedback_note: String::new(),
            feedback_by: None,
            stamp: case.registered.clone(),
        }));
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
        case.assessment = Some(Box::new(Assessment {
            severity: Severity::Major,
            urgent: true,
            validity: Validity::Valid,
            reason: String::new(),
            respondent: String::new(),
            respondent_department: String::new(),
            stamp: case.registered.clone(),
        }));
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
