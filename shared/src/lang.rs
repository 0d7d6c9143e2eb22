//! The two languages the product speaks. Every user-facing message in this
//! crate comes in both, chosen by [`Lang`].

use serde::{Deserialize, Serialize};

/// A UI language. Simplified Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    /// 简体中文
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }
}

/// Something with a stable machine code and a message in both languages.
pub trait Coded {
    /// A stable dotted code such as `validation.phone_malformed`.
    fn code(&self) -> &'static str;
    /// The message for a person, in `lang`.
    fn message(&self, lang: Lang) -> String;
}
