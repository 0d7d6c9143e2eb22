//! A small scenario builder for the workflow and fold tests: devices with
//! their own HLC and sequence, acting on one case at given local times.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use shared::calendar::Calendar;
use shared::case::{
    Case, CaseKind, Channel, Complainant, ContactMethod, Registration, Severity, Validity,
};
use shared::fold::{FoldContext, fold, fold_resumable, resume};
use shared::hlc::HlcClock;
use shared::id::{CaseId, DeviceId, OpId, PropertyId, UserId};
use shared::op::{Action, Op, SCHEMA_VERSION};
use shared::phone::Phone;
use shared::property::Location;
use shared::regno::RegNo;
use shared::role::Role;
use shared::settings::Settings;
use std::collections::BTreeSet;
use uuid::Uuid;

#[derive(Clone)]
pub struct Device {
    pub id: DeviceId,
    pub user: UserId,
    pub role: Role,
    clock: HlcClock,
    seq: u64,
}

#[derive(Clone)]
pub struct Sim {
    pub settings: Settings,
    pub calendar: Calendar,
    pub case_id: CaseId,
    pub devices: Vec<Device>,
    pub ops: Vec<Op>,
    next_id: u128,
}

/// A Shanghai local time on a date, as UTC.
pub fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("test times are unambiguous")
        .with_timezone(&Utc)
}

pub fn registration(kind: CaseKind, channel: Channel, received_at: DateTime<Utc>) -> Registration {
    Registration {
        reg_no: RegNo::new("HY", NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), 1, 1).unwrap(),
        kind,
        property: PropertyId(Uuid::from_u128(1)),
        location: Location::PublicArea,
        complainant: Complainant {
            name: "张三".into(),
            phone: Some(Phone::parse("13812345678").unwrap()),
            anonymous: false,
        },
        channel,
        received_at,
        category: "noise".into(),
        content: "夜间施工噪音".into(),
        requested_remedy: "停止夜间施工".into(),
        related_case: None,
        source_ref: String::new(),
    }
}

impl Sim {
    pub fn new() -> Sim {
        Sim {
            settings: Settings::default(),
            calendar: Calendar::with_builtin(),
            case_id: CaseId(Uuid::from_u128(0xCA5E)),
            devices: Vec::new(),
            ops: Vec::new(),
            next_id: 1,
        }
    }

    /// Adds a device used by a person in `role`; returns its index.
    pub fn device(&mut self, role: Role) -> usize {
        let n = self.devices.len() as u128 + 1;
        let id = DeviceId(Uuid::from_u128(0xD000 + n));
        self.devices.push(Device {
            id,
            user: UserId(Uuid::from_u128(0xE000 + n)),
            role,
            clock: HlcClock::new(id, None),
            seq: 0,
        });
        self.devices.len() - 1
    }

    pub fn ctx(&self) -> FoldContext<'_> {
        FoldContext {
            settings: &self.settings,
            calendar: &self.calendar,
        }
    }

    /// The case the full log folds to. It also checks that a server,
    /// which resumes the fold from the case it stored without its history
    /// (timeline and notes), gets the same case wherever the log is cut.
    pub fn case(&self) -> Case {
        let full = fold(&self.ops, self.ctx()).expect("the scenario registers the case");
        self.check_resumed(&full);
        full
    }

    fn check_resumed(&self, full: &Case) {
        let mut sorted = self.ops.clone();
        sorted.sort_by_key(Op::order_key);
        let ids: BTreeSet<OpId> = sorted.iter().map(|o| o.id).collect();
        // Repeats of an op are kept out by the server's op table, not the fold.
        if ids.len() != sorted.len() {
            return;
        }
        for cut in 1..sorted.len() {
            let (head, tail) = sorted.split_at(cut);
            let Ok(mut stored) = fold_resumable(head, self.ctx()) else {
                continue;
            };
            let timeline = std::mem::take(&mut stored.case.timeline);
            let notes = std::mem::take(&mut stored.case.notes);
            let mut resumed = resume(stored, tail, self.ctx())
                .expect("a tail in fold order resumes")
                .case;
            resumed.timeline.splice(0..0, timeline);
            resumed.notes.splice(0..0, notes);
            assert_eq!(&resumed, full, "resumed after {cut} ops");
        }
    }

    /// Makes an op on device `dev` at `at`, expecting the state the full
    /// log folds to now (a device that has seen everything).
    pub fn act(&mut self, dev: usize, at: DateTime<Utc>, action: Action) -> Op {
        let expected = if action.kind().is_transition() {
            Some(self.case().state)
        } else {
            None
        };
        self.act_expecting(dev, at, action, expected)
    }

    /// Makes an op with an explicit expected state (a device with a stale view).
    pub fn act_expecting(
        &mut self,
        dev: usize,
        at: DateTime<Utc>,
        action: Action,
        expected_state: Option<shared::case::CaseState>,
    ) -> Op {
        // Every device observes every op so far, as if it had synced.
        let seen: Vec<_> = self.ops.iter().map(|o| o.hlc).collect();
        let d = &mut self.devices[dev];
        for h in seen {
            d.clock.observe(h, at.timestamp_millis());
        }
        d.seq += 1;
        self.next_id += 1;
        let op = Op {
            id: OpId(Uuid::from_u128(self.next_id)),
            case_id: self.case_id,
            device: d.id,
            seq: d.seq,
            hlc: d.clock.tick(at.timestamp_millis()),
            at,
            author: d.user,
            role: d.role,
            schema: SCHEMA_VERSION,
            expected_state,
            action,
        };
        self.ops.push(op.clone());
        op
    }

    /// Registers a case of `kind` received at `at` on device 0.
    pub fn register(&mut self, kind: CaseKind, channel: Channel, at: DateTime<Utc>) {
        let action = Action::Register(registration(kind, channel, at));
        self.act_expecting(0, at, action, None);
    }
}

/// An assessment of `severity` and `validity`, with the reason an
/// unfounded one needs.
pub fn assess(severity: Severity, validity: Validity) -> Action {
    Action::Assess {
        severity,
        urgent: false,
        validity,
        reason: if validity == Validity::Unfounded {
            "业主误解收费标准".into()
        } else {
            String::new()
        },
        respondent: String::new(),
        respondent_department: String::new(),
    }
}

pub fn resolve(result: &str) -> Action {
    Action::Resolve {
        result: result.into(),
        feedback_method: ContactMethod::Phone,
        feedback_at: None,
        on_the_spot: false,
    }
}
