//! What the store's unit tests share.

use chrono::Utc;
use shared::case::{CaseKind, Channel, Complainant, Registration};
use shared::hlc::HlcClock;
use shared::id::{CaseId, DeviceId, OpId};
use shared::op::{Action, Op, SCHEMA_VERSION};
use shared::property::{Location, Property};
use shared::regno::RegNo;
use shared::role::{Role, User};

/// The register op of a new case, the device's first op.
pub(super) fn register(property: &Property, user: &User, device: DeviceId, number: u32) -> Op {
    let at = Utc::now();
    Op {
        id: OpId(uuid::Uuid::now_v7()),
        case_id: CaseId(uuid::Uuid::now_v7()),
        device,
        seq: 1,
        hlc: HlcClock::new(device, None).tick(at.timestamp_millis()),
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
        }),
    }
}
