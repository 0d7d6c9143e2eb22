//! The server as the network sees it, black-box against the real binary:
//! the app's files precompressed and negotiated, their caching headers and
//! ETags, compressed API answers, the security headers on every answer,
//! HTTPS with a certificate from `server tls init` and the plain-HTTP port
//! that only redirects, and the client's address behind a trusted proxy.
//!
//! The static-file tests serve a small fake `dist/` (made here), so they do
//! not depend on the real bundle. The server is started here rather than
//! through `common`, because these tests need its TLS flags and the second
//! line it prints.
//!
//! Over 700 lines because each network concern (TLS, redirects, proxies,
//! headers, clock skew) needs its own server start; they share the helpers
//! at the bottom.

mod common;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const PASSWORD: &str = "s3cret-pass";

/// The security headers every answer carries (name, exact value).
const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", server::headers::CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

const APP_JS: &str = "app-0123abcd.js";

// ---- static files ---------------------------------------------------------

#[test]
fn app_files_are_sent_in_the_encoding_the_browser_accepts() {
    let dist = fake_dist();
    let server = Running::fresh(&["--dist", path_str(dist.path())]);
    let url = server.url(&format!("/{APP_JS}"));
    for (accept, encoding, body) in [
        ("br", Some("br"), "fake brotli app"),
        ("gzip", Some("gzip"), "fake gzip app"),
        ("br;q=1, gzip;q=0.5", Some("br"), "fake brotli app"),
        ("gzip;q=1, br;q=0.1", Some("gzip"), "fake gzip app"),
        ("identity", None, "console.log('app');"),
    ] {
        let answer = fetch(&url, &[("accept-encoding", accept)]);
        assert_eq!(answer.status, 200, "{accept}");
        assert_eq!(answer.header("content-encoding"), encoding, "{accept}");
        assert_eq!(answer.text(), body, "{accept}");
        assert!(
            answer.varies_by_encoding(),
            "{accept}: vary {:?}",
            answer.header("vary")
        );
        assert!(
            answer
                .header("content-type")
                .is_some_and(|t| t.contains("javascript")),
            "{accept}: the type is the file's, not the encoding's"
        );
    }
    // index.html, also for the app's own routes.
    for path in ["/", "/cases/123"] {
        let answer = fetch(&server.url(path), &[("accept-encoding", "gzip")]);
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("content-encoding"), Some("gzip"), "{path}");
        assert_eq!(answer.text(), "fake gzip index", "{path}");
        assert!(answer.varies_by_encoding(), "{path}");
    }
    // A file this build does not hold (another build's, during an
    // upgrade) is missing, not the page: the service worker would keep
    // the page as that file and serve it from then on.
    for path in [
        "/app-deadbeef.wasm",
        "/app-deadbeef.js",
        "/nested/style.css",
    ] {
        let answer = fetch(&server.url(path), &[("accept-encoding", "gzip")]);
        assert_eq!(answer.status, 404, "{path}");
        assert_ne!(answer.text(), "fake gzip index", "{path}");
    }
}

#[test]
fn hashed_files_are_immutable_and_the_rest_revalidates_by_etag() {
    let dist = fake_dist();
    let server = Running::fresh(&["--dist", path_str(dist.path())]);

    let app = fetch(&server.url(&format!("/{APP_JS}")), &[]);
    assert_eq!(
        app.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    for path in [
        "/",
        "/index.html",
        "/sw.js",
        "/manifest.webmanifest",
        "/cases/123",
    ] {
        let answer = fetch(&server.url(path), &[]);
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("cache-control"), Some("no-cache"), "{path}");
        assert!(answer.header("etag").is_some(), "{path} has no ETag");
    }

    for (path, accept) in [("/", "br"), ("/", "identity"), ("/sw.js", "gzip")] {
        let first = fetch(&server.url(path), &[("accept-encoding", accept)]);
        let etag = first.header("etag").expect("an ETag").to_string();
        let again = fetch(
            &server.url(path),
            &[("accept-encoding", accept), ("if-none-match", &etag)],
        );
        assert_eq!(again.status, 304, "{path} {accept}");
        assert!(again.body.is_empty(), "{path} {accept}: a 304 has no body");
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        assert_eq!(again.header("cache-control"), Some("no-cache"));
        assert!(again.varies_by_encoding());
        has_security_headers(&again, &format!("304 of {path}"));
    }

    // The brotli and the plain index are different representations.
    let br = fetch(&server.url("/"), &[("accept-encoding", "br")]);
    let plain = fetch(&server.url("/"), &[("accept-encoding", "identity")]);
    assert_ne!(br.header("etag"), plain.header("etag"));
    let mismatch = fetch(
        &server.url("/"),
        &[
            ("accept-encoding", "identity"),
            ("if-none-match", br.header("etag").expect("an ETag")),
        ],
    );
    assert_eq!(mismatch.status, 200);

    // A new build: the old ETag no longer matches.
    let old = plain.header("etag").expect("an ETag").to_string();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>new build</title>",
    )
    .expect("rewrite index.html");
    let rebuilt = fetch(
        &server.url("/"),
        &[("accept-encoding", "identity"), ("if-none-match", &old)],
    );
    assert_eq!(rebuilt.status, 200);
    assert_eq!(rebuilt.text(), "<!doctype html><title>new build</title>");
    assert_ne!(rebuilt.header("etag"), Some(old.as_str()));

    // A browser that also sends If-Modified-Since gets the same answer.
    let etag = rebuilt.header("etag").expect("an ETag").to_string();
    let both = fetch(
        &server.url("/"),
        &[
            ("accept-encoding", "identity"),
            ("if-none-match", "\"something-else\""),
            ("if-modified-since", "Sun, 06 Nov 2050 08:49:37 GMT"),
        ],
    );
    assert_eq!(both.status, 200, "If-None-Match decides, not the date");
    assert_eq!(both.header("etag"), Some(etag.as_str()));
}

// ---- API -------------------------------------------------------------------

#[test]
fn api_answers_are_compressed_except_xlsx_and_short_ones() {
    let data = tempdir();
    add_admin(data.path());
    let server = Running::start(data.path(), &[], 1);
    let url = server.url("/api/openapi.json");
    let plain = fetch(&url, &[("accept-encoding", "identity")]);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(serde_json::from_slice::<Value>(&plain.body).is_ok());
    for encoding in ["br", "gzip"] {
        let answer = fetch(&url, &[("accept-encoding", encoding)]);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-encoding"), Some(encoding));
        assert!(answer.varies_by_encoding(), "{encoding}");
        assert!(
            answer.body.len() * 3 < plain.body.len(),
            "{encoding}: {} of {} bytes",
            answer.body.len(),
            plain.body.len()
        );
    }

    // A short answer, like a push's, goes out as it is.
    let short = fetch(
        &server.url("/api/v1/no-such-endpoint"),
        &[("accept-encoding", "br, gzip")],
    );
    assert_eq!(short.status, 404);
    assert_eq!(short.header("content-encoding"), None);
    assert!(short.body.len() < 1024, "{}", short.text());
    assert!(serde_json::from_slice::<Value>(&short.body).is_ok());

    let token = login(&server, "admin");
    let auth = format!("Bearer {token}");
    let csv = fetch(
        &server.url("/api/v1/exports/cases.csv"),
        &[("accept-encoding", "gzip"), ("authorization", &auth)],
    );
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert_eq!(csv.header("content-encoding"), Some("gzip"));
    assert_eq!(csv.header("x-total-rows"), Some("0"));
    let xlsx = fetch(
        &server.url("/api/v1/exports/cases.xlsx"),
        &[("accept-encoding", "br, gzip"), ("authorization", &auth)],
    );
    assert_eq!(xlsx.status, 200);
    assert_eq!(
        xlsx.header("content-encoding"),
        None,
        "a zip stays as it is"
    );
    assert_eq!(xlsx.header("x-total-rows"), Some("0"));
    assert_eq!(
        xlsx.header("content-length"),
        Some(xlsx.body.len().to_string().as_str()),
        "the app shows the XLSX progress against its length"
    );
}

/// A CSV export of several pages streams compressed to its end: the gzip
/// trailer's length is the plain export's, so nothing was cut off.
#[test]
fn a_long_csv_export_streams_compressed_to_its_end() {
    let fx = common::Fixture::new();
    let n = 2500;
    let start = chrono::DateTime::parse_from_rfc3339("2025-01-06T01:00:00Z")
        .expect("a time")
        .to_utc();
    common::seed_cases(fx.data.path(), "staff_a", &fx.pa, n, start, |i, r| {
        r.content = format!("第{i}号报修：楼道灯不亮");
    });
    let server = Running::start(fx.data.path(), &[], 1);
    let auth = format!("Bearer {}", login(&server, "admin"));
    let url = server.url("/api/v1/exports/cases.csv");
    let plain = fetch(
        &url,
        &[("accept-encoding", "identity"), ("authorization", &auth)],
    );
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("x-total-rows"), Some(n.to_string().as_str()));
    let gzip = fetch(
        &url,
        &[("accept-encoding", "gzip"), ("authorization", &auth)],
    );
    assert_eq!(gzip.status, 200);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip.header("x-total-rows"), Some(n.to_string().as_str()));
    assert_eq!(&gzip.body[..2], [0x1f, 0x8b], "a gzip stream");
    let size = gzip.body[gzip.body.len() - 4..]
        .try_into()
        .map(u32::from_le_bytes)
        .expect("the gzip trailer");
    assert_eq!(size as usize, plain.body.len(), "ISIZE of the gzip trailer");
    assert!(gzip.body.len() * 4 < plain.body.len());
    let br = fetch(&url, &[("accept-encoding", "br"), ("authorization", &auth)]);
    assert_eq!(br.status, 200);
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert!(!br.body.is_empty() && br.body.len() * 4 < plain.body.len());
}

#[test]
fn every_answer_carries_the_security_headers() {
    let dist = fake_dist();
    let server = Running::fresh(&["--dist", path_str(dist.path())]);
    for (path, status) in [
        (format!("/{APP_JS}"), 200),
        ("/".to_string(), 200),
        ("/api/openapi.json".to_string(), 200),
        ("/healthz".to_string(), 200),
        ("/api/v1/no-such-thing".to_string(), 404),
        ("/api/v1/me".to_string(), 401),
    ] {
        let answer = fetch(&server.url(&path), &[]);
        assert_eq!(answer.status, status, "{path}");
        has_security_headers(&answer, &path);
        assert_eq!(
            answer.header("strict-transport-security"),
            None,
            "{path}: no HSTS over plain HTTP"
        );
    }
    // No API answer stays in the browser's cache, whose key is no bearer
    // token; the app's files keep their own rules.
    for path in ["/api/openapi.json", "/api/v1/no-such-thing", "/api/v1/me"] {
        let answer = fetch(&server.url(path), &[]);
        assert_eq!(answer.header("cache-control"), Some("no-store"), "{path}");
    }
    assert_ne!(
        fetch(&server.url(&format!("/{APP_JS}")), &[]).header("cache-control"),
        Some("no-store")
    );
    // Without a dist, the router's own 404.
    let bare = Running::fresh(&[]);
    let answer = fetch(&bare.url("/nothing-here"), &[]);
    assert_eq!(answer.status, 404);
    has_security_headers(&answer, "404 without dist");
}

#[test]
fn the_policy_allows_only_what_the_app_needs() {
    let csp = server::headers::CSP;
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            csp.split(';').any(|d| d.trim() == directive),
            "{directive} missing from {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
}

// ---- HTTPS -----------------------------------------------------------------

#[test]
fn https_with_a_local_ca_and_a_port_that_only_redirects() {
    let data = tempdir();
    let tls = data.path().join("certs");
    let out = cli(
        data.path(),
        &[
            "tls",
            "init",
            "--host",
            "localhost",
            "--ip",
            "127.0.0.1",
            "--out",
            path_str(&tls),
        ],
    );
    for file in [
        "ca.crt",
        "ca.key",
        "server.crt",
        "server.key",
        "server.spki",
    ] {
        assert!(tls.join(file).is_file(), "{file} missing; printed {out}");
    }
    let spki = std::fs::read_to_string(tls.join("server.spki")).expect("server.spki");
    assert_eq!(spki.trim().len(), 44, "base64 of 32 bytes: {spki:?}");
    assert!(out.contains(spki.trim()), "the SPKI hash is printed: {out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["ca.key", "server.key"] {
            let mode = std::fs::metadata(tls.join(key))
                .expect("key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{key} is readable by others: {mode:o}");
        }
    }

    let server = Running::over_tls(data.path(), &tls, &[]);
    let https = server.addr("listening on https://");
    let http = server.addr("redirecting http://");

    // Trusted CA: by name and by address.
    for host in ["localhost", "127.0.0.1"] {
        let answer = https_get(https.port(), host, "/healthz", Some(&tls.join("ca.crt")))
            .unwrap_or_else(|e| panic!("HTTPS to {host}: {e}"));
        assert_eq!(answer.status, 200, "{host}");
        // Not port 443: HSTS would send `http://name:PORT/` bookmarks of
        // the redirect port to TLS there, which it does not speak.
        assert_eq!(answer.header("strict-transport-security"), None, "{host}");
        has_security_headers(&answer, &format!("https://{host}/healthz"));
    }
    // A browser without the CA refuses the certificate.
    let untrusted = https_get(https.port(), "localhost", "/healthz", None);
    assert!(
        untrusted.is_err(),
        "no CA, yet {:?}",
        untrusted.map(|a| a.status)
    );

    // Plain HTTP only redirects, to the same host and path on the TLS port.
    let answer = fetch(
        &format!("http://{http}/cases/1?tab=2"),
        &[("host", &format!("tablet.test:{}", http.port()))],
    );
    assert_eq!(answer.status, 308);
    assert_eq!(
        answer.header("location"),
        Some(format!("https://tablet.test:{}/cases/1?tab=2", https.port()).as_str())
    );
    assert_eq!(answer.header("strict-transport-security"), None);
    has_security_headers(&answer, "the redirect");
    let api = fetch(&format!("http://{http}/api/v1/me"), &[]);
    assert_eq!(api.status, 308, "the API is not served over plain HTTP");

    // A second init keeps the CA the tablets have installed.
    let ca = std::fs::read(tls.join("ca.crt")).expect("ca.crt");
    let again = cli(
        data.path(),
        &[
            "tls",
            "init",
            "--host",
            "localhost",
            "--out",
            path_str(&tls),
        ],
    );
    assert!(again.contains("Reused"), "{again}");
    assert_eq!(std::fs::read(tls.join("ca.crt")).expect("ca.crt"), ca);
}

/// A renewed certificate is served without a restart (tablets keep their
/// connections and syncs): the server looks at the files every so often
/// and at once on `SIGHUP`, and keeps the certificate in service while
/// the files on disk are not a whole pair.
#[test]
fn a_renewed_certificate_is_served_without_a_restart() {
    let data = tempdir();
    let tls = data.path().join("certs");
    let init = |host: &str| {
        cli(
            data.path(),
            &["tls", "init", "--host", host, "--out", path_str(&tls)],
        )
    };
    init("localhost");
    let ca = tls.join("ca.crt");
    let served = |server: &Running, host: &str| {
        let port = server.addr("listening on https://").port();
        https_get(port, host, "/healthz", Some(&ca)).map(|answer| answer.status)
    };
    let looking = Running::over_tls(data.path(), &tls, &["--tls-check-secs", "1"]);
    assert_eq!(served(&looking, "localhost"), Ok(200));
    assert!(
        served(&looking, "renewed.test").is_err(),
        "not yet a name of the certificate"
    );

    // A half-written certificate is refused; the one in service stays.
    std::fs::write(tls.join("server.crt"), "-----BEGIN CERTIFICATE-----\nMII").expect("write");
    let refused = looking.printed_later("the TLS certificate ");
    assert!(refused.contains("not reloaded"), "{refused}");
    assert_eq!(served(&looking, "localhost"), Ok(200));

    // The renewal is served from the next look on.
    init("renewed.test");
    looking.printed_later("reloaded the TLS certificate");
    assert_eq!(served(&looking, "renewed.test"), Ok(200));
    assert!(
        served(&looking, "localhost").is_err(),
        "the previous certificate is no longer served"
    );
    drop(looking);

    // A server that looks only once a day reloads at once on SIGHUP.
    #[cfg(unix)]
    {
        let other_data = tempdir();
        let asked = Running::over_tls(other_data.path(), &tls, &["--tls-check-secs", "86400"]);
        init("localhost");
        assert!(served(&asked, "localhost").is_err(), "not looked yet");
        let hangup = Command::new("kill")
            .args(["-HUP", &asked.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(hangup.success());
        asked.printed_later("reloaded the TLS certificate");
        assert_eq!(served(&asked, "localhost"), Ok(200));
    }
}

// ---- trusted proxy -----------------------------------------------------------

#[test]
fn only_a_trusted_proxy_names_the_client_address() {
    let data = tempdir();
    add_admin(data.path());
    for (flags, forwarded, expected) in [
        (
            &["--trusted-proxy", "127.0.0.1"][..],
            "203.0.113.9",
            "203.0.113.9",
        ),
        (
            &["--trusted-proxy", "127.0.0.1"][..],
            "198.51.100.1, 203.0.113.10",
            "203.0.113.10",
        ),
        (
            &["--trusted-proxy", "192.0.2.1"][..],
            "203.0.113.11",
            "127.0.0.1",
        ),
        (&[][..], "203.0.113.12", "127.0.0.1"),
        // A byte that is not ASCII text in what the client sent before
        // the proxy's entry does not cost the proxy's word.
        (
            &["--trusted-proxy", "127.0.0.1"][..],
            "é, 203.0.113.13",
            "203.0.113.13",
        ),
    ] {
        let server = Running::start(data.path(), flags, 1);
        let failed = post_json(
            &server.url("/api/v1/auth/login"),
            &json!({ "login": "admin", "password": "wrong-password" }),
            &[("x-forwarded-for", forwarded)],
        );
        assert_eq!(failed.status, 401, "{flags:?}");
        let token = login(&server, "admin");
        let audit = fetch(
            &server.url("/api/v1/admin/audit?limit=20"),
            &[("authorization", &format!("Bearer {token}"))],
        );
        assert_eq!(audit.status, 200);
        let records: Vec<Value> = serde_json::from_slice(&audit.body).expect("audit JSON");
        let failure = records
            .iter()
            .find(|r| r["action"] == "auth.login_failed")
            .expect("the failed login is audited");
        assert_eq!(
            failure["address"], expected,
            "{flags:?} with X-Forwarded-For {forwarded}"
        );
    }
}

/// The log names a request by its path alone: a search's query holds a
/// complainant's phone digits, which a log at debug level kept.
#[test]
fn the_log_keeps_no_search_text() {
    let data = tempdir();
    let logs = tempdir();
    let log = logs.path().join("server.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--log-level",
            "debug",
            "--data-dir",
        ])
        .arg(data.path())
        .args(common::backend_args(data.path()))
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("a log file"))
        .spawn()
        .expect("spawn the server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("the server's address");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("the server did not start: {line}"))
        .to_string();
    let answer = fetch(&format!("{base}/api/v1/cases?q=13812345678"), &[]);
    assert_eq!(answer.status, 401);
    let _ = child.kill();
    let _ = child.wait();
    let said = std::fs::read_to_string(&log).expect("the log");
    assert!(
        said.contains("/api/v1/cases"),
        "the request is logged: {said}"
    );
    assert!(!said.contains("13812345678"), "{said}");
}

/// A client that never finishes its request's head (or, over HTTPS, its
/// handshake) is cut off, on every port, instead of holding a connection
/// for ever: a few hundred such clients would leave the server no file
/// descriptors for the tablets.
#[test]
fn a_connection_that_never_finishes_its_request_is_closed() {
    let data = tempdir();
    let tls = data.path().join("certs");
    cli(
        data.path(),
        &[
            "tls",
            "init",
            "--host",
            "localhost",
            "--out",
            path_str(&tls),
        ],
    );
    let secure = Running::over_tls(data.path(), &tls, &["--request-head-timeout-secs", "1"]);
    let plain = Running::fresh(&["--request-head-timeout-secs", "1"]);
    let head = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n";
    for (addr, sent) in [
        (plain.addr("listening on http://"), head),
        (secure.addr("redirecting http://"), head),
        (secure.addr("listening on https://"), ""),
    ] {
        let mut tcp = TcpStream::connect(addr).expect("connect");
        tcp.write_all(sent.as_bytes()).expect("send");
        // Far longer than the bound: an open connection times this out.
        tcp.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("a read timeout");
        let mut rest = Vec::new();
        let read = tcp.read_to_end(&mut rest);
        assert!(
            !matches!(&read, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
            "{addr}: still open after 20 s"
        );
    }
    // A body that stops coming is given up on as well, with an answer:
    // trickling it cannot hold a connection for ever either.
    let mut tcp = TcpStream::connect(plain.addr("listening on http://")).expect("connect");
    tcp.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"login\"",
    )
    .expect("send");
    tcp.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("a read timeout");
    let mut answer = Vec::new();
    let read = tcp.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        read.is_ok() && answer.starts_with("HTTP/1.1 4"),
        "{read:?}: {answer}"
    );
    // An answer is still an answer.
    let answer = fetch(&plain.url("/healthz"), &[]);
    assert_eq!(answer.status, 200);
}

// ---- helpers ---------------------------------------------------------------

/// A `server serve` of this test, killed on drop.
struct Running {
    child: Child,
    /// The first lines it printed (`listening on …`, `redirecting …`).
    lines: Vec<String>,
    /// The lines it printed after those.
    later: std::sync::mpsc::Receiver<String>,
    /// The data directory, when it is this server's own.
    _data: Option<tempfile::TempDir>,
}

impl Running {
    /// Starts `server serve` with `flags` on a data directory of its own.
    fn fresh(flags: &[&str]) -> Running {
        let data = tempdir();
        let mut running = Running::start(data.path(), flags, 1);
        running._data = Some(data);
        running
    }

    /// Starts `server serve` on a free port of 127.0.0.1 with `flags` and
    /// reads the first `lines` lines it prints.
    fn start(data: &Path, flags: &[&str], lines: usize) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--log-level",
                "warn",
                "--data-dir",
            ])
            .arg(data)
            .args(common::backend_args(data))
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the server");
        let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut printed = Vec::new();
        for _ in 0..lines {
            let mut line = String::new();
            reader
                .read_line(&mut line)
                .expect("read the server's output");
            printed.push(line.trim().to_string());
        }
        // Keep reading stdout, so the server never writes into a closed
        // pipe, and hand each later line to `printed_later`.
        let (send, later) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { break };
                let _ = send.send(line);
            }
        });
        assert!(
            printed[0].starts_with("listening on "),
            "the server did not start: {printed:?}"
        );
        Running {
            child,
            lines: printed,
            later,
            _data: None,
        }
    }

    /// Waits for the server to print a line starting with `prefix` (lines
    /// before it are skipped), and returns it.
    fn printed_later(&self, prefix: &str) -> String {
        loop {
            match self.later.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(e) => panic!("no line {prefix:?} printed: {e}"),
            }
        }
    }

    /// Starts `server serve` over HTTPS with the certificate `tls init`
    /// made in `tls`, a port that only redirects, and `flags`.
    fn over_tls(data: &Path, tls: &Path, flags: &[&str]) -> Running {
        let (cert, key) = (tls.join("server.crt"), tls.join("server.key"));
        let mut all = vec![
            "--tls-cert",
            path_str(&cert),
            "--tls-key",
            path_str(&key),
            "--http-redirect-addr",
            "127.0.0.1:0",
        ];
        all.extend_from_slice(flags);
        Running::start(data, &all, 2)
    }

    /// The address on the printed line that starts with `prefix`.
    fn addr(&self, prefix: &str) -> std::net::SocketAddr {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix:?} in {:?}", self.lines))
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr("listening on http://"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, headers, the body as sent (not decompressed).
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn varies_by_encoding(&self) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("vary"))
            .flat_map(|(_, v)| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case("accept-encoding"))
    }
}

fn has_security_headers(answer: &Answer, what: &str) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(answer.header(name), Some(value), "{what}: {name}");
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn answer(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut response = result.expect("an HTTP answer");
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .expect("read the body");
    Answer {
        status: response.status().as_u16(),
        headers,
        body,
    }
}

fn fetch(url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = agent().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request.call())
}

fn post_json(url: &str, body: &Value, headers: &[(&str, &str)]) -> Answer {
    let mut request = agent().post(url).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request.send(body.to_string()))
}

/// Logs in with [`PASSWORD`] and returns the token.
fn login(server: &Running, user: &str) -> String {
    let answer = post_json(
        &server.url("/api/v1/auth/login"),
        &json!({ "login": user, "password": PASSWORD, "device_name": "network test" }),
        &[],
    );
    assert_eq!(answer.status, 200, "login {user}: {}", answer.text());
    let body: Value = serde_json::from_slice(&answer.body).expect("login JSON");
    body["token"].as_str().expect("a token").to_string()
}

/// One `GET path` over HTTPS to 127.0.0.1:`port` as `host` (the name the
/// certificate must hold), trusting only the CA in `ca` (none: nothing).
fn https_get(port: u16, host: &str, path: &str, ca: Option<&Path>) -> Result<Answer, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca) = ca {
        for cert in CertificateDer::pem_file_iter(ca).map_err(|e| e.to_string())? {
            roots
                .add(cert.map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
    let mut connection =
        rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let mut socket = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let mut tls = rustls::Stream::new(&mut connection, &mut socket);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    match tls.read_to_end(&mut raw) {
        Ok(_) => {}
        // A peer that closes without close_notify after the whole answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("no status line")?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    })
}

/// A `dist/` with an index, a hashed script and a service worker, each
/// compressed variant holding a marker instead of real compressed bytes
/// (the server sends the files as they are).
fn fake_dist() -> tempfile::TempDir {
    let dist = tempdir();
    let files: [(&str, &str); 9] = [
        ("index.html", "<!doctype html><title>app</title>"),
        ("index.html.br", "fake brotli index"),
        ("index.html.gz", "fake gzip index"),
        (APP_JS, "console.log('app');"),
        ("app-0123abcd.js.br", "fake brotli app"),
        ("app-0123abcd.js.gz", "fake gzip app"),
        ("sw.js", "// the service worker"),
        ("sw.js.gz", "fake gzip sw"),
        ("manifest.webmanifest", "{\"name\": \"app\"}"),
    ];
    for (name, content) in files {
        std::fs::write(dist.path().join(name), content).expect("write the fake dist");
    }
    dist
}

/// Adds the admin (password [`PASSWORD`]) with the CLI.
fn add_admin(data: &Path) {
    cli(
        data,
        &[
            "user",
            "add",
            "--own-password",
            "--login",
            "admin",
            "--name",
            "管理员",
            "--role",
            "admin",
        ],
    );
}

/// Runs a `server` subcommand on `data`; returns its stdout.
fn cli(data: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .args(common::backend_args(data))
        .env("SERVER_USER_PASSWORD", PASSWORD)
        .output()
        .expect("run the server binary");
    assert!(
        out.status.success(),
        "server {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temp dir")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// A service manager's stop (SIGTERM: `systemctl stop`, a reboot) stops
/// the server as Ctrl-C does, letting requests under way finish and
/// exiting cleanly; it died at once.
#[test]
fn a_service_managers_stop_ends_the_server_cleanly() {
    let fx = common::Fixture::new();
    let mut server = common::Server::start(fx.data.path());
    let (status, _) = server.client().get("/healthz");
    assert_eq!(status, 200);
    let exit = server.terminate();
    assert!(exit.success(), "{exit:?}");
}
