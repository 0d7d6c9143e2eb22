//! `cargo xtask`: the project's task runner, behind the README's two
//! commands.
//!
//! - `cargo xtask run` installs what the build needs, builds the app bundle
//!   into `dist/` and the server (at once: `alongside.rs`), then replaces
//!   itself with `server serve` on 127.0.0.1:8080.
//! - `cargo xtask test` installs the same plus Chromium, chromedriver and
//!   PostgreSQL, then runs every check CI runs: fmt, clippy (native and
//!   wasm, which also checks `shared` for wasm), the bundle (beside the
//!   native clippy and build), and `cargo test` (which
//!   includes the browser tests in `tests/`) with a throwaway PostgreSQL
//!   cluster for the tests of that backend.
//! - `cargo xtask dist` only builds the bundle.
//!
//! Every install is skipped when what it installs is already present, so a
//! second run goes straight to building. Project-local tools (wasm-bindgen,
//! wasm-opt) go into `.tools/`, never into the user's PATH.
//!
//! This crate is nearly std-only on purpose: it is the first thing a
//! newcomer compiles, and it should take seconds. Its two dependencies,
//! `flate2` and `brotli`, precompress the bundle (`bundle.rs`); the server
//! builds them anyway.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod alongside;
mod bench;
mod bundle;
mod dist;
mod files;
mod first_load;
mod postgres;
mod process;
#[cfg(test)]
mod tidy;
mod tools;

use bench::bench;
use dist::build_dist;
use process::{cmd, exec, secs, show, step};
use tools::{BuildTools, install_build_tools, install_chromium};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  run [--addr ADDR]   install what is missing, build the app and the server,
                      and serve on ADDR (default 127.0.0.1:8080)
  test                install what is missing (including Chromium), then run
                      fmt, clippy, the wasm builds and all tests
  dist                build the app bundle into dist/ only
  wasm [--clippy]     what `run` and `test` build beside the server: the
                      bundle, after clippy on the app for wasm if asked
  bench               run the benchmarks (release) and rewrite BENCHMARKS.md
  postgres            start a throwaway PostgreSQL cluster for running the
                      PostgreSQL tests by hand; Enter stops it
  bench first-load    only measure what a first visit transfers (needs dist/;
                      builds the server) and update its rows in BENCHMARKS.md
";

/// The wasm target the app and `shared` are built for.
const WASM_TARGET: &str = "wasm32-unknown-unknown";

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

type Result<T, E = String> = std::result::Result<T, E>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let started = Instant::now();
    let result = match args.first().map(String::as_str) {
        Some("run") => Ctx::new().and_then(|ctx| run(&ctx, &args[1..])),
        Some("test") => Ctx::new().and_then(|ctx| test(&ctx)),
        Some("dist") => Ctx::new().and_then(|ctx| {
            let tools = install_build_tools(&ctx)?;
            build_dist(&ctx, &tools)
        }),
        Some("wasm") => Ctx::new().and_then(|ctx| wasm_task(&ctx, &args[1..])),
        Some("bench") => Ctx::new().and_then(|ctx| bench(&ctx, &args[1..])),
        Some("postgres") => postgres::serve_for_tests(),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown task `{other}`\n\n{USAGE}")),
        None => Err(format!("no task given\n\n{USAGE}")),
    };
    match result {
        Ok(()) => {
            println!("\nxtask: done in {}", secs(started));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("\nxtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Where things are. Every command runs in the workspace root.
struct Ctx {
    root: PathBuf,
    /// The cargo that runs us (`$CARGO`), so a toolchain override applies to
    /// every step.
    cargo: OsString,
    /// `$CARGO_TARGET_DIR` if set, else `<root>/target`.
    target_dir: PathBuf,
}

impl Ctx {
    fn new() -> Result<Ctx> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .ok_or("xtask's manifest dir has no parent")?
            .to_path_buf();
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let target_dir = match env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        Ok(Ctx {
            root,
            cargo,
            target_dir,
        })
    }

    fn cargo(&self) -> Command {
        let mut cmd = Command::new(&self.cargo);
        cmd.current_dir(&self.root);
        cmd
    }

    fn tools_dir(&self) -> PathBuf {
        self.root.join(".tools")
    }

    fn dist_dir(&self) -> PathBuf {
        self.root.join("dist")
    }
}

fn run(ctx: &Ctx, args: &[String]) -> Result<()> {
    let addr = match args {
        [] => DEFAULT_ADDR.to_string(),
        [flag, addr] if flag == "--addr" => addr.clone(),
        _ => return Err(format!("unexpected arguments {args:?}\n\n{USAGE}")),
    };
    // Said now, not after the whole build, when the server fails to bind.
    if let Err(e) = std::net::TcpListener::bind(&addr) {
        return Err(format!(
            "cannot listen on {addr} ({e}): an earlier `cargo xtask run` may still be \
             running (stop it with Ctrl-C in its terminal: a second server on the same \
             data would be refused), or another program uses the port (stop it, or run \
             `cargo xtask run --addr 127.0.0.1:8081`)"
        ));
    }
    install_build_tools(ctx)?;
    let wasm = alongside::start(ctx, &[])?;
    build_server(ctx)?;
    wasm.finish()?;

    let server = ctx.target_dir.join("debug").join("server");
    // Creates the first admin on a new data directory and prints its login;
    // on later runs it says who the admin is and where the password is kept.
    step("first admin");
    cmd(Command::new(&server)
        .current_dir(&ctx.root)
        .args(["init-admin", "--data-dir", "data"]))?;

    let mut cmd = Command::new(&server);
    cmd.current_dir(&ctx.root).args([
        "serve",
        "--addr",
        &addr,
        "--data-dir",
        "data",
        "--dist",
        "dist",
    ]);
    step(&format!("serve the app on {addr}"));
    println!(
        "Open {} in a browser (Chromium, Chrome or Edge on a tablet or PC); \
         head office may bookmark {}/office/, the page with the dashboard and the administration.",
        open_url(&addr),
        open_url(&addr)
    );
    println!(
        "Data is kept in {}. Press Ctrl-C to stop.",
        ctx.root.join("data").display()
    );
    println!("$ {}", show(&cmd));
    exec(cmd)
}

fn test(ctx: &Ctx) -> Result<()> {
    let mut steps = Steps::default();
    let result = test_steps(ctx, &mut steps);
    steps.print();
    result
}

fn test_steps(ctx: &Ctx, steps: &mut Steps) -> Result<()> {
    // A run from scratch gains nothing from the incremental caches of the
    // workspace's crates, which took 2.1 GB of target/ (a CI run failed
    // for want of disk) and time to write.
    let cargo = || {
        let mut cargo = ctx.cargo();
        cargo.env("CARGO_INCREMENTAL", "0");
        cargo
    };
    steps.time("install build tools", || {
        tools::install_lint_tools(ctx)?;
        install_build_tools(ctx)
    })?;
    steps.time("install chromium", install_chromium)?;
    let postgres = steps.time("install postgresql", postgres::install_postgres)?;
    steps.time("fmt", || {
        step("check formatting");
        cmd(cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    // `--workspace` selects every member and ignores `default-members`, so
    // the app is excluded by name here and checked for wasm below.
    // The wasm side (the app's clippy, then the bundle) runs in a second
    // xtask beside the native clippy and build (`alongside.rs`).
    let mut wasm = alongside::start(ctx, &["--clippy"])?;
    steps.time("clippy (native)", || {
        step("clippy, native crates");
        cmd(cargo().args([
            "clippy",
            "--workspace",
            "--exclude",
            "app",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    wasm.check()?;
    // Every later cargo command selects the same packages as this one, so
    // cargo resolves the same features and reuses what this compiled: a
    // `cargo build -p server` or `cargo test -p server` resolves features
    // for the server alone and compiles most crates again. This also builds
    // `target/debug/server`, which the browser tests start.
    steps.time("build tests and server", || {
        step("build every test and the server");
        cmd(cargo().args(TEST_SELECTION).arg("--no-run"))
    })?;
    steps.time("app for wasm (waited for)", || wasm.finish())?;
    let cluster = steps.time("start postgresql", || {
        postgres::Cluster::start(&postgres, &postgres::cluster_dir())
    })?;
    steps.time("tests", || {
        step("run all tests (unit, integration, end-to-end with Chromium)");
        cmd(cargo()
            .args(TEST_SELECTION)
            .env(postgres::URL_VAR, &cluster.url)
            .env(postgres::CA_VAR, &cluster.ca)
            // The PostgreSQL tests fail instead of skipping when they get
            // no cluster: here they always must run.
            .env(postgres::REQUIRED_VAR, "1"))
    })?;
    // The same HTTP tests again with every server and command on a
    // database of the cluster: both engines must pass the same tests.
    steps.time("server tests on postgresql", || {
        step("run the server's integration tests on PostgreSQL");
        let mut run = cargo();
        run.args(TEST_SELECTION);
        for name in server_test_names(&ctx.root)? {
            run.args(["--test", &name]);
        }
        cmd(run
            .env("TEST_BACKEND", "postgres")
            .env(postgres::URL_VAR, &cluster.url)
            .env(postgres::CA_VAR, &cluster.ca)
            .env(postgres::REQUIRED_VAR, "1"))
    })
}

/// What `test` compiles and runs: every crate but the app, which is built
/// for wasm only.
const TEST_SELECTION: [&str; 4] = ["test", "--workspace", "--exclude", "app"];

/// The server's integration tests (each `.rs` file in `server/tests/`), to
/// run again on PostgreSQL by `--test NAME` within `TEST_SELECTION`. A
/// browser test of the same name would run with them, so such a name is
/// refused.
fn server_test_names(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("server").join("tests");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|ext| ext == "rs")
            && let Some(name) = path.file_stem().and_then(|s| s.to_str())
        {
            let browser = root.join("tests").join("tests").join(format!("{name}.rs"));
            if browser.exists() {
                return Err(format!(
                    "{} and {} share a name: `--test {name}` would run both on PostgreSQL; rename one",
                    path.display(),
                    browser.display()
                ));
            }
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// `cargo xtask wasm [--clippy]`, which `run` and `test` start beside the
/// native build (`alongside.rs`): with `--clippy`, clippy on the app for
/// wasm first, then the bundle.
fn wasm_task(ctx: &Ctx, args: &[String]) -> Result<()> {
    let clippy = match args {
        [] => false,
        [flag] if flag == "--clippy" => true,
        _ => return Err(format!("unexpected arguments {args:?}\n\n{USAGE}")),
    };
    let tools = install_build_tools(ctx)?;
    let mut steps = Steps::default();
    let result = wasm_steps(ctx, &tools, clippy, &mut steps);
    steps.print();
    result
}

fn wasm_steps(ctx: &Ctx, tools: &BuildTools, clippy: bool, steps: &mut Steps) -> Result<()> {
    if clippy {
        steps.time("clippy (app, wasm)", || {
            // Each bundle's features: code only one of them compiles is
            // checked too. The bundle's profile, so that the build scripts
            // and proc macros compiled here serve the bundle's build too.
            // `shared` must stay free of IO and native-only crates: this
            // compiles it for wasm, so that is checked as well.
            for bundle in &bundle::BUNDLES {
                step(&format!(
                    "clippy, the app for wasm (features \"{}\")",
                    bundle.features
                ));
                cmd(ctx.cargo().args([
                    "clippy",
                    "--profile",
                    "wasm-release",
                    "-p",
                    "app",
                    "--target",
                    WASM_TARGET,
                    "--features",
                    bundle.features,
                    "--",
                    "-D",
                    "warnings",
                ]))?;
            }
            Ok(())
        })?;
    }
    steps.time("bundle", || build_dist(ctx, tools))
}

/// How long each step of `test` (or `wasm`) took, printed at the end
/// whether or not a step failed.
#[derive(Default)]
struct Steps {
    times: Vec<(&'static str, String)>,
}

impl Steps {
    fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let started = Instant::now();
        let result = f();
        self.times.push((name, secs(started)));
        result
    }

    fn print(&self) {
        println!("\nxtask: step times");
        for (name, took) in &self.times {
            println!("{took:>8}  {name}");
        }
    }
}

fn build_server(ctx: &Ctx) -> Result<()> {
    step("build the server");
    cmd(ctx.cargo().args(["build", "-p", "server"]))
}

/// The URL to print for a listen address: a wildcard address is opened
/// locally through the loopback address.
fn open_url(addr: &str) -> String {
    match addr.strip_prefix("0.0.0.0:") {
        Some(port) => format!("http://127.0.0.1:{port}"),
        None => format!("http://{addr}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_open_on_loopback() {
        assert_eq!(open_url("0.0.0.0:8080"), "http://127.0.0.1:8080");
        assert_eq!(open_url("127.0.0.1:9000"), "http://127.0.0.1:9000");
    }
}
