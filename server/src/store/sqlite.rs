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
//! (`sqlite_push.rs`, `sqlite_admin.rs`, `sqlite_reports.rs`,
//! `sqlite_restore.rs`; the SQL both engines share is in `accounts_sql.rs`, `cases_sql.rs`, `reports_sql.rs`, `spot_checks_sql.rs`, `config.rs`, `audit_sql.rs` and `filter_sql.rs`).

use super::accounts_sql;
use super::audit_sql;
use super::blobs::BlobStore;
use super::cases_sql;
use super::config::{self, CALENDAR, CATEGORIES, PROPERTIES, SETTINGS, USERS};
use super::filter_sql::scope_sql;
use super::sqlite_readers::{self, Reader, Readers};
use super::{
    AuditEntry, BlobRef, CaseFilter, CheckReport, Config, Credentials, DeviceClaim, NewUser,
    PullPage, SessionRow, Store, StoreError, StoreResult, StoredOp, backup_blobs_dir, schema,
};
use super::{sqlite_blobs, sqlite_push};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, Transaction, params};
use shared::admin::{DeviceInfo, QuarantineEntry};
use shared::blob::BlobHash;
use shared::calendar::Calendar;
use shared::case::Case;
use shared::category::Category;
use shared::id::{CaseId, DeviceId, PropertyId, UserId};
use shared::op::Op;
use shared::property::Property;
use shared::role::{Scope, User};
use shared::settings::Settings;
use shared::wire::{CaseSummary, ConfigItem, Page, PulledDeletion, PushResponse};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// The SQLite store.
pub struct SqliteStore {
    /// The one connection that writes.
    conn: Mutex<Connection>,
    /// Pushes waiting for the writer, carried out together by the push
    /// that leads next.
    pushes: Mutex<PushQueue>,
    /// The read-only connections.
    readers: Readers,
    /// The blob directory, `blobs/` beside the database file.
    pub(super) blobs: BlobStore,
}

/// The pushes waiting for the writer, and whether one of them leads: has
/// the writer, or has been told to take it. At most one leads at a time.
#[derive(Default)]
struct PushQueue {
    jobs: Vec<sqlite_push::PushJob>,
    leading: bool,
}

/// Hands the writer on to the next push when dropped
/// ([`SqliteStore::hand_on`]).
struct HandOn<'a>(&'a SqliteStore);

impl Drop for HandOn<'_> {
    fn drop(&mut self) {
        self.0.hand_on();
    }
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
            pushes: Mutex::new(PushQueue::default()),
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

    /// After a group: the oldest push that queued meanwhile leads the
    /// next, so that no caller carries out more than one group and the
    /// waiting pushes sleep until they are answered instead of taking the
    /// writer in turn only to find their answer.
    fn hand_on(&self) {
        let mut queue = self.lock_pushes();
        while let Some(next) = queue.jobs.first() {
            if next.reply.send(sqlite_push::Reply::Lead).is_ok() {
                return;
            }
            // Its caller is gone: nobody waits for its answer.
            queue.jobs.remove(0);
        }
        queue.leading = false;
    }

    /// The queue of pushes waiting for the writer.
    fn lock_pushes(&self) -> MutexGuard<'_, PushQueue> {
        // A queue of jobs holds no invariant a panic could break halfway.
        self.pushes.lock().unwrap_or_else(|p| p.into_inner())
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

/// Hands out the next server-wide sequence number (inside a write transaction).
pub(super) fn next_seq(tx: &Transaction<'_>) -> StoreResult<i64> {
    config::next_seq(tx)
}

pub(super) fn load_config(conn: &Connection) -> StoreResult<Config> {
    config::load_config(conn)
}

pub(super) fn load_properties(conn: &Connection) -> StoreResult<Vec<Property>> {
    config::load_properties(conn)
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
        load_properties(&*self.read()?)
    }

    fn config(&self) -> StoreResult<Config> {
        load_config(&*self.read()?)
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
        let (reply, answer) = std::sync::mpsc::channel();
        let mut lead = {
            let mut queue = self.lock_pushes();
            queue.jobs.push(sqlite_push::PushJob {
                device,
                user: user.clone(),
                ops,
                now,
                ceiling,
                reply,
            });
            !std::mem::replace(&mut queue.leading, true)
        };
        loop {
            if lead {
                // Every push queued by now, ours among them, in one
                // transaction (`sqlite_push::push_group`).
                let group = std::mem::take(&mut self.lock_pushes().jobs);
                // Handed on even if the group panics, or no push would lead
                // again.
                let _hand_on = HandOn(self);
                sqlite_push::push_group(&mut self.writer(), group);
            }
            match answer.recv() {
                Ok(sqlite_push::Reply::Done(done)) => return done,
                Ok(sqlite_push::Reply::Lead) => lead = true,
                Err(_) => {
                    return Err(StoreError::Internal("a push was dropped unanswered".into()));
                }
            }
        }
    }

    fn epoch(&self) -> StoreResult<u64> {
        read_epoch(&*self.read()?)
    }

    fn pull(&self, scope: &Scope, after: i64, limit: u32) -> StoreResult<PullPage> {
        let mut conn = self.read()?;
        let tx = conn.transaction()?;
        let max: i64 = tx
            .prepare_cached("SELECT value FROM counters WHERE name = 'server_seq'")?
            .query_row([], |r| r.get(0))?;
        let (cond, args) = scope_sql(scope, "property_id");
        let limit = limit.clamp(1, 5000);
        // Ops and deletions share the sequence: each is read up to one past
        // the page, then the two are merged in sequence order, so the page
        // (and its cursor) ends at the same place whichever kind fills it.
        let query = |table: &str, columns: &str| -> StoreResult<Vec<(i64, String, String)>> {
            let sql = format!(
                "SELECT server_seq, {columns} FROM {table} WHERE server_seq > ? AND {cond}
                 ORDER BY server_seq LIMIT ?"
            );
            let mut stmt = tx.prepare_cached(&sql)?;
            let mut values: Vec<rusqlite::types::Value> = vec![after.into()];
            values.extend(args.iter().cloned().map(Into::into));
            values.push(i64::from(limit + 1).into());
            let rows = stmt
                .query_map(rusqlite::params_from_iter(values), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        };
        // Both read the case and one more column; a deletion has nothing
        // more to say.
        let op_rows = query("ops", "case_id, json")?;
        let deletion_rows = query("deletions", "case_id, ''")?;
        let mut ops = Vec::new();
        let mut deletions = Vec::new();
        let (mut op_rows, mut deletion_rows) = (
            op_rows.into_iter().peekable(),
            deletion_rows.into_iter().peekable(),
        );
        let mut taken = 0;
        let mut last = None;
        let mut more = false;
        loop {
            let op_next = op_rows.peek().map(|(seq, _, _)| *seq);
            let deletion_next = deletion_rows.peek().map(|(seq, _, _)| *seq);
            let from_ops = match (op_next, deletion_next) {
                (None, None) => break,
                (Some(o), Some(d)) => o < d,
                (o, _) => o.is_some(),
            };
            if taken == limit {
                more = true;
                break;
            }
            taken += 1;
            if from_ops {
                let Some((server_seq, case_id, json)) = op_rows.next() else {
                    break;
                };
                ops.push(StoredOp {
                    server_seq,
                    case_id: parse_id(&case_id)?,
                    json,
                });
                last = Some(server_seq);
            } else {
                let Some((server_seq, case_id, _)) = deletion_rows.next() else {
                    break;
                };
                deletions.push(PulledDeletion {
                    server_seq,
                    case_id: parse_id(&case_id)?,
                });
                last = Some(server_seq);
            }
        }
        // A full page ends at its last item; a short page has seen
        // everything up to the sequence read in this same transaction.
        let cursor = match (more, last) {
            (true, Some(last)) => last,
            _ => max.max(after),
        };
        let mut config = Vec::new();
        let mut stmt = tx.prepare_cached(
            "SELECT key, json FROM config WHERE server_seq > ?1 AND server_seq <= ?2 ORDER BY key",
        )?;
        let changed: Vec<(String, String)> = stmt
            .query_map(params![after, cursor], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (key, json) in changed {
            let item = match key.as_str() {
                SETTINGS => ConfigItem::Settings(serde_json::from_str(&json)?),
                CATEGORIES => ConfigItem::Categories(serde_json::from_str(&json)?),
                CALENDAR => ConfigItem::Calendar(serde_json::from_str(&json)?),
                PROPERTIES => ConfigItem::Properties(
                    load_properties(&tx)?
                        .into_iter()
                        .filter(|p| scope.allows(p.id))
                        .collect(),
                ),
                USERS => ConfigItem::Users(accounts_sql::user_directory(&tx, scope)?),
                _ => continue,
            };
            config.push(item);
        }
        Ok(PullPage {
            ops,
            config,
            cursor,
            more,
            epoch: read_epoch(&tx)?,
            deletions,
        })
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
        write_audit(&self.writer(), &e)
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
        let missing_blobs = sqlite_blobs::referenced(&conn)?
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
        sqlite_blobs::blob_refs(&*self.read()?, scope, hash)
    }
}

/// Writes an audit record, inside whatever transaction `conn` is in.
pub(super) fn write_audit(conn: &Connection, e: &AuditEntry) -> StoreResult<()> {
    audit_sql::write_audit(conn, e)
}

/// Writes a folded case's query row, its blob references and its deadline
/// rows. Every value is `shared`'s; nothing here decides a rule. The row's
/// JSON is `case` as given: materializing passes it without its history
/// (`sqlite_history.rs`), which no column is made from.
pub(super) fn write_case(
    tx: &Transaction<'_>,
    case: &Case,
    properties: &[Property],
) -> StoreResult<()> {
    let id = case.id;
    let seq: i64 = tx
        .prepare_cached("SELECT value FROM counters WHERE name = 'server_seq'")?
        .query_row([], |r| r.get(0))?;
    let reg = &case.registration;
    let place = properties
        .iter()
        .find(|p| p.id == reg.property)
        .map(|p| p.describe(&reg.location))
        .unwrap_or_default();
    let search = format!(
        "{} {} {} {} {}",
        reg.reg_no, reg.content, reg.requested_remedy, reg.category, place
    )
    .to_lowercase();
    // Every column but the search text and the JSON is `shared`'s
    // projection of the folded case, flags included.
    let row = shared::report::CaseRow::of(case);
    tx.prepare_cached(
        "INSERT INTO cases (id, property_id, reg_no, kind, state, category, channel, severity, validity, urgent,
            building_id, unit_id, first_responder, assignee, complainant_name, complainant_phone, summary,
            received_at, recorded_at, resolved_at, closed_at, next_due_at, reopen_count, satisfaction, escalated,
            open_conflicts, violations, search, json, server_seq, department, spot_check_at,
            spot_check_satisfaction, is_open, is_completed, is_valid_complaint, attachment_count,
            respondent, respondent_department)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
            ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39)
         ON CONFLICT (id) DO UPDATE SET property_id = excluded.property_id, reg_no = excluded.reg_no,
            kind = excluded.kind, state = excluded.state, category = excluded.category, channel = excluded.channel,
            severity = excluded.severity, validity = excluded.validity, urgent = excluded.urgent,
            building_id = excluded.building_id, unit_id = excluded.unit_id, first_responder = excluded.first_responder,
            assignee = excluded.assignee, complainant_name = excluded.complainant_name,
            complainant_phone = excluded.complainant_phone, summary = excluded.summary,
            received_at = excluded.received_at, recorded_at = excluded.recorded_at, resolved_at = excluded.resolved_at,
            closed_at = excluded.closed_at, next_due_at = excluded.next_due_at, reopen_count = excluded.reopen_count,
            satisfaction = excluded.satisfaction, escalated = excluded.escalated,
            open_conflicts = excluded.open_conflicts, violations = excluded.violations, search = excluded.search,
            json = excluded.json, server_seq = excluded.server_seq, department = excluded.department,
            spot_check_at = excluded.spot_check_at, spot_check_satisfaction = excluded.spot_check_satisfaction,
            is_open = excluded.is_open, is_completed = excluded.is_completed,
            is_valid_complaint = excluded.is_valid_complaint,
            attachment_count = excluded.attachment_count, respondent = excluded.respondent,
            respondent_department = excluded.respondent_department",
    )?
    .execute(params![
            row.id.to_string(),
            row.property.to_string(),
            row.reg_no,
            row.kind.code(),
            row.state.code(),
            row.category,
            row.channel.code(),
            row.severity.map(|s| s.code()),
            row.validity.map(|v| v.code()),
            row.urgent,
            row.building.map(|b| b.to_string()),
            row.unit.map(|u| u.to_string()),
            row.first_responder.to_string(),
            row.assignee.map(|u| u.to_string()),
            row.complainant_name,
            row.complainant_phone,
            row.summary,
            ts(row.received_at),
            ts(row.recorded_at),
            row.resolved_at.map(ts),
            row.closed_at.map(ts),
            row.next_due_at.map(ts),
            row.reopen_count,
            row.satisfaction,
            row.escalated,
            row.open_conflicts as i64,
            row.violations as i64,
            search,
            serde_json::to_string(case)?,
            seq,
            row.department,
            row.spot_check_at.map(ts),
            row.spot_check_satisfaction,
            row.open,
            row.completed,
            row.valid_complaint,
            row.attachments as i64,
            row.respondent,
            row.respondent_department,
        ])?;
    sqlite_blobs::write_case_blobs(tx, case)?;
    tx.prepare_cached("DELETE FROM case_deadlines WHERE case_id = ?1")?
        .execute([id.to_string()])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO case_deadlines (case_id, clock, started_at, due_at, met_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for d in &case.deadlines {
        insert.execute(params![
            id.to_string(),
            d.clock.code(),
            ts(d.started_at),
            ts(d.due_at),
            d.met_at.map(ts)
        ])?;
    }
    Ok(())
}

/// The server's epoch.
pub(super) fn read_epoch(conn: &Connection) -> StoreResult<u64> {
    let epoch: i64 = conn
        .prepare_cached("SELECT value FROM counters WHERE name = 'epoch'")?
        .query_row([], |r| r.get(0))?;
    Ok(epoch as u64)
}
