//! Where a case is, as a form asks it (登记 and 更正登记信息): the building
//! select (or the public area) and the unit select (or the whole
//! building), and their reading into a `shared::property::Location`.

use crate::state::use_app;
use leptos::prelude::*;
use shared::id::{BuildingId, UnitId};
use shared::property::{Location, Property};

/// The value of the building select for "public area".
const PUBLIC: &str = "public";
/// The value of the building select before anything is chosen: a case
/// about a unit left at the public area by a form nobody touched loses
/// its address (the seeds ask for it), its callback's door and its place
/// in the repeat-unit statistics.
const UNCHOSEN: &str = "";
/// The value of the unit select for "the building as a whole".
const WHOLE: &str = "whole";

/// The two selects' values, as chosen.
#[derive(Clone, Copy)]
pub struct LocationFields {
    building: RwSignal<String>,
    unit: RwSignal<String>,
}

impl LocationFields {
    /// The selects showing `location`.
    pub fn of(location: &Location) -> LocationFields {
        let (building, unit) = match location {
            Location::PublicArea => (PUBLIC.to_string(), WHOLE.to_string()),
            Location::Building { building } => (building.to_string(), WHOLE.to_string()),
            Location::Unit { building, unit } => (building.to_string(), unit.to_string()),
        };
        LocationFields {
            building: RwSignal::new(building),
            unit: RwSignal::new(unit),
        }
    }

    /// Nothing chosen yet, as a new case's form starts.
    pub fn unchosen() -> LocationFields {
        LocationFields {
            building: RwSignal::new(UNCHOSEN.into()),
            unit: RwSignal::new(WHOLE.into()),
        }
    }

    /// Back to nothing chosen (another property was chosen: its buildings
    /// are others).
    pub fn reset(&self) {
        self.building.set(UNCHOSEN.into());
        self.unit.set(WHOLE.into());
    }

    /// The location chosen, or `None` before a building or the public
    /// area is, read inside a reactive scope.
    pub fn picked(&self) -> Option<Location> {
        self.building.track();
        self.unit.track();
        self.picked_untracked()
    }

    /// [`LocationFields::picked`], untracked.
    pub fn picked_untracked(&self) -> Option<Location> {
        let chosen = self.building.with_untracked(|b| b != UNCHOSEN);
        chosen.then(|| self.read())
    }

    /// The location chosen, read inside a reactive scope so that what
    /// depends on it follows the selects.
    pub fn tracked(&self) -> Location {
        self.building.track();
        self.unit.track();
        self.read()
    }

    /// The location chosen. Whether it lies in the property is
    /// `shared::validation`'s to say.
    pub fn read(&self) -> Location {
        let parse = |s: String| s.parse::<uuid::Uuid>().ok();
        match (
            parse(self.building.get_untracked()),
            parse(self.unit.get_untracked()),
        ) {
            (None, _) => Location::PublicArea,
            (Some(b), None) => Location::Building {
                building: BuildingId(b),
            },
            (Some(b), Some(u)) => Location::Unit {
                building: BuildingId(b),
                unit: UnitId(u),
            },
        }
    }
}

/// The building and unit selects of `property`, with test ids
/// `{prefix}-building` and `{prefix}-unit`; `error` goes beside them.
#[component]
pub fn LocationSelects(
    fields: LocationFields,
    property: Memo<Option<Property>>,
    prefix: &'static str,
    error: AnyView,
) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let LocationFields { building, unit } = fields;
    view! {
        <label class="field">
            <span>{t("楼栋", "Building")}</span>
            <select data-testid=format!("{prefix}-building") on:change=move |ev| {
                building.set(event_target_value(&ev));
                unit.set(WHOLE.into());
            }>
                <option value=UNCHOSEN disabled prop:selected=move || building.get() == UNCHOSEN>{t("请选择", "Choose")}</option>
                <option value=PUBLIC prop:selected=move || building.get() == PUBLIC>{t("公共区域", "Public area")}</option>
                {move || property.get().map(|p| p.buildings).unwrap_or_default().into_iter().map(|b| {
                    let id = b.id.to_string();
                    let chosen = id.clone();
                    view! { <option value=id prop:selected=move || building.with(|v| *v == chosen)>{b.name}</option> }
                }).collect_view()}
            </select>
            // Beside the building, where the place is chosen first: under
            // the unit, disabled until a building is, the first error's
            // focus went nowhere.
            {error}
        </label>
        <label class="field">
            <span>{t("房号", "Unit")}</span>
            <select data-testid=format!("{prefix}-unit") on:change=move |ev| unit.set(event_target_value(&ev))
                disabled=move || building.with(|b| b == PUBLIC || b == UNCHOSEN)>
                <option value=WHOLE prop:selected=move || unit.get() == WHOLE>{t("整栋", "Whole building")}</option>
                {move || {
                    let b = building.get();
                    property.get()
                        .and_then(|p| p.buildings.into_iter().find(|x| x.id.to_string() == b))
                        .map(|b| b.units)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|u| {
                            let id = u.id.to_string();
                            let chosen = id.clone();
                            view! { <option value=id prop:selected=move || unit.with(|v| *v == chosen)>{u.name}</option> }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}
