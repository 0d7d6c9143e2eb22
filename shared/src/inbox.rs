//! 我的待办: what a user has to look at, computed on the device from the
//! folded cases.
//!
//! [`inbox`] goes over the cases once and returns an [`InboxItem`] per case
//! that has at least one [`Reason`] for this user: assigned to them, a
//! compensation their role may approve, an escalation (上报) to their role,
//! a clock due soon or overdue among the cases they answer for, a major
//! (重大) case for the management line and head office. Only open cases in
//! the user's property scope are considered.
//!
//! The app computes it once per fold (and once a minute, for clocks that
//! turn due soon), not per render: it runs over every case on the device.
//! [`Key`] names an item's reasons, so the app can tell which ones are new
//! since the last computation and notify about those.

use crate::case::{ApprovalState, Case, Severity};
use crate::code::coded_enum;
use crate::deadline::{Clock, ClockStatus};
use crate::id::CaseId;
use crate::role::{Role, User};
use crate::settings::Settings;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;

coded_enum! {
    /// Why a case is in a user's inbox.
    pub enum ReasonKind {
        /// The case is assigned to the user (派单/转办 named them).
        Assigned = ("assigned", "派给我的", "Assigned to me"),
        /// A proposed compensation waits for an approval the user's role may give.
        Approval = ("approval", "待我审批", "Awaiting my approval"),
        /// The case was escalated (上报) to the user's role.
        Escalated = ("escalated", "上报给我", "Escalated to me"),
        /// A clock is due within the due-soon window.
        DueSoon = ("due_soon", "即将到期", "Due soon"),
        /// A clock is past due.
        Overdue = ("overdue", "已超时", "Overdue"),
        /// A major (重大) case, for the management line and head office.
        Major = ("major", "重大工单", "Major case"),
    }
}

/// One reason, with what the user needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The current assignee is the user.
    Assigned,
    /// The pending compensation, in fen.
    Approval {
        /// The amount to approve.
        amount_fen: i64,
    },
    /// The latest escalation to the user's role.
    Escalated {
        /// It skipped a level (the direct superior was unreachable).
        skip_level: bool,
        /// When it was escalated.
        at: DateTime<Utc>,
    },
    /// A running clock due soon or overdue.
    Clock {
        /// Which clock.
        clock: Clock,
        /// When it is due.
        due_at: DateTime<Utc>,
        /// Past due (otherwise due soon).
        overdue: bool,
    },
    /// Assessed as major.
    Major,
}

impl Reason {
    /// The kind of reason, for labels and for the app's `data-reason`.
    pub fn kind(&self) -> ReasonKind {
        match self {
            Reason::Assigned => ReasonKind::Assigned,
            Reason::Approval { .. } => ReasonKind::Approval,
            Reason::Escalated { .. } => ReasonKind::Escalated,
            Reason::Clock { overdue: true, .. } => ReasonKind::Overdue,
            Reason::Clock { overdue: false, .. } => ReasonKind::DueSoon,
            Reason::Major => ReasonKind::Major,
        }
    }
}

/// A reason as the app compares computations: a clock that turns from due
/// soon to overdue is a new key, a due time moved by an extension is not;
/// an amount proposed again waits for its own decision, and an escalation
/// made again is news again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The case.
    pub case: CaseId,
    /// Why.
    pub kind: ReasonKind,
    /// The clock, for clock reasons.
    pub clock: Option<Clock>,
    /// The amount, for approvals.
    pub amount_fen: Option<i64>,
    /// When, for escalations.
    pub escalated_at: Option<DateTime<Utc>>,
}

/// A case in the inbox and every reason it is there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InboxItem {
    /// The case.
    pub case: CaseId,
    /// Why, in the order of [`ReasonKind`]; clocks by due time.
    pub reasons: Vec<Reason>,
}

impl InboxItem {
    /// The keys of the item's reasons.
    pub fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        self.reasons.iter().map(|r| Key {
            case: self.case,
            kind: r.kind(),
            clock: match r {
                Reason::Clock { clock, .. } => Some(*clock),
                _ => None,
            },
            amount_fen: match r {
                Reason::Approval { amount_fen } => Some(*amount_fen),
                _ => None,
            },
            escalated_at: match r {
                Reason::Escalated { at, .. } => Some(*at),
                _ => None,
            },
        })
    }
}

/// The inbox of `user` at `now`: the open cases in their scope that have a
/// reason for them, the most pressing first: those waiting for the user's
/// own decision (an approval, an escalation to their role), which nobody
/// else can give, then by the earliest clock due, then the newest case. A
/// general manager's inbox holds every overdue clock of the company; an
/// approval only they may give must not sink under them.
pub fn inbox<'a>(
    cases: impl IntoIterator<Item = &'a Case>,
    user: &User,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Vec<InboxItem> {
    let scope = user.scope();
    // Each item with what orders it: waits for a decision, first clock
    // due, registered.
    type Ranked = (InboxItem, bool, Option<DateTime<Utc>>, DateTime<Utc>);
    let mut items: Vec<Ranked> = cases
        .into_iter()
        .filter(|c| c.state.is_open() && scope.allows(c.registration.property))
        .filter_map(|c| {
            let reasons = reasons(c, user, now, settings);
            if reasons.is_empty() {
                return None;
            }
            let first_due = reasons.iter().find_map(|r| match r {
                Reason::Clock { due_at, .. } => Some(*due_at),
                _ => None,
            });
            let decision = reasons
                .iter()
                .any(|r| matches!(r, Reason::Approval { .. } | Reason::Escalated { .. }));
            let item = InboxItem {
                case: c.id,
                reasons,
            };
            Some((item, decision, first_due, c.registered.at))
        })
        .collect();
    items.sort_by_key(|(item, decision, due, registered)| {
        (
            !decision,
            due.is_none(),
            *due,
            Reverse(*registered),
            item.case,
        )
    });
    items.into_iter().map(|(item, ..)| item).collect()
}

/// The reasons an open case in scope is in `user`'s inbox.
fn reasons(case: &Case, user: &User, now: DateTime<Utc>, settings: &Settings) -> Vec<Reason> {
    let mut out = Vec::new();
    let assigned_to_me = assigned_to(case, user);
    // Once resolved, the assignee's part is done; a reopened case comes back.
    if assigned_to_me && !case.state.is_finished() {
        out.push(Reason::Assigned);
    }
    // By the limits the workflow will judge the approval with.
    if let Some(s) = &case.solution
        && s.approval == ApprovalState::Pending
        && crate::workflow::approval_limits(case, settings, now)
            .may_approve(user.role, s.compensation_fen)
    {
        out.push(Reason::Approval {
            amount_fen: s.compensation_fen,
        });
    }
    if let Some(e) = case
        .escalations
        .iter()
        .rev()
        .find(|e| e.to_role == user.role)
    {
        out.push(Reason::Escalated {
            skip_level: e.skip_level,
            at: e.stamp.at,
        });
    }
    if answers_for_clocks(case, user) {
        let due_soon = settings.deadlines.due_soon(settings.tz());
        let mut clocks: Vec<(DateTime<Utc>, Clock, bool)> = case
            .deadlines
            .iter()
            .filter_map(|c| match c.status(now, due_soon) {
                ClockStatus::DueSoon => Some((c.due_at, c.clock, false)),
                ClockStatus::Overdue => Some((c.due_at, c.clock, true)),
                ClockStatus::Pending | ClockStatus::MetOnTime | ClockStatus::MetLate => None,
            })
            .collect();
        clocks.sort();
        out.extend(
            clocks
                .into_iter()
                .map(|(due_at, clock, overdue)| Reason::Clock {
                    clock,
                    due_at,
                    overdue,
                }),
        );
    }
    let oversees_major = user.role.is_management() || user.role == Role::Quality;
    if oversees_major
        && case
            .assessment
            .as_ref()
            .is_some_and(|a| a.severity == Severity::Major)
    {
        out.push(Reason::Major);
    }
    out
}

/// Whose clocks a user watches. Staff and department heads act on their
/// own cases only (a staff member owns what they registered, as first
/// responder, and both own what is assigned to them); everyone else who
/// works or oversees cases watches every case in scope. The administrator
/// runs the system, not the cases.
fn answers_for_clocks(case: &Case, user: &User) -> bool {
    match user.role {
        Role::Staff | Role::DepartmentHead => {
            case.registered.by == user.id || assigned_to(case, user)
        }
        Role::Admin => false,
        Role::Manager | Role::RegionalManager | Role::DeputyGm | Role::Gm | Role::Quality => true,
    }
}

/// Whether `case` is assigned to `user`: to them by name, or, for a
/// department head, to their department (a case is often assigned to a
/// department and a worker who has no account, and its head answers for
/// it, as for the complainant's phone).
fn assigned_to(case: &Case, user: &User) -> bool {
    match user.role {
        Role::DepartmentHead => crate::personal_data::handles(user, case),
        _ => case
            .assignee
            .as_ref()
            .is_some_and(|a| a.user == Some(user.id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Assessment, Assignee, CaseState, Escalation, Solution, Stamp, Validity};
    use crate::deadline::ClockState;
    use crate::id::{PropertyId, UserId};
    use crate::sim::Fleet;

    const PROPERTY: u128 = 7;

    /// A complaint registered by the simulated staff member
    /// (`user(0x2000)`), folded.
    fn complaint() -> Case {
        let mut fleet = Fleet::new(&[(Role::Staff, 0)], property(PROPERTY), 0);
        // Choice 0 registers a complaint (`CaseKind::ALL[0]`).
        let op = fleet.register(0, t("2026-03-02T01:00:00Z"), 0);
        let mut case = crate::fold::fold(&[op], fleet.ctx()).unwrap();
        // Clocks are tested one by one below.
        case.deadlines.clear();
        case
    }

    fn property(n: u128) -> PropertyId {
        PropertyId(uuid::Uuid::from_u128(n))
    }

    fn user_id(n: u128) -> UserId {
        UserId(uuid::Uuid::from_u128(n))
    }

    fn user(n: u128, role: Role) -> User {
        User {
            id: user_id(n),
            login: format!("u{n}"),
            display_name: format!("U{n}"),
            role,
            properties: vec![property(PROPERTY)],
            department: None,
            active: true,
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn stamp(case: &Case, role: Role) -> Stamp {
        Stamp {
            role,
            ..case.registered.clone()
        }
    }

    const NOW: &str = "2026-03-03T06:00:00Z";

    /// The reason kinds of `case` in `user`'s inbox, none when it is not there.
    fn check(case: &Case, user: &User, expected: &[ReasonKind]) {
        let items = inbox([case], user, t(NOW), &Settings::default());
        let kinds: Vec<ReasonKind> = items
            .iter()
            .flat_map(|i| i.reasons.iter().map(Reason::kind))
            .collect();
        assert_eq!(kinds, expected, "{:?} {:?}", user.role, case.state);
        assert!(items.iter().all(|i| i.case == case.id));
    }

    fn assign(case: &mut Case, to: u128) {
        case.assignee = Some(Assignee {
            department: "工程部".into(),
            user: Some(user_id(to)),
            name: "李工".into(),
        });
        case.state = CaseState::Assigned;
    }

    #[test]
    fn an_assigned_case_is_the_assignees() {
        let mut case = complaint();
        assign(&mut case, 5);
        check(
            &case,
            &user(5, Role::DepartmentHead),
            &[ReasonKind::Assigned],
        );
        check(&case, &user(6, Role::DepartmentHead), &[]);
        // A person who is not a user, named only in words, is nobody's item.
        case.assignee.as_mut().unwrap().user = None;
        check(&case, &user(5, Role::DepartmentHead), &[]);
    }

    #[test]
    fn a_case_assigned_to_a_department_is_its_heads() {
        let mut case = complaint();
        assign(&mut case, 5);
        // To 工程部 and a worker without an account, as the form allows.
        case.assignee.as_mut().unwrap().user = None;
        let head = |department: &str| User {
            department: Some(department.into()),
            ..user(6, Role::DepartmentHead)
        };
        check(&case, &head("工程部"), &[ReasonKind::Assigned]);
        check(&case, &head("保洁部"), &[]);
        // Staff of the department are not its head.
        let staff = User {
            department: Some("工程部".into()),
            ..user(7, Role::Staff)
        };
        check(&case, &staff, &[]);
        // The department's clocks are the head's to watch.
        case.deadlines.push(overdue_clock(&case));
        check(
            &case,
            &head("工程部"),
            &[ReasonKind::Assigned, ReasonKind::Overdue],
        );
    }

    /// The department-start clock, started at registration and overdue
    /// at [`NOW`].
    fn overdue_clock(case: &Case) -> ClockState {
        ClockState {
            clock: Clock::DepartmentStart,
            started_at: case.registered.at,
            due_at: case.registered.at + chrono::Duration::hours(2),
            met_at: None,
            extended_working_days: 0,
        }
    }

    #[test]
    fn an_amount_proposed_again_or_an_escalation_made_again_is_a_new_key() {
        let mut case = complaint();
        propose(&mut case, 5000);
        let gm = user(1, Role::Gm);
        let keys = |case: &Case| -> Vec<Key> {
            inbox([case], &gm, t(NOW), &Settings::default())
                .iter()
                .flat_map(|i| i.keys().collect::<Vec<_>>())
                .collect()
        };
        let first = keys(&case);
        case.solution.as_mut().unwrap().compensation_fen = 600_000;
        let second = keys(&case);
        assert_eq!(second.len(), 1);
        assert_ne!(first, second, "the new amount waits for its own decision");

        escalate(&mut case, Role::Gm, false);
        let escalated = keys(&case);
        escalate(&mut case, Role::Gm, false);
        case.escalations.last_mut().unwrap().stamp.at += chrono::Duration::days(2);
        let again = keys(&case);
        assert_eq!(escalated.len(), 2);
        assert_ne!(escalated, again, "escalated again, days later");
    }

    #[test]
    fn an_assignment_leaves_the_inbox_once_handled_or_closed() {
        let mut case = complaint();
        assign(&mut case, 5);
        let head = user(5, Role::DepartmentHead);
        for (state, expected) in [
            (CaseState::InProgress, &[ReasonKind::Assigned][..]),
            (CaseState::Reopened, &[ReasonKind::Assigned]),
            (CaseState::Resolved, &[]),
            (CaseState::FollowedUp, &[]),
            (CaseState::Closed, &[]),
            (CaseState::Withdrawn, &[]),
        ] {
            case.state = state;
            check(&case, &head, expected);
        }
    }

    fn propose(case: &mut Case, yuan: i64) {
        case.solution = Some(Box::new(Solution {
            measures: "更换门禁".into(),
            responsible: "李工".into(),
            planned_date: None,
            compensation_fen: yuan * 100,
            approval: ApprovalState::Pending,
            approver_role: None,
            stamp: stamp(case, Role::DepartmentHead),
        }));
        case.state = CaseState::SolutionProposed;
    }

    #[test]
    fn a_pending_compensation_waits_for_the_roles_that_may_approve_it() {
        let mut case = complaint();
        propose(&mut case, 2000);
        check(&case, &user(1, Role::DeputyGm), &[ReasonKind::Approval]);
        check(&case, &user(2, Role::Gm), &[ReasonKind::Approval]);
        check(&case, &user(3, Role::RegionalManager), &[]);
        check(&case, &user(4, Role::Staff), &[]);
        let items = inbox(
            [&case],
            &user(1, Role::DeputyGm),
            t(NOW),
            &Settings::default(),
        );
        assert_eq!(
            items[0].reasons,
            [Reason::Approval {
                amount_fen: 200_000
            }]
        );
    }

    /// The workflow judges an approval by the limits in force when the
    /// solution was proposed; the inbox offers it to the same roles.
    #[test]
    fn a_change_of_the_limits_leaves_a_pending_approval_with_its_approver() {
        let mut case = complaint();
        propose(&mut case, 2000);
        let proposed = case.solution.as_ref().unwrap().stamp.at;
        let mut raised = Settings::default();
        raised.compensation.regional_manager_max_fen = 500_000;
        let settings =
            raised.replacing(&Settings::default(), proposed + chrono::Duration::hours(1));
        let kinds = |case: &Case, role| -> Vec<ReasonKind> {
            inbox([case], &user(1, role), t(NOW), &settings)
                .iter()
                .flat_map(|i| i.reasons.iter().map(Reason::kind))
                .collect()
        };
        assert_eq!(kinds(&case, Role::DeputyGm), [ReasonKind::Approval]);
        assert_eq!(kinds(&case, Role::RegionalManager), []);
        // A solution proposed after the change is the regional manager's.
        case.solution.as_mut().unwrap().stamp.at = proposed + chrono::Duration::hours(2);
        assert_eq!(kinds(&case, Role::RegionalManager), [ReasonKind::Approval]);
    }

    /// A general manager's inbox holds the company's overdue clocks; the
    /// approval only they may give comes before all of them.
    #[test]
    fn a_decision_only_the_user_can_make_comes_first() {
        let mut overdue = complaint();
        overdue.deadlines = vec![clock(Clock::Transfer, "2026-03-02T02:00:00Z")];
        let mut approval = complaint();
        approval.id = crate::id::CaseId(uuid::Uuid::from_u128(0x77));
        propose(&mut approval, 5000);
        let mut escalated = complaint();
        escalated.id = crate::id::CaseId(uuid::Uuid::from_u128(0x78));
        escalate(&mut escalated, Role::Gm, true);
        let items = inbox(
            [&overdue, &approval, &escalated],
            &user(1, Role::Gm),
            t(NOW),
            &Settings::default(),
        );
        let order: Vec<_> = items.iter().map(|i| i.case).collect();
        assert_eq!(order.len(), 3);
        assert_eq!(order[2], overdue.id, "{items:?}");
    }

    #[test]
    fn a_decided_compensation_waits_for_nobody() {
        let mut case = complaint();
        propose(&mut case, 500);
        let rm = user(1, Role::RegionalManager);
        check(&case, &rm, &[ReasonKind::Approval]);
        for decided in [ApprovalState::Approved, ApprovalState::Rejected] {
            case.solution.as_mut().unwrap().approval = decided;
            check(&case, &rm, &[]);
        }
    }

    fn escalate(case: &mut Case, to: Role, skip_level: bool) {
        case.escalations.push(Escalation {
            to_role: to,
            skip_level,
            reason: "业主情绪激动".into(),
            stamp: stamp(case, Role::Manager),
        });
    }

    #[test]
    fn an_escalation_reaches_its_target_role_only() {
        let mut case = complaint();
        escalate(&mut case, Role::RegionalManager, false);
        check(
            &case,
            &user(1, Role::RegionalManager),
            &[ReasonKind::Escalated],
        );
        check(&case, &user(2, Role::DeputyGm), &[]);
        check(&case, &user(3, Role::Staff), &[]);
        case.state = CaseState::Closed;
        check(&case, &user(1, Role::RegionalManager), &[]);
    }

    #[test]
    fn a_skip_level_escalation_says_so() {
        let mut case = complaint();
        escalate(&mut case, Role::RegionalManager, false);
        escalate(&mut case, Role::Gm, true);
        let items = inbox([&case], &user(1, Role::Gm), t(NOW), &Settings::default());
        assert_eq!(
            items[0].reasons,
            [Reason::Escalated {
                skip_level: true,
                at: case.registered.at
            }]
        );
    }

    fn clock(clock: Clock, due: &str) -> ClockState {
        ClockState {
            clock,
            started_at: t("2026-03-02T01:00:00Z"),
            due_at: t(due),
            met_at: None,
            extended_working_days: 0,
        }
    }

    #[test]
    fn clocks_due_today_or_past_due_are_listed_most_pressing_first() {
        let mut case = complaint();
        // Now is 14:00 in Shanghai.
        case.deadlines = vec![
            // Due in 3 hours.
            clock(Clock::InitialAssessment, "2026-03-03T09:00:00Z"),
            // Due tonight at the day's end, as a working-day clock is:
            // today's work, though more than the 4-hour window is left.
            clock(Clock::Solution, "2026-03-03T15:59:59Z"),
            // Due tomorrow at 09:00: not yet.
            clock(Clock::Investigation, "2026-03-04T01:00:00Z"),
            // Past due.
            clock(Clock::Transfer, "2026-03-02T02:00:00Z"),
        ];
        let mut met = clock(Clock::UrgentContact, "2026-03-02T03:00:00Z");
        met.met_at = Some(t("2026-03-02T02:00:00Z"));
        case.deadlines.push(met);
        let manager = user(1, Role::Manager);
        let items = inbox([&case], &manager, t(NOW), &Settings::default());
        assert_eq!(
            items[0].reasons,
            [
                Reason::Clock {
                    clock: Clock::Transfer,
                    due_at: t("2026-03-02T02:00:00Z"),
                    overdue: true
                },
                Reason::Clock {
                    clock: Clock::InitialAssessment,
                    due_at: t("2026-03-03T09:00:00Z"),
                    overdue: false
                },
                Reason::Clock {
                    clock: Clock::Solution,
                    due_at: t("2026-03-03T15:59:59Z"),
                    overdue: false
                },
            ]
        );
        case.state = CaseState::Withdrawn;
        check(&case, &manager, &[]);
    }

    #[test]
    fn staff_watch_the_clocks_of_their_own_cases_only() {
        let mut case = complaint();
        case.deadlines = vec![clock(Clock::InitialAssessment, "2026-03-03T09:00:00Z")];
        // The first responder who registered it.
        check(&case, &user(0x2000, Role::Staff), &[ReasonKind::DueSoon]);
        check(&case, &user(9, Role::Staff), &[]);
        check(&case, &user(5, Role::DepartmentHead), &[]);
        assign(&mut case, 5);
        check(
            &case,
            &user(5, Role::DepartmentHead),
            &[ReasonKind::Assigned, ReasonKind::DueSoon],
        );
        check(&case, &user(1, Role::Quality), &[ReasonKind::DueSoon]);
        check(&case, &user(2, Role::Admin), &[]);
    }

    #[test]
    fn nothing_outside_the_users_property_scope() {
        let mut case = complaint();
        case.deadlines = vec![clock(Clock::Transfer, "2026-03-02T02:00:00Z")];
        let mut manager = user(1, Role::Manager);
        check(&case, &manager, &[ReasonKind::Overdue]);
        manager.properties = vec![property(8)];
        check(&case, &manager, &[]);
        // Head office sees every property.
        let mut gm = user(2, Role::Gm);
        gm.properties.clear();
        check(&case, &gm, &[ReasonKind::Overdue]);
    }

    fn assess(case: &mut Case, severity: Severity) {
        case.assessment = Some(Box::new(Assessment {
            severity,
            urgent: false,
            validity: Validity::Valid,
            reason: String::new(),
            respondent: String::new(),
            respondent_department: String::new(),
            stamp: stamp(case, Role::Manager),
        }));
        case.state = CaseState::Assessed;
    }

    #[test]
    fn major_cases_are_for_the_management_line_and_head_office() {
        let mut case = complaint();
        assess(&mut case, Severity::Major);
        for role in [
            Role::Manager,
            Role::RegionalManager,
            Role::DeputyGm,
            Role::Gm,
            Role::Quality,
        ] {
            check(&case, &user(1, role), &[ReasonKind::Major]);
        }
        for role in [Role::Staff, Role::DepartmentHead, Role::Admin] {
            check(&case, &user(1, role), &[]);
        }
        assess(&mut case, Severity::General);
        check(&case, &user(1, Role::Gm), &[]);
        assess(&mut case, Severity::Major);
        case.state = CaseState::Closed;
        check(&case, &user(1, Role::Gm), &[]);
    }

    #[test]
    fn items_with_a_clock_come_first_then_the_newest_case() {
        let older = complaint();
        let mut newer = complaint();
        newer.id = CaseId(uuid::Uuid::from_u128(0xbeef));
        newer.registered.at = older.registered.at + chrono::Duration::hours(1);
        let mut due = complaint();
        due.id = CaseId(uuid::Uuid::from_u128(0xdead));
        due.deadlines = vec![clock(Clock::Transfer, "2026-03-02T02:00:00Z")];
        let mut cases = [older, newer, due];
        for case in &mut cases {
            assess(case, Severity::Major);
        }
        let items = inbox(&cases, &user(1, Role::Gm), t(NOW), &Settings::default());
        let order: Vec<CaseId> = items.iter().map(|i| i.case).collect();
        assert_eq!(order, [cases[2].id, cases[1].id, cases[0].id]);
    }

    #[test]
    fn keys_tell_a_clock_turning_overdue_from_the_same_clock_due_soon() {
        let mut case = complaint();
        case.deadlines = vec![clock(Clock::InitialAssessment, "2026-03-03T09:00:00Z")];
        let manager = user(1, Role::Manager);
        let keys = |now: &str| -> Vec<Key> {
            inbox([&case], &manager, t(now), &Settings::default())
                .iter()
                .flat_map(|i| i.keys().collect::<Vec<_>>())
                .collect()
        };
        let soon = keys(NOW);
        let late = keys("2026-03-03T10:00:00Z");
        assert_eq!(soon.len(), 1);
        assert_eq!(soon[0].kind, ReasonKind::DueSoon);
        assert_eq!(late[0].kind, ReasonKind::Overdue);
        assert_eq!(late[0].clock, Some(Clock::InitialAssessment));
        assert_ne!(soon, late);
        assert!(keys("2026-03-02T02:00:00Z").is_empty());
    }
}
