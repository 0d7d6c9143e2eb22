//! Head-office reports as they cross the wire: the statistics (统计分析),
//! the quarterly spot-check (抽查回访), the rows of the case exports and
//! the paper record of one case (`record`: 客户投诉记录表), and what the
//! complainant is handed (`receipt`: 受理回执; `result_notice`:
//! 处理结果反馈单),
//! with the pure arithmetic that defines them. The server's `store::reports`
//! reads the cases, the period's figures are counted here in one pass
//! (`tally`); the app deserializes and shows them.
//!
//! Everything here does no IO, so the definitions below are unit-tested
//! on their own:
//!
//! - **Period.** A case belongs to a period when it was *received* in it.
//!   A period is whole local days in the company timezone
//!   (`Settings::tz`): from 00:00 of its first day to 00:00 after its last.
//!   Month, quarter and year are the calendar ones containing a given day;
//!   a custom period is any range of days up to [`MAX_CUSTOM_DAYS`].
//! - **On-time rate per clock.** Over the clocks of the period's cases:
//!   met on time (`met_at <= due_at`) divided by met clocks plus unmet
//!   clocks past due. A closed or withdrawn case keeps an unmet clock only
//!   if it had run out before the case ended (the fold drops the others:
//!   they are no longer owed), so a deadline missed while the case was open
//!   stays missed; so does one taken away unmet after it had run out (a
//!   reopening, a new assessment: `ClockState::taken_unmet`), which counts
//!   with the unmet ones though it has an end time. The overdue list holds
//!   open cases only.
//! - **Handling time.** Received → latest resolution, over cases whose
//!   state is resolved, followed up or closed (a reopened case is not
//!   finished). The 90th percentile is the nearest-rank one
//!   ([`nearest_rank`]): the smallest value with at least 90% of the values
//!   at or below it.
//! - **Satisfaction.** The latest regular follow-up's score (spot-check
//!   calls are reported separately); satisfied means at least
//!   `Settings::satisfied_min`.
//! - **Follow-up rate.** Follow-up clocks (complaint and repair) that were
//!   met, divided by those met or past due, withdrawn cases included (a
//!   callback missed before the withdrawal stays missed, as one taken away
//!   by a reopening after it had run out: it was never made); follow-ups not
//!   yet due are reported as `pending`, not counted against the rate. Missed when below `Settings::follow_up_target_percent`.
//! - **Valid-complaint rate.** Valid complaints received in the period per
//!   household of the property, in basis points, and annualized as
//!   `rate × days of the year the period starts in / days of the period`
//!   (for a period of a whole year or more, the days of the year from its
//!   first day: [`Period::year_days`]), so a whole year is its own rate,
//!   March to February across a 29 February too, and a quarter is
//!   multiplied by about four.
//!   The target (`Settings::valid_complaint_target_bp`, 100 = 1%) is an
//!   upper bound per year: missed when the annualized rate reaches it.
//!   Beside it, the period's complaints not assessed yet (withdrawn ones
//!   aside): neither valid nor unfounded, so the rate is not final.
//! - **Reopen rate.** Cases reopened at least once over cases resolved at
//!   least once.
//! - **Repeat units / complainants.** A unit, or a phone number, with two or
//!   more cases in the period.
//! - **Spot-check.** A draw takes `ceil(n × Settings::spot_check_percent /
//!   100)` (at least one) of the repair cases of one property completed
//!   (resolved within the quarter, and resolved, followed up or closed now),
//!   sorted by id and shuffled with [`SplitMix64`] from a recorded seed. A
//!   draw counts in the statistics of every period its quarter overlaps.

mod case_row;
mod export;
mod period;
mod rates;
mod receipt;
mod record;
mod result_notice;
mod spot_check;
mod stats;
mod tally;

pub use case_row::*;
pub use export::*;
pub use period::*;
pub use rates::*;
pub use receipt::*;
pub use record::*;
pub use result_notice::*;
pub use spot_check::*;
pub use stats::*;
pub use tally::*;
