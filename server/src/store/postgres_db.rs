//! [`Db`] on a PostgreSQL connection from the pool, for the store's
//! blocking methods: each statement blocks on the store's runtime. SQLite's
//! placeholders become PostgreSQL's, and statements are prepared once per
//! connection (`deadpool-postgres`' cache, emptied when it holds more than
//! [`MAX_PREPARED`]).

use super::db::{Cell, Db, Dialect, Row, Value, numbered_placeholders, refuse_nul};
use super::postgres::PgStore;
use super::{StoreError, StoreResult};
use bytes::BytesMut;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// The most statements a connection keeps prepared. Some SQL is built at
/// run time (a case filter's combination, a scope's number of properties),
/// and the cache never forgets on its own: each variant would stay
/// prepared on every connection, in the database server's memory, for the
/// life of the process. Far more than the fixed statements.
pub const MAX_PREPARED: usize = 256;

/// A connection taken from the pool; back to the pool when dropped.
pub struct PgDb {
    client: deadpool_postgres::Object,
    runtime: tokio::runtime::Handle,
}

impl PgStore {
    /// A connection for blocking code (never call from inside
    /// [`PgStore::run`]: it would block the store's runtime on itself).
    pub fn connection(&self) -> StoreResult<PgDb> {
        let runtime = self.handle()?;
        let pool = self.pool().clone();
        let client = runtime.block_on(pool.get())?;
        if client.statement_cache.size() > MAX_PREPARED {
            client.statement_cache.clear();
        }
        Ok(PgDb { client, runtime })
    }
}

#[cfg(test)]
impl PgDb {
    /// How many statements the connection keeps prepared.
    pub(super) fn prepared(&self) -> usize {
        self.client.statement_cache.size()
    }
}

impl PgDb {
    fn block_on<T>(
        &self,
        work: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> StoreResult<T> {
        Ok(self.runtime.block_on(work)?)
    }

    /// Begins a transaction at `isolation` (`READ COMMITTED` for writes,
    /// `REPEATABLE READ` for a read that must see one snapshot). It rolls
    /// back when dropped uncommitted.
    pub fn transaction(&mut self, isolation: Isolation) -> StoreResult<PgTransaction<'_>> {
        self.batch(match isolation {
            Isolation::ReadCommitted => "BEGIN ISOLATION LEVEL READ COMMITTED",
            Isolation::RepeatableRead => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        })?;
        Ok(PgTransaction {
            db: self,
            open: true,
            cursors: std::cell::Cell::new(0),
        })
    }
}

/// How a transaction sees other transactions' commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// Each statement sees what was committed before it: for writes, which
    /// serialize on the rows they lock.
    ReadCommitted,
    /// Every statement sees the snapshot of the first, read only: for a
    /// read made of several queries (a pull page and its cursor).
    RepeatableRead,
}

/// An open transaction; [`PgTransaction::commit`] ends it, dropping it
/// rolls it back.
pub struct PgTransaction<'a> {
    db: &'a PgDb,
    open: bool,
    /// How many cursors [`Db::rows_while`] has open: a row's own query
    /// may read rows too, under the next name.
    cursors: std::cell::Cell<u32>,
}

/// How many rows a cursor fetches at a time: a pull's page of 5,000 ops
/// of 4,000-character texts, or a year's cases and clocks for the
/// statistics, is never held whole, as SQLite never holds it.
const FETCH_ROWS: usize = 256;

impl PgTransaction<'_> {
    /// Commits.
    pub fn commit(mut self) -> StoreResult<()> {
        self.open = false;
        self.db.batch("COMMIT")
    }
}

impl Drop for PgTransaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // The connection goes back to the pool; it must not carry the
            // transaction with it. If even the rollback fails, the
            // connection is broken and the pool drops it.
            let _ = self.db.batch("ROLLBACK");
        }
    }
}

impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                _ => v.to_string().as_str().to_sql(ty, out),
            },
            Value::Text(s) => s.as_ref().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Converted by the type PostgreSQL inferred for the placeholder.
        true
    }

    to_sql_checked!();
}

fn cells(row: &tokio_postgres::Row) -> StoreResult<Row> {
    let mut cells = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let cell = match *column.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Cell::Int),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)?
                .map(|v| Cell::Int(v.into())),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(i)?
                .map(|v| Cell::Int(v.into())),
            Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map(Cell::Bool),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map(Cell::Real),
            Type::FLOAT4 => row
                .try_get::<_, Option<f32>>(i)?
                .map(|v| Cell::Real(v.into())),
            Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => {
                row.try_get::<_, Option<String>>(i)?.map(Cell::Text)
            }
            ref other => {
                return Err(StoreError::Internal(format!(
                    "column {} is {other}: cast it to BIGINT or TEXT in the query",
                    column.name()
                )));
            }
        };
        cells.push(cell.unwrap_or(Cell::Null));
    }
    Ok(Row(cells))
}

fn params<'a>(values: &'a [Value<'_>]) -> Vec<&'a (dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Db for PgDb {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&self, sql: &str, values: &[Value<'_>]) -> StoreResult<u64> {
        refuse_nul(values)?;
        self.block_on(async {
            let stmt = self
                .client
                .prepare_cached(&numbered_placeholders(sql))
                .await?;
            self.client.execute(&stmt, &params(values)).await
        })
    }

    fn query(&self, sql: &str, values: &[Value<'_>]) -> StoreResult<Vec<Row>> {
        refuse_nul(values)?;
        let rows = self.block_on(async {
            let stmt = self
                .client
                .prepare_cached(&numbered_placeholders(sql))
                .await?;
            self.client.query(&stmt, &params(values)).await
        })?;
        rows.iter().map(cells).collect()
    }

    fn batch(&self, sql: &str) -> StoreResult<()> {
        self.block_on(self.client.batch_execute(sql))
    }
}

impl Db for PgTransaction<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&self, sql: &str, values: &[Value<'_>]) -> StoreResult<u64> {
        self.db.execute(sql, values)
    }

    fn query(&self, sql: &str, values: &[Value<'_>]) -> StoreResult<Vec<Row>> {
        self.db.query(sql, values)
    }

    fn batch(&self, sql: &str) -> StoreResult<()> {
        self.db.batch(sql)
    }

    /// Through a cursor, [`FETCH_ROWS`] at a time: the rows after `each`
    /// says `false` are never sent, and between fetches the connection is
    /// free for the queries `each` makes (a result streamed on it would
    /// hold it).
    fn rows_while(
        &self,
        sql: &str,
        values: &[Value<'_>],
        each: &mut dyn FnMut(&Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let depth = self.cursors.get();
        let name = format!("rows_{depth}");
        self.db.execute(
            &format!("DECLARE {name} NO SCROLL CURSOR FOR {sql}"),
            values,
        )?;
        self.cursors.set(depth + 1);
        let read = (|| {
            // Prepared for this cursor alone, never cached: a prepared
            // FETCH keeps the columns of the cursor it was first prepared
            // on, and the next cursor of the same name is another query.
            let fetch = self.db.block_on(
                self.db
                    .client
                    .prepare(&format!("FETCH {FETCH_ROWS} FROM {name}")),
            )?;
            loop {
                let rows = self.db.block_on(self.db.client.query(&fetch, &[]))?;
                for row in &rows {
                    if !each(&cells(row)?)? {
                        return Ok(());
                    }
                }
                if rows.len() < FETCH_ROWS {
                    return Ok(());
                }
            }
        })();
        self.cursors.set(depth);
        let closed = self.db.batch(&format!("CLOSE {name}"));
        // After a failed statement the transaction takes no more (nor the
        // close): the failure is what to answer.
        read.and(closed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::db::{Db, Dialect, Value, check_values_round_trip};
    use super::super::postgres::{PgStore, test_database};
    use super::Isolation;

    /// A store on a fresh test database, with its blob directory; `None`
    /// when no test database is configured.
    fn fresh_store() -> Option<(PgStore, tempfile::TempDir)> {
        let url = test_database::fresh()?;
        let blobs = tempfile::tempdir().expect("temp dir");
        let store =
            PgStore::open(&url, 2, test_database::ca().as_deref(), blobs.path()).expect("open");
        Some((store, blobs))
    }

    #[test]
    fn values_go_in_and_come_back_as_cells_and_a_dropped_transaction_rolls_back() {
        let Some((store, _blobs)) = fresh_store() else {
            return;
        };
        let mut conn = store.connection().expect("connection");
        assert_eq!(conn.dialect(), Dialect::Postgres);
        check_values_round_trip(&conn);
        let widened = conn.query_one("SELECT sum(n) FROM t", &[]);
        assert!(widened.is_err(), "numeric is refused, not misread");
        {
            let tx = conn.transaction(Isolation::ReadCommitted).expect("begin");
            tx.execute("DELETE FROM t", &[]).expect("delete");
        }
        let kept = conn
            .query_one("SELECT count(*) FROM t", &[])
            .expect("count");
        assert_eq!(
            kept.get::<i64>(0).ok(),
            Some(2),
            "the dropped transaction rolled back"
        );
        let tx = conn.transaction(Isolation::ReadCommitted).expect("begin");
        tx.execute("DELETE FROM t WHERE id = ?1", &["a".into()])
            .expect("delete");
        tx.commit().expect("commit");
        let left = conn
            .query_one("SELECT count(*) FROM t", &[])
            .expect("count");
        assert_eq!(left.get::<i64>(0).ok(), Some(1));
    }

    #[test]
    fn a_row_may_be_followed_by_queries_of_its_own_in_the_same_transaction() {
        let Some((store, _blobs)) = fresh_store() else {
            return;
        };
        let mut conn = store.connection().expect("connection");
        let tx = conn.transaction(Isolation::RepeatableRead).expect("begin");
        // The pull reads a case for each op of a department head's page:
        // the rows come through a cursor a few hundred at a time, so the
        // connection is free between them (a result streamed on the same
        // connection would not be), and a row's query may read rows too.
        let mut seen = Vec::new();
        tx.rows_while(
            "SELECT g::BIGINT FROM generate_series(1, ?1) g",
            &[Value::Int(3000)],
            &mut |r| {
                seen.push(r.get::<i64>(0)?);
                let one = tx.query_one("SELECT 1::BIGINT", &[])?;
                assert_eq!(one.get::<i64>(0)?, 1);
                let mut inner = 0;
                tx.for_each_row(
                    "SELECT g::BIGINT FROM generate_series(1, 3) g",
                    &[],
                    &mut |_| {
                        inner += 1;
                        Ok(())
                    },
                )?;
                assert_eq!(inner, 3);
                Ok(seen.len() < 2500)
            },
        )
        .expect("the rows");
        assert_eq!(seen.len(), 2500);
        assert_eq!(seen.last(), Some(&2500));
        // Closed once read, each cursor's name is free for the next read.
        let mut again = 0;
        tx.for_each_row(
            "SELECT g::BIGINT FROM generate_series(1, ?1) g",
            &[Value::Int(300)],
            &mut |_| {
                again += 1;
                Ok(())
            },
        )
        .expect("the rows again");
        assert_eq!(again, 300);
        // A cursor of another shape under the same name reads its own
        // columns.
        let mut texts = Vec::new();
        tx.for_each_row(
            "SELECT g::TEXT, (g * 2)::BIGINT FROM generate_series(1, 2) g",
            &[],
            &mut |r| {
                texts.push((r.get::<String>(0)?, r.get::<i64>(1)?));
                Ok(())
            },
        )
        .expect("rows of another shape");
        assert_eq!(texts, [("1".to_string(), 2), ("2".to_string(), 4)]);
        tx.commit().expect("commit");
    }
}
