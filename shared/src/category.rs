//! Case categories. They are data, editable by the admin, and travel to the
//! devices through sync; these are the defaults for property management.

use crate::lang::Lang;
use serde::{Deserialize, Serialize};

/// A category a case is filed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    /// Stable code stored on cases (e.g. `maintenance`).
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Retired categories stay for old cases but are not offered for new ones.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl Category {
    /// The name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_zh, &self.name_en)
    }
}

/// The default categories from docs/domain.md.
pub fn default_categories() -> Vec<Category> {
    [
        ("maintenance", "维修服务", "Maintenance"),
        ("front_desk", "前台接待", "Front desk"),
        ("cleaning", "保洁", "Cleaning"),
        ("landscaping", "绿化", "Landscaping"),
        ("security", "安保/治安", "Security"),
        ("parking", "停车", "Parking"),
        ("noise", "噪音", "Noise"),
        ("fees", "收费", "Fees"),
        ("common_facilities", "公共设施", "Common facilities"),
        ("renovation", "装修", "Renovation"),
        ("neighbours", "邻里", "Neighbours"),
        ("staff_attitude", "服务态度", "Staff attitude"),
        ("other", "其他", "Other"),
    ]
    .into_iter()
    .map(|(code, zh, en)| Category {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        active: true,
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_unique_and_named() {
        let cats = default_categories();
        assert_eq!(cats.len(), 13);
        let mut codes: Vec<_> = cats.iter().map(|c| c.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 13);
        assert_eq!(cats[0].name(Lang::ZhCn), "维修服务");
        assert_eq!(cats[0].name(Lang::En), "Maintenance");
    }
}
