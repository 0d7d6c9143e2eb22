//! Long reads (a pull page, the statistics) on threads of their own, at a
//! lower CPU priority than the rest of the server.
//!
//! Every push goes through one writer, so a push's wait is the writer's
//! queue. On a machine with few cores, fifty tablets pulling pages compete
//! for the same cores as that writer and, as plain threads of the blocking
//! pool, each gets an equal share: the writer gets one share of fifty, and
//! the pushes queue behind it. Here the long reads run on as many threads
//! as there are cores, niced (`NICE`), so the scheduler gives the writer and
//! the short requests the CPU first and the reads what is left, which on a
//! machine that is not saturated is all they need. A read waits for a
//! thread in turn instead of all of them sharing the cores at once, which
//! gives the same throughput and a shorter wait for the first ones.
//!
//! The threads lower their own priority; raising it back would need a
//! privilege the server should not have, so they are kept for this work
//! alone instead of being taken from the blocking pool.

use crate::error::ApiError;
use crate::store::StoreError;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, mpsc};

/// How far the bulk-read threads lower their priority below the writer's
/// and the request threads', which then get about three times their CPU
/// share. At 10 (ten times) the pushes beside fifty pullers answered a
/// little faster, but the pulls' slowest went past 100 ms in most runs
/// (BENCHMARKS.md, session 11); at 5 both stayed under it in most runs.
pub const NICE: i32 = 5;

type Job = Box<dyn FnOnce() + Send>;

/// The queue the bulk-read threads take their work from.
fn pool() -> &'static mpsc::Sender<Job> {
    static POOL: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name("bulk-read".into())
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("start a bulk-read thread");
        }
        jobs
    })
}

/// Lowers the calling thread's priority by [`NICE`]: on Linux the nice
/// value is the thread's own. A failure leaves the thread as fast as the
/// others, which is only less fair. The WAL's checkpointer lowers its own
/// too (`store/sqlite_checkpoint.rs`).
pub(crate) fn lower_priority() {
    // SAFETY: nice takes a plain integer and changes only the calling
    // thread's scheduling.
    let failed = unsafe { libc::nice(NICE) } == -1;
    if failed {
        tracing::warn!("could not lower the priority of a background thread");
    }
}

/// Runs a long read on the bulk-read threads and waits for its result. A
/// read that panics answers with an internal error and leaves its thread
/// serving the next.
pub async fn run<T, F>(read: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(read));
        // The request may have gone away meanwhile: nobody to tell.
        let _ = answer.send(result);
    });
    pool()
        .send(job)
        .map_err(|_| ApiError::internal("the bulk-read threads have stopped"))?;
    match answered.await {
        Ok(Ok(result)) => Ok(result?),
        Ok(Err(_)) => Err(ApiError::internal("a read failed unexpectedly")),
        Err(_) => Err(ApiError::internal("a read was dropped unanswered")),
    }
}

/// Starts a long read on the bulk-read threads without waiting for it:
/// for a read that hands its result on as it goes (a pull page). `failed`
/// hears of an error, or of a panic, after which the thread serves the
/// next read.
pub fn start<F, E>(read: F, failed: E) -> Result<(), ApiError>
where
    F: FnOnce() -> Result<(), StoreError> + Send + 'static,
    E: FnOnce(ApiError) + Send + 'static,
{
    let job: Job = Box::new(move || match catch_unwind(AssertUnwindSafe(read)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => failed(e.into()),
        Err(_) => failed(ApiError::internal("a read failed unexpectedly")),
    });
    pool()
        .send(job)
        .map_err(|_| ApiError::internal("the bulk-read threads have stopped"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nice value of the calling thread.
    fn own_nice() -> i32 {
        // SAFETY: getpriority reads the calling thread's nice value.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[tokio::test]
    async fn a_read_runs_on_a_thread_below_the_others_and_gives_its_result() {
        let here = own_nice();
        let (name, nice) = run(|| {
            let name = std::thread::current().name().map(str::to_owned);
            Ok((name, own_nice()))
        })
        .await
        .expect("ran");
        assert_eq!(name.as_deref(), Some("bulk-read"));
        assert_eq!(nice, (here + NICE).min(19));
        assert_eq!(own_nice(), here, "the caller keeps its priority");
        let refused: Result<(), _> = run(|| Err(StoreError::NotFound("case".into()))).await;
        assert!(refused.is_err());
    }

    #[tokio::test]
    async fn a_read_that_panics_is_an_error_and_the_threads_go_on() {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for _ in 0..threads * 2 {
            let failed: Result<(), _> = run(|| panic!("a bug in a read")).await;
            assert!(failed.is_err());
        }
        assert_eq!(run(|| Ok(7)).await.expect("still served"), 7);
    }

    #[test]
    fn a_started_read_reports_its_error_or_panic_and_the_threads_go_on() {
        let (told, heard) = std::sync::mpsc::channel();
        let on_failure = |told: std::sync::mpsc::Sender<_>| {
            move |e: ApiError| {
                let _ = told.send(Some(e.status()));
            }
        };
        let done = told.clone();
        start(
            move || {
                let _ = done.send(None);
                Ok(())
            },
            on_failure(told.clone()),
        )
        .expect("started");
        start(
            || Err(StoreError::NotFound("case".into())),
            on_failure(told.clone()),
        )
        .expect("started");
        start(|| panic!("a bug in a read"), on_failure(told)).expect("started");
        let mut heard: Vec<_> = (0..3)
            .map(|_| {
                heard
                    .recv_timeout(std::time::Duration::from_secs(30))
                    .expect("heard")
            })
            .collect();
        heard.sort();
        assert_eq!(
            heard,
            [
                None,
                Some(axum::http::StatusCode::NOT_FOUND),
                Some(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
            ]
        );
    }
}
