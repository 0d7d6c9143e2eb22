//! The login limiter's counts (`crate::login_limit`), one row per key,
//! in the database so that every server on it counts the same guesses and
//! a restart keeps them. A count is dropped once forgotten; each attempt
//! drops those first, which bounds the table by the attempts of one
//! window.

use super::StoreResult;
use super::db::{Db, Row};
use super::sqlite::{parse_ts, ts};
use crate::login_limit::{self, Attempt, Count};
use chrono::{DateTime, Duration, Utc};

/// Counts an attempt, or says how long to wait (counting nothing).
pub(super) fn count_login(
    db: &dyn Db,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> StoreResult<Result<(), Duration>> {
    db.execute(
        "DELETE FROM login_limits WHERE forgotten_at <= ?1",
        &[ts(now).into()],
    )?;
    let keys = [key(&attempt.pair), key(&attempt.address)];
    let stored = [read(db, &keys[0])?, read(db, &keys[1])?];
    let counted = match login_limit::count(stored, now) {
        Ok(counted) => counted,
        Err(wait) => return Ok(Err(wait)),
    };
    for (key, count) in keys.iter().zip(counted) {
        write(db, key, &count)?;
    }
    Ok(Ok(()))
}

/// How long `attempt` must wait, if it must (a read).
pub(super) fn login_wait(
    db: &dyn Db,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> StoreResult<Option<Duration>> {
    let stored = [
        read(db, &key(&attempt.pair))?,
        read(db, &key(&attempt.address))?,
    ];
    Ok(login_limit::wait(stored, now))
}

/// The attempt succeeded ([`login_limit::give_back`]).
pub(super) fn login_succeeded(db: &dyn Db, attempt: &Attempt) -> StoreResult<()> {
    db.execute(
        "DELETE FROM login_limits WHERE key = ?1",
        &[key(&attempt.pair).into()],
    )?;
    let address = key(&attempt.address);
    if let Some(count) = read(db, &address)? {
        write(db, &address, &login_limit::give_back(count))?;
    }
    Ok(())
}

fn key(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn read(db: &dyn Db, key: &str) -> StoreResult<Option<Count>> {
    db.query_opt(
        "SELECT failures, last_at, blocked_until FROM login_limits WHERE key = ?1",
        &[key.into()],
    )?
    .map(|row| count_of(&row))
    .transpose()
}

fn count_of(row: &Row) -> StoreResult<Count> {
    Ok(Count {
        failures: row.get(0)?,
        last: parse_ts(row.text(1)?)?,
        blocked_until: row
            .get::<Option<String>>(2)?
            .map(|t| parse_ts(&t))
            .transpose()?,
    })
}

fn write(db: &dyn Db, key: &str, count: &Count) -> StoreResult<()> {
    db.execute(
        "INSERT INTO login_limits (key, failures, last_at, blocked_until, forgotten_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
             last_at = excluded.last_at, blocked_until = excluded.blocked_until,
             forgotten_at = excluded.forgotten_at",
        &[
            key.into(),
            count.failures.into(),
            ts(count.last).into(),
            count.blocked_until.map(ts).into(),
            ts(count.forgotten_at()).into(),
        ],
    )?;
    Ok(())
}
