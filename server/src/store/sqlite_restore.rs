//! Restoring a backup so that devices survive it.
//!
//! A backup is older than the database it replaces: devices may have
//! synced ops the backup lacks, pulled sequence numbers it will hand out
//! again, and been given device numbers it does not know. So a restore
//! starts a new **epoch**: every push, pull and login answer carries it, and
//! a device that sees it change resends its own ops above the server's
//! acknowledgement and pulls again from the start
//! (`shared::device::DeviceState::take_answer`). Device numbers, the
//! server sequence and the epoch only ever grow, and devices (with their
//! secrets and revocations) that the replaced database knew are kept, so a
//! tablet logs in as itself and no registration number is made twice.
//! Users added, sessions ended, users disabled, passwords changed, roles
//! and properties given, properties added or changed, the settings,
//! categories and calendar saved and the spot-check draws made since the
//! backup stay so; the cases deleted since are named for the caller to delete
//! again ([`RestoreReport::deleted_since`]).
//!
//! A restore is often for a database that is damaged: when the replaced
//! one cannot be read (or there is none), nothing is carried over and the
//! counters move on as `server new-epoch` moves them ([`RestoreReport::blind`]).
//!
//! The replaced database is kept next to it, renamed, never deleted.

use super::cases_sql::DEVICE_NUMBERS_SKIPPED;
use super::sqlite::{not_newer, ts};
use super::{StoreError, StoreResult, schema};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, Transaction, params};
use shared::id::CaseId;
use std::path::{Path, PathBuf};

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The new epoch.
    pub epoch: u64,
    /// Devices the backup did not know, kept from the replaced database.
    pub devices_kept: u64,
    /// Where the replaced database now is, if there was one.
    pub replaced: Option<PathBuf>,
    /// Cases the replaced database had deleted (retention) since the
    /// backup, which the backup still holds: the caller deletes them again
    /// ([`crate::store::administration::Administration::delete_case`]), or
    /// tablets would pull them back.
    pub deleted_since: Vec<CaseId>,
    /// Why nothing could be carried over from the database replaced, if
    /// nothing was (there was none, or it is too damaged to read). The
    /// epoch is then one never used and device numbers move on by
    /// [`DEVICE_NUMBERS_SKIPPED`], as after `server new-epoch`; devices,
    /// sessions ended and users changed since the backup are not known.
    pub blind: Option<String>,
}

/// What the carry-over found (module docs).
struct Carried {
    devices_kept: u64,
    deleted_since: Vec<CaseId>,
}

/// The counters a restore moves on: epoch, server sequence, device number.
struct Counters {
    epoch: i64,
    server_seq: i64,
    device_number: i64,
}

/// Replaces the database at `db` with the backup at `backup`. The server
/// must not be running (the caller holds the data directory's lock).
pub fn restore(db: &Path, backup: &Path, now: DateTime<Utc>) -> StoreResult<RestoreReport> {
    let staging = db.with_extension("restoring");
    let _ = std::fs::remove_file(&staging);
    std::fs::copy(backup, &staging)
        .map_err(|e| StoreError::Internal(format!("copy {}: {e}", backup.display())))?;
    let mut conn = Connection::open(&staging)?;
    let problems: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if problems != "ok" {
        return Err(StoreError::Internal(format!(
            "{} is damaged: {problems}",
            backup.display()
        )));
    }
    // Checked before anything is replaced: a backup of a newer build would
    // be swapped in for a database no server of this build can open.
    not_newer(&conn, &format!("the backup {}", backup.display()))?;
    schema::migrate(&mut conn)?;
    let tx = conn.transaction()?;
    let counter = |name: &str| -> StoreResult<i64> {
        Ok(
            tx.query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
                r.get(0)
            })?,
        )
    };
    // A copy of a running server's files (not `backup`'s) may hold rows
    // numbered past its counter: every number given after the restore
    // would then be one given before.
    let numbered: i64 = tx.query_row(
        "SELECT max((SELECT coalesce(max(server_seq), 0) FROM ops),
                    (SELECT coalesce(max(server_seq), 0) FROM deletions),
                    (SELECT coalesce(max(server_seq), 0) FROM config))",
        [],
        |r| r.get(0),
    )?;
    let mut counters = Counters {
        epoch: counter("epoch")?,
        server_seq: counter("server_seq")?.max(numbered),
        device_number: counter("device_number")?,
    };
    // Restoring is what one does when the database is damaged: what cannot
    // be read of it is left, and the restore goes on as if it were gone.
    // Only a database that cannot be read is left: one that reads
    // whole and still fails to carry over stops the restore, or sessions
    // ended and users disabled since the backup would work again.
    let carried = match unreadable(db) {
        None => Ok(carry_over(&tx, db, &mut counters)?),
        Some(why) => Err(why),
    };
    let (
        Carried {
            devices_kept,
            deleted_since,
        },
        blind,
    ) = match carried {
        Ok(carried) => (carried, None),
        Err(why) => {
            // Tablets may hold an epoch of a start since the backup, and
            // numbers given to tablets first seen since: neither may come
            // again (`cases_sql::start_epoch`).
            counters.epoch = counters.epoch.max(now.timestamp());
            counters.device_number += DEVICE_NUMBERS_SKIPPED;
            let nothing = Carried {
                devices_kept: 0,
                deleted_since: Vec::new(),
            };
            (nothing, Some(why))
        }
    };
    let Counters {
        mut epoch,
        server_seq,
        device_number,
    } = counters;
    epoch += 1;
    for (name, value) in [
        ("epoch", epoch),
        ("server_seq", server_seq),
        ("device_number", device_number),
    ] {
        tx.execute(
            "UPDATE counters SET value = ?2 WHERE name = ?1",
            params![name, value],
        )?;
    }
    tx.execute(
        "INSERT INTO audit (at, user_id, device_id, address, action, detail) VALUES (?1, NULL, NULL, NULL, 'server.restore', ?2)",
        params![
            ts(now),
            serde_json::json!({ "backup": backup.display().to_string(), "epoch": epoch,
                "devices_kept": devices_kept, "blind": blind })
                .to_string()
        ],
    )?;
    tx.commit()?;
    // Attached only when the carry-over got that far.
    let _ = conn.execute("DETACH DATABASE current", []);
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    drop(conn);
    let replaced = if db.exists() {
        Some(set_aside(db, now)?)
    } else {
        None
    };
    // One rename replaces the file: there is never a moment with no
    // database, in which a server started would make an empty one.
    std::fs::rename(&staging, db)
        .map_err(|e| StoreError::Internal(format!("move {}: {e}", staging.display())))?;
    Ok(RestoreReport {
        epoch: epoch as u64,
        devices_kept,
        replaced,
        deleted_since,
        blind,
    })
}

/// Why the database at `db` cannot be carried over from, if it cannot:
/// there is none, or SQLite cannot open it or finds it damaged.
fn unreadable(db: &Path) -> Option<String> {
    if !db.exists() {
        return Some(format!("there was no database at {}", db.display()));
    }
    // Read-write: a rollback journal left by a crash is played back, as
    // any open would, rather than taken for damage.
    let checked = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .and_then(|c| c.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)));
    match checked {
        Ok(ok) if ok == "ok" => None,
        Ok(problem) => Some(format!("{} is damaged ({problem})", db.display())),
        Err(e) => Some(format!("{} could not be read ({e})", db.display())),
    }
}

/// Keeps the database at `db` as `cases.replaced-<time>` beside it, its
/// write-ahead log folded in when it can be (and set aside with it when
/// not: left beside the restored file, SQLite would apply it there). `db`
/// itself stays in place until the restored file replaces it.
fn set_aside(db: &Path, now: DateTime<Utc>) -> StoreResult<PathBuf> {
    let folded = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .and_then(|old| old.pragma_update(None, "journal_mode", "DELETE"));
    if let Err(e) = folded {
        tracing::warn!(error = %e, "the replaced database's log could not be folded in; it is kept beside it");
    }
    let aside = db.with_extension(format!("replaced-{}", now.format("%Y%m%dT%H%M%SZ")));
    let moved = |from: &Path, to: &Path| {
        std::fs::rename(from, to)
            .map_err(|e| StoreError::Internal(format!("move {}: {e}", from.display())))
    };
    std::fs::hard_link(db, &aside)
        .or_else(|_| std::fs::copy(db, &aside).map(|_| ()))
        .map_err(|e| StoreError::Internal(format!("keep {}: {e}", db.display())))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let log = PathBuf::from(format!("{}{suffix}", db.display()));
        if log.exists() {
            moved(&log, &PathBuf::from(format!("{}{suffix}", aside.display())))?;
        }
    }
    Ok(aside)
}

/// Carries over from the database at `db` what happened since the backup
/// (module docs), into the restored one that `tx` writes; raises the
/// counters to the replaced database's.
fn carry_over(tx: &Transaction, db: &Path, counters: &mut Counters) -> StoreResult<Carried> {
    // What is carried over is read by the newest schema's columns: a
    // database this build never opened is brought up to it first (it is
    // kept beside, renamed, as it would have been at a start).
    // One of a newer build (a failed upgrade rolled back) is read as it
    // is: its columns are named as this build's.
    schema::migrate(&mut Connection::open(db)?)?;
    tx.execute(
        "ATTACH DATABASE ?1 AS current",
        [db.to_str()
            .ok_or_else(|| StoreError::Internal("database path is not UTF-8".into()))?],
    )?;
    let current = |name: &str| -> StoreResult<i64> {
        Ok(tx.query_row(
            "SELECT value FROM current.counters WHERE name = ?1",
            [name],
            |r| r.get(0),
        )?)
    };
    counters.epoch = counters.epoch.max(current("epoch")?);
    counters.server_seq = counters.server_seq.max(current("server_seq")?);
    counters.device_number = counters.device_number.max(current("device_number")?);
    // Properties added or changed since: tablets resend ops about them,
    // which would be set aside as about an unknown property, and a new
    // one made again would have another id.
    tx.execute(
        "UPDATE properties SET
             name = (SELECT c.name FROM current.properties c WHERE c.id = properties.id),
             households = (SELECT c.households FROM current.properties c WHERE c.id = properties.id),
             json = (SELECT c.json FROM current.properties c WHERE c.id = properties.id)
         WHERE id IN (SELECT id FROM current.properties c
                      WHERE c.code = properties.code)",
        [],
    )?;
    tx.execute(
        "INSERT INTO properties (id, code, name, households, json)
         SELECT id, code, name, households, json FROM current.properties
         WHERE id NOT IN (SELECT id FROM properties) AND code NOT IN (SELECT code FROM properties)",
        [],
    )?;
    // The settings, categories and holiday calendar saved since: tablets
    // resend registrations under a category added since, which would be
    // set aside, and deadlines would go back to the rules replaced. The
    // row keeps its sequence number, so the configuration stamp the cases
    // were folded with changes and they are folded again at start.
    tx.execute(
        "UPDATE config SET
             json = (SELECT c.json FROM current.config c WHERE c.key = config.key),
             server_seq = (SELECT c.server_seq FROM current.config c WHERE c.key = config.key)
         WHERE key IN (?1, ?2, ?3)
           AND server_seq < (SELECT c.server_seq FROM current.config c WHERE c.key = config.key)",
        params![
            super::config::SETTINGS,
            super::config::CATEGORIES,
            super::config::CALENDAR
        ],
    )?;
    // And the quarters' spot-check draws made since, which the statistics
    // count and nobody can draw again the same.
    tx.execute(
        "INSERT INTO spot_checks (property_id, year, quarter, starts_at, ends_at, seed, percent,
             candidates, drawn_by, drawn_at)
         SELECT property_id, year, quarter, starts_at, ends_at, seed, percent, candidates,
             drawn_by, drawn_at
         FROM current.spot_checks c
         WHERE c.property_id IN (SELECT id FROM properties)
         ON CONFLICT (property_id, year, quarter) DO NOTHING",
        [],
    )?;
    tx.execute(
        "INSERT INTO spot_check_cases (spot_check_id, case_id, position)
         SELECT s.id, cc.case_id, cc.position
         FROM current.spot_check_cases cc
         JOIN current.spot_checks cs ON cs.id = cc.spot_check_id
         JOIN spot_checks s ON s.property_id = cs.property_id AND s.year = cs.year
             AND s.quarter = cs.quarter
         WHERE true
         ON CONFLICT DO NOTHING",
        [],
    )?;
    // Devices issued after the backup keep their id, number and secret;
    // the server holds none of their ops any more, so their ack is 0.
    let devices_kept = tx.execute(
        "INSERT INTO devices (id, number, name, first_seen, last_seen, revoked, acked_seq, secret_hash, schema_floor)
         SELECT id, number, name, first_seen, last_seen, revoked, 0, secret_hash, schema_floor
         FROM current.devices WHERE id NOT IN (SELECT id FROM devices)",
        [],
    )? as u64;
    // A revocation or a secret issued after the backup still holds.
    tx.execute(
        "UPDATE devices SET
            revoked = max(revoked, (SELECT c.revoked FROM current.devices c WHERE c.id = devices.id)),
            secret_hash = coalesce((SELECT c.secret_hash FROM current.devices c WHERE c.id = devices.id), secret_hash)
         WHERE id IN (SELECT id FROM current.devices)",
        [],
    )?;
    // So does the end of a session (a logout, a password change), and a
    // user's deactivation or re-activation since: the backup's copies of
    // those tokens and users would otherwise work again, and a user
    // enabled again (perhaps the one admin left) would be locked out.
    // A deactivation ended the user's sessions, so re-activating the
    // account brings none of the backup's back.
    tx.execute(
        "UPDATE tokens SET revoked = 1
         WHERE revoked = 0 AND hash IN (SELECT hash FROM current.tokens WHERE revoked = 1)",
        [],
    )?;
    tx.execute(
        "UPDATE users SET active = (SELECT c.active FROM current.users c WHERE c.id = users.id)
         WHERE id IN (SELECT id FROM current.users)",
        [],
    )?;
    // And a password changed or reset since: a leaked password the
    // user replaced must not work again.
    tx.execute(
        "UPDATE users SET
             password_hash = (SELECT c.password_hash FROM current.users c WHERE c.id = users.id),
             must_change_password =
                 (SELECT c.must_change_password FROM current.users c WHERE c.id = users.id)
         WHERE id IN (SELECT c.id FROM current.users c
                      WHERE c.password_hash <> users.password_hash)",
        [],
    )?;
    // Users added since: tablets hold their ops, which only their
    // logins can send again.
    tx.execute(
        "INSERT INTO users (id, login, display_name, role, department, password_hash, active,
             created_at, must_change_password)
         SELECT id, login, display_name, role, department, password_hash, active,
             created_at, must_change_password
         FROM current.users
         WHERE id NOT IN (SELECT id FROM users) AND login NOT IN (SELECT login FROM users)",
        [],
    )?;
    // And a role, department and properties an admin set since (of
    // the properties the backup knows): access taken away must not
    // come back with the backup. The change ended the user's sessions,
    // so their next login is under the scope as it is now.
    tx.execute(
        "UPDATE users SET
             role = (SELECT c.role FROM current.users c WHERE c.id = users.id),
             department = (SELECT c.department FROM current.users c WHERE c.id = users.id)
         WHERE id IN (SELECT id FROM current.users)",
        [],
    )?;
    tx.execute(
        "DELETE FROM user_properties WHERE user_id IN (SELECT id FROM current.users)",
        [],
    )?;
    tx.execute(
        "INSERT INTO user_properties (user_id, property_id)
         SELECT user_id, property_id FROM current.user_properties
         WHERE user_id IN (SELECT id FROM users) AND property_id IN (SELECT id FROM properties)",
        [],
    )?;
    tx.execute(
        "INSERT INTO user_former_properties (user_id, property_id)
         SELECT user_id, property_id FROM current.user_former_properties WHERE true
         ON CONFLICT DO NOTHING",
        [],
    )?;
    tx.execute(
        // With the keys the tablets hold now (`shared::proof`): a user's
        // key is made once, so the backup has the same one or none.
        "INSERT INTO device_users (device_id, user_id, record_key)
         SELECT device_id, user_id, record_key FROM current.device_users
         WHERE user_id IN (SELECT id FROM users) AND device_id IN (SELECT id FROM devices)
         ON CONFLICT (device_id, user_id)
         DO UPDATE SET record_key = COALESCE(device_users.record_key, excluded.record_key)",
        [],
    )?;
    // Cases deleted since the backup that it still holds.
    let deleted_since = tx
        .prepare(
            "SELECT case_id FROM current.deletions
             WHERE case_id IN (SELECT id FROM cases)
               AND case_id NOT IN (SELECT case_id FROM deletions)
             ORDER BY server_seq",
        )?
        .query_map([], |r| r.get::<_, String>(0))?
        .map(|id| {
            id.map_err(StoreError::from)
                .and_then(|id| super::sqlite::parse_id(&id))
        })
        .collect::<StoreResult<Vec<CaseId>>>()?;
    Ok(Carried {
        devices_kept,
        deleted_since,
    })
}
