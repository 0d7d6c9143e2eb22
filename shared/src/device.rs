//! The device's own bookkeeping for making ops offline: its gapless
//! sequence, its HLC, its registration-number counter and its pull cursor.
//!
//! The app persists a [`DeviceState`] in IndexedDB together with every op
//! it makes, in one transaction, so that a reload or a crash can never hand
//! out a sequence number or a registration number twice.

use crate::case::CaseState;
use crate::hlc::{Hlc, HlcClock};
use crate::id::{CaseId, DeviceId, OpId, UserId};
use crate::op::{Action, Op, SCHEMA_VERSION};
use crate::regno::{RegNo, RegNoError};
use crate::role::Role;
use crate::wire::{
    CASE_DELETED, MAX_REFUSALS_ASKED, QUARANTINE_DISCARDED, QuarantineNotice, SettledRefusal,
    Settlement,
};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Who is acting: the logged-in user and their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user.
    pub user: UserId,
    /// Their role.
    pub role: Role,
}

/// What a device remembers between sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceState {
    /// The device id (made once, kept forever).
    pub device: DeviceId,
    /// The number the server gave the device, used in registration numbers.
    pub number: u32,
    /// The sequence number of the last op made here.
    pub last_seq: u64,
    /// The highest sequence the server has acknowledged.
    pub acked_seq: u64,
    /// The counter of the last registration number made here.
    pub reg_counter: u32,
    /// The last HLC timestamp issued or observed.
    pub last_hlc: Option<Hlc>,
    /// The pull cursor.
    pub cursor: i64,
    /// How many times a pull began again from the start under this epoch
    /// (a user moved, or another user logged in): with the epoch and the
    /// cursor it names a stored page, so the pages of a pull begun again
    /// never take the names of an earlier pull's, kept meanwhile.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pull: u32,
    /// The server epoch the cursor and the acknowledgement belong to
    /// (0 before the first answer).
    #[serde(default)]
    pub epoch: u64,
    /// The greatest HLC among the ops pulled from the server, every one of
    /// which the server accepted (this device's own among them).
    #[serde(default)]
    pub accepted_hlc: Option<Hlc>,
    /// This device's ops the server put in quarantine, until it accepts
    /// them after all (an administrator re-applied one: it comes back in a
    /// pull). The tablet folds its cases without them, as the server does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<Refusal>,
    /// A restore was seen (a new epoch), and the evidence this device
    /// holds has not all been offered to the restored server again since.
    /// Stored with the epoch that raised it, so a tab closed before the
    /// offer was made makes it at the next start.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reoffer: bool,
    /// The server refused an op of this device for a clock out of range,
    /// and the timestamps issued ahead are still to be forgotten
    /// ([`DeviceState::forget_clock_ahead`], after the next whole pull).
    /// Stored with the refusal: a pull cut short, or a tab closed, before
    /// it was done must not leave every later op stamped ahead.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clock_ahead: bool,
    /// When the acknowledgement reached a sequence (the sequence, and when
    /// the tablet heard it; [`DeviceState::mark_acked`]): an op made long
    /// ago offline and acknowledged today is kept as long as one made
    /// today ([`DeviceState::keeps`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acked_marks: Vec<(u64, DateTime<Utc>)>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// An op of this device that the server did not accept, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The op.
    pub op: OpId,
    /// Its case.
    pub case_id: CaseId,
    /// The quarantine's stable reason code.
    pub code: String,
    /// The server's words for it.
    pub message: String,
}

impl Refusal {
    /// Whether an administrator is still to settle it: not one of a case
    /// deleted since, nor one discarded.
    pub fn waits(&self) -> bool {
        self.code != CASE_DELETED && self.code != QUARANTINE_DISCARDED
    }
}

impl DeviceState {
    /// A device after its first login. `acked_seq` comes from the server, so
    /// a device that lost its storage continues after what the server has.
    pub fn new(device: DeviceId, number: u32, acked_seq: u64) -> DeviceState {
        DeviceState {
            device,
            number,
            last_seq: acked_seq,
            acked_seq,
            reg_counter: 0,
            last_hlc: None,
            cursor: 0,
            pull: 0,
            epoch: 0,
            accepted_hlc: None,
            refused: Vec::new(),
            reoffer: false,
            clock_ahead: false,
            acked_marks: Vec::new(),
        }
    }

    /// Begins the pull again from the start.
    pub fn pull_again(&mut self) {
        self.cursor = 0;
        self.pull += 1;
    }

    /// The name of the stored page a pull just moved the cursor to: unique
    /// while the epoch lasts (the cursor only grows within one pull, and a
    /// pull begun again counts up [`DeviceState::pull`]) and after a
    /// restore (a new epoch). It starts with the epoch and a dash, which
    /// is how the pages of an earlier epoch are found.
    pub fn page_key(&self) -> String {
        match self.pull {
            0 => format!("{}-{:020}", self.epoch, self.cursor),
            pull => format!("{}-{:020}-{pull}", self.epoch, self.cursor),
        }
    }

    /// Makes the next op. `id` is a fresh UUIDv7 made by the caller and
    /// `now` the device's wall clock.
    pub fn make_op(
        &mut self,
        id: OpId,
        case_id: CaseId,
        actor: Actor,
        expected_state: Option<CaseState>,
        action: Action,
        now: DateTime<Utc>,
    ) -> Op {
        let mut clock = HlcClock::new(self.device, self.last_hlc);
        let hlc = clock.tick(now.timestamp_millis());
        self.last_hlc = Some(hlc);
        self.last_seq += 1;
        Op {
            id,
            case_id,
            device: self.device,
            seq: self.last_seq,
            hlc,
            at: now,
            author: actor.user,
            role: actor.role,
            schema: SCHEMA_VERSION,
            expected_state: if action.kind().is_transition() {
                expected_state
            } else {
                None
            },
            action,
        }
    }

    /// The next registration number for a case of `property_code` recorded
    /// at `now` (the date is the local date in `tz`).
    pub fn next_reg_no(
        &mut self,
        property_code: &str,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<RegNo, RegNoError> {
        let date = now.with_timezone(&tz).date_naive();
        let reg = RegNo::new(property_code, date, self.number, self.reg_counter + 1)?;
        self.reg_counter += 1;
        Ok(reg)
    }

    /// Takes in ops pulled from the server so later local ops order after them.
    pub fn observe(&mut self, ops: &[Op], now: DateTime<Utc>) {
        let mut clock = HlcClock::new(self.device, self.last_hlc);
        for op in ops {
            clock.observe(op.hlc, now.timestamp_millis());
        }
        self.last_hlc = clock.last();
        self.accepted_hlc = self.accepted_hlc.max(ops.iter().map(|o| o.hlc).max());
        // A pull brings only what the server accepted: an op of this
        // device refused before was re-applied since.
        if !self.refused.is_empty() {
            let pulled: HashSet<OpId> = ops.iter().map(|o| o.id).collect();
            self.refused.retain(|r| !pulled.contains(&r.op));
        }
    }

    /// Takes in `hlc`, the clock of the newest op pulled from another
    /// device, so that later local ops order after it: at a start, as the
    /// stored state may have been written from an older copy (a recording
    /// queued behind a pulled page's save). Not this device's own ops,
    /// whose clock a refusal for a clock ahead sets back.
    pub fn observe_clock(&mut self, hlc: Hlc, now: DateTime<Utc>) {
        let mut clock = HlcClock::new(self.device, self.last_hlc);
        clock.observe(hlc, now.timestamp_millis());
        self.last_hlc = clock.last();
        self.accepted_hlc = self.accepted_hlc.max(Some(hlc));
    }

    /// Records which of the ops `sent` in one push the server put in
    /// quarantine (its `notices` name them by sequence number). An op
    /// refused again (pushed anew after a restore) keeps its latest
    /// reason. Returns whether anything was recorded.
    pub fn take_refusals(&mut self, notices: &[QuarantineNotice], sent: &[Op]) -> bool {
        let mut changed = false;
        for notice in notices {
            // By id where the server names it: two ops may share a sequence
            // number, and only the one refused is.
            let Some(op) = sent.iter().find(|op| {
                op.device == self.device && notice.op.map_or(op.seq == notice.seq, |id| id == op.id)
            }) else {
                continue;
            };
            self.refused.retain(|r| r.op != op.id);
            self.clock_ahead |= notice.code == "clock.out_of_range";
            self.refused.push(Refusal {
                op: op.id,
                case_id: op.case_id,
                code: notice.code.clone(),
                message: notice.message.clone(),
            });
            changed = true;
        }
        changed
    }

    /// The refused ops to ask the server about
    /// (`POST /api/v1/sync/refusals`): those still waiting for an
    /// administrator, in requests of at most [`MAX_REFUSALS_ASKED`].
    pub fn waiting_refusals(&self) -> Vec<Vec<OpId>> {
        let waiting: Vec<OpId> = self
            .refused
            .iter()
            .filter(|r| r.waits())
            .map(|r| r.op)
            .collect();
        waiting
            .chunks(MAX_REFUSALS_ASKED)
            .map(<[OpId]>::to_vec)
            .collect()
    }

    /// Takes in what an administrator did with ops the server refused: one
    /// re-applied is refused no more (it counts on the tablet, as on the
    /// server); one discarded stays out of the fold, kept with its reason
    /// for the user to read, but no longer waits; one whose case was
    /// deleted is told as the deletion's are (it goes with the case, or
    /// with the days a kept op stays). Returns whether anything changed.
    pub fn take_settled(&mut self, settled: &[SettledRefusal]) -> bool {
        let mut changed = false;
        for s in settled {
            match s.outcome {
                Settlement::Accepted => {
                    let before = self.refused.len();
                    self.refused.retain(|r| r.op != s.op);
                    changed |= self.refused.len() != before;
                }
                Settlement::Discarded | Settlement::CaseDeleted => {
                    let code = if s.outcome == Settlement::Discarded {
                        QUARANTINE_DISCARDED
                    } else {
                        CASE_DELETED
                    };
                    for r in self
                        .refused
                        .iter_mut()
                        .filter(|r| r.op == s.op && r.waits())
                    {
                        r.code = code.into();
                        r.message = s.note.clone().unwrap_or_default();
                        changed = true;
                    }
                }
            }
        }
        changed
    }

    /// The ops of this device the server refused.
    pub fn refused_ops(&self) -> HashSet<OpId> {
        self.refused.iter().map(|r| r.op).collect()
    }

    /// Forgets the timestamps this device issued ahead of every op the
    /// server accepted, once the server refused its ops for a clock out of
    /// range (`clock.out_of_range`): the tablet's clock ran ahead, and
    /// without this every later op would carry that time on, and be
    /// refused too, even after the clock was set right. Call it after a
    /// pull took in the device's own accepted ops, so that no later op
    /// orders before one of them, nor before `unsent`, the clock of the
    /// newest of the device's ops not judged yet (the server refuses an op
    /// whose clock is not after its predecessor's, `clock.went_back`).
    pub fn forget_clock_ahead(&mut self, unsent: Option<Hlc>) {
        let floor = self.accepted_hlc.max(unsent);
        if self.last_hlc > floor {
            self.last_hlc = floor;
        }
        self.clock_ahead = false;
    }

    /// Records the server's acknowledgement; returns whether it moved.
    pub fn ack(&mut self, acked_seq: u64) -> bool {
        let moved = acked_seq > self.acked_seq;
        self.acked_seq = self.acked_seq.max(acked_seq.min(self.last_seq));
        moved
    }

    /// Takes in the server's answer to a push (or a login): its
    /// acknowledgement, the sequence it expects next and its epoch. Returns
    /// whether anything changed, i.e. whether sending again makes progress.
    ///
    /// A server restored from a backup (a new epoch) may hold fewer of this
    /// device's ops than it acknowledged before, and may have handed out its
    /// pull sequence again: the device then trusts the server's lower
    /// acknowledgement, so its own ops above it are the outbox again (the
    /// device keeps every op it made, those of an earlier user for
    /// [`KEPT_OWN_OPS_DAYS`], see [`DeviceState::keeps`]), and pulls from
    /// the start. Within an
    /// epoch an acknowledgement never moves back, except when the server
    /// expects a sequence the device thought acknowledged (a restore the
    /// device has not seen yet as an epoch).
    pub fn take_answer(&mut self, acked_seq: u64, expected_seq: Option<u64>, epoch: u64) -> bool {
        let mut changed = false;
        if epoch != self.epoch {
            // 0 is a device that has never heard from a server: nothing to reset.
            if self.epoch != 0 {
                self.acked_seq = acked_seq.min(self.last_seq);
                self.pull_again();
                self.reoffer = true;
            }
            self.epoch = epoch;
            changed = true;
        }
        changed |= self.ack(acked_seq);
        if let Some(expected) = expected_seq
            && expected <= self.acked_seq
        {
            // A database put back without a new epoch (a file copied over
            // the server's, a replica behind that took over): it lost ops,
            // and may number others again below this device's cursor,
            // which a pull from there would skip. So as after a restore:
            // everything again, and the evidence offered again.
            self.acked_seq = expected.saturating_sub(1);
            self.pull_again();
            self.reoffer = true;
            changed = true;
        }
        changed
    }

    /// Takes a login's answer: what the server acknowledges of this
    /// device and its epoch, for the user who held the tablet before
    /// (`same_user`) or another.
    ///
    /// The same user's ops that the server holds but this tablet was never
    /// told of (the answer to their push was lost) are sent again rather
    /// than taken as acknowledged: the answer to that push names those the
    /// server set aside, and a login's does not, so the tablet would show
    /// them as done. Another user's are acknowledged: their refusals went
    /// with their cases, and the administrator has them. After a restore
    /// (another epoch), what the server lost waits again either way.
    pub fn take_login(&mut self, acked_seq: u64, epoch: u64, same_user: bool) -> bool {
        let acked = if same_user && epoch == self.epoch {
            self.acked_seq
        } else {
            acked_seq
        };
        self.take_answer(acked, None, epoch)
    }

    /// Takes up again after a restart, given the highest sequence number
    /// of the ops made here that are stored (`last_stored`). A number
    /// handed out for an op whose save then failed can be stored in the
    /// state anyway (another save, of a sync or a second op, wrote the
    /// state meanwhile): the server, which takes a device's ops without
    /// gaps, would then wait for that op forever, and no later op would
    /// reach it. The number is handed out again instead. Never below what
    /// the server acknowledged, which it holds. And never below an op that
    /// is stored: a state written late by another tab (one that slept
    /// through the lock's hand-over, say) may be older than the ops saved
    /// since, and handing their numbers out again would make clones.
    pub fn resume(&mut self, last_stored: Option<u64>) {
        self.last_seq = last_stored.unwrap_or(0).max(self.acked_seq);
    }

    /// Takes up the registration counter again after a restart, given
    /// the registration numbers of the ops stored here (those this build
    /// cannot read too): never below one of them. A
    /// state written late by another tab (see [`DeviceState::resume`])
    /// may count fewer registrations than were made since, and the next
    /// case would carry a number a resident already holds on a receipt
    /// (which the server then refuses as taken).
    pub fn resume_numbers<'a>(&mut self, stored: impl IntoIterator<Item = &'a RegNo>) {
        let highest = stored
            .into_iter()
            .filter(|r| r.device() == self.number)
            .map(RegNo::counter)
            .max();
        self.reg_counter = self.reg_counter.max(highest.unwrap_or(0));
    }

    /// How many ops wait in the outbox.
    pub fn pending(&self) -> u64 {
        self.last_seq - self.acked_seq
    }

    /// Whether this device keeps `op` aside when another user's login
    /// clears the cases at `now`: its own ops of the last
    /// [`KEPT_OWN_OPS_DAYS`], and those not acknowledged yet whatever
    /// their time (a clock set wrong). Acknowledged, they are on the server; but a
    /// server restored from a backup older than them asks for them again,
    /// and without them its wait for the missing numbers would stop every
    /// later op of the device for good. Kept aside, they are never folded,
    /// only sent again; those the server set aside are kept as long as
    /// they are, whatever their age, and shown in the settings with why
    /// (what was typed in them exists on the tablet in full, and the user
    /// may have to type it again; one discarded since as well, which the
    /// refusal keeps out of the fold): not those of a case deleted, which
    /// go with it.
    pub fn keeps(&self, op: &Op, now: DateTime<Utc>) -> bool {
        let window = Duration::days(KEPT_OWN_OPS_DAYS);
        // The days count from the acknowledgement too: an op made a month
        // ago offline (or by a clock set behind) and sent today is what a
        // restore from last night's backup asks for.
        let acked_lately = self
            .acked_marks
            .iter()
            .find(|(seq, _)| *seq >= op.seq)
            .is_some_and(|(_, at)| now - *at <= window);
        let set_aside = self
            .refused
            .iter()
            .any(|r| r.op == op.id && r.code != CASE_DELETED);
        op.device == self.device
            && (op.seq > self.acked_seq || now - op.at <= window || acked_lately || set_aside)
    }

    /// Notes when the acknowledgement came that the last answer brought
    /// (after [`DeviceState::take_answer`] or a login's): one mark an hour
    /// at most (a later answer within the hour moves the last mark on,
    /// which keeps its ops an hour longer at most), and of the marks older
    /// than [`KEPT_OWN_OPS_DAYS`] only the newest, which says that the ops
    /// up to it were acknowledged long ago.
    pub fn mark_acked(&mut self, now: DateTime<Utc>) {
        let acked = self.acked_seq;
        match self.acked_marks.last_mut() {
            Some((seq, _)) if *seq >= acked => return,
            Some((seq, at)) if now - *at < Duration::hours(1) => {
                *seq = acked;
                *at = now;
            }
            _ if acked == 0 => return,
            _ => self.acked_marks.push((acked, now)),
        }
        let window = Duration::days(KEPT_OWN_OPS_DAYS);
        let old = self
            .acked_marks
            .iter()
            .take_while(|(_, at)| now - *at > window)
            .count();
        if old > 1 {
            self.acked_marks.drain(..old - 1);
        }
    }
}

/// What is still to reach the server from a tablet: `pending` ops and the
/// evidence still to upload, one entry of `uploads` each (the sequence
/// number of the op it belongs to). Another user's login waits for it.
pub fn unsent(pending: u64, uploads: &[u64]) -> u64 {
    pending + uploads.len() as u64
}

/// What of [`unsent`] `user`'s login must wait for, `outbox` being the
/// device's unacknowledged ops in sequence order: the ops before `user`'s
/// first op in it, and the evidence of the ops before that. The server
/// takes an op only from its author, and a device's ops only in order:
/// the ops before `user`'s first are others' to send first, and `user`'s
/// login sends its own (kept aside at an earlier switch, and asked for
/// again by a server restored from a backup); the others' after them, and
/// their evidence, are kept aside in turn, for their author's next login.
/// Without an op of `user`'s, all of it.
pub fn unsent_before(pending: u64, outbox: &[Op], uploads: &[u64], user: UserId) -> u64 {
    let before = outbox.iter().take_while(|op| op.author != user).count();
    let Some(first) = outbox.get(before).map(|op| op.seq) else {
        return unsent(pending, uploads);
    };
    let files_before = uploads.iter().filter(|&&seq| seq < first).count() as u64;
    pending.saturating_sub((outbox.len() - before) as u64) + files_before
}

/// How long a device keeps its own ops aside after another user's login
/// ([`DeviceState::keeps`]): a restore from a backup older than that
/// cannot be made whole from the tablets.
pub const KEPT_OWN_OPS_DAYS: i64 = 30;

/// How long to wait before sync attempt `attempt` (0 = first retry) after
/// failures: 2 s doubling up to 5 minutes, so a tablet out of range does not
/// drain its battery and a server coming back is found soon.
pub fn backoff(attempt: u32) -> Duration {
    let secs = 2i64.saturating_pow(attempt.min(20) + 1);
    Duration::seconds(secs.min(300))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn ops_are_gapless_and_ordered_even_when_the_clock_goes_back() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 3);
        let staff = Actor {
            user: UserId::NIL,
            role: Role::Staff,
        };
        let t = DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let a = d.make_op(
            OpId(Uuid::from_u128(10)),
            CaseId(Uuid::from_u128(2)),
            staff,
            None,
            Action::Start,
            t,
        );
        let b = d.make_op(
            OpId(Uuid::from_u128(11)),
            CaseId(Uuid::from_u128(2)),
            staff,
            None,
            Action::Start,
            t - Duration::hours(1),
        );
        assert_eq!((a.seq, b.seq), (4, 5));
        assert!(b.hlc > a.hlc);
        assert_eq!(d.pending(), 2);
        assert!(d.ack(4));
        assert_eq!(d.pending(), 1);
        assert!(!d.ack(2), "an old ack never moves back");
        assert!(d.ack(99));
        assert_eq!(d.acked_seq, 5, "never past what was made");
    }

    /// A state stored from an older copy than the pulls it missed: the
    /// newest pulled op's clock, taken in at a start, orders the next op
    /// after it.
    #[test]
    fn the_next_op_orders_after_the_newest_pulled_clock() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 0);
        let t = DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ahead = Hlc {
            wall_ms: (t + Duration::hours(1)).timestamp_millis(),
            counter: 3,
            device: DeviceId(Uuid::from_u128(9)),
        };
        d.observe_clock(ahead, t);
        let staff = Actor {
            user: UserId::NIL,
            role: Role::Staff,
        };
        let op = d.make_op(
            OpId(Uuid::from_u128(10)),
            CaseId(Uuid::from_u128(2)),
            staff,
            None,
            Action::Start,
            t,
        );
        assert!(op.hlc > ahead, "{:?} after {ahead:?}", op.hlc);
    }

    /// Two tabs that both handed out one sequence number sent both ops:
    /// the server names the one it refused, and only that one is marked.
    #[test]
    fn a_refusal_marks_the_op_it_names_of_two_with_one_sequence_number() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 4);
        let staff = Actor {
            user: UserId::NIL,
            role: Role::Staff,
        };
        let t = DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut twin = |id| {
            d.make_op(
                OpId(Uuid::from_u128(id)),
                CaseId(Uuid::from_u128(2)),
                staff,
                None,
                Action::Start,
                t,
            )
        };
        let a = twin(10);
        let mut b = twin(11);
        b.seq = a.seq;
        let notice = crate::wire::QuarantineNotice {
            seq: b.seq,
            op: Some(b.id),
            code: "sync.clone".into(),
            message: String::new(),
        };
        assert!(d.take_refusals(&[notice], &[a.clone(), b.clone()]));
        assert_eq!(d.refused_ops(), HashSet::from([b.id]));
    }

    #[test]
    fn a_clock_that_ran_ahead_is_forgotten_once_the_server_refused_it() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 0);
        let staff = Actor {
            user: UserId::NIL,
            role: Role::Staff,
        };
        let t = DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let op = |d: &mut DeviceState, n: u128, at: DateTime<Utc>| {
            d.make_op(
                OpId(Uuid::from_u128(n)),
                CaseId(Uuid::from_u128(2)),
                staff,
                None,
                Action::Start,
                at,
            )
        };
        // Accepted, and pulled back; then one made a month ahead, which
        // the server refused.
        let accepted = op(&mut d, 10, t);
        d.observe(std::slice::from_ref(&accepted), t);
        let ahead = op(&mut d, 11, t + Duration::days(30));
        // The clock is set right: the next op still carries the month on.
        let carried = op(&mut d, 12, t + Duration::minutes(5));
        assert!(carried.hlc > ahead.hlc);
        assert_eq!(carried.hlc.wall_ms, ahead.hlc.wall_ms);

        // The refusal marks it, in what is stored: a pull cut short after
        // it leaves the forgetting to the next sync, or the next start.
        let refusal = crate::wire::QuarantineNotice {
            seq: ahead.seq,
            op: None,
            code: "clock.out_of_range".into(),
            message: String::new(),
        };
        assert!(d.take_refusals(&[refusal], std::slice::from_ref(&ahead)));
        let stored: DeviceState =
            serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert!(stored.clock_ahead);
        // Not below an op still to send, which the server may take.
        let mut kept = d.clone();
        kept.forget_clock_ahead(Some(ahead.hlc));
        assert_eq!(kept.last_hlc, Some(ahead.hlc));
        d.forget_clock_ahead(None);
        assert!(!d.clock_ahead, "forgotten once");
        let next = op(&mut d, 13, t + Duration::minutes(6));
        assert_eq!(next.hlc.wall(), t + Duration::minutes(6));
        assert!(next.hlc > accepted.hlc, "still after every accepted op");
        // Nothing ahead: nothing forgotten.
        let before = d.last_hlc;
        d.observe(std::slice::from_ref(&next), t + Duration::minutes(6));
        d.forget_clock_ahead(None);
        assert_eq!(d.last_hlc, before);
    }

    #[test]
    fn a_login_acknowledges_no_op_of_the_same_user_that_a_push_should() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 1, 0);
        d.take_answer(0, None, 7);
        d.last_seq = 5;
        d.acked_seq = 3;
        // The push of 4 and 5 reached the server; its answer did not.
        let mut same = d.clone();
        assert!(!same.take_login(5, 7, true));
        assert_eq!((same.acked_seq, same.pending()), (3, 2));
        let mut other = d.clone();
        assert!(other.take_login(5, 7, false));
        assert_eq!((other.acked_seq, other.pending()), (5, 0));
        // A restored server knows only up to 2: 3 to 5 wait again.
        let mut restored = d.clone();
        assert!(restored.take_login(2, 8, true));
        assert_eq!(
            (restored.acked_seq, restored.pending(), restored.epoch),
            (2, 3, 8)
        );
    }

    #[test]
    fn a_refused_op_is_remembered_until_a_pull_brings_it_back() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 0);
        let staff = Actor {
            user: UserId::NIL,
            role: Role::Staff,
        };
        let t = DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let sent: Vec<Op> = (10..13)
            .map(|n| {
                d.make_op(
                    OpId(Uuid::from_u128(n)),
                    CaseId(Uuid::from_u128(2)),
                    staff,
                    None,
                    Action::Start,
                    t,
                )
            })
            .collect();
        let notice = |seq: u64, code: &str| QuarantineNotice {
            seq,
            op: None,
            code: code.into(),
            message: format!("{code} message"),
        };
        // A notice for a number not in the batch names nothing.
        assert!(!d.take_refusals(&[notice(9, "x.other")], &sent));
        assert!(d.take_refusals(&[notice(2, "attachment.too_large")], &sent));
        assert_eq!(d.refused_ops(), HashSet::from([sent[1].id]));
        assert_eq!(d.refused[0].case_id, CaseId(Uuid::from_u128(2)));
        // Refused again (pushed anew after a restore): one entry, the new reason.
        assert!(d.take_refusals(&[notice(2, "clock.out_of_range")], &sent));
        assert_eq!(d.refused.len(), 1);
        assert_eq!(d.refused[0].code, "clock.out_of_range");
        // It survives a save, and older states without it still read.
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<DeviceState>(&json).unwrap(), d);
        let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
        old.as_object_mut().unwrap().remove("refused");
        let old: DeviceState = serde_json::from_value(old).unwrap();
        assert!(old.refused.is_empty());
        // Pulling other ops keeps it; pulling the op itself (re-applied)
        // forgets it.
        d.observe(&sent[..1], t);
        assert_eq!(d.refused.len(), 1);
        d.observe(&sent[1..2], t);
        assert!(d.refused.is_empty());
    }

    #[test]
    fn what_an_administrator_settled_ends_the_wait_and_a_discard_stays_out() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 0);
        let refusal = |n: u128, code: &str| Refusal {
            op: OpId(Uuid::from_u128(n)),
            case_id: CaseId(Uuid::from_u128(9)),
            code: code.into(),
            message: "m".into(),
        };
        d.refused = vec![
            refusal(1, "sync.out_of_scope"),
            refusal(2, "sync.role_mismatch"),
            refusal(3, CASE_DELETED),
            refusal(4, "sync.out_of_scope"),
        ];
        let id = |n: u128| OpId(Uuid::from_u128(n));
        assert_eq!(d.waiting_refusals(), vec![vec![id(1), id(2), id(4)]]);
        let settled = |n: u128, outcome: Settlement| SettledRefusal {
            op: id(n),
            outcome,
            note: (outcome == Settlement::Discarded).then(|| "typed twice".into()),
        };
        assert!(d.take_settled(&[
            settled(1, Settlement::Accepted),
            settled(2, Settlement::Discarded),
        ]));
        // The re-applied op counts now; the discarded one stays out of the
        // fold with the administrator's reason, and is not asked about.
        assert_eq!(d.refused_ops(), HashSet::from([id(2), id(3), id(4)]));
        assert_eq!(d.refused[0].code, QUARANTINE_DISCARDED);
        assert_eq!(d.refused[0].message, "typed twice");
        assert_eq!(d.waiting_refusals(), vec![vec![id(4)]]);
        // Its case deleted since: told as the deletion's are.
        assert!(d.take_settled(&[settled(4, Settlement::CaseDeleted)]));
        assert_eq!(d.refused[2].code, CASE_DELETED);
        assert!(d.waiting_refusals().is_empty());
        // Told again (an answer that came twice): nothing changes.
        assert!(!d.take_settled(&[settled(2, Settlement::Discarded)]));
        assert!(!d.take_settled(&[settled(1, Settlement::Accepted)]));
        // A deleted case's op is not made a discarded one.
        assert!(!d.take_settled(&[settled(3, Settlement::Discarded)]));
        assert_eq!(d.refused[1].code, CASE_DELETED);
        // Many wait: asked about in requests the server takes.
        d.refused = (0..MAX_REFUSALS_ASKED as u128 + 1)
            .map(|n| refusal(100 + n, "clock.out_of_range"))
            .collect();
        let asked = d.waiting_refusals();
        assert_eq!(
            asked.iter().map(Vec::len).collect::<Vec<_>>(),
            [MAX_REFUSALS_ASKED, 1]
        );
    }

    #[test]
    fn a_login_of_another_user_keeps_the_devices_own_recent_ops_aside() {
        // Acknowledged up to 100.
        let d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 100);
        let now = DateTime::parse_from_rfc3339("2026-03-31T00:00:00Z")
            .expect("a time")
            .to_utc();
        let mut fleet = crate::sim::Fleet::new(
            &[(Role::Staff, 0)],
            crate::id::PropertyId(Uuid::from_u128(7)),
            0,
        );
        let mut op = fleet.register(0, now, 0);
        op.device = d.device;
        op.at = now - Duration::days(KEPT_OWN_OPS_DAYS);
        assert!(d.keeps(&op, now));
        op.at -= Duration::seconds(1);
        assert!(!d.keeps(&op, now), "older than the days kept");
        let mut unacknowledged = d.clone();
        unacknowledged.acked_seq = op.seq - 1;
        assert!(unacknowledged.keeps(&op, now), "not on the server yet");
        let mut set_aside = d.clone();
        let refusal = |code: &str| Refusal {
            op: op.id,
            case_id: op.case_id,
            code: code.into(),
            message: String::new(),
        };
        set_aside.refused.push(refusal("sync.role_mismatch"));
        assert!(set_aside.keeps(&op, now), "in the server's quarantine");
        set_aside.refused = vec![refusal(QUARANTINE_DISCARDED)];
        assert!(
            set_aside.keeps(&op, now),
            "discarded: still out of the fold"
        );
        set_aside.refused = vec![refusal(CASE_DELETED)];
        assert!(!set_aside.keeps(&op, now), "of a case deleted");
        op.at = now;
        op.device = DeviceId(Uuid::from_u128(2));
        assert!(!d.keeps(&op, now), "another device's");
    }

    #[test]
    fn a_login_waits_only_for_what_comes_before_its_users_first_op() {
        let d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 0);
        let (me, colleague) = (UserId(Uuid::from_u128(5)), UserId(Uuid::from_u128(6)));
        let now = DateTime::parse_from_rfc3339("2026-03-31T00:00:00Z")
            .expect("a time")
            .to_utc();
        let op = |seq: u64, author: UserId| {
            let mut op = crate::sim::Fleet::new(&[(Role::Staff, 0)], crate::id::PropertyId::NIL, 0)
                .register(0, now, 0);
            (op.device, op.seq, op.author) = (d.device, seq, author);
            op
        };
        // A colleague's ops 1 and 2, then mine (3), then the colleague's
        // again (4); a photo waits for ops 2, 3 and 4 each.
        let outbox = [
            op(1, colleague),
            op(2, colleague),
            op(3, me),
            op(4, colleague),
        ];
        let uploads = [2, 3, 4];
        assert_eq!(unsent(4, &uploads), 7);
        assert_eq!(
            unsent_before(4, &outbox, &uploads, me),
            3,
            "ops 1, 2, and 2's photo"
        );
        assert_eq!(unsent_before(4, &outbox, &uploads, colleague), 0);
        // Nothing of mine: everything waits.
        let third = UserId(Uuid::from_u128(7));
        assert_eq!(unsent_before(4, &outbox, &uploads, third), 7);
        // An older device id's ops, not in this outbox, still wait.
        assert_eq!(unsent_before(6, &outbox, &[], colleague), 2);
    }

    #[test]
    fn a_number_handed_out_for_an_op_never_stored_is_handed_out_again() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 0);
        d.last_seq = 12;
        d.acked_seq = 9;
        // Op 12's save failed after the state was written with it.
        d.resume(Some(11));
        assert_eq!((d.last_seq, d.pending()), (11, 2));
        // Nothing missing: nothing changes.
        d.resume(Some(11));
        assert_eq!(d.last_seq, 11);
        // Never below what the server holds, even with no op stored here
        // (a device whose storage was cleared and which logged in again).
        d.resume(None);
        assert_eq!(d.last_seq, 9);
        // Ops stored past an older state's number keep theirs.
        d.resume(Some(14));
        assert_eq!((d.last_seq, d.pending()), (14, 5));
    }

    #[test]
    fn a_registration_number_stored_is_never_handed_out_again() {
        let t = DateTime::parse_from_rfc3339("2026-03-02T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut fleet = crate::sim::Fleet::new(
            &[(Role::Staff, 0)],
            crate::id::PropertyId(Uuid::from_u128(7)),
            0,
        );
        let made: Vec<Op> = (0..3).map(|i| fleet.register(0, t, i)).collect();
        let number = match &made[0].action {
            Action::Register(r) => r.reg_no.device(),
            _ => unreachable!("a registration"),
        };
        // This device's state as another tab wrote it before the three.
        let mut d = DeviceState::new(made[0].device, number, 0);
        let numbers: Vec<&RegNo> = made
            .iter()
            .filter_map(|op| match &op.action {
                Action::Register(r) => Some(&r.reg_no),
                _ => None,
            })
            .collect();
        d.resume_numbers(numbers.iter().copied());
        let next = d.next_reg_no("HY", chrono_tz::Asia::Shanghai, t).unwrap();
        assert_eq!(next.counter(), 4, "{next}");
        // Another device's numbers are not this one's.
        let mut other = DeviceState::new(DeviceId(Uuid::from_u128(2)), number + 1, 0);
        other.resume_numbers(numbers.iter().copied());
        assert_eq!(other.reg_counter, 0);
    }

    #[test]
    fn registration_numbers_use_the_local_date_and_count_up() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 36, 0);
        // 16:30 UTC is already the next day in Shanghai.
        let t = DateTime::parse_from_rfc3339("2026-03-01T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let r1 = d.next_reg_no("hy", chrono_tz::Asia::Shanghai, t).unwrap();
        let r2 = d.next_reg_no("hy", chrono_tz::Asia::Shanghai, t).unwrap();
        assert_eq!(r1.to_string(), "HY-260302-10-0001");
        assert_eq!(r2.to_string(), "HY-260302-10-0002");
    }

    #[test]
    fn a_pull_begun_again_never_names_a_page_as_an_earlier_pull_did() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 0);
        assert!(d.take_answer(0, None, 3));
        d.cursor = 2000;
        let first = d.page_key();
        assert_eq!(first, "3-00000000000000002000", "as stored before");
        d.pull_again();
        assert_eq!(d.cursor, 0);
        d.cursor = 2000;
        assert_ne!(d.page_key(), first, "the earlier pull's page is kept");
        assert!(d.page_key().starts_with("3-"), "found by its epoch");
        let again = d.page_key();
        d.pull_again();
        d.cursor = 2000;
        assert_ne!(d.page_key(), again);
        // A state stored before the pull count existed reads as pull 0.
        let mut json = serde_json::to_value(&d).unwrap();
        json.as_object_mut().unwrap().remove("pull");
        let old: DeviceState = serde_json::from_value(json).unwrap();
        assert_eq!(old.page_key(), first);
    }

    #[test]
    fn a_restored_server_gets_the_ops_it_lost_again() {
        let mut d = DeviceState::new(DeviceId(Uuid::from_u128(1)), 7, 0);
        d.last_seq = 10;
        assert!(d.take_answer(10, None, 1));
        assert!(!d.reoffer, "a first answer is no restore");
        d.cursor = 500;
        assert!(
            !d.take_answer(10, None, 1),
            "the same answer changes nothing"
        );
        assert!(!d.take_answer(4, None, 1), "an old ack never moves back");
        assert_eq!((d.acked_seq, d.cursor), (10, 500));
        // The server was restored to a backup holding up to seq 6.
        assert!(d.take_answer(6, Some(7), 2));
        assert_eq!((d.acked_seq, d.cursor, d.epoch), (6, 0, 2));
        assert_eq!(d.pending(), 4);
        assert!(d.reoffer, "its evidence is offered again");
        // Within an epoch, an expected sequence at or below the ack lowers
        // it: a database put back without a new epoch, which may number
        // ops again below the cursor, so the pull starts over too.
        d.acked_seq = 10;
        d.cursor = 800;
        d.reoffer = false;
        assert!(d.take_answer(3, Some(4), 2));
        assert_eq!((d.acked_seq, d.cursor), (3, 0));
        assert!(d.reoffer);
    }

    /// An op made long ago offline, acknowledged today, is kept as long
    /// as one made today: a restore from last night's backup asks for it.
    #[test]
    fn an_op_is_kept_for_the_days_after_its_acknowledgement() {
        let device = DeviceId(Uuid::from_u128(1));
        let mut d = DeviceState::new(device, 7, 0);
        let t = |days: i64| {
            DateTime::parse_from_rfc3339("2026-03-01T08:00:00Z")
                .expect("a time")
                .to_utc()
                + Duration::days(days)
        };
        let mut fleet = crate::sim::Fleet::new(
            &[(Role::Staff, 0)],
            crate::id::PropertyId(Uuid::from_u128(7)),
            0,
        );
        let mut op = |seq: u64, at: DateTime<Utc>| {
            let mut op = fleet.register(0, at, 0);
            op.device = device;
            op.seq = seq;
            op.at = at;
            op
        };
        d.last_seq = 3;
        // Ops 1 and 2 made in January, offline; 1 acknowledged on day 0,
        // 2 and 3 on day 10.
        let (first, second) = (op(1, t(-40)), op(2, t(-40)));
        assert!(d.take_answer(1, None, 1));
        d.mark_acked(t(0));
        assert!(d.take_answer(3, None, 1));
        d.mark_acked(t(10));
        assert!(d.keeps(&first, t(25)), "acknowledged 25 days ago");
        assert!(!d.keeps(&first, t(31)), "acknowledged 31 days ago");
        assert!(d.keeps(&second, t(31)), "acknowledged 21 days ago");
        assert!(!d.keeps(&second, t(41)));
        // The same answer again adds nothing; marks within the hour merge.
        d.mark_acked(t(11));
        assert_eq!(d.acked_marks.len(), 2);
        // Old marks go, but the newest of them, which says its ops were
        // acknowledged long ago.
        d.last_seq = 5;
        assert!(d.take_answer(5, None, 1));
        d.mark_acked(t(80));
        assert_eq!(d.acked_marks.len(), 2, "{:?}", d.acked_marks);
        assert!(!d.keeps(&first, t(80)) && !d.keeps(&second, t(80)));
        assert!(d.keeps(&op(5, t(-40)), t(80)));
        // A state stored before the marks reads as none.
        let mut json = serde_json::to_value(&d).unwrap();
        json.as_object_mut().unwrap().remove("acked_marks");
        let old: DeviceState = serde_json::from_value(json).unwrap();
        assert!(old.acked_marks.is_empty());
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0), Duration::seconds(2));
        assert_eq!(backoff(1), Duration::seconds(4));
        assert_eq!(backoff(7), Duration::seconds(256));
        assert_eq!(backoff(8), Duration::seconds(300));
        assert_eq!(backoff(1000), Duration::seconds(300));
    }
}
