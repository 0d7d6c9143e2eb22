//! The built app (`dist/`) at `/`, for a fast first load and cheap reloads.
//!
//! - **Compressed ahead of time.** `cargo xtask dist` writes a `.br` and a
//!   `.gz` beside each text and wasm file; `ServeDir` answers with the one
//!   the browser accepts (`Content-Encoding`), and every answer says `Vary:
//!   Accept-Encoding`.
//! - **Cached for good when the name says what is inside.** A file named
//!   `NAME-HHHHHHHH.EXT` (eight hex digits of its content's hash, as
//!   `cargo xtask dist` names the wasm, the JS and the CSS) never changes,
//!   so it is `immutable` for a year. Everything else (`index.html`, which
//!   names those files, the service worker, the web manifest, the icon, and
//!   `index.html` served for the app's own routes) is `no-cache`: the
//!   browser asks again each time, with the `ETag`, and gets a bodiless 304
//!   while the file is the same.
//! - **ETags from the content.** The `ETag` is a SHA-256 of the file (not
//!   of its time stamp, so an identical rebuild still answers 304), with the
//!   encoding appended because the brotli, gzip and plain bodies are
//!   different representations. The hash is kept per file and computed
//!   again when the file's size or time stamp changes.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;
use tower_http::services::{ServeDir, ServeFile};

/// `Cache-Control` of a file whose name carries its content's hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of every other file: always revalidate (with the ETag).
pub const NO_CACHE: &str = "no-cache";

/// The app in `dist`, with `index.html` for every path that is no file
/// and names none (see [`Assets::is_missing_file`]).
pub fn router(dist: PathBuf) -> Router {
    let index = ServeFile::new(dist.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let files = ServeDir::new(&dist)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    let assets = Arc::new(Assets {
        dist,
        digests: Mutex::default(),
    });
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(assets, caching))
}

/// Whether a file name carries its content's hash: `NAME-HHHHHHHH.EXT`
/// with eight lowercase hex digits.
pub fn is_fingerprinted(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    let Some((stem, _ext)) = name.rsplit_once('.') else {
        return false;
    };
    let Some((_, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    hash.len() == 8
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

struct Assets {
    dist: PathBuf,
    /// Per file relative to `dist`: its size and time stamp when hashed, and
    /// the hash.
    digests: Mutex<HashMap<String, (u64, SystemTime, String)>>,
}

impl Assets {
    /// The file under `dist` that answers `path`: the file itself, the
    /// `index.html` of a directory, or, for any other path, `index.html`
    /// (the fallback). `None` for a path this cannot tell (percent-escapes,
    /// odd segments), which then gets no ETag.
    fn file_for(&self, path: &str) -> Option<String> {
        let relative = path.strip_prefix('/')?;
        let relative = if relative.is_empty() || relative.ends_with('/') {
            format!("{relative}index.html")
        } else {
            relative.to_string()
        };
        let plain = relative.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && !segment.contains(['%', '\\'])
        });
        if !plain {
            return None;
        }
        if self.dist.join(&relative).is_file() {
            Some(relative)
        } else {
            Some("index.html".into())
        }
    }

    /// Whether `path` names a file (its last segment has an extension)
    /// that `dist` does not hold. Such a path gets 404, not `index.html`
    /// as the app's routes do: during an upgrade a tablet's new service
    /// worker may ask for a file of a build not deployed here yet, and
    /// would keep the page as that script or wasm and serve it from then
    /// on, leaving the app blank.
    fn is_missing_file(&self, path: &str) -> bool {
        let last = path.rsplit('/').next().unwrap_or_default();
        last.contains('.')
            && last != "index.html"
            && self.file_for(path).as_deref() == Some("index.html")
    }

    /// The length and modification time of `file` and of its compressed
    /// copies (`.br`, `.gz`, which are what a browser gets), which a new
    /// build's copy changes; `None` without the file.
    async fn stamp(&self, file: &str) -> Option<Stamp> {
        let of = |name: String| async move {
            let meta = tokio::fs::metadata(self.dist.join(name)).await.ok()?;
            Some((meta.len(), meta.modified().ok()?))
        };
        let plain = of(file.to_string()).await?;
        Some([
            Some(plain),
            of(format!("{file}.br")).await,
            of(format!("{file}.gz")).await,
        ])
    }

    /// The hex SHA-256 (first 16 bytes) of `file`'s content, if it and its
    /// compressed copies are still those of `stamp` ([`Assets::stamp`]).
    async fn digest(&self, file: &str, stamp: Stamp) -> Option<String> {
        let path = self.dist.join(file);
        if self.stamp(file).await? != stamp {
            return None;
        }
        let plain = stamp[0]?;
        let known = self
            .digests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(file)
            .filter(|(len, modified, _)| (*len, *modified) == plain)
            .map(|(_, _, digest)| digest.clone());
        if known.is_some() {
            return known;
        }
        let bytes = tokio::fs::read(&path).await.ok()?;
        // Replaced while it was read: the digest would name neither.
        if self.stamp(file).await? != stamp {
            return None;
        }
        let digest = tokio::task::spawn_blocking(move || {
            Sha256::digest(&bytes)[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        })
        .await
        .ok()?;
        self.digests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(file.to_string(), (plain.0, plain.1, digest.clone()));
        Some(digest)
    }
}

/// A file's length and modification time, and those of its `.br` and `.gz`
/// copies if it has them ([`Assets::stamp`]).
type Stamp = [Option<(u64, std::time::SystemTime)>; 3];

/// Adds `Cache-Control`, `ETag` and `Vary` to what `ServeDir` answers, and
/// answers 304 itself when the browser's `If-None-Match` holds the ETag.
async fn caching(State(assets): State<Arc<Assets>>, mut req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    if assets.is_missing_file(req.uri().path()) {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    }
    let file = assets.file_for(req.uri().path());
    // The file as it is before it is served: a new build copied in while
    // it is (a deploy) would otherwise give the old bytes the new bytes'
    // ETag, and the browser would revalidate the old page for good. An
    // ETag is given only when the file is unchanged after.
    let before = match &file {
        Some(file) => assets.stamp(file).await,
        None => None,
    };
    let if_none_match = req.headers_mut().remove(IF_NONE_MATCH);
    // The ETag is the validator: `ServeDir` must not answer a 304 of its
    // own from the time stamp, which would carry none of these headers.
    req.headers_mut().remove(IF_MODIFIED_SINCE);
    let mut response = next.run(req).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let cache_control = match &file {
        Some(file) if is_fingerprinted(file) => IMMUTABLE,
        _ => NO_CACHE,
    };
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if !varies_by_encoding(headers) {
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    }
    let Some(file) = file else {
        return response;
    };
    let suffix = match headers.get(CONTENT_ENCODING).map(HeaderValue::as_bytes) {
        None => "",
        Some(b"br") => "-br",
        Some(b"gzip") => "-gz",
        Some(_) => return response,
    };
    let Some(stamp) = before else {
        return response;
    };
    let Some(digest) = assets.digest(&file, stamp).await else {
        return response;
    };
    let Ok(etag) = HeaderValue::from_str(&format!("\"{digest}{suffix}\"")) else {
        return response;
    };
    if if_none_match.is_some_and(|tags| matches(&tags, &etag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        let headers = not_modified.headers_mut();
        headers.insert(ETAG, etag);
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        return not_modified;
    }
    response.headers_mut().insert(ETAG, etag);
    response
}

fn varies_by_encoding(headers: &HeaderMap) -> bool {
    headers.get_all(VARY).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    })
}

/// Whether an `If-None-Match` list holds `etag` (weak comparison, as
/// RFC 9110 asks for `If-None-Match`).
fn matches(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let (Ok(list), Ok(etag)) = (if_none_match.to_str(), etag.to_str()) else {
        return false;
    };
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_with_eight_hex_digits_are_fingerprinted() {
        assert!(is_fingerprinted("app-0123abcd.js"));
        assert!(is_fingerprinted("app_bg-0123abcd.wasm"));
        assert!(is_fingerprinted("sub/print-deadbeef.css"));
        assert!(!is_fingerprinted("index.html"));
        assert!(!is_fingerprinted("sw.js"));
        assert!(!is_fingerprinted("app-0123abc.js"));
        assert!(!is_fingerprinted("app-0123ABCD.js"));
        assert!(!is_fingerprinted("app-0123abcg.js"));
        assert!(!is_fingerprinted("0123abcd"));
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        let etag = HeaderValue::from_static("\"abc-br\"");
        let check = |list: &'static str| matches(&HeaderValue::from_static(list), &etag);
        assert!(check("\"abc-br\""));
        assert!(check("W/\"abc-br\""));
        assert!(check("\"x\", \"abc-br\""));
        assert!(check("*"));
        assert!(!check("\"abc\""));
        assert!(!check("\"abc-gz\""));
    }

    /// A deploy copies a new build in while the old page is served: the
    /// old bytes must not go out under the new bytes' ETag.
    #[tokio::test]
    async fn a_file_replaced_since_it_was_served_gets_no_etag() {
        let dist = tempfile::tempdir().expect("temp dir");
        let page = dist.path().join("index.html");
        std::fs::write(&page, "<!doctype html><script src=app-0123abcd.js>").expect("write");
        let assets = Assets {
            dist: dist.path().to_path_buf(),
            digests: Mutex::default(),
        };
        let compressed = dist.path().join("index.html.br");
        std::fs::write(&compressed, "old compressed page").expect("write");
        let served = assets.stamp("index.html").await.expect("a stamp");
        assert!(assets.digest("index.html", served).await.is_some());
        // The compressed copy, which is what a browser gets, comes first.
        std::fs::write(&compressed, "new compressed page, longer").expect("the new build");
        assert_eq!(assets.digest("index.html", served).await, None);
        let served = assets.stamp("index.html").await.expect("a stamp");
        std::fs::write(
            &page,
            "<!doctype html><script src=app-4567cdef.js></script>",
        )
        .expect("the new build");
        assert_eq!(assets.digest("index.html", served).await, None);
    }

    #[test]
    fn paths_map_to_files_or_to_the_fallback() {
        let dist = tempfile::tempdir().expect("temp dir");
        std::fs::write(dist.path().join("index.html"), "<!doctype html>").expect("write");
        std::fs::write(dist.path().join("app-0123abcd.js"), "//").expect("write");
        let assets = Assets {
            dist: dist.path().to_path_buf(),
            digests: Mutex::default(),
        };
        let file = |path: &str| assets.file_for(path);
        assert_eq!(file("/"), Some("index.html".into()));
        assert_eq!(file("/app-0123abcd.js"), Some("app-0123abcd.js".into()));
        assert_eq!(file("/cases/123"), Some("index.html".into()));
        assert_eq!(file("/a%20b.js"), None);
        assert_eq!(file("/../etc/passwd"), None);
    }
}
