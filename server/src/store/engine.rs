//! What sets one database engine's store apart from another's, and the
//! [`Store`] and [`Administration`] every such store is: an [`Engine`]
//! hands out connections and transactions ([`Db`]), carries out a group of
//! pushes in its write transaction, and does what only it can (a backup,
//! its own integrity check); every other method is the shared SQL
//! (`*_sql.rs`) run on what it hands out, written here once.

use super::administration::{Administration, DiscardOutcome, Replaced};
use super::blobs::BlobStore;
use super::config::{self, CALENDAR, SETTINGS};
use super::db::Db;
use super::push_sql::{self, PushJob, PushQueue, Rules};
use super::{
    AuditEntry, BlobRefs, CaseFilter, CheckReport, Config, Credentials, DeviceClaim, DeviceLogin,
    NewUser, PullEnd, PullSink, Pusher, Queued, SessionRow, Store, StoreError, StoreResult,
    UserProfile, reports,
};
use super::{
    accounts_sql, admin_sql, audit_sql, blobs_sql, cases_sql, fold_sql, limits_sql, pull_sql,
};
use crate::login_limit::Attempt;
use chrono::{DateTime, Duration, Utc};
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
use shared::wire::ConfigKey;
use shared::wire::{CaseSummary, Page};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A database engine's store.
pub(super) trait Engine: reports::Reports + Send + Sync + 'static {
    /// Runs `read` on a connection that sees every write committed before.
    fn read<T>(&self, read: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T>;

    /// Runs `read` in one snapshot: for a read of several queries.
    fn snapshot<T>(&self, read: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T>;

    /// Runs `change` in a write transaction, one writer at a time, and
    /// commits it if it succeeds.
    fn write<T>(&self, change: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T>;

    /// The pushes waiting for the writer.
    fn push_queue(&self) -> &PushQueue;

    /// Carries out a group of pushes in one write transaction
    /// (`push_sql::run_group`), or each alone if that fails once begun, and
    /// answers each once it committed (`push_sql::answer_group`). Whether
    /// the transaction began is what tells a failure of the database from
    /// one of a push.
    fn push_group(&self, jobs: Vec<PushJob>) {
        let run = |jobs: &[PushJob]| {
            let begun = std::cell::Cell::new(false);
            self.write(|tx| {
                begun.set(true);
                let config = config::load_config(tx)?;
                let properties = config::load_properties(tx)?;
                push_sql::run_group(tx, &config, &properties, jobs)
            })
            .map_err(|e| match begun.get() {
                true => push_sql::Failed::Begun(e),
                false => push_sql::Failed::Unbegun(e),
            })
        };
        push_sql::answer_group(jobs, run, |job| {
            run(std::slice::from_ref(job))
                .map(|mut answers| answers.remove(0))
                .map_err(push_sql::Failed::into_error)
        })
    }

    /// The evidence files.
    fn blob_store(&self) -> &BlobStore;

    /// See [`Store::backup`].
    fn backup_to(&self, path: &Path) -> StoreResult<u64>;

    /// The engine's own check of its database: damage found, if any.
    fn integrity_problems(&self) -> StoreResult<Vec<String>>;
}

impl<E: Engine> Store for E {
    fn create_user(
        &self,
        user: NewUser,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<User> {
        self.write(|tx| accounts_sql::create_user(tx, user, now, audit))
    }

    fn create_users(
        &self,
        users: Vec<(NewUser, AuditEntry)>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<User>> {
        self.write(|tx| {
            users
                .into_iter()
                .map(|(user, audit)| accounts_sql::create_user(tx, user, now, &audit))
                .collect()
        })
    }

    fn user_by_login(&self, login: &str) -> StoreResult<Option<Credentials>> {
        self.read(|db| accounts_sql::user_by_login(db, login))
    }

    fn password_changed_in(&self, user: UserId) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        self.read(|db| accounts_sql::password_changed_in(db, user))
    }

    fn set_password(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
        keep: Option<&str>,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        self.write(|tx| accounts_sql::set_password(tx, id, hash, must_change, keep, audit))
    }

    fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        self.read(|db| accounts_sql::user(db, id))
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        self.read(accounts_sql::load_users)
    }

    fn set_user_active(&self, id: UserId, active: bool, audit: &AuditEntry) -> StoreResult<()> {
        self.write(|tx| accounts_sql::set_user_active(tx, id, active, audit))
    }

    fn update_user(
        &self,
        id: UserId,
        profile: UserProfile,
        was: Option<&shared::admin::UserAsRead>,
        audit: &AuditEntry,
    ) -> StoreResult<User> {
        self.write(|tx| accounts_sql::update_user(tx, id, profile, was, audit))
    }

    fn device_proven(&self, device: DeviceId, secret_hash: &str, login: &str) -> StoreResult<bool> {
        self.read(|db| accounts_sql::device_proven(db, device, secret_hash, login))
    }

    fn device_login(
        &self,
        claim: &DeviceClaim,
        user: UserId,
        token: (&str, DateTime<Utc>),
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<DeviceLogin> {
        self.write(|tx| accounts_sql::device_login(tx, claim, user, token, now, audit))
    }

    fn devices(&self) -> StoreResult<Vec<DeviceInfo>> {
        self.read(accounts_sql::devices)
    }

    fn device_users(&self, device: DeviceId) -> StoreResult<Vec<User>> {
        self.read(|db| accounts_sql::device_users(db, device))
    }

    fn record_keys(&self, device: DeviceId) -> StoreResult<BTreeMap<UserId, String>> {
        self.read(|db| accounts_sql::record_keys(db, device))
    }

    fn record_key(&self, device: DeviceId, user: UserId, fresh: &str) -> StoreResult<String> {
        self.write(|tx| accounts_sql::user_key(tx, device, user, fresh))
    }

    fn revoke_device(&self, id: DeviceId, audit: &AuditEntry) -> StoreResult<()> {
        self.write(|tx| accounts_sql::revoke_device(tx, id, audit))
    }

    fn session(&self, hash: &str) -> StoreResult<Option<SessionRow>> {
        self.read(|db| accounts_sql::session(db, hash))
    }

    fn renew_token(&self, hash: &str, until: DateTime<Utc>) -> StoreResult<()> {
        self.write(|tx| accounts_sql::renew_token(tx, hash, until))
    }

    fn revoke_token(&self, hash: &str, audit: &AuditEntry) -> StoreResult<()> {
        self.write(|tx| accounts_sql::revoke_token(tx, hash, audit))
    }

    fn login_wait(&self, attempt: &Attempt, now: DateTime<Utc>) -> StoreResult<Option<Duration>> {
        self.read(|db| limits_sql::login_wait(db, attempt, now))
    }

    fn count_login(
        &self,
        attempt: &Attempt,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<(), Duration>> {
        self.write(|tx| limits_sql::count_login(tx, attempt, now))
    }

    fn login_succeeded(&self, attempt: &Attempt) -> StoreResult<()> {
        self.write(|tx| limits_sql::login_succeeded(tx, attempt))
    }

    fn revision(&self, key: ConfigKey) -> StoreResult<i64> {
        self.read(|db| config::revision(db, key.code()))
    }

    fn put_property(
        &self,
        property: &Property,
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> StoreResult<i64> {
        self.write(|tx| config::put_property(tx, property, expected, audit))
    }

    fn properties(&self) -> StoreResult<Vec<Property>> {
        self.read(config::load_properties)
    }

    fn config(&self) -> StoreResult<Config> {
        self.snapshot(config::load_config)
    }

    fn put_settings(
        &self,
        settings: &Settings,
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> StoreResult<(i64, Settings)> {
        self.write(|tx| {
            let stored = config::load_config(tx)?.settings;
            // The time the new rules start is taken in the write: an op
            // pushed while this save waited for it was judged by the old.
            let now = chrono::Utc::now().max(audit.at);
            let settings = settings.clone().replacing(&stored, now);
            let json = serde_json::to_string(&settings)?;
            let mut audit = audit.clone();
            audit.detail = serde_json::json!({ "old": stored, "new": settings });
            let revision = config::put_config_json(tx, (SETTINGS, expected), json, &audit)?;
            Ok((revision, settings))
        })
    }

    fn put_categories(
        &self,
        categories: &[Category],
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> StoreResult<i64> {
        self.write(|tx| config::put_categories(tx, categories, expected, audit))
    }

    fn put_calendar(
        &self,
        calendar: &Calendar,
        expected: Option<i64>,
        audit: &AuditEntry,
    ) -> StoreResult<i64> {
        let json = serde_json::to_string(calendar)?;
        self.write(|tx| config::put_config_json(tx, (CALENDAR, expected), json, audit))
    }

    fn refold_stale(&self, after: Option<CaseId>, limit: usize) -> StoreResult<Option<CaseId>> {
        self.write(|tx| fold_sql::refold_stale(tx, after, limit))
    }

    fn forget_deleted_in_quarantine(&self) -> StoreResult<usize> {
        self.write(admin_sql::forget_deleted_in_quarantine)
    }

    fn queue_push(
        &self,
        pusher: Pusher<'_>,
        ops: Vec<Op>,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
    ) -> StoreResult<Queued> {
        self.push_queue().queue(pusher, ops, (now, ceiling))
    }

    fn carry_out_pushes(&self) {
        self.push_queue().carry_out(|group| self.push_group(group))
    }

    fn epoch(&self) -> StoreResult<u64> {
        self.read(cases_sql::read_epoch)
    }

    fn start_epoch(&self, audit: &AuditEntry) -> StoreResult<u64> {
        self.write(|tx| cases_sql::start_epoch(tx, audit))
    }

    fn pull(
        &self,
        scope: &Scope,
        after: i64,
        limit: u32,
        each: &mut PullSink<'_>,
    ) -> StoreResult<PullEnd> {
        self.snapshot(|tx| pull_sql::pull(tx, scope, after, limit, each))
    }

    fn quarantine(&self, limit: u32, after: Option<i64>) -> StoreResult<Vec<QuarantineEntry>> {
        self.read(|db| cases_sql::quarantine(db, limit, after))
    }

    fn settled_refusals(
        &self,
        pusher: (DeviceId, UserId),
        ops: &[shared::id::OpId],
    ) -> StoreResult<Vec<shared::wire::SettledRefusal>> {
        self.read(|db| admin_sql::settled_refusals(db, pusher, ops))
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
        self.read(cases_sql::op_count)
    }

    fn blobs(&self) -> &BlobStore {
        self.blob_store()
    }

    fn blob_refs(&self, scope: &Scope, hash: &BlobHash) -> StoreResult<BlobRefs> {
        self.read(|db| blobs_sql::blob_refs(db, scope, hash))
    }

    fn blob_recorded_by(
        &self,
        device: DeviceId,
        user: UserId,
        hash: &BlobHash,
    ) -> StoreResult<Option<(u64, String)>> {
        self.read(|db| blobs_sql::recorded_by(db, device, user, hash))
    }

    fn blob_discarded(&self, device: Option<DeviceId>, hash: &BlobHash) -> StoreResult<bool> {
        self.read(|db| blobs_sql::discarded_on(db, device, hash))
    }

    fn keep_blob_if_referenced(&self, hash: &BlobHash) -> StoreResult<bool> {
        // A read first: a deletion not yet committed when it looks will
        // find the file whole and remove it itself (`admin_sql::remove_blobs`).
        if self
            .read(|db| blobs_sql::unreferenced(db, &[*hash]))?
            .is_empty()
        {
            return Ok(true);
        }
        self.write(|tx| {
            let referenced = blobs_sql::unreferenced(tx, &[*hash])?.is_empty();
            if !referenced {
                self.blob_store()
                    .remove(hash)
                    .map_err(|e| StoreError::Internal(format!("remove blob {hash}: {e}")))?;
            }
            Ok(referenced)
        })
    }

    fn audit(&self, entry: AuditEntry) -> StoreResult<()> {
        self.write(|tx| audit_sql::write_audit(tx, &entry))
    }

    fn backup(&self, path: &Path) -> StoreResult<u64> {
        self.backup_to(path)
    }

    fn check(&self) -> StoreResult<CheckReport> {
        let mut problems = self.integrity_problems()?;
        let orphans: i64 = self.read(|db| {
            db.query_one(
                "SELECT count(DISTINCT case_id) FROM ops WHERE case_id NOT IN (SELECT id FROM cases)",
                &[],
            )?
            .get(0)
        })?;
        if orphans > 0 {
            problems.push(format!(
                "{orphans} case(s) with ops but no materialized row"
            ));
        }
        let blobs = self.blob_store();
        let io = |e: std::io::Error| StoreError::Internal(format!("read the blobs: {e}"));
        problems.extend(
            blobs
                .verify()
                .map_err(io)?
                .into_iter()
                .map(|d| format!("blob {}: {}", d.name, d.problem)),
        );
        let stored = blobs.list_with_partial().map_err(io)?;
        let referenced: BTreeSet<BlobHash> =
            self.read(blobs_sql::referenced)?.into_iter().collect();
        // A referenced blob the server never had may still come from its
        // tablet; one the audit log says was uploaded is lost (a blob
        // directory not restored with the database, a disk that failed),
        // and no tablet will send it again: tablets let go of photos the
        // server holds.
        let uploaded = self.read(blobs_sql::audited_uploads)?;
        let mut missing_blobs = Vec::new();
        for hash in referenced.iter().filter(|h| !blobs.has(h)) {
            if uploaded.contains(hash) {
                problems.push(format!(
                    "blob {hash} was uploaded (the audit log says so) but is missing: \
                     restore it from a backup's .blobs directory"
                ));
            } else {
                missing_blobs.push(hash.to_string());
            }
        }
        let unreferenced_blobs = stored
            .iter()
            .filter(|h| !referenced.contains(h))
            .map(|h| h.to_string())
            .collect();
        Ok(CheckReport {
            problems,
            missing_blobs,
            unreferenced_blobs,
        })
    }
}

/// Runs `judge` in a write transaction with the rules of the push judge
/// (the configuration and properties) read in it.
fn judged<E: Engine, T>(
    engine: &E,
    (now, ceiling): (DateTime<Utc>, DateTime<Utc>),
    judge: impl FnOnce(&dyn Db, &Rules<'_>) -> StoreResult<T>,
) -> StoreResult<T> {
    engine.write(|tx| {
        let config = config::load_config(tx)?;
        let properties = config::load_properties(tx)?;
        let rules = Rules {
            config: &config,
            properties: &properties,
            ceiling,
            skew: push_sql::skew(now, ceiling),
        };
        judge(tx, &rules)
    })
}

impl<E: Engine> Administration for E {
    fn quarantine_record(&self, id: i64) -> StoreResult<Option<QuarantineRecord>> {
        self.read(|db| admin_sql::quarantine_record(db, id))
    }

    fn reapply_quarantined(
        &self,
        id: i64,
        by: UserId,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<ReapplyOutcome> {
        judged(self, (now, ceiling), |tx, rules| {
            admin_sql::reapply_quarantined(
                tx,
                rules,
                id,
                (by, now),
                audit,
                admin_sql::Bringer::List,
            )
        })
    }

    fn reapply_imported(
        &self,
        device: DeviceId,
        seqs: &[u64],
        by: UserId,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<Vec<(u64, ReapplyOutcome)>> {
        judged(self, (now, ceiling), |tx, rules| {
            admin_sql::reapply_imported(tx, rules, (device, seqs), (by, now), audit)
        })
    }

    fn replace_unproven(&self, ops: &[Op]) -> StoreResult<Vec<Replaced>> {
        self.write(|tx| admin_sql::replace_unproven(tx, ops))
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
        self.read(|db| admin_sql::audit_log(db, limit, before))
    }

    fn delete_case(
        &self,
        id: CaseId,
        judge: bool,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<Result<DeletedCase, RetentionRefusal>> {
        let deleted = self.write(|tx| admin_sql::delete_case(tx, id, judge, now, audit))?;
        let Ok((deleted, unreferenced)) = deleted else {
            return Ok(deleted.map(|(deleted, _)| deleted));
        };
        // Only once the deletion is committed: a failure before leaves the
        // case and its files. A failure now leaves files nothing
        // references, so the deletion still answers that it is done.
        if !unreferenced.is_empty()
            && let Err(e) =
                self.write(|tx| admin_sql::remove_blobs(tx, self.blob_store(), &unreferenced))
        {
            tracing::warn!(case = %id, error = %e, "could not remove the deleted case's blobs");
        }
        Ok(Ok(deleted))
    }
}
