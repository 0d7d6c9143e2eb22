//! The read-only connections of the SQLite store.
//!
//! Statistics over a year of cases take seconds; an export streams for as
//! long. On the one connection that pushes use, a push would wait behind
//! them. So every method that only reads (statistics, exports, case lists
//! and reads, pulls, sessions, the admin lists) takes a connection from
//! [`Readers`], and the single writer connection serves pushes and admin
//! writes alone.
//!
//! Under WAL a reader never blocks the writer nor waits for it: it sees the
//! database as of the start of its read transaction. That keeps what the
//! API relies on:
//! - **Read-your-writes.** A write transaction commits before its answer
//!   is sent, so any read that starts after the answer sees it.
//! - **An exact pull cursor.** Server sequence numbers are handed out inside
//!   the (single) write transaction, so every snapshot holds a prefix of
//!   them; a pull reads the counter and the ops in one read transaction.
//!
//! Connections are opened read-only, so a write sent here by mistake fails
//! loudly instead of racing the writer.

use super::{StoreError, StoreResult};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How many statements each connection keeps prepared. The push path alone
/// uses about twenty distinct statements; the statistics build theirs from
/// the query, so some of those are evicted, which costs only a re-parse.
const STATEMENT_CACHE: usize = 64;

/// How long a read waits for a connection when all are lent, as long as
/// one waits for PostgreSQL's pool (`postgres::POOL_WAIT`).
const READER_WAIT: Duration = Duration::from_secs(30);

/// Keeps `STATEMENT_CACHE` statements prepared on `conn`, and makes them
/// stay prepared: with the query planner stability guarantee on, SQLite no
/// longer plans a statement for the values bound to it. Without it, a
/// statement whose plan looked at a bound value (SQLite is built with
/// STAT4) is marked expired each time its bindings are cleared, which the
/// statement cache does on every return, so it was parsed and planned
/// again on every use: a tenth of the server's time under many small
/// pushes, most of it in the session lookup.
pub(super) fn prepare_once(conn: &Connection) -> StoreResult<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// A small pool of read-only connections to one database file.
pub(super) struct Readers {
    path: PathBuf,
    /// At most this many connections are open at once; a reader beyond it
    /// waits for one to come back.
    max: usize,
    pool: Mutex<Pool>,
    returned: Condvar,
}

/// A connection borrowed from [`Readers`]; it goes back when dropped.
pub(super) struct Reader<'a> {
    readers: &'a Readers,
    conn: Option<Connection>,
}

struct Pool {
    idle: Vec<Connection>,
    /// Connections open, idle or lent.
    open: usize,
}

impl Readers {
    /// A pool over the database at `path`, which the writer has already
    /// opened (and so put in WAL mode and migrated). Connections open on
    /// first use.
    pub fn new(path: &Path, max: usize) -> Readers {
        Readers {
            path: path.to_path_buf(),
            max: max.max(1),
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        }
    }

    /// An idle connection, a new one while fewer than `max` are open, or
    /// the next one returned.
    pub fn get(&self) -> StoreResult<Reader<'_>> {
        let deadline = Instant::now() + READER_WAIT;
        let mut pool = self.lock();
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Ok(self.lend(conn));
            }
            if pool.open < self.max {
                pool.open += 1;
                // Opened outside the lock: it reads the file's header.
                drop(pool);
                return match self.open() {
                    Ok(conn) => Ok(self.lend(conn)),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            // Bounded, as PostgreSQL's pool is: with every connection
            // held by long reads, a request fails instead of parking a
            // blocking thread for as long as they last.
            let (guard, _) = self
                .returned
                .wait_timeout(pool, deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|p| p.into_inner());
            pool = guard;
            if Instant::now() >= deadline && pool.idle.is_empty() && pool.open >= self.max {
                return Err(StoreError::Internal(format!(
                    "no read connection came free within {} s",
                    READER_WAIT.as_secs()
                )));
            }
        }
    }

    fn open(&self) -> StoreResult<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A reader waits only while the writer checkpoints or recovers the
        // WAL, which is short; the bound turns a stuck file into an error.
        conn.busy_timeout(Duration::from_secs(10))?;
        prepare_once(&conn)?;
        Ok(conn)
    }

    fn lend(&self, conn: Connection) -> Reader<'_> {
        Reader {
            readers: self,
            conn: Some(conn),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        // The pool holds no invariant a panic could break halfway.
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Deref for Reader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a reader holds its connection until dropped")
    }
}

impl DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("a reader holds its connection until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let mut pool = self.readers.lock();
        // A connection still inside a transaction (left by a panic) would
        // pin an old snapshot for its next user: close it instead.
        if conn.is_autocommit() {
            pool.idle.push(conn);
        } else {
            pool.open -= 1;
            drop(conn);
        }
        drop(pool);
        self.readers.returned.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::super::Store;
    use super::super::sqlite::SqliteStore;
    use super::super::test_support::{device, register, store_with_staff};
    use chrono::Utc;
    use shared::id::DeviceId;
    use shared::property::Property;
    use shared::role::{Scope, User};
    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    /// A store with one property and one staff member logged in on one
    /// device.
    fn store_with_tablet(
        dir: &std::path::Path,
    ) -> (Arc<SqliteStore>, Property, User, DeviceId, u32) {
        let (store, property, user) = store_with_staff(dir);
        let (device, number) = device(&store, &user);
        (Arc::new(store), property, user, device, number)
    }

    fn count(c: &rusqlite::Connection) -> i64 {
        c.query_row("SELECT count(*) FROM ops", [], |r| r.get(0))
            .expect("count ops")
    }

    #[test]
    fn a_push_and_a_pull_answer_while_a_long_read_holds_a_reader() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, property, user, device, number) = store_with_tablet(dir.path());
        // A read transaction held open, as the statistics or an export hold
        // theirs for seconds. With one shared connection the push below
        // would wait for it to end, so the bounded wait fails.
        let mut held = store.read().expect("a reader");
        let snapshot = held.transaction().expect("read transaction");
        assert_eq!(count(&snapshot), 0);

        let op = register(&property, &user, device, number);
        let (send, answer) = mpsc::channel();
        let writer = store.clone();
        std::thread::spawn(move || {
            let now = Utc::now();
            let pushed = writer.push(
                device,
                &user,
                vec![op],
                now,
                now + chrono::Duration::days(1),
            );
            let mut ops = Vec::new();
            let pulled = writer
                .pull(&Scope::All, 0, 100, &mut |op, _, _| {
                    ops.push(op.server_seq);
                    Ok(())
                })
                .map(|end| (ops, end));
            let _ = send.send((pushed, pulled));
        });
        let (pushed, pulled) = answer
            .recv_timeout(Duration::from_secs(30))
            .expect("the push and the pull answer while a reader holds a long read");
        let pushed = pushed.expect("push");
        assert_eq!(
            (pushed.acked_seq, pushed.quarantined.len()),
            (1, 0),
            "{:?}",
            pushed.quarantined
        );
        // Read-your-writes: the pull after the push's answer sees its op.
        let (ops, end) = pulled.expect("pull");
        assert_eq!(ops.len(), 1);
        assert_eq!(end.cursor, ops[0]);

        // The held read keeps its snapshot; a new one sees the push.
        assert_eq!(count(&snapshot), 0);
        drop(snapshot);
        drop(held);
        assert_eq!(count(&store.read().expect("a reader")), 1);
    }

    #[test]
    fn readers_cannot_write() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, ..) = store_with_tablet(dir.path());
        let reader = store.read().expect("a reader");
        assert!(reader.execute("DELETE FROM ops", []).is_err());
    }
}
