//! 批量更换首问责任人: when a staff member leaves with a drawer of open
//! cases, the property's manager names one colleague for all of them from
//! 我的待办, rather than opening each case. Each case gets its own
//! `change_responder` op, checked as the case's own form checks it.

use crate::state::use_app;
use chrono::Duration;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::id::{CaseId, PropertyId, UserId};
use shared::inbox::Reason;
use shared::lang::{Coded, Lang};
use shared::op::Action;
use shared::validation::validate_action;
use std::collections::BTreeSet;

/// The card above the inbox's items, while some open case's first
/// responder is gone ([`Reason::ResponderGone`]); nothing otherwise.
#[component]
pub fn Handover() -> impl IntoView {
    let ctx = use_app();
    let gone = Memo::new(move |_| {
        ctx.inbox.with(|items| {
            items
                .iter()
                .filter(|i| i.reasons.contains(&Reason::ResponderGone))
                .map(|i| i.case)
                .collect::<Vec<CaseId>>()
        })
    });
    let to = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    // What the last try came to, worded when shown.
    let outcome = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Ok(to) = to.get_untracked().parse::<uuid::Uuid>().map(UserId) else {
            outcome.set(Some(Outcome::NoOneChosen));
            return;
        };
        if reason.with_untracked(|r| r.trim().is_empty()) {
            outcome.set(Some(Outcome::NoReason));
            return;
        }
        let action = Action::ChangeResponder {
            to,
            reason: reason.get_untracked(),
        };
        let ceiling = crate::state::now() + Duration::minutes(5);
        if let Err(found) = validate_action(&action, ceiling) {
            let l = ctx.lang.get_untracked();
            let said = found
                .iter()
                .map(|e| e.error.message(l))
                .collect::<Vec<_>>()
                .join(l.pick("；", "; "));
            outcome.set(Some(Outcome::Refused(said)));
            return;
        }
        busy.set(true);
        outcome.set(None);
        let cases = gone.get_untracked();
        spawn_local(async move {
            let (mut changed, mut refused) = (0usize, Vec::new());
            for id in cases {
                let Some(case) = ctx.cases.with_untracked(|c| c.get(&id).cloned()) else {
                    continue;
                };
                let (Some(role), settings) = (
                    ctx.role(),
                    ctx.config.with_untracked(|c| c.settings.clone()),
                ) else {
                    break;
                };
                let now = crate::state::now();
                if let Err(v) = shared::workflow::check_new(&case, role, &action, &settings, now) {
                    refused.push((case.registration.reg_no.to_string(), v));
                    continue;
                }
                let made = action.clone();
                match ctx.record(id, Some(case.state), move |_, _| Ok(made)).await {
                    Ok(_) => changed += 1,
                    Err(e) => {
                        let l = ctx.lang.get_untracked();
                        let _ = outcome.try_set(Some(Outcome::Failed(changed, e.message(l))));
                        let _ = busy.try_set(false);
                        return;
                    }
                }
            }
            let _ = outcome.try_set(Some(Outcome::Done(changed, refused)));
            let _ = busy.try_set(false);
        });
    };
    move || {
        let cases = gone.get();
        let said = outcome.with(|o| o.as_ref().map(|o| o.message(ctx.lang.get())));
        if cases.is_empty() {
            // What was done stays in sight once the card has nothing left.
            return said
                .map(|s| view! { <p class="hint" data-testid="handover-result">{s}</p> })
                .into_any();
        }
        let l = ctx.lang.get();
        // Someone every one of the cases may be given: their properties all.
        let properties: BTreeSet<PropertyId> = ctx.cases.with_untracked(|all| {
            cases
                .iter()
                .filter_map(|id| all.get(id).map(|c| c.registration.property))
                .collect()
        });
        let options = ctx.config.with_untracked(|c| {
            c.users
                .iter()
                .filter(|u| properties.iter().all(|&p| u.may_be_first_responder(p)))
                .map(|u| {
                    let id = u.id.to_string();
                    let selected = to.with_untracked(|t| *t == id);
                    view! {
                        <option value=id selected=selected>
                            {format!("{} · {}", u.display_name, u.role.label(l))}
                        </option>
                    }
                })
                .collect_view()
        });
        let n = cases.len();
        view! {
            <form class="card handover" data-testid="handover" on:submit=submit>
                <p>{match l {
                    Lang::ZhCn => format!("{n} 张工单的首问责任人已离岗，可一并更换为："),
                    Lang::En => format!("The first responder of {n} cases is gone; hand them all to:"),
                }}</p>
                <label class="field">
                    <span>{l.pick("新的首问责任人", "New first responder")}</span>
                    <select data-testid="handover-to" prop:value=move || to.get()
                        on:change=move |ev| to.set(event_target_value(&ev))>
                        <option value="">{l.pick("（请选择）", "(choose)")}</option>
                        {options}
                    </select>
                </label>
                <label class="field">
                    <span>{l.pick("原因（如：离职、调岗）", "Why (left, moved…)")}</span>
                    <input type="text" data-testid="handover-reason" prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="btn primary" data-testid="handover-submit"
                    disabled=move || busy.get()>
                    {l.pick("一并更换", "Hand them all over")}
                </button>
                <p class="field-error" data-testid="handover-result">{said}</p>
            </form>
        }
        .into_any()
    }
}

/// What a try came to.
#[derive(Debug, Clone)]
enum Outcome {
    /// No colleague was chosen.
    NoOneChosen,
    /// No reason was given.
    NoReason,
    /// The reason breaks a bound (empty, too long…).
    Refused(String),
    /// So many were changed; those numbers were refused by the workflow.
    Done(usize, Vec<(String, shared::workflow::RuleViolation)>),
    /// So many were changed before the tablet could not record another.
    Failed(usize, String),
}

impl Outcome {
    fn message(&self, l: Lang) -> String {
        match self {
            Outcome::NoOneChosen => l
                .pick("请选择新的首问责任人", "Choose the new first responder")
                .into(),
            Outcome::NoReason => l.pick("请填写更换原因", "Say why they are changed").into(),
            Outcome::Refused(said) => said.clone(),
            Outcome::Done(n, refused) => {
                let mut said = match l {
                    Lang::ZhCn => format!("已更换 {n} 张工单的首问责任人"),
                    Lang::En => format!("The first responder of {n} cases was changed"),
                };
                for (reg_no, v) in refused {
                    said.push_str(&match l {
                        Lang::ZhCn => format!("；{reg_no} 未更换：{}", v.message(l)),
                        Lang::En => format!("; {reg_no} not changed: {}", v.message(l)),
                    });
                }
                said
            }
            Outcome::Failed(n, why) => match l {
                Lang::ZhCn => format!("已更换 {n} 张，其余未能保存：{why}"),
                Lang::En => format!("{n} changed; the rest could not be saved: {why}"),
            },
        }
    }
}
