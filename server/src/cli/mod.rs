//! The `server` commands besides parsing (`main.rs`): one module per
//! command, each with its arguments and its `run`, and the few things they
//! share here: the data directory, opening the store, a runtime, and the
//! audit record of a change made on the command line.

pub mod backup;
pub mod calendar;
pub mod certificates;
pub mod check;
pub mod first_admin;
pub mod migrate;
pub mod properties;
pub mod restore;
pub mod serve;
pub mod users;

use clap::Args;
use server::api::admin::create_user_checked;
use server::store::{AuditEntry, Store};
use shared::admin::NewUserRequest;
use shared::property::Property;
use std::path::PathBuf;
use std::sync::Arc;

/// The data directory argument every command takes.
#[derive(Args, Clone)]
pub struct Data {
    /// The data directory (holds the SQLite file).
    #[arg(long, default_value = "data", global = true)]
    pub data_dir: PathBuf,
}

impl Data {
    /// Opens (or creates) the store in the data directory.
    fn open(&self) -> Result<Arc<dyn Store>, String> {
        server::open_store(&self.data_dir)
            .map(|s| Arc::new(s) as Arc<dyn Store>)
            .map_err(|e| e.to_string())
    }

    /// Holds the data directory for this process: `serve` and `restore`
    /// must never run at the same time on one directory. The lock goes with
    /// the returned file (and with the process).
    fn lock(&self) -> Result<std::fs::File, String> {
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| format!("create {}: {e}", self.data_dir.display()))?;
        let path = self.data_dir.join("server.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("open {}: {e}", path.display()))?;
        file.try_lock().map_err(|_| {
            format!(
                "{} is in use by a running server; stop it first",
                self.data_dir.display()
            )
        })?;
        Ok(file)
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn property_by_code(store: &dyn Store, code: &str) -> Result<Property, String> {
    let code = code.trim().to_ascii_uppercase();
    store
        .properties()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|p| p.code == code)
        .ok_or_else(|| format!("no property with code {code}"))
}

/// The audit record of a change made on the server's command line: no
/// user or device, the address says where it came from.
fn cli_audit(action: &str, detail: serde_json::Value) -> AuditEntry {
    AuditEntry::unattended(action, "command line", detail)
}

/// Creates a user with the same checks as the admin API.
fn create_user(store: Arc<dyn Store>, req: NewUserRequest) -> Result<shared::role::User, String> {
    let state = server::state(store);
    runtime()?
        .block_on(create_user_checked(
            &state,
            req,
            cli_audit("user.create", serde_json::Value::Null),
        ))
        .map_err(|e| format!("{e:?}"))
}
