//! What the server does with each pushed op: accept it, or quarantine it
//! with a reason. The decision is separate from the storage so that it
//! reads as a list of rules; the SQLite store calls [`judge`] inside its
//! push transaction.
//!
//! Quarantine never blocks the rest of a batch and never loses the op: it
//! is kept with its reason for an admin, and the device may drop it from its
//! outbox because the sequence number is acknowledged.

use sha2::{Digest, Sha256};
use shared::category::Category;
use shared::id::PropertyId;
use shared::lang::{Coded, Lang};
use shared::op::{Action, Op, SCHEMA_VERSION};
use shared::property::Property;
use shared::role::User;
use shared::validation::validate_registration;
use shared::wire::QuarantineNotice;

/// The facts about one op that the decision needs.
pub struct Facts<'a> {
    /// The op.
    pub op: &'a Op,
    /// Users who have logged in on the pushing device.
    pub device_users: &'a [User],
    /// The property of the op's case, if the case is known.
    pub case_property: Option<PropertyId>,
    /// Whether another op already has this op's id.
    pub id_taken: bool,
    /// Every property.
    pub properties: &'a [Property],
    /// The categories.
    pub categories: &'a [Category],
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
        code: code.into(),
        message,
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
    if f.id_taken {
        return quarantine(
            op,
            "sync.duplicate_op_id",
            format!("op id {} is already stored", op.id),
        );
    }
    let Some(author) = f.device_users.iter().find(|u| u.id == op.author) else {
        return quarantine(
            op,
            "sync.unknown_author",
            "the author never logged in on this device".into(),
        );
    };
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
    let property = match (&op.action, f.case_property) {
        (Action::Register(_), Some(existing)) => existing,
        (Action::Register(reg), None) => {
            let Some(property) = f.properties.iter().find(|p| p.id == reg.property) else {
                return quarantine(
                    op,
                    "sync.unknown_property",
                    format!("property {} does not exist", reg.property),
                );
            };
            if let Err(errors) = validate_registration(reg, property, f.categories, op.at) {
                let message = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.error.message(Lang::En)))
                    .collect::<Vec<_>>()
                    .join("; ");
                return quarantine(op, "sync.invalid_registration", message);
            }
            reg.property
        }
        (_, Some(property)) => property,
        (_, None) => {
            return quarantine(
                op,
                "sync.unknown_case",
                format!("case {} is not registered", op.case_id),
            );
        }
    };
    if !author.scope().allows(property) {
        return quarantine(
            op,
            "sync.out_of_scope",
            "the case's property is outside the author's scope".into(),
        );
    }
    Verdict::Accept { property }
}

/// The notice for a re-sent sequence number with different content.
pub fn clone_notice(seq: u64) -> QuarantineNotice {
    QuarantineNotice {
        seq,
        code: "sync.clone".into(),
        message: "this sequence number was already stored with different content (cloned or corrupted device)"
            .into(),
    }
}

/// The content hash that detects clones: SHA-256 of the op's JSON.
pub fn hash(json: &str) -> String {
    let digest = Sha256::digest(json.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
