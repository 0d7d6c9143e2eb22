//! Writing the audit log on either engine: who did what, when, from which
//! device and address.

use super::db::Db;
use super::sqlite::ts;
use super::{AuditEntry, StoreResult};

/// Appends `e` to the audit log (inside the change's own transaction).
pub(super) fn write_audit(db: &dyn Db, e: &AuditEntry) -> StoreResult<()> {
    db.execute(
        "INSERT INTO audit (at, user_id, device_id, address, action, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            ts(e.at).into(),
            e.user.map(|u| u.to_string()).into(),
            e.device.map(|d| d.to_string()).into(),
            e.address.as_deref().into(),
            e.action.as_str().into(),
            e.detail.to_string().into(),
        ],
    )?;
    Ok(())
}
