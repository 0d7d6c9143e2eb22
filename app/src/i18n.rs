//! UI words and formatting in both languages. Labels of domain values that
//! `shared` names (states, kinds, channels, roles, actions, clocks) come
//! from `shared`; this module has the rest, and times in the company
//! timezone.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use shared::case::{ApprovalState, Severity, Validity};
use shared::lang::Lang;

/// A time in the company timezone, `2026-03-02 14:05`.
pub fn fmt_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A span for a person: `2天3小时`, `45分钟` / `2d 3h`, `45m`.
pub fn fmt_span(span: Duration, lang: Lang) -> String {
    let mins = span.num_minutes().abs();
    let (d, h, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    match lang {
        Lang::ZhCn if d > 0 => format!("{d}天{h}小时"),
        Lang::ZhCn if h > 0 => format!("{h}小时{m}分钟"),
        Lang::ZhCn => format!("{m}分钟"),
        Lang::En if d > 0 => format!("{d}d {h}h"),
        Lang::En if h > 0 => format!("{h}h {m}m"),
        Lang::En => format!("{m}m"),
    }
}

/// "Due in …" or "overdue by …".
pub fn due_text(due: DateTime<Utc>, now: DateTime<Utc>, lang: Lang) -> String {
    let span = fmt_span(due - now, lang);
    if due >= now {
        match lang {
            Lang::ZhCn => format!("剩余{span}"),
            Lang::En => format!("due in {span}"),
        }
    } else {
        match lang {
            Lang::ZhCn => format!("超时{span}"),
            Lang::En => format!("overdue by {span}"),
        }
    }
}

/// The three follow-up ratings, e.g. " · 结果 4 · 态度 5 · 效率 3".
pub fn ratings(r: shared::case::Ratings, lang: Lang) -> String {
    format!(
        " · {} {} · {} {} · {} {}",
        lang.pick("结果", "result"),
        r.result,
        lang.pick("态度", "attitude"),
        r.attitude,
        lang.pick("效率", "timeliness"),
        r.timeliness
    )
}

/// Satisfaction 1–5 for a person.
pub fn satisfaction(n: u8, lang: Lang) -> &'static str {
    // One wording for the screens and the paper record.
    shared::report::satisfaction_label(n, lang)
}

/// A colleague as a picker offers them: name and role.
pub fn colleague(u: &shared::wire::UserCard, lang: Lang) -> String {
    format!("{} · {}", u.display_name, u.role.label(lang))
}

/// A registration field's label, by the field names `shared::validation`
/// reports.
pub fn field(name: &str, lang: Lang) -> &'static str {
    match name {
        "kind" => lang.pick("类型", "Kind"),
        "property" => lang.pick("项目", "Property"),
        "location" => lang.pick("位置", "Location"),
        "complainant.name" => lang.pick("投诉人姓名", "Complainant name"),
        "complainant.phone" => lang.pick("联系电话", "Phone"),
        "channel" => lang.pick("受理渠道", "Channel"),
        "received_at" => lang.pick("受理时间", "Received at"),
        "category" => lang.pick("类别", "Category"),
        "content" => lang.pick("内容", "Content"),
        "requested_remedy" => lang.pick("诉求", "Requested remedy"),
        "related_case" => lang.pick("关联工单", "Related case"),
        "source_ref" => lang.pick(
            "来源单号（热线/平台工单号）",
            "Source no. (hotline or platform order)",
        ),
        _ => lang.pick("字段", "Field"),
    }
}

/// The name of a field a timeline entry changed, by the names
/// `shared::fold` records; unknown names are shown as they are.
pub fn change_field(name: &str, lang: Lang) -> String {
    let known = match name {
        "reg_no" => lang.pick("登记号", "Registration no."),
        "state" => lang.pick("状态", "State"),
        "severity" => lang.pick("严重程度", "Severity"),
        "respondent" => lang.pick("被投诉人", "Person complained about"),
        "respondent_department" => lang.pick("被投诉部门", "Department complained about"),
        "urgent" => lang.pick("紧急", "Urgent"),
        "validity" => lang.pick("有效性", "Validity"),
        "assignee" => lang.pick("责任人", "Assignee"),
        "note" => lang.pick("记录", "Note"),
        "measures" => lang.pick("处理措施", "Measures"),
        "compensation" => lang.pick("赔偿", "Compensation"),
        "approval" => lang.pick("审批", "Approval"),
        "result" => lang.pick("处理结果", "Result"),
        "feedback" => lang.pick("结果反馈", "Result told"),
        "satisfaction" => lang.pick("满意度", "Satisfaction"),
        "reopen_reason" => lang.pick("重开原因", "Reopen reason"),
        "escalated_to" => lang.pick("上报给", "Escalated to"),
        "extended_working_days" => lang.pick("延期工作日", "Extended by (working days)"),
        "withdraw_reason" => lang.pick("撤回原因", "Withdrawal reason"),
        "void_reason" => lang.pick("作废原因", "Why voided"),
        "restore_reason" => lang.pick("恢复原因", "Why restored"),
        "first_responder" => lang.pick("首问责任人", "First responder"),
        "source_ref" => lang.pick("来源单号", "Source no."),
        "duplicate_of" => lang.pick("重复的工单", "Duplicate of"),
        "corrective_action" => lang.pick("纠正预防措施", "Corrective action"),
        "accepted" => lang.pick("采纳", "Accepted"),
        "plan" => lang.pick("整改计划", "Plan"),
        "answer" => lang.pick("答复", "Answer"),
        "text" => lang.pick("内容", "Text"),
        "reason" => lang.pick("原因", "Reason"),
        "department" => lang.pick("责任部门", "Department"),
        "name" => lang.pick("名称", "Name"),
        "responsible" => lang.pick("责任人", "Responsible"),
        "comment" => lang.pick("意见", "Comment"),
        "verification" => lang.pick("验证", "Verification"),
        "caption" => lang.pick("说明", "Caption"),
        "attachment" => lang.pick("附件", "Attachment"),
        "conflict" => lang.pick("冲突", "Conflict"),
        // Named for every kind: a repair's 报修人 is no complainant.
        "complainant_name" => lang.pick("联系人姓名", "Resident's name"),
        "complainant_phone" => lang.pick("联系电话", "Phone"),
        "callback_missed" => lang.pick("回访未果", "Missed callback"),
        other => {
            let label = field(other, lang);
            if label == field("", lang) {
                return other.to_string();
            }
            label
        }
    };
    known.to_string()
}

/// A changed value for a person: codes of states, kinds, severities,
/// validity, approvals, roles, channels and yes/no become words; text (a
/// corrected phone number among it) stays as typed.
pub fn change_value(field: &str, value: &str, lang: Lang) -> String {
    use shared::case::{CaseKind, CaseState};
    use shared::role::Role;
    let word = match field {
        "state" => CaseState::from_code(value).map(|s| s.label(lang)),
        "kind" => CaseKind::from_code(value).map(|k| k.label(lang)),
        "severity" => Severity::from_code(value).map(|s| s.label(lang)),
        "validity" => Validity::from_code(value).map(|v| v.label(lang)),
        "escalated_to" => Role::from_code(value).map(|r| r.label(lang)),
        "approval" => ApprovalState::from_code(value).map(|a| a.label(lang)),
        "channel" => shared::case::Channel::from_code(value).map(|c| c.label(lang)),
        "feedback" => shared::case::ContactMethod::from_code(value).map(|m| m.label(lang)),
        _ => match value {
            "true" => Some(lang.pick("是", "yes")),
            "false" => Some(lang.pick("否", "no")),
            _ => None,
        },
    };
    word.map_or_else(|| value.to_string(), str::to_string)
}
