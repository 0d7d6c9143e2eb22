//! The rules of the complaint and service-case system, written once.
//!
//! This crate is the single home of every business rule: the case model, the
//! workflow state machine, roles and property scope, the working-day deadline
//! engine with the Chinese statutory holiday calendar, compensation approval,
//! registration numbers, and the sync op log with its deterministic fold.
//!
//! **Architecture Invariant:** this crate does no IO. It never reads a clock,
//! never draws randomness and never touches storage: `now`, ids and the
//! calendar are passed in. That is what lets the tablet (wasm) and the server
//! (native) fold the same ops to byte-identical cases. `clippy.toml` bans the
//! clock and random-id constructors here.
//!
//! **Architecture Invariant:** the wire types live here (`op`, `wire`,
//! `report`, `admin`), so the
//! app and the server agree on the format by construction.

pub mod admin;
pub mod blob;
pub mod calendar;
pub mod case;
pub mod category;
pub mod code;
pub mod compensation;
pub mod deadline;
pub mod device;
pub mod duplicate;
pub mod fold;
pub mod hlc;
pub mod id;
pub mod idle_lock;
pub mod inbox;
pub mod lang;
pub mod op;
pub mod personal_data;
pub mod phone;
pub mod proof;
pub mod property;
pub mod regno;
pub mod report;
pub mod role;
pub mod roster;
pub mod search;
pub mod settings;
#[cfg(any(test, feature = "sim"))]
pub mod sim;
pub mod timestamp;
pub mod validation;
pub mod wire;
pub mod workflow;
