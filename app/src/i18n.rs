//! UI words and formatting in both languages. Labels of domain values that
//! `shared` names (states, kinds, channels, roles, actions, clocks) come
//! from `shared`; this module has the rest, and times in the company
//! timezone.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use shared::case::{ContactMethod, NoteKind, Severity, Validity};
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

/// Severity for a person.
pub fn severity(s: Severity, lang: Lang) -> &'static str {
    match s {
        Severity::Minor => lang.pick("轻微", "Minor"),
        Severity::General => lang.pick("一般", "General"),
        Severity::Major => lang.pick("重大", "Major"),
    }
}

/// Validity for a person.
pub fn validity(v: Validity, lang: Lang) -> &'static str {
    match v {
        Validity::Valid => lang.pick("有效投诉", "Valid"),
        Validity::Unfounded => lang.pick("不成立", "Unfounded"),
    }
}

/// Contact method for a person.
pub fn contact(m: ContactMethod, lang: Lang) -> &'static str {
    match m {
        ContactMethod::Phone => lang.pick("电话", "Phone"),
        ContactMethod::Visit => lang.pick("上门/面谈", "Visit"),
        ContactMethod::Message => lang.pick("短信/消息", "Message"),
        ContactMethod::Letter => lang.pick("书面", "Letter"),
    }
}

/// Every contact method, for selects.
pub const CONTACTS: [ContactMethod; 4] = [
    ContactMethod::Phone,
    ContactMethod::Visit,
    ContactMethod::Message,
    ContactMethod::Letter,
];

/// Note kind for a person.
pub fn note_kind(k: NoteKind, lang: Lang) -> &'static str {
    match k {
        NoteKind::General => lang.pick("一般记录", "General"),
        NoteKind::Contact => lang.pick("已联系投诉人", "Contacted"),
        NoteKind::OnSite => lang.pick("已到现场", "On site"),
        NoteKind::Inspection => lang.pick("检查项", "Inspection"),
        NoteKind::CauseAnalysis => lang.pick("问题分析", "Cause analysis"),
    }
}

/// Every note kind, for selects.
pub const NOTE_KINDS: [NoteKind; 5] = [
    NoteKind::General,
    NoteKind::Contact,
    NoteKind::OnSite,
    NoteKind::Inspection,
    NoteKind::CauseAnalysis,
];

/// Satisfaction 1–5 for a person.
pub fn satisfaction(n: u8, lang: Lang) -> &'static str {
    match n {
        5 => lang.pick("非常满意", "Very satisfied"),
        4 => lang.pick("满意", "Satisfied"),
        3 => lang.pick("一般", "Neutral"),
        2 => lang.pick("不满意", "Unsatisfied"),
        _ => lang.pick("非常不满意", "Very unsatisfied"),
    }
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
        "urgent" => lang.pick("紧急", "Urgent"),
        "validity" => lang.pick("有效性", "Validity"),
        "assignee" => lang.pick("责任人", "Assignee"),
        "note" => lang.pick("记录", "Note"),
        "measures" => lang.pick("处理措施", "Measures"),
        "compensation" => lang.pick("赔偿", "Compensation"),
        "approval" => lang.pick("审批", "Approval"),
        "result" => lang.pick("处理结果", "Result"),
        "satisfaction" => lang.pick("满意度", "Satisfaction"),
        "reopen_reason" => lang.pick("重开原因", "Reopen reason"),
        "escalated_to" => lang.pick("上报给", "Escalated to"),
        "extended_working_days" => lang.pick("延期工作日", "Extended by (working days)"),
        "withdraw_reason" => lang.pick("撤诉原因", "Withdrawal reason"),
        "corrective_action" => lang.pick("纠正预防措施", "Corrective action"),
        "accepted" => lang.pick("采纳", "Accepted"),
        "plan" => lang.pick("整改计划", "Plan"),
        "answer" => lang.pick("答复", "Answer"),
        "attachment" => lang.pick("附件", "Attachment"),
        "conflict" => lang.pick("冲突", "Conflict"),
        "complainant_name" => lang.pick("投诉人姓名", "Complainant name"),
        "complainant_phone" => lang.pick("联系电话", "Phone"),
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
/// validity, roles and yes/no become words; text stays as typed.
pub fn change_value(field: &str, value: &str, lang: Lang) -> String {
    use shared::case::{CaseKind, CaseState};
    use shared::role::Role;
    let word = match field {
        "state" => CaseState::ALL
            .into_iter()
            .find(|s| s.code() == value)
            .map(|s| s.label(lang)),
        "kind" => CaseKind::ALL
            .into_iter()
            .find(|k| k.code() == value)
            .map(|k| k.label(lang)),
        "severity" => [Severity::Minor, Severity::General, Severity::Major]
            .into_iter()
            .find(|s| s.code() == value)
            .map(|s| severity(s, lang)),
        "validity" => match value {
            "valid" => Some(validity(Validity::Valid, lang)),
            "unfounded" => Some(validity(Validity::Unfounded, lang)),
            _ => None,
        },
        "escalated_to" => Role::from_code(value).map(|r| r.label(lang)),
        "approval" => match value {
            "pending" => Some(lang.pick("待审批", "pending")),
            "approved" => Some(lang.pick("已批准", "approved")),
            "rejected" => Some(lang.pick("已驳回", "rejected")),
            _ => None,
        },
        _ => match value {
            "true" => Some(lang.pick("是", "yes")),
            "false" => Some(lang.pick("否", "no")),
            _ => None,
        },
    };
    word.map_or_else(|| value.to_string(), str::to_string)
}
