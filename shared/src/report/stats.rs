//! The statistics of one period (统计分析), as the server computes them and
//! the dashboard shows them.

use super::{Period, below, percent};
use crate::id::CaseId;
use crate::lang::Lang;
use crate::personal_data::Shown;
use crate::role::{mask_name, mask_phone};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most overdue cases listed in the statistics (the total is exact).
pub const OVERDUE_LIMIT: u32 = 200;

/// The most repeat units or repeat complainants listed.
pub const REPEAT_LIMIT: u32 = 100;

/// One row of a count table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bucket {
    /// The code or id counted by (empty for "none").
    pub key: String,
    /// Its name for a person.
    pub label: String,
    /// The number of cases.
    pub count: u64,
}

/// The counts of one deadline clock (or of all clocks together).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockRate {
    /// The clock's code (`all` for every clock together).
    pub clock: String,
    /// Its name.
    pub label: String,
    /// Clocks met.
    pub met: u64,
    /// Met at or before the due time.
    pub on_time: u64,
    /// Met after the due time.
    pub late: u64,
    /// Not met by its due time: running past due on an open case, or left
    /// unmet past due when its case was closed or withdrawn, or taken away
    /// unmet past due by a reopening or a new assessment (a clock not yet
    /// due then was no longer owed, and is not counted at all).
    pub overdue: u64,
    /// Running and not yet due.
    pub running: u64,
    /// Whose due time is unknown, met or not (a working-day clock due in a
    /// year whose holidays are not loaded): in no other count, and not in
    /// the rate, until the year is loaded.
    #[serde(default)]
    pub unknown: u64,
    /// `on_time / (met + overdue)` in percent.
    pub rate: Option<f64>,
}

impl ClockRate {
    /// Fills `late` and `rate` from the counts.
    pub fn finish(mut self) -> ClockRate {
        self.late = self.met.saturating_sub(self.on_time);
        self.rate = percent(self.on_time, self.met + self.overdue);
        self
    }
}

/// Handling time, received → resolved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Handling {
    /// Cases resolved (and not reopened since).
    pub resolved: u64,
    /// Average, in hours.
    pub avg_hours: Option<f64>,
    /// 90th percentile (nearest rank), in hours.
    pub p90_hours: Option<f64>,
}

/// How many follow-ups gave one score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreCount {
    /// 1 (very unsatisfied) … 5 (very satisfied).
    pub score: u8,
    /// Cases whose latest follow-up gave this score.
    pub count: u64,
}

/// Satisfaction of the latest regular follow-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Satisfaction {
    /// Scores 1–5 and their counts.
    pub distribution: Vec<ScoreCount>,
    /// Cases with a score.
    pub rated: u64,
    /// Cases scored at least `satisfied_min`.
    pub satisfied: u64,
    /// The lowest satisfied score (settings).
    pub satisfied_min: u8,
    /// `satisfied / rated` in percent.
    pub rate: Option<f64>,
}

/// The follow-up rate (回访率) against its target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUpRate {
    /// Follow-ups that were due (done, or past due).
    pub due: u64,
    /// Follow-ups done.
    pub done: u64,
    /// Follow-ups not due yet (not counted).
    pub pending: u64,
    /// `done / due` in percent.
    pub rate: Option<f64>,
    /// The target in percent (settings).
    pub target_percent: u32,
    /// Whether the rate is below the target.
    pub missed: bool,
}

impl FollowUpRate {
    /// Fills `rate` and `missed` from the counts.
    pub fn finish(mut self, target_percent: u32) -> FollowUpRate {
        self.rate = percent(self.done, self.due);
        self.target_percent = target_percent;
        self.missed = below(self.done, self.due, target_percent);
        self
    }
}

/// The reopen rate (二次处理).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reopen {
    /// Cases resolved at least once.
    pub resolved: u64,
    /// Of those, reopened at least once.
    pub reopened: u64,
    /// Reopenings in total.
    pub reopenings: u64,
    /// `reopened / resolved` in percent.
    pub rate: Option<f64>,
}

/// One property's figures, with its valid-complaint rate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PropertyRow {
    /// The property id.
    pub property: String,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Households (户数).
    pub households: u32,
    /// Cases received.
    pub cases: u64,
    /// Valid complaints received.
    pub valid_complaints: u64,
    /// Complaints received and not assessed yet (withdrawn ones aside):
    /// neither valid nor unfounded, so the rate may still rise.
    #[serde(default)]
    pub unassessed_complaints: u64,
    /// Valid complaints per household in the period, basis points.
    pub valid_rate_bp: Option<f64>,
    /// The same, annualized (see the module docs), basis points.
    pub valid_rate_annualized_bp: Option<f64>,
    /// The yearly target in basis points (settings; 100 = 1%).
    pub valid_target_bp: u32,
    /// Whether the annualized rate reaches the target.
    pub valid_missed: bool,
    /// The property's follow-up rate.
    pub follow_up: FollowUpRate,
    /// Its on-time rate over every clock, percent.
    pub on_time_rate: Option<f64>,
    /// Its satisfied rate, percent.
    pub satisfied_rate: Option<f64>,
    /// Its open cases past due now.
    pub overdue_open: u64,
}

impl PropertyRow {
    /// The valid-complaint rates as the reports show them, basis points:
    /// the period's own and the annualized one, which the target judges
    /// and which never shows as reaching it when it keeps below
    /// ([`kept_below`](super::kept_below)). For a period of exactly a year
    /// the two are one figure, shown the same.
    pub fn valid_rates_shown(&self, period: &Period) -> (Option<f64>, Option<f64>) {
        let annualized = super::kept_below(
            self.valid_rate_annualized_bp,
            self.valid_target_bp,
            self.valid_missed,
        );
        let own = if period.days() == period.year_days() {
            annualized
        } else {
            self.valid_rate_bp
        };
        (own, annualized)
    }
}

/// A case to link to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseRef {
    /// The case id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    /// Its registration number.
    pub reg_no: String,
}

/// A unit with two or more cases in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepeatUnit {
    /// The property id.
    pub property: String,
    /// The unit id.
    pub unit: String,
    /// Property, building and unit for a person.
    pub label: String,
    /// The number of cases.
    pub count: u64,
    /// The cases, oldest first.
    pub cases: Vec<CaseRef>,
}

/// A phone number with two or more cases in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepeatComplainant {
    /// The phone (masked unless the role may see personal data).
    pub phone: String,
    /// The latest name given (masked likewise).
    pub name: String,
    /// The number of cases.
    pub count: u64,
    /// The cases, oldest first.
    pub cases: Vec<CaseRef>,
}

/// A department's performance (by the department a case is assigned to now).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentRow {
    /// The department.
    pub department: String,
    /// Cases assigned to it.
    pub cases: u64,
    /// Of those, resolved (and not reopened since).
    pub resolved: u64,
    /// Average handling time of those, hours.
    pub avg_handling_hours: Option<f64>,
    /// Its cases' clocks of the department's own work
    /// ([`crate::deadline::Clock::DEPARTMENT`]), all together.
    pub clocks: ClockRate,
}

/// Cases and valid complaints against one person or department complained
/// about (被投诉人/被投诉部门), for 考核.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RespondentRow {
    /// The department complained about (may be empty).
    pub department: String,
    /// The person complained about (may be empty: the department as a whole).
    pub person: String,
    /// Cases received in the period naming them.
    pub cases: u64,
    /// Of those, valid complaints.
    pub valid_complaints: u64,
}

/// An open case past due now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverdueCase {
    /// The case id (link: `/cases/{id}`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    /// Its registration number.
    pub reg_no: String,
    /// The property id.
    pub property: String,
    /// The property's name.
    pub property_name: String,
    /// Kind code.
    pub kind: String,
    /// State code.
    pub state: String,
    /// Category code.
    pub category: String,
    /// The responsible department, if assigned.
    pub department: Option<String>,
    /// The earliest due time of its running clocks.
    pub next_due_at: DateTime<Utc>,
    /// Hours past that.
    pub overdue_hours: f64,
    /// The codes of its clocks past due.
    pub clocks: Vec<String>,
}

/// The overdue list: every open case in the filter (whatever the period)
/// with a running clock past due now, most overdue first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overdue {
    /// How many there are.
    pub total: u64,
    /// The first [`OVERDUE_LIMIT`] of them.
    pub items: Vec<OverdueCase>,
}

/// The spot-check draws whose quarter overlaps the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpotCheckCounts {
    /// Draws.
    pub draws: u64,
    /// Cases sampled.
    pub sampled: u64,
    /// Sampled cases with a spot-check call recorded.
    pub called: u64,
    /// Of those, satisfied.
    pub satisfied: u64,
    /// `called / sampled` in percent.
    pub called_rate: Option<f64>,
    /// `satisfied / called` in percent.
    pub satisfied_rate: Option<f64>,
}

/// A target the figures miss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MissedTarget {
    /// `follow_up` or `valid_complaint`.
    pub target: String,
    /// The property, for per-property targets.
    pub property: Option<String>,
    /// What is missed, for a person.
    pub message: String,
}

/// Every statistic of docs/domain.md for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    /// The period.
    pub period: Period,
    /// Its first instant.
    pub start: DateTime<Utc>,
    /// The first instant after it.
    pub end: DateTime<Utc>,
    /// The property filter.
    pub property: Option<String>,
    /// The kind filter.
    pub kind: Option<String>,
    /// When the figures were computed.
    pub generated_at: DateTime<Utc>,
    /// Cases received in the period.
    pub total: u64,
    /// Cases received in the period and voided since (registered twice or
    /// in error), in no other figure.
    #[serde(default)]
    pub voided: u64,
    /// By kind.
    pub by_kind: Vec<Bucket>,
    /// By category.
    pub by_category: Vec<Bucket>,
    /// By property (every property in the filter, zeros included).
    pub by_property: Vec<Bucket>,
    /// By building (`key` = property id/building id; empty building = public area).
    pub by_building: Vec<Bucket>,
    /// By channel.
    pub by_channel: Vec<Bucket>,
    /// Complaints and repairs (the kinds assessed) by severity (empty key
    /// = not assessed).
    pub by_severity: Vec<Bucket>,
    /// By state now.
    pub by_state: Vec<Bucket>,
    /// By month received (`YYYY-MM`), zeros included.
    pub by_month: Vec<Bucket>,
    /// On-time rate per clock.
    pub on_time: Vec<ClockRate>,
    /// All clocks together.
    pub on_time_overall: ClockRate,
    /// Handling time.
    pub handling: Handling,
    /// Satisfaction.
    pub satisfaction: Satisfaction,
    /// Follow-up rate.
    pub follow_up: FollowUpRate,
    /// Reopen rate.
    pub reopen: Reopen,
    /// Per property, with the valid-complaint rate.
    pub properties: Vec<PropertyRow>,
    /// Units with two or more cases, the most [`REPEAT_LIMIT`].
    pub repeat_units: Vec<RepeatUnit>,
    /// How many units have two or more cases, listed or not.
    #[serde(default)]
    pub repeat_units_total: u64,
    /// Phone numbers with two or more cases, the most [`REPEAT_LIMIT`].
    pub repeat_complainants: Vec<RepeatComplainant>,
    /// How many phone numbers have two or more cases, listed or not.
    #[serde(default)]
    pub repeat_complainants_total: u64,
    /// Per department.
    pub departments: Vec<DepartmentRow>,
    /// Per person and department complained about, most cases first.
    pub respondents: Vec<RespondentRow>,
    /// Open cases past due now.
    pub overdue: Overdue,
    /// Open major (重大) cases not yet reported (上报), whatever the
    /// period: `next_due_at` is when the report is due.
    pub major_unreported: Overdue,
    /// The spot-check.
    pub spot_checks: SpotCheckCounts,
    /// Every target missed, for the dashboard's warnings.
    pub missed_targets: Vec<MissedTarget>,
}

impl Stats {
    /// The targets these figures miss, worded in `lang`: the follow-up rate
    /// overall and per property (when there are several), and each
    /// property's annualized valid-complaint rate.
    pub fn targets_missed(&self, lang: Lang) -> Vec<MissedTarget> {
        let mut out = Vec::new();
        let f = &self.follow_up;
        if f.missed {
            out.push(MissedTarget {
                target: "follow_up".into(),
                property: None,
                message: match lang {
                    Lang::ZhCn => format!(
                        "回访率{}%，低于目标{}%",
                        f.rate.unwrap_or_default(),
                        f.target_percent
                    ),
                    Lang::En => format!(
                        "Follow-up rate {}% is below the {}% target",
                        f.rate.unwrap_or_default(),
                        f.target_percent
                    ),
                },
            });
        }
        for p in &self.properties {
            if p.follow_up.missed && self.properties.len() > 1 {
                out.push(MissedTarget {
                    target: "follow_up".into(),
                    property: Some(p.property.clone()),
                    message: match lang {
                        Lang::ZhCn => format!(
                            "{}回访率{}%，低于目标{}%",
                            p.name,
                            p.follow_up.rate.unwrap_or_default(),
                            p.follow_up.target_percent
                        ),
                        Lang::En => format!(
                            "{}: follow-up rate {}% is below the {}% target",
                            p.name,
                            p.follow_up.rate.unwrap_or_default(),
                            p.follow_up.target_percent
                        ),
                    },
                });
            }
            if p.valid_missed {
                let rate = p.valid_rate_annualized_bp.unwrap_or_default() / 100.0;
                let target = f64::from(p.valid_target_bp) / 100.0;
                out.push(MissedTarget {
                    target: "valid_complaint".into(),
                    property: Some(p.property.clone()),
                    message: match lang {
                        Lang::ZhCn => format!(
                            "{}有效投诉率（年化）{rate:.2}%，未达到低于{target:.2}%的目标",
                            p.name
                        ),
                        Lang::En => format!(
                            "{}: valid-complaint rate (annualized) {rate:.2}% is not below the {target:.2}% target",
                            p.name
                        ),
                    },
                });
            }
        }
        out
    }

    /// Masks what of the complainants the reader may not see (`shown`:
    /// `personal_data::shown` of the reader, for no case in particular).
    pub fn mask_personal_data(&mut self, shown: Shown) {
        for r in &mut self.repeat_complainants {
            if !shown.phone {
                r.phone = mask_phone(&r.phone);
            }
            if !shown.name {
                r.name = mask_name(&r.name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::PeriodKind;
    use chrono::NaiveDate;

    #[test]
    fn a_whole_years_own_rate_shows_as_its_annualized_one() {
        // 200 valid complaints in 20,001 households: 0.99995%, below 1%.
        let rate = 200.0 / 20_001.0 * 10_000.0;
        let row = PropertyRow {
            valid_rate_bp: Some(rate),
            valid_rate_annualized_bp: Some(rate),
            valid_target_bp: 100,
            ..PropertyRow::default()
        };
        let day = NaiveDate::from_ymd_opt(2025, 5, 1).unwrap();
        let year = Period::containing(PeriodKind::Year, day).unwrap();
        assert_eq!(row.valid_rates_shown(&year), (Some(99.0), Some(99.0)));
        // A month's own rate is not judged against the yearly target.
        let month = Period::containing(PeriodKind::Month, day).unwrap();
        let (own, _) = row.valid_rates_shown(&month);
        assert_eq!(own, Some(rate));
    }
}
