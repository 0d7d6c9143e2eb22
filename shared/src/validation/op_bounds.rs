//! The bounds of a whole op: every text, number, date and time it carries,
//! checked against the limits in [`super`]. The server runs this on every
//! pushed op (an op that fails is quarantined with the field and its code);
//! the app runs the same checks on a filled action form before it saves.

use super::{
    FieldError, MAX_ATTACHMENT_BYTES, MAX_CAPTION, MAX_CASE_ATTACHMENTS, MAX_COMPENSATION_FEN,
    MAX_EXTENSION_DAYS, MAX_HLC_COUNTER, MAX_LABEL, MAX_NAME, MAX_TEXT, ValidationError,
    date_in_range, time_floor,
};
use crate::blob::MEDIA_TYPES;
use crate::case::{CaseKind, RegistrationPatch};
use crate::category::Category;
use crate::op::{Action, Op};
use crate::phone::Phone;
use crate::property::Property;
use crate::settings::AttachmentLimits;
use chrono::{DateTime, NaiveDate, Utc};

/// Collects the problems of one op, field by field, and, when asked
/// ([`texts_met`]), the texts it carries.
#[derive(Default)]
struct Problems {
    found: Vec<FieldError>,
    texts: Option<Vec<TextField>>,
}

/// A text an action carries: its field, as the problems name it, its value
/// and its limit.
struct TextField {
    field: String,
    value: String,
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the test of `Action::free_texts_mut`")
    )]
    max: usize,
}

impl Problems {
    fn push(&mut self, field: &str, error: ValidationError) {
        self.found.push(FieldError {
            field: field.into(),
            error,
        });
    }

    fn list(&mut self, field: &str, value: &str, max: usize) {
        if let Some(texts) = &mut self.texts {
            texts.push(TextField {
                field: field.into(),
                value: value.into(),
                max,
            });
        }
    }

    fn text(&mut self, field: &str, value: &str, max: usize) {
        self.list(field, value, max);
        self.check_text(field, value, max);
    }

    fn check_text(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.push(field, ValidationError::TooLong { max });
        }
        if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            self.push(field, ValidationError::ControlCharacter);
        }
    }

    fn required_text(&mut self, field: &str, value: &str, max: usize) {
        self.list(field, value, max);
        if value.trim().is_empty() {
            self.push(field, ValidationError::Required);
        } else {
            self.check_text(field, value, max);
        }
    }

    fn time(&mut self, field: &str, t: DateTime<Utc>, ceiling: DateTime<Utc>) {
        if t < time_floor() || t > ceiling {
            self.push(field, ValidationError::ClockOutOfRange);
        }
    }

    fn date(&mut self, field: &str, d: NaiveDate) {
        if !date_in_range(d) {
            self.push(field, ValidationError::ClockOutOfRange);
        }
    }

    fn number(&mut self, field: &str, n: i64, min: i64, max: i64) {
        if n < min || n > max {
            self.push(field, ValidationError::OutOfRange { min, max });
        }
    }

    fn media_type(&mut self, field: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.push(field, ValidationError::MediaType);
        }
    }

    fn bytes(&mut self, field: &str, size: u64) {
        if size == 0 || size > MAX_ATTACHMENT_BYTES {
            self.push(
                field,
                ValidationError::OutOfRange {
                    min: 1,
                    max: MAX_ATTACHMENT_BYTES as i64,
                },
            );
        }
    }

    fn done(self) -> Result<(), Vec<FieldError>> {
        if self.found.is_empty() {
            Ok(())
        } else {
            Err(self.found)
        }
    }
}

/// Checks the bounds of an op: its times lie between [`time_floor`] and
/// `ceiling` (the checker's clock plus the allowed skew), its HLC counter is
/// bounded, and every field of its action is within its limit. It does not
/// check the registration against a property (see
/// [`super::validate_registration`]) or the workflow (see
/// `workflow::check`). Never panics, whatever the op holds.
pub fn validate_op(op: &Op, ceiling: DateTime<Utc>) -> Result<(), Vec<FieldError>> {
    let mut p = Problems::default();
    p.time("at", op.at, ceiling);
    let in_range = |t: DateTime<Utc>| t >= time_floor() && t <= ceiling;
    match DateTime::from_timestamp_millis(op.hlc.wall_ms) {
        // A device's clock never orders an op before the op's own time
        // (`HlcClock::tick` takes the wall clock it is stamped with): the
        // clock alone decides which of two racing acts wins, so one set
        // back would let an act recorded after a void win over it.
        Some(wall)
            if in_range(wall)
                && !(op.hlc.wall_ms < op.at.timestamp_millis() && in_range(op.at)) => {}
        _ => p.push("hlc.wall_ms", ValidationError::ClockOutOfRange),
    }
    if op.hlc.counter > MAX_HLC_COUNTER {
        p.push(
            "hlc.counter",
            ValidationError::OutOfRange {
                min: 0,
                max: MAX_HLC_COUNTER.into(),
            },
        );
    }
    action_bounds(&mut p, &op.action, ceiling);
    if op.schema >= crate::workflow::AMOUNT_SEEN_SCHEMA
        && matches!(
            op.action,
            Action::Approve {
                compensation_fen: None,
                ..
            }
        )
    {
        p.push("compensation_fen", ValidationError::Required);
    }
    p.done()
}

/// The bounds of an action's fields alone (what an action form checks).
pub fn validate_action(action: &Action, ceiling: DateTime<Utc>) -> Result<(), Vec<FieldError>> {
    let mut p = Problems::default();
    action_bounds(&mut p, action, ceiling);
    p.done()
}

/// The texts an action carries, field by field (named as the problems
/// name them), as typed, empty ones left out: what a tablet shows of its
/// own op the server refused, which the case no longer shows, so that
/// what was typed can still be read and typed again.
pub fn action_texts(action: &Action) -> Vec<(String, String)> {
    texts_met(action)
        .into_iter()
        .filter(|t| !t.value.trim().is_empty())
        .map(|t| (t.field, t.value))
        .collect()
}

/// Every text field of `action`, empty or not, with its limit.
fn texts_met(action: &Action) -> Vec<TextField> {
    let mut p = Problems {
        texts: Some(Vec::new()),
        ..Problems::default()
    };
    action_bounds(&mut p, action, DateTime::<Utc>::MAX_UTC);
    p.texts.unwrap_or_default()
}

fn action_bounds(p: &mut Problems, action: &Action, ceiling: DateTime<Utc>) {
    match action {
        Action::Register(reg) => {
            p.text("complainant.name", &reg.complainant.name, MAX_NAME);
            p.text("category", &reg.category, MAX_LABEL);
            p.text("content", &reg.content, MAX_TEXT);
            p.text("requested_remedy", &reg.requested_remedy, MAX_TEXT);
            p.text("source_ref", &reg.source_ref, MAX_LABEL);
            if let Some(related) = &reg.related_case {
                p.text("related_case", related, MAX_LABEL);
            }
            p.time("received_at", reg.received_at, ceiling);
        }
        Action::Edit(patch) => patch_bounds(p, patch, ceiling),
        Action::Assess {
            reason,
            respondent,
            respondent_department,
            ..
        } => {
            p.text("reason", reason, MAX_TEXT);
            p.text("respondent", respondent, MAX_LABEL);
            p.text("respondent_department", respondent_department, MAX_LABEL);
        }
        Action::Assign {
            department,
            name,
            note,
            ..
        } => {
            p.text("department", department, MAX_LABEL);
            p.text("name", name, MAX_LABEL);
            p.text("note", note, MAX_TEXT);
        }
        Action::Start => {}
        Action::Note { text, .. } => p.required_text("text", text, MAX_TEXT),
        Action::Propose {
            measures,
            responsible,
            planned_date,
            compensation_fen,
        } => {
            p.required_text("measures", measures, MAX_TEXT);
            p.text("responsible", responsible, MAX_LABEL);
            if let Some(d) = planned_date {
                p.date("planned_date", *d);
            }
            p.number(
                "compensation_fen",
                *compensation_fen,
                0,
                MAX_COMPENSATION_FEN,
            );
        }
        Action::Approve {
            comment,
            compensation_fen,
            ..
        } => {
            p.text("comment", comment, MAX_TEXT);
            if let Some(fen) = compensation_fen {
                p.number("compensation_fen", *fen, 0, MAX_COMPENSATION_FEN);
            }
        }
        Action::Resolve {
            result,
            feedback_at,
            ..
        } => {
            p.text("result", result, MAX_TEXT);
            if let Some(t) = feedback_at {
                p.time("feedback_at", *t, ceiling);
            }
        }
        Action::Feedback { note, .. } | Action::CallbackMissed { note, .. } => {
            p.text("note", note, MAX_TEXT)
        }
        Action::FollowUp {
            satisfaction,
            comment,
            ratings,
            ..
        } => {
            p.number("satisfaction", (*satisfaction).into(), 1, 5);
            if let Some(r) = ratings {
                for (field, score) in [
                    ("ratings.result", r.result),
                    ("ratings.attitude", r.attitude),
                    ("ratings.timeliness", r.timeliness),
                ] {
                    p.number(field, score.into(), 1, 5);
                }
            }
            p.text("comment", comment, MAX_TEXT);
        }
        Action::Reopen { reason } | Action::Withdraw { reason } | Action::Restore { reason } => {
            p.text("reason", reason, MAX_TEXT)
        }
        Action::Void {
            duplicate_of,
            reason,
        } => {
            // A number read well-formed may still carry a property code of
            // any length: bounded as a related case's number is.
            if let Some(original) = duplicate_of {
                p.text("duplicate_of", &original.to_string(), MAX_LABEL);
            }
            p.text("reason", reason, MAX_TEXT);
        }
        Action::Escalate { reason, .. } | Action::ChangeResponder { reason, .. } => {
            p.text("reason", reason, MAX_TEXT)
        }
        Action::Extend {
            working_days,
            reason,
        } => {
            p.number(
                "working_days",
                (*working_days).into(),
                1,
                MAX_EXTENSION_DAYS.into(),
            );
            p.text("reason", reason, MAX_TEXT);
        }
        Action::Close {
            corrective_action,
            verification,
        } => {
            p.text("corrective_action", corrective_action, MAX_TEXT);
            p.text("verification", verification, MAX_TEXT);
        }
        Action::Decide { reason, .. } => p.text("reason", reason, MAX_TEXT),
        Action::PlanImprovement { plan, publish_on } => {
            p.text("plan", plan, MAX_TEXT);
            p.date("publish_on", *publish_on);
        }
        Action::Answer { answer, .. } => p.text("answer", answer, MAX_TEXT),
        Action::Attach {
            name,
            mime,
            size,
            hash,
            caption,
            thumbnail,
            ..
        } => {
            p.text("name", name, MAX_LABEL);
            p.media_type("mime", mime, &MEDIA_TYPES);
            p.bytes("size", *size);
            if hash.is_none() {
                p.push("hash", ValidationError::Required);
            }
            p.text("caption", caption, MAX_CAPTION);
            if let Some(t) = thumbnail {
                p.media_type("thumbnail.mime", &t.mime, &MEDIA_TYPES[..3]);
                p.bytes("thumbnail.size", t.size);
            }
        }
        Action::ResolveConflict { note, .. } => p.text("note", note, MAX_TEXT),
    }
}

/// Checks an attach op against the company's evidence limits: its file and
/// its thumbnail each within `limits.max_blob_bytes`, and the case's
/// evidence (`case_bytes` already attached, plus these) within
/// `limits.max_case_bytes`, and the case holding fewer than
/// [`MAX_CASE_ATTACHMENTS`] (`case_attachments` already). Any other action
/// passes. The server runs this when an op is pushed, after
/// [`validate_op`]; the app before it saves.
pub fn validate_attachment_limits(
    action: &Action,
    limits: &AttachmentLimits,
    case_bytes: u64,
    case_attachments: u64,
) -> Result<(), Vec<FieldError>> {
    let mut p = Problems::default();
    let Action::Attach {
        size, thumbnail, ..
    } = action
    else {
        return Ok(());
    };
    let too_large = ValidationError::AttachmentTooLarge {
        max: limits.max_blob_bytes,
    };
    if *size > limits.max_blob_bytes {
        p.push("size", too_large.clone());
    }
    let thumbnail_size = thumbnail.as_ref().map_or(0, |t| t.size);
    if thumbnail_size > limits.max_blob_bytes {
        p.push("thumbnail.size", too_large);
    }
    let total = case_bytes
        .saturating_add(*size)
        .saturating_add(thumbnail_size);
    if total > limits.max_case_bytes {
        p.push(
            "size",
            ValidationError::CaseAttachmentsTooLarge {
                max: limits.max_case_bytes,
            },
        );
    }
    if case_attachments >= MAX_CASE_ATTACHMENTS {
        p.push(
            "attachment",
            ValidationError::TooManyAttachments {
                max: MAX_CASE_ATTACHMENTS,
            },
        );
    }
    p.done()
}

fn patch_bounds(p: &mut Problems, patch: &RegistrationPatch, ceiling: DateTime<Utc>) {
    if let Some(name) = &patch.complainant_name {
        p.text("complainant.name", name, MAX_NAME);
    }
    if let Some(category) = &patch.category {
        p.text("category", category, MAX_LABEL);
    }
    if let Some(content) = &patch.content {
        p.required_text("content", content, MAX_TEXT);
    }
    if let Some(remedy) = &patch.requested_remedy {
        p.text("requested_remedy", remedy, MAX_TEXT);
    }
    if let Some(source) = &patch.source_ref {
        p.text("source_ref", source, MAX_LABEL);
    }
    if let Some(Some(related)) = &patch.related_case {
        p.text("related_case", related, MAX_LABEL);
    }
    if let Some(t) = patch.received_at {
        p.time("received_at", t, ceiling);
    }
}

/// Checks an `edit` patch against the case's property and the categories,
/// as intake checks a registration: a phone that came over the wire is
/// parsed again, a location must be in the property, a category must exist,
/// and the case cannot have been received after it was `recorded` (when
/// given: an edit of a schema before `workflow::CLOCK_FIELDS_SCHEMA` was
/// not held to it).
pub fn validate_patch(
    patch: &RegistrationPatch,
    kind: CaseKind,
    anonymous: bool,
    recorded: Option<DateTime<Utc>>,
    property: &Property,
    categories: &[Category],
) -> Result<(), Vec<FieldError>> {
    let mut p = Problems::default();
    if let Some(received) = patch.received_at
        && let Some(recorded) = recorded
        && super::received_after(received, recorded)
    {
        p.push("received_at", ValidationError::ReceivedInFuture);
    }
    // What intake requires, a correction may not clear.
    if let Some(name) = &patch.complainant_name
        && name.trim().is_empty()
        && super::name_required(kind, anonymous)
    {
        p.push("complainant.name", ValidationError::Required);
    }
    if let Some(None) = &patch.complainant_phone
        && super::phone_required(kind, anonymous)
    {
        p.push("complainant.phone", ValidationError::Required);
    }
    if let Some(Some(phone)) = &patch.complainant_phone
        && Phone::from_stored(phone.as_str()).as_ref() != Some(phone)
    {
        p.push("complainant.phone", ValidationError::PhoneMalformed);
    }
    if let Some(location) = &patch.location
        && !property.contains(location)
    {
        p.push("location", ValidationError::NotInProperty);
    }
    // Known is enough, as for a registration: a correction made offline
    // may name a category retired since.
    if let Some(category) = &patch.category
        && !categories.iter().any(|c| &c.code == category)
    {
        p.push("category", ValidationError::UnknownCategory);
    }
    p.done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CaseState;
    use crate::hlc::Hlc;
    use crate::id::{CaseId, DeviceId, OpId, UserId};
    use crate::role::Role;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap()
    }

    fn op(action: Action) -> Op {
        let device = DeviceId(Uuid::from_u128(1));
        Op {
            id: OpId(Uuid::from_u128(2)),
            case_id: CaseId(Uuid::from_u128(3)),
            device,
            seq: 1,
            hlc: Hlc {
                wall_ms: now().timestamp_millis(),
                counter: 0,
                device,
            },
            at: now(),
            author: UserId(Uuid::from_u128(4)),
            role: Role::Staff,
            schema: 1,
            expected_state: Some(CaseState::Registered),
            action,
        }
    }

    fn check(edit: impl FnOnce(&mut Op), expected: &[(&str, &str)]) {
        let mut o = op(Action::Start);
        edit(&mut o);
        super::super::assert_codes(&validate_op(&o, now()), expected);
    }

    #[test]
    fn an_approval_names_the_amount_it_decides() {
        let approve = |fen| Action::Approve {
            approved: true,
            comment: String::new(),
            compensation_fen: fen,
        };
        let schema = crate::workflow::AMOUNT_SEEN_SCHEMA;
        check(
            |o| {
                o.action = approve(None);
                o.schema = schema;
            },
            &[("compensation_fen", "validation.required")],
        );
        check(
            |o| {
                o.action = approve(Some(80_000));
                o.schema = schema;
            },
            &[],
        );
        // Recorded before builds named it: it decides the current amount.
        check(
            |o| {
                o.action = approve(None);
                o.schema = schema - 1;
            },
            &[],
        );
    }

    #[test]
    fn an_actions_texts_are_listed_as_typed_and_empty_ones_left_out() {
        let assign = Action::Assign {
            department: "工程部".into(),
            user: None,
            name: "张师傅".into(),
            note: " ".into(),
        };
        assert_eq!(
            action_texts(&assign),
            [
                ("department".to_string(), "工程部".to_string()),
                ("name".to_string(), "张师傅".to_string())
            ]
        );
        assert!(action_texts(&Action::Start).is_empty());
    }

    /// What is masked with the phone (`Action::free_texts_mut`) is what is
    /// bounded here as free text (an attachment's caption and file name by
    /// their own limits), no more and no fewer: a text added to an action
    /// must be added to both.
    #[test]
    fn the_free_texts_are_the_texts_bounded_as_free_text() {
        use crate::op::ActionKind;
        use crate::sim::{folded_complaint, sample_action};
        let case = folded_complaint();
        let author = (UserId(Uuid::from_u128(9)), Role::Manager);
        let mut actions: Vec<Action> = ActionKind::ALL
            .into_iter()
            .flat_map(|kind| (0..6).map(move |choice| (kind, choice)))
            .map(|(kind, choice)| sample_action(&case, author, kind, choice))
            .collect();
        actions.push(Action::Register(case.registration.clone()));
        actions.push(Action::Edit(RegistrationPatch {
            content: Some(String::new()),
            requested_remedy: Some(String::new()),
            ..Default::default()
        }));
        for mut action in actions {
            let mut marked = Vec::new();
            for (i, text) in action.free_texts_mut().into_iter().enumerate() {
                *text = format!("«{i}»");
                marked.push(text.clone());
            }
            let mut bounded: Vec<String> = texts_met(&action)
                .into_iter()
                .filter(|t| {
                    t.max == MAX_TEXT
                        || (matches!(action, Action::Attach { .. })
                            && matches!(&*t.field, "caption" | "name"))
                })
                .map(|t| t.value)
                .collect();
            bounded.sort();
            marked.sort();
            assert_eq!(bounded, marked, "{action:?}");
        }
    }

    #[test]
    fn a_plain_op_passes() {
        check(|_| {}, &[]);
    }

    #[test]
    fn a_clock_behind_the_ops_own_time_is_refused() {
        check(
            |o| o.hlc.wall_ms = o.at.timestamp_millis() - 1,
            &[("hlc.wall_ms", "clock.out_of_range")],
        );
        check(|o| o.hlc.wall_ms = o.at.timestamp_millis(), &[]);
    }

    #[test]
    fn times_outside_the_floor_and_ceiling_are_refused() {
        check(
            |o| o.at = Utc.with_ymd_and_hms(1999, 12, 31, 0, 0, 0).unwrap(),
            &[("at", "clock.out_of_range")],
        );
        check(
            |o| o.at = now() + chrono::Duration::seconds(1),
            &[("at", "clock.out_of_range")],
        );
        check(
            |o| o.at = DateTime::<Utc>::MAX_UTC,
            &[("at", "clock.out_of_range")],
        );
        check(
            |o| {
                o.hlc.wall_ms = i64::MAX;
                o.hlc.counter = u32::MAX;
            },
            &[
                ("hlc.wall_ms", "clock.out_of_range"),
                ("hlc.counter", "validation.out_of_range"),
            ],
        );
        check(
            |o| o.hlc.wall_ms = 0,
            &[("hlc.wall_ms", "clock.out_of_range")],
        );
    }

    #[test]
    fn control_characters_are_refused_and_line_breaks_kept() {
        fn note(text: &'static str) -> impl FnOnce(&mut Op) {
            move |o| {
                o.action = Action::Note {
                    note_kind: crate::case::NoteKind::General,
                    text: text.into(),
                }
            }
        }
        check(
            note("已联系\u{0}业主"),
            &[("text", "validation.control_character")],
        );
        check(
            note("响铃\u{7}"),
            &[("text", "validation.control_character")],
        );
        check(note("第一行\r\n第二行\t完"), &[]);
    }

    #[test]
    fn every_field_is_bounded() {
        let long = "字".repeat(MAX_TEXT + 1);
        check(
            |o| {
                o.action = Action::Edit(RegistrationPatch {
                    content: Some(long.clone()),
                    received_at: Some(DateTime::<Utc>::MAX_UTC),
                    source_ref: Some("1".repeat(MAX_LABEL + 1)),
                    ..Default::default()
                })
            },
            &[
                ("content", "validation.too_long"),
                ("source_ref", "validation.too_long"),
                ("received_at", "clock.out_of_range"),
            ],
        );
        check(
            |o| {
                o.action = Action::Propose {
                    measures: "换锁".into(),
                    responsible: String::new(),
                    planned_date: NaiveDate::from_ymd_opt(262_142, 12, 31),
                    compensation_fen: -1,
                }
            },
            &[
                ("planned_date", "clock.out_of_range"),
                ("compensation_fen", "validation.out_of_range"),
            ],
        );
        for fen in [-1, i64::MAX] {
            check(
                |o| {
                    o.action = Action::Approve {
                        approved: true,
                        comment: String::new(),
                        compensation_fen: Some(fen),
                    }
                },
                &[("compensation_fen", "validation.out_of_range")],
            );
        }
        check(
            |o| {
                o.action = Action::Extend {
                    working_days: u32::MAX,
                    reason: "等待配件".into(),
                }
            },
            &[("working_days", "validation.out_of_range")],
        );
        check(
            |o| {
                o.action = Action::Note {
                    note_kind: crate::case::NoteKind::General,
                    text: " ".into(),
                }
            },
            &[("text", "validation.required")],
        );
        check(
            |o| {
                o.action = Action::ChangeResponder {
                    to: crate::id::UserId(Uuid::from_u128(9)),
                    reason: long.clone(),
                }
            },
            &[("reason", "validation.too_long")],
        );
        let forged = format!("{}-260302-0K-0001", "H".repeat(MAX_LABEL));
        check(
            |o| {
                o.action = Action::Void {
                    duplicate_of: Some(forged.parse().expect("a well-formed number")),
                    reason: "重复登记".into(),
                }
            },
            &[("duplicate_of", "validation.too_long")],
        );
    }

    fn attach(size: u64, thumbnail: Option<u64>) -> Action {
        Action::Attach {
            id: crate::id::AttachmentId(Uuid::from_u128(5)),
            attachment_kind: crate::case::AttachmentKind::Photo,
            name: "漏水.jpg".into(),
            mime: "image/jpeg".into(),
            size,
            hash: Some(crate::blob::BlobHash::of(b"photo")),
            caption: "天花板".into(),
            thumbnail: thumbnail.map(|size| crate::case::Thumbnail {
                hash: crate::blob::BlobHash::of(b"thumb"),
                size,
                mime: "image/webp".into(),
            }),
        }
    }

    #[test]
    fn attachments_are_bounded() {
        check(|o| o.action = attach(1024, Some(100)), &[]);
        check(
            |o| {
                o.action = attach(0, Some(MAX_ATTACHMENT_BYTES + 1));
                if let Action::Attach {
                    mime,
                    hash,
                    caption,
                    thumbnail: Some(t),
                    ..
                } = &mut o.action
                {
                    *mime = "image/gif".into();
                    *hash = None;
                    *caption = "字".repeat(MAX_CAPTION + 1);
                    t.mime = "application/pdf".into();
                }
            },
            &[
                ("mime", "attachment.media_type"),
                ("size", "validation.out_of_range"),
                ("hash", "validation.required"),
                ("caption", "validation.too_long"),
                ("thumbnail.mime", "attachment.media_type"),
                ("thumbnail.size", "validation.out_of_range"),
            ],
        );
    }

    #[test]
    fn attachments_obey_the_company_limits() {
        let limits = AttachmentLimits {
            max_blob_bytes: 1000,
            max_case_bytes: 3000,
            keep_original_photos: false,
        };
        let check = |action: Action, case_bytes: u64, expected: &[(&str, &str)]| {
            super::super::assert_codes(
                &validate_attachment_limits(&action, &limits, case_bytes, 0),
                expected,
            );
        };
        check(attach(1000, Some(1000)), 1000, &[]);
        check(attach(1001, None), 0, &[("size", "attachment.too_large")]);
        check(
            attach(10, Some(1001)),
            0,
            &[("thumbnail.size", "attachment.too_large")],
        );
        check(
            attach(1000, Some(1)),
            2000,
            &[("size", "attachment.case_too_large")],
        );
        check(Action::Start, u64::MAX, &[]);
        // However small: one byte each would otherwise let a case grow
        // without bound.
        assert_eq!(
            validate_attachment_limits(&attach(1, None), &limits, 0, MAX_CASE_ATTACHMENTS - 1),
            Ok(())
        );
        let refused =
            validate_attachment_limits(&attach(1, None), &limits, 0, MAX_CASE_ATTACHMENTS)
                .unwrap_err();
        assert_eq!(
            crate::lang::Coded::code(&refused[0].error),
            "attachment.too_many"
        );
    }
}
