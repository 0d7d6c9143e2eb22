//! What the benchmarks share: audit records made without a session, the
//! real server on loopback, and a login through it.
//!
//! A directory module, so that cargo does not take it for an example.
//! Each example compiles it on its own and uses only part of it, hence the
//! `dead_code` allowance.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use server::store::sqlite::SqliteStore;
use server::store::{AuditEntry, NewUser, Store};
use shared::case::{CaseKind, Channel, Complainant, Registration};
use shared::hlc::HlcClock;
use shared::id::{CaseId, DeviceId, OpId, PropertyId, UserId};
use shared::op::{Action, Op, SCHEMA_VERSION};
use shared::phone::Phone;
use shared::property::{Location, Property};
use shared::regno::RegNo;
use shared::role::{Role, User};
use std::path::PathBuf;
use std::sync::Arc;

pub type Error = Box<dyn std::error::Error>;

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
pub fn serve(store: Arc<SqliteStore>) -> Result<(tokio::runtime::Runtime, String), Error> {
    let rt = tokio::runtime::Runtime::new()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = server::app(server::state(store), None);
    rt.spawn(async move { axum::serve(listener, app).await });
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
    pub store: Arc<SqliteStore>,
    pub property: Property,
    pub user: User,
}

impl StaffSetup {
    /// Creates the store in [`data_dir`]`(name)` with the property and the
    /// user.
    pub fn new(name: &str) -> Result<StaffSetup, Error> {
        let dir = data_dir(name);
        let store = Arc::new(server::open_store(&dir)?);
        let property = Property {
            id: PropertyId(uuid::Uuid::now_v7()),
            code: "BENCH".into(),
            name: "基准小区".into(),
            households: 1000,
            buildings: Vec::new(),
        };
        store.put_property(&property, &audit("property.put"))?;
        let user = store.create_user(
            NewUser {
                login: "bench".into(),
                display_name: "bench".into(),
                role: Role::Staff,
                properties: vec![property.id],
                department: None,
                password_hash: server::auth::hash_password(PASSWORD)
                    .map_err(|e| format!("{e:?}"))?,
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
    })
}
