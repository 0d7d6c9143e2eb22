//! The SQL of evidence: which cases' attachments name which blobs
//! (`case_blobs`, written whenever a case is materialized), read to decide
//! who may upload or download a blob, to find the blobs `server check`
//! expects, and the blobs a retention deletion leaves unreferenced. The
//! bytes themselves are in [`super::blobs`].

use super::db::{Db, Value};
use super::sqlite::parse_id;
use super::{BlobRef, BlobRefs, StoreError, StoreResult};
use shared::blob::BlobHash;
use shared::case::{AttachmentKind, Case};
use shared::id::{CaseId, DeviceId, UserId};
use shared::op::Op;
use shared::role::Scope;
use std::collections::BTreeSet;

/// Writes the blob references of a folded case, replacing its old ones
/// unless it is `new`: one row per attachment with a hash, and one per
/// thumbnail.
pub(super) fn write_case_blobs(db: &dyn Db, case: &Case, new: bool) -> StoreResult<()> {
    let id = case.id.to_string();
    if !new {
        db.execute(
            "DELETE FROM case_blobs WHERE case_id = ?1",
            &[Value::from(&id)],
        )?;
    }
    let insert = |attachment: &str,
                  thumbnail: bool,
                  hash: String,
                  kind: &str,
                  mime: &str,
                  size: u64,
                  device: &str| {
        db.execute(
            "INSERT INTO case_blobs
                (case_id, attachment_id, thumbnail, hash, purpose, media_type, size, device_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT DO NOTHING",
            &[
                Value::from(&id),
                attachment.into(),
                thumbnail.into(),
                hash.into(),
                kind.into(),
                mime.into(),
                Value::Int(size as i64),
                device.into(),
            ],
        )
    };
    for a in &case.attachments {
        let Some(hash) = a.hash else { continue };
        let device = a.stamp.device.to_string();
        let attachment = a.id.to_string();
        insert(
            &attachment,
            false,
            hash.to_string(),
            a.kind.code(),
            &a.mime,
            a.size,
            &device,
        )?;
        if let Some(t) = &a.thumbnail {
            insert(
                &attachment,
                true,
                t.hash.to_string(),
                a.kind.code(),
                &t.mime,
                t.size,
                &device,
            )?;
        }
    }
    Ok(())
}

/// The references to `hash` from cases inside `scope`, oldest attachment
/// first (attachment ids are time-ordered UUIDs).
pub(super) fn blob_refs(db: &dyn Db, scope: &Scope, hash: &BlobHash) -> StoreResult<BlobRefs> {
    let mut refs = BlobRefs::default();
    db.for_each_row(
        "SELECT b.case_id, c.property_id, b.purpose, b.media_type, b.size, b.thumbnail, d.number
         FROM case_blobs b
         JOIN cases c ON c.id = b.case_id
         LEFT JOIN devices d ON d.id = b.device_id
         WHERE b.hash = ?1
         ORDER BY b.attachment_id, b.thumbnail, b.case_id",
        &[hash.to_string().into()],
        &mut |r| {
            let purpose = r.text(2)?;
            let purpose = AttachmentKind::from_code(purpose)
                .ok_or_else(|| StoreError::Internal(format!("stored purpose {purpose:?}")))?;
            refs.signature |= purpose.is_personal();
            let property = parse_id(r.text(1)?)?;
            if !scope.allows(property) {
                return Ok(());
            }
            refs.in_scope.push(BlobRef {
                case: parse_id::<CaseId>(r.text(0)?)?,
                purpose,
                media_type: r.get(3)?,
                size: r.get::<i64>(4)?.max(0) as u64,
                thumbnail: r.get(5)?,
                device_number: r.get(6)?,
            });
            Ok(())
        },
    )?;
    Ok(refs)
}

/// The size and media type `device` declared for `hash` on a case where
/// `user` made ops from it ([`super::Store::blob_recorded_by`]).
pub(super) fn recorded_by(
    db: &dyn Db,
    device: DeviceId,
    user: UserId,
    hash: &BlobHash,
) -> StoreResult<Option<(u64, String)>> {
    let row = db.query_opt(
        "SELECT b.size, b.media_type FROM case_blobs b
         WHERE b.hash = ?1 AND b.device_id = ?2
           AND EXISTS (SELECT 1 FROM ops o
                       WHERE o.case_id = b.case_id AND o.device_id = b.device_id
                         AND o.author = ?3)
         ORDER BY b.case_id, b.attachment_id, b.thumbnail
         LIMIT 1",
        &[
            hash.to_string().into(),
            device.to_string().into(),
            user.to_string().into(),
        ],
    )?;
    row.map(|r| Ok((r.get::<i64>(0)?.max(0) as u64, r.get(1)?)))
        .transpose()
}

/// Whether the device may drop the bytes named `hash`: no case references
/// them (in anyone's scope), and an administrator discarded the quarantined
/// ops of `device` that named them: at least one was discarded and none
/// still waits for a decision. Only the device's own quarantine is read, so
/// a device learns nothing of another's; a quarantined op that no longer
/// parses keeps the bytes. With no device (an administrator importing a
/// revoked tablet's file), every device's quarantine is read.
pub(super) fn discarded_on(
    db: &dyn Db,
    device: Option<DeviceId>,
    hash: &BlobHash,
) -> StoreResult<bool> {
    let key = hash.to_string();
    if db
        .query_opt(
            "SELECT 1 FROM case_blobs WHERE hash = ?1 LIMIT 1",
            &[Value::from(&key)],
        )?
        .is_some()
    {
        return Ok(false);
    }
    // A SHA-256 in hex has no LIKE wildcards; the index on `device_id`
    // keeps the scan to this device's quarantined ops, and the match is
    // then made on each op's attachment, not on its text.
    let pattern = format!("%{key}%");
    let rows = match device {
        Some(device) => db.query(
            "SELECT resolution, json FROM quarantine WHERE device_id = ?1 AND json LIKE ?2",
            &[device.to_string().into(), pattern.into()],
        )?,
        None => db.query(
            "SELECT resolution, json FROM quarantine WHERE json LIKE ?1",
            &[pattern.into()],
        )?,
    };
    let mut discarded = false;
    for r in rows {
        let Ok(op) = serde_json::from_str::<Op>(r.text(1)?) else {
            return Ok(false);
        };
        if !op.blob_hashes().any(|h| h == *hash) {
            continue;
        }
        match r.get::<Option<String>>(0)?.as_deref() {
            None => return Ok(false),
            Some("discarded") => discarded = true,
            Some(_) => {}
        }
    }
    Ok(discarded)
}

fn parse_hash(name: &str) -> StoreResult<BlobHash> {
    name.parse()
        .map_err(|_| StoreError::Internal(format!("stored blob hash {name:?}")))
}

/// Every hash some case references, sorted.
pub(super) fn referenced(db: &dyn Db) -> StoreResult<Vec<BlobHash>> {
    db.query("SELECT DISTINCT hash FROM case_blobs ORDER BY hash", &[])?
        .iter()
        .map(|r| parse_hash(r.text(0)?))
        .collect()
}

/// The blobs the audit log says were uploaded whole (`blob.uploaded`):
/// one of them referenced and missing was lost, not still on its tablet.
pub(super) fn audited_uploads(db: &dyn Db) -> StoreResult<BTreeSet<BlobHash>> {
    Ok(db
        .query(
            "SELECT detail FROM audit WHERE action = 'blob.uploaded'",
            &[],
        )?
        .iter()
        .filter_map(|r| {
            let detail: serde_json::Value = serde_json::from_str(r.text(0).ok()?).ok()?;
            detail["hash"].as_str()?.parse().ok()
        })
        .collect())
}

/// Of `hashes`, those no case references now.
pub(super) fn unreferenced(db: &dyn Db, hashes: &[BlobHash]) -> StoreResult<Vec<BlobHash>> {
    let mut gone = Vec::new();
    for hash in hashes {
        let referenced = db
            .query_opt(
                "SELECT 1 FROM case_blobs WHERE hash = ?1 LIMIT 1",
                &[hash.to_string().into()],
            )?
            .is_some();
        if !referenced {
            gone.push(*hash);
        }
    }
    Ok(gone)
}

/// Deletes the references of case `id` and returns the hashes no other
/// case references any more (their files may go once this commits).
pub(super) fn forget_case(db: &dyn Db, id: CaseId) -> StoreResult<Vec<BlobHash>> {
    let key = id.to_string();
    let hashes = db.query(
        "SELECT DISTINCT hash FROM case_blobs WHERE case_id = ?1",
        &[Value::from(&key)],
    )?;
    db.execute(
        "DELETE FROM case_blobs WHERE case_id = ?1",
        &[Value::from(&key)],
    )?;
    let hashes = hashes
        .iter()
        .map(|row| parse_hash(row.text(0)?))
        .collect::<StoreResult<Vec<_>>>()?;
    unreferenced(db, &hashes)
}
