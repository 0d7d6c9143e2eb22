//! What the benchmarks share: the backend they measure, audit records made
//! without a session, the real server on loopback, and a login through it.
//!
//! A directory module, so that cargo does not take it for an example.
//! Each example compiles it on its own and uses only part of it, hence the
//! `dead_code` allowance.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use server::store::{AuditEntry, NewUser, Store};
use shared::case::{CaseKind, Channel, Complainant, Registration};
use shared::hlc::HlcClock;
use shared::id::{CaseId, DeviceId, OpId, PropertyId, UserId};
use shared::op::{Action, Op, SCHEMA_VERSION};
use shared::phone::Phone;
use shared::property::{Location, Property};
use shared::regno::RegNo;
use shared::role::{Role, User};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub type Error = Box<dyn std::error::Error>;

/// The environment variable naming the PostgreSQL cluster to measure: a
/// URL whose user may create databases. `cargo xtask bench` sets it to the
/// throwaway cluster it starts.
pub const POSTGRES_URL_VAR: &str = "BENCH_POSTGRES_URL";

/// The environment variable naming the certificate authority (PEM) of the
/// cluster's TLS certificate.
pub const POSTGRES_CA_VAR: &str = "BENCH_POSTGRES_CA";

/// The store a benchmark measures.
pub enum Backend {
    /// A fresh SQLite file, as `server serve` keeps by default.
    Sqlite,
    /// A fresh database on the cluster at `admin_url`.
    Postgres {
        admin_url: String,
        ca: Option<PathBuf>,
    },
}

impl Backend {
    /// PostgreSQL when [`POSTGRES_URL_VAR`] is set, else SQLite.
    pub fn from_env() -> Backend {
        match std::env::var(POSTGRES_URL_VAR) {
            Ok(admin_url) => Backend::Postgres {
                admin_url,
                ca: std::env::var_os(POSTGRES_CA_VAR).map(PathBuf::from),
            },
            Err(_) => Backend::Sqlite,
        }
    }

    /// The backend's name, as the rows print it.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres { .. } => "PostgreSQL",
        }
    }

    /// What ends a row's name: nothing on SQLite, whose rows keep the names
    /// BENCHMARKS.md has always given them, and ", on PostgreSQL" there.
    pub fn suffix(&self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres { .. } => ", on PostgreSQL",
        }
    }

    /// A fresh store: a SQLite file in `dir`, or a new database on the
    /// cluster with its evidence files in `dir`.
    pub fn open(&self, dir: &Path) -> Result<Arc<dyn Store>, Error> {
        match self {
            Backend::Sqlite => Ok(Arc::new(server::open_store(dir)?)),
            Backend::Postgres { admin_url, ca } => {
                let url = fresh_database(admin_url)?;
                Ok(Arc::new(server::open_postgres(
                    &url,
                    server::store::postgres::DEFAULT_POOL_SIZE,
                    ca.as_deref(),
                    dir,
                )?))
            }
        }
    }
}

/// Creates a database with a new name on the cluster at `admin_url` and
/// returns its URL. The database outlives the benchmark: it goes with the
/// throwaway cluster. The one statement goes over a plain connection, which
/// a cluster that trusts 127.0.0.1 (as `cargo xtask`'s does) accepts; the
/// store then connects as the server does.
fn fresh_database(admin_url: &str) -> Result<String, Error> {
    let name = format!("bench_{}", uuid::Uuid::now_v7().simple());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (client, connection) =
            tokio_postgres::connect(admin_url, tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
    })?;
    with_database(admin_url, &name)
}

/// `url` (`postgres://user@host:port/database?options`) naming the
/// database `name` instead.
fn with_database(url: &str, name: &str) -> Result<String, Error> {
    let (base, options) = match url.split_once('?') {
        Some((base, options)) => (base, format!("?{options}")),
        None => (url, String::new()),
    };
    let authority = base
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| format!("{POSTGRES_URL_VAR} is not a postgres:// URL"))?;
    let server = match base[authority..].find('/') {
        Some(slash) => &base[..authority + slash],
        None => base,
    };
    Ok(format!("{server}/{name}{options}"))
}

/// The password of every user a benchmark creates.
pub const PASSWORD: &str = "bench-password";

/// The audit record of a step a benchmark sets up.
pub fn audit(action: &str) -> AuditEntry {
    AuditEntry::unattended(action, "benchmark", serde_json::Value::Null)
}

/// How a figure stands against its goal, as the rows print it and as
/// `cargo xtask bench` counts it: `goal …: met` or `goal …: not met`.
pub fn goal(met: bool, goal: &str) -> String {
    format!("{goal}: {}", if met { "met" } else { "not met" })
}

/// A fresh data directory under the system's temp dir, named after the
/// benchmark and this process.
pub fn data_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{name}-bench-{}", std::process::id()))
}

/// The server's router over `store`, served on a free loopback port by a
/// runtime of its own; returns the runtime (the server stops with it) and
/// the base URL.
pub fn serve(store: Arc<dyn Store>) -> Result<(tokio::runtime::Runtime, String), Error> {
    let rt = tokio::runtime::Runtime::new()?;
    let listener = rt.block_on(async { server::listener::listen(([127, 0, 0, 1], 0).into()) })?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = server::app(server::state(store), None);
    // Connections as `server serve` takes them.
    let plain = rt.block_on(async {
        axum_server::from_tcp(listener.into_std()?)
            .map(|s| s.acceptor(server::listener::accepted()))
    })?;
    let head = std::time::Duration::from_secs(server::listener::REQUEST_HEAD_SECS);
    rt.spawn(
        server::listener::bounded(plain, head)
            .serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>()),
    );
    Ok((rt, base))
}

/// An HTTP client whose error statuses are answers.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// A login as a new device, through the API.
pub struct Login {
    pub token: String,
    /// The device the server issued.
    pub device: DeviceId,
    /// The device's number, which registration numbers carry.
    pub number: u32,
}

/// Logs `login` in with [`PASSWORD`] as a new device named "bench".
pub fn login(agent: &ureq::Agent, base: &str, login: &str) -> Result<Login, Error> {
    let answer: serde_json::Value = agent
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(serde_json::json!({
            "login": login, "password": PASSWORD, "device_name": "bench",
        }))?
        .body_mut()
        .read_json()?;
    Ok(Login {
        token: answer["token"].as_str().ok_or("no token")?.to_string(),
        device: serde_json::from_value(answer["device"].clone())?,
        number: answer["device_number"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or("no device number")?,
    })
}

/// One property with one staff member ("bench") in a fresh store.
pub struct StaffSetup {
    pub dir: PathBuf,
    pub store: Arc<dyn Store>,
    pub property: Property,
    pub user: User,
}

impl StaffSetup {
    /// Creates the store on `backend`, with [`data_dir`]`(name)` as its
    /// data directory, and in it the property and the user.
    pub fn new(name: &str, backend: &Backend) -> Result<StaffSetup, Error> {
        let dir = data_dir(name);
        let store = backend.open(&dir)?;
        let property = Property {
            id: PropertyId(uuid::Uuid::now_v7()),
            code: "BENCH".into(),
            name: "基准小区".into(),
            households: 1000,
            buildings: Vec::new(),
            retired: false,
            contact: String::new(),
            removed: Vec::new(),
        };
        store.put_property(&property, None, &audit("property.put"))?;
        let user = store.create_user(
            NewUser {
                login: "bench".into(),
                display_name: "bench".into(),
                role: Role::Staff,
                properties: vec![property.id],
                department: None,
                password_hash: server::auth::hash_password(PASSWORD)
                    .map_err(|e| format!("{e:?}"))?,
                must_change_password: false,
            },
            Utc::now(),
            &audit("user.create"),
        )?;
        Ok(StaffSetup {
            dir,
            store,
            property,
            user,
        })
    }
}

/// Makes one staff member's ops on one device, numbered and clocked as a
/// tablet makes them.
pub struct Author {
    device: DeviceId,
    user: UserId,
    clock: HlcClock,
    seq: u64,
}

impl Author {
    pub fn new(device: DeviceId, user: UserId) -> Author {
        Author {
            device,
            user,
            clock: HlcClock::new(device, None),
            seq: 0,
        }
    }

    /// The sequence number of the last op made.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The next op: `action` on `case`, made at `at`.
    pub fn op(&mut self, case: CaseId, at: DateTime<Utc>, action: Action) -> Op {
        self.seq += 1;
        Op {
            id: OpId(uuid::Uuid::now_v7()),
            case_id: case,
            device: self.device,
            seq: self.seq,
            hlc: self.clock.tick(at.timestamp_millis()),
            at,
            author: self.user,
            role: Role::Staff,
            schema: SCHEMA_VERSION,
            expected_state: None,
            action,
        }
    }
}

/// The registration of the `count`th case of a bench device, received now.
pub fn registration(
    property: PropertyId,
    kind: CaseKind,
    device_number: u32,
    count: u32,
) -> Result<Registration, Error> {
    let now = Utc::now();
    Ok(Registration {
        reg_no: RegNo::new(
            "BENCH",
            now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
            device_number,
            count,
        )?,
        kind,
        property,
        location: Location::PublicArea,
        complainant: Complainant {
            name: "李四".into(),
            phone: Phone::parse("13800001111").ok(),
            anonymous: false,
        },
        channel: Channel::Phone,
        received_at: now,
        category: "noise".into(),
        content: "基准测试工单".into(),
        requested_remedy: String::new(),
        related_case: None,
        source_ref: String::new(),
    })
}
