//! The SQLite backend: one file, WAL mode, foreign keys on.
//!
//! One writer connection behind a mutex serializes writers (pushes and admin
//! changes). That is also what makes the pull cursor exact: server sequence
//! numbers are handed out inside the write transaction, so a reader never
//! sees number `n + 1` committed before `n`. Everything that only reads
//! takes a read-only connection from a small pool (`sqlite_readers.rs`), so
//! statistics, exports and pulls never hold up a push.
//!
//! Longer than most files because `impl Store` is one block with a short
//! method per trait function; the larger pieces of SQL live beside it
//! (`push_sql.rs`, `admin_sql.rs`, `sqlite_reports.rs`,
//! `sqlite_restore.rs`; the SQL both engines share is in `accounts_sql.rs`, `cases_sql.rs`, `reports_sql.rs`, `spot_checks_sql.rs`, `config.rs`, `audit_sql.rs` and `filter_sql.rs`).

use super::accounts_sql;
use super::administration::{Administration, DiscardOutcome};
use super::audit_sql;
use super::blobs::BlobStore;
use super::cases_sql;
use super::config::{self, CALENDAR, CATEGORIES, SETTINGS};
use super::push_sql::{self, PushJob, PushQueue, Rules};
use super::sqlite_readers::{self, Reader, Readers};
use super::{
    AuditEntry, BlobRef, CaseFilter, CheckReport, Config, Credentials, DeviceClaim, NewUser,
    PullPage, SessionRow, Store, StoreError, StoreResult, backup_blobs_dir, schema,
};
use super::{admin_sql, blobs_sql, pull_sql};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, Transaction};
use shared::admin::{
    AuditRecord, DeletedCase, DeviceInfo, QuarantineEntry, QuarantineRecord, ReapplyOutcome,
    RetentionRefusal,
};
use shared::blob::BlobHash;
use shared::calendar::Calendar;
use shared::case::Case;
use shared::category::Category;
use shared::id::{CaseId, DeviceId, PropertyId, UserId};
use shared::op::Op;
use shared::property::Property;
use shared::role::{Scope, User};
use shared::settings::Settings;
use shared::wire::{CaseSummary, Page, PushResponse};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// The SQLite store.
pub struct SqliteStore {
    /// The one connection that writes.
    conn: Mutex<Connection>,
    /// Pushes waiting for the writer, carried out together by the push
    /// that leads next.
    pushes: PushQueue,
    /// The read-only connections.
    readers: Readers,
    /// The blob directory, `blobs/` beside the database file.
    pub(super) blobs: BlobStore,
}

/// Times are stored as RFC 3339 UTC with milliseconds, so that text order
/// is time order and SQL can compare them directly.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(super) fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Internal(format!("stored time {s:?}: {e}")))
}

pub(super) fn parse_id<T: std::str::FromStr>(s: &str) -> StoreResult<T> {
    s.parse()
        .map_err(|_| StoreError::Internal(format!("stored id {s:?}")))
}

/// How many read-only connections may be open at once: a few long reads
/// (statistics, exports) and the short ones beside them. More would only
/// share the same cores.
const READERS: usize = 8;

impl SqliteStore {
    /// Opens (or creates) the database at `path` and migrates it.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // NORMAL is durable across process crashes in WAL mode; only an OS
        // crash or power loss could lose the last commits.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.set_prepared_statement_cache_capacity(sqlite_readers::STATEMENT_CACHE);
        schema::migrate(&mut conn)?;
        let root = path.parent().unwrap_or(Path::new(".")).join("blobs");
        let blobs = BlobStore::open(&root)
            .map_err(|e| StoreError::Internal(format!("open {}: {e}", root.display())))?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
            pushes: PushQueue::default(),
            readers: Readers::new(path, READERS),
            blobs,
        };
        store.seed_config()?;
        Ok(store)
    }

    /// The writer connection: for anything that changes the database.
    pub(super) fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written
        // transaction (rusqlite rolls back on drop), so the data is fine.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A read-only connection: for anything that only reads. It sees every
    /// write committed before it was taken.
    pub(super) fn read(&self) -> StoreResult<Reader<'_>> {
        self.readers.get()
    }

    /// Writes the default settings, categories and calendar once.
    fn seed_config(&self) -> StoreResult<()> {
        self.write(|tx| config::seed_config(tx))
    }

    /// Runs `change` in a write transaction and commits it if it succeeds.
    fn write<T>(&self, change: impl FnOnce(&Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let out = change(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Carries out a group of pushes in one immediate transaction
/// ([`push_sql::run_group`]) and answers each once it committed.
pub(super) fn push_group(conn: &mut Connection, jobs: Vec<PushJob>) {
    push_sql::answer_group(jobs, |jobs| {
        let config = config::load_config(&*conn)?;
        let properties = config::load_properties(&*conn)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let answers = push_sql::run_group(&tx, &config, &properties, jobs)?;
        tx.commit()?;
        Ok(answers)
    })
}

impl Store for SqliteStore {
    fn create_user(
        &self,
        user: NewUser,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<User> {
        self.write(|tx| accounts_sql::create_user(tx, user, now, audit))
    }

    fn user_by_login(&self, login: &str) -> StoreResult<Option<Credentials>> {
        accounts_sql::user_by_login(&*self.read()?, login)
    }

    fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        accounts_sql::user(&*self.read()?, id)
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        accounts_sql::load_users(&*self.read()?)
    }

    fn set_password(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        self.write(|tx| accounts_sql::set_password(tx, id, hash, must_change, audit))
    }

    fn set_user_active(&self, id: UserId, active: bool, audit: &AuditEntry) -> StoreResult<()> {
        self.write(|tx| accounts_sql::set_user_active(tx, id, active, audit))
    }

    fn device_login(
        &self,
        claim: &DeviceClaim,
        user: UserId,
        token: (&str, DateTime<Utc>),
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<(DeviceInfo, bool)> {
        self.write(|tx| accounts_sql::device_login(tx, claim, user, token, now, audit))
    }

    fn devices(&self) -> StoreResult<Vec<DeviceInfo>> {
        accounts_sql::devices(&*self.read()?)
    }

    fn revoke_device(&self, id: DeviceId, audit: &AuditEntry) -> StoreResult<()> {
        self.write(|tx| accounts_sql::revoke_device(tx, id, audit))
    }

    fn session(&self, hash: &str) -> StoreResult<Option<SessionRow>> {
        accounts_sql::session(&*self.read()?, hash)
    }

    fn revoke_token(&self, hash: &str) -> StoreResult<()> {
        accounts_sql::revoke_token(&*self.writer(), hash)
    }

    fn put_property(&self, property: &Property, audit: &AuditEntry) -> StoreResult<()> {
        self.write(|tx| config::put_property(tx, property, audit))
    }

    fn properties(&self) -> StoreResult<Vec<Property>> {
        config::load_properties(&*self.read()?)
    }

    fn config(&self) -> StoreResult<Config> {
        config::load_config(&*self.read()?)
    }

    fn put_settings(&self, settings: &Settings, audit: &AuditEntry) -> StoreResult<()> {
        let json = serde_json::to_string(settings)?;
        self.write(|tx| config::put_config_json(tx, SETTINGS, json, audit))
    }

    fn put_categories(&self, categories: &[Category], audit: &AuditEntry) -> StoreResult<()> {
        let json = serde_json::to_string(categories)?;
        self.write(|tx| config::put_config_json(tx, CATEGORIES, json, audit))
    }

    fn put_calendar(&self, calendar: &Calendar, audit: &AuditEntry) -> StoreResult<()> {
        let json = serde_json::to_string(calendar)?;
        self.write(|tx| config::put_config_json(tx, CALENDAR, json, audit))
    }

    fn push(
        &self,
        device: DeviceId,
        user: &User,
        ops: Vec<Op>,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
    ) -> StoreResult<PushResponse> {
        self.pushes
            .push(device, user, ops, (now, ceiling), |group| {
                push_group(&mut self.writer(), group)
            })
    }

    fn epoch(&self) -> StoreResult<u64> {
        cases_sql::read_epoch(&*self.read()?)
    }

    fn pull(&self, scope: &Scope, after: i64, limit: u32) -> StoreResult<PullPage> {
        let mut conn = self.read()?;
        pull_sql::pull(&conn.transaction()?, scope, after, limit)
    }

    fn quarantine(&self) -> StoreResult<Vec<QuarantineEntry>> {
        cases_sql::quarantine(&*self.read()?)
    }

    fn case(&self, id: CaseId) -> StoreResult<Option<(PropertyId, Case)>> {
        let mut conn = self.read()?;
        cases_sql::case(&conn.transaction()?, id)
    }

    fn cases(
        &self,
        scope: &Scope,
        f: &CaseFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Page<CaseSummary>> {
        cases_sql::cases(&*self.read()?, scope, f, now)
    }

    fn op_count(&self) -> StoreResult<u64> {
        cases_sql::op_count(&*self.read()?)
    }

    fn audit(&self, e: AuditEntry) -> StoreResult<()> {
        audit_sql::write_audit(&*self.writer(), &e)
    }

    fn backup(&self, path: &Path) -> StoreResult<u64> {
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Internal("backup path is not UTF-8".into()))?;
        let blob_dir = backup_blobs_dir(path);
        if path.exists() || blob_dir.exists() {
            return Err(StoreError::Conflict(format!("{target} exists")));
        }
        self.read()?.execute("VACUUM INTO ?1", [target])?;
        // Blobs are never changed once whole, so copying them after the
        // database is consistent: every blob the copy references and the
        // server held is there (and perhaps a few newer ones).
        self.blobs
            .copy_to(&blob_dir)
            .map_err(|e| StoreError::Internal(format!("copy blobs to {}: {e}", blob_dir.display())))
    }

    fn check(&self) -> StoreResult<CheckReport> {
        let conn = self.read()?;
        let mut problems = Vec::new();
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        problems.extend(rows.into_iter().filter(|r| r != "ok"));
        let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
        let fk: Vec<String> = stmt
            .query_map([], |r| {
                Ok(format!(
                    "foreign key: {} row {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?
                ))
            })?
            .collect::<Result<_, _>>()?;
        problems.extend(fk);
        let orphans: i64 = conn.query_row(
            "SELECT count(DISTINCT case_id) FROM ops WHERE case_id NOT IN (SELECT id FROM cases)",
            [],
            |r| r.get(0),
        )?;
        if orphans > 0 {
            problems.push(format!(
                "{orphans} case(s) with ops but no materialized row"
            ));
        }
        let io = |e: std::io::Error| StoreError::Internal(format!("read the blobs: {e}"));
        problems.extend(
            self.blobs
                .verify()
                .map_err(io)?
                .into_iter()
                .map(|d| format!("blob {}: {}", d.name, d.problem)),
        );
        let missing_blobs = blobs_sql::referenced(&*conn)?
            .into_iter()
            .filter(|h| !self.blobs.has(h))
            .map(|h| h.to_string())
            .collect();
        Ok(CheckReport {
            problems,
            missing_blobs,
        })
    }

    fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    fn blob_refs(&self, scope: &Scope, hash: &BlobHash) -> StoreResult<Vec<BlobRef>> {
        blobs_sql::blob_refs(&*self.read()?, scope, hash)
    }
}

impl Administration for SqliteStore {
    fn category_codes_in_use(&self) -> StoreResult<Vec<String>> {
        admin_sql::category_codes_in_use(&*self.read()?)
    }

    fn quarantine_record(&self, id: i64) -> StoreResult<Option<QuarantineRecord>> {
        admin_sql::quarantine_record(&*self.read()?, id)
    }

    fn reapply_quarantined(
        &self,
        id: i64,
        by: UserId,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<ReapplyOutcome> {
        self.write(|tx| {
            let config = config::load_config(tx)?;
            let properties = config::load_properties(tx)?;
            let rules = Rules {
                config: &config,
                properties: &properties,
                ceiling,
            };
            admin_sql::reapply_quarantined(tx, &rules, id, (by, now), audit)
        })
    }

    fn discard_quarantined(
        &self,
        id: i64,
        reason: &str,
        by: UserId,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<DiscardOutcome> {
        self.write(|tx| admin_sql::discard_quarantined(tx, id, reason, (by, now), audit))
    }

    fn audit_log(&self, limit: u32, before: Option<i64>) -> StoreResult<Vec<AuditRecord>> {
        admin_sql::audit_log(&*self.read()?, limit, before)
    }

    fn delete_case(
        &self,
        id: CaseId,
        retention_years: u32,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<Result<DeletedCase, RetentionRefusal>> {
        let deleted =
            self.write(|tx| admin_sql::delete_case(tx, id, retention_years, now, audit))?;
        Ok(deleted.map(|(deleted, unreferenced)| {
            // Only once the deletion is committed: a failure before leaves
            // the case and its files.
            admin_sql::remove_blobs(&self.blobs, &unreferenced);
            deleted
        }))
    }
}
