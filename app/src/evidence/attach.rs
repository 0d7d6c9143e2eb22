//! Recording taken evidence: one `attach` op per photo or signature,
//! stored with its bytes (and its thumbnail's) in one IndexedDB
//! transaction (`crate::db::save_op`), so an op never names bytes the
//! device does not hold. Everything is checked first: the bounds the
//! server checks on every op, the workflow, and the company's size limits
//! against what the case already holds, so a tablet never records what the
//! server would quarantine.

use super::{Taken, bytes_to_blob};
use crate::db::NewBlob;
use crate::record::RecordError;
use crate::state::{AppCtx, now};
use chrono::Duration;
use leptos::prelude::*;
use shared::case::Thumbnail;
use shared::id::{AttachmentId, CaseId};
use shared::lang::{Coded, Lang};
use shared::op::Action;
use shared::settings::AttachmentLimits;
use shared::validation::{FieldError, validate_action, validate_attachment_limits};
use shared::workflow::RuleViolation;

/// Why evidence was not recorded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AttachError {
    /// A file, or the case's evidence as a whole, is over a limit, or a
    /// caption is too long.
    #[error("{0:?}")]
    Refused(Vec<FieldError>),
    /// The workflow does not allow evidence now.
    #[error("{0:?}")]
    Rule(RuleViolation),
    /// The op could not be recorded.
    #[error("{0}")]
    Record(#[from] RecordError),
}

impl AttachError {
    /// The refusal in the form's words.
    pub fn message(&self, l: Lang) -> String {
        match self {
            AttachError::Refused(found) => found
                .iter()
                .map(|e| e.error.message(l))
                .collect::<Vec<_>>()
                .join(l.pick("；", "; ")),
            AttachError::Rule(v) => v.message(l),
            AttachError::Record(e) => e.message(l),
        }
    }
}

/// The attach op for one taken item.
pub fn action(taken: &Taken) -> Action {
    Action::Attach {
        id: AttachmentId(uuid::Uuid::now_v7()),
        attachment_kind: taken.kind,
        name: taken.name.clone(),
        mime: taken.mime.clone(),
        size: taken.bytes.len() as u64,
        hash: Some(taken.hash),
        caption: taken.caption.trim().to_string(),
        thumbnail: taken.thumbnail.as_ref().map(|t| Thumbnail {
            hash: shared::blob::BlobHash::of(t),
            size: t.len() as u64,
            mime: "image/jpeg".into(),
        }),
    }
}

/// Checks every item as the server will: the bounds of each op, and the
/// company's limits for each file and for the case, counting the items
/// before it (`case` is what the case holds already: its bytes and its
/// attachments).
pub fn check(
    items: &[Taken],
    limits: &AttachmentLimits,
    (case_bytes, case_attachments): (u64, u64),
) -> Result<(), AttachError> {
    let ceiling = now() + Duration::minutes(5);
    let (mut held, mut count) = (case_bytes, case_attachments);
    for taken in items {
        let action = action(taken);
        validate_action(&action, ceiling).map_err(AttachError::Refused)?;
        validate_attachment_limits(&action, limits, held, count).map_err(AttachError::Refused)?;
        held = held.saturating_add(taken.total_bytes());
        count += 1;
    }
    Ok(())
}

/// Records every item on case `case_id`, in order. Returns how many were
/// recorded before an error (the rest stay with the form, to try again).
pub async fn record(
    ctx: AppCtx,
    case_id: CaseId,
    items: &[Taken],
) -> Result<(), (usize, AttachError)> {
    for (i, taken) in items.iter().enumerate() {
        let state = ctx
            .cases
            .with_untracked(|m| m.get(&case_id).map(|c| c.state));
        let mut blobs = vec![NewBlob {
            hash: taken.hash,
            blob: bytes_to_blob(&taken.bytes, &taken.mime).map_err(|e| {
                (
                    i,
                    AttachError::Record(RecordError::Storage(crate::db::DbError::Idb(e))),
                )
            })?,
        }];
        let action = action(taken);
        if let (
            Some(thumb),
            Action::Attach {
                thumbnail: Some(t), ..
            },
        ) = (&taken.thumbnail, &action)
        {
            blobs.push(NewBlob {
                hash: t.hash,
                blob: bytes_to_blob(thumb, &t.mime).map_err(|e| {
                    (
                        i,
                        AttachError::Record(RecordError::Storage(crate::db::DbError::Idb(e))),
                    )
                })?,
            });
        }
        ctx.record_with(case_id, state, blobs, move |_, _| Ok(action))
            .await
            .map_err(|e| (i, AttachError::Record(e)))?;
    }
    Ok(())
}
