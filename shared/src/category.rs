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

/// The most categories a company keeps (retired ones count): every form's
/// list and every statistic's rows hold them.
pub const MAX_CATEGORIES: usize = 200;
/// The longest category name, in characters.
pub const MAX_CATEGORY_NAME_CHARS: usize = 40;
/// The longest category code, in characters.
pub const MAX_CATEGORY_CODE_CHARS: usize = 32;

/// Why a category list was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryError {
    /// A code is empty, too long, or not lowercase ASCII letters, digits and `_`.
    BadCode(String),
    /// A category has no Chinese or no English name.
    MissingName(String),
    /// A code is listed twice.
    Duplicate(String),
    /// Nothing left to register cases under.
    NoneActive,
    /// A name longer than [`MAX_CATEGORY_NAME_CHARS`], or of more than one
    /// line.
    LongName(String),
    /// More than [`MAX_CATEGORIES`] categories.
    TooMany,
}

impl CategoryError {
    /// The stable code the server answers with, which also names the
    /// problem beside its row in the admin's form.
    pub fn code(&self) -> &'static str {
        match self {
            CategoryError::BadCode(_) => "categories.bad_code",
            CategoryError::MissingName(_) => "categories.missing_name",
            CategoryError::Duplicate(_) => "categories.duplicate_code",
            CategoryError::NoneActive => "categories.none_active",
            CategoryError::LongName(_) => "categories.long_name",
            CategoryError::TooMany => "categories.too_many",
        }
    }
}

/// Each category's problem, by its place in `categories`, judged as
/// [`check_categories`] judges (trimmed), the first problem of each;
/// a list with none active is told at its first category. What the
/// admin's form shows beside each row.
pub fn problems(categories: &[Category]) -> Vec<(usize, CategoryError)> {
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    for (at, c) in categories.iter().enumerate() {
        let code = c.code.trim();
        let valid_code = !code.is_empty()
            && code.len() <= MAX_CATEGORY_CODE_CHARS
            && code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        let (name_zh, name_en) = (c.name_zh.trim(), c.name_en.trim());
        let problem = if !valid_code {
            Some(CategoryError::BadCode(code.to_string()))
        } else if name_zh.is_empty() || name_en.is_empty() {
            Some(CategoryError::MissingName(code.to_string()))
        } else if [name_zh, name_en].iter().any(|n| {
            n.chars().count() > MAX_CATEGORY_NAME_CHARS || !crate::validation::is_plain_name(n)
        }) {
            Some(CategoryError::LongName(code.to_string()))
        } else if !seen.insert(code) {
            Some(CategoryError::Duplicate(code.to_string()))
        } else {
            None
        };
        if let Some(problem) = problem {
            found.push((at, problem));
        }
    }
    if found.is_empty() && !categories.is_empty() && !categories.iter().any(|c| c.active) {
        found.push((0, CategoryError::NoneActive));
    }
    found
}

/// Checks and tidies (trims) a new category list. Whether it keeps every
/// code in use is checked as it is stored.
pub fn check_categories(categories: Vec<Category>) -> Result<Vec<Category>, CategoryError> {
    if categories.len() > MAX_CATEGORIES {
        return Err(CategoryError::TooMany);
    }
    if categories.is_empty() {
        return Err(CategoryError::NoneActive);
    }
    if let Some((_, problem)) = problems(&categories).into_iter().next() {
        return Err(problem);
    }
    Ok(categories
        .into_iter()
        .map(|c| Category {
            code: c.code.trim().to_string(),
            name_zh: c.name_zh.trim().to_string(),
            name_en: c.name_en.trim().to_string(),
            active: c.active,
        })
        .collect())
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

    fn cat(code: &str, active: bool) -> Category {
        Category {
            code: code.into(),
            name_zh: "名".into(),
            name_en: "Name".into(),
            active,
        }
    }

    fn check(list: Vec<Category>) -> Result<Vec<Category>, CategoryError> {
        check_categories(list)
    }

    #[test]
    fn categories_are_checked() {
        assert!(check(vec![cat("noise", true), cat("fees", false)]).is_ok());
        assert_eq!(
            check(vec![cat(" noise ", true)]).unwrap()[0].code,
            "noise",
            "trimmed"
        );
        assert_eq!(
            check(vec![cat("Noise", true)]),
            Err(CategoryError::BadCode("Noise".into()))
        );
        assert_eq!(
            check(vec![cat("", true)]),
            Err(CategoryError::BadCode(String::new()))
        );
        assert_eq!(
            check(vec![cat("a", true), cat("a", false)]),
            Err(CategoryError::Duplicate("a".into()))
        );
        let mut unnamed = cat("a", true);
        unnamed.name_en = " ".into();
        assert_eq!(
            check(vec![unnamed]),
            Err(CategoryError::MissingName("a".into()))
        );
        assert_eq!(
            check(vec![cat("noise", false)]),
            Err(CategoryError::NoneActive)
        );
    }

    #[test]
    fn each_row_is_told_its_own_problem() {
        let mut long = cat("long", true);
        long.name_zh = "长".repeat(MAX_CATEGORY_NAME_CHARS + 1);
        let found = problems(&[cat("ok", true), long, cat("ok", true), cat("Bad", true)]);
        let codes: Vec<(usize, &str)> = found.iter().map(|(at, p)| (*at, p.code())).collect();
        assert_eq!(
            codes,
            [
                (1, "categories.long_name"),
                (2, "categories.duplicate_code"),
                (3, "categories.bad_code")
            ]
        );
        assert_eq!(check(vec![cat("a", true)]).map(|l| l.len()), Ok(1));
    }
}
