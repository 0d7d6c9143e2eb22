//! Moving an installation from SQLite to PostgreSQL (`server migrate`):
//! every table copied as it is, in one PostgreSQL transaction, then
//! verified by counting every table on both sides and comparing a checksum
//! of the op log.
//!
//! The two schemas have the same tables and columns
//! ([`super::postgres_schema`]), so the copy is by column name, driven by
//! PostgreSQL's catalog; a table or column SQLite has and PostgreSQL lacks
//! stops the copy before anything is written. Counters (the server sequence
//! number, device numbers, the epoch) move with the data, so devices keep
//! their cursors and need nothing.

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::{StoreError, StoreResult};
use deadpool_postgres::{GenericClient, Transaction};
use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::pin::pin;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

/// The tables, parents before children (foreign keys).
const TABLES: &[&str] = &[
    "counters",
    "properties",
    "users",
    "user_properties",
    "user_former_properties",
    "devices",
    "device_users",
    "tokens",
    "login_limits",
    "config",
    "ops",
    "quarantine",
    "cases",
    "case_deadlines",
    "case_folds",
    "case_history",
    "case_blobs",
    "deletions",
    "audit",
    "spot_checks",
    "spot_check_cases",
];

/// The tables with generated ids, whose sequences continue after the
/// copied rows.
const IDENTITIES: &[&str] = &["quarantine", "audit", "spot_checks"];

/// What was copied, checked on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Rows per table, as counted in PostgreSQL after the copy (equal to
    /// SQLite's, or the copy fails).
    pub rows: Vec<(&'static str, i64)>,
    /// SHA-256 of the op log in server order (sequence number, op id, hash
    /// and JSON of every op), equal on both sides.
    pub op_log_sha256: String,
}

/// One value on its way: the two column types the schemas use.
enum Cell {
    Null,
    Int(i64),
    Text(String),
}

impl Cell {
    /// The value for a column of type `ty` (a null is typed by its column).
    fn as_sql(&self, ty: &Type) -> &(dyn ToSql + Sync) {
        match self {
            Cell::Int(v) => v,
            Cell::Text(v) => v,
            Cell::Null if *ty == Type::INT8 => &None::<i64>,
            Cell::Null => &None::<String>,
        }
    }
}

/// How many rows of a table are read from SQLite and written to
/// PostgreSQL at a time: an installation that outgrew SQLite holds
/// gigabytes, which never all sit in memory.
const CHUNK_ROWS: i64 = 5_000;

/// Copies the SQLite database in the file `from` into the empty PostgreSQL
/// database of `to`. The file is migrated to this build's schema first, as
/// opening it as a store would, and then only read, in one snapshot.
pub fn copy(from: &Path, to: &PgStore) -> StoreResult<CopyReport> {
    drop(SqliteStore::open(from)?);
    let connection = rusqlite::Connection::open_with_flags(
        from,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // One read transaction: the counts, the checksum and every chunk are
    // of the same state (the caller holds the data directory, but a copy
    // must not depend on that).
    connection.execute_batch("BEGIN")?;
    let tables = source_tables(&connection)?;
    let op_log_sha256 = sqlite_op_log_sha256(&connection)?;
    let connection = &connection;
    let tables = &tables;
    to.run(|pool| async move {
        let mut client = pool.get().await?;
        let tx = client.transaction().await?;
        refuse_unless_empty(&tx).await?;
        // The schema's own rows (the counters' starting values) give way
        // to the installation's.
        tx.batch_execute("DELETE FROM counters").await?;
        for (table, columns, _) in tables {
            let types = column_types(&tx, table, columns).await?;
            let sink = tx
                .copy_in(&format!(
                    "COPY {table} ({}) FROM STDIN BINARY",
                    columns.join(", ")
                ))
                .await?;
            let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
            let mut after = i64::MIN;
            loop {
                let (rows, last) = read_chunk(connection, table, columns, after)?;
                for row in &rows {
                    let values: Vec<&(dyn ToSql + Sync)> = row
                        .iter()
                        .zip(&types)
                        .map(|(cell, ty)| cell.as_sql(ty))
                        .collect();
                    writer.as_mut().write(&values).await?;
                }
                match last {
                    Some(last) => after = last,
                    None => break,
                }
            }
            writer.finish().await?;
        }
        for table in IDENTITIES {
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                        coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                ),
                &[],
            )
            .await?;
        }
        let mut rows = Vec::new();
        for (table, _, in_sqlite) in tables {
            let count: i64 = tx
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await?
                .get(0);
            if count != *in_sqlite {
                return Err(StoreError::Internal(format!(
                    "{table}: {in_sqlite} rows in SQLite, {count} in PostgreSQL"
                )));
            }
            rows.push((*table, count));
        }
        let copied = postgres_op_log_sha256(&tx).await?;
        if copied != op_log_sha256 {
            return Err(StoreError::Internal(format!(
                "the op log's checksum differs: SQLite {op_log_sha256}, PostgreSQL {copied}"
            )));
        }
        tx.commit().await?;
        Ok(CopyReport {
            rows,
            op_log_sha256: copied,
        })
    })
}

/// One table to copy: its name, its columns and how many rows it holds.
type SourceTable = (&'static str, Vec<String>, i64);

/// The tables to copy, each with its columns and rows counted; a table
/// PostgreSQL has no place for stops the copy before anything is written.
fn source_tables(from: &rusqlite::Connection) -> StoreResult<Vec<SourceTable>> {
    let in_sqlite: Vec<String> = from
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if let Some(unknown) = in_sqlite.iter().find(|t| !TABLES.contains(&t.as_str())) {
        return Err(StoreError::Internal(format!(
            "the SQLite table {unknown} has no place in PostgreSQL: this build cannot move it"
        )));
    }
    let mut tables = Vec::new();
    for table in TABLES {
        let columns: Vec<String> = from
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let count: i64 =
            from.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        tables.push((*table, columns, count));
    }
    Ok(tables)
}

/// The rows of `table` after `rowid` `after`, at most [`CHUNK_ROWS`], in
/// rowid order, and the last rowid read (`None` when there were none).
fn read_chunk(
    from: &rusqlite::Connection,
    table: &str,
    columns: &[String],
    after: i64,
) -> StoreResult<(Vec<Vec<Cell>>, Option<i64>)> {
    let mut stmt = from.prepare_cached(&format!(
        "SELECT rowid, {} FROM {table} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
        columns.join(", ")
    ))?;
    let mut query = stmt.query(rusqlite::params![after, CHUNK_ROWS])?;
    let mut rows = Vec::new();
    let mut last = None;
    while let Some(r) = query.next()? {
        last = Some(r.get::<_, i64>(0)?);
        let mut row = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            row.push(match r.get_ref(i + 1)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                // A NUL character, which an older build let into a name
                // or a text, PostgreSQL cannot store at all: dropped (as
                // the server refuses it in what it takes now), and said.
                ValueRef::Text(t) if t.contains(&0) => {
                    let rowid = last.unwrap_or_default();
                    tracing::warn!("{table}.{column} of row {rowid}: a NUL character dropped");
                    Cell::Text(String::from_utf8_lossy(t).replace('\0', ""))
                }
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Real(_) | ValueRef::Blob(_) => {
                    return Err(StoreError::Internal(format!(
                        "{table}.{column} holds a value of a type the schema never writes"
                    )));
                }
            });
        }
        rows.push(row);
    }
    Ok((rows, last))
}

/// The op log's checksum in SQLite, read op by op.
fn sqlite_op_log_sha256(from: &rusqlite::Connection) -> StoreResult<String> {
    let mut hasher = Sha256::new();
    let mut stmt =
        from.prepare("SELECT server_seq, id, hash, json FROM ops ORDER BY server_seq")?;
    let mut ops = stmt.query([])?;
    while let Some(r) = ops.next()? {
        add_op(
            &mut hasher,
            r.get(0)?,
            &r.get::<_, String>(1)?,
            &r.get::<_, String>(2)?,
            &r.get::<_, String>(3)?,
        );
    }
    Ok(hex(hasher))
}

fn add_op(hasher: &mut Sha256, server_seq: i64, id: &str, hash: &str, json: &str) {
    hasher.update(format!("{server_seq}\t{id}\t{hash}\t{}\n", json.len()));
    hasher.update(json);
}

fn hex(hasher: Sha256) -> String {
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The op log's checksum in PostgreSQL, read as a stream.
async fn postgres_op_log_sha256(tx: &Transaction<'_>) -> StoreResult<String> {
    use futures_util::TryStreamExt;
    let mut hasher = Sha256::new();
    let ops = tx
        .query_raw(
            "SELECT server_seq, id, hash, json FROM ops ORDER BY server_seq",
            std::iter::empty::<i64>(),
        )
        .await?;
    let mut ops = pin!(ops);
    while let Some(r) = ops.try_next().await? {
        add_op(&mut hasher, r.get(0), r.get(1), r.get(2), r.get(3));
    }
    Ok(hex(hasher))
}

/// A copy goes into an installation that has never been used, so that two
/// installations are never mixed: not even one a server only opened, which
/// wrote its default settings (and perhaps audited failed logins), rows
/// the copy's own would collide with.
async fn refuse_unless_empty(tx: &impl GenericClient) -> StoreResult<()> {
    let used: i64 = tx
        .query_one(
            "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM ops)
                + (SELECT count(*) FROM properties)",
            &[],
        )
        .await?
        .get(0);
    if used > 0 {
        return Err(StoreError::Conflict(
            "the PostgreSQL database already holds users, properties or ops: \
             migrate into an empty database"
                .into(),
        ));
    }
    let opened: i64 = tx
        .query_one(
            "SELECT (SELECT count(*) FROM config) + (SELECT count(*) FROM audit)",
            &[],
        )
        .await?
        .get(0);
    if opened > 0 {
        return Err(StoreError::Conflict(
            "a server has already opened the PostgreSQL database (it holds its settings): \
             migrate into an empty database, made with createdb and never served"
                .into(),
        ));
    }
    Ok(())
}

/// The PostgreSQL types of `columns` of `table`, in their order; a column
/// PostgreSQL lacks stops the copy.
async fn column_types(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[String],
) -> StoreResult<Vec<Type>> {
    let found = tx
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1",
            &[&table],
        )
        .await?;
    columns
        .iter()
        .map(|column| {
            let data_type = found
                .iter()
                .find(|r| r.get::<_, &str>(0) == column)
                .map(|r| r.get::<_, String>(1))
                .ok_or_else(|| {
                    StoreError::Internal(format!(
                        "the SQLite column {table}.{column} has no place in PostgreSQL"
                    ))
                })?;
            match data_type.as_str() {
                "bigint" => Ok(Type::INT8),
                "text" => Ok(Type::TEXT),
                other => Err(StoreError::Internal(format!(
                    "{table}.{column} is {other} in PostgreSQL; the copy knows bigint and text"
                ))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::postgres::{PgStore, test_database};
    use super::super::test_support::{device, register, store_with_staff};
    use super::super::{Store, StoreError};
    use super::{TABLES, copy};
    use chrono::Utc;
    use rusqlite::types::ValueRef;
    use shared::property::Property;

    /// Every row of every table, each value as text, sorted.
    type Dump = Vec<(&'static str, Vec<Vec<Option<String>>>)>;

    fn sqlite_dump(path: &std::path::Path) -> Dump {
        let conn = rusqlite::Connection::open(path).expect("open");
        TABLES
            .iter()
            .map(|table| {
                let mut stmt = conn
                    .prepare(&format!("SELECT * FROM {table}"))
                    .expect("select");
                let width = stmt.column_count();
                let mut rows: Vec<Vec<Option<String>>> = stmt
                    .query_map([], |r| {
                        (0..width)
                            .map(|i| {
                                Ok(match r.get_ref(i)? {
                                    ValueRef::Null => None,
                                    ValueRef::Integer(v) => Some(v.to_string()),
                                    ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into()),
                                    other => panic!("{table}: unexpected {other:?}"),
                                })
                            })
                            .collect()
                    })
                    .expect("rows")
                    .collect::<Result<_, _>>()
                    .expect("read");
                rows.sort();
                (*table, rows)
            })
            .collect()
    }

    fn postgres_dump(store: &PgStore, like: &Dump) -> Dump {
        let tables: Vec<&'static str> = like.iter().map(|(table, _)| *table).collect();
        store
            .run(|pool| async move {
                let client = pool.get().await?;
                let mut dump = Vec::new();
                for table in tables {
                    let columns: Vec<String> = client
                        .query(
                            "SELECT column_name::text FROM information_schema.columns
                             WHERE table_schema = current_schema() AND table_name = $1
                             ORDER BY ordinal_position",
                            &[&table],
                        )
                        .await?
                        .iter()
                        .map(|r| format!("{}::text", r.get::<_, String>(0)))
                        .collect();
                    let mut rows: Vec<Vec<Option<String>>> = client
                        .query(&format!("SELECT {} FROM {table}", columns.join(", ")), &[])
                        .await?
                        .iter()
                        .map(|r| (0..columns.len()).map(|i| r.get(i)).collect())
                        .collect();
                    rows.sort();
                    dump.push((table, rows));
                }
                Ok(dump)
            })
            .expect("dump")
    }

    /// A NUL character an older build let into a device's name is
    /// dropped from the copy, which PostgreSQL refused whole for it.
    #[test]
    fn a_nul_an_older_build_let_into_a_name_does_not_stop_the_copy() {
        let Some(url) = test_database::fresh() else {
            return;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, _, user) = store_with_staff(dir.path());
        let (tablet, _) = device(&store, &user);
        drop(store);
        let path = dir.path().join("cases.sqlite3");
        let conn = rusqlite::Connection::open(&path).expect("the SQLite file");
        let name: String = conn
            .query_row(
                "UPDATE devices SET name = name || char(0) || '2' WHERE id = ?1 RETURNING name",
                [tablet.to_string()],
                |r| r.get(0),
            )
            .expect("a name with a NUL");
        drop(conn);
        let target = PgStore::open(
            &url,
            2,
            test_database::ca().as_deref(),
            &dir.path().join("blobs"),
        )
        .expect("open PostgreSQL");
        copy(&path, &target).expect("copy");
        let devices = target.devices().expect("the devices");
        let copied = devices
            .iter()
            .find(|d| d.id == tablet)
            .expect("the tablet copied");
        assert_eq!(copied.name, name.replace('\0', ""));
    }

    #[test]
    fn an_installation_moves_to_postgresql_row_for_row_and_only_into_an_empty_database() {
        let Some(url) = test_database::fresh() else {
            return;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, property, user) = store_with_staff(dir.path());
        let (tablet, number) = device(&store, &user);
        let ceiling = Utc::now() + chrono::Duration::minutes(5);
        let first = register(&property, &user, tablet, number);
        let mut second = register(&property, &user, tablet, number);
        second.seq = 2;
        // Its own number: one push's cases never share one.
        if let shared::op::Action::Register(reg) = &mut second.action {
            reg.reg_no = shared::regno::RegNo::new(&property.code, reg.reg_no.date(), number, 2)
                .expect("registration number");
        }
        // A case in a property the user may not work in: quarantined.
        let elsewhere = Property {
            id: shared::id::PropertyId(uuid::Uuid::now_v7()),
            code: "ELSE".into(),
            ..property.clone()
        };
        let mut refused = register(&elsewhere, &user, tablet, number);
        refused.seq = 3;
        let answer = store
            .push(
                tablet,
                &user,
                vec![first, second, refused],
                Utc::now(),
                ceiling,
            )
            .expect("push");
        assert_eq!(answer.quarantined.len(), 1, "{answer:?}");
        drop(store);
        let path = dir.path().join("cases.sqlite3");
        // More audit rows than one chunk holds: the copy goes in several.
        let mut conn = rusqlite::Connection::open(&path).expect("the SQLite file");
        let tx = conn.transaction().expect("a transaction");
        for i in 0..super::CHUNK_ROWS + 7 {
            tx.execute(
                "INSERT INTO audit (at, action, detail) VALUES ('2026-01-01T00:00:00Z', 'auth.login', ?1)",
                [format!("{{\"n\":{i}}}")],
            )
            .expect("an audit row");
        }
        tx.commit().expect("commit");
        drop(conn);
        let before = sqlite_dump(&path);

        let target = PgStore::open(
            &url,
            2,
            test_database::ca().as_deref(),
            &dir.path().join("blobs"),
        )
        .expect("open PostgreSQL");
        let report = copy(&path, &target).expect("copy");
        let ops = report
            .rows
            .iter()
            .find(|(t, _)| *t == "ops")
            .map(|(_, n)| *n);
        assert_eq!(ops, Some(2));
        assert_eq!(postgres_dump(&target, &before), before);
        assert_eq!(
            sqlite_dump(&path),
            before,
            "the SQLite file is left as it was"
        );
        assert!(matches!(copy(&path, &target), Err(StoreError::Conflict(_))));
    }
}
