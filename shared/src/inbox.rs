//! 我的待办: what a user has to look at, computed on the device from the
//! folded cases.
//!
//! [`inbox`] goes over the cases once and returns an [`InboxItem`] per case
//! that has at least one [`Reason`] for this user: assigned to them, a
//! compensation their role may approve, an escalation (上报) to their role
//! that nobody of that role has acted on yet, a clock due soon or overdue
//! among the cases they answer for, a sync conflict they or their property
//! must settle, a step with no clock that is theirs (a reopened case, a
//! case to close, an improvement plan), a major (重大) case for the
//! management line and head office. Only open cases in the user's property
//! scope are considered.
//!
//! The app computes it once per fold (and once a minute, for clocks that
//! turn due soon), not per render: it runs over every case on the device.
//! [`Key`] names an item's reasons, so the app can tell which ones are new
//! since the last computation and notify about those.

use crate::case::{ApprovalState, Case, CaseState, Escalation, Outcome, Severity};
use crate::code::coded_enum;
use crate::deadline::{Clock, ClockStatus};
use crate::id::CaseId;
use crate::op::ActionKind;
use crate::role::{Role, User};
use crate::settings::Settings;
use crate::wire::UserCard;
use crate::workflow::{gate, role_may};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use std::cmp::Reverse;
use std::collections::HashMap;

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
        /// A clock's due time cannot be computed (its year's holiday
        /// schedule is not loaded): nobody would be told when it runs out.
        ClockUnknown = ("clock_unknown", "时限无法计算", "Deadline unknown"),
        /// The solution's planned date (计划完成日期) passed and the work is
        /// not done: the promise made to the complainant runs late.
        PlanLate = ("plan_late", "超过计划完成日期", "Past its planned date"),
        /// Two tablets acted on the case at once and one action lost: a
        /// person decides whether it still applies.
        Conflict = ("conflict", "待处理冲突", "Conflict to settle"),
        /// An action of the user's broke a rule once the records of
        /// several tablets met (a colleague decided first, a proposal
        /// came in between) and was kept without effect: they see what
        /// stands and decide what to do now.
        NotApplied = ("not_applied", "我的操作未生效", "My action did not apply"),
        /// The resident was not satisfied and the case was reopened for a
        /// second handling (二次处理).
        Reopened = ("reopened", "重新处理", "Reopened"),
        /// The case's next step is the user's and has no clock: closing it,
        /// or an accepted suggestion's improvement plan.
        NextStep = ("next_step", "待我处理", "My next step"),
        /// A major (重大) case, for the management line and head office.
        Major = ("major", "重大工单", "Major case"),
        /// The case's first responder can no longer answer for it (left
        /// the company, disabled, moved, another role): the manager names
        /// another.
        ResponderGone = ("responder_gone", "首问责任人已离岗", "First responder gone"),
        /// The person an open case is assigned to can no longer work it
        /// (left the company, disabled, moved, another role): the manager
        /// assigns it again, before its clocks run out unnoticed.
        AssigneeGone = ("assignee_gone", "经办人已离岗", "Assignee gone"),
        /// A spot-check call (抽查回访) found the resident unhappy with the
        /// work, and nothing has followed: the property's manager sees to
        /// what the call found.
        SpotCheckUnhappy = ("spot_check_unhappy", "抽查回访不满意", "Unhappy at a spot-check call"),
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
        /// The lowest role that may approve it: the user's own decision
        /// when it is their role, one a higher role may take over otherwise.
        required: Role,
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
    /// A clock whose due time the calendar cannot compute.
    ClockUnknown {
        /// Which clock.
        clock: Clock,
    },
    /// The solution's planned date passed before the case was resolved.
    PlanLate {
        /// The date planned.
        planned: NaiveDate,
    },
    /// Open sync conflicts the user made or their property settles.
    Conflict {
        /// How many.
        count: usize,
    },
    /// The user's actions kept without effect since they last acted on the
    /// case with effect.
    NotApplied {
        /// How many.
        count: usize,
    },
    /// Reopened, waiting for its second handling.
    Reopened,
    /// The next step, which only a user of some roles may take.
    NextStep {
        /// What it is (结案, 整改计划).
        action: ActionKind,
    },
    /// Assessed as major.
    Major,
    /// The first responder is no longer an active colleague of the
    /// property, or is one of a role that makes no callback (a department
    /// head who registered the case).
    ResponderGone {
        /// Still an active colleague of the property, in a role that
        /// makes no callback: not gone, and not to be said so.
        still_here: bool,
    },
    /// The person the case is assigned to is no longer an active
    /// colleague of the property who works cases.
    AssigneeGone,
    /// The latest spot-check call's score, no better than one that would
    /// reopen a case, and no case registered since that relates to it.
    SpotCheckUnhappy {
        /// The resident's score (1–5).
        score: u8,
    },
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
            Reason::ClockUnknown { .. } => ReasonKind::ClockUnknown,
            Reason::PlanLate { .. } => ReasonKind::PlanLate,
            Reason::Conflict { .. } => ReasonKind::Conflict,
            Reason::NotApplied { .. } => ReasonKind::NotApplied,
            Reason::Reopened => ReasonKind::Reopened,
            Reason::NextStep { .. } => ReasonKind::NextStep,
            Reason::Major => ReasonKind::Major,
            Reason::ResponderGone { .. } => ReasonKind::ResponderGone,
            Reason::AssigneeGone => ReasonKind::AssigneeGone,
            Reason::SpotCheckUnhappy { .. } => ReasonKind::SpotCheckUnhappy,
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
                Reason::Clock { clock, .. } | Reason::ClockUnknown { clock } => Some(*clock),
                _ => None,
            },
            amount_fen: match r {
                Reason::Approval { amount_fen, .. } => Some(*amount_fen),
                _ => None,
            },
            escalated_at: match r {
                Reason::Escalated { at, .. } => Some(*at),
                _ => None,
            },
        })
    }
}

/// How long a complaint closed without its assessment waits in the inbox
/// for it, from its receipt or, when later, its closure: a quarter, after
/// which that quarter's figures are reported. Older ones stay assessable
/// from the case, and are counted on the dashboard as not assessed.
pub const LATE_ASSESSMENT_DAYS: i64 = 92;

/// The inbox of `user` at `now`: the open cases in their scope that have a
/// reason for them, and the closed complaints still to be assessed (for
/// [`LATE_ASSESSMENT_DAYS`]), the most pressing first: those waiting for the user's
/// own decision (an approval their role is the one to give, an escalation
/// to their role), then by the earliest clock due, then the newest case. A
/// general manager's inbox holds every overdue clock of the company; an
/// approval only they may give must not sink under them, nor under the
/// smaller amounts a lower role approves.
///
/// `colleagues` is the user directory the device holds (who is active and
/// where they work), for cases whose first responder left; empty before
/// the first sync brings it, when nobody is taken as gone.
pub fn inbox<'a>(
    cases: impl IntoIterator<Item = &'a Case>,
    user: &User,
    colleagues: &[UserCard],
    now: DateTime<Utc>,
    settings: &Settings,
) -> Vec<InboxItem> {
    let scope = user.scope();
    let cases: Vec<&Case> = cases
        .into_iter()
        .filter(|c| scope.allows(c.registration.property))
        .collect();
    // When each case was last named as a later case's 关联工单: what a
    // spot-check found is followed by a new case that relates to it.
    let mut followed: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for c in cases.iter().filter(|c| c.state != CaseState::Voided) {
        if let Some(related) = c.registration.related_case.as_deref() {
            let at = followed.entry(related).or_insert(c.registered.at);
            *at = (*at).max(c.registered.at);
        }
    }
    // Each item with what orders it: waits for a decision, first clock
    // due, registered.
    type Ranked = (InboxItem, bool, Option<DateTime<Utc>>, DateTime<Utc>);
    let tz = settings.tz();
    let mut items: Vec<Ranked> = cases
        .into_iter()
        .filter_map(|c| {
            let mut reasons = if c.state.is_open() {
                reasons(c, user, colleagues, now, settings)
            } else {
                let mut reasons = late_assessment(c, user, now);
                reasons.extend(conflict(c, user));
                // Work recorded offline on a case voided, closed or
                // withdrawn meanwhile did not happen (a correction, an
                // escalation): its author is told, for a while (nothing
                // done on the ended case could answer it; a voided one's
                // is recorded again on the case it repeats, or once it is
                // restored).
                let count = not_applied(c, user);
                let recent = c.timeline.iter().rev().any(|t| {
                    t.stamp.by == user.id
                        && t.outcome == Outcome::Flagged
                        && now - t.stamp.at < chrono::Duration::days(VOIDED_NOTICE_DAYS)
                });
                if count > 0 && recent {
                    reasons.push(Reason::NotApplied { count });
                }
                reasons
            };
            let reg_no = c.registration.reg_no.to_string();
            reasons.extend(spot_check_unhappy(
                c,
                user,
                settings,
                followed.get(reg_no.as_str()).copied(),
            ));
            if reasons.is_empty() {
                return None;
            }
            // A plan past its date is a promise broken as a clock run out
            // is: due at the end of the planned day, company time.
            let first_due = reasons
                .iter()
                .filter_map(|r| match r {
                    Reason::Clock { due_at, .. } => Some(*due_at),
                    Reason::PlanLate { planned } => planned
                        .succ_opt()
                        .and_then(|next| {
                            tz.from_local_datetime(&next.and_time(NaiveTime::MIN))
                                .earliest()
                        })
                        .map(|end| end.with_timezone(&Utc)),
                    _ => None,
                })
                .min();
            let decision = reasons.iter().any(|r| match r {
                Reason::Approval { required, .. } => {
                    *required == user.role || next_up(c, *required) == Some(user.role)
                }
                Reason::Escalated { .. } => true,
                _ => false,
            });
            let item = InboxItem {
                case: c.id,
                reasons,
            };
            Some((item, decision, first_due, c.registered.at))
        })
        .collect();
    items.sort_unstable_by_key(|(item, decision, due, registered)| {
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

/// The latest spot-check call on `case`, when the resident scored it no
/// better than a score that reopens a case (`Settings::reopen_max`) and no
/// case registered after it names `case` as its 关联工单 (`followed`: the
/// latest that does): for the property's manager, who sees to what the
/// call found (seed 003: 主任對回訪中發現的問題及時處理). A spot-check moves
/// no case, and the sampled ones are mostly closed, where nothing more is
/// recorded: the return visit or repair it calls for is a new case.
fn spot_check_unhappy(
    case: &Case,
    user: &User,
    settings: &Settings,
    followed: Option<DateTime<Utc>>,
) -> Option<Reason> {
    // A voided case's call is about a duplicate: the case it repeats
    // carries the matter.
    if user.role != Role::Manager || case.state == CaseState::Voided {
        return None;
    }
    let last = case
        .follow_ups
        .iter()
        .filter(|f| f.spot_check)
        .max_by_key(|f| f.stamp.at)?;
    // Judged by the threshold in force at the call, as the workflow
    // judges a regular callback's.
    let unhappy = last.satisfaction <= settings.rules_at(last.stamp.at).reopen_max;
    // Seen to by a case that follows it, or on the case itself: reopened
    // after the call (handled again), or a regular callback after it
    // found the resident content. In the fold's order, as recorded.
    let after_call = |op| {
        let call = case
            .timeline
            .iter()
            .position(|t| t.stamp.op == last.stamp.op);
        let at = case.timeline.iter().position(|t| t.stamp.op == op);
        call.zip(at).is_some_and(|(call, at)| at > call)
    };
    // By a manager, or by a callback scoring low enough.
    let reopened = case.timeline.iter().any(|t| {
        t.outcome == Outcome::Applied && t.state == CaseState::Reopened && after_call(t.stamp.op)
    });
    let content_since = case.follow_ups.iter().any(|f| {
        !f.spot_check
            && f.satisfaction > settings.rules_at(f.stamp.at).reopen_max
            && after_call(f.stamp.op)
    });
    let seen_to = followed.is_some_and(|at| at >= last.stamp.at) || reopened || content_since;
    (unhappy && !seen_to).then_some(Reason::SpotCheckUnhappy {
        score: last.satisfaction,
    })
}

/// The conflicts of `case` that `user` settles, open or not: an action
/// that lost to one which closed, withdrew or voided the case waits too,
/// or the work it carried and a wrong close go unseen. A conflict is
/// settled by whoever knows what was meant: the author of the action that
/// lost, or the property's manager when they may take that action
/// themselves (docs/sync.md).
fn conflict(case: &Case, user: &User) -> Option<Reason> {
    if !role_may(
        user.role,
        ActionKind::ResolveConflict,
        case.registration.kind,
    ) {
        return None;
    }
    let count = case
        .open_conflicts()
        .filter(|c| c.stamp.by == user.id || user.role == Role::Manager)
        .filter(|c| {
            crate::workflow::may_settle(
                user.id,
                user.role,
                c.stamp.by,
                c.action,
                case.registration.kind,
                false,
            )
        })
        .count();
    (count > 0).then_some(Reason::Conflict { count })
}

/// A closed case is in an inbox only to be assessed: its clocks and the
/// rest are over.
fn late_assessment(case: &Case, user: &User, now: DateTime<Utc>) -> Vec<Reason> {
    let received = case.registration.received_at;
    let since = case
        .closure
        .as_ref()
        .map_or(received, |c| c.stamp.at.max(received));
    let recent = now - since < chrono::Duration::days(LATE_ASSESSMENT_DAYS);
    let assesses = recent
        && owns_next_step(case, user)
        && case.awaits_late_assessment()
        && gate(case, user.role, ActionKind::Assess).is_ok();
    if assesses {
        vec![Reason::NextStep {
            action: ActionKind::Assess,
        }]
    } else {
        Vec::new()
    }
}

/// The reasons an open case in scope is in `user`'s inbox.
fn reasons(
    case: &Case,
    user: &User,
    colleagues: &[UserCard],
    now: DateTime<Utc>,
    settings: &Settings,
) -> Vec<Reason> {
    let mut out = Vec::new();
    // A complaint found unfounded since it was passed on: the department
    // is told to stop (the fold drops its clocks) and the manager closes
    // it, so it is no longer the assignee's.
    let assigned_to_me = assigned_to(case, user) && !case.is_unfounded_complaint();
    // Once resolved, the assignee's part is done; a reopened case comes back.
    if assigned_to_me && !case.state.is_finished() {
        out.push(Reason::Assigned);
    }
    // By the rules the workflow will judge the decision with.
    if let Some(s) = &case.solution
        && s.approval == ApprovalState::Pending
        && let Some(lowest) = crate::workflow::may_decide(case, user.id, user.role, settings, now)
    {
        // Proposed by someone of the role its amount needs, it is the next
        // role up's decision (`next_up`), and said as the user's own.
        let required = match next_up(case, lowest) {
            Some(next) if next == user.role => next,
            _ => lowest,
        };
        out.push(Reason::Approval {
            amount_fen: s.compensation_fen,
            required,
        });
    }
    if let Some(e) = escalation_waiting(case, user.role) {
        out.push(Reason::Escalated {
            skip_level: e.skip_level,
            at: e.stamp.at,
        });
    }
    if answers_for_clocks(case, user) {
        let due_soon = settings.deadlines.due_soon(settings.tz());
        // A department head answers for the work, not for the follow-up
        // call, which their role does not make.
        let watched = |clock: Clock| {
            !matches!(clock, Clock::FollowUpComplaint | Clock::FollowUpRepair)
                || role_may(user.role, ActionKind::FollowUp, case.registration.kind)
        };
        let mut clocks: Vec<(DateTime<Utc>, Clock, bool)> = case
            .deadlines
            .iter()
            .filter(|c| watched(c.clock))
            .filter_map(|c| match c.status(now, due_soon) {
                ClockStatus::DueSoon => Some((c.due_at, c.clock, false)),
                ClockStatus::Overdue => Some((c.due_at, c.clock, true)),
                ClockStatus::Pending
                | ClockStatus::MetOnTime
                | ClockStatus::MetLate
                | ClockStatus::Missed => None,
            })
            .collect();
        clocks.sort_unstable();
        out.extend(
            clocks
                .into_iter()
                .map(|(due_at, clock, overdue)| Reason::Clock {
                    clock,
                    due_at,
                    overdue,
                }),
        );
        out.extend(
            case.deadline_problems
                .iter()
                // A clock met owes nothing: only its judgement waits.
                .filter(|p| watched(p.clock) && p.met_at.is_none())
                .map(|p| Reason::ClockUnknown { clock: p.clock }),
        );
        // No clock runs to the date the solution planned, once the reply
        // was made: it is the promise, and late from the day after it.
        // A plan a resolution since carried out is no promise of the
        // second round (a reopened case is planned again).
        // Nor a plan refused with its compensation. Which came first is
        // the fold's order (the timeline's), not the devices' clocks.
        let folded = |op| case.timeline.iter().rposition(|t| t.stamp.op == op);
        if let Some(s) = &case.solution
            && let Some(planned) = s.planned_date
            && !case.state.is_finished()
            && s.approval != ApprovalState::Rejected
            && case
                .resolution
                .as_ref()
                .is_none_or(|r| folded(r.stamp.op) < folded(s.stamp.op))
            && planned < now.with_timezone(&settings.tz()).date_naive()
        {
            out.push(Reason::PlanLate { planned });
        }
    }
    out.extend(conflict(case, user));
    let count = not_applied(case, user);
    if count > 0 && case.state.is_open() {
        out.push(Reason::NotApplied { count });
    }
    if owns_next_step(case, user) {
        // A complaint found unfounded is not taken up again
        // (`workflow::gate`): it waits to be closed with its explanation,
        // below.
        if case.state == CaseState::Reopened && !case.is_unfounded_complaint() {
            // Only for whoever may take it up again: a reopened suggestion
            // is decided again, by management alone.
            if [ActionKind::Start, ActionKind::Assign, ActionKind::Decide]
                .into_iter()
                .any(|a| gate(case, user.role, a).is_ok())
            {
                out.push(Reason::Reopened);
            }
        } else if let Some(action) = [
            // A reopened case never assigned (it was answered on the spot)
            // and started again is in nobody's hands, with no clock.
            ActionKind::Assign,
            // First: a complaint answered on the spot is assessed before
            // it is closed, or it counts as neither valid nor unfounded.
            // What just came in waits for its first step from the moment
            // it is registered, not from the day its clock runs out: a
            // complaint's assessment, a suggestion's decision, an inquiry
            // not answered on the spot.
            ActionKind::Assess,
            ActionKind::Decide,
            ActionKind::Answer,
            ActionKind::Close,
            ActionKind::PlanImprovement,
        ]
        .into_iter()
        .filter(|&a| {
            a != ActionKind::Assign
                || (case.state == CaseState::InProgress && case.assignee.is_none())
        })
        // One assessed may be assessed again, but waits for nobody to.
        .filter(|&a| {
            a != ActionKind::Assess
                || case.state == CaseState::Registered
                    && case.registration.kind == crate::case::CaseKind::Complaint
                || case.awaits_late_assessment()
        })
        // An inquiry passed to a colleague is theirs (`Reason::Assigned`).
        .filter(|&a| a != ActionKind::Answer || case.state == CaseState::Registered)
        // Listed already by a clock of it running out, it is said once.
        .filter(|&a| {
            !matches!(
                a,
                ActionKind::Assess | ActionKind::Decide | ActionKind::Answer
            ) || case.state != CaseState::Registered
                || !out
                    .iter()
                    .any(|r| matches!(r, Reason::Clock { .. } | Reason::ClockUnknown { .. }))
        })
        .find(|&a| gate(case, user.role, a).is_ok())
        {
            out.push(Reason::NextStep { action });
        }
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
    // The property's manager names the new first responder; the roles
    // above would get every such case of the company.
    if user.role == Role::Manager
        && role_may(
            user.role,
            ActionKind::ChangeResponder,
            case.registration.kind,
        )
        && responder_gone(case, colleagues)
    {
        let id = case.first_responder();
        let property = case.registration.property;
        let still_here = colleagues
            .iter()
            .any(|u| u.id == id && u.active && u.works_in(property));
        out.push(Reason::ResponderGone { still_here });
    }
    if user.role == Role::Manager
        && role_may(user.role, ActionKind::Assign, case.registration.kind)
        && gate(case, user.role, ActionKind::Assign).is_ok()
        && assignee_gone(case, colleagues)
    {
        out.push(Reason::AssigneeGone);
    }
    out
}

/// Whether the person `case` is assigned to can no longer work it:
/// disabled, given a role that works no cases, or no longer working in its
/// property (so not among `colleagues` at all when they work in none of
/// the reader's). A case assigned to a department alone, or named by a
/// person outside the system, has nobody to be gone; nor has an empty
/// directory, which only a device that never synced holds.
pub fn assignee_gone(case: &Case, colleagues: &[UserCard]) -> bool {
    let Some(id) = case.assignee.as_ref().and_then(|a| a.user) else {
        return false;
    };
    !colleagues.is_empty()
        && colleagues
            .iter()
            .find(|u| u.id == id)
            .is_none_or(|u| !u.may_be_assigned(case.registration.property))
}

/// Whether the first responder of `case` can no longer answer for it:
/// disabled, given a role that makes no callback, or no longer working in
/// its property (so not among `colleagues` at all when they work in none
/// of the reader's). Nobody is gone by an empty directory, which only a
/// device that never synced holds.
pub fn responder_gone(case: &Case, colleagues: &[UserCard]) -> bool {
    if colleagues.is_empty() {
        return false;
    }
    let id = case.first_responder();
    colleagues
        .iter()
        .find(|u| u.id == id)
        .is_none_or(|u| !u.may_be_first_responder(case.registration.property))
}

/// How long an action refused on a voided case stays in its author's
/// inbox: long enough to be seen after the tablet syncs.
pub const VOIDED_NOTICE_DAYS: i64 = 14;

/// Who decides a compensation its proposer's own role would: the role
/// above. The proposer may not decide it (four eyes), and a region has
/// one regional manager, so it is the deputy's decision to make, ranked
/// as theirs, though another of the proposer's role may.
fn next_up(case: &Case, required: Role) -> Option<Role> {
    let proposer = case.solution.as_ref()?.stamp.role;
    (proposer == required)
        .then(|| crate::workflow::superior(required))
        .flatten()
}

/// The latest escalation to `role`, while it waits: the case is not
/// handled yet and nobody of that role has acted on it since.
fn escalation_waiting(case: &Case, role: Role) -> Option<&Escalation> {
    let e = case.escalations.iter().rev().find(|e| e.to_role == role)?;
    let at = case
        .timeline
        .iter()
        .rposition(|t| t.action == ActionKind::Escalate && t.stamp == e.stamp);
    // Handled since: resolved or followed up after it. One made on a case
    // handled already (a resident content enough not to reopen it, who
    // threatens the press) waits all the same: nothing answered it.
    let handled = match at {
        Some(i) if case.timeline[i].state.is_finished() => false,
        Some(_) | None => case.state.is_finished(),
    };
    let since = at.map_or(0, |i| i + 1);
    let answered = case.timeline[since..]
        .iter()
        .any(|t| t.outcome == Outcome::Applied && t.stamp.role == role);
    (!answered && !handled).then_some(e)
}

/// How many of `user`'s actions on `case` were kept without effect
/// (broke a rule when the records of several tablets met) since the case
/// last moved on (anyone's action that changed its state) or they last
/// acted on it with effect: either answers it. An action refused when it
/// was made never gets here: the tablet checks it first.
fn not_applied(case: &Case, user: &User) -> usize {
    use crate::case::Outcome;
    let mut state = None;
    let mut count = 0;
    for e in &case.timeline {
        // A restore moves the case back to where it was: what was refused
        // while it was voided is still not done.
        let moved = e.outcome == Outcome::Applied
            && e.action != ActionKind::Restore
            && state.is_some_and(|s| s != e.state);
        state = Some(e.state);
        if moved || (e.stamp.by == user.id && e.outcome == Outcome::Applied) {
            count = 0;
        } else if e.stamp.by == user.id && e.outcome == Outcome::Flagged {
            count += 1;
        }
    }
    count
}

/// Whether the steps without a clock (a reopened case, closing, an
/// improvement plan) are `user`'s to see to: the property's manager's,
/// and for staff those of the cases they registered, as first responder
/// (首问责任人). The roles above the manager would get every such case of
/// the company.
fn owns_next_step(case: &Case, user: &User) -> bool {
    match user.role {
        Role::Manager => true,
        Role::Staff => case.first_responder() == user.id,
        _ => false,
    }
}

/// Whose clocks a user watches. Staff and department heads act on their
/// own cases only (a staff member owns what they registered, as first
/// responder, and both own what is assigned to them); everyone else who
/// works or oversees cases watches every case in scope. The administrator
/// runs the system, not the cases.
fn answers_for_clocks(case: &Case, user: &User) -> bool {
    match user.role {
        Role::Staff | Role::DepartmentHead => {
            case.first_responder() == user.id
                || assigned_to(case, user) && !case.is_unfounded_complaint()
        }
        Role::Admin => false,
        Role::Manager | Role::RegionalManager | Role::DeputyGm | Role::Gm | Role::Quality => true,
    }
}

/// Whether `case` is `user`'s, as a list's 我的 (mine) keeps: they are
/// its first responder, or it is assigned to them (a department head's
/// department's, too).
pub fn mine(case: &Case, user: &User) -> bool {
    case.first_responder() == user.id || assigned_to(case, user)
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
        let items = inbox([case], user, &[], t(NOW), &Settings::default());
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
        // Found unfounded since (重新评估): the department stops, and the
        // manager closes it.
        let mut unfounded = case.clone();
        assess(&mut unfounded, Severity::General);
        unfounded.state = CaseState::Assigned;
        unfounded.assessment.as_mut().unwrap().validity = Validity::Unfounded;
        check(&unfounded, &user(5, Role::DepartmentHead), &[]);
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
            taken_unmet: false,
        }
    }

    #[test]
    fn an_amount_proposed_again_or_an_escalation_made_again_is_a_new_key() {
        let mut case = complaint();
        propose(&mut case, 5000);
        let gm = user(1, Role::Gm);
        let keys = |case: &Case| -> Vec<Key> {
            inbox([case], &gm, &[], t(NOW), &Settings::default())
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
            (CaseState::Voided, &[]),
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

    /// A solution planned for a date that passed before the work was done
    /// is late for whoever answers for the case; resolved, or planned
    /// again after a reopening, it is not.
    #[test]
    fn a_plan_past_its_date_is_late_until_the_case_is_resolved() {
        let mut case = complaint();
        propose(&mut case, 0);
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 3, d);
        let plan = |case: &mut Case, d| case.solution.as_mut().unwrap().planned_date = day(d);
        let manager = user(1, Role::Manager);
        // NOW is 3 March, 14:00 in Shanghai.
        plan(&mut case, 3);
        check(&case, &manager, &[]);
        plan(&mut case, 2);
        check(&case, &manager, &[ReasonKind::PlanLate]);
        check(&case, &user(4, Role::Staff), &[]);
        // Broken since yesterday, it comes before a clock due later today.
        let mut due_today = complaint();
        due_today.id = CaseId(uuid::Uuid::from_u128(0x77));
        assess(&mut due_today, Severity::General);
        due_today.deadlines = vec![clock(Clock::Transfer, "2026-03-03T09:00:00Z")];
        let order: Vec<CaseId> = inbox(
            [&due_today, &case],
            &manager,
            &[],
            t(NOW),
            &Settings::default(),
        )
        .iter()
        .map(|i| i.case)
        .collect();
        assert_eq!(order, [case.id, due_today.id]);
        case.solution.as_mut().unwrap().approval = ApprovalState::Rejected;
        check(&case, &manager, &[]);
        case.solution.as_mut().unwrap().approval = ApprovalState::Pending;
        case.state = CaseState::Resolved;
        let late = inbox([&case], &manager, &[], t(NOW), &Settings::default())
            .iter()
            .flat_map(|i| i.reasons.iter().map(Reason::kind))
            .any(|k| k == ReasonKind::PlanLate);
        assert!(!late, "done");
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
            &[],
            t(NOW),
            &Settings::default(),
        );
        assert_eq!(
            items[0].reasons,
            [Reason::Approval {
                amount_fen: 200_000,
                required: Role::DeputyGm,
            }]
        );
        // Never to whoever proposed it.
        case.solution.as_mut().unwrap().stamp.by = user(1, Role::DeputyGm).id;
        check(&case, &user(1, Role::DeputyGm), &[]);
        check(&case, &user(2, Role::Gm), &[ReasonKind::Approval]);
    }

    /// A regional manager's own proposal within their limit is the
    /// deputy's decision to make: ranked as theirs, before a clock.
    #[test]
    fn a_proposal_its_proposers_role_would_decide_is_the_next_ones() {
        let mut proposed = complaint();
        propose(&mut proposed, 800);
        let solution = proposed.solution.as_mut().unwrap();
        solution.stamp.role = Role::RegionalManager;
        solution.stamp.by = user(7, Role::RegionalManager).id;
        let mut due = complaint();
        due.id = CaseId(uuid::Uuid::from_u128(0x78));
        assess(&mut due, Severity::General);
        due.deadlines = vec![clock(Clock::Transfer, "2026-03-03T07:00:00Z")];
        let order: Vec<CaseId> = inbox(
            [&due, &proposed],
            &user(1, Role::DeputyGm),
            &[],
            t(NOW),
            &Settings::default(),
        )
        .iter()
        .map(|i| i.case)
        .collect();
        assert_eq!(order, [proposed.id, due.id]);
        // And worded as theirs, not as one the proposer's role gives.
        assert_eq!(
            reasons(
                &proposed,
                &user(1, Role::DeputyGm),
                &[],
                t(NOW),
                &Settings::default()
            ),
            [Reason::Approval {
                amount_fen: proposed.solution.as_ref().unwrap().compensation_fen,
                required: Role::DeputyGm,
            }]
        );
    }

    /// A reopened case that was answered on the spot, and so never
    /// assigned, started again is in nobody's hands: the manager is told
    /// to assign it.
    #[test]
    fn a_case_in_progress_with_nobody_assigned_waits_for_an_assignment() {
        let mut case = complaint();
        case.state = CaseState::InProgress;
        let manager = user(1, Role::Manager);
        let assign = Reason::NextStep {
            action: ActionKind::Assign,
        };
        let reasons = |case: &Case| {
            inbox([case], &manager, &[], t(NOW), &Settings::default())
                .into_iter()
                .flat_map(|i| i.reasons)
                .collect::<Vec<_>>()
        };
        assert_eq!(reasons(&case), [assign]);
        crate::inbox::tests::assign(&mut case, 5);
        assert!(!reasons(&case).contains(&assign));
    }

    /// A limit lowered while an approval waits binds it (`workflow::duties`).
    #[test]
    fn a_lowered_limit_takes_a_pending_approval_up_the_ladder() {
        let mut case = complaint();
        propose(&mut case, 800);
        let proposed = case.solution.as_ref().unwrap().stamp.at;
        let mut lowered = Settings::default();
        lowered.compensation.regional_manager_max_fen = 50_000;
        let settings =
            lowered.replacing(&Settings::default(), proposed + chrono::Duration::hours(1));
        let reasons = |role| inbox([&case], &user(1, role), &[], t(NOW), &settings);
        assert!(reasons(Role::RegionalManager).is_empty());
        assert_eq!(
            reasons(Role::DeputyGm)[0].reasons,
            [Reason::Approval {
                amount_fen: 80_000,
                required: Role::DeputyGm,
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
            inbox([case], &user(1, role), &[], t(NOW), &settings)
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
            &[],
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
        let items = inbox(
            [&case],
            &user(1, Role::Gm),
            &[],
            t(NOW),
            &Settings::default(),
        );
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
            taken_unmet: false,
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
        let items = inbox([&case], &manager, &[], t(NOW), &Settings::default());
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

    /// A spot-check call that found the resident unhappy waits for the
    /// property's manager, on a closed case too, until a case registered
    /// after it names it as its 关联工单 (the return visit or repair).
    #[test]
    fn an_unhappy_spot_check_waits_for_the_manager_until_a_case_follows_it() {
        use crate::case::{ContactMethod, FollowUp};
        let mut case = complaint();
        assess(&mut case, Severity::General);
        case.state = CaseState::Closed;
        let quality = stamp(&case, Role::Quality);
        let call = |score: u8, at: &str| FollowUp {
            method: ContactMethod::Phone,
            satisfaction: score,
            comment: "维修后仍有渗水".into(),
            spot_check: true,
            ratings: None,
            stamp: Stamp {
                at: t(at),
                ..quality.clone()
            },
        };
        case.follow_ups.push(call(4, "2026-03-02T03:00:00Z"));
        let manager = user(1, Role::Manager);
        check(&case, &manager, &[]);
        case.follow_ups.push(call(2, "2026-03-02T04:00:00Z"));
        check(&case, &manager, &[ReasonKind::SpotCheckUnhappy]);
        // Voided as a duplicate since: the case it repeats carries it.
        let mut voided = case.clone();
        voided.state = CaseState::Voided;
        check(&voided, &manager, &[]);
        check(&case, &user(2, Role::Staff), &[]);
        check(&case, &user(3, Role::Quality), &[]);
        // A regular callback is no spot-check: it reopens the case itself.
        case.follow_ups.last_mut().unwrap().spot_check = false;
        check(&case, &manager, &[]);
        case.follow_ups.last_mut().unwrap().spot_check = true;

        let mut repair = complaint();
        repair.id = crate::id::CaseId(uuid::Uuid::from_u128(0x79));
        repair.registration.related_case = Some(case.registration.reg_no.to_string());
        let kinds = |repair: &Case| -> Vec<ReasonKind> {
            inbox([&case, repair], &manager, &[], t(NOW), &Settings::default())
                .iter()
                .filter(|i| i.case == case.id)
                .flat_map(|i| i.reasons.iter().map(Reason::kind))
                .collect()
        };
        // Registered before the call: it does not answer it.
        repair.registered.at = t("2026-03-02T03:30:00Z");
        assert_eq!(kinds(&repair), [ReasonKind::SpotCheckUnhappy]);
        repair.registered.at = t("2026-03-02T05:00:00Z");
        assert_eq!(kinds(&repair), []);
    }

    /// Reopened after the call, or called back by staff who found the
    /// resident content, the case answered the call itself.
    #[test]
    fn an_unhappy_spot_check_is_seen_to_by_a_reopening_or_a_content_callback() {
        use crate::case::{ContactMethod, FollowUp, TimelineEntry};
        let mut case = complaint();
        assess(&mut case, Severity::General);
        case.state = CaseState::FollowedUp;
        let base = case.registered.clone();
        let entry = |op: u128, action: ActionKind, role: Role| TimelineEntry {
            stamp: Stamp {
                op: crate::id::OpId(uuid::Uuid::from_u128(op)),
                role,
                ..base.clone()
            },
            hlc: crate::hlc::Hlc {
                wall_ms: 0,
                counter: op as u32,
                device: base.device,
            },
            action,
            state: CaseState::FollowedUp,
            changes: Vec::new(),
            outcome: Outcome::Applied,
        };
        let call = entry(0x51, ActionKind::FollowUp, Role::Quality);
        case.timeline.push(call.clone());
        case.follow_ups.push(FollowUp {
            method: ContactMethod::Phone,
            satisfaction: 2,
            comment: String::new(),
            spot_check: true,
            ratings: None,
            stamp: call.stamp.clone(),
        });
        let manager = user(1, Role::Manager);
        let unhappy = |case: &Case| kinds(case, &manager).contains(&ReasonKind::SpotCheckUnhappy);
        assert!(unhappy(&case));
        let mut reopened = case.clone();
        reopened.timeline.push(TimelineEntry {
            state: CaseState::Reopened,
            ..entry(0x52, ActionKind::Reopen, Role::Manager)
        });
        assert!(!unhappy(&reopened));
        // Reopened by a callback scoring low enough, as by a manager.
        let mut reopened_by_callback = case.clone();
        reopened_by_callback.timeline.push(TimelineEntry {
            state: CaseState::Reopened,
            ..entry(0x54, ActionKind::FollowUp, Role::Staff)
        });
        assert!(!unhappy(&reopened_by_callback));
        let mut called_back = case.clone();
        let callback = entry(0x53, ActionKind::FollowUp, Role::Staff);
        called_back.timeline.push(callback.clone());
        called_back.follow_ups.push(FollowUp {
            satisfaction: 5,
            spot_check: false,
            stamp: callback.stamp,
            ..case.follow_ups[0].clone()
        });
        assert!(!unhappy(&called_back));
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
        let items = inbox(
            &cases,
            &user(1, Role::Gm),
            &[],
            t(NOW),
            &Settings::default(),
        );
        let order: Vec<CaseId> = items.iter().map(|i| i.case).collect();
        assert_eq!(order, [cases[2].id, cases[1].id, cases[0].id]);
    }

    #[test]
    fn keys_tell_a_clock_turning_overdue_from_the_same_clock_due_soon() {
        let mut case = complaint();
        case.deadlines = vec![clock(Clock::InitialAssessment, "2026-03-03T09:00:00Z")];
        let manager = user(1, Role::Manager);
        let keys = |now: &str| -> Vec<Key> {
            inbox([&case], &manager, &[], t(now), &Settings::default())
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
        // Before its clock is due soon, the complaint waits for its
        // assessment as a next step.
        let early = keys("2026-03-02T02:00:00Z");
        assert_eq!(early.len(), 1);
        assert_eq!(early[0].kind, ReasonKind::NextStep);
    }

    fn kinds(case: &Case, user: &User) -> Vec<ReasonKind> {
        inbox([case], user, &[], t(NOW), &Settings::default())
            .iter()
            .flat_map(|i| i.reasons.iter().map(Reason::kind))
            .collect()
    }

    /// A case reopened after a low score has met its clocks in the first
    /// round; it still waits for its first responder and the manager.
    #[test]
    fn a_reopened_case_waits_for_its_first_responder_and_the_manager() {
        let mut case = complaint();
        case.state = CaseState::Reopened;
        check(&case, &user(0x2000, Role::Staff), &[ReasonKind::Reopened]);
        check(&case, &user(1, Role::Manager), &[ReasonKind::Reopened]);
        check(&case, &user(9, Role::Staff), &[]);
        check(&case, &user(2, Role::RegionalManager), &[]);
        // A suggestion is decided again, by management: its staff first
        // responder can do nothing about it.
        let mut suggestion = case.clone();
        suggestion.registration.kind = crate::case::CaseKind::Suggestion;
        check(&suggestion, &user(0x2000, Role::Staff), &[]);
        check(
            &suggestion,
            &user(1, Role::Manager),
            &[ReasonKind::Reopened],
        );
        // Found unfounded, it is not worked again: the manager closes it.
        let mut unfounded = case.clone();
        assess(&mut unfounded, Severity::General);
        unfounded.state = CaseState::Reopened;
        unfounded.assessment.as_mut().unwrap().validity = Validity::Unfounded;
        check(&unfounded, &user(0x2000, Role::Staff), &[]);
        let items = inbox(
            [&unfounded],
            &user(1, Role::Manager),
            &[],
            t(NOW),
            &Settings::default(),
        );
        let reasons: Vec<&Reason> = items.iter().flat_map(|i| &i.reasons).collect();
        assert_eq!(
            reasons,
            [&Reason::NextStep {
                action: ActionKind::Close
            }]
        );
        // Its assignee is told it is theirs again.
        assign(&mut case, 5);
        case.state = CaseState::Reopened;
        check(
            &case,
            &user(5, Role::DepartmentHead),
            &[ReasonKind::Assigned],
        );
    }

    /// Handed to another first responder, the case's steps and clocks
    /// are theirs, and no longer those of whoever registered it.
    #[test]
    fn a_changed_first_responder_takes_over_the_case() {
        let mut case = complaint();
        case.state = CaseState::Reopened;
        case.deadlines = vec![clock(Clock::Solution, "2026-03-03T05:00:00Z")];
        case.responder_changes.push(crate::case::ResponderChange {
            from: case.registered.by,
            to: user_id(9),
            reason: "原首问责任人离职".into(),
            stamp: stamp(&case, Role::Manager),
        });
        check(
            &case,
            &user(9, Role::Staff),
            &[ReasonKind::Overdue, ReasonKind::Reopened],
        );
        check(&case, &user(0x2000, Role::Staff), &[]);
    }

    /// A staff member `n` of `properties` in the directory.
    fn card(n: u128, active: bool, properties: Vec<PropertyId>) -> UserCard {
        UserCard {
            id: user_id(n),
            display_name: format!("U{n}"),
            role: Role::Staff,
            active,
            department: None,
            properties: Some(properties),
        }
    }

    /// The manager is told of an open case whose first responder was
    /// disabled or works elsewhere now; never by a directory not synced.
    #[test]
    fn a_case_whose_first_responder_left_waits_for_the_manager() {
        let mut case = complaint();
        case.state = CaseState::Assessed;
        let manager = user(1, Role::Manager);
        let kinds = |colleagues: &[UserCard], user: &User| -> Vec<ReasonKind> {
            inbox([&case], user, colleagues, t(NOW), &Settings::default())
                .iter()
                .flat_map(|i| i.reasons.iter().map(Reason::kind))
                .collect()
        };
        let here = vec![property(PROPERTY)];
        let me = card(1, true, here.clone());
        let gone = [ReasonKind::ResponderGone];
        assert_eq!(kinds(&[], &manager), []);
        assert_eq!(
            kinds(&[me.clone(), card(0x2000, true, here.clone())], &manager),
            []
        );
        assert_eq!(
            kinds(&[me.clone(), card(0x2000, false, here.clone())], &manager),
            gone
        );
        // Moved to a property the manager does not share: not listed.
        assert_eq!(kinds(std::slice::from_ref(&me), &manager), gone);
        // Only the property's manager: the roles above would get every
        // such case of the company.
        assert_eq!(
            kinds(std::slice::from_ref(&me), &user(2, Role::RegionalManager)),
            []
        );
        // Named another first responder, who works here, it waits no more.
        let mut handed = case.clone();
        handed.responder_changes.push(crate::case::ResponderChange {
            from: case.registered.by,
            to: user_id(9),
            reason: "离职".into(),
            stamp: stamp(&case, Role::Manager),
        });
        let colleagues = [me.clone(), card(9, true, here.clone())];
        assert!(!responder_gone(&handed, &colleagues));
        assert!(responder_gone(&case, &colleagues));
        // A department head who registered it is here, in a role that
        // makes no callback: told apart from one who left.
        let reasons = |colleagues: &[UserCard]| -> Vec<Reason> {
            inbox([&case], &manager, colleagues, t(NOW), &Settings::default())
                .into_iter()
                .flat_map(|i| i.reasons)
                .collect()
        };
        let head = UserCard {
            role: Role::DepartmentHead,
            ..card(0x2000, true, here.clone())
        };
        assert_eq!(
            reasons(&[me.clone(), head]),
            [Reason::ResponderGone { still_here: true }]
        );
        assert_eq!(
            reasons(&[me, card(0x2000, false, here)]),
            [Reason::ResponderGone { still_here: false }]
        );
    }

    /// The manager is told of an open case assigned to someone disabled or
    /// working elsewhere now, and of no other.
    #[test]
    fn a_case_whose_assignee_left_waits_for_the_manager() {
        let mut case = complaint();
        case.state = CaseState::Assigned;
        case.assignee = Some(crate::case::Assignee {
            department: "工程部".into(),
            user: Some(user_id(7)),
            name: "U7".into(),
        });
        let manager = user(1, Role::Manager);
        let here = vec![property(PROPERTY)];
        let gone = |colleagues: &[UserCard], case: &Case, user: &User| -> bool {
            inbox([case], user, colleagues, t(NOW), &Settings::default())
                .iter()
                .flat_map(|i| i.reasons.iter().copied())
                .any(|r| r == Reason::AssigneeGone)
        };
        let me = card(1, true, here.clone());
        // Not by a directory not synced yet.
        assert!(!gone(&[], &case, &manager));
        assert!(!gone(
            &[me.clone(), card(7, true, here.clone())],
            &case,
            &manager
        ));
        assert!(gone(
            &[me.clone(), card(7, false, here.clone())],
            &case,
            &manager
        ));
        // Moved to a property the manager does not share.
        assert!(gone(std::slice::from_ref(&me), &case, &manager));
        // Moved to quality control: works no cases.
        let quality = UserCard {
            role: Role::Quality,
            ..card(7, true, here.clone())
        };
        assert!(assignee_gone(&case, &[me.clone(), quality]));
        // Only the property's manager is told.
        assert!(!gone(
            std::slice::from_ref(&me),
            &case,
            &user(2, Role::RegionalManager)
        ));
        // A case closed, or assigned to a department alone, waits for nobody.
        let mut closed = case.clone();
        closed.state = CaseState::Closed;
        assert!(!gone(std::slice::from_ref(&me), &closed, &manager));
        let mut department = case.clone();
        department.assignee.as_mut().unwrap().user = None;
        assert!(!gone(std::slice::from_ref(&me), &department, &manager));
    }

    /// Closing, assessing a complaint answered on the spot and an accepted
    /// suggestion's plan have no clock: they wait for the roles that may
    /// take them (the workflow's gate decides).
    #[test]
    fn a_step_without_a_clock_waits_for_whoever_may_take_it() {
        let mut case = complaint();
        case.state = CaseState::FollowedUp;
        let close = Reason::NextStep {
            action: ActionKind::Close,
        };
        let manager = user(1, Role::Manager);
        let reasons = |case: &Case, user: &User| -> Vec<Reason> {
            inbox([case], user, &[], t(NOW), &Settings::default())
                .into_iter()
                .flat_map(|i| i.reasons)
                .collect()
        };
        // Answered on the spot, it was never assessed: that comes first.
        assert_eq!(
            reasons(&case, &manager),
            [Reason::NextStep {
                action: ActionKind::Assess
            }]
        );
        check(&case, &user(0x2000, Role::Staff), &[]);
        // Closed so, it still waits for its assessment, and for nothing
        // else: its clocks are over.
        let mut closed = case.clone();
        closed.state = CaseState::Closed;
        closed.deadlines = vec![clock(Clock::Solution, "2026-03-02T09:00:00Z")];
        assert_eq!(
            reasons(&closed, &manager),
            [Reason::NextStep {
                action: ActionKind::Assess
            }]
        );
        check(&closed, &user(0x2000, Role::Staff), &[]);
        // A quarter after its receipt and its closure, it is left to the
        // dashboard; one worked for longer waits a quarter from its closure.
        let mut old = closed.clone();
        let quarter_ago = t(NOW) - chrono::Duration::days(LATE_ASSESSMENT_DAYS);
        old.registration.received_at = quarter_ago - chrono::Duration::days(30);
        old.closure = Some(Box::new(crate::case::Closure {
            corrective_action: "加强巡查".into(),
            verification: "已复查".into(),
            stamp: Stamp {
                at: quarter_ago,
                ..stamp(&old, Role::Manager)
            },
        }));
        check(&old, &manager, &[]);
        if let Some(c) = old.closure.as_mut() {
            c.stamp.at = t(NOW) - chrono::Duration::days(1);
        }
        check(&old, &manager, &[ReasonKind::NextStep]);
        closed.state = CaseState::Withdrawn;
        check(&closed, &manager, &[]);
        assess(&mut case, Severity::Minor);
        case.state = CaseState::FollowedUp;
        assert_eq!(reasons(&case, &manager), [close]);
        // Staff do not close complaints; they close the repairs they took in.
        let first_responder = user(0x2000, Role::Staff);
        check(&case, &first_responder, &[]);
        case.registration.kind = crate::case::CaseKind::Repair;
        assert_eq!(reasons(&case, &first_responder), [close]);
        case.state = CaseState::Closed;
        check(&case, &manager, &[]);

        case.registration.kind = crate::case::CaseKind::Suggestion;
        case.state = CaseState::InProgress;
        case.suggestion = Some(Box::new(crate::case::SuggestionOutcome {
            accepted: true,
            reason: String::new(),
            plan: None,
            publish_on: None,
            stamp: stamp(&case, Role::Manager),
        }));
        assert_eq!(
            reasons(&case, &manager),
            [Reason::NextStep {
                action: ActionKind::PlanImprovement
            }]
        );
        check(&case, &first_responder, &[]);
    }

    #[test]
    fn an_escalation_waits_until_someone_of_its_role_acts_or_the_case_is_handled() {
        use crate::case::{Change, Outcome, TimelineEntry};
        let mut case = complaint();
        escalate(&mut case, Role::RegionalManager, false);
        let entry = |stamp: Stamp, action: ActionKind| TimelineEntry {
            hlc: crate::hlc::Hlc {
                wall_ms: stamp.at.timestamp_millis(),
                counter: 0,
                device: stamp.device,
            },
            stamp,
            action,
            state: CaseState::Registered,
            changes: Vec::<Change>::new(),
            outcome: Outcome::Applied,
        };
        let escalated = case.escalations[0].stamp.clone();
        case.timeline.push(entry(escalated, ActionKind::Escalate));
        let rm = user(1, Role::RegionalManager);
        check(&case, &rm, &[ReasonKind::Escalated]);
        // A note by a manager is not the regional manager's answer.
        case.timeline
            .push(entry(stamp(&case, Role::Manager), ActionKind::Note));
        check(&case, &rm, &[ReasonKind::Escalated]);
        let mut answered = case.clone();
        answered
            .timeline
            .push(entry(stamp(&case, Role::RegionalManager), ActionKind::Note));
        check(&answered, &rm, &[]);
        let mut on_a_resolved_case = case.clone();
        case.state = CaseState::Resolved;
        check(&case, &rm, &[]);
        // Made on a case handled already (content enough not to reopen
        // it, but threatening the press): nothing answered it.
        on_a_resolved_case.state = CaseState::FollowedUp;
        for t in &mut on_a_resolved_case.timeline {
            t.state = CaseState::FollowedUp;
        }
        check(&on_a_resolved_case, &rm, &[ReasonKind::Escalated]);
    }

    /// A general manager may approve any amount, but a small one is the
    /// regional manager's decision: listed, and not ahead of the clocks.
    #[test]
    fn an_approval_a_lower_role_gives_is_listed_but_not_first() {
        let mut small = complaint();
        propose(&mut small, 500);
        let mut overdue = complaint();
        overdue.id = crate::id::CaseId(uuid::Uuid::from_u128(0x79));
        overdue.deadlines = vec![clock(Clock::Transfer, "2026-03-02T02:00:00Z")];
        let gm = user(1, Role::Gm);
        let items = inbox([&small, &overdue], &gm, &[], t(NOW), &Settings::default());
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].case, overdue.id, "{items:?}");
        assert_eq!(
            items[1].reasons,
            [Reason::Approval {
                amount_fen: 50_000,
                required: Role::RegionalManager,
            }]
        );
        let items = inbox(
            [&small, &overdue],
            &user(2, Role::RegionalManager),
            &[],
            t(NOW),
            &Settings::default(),
        );
        assert_eq!(items[0].case, small.id, "{items:?}");
    }

    /// Department heads answer for the work on their cases, not for the
    /// follow-up call, which their role does not make.
    #[test]
    fn a_department_head_is_not_given_follow_up_clocks() {
        let mut case = complaint();
        case.registration.kind = crate::case::CaseKind::Repair;
        assign(&mut case, 5);
        case.state = CaseState::Resolved;
        case.deadlines = vec![clock(Clock::FollowUpRepair, "2026-03-02T02:00:00Z")];
        check(&case, &user(5, Role::DepartmentHead), &[]);
        check(&case, &user(0x2000, Role::Staff), &[ReasonKind::Overdue]);
    }

    /// An action kept without effect (it broke a rule when the tablets'
    /// records met) waits for its author until they act on the case again.
    #[test]
    fn an_action_that_did_not_apply_waits_for_its_author() {
        let mut case = complaint();
        let author = user(9, Role::RegionalManager);
        let (mine, other) = (
            Stamp {
                by: author.id,
                ..stamp(&case, Role::RegionalManager)
            },
            stamp(&case, Role::DeputyGm),
        );
        let (hlc, state) = (case.last_hlc, case.state);
        let entry = |outcome| crate::case::TimelineEntry {
            stamp: mine.clone(),
            hlc,
            action: ActionKind::Approve,
            state,
            changes: Vec::new(),
            outcome,
        };
        let (flagged, applied) = (
            entry(crate::case::Outcome::Flagged),
            entry(crate::case::Outcome::Applied),
        );
        let flagged_again = flagged.clone();
        case.timeline.push(flagged.clone());
        assert_eq!(kinds(&case, &author), [ReasonKind::NotApplied]);
        check(&case, &user(10, Role::RegionalManager), &[]);
        case.timeline.push(flagged);
        assert_eq!(
            reasons(&case, &author, &[], t(NOW), &Settings::default()),
            [Reason::NotApplied { count: 2 }]
        );
        case.timeline.push(applied);
        check(&case, &author, &[]);
        let mut voided = case.clone();
        // The case moving on (anyone's action that changes its state)
        // answers it too: the author has nothing left to do about it.
        case.timeline.push(flagged_again);
        assert_eq!(kinds(&case, &author), [ReasonKind::NotApplied]);
        case.timeline.push(crate::case::TimelineEntry {
            stamp: other.clone(),
            state: CaseState::InProgress,
            ..entry(crate::case::Outcome::Applied)
        });
        check(&case, &author, &[]);
        // Refused as the case was voided meanwhile: told while it stays
        // voided, and after it is restored.
        voided.timeline.push(crate::case::TimelineEntry {
            stamp: other.clone(),
            action: ActionKind::Void,
            state: CaseState::Voided,
            ..entry(crate::case::Outcome::Applied)
        });
        voided.timeline.push(crate::case::TimelineEntry {
            state: CaseState::Voided,
            ..entry(crate::case::Outcome::Flagged)
        });
        voided.state = CaseState::Voided;
        assert_eq!(kinds(&voided, &author), [ReasonKind::NotApplied]);
        voided.state = state;
        voided.timeline.push(crate::case::TimelineEntry {
            stamp: other,
            action: ActionKind::Restore,
            state,
            ..entry(crate::case::Outcome::Applied)
        });
        assert_eq!(kinds(&voided, &author), [ReasonKind::NotApplied]);
        // Refused as the case was closed meanwhile (a correction, an
        // escalation recorded offline): told, nothing on the closed case
        // could answer it.
        let mut closed = complaint();
        closed.timeline.push(crate::case::TimelineEntry {
            stamp: stamp(&closed, Role::Manager),
            action: ActionKind::Close,
            state: CaseState::Closed,
            ..entry(crate::case::Outcome::Applied)
        });
        closed.timeline.push(crate::case::TimelineEntry {
            state: CaseState::Closed,
            ..entry(crate::case::Outcome::Flagged)
        });
        closed.state = CaseState::Closed;
        assert_eq!(kinds(&closed, &author), [ReasonKind::NotApplied]);
    }

    /// Two tablets acted at once and one action lost: its author and the
    /// property's manager are told, nobody else.
    #[test]
    fn an_open_conflict_waits_for_its_author_and_the_manager() {
        let mut case = complaint();
        case.state = CaseState::Assigned;
        let author = user(9, Role::Staff);
        case.conflicts.push(crate::case::Conflict {
            op: crate::id::OpId(uuid::Uuid::from_u128(0x99)),
            action: ActionKind::Resolve,
            expected: CaseState::Registered,
            found: CaseState::Assigned,
            stamp: Stamp {
                by: author.id,
                ..stamp(&case, Role::Staff)
            },
            resolved_by: None,
            applied: false,
            proposal: None,
        });
        assert_eq!(kinds(&case, &author), [ReasonKind::Conflict]);
        check(&case, &user(1, Role::Manager), &[ReasonKind::Conflict]);
        check(&case, &user(0x2000, Role::Staff), &[]);
        check(&case, &user(2, Role::Gm), &[]);
        case.conflicts[0].resolved_by = Some(crate::id::OpId(uuid::Uuid::from_u128(0x9a)));
        check(&case, &author, &[]);
        // An approval that lost waits for its approver alone: the manager
        // may not approve, so does not settle it.
        let gm = user(3, Role::Gm);
        case.conflicts.push(crate::case::Conflict {
            op: crate::id::OpId(uuid::Uuid::from_u128(0x9b)),
            action: ActionKind::Approve,
            expected: CaseState::SolutionProposed,
            found: CaseState::Resolved,
            stamp: Stamp {
                by: gm.id,
                ..stamp(&case, Role::Gm)
            },
            resolved_by: None,
            applied: false,
            proposal: None,
        });
        check(&case, &user(1, Role::Manager), &[]);
        assert_eq!(kinds(&case, &gm), [ReasonKind::Conflict]);
        // A case the winning action closed still waits: what lost to a
        // close, a withdrawal or a void is settled too, not left unseen.
        case.conflicts[0].resolved_by = None;
        case.state = CaseState::Voided;
        assert_eq!(kinds(&case, &author), [ReasonKind::Conflict]);
        check(&case, &user(1, Role::Manager), &[ReasonKind::Conflict]);
    }

    /// What just came in is in the inbox from its registration, not from
    /// the day its clock is due: a complaint to assess, a suggestion to
    /// decide, an inquiry not answered on the spot.
    #[test]
    fn what_came_in_waits_for_its_first_step_at_once() {
        let manager = user(1, Role::Manager);
        let responder = user(0x2000, Role::Staff);
        let next = |case: &Case, user: &User| -> Vec<Reason> {
            inbox([case], user, &[], t(NOW), &Settings::default())
                .into_iter()
                .flat_map(|i| i.reasons)
                .collect()
        };
        let case = complaint();
        let assess = Reason::NextStep {
            action: ActionKind::Assess,
        };
        assert_eq!(next(&case, &manager), [assess]);
        check(&case, &responder, &[]);
        let mut suggestion = complaint();
        suggestion.registration.kind = crate::case::CaseKind::Suggestion;
        let decide = Reason::NextStep {
            action: ActionKind::Decide,
        };
        assert_eq!(next(&suggestion, &manager), [decide]);
        let mut inquiry = complaint();
        inquiry.registration.kind = crate::case::CaseKind::Inquiry;
        let answer = Reason::NextStep {
            action: ActionKind::Answer,
        };
        assert_eq!(next(&inquiry, &responder), [answer]);
        assert_eq!(next(&inquiry, &manager), [answer]);
        // Its clock running out lists it once, by the clock.
        let mut due = complaint();
        due.deadlines = vec![clock(Clock::InitialAssessment, "2026-03-03T09:00:00Z")];
        check(&due, &manager, &[ReasonKind::DueSoon]);
    }

    /// A clock whose year's holiday schedule is not loaded has no due
    /// time; it is listed for whoever watches the case's clocks, so that it
    /// does not silently drop out of the reminders.
    #[test]
    fn a_clock_that_cannot_be_computed_is_listed_for_who_watches_it() {
        let mut case = complaint();
        case.deadline_problems.push(crate::case::DeadlineProblem {
            clock: Clock::Solution,
            code: "calendar.year_not_loaded".into(),
            message: "2027".into(),
            met_at: None,
        });
        check(&case, &user(1, Role::Manager), &[ReasonKind::ClockUnknown]);
        check(
            &case,
            &user(0x2000, Role::Staff),
            &[ReasonKind::ClockUnknown],
        );
        check(&case, &user(9, Role::Staff), &[]);
        // Met already (a reply on 31 December, due in a year not loaded),
        // it owes nothing, and nobody is reminded of it: the complaint
        // waits for its assessment all the same.
        case.deadline_problems[0].met_at = Some(case.registered.at);
        check(&case, &user(1, Role::Manager), &[ReasonKind::NextStep]);
    }
}
