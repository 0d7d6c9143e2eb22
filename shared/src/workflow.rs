//! The workflow state machine: which action a role may take in which state,
//! for which kind of case, and where it leads.
//!
//! [`gate`] answers "may this role take this kind of action now?" without
//! a payload (the app uses it to show the allowed actions); [`check`] adds the
//! payload rules and returns the state the action leads to; [`check_new`]
//! adds the rules that only actions recorded since they were made must
//! meet. The fold calls [`check_op`] for every op, which picks between them
//! by the op's schema, so these guards are the only copy of the rules.

use crate::case::{
    ApprovalState, Assignee, Case, CaseKind, CaseState, Channel, ContactMethod, NoteKind,
    RegistrationPatch, Severity, Validity,
};
use crate::compensation::format_yuan;
use crate::id::UserId;
use crate::lang::{Coded, Lang};
use crate::op::{Action, ActionKind, Op, SCHEMA_VERSION};
use crate::role::{Role, User};
use crate::settings::Settings;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A broken business rule, with a stable code and messages in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RuleViolation {
    /// A second registration op for an existing case.
    DuplicateRegistration,
    /// The case is closed, withdrawn or voided.
    CaseNotOpen {
        /// Its state.
        state: CaseState,
    },
    /// The action does not apply in this state.
    NotAllowedInState {
        /// The state.
        state: CaseState,
    },
    /// The action does not apply to this kind of case.
    NotForKind {
        /// The kind.
        kind: CaseKind,
    },
    /// The role may not take this action.
    RoleNotAllowed {
        /// The role that tried.
        role: Role,
    },
    /// The compensation needs a higher role.
    ApprovalNeedsRole {
        /// The lowest role that may approve the amount.
        required: Role,
    },
    /// There is no compensation waiting for approval.
    NothingToApprove,
    /// The compensation was proposed again, with another amount, since
    /// the approver saw it.
    ApprovalAmountChanged {
        /// The amount the approver saw, in fen.
        seen: i64,
        /// The amount proposed now, in fen.
        proposed: i64,
    },
    /// A decision kept as a conflict is applied to a solution proposed
    /// after it was made: it decided an earlier proposal.
    ProposedSince,
    /// The compensation is not approved yet.
    ApprovalPending,
    /// A reason or text is required.
    TextRequired {
        /// The field.
        field: String,
    },
    /// An unfounded complaint is closed, not assigned nor worked on.
    UnfoundedComplaint,
    /// A valid complaint needs a corrective action to close.
    CorrectiveActionRequired,
    /// A valid complaint needs the corrective action's verification to close.
    VerificationRequired,
    /// Satisfaction is 1–5.
    SatisfactionOutOfRange,
    /// Compensation cannot be negative.
    NegativeCompensation,
    /// Extensions in total may not exceed the cap.
    ExtensionTooLong {
        /// The cap in working days.
        max: u32,
        /// The total that was asked for.
        requested: u32,
    },
    /// An extension of zero days.
    ExtensionZero,
    /// Escalation must go to a higher role.
    EscalationNotUpward,
    /// Escalating past the direct superior must say so.
    SkipLevelUndeclared,
    /// A resolution from this state must be on the spot.
    NotOnTheSpot,
    /// The conflict does not exist or is already resolved.
    UnknownConflict,
    /// A case voided as a duplicate of itself.
    DuplicateOfItself,
    /// A first responder named who already is.
    AlreadyFirstResponder,
    /// An edit by someone not of management that moves what the clocks
    /// count from in favour of whoever registered the case
    /// ([`in_own_favour`]), against the case as it stands then.
    InOwnFavour {
        /// `received_at` or `channel`.
        field: String,
    },
    /// A decision on a compensation by the person who proposed it.
    OwnProposal,
    /// A follow-up (回访) by another means than a call or a visit.
    FollowUpMethod,
    /// A missed callback (回访未果) by another means than a call or a
    /// visit: a message nobody answered is no try.
    CallbackMethod,
}

impl RuleViolation {
    /// The action's field this is about, as `crate::validation` names
    /// fields, for a form to show it beside that input; `None` when it is
    /// about the action as a whole.
    pub fn field(&self) -> Option<&str> {
        match self {
            RuleViolation::TextRequired { field } => Some(field),
            RuleViolation::CorrectiveActionRequired => Some("corrective_action"),
            RuleViolation::VerificationRequired => Some("verification"),
            RuleViolation::SatisfactionOutOfRange => Some("satisfaction"),
            RuleViolation::NegativeCompensation => Some("compensation_fen"),
            RuleViolation::ExtensionTooLong { .. } | RuleViolation::ExtensionZero => {
                Some("working_days")
            }
            RuleViolation::DuplicateOfItself => Some("duplicate_of"),
            RuleViolation::AlreadyFirstResponder => Some("to"),
            RuleViolation::InOwnFavour { field } => Some(field),
            RuleViolation::FollowUpMethod | RuleViolation::CallbackMethod => Some("method"),
            RuleViolation::EscalationNotUpward => Some("to_role"),
            RuleViolation::SkipLevelUndeclared => Some("skip_level"),
            RuleViolation::NotOnTheSpot => Some("on_the_spot"),
            _ => None,
        }
    }
}

impl Coded for RuleViolation {
    fn code(&self) -> &'static str {
        match self {
            RuleViolation::DuplicateRegistration => "workflow.duplicate_registration",
            RuleViolation::CaseNotOpen { .. } => "workflow.case_not_open",
            RuleViolation::NotAllowedInState { .. } => "workflow.not_allowed_in_state",
            RuleViolation::NotForKind { .. } => "workflow.not_for_kind",
            RuleViolation::RoleNotAllowed { .. } => "workflow.role_not_allowed",
            RuleViolation::ApprovalNeedsRole { .. } => "workflow.approval_needs_role",
            RuleViolation::NothingToApprove => "workflow.nothing_to_approve",
            RuleViolation::ApprovalAmountChanged { .. } => "workflow.approval_amount_changed",
            RuleViolation::ProposedSince => "workflow.proposed_since",
            RuleViolation::ApprovalPending => "workflow.approval_pending",
            RuleViolation::TextRequired { .. } => "workflow.text_required",
            RuleViolation::UnfoundedComplaint => "workflow.unfounded_complaint",
            RuleViolation::CorrectiveActionRequired => "workflow.corrective_action_required",
            RuleViolation::VerificationRequired => "workflow.verification_required",
            RuleViolation::SatisfactionOutOfRange => "workflow.satisfaction_out_of_range",
            RuleViolation::NegativeCompensation => "workflow.negative_compensation",
            RuleViolation::ExtensionTooLong { .. } => "workflow.extension_too_long",
            RuleViolation::ExtensionZero => "workflow.extension_zero",
            RuleViolation::EscalationNotUpward => "workflow.escalation_not_upward",
            RuleViolation::SkipLevelUndeclared => "workflow.skip_level_undeclared",
            RuleViolation::NotOnTheSpot => "workflow.not_on_the_spot",
            RuleViolation::UnknownConflict => "workflow.unknown_conflict",
            RuleViolation::DuplicateOfItself => "workflow.duplicate_of_itself",
            RuleViolation::AlreadyFirstResponder => "workflow.already_first_responder",
            RuleViolation::InOwnFavour { .. } => "workflow.clock_in_own_favour",
            RuleViolation::OwnProposal => "workflow.own_proposal",
            RuleViolation::FollowUpMethod => "workflow.follow_up_method",
            RuleViolation::CallbackMethod => "workflow.callback_method",
        }
    }

    fn message(&self, lang: Lang) -> String {
        match self {
            RuleViolation::DuplicateRegistration => lang
                .pick("该工单已登记过", "The case is already registered")
                .into(),
            RuleViolation::CaseNotOpen { state } => match lang {
                Lang::ZhCn => format!("工单{}，不能再操作", state.label(lang)),
                Lang::En => format!(
                    "The case is {}; no more actions",
                    state.label(lang).to_lowercase()
                ),
            },
            RuleViolation::NotAllowedInState { state } => match lang {
                Lang::ZhCn => format!("当前状态（{}）不允许此操作", state.label(lang)),
                Lang::En => format!(
                    "Not allowed while the case is {}",
                    state.label(lang).to_lowercase()
                ),
            },
            RuleViolation::NotForKind { kind } => match lang {
                Lang::ZhCn => format!("{}类工单没有此操作", kind.label(lang)),
                Lang::En => format!("{} cases have no such action", kind.label(lang)),
            },
            RuleViolation::RoleNotAllowed { role } => match lang {
                Lang::ZhCn => format!("{}无权进行此操作", role.label(lang)),
                Lang::En => format!("A {} may not do this", role.label(lang).to_lowercase()),
            },
            RuleViolation::ApprovalNeedsRole { required } => match lang {
                Lang::ZhCn => format!("该赔偿金额需由{}或更高级别审批", required.label(lang)),
                Lang::En => format!(
                    "This amount needs approval by a {} or higher",
                    required.label(lang).to_lowercase()
                ),
            },
            RuleViolation::NothingToApprove => lang
                .pick("没有待审批的赔偿", "No compensation awaits approval")
                .into(),
            RuleViolation::ProposedSince => lang
                .pick(
                    "这项审批针对的是之前的方案，方案已重新提出，请对新方案重新审批",
                    "This decision was on an earlier proposal; the solution was proposed again since, so decide on the new one",
                )
                .into(),
            RuleViolation::ApprovalPending => lang
                .pick("赔偿尚未审批", "The compensation is not approved yet")
                .into(),
            RuleViolation::ApprovalAmountChanged { seen, proposed } => {
                let (seen, proposed) = (format_yuan(*seen), format_yuan(*proposed));
                match lang {
                    Lang::ZhCn => format!(
                        "审批的赔偿金额（{seen}元）已被改为{proposed}元，请按新金额重新审批"
                    ),
                    Lang::En => format!(
                        "The compensation approved ({seen} CNY) was changed to {proposed} CNY; decide on the new amount"
                    ),
                }
            }
            RuleViolation::TextRequired { field } => match lang {
                Lang::ZhCn => format!("请填写{}", field_label(field, lang)),
                Lang::En => format!("Please fill in the {}", field_label(field, lang)),
            },
            RuleViolation::UnfoundedComplaint => lang
                .pick(
                    "不成立的投诉应说明后结案，不再派单、处理或审批赔偿",
                    "An unfounded complaint is closed with an explanation; it is not assigned, worked on or compensated",
                )
                .into(),
            RuleViolation::CorrectiveActionRequired => lang
                .pick(
                    "有效投诉结案须填写纠正预防措施",
                    "A valid complaint needs a corrective action to close",
                )
                .into(),
            RuleViolation::VerificationRequired => lang
                .pick(
                    "有效投诉结案须填写纠正预防措施的验证情况",
                    "A valid complaint needs the corrective action's verification to close",
                )
                .into(),
            RuleViolation::SatisfactionOutOfRange => lang
                .pick("满意度应为1到5", "Satisfaction must be 1 to 5")
                .into(),
            RuleViolation::NegativeCompensation => lang
                .pick("赔偿金额不能为负数", "Compensation cannot be negative")
                .into(),
            RuleViolation::ExtensionTooLong { max, requested } => match lang {
                Lang::ZhCn => format!("延期合计不得超过{max}个工作日（申请合计{requested}个）"),
                Lang::En => {
                    format!("Extensions may total at most {max} working days ({requested} asked)")
                }
            },
            RuleViolation::ExtensionZero => lang
                .pick(
                    "延期天数至少为1个工作日",
                    "Extend by at least one working day",
                )
                .into(),
            RuleViolation::EscalationNotUpward => lang
                .pick("只能向上级上报", "Escalate to a higher role only")
                .into(),
            RuleViolation::SkipLevelUndeclared => lang
                .pick(
                    "越级上报须注明直接上级无法联系",
                    "Skipping a level must be declared (superior unreachable)",
                )
                .into(),
            RuleViolation::NotOnTheSpot => lang
                .pick(
                    "此状态下只能按当场解决处理",
                    "From this state a case is resolved only as answered on the spot",
                )
                .into(),
            RuleViolation::UnknownConflict => lang
                .pick("没有该冲突或已处理", "No such open conflict")
                .into(),
            RuleViolation::DuplicateOfItself => lang
                .pick(
                    "重复的应是另一张工单的登记号",
                    "A duplicate repeats another case's registration number",
                )
                .into(),
            RuleViolation::AlreadyFirstResponder => lang
                .pick(
                    "该人员已是本工单的首问责任人",
                    "They already are the case's first responder",
                )
                .into(),
            RuleViolation::InOwnFavour { field } if field == "channel" => lang
                .pick(
                    "书面渠道有登记时限，登记人不能改为没有登记时限的渠道；如确需更改，请由管理人员更正",
                    "A written channel has a registration deadline: whoever registered the case may not change it to one without; management may",
                )
                .into(),
            RuleViolation::InOwnFavour { .. } => lang
                .pick(
                    "登记人只能把受理时间改早，不能改晚；如确需更改，请由管理人员更正",
                    "Whoever registered the case may move the time received only earlier; management may move it either way",
                )
                .into(),
            RuleViolation::OwnProposal => lang
                .pick(
                    "不能审批自己提出的赔偿方案，请由其他有审批权限的人审批",
                    "A compensation is decided by someone other than who proposed it",
                )
                .into(),
            RuleViolation::FollowUpMethod => lang
                .pick(
                    "回访须电话或上门进行",
                    "A follow-up is made by phone or in person",
                )
                .into(),
            RuleViolation::CallbackMethod => lang
                .pick(
                    "回访未果只记录电话或上门回访的尝试；短信、书面等不算回访",
                    "A missed callback is a call or a visit that reached nobody; a message or a letter is no callback",
                )
                .into(),
        }
    }
}

fn field_label(field: &str, lang: Lang) -> &'static str {
    match field {
        "reason" => lang.pick("原因", "reason"),
        "department" => lang.pick("责任部门", "department"),
        "name" => lang.pick("责任人", "responsible person"),
        "measures" => lang.pick("处理措施", "measures"),
        "result" => lang.pick("处理结果", "result"),
        "text" => lang.pick("内容", "text"),
        "plan" => lang.pick("整改计划", "improvement plan"),
        "answer" => lang.pick("答复内容", "answer"),
        "responsible" => lang.pick("方案责任人", "person responsible for the solution"),
        "planned_date" => lang.pick("计划完成日期", "planned completion date"),
        _ => lang.pick("必填项", "required field"),
    }
}

/// How many callbacks must miss the complainant, since the case was last
/// resolved, before it may close without one (回访未果): the custom of
/// three tries at different times, each at least [`CALLBACK_GAP`] after
/// the one before ([`Case::callback_tries`]).
pub const CALLBACK_ATTEMPTS: usize = 3;

/// The least time between two tries that count toward
/// [`CALLBACK_ATTEMPTS`].
pub const CALLBACK_GAP: chrono::Duration = chrono::Duration::hours(1);

/// Whether `role` may take `action` on a case of `kind` at all, whatever the state.
pub fn role_may(role: Role, action: ActionKind, kind: CaseKind) -> bool {
    use ActionKind as A;
    let field_worker = matches!(role, Role::Staff | Role::DepartmentHead) || role.is_management();
    match action {
        A::Register | A::Edit | A::Escalate | A::Attach | A::ResolveConflict => role.works_cases(),
        A::Note => role.works_cases() || role == Role::Quality,
        A::Assess | A::Reopen | A::Extend | A::Decide | A::PlanImprovement => role.is_management(),
        A::Assign | A::Start | A::Resolve | A::Feedback | A::Answer => field_worker,
        A::Propose => role == Role::DepartmentHead || role.is_management(),
        A::Approve => matches!(role, Role::RegionalManager | Role::DeputyGm | Role::Gm),
        A::FollowUp => matches!(role, Role::Staff | Role::Quality) || role.is_management(),
        A::CallbackMissed => role == Role::Staff || role.is_management(),
        A::Withdraw => role == Role::Staff || role.is_management(),
        // Management: a void takes a complaint out of every figure, so the
        // person whose figures they are does not decide it alone.
        A::Void | A::Restore => role.is_management(),
        // Management: the first responder answers for the case to the
        // complainant and to the figures, and hands it over to nobody
        // alone.
        A::ChangeResponder => role.is_management(),
        A::Close => {
            role.is_management()
                || (role == Role::Staff && matches!(kind, CaseKind::Repair | CaseKind::Inquiry))
        }
    }
}

/// Whether `patch` changes what a case's clocks count from: when it was
/// received, or how (a written channel has its own registration clock).
pub fn moves_clocks(patch: &RegistrationPatch) -> bool {
    patch.received_at.is_some() || patch.channel.is_some()
}

/// The op schema from which an edit of what the clocks count from is
/// held to [`may_move_clocks`] and to a receipt no later than the
/// recording: an edit recorded before keeps its meaning.
pub const CLOCK_FIELDS_SCHEMA: u32 = 4;

/// Who may correct when and how a case was received ([`moves_clocks`]):
/// its first responder, who typed them, and management. Whoever else
/// works the case is held to the deadlines those fields set, and may not
/// move their own.
pub fn may_move_clocks(first_responder: UserId, author: UserId, role: Role) -> bool {
    role.is_management() || first_responder == author
}

/// Whether `user` may give (派工) or pass on (转派) a case now assigned
/// to `assignee`, their role allowing assignments at all ([`role_may`]):
/// a department head, or any role the company shows a complainant's
/// phone only on the cases it handles ([`passes_on_only_own`]), only a
/// case given to no one yet, or one they handle (assigned to them or
/// their department,
/// [`personal_data::named`](crate::personal_data::named)). Handling a case
/// is what shows them the complainant's phone: one who could take any
/// case would see any phone, and another department's work is
/// management's to move.
pub fn may_assign(user: &User, assignee: Option<&Assignee>, settings: &Settings) -> bool {
    !passes_on_only_own(user.role, settings)
        || assignee.is_none_or(|a| crate::personal_data::named(user, a))
}

/// Whether `role` passes on only the cases it handles or no one has
/// ([`may_assign`]): a department head, and a role outside management
/// the company shows a complainant's phone only on the cases it handles.
/// Management moves another department's work whatever it is shown.
pub fn passes_on_only_own(role: Role, settings: &Settings) -> bool {
    role == Role::DepartmentHead
        || (!role.is_management()
            && settings.personal_data.get(role)
                == crate::personal_data::Visibility::PhoneWhenHandling)
}

/// Checks `original`, the op of the conflict `kept`, applied now to
/// `case` by a settlement of op schema `settling` (`resolve_conflict`
/// with apply), as [`check_op`] does, and the state it moves the case
/// to. From [`PROPOSAL_SCHEMA`], a decision on a compensation decides the
/// proposal it lost beside, however alike a later one: applied to one
/// proposed since (a refused proposal made again by someone whose own
/// limit is lower), it would decide what its author never saw.
pub fn check_applied(
    case: &Case,
    kept: &crate::case::Conflict,
    (original, settling): (&Op, u32),
    settings: &Settings,
) -> Result<Option<CaseState>, RuleViolation> {
    let proposed_now = case.solution.as_ref().map(|s| s.stamp.op);
    if settling >= PROPOSAL_SCHEMA
        && matches!(original.action, Action::Approve { .. })
        && proposed_now != kept.proposal
    {
        return Err(RuleViolation::ProposedSince);
    }
    check_op(case, original, settings)
}

/// Whether `user`, of `role`, may settle a conflict over an op of kind
/// `action` that `author` made on a case of `kind`: apply it after all
/// (`apply`) only someone whose role takes that action now, since the op
/// then acts; dismiss it also its author, who knows what was meant. A
/// staff member does not decide that a manager's void still stands, nor
/// that it no longer does, and a manager since made staff does not apply
/// their old void. Either only a role that settles conflicts at all
/// (head-office quality, whose spot-check may lose one, does not). (Whether
/// the settler's role may approve the amount of an approval is not asked
/// here.)
pub fn may_settle(
    user: UserId,
    role: Role,
    author: UserId,
    action: ActionKind,
    kind: CaseKind,
    apply: bool,
) -> bool {
    role_may(role, ActionKind::ResolveConflict, kind)
        && (role_may(role, action, kind) || (!apply && user == author))
}

/// The op schema from which the first responder corrects what the clocks
/// count from only against themselves ([`in_own_favour`]).
pub const OWN_CLOCKS_SCHEMA: u32 = 5;

/// Which of `patch`'s fields would move what the clocks count from in
/// favour of whoever registered the case, received at `received` by
/// `channel` as it stands: the registration clock holds the first
/// responder to account, and every clock counts from the receipt. They
/// may correct their typing against themselves (the receipt earlier, a
/// channel given a registration clock), and management either way: the
/// receipt no later, and a channel with a registration clock not changed
/// to one without.
pub fn in_own_favour(
    received: DateTime<Utc>,
    channel: Channel,
    patch: &RegistrationPatch,
) -> Option<&'static str> {
    if patch.received_at.is_some_and(|t| t > received) {
        Some("received_at")
    } else if channel.has_register_clock() && patch.channel.is_some_and(|c| !c.has_register_clock())
    {
        Some("channel")
    } else {
        None
    }
}

/// An edit by `role`, not of management, that moves what `case`'s clocks
/// count from in favour of whoever registered it ([`in_own_favour`]):
/// judged against the case as the fold has it when the edit comes, so
/// that two corrections made offline end the same whichever reaches the
/// server first. The server checks only who may move the clocks at all
/// ([`may_move_clocks`]).
fn own_clocks(case: &Case, role: Role, action: &Action) -> Result<(), RuleViolation> {
    if role.is_management() {
        return Ok(());
    }
    let Action::Edit(patch) = action else {
        return Ok(());
    };
    let r = &case.registration;
    match in_own_favour(r.received_at, r.channel, patch) {
        Some(field) => Err(RuleViolation::InOwnFavour {
            field: field.into(),
        }),
        None => Ok(()),
    }
}

/// May `role` take an action of kind `action` on a case of some kind? A
/// role for which this is false is never offered the action: the server
/// refuses such an op outright instead of keeping it as a violation.
pub fn role_may_ever(role: Role, action: ActionKind) -> bool {
    CaseKind::ALL
        .iter()
        .any(|&kind| role_may(role, action, kind))
}

/// May `role` take an action of kind `action` on `case` now? Checks role,
/// kind and state; not the payload. By the rules of the ops this build
/// writes ([`SCHEMA_VERSION`]).
pub fn gate(case: &Case, role: Role, action: ActionKind) -> Result<(), RuleViolation> {
    gate_in(case, role, action, SCHEMA_VERSION)
}

/// [`gate`] by the rules of op schema `schema` ([`check_op`]).
fn gate_in(case: &Case, role: Role, action: ActionKind, schema: u32) -> Result<(), RuleViolation> {
    use ActionKind as A;
    use CaseState as S;
    // Before schema 4 a case was assessed once, when registered, or late
    // after an answer on the spot.
    let reassess = schema >= REASSESS_SCHEMA;
    let kind = case.registration.kind;
    let state = case.state;
    if action == A::Register {
        return Err(RuleViolation::DuplicateRegistration);
    }
    if !role_may(role, action, kind) {
        return Err(RuleViolation::RoleNotAllowed { role });
    }
    // Spot-check follow-ups, conflict resolution and the late assessment
    // of a complaint answered on the spot are the only actions that reach
    // a closed case; `check` refines the first by payload, and the arm
    // below the last (a second assessment is not allowed in the state).
    let reaches_closed = matches!(action, A::FollowUp | A::ResolveConflict)
        || (action == A::Assess && kind == CaseKind::Complaint && state == S::Closed)
        || (action == A::Restore && state == S::Voided);
    if !state.is_open() && !reaches_closed {
        return Err(RuleViolation::CaseNotOpen { state });
    }
    let kinds_ok = match action {
        A::Assess | A::Start | A::Propose | A::Approve => kind.is_assessed(),
        A::Assign => kind != CaseKind::Suggestion,
        A::Resolve | A::Feedback | A::CallbackMissed => {
            matches!(kind, CaseKind::Complaint | CaseKind::Repair)
        }
        A::Decide | A::PlanImprovement => kind == CaseKind::Suggestion,
        A::Answer => kind == CaseKind::Inquiry,
        _ => true,
    };
    if !kinds_ok {
        return Err(RuleViolation::NotForKind { kind });
    }
    let unfounded = case.is_unfounded_complaint();
    // Before schema 9 only its assignment and its resolution asked.
    let unfounded_stops_work = unfounded && schema >= UNFOUNDED_SCHEMA;
    let approval_settled = case.solution.as_ref().is_none_or(|s| {
        matches!(
            s.approval,
            ApprovalState::NotNeeded | ApprovalState::Approved
        )
    });
    let in_state = |ok: &[S]| {
        if ok.contains(&state) {
            Ok(())
        } else {
            Err(RuleViolation::NotAllowedInState { state })
        }
    };
    match action {
        A::Register => Err(RuleViolation::DuplicateRegistration),
        A::Edit
        | A::Note
        | A::Attach
        | A::Escalate
        | A::ChangeResponder
        | A::Extend
        | A::Withdraw
        | A::Void => Ok(()),
        A::Restore => in_state(&[S::Voided]),
        // A complaint answered on the spot skipped its assessment; the
        // manager assesses it afterwards, so that its validity counts in
        // the valid-complaint rate (seed 003: a complaint on the spot is
        // valid or special too).
        // Not once reopened: the case is worked again, and an unfounded
        // one would have nowhere to go. Closed too: the complaint still
        // counts in its period's rate.
        A::Assess if case.awaits_late_assessment() => Ok(()),
        A::Assess if !reassess => in_state(&[S::Registered]),
        // Assessed again (重新评估) as the work finds more: a burst pipe
        // dispatched at once turns out urgent, a general complaint reaches
        // the press, the investigation proves it unfounded. Ops of older
        // schemas keep their rule ([`check_op`]).
        A::Assess if state.is_open() => Ok(()),
        A::Assess => Err(RuleViolation::CaseNotOpen { state }),
        A::Assign => {
            if kind == CaseKind::Complaint {
                if unfounded {
                    return Err(RuleViolation::UnfoundedComplaint);
                }
                in_state(&[S::Assessed, S::Assigned, S::InProgress, S::Reopened])
            } else {
                in_state(&[
                    S::Registered,
                    S::Assessed,
                    S::Assigned,
                    S::InProgress,
                    S::Reopened,
                ])
            }
        }
        // Found unfounded, even after it was assigned (重新评估), a
        // complaint is explained to the resident and closed: the
        // department is told to stop (the fold drops its clocks, the
        // inbox its item), and nothing started or proposed could ever be
        // resolved. Nor is a compensation proposed before decided: the
        // finding is that the company owes nothing, and an approval would
        // promise money on a case that only closes, while a refusal would
        // send it back to work that stopped. If it is owed after all,
        // management finds the complaint valid again, and the proposal
        // waits for its decision as before.
        A::Start | A::Propose | A::Approve if unfounded_stops_work => {
            Err(RuleViolation::UnfoundedComplaint)
        }
        A::Start => in_state(&[S::Assigned, S::Reopened]),
        A::Propose => in_state(&[S::InProgress, S::SolutionProposed]),
        A::Approve => {
            in_state(&[S::SolutionProposed])?;
            match &case.solution {
                Some(s) if s.approval == ApprovalState::Pending => Ok(()),
                _ => Err(RuleViolation::NothingToApprove),
            }
        }
        A::Resolve => {
            let from_work: &[S] = if kind == CaseKind::Repair {
                &[
                    S::Registered,
                    S::Assessed,
                    S::InProgress,
                    S::SolutionProposed,
                ]
            } else {
                &[S::Registered, S::Assessed, S::SolutionProposed]
            };
            in_state(from_work)?;
            if state == S::SolutionProposed && !approval_settled {
                return Err(RuleViolation::ApprovalPending);
            }
            if unfounded {
                return Err(RuleViolation::UnfoundedComplaint);
            }
            Ok(())
        }
        A::Feedback => in_state(&[S::Resolved, S::FollowedUp]),
        A::FollowUp => in_state(&[S::Resolved, S::FollowedUp, S::Closed]),
        // Nobody calls back a complainant who left no phone.
        A::CallbackMissed if !case.registration.complainant.reachable() => {
            Err(RuleViolation::NotAllowedInState { state })
        }
        // Followed up meanwhile by a colleague who got through, a try made
        // offline is still on record, and moves nothing.
        A::CallbackMissed => in_state(&[S::Resolved, S::FollowedUp]),
        A::Reopen => in_state(&[S::Resolved, S::FollowedUp]),
        A::Close => {
            match kind {
                // An unfounded complaint closes with its explanation, from
                // wherever it is: one answered on the spot may be found
                // unfounded afterwards, and then reopened by a follow-up.
                CaseKind::Complaint if unfounded => Ok(()),
                // Nobody can call back an anonymous complainant who left no
                // phone, so their case closes once resolved.
                CaseKind::Complaint | CaseKind::Repair
                    if !case.registration.complainant.reachable() =>
                {
                    in_state(&[S::Resolved, S::FollowedUp])
                }
                // Nor one who cannot be reached: after so many tries the
                // case closes without the callback, which stays missing
                // from the follow-up rate.
                CaseKind::Complaint | CaseKind::Repair
                    if case.callback_tries(CALLBACK_GAP) >= CALLBACK_ATTEMPTS =>
                {
                    in_state(&[S::Resolved, S::FollowedUp])
                }
                CaseKind::Complaint | CaseKind::Repair => in_state(&[S::FollowedUp]),
                CaseKind::Suggestion | CaseKind::Inquiry => in_state(&[S::Resolved, S::FollowedUp]),
            }
        }
        // A reopened suggestion is decided again (二次处理).
        A::Decide => in_state(&[S::Registered, S::Reopened]),
        A::PlanImprovement => {
            in_state(&[S::InProgress])?;
            match &case.suggestion {
                Some(s) if s.accepted => Ok(()),
                _ => Err(RuleViolation::NotAllowedInState { state }),
            }
        }
        // A reopened inquiry is answered again by whoever has it: an
        // inquiry is never started, so before schema 9 only a new
        // assignment brought it back to an answer.
        A::Answer if schema >= REANSWER_SCHEMA => {
            in_state(&[S::Registered, S::Assigned, S::InProgress, S::Reopened])
        }
        A::Answer => in_state(&[S::Registered, S::Assigned, S::InProgress]),
        A::ResolveConflict => {
            if case.open_conflicts().next().is_some() {
                Ok(())
            } else {
                Err(RuleViolation::UnknownConflict)
            }
        }
    }
}

/// The compensation limits that decide who approves `case`'s solution:
/// those in force when it was proposed (the case names the approver), so
/// a change of the limits since leaves a pending approval with them; `at`
/// when there is no solution.
pub fn approval_limits<'a>(
    case: &Case,
    settings: &'a Settings,
    at: DateTime<Utc>,
) -> &'a crate::compensation::CompensationLimits {
    let proposed_at = case.solution.as_ref().map_or(at, |s| s.stamp.at);
    settings.rules_at(proposed_at).compensation
}

/// When a clock of `case` starting at `start` took its rule: when it
/// started, or when the case was recorded if that was later (a case
/// received before a change of the rules and recorded after it is promised
/// the new ones, as the person recording it is told).
pub fn clock_rules_time(case: &Case, start: DateTime<Utc>) -> DateTime<Utc> {
    start.max(case.registered.at)
}

/// DOMAIN: a valid complaint closes with its corrective or preventive
/// action and the verification of that action.
fn closure_of_a_valid_complaint(
    corrective_action: &str,
    verification: &str,
) -> Result<(), RuleViolation> {
    if corrective_action.trim().is_empty() {
        return Err(RuleViolation::CorrectiveActionRequired);
    }
    if verification.trim().is_empty() {
        return Err(RuleViolation::VerificationRequired);
    }
    Ok(())
}

/// The first op schema whose ops are folded with the closure rule of
/// [`check_new`]. Ops of an older schema were recorded before its rules,
/// by builds that did not know them, and keep their meaning under
/// [`check`].
pub const CHECK_NEW_SCHEMA: u32 = 2;

/// The first op schema whose ops are folded with [`quality_limits`] as
/// well.
pub const QUALITY_LIMITS_SCHEMA: u32 = 3;

/// The op schema from which a case may be assessed again in any open
/// state (see [`gate`]).
pub const REASSESS_SCHEMA: u32 = 4;

/// The op schema from which [`duties`] holds as well.
pub const DUTIES_SCHEMA: u32 = 7;

/// The op schema from which a missed callback is a call or a visit too
/// ([`callback_tries`]).
pub const CALLBACK_SCHEMA: u32 = 8;

/// The op schema from which an unfounded complaint is not started, given
/// a solution nor its compensation decided (see [`gate`]), as it was
/// already not assigned nor resolved.
pub const UNFOUNDED_SCHEMA: u32 = 9;

/// The op schema from which a reopened inquiry is answered again (see
/// [`gate`]).
pub const REANSWER_SCHEMA: u32 = 9;

/// The op schema from which a second call of the resident (回访) made by
/// someone who saw the case resolved, after a colleague's call was
/// taken, is taken as a call in 已回访 is (`fold`), not kept as a
/// conflict: one unsatisfied reopens the case.
pub const SECOND_CALL_SCHEMA: u32 = 10;

/// The op schema from which a settlement (`resolve_conflict`) applies a
/// decision on a compensation only to the proposal it lost beside
/// ([`check_applied`]).
pub const PROPOSAL_SCHEMA: u32 = 10;

/// The op schema from which an approval must name the amount its author
/// saw (`Action::Approve::compensation_fen`; every build of it does):
/// one without would decide whatever is proposed when it arrives.
pub const AMOUNT_SEEN_SCHEMA: u32 = 9;

/// Checks `op` against `case` by the rules it was recorded under:
/// [`check_new`] from [`QUALITY_LIMITS_SCHEMA`] on, its closure rule
/// alone from [`CHECK_NEW_SCHEMA`], [`check`] before; and [`gate`] as it
/// stood then ([`REASSESS_SCHEMA`], [`UNFOUNDED_SCHEMA`],
/// [`REANSWER_SCHEMA`]). The op's schema is part of the op (and of its
/// hash), so every fold of the same ops, on any device or server, picks
/// the same rules.
pub fn check_op(
    case: &Case,
    op: &Op,
    settings: &Settings,
) -> Result<Option<CaseState>, RuleViolation> {
    let (role, action, at, schema) = (op.role, &op.action, op.at, op.schema);
    if schema >= OWN_CLOCKS_SCHEMA {
        own_clocks(case, role, action)?;
    }
    let target = if schema >= QUALITY_LIMITS_SCHEMA {
        quality_limits(role, action)?;
        check_closure(case, role, action, settings, at, schema)
    } else if schema >= CHECK_NEW_SCHEMA {
        check_closure(case, role, action, settings, at, schema)
    } else {
        check_in(case, role, action, settings, at, schema)
    }?;
    if schema >= DUTIES_SCHEMA {
        duties(case, op.author, role, action, settings, at)?;
    }
    if schema >= CALLBACK_SCHEMA {
        callback_tries(action)?;
    }
    Ok(target)
}

/// A missed callback (回访未果) is a call or a visit that reached nobody,
/// as a follow-up is one that reached them (DOMAIN: "by phone or
/// visit"): the tries let a case close with its callback owed
/// ([`crate::case::Case::callback_tries`]), and three text messages an
/// hour apart are no attempt to hear the resident.
fn callback_tries(action: &Action) -> Result<(), RuleViolation> {
    match action {
        Action::CallbackMissed { method, .. }
            if !matches!(method, ContactMethod::Phone | ContactMethod::Visit) =>
        {
            Err(RuleViolation::CallbackMethod)
        }
        _ => Ok(()),
    }
}

/// What the domain asks of an act besides its state and its role (from
/// [`DUTIES_SCHEMA`]), judged after them:
/// - a compensation is decided by someone other than who proposed it,
///   or a regional manager could propose 1,000 CNY and approve it; except
///   by the general manager, above whom nobody decides, so that what they
///   propose is not left with no approver;
/// - and by the limits in force when it is decided as well as those of
///   the proposal ([`approval_limits`]): a limit lowered while it waited
///   binds it;
/// - a solution names its responsible person and planned date (DOMAIN:
///   "measures, responsible person, planned date, compensation amount");
///   without the date, nobody is reminded of the promise;
/// - a follow-up (回访) is a call or a visit (DOMAIN: "by phone or
///   visit"), not a message nobody may have read.
fn duties(
    case: &Case,
    author: UserId,
    role: Role,
    action: &Action,
    settings: &Settings,
    at: DateTime<Utc>,
) -> Result<(), RuleViolation> {
    match action {
        Action::Approve { .. } => {
            let Some(solution) = &case.solution else {
                return Ok(());
            };
            if own_proposal(case, author, role) {
                return Err(RuleViolation::OwnProposal);
            }
            let now = settings.rules_at(at).compensation;
            if !now.may_approve(role, solution.compensation_fen) {
                return Err(RuleViolation::ApprovalNeedsRole {
                    required: now.required_role(solution.compensation_fen),
                });
            }
            Ok(())
        }
        Action::Propose {
            responsible,
            planned_date,
            ..
        } => {
            if responsible.trim().is_empty() {
                return Err(RuleViolation::TextRequired {
                    field: "responsible".into(),
                });
            }
            if planned_date.is_none() {
                return Err(RuleViolation::TextRequired {
                    field: "planned_date".into(),
                });
            }
            Ok(())
        }
        Action::FollowUp { method, .. } => {
            if matches!(method, ContactMethod::Phone | ContactMethod::Visit) {
                Ok(())
            } else {
                Err(RuleViolation::FollowUpMethod)
            }
        }
        _ => Ok(()),
    }
}

/// Whether `user`, of `role`, may decide on `case`'s pending compensation
/// at `at` ([`duties`]): not its proposer, and of a role that both the
/// limits of the proposal and those of `at` allow for its amount. The
/// approval screens and the inbox offer it to nobody else. Answers the
/// lowest role that may, when the user may.
pub fn may_decide(
    case: &Case,
    user: UserId,
    role: Role,
    settings: &Settings,
    at: DateTime<Utc>,
) -> Option<Role> {
    // Nobody decides on the compensation of a complaint found unfounded
    // (`gate`): it would wait in an inbox for a decision that is refused.
    if case.is_unfounded_complaint() {
        return None;
    }
    let solution = case.solution.as_ref()?;
    if own_proposal(case, user, role) {
        return None;
    }
    let amount = solution.compensation_fen;
    let then = approval_limits(case, settings, at);
    let today = settings.rules_at(at).compensation;
    if !then.may_approve(role, amount) || !today.may_approve(role, amount) {
        return None;
    }
    // The higher of the two: the one the other allows too.
    Some(if then.may_approve(today.required_role(amount), amount) {
        today.required_role(amount)
    } else {
        then.required_role(amount)
    })
}

/// Whether `user`, of `role`, proposed `case`'s solution and so may not
/// decide on it ([`duties`]); the general manager may, nobody being above.
fn own_proposal(case: &Case, user: UserId, role: Role) -> bool {
    role != Role::Gm && case.solution.as_ref().is_some_and(|s| s.stamp.by == user)
}

/// Whether `role` records follow-up calls only as spot-checks (抽查回访):
/// head-office quality, which audits the callbacks and does not make them.
pub fn spot_checks_only(role: Role) -> bool {
    role == Role::Quality
}

/// The kinds of note `role` may add. Head-office quality reads, audits
/// and spot-checks; it does not work a case, so its notes are general
/// notes and inspection items: a contact, an on-site visit or a cause
/// analysis would meet a clock (`fold`) that nobody in the field met.
pub fn note_kinds(role: Role) -> &'static [NoteKind] {
    if role == Role::Quality {
        &[NoteKind::General, NoteKind::Inspection]
    } else {
        &NoteKind::ALL
    }
}

/// What head-office quality may not record of what it may take
/// ([`spot_checks_only`], [`note_kinds`]): a regular callback would move
/// the case and meet its follow-up clock, and a field note a field clock.
pub fn quality_limits(role: Role, action: &Action) -> Result<(), RuleViolation> {
    let allowed = match action {
        Action::FollowUp { spot_check, .. } => *spot_check || !spot_checks_only(role),
        Action::Note { note_kind, .. } => note_kinds(role).contains(note_kind),
        _ => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(RuleViolation::RoleNotAllowed { role })
    }
}

/// [`check`] for an action recorded now, with what only new actions must
/// meet: head-office quality records spot-checks and no field notes
/// ([`quality_limits`], from schema 3), and a complaint closed before its
/// assessment (answered on the spot) may be found valid afterwards, so it
/// closes as a valid one does (from schema 2); [`duties`] (from
/// schema 7), for which the act's `author` counts; and [`callback_tries`]
/// (from schema 8). Ops recorded before these rules keep their meaning;
/// see [`check_op`].
pub fn check_new(
    case: &Case,
    author: UserId,
    role: Role,
    action: &Action,
    settings: &Settings,
    at: DateTime<Utc>,
) -> Result<Option<CaseState>, RuleViolation> {
    own_clocks(case, role, action)?;
    quality_limits(role, action)?;
    let target = check_closure(case, role, action, settings, at, SCHEMA_VERSION)?;
    duties(case, author, role, action, settings, at)?;
    callback_tries(action)?;
    Ok(target)
}

/// [`check`] with the closure rule of schema 2 ([`check_new`]).
fn check_closure(
    case: &Case,
    role: Role,
    action: &Action,
    settings: &Settings,
    at: DateTime<Utc>,
    schema: u32,
) -> Result<Option<CaseState>, RuleViolation> {
    let target = check_in(case, role, action, settings, at, schema)?;
    if let Action::Close {
        corrective_action,
        verification,
    } = action
        && case.awaits_late_assessment()
    {
        closure_of_a_valid_complaint(corrective_action, verification)?;
    }
    Ok(target)
}

/// Checks `action` by `role` at `at` against `case` and returns the state
/// it leads to (`None` for actions that do not move the workflow), under
/// the rules of `settings` in force at `at` (`settings/rules.rs`).
pub fn check(
    case: &Case,
    role: Role,
    action: &Action,
    settings: &Settings,
    at: DateTime<Utc>,
) -> Result<Option<CaseState>, RuleViolation> {
    check_in(case, role, action, settings, at, SCHEMA_VERSION)
}

/// [`check`], with [`gate`] by the rules of op schema `schema`
/// ([`check_op`]).
fn check_in(
    case: &Case,
    role: Role,
    action: &Action,
    settings: &Settings,
    at: DateTime<Utc>,
    schema: u32,
) -> Result<Option<CaseState>, RuleViolation> {
    use CaseState as S;
    let rules = settings.rules_at(at);
    gate_in(case, role, action.kind(), schema)?;
    let need = |text: &str, field: &str| {
        if text.trim().is_empty() {
            Err(RuleViolation::TextRequired {
                field: field.into(),
            })
        } else {
            Ok(())
        }
    };
    let state = case.state;
    match action {
        Action::Register(_) => Err(RuleViolation::DuplicateRegistration),
        Action::Edit(_) | Action::Attach { .. } => Ok(None),
        Action::Note { text, .. } => need(text, "text").map(|_| None),
        Action::Assess {
            validity, reason, ..
        } => {
            if *validity == Validity::Unfounded {
                need(reason, "reason")?;
            }
            // A valid complaint is closed with its corrective action and
            // their verification: one closed before its assessment without
            // them is not found valid afterwards around that rule.
            if *validity == Validity::Valid
                && let Some(c) = &case.closure
            {
                closure_of_a_valid_complaint(&c.corrective_action, &c.verification)?;
            }
            // Assessed afterwards, a case stays where it is.
            Ok((state == S::Registered).then_some(S::Assessed))
        }
        Action::Assign {
            department, name, ..
        } => {
            need(department, "department")?;
            need(name, "name")?;
            Ok(Some(S::Assigned))
        }
        Action::Start => Ok(Some(S::InProgress)),
        Action::Propose {
            measures,
            compensation_fen,
            ..
        } => {
            need(measures, "measures")?;
            if *compensation_fen < 0 {
                return Err(RuleViolation::NegativeCompensation);
            }
            Ok(Some(S::SolutionProposed))
        }
        Action::Approve {
            approved,
            compensation_fen: seen,
            ..
        } => {
            let amount = case.solution.as_ref().map_or(0, |s| s.compensation_fen);
            if let Some(seen) = *seen
                && seen != amount
            {
                return Err(RuleViolation::ApprovalAmountChanged {
                    seen,
                    proposed: amount,
                });
            }
            let limits = approval_limits(case, settings, at);
            if !limits.may_approve(role, amount) {
                return Err(RuleViolation::ApprovalNeedsRole {
                    required: limits.required_role(amount),
                });
            }
            Ok(Some(if *approved {
                S::SolutionProposed
            } else {
                S::InProgress
            }))
        }
        Action::Resolve {
            result,
            on_the_spot,
            ..
        } => {
            need(result, "result")?;
            let from_intake = matches!(state, S::Registered | S::Assessed);
            if from_intake && !on_the_spot {
                return Err(RuleViolation::NotOnTheSpot);
            }
            Ok(Some(S::Resolved))
        }
        Action::FollowUp {
            satisfaction,
            spot_check,
            ratings,
            ..
        } => {
            let out_of_range = |s: &u8| !(1..=5).contains(s);
            if out_of_range(satisfaction)
                || ratings.is_some_and(|r| r.scores().iter().any(out_of_range))
            {
                return Err(RuleViolation::SatisfactionOutOfRange);
            }
            // A spot-check call records the resident's view without moving
            // the case: it may come long after the case was closed.
            if *spot_check {
                return if role.draws_spot_checks() {
                    Ok(None)
                } else {
                    Err(RuleViolation::RoleNotAllowed { role })
                };
            }
            if state == S::Closed {
                return Err(RuleViolation::CaseNotOpen { state });
            }
            if *satisfaction <= rules.reopen_max {
                Ok(Some(S::Reopened))
            } else {
                Ok(Some(S::FollowedUp))
            }
        }
        Action::Feedback { .. } | Action::CallbackMissed { .. } => Ok(None),
        Action::Reopen { reason } => need(reason, "reason").map(|_| Some(S::Reopened)),
        Action::Escalate {
            to_role,
            skip_level,
            reason,
        } => {
            need(reason, "reason")?;
            let major = case
                .assessment
                .as_ref()
                .is_some_and(|a| a.severity == Severity::Major);
            check_escalation(role, *to_role, *skip_level, major).map(|_| None)
        }
        Action::Extend {
            working_days,
            reason,
        } => {
            need(reason, "reason")?;
            if *working_days == 0 {
                return Err(RuleViolation::ExtensionZero);
            }
            let severity = case.assessment.as_ref().map(|a| a.severity);
            // The cap keeps the solution clock within the special-case
            // limit from receipt, so it takes the rules that clock started
            // under, as `fold` does.
            let max = settings
                .rules_at(clock_rules_time(case, case.registration.received_at))
                .deadlines
                .max_extension_working_days(severity);
            let requested = case.extended_working_days().saturating_add(*working_days);
            if requested > max {
                return Err(RuleViolation::ExtensionTooLong { max, requested });
            }
            Ok(None)
        }
        Action::ChangeResponder { to, reason } => {
            need(reason, "reason")?;
            if *to == case.first_responder() {
                return Err(RuleViolation::AlreadyFirstResponder);
            }
            Ok(None)
        }
        Action::Withdraw { reason } => need(reason, "reason").map(|_| Some(S::Withdrawn)),
        Action::Void {
            duplicate_of,
            reason,
        } => {
            need(reason, "reason")?;
            if duplicate_of.as_ref() == Some(&case.registration.reg_no) {
                return Err(RuleViolation::DuplicateOfItself);
            }
            Ok(Some(S::Voided))
        }
        Action::Restore { reason } => {
            need(reason, "reason")?;
            Ok(case.voiding.as_ref().map(|v| v.from))
        }
        Action::Close {
            corrective_action,
            verification,
        } => {
            if case.is_valid_complaint() {
                closure_of_a_valid_complaint(corrective_action, verification)?;
            }
            Ok(Some(S::Closed))
        }
        Action::Decide { accepted, reason } => {
            if !accepted {
                need(reason, "reason")?;
            }
            Ok(Some(if *accepted {
                S::InProgress
            } else {
                S::Resolved
            }))
        }
        Action::PlanImprovement { plan, .. } => need(plan, "plan").map(|_| Some(S::Resolved)),
        Action::Answer { answer, .. } => need(answer, "answer").map(|_| Some(S::Resolved)),
        Action::ResolveConflict { conflict_op, .. } => {
            if case.open_conflicts().any(|c| c.op == *conflict_op) {
                Ok(None)
            } else {
                Err(RuleViolation::UnknownConflict)
            }
        }
    }
}

/// The action kinds `role` may take on `case` now, for the app's buttons.
pub fn allowed_actions(case: &Case, role: Role) -> Vec<ActionKind> {
    ActionKind::ALL
        .into_iter()
        .filter(|a| gate(case, role, *a).is_ok())
        // A closed case's follow-up can only be a spot-check call, which
        // only the roles that draw them make (`check`).
        .filter(|a| {
            *a != ActionKind::FollowUp
                || case.state != CaseState::Closed
                || role.draws_spot_checks()
        })
        .collect()
}

/// The escalation ladder: each role's direct superior.
pub fn superior(role: Role) -> Option<Role> {
    match role {
        Role::Staff | Role::DepartmentHead => Some(Role::Manager),
        Role::Manager => Some(Role::RegionalManager),
        Role::RegionalManager => Some(Role::DeputyGm),
        Role::DeputyGm => Some(Role::Gm),
        Role::Gm | Role::Quality | Role::Admin => None,
    }
}

/// The roles `from` may escalate to ([`check_escalation`]): every one up
/// its ladder, nearest first (above the nearest with the skip declared,
/// or for a major case straight to the deputy or general manager), and
/// head-office quality. What the escalation form offers.
pub fn escalation_targets(from: Role) -> Vec<Role> {
    let mut targets = Vec::new();
    let mut cur = superior(from);
    while let Some(r) = cur {
        targets.push(r);
        cur = superior(r);
    }
    targets.push(Role::Quality);
    targets
}

fn check_escalation(
    from: Role,
    to: Role,
    skip_level: bool,
    major: bool,
) -> Result<(), RuleViolation> {
    // Head-office quality may always be informed directly.
    if to == Role::Quality {
        return Ok(());
    }
    // A major case goes straight to the branch's deputy or the general
    // manager (002: 遇到重大质量事件…可以直接向分公司副总经理或总经理汇报):
    // no skip to declare, the superior need not be unreachable.
    let straight_up = major && matches!(to, Role::DeputyGm | Role::Gm);
    match escalation_targets(from).iter().position(|r| *r == to) {
        None => Err(RuleViolation::EscalationNotUpward),
        Some(0) => Ok(()),
        Some(_) if skip_level || straight_up => Ok(()),
        Some(_) => Err(RuleViolation::SkipLevelUndeclared),
    }
}
