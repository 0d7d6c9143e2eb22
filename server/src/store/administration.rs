//! What the system administrator does besides users, devices and
//! properties: settle quarantined ops, read the audit log, and delete a case
//! whose retention period has passed. The SQL is in `admin_sql.rs`; the
//! retention rule and the types the admin screens read are in
//! `shared::admin`.

use super::AuditEntry;
use chrono::{DateTime, Utc};
use shared::id::{CaseId, DeviceId, UserId};
use shared::op::Op;

use super::StoreResult;
use shared::admin::{AuditRecord, DeletedCase, QuarantineRecord, ReapplyOutcome, RetentionRefusal};

/// The administration queries, next to [`super::Store`].
/// A record set aside unproven whose content a proven copy replaced
/// ([`Administration::replace_unproven`]), for the import's audit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Replaced {
    /// Its sequence number.
    pub seq: u64,
    /// The hash of the content replaced (`push::hash`).
    pub was: String,
}

pub trait Administration {
    /// One quarantined op, resolved or not.
    fn quarantine_record(&self, id: i64) -> StoreResult<Option<QuarantineRecord>>;

    /// Runs a quarantined op through the push judgement again, with today's
    /// users, properties and categories. Accepted, it is stored with a new
    /// server sequence (so devices pull it), its case is folded again and
    /// the entry is marked re-applied by `by`. Refused, nothing changes.
    fn reapply_quarantined(
        &self,
        id: i64,
        by: UserId,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<ReapplyOutcome>;

    /// Re-applies the ops of `device` with sequence numbers `seqs` that
    /// wait in quarantine, as [`Administration::reapply_quarantined`] does
    /// each, for an administrator's import of the records the device
    /// exported: a revoked device's ops are judged too, since the
    /// administrator brought them. Answers each number's outcome.
    fn reapply_imported(
        &self,
        device: DeviceId,
        seqs: &[u64],
        by: UserId,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<Vec<(u64, ReapplyOutcome)>>;

    /// Puts each of `ops`, proven by its author's key, in place of the
    /// record of its number an import set aside as `import.unproven` with
    /// other content (a file changed in other hands, imported first),
    /// waiting or discarded, whatever id or author it claims, so that
    /// importing the genuine file judges it. A record discarded with the
    /// content the proof proves stays as the administrator left it.
    /// Answers what was.
    fn replace_unproven(&self, ops: &[Op]) -> StoreResult<Vec<Replaced>>;

    /// Marks a quarantined op as discarded with a reason. The op stays.
    fn discard_quarantined(
        &self,
        id: i64,
        reason: &str,
        by: UserId,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<DiscardOutcome>;

    /// The newest audit records, before the record id `before` if given.
    fn audit_log(&self, limit: u32, before: Option<i64>) -> StoreResult<Vec<AuditRecord>>;

    /// Deletes a case if [`retention_check`] allows it now under the
    /// retention the settings hold when the deletion is written (read in
    /// its transaction: a longer retention saved meanwhile decides it);
    /// whatever it says without `judge` (a deletion judged already, done
    /// again after a restore).
    fn delete_case(
        &self,
        id: CaseId,
        judge: bool,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<Result<DeletedCase, RetentionRefusal>>;
}

/// What discarding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscardOutcome {
    /// Marked discarded.
    Discarded,
    /// It was settled before.
    AlreadyResolved,
}
