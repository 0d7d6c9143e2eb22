//! The screens: login, case list, intake form, case detail, settings.

pub mod detail;
pub mod list;
pub mod login;
pub mod new_case;
pub mod settings;
