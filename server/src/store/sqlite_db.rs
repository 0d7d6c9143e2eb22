//! [`Db`] on a SQLite connection (a transaction derefs to one): statements
//! come from the connection's prepared-statement cache.

use super::StoreResult;
use super::db::{Cell, Db, Dialect, Row, Value, refuse_nul};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

impl ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

/// `bytes` as text: checked with `str::from_utf8`, which is much faster on
/// the long op JSON a pull reads than `String::from_utf8_lossy`'s scan, and
/// only text that is not UTF-8 is read lossily.
fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn cell(value: ValueRef<'_>) -> Cell {
    match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(v) => Cell::Int(v),
        ValueRef::Real(v) => Cell::Real(v),
        ValueRef::Text(t) => Cell::Text(text(t).into_owned()),
        // The schema stores no blobs; one read back is shown as text.
        ValueRef::Blob(b) => Cell::Text(text(b).into_owned()),
    }
}

/// A result row, each value copied once.
fn row(r: &rusqlite::Row<'_>, width: usize) -> StoreResult<Row> {
    (0..width)
        .map(|i| Ok(cell(r.get_ref(i)?)))
        .collect::<StoreResult<_>>()
        .map(Row)
}

/// `slot` made to hold `value`, keeping its text buffer if it has one.
fn set(slot: &mut Cell, value: ValueRef<'_>) {
    match (slot, value) {
        (Cell::Text(text), ValueRef::Text(t)) => {
            text.clear();
            text.push_str(&self::text(t));
        }
        (slot, value) => *slot = cell(value),
    }
}

impl Db for Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&self, sql: &str, params: &[Value<'_>]) -> StoreResult<u64> {
        refuse_nul(params)?;
        let changed = self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params))?;
        Ok(changed as u64)
    }

    fn query(&self, sql: &str, params: &[Value<'_>]) -> StoreResult<Vec<Row>> {
        refuse_nul(params)?;
        let mut stmt = self.prepare_cached(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(row(r, width)?);
        }
        Ok(out)
    }

    fn query_opt(&self, sql: &str, params: &[Value<'_>]) -> StoreResult<Option<Row>> {
        refuse_nul(params)?;
        let mut stmt = self.prepare_cached(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        // Only the first row is read, however many the query has.
        rows.next()?.map(|r| row(r, width)).transpose()
    }

    fn rows_while(
        &self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        refuse_nul(params)?;
        let mut stmt = self.prepare_cached(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        // One row's cells, overwritten in place: a long read (the
        // statistics' pass) reuses the text buffers instead of allocating
        // every value of every row.
        let mut row = Row(vec![Cell::Null; width]);
        while let Some(r) = rows.next()? {
            for (i, slot) in row.0.iter_mut().enumerate() {
                set(slot, r.get_ref(i)?);
            }
            if !each(&row)? {
                break;
            }
        }
        Ok(())
    }

    fn batch(&self, sql: &str) -> StoreResult<()> {
        Ok(self.execute_batch(sql)?)
    }
}

/// A transaction is its connection, for code written against [`Db`].
impl Db for rusqlite::Transaction<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&self, sql: &str, params: &[Value<'_>]) -> StoreResult<u64> {
        Db::execute(&**self, sql, params)
    }

    fn query(&self, sql: &str, params: &[Value<'_>]) -> StoreResult<Vec<Row>> {
        Db::query(&**self, sql, params)
    }

    fn query_opt(&self, sql: &str, params: &[Value<'_>]) -> StoreResult<Option<Row>> {
        Db::query_opt(&**self, sql, params)
    }

    fn rows_while(
        &self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        Db::rows_while(&**self, sql, params, each)
    }

    fn batch(&self, sql: &str) -> StoreResult<()> {
        Db::batch(&**self, sql)
    }
}

#[cfg(test)]
mod tests {
    use super::super::db::{Db, Dialect, check_values_round_trip};

    #[test]
    fn values_go_in_and_come_back_as_cells() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        assert_eq!(Db::dialect(&conn), Dialect::Sqlite);
        check_values_round_trip(&conn);
    }
}
