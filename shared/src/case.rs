//! The case (工单) model: what is registered at intake and what the fold
//! builds from the op log.
//!
//! [`Registration`] is what a staff member types at intake. [`Case`] is the
//! folded state: never written directly, always the result of
//! [`crate::fold::fold`] over the case's ops.
//!
//! About 700 lines because every record a case holds (registration,
//! assessment, notes, follow-ups, attachments …) is declared here beside
//! the case, with the few rules that read them (`Case::next_due` and the
//! like), so the model reads in one place.

use crate::blob::BlobHash;
use crate::code::coded_enum;
use crate::deadline::{Clock, ClockState, ClockStatus, DueSoon};
use crate::hlc::Hlc;
use crate::id::{AttachmentId, CaseId, DeviceId, OpId, PropertyId, UserId};
use crate::op::ActionKind;
use crate::phone::Phone;
use crate::property::Location;
use crate::regno::RegNo;
use crate::role::Role;
use crate::workflow::RuleViolation;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

coded_enum! {
    /// The four kinds of case; one intake, different rules.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum CaseKind {
        /// 投诉: the full workflow.
        Complaint = ("complaint", "投诉", "Complaint"),
        /// 报修: 100% callback by the end of the next working day.
        Repair = ("repair", "报修", "Repair"),
        /// 建议: accepted or declined; accepted ones get an improvement plan.
        Suggestion = ("suggestion", "建议", "Suggestion"),
        /// 咨询: may be answered on the spot.
        Inquiry = ("inquiry", "咨询", "Inquiry"),
    }
}

impl CaseKind {
    /// The person who raises a case of this kind, as the forms name them
    /// (投诉人 on a complaint's, 报修人 on a repair's).
    pub fn person(self, lang: crate::lang::Lang) -> &'static str {
        match self {
            CaseKind::Complaint => lang.pick("投诉人", "Complainant"),
            CaseKind::Repair => lang.pick("报修人", "Reported by"),
            CaseKind::Suggestion => lang.pick("建议人", "Suggested by"),
            CaseKind::Inquiry => lang.pick("咨询人", "Asked by"),
        }
    }

    /// Whether cases of this kind are assessed (a severity, and for a
    /// complaint its validity): complaints and repairs. A suggestion or
    /// an inquiry never is, so it is never "not assessed" either.
    pub fn is_assessed(self) -> bool {
        matches!(self, CaseKind::Complaint | CaseKind::Repair)
    }
}

coded_enum! {
    /// How the case reached us.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum Channel {
        /// 电话
        Phone = ("phone", "电话", "Phone"),
        /// 来访/现场
        WalkIn = ("walk_in", "来访/现场", "Walk-in"),
        /// 信函
        Letter = ("letter", "信函", "Letter"),
        /// 邮件
        Email = ("email", "邮件", "Email"),
        /// 网络平台
        Online = ("online", "网络平台", "Online platform"),
        /// 热线转办
        HotlineTransfer = ("hotline_transfer", "热线转办", "Hotline transfer"),
        /// 巡查/上门
        FieldVisit = ("field_visit", "巡查/上门", "Field visit"),
        /// 意见簿
        ComplaintBook = ("complaint_book", "意见簿", "Complaint book"),
    }
}

impl Channel {
    /// Whether a case by this channel comes with a number of its own
    /// ([`Registration::source_ref`]): the hotline's transfer, an online
    /// platform's complaint.
    pub fn comes_numbered(self) -> bool {
        matches!(self, Channel::HotlineTransfer | Channel::Online)
    }

    /// Whether the registration clock runs: for every channel but the
    /// phone, whose call is written down while the caller is on the line
    /// (003 registers written, in-person and passed-on complaints within
    /// 24 hours).
    pub fn has_register_clock(self) -> bool {
        self != Channel::Phone
    }
}

coded_enum! {
    /// Severity set at assessment.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum Severity {
        /// 轻微
        Minor = ("minor", "轻微", "Minor"),
        /// 一般
        General = ("general", "一般", "General"),
        /// 重大: notifies the manager and head office at once; kept long-term.
        Major = ("major", "重大", "Major"),
    }
}

coded_enum! {
    /// Whether a complaint is founded.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum Validity {
        /// 有效投诉: counts towards the valid-complaint rate.
        Valid = ("valid", "有效投诉", "Valid"),
        /// 不成立/特殊投诉: closed with an explanation. Named with both
        /// words: seed 003 calls every complaint that is not a valid one a
        /// 特殊投诉 (also one about what staff did by the rules), and an
        /// auditor reading its table looks for that word.
        Unfounded = ("unfounded", "不成立（特殊投诉）", "Unfounded"),
    }
}

coded_enum! {
    /// Where a case stands in its workflow.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum CaseState {
        /// 已登记
        Registered = ("registered", "已登记", "Registered"),
        /// 已评估
        Assessed = ("assessed", "已评估", "Assessed"),
        /// 已派单
        Assigned = ("assigned", "已派单", "Assigned"),
        /// 处理中
        InProgress = ("in_progress", "处理中", "In progress"),
        /// 已提方案: a solution is proposed (and may await compensation approval).
        SolutionProposed = ("solution_proposed", "已提方案", "Solution proposed"),
        /// 已解决: result given, waiting for the follow-up.
        Resolved = ("resolved", "已解决", "Resolved"),
        /// 已回访
        FollowedUp = ("followed_up", "已回访", "Followed up"),
        /// 重新处理: the complainant was not satisfied (二次处理).
        Reopened = ("reopened", "重新处理", "Reopened"),
        /// 已结案 (archived)
        Closed = ("closed", "已结案", "Closed"),
        /// 已撤回: the resident took it back.
        Withdrawn = ("withdrawn", "已撤回", "Withdrawn"),
        /// 已作废: registered in error or twice; outside every figure.
        Voided = ("voided", "已作废", "Voided"),
    }
}

impl CaseState {
    /// Closed, withdrawn and voided cases take no more workflow actions,
    /// and their clocks no longer count as running.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            CaseState::Closed | CaseState::Withdrawn | CaseState::Voided
        )
    }

    /// Handling is finished: resolved, followed up or closed. A reopened
    /// case is being handled again; a withdrawn one was never finished.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            CaseState::Resolved | CaseState::FollowedUp | CaseState::Closed
        )
    }
}

/// The person who raised the case. Either may be empty for a suggestion or
/// an inquiry, or for anyone who chose to stay anonymous.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Complainant {
    /// The complainant's name.
    pub name: String,
    /// A validated phone number, if given.
    pub phone: Option<Phone>,
    /// 匿名: an unsigned note in the opinion box, a caller who would not
    /// give a name. Name and phone become optional, and shown as such.
    #[serde(default)]
    pub anonymous: bool,
}

impl Complainant {
    /// Whether anyone can tell them the result or call them back: not an
    /// anonymous complainant who left no phone.
    pub fn reachable(&self) -> bool {
        !self.anonymous || self.phone.is_some()
    }
}

/// What is typed at intake (登记). The receiver (first responder) is the
/// op's author; the recorded-at time is the op's time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registration {
    /// The registration number made on the device.
    pub reg_no: RegNo,
    /// The kind of case.
    pub kind: CaseKind,
    /// The property.
    pub property: PropertyId,
    /// Unit, building or public area.
    pub location: Location,
    /// Who raised it.
    pub complainant: Complainant,
    /// How it reached us.
    pub channel: Channel,
    /// When it reached us (may be before it was recorded).
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub received_at: DateTime<Utc>,
    /// A category code.
    pub category: String,
    /// What the resident said.
    pub content: String,
    /// What the resident asks for (诉求).
    #[serde(default)]
    pub requested_remedy: String,
    /// An earlier case this one relates to, by registration number.
    #[serde(default)]
    pub related_case: Option<String>,
    /// The number the case came with from elsewhere (来源单号): the 12345
    /// hotline's work order, an online platform's complaint number. The
    /// hotline asks about its order by it, and the reply quotes it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_ref: String,
}

/// A source number (来源单号) as it is kept: as the hotline or platform
/// writes it, whatever the input method typed. Full-width letters and
/// digits (Chinese input mode) read as ASCII, spaces are dropped and
/// letters are upper case: `ｇｄ 2026 1205` is `GD20261205`.
pub fn source_ref(typed: &str) -> String {
    crate::search::fold(typed)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

impl Registration {
    /// How it reached us, with the number it came with, which a reply
    /// quotes: 热线转办（来源单号 …）.
    pub fn channel_text(&self, l: crate::lang::Lang) -> String {
        let channel = self.channel.label(l);
        if self.source_ref.is_empty() {
            channel.to_string()
        } else {
            format!(
                "{channel}{}{}{}",
                l.pick("（来源单号 ", " (source no. "),
                self.source_ref,
                l.pick("）", ")")
            )
        }
    }
}

/// A change to registration fields. Each `Some` field is a write; the fold
/// keeps the last writer per field by HLC and the timeline keeps the old value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RegistrationPatch {
    /// New complainant name.
    pub complainant_name: Option<String>,
    /// New phone (`Some(None)` clears it).
    pub complainant_phone: Option<Option<Phone>>,
    /// New location.
    pub location: Option<Location>,
    /// New channel.
    pub channel: Option<Channel>,
    /// New category code.
    pub category: Option<String>,
    /// New content.
    pub content: Option<String>,
    /// New requested remedy.
    pub requested_remedy: Option<String>,
    /// New related case (`Some(None)` clears it).
    pub related_case: Option<Option<String>>,
    /// Corrected time of receipt.
    pub received_at: Option<DateTime<Utc>>,
    /// New source number (来源单号; empty clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
}

/// Who acted, when and where: attached to every record the fold keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stamp {
    /// The op that made the record.
    pub op: OpId,
    /// The author.
    pub by: UserId,
    /// The role they acted in.
    pub role: Role,
    /// The device.
    pub device: DeviceId,
    /// The device's wall time when it happened.
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub at: DateTime<Utc>,
}

/// The initial assessment (初步评估).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    /// Severity.
    pub severity: Severity,
    /// Safety risk or possible media/regulator attention.
    pub urgent: bool,
    /// Founded or not.
    pub validity: Validity,
    /// Why (required when unfounded).
    pub reason: String,
    /// The person complained about (被投诉人), for 考核; may be empty.
    #[serde(default)]
    pub respondent: String,
    /// The department complained about (被投诉部门); may be empty.
    #[serde(default)]
    pub respondent_department: String,
    /// Who assessed.
    pub stamp: Stamp,
}

/// The department and person a case is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignee {
    /// The responsible department (工程/保洁/绿化/安保/客服…).
    pub department: String,
    /// The responsible person, if a user of the system.
    pub user: Option<UserId>,
    /// The responsible person's name as shown.
    pub name: String,
}

/// One handover (转办): from whom to whom, when and why. Append-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Handover {
    /// The previous assignee (none for the first assignment).
    pub from: Option<Assignee>,
    /// The new assignee.
    pub to: Assignee,
    /// Why.
    pub note: String,
    /// Who handed over.
    pub stamp: Stamp,
}

coded_enum! {
    /// The kind of an investigation note.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum NoteKind {
        /// A general note.
        General = ("general", "一般记录", "General"),
        /// The complainant was contacted (meets the urgent-contact clock).
        Contact = ("contact", "已联系客户", "Contacted"),
        /// Someone is on site (meets the urgent on-site clock).
        OnSite = ("on_site", "已到现场", "On site"),
        /// An inspection item checked.
        Inspection = ("inspection", "检查项", "Inspection"),
        /// 问题分析: the cause analysis (meets the investigation clock).
        CauseAnalysis = ("cause_analysis", "问题分析", "Cause analysis"),
    }
}

/// A note on the case. Append-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Note {
    /// What kind of note.
    pub kind: NoteKind,
    /// The text.
    pub text: String,
    /// Who wrote it.
    pub stamp: Stamp,
}

coded_enum! {
    /// The state of a compensation approval.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum ApprovalState {
        /// No compensation: nothing to approve.
        NotNeeded = ("not_needed", "无需审批", "no approval needed"),
        /// Waiting for the role the amount requires.
        Pending = ("pending", "待审批", "awaiting approval"),
        /// Approved.
        Approved = ("approved", "已批准", "approved"),
        /// Refused: a new solution is needed.
        Rejected = ("rejected", "已驳回", "refused"),
    }
}

/// The proposed solution (处理方案).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Solution {
    /// The measures.
    pub measures: String,
    /// The responsible person.
    pub responsible: String,
    /// The planned completion date.
    pub planned_date: Option<NaiveDate>,
    /// Compensation in fen (0 for none).
    pub compensation_fen: i64,
    /// Where the approval stands.
    pub approval: ApprovalState,
    /// The role the amount needs.
    pub approver_role: Option<Role>,
    /// Who proposed.
    pub stamp: Stamp,
}

/// A decision on a compensation. Append-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalRecord {
    /// Approved or refused.
    pub approved: bool,
    /// The amount decided on, in fen.
    pub amount_fen: i64,
    /// Why.
    pub comment: String,
    /// Who decided.
    pub stamp: Stamp,
}

coded_enum! {
    /// How the complainant was told.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum ContactMethod {
        /// By phone.
        Phone = ("phone", "电话", "Phone"),
        /// In person / a visit.
        Visit = ("visit", "上门/面谈", "Visit"),
        /// By SMS or message.
        Message = ("message", "短信/消息", "Message"),
        /// In writing.
        Letter = ("letter", "书面", "Letter"),
    }
}

/// The resolution (处理结果) and the feedback given to the complainant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resolution {
    /// What was done.
    pub result: String,
    /// How the complainant was told.
    pub feedback_method: ContactMethod,
    /// When the complainant was told (meets the feedback clock): on the
    /// spot, or by a later `feedback` op.
    pub feedback_at: Option<DateTime<Utc>>,
    /// Answered on the spot, without the full workflow.
    pub on_the_spot: bool,
    /// What the complainant was told or said when told the result.
    #[serde(default)]
    pub feedback_note: String,
    /// Who told them, when it was a `feedback` op.
    #[serde(default)]
    pub feedback_by: Option<Stamp>,
    /// Who resolved.
    pub stamp: Stamp,
}

/// A follow-up (回访). Append-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUp {
    /// By phone or visit.
    pub method: ContactMethod,
    /// 1 非常不满意 … 5 非常满意.
    pub satisfaction: u8,
    /// What the complainant said.
    pub comment: String,
    /// Whether this was a manager's spot-check call (抽查回访).
    pub spot_check: bool,
    /// The three ratings of 001, when the complainant gave them.
    #[serde(default)]
    pub ratings: Option<Ratings>,
    /// Who followed up.
    pub stamp: Stamp,
}

/// A callback that did not reach the complainant (回访未果).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MissedCallback {
    /// By phone or visit.
    pub method: ContactMethod,
    /// What happened.
    pub note: String,
    /// How many times the case had been reopened then: the tries of one
    /// resolution count together.
    pub round: u32,
    /// Who tried.
    pub stamp: Stamp,
}

/// The three ratings a follow-up asks for besides overall satisfaction
/// (001: 处理结果、服务态度、处理效率), each 1–5 like satisfaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ratings {
    /// 处理结果: the result.
    pub result: u8,
    /// 服务态度: the staff's attitude.
    pub attitude: u8,
    /// 处理效率: timeliness.
    pub timeliness: u8,
}

impl Ratings {
    /// The three scores, in the order above.
    pub fn scores(self) -> [u8; 3] {
        [self.result, self.attitude, self.timeliness]
    }
}

/// An escalation (上报). Append-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Escalation {
    /// To which role.
    pub to_role: Role,
    /// Skipped a level because the direct superior was unreachable.
    pub skip_level: bool,
    /// Why.
    pub reason: String,
    /// Who escalated.
    pub stamp: Stamp,
}

/// A change of the first responder (首问责任人变更): the staff member who
/// registered the case left, moved to another property or is away for
/// long, and management names who answers for it now. Append-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponderChange {
    /// The first responder before.
    pub from: UserId,
    /// The first responder from now on.
    pub to: UserId,
    /// Why.
    pub reason: String,
    /// Who changed it.
    pub stamp: Stamp,
}

/// A deadline extension (special case). Append-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Extension {
    /// Working days added to the open clocks.
    pub working_days: u32,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub stamp: Stamp,
}

/// Closure details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Closure {
    /// 纠正预防措施 (required for valid complaints).
    pub corrective_action: String,
    /// How the corrective action was verified.
    pub verification: String,
    /// Who closed.
    pub stamp: Stamp,
}

/// A withdrawal (撤回): the resident took the case back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Withdrawal {
    /// Why the complainant withdrew.
    pub reason: String,
    /// Who recorded it.
    pub stamp: Stamp,
}

/// A voiding (作废): the case should not have been registered. Two staff
/// registered the same burst pipe offline (重复登记), or a case was
/// registered against the wrong property or by mistake (误登记). It stays
/// on record, and leaves every statistic: a duplicate counted would make
/// its complainant a repeat complainant and its complaint two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Voiding {
    /// The state it was voided in, which a restoration returns it to.
    pub from: CaseState,
    /// The case it repeats, when it was registered twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<RegNo>,
    /// Why.
    pub reason: String,
    /// Who voided it.
    pub stamp: Stamp,
}

/// The outcome of a suggestion (合理化建议).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestionOutcome {
    /// Accepted or declined.
    pub accepted: bool,
    /// Why.
    pub reason: String,
    /// The improvement plan, for accepted ones.
    pub plan: Option<String>,
    /// When the plan is published to residents.
    pub publish_on: Option<NaiveDate>,
    /// Who decided.
    pub stamp: Stamp,
}

/// An attachment's metadata; the bytes travel separately, named by
/// [`Attachment::hash`] (see [`crate::blob`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    /// The attachment's id.
    pub id: AttachmentId,
    /// What it is for: a photo, a signature (whose), a document.
    pub kind: AttachmentKind,
    /// File name.
    pub name: String,
    /// Media type (one of [`crate::blob::MEDIA_TYPES`]).
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// The SHA-256 of the bytes; `None` only for attachments recorded
    /// before evidence was content-addressed, whose bytes never travelled.
    #[serde(default)]
    pub hash: Option<BlobHash>,
    /// What the photo shows, in the recorder's words.
    #[serde(default)]
    pub caption: String,
    /// A small preview the device made, uploaded like the attachment.
    #[serde(default)]
    pub thumbnail: Option<Thumbnail>,
    /// Who attached it.
    pub stamp: Stamp,
}

/// A preview of an attachment, made by the device so that lists need not
/// download whole photos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Thumbnail {
    /// The SHA-256 of its bytes.
    pub hash: BlobHash,
    /// Size in bytes.
    pub size: u64,
    /// Media type (an image type of [`crate::blob::MEDIA_TYPES`]).
    #[serde(default = "Thumbnail::default_mime")]
    pub mime: String,
}

impl Thumbnail {
    fn default_mime() -> String {
        "image/jpeg".into()
    }
}

coded_enum! {
    /// What an attachment is for.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum AttachmentKind {
        /// A photo of the problem or the result.
        Photo = ("photo", "照片", "Photo"),
        /// The complainant's signature (personal data, masked like the
        /// complainant's name). Ops recorded before signatures had owners
        /// say `signature`, which meant this one.
        #[serde(alias = "signature")]
        ComplainantSignature = ("complainant_signature", "投诉人签名", "Complainant's signature"),
        /// The handler's signature on the work done.
        HandlerSignature = ("handler_signature", "处理人签名", "Handler's signature"),
        /// The verifier's signature on the verification.
        VerifierSignature = ("verifier_signature", "验证人签名", "Verifier's signature"),
        /// Any other document.
        Document = ("document", "文件", "Document"),
    }
}

impl AttachmentKind {
    /// Whether the attachment is the complainant's personal data, shown
    /// only to roles that see the complainant unmasked.
    pub fn is_personal(self) -> bool {
        self == AttachmentKind::ComplainantSignature
    }

    /// Its name on a case of `kind`: the resident signs as the case names
    /// them (报修人签名 on a repair), not as a complainant.
    pub fn label_on(self, kind: CaseKind, lang: crate::lang::Lang) -> String {
        if self != AttachmentKind::ComplainantSignature || kind == CaseKind::Complaint {
            return self.label(lang).to_string();
        }
        match lang {
            crate::lang::Lang::ZhCn => format!("{}签名", kind.person(lang)),
            crate::lang::Lang::En => "Resident's signature".to_string(),
        }
    }
}

/// Two workflow transitions made from the same state on different devices.
/// The earlier one (by HLC) won; this one waits for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conflict {
    /// The op that lost.
    pub op: OpId,
    /// What it tried to do.
    pub action: ActionKind,
    /// The state its author saw.
    pub expected: CaseState,
    /// The state the case was in when it was folded.
    pub found: CaseState,
    /// Who made the losing op.
    pub stamp: Stamp,
    /// The op that resolved the conflict, once resolved.
    pub resolved_by: Option<OpId>,
    /// Whether the losing op was applied after all when resolved.
    pub applied: bool,
    /// The op that proposed the case's solution when the op lost, if
    /// any: a decision on a compensation applied later decides that
    /// proposal or none ([`crate::workflow::check_applied`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<OpId>,
}

/// An op that broke a business rule when it was folded. It is kept (and for
/// notes and attachments its content is still added), never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    /// The op.
    pub op: OpId,
    /// What it tried to do.
    pub action: ActionKind,
    /// Which rule it broke.
    pub rule: RuleViolation,
    /// Who made it.
    pub stamp: Stamp,
}

/// Whether a case whose [`Case::next_due`] is `next_due` is overdue at
/// `now`: an open case with a running clock past due. The case list on the
/// device and the server's list filter (over the stored `next_due_at`)
/// both use this rule.
pub fn overdue(next_due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    next_due.is_some_and(|due| due < now)
}

coded_enum! {
    /// What happened to an op in the fold.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum Outcome {
        /// Applied normally.
        Applied = ("applied", "已应用", "applied"),
        /// Lost a concurrent transition; listed in `conflicts`.
        Conflict = ("conflict", "冲突", "conflict"),
        /// Broke a rule; listed in `violations`.
        Flagged = ("flagged", "不符合流程", "flagged"),
    }
}

/// A field that an op changed, with the value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    /// The field's name. The fold names fields with constants, so it
    /// borrows them instead of allocating a copy for every change of every
    /// op; a change read from JSON owns its name.
    pub field: Cow<'static, str>,
    /// The value before (None when unset).
    pub from: Option<String>,
    /// The value after.
    pub to: Option<String>,
}

/// One line of the case's history: every op appears exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    /// Who, when and where.
    pub stamp: Stamp,
    /// The op's HLC, which fixed its place in the order.
    pub hlc: Hlc,
    /// What the op did.
    pub action: ActionKind,
    /// The state after the op.
    pub state: CaseState,
    /// The fields it changed.
    pub changes: Vec<Change>,
    /// Applied, conflict or flagged.
    pub outcome: Outcome,
}

/// A clock the calendar could not compute (e.g. its year is not loaded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineProblem {
    /// The clock.
    pub clock: Clock,
    /// The calendar error's stable code.
    pub code: String,
    /// The year that is missing, if that is the problem.
    pub message: String,
    /// When the clock was met, if it was: nothing is owed on it, only its
    /// on-time judgement waits for the calendar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_at: Option<DateTime<Utc>>,
}

/// A case as the fold builds it from its ops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Case {
    /// The case id.
    pub id: CaseId,
    /// The registration data, with later edits applied.
    pub registration: Registration,
    /// When it was recorded, and by whom: the first responder (首问责任人),
    /// who owns the case until it is closed, whatever the transfers,
    /// unless management changes it ([`Case::first_responder`]).
    pub registered: Stamp,
    /// The workflow state.
    pub state: CaseState,
    /// The initial assessment.
    pub assessment: Option<Box<Assessment>>,
    /// The current assignee.
    pub assignee: Option<Assignee>,
    /// Every assignment and transfer.
    pub handovers: Vec<Handover>,
    /// Investigation notes.
    pub notes: Vec<Note>,
    /// The current solution.
    pub solution: Option<Box<Solution>>,
    /// Every approval decision.
    pub approvals: Vec<ApprovalRecord>,
    /// The latest resolution.
    pub resolution: Option<Box<Resolution>>,
    /// Every follow-up.
    pub follow_ups: Vec<FollowUp>,
    /// Every callback that did not reach the complainant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callbacks_missed: Vec<MissedCallback>,
    /// How many times the case was reopened.
    pub reopen_count: u32,
    /// Every escalation.
    pub escalations: Vec<Escalation>,
    /// Every change of the first responder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responder_changes: Vec<ResponderChange>,
    /// Every extension.
    pub extensions: Vec<Extension>,
    /// The suggestion's outcome.
    pub suggestion: Option<Box<SuggestionOutcome>>,
    /// The withdrawal.
    pub withdrawal: Option<Box<Withdrawal>>,
    /// The voiding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voiding: Option<Box<Voiding>>,
    /// The closure.
    pub closure: Option<Box<Closure>>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Deadline clocks that have started.
    pub deadlines: Vec<ClockState>,
    /// Clocks that could not be computed.
    pub deadline_problems: Vec<DeadlineProblem>,
    /// Concurrent transitions waiting for a person.
    pub conflicts: Vec<Conflict>,
    /// Ops that broke a rule.
    pub violations: Vec<Violation>,
    /// Every op, in fold order.
    pub timeline: Vec<TimelineEntry>,
    /// The last op's HLC.
    pub last_hlc: Hlc,
}

/// The timeline's changes that hold a text staff typed (see
/// [`Case::free_texts_mut`]); the others hold codes, ids, times and numbers.
pub const FREE_TEXT_CHANGES: [&str; 14] = [
    "attachment",
    "content",
    "requested_remedy",
    "note",
    "measures",
    "result",
    "callback_missed",
    "reopen_reason",
    "withdraw_reason",
    "void_reason",
    "restore_reason",
    "plan",
    "answer",
    "corrective_action",
];

impl Case {
    /// The texts staff typed into the case, where a resident's phone
    /// number may be written ([`crate::personal_data::Shown::case`] masks
    /// it): the registration's content and requested remedy, every note,
    /// reason, comment, measure, result, caption and attachment's file
    /// name, and the timeline's changes of those ([`FREE_TEXT_CHANGES`]).
    pub fn free_texts_mut(&mut self) -> Vec<&mut String> {
        let mut texts: Vec<&mut String> = vec![
            &mut self.registration.content,
            &mut self.registration.requested_remedy,
        ];
        if let Some(a) = self.assessment.as_deref_mut() {
            texts.push(&mut a.reason);
        }
        texts.extend(self.handovers.iter_mut().map(|h| &mut h.note));
        texts.extend(self.notes.iter_mut().map(|n| &mut n.text));
        if let Some(s) = self.solution.as_deref_mut() {
            texts.push(&mut s.measures);
        }
        texts.extend(self.approvals.iter_mut().map(|a| &mut a.comment));
        if let Some(r) = self.resolution.as_deref_mut() {
            texts.push(&mut r.result);
            texts.push(&mut r.feedback_note);
        }
        texts.extend(self.follow_ups.iter_mut().map(|f| &mut f.comment));
        texts.extend(self.callbacks_missed.iter_mut().map(|c| &mut c.note));
        texts.extend(self.escalations.iter_mut().map(|e| &mut e.reason));
        texts.extend(self.responder_changes.iter_mut().map(|r| &mut r.reason));
        texts.extend(self.extensions.iter_mut().map(|e| &mut e.reason));
        if let Some(s) = self.suggestion.as_deref_mut() {
            texts.push(&mut s.reason);
            texts.extend(s.plan.as_mut());
        }
        if let Some(w) = self.withdrawal.as_deref_mut() {
            texts.push(&mut w.reason);
        }
        if let Some(v) = self.voiding.as_deref_mut() {
            texts.push(&mut v.reason);
        }
        if let Some(c) = self.closure.as_deref_mut() {
            texts.push(&mut c.corrective_action);
            texts.push(&mut c.verification);
        }
        texts.extend(
            self.attachments
                .iter_mut()
                .flat_map(|a| [&mut a.caption, &mut a.name]),
        );
        let changes = self.timeline.iter_mut().flat_map(|t| t.changes.iter_mut());
        for change in changes.filter(|c| FREE_TEXT_CHANGES.contains(&&*c.field)) {
            texts.extend(change.from.as_mut());
            texts.extend(change.to.as_mut());
        }
        texts
    }

    /// The bytes of evidence the case holds, thumbnails included: what
    /// `crate::validation::validate_attachment_limits` weighs a new
    /// attachment against.
    pub fn evidence_bytes(&self) -> u64 {
        self.attachments
            .iter()
            .map(|a| {
                a.size
                    .saturating_add(a.thumbnail.as_ref().map_or(0, |t| t.size))
            })
            .fold(0, u64::saturating_add)
    }

    /// The first responder (首问责任人): who registered the case, until
    /// management names someone else ([`ResponderChange`]). They own it
    /// until it is closed: its callback, its close, its reopening.
    pub fn first_responder(&self) -> UserId {
        self.responder_changes
            .last()
            .map_or(self.registered.by, |h| h.to)
    }

    /// Whether any escalation was recorded (the 上报 flag).
    pub fn escalated(&self) -> bool {
        !self.escalations.is_empty()
    }

    /// A complaint handled without its assessment (answered on the spot)
    /// and not assessed since: the manager assesses it afterwards, while it
    /// is resolved, followed up or closed, so that it counts as valid or
    /// unfounded in its period (seed 003).
    pub fn awaits_late_assessment(&self) -> bool {
        self.registration.kind == CaseKind::Complaint
            && self.assessment.is_none()
            && matches!(
                self.state,
                CaseState::Resolved | CaseState::FollowedUp | CaseState::Closed
            )
    }

    /// Whether the case was assessed as a valid complaint.
    pub fn is_valid_complaint(&self) -> bool {
        self.registration.kind == CaseKind::Complaint
            && self
                .assessment
                .as_ref()
                .is_some_and(|a| a.validity == Validity::Valid)
    }

    /// The tries that count toward closing without the callback: those
    /// since the case was last resolved ([`MissedCallback::round`]), made
    /// after that resolution by their time (a try dated before the work
    /// was done called about nothing), each at least `gap` after the one
    /// counted before it, so that three tries are made at different
    /// times, not tapped in a minute.
    pub fn callback_tries(&self, gap: chrono::Duration) -> usize {
        self.counted_callbacks(self.reopen_count, gap).len()
    }

    /// The missed callbacks of round `round` that count as tries (by
    /// [`Case::callback_tries`]' rule; in the current round only those
    /// after its resolution), in the order of their times: the timeline
    /// numbers them so.
    pub fn counted_callbacks(&self, round: u32, gap: chrono::Duration) -> Vec<&MissedCallback> {
        let resolved = self
            .resolution
            .as_ref()
            .map(|r| r.stamp.at)
            .filter(|_| round == self.reopen_count);
        let mut tries: Vec<&MissedCallback> = self
            .callbacks_missed
            .iter()
            .filter(|m| m.round == round)
            .filter(|m| resolved.is_none_or(|r| m.stamp.at >= r))
            .collect();
        tries.sort_by_key(|m| m.stamp.at);
        let mut counted: Option<DateTime<Utc>> = None;
        tries.retain(|m| {
            let apart = counted.is_none_or(|last| m.stamp.at - last >= gap);
            if apart {
                counted = Some(m.stamp.at);
            }
            apart
        });
        tries
    }

    /// A complaint assessed as unfounded (不成立): closed with an
    /// explanation instead of being handled. Validity is a complaint's; a
    /// repair assessed so is still repaired.
    pub fn is_unfounded_complaint(&self) -> bool {
        self.registration.kind == CaseKind::Complaint
            && self
                .assessment
                .as_ref()
                .is_some_and(|a| a.validity == Validity::Unfounded)
    }

    /// Resolved, and finished since: what the handling time, the
    /// department figures and the spot-check draw count as completed.
    pub fn is_completed(&self) -> bool {
        self.resolution.is_some() && self.state.is_finished()
    }

    /// The earliest due time of a clock still running, on an open case.
    /// Clocks left running on a closed or withdrawn case (e.g. the transfer
    /// clock of an unfounded complaint) are not due any more.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        if !self.state.is_open() {
            return None;
        }
        self.next_clock().map(|c| c.due_at)
    }

    /// The most pressing clock still running, whatever the state: the one
    /// due first (an overdue clock is due before any other). Unlike
    /// [`Case::next_due`] it keeps the clocks a closed or withdrawn case
    /// left running, and those taken away from it unmet
    /// ([`ClockState::taken_unmet`]), so that a case's badge still says
    /// which one was missed. `None` when every clock was met.
    pub fn next_clock(&self) -> Option<&ClockState> {
        let ended = !self.state.is_open();
        self.deadlines
            .iter()
            .filter(|c| c.met_at.is_none() || (ended && c.taken_unmet))
            .min_by_key(|c| c.due_at)
    }

    /// When the case stopped owing anything: closed, withdrawn or voided;
    /// `None` while it is open.
    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        if self.state.is_open() {
            return None;
        }
        self.closure
            .as_ref()
            .map(|c| c.stamp.at)
            .or(self.withdrawal.as_ref().map(|w| w.stamp.at))
            .or(self.voiding.as_ref().map(|v| v.stamp.at))
    }

    /// The moment this case's clocks are read at: `now` while it is open,
    /// and when it ended after that, so that a deadline missed before the
    /// close is late by a fixed time and not by one growing every day.
    pub fn clocks_read_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.ended_at().map_or(now, |ended| ended.min(now))
    }

    /// Where clock `c` of this case stands at `now`. A clock of an ended
    /// case that was never met does not run any more: it is missed when
    /// it had run out by the end (the fold keeps only those, and the
    /// callback a close without reaching the complainant never made), and
    /// otherwise stands as it did then (a voided case's).
    pub fn clock_status(
        &self,
        c: &ClockState,
        now: DateTime<Utc>,
        due_soon: DueSoon,
    ) -> ClockStatus {
        match self.ended_at() {
            Some(ended) if c.met_at.is_none() && c.due_at <= ended => ClockStatus::Missed,
            _ => c.status(self.clocks_read_at(now), due_soon),
        }
    }

    /// Whether the case is overdue at `now`: see [`overdue`].
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        overdue(self.next_due(), now)
    }

    /// The latest regular follow-up (回访); spot-check calls are reported
    /// separately.
    pub fn latest_follow_up(&self) -> Option<&FollowUp> {
        self.follow_ups.iter().rev().find(|f| !f.spot_check)
    }

    /// The score of the latest regular follow-up: the case's satisfaction.
    pub fn latest_satisfaction(&self) -> Option<u8> {
        self.latest_follow_up().map(|f| f.satisfaction)
    }

    /// The latest spot-check call (抽查回访).
    pub fn latest_spot_check(&self) -> Option<&FollowUp> {
        self.follow_ups.iter().rev().find(|f| f.spot_check)
    }

    /// Conflicts nobody has resolved yet.
    pub fn open_conflicts(&self) -> impl Iterator<Item = &Conflict> {
        self.conflicts.iter().filter(|c| c.resolved_by.is_none())
    }

    /// The total of working days added by extensions.
    pub fn extended_working_days(&self) -> u32 {
        self.extensions.iter().map(|e| e.working_days).sum()
    }
}
