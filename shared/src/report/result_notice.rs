//! 处理结果反馈单: what the complainant is given once their case is
//! handled, on paper or as a message. The seeds ask for it: once a
//! complaint is handled the company gives the complainant a feedback
//! sheet and asks their opinion of the result (003: 將客戶處理反饋單反饋
//! 給投訴客戶，徵求投訴客戶對處理結果的意見), the result report naming the
//! matter, how it was handled, the result and the improvements (002: 投诉
//! 事项、处理过程、处理结果以及改进措施). Like the receipt (`receipt`), it
//! holds nothing internal: no assessment, no person complained about, no
//! department.

use super::receipt::raised;
use super::record::{PersonalData, RecordNames, complainant, local_time};
use crate::case::{ApprovalState, Case, CaseKind, CaseState, Outcome, TimelineEntry};
use crate::compensation::format_yuan;
use crate::lang::Lang;

/// The result notice of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultNotice {
    /// 投诉处理结果反馈单, 报修处理结果反馈单, …
    pub title: String,
    /// Label and value, in order.
    pub rows: Vec<(String, String)>,
    /// The same as one message, to send by SMS or WeChat.
    pub message: String,
}

impl ResultNotice {
    /// Whether `case` has a result to tell: handled (resolved, followed up
    /// or closed), or a suggestion accepted whose plan is still being made.
    /// Not while it is worked again: a reopened case's result is the one
    /// the resident turned down, and stays on the case until a new one
    /// replaces it; nor once withdrawn or voided, never handled for them.
    /// A reopened case closed without a new result (a complaint found
    /// unfounded since) has none to tell either: the one on record is
    /// still the one turned down ([`result_since_reopening`]).
    pub fn available(case: &Case) -> bool {
        let told = case.resolution.is_some() || case.suggestion.is_some();
        let ready = match case.state {
            state if state.is_finished() => told,
            CaseState::InProgress => {
                case.registration.kind == CaseKind::Suggestion
                    && case.suggestion.as_ref().is_some_and(|s| s.accepted)
            }
            _ => false,
        };
        ready && result_since_reopening(case)
    }

    /// The notice of `case` in `lang`, for a reader who may see personal
    /// data or not; `None` until there is a result to tell: the case
    /// resolved (or answered on the spot), or a suggestion decided.
    pub fn of(
        case: &Case,
        names: &dyn RecordNames,
        lang: Lang,
        personal: PersonalData,
    ) -> Option<ResultNotice> {
        if !ResultNotice::available(case) {
            return None;
        }
        let l = lang;
        let tz = names.tz();
        let r = &case.registration;
        let (what_zh, what_en) = raised(r.kind);
        // What was done and when: the resolution, or for a suggestion the
        // decision on it.
        let (result, done_by, done_at) = match (&case.resolution, &case.suggestion) {
            (Some(res), _) => (res.result.clone(), res.stamp.by, res.stamp.at),
            (None, Some(s)) => {
                let decision = match (s.accepted, l) {
                    (true, Lang::ZhCn) => "采纳",
                    (true, Lang::En) => "Accepted",
                    (false, Lang::ZhCn) => "暂不采纳",
                    (false, Lang::En) => "Not taken up for now",
                };
                let result = match (s.reason.trim(), l) {
                    ("", _) => decision.to_string(),
                    (why, Lang::ZhCn) => format!("{decision}（理由：{}）", sentence(why)),
                    (why, Lang::En) => format!("{decision} (why: {})", sentence(why)),
                };
                (result, s.stamp.by, s.stamp.at)
            }
            (None, None) => return None,
        };
        let title = match l {
            Lang::ZhCn => format!("{what_zh}处理结果反馈单"),
            Lang::En => format!("Result of your {what_en}"),
        };
        let received = local_time(r.received_at, tz);
        let done = local_time(done_at, tz);
        let category = names.category(&r.category, l);
        let (name, _) = complainant(&r.complainant, personal, l);
        let mut rows = vec![
            (
                l.pick("登记号", "Registration no.").into(),
                r.reg_no.to_string(),
            ),
            (l.pick("受理时间", "Received").into(), received.clone()),
            (l.pick("反映人", "From").into(), name),
            (
                l.pick("地点", "Where").into(),
                names.place(r.property, &r.location, l),
            ),
            (l.pick("类别", "Category").into(), category.clone()),
        ];
        // The hotline asks after its order by its own number: the reply
        // quotes it, as the receipt did.
        if !r.source_ref.is_empty() {
            rows.push((
                l.pick("受理方式", "Received by way of").into(),
                r.channel_text(l),
            ));
        }
        rows.extend([(
            l.pick("反映事项", "What you told us").into(),
            r.content.clone(),
        )]);
        if let Some(s) = &case.solution {
            rows.push((
                l.pick("处理措施", "What was done about it").into(),
                s.measures.clone(),
            ));
            // A compensation is the resident's only once it is approved.
            if s.compensation_fen > 0 && s.approval == ApprovalState::Approved {
                rows.push((
                    l.pick("补偿", "Compensation").into(),
                    format!(
                        "{} {}",
                        format_yuan(s.compensation_fen),
                        l.pick("元", "CNY")
                    ),
                ));
            }
        }
        let plan = case.suggestion.as_ref().and_then(|s| s.plan.as_ref());
        if let Some(plan) = plan {
            rows.push((l.pick("整改计划", "Improvement plan").into(), plan.clone()));
        }
        // When the plan is posted on the notice board (张榜公布, 003): what
        // the resident can go and read.
        let posted = case
            .suggestion
            .as_ref()
            .and_then(|s| s.publish_on)
            .filter(|_| plan.is_some())
            .map(|d| d.format("%Y-%m-%d").to_string());
        if let Some(date) = &posted {
            rows.push((l.pick("公示日期", "Posted on").into(), date.clone()));
        }
        rows.push((l.pick("处理结果", "Result").into(), result.clone()));
        if let Some(c) = case
            .closure
            .as_ref()
            .filter(|c| !c.corrective_action.is_empty())
        {
            rows.push((
                l.pick("改进措施", "What we changed so it does not recur")
                    .into(),
                c.corrective_action.clone(),
            ));
        }
        rows.push((l.pick("完成时间", "Completed").into(), done.clone()));
        rows.push((l.pick("处理人", "Handled by").into(), names.user(done_by)));
        let contact = names.contact(r.property);
        if !contact.is_empty() {
            rows.push((l.pick("联系我们", "Contact us").into(), contact.clone()));
        }
        let reg_no = match (r.source_ref.as_str(), l) {
            ("", _) => r.reg_no.to_string(),
            (source, Lang::ZhCn) => format!("{}，来源单号 {source}", r.reg_no),
            (source, Lang::En) => format!("{}, source no. {source}", r.reg_no),
        };
        // A suggestion is answered, not handled: its plan may still be ahead.
        let result = sentence(&result);
        let message = match (l, r.kind) {
            (Lang::ZhCn, CaseKind::Suggestion) => format!(
                "您于 {received} 提出的{category}建议（登记号 {reg_no}）已于 {done} 答复：{result}。如有意见，请联系我们并提供登记号。"
            ),
            (Lang::ZhCn, _) => format!(
                "您于 {received} 反映的{category}{what_zh}（登记号 {reg_no}）已于 {done} 处理完毕：{result}。如对处理结果有意见，请联系我们并提供登记号。"
            ),
            (Lang::En, CaseKind::Suggestion) => format!(
                "Your suggestion ({category}) of {received}, registration no. {reg_no}, was answered on {done}: {result}. If you have more to say, contact us and quote the number."
            ),
            (Lang::En, _) => format!(
                "Your {what_en} ({category}) of {received}, registration no. {reg_no}, was handled on {done}: {result}. If you are not content with the result, contact us and quote the number."
            ),
        };
        let posted = match (posted, l) {
            (None, _) => String::new(),
            (Some(date), Lang::ZhCn) => format!("整改计划公示日期：{date}。"),
            (Some(date), Lang::En) => format!(" The plan is posted on the notice board on {date}."),
        };
        let message = message + &posted + &super::receipt::contact_sentence(&contact, l);
        Some(ResultNotice {
            title,
            rows,
            message,
        })
    }
}

/// `text` without the full stop staff end it with: the message puts its
/// own after it.
fn sentence(text: &str) -> &str {
    text.trim()
        .trim_end_matches(['。', '.', '！', '!', '；', ';', '，', ','])
}

/// Whether the result on record (a resolution, an answer or a decision on
/// a suggestion) came after the case's last reopening, in the timeline's
/// order: a reopened case keeps the result the resident turned down until
/// a new one replaces it.
fn result_since_reopening(case: &Case) -> bool {
    let applied = |t: &TimelineEntry| t.outcome == Outcome::Applied;
    let Some(reopened) = case
        .timeline
        .iter()
        .rposition(|t| applied(t) && t.state == CaseState::Reopened)
    else {
        return true;
    };
    case.timeline
        .iter()
        .rposition(|t| {
            applied(t)
                && t.changes
                    .iter()
                    .any(|c| RESULT_FIELDS.contains(&c.field.as_ref()))
        })
        .is_some_and(|result| result > reopened)
}

/// The timeline's changes that record a result to tell.
const RESULT_FIELDS: [&str; 3] = ["result", "answer", "accepted"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Closure, ContactMethod, Resolution, Solution};
    use crate::report::record::tests::{Names, known_complainant as complaint};

    /// The known complaint, resolved with compensation in `approval`.
    fn resolved(approval: ApprovalState) -> Case {
        let mut case = complaint();
        let stamp = case.registered.clone();
        case.solution = Some(Box::new(Solution {
            measures: "更换楼道水管".into(),
            responsible: "王工".into(),
            planned_date: None,
            compensation_fen: 20_000,
            approval,
            approver_role: None,
            stamp: stamp.clone(),
        }));
        case.resolution = Some(Box::new(Resolution {
            result: "水管已更换，不再漏水".into(),
            feedback_method: ContactMethod::Phone,
            feedback_at: None,
            on_the_spot: false,
            feedback_note: String::new(),
            feedback_by: None,
            stamp,
        }));
        case.state = CaseState::Resolved;
        case
    }

    fn value<'a>(n: &'a ResultNotice, label: &str) -> Option<&'a str> {
        n.rows
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_notice_tells_the_result_and_nothing_internal() {
        assert!(
            ResultNotice::of(&complaint(), &Names, Lang::ZhCn, PersonalData::Shown).is_none(),
            "nothing to tell before a result"
        );
        let mut case = resolved(ApprovalState::Approved);
        let n = ResultNotice::of(&case, &Names, Lang::ZhCn, PersonalData::Shown).expect("a notice");
        assert_eq!(n.title, "投诉处理结果反馈单");
        assert_eq!(value(&n, "处理措施"), Some("更换楼道水管"));
        assert_eq!(value(&n, "处理结果"), Some("水管已更换，不再漏水"));
        assert_eq!(value(&n, "补偿"), Some("200.00 元"));
        assert_eq!(value(&n, "反映人"), Some("张三"));
        assert_eq!(value(&n, "改进措施"), None, "not closed yet");
        let reg_no = case.registration.reg_no.to_string();
        assert!(
            n.message.contains(&reg_no) && n.message.contains("水管已更换"),
            "{}",
            n.message
        );
        // A compensation not approved is no promise to the resident.
        let pending = resolved(ApprovalState::Pending);
        let n =
            ResultNotice::of(&pending, &Names, Lang::ZhCn, PersonalData::Shown).expect("a notice");
        assert_eq!(value(&n, "补偿"), None);
        // Closed with a corrective action: the improvement is told.
        case.closure = Some(Box::new(Closure {
            corrective_action: "每季度检查楼道管道".into(),
            verification: "已抽查".into(),
            stamp: case.registered.clone(),
        }));
        let n = ResultNotice::of(&case, &Names, Lang::ZhCn, PersonalData::Shown).expect("a notice");
        assert_eq!(value(&n, "改进措施"), Some("每季度检查楼道管道"));
        assert!(n.rows.iter().all(|(_, v)| v != "已抽查"), "{n:?}");
        // Masked for a reader who does not see the complainant; English on request.
        let masked =
            ResultNotice::of(&case, &Names, Lang::ZhCn, PersonalData::Masked).expect("a notice");
        assert!(masked.rows.iter().all(|(_, v)| v != "张三"), "{masked:?}");
        let en = ResultNotice::of(&case, &Names, Lang::En, PersonalData::Shown).expect("a notice");
        assert!(en.message.contains("was handled on"), "{}", en.message);
        // A result ended with a full stop gets one, not two.
        case.resolution.as_mut().unwrap().result = "水管已更换。".into();
        let n = ResultNotice::of(&case, &Names, Lang::ZhCn, PersonalData::Shown).expect("a notice");
        assert!(n.message.contains("水管已更换。如对"), "{}", n.message);
        assert!(
            n.message.ends_with("联系方式：客服中心 0571-88886666。"),
            "{}",
            n.message
        );
        // Reopened (the resident turned the result down), withdrawn or
        // voided: no result to hand them.
        for state in [CaseState::Reopened, CaseState::Withdrawn, CaseState::Voided] {
            case.state = state;
            assert!(ResultNotice::of(&case, &Names, Lang::ZhCn, PersonalData::Shown).is_none());
        }
        // Worked again after the reopening: the old result still on the
        // case is not the one to hand over.
        case.reopen_count = 1;
        for state in [CaseState::Assigned, CaseState::InProgress] {
            case.state = state;
            assert!(ResultNotice::of(&case, &Names, Lang::ZhCn, PersonalData::Shown).is_none());
        }
    }

    #[test]
    fn the_hotline_number_and_the_posting_date_are_told() {
        let mut case = resolved(ApprovalState::Approved);
        case.registration.source_ref = "GD202603020001".into();
        let n = ResultNotice::of(&case, &Names, Lang::ZhCn, PersonalData::Shown).expect("a notice");
        assert!(
            value(&n, "受理方式").is_some_and(|v| v.contains("GD202603020001")),
            "{n:?}"
        );
        assert!(
            n.message.contains("来源单号 GD202603020001"),
            "{}",
            n.message
        );
        // An accepted suggestion: told while its plan is made, then with
        // the plan and the day it is posted.
        let mut suggestion = complaint();
        suggestion.registration.kind = CaseKind::Suggestion;
        suggestion.state = CaseState::InProgress;
        suggestion.suggestion = Some(Box::new(crate::case::SuggestionOutcome {
            accepted: true,
            reason: String::new(),
            plan: None,
            publish_on: None,
            stamp: suggestion.registered.clone(),
        }));
        let n = ResultNotice::of(&suggestion, &Names, Lang::ZhCn, PersonalData::Shown)
            .expect("a notice");
        assert_eq!(value(&n, "公示日期"), None);
        let outcome = suggestion.suggestion.as_mut().unwrap();
        outcome.plan = Some("增设快递柜".into());
        outcome.publish_on = chrono::NaiveDate::from_ymd_opt(2026, 3, 10);
        suggestion.state = CaseState::Resolved;
        let n = ResultNotice::of(&suggestion, &Names, Lang::ZhCn, PersonalData::Shown)
            .expect("a notice");
        assert_eq!(value(&n, "公示日期"), Some("2026-03-10"));
        assert!(n.message.contains("公示日期：2026-03-10"), "{}", n.message);
    }
}
