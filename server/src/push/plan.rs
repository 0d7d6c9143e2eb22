//! Where each op of a pushed batch stands before anyone judges it: a
//! repeat of what the server holds, a clone, beyond a gap, or the next one
//! to judge. Pure: the store reads the facts (the device's acknowledged
//! sequence and the content it holds under the re-sent numbers), [`plan`]
//! decides, and the store carries the plan out in the same transaction.
//!
//! A device numbers its ops 1, 2, 3, … and the server acknowledges the
//! longest contiguous run it has settled (stored or quarantined). So an op
//! at or below the acknowledgement was seen before: the same content again
//! is a harmless resend, other content means two devices share an identity
//! (a cloned tablet) or the device lost its state. An op above the next
//! expected number cannot be settled yet, or the acknowledgement would
//! skip the missing one; the device sends again from the number it is told.

use std::collections::BTreeMap;

/// One op of the batch as the plan sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incoming<'a> {
    /// The device's sequence number.
    pub seq: u64,
    /// The content hash ([`super::hash`] of the op's JSON).
    pub hash: &'a str,
}

/// What to do with one op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Its number is acknowledged and holds this very content: nothing to write.
    Repeat,
    /// Its number is acknowledged with other content, or with none the
    /// server kept: quarantine it as a clone (`sync.clone`).
    Clone,
    /// A number before it is missing: leave it; the device sends it again.
    Gap,
    /// The next expected number: judge it, then store or quarantine it.
    Judge,
}

/// The plan of one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// One step per op, in the batch's order.
    pub steps: Vec<Step>,
    /// The device's acknowledged sequence once the batch is settled.
    pub acked: u64,
    /// The number the device must send next, when a gap stopped the batch.
    pub expected_seq: Option<u64>,
}

/// Plans a batch in ascending sequence order. `acked` is the device's
/// acknowledged sequence before the batch; `stored` maps each acknowledged
/// number the batch repeats to the hash of the op the server holds under
/// it (stored, or quarantined other than as a clone, since a clone is not
/// the device's own op). A number missing from `stored` holds nothing.
pub fn plan(batch: &[Incoming<'_>], acked: u64, stored: &BTreeMap<u64, String>) -> Plan {
    debug_assert!(
        batch.is_sorted_by_key(|op| op.seq),
        "the store sorts a batch by sequence before planning it"
    );
    let mut acked = acked;
    let mut expected_seq = None;
    // The ops this batch settles count as held from then on, so a second
    // copy of one in the same batch is a repeat or a clone of it.
    let mut settled: BTreeMap<u64, &str> = BTreeMap::new();
    let steps = batch
        .iter()
        .map(|op| {
            if expected_seq.is_some() {
                return Step::Gap;
            }
            if op.seq <= acked {
                let held = settled
                    .get(&op.seq)
                    .copied()
                    .or_else(|| stored.get(&op.seq).map(String::as_str));
                return if held == Some(op.hash) {
                    Step::Repeat
                } else {
                    Step::Clone
                };
            }
            if op.seq > acked + 1 {
                expected_seq = Some(acked + 1);
                return Step::Gap;
            }
            acked = op.seq;
            settled.insert(op.seq, op.hash);
            Step::Judge
        })
        .collect();
    Plan {
        steps,
        acked,
        expected_seq,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Step::*;

    /// Plans `batch` (sequence number and content) against `acked` and the
    /// `stored` content, and checks the steps, the new ack and the number
    /// asked for.
    fn check(
        batch: &[(u64, &str)],
        acked: u64,
        stored: &[(u64, &str)],
        steps: &[Step],
        new_acked: u64,
        expected_seq: Option<u64>,
    ) {
        let batch: Vec<Incoming<'_>> = batch
            .iter()
            .map(|&(seq, hash)| Incoming { seq, hash })
            .collect();
        let stored = stored
            .iter()
            .map(|&(seq, hash)| (seq, hash.to_string()))
            .collect();
        assert_eq!(
            plan(&batch, acked, &stored),
            Plan {
                steps: steps.to_vec(),
                acked: new_acked,
                expected_seq,
            }
        );
    }

    #[test]
    fn the_next_numbers_are_judged_and_acknowledged() {
        check(&[(1, "a"), (2, "b")], 0, &[], &[Judge, Judge], 2, None);
        check(&[(4, "d")], 3, &[], &[Judge], 4, None);
    }

    #[test]
    fn an_empty_batch_changes_nothing() {
        check(&[], 7, &[], &[], 7, None);
    }

    #[test]
    fn a_resend_of_the_held_content_is_a_repeat() {
        check(
            &[(2, "b"), (3, "c")],
            2,
            &[(2, "b")],
            &[Repeat, Judge],
            3,
            None,
        );
    }

    #[test]
    fn other_content_under_an_acknowledged_number_is_a_clone() {
        check(&[(2, "x")], 2, &[(2, "b")], &[Clone], 2, None);
    }

    #[test]
    fn an_acknowledged_number_that_holds_nothing_is_a_clone() {
        // Only a clone was kept under it, or the store lost it: either
        // way the content cannot be the device's own op.
        check(&[(1, "a")], 1, &[], &[Clone], 1, None);
    }

    #[test]
    fn a_gap_stops_the_batch_and_asks_for_the_missing_number() {
        check(&[(3, "c"), (4, "d")], 1, &[], &[Gap, Gap], 1, Some(2));
        check(
            &[(2, "b"), (4, "d"), (5, "e")],
            1,
            &[],
            &[Judge, Gap, Gap],
            2,
            Some(3),
        );
    }

    #[test]
    fn a_second_copy_in_the_same_batch_is_measured_against_the_first() {
        check(&[(1, "a"), (1, "a")], 0, &[], &[Judge, Repeat], 1, None);
        check(&[(1, "a"), (1, "x")], 0, &[], &[Judge, Clone], 1, None);
    }

    #[test]
    fn repeats_and_clones_do_not_move_the_acknowledgement() {
        check(
            &[(1, "a"), (2, "x"), (3, "c")],
            2,
            &[(1, "a"), (2, "b")],
            &[Repeat, Clone, Judge],
            3,
            None,
        );
    }
}
