//! What the store's unit tests share.

use super::sqlite::SqliteStore;
use super::{AuditEntry, DeviceClaim, NewUser, Store};
use chrono::Utc;
use shared::case::{CaseKind, Channel, Complainant, Registration};
use shared::hlc::Hlc;
use shared::id::{CaseId, DeviceId, OpId, PropertyId};
use shared::op::{Action, Op, SCHEMA_VERSION};
use shared::property::{Location, Property};
use shared::regno::RegNo;
use shared::role::{Role, User};

/// The counter of the HLC of the ops [`register`] makes: one made after
/// another in the same millisecond has a later clock, as a device's would
/// (the server refuses one that goes back, `clock.went_back`).
static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// The register op of a new case, the device's first op.
pub(super) fn register(property: &Property, user: &User, device: DeviceId, number: u32) -> Op {
    let at = Utc::now();
    Op {
        id: OpId(uuid::Uuid::now_v7()),
        case_id: CaseId(uuid::Uuid::now_v7()),
        device,
        seq: 1,
        hlc: Hlc {
            wall_ms: at.timestamp_millis(),
            counter: COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            device,
        },
        at,
        author: user.id,
        role: Role::Staff,
        schema: SCHEMA_VERSION,
        expected_state: None,
        action: Action::Register(Registration {
            reg_no: RegNo::new(
                &property.code,
                at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
                number,
                1,
            )
            .expect("registration number"),
            kind: CaseKind::Repair,
            property: property.id,
            location: Location::PublicArea,
            complainant: Complainant {
                name: "张三".into(),
                phone: shared::phone::Phone::parse("13800001111").ok(),
                anonymous: false,
            },
            channel: Channel::Phone,
            received_at: at,
            category: "maintenance".into(),
            content: "楼道灯不亮".into(),
            requested_remedy: String::new(),
            related_case: None,
            source_ref: String::new(),
        }),
    }
}

/// The audit record of a step a test sets up.
pub(super) fn audit() -> AuditEntry {
    AuditEntry::unattended("test", "test", serde_json::Value::Null)
}

/// A device logged in by `user`, and its number.
pub(super) fn device(store: &dyn Store, user: &User) -> (DeviceId, u32) {
    let (device, number, _) = session(store, user);
    (device, number)
}

/// A device logged in by `user`: its id, its number and the session's
/// token hash.
pub(super) fn session(store: &dyn Store, user: &User) -> (DeviceId, u32, String) {
    let password_hash = store
        .user_by_login(&user.login)
        .expect("user lookup")
        .expect("user exists")
        .password_hash;
    let claim = fresh_device(&password_hash);
    let token = uuid::Uuid::now_v7().to_string();
    let expires = Utc::now() + chrono::Duration::hours(1);
    let device = store
        .device_login(&claim, user.id, (&token, expires), Utc::now(), &audit())
        .expect("device")
        .device;
    (device.id, device.number, token)
}

/// A login's claim of a new device, its password checked against
/// `password_hash`, under the server's current schema floor.
pub(super) fn fresh_device(password_hash: &str) -> DeviceClaim {
    DeviceClaim {
        claimed: None,
        fresh: (DeviceId(uuid::Uuid::now_v7()), "secret".into()),
        name: "tablet".into(),
        password_hash: password_hash.into(),
        schema_floor: crate::api::MIN_CLIENT_SCHEMA,
        record_key: Some("key".into()),
    }
}

/// A store with one property and one staff member.
pub(super) fn store_with_staff(dir: &std::path::Path) -> (SqliteStore, Property, User) {
    let store = SqliteStore::open(&dir.join("cases.sqlite3")).expect("open store");
    let (property, user) = staff(&store);
    (store, property, user)
}

/// A store with one staff member and their tablet, and a case they
/// registered on it, pushed: the tablet and the register op.
pub(super) fn store_with_a_case(dir: &std::path::Path) -> (SqliteStore, User, DeviceId, Op) {
    let (store, property, user) = store_with_staff(dir);
    let (tablet, number) = device(&store, &user);
    let reg = register(&property, &user, tablet, number);
    let ceiling = Utc::now() + chrono::Duration::minutes(5);
    store
        .push(tablet, &user, vec![reg.clone()], Utc::now(), ceiling)
        .expect("push");
    (store, user, tablet, reg)
}

/// One property and one staff member, added to `store`.
pub(super) fn staff(store: &dyn Store) -> (Property, User) {
    let property = Property {
        id: PropertyId(uuid::Uuid::now_v7()),
        code: "TEST".into(),
        name: "测试小区".into(),
        households: 10,
        buildings: Vec::new(),
        retired: false,
        contact: String::new(),
        removed: Vec::new(),
    };
    store
        .put_property(&property, None, &audit())
        .expect("property");
    let user = store
        .create_user(
            NewUser {
                login: "staff".into(),
                display_name: "staff".into(),
                role: Role::Staff,
                properties: vec![property.id],
                department: None,
                password_hash: String::new(),
                must_change_password: false,
            },
            Utc::now(),
            &audit(),
        )
        .expect("user");
    (property, user)
}
