//! Where the built server and app are, checked to be newer than their
//! sources.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate is inside the workspace")
        .to_path_buf()
}

/// `$CARGO_TARGET_DIR`, or `<root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The built app, checked to be present and newer than its sources.
pub fn dist_dir() -> PathBuf {
    let root = workspace_root();
    let dist = root.join("dist");
    let names = bundle_names(&dist);
    let file = |plain: &str| dist.join(names.get(plain).map_or(plain, String::as_str));
    let office = ["office/index.html", "office.js", "office_bg.wasm"];
    for plain in ["index.html", "app.js", "app_bg.wasm"]
        .into_iter()
        .chain(office)
    {
        assert!(
            file(plain).exists(),
            "{} is missing: the app is not built. Run `cargo xtask test` (or `cargo xtask dist`).",
            file(plain).display()
        );
    }
    let wasm = file("app_bg.wasm");
    let sources = [
        root.join("app"),
        root.join("style"),
        root.join("shared/src"),
    ];
    assert_fresh(&wasm, &sources, "cargo xtask dist");
    dist
}

/// The names `cargo xtask dist` gave the files it renamed after their
/// content (`app_bg.wasm` → `app_bg-1a2b3c4d.wasm`), by plain name, from
/// `dist/manifest.json`; empty when the bundle has no such file (every
/// file has its plain name).
fn bundle_names(dist: &Path) -> HashMap<String, String> {
    let path = dist.join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return HashMap::new();
    };
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a map of names: {e}", path.display()))
}

/// The server binary, checked to be present and newer than its sources:
/// the debug build, or the release build when `E2E_SERVER_PROFILE` is
/// `release` (the benchmarks in `tests/examples` time the server too).
pub fn server_bin() -> PathBuf {
    let root = workspace_root();
    let release = std::env::var("E2E_SERVER_PROFILE").is_ok_and(|p| p == "release");
    let (profile, build) = if release {
        ("release", "cargo build --release -p server")
    } else {
        ("debug", "cargo build -p server")
    };
    let bin = target_dir().join(profile).join("server");
    assert!(
        bin.exists(),
        "{} is missing. Run `cargo xtask test` (or `{build}`).",
        bin.display()
    );
    // Sources only: cargo relinks for neither a manifest edit that changes
    // nothing nor a file rustc does not read, and the test would then
    // ask, for ever, for a build that changes nothing.
    let sources = [root.join("server/src"), root.join("shared/src")];
    assert_fresh(&bin, &sources, build);
    bin
}

/// Fails when a file under `sources` changed after `artifact` was built.
fn assert_fresh(artifact: &Path, sources: &[PathBuf], rebuild: &str) {
    let built = modified(artifact).expect("the artifact exists");
    let newest = sources.iter().filter_map(|s| newest_modified(s)).max();
    let Some((changed, source)) = newest else {
        return;
    };
    assert!(
        changed <= built,
        "{} is older than {}; run `{rebuild}` (or `cargo xtask test`) first",
        artifact.display(),
        source.display()
    );
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The most recently modified file under `path`, with its time; an
/// editor's swap and backup files, hidden files and a merge's leftovers are
/// no sources.
fn newest_modified(path: &Path) -> Option<(SystemTime, PathBuf)> {
    let name = path.file_name()?.to_string_lossy();
    let leftover = name.starts_with('.')
        || [".swp", "~", ".orig", ".rej", ".bak"]
            .iter()
            .any(|end| name.ends_with(end));
    if leftover {
        return None;
    }
    if path.is_file() {
        return modified(path).map(|t| (t, path.to_path_buf()));
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest_modified(&entry.path()))
        .max()
}
