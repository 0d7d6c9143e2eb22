//! The deterministic fold: from a set of ops to a case.
//!
//! **Architecture Invariant:** the fold is a pure function of the *set* of
//! ops. It sorts by `(hlc, device, op id)` and ignores repeats of an op id,
//! so any permutation and any duplication of the same ops gives the same
//! case, byte for byte, on every tablet and on the server.
//!
//! Merge rules:
//! - registration fields: last writer wins per field by HLC; the old value
//!   stays in the timeline's `changes`;
//! - notes, handovers, approvals, follow-ups, escalations, extensions and
//!   attachments are append-only;
//! - a workflow transition whose `expected_state` is not the state the case
//!   is in when the op is folded lost a race to a concurrent transition. The
//!   precedence is the fold order: the earlier op by HLC wins. The later one
//!   is kept as a [`Conflict`] until a person resolves it with a
//!   `resolve_conflict` op (apply it now, or dismiss it);
//! - an op that breaks a rule (role, state, amount…) is kept as a
//!   [`Violation`]. Notes and attachments still add their content, so no
//!   field work disappears; transitions do not move the case.
//!
//! Every op appears exactly once in the timeline, with what it changed.
//!
//! A fold can be carried on ([`resume`]) with ops that sort after every op
//! it has folded, through the same steps, so a store applies a new op to a
//! long case without folding its earlier ops again.
//!
//! Longer than most files: `Folder::apply` has one arm per action, and
//! splitting the arms apart would hide the order in which they run.

use crate::calendar::Calendar;
use crate::case::{
    ApprovalRecord, ApprovalState, Assessment, Assignee, Attachment, Case, CaseKind, CaseState,
    Change, Closure, Conflict, DeadlineProblem, Escalation, Extension, FollowUp, Handover,
    MissedCallback, Note, NoteKind, Outcome, Registration, RegistrationPatch, Resolution,
    ResponderChange, Severity, Solution, Stamp, SuggestionOutcome, TimelineEntry, Validity,
    Violation, Voiding, Withdrawal,
};
use crate::deadline::{self, Clock, ClockState};
use crate::hlc::Hlc;
use crate::id::{CaseId, DeviceId, OpId};
use crate::op::{Action, ActionKind, Op};
use crate::phone::{mask_in_text, restore_masked};
use crate::role::Role;
use crate::settings::Settings;
use crate::workflow::{self, RuleViolation};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// What the fold needs besides the ops: the company settings and the
/// working-day calendar, the same on every device through sync.
#[derive(Debug, Clone, Copy)]
pub struct FoldContext<'a> {
    /// Settings (deadline rules, limits, timezone), with the rules they
    /// replaced: each op is judged by those in force at its time.
    pub settings: &'a Settings,
    /// The holiday calendar.
    pub calendar: &'a Calendar,
}

/// Why there is no case to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    /// None of the ops registers the case (it may still be on its way).
    #[error("the case has no registration op")]
    NoRegistration,
}

/// Folds the ops of one case. Ops whose `case_id` differs from the
/// registration's are not part of this case and are ignored.
pub fn fold(ops: &[Op], ctx: FoldContext<'_>) -> Result<Case, FoldError> {
    fold_resumable(ops, ctx).map(|folded| folded.case)
}

/// A folded case with where its fold stopped, so that later ops can be
/// applied to it ([`resume`]) instead of folding every op again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folded {
    /// The case, as [`fold`] gives it.
    pub case: Case,
    /// What folding carries from one op to the next besides the case.
    pub state: FoldState,
}

/// The version of the fold's rules. Raise it in any change after which the
/// same ops and configuration fold to a different case (a clock that starts
/// or is met otherwise, a rule that judges otherwise), or the server stores
/// another row of the same case (12: the numbers typed into the texts
/// masked in its search text and summary; 13: a text saved as it was read
/// masked keeps its numbers; 14: a step an answer on the spot skipped
/// after its time ran out is missed, the fold's state holds what it read
/// of the timeline, and a clock without a due time says when it was
/// met; 15: the search text holds the registration and source numbers
/// and the place without their separators, a time zone saved under a
/// name the tablets do not carry is read as they read it, and a follow-up
/// call that lost to another action is kept; 16: a refusal of a
/// compensation approved first is a conflict, not a violation, an
/// extension moves only the investigation and the solution, a major case
/// is reported by an escalation above the property, and goes straight to
/// the deputy or the general manager without a skip declared; 17: a
/// reopening before the complainant was told of the result owes them the
/// next result instead, a resolution meets an urgent case's on-site
/// clock, and the extensions' cap of a solution follows the severity its
/// period kept, not a later assessment's; 18: so does the investigation's,
/// and a callback that reaches the resident meets an urgent case's contact
/// clock; 19: a clock whose due day lies in a year not loaded is no
/// problem once it was owed no more before that year, and a name is
/// searched without its spaces, `search::name`; 20: a clock ended or
/// taken away within its due second was not missed, one taken away before
/// it ran out no longer hides an earlier time it was taken away missed,
/// an extension granted after the solution ran out does not let a later
/// assessment give it another period, and the investigation's extensions
/// are capped by the rules the solution clock started under, and a number
/// typed with dots between its groups is masked in the search text; 21: a
/// second call of the resident made by someone who saw the case resolved
/// is taken as a call in 已回访 is, and a decision on a compensation kept
/// as a conflict is not applied to a solution proposed after it, from op
/// schema 10; a conflict keeps the proposal it lost beside; a public area
/// is found by its English name too; 22: a solution whose compensation is
/// refused is no reply, an extended investigation stays within the
/// special-case limit and takes an extension granted before it started,
/// and an extension into a year not loaded is said of no clock owed no
/// more; 23: a case's row names its clocks without a due time, which the
/// statistics count apart, `report::CaseRow::unknown_clocks`; 24: the
/// texts are searched without the marks that show nothing and a name
/// without its middle dot, a number in the text is found across a
/// no-break space, and a unit by its address in short, `3-1-502`,
/// `search`; 25: a case passed to another department gives it its own
/// start and investigation clocks, a second round's result is owed to the
/// resident as the first's, and a callback the close gave up on keeps its
/// due time, missed): a server folds again every case it stored under
/// another version, and does not resume its fold state.
pub const RULES: i64 = 25;

/// What the fold carries between ops besides the case: the clock marks the
/// deadlines are worked out from at the end, the ops a `resolve_conflict`
/// may still apply, and the greatest op key seen. The ids of the ops seen
/// need not be kept: every folded op is in the case's timeline once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldState {
    last: (Hlc, DeviceId, OpId),
    marks: Marks,
    /// The ops of the open conflicts, in the order they were folded.
    conflicted: Vec<Op>,
}

/// [`fold`], keeping what [`resume`] needs to carry on from the result.
pub fn fold_resumable(ops: &[Op], ctx: FoldContext<'_>) -> Result<Folded, FoldError> {
    // Not the last of the canonical order: a repeat of an id with a later
    // key is dropped there, and must still not count as coming after.
    let last = ops.iter().map(Op::order_key).max();
    let ordered = canonical(ops.iter().collect());
    fold_ordered(&ordered, last, ctx)
}

/// Folds ops already in canonical order (see [`canonical`]); `last` is the
/// greatest key among every op given, repeats included.
fn fold_ordered(
    ordered: &[&Op],
    last: Option<(Hlc, DeviceId, OpId)>,
    ctx: FoldContext<'_>,
) -> Result<Folded, FoldError> {
    let (reg_op, registration) = ordered
        .iter()
        .find_map(|op| match &op.action {
            Action::Register(r) => Some((*op, r)),
            _ => None,
        })
        .ok_or(FoldError::NoRegistration)?;
    let case_id = reg_op.case_id;
    let mut folder = Folder {
        case: new_case(reg_op, registration.clone(), ordered.len()),
        marks: Marks::default(),
        conflicted: Vec::new(),
        ctx,
    };
    for op in ordered
        .iter()
        .filter(|op| op.case_id == case_id && op.id != reg_op.id)
    {
        folder.step(op);
    }
    Ok(folder.finish(last.unwrap_or(reg_op.order_key())))
}

/// Applies `ops` to a case folded earlier, giving exactly what [`fold`]
/// gives for all of its ops together. That holds only when every new op
/// sorts after every op already folded, so for any other `None` is
/// returned and the caller folds all ops again. Repeats of ops already
/// folded are ignored, and so are ops of other cases.
pub fn resume(mut folded: Folded, ops: &[Op], ctx: FoldContext<'_>) -> Option<Folded> {
    let before = folded.state.last;
    if ops.iter().any(|op| op.order_key() <= before) {
        return None;
    }
    let last = ops.iter().map(Op::order_key).max().unwrap_or(before);
    let seen: BTreeSet<OpId> = folded.case.timeline.iter().map(|e| e.stamp.op).collect();
    // A fold works the deadlines out once, after the last op; until then
    // the case has none.
    folded.case.deadlines.clear();
    folded.case.deadline_problems.clear();
    let case_id = folded.case.id;
    let mut folder = Folder {
        case: folded.case,
        marks: folded.state.marks,
        conflicted: folded.state.conflicted,
        ctx,
    };
    for op in canonical(ops.iter().collect())
        .into_iter()
        .filter(|op| op.case_id == case_id && !seen.contains(&op.id))
    {
        folder.step(op);
    }
    Some(folder.finish(last))
}

/// Groups ops by case and folds each case. Cases without a registration op
/// are reported as errors, keyed by their id, so callers can keep the ops.
pub fn fold_all(ops: &[Op], ctx: FoldContext<'_>) -> BTreeMap<CaseId, Result<Case, FoldError>> {
    // One sort of borrowed ops groups the log by case and puts each case
    // nearly in fold order, instead of copying every op into a group. The
    // sort key is copied out of the ops so that comparing does not reach
    // into them; ties on it are settled per case below.
    let mut keyed: Vec<(u128, i64, u32, &Op)> = ops
        .iter()
        .map(|op| (op.case_id.0.as_u128(), op.hlc.wall_ms, op.hlc.counter, op))
        .collect();
    keyed.sort_unstable_by_key(|&(case, wall_ms, counter, _)| (case, wall_ms, counter));
    let mut cases = BTreeMap::new();
    let mut group: Vec<&Op> = Vec::new();
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        group.clear();
        group.extend(run.iter().map(|&(.., op)| op));
        // Already sorted unless two ops share a case, wall time and
        // counter; checking that is one comparison per op.
        group.sort_by(|a, b| fold_order(a, b));
        let last = group.last().map(|op| op.order_key());
        let folded = if has_repeated_id(&group) {
            fold_ordered(&first_of_each_id(group.clone()), last, ctx)
        } else {
            fold_ordered(&group, last, ctx)
        };
        cases.insert(group[0].case_id, folded.map(|folded| folded.case));
    }
    cases
}

/// Sorts by the fold order and keeps the first op of each id.
fn canonical(mut sorted: Vec<&Op>) -> Vec<&Op> {
    sorted.sort_by(|a, b| fold_order(a, b));
    if has_repeated_id(&sorted) {
        sorted = first_of_each_id(sorted);
    }
    sorted
}

/// The fold order: by key. Equal keys with different content (a corrupted
/// duplicate) are ordered by their serialized bytes so the choice is still
/// the same everywhere.
fn fold_order(a: &Op, b: &Op) -> Ordering {
    a.order_key().cmp(&b.order_key()).then_with(|| {
        let ja = serde_json::to_vec(a).unwrap_or_default();
        let jb = serde_json::to_vec(b).unwrap_or_default();
        ja.cmp(&jb)
    })
}

/// Whether an op id occurs more than once. Checked before deduplicating
/// because repeats are rare and a set of ids costs more than this.
fn has_repeated_id(ops: &[&Op]) -> bool {
    // Most cases have a handful of ops, for which comparing every pair
    // needs no allocation and is quickest.
    if ops.len() <= 16 {
        return ops
            .iter()
            .enumerate()
            .any(|(i, op)| ops[..i].iter().any(|earlier| earlier.id == op.id));
    }
    let mut ids: Vec<OpId> = ops.iter().map(|op| op.id).collect();
    ids.sort_unstable();
    ids.windows(2).any(|pair| pair[0] == pair[1])
}

/// Keeps the first op of each id, in order.
fn first_of_each_id(mut ops: Vec<&Op>) -> Vec<&Op> {
    let mut seen = BTreeSet::new();
    ops.retain(|op| seen.insert(op.id));
    ops
}

fn stamp(op: &Op) -> Stamp {
    Stamp {
        op: op.id,
        by: op.author,
        role: op.role,
        device: op.device,
        at: op.at,
    }
}

/// A registered case; `ops` (the number of ops to fold) sizes its timeline.
fn new_case(op: &Op, mut registration: Registration, ops: usize) -> Case {
    // Kept as the hotline writes it, whatever the device sent.
    registration.source_ref = crate::case::source_ref(&registration.source_ref);
    let mut case = Case {
        id: op.case_id,
        registered: stamp(op),
        state: CaseState::Registered,
        assessment: None,
        assignee: None,
        handovers: Vec::new(),
        notes: Vec::new(),
        solution: None,
        approvals: Vec::new(),
        resolution: None,
        follow_ups: Vec::new(),
        callbacks_missed: Vec::new(),
        reopen_count: 0,
        escalations: Vec::new(),
        responder_changes: Vec::new(),
        extensions: Vec::new(),
        suggestion: None,
        withdrawal: None,
        voiding: None,
        closure: None,
        attachments: Vec::new(),
        deadlines: Vec::new(),
        deadline_problems: Vec::new(),
        conflicts: Vec::new(),
        violations: Vec::new(),
        timeline: Vec::with_capacity(ops),
        last_hlc: op.hlc,
        registration,
    };
    let changes = vec![
        change("reg_no", None, Some(case.registration.reg_no.to_string())),
        change("kind", None, Some(case.registration.kind.code().into())),
        change("state", None, Some(CaseState::Registered.code().into())),
    ];
    case.timeline.push(TimelineEntry {
        stamp: stamp(op),
        hlc: op.hlc,
        action: ActionKind::Register,
        state: CaseState::Registered,
        changes,
        outcome: Outcome::Applied,
    });
    case
}

fn change(field: &'static str, from: Option<String>, to: Option<String>) -> Change {
    Change {
        field: Cow::Borrowed(field),
        from,
        to,
    }
}

/// The moments the deadline clocks start and stop, gathered while folding.
/// They use the device time of the op that did the work (`Op::at`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Marks {
    assessed: Option<DateTime<Utc>>,
    assigned: Option<DateTime<Utc>>,
    started: Option<DateTime<Utc>>,
    investigated: Option<DateTime<Utc>>,
    replied: Option<DateTime<Utc>>,
    /// The proposal that made the reply, while its compensation awaits a
    /// decision: refused, it was no reply, and the clock runs again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replied_pending: Option<OpId>,
    contacted: Option<DateTime<Utc>>,
    on_site: Option<DateTime<Utc>>,
    escalated: Option<DateTime<Utc>>,
    /// When the case was first resolved (answered on the spot, say).
    first_resolution: Option<DateTime<Utc>>,
    /// The resolution the complainant is to be told of, and when they
    /// were: the latest (a reopening before anyone told them took the
    /// earlier one's clock back; one after they were told leaves it met,
    /// and the next resolution starts it again).
    feedback_clock: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// The latest resolution starts the follow-up clock again; the first
    /// follow-up after it stops it.
    follow_up_clock: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// Whether the case was answered on the spot, which leaves the
    /// assessment and transfer it skipped undue. Not defaulted: a stored
    /// state from before it existed is folded again rather than resumed.
    answered_on_the_spot: bool,
    /// When an assessment last made the case major: its report clock
    /// starts then. A stored state from before it existed has none, and
    /// starts from the first assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    major_since: Option<DateTime<Utc>>,
    /// The first escalation above the property folded after
    /// `major_since` was set ([`reports_major`]): its report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    major_reported: Option<DateTime<Utc>>,
    /// Whether the case was closed without its callback, the complainant
    /// missed by enough tries (`workflow::CALLBACK_ATTEMPTS`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    closed_unreached: bool,
    /// When an assessment made again found a complaint found unfounded
    /// valid after all: it can be transferred, and its transfer clock
    /// starts, from then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    founded_since: Option<DateTime<Utc>>,
    /// When the case was passed to the department that has it now, if
    /// not the first it was assigned to (转办 to another department): its
    /// start and investigation clocks run from then ([`transferred`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    department_since: Option<DateTime<Utc>>,
    /// The clocks an assessment made again took away while they ran (no
    /// longer urgent, no longer major, found unfounded: the transfer and
    /// the department's clocks), and the callbacks and feedback a
    /// reopening took away before anyone called or told, latest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dropped: Vec<Dropped>,
    /// The severity each assessment gave, when, in the order folded: the
    /// solution clock keeps the period of the one in force while it ran
    /// ([`solution_severity`]). Kept here, not read from the timeline: a
    /// server resumes the fold from a case without its history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    severities: Vec<(DateTime<Utc>, Severity)>,
    /// The texts with a number in them that the content and the remedy
    /// held before, one per line ([`held_texts`]), kept for the same
    /// reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    held: String,
}

/// A clock an assessment made again or a reopening took away: one that had
/// run out by then stays, missed, one met by then stays met, and any other
/// was owed no more (`compute_deadlines`), so that a second look never
/// turns a missed deadline into none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Dropped {
    clock: Clock,
    start: DateTime<Utc>,
    /// When it was met, if it was by then.
    met: Option<DateTime<Utc>>,
    /// When it was taken away.
    at: DateTime<Utc>,
}

/// What an assessment made again (重新评估) at `at` changes in the clocks,
/// `before` being the urgency, severity and validity it replaced and
/// `case` holding the new one: a complaint found valid after all may be
/// transferred from now, and the clocks it takes away are kept aside
/// ([`Dropped`]).
fn reassessed(
    marks: &mut Marks,
    before: (bool, Severity, Validity),
    case: &Case,
    at: DateTime<Utc>,
) {
    let Some(now) = case.assessment.as_deref() else {
        return;
    };
    let (was_urgent, was_severity, was_validity) = before;
    let received = case.registration.received_at;
    let mut dropped = Vec::new();
    if was_urgent && !now.urgent {
        dropped.push((Clock::UrgentContact, Some(received), marks.contacted));
        dropped.push((Clock::UrgentOnSite, Some(received), marks.on_site));
    }
    if was_severity == Severity::Major && now.severity != Severity::Major {
        let met = match marks.major_since {
            Some(_) => marks.major_reported,
            None => marks.escalated,
        };
        dropped.push((
            Clock::MajorReport,
            marks.major_since.or(marks.assessed),
            met,
        ));
    }
    if case.registration.kind == CaseKind::Complaint {
        match (was_validity, now.validity) {
            (Validity::Valid, Validity::Unfounded) => {
                dropped.push((
                    Clock::Transfer,
                    marks.founded_since.or(marks.assessed),
                    marks.assigned,
                ));
                // Transferred already: the department is told to stop,
                // and its clocks with it.
                let since = marks.department_since.or(marks.assigned);
                dropped.push((Clock::DepartmentStart, since, marks.started));
                dropped.push((Clock::Investigation, since, marks.investigated));
            }
            (Validity::Unfounded, Validity::Valid) => marks.founded_since = Some(at),
            _ => {}
        }
    }
    for (clock, start, met) in dropped {
        if let Some(start) = start {
            marks.dropped.push(Dropped {
                clock,
                start,
                met,
                at,
            });
        }
    }
}

/// The severity whose solution period (`DeadlineSettings::rule_for`)
/// `case`'s solution clock, started at `start` and met at `met`, keeps: an
/// assessment that changed the severity after the clock was met, or after
/// it ran out unmet, does not move it (a second look never turns a missed
/// deadline into a met one, nor a met one into a missed one); one made
/// while it ran gives it the new period. Whether it still ran counts the
/// extensions granted before the assessment while it ran, and only them
/// (one granted after it ran out moved nothing).
fn solution_severity(
    case: &Case,
    severities: &[(DateTime<Utc>, Severity)],
    start: DateTime<Utc>,
    met: Option<DateTime<Utc>>,
    deadlines: &deadline::DeadlineSettings,
    tz: chrono_tz::Tz,
    calendar: &crate::calendar::Calendar,
) -> Option<Severity> {
    let mut current: Option<Severity> = None;
    for &(at, new) in severities {
        if Some(new) == current {
            continue;
        }
        let settled = met.is_some_and(|m| m <= at)
            || solution_ran_out(case, current, start, at, deadlines, tz, calendar);
        if settled {
            return current;
        }
        current = Some(new);
    }
    current
}

/// Whether `case`'s solution clock, started at `start` and run by the
/// period of `severity`, had run out by `at`, pushed by the extensions
/// granted before then while it ran, as `compute_deadlines` pushes it.
/// One whose due time cannot be computed is taken as running.
fn solution_ran_out(
    case: &Case,
    severity: Option<Severity>,
    start: DateTime<Utc>,
    at: DateTime<Utc>,
    deadlines: &deadline::DeadlineSettings,
    tz: chrono_tz::Tz,
    calendar: &Calendar,
) -> bool {
    let rule = deadlines.rule_for(Clock::Solution, severity);
    let cap = deadlines.max_extension_working_days(severity);
    let Ok(unextended) = deadline::due_at(start, rule, tz, calendar) else {
        return false;
    };
    let Ok((mut due, days)) = extend(
        &case.extensions,
        (start, Some(at), start),
        unextended,
        cap,
        tz,
        calendar,
    ) else {
        return false;
    };
    if days > 0 {
        due = within_special_case_limit(
            case.registration.received_at,
            (unextended, due),
            deadlines,
            tz,
            calendar,
        );
    }
    deadline::ran_out(due, at)
}

/// Whether an escalation to `role` reports a major case: to the branch or
/// head office, above the property's manager.
pub fn reports_major(role: Role) -> bool {
    matches!(
        role,
        Role::RegionalManager | Role::DeputyGm | Role::Gm | Role::Quality
    )
}

/// What passing a case of `kind` to another department at `at` (转办)
/// changes in the clocks: the new department starts, and investigates a
/// complaint, within its own period from then. The clocks of the one it
/// leaves are kept aside ([`Dropped`]): one that had run out unmet stays
/// missed (the new department's then runs from the first start, a
/// handover never making a missed deadline none), one met or still
/// running was owed no more.
fn transferred(marks: &mut Marks, kind: CaseKind, at: DateTime<Utc>) {
    let Some(since) = marks.department_since.or(marks.assigned) else {
        return;
    };
    let clocks: &[(Clock, Option<DateTime<Utc>>)] = match kind {
        CaseKind::Complaint => &[
            (Clock::DepartmentStart, marks.started),
            (Clock::Investigation, marks.investigated),
        ],
        CaseKind::Repair => &[(Clock::DepartmentStart, marks.started)],
        CaseKind::Inquiry | CaseKind::Suggestion => &[],
    };
    for &(clock, met) in clocks {
        marks.dropped.push(Dropped {
            clock,
            start: since,
            met,
            at,
        });
    }
    marks.department_since = Some(at);
    marks.started = None;
    marks.investigated = None;
}

/// Takes away, at a reopening at `at`, a clock that started at `resolved`
/// and nobody met: kept aside as one an assessment takes away is, missed
/// if it had run out by then and owed no more if not (`compute_deadlines`
/// judges which, from the case as it ends up).
fn take_back(marks: &mut Marks, clock: Clock, resolved: DateTime<Utc>, at: DateTime<Utc>) {
    marks.dropped.push(Dropped {
        clock,
        start: resolved,
        met: None,
        at,
    });
}

fn first(slot: &mut Option<DateTime<Utc>>, at: DateTime<Utc>) {
    if slot.is_none() {
        *slot = Some(at);
    }
}

struct Folder<'a> {
    case: Case,
    marks: Marks,
    conflicted: Vec<Op>,
    ctx: FoldContext<'a>,
}

impl Folder<'_> {
    /// Works the deadlines out from the marks, after the last op.
    fn finish(mut self, last: (Hlc, DeviceId, OpId)) -> Folded {
        compute_deadlines(&mut self.case, &self.marks, self.ctx);
        Folded {
            case: self.case,
            state: FoldState {
                last,
                marks: self.marks,
                conflicted: self.conflicted,
            },
        }
    }

    fn step(&mut self, op: &Op) {
        let kind = op.action.kind();
        self.case.last_hlc = self.case.last_hlc.max(op.hlc);
        if let Action::ResolveConflict {
            conflict_op, apply, ..
        } = &op.action
        {
            return self.resolve_conflict(op, *conflict_op, *apply);
        }
        // A complaint's assessment made after its answer on the spot, and
        // a spot-check call (抽查回访), move the case nowhere
        // (`workflow::check`): the state they saw is not compared, so a
        // follow-up or a close meanwhile is no conflict. A spot check is
        // compared when the case is back in the works (reopened, or
        // handled again): the resident's view of a result that was since
        // reopened is for someone to look at.
        let late_assessment = kind == ActionKind::Assess
            && op
                .expected_state
                .is_some_and(|s| s != CaseState::Registered);
        let spot_check = matches!(
            op.action,
            Action::FollowUp {
                spot_check: true,
                ..
            }
        ) && !matches!(
            self.case.state,
            CaseState::Reopened
                | CaseState::Registered
                | CaseState::Assessed
                | CaseState::Assigned
                | CaseState::InProgress
                | CaseState::SolutionProposed
        );
        // A second call of the resident (回访) made by someone who saw the
        // case still resolved, after a colleague's call was taken: both
        // reached the resident, and the later one is what they say now.
        // It is taken as a call in 已回访 is, so one unsatisfied reopens
        // the case (`workflow::SECOND_CALL_SCHEMA`; before, it lost the
        // race: the case stayed 已回访 with an unsatisfied score, and could
        // be closed over it).
        let second_call = matches!(
            op.action,
            Action::FollowUp {
                spot_check: false,
                ..
            }
        ) && op.schema >= workflow::SECOND_CALL_SCHEMA
            && op.expected_state == Some(CaseState::Resolved)
            && self.case.state == CaseState::FollowedUp;
        // Two decisions on one compensation made apart (an approval on a
        // tablet offline, a refusal online after it): the first by HLC
        // stands, and the refusal lost the race as a transition does. An
        // approval leaves the state where it was, so the state alone does
        // not tell; the decision already taken does.
        let overruled = matches!(
            op.action,
            Action::Approve {
                approved: false,
                ..
            }
        ) && op.expected_state == Some(CaseState::SolutionProposed)
            && self.case.state == CaseState::SolutionProposed
            && self
                .case
                .solution
                .as_ref()
                .is_some_and(|s| s.approval == ApprovalState::Approved);
        if kind.is_transition()
            && !late_assessment
            && !spot_check
            && !second_call
            && let Some(expected) = op.expected_state
            && (expected != self.case.state || overruled)
        {
            self.case.conflicts.push(Conflict {
                op: op.id,
                action: kind,
                expected,
                found: self.case.state,
                stamp: stamp(op),
                resolved_by: None,
                applied: false,
                proposal: self.case.solution.as_ref().map(|s| s.stamp.op),
            });
            self.conflicted.push(op.clone());
            // A regular call that lost is kept (`keep_field_work`); a spot
            // check of a result reopened since is for someone to judge.
            // Only a call that would have been taken in the state its
            // author saw: one its role does not make, or made by message,
            // is no more kept than it would have been applied.
            let would_stand = || {
                let mut seen = self.case.clone();
                seen.state = expected;
                workflow::check_op(&seen, op, self.ctx.settings).is_ok()
            };
            let changes = match op.action {
                Action::FollowUp {
                    spot_check: false, ..
                } if would_stand() => self.keep_field_work(op),
                _ => Vec::new(),
            };
            return self.record(op, changes, Outcome::Conflict);
        }
        match workflow::check_op(&self.case, op, self.ctx.settings) {
            Ok(target) => {
                let changes = self.apply(op, target);
                self.record(op, changes, Outcome::Applied);
            }
            Err(rule) => {
                let changes = match op.action {
                    Action::Note { .. } | Action::Attach { .. } => self.keep_field_work(op),
                    _ => Vec::new(),
                };
                self.flag(op, rule);
                self.record(op, changes, Outcome::Flagged);
            }
        }
    }

    /// Field work is never lost: the content of a note or an attachment
    /// is kept even when its op broke a rule, and a follow-up call (what
    /// the resident said, and their score) when it lost to another
    /// tablet's action (a manager closed the case while staff, offline,
    /// reached the resident at last). It moves no state and meets no
    /// clock, though (a contact note written after the case was withdrawn
    /// is no contact within the deadline); a conflict applied later moves
    /// the state, and the call is not recorded twice.
    fn keep_field_work(&mut self, op: &Op) -> Vec<Change> {
        let marks = self.marks.clone();
        let changes = self.apply(op, None);
        self.marks = marks;
        changes
    }

    fn resolve_conflict(&mut self, op: &Op, conflict_op: OpId, apply: bool) {
        if let Err(rule) = workflow::check_op(&self.case, op, self.ctx.settings) {
            self.flag(op, rule);
            return self.record(op, Vec::new(), Outcome::Flagged);
        }
        let mut changes = Vec::new();
        // `check` passed, so `conflict_op` is an open conflict of this case.
        let original = self.conflicted.iter().position(|o| o.id == conflict_op);
        let kept = self.case.conflicts.iter().find(|c| c.op == conflict_op);
        if apply && let (Some(i), Some(kept)) = (original, kept) {
            let original = self.conflicted[i].clone();
            let decided = workflow::check_applied(
                &self.case,
                kept,
                (&original, op.schema),
                self.ctx.settings,
            );
            match decided {
                Ok(target) => {
                    changes = self.apply(&original, target);
                    // Passed to another department only now: its time to
                    // start runs from the settlement, not from when the
                    // handover was first written.
                    if matches!(original.action, Action::Assign { .. })
                        && self.marks.department_since == Some(original.at)
                    {
                        self.marks.department_since = Some(original.at.max(op.at));
                    }
                }
                Err(rule) => {
                    self.flag(op, rule);
                    return self.record(op, Vec::new(), Outcome::Flagged);
                }
            }
        }
        if let Some(c) = self
            .case
            .conflicts
            .iter_mut()
            .find(|c| c.op == conflict_op && c.resolved_by.is_none())
        {
            c.resolved_by = Some(op.id);
            c.applied = apply;
            // A resolved conflict cannot be resolved again.
            self.conflicted.retain(|o| o.id != conflict_op);
        }
        changes.push(change("conflict", Some(conflict_op.to_string()), None));
        self.record(op, changes, Outcome::Applied);
    }

    fn flag(&mut self, op: &Op, rule: RuleViolation) {
        self.case.violations.push(Violation {
            op: op.id,
            action: op.action.kind(),
            rule,
            stamp: stamp(op),
        });
    }

    fn record(&mut self, op: &Op, changes: Vec<Change>, outcome: Outcome) {
        self.case.timeline.push(TimelineEntry {
            stamp: stamp(op),
            hlc: op.hlc,
            action: op.action.kind(),
            state: self.case.state,
            changes,
            outcome,
        });
    }

    /// Applies an op that passed the checks and moves the state to `target`.
    fn apply(&mut self, op: &Op, target: Option<CaseState>) -> Vec<Change> {
        let st = stamp(op);
        let at = op.at;
        let case = &mut self.case;
        let marks = &mut self.marks;
        // Most actions change one field and the state. Sized for that
        // rather than the four a first push makes room for: the timeline
        // keeps every list, so the spare room would stay allocated.
        let mut changes = Vec::with_capacity(2);
        match &op.action {
            Action::Register(_) | Action::ResolveConflict { .. } => {}
            Action::Edit(patch) => {
                let held = typed_over_masked(patch).then(|| held_texts(case, marks));
                changes = apply_patch(&mut case.registration, patch, held.as_deref());
                hold_numbers(&mut marks.held, &changes);
            }
            Action::Assess {
                severity,
                urgent,
                validity,
                reason,
                respondent,
                respondent_department,
            } => {
                first(&mut marks.assessed, at);
                // Assessed again, the timeline shows what changed.
                let was = case.assessment.as_deref();
                let (was_respondent, was_department) = was
                    .map(|a| (a.respondent.clone(), a.respondent_department.clone()))
                    .unwrap_or_default();
                let before = was.map(|w| (w.urgent, w.severity, w.validity));
                // Assessed again from a reason read with its numbers
                // masked, the reason keeps them (`phone::restore_masked`).
                let reason = match was {
                    Some(w) => restore_masked(reason, &w.reason).into_owned(),
                    None => reason.clone(),
                };
                // Major from now: reported by an escalation made from now.
                if *severity == Severity::Major && was.is_none_or(|w| w.severity != Severity::Major)
                {
                    marks.major_since = Some(at);
                    marks.major_reported = None;
                }
                marks.severities.push((at, *severity));
                changes.push(change(
                    "severity",
                    was.map(|a| a.severity.code().into()),
                    Some(severity.code().into()),
                ));
                changes.push(change(
                    "urgent",
                    was.map(|a| a.urgent.to_string()),
                    Some(urgent.to_string()),
                ));
                changes.push(change(
                    "validity",
                    was.map(|a| a.validity.code().into()),
                    Some(validity.code().into()),
                ));
                case.assessment = Some(Box::new(Assessment {
                    severity: *severity,
                    urgent: *urgent,
                    validity: *validity,
                    reason,
                    respondent: respondent.clone(),
                    respondent_department: respondent_department.clone(),
                    stamp: st,
                }));
                if let Some(before) = before {
                    reassessed(marks, before, case, at);
                }
                // Cleared by an assessment made again, it says so too.
                for (field, old, value) in [
                    ("respondent", was_respondent, respondent),
                    (
                        "respondent_department",
                        was_department,
                        respondent_department,
                    ),
                ] {
                    if *value != old {
                        let old = (!old.is_empty()).then_some(old);
                        let new = (!value.is_empty()).then(|| value.clone());
                        changes.push(change(field, old, new));
                    }
                }
            }
            Action::Assign {
                department,
                user,
                name,
                note,
            } => {
                if case
                    .assignee
                    .as_ref()
                    .is_some_and(|a| a.department != *department)
                {
                    transferred(marks, case.registration.kind, at);
                }
                first(&mut marks.assigned, at);
                let to = Assignee {
                    department: department.clone(),
                    user: *user,
                    name: name.clone(),
                };
                let from = case.assignee.replace(to.clone());
                changes.push(change(
                    "assignee",
                    from.as_ref().map(assignee_text),
                    Some(assignee_text(&to)),
                ));
                case.handovers.push(Handover {
                    from,
                    to,
                    note: note.clone(),
                    stamp: st,
                });
            }
            Action::Start => first(&mut marks.started, at),
            Action::Note { note_kind, text } => {
                match note_kind {
                    NoteKind::Contact => first(&mut marks.contacted, at),
                    NoteKind::OnSite => first(&mut marks.on_site, at),
                    NoteKind::CauseAnalysis => first(&mut marks.investigated, at),
                    NoteKind::General | NoteKind::Inspection => {}
                }
                changes.push(change("note", None, Some(text.clone())));
                case.notes.push(Note {
                    kind: *note_kind,
                    text: text.clone(),
                    stamp: st,
                });
            }
            Action::Propose {
                measures,
                responsible,
                planned_date,
                compensation_fen,
            } => {
                first(&mut marks.investigated, at);
                let needs_approval = *compensation_fen > 0;
                // The reply is the first proposal, unless refused; one made
                // again while the first waited for its decision is the one
                // a refusal would take back, and one needing no decision
                // stands.
                if marks.replied.is_none() || marks.replied_pending.is_some() {
                    marks.replied.get_or_insert(at);
                    marks.replied_pending = needs_approval.then_some(op.id);
                }
                let limits = self.ctx.settings.rules_at(at).compensation;
                changes.push(change("measures", None, Some(measures.clone())));
                changes.push(change(
                    "compensation",
                    None,
                    Some(crate::compensation::format_yuan(*compensation_fen)),
                ));
                case.solution = Some(Box::new(Solution {
                    measures: measures.clone(),
                    responsible: responsible.clone(),
                    planned_date: *planned_date,
                    compensation_fen: *compensation_fen,
                    approval: if needs_approval {
                        ApprovalState::Pending
                    } else {
                        ApprovalState::NotNeeded
                    },
                    approver_role: needs_approval.then(|| limits.required_role(*compensation_fen)),
                    stamp: st,
                }));
            }
            Action::Approve {
                approved, comment, ..
            } => {
                let amount = case.solution.as_ref().map_or(0, |s| s.compensation_fen);
                // A refused solution was no reply: the reply it made is
                // taken back, and the next proposal or the resolution is
                // the reply (late, if after its due time).
                if let Some(s) = case.solution.as_ref()
                    && marks.replied_pending == Some(s.stamp.op)
                {
                    if !*approved {
                        marks.replied = None;
                    }
                    marks.replied_pending = None;
                }
                if let Some(s) = case.solution.as_mut() {
                    s.approval = if *approved {
                        ApprovalState::Approved
                    } else {
                        ApprovalState::Rejected
                    };
                }
                changes.push(change(
                    "approval",
                    Some("pending".into()),
                    Some(if *approved { "approved" } else { "rejected" }.into()),
                ));
                case.approvals.push(ApprovalRecord {
                    approved: *approved,
                    amount_fen: amount,
                    comment: comment.clone(),
                    stamp: st,
                });
            }
            Action::Resolve {
                result,
                feedback_method,
                feedback_at,
                on_the_spot,
            } => {
                // On the spot, the answer is the feedback.
                let feedback_at = if *on_the_spot {
                    Some(feedback_at.unwrap_or(at))
                } else {
                    *feedback_at
                };
                first(&mut marks.replied, at);
                // Told the result is reached: that meets an urgent case's
                // contact clock as a contact note would.
                if feedback_at.is_some() {
                    first(&mut marks.contacted, at);
                }
                first(&mut marks.first_resolution, at);
                // Resolved again after a reopening (二次处理), the resident
                // is owed the new result as they were the first: once told
                // the first, the clock starts again. (A reopening before
                // they were told took that clock back already.)
                match marks.feedback_clock {
                    // The first round's, told late, stays late.
                    Some((resolved, Some(told))) => {
                        marks.dropped.push(Dropped {
                            clock: Clock::Feedback,
                            start: resolved,
                            met: Some(told),
                            at,
                        });
                        marks.feedback_clock = Some((at, feedback_at));
                    }
                    None => marks.feedback_clock = Some((at, feedback_at)),
                    Some((_, None)) => {}
                }
                // Done is done: an urgent case resolved was attended to,
                // whether or not someone noted arriving on site first.
                first(&mut marks.on_site, at);
                marks.follow_up_clock = Some((at, None));
                marks.answered_on_the_spot |= *on_the_spot;
                changes.push(change("result", None, Some(result.clone())));
                case.resolution = Some(Box::new(Resolution {
                    result: result.clone(),
                    feedback_method: *feedback_method,
                    feedback_at,
                    on_the_spot: *on_the_spot,
                    feedback_note: String::new(),
                    feedback_by: None,
                    stamp: st,
                }));
            }
            Action::Feedback { method, note } => {
                if let Some((_, told @ None)) = marks.feedback_clock.as_mut() {
                    *told = Some(at);
                }
                first(&mut marks.contacted, at);
                changes.push(change("feedback", None, Some(method.code().into())));
                if let Some(r) = case.resolution.as_mut() {
                    r.feedback_method = *method;
                    r.feedback_at = Some(at);
                    r.feedback_note = note.clone();
                    r.feedback_by = Some(st);
                }
            }
            Action::FollowUp {
                method,
                satisfaction,
                comment,
                spot_check,
                ratings,
            } => {
                if !spot_check && let Some((_, met @ None)) = marks.follow_up_clock.as_mut() {
                    *met = Some(at);
                }
                // A follow-up call tells the result too, if nobody has yet.
                if !spot_check && let Some((_, told @ None)) = marks.feedback_clock.as_mut() {
                    *told = Some(at);
                }
                // It reached the resident: that meets an urgent case's
                // contact clock, as telling them the result does.
                if !spot_check {
                    first(&mut marks.contacted, at);
                }
                if target == Some(CaseState::Reopened) {
                    case.reopen_count += 1;
                }
                // Kept already when it lost to another action, and applied
                // now that its conflict is settled: it takes its place as
                // the latest call, once.
                if let Some(kept) = case.follow_ups.iter().position(|f| f.stamp.op == op.id) {
                    let call = case.follow_ups.remove(kept);
                    case.follow_ups.push(call);
                } else {
                    changes.push(change("satisfaction", None, Some(satisfaction.to_string())));
                    case.follow_ups.push(FollowUp {
                        method: *method,
                        satisfaction: *satisfaction,
                        comment: comment.clone(),
                        spot_check: *spot_check,
                        ratings: *ratings,
                        stamp: st,
                    });
                }
            }
            Action::CallbackMissed { method, note } => {
                changes.push(change("callback_missed", None, Some(note.clone())));
                case.callbacks_missed.push(MissedCallback {
                    method: *method,
                    note: note.clone(),
                    round: case.reopen_count,
                    stamp: st,
                });
            }
            Action::Reopen { reason } => {
                // Reopened before anyone called back: the call waits for
                // the next resolution, which starts its clock again. The
                // clock is kept aside as one an assessment takes away is:
                // run out by now, it stays missed.
                // A complaint's or a repair's: only they have these clocks.
                // Whether the complainant can be reached is judged by
                // `compute_deadlines` from the case as it ends up (a phone
                // added later makes them owed after all).
                let owed = matches!(
                    case.registration.kind,
                    CaseKind::Complaint | CaseKind::Repair
                );
                if let Some((resolved, None)) = marks.follow_up_clock {
                    marks.follow_up_clock = None;
                    let clock = match case.registration.kind {
                        CaseKind::Complaint => Clock::FollowUpComplaint,
                        _ => Clock::FollowUpRepair,
                    };
                    if owed {
                        take_back(marks, clock, resolved, at);
                    }
                }
                // So is the result nobody was told yet: the one to tell
                // is the next resolution's, within its own 24 hours.
                if let Some((resolved, None)) = marks.feedback_clock {
                    marks.feedback_clock = None;
                    if owed {
                        take_back(marks, Clock::Feedback, resolved, at);
                    }
                }
                case.reopen_count += 1;
                changes.push(change("reopen_reason", None, Some(reason.clone())));
            }
            Action::Escalate {
                to_role,
                skip_level,
                reason,
            } => {
                first(&mut marks.escalated, at);
                // A major case is reported above the property (DOMAIN: the
                // manager and head office are told): staff telling the
                // manager who assessed it told head office nothing.
                if marks.major_since.is_some() && reports_major(*to_role) {
                    first(&mut marks.major_reported, at);
                }
                changes.push(change("escalated_to", None, Some(to_role.code().into())));
                case.escalations.push(Escalation {
                    to_role: *to_role,
                    skip_level: *skip_level,
                    reason: reason.clone(),
                    stamp: st,
                });
            }
            Action::ChangeResponder { to, reason } => {
                let from = case.first_responder();
                changes.push(change(
                    "first_responder",
                    Some(from.to_string()),
                    Some(to.to_string()),
                ));
                case.responder_changes.push(ResponderChange {
                    from,
                    to: *to,
                    reason: reason.clone(),
                    stamp: st,
                });
            }
            Action::Extend {
                working_days,
                reason,
            } => {
                let before = case.extended_working_days();
                changes.push(change(
                    "extended_working_days",
                    Some(before.to_string()),
                    Some((before + working_days).to_string()),
                ));
                case.extensions.push(Extension {
                    working_days: *working_days,
                    reason: reason.clone(),
                    stamp: st,
                });
            }
            Action::Withdraw { reason } => {
                changes.push(change("withdraw_reason", None, Some(reason.clone())));
                case.withdrawal = Some(Box::new(Withdrawal {
                    reason: reason.clone(),
                    stamp: st,
                }));
            }
            Action::Void {
                duplicate_of,
                reason,
            } => {
                changes.push(change("void_reason", None, Some(reason.clone())));
                if let Some(original) = duplicate_of {
                    changes.push(change("duplicate_of", None, Some(original.to_string())));
                }
                case.voiding = Some(Box::new(Voiding {
                    from: case.state,
                    duplicate_of: duplicate_of.clone(),
                    reason: reason.clone(),
                    stamp: st,
                }));
            }
            // Restored as if it had never been voided: its clocks run on
            // from where they were, and it counts again.
            Action::Restore { reason } => {
                changes.push(change("restore_reason", None, Some(reason.clone())));
                case.voiding = None;
            }
            Action::Close {
                corrective_action,
                verification,
            } => {
                // Closed while it waited for its callback: only the tries
                // allow that (`workflow::gate`), and the callback stays owed.
                marks.closed_unreached = case.state == CaseState::Resolved
                    && matches!(
                        case.registration.kind,
                        CaseKind::Complaint | CaseKind::Repair
                    )
                    && case.registration.complainant.reachable()
                    && !case.is_unfounded_complaint();
                // An unfounded complaint is explained to the resident and
                // closed (不成立): the closure is its reply.
                if case.is_unfounded_complaint() {
                    first(&mut marks.replied, at);
                }
                if !corrective_action.is_empty() {
                    changes.push(change(
                        "corrective_action",
                        None,
                        Some(corrective_action.clone()),
                    ));
                }
                case.closure = Some(Box::new(Closure {
                    corrective_action: corrective_action.clone(),
                    verification: verification.clone(),
                    stamp: st,
                }));
            }
            Action::Decide { accepted, reason } => {
                first(&mut marks.replied, at);
                // A reopened suggestion is decided again: the change says
                // what the decision was.
                let before = case.suggestion.as_ref().map(|s| s.accepted.to_string());
                changes.push(change("accepted", before, Some(accepted.to_string())));
                case.suggestion = Some(Box::new(SuggestionOutcome {
                    accepted: *accepted,
                    reason: reason.clone(),
                    plan: None,
                    publish_on: None,
                    stamp: st,
                }));
            }
            Action::PlanImprovement { plan, publish_on } => {
                changes.push(change("plan", None, Some(plan.clone())));
                if let Some(s) = case.suggestion.as_mut() {
                    s.plan = Some(plan.clone());
                    s.publish_on = Some(*publish_on);
                }
            }
            Action::Answer {
                answer,
                method,
                on_the_spot,
            } => {
                first(&mut marks.replied, at);
                changes.push(change("answer", None, Some(answer.clone())));
                case.resolution = Some(Box::new(Resolution {
                    result: answer.clone(),
                    feedback_method: *method,
                    feedback_at: Some(at),
                    on_the_spot: *on_the_spot,
                    feedback_note: String::new(),
                    feedback_by: None,
                    stamp: st,
                }));
            }
            Action::Attach {
                id,
                attachment_kind,
                name,
                mime,
                size,
                hash,
                caption,
                thumbnail,
            } => {
                changes.push(change("attachment", None, Some(name.clone())));
                case.attachments.push(Attachment {
                    id: *id,
                    kind: *attachment_kind,
                    name: name.clone(),
                    mime: mime.clone(),
                    size: *size,
                    hash: *hash,
                    caption: caption.clone(),
                    thumbnail: thumbnail.clone(),
                    stamp: st,
                });
            }
        }
        if let Some(t) = target
            && t != case.state
        {
            changes.push(change(
                "state",
                Some(case.state.code().into()),
                Some(t.code().into()),
            ));
            case.state = t;
        }
        changes
    }
}

/// How the timeline shows an assignee: department and name.
fn assignee_text(a: &Assignee) -> String {
    // Not `format!`: this runs for every assignment of every fold.
    let mut text = String::with_capacity(a.department.len() + 1 + a.name.len());
    text.push_str(&a.department);
    text.push(' ');
    text.push_str(&a.name);
    text
}

/// Whether `patch` sets the content or the remedy to a text with a mask in
/// it, which may stand for a number the case held ([`held_texts`]).
fn typed_over_masked(patch: &RegistrationPatch) -> bool {
    [&patch.content, &patch.requested_remedy]
        .iter()
        .any(|t| t.as_deref().is_some_and(|t| t.contains('*')))
}

/// Every text the case's content and requested remedy have held with a
/// number in it, one per line: what a correction typed over masked numbers
/// may stand for (`phone::restore_masked`), also after a colleague changed
/// the text meanwhile, or with the number moved from one to the other.
fn held_texts(case: &Case, marks: &Marks) -> String {
    let reg = &case.registration;
    format!("{}\n{}\n{}", reg.content, reg.requested_remedy, marks.held)
}

/// Adds to `held` the content and remedy a correction replaced that hold a
/// number. What it set is the registration's now, and the `from` of the
/// correction that replaces it.
fn hold_numbers(held: &mut String, changes: &[Change]) {
    let texts = changes
        .iter()
        .filter(|c| matches!(&*c.field, "content" | "requested_remedy"))
        .filter_map(|c| c.from.as_ref());
    for text in texts {
        if matches!(mask_in_text(text), Cow::Owned(_)) {
            if !held.is_empty() {
                held.push('\n');
            }
            held.push_str(text);
        }
    }
}

/// Applies a correction. `held` ([`held_texts`]), when the patch typed over
/// masked numbers, gives them back: the reader saw the numbers masked, and
/// the record keeps them.
fn apply_patch(
    reg: &mut Registration,
    patch: &RegistrationPatch,
    held: Option<&str>,
) -> Vec<Change> {
    let mut changes = Vec::new();
    // Copied only when there is something to give back: every other
    // correction is applied from the patch as it is.
    let restored = |typed: &Option<String>, held: &str| {
        typed
            .as_deref()
            .map(|t| restore_masked(t, held).into_owned())
    };
    let content = held.map(|held| restored(&patch.content, held));
    let remedy = held.map(|held| restored(&patch.requested_remedy, held));
    let mut set_text = |field: &'static str, slot: &mut String, new: &Option<String>| {
        if let Some(v) = new
            && v != slot
        {
            changes.push(change(field, Some(slot.clone()), Some(v.clone())));
            *slot = v.clone();
        }
    };
    set_text(
        "complainant_name",
        &mut reg.complainant.name,
        &patch.complainant_name,
    );
    set_text("category", &mut reg.category, &patch.category);
    set_text(
        "content",
        &mut reg.content,
        content.as_ref().unwrap_or(&patch.content),
    );
    set_text(
        "requested_remedy",
        &mut reg.requested_remedy,
        remedy.as_ref().unwrap_or(&patch.requested_remedy),
    );
    set_text(
        "source_ref",
        &mut reg.source_ref,
        &patch.source_ref.as_deref().map(crate::case::source_ref),
    );
    if let Some(phone) = &patch.complainant_phone
        && *phone != reg.complainant.phone
    {
        changes.push(change(
            "complainant_phone",
            reg.complainant.phone.as_ref().map(|p| p.to_string()),
            phone.as_ref().map(|p| p.to_string()),
        ));
        reg.complainant.phone = phone.clone();
    }
    if let Some(related) = &patch.related_case
        && *related != reg.related_case
    {
        changes.push(change(
            "related_case",
            reg.related_case.clone(),
            related.clone(),
        ));
        reg.related_case = related.clone();
    }
    if let Some(location) = &patch.location
        && *location != reg.location
    {
        let show = |l: &crate::property::Location| serde_json::to_string(l).unwrap_or_default();
        changes.push(change(
            "location",
            Some(show(&reg.location)),
            Some(show(location)),
        ));
        reg.location = location.clone();
    }
    if let Some(channel) = patch.channel
        && channel != reg.channel
    {
        changes.push(change(
            "channel",
            Some(reg.channel.code().into()),
            Some(channel.code().into()),
        ));
        reg.channel = channel;
    }
    if let Some(received) = patch.received_at
        && received != reg.received_at
    {
        changes.push(change(
            "received_at",
            Some(reg.received_at.to_rfc3339()),
            Some(received.to_rfc3339()),
        ));
        reg.received_at = received;
    }
    changes
}

/// Starts every clock that applies to the case and records when it was met.
fn compute_deadlines(case: &mut Case, marks: &Marks, ctx: FoldContext<'_>) {
    let kind = case.registration.kind;
    let received = case.registration.received_at;
    let recorded = case.registered.at;
    let assessment = case.assessment.as_ref();
    let urgent = assessment.is_some_and(|a| a.urgent);
    let severity = assessment.map(|a| a.severity);
    let unfounded = case.is_unfounded_complaint();
    let complaint = kind == CaseKind::Complaint;
    let works = matches!(kind, CaseKind::Complaint | CaseKind::Repair);
    // A voided case should not have been: it owes nothing and missed
    // nothing, and the case it repeats keeps the clocks.
    if case.state == CaseState::Voided {
        return;
    }

    // Room for every clock a case can have, so that gathering them never
    // grows the list.
    let mut clocks: Vec<(Clock, DateTime<Utc>, Option<DateTime<Utc>>)> =
        Vec::with_capacity(Clock::ALL.len() + marks.dropped.len());
    if case.registration.channel.has_register_clock() {
        clocks.push((Clock::RegisterWritten, received, Some(recorded)));
    }
    // A case answered on the spot needs no assessment or transfer: the
    // steps it skipped are not due, not even when taken after the answer
    // (an assessment for the statistics, a transfer once the case was
    // reopened), which would meet them late against the receipt. Only one
    // whose time ran out before the answer was missed (`skipped_clocks`).
    let skipped = |met: Option<DateTime<Utc>>| {
        marks.answered_on_the_spot
            && match (met, marks.first_resolution) {
                (Some(met), Some(resolved)) => met >= resolved,
                (met, _) => met.is_none(),
            }
    };
    // A complaint's assessment made after its answer on the spot
    // (`workflow::gate`) is for the statistics: neither it nor the clocks
    // it would start from receipt (urgent contact and visit) were due.
    let assessed_after_the_answer = marks.answered_on_the_spot
        && marks
            .first_resolution
            .zip(marks.assessed)
            .is_some_and(|(resolved, assessed)| assessed >= resolved);
    // A step skipped by an answer given only after its time had run out
    // was missed all the same: kept as taken away by the answer (below).
    let mut skipped_clocks: Vec<(Clock, DateTime<Utc>)> = Vec::new();
    if complaint {
        if !skipped(marks.assessed) && !assessed_after_the_answer {
            clocks.push((Clock::InitialAssessment, recorded, marks.assessed));
        } else {
            skipped_clocks.push((Clock::InitialAssessment, recorded));
        }
    }
    // A complaint can be transferred only once it is assessed, and an
    // unfounded one never is; the transfer clock starts when it can be met
    // (found valid after all, from then). Assessed after its answer on the
    // spot, a complaint reopened and transferred meanwhile was transferred
    // before its clock could start.
    let transfer_from = if complaint {
        marks
            .founded_since
            .or(marks.assessed)
            .filter(|_| !unfounded && !assessed_after_the_answer)
    } else {
        works.then_some(recorded)
    };
    if let Some(start) = transfer_from {
        if skipped(marks.assigned) {
            skipped_clocks.push((Clock::Transfer, start));
        } else {
            clocks.push((Clock::Transfer, start, marks.assigned));
        }
    }
    // Only complaints and repairs have a step that starts work: an
    // assigned inquiry or suggestion is answered or decided instead.
    // An unfounded complaint is closed with an explanation, not handled:
    // a department it was transferred to before that owes no more work.
    if let Some(assigned) = marks
        .department_since
        .or(marks.assigned)
        .filter(|_| works && !unfounded)
    {
        clocks.push((Clock::DepartmentStart, assigned, marks.started));
        if complaint {
            clocks.push((Clock::Investigation, assigned, marks.investigated));
        }
    }
    if urgent && !assessed_after_the_answer {
        clocks.push((Clock::UrgentContact, received, marks.contacted));
        clocks.push((Clock::UrgentOnSite, received, marks.on_site));
    }
    if severity == Some(Severity::Major)
        && let Some(assessed) = marks.major_since.or(marks.assessed)
    {
        // Reported by an escalation made once it was major: one made
        // before, for another cause, told nobody that it is.
        let reported = match marks.major_since {
            Some(_) => marks.major_reported,
            None => marks.escalated,
        };
        clocks.push((Clock::MajorReport, assessed, reported));
    }
    clocks.push((Clock::Solution, received, marks.replied));
    // Nobody can tell an anonymous complainant who left no phone the
    // result or call them back, so those clocks do not run.
    let reachable = case.registration.complainant.reachable();
    if works
        && reachable
        && let Some((resolved, feedback)) = marks.feedback_clock
    {
        clocks.push((Clock::Feedback, resolved, feedback));
    }
    if reachable && let Some((resolved, met)) = marks.follow_up_clock {
        match kind {
            CaseKind::Complaint => clocks.push((Clock::FollowUpComplaint, resolved, met)),
            CaseKind::Repair => clocks.push((Clock::FollowUpRepair, resolved, met)),
            CaseKind::Suggestion | CaseKind::Inquiry => {}
        }
    }

    // A clock an assessment made again or a reopening took away: the
    // latest time it was while still owed, and until when it was owed
    // (`taken`). The urgent ones count from the receipt as it stands, as
    // when they run; those the answer on the spot made undue, as when they
    // run, were never owed. Owed again since, it runs again, from its
    // first start if it had run out unmet by the time it was taken away
    // (`revived`).
    let mut taken: Vec<(Clock, DateTime<Utc>)> = Vec::new();
    let mut revived: Vec<(Clock, DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for d in marks.dropped.iter().rev() {
        let assessment_clock = matches!(
            d.clock,
            Clock::UrgentContact | Clock::UrgentOnSite | Clock::Transfer
        );
        // The callback and the result's feedback are owed only to someone
        // who can be reached, as the running clocks are.
        let told = matches!(
            d.clock,
            Clock::FollowUpComplaint | Clock::FollowUpRepair | Clock::Feedback
        );
        let undue = (assessment_clock
            && (assessed_after_the_answer || (d.clock == Clock::Transfer && skipped(d.met))))
            || (told && !reachable);
        let start = match d.clock {
            Clock::UrgentContact | Clock::UrgentOnSite => received,
            _ => d.start,
        };
        // Taken away unmet before it ran out, it was owed no more, and
        // must not hide an earlier time it was taken away missed (owed
        // again in between, by a third look or a second resolution).
        let owed_no_more =
            d.met.is_none() && owed_no_more_when_taken(case, ctx, d.clock, start, d.at);
        let seen = taken.iter().any(|(c, _)| *c == d.clock);
        if undue || owed_no_more || seen {
            continue;
        }
        if clocks.iter().any(|(c, _, _)| *c == d.clock) {
            // Met by then, it may have been met late (a department's start
            // before it passed the case on): judged as one run out unmet.
            revived.push((d.clock, start, d.met.map_or(d.at, |met| met.min(d.at))));
        } else {
            clocks.push((d.clock, start, d.met));
            taken.push((d.clock, d.at));
        }
    }
    // Ended by the answer on the spot: kept only if it ran out before.
    if let Some(answered) = marks
        .first_resolution
        .filter(|_| marks.answered_on_the_spot)
    {
        for (clock, start) in skipped_clocks {
            if start < answered && !clocks.iter().any(|(c, _, _)| *c == clock) {
                clocks.push((clock, start, None));
                taken.push((clock, answered));
            }
        }
    }

    // A case that ended (closed or withdrawn) owes nothing more: a clock
    // still running when it ended stays only if it had already run out by
    // then, a deadline missed while the case was open.
    let ended = if case.state.is_open() {
        None
    } else {
        case.closure
            .as_ref()
            .map(|c| c.stamp.at)
            .or(case.withdrawal.as_ref().map(|w| w.stamp.at))
    };
    case.deadlines.reserve_exact(clocks.len());
    // The solution's start and end: the investigation's extensions are
    // capped by the severity the solution's period kept, as its own are.
    let solution = clocks
        .iter()
        .find(|(c, _, _)| *c == Clock::Solution)
        .map(|&(_, start, met)| (start, met));
    // Parsing a zone's name costs more than the rest of a clock: once a case.
    let mut zone: Option<(&str, chrono_tz::Tz)> = None;
    for (clock, mut start, mut met) in clocks {
        // A clock keeps the rule it started under (`settings/rules.rs`).
        let rules = ctx
            .settings
            .rules_at(workflow::clock_rules_time(case, start));
        let tz = match zone {
            Some((name, tz)) if name == rules.timezone => tz,
            _ => {
                let tz = rules.tz();
                zone = Some((rules.timezone, tz));
                tz
            }
        };
        // The solution keeps the severity in force while it ran, and so
        // does its extensions' cap: the cap of a severity assessed after it
        // was met would judge it by a rule it never ran under.
        let rule_severity = match clock {
            Clock::Solution => solution_severity(
                case,
                &marks.severities,
                start,
                met,
                rules.deadlines,
                tz,
                ctx.calendar,
            ),
            _ => severity,
        };
        let rule = rules.deadlines.rule_for(clock, rule_severity);
        // Due in a year after it was owed no more (taken away, or the case
        // ended first): no due time is owed either, extended or not.
        let owed_no_more = |e: &crate::calendar::CalendarError| {
            let until = taken
                .iter()
                .find(|(c, _)| *c == clock)
                .map(|&(_, until)| until)
                .into_iter()
                .chain(ended)
                .min();
            met.is_none()
                && matches!(
                    (e, until),
                    (crate::calendar::CalendarError::YearNotLoaded { year }, Some(until))
                        if chrono::Datelike::year(&until.with_timezone(&tz)) < *year
                )
        };
        let mut due = match deadline::due_at(start, rule, tz, ctx.calendar) {
            Ok(due) => due,
            Err(e) => {
                if owed_no_more(&e) {
                    continue;
                }
                case.deadline_problems.push(DeadlineProblem {
                    clock,
                    code: e.code().into(),
                    message: e.message_en(),
                    met_at: met,
                });
                continue;
            }
        };
        // The latest time it was taken away after it had run out.
        if let Some((first, first_due)) =
            revived
                .iter()
                .filter(|(c, _, _)| *c == clock)
                .find_map(|&(_, first, until)| {
                    let first_due = deadline::due_at(first, rule, tz, ctx.calendar).ok()?;
                    deadline::ran_out(first_due, until).then_some((first, first_due))
                })
        {
            start = first;
            due = first_due;
        }
        let unextended = due;
        // `workflow` caps the extensions' total so that the solution stays
        // within the special-case limit, by the severity known when each
        // was granted; an assessment after them may give the running
        // solution a longer rule, and the cap is then the one of its rule.
        // The investigation, which the same extensions move, shares it, as
        // of the first of the two ends: a later assessment would otherwise
        // take back days from one met (by a cause analysis, before the
        // solution), or give one still open more than the solution had.
        // It shares the rules of the solution clock's start too, which
        // `workflow` caps them by, not those of its own later start.
        let cap = match (clock, solution) {
            (Clock::Investigation, Some((solution_start, solution_met))) => {
                let solution_rules = ctx
                    .settings
                    .rules_at(workflow::clock_rules_time(case, solution_start));
                let severity = solution_severity(
                    case,
                    &marks.severities,
                    solution_start,
                    match (met, solution_met) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    },
                    solution_rules.deadlines,
                    solution_rules.tz(),
                    ctx.calendar,
                );
                solution_rules
                    .deadlines
                    .max_extension_working_days(severity)
            }
            _ => rules.deadlines.max_extension_working_days(rule_severity),
        };
        // Only the handling's clocks (the investigation and the solution)
        // are extended: a special case is one whose handling takes longer
        // (003: 特殊状况不能超过七个工作日), and the hour clocks (transfer,
        // start, an urgent case's contact and visit, a major case's
        // report) do not wait for it.
        let extendable = matches!(clock, Clock::Investigation | Clock::Solution);
        // The investigation takes the extensions of the handling granted
        // since the receipt's clock started, before it was passed on too.
        let earliest = match (clock, solution) {
            (Clock::Investigation, Some((solution_start, _))) => solution_start.min(start),
            _ => start,
        };
        let extended = if extendable {
            match extend(
                &case.extensions,
                (start, met, earliest),
                due,
                cap,
                tz,
                ctx.calendar,
            ) {
                Ok((extended_due, days)) => {
                    due = extended_due;
                    days
                }
                // The due time is unknown, as when the clock itself cannot
                // be computed: the clock without its extension would be
                // due too early and shown overdue. Unless it was owed no
                // more before that year.
                Err(e) if owed_no_more(&e) => continue,
                Err(e) => {
                    case.deadline_problems.push(DeadlineProblem {
                        clock,
                        code: e.code().into(),
                        message: e.message_en(),
                        met_at: met,
                    });
                    continue;
                }
            }
        } else {
            0
        };
        // Extended, the handling stays within the special-case limit from
        // the receipt: the solution, and the investigation that feeds it,
        // by the rules the solution clock started under (003: 特殊状况不能
        // 超过七个工作日; an investigation started late was extended past
        // the reply it feeds).
        if extended > 0 {
            let limit = match (clock, solution) {
                (Clock::Investigation, Some((solution_start, _))) => {
                    ctx.settings
                        .rules_at(workflow::clock_rules_time(case, solution_start))
                        .deadlines
                }
                _ => rules.deadlines,
            };
            due = within_special_case_limit(received, (unextended, due), limit, tz, ctx.calendar);
        }
        // Taken away before it was met, a clock stays only if it had run
        // out by then: missed, and ended then.
        let mut taken_unmet = false;
        if let Some(&(_, until)) = taken.iter().find(|(c, _)| *c == clock)
            && met.is_none_or(|m| m > until)
        {
            if !deadline::ran_out(due, until) {
                continue;
            }
            taken_unmet = met.is_none();
            met.get_or_insert(until);
        }
        // Except the callback of a case closed because the complainant
        // could not be reached (回访未果): it was owed and never made. It
        // ended unmet at the close, missed, and keeps the time it was due
        // by (the record sheet and the export print it).
        let unreached = marks.closed_unreached
            && matches!(clock, Clock::FollowUpComplaint | Clock::FollowUpRepair);
        if met.is_none() && ended.is_some_and(|ended| !deadline::ran_out(due, ended)) {
            match ended {
                Some(ended) if unreached => {
                    taken_unmet = true;
                    met = Some(ended);
                }
                _ => continue,
            }
        }
        case.deadlines.push(ClockState {
            clock,
            started_at: start,
            due_at: due,
            met_at: met,
            extended_working_days: extended,
            taken_unmet,
        });
    }
}

/// Whether `clock`, started at `start` and taken away unmet at `at`, had
/// not run out by then, by the rules it started under and before any
/// extension, which only pushes it later: owed no more. One whose due
/// time cannot be computed is not known to be, and is judged as the
/// clocks that run are.
fn owed_no_more_when_taken(
    case: &Case,
    ctx: FoldContext<'_>,
    clock: Clock,
    start: DateTime<Utc>,
    at: DateTime<Utc>,
) -> bool {
    let rules = ctx
        .settings
        .rules_at(workflow::clock_rules_time(case, start));
    deadline::due_at(
        start,
        rules.deadlines.rule_for(clock, None),
        rules.tz(),
        ctx.calendar,
    )
    .is_ok_and(|due| !deadline::ran_out(due, at))
}

/// `due`, the due time of a handling clock started at `start` and met at
/// `met`, pushed by the extensions that were granted while it still ran,
/// up to `cap` working days in all; with the days it took. Running means
/// at or after its start, before it was met, and not yet past due (within
/// the due second included, as any act is on time then): one granted
/// after a clock ran out would turn a missed deadline into a met one.
fn extend(
    extensions: &[Extension],
    (start, met, earliest): (DateTime<Utc>, Option<DateTime<Utc>>, DateTime<Utc>),
    mut due: DateTime<Utc>,
    cap: u32,
    tz: chrono_tz::Tz,
    calendar: &Calendar,
) -> Result<(DateTime<Utc>, u32), crate::calendar::CalendarError> {
    let mut extended = 0;
    for ext in extensions {
        // One granted from `earliest` on, before the clock started, is
        // taken as granted at its start: the investigation of a case
        // extended before it was passed on is the handling extended.
        let at = ext.stamp.at.max(start);
        let running = ext.stamp.at >= earliest
            && met.is_none_or(|m| m > at)
            && deadline::met_on_time(at, due);
        let days = ext.working_days.min(cap.saturating_sub(extended));
        if !running || days == 0 {
            continue;
        }
        due = deadline::extend_due(due, days, tz, calendar)?;
        extended += days;
    }
    Ok((due, extended))
}

/// An extended solution's due time, `due` extended from `unextended`,
/// ended by the special-case limit counted from `received`. A solution
/// counted in hours leaves the whole limit to extensions
/// (`max_extension_working_days`), and they end with it; a rule of so
/// many hours that it ends after the limit is not shortened by an
/// extension. A limit that cannot be computed ends nothing.
fn within_special_case_limit(
    received: DateTime<Utc>,
    (unextended, due): (DateTime<Utc>, DateTime<Utc>),
    deadlines: &deadline::DeadlineSettings,
    tz: chrono_tz::Tz,
    calendar: &Calendar,
) -> DateTime<Utc> {
    let rule = deadline::DeadlineRule::WorkingDays(deadlines.special_case_working_days);
    match deadline::due_at(received, rule, tz, calendar) {
        Ok(limit) => due.min(limit.max(unextended)),
        Err(_) => due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Validity;
    use crate::role::Role;
    use chrono::TimeZone;

    /// An op with id `id` (the rest does not matter to the checks here).
    fn op(id: u128) -> Op {
        Op {
            id: OpId(uuid::Uuid::from_u128(id)),
            case_id: CaseId(uuid::Uuid::from_u128(1)),
            device: DeviceId(uuid::Uuid::from_u128(2)),
            seq: 1,
            hlc: Hlc {
                wall_ms: 0,
                counter: 0,
                device: DeviceId(uuid::Uuid::from_u128(2)),
            },
            at: Utc.timestamp_opt(0, 0).unwrap(),
            author: crate::id::UserId(uuid::Uuid::from_u128(3)),
            role: Role::Staff,
            schema: 1,
            expected_state: None,
            action: Action::Start,
        }
    }

    /// Checks `has_repeated_id` on ops with the ids `ids` against a set.
    fn check_repeats(ids: &[u128]) {
        let ops: Vec<Op> = ids.iter().map(|&id| op(id)).collect();
        let refs: Vec<&Op> = ops.iter().collect();
        let distinct: BTreeSet<u128> = ids.iter().copied().collect();
        assert_eq!(
            has_repeated_id(&refs),
            distinct.len() < ids.len(),
            "{ids:?}"
        );
    }

    #[test]
    fn repeated_ids_are_found_in_short_and_long_cases() {
        check_repeats(&[]);
        check_repeats(&[1]);
        check_repeats(&[1, 2, 3]);
        check_repeats(&[1, 2, 1]);
        // Either side of the length where the check switches to sorting.
        for len in [16u128, 17, 40] {
            let unique: Vec<u128> = (0..len).collect();
            check_repeats(&unique);
            let mut repeated = unique.clone();
            repeated.push(len / 2);
            check_repeats(&repeated);
            let mut first_and_last = unique;
            first_and_last.push(0);
            check_repeats(&first_and_last);
        }
    }

    #[test]
    fn validity_changes_show_the_code_the_timeline_always_showed() {
        // The timeline once wrote the lower-cased variant name; stored
        // timelines and the app's labels rely on it staying the same.
        for validity in Validity::ALL {
            assert_eq!(validity.code(), format!("{validity:?}").to_lowercase());
        }
    }
}
