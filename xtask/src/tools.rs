//! The tools the build and the tests need, each installed only when it is
//! missing: the wasm target, wasm-bindgen-cli at the version in Cargo.lock,
//! wasm-opt from npm (optional) and Chromium with chromedriver from apt.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process::{cmd, output, step};
use crate::{Ctx, Result, WASM_TARGET};

/// binaryen from npm. Debian's binaryen (wasm-opt 108) silently breaks the
/// Leptos wasm (`WebAssembly.Table.set(): Argument 1 is invalid`), so it is
/// never used, even when it is on PATH.
const BINARYEN_NPM: &str = "binaryen@132";
const BINARYEN_VERSION: &str = "version 132";

/// The tools the bundle build uses.
pub struct BuildTools {
    pub wasm_bindgen: PathBuf,
    /// `None` when npm is unavailable: the bundle is then larger but correct.
    pub wasm_opt: Option<PathBuf>,
}

/// Installs the wasm target, wasm-bindgen (the version in Cargo.lock) and,
/// if npm is available, wasm-opt.
pub fn install_build_tools(ctx: &Ctx) -> Result<BuildTools> {
    install_wasm_target()?;
    let wasm_bindgen = install_wasm_bindgen(ctx)?;
    let wasm_opt = install_wasm_opt(ctx);
    Ok(BuildTools {
        wasm_bindgen,
        wasm_opt,
    })
}

/// Adds rustfmt and clippy, which the tests run, to a toolchain installed
/// without them (rustup's minimal profile, as the official Rust images
/// use): `cargo fmt` would fail there before anything is tested.
pub fn install_lint_tools(ctx: &Ctx) -> Result<()> {
    step("rustfmt and clippy");
    let has = |tool: &str| {
        ctx.cargo()
            .args([tool, "--version"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if has("fmt") && has("clippy") {
        println!("present");
        return Ok(());
    }
    cmd(Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]))
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
    // registry mirror this project is built against. Only the one binary
    // the build runs: the test runner and wasm2es6js would add their links.
    cmd(ctx
        .cargo()
        .args(["install", "wasm-bindgen-cli", "--version", &version])
        .args(["--bin", "wasm-bindgen"])
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
pub fn install_chromium() -> Result<()> {
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
    apt_install(&["chromium", "chromium-driver", "fonts-wqy-microhei"])
}

/// Installs Debian `packages` with apt (through sudo unless we are root),
/// after refreshing the package lists.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    let is_root = output(Command::new("id").arg("-u")).map(|uid| uid.trim() == "0")?;
    if !is_root && output(Command::new("sh").args(["-c", "command -v sudo"])).is_err() {
        return Err(format!(
            "installing {} needs root: run this command as root, or install sudo",
            packages.join(", ")
        ));
    }
    let apt = |args: &[&str]| {
        // sudo resets the environment: the variable goes as an argument,
        // or a minimal image's debconf asks questions nobody answers.
        let mut c = if is_root {
            let mut apt = Command::new("apt-get");
            apt.env("DEBIAN_FRONTEND", "noninteractive");
            apt
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            sudo
        };
        // A fresh cloud machine's first-boot upgrades hold apt's lock
        // for a while: waited for, not failed on.
        c.args(["-o", "DPkg::Lock::Timeout=600"]).args(args);
        c
    };
    cmd(&mut apt(&["update"]))?;
    cmd(apt(&["install", "-y"]).args(packages))
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
}
