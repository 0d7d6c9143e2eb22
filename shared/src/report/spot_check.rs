//! The quarterly spot-check (抽查回访): how many cases a draw takes, the
//! reproducible draw itself, and the recorded draw as it crosses the wire.

use crate::id::{CaseId, PropertyId, UserId};
use crate::personal_data::Shown;
use crate::role::{mask_name, mask_phone};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How many of `candidates` cases a spot-check of `percent` draws:
/// rounded up, at least one when there is any.
pub fn sample_size(candidates: usize, percent: u32) -> usize {
    if candidates == 0 {
        return 0;
    }
    (candidates * percent as usize)
        .div_ceil(100)
        .clamp(1, candidates)
}

/// The SplitMix64 generator (Steele, Lea and Flood 2014): tiny, fast and
/// fully specified here, so a recorded seed gives the same sample on any
/// build of the server forever, which a library RNG does not promise
/// across versions.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Draws the spot-check sample: a partial Fisher–Yates shuffle of the
/// candidates (which the caller sorts by id) driven by [`SplitMix64`] from
/// `seed`, keeping the first [`sample_size`] in draw order. The modulo bias
/// of `next % remaining` is below 2⁻⁴⁰ for any realistic candidate count.
pub fn draw_sample<T: Clone>(candidates: &[T], percent: u32, seed: u64) -> Vec<T> {
    let n = candidates.len();
    let k = sample_size(n, percent);
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64::new(seed);
    for i in 0..k {
        let j = i + (rng.next_u64() % (n - i) as u64) as usize;
        order.swap(i, j);
    }
    order[..k].iter().map(|&i| candidates[i].clone()).collect()
}

/// One sampled case on the call list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpotCheckItem {
    /// Its place in the draw, from 1.
    pub position: u32,
    /// The case id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub case_id: CaseId,
    /// Its registration number (empty if the case was deleted since).
    pub reg_no: String,
    /// Building and unit.
    pub place: String,
    /// The complainant's name (masked unless the role may see it).
    pub complainant_name: String,
    /// The phone to call (masked likewise).
    pub phone: Option<String>,
    /// When the repair was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the spot-check call was recorded (the latest, if several).
    pub called_at: Option<DateTime<Utc>>,
    /// The score the resident gave on that call.
    pub satisfaction: Option<u8>,
    /// What they said.
    pub comment: Option<String>,
}

/// A spot-check draw (`POST /api/v1/spot-checks`): a property's sample of
/// a quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DrawRequest {
    /// The property id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub property: PropertyId,
    /// The year.
    pub year: i32,
    /// The quarter, 1–4.
    pub quarter: u32,
}

/// A recorded draw and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpotCheck {
    /// The draw's id.
    pub id: i64,
    /// The property id.
    pub property: String,
    /// Its name.
    pub property_name: String,
    /// The year.
    pub year: i32,
    /// The quarter.
    pub quarter: u32,
    /// The seed: drawing again from the same candidates with it gives the same sample.
    pub seed: u64,
    /// The share drawn, percent.
    pub percent: u32,
    /// How many completed repair cases there were to draw from.
    pub candidates: u64,
    /// Who drew.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub drawn_by: UserId,
    /// When.
    pub drawn_at: DateTime<Utc>,
    /// Cases sampled.
    pub sampled: u64,
    /// Of those, called.
    pub called: u64,
    /// Of those, satisfied (`Settings::satisfied_min` or more).
    pub satisfied: u64,
    /// The call list, in draw order.
    pub items: Vec<SpotCheckItem>,
}

impl SpotCheck {
    /// Masks what of the complainants the reader may not see (`shown`:
    /// `personal_data::shown` of the reader, for no case in particular).
    /// The caller needs the phone to make the call, which a role may be
    /// allowed without the name.
    pub fn mask_personal_data(&mut self, shown: Shown) {
        for item in &mut self.items {
            if !shown.name {
                item.complainant_name = mask_name(&item.complainant_name);
            }
            if !shown.phone {
                item.phone = item.phone.as_deref().map(mask_phone);
                // The numbers typed into the callback's comment go with it.
                if let Some(comment) = item.comment.as_mut() {
                    *comment = crate::phone::mask_in_text(comment).into_owned();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_size_rounds_up_and_takes_at_least_one() {
        let check = |n, pct, k| assert_eq!(sample_size(n, pct), k, "n={n} pct={pct}");
        check(0, 20, 0);
        check(1, 20, 1);
        check(5, 20, 1);
        check(6, 20, 2);
        check(7, 20, 2);
        check(10, 20, 2);
        check(11, 20, 3);
        check(100, 20, 20);
        check(3, 100, 3);
    }

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // From the reference implementation (seed 1234567).
        let mut rng = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn a_draw_is_the_documented_shuffle_of_the_reference_sequence() {
        // By hand from the three numbers above: of 20 candidates, 15 %
        // is 3 picks; each swaps place i with i + (next % (20 - i)):
        // 17 % 20 = 17, then 1 + 18 (the 19th), then 2 + 9 (the 11th).
        // Anyone holding an audited seed and its candidates draws the
        // same: a change of the shuffle fails here.
        let candidates: Vec<u32> = (0..20).collect();
        assert_eq!(draw_sample(&candidates, 15, 1_234_567), [17, 19, 11]);
    }

    #[test]
    fn draws_are_reproducible_and_distinct() {
        let candidates: Vec<u32> = (0..50).collect();
        let a = draw_sample(&candidates, 20, 42);
        assert_eq!(a.len(), 10);
        assert_eq!(
            a,
            draw_sample(&candidates, 20, 42),
            "same seed, same sample"
        );
        assert_ne!(
            a,
            draw_sample(&candidates, 20, 43),
            "another seed, another sample"
        );
        let mut distinct = a.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), a.len(), "no case drawn twice");
        assert!(draw_sample::<u32>(&[], 20, 1).is_empty());
        assert_eq!(draw_sample(&[7], 20, 1), vec![7]);
    }

    #[test]
    fn draws_cover_every_candidate_over_many_seeds() {
        let candidates: Vec<u32> = (0..10).collect();
        let mut seen = [0u32; 10];
        for seed in 0..2000 {
            for c in draw_sample(&candidates, 20, seed) {
                seen[c as usize] += 1;
            }
        }
        // 4000 picks over 10 candidates: each near 400.
        assert!(seen.iter().all(|&n| (300..500).contains(&n)), "{seen:?}");
    }

    #[test]
    fn a_number_in_the_callbacks_comment_is_masked_with_the_phone() {
        let t = "2026-03-02T01:00:00Z".parse().unwrap();
        let mut check = SpotCheck {
            id: 1,
            property: "p".into(),
            property_name: "和园".into(),
            year: 2026,
            quarter: 1,
            seed: 7,
            percent: 20,
            candidates: 1,
            drawn_by: UserId(uuid::Uuid::from_u128(1)),
            drawn_at: t,
            sampled: 1,
            called: 1,
            satisfied: 1,
            items: vec![SpotCheckItem {
                position: 1,
                case_id: CaseId(uuid::Uuid::from_u128(2)),
                reg_no: "HY-260302-01-0001".into(),
                place: "1栋 101".into(),
                complainant_name: "王小明".into(),
                phone: Some("13912345678".into()),
                resolved_at: Some(t),
                called_at: Some(t),
                satisfaction: Some(5),
                comment: Some("满意，另留电话13987654321".into()),
            }],
        };
        let phone_only = Shown {
            name: false,
            phone: true,
        };
        let mut seen = check.clone();
        seen.mask_personal_data(phone_only);
        assert_eq!(seen.items[0].comment, check.items[0].comment);
        check.mask_personal_data(Shown::NOTHING);
        let item = &check.items[0];
        assert_eq!(item.phone.as_deref(), Some("139****5678"));
        assert_eq!(item.comment.as_deref(), Some("满意，另留电话139****4321"));
    }
}
