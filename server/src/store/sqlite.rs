//! The SQLite backend: one file, WAL mode, foreign keys on.
//!
//! One writer connection behind a mutex serializes writers (pushes and admin
//! changes). That is also what makes the pull cursor exact: server sequence
//! numbers are handed out inside the write transaction, so a reader never
//! sees number `n + 1` committed before `n`. Everything that only reads
//! takes a read-only connection from a small pool (`sqlite_readers.rs`), so
//! statistics, exports and pulls never hold up a push; nor does copying
//! the WAL back, which a thread of its own does (`sqlite_checkpoint.rs`).
//!
//! The store is an [`Engine`]: the SQL both engines share (`*_sql.rs`) runs
//! on the connections and transactions it hands out, and `engine.rs` makes
//! that a `Store`. What only SQLite does is here (the backup, the integrity
//! pragmas), in `sqlite_reports.rs` and in `sqlite_restore.rs`.

use super::blobs::BlobStore;
use super::config;
use super::db::Db;
use super::engine::Engine;
use super::push_sql::PushQueue;
use super::sqlite_checkpoint::Checkpointer;
use super::sqlite_readers::{self, Reader, Readers};
use super::{StoreError, StoreResult, backup_blobs_dir, schema};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The SQLite store.
pub struct SqliteStore {
    /// The one connection that writes.
    conn: Mutex<Connection>,
    /// Pushes waiting for the writer, carried out a group at a time
    /// (`push_sql::PushQueue`).
    pushes: PushQueue,
    /// The read-only connections.
    readers: Readers,
    /// Copies the WAL back into the database file; kept for its thread,
    /// which stops when the store is dropped.
    pub(super) _checkpointer: Checkpointer,
    /// The blob directory, `blobs/` beside the database file.
    pub(super) blobs: BlobStore,
}

/// Times are stored as RFC 3339 UTC with milliseconds, so that text order
/// is time order and SQL can compare them directly.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Refuses a database (`what`) of a newer schema than this build's: an
/// older server would write to a schema it does not know (columns it
/// leaves empty, rules it does not keep).
pub(super) fn not_newer(conn: &Connection, what: &str) -> StoreResult<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > schema::latest() {
        return Err(StoreError::Internal(format!(
            "{what} is at schema version {version}, newer than this server's {}: \
             run the newer server",
            schema::latest()
        )));
    }
    Ok(())
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

/// What the WAL file is cut back to when it starts over (`journal_size_limit`).
const WAL_KEPT_BYTES: i64 = 64 * 1024 * 1024;

impl SqliteStore {
    /// Opens (or creates) the database at `path` and migrates it.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // FULL: a commit is on disk before the push is answered. NORMAL
        // would survive a crash of the process but not of the machine (a
        // power cut): the last acknowledged pushes would be gone, their
        // tablets would not send them again (an acknowledgement never
        // moves back), and their server sequence numbers would be handed
        // out again to other ops, which tablets that had pulled the lost
        // ones would never pull. Group commit (`PushQueue`) shares
        // each sync among the pushes queued together.
        conn.pragma_update(None, "synchronous", "FULL")?;
        // A statement that changes many rows inside a transaction (a
        // migration's, a retention delete's) keeps the first image of
        // every page it changes in a statement journal, which SQLite
        // spills to a temporary file past 64 KiB. In memory, the journal
        // is never written.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // The checkpointer's thread copies the WAL back, not the writer's
        // commits (`sqlite_checkpoint.rs`).
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // The WAL file keeps the largest size it ever reached (while a
        // statistics run or a backup held a snapshot, it grows with every
        // commit): once it starts over, it is cut back to this.
        conn.pragma_update(None, "journal_size_limit", WAL_KEPT_BYTES)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        sqlite_readers::prepare_once(&conn)?;
        not_newer(&conn, "the database")?;
        schema::migrate(&mut conn)?;
        let root = path.parent().unwrap_or(Path::new(".")).join("blobs");
        let blobs = BlobStore::open(&root)
            .map_err(|e| StoreError::Internal(format!("open {}: {e}", root.display())))?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
            pushes: PushQueue::default(),
            readers: Readers::new(path, READERS),
            _checkpointer: Checkpointer::start(path)?,
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

    /// The body of a backup: the database and its blobs written under
    /// their partial names, then renamed into place.
    fn write_backup(
        &self,
        partial: &Path,
        partial_blobs: &Path,
        blob_dir: &Path,
        path: &Path,
    ) -> StoreResult<u64> {
        let partial_text = partial
            .to_str()
            .ok_or_else(|| StoreError::Internal("backup path is not UTF-8".into()))?;
        self.read()?.execute("VACUUM INTO ?1", [partial_text])?;
        // SQLite does not sync what `VACUUM INTO` writes.
        std::fs::File::open(partial)
            .and_then(|f| f.sync_all())
            .map_err(io_at(partial))?;
        // Blobs are never changed once whole, so copying them after the
        // database is consistent: every blob the copy references and the
        // server held is there (and perhaps a few newer ones).
        let copied = self
            .blobs
            .copy_to(partial_blobs)
            .map_err(io_at(partial_blobs))?;
        std::fs::rename(partial_blobs, blob_dir).map_err(io_at(blob_dir))?;
        std::fs::rename(partial, path).map_err(io_at(path))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)
                .and_then(|f| f.sync_all())
                .map_err(io_at(dir))?;
        }
        Ok(copied)
    }
}

/// An IO error of a backup or restore, naming the path it failed on.
fn io_at(what: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let what = what.display().to_string();
    move |e| StoreError::Internal(format!("{what}: {e}"))
}

impl Engine for SqliteStore {
    fn read<T>(&self, read: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T> {
        read(&*self.read()?)
    }

    fn snapshot<T>(&self, read: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.read()?;
        let tx = conn.transaction()?;
        read(&tx)
    }

    /// Immediate: the transaction takes the database's write lock at once,
    /// waiting for another process's writer (a command run beside the
    /// server) instead of failing when it finds the database changed under
    /// what it read.
    fn write<T>(&self, change: impl FnOnce(&dyn Db) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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

    fn backup_to(&self, path: &Path) -> StoreResult<u64> {
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Internal("backup path is not UTF-8".into()))?;
        let blob_dir = backup_blobs_dir(path);
        if path.exists() || blob_dir.exists() {
            return Err(StoreError::Conflict(format!("{target} exists")));
        }
        // Written under other names and renamed when whole and on disk: a
        // backup cut off (a full disk, a crash, the machine off) leaves no
        // file that looks like a backup, and the next run starts again.
        let partial = PathBuf::from(format!("{target}.partial"));
        let partial_blobs = backup_blobs_dir(&partial);
        if partial.exists() {
            std::fs::remove_file(&partial).map_err(io_at(&partial))?;
        }
        if partial_blobs.exists() {
            std::fs::remove_dir_all(&partial_blobs).map_err(io_at(&partial_blobs))?;
        }
        let written = self.write_backup(&partial, &partial_blobs, &blob_dir, path);
        if written.is_err() {
            // A backup cut off by a full disk would otherwise keep the
            // disk full until someone found its files by hand; often the
            // same disk as the database, so every push would be refused.
            let _ = std::fs::remove_file(&partial);
            let _ = std::fs::remove_dir_all(&partial_blobs);
            // Its blobs renamed into place, the database not: they would
            // refuse every later backup to this name.
            if !path.exists() {
                let _ = std::fs::remove_dir_all(&blob_dir);
            }
        }
        written
    }

    fn integrity_problems(&self) -> StoreResult<Vec<String>> {
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
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_of_a_newer_server_is_not_opened() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("cases.sqlite3");
        drop(SqliteStore::open(&path).expect("a new store"));
        let newer = schema::latest() + 1;
        Connection::open(&path)
            .and_then(|c| c.pragma_update(None, "user_version", newer))
            .expect("mark the schema newer");
        let refused = SqliteStore::open(&path).err().map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains(&format!("schema version {newer}"))),
            "{refused:?}"
        );
    }
}
