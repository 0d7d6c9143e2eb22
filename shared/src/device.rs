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
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

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
    }

    /// Records the server's acknowledgement; returns whether it moved.
    pub fn ack(&mut self, acked_seq: u64) -> bool {
        let moved = acked_seq > self.acked_seq;
        self.acked_seq = self.acked_seq.max(acked_seq.min(self.last_seq));
        moved
    }

    /// How many ops wait in the outbox.
    pub fn pending(&self) -> u64 {
        self.last_seq - self.acked_seq
    }
}

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
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0), Duration::seconds(2));
        assert_eq!(backoff(1), Duration::seconds(4));
        assert_eq!(backoff(7), Duration::seconds(256));
        assert_eq!(backoff(8), Duration::seconds(300));
        assert_eq!(backoff(1000), Duration::seconds(300));
    }
}
