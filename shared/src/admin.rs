//! What the system administrator's screens exchange with the server: the
//! devices, the quarantine and how a quarantined op was settled, the audit
//! log, a holiday-calendar preview and a retention deletion, with the pure
//! rules behind them (the retention check, the calendar preview).
//!
//! **Retention.** Closed (and withdrawn or voided) cases are kept at least
//! `Settings::retention_years` after they were closed (withdrawn, voided); major
//! cases are kept for good; open cases are never deleted. Nothing deletes
//! on its own: deletion is one audited admin request per case. Deleting
//! removes the case's row, its deadline rows, its ops and its place in
//! spot-check samples; the audit record keeps who deleted it, why
//! ([`DeletedCase::reason`], with the retention period that had passed),
//! the registration number, the property, the kind and the dates. The
//! deletion is a tombstone that syncs (`wire::PulledDeletion`): every device
//! that holds the case drops it at its next pull, and the server refuses
//! new ops for it (`case.deleted`).

use crate::calendar::{Calendar, YearSchedule};
use crate::case::{CaseState, Severity};
use crate::id::{CaseId, DeviceId, PropertyId, UserId};
use crate::role::User;
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A device as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceInfo {
    /// The device id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: DeviceId,
    /// The device number (in registration numbers).
    pub number: u32,
    /// The name it gave at login.
    pub name: String,
    /// First login.
    pub first_seen: DateTime<Utc>,
    /// Last contact.
    pub last_seen: DateTime<Utc>,
    /// Revoked devices cannot log in or sync.
    pub revoked: bool,
    /// The highest contiguous op sequence stored.
    pub acked_seq: u64,
}

/// How many quarantine entries a page holds when the request names no
/// number: the admin's list shows the oldest ones, and the next come as
/// these are settled.
pub const QUARANTINE_PAGE: u32 = 200;

/// A quarantined op, for admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuarantineEntry {
    /// Row id.
    pub id: i64,
    /// The device.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub device: DeviceId,
    /// The device's sequence number.
    pub seq: u64,
    /// The reason code.
    pub code: String,
    /// The reason.
    pub message: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// The op as received.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub op: serde_json::Value,
    /// The device's number (`#12`), as the devices list and the
    /// registration numbers show it; none for a device the server does
    /// not know.
    #[serde(default)]
    pub device_number: Option<u32>,
    /// The device's name.
    #[serde(default)]
    pub device_name: Option<String>,
    /// The registration number of the case the op is about, when the
    /// server holds the case or the op registers it.
    #[serde(default)]
    pub reg_no: Option<String>,
}

/// A quarantined op with how it was settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuarantineRecord {
    /// Row id.
    pub id: i64,
    /// The device.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub resolved_by: Option<UserId>,
    /// The discard reason, or the server sequence it was stored with.
    pub resolution_note: Option<String>,
    /// The op as received.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub op: serde_json::Value,
}

/// What re-applying a quarantined op did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReapplyOutcome {
    /// Stored; its case was folded again.
    Accepted {
        /// The server sequence it was stored with.
        server_seq: i64,
        /// Its case.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
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

/// The address an audit record names for what an administrator did with
/// the server's own commands (`server users …`, `server restore`, …).
pub const COMMAND_LINE: &str = "command line";

/// An audit record as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    /// Row id (newest is highest).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub user: Option<UserId>,
    /// Their login, if the user still exists.
    pub login: Option<String>,
    /// On which device.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub device: Option<DeviceId>,
    /// The device's number (`#12`), as the devices list shows it: ids
    /// made in the same minute share their first characters, so a prefix
    /// names no tablet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_number: Option<u32>,
    /// The device's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// From which address ([`COMMAND_LINE`] for the server's own commands).
    pub address: Option<String>,
    /// What (a stable code such as `settings.put`).
    pub action: String,
    /// Details.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub detail: serde_json::Value,
}

/// What a retention deletion removed, for the audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletedCase {
    /// The case id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
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
    /// When it was closed, withdrawn or voided.
    pub finished_at: DateTime<Utc>,
    /// How many ops were deleted with it.
    pub ops: u64,
    /// How many blobs (photos, signatures, documents) were deleted with
    /// it: those no remaining case references.
    #[serde(default)]
    pub blobs: u64,
    /// Why it was deleted: [`RETENTION_EXPIRED`] (the only reason today).
    #[serde(default)]
    pub reason: String,
    /// The retention period, in years, that had passed.
    #[serde(default)]
    pub retention_years: u32,
}

/// The reason of a retention deletion: closed (or withdrawn) longer ago
/// than the retention period.
pub const RETENTION_EXPIRED: &str = "retention.expired";

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
            RetentionRefusal::NotFinished => {
                "only closed, withdrawn or voided cases may be deleted".into()
            }
            RetentionRefusal::Major => "major cases are kept long-term".into(),
            RetentionRefusal::TooYoung { until } => format!(
                "the case is within its retention period until {}",
                until.to_rfc3339()
            ),
        }
    }
}

/// Whether a case in `state` of `severity`, closed, withdrawn or voided at
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
        (CaseState::Closed | CaseState::Withdrawn | CaseState::Voided, Some(at)) => at,
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

/// A calendar problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarProblem {
    /// The stable code, e.g. `calendar.date_outside_year`.
    pub code: String,
    /// In Chinese.
    pub message_zh: String,
    /// In English.
    pub message_en: String,
}

/// What importing a year's schedule would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarPreview {
    /// The schedule's year.
    pub year: i32,
    /// The notice it comes from.
    pub source: String,
    /// Statutory rest days, sorted.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub rest_days: Vec<NaiveDate>,
    /// Make-up working days (调休上班), sorted.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub workdays: Vec<NaiveDate>,
    /// Whether it replaces a year already loaded.
    pub replaces: bool,
    /// The years loaded now.
    pub loaded_years: Vec<i32>,
    /// Why it would be refused; `None` when it can be applied.
    pub error: Option<CalendarProblem>,
}

/// Tries `schedule` on a copy of `calendar`: the preview, and the calendar
/// it would make when valid.
pub fn preview_calendar(
    calendar: &Calendar,
    schedule: YearSchedule,
) -> (CalendarPreview, Option<Calendar>) {
    let mut rest_days = schedule.rest_days.clone();
    let mut workdays = schedule.workdays.clone();
    rest_days.sort_unstable();
    workdays.sort_unstable();
    let mut preview = CalendarPreview {
        year: schedule.year,
        source: schedule.source.clone(),
        rest_days,
        workdays,
        replaces: calendar.schedule(schedule.year).is_some(),
        loaded_years: calendar.years().collect(),
        error: None,
    };
    let mut copy = calendar.clone();
    match copy.admit(schedule) {
        Ok(()) => (preview, Some(copy)),
        Err(e) => {
            preview.error = Some(CalendarProblem {
                code: e.code().into(),
                message_zh: e.message_zh(),
                message_en: e.message_en(),
            });
            (preview, None)
        }
    }
}

/// A user to create (`POST /api/v1/admin/users`, and the server's
/// command line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Login name.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Role code. Text rather than `Role`, so that the server refuses an
    /// unknown role with its own code instead of a schema error.
    pub role: String,
    /// Initial password (at least 8 characters).
    pub password: String,
    /// Property ids.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub properties: Vec<PropertyId>,
    /// Department.
    #[serde(default)]
    pub department: Option<String>,
}

/// Creates the users of a roster at once (`POST /api/v1/admin/users/import`,
/// read with [`crate::roster::read_roster`]): all of them, or none when one
/// is refused. A user given no password (an empty one) gets a random one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserImport {
    /// The users, at most [`crate::roster::MAX_ROSTER_USERS`].
    pub users: Vec<NewUserRequest>,
}

/// A user an import created, with the password made for them: shown once,
/// for the admin to hand over (they change it at their first login).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportedUser {
    /// The user as stored.
    pub user: User,
    /// The password made for them, when the roster gave none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Corrects a user (`PUT /api/v1/admin/users/{id}`): a misspelt name, a
/// staff member moved to another estate or department, a new role. The
/// login and the password stay; a new role or new properties end the
/// user's sessions, so that every tablet of theirs logs in again under
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// Display name.
    pub display_name: String,
    /// Role code, as in [`NewUserRequest::role`].
    pub role: String,
    /// Property ids.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub properties: Vec<PropertyId>,
    /// Department; none or empty for none.
    #[serde(default)]
    pub department: Option<String>,
    /// The user as the form that made this correction read them (absent
    /// from a script, which replaces whatever is there): refused with 412
    /// `admin.changed_meanwhile` when they changed since, so that one
    /// administrator's correction never undoes another's made meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was: Option<UserAsRead>,
}

/// What a correction of a user was made over ([`UserChange::was`]): the
/// fields the correction replaces, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserAsRead {
    /// Display name.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Property ids.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub properties: Vec<PropertyId>,
    /// Department.
    pub department: Option<String>,
}

impl UserAsRead {
    /// `user` as read now.
    pub fn of(user: &User) -> UserAsRead {
        UserAsRead {
            display_name: user.display_name.clone(),
            role: user.role.code().to_string(),
            properties: user.properties.clone(),
            department: user.department.clone(),
        }
    }

    /// Whether `user` is still as read (the order of the properties and an
    /// empty department aside).
    pub fn matches(&self, user: &User) -> bool {
        let sorted = |p: &[PropertyId]| {
            let mut p = p.to_vec();
            p.sort();
            p.dedup();
            p
        };
        let department =
            |d: &Option<String>| d.as_deref().map(str::trim).unwrap_or_default().to_string();
        self.display_name == user.display_name
            && self.role == user.role.code()
            && sorted(&self.properties) == sorted(&user.properties)
            && department(&self.department) == department(&user.department)
    }
}

/// Enables or disables a user (`PUT /api/v1/admin/users/{id}/active`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActiveRequest {
    /// Whether the user may log in.
    pub active: bool,
}

/// Why a quarantined op is discarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DiscardRequest {
    /// The reason (required).
    pub reason: String,
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
        for ended in [CaseState::Withdrawn, CaseState::Voided] {
            assert_eq!(
                check(ended, Some(Severity::Minor), closed, "2026-01-01T00:00:00Z"),
                Ok(t("2024-02-29T10:00:00Z"))
            );
        }
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

    #[test]
    fn calendar_preview_reports_the_problem_without_saving() {
        let calendar = Calendar::with_builtin();
        let good = YearSchedule {
            year: 2027,
            rest_days: vec!["2027-01-01".parse().unwrap(), "2027-10-01".parse().unwrap()],
            workdays: vec![],
            source: "test".into(),
        };
        let (preview, updated) = preview_calendar(&calendar, good);
        assert_eq!(preview.error, None);
        assert!(!preview.replaces);
        assert!(updated.is_some_and(|c| c.schedule(2027).is_some()));
        let bad = YearSchedule {
            year: 2027,
            rest_days: vec!["2026-12-31".parse().unwrap()],
            workdays: vec![],
            source: "test".into(),
        };
        let (preview, updated) = preview_calendar(&calendar, bad);
        assert_eq!(
            preview.error.map(|e| e.code),
            Some("calendar.date_outside_year".to_string())
        );
        assert!(updated.is_none());
        assert!(
            calendar.schedule(2027).is_none(),
            "the original is untouched"
        );
    }
}
