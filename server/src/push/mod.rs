//! What the server does with each pushed op: accept it, or quarantine it
//! with a reason. The decisions are separate from the storage so that they
//! read as lists of rules: [`plan`] sorts a batch by sequence number
//! (repeat, clone, gap, or next), and [`judge`] decides on each next op.
//! The store (either engine) reads the facts both need and calls them
//! inside its push transaction; re-applying a quarantined op calls [`judge`] alike.
//!
//! Quarantine never blocks the rest of a batch and never loses the op: it
//! is kept with its reason for an admin, and the device may drop it from its
//! outbox because the sequence number is acknowledged.

pub mod plan;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use shared::case::{Assignee, CaseKind};
use shared::category::Category;
use shared::hlc::Hlc;
use shared::id::{PropertyId, UserId};
use shared::lang::{Coded, Lang};
use shared::op::{Action, ActionKind, Op, SCHEMA_VERSION};
use shared::personal_data;
use shared::property::Property;
use shared::role::{Role, User};
use shared::settings::Settings;
use shared::validation::{
    FieldError, validate_attachment_limits, validate_op, validate_patch, validate_registration,
};
use shared::wire::QuarantineNotice;
use shared::workflow::{
    CLOCK_FIELDS_SCHEMA, may_assign, may_move_clocks, may_settle, moves_clocks, role_may,
    role_may_ever,
};

/// The facts about one op that the decision needs. Every one of them comes
/// from the server's own records or the session, never from the device.
/// What an edit is checked against, from its case's register op.
#[derive(Debug, Clone, Copy)]
pub struct Registered {
    /// The kind and whether the complainant is anonymous, which decide the
    /// fields an edit may not clear.
    pub kind: CaseKind,
    pub anonymous: bool,
    /// The first responder, who may correct what the clocks count from.
    pub by: UserId,
    /// When it was recorded: no case was received after.
    pub at: DateTime<Utc>,
}

/// The case a void names as the one kept, as the server holds it.
#[derive(Debug, Clone, Copy)]
pub struct Kept {
    pub property: PropertyId,
    pub voided: bool,
}

pub struct Facts<'a> {
    /// The op.
    pub op: &'a Op,
    /// The user of the session that pushed it (for an op re-applied from
    /// quarantine: the user who pushed it then), as stored now.
    pub pusher: Option<&'a User>,
    /// The number the server gave the pushing device.
    pub device_number: u32,
    /// The oldest schema the op may carry: that of the device's op the
    /// server holds with the highest sequence number below this op's, and
    /// at least the oldest the server took when it registered the device
    /// (0 when neither is known).
    pub schema_before: u32,
    /// What the server holds of the device's clock before this op; none
    /// when an administrator vouches for the op's time (a re-apply).
    pub device_clock: Option<DeviceClock>,
    /// The property of the op's case, if the case is known (a deleted
    /// case's too).
    pub case_property: Option<PropertyId>,
    /// For an edit or a `resolve_conflict`: what its case's register op
    /// says.
    pub case_registered: Option<Registered>,
    /// Whether the op's case was deleted (a retention tombstone).
    pub case_deleted: bool,
    /// Whether another op already has this op's id.
    pub id_taken: bool,
    /// Whether another case already has this registration number.
    pub reg_no_taken: bool,
    /// The bytes of evidence (files and thumbnails) the case's accepted
    /// attach ops already declare.
    pub case_attachment_bytes: u64,
    /// How many attach ops the case already holds.
    pub case_attachments: u64,
    /// For an attach op: its file or thumbnail is stored as a
    /// complainant's signature, on any case.
    pub signature_blob: bool,
    /// For an attach op: its file or thumbnail is stored as another kind
    /// of attachment than a complainant's signature, on any case.
    pub plain_blob: bool,
    /// For an attach op: its file or thumbnail is stored with another
    /// size or media type than it declares, on any case.
    pub blob_size_differs: bool,
    /// For an attach op, its file and its thumbnail each when already
    /// stored: the properties of the cases whose evidence has them (none
    /// for new bytes).
    pub blob_properties: &'a [Vec<PropertyId>],
    /// The user the op would give the case to: an assign op's, a change of
    /// first responder's, or, for a `resolve_conflict` applying a
    /// conflicted assign op, that op's.
    pub assigned: Option<UserId>,
    /// That user as stored now, if known.
    pub assignee: Option<&'a User>,
    /// For a void naming the case it repeats (`duplicate_of`), or a
    /// `resolve_conflict` applying such a void: the number, and that case
    /// as stored now, if the server holds one with it.
    pub kept: Option<(String, Option<Kept>)>,
    /// For a `resolve_conflict`: the author and kind of the op it
    /// settles, if its case has that op.
    pub conflicted: Option<(UserId, ActionKind)>,
    /// For a department head's assign, or `resolve_conflict` applying
    /// one: the case's assignee as stored now, if the case is known.
    pub case_assignee: Option<Option<Assignee>>,
    /// Every property.
    pub properties: &'a [Property],
    /// The categories.
    pub categories: &'a [Category],
    /// The settings (the company timezone dates registration numbers).
    pub settings: &'a Settings,
    /// The latest time an op may carry: the server's clock plus the allowed skew.
    pub ceiling: DateTime<Utc>,
    /// The allowed skew: how far a tablet's clock may be off, ahead of the
    /// server's or behind the device's own records.
    pub skew: Duration,
}

/// What the server holds of a device's clock, from its own records: its
/// ops come in their sequence order, each stamped by the device's HLC,
/// which never goes back, and none made before the device first logged in.
#[derive(Debug, Clone, Copy)]
pub struct DeviceClock {
    /// When the device first logged in, by the server's clock.
    pub first_seen: DateTime<Utc>,
    /// The HLC of the device's op the server holds with the highest
    /// sequence number below this op's.
    pub last_hlc: Option<Hlc>,
}

/// The decision.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Store it; its case belongs to `property`.
    Accept {
        /// The case's property (for scope filtering on pull).
        property: PropertyId,
    },
    /// Keep it aside with a reason.
    Quarantine(QuarantineNotice),
}

fn quarantine(op: &Op, code: &str, message: String) -> Verdict {
    Verdict::Quarantine(QuarantineNotice {
        seq: op.seq,
        op: Some(op.id),
        code: code.into(),
        message,
    })
}

/// Quarantines with the first field's code and every field's message.
fn invalid_fields(op: &Op, errors: &[FieldError]) -> Verdict {
    let code = errors
        .first()
        .map_or("validation.invalid", |e| e.error.code());
    quarantine(op, code, invalid_message(errors))
}

/// An op whose times the server's own records of its device contradict.
/// A tablet's clock set back is what an honest one shows; an act dated
/// back is what a user escaping a deadline would send: a resolution dated
/// before the clock ran out, a withdrawal slotted before a manager's
/// later acts. The HLC orders the device's ops as they were made, so one
/// below its predecessor's was not made after it (`clock.went_back`). The
/// op's own time is bounded by the skew the server allows from below as
/// from above: by the skew from the device's first login, and by twice it
/// from its own HLC, which runs ahead of the tablet's clock only by what
/// it pulled from clocks ahead (held to the skew) and by how far the
/// tablet's own clock is behind (`clock.behind`).
fn clock_behind(f: &Facts<'_>) -> Option<Verdict> {
    let op = f.op;
    let clock = f.device_clock?;
    if clock.last_hlc.is_some_and(|last| op.hlc <= last) {
        return Some(quarantine(
            op,
            "clock.went_back",
            "the op's clock is not after the clock of its device's op before it".into(),
        ));
    }
    let own_clock = DateTime::from_timestamp_millis(op.hlc.wall_ms).unwrap_or(op.at);
    let floor = [
        clock.first_seen.checked_sub_signed(f.skew),
        own_clock.checked_sub_signed(f.skew * 2),
    ]
    .into_iter()
    .flatten()
    .max();
    floor.is_some_and(|floor| op.at < floor).then(|| {
        quarantine(
            op,
            "clock.behind",
            format!(
                "the op's time lies further back than {} minutes before its device's first login, or twice that before its own clock: the tablet's clock is wrong, or the time is",
                // The skew is the ceiling less the request's own clock
                // reading, a moment later: a little under the minutes set.
                (f.skew.num_seconds() + 59) / 60
            ),
        )
    })
}

/// Decides what to do with an op whose sequence number is the next expected one.
pub fn judge(f: &Facts<'_>) -> Verdict {
    let op = f.op;
    if op.schema > SCHEMA_VERSION {
        return quarantine(
            op,
            "sync.schema_too_new",
            format!(
                "op schema {} is newer than the server's {SCHEMA_VERSION}",
                op.schema
            ),
        );
    }
    // The schema decides which rules the fold checks the op by
    // (`workflow::check_op`), and it is the device's claim. A tablet
    // writes its ops in order and is refused once its app is older than
    // the server takes (`client.update_required`), so only its ops from
    // before its update carry an older schema than its later ones, and a
    // device registered since the server required a schema has no ops
    // older than it: a lower one is a claim to escape the newer rules.
    // Never held above the server's own schema: a server rolled back
    // after a newer release holds ops and devices of that release, and
    // the tablets' service worker takes them back to this build's app,
    // whose ops would otherwise be set aside for good.
    let schema_before = f.schema_before.min(SCHEMA_VERSION);
    if op.schema < schema_before {
        return quarantine(
            op,
            "sync.schema_older",
            format!(
                "op schema {} is older than schema {}, which this device's ops before it or its registration hold it to",
                op.schema, schema_before
            ),
        );
    }
    // Bounds first: nothing below may compute with an unbounded value.
    if let Err(errors) = validate_op(op, f.ceiling) {
        return invalid_fields(op, &errors);
    }
    if op.hlc.device != op.device {
        return quarantine(
            op,
            "sync.hlc_device_mismatch",
            "the op's clock names another device".into(),
        );
    }
    if let Some(refused) = clock_behind(f) {
        return refused;
    }
    if f.id_taken {
        return quarantine(
            op,
            "sync.duplicate_op_id",
            format!("op id {} is already stored", op.id),
        );
    }
    // The author is whoever holds the session: a device cannot act for
    // someone else, not even for a colleague who used the same tablet.
    let Some(author) = f.pusher.filter(|u| u.id == op.author) else {
        return quarantine(
            op,
            "sync.author_mismatch",
            "the op's author is not the user who sent it".into(),
        );
    };
    // A session ends when its user is disabled; this is for an op
    // re-applied from quarantine afterwards (a stolen tablet's, say).
    if !author.active {
        return quarantine(
            op,
            "sync.author_disabled",
            format!("{} ({}) is disabled", author.display_name, author.login),
        );
    }
    if author.role != op.role {
        return quarantine(
            op,
            "sync.role_mismatch",
            format!(
                "op claims role {} but the author is {}",
                op.role.code(),
                author.role.code()
            ),
        );
    }
    // Outside the author's scope, nothing more is said: not whether the
    // case is registered already or was deleted, nor what is wrong with
    // the property's buildings, categories or number (its code), nor
    // anything of its users. The same answer for every op of another
    // property's case.
    let out_of_scope = || {
        quarantine(
            op,
            "sync.out_of_scope",
            "the case's property is outside the author's scope".into(),
        )
    };
    if f.case_property.is_some_and(|p| !author.scope().allows(p)) {
        return out_of_scope();
    }
    // A deleted case stays deleted: an op made offline before the device
    // pulled the tombstone is kept here for an admin, not folded into a
    // new case of the same id.
    if f.case_deleted {
        return Verdict::Quarantine(deleted_notice(op));
    }
    let property = match (&op.action, f.case_property) {
        (Action::Register(reg), None) if !author.scope().allows(reg.property) => {
            return out_of_scope();
        }
        (Action::Register(_), Some(_)) => {
            return quarantine(
                op,
                "case.already_registered",
                format!("case {} is already registered", op.case_id),
            );
        }
        (Action::Register(reg), None) => {
            // Quality and admin read cases and never work them: a
            // registration of theirs is nothing their app offers.
            if !role_may(author.role, ActionKind::Register, reg.kind) {
                return quarantine(
                    op,
                    "sync.role_not_allowed",
                    format!("role {} may not register cases", author.role.code()),
                );
            }
            let Some(property) = f.properties.iter().find(|p| p.id == reg.property) else {
                return quarantine(
                    op,
                    "sync.unknown_property",
                    format!("property {} does not exist", reg.property),
                );
            };
            if let Err(errors) = validate_registration(reg, property, f.categories, op.at) {
                return quarantine(op, "sync.invalid_registration", invalid_message(&errors));
            }
            // The day in the timezone in force when the tablet numbered
            // the case, or in one it had not heard was replaced.
            let days = f.settings.numbering_days_at(op.at);
            let local_date = days[0];
            let n = &reg.reg_no;
            if n.property_code() != property.code.to_ascii_uppercase()
                || !days.contains(&n.date())
                || n.device() != f.device_number
            {
                return quarantine(
                    op,
                    "case.reg_no_mismatch",
                    format!(
                        "registration number {n} must be {}-{}-<device {}>-…",
                        property.code.to_ascii_uppercase(),
                        local_date.format("%y%m%d"),
                        f.device_number
                    ),
                );
            }
            if f.reg_no_taken {
                return quarantine(
                    op,
                    "case.reg_no_taken",
                    format!("registration number {n} belongs to another case"),
                );
            }
            reg.property
        }
        (action, Some(property)) => {
            // An action the author's role never takes (admin and quality
            // attaching, admin noting) is nothing their app offers; kept
            // as a violation, its text or file would still reach every
            // tablet of the property as part of the record.
            if !role_may_ever(author.role, action.kind()) {
                return quarantine(
                    op,
                    "sync.role_not_allowed",
                    format!(
                        "role {} may not {} cases",
                        author.role.code(),
                        action.kind().code()
                    ),
                );
            }
            if let Action::Edit(patch) = action {
                let Some(p) = f.properties.iter().find(|p| p.id == property) else {
                    return quarantine(
                        op,
                        "sync.unknown_property",
                        format!("property {property} does not exist"),
                    );
                };
                let Some(reg) = f.case_registered else {
                    return quarantine(
                        op,
                        "sync.unknown_case",
                        format!("case {} is not registered", op.case_id),
                    );
                };
                // Edits recorded before these rules keep their meaning.
                let held = op.schema >= CLOCK_FIELDS_SCHEMA;
                let recorded = held.then_some(reg.at);
                if let Err(errors) =
                    validate_patch(patch, reg.kind, reg.anonymous, recorded, p, f.categories)
                {
                    return invalid_fields(op, &errors);
                }
                if held && moves_clocks(patch) && !may_move_clocks(reg.by, author.id, author.role) {
                    return quarantine(
                        op,
                        "case.clock_fields",
                        format!(
                            "only whoever registered the case or management may change when or how it was received (role {}): its deadlines count from them",
                            author.role.code()
                        ),
                    );
                }
                // Whether it moves them in their own favour is the fold's
                // to judge (`workflow::check_op`), against the case as it
                // stands when the edit comes in the op order: judged here,
                // against the case as the pushes so far left it, two
                // corrections made offline would end by which arrived
                // first.
                // A name or phone the role sees masked could only be
                // overwritten blind, and an edit that changed nothing
                // would confirm a guess: only what the role sees of every
                // case is corrected.
                let shown = personal_data::shown(f.settings, author, None);
                if (patch.complainant_name.is_some() && !shown.name)
                    || (patch.complainant_phone.is_some() && !shown.phone)
                {
                    return quarantine(
                        op,
                        "case.personal_data_hidden",
                        format!(
                            "role {} sees the complainant's name or phone masked and may not change it",
                            author.role.code()
                        ),
                    );
                }
            }
            property
        }
        (_, None) => {
            return quarantine(
                op,
                "sync.unknown_case",
                format!("case {} is not registered", op.case_id),
            );
        }
    };

    // A department head passes on only what they handle, or what no one
    // has yet (`workflow::may_assign`), judged against the case as the
    // server holds it: the tablet's copy may be behind a transfer, and a
    // forged op must not show them another department's phone. Not where
    // the op falls in the case's order: an assign slotted before a
    // manager's transfer turns that transfer into a conflict (it expected
    // the state the assign changed), which leaves the case, and its phone,
    // with the head until management settles it. Applying such an assign
    // that lost a conflict is judged by the settler.
    if let Some(current) = &f.case_assignee
        && !may_assign(author, current.as_ref(), f.settings)
    {
        return quarantine(
            op,
            "assign.not_handling",
            format!(
                "this role passes on only the cases of its department ({}), its own, or of no one yet",
                author.department.as_deref().unwrap_or("-")
            ),
        );
    }
    // The device's picker offers only who may take the case; the server
    // checks it against its own users, as they are now: a case assigned
    // to someone who never receives it would wait for nobody, and so
    // would one whose first responder cannot see it. An assign that lost
    // a conflict and is applied later is checked then, as the users are
    // then.
    if let Some(id) = f.assigned {
        // A first responder makes the callback and closes the case: a
        // role that works cases is not enough.
        type Rule = (
            &'static str,
            &'static str,
            fn(&User, PropertyId) -> bool,
            fn(Role) -> bool,
        );
        let (unknown, not_assignable, may, role_ok): Rule = match op.action {
            Action::ChangeResponder { .. } => (
                "change_responder.unknown_user",
                "change_responder.not_assignable",
                User::may_be_first_responder,
                Role::answers_first,
            ),
            _ => (
                "assign.unknown_user",
                "assign.not_assignable",
                User::may_be_assigned,
                Role::works_cases,
            ),
        };
        match f.assignee {
            None => {
                return quarantine(op, unknown, format!("user {id} does not exist"));
            }
            Some(u) if !may(u, property) => {
                let why = if !u.active {
                    "is disabled"
                } else if !role_ok(u.role) {
                    "has a role that may not take it"
                } else {
                    "does not work in the case's property"
                };
                // The answer goes to the tablet, which knows users by
                // name only: logins stay on the server.
                return quarantine(op, not_assignable, format!("{} {why}", u.display_name));
            }
            Some(_) => {}
        }
    }
    // An op that lost a conflict is applied after all only by someone
    // whose role takes that action now, since it then acts with its
    // author's role; dismissed also by its author, whose decision it was.
    if let (Action::ResolveConflict { apply, .. }, Some((by, kind)), Some(reg)) =
        (&op.action, f.conflicted, f.case_registered)
        && !may_settle(author.id, author.role, by, kind, reg.kind, *apply)
    {
        return quarantine(
            op,
            "conflict.not_yours",
            format!(
                "role {} may not {} this case: the conflict is for its author or someone who may",
                author.role.code(),
                kind.code()
            ),
        );
    }
    // The case a void names as the one kept must be a live one the author
    // may see: two copies voided as each other's, offline on two tablets,
    // would leave the matter in no figure; and a number of another
    // property's case would be shown with this one's record. Unknown and
    // out of scope read alike, so that neither tells of the other.
    if let Some((n, kept)) = &f.kept {
        match kept {
            Some(k) if author.scope().allows(k.property) => {
                if k.voided {
                    return quarantine(
                        op,
                        "void.duplicate_voided",
                        format!("case {n} is voided itself: name the case that is kept"),
                    );
                }
            }
            _ => {
                return quarantine(
                    op,
                    "void.unknown_case",
                    format!("no case of the author's properties has the number {n}"),
                );
            }
        }
    }
    if let Err(errors) = validate_attachment_limits(
        &op.action,
        &f.settings.attachment_limits_for(op.at),
        f.case_attachment_bytes,
        f.case_attachments,
    ) {
        return invalid_fields(op, &errors);
    }
    // A reference to a file lets its author download it. Bytes that only
    // other properties' cases hold are not the author's to reference: a
    // hash kept from a property one has left, attached to a case of one's
    // own, would fetch that property's evidence. The file and the
    // thumbnail are judged each on its own: an in-scope thumbnail does not
    // vouch for a foreign file. Judged before what the other references
    // say, so that nothing of them is told.
    if let Action::Attach { .. } = &op.action
        && f.blob_properties
            .iter()
            .any(|holders| !holders.iter().any(|p| author.scope().allows(*p)))
    {
        return quarantine(
            op,
            "attachment.unknown_file",
            "this file belongs to no case of the author's properties".into(),
        );
    }
    // A file is served by the purpose its references give it: a
    // complainant's signature attached again as a photo would reach every
    // role that may not see the complainant, with its hash read from the
    // case they do see.
    // The other way round too: bytes everyone sees as a photo cannot turn
    // into a signature that some roles may not see.
    if let Action::Attach {
        attachment_kind, ..
    } = &op.action
    {
        if f.signature_blob && !attachment_kind.is_personal() {
            return quarantine(
                op,
                "attachment.signature_reused",
                "this file is a complainant's signature and can be attached only as one".into(),
            );
        }
        if f.plain_blob && attachment_kind.is_personal() {
            return quarantine(
                op,
                "attachment.signature_reused",
                "this file is attached as a photo or document and cannot be a complainant's signature"
                    .into(),
            );
        }
    }
    // A file's hash fixes its size and type: the upload takes the size
    // and type a reference declares, so a second reference declaring
    // others (on an early attachment id, which sorts first) would make
    // every upload of the file fail, or serve it as another type.
    if f.blob_size_differs {
        return quarantine(
            op,
            "attachment.size_mismatch",
            "this file is stored with another size or type than this attachment declares".into(),
        );
    }
    Verdict::Accept { property }
}

fn invalid_message(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.error.message(Lang::En)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The notice for an op of a case deleted under retention.
pub fn deleted_notice(op: &Op) -> QuarantineNotice {
    QuarantineNotice {
        seq: op.seq,
        op: Some(op.id),
        code: shared::wire::CASE_DELETED.into(),
        message: format!("case {} was deleted (retention)", op.case_id),
    }
}

/// The notice for a re-sent sequence number with different content.
pub fn clone_notice(op: &Op) -> QuarantineNotice {
    QuarantineNotice {
        seq: op.seq,
        op: Some(op.id),
        code: "sync.clone".into(),
        message: "this sequence number was already stored with different content (cloned or corrupted device)"
            .into(),
    }
}

/// The notice for a records file's op without a valid proof that its
/// author made it on its tablet (`shared::proof`).
pub fn unproven_notice(op: &Op) -> QuarantineNotice {
    QuarantineNotice {
        seq: op.seq,
        op: Some(op.id),
        code: "import.unproven".into(),
        message: "the file does not prove that this record was made by its author on this tablet (changed after it was made, written by someone else, or made before records carried proofs): re-apply it only if its author confirms it"
            .into(),
    }
}

/// The content hash that detects clones: SHA-256 of the op's JSON, in
/// lowercase hex. Every pushed op is hashed, so the digits are looked up
/// rather than formatted one `format!` per byte.
pub fn hash(json: &str) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(json.as_bytes());
    let mut hex = String::with_capacity(2 * digest.len());
    for byte in digest {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hash_is_sha256_in_lowercase_hex() {
        assert_eq!(
            super::hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
