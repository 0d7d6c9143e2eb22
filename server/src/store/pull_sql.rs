//! A page of pull on either engine ([`Db`]): the ops and deletions after a
//! device's cursor in its scope, and the configuration that changed. The
//! caller reads in one snapshot (a SQLite read transaction, a PostgreSQL
//! `REPEATABLE READ` one), so the page and its cursor agree.

use super::accounts_sql;
use super::config::{CALENDAR, CATEGORIES, PROPERTIES, SETTINGS, USERS, load_properties};
use super::db::{Db, Value};
use super::filter_sql::scope_sql;
use super::sqlite::parse_id;
use super::{PullEnd, PullSink, StoreError, StoreResult, StoredOp, cases_sql};
use shared::role::Scope;
use shared::wire::{ConfigItem, MAX_PAGE_BYTES, PulledDeletion};
use std::collections::VecDeque;

/// The largest page a device may ask for.
const MAX_PAGE: u32 = 5000;

/// The ops in `scope` after `after`, at most `limit`, each handed to `each`
/// as it is read, and the config that changed, read through `tx`.
pub(super) fn pull(
    tx: &dyn Db,
    scope: &Scope,
    after: i64,
    limit: u32,
    each: &mut PullSink<'_>,
) -> StoreResult<PullEnd> {
    let max: i64 = tx
        .query_one("SELECT value FROM counters WHERE name = 'server_seq'", &[])?
        .get(0)?;
    // A tablet that pulled further than this server has ever numbered:
    // the database was put back to an earlier state without a new epoch
    // (a PostgreSQL restore or a copied file, and no `server new-epoch`).
    // Answered with an empty page, the tablet would skip the next ops for
    // good; refused, it says so, and `new-epoch` sets it right.
    if after > max {
        tracing::warn!(
            after,
            max,
            "a device pulled past this server's sequence: run `server new-epoch`"
        );
        return Err(StoreError::Refused {
            code: "sync.cursor_ahead",
            message: format!(
                "this device pulled up to {after}, but the server has numbered only up to {max}: \
                 the database was restored without `server new-epoch`; an administrator must run it"
            ),
        });
    }
    let (cond, args) = scope_sql(scope, "property_id");
    let limit = limit.clamp(1, MAX_PAGE);
    // Ops and deletions share the sequence: each is read up to one past
    // the page, then the two are merged in sequence order, so the page
    // (and its cursor) ends at the same place whichever kind fills it.
    let sql = |table: &str, columns: &str| {
        format!(
            "SELECT server_seq, {columns} FROM {table} WHERE server_seq > ? AND {cond}
             ORDER BY server_seq LIMIT ?"
        )
    };
    let mut values: Vec<Value<'_>> = vec![after.into()];
    values.extend(args.iter().map(Value::from));
    values.push(i64::from(limit + 1).into());
    // Deletions are few and small: read at once.
    let mut deletions_ahead = tx
        .query(&sql("deletions", "case_id"), &values)?
        .into_iter()
        .map(|row| {
            Ok(PulledDeletion {
                server_seq: row.get(0)?,
                case_id: parse_id(row.text(1)?)?,
            })
        })
        .collect::<StoreResult<VecDeque<_>>>()?;
    let case = |id| Ok(cases_sql::case(tx, id)?.map(|(_, case)| case));
    let settings = super::config::load_settings(tx)?;
    let mut page = Taken {
        limit,
        bytes: MAX_PAGE_BYTES,
        count: 0,
        last: None,
        more: false,
        deletions: Vec::new(),
    };
    // The ops stream: each is handed on from the row as read, never held.
    // The first op the page has no room for ends the read: a page of long
    // ops, cut by its bytes, does not read the rest of its `limit`.
    tx.rows_while(&sql("ops", "case_id, json"), &values, &mut |row| {
        let server_seq: i64 = row.get(0)?;
        page.deletions_before(&mut deletions_ahead, server_seq);
        let json = row.text(2)?;
        if !page.take_sized(server_seq, json.len()) {
            return Ok(false);
        }
        let op = StoredOp {
            server_seq,
            case_id: parse_id(row.text(1)?)?,
            json,
        };
        each(&op, &settings, &case)?;
        Ok(true)
    })?;
    page.deletions_before(&mut deletions_ahead, i64::MAX);
    let Taken {
        last,
        more,
        deletions,
        ..
    } = page;
    // A full page ends at its last item; a short page has seen
    // everything up to the sequence read in this same snapshot.
    let cursor = match (more, last) {
        (true, Some(last)) => last,
        _ => max.max(after),
    };
    let mut config = Vec::new();
    let changed = tx.query(
        "SELECT key, json FROM config WHERE server_seq > ?1 AND server_seq <= ?2 ORDER BY key",
        &[after.into(), cursor.into()],
    )?;
    for row in changed {
        let json = row.text(1)?;
        let item = match row.text(0)? {
            SETTINGS => ConfigItem::Settings(serde_json::from_str(json)?),
            CATEGORIES => ConfigItem::Categories(serde_json::from_str(json)?),
            CALENDAR => ConfigItem::Calendar(serde_json::from_str(json)?),
            PROPERTIES => ConfigItem::Properties(
                load_properties(tx)?
                    .into_iter()
                    .filter(|p| scope.allows(p.id))
                    .collect(),
            ),
            USERS => ConfigItem::Users(accounts_sql::user_directory(tx, scope)?),
            _ => continue,
        };
        config.push(item);
    }
    Ok(PullEnd {
        config,
        cursor,
        more,
        epoch: cases_sql::read_epoch(tx)?,
        deletions,
    })
}

/// What a page has taken so far, in sequence order.
struct Taken {
    /// The most the page takes.
    limit: u32,
    /// The bytes of op JSON the page still has room for.
    bytes: usize,
    /// How many ops and deletions it has taken.
    count: u32,
    /// The sequence number of the last taken.
    last: Option<i64>,
    /// Whether something was left for the next page.
    more: bool,
    /// The deletions taken.
    deletions: Vec<PulledDeletion>,
}

impl Taken {
    /// Takes the item at `server_seq` if the page has room for it; notes
    /// that more wait if not.
    fn take(&mut self, server_seq: i64) -> bool {
        if self.count == self.limit {
            self.more = true;
            return false;
        }
        self.count += 1;
        self.last = Some(server_seq);
        true
    }

    /// Takes the op at `server_seq`, `size` bytes of JSON, if the page
    /// has room for it in count and in bytes; an op that does not fit in
    /// the bytes left ends the page (unless it would be the first).
    fn take_sized(&mut self, server_seq: i64, size: usize) -> bool {
        if size > self.bytes && self.count > 0 {
            self.limit = self.count;
        }
        if !self.take(server_seq) {
            return false;
        }
        self.bytes = self.bytes.saturating_sub(size);
        true
    }

    /// Takes the deletions of `ahead` that come before `server_seq`.
    fn deletions_before(&mut self, ahead: &mut VecDeque<PulledDeletion>, server_seq: i64) {
        while let Some(deletion) = ahead.pop_front_if(|d| d.server_seq < server_seq) {
            if !self.take(deletion.server_seq) {
                return;
            }
            self.deletions.push(deletion);
        }
    }
}
