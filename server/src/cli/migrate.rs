//! `server migrate`: moves an installation from its SQLite file to an
//! empty PostgreSQL database, then verifies the copy (rows of every table
//! and a checksum of the op log). The SQLite file is left as it was, so
//! moving back is starting the old server again.

use super::Data;
use clap::Args;
use server::store::postgres::PgStore;
use server::store::{Store, postgres_copy};

/// The arguments of `migrate`.
#[derive(Args)]
pub struct Migrate {
    /// The data directory whose SQLite database is moved.
    #[arg(long = "from-data-dir")]
    from: std::path::PathBuf,
    /// The PostgreSQL database to move it into (empty; the schema is
    /// created): `postgres://user:password@host:port/database`.
    #[arg(long)]
    to: String,
    /// The certificate authority (PEM) of the database's TLS certificate,
    /// if the system's do not vouch for it.
    #[arg(long)]
    database_ca: Option<std::path::PathBuf>,
}

impl Migrate {
    /// Copies, verifies and prints what was moved.
    pub fn run(self) -> Result<(), String> {
        let data = Data::sqlite(self.from.clone());
        data.refuse_without_database()?;
        // No server may write the file while it is copied.
        let _lock = data.lock()?;
        let target = PgStore::open(
            &self.to,
            2,
            self.database_ca.as_deref(),
            &self.from.join("blobs"),
        )
        .map_err(|e| e.to_string())?;
        let report = postgres_copy::copy(&self.from.join(server::DB_FILE), &target)
            .map_err(|e| e.to_string())?;
        // Recorded in the new database after the copy is verified (the
        // verification counts the audit rows copied): who moved it is the
        // operator at the command line, from which file, and what.
        let moved = serde_json::json!({
            "from": self.from.join(server::DB_FILE).display().to_string(),
            "rows": report.rows.iter().map(|(table, rows)| (table.to_string(), *rows)).collect::<std::collections::BTreeMap<_, _>>(),
            "op_log_sha256": report.op_log_sha256,
        });
        target
            .audit(super::cli_audit("database.migrate", moved))
            .map_err(|e| e.to_string())?;
        for (table, rows) in &report.rows {
            println!("{table:<18} {rows:>10} rows");
        }
        println!("op log sha256      {}", report.op_log_sha256);
        println!(
            "verified: every table has as many rows in PostgreSQL as in SQLite, and the op logs match"
        );
        println!(
            "evidence files are not in the database: they stay in {}",
            self.from.join("blobs").display()
        );
        Ok(())
    }
}
