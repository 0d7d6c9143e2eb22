//! The SQL of evidence: which cases' attachments name which blobs
//! (`case_blobs`, written whenever a case is materialized), read to decide
//! who may upload or download a blob, to find the blobs `server check`
//! expects, and the blobs a retention deletion leaves unreferenced. The
//! bytes themselves are in [`super::blobs`].

use super::sqlite::parse_id;
use super::{BlobRef, StoreError, StoreResult};
use rusqlite::{Connection, params};
use shared::blob::BlobHash;
use shared::case::{AttachmentKind, Case};
use shared::id::CaseId;
use shared::role::Scope;

/// Writes the blob references of a folded case, replacing its old ones:
/// one row per attachment with a hash, and one per thumbnail.
pub(super) fn write_case_blobs(conn: &Connection, case: &Case) -> rusqlite::Result<()> {
    let id = case.id.to_string();
    conn.prepare_cached("DELETE FROM case_blobs WHERE case_id = ?1")?
        .execute([&id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO case_blobs
            (case_id, attachment_id, thumbnail, hash, purpose, media_type, size, device_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for a in &case.attachments {
        let Some(hash) = a.hash else { continue };
        let device = a.stamp.device.to_string();
        insert.execute(params![
            id,
            a.id.to_string(),
            false,
            hash.to_string(),
            a.kind.code(),
            a.mime,
            a.size as i64,
            device
        ])?;
        if let Some(t) = &a.thumbnail {
            insert.execute(params![
                id,
                a.id.to_string(),
                true,
                t.hash.to_string(),
                a.kind.code(),
                t.mime,
                t.size as i64,
                device
            ])?;
        }
    }
    Ok(())
}

/// The references to `hash` from cases inside `scope`, oldest attachment
/// first.
pub(super) fn blob_refs(
    conn: &Connection,
    scope: &Scope,
    hash: &BlobHash,
) -> StoreResult<Vec<BlobRef>> {
    let mut stmt = conn.prepare_cached(
        "SELECT b.case_id, c.property_id, b.purpose, b.media_type, b.size, b.thumbnail, d.number
         FROM case_blobs b
         JOIN cases c ON c.id = b.case_id
         LEFT JOIN devices d ON d.id = b.device_id
         WHERE b.hash = ?1
         ORDER BY b.rowid",
    )?;
    let mut rows = stmt.query([hash.to_string()])?;
    let mut refs = Vec::new();
    while let Some(r) = rows.next()? {
        let property = parse_id(&r.get::<_, String>(1)?)?;
        if !scope.allows(property) {
            continue;
        }
        let purpose: String = r.get(2)?;
        refs.push(BlobRef {
            case: parse_id::<CaseId>(&r.get::<_, String>(0)?)?,
            purpose: AttachmentKind::from_code(&purpose)
                .ok_or_else(|| StoreError::Internal(format!("stored purpose {purpose:?}")))?,
            media_type: r.get(3)?,
            size: r.get::<_, i64>(4)?.max(0) as u64,
            thumbnail: r.get(5)?,
            device_number: r.get::<_, Option<i64>>(6)?.map(|n| n as u32),
        });
    }
    Ok(refs)
}

/// Every hash some case references, sorted.
pub(super) fn referenced(conn: &Connection) -> StoreResult<Vec<BlobHash>> {
    let mut stmt = conn.prepare("SELECT DISTINCT hash FROM case_blobs ORDER BY hash")?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    names
        .iter()
        .map(|n| {
            n.parse()
                .map_err(|_| StoreError::Internal(format!("stored blob hash {n:?}")))
        })
        .collect()
}

/// Deletes the references of case `id` and returns the hashes no other
/// case references any more (their files may go once this commits).
pub(super) fn forget_case(conn: &Connection, id: CaseId) -> StoreResult<Vec<BlobHash>> {
    let key = id.to_string();
    let mut stmt = conn.prepare("SELECT DISTINCT hash FROM case_blobs WHERE case_id = ?1")?;
    let hashes: Vec<String> = stmt
        .query_map([&key], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    conn.execute("DELETE FROM case_blobs WHERE case_id = ?1", [&key])?;
    let mut orphans = Vec::new();
    for h in hashes {
        let still: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM case_blobs WHERE hash = ?1)",
            [&h],
            |r| r.get(0),
        )?;
        if !still {
            orphans.push(
                h.parse()
                    .map_err(|_| StoreError::Internal(format!("stored blob hash {h:?}")))?,
            );
        }
    }
    Ok(orphans)
}
