//! What turns the wasm-bindgen output and the copied files in `dist/` into
//! a bundle that loads fast and caches well:
//!
//! - [`fingerprint`] names the wasm, its JS glue and the CSS after their
//!   content (`app_bg-1a2b3c4d.wasm`, `app-5e6f7a8b.js`, `app-9c0d1e2f.css`),
//!   so the server can let browsers keep them for a year, and rewrites the
//!   references (the glue's URL of the wasm, `index.html`'s links). It also
//!   moves `index.html`'s inline start-up script into `boot-HASH.js`: the
//!   server's content security policy allows no inline script. The names
//!   it gave are written to `dist/manifest.json` (`{"app.js":
//!   "app-5e6f7a8b.js", …}`) for tools that look for a file by its plain
//!   name (the browser tests).
//! - [`precompress`] writes `NAME.br` (brotli, quality 11) and `NAME.gz`
//!   (gzip -9) beside every text and wasm file, which the server sends to
//!   browsers that accept them.
//!
//! The hash is eight hex digits of FNV-1a: the server treats exactly the
//! names `NAME-HHHHHHHH.EXT` as immutable (`server/src/assets.rs`).

use crate::Result;
use crate::files::{file_name, files_in};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file in `dist/` listing the plain name of each renamed file with its
/// new name.
pub const MANIFEST: &str = "manifest.json";

/// One build of the app: its wasm-bindgen output (`--out-name NAME`:
/// `NAME.js` and `NAME_bg.wasm`) and the page that loads it.
pub struct Bundle {
    /// wasm-bindgen's `--out-name`.
    pub name: &'static str,
    /// The app's cargo features.
    pub features: &'static str,
    /// The page under `dist/`.
    pub page: &'static str,
}

impl Bundle {
    /// The JS glue's plain name.
    pub fn glue(&self) -> String {
        format!("{}.js", self.name)
    }

    /// The wasm's plain name.
    pub fn wasm(&self) -> String {
        format!("{}_bg.wasm", self.name)
    }

    /// The plain name of the page's `n`th start-up script (from 0).
    fn boot(&self, n: usize) -> String {
        match n {
            0 => format!("{}boot.js", self.boot_prefix()),
            n => format!("{}boot{}.js", self.boot_prefix(), n + 1),
        }
    }

    /// What the plain names of the page's start-up scripts start with:
    /// nothing for `index.html`'s, which were named first.
    fn boot_prefix(&self) -> String {
        match self.page {
            "index.html" => String::new(),
            _ => format!("{}-", self.name),
        }
    }

    /// Whether the file with the plain name `plain` is this bundle's: its
    /// wasm, its glue or its page's start-up script.
    pub fn owns(&self, plain: &str) -> bool {
        let boot = plain
            .strip_prefix(&format!("{}boot", self.boot_prefix()))
            .and_then(|rest| rest.strip_suffix(".js"))
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
        boot || plain == self.glue() || plain == self.wasm()
    }
}

/// The field bundle, served at `/` and kept by the service worker for
/// offline use, and the office bundle, the whole app with the head-office
/// screens, served at `/office/` (`app/src/office.rs`).
pub const BUNDLES: [Bundle; 2] = [
    Bundle {
        name: "app",
        features: "",
        page: "index.html",
    },
    Bundle {
        name: "office",
        features: "office",
        page: "office/index.html",
    },
];

/// What [`precompress`] compresses, by extension.
const COMPRESSIBLE: [&str; 8] = [
    "html",
    "js",
    "css",
    "wasm",
    "svg",
    "webmanifest",
    "json",
    "txt",
];

/// Renames the wasm, the glue and the CSS of `dist` after their content,
/// moves each page's inline scripts to hashed files, rewrites every
/// reference, and writes [`MANIFEST`]. Returns the renames (plain name →
/// hashed name).
pub fn fingerprint(dist: &Path) -> Result<BTreeMap<String, String>> {
    let mut names = BTreeMap::new();
    for bundle in BUNDLES.iter().filter(|b| dist.join(b.glue()).exists()) {
        fingerprint_code(dist, bundle, &mut names)?;
    }
    for css in files_in(dist)? {
        if css.extension().is_some_and(|e| e == "css") {
            rename_hashed(dist, &file_name(&css), &mut names)?;
        }
    }
    for bundle in BUNDLES.iter().filter(|b| dist.join(b.page).exists()) {
        fingerprint_page(dist, bundle, &mut names)?;
    }

    let manifest = names
        .iter()
        .map(|(plain, hashed)| format!("  \"{plain}\": \"{hashed}\""))
        .collect::<Vec<_>>()
        .join(",\n");
    write(&dist.join(MANIFEST), &format!("{{\n{manifest}\n}}\n"))?;
    Ok(names)
}

/// Renames `bundle`'s wasm and glue after their content.
fn fingerprint_code(
    dist: &Path,
    bundle: &Bundle,
    names: &mut BTreeMap<String, String>,
) -> Result<()> {
    let (glue_name, wasm) = (bundle.glue(), bundle.wasm());
    // The wasm first: the glue names it.
    rename_hashed(dist, &wasm, names)?;

    // wasm-bindgen's glue finds the wasm with `new URL('app_bg.wasm',
    // import.meta.url)`, relative to its own URL.
    let glue = read(&dist.join(&glue_name))?;
    if !glue.contains(&format!("'{wasm}'")) && !glue.contains(&format!("\"{wasm}\"")) {
        return Err(format!(
            "{glue_name} no longer names '{wasm}': wasm-bindgen's glue changed; \
             teach xtask/src/bundle.rs where it loads the wasm from"
        ));
    }
    write(&dist.join(&glue_name), &rewrite(&glue, names))?;
    rename_hashed(dist, &glue_name, names)
}

/// Moves `bundle`'s page's inline scripts to hashed files and rewrites its
/// references to renamed files.
fn fingerprint_page(
    dist: &Path,
    bundle: &Bundle,
    names: &mut BTreeMap<String, String>,
) -> Result<()> {
    let page_path = dist.join(bundle.page);
    let page = read(&page_path)?;
    let mut boots = Vec::new();
    let page = externalize_scripts(&page, |body| {
        let body = rewrite(body, names);
        let name = hashed_name("boot.js", body.as_bytes());
        write(&dist.join(&name), &body)?;
        boots.push(name.clone());
        Ok(name)
    })?;
    let page = rewrite(&page, names);
    // A reference in another form (unquoted, with a query) would load a
    // file that no longer exists; so would one in a comment, which is
    // cheap to reword.
    for plain in names.keys() {
        if page.contains(plain.as_str()) {
            return Err(format!(
                "{} still names {plain} after the renames; \
                 refer to it as \"/{plain}\" so that xtask rewrites it",
                bundle.page
            ));
        }
    }
    for (i, boot) in boots.into_iter().enumerate() {
        names.insert(bundle.boot(i), boot);
    }
    write(&page_path, &page)
}

/// Writes `.br` and `.gz` beside every compressible file under `dist`
/// (except [`MANIFEST`], which no browser asks for),
/// keeping each only when it is smaller than the file.
///
/// Brotli at quality 11 takes some 20 s for the wasm (quality 9 takes 1 s
/// but its output is 12% larger, and the first load is what this is for),
/// so results are kept in `cache` by content hash and reused while the
/// content is the same: a rebuild that changes no Rust, or only the CSS,
/// costs nothing here. The cache keeps only what the last build used. Each
/// file is compressed on a thread of its own, so the small ones are done
/// while the wasm is.
pub fn precompress(dist: &Path, cache: &Path) -> Result<()> {
    let mut files = Vec::new();
    collect(dist, &mut files)?;
    files.retain(|f| {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        let name = file_name(f);
        COMPRESSIBLE.contains(&ext) && name != MANIFEST
    });
    fs::create_dir_all(cache).map_err(|e| format!("create {}: {e}", cache.display()))?;
    let used = std::thread::scope(|scope| {
        let jobs: Vec<_> = files
            .iter()
            .map(|file| scope.spawn(move || compress_file(file, cache)))
            .collect();
        jobs.into_iter()
            .map(|job| {
                job.join()
                    .map_err(|_| "a compression thread panicked".to_string())?
            })
            .collect::<Result<Vec<String>>>()
    })?;
    for entry in files_in(cache)? {
        let stem = entry
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !used.contains(&stem) {
            let _ = fs::remove_file(&entry);
        }
    }
    Ok(())
}

/// The name `plain` gets for `content`: `stem-HHHHHHHH.ext`.
pub fn hashed_name(plain: &str, content: &[u8]) -> String {
    let hash = format!("{:016x}", fnv1a(FNV_OFFSET, content));
    match plain.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}-{}.{ext}", &hash[..8]),
        None => format!("{plain}-{}", &hash[..8]),
    }
}

/// Replaces every quoted reference to a renamed file (`"/app.css"`,
/// `'./app.js'`, `'app_bg.wasm'`) with its new name.
pub fn rewrite(text: &str, names: &BTreeMap<String, String>) -> String {
    let mut text = text.to_string();
    for (plain, hashed) in names {
        for quote in ['"', '\''] {
            for prefix in ["/", "./", ""] {
                text = text.replace(
                    &format!("{quote}{prefix}{plain}{quote}"),
                    &format!("{quote}{prefix}{hashed}{quote}"),
                );
            }
        }
    }
    text
}

/// Moves the body of each inline `<script>` of `html` out through `save`
/// (which returns the file name it saved it as) and puts a `src` to that
/// file in its place, keeping the other attributes (`type="module"`).
pub fn externalize_scripts(
    html: &str,
    mut save: impl FnMut(&str) -> Result<String>,
) -> Result<String> {
    const OPEN: &str = "<script";
    const CLOSE: &str = "</script>";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let open_end = tag
            .find('>')
            .ok_or("index.html has a <script tag that never closes")?;
        let attributes = &tag[OPEN.len()..open_end];
        let body_and_after = &tag[open_end + 1..];
        let close = body_and_after
            .find(CLOSE)
            .ok_or("index.html has a <script> without </script>")?;
        let body = &body_and_after[..close];
        if attributes.contains("src=") || body.trim().is_empty() {
            out.push_str(&tag[..open_end + 1 + close + CLOSE.len()]);
        } else {
            let name = save(&dedent(body))?;
            out.push_str(&format!(
                "{OPEN}{} src=\"/{name}\"></script>",
                attributes.trim_end()
            ));
        }
        rest = &body_and_after[close + CLOSE.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A script body without the indentation it had inside `index.html`.
fn dedent(body: &str) -> String {
    let lines: Vec<&str> = body.lines().filter(|l| !l.trim().is_empty()).collect();
    let indent = lines
        .iter()
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut text = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
        .collect::<Vec<_>>()
        .join("\n");
    text.push('\n');
    text
}

/// Renames `dist/plain` after its content and records it in `names`.
fn rename_hashed(dist: &Path, plain: &str, names: &mut BTreeMap<String, String>) -> Result<()> {
    let from = dist.join(plain);
    let bytes = fs::read(&from).map_err(|e| format!("read {}: {e}", from.display()))?;
    let hashed = hashed_name(plain, &bytes);
    let to = dist.join(&hashed);
    fs::rename(&from, &to)
        .map_err(|e| format!("rename {} to {}: {e}", from.display(), to.display()))?;
    names.insert(plain.to_string(), hashed);
    Ok(())
}

/// Compresses `file` (or takes it from `cache`) and returns its cache key.
fn compress_file(file: &Path, cache: &Path) -> Result<String> {
    let raw = fs::read(file).map_err(|e| format!("read {}: {e}", file.display()))?;
    // The settings are part of the key, so changing them recompresses.
    let key = format!(
        "{:016x}-{}-q{BROTLI_QUALITY}w{BROTLI_WINDOW}",
        fnv1a(FNV_OFFSET, &raw),
        raw.len()
    );
    for (suffix, compress) in [("gz", gzip as fn(&[u8]) -> Result<Vec<u8>>), ("br", brotli)] {
        let cached = cache.join(format!("{key}.{suffix}"));
        let bytes = match fs::read(&cached) {
            Ok(bytes) => bytes,
            Err(_) => {
                let bytes = compress(&raw).map_err(|e| format!("{}: {e}", file.display()))?;
                fs::write(&cached, &bytes)
                    .map_err(|e| format!("write {}: {e}", cached.display()))?;
                bytes
            }
        };
        if bytes.len() < raw.len() {
            let target = PathBuf::from(format!("{}.{suffix}", file.display()));
            fs::write(&target, bytes).map_err(|e| format!("write {}: {e}", target.display()))?;
        }
    }
    Ok(key)
}

const BROTLI_QUALITY: i32 = 11;
const BROTLI_WINDOW: i32 = 22;

fn gzip(raw: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(raw)
        .and_then(|()| encoder.finish())
        .map_err(|e| format!("gzip: {e}"))
}

fn brotli(raw: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: BROTLI_WINDOW,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &raw[..], &mut out, &params).map_err(|e| format!("brotli: {e}"))?;
    Ok(out)
}

/// Every file under `dir`.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in files_in(dir)? {
        if entry.is_dir() {
            collect(&entry, out)?;
        } else {
            out.push(entry);
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

/// 64-bit FNV-1a: a stable content hash without a dependency.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

pub fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    fn names(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn hashed_names_keep_stem_and_extension() {
        let name = hashed_name("app_bg.wasm", b"x");
        assert!(
            name.starts_with("app_bg-") && name.ends_with(".wasm"),
            "{name}"
        );
        assert_eq!(name.len(), "app_bg-12345678.wasm".len());
        assert_ne!(hashed_name("app.js", b"a"), hashed_name("app.js", b"b"));
    }

    #[test]
    fn quoted_references_are_rewritten_and_nothing_else() {
        let n = names(&[
            ("app.js", "app-11111111.js"),
            ("app.css", "app-22222222.css"),
        ]);
        assert_eq!(
            rewrite("import init from '/app.js'; // app.js", &n),
            "import init from '/app-11111111.js'; // app.js"
        );
        assert_eq!(
            rewrite(r#"<link href="/app.css"><link href="/admin.css">"#, &n),
            r#"<link href="/app-22222222.css"><link href="/admin.css">"#
        );
        assert_eq!(
            rewrite("new URL('app.js', import.meta.url)", &n),
            "new URL('app-11111111.js', import.meta.url)"
        );
    }

    #[test]
    fn compressed_files_come_from_the_cache_while_the_content_is_the_same() {
        let dir = std::env::temp_dir().join(format!("xtask-bundle-test-{}", std::process::id()));
        let (dist, cache) = (dir.join("dist"), dir.join("cache"));
        fs::create_dir_all(&dist).expect("create");
        let text = "body { color: red; } ".repeat(50);
        fs::write(dist.join("a.css"), &text).expect("write");
        fs::write(dist.join("old.css"), "p { margin: 0; } ".repeat(50)).expect("write");
        precompress(&dist, &cache).expect("first");
        assert_eq!(files_in(&cache).expect("cache").len(), 4);
        // A cached result is used as it is: mark it to see it come back.
        let cached = files_in(&cache)
            .expect("cache")
            .into_iter()
            .find(|f| fs::read(f).is_ok_and(|b| b == fs::read(dist.join("a.css.gz")).expect("gz")))
            .expect("the gzip of a.css is cached");
        fs::write(&cached, b"marker").expect("mark");
        fs::remove_file(dist.join("old.css")).expect("remove");
        precompress(&dist, &cache).expect("second");
        let reused = fs::read(dist.join("a.css.gz")).expect("gz");
        let left = files_in(&cache).expect("cache").len();
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(reused, b"marker");
        assert_eq!(left, 2, "the cache keeps only what the last build used");
    }

    #[test]
    fn inline_scripts_move_to_files_and_others_stay() {
        let html = "<head><script src=\"/x.js\"></script></head>\n<body>\n    <script type=\"module\">\n      import init from '/app.js';\n      init();\n    </script>\n</body>";
        let mut saved = Vec::new();
        let out = externalize_scripts(html, |body| {
            saved.push(body.to_string());
            Ok("boot-00000000.js".into())
        })
        .expect("externalize");
        assert_eq!(
            out,
            "<head><script src=\"/x.js\"></script></head>\n<body>\n    <script type=\"module\" src=\"/boot-00000000.js\"></script>\n</body>"
        );
        assert_eq!(
            saved,
            vec!["import init from '/app.js';\ninit();\n".to_string()]
        );
    }
}
