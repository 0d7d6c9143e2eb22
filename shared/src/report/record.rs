//! One case as the paper record form that auditors expect, named and
//! worded for its kind (客户投诉记录表, 维修服务单, 合理化建议记录表,
//! 咨询服务记录), described once: the intake fields the regulations list
//! (who, how to reach them, when, where, through which channel, what they
//! said and asked for), the handling (assessment, responsible department,
//! measures, result), the follow-up and the closure, the signature lines
//! and the evidence.
//!
//! [`RecordSheet`] is content only, already in one language. The app draws
//! it as HTML on screen and paper (`app/src/pages/print.rs`), the server as
//! the self-contained `record.html` of a case's bundle for head office
//! (`server/src/export/record_html.rs`); both keep the same rows in the
//! same order because both read them from here.
//!
//! **Personal data.** The sheet is built for a reader who may or may not
//! see the complainant's personal data ([`PersonalData`], from
//! `personal_data::shown`): when not, the name and phone are masked
//! like everywhere else (张*, 138****5678) and the complainant's signature
//! is neither on its line nor among the evidence.

use crate::blob::BlobHash;
use crate::case::{ApprovalState, Attachment, AttachmentKind, Case, CaseKind, Outcome};
use crate::compensation::format_yuan;
use crate::deadline::met_on_time;
use crate::id::{PropertyId, UserId};
use crate::lang::Lang;
use crate::property::Location;
use crate::role::{mask_name, mask_phone};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The paper record of one case, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSheet {
    /// The form's name for the case's kind: 客户投诉记录表 / Customer
    /// complaint record for a complaint, 维修服务单 for a repair, and so on.
    pub title: String,
    /// The line under the title: registration number, kind, state.
    pub meta: Vec<MetaItem>,
    /// The table's rows, top to bottom.
    pub rows: Vec<RecordRow>,
    /// The signature lines, in rows of [`SIGNATURES_PER_ROW`].
    pub signatures: Vec<SignatureLine>,
    /// Every attachment the reader may see, in the order they were
    /// attached (the complainant's signatures left out when masked).
    pub evidence: Vec<Evidence>,
}

/// How many signature lines the form puts side by side.
pub const SIGNATURES_PER_ROW: usize = 3;

/// One item of the line under the title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaItem {
    /// Which item: a stable key a renderer may hook on (`reg_no`, `kind`,
    /// `state`).
    pub key: &'static str,
    /// The label with its punctuation, e.g. `登记号：`.
    pub label: String,
    /// The value.
    pub value: String,
}

/// One field of the table: a label cell and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordField {
    /// Which field: a stable key a renderer may hook on (`content` is the
    /// complaint's text, and so on).
    pub key: &'static str,
    /// The label cell.
    pub label: String,
    /// The value, one paragraph per entry (handling notes and deadlines
    /// have several; most fields one, or none when empty).
    pub lines: Vec<String>,
}

/// One row of the table: two fields side by side, or one across the
/// width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordRow {
    /// Two short fields.
    Pair(RecordField, RecordField),
    /// One field across the width; `tall` leaves room for handwriting.
    Wide {
        /// The field.
        field: RecordField,
        /// Drawn taller than the other rows.
        tall: bool,
    },
}

/// A signature line of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureLine {
    /// The label with its punctuation, e.g. `处理人签字：`.
    pub label: String,
    /// The attachment kind that signs this line, if one does; lines
    /// without one are signed by hand on paper.
    pub kind: Option<AttachmentKind>,
    /// The latest attachment of that kind the reader may see, if any.
    pub signed: Option<Evidence>,
}

/// One attachment as the record lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Its place among all the case's attachments, from 1: stable whoever
    /// reads the sheet, so that names made from it do not shift when an
    /// attachment is left out.
    pub number: usize,
    /// What it is for.
    pub kind: AttachmentKind,
    /// [`Evidence::kind`] in the sheet's language.
    pub kind_label: String,
    /// The file name the device gave it.
    pub name: String,
    /// What it shows, in the recorder's words.
    pub caption: String,
    /// Its media type.
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes (`None` for attachments recorded before
    /// evidence was content-addressed, whose bytes never travelled).
    pub hash: Option<BlobHash>,
    /// Who attached it and when, as the sheet shows it.
    pub recorded: String,
}

/// Whether the reader may see the complainant's personal data
/// (`personal_data::shown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalData {
    /// Name, phone and signature shown.
    Shown,
    /// Name and phone masked, the complainant's signature left out.
    Masked,
}

impl PersonalData {
    /// Shown when `sees` (everything `personal_data::shown` shows), else masked.
    pub fn shown_if(sees: bool) -> PersonalData {
        if sees {
            PersonalData::Shown
        } else {
            PersonalData::Masked
        }
    }
}

/// The complainant's name and phone as a reader sees them on paper.
pub(super) fn complainant(
    c: &crate::case::Complainant,
    personal: PersonalData,
    l: Lang,
) -> (String, String) {
    let phone = c.phone.as_ref().map(|p| p.to_string());
    // An anonymous complainant may still leave a number for the
    // call-back: it is masked like any other.
    let phone = match personal {
        PersonalData::Shown => phone.unwrap_or_default(),
        PersonalData::Masked => phone.as_deref().map(mask_phone).unwrap_or_default(),
    };
    let name = match personal {
        _ if c.anonymous && c.name.is_empty() => l.pick("匿名", "Anonymous").to_string(),
        PersonalData::Shown => c.name.clone(),
        PersonalData::Masked => mask_name(&c.name),
    };
    (name, phone)
}

/// The names a sheet needs that the case holds only as ids or codes: the
/// app answers from its synced configuration, the server from its store.
pub trait RecordNames {
    /// A user's display name.
    fn user(&self, id: UserId) -> String;
    /// A category's name in `lang` (its code when unknown).
    fn category(&self, code: &str, lang: Lang) -> String;
    /// The property's name and the location within it, as one text, for
    /// a reader of `lang`.
    fn place(&self, property: PropertyId, location: &Location, lang: Lang) -> String;
    /// Where residents reach the property's service desk
    /// (`Property::contact`), empty when none is set.
    fn contact(&self, property: PropertyId) -> String;
    /// The company timezone, for every time on the sheet.
    fn tz(&self) -> Tz;
}

impl RecordSheet {
    /// The sheet of a folded `case` in `lang`, for a reader who may see
    /// personal data or not, printed at `now`: a clock not met stands as
    /// it does then, and the sheet says when that was.
    pub fn of(
        case: &Case,
        names: &dyn RecordNames,
        lang: Lang,
        personal: PersonalData,
        now: DateTime<Utc>,
    ) -> RecordSheet {
        // Masked whole: the numbers typed into its texts too.
        let masked;
        let case = match personal {
            PersonalData::Shown => case,
            PersonalData::Masked => {
                masked = crate::personal_data::Shown::NOTHING.case(case);
                &masked
            }
        };
        let l = lang;
        let tz = names.tz();
        let time = |at: DateTime<Utc>| local_time(at, tz);
        let r = &case.registration;
        let (name, phone) = complainant(&r.complainant, personal, l);
        let assessment = case.assessment.as_ref().map(|a| {
            // Validity is a complaint's (a repair's assessment carries the
            // form's default).
            let mut s = a.severity.label(l).to_string();
            if r.kind == CaseKind::Complaint {
                s.push_str(&format!(" · {}", a.validity.label(l)));
            }
            if a.urgent {
                s.push_str(l.pick(" · 紧急", " · urgent"));
            }
            if !a.reason.is_empty() {
                s.push_str(&format!(" · {}", a.reason));
            }
            let about: Vec<&str> = [a.respondent.as_str(), a.respondent_department.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            if !about.is_empty() {
                s.push_str(&format!(
                    "{}{}",
                    l.pick(" · 被投诉：", " · complained about: "),
                    about.join(" ")
                ));
            }
            s
        });
        let assignee = case
            .assignee
            .as_ref()
            .map(|a| format!("{} {}", a.department, a.name));
        let handling = case
            .notes
            .iter()
            .map(|n| {
                format!(
                    "{} {} {}{}{}",
                    time(n.stamp.at),
                    names.user(n.stamp.by),
                    n.kind.label(l),
                    l.pick("：", ": "),
                    n.text
                )
            })
            .collect();
        let history = history(case, names, l, tz);
        let solution = case.solution.as_ref().map(|s| {
            let mut text = s.measures.clone();
            if !s.responsible.is_empty() {
                text.push_str(&in_brackets(&s.responsible, l));
            }
            // 措施、实施时间和责任人 (002): the time is the planned date.
            if let Some(date) = s.planned_date {
                text.push_str(&format!(
                    "{}{}",
                    l.pick("；计划完成 ", "; planned for "),
                    date.format("%Y-%m-%d")
                ));
            }
            // An amount not approved is no promise: said with it, since
            // a refused one stays on a repair resolved without it.
            if s.compensation_fen > 0 {
                text.push_str(&format!(
                    "{}{} {}",
                    l.pick("；赔偿 ", "; compensation "),
                    format_yuan(s.compensation_fen),
                    l.pick("元", "CNY")
                ));
                if matches!(s.approval, ApprovalState::Pending | ApprovalState::Rejected) {
                    text.push_str(&in_brackets(s.approval.label(l), l));
                }
            }
            text
        });
        let words = Words::of(r.kind);
        let person = r.kind.person(Lang::ZhCn);
        let result = case.resolution.as_ref().map(|res| {
            let told_label = match l {
                Lang::ZhCn => format!("；已告知{person}："),
                Lang::En => "; resident told: ".to_string(),
            };
            let mut told = match (res.feedback_at, &res.feedback_by) {
                (Some(at), Some(by)) => format!(
                    "{told_label}{} {} {}",
                    res.feedback_method.label(l),
                    names.user(by.by),
                    time(at)
                ),
                (Some(at), None) => {
                    format!("{told_label}{} {}", res.feedback_method.label(l), time(at))
                }
                (None, _) => String::new(),
            };
            // What the resident said when told (征求对处理结果的意见, 003).
            if !told.is_empty() && !res.feedback_note.is_empty() {
                told.push_str(&format!(
                    "{}{}",
                    l.pick("，意见：", ", said: "),
                    res.feedback_note
                ));
            }
            let by = format!("{} {}", names.user(res.stamp.by), time(res.stamp.at));
            format!("{}{}{told}", res.result, in_brackets(&by, l))
        });
        let ended = case.ended_at();
        let deadlines = case
            .deadlines
            .iter()
            .map(|c| {
                let met = match c.met_at {
                    // A callback the close gave up on (回访未果) before its
                    // time ran out: never made, not late.
                    Some(at) if c.taken_unmet && at < c.due_at => {
                        format!(
                            "{} {}",
                            l.pick("未完成，结案于", "not made, the case closed"),
                            time(at)
                        )
                    }
                    Some(at) if c.taken_unmet => {
                        format!(
                            "{} {}",
                            l.pick("超时未完成，终止于", "missed, ended"),
                            time(at)
                        )
                    }
                    // To the second, as the case page judges it: the
                    // printed minutes alone would hide a late one.
                    Some(at) if met_on_time(at, c.due_at) => {
                        format!("{} {}", l.pick("按时完成", "met on time"), time(at))
                    }
                    Some(at) => format!("{} {}", l.pick("超时完成", "met late"), time(at)),
                    // Run out by the case's end, or by the print for an
                    // open case: an auditor must not read it as running.
                    None if c.due_at <= ended.unwrap_or(now) => {
                        l.pick("超时未完成", "missed").to_string()
                    }
                    None => l.pick("未完成", "running").to_string(),
                };
                format!(
                    "{}{}{} {} · {}",
                    c.clock.label(l),
                    l.pick("：", ": "),
                    l.pick("时限", "due"),
                    time(c.due_at),
                    met
                )
            })
            // A clock the calendar could not compute is said, as the case
            // page says it: an auditor must not read it as not owed.
            .chain(case.deadline_problems.iter().map(|p| {
                let why = if p.code == "calendar.year_not_loaded" {
                    l.pick(
                        "时限无法计算（节假日安排未导入）",
                        "no due time (holiday calendar not loaded)",
                    )
                } else {
                    l.pick("时限无法计算", "no due time")
                };
                let met = p
                    .met_at
                    .map(|at| format!(" · {} {}", l.pick("完成", "met"), time(at)))
                    .unwrap_or_default();
                format!("{}{}{why}{met}", p.clock.label(l), l.pick("：", ": "))
            }))
            .collect();
        let decision = case.suggestion.as_ref().map(|d| {
            let mut text = if d.accepted {
                l.pick("采纳", "Accepted")
            } else {
                l.pick("不采纳", "Declined")
            }
            .to_string();
            if !d.reason.is_empty() {
                text.push_str(&format!("{}{}", l.pick("：", ": "), d.reason));
            }
            if let Some(plan) = d.plan.as_deref().filter(|p| !p.is_empty()) {
                text.push_str(&format!("{}{plan}", l.pick("；整改计划：", "; plan: ")));
            }
            if let Some(date) = d.publish_on {
                text.push_str(&format!(
                    "{}{}",
                    l.pick("；公示日期 ", "; published on "),
                    date.format("%Y-%m-%d")
                ));
            }
            let by = format!("{} {}", names.user(d.stamp.by), time(d.stamp.at));
            format!("{text}{}", in_brackets(&by, l))
        });
        let follow_up = case.latest_follow_up();
        let closure = case.closure.as_ref();
        let field = |key, zh, en, value: Option<String>| RecordField {
            key,
            label: l.pick(zh, en).to_string(),
            lines: value.into_iter().filter(|v| !v.is_empty()).collect(),
        };
        // A label naming the resident as the kind does (投诉人诉求, 报修人诉求).
        let of_person = |key, zh_suffix: &str, en: &str, value: Option<String>| RecordField {
            key,
            label: match l {
                Lang::ZhCn => format!("{person}{zh_suffix}"),
                Lang::En => en.to_string(),
            },
            lines: value.into_iter().filter(|v| !v.is_empty()).collect(),
        };
        let many = |key, zh, en, lines: Vec<String>| RecordField {
            key,
            label: l.pick(zh, en).to_string(),
            lines,
        };
        let wide = |field| RecordRow::Wide { field, tall: false };
        let tall = |field| RecordRow::Wide { field, tall: true };
        let mut rows = vec![
            RecordRow::Pair(
                field(
                    "complainant",
                    r.kind.person(Lang::ZhCn),
                    r.kind.person(Lang::En),
                    Some(name),
                ),
                field("phone", "联系电话", "Phone", Some(phone)),
            ),
            RecordRow::Pair(
                field(
                    "place",
                    "房号/位置",
                    "Unit / location",
                    Some(names.place(r.property, &r.location, l)),
                ),
                // With the number it came with, which the reply quotes.
                field("channel", "受理渠道", "Channel", Some(r.channel_text(l))),
            ),
            RecordRow::Pair(
                field(
                    "received",
                    "受理时间",
                    "Received",
                    Some(time(r.received_at)),
                ),
                field(
                    "recorded",
                    "登记人/时间",
                    "Recorded by",
                    Some(format!(
                        "{} {}",
                        names.user(case.registered.by),
                        time(case.registered.at)
                    )),
                ),
            ),
            RecordRow::Pair(
                field(
                    "category",
                    words.category,
                    "Category",
                    Some(names.category(&r.category, l)),
                ),
                field(
                    "related_case",
                    "关联工单",
                    "Related case",
                    r.related_case.clone(),
                ),
            ),
            tall(field(
                "content",
                words.content.0,
                words.content.1,
                Some(r.content.clone()),
            )),
            wide(of_person(
                "requested_remedy",
                "诉求",
                "Requested remedy",
                Some(r.requested_remedy.clone()),
            )),
            RecordRow::Pair(
                field("assessment", "评估", "Assessment", assessment),
                field(
                    "assignee",
                    "责任部门/责任人",
                    "Department / person",
                    assignee,
                ),
            ),
            tall(many(
                "handling",
                "调查处理过程",
                "Investigation and handling",
                handling,
            )),
            wide(field("solution", "处理方案", "Solution", solution)),
            wide(field("result", "处理结果", "Result", result)),
            wide(many("deadlines", "时限", "Deadlines", deadlines)),
            RecordRow::Pair(
                field(
                    "follow_up",
                    "回访时间/方式",
                    "Follow-up",
                    follow_up.map(|f| {
                        format!(
                            "{} {} {}",
                            time(f.stamp.at),
                            f.method.label(l),
                            names.user(f.stamp.by)
                        )
                    }),
                ),
                field(
                    "satisfaction",
                    "满意度",
                    "Satisfaction",
                    follow_up.map(|f| {
                        let ratings = f.ratings.map_or(String::new(), |r| {
                            format!(
                                "{}{} {} {}",
                                l.pick("（结果/态度/效率 ", " (result/attitude/timeliness "),
                                r.result,
                                r.attitude,
                                r.timeliness
                            ) + l.pick("）", ")")
                        });
                        format!(
                            "{} {}{ratings}",
                            f.satisfaction,
                            satisfaction_label(f.satisfaction, l)
                        )
                    }),
                ),
            ),
            wide(of_person(
                "comment",
                "意见",
                "Resident's comment",
                follow_up.map(|f| f.comment.clone()),
            )),
            wide(field(
                "corrective_action",
                "纠正预防措施",
                "Corrective action",
                closure.map(|c| c.corrective_action.clone()),
            )),
            RecordRow::Pair(
                field(
                    "verification",
                    "验证情况",
                    "Verification",
                    closure.map(|c| c.verification.clone()),
                ),
                field(
                    "closed",
                    "结案人/时间",
                    "Closed by",
                    closure.map(|c| format!("{} {}", names.user(c.stamp.by), time(c.stamp.at))),
                ),
            ),
        ];
        // A suggestion's decision and plan (采纳/不采纳, 整改计划, 张榜公布)
        // follow its solution.
        if decision.is_some() || r.kind == CaseKind::Suggestion {
            let at = rows
                .iter()
                .position(|r| matches!(r, RecordRow::Wide { field, .. } if field.key == "solution"))
                .map_or(rows.len(), |i| i + 1);
            rows.insert(
                at,
                wide(field(
                    "decision",
                    "采纳情况/整改计划",
                    "Decision and plan",
                    decision,
                )),
            );
        }
        // Only a case with such a history gets the row: the form of a case
        // handled straight through keeps to one page.
        if !history.is_empty() {
            let at = rows
                .iter()
                .position(|r| matches!(r, RecordRow::Wide { field, .. } if field.key == "handling"))
                .map_or(rows.len(), |i| i + 1);
            rows.insert(
                at,
                wide(many(
                    "history",
                    "转办/上报/延期/审批/回访记录",
                    "Transfers, escalations, extensions, approvals, follow-ups",
                    history,
                )),
            );
        }
        let evidence: Vec<Evidence> = case
            .attachments
            .iter()
            .enumerate()
            .filter(|(_, a)| personal == PersonalData::Shown || !a.kind.is_personal())
            .map(|(i, a)| {
                let mut e = Evidence::of(i + 1, a, names, l, tz);
                e.kind_label = a.kind.label_on(r.kind, l);
                e
            })
            .collect();
        let signatures = SIGNATURE_LINES
            .iter()
            .map(|&(zh, en, kind)| {
                // A masked reader's sheet has no complainant's signature to
                // show, so its line is left for a pen like the others.
                let kind = kind.filter(|k| personal == PersonalData::Shown || !k.is_personal());
                // The resident's line names them as the kind does.
                let zh = if zh == COMPLAINANT_LINE {
                    format!("{person}确认/日期：")
                } else {
                    zh.to_string()
                };
                SignatureLine {
                    label: match l {
                        Lang::ZhCn => zh,
                        Lang::En => en.to_string(),
                    },
                    kind,
                    signed: kind.and_then(|k| evidence.iter().rev().find(|e| e.kind == k).cloned()),
                }
            })
            .collect();
        let mut meta = vec![
            MetaItem {
                key: "reg_no",
                label: l.pick("登记号：", "No.: ").to_string(),
                value: r.reg_no.to_string(),
            },
            MetaItem {
                key: "kind",
                label: l.pick("类型：", "Kind: ").to_string(),
                value: r.kind.label(l).to_string(),
            },
            MetaItem {
                key: "state",
                label: l.pick("状态：", "State: ").to_string(),
                value: case.state.label(l).to_string(),
            },
        ];
        // 二次处理 (001): how often an unsatisfied resident sent it back.
        if case.reopen_count > 0 {
            meta.push(MetaItem {
                key: "reopened",
                label: l.pick("重新处理：", "Reopened: ").to_string(),
                value: match l {
                    Lang::ZhCn => format!("{} 次", case.reopen_count),
                    Lang::En => format!("{} times", case.reopen_count),
                },
            });
        }
        // What the clocks' 未完成 and 超时未完成 are as of.
        meta.push(MetaItem {
            key: "printed",
            label: l.pick("打印时间：", "Printed: ").to_string(),
            value: time(now),
        });
        RecordSheet {
            title: l.pick(words.title.0, words.title.1).to_string(),
            meta,
            rows,
            signatures,
            evidence,
        }
    }

    /// The registration number, as the meta line shows it.
    pub fn reg_no(&self) -> &str {
        self.meta
            .iter()
            .find(|m| m.key == "reg_no")
            .map_or("", |m| m.value.as_str())
    }

    /// The photos among the evidence, for the page after the form.
    pub fn photos(&self) -> impl Iterator<Item = &Evidence> {
        self.evidence
            .iter()
            .filter(|e| e.kind == AttachmentKind::Photo)
    }
}

/// The signature lines of the paper form, in order, with the kind of
/// attachment that signs each; each person signs at another stage, so
/// each line has its own date. The receiver (受理人), the department head
/// and the person closing the case sign on paper: the tablet records no
/// signature of theirs. The follow-up line takes the verifier's
/// signature, because on the form the person who calls back is the one
/// who verifies the corrective action. The resident's line is named for
/// the kind (投诉人, 报修人, …) when the sheet is made.
const SIGNATURE_LINES: [(&str, &str, Option<AttachmentKind>); 6] = [
    ("受理人签字/日期：", "Recorded by / date:", None),
    (
        "处理人签字/日期：",
        "Handled by / date:",
        Some(AttachmentKind::HandlerSignature),
    ),
    ("部门负责人签字/日期：", "Department head / date:", None),
    (
        "回访/验证人签字/日期：",
        "Follow-up / verified by, date:",
        Some(AttachmentKind::VerifierSignature),
    ),
    (
        COMPLAINANT_LINE,
        "Resident's confirmation / date:",
        Some(AttachmentKind::ComplainantSignature),
    ),
    ("结案人签字/日期：", "Closed by / date:", None),
];

/// The resident's signature line, before it is named for the kind.
const COMPLAINANT_LINE: &str = "投诉人确认/日期：";

/// How the sheet names a kind's form and its resident.
struct Words {
    /// The form's name, Chinese and English.
    title: (&'static str, &'static str),
    /// What they said.
    content: (&'static str, &'static str),
    /// The category's label (Chinese; the English is "Category").
    category: &'static str,
}

impl Words {
    /// The seeds' names: 客户投诉记录表 (002), 维修服务单 and 咨询服务记录
    /// (003), 合理化建议 (003).
    fn of(kind: CaseKind) -> Words {
        match kind {
            CaseKind::Complaint => Words {
                title: ("客户投诉记录表", "Customer complaint record"),
                content: ("投诉内容", "Complaint"),
                category: "投诉类别",
            },
            CaseKind::Repair => Words {
                title: ("维修服务单", "Repair service record"),
                content: ("报修内容", "Repair request"),
                category: "报修类别",
            },
            CaseKind::Suggestion => Words {
                title: ("合理化建议记录表", "Suggestion record"),
                content: ("建议内容", "Suggestion"),
                category: "建议类别",
            },
            CaseKind::Inquiry => Words {
                title: ("咨询服务记录", "Inquiry record"),
                content: ("咨询内容", "Question"),
                category: "咨询类别",
            },
        }
    }
}

impl Evidence {
    fn of(number: usize, a: &Attachment, names: &dyn RecordNames, l: Lang, tz: Tz) -> Evidence {
        Evidence {
            number,
            kind: a.kind,
            kind_label: a.kind.label(l).to_string(),
            name: a.name.clone(),
            caption: a.caption.clone(),
            mime: a.mime.clone(),
            size: a.size,
            hash: a.hash,
            recorded: format!("{} {}", names.user(a.stamp.by), local_time(a.stamp.at, tz)),
        }
    }
}

/// `text` in brackets as `lang` writes them: （…） in Chinese, (…) with a
/// space before in English.
fn in_brackets(text: &str, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => format!("（{text}）"),
        Lang::En => format!(" ({text})"),
    }
}

/// What happened to the case between its registration and its end that
/// the other fields keep only the latest of, oldest first: every transfer
/// (转办), change of first responder, escalation (上报), extension,
/// compensation decision, the
/// follow-ups but the latest regular one (a low score reopens the case),
/// the reopenings by a manager, and the withdrawal. The archived sheet of a case that was transferred, extended
/// or reopened then tells the whole of it.
fn history(case: &Case, names: &dyn RecordNames, l: Lang, tz: Tz) -> Vec<String> {
    let assignee = |a: &crate::case::Assignee| format!("{} {}", a.department, a.name);
    let mut lines: Vec<(DateTime<Utc>, String)> = Vec::new();
    // One entry: when, what, by whom, and what was said, if anything.
    let mut entry = |stamp: &crate::case::Stamp, what: String, said: &str| {
        let said = if said.is_empty() {
            String::new()
        } else {
            format!("{}{said}", l.pick("：", ": "))
        };
        let line = format!(
            "{} {what}{}{said}",
            local_time(stamp.at, tz),
            in_brackets(&names.user(stamp.by), l)
        );
        lines.push((stamp.at, line));
    };
    // The first assignment (from nobody) is the 责任部门 field's, unless
    // a transfer followed, which names it as where the case came from.
    for h in &case.handovers {
        let Some(from) = &h.from else { continue };
        let what = format!(
            "{}{} → {}",
            l.pick("转办 ", "transferred "),
            assignee(from),
            assignee(&h.to)
        );
        entry(&h.stamp, what, &h.note);
    }
    for c in &case.responder_changes {
        let what = format!(
            "{}{} → {}",
            l.pick("更换首问责任人 ", "first responder changed "),
            names.user(c.from),
            names.user(c.to)
        );
        entry(&c.stamp, what, &c.reason);
    }
    for e in &case.escalations {
        let skip = if e.skip_level {
            l.pick("（越级）", " (skip-level)")
        } else {
            ""
        };
        let what = format!(
            "{}{}{skip}",
            l.pick("上报 ", "escalated to "),
            e.to_role.label(l)
        );
        entry(&e.stamp, what, &e.reason);
    }
    for x in &case.extensions {
        let what = format!(
            "{}{}{}",
            l.pick("延期 ", "extended by "),
            x.working_days,
            l.pick(" 个工作日", " working days")
        );
        entry(&x.stamp, what, &x.reason);
    }
    for a in &case.approvals {
        let decided = if a.approved {
            l.pick("批准", "approved")
        } else {
            l.pick("驳回", "refused")
        };
        let amount = format_yuan(a.amount_fen);
        let what = match l {
            Lang::ZhCn => format!("赔偿审批 {decided} {amount} 元"),
            Lang::En => format!("compensation {decided} ¥{amount}"),
        };
        entry(&a.stamp, what, &a.comment);
    }
    // The latest regular follow-up has its own fields.
    let latest = case.latest_follow_up();
    for f in case
        .follow_ups
        .iter()
        .filter(|f| !latest.is_some_and(|x| std::ptr::eq(x, *f)))
    {
        let call = if f.spot_check {
            l.pick("抽查回访 ", "spot-check call ")
        } else {
            l.pick("回访 ", "follow-up ")
        };
        let what = format!(
            "{call}{} {} {}",
            f.method.label(l),
            f.satisfaction,
            satisfaction_label(f.satisfaction, l)
        );
        entry(&f.stamp, what, &f.comment);
    }
    for m in &case.callbacks_missed {
        let what = format!(
            "{}{}",
            l.pick("回访未果 ", "callback missed "),
            m.method.label(l)
        );
        entry(&m.stamp, what, &m.note);
    }
    // A reopening by a manager keeps its reason only in the timeline (one
    // after a low score is the follow-up's, listed above).
    // Found by what it changed: one that lost a race and was applied
    // later is recorded as the conflict's settlement.
    for t in case
        .timeline
        .iter()
        .filter(|t| t.outcome == Outcome::Applied)
    {
        if let Some(reason) = t
            .changes
            .iter()
            .find(|c| c.field == "reopen_reason")
            .and_then(|c| c.to.as_deref())
        {
            entry(&t.stamp, l.pick("重新处理", "reopened").to_string(), reason);
        }
    }
    // The results a reopening sent back: the 处理结果 field keeps only the
    // latest, and the paper must show what was done again (二次处理).
    let results: Vec<_> = case
        .timeline
        .iter()
        .filter(|t| t.outcome == Outcome::Applied)
        .filter_map(|t| {
            t.changes
                .iter()
                .find(|c| c.field == "result" || c.field == "answer")
                .and_then(|c| c.to.as_deref())
                .map(|result| (&t.stamp, result))
        })
        .collect();
    if let Some((_, earlier)) = results.split_last() {
        for (stamp, result) in earlier {
            entry(
                stamp,
                l.pick("此前处理结果", "earlier result").to_string(),
                result,
            );
        }
    }
    // Withdrawals, voids and restores from the timeline too: a restore
    // clears the case's own record of the end it undid, and the paper
    // tells the whole of it (件件有记录).
    // Found by what they changed, not by their action: one that lost a
    // race and was applied later is recorded as the conflict's settlement.
    for t in case
        .timeline
        .iter()
        .filter(|t| t.outcome == Outcome::Applied)
    {
        let said = |field: &str| {
            t.changes
                .iter()
                .find(|c| c.field == field)
                .and_then(|c| c.to.as_deref())
        };
        let ended = if let Some(reason) = said("withdraw_reason") {
            Some((l.pick("撤回", "withdrawn").to_string(), reason))
        } else if let Some(reason) = said("void_reason") {
            let what = match (said("duplicate_of"), l) {
                (Some(original), Lang::ZhCn) => format!("作废（与 {original} 重复）"),
                (Some(original), Lang::En) => format!("voided (a duplicate of {original})"),
                (None, _) => l.pick("作废", "voided").to_string(),
            };
            Some((what, reason))
        } else {
            said("restore_reason").map(|reason| (l.pick("恢复", "restored").to_string(), reason))
        };
        if let Some((what, reason)) = ended {
            entry(&t.stamp, what, reason);
        }
    }
    lines.sort_by_key(|(at, _)| *at);
    lines.into_iter().map(|(_, line)| line).collect()
}

/// A time as the sheet shows it: local, to the minute.
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A follow-up score in words: 5 非常满意 … 1 非常不满意.
pub fn satisfaction_label(score: u8, lang: Lang) -> &'static str {
    match score {
        5 => lang.pick("非常满意", "Very satisfied"),
        4 => lang.pick("满意", "Satisfied"),
        3 => lang.pick("一般", "Neutral"),
        2 => lang.pick("不满意", "Unsatisfied"),
        _ => lang.pick("非常不满意", "Very unsatisfied"),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::case::{MissedCallback, Thumbnail};
    use crate::id::AttachmentId;
    use crate::op::ActionKind;
    use crate::phone::Phone;

    /// A folded complaint from 张三, 13812345678.
    pub(in crate::report) fn known_complainant() -> Case {
        let mut case = crate::sim::folded_complaint();
        case.registration.complainant.name = "张三".into();
        case.registration.complainant.phone = Phone::parse("13812345678").ok();
        case
    }

    /// Names as a test knows them.
    pub(in crate::report) struct Names;

    impl RecordNames for Names {
        fn user(&self, _: UserId) -> String {
            "李四".into()
        }
        fn category(&self, code: &str, _: Lang) -> String {
            format!("类别{code}")
        }
        fn place(&self, _: PropertyId, _: &Location, _: Lang) -> String {
            "华苑小区 1栋 101".into()
        }
        fn contact(&self, _: PropertyId) -> String {
            "客服中心 0571-88886666".into()
        }
        fn tz(&self) -> Tz {
            chrono_tz::Asia::Shanghai
        }
    }

    /// A complaint registered by a simulated device, folded, with a known
    /// complainant and the given attachments.
    fn case_with(kinds: &[AttachmentKind]) -> Case {
        let mut case = known_complainant();
        case.registration.content = "楼道漏水".into();
        let stamp = case.registered.clone();
        case.attachments = kinds
            .iter()
            .enumerate()
            .map(|(i, &kind)| Attachment {
                id: AttachmentId(uuid::Uuid::from_u128(i as u128)),
                kind,
                name: format!("{i}.jpg"),
                mime: "image/jpeg".into(),
                size: 10,
                hash: Some(BlobHash::of(&[i as u8])),
                caption: format!("说明{i}"),
                thumbnail: None::<Thumbnail>,
                stamp: stamp.clone(),
            })
            .collect();
        case
    }

    /// The sheet printed when the case was registered.
    fn sheet(case: &Case, lang: Lang, personal: PersonalData) -> RecordSheet {
        RecordSheet::of(case, &Names, lang, personal, case.registered.at)
    }

    /// Every field of the sheet: `(key, label, lines)`.
    fn fields(s: &RecordSheet) -> Vec<(&'static str, &str, &[String])> {
        s.rows
            .iter()
            .flat_map(|r| match r {
                RecordRow::Pair(a, b) => vec![a, b],
                RecordRow::Wide { field, .. } => vec![field],
            })
            .map(|f| (f.key, f.label.as_str(), f.lines.as_slice()))
            .collect()
    }

    fn value<'a>(s: &'a RecordSheet, key: &str) -> &'a [String] {
        fields(s)
            .into_iter()
            .find(|f| f.0 == key)
            .map_or(&[], |f| f.2)
    }

    fn signature_kinds(s: &RecordSheet) -> Vec<(&str, Option<AttachmentKind>)> {
        s.signatures
            .iter()
            .map(|l| (l.label.as_str(), l.kind))
            .collect()
    }

    #[test]
    fn the_form_has_the_labels_auditors_look_for() {
        let case = case_with(&[]);
        let s = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert_eq!(s.title, "客户投诉记录表");
        assert_eq!(s.reg_no(), case.registration.reg_no.to_string());
        let labels: Vec<&str> = fields(&s).iter().map(|f| f.1).collect();
        for label in [
            "投诉人",
            "联系电话",
            "房号/位置",
            "投诉内容",
            "投诉人诉求",
            "调查处理过程",
            "处理结果",
            "回访时间/方式",
            "纠正预防措施",
            "受理时间",
            "登记人/时间",
            "结案人/时间",
        ] {
            assert!(labels.contains(&label), "{label} in {labels:?}");
        }
        assert_eq!(value(&s, "content"), ["楼道漏水"]);
        assert_eq!(value(&s, "place"), ["华苑小区 1栋 101"]);
        assert!(value(&s, "result").is_empty(), "not resolved yet");
        let tall: Vec<&str> = s
            .rows
            .iter()
            .filter_map(|r| match r {
                RecordRow::Wide { field, tall: true } => Some(field.key),
                _ => None,
            })
            .collect();
        assert_eq!(tall, ["content", "handling"]);
        assert_eq!(s.signatures.len() % SIGNATURES_PER_ROW, 0);

        let en = sheet(&case, Lang::En, PersonalData::Shown);
        assert_eq!(en.title, "Customer complaint record");
        assert_eq!(fields(&en)[0].1, "Complainant");
        assert_eq!(en.meta[0].label, "No.: ");
    }

    /// The archived sheet of a case that was transferred, extended,
    /// decided on and called back twice tells all of it, in order; the
    /// latest follow-up stays in its own fields.
    #[test]
    fn the_history_keeps_every_transfer_extension_decision_and_earlier_call() {
        use crate::case::{
            ApprovalRecord, Assignee, ContactMethod, Extension, FollowUp, Handover, Stamp,
        };
        let mut case = case_with(&[]);
        let at = |minutes: i64| Stamp {
            at: case.registered.at + chrono::Duration::minutes(minutes),
            ..case.registered.clone()
        };
        let desk = Assignee {
            department: "客服部".into(),
            user: None,
            name: "小王".into(),
        };
        let works = Assignee {
            department: "工程部".into(),
            user: None,
            name: "张工".into(),
        };
        let call = |minutes, satisfaction, comment: &str| FollowUp {
            method: ContactMethod::Phone,
            satisfaction,
            comment: comment.into(),
            spot_check: false,
            ratings: None,
            stamp: at(minutes),
        };
        let (transfer, extended, decided) = (at(60), at(30), at(90));
        case.handovers = vec![Handover {
            from: Some(desk),
            to: works,
            note: "属维修".into(),
            stamp: transfer,
        }];
        case.extensions = vec![Extension {
            working_days: 2,
            reason: "等配件".into(),
            stamp: extended,
        }];
        case.responder_changes = vec![crate::case::ResponderChange {
            from: case.registered.by,
            to: crate::id::UserId(uuid::Uuid::from_u128(0x3000)),
            reason: "原首问责任人离职".into(),
            stamp: at(150),
        }];
        case.approvals = vec![ApprovalRecord {
            approved: true,
            amount_fen: 50_000,
            comment: String::new(),
            stamp: decided,
        }];
        case.follow_ups = vec![call(120, 2, "没修好"), call(240, 5, "修好了")];
        case.callbacks_missed = vec![MissedCallback {
            method: ContactMethod::Phone,
            note: "无人接听".into(),
            round: 0,
            stamp: call(300, 3, "").stamp,
        }];
        let s = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        let history = value(&s, "history");
        assert_eq!(history.len(), 6, "{history:?}");
        assert!(
            history[4].contains("更换首问责任人 李四 → 李四（李四）：原首问责任人离职"),
            "{history:?}"
        );
        assert!(
            history
                .iter()
                .any(|h| h.contains("回访未果 电话（李四）：无人接听")),
            "{history:?}"
        );
        assert!(
            history[0].contains("延期 2 个工作日（李四）：等配件"),
            "{history:?}"
        );
        assert!(history[1].contains("转办 客服部 小王 → 工程部 张工（李四）：属维修"));
        assert!(history[2].contains("赔偿审批 批准 500.00"));
        assert!(history[3].contains("回访 电话 2 不满意（李四）：没修好"));
        assert!(
            value(&s, "comment").iter().any(|c| c == "修好了"),
            "the latest in its field"
        );
        // A case handled straight through has no such row.
        let plain = sheet(&case_with(&[]), Lang::ZhCn, PersonalData::Shown);
        assert!(fields(&plain).iter().all(|f| f.0 != "history"));
    }

    /// A repair prints as the seeds' 维修服务单, naming its resident 报修人
    /// wherever the complaint's form says 投诉人; a suggestion and an
    /// inquiry likewise.
    #[test]
    fn each_kind_prints_as_its_own_form() {
        let mut case = case_with(&[]);
        for (kind, title, person, content, en) in [
            (
                CaseKind::Repair,
                "维修服务单",
                "报修人",
                "报修内容",
                "Repair service record",
            ),
            (
                CaseKind::Suggestion,
                "合理化建议记录表",
                "建议人",
                "建议内容",
                "Suggestion record",
            ),
            (
                CaseKind::Inquiry,
                "咨询服务记录",
                "咨询人",
                "咨询内容",
                "Inquiry record",
            ),
        ] {
            case.registration.kind = kind;
            let s = sheet(&case, Lang::ZhCn, PersonalData::Shown);
            assert_eq!(s.title, title);
            let labels: Vec<&str> = fields(&s).iter().map(|f| f.1).collect();
            for label in [
                person.to_string(),
                content.to_string(),
                format!("{person}诉求"),
                format!("{person}意见"),
            ] {
                assert!(labels.contains(&label.as_str()), "{label} in {labels:?}");
            }
            assert!(
                labels.iter().all(|l| !l.contains("投诉")),
                "no complaint's words on a {kind:?}: {labels:?}"
            );
            assert_eq!(s.signatures[4].label, format!("{person}确认/日期："));
            assert_eq!(sheet(&case, Lang::En, PersonalData::Shown).title, en);
        }
    }

    /// What the seeds ask the record to hold and the app records: the
    /// solution's planned date (002: 措施、实施时间和责任人), a
    /// suggestion's decision and plan, what the resident said when told
    /// the result, how often the case was reopened, and who closed it.
    #[test]
    fn the_sheet_holds_the_plan_the_decision_the_feedback_and_the_reopenings() {
        use crate::case::{
            ApprovalState, Closure, ContactMethod, Resolution, Solution, SuggestionOutcome,
            TimelineEntry,
        };
        let mut case = case_with(&[]);
        let stamp = case.registered.clone();
        let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        case.solution = Some(Box::new(Solution {
            measures: "更换水管".into(),
            responsible: "王工".into(),
            planned_date: date("2026-03-06"),
            compensation_fen: 0,
            approval: ApprovalState::NotNeeded,
            approver_role: None,
            stamp: stamp.clone(),
        }));
        case.resolution = Some(Box::new(Resolution {
            result: "已更换".into(),
            feedback_method: ContactMethod::Phone,
            feedback_at: Some(stamp.at),
            on_the_spot: false,
            feedback_note: "业主表示认可".into(),
            feedback_by: None,
            stamp: stamp.clone(),
        }));
        case.reopen_count = 2;
        case.timeline.push(TimelineEntry {
            stamp: stamp.clone(),
            hlc: crate::hlc::Hlc {
                wall_ms: stamp.at.timestamp_millis(),
                counter: 0,
                device: stamp.device,
            },
            action: ActionKind::Reopen,
            state: crate::case::CaseState::Reopened,
            changes: vec![crate::case::Change {
                field: "reopen_reason".into(),
                from: None,
                to: Some("漏水复发".into()),
            }],
            outcome: Outcome::Applied,
        });
        case.closure = Some(Box::new(Closure {
            corrective_action: String::new(),
            verification: String::new(),
            stamp: stamp.clone(),
        }));
        let s = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert_eq!(
            value(&s, "solution"),
            ["更换水管（王工）；计划完成 2026-03-06"]
        );
        assert!(
            value(&s, "result")[0]
                .ends_with("；已告知投诉人：电话 2026-03-02 09:00，意见：业主表示认可"),
            "{:?}",
            value(&s, "result")
        );
        assert_eq!(value(&s, "closed"), ["李四 2026-03-02 09:00"]);
        let reopened = s.meta.iter().find(|m| m.key == "reopened");
        assert_eq!(reopened.map(|m| m.value.as_str()), Some("2 次"));
        assert_eq!(
            value(&s, "history"),
            ["2026-03-02 09:00 重新处理（李四）：漏水复发"]
        );
        assert!(
            fields(&s).iter().all(|f| f.0 != "decision"),
            "a complaint's"
        );

        case.registration.kind = CaseKind::Suggestion;
        case.suggestion = Some(Box::new(SuggestionOutcome {
            accepted: true,
            reason: "可行".into(),
            plan: Some("增设自行车棚".into()),
            publish_on: date("2026-03-10"),
            stamp,
        }));
        let s = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert_eq!(
            value(&s, "decision"),
            ["采纳：可行；整改计划：增设自行车棚；公示日期 2026-03-10（李四 2026-03-02 09:00）"]
        );
        let keys: Vec<&str> = fields(&s).iter().map(|f| f.0).collect();
        let at = |key| keys.iter().position(|k| *k == key);
        assert_eq!(at("decision"), at("solution").map(|i| i + 1));
    }

    /// A case voided and restored keeps both on paper: the restore
    /// clears the case's record of the void.
    #[test]
    fn the_history_keeps_a_void_undone() {
        use crate::case::{CaseState, Change, TimelineEntry};
        let mut case = case_with(&[]);
        let stamp = case.registered.clone();
        let entry = |action, field: &'static str, text: &'static str| TimelineEntry {
            stamp: stamp.clone(),
            hlc: crate::hlc::Hlc {
                wall_ms: stamp.at.timestamp_millis(),
                counter: 0,
                device: stamp.device,
            },
            action,
            state: CaseState::Registered,
            changes: vec![Change {
                field: field.into(),
                from: None,
                to: Some(text.into()),
            }],
            outcome: Outcome::Applied,
        };
        case.timeline
            .push(entry(ActionKind::Void, "void_reason", "重复登记"));
        case.timeline
            .push(entry(ActionKind::Restore, "restore_reason", "并非重复"));
        let s = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert_eq!(
            value(&s, "history"),
            [
                "2026-03-02 09:00 作废（李四）：重复登记",
                "2026-03-02 09:00 恢复（李四）：并非重复"
            ]
        );
    }

    #[test]
    fn an_amount_not_approved_and_a_clock_run_out_are_said_as_such() {
        use crate::case::{ApprovalState, Solution};
        let mut case = case_with(&[]);
        let mut solution = Solution {
            measures: "更换水管".into(),
            responsible: String::new(),
            planned_date: None,
            compensation_fen: 80_000,
            approval: ApprovalState::Rejected,
            approver_role: None,
            stamp: case.registered.clone(),
        };
        case.solution = Some(Box::new(solution.clone()));
        let s = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert_eq!(
            value(&s, "solution"),
            ["更换水管；赔偿 800.00 元（已驳回）"]
        );
        solution.approval = ApprovalState::Approved;
        case.solution = Some(Box::new(solution));
        let s = sheet(&case, Lang::En, PersonalData::Shown);
        assert_eq!(value(&s, "solution"), ["更换水管; compensation 800.00 CNY"]);

        // Printed after a clock of the open case ran out: 超时未完成, and
        // the sheet says when it was printed.
        let due = case.deadlines[0].due_at;
        let late = RecordSheet::of(&case, &Names, Lang::ZhCn, PersonalData::Shown, due);
        let early = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert!(
            value(&late, "deadlines")[0].ends_with("超时未完成"),
            "{late:?}"
        );
        assert!(
            value(&early, "deadlines")[0].ends_with("未完成"),
            "{early:?}"
        );
        assert!(!value(&early, "deadlines")[0].ends_with("超时未完成"));
        let printed = late.meta.iter().find(|m| m.key == "printed");
        assert_eq!(
            printed.map(|m| m.value.clone()),
            Some(local_time(due, chrono_tz::Asia::Shanghai))
        );

        // Met 15 seconds late, in the minute it was due: the minutes
        // printed are the same, the judgement says it.
        let mut met = case.clone();
        met.deadlines[0].met_at = Some(due + chrono::Duration::seconds(15));
        let s = sheet(&met, Lang::ZhCn, PersonalData::Shown);
        assert!(value(&s, "deadlines")[0].contains("超时完成"), "{s:?}");
        met.deadlines[0].met_at = Some(due);
        let s = sheet(&met, Lang::ZhCn, PersonalData::Shown);
        assert!(value(&s, "deadlines")[0].contains("按时完成"), "{s:?}");
        // Ended unmet: after its time ran out, 超时; before (a callback the
        // close gave up on), never made, not said to have run out.
        met.deadlines[0].taken_unmet = true;
        met.deadlines[0].met_at = Some(due + chrono::Duration::hours(1));
        let s = sheet(&met, Lang::ZhCn, PersonalData::Shown);
        assert!(
            value(&s, "deadlines")[0].contains("超时未完成，终止于"),
            "{s:?}"
        );
        met.deadlines[0].met_at = Some(due - chrono::Duration::hours(30));
        let s = sheet(&met, Lang::ZhCn, PersonalData::Shown);
        assert!(
            value(&s, "deadlines")[0].contains("未完成，结案于"),
            "{s:?}"
        );
        assert!(!value(&s, "deadlines")[0].contains("超时"), "{s:?}");

        // A clock the calendar could not compute is on the paper, saying so.
        let mut unknown = case.clone();
        let clock = unknown.deadlines.remove(0).clock;
        unknown
            .deadline_problems
            .push(crate::case::DeadlineProblem {
                clock,
                code: "calendar.year_not_loaded".into(),
                message: String::new(),
                met_at: None,
            });
        let s = sheet(&unknown, Lang::ZhCn, PersonalData::Shown);
        let lines = value(&s, "deadlines");
        assert!(
            lines.iter().any(|d| d.starts_with(clock.label(Lang::ZhCn))
                && d.contains("时限无法计算（节假日安排未导入）")),
            "{lines:?}"
        );
    }

    /// Validity is a complaint's: a repair's assessment carries the form's
    /// default, which the sheet does not print as a valid complaint.
    #[test]
    fn only_a_complaint_is_judged_valid_on_paper() {
        use crate::case::{Assessment, Severity, Validity};
        let mut case = case_with(&[]);
        case.assessment = Some(Box::new(Assessment {
            severity: Severity::General,
            urgent: false,
            validity: Validity::Valid,
            reason: String::new(),
            respondent: String::new(),
            respondent_department: String::new(),
            stamp: case.registered.clone(),
        }));
        let said = |case: &Case| {
            value(&sheet(case, Lang::ZhCn, PersonalData::Shown), "assessment").join("")
        };
        assert_eq!(said(&case), "一般 · 有效投诉");
        case.registration.kind = CaseKind::Repair;
        assert_eq!(said(&case), "一般");
    }

    #[test]
    fn the_residents_signature_is_named_as_the_sheet_names_them() {
        let mut case = case_with(&[AttachmentKind::ComplainantSignature]);
        case.registration.kind = CaseKind::Repair;
        let s = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert_eq!(s.evidence[0].kind_label, "报修人签名");
        case.registration.kind = CaseKind::Complaint;
        let s = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert_eq!(s.evidence[0].kind_label, "投诉人签名");
    }

    #[test]
    fn each_signature_line_names_the_kind_that_signs_it() {
        use AttachmentKind::*;
        let case = case_with(&[
            HandlerSignature,
            Photo,
            ComplainantSignature,
            HandlerSignature,
        ]);
        let s = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert_eq!(
            signature_kinds(&s),
            [
                ("受理人签字/日期：", None),
                ("处理人签字/日期：", Some(HandlerSignature)),
                ("部门负责人签字/日期：", None),
                ("回访/验证人签字/日期：", Some(VerifierSignature)),
                ("投诉人确认/日期：", Some(ComplainantSignature)),
                ("结案人签字/日期：", None),
            ]
        );
        let signed: Vec<Option<usize>> = s
            .signatures
            .iter()
            .map(|l| l.signed.as_ref().map(|e| e.number))
            .collect();
        // The latest handler's signature signs its line; nobody verified.
        assert_eq!(signed, [None, Some(4), None, None, Some(3), None]);
        assert_eq!(
            s.photos()
                .map(|e| (e.number, e.caption.as_str()))
                .collect::<Vec<_>>(),
            [(2, "说明1")]
        );
    }

    #[test]
    fn a_reader_without_personal_data_gets_masks_and_no_complainant_signature() {
        use AttachmentKind::*;
        let mut case = case_with(&[Photo, ComplainantSignature, VerifierSignature]);
        case.registration.content = "楼道漏水，请回电13812345678".into();
        let shown = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert_eq!(value(&shown, "complainant"), ["张三"]);
        assert_eq!(value(&shown, "phone"), ["13812345678"]);
        assert_eq!(value(&shown, "content"), ["楼道漏水，请回电13812345678"]);
        assert_eq!(shown.evidence.len(), 3);

        let masked = sheet(&case, Lang::ZhCn, PersonalData::Masked);
        assert_eq!(value(&masked, "complainant"), ["张*"]);
        assert_eq!(value(&masked, "phone"), ["138****5678"]);
        assert_eq!(value(&masked, "content"), ["楼道漏水，请回电138****5678"]);
        let numbers: Vec<(usize, AttachmentKind)> =
            masked.evidence.iter().map(|e| (e.number, e.kind)).collect();
        // Numbers stay as they were: the signature is missing, not renumbered.
        assert_eq!(numbers, [(1, Photo), (3, VerifierSignature)]);
        let line = &masked.signatures[4];
        assert_eq!(
            (line.label.as_str(), line.kind, &line.signed),
            ("投诉人确认/日期：", None, &None)
        );
        assert_eq!(
            masked.signatures[3].signed.as_ref().map(|e| e.number),
            Some(3)
        );
        assert_eq!(PersonalData::shown_if(false), PersonalData::Masked);
    }

    #[test]
    fn an_anonymous_complainants_number_for_the_call_back_is_masked_too() {
        let mut case = case_with(&[]);
        case.registration.complainant.anonymous = true;
        case.registration.complainant.name.clear();
        let masked = sheet(&case, Lang::ZhCn, PersonalData::Masked);
        assert_eq!(value(&masked, "complainant"), ["匿名"]);
        assert_eq!(value(&masked, "phone"), ["138****5678"]);
        let shown = sheet(&case, Lang::ZhCn, PersonalData::Shown);
        assert_eq!(value(&shown, "phone"), ["13812345678"]);
    }
}
