//! What the system administrator does besides users, devices and
//! properties: settle quarantined ops, read the audit log, and delete a case
//! whose retention period has passed. The SQL is in `sqlite_admin.rs`; the
//! retention rule is here, pure, with its tests.
//!
//! **Retention.** Closed (and withdrawn) cases are kept at least
//! `Settings::retention_years` after they were closed (withdrawn); major
//! cases are kept for good; open cases are never deleted. Nothing deletes
//! on its own: deletion is one audited admin request per case. Deleting
//! removes the case's row, its deadline rows, its ops and its place in
//! spot-check samples; the audit record keeps the registration number, the
//! property, the kind and the dates. Devices that already pulled the case
//! keep their copy: the sync protocol has no tombstone, so a retention
//! deletion is a server-side purge.

use super::AuditEntry;
use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};
use shared::case::{CaseState, Severity};
use shared::id::{CaseId, DeviceId, UserId};
use shared::wire::QuarantineNotice;

use super::StoreResult;

/// The administration queries, next to [`super::Store`].
pub trait Administration {
    /// The category codes that cases use.
    fn category_codes_in_use(&self) -> StoreResult<Vec<String>>;

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

    /// Deletes a case if [`retention_check`] allows it now.
    fn delete_case(
        &self,
        id: CaseId,
        retention_years: u32,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<Result<DeletedCase, RetentionRefusal>>;
}

/// A quarantined op with how it was settled.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuarantineRecord {
    /// Row id.
    pub id: i64,
    /// The device.
    #[schema(value_type = String)]
    pub device: DeviceId,
    /// The device's sequence number.
    pub seq: u64,
    /// The reason code when quarantined.
    pub code: String,
    /// The reason.
    pub message: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// When it was settled.
    pub resolved_at: Option<DateTime<Utc>>,
    /// `reapplied` or `discarded`.
    pub resolution: Option<String>,
    /// Who settled it.
    #[schema(value_type = Option<String>)]
    pub resolved_by: Option<UserId>,
    /// The discard reason, or the server sequence it was stored with.
    pub resolution_note: Option<String>,
    /// The op as received.
    #[schema(value_type = Object)]
    pub op: serde_json::Value,
}

/// What re-applying a quarantined op did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReapplyOutcome {
    /// Stored; its case was folded again.
    Accepted {
        /// The server sequence it was stored with.
        server_seq: i64,
        /// Its case.
        #[schema(value_type = String)]
        case_id: CaseId,
    },
    /// The judgement still refuses it; nothing changed.
    Refused {
        /// Why, today.
        code: String,
        /// The reason for a person.
        message: String,
    },
    /// It was settled before.
    AlreadyResolved,
    /// Its device sequence number is taken by a stored op (a clone or a
    /// corrupted resend), so it can only be discarded.
    SequenceTaken,
}

impl ReapplyOutcome {
    /// A refusal from a notice.
    pub fn refused(notice: QuarantineNotice) -> ReapplyOutcome {
        ReapplyOutcome::Refused {
            code: notice.code,
            message: notice.message,
        }
    }
}

/// What discarding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscardOutcome {
    /// Marked discarded.
    Discarded,
    /// It was settled before.
    AlreadyResolved,
}

/// An audit record as listed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// Row id (newest is highest).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    #[schema(value_type = Option<String>)]
    pub user: Option<UserId>,
    /// Their login, if the user still exists.
    pub login: Option<String>,
    /// On which device.
    #[schema(value_type = Option<String>)]
    pub device: Option<DeviceId>,
    /// From which address.
    pub address: Option<String>,
    /// What (a stable code such as `settings.put`).
    pub action: String,
    /// Details.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// What a retention deletion removed, for the audit record.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeletedCase {
    /// The case id.
    #[schema(value_type = String)]
    pub id: CaseId,
    /// Its registration number.
    pub reg_no: String,
    /// Its property id.
    pub property: String,
    /// Its kind code.
    pub kind: String,
    /// Its state code.
    pub state: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// When it was closed or withdrawn.
    pub finished_at: DateTime<Utc>,
    /// How many ops were deleted with it.
    pub ops: u64,
}

/// Why a case may not be deleted yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetentionRefusal {
    /// The case does not exist.
    NotFound,
    /// Open cases are never deleted.
    NotFinished,
    /// Major cases are kept long-term.
    Major,
    /// Closed less than the retention period ago.
    TooYoung {
        /// The first moment it may be deleted.
        until: DateTime<Utc>,
    },
}

impl RetentionRefusal {
    /// A stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            RetentionRefusal::NotFound => "not_found",
            RetentionRefusal::NotFinished => "retention.not_closed",
            RetentionRefusal::Major => "retention.major_case",
            RetentionRefusal::TooYoung { .. } => "retention.too_young",
        }
    }

    /// The reason for a person.
    pub fn message(&self) -> String {
        match self {
            RetentionRefusal::NotFound => "case not found".into(),
            RetentionRefusal::NotFinished => "only closed or withdrawn cases may be deleted".into(),
            RetentionRefusal::Major => "major cases are kept long-term".into(),
            RetentionRefusal::TooYoung { until } => format!(
                "the case is within its retention period until {}",
                until.to_rfc3339()
            ),
        }
    }
}

/// Whether a case in `state` of `severity`, closed or withdrawn at
/// `finished_at`, may be deleted at `now` when closed cases are kept
/// `retention_years`. Years are calendar years (a case closed on 29
/// February is kept until 28 February).
pub fn retention_check(
    state: CaseState,
    severity: Option<Severity>,
    finished_at: Option<DateTime<Utc>>,
    retention_years: u32,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, RetentionRefusal> {
    if severity == Some(Severity::Major) {
        return Err(RetentionRefusal::Major);
    }
    let finished = match (state, finished_at) {
        (CaseState::Closed | CaseState::Withdrawn, Some(at)) => at,
        _ => return Err(RetentionRefusal::NotFinished),
    };
    let until = finished
        .checked_add_months(Months::new(retention_years.saturating_mul(12)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if now < until {
        return Err(RetentionRefusal::TooYoung { until });
    }
    Ok(finished)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn retention_keeps_open_major_and_young_cases() {
        let closed = Some(t("2024-02-29T10:00:00Z"));
        let check = |state, severity, at, now: &str| {
            retention_check(state, severity, at, 1, t(now)).map_err(|e| e.code())
        };
        assert_eq!(
            check(CaseState::Closed, None, closed, "2025-02-28T09:59:59Z"),
            Err("retention.too_young")
        );
        assert_eq!(
            check(
                CaseState::Closed,
                Some(Severity::General),
                closed,
                "2025-02-28T10:00:00Z"
            ),
            Ok(t("2024-02-29T10:00:00Z"))
        );
        assert_eq!(
            check(
                CaseState::Withdrawn,
                Some(Severity::Minor),
                closed,
                "2026-01-01T00:00:00Z"
            ),
            Ok(t("2024-02-29T10:00:00Z"))
        );
        assert_eq!(
            check(
                CaseState::Closed,
                Some(Severity::Major),
                closed,
                "2040-01-01T00:00:00Z"
            ),
            Err("retention.major_case")
        );
        assert_eq!(
            check(CaseState::Resolved, None, closed, "2040-01-01T00:00:00Z"),
            Err("retention.not_closed")
        );
        assert_eq!(
            check(CaseState::Closed, None, None, "2040-01-01T00:00:00Z"),
            Err("retention.not_closed")
        );
        // Zero years: deletable as soon as closed.
        assert!(
            retention_check(
                CaseState::Closed,
                None,
                closed,
                0,
                t("2024-02-29T10:00:00Z")
            )
            .is_ok()
        );
    }
}
