//! Ingest benchmark: ops per second for batch pushes over real HTTP into a
//! fresh SQLite file, including the per-batch fold of every touched case.
//!
//! Beside it, in the same run, the reference the issue sets the goal
//! against: the same op rows and every row of their cases (the case row, its
//! history part, its clocks and its fold state) inserted raw into a fresh
//! file with the same schema, pragmas and checkpointing, in the same
//! batches, with no HTTP, judging or folding. The ingest should reach half
//! of it.
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

/// Rounds, each a fresh store: the machine's speed drifts over seconds, so
/// each round's ingest is set against the reference run right after it,
/// and the median round is what the rows say.
const ROUNDS: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = bench::Backend::from_env();
    let per_batch = CASES_PER_BATCH * (1 + NOTES_PER_CASE);
    let total_ops = BATCHES * per_batch;
    let mut rates = Vec::new();
    let mut references = Vec::new();
    let mut ratios = Vec::new();
    let mut reference_rows = String::new();
    for round in 1..=ROUNDS {
        let (elapsed, dir) = ingest(&backend, &format!("ingest-{round}"))?;
        let rate = total_ops as f64 / elapsed.as_secs_f64();
        rates.push(rate);
        if let bench::Backend::Sqlite = backend {
            let reference_dir = bench::data_dir(&format!("ingest-reference-{round}"));
            let (raw, rows) = raw_reference(&dir.join(server::DB_FILE), &reference_dir, per_batch)?;
            let raw_rate = total_ops as f64 / raw.as_secs_f64();
            references.push(raw_rate);
            ratios.push(rate / raw_rate);
            reference_rows = rows;
            let _ = std::fs::remove_dir_all(&reference_dir);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let each = |values: &[f64], scale: f64, digits: usize| {
        values
            .iter()
            .map(|v| format!("{:.digits$}", v * scale))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    println!(
        "| ingest: batch push over HTTP into {}, median of {ROUNDS} rounds | {BATCHES} batches × {per_batch} ops ({CASES_PER_BATCH} new cases each) | rounds: {}k ops/s | **{:.0} ops/s** |",
        backend.name(),
        each(&rates, 1e-3, 1),
        median(&rates),
    );
    if !ratios.is_empty() {
        // Rounded down, so that a ratio printed as the goal meets it.
        let ratio = (median(&ratios) * 100.0).floor() / 100.0;
        println!(
            "| ingest reference: the same op rows and every row of their cases (case, history, clocks, fold state) inserted raw (same schema, pragmas, checkpointing and batches), right after each round's ingest | {BATCHES} batches × {per_batch} ops: {reference_rows} | rounds: {}k ops/s; ingest {}× of it | {:.0} ops/s; ingest is **{ratio:.2}×** of it, median round ({}) |",
            each(&references, 1e-3, 1),
            each(&ratios, 1.0, 2),
            median(&references),
            bench::goal(ratio >= GOAL_RATIO, &format!("goal ≥ {GOAL_RATIO}×")),
        );
    }
    Ok(())
}

/// The middle value.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// One round: the batches pushed over HTTP into a fresh store named
/// `name`. Returns the time the pushes took and the store's directory.
fn ingest(
    backend: &bench::Backend,
    name: &str,
) -> Result<(Duration, std::path::PathBuf), Box<dyn std::error::Error>> {
    let bench::StaffSetup {
        dir,
        store,
        property,
        user,
    } = bench::StaffSetup::new(name, backend)?;
    let (rt, base) = bench::serve(store.clone())?;
    let agent = bench::agent();
    let bench::Login {
        token,
        device,
        number,
    } = bench::login(&agent, &base, "bench")?;

    let mut author = bench::Author::new(device, user.id);
    let mut elapsed = Duration::ZERO;
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
    }
    drop(rt);
    drop(store);
    Ok((elapsed, dir))
}

/// Inserts the rows that the ingest left in `source` into a fresh store
/// in `dir`, `ops_per_batch` op rows and their cases' rows per
/// transaction, and returns the time the inserts and commits took. A
/// case's rows are every row the store keeps of it: its `cases` row, its
/// `case_history` part (the timeline and notes kept apart from the row),
/// its `case_deadlines` rows (one per running clock) and its `case_folds`
/// row (the fold state a later push resumes). Also says how many rows of
/// each table it inserted.
fn raw_reference(
    source: &Path,
    dir: &Path,
    ops_per_batch: usize,
) -> Result<(Duration, String), bench::Error> {
    // The same schema and pragmas as the store's, by opening it as the
    // server does; the rows then go in through a plain connection.
    drop(server::open_store(dir)?);
    let mut conn = rusqlite::Connection::open(dir.join(server::DB_FILE))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // The store's writer leaves checkpoints to a thread of its own, and so
    // does the reference.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    let _checkpointer =
        server::store::sqlite_checkpoint::Checkpointer::start(&dir.join(server::DB_FILE))?;
    let source = rusqlite::Connection::open(source)?;
    let ops = table_rows_sql(&source, "SELECT * FROM ops ORDER BY server_seq")?;
    // Each case table's rows in the cases' order, so that each batch holds
    // its own cases' rows. Every table's first column is the case's id.
    let tables = ["cases", "case_history", "case_deadlines", "case_folds"];
    let mut per_table = Vec::new();
    for table in tables {
        let join = match table {
            "cases" => "SELECT * FROM cases ORDER BY server_seq, id".to_string(),
            _ => format!(
                "SELECT t.* FROM {table} t JOIN cases c ON c.id = t.case_id ORDER BY c.server_seq, c.id"
            ),
        };
        per_table.push(table_rows_sql(&source, &join)?);
    }
    let cases = &per_table[0];
    let cases_per_batch = cases
        .len()
        .div_ceil(ops.len().div_ceil(ops_per_batch).max(1))
        .max(1);
    let insert = |table: &str, rows: &[Vec<rusqlite::types::Value>]| {
        format!(
            "INSERT INTO {table} VALUES ({})",
            vec!["?"; rows.first().map_or(0, Vec::len)].join(", ")
        )
    };
    let ops_sql = insert("ops", &ops);
    let case_sqls: Vec<String> = tables
        .iter()
        .zip(&per_table)
        .map(|(table, rows)| insert(table, rows))
        .collect();
    // Each batch's rows of each case table: the rows whose case is among
    // the batch's cases, which come in the same order in every table.
    let mut batches: Vec<Vec<&[Vec<rusqlite::types::Value>]>> = Vec::new();
    let mut at = vec![0usize; tables.len()];
    for batch_cases in cases.chunks(cases_per_batch) {
        let ids: std::collections::HashSet<String> =
            batch_cases.iter().map(|row| case_key(&row[0])).collect();
        let mut parts = Vec::new();
        for (rows, at) in per_table.iter().zip(&mut at) {
            let start = *at;
            while *at < rows.len() && ids.contains(&case_key(&rows[*at][0])) {
                *at += 1;
            }
            parts.push(&rows[start..*at]);
        }
        batches.push(parts);
    }
    if let Some((table, (rows, at))) = tables
        .iter()
        .zip(per_table.iter().zip(&at))
        .find(|(_, (rows, at))| rows.len() != **at)
    {
        return Err(format!(
            "{} of {} {table} rows fell in no batch",
            rows.len() - at,
            rows.len()
        )
        .into());
    }
    let started = Instant::now();
    for (op_rows, case_parts) in ops.chunks(ops_per_batch).zip(&batches) {
        let tx = conn.transaction()?;
        {
            let mut op_insert = tx.prepare_cached(&ops_sql)?;
            for row in op_rows {
                op_insert.execute(rusqlite::params_from_iter(row))?;
            }
            for (sql, rows) in case_sqls.iter().zip(case_parts) {
                let mut case_insert = tx.prepare_cached(sql)?;
                for row in *rows {
                    case_insert.execute(rusqlite::params_from_iter(row))?;
                }
            }
        }
        tx.commit()?;
    }
    let elapsed = started.elapsed();
    let counts = tables
        .iter()
        .zip(&per_table)
        .map(|(table, rows)| format!("{} {table}", rows.len()))
        .collect::<Vec<_>>()
        .join(", ");
    Ok((elapsed, format!("{} ops, {counts} rows", ops.len())))
}

/// A case id column's text.
fn case_key(value: &rusqlite::types::Value) -> String {
    match value {
        rusqlite::types::Value::Text(text) => text.clone(),
        other => format!("{other:?}"),
    }
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
