//! `server check`: the database's integrity (SQLite's own checks, foreign
//! keys, and ops whose case has no materialized row), every stored blob
//! against its hash, the referenced blobs not uploaded (listed, not a
//! failure: their devices may still send them) and the stored blobs no
//! case references (listed, not removed: after a restore, a tablet may
//! still send the op that names one).

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
        let store = self.data.open_as_it_is()?;
        let report = store.check().map_err(|e| e.to_string())?;
        for hash in &report.missing_blobs {
            println!("blob {hash} is referenced but not uploaded yet");
        }
        for hash in &report.unreferenced_blobs {
            println!("blob {hash} is stored but no case references it");
        }
        if report.problems.is_empty() {
            println!("ok");
            Ok(())
        } else {
            Err(report.problems.join("\n"))
        }
    }
}
