//! The harness every server test shares: a real `server` process on
//! 127.0.0.1 with a random port and a temp data dir, and a small HTTP
//! client.
//!
//! **Backends.** `TEST_BACKEND` picks the storage engine: `sqlite` (the
//! default) keeps the data in the SQLite file in the data dir, `postgres`
//! gives each data dir a fresh database on the test cluster
//! (`TEST_POSTGRES_URL`, as `cargo xtask postgres` prints it) and passes it
//! with `--database` to every command and server on that dir, so that the
//! same tests check both engines. Tests of what only SQLite has (its file,
//! backup and restore) start with [`sqlite_only`].

#![allow(dead_code)]

use serde_json::{Value, json};
use server::store::postgres::test_database;
use shared::id::{DeviceId, PropertyId, UserId};
use shared::property::Property;
use shared::role::{Role, User};
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const PASSWORD: &str = "s3cret-pass";

/// The server binary Cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_server")
}

/// The storage engine the tests run on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backend `TEST_BACKEND` names (`sqlite` when unset).
pub fn backend() -> Backend {
    match std::env::var("TEST_BACKEND").as_deref() {
        Err(_) | Ok("sqlite") => Backend::Sqlite,
        Ok("postgres") => Backend::Postgres,
        Ok(other) => panic!("TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

/// Whether a test that needs SQLite goes on: `true` on SQLite; on
/// PostgreSQL it says why it is skipped (`why`) and the test returns.
pub fn sqlite_only(why: &str) -> bool {
    match backend() {
        Backend::Sqlite => true,
        Backend::Postgres => {
            println!("skipped on PostgreSQL: {why}");
            false
        }
    }
}

/// The file in a data dir naming its test database, so that every
/// command, server and store opened on the dir works on the same one.
const DATABASE_URL_FILE: &str = "test-database-url";

/// The PostgreSQL database of the data dir `data`: the one it was put on
/// ([`Fixture::on_database`]), else on the PostgreSQL backend a fresh one
/// made on first use; `None` on SQLite.
pub fn database_of(data: &Path) -> Option<String> {
    let file = data.join(DATABASE_URL_FILE);
    if let Ok(url) = std::fs::read_to_string(&file) {
        return Some(url);
    }
    if backend() == Backend::Sqlite {
        return None;
    }
    assert!(
        std::env::var_os("TEST_POSTGRES_URL").is_some(),
        "TEST_BACKEND=postgres needs a test cluster in TEST_POSTGRES_URL \
         (`cargo xtask postgres` starts one and prints it)"
    );
    let url = test_database::fresh().expect("TEST_POSTGRES_URL is set");
    put_on_database(data, &url);
    Some(url)
}

/// Puts the data dir `data` on the PostgreSQL database `url`.
pub fn put_on_database(data: &Path, url: &str) {
    std::fs::create_dir_all(data).expect("create the data dir");
    std::fs::write(data.join(DATABASE_URL_FILE), url).expect("remember the test database");
}

/// The flags that put a command on `data` on its database: none on SQLite,
/// `--database` (and `--database-ca`) on PostgreSQL.
pub fn backend_args(data: &Path) -> Vec<OsString> {
    let Some(url) = database_of(data) else {
        return Vec::new();
    };
    let mut args = vec!["--database".into(), url.into()];
    if let Some(ca) = test_database::ca() {
        args.extend(["--database-ca".into(), ca.into_os_string()]);
    }
    args
}

/// Opens the store of `data` as a server on it would: its database, or the
/// SQLite file in it.
pub fn open_store(data: &Path) -> Box<dyn server::store::Store> {
    match database_of(data) {
        Some(url) => Box::new(
            server::open_postgres(&url, 2, test_database::ca().as_deref(), data)
                .expect("open the test database"),
        ),
        None => Box::new(server::open_store(data).expect("open the SQLite store")),
    }
}

/// Dates the server's receipt of every op of `case` in the store of
/// `data` at `at`, as a server that received them then would have stored
/// them. Retention counts from the later of the tablet's times and the
/// server's receipt, so a test of old cases cannot make them old through
/// the ops' own times alone.
pub fn received_long_ago(data: &Path, case: shared::id::CaseId, at: chrono::DateTime<chrono::Utc>) {
    let at = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let changed = update(
        data,
        "UPDATE ops SET received_at = $1 WHERE case_id = $2",
        &[&at, &case.to_string()],
    );
    assert!(changed > 0, "no op of case {case} is stored");
}

/// Makes `device` one the server registered before it held new devices to
/// a schema floor, as such a server stored it: its ops may be of any
/// schema the server takes, the tablet's app being older than the server
/// (`push_sql::device_before`).
pub fn registered_before_the_schema_floor(data: &Path, device: DeviceId) {
    let changed = update(
        data,
        "UPDATE devices SET schema_floor = 0 WHERE id = $1",
        &[&device.to_string()],
    );
    assert_eq!(changed, 1, "device {device} is not registered");
}

/// Runs one `UPDATE` (placeholders `$1`, `$2`, … in order) on the store of
/// `data`, under the running server, as the history a test needs; returns
/// the rows changed.
pub fn update(data: &Path, sql: &str, params: &[&String]) -> u64 {
    match database_of(data) {
        Some(url) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(async {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .expect("connect to the test database");
                tokio::spawn(connection);
                let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|p| *p as &(dyn tokio_postgres::types::ToSql + Sync))
                    .collect();
                client.execute(sql, &params).await.expect("the update")
            }),
        None => {
            let db = rusqlite::Connection::open(data.join(server::DB_FILE)).expect("open the file");
            db.busy_timeout(Duration::from_secs(10))
                .expect("a busy timeout");
            db.execute(sql, rusqlite::params_from_iter(params))
                .expect("the update") as u64
        }
    }
}

/// Runs a `server` subcommand on `data` and returns its stdout; panics with
/// stderr on failure (test setup only).
pub fn cli(data: &Path, args: &[&str]) -> String {
    let out = Command::new(bin())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .args(backend_args(data))
        .env("SERVER_USER_PASSWORD", PASSWORD)
        .output()
        .expect("run server binary");
    assert!(
        out.status.success(),
        "server {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `server ARGS` on `data`, which must refuse; answers what it said
/// on stderr.
pub fn cli_refused(data: &Path, args: &[&str]) -> String {
    let out = Command::new(bin())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .args(backend_args(data))
        .output()
        .expect("run server binary");
    assert!(!out.status.success(), "server {args:?} did not refuse");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The allowed clock skew of a test's server unless the test sets its
/// own: ten years. Tests date their ops (a period's statistics, a
/// retention period passed) long before their devices first logged in,
/// which a server refuses of a tablet (`clock.behind`).
pub fn lenient_clock(flags: &[&str]) -> Vec<String> {
    if flags.contains(&"--max-clock-skew-minutes") {
        Vec::new()
    } else {
        vec![
            "--max-clock-skew-minutes".into(),
            LENIENT_SKEW_MINUTES.to_string(),
        ]
    }
}

/// [`lenient_clock`]'s skew: ten years.
pub const LENIENT_SKEW_MINUTES: i64 = 10 * 365 * 24 * 60;

/// A running server process. Killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub data: PathBuf,
}

impl Server {
    /// Starts `server serve` on a free port with `data` as its data dir.
    pub fn start(data: &Path) -> Server {
        Server::start_with(data, &[])
    }

    /// Starts `server serve` with more flags (`--max-clock-skew-minutes 5`…).
    pub fn start_with(data: &Path, flags: &[&str]) -> Server {
        Server::spawn(data, flags, Stdio::inherit())
    }

    /// Starts `server serve` at the log level `level`, its log written to
    /// the file `log`.
    pub fn start_logged(data: &Path, level: &str, log: &Path) -> Server {
        let file = std::fs::File::create(log).expect("a log file");
        Server::spawn(data, &["--log-level", level], file.into())
    }

    fn spawn(data: &Path, flags: &[&str], log: Stdio) -> Server {
        let level: &[&str] = if flags.contains(&"--log-level") {
            &[]
        } else {
            &["--log-level", "warn"]
        };
        let mut child = Command::new(bin())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(level)
            .arg("--data-dir")
            .arg(data)
            .args(backend_args(data))
            .args(lenient_clock(flags))
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        reader
            .read_line(&mut line)
            .expect("server prints its address");
        // Keep draining stdout so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server {
            child,
            base,
            data: data.to_path_buf(),
        }
    }

    /// Asks the server to stop as a service manager does (SIGTERM), and
    /// waits until it has.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "SIGTERM not sent");
        self.child.wait().expect("the server exits")
    }

    /// SIGKILL, as a crash or power loss would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// The server process's peak resident memory in kB (Linux), if known.
    pub fn peak_rss_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A JSON-over-HTTP client with an optional bearer token.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    pub base: String,
    pub token: Option<String>,
    /// The address a trusted proxy says the request came from
    /// (`X-Forwarded-For`), if any.
    pub forwarded_for: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client::with_timeout(base, Duration::from_secs(60))
    }

    fn auth(&self) -> Option<String> {
        self.token.as_ref().map(|t| format!("Bearer {t}"))
    }

    /// Adds the bearer token and the forwarded address to a request.
    fn decorate<B>(&self, mut req: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        if let Some(a) = self.auth() {
            req = req.header("Authorization", a);
        }
        if let Some(address) = &self.forwarded_for {
            req = req.header("X-Forwarded-For", address.as_str());
        }
        req
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        req = self.decorate(req);
        read(req.call())
    }

    /// The status a HEAD request of `path` is answered.
    pub fn head(&self, path: &str) -> u16 {
        let req = self.decorate(self.agent.head(format!("{}{path}", self.base)));
        req.call().expect("http request").status().as_u16()
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send("POST", path, &body.to_string())
    }

    /// The case ids of the first page of the case list for `query`
    /// (`mine=true`, `q=…`; empty for the whole list).
    pub fn case_ids(&self, query: &str) -> Vec<String> {
        let (status, page) = self.get(&format!("/api/v1/cases?per_page=100&{query}"));
        assert_eq!(status, 200, "{page}");
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["id"].as_str().map(String::from))
            .collect()
    }

    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send("PUT", path, &body.to_string())
    }

    /// Posts, returning `None` when the connection fails (server killed).
    pub fn try_post(&self, path: &str, body: &Value) -> Option<u16> {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        req = self.decorate(req);
        req.send(body.to_string()).ok().map(|r| r.status().as_u16())
    }

    /// Sends a raw body (for malformed-input tests).
    pub fn send(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "PUT" => self.agent.put(url),
            _ => self.agent.post(url),
        }
        .header("Content-Type", "application/json");
        req = self.decorate(req);
        read(req.send(body))
    }

    /// A client whose every request fails after `timeout` (a hang then
    /// fails the test instead of blocking it).
    pub fn with_timeout(base: &str, timeout: Duration) -> Client {
        // A connection per request: the server closes the connection of a
        // request it refused without reading its body (too large, the
        // wrong type), and a kept connection the next request took could
        // be that one, closed under it.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .max_idle_connections(0)
            .build()
            .into();
        Client {
            agent,
            base: base.to_string(),
            token: None,
            forwarded_for: None,
        }
    }

    /// Logs in with [`PASSWORD`] on a new device, which the server issues;
    /// returns the login response (`device`, `device_secret`,
    /// `device_number`…).
    pub fn login(base: &str, login: &str) -> (Client, Value) {
        Client::login_with(
            base,
            &json!({ "login": login, "password": PASSWORD, "device_name": "test" }),
        )
    }

    /// Logs in again on a device the server issued earlier, naming it with
    /// its secret.
    pub fn login_on(base: &str, login: &str, device: DeviceId, secret: &str) -> (Client, Value) {
        Client::login_with(
            base,
            &json!({
                "login": login,
                "password": PASSWORD,
                "device": device,
                "device_secret": secret,
                "device_name": "test",
            }),
        )
    }

    /// Logs in with the request `body`, which must succeed.
    pub fn login_with(base: &str, body: &Value) -> (Client, Value) {
        let mut c = Client::new(base);
        let (status, answer) = c.post("/api/v1/auth/login", body);
        assert_eq!(status, 200, "login {}: {answer}", body["login"]);
        c.token = answer["token"].as_str().map(String::from);
        (c, answer)
    }

    /// Posts, returning the status, the headers asked for (lower-case
    /// names, `None` when absent) and the body.
    pub fn post_with_headers(
        &self,
        path: &str,
        body: &Value,
        headers: &[&str],
    ) -> (u16, Vec<Option<String>>, Value) {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        req = self.decorate(req);
        read_with_headers(req.send(body.to_string()), headers)
    }

    /// Gets, returning the status, the headers asked for (as
    /// [`Client::post_with_headers`]) and the body.
    pub fn get_with_headers(
        &self,
        path: &str,
        headers: &[&str],
    ) -> (u16, Vec<Option<String>>, Value) {
        let req = self.decorate(self.agent.get(format!("{}{path}", self.base)));
        read_with_headers(req.call(), headers)
    }

    /// Sends `method` (`POST` or `PUT`) with `If-Match: tag`, returning the
    /// status, the `ETag` answered and the body.
    pub fn send_if_match(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        tag: &str,
    ) -> (u16, Option<String>, Value) {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "PUT" => self.agent.put(url),
            _ => self.agent.post(url),
        }
        .header("Content-Type", "application/json")
        .header("If-Match", tag);
        let (status, mut found, value) =
            read_with_headers(self.decorate(req).send(body.to_string()), &["etag"]);
        (status, found.remove(0), value)
    }
}

fn read_with_headers(
    res: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    headers: &[&str],
) -> (u16, Vec<Option<String>>, Value) {
    let mut resp = res.expect("http request");
    let status = resp.status().as_u16();
    let found = picked_headers(&resp, headers);
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, found, value)
}

/// The device the server issued in a login response.
pub fn device_of(login_response: &Value) -> DeviceId {
    serde_json::from_value(login_response["device"].clone()).expect("device in login response")
}

/// The device secret in a login response (sent only for a new device).
pub fn secret_of(login_response: &Value) -> String {
    login_response["device_secret"]
        .as_str()
        .expect("device_secret in the login response of a new device")
        .to_string()
}

/// The local date of `at` in the company timezone, as registration numbers
/// carry it.
pub fn local_date(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn read(res: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let (status, _, value) = read_with_headers(res, &[]);
    (status, value)
}

/// Two properties (PA, PB) with a building and units each, and a user of
/// every role in PA plus a staff member of PB, made with the CLI.
pub struct Fixture {
    pub data: tempfile::TempDir,
    pub pa: Property,
    pub pb: Property,
}

impl Fixture {
    /// The fixture on the backend under test.
    pub fn new() -> Fixture {
        Fixture::seed(tempfile::tempdir().expect("temp dir"))
    }

    /// The fixture on the PostgreSQL database `url`, whatever the backend
    /// under test.
    pub fn on_database(url: &str) -> Fixture {
        let data = tempfile::tempdir().expect("temp dir");
        put_on_database(data.path(), url);
        Fixture::seed(data)
    }

    fn seed(data: tempfile::TempDir) -> Fixture {
        let d = data.path();
        cli(
            d,
            &[
                "property",
                "add",
                "--code",
                "PA",
                "--name",
                "华苑小区",
                "--households",
                "400",
            ],
        );
        cli(
            d,
            &[
                "property",
                "add",
                "--code",
                "PB",
                "--name",
                "锦绣花园",
                "--households",
                "250",
            ],
        );
        cli(
            d,
            &[
                "property",
                "building",
                "--property",
                "PA",
                "--name",
                "1栋",
                "--units",
                "101,102,201",
            ],
        );
        cli(
            d,
            &[
                "property",
                "building",
                "--property",
                "PB",
                "--name",
                "8栋",
                "--units",
                "801",
            ],
        );
        let users: [(&str, Role, &[&str]); 10] = [
            ("admin", Role::Admin, &[]),
            ("staff_a", Role::Staff, &["PA"]),
            ("head_a", Role::DepartmentHead, &["PA"]),
            ("manager_a", Role::Manager, &["PA"]),
            ("regional_a", Role::RegionalManager, &["PA"]),
            ("deputy_a", Role::DeputyGm, &["PA"]),
            ("gm", Role::Gm, &[]),
            ("quality", Role::Quality, &[]),
            ("staff_b", Role::Staff, &["PB"]),
            ("manager_b", Role::Manager, &["PB"]),
        ];
        for (login, role, props) in users {
            let mut args = vec![
                "user",
                "add",
                "--own-password",
                "--login",
                login,
                "--name",
                login,
                "--role",
                role.code(),
            ];
            for p in props {
                args.extend(["--property", p]);
            }
            // A department head needs a department: one no test assigns
            // to, so that head_a handles only the cases assigned to them.
            if role.needs_department() {
                args.extend(["--department", "设备部"]);
            }
            cli(d, &args);
        }
        let props = open_store(d).properties().expect("properties");
        let find = |code: &str| {
            props
                .iter()
                .find(|p| p.code == code)
                .cloned()
                .expect("property")
        };
        Fixture {
            pa: find("PA"),
            pb: find("PB"),
            data,
        }
    }
}

/// The user in a login response.
/// A fixture's data with a server started on it: what most tests begin
/// with.
pub struct World {
    pub fx: Fixture,
    pub server: Server,
}

/// A fresh [`World`].
pub fn world() -> World {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    World { fx, server }
}

impl World {
    /// The fixture's first property.
    pub fn pa(&self) -> &Property {
        &self.fx.pa
    }

    /// The fixture's second property.
    pub fn pb(&self) -> &Property {
        &self.fx.pb
    }

    /// A session of `login`, and an author on its device.
    pub fn login(&self, login: &str) -> (Client, Author) {
        let (c, body) = Client::login(&self.server.base, login);
        (c, Author::new(&body))
    }
}

/// An error answer's stable code.
pub fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

/// The codes of the ops a push's `answer` kept aside, in order.
pub fn quarantined_codes(answer: &Value) -> Vec<&str> {
    answer["quarantined"]
        .as_array()
        .expect("a push's answer lists what it kept aside")
        .iter()
        .map(code)
        .collect()
}

pub fn user_of(login_response: &Value) -> User {
    serde_json::from_value(login_response["user"].clone()).expect("user in login response")
}

pub fn ids(p: &Property) -> PropertyId {
    p.id
}

pub fn user_id(v: &Value) -> UserId {
    user_of(v).id
}

/// Builds ops the way a device does: its own HLC and gapless sequence.
pub struct Author {
    pub device: DeviceId,
    pub user: UserId,
    pub role: Role,
    pub seq: u64,
    /// The tablet's clock: a second author on the same tablet takes it
    /// over with the sequence, as the tablet's ops never go back.
    pub clock: shared::hlc::HlcClock,
    counter: u32,
    pub number: u32,
}

impl Author {
    /// The author of the device and user of a login response.
    pub fn new(login_response: &Value) -> Author {
        let user = user_of(login_response);
        let number = login_response["device_number"]
            .as_u64()
            .expect("device_number in login response");
        Author::on(device_of(login_response), user.id, user.role, number as u32)
    }

    /// The author `user` (acting as `role`) on device `device` numbered `number`.
    pub fn on(device: DeviceId, user: UserId, role: Role, number: u32) -> Author {
        Author {
            device,
            user,
            role,
            seq: 0,
            clock: shared::hlc::HlcClock::new(device, None),
            counter: 0,
            number,
        }
    }

    pub fn op(
        &mut self,
        case: shared::id::CaseId,
        expected: Option<shared::case::CaseState>,
        action: shared::op::Action,
    ) -> shared::op::Op {
        self.op_at(case, expected, action, chrono::Utc::now())
    }

    /// An op made at device time `at`, for tests whose figures depend on
    /// dates (deadlines, periods). Its HLC follows `at` too.
    pub fn op_at(
        &mut self,
        case: shared::id::CaseId,
        expected: Option<shared::case::CaseState>,
        action: shared::op::Action,
        at: chrono::DateTime<chrono::Utc>,
    ) -> shared::op::Op {
        let now = at;
        self.seq += 1;
        shared::op::Op {
            id: shared::id::OpId(uuid::Uuid::now_v7()),
            case_id: case,
            device: self.device,
            seq: self.seq,
            hlc: self.clock.tick(now.timestamp_millis()),
            at: now,
            author: self.user,
            role: self.role,
            schema: shared::op::SCHEMA_VERSION,
            expected_state: expected,
            action,
        }
    }

    /// A valid complaint registration in `property` (public area), made now.
    pub fn register(&mut self, property: &Property, content: &str) -> shared::op::Op {
        self.register_at(
            property,
            shared::case::CaseKind::Complaint,
            chrono::Utc::now(),
            |r| r.content = content.into(),
        )
    }
}

impl Author {
    /// A registration of `kind` received and recorded at `at` (public area,
    /// phone 13912345678, category `noise` for complaints and `maintenance`
    /// otherwise), changed by `edit` before the op is made.
    pub fn register_at(
        &mut self,
        property: &Property,
        kind: shared::case::CaseKind,
        at: chrono::DateTime<chrono::Utc>,
        edit: impl FnOnce(&mut shared::case::Registration),
    ) -> shared::op::Op {
        self.counter += 1;
        let mut reg = shared::case::Registration {
            reg_no: shared::regno::RegNo::new(
                &property.code,
                local_date(at),
                self.number,
                self.counter,
            )
            .expect("valid regno"),
            kind,
            property: property.id,
            location: shared::property::Location::PublicArea,
            complainant: shared::case::Complainant {
                name: "王小明".into(),
                phone: shared::phone::Phone::parse("13912345678").ok(),
                anonymous: false,
            },
            channel: shared::case::Channel::Phone,
            received_at: at,
            category: if kind == shared::case::CaseKind::Complaint {
                "noise".into()
            } else {
                "maintenance".into()
            },
            content: "测试内容".into(),
            requested_remedy: String::new(),
            related_case: None,
            source_ref: String::new(),
        };
        edit(&mut reg);
        let case = shared::id::CaseId(uuid::Uuid::now_v7());
        self.op_at(case, None, shared::op::Action::Register(reg), at)
    }
}

impl Client {
    /// GETs raw bytes: status, the headers asked for (lower-case names,
    /// `None` when absent) and the body.
    pub fn get_bytes(&self, path: &str, headers: &[&str]) -> (u16, Vec<Option<String>>, Vec<u8>) {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        req = self.decorate(req);
        let mut resp = req.call().expect("http request");
        let status = resp.status().as_u16();
        let found = picked_headers(&resp, headers);
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 32)
            .read_to_vec()
            .expect("read body");
        (status, found, body)
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        let mut req = self.agent.delete(format!("{}{path}", self.base));
        req = self.decorate(req);
        read(req.call())
    }
}

/// Registers `n` cases of `login` in `property` straight through the
/// store's push (the same judgement, fold and materialization as a push
/// over HTTP, without the HTTP), in batches, before a server starts on
/// `data`. Case `i` is received `i` seconds after `start` and its
/// registration can be changed by `edit`. Returns the case ids in order.
pub fn seed_cases(
    data: &Path,
    login: &str,
    property: &Property,
    n: usize,
    start: chrono::DateTime<chrono::Utc>,
    edit: impl Fn(usize, &mut shared::case::Registration),
) -> Vec<shared::id::CaseId> {
    use server::store::{AuditEntry, DeviceClaim};
    let store = open_store(data);
    let credentials = store
        .user_by_login(login)
        .expect("user lookup")
        .expect("user exists");
    let user = credentials.user;
    let now = chrono::Utc::now();
    // A device issued as a login issues it, with a token nobody holds.
    let claim = DeviceClaim {
        claimed: None,
        fresh: (
            DeviceId(uuid::Uuid::now_v7()),
            server::auth::token_hash(&uuid::Uuid::now_v7().to_string()),
        ),
        name: "seed".into(),
        password_hash: credentials.password_hash,
        schema_floor: 0,
        record_key: Some(server::auth::new_token()),
    };
    let token = server::auth::token_hash(&uuid::Uuid::now_v7().to_string());
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        device: Some(claim.fresh.0),
        address: None,
        action: "auth.login".into(),
        detail: json!({ "by": "seed_cases" }),
    };
    let info = store
        .device_login(&claim, user.id, (&token, now), now, &audit)
        .expect("device")
        .device;
    let dev = info.id;
    let mut author = Author::on(dev, user.id, user.role, info.number);
    let mut ids = Vec::with_capacity(n);
    let mut batch = Vec::new();
    for i in 0..n {
        let at = start + chrono::Duration::seconds(i as i64);
        let op = author.register_at(property, shared::case::CaseKind::Repair, at, |r| edit(i, r));
        ids.push(op.case_id);
        batch.push(op);
        if batch.len() == 5000 || i + 1 == n {
            let now = chrono::Utc::now();
            let answer = store
                .push(
                    dev,
                    &user,
                    std::mem::take(&mut batch),
                    now,
                    now + chrono::Duration::minutes(LENIENT_SKEW_MINUTES),
                )
                .expect("push");
            assert!(answer.quarantined.is_empty(), "{:?}", answer.quarantined);
        }
    }
    ids
}

/// A push body.
pub fn push_body(device: DeviceId, ops: &[shared::op::Op]) -> Value {
    json!({ "device": device, "ops": ops })
}

/// Exports the cases as CSV and checks the file is complete: 200, and as
/// many records as `X-Total-Rows` announced. Returns that count.
pub fn complete_csv_export(reader: &Client) -> usize {
    let (status, headers, csv) = reader.get_bytes("/api/v1/exports/cases.csv", &["x-total-rows"]);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&csv));
    let total: usize = headers[0]
        .as_deref()
        .and_then(|v| v.parse().ok())
        .expect("X-Total-Rows");
    let text = String::from_utf8(csv).expect("utf-8");
    let rows = csv::ReaderBuilder::new()
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("CSV records")
        .len();
    assert_eq!(rows, total, "the CSV export is complete");
    total
}

/// The values of `names` in an answer (lower-case names, `None` when absent).
fn picked_headers<B>(resp: &ureq::http::Response<B>, names: &[&str]) -> Vec<Option<String>> {
    names
        .iter()
        .map(|h| {
            resp.headers()
                .get(*h)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        })
        .collect()
}

/// An answer about a blob: status, the tus headers (`upload-offset`,
/// `upload-length`) and the body.
pub struct BlobAnswer {
    pub status: u16,
    pub offset: Option<u64>,
    pub length: Option<u64>,
    pub body: Vec<u8>,
}

impl BlobAnswer {
    /// The body as JSON (an error's `code`…), `Null` when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Client {
    /// `HEAD /api/v1/blobs/{hash}`.
    pub fn blob_head(&self, hash: &shared::blob::BlobHash) -> BlobAnswer {
        let req = self
            .agent
            .head(format!("{}/api/v1/blobs/{hash}", self.base));
        blob_answer(self.decorate(req).call())
    }

    /// `PUT /api/v1/blobs/{hash}?offset=…` with a chunk.
    pub fn blob_put(&self, hash: &shared::blob::BlobHash, offset: u64, chunk: &[u8]) -> BlobAnswer {
        self.blob_put_as(hash, offset, chunk, "application/octet-stream")
    }

    /// The same with any content type.
    pub fn blob_put_as(
        &self,
        hash: &shared::blob::BlobHash,
        offset: u64,
        chunk: &[u8],
        content_type: &str,
    ) -> BlobAnswer {
        let req = self
            .agent
            .put(format!("{}/api/v1/blobs/{hash}?offset={offset}", self.base))
            .header("Content-Type", content_type);
        blob_answer(self.decorate(req).send(chunk))
    }

    /// Uploads `bytes` whole from `from` in chunks of `CHUNK_BYTES`; returns
    /// the last answer.
    pub fn blob_upload(&self, bytes: &[u8], from: u64) -> BlobAnswer {
        let hash = shared::blob::BlobHash::of(bytes);
        let mut offset = from as usize;
        loop {
            let end = (offset + shared::blob::CHUNK_BYTES).min(bytes.len());
            let answer = self.blob_put(&hash, offset as u64, &bytes[offset..end]);
            if answer.status != 200 || end == bytes.len() {
                return answer;
            }
            offset = end;
        }
    }

    /// `GET /api/v1/blobs/{hash}`: status, `content-type` and
    /// `cache-control`, and the body.
    pub fn blob_get(&self, hash: &shared::blob::BlobHash) -> (u16, Vec<Option<String>>, Vec<u8>) {
        self.get_bytes(
            &format!("/api/v1/blobs/{hash}"),
            &["content-type", "cache-control"],
        )
    }
}

fn blob_answer(res: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> BlobAnswer {
    let mut resp = res.expect("http request");
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    };
    let (offset, length) = (header("upload-offset"), header("upload-length"));
    BlobAnswer {
        status: resp.status().as_u16(),
        offset,
        length,
        body: resp.body_mut().read_to_vec().unwrap_or_default(),
    }
}

/// An attach op for `bytes` (as a JPEG, or `mime`), declaring their size
/// and hash, with an optional thumbnail.
pub fn attach(
    author: &mut Author,
    case: shared::id::CaseId,
    kind: shared::case::AttachmentKind,
    bytes: &[u8],
    thumbnail: Option<&[u8]>,
) -> shared::op::Op {
    attach_declared(
        author,
        case,
        kind,
        bytes.len() as u64,
        shared::blob::BlobHash::of(bytes),
        thumbnail,
    )
}

/// An attach op declaring any size and hash.
pub fn attach_declared(
    author: &mut Author,
    case: shared::id::CaseId,
    kind: shared::case::AttachmentKind,
    size: u64,
    hash: shared::blob::BlobHash,
    thumbnail: Option<&[u8]>,
) -> shared::op::Op {
    author.op(
        case,
        None,
        shared::op::Action::Attach {
            id: shared::id::AttachmentId(uuid::Uuid::now_v7()),
            attachment_kind: kind,
            name: "现场.jpg".into(),
            mime: "image/jpeg".into(),
            size,
            hash: Some(hash),
            caption: "现场照片".into(),
            thumbnail: thumbnail.map(|t| shared::case::Thumbnail {
                hash: shared::blob::BlobHash::of(t),
                size: t.len() as u64,
                mime: "image/webp".into(),
            }),
        },
    )
}

/// Bytes that begin as a JPEG does (the server checks the first bytes of
/// an upload against the type its attach op declares) and then look like
/// nothing in particular, `n` of them, different for each `seed`.
pub fn bytes(n: usize, seed: u8) -> Vec<u8> {
    const JPEG: [u8; 3] = [0xFF, 0xD8, 0xFF];
    (0..n)
        .map(|i| match JPEG.get(i) {
            Some(b) => *b,
            None => (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed,
        })
        .collect()
}

/// [`bytes`] that begin as a WebP does, as the thumbnails of
/// [`attach_declared`] are declared.
pub fn webp_bytes(n: usize, seed: u8) -> Vec<u8> {
    let mut b = bytes(n.max(12), seed);
    b[..12].copy_from_slice(b"RIFF\0\0\0\0WEBP");
    b.truncate(n);
    b
}

/// The steps of a case from its assignment to its proposal, for `kind`
/// (a complaint is assessed first): assigned to 工程部 张工, started, and
/// the solution proposed with `compensation_fen`.
pub fn to_proposal(
    kind: shared::case::CaseKind,
    severity: shared::case::Severity,
    compensation_fen: i64,
) -> Vec<shared::op::Action> {
    use shared::op::Action;
    let mut actions = Vec::new();
    if kind == shared::case::CaseKind::Complaint {
        actions.push(Action::Assess {
            severity,
            urgent: false,
            validity: shared::case::Validity::Valid,
            reason: String::new(),
            respondent: String::new(),
            respondent_department: String::new(),
        });
    }
    actions.extend([
        Action::Assign {
            department: "工程部".into(),
            user: None,
            name: "张工".into(),
            note: String::new(),
        },
        Action::Start,
        Action::Propose {
            measures: "维修".into(),
            responsible: "张工".into(),
            planned_date: chrono::NaiveDate::from_ymd_opt(2030, 1, 1),
            compensation_fen,
        },
    ]);
    actions
}

/// The steps that finish a proposed case: resolved, called back (5) and
/// closed with `corrective_action`.
pub fn to_closure(corrective_action: &str) -> [shared::op::Action; 3] {
    use shared::case::ContactMethod;
    use shared::op::Action;
    [
        Action::Resolve {
            result: "已修好".into(),
            feedback_method: ContactMethod::Phone,
            feedback_at: None,
            on_the_spot: false,
        },
        Action::FollowUp {
            method: ContactMethod::Phone,
            satisfaction: 5,
            comment: String::new(),
            spot_check: false,
            ratings: None,
        },
        Action::Close {
            corrective_action: corrective_action.into(),
            verification: "已复查".into(),
        },
    ]
}
