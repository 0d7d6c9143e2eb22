//! The PostgreSQL [`Engine`]: how the store's shared SQL (`*_sql.rs`,
//! `engine.rs`) gets its connections and transactions on PostgreSQL.
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
//! A server's own writers first take turns in the process
//! (`PgStore::writing`), and only then take a connection: while another
//! server holds the lock, they would otherwise each hold one of the pool's
//! connections waiting, until the reads (every request's session among
//! them) found none left.
//!
//! **Reads** take a pooled connection; a read made of several queries (a
//! pull page and its cursor, a case and its history) runs in one
//! `REPEATABLE READ` snapshot.
//!
//! **Evidence files** live in a directory (`--data-dir`'s `blobs/`) that
//! every server on the database must share (a network file system): the
//! database holds which cases name which blobs, the directory the bytes.
//!
//! **What each server keeps for itself** is only the queue of its own
//! pushes. Nothing a request's answer depends on lives in one process:
//! the login limiter's counts are in the database too.

use super::blobs::BlobStore;
use super::config;
use super::db::Db;
use super::engine::Engine;
use super::postgres::PgStore;
use super::postgres_db::Isolation;
use super::push_sql::PushQueue;
use super::{StoreError, StoreResult};
use std::path::Path;

impl PgStore {
    /// Writes the default settings, categories and calendar once, for a
    /// database that is to serve (a migration copies them instead).
    pub fn seed(&self) -> StoreResult<()> {
        self.write(|tx| config::seed_config(tx))
    }
}

impl Engine for PgStore {
    fn read<T>(&self, read: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T> {
        read(&self.connection()?)
    }

    fn snapshot<T>(&self, read: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.connection()?;
        let tx = conn.transaction(Isolation::RepeatableRead)?;
        let out = read(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// After the writer lock: see the module's comment.
    fn write<T>(&self, change: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T> {
        let _turn = self.writing.lock().unwrap_or_else(|e| e.into_inner());
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

    fn push_queue(&self) -> &PushQueue {
        &self.pushes
    }

    fn blob_store(&self) -> &BlobStore {
        &self.blobs
    }

    fn backup_to(&self, _path: &Path) -> StoreResult<u64> {
        Err(StoreError::Conflict(
            "a PostgreSQL database is backed up with PostgreSQL's own tools (pg_dump, or base \
             backups with WAL archiving for point-in-time recovery); copy the blob directory \
             beside it"
                .into(),
        ))
    }

    /// PostgreSQL checks its pages itself (checksums, `amcheck`, run by
    /// whoever runs the database); the store's own checks are the shared
    /// ones.
    fn integrity_problems(&self) -> StoreResult<Vec<String>> {
        Ok(Vec::new())
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
        assert!(
            second
                .quarantine(1000, None)
                .expect("quarantine")
                .is_empty()
        );
        let (_, case) = second.case(reg.case_id).expect("read").expect("the case");
        assert_eq!(case.notes.len(), 30);
    }
}
