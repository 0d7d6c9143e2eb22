//! `server check`: the database's integrity (SQLite's own checks, foreign
//! keys, and ops whose case has no materialized row).

use super::Data;
use clap::Args;

/// The arguments of `check`.
#[derive(Args)]
pub struct Check {
    #[command(flatten)]
    data: Data,
}

impl Check {
    /// Prints `ok`, or fails with every problem found.
    pub fn run(self) -> Result<(), String> {
        let store = self.data.open()?;
        let problems = store.check().map_err(|e| e.to_string())?;
        if problems.is_empty() {
            println!("ok");
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}
