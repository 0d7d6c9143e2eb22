//! `server restore`: replaces the database with a backup while the server
//! is stopped (the data directory's lock says so), starting a new epoch
//! (`store/sqlite_restore.rs`), and takes in the backup's blobs
//! (`FILE.blobs/`) that the data directory lacks. Blobs already there stay:
//! devices resend their ops after a restore, and those may name them.

use super::Data;
use chrono::Utc;
use clap::Args;
use shared::id::CaseId;
use std::path::PathBuf;

/// The arguments of `restore`.
#[derive(Args)]
pub struct Restore {
    #[command(flatten)]
    data: Data,
    /// A file written by `server backup`.
    file: PathBuf,
}

impl Restore {
    /// Restores and says what became of the replaced database.
    pub fn run(self) -> Result<(), String> {
        let Restore { data, file } = self;
        data.sqlite_only("restore")?;
        let _lock = data.lock()?;
        if !file.is_file() {
            return Err(format!("{} is not a file", file.display()));
        }
        std::fs::create_dir_all(&data.data_dir).map_err(|e| e.to_string())?;
        let report = server::store::sqlite_restore::restore(
            &data.data_dir.join(server::DB_FILE),
            &file,
            Utc::now(),
        )
        .map_err(|e| e.to_string())?;
        println!(
            "restored {} as epoch {}; kept {} device(s) the backup did not know",
            file.display(),
            report.epoch,
            report.devices_kept
        );
        if let Some(old) = report.replaced {
            println!("the replaced database is kept as {}", old.display());
        }
        if let Some(why) = &report.blind {
            println!(
                "warning: {why}, so nothing since the backup was carried over: devices first \
                 seen since log in as new ones (their unsent records can be exported from \
                 their settings screen and imported by an admin), and users, passwords and \
                 revocations are as the backup has them; check them in the admin screen"
            );
        }
        let from = server::store::backup_blobs_dir(&file);
        let imported = if from.is_dir() {
            import_blobs(&data, &from)
        } else {
            println!(
                "warning: there is no {} beside the backup, so no photo, signature or \
                 document was restored with it; if the blob directory was lost too, \
                 `server check` names the evidence that is missing",
                from.display()
            );
            Ok(())
        };
        // After the blobs are taken in: the deletion removes the files of
        // the cases it deletes, which the backup's directory brought back.
        // Each step is done whatever the other found; both are said.
        let deleted = if report.deleted_since.is_empty() {
            Ok(())
        } else {
            delete_again(&data, &report.deleted_since)
        };
        imported.and(deleted)
    }
}

/// Takes in the blobs of the backup's directory `from` that the data
/// directory lacks or holds damaged.
fn import_blobs(data: &Data, from: &std::path::Path) -> Result<(), String> {
    let blobs = server::store::blobs::BlobStore::open(&data.data_dir.join("blobs"))
        .map_err(|e| e.to_string())?;
    let (taken, skipped) = blobs
        .import_from(from)
        .map_err(|e| format!("restore blobs from {}: {e}", from.display()))?;
    println!("restored {taken} blob(s) from {}", from.display());
    if skipped.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "these blobs in the backup do not match their names and were not restored: {}",
            skipped.join(", ")
        ))
    }
}

/// Deletes again the cases the replaced database had deleted since the
/// backup (their retention period had passed; the restore brought them
/// back, with their evidence), or every tablet would pull them again. The
/// retention rule is not asked again: it was met when they were deleted,
/// and a case the backup holds still open would otherwise never be
/// deletable, its tablets having let go of its later ops.
fn delete_again(data: &Data, cases: &[CaseId]) -> Result<(), String> {
    // The list is known only now, from the database the restore replaced:
    // said whole if the deletion cannot run, to be done by hand.
    let store = data.open().map_err(|e| {
        let ids: Vec<String> = cases.iter().map(ToString::to_string).collect();
        format!(
            "{e}; these cases were deleted since the backup and are back: {}",
            ids.join(", ")
        )
    })?;
    let mut deleted = 0;
    // Each case is tried even when one fails (a full disk): the list of
    // those left is known only here, and a second restore cannot find it.
    let mut failed = Vec::new();
    for id in cases {
        let audit = super::cli_audit(
            "case.delete",
            serde_json::json!({ "case": id, "after_restore": true }),
        );
        match store.delete_case(*id, false, Utc::now(), &audit) {
            Ok(Ok(_)) => deleted += 1,
            Ok(Err(refusal)) => {
                println!("case {id} was not deleted again: {}", refusal.code())
            }
            Err(e) => failed.push(format!("{id} ({e})")),
        }
    }
    println!("deleted again {deleted} case(s) deleted since the backup");
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "these cases were deleted since the backup and are back, to delete by hand: {}",
            failed.join(", ")
        ))
    }
}
