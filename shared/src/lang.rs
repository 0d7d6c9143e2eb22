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
    /// The language's tag (BCP 47), as serde writes it: what the app stores
    /// and puts in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language a tag names, `None` for any other tag.
    pub fn from_code(code: &str) -> Option<Lang> {
        [Lang::ZhCn, Lang::En]
            .into_iter()
            .find(|l| l.code() == code)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_serde_tags() {
        for lang in [Lang::ZhCn, Lang::En] {
            let json = serde_json::to_string(&lang).expect("serialize");
            assert_eq!(json, format!("\"{}\"", lang.code()));
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("fr"), None);
    }
}
