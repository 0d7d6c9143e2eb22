//! Head-office reports (统计分析, 抽查回访, the case exports) as a storage
//! interface ([`Reports`]), with the server-side pieces around it: the
//! resolved statistics query and the labels that exports print.
//!
//! What the figures mean, their wire types and the pure arithmetic behind
//! them (periods, rates, the nearest-rank percentile, the spot-check draw)
//! are in `shared::report`; the SQL lives in `sqlite_reports.rs`.

use super::AuditEntry;
use chrono::{DateTime, Utc};
use shared::case::{CaseKind, CaseState, Channel, Severity, Validity};
use shared::category::Category;
use shared::code::CodedEnum;
use shared::deadline::Clock;
use shared::id::{PropertyId, UserId};
use shared::lang::Lang;
use shared::property::{Location, Property};
use shared::report::{Period, local_midnight};
use shared::role::Scope;
use shared::settings::Settings;
use std::collections::BTreeMap;

use super::{CaseFilter, StoreResult};
use shared::report::{ExportRow, SpotCheck, Stats};

/// The queries head office needs, next to [`super::Store`].
pub trait Reports {
    /// The statistics of one period, for the cases in the query's scope.
    fn stats(&self, query: &StatsQuery) -> StoreResult<Stats>;

    /// Draws and records the spot-check sample of one property and quarter.
    /// Fails with `Conflict` when that quarter is already drawn: a sample is
    /// drawn once, so that nobody can draw again until it suits them.
    /// The draw is audited in its own transaction (the detail gains the
    /// draw's id, seed and counts).
    fn draw_spot_check(&self, draw: &SpotCheckDraw, audit: &AuditEntry) -> StoreResult<SpotCheck>;

    /// The recorded draws in `scope`, newest quarter first, with each
    /// sampled case and the outcome of its spot-check call.
    fn spot_checks(&self, scope: &Scope, filter: &SpotCheckFilter) -> StoreResult<Vec<SpotCheck>>;

    /// The ids of the cases an export of `filter` in `scope` holds, in
    /// `(received_at, id)` order, read at one moment: the export then
    /// reads their rows in pages ([`Reports::export_rows`]), so that no
    /// request holds more than a page and the store is free between pages,
    /// and a received time corrected meanwhile neither repeats a row nor
    /// drops one, as a cursor over that order would.
    fn export_ids(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<String>>;

    /// The export rows of the cases `ids`, in their order, as they are
    /// now; a case deleted since has none.
    fn export_rows(&self, ids: &[String]) -> StoreResult<Vec<ExportRow>>;
}

/// A statistics request, resolved: the period's instants are computed once
/// from the company timezone, and the thresholds copied from the settings.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    /// The caller's scope.
    pub scope: Scope,
    /// Only this property.
    pub property: Option<PropertyId>,
    /// Only this kind.
    pub kind: Option<CaseKind>,
    /// The period.
    pub period: Period,
    /// Its first instant.
    pub start: DateTime<Utc>,
    /// The first instant after it.
    pub end: DateTime<Utc>,
    /// The month buckets: label and instants.
    pub months: Vec<(String, DateTime<Utc>, DateTime<Utc>)>,
    /// What "overdue" is measured against.
    pub now: DateTime<Utc>,
    /// The lowest satisfied score.
    pub satisfied_min: u8,
    /// The follow-up target, in percent.
    pub follow_up_target_percent: u32,
    /// The valid-complaint target, in basis points per year.
    pub valid_complaint_target_bp: u32,
    /// The language of the labels.
    pub lang: Lang,
}

impl StatsQuery {
    /// Resolves a request against the company settings.
    pub fn new(
        scope: Scope,
        property: Option<PropertyId>,
        kind: Option<CaseKind>,
        period: Period,
        settings: &Settings,
        now: DateTime<Utc>,
        lang: Lang,
    ) -> StatsQuery {
        let tz = settings.tz();
        let months = period
            .months()
            .into_iter()
            .map(|(label, first, after)| {
                (
                    label,
                    local_midnight(first, &tz),
                    local_midnight(after, &tz),
                )
            })
            .collect();
        StatsQuery {
            scope,
            property,
            kind,
            start: period.start(&tz),
            end: period.end(&tz),
            period,
            months,
            now,
            satisfied_min: settings.satisfied_min,
            follow_up_target_percent: settings.follow_up_target_percent,
            valid_complaint_target_bp: settings.valid_complaint_target_bp,
            lang,
        }
    }
}

/// Names for the codes stored on cases, in one language.
#[derive(Debug, Clone)]
pub struct Labels {
    lang: Lang,
    properties: BTreeMap<String, Property>,
    categories: BTreeMap<String, Category>,
}

impl Labels {
    /// Labels from the properties and categories as configured now.
    pub fn new(lang: Lang, properties: Vec<Property>, categories: Vec<Category>) -> Labels {
        Labels {
            lang,
            properties: properties
                .into_iter()
                .map(|p| (p.id.to_string(), p))
                .collect(),
            categories: categories
                .into_iter()
                .map(|c| (c.code.clone(), c))
                .collect(),
        }
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Picks the text for the language.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }

    /// A property's name (its id when unknown).
    pub fn property(&self, id: &str) -> String {
        self.properties
            .get(id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    }

    /// A property's code.
    pub fn property_code(&self, id: &str) -> String {
        self.properties
            .get(id)
            .map_or_else(String::new, |p| p.code.clone())
    }

    /// A building's name within its property.
    pub fn building(&self, property: &str, building: Option<&str>) -> String {
        let Some(building) = building else {
            return self.pick("公共区域", "Public area").into();
        };
        self.properties
            .get(property)
            .and_then(|p| p.building(building.parse().ok()?))
            .map_or_else(|| building.to_string(), |b| b.name.clone())
    }

    /// A case's place: building and unit, or the public area.
    pub fn place(&self, property: &str, building: Option<&str>, unit: Option<&str>) -> String {
        let location = match (
            building.and_then(|b| b.parse().ok()),
            unit.and_then(|u| u.parse().ok()),
        ) {
            (Some(building), Some(unit)) => Location::Unit { building, unit },
            (Some(building), None) => Location::Building { building },
            _ => Location::PublicArea,
        };
        if location == Location::PublicArea {
            return self.pick("公共区域", "Public area").into();
        }
        self.properties
            .get(property)
            .map(|p| p.describe(&location))
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| unit.or(building).unwrap_or_default().to_string())
    }

    /// A category's name (its code when unknown).
    pub fn category(&self, code: &str) -> String {
        self.categories
            .get(code)
            .map_or_else(|| code.to_string(), |c| c.name(self.lang).to_string())
    }

    /// A case kind's name.
    pub fn kind(&self, code: &str) -> String {
        self.coded::<CaseKind>(code)
    }

    /// A channel's name.
    pub fn channel(&self, code: &str) -> String {
        self.coded::<Channel>(code)
    }

    /// A contact method's name (phone, visit).
    pub fn contact_method(&self, code: &str) -> String {
        self.coded::<shared::case::ContactMethod>(code)
    }

    /// A state's name.
    pub fn state(&self, code: &str) -> String {
        self.coded::<CaseState>(code)
    }

    /// A severity's name; no severity means not assessed yet.
    pub fn severity(&self, code: Option<&str>) -> String {
        match code {
            None | Some("") => self.pick("未评估", "Not assessed").into(),
            Some(code) => self.coded::<Severity>(code),
        }
    }

    /// A validity's name; none (not assessed, or not a complaint) is blank.
    pub fn validity(&self, code: Option<&str>) -> String {
        match code {
            None | Some("") => String::new(),
            Some(code) => self.coded::<Validity>(code),
        }
    }

    /// A deadline clock's name.
    pub fn clock(&self, code: &str) -> String {
        self.coded::<Clock>(code)
    }

    /// Yes or no.
    pub fn yes_no(&self, yes: bool) -> String {
        if yes {
            self.pick("是", "Yes").into()
        } else {
            self.pick("否", "No").into()
        }
    }

    /// The name of a stored code of `T`; a code this build does not know
    /// (written by a newer one) is shown as it is rather than dropped.
    fn coded<T: CodedEnum>(&self, code: &str) -> String {
        T::from_code(code).map_or_else(|| code.to_string(), |v| v.label(self.lang).to_string())
    }
}

/// Which draws to list.
#[derive(Debug, Clone, Default)]
pub struct SpotCheckFilter {
    /// Only this property.
    pub property: Option<PropertyId>,
    /// Only this year.
    pub year: Option<i32>,
    /// Only this quarter.
    pub quarter: Option<u32>,
    /// Only draws whose quarter ends after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only draws whose quarter starts before this instant.
    pub to: Option<DateTime<Utc>>,
    /// At most this many draws, the latest first.
    pub limit: u32,
    /// The language of the call lists' places.
    pub lang: Lang,
}

/// A draw to make.
#[derive(Debug, Clone)]
pub struct SpotCheckDraw {
    /// The property.
    pub property: PropertyId,
    /// The quarter's year.
    pub year: i32,
    /// The quarter (1–4).
    pub quarter: u32,
    /// The quarter's first instant.
    pub start: DateTime<Utc>,
    /// The first instant after it.
    pub end: DateTime<Utc>,
    /// The seed.
    pub seed: u64,
    /// The share to draw, percent.
    pub percent: u32,
    /// Who draws.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fall_back_to_codes() {
        let labels = Labels::new(
            Lang::ZhCn,
            Vec::new(),
            shared::category::default_categories(),
        );
        assert_eq!(labels.kind("repair"), "报修");
        assert_eq!(labels.category("noise"), "噪音");
        assert_eq!(labels.category("retired_code"), "retired_code");
        assert_eq!(labels.severity(None), "未评估");
        assert_eq!(labels.channel("walk_in"), "来访/现场");
        assert_eq!(labels.place("p", None, None), "公共区域");
        let en = Labels::new(Lang::En, Vec::new(), shared::category::default_categories());
        assert_eq!(en.state("followed_up"), "Followed up");
        assert_eq!(en.clock("transfer"), "Transfer to department");
        assert_eq!(en.severity(Some("major")), "Major");
        assert_eq!(labels.validity(Some("valid")), "有效投诉");
        assert_eq!(labels.validity(None), "");
        assert_eq!(labels.kind("retired_kind"), "retired_kind");
    }
}
