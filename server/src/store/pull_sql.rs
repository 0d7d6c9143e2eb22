//! A page of pull on either engine ([`Db`]): the ops and deletions after a
//! device's cursor in its scope, and the configuration that changed. The
//! caller reads in one snapshot (a SQLite read transaction, a PostgreSQL
//! `REPEATABLE READ` one), so the page and its cursor agree.

use super::accounts_sql;
use super::cases_sql::read_epoch;
use super::config::{CALENDAR, CATEGORIES, PROPERTIES, SETTINGS, USERS, load_properties};
use super::db::{Db, Row, Value};
use super::filter_sql::scope_sql;
use super::sqlite::parse_id;
use super::{PullPage, StoreResult, StoredOp};
use shared::role::Scope;
use shared::wire::{ConfigItem, PulledDeletion};

/// The largest page a device may ask for.
const MAX_PAGE: u32 = 5000;

/// The ops in `scope` after `after`, at most `limit`, and the config that
/// changed, read through `tx`.
pub(super) fn pull(tx: &dyn Db, scope: &Scope, after: i64, limit: u32) -> StoreResult<PullPage> {
    let max: i64 = tx
        .query_one("SELECT value FROM counters WHERE name = 'server_seq'", &[])?
        .get(0)?;
    let (cond, args) = scope_sql(scope, "property_id");
    let limit = limit.clamp(1, MAX_PAGE);
    // Ops and deletions share the sequence: each is read up to one past
    // the page, then the two are merged in sequence order, so the page
    // (and its cursor) ends at the same place whichever kind fills it.
    let query = |table: &str, columns: &str| -> StoreResult<Vec<Row>> {
        let sql = format!(
            "SELECT server_seq, {columns} FROM {table} WHERE server_seq > ? AND {cond}
             ORDER BY server_seq LIMIT ?"
        );
        let mut values: Vec<Value<'_>> = vec![after.into()];
        values.extend(args.iter().map(Value::from));
        values.push(i64::from(limit + 1).into());
        tx.query(&sql, &values)
    };
    // Both read the case and one more column; a deletion has nothing
    // more to say.
    let op_rows = query("ops", "case_id, json")?;
    let deletion_rows = query("deletions", "case_id, ''")?;
    let mut ops = Vec::new();
    let mut deletions = Vec::new();
    let (mut op_rows, mut deletion_rows) = (
        op_rows.into_iter().peekable(),
        deletion_rows.into_iter().peekable(),
    );
    let seq = |row: Option<&Row>| row.map(|r| r.get::<i64>(0)).transpose();
    let mut taken = 0;
    let mut last = None;
    let mut more = false;
    loop {
        let op_next = seq(op_rows.peek())?;
        let deletion_next = seq(deletion_rows.peek())?;
        let from_ops = match (op_next, deletion_next) {
            (None, None) => break,
            (Some(o), Some(d)) => o < d,
            (o, _) => o.is_some(),
        };
        if taken == limit {
            more = true;
            break;
        }
        taken += 1;
        let rows = if from_ops {
            &mut op_rows
        } else {
            &mut deletion_rows
        };
        let Some(mut row) = rows.next() else {
            break;
        };
        let server_seq: i64 = row.get(0)?;
        let case_id = parse_id(row.text(1)?)?;
        if from_ops {
            ops.push(StoredOp {
                server_seq,
                case_id,
                json: row.take_text(2)?,
            });
        } else {
            deletions.push(PulledDeletion {
                server_seq,
                case_id,
            });
        }
        last = Some(server_seq);
    }
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
    Ok(PullPage {
        ops,
        config,
        cursor,
        more,
        epoch: read_epoch(tx)?,
        deletions,
    })
}
