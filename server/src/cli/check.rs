//! `server check`: the database's integrity (SQLite's own checks, foreign
//! keys, and ops whose case has no materialized row), every stored blob
//! against its hash, the referenced blobs not uploaded (listed, not a
//! failure: their devices may still send them) and the stored blobs no
//! case references (listed, or removed with `--remove-unreferenced`).

use super::{Data, cli_audit};
use clap::Args;

/// The arguments of `check`.
#[derive(Args)]
pub struct Check {
    #[command(flatten)]
    data: Data,
    /// Remove the stored blobs no case references (an upload that went on
    /// while a retention deletion removed its case leaves one), and audit
    /// it. Safe while the server runs: each is checked again under the
    /// write lock.
    #[arg(long)]
    remove_unreferenced: bool,
}

impl Check {
    /// Prints `ok`, or fails with every problem found.
    pub fn run(self) -> Result<(), String> {
        let store = self.data.open_existing()?;
        let report = store.check().map_err(|e| e.to_string())?;
        for hash in &report.missing_blobs {
            println!("blob {hash} is referenced but not uploaded yet");
        }
        if self.remove_unreferenced {
            let audit = cli_audit("blobs.remove_unreferenced", serde_json::Value::Null);
            let removed = store
                .remove_unreferenced_blobs(&audit)
                .map_err(|e| e.to_string())?;
            for hash in &removed {
                println!("blob {hash} removed: no case references it");
            }
            println!("{} unreferenced blob(s) removed", removed.len());
        } else {
            for hash in &report.unreferenced_blobs {
                println!(
                    "blob {hash} is stored but no case references it (remove with --remove-unreferenced)"
                );
            }
        }
        if report.problems.is_empty() {
            println!("ok");
            Ok(())
        } else {
            Err(report.problems.join("\n"))
        }
    }
}
