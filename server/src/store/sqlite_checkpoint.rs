//! The WAL's checkpoints, on a thread of their own.
//!
//! By default SQLite copies the WAL back into the database file inside the
//! commit that takes the WAL past 1,000 pages: the writer, and with it
//! every push queued behind it, waits for that copy. The writer here never
//! checkpoints (`wal_autocheckpoint = 0`, set in `sqlite.rs`); this thread
//! runs a PASSIVE checkpoint every [`PERIOD`] on its own connection, which
//! copies what no reader still needs and waits for neither the writer nor
//! any reader. With 200 devices pushing at once, this took the push
//! latency's p50 from about 111 to 88 ms on the bench machine
//! (BENCHMARKS.md). The thread runs niced, as the bulk reads do: with it
//! at the writer's priority, the same bench's p99 was 105–115 ms, niced
//! 74–105 ms.

use super::StoreResult;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the WAL is checkpointed: the WAL holds at most about this
/// long's writes beyond what readers still need.
const PERIOD: Duration = Duration::from_millis(250);

/// The checkpointing thread; dropping this stops it and closes its
/// connection.
pub struct Checkpointer {
    /// Closed on drop, which ends the thread's wait.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// How many checkpoints it ran: the tests wait on it.
    #[cfg_attr(not(test), expect(dead_code))]
    runs: Arc<AtomicU64>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` (already in WAL mode).
    pub fn start(path: &Path) -> StoreResult<Checkpointer> {
        let conn = Connection::open(path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let runs = Arc::new(AtomicU64::new(0));
        let counted = runs.clone();
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                // Copying pages back can wait; the writer and the requests
                // should not wait for it to be scheduled.
                crate::bulk::lower_priority();
                // Said when it starts failing and when it works again: a
                // full disk fails it four times a second, for hours.
                let mut failing = false;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(PERIOD) {
                    // A failed checkpoint leaves the WAL to the next one.
                    match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        Err(e) if !failing => {
                            tracing::warn!("WAL checkpoint: {e} (said again once it works)");
                            failing = true;
                        }
                        Ok(()) if failing => {
                            tracing::info!("WAL checkpoint works again");
                            failing = false;
                        }
                        _ => {}
                    }
                    counted.fetch_add(1, Ordering::Relaxed);
                }
            })
            .map_err(|e| super::StoreError::Internal(format!("start the checkpointer: {e}")))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
            runs,
        })
    }

    /// How many checkpoints it ran so far.
    #[cfg(test)]
    fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::db::Value;
    use super::super::engine::Engine;
    use super::super::sqlite::SqliteStore;

    /// Waits until the store's checkpointer has run twice more: the
    /// second run began after everything written so far.
    fn await_checkpoints(store: &SqliteStore) {
        let start = store._checkpointer.runs();
        while store._checkpointer.runs() < start + 2 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[test]
    fn the_wal_stays_bounded_though_the_writer_never_checkpoints() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cases.db");
        let store = SqliteStore::open(&path).expect("open");
        let wal = dir.path().join("cases.db-wal");
        store
            .write(|tx| tx.batch("CREATE TABLE scratch (text TEXT NOT NULL)"))
            .expect("create");
        // Each round writes about 2 MiB, in commits of 64 KiB; the writer's
        // WAL would pass 10 MiB over the rounds without checkpoints.
        let text = "投诉".repeat(64 * 1024 / 6);
        for _ in 0..5 {
            for _ in 0..32 {
                store
                    .write(|tx| {
                        tx.execute(
                            "INSERT INTO scratch (text) VALUES (?1)",
                            &[Value::from(&text)],
                        )
                    })
                    .expect("insert");
            }
            await_checkpoints(&store);
        }
        let size = std::fs::metadata(&wal).expect("the WAL").len();
        assert!(
            size < 5 * 1024 * 1024,
            "the WAL holds {size} bytes: the checkpoints did not keep up"
        );
    }
}
