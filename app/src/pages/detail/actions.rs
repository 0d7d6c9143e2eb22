//! The workflow actions on the detail screen: the buttons for the actions
//! the user's role allows now, and each action's form.
//!
//! A form's inputs are one struct of signals (`form::ActionFields`); on
//! submit they are read into an `Action` (`form::build_action`), checked with
//! `shared::validation::validate_action` (the bounds, shown beside each
//! input) and `shared::workflow::check`, and only then recorded. Nothing is
//! saved while there is a problem, and what was typed stays.

use super::drafts::Drafts;
use super::form::{
    FieldProblem, FormError, INPUTS, UNSEEN, Unreadable, Words, build_action, input_name,
};
use crate::components::form::CancelButton;
use crate::components::related::RelatedPicker;
use crate::i18n;
use crate::state::{AppCtx, use_app};
use chrono::Duration;
use leptos::prelude::Action as UiAction;
use leptos::prelude::*;
use shared::case::{Case, CaseKind, ContactMethod, Severity, Validity};
use shared::id::{PropertyId, UserId};
use shared::lang::Lang;
use shared::op::{Action, ActionKind};
use shared::role::Role;
use shared::validation::validate_action;
use shared::wire::UserCard;
use shared::workflow::{allowed_actions, may_decide};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The actions card of a case. The open form and what was typed in it
/// are the screen's `drafts`, which outlive this card.
#[component]
pub fn Actions(case: Arc<Case>, drafts: Drafts) -> impl IntoView {
    let ctx = use_app();
    let user = ctx
        .session
        .with_untracked(|s| s.as_ref().map(|s| (s.user.role, s.user.id)));
    let Some((role, me)) = user else {
        return ().into_any();
    };
    if !ctx.works_on(&case) {
        return view! {
            <div class="card actions-card">
                <p class="hint" data-testid="actions-out-of-scope">{move || ctx.lang.get().pick(
                    "该工单不在您当前负责的项目内，仅供查看",
                    "This case is not of a property you answer for now: to read only",
                )}</p>
            </div>
        }
        .into_any();
    }
    let kinds: Vec<ActionKind> = allowed_actions(&case, role)
        .into_iter()
        .filter(|k| {
            !matches!(
                k,
                ActionKind::Register
                    | ActionKind::Edit
                    | ActionKind::Attach
                    | ActionKind::ResolveConflict
            )
        })
        // Another department's case is not a department head's to pass on.
        .filter(|k| *k != ActionKind::Assign || ctx.may_assign(&case))
        // Only whoever may decide it is offered the decision: not its
        // proposer, nor a role below the amount (they would type a comment
        // only to be refused).
        .filter(|k| {
            *k != ActionKind::Approve
                || ctx.config.with_untracked(|c| {
                    may_decide(&case, me, role, &c.settings, crate::state::now()).is_some()
                })
        })
        .collect();
    let (open, state) = (drafts.open, case.state);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    // Assessed already, the case is assessed again (重新评估).
    let again = case.assessment.is_some();
    let buttons = kinds
        .into_iter()
        .map(|k| {
            view! {
                <button class="btn action" data-testid=format!("action-{}", k.code())
                    class:active=move || open.get() == Some(k)
                    on:click=move |_| drafts.opening(k, state)>
                    {move || action_label(k, again, ctx.lang.get())}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="card actions-card" data-testid="actions">
            <h3>{t("操作", "Actions")}</h3>
            <div class="action-buttons">{buttons}</div>
            {move || open.get().map(|k| view! { <ActionForm kind=k case=case.clone() role=role me=me drafts=drafts/> })}
        </div>
    }
    .into_any()
}

/// Fills an assessment form from `case`'s assessment, if any, and notes
/// which one it started from and what it filled in.
fn start_from_assessment(fields: &super::form::ActionFields, case: &Case) {
    let Some(a) = case.assessment.as_deref() else {
        // A first assessment starts from the form's defaults: a colleague's
        // arriving meanwhile replaces only what was not changed here.
        fields.assessment_seen.set(String::new());
        fields
            .assessment_base
            .set(assessment_inputs(fields).join(BASE_SEPARATOR));
        return;
    };
    let values = assessment_values(a);
    set_assessment_inputs(fields, &values);
    fields.assessment_seen.set(a.stamp.op.to_string());
    fields.assessment_base.set(values.join(BASE_SEPARATOR));
}

/// Fills a proposal's form from the solution proposed before, if any: a
/// new one after a refused compensation, or to move the planned date,
/// changes a field or two, not all of them typed again.
fn start_from_solution(fields: &super::form::ActionFields, case: &Case) {
    let Some(s) = &case.solution else {
        return;
    };
    fields.measures.set(s.measures.clone());
    fields.responsible.set(s.responsible.clone());
    fields
        .planned_date
        .set(s.planned_date.map(|d| d.to_string()).unwrap_or_default());
    if s.compensation_fen > 0 {
        fields
            .yuan
            .set(shared::compensation::format_yuan(s.compensation_fen));
    }
}

/// Notes the amount an approval form opens on (`ActionFields::approval_seen`).
fn approve_what_is_shown(fields: &super::form::ActionFields, case: &Case) {
    let amount = case.solution.as_ref().map(|s| s.compensation_fen);
    fields
        .approval_seen
        .set(amount.map(|fen| fen.to_string()).unwrap_or_default());
}

/// Between the values of [`ActionFields::assessment_base`]: a control
/// character, which no bounded text may hold.
const BASE_SEPARATOR: &str = "\u{1f}";

/// An assessment's values as the form's six inputs hold them.
fn assessment_values(a: &shared::case::Assessment) -> [String; 6] {
    [
        a.severity.code().into(),
        a.urgent.to_string(),
        a.validity.code().into(),
        a.reason.clone(),
        a.respondent.clone(),
        a.respondent_department.clone(),
    ]
}

/// What the form's six assessment inputs hold now.
fn assessment_inputs(fields: &super::form::ActionFields) -> [String; 6] {
    [
        fields.severity.get_untracked(),
        fields.urgent.get_untracked().to_string(),
        fields.validity.get_untracked(),
        fields.reason.get_untracked(),
        fields.respondent.get_untracked(),
        fields.respondent_department.get_untracked(),
    ]
}

fn set_assessment_inputs(fields: &super::form::ActionFields, values: &[String; 6]) {
    let [severity, urgent, validity, reason, respondent, department] = values.clone();
    fields.severity.set(severity);
    fields.urgent.set(urgent == "true");
    fields.validity.set(validity);
    fields.reason.set(reason);
    fields.respondent.set(respondent);
    fields.respondent_department.set(department);
}

/// Moves a form filled from an assessment a colleague has replaced since
/// onto theirs: what was changed here stays as typed, the rest becomes
/// theirs. Without a record of what the form was filled with (a draft of
/// an older build), it starts again from theirs.
fn rebase_assessment(fields: &super::form::ActionFields, case: &Case) {
    let base = fields.assessment_base.get_untracked();
    let base: Vec<&str> = base.split(BASE_SEPARATOR).collect();
    let Some(theirs) = case.assessment.as_deref() else {
        return start_from_assessment(fields, case);
    };
    if base.len() != 6 {
        return start_from_assessment(fields, case);
    }
    let mine = assessment_inputs(fields);
    let theirs_values = assessment_values(theirs);
    let merged: [String; 6] = std::array::from_fn(|i| {
        if mine[i] != base[i] {
            mine[i].clone()
        } else {
            theirs_values[i].clone()
        }
    });
    set_assessment_inputs(fields, &merged);
    fields.assessment_seen.set(theirs.stamp.op.to_string());
    fields
        .assessment_base
        .set(theirs_values.join(BASE_SEPARATOR));
}

/// Whether the assessment `fields` started from is no longer `case`'s. A
/// draft that does not say (kept by an older build) is taken as made on
/// the current one.
fn assessment_replaced(fields: &super::form::ActionFields, case: &Case) -> bool {
    let seen = fields.assessment_seen.get_untracked();
    let now = case
        .assessment
        .as_deref()
        .map(|a| a.stamp.op.to_string())
        .unwrap_or_default();
    seen != UNSEEN && seen != now
}

/// Whether `case` moved on since `kind`'s form was opened on it (a
/// colleague's step synced in): recorded now, the action would be taken
/// as made on the new state and quietly undo that step (an assignment
/// become a transfer away from the colleague's choice, a withdrawal of a
/// case just resolved) instead of meeting it as a conflict. An action
/// that moves no state (a note, a feedback, an escalation) meets none;
/// a draft of an older build does not say.
fn moved_since(
    kind: ActionKind,
    fields: &super::form::ActionFields,
    case: &Case,
) -> Option<FormError> {
    let seen = fields.state_seen.get_untracked();
    let from = shared::case::CaseState::from_code(&seen)?;
    (kind.is_transition() && from != case.state).then_some(FormError::Moved {
        from,
        to: case.state,
    })
}

/// A user picker's choices: `none` first, then the colleagues `keep`
/// takes, by name and role.
fn colleagues(
    ctx: AppCtx,
    l: Lang,
    none: &str,
    keep: impl Fn(&UserCard) -> bool,
) -> Vec<(String, String)> {
    std::iter::once((String::new(), none.to_string()))
        .chain(ctx.config.with_untracked(|c| {
            c.users
                .iter()
                .filter(|u| keep(u))
                .map(|u| (u.id.to_string(), i18n::colleague(u, l)))
                .collect::<Vec<_>>()
        }))
        .collect()
}

/// The names a person or department complained about was written with
/// before in `case`'s property, and those of its staff (`user`): offered
/// at the assessment, so that one is written one way and counted as one
/// in the assessment of staff (the statistics also fold spellings apart
/// by width and spaces, `report::tally`).
fn known_respondents(
    ctx: AppCtx,
    case: &Case,
    assessed: impl Fn(&shared::case::Assessment) -> &String,
    user: impl Fn(&UserCard) -> Option<&String>,
) -> Vec<String> {
    let property = case.registration.property;
    let mut known: std::collections::BTreeSet<String> = ctx.cases.with_untracked(|cases| {
        cases
            .values()
            .filter(|c| c.registration.property == property)
            .filter_map(|c| c.assessment.as_deref())
            .map(|a| assessed(a).trim().to_string())
            .filter(|name| !name.is_empty())
            .collect()
    });
    ctx.config.with_untracked(|c| {
        known.extend(
            c.users
                .iter()
                .filter(|u| u.works_in(property))
                .filter_map(&user)
                .map(|name| name.trim().to_string())
                .filter(|name| !name.is_empty()),
        )
    });
    known.into_iter().collect()
}

/// Why the colleague an assignment or a change of first responder names
/// can no longer take `case`, as the synced directory stands now
/// (`assign.not_assignable`, `change_responder.not_assignable` on the
/// server); none when they can, or when the action names nobody.
fn no_longer_eligible(action: &Action, case: &Case, ctx: &AppCtx) -> Option<FieldProblem> {
    let property = case.registration.property;
    let eligible = |id: UserId, may: fn(&UserCard, PropertyId) -> bool| {
        ctx.config
            .with_untracked(|c| c.users.iter().any(|u| u.id == id && may(u, property)))
    };
    let fine = match action {
        Action::Assign { user: Some(id), .. } => eligible(*id, UserCard::may_be_assigned),
        Action::ChangeResponder { to, .. } => eligible(*to, UserCard::may_be_first_responder),
        _ => true,
    };
    (!fine).then_some(FieldProblem::Unreadable(Words(
        "所选人员已停用、调离本项目或不能负责工单，请重新选择",
        "The colleague chosen was disabled, moved or may no longer take it: choose again",
    )))
}

/// What an action's button and form say: an assessment of a case assessed
/// already is a second one.
fn action_label(kind: ActionKind, assessed: bool, l: shared::lang::Lang) -> &'static str {
    if kind == ActionKind::Assess && assessed {
        l.pick("重新评估", "Assess again")
    } else {
        kind.label(l)
    }
}

#[component]
fn ActionForm(
    kind: ActionKind,
    case: Arc<Case>,
    role: Role,
    me: UserId,
    drafts: Drafts,
) -> impl IntoView {
    let ctx = use_app();
    // Assessed again, the form starts from the assessment, so that what is
    // not changed is kept; once, when its inputs are made.
    let fields = drafts.fields(kind, role, |fields| {
        fields.state_seen.set(case.state.code().to_string());
        match kind {
            ActionKind::Assess => start_from_assessment(fields, &case),
            ActionKind::Approve => approve_what_is_shown(fields, &case),
            ActionKind::Propose => start_from_solution(fields, &case),
            // By the management line on a case staff called back already,
            // a call is most likely a spot-check (a sampled repair not
            // closed yet): ticked when the form opens, as a regular call
            // would reopen the case or replace its score.
            ActionKind::FollowUp
                if case.state == shared::case::CaseState::FollowedUp
                    && role.draws_spot_checks() =>
            {
                fields.spot_check.set(true)
            }
            _ => {}
        }
    });
    // Kept as it is typed, for a reload or a visit to another screen.
    Effect::new(move |_| drafts.keep(kind, fields.typed()));
    // A follow-up on a finished case, or by head-office quality, can only
    // be a spot-check call (抽查回访); a role that does not draw them has no
    // box for it, so a draft kept ticked (an older build, a role changed
    // since) is unticked rather than refused with nothing to untick.
    let spot_check_only = kind == ActionKind::FollowUp
        && (!case.state.is_open() || shared::workflow::spot_checks_only(role));
    if spot_check_only {
        fields.spot_check.set(true);
    } else if kind == ActionKind::FollowUp && !role.draws_spot_checks() {
        fields.spot_check.set(false);
    }
    // A case still at intake is resolved only as answered on the spot
    // (`workflow::check`): shown ticked and fixed, not left to be refused,
    // and so built (`form::build_action`); the box itself is left as the
    // user had it, for the case moved on meanwhile.
    let resolved_from_intake =
        kind == ActionKind::Resolve && super::form::resolves_on_the_spot(&case);
    // A missed callback is a call or a visit (`workflow::callback_tries`):
    // a draft of an older build naming a message starts from a call.
    if kind == ActionKind::CallbackMissed
        && !fields.method.with_untracked(|m| {
            m == ContactMethod::Phone.code() || m == ContactMethod::Visit.code()
        })
    {
        fields.method.set(ContactMethod::Phone.code().into());
    }
    // Why the last save was refused: for the form, and by input name,
    // beside the input. Kept with the drafts, so a card drawn again (a
    // sync) still says it.
    let super::drafts::Said { error, problems } = drafts.said(kind);
    let form = NodeRef::<leptos::html::Form>::new();
    // Revealed when a save finds problems, not when a redraw finds them
    // still there: that would take the focus from the field being typed in.
    Effect::new(move |drawn: Option<()>| {
        if problems.with(|p| !p.is_empty())
            && drawn.is_some()
            && let Some(form) = form.get_untracked()
        {
            crate::components::form::reveal_first_error(form.into());
        }
    });
    let beside = move |name: &'static str| {
        view! {
            <span class="field-error" role="alert" data-testid=format!("error-{name}")>
                {move || problems.with(|p| p.get(name).map(|p| p.message(ctx.lang.get())))}
            </span>
        }
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);

    let typed = move |name: &'static str,
                      sig: RwSignal<String>,
                      ty: &'static str,
                      zh: &'static str,
                      en: &'static str| {
        view! {
            <label class="field">
                <span>{t(zh, en)}</span>
                <input type=ty data-testid=format!("in-{name}") prop:value=move || sig.get()
                    inputmode=match name {
                        "yuan" => Some("decimal"),
                        "days" => Some("numeric"),
                        _ => None,
                    }
                    on:input=move |ev| sig.set(event_target_value(&ev))/>
                {beside(name)}
            </label>
        }
        .into_any()
    };
    let text = move |name: &'static str,
                     sig: RwSignal<String>,
                     zh: &'static str,
                     en: &'static str| { typed(name, sig, "text", zh, en) };
    // What is written rather than named (a result, an analysis, a reason)
    // keeps the lines staff type or paste; a one-line input joins them.
    let long =
        move |name: &'static str, sig: RwSignal<String>, zh: &'static str, en: &'static str| {
            view! {
                <label class="field">
                    <span>{t(zh, en)}</span>
                    <textarea rows="3" data-testid=format!("in-{name}") prop:value=move || sig.get()
                        on:input=move |ev| sig.set(event_target_value(&ev))></textarea>
                    {beside(name)}
                </label>
            }
            .into_any()
        };
    // Free text with the names already in use offered: a department typed
    // two ways ("工程" and "工程部") would hide the case from its head.
    let suggested = move |name: &'static str,
                          sig: RwSignal<String>,
                          zh: &'static str,
                          en: &'static str,
                          known: Vec<String>| {
        let list = format!("{name}-known");
        let options = known
            .into_iter()
            .map(|v| view! { <option value=v></option> })
            .collect_view();
        view! {
            <label class="field">
                <span>{t(zh, en)}</span>
                <input type="text" list=list.clone() data-testid=format!("in-{name}") prop:value=move || sig.get()
                    on:input=move |ev| sig.set(event_target_value(&ev))/>
                <datalist id=list>{options}</datalist>
                {beside(name)}
            </label>
        }
        .into_any()
    };
    // `fixed`: shown as the rules have it, not to be changed into a refusal.
    let check_as = move |name: &'static str,
                         sig: RwSignal<bool>,
                         zh: &'static str,
                         en: &'static str,
                         fixed: bool| {
        view! {
            <label class="check">
                <input type="checkbox" data-testid=format!("in-{name}") prop:checked=move || fixed || sig.get()
                    disabled=fixed
                    on:change=move |ev| sig.set(event_target_checked(&ev))/>
                {t(zh, en)}
                {beside(name)}
            </label>
        }
        .into_any()
    };
    let check = move |name: &'static str,
                      sig: RwSignal<bool>,
                      zh: &'static str,
                      en: &'static str| { check_as(name, sig, zh, en, false) };
    let select = move |name: &'static str,
                       sig: RwSignal<String>,
                       zh: &'static str,
                       en: &'static str,
                       options: Vec<(String, String)>| {
        let opts = options
            .into_iter()
            .map(|(v, label)| {
                let selected = v == sig.get_untracked();
                view! { <option value=v selected=selected>{label}</option> }
            })
            .collect_view();
        view! {
            <label class="field">
                <span>{t(zh, en)}</span>
                // The value follows the signal too: a form filled again
                // (an assessment replaced meanwhile) shows what it holds.
                <select data-testid=format!("in-{name}") prop:value=move || sig.get()
                    on:change=move |ev| sig.set(event_target_value(&ev))>{opts}</select>
                {beside(name)}
            </label>
        }
        .into_any()
    };
    let l = ctx.lang.get_untracked();
    let contacts: Vec<(String, String)> = ContactMethod::ALL
        .iter()
        .map(|m| (m.code().into(), m.label(l).into()))
        .collect();
    // A callback, made or missed, is a call or a visit (`workflow::duties`):
    // a message nobody answered is no try.
    let calls: Vec<(String, String)> = [ContactMethod::Phone, ContactMethod::Visit]
        .iter()
        .map(|m| (m.code().into(), m.label(l).into()))
        .collect();

    let inputs: Vec<AnyView> = match kind {
        ActionKind::Assess => {
            let mut inputs = vec![
                select(
                    "severity",
                    fields.severity,
                    "严重程度",
                    "Severity",
                    Severity::ALL
                        .iter()
                        .map(|s| (s.code().into(), s.label(l).into()))
                        .collect(),
                ),
                check(
                    "urgent",
                    fields.urgent,
                    "紧急（安全风险、可能引起媒体或监管关注）",
                    "Urgent (safety, media or regulator attention)",
                ),
            ];
            // Validity (有效 / 不成立) and the person complained about are
            // a complaint's; a repair is assessed for its severity.
            if case.registration.kind == CaseKind::Complaint {
                inputs.extend([
                    select(
                        "validity",
                        fields.validity,
                        "是否有效",
                        "Validity",
                        Validity::ALL
                            .iter()
                            .map(|v| (v.code().into(), v.label(l).into()))
                            .collect(),
                    ),
                    long(
                        "reason",
                        fields.reason,
                        "说明（不成立时必填）",
                        "Reason (required if unfounded)",
                    ),
                    suggested(
                        "respondent",
                        fields.respondent,
                        "被投诉人（可不填）",
                        "Person complained about (optional)",
                        known_respondents(ctx, &case, |a| &a.respondent, |u| Some(&u.display_name)),
                    ),
                    suggested(
                        "respondent_department",
                        fields.respondent_department,
                        "被投诉部门（可不填）",
                        "Department complained about (optional)",
                        known_respondents(ctx, &case, |a| &a.respondent_department, |u| {
                            u.department.as_ref()
                        }),
                    ),
                ]);
            }
            inputs
        }
        ActionKind::Assign => {
            // Only someone who works in the case's property: the server
            // sends the case to nobody else, so nobody else would see it.
            let users = colleagues(ctx, l, l.pick("（非系统用户）", "(not a user)"), |u| {
                u.may_be_assigned(case.registration.property)
            });
            // The departments of those who work in the case's property:
            // a colleague moved away takes their department with them.
            let departments = ctx.config.with_untracked(|c| {
                c.users
                    .iter()
                    .filter(|u| u.works_in(case.registration.property))
                    .filter_map(|u| u.department.as_deref().map(str::trim))
                    .filter(|d| !d.is_empty())
                    .map(str::to_string)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
            });
            // A department head is given the cases of their department by
            // its exact name: one typed otherwise reaches nobody by it.
            let known = departments.clone();
            let unknown = move || {
                let typed = fields.department.get();
                let typed = typed.trim().to_string();
                if typed.is_empty() || known.contains(&typed) {
                    return None;
                }
                let words = match ctx.lang.get() {
                    Lang::ZhCn => {
                        format!("没有用户属于“{typed}”：部门负责人不会按部门收到此工单，请核对名称")
                    }
                    Lang::En => format!(
                        "No user belongs to \"{typed}\": no department head will be given this case by its department; check the name"
                    ),
                };
                Some(view! { <p class="hint" data-testid="department-unknown">{words}</p> })
            };
            vec![
                suggested(
                    "department",
                    fields.department,
                    "责任部门（选了用户可不填，取其部门）",
                    "Department (with a user chosen, theirs if left empty)",
                    departments,
                ),
                unknown.into_any(),
                select(
                    "user",
                    fields.user,
                    "责任人（用户）",
                    "Responsible user",
                    users,
                ),
                text(
                    "name",
                    fields.name,
                    "责任人姓名（未选用户时填写）",
                    "Responsible person's name (if not a user)",
                ),
                long("note", fields.note, "交接说明", "Handover note"),
            ]
        }
        ActionKind::Start => vec![],
        ActionKind::Note => vec![
            select(
                "note_kind",
                fields.note_kind,
                "记录类型",
                "Kind",
                shared::workflow::note_kinds(role)
                    .iter()
                    .map(|k| (k.code().into(), k.label(l).into()))
                    .collect(),
            ),
            long("text", fields.text, "内容", "Text"),
        ],
        ActionKind::Propose => vec![
            long("measures", fields.measures, "处理措施", "Measures"),
            text("responsible", fields.responsible, "方案责任人", "Responsible"),
            typed(
                "planned_date",
                fields.planned_date,
                "date",
                "计划完成日期",
                "Planned date",
            ),
            typed(
                "yuan",
                fields.yuan,
                "text",
                "赔偿金额（元）",
                "Compensation (yuan)",
            ),
        ],
        ActionKind::Approve => vec![
            select(
                "approved",
                fields.approved,
                "审批结果",
                "Decision",
                vec![
                    ("yes".to_string(), l.pick("批准", "Approve").to_string()),
                    ("no".to_string(), l.pick("驳回", "Refuse").to_string()),
                ],
            ),
            long("comment", fields.comment, "意见", "Comment"),
        ],
        ActionKind::Resolve => {
            // How the resident was told is recorded with an answer on the
            // spot; told later, it is 结果反馈's, recorded then (a method
            // chosen here would tell nobody).
            let on_the_spot = move || resolved_from_intake || fields.on_the_spot.get();
            let contacts = contacts.clone();
            vec![
                long("result", fields.result, "处理结果", "Result"),
                check_as(
                    "on_the_spot",
                    fields.on_the_spot,
                    "当场解决",
                    "Answered on the spot",
                    resolved_from_intake,
                ),
                (move || {
                    on_the_spot().then(|| {
                        select(
                            "method",
                            fields.method,
                            "反馈方式",
                            "Feedback by",
                            contacts.clone(),
                        )
                    })
                })
                .into_any(),
                (move || {
                    (!on_the_spot()).then(|| {
                        view! {
                            <p class="hint" data-testid="resolve-feedback-hint">{t(
                                "告知住户处理结果后，请另行记录“结果反馈”。",
                                "Once the resident is told the result, record it as the result feedback.",
                            )}</p>
                        }
                    })
                })
                .into_any(),
            ]
        }
        ActionKind::Feedback => vec![
            select(
                "method",
                fields.method,
                "反馈方式",
                "Told by",
                contacts.clone(),
            ),
            long("comment", fields.comment, "反馈内容", "What they were told"),
        ],
        ActionKind::CallbackMissed => vec![
            select(
                "method",
                fields.method,
                "回访方式",
                "Method",
                calls.clone(),
            ),
            long(
                "comment",
                fields.comment,
                "情况（如：无人接听、关机、空号）",
                "What happened (no answer, switched off, wrong number…)",
            ),
        ],
        ActionKind::FollowUp => {
            let ratings: Vec<(String, String)> =
                std::iter::once((String::new(), l.pick("未评", "Not rated").to_string()))
                    .chain((1..=5u8).rev().map(|n| (n.to_string(), n.to_string())))
                    .collect();
            let mut inputs = vec![
                select("method", fields.method, "回访方式", "Method", calls),
                // Nothing chosen until the resident says: a score left as
                // it was would be recorded as theirs.
                select(
                    "satisfaction",
                    fields.satisfaction,
                    "满意度",
                    "Satisfaction",
                    std::iter::once((String::new(), l.pick("请选择", "Choose").to_string()))
                        .chain((1..=5u8).rev().map(|n| {
                            (n.to_string(), format!("{n} · {}", i18n::satisfaction(n, l)))
                        }))
                        .collect(),
                ),
                select(
                    "rating_result",
                    fields.rating_result,
                    "处理结果评分",
                    "Rating: result",
                    ratings.clone(),
                ),
                select(
                    "rating_attitude",
                    fields.rating_attitude,
                    "服务态度评分",
                    "Rating: attitude",
                    ratings.clone(),
                ),
                select(
                    "rating_timeliness",
                    fields.rating_timeliness,
                    "处理效率评分",
                    "Rating: timeliness",
                    ratings,
                ),
                long("comment", fields.comment, "住户意见", "Resident's comment"),
            ];
            // Only the roles that draw spot checks make the calls
            // (`workflow::check`): staff would tick it only to be refused.
            // On a finished case, or for head-office quality, it can only
            // be one: shown ticked and fixed.
            if role.draws_spot_checks() {
                inputs.push(check_as(
                    "spot_check",
                    fields.spot_check,
                    "抽查回访",
                    "Spot-check call",
                    spot_check_only,
                ));
            }
            inputs
        }
        ActionKind::Reopen | ActionKind::Withdraw | ActionKind::Restore => {
            vec![long("reason", fields.reason, "原因", "Reason")]
        }
        // 作废: a duplicate names the case it repeats, found as the
        // related case is; one registered in error names none.
        ActionKind::Void => vec![
            view! {
                <label class="field">
                    <span>{t("重复的工单（重复登记时填写登记号）", "The case it repeats (if registered twice)")}</span>
                    <RelatedPicker value=fields.duplicate_of testid="in-duplicate_of" itself=case.id live_only=true/>
                    {beside("duplicate_of")}
                </label>
            }
            .into_any(),
            long(
                "reason",
                fields.reason,
                "作废原因（如：重复登记、误登记）",
                "Why (registered twice, in error…)",
            ),
            view! {
                <p class="hint" data-testid="void-hint">
                    {t("作废的工单保留记录，但不计入任何统计，也不再计时。", "A voided case stays on record, but leaves every statistic and every deadline.")}
                </p>
            }
            .into_any(),
        ],
        // 更换首问责任人: to someone who works in the case's property and
        // makes callbacks (`may_be_first_responder`, as the server checks).
        ActionKind::ChangeResponder => {
            let current = case.first_responder();
            let users = colleagues(ctx, l, l.pick("（请选择）", "(choose)"), |u| {
                u.id != current && u.may_be_first_responder(case.registration.property)
            });
            // One who moved to another property is named with none of
            // this one (or, before the server kept where they worked, not
            // at all): said so.
            let now = ctx.config.with_untracked(|c| {
                let name = c.user_name(current);
                let property = case.registration.property;
                if c.users.iter().any(|u| u.id == current && u.works_in(property)) {
                    name
                } else {
                    format!("{name}{}", l.pick("（已不在本项目）", " (no longer of this property)"))
                }
            });
            vec![
                view! {
                    <p class="hint" data-testid="responder-now">
                        {move || match ctx.lang.get() {
                            Lang::ZhCn => format!("当前首问责任人：{now}。更换后，回访、结案等后续工作由新的首问责任人负责。"),
                            Lang::En => format!("First responder now: {now}. The new one takes over the callback, the close and what else is theirs."),
                        }}
                    </p>
                }
                .into_any(),
                select(
                    "user",
                    fields.user,
                    "新的首问责任人",
                    "New first responder",
                    users,
                ),
                long(
                    "reason",
                    fields.reason,
                    "原因（如：离职、调岗、长期休假）",
                    "Why (left, moved, on long leave…)",
                ),
            ]
        }
        ActionKind::Escalate => vec![
            select(
                "to_role",
                fields.to_role,
                "上报给",
                "Escalate to",
                shared::workflow::escalation_targets(role)
                    .iter()
                    .map(|r| (r.code().into(), r.label(l).into()))
                    .collect(),
            ),
            check(
                "skip_level",
                fields.skip_level,
                "越级上报（直接上级无法联系）",
                "Skip level (superior unreachable)",
            ),
            long("reason", fields.reason, "原因", "Reason"),
        ],
        ActionKind::Extend => vec![
            // Text with a digit keyboard: a number input takes no full
            // width digits and changes with a mouse wheel.
            typed("days", fields.days, "text", "延长工作日", "Working days"),
            long("reason", fields.reason, "原因", "Reason"),
        ],
        // A valid complaint closes with both (`workflow`); a repair or an
        // inquiry may leave them out, and its form says so.
        ActionKind::Close if case.registration.kind == shared::case::CaseKind::Complaint => vec![
            long(
                "corrective",
                fields.corrective,
                "纠正预防措施（有效投诉必填）",
                "Corrective action (required for a valid complaint)",
            ),
            long(
                "verification",
                fields.verification,
                "验证情况（有效投诉必填）",
                "Verification (required for a valid complaint)",
            ),
        ],
        ActionKind::Close => vec![
            long(
                "corrective",
                fields.corrective,
                "纠正预防措施（选填）",
                "Corrective action (optional)",
            ),
            long(
                "verification",
                fields.verification,
                "验证情况（选填）",
                "Verification (optional)",
            ),
        ],
        ActionKind::Decide => vec![
            select(
                "accepted",
                fields.accepted,
                "是否采纳",
                "Decision",
                vec![
                    ("yes".to_string(), l.pick("采纳", "Accept").to_string()),
                    ("no".to_string(), l.pick("不采纳", "Decline").to_string()),
                ],
            ),
            long(
                "reason",
                fields.reason,
                "原因（不采纳时必填）",
                "Reason (required if declined)",
            ),
        ],
        ActionKind::PlanImprovement => vec![
            long("plan", fields.plan, "整改计划", "Plan"),
            typed(
                "publish_on",
                fields.publish_on,
                "date",
                "公示日期",
                "Publish on",
            ),
        ],
        ActionKind::Answer => vec![
            long("answer", fields.answer, "答复内容", "Answer"),
            select("method", fields.method, "答复方式", "Method", contacts),
            check("on_the_spot", fields.on_the_spot, "当场答复", "On the spot"),
        ],
        ActionKind::Register
        | ActionKind::Edit
        | ActionKind::Attach
        | ActionKind::ResolveConflict => vec![],
    };

    let (case_id, state) = (case.id, case.state);
    let save = UiAction::new_local(move |action: &Action| {
        let action = action.clone();
        async move {
            let result = ctx
                .record(case_id, Some(state), move |_, _| Ok(action))
                .await;
            let _ = drafts.saving.try_set(false);
            match &result {
                Ok(_) => drafts.done(kind),
                // Kept with the form's other messages, which the card
                // drawn again by a sync keeps.
                Err(e) => {
                    let _ = error.try_set(Some(FormError::NotRecorded(e.clone())));
                }
            }
            result.map(drop)
        }
    });
    let assessed = case.assessment.is_some();
    // Whether this kind's form draws `input`: a problem with an input it
    // does not draw (the corrective action a late assessment as valid
    // needs) is said for the form as a whole, not beside nothing.
    let drawn = move |input: &str| {
        INPUTS.contains(&input)
            && form.get_untracked().is_some_and(|f| {
                f.query_selector(&format!("[data-testid=\"in-{input}\"]"))
                    .ok()
                    .flatten()
                    .is_some()
            })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if drafts.saving.get_untracked() {
            return;
        }
        error.set(None);
        save.clear();
        problems.set(BTreeMap::new());
        // Asked first: a clock before 2000 would make every rule of time
        // below speak of the wrong thing (`record::clock_set`).
        if crate::record::clock_set(crate::state::now()).is_err() {
            let (zh, en) = crate::record::CLOCK_UNSET;
            error.set(Some(FormError::Unreadable(Words(zh, en))));
            return;
        }
        // A form filled from an assessment a colleague has replaced since
        // would put the old one back with this one's change: what was
        // not changed here becomes theirs, what was stays, and it says so.
        if kind == ActionKind::Assess && assessment_replaced(&fields, &case) {
            rebase_assessment(&fields, &case);
            fields.state_seen.set(case.state.code().to_string());
            error.set(Some(FormError::Unreadable(Words(
                "评估已被他人修改：您未改动的项已按最新评估填写，您改动的项保留，请核对后再确认",
                "Someone changed the assessment meanwhile: what you did not change now reads as theirs, what you changed stays; check it and confirm again",
            ))));
            return;
        }
        if let Some(moved) = moved_since(kind, &fields, &case) {
            fields.state_seen.set(case.state.code().to_string());
            error.set(Some(moved));
            return;
        }
        let action = match build_action(kind, &fields, &case, &ctx) {
            Ok(a) => a,
            Err(Unreadable::Field(name, problem)) => {
                problems.set(BTreeMap::from([(name.to_string(), problem)]));
                return;
            }
            Err(Unreadable::Form(message)) => {
                error.set(Some(FormError::Unreadable(message)));
                return;
            }
        };
        // The server's own ceiling is its clock plus a few minutes of skew.
        let ceiling = crate::state::now() + Duration::minutes(5);
        if let Err(found) = validate_action(&action, ceiling) {
            let mut beside_fields = BTreeMap::new();
            let mut elsewhere = Vec::new();
            for e in found {
                let input = input_name(kind, &e.field);
                if drawn(input) {
                    beside_fields
                        .entry(input.to_string())
                        .or_insert(FieldProblem::Bound(e.error));
                } else {
                    // A field the form has no input for (a time the app
                    // filled in): said for the form as a whole.
                    elsewhere.push(e);
                }
            }
            problems.set(beside_fields);
            if !elsewhere.is_empty() {
                error.set(Some(FormError::Elsewhere(elsewhere)));
            }
            return;
        }
        let settings = ctx.config.with_untracked(|c| c.settings.clone());
        if let Err(v) =
            shared::workflow::check_new(&case, me, role, &action, &settings, crate::state::now())
        {
            // Refused for an amount changed since the form opened: said,
            // and a second confirmation decides the amount now shown.
            if matches!(
                v,
                shared::workflow::RuleViolation::ApprovalAmountChanged { .. }
            ) {
                approve_what_is_shown(&fields, &case);
            }
            match v.field().map(|field| input_name(kind, field)) {
                Some(input) if drawn(input) => {
                    problems.set(BTreeMap::from([(input.to_string(), FieldProblem::Rule(v))]));
                }
                _ => error.set(Some(FormError::Rule(v))),
            }
            return;
        }
        // A sync may have brought a transfer to another department since
        // the form opened (or its draft was kept): no longer a department
        // head's to pass on (`assign.not_handling` on the server).
        if kind == ActionKind::Assign && !ctx.may_assign(&case) {
            error.set(Some(FormError::Unreadable(Words(
                "该工单已转由其他部门负责，部门主管不能再转派，请由管理处改派",
                "The case went to another department meanwhile: a department head no longer passes it on; management reassigns it",
            ))));
            return;
        }
        // The picker was filled as the directory stood when the form
        // opened (or a draft was kept); a sync may have disabled or moved
        // the colleague since, and the server would set the op aside.
        if let Some(problem) = no_longer_eligible(&action, &case, &ctx) {
            problems.set(BTreeMap::from([("user".to_string(), problem)]));
            return;
        }
        drafts.saving.set(true);
        save.dispatch_local(action);
    };
    // The form's own refusal, or why the last save failed.
    let refusal = move || {
        let l = ctx.lang.get();
        error.with(|e| e.as_ref().map(|e| e.message(l)))
    };
    view! {
        <form class="action-form" node_ref=form data-testid=format!("form-{}", kind.code()) on:submit=submit
            on:keydown=crate::components::form::enter_stays>
            <h4>{move || action_label(kind, assessed, ctx.lang.get())}</h4>
            {inputs}
            <p class="error" role="alert" data-testid="action-error">{refusal}</p>
            <div class="actions">
                <button type="submit" class="btn primary" data-testid=format!("submit-{}", kind.code()) disabled=move || drafts.saving.get()>
                    {t("确认", "Confirm")}
                </button>
                <CancelButton testid="cancel-action" holding=Signal::derive(move || fields.typed().is_some())
                    busy=drafts.saving on_cancel=Callback::new(move |()| drafts.done(kind))/>
            </div>
        </form>
    }
}
