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
    /// Finds a building by id.
    pub fn building(&self, id: BuildingId) -> Option<&Building> {
        self.buildings.iter().find(|b| b.id == id)
    }

    /// Whether `location` lies inside this property.
    pub fn contains(&self, location: &Location) -> bool {
        match location {
            Location::PublicArea => true,
            Location::Building { building } => self.building(*building).is_some(),
            Location::Unit { building, unit } => self
                .building(*building)
                .is_some_and(|b| b.units.iter().any(|u| u.id == *unit)),
        }
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
                    let unit = b.units.iter().find(|u| u.id == *unit);
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
