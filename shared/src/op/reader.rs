//! How an [`Action`] is read from JSON.
//!
//! The wire shape is serde's internally tagged one
//! (`{"type":"assess","severity":…}`), which the derived writer still
//! writes. Serde's derived reader of that shape buffers every action into
//! its own `Content` tree before reading the variant out of it: each op
//! read twice, and a second reader of every variant, which was the largest
//! function of the tablet's wasm (80 KiB) and a share of every push's
//! parsing. This one reads an action in one pass:
//!
//! - `type` first, as every writer of ours puts it: the fields of the
//!   action follow straight into one set of optional fields ([`Fields`],
//!   the union of every variant's), from which the variant `type` names is
//!   built with the derived reader's rules (a field without a default must
//!   be there; one with a default may be missing). A registration or an
//!   edit, whose fields are a struct's, is read by that struct's reader.
//! - `type` elsewhere (a hand-written op, a JSON tool that sorts keys): the
//!   object is read as JSON, written again with `type` first and read so.
//!
//! Unlike the derived reader, a field another variant has is read by that
//! variant's type (`"size": "big"` in an assessment is an error, not
//! ignored), and `null` reads as a missing field. The round-trip tests
//! below hold it to what the writer writes, in any key order.

use super::{Action, ActionKind};
use crate::blob::BlobHash;
use crate::case::{
    AttachmentKind, ContactMethod, NoteKind, Ratings, Registration, RegistrationPatch, Severity,
    Thumbnail, Validity,
};
use crate::id::{AttachmentId, OpId, UserId};
use crate::regno::RegNo;
use crate::role::Role;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use std::fmt;

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Action, D::Error> {
        deserializer.deserialize_map(ActionVisitor)
    }
}

struct ActionVisitor;

impl<'de> Visitor<'de> for ActionVisitor {
    type Value = Action;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an action: an object with its `type`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Action, A::Error> {
        let key = match map.next_key::<FirstKey>()? {
            None => return Err(de::Error::missing_field("type")),
            Some(FirstKey::Type) => {
                let kind: ActionKind = map.next_value()?;
                let rest = MapAccessDeserializer::new(map);
                return match kind {
                    ActionKind::Register => Registration::deserialize(rest).map(Action::Register),
                    ActionKind::Edit => RegistrationPatch::deserialize(rest).map(Action::Edit),
                    kind => Fields::deserialize(rest)?.into_action(kind),
                };
            }
            Some(FirstKey::Other(key)) => key,
        };
        let mut object = serde_json::Map::new();
        object.insert(key, map.next_value()?);
        while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            object.insert(key, value);
        }
        let kind = object
            .remove("type")
            .ok_or_else(|| de::Error::missing_field("type"))?;
        let mut text = format!("{{\"type\":{kind}");
        for (key, value) in &object {
            text.push(',');
            text.push_str(&serde_json::Value::from(key.as_str()).to_string());
            text.push(':');
            text.push_str(&value.to_string());
        }
        text.push('}');
        serde_json::from_str(&text).map_err(de::Error::custom)
    }
}

/// An action's first key: `type`, or another, kept for the slow path.
enum FirstKey {
    Type,
    Other(String),
}

impl<'de> Deserialize<'de> for FirstKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FirstKey, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = FirstKey;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<FirstKey, E> {
                Ok(match key {
                    "type" => FirstKey::Type,
                    other => FirstKey::Other(other.to_string()),
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// The fields of every action but a registration and an edit, each
/// optional: which are required is the variant's to say
/// ([`Fields::into_action`]).
#[derive(serde::Deserialize)]
struct Fields {
    /// A second `type`, refused: which of two was meant is not known.
    #[serde(rename = "type")]
    second_type: Option<de::IgnoredAny>,
    severity: Option<Severity>,
    urgent: Option<bool>,
    validity: Option<Validity>,
    reason: Option<String>,
    respondent: Option<String>,
    respondent_department: Option<String>,
    department: Option<String>,
    user: Option<UserId>,
    name: Option<String>,
    note: Option<String>,
    note_kind: Option<NoteKind>,
    text: Option<String>,
    measures: Option<String>,
    responsible: Option<String>,
    planned_date: Option<NaiveDate>,
    compensation_fen: Option<i64>,
    approved: Option<bool>,
    comment: Option<String>,
    result: Option<String>,
    feedback_method: Option<ContactMethod>,
    feedback_at: Option<DateTime<Utc>>,
    on_the_spot: Option<bool>,
    method: Option<ContactMethod>,
    satisfaction: Option<u8>,
    spot_check: Option<bool>,
    ratings: Option<Ratings>,
    to_role: Option<Role>,
    skip_level: Option<bool>,
    to: Option<UserId>,
    working_days: Option<u32>,
    duplicate_of: Option<RegNo>,
    corrective_action: Option<String>,
    verification: Option<String>,
    accepted: Option<bool>,
    plan: Option<String>,
    publish_on: Option<NaiveDate>,
    answer: Option<String>,
    id: Option<AttachmentId>,
    attachment_kind: Option<AttachmentKind>,
    mime: Option<String>,
    size: Option<u64>,
    hash: Option<BlobHash>,
    caption: Option<String>,
    thumbnail: Option<Thumbnail>,
    conflict_op: Option<OpId>,
    apply: Option<bool>,
}

/// A field the variant cannot do without.
fn need<T, E: de::Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(field))
}

impl Fields {
    /// The action of `kind` these fields make, as the variant's
    /// declaration in [`Action`] says: its fields marked `default` may be
    /// missing, the others not.
    fn into_action<E: de::Error>(self, kind: ActionKind) -> Result<Action, E> {
        let f = self;
        if f.second_type.is_some() {
            return Err(E::duplicate_field("type"));
        }
        Ok(match kind {
            ActionKind::Register | ActionKind::Edit => {
                return Err(E::custom("a registration is read by its own reader"));
            }
            ActionKind::Assess => Action::Assess {
                severity: need(f.severity, "severity")?,
                urgent: need(f.urgent, "urgent")?,
                validity: need(f.validity, "validity")?,
                reason: f.reason.unwrap_or_default(),
                respondent: f.respondent.unwrap_or_default(),
                respondent_department: f.respondent_department.unwrap_or_default(),
            },
            ActionKind::Assign => Action::Assign {
                department: need(f.department, "department")?,
                user: f.user,
                name: need(f.name, "name")?,
                note: f.note.unwrap_or_default(),
            },
            ActionKind::Start => Action::Start,
            ActionKind::Note => Action::Note {
                note_kind: need(f.note_kind, "note_kind")?,
                text: need(f.text, "text")?,
            },
            ActionKind::Propose => Action::Propose {
                measures: need(f.measures, "measures")?,
                responsible: f.responsible.unwrap_or_default(),
                planned_date: f.planned_date,
                compensation_fen: f.compensation_fen.unwrap_or_default(),
            },
            ActionKind::Approve => Action::Approve {
                approved: need(f.approved, "approved")?,
                comment: f.comment.unwrap_or_default(),
                compensation_fen: f.compensation_fen,
            },
            ActionKind::Resolve => Action::Resolve {
                result: need(f.result, "result")?,
                feedback_method: need(f.feedback_method, "feedback_method")?,
                feedback_at: f.feedback_at,
                on_the_spot: f.on_the_spot.unwrap_or_default(),
            },
            ActionKind::Feedback => Action::Feedback {
                method: need(f.method, "method")?,
                note: f.note.unwrap_or_default(),
            },
            ActionKind::FollowUp => Action::FollowUp {
                method: need(f.method, "method")?,
                satisfaction: need(f.satisfaction, "satisfaction")?,
                comment: f.comment.unwrap_or_default(),
                spot_check: f.spot_check.unwrap_or_default(),
                ratings: f.ratings,
            },
            ActionKind::CallbackMissed => Action::CallbackMissed {
                method: need(f.method, "method")?,
                note: f.note.unwrap_or_default(),
            },
            ActionKind::Reopen => Action::Reopen {
                reason: need(f.reason, "reason")?,
            },
            ActionKind::Escalate => Action::Escalate {
                to_role: need(f.to_role, "to_role")?,
                skip_level: f.skip_level.unwrap_or_default(),
                reason: need(f.reason, "reason")?,
            },
            ActionKind::ChangeResponder => Action::ChangeResponder {
                to: need(f.to, "to")?,
                reason: need(f.reason, "reason")?,
            },
            ActionKind::Extend => Action::Extend {
                working_days: need(f.working_days, "working_days")?,
                reason: need(f.reason, "reason")?,
            },
            ActionKind::Withdraw => Action::Withdraw {
                reason: need(f.reason, "reason")?,
            },
            ActionKind::Void => Action::Void {
                duplicate_of: f.duplicate_of,
                reason: need(f.reason, "reason")?,
            },
            ActionKind::Restore => Action::Restore {
                reason: need(f.reason, "reason")?,
            },
            ActionKind::Close => Action::Close {
                corrective_action: f.corrective_action.unwrap_or_default(),
                verification: f.verification.unwrap_or_default(),
            },
            ActionKind::Decide => Action::Decide {
                accepted: need(f.accepted, "accepted")?,
                reason: f.reason.unwrap_or_default(),
            },
            ActionKind::PlanImprovement => Action::PlanImprovement {
                plan: need(f.plan, "plan")?,
                publish_on: need(f.publish_on, "publish_on")?,
            },
            ActionKind::Answer => Action::Answer {
                answer: need(f.answer, "answer")?,
                method: need(f.method, "method")?,
                on_the_spot: f.on_the_spot.unwrap_or_default(),
            },
            ActionKind::Attach => Action::Attach {
                id: need(f.id, "id")?,
                attachment_kind: need(f.attachment_kind, "attachment_kind")?,
                name: need(f.name, "name")?,
                mime: need(f.mime, "mime")?,
                size: need(f.size, "size")?,
                hash: f.hash,
                caption: f.caption.unwrap_or_default(),
                thumbnail: f.thumbnail,
            },
            ActionKind::ResolveConflict => Action::ResolveConflict {
                conflict_op: need(f.conflict_op, "conflict_op")?,
                apply: need(f.apply, "apply")?,
                note: f.note.unwrap_or_default(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Case;
    use crate::sim::{folded_complaint, sample_action};
    use uuid::Uuid;

    /// Every kind of action, in several variations, and those whose
    /// optional fields the samples leave out, each with them set.
    fn actions() -> Vec<Action> {
        let case: Case = folded_complaint();
        let author = (UserId(Uuid::from_u128(9)), Role::Manager);
        let mut all: Vec<Action> = ActionKind::ALL
            .into_iter()
            .flat_map(|kind| (0..6).map(move |choice| (kind, choice)))
            .map(|(kind, choice)| sample_action(&case, author, kind, choice))
            .collect();
        all.push(Action::Register(case.registration.clone()));
        let at: DateTime<Utc> = "2026-03-02T01:00:00Z".parse().unwrap();
        all.extend([
            Action::Assign {
                department: "工程部".into(),
                user: Some(UserId(Uuid::from_u128(3))),
                name: "张工".into(),
                note: "交接".into(),
            },
            Action::Propose {
                measures: "更换".into(),
                responsible: "李工".into(),
                planned_date: Some(at.date_naive()),
                compensation_fen: 12_000,
            },
            Action::Approve {
                approved: false,
                comment: "超限".into(),
                compensation_fen: Some(12_000),
            },
            Action::Resolve {
                result: "已修复".into(),
                feedback_method: ContactMethod::Visit,
                feedback_at: Some(at),
                on_the_spot: true,
            },
            Action::FollowUp {
                method: ContactMethod::Phone,
                satisfaction: 4,
                comment: "满意".into(),
                spot_check: true,
                ratings: Some(Ratings {
                    result: 4,
                    attitude: 5,
                    timeliness: 3,
                }),
            },
            Action::Void {
                duplicate_of: Some("HY-260302-0K-0042".parse().unwrap()),
                reason: "重复登记".into(),
            },
            Action::Attach {
                id: AttachmentId(Uuid::from_u128(5)),
                attachment_kind: AttachmentKind::ComplainantSignature,
                name: "签名.png".into(),
                mime: "image/png".into(),
                size: 2048,
                hash: Some(BlobHash::of(b"signature")),
                caption: String::new(),
                thumbnail: Some(Thumbnail {
                    hash: BlobHash::of(b"thumbnail"),
                    size: 300,
                    mime: "image/webp".into(),
                }),
            },
        ]);
        all
    }

    #[test]
    fn every_action_reads_back_as_it_was_written() {
        for action in actions() {
            let json = serde_json::to_string(&action).unwrap();
            assert!(json.starts_with(r#"{"type":"#), "{json}");
            let read: Action =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(read, action, "{json}");
        }
    }

    /// With `type` last or in the middle: as a JSON tool that sorts keys
    /// writes it, read from text, from bytes and from a JSON value.
    #[test]
    fn the_type_may_come_anywhere() {
        for action in actions() {
            let mut object = match serde_json::to_value(&action).unwrap() {
                serde_json::Value::Object(object) => object,
                other => panic!("{other}"),
            };
            let kind = object.remove("type").unwrap();
            let mut text = String::from("{");
            for (key, value) in &object {
                text.push_str(&format!(
                    "{}:{value},",
                    serde_json::Value::from(key.as_str())
                ));
            }
            text.push_str(&format!("\"type\":{kind}}}"));
            let read: Action =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(read, action, "{text}");
            let read: Action = serde_json::from_slice(text.as_bytes()).unwrap();
            assert_eq!(read, action, "{text}");
            object.insert("type".into(), kind);
            let read: Action = serde_json::from_value(serde_json::Value::Object(object)).unwrap();
            assert_eq!(read, action, "{text}");
        }
    }

    #[test]
    fn a_field_without_a_default_must_be_there_one_with_a_default_may_not() {
        let read = |json: &str| serde_json::from_str::<Action>(json).map_err(|e| e.to_string());
        let missing = read(r#"{"type":"assess","urgent":false,"validity":"valid"}"#).unwrap_err();
        assert!(missing.contains("missing field `severity`"), "{missing}");
        assert_eq!(
            read(r#"{"type":"assess","severity":"general","urgent":false,"validity":"valid"}"#),
            Ok(Action::Assess {
                severity: Severity::General,
                urgent: false,
                validity: Validity::Valid,
                reason: String::new(),
                respondent: String::new(),
                respondent_department: String::new(),
            })
        );
        let sorted = read(r#"{"reason":"","type":"reopen_x"}"#).unwrap_err();
        assert!(sorted.contains("unknown variant `reopen_x`"), "{sorted}");
        let untyped = read(r#"{"reason":"漏水"}"#).unwrap_err();
        assert!(untyped.contains("missing field `type`"), "{untyped}");
        assert!(read(r#"{}"#).unwrap_err().contains("missing field `type`"));
        assert!(
            read(r#"{"type":"reopen"}"#)
                .unwrap_err()
                .contains("missing field `reason`")
        );
        assert!(read(r#"["reopen"]"#).is_err());
        assert_eq!(read(r#"{"type":"start"}"#), Ok(Action::Start));
        for twice in [
            r#"{"type":"reopen","reason":"x","type":"void"}"#,
            r#"{"reason":"x","type":"reopen","type":"void"}"#,
            r#"{"reason":"x","type":"reopen","reason":"y"}"#,
        ] {
            assert!(
                read(twice).unwrap_err().contains("duplicate field"),
                "{twice}"
            );
        }
        // A registration's fields are its struct's, with its rules.
        assert!(read(r#"{"type":"register"}"#).is_err());
    }
}
