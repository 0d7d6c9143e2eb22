//! Many cases at once, pushed over the real sync API as a tablet would
//! push them after a long day offline: for the many-cases test and the
//! cold-sync benchmark (`tests/examples/cold_sync.rs`).

use chrono::Utc;
use serde_json::json;
use shared::case::{
    CaseKind, CaseState, Channel, Complainant, NoteKind, Registration, Severity, Validity,
};
use shared::device::{Actor, DeviceState};
use shared::id::{CaseId, OpId};
use shared::op::{Action, Op};
use shared::phone::Phone;
use shared::property::{Location, Property};
use shared::regno::RegNo;
use shared::wire::{ConfigItem, LoginResponse, PullResponse, PushResponse};

use crate::{PASSWORD, Server};

/// A device logged in over the sync API, as a tablet would be, ready to
/// make ops in 和园.
pub struct Tablet {
    /// The server's answer to the login: token, user and device.
    pub login: LoginResponse,
    /// 和园, from the pulled configuration.
    pub property: Property,
    /// Who makes the ops.
    pub actor: Actor,
    /// The device's sequence numbers, clock and registration counter.
    pub state: DeviceState,
}

impl Tablet {
    /// Logs `login` in on a new device named `device_name` and pulls the
    /// configuration for 和园, which must be in the user's scope.
    pub fn log_in(server: &Server, login: &str, device_name: &str) -> Tablet {
        Tablet::log_in_to(server, login, device_name, "HY")
    }

    /// [`Tablet::log_in`] for the property of code `property`.
    pub fn log_in_to(server: &Server, login: &str, device_name: &str, property: &str) -> Tablet {
        let (status, answer) = server.post_json(
            None,
            "/api/v1/auth/login",
            &json!({ "login": login, "password": PASSWORD, "device_name": device_name }),
        );
        assert_eq!(status, 200, "{answer}");
        let login: LoginResponse = serde_json::from_value(answer).expect("a login answer");
        let (status, pull) = server.get_json(&login.token, "/api/v1/sync/pull?after=0&limit=10");
        assert_eq!(status, 200, "{pull}");
        let pull: PullResponse = serde_json::from_value(pull).expect("a pull answer");
        let property = pull
            .config
            .iter()
            .find_map(|item| match item {
                ConfigItem::Properties(p) => p.iter().find(|p| p.code == property).cloned(),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{property} is in the user's scope"));
        let actor = Actor {
            user: login.user.id,
            role: login.user.role,
        };
        let state = DeviceState::new(login.device, login.device_number, login.acked_seq);
        Tablet {
            login,
            property,
            actor,
            state,
        }
    }
}

impl Tablet {
    /// A complaint about `content` in 和园's public area, registered and
    /// assessed (general, valid) on this device, followed by `then`, each
    /// with the state it saw: the ops, not pushed yet, with the case's id
    /// and registration number.
    pub fn assessed_complaint(
        &mut self,
        content: &str,
        then: Vec<(Option<CaseState>, Action)>,
    ) -> (CaseId, RegNo, Vec<Op>) {
        let assessment = Action::Assess {
            severity: Severity::General,
            urgent: false,
            validity: Validity::Valid,
            reason: String::new(),
            respondent: String::new(),
            respondent_department: String::new(),
        };
        let mut steps = vec![(Some(CaseState::Registered), assessment)];
        steps.extend(then);
        self.complaint(content, steps)
    }

    /// A complaint about `content` in the tablet's property's public area,
    /// registered on this device and followed by `then`, each with the
    /// state it saw: the ops, not pushed yet, with the case's id and
    /// registration number.
    pub fn complaint(
        &mut self,
        content: &str,
        then: Vec<(Option<CaseState>, Action)>,
    ) -> (CaseId, RegNo, Vec<Op>) {
        let at = Utc::now();
        let reg_no = self
            .state
            .next_reg_no(&self.property.code, chrono_tz::Asia::Shanghai, at)
            .expect("a registration number");
        let registration = Registration {
            reg_no: reg_no.clone(),
            kind: CaseKind::Complaint,
            property: self.property.id,
            location: Location::PublicArea,
            complainant: Complainant {
                name: "钱九".into(),
                phone: Phone::parse("13900000009").ok(),
                anonymous: false,
            },
            channel: Channel::Phone,
            received_at: at,
            category: "maintenance".into(),
            content: content.into(),
            requested_remedy: String::new(),
            related_case: None,
            source_ref: String::new(),
        };
        let case = CaseId(uuid::Uuid::now_v7());
        let ops = [(None, Action::Register(registration))]
            .into_iter()
            .chain(then)
            .map(|(expected, action)| self.op(case, expected, action))
            .collect();
        (case, reg_no, ops)
    }

    /// The next op of this device on `case`, made now, with the state it saw.
    pub fn op(&mut self, case: CaseId, expected: Option<CaseState>, action: Action) -> Op {
        self.state.make_op(
            OpId(uuid::Uuid::now_v7()),
            case,
            self.actor,
            expected,
            action,
            Utc::now(),
        )
    }

    /// Pushes `ops` and asserts that the server took every one.
    pub fn push(&self, server: &Server, ops: &[Op]) {
        let (status, answer) = server.post_json(
            Some(&self.login.token),
            "/api/v1/sync/push",
            &json!({ "device": self.login.device, "ops": ops }),
        );
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["quarantined"], json!([]), "{answer}");
    }
}

/// Registers `cases` cases in 和园 from a device of staff1's, each followed
/// by `notes` investigation notes, and pushes them in batches of 1000 ops.
/// Every third case is a complaint, the others repairs; case `i` says
/// "第{i}号：楼道灯不亮" and its complainant's phone is 139 and `i`. The
/// device is the one the server issues at the login, so the ops and their
/// registration numbers carry its id and number.
pub fn push_cases(server: &Server, cases: usize, notes: usize) {
    let Tablet {
        login,
        property,
        actor,
        mut state,
    } = Tablet::log_in(server, "staff1", "bulk");
    let tz = chrono_tz::Asia::Shanghai;
    let mut ops: Vec<Op> = Vec::with_capacity(cases * (1 + notes));
    for i in 0..cases {
        let at = Utc::now();
        let reg_no = state
            .next_reg_no(&property.code, tz, at)
            .expect("a registration number");
        let registration = Registration {
            reg_no,
            kind: if i % 3 == 0 {
                CaseKind::Complaint
            } else {
                CaseKind::Repair
            },
            property: property.id,
            location: Location::PublicArea,
            complainant: Complainant {
                name: format!("业主{i}"),
                phone: Phone::parse(&format!("139{i:08}")).ok(),
                anonymous: false,
            },
            channel: Channel::Phone,
            received_at: at,
            category: "maintenance".into(),
            content: format!("第{i}号：楼道灯不亮"),
            requested_remedy: String::new(),
            related_case: None,
            source_ref: String::new(),
        };
        let case = CaseId(uuid::Uuid::now_v7());
        let mut make = |action: Action| {
            state.make_op(
                OpId(uuid::Uuid::now_v7()),
                case,
                actor,
                None,
                action,
                Utc::now(),
            )
        };
        ops.push(make(Action::Register(registration)));
        for n in 0..notes {
            ops.push(make(Action::Note {
                note_kind: NoteKind::General,
                text: format!("第{n}次查看"),
            }));
        }
    }
    for batch in ops.chunks(1000) {
        let (status, answer) = server.post_json(
            Some(&login.token),
            "/api/v1/sync/push",
            &json!({ "device": login.device, "ops": batch }),
        );
        assert_eq!(status, 200, "{answer}");
        let answer: PushResponse = serde_json::from_value(answer).expect("a push answer");
        assert!(answer.quarantined.is_empty(), "{:?}", answer.quarantined);
    }
}
