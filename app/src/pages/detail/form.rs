//! The typed state of the action forms ([`ActionFields`]) and reading it
//! into an action ([`build_action`]), with the problems a form can have.

use crate::i18n;
use crate::state::AppCtx;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::case::{Case, CaseState, ContactMethod, NoteKind, Ratings, Severity, Validity};
use shared::id::UserId;
use shared::lang::{Coded, Lang};
use shared::op::{Action, ActionKind};
use shared::role::Role;
use shared::validation::{FieldError, ValidationError};
use shared::workflow::{RuleViolation, superior};
use std::collections::BTreeMap;

/// The inputs of the action forms, one signal each; a form shows the few
/// its action needs. Choices hold the option's code, as the `<select>`
/// gives it, and typed text stays as typed until [`build_action`] reads it.
#[derive(Clone, Copy)]
pub(super) struct ActionFields {
    pub(super) severity: RwSignal<String>,
    pub(super) urgent: RwSignal<bool>,
    pub(super) validity: RwSignal<String>,
    pub(super) reason: RwSignal<String>,
    pub(super) respondent: RwSignal<String>,
    pub(super) respondent_department: RwSignal<String>,
    pub(super) department: RwSignal<String>,
    pub(super) user: RwSignal<String>,
    pub(super) name: RwSignal<String>,
    pub(super) note: RwSignal<String>,
    pub(super) note_kind: RwSignal<String>,
    pub(super) text: RwSignal<String>,
    pub(super) measures: RwSignal<String>,
    pub(super) responsible: RwSignal<String>,
    pub(super) planned_date: RwSignal<String>,
    pub(super) yuan: RwSignal<String>,
    pub(super) approved: RwSignal<String>,
    pub(super) comment: RwSignal<String>,
    pub(super) result: RwSignal<String>,
    pub(super) method: RwSignal<String>,
    pub(super) on_the_spot: RwSignal<bool>,
    pub(super) satisfaction: RwSignal<String>,
    pub(super) spot_check: RwSignal<bool>,
    pub(super) rating_result: RwSignal<String>,
    pub(super) rating_attitude: RwSignal<String>,
    pub(super) rating_timeliness: RwSignal<String>,
    pub(super) to_role: RwSignal<String>,
    pub(super) skip_level: RwSignal<bool>,
    pub(super) days: RwSignal<String>,
    pub(super) corrective: RwSignal<String>,
    pub(super) verification: RwSignal<String>,
    pub(super) accepted: RwSignal<String>,
    pub(super) plan: RwSignal<String>,
    pub(super) publish_on: RwSignal<String>,
    pub(super) answer: RwSignal<String>,
    pub(super) duplicate_of: RwSignal<String>,
    /// The op of the assessment a second one started from (重新评估), as
    /// the form was filled with it (empty: none yet; [`UNSEEN`]: not
    /// known, a draft kept by an older build): no input, kept with the
    /// draft.
    pub(super) assessment_seen: RwSignal<String>,
    /// What that assessment filled the form with, so that a colleague's
    /// assessment arriving meanwhile replaces only what was not changed
    /// here (`actions::rebase_assessment`); empty when not known. No
    /// input, kept with the draft.
    pub(super) assessment_base: RwSignal<String>,
    /// The compensation, in fen, the approval form was opened on: the
    /// decision is on it, and a proposal changed meanwhile is refused
    /// (`RuleViolation::ApprovalAmountChanged`) rather than decided
    /// unseen. Empty when not known (a draft kept by an older build). No
    /// input, kept with the draft.
    pub(super) approval_seen: RwSignal<String>,
    /// The code of the state the case was in when the form was opened (or
    /// its draft typed): a step synced in since moves the case on, and
    /// the action is said to be on another state before it is recorded
    /// (`actions::moved_since`). Empty when not known (a draft kept by an
    /// older build). No input, kept with the draft.
    pub(super) state_seen: RwSignal<String>,
    /// What the [`CHOICES`] held when the form was opened (empty: not
    /// recorded): one changed since makes the form a draft.
    opened: StoredValue<BTreeMap<String, Typed>>,
}

impl ActionFields {
    /// The inputs with their defaults for `role` (an escalation goes to the
    /// role's superior unless changed).
    pub(super) fn new(role: Role) -> ActionFields {
        ActionFields {
            severity: RwSignal::new("general".into()),
            urgent: RwSignal::new(false),
            validity: RwSignal::new("valid".into()),
            reason: RwSignal::new(String::new()),
            respondent: RwSignal::new(String::new()),
            respondent_department: RwSignal::new(String::new()),
            department: RwSignal::new(String::new()),
            user: RwSignal::new(String::new()),
            name: RwSignal::new(String::new()),
            note: RwSignal::new(String::new()),
            note_kind: RwSignal::new("general".into()),
            text: RwSignal::new(String::new()),
            measures: RwSignal::new(String::new()),
            responsible: RwSignal::new(String::new()),
            planned_date: RwSignal::new(String::new()),
            yuan: RwSignal::new(String::new()),
            approved: RwSignal::new("yes".into()),
            comment: RwSignal::new(String::new()),
            result: RwSignal::new(String::new()),
            method: RwSignal::new("phone".into()),
            on_the_spot: RwSignal::new(false),
            satisfaction: RwSignal::new(String::new()),
            spot_check: RwSignal::new(false),
            rating_result: RwSignal::new(String::new()),
            rating_attitude: RwSignal::new(String::new()),
            rating_timeliness: RwSignal::new(String::new()),
            to_role: RwSignal::new(superior(role).unwrap_or(Role::Quality).code().into()),
            skip_level: RwSignal::new(false),
            days: RwSignal::new("1".into()),
            corrective: RwSignal::new(String::new()),
            verification: RwSignal::new(String::new()),
            accepted: RwSignal::new("yes".into()),
            plan: RwSignal::new(String::new()),
            publish_on: RwSignal::new(String::new()),
            answer: RwSignal::new(String::new()),
            duplicate_of: RwSignal::new(String::new()),
            assessment_seen: RwSignal::new(UNSEEN.into()),
            assessment_base: RwSignal::new(String::new()),
            approval_seen: RwSignal::new(String::new()),
            state_seen: RwSignal::new(String::new()),
            opened: StoredValue::new(BTreeMap::new()),
        }
    }

    /// Records what the choices of `fresh` hold, a form as it opens (its
    /// defaults, and what the case filled in), against which
    /// [`ActionFields::typed`] finds one changed.
    pub(super) fn opened_as(&self, fresh: &ActionFields) {
        let opened = untrack(|| fresh.choices());
        self.opened.set_value(opened);
    }

    /// What the [`CHOICES`] hold.
    fn choices(&self) -> BTreeMap<String, Typed> {
        self.inputs()
            .into_iter()
            .filter(|(name, _)| CHOICES.contains(name))
            .map(|(name, input)| (name.to_string(), input.typed()))
            .collect()
    }
}

/// [`ActionFields::assessment_seen`] of a form not filled from a case's
/// assessment.
pub(super) const UNSEEN: &str = "?";

/// The names of the inputs, as in `data-testid="in-{name}"`: a problem
/// `shared::validation` finds with one of them is shown beside it.
pub(super) const INPUTS: [&str; 36] = [
    "severity",
    "urgent",
    "validity",
    "reason",
    "respondent",
    "respondent_department",
    "department",
    "user",
    "name",
    "note",
    "note_kind",
    "text",
    "measures",
    "responsible",
    "planned_date",
    "yuan",
    "approved",
    "comment",
    "result",
    "method",
    "on_the_spot",
    "satisfaction",
    "spot_check",
    "rating_result",
    "rating_attitude",
    "rating_timeliness",
    "to_role",
    "skip_level",
    "days",
    "corrective",
    "verification",
    "accepted",
    "plan",
    "publish_on",
    "answer",
    "duplicate_of",
];

/// Whether `case` is still at intake, where only an answer on the spot
/// resolves it (`workflow::check`): the form shows the box ticked and
/// fixed.
pub(super) fn resolves_on_the_spot(case: &Case) -> bool {
    matches!(case.state, CaseState::Registered | CaseState::Assessed)
}

/// Compensation as typed; an empty field is no compensation.
pub(super) fn yuan_or_none(input: &str) -> Option<i64> {
    if input.trim().is_empty() {
        Some(0)
    } else {
        shared::compensation::parse_yuan(input)
    }
}

/// A problem shown beside an action form's input.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum FieldProblem {
    /// A bound from `shared::validation` (too long, out of range…).
    Bound(ValidationError),
    /// The input cannot be read as its type (a date, an amount…).
    Unreadable(Words),
    /// A workflow rule about this input (a text the action needs…).
    Rule(RuleViolation),
}

impl FieldProblem {
    pub(super) fn message(&self, l: Lang) -> String {
        match self {
            FieldProblem::Bound(e) => e.message(l),
            FieldProblem::Unreadable(w) => w.message(l),
            FieldProblem::Rule(v) => v.message(l),
        }
    }
}

/// A message in both languages, worded when shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Words(pub(super) &'static str, pub(super) &'static str);

impl Words {
    pub(super) fn message(self, l: Lang) -> String {
        l.pick(self.0, self.1).to_string()
    }
}

/// Why a form could not become an action.
pub(super) enum Unreadable {
    /// One input (by its name) cannot be read.
    Field(&'static str, FieldProblem),
    /// The form as a whole.
    Form(Words),
}

/// Why a filled form was not saved, for the form as a whole; worded when
/// shown, so it follows a change of language.
#[derive(Debug, Clone)]
pub(super) enum FormError {
    /// The form cannot become an action at all.
    Unreadable(Words),
    /// Bounds broken by fields the form has no input for (times the app
    /// filled in).
    Elsewhere(Vec<FieldError>),
    /// The workflow refuses the action now.
    Rule(RuleViolation),
    /// The save failed on this tablet (its storage full, the device
    /// blocked, its clock unset): nothing was recorded.
    NotRecorded(crate::record::RecordError),
    /// The case moved on since the form was opened: a second confirmation
    /// acts on the state now shown.
    Moved {
        /// The state the form was opened on.
        from: CaseState,
        /// The state now.
        to: CaseState,
    },
}

impl FormError {
    pub(super) fn message(&self, l: Lang) -> String {
        match self {
            FormError::Unreadable(words) => words.message(l),
            FormError::Elsewhere(found) => found
                .iter()
                .map(|e| {
                    format!(
                        "{}{}{}",
                        i18n::change_field(&e.field, l),
                        l.pick("：", ": "),
                        e.error.message(l)
                    )
                })
                .collect::<Vec<_>>()
                .join(l.pick("；", "; ")),
            FormError::Rule(v) => v.message(l),
            FormError::NotRecorded(e) => e.message(l),
            FormError::Moved { from, to } => match l {
                Lang::ZhCn => format!(
                    "此表单打开后，工单状态已由「{}」变为「{}」（可能是同事的操作已同步到本机）。请核对后再确认。",
                    from.label(l),
                    to.label(l)
                ),
                Lang::En => format!(
                    "The case went from \"{}\" to \"{}\" since this form was opened (a colleague's step may have synced in). Check it, then confirm again.",
                    from.label(l),
                    to.label(l)
                ),
            },
        }
    }
}

/// The input of `kind`'s form for a field `shared::validation` names,
/// where the two names differ (the form asks for yuan, the action holds
/// fen).
pub(super) fn input_name(kind: ActionKind, field: &str) -> &str {
    match field {
        // What the complainant was told is typed where a follow-up's
        // comment is; a handover's note has an input of its own.
        "note" if matches!(kind, ActionKind::Feedback | ActionKind::CallbackMissed) => "comment",
        "compensation_fen" => "yuan",
        "working_days" => "days",
        "corrective_action" => "corrective",
        // The new first responder is chosen where an assignee is.
        "to" if kind == ActionKind::ChangeResponder => "user",
        "ratings.result" => "rating_result",
        "ratings.attitude" => "rating_attitude",
        "ratings.timeliness" => "rating_timeliness",
        other => other,
    }
}

/// The three follow-up ratings: all given, or none. Otherwise the input
/// left empty.
fn ratings(f: &ActionFields) -> Result<Option<Ratings>, &'static str> {
    let inputs = [
        ("rating_result", f.rating_result),
        ("rating_attitude", f.rating_attitude),
        ("rating_timeliness", f.rating_timeliness),
    ];
    let scores: Vec<Option<u8>> = inputs
        .iter()
        .map(|(_, sig)| sig.get_untracked().parse().ok())
        .collect();
    match scores[..] {
        [Some(result), Some(attitude), Some(timeliness)] => Ok(Some(Ratings {
            result,
            attitude,
            timeliness,
        })),
        [None, None, None] => Ok(None),
        _ => Err(inputs
            .iter()
            .zip(&scores)
            .find(|(_, s)| s.is_none())
            .map_or("rating_result", |((name, _), _)| name)),
    }
}

/// Reads an action form on `case` into an action, or says which input is
/// unreadable.
pub(super) fn build_action(
    kind: ActionKind,
    f: &ActionFields,
    case: &Case,
    ctx: &AppCtx,
) -> Result<Action, Unreadable> {
    let unreadable = |name: &'static str, zh: &'static str, en: &'static str| {
        Unreadable::Field(name, FieldProblem::Unreadable(Words(zh, en)))
    };
    let contact = || {
        f.method
            .with_untracked(|v| ContactMethod::from_code(v))
            .unwrap_or(ContactMethod::Phone)
    };
    // The dates these forms ask for are promises (a planned completion, a
    // publication): one before the case was received is a year left wrong
    // in the picker, a plan missed the moment it is made.
    let received = ctx.config.with_untracked(|c| {
        case.registration
            .received_at
            .with_timezone(&c.settings.tz())
            .date_naive()
    });
    let date = |n: &'static str, sig: RwSignal<String>| -> Result<Option<NaiveDate>, Unreadable> {
        let v = sig.get_untracked();
        if v.is_empty() {
            return Ok(None);
        }
        let d = NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map_err(|_| unreadable(n, "日期格式不正确", "Enter a valid date"))?;
        if d < received {
            return Err(unreadable(
                n,
                "日期不能早于受理日期",
                "The date cannot be before the case was received",
            ));
        }
        Ok(Some(d))
    };
    Ok(match kind {
        ActionKind::Assess => Action::Assess {
            severity: f
                .severity
                .with_untracked(|v| Severity::from_code(v))
                .unwrap_or(Severity::General),
            urgent: f.urgent.get_untracked(),
            validity: f
                .validity
                .with_untracked(|v| Validity::from_code(v))
                .unwrap_or(Validity::Valid),
            reason: f.reason.get_untracked(),
            respondent: f.respondent.get_untracked().trim().to_string(),
            respondent_department: f.respondent_department.get_untracked().trim().to_string(),
        },
        ActionKind::Assign => {
            let user = f
                .user
                .get_untracked()
                .parse::<uuid::Uuid>()
                .ok()
                .map(UserId);
            let mut name = f.name.get_untracked();
            if name.trim().is_empty()
                && let Some(u) = user
            {
                name = ctx.config.with_untracked(|c| c.user_name(u));
            }
            // A chosen user's own department, unless another was typed: the
            // department head of that department then finds the case.
            let mut department = f.department.get_untracked().trim().to_string();
            if department.is_empty()
                && let Some(u) = user
            {
                department = ctx.config.with_untracked(|c| {
                    c.users
                        .iter()
                        .find(|x| x.id == u)
                        .and_then(|x| x.department.as_deref())
                        .map_or(String::new(), |d| d.trim().to_string())
                });
            }
            Action::Assign {
                department,
                user,
                name,
                note: f.note.get_untracked(),
            }
        }
        ActionKind::Start => Action::Start,
        ActionKind::Note => Action::Note {
            note_kind: f
                .note_kind
                .with_untracked(|v| NoteKind::from_code(v))
                .unwrap_or(NoteKind::General),
            text: f.text.get_untracked(),
        },
        ActionKind::Propose => Action::Propose {
            measures: f.measures.get_untracked(),
            responsible: f.responsible.get_untracked(),
            planned_date: date("planned_date", f.planned_date)?,
            compensation_fen: yuan_or_none(&f.yuan.get_untracked()).ok_or_else(|| {
                unreadable(
                    "yuan",
                    "请输入正确的金额，例如 200 或 200.50",
                    "Enter an amount such as 200 or 200.50",
                )
            })?,
        },
        ActionKind::Approve => Action::Approve {
            approved: f.approved.get_untracked() == "yes",
            comment: f.comment.get_untracked(),
            // The amount the form was opened on: a decision never covers
            // another.
            compensation_fen: f
                .approval_seen
                .get_untracked()
                .parse()
                .ok()
                .or_else(|| case.solution.as_ref().map(|s| s.compensation_fen)),
        },
        ActionKind::Resolve => {
            let on_the_spot = f.on_the_spot.get_untracked() || resolves_on_the_spot(case);
            Action::Resolve {
                result: f.result.get_untracked(),
                feedback_method: contact(),
                // Finishing the work does not tell the complainant; only an
                // answer on the spot does. Otherwise a `feedback` step follows.
                feedback_at: on_the_spot.then(crate::state::now),
                on_the_spot,
            }
        }
        ActionKind::Feedback => Action::Feedback {
            method: contact(),
            note: f.comment.get_untracked(),
        },
        ActionKind::CallbackMissed => Action::CallbackMissed {
            method: contact(),
            note: f.comment.get_untracked(),
        },
        ActionKind::FollowUp => Action::FollowUp {
            method: contact(),
            // Nothing chosen is asked for, not judged out of range.
            satisfaction: f.satisfaction.get_untracked().parse().map_err(|_| {
                unreadable(
                    "satisfaction",
                    "请选择住户的满意度",
                    "Choose how satisfied the resident is",
                )
            })?,
            comment: f.comment.get_untracked(),
            spot_check: f.spot_check.get_untracked(),
            ratings: ratings(f).map_err(|name| {
                unreadable(
                    name,
                    "请填写全部三项评分，或都不填",
                    "Give all three ratings, or none",
                )
            })?,
        },
        ActionKind::Reopen => Action::Reopen {
            reason: f.reason.get_untracked(),
        },
        ActionKind::Escalate => Action::Escalate {
            to_role: Role::from_code(&f.to_role.get_untracked()).unwrap_or(Role::Manager),
            skip_level: f.skip_level.get_untracked(),
            reason: f.reason.get_untracked(),
        },
        ActionKind::Extend => Action::Extend {
            working_days: shared::validation::parse_count(&f.days.get_untracked()).ok_or_else(
                || unreadable("days", "请输入工作日天数", "Enter a number of working days"),
            )?,
            reason: f.reason.get_untracked(),
        },
        ActionKind::Withdraw => Action::Withdraw {
            reason: f.reason.get_untracked(),
        },
        ActionKind::Void => Action::Void {
            duplicate_of: {
                let typed = f.duplicate_of.get_untracked();
                let typed = typed.trim();
                if typed.is_empty() {
                    None
                } else {
                    // Read aloud and typed by hand: any case will do.
                    let original: shared::regno::RegNo = shared::search::fold(typed)
                        .to_uppercase()
                        .parse()
                        .map_err(|_| {
                            unreadable(
                                "duplicate_of",
                                "登记号格式不正确，例如 HY-261123-0K-0042",
                                "Enter a registration number such as HY-261123-0K-0042",
                            )
                        })?;
                    // Two copies voided as each other's would leave the
                    // matter in no figure: the one kept must be live, and
                    // one the tablet holds, as the server checks
                    // (`void.unknown_case`, `void.duplicate_voided`).
                    let kept = ctx.cases.with_untracked(|cases| {
                        cases
                            .values()
                            .find(|c| c.registration.reg_no == original)
                            .filter(|c| !ctx.registration_refused(c))
                            .map(|c| (c.state, c.registration.received_at))
                    });
                    match kept.map(|(state, _)| state) {
                        None => {
                            return Err(unreadable(
                                "duplicate_of",
                                "本平板上没有该登记号的工单，请同步后再填写保留的那一张",
                                "No case on this tablet has that number; sync, then name the one that is kept",
                            ));
                        }
                        Some(shared::case::CaseState::Voided) => {
                            return Err(unreadable(
                                "duplicate_of",
                                "该工单已作废，请填写保留的那一张",
                                "That case is voided; name the one that is kept",
                            ));
                        }
                        Some(_) => {}
                    }
                    // The copy received later is the one voided: the one
                    // kept carries the earlier receipt, from which every
                    // clock and the reply date its receipt promised count.
                    // Only while the kept one is open: a closed case can
                    // neither be voided nor have its receipt corrected.
                    if let Some((kept_state, kept_received)) = kept
                        && kept_state.is_open()
                        && kept_received > case.registration.received_at
                    {
                        return Err(unreadable(
                            "duplicate_of",
                            "该工单受理得更早，请作废较晚受理的那一张（或先更正保留工单的受理时间）",
                            "This case was received earlier: void the one received later (or first correct the kept case's time of receipt)",
                        ));
                    }
                    Some(original)
                }
            },
            reason: f.reason.get_untracked(),
        },
        ActionKind::Restore => Action::Restore {
            reason: f.reason.get_untracked(),
        },
        ActionKind::ChangeResponder => Action::ChangeResponder {
            to: f
                .user
                .get_untracked()
                .parse::<uuid::Uuid>()
                .map(UserId)
                .map_err(|_| {
                    unreadable(
                        "user",
                        "请选择新的首问责任人",
                        "Choose the new first responder",
                    )
                })?,
            reason: f.reason.get_untracked(),
        },
        ActionKind::Close => Action::Close {
            corrective_action: f.corrective.get_untracked(),
            verification: f.verification.get_untracked(),
        },
        ActionKind::Decide => Action::Decide {
            accepted: f.accepted.get_untracked() == "yes",
            reason: f.reason.get_untracked(),
        },
        ActionKind::PlanImprovement => Action::PlanImprovement {
            plan: f.plan.get_untracked(),
            publish_on: date("publish_on", f.publish_on)?.ok_or_else(|| {
                unreadable(
                    "publish_on",
                    "请选择公示日期",
                    "Choose the publication date",
                )
            })?,
        },
        ActionKind::Answer => Action::Answer {
            answer: f.answer.get_untracked(),
            method: contact(),
            on_the_spot: f.on_the_spot.get_untracked(),
        },
        ActionKind::Register
        | ActionKind::Edit
        | ActionKind::Attach
        | ActionKind::ResolveConflict => {
            return Err(Unreadable::Form(Words(
                "此操作不在这里进行",
                "Not available here",
            )));
        }
    })
}

/// One input of an action form, for its draft.
#[derive(Clone, Copy)]
enum Input {
    /// Typed text or a choice's code.
    Text(RwSignal<String>),
    /// A tick box.
    Check(RwSignal<bool>),
}

impl Input {
    /// What it holds, read inside a reactive scope.
    fn typed(self) -> Typed {
        match self {
            Input::Text(s) => Typed::Text(s.get()),
            Input::Check(b) => Typed::Check(b.get()),
        }
    }
}

/// What one input holds, as a draft keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Typed {
    Text(String),
    Check(bool),
}

/// The inputs where a person types words, or makes a choice that has no
/// default (a colleague, a date): a form holding only its choices'
/// defaults is no draft.
const WORDS: [&str; 24] = [
    "user",
    "satisfaction",
    "planned_date",
    "publish_on",
    "reason",
    "respondent",
    "respondent_department",
    "department",
    "name",
    "note",
    "text",
    "measures",
    "responsible",
    "yuan",
    "comment",
    "result",
    "rating_result",
    "rating_attitude",
    "rating_timeliness",
    "corrective",
    "verification",
    "plan",
    "answer",
    "duplicate_of",
];

/// The choices that have a default: changed, they make a draft as words
/// do (a major, urgent assessment chosen and left for another screen must
/// not come back as a general one). Not the spot-check box, which the
/// form ticks itself for a finished case.
const CHOICES: [&str; 11] = [
    "severity",
    "urgent",
    "validity",
    "note_kind",
    "approved",
    "method",
    "on_the_spot",
    "to_role",
    "skip_level",
    "days",
    "accepted",
];

impl ActionFields {
    /// Every input with its name, the one list the draft reads and fills.
    fn inputs(&self) -> [(&'static str, Input); 40] {
        use Input::{Check, Text};
        [
            ("severity", Text(self.severity)),
            ("urgent", Check(self.urgent)),
            ("validity", Text(self.validity)),
            ("reason", Text(self.reason)),
            ("respondent", Text(self.respondent)),
            ("respondent_department", Text(self.respondent_department)),
            ("department", Text(self.department)),
            ("user", Text(self.user)),
            ("name", Text(self.name)),
            ("note", Text(self.note)),
            ("note_kind", Text(self.note_kind)),
            ("text", Text(self.text)),
            ("measures", Text(self.measures)),
            ("responsible", Text(self.responsible)),
            ("planned_date", Text(self.planned_date)),
            ("yuan", Text(self.yuan)),
            ("approved", Text(self.approved)),
            ("comment", Text(self.comment)),
            ("result", Text(self.result)),
            ("method", Text(self.method)),
            ("on_the_spot", Check(self.on_the_spot)),
            ("satisfaction", Text(self.satisfaction)),
            ("spot_check", Check(self.spot_check)),
            ("rating_result", Text(self.rating_result)),
            ("rating_attitude", Text(self.rating_attitude)),
            ("rating_timeliness", Text(self.rating_timeliness)),
            ("to_role", Text(self.to_role)),
            ("skip_level", Check(self.skip_level)),
            ("days", Text(self.days)),
            ("corrective", Text(self.corrective)),
            ("verification", Text(self.verification)),
            ("accepted", Text(self.accepted)),
            ("plan", Text(self.plan)),
            ("publish_on", Text(self.publish_on)),
            ("answer", Text(self.answer)),
            ("duplicate_of", Text(self.duplicate_of)),
            ("assessment_seen", Text(self.assessment_seen)),
            ("assessment_base", Text(self.assessment_base)),
            ("approval_seen", Text(self.approval_seen)),
            ("state_seen", Text(self.state_seen)),
        ]
    }

    /// What the inputs hold, read inside a reactive scope; `None` when no
    /// words are typed in any and no choice changed since the form opened.
    pub(super) fn typed(&self) -> Option<BTreeMap<String, Typed>> {
        let all: BTreeMap<String, Typed> = self
            .inputs()
            .into_iter()
            .map(|(name, input)| (name.to_string(), input.typed()))
            .collect();
        let words = WORDS
            .iter()
            .any(|w| matches!(all.get(*w), Some(Typed::Text(t)) if !t.trim().is_empty()));
        let chosen = self.opened.with_value(|opened| {
            !opened.is_empty() && CHOICES.iter().any(|c| opened.get(*c) != all.get(*c))
        });
        (words || chosen).then_some(all)
    }

    /// Puts a draft back into the inputs; names it does not hold stay.
    pub(super) fn fill(&self, typed: &BTreeMap<String, Typed>) {
        for (name, input) in self.inputs() {
            match (input, typed.get(name)) {
                (Input::Text(s), Some(Typed::Text(t))) => s.set(t.clone()),
                (Input::Check(b), Some(Typed::Check(c))) => b.set(*c),
                _ => {}
            }
        }
    }
}
