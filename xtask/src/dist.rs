//! `dist/`: the app built for wasm and assembled into the bundle the server
//! serves.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::bundle::{self, FNV_OFFSET, fnv1a};
use crate::files::{copy, copy_tree, file_name, files_in, kib, relative_files};
use crate::process::{cmd, secs, step};
use crate::tools::BuildTools;
use crate::{Ctx, Result, WASM_TARGET};

/// Builds the app for wasm and assembles `dist/`: the wasm-bindgen output,
/// `index.html`, the CSS from `style/`, and the static assets in
/// `app/static/`. The wasm, its JS glue, the CSS and `index.html`'s
/// start-up script get names from their content (`bundle::fingerprint`,
/// listed in `dist/manifest.json`), the service worker is stamped with the
/// final list of files, and every text and wasm file gets a `.br` and a
/// `.gz` beside it (`bundle::precompress`).
pub fn build_dist(ctx: &Ctx, tools: &BuildTools) -> Result<()> {
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
