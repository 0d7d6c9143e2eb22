//! `dist/`: the app built for wasm and assembled into the bundle the server
//! serves.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::bundle::{self, BUNDLES, Bundle, FNV_OFFSET, fnv1a};
use crate::files::{copy, copy_tree, file_name, files_in, kib, relative_files};
use crate::process::{cmd, secs, step};
use crate::tools::BuildTools;
use crate::{Ctx, Result, WASM_TARGET};

/// Builds the app for wasm and assembles `dist/`: the wasm-bindgen output
/// and the page of each bundle (`bundle::BUNDLES`), the CSS from `style/`,
/// and the static assets in `app/static/`. The wasm, the JS glue, the CSS
/// and the pages' start-up scripts get names from their content
/// (`bundle::fingerprint`, listed in `dist/manifest.json`), the service
/// worker is stamped with the final lists of files, and every text and wasm
/// file gets a `.br` and a `.gz` beside it (`bundle::precompress`).
///
/// It is assembled beside `dist/` and swapped in whole at the end: a
/// running server keeps serving the previous build meanwhile, and a tablet
/// checking for an update never installs a half-built shell (a service
/// worker not stamped yet, or an `index.html` naming files not there).
pub fn build_dist(ctx: &Ctx, tools: &BuildTools) -> Result<()> {
    let dist = ctx.root.join("dist.building");
    step(&format!("assemble {}", dist.display()));
    if dist.exists() {
        fs::remove_dir_all(&dist).map_err(|e| format!("remove {}: {e}", dist.display()))?;
    }
    fs::create_dir_all(&dist).map_err(|e| format!("create {}: {e}", dist.display()))?;
    for bundle in &BUNDLES {
        build_bundle(ctx, tools, bundle, &dist)?;
    }
    write_pages(ctx, &dist)?;
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
    stamp_service_worker(&dist, &names)?;
    step("precompress (brotli 11, gzip -9)");
    let started = Instant::now();
    bundle::precompress(&dist, &ctx.target_dir.join("xtask-precompressed"))?;
    println!("compressed in {}", secs(started));
    let dist = swap_in(&dist, &ctx.dist_dir())?;

    println!("bundle sizes (raw / gzip -9 / brotli 11):");
    let plains = BUNDLES.iter().flat_map(|b| [b.wasm(), b.glue()]);
    for plain in plains {
        let file = dist.join(names.get(&plain).unwrap_or(&plain));
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

/// Puts the directory `built` in the place of `dist`, with two renames
/// (the old one moved aside first), and removes the old one. Answers where
/// it now is.
fn swap_in(built: &Path, dist: &Path) -> Result<PathBuf> {
    let old = dist.with_file_name("dist.old");
    if old.exists() {
        fs::remove_dir_all(&old).map_err(|e| format!("remove {}: {e}", old.display()))?;
    }
    if dist.exists() {
        fs::rename(dist, &old).map_err(|e| format!("move {} aside: {e}", dist.display()))?;
    }
    fs::rename(built, dist).map_err(|e| format!("move {} in: {e}", built.display()))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(|e| format!("remove {}: {e}", old.display()))?;
    }
    Ok(dist.to_path_buf())
}

/// Builds `bundle` for wasm into `dist`: cargo, wasm-bindgen and, when
/// installed, wasm-opt.
fn build_bundle(ctx: &Ctx, tools: &BuildTools, bundle: &Bundle, dist: &Path) -> Result<()> {
    step(&format!(
        "build the app for wasm (profile wasm-release, features \"{}\")",
        bundle.features
    ));
    cmd(ctx.cargo().args([
        "build",
        "--profile",
        "wasm-release",
        "--target",
        WASM_TARGET,
        "-p",
        "app",
        "--features",
        bundle.features,
    ]))?;
    let wasm = ctx
        .target_dir
        .join(WASM_TARGET)
        .join("wasm-release")
        .join("app.wasm");
    cmd(Command::new(&tools.wasm_bindgen)
        .arg(&wasm)
        .arg("--out-dir")
        .arg(dist)
        .args([
            "--out-name",
            bundle.name,
            "--target",
            "web",
            "--no-typescript",
        ]))?;
    let bundle_wasm = dist.join(bundle.wasm());
    match &tools.wasm_opt {
        Some(wasm_opt) => cmd(Command::new(wasm_opt)
            .arg("-Oz")
            .arg(&bundle_wasm)
            .arg("-o")
            .arg(&bundle_wasm)),
        None => {
            println!("skipping wasm-opt (not installed)");
            Ok(())
        }
    }
}

/// Writes each bundle's page: `app/index.html` as it is for the field
/// bundle, and with the office bundle's glue in place of the field
/// bundle's for the office page.
fn write_pages(ctx: &Ctx, dist: &Path) -> Result<()> {
    let source = ctx.root.join("app").join("index.html");
    let html =
        fs::read_to_string(&source).map_err(|e| format!("read {}: {e}", source.display()))?;
    let field = &BUNDLES[0];
    let field_import = format!("'/{}'", field.glue());
    for bundle in &BUNDLES {
        let page = dist.join(bundle.page);
        if let Some(dir) = page.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        }
        if !html.contains(&field_import) {
            return Err(format!(
                "{} no longer imports {field_import}: teach xtask/src/dist.rs how the page loads the app",
                source.display()
            ));
        }
        let text = html.replace(&field_import, &format!("'/{}'", bundle.glue()));
        fs::write(&page, text).map_err(|e| format!("write {}: {e}", page.display()))?;
    }
    Ok(())
}

/// Fills in the service worker's cache name and file lists (the
/// `__VERSION__`, `"__FILES__"` and `"__LATER__"` placeholders in
/// `app/static/sw.js`). `FILES` is precached: everything but the office
/// page's own files, which `LATER` lists for the worker to keep once
/// fetched. The version is a hash of the bundle, so each different build
/// gets a cache of its own and the worker drops the old one.
fn stamp_service_worker(dist: &Path, names: &BTreeMap<String, String>) -> Result<()> {
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
    let later = office_only(names);
    files.retain(|f| !later.contains(f));
    let quoted = |paths: Vec<String>| {
        paths
            .into_iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // "./" too: navigations to the root must hit the cache when offline.
    let list = quoted(
        std::iter::once("./".to_string())
            .chain(files.iter().map(|f| format!("./{f}")))
            .collect(),
    );
    // As the worker sees them: URL paths, a page as its directory.
    let later = quoted(
        later
            .iter()
            .map(|f| format!("/{}", f.trim_end_matches("index.html")))
            .collect(),
    );
    let text = fs::read_to_string(&sw).map_err(|e| format!("read {}: {e}", sw.display()))?;
    for placeholder in ["__VERSION__", "\"__FILES__\"", "\"__LATER__\""] {
        if !text.contains(placeholder) {
            return Err(format!(
                "app/static/sw.js lacks the {placeholder} placeholder"
            ));
        }
    }
    let text = text
        .replace("\"__FILES__\"", &list)
        .replace("\"__LATER__\"", &later)
        .replace("__VERSION__", &version);
    fs::write(&sw, text).map_err(|e| format!("write {}: {e}", sw.display()))?;
    println!(
        "service worker: cache shell-{version}, precaching {list}; keeping once fetched {later}"
    );
    Ok(())
}

/// The files under `dist` that only the office page loads: its page, its
/// wasm, glue and start-up scripts. Staff tablets never open it, so they
/// need not download it to work offline.
fn office_only(names: &BTreeMap<String, String>) -> Vec<String> {
    let mut files = Vec::new();
    for bundle in &BUNDLES[1..] {
        files.push(bundle.page.to_string());
        files.extend(
            names
                .iter()
                .filter(|(plain, _)| bundle.owns(plain))
                .map(|(_, hashed)| hashed.clone()),
        );
    }
    files
}
