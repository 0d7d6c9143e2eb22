//! `server backup`: a consistent copy of the database (SQLite's `VACUUM
//! INTO`), safe while the server runs, and the blobs in a directory beside
//! it (`FILE.blobs/`).

use super::Data;
use chrono::Utc;
use clap::Args;
use std::path::PathBuf;

/// The arguments of `backup`.
#[derive(Args)]
pub struct Backup {
    #[command(flatten)]
    data: Data,
    /// The file to write (must not exist).
    out: PathBuf,
}

impl Backup {
    /// Writes the copy.
    pub fn run(self) -> Result<(), String> {
        self.data.sqlite_only("backup")?;
        let store = self.data.open_as_it_is()?;
        let blobs = store.backup(&self.out).map_err(|e| e.to_string())?;
        println!(
            "backup written to {} with {blobs} blob(s) in {} at {}",
            self.out.display(),
            server::store::backup_blobs_dir(&self.out).display(),
            Utc::now()
        );
        Ok(())
    }
}
