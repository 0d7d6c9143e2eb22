//! 处理记录: the timeline of a case, one sentence per step in words
//! ("张敏 登记了投诉", "李经理 派单给 工程部 王工"), with the fields each op
//! changed (old → new) and the device behind a 详情 toggle.

use crate::evidence::gallery::AttachmentThumb;
use crate::i18n;
use crate::state::{Config, use_app};
use leptos::prelude::*;
use shared::case::{Case, CaseKind, Change, Outcome, TimelineEntry};
use shared::id::UserId;
use shared::lang::Lang;
use shared::op::ActionKind;
use shared::property::Location;
use std::sync::Arc;

/// The timeline card.
#[component]
pub(super) fn Timeline(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    // This case's steps recorded here that the server has not taken yet
    // (offline): each says so, as a photo not uploaded does.
    let id = case.id;
    let unsent = Memo::new(move |_| ctx.unsent_of(id));
    let entries = move || {
        let l = ctx.lang.get();
        let config = ctx.config.get();
        let tz = config.settings.tz();
        case.timeline
            .iter()
            .map(|e| {
                // Only an op that did not simply apply is marked.
                let outcome = match (e.outcome, l) {
                    (Outcome::Applied, _) => String::new(),
                    (o, Lang::ZhCn) => format!("（{}）", o.label(l)),
                    (o, Lang::En) => format!(" ({})", o.label(l)),
                };
                let who = config.user_name(e.stamp.by);
                let said = format!("{who} {}{outcome}", sentence(e, &case, &config, l));
                // A settled conflict names the op it settled by its id,
                // which says nothing to a person: the sentence tells it.
                // Validity is a complaint's; a repair's is the default.
                let complaint = case.registration.kind == CaseKind::Complaint;
                let changes = e
                    .changes
                    .iter()
                    .filter(|c| c.field != "conflict")
                    .filter(|c| complaint || c.field != "validity")
                    .map(|c| diff(c, &config, l))
                    .collect::<Vec<_>>()
                    .join(l.pick("；", "; "));
                let device: String = e.stamp.device.to_string().chars().take(8).collect();
                // An attach op shows what it attached.
                let evidence = case
                    .attachments
                    .iter()
                    .find(|a| a.stamp.op == e.stamp.op)
                    .cloned()
                    .map(|a| view! { <span class="timeline-evidence"><AttachmentThumb attachment=a/></span> });
                let op = e.stamp.op;
                let waiting = move || {
                    unsent.with(|u| u.contains(&op)).then(|| view! {
                        <span class="badge pending" data-testid="timeline-unsent">
                            {l.pick("待同步", "not synced yet")}
                        </span>
                    })
                };
                view! {
                    <li class="entry" data-testid="timeline-entry" data-action=e.action.code()
                        data-outcome=format!("{:?}", e.outcome).to_lowercase()>
                        <span class="when">{i18n::fmt_time(e.stamp.at, tz)}</span>
                        <span class="what" data-testid="timeline-sentence">{said} {waiting}</span>
                        {evidence}
                        <details class="timeline-details">
                            <summary>{l.pick("详情", "Details")}</summary>
                            <span class="who">{e.stamp.role.label(l)} " · " {e.action.label(l)} " → " {e.state.label(l)}</span>
                            <span class="device">{l.pick("设备 ", "device ")} {device}</span>
                            <span class="changes" data-testid="timeline-changes">{changes}</span>
                        </details>
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

/// One changed field as "字段：旧 → 新"; a user by their name.
fn diff(c: &Change, config: &Config, l: Lang) -> String {
    let value = |v: &Option<String>| match (c.field.as_ref(), v.as_deref()) {
        (_, None) => "—".into(),
        ("first_responder", Some(v)) => v
            .parse::<uuid::Uuid>()
            .map_or_else(|_| v.to_string(), |id| config.user_name(UserId(id))),
        ("category", Some(v)) => config.category_name(v, l),
        // Kept as the op's JSON: the building and unit by their names.
        ("location", Some(v)) => serde_json::from_str::<Location>(v)
            .ok()
            .and_then(|at| {
                config
                    .properties
                    .iter()
                    .find(|p| p.contains(&at) && !matches!(at, Location::PublicArea))
                    .map(|p| p.describe_in(&at, l))
                    .or_else(|| {
                        matches!(at, Location::PublicArea)
                            .then(|| l.pick("公共区域", "Public area").to_string())
                    })
            })
            .unwrap_or_else(|| v.to_string()),
        // Kept in UTC: in the company's time, as every time on screen.
        ("received_at", Some(v)) => chrono::DateTime::parse_from_rfc3339(v).map_or_else(
            |_| v.to_string(),
            |t| i18n::fmt_time(t.with_timezone(&chrono::Utc), config.settings.tz()),
        ),
        (field, Some(v)) => i18n::change_value(field, v, l),
    };
    format!(
        "{}{}{} → {}",
        i18n::change_field(&c.field, l),
        l.pick("：", ": "),
        value(&c.from),
        value(&c.to)
    )
}

/// What an op of `kind` did, in words after its actor's name, when nothing
/// more is to be said of it: the Chinese name reads as such a sentence
/// (王工 处理完成), an English command does not ("Wang resolve").
fn did(kind: ActionKind, l: Lang) -> &'static str {
    let (zh, en) = match kind {
        ActionKind::Register => ("登记", "registered the case"),
        ActionKind::Edit => ("修改", "corrected the registration"),
        ActionKind::Assess => ("初步评估", "assessed the case"),
        ActionKind::Assign => ("派单/转办", "assigned or transferred the case"),
        ActionKind::Start => ("开始处理", "started work"),
        ActionKind::Note => ("调查记录", "noted the investigation"),
        ActionKind::Propose => ("处理方案", "proposed a solution"),
        ActionKind::Approve => ("赔偿审批", "decided on the compensation"),
        ActionKind::Resolve => ("处理完成", "resolved the case"),
        ActionKind::Feedback => ("结果反馈", "told the resident the result"),
        ActionKind::FollowUp => ("回访", "followed up"),
        ActionKind::CallbackMissed => ("回访未果", "missed the resident"),
        ActionKind::Reopen => ("重新处理", "reopened the case"),
        ActionKind::Escalate => ("上报", "escalated the case"),
        ActionKind::ChangeResponder => ("更换首问责任人", "changed the first responder"),
        ActionKind::Extend => ("延期", "extended the deadline"),
        ActionKind::Withdraw => ("撤回", "withdrew the case"),
        ActionKind::Void => ("作废", "voided the case"),
        ActionKind::Restore => ("恢复", "restored the case"),
        ActionKind::Close => ("结案", "closed the case"),
        ActionKind::Decide => ("采纳/不采纳", "decided on the suggestion"),
        ActionKind::PlanImprovement => ("制定了整改计划", "planned the improvement"),
        ActionKind::Answer => ("答复", "answered the inquiry"),
        ActionKind::Attach => ("添加了附件", "attached a file"),
        ActionKind::ResolveConflict => ("处理冲突", "settled a conflict"),
    };
    l.pick(zh, en)
}

/// What the op did, in words, after the actor's name.
fn sentence(e: &TimelineEntry, case: &Case, config: &Config, l: Lang) -> String {
    // The new value of `field` as a person reads it, if the op set it.
    let to = |field: &str| {
        e.changes
            .iter()
            .find(|c| c.field == field)
            .and_then(|c| c.to.as_deref())
            .map(|v| i18n::change_value(field, v, l))
    };
    let or_empty = |field: &str| to(field).unwrap_or_default();
    let zh = l == Lang::ZhCn;
    let named = |kind: ActionKind| did(kind, l).to_string();
    // Kept without effect (a conflict, a rule it broke), an op changed
    // nothing, so its values are not among the changes: a sentence built
    // from them would misstate it (an accept that lost read "未采纳建议",
    // an assignment "派单给 " to nobody). Its name says what it was, and
    // the mark after the sentence what became of it. A registration and
    // an approval word it themselves.
    if e.outcome != Outcome::Applied
        && !matches!(
            e.action,
            ActionKind::Register | ActionKind::Approve | ActionKind::ChangeResponder
        )
    {
        return named(e.action);
    }
    match e.action {
        ActionKind::Register => {
            let kind = case.registration.kind.label(l);
            if zh {
                format!("登记了{kind}")
            } else {
                format!("registered the {}", kind.to_lowercase())
            }
        }
        ActionKind::Edit => {
            let fields = e
                .changes
                .iter()
                .map(|c| diff(c, config, l))
                .collect::<Vec<_>>();
            if zh {
                format!("更正了登记信息：{}", fields.join("；"))
            } else {
                format!("corrected the registration: {}", fields.join("; "))
            }
        }
        ActionKind::Assess => {
            // Validity is a complaint's; a repair's carries the default.
            let complaint = case.registration.kind == CaseKind::Complaint;
            let mut parts = vec![or_empty("severity")];
            if complaint {
                parts.push(or_empty("validity"));
            }
            if to("urgent").as_deref() == Some(l.pick("是", "yes")) {
                parts.push(l.pick("紧急", "urgent").into());
            }
            let parts = parts.join(l.pick("、", ", "));
            // A second assessment says what the first was.
            let was = e
                .changes
                .iter()
                .filter(|c| c.field == "severity" || complaint && c.field == "validity")
                .filter_map(|c| {
                    c.from
                        .as_deref()
                        .map(|v| i18n::change_value(&c.field, v, l))
                })
                .collect::<Vec<_>>();
            match (was.is_empty(), zh) {
                (true, true) => format!("评估为{parts}"),
                (true, false) => format!("assessed it as {parts}"),
                (false, true) => format!("重新评估为{parts}（原为{}）", was.join("、")),
                (false, false) => format!("assessed it again as {parts} (was {})", was.join(", ")),
            }
        }
        // The first is an assignment (派单); one after it passes the case
        // on (转办), and says from whom.
        ActionKind::Assign => {
            let to = or_empty("assignee");
            let from = e
                .changes
                .iter()
                .find(|c| c.field == "assignee")
                .and_then(|c| c.from.as_deref())
                .map(|v| i18n::change_value("assignee", v, l));
            match (from, zh) {
                (None, true) => format!("派单给 {to}"),
                (None, false) => format!("assigned it to {to}"),
                (Some(from), true) => format!("转办给 {to}（原为 {from}）"),
                (Some(from), false) => format!("passed it on to {to} (was {from})"),
            }
        }
        ActionKind::Note => {
            let text = or_empty("note");
            if zh {
                format!("记录了调查情况：{text}")
            } else {
                format!("noted: {text}")
            }
        }
        ActionKind::Propose => {
            let amount = to("compensation").filter(|a| a.parse::<f64>().is_ok_and(|a| a > 0.0));
            match (amount, zh) {
                (Some(a), true) => format!("提出了处理方案（赔偿 {a} 元）"),
                (Some(a), false) => format!("proposed a solution (compensation {a} CNY)"),
                (None, true) => "提出了处理方案".into(),
                (None, false) => "proposed a solution".into(),
            }
        }
        ActionKind::Approve => {
            let approved = e
                .changes
                .iter()
                .any(|c| c.field == "approval" && c.to.as_deref() == Some("approved"));
            // Set aside (a rule broke, or another decision came first),
            // it changed nothing, so the changes cannot say which it was;
            // the mark after the sentence says it did not apply.
            let decided = e.outcome == Outcome::Applied;
            match (approved, zh) {
                _ if !decided && zh => "对赔偿作出了审批".into(),
                _ if !decided => "decided on the compensation".into(),
                (true, true) => "批准了赔偿".into(),
                (true, false) => "approved the compensation".into(),
                (false, true) => "驳回了赔偿".into(),
                (false, false) => "refused the compensation".into(),
            }
        }
        ActionKind::CallbackMissed => {
            // The how-manieth try since the case was resolved, of those a
            // close without the callback needs.
            let missed = case
                .callbacks_missed
                .iter()
                .find(|m| m.stamp.op == e.stamp.op);
            // A try dated before the current round's resolution counts
            // for nothing (`Case::callback_tries`), and is not numbered.
            let resolved = case.resolution.as_ref().map(|r| r.stamp.at);
            let early = |m: &shared::case::MissedCallback| {
                m.round == case.reopen_count && resolved.is_some_and(|r| m.stamp.at < r)
            };
            // Numbered as the close counts them: a try within the hour of
            // the one counted before it is no new try.
            let nth = missed.and_then(|m| {
                case.counted_callbacks(m.round, shared::workflow::CALLBACK_GAP)
                    .iter()
                    .position(|n| n.stamp.op == m.stamp.op)
                    .map(|i| i + 1)
            });
            let note = or_empty("callback_missed");
            let of = shared::workflow::CALLBACK_ATTEMPTS;
            match (missed, zh) {
                (Some(m), true) if early(m) => format!(
                    "回访未果（{}；时间早于处理完成，不计入结案所需的次数）：{note}",
                    m.method.label(l)
                ),
                (Some(m), false) if early(m) => format!(
                    "missed the resident ({}; dated before the work was done, so it does not count toward closing without the call): {note}",
                    m.method.label(l)
                ),
                (Some(m), true) if nth.is_none() => format!(
                    "回访未果（{}；距上一次不足一小时，不另计次）：{note}",
                    m.method.label(l)
                ),
                (Some(m), false) if nth.is_none() => format!(
                    "missed the resident ({}; within the hour of the try before, so not counted as another): {note}",
                    m.method.label(l)
                ),
                (Some(m), true) => format!(
                    "回访未果（{}，第 {} 次；间隔一小时以上的 {of} 次后可结案）：{note}",
                    m.method.label(l),
                    nth.unwrap_or_default()
                ),
                (Some(m), false) => format!(
                    "missed the resident ({}, try {}; after {of} tries an hour or more apart the case may close): {note}",
                    m.method.label(l),
                    nth.unwrap_or_default()
                ),
                // Refused (the case had moved on): the entry says so.
                (None, true) => format!("回访未果：{note}"),
                (None, false) => format!("missed the resident: {note}"),
            }
        }
        ActionKind::Feedback => {
            let method = or_empty("feedback");
            if zh {
                format!("通过{method}告知了住户处理结果")
            } else {
                format!("told the resident the result ({method})")
            }
        }
        ActionKind::FollowUp => {
            let score = or_empty("satisfaction");
            let n = score.parse::<u8>().unwrap_or_default();
            let label = i18n::satisfaction(n, l);
            // A spot-check (抽查回访) on a closed case reads apart from the
            // follow-up that closed it.
            let spot_check = case
                .follow_ups
                .iter()
                .any(|f| f.spot_check && f.stamp.op == e.stamp.op);
            match (spot_check, zh) {
                (true, true) => format!("抽查回访：满意度 {score}（{label}）"),
                (false, true) => format!("回访：满意度 {score}（{label}）"),
                (true, false) => format!("spot-checked: satisfaction {score} ({label})"),
                (false, false) => format!("followed up: satisfaction {score} ({label})"),
            }
        }
        ActionKind::Escalate => {
            let role = or_empty("escalated_to");
            if zh {
                format!("上报给{role}")
            } else {
                format!("escalated it to the {}", role.to_lowercase())
            }
        }
        ActionKind::Extend => {
            // The change records the total before and after.
            let days = e
                .changes
                .iter()
                .find(|c| c.field == "extended_working_days")
                .map(|c| {
                    let n = |v: &Option<String>| {
                        v.as_deref()
                            .and_then(|v| v.parse::<u32>().ok())
                            .unwrap_or(0)
                    };
                    n(&c.to).saturating_sub(n(&c.from))
                })
                .unwrap_or_default();
            if zh {
                format!("延期 {days} 个工作日")
            } else {
                format!("extended it by {days} working days")
            }
        }
        ActionKind::Void => {
            let reason = or_empty("void_reason");
            match (to("duplicate_of"), zh) {
                (Some(original), true) => format!("作废（与 {original} 重复）：{reason}"),
                (Some(original), false) => {
                    format!("voided it (a duplicate of {original}): {reason}")
                }
                (None, true) => format!("作废：{reason}"),
                (None, false) => format!("voided it: {reason}"),
            }
        }
        ActionKind::ChangeResponder => {
            let change = case
                .responder_changes
                .iter()
                .find(|c| c.stamp.op == e.stamp.op);
            match change {
                Some(c) => {
                    let (from, to) = (config.user_name(c.from), config.user_name(c.to));
                    if zh {
                        format!("将首问责任人由 {from} 改为 {to}：{}", c.reason)
                    } else {
                        format!(
                            "changed the first responder from {from} to {to}: {}",
                            c.reason
                        )
                    }
                }
                // Refused: the entry says so.
                None => l
                    .pick("更换首问责任人", "changed the first responder")
                    .into(),
            }
        }
        ActionKind::Restore => {
            let reason = or_empty("restore_reason");
            if zh {
                format!("恢复了作废的工单：{reason}")
            } else {
                format!("restored the voided case: {reason}")
            }
        }
        ActionKind::Decide => {
            let accepted = e
                .changes
                .iter()
                .any(|c| c.field == "accepted" && c.to.as_deref() == Some("true"));
            match (accepted, zh) {
                (true, true) => "采纳了建议".into(),
                (true, false) => "accepted the suggestion".into(),
                (false, true) => "未采纳建议".into(),
                (false, false) => "declined the suggestion".into(),
            }
        }
        // The rest say what they are by their name alone.
        kind => named(kind),
    }
}
