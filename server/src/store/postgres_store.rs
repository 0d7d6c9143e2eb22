//! [`Store`] and [`Administration`] on PostgreSQL, with the SQL both
//! engines share (`*_sql.rs`).
//!
//! **Writers take turns across servers.** Every write transaction first
//! locks the `counters` row of the server sequence (`FOR UPDATE`) and keeps
//! it until it ends, so writes run one at a time over all the servers on
//! the database, as SQLite's single writer runs them: sequence numbers
//! commit in order (see `postgres.rs`), a push judges against every push
//! committed before it, and two servers given the same device's batch
//! (a retry that reached the other one) carry it out one after the other,
//! the second finding it stored. Each server still gathers its own
//! waiting pushes into one transaction (`push_sql::PushQueue`).
//!
//! **Reads** take a pooled connection; a read made of several queries (a
//! pull page and its cursor, a case and its history) runs in one
//! `REPEATABLE READ` snapshot.
//!
//! **Evidence files** live in a directory (`--data-dir`'s `blobs/`) that
//! every server on the database must share (a network file system): the
//! database holds which cases name which blobs, the directory the bytes.
//!
//! **What each server keeps for itself** is only a cache or a courtesy: the
//! login limiter's counts and the queue of its own pushes. Nothing a
//! request's answer depends on lives in one process.

use super::administration::{Administration, DiscardOutcome};
use super::blobs::BlobStore;
use super::config::{self, CALENDAR, CATEGORIES, SETTINGS};
use super::db::Db;
use super::postgres::PgStore;
use super::postgres_db::Isolation;
use super::push_sql::{self, PushJob, Rules};
use super::{
    AuditEntry, BlobRef, CaseFilter, CheckReport, Config, Credentials, DeviceClaim, NewUser,
    PullPage, SessionRow, Store, StoreError, StoreResult,
};
use super::{accounts_sql, admin_sql, audit_sql, blobs_sql, cases_sql, pull_sql};
use chrono::{DateTime, Utc};
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

impl PgStore {
    /// Writes the default settings, categories and calendar once, for a
    /// database that is to serve (a migration copies them instead).
    pub fn seed(&self) -> StoreResult<()> {
        self.write(|tx| config::seed_config(tx))
    }

    /// Runs `change` in a write transaction, after the writer lock, and
    /// commits it if it succeeds.
    fn write<T>(&self, change: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.connection()?;
        let tx = conn.transaction(Isolation::ReadCommitted)?;
        tx.query_one(
            "SELECT value FROM counters WHERE name = 'server_seq' FOR UPDATE",
            &[],
        )?;
        let out = change(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `read` in one snapshot.
    fn snapshot<T>(&self, read: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.connection()?;
        let tx = conn.transaction(Isolation::RepeatableRead)?;
        let out = read(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Carries out a group of pushes in one write transaction and answers
    /// each once it committed.
    fn push_group(&self, jobs: Vec<PushJob>) {
        push_sql::answer_group(jobs, |jobs| {
            self.write(|tx| {
                let config = config::load_config(tx)?;
                let properties = config::load_properties(tx)?;
                push_sql::run_group(tx, &config, &properties, jobs)
            })
        })
    }
}

impl Store for PgStore {
    fn create_user(
        &self,
        user: NewUser,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<User> {
        self.write(|tx| accounts_sql::create_user(tx, user, now, audit))
    }

    fn user_by_login(&self, login: &str) -> StoreResult<Option<Credentials>> {
        accounts_sql::user_by_login(&self.connection()?, login)
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

    fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        accounts_sql::user(&self.connection()?, id)
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        accounts_sql::load_users(&self.connection()?)
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
        accounts_sql::devices(&self.connection()?)
    }

    fn revoke_device(&self, id: DeviceId, audit: &AuditEntry) -> StoreResult<()> {
        self.write(|tx| accounts_sql::revoke_device(tx, id, audit))
    }

    fn session(&self, hash: &str) -> StoreResult<Option<SessionRow>> {
        accounts_sql::session(&self.connection()?, hash)
    }

    fn revoke_token(&self, hash: &str) -> StoreResult<()> {
        self.write(|tx| accounts_sql::revoke_token(tx, hash))
    }

    fn put_property(&self, property: &Property, audit: &AuditEntry) -> StoreResult<()> {
        self.write(|tx| config::put_property(tx, property, audit))
    }

    fn properties(&self) -> StoreResult<Vec<Property>> {
        config::load_properties(&self.connection()?)
    }

    fn config(&self) -> StoreResult<Config> {
        self.snapshot(config::load_config)
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
                self.push_group(group)
            })
    }

    fn epoch(&self) -> StoreResult<u64> {
        cases_sql::read_epoch(&self.connection()?)
    }

    fn pull(&self, scope: &Scope, after: i64, limit: u32) -> StoreResult<PullPage> {
        self.snapshot(|tx| pull_sql::pull(tx, scope, after, limit))
    }

    fn quarantine(&self) -> StoreResult<Vec<QuarantineEntry>> {
        cases_sql::quarantine(&self.connection()?)
    }

    fn case(&self, id: CaseId) -> StoreResult<Option<(PropertyId, Case)>> {
        self.snapshot(|tx| cases_sql::case(tx, id))
    }

    fn cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Page<CaseSummary>> {
        self.snapshot(|tx| cases_sql::cases(tx, scope, filter, now))
    }

    fn op_count(&self) -> StoreResult<u64> {
        cases_sql::op_count(&self.connection()?)
    }

    fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    fn blob_refs(&self, scope: &Scope, hash: &BlobHash) -> StoreResult<Vec<BlobRef>> {
        blobs_sql::blob_refs(&self.connection()?, scope, hash)
    }

    fn audit(&self, entry: AuditEntry) -> StoreResult<()> {
        audit_sql::write_audit(&self.connection()?, &entry)
    }

    fn backup(&self, _path: &Path) -> StoreResult<u64> {
        Err(StoreError::Conflict(
            "a PostgreSQL database is backed up with PostgreSQL's own tools (pg_dump, or base \
             backups with WAL archiving for point-in-time recovery); copy the blob directory \
             beside it"
                .into(),
        ))
    }

    fn check(&self) -> StoreResult<CheckReport> {
        let conn = self.connection()?;
        let mut problems = Vec::new();
        let orphans: i64 = conn
            .query_one(
                "SELECT count(DISTINCT case_id) FROM ops WHERE case_id NOT IN (SELECT id FROM cases)",
                &[],
            )?
            .get(0)?;
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
        let missing_blobs = blobs_sql::referenced(&conn)?
            .into_iter()
            .filter(|h| !self.blobs.has(h))
            .map(|h| h.to_string())
            .collect();
        Ok(CheckReport {
            problems,
            missing_blobs,
        })
    }
}

impl Administration for PgStore {
    fn category_codes_in_use(&self) -> StoreResult<Vec<String>> {
        admin_sql::category_codes_in_use(&self.connection()?)
    }

    fn quarantine_record(&self, id: i64) -> StoreResult<Option<QuarantineRecord>> {
        admin_sql::quarantine_record(&self.connection()?, id)
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
        admin_sql::audit_log(&self.connection()?, limit, before)
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

#[cfg(test)]
mod tests {
    use super::super::postgres::{PgStore, test_database};
    use super::super::test_support::{device, register, staff};
    use super::super::{Store, StoreError};
    use chrono::Utc;
    use shared::case::NoteKind;
    use shared::id::OpId;
    use shared::op::{Action, Op};
    use std::sync::{Arc, Barrier};

    fn server(url: &str, blobs: &std::path::Path) -> PgStore {
        let store = PgStore::open(url, 4, test_database::ca().as_deref(), blobs).expect("open");
        store.seed().expect("seed");
        store
    }

    /// A retry that reaches the other server while the first is still
    /// carrying the batch out: the writer lock makes the second wait and
    /// then find every op stored, so both answer the same and nothing is
    /// stored twice. Without the lock both judge the batch new and the
    /// second fails on the ops' unique keys.
    #[test]
    fn the_same_batch_pushed_to_two_servers_at_once_is_stored_once() {
        let Some(url) = test_database::fresh() else {
            return;
        };
        let blobs = tempfile::tempdir().expect("temp dir");
        let first = Arc::new(server(&url, blobs.path()));
        let second = Arc::new(server(&url, blobs.path()));
        let (property, user) = staff(&*first);
        let (tablet, number) = device(&*first, &user);
        let reg = register(&property, &user, tablet, number);
        let mut batch: Vec<Op> = vec![reg.clone()];
        for n in 0..30u32 {
            let mut note = reg.clone();
            note.id = OpId(uuid::Uuid::now_v7());
            note.seq = u64::from(n) + 2;
            note.hlc.counter += n + 1;
            note.action = Action::Note {
                note_kind: NoteKind::General,
                text: format!("第{n}次联系"),
            };
            batch.push(note);
        }
        let ceiling = Utc::now() + chrono::Duration::minutes(5);
        let start = Arc::new(Barrier::new(2));
        let pushes: Vec<_> = [first.clone(), second.clone()]
            .into_iter()
            .map(|store| {
                let (batch, user, start) = (batch.clone(), user.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    store.push(tablet, &user, batch, Utc::now(), ceiling)
                })
            })
            .collect();
        for push in pushes {
            let answer: Result<_, StoreError> = push.join().expect("push thread");
            let answer = answer.expect("both servers answer");
            assert_eq!(answer.acked_seq, 31);
            assert!(answer.quarantined.is_empty(), "{answer:?}");
        }
        assert_eq!(first.op_count().expect("count"), 31);
        assert!(second.quarantine().expect("quarantine").is_empty());
        let (_, case) = second.case(reg.case_id).expect("read").expect("the case");
        assert_eq!(case.notes.len(), 30);
    }
}
