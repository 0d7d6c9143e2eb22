//! One case: every field, the deadline clocks, the conflicts and flagged
//! violations, the workflow actions the user's role allows now (each with
//! its form), and the timeline of every op.
//!
//! The actions offered come from `shared::workflow::allowed_actions`, and a
//! filled form is checked with `shared::validation::validate_action` (the
//! bounds of every field, shown beside it) and `shared::workflow::check`
//! before it is saved, so the rule a person sees is the rule the fold and
//! the server apply. Nothing is saved while there is a problem, and what
//! was typed stays.

use crate::i18n;
use crate::state::{AppCtx, Screen, use_app};
use chrono::{Duration, NaiveDate};
use leptos::prelude::*;
use shared::case::{Case, ContactMethod, NoteKind, Outcome, Severity, Validity};
use shared::compensation::format_yuan;
use shared::id::{CaseId, UserId};
use shared::lang::{Coded, Lang};
use shared::op::{Action, ActionKind};
use shared::role::Role;
use shared::validation::{ValidationError, validate_action};
use shared::workflow::{allowed_actions, superior};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The detail screen of case `id`.
#[component]
pub fn Detail(id: CaseId) -> impl IntoView {
    let ctx = use_app();
    let case = Memo::new(move |_| ctx.cases.with(|m| m.get(&id).cloned()));
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <section class="detail" data-testid="case-detail">
            <button class="btn back" data-testid="back" on:click=move |_| ctx.screen.set(Screen::List)>
                {t("← 返回列表", "← Back to the list")}
            </button>
            {move || match case.get() {
                None => view! { <p data-testid="case-missing">{t("找不到该工单", "Case not found")}</p> }.into_any(),
                Some(c) => view! {
                    <Header case=c.clone()/>
                    <Fields case=c.clone()/>
                    <Clocks case=c.clone()/>
                    <Problems case=c.clone()/>
                    <Actions case=c.clone()/>
                    <Retention case=c.clone()/>
                    <Timeline case=c/>
                }.into_any(),
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
    view! {
        <div class="card detail-head">
            <h2><span data-testid="detail-reg-no">{case.registration.reg_no.to_string()}</span>
                <span class="kind">{move || kind.label(ctx.lang.get())}</span></h2>
            <span class=format!("state state-{}", state.code()) data-testid="detail-state" data-state=state.code()>
                {move || state.label(ctx.lang.get())}
            </span>
            {escalated.then(|| view! { <span class="badge overdue" data-testid="escalated">{move || ctx.lang.get().pick("已上报", "Escalated")}</span> })}
            <button class="btn small" data-testid="open-print" on:click=move |_| ctx.screen.set(Screen::Print(id))>
                {move || ctx.lang.get().pick("打印记录表", "Print record")}
            </button>
        </div>
    }
}

/// One labelled value.
fn row(label: impl Fn() -> &'static str + Send + Sync + 'static, value: String) -> impl IntoView {
    view! { <div class="kv"><dt>{label}</dt><dd>{value}</dd></div> }
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
        .map(|p| format!("{} {}", p.name, p.describe(&r.location)))
        .unwrap_or_default();
    let mut rows = vec![
        row(t("类型", "Kind"), r.kind.label(l).into()).into_any(),
        row(t("位置", "Location"), place).into_any(),
        row(t("投诉人", "Complainant"), r.complainant.name.clone()).into_any(),
        row(
            t("联系电话", "Phone"),
            r.complainant
                .phone
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
        )
        .into_any(),
        row(t("受理渠道", "Channel"), r.channel.label(l).into()).into_any(),
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
        row(t("类别", "Category"), config.category_name(&r.category, l)).into_any(),
        row(t("内容", "Content"), r.content.clone()).into_any(),
        row(t("诉求", "Requested remedy"), r.requested_remedy.clone()).into_any(),
        row(
            t("关联工单", "Related case"),
            r.related_case.clone().unwrap_or_default(),
        )
        .into_any(),
    ];
    if let Some(a) = &case.assessment {
        rows.push(
            row(
                t("评估", "Assessment"),
                format!(
                    "{} · {}{} {}",
                    i18n::severity(a.severity, l),
                    i18n::validity(a.validity, l),
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
        let from = h
            .from
            .as_ref()
            .map(|f| f.name.clone())
            .unwrap_or_else(|| "—".into());
        rows.push(
            row(
                t("转办记录", "Handover"),
                format!(
                    "{from} → {} ({}) {} {}",
                    h.to.name,
                    h.to.department,
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
                    i18n::note_kind(n.kind, l),
                    n.text,
                    config.user_name(n.stamp.by)
                ),
            )
            .into_any(),
        );
    }
    if let Some(s) = &case.solution {
        let approval = match s.approval {
            shared::case::ApprovalState::NotNeeded => l.pick("无需审批", "no approval needed"),
            shared::case::ApprovalState::Pending => l.pick("待审批", "awaiting approval"),
            shared::case::ApprovalState::Approved => l.pick("已批准", "approved"),
            shared::case::ApprovalState::Rejected => l.pick("已驳回", "refused"),
        };
        rows.push(
            row(
                t("处理方案", "Solution"),
                format!(
                    "{} · {} · {} · ¥{} ({approval})",
                    s.measures,
                    s.responsible,
                    s.planned_date.map(|d| d.to_string()).unwrap_or_default(),
                    format_yuan(s.compensation_fen)
                ),
            )
            .into_any(),
        );
    }
    if let Some(res) = &case.resolution {
        rows.push(
            row(
                t("处理结果", "Resolution"),
                format!("{} · {}", res.result, i18n::contact(res.feedback_method, l)),
            )
            .into_any(),
        );
    }
    for f in &case.follow_ups {
        rows.push(
            row(
                t("回访", "Follow-up"),
                format!(
                    "{} · {} ({}) {}",
                    i18n::contact(f.method, l),
                    i18n::satisfaction(f.satisfaction, l),
                    f.satisfaction,
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
                format!("{} · {}", e.to_role.label(l), e.reason),
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
                    "{} · {} {}",
                    if s.accepted {
                        l.pick("采纳", "accepted")
                    } else {
                        l.pick("不采纳", "declined")
                    },
                    s.reason,
                    s.plan.clone().unwrap_or_default()
                ),
            )
            .into_any(),
        );
    }
    if let Some(w) = &case.withdrawal {
        rows.push(row(t("撤诉", "Withdrawn"), w.reason.clone()).into_any());
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
    let rows = move || {
        let l = ctx.lang.get();
        let now = ctx.now.get();
        let (tz, due_soon) = ctx
            .config
            .with(|c| (c.settings.tz(), c.settings.deadlines.due_soon()));
        case.deadlines
            .iter()
            .map(|c| {
                let status = c.status(now, due_soon);
                let remaining = if c.met_at.is_none() { i18n::due_text(c.due_at, now, l) } else { String::new() };
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
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn Problems(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let has = !case.conflicts.is_empty() || !case.violations.is_empty();
    let state = case.state;
    let case_id = case.id;
    let error = RwSignal::new(None::<String>);
    let conflicts = case
        .conflicts
        .iter()
        .map(|c| {
            let op = c.op;
            let open = c.resolved_by.is_none();
            let action = c.action;
            let (expected, found) = (c.expected, c.found);
            let who = ctx.config.with_untracked(|cfg| cfg.user_name(c.stamp.by));
            let resolve = move |apply: bool| {
                move |_| {
                    leptos::task::spawn_local(async move {
                        let result = ctx
                            .record(case_id, Some(state), move |_, _| {
                                Ok(Action::ResolveConflict { conflict_op: op, apply, note: String::new() })
                            })
                            .await;
                        if let Err(e) = result {
                            error.set(Some(e));
                        }
                    });
                }
            };
            view! {
                <li class="conflict" data-testid="conflict" data-open=open.to_string() data-action=action.code()>
                    {move || {
                        let l = ctx.lang.get();
                        match l {
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
                    {if open {
                        view! {
                            <span class="buttons">
                                <button class="btn small" data-testid="conflict-apply" on:click=resolve(true)>{t("仍然执行", "Apply it")}</button>
                                <button class="btn small" data-testid="conflict-dismiss" on:click=resolve(false)>{t("忽略", "Dismiss")}</button>
                            </span>
                        }.into_any()
                    } else {
                        view! { <span class="resolved">{t("（已处理）", " (resolved)")}</span> }.into_any()
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
            view! {
                <li class="violation" data-testid="violation" data-code=code>
                    {move || {
                        let l = ctx.lang.get();
                        format!("{}：{}", action.label(l), rule.message(l))
                    }}
                </li>
            }
        })
        .collect_view();
    has.then(|| {
        view! {
            <div class="card problems" data-testid="problems">
                <h3>{t("待处理的冲突与违规", "Conflicts and flagged rules")}</h3>
                <ul>{conflicts}{violations}</ul>
                <p class="error">{move || error.get()}</p>
            </div>
        }
    })
}

#[component]
fn Actions(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let role = ctx
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.user.role));
    let Some(role) = role else {
        return ().into_any();
    };
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
        .collect();
    let open = RwSignal::new(None::<ActionKind>);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let buttons = kinds
        .into_iter()
        .map(|k| {
            view! {
                <button class="btn action" data-testid=format!("action-{}", k.code())
                    class:active=move || open.get() == Some(k)
                    on:click=move |_| open.set(Some(k))>
                    {move || k.label(ctx.lang.get())}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="card actions-card" data-testid="actions">
            <h3>{t("操作", "Actions")}</h3>
            <div class="action-buttons">{buttons}</div>
            {move || open.get().map(|k| view! { <ActionForm kind=k case=case.clone() role=role open=open/> })}
        </div>
    }
    .into_any()
}

/// The inputs of every action form, by name; each form uses a few.
type Fields = HashMap<&'static str, RwSignal<String>>;

const FIELD_NAMES: [&str; 30] = [
    "severity",
    "urgent",
    "validity",
    "reason",
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
    "to_role",
    "skip_level",
    "days",
    "corrective",
    "verification",
    "accepted",
    "plan",
    "publish_on",
    "answer",
];

#[component]
fn ActionForm(
    kind: ActionKind,
    case: Arc<Case>,
    role: Role,
    open: RwSignal<Option<ActionKind>>,
) -> impl IntoView {
    let ctx = use_app();
    let fields: Fields = FIELD_NAMES
        .iter()
        .map(|n| (*n, RwSignal::new(default_value(n, role))))
        .collect();
    // A follow-up on a finished case can only be a spot-check call (抽查回访).
    if kind == ActionKind::FollowUp && !case.state.is_open() {
        fields["spot_check"].set("1".into());
    }
    let error = RwSignal::new(None::<String>);
    // Input name → what is wrong with it, shown beside the input.
    let problems = RwSignal::new(BTreeMap::<String, FieldProblem>::new());
    let busy = RwSignal::new(false);
    let f = |name: &'static str| fields[name];
    let beside = move |name: &'static str| {
        view! {
            <span class="field-error" data-testid=format!("error-{name}")>
                {move || problems.with(|p| p.get(name).map(|p| p.message(ctx.lang.get())))}
            </span>
        }
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);

    let text = move |name: &'static str, zh: &'static str, en: &'static str| {
        let sig = f(name);
        view! {
            <label class="field">
                <span>{t(zh, en)}</span>
                <input type="text" data-testid=format!("in-{name}") prop:value=move || sig.get()
                    on:input=move |ev| sig.set(event_target_value(&ev))/>
                {beside(name)}
            </label>
        }
        .into_any()
    };
    let typed = move |name: &'static str, ty: &'static str, zh: &'static str, en: &'static str| {
        let sig = f(name);
        view! {
            <label class="field">
                <span>{t(zh, en)}</span>
                <input type=ty data-testid=format!("in-{name}") prop:value=move || sig.get()
                    on:input=move |ev| sig.set(event_target_value(&ev))/>
                {beside(name)}
            </label>
        }
        .into_any()
    };
    let check = move |name: &'static str, zh: &'static str, en: &'static str| {
        let sig = f(name);
        view! {
            <label class="check">
                <input type="checkbox" data-testid=format!("in-{name}") prop:checked=move || !sig.get().is_empty()
                    on:change=move |ev| sig.set(if event_target_checked(&ev) { "1".into() } else { String::new() })/>
                {t(zh, en)}
                {beside(name)}
            </label>
        }
        .into_any()
    };
    let select = move |name: &'static str,
                       zh: &'static str,
                       en: &'static str,
                       options: Vec<(String, String)>| {
        let sig = f(name);
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
                <select data-testid=format!("in-{name}") on:change=move |ev| sig.set(event_target_value(&ev))>{opts}</select>
                {beside(name)}
            </label>
        }
        .into_any()
    };
    let l = ctx.lang.get_untracked();
    let contacts: Vec<(String, String)> = i18n::CONTACTS
        .iter()
        .map(|m| (contact_code(*m).into(), i18n::contact(*m, l).into()))
        .collect();
    let yes_no = vec![
        ("yes".to_string(), l.pick("是", "Yes").to_string()),
        ("no".to_string(), l.pick("否", "No").to_string()),
    ];

    let inputs: Vec<AnyView> = match kind {
        ActionKind::Assess => vec![
            select(
                "severity",
                "严重程度",
                "Severity",
                [Severity::Minor, Severity::General, Severity::Major]
                    .iter()
                    .map(|s| (s.code().into(), i18n::severity(*s, l).into()))
                    .collect(),
            ),
            check(
                "urgent",
                "紧急（安全风险、可能引起媒体或监管关注）",
                "Urgent (safety, media or regulator attention)",
            ),
            select(
                "validity",
                "是否有效",
                "Validity",
                [Validity::Valid, Validity::Unfounded]
                    .iter()
                    .map(|v| (validity_code(*v).into(), i18n::validity(*v, l).into()))
                    .collect(),
            ),
            text(
                "reason",
                "说明（不成立时必填）",
                "Reason (required if unfounded)",
            ),
        ],
        ActionKind::Assign => {
            let users: Vec<(String, String)> = std::iter::once((
                String::new(),
                l.pick("（非系统用户）", "(not a user)").to_string(),
            ))
            .chain(ctx.config.with_untracked(|c| {
                c.users
                    .iter()
                    .filter(|u| u.role.works_cases() && u.active)
                    .map(|u| {
                        (
                            u.id.to_string(),
                            format!("{} · {}", u.display_name, u.role.label(l)),
                        )
                    })
                    .collect::<Vec<_>>()
            }))
            .collect();
            vec![
                text("department", "责任部门", "Department"),
                select("user", "责任人（用户）", "Responsible user", users),
                text(
                    "name",
                    "责任人姓名（未选用户时填写）",
                    "Responsible person's name (if not a user)",
                ),
                text("note", "交接说明", "Handover note"),
            ]
        }
        ActionKind::Start => vec![],
        ActionKind::Note => vec![
            select(
                "note_kind",
                "记录类型",
                "Kind",
                i18n::NOTE_KINDS
                    .iter()
                    .map(|k| (note_code(*k).into(), i18n::note_kind(*k, l).into()))
                    .collect(),
            ),
            text("text", "内容", "Text"),
        ],
        ActionKind::Propose => vec![
            text("measures", "处理措施", "Measures"),
            text("responsible", "责任人", "Responsible"),
            typed("planned_date", "date", "计划完成日期", "Planned date"),
            typed("yuan", "text", "赔偿金额（元）", "Compensation (yuan)"),
        ],
        ActionKind::Approve => vec![
            select("approved", "批准", "Approve", yes_no.clone()),
            text("comment", "意见", "Comment"),
        ],
        ActionKind::Resolve => vec![
            text("result", "处理结果", "Result"),
            select("method", "反馈方式", "Feedback by", contacts.clone()),
            check("on_the_spot", "当场解决", "Answered on the spot"),
        ],
        ActionKind::FollowUp => vec![
            select("method", "回访方式", "Method", contacts.clone()),
            select(
                "satisfaction",
                "满意度",
                "Satisfaction",
                (1..=5u8)
                    .rev()
                    .map(|n| (n.to_string(), format!("{n} · {}", i18n::satisfaction(n, l))))
                    .collect(),
            ),
            text("comment", "投诉人意见", "Comment"),
            check("spot_check", "抽查回访", "Spot-check call"),
        ],
        ActionKind::Reopen | ActionKind::Withdraw => vec![text("reason", "原因", "Reason")],
        ActionKind::Escalate => vec![
            select(
                "to_role",
                "上报给",
                "Escalate to",
                Role::ALL
                    .iter()
                    .map(|r| (r.code().into(), r.label(l).into()))
                    .collect(),
            ),
            check(
                "skip_level",
                "越级上报（直接上级无法联系）",
                "Skip level (superior unreachable)",
            ),
            text("reason", "原因", "Reason"),
        ],
        ActionKind::Extend => vec![
            typed("days", "number", "延长工作日", "Working days"),
            text("reason", "原因", "Reason"),
        ],
        ActionKind::Close => vec![
            text("corrective", "纠正预防措施", "Corrective action"),
            text("verification", "验证情况", "Verification"),
        ],
        ActionKind::Decide => vec![
            select("accepted", "采纳", "Accept", yes_no.clone()),
            text(
                "reason",
                "原因（不采纳时必填）",
                "Reason (required if declined)",
            ),
        ],
        ActionKind::PlanImprovement => vec![
            text("plan", "整改计划", "Plan"),
            typed("publish_on", "date", "公示日期", "Publish on"),
        ],
        ActionKind::Answer => vec![
            text("answer", "答复内容", "Answer"),
            select("method", "答复方式", "Method", contacts),
            check("on_the_spot", "当场答复", "On the spot"),
        ],
        ActionKind::Register
        | ActionKind::Edit
        | ActionKind::Attach
        | ActionKind::ResolveConflict => vec![],
    };

    let submit_fields = fields.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let l = ctx.l();
        error.set(None);
        problems.set(BTreeMap::new());
        let action = match build_action(kind, &submit_fields, &ctx) {
            Ok(a) => a,
            Err(Unreadable::Field(name, problem)) => {
                problems.set(BTreeMap::from([(name.to_string(), problem)]));
                return;
            }
            Err(Unreadable::Form(message)) => {
                error.set(Some(message.message(l)));
                return;
            }
        };
        // The server's own ceiling is its clock plus a few minutes of skew.
        let ceiling = crate::state::now() + Duration::minutes(5);
        if let Err(found) = validate_action(&action, ceiling) {
            let mut beside_fields = BTreeMap::new();
            let mut elsewhere = Vec::new();
            for e in found {
                let input = input_name(&e.field);
                if FIELD_NAMES.contains(&input) {
                    beside_fields
                        .entry(input.to_string())
                        .or_insert(FieldProblem::Bound(e.error));
                } else {
                    // A field the form has no input for (a time the app
                    // filled in): said for the form as a whole.
                    elsewhere.push(format!(
                        "{}：{}",
                        i18n::change_field(&e.field, l),
                        e.error.message(l)
                    ));
                }
            }
            problems.set(beside_fields);
            if !elsewhere.is_empty() {
                error.set(Some(elsewhere.join("；")));
            }
            return;
        }
        let settings = ctx.config.with_untracked(|c| c.settings.clone());
        if let Err(v) = shared::workflow::check(&case, role, &action, &settings) {
            error.set(Some(v.message(l)));
            return;
        }
        busy.set(true);
        let (case_id, state) = (case.id, case.state);
        leptos::task::spawn_local(async move {
            let result = ctx
                .record(case_id, Some(state), move |_, _| Ok(action))
                .await;
            busy.set(false);
            match result {
                Ok(_) => open.set(None),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="action-form" data-testid=format!("form-{}", kind.code()) on:submit=submit>
            <h4>{move || kind.label(ctx.lang.get())}</h4>
            {inputs}
            <p class="error" data-testid="action-error">{move || error.get()}</p>
            <div class="actions">
                <button type="submit" class="btn primary" data-testid=format!("submit-{}", kind.code()) disabled=move || busy.get()>
                    {t("确认", "Confirm")}
                </button>
                <button type="button" class="btn" on:click=move |_| open.set(None)>{t("取消", "Cancel")}</button>
            </div>
        </form>
    }
}

fn default_value(name: &str, role: Role) -> String {
    match name {
        "severity" => "general".into(),
        "validity" => "valid".into(),
        "method" => "phone".into(),
        "satisfaction" => "5".into(),
        "approved" | "accepted" => "yes".into(),
        "note_kind" => "general".into(),
        "to_role" => superior(role).unwrap_or(Role::Quality).code().into(),
        "days" => "1".into(),
        _ => String::new(),
    }
}

fn contact_code(m: ContactMethod) -> &'static str {
    match m {
        ContactMethod::Phone => "phone",
        ContactMethod::Visit => "visit",
        ContactMethod::Message => "message",
        ContactMethod::Letter => "letter",
    }
}

fn validity_code(v: Validity) -> &'static str {
    match v {
        Validity::Valid => "valid",
        Validity::Unfounded => "unfounded",
    }
}

fn note_code(k: NoteKind) -> &'static str {
    match k {
        NoteKind::General => "general",
        NoteKind::Contact => "contact",
        NoteKind::OnSite => "on_site",
        NoteKind::Inspection => "inspection",
        NoteKind::CauseAnalysis => "cause_analysis",
    }
}

/// Compensation as typed; an empty field is no compensation.
fn yuan_or_none(input: &str) -> Option<i64> {
    if input.trim().is_empty() {
        Some(0)
    } else {
        shared::compensation::parse_yuan(input)
    }
}

/// A problem shown beside an action form's input.
#[derive(Debug, Clone, PartialEq)]
enum FieldProblem {
    /// A bound from `shared::validation` (too long, out of range…).
    Bound(ValidationError),
    /// The input cannot be read as its type (a date, an amount…).
    Unreadable(Words),
}

impl FieldProblem {
    fn message(&self, l: Lang) -> String {
        match self {
            FieldProblem::Bound(e) => e.message(l),
            FieldProblem::Unreadable(w) => w.message(l),
        }
    }
}

/// A message in both languages, worded when shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Words(&'static str, &'static str);

impl Words {
    fn message(self, l: Lang) -> String {
        l.pick(self.0, self.1).to_string()
    }
}

/// Why a form could not become an action.
enum Unreadable {
    /// One input (by its name) cannot be read.
    Field(&'static str, FieldProblem),
    /// The form as a whole.
    Form(Words),
}

/// The action form's input for a field `shared::validation` names, where
/// the two names differ (the form asks for yuan, the action holds fen).
fn input_name(field: &str) -> &str {
    match field {
        "compensation_fen" => "yuan",
        "working_days" => "days",
        "corrective_action" => "corrective",
        other => other,
    }
}

/// Reads an action form into an action, or says which input is unreadable.
fn build_action(kind: ActionKind, f: &Fields, ctx: &AppCtx) -> Result<Action, Unreadable> {
    let unreadable = |name: &'static str, zh: &'static str, en: &'static str| {
        Unreadable::Field(name, FieldProblem::Unreadable(Words(zh, en)))
    };
    let get = |n: &str| f.get(n).map(|s| s.get_untracked()).unwrap_or_default();
    let flag = |n: &str| !get(n).is_empty();
    let contact = || {
        i18n::CONTACTS
            .into_iter()
            .find(|m| contact_code(*m) == get("method"))
            .unwrap_or(ContactMethod::Phone)
    };
    let date = |n: &'static str| -> Result<Option<NaiveDate>, Unreadable> {
        let v = get(n);
        if v.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| unreadable(n, "日期格式不正确", "Enter a valid date"))
    };
    Ok(match kind {
        ActionKind::Assess => Action::Assess {
            severity: match get("severity").as_str() {
                "minor" => Severity::Minor,
                "major" => Severity::Major,
                _ => Severity::General,
            },
            urgent: flag("urgent"),
            validity: if get("validity") == "unfounded" {
                Validity::Unfounded
            } else {
                Validity::Valid
            },
            reason: get("reason"),
        },
        ActionKind::Assign => {
            let user = get("user").parse::<uuid::Uuid>().ok().map(UserId);
            let mut name = get("name");
            if name.trim().is_empty()
                && let Some(u) = user
            {
                name = ctx.config.with_untracked(|c| c.user_name(u));
            }
            Action::Assign {
                department: get("department"),
                user,
                name,
                note: get("note"),
            }
        }
        ActionKind::Start => Action::Start,
        ActionKind::Note => Action::Note {
            note_kind: i18n::NOTE_KINDS
                .into_iter()
                .find(|k| note_code(*k) == get("note_kind"))
                .unwrap_or(NoteKind::General),
            text: get("text"),
        },
        ActionKind::Propose => Action::Propose {
            measures: get("measures"),
            responsible: get("responsible"),
            planned_date: date("planned_date")?,
            compensation_fen: yuan_or_none(&get("yuan")).ok_or_else(|| {
                unreadable(
                    "yuan",
                    "请输入正确的金额，例如 200 或 200.50",
                    "Enter an amount such as 200 or 200.50",
                )
            })?,
        },
        ActionKind::Approve => Action::Approve {
            approved: get("approved") == "yes",
            comment: get("comment"),
        },
        ActionKind::Resolve => Action::Resolve {
            result: get("result"),
            feedback_method: contact(),
            feedback_at: Some(crate::state::now()),
            on_the_spot: flag("on_the_spot"),
        },
        ActionKind::FollowUp => Action::FollowUp {
            method: contact(),
            satisfaction: get("satisfaction").parse().unwrap_or(0),
            comment: get("comment"),
            spot_check: flag("spot_check"),
        },
        ActionKind::Reopen => Action::Reopen {
            reason: get("reason"),
        },
        ActionKind::Escalate => Action::Escalate {
            to_role: Role::from_code(&get("to_role")).unwrap_or(Role::Manager),
            skip_level: flag("skip_level"),
            reason: get("reason"),
        },
        ActionKind::Extend => Action::Extend {
            working_days: get("days").trim().parse().map_err(|_| {
                unreadable("days", "请输入工作日天数", "Enter a number of working days")
            })?,
            reason: get("reason"),
        },
        ActionKind::Withdraw => Action::Withdraw {
            reason: get("reason"),
        },
        ActionKind::Close => Action::Close {
            corrective_action: get("corrective"),
            verification: get("verification"),
        },
        ActionKind::Decide => Action::Decide {
            accepted: get("accepted") == "yes",
            reason: get("reason"),
        },
        ActionKind::PlanImprovement => Action::PlanImprovement {
            plan: get("plan"),
            publish_on: date("publish_on")?.ok_or_else(|| {
                unreadable(
                    "publish_on",
                    "请选择公示日期",
                    "Choose the publication date",
                )
            })?,
        },
        ActionKind::Answer => Action::Answer {
            answer: get("answer"),
            method: contact(),
            on_the_spot: flag("on_the_spot"),
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

/// The admin's audited deletion of a case whose retention period has
/// passed (closed or withdrawn long enough ago, and not major). The server
/// decides and refuses otherwise; nothing is ever deleted automatically.
/// Online only. Devices that already hold the case keep their copy.
#[component]
fn Retention(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let is_admin = ctx.role() == Some(Role::Admin);
    let finished = !case.state.is_open();
    let id = case.id;
    let confirm = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let delete = move |_| {
        let Some(token) = ctx.token() else {
            return;
        };
        confirm.set(false);
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/admin/cases/{id}");
            let l = ctx.l();
            let result = crate::api::send::<_, serde_json::Value>(
                crate::api::Method::Delete,
                &token,
                &url,
                &serde_json::Value::Null,
            )
            .await;
            message.set(Some(match result {
                Ok(_) => l
                    .pick(
                        "已从服务器删除并记入审计日志（本机副本保留）。",
                        "Deleted on the server and audited (this tablet keeps its copy).",
                    )
                    .to_string(),
                Err(e) => match e.code().unwrap_or_default() {
                    "retention.too_young" => l
                        .pick(
                            "未到保存期限，不能删除。",
                            "Still within its retention period.",
                        )
                        .to_string(),
                    "retention.major_case" => l
                        .pick(
                            "重大投诉长期保存，不能删除。",
                            "Major cases are kept long-term.",
                        )
                        .to_string(),
                    "retention.not_closed" => l
                        .pick(
                            "只有已结案或已撤诉的工单可以删除。",
                            "Only closed or withdrawn cases may be deleted.",
                        )
                        .to_string(),
                    _ => e.message(l),
                },
            }));
        });
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
                <Show when=move || !confirm.get() fallback=move || view! {
                    <button class="btn danger" data-testid="retention-confirm" on:click=delete>{t("确认删除", "Confirm deletion")}</button>
                    <button class="btn" on:click=move |_| confirm.set(false)>{t("取消", "Cancel")}</button>
                }>
                    <button class="btn danger" data-testid="retention-delete" on:click=move |_| confirm.set(true)>
                        {t("删除该工单", "Delete this case")}
                    </button>
                </Show>
                <p class="hint" data-testid="retention-result">{move || message.get()}</p>
            </div>
        }
    })
}

#[component]
fn Timeline(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let entries = move || {
        let l = ctx.lang.get();
        let config = ctx.config.get();
        let tz = config.settings.tz();
        case.timeline
            .iter()
            .map(|e| {
                let outcome = match e.outcome {
                    Outcome::Applied => "",
                    Outcome::Conflict => l.pick("（冲突）", " (conflict)"),
                    Outcome::Flagged => l.pick("（违规）", " (flagged)"),
                };
                let changes = e
                    .changes
                    .iter()
                    .map(|c| {
                        let value = |v: &Option<String>| {
                            v.as_deref()
                                .map_or_else(|| "—".into(), |v| i18n::change_value(&c.field, v, l))
                        };
                        format!(
                            "{}：{} → {}",
                            i18n::change_field(&c.field, l),
                            value(&c.from),
                            value(&c.to)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let device: String = e.stamp.device.to_string().chars().take(8).collect();
                view! {
                    <li class="entry" data-testid="timeline-entry" data-action=e.action.code()
                        data-outcome=format!("{:?}", e.outcome).to_lowercase()>
                        <span class="when">{i18n::fmt_time(e.stamp.at, tz)}</span>
                        <span class="who">{config.user_name(e.stamp.by)} " · " {e.stamp.role.label(l)}</span>
                        <span class="what">{e.action.label(l)} {outcome} " → " {e.state.label(l)}</span>
                        <span class="device">{l.pick("设备 ", "device ")} {device}</span>
                        <span class="changes">{changes}</span>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <div class="card">
            <h3>{t("处理记录", "Timeline")}</h3>
            <ol class="timeline" data-testid="timeline">{entries}</ol>
        </div>
    }
}
