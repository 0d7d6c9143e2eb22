//! Ingest benchmark: ops per second for batch pushes over real HTTP into a
//! fresh SQLite file, including the per-batch fold of every touched case.
//!
//! Beside it, in the same run, the reference the issue sets the goal
//! against: the same op rows and final case rows inserted raw into a fresh
//! file with the same schema, pragmas and checkpointing, in the same batches, with no
//! HTTP, judging or folding. The ingest should reach half of it.
//!
//! With `BENCH_POSTGRES_URL` set (see `bench::Backend`), the same pushes go
//! into a fresh PostgreSQL database instead; the raw reference is SQLite's
//! and is left out there.
//!
//! Run with `cargo xtask bench` (release build); prints a Markdown table row
//! set that `xtask` writes into BENCHMARKS.md.

use chrono::Utc;
use shared::case::{CaseKind, NoteKind};
use shared::id::CaseId;
use shared::op::Action;
use shared::wire::{PushRequest, PushResponse};
use std::path::Path;
use std::time::{Duration, Instant};

mod bench;

const BATCHES: usize = 20;
const CASES_PER_BATCH: usize = 200;
const NOTES_PER_CASE: usize = 4;
/// The ingest should reach this share of the raw-SQLite reference.
const GOAL_RATIO: f64 = 0.5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = bench::Backend::from_env();
    let bench::StaffSetup {
        dir,
        store,
        property,
        user,
    } = bench::StaffSetup::new("ingest", &backend)?;
    let (_rt, base) = bench::serve(store.clone())?;
    let agent = bench::agent();
    let bench::Login {
        token,
        device,
        number,
    } = bench::login(&agent, &base, "bench")?;

    let mut author = bench::Author::new(device, user.id);
    let mut total_ops = 0usize;
    let mut elapsed = std::time::Duration::ZERO;
    for batch in 0..BATCHES {
        let mut ops = Vec::new();
        for c in 0..CASES_PER_BATCH {
            let case = CaseId(uuid::Uuid::now_v7());
            let now = Utc::now();
            let mut op = |action: Action| author.op(case, now, action);
            ops.push(op(Action::Register(bench::registration(
                property.id,
                CaseKind::Complaint,
                number,
                (batch * CASES_PER_BATCH + c + 1) as u32,
            )?)));
            for n in 0..NOTES_PER_CASE {
                ops.push(op(Action::Note {
                    note_kind: NoteKind::General,
                    text: format!("记录 {n}"),
                }));
            }
        }
        // The request is written out before the clock starts, as a tablet
        // has it in hand before it sends: what is timed is the server's
        // work, from the first byte it receives to its answer.
        let count = ops.len();
        let body = serde_json::to_vec(&PushRequest { device, ops })?;
        let started = Instant::now();
        let answer: PushResponse = agent
            .post(format!("{base}/api/v1/sync/push"))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(&body[..])?
            .body_mut()
            .read_json()?;
        elapsed += started.elapsed();
        if answer.acked_seq != author.seq() || !answer.quarantined.is_empty() {
            return Err(format!("push not fully acknowledged: {answer:?}").into());
        }
        total_ops += count;
    }
    let per_batch = CASES_PER_BATCH * (1 + NOTES_PER_CASE);
    let rate = total_ops as f64 / elapsed.as_secs_f64();
    drop(_rt);
    drop(store);
    println!(
        "| ingest: batch push over HTTP into {} | {BATCHES} batches × {per_batch} ops ({CASES_PER_BATCH} new cases each) | {total_ops} ops in {:.2} s | **{rate:.0} ops/s** |",
        backend.name(),
        elapsed.as_secs_f64()
    );
    if let bench::Backend::Sqlite = backend {
        let reference_dir = bench::data_dir("ingest-reference");
        let raw = raw_reference(&dir.join(server::DB_FILE), &reference_dir, per_batch)?;
        let raw_rate = total_ops as f64 / raw.as_secs_f64();
        // Rounded down, so that a ratio printed as the goal meets it.
        let ratio = (rate / raw_rate * 100.0).floor() / 100.0;
        println!(
            "| ingest reference: the same op rows and final case rows inserted raw (same schema, pragmas, checkpointing and batches) | {BATCHES} batches × {per_batch} ops | {total_ops} ops in {:.2} s | {raw_rate:.0} ops/s; ingest is **{ratio:.2}×** of it ({}) |",
            raw.as_secs_f64(),
            bench::goal(ratio >= GOAL_RATIO, &format!("goal ≥ {GOAL_RATIO}×")),
        );
        let _ = std::fs::remove_dir_all(&reference_dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Inserts the `ops` and `cases` rows that the ingest left in `source` into
/// a fresh store in `dir`, `ops_per_batch` op rows and their cases per
/// transaction, and returns the time the inserts and commits took. A
/// case's rows are its `cases` row and its `case_history` row (the
/// timeline and notes the store keeps apart from the row since migration
/// 11): together the same case JSON that was all in the row before.
fn raw_reference(
    source: &Path,
    dir: &Path,
    ops_per_batch: usize,
) -> Result<Duration, bench::Error> {
    // The same schema and pragmas as the store's, by opening it as the
    // server does; the rows then go in through a plain connection.
    drop(server::open_store(dir)?);
    let mut conn = rusqlite::Connection::open(dir.join(server::DB_FILE))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // The store's writer leaves checkpoints to a thread of its own, and so
    // does the reference.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    let _checkpointer =
        server::store::sqlite_checkpoint::Checkpointer::start(&dir.join(server::DB_FILE))?;
    let source = rusqlite::Connection::open(source)?;
    let ops = table_rows(&source, "ops", "server_seq")?;
    let cases = table_rows(&source, "cases", "server_seq")?;
    // In the cases' order, so that each batch holds its own cases' history.
    let histories = table_rows_sql(
        &source,
        "SELECT h.* FROM case_history h JOIN cases c ON c.id = h.case_id ORDER BY c.server_seq, h.part",
    )?;
    if histories.len() != cases.len() {
        return Err(format!(
            "{} cases but {} history parts: a new case's history is one part",
            cases.len(),
            histories.len()
        )
        .into());
    }
    let cases_per_batch = cases
        .len()
        .div_ceil(ops.len().div_ceil(ops_per_batch).max(1));
    let insert = |table: &str, width: usize| {
        format!(
            "INSERT INTO {table} VALUES ({})",
            vec!["?"; width].join(", ")
        )
    };
    let ops_sql = insert("ops", ops.first().map_or(0, Vec::len));
    let cases_sql = insert("cases", cases.first().map_or(0, Vec::len));
    let histories_sql = insert("case_history", histories.first().map_or(0, Vec::len));
    let started = Instant::now();
    for ((op_rows, case_rows), history_rows) in ops
        .chunks(ops_per_batch)
        .zip(cases.chunks(cases_per_batch.max(1)))
        .zip(histories.chunks(cases_per_batch.max(1)))
    {
        let tx = conn.transaction()?;
        {
            let mut op_insert = tx.prepare_cached(&ops_sql)?;
            for row in op_rows {
                op_insert.execute(rusqlite::params_from_iter(row))?;
            }
            let mut case_insert = tx.prepare_cached(&cases_sql)?;
            for row in case_rows {
                case_insert.execute(rusqlite::params_from_iter(row))?;
            }
            let mut history_insert = tx.prepare_cached(&histories_sql)?;
            for row in history_rows {
                history_insert.execute(rusqlite::params_from_iter(row))?;
            }
        }
        tx.commit()?;
    }
    Ok(started.elapsed())
}

/// Every row of `table` in `order`, as values.
fn table_rows(
    conn: &rusqlite::Connection,
    table: &str,
    order: &str,
) -> Result<Vec<Vec<rusqlite::types::Value>>, bench::Error> {
    table_rows_sql(conn, &format!("SELECT * FROM {table} ORDER BY {order}"))
}

/// Every row `sql` selects, as values.
fn table_rows_sql(
    conn: &rusqlite::Connection,
    sql: &str,
) -> Result<Vec<Vec<rusqlite::types::Value>>, bench::Error> {
    let mut stmt = conn.prepare(sql)?;
    let width = stmt.column_count();
    let rows = stmt
        .query_map([], |r| (0..width).map(|i| r.get(i)).collect())?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
