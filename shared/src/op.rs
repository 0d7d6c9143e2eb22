//! The op: one immutable change to one case, made on one device.
//!
//! Ops are the truth; a case is only ever the fold of its ops. An op is
//! identified by its UUIDv7 `id` and, for the sync protocol, by
//! `(device, seq)` where `seq` is the device's gapless counter.
//!
//! Wire shape (stable, schema version [`SCHEMA_VERSION`]):
//! ```json
//! {"id":"…","case_id":"…","device":"…","seq":7,
//!  "hlc":{"wall_ms":…,"counter":0,"device":"…"},"at":"2026-11-23T02:00:00Z",
//!  "author":"…","role":"staff","schema":1,"expected_state":"registered",
//!  "action":{"type":"assess","severity":"general","urgent":false,"validity":"valid","reason":""}}
//! ```

use crate::blob::BlobHash;
use crate::case::{
    AttachmentKind, CaseState, ContactMethod, NoteKind, Registration, RegistrationPatch, Severity,
    Thumbnail, Validity,
};
use crate::code::coded_enum;
use crate::hlc::Hlc;
use crate::id::{AttachmentId, CaseId, DeviceId, OpId, UserId};
use crate::role::Role;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

mod reader;

/// The op schema this build writes and understands. A server refuses ops
/// with a newer schema (quarantine) and clients older than the server's
/// minimum get "update required". The wire shape is the same in every
/// schema so far, new actions aside; what changed is the rules an op is
/// folded by:
/// - 1: [`crate::workflow::check`].
/// - 2: also [`crate::workflow::check_new`]'s closure rule (an
///   unassessed complaint closes with its corrective action and
///   verification).
/// - 3: also [`crate::workflow::quality_limits`] (head-office quality's
///   follow-ups are spot-checks, its notes general notes or inspections).
/// - 4: the same rules; a new action, [`Action::CallbackMissed`], which
///   builds of schema 3 cannot read.
/// - 5: also [`crate::workflow::in_own_favour`] (whoever registered a
///   case corrects what its clocks count from only against themselves);
///   new actions, [`Action::Void`] and [`Action::Restore`], which builds
///   of schema 4 cannot read.
/// - 6: the same rules; a new action, [`Action::ChangeResponder`], and a
///   registration's source number
///   ([`crate::case::Registration::source_ref`]), which builds of schema 5
///   cannot read or would drop.
/// - 7: also [`crate::workflow::DUTIES_SCHEMA`]'s rules: nobody decides
///   on a compensation they proposed, nor above the limits of the day
///   they decide; a solution names its responsible person and planned
///   date; a follow-up is a call or a visit.
/// - 8: also [`crate::workflow::CALLBACK_SCHEMA`]'s rule: a missed
///   callback is a call or a visit too.
/// - 9: also [`crate::workflow::UNFOUNDED_SCHEMA`]'s rule: a complaint
///   found unfounded is not started, given a solution nor its
///   compensation decided; and [`crate::workflow::REANSWER_SCHEMA`]'s: a
///   reopened inquiry is answered again. A build of schema 8 would keep
///   such an answer as a violation, so it must update before it syncs
///   with a server of schema 9.
/// - 10: also [`crate::workflow::SECOND_CALL_SCHEMA`]'s rule: a second
///   call of the resident made on the case seen resolved is taken as a
///   call in 已回访 is (one unsatisfied reopens it); and
///   [`crate::workflow::PROPOSAL_SCHEMA`]'s: a settlement applies a
///   decision on a compensation only to the proposal it lost beside. A
///   build of schema 9 would fold such ops otherwise, so it must update
///   before it syncs with a server of schema 10 (the server's
///   `MIN_CLIENT_SCHEMA`).
pub const SCHEMA_VERSION: u32 = 10;

/// One change to one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Op {
    /// Globally unique (UUIDv7 made on the device).
    pub id: OpId,
    /// The case it changes.
    pub case_id: CaseId,
    /// The device that made it.
    pub device: DeviceId,
    /// The device's gapless sequence number, starting at 1.
    pub seq: u64,
    /// Orders ops causally across devices.
    pub hlc: Hlc,
    /// The device's wall clock when the op was made; what people see and
    /// what deadlines are measured with.
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub at: DateTime<Utc>,
    /// Who made it.
    pub author: UserId,
    /// The role they acted in.
    pub role: Role,
    /// The op schema version.
    pub schema: u32,
    /// For workflow transitions: the state the author saw. A mismatch when
    /// folded means a concurrent transition won, and this op becomes a conflict.
    #[serde(default)]
    pub expected_state: Option<CaseState>,
    /// What it does.
    pub action: Action,
}

impl Op {
    /// The total order of the fold: HLC, then device, then op id.
    pub fn order_key(&self) -> (Hlc, DeviceId, OpId) {
        (self.hlc, self.device, self.id)
    }

    /// The evidence bytes the op names: an attachment's file and its
    /// thumbnail.
    pub fn blob_hashes(&self) -> impl Iterator<Item = BlobHash> {
        let (hash, thumbnail) = match &self.action {
            Action::Attach {
                hash, thumbnail, ..
            } => (*hash, thumbnail.as_ref().map(|t| t.hash)),
            _ => (None, None),
        };
        hash.into_iter().chain(thumbnail)
    }
}

/// What an op does, with its payload. On the wire the action's name is in
/// `type` (not `kind`, which a registration uses for the case kind). Read
/// by [`reader`], in one pass; the `default` marks below are its rules too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// 登记: creates the case.
    Register(Registration),
    /// Edits registration fields (last writer wins per field).
    Edit(RegistrationPatch),
    /// 初步评估.
    Assess {
        /// Severity.
        severity: Severity,
        /// Urgent flag.
        urgent: bool,
        /// Founded or not.
        validity: Validity,
        /// Why (required when unfounded).
        #[serde(default)]
        reason: String,
        /// The person complained about (被投诉人).
        #[serde(default)]
        respondent: String,
        /// The department complained about (被投诉部门).
        #[serde(default)]
        respondent_department: String,
    },
    /// 派单/转办: assign, or transfer when already assigned.
    Assign {
        /// The department.
        department: String,
        /// The person, if a user.
        #[serde(default)]
        user: Option<UserId>,
        /// The person's name.
        name: String,
        /// Handover note.
        #[serde(default)]
        note: String,
    },
    /// Work starts.
    Start,
    /// An investigation note.
    Note {
        /// What kind of note.
        note_kind: NoteKind,
        /// The text.
        text: String,
    },
    /// 处理方案.
    Propose {
        /// The measures.
        measures: String,
        /// The responsible person.
        #[serde(default)]
        responsible: String,
        /// Planned completion.
        #[serde(default)]
        planned_date: Option<NaiveDate>,
        /// Compensation in fen.
        #[serde(default)]
        compensation_fen: i64,
    },
    /// Approves or refuses the pending compensation.
    Approve {
        /// Approve or refuse.
        approved: bool,
        /// Why.
        #[serde(default)]
        comment: String,
        /// The compensation the approver saw, in fen: a decision on an
        /// amount proposed again since is refused, so nobody approves an
        /// amount they never saw. Absent in ops recorded before it existed,
        /// which decide on the current amount.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        compensation_fen: Option<i64>,
    },
    /// 处理结果 and the feedback to the complainant.
    Resolve {
        /// What was done.
        result: String,
        /// How the complainant was told.
        feedback_method: ContactMethod,
        /// When they were told.
        #[serde(default)]
        feedback_at: Option<DateTime<Utc>>,
        /// Answered on the spot.
        #[serde(default)]
        on_the_spot: bool,
    },
    /// 结果反馈: the complainant was told the result, how and by whom
    /// (the author), when (the op's time). Stops the feedback clock.
    Feedback {
        /// How they were told.
        method: ContactMethod,
        /// What they were told or said.
        #[serde(default)]
        note: String,
    },
    /// 回访.
    FollowUp {
        /// Phone or visit.
        method: ContactMethod,
        /// 1–5.
        satisfaction: u8,
        /// What they said.
        #[serde(default)]
        comment: String,
        /// A manager's spot-check call.
        #[serde(default)]
        spot_check: bool,
        /// Result, attitude and timeliness, 1–5 each, when given.
        #[serde(default)]
        ratings: Option<crate::case::Ratings>,
    },
    /// 回访未果: a callback that did not reach the complainant (no answer,
    /// switched off, a wrong number). The case waits for the next try;
    /// after [`crate::workflow::CALLBACK_ATTEMPTS`] of them since it was
    /// resolved, it may close without the callback.
    CallbackMissed {
        /// Phone or visit.
        method: ContactMethod,
        /// What happened.
        #[serde(default)]
        note: String,
    },
    /// Reopens a resolved case (二次处理).
    Reopen {
        /// Why.
        reason: String,
    },
    /// 上报.
    Escalate {
        /// To which role.
        to_role: Role,
        /// Skips the direct superior (unreachable).
        #[serde(default)]
        skip_level: bool,
        /// Why.
        reason: String,
    },
    /// 更换首问责任人: the first responder is someone else from now on
    /// ([`crate::case::ResponderChange`]).
    ChangeResponder {
        /// The new first responder.
        to: UserId,
        /// Why (left the company, moved property, on long leave).
        reason: String,
    },
    /// 延期 (special case).
    Extend {
        /// Working days to add.
        working_days: u32,
        /// Why.
        reason: String,
    },
    /// 撤回.
    Withdraw {
        /// Why.
        reason: String,
    },
    /// 作废: the case was registered twice or in error
    /// ([`crate::case::Voiding`]).
    Void {
        /// The case it repeats, when it was registered twice.
        #[serde(default)]
        duplicate_of: Option<crate::regno::RegNo>,
        /// Why.
        reason: String,
    },
    /// 恢复: a case voided by mistake is restored to where it was.
    Restore {
        /// Why.
        reason: String,
    },
    /// 结案/归档.
    Close {
        /// 纠正预防措施.
        #[serde(default)]
        corrective_action: String,
        /// Its verification.
        #[serde(default)]
        verification: String,
    },
    /// Accepts or declines a suggestion.
    Decide {
        /// Accepted?
        accepted: bool,
        /// Why.
        #[serde(default)]
        reason: String,
    },
    /// The improvement plan of an accepted suggestion.
    PlanImprovement {
        /// The plan.
        plan: String,
        /// When it is published to residents.
        publish_on: NaiveDate,
    },
    /// Answers an inquiry.
    Answer {
        /// The answer.
        answer: String,
        /// How it was given.
        method: ContactMethod,
        /// Given on the spot.
        #[serde(default)]
        on_the_spot: bool,
    },
    /// Attaches evidence.
    Attach {
        /// The attachment's id.
        id: AttachmentId,
        /// Photo, signature or document.
        attachment_kind: AttachmentKind,
        /// File name.
        name: String,
        /// Media type (one of [`crate::blob::MEDIA_TYPES`]).
        mime: String,
        /// Size in bytes.
        size: u64,
        /// The SHA-256 of the bytes, which the device uploads after the op.
        /// Required of new ops; absent only in ops stored before.
        #[serde(default)]
        hash: Option<BlobHash>,
        /// What the photo shows.
        #[serde(default)]
        caption: String,
        /// A preview the device made, uploaded like the attachment.
        #[serde(default)]
        thumbnail: Option<Thumbnail>,
    },
    /// Resolves a conflict: apply the losing op now, or dismiss it.
    ResolveConflict {
        /// The losing op.
        conflict_op: OpId,
        /// Apply it now (if the workflow allows) or dismiss it.
        apply: bool,
        /// Why.
        #[serde(default)]
        note: String,
    },
}

coded_enum! {
    /// The kind of an action, without its payload.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum ActionKind {
        /// See [`Action::Register`].
        Register = ("register", "登记", "Register"),
        /// See [`Action::Edit`].
        Edit = ("edit", "修改", "Edit"),
        /// See [`Action::Assess`].
        Assess = ("assess", "初步评估", "Assess"),
        /// See [`Action::Assign`].
        Assign = ("assign", "派单/转办", "Assign / transfer"),
        /// See [`Action::Start`].
        Start = ("start", "开始处理", "Start"),
        /// See [`Action::Note`].
        Note = ("note", "调查记录", "Note"),
        /// See [`Action::Propose`].
        Propose = ("propose", "处理方案", "Propose solution"),
        /// See [`Action::Approve`].
        Approve = ("approve", "赔偿审批", "Approve compensation"),
        /// See [`Action::Resolve`].
        Resolve = ("resolve", "处理完成", "Resolve"),
        /// See [`Action::Feedback`].
        Feedback = ("feedback", "结果反馈", "Tell the result"),
        /// See [`Action::FollowUp`].
        FollowUp = ("follow_up", "回访", "Follow up"),
        /// See [`Action::CallbackMissed`].
        CallbackMissed = ("callback_missed", "回访未果", "Callback missed"),
        /// See [`Action::Reopen`].
        Reopen = ("reopen", "重新处理", "Reopen"),
        /// See [`Action::Escalate`].
        Escalate = ("escalate", "上报", "Escalate"),
        /// See [`Action::ChangeResponder`].
        ChangeResponder = ("change_responder", "更换首问责任人", "Change first responder"),
        /// See [`Action::Extend`].
        Extend = ("extend", "延期", "Extend"),
        /// See [`Action::Withdraw`].
        Withdraw = ("withdraw", "撤回", "Withdraw"),
        /// See [`Action::Void`].
        Void = ("void", "作废", "Void"),
        /// See [`Action::Restore`].
        Restore = ("restore", "恢复", "Restore"),
        /// See [`Action::Close`].
        Close = ("close", "结案", "Close"),
        /// See [`Action::Decide`].
        Decide = ("decide", "采纳/不采纳", "Accept / decline"),
        /// See [`Action::PlanImprovement`].
        PlanImprovement = ("plan_improvement", "整改计划", "Improvement plan"),
        /// See [`Action::Answer`].
        Answer = ("answer", "答复", "Answer"),
        /// See [`Action::Attach`].
        Attach = ("attach", "附件", "Attach"),
        /// See [`Action::ResolveConflict`].
        ResolveConflict = ("resolve_conflict", "处理冲突", "Resolve conflict"),
    }
}

impl ActionKind {
    /// Whether the action moves the workflow state (and so carries an
    /// expected state and can conflict).
    pub fn is_transition(self) -> bool {
        !matches!(
            self,
            ActionKind::Register
                | ActionKind::Edit
                | ActionKind::Note
                | ActionKind::Escalate
                | ActionKind::ChangeResponder
                | ActionKind::Extend
                | ActionKind::Feedback
                | ActionKind::CallbackMissed
                | ActionKind::Attach
                | ActionKind::ResolveConflict
        )
    }
}

impl Action {
    /// The action's kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Register(_) => ActionKind::Register,
            Action::Edit(_) => ActionKind::Edit,
            Action::Assess { .. } => ActionKind::Assess,
            Action::Assign { .. } => ActionKind::Assign,
            Action::Start => ActionKind::Start,
            Action::Note { .. } => ActionKind::Note,
            Action::Propose { .. } => ActionKind::Propose,
            Action::Approve { .. } => ActionKind::Approve,
            Action::Resolve { .. } => ActionKind::Resolve,
            Action::Feedback { .. } => ActionKind::Feedback,
            Action::FollowUp { .. } => ActionKind::FollowUp,
            Action::CallbackMissed { .. } => ActionKind::CallbackMissed,
            Action::Reopen { .. } => ActionKind::Reopen,
            Action::Escalate { .. } => ActionKind::Escalate,
            Action::ChangeResponder { .. } => ActionKind::ChangeResponder,
            Action::Extend { .. } => ActionKind::Extend,
            Action::Withdraw { .. } => ActionKind::Withdraw,
            Action::Void { .. } => ActionKind::Void,
            Action::Restore { .. } => ActionKind::Restore,
            Action::Close { .. } => ActionKind::Close,
            Action::Decide { .. } => ActionKind::Decide,
            Action::PlanImprovement { .. } => ActionKind::PlanImprovement,
            Action::Answer { .. } => ActionKind::Answer,
            Action::Attach { .. } => ActionKind::Attach,
            Action::ResolveConflict { .. } => ActionKind::ResolveConflict,
        }
    }

    /// The texts staff type into the action, where a resident's phone
    /// number may be written ([`crate::personal_data::Shown::op`] masks
    /// it), and an attachment's file name, which a tablet or a person may
    /// have named after the resident. Other names, codes and ids are not
    /// among them. Every variant is
    /// listed, so that a new one must say what it holds; a test in
    /// `validation::op_bounds` holds this list to the texts bounded there
    /// as free text.
    pub fn free_texts_mut(&mut self) -> Vec<&mut String> {
        match self {
            Action::Register(reg) => vec![&mut reg.content, &mut reg.requested_remedy],
            Action::Edit(patch) => patch
                .content
                .iter_mut()
                .chain(patch.requested_remedy.iter_mut())
                .collect(),
            Action::Assess { reason, .. }
            | Action::Reopen { reason }
            | Action::Escalate { reason, .. }
            | Action::ChangeResponder { reason, .. }
            | Action::Extend { reason, .. }
            | Action::Withdraw { reason }
            | Action::Void { reason, .. }
            | Action::Restore { reason }
            | Action::Decide { reason, .. } => vec![reason],
            Action::Assign { note, .. }
            | Action::Feedback { note, .. }
            | Action::CallbackMissed { note, .. }
            | Action::ResolveConflict { note, .. } => vec![note],
            Action::Note { text, .. } => vec![text],
            Action::Propose { measures, .. } => vec![measures],
            Action::Approve { comment, .. } | Action::FollowUp { comment, .. } => vec![comment],
            Action::Resolve { result, .. } => vec![result],
            Action::Close {
                corrective_action,
                verification,
            } => vec![corrective_action, verification],
            Action::PlanImprovement { plan, .. } => vec![plan],
            Action::Answer { answer, .. } => vec![answer],
            Action::Attach { caption, name, .. } => vec![caption, name],
            Action::Start => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attach_op_stored_before_evidence_had_hashes_still_decodes() {
        let old = r#"{"type":"attach","id":"00000000-0000-0000-0000-000000000001",
            "attachment_kind":"signature","name":"签名.png","mime":"image/png","size":12}"#;
        let action: Action = serde_json::from_str(old).expect("an old attach decodes");
        let Action::Attach {
            attachment_kind,
            hash,
            caption,
            thumbnail,
            ..
        } = &action
        else {
            panic!("decoded as {action:?}");
        };
        assert_eq!(*attachment_kind, AttachmentKind::ComplainantSignature);
        assert!(attachment_kind.is_personal());
        assert_eq!((hash, caption.as_str(), thumbnail), (&None, "", &None));
        // Written again, it says what it means now.
        let json = serde_json::to_string(&action).expect("serialize");
        assert!(json.contains(r#""attachment_kind":"complainant_signature""#));
    }
}
