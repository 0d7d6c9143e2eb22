//! One way to run SQL on either backend, so that the store's queries and
//! the logic around them are written once: [`Db`] is a connection or a
//! transaction of SQLite (`sqlite_db.rs`) or PostgreSQL (`postgres_db.rs`).
//!
//! The SQL is the subset both engines read the same way, with SQLite's
//! `?1`/`?` placeholders (rewritten to `$n` for PostgreSQL by
//! [`numbered_placeholders`]); where they differ, the caller asks
//! [`Db::dialect`]. Both schemas use only integers and text (flags are
//! 0/1 integers), so a parameter is a [`Value`] and a result a [`Cell`];
//! an aggregate PostgreSQL widens (`sum` of integers is `numeric`) is cast
//! back with `CAST(… AS BIGINT)`, which SQLite reads the same.

use super::{StoreError, StoreResult};
use std::borrow::Cow;

/// The engine behind a [`Db`], for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The embedded default.
    Sqlite,
    /// The backend for several servers.
    Postgres,
}

/// A parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// SQL `NULL`.
    Null,
    /// An integer (flags are 0 and 1).
    Int(i64),
    /// Text: ids, times, JSON.
    Text(Cow<'a, str>),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<u32> for Value<'_> {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<u8> for Value<'_> {
    fn from(v: u8) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(Cow::Borrowed(v))
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(Cow::Borrowed(v))
    }
}

impl From<String> for Value<'_> {
    fn from(v: String) -> Self {
        Value::Text(Cow::Owned(v))
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// A float (`avg`).
    Real(f64),
    /// A PostgreSQL boolean (a comparison in the select list); SQLite
    /// answers those with 0 or 1.
    Bool(bool),
}

/// A result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    /// Column `i` as a `T`; a missing column or another type is an error
    /// that names the column.
    pub fn get<T: FromCell>(&self, i: usize) -> StoreResult<T> {
        let cell = self
            .0
            .get(i)
            .ok_or_else(|| StoreError::Internal(format!("no column {i} in the row")))?;
        T::from_cell(cell).ok_or_else(|| {
            StoreError::Internal(format!(
                "column {i} holds {cell:?}, not a {}",
                std::any::type_name::<T>()
            ))
        })
    }
}

impl Row {
    /// Column `i` as text, borrowed from the row (a stored JSON read
    /// without copying it).
    pub fn text(&self, i: usize) -> StoreResult<&str> {
        match self.0.get(i) {
            Some(Cell::Text(s)) => Ok(s),
            other => Err(StoreError::Internal(format!(
                "column {i} holds {other:?}, not text"
            ))),
        }
    }

    /// Column `i` as text, taken out of the row (left empty).
    pub fn take_text(&mut self, i: usize) -> StoreResult<String> {
        match self.0.get_mut(i) {
            Some(Cell::Text(s)) => Ok(std::mem::take(s)),
            other => Err(StoreError::Internal(format!(
                "column {i} holds {other:?}, not text"
            ))),
        }
    }
}

/// A Rust value a [`Cell`] can be read as.
pub trait FromCell: Sized {
    /// The value, or `None` if the cell holds another type.
    fn from_cell(cell: &Cell) -> Option<Self>;
}

impl FromCell for i64 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Int(v) => Some(*v),
            Cell::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }
}

impl FromCell for u32 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        i64::from_cell(cell).and_then(|v| u32::try_from(v).ok())
    }
}

impl FromCell for i32 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        i64::from_cell(cell).and_then(|v| i32::try_from(v).ok())
    }
}

impl FromCell for u8 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        i64::from_cell(cell).and_then(|v| u8::try_from(v).ok())
    }
}

impl FromCell for u64 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        i64::from_cell(cell).and_then(|v| u64::try_from(v).ok())
    }
}

impl FromCell for bool {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Bool(b) => Some(*b),
            Cell::Int(v) => Some(*v != 0),
            _ => None,
        }
    }
}

impl FromCell for f64 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Real(v) => Some(*v),
            Cell::Int(v) => Some(*v as f64),
            _ => None,
        }
    }
}

impl FromCell for String {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Null => Some(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

/// A connection or transaction the store's SQL runs on. Statements are
/// prepared once per connection and cached.
pub trait Db {
    /// Which engine this is.
    fn dialect(&self) -> Dialect;

    /// Runs a statement and returns how many rows it changed.
    fn execute(&self, sql: &str, params: &[Value<'_>]) -> StoreResult<u64>;

    /// Runs a query and returns its rows.
    fn query(&self, sql: &str, params: &[Value<'_>]) -> StoreResult<Vec<Row>>;

    /// Runs statements without parameters (a savepoint, a migration).
    fn batch(&self, sql: &str) -> StoreResult<()>;

    /// Calls `each` with every row of a query in turn, without holding
    /// them all where the engine streams (SQLite).
    fn for_each_row(
        &self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&Row) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.rows_while(sql, params, &mut |row| each(row).map(|()| true))
    }

    /// Calls `each` with the rows of a query in turn until it answers
    /// `false`; where the engine streams (SQLite), the rows after that are
    /// never read.
    fn rows_while(
        &self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        for row in self.query(sql, params)? {
            if !each(&row)? {
                break;
            }
        }
        Ok(())
    }

    /// The first row of a query, if any.
    fn query_opt(&self, sql: &str, params: &[Value<'_>]) -> StoreResult<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The first row of a query that always answers (`count(*)`, a
    /// counter).
    fn query_one(&self, sql: &str, params: &[Value<'_>]) -> StoreResult<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Internal(format!("no row for: {sql}")))
    }
}

/// Refuses a text parameter holding U+0000 before its statement runs, on
/// both engines alike: PostgreSQL cannot hold that character in text and
/// fails the statement (an internal error), where SQLite would store it,
/// or cut a `LIKE` pattern at it. Only input can bring one (a login name,
/// a filter, an admin's form): an op's text is refused by its own bounds,
/// and its JSON is stored with the character escaped.
pub fn refuse_nul(params: &[Value<'_>]) -> StoreResult<()> {
    if params
        .iter()
        .any(|v| matches!(v, Value::Text(s) if s.contains('\0')))
    {
        return Err(StoreError::NulCharacter);
    }
    Ok(())
}

/// `sql` with SQLite's placeholders (`?1` numbered, `?` the next number)
/// as PostgreSQL's `$1`; quoted text and identifiers are left alone.
pub fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 0u32;
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let number = match digits.parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => next + 1,
                };
                next = next.max(number);
                out.push('$');
                out.push_str(&number.to_string());
            }
            (None, c) => out.push(c),
        }
    }
    out
}

/// What every engine's [`Db`] must do with the store's values, run by the
/// tests of `sqlite_db.rs` and `postgres_db.rs` on their engine: a table
/// `t`, rows in with both kinds of placeholder, values and nulls back as
/// cells, and an aggregate cast back to an integer.
#[cfg(test)]
pub(super) fn check_values_round_trip(db: &dyn Db) {
    db.batch("CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, note TEXT)")
        .expect("create");
    let inserted = db
        .execute(
            "INSERT INTO t (id, n, note) VALUES (?1, ?2, ?3)",
            &["a".into(), 5i64.into(), Value::from(None::<&str>)],
        )
        .expect("insert");
    assert_eq!(inserted, 1);
    db.execute(
        "INSERT INTO t (id, n, note) VALUES (?, ?, ?)",
        &["b".into(), true.into(), "附注".into()],
    )
    .expect("insert");
    let rows = db
        .query("SELECT id, n, note, n = 1 FROM t ORDER BY id", &[])
        .expect("select");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<String>(0).ok(), Some("a".into()));
    assert_eq!(rows[0].get::<i64>(1).ok(), Some(5));
    assert_eq!(rows[0].get::<Option<String>>(2).ok(), Some(None));
    assert_eq!(
        rows[1].get::<Option<String>>(2).ok(),
        Some(Some("附注".into()))
    );
    assert_eq!(rows[1].get::<bool>(3).ok(), Some(true));
    let sum = db
        .query_one(
            "SELECT CAST(sum(n) AS BIGINT) FROM t WHERE id <> ?1",
            &["c".into()],
        )
        .expect("sum");
    assert_eq!(sum.get::<i64>(0).ok(), Some(6));
    assert!(
        db.query_opt("SELECT 1 FROM t WHERE id = ?1", &["z".into()])
            .expect("none")
            .is_none()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered_placeholders(
                "SELECT a FROM t WHERE b = ?2 AND c = ?1 AND d LIKE '?x' AND \"?\" = ?"
            ),
            "SELECT a FROM t WHERE b = $2 AND c = $1 AND d LIKE '?x' AND \"?\" = $3"
        );
        assert_eq!(
            numbered_placeholders("VALUES (?, ?, 'it''s ?', ?)"),
            "VALUES ($1, $2, 'it''s ?', $3)"
        );
    }

    #[test]
    fn cells_read_as_the_types_the_store_uses() {
        let row = Row(vec![
            Cell::Int(7),
            Cell::Null,
            Cell::Text("甲".into()),
            Cell::Bool(true),
            Cell::Int(-1),
        ]);
        assert_eq!(row.get::<i64>(0).ok(), Some(7));
        assert_eq!(row.get::<u32>(0).ok(), Some(7));
        assert_eq!(row.get::<Option<String>>(1).ok(), Some(None));
        assert_eq!(row.get::<String>(2).ok(), Some("甲".into()));
        assert_eq!(row.get::<bool>(3).ok(), Some(true));
        assert_eq!(row.get::<i64>(3).ok(), Some(1));
        assert!(row.get::<String>(0).is_err());
        assert!(row.get::<u64>(4).is_err(), "a negative count is an error");
        assert!(row.get::<i64>(5).is_err());
    }
}
