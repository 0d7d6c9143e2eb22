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
