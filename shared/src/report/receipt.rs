//! 受理回执: what the complainant is given when their case is taken in,
//! on paper or as a message. The seeds ask for it: tell the complainant
//! their complaint was received and when they will hear back (002: 告诉
//! 投诉人已经得到了他们的投诉，并在什么时间内做出回应), and give them its
//! registration number (003: 及時向甲方提供投訴登記號). Unlike the record
//! form (`record`), it holds nothing of the handling: no assessment, no
//! person complained about.

use super::record::{PersonalData, RecordNames, complainant, local_time};
use crate::case::{Case, CaseKind};
use crate::deadline::Clock;
use crate::lang::Lang;

/// The receipt of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// 投诉受理回执, 报修受理回执, …
    pub title: String,
    /// Label and value, in order.
    pub rows: Vec<(String, String)>,
    /// When the reply is due, if its clock runs: the promise made.
    pub reply_due: Option<String>,
    /// The reply clock runs but its due time cannot be computed (a
    /// holiday schedule not loaded yet): no date may be promised, and
    /// whoever hands the receipt over must be told why it has none.
    pub reply_unknown: bool,
    /// The same as one message, to send by SMS or WeChat.
    pub message: String,
}

impl Receipt {
    /// The receipt of `case` in `lang`, for a reader who may see personal
    /// data or not.
    pub fn of(case: &Case, names: &dyn RecordNames, lang: Lang, personal: PersonalData) -> Receipt {
        let l = lang;
        let tz = names.tz();
        let r = &case.registration;
        let (what_zh, what_en) = raised(r.kind);
        let title = match l {
            Lang::ZhCn => format!("{what_zh}受理回执"),
            Lang::En => format!("Receipt of your {what_en}"),
        };
        let received = local_time(r.received_at, tz);
        let category = names.category(&r.category, l);
        let (name, _) = complainant(&r.complainant, personal, l);
        // A promise only while it is still to keep: not once the reply is
        // made (answered on the spot, a reprint after it), nor on a case
        // withdrawn or voided, whose clocks nobody works to.
        let awaited = |clock: Clock| case.state.is_open() && clock == Clock::Solution;
        let reply_due = case
            .deadlines
            .iter()
            .find(|d| awaited(d.clock) && d.met_at.is_none())
            .map(|d| local_time(d.due_at, tz));
        let mut rows = vec![
            (
                l.pick("登记号", "Registration no.").into(),
                r.reg_no.to_string(),
            ),
            (l.pick("受理时间", "Received").into(), received.clone()),
            (
                l.pick("受理方式", "Received by way of").into(),
                r.channel_text(l),
            ),
            (l.pick("反映人", "From").into(), name),
            (
                l.pick("地点", "Where").into(),
                names.place(r.property, &r.location, l),
            ),
            (l.pick("类别", "Category").into(), category.clone()),
            (l.pick("内容", "What you told us").into(), r.content.clone()),
            (
                l.pick("受理人", "Received by").into(),
                names.user(case.registered.by),
            ),
        ];
        if let Some(due) = &reply_due {
            rows.push((l.pick("答复期限", "Reply by").into(), due.clone()));
        }
        let contact = names.contact(r.property);
        if !contact.is_empty() {
            rows.push((l.pick("联系我们", "Contact us").into(), contact.clone()));
        }
        let reg_no = r.reg_no.to_string();
        let mut message = match (l, &reply_due) {
            (Lang::ZhCn, Some(due)) => format!(
                "您于 {received} 反映的{category}{what_zh}已受理，登记号 {reg_no}。我们将于 {due} 前答复您。查询进度请提供登记号。"
            ),
            (Lang::ZhCn, None) => format!(
                "您于 {received} 反映的{category}{what_zh}已受理，登记号 {reg_no}。查询进度请提供登记号。"
            ),
            (Lang::En, Some(due)) => format!(
                "Your {what_en} ({category}) of {received} is registered as {reg_no}. We will reply by {due}. Please quote the number when you ask about it."
            ),
            (Lang::En, None) => format!(
                "Your {what_en} ({category}) of {received} is registered as {reg_no}. Please quote the number when you ask about it."
            ),
        };
        message.push_str(&contact_sentence(&contact, l));
        let reply_unknown = case
            .deadline_problems
            .iter()
            .any(|p| awaited(p.clock) && p.met_at.is_none());
        Receipt {
            title,
            rows,
            reply_due,
            reply_unknown,
            message,
        }
    }
}

/// What the complainant raised, as the papers handed to them name it
/// (Chinese, English): 投诉 / a complaint, 报修 / a repair request, ….
pub(super) fn raised(kind: CaseKind) -> (&'static str, &'static str) {
    match kind {
        CaseKind::Complaint => ("投诉", "complaint"),
        CaseKind::Repair => ("报修", "repair request"),
        CaseKind::Suggestion => ("建议", "suggestion"),
        CaseKind::Inquiry => ("咨询", "inquiry"),
    }
}

/// The sentence that ends a message with whom to contact, if anyone.
pub(super) fn contact_sentence(contact: &str, l: Lang) -> String {
    match (contact, l) {
        ("", _) => String::new(),
        (c, Lang::ZhCn) => format!("联系方式：{c}。"),
        (c, Lang::En) => format!(" Contact: {c}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::record::tests::{Names, known_complainant as complaint};

    #[test]
    fn the_receipt_gives_the_number_and_when_the_reply_is_due() {
        let case = complaint();
        let due = case
            .deadlines
            .iter()
            .find(|d| d.clock == Clock::Solution)
            .map(|d| local_time(d.due_at, chrono_tz::Asia::Shanghai))
            .expect("a reply clock");
        let r = Receipt::of(&case, &Names, Lang::ZhCn, PersonalData::Shown);
        let reg_no = case.registration.reg_no.to_string();
        assert_eq!(r.rows[0], ("登记号".to_string(), reg_no.clone()));
        assert_eq!(r.reply_due.as_deref(), Some(due.as_str()));
        assert!(
            r.message.contains(&reg_no) && r.message.contains(&due),
            "{}",
            r.message
        );
        assert!(r.rows.iter().any(|(_, v)| v == "张三"));
        // Nothing of the handling, and the complainant masked for a reader
        // who does not see them.
        let masked = Receipt::of(&case, &Names, Lang::ZhCn, PersonalData::Masked);
        assert!(masked.rows.iter().all(|(_, v)| v != "张三"), "{masked:?}");
        let en = Receipt::of(&case, &Names, Lang::En, PersonalData::Shown);
        assert!(en.message.contains("We will reply by"), "{}", en.message);
        // Whom to contact, on paper and in the message.
        assert!(
            r.rows
                .contains(&("联系我们".to_string(), "客服中心 0571-88886666".to_string())),
            "{r:?}"
        );
        assert!(
            r.message.ends_with("联系方式：客服中心 0571-88886666。"),
            "{}",
            r.message
        );
        // How it came in, with the hotline's order number.
        assert!(!r.reply_unknown);
        let mut hotline = case.clone();
        hotline.registration.source_ref = "GD202603020001".into();
        let r = Receipt::of(&hotline, &Names, Lang::ZhCn, PersonalData::Shown);
        let (_, how) = r
            .rows
            .iter()
            .find(|(label, _)| label == "受理方式")
            .expect("the channel");
        assert!(how.contains("GD202603020001"), "{how}");
        // A reply clock with no due time: no date, and said so.
        let mut unknown = case.clone();
        unknown.deadlines.retain(|d| d.clock != Clock::Solution);
        unknown
            .deadline_problems
            .push(crate::case::DeadlineProblem {
                clock: Clock::Solution,
                code: "calendar.year_not_loaded".into(),
                message: String::new(),
                met_at: None,
            });
        let r = Receipt::of(&unknown, &Names, Lang::ZhCn, PersonalData::Shown);
        assert!(r.reply_unknown && r.reply_due.is_none(), "{r:?}");
        assert!(!r.message.contains("答复您"), "{}", r.message);
    }

    #[test]
    fn no_reply_is_promised_once_made_or_on_a_voided_case() {
        let case = complaint();
        let mut answered = case.clone();
        for d in &mut answered.deadlines {
            if d.clock == Clock::Solution {
                d.met_at = Some(d.started_at);
            }
        }
        let r = Receipt::of(&answered, &Names, Lang::ZhCn, PersonalData::Shown);
        assert!(r.reply_due.is_none(), "{r:?}");
        assert!(!r.message.contains("答复您"), "{}", r.message);
        let mut voided = case.clone();
        voided.state = crate::case::CaseState::Voided;
        let r = Receipt::of(&voided, &Names, Lang::ZhCn, PersonalData::Shown);
        assert!(r.reply_due.is_none() && !r.reply_unknown, "{r:?}");
    }
}
