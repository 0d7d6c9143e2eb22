//! The screens: login, the password change, case list, the inbox (我的待办),
//! intake form, case detail, settings; and, online only, the head-office dashboard and the
//! administration. The printable record form works offline from the
//! device's own fold.

pub mod admin;
pub mod dashboard;
pub mod detail;
pub mod draft;
pub mod handover;
pub mod inbox;
pub mod list;
pub mod login;
pub mod new_case;
pub mod password;
pub mod print;
pub mod receipt;
pub mod settings;
