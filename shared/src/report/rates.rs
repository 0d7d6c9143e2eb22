//! The arithmetic of the rates: percentages, the nearest-rank percentile
//! and the annualized valid-complaint rate.

use super::Period;

/// `num / den` in percent, rounded to two decimals; `None` when `den` is 0.
/// A part that is neither none nor all never rounds to 0% or 100%: one
/// missed follow-up in 25,000 shows 99.99%, not a 100% beside a "missed".
pub fn percent(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| {
        let rounded = round2(num as f64 * 100.0 / den as f64);
        if num == 0 || num >= den {
            rounded
        } else {
            rounded.clamp(0.01, 99.99)
        }
    })
}

/// Whether `num / den` is below `target` percent, decided on the counts
/// (a rounded rate can equal a target it misses); `false` when `den` is 0.
pub fn below(num: u64, den: u64, target: u32) -> bool {
    den > 0 && u128::from(num) * 100 < u128::from(den) * u128::from(target)
}

/// A rate in basis points as it may be shown beside a target it is judged
/// against on the counts: one that keeps below the target never shows as
/// reaching it (99.75 bp under 100 would read 1.00%, "target < 1.00%").
pub fn kept_below(bp: Option<f64>, target_bp: u32, missed: bool) -> Option<f64> {
    let target = f64::from(target_bp);
    bp.map(|bp| {
        if missed || round2(bp / 100.0) < target / 100.0 {
            bp
        } else {
            (target - 1.0).max(0.0)
        }
    })
}

/// Rounds to two decimals, the precision of every rate and duration in the
/// reports.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The 1-based nearest rank of the `p`-th percentile of `n` sorted values:
/// `ceil(p × n / 100)`, at least 1; `None` for no values.
pub fn nearest_rank(n: u64, p: u32) -> Option<u64> {
    (n > 0).then(|| (u64::from(p) * n).div_ceil(100).clamp(1, n))
}

/// Valid complaints per household in basis points (100 = 1%), unrounded;
/// `None` for a property without households.
fn per_household_bp(count: u64, households: u32) -> Option<f64> {
    (households > 0).then(|| count as f64 * 10_000.0 / f64::from(households))
}

/// The valid-complaint rate of a period and its annualized value, both in
/// basis points and rounded to two decimals. See the module docs.
pub fn valid_complaint_rate(count: u64, households: u32, period: &Period) -> Option<(f64, f64)> {
    let raw = per_household_bp(count, households)?;
    let annual = raw * period.year_days() as f64 / period.days() as f64;
    Some((round2(raw), round2(annual)))
}

/// Whether the annualized valid-complaint rate of `count` complaints in
/// `households` reaches `target_bp`, decided on the counts: the rounded
/// rate can equal a target it stays below. `false` without households.
pub fn valid_complaint_rate_missed(
    count: u64,
    households: u32,
    period: &Period,
    target_bp: u32,
) -> bool {
    // annual bp = count × 10000 × year_days / (households × days)
    let reached = u128::from(count) * 10_000 * period.year_days().max(0) as u128;
    let target = u128::from(target_bp) * u128::from(households) * period.days().max(0) as u128;
    households > 0 && reached >= target
}

/// A rate as a person reads it: at most two decimals, trailing zeros
/// dropped (`87.5%`, `99.95%`, `100%`), or "—" when there is nothing to
/// divide. One decimal would show 99.95% as 100.0%, a target met.
pub fn percent_text(p: Option<f64>) -> String {
    p.map_or_else(
        || "—".into(),
        |p| {
            let text = format!("{p:.2}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            format!("{text}%")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::PeriodKind;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_rate_below_its_target_never_shows_as_reaching_it() {
        assert_eq!(kept_below(Some(99.75), 100, false), Some(99.0));
        assert_eq!(kept_below(Some(99.75), 100, true), Some(99.75));
        assert_eq!(kept_below(Some(50.0), 100, false), Some(50.0));
        assert_eq!(kept_below(None, 100, false), None);
    }

    #[test]
    fn rates_round_to_two_decimals() {
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(1, 3), Some(33.33));
        assert_eq!(percent(2, 3), Some(66.67));
        assert_eq!(percent(10, 11), Some(90.91));
        assert_eq!(percent(5, 5), Some(100.0));
        assert_eq!(percent(24_999, 25_000), Some(99.99));
        assert_eq!(percent(1, 25_000), Some(0.01));
        assert_eq!(percent(0, 25_000), Some(0.0));
    }

    #[test]
    fn below_a_target_is_decided_on_the_counts() {
        assert!(below(24_999, 25_000, 100));
        assert!(!below(25_000, 25_000, 100));
        assert!(!below(9, 10, 90));
        assert!(below(8, 10, 90));
        assert!(!below(0, 0, 100));
    }

    #[test]
    fn nearest_rank_percentile() {
        let check = |n, p, rank| assert_eq!(nearest_rank(n, p), rank, "n={n} p={p}");
        check(0, 90, None);
        check(1, 90, Some(1));
        check(5, 90, Some(5));
        check(10, 90, Some(9));
        check(11, 90, Some(10));
        check(14, 90, Some(13));
        check(20, 90, Some(18));
        check(100, 90, Some(90));
        check(10, 50, Some(5));
        check(10, 0, Some(1));
    }

    #[test]
    fn valid_complaint_rate_is_annualized_by_days() {
        let year = Period::containing(PeriodKind::Year, d("2025-01-01")).unwrap();
        let q1 = Period::quarter(2025, 1).unwrap();
        let march = Period::containing(PeriodKind::Month, d("2025-03-01")).unwrap();
        assert_eq!(valid_complaint_rate(4, 400, &year), Some((100.0, 100.0)));
        // 3 / 400 = 75 bp in 90 days: 75 × 365 / 90 = 304.17 bp a year.
        assert_eq!(valid_complaint_rate(3, 400, &q1), Some((75.0, 304.17)));
        assert_eq!(valid_complaint_rate(1, 250, &march), Some((40.0, 470.97)));
        assert_eq!(valid_complaint_rate(1, 0, &q1), None);
    }

    #[test]
    fn a_rate_shows_up_to_two_decimals_and_never_rounds_up_to_a_met_target() {
        assert_eq!(percent_text(Some(99.95)), "99.95%");
        assert_eq!(percent_text(Some(87.5)), "87.5%");
        assert_eq!(percent_text(Some(100.0)), "100%");
        assert_eq!(percent_text(Some(0.0)), "0%");
        assert_eq!(percent_text(None), "—");
    }

    #[test]
    fn the_valid_complaint_target_is_judged_on_the_counts() {
        let year = Period::containing(PeriodKind::Year, d("2025-05-10")).unwrap();
        // 200 in 20,001 households is 0.99995%: rounded 1.00%, yet below.
        assert_eq!(valid_complaint_rate(200, 20_001, &year).unwrap().1, 100.0);
        assert!(!valid_complaint_rate_missed(200, 20_001, &year, 100));
        assert!(valid_complaint_rate_missed(200, 20_000, &year, 100));
        assert!(!valid_complaint_rate_missed(5, 0, &year, 100));
    }

    #[test]
    fn a_year_from_march_is_its_own_rate_across_a_29_february() {
        // 100 in 10,000 households over the 366 days to 29 February 2024
        // is 1.00% exactly, which misses a target of below 1%.
        let leap = Period::custom(d("2023-03-01"), d("2024-02-29")).unwrap();
        assert_eq!(
            valid_complaint_rate(100, 10_000, &leap),
            Some((100.0, 100.0))
        );
        assert!(valid_complaint_rate_missed(100, 10_000, &leap, 100));
        // 100 in 10,020 over the 365 days from March 2024 is 0.998%.
        let plain = Period::custom(d("2024-03-01"), d("2025-02-28")).unwrap();
        assert!(!valid_complaint_rate_missed(100, 10_020, &plain, 100));
        // A quarter is annualized by the calendar year it starts in.
        let q4 = Period::quarter(2023, 4).unwrap();
        assert_eq!(q4.year_days(), 365);
    }
}
