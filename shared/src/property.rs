//! Properties (项目/小区), their buildings, units and household counts. The
//! household count is the denominator of the valid-complaint rate.

use crate::id::{BuildingId, PropertyId, UnitId};
use crate::lang::Lang;
use serde::{Deserialize, Serialize};

/// A property managed by the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Property {
    /// The property's id.
    pub id: PropertyId,
    /// A short code used in registration numbers (letters and digits, e.g. `HY`).
    pub code: String,
    /// The property's name (e.g. 华苑小区).
    pub name: String,
    /// Number of households (户数).
    pub households: u32,
    /// The buildings, each with its units.
    #[serde(default)]
    pub buildings: Vec<Building>,
    /// Retired (停用): the company no longer manages it. Its cases, users
    /// and statistics stay; it is no longer offered for new cases or
    /// users. A case a tablet recorded offline before it heard of the
    /// retirement is still taken, as a retired category's is.
    #[serde(default)]
    pub retired: bool,
    /// Where residents reach the property's service desk (客服电话, the
    /// office's address), as the receipt and the result notice print it:
    /// the seeds ask that the complainant be given whom to contact (002:
    /// 提供投诉登记号及相关联系人信息). Empty when none is set.
    #[serde(default)]
    pub contact: String,
    /// The buildings and units removed since they were saved (a mistyped
    /// unit deleted), each unit under its building: offered for no new
    /// case, but a tablet may have registered one there offline before it
    /// heard, and its op must still name a place the property holds. The
    /// server keeps what a save leaves out ([`Property::keep_removed`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<Building>,
}

/// A building of a property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Building {
    /// The building's id.
    pub id: BuildingId,
    /// The building's name (e.g. 3栋).
    pub name: String,
    /// The units of the building.
    #[serde(default)]
    pub units: Vec<Unit>,
}

/// A unit (户) of a building.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unit {
    /// The unit's id.
    pub id: UnitId,
    /// The unit's name (e.g. 1单元 502).
    pub name: String,
}

/// Where in a property a case is located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Location {
    /// A resident's unit.
    Unit {
        /// The building.
        building: BuildingId,
        /// The unit in that building.
        unit: UnitId,
    },
    /// A building as a whole (stairs, lift, facade).
    Building {
        /// The building.
        building: BuildingId,
    },
    /// A public area of the property (公共区域).
    PublicArea,
}

/// Splits a list of unit names typed or pasted with any common separator:
/// `101,102`, `101，102`, `101、102`, semicolons, one per line, or cells of a
/// spreadsheet row or column (tabs, line breaks). Spaces stay inside a name
/// (`1单元 101`).
pub fn split_unit_names(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；', '\n', '\r', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Property {
    /// Finds a building by id, a removed one too (its name, and the units
    /// removed from it).
    pub fn building(&self, id: BuildingId) -> Option<&Building> {
        self.buildings
            .iter()
            .chain(&self.removed)
            .find(|b| b.id == id)
    }

    /// Finds a unit of a building by their ids, a removed one too.
    fn unit(&self, building: BuildingId, unit: UnitId) -> Option<&Unit> {
        self.buildings
            .iter()
            .chain(&self.removed)
            .filter(|b| b.id == building)
            .flat_map(|b| &b.units)
            .find(|u| u.id == unit)
    }

    /// Whether `location` is one of the places this property offers for
    /// a new case or a correction: not one removed since.
    pub fn offers(&self, location: &Location) -> bool {
        match location {
            Location::PublicArea => true,
            Location::Building { building } => self.buildings.iter().any(|b| b.id == *building),
            Location::Unit { building, unit } => self
                .buildings
                .iter()
                .any(|b| b.id == *building && b.units.iter().any(|u| u.id == *unit)),
        }
    }

    /// Whether `location` lies inside this property (a place removed
    /// since does: a case may have been registered there before).
    pub fn contains(&self, location: &Location) -> bool {
        match location {
            Location::PublicArea => true,
            Location::Building { building } => self.building(*building).is_some(),
            Location::Unit { building, unit } => self.unit(*building, *unit).is_some(),
        }
    }

    /// Keeps, in [`Property::removed`], the places of `before` (the
    /// property as saved) that this one leaves out, besides those removed
    /// earlier; a place given back is no longer removed.
    pub fn keep_removed(&mut self, before: &Property) {
        let here = |b: BuildingId, u: Option<UnitId>| {
            self.buildings
                .iter()
                .any(|x| x.id == b && u.is_none_or(|u| x.units.iter().any(|y| y.id == u)))
        };
        let mut removed: Vec<Building> = Vec::new();
        // The buildings as they stand first: one removed whole is named as
        // it was then, not as an earlier removal of a unit kept it.
        for b in before.buildings.iter().chain(&before.removed) {
            let units: Vec<Unit> = b
                .units
                .iter()
                .filter(|u| !here(b.id, Some(u.id)))
                .cloned()
                .collect();
            // A building left out goes with its units; one kept, only
            // with those left out of it.
            if units.is_empty() && here(b.id, None) {
                continue;
            }
            match removed.iter_mut().find(|r| r.id == b.id) {
                Some(r) => {
                    for u in units {
                        if !r.units.iter().any(|x| x.id == u.id) {
                            r.units.push(u);
                        }
                    }
                }
                None => removed.push(Building {
                    id: b.id,
                    name: b.name.clone(),
                    units,
                }),
            }
        }
        self.removed = removed;
    }

    /// A human description of a location, e.g. `3栋 1单元502`, as the
    /// search finds it and the server stores it beside a case (public
    /// areas in Chinese).
    pub fn describe(&self, location: &Location) -> String {
        self.describe_in(location, Lang::ZhCn)
    }

    /// [`Property::describe`] for a reader of `lang`: the buildings and
    /// units are named as the company named them, public areas in `lang`.
    pub fn describe_in(&self, location: &Location, lang: Lang) -> String {
        match location {
            Location::PublicArea => lang.pick("公共区域", "Public area").to_string(),
            Location::Building { building } => self
                .building(*building)
                .map(|b| b.name.clone())
                .unwrap_or_default(),
            Location::Unit { building, unit } => match self.building(*building) {
                None => String::new(),
                Some(b) => {
                    let unit = self.unit(*building, *unit);
                    format!("{} {}", b.name, unit.map(|u| u.name.as_str()).unwrap_or(""))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn unit_names_split_on_every_common_separator_but_spaces() {
        assert_eq!(
            split_unit_names("101,102，103、104;105；106\n107\r\n108\t109\t\t"),
            [
                "101", "102", "103", "104", "105", "106", "107", "108", "109"
            ]
        );
        assert_eq!(split_unit_names(" 1单元 101 , "), ["1单元 101"]);
    }

    #[test]
    fn a_place_left_out_of_a_save_is_kept_as_removed() {
        let id = |n| Uuid::from_u128(n);
        let unit = |n: u128, name: &str| Unit {
            id: UnitId(id(n)),
            name: name.into(),
        };
        let building = |n: u128, name: &str, units: Vec<Unit>| Building {
            id: BuildingId(id(n)),
            name: name.into(),
            units,
        };
        let property = |buildings: Vec<Building>| Property {
            id: PropertyId(id(1)),
            code: "HY".into(),
            name: "华苑".into(),
            households: 100,
            buildings,
            retired: false,
            contact: String::new(),
            removed: Vec::new(),
        };
        let before = property(vec![
            building(10, "3栋", vec![unit(11, "501"), unit(12, "502")]),
            building(20, "4栋", vec![unit(21, "101")]),
        ]);
        // 502 mistyped and deleted, and 4栋 with its unit.
        let mut after = property(vec![building(10, "3号楼", vec![unit(11, "501")])]);
        after.keep_removed(&before);
        assert_eq!(
            after.removed,
            [
                building(10, "3栋", vec![unit(12, "502")]),
                building(20, "4栋", vec![unit(21, "101")]),
            ]
        );
        let removed_unit = Location::Unit {
            building: BuildingId(id(10)),
            unit: UnitId(id(12)),
        };
        assert!(after.contains(&removed_unit));
        assert!(after.contains(&Location::Unit {
            building: BuildingId(id(20)),
            unit: UnitId(id(21)),
        }));
        // Named under the building's name now.
        assert_eq!(after.describe(&removed_unit), "3号楼 502");
        // Saved again: still kept; 4栋 given back is no longer removed.
        let mut again = after.clone();
        again
            .buildings
            .push(building(20, "4栋", vec![unit(21, "101")]));
        again.keep_removed(&after);
        assert_eq!(again.removed, [building(10, "3栋", vec![unit(12, "502")])]);
        // Removed whole once renamed: named as it stood, with every unit.
        let mut gone = again.clone();
        gone.buildings.retain(|b| b.id != BuildingId(id(10)));
        gone.keep_removed(&again);
        assert_eq!(
            gone.removed,
            [building(
                10,
                "3号楼",
                vec![unit(11, "501"), unit(12, "502")]
            )]
        );
        // Offered for a new case: only the places that stand.
        assert!(!gone.offers(&removed_unit));
        assert!(gone.contains(&removed_unit));
        assert!(again.offers(&Location::Unit {
            building: BuildingId(id(20)),
            unit: UnitId(id(21)),
        }));
    }

    #[test]
    fn location_containment() {
        let b = BuildingId(Uuid::from_u128(10));
        let u = UnitId(Uuid::from_u128(11));
        let p = Property {
            id: PropertyId(Uuid::from_u128(1)),
            code: "HY".into(),
            name: "华苑".into(),
            households: 100,
            buildings: vec![Building {
                id: b,
                name: "3栋".into(),
                units: vec![Unit {
                    id: u,
                    name: "502".into(),
                }],
            }],
            retired: false,
            contact: String::new(),
            removed: Vec::new(),
        };
        assert!(p.contains(&Location::PublicArea));
        assert!(p.contains(&Location::Building { building: b }));
        assert!(p.contains(&Location::Unit {
            building: b,
            unit: u
        }));
        let other = UnitId(Uuid::from_u128(99));
        assert!(!p.contains(&Location::Unit {
            building: b,
            unit: other
        }));
        assert_eq!(
            p.describe(&Location::Unit {
                building: b,
                unit: u
            }),
            "3栋 502"
        );
        let json = serde_json::to_string(&Location::Building { building: b }).unwrap();
        assert_eq!(
            json,
            r#"{"type":"building","building":"00000000-0000-0000-0000-00000000000a"}"#
        );
    }
}
