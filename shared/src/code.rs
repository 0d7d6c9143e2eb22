//! The small enums the product stores, sends and shows (kinds, channels,
//! states, clocks, roles…), each declared once by [`coded_enum!`] from one
//! table of `(Variant, "code", "中文", "English")`.
//!
//! The code is the variant's serde name, so the wire format and the stored
//! ops are exactly what `#[serde(rename_all = "snake_case")]` gave before the
//! table existed; the tests check that for every enum. The words are the ones
//! the app and the server's exports show.

use crate::lang::Lang;

/// What [`coded_enum!`] gives an enum, for code that works on any of them
/// (e.g. naming a stored code in an export). The same methods are inherent
/// on each enum, so callers need not import this trait.
pub trait CodedEnum: Sized + Copy + 'static {
    /// Every variant, in declaration order.
    fn all() -> &'static [Self];
    /// The stable code used on the wire and in the database.
    fn code(self) -> &'static str;
    /// Parses a code; `None` for an unknown one.
    fn from_code(code: &str) -> Option<Self>;
    /// The name for a person, in `lang`.
    fn label(self, lang: Lang) -> &'static str;
}

/// Declares a fieldless enum from a table of variants with their code and
/// their Chinese and English names: the enum (with serde renamed to the
/// codes), `ALL`, `code`, `from_code`, `label` and [`CodedEnum`].
///
/// ```text
/// coded_enum! {
///     /// Severity set at assessment.
///     pub enum Severity {
///         /// 轻微
///         Minor = ("minor", "轻微", "Minor"),
///     }
/// }
/// ```
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = ($code:literal, $zh:literal, $en:literal)
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
        )]
        // Serde takes each variant's code from the table below; the OpenAPI
        // derive does not see a literal passed through a macro, so it names
        // the variants by this rule, which the tests hold equal to the codes.
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $code)]
                $variant,
            )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($code),+].len()] = [$($name::$variant),+];

            /// The stable code used on the wire and in the database.
            pub const fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// Parses a code; `None` for an unknown one.
            pub fn from_code(code: &str) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The name for a person, in `lang`.
            pub fn label(self, lang: $crate::lang::Lang) -> &'static str {
                match self {
                    $($name::$variant => lang.pick($zh, $en),)+
                }
            }
        }

        impl $crate::code::CodedEnum for $name {
            fn all() -> &'static [Self] {
                &$name::ALL
            }
            fn code(self) -> &'static str {
                $name::code(self)
            }
            fn from_code(code: &str) -> Option<Self> {
                $name::from_code(code)
            }
            fn label(self, lang: $crate::lang::Lang) -> &'static str {
                $name::label(self, lang)
            }
        }
    };
}

pub(crate) use coded_enum;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{
        ApprovalState, AttachmentKind, CaseKind, CaseState, Channel, ContactMethod, NoteKind,
        Outcome, Severity, Validity,
    };
    use crate::deadline::{Clock, ClockStatus};
    use crate::op::ActionKind;
    use crate::report::PeriodKind;
    use crate::role::Role;
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    /// The serde name is the code, the code is the variant's name in
    /// snake_case (what the OpenAPI document lists), codes are distinct, they
    /// parse back, and both languages have a word.
    fn check<T: CodedEnum + Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>() {
        let mut codes = std::collections::BTreeSet::new();
        for &v in T::all() {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.code()));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), v);
            assert_eq!(T::from_code(v.code()), Some(v));
            assert_eq!(v.code(), snake_case(&format!("{v:?}")));
            assert!(codes.insert(v.code()), "{v:?} twice");
            assert!(!v.label(Lang::ZhCn).is_empty() && !v.label(Lang::En).is_empty());
        }
        assert_eq!(T::from_code("no_such_code"), None);
    }

    fn snake_case(name: &str) -> String {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }

    #[test]
    fn every_table_round_trips() {
        check::<CaseKind>();
        check::<Channel>();
        check::<Severity>();
        check::<Validity>();
        check::<CaseState>();
        check::<NoteKind>();
        check::<ApprovalState>();
        check::<ContactMethod>();
        check::<AttachmentKind>();
        check::<Outcome>();
        check::<Clock>();
        check::<ClockStatus>();
        check::<Role>();
        check::<ActionKind>();
        check::<PeriodKind>();
        check::<crate::inbox::ReasonKind>();
    }

    #[test]
    fn codes_are_the_snake_case_names_stored_before() {
        // A few spelled out, so a changed table cannot silently follow a
        // renamed variant: these strings are in ops already stored.
        assert_eq!(Channel::WalkIn.code(), "walk_in");
        assert_eq!(CaseState::SolutionProposed.code(), "solution_proposed");
        assert_eq!(NoteKind::CauseAnalysis.code(), "cause_analysis");
        assert_eq!(ApprovalState::NotNeeded.code(), "not_needed");
        assert_eq!(Clock::FollowUpRepair.code(), "follow_up_repair");
        assert_eq!(ClockStatus::MetOnTime.code(), "met_on_time");
        assert_eq!(Role::DeputyGm.code(), "deputy_gm");
        assert_eq!(ActionKind::ResolveConflict.code(), "resolve_conflict");
        assert_eq!(Severity::Major.label(Lang::ZhCn), "重大");
        assert_eq!(Validity::Unfounded.label(Lang::En), "Unfounded");
    }
}
