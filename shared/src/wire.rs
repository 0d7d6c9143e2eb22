//! The sync wire protocol: what a device pushes and pulls. Only the server
//! and the app speak it, and both take these types from here.

use crate::blob::BlobHash;
use crate::calendar::Calendar;
use crate::category::Category;
use crate::code::coded_enum;
use crate::id::{CaseId, DeviceId, OpId, PropertyId, UserId};
use crate::op::Op;
use crate::property::Property;
use crate::role::{Role, User};
use crate::settings::Settings;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The HTTP header a client sends with the op schema it writes. A server
/// answers 426 `client.update_required` when it is below the minimum.
pub const CLIENT_SCHEMA_HEADER: &str = "x-client-schema";

/// The JSON body of every error answer: a stable code the app words in the
/// user's language, and the server's message for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A stable code such as `auth.invalid_credentials`.
    pub code: String,
    /// A message for a person. Missing is read as empty, so an answer from
    /// a proxy in between still decodes.
    #[serde(default)]
    pub message: String,
}

/// Log in on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The login name.
    pub login: String,
    /// The password.
    pub password: String,
    /// The device id the server issued at an earlier login, if any. It is
    /// kept only together with the matching `device_secret`; a login that
    /// names a device without its secret gets a new device.
    #[serde(default)]
    pub device: Option<DeviceId>,
    /// The secret the server issued with `device`.
    #[serde(default)]
    pub device_secret: Option<String>,
    /// A name for the device (browser and platform), shown to admins.
    #[serde(default)]
    pub device_name: String,
}

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    /// The bearer token, bound to the device.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The user.
    pub user: User,
    /// The device id the server issued (or confirmed). Every op the device
    /// makes carries it.
    pub device: DeviceId,
    /// The device's secret, sent only when the device is new: the device
    /// keeps it and names it with `device` at its next login.
    #[serde(default)]
    pub device_secret: Option<String>,
    /// The device number used in registration numbers.
    pub device_number: u32,
    /// The highest op sequence the server holds from this device, so a
    /// device that lost its storage continues after it.
    pub acked_seq: u64,
    /// The server's epoch (see [`PushResponse::epoch`]).
    pub epoch: u64,
    /// The user's key on this device (the same at every login here), with
    /// which the device proves each record it makes for them
    /// (`crate::proof`). Kept while the user is logged in, forgotten at
    /// logout. Empty while the password must be changed: the device asks
    /// for it (`POST /api/v1/auth/record-key`) once it is.
    pub record_key: String,
    /// The password was set by someone else (the first admin's printed
    /// password, an admin's reset): nothing but a password change is
    /// allowed until the user sets their own.
    #[serde(default)]
    pub must_change_password: bool,
}

/// Changes one's own password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    pub current: String,
    /// The new password.
    pub new: String,
}

/// An admin sets a user's password (the user must change it at next login).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The new, temporary password.
    pub new: String,
}

/// A colleague as a device sees them: enough for timelines and the
/// assignment picker, nothing more (no login, and of their properties only
/// those the device's user shares with them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserCard {
    /// The user.
    pub id: UserId,
    /// Their name.
    pub display_name: String,
    /// Their role.
    pub role: Role,
    /// Whether they can still be assigned work.
    pub active: bool,
    /// Their department, so that assigning a case to them names it the
    /// way their department head's account does (absent from servers
    /// before it was sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The properties they work in that the reader may see, so that a
    /// case is assigned only to someone who will see it; `None` for a role
    /// that sees every property (and from servers before it was sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<PropertyId>>,
}

impl UserCard {
    /// Whether they work in `property` (see every case of it).
    pub fn works_in(&self, property: PropertyId) -> bool {
        self.properties
            .as_ref()
            .is_none_or(|mine| mine.contains(&property))
    }

    /// Whether a case of `property` may be assigned to them, as
    /// [`User::may_be_assigned`](crate::role::User::may_be_assigned) rules.
    pub fn may_be_assigned(&self, property: PropertyId) -> bool {
        self.active && self.role.works_cases() && self.works_in(property)
    }

    /// Whether they may be named the first responder of a case of
    /// `property`, as [`User::may_be_first_responder`](crate::role::User::may_be_first_responder)
    /// rules.
    pub fn may_be_first_responder(&self, property: PropertyId) -> bool {
        self.active && self.role.answers_first() && self.works_in(property)
    }
}

/// A piece of shared configuration, sent on pull when it changed after the cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
// A pull carries at most one item of each kind, so boxing the settings
// would save nothing worth an indirection at every use.
#[allow(clippy::large_enum_variant)]
pub enum ConfigItem {
    /// Company settings.
    Settings(Settings),
    /// Case categories.
    Categories(Vec<Category>),
    /// The working-day calendar.
    Calendar(Calendar),
    /// The properties in the user's scope, with buildings and units.
    Properties(Vec<Property>),
    /// The users of the caller's properties, and those since moved off
    /// them (names and roles only), for timelines and assignment.
    Users(Vec<UserCard>),
}

coded_enum! {
    /// Which piece of shared configuration a [`ConfigItem`] is: its serde
    /// `type` tag, also the key it is stored under on the server and the
    /// device.
    pub enum ConfigKey {
        /// [`ConfigItem::Settings`].
        Settings = ("settings", "设置", "Settings"),
        /// [`ConfigItem::Categories`].
        Categories = ("categories", "类别", "Categories"),
        /// [`ConfigItem::Calendar`].
        Calendar = ("calendar", "节假日日历", "Calendar"),
        /// [`ConfigItem::Properties`].
        Properties = ("properties", "项目", "Properties"),
        /// [`ConfigItem::Users`].
        Users = ("users", "用户", "Users"),
    }
}

impl ConfigItem {
    /// The item's key, the same string as its serde `type` tag.
    pub fn key(&self) -> ConfigKey {
        match self {
            ConfigItem::Settings(_) => ConfigKey::Settings,
            ConfigItem::Categories(_) => ConfigKey::Categories,
            ConfigItem::Calendar(_) => ConfigKey::Calendar,
            ConfigItem::Properties(_) => ConfigKey::Properties,
            ConfigItem::Users(_) => ConfigKey::Users,
        }
    }
}

/// One row of a case list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseSummary {
    /// The case id.
    pub id: CaseId,
    /// Its registration number.
    pub reg_no: String,
    /// Its kind.
    pub kind: crate::case::CaseKind,
    /// Its state.
    pub state: crate::case::CaseState,
    /// Its property.
    pub property: PropertyId,
    /// Its category code.
    pub category: String,
    /// The complainant's name (masked where the role may not see it).
    pub complainant_name: String,
    /// The start of the content.
    pub summary: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The earliest due time of a clock still running.
    pub next_due_at: Option<DateTime<Utc>>,
    /// Whether a running clock is past due.
    pub overdue: bool,
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The total number matching.
    pub total: u64,
    /// The page number, from 1.
    pub page: u32,
    /// The page size.
    pub per_page: u32,
    /// What to send as `after` for the page that follows, when one does:
    /// paged so, no case repeats or is skipped while tablets sync (a case
    /// received meanwhile shifts every numbered page after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The session user's key on the session's device (`crate::proof`), for a
/// tablet whose session began before the server gave keys at login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordKey {
    /// As [`LoginResponse::record_key`].
    pub record_key: String,
}

/// The logged-in user as the server sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// The user.
    pub user: User,
    /// The device of the token.
    pub device: DeviceId,
    /// The role (repeated for convenience).
    pub role: Role,
}

/// The largest request body the server reads (a push above all); a larger
/// one is refused with 413 `request.too_large`.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// The most bytes of ops' JSON one pull page holds (and always at least
/// one op): a page of long notes ends sooner than its `limit`, so the
/// server never holds more than this of one slow device's answer.
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// A batch of ops from one device, in its sequence order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The device pushing; must match the token's device.
    pub device: DeviceId,
    /// The ops, each with the device's `seq`.
    pub ops: Vec<Op>,
}

/// The file a tablet exports of records the server has not taken: its
/// outbox once revoked or refused, or what it made under a former device
/// id. An administrator imports it (`POST /api/v1/admin/records/import`),
/// and files exported before this type existed read as one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordsFile {
    /// What the file holds, for a person reading it.
    pub what: String,
    pub exported_at: DateTime<Utc>,
    /// Why the tablet stopped syncing, when it had (`revoked`, …).
    #[serde(default)]
    pub blocked: Option<String>,
    /// The tablet's identity when it exported the file.
    pub device: Option<RecordsDevice>,
    /// Who was logged in.
    pub user: Option<RecordsUser>,
    /// How many ops follow.
    pub count: usize,
    /// The ops, exactly as a push sends them, in sequence order.
    pub ops: Vec<Op>,
    /// Each op's proof that its author made it on this tablet
    /// (`crate::proof`), by op id: the import sets aside a record without
    /// a valid one. Files exported before proofs existed have none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub proofs: BTreeMap<OpId, String>,
    /// The evidence bytes the server did not hold when the file was made
    /// (photos, their thumbnails, signatures), which only the tablet had.
    /// The import takes the ops; whoever imports them then uploads these
    /// as any upload goes (`PUT /api/v1/blobs/{hash}`), once the ops that
    /// name them are stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<RecordsBlob>,
}

/// Evidence bytes in a [`RecordsFile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordsBlob {
    /// Their SHA-256, as the attach op names them.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub hash: BlobHash,
    /// The bytes, in standard base64 (RFC 4648, with padding).
    pub base64: String,
}

/// The most base64 characters of evidence one [`RecordsFile`] carries. The
/// office reads a file whole, as one string (Chromium's longest is about
/// 512 M characters), and parses it in the page's memory: a tablet holding
/// more photos exports them in several files.
pub const RECORDS_FILE_CHARS: u64 = 64 * 1024 * 1024;

/// How many base64 characters `bytes` bytes take, with padding.
pub fn base64_chars(bytes: u64) -> u64 {
    bytes.div_ceil(3) * 4
}

/// The files an export is made of, given the byte sizes of the evidence it
/// carries, in order: consecutive ranges of it whose base64 fits in
/// `limit` characters each, a larger piece alone. Never empty: the first
/// file carries the records, with or without evidence.
pub fn records_parts(sizes: &[u64], limit: u64) -> Vec<std::ops::Range<usize>> {
    let mut parts = vec![std::ops::Range { start: 0, end: 0 }];
    let mut chars = 0;
    for (i, &size) in sizes.iter().enumerate() {
        let more = base64_chars(size);
        let last = parts.last_mut().expect("never empty");
        if last.end > last.start && chars + more > limit {
            parts.push(i..i + 1);
            chars = more;
        } else {
            last.end = i + 1;
            chars += more;
        }
    }
    parts
}

/// The tablet's identity in a [`RecordsFile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordsDevice {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: DeviceId,
    pub number: u32,
    /// The last sequence number the server had acknowledged.
    pub acked_seq: u64,
    /// The last sequence number the tablet used.
    pub last_seq: u64,
}

/// The user logged in when a [`RecordsFile`] was exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordsUser {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: UserId,
    pub login: String,
    pub display_name: String,
}

/// What an import of a [`RecordsFile`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordsImport {
    /// The device the records were made on.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub device: DeviceId,
    /// Records stored by this import.
    pub stored: usize,
    /// Records the server already held: pushed or imported before.
    pub held: usize,
    /// Records an administrator discarded from quarantine, or of a case
    /// deleted since: settled, and not on the server.
    #[serde(default)]
    pub settled: usize,
    /// Records set aside, each with its reason; they are in the quarantine
    /// list too.
    pub quarantined: Vec<QuarantineNotice>,
    /// The first sequence number of the device the server lacks, when the
    /// file does not reach back to what it holds: nothing from there on
    /// was stored.
    pub missing_from: Option<u64>,
}

/// Where an evidence upload stands (`PUT /api/v1/blobs/{hash}`), also in
/// the `Upload-Offset` and `Upload-Length` headers that `HEAD` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlobUpload {
    /// The bytes the server holds: send the next chunk from here.
    pub offset: u64,
    /// The blob's size, as its attach op declared.
    pub length: u64,
    /// Whether the blob is whole and its hash checked.
    pub complete: bool,
}

/// The header with the bytes of a blob the server holds (tus).
pub const UPLOAD_OFFSET_HEADER: &str = "upload-offset";
/// The header with a blob's whole size (tus).
pub const UPLOAD_LENGTH_HEADER: &str = "upload-length";

/// The server's answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// The highest sequence number stored for the device with no gap below it.
    /// The device may drop every op up to here from its outbox.
    pub acked_seq: u64,
    /// Set when the batch skipped numbers: resend from this one.
    pub expected_seq: Option<u64>,
    /// Ops that went to quarantine in this batch, with the reason.
    pub quarantined: Vec<QuarantineNotice>,
    /// The server's epoch. It changes only when the server is restored
    /// from a backup; a device that sees a new epoch resends its ops above
    /// `acked_seq` and pulls again from the start (see
    /// `DeviceState::take_answer`).
    pub epoch: u64,
}

/// The quarantine's code for an op of a case deleted at the end of its
/// retention: unlike every other code, it ends what the op said (the
/// case's personal data went with it) and needs nobody to act.
pub const CASE_DELETED: &str = "case.deleted";

/// An op the server could not accept; an admin sees it in the quarantine list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuarantineNotice {
    /// The device's sequence number of the op.
    pub seq: u64,
    /// The op, by id: of two ops sent with one sequence number (two tabs
    /// that both handed it out), the one refused. Absent from older
    /// servers, whose notices name the sequence number only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<crate::id::OpId>,
    /// A stable reason code.
    pub code: String,
    /// The reason for a person.
    pub message: String,
}

/// The code a tablet gives an op of its own that the server set aside and
/// an administrator then discarded ([`SettledRefusal`]): it stays out of
/// the tablet's fold, as of the server's, but waits for nobody. Never in
/// a push's answer.
pub const QUARANTINE_DISCARDED: &str = "quarantine.discarded";

/// How many ops one `POST /api/v1/sync/refusals` may ask about.
pub const MAX_REFUSALS_ASKED: usize = 200;

/// The ops of the session's device that the tablet holds as set aside by
/// the server, to learn which an administrator settled since
/// (`POST /api/v1/sync/refusals`). A pull tells only of an op re-applied
/// in a case the author still sees: not of one re-applied after the
/// author was moved to other properties, nor of one discarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefusalsAsked {
    /// The ops, at most [`MAX_REFUSALS_ASKED`].
    pub ops: Vec<OpId>,
}

/// The answer to [`RefusalsAsked`]: of the ops asked about, those settled.
/// One not named still waits in the quarantine (or was never there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefusalsSettled {
    pub settled: Vec<SettledRefusal>,
}

/// An op of the device that no longer waits in the server's quarantine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettledRefusal {
    pub op: OpId,
    pub outcome: Settlement,
    /// The administrator's reason, for one discarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What an administrator did with an op set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Settlement {
    /// Re-applied: the server holds the op as any other.
    Accepted,
    /// Discarded: it never takes effect.
    Discarded,
    /// Its case was deleted at the end of its retention: it went with it.
    CaseDeleted,
}

/// One page of ops the device may see, in server order.
///
/// `C` is how a reader takes the configuration items: as [`ConfigItem`]s,
/// or, on the tablet, as their JSON text to store as it is (the app's
/// `api::ConfigJson`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse<C = ConfigItem, O = PulledOp> {
    /// The ops after the cursor.
    pub ops: Vec<O>,
    /// Configuration that changed after the cursor.
    pub config: Vec<C>,
    /// The cursor to ask with next (`after=`).
    pub cursor: i64,
    /// Whether more pages wait.
    pub more: bool,
    /// The server's epoch (see [`PushResponse::epoch`]).
    pub epoch: u64,
    /// The cases deleted after the cursor (retention), each at its own
    /// place in the same server sequence as the ops: a device drops the
    /// case, its ops and its evidence. Absent from servers before
    /// tombstones, hence the default.
    #[serde(default)]
    pub deletions: Vec<PulledDeletion>,
}

/// A case deleted on the server (a tombstone), as pulled: every device that
/// may see its property receives it once, at its place in the sequence.
/// No op of the case follows it: the server refuses them (`case.deleted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PulledDeletion {
    /// The server-wide sequence number the deletion took.
    pub server_seq: i64,
    /// The deleted case.
    pub case_id: CaseId,
}

/// An op as pulled, with its place in the server-wide sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PulledOp {
    /// The server-wide sequence number.
    pub server_seq: i64,
    /// The op.
    pub op: Op,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_splits_its_evidence_into_files_that_can_be_read_whole() {
        assert_eq!(base64_chars(0), 0);
        assert_eq!(base64_chars(1), 4);
        assert_eq!(base64_chars(3), 4);
        assert_eq!(base64_chars(4), 8);
        let one = |end| [std::ops::Range { start: 0, end }];
        assert_eq!(records_parts(&[], 100), one(0), "the records alone");
        assert_eq!(records_parts(&[30, 30], 100), one(2), "80 characters fit");
        assert_eq!(
            records_parts(&[30, 30, 30], 100),
            [0..2, 2..3],
            "120 do not"
        );
        assert_eq!(
            records_parts(&[300, 3, 300], 100),
            [0..1, 1..2, 2..3],
            "a larger piece goes alone"
        );
        assert_eq!(records_parts(&[3, 300], 100), [0..1, 1..2]);
    }

    #[test]
    fn config_keys_are_the_serde_tags() {
        let items = [
            ConfigItem::Settings(Settings::default()),
            ConfigItem::Categories(Vec::new()),
            ConfigItem::Calendar(Calendar::with_builtin()),
            ConfigItem::Properties(Vec::new()),
            ConfigItem::Users(Vec::new()),
        ];
        let keys: Vec<ConfigKey> = items.iter().map(ConfigItem::key).collect();
        assert_eq!(keys, ConfigKey::ALL, "one item of every key");
        for item in &items {
            let json = serde_json::to_value(item).unwrap();
            assert_eq!(json["type"], item.key().code());
        }
    }
}
