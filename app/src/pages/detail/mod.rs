//! One case: every field, the deadline clocks, the conflicts and flagged
//! violations, the workflow actions the user's role allows now (each with
//! its form), and the timeline of every op.
//!
//! The actions offered come from `shared::workflow::allowed_actions`, and a
//! filled form is checked with `shared::validation::validate_action` (the
//! bounds of every field, shown beside it) and `shared::workflow::check`
//! before it is saved, so the rule a person sees is the rule the fold and
//! the server apply. The actions and their forms are in `actions`, the
//! forms' typed state and its reading into an action in `form`, and the
//! correction of the registration (an `edit` op) in `edit`.

mod actions;
mod drafts;
mod edit;
mod evidence;
mod form;
mod timeline;

use crate::components::leave_to;
use crate::components::related::{DuplicateLinks, RelatedLinks};
use crate::i18n;
use crate::state::{Screen, use_app};
use leptos::prelude::Action as UiAction;
use leptos::prelude::*;
use shared::case::{Case, CaseKind};
use shared::compensation::format_yuan;
use shared::id::{CaseId, OpId};
use shared::lang::{Coded, Lang};
use shared::op::Action;
use shared::role::Role;
use std::sync::Arc;

/// The detail screen of case `id`.
#[component]
pub fn Detail(id: CaseId) -> impl IntoView {
    let ctx = use_app();
    let case = Memo::new(move |_| ctx.cases.with(|m| m.get(&id).cloned()));
    // A memo of its own: the device's state changes at every sync, and
    // the screen is drawn again only when this answer does (an open form
    // drawn anew would lose the focus of whoever is typing).
    let unregistered =
        Memo::new(move |_| case.with(|c| c.as_ref().is_some_and(|c| ctx.registration_refused(c))));
    let user = ctx
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.user.id));
    let drafts = drafts::Drafts::new(id, user);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <section class="detail" data-testid="case-detail">
            <button class="btn back" data-testid="back" on:click=move |_| leave_to(ctx, Screen::List)>
                {t("← 返回列表", "← Back to the list")}
            </button>
            {move || {
                // Drawn again (a colleague's op came in), the field typed
                // in gets the focus back, and with it the keyboard.
                if let Some(focus) = crate::components::focus::remember("case-detail") {
                    crate::components::focus::restore(focus);
                }
                match case.get() {
                None if ctx.deleted.with(|d| d.contains(&id)) => view! {
                    <p class="card" data-testid="case-deleted">{t(
                        "该工单已按保存期限被管理员删除，本机副本也已移除。",
                        "An administrator deleted this case at the end of its retention period; this tablet's copy is gone too.",
                    )}</p>
                }.into_any(),
                None => view! { <p data-testid="case-missing">{t("找不到该工单", "Case not found")}</p> }.into_any(),
                // The server holds no case whose registration it refused:
                // what was typed is shown, and nothing more is recorded.
                Some(c) if unregistered.get() => view! {
                    <Header case=c.clone()/>
                    <Refused id=id/>
                    <Fields case=c.clone()/>
                    <timeline::Timeline case=c/>
                }.into_any(),
                Some(c) => view! {
                    <Header case=c.clone()/>
                    <Refused id=id/>
                    <Fields case=c.clone()/>
                    <Clocks case=c.clone()/>
                    <Problems case=c.clone() drafts=drafts/>
                    <actions::Actions case=c.clone() drafts=drafts/>
                    <edit::Edit case=c.clone() drafts=drafts/>
                    <evidence::Evidence case=c.clone() drafts=drafts/>
                    <Retention case=c.clone()/>
                    <timeline::Timeline case=c/>
                }.into_any(),
                }
            }}
        </section>
    }
}

#[component]
fn Header(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let state = case.state;
    let kind = case.registration.kind;
    let escalated = case.escalated();
    let id = case.id;
    let handled = shared::report::ResultNotice::available(&case);
    view! {
        <div class="card detail-head">
            <h2><span data-testid="detail-reg-no">{case.registration.reg_no.to_string()}</span>
                <span class="kind">{move || kind.label(ctx.lang.get())}</span></h2>
            <span class=format!("state state-{}", state.code()) data-testid="detail-state" data-state=state.code()>
                {move || state.label(ctx.lang.get())}
            </span>
            {escalated.then(|| view! { <span class="badge overdue" data-testid="escalated">{move || ctx.lang.get().pick("已上报", "Escalated")}</span> })}
            <button class="btn small" data-testid="open-print" on:click=move |_| leave_to(ctx, Screen::Print(id))>
                {move || ctx.lang.get().pick("打印记录表", "Print record")}
            </button>
            <button class="btn small" data-testid="open-receipt" on:click=move |_| leave_to(ctx, Screen::Receipt(id))>
                {move || ctx.lang.get().pick("受理回执", "Receipt")}
            </button>
            {handled.then(|| view! {
                <button class="btn small" data-testid="open-result" on:click=move |_| leave_to(ctx, Screen::Result(id))>
                    {move || ctx.lang.get().pick("结果反馈单", "Result notice")}
                </button>
            })}
        </div>
    }
}

/// This device's ops on the case that the server refused (put in
/// quarantine): the case shows without them, as the server holds it, and
/// this says what did not take effect and why, until an administrator
/// re-applies the op (it comes back in a pull) or discards it.
#[component]
fn Refused(id: CaseId) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let refused = move || {
        ctx.device.with(|d| {
            d.as_ref().map_or_else(Vec::new, |d| {
                d.refused
                    .iter()
                    .filter(|r| r.case_id == id)
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    };
    move || {
        let list = refused();
        let waiting = list.iter().any(shared::device::Refusal::waits);
        // Whether the registration itself still waits: one discarded can
        // never be re-applied, whatever later op of the case still waits.
        let registration_waits = ctx.cases.with(|cases| {
            cases
                .get(&id)
                .is_some_and(|c| list.iter().any(|r| r.op == c.registered.op && r.waits()))
        });
        (!list.is_empty()).then(|| {
            let items = list
                .into_iter()
                .map(|r| {
                    let action = ctx
                        .ops
                        .with_value(|log| log.own_op(id, r.op).map(|op| op.action.kind()));
                    let (code, message) = (r.code.clone(), r.message.clone());
                    view! {
                        <li data-testid="refused-op" data-code=r.code.clone()>
                            {move || {
                                let l = ctx.lang.get();
                                let what = action.map_or("?", |a| a.label(l));
                                let why = crate::api::refusal_words(&code, &message, l);
                                match l {
                                    Lang::ZhCn => format!("“{what}”未生效：{why}"),
                                    Lang::En => format!("\"{what}\" did not take effect: {why}"),
                                }
                            }}
                            <Typed case=id op=r.op testid="refused-text"/>
                        </li>
                    }
                })
                .collect_view();
            let unregistered = ctx
                .cases
                .with(|cases| cases.get(&id).is_some_and(|c| ctx.registration_refused(c)));
            view! {
                <div class="card problems refused" data-testid="refused">
                    <h3>{t("服务器未接受的操作", "Not accepted by the server")}</h3>
                    {if unregistered && !registration_waits {
                        view! {
                            <p data-testid="registration-refused">{t(
                                "本工单的登记已被系统管理员丢弃，服务器上没有这张工单，它不会生效。已填写的内容保留在此，供查阅或重新登记。",
                                "The administrator discarded this case's registration: the server holds no such case, and it will not take effect. What was typed stays here, to read or to register again.",
                            )}</p>
                        }.into_any()
                    } else if unregistered {
                        view! {
                            <p data-testid="registration-refused">{t(
                                "服务器未接受本工单的登记，服务器上没有这张工单，本机不能再对它进行操作。已填写的内容保留在此；请联系系统管理员在“管理 → 隔离区”处理，重新应用后即可继续。",
                                "The server did not accept this case's registration: it holds no such case, and nothing more can be done to it on this tablet. What was typed stays here; ask the administrator to settle it under Admin → Quarantine, after which the case can be worked again.",
                            )}</p>
                        }.into_any()
                    } else if !waiting {
                        view! {
                            <p>{t(
                                "以下在本机所做的操作已被系统管理员丢弃，不会生效，工单按服务器的记录显示。",
                                "The administrator discarded these actions made on this tablet: they will not take effect; the case shows as the server holds it.",
                            )}</p>
                        }.into_any()
                    } else {
                        view! {
                            <p>{t(
                                "以下在本机所做的操作被服务器隔离，工单按服务器的记录显示。请联系系统管理员在“管理 → 隔离区”重新应用或丢弃。",
                                "The server quarantined these actions made on this tablet; the case shows as the server holds it. Ask the administrator to re-apply or discard them under Admin → Quarantine.",
                            )}</p>
                        }.into_any()
                    }}
                    <ul>{items}</ul>
                </div>
            }
        })
    }
}

/// What was typed in the op `op` of `case` that the case does not show
/// (refused, in conflict or breaking a rule): it can still be read,
/// copied and typed again, and weighed before a conflict is settled.
#[component]
pub(crate) fn Typed(case: CaseId, op: OpId, testid: &'static str) -> impl IntoView {
    let ctx = use_app();
    // As the reader may see it: the op log keeps what a colleague typed on
    // this tablet whole.
    let seen = ctx
        .cases
        .with_untracked(|cases| ctx.shown(cases.get(&case).map(|c| &**c)));
    let texts = ctx.ops.with_value(|log| {
        log.own_op(case, op)
            .map(|o| shared::validation::action_texts(&seen.op(o).action))
            .unwrap_or_default()
    });
    let items = texts
        .into_iter()
        .map(|(field, value)| {
            view! {
                <div class="kv" data-testid=testid>
                    <dt>{move || i18n::change_field(&field, ctx.lang.get())}</dt>
                    <dd>{value}</dd>
                </div>
            }
        })
        .collect_view();
    view! { <dl class="typed-texts">{items}</dl> }
}

/// One labelled value.
fn row(label: impl Fn() -> &'static str + Send + Sync + 'static, value: String) -> impl IntoView {
    view! { <div class="kv"><dt>{label}</dt><dd>{value}</dd></div> }
}

/// The complainant's phone. Ops are pulled once, so a tablet that pulled
/// the registration before the case was assigned to its user holds the
/// phone masked; when the user now may see it (`AppCtx::shown`: a
/// department head handling the case), it is read from the server, online.
#[component]
fn PhoneValue(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let held = case
        .registration
        .complainant
        .phone
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let id = case.id;
    let ask = held.contains('*') && ctx.shown(Some(&case)).phone;
    let fetched = LocalResource::new(move || async move {
        let token = ctx.token().filter(|_| ask)?;
        crate::api::case_phone(&token, id).await.ok().flatten()
    });
    view! {
        <span data-testid="detail-phone">{move || fetched.get().flatten().unwrap_or_else(|| held.clone())}</span>
    }
}

#[component]
fn Fields(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let l = ctx.lang.get_untracked();
    let config = ctx.config.get_untracked();
    let tz = config.settings.tz();
    let r = &case.registration;
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let place = config
        .property(r.property)
        .map(|p| format!("{} {}", p.name, p.describe_in(&r.location, l)))
        .unwrap_or_default();
    let mut rows = vec![
        row(t("类型", "Kind"), r.kind.label(l).into()).into_any(),
        row(t("位置", "Location"), place).into_any(),
        row(
            {
                let kind = r.kind;
                move || kind.person(ctx.lang.get())
            },
            match (r.complainant.anonymous, r.complainant.name.is_empty()) {
                (true, true) => l.pick("匿名", "Anonymous").to_string(),
                (true, false) => format!(
                    "{} {}",
                    r.complainant.name,
                    l.pick("（匿名）", "(anonymous)")
                ),
                (false, _) => r.complainant.name.clone(),
            },
        )
        .into_any(),
        view! { <div class="kv"><dt>{t("联系电话", "Phone")}</dt><dd><PhoneValue case=case.clone()/></dd></div> }
            .into_any(),
        row(t("受理渠道", "Channel"), r.channel_text(l)).into_any(),
        row(t("受理时间", "Received"), i18n::fmt_time(r.received_at, tz)).into_any(),
        row(
            t("登记", "Recorded"),
            format!(
                "{} · {}",
                i18n::fmt_time(case.registered.at, tz),
                config.user_name(case.registered.by)
            ),
        )
        .into_any(),
    ];
    // Changed by management: who answers for it now.
    if !case.responder_changes.is_empty() {
        let name = config.user_name(case.first_responder());
        rows.push(
            view! {
                <div class="kv" data-testid="first-responder">
                    <dt>{t("首问责任人", "First responder")}</dt><dd>{name}</dd>
                </div>
            }
            .into_any(),
        );
    }
    rows.extend([
        row(t("类别", "Category"), config.category_name(&r.category, l)).into_any(),
        row(t("内容", "Content"), r.content.clone()).into_any(),
        row(t("诉求", "Requested remedy"), r.requested_remedy.clone()).into_any(),
        view! { <RelatedLinks case=case.clone()/> }.into_any(),
        view! { <DuplicateLinks case=case.clone()/> }.into_any(),
    ]);
    if let Some(a) = &case.assessment {
        rows.push(
            row(
                t("评估", "Assessment"),
                format!(
                    "{}{}{} {}",
                    a.severity.label(l),
                    // Validity is a complaint's; a repair's carries the
                    // form's default.
                    if case.registration.kind == CaseKind::Complaint {
                        format!(" · {}", a.validity.label(l))
                    } else {
                        String::new()
                    },
                    if a.urgent {
                        l.pick(" · 紧急", " · urgent")
                    } else {
                        ""
                    },
                    a.reason
                ),
            )
            .into_any(),
        );
        if !(a.respondent.is_empty() && a.respondent_department.is_empty()) {
            rows.push(
                row(
                    t("被投诉人/部门", "Complained about"),
                    [a.respondent.as_str(), a.respondent_department.as_str()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · "),
                )
                .into_any(),
            );
        }
    }
    if let Some(a) = &case.assignee {
        rows.push(
            row(
                t("责任部门/人", "Assigned to"),
                format!("{} · {}", a.department, a.name),
            )
            .into_any(),
        );
    }
    for h in &case.handovers {
        // The first is an assignment (派单), with no one before.
        let (label, from) = match &h.from {
            None => (t("派单", "Assignment"), String::new()),
            Some(f) => (t("转办", "Handover"), format!("{} → ", f.name)),
        };
        rows.push(
            row(
                label,
                format!(
                    "{from}{}{} {} {}",
                    h.to.name,
                    match l {
                        Lang::ZhCn => format!("（{}）", h.to.department),
                        Lang::En => format!(" ({})", h.to.department),
                    },
                    i18n::fmt_time(h.stamp.at, tz),
                    h.note
                ),
            )
            .into_any(),
        );
    }
    for n in &case.notes {
        rows.push(
            row(
                t("记录", "Note"),
                format!(
                    "[{}] {} · {}",
                    n.kind.label(l),
                    n.text,
                    config.user_name(n.stamp.by)
                ),
            )
            .into_any(),
        );
    }
    if let Some(s) = &case.solution {
        let approval = s.approval.label(l);
        rows.push(
            row(t("处理方案", "Solution"), {
                // A compensation only when there is one, as the record
                // sheet says it.
                let compensation = match (s.compensation_fen, l) {
                    (0, _) => String::new(),
                    (fen, Lang::ZhCn) => format!(" · 赔偿 {} 元（{approval}）", format_yuan(fen)),
                    (fen, Lang::En) => {
                        format!(" · compensation ¥{} ({approval})", format_yuan(fen))
                    }
                };
                format!(
                    "{} · {} · {}{compensation}",
                    s.measures,
                    s.responsible,
                    s.planned_date.map(|d| d.to_string()).unwrap_or_default(),
                )
            })
            .into_any(),
        );
    }
    // Each decision on the compensation, with the approver's reason: a
    // refusal sends the case back, and who handles it needs to know why.
    for a in &case.approvals {
        let decided = match a.approved {
            true => l.pick("批准", "approved"),
            false => l.pick("驳回", "refused"),
        };
        let amount = match l {
            Lang::ZhCn => format!("{} 元", format_yuan(a.amount_fen)),
            Lang::En => format!("¥{}", format_yuan(a.amount_fen)),
        };
        rows.push(
            row(
                t("赔偿审批", "Compensation decision"),
                format!(
                    "{decided} {amount} · {}{}",
                    config.user_name(a.stamp.by),
                    match a.comment.is_empty() {
                        true => String::new(),
                        false => format!(" {}", a.comment),
                    }
                ),
            )
            .into_any(),
        );
    }
    if let Some(res) = &case.resolution {
        rows.push(row(t("处理结果", "Resolution"), res.result.clone()).into_any());
        let told = match res.feedback_at {
            Some(at) => {
                let by = res
                    .feedback_by
                    .as_ref()
                    .map(|b| format!(" · {}", config.user_name(b.by)))
                    .unwrap_or_default();
                format!(
                    "{} · {}{by} {}",
                    res.feedback_method.label(l),
                    i18n::fmt_time(at, tz),
                    res.feedback_note
                )
            }
            // A follow-up call since the result tells it, if nobody had
            // (the fold meets the feedback clock so).
            None => match case
                .follow_ups
                .iter()
                .find(|f| !f.spot_check && f.stamp.at >= res.stamp.at)
            {
                Some(f) => format!(
                    "{} · {} · {} {}",
                    f.method.label(l),
                    i18n::fmt_time(f.stamp.at, tz),
                    config.user_name(f.stamp.by),
                    l.pick("（回访时告知）", "(told at the follow-up)")
                ),
                None => l.pick("尚未告知住户", "Not told yet").into(),
            },
        };
        rows.push(row(t("结果反馈", "Result told"), told).into_any());
    }
    for f in &case.follow_ups {
        rows.push(
            row(
                if f.spot_check {
                    t("抽查回访", "Spot-check call")
                } else {
                    t("回访", "Follow-up")
                },
                format!(
                    "{} · {} ({}){} {}",
                    f.method.label(l),
                    i18n::satisfaction(f.satisfaction, l),
                    f.satisfaction,
                    f.ratings.map(|r| i18n::ratings(r, l)).unwrap_or_default(),
                    f.comment
                ),
            )
            .into_any(),
        );
    }
    for e in &case.escalations {
        rows.push(
            row(
                t("上报", "Escalation"),
                format!(
                    "{}{} · {}",
                    e.to_role.label(l),
                    match e.skip_level {
                        true => l.pick("（越级）", " (skip-level)"),
                        false => "",
                    },
                    e.reason
                ),
            )
            .into_any(),
        );
    }
    for e in &case.extensions {
        rows.push(
            row(
                t("延期", "Extension"),
                format!("+{} · {}", e.working_days, e.reason),
            )
            .into_any(),
        );
    }
    if let Some(s) = &case.suggestion {
        rows.push(
            row(
                t("建议处理", "Suggestion"),
                format!(
                    "{} · {} {}{}",
                    if s.accepted {
                        l.pick("采纳", "accepted")
                    } else {
                        l.pick("不采纳", "declined")
                    },
                    s.reason,
                    s.plan.clone().unwrap_or_default(),
                    s.publish_on
                        .map(|d| format!("{}{d}", l.pick(" · 公示日期 ", " · published on ")))
                        .unwrap_or_default()
                ),
            )
            .into_any(),
        );
    }
    if let Some(w) = &case.withdrawal {
        rows.push(row(t("撤回", "Withdrawn"), w.reason.clone()).into_any());
    }
    if let Some(v) = &case.voiding {
        rows.push(row(t("作废", "Voided"), v.reason.clone()).into_any());
    }
    if let Some(c) = &case.closure {
        rows.push(
            row(
                t("结案", "Closed"),
                format!("{} {}", c.corrective_action, c.verification),
            )
            .into_any(),
        );
    }
    if case.reopen_count > 0 {
        rows.push(row(t("重新处理次数", "Reopened"), case.reopen_count.to_string()).into_any());
    }
    view! { <dl class="card fields" data-testid="case-fields">{rows}</dl> }
}

#[component]
fn Clocks(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    // A clock the calendar cannot compute (its year is not loaded yet) is
    // said, not left out silently: it appears once an admin loads the year.
    let problems = case
        .deadline_problems
        .iter()
        .map(|p| {
            let clock = p.clock;
            let code = p.code.clone();
            let why = move || {
                let l = ctx.lang.get();
                let words = crate::api::code_words(&code, l);
                format!("{}{words}", l.pick("无法计算截止时间：", "No due time: "))
            };
            view! {
                <tr data-testid="clock-problem" data-clock=clock.code()>
                    <td>{move || clock.label(ctx.lang.get())}</td>
                    <td colspan="3" class="status-overdue">{why}</td>
                </tr>
            }
        })
        .collect_view();
    let rows = move || {
        let l = ctx.lang.get();
        let now = ctx.now.get();
        let (tz, due_soon) = ctx.config.with(|c| {
            let tz = c.settings.tz();
            (tz, c.settings.deadlines.due_soon(tz))
        });
        case.deadlines
            .iter()
            .map(|c| {
                let status = case.clock_status(c, now, due_soon);
                let remaining = if c.met_at.is_none() {
                    i18n::due_text(c.due_at, case.clocks_read_at(now), l)
                } else {
                    String::new()
                };
                view! {
                    <tr data-testid="clock" data-clock=c.clock.code() data-status=status.code()>
                        <td>{c.clock.label(l)}</td>
                        <td>{i18n::fmt_time(c.started_at, tz)}</td>
                        <td>{i18n::fmt_time(c.due_at, tz)}</td>
                        <td class=format!("status-{}", status.code())>{status.label(l)} " " {remaining}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <div class="card">
            <h3>{t("时限", "Deadlines")}</h3>
            <table class="clocks">
                <thead><tr>
                    <th>{t("时限", "Clock")}</th><th>{t("开始", "Started")}</th>
                    <th>{t("截止", "Due")}</th><th>{t("状态", "Status")}</th>
                </tr></thead>
                <tbody>{rows}{problems}</tbody>
            </table>
        </div>
    }
}

/// The name in a conflicted assign op whose user may no longer be given
/// the case (disabled, moved, or unknown here): applying it would be set
/// aside by the server, so only dismissing it is offered.
fn gone_assignee(case: &Case, op: OpId) -> Option<String> {
    let ctx = use_app();
    let (user, name) = ctx.ops.with_value(|log| {
        log.ops_of(case.id)
            .iter()
            .find(|o| o.id == op)
            .and_then(|o| match &o.action {
                Action::Assign {
                    user: Some(user),
                    name,
                    ..
                } => Some((*user, name.clone())),
                _ => None,
            })
    })?;
    let property = case.registration.property;
    let takes = ctx.config.with(|c| {
        c.users
            .iter()
            .any(|u| u.id == user && u.may_be_assigned(property))
    });
    (!takes).then_some(name)
}

#[component]
fn Problems(case: Arc<Case>, drafts: drafts::Drafts) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let has = !case.conflicts.is_empty() || !case.violations.is_empty();
    let state = case.state;
    let case_id = case.id;
    let kind = case.registration.kind;
    // Settles a conflict: applies the conflicting op after all, or not.
    let settle = move |(op, apply): (OpId, bool)| {
        ctx.record(case_id, Some(state), move |_, _| {
            Ok(Action::ResolveConflict {
                conflict_op: op,
                apply,
                note: String::new(),
            })
        })
    };
    let conflicts = case
        .conflicts
        .iter()
        .map(|c| {
            let op = c.op;
            let open = c.resolved_by.is_none();
            let action = c.action;
            let (expected, found) = (c.expected, c.found);
            let who = ctx.config.with_untracked(|cfg| cfg.user_name(c.stamp.by));
            // Its author, or someone who may take the action themselves
            // (the server sets anyone else's settlement aside).
            let author = c.stamp.by;
            let who_settles = who.clone();
            let may = |apply| {
                ctx.actor().is_some_and(|a| {
                    shared::workflow::may_settle(a.user, a.role, author, action, kind, apply)
                })
            };
            // Applied, an assign passes the case on: a department head's
            // only of a case they handle or no one has (`may_assign`).
            let passes_on = action != shared::op::ActionKind::Assign || ctx.may_assign(&case);
            // A refusal of a compensation approved first (by HLC) found
            // the state it expected: applied, it would decide again what
            // is decided, so it is only dismissed.
            let overruled = expected == found;
            // Applied, the action is checked against the case as it is now
            // (`workflow::check_applied`): one the state no longer allows
            // (a second start, a resolve after a resolve), or a decision on
            // a compensation proposed again since, would only be kept as a
            // violation, the conflict still open.
            let still_allowed = ctx.ops.with_value(|log| {
                log.ops_of(case.id).iter().find(|o| o.id == op).is_some_and(|original| {
                    ctx.config.with_untracked(|cfg| {
                        shared::workflow::check_applied(
                            &case,
                            c,
                            (original, shared::op::SCHEMA_VERSION),
                            &cfg.settings,
                        )
                        .is_ok()
                    })
                })
            });
            let (mine, may_apply) = (
                may(false),
                may(true) && passes_on && !overruled && still_allowed,
            );
            // Reads the colleagues as they come: a sync may bring the news.
            let gone = {
                let case = Arc::clone(&case);
                Memo::new(move |_| open.then(|| gone_assignee(&case, op)).flatten())
            };
            // One settlement of a conflict at a time: a second tap before
            // the first is saved would record a second, which the fold can
            // only keep as a violation (the conflict is settled by then).
            // The screen's `settling` guards it, as this card is drawn
            // again whenever the case changes (photos saved meanwhile).
            let resolve_conflict = UiAction::new_local(move |&choice: &(OpId, bool)| {
                let settled = settle(choice);
                async move {
                    let result = settled.await;
                    let _ = drafts.settling.try_update(|s| s.retain(|o| *o != op));
                    result
                }
            });
            let resolve = move |apply: bool| {
                move |_| {
                    if !drafts.settling.with_untracked(|s| s.contains(&op)) {
                        drafts.settling.update(|s| s.push(op));
                        resolve_conflict.dispatch_local((op, apply));
                    }
                }
            };
            let settling = move || drafts.settling.with(|s| s.contains(&op));
            view! {
                <li class="conflict" data-testid="conflict" data-open=open.to_string() data-action=action.code()>
                    {move || {
                        let l = ctx.lang.get();
                        match l {
                            Lang::ZhCn if overruled => format!(
                                "冲突：{who} 的“{}”晚于另一位审批人已作出的批准，未生效",
                                action.label(l)
                            ),
                            Lang::En if overruled => format!(
                                "Conflict: {who}'s \"{}\" came after another approver had approved it, and did not apply",
                                action.label(l).to_lowercase()
                            ),
                            Lang::ZhCn => format!(
                                "冲突：{who} 的“{}”基于状态“{}”，但工单已是“{}”",
                                action.label(l), expected.label(l), found.label(l)
                            ),
                            Lang::En => format!(
                                "Conflict: {who}'s \"{}\" expected \"{}\" but the case was \"{}\"",
                                action.label(l), expected.label(l), found.label(l)
                            ),
                        }
                    }}
                    <Typed case=case_id op=op testid="conflict-text"/>
                    {move || gone.get().map(|name| view! {
                        <p class="hint" data-testid="conflict-unassignable">
                            {move || match ctx.lang.get() {
                                Lang::ZhCn => format!("无法执行：{name} 已不能接收本项目的工单，请忽略后重新指派"),
                                Lang::En => format!("Cannot apply: {name} no longer takes this property's cases; dismiss it and assign again"),
                            }}
                        </p>
                    })}
                    {if open && !mine {
                        let who = who_settles.clone();
                        view! {
                            <p class="hint" data-testid="conflict-not-mine">
                                {move || match ctx.lang.get() {
                                    Lang::ZhCn => format!("由 {who} 或有权进行该操作的人员处理"),
                                    Lang::En => format!("For {who}, or someone who may take the action, to settle"),
                                }}
                            </p>
                        }.into_any()
                    } else if open {
                        view! {
                            <span class="buttons">
                                {move || (may_apply && gone.with(Option::is_none)).then(|| view! {
                                    <button class="btn small" data-testid="conflict-apply" disabled=settling on:click=resolve(true)>{t("仍然执行", "Apply it")}</button>
                                })}
                                <button class="btn small" data-testid="conflict-dismiss" disabled=settling on:click=resolve(false)>{t("忽略", "Dismiss")}</button>
                            </span>
                        }.into_any()
                    } else {
                        view! { <span class="resolved">{t("（已处理）", " (resolved)")}</span> }.into_any()
                    }}
                    {move || {
                        resolve_conflict
                            .value()
                            .with(|v| v.as_ref()?.as_ref().err().map(|e| e.message(ctx.lang.get())))
                            .map(|message| view! { <p class="error">{message}</p> })
                    }}
                </li>
            }
        })
        .collect_view();
    let violations = case
        .violations
        .iter()
        .map(|v| {
            let rule = v.rule.clone();
            let action = v.action;
            let code = rule.code();
            let op = v.op;
            view! {
                <li class="violation" data-testid="violation" data-code=code>
                    {move || {
                        let l = ctx.lang.get();
                        format!("{}{}{}", action.label(l), l.pick("：", ": "), rule.message(l))
                    }}
                    <Typed case=case_id op=op testid="violation-text"/>
                </li>
            }
        })
        .collect_view();
    has.then(|| {
        view! {
            <div class="card problems" data-testid="problems">
                <h3>{t("待处理的冲突与流程问题", "Conflicts and flagged rules")}</h3>
                <ul>{conflicts}{violations}</ul>
            </div>
        }
    })
}

/// The admin's audited deletion of a case whose retention period has
/// passed (closed or withdrawn long enough ago, and not major). The server
/// decides and refuses otherwise; nothing is ever deleted automatically.
/// Online only. Every device drops the case at its next sync (a tombstone,
/// `crate::tombstone`); this one syncs at once.
#[component]
fn Retention(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let is_admin = ctx.role() == Some(Role::Admin);
    let finished = !case.state.is_open();
    let id = case.id;
    let confirm = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let delete_case = UiAction::new_local(move |&(): &()| async move {
        let Some(token) = ctx.token() else {
            return;
        };
        let l = ctx.l();
        let result = crate::api::admin::delete_case(&token, id).await;
        message.set(Some(match result {
            Ok(_) => {
                crate::sync::request(ctx);
                l.pick(
                    "已从服务器删除并记入审计日志；各设备下次同步时移除该工单。",
                    "Deleted on the server and audited; every device removes it at its next sync.",
                )
                .to_string()
            }
            Err(e) => match e.code().unwrap_or_default() {
                "retention.too_young" => l
                    .pick(
                        "未到保存期限，不能删除。",
                        "Still within its retention period.",
                    )
                    .to_string(),
                "retention.major_case" => l
                    .pick(
                        "重大工单长期保存，不能删除。",
                        "Major cases are kept long-term.",
                    )
                    .to_string(),
                "retention.not_closed" => l
                    .pick(
                        "只有已结案、已撤回或已作废的工单可以删除。",
                        "Only closed or withdrawn cases may be deleted.",
                    )
                    .to_string(),
                _ => e.message(l),
            },
        }));
    });
    let delete = move |_| {
        if ctx.token().is_none() {
            return;
        }
        confirm.set(false);
        delete_case.dispatch_local(());
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    (is_admin && finished).then(|| {
        view! {
            <div class="card retention" data-testid="retention">
                <h3>{t("数据保留", "Retention")}</h3>
                <p class="hint">{t(
                    "结案满保存期限（默认 1 年）的非重大工单可由管理员删除；删除会记入审计日志。",
                    "An administrator may delete a non-major case once its retention period (1 year by default) has passed; the deletion is audited.",
                )}</p>
                // The question comes first, so 确认删除 is not where 删除该工单
                // was: a double tap would delete the case for good.
                <Show when=move || !confirm.get() fallback=move || view! {
                    <p class="discard">{t("删除后无法恢复，确定删除该工单？", "A deletion cannot be undone. Delete this case?")}</p>
                    <button class="btn" on:click=move |_| confirm.set(false)>{t("取消", "Cancel")}</button>
                    <button class="btn danger" data-testid="retention-confirm" on:click=delete>{t("确认删除", "Confirm deletion")}</button>
                }>
                    <button class="btn danger" data-testid="retention-delete"
                        disabled=move || delete_case.pending().get()
                        on:click=move |_| confirm.set(true)>
                        {move || if delete_case.pending().get() {
                            t("正在删除…", "Deleting…")()
                        } else {
                            t("删除该工单", "Delete this case")()
                        }}
                    </button>
                </Show>
                <p class="hint" data-testid="retention-result">{move || message.get()}</p>
            </div>
        }
    })
}
