//! Hybrid logical clock (HLC).
//!
//! A timestamp is (wall milliseconds, counter, device). The wall part follows
//! the device's clock when that clock moves forward and otherwise holds, with
//! the counter breaking ties, so ops made on one device always order after
//! the ops it had seen, even when a tablet's clock is wrong. The device id
//! makes timestamps from different devices totally ordered.
//!
//! The clock never reads the time itself: callers pass the wall time in.

use crate::id::DeviceId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One HLC timestamp. Orders by wall, then counter, then device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hlc {
    /// Milliseconds since the Unix epoch, as far as the clock knows.
    pub wall_ms: i64,
    /// Tie-breaker for events within the same millisecond.
    pub counter: u32,
    /// The device that made the timestamp.
    pub device: DeviceId,
}

impl Hlc {
    /// The wall part as a UTC time (for display and deadlines).
    pub fn wall(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.wall_ms).unwrap_or_default()
    }
}

/// A device's clock state. Persist `last` between sessions so that a
/// restarted app never issues a timestamp below one it issued before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HlcClock {
    device: DeviceId,
    last: Option<Hlc>,
}

impl HlcClock {
    /// A clock for `device` that continues after `last` (if any).
    pub fn new(device: DeviceId, last: Option<Hlc>) -> HlcClock {
        HlcClock { device, last }
    }

    /// The last timestamp issued or observed.
    pub fn last(&self) -> Option<Hlc> {
        self.last
    }

    /// Issues a timestamp for a local event at wall time `now_ms`.
    pub fn tick(&mut self, now_ms: i64) -> Hlc {
        let next = match self.last {
            Some(l) if l.wall_ms >= now_ms => Hlc {
                wall_ms: l.wall_ms,
                counter: l.counter.saturating_add(1),
                device: self.device,
            },
            _ => Hlc {
                wall_ms: now_ms,
                counter: 0,
                device: self.device,
            },
        };
        self.last = Some(next);
        next
    }

    /// Takes in a timestamp seen from another device (e.g. in a pulled op),
    /// so that later local events order after it.
    pub fn observe(&mut self, remote: Hlc, now_ms: i64) {
        let wall = now_ms
            .max(remote.wall_ms)
            .max(self.last.map_or(i64::MIN, |l| l.wall_ms));
        let counter = [self.last, Some(remote)]
            .into_iter()
            .flatten()
            .filter(|h| h.wall_ms == wall)
            .map(|h| h.counter)
            .max();
        self.last = Some(Hlc {
            wall_ms: wall,
            counter: counter.unwrap_or(0),
            device: self.device,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn dev(n: u128) -> DeviceId {
        DeviceId(Uuid::from_u128(n))
    }

    #[test]
    fn follows_wall_clock_forward_and_holds_when_it_goes_back() {
        let mut c = HlcClock::new(dev(1), None);
        let a = c.tick(1000);
        let b = c.tick(2000);
        let back = c.tick(1500);
        assert_eq!((a.wall_ms, a.counter), (1000, 0));
        assert_eq!((b.wall_ms, b.counter), (2000, 0));
        assert_eq!((back.wall_ms, back.counter), (2000, 1));
        assert!(a < b && b < back);
    }

    #[test]
    fn observing_a_future_remote_moves_the_clock_past_it() {
        let mut slow = HlcClock::new(dev(1), None);
        slow.tick(1000);
        let remote = Hlc {
            wall_ms: 50_000,
            counter: 7,
            device: dev(2),
        };
        slow.observe(remote, 1001);
        let next = slow.tick(1002);
        assert!(next > remote);
        assert_eq!((next.wall_ms, next.counter), (50_000, 8));
    }

    proptest! {
        #[test]
        fn ticks_strictly_increase(walls in proptest::collection::vec(-1000i64..1000, 1..50)) {
            let mut c = HlcClock::new(dev(3), None);
            let mut prev: Option<Hlc> = None;
            for w in walls {
                let t = c.tick(w);
                if let Some(p) = prev { prop_assert!(t > p); }
                prev = Some(t);
            }
        }
    }
}
