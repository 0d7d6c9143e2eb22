//! 批量更换首问责任人: when a staff member leaves with a drawer of open
//! cases, the property's manager names one colleague for all of them from
//! 我的待办, rather than opening each case. One form per property (a
//! colleague works in some properties, not all); each case gets its own
//! `change_responder` op, checked as the case's own form checks it.

use crate::pages::draft;
use crate::record::RecordError;
use crate::state::use_app;
use chrono::Duration;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use shared::id::{CaseId, PropertyId, UserId};
use shared::inbox::{Reason, responder_gone};
use shared::lang::{Coded, Lang};
use shared::op::Action;
use shared::validation::{FieldError, validate_action};
use shared::workflow::RuleViolation;

/// The forms above the inbox's items, one per property with an open case
/// whose first responder is gone ([`Reason::ResponderGone`]), and what the
/// last hand-over came to.
#[component]
pub fn Handover() -> impl IntoView {
    let ctx = use_app();
    let gone = Memo::new(move |_| {
        ctx.inbox.with(|items| {
            ctx.cases.with(|cases| {
                items
                    .iter()
                    // Those who left: a department head who registered a
                    // case is here, and their cases are changed one by one.
                    .filter(|i| {
                        i.reasons
                            .contains(&Reason::ResponderGone { still_here: false })
                    })
                    .filter_map(|i| cases.get(&i.case).map(|c| (c.id, c.registration.property)))
                    .collect::<Vec<(CaseId, PropertyId)>>()
            })
        })
    });
    let properties = Memo::new(move |_| {
        let mut found: Vec<PropertyId> = gone.with(|g| g.iter().map(|(_, p)| *p).collect());
        found.sort_unstable();
        found.dedup();
        found
    });
    // Kept above the forms: a form goes once its property has nothing left.
    let outcome = RwSignal::new(None::<Outcome>);
    view! {
        <For
            each=move || properties.get()
            key=|p| *p
            children=move |property| view! { <PropertyForm property=property gone=gone outcome=outcome/> }
        />
        {move || outcome.with(|o| o.as_ref().map(|o| {
            let class = if o.is_trouble() { "field-error" } else { "hint" };
            view! { <p class=class data-testid="handover-result">{o.message(ctx.lang.get())}</p> }
        }))}
    }
}

/// The form for the gone first responders' cases of one property.
#[component]
fn PropertyForm(
    property: PropertyId,
    gone: Memo<Vec<(CaseId, PropertyId)>>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let ctx = use_app();
    let cases = Memo::new(move |_| {
        gone.with(|g| {
            g.iter()
                .filter(|(_, p)| *p == property)
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
        })
    });
    // Kept as typed, as the case screen's forms are: a tap on a case to
    // check it, or a reload, does not lose the choice and the reason.
    let key = ctx
        .session
        .with_untracked(|s| s.as_ref().map(|s| draft::handover(s.user.id, property)));
    let kept: Option<Typed> = key.as_deref().and_then(draft::load);
    let kept = kept.unwrap_or_default();
    let done_key = StoredValue::new(key.clone());
    let to = RwSignal::new(kept.to);
    let reason = RwSignal::new(kept.reason);
    Effect::new(move |_| {
        let typed = Typed {
            to: to.get(),
            reason: reason.get(),
        };
        if let Some(key) = &key {
            draft::keep(key, (typed != Typed::default()).then_some(&typed));
        }
    });
    // The form's own refusal, beside the field it is about.
    let problem = RwSignal::new(None::<Problem>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        problem.set(None);
        let Ok(to_id) = to.get_untracked().parse::<uuid::Uuid>().map(UserId) else {
            problem.set(Some(Problem::NoOneChosen));
            return;
        };
        // As the directory stands now: a colleague moved or disabled since
        // the form was filled (the select then shows none) is said beside
        // the choice, before any case is tried and the typing is put away.
        let eligible = ctx.config.with_untracked(|c| {
            c.users
                .iter()
                .any(|u| u.id == to_id && u.may_be_first_responder(property))
        });
        if !eligible {
            problem.set(Some(Problem::NoLongerEligible));
            return;
        }
        let action = Action::ChangeResponder {
            to: to_id,
            reason: reason.get_untracked(),
        };
        // The rule's own words, before any case is tried.
        if reason.with_untracked(|r| r.trim().is_empty()) {
            problem.set(Some(Problem::Rule(RuleViolation::TextRequired {
                field: "reason".into(),
            })));
            return;
        }
        let ceiling = crate::state::now() + Duration::minutes(5);
        if let Err(found) = validate_action(&action, ceiling) {
            problem.set(Some(Problem::Reason(found)));
            return;
        }
        busy.set(true);
        outcome.set(None);
        let ids = cases.get_untracked();
        spawn_local(async move {
            let mut done = Done::default();
            for id in ids {
                let Some(case) = ctx.cases.with_untracked(|c| c.get(&id).cloned()) else {
                    // Gone from the tablet since the list was drawn.
                    done.skipped.push((id.to_string(), Skip::Deleted));
                    continue;
                };
                let reg_no = case.registration.reg_no.to_string();
                let user = ctx
                    .session
                    .with_untracked(|s| s.as_ref().map(|s| (s.user.role, s.user.id)));
                let Some((role, me)) = user else {
                    let _ = outcome.try_set(Some(Outcome::Failed(done, RecordError::LoggedOut)));
                    let _ = busy.try_set(false);
                    return;
                };
                // As the directory stands now: a sync may have brought a
                // change since the form was filled.
                let (settings, eligible, still_gone) = ctx.config.with_untracked(|c| {
                    (
                        c.settings.clone(),
                        c.users
                            .iter()
                            .any(|u| u.id == to_id && u.may_be_first_responder(property)),
                        responder_gone(&case, &c.users),
                    )
                });
                if !still_gone {
                    done.skipped.push((reg_no, Skip::ChangedMeanwhile));
                    continue;
                }
                if !eligible {
                    done.skipped.push((reg_no, Skip::NotTheirs));
                    continue;
                }
                let now = crate::state::now();
                if let Err(v) =
                    shared::workflow::check_new(&case, me, role, &action, &settings, now)
                {
                    done.skipped.push((reg_no, Skip::Rule(v)));
                    continue;
                }
                let made = action.clone();
                match ctx.record(id, Some(case.state), move |_, _| Ok(made)).await {
                    Ok(_) => done.changed += 1,
                    // The case alone: deleted meanwhile by retention.
                    Err(RecordError::CaseDeleted) => {
                        done.skipped.push((reg_no, Skip::Deleted));
                    }
                    Err(e) => {
                        let _ = outcome.try_set(Some(Outcome::Failed(done, e)));
                        let _ = busy.try_set(false);
                        return;
                    }
                }
            }
            // Done with when every case was handed over, or none is left to
            // (deleted, or its first responder back meanwhile): its draft
            // goes with it, forgotten here, since the form itself goes once
            // no case is left. A case still waiting keeps the form, and
            // what was typed stays in it, to try again.
            let left = cases.try_with_untracked(Vec::len).unwrap_or(0);
            let finished = done.skipped.is_empty() || left == 0;
            let _ = outcome.try_set(Some(Outcome::Done(done)));
            let _ = busy.try_set(false);
            if finished {
                let _ = to.try_set(String::new());
                let _ = reason.try_set(String::new());
                if let Some(key) = done_key.try_get_value().flatten() {
                    draft::keep::<Typed>(&key, None);
                }
            }
        });
    };
    move || {
        let l = ctx.lang.get();
        let n = cases.with(Vec::len);
        let name = ctx.config.with(|c| {
            c.property(property)
                .map_or_else(String::new, |p| p.name.clone())
        });
        // Who may answer for this property's cases, as the directory
        // stands (it follows a sync that brings a new colleague).
        let options = ctx.config.with(|c| {
            c.users
                .iter()
                .filter(|u| u.may_be_first_responder(property))
                .map(|u| {
                    let id = u.id.to_string();
                    let selected = to.with_untracked(|t| *t == id);
                    view! {
                        <option value=id selected=selected>
                            {crate::i18n::colleague(u, l)}
                        </option>
                    }
                })
                .collect_view()
        });
        view! {
            <form class="card handover" data-testid="handover" data-property=property.to_string()
                on:submit=submit>
                <p>{match l {
                    Lang::ZhCn => format!("{name}：{n} 张工单的首问责任人已离岗，可一并更换为："),
                    Lang::En => format!("{name}: the first responder of {n} case(s) is gone; hand them all to:"),
                }}</p>
                <label class="field">
                    <span>{l.pick("新的首问责任人", "New first responder")}</span>
                    <select data-testid="handover-to" prop:value=move || to.get()
                        on:change=move |ev| to.set(event_target_value(&ev))>
                        <option value="">{l.pick("（请选择）", "(choose)")}</option>
                        {options}
                    </select>
                    {beside(problem, Field::To)}
                </label>
                <label class="field">
                    <span>{l.pick("原因（如：离职、调岗）", "Why (left, moved…)")}</span>
                    <input type="text" data-testid="handover-reason" prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))/>
                    {beside(problem, Field::Reason)}
                </label>
                <button type="submit" class="btn primary" data-testid="handover-submit"
                    disabled=move || busy.get()>
                    {l.pick("一并更换", "Hand them all over")}
                </button>
            </form>
        }
    }
}

/// Why one case was left as it was.
#[derive(Debug, Clone)]
enum Skip {
    /// The workflow refuses it (already theirs, closed meanwhile…).
    Rule(RuleViolation),
    /// The colleague chosen may not answer for it (no longer of its
    /// property, disabled, another role) as the directory stands now.
    NotTheirs,
    /// Deleted by retention meanwhile.
    Deleted,
    /// Its first responder was changed meanwhile (a colleague's change
    /// that a sync brought), or is back.
    ChangedMeanwhile,
}

/// What a hand-over did: how many changed, and which were left, why.
#[derive(Debug, Clone, Default)]
struct Done {
    changed: usize,
    skipped: Vec<(String, Skip)>,
}

/// What is typed into one property's form, kept as its draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Typed {
    to: String,
    reason: String,
}

/// The two inputs a refusal can be about.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    To,
    Reason,
}

/// Why a form was not sent, said beside its input.
#[derive(Debug, Clone)]
enum Problem {
    /// No colleague was chosen.
    NoOneChosen,
    /// The colleague chosen may no longer answer for the property's cases
    /// (moved, disabled, another role) as the directory stands now.
    NoLongerEligible,
    /// No reason was given, in the rule's words.
    Rule(RuleViolation),
    /// The reason breaks a bound (too long, a control character…).
    Reason(Vec<FieldError>),
}

impl Problem {
    fn field(&self) -> Field {
        match self {
            Problem::NoOneChosen | Problem::NoLongerEligible => Field::To,
            Problem::Rule(_) | Problem::Reason(_) => Field::Reason,
        }
    }

    fn message(&self, l: Lang) -> String {
        match self {
            Problem::NoOneChosen => l
                .pick("请选择新的首问责任人", "Choose the new first responder")
                .into(),
            Problem::NoLongerEligible => l
                .pick(
                    "所选同事已不能负责本项目的工单（已调离或停用），请重新选择",
                    "The colleague chosen can no longer answer for this property's cases (moved or disabled); choose again",
                )
                .into(),
            Problem::Rule(v) => v.message(l),
            Problem::Reason(found) => found
                .iter()
                .map(|e| e.error.message(l))
                .collect::<Vec<_>>()
                .join(l.pick("；", "; ")),
        }
    }
}

/// `problem`'s message under the input for `field`, when it is about it.
fn beside(problem: RwSignal<Option<Problem>>, field: Field) -> impl IntoView {
    let ctx = use_app();
    move || {
        problem.with(|p| {
            p.as_ref().filter(|p| p.field() == field).map(|p| {
                view! { <span class="field-error" data-testid="handover-problem">{p.message(ctx.lang.get())}</span> }
            })
        })
    }
}

/// What a hand-over came to, worded when shown.
#[derive(Debug, Clone)]
enum Outcome {
    /// Every case was seen to.
    Done(Done),
    /// The tablet stopped recording partway.
    Failed(Done, RecordError),
}

impl Outcome {
    fn is_trouble(&self) -> bool {
        match self {
            Outcome::Done(d) => !d.skipped.is_empty(),
            Outcome::Failed(..) => true,
        }
    }

    fn message(&self, l: Lang) -> String {
        let done = |d: &Done| {
            let mut said = match l {
                Lang::ZhCn => format!("已更换 {} 张工单的首问责任人", d.changed),
                Lang::En => format!("The first responder of {} case(s) was changed", d.changed),
            };
            for (reg_no, skip) in &d.skipped {
                let why = match skip {
                    Skip::Rule(v) => v.message(l),
                    Skip::NotTheirs => l
                        .pick(
                            "所选人员已不能负责该工单的项目",
                            "the colleague chosen can no longer answer for its property",
                        )
                        .into(),
                    Skip::ChangedMeanwhile => l
                        .pick(
                            "其首问责任人已由他人更换或已恢复在岗",
                            "its first responder was changed meanwhile, or is back",
                        )
                        .into(),
                    Skip::Deleted => l
                        .pick(
                            "工单已按保存期限删除",
                            "deleted at the end of its retention",
                        )
                        .into(),
                };
                said.push_str(&match l {
                    Lang::ZhCn => format!("；{reg_no} 未更换：{why}"),
                    Lang::En => format!("; {reg_no} not changed: {why}"),
                });
            }
            said
        };
        match self {
            Outcome::Done(d) => done(d),
            Outcome::Failed(d, e) => format!(
                "{}{}{}",
                done(d),
                l.pick("；其余未能保存：", "; the rest could not be saved: "),
                e.message(l)
            ),
        }
    }
}
