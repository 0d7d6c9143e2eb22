//! `server new-epoch`: after a database was restored with other tools than
//! `server restore` (PostgreSQL's `pg_restore` or point-in-time recovery,
//! or an SQLite file copied back by hand), tells every tablet so. The
//! restored database is older than what the tablets hold: a new epoch makes
//! each resend its ops above what the server acknowledges and pull again
//! from the start (`shared::device::DeviceState::take_answer`), as after
//! `server restore`.

use super::{Data, cli_audit};
use clap::Args;

/// The arguments of `new-epoch`.
#[derive(Args)]
pub struct NewEpoch {
    #[command(flatten)]
    data: Data,
}

impl NewEpoch {
    /// Starts the epoch and says which it is.
    pub fn run(self) -> Result<(), String> {
        let store = self.data.open_existing()?;
        let epoch = store
            .start_epoch(&cli_audit("server.new_epoch", serde_json::Value::Null))
            .map_err(|e| e.to_string())?;
        println!("epoch {epoch}: every tablet resends what this database lacks and pulls again");
        // `server restore` deletes them again from the replaced database's
        // tombstones; a database restored with other tools has none.
        println!(
            "cases deleted at the end of their retention period after this backup was made are \
             back, and go to the tablets again: delete them again before the servers take \
             requests (each case's page, 删除, by an admin)"
        );
        Ok(())
    }
}
