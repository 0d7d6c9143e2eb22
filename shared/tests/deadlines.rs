//! Deadlines through the fold, on real 2025/2026 dates: the Spring
//! Festival, National Day, make-up working days, a case registered at 23:30
//! local time, a start given in UTC that is already the next local day,
//! extensions, and a year that is not loaded.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Sim, assess, local, registration, resolve};
use shared::case::{Case, CaseKind, Channel, ContactMethod, Severity, Validity};
use shared::deadline::{Clock, ClockStatus};
use shared::lang::Coded;
use shared::op::Action;
use shared::role::Role;

fn due(case: &Case, clock: Clock) -> DateTime<Utc> {
    case.deadlines
        .iter()
        .find(|d| d.clock == clock)
        .unwrap_or_else(|| panic!("clock {clock:?} not started: {:?}", case.deadline_problems))
        .due_at
}

fn status(case: &Case, clock: Clock, now: DateTime<Utc>) -> ClockStatus {
    let c = case
        .deadlines
        .iter()
        .find(|d| d.clock == clock)
        .expect("clock");
    c.status(
        now,
        shared::deadline::DeadlineSettings::default().due_soon(chrono_tz::Asia::Shanghai),
    )
}

/// Staff on device 0, manager on device 1.
fn sim_with(
    kind: CaseKind,
    channel: Channel,
    received: DateTime<Utc>,
    recorded: DateTime<Utc>,
) -> Sim {
    let mut s = Sim::new();
    s.device(Role::Staff);
    s.device(Role::Manager);
    s.act_expecting(
        0,
        recorded,
        Action::Register(registration(kind, channel, received)),
        None,
    );
    s
}

/// An extension of `working_days`, for the usual reason.
fn extension(working_days: u32) -> Action {
    Action::Extend {
        working_days,
        reason: "需要物业公司总部协调".into(),
    }
}

#[test]
fn registered_at_2330_before_the_spring_festival_2025() {
    // Monday 27 January 2025, 23:30 in Shanghai; 28 Jan – 4 Feb are off.
    let t = local(2025, 1, 27, 23, 30);
    let s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let case = s.case();
    assert_eq!(
        due(&case, Clock::InitialAssessment),
        local(2025, 2, 5, 23, 59) + Duration::seconds(59)
    );
    // 3 working days: 5, 6, 7 February.
    assert_eq!(
        due(&case, Clock::Solution),
        local(2025, 2, 7, 23, 59) + Duration::seconds(59)
    );
    assert_eq!(status(&case, Clock::Solution, t), ClockStatus::Pending);
}

#[test]
fn a_complaint_is_transferred_within_the_hour_after_its_assessment() {
    // A complaint cannot be assigned before it is assessed, so the transfer
    // clock waits for the assessment and is then an hour, holidays or not.
    let t = local(2025, 1, 27, 23, 30);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assert!(
        s.case()
            .deadlines
            .iter()
            .all(|d| d.clock != Clock::Transfer)
    );
    let assessed = t + Duration::minutes(40);
    s.act(1, assessed, assess(Severity::General, Validity::Valid));
    let case = s.case();
    assert_eq!(due(&case, Clock::Transfer), assessed + Duration::hours(1));
    assert_eq!(
        status(&case, Clock::Transfer, assessed),
        ClockStatus::DueSoon
    );
    assert_eq!(
        status(&case, Clock::Transfer, assessed + Duration::hours(2)),
        ClockStatus::Overdue
    );
    s.act(1, assessed + Duration::minutes(50), assign());
    assert_eq!(
        status(&s.case(), Clock::Transfer, assessed + Duration::hours(5)),
        ClockStatus::MetOnTime
    );

    // An unfounded complaint is never transferred, so it has no such clock.
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.act(1, assessed, assess(Severity::Minor, Validity::Unfounded));
    assert!(
        s.case()
            .deadlines
            .iter()
            .all(|d| d.clock != Clock::Transfer)
    );

    // Its reply is the explanation it is closed with (不成立): the close
    // meets the solution clock, which would otherwise run on unmet.
    let closed = assessed + Duration::hours(3);
    s.act(
        1,
        closed,
        Action::Close {
            corrective_action: String::new(),
            verification: String::new(),
        },
    );
    let case = s.case();
    assert_eq!(case.state, shared::case::CaseState::Closed);
    let solution = case
        .deadlines
        .iter()
        .find(|d| d.clock == Clock::Solution)
        .expect("the solution clock");
    assert_eq!(solution.met_at, Some(closed));

    // A repair needs no assessment: its clock starts at registration.
    let s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    assert_eq!(due(&s.case(), Clock::Transfer), t + Duration::hours(1));
}

/// A valid complaint assessed as urgent, which starts the contact and
/// on-site clocks.
fn urgent(severity: Severity) -> Action {
    Action::Assess {
        severity,
        urgent: true,
        validity: Validity::Valid,
        reason: String::new(),
        respondent: String::new(),
        respondent_department: String::new(),
    }
}

fn assign() -> Action {
    Action::Assign {
        department: "工程部".into(),
        user: None,
        name: "李工".into(),
        note: String::new(),
    }
}

#[test]
fn a_utc_start_on_the_next_local_day_counts_from_the_local_date() {
    // 2026-09-30T17:00Z is 1 October 01:00 in Shanghai. National Day runs
    // 1–7 October; Saturday 10 October is a make-up working day.
    let t: DateTime<Utc> = "2026-09-30T17:00:00Z".parse().unwrap();
    let s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assert_eq!(
        due(&s.case(), Clock::Solution),
        local(2026, 10, 10, 23, 59) + Duration::seconds(59)
    );
    // 2026-10-08T17:00Z is Friday 9 October 01:00 local: counting from 9
    // October gives 10 (make-up Saturday), 12 and 13 October; counting from
    // the UTC date would wrongly end on the 12th.
    let t: DateTime<Utc> = "2026-10-08T17:00:00Z".parse().unwrap();
    let s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assert_eq!(
        due(&s.case(), Clock::Solution),
        local(2026, 10, 13, 23, 59) + Duration::seconds(59)
    );
}

#[test]
fn written_complaints_must_be_registered_within_24_hours() {
    let received = local(2025, 9, 30, 10, 0);
    let on_time = sim_with(
        CaseKind::Complaint,
        Channel::Letter,
        received,
        local(2025, 10, 1, 9, 0),
    )
    .case();
    assert_eq!(
        status(&on_time, Clock::RegisterWritten, local(2025, 10, 5, 0, 0)),
        ClockStatus::MetOnTime
    );
    let late = sim_with(
        CaseKind::Complaint,
        Channel::Email,
        received,
        local(2025, 10, 1, 11, 0),
    )
    .case();
    assert_eq!(
        status(&late, Clock::RegisterWritten, local(2025, 10, 5, 0, 0)),
        ClockStatus::MetLate
    );
    // 003: complaints made in person or passed on by another office too.
    for channel in [
        Channel::WalkIn,
        Channel::HotlineTransfer,
        Channel::ComplaintBook,
    ] {
        let late = sim_with(
            CaseKind::Complaint,
            channel,
            received,
            local(2025, 10, 1, 11, 0),
        )
        .case();
        assert_eq!(
            status(&late, Clock::RegisterWritten, local(2025, 10, 5, 0, 0)),
            ClockStatus::MetLate,
            "{channel:?}"
        );
    }
    let phone = sim_with(CaseKind::Complaint, Channel::Phone, received, received).case();
    assert!(
        phone
            .deadlines
            .iter()
            .all(|d| d.clock != Clock::RegisterWritten)
    );
}

#[test]
fn repair_callback_is_due_the_next_working_day_even_a_make_up_saturday() {
    // Resolved Friday 13 February 2026; Saturday 14 February is a make-up
    // working day before the Spring Festival (15–23 February).
    let t = local(2026, 2, 13, 9, 0);
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    let assign = Action::Assign {
        department: "工程部".into(),
        user: None,
        name: "李工".into(),
        note: String::new(),
    };
    s.act(0, t + Duration::minutes(10), assign);
    s.act(0, t + Duration::minutes(30), Action::Start);
    s.act(0, local(2026, 2, 13, 16, 0), resolve("已修复"));
    let case = s.case();
    assert_eq!(
        due(&case, Clock::FollowUpRepair),
        local(2026, 2, 14, 23, 59) + Duration::seconds(59)
    );
    assert_eq!(status(&case, Clock::Transfer, t), ClockStatus::MetOnTime);
    assert_eq!(
        status(&case, Clock::DepartmentStart, t),
        ClockStatus::MetOnTime
    );
    assert_eq!(
        status(&case, Clock::FollowUpRepair, local(2026, 2, 15, 9, 0)),
        ClockStatus::Overdue
    );
    // The callback on Monday after the holiday is late.
    let follow_up = Action::FollowUp {
        method: ContactMethod::Phone,
        satisfaction: 5,
        comment: String::new(),
        spot_check: false,
        ratings: None,
    };
    s.act(0, local(2026, 2, 24, 9, 0), follow_up);
    assert_eq!(
        status(&s.case(), Clock::FollowUpRepair, local(2026, 3, 1, 0, 0)),
        ClockStatus::MetLate
    );
}

#[test]
fn urgent_cases_start_the_contact_and_on_site_clocks() {
    let t = local(2026, 5, 8, 20, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.act(1, t + Duration::minutes(5), urgent(Severity::Major));
    let case = s.case();
    assert_eq!(due(&case, Clock::UrgentContact), t + Duration::hours(2));
    assert_eq!(due(&case, Clock::UrgentOnSite), t + Duration::hours(8));
    assert_eq!(
        status(&case, Clock::InitialAssessment, t),
        ClockStatus::MetOnTime
    );
}

#[test]
fn extensions_move_the_running_clocks() {
    // Received Thursday 30 April 2026; 1–5 May off, Saturday 9 May a make-up day.
    let t = local(2026, 4, 30, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let before = due(&s.case(), Clock::Solution);
    assert_eq!(before, local(2026, 5, 8, 23, 59) + Duration::seconds(59));
    s.act(1, t + Duration::hours(1), extension(2));
    let case = s.case();
    // 9 May (make-up Saturday) and 11 May (Monday).
    assert_eq!(
        due(&case, Clock::Solution),
        local(2026, 5, 11, 23, 59) + Duration::seconds(59)
    );
    let solution = case
        .deadlines
        .iter()
        .find(|d| d.clock == Clock::Solution)
        .unwrap();
    assert_eq!(solution.extended_working_days, 2);

    // One granted after a clock ran out leaves it missed.
    let mut late = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    late.act(
        1,
        local(2026, 5, 9, 10, 0),
        Action::Extend {
            working_days: 2,
            reason: "超时后才申请".into(),
        },
    );
    let case = late.case();
    assert_eq!(due(&case, Clock::Solution), before, "not moved");
    assert_eq!(
        status(&case, Clock::Solution, local(2026, 5, 9, 10, 0)),
        ClockStatus::Overdue
    );
}

/// Extended, the investigation stays within the special-case limit from
/// the receipt, as the reply it feeds does (003: 特殊状况不能超过七个
/// 工作日): one started late was extended past it.
#[test]
fn an_extended_investigation_stays_within_the_special_case_limit() {
    // Received Monday 2 March 2026; passed on Wednesday the 4th, its
    // investigation due Friday the 6th; extended by 4 on Thursday.
    let t = local(2026, 3, 2, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::General,
        false,
        true,
    );
    s.act(1, local(2026, 3, 4, 10, 0), assign());
    assert_eq!(
        due(&s.case(), Clock::Investigation),
        local(2026, 3, 6, 23, 59) + Duration::seconds(59)
    );
    s.act(1, local(2026, 3, 5, 10, 0), extension(4));
    let limit = local(2026, 3, 11, 23, 59) + Duration::seconds(59);
    let case = s.case();
    assert_eq!(due(&case, Clock::Solution), limit);
    assert_eq!(due(&case, Clock::Investigation), limit, "not the 12th");
}

/// A case extended before it is passed on is the handling extended: its
/// investigation takes the days too (it kept none, though they counted
/// against the cap, and its cause analysis was late).
#[test]
fn an_extension_before_the_case_is_passed_on_extends_its_investigation() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::General,
        false,
        true,
    );
    s.act(1, t + Duration::hours(2), extension(4));
    s.act(1, local(2026, 3, 3, 9, 0), assign());
    let case = s.case();
    let investigation = clock_of(&case, Clock::Investigation).expect("running");
    assert_eq!(investigation.extended_working_days, 4, "{investigation:?}");
    // Due the 5th unextended; the special-case limit from the receipt ends
    // it with the reply's.
    let limit = local(2026, 3, 11, 23, 59) + Duration::seconds(59);
    assert_eq!(investigation.due_at, limit);
    assert_eq!(due(&case, Clock::Solution), limit);
}

/// A special case takes longer to handle; the hour clocks (an urgent
/// case's contact and visit, a major case's report, the transfer) do not
/// wait for it.
#[test]
fn an_extension_leaves_the_hour_clocks_where_they_are() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(5),
        Severity::Major,
        true,
        true,
    );
    let hours = [
        Clock::MajorReport,
        Clock::UrgentContact,
        Clock::UrgentOnSite,
        Clock::Transfer,
    ];
    let before: Vec<_> = hours.iter().map(|c| due(&s.case(), *c)).collect();
    let solution = due(&s.case(), Clock::Solution);
    s.act(1, t + Duration::minutes(10), extension(1));
    let case = s.case();
    let after: Vec<_> = hours.iter().map(|c| due(&case, *c)).collect();
    assert_eq!(after, before);
    assert!(
        due(&case, Clock::Solution) > solution,
        "the handling's moved"
    );
}

/// 002: a major quality event may go straight to the branch's deputy or
/// the general manager, without declaring the superior unreachable.
#[test]
fn a_major_case_goes_straight_to_the_general_manager() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let straight = |s: &mut Sim, at| {
        s.act(
            1,
            at,
            Action::Escalate {
                to_role: Role::Gm,
                skip_level: false,
                reason: "重大质量事件".into(),
            },
        );
        s.case().violations.len()
    };
    assert_eq!(straight(&mut s, t + Duration::minutes(5)), 1, "not major");
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::Major,
        false,
        true,
    );
    let reported = t + Duration::minutes(15);
    assert_eq!(straight(&mut s, reported), 1, "no second violation");
    assert_eq!(
        clock_of(&s.case(), Clock::MajorReport).and_then(|c| c.met_at),
        Some(reported)
    );
}

#[test]
fn a_special_case_is_solved_within_seven_working_days_of_receipt() {
    // 003: three working days, seven in a special case. Extensions may add
    // the four between; the solution then falls due exactly seven working
    // days after receipt (8, 9, 11, 12 and 13 May after the 3 of the rule).
    let t = local(2026, 4, 30, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let extend = |working_days| Action::Extend {
        working_days,
        reason: "需要物业公司总部协调".into(),
    };
    s.act(1, t + Duration::hours(1), extend(3));
    s.act(1, t + Duration::hours(2), extend(2));
    let case = s.case();
    assert_eq!(case.violations.len(), 1, "{:?}", case.violations);
    assert!(matches!(
        case.violations[0].rule,
        shared::workflow::RuleViolation::ExtensionTooLong {
            max: 4,
            requested: 5
        }
    ));
    s.act(1, t + Duration::hours(3), extend(1));
    let case = s.case();
    assert_eq!(case.extended_working_days(), 4);
    assert_eq!(
        due(&case, Clock::Solution),
        local(2026, 5, 13, 23, 59) + Duration::seconds(59)
    );
}

/// A solution counted in hours leaves the whole special-case limit to
/// extensions, and they end with it: seven working days after receipt.
#[test]
fn extensions_of_a_solution_in_hours_end_with_the_special_case_limit() {
    let t = local(2026, 3, 2, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.settings.deadlines.solution = shared::deadline::DeadlineRule::Hours(24);
    assert!(s.settings.validate().is_ok());
    s.act(1, t + Duration::hours(1), extension(7));
    let case = s.case();
    assert!(case.violations.is_empty(), "{:?}", case.violations);
    // 3, 4, 5, 6, 9, 10 and 11 March.
    assert_eq!(
        due(&case, Clock::Solution),
        local(2026, 3, 11, 23, 59) + Duration::seconds(59)
    );

    // Ten days of hours end after the limit: an extension leaves them.
    let mut long = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    long.settings.deadlines.solution = shared::deadline::DeadlineRule::Hours(240);
    assert!(long.settings.validate().is_ok());
    let unextended = due(&long.case(), Clock::Solution);
    assert_eq!(unextended, local(2026, 3, 12, 10, 0));
    long.act(1, t + Duration::hours(1), extension(2));
    assert_eq!(due(&long.case(), Clock::Solution), unextended);
}

/// An extension granted within the due second is on time, as any act is
/// then, and moves the clock.
#[test]
fn an_extension_within_the_due_second_moves_the_clock() {
    let t = local(2026, 3, 2, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let before = due(&s.case(), Clock::Solution);
    s.act(1, before + Duration::milliseconds(500), extension(2));
    let case = s.case();
    assert!(case.violations.is_empty(), "{:?}", case.violations);
    assert!(due(&case, Clock::Solution) > before);
}

#[test]
fn the_severity_can_have_its_own_solution_period() {
    let t = local(2026, 4, 30, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.settings.deadlines.solution_by_severity.insert(
        Severity::Major,
        shared::deadline::DeadlineRule::WorkingDays(5),
    );
    let three = local(2026, 5, 8, 23, 59) + Duration::seconds(59);
    assert_eq!(due(&s.case(), Clock::Solution), three);
    s.act(
        1,
        t + Duration::hours(1),
        assess(Severity::Major, Validity::Valid),
    );
    let case = s.case();
    assert_eq!(
        due(&case, Clock::Solution),
        local(2026, 5, 11, 23, 59) + Duration::seconds(59)
    );
    // A later op keeps it, also for a server that resumes the fold from
    // the case it stored without its timeline (`Sim::case` checks that).
    s.act(
        0,
        t + Duration::hours(2),
        Action::Note {
            note_kind: shared::case::NoteKind::General,
            text: "已联系施工方".into(),
        },
    );
    assert_eq!(
        due(&s.case(), Clock::Solution),
        local(2026, 5, 11, 23, 59) + Duration::seconds(59)
    );
    // Five of the seven special-case days are used by the rule itself.
    assert_eq!(
        s.settings
            .deadlines
            .max_extension_working_days(Some(Severity::Major)),
        2
    );
    let mut general = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    general.settings = s.settings.clone();
    general.act(
        1,
        t + Duration::hours(1),
        assess(Severity::General, Validity::Valid),
    );
    assert_eq!(due(&general.case(), Clock::Solution), three);
}

#[test]
fn an_assessment_does_not_move_a_solution_deadline_already_met_or_missed() {
    // Minor complaints are answered within six working days, the rest
    // within three: received Monday 2 March, a general one is due on
    // Thursday 5 March.
    let t = local(2026, 3, 2, 9, 0);
    let three = local(2026, 3, 5, 23, 59) + Duration::seconds(59);
    let six = local(2026, 3, 10, 23, 59) + Duration::seconds(59);
    let sim = || {
        let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
        s.settings.deadlines.solution_by_severity.insert(
            Severity::Minor,
            shared::deadline::DeadlineRule::WorkingDays(6),
        );
        assess_at(
            &mut s,
            t + Duration::minutes(10),
            Severity::General,
            false,
            true,
        );
        s.act(1, t + Duration::minutes(20), assign());
        s.act(1, t + Duration::minutes(30), Action::Start);
        s
    };
    let propose = |s: &mut Sim, at| {
        s.act(
            1,
            at,
            Action::Propose {
                measures: "更换门禁".into(),
                responsible: "李工".into(),
                planned_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 20),
                compensation_fen: 0,
            },
        );
    };
    // Found minor while it runs: six days.
    let mut s = sim();
    assess_at(
        &mut s,
        local(2026, 3, 4, 9, 0),
        Severity::Minor,
        false,
        true,
    );
    assert_eq!(due(&s.case(), Clock::Solution), six);
    // Found minor on Friday, unanswered: missed on Thursday, it stays
    // missed, and the answer an hour later is late.
    let mut s = sim();
    let friday = local(2026, 3, 6, 9, 0);
    assess_at(&mut s, friday, Severity::Minor, false, true);
    propose(&mut s, friday + Duration::hours(1));
    let case = s.case();
    assert_eq!(due(&case, Clock::Solution), three);
    assert_eq!(
        status(&case, Clock::Solution, friday + Duration::hours(2)),
        ClockStatus::MetLate
    );
    // Answered on Wednesday, then found minor and general again: met on
    // time under the rule it ran by.
    let mut s = sim();
    propose(&mut s, local(2026, 3, 4, 9, 0));
    assess_at(
        &mut s,
        local(2026, 3, 4, 10, 0),
        Severity::Minor,
        false,
        true,
    );
    assert_eq!(due(&s.case(), Clock::Solution), three);
    // Granted a day on Friday, after it had run out: the day moves
    // nothing, so the assessment after it finds it missed all the same.
    let mut s = sim();
    s.act(1, local(2026, 3, 6, 8, 0), extension(1));
    assess_at(&mut s, friday, Severity::Minor, false, true);
    propose(&mut s, friday + Duration::hours(1));
    let case = s.case();
    assert!(case.violations.is_empty(), "{:?}", case.violations);
    assert_eq!(due(&case, Clock::Solution), three);
    assert_eq!(
        status(&case, Clock::Solution, friday + Duration::hours(2)),
        ClockStatus::MetLate
    );
    // Granted on Thursday, while it ran: due on Friday, it still runs
    // when found minor, and takes the minor period with the one day its
    // cap leaves (six of the seven special-case days are the rule's).
    let mut s = sim();
    s.act(1, local(2026, 3, 5, 10, 0), extension(1));
    assess_at(&mut s, friday, Severity::Minor, false, true);
    assert_eq!(
        due(&s.case(), Clock::Solution),
        local(2026, 3, 11, 23, 59) + Duration::seconds(59)
    );
}

#[test]
fn an_assessment_after_an_extension_keeps_the_solution_within_seven_working_days() {
    // Four days granted while the rule was three; the assessment then
    // gives the major case five, which leaves room for two.
    let t = local(2026, 4, 30, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.settings.deadlines.solution_by_severity.insert(
        Severity::Major,
        shared::deadline::DeadlineRule::WorkingDays(5),
    );
    s.act(1, t + Duration::hours(1), extension(4));
    s.act(
        1,
        t + Duration::hours(2),
        assess(Severity::Major, Validity::Valid),
    );
    let case = s.case();
    assert!(case.violations.is_empty(), "{:?}", case.violations);
    // Seven working days after receipt: 8, 9, 11, 12 and 13 May.
    assert_eq!(
        due(&case, Clock::Solution),
        local(2026, 5, 13, 23, 59) + Duration::seconds(59)
    );
    let solution = case
        .deadlines
        .iter()
        .find(|d| d.clock == Clock::Solution)
        .unwrap();
    assert_eq!(solution.extended_working_days, 2);
}

#[test]
fn the_feedback_clock_waits_for_the_complainant_to_be_told() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    s.act(0, t + Duration::minutes(10), assign());
    s.act(0, t + Duration::minutes(30), Action::Start);
    let resolved = local(2026, 3, 2, 16, 0);
    s.act(0, resolved, resolve("已修复"));
    let case = s.case();
    assert_eq!(due(&case, Clock::Feedback), resolved + Duration::hours(24));
    assert_eq!(
        status(&case, Clock::Feedback, resolved + Duration::hours(25)),
        ClockStatus::Overdue,
        "finishing the work does not tell the resident"
    );
    let told = resolved + Duration::hours(3);
    s.act(
        0,
        told,
        Action::Feedback {
            method: ContactMethod::Phone,
            note: "业主确认已恢复供水".into(),
        },
    );
    let case = s.case();
    let feedback = case.deadlines.iter().find(|d| d.clock == Clock::Feedback);
    assert_eq!(feedback.and_then(|d| d.met_at), Some(told));
    let resolution = case.resolution.as_ref().expect("resolved");
    assert_eq!(resolution.feedback_at, Some(told));
    assert_eq!(resolution.feedback_note, "业主确认已恢复供水");
    assert_eq!(
        resolution.feedback_by.as_ref().map(|b| b.role),
        Some(Role::Staff)
    );

    // Without a feedback step, the follow-up call tells the result.
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    s.act(0, t + Duration::minutes(10), assign());
    s.act(0, t + Duration::minutes(30), Action::Start);
    s.act(0, resolved, resolve("已修复"));
    let called = resolved + Duration::hours(30);
    s.act(
        0,
        called,
        Action::FollowUp {
            method: ContactMethod::Phone,
            satisfaction: 5,
            comment: String::new(),
            spot_check: false,
            ratings: None,
        },
    );
    assert_eq!(
        status(&s.case(), Clock::Feedback, called),
        ClockStatus::MetLate
    );
}

#[test]
fn a_major_case_is_reported_within_two_hours_of_its_assessment() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let assessed = t + Duration::minutes(20);
    s.act(1, assessed, assess(Severity::Major, Validity::Valid));
    let case = s.case();
    assert_eq!(
        due(&case, Clock::MajorReport),
        assessed + Duration::hours(2)
    );
    assert_eq!(
        status(&case, Clock::MajorReport, assessed + Duration::hours(3)),
        ClockStatus::Overdue
    );
    let reported = assessed + Duration::minutes(45);
    s.act(
        1,
        reported,
        Action::Escalate {
            to_role: Role::RegionalManager,
            skip_level: false,
            reason: "重大投诉：电梯困人".into(),
        },
    );
    assert_eq!(
        status(&s.case(), Clock::MajorReport, reported),
        ClockStatus::MetOnTime
    );
    // Other severities have no such clock.
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.act(1, assessed, assess(Severity::General, Validity::Valid));
    assert!(
        s.case()
            .deadlines
            .iter()
            .all(|d| d.clock != Clock::MajorReport)
    );
}

#[test]
fn a_year_that_is_not_loaded_is_reported_not_guessed() {
    let t = local(2026, 12, 30, 10, 0);
    let s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let case = s.case();
    assert!(case.deadlines.iter().all(|d| d.clock != Clock::Solution));
    let problem = case
        .deadline_problems
        .iter()
        .find(|p| p.clock == Clock::Solution)
        .expect("reported");
    assert_eq!(problem.code, "calendar.year_not_loaded");
    // Hour clocks do not need the calendar and still run.
    let repair = sim_with(CaseKind::Repair, Channel::Phone, t, t).case();
    assert_eq!(due(&repair, Clock::Transfer), t + Duration::hours(1));
}

/// Assigned on the last day of 2026, the investigation's two working
/// days run into 2027, not loaded; found unfounded the same day, the
/// investigation is owed no more, so its due time is no problem.
#[test]
fn a_clock_owed_no_more_before_a_year_not_loaded_is_no_problem() {
    let t = local(2026, 12, 31, 9, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::General,
        false,
        true,
    );
    s.act(1, t + Duration::minutes(30), assign());
    let investigation = |s: &Sim| {
        s.case()
            .deadline_problems
            .iter()
            .any(|p| p.clock == Clock::Investigation)
    };
    assert!(investigation(&s), "{:?}", s.case().deadline_problems);
    assess_at(
        &mut s,
        t + Duration::hours(3),
        Severity::General,
        false,
        false,
    );
    assert!(!investigation(&s), "{:?}", s.case().deadline_problems);
}

#[test]
fn an_extension_into_a_year_that_is_not_loaded_leaves_the_clock_unknown() {
    // Received Wednesday 23 December 2026: the solution is due Monday the
    // 28th. Four more working days run to the 29th, 30th, 31st and into
    // 2027, whose calendar is not loaded.
    let t = local(2026, 12, 23, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assert_eq!(
        due(&s.case(), Clock::Solution),
        local(2026, 12, 28, 23, 59) + Duration::seconds(59)
    );
    s.act(1, t + Duration::days(1), extension(4));
    let case = s.case();
    // Not due on the 28th, which would show it overdue the day after.
    assert!(case.deadlines.iter().all(|d| d.clock != Clock::Solution));
    let problem = case
        .deadline_problems
        .iter()
        .find(|p| p.clock == Clock::Solution)
        .expect("reported");
    assert_eq!(problem.code, "calendar.year_not_loaded");

    // Withdrawn on the 25th, it is owed no more before 2027: nothing is
    // said of it (the page and the paper said its deadline was unknown).
    s.act(
        0,
        t + Duration::days(2),
        Action::Withdraw {
            reason: "业主撤回".into(),
        },
    );
    let case = s.case();
    assert!(
        case.deadline_problems
            .iter()
            .all(|p| p.clock != Clock::Solution),
        "{:?}",
        case.deadline_problems
    );
}

#[test]
fn an_answer_on_the_spot_leaves_the_skipped_steps_undue() {
    let t = local(2026, 3, 2, 9, 0);
    let on_the_spot = || Action::Resolve {
        result: "当场解释收费依据".into(),
        feedback_method: ContactMethod::Visit,
        feedback_at: None,
        on_the_spot: true,
    };
    let clocks = |s: &Sim| -> Vec<Clock> { s.case().deadlines.iter().map(|d| d.clock).collect() };
    let later = local(2026, 3, 20, 9, 0);

    // A complaint answered at registration is never assessed or transferred.
    let mut s = sim_with(CaseKind::Complaint, Channel::WalkIn, t, t);
    s.act(0, t + Duration::minutes(5), on_the_spot());
    let case = s.case();
    assert!(
        !clocks(&s).contains(&Clock::InitialAssessment),
        "{:?}",
        clocks(&s)
    );
    assert!(!clocks(&s).contains(&Clock::Transfer));
    let overdue: Vec<Clock> = case
        .deadlines
        .iter()
        .filter(|d| {
            let soon =
                shared::deadline::DeadlineSettings::default().due_soon(chrono_tz::Asia::Shanghai);
            d.status(later, soon) == ClockStatus::Overdue
        })
        .map(|d| d.clock)
        .collect();
    assert_eq!(
        overdue,
        [Clock::FollowUpComplaint],
        "only the callback is owed"
    );

    // Assessed first, it keeps its met assessment and is not transferred.
    let mut s = sim_with(CaseKind::Complaint, Channel::WalkIn, t, t);
    s.act(
        1,
        t + Duration::minutes(5),
        assess(Severity::Minor, Validity::Valid),
    );
    s.act(0, t + Duration::minutes(10), on_the_spot());
    assert_eq!(
        status(&s.case(), Clock::InitialAssessment, later),
        ClockStatus::MetOnTime
    );
    assert!(!clocks(&s).contains(&Clock::Transfer), "{:?}", clocks(&s));

    // A repair put right on the spot is not transferred either.
    let mut s = sim_with(CaseKind::Repair, Channel::WalkIn, t, t);
    s.act(0, t + Duration::minutes(20), on_the_spot());
    assert!(!clocks(&s).contains(&Clock::Transfer), "{:?}", clocks(&s));
    assert_eq!(
        status(&s.case(), Clock::FollowUpRepair, t + Duration::hours(1)),
        ClockStatus::Pending,
        "the callback is still due"
    );

    // Reopened by an unhappy callback and transferred the next day, each
    // still owes no transfer clock: it would be met late against the
    // receipt (or the assessment) an hour after it.
    let unhappy = Action::FollowUp {
        method: ContactMethod::Phone,
        satisfaction: 1,
        comment: String::new(),
        spot_check: false,
        ratings: None,
    };
    for kind in [CaseKind::Repair, CaseKind::Complaint] {
        let mut s = sim_with(kind, Channel::WalkIn, t, t);
        if kind == CaseKind::Complaint {
            s.act(
                1,
                t + Duration::minutes(5),
                assess(Severity::Minor, Validity::Valid),
            );
        }
        s.act(0, t + Duration::minutes(10), on_the_spot());
        s.act(0, t + Duration::hours(3), unhappy.clone());
        s.act(1, local(2026, 3, 3, 9, 0), assign());
        assert!(s.case().violations.is_empty(), "{:?}", s.case().violations);
        assert!(
            clocks(&s).contains(&Clock::DepartmentStart),
            "{:?}",
            clocks(&s)
        );
        assert!(
            !clocks(&s).contains(&Clock::Transfer),
            "{kind:?}: {:?}",
            clocks(&s)
        );
    }
}

/// An answer "on the spot" given only after a skipped step's time ran out
/// does not undo the miss: the step stays missed, ended by the answer.
#[test]
fn an_answer_on_the_spot_after_a_steps_time_ran_out_leaves_it_missed() {
    let t = local(2026, 3, 2, 9, 0);
    let on_the_spot = || Action::Resolve {
        result: "已答复".into(),
        feedback_method: ContactMethod::Visit,
        feedback_at: None,
        on_the_spot: true,
    };
    let later = local(2026, 3, 20, 9, 0);

    // Assessment due Tuesday; answered on Thursday, never assessed.
    let mut s = sim_with(CaseKind::Complaint, Channel::WalkIn, t, t);
    let answered = local(2026, 3, 5, 10, 0);
    s.act(0, answered, on_the_spot());
    let case = s.case();
    assert_eq!(
        status(&case, Clock::InitialAssessment, later),
        ClockStatus::Missed
    );
    let clock = clock_of(&case, Clock::InitialAssessment).expect("kept");
    assert_eq!(clock.met_at, Some(answered), "ended by the answer");
    // Assessed afterwards for the statistics, it is still missed.
    s.act(
        1,
        answered + Duration::hours(1),
        assess(Severity::Minor, Validity::Valid),
    );
    assert_eq!(
        status(&s.case(), Clock::InitialAssessment, later),
        ClockStatus::Missed
    );

    // A phone repair's hour to be passed on ran out before its answer.
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    s.act(0, t + Duration::hours(6), on_the_spot());
    assert_eq!(
        status(&s.case(), Clock::Transfer, later),
        ClockStatus::Missed
    );
    // Answered within it, it owes none.
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    s.act(0, t + Duration::minutes(20), on_the_spot());
    assert_eq!(clock_of(&s.case(), Clock::Transfer), None);
}

#[test]
fn a_case_reopened_before_its_callback_owes_none_until_resolved_again() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    s.act(0, t + Duration::minutes(10), assign());
    s.act(0, t + Duration::minutes(30), Action::Start);
    let resolved = local(2026, 3, 2, 16, 0);
    s.act(0, resolved, resolve("已修复"));
    s.act(
        1,
        resolved + Duration::hours(1),
        Action::Reopen {
            reason: "复查发现仍漏水".into(),
        },
    );
    let reworked = local(2026, 3, 10, 9, 0);
    assert!(
        s.case()
            .deadlines
            .iter()
            .all(|d| d.clock != Clock::FollowUpRepair),
        "no callback is owed while the work is redone"
    );
    s.act(0, reworked, Action::Start);
    s.act(0, reworked + Duration::hours(2), resolve("已更换阀门"));
    assert_eq!(
        due(&s.case(), Clock::FollowUpRepair),
        local(2026, 3, 11, 23, 59) + Duration::seconds(59)
    );
}

#[test]
fn a_callback_overdue_when_the_case_is_reopened_stays_missed() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    s.act(0, t + Duration::minutes(10), assign());
    s.act(0, t + Duration::minutes(30), Action::Start);
    let resolved = local(2026, 3, 2, 16, 0);
    s.act(0, resolved, resolve("已修复"));
    // Due at the end of 3 March; nobody called, and a week later the
    // manager finds the work not done.
    let reopened = local(2026, 3, 10, 9, 0);
    s.act(
        1,
        reopened,
        Action::Reopen {
            reason: "复查发现仍漏水".into(),
        },
    );
    let missed = clock_of(&s.case(), Clock::FollowUpRepair).expect("the callback stays");
    assert_eq!(
        missed.due_at,
        local(2026, 3, 3, 23, 59) + Duration::seconds(59)
    );
    assert_eq!(
        status(&s.case(), Clock::FollowUpRepair, reopened),
        ClockStatus::Missed,
        "missed, ended by the reopening"
    );
    assert!(missed.taken_unmet, "ended at the reopening, never made");
    assert_eq!(missed.met_at, Some(reopened));
    // Resolved again and called back at once: the callback owed since
    // the first resolution was still late.
    s.act(0, reopened + Duration::hours(1), Action::Start);
    let again = reopened + Duration::hours(3);
    s.act(0, again, resolve("已更换阀门"));
    s.act(
        0,
        again + Duration::hours(1),
        Action::FollowUp {
            method: ContactMethod::Phone,
            satisfaction: 5,
            comment: "已修好".into(),
            spot_check: false,
            ratings: None,
        },
    );
    let case = s.case();
    let callbacks: Vec<_> = case
        .deadlines
        .iter()
        .filter(|d| d.clock == Clock::FollowUpRepair)
        .collect();
    assert_eq!(callbacks.len(), 1, "{callbacks:?}");
    assert_eq!(
        status(&case, Clock::FollowUpRepair, again + Duration::hours(2)),
        ClockStatus::MetLate
    );
}

#[test]
fn a_callback_missed_stays_missed_through_a_second_reopening() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    s.act(0, t + Duration::minutes(10), assign());
    s.act(0, t + Duration::minutes(30), Action::Start);
    s.act(0, local(2026, 3, 2, 16, 0), resolve("已修复"));
    let reopen = |s: &mut Sim, at| {
        s.act(
            1,
            at,
            Action::Reopen {
                reason: "复查发现仍漏水".into(),
            },
        );
    };
    // The first callback runs out (end of 3 March) before the reopening.
    reopen(&mut s, local(2026, 3, 10, 9, 0));
    s.act(0, local(2026, 3, 10, 10, 0), Action::Start);
    s.act(0, local(2026, 3, 10, 11, 0), resolve("已更换阀门"));
    // Reopened again within the hour: that callback was not yet due.
    let again = local(2026, 3, 10, 12, 0);
    reopen(&mut s, again);
    let case = s.case();
    let callback = clock_of(&case, Clock::FollowUpRepair).expect("the first miss stays");
    assert_eq!(
        callback.due_at,
        local(2026, 3, 3, 23, 59) + Duration::seconds(59)
    );
    assert_eq!(
        status(&case, Clock::FollowUpRepair, again),
        ClockStatus::Missed
    );
}

#[test]
fn a_note_that_broke_a_rule_is_kept_but_meets_no_clock() {
    let t = local(2026, 5, 8, 20, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.act(1, t + Duration::minutes(5), urgent(Severity::General));
    // After the 2-hour contact clock ran out, so the withdrawn case keeps
    // it, missed.
    s.act(
        1,
        t + Duration::minutes(150),
        Action::Withdraw {
            reason: "业主撤回".into(),
        },
    );
    // Written offline before the withdrawal reached the tablet.
    s.act(
        0,
        t + Duration::hours(3),
        Action::Note {
            note_kind: shared::case::NoteKind::Contact,
            text: "已电话联系业主".into(),
        },
    );
    let case = s.case();
    assert!(
        case.notes.iter().any(|n| n.text == "已电话联系业主"),
        "the note is kept"
    );
    let contact = case
        .deadlines
        .iter()
        .find(|d| d.clock == Clock::UrgentContact);
    assert_eq!(contact.map(|d| d.met_at), Some(None), "{contact:?}");
}

#[test]
fn an_assigned_inquiry_owes_no_start_of_work() {
    // An inquiry cannot be started (only complaints and repairs can), so a
    // clock met only by starting would stay overdue until it was closed.
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Inquiry, Channel::Phone, t, t);
    s.act(1, t + Duration::minutes(10), assign());
    let case = s.case();
    assert!(
        case.deadlines
            .iter()
            .all(|d| d.clock != Clock::DepartmentStart),
        "{:?}",
        case.deadlines
    );

    // A repair still owes it.
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    s.act(0, t + Duration::minutes(10), assign());
    assert_eq!(
        due(&s.case(), Clock::DepartmentStart),
        t + Duration::minutes(10) + Duration::hours(2)
    );
}

#[test]
fn telling_an_urgent_complainant_the_result_meets_the_contact_clock() {
    let t = local(2026, 3, 2, 9, 0);
    let contact = |case: &Case| {
        case.deadlines
            .iter()
            .find(|d| d.clock == Clock::UrgentContact)
            .expect("the contact clock")
            .met_at
    };

    // Resolved with the complainant on the phone, no separate contact note.
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.act(1, t + Duration::minutes(5), urgent(Severity::General));
    let answered = t + Duration::minutes(40);
    s.act(
        1,
        answered,
        Action::Resolve {
            result: "已当场答复".into(),
            feedback_method: ContactMethod::Phone,
            feedback_at: None,
            on_the_spot: true,
        },
    );
    assert_eq!(contact(&s.case()), Some(answered));

    // Resolved without telling them: the contact is still owed, and the
    // feedback that tells them meets it.
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.act(1, t + Duration::minutes(5), urgent(Severity::General));
    s.act(1, t + Duration::minutes(10), assign());
    s.act(1, t + Duration::minutes(15), Action::Start);
    s.act(
        1,
        t + Duration::minutes(20),
        Action::Propose {
            measures: "更换门禁".into(),
            responsible: "李工".into(),
            planned_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 20),
            compensation_fen: 0,
        },
    );
    s.act(1, t + Duration::minutes(30), resolve("已处理"));
    assert_eq!(contact(&s.case()), None);
    let told = t + Duration::minutes(90);
    s.act(
        1,
        told,
        Action::Feedback {
            method: ContactMethod::Phone,
            note: String::new(),
        },
    );
    let case = s.case();
    assert_eq!(contact(&case), Some(told), "{:?}", case.violations);
}

/// A complaint received at `t`, assessed, passed on and started within
/// the quarter hour, with a regional manager (device 2) to decide on a
/// compensation.
fn in_progress(t: DateTime<Utc>) -> Sim {
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.device(Role::RegionalManager);
    assess_at(
        &mut s,
        t + Duration::minutes(5),
        Severity::General,
        false,
        true,
    );
    s.act(1, t + Duration::minutes(10), assign());
    s.act(1, t + Duration::minutes(15), Action::Start);
    s
}

/// A solution whose compensation is refused was no reply: the reply
/// clock runs again, and the next proposal meets it (late here). Before,
/// the refused proposal stood as the reply, and the case owed nothing.
#[test]
fn a_refused_solution_was_no_reply() {
    let t = local(2026, 3, 2, 10, 0);
    let mut s = in_progress(t);
    let propose = |fen| Action::Propose {
        measures: "更换门禁".into(),
        responsible: "李工".into(),
        planned_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 20),
        compensation_fen: fen,
    };
    s.act(1, local(2026, 3, 3, 10, 0), propose(50_000));
    let reply = |s: &Sim| clock_of(&s.case(), Clock::Solution).expect("the reply clock");
    assert_eq!(reply(&s).met_at, Some(local(2026, 3, 3, 10, 0)));
    s.act(
        2,
        local(2026, 3, 9, 10, 0),
        Action::Approve {
            approved: false,
            comment: "金额过高".into(),
            compensation_fen: Some(50_000),
        },
    );
    assert_eq!(reply(&s).met_at, None);
    assert_eq!(
        status(&s.case(), Clock::Solution, local(2026, 3, 9, 11, 0)),
        ClockStatus::Overdue
    );
    s.act(1, local(2026, 3, 12, 10, 0), propose(0));
    assert_eq!(reply(&s).met_at, Some(local(2026, 3, 12, 10, 0)));
    assert_eq!(
        status(&s.case(), Clock::Solution, local(2026, 3, 12, 11, 0)),
        ClockStatus::MetLate
    );

    // Proposed again while the first waited for its decision, then
    // refused: no reply either (the second was the one refused).
    let mut s = in_progress(t);
    s.act(1, local(2026, 3, 3, 10, 0), propose(50_000));
    s.act(1, local(2026, 3, 4, 10, 0), propose(60_000));
    s.act(
        2,
        local(2026, 3, 9, 10, 0),
        Action::Approve {
            approved: false,
            comment: "金额过高".into(),
            compensation_fen: Some(60_000),
        },
    );
    assert_eq!(reply(&s).met_at, None);

    // Approved, the proposal it was stays the reply.
    let mut s = in_progress(t);
    s.act(1, local(2026, 3, 3, 10, 0), propose(50_000));
    s.act(
        2,
        local(2026, 3, 9, 10, 0),
        Action::Approve {
            approved: true,
            comment: String::new(),
            compensation_fen: Some(50_000),
        },
    );
    assert_eq!(reply(&s).met_at, Some(local(2026, 3, 3, 10, 0)));
}

#[test]
fn a_clock_keeps_the_rule_it_started_under_when_the_settings_change() {
    // Registered on Monday 2 March 2026: 3 working days to a solution.
    let t = local(2026, 3, 2, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let promised = due(&s.case(), Clock::Solution);
    assert_eq!(promised, local(2026, 3, 5, 23, 59) + Duration::seconds(59));

    // On Tuesday the company shortens the rule to 1 working day.
    let mut shorter = s.settings.clone();
    shorter.deadlines.solution = shared::deadline::DeadlineRule::WorkingDays(1);
    s.settings = shorter.replacing(&s.settings, local(2026, 3, 3, 9, 0));
    assert_eq!(due(&s.case(), Clock::Solution), promised);

    // A case registered after the change gets the new rule.
    let t = local(2026, 3, 3, 10, 0);
    let mut later = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    later.settings = s.settings.clone();
    assert_eq!(
        due(&later.case(), Clock::Solution),
        local(2026, 3, 4, 23, 59) + Duration::seconds(59)
    );
    // So does one received before the change and recorded after it: the
    // promise is made when it is recorded.
    let received = local(2026, 3, 3, 8, 30);
    let mut late = sim_with(CaseKind::Complaint, Channel::Phone, received, t);
    late.settings = s.settings.clone();
    assert_eq!(
        due(&late.case(), Clock::Solution),
        local(2026, 3, 4, 23, 59) + Duration::seconds(59)
    );
}

#[test]
fn the_investigations_extension_cap_follows_the_solution_clocks_rule() {
    // Received under a 3-working-day solution rule (4 extension days at
    // most), transferred after the rule rose to 5: the investigation,
    // which started under the new rule, takes the four days the solution
    // clock's rule allowed, as the solution does.
    let t = local(2026, 3, 2, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let mut five = s.settings.clone();
    five.deadlines.solution = shared::deadline::DeadlineRule::WorkingDays(5);
    s.settings = five.replacing(&s.settings, local(2026, 3, 2, 12, 0));
    assess_at(
        &mut s,
        local(2026, 3, 2, 13, 0),
        Severity::General,
        false,
        true,
    );
    s.act(1, local(2026, 3, 2, 14, 0), assign());
    s.act(1, local(2026, 3, 2, 15, 0), extension(4));
    let case = s.case();
    assert!(case.violations.is_empty(), "{:?}", case.violations);
    // Two working days from Monday, then 5, 6, 9 and 10 March.
    let investigation = clock_of(&case, Clock::Investigation).expect("the investigation");
    assert_eq!(
        investigation.due_at,
        local(2026, 3, 10, 23, 59) + Duration::seconds(59)
    );
    assert_eq!(investigation.extended_working_days, 4);
    assert_eq!(
        due(&case, Clock::Solution),
        local(2026, 3, 11, 23, 59) + Duration::seconds(59)
    );
}

#[test]
fn the_extension_cap_follows_the_rule_the_solution_clock_started_under() {
    // Received under a 5-working-day solution rule and the 7-day
    // special-case limit: 2 working days of extension at most, even after
    // the rule falls to 3 (which would allow 4 for cases received since).
    let t = local(2026, 3, 2, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let mut five = s.settings.clone();
    five.deadlines.solution = shared::deadline::DeadlineRule::WorkingDays(5);
    s.settings = five.replacing(&s.settings, local(2026, 3, 1, 0, 0));
    let mut three = s.settings.clone();
    three.deadlines.solution = shared::deadline::DeadlineRule::WorkingDays(3);
    s.settings = three.replacing(&s.settings, local(2026, 3, 2, 12, 0));
    s.act(1, local(2026, 3, 2, 14, 0), extension(4));
    let case = s.case();
    assert_eq!(
        case.violations
            .iter()
            .map(|v| v.rule.code())
            .collect::<Vec<_>>(),
        ["workflow.extension_too_long"]
    );
    // 5 working days from Monday 2 March: Monday 9 March.
    assert_eq!(
        due(&case, Clock::Solution),
        local(2026, 3, 9, 23, 59) + Duration::seconds(59)
    );
}

/// A case that ends owes nothing more: a clock still running when it was
/// withdrawn stays only if it had run out by then, a deadline missed while
/// the case was open, which the statistics then count.
#[test]
fn a_withdrawn_case_keeps_only_the_clocks_it_had_already_missed() {
    let t = local(2026, 3, 2, 10, 0);
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    let running: Vec<Clock> = s.case().deadlines.iter().map(|d| d.clock).collect();
    assert!(running.contains(&Clock::Transfer) && running.contains(&Clock::Solution));
    // Three hours on: the 1-hour transfer has run out, the solution has not.
    s.act(
        1,
        t + Duration::hours(3),
        Action::Withdraw {
            reason: "业主自行处理".into(),
        },
    );
    let case = s.case();
    assert_eq!(case.state, shared::case::CaseState::Withdrawn);
    let kept: Vec<Clock> = case.deadlines.iter().map(|d| d.clock).collect();
    assert_eq!(kept, [Clock::Transfer], "{:?}", case.deadlines);
}

/// An assessment made by the manager (device 1) at `at`.
fn assess_at(s: &mut Sim, at: DateTime<Utc>, severity: Severity, urgent: bool, valid: bool) {
    let mut action = assess(
        severity,
        if valid {
            Validity::Valid
        } else {
            Validity::Unfounded
        },
    );
    if let Action::Assess { urgent: u, .. } = &mut action {
        *u = urgent;
    }
    s.act(1, at, action);
}

fn clock_of(case: &Case, clock: Clock) -> Option<shared::deadline::ClockState> {
    case.deadlines.iter().find(|d| d.clock == clock).cloned()
}

#[test]
fn an_assessment_made_again_keeps_the_deadlines_missed_before_it() {
    // Monday 2 March 2026, 09:00: urgent at 09:10, nobody calls or goes.
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::General,
        true,
        true,
    );
    // Not urgent after all, at 14:00: the call was due at 11:00 and was
    // missed; the visit, due at 17:00, is owed no more.
    let second = local(2026, 3, 2, 14, 0);
    assess_at(&mut s, second, Severity::General, false, true);
    let case = s.case();
    let contact = clock_of(&case, Clock::UrgentContact).expect("the missed call stays");
    assert_eq!(contact.due_at, t + Duration::hours(2));
    assert_eq!(contact.met_at, Some(second), "missed, and ended then");
    assert!(contact.taken_unmet);
    assert_eq!(
        status(&case, Clock::UrgentContact, second + Duration::days(3)),
        ClockStatus::Missed
    );
    assert_eq!(clock_of(&case, Clock::UrgentOnSite), None);

    // Major, unreported past its due time, then found general: the missed
    // report stays; downgraded in time, it is owed no more.
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::Major,
        false,
        true,
    );
    let report_due = due(&s.case(), Clock::MajorReport);
    let mut early = s.clone();
    assess_at(
        &mut s,
        report_due + Duration::hours(1),
        Severity::General,
        false,
        true,
    );
    let report = clock_of(&s.case(), Clock::MajorReport).expect("the missed report stays");
    assert_eq!(report.met_at, Some(report_due + Duration::hours(1)));
    assert!(report.taken_unmet);
    assess_at(
        &mut early,
        report_due - Duration::minutes(5),
        Severity::General,
        false,
        true,
    );
    assert_eq!(clock_of(&early.case(), Clock::MajorReport), None);

    // A valid complaint transferred in time and then found unfounded keeps
    // the transfer it met.
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::General,
        false,
        true,
    );
    s.act(1, t + Duration::minutes(30), assign());
    assess_at(
        &mut s,
        local(2026, 3, 3, 9, 0),
        Severity::General,
        false,
        false,
    );
    let transfer = clock_of(&s.case(), Clock::Transfer).expect("the transfer stays");
    assert_eq!(transfer.met_at, Some(t + Duration::minutes(30)));
    // The department never started (due two hours after the transfer):
    // missed, and ended when the complaint was found unfounded. Its
    // investigation was not yet due then: owed no more.
    let case = s.case();
    let start = clock_of(&case, Clock::DepartmentStart).expect("the missed start stays");
    assert_eq!(start.met_at, Some(local(2026, 3, 3, 9, 0)));
    assert!(start.taken_unmet);
    assert!(!transfer.taken_unmet, "met, then taken away");
    assert_eq!(
        status(&case, Clock::DepartmentStart, local(2026, 3, 9, 9, 0)),
        ClockStatus::Missed
    );
    assert_eq!(clock_of(&case, Clock::Investigation), None);
}

#[test]
fn a_complaint_found_valid_after_all_is_transferred_from_then() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::General,
        false,
        false,
    );
    assert_eq!(clock_of(&s.case(), Clock::Transfer), None);
    // The resident brings proof the next morning.
    let valid = local(2026, 3, 3, 9, 0);
    assess_at(&mut s, valid, Severity::General, false, true);
    assert_eq!(due(&s.case(), Clock::Transfer), valid + Duration::hours(1));
}

#[test]
fn an_escalation_before_a_case_was_found_major_is_not_its_report() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    // Staff escalate an angry caller to the manager, who then finds the
    // case major: head office has not been told.
    s.act(
        0,
        t + Duration::minutes(5),
        Action::Escalate {
            to_role: Role::Manager,
            skip_level: false,
            reason: "住户情绪激动".into(),
        },
    );
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::Major,
        false,
        true,
    );
    let report = clock_of(&s.case(), Clock::MajorReport).expect("a major case reports");
    assert_eq!(report.met_at, None);
    // Staff telling the manager who assessed it: still not head office.
    s.act(
        0,
        t + Duration::minutes(15),
        Action::Escalate {
            to_role: Role::Manager,
            skip_level: false,
            reason: "已定为重大".into(),
        },
    );
    assert_eq!(
        clock_of(&s.case(), Clock::MajorReport).and_then(|c| c.met_at),
        None
    );
    let reported = t + Duration::minutes(20);
    s.act(
        1,
        reported,
        Action::Escalate {
            to_role: Role::RegionalManager,
            skip_level: false,
            reason: "重大投诉".into(),
        },
    );
    assert_eq!(
        clock_of(&s.case(), Clock::MajorReport).and_then(|c| c.met_at),
        Some(reported)
    );
}

#[test]
fn a_report_missed_stays_missed_when_the_case_is_found_major_again() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let first = t + Duration::minutes(10);
    assess_at(&mut s, first, Severity::Major, false, true);
    let report_due = due(&s.case(), Clock::MajorReport);
    assess_at(
        &mut s,
        report_due + Duration::hours(1),
        Severity::General,
        false,
        true,
    );
    assess_at(
        &mut s,
        report_due + Duration::hours(2),
        Severity::Major,
        false,
        true,
    );
    // Found general once more before the second report was due: that one
    // is owed no more, and the first, missed, stays missed.
    let mut again = s.clone();
    assess_at(
        &mut again,
        report_due + Duration::minutes(130),
        Severity::General,
        false,
        true,
    );
    let report = clock_of(&again.case(), Clock::MajorReport).expect("the missed report stays");
    assert_eq!(
        (report.started_at, report.due_at, report.met_at),
        (first, report_due, Some(report_due + Duration::hours(1)))
    );
    assert!(report.taken_unmet);
    let reported = report_due + Duration::hours(3);
    s.act(
        1,
        reported,
        Action::Escalate {
            to_role: Role::RegionalManager,
            skip_level: false,
            reason: "重大投诉".into(),
        },
    );
    let report = clock_of(&s.case(), Clock::MajorReport).expect("a major case reports");
    assert_eq!(
        (report.started_at, report.due_at, report.met_at),
        (first, report_due, Some(reported)),
        "owed since it was first found major, and late"
    );
}

#[test]
fn a_transfer_missed_stays_missed_when_the_complaint_is_found_unfounded_again() {
    // Valid at 09:10 and not transferred by 10:10; unfounded at 11:00,
    // valid again at 11:10 and unfounded again at 11:20, before the
    // second transfer was due.
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    let first = t + Duration::minutes(10);
    assess_at(&mut s, first, Severity::General, false, true);
    let unfounded = local(2026, 3, 2, 11, 0);
    assess_at(&mut s, unfounded, Severity::General, false, false);
    assess_at(
        &mut s,
        unfounded + Duration::minutes(10),
        Severity::General,
        false,
        true,
    );
    assess_at(
        &mut s,
        unfounded + Duration::minutes(20),
        Severity::General,
        false,
        false,
    );
    let transfer = clock_of(&s.case(), Clock::Transfer).expect("the missed transfer stays");
    assert_eq!(
        (transfer.started_at, transfer.due_at, transfer.met_at),
        (first, first + Duration::hours(1), Some(unfounded))
    );
    assert!(transfer.taken_unmet);
}

#[test]
fn a_clock_ended_or_taken_away_within_its_due_second_was_not_missed() {
    // A repair's solution is due on Thursday 5 March at 23:59:59; the
    // case withdrawn within that second owes it no more, as an answer
    // then would have met it. A second later it was missed.
    let t = local(2026, 3, 2, 10, 0);
    let solution_due = local(2026, 3, 5, 23, 59) + Duration::seconds(59);
    let withdrawn_at = |at| {
        let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
        s.act(
            1,
            at,
            Action::Withdraw {
                reason: "业主自行处理".into(),
            },
        );
        s.case()
    };
    let within = withdrawn_at(solution_due + Duration::milliseconds(400));
    assert_eq!(clock_of(&within, Clock::Solution), None);
    let after = withdrawn_at(solution_due + Duration::seconds(1));
    assert_eq!(due(&after, Clock::Solution), solution_due);

    // So is an urgent call found not urgent within its due second.
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::General,
        true,
        true,
    );
    assess_at(
        &mut s,
        t + Duration::hours(2) + Duration::milliseconds(400),
        Severity::General,
        false,
        true,
    );
    assert_eq!(clock_of(&s.case(), Clock::UrgentContact), None);
}

#[test]
fn a_taken_urgent_clock_counts_from_the_receipt_as_corrected() {
    // Received at 13:00 but typed as 08:00: found urgent at 13:10 (the
    // call "due" at 10:00), not urgent at 13:30, the receipt corrected at
    // 13:40 (by the manager: later is against whoever registered it).
    // The call was due at 15:00 and owed no more at 13:30.
    let typed = local(2026, 3, 2, 8, 0);
    let recorded = local(2026, 3, 2, 13, 5);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, typed, recorded);
    assess_at(
        &mut s,
        local(2026, 3, 2, 13, 10),
        Severity::General,
        true,
        true,
    );
    assess_at(
        &mut s,
        local(2026, 3, 2, 13, 30),
        Severity::General,
        false,
        true,
    );
    s.act(
        1,
        local(2026, 3, 2, 13, 40),
        Action::Edit(shared::case::RegistrationPatch {
            received_at: Some(local(2026, 3, 2, 13, 0)),
            ..Default::default()
        }),
    );
    assert_eq!(clock_of(&s.case(), Clock::UrgentContact), None);

    // The other way round: typed as 13:05, received at 08:00. Not yet
    // due by the receipt typed when it was taken away at 13:30, the call
    // was due at 10:00 by the receipt corrected since: missed.
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, recorded, recorded);
    assess_at(
        &mut s,
        local(2026, 3, 2, 13, 10),
        Severity::General,
        true,
        true,
    );
    let taken = local(2026, 3, 2, 13, 30);
    assess_at(&mut s, taken, Severity::General, false, true);
    s.act(
        1,
        local(2026, 3, 2, 13, 40),
        Action::Edit(shared::case::RegistrationPatch {
            received_at: Some(typed),
            ..Default::default()
        }),
    );
    let contact = clock_of(&s.case(), Clock::UrgentContact).expect("the missed call stays");
    assert_eq!(
        (contact.due_at, contact.met_at),
        (local(2026, 3, 2, 10, 0), Some(taken))
    );
}

#[test]
fn a_taken_urgent_clock_missed_stays_when_the_repair_is_then_done_on_the_spot() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::General,
        true,
        true,
    );
    let second = local(2026, 3, 2, 14, 0);
    assess_at(&mut s, second, Severity::General, false, true);
    let done = local(2026, 3, 2, 15, 0);
    s.act(
        0,
        done,
        Action::Resolve {
            result: "已修好".into(),
            feedback_method: ContactMethod::Visit,
            feedback_at: Some(done),
            on_the_spot: true,
        },
    );
    let contact = clock_of(&s.case(), Clock::UrgentContact).expect("the missed call stays");
    assert_eq!(contact.met_at, Some(second));
}

#[test]
fn a_case_reopened_before_the_resident_was_told_owes_the_next_result() {
    let t = local(2026, 3, 2, 9, 0);
    // Resolved at 16:00 on 2 March, and reopened at `reopened`.
    let reworked = |reopened: DateTime<Utc>, anonymous: bool| {
        let mut s = Sim::new();
        s.device(Role::Staff);
        s.device(Role::Manager);
        let mut reg = registration(CaseKind::Repair, Channel::Phone, t);
        reg.complainant.anonymous = anonymous;
        s.act_expecting(0, t, Action::Register(reg), None);
        s.act(0, t + Duration::minutes(10), assign());
        s.act(0, t + Duration::minutes(30), Action::Start);
        s.act(0, local(2026, 3, 2, 16, 0), resolve("已修复"));
        s.act(
            1,
            reopened,
            Action::Reopen {
                reason: "复查发现仍漏水".into(),
            },
        );
        s
    };
    // Reopened within the hour: the result to tell is the next one, and
    // nobody could tell it while the work was redone.
    let mut s = reworked(local(2026, 3, 2, 17, 0), false);
    assert_eq!(clock_of(&s.case(), Clock::Feedback), None, "owed no more");
    let again = local(2026, 3, 4, 10, 0);
    s.act(0, again - Duration::hours(1), Action::Start);
    s.act(0, again, resolve("已更换阀门"));
    let told = again + Duration::minutes(30);
    s.act(
        0,
        told,
        Action::Feedback {
            method: ContactMethod::Phone,
            note: "业主确认不再漏水".into(),
        },
    );
    let case = s.case();
    let feedback: Vec<_> = case
        .deadlines
        .iter()
        .filter(|d| d.clock == Clock::Feedback)
        .collect();
    assert_eq!(feedback.len(), 1, "{feedback:?}");
    assert_eq!(feedback[0].due_at, again + Duration::hours(24));
    assert_eq!(status(&case, Clock::Feedback, told), ClockStatus::MetOnTime);

    // Reopened two days later, nobody told yet: missed by then, it stays.
    let reopened = local(2026, 3, 4, 9, 0);
    let s = reworked(reopened, false);
    let missed = clock_of(&s.case(), Clock::Feedback).expect("the missed feedback stays");
    assert_eq!(missed.due_at, local(2026, 3, 3, 16, 0));
    assert!(missed.taken_unmet);
    assert_eq!(
        status(&s.case(), Clock::Feedback, reopened),
        ClockStatus::Missed
    );

    // An anonymous resident whose phone was taken off since: nobody can
    // tell them, and the feedback missed before is owed to nobody.
    let mut s = reworked(reopened, true);
    assert!(clock_of(&s.case(), Clock::Feedback).is_some());
    s.act(
        0,
        reopened + Duration::hours(1),
        Action::Edit(shared::case::RegistrationPatch {
            complainant_phone: Some(None),
            ..Default::default()
        }),
    );
    assert_eq!(clock_of(&s.case(), Clock::Feedback), None);
}

#[test]
fn an_urgent_repair_resolved_was_attended_on_site() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(5),
        Severity::General,
        true,
        true,
    );
    s.act(0, t + Duration::minutes(10), assign());
    s.act(0, t + Duration::minutes(40), Action::Start);
    let done = local(2026, 3, 2, 11, 0);
    s.act(0, done, resolve("水管已抢修"));
    let on_site = clock_of(&s.case(), Clock::UrgentOnSite).expect("the on-site clock");
    assert_eq!(on_site.met_at, Some(done));
    assert_eq!(
        status(&s.case(), Clock::UrgentOnSite, local(2026, 3, 2, 18, 0)),
        ClockStatus::MetOnTime,
        "not overdue at 17:00 for want of an on-site note"
    );
}

/// A complaint received Monday 2 March 2026 at 10:00, assessed general,
/// assigned and started, and granted four extension days on 3 March; major
/// complaints have five working days, which leaves room for two.
fn general_complaint_extended_four_days() -> Sim {
    let t = local(2026, 3, 2, 10, 0);
    let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
    s.settings.deadlines.solution_by_severity.insert(
        Severity::Major,
        shared::deadline::DeadlineRule::WorkingDays(5),
    );
    assess_at(
        &mut s,
        t + Duration::minutes(10),
        Severity::General,
        false,
        true,
    );
    s.act(1, t + Duration::minutes(20), assign());
    s.act(1, t + Duration::minutes(30), Action::Start);
    s.act(1, local(2026, 3, 3, 9, 0), extension(4));
    s
}

#[test]
fn an_assessment_after_a_solution_met_leaves_its_extensions_whole() {
    // Major complaints have five working days, which leaves room for two
    // extension days; the case, general then, was granted four, and its
    // extended solution (11 March) was met on 10 March.
    let mut s = general_complaint_extended_four_days();
    let eleventh = local(2026, 3, 11, 23, 59) + Duration::seconds(59);
    assert_eq!(due(&s.case(), Clock::Solution), eleventh);
    let answered = local(2026, 3, 10, 15, 0);
    s.act(
        1,
        answered,
        Action::Propose {
            measures: "更换门禁".into(),
            responsible: "李工".into(),
            planned_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 20),
            compensation_fen: 0,
        },
    );
    assess_at(
        &mut s,
        local(2026, 3, 12, 9, 0),
        Severity::Major,
        false,
        true,
    );
    let case = s.case();
    assert!(case.violations.is_empty(), "{:?}", case.violations);
    assert_eq!(due(&case, Clock::Solution), eleventh);
    assert_eq!(
        status(&case, Clock::Solution, answered),
        ClockStatus::MetOnTime
    );
    // The investigation, moved by the same extension and met by the same
    // proposal, keeps its four days too.
    assert_eq!(
        status(&case, Clock::Investigation, answered),
        ClockStatus::MetOnTime
    );
    let investigation = clock_of(&case, Clock::Investigation).expect("the investigation");
    assert_eq!(investigation.extended_working_days, 4);
}

#[test]
fn an_investigation_met_before_an_assessment_keeps_its_extension() {
    // General, then major (five working days, room for two extension
    // days): the cause found on 9 March, within the four days granted,
    // before the assessment of 10 March while the solution still runs.
    let mut s = general_complaint_extended_four_days();
    let found = local(2026, 3, 9, 16, 0);
    s.act(
        1,
        found,
        Action::Note {
            note_kind: shared::case::NoteKind::CauseAnalysis,
            text: "门禁控制器老化".into(),
        },
    );
    assess_at(
        &mut s,
        local(2026, 3, 10, 9, 0),
        Severity::Major,
        false,
        true,
    );
    let case = s.case();
    let investigation = clock_of(&case, Clock::Investigation).expect("the investigation");
    assert_eq!(investigation.met_at, Some(found));
    assert_eq!(investigation.extended_working_days, 4);
    assert_eq!(
        status(&case, Clock::Investigation, found),
        ClockStatus::MetOnTime
    );
}

#[test]
fn a_callback_that_reaches_the_resident_meets_the_urgent_contact() {
    // An urgent repair fixed at night without telling the resident, who
    // is called back the next morning.
    let t = local(2026, 3, 2, 21, 0);
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    assess_at(
        &mut s,
        t + Duration::minutes(5),
        Severity::General,
        true,
        true,
    );
    s.act(0, t + Duration::minutes(10), assign());
    s.act(0, t + Duration::minutes(40), Action::Start);
    s.act(0, local(2026, 3, 2, 23, 30), resolve("水管已抢修"));
    let called = local(2026, 3, 3, 9, 0);
    s.act(
        0,
        called,
        Action::FollowUp {
            method: ContactMethod::Phone,
            satisfaction: 5,
            comment: String::new(),
            spot_check: false,
            ratings: None,
        },
    );
    let contact = clock_of(&s.case(), Clock::UrgentContact).expect("the contact clock");
    assert_eq!(contact.met_at, Some(called));
    assert_eq!(
        status(&s.case(), Clock::UrgentContact, local(2026, 3, 3, 10, 0)),
        ClockStatus::MetLate,
        "no longer overdue in the inbox once the resident was called"
    );
}

/// Passed to another department (转办), a case gives the new one its own
/// time to start and investigate, from the handover; a start the first
/// one had already missed stays missed; passed within a department, the
/// start already made stands.
#[test]
fn a_case_passed_to_another_department_gives_it_its_own_time_to_start() {
    // Monday 2 March 2026, a working day.
    let t = local(2026, 3, 2, 8, 30);
    let to = |department: &str, name: &str| Action::Assign {
        department: department.into(),
        user: None,
        name: name.into(),
        note: String::new(),
    };
    let assigned_at = |s: &mut Sim, minutes: i64, department: &str| {
        s.act(1, t + Duration::minutes(minutes), to(department, "李工"));
    };
    let start = |s: &mut Sim, minutes: i64| {
        s.act(1, t + Duration::minutes(minutes), Action::Start);
    };
    let assessed = || {
        let mut s = sim_with(CaseKind::Complaint, Channel::Phone, t, t);
        s.act(
            1,
            t + Duration::minutes(20),
            assess(Severity::General, Validity::Valid),
        );
        s
    };
    let clock = |s: &Sim, clock: Clock| {
        let case = s.case();
        let c = *case
            .deadlines
            .iter()
            .find(|d| d.clock == clock)
            .expect("the clock");
        (c.started_at, c.due_at, c.met_at)
    };

    // Passed on at 10:30 before the first department started (its time ran
    // to 11:00): the second starts at 11:30, within its two hours.
    let mut s = assessed();
    assigned_at(&mut s, 30, "工程部");
    assigned_at(&mut s, 120, "保洁部");
    start(&mut s, 180);
    let handover = t + Duration::minutes(120);
    assert_eq!(
        clock(&s, Clock::DepartmentStart),
        (
            handover,
            handover + Duration::hours(2),
            Some(t + Duration::minutes(180))
        )
    );
    assert_eq!(
        status(&s.case(), Clock::DepartmentStart, t + Duration::hours(8)),
        ClockStatus::MetOnTime
    );
    // The investigation, two working days from the handover.
    assert_eq!(clock(&s, Clock::Investigation).0, handover);
    assert_eq!(
        clock(&s, Clock::Investigation).1,
        local(2026, 3, 4, 23, 59) + Duration::seconds(59)
    );

    // The first department started, then passed it on: the second owes a
    // start of its own, overdue when it makes none in time.
    let mut s = assessed();
    assigned_at(&mut s, 30, "工程部");
    start(&mut s, 40);
    assigned_at(&mut s, 330, "保洁部");
    let (started, due_at, met) = clock(&s, Clock::DepartmentStart);
    assert_eq!(
        (started, due_at, met),
        (
            t + Duration::minutes(330),
            t + Duration::minutes(330) + Duration::hours(2),
            None
        )
    );
    assert_eq!(
        status(&s.case(), Clock::DepartmentStart, t + Duration::hours(26)),
        ClockStatus::Overdue
    );

    // The first department's time ran out unmet before it passed the case
    // on: the start stays late, whoever makes it.
    let mut s = assessed();
    assigned_at(&mut s, 30, "工程部");
    assigned_at(&mut s, 270, "保洁部");
    start(&mut s, 300);
    let (started, due_at, met) = clock(&s, Clock::DepartmentStart);
    assert_eq!(
        (started, due_at, met),
        (
            t + Duration::minutes(30),
            t + Duration::minutes(150),
            Some(t + Duration::minutes(300))
        )
    );

    // Started late by the first department (its time ran to 10:30), then
    // passed on: the start stays late, though the second's was prompt.
    let mut s = assessed();
    assigned_at(&mut s, 30, "工程部");
    start(&mut s, 210);
    assigned_at(&mut s, 330, "保洁部");
    start(&mut s, 340);
    assert_eq!(
        clock(&s, Clock::DepartmentStart),
        (
            t + Duration::minutes(30),
            t + Duration::minutes(150),
            Some(t + Duration::minutes(340))
        )
    );
    assert_eq!(
        status(&s.case(), Clock::DepartmentStart, t + Duration::hours(8)),
        ClockStatus::MetLate
    );

    // A handover written offline that lost to a colleague's step and is
    // applied when the conflict is settled: the new department's time
    // runs from the settlement.
    let mut s = assessed();
    assigned_at(&mut s, 30, "工程部");
    let offline = s.act_expecting(
        1,
        t + Duration::minutes(40),
        to("保洁部", "张师傅"),
        Some(shared::case::CaseState::Assessed),
    );
    start(&mut s, 60);
    assert_eq!(s.case().open_conflicts().count(), 1);
    let settled = t + Duration::minutes(400);
    s.act(
        1,
        settled,
        Action::ResolveConflict {
            conflict_op: offline.id,
            apply: true,
            note: String::new(),
        },
    );
    assert_eq!(
        s.case().assignee.map(|a| a.department),
        Some("保洁部".to_string())
    );
    assert_eq!(
        clock(&s, Clock::DepartmentStart),
        (settled, settled + Duration::hours(2), None)
    );

    // Within the department (to another of its people), the start made
    // stands.
    let mut s = assessed();
    assigned_at(&mut s, 30, "工程部");
    start(&mut s, 40);
    s.act(1, t + Duration::minutes(330), to("工程部", "王工"));
    assert_eq!(
        clock(&s, Clock::DepartmentStart),
        (
            t + Duration::minutes(30),
            t + Duration::minutes(150),
            Some(t + Duration::minutes(40))
        )
    );
}

/// Resolved again after the resident, told the first result, was unhappy
/// at the callback (二次处理), the case owes them the new result within its
/// own 24 hours.
#[test]
fn the_result_of_a_second_round_is_owed_to_the_resident_too() {
    let t = local(2026, 3, 2, 9, 0);
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    s.act(0, t + Duration::minutes(10), assign());
    s.act(0, t + Duration::minutes(30), Action::Start);
    let resolved = local(2026, 3, 4, 10, 0);
    s.act(0, resolved, resolve("已修复"));
    let tell = |s: &mut Sim, at| {
        s.act(
            0,
            at,
            Action::Feedback {
                method: ContactMethod::Phone,
                note: "已告知业主".into(),
            },
        );
    };
    tell(&mut s, resolved + Duration::hours(1));
    // The callback finds the resident unhappy: the case is reopened.
    let unhappy = |s: &mut Sim, at| {
        s.act(
            0,
            at,
            Action::FollowUp {
                method: ContactMethod::Phone,
                satisfaction: 2,
                comment: "仍然漏水".into(),
                spot_check: false,
                ratings: None,
            },
        );
    };
    unhappy(&mut s, local(2026, 3, 5, 10, 0));
    assert_eq!(s.case().state, shared::case::CaseState::Reopened);
    s.act(0, local(2026, 3, 9, 9, 0), Action::Start);
    let again = local(2026, 3, 9, 10, 0);
    s.act(0, again, resolve("更换了水管"));
    let case = s.case();
    assert_eq!(due(&case, Clock::Feedback), again + Duration::hours(24));
    assert_eq!(
        status(&case, Clock::Feedback, again + Duration::hours(25)),
        ClockStatus::Overdue,
        "the second result is not told yet"
    );
    tell(&mut s, again + Duration::hours(5));
    assert_eq!(
        status(&s.case(), Clock::Feedback, again + Duration::hours(25)),
        ClockStatus::MetOnTime
    );

    // The first result told late stays late, whatever the second round.
    let mut s = sim_with(CaseKind::Repair, Channel::Phone, t, t);
    s.act(0, t + Duration::minutes(10), assign());
    s.act(0, t + Duration::minutes(30), Action::Start);
    s.act(0, resolved, resolve("已修复"));
    tell(&mut s, resolved + Duration::hours(30));
    unhappy(&mut s, local(2026, 3, 6, 10, 0));
    s.act(0, local(2026, 3, 9, 9, 0), Action::Start);
    s.act(0, again, resolve("更换了水管"));
    tell(&mut s, again + Duration::hours(1));
    let case = s.case();
    assert_eq!(due(&case, Clock::Feedback), resolved + Duration::hours(24));
    assert_eq!(
        status(&case, Clock::Feedback, again + Duration::hours(2)),
        ClockStatus::MetLate
    );
}
