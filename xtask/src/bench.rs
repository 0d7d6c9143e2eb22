//! `cargo xtask bench`: the benchmarks in release mode, written with the
//! machine and the command into BENCHMARKS.md.

use std::ffi::OsStr;
use std::fs;
use std::process::{Command, Stdio};

use crate::files::kib;
use crate::first_load;
use crate::postgres;
use crate::process::{cmd, step};
use crate::tools::install_chromium;
use crate::{Ctx, Result, USAGE, build_server};

/// The examples that run on PostgreSQL too, after their SQLite runs.
const ON_POSTGRES: [&str; 3] = ["ingest", "export", "pull"];

/// The environment variables that make an example measure PostgreSQL: the
/// cluster's URL and its certificate authority (`bench::Backend` in
/// `server/examples/bench/mod.rs` reads them).
const POSTGRES_URL_VAR: &str = "BENCH_POSTGRES_URL";
const POSTGRES_CA_VAR: &str = "BENCH_POSTGRES_CA";

/// Runs the benchmarks in release mode and writes their rows, with the
/// machine and the command, into BENCHMARKS.md. `bench first-load` runs
/// only the first-load measurement and replaces its rows in the file.
pub fn bench(ctx: &Ctx, args: &[String]) -> Result<()> {
    let only_first_load = match args {
        [] => false,
        [what] if what == "first-load" => true,
        _ => return Err(format!("unexpected arguments {args:?}\n\n{USAGE}")),
    };
    // Checked first, so a missing bundle is not found after minutes of
    // the other benchmarks.
    let dist = ctx.dist_dir();
    if !dist.join("index.html").exists() {
        return Err(format!(
            "{} has no built app: run `cargo xtask dist` first",
            dist.display()
        ));
    }
    let mut rows = String::new();
    if !only_first_load {
        let mut on_sqlite = Vec::new();
        for example in [
            "ingest",
            "push_cost",
            "concurrency",
            "upload",
            "export",
            "pull",
        ] {
            on_sqlite.push((example, bench_example(ctx, example, None)?));
        }
        let on_postgres = bench_on_postgres(ctx)?;
        // Each PostgreSQL row set right under its SQLite one, for the
        // comparison.
        for (example, sqlite_rows) in on_sqlite {
            rows.push_str(&sqlite_rows);
            if let Some((_, postgres_rows)) = on_postgres.iter().find(|(e, _)| *e == example) {
                rows.push_str(postgres_rows);
            }
        }
        rows.push_str(&bench_fold(ctx)?);
        rows.push_str(&bench_cold_sync(ctx)?);
    }
    let first_load = bench_first_load(ctx)?;
    let path = ctx.root.join("BENCHMARKS.md");
    let text = if only_first_load {
        // The other rows stay as the last full run wrote them.
        let old = fs::read_to_string(&path).unwrap_or_default();
        with_first_load(&old, &first_load).unwrap_or_else(|| benchmarks_md(&first_load))
    } else {
        rows.push_str(&first_load);
        benchmarks_md(&rows)
    };
    fs::write(&path, &text).map_err(|e| format!("BENCHMARKS.md: {e}"))?;
    print!("{}", if only_first_load { &first_load } else { &rows });
    // The goals line as written: counted in the results table only.
    if let Some(line) = text.lines().find(|l| l.starts_with(GOALS_LINE)) {
        println!("\n{line}");
    }
    Ok(())
}

/// BENCHMARKS.md `old` with its first-load rows replaced by `first_load`
/// at the end of its first table (the results; the notes after it have
/// tables of their own), and its goals line counted again; `None` when it
/// has no table.
fn with_first_load(old: &str, first_load: &str) -> Option<String> {
    let kept: Vec<&str> = old
        .lines()
        .filter(|l| !l.starts_with(FIRST_LOAD_ROW) && !l.starts_with(GOALS_LINE))
        .collect();
    let header = kept.iter().position(|l| l.starts_with("|---|"))?;
    let end = kept[header..]
        .iter()
        .position(|l| !l.starts_with('|'))
        .map_or(kept.len(), |i| header + i);
    let table = format!("{}\n{first_load}", kept[..end].join("\n"));
    let goals = goals(&table);
    let notes = kept[end..].join("\n");
    Some(format!("{table}{goals}\n{}\n", notes.trim()))
}

/// How the first-load rows of BENCHMARKS.md begin.
const FIRST_LOAD_ROW: &str = "| first load";

/// How the line after the table that says which goals hold begins.
const GOALS_LINE: &str = "Goals:";

/// The line saying which goals hold, counted from the rows that state one
/// (the examples print `goal …: met` or `goal …: not met`, see
/// `server/examples/bench/mod.rs`); empty when no row states a goal.
fn goals(rows: &str) -> String {
    let stated: Vec<&str> = rows.lines().filter(|l| l.contains("goal ")).collect();
    if stated.is_empty() {
        return String::new();
    }
    let missed: Vec<&str> = stated
        .iter()
        .filter(|l| l.contains(": not met"))
        .filter_map(|l| l.split('|').nth(1).map(str::trim))
        .collect();
    let held = stated.len() - missed.len();
    let mut line = format!("\n{GOALS_LINE} {held} of {} hold", stated.len());
    if !missed.is_empty() {
        line.push_str(&format!("; not met: {}", missed.join("; ")));
    }
    line.push_str(".\n");
    line
}

/// Runs the [`ON_POSTGRES`] examples against a fresh database each on a
/// throwaway cluster, as `cargo xtask test` starts it, and returns each
/// one's rows. The cluster is stopped and removed when they are done.
fn bench_on_postgres(ctx: &Ctx) -> Result<Vec<(&'static str, String)>> {
    let bin = postgres::install_postgres()?;
    let cluster = postgres::Cluster::start(&bin, &postgres::cluster_dir())?;
    ON_POSTGRES
        .into_iter()
        .map(|example| Ok((example, bench_example(ctx, example, Some(&cluster))?)))
        .collect()
}

/// Runs `cargo run --release --example NAME` in `server`, on SQLite or on
/// a fresh database on `cluster`, and returns the table rows it prints.
fn bench_example(ctx: &Ctx, example: &str, cluster: Option<&postgres::Cluster>) -> Result<String> {
    let mut env = Vec::new();
    let on = match cluster {
        None => "",
        Some(cluster) => {
            env.push((POSTGRES_URL_VAR, OsStr::new(&cluster.url)));
            env.push((POSTGRES_CA_VAR, cluster.ca.as_os_str()));
            ", on PostgreSQL"
        }
    };
    step(&format!("{example} benchmark (release){on}"));
    rows_of(
        ctx,
        example,
        &[
            "run",
            "--quiet",
            "--release",
            "-p",
            "server",
            "--example",
            example,
        ],
        &env,
    )
}

/// Runs `shared/examples/fold.rs` (the fold of a simulated op log, native)
/// in release mode and returns its table row.
fn bench_fold(ctx: &Ctx) -> Result<String> {
    step("fold benchmark (release)");
    rows_of(
        ctx,
        "fold",
        &[
            "run",
            "--quiet",
            "--release",
            "-p",
            "shared",
            "--features",
            "sim",
            "--example",
            "fold",
        ],
        &[],
    )
}

/// Runs `tests/examples/cold_sync.rs` (a new tablet's first sync and a
/// reload, in headless Chromium) against the release server and returns
/// its table rows. The example itself is a debug build: it only drives the
/// browser and seeds the cases, and the browser tests already built its
/// dependencies.
fn bench_cold_sync(ctx: &Ctx) -> Result<String> {
    install_chromium()?;
    step("build the server (release)");
    cmd(ctx.cargo().args(["build", "--release", "-p", "server"]))?;
    step("cold sync benchmark (headless Chromium, release server)");
    rows_of(
        ctx,
        "cold_sync",
        &["run", "--quiet", "-p", "e2e", "--example", "cold_sync"],
        &[("E2E_SERVER_PROFILE", OsStr::new("release"))],
    )
}

/// Runs cargo with `args` and the variables `env` and returns what the
/// benchmark `name` printed: its table rows.
fn rows_of(ctx: &Ctx, name: &str, args: &[&str], env: &[(&str, &OsStr)]) -> Result<String> {
    let mut cargo = ctx.cargo();
    cargo
        .args(args)
        .envs(env.iter().copied())
        .stderr(Stdio::inherit());
    let out = cargo
        .output()
        .map_err(|e| format!("cargo {}: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!("the {name} benchmark failed"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Measures the first load of the bundle in `dist/` (which must be built)
/// through the debug server: the bytes on the wire do not depend on the
/// build profile.
fn bench_first_load(ctx: &Ctx) -> Result<String> {
    build_server(ctx)?;
    step("first load: what a first visit transfers");
    let server = ctx.target_dir.join("debug").join("server");
    let load = first_load::measure(&server, &ctx.dist_dir())?;
    for t in &load.transfers {
        println!(
            "  Accept-Encoding: {:<8} {:>12} body + {:>9} headers",
            t.encoding,
            kib(t.body),
            kib(t.headers)
        );
    }
    Ok(first_load::rows(&load))
}

/// BENCHMARKS.md with `rows` in its table.
fn benchmarks_md(rows: &str) -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!(
        "# Benchmarks\n\nWritten by `cargo xtask bench` (release build). One run on one machine: \
compare numbers from the same machine only.\n\n- Machine: {cpu}, {cores} cores\n- Toolchain: {rustc}\n\
- PostgreSQL (the ingest into PostgreSQL and the rows ending \"on PostgreSQL\", each under its SQLite \
counterpart): a throwaway cluster on the same machine, as `cargo xtask test` starts it: Debian's \
`postgresql` package with initdb's default settings except `fsync=off` and `max_connections=200`, \
reached over TCP on 127.0.0.1 with TLS on (the certificate verified), a fresh database for each \
benchmark and the server's default pool size (`--pool-size`). The goals are the issue's, set for \
SQLite; the PostgreSQL rows state none.\n\n\
| benchmark | workload | result | rate |\n|---|---|---|---|\n{rows}{}",
        goals(rows)
    )
}

#[cfg(test)]
mod tests {
    use super::{goals, with_first_load};

    #[test]
    fn first_load_rows_replace_their_own_in_the_first_table() {
        let old = "# Benchmarks\n\n| benchmark | workload | result | rate |\n|---|---|---|---|\n\
| fold | x | y | 2 ops/s (goal ≥ 1 ops/s: met) |\n\
| first load over HTTP, brotli | x | y | 600 KiB (goal ≤ 350 KiB: not met) |\n\
\nGoals: 1 of 2 hold; not met: first load over HTTP, brotli.\n\nNotes.\n\n\
| step | before |\n|---|---|\n| a | b |\n";
        let new = with_first_load(
            old,
            "| first load over HTTP, brotli | x | y | 300 KiB (goal ≤ 350 KiB: met) |\n",
        )
        .expect("a table");
        assert_eq!(
            new,
            "# Benchmarks\n\n| benchmark | workload | result | rate |\n|---|---|---|---|\n\
| fold | x | y | 2 ops/s (goal ≥ 1 ops/s: met) |\n\
| first load over HTTP, brotli | x | y | 300 KiB (goal ≤ 350 KiB: met) |\n\
\nGoals: 2 of 2 hold.\n\nNotes.\n\n| step | before |\n|---|---|\n| a | b |\n"
        );
    }

    fn check(rows: &str, expected: &str) {
        assert_eq!(goals(rows), expected);
    }

    #[test]
    fn no_stated_goal_adds_no_line() {
        check(
            "| upload | 12 blobs | 96 MiB in 0.62 s | **154.7 MiB/s** |\n",
            "",
        );
    }

    #[test]
    fn the_line_counts_the_goals_and_names_the_missed() {
        check(
            "| ingest reference | x | y | 0.61× (goal ≥ 0.5×: met) |\n\
             | push during statistics | x | y | 4400 ms (goal < 50 ms: not met) |\n",
            "\nGoals: 1 of 2 hold; not met: push during statistics.\n",
        );
    }
}
