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
pub mod new_epoch;
pub mod properties;
pub mod restore;
pub mod serve;
pub mod users;

use clap::Args;
use server::api::admin::{create_user_checked, import_users_checked};
use server::store::{AuditEntry, Store};
use shared::admin::{ImportedUser, NewUserRequest};
use shared::property::Property;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the data is, the arguments every command takes: the SQLite file
/// in the data directory, or a PostgreSQL database with the data
/// directory holding only the evidence files.
#[derive(Args, Clone)]
pub struct Data {
    /// The data directory (holds the SQLite file and the evidence files).
    #[arg(long, default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Run on this PostgreSQL database (`postgres://user:password@host/db`,
    /// with `?sslmode=require` for TLS) instead of the SQLite file; the
    /// data directory then holds only the evidence files, and must be
    /// shared by every server on the database.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "SERVER_DATABASE",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// The certificate authority (PEM) of the database's TLS certificate,
    /// if the system's do not vouch for it.
    #[arg(long, global = true, value_name = "FILE", requires = "database")]
    pub database_ca: Option<PathBuf>,
    /// How many connections to the database this process keeps at most.
    #[arg(long, global = true, default_value_t = server::store::postgres::DEFAULT_POOL_SIZE)]
    pub pool_size: usize,
}

impl Data {
    /// The data directory alone, on SQLite.
    pub fn sqlite(data_dir: PathBuf) -> Data {
        Data {
            data_dir,
            database: None,
            database_ca: None,
            pool_size: server::store::postgres::DEFAULT_POOL_SIZE,
        }
    }

    /// Opens (or creates) the store: the database given, or the SQLite
    /// file in the data directory.
    fn open(&self) -> Result<Arc<dyn Store>, String> {
        // Said, on standard error: a mistyped --data-dir makes a new empty
        // database, and the user or property added there is not where the
        // server runs.
        let file = self.data_dir.join(server::DB_FILE);
        if self.database.is_none() && !file.exists() {
            eprintln!("note: no database at {}; making a new one", file.display());
        }
        match &self.database {
            Some(url) => server::open_postgres(
                url,
                self.pool_size,
                self.database_ca.as_deref(),
                &self.data_dir,
            )
            .map(|s| Arc::new(s) as Arc<dyn Store>),
            None => server::open_store(&self.data_dir).map(|s| Arc::new(s) as Arc<dyn Store>),
        }
        .map_err(|e| e.to_string())
    }

    /// Opens the store a server made, never making one: with a mistyped
    /// `--data-dir` a new empty database would be copied by a backup and
    /// found healthy by a check.
    fn open_existing(&self) -> Result<Arc<dyn Store>, String> {
        self.refuse_without_database()?;
        self.open()
    }

    /// [`Data::open_existing`] for a command that runs beside a server
    /// (`backup`, `check`): a database of another schema than this build's
    /// is refused rather than migrated. A newer build run from a
    /// cron job would otherwise upgrade the schema under the older server
    /// still running, holding its writes meanwhile.
    fn open_as_it_is(&self) -> Result<Arc<dyn Store>, String> {
        self.refuse_without_database()?;
        if let Some(url) = &self.database {
            return server::store::postgres::PgStore::open_as_it_is(
                url,
                self.pool_size,
                self.database_ca.as_deref(),
                &self.data_dir.join("blobs"),
            )
            .map(|s| Arc::new(s) as Arc<dyn Store>)
            .map_err(|e| e.to_string());
        }
        let file = self.data_dir.join(server::DB_FILE);
        let version: i64 = rusqlite::Connection::open_with_flags(
            &file,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .map_err(|e| format!("read {}: {e}", file.display()))?;
        let ours = server::store::schema::latest();
        if version != ours {
            return Err(format!(
                "{} is at schema {version} and this build's is {ours}: run this command \
                 with the build of the server that runs on it (a server of this build \
                 upgrades it when it starts)",
                file.display()
            ));
        }
        self.open()
    }

    /// Refuses a data directory without the SQLite file (a PostgreSQL
    /// database is named by its URL, so it is not mistaken so).
    fn refuse_without_database(&self) -> Result<(), String> {
        let file = self.data_dir.join(server::DB_FILE);
        match self.database {
            None if !file.is_file() => Err(format!(
                "no database at {}; pass the --data-dir the server runs with",
                file.display()
            )),
            _ => Ok(()),
        }
    }

    /// Refuses a database for a command that works on the SQLite file.
    fn sqlite_only(&self, what: &str) -> Result<(), String> {
        match self.database {
            Some(_) => Err(format!(
                "{what} works on the SQLite file; a PostgreSQL database is backed up and \
                 restored with PostgreSQL's own tools (pg_dump, base backups and WAL archiving)"
            )),
            None => Ok(()),
        }
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

/// Creates the users of a roster, all or none, with the same checks as the
/// admin API; they change their passwords at the first login.
fn import_users(
    store: Arc<dyn Store>,
    users: Vec<NewUserRequest>,
) -> Result<Vec<ImportedUser>, String> {
    let state = server::state(store);
    runtime()?
        .block_on(import_users_checked(
            &state,
            users,
            true,
            cli_audit("user.create", serde_json::Value::Null),
        ))
        .map_err(|e| e.to_string())
}

/// The audit record of a change made on the server's command line: no
/// user or device, the address says where it came from.
pub(super) fn cli_audit(action: &str, detail: serde_json::Value) -> AuditEntry {
    AuditEntry::unattended(action, shared::admin::COMMAND_LINE, detail)
}

/// Creates a user with the same checks as the admin API.
fn create_user(
    store: Arc<dyn Store>,
    req: NewUserRequest,
    must_change_password: bool,
) -> Result<shared::role::User, String> {
    let state = server::state(store);
    runtime()?
        .block_on(create_user_checked(
            &state,
            req,
            must_change_password,
            cli_audit("user.create", serde_json::Value::Null),
        ))
        .map_err(|e| e.to_string())
}
