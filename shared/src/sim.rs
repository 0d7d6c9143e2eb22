//! A fleet of simulated devices that make valid ops offline, for the fold's
//! property tests and the server's convergence tests.
//!
//! Each device has its own skewed clock, its own HLC and sequence, and its
//! own view of the ops (what it has synced). It picks actions its role may
//! take in the state *its view* folds to, so concurrent transitions and
//! stale expectations arise naturally. All randomness comes in as `choice`
//! numbers from the caller; the fleet itself is deterministic.

use crate::calendar::Calendar;
use crate::case::{
    AttachmentKind, Case, CaseKind, CaseState, Channel, Complainant, ContactMethod, NoteKind,
    Ratings, Registration, RegistrationPatch, Severity, Validity,
};
use crate::fold::{FoldContext, fold};
use crate::hlc::HlcClock;
use crate::id::{AttachmentId, CaseId, DeviceId, OpId, PropertyId, UserId};
use crate::op::{Action, ActionKind, Op, SCHEMA_VERSION};
use crate::phone::Phone;
use crate::property::Location;
use crate::regno::RegNo;
use crate::role::Role;
use crate::settings::Settings;
use crate::workflow::{allowed_actions, superior};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One simulated tablet.
#[derive(Debug, Clone)]
pub struct SimDevice {
    /// The device id.
    pub id: DeviceId,
    /// Its user.
    pub user: UserId,
    /// The user's role.
    pub role: Role,
    /// How far its wall clock is off, in milliseconds.
    pub skew_ms: i64,
    /// The device number used in registration numbers.
    pub number: u32,
    clock: HlcClock,
    seq: u64,
    reg_counter: u32,
    /// The ops this device has seen, by case.
    seen: BTreeMap<CaseId, Vec<Op>>,
}

/// Devices acting on cases of one property.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// The devices.
    pub devices: Vec<SimDevice>,
    /// Every op any device made, in creation order.
    pub ops: Vec<Op>,
    /// The property every case belongs to.
    pub property: PropertyId,
    /// That property's code, the first part of registration numbers.
    pub property_code: String,
    /// Settings used for folding.
    pub settings: Settings,
    /// Calendar used for folding.
    pub calendar: Calendar,
    next_id: u128,
    id_base: u128,
}

impl Fleet {
    /// A fleet with one device per `(role, clock skew in ms)`. `id_base`
    /// keeps the ids of several fleets apart.
    pub fn new(devices: &[(Role, i64)], property: PropertyId, id_base: u128) -> Fleet {
        let devices = devices
            .iter()
            .enumerate()
            .map(|(i, (role, skew_ms))| {
                let id = DeviceId(Uuid::from_u128(id_base + 0x1000 + i as u128));
                SimDevice {
                    id,
                    user: UserId(Uuid::from_u128(id_base + 0x2000 + i as u128)),
                    role: *role,
                    skew_ms: *skew_ms,
                    number: i as u32 + 1,
                    clock: HlcClock::new(id, None),
                    seq: 0,
                    reg_counter: 0,
                    seen: BTreeMap::new(),
                }
            })
            .collect();
        Fleet {
            devices,
            ops: Vec::new(),
            property,
            property_code: "SIM".into(),
            settings: Settings::default(),
            calendar: Calendar::with_builtin(),
            next_id: 0,
            id_base,
        }
    }

    /// A fleet whose devices have the given identities, as a server knows
    /// them after login: `(device, user, role, clock skew in ms, device number)`.
    pub fn with_identities(
        devices: &[(DeviceId, UserId, Role, i64, u32)],
        property: PropertyId,
        id_base: u128,
    ) -> Fleet {
        let mut fleet = Fleet::new(&[], property, id_base);
        fleet.devices = devices
            .iter()
            .map(|(id, user, role, skew_ms, number)| SimDevice {
                id: *id,
                user: *user,
                role: *role,
                skew_ms: *skew_ms,
                number: *number,
                clock: HlcClock::new(*id, None),
                seq: 0,
                reg_counter: 0,
                seen: BTreeMap::new(),
            })
            .collect();
        fleet
    }

    /// Device `dev` receives ops from elsewhere (e.g. a server pull).
    pub fn receive(&mut self, dev: usize, ops: &[Op], now: DateTime<Utc>) {
        let d = &mut self.devices[dev];
        let wall = (now + Duration::milliseconds(d.skew_ms)).timestamp_millis();
        for op in ops {
            let list = d.seen.entry(op.case_id).or_default();
            if !list.iter().any(|o| o.id == op.id) {
                d.clock.observe(op.hlc, wall);
                list.push(op.clone());
            }
        }
    }

    /// The ops device `dev` has seen, by case.
    pub fn view(&self, dev: usize) -> &BTreeMap<CaseId, Vec<Op>> {
        &self.devices[dev].seen
    }

    /// The fold context the fleet folds with.
    pub fn ctx(&self) -> FoldContext<'_> {
        FoldContext {
            settings: &self.settings,
            calendar: &self.calendar,
        }
    }

    fn fresh(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(self.id_base + 0x1_0000_0000 + self.next_id)
    }

    /// Device `dev` registers a new case at true time `now`.
    pub fn register(&mut self, dev: usize, now: DateTime<Utc>, choice: u32) -> Op {
        let case_id = CaseId(self.fresh());
        let kind = CaseKind::ALL[choice as usize % 4];
        let d = &mut self.devices[dev];
        d.reg_counter += 1;
        let at = now + Duration::milliseconds(d.skew_ms);
        // Dated like a real device: the op's local date in the company timezone.
        let date = at.with_timezone(&self.settings.tz()).date_naive();
        let reg = Registration {
            reg_no: RegNo::new(&self.property_code, date, d.number, d.reg_counter)
                .unwrap_or_else(|_| unreachable_regno()),
            kind,
            property: self.property,
            location: Location::PublicArea,
            complainant: Complainant {
                name: "测试住户".into(),
                phone: Phone::parse("13800000000").ok(),
                anonymous: false,
            },
            channel: Channel::ALL[choice as usize % Channel::ALL.len()],
            received_at: at - Duration::minutes(i64::from(choice % 90)),
            category: "other".into(),
            content: format!("模拟工单 {choice}"),
            requested_remedy: String::new(),
            related_case: None,
            source_ref: String::new(),
        };
        self.make(dev, case_id, now, Action::Register(reg), None)
    }

    /// Device `dev` takes one action on one of the cases it has seen,
    /// chosen by `choice`. Returns `None` when it has no case or no action.
    pub fn act(&mut self, dev: usize, now: DateTime<Utc>, choice: u32) -> Option<Op> {
        let d = &self.devices[dev];
        let cases: Vec<CaseId> = d.seen.keys().copied().collect();
        if cases.is_empty() {
            return None;
        }
        let case_id = cases[choice as usize % cases.len()];
        let view = fold(d.seen.get(&case_id)?, self.ctx()).ok()?;
        let actions: Vec<ActionKind> = allowed_actions(&view, d.role)
            .into_iter()
            .filter(|a| *a != ActionKind::Register)
            // Only a conflict its user may settle, as the app offers.
            .filter(|a| {
                *a != ActionKind::ResolveConflict || settles(&view, (d.user, d.role)).is_some()
            })
            // A department head's assign is judged by the server against
            // the case as it holds it (`workflow::may_assign`), which a
            // device's copy may be behind: the schedules leave it out, so
            // that every op they push is taken.
            .filter(|a| *a != ActionKind::Assign || d.role != Role::DepartmentHead)
            .collect();
        if actions.is_empty() {
            return None;
        }
        let kind = actions[(choice as usize / 7) % actions.len()];
        let action = sample_action(&view, (d.user, d.role), kind, choice);
        let expected = kind.is_transition().then_some(view.state);
        Some(self.make(dev, case_id, now, action, expected))
    }

    /// Device `dev` syncs directly: it sees every op made so far.
    pub fn sync(&mut self, dev: usize, now: DateTime<Utc>) {
        let all = self.ops.clone();
        self.receive(dev, &all, now);
    }

    fn make(
        &mut self,
        dev: usize,
        case_id: CaseId,
        now: DateTime<Utc>,
        action: Action,
        expected_state: Option<CaseState>,
    ) -> Op {
        let id = OpId(self.fresh());
        let d = &mut self.devices[dev];
        let at = now + Duration::milliseconds(d.skew_ms);
        d.seq += 1;
        let op = Op {
            id,
            case_id,
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
        d.seen.entry(case_id).or_default().push(op.clone());
        self.ops.push(op.clone());
        op
    }
}

fn unreachable_regno() -> RegNo {
    // "SIM" is a valid code and device numbers start at 1, so RegNo::new
    // cannot fail above; this keeps the simulator free of panics anyway.
    RegNo::new("SIM", chrono::NaiveDate::MIN, 1, 0).unwrap_or_else(|_| unreachable_regno())
}

/// The first open conflict of `case` that `author` (who, in which role)
/// may settle ([`crate::workflow::may_settle`]), and whether they may
/// apply it too.
fn settles(case: &Case, author: (UserId, Role)) -> Option<(OpId, bool)> {
    let (by, role) = author;
    let may = |c: &crate::case::Conflict, apply| {
        crate::workflow::may_settle(
            by,
            role,
            c.stamp.by,
            c.action,
            case.registration.kind,
            apply,
        )
    };
    // A department head's apply of an assign is judged by the server
    // against the case as it holds it (`workflow::may_assign`), which the
    // device's copy may be behind: the schedules only dismiss those.
    let applies = |c: &crate::case::Conflict| {
        may(c, true) && (c.action != ActionKind::Assign || role != Role::DepartmentHead)
    };
    case.open_conflicts()
        .find(|c| may(c, false))
        .map(|c| (c.op, applies(c)))
}

/// A plausible payload for an action of `kind` by `author` (who, in which
/// role); `choice` varies it.
pub fn sample_action(case: &Case, author: (UserId, Role), kind: ActionKind, choice: u32) -> Action {
    let (by, role) = author;
    let pick = |n: u32| choice % n;
    match kind {
        ActionKind::Register | ActionKind::Edit => Action::Edit(RegistrationPatch {
            content: Some(format!("补充说明 {choice}")),
            category: (pick(2) == 0).then(|| "noise".to_string()),
            source_ref: (pick(3) == 0).then(|| format!("GD{choice}")),
            ..Default::default()
        }),
        ActionKind::Assess => Action::Assess {
            severity: [Severity::Minor, Severity::General, Severity::Major][pick(3) as usize],
            urgent: pick(5) == 0,
            validity: if pick(4) == 0 {
                Validity::Unfounded
            } else {
                Validity::Valid
            },
            reason: "评估说明".into(),
            respondent: ["", "保安王某"][pick(2) as usize].into(),
            respondent_department: "秩序部".into(),
        },
        ActionKind::Assign => Action::Assign {
            department: ["工程部", "保洁部", "安保部"][pick(3) as usize].into(),
            user: None,
            name: format!("处理人{}", pick(10)),
            note: "转办".into(),
        },
        ActionKind::Start => Action::Start,
        ActionKind::Note => Action::Note {
            note_kind: [
                NoteKind::General,
                NoteKind::Contact,
                NoteKind::OnSite,
                NoteKind::CauseAnalysis,
            ][pick(4) as usize],
            text: format!("记录 {choice}"),
        },
        ActionKind::Propose => Action::Propose {
            measures: "处理措施".into(),
            responsible: "负责人".into(),
            planned_date: chrono::NaiveDate::from_ymd_opt(2026, 4, 1),
            compensation_fen: [0, 0, 50_000, 200_000, 500_000][pick(5) as usize],
        },
        ActionKind::Approve => Action::Approve {
            approved: pick(4) != 0,
            comment: "审批意见".into(),
            compensation_fen: Some(case.solution.as_ref().map_or(0, |s| s.compensation_fen)),
        },
        ActionKind::Resolve => Action::Resolve {
            result: "已处理".into(),
            feedback_method: ContactMethod::Phone,
            feedback_at: None,
            on_the_spot: matches!(case.state, CaseState::Registered | CaseState::Assessed),
        },
        ActionKind::Feedback => Action::Feedback {
            method: ContactMethod::Phone,
            note: "已告知处理结果".into(),
        },
        ActionKind::FollowUp => Action::FollowUp {
            method: ContactMethod::Phone,
            satisfaction: (pick(5) + 1) as u8,
            comment: "回访".into(),
            spot_check: case.state == CaseState::Closed,
            ratings: (pick(2) == 0).then(|| Ratings {
                result: (pick(5) + 1) as u8,
                attitude: (pick(5) + 1) as u8,
                timeliness: (pick(5) + 1) as u8,
            }),
        },
        ActionKind::CallbackMissed => Action::CallbackMissed {
            method: ContactMethod::Phone,
            note: "无人接听".into(),
        },
        ActionKind::Reopen => Action::Reopen {
            reason: "复查未解决".into(),
        },
        ActionKind::Escalate => Action::Escalate {
            to_role: superior(role).unwrap_or(Role::Quality),
            skip_level: false,
            reason: "需上级协调".into(),
        },
        // The author (management, who may answer first) or someone who
        // acted on the case in a role that does: users the server takes.
        // At times the first responder already, which the workflow refuses.
        ActionKind::ChangeResponder => {
            let mut candidates: Vec<UserId> = case
                .timeline
                .iter()
                .filter(|t| t.stamp.role.answers_first())
                .map(|t| t.stamp.by)
                .collect();
            candidates.push(by);
            Action::ChangeResponder {
                to: candidates[pick(candidates.len() as u32) as usize],
                reason: "原首问责任人离职".into(),
            }
        }
        ActionKind::Extend => Action::Extend {
            working_days: pick(3) + 1,
            reason: "特殊情况".into(),
        },
        ActionKind::Withdraw => Action::Withdraw {
            reason: "业主撤回".into(),
        },
        ActionKind::Void => Action::Void {
            duplicate_of: None,
            reason: "重复登记".into(),
        },
        ActionKind::Restore => Action::Restore {
            reason: "作废有误".into(),
        },
        ActionKind::Close => Action::Close {
            corrective_action: "加强巡查".into(),
            verification: "已验证".into(),
        },
        ActionKind::Decide => Action::Decide {
            accepted: pick(2) == 0,
            reason: "理由".into(),
        },
        ActionKind::PlanImprovement => Action::PlanImprovement {
            plan: "整改计划".into(),
            publish_on: case.registration.received_at.date_naive(),
        },
        ActionKind::Answer => Action::Answer {
            answer: "答复".into(),
            method: ContactMethod::Phone,
            on_the_spot: pick(2) == 0,
        },
        ActionKind::Attach => Action::Attach {
            id: AttachmentId(Uuid::from_u128(u128::from(choice) << 64 | 0xA77)),
            attachment_kind: AttachmentKind::Photo,
            name: "现场照片.jpg".into(),
            mime: "image/jpeg".into(),
            size: 1024,
            hash: Some(crate::blob::BlobHash::of(&choice.to_le_bytes())),
            caption: "漏水处".into(),
            thumbnail: None,
        },
        ActionKind::ResolveConflict => {
            let settled = settles(case, author);
            Action::ResolveConflict {
                conflict_op: settled.map_or(OpId::NIL, |(op, _)| op),
                // Applied only by whom the action's role allows.
                apply: pick(2) == 0 && settled.is_some_and(|(_, may_apply)| may_apply),
                note: "协调结果".into(),
            }
        }
    }
}

/// A complaint a simulated staff device registered on Monday 2 March
/// 2026, 09:00 in Shanghai, folded: the case the report tests start from.
#[cfg(test)]
pub(crate) fn folded_complaint() -> Case {
    let mut fleet = Fleet::new(
        &[(Role::Staff, 0)],
        crate::id::PropertyId(uuid::Uuid::from_u128(7)),
        0,
    );
    let now = "2026-03-02T01:00:00Z".parse().unwrap();
    // Choice 0 registers a complaint (`CaseKind::ALL[0]`).
    let op = fleet.register(0, now, 0);
    crate::fold::fold(&[op], fleet.ctx()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::{Folded, fold_all, fold_resumable, resume};
    use proptest::prelude::*;

    const ROLES: [(Role, i64); 5] = [
        (Role::Staff, 0),
        (Role::Staff, -3_600_000),
        (Role::Manager, 7_200_000),
        (Role::DepartmentHead, 90_000),
        (Role::RegionalManager, -86_400_000),
    ];

    fn time(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    /// Settings changed twice while the schedules run (they start on
    /// 2 March and last up to 13 days): the reopening score, the
    /// compensation limits, the solution rule and the special-case limit
    /// differ for ops and clocks on either side of each change.
    fn settings_with_history() -> Settings {
        let first = Settings::default();
        let mut second = first.clone();
        second.reopen_max = 3;
        second.compensation.regional_manager_max_fen = 10_000;
        second.deadlines.solution = crate::deadline::DeadlineRule::WorkingDays(1);
        let second = second.replacing(&first, time("2026-03-03T06:00:00Z"));
        let mut third = second.clone();
        third.reopen_max = 1;
        third.deadlines.special_case_working_days = 10;
        third.replacing(&second, time("2026-03-06T03:00:00Z"))
    }

    /// Plays a random schedule: each step is (device, what to do, choice).
    fn play(steps: &[(usize, u8, u32)]) -> Fleet {
        let mut fleet = Fleet::new(&ROLES, PropertyId(Uuid::from_u128(7)), 0);
        fleet.settings = settings_with_history();
        let mut now = time("2026-03-02T01:00:00Z");
        for (dev, what, choice) in steps {
            let dev = dev % ROLES.len();
            now += Duration::minutes(i64::from(choice % 240));
            match what % 6 {
                0 => {
                    fleet.register(dev, now, *choice);
                }
                1 => fleet.sync(dev, now),
                _ => {
                    fleet.act(dev, now, *choice);
                }
            }
        }
        fleet
    }

    fn folded_bytes(fleet: &Fleet, ops: &[Op]) -> Vec<u8> {
        let ctx = fleet.ctx();
        let cases: Vec<_> = fold_all(ops, ctx)
            .into_iter()
            .map(|(id, c)| (id, c.ok()))
            .collect();
        serde_json::to_vec(&cases).unwrap_or_default()
    }

    fn schedule() -> impl Strategy<Value = Vec<(usize, u8, u32)>> {
        proptest::collection::vec((0usize..5, any::<u8>(), any::<u32>()), 1..80)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn any_permutation_and_duplication_folds_identically(
            steps in schedule(),
            perm_seed in any::<u64>(),
            dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..20),
        ) {
            let fleet = play(&steps);
            let expected = folded_bytes(&fleet, &fleet.ops);
            let mut shuffled = fleet.ops.clone();
            // A deterministic Fisher-Yates from the seed.
            let mut s = perm_seed | 1;
            for i in (1..shuffled.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                shuffled.swap(i, (s % (i as u64 + 1)) as usize);
            }
            if !fleet.ops.is_empty() {
                for d in &dups {
                    shuffled.push(d.get(&fleet.ops).clone());
                }
            }
            prop_assert_eq!(folded_bytes(&fleet, &shuffled), expected);
        }

        #[test]
        fn ops_round_trip_through_json(steps in schedule()) {
            let fleet = play(&steps);
            for op in &fleet.ops {
                let json = serde_json::to_string(op).unwrap_or_default();
                let back: Result<Op, _> = serde_json::from_str(&json);
                prop_assert_eq!(back.as_ref().ok(), Some(op), "{}", json);
            }
        }

        #[test]
        fn no_op_is_lost_from_the_timeline(steps in schedule()) {
            let fleet = play(&steps);
            let cases = fold_all(&fleet.ops, fleet.ctx());
            let mut seen = 0;
            for case in cases.values().flatten() {
                let ids: std::collections::BTreeSet<_> = case.timeline.iter().map(|t| t.stamp.op).collect();
                prop_assert_eq!(ids.len(), case.timeline.len());
                seen += case.timeline.len();
            }
            prop_assert_eq!(seen, fleet.ops.len());
        }

        #[test]
        fn fold_never_panics_on_mangled_ops(
            steps in schedule(),
            mangles in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<u32>()), 0..30),
        ) {
            let fleet = play(&steps);
            let mut ops = fleet.ops.clone();
            if ops.is_empty() { return Ok(()); }
            for (idx, how, n) in mangles {
                let i = idx.index(ops.len());
                let op = &mut ops[i];
                match how % 6 {
                    0 => op.role = Role::ALL[n as usize % Role::ALL.len()],
                    1 => op.expected_state = Some(CaseState::ALL[n as usize % CaseState::ALL.len()]),
                    2 => op.hlc.wall_ms = i64::from(n) - i64::from(u32::MAX / 2),
                    3 => op.case_id = CaseId(Uuid::from_u128(u128::from(n % 3))),
                    4 => {
                        let view = fold(&fleet.ops, fleet.ctx());
                        if let Ok(case) = view {
                            let kind = ActionKind::ALL[n as usize % ActionKind::ALL.len()];
                            op.action = sample_action(&case, (op.author, op.role), kind, n);
                        }
                    }
                    _ => op.at = DateTime::from_timestamp(i64::from(n) * 1000, 0).unwrap_or_default(),
                }
            }
            let _ = fold_all(&ops, fleet.ctx());
        }
    }

    /// The ops of each case of `fleet`, in creation order.
    fn by_case(fleet: &Fleet) -> BTreeMap<CaseId, Vec<Op>> {
        let mut cases: BTreeMap<CaseId, Vec<Op>> = BTreeMap::new();
        for op in &fleet.ops {
            cases.entry(op.case_id).or_default().push(op.clone());
        }
        cases
    }

    /// What a store does with ops arriving in batches: resume the fold when
    /// the batch sorts after it, fold everything received again when not.
    fn fold_as_received(batches: &[Vec<Op>], ctx: FoldContext<'_>) -> Option<Folded> {
        let mut received: Vec<Op> = Vec::new();
        let mut folded: Option<Folded> = None;
        for batch in batches {
            received.extend(batch.iter().cloned());
            folded = match folded.and_then(|f| resume(f, batch, ctx)) {
                Some(f) => Some(f),
                None => fold_resumable(&received, ctx).ok(),
            };
        }
        folded
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn resuming_after_any_split_equals_the_full_fold(
            steps in schedule(),
            split in any::<prop::sample::Index>(),
        ) {
            let fleet = play(&steps);
            let ctx = fleet.ctx();
            for ops in by_case(&fleet).values() {
                let mut sorted = ops.clone();
                sorted.sort_by_key(Op::order_key);
                let (head, tail) = sorted.split_at(split.index(sorted.len() + 1));
                let full = fold_resumable(ops, ctx).ok();
                // Without its registration the head has no case to resume.
                let Ok(head) = fold_resumable(head, ctx) else { continue };
                let resumed = resume(head, tail, ctx);
                prop_assert!(resumed.is_some(), "a tail in fold order always resumes");
                prop_assert_eq!(resumed, full);
            }
        }

        #[test]
        fn resuming_or_refolding_in_any_arrival_order_equals_the_full_fold(
            steps in schedule(),
            perm_seed in any::<u64>(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
            dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let fleet = play(&steps);
            let ctx = fleet.ctx();
            for ops in by_case(&fleet).values() {
                let mut arriving = ops.clone();
                let mut s = perm_seed | 1;
                for i in (1..arriving.len()).rev() {
                    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                    // Mostly in order, as devices push, sometimes swapped.
                    if s % 4 == 0 {
                        arriving.swap(i, (s % (i as u64 + 1)) as usize);
                    }
                }
                for d in &dups {
                    arriving.push(d.get(ops).clone());
                }
                let mut at: Vec<usize> = cuts.iter().map(|c| c.index(arriving.len() + 1)).collect();
                at.push(0);
                at.push(arriving.len());
                at.sort_unstable();
                let batches: Vec<Vec<Op>> = at.windows(2).map(|w| arriving[w[0]..w[1]].to_vec()).collect();
                prop_assert_eq!(fold_as_received(&batches, ctx), fold_resumable(ops, ctx).ok());
            }
        }
    }

    #[test]
    fn schedules_exercise_conflicts_and_violations() {
        // Guards the generator itself: if it stopped producing concurrency,
        // the properties above would prove much less.
        let steps: Vec<(usize, u8, u32)> = (0..400u32)
            .map(|i| {
                (
                    (i as usize * 7) % 5,
                    (i % 6) as u8,
                    i.wrapping_mul(2_654_435_761),
                )
            })
            .collect();
        let fleet = play(&steps);
        let cases = fold_all(&fleet.ops, fleet.ctx());
        let conflicts: usize = cases.values().flatten().map(|c| c.conflicts.len()).sum();
        let states: std::collections::BTreeSet<_> =
            cases.values().flatten().map(|c| c.state).collect();
        assert!(fleet.ops.len() > 200, "{}", fleet.ops.len());
        assert!(conflicts > 0, "no conflicts generated");
        assert!(states.len() >= 4, "{states:?}");
    }
}
