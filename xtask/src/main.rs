//! `cargo xtask`: the project's task runner, behind the README's two
//! commands.
//!
//! - `cargo xtask run` installs what the build needs, builds the app bundle
//!   into `dist/` and the server, then replaces itself with
//!   `server serve` on 127.0.0.1:8080.
//! - `cargo xtask test` installs the same plus Chromium and chromedriver,
//!   then runs every check CI runs: fmt, clippy (native and wasm), the wasm
//!   build of `shared`, the bundle, and `cargo test` (which includes the
//!   browser tests in `tests/`).
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
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

mod bundle;
mod first_load;
#[cfg(test)]
mod tidy;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  run [--addr ADDR]   install what is missing, build the app and the server,
                      and serve on ADDR (default 127.0.0.1:8080)
  test                install what is missing (including Chromium), then run
                      fmt, clippy, the wasm builds and all tests
  dist                build the app bundle into dist/ only
  bench               run the benchmarks (release) and rewrite BENCHMARKS.md
  bench first-load    only measure what a first visit transfers (needs dist/;
                      builds the server) and update its rows in BENCHMARKS.md
";

/// The wasm target the app and `shared` are built for.
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// binaryen from npm. Debian's binaryen (wasm-opt 108) silently breaks the
/// Leptos wasm (`WebAssembly.Table.set(): Argument 1 is invalid`), so it is
/// never used, even when it is on PATH.
const BINARYEN_NPM: &str = "binaryen@132";
const BINARYEN_VERSION: &str = "version 132";

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
        Some("bench") => Ctx::new().and_then(|ctx| bench(&ctx, &args[1..])),
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

/// The tools the bundle build uses.
struct BuildTools {
    wasm_bindgen: PathBuf,
    /// `None` when npm is unavailable: the bundle is then larger but correct.
    wasm_opt: Option<PathBuf>,
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
    let tools = install_build_tools(ctx)?;
    build_dist(ctx, &tools)?;
    build_server(ctx)?;

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
        "Open {} in a browser (Chromium, Chrome or Edge on a tablet or PC).",
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
    println!("\nxtask: step times");
    for (name, took) in &steps.times {
        println!("{took:>8}  {name}");
    }
    result
}

fn test_steps(ctx: &Ctx, steps: &mut Steps) -> Result<()> {
    let tools = steps.time("install build tools", || install_build_tools(ctx))?;
    steps.time("install chromium", install_chromium)?;
    steps.time("fmt", || {
        step("check formatting");
        cmd(ctx.cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    // `--workspace` selects every member and ignores `default-members`, so
    // the app is excluded by name here and checked for wasm below.
    steps.time("clippy (native)", || {
        step("clippy, native crates");
        cmd(ctx.cargo().args([
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
    steps.time("clippy (app, wasm)", || {
        step("clippy, the app for wasm");
        cmd(ctx.cargo().args([
            "clippy",
            "-p",
            "app",
            "--target",
            WASM_TARGET,
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    steps.time("shared for wasm", || {
        step("build shared for wasm (it must stay free of IO and native-only crates)");
        cmd(ctx
            .cargo()
            .args(["build", "-p", "shared", "--target", WASM_TARGET]))
    })?;
    steps.time("bundle", || build_dist(ctx, &tools))?;
    steps.time("server", || build_server(ctx))?;
    steps.time("tests", || {
        step("run all tests (unit, integration, end-to-end with Chromium)");
        cmd(ctx
            .cargo()
            .args(["test", "--workspace", "--exclude", "app"]))
    })
}

/// How long each step of `test` took, printed at the end whether or not a
/// step failed.
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
}

/// Installs the wasm target, wasm-bindgen (the version in Cargo.lock) and,
/// if npm is available, wasm-opt.
fn install_build_tools(ctx: &Ctx) -> Result<BuildTools> {
    install_wasm_target()?;
    let wasm_bindgen = install_wasm_bindgen(ctx)?;
    let wasm_opt = install_wasm_opt(ctx);
    Ok(BuildTools {
        wasm_bindgen,
        wasm_opt,
    })
}

fn install_wasm_target() -> Result<()> {
    step(&format!("rust target {WASM_TARGET}"));
    // The sysroot is that of the active toolchain (cargo sets
    // RUSTUP_TOOLCHAIN for us), so this also works without rustup.
    let sysroot = output(Command::new("rustc").args(["--print", "sysroot"]))?;
    let target_lib = Path::new(sysroot.trim())
        .join("lib")
        .join("rustlib")
        .join(WASM_TARGET);
    if target_lib.is_dir() {
        println!("present: {}", target_lib.display());
        return Ok(());
    }
    cmd(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn install_wasm_bindgen(ctx: &Ctx) -> Result<PathBuf> {
    let version = locked_wasm_bindgen_version(ctx)?;
    step(&format!(
        "wasm-bindgen-cli {version} (the version in Cargo.lock)"
    ));
    let bin = ctx.tools_dir().join("bin").join("wasm-bindgen");
    let wanted = format!("wasm-bindgen {version}");
    if bin.exists() {
        match output(Command::new(&bin).arg("--version")) {
            Ok(found) if found.trim() == wanted => {
                println!("present: {}", bin.display());
                return Ok(bin);
            }
            Ok(found) => println!("found {:?}, want {wanted:?}; reinstalling", found.trim()),
            Err(e) => println!("{e}; reinstalling"),
        }
    }
    // No `--locked`: one of the CLI's locked dependencies is missing from the
    // registry mirror this project is built against.
    cmd(ctx
        .cargo()
        .args(["install", "wasm-bindgen-cli", "--version", &version])
        .arg("--root")
        .arg(ctx.tools_dir()))?;
    Ok(bin)
}

/// Reads the resolved `wasm-bindgen` version from Cargo.lock, creating the
/// lockfile first if there is none.
fn locked_wasm_bindgen_version(ctx: &Ctx) -> Result<String> {
    let lock_path = ctx.root.join("Cargo.lock");
    if !lock_path.exists() {
        step("resolve dependencies (no Cargo.lock yet)");
        cmd(ctx
            .cargo()
            .args(["metadata", "--format-version", "1"])
            .stdout(Stdio::null()))?;
    }
    let lock =
        fs::read_to_string(&lock_path).map_err(|e| format!("read {}: {e}", lock_path.display()))?;
    let versions = locked_versions(&lock, "wasm-bindgen");
    match versions.as_slice() {
        [version] => Ok(version.clone()),
        [] => {
            Err("Cargo.lock has no wasm-bindgen package; does app/Cargo.toml depend on it?".into())
        }
        _ => Err(format!(
            "Cargo.lock has several wasm-bindgen versions {versions:?}; pin one with `wasm-bindgen = \"=X\"` in app/Cargo.toml"
        )),
    }
}

/// The versions of package `name` in a Cargo.lock: each `[[package]]` has
/// `name = "..."` on one line and `version = "..."` on the next.
fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let name_line = format!("name = \"{name}\"");
    let mut lines = lock.lines().map(str::trim);
    let mut versions = Vec::new();
    while let Some(line) = lines.next() {
        if line != name_line {
            continue;
        }
        let version = lines
            .next()
            .and_then(|l| l.strip_prefix("version = \""))
            .and_then(|l| l.strip_suffix('"'));
        if let Some(version) = version {
            versions.push(version.to_string());
        }
    }
    versions
}

/// wasm-opt is optional: without it the wasm is about half again as large
/// but behaves the same. Any failure here is a warning, not an error.
fn install_wasm_opt(ctx: &Ctx) -> Option<PathBuf> {
    step(&format!("wasm-opt from npm {BINARYEN_NPM} (optional)"));
    let bin = ctx
        .tools_dir()
        .join("node_modules")
        .join(".bin")
        .join("wasm-opt");
    if let Ok(found) = output(Command::new(&bin).arg("--version")) {
        if found.contains(BINARYEN_VERSION) {
            println!("present: {}", bin.display());
            return Some(bin);
        }
        println!(
            "found {:?}, want {BINARYEN_VERSION:?}; reinstalling",
            found.trim()
        );
    }
    if output(Command::new("npm").arg("--version")).is_err() {
        println!("warning: npm not found; building without wasm-opt (a larger but working bundle)");
        return None;
    }
    let installed = cmd(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(ctx.tools_dir())
        .arg(BINARYEN_NPM));
    match installed.and_then(|()| output(Command::new(&bin).arg("--version"))) {
        Ok(found) if found.contains(BINARYEN_VERSION) => Some(bin),
        Ok(found) => {
            println!(
                "warning: npm installed {:?}; building without wasm-opt",
                found.trim()
            );
            None
        }
        Err(e) => {
            println!("warning: {e}; building without wasm-opt");
            None
        }
    }
}

/// Chromium and chromedriver for the browser tests, from Debian's archive,
/// and a Chinese font so that screenshots show text rather than boxes.
fn install_chromium() -> Result<()> {
    step("chromium, chromedriver and a Chinese font (for the browser tests)");
    let chromium = Path::new("/usr/bin/chromium");
    let driver = Path::new("/usr/bin/chromedriver");
    let has_chinese_font =
        output(Command::new("fc-list").arg(":lang=zh")).is_ok_and(|fonts| !fonts.trim().is_empty());
    if chromium.exists() && driver.exists() && has_chinese_font {
        println!(
            "present: {}, {} and a Chinese font",
            chromium.display(),
            driver.display()
        );
        return Ok(());
    }
    let is_root = output(Command::new("id").arg("-u")).map(|uid| uid.trim() == "0")?;
    let apt = |args: &[&str]| {
        let mut c = if is_root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    cmd(&mut apt(&["update"]))?;
    cmd(&mut apt(&[
        "install",
        "-y",
        "chromium",
        "chromium-driver",
        "fonts-wqy-microhei",
    ]))
}

/// Builds the app for wasm and assembles `dist/`: the wasm-bindgen output,
/// `index.html`, the CSS from `style/`, and the static assets in
/// `app/static/`. The wasm, its JS glue, the CSS and `index.html`'s
/// start-up script get names from their content (`bundle::fingerprint`,
/// listed in `dist/manifest.json`), the service worker is stamped with the
/// final list of files, and every text and wasm file gets a `.br` and a
/// `.gz` beside it (`bundle::precompress`).
fn build_dist(ctx: &Ctx, tools: &BuildTools) -> Result<()> {
    step("build the app for wasm (profile wasm-release)");
    cmd(ctx.cargo().args([
        "build",
        "--profile",
        "wasm-release",
        "--target",
        WASM_TARGET,
        "-p",
        "app",
    ]))?;
    let wasm = ctx
        .target_dir
        .join(WASM_TARGET)
        .join("wasm-release")
        .join("app.wasm");

    let dist = ctx.dist_dir();
    step(&format!("assemble {}", dist.display()));
    if dist.exists() {
        fs::remove_dir_all(&dist).map_err(|e| format!("remove {}: {e}", dist.display()))?;
    }
    fs::create_dir_all(&dist).map_err(|e| format!("create {}: {e}", dist.display()))?;
    cmd(Command::new(&tools.wasm_bindgen)
        .arg(&wasm)
        .arg("--out-dir")
        .arg(&dist)
        .args(["--out-name", "app", "--target", "web", "--no-typescript"]))?;
    let bundle_wasm = dist.join("app_bg.wasm");
    match &tools.wasm_opt {
        Some(wasm_opt) => cmd(Command::new(wasm_opt)
            .arg("-Oz")
            .arg(&bundle_wasm)
            .arg("-o")
            .arg(&bundle_wasm))?,
        None => println!("skipping wasm-opt (not installed)"),
    }

    copy(
        &ctx.root.join("app").join("index.html"),
        &dist.join("index.html"),
    )?;
    for css in files_in(&ctx.root.join("style"))? {
        if css.extension().is_some_and(|e| e == "css") {
            copy(
                &css,
                &dist.join(css.file_name().ok_or("css file has no name")?),
            )?;
        }
    }
    let statics = ctx.root.join("app").join("static");
    if statics.is_dir() {
        copy_tree(&statics, &dist)?;
    }
    let names = bundle::fingerprint(&dist)?;
    stamp_service_worker(&dist)?;
    step("precompress (brotli 11, gzip -9)");
    let started = Instant::now();
    bundle::precompress(&dist, &ctx.target_dir.join("xtask-precompressed"))?;
    println!("compressed in {}", secs(started));

    println!("bundle sizes (raw / gzip -9 / brotli 11):");
    for plain in ["app_bg.wasm", "app.js"] {
        let file = dist.join(names.get(plain).map_or(plain, String::as_str));
        let size = |suffix: &str| {
            fs::metadata(format!("{}{suffix}", file.display()))
                .map_or_else(|_| "?".into(), |m| kib(m.len()))
        };
        println!(
            "  {:<22} {:>10} / {:>10} / {:>10}",
            file_name(&file),
            size(""),
            size(".gz"),
            size(".br")
        );
    }
    Ok(())
}

/// Fills in the service worker's cache name and precache list (the
/// `__VERSION__` and `"__FILES__"` placeholders in `app/static/sw.js`). The
/// version is a hash of the bundle, so each different build gets a cache of
/// its own and the worker drops the old one.
fn stamp_service_worker(dist: &Path) -> Result<()> {
    let sw = dist.join("sw.js");
    if !sw.exists() {
        return Ok(());
    }
    let mut files = Vec::new();
    relative_files(dist, dist, &mut files)?;
    files.retain(|f| f != "sw.js" && f != bundle::MANIFEST);
    let mut hash = FNV_OFFSET;
    for file in &files {
        let path = dist.join(file);
        let bytes = fs::read(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
        hash = fnv1a(hash, file.as_bytes());
        hash = fnv1a(hash, &[0]);
        hash = fnv1a(hash, &bytes);
    }
    let version = format!("{hash:016x}");
    // "./" too: navigations to the root must hit the cache when offline.
    let list = std::iter::once("./".to_string())
        .chain(files.iter().map(|f| format!("./{f}")))
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = fs::read_to_string(&sw).map_err(|e| format!("read {}: {e}", sw.display()))?;
    if !text.contains("__VERSION__") || !text.contains("\"__FILES__\"") {
        return Err("app/static/sw.js lacks the __VERSION__ or \"__FILES__\" placeholder".into());
    }
    let text = text
        .replace("\"__FILES__\"", &list)
        .replace("__VERSION__", &version);
    fs::write(&sw, text).map_err(|e| format!("write {}: {e}", sw.display()))?;
    println!("service worker: cache shell-{version}, precaching {list}");
    Ok(())
}

/// Runs the benchmarks in release mode and writes their rows, with the
/// machine and the command, into BENCHMARKS.md. `bench first-load` runs
/// only the first-load measurement and replaces its rows in the file.
fn bench(ctx: &Ctx, args: &[String]) -> Result<()> {
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
        for example in ["ingest", "export"] {
            rows.push_str(&bench_example(ctx, example)?);
        }
    }
    let first_load = bench_first_load(ctx)?;
    let path = ctx.root.join("BENCHMARKS.md");
    let text = if only_first_load {
        // The other rows stay as the last full run wrote them.
        let old = fs::read_to_string(&path).unwrap_or_default();
        let kept: Vec<&str> = old
            .lines()
            .filter(|l| !l.starts_with(FIRST_LOAD_ROW))
            .collect();
        if kept.iter().any(|l| l.starts_with("|---|")) {
            format!("{}\n{first_load}", kept.join("\n").trim_end())
        } else {
            benchmarks_md(&first_load)
        }
    } else {
        rows.push_str(&first_load);
        benchmarks_md(&rows)
    };
    fs::write(&path, text).map_err(|e| format!("BENCHMARKS.md: {e}"))?;
    print!("{}", if only_first_load { &first_load } else { &rows });
    Ok(())
}

/// How the first-load rows of BENCHMARKS.md begin.
const FIRST_LOAD_ROW: &str = "| first load";

/// Runs `cargo run --release --example NAME` in `server` and returns the
/// table rows it prints.
fn bench_example(ctx: &Ctx, example: &str) -> Result<String> {
    step(&format!("{example} benchmark (release)"));
    let out = ctx
        .cargo()
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "server",
            "--example",
            example,
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo run --example {example}: {e}"))?;
    if !out.status.success() {
        return Err(format!("the {example} benchmark failed"));
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
compare numbers from the same machine only.\n\n- Machine: {cpu}, {cores} cores\n- Toolchain: {rustc}\n\n\
| benchmark | workload | result | rate |\n|---|---|---|---|\n{rows}"
    )
}

fn build_server(ctx: &Ctx) -> Result<()> {
    step("build the server");
    cmd(ctx.cargo().args(["build", "-p", "server"]))
}

// ---- small helpers -------------------------------------------------------

/// Prints a step header.
fn step(title: &str) {
    println!("\n==> {title}");
}

/// Runs a command with inherited stdio, echoing it first; a non-zero exit
/// is an error that names the command.
fn cmd(c: &mut Command) -> Result<()> {
    let shown = show(c);
    println!("$ {shown}");
    let status = c
        .status()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Runs a command quietly and returns its stdout.
fn output(c: &mut Command) -> Result<String> {
    let shown = show(c);
    let out = c
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{shown}` failed ({})", out.status));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("`{shown}` printed non-UTF-8: {e}"))
}

/// Replaces this process with `c` (Unix), so Ctrl-C goes straight to it.
#[cfg(unix)]
fn exec(mut c: Command) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let e = c.exec();
    Err(format!("could not start `{}`: {e}", show(&c)))
}

#[cfg(not(unix))]
fn exec(mut c: Command) -> Result<()> {
    cmd(&mut c)
}

fn show(c: &Command) -> String {
    let mut parts = vec![c.get_program().to_string_lossy().into_owned()];
    parts.extend(c.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// The URL to print for a listen address: a wildcard address is opened
/// locally through the loopback address.
fn open_url(addr: &str) -> String {
    match addr.strip_prefix("0.0.0.0:") {
        Some(port) => format!("http://127.0.0.1:{port}"),
        None => format!("http://{addr}"),
    }
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in files_in(from)? {
        let target = to.join(entry.file_name().ok_or("entry has no name")?);
        if entry.is_dir() {
            fs::create_dir_all(&target).map_err(|e| format!("create {}: {e}", target.display()))?;
            copy_tree(&entry, &target)?;
        } else {
            copy(&entry, &target)?;
        }
    }
    Ok(())
}

/// The entries of a directory, sorted so that output is stable.
fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("read {}: {e}", dir.display()))?;
    entries.sort();
    Ok(entries)
}

/// The files under `dir`, as `/`-separated paths relative to `base`, sorted.
fn relative_files(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in files_in(dir)? {
        if entry.is_dir() {
            relative_files(base, &entry, out)?;
        } else {
            let relative = entry
                .strip_prefix(base)
                .map_err(|e| format!("{}: {e}", entry.display()))?;
            let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
            out.push(parts.join("/"));
        }
    }
    out.sort();
    Ok(())
}

/// 64-bit FNV-1a: a stable content hash without a dependency.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn secs(since: Instant) -> String {
    format!("{:.1}s", since.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_locked_version_of_a_package() {
        let lock = r#"
[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.130"
"#;
        assert_eq!(
            locked_versions(lock, "wasm-bindgen"),
            vec!["0.2.130".to_string()]
        );
        assert_eq!(locked_versions(lock, "leptos"), Vec::<String>::new());
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn wildcard_addresses_open_on_loopback() {
        assert_eq!(open_url("0.0.0.0:8080"), "http://127.0.0.1:8080");
        assert_eq!(open_url("127.0.0.1:9000"), "http://127.0.0.1:9000");
    }
}
