//! Storage behind one narrow interface.
//!
//! **Architecture Invariant:** only this module knows SQL. Handlers speak
//! [`Store`]; the SQLite backend ([`sqlite::SqliteStore`]) is the embedded
//! default and the PostgreSQL one ([`postgres::PgStore`]) the second
//! implementation of the same trait, both over the same SQL (`*_sql.rs`,
//! through [`db::Db`]). Every method is blocking; async callers run them
//! on the blocking pool.

mod accounts_sql;
mod admin_sql;
pub mod administration;
mod audit_sql;
pub mod blobs;
mod blobs_sql;
mod cases_sql;
mod config;
pub mod db;
mod engine;
mod filter_sql;
mod fold_sql;
mod history_sql;
mod limits_sql;
pub mod postgres;
pub mod postgres_copy;
pub mod postgres_db;
mod postgres_reports;
mod postgres_schema;
mod postgres_store;
mod pull_sql;
mod push_sql;
pub mod reports;
mod reports_sql;
pub mod schema;
mod spot_checks_sql;
pub mod sqlite;
pub mod sqlite_checkpoint;
mod sqlite_db;
mod sqlite_readers;
mod sqlite_reports;
pub mod sqlite_restore;
#[cfg(test)]
mod test_support;

use blobs::BlobStore;
use chrono::{DateTime, Utc};
use shared::admin::{DeviceInfo, QuarantineEntry};
use shared::blob::BlobHash;
use shared::calendar::Calendar;
use shared::case::AttachmentKind;
use shared::category::Category;
use shared::id::{CaseId, DeviceId, PropertyId, UserId};
use shared::op::Op;
use shared::property::Property;
use shared::role::{Role, Scope, User};
use shared::settings::Settings;
use shared::wire::{CaseSummary, ConfigItem, Page, PulledDeletion, PushResponse};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub use push_sql::{Answer, Pusher, Queued};

/// A storage failure. Constraint problems that a caller can fix are their
/// own variants; everything else is `Internal` and is logged, never shown.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A unique value (login, property code…) is taken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The thing referred to does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The database failed.
    #[error("database: {0}")]
    Internal(String),
    /// The disk holding the data is full: nothing of the change was
    /// stored, and it can be sent again once there is room.
    #[error("the disk is full: {0}")]
    Full(String),
    /// The database cannot be reached or take the request just now
    /// (PostgreSQL restarting or cut off, its connections all taken, a
    /// standby after a failover; SQLite locked by another process past the
    /// wait). Whether a write cut off at its commit was done is not known;
    /// the same request may be sent again (a push or a save is taken once).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A save made from an older copy: the item changed since the caller
    /// read it (its revision is no longer the one the caller read).
    #[error("changed since it was read: {0}")]
    Changed(String),
    /// A text to store or compare holds the character U+0000, which
    /// PostgreSQL cannot hold in text: neither engine takes it
    /// ([`db::refuse_nul`]).
    #[error("text holds the character U+0000")]
    NulCharacter,
    /// A change the data refuses, with the API error code that says why
    /// (a building with cases removed, the last admin disabled).
    #[error("{code}: {message}")]
    Refused {
        /// The stable error code.
        code: &'static str,
        /// What was refused, in words.
        message: String,
    },
    /// The session a push came with ended while the push waited for the
    /// writer: its token revoked, its user disabled, or its device revoked
    /// (`device_revoked`).
    #[error("the session ended")]
    SessionEnded {
        /// An administrator revoked the device.
        device_revoked: bool,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::Full(e.to_string()),
            // Another process (a backup, an admin's sqlite3) holds the
            // file past the wait.
            Some(rusqlite::ErrorCode::DatabaseBusy) => StoreError::Unavailable(e.to_string()),
            _ => StoreError::Internal(e.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Internal(format!("stored json: {e}"))
    }
}

/// Shorthand.
pub type StoreResult<T> = Result<T, StoreError>;

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name (unique).
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Properties (for roles that do not see all).
    pub properties: Vec<PropertyId>,
    /// Department, if any.
    pub department: Option<String>,
    /// The argon2 PHC string.
    pub password_hash: String,
    /// Whether the user must choose their own password at the first login
    /// (someone else chose this one).
    pub must_change_password: bool,
}

/// What an admin may correct of a user (`accounts_sql::update_user`).
#[derive(Debug, Clone)]
pub struct UserProfile {
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Properties (for roles that do not see all), sorted, without repeats.
    pub properties: Vec<PropertyId>,
    /// Department, if any.
    pub department: Option<String>,
}

/// A live token with its user as stored now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The user (active).
    pub user: User,
    /// The device the token is bound to.
    pub device: DeviceId,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// The user must set their own password before anything else.
    pub must_change_password: bool,
    /// An admin revoked the device: the session is dead, and the device
    /// should be told why.
    pub device_revoked: bool,
}

/// A user's stored credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user.
    pub user: User,
    /// The argon2 PHC string.
    pub password_hash: String,
    /// The password was set by someone else and must be changed.
    pub must_change_password: bool,
}

/// The device a login is on. The handler makes the fresh identity (the
/// randomness is the handler's); the store decides which one holds.
#[derive(Debug, Clone)]
pub struct DeviceClaim {
    /// The device and the SHA-256 of the secret the client named, if any.
    pub claimed: Option<(DeviceId, String)>,
    /// A new device id and the SHA-256 of its new secret, used unless the
    /// claim names an existing device with its secret.
    pub fresh: (DeviceId, String),
    /// The name the device gave.
    pub name: String,
    /// The password hash the login's password was checked against. The
    /// login stands only if it is still the user's and the user is still
    /// active: a reset or a disable made while the password was being
    /// checked wins.
    pub password_hash: String,
    /// The oldest op schema the server takes now: a fresh device keeps it
    /// as the floor of its ops' schemas (`push_sql::device_before`).
    pub schema_floor: u32,
    /// A new key for the user on the device (`shared::proof`), kept only
    /// if they have none there yet; `None` for a login that must change
    /// its password first, which is given no key (whoever was told a
    /// temporary password would otherwise keep the user's key for good).
    pub record_key: Option<String>,
}

/// A login's device, as [`Store::device_login`] left it.
#[derive(Debug, Clone)]
pub struct DeviceLogin {
    /// The device, new or known.
    pub device: DeviceInfo,
    /// It was made by this login.
    pub new: bool,
    /// The user's key on it (`shared::proof`), empty for a login given
    /// none ([`DeviceClaim::record_key`]).
    pub record_key: String,
    /// The user as the login found them, in its transaction.
    pub user: User,
}

/// The shared configuration every device folds with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Settings.
    pub settings: Settings,
    /// Categories.
    pub categories: Vec<Category>,
    /// The holiday calendar.
    pub calendar: Calendar,
}

/// Whose cases a list's 我的 (mine) keeps: those the user is first
/// responder of or is assigned, and a department head's department's
/// (`shared::inbox::mine`).
#[derive(Debug, Clone)]
pub struct Mine {
    /// The user.
    pub user: UserId,
    /// A department head's department.
    pub department: Option<String>,
}

/// A case list query.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only this property.
    pub property: Option<PropertyId>,
    /// Only this kind (code).
    pub kind: Option<String>,
    /// Only this state (code).
    pub state: Option<String>,
    /// Only this category (code).
    pub category: Option<String>,
    /// Only cases with a running clock past due at `now`.
    pub overdue: bool,
    /// Only the user's cases (`shared::inbox::mine`).
    pub mine: Option<Mine>,
    /// Received at or after.
    pub from: Option<DateTime<Utc>>,
    /// Received before.
    pub to: Option<DateTime<Utc>>,
    /// What the user typed in the search box (`shared::search`).
    pub search: Option<shared::search::Query>,
    /// What of the complainant the search may look at: what the role is
    /// shown of every case.
    pub shown: shared::personal_data::Shown,
    /// Who sees the phone of the cases they handle
    /// (`Visibility::PhoneWhenHandling`): their id and department, whose
    /// cases the search also finds by the phone and the numbers in their
    /// texts, as the tablet does.
    pub handles: Option<(UserId, Option<String>)>,
    /// Page number from 1.
    pub page: u32,
    /// Page size.
    pub per_page: u32,
    /// Only the cases listed after this one (its received time and id),
    /// in the list's order: the page after it, whatever arrived since.
    /// `page` is then ignored.
    pub after: Option<(DateTime<Utc>, CaseId)>,
}

/// An audit record: who did what, when, from where.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub user: Option<UserId>,
    /// On which device.
    pub device: Option<DeviceId>,
    /// From which address.
    pub address: Option<String>,
    /// What (a stable code such as `user.create`).
    pub action: String,
    /// Details as JSON.
    pub detail: serde_json::Value,
}

impl AuditEntry {
    /// A change made without a session (the command line, a benchmark's
    /// set-up): no user or device; `address` says where it came from.
    pub fn unattended(action: &str, address: &str, detail: serde_json::Value) -> AuditEntry {
        AuditEntry {
            at: chrono::Utc::now(),
            user: None,
            device: None,
            address: Some(address.into()),
            action: action.into(),
            detail,
        }
    }
}

/// Everything the server stores. The head-office reports and the
/// administration queries are separate traits ([`reports::Reports`],
/// [`administration::Administration`]) that every store also implements.
pub trait Store: reports::Reports + administration::Administration + Send + Sync + 'static {
    // Users and devices.
    // Every method that changes something an admin answers for takes the
    // audit entry and writes it in the change's own transaction: the change
    // and its record stand or fall together.

    /// Creates a user (the audit detail gains the new user's id).
    fn create_user(
        &self,
        user: NewUser,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<User>;
    /// Creates users, all or none, each audited with its own entry (whose
    /// detail gains the user's id).
    fn create_users(
        &self,
        users: Vec<(NewUser, AuditEntry)>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<User>>;
    /// A user's credentials, by login.
    fn user_by_login(&self, login: &str) -> StoreResult<Option<Credentials>>;
    /// The session mark (`session` of its audit detail) of the latest
    /// change `user` made to their own password, and when, if any.
    fn password_changed_in(&self, user: UserId) -> StoreResult<Option<(String, DateTime<Utc>)>>;
    /// Sets a user's password hash; `must_change` when someone else chose it.
    /// Ends every session of the user but `keep` (a token hash).
    fn set_password(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
        keep: Option<&str>,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// A user by id.
    fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// Every user.
    fn users(&self) -> StoreResult<Vec<User>>;
    /// Enables or disables a user; disabling revokes their tokens.
    fn set_user_active(&self, id: UserId, active: bool, audit: &AuditEntry) -> StoreResult<()>;
    /// Corrects a user's name, role, properties and department; a new role
    /// or new properties revoke their tokens. Returns the user as stored.
    fn update_user(
        &self,
        id: UserId,
        profile: UserProfile,
        was: Option<&shared::admin::UserAsRead>,
        audit: &AuditEntry,
    ) -> StoreResult<User>;
    /// Whether `device` is enrolled, not revoked, holds the secret whose
    /// hash is `secret_hash`, and `login` (as typed or as kept) has logged
    /// in on it before: a login of that user from it is counted against
    /// the device, not the address it shares with the estate's other
    /// tablets. Not any device: a device is made by any one successful
    /// login, and would give its maker fresh guesses at every account.
    fn device_proven(&self, device: DeviceId, secret_hash: &str, login: &str) -> StoreResult<bool>;
    /// Records a login of `user`: on the claimed device when it exists and
    /// the secret matches, otherwise on the fresh device, created with the
    /// next device number. Returns the device and whether it is new. Fails
    /// with `Conflict` for a revoked device.
    /// The token (by its hash, bound to `user` on the chosen device) is
    /// stored and the login audited in the same transaction.
    fn device_login(
        &self,
        claim: &DeviceClaim,
        user: UserId,
        token: (&str, DateTime<Utc>),
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<DeviceLogin>;
    /// Every device.
    fn devices(&self) -> StoreResult<Vec<DeviceInfo>>;
    /// The users who have logged in on `device`.
    fn device_users(&self, device: DeviceId) -> StoreResult<Vec<User>>;
    /// The keys of the users who logged in on `device` (`shared::proof`),
    /// of those who logged in there since keys exist.
    fn record_keys(&self, device: DeviceId) -> StoreResult<BTreeMap<UserId, String>>;
    /// The key of `user` on `device`, made `fresh` if they have none yet
    /// (a session begun before keys existed).
    fn record_key(&self, device: DeviceId, user: UserId, fresh: &str) -> StoreResult<String>;
    /// Revokes a device and its tokens.
    fn revoke_device(&self, id: DeviceId, audit: &AuditEntry) -> StoreResult<()>;
    /// The session of a live token (not revoked, user active), with whether
    /// its device has been revoked.
    fn session(&self, hash: &str) -> StoreResult<Option<SessionRow>>;
    /// Moves a live token's end to `until` (a session in use goes on).
    fn renew_token(&self, hash: &str, until: DateTime<Utc>) -> StoreResult<()>;
    /// Revokes one token (a logout), recording it.
    fn revoke_token(&self, hash: &str, audit: &AuditEntry) -> StoreResult<()>;
    /// How long a login attempt must wait, if it must (`crate::login_limit`).
    fn login_wait(
        &self,
        attempt: &crate::login_limit::Attempt,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<chrono::Duration>>;
    /// Counts a login attempt under its keys (`crate::login_limit`), or
    /// says how long to wait, counting nothing. Every server on the
    /// database counts the same guesses.
    fn count_login(
        &self,
        attempt: &crate::login_limit::Attempt,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<(), chrono::Duration>>;
    /// The attempt succeeded: its pair's count goes, its address's drops.
    fn login_succeeded(&self, attempt: &crate::login_limit::Attempt) -> StoreResult<()>;

    // Properties and configuration. Each item has a revision (the server
    // sequence number of its last change); a save given `Some(revision)`
    // fails with `Changed` when the item changed since, so that an admin
    // working from an older copy does not undo another's change. A save
    // answers the revision it made.
    /// The revision of the config item `key`.
    fn revision(&self, key: shared::wire::ConfigKey) -> StoreResult<i64>;
    /// Creates or replaces a property (by id). Removing a building or unit
    /// that cases are located in is `Refused` (`admin.place_in_use`).
    fn put_property(
        &self,
        property: &Property,
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> StoreResult<i64>;
    /// Every property.
    fn properties(&self) -> StoreResult<Vec<Property>>;
    /// The configuration.
    fn config(&self) -> StoreResult<Config>;
    /// Replaces the settings, keeping the rules they replace as of the
    /// write (`Settings::replacing`), audited with the settings before and
    /// as stored (in `audit`'s detail); answers the new revision and the
    /// settings as stored.
    fn put_settings(
        &self,
        settings: &Settings,
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> StoreResult<(i64, Settings)>;
    /// Replaces the categories; refused (`categories.code_in_use`) when
    /// cases use a code the list leaves out. Audited with the list before
    /// and after as the entry's detail.
    fn put_categories(
        &self,
        categories: &[Category],
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> StoreResult<i64>;
    /// Replaces the calendar.
    fn put_calendar(
        &self,
        calendar: &Calendar,
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> StoreResult<i64>;
    /// Folds again, with the current settings and calendar, up to `limit`
    /// cases folded with an earlier configuration, the first whose id
    /// comes after `after`; answers the last id folded, `None` when there
    /// were none. What head office reads from the `cases` rows (clocks,
    /// overdue lists, statistics) then follows a configuration change
    /// without waiting for each case's next op.
    fn refold_stale(&self, after: Option<CaseId>, limit: usize) -> StoreResult<Option<CaseId>>;
    /// Keeps of every quarantined op of a deleted case only which op it
    /// was; answers how many it cleared. Builds before this one kept what
    /// an op set aside for another reason said (a role it did not hold,
    /// found before the deletion was), name and phone included.
    fn forget_deleted_in_quarantine(&self) -> StoreResult<usize>;

    // Sync.
    /// Queues a batch sent by `pusher`, to be stored in one transaction.
    /// Ops whose times are after `ceiling` (the server's clock plus the
    /// allowed skew) are quarantined. If [`Queued::lead`], the caller must
    /// start [`Store::carry_out_pushes`].
    fn queue_push(
        &self,
        pusher: Pusher<'_>,
        ops: Vec<Op>,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
    ) -> StoreResult<Queued>;
    /// Carries out the queued pushes until none is left; blocks.
    fn carry_out_pushes(&self);
    /// Queues a batch of `device` by `user`, with no session (tools and
    /// tests: the user is read again as stored, [`Pusher::session`]),
    /// carries out the queue if no one is, and waits for the answer.
    fn push(
        &self,
        device: DeviceId,
        user: &User,
        ops: Vec<Op>,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
    ) -> StoreResult<PushResponse> {
        let pusher = Pusher {
            device,
            user,
            session: None,
            unproven: BTreeSet::new(),
        };
        self.push_as(pusher, ops, now, ceiling)
    }
    /// [`Store::push`] by any pusher.
    fn push_as(
        &self,
        pusher: Pusher<'_>,
        ops: Vec<Op>,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
    ) -> StoreResult<PushResponse> {
        let queued = self.queue_push(pusher, ops, now, ceiling)?;
        if queued.lead {
            self.carry_out_pushes();
        }
        queued.answer.wait_blocking()
    }
    /// The server's epoch: it changes only when a backup is restored.
    fn epoch(&self) -> StoreResult<u64>;
    /// Starts a new epoch (after a database was restored by other means
    /// than `server restore`, e.g. PostgreSQL's tools) and audits it.
    /// Returns the new epoch.
    fn start_epoch(&self, audit: &AuditEntry) -> StoreResult<u64>;
    /// The ops in `scope` after `after`, at most `limit`, each handed to
    /// `each` as it is read; then the config that changed and the cursor.
    fn pull(
        &self,
        scope: &Scope,
        after: i64,
        limit: u32,
        each: &mut PullSink<'_>,
    ) -> StoreResult<PullEnd>;
    /// The quarantine list: at most `limit` (1–1000) unsettled entries
    /// after the entry `after`, oldest first.
    fn quarantine(&self, limit: u32, after: Option<i64>) -> StoreResult<Vec<QuarantineEntry>>;
    /// Of `ops` that a user pushed from a device and the quarantine took,
    /// those settled since: re-applied (the server holds the op),
    /// discarded, or gone with their case (no entry of it waits, and the
    /// newest says which).
    fn settled_refusals(
        &self,
        pusher: (shared::id::DeviceId, shared::id::UserId),
        ops: &[shared::id::OpId],
    ) -> StoreResult<Vec<shared::wire::SettledRefusal>>;

    // Cases.
    /// A materialized case's JSON and its property.
    fn case(&self, id: CaseId) -> StoreResult<Option<(PropertyId, shared::case::Case)>>;
    /// A page of case summaries in `scope`.
    fn cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Page<CaseSummary>>;
    /// The number of stored ops.
    fn op_count(&self) -> StoreResult<u64>;

    // Evidence.
    /// The blob files (no SQL; file IO, so call it on the blocking pool).
    fn blobs(&self) -> &BlobStore;
    /// The attachments of cases inside `scope` that name `hash`, oldest
    /// first (empty when none does, or none the caller may see), and
    /// whether any case at all names it as a complainant's signature.
    fn blob_refs(&self, scope: &Scope, hash: &BlobHash) -> StoreResult<BlobRefs>;
    /// The size and media type of the bytes named `hash` that `device`
    /// recorded, on a case where `user` made ops from it, whatever the
    /// cases `user` may see now: the tablet that took a photo uploads it
    /// after its user was moved to other properties (its bytes are proven
    /// by their hash, and reading them still needs the scope).
    fn blob_recorded_by(
        &self,
        device: DeviceId,
        user: UserId,
        hash: &BlobHash,
    ) -> StoreResult<Option<(u64, String)>>;
    /// Whether `device` may drop the bytes named `hash`: no case references
    /// them, and an administrator discarded the quarantined ops of the
    /// device that named them (none still waits); with no device, of any
    /// device.
    fn blob_discarded(&self, device: Option<DeviceId>, hash: &BlobHash) -> StoreResult<bool>;
    /// After bytes of `hash` were stored: whether a case still references
    /// them. When none does (a retention deletion removed the last while
    /// the upload went on, after its own removal of the files), the file
    /// goes, in a write, so that no push adds a reference meanwhile.
    fn keep_blob_if_referenced(&self, hash: &BlobHash) -> StoreResult<bool>;

    // Maintenance.
    /// Writes an audit record.
    fn audit(&self, entry: AuditEntry) -> StoreResult<()>;
    /// Writes a consistent copy of the database to `path` while serving,
    /// and every stored blob into the directory [`backup_blobs_dir`]`(path)`.
    /// Returns how many blobs were copied.
    fn backup(&self, path: &Path) -> StoreResult<u64>;
    /// Runs an integrity check: the database's, every stored blob against
    /// its hash, and every referenced blob's presence (a missing one is
    /// reported, not an error, while its device may still upload it).
    /// Returns the problems found (empty when healthy) and the notes.
    fn check(&self) -> StoreResult<CheckReport>;
}

/// Where a pull hands each op as it reads it, still the JSON it was stored
/// as (the op as the server accepted it), so that a reader who may see
/// everything gets it passed through rather than decoded and encoded
/// again, and the first ops can be on their way to the device while the
/// rest are read. The second argument is the settings and the third
/// reads a case, both in the same snapshot as the ops, for what the
/// reader may see of them (masking): settings read apart could be older
/// than the ops, and a phone masked since would go out whole, for good.
pub type PullSink<'a> = dyn FnMut(
        &StoredOp<'_>,
        &shared::settings::Settings,
        &dyn Fn(CaseId) -> StoreResult<Option<shared::case::Case>>,
    ) -> StoreResult<()>
    + 'a;

/// What a page of pull says after its ops.
#[derive(Debug)]
pub struct PullEnd {
    /// Configuration that changed after the cursor.
    pub config: Vec<ConfigItem>,
    /// The cursor to ask with next.
    pub cursor: i64,
    /// Whether more pages wait.
    pub more: bool,
    /// The server's epoch.
    pub epoch: u64,
    /// The cases deleted after the cursor.
    pub deletions: Vec<PulledDeletion>,
}

/// An op of a page of pull, as read.
#[derive(Debug)]
pub struct StoredOp<'a> {
    /// The server-wide sequence number.
    pub server_seq: i64,
    /// The op's case, from its row: what masking decides by, without
    /// reading the op.
    pub case_id: CaseId,
    /// The op's JSON, as stored (one JSON object, written by the server).
    pub json: &'a str,
}

/// Writes a page of pull as the JSON of a `shared::wire::PullResponse`, an
/// op at a time, each op's JSON copied in as it is.
#[derive(Debug, Default)]
pub struct PullWriter {
    /// Whether an op has been written.
    started: bool,
}

impl PullWriter {
    /// Writes the next op to `out`: its sequence number and its JSON.
    pub fn op(&mut self, out: &mut String, server_seq: i64, json: &str) {
        out.push_str(if self.started { "," } else { "{\"ops\":[" });
        self.started = true;
        out.push_str("{\"server_seq\":");
        out.push_str(itoa::Buffer::new().format(server_seq));
        out.push_str(",\"op\":");
        out.push_str(json);
        out.push('}');
    }

    /// Writes what ends the page to `out`.
    pub fn end(self, out: &mut String, end: &PullEnd) -> Result<(), serde_json::Error> {
        use std::fmt::Write;
        if !self.started {
            out.push_str("{\"ops\":[");
        }
        out.push_str("],\"config\":");
        out.push_str(&serde_json::to_string(&end.config)?);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            ",\"cursor\":{},\"more\":{},\"epoch\":{},\"deletions\":",
            end.cursor, end.more, end.epoch
        );
        out.push_str(&serde_json::to_string(&end.deletions)?);
        out.push('}');
        Ok(())
    }
}

/// What `server check` found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Damage: the check fails.
    pub problems: Vec<String>,
    /// Referenced blobs not (yet) uploaded: worth knowing, not damage.
    pub missing_blobs: Vec<String>,
    /// Blobs stored, whole or in part, that no case references: a crash
    /// between a retention deletion and the removal of its files leaves
    /// one, and so do files uploaded after the backup a restore went back
    /// to, until their tablets send the ops that name them again. Disk
    /// space, not damage: listed, never removed.
    pub unreferenced_blobs: Vec<String>,
}

/// Where `backup` writes the blobs of a backup file: beside it, named
/// `<file>.blobs`.
pub fn backup_blobs_dir(backup: &Path) -> std::path::PathBuf {
    let mut name = backup.as_os_str().to_owned();
    name.push(".blobs");
    std::path::PathBuf::from(name)
}

/// What names a blob, as one reader may learn it ([`Store::blob_refs`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobRefs {
    /// The attachments in the reader's scope, oldest first.
    pub in_scope: Vec<BlobRef>,
    /// Some attachment, in scope or not, is a complainant's signature: the
    /// bytes are then one everywhere, whatever the reader's cases call
    /// them.
    pub signature: bool,
}

/// One attachment (or its thumbnail) that names a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    /// The case.
    pub case: CaseId,
    /// What the attachment is for.
    pub purpose: AttachmentKind,
    /// The media type its op declared.
    pub media_type: String,
    /// The size its op declared.
    pub size: u64,
    /// Whether this is the attachment's thumbnail.
    pub thumbnail: bool,
    /// The number of the device that recorded it (and holds the bytes
    /// until they are uploaded), when the device is known.
    pub device_number: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::wire::{PullResponse, PulledOp};

    /// A full disk is said as such, to the caller as 507 `storage.full`,
    /// not as an internal error: the tablet keeps what it sent, and the
    /// administrator is the one to act. SQLite's page limit fails as a
    /// full disk does.
    #[test]
    fn a_full_disk_is_told_apart_from_a_failure() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("PRAGMA max_page_count = 3; CREATE TABLE t (x TEXT);")
            .unwrap();
        let full = (0..100)
            .find_map(|_| {
                db.execute("INSERT INTO t VALUES (?1)", ["x".repeat(4000)])
                    .err()
            })
            .expect("the page limit reached");
        let e = StoreError::from(full);
        assert!(matches!(e, StoreError::Full(_)), "{e:?}");
        let answer = crate::error::ApiError::from(e);
        assert_eq!(
            (answer.status().as_u16(), answer.code()),
            (507, "storage.full")
        );
        let other = StoreError::from(rusqlite::Error::QueryReturnedNoRows);
        assert!(matches!(other, StoreError::Internal(_)), "{other:?}");
    }

    /// The file held by another process past the wait (a backup, an
    /// admin's sqlite3 shell) is no failure of the request: it is said to
    /// be sent again.
    #[test]
    fn a_database_held_elsewhere_is_unavailable_not_a_failure() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("held.sqlite3");
        let holder = rusqlite::Connection::open(&file).unwrap();
        holder
            .execute_batch("CREATE TABLE t (x TEXT); BEGIN IMMEDIATE; INSERT INTO t VALUES ('a');")
            .unwrap();
        let writer = rusqlite::Connection::open(&file).unwrap();
        writer.busy_timeout(std::time::Duration::ZERO).unwrap();
        let busy = writer
            .execute("INSERT INTO t VALUES ('b')", [])
            .expect_err("the file is held");
        let e = StoreError::from(busy);
        assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
        let answer = crate::error::ApiError::from(e);
        assert_eq!(
            (answer.status().as_u16(), answer.code()),
            (503, "storage.unavailable")
        );
    }

    #[test]
    fn an_empty_pull_page_is_written_as_a_pull_response() {
        let end = PullEnd {
            config: Vec::new(),
            cursor: 0,
            more: false,
            epoch: 1,
            deletions: Vec::new(),
        };
        let mut json = String::new();
        PullWriter::default().end(&mut json, &end).unwrap();
        let read: PullResponse = serde_json::from_str(&json).unwrap();
        assert!(read.ops.is_empty());
        assert_eq!((read.cursor, read.more, read.epoch), (0, false, 1));
    }

    #[test]
    fn a_pull_page_is_written_as_a_pull_response() {
        let mut fleet =
            shared::sim::Fleet::new(&[(Role::Staff, 0)], PropertyId(uuid::Uuid::from_u128(7)), 0);
        let now = "2026-03-02T01:00:00Z".parse().unwrap();
        let ops: Vec<Op> = (0..2).map(|i| fleet.register(0, now, i)).collect();
        let stored: Vec<String> = ops
            .iter()
            .map(|op| serde_json::to_string(op).unwrap())
            .collect();
        let end = PullEnd {
            config: vec![ConfigItem::Settings(Settings::default())],
            cursor: 3,
            more: true,
            epoch: 2,
            deletions: vec![PulledDeletion {
                server_seq: 3,
                case_id: CaseId(uuid::Uuid::from_u128(9)),
            }],
        };
        let mut writer = PullWriter::default();
        let mut json = String::new();
        for (i, op) in stored.iter().enumerate() {
            writer.op(&mut json, i as i64 + 1, op);
        }
        writer.end(&mut json, &end).unwrap();
        let read: PullResponse = serde_json::from_str(&json).unwrap();
        assert_eq!(
            read,
            PullResponse {
                ops: ops
                    .into_iter()
                    .enumerate()
                    .map(|(i, op)| PulledOp {
                        server_seq: i as i64 + 1,
                        op,
                    })
                    .collect(),
                config: end.config.clone(),
                cursor: 3,
                more: true,
                epoch: 2,
                deletions: end.deletions.clone(),
            }
        );
    }
}
