//! The real `server` binary as a child process with a data directory of
//! its own.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

use crate::{TIMEOUT, dist_dir, server_bin};

/// A running `server serve` on a port of its own, with a fresh data
/// directory, serving `dist/`. Killed on drop.
pub struct Server {
    /// `http://127.0.0.1:PORT` (or `https://…` for [`Server::start_tls`]),
    /// without a trailing slash.
    pub base: String,
    child: Option<Child>,
    data: TempDir,
    tls: Option<Tls>,
    agent: ureq::Agent,
    /// The built app it serves: `dist/`, or a copy of it.
    dist: PathBuf,
}

/// What `server tls init` wrote for a TLS server.
struct Tls {
    /// The directory with `ca.crt`, `server.crt`, `server.key` and
    /// `server.spki`.
    dir: PathBuf,
    /// The base64 SHA-256 of the server key's SPKI (from `server.spki`).
    spki: String,
}

/// The password of every user [`Server::seed`] creates.
pub const PASSWORD: &str = "s3cret-pass";

impl Server {
    /// Starts the server on a free port of 127.0.0.1 and waits until
    /// `/healthz` answers.
    pub fn start() -> Server {
        Server::start_serving(&dist_dir())
    }

    /// [`Server::start`], serving the built app in `dist` instead of
    /// `dist/` (a copy a test changes, as an upgrade would).
    pub fn start_serving(dist: &Path) -> Server {
        let data = tempfile::tempdir().expect("create a temp data dir");
        let (child, base) = spawn_server(data.path(), "127.0.0.1:0", None, dist);
        let server = Server {
            base,
            child: Some(child),
            data,
            tls: None,
            agent: agent(None),
            dist: dist.to_path_buf(),
        };
        server.wait_healthy();
        server
    }

    /// Starts the server over HTTPS, as a site would run it: `server tls
    /// init --host HOST --ip 127.0.0.1` makes a certificate authority and a
    /// certificate for `host` and 127.0.0.1 in the data directory, then
    /// `serve --tls-cert --tls-key` uses it. [`Server::agent`] trusts that
    /// authority; a browser needs [`Server::chromium_args`].
    pub fn start_tls(host: &str) -> Server {
        let data = tempfile::tempdir().expect("create a temp data dir");
        let dir = data.path().join("tls");
        let dir_arg = dir.to_str().expect("a UTF-8 temp path");
        run_cli(
            data.path(),
            &[
                "tls",
                "init",
                "--host",
                host,
                "--ip",
                "127.0.0.1",
                "--out",
                dir_arg,
            ],
        );
        let spki = std::fs::read_to_string(dir.join("server.spki"))
            .expect("server tls init writes server.spki")
            .trim()
            .to_string();
        assert!(!spki.is_empty(), "server.spki is empty");
        let ca = std::fs::read(dir.join("ca.crt")).expect("server tls init writes ca.crt");
        let ca = ureq::tls::Certificate::from_pem(&ca).expect("ca.crt is a PEM certificate");
        let agent = agent(Some(ca));
        let tls = Tls { dir, spki };
        let (child, base) = spawn_server(data.path(), "127.0.0.1:0", Some(&tls), &dist_dir());
        assert!(base.starts_with("https://"), "a TLS server said {base}");
        let server = Server {
            base,
            child: Some(child),
            data,
            tls: Some(tls),
            agent,
            dist: dist_dir(),
        };
        server.wait_healthy();
        server
    }

    /// An HTTP client for this server: over HTTPS it trusts the server's
    /// own certificate authority. Error statuses are answers, not errors.
    pub fn agent(&self) -> ureq::Agent {
        self.agent.clone()
    }

    /// The server's address with `host` in place of 127.0.0.1, e.g.
    /// `https://tablet.test:PORT/path`, for a browser started with
    /// [`Server::chromium_args`].
    pub fn url_at(&self, host: &str, path: &str) -> String {
        format!("{}{path}", self.base.replacen("127.0.0.1", host, 1))
    }

    /// The Chromium flags that make `host` resolve to 127.0.0.1 (any
    /// port) and, for a TLS server, trust its certificate by the hash of
    /// its key (`server.spki`), as `--ignore-certificate-errors-spki-list`
    /// takes it. Only for test profiles: it bypasses the certificate's
    /// chain.
    pub fn chromium_args(&self, host: &str) -> Vec<String> {
        let mut args = vec![format!("--host-resolver-rules=MAP {host} 127.0.0.1")];
        if let Some(tls) = &self.tls {
            args.push(format!(
                "--ignore-certificate-errors-spki-list={}",
                tls.spki
            ));
        }
        args
    }

    /// Starts the server again after [`Server::kill`], on the same address
    /// and the same data directory: the browser's origin (and so its
    /// service worker and IndexedDB) stays the same.
    pub fn restart(&mut self) {
        self.kill();
        let addr = self
            .base
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .to_string();
        let (child, base) = spawn_server(self.data.path(), &addr, self.tls.as_ref(), &self.dist);
        assert_eq!(base, self.base, "the server came back on another address");
        self.child = Some(child);
        self.wait_healthy();
    }

    /// Runs `server ARGS --data-dir DIR` (a CLI command on this server's
    /// database) and returns its stdout; panics when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        run_cli(self.data.path(), args)
    }

    /// One property 和园 (code HY, 500 households) with building 1栋 (units
    /// 101, 102, 201), a second property 景苑 (JY) with its own staff, and
    /// users of every role the tests need, all with [`PASSWORD`]:
    /// `staff1`, `manager1`, `regional1` (HY), `staff2` (JY), `quality1`
    /// (head office) and `admin1`.
    pub fn seed(&self) {
        self.cli(&[
            "property",
            "add",
            "--code",
            "HY",
            "--name",
            "和园",
            "--households",
            "500",
            "--contact",
            "客服中心 0571-88886666",
        ]);
        self.cli(&[
            "property",
            "building",
            "--property",
            "HY",
            "--name",
            "1栋",
            "--units",
            "101,102,201",
        ]);
        self.cli(&[
            "property",
            "add",
            "--code",
            "JY",
            "--name",
            "景苑",
            "--households",
            "300",
        ]);
        for (login, name, role, property) in [
            ("staff1", "王客服", "staff", Some("HY")),
            ("manager1", "李经理", "manager", Some("HY")),
            ("regional1", "赵区域", "regional_manager", Some("HY")),
            ("staff2", "陈客服", "staff", Some("JY")),
            ("quality1", "周品质", "quality", None),
            ("admin1", "系统管理员", "admin", None),
        ] {
            let mut args = vec![
                "user",
                "add",
                "--own-password",
                "--login",
                login,
                "--name",
                name,
                "--role",
                role,
                "--password",
                PASSWORD,
            ];
            if let Some(p) = property {
                args.extend(["--property", p]);
            }
            // A department, as the assign form takes a chosen user's.
            if login == "staff1" {
                args.extend(["--department", "客服部"]);
            }
            self.cli(&args);
        }
    }

    /// Logs in over HTTP(S) as `login` with [`PASSWORD`], as a new device,
    /// and returns the bearer token.
    pub fn token(&self, login: &str) -> String {
        let body = json!({ "login": login, "password": PASSWORD, "device_name": "e2e" });
        let (status, answer) = self.post_json(None, "/api/v1/auth/login", &body);
        assert_eq!(status, 200, "login of {login}: {answer}");
        answer["token"]
            .as_str()
            .expect("a login answer has a token")
            .to_string()
    }

    /// Revokes the device `device` as `admin1` does in the app.
    pub fn revoke_device(&self, device: &str) {
        let admin = self.token("admin1");
        let path = format!("/api/v1/admin/devices/{device}/revoke");
        let (status, body) = self.post_json(Some(&admin), &path, &json!({}));
        assert_eq!(status, 204, "{body}");
    }

    /// `GET path` with `token`: the status and the JSON body (`Null` when
    /// there is none).
    pub fn get_json(&self, token: &str, path: &str) -> (u16, Value) {
        let mut response = self
            .agent
            .get(self.url(path))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_json().unwrap_or(Value::Null),
        )
    }

    /// `POST path` with a JSON body (and `token`, when given): the status
    /// and the JSON body (`Null` when there is none).
    pub fn post_json(&self, token: Option<&str>, path: &str, body: &Value) -> (u16, Value) {
        let mut request = self.agent.post(self.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let mut response = request
            .send_json(body)
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_json().unwrap_or(Value::Null),
        )
    }

    /// Saves the company settings as `token`'s admin.
    pub fn save_settings(&self, token: &str, settings: &Value) {
        let status = self
            .agent
            .put(self.url("/api/v1/admin/settings"))
            .header("Authorization", &format!("Bearer {token}"))
            .send_json(settings)
            .expect("save the settings")
            .status()
            .as_u16();
        assert_eq!(status, 200, "saving the settings");
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// A full URL for `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL, as a crash or a power cut would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn wait_healthy(&self) {
        let url = self.url("/healthz");
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.agent.get(&url).call() {
                Ok(response) if response.status() == 200 => return,
                result if Instant::now() > deadline => {
                    panic!("{url} did not answer 200 within {TIMEOUT:?}: {result:?}")
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

/// An HTTP client whose error statuses are answers, trusting `ca` too
/// when given.
fn agent(ca: Option<ureq::tls::Certificate<'static>>) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder().http_status_as_error(false);
    if let Some(ca) = ca {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(&[ca]))
            .build();
        config = config.tls_config(tls);
    }
    config.build().into()
}

/// Runs `server ARGS --data-dir DATA` and returns its stdout; panics when
/// it fails.
fn run_cli(data: &Path, args: &[&str]) -> String {
    let out = Command::new(server_bin())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("SERVER_USER_PASSWORD")
        .output()
        .expect("run the server CLI");
    assert!(
        out.status.success(),
        "server {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Spawns `server serve` on `addr` (over HTTPS with `tls`) and returns it
/// with the base URL it printed. Port 0 makes the server bind a free port
/// and print the address it got as its first line, so no other process can
/// take the port between choosing and binding it.
fn spawn_server(data: &Path, addr: &str, tls: Option<&Tls>, dist: &Path) -> (Child, String) {
    let mut command = Command::new(server_bin());
    command
        .args(["serve", "--addr", addr, "--log-level", "warn"])
        // Ten years: tests date a tablet's ops long before it first logged
        // in (a retention period passed), which a server refuses of a
        // tablet whose clock is that far behind (`clock.behind`).
        .args(["--max-clock-skew-minutes", "5256000"])
        .arg("--data-dir")
        .arg(data)
        .arg("--dist")
        .arg(dist);
    if let Some(tls) = tls {
        command
            .arg("--tls-cert")
            .arg(tls.dir.join("server.crt"))
            .arg("--tls-key")
            .arg(tls.dir.join("server.key"));
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the server binary");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .expect("read the server's first line");
    // Keep draining stdout so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    match line.trim().strip_prefix("listening on ") {
        Some(base) => (child, base.trim_end_matches('/').to_string()),
        None => {
            let _ = child.kill();
            panic!("the server did not start on {addr}; its first line was {line:?}")
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
