//! The PostgreSQL backend, for groups that outgrow one machine: any number
//! of stateless `serve` processes on one database.
//!
//! **Driver.** `tokio-postgres` with a `deadpool-postgres` pool. The
//! [`Store`](super::Store) methods are blocking (handlers run them on the
//! blocking pool), so the store owns a small runtime of its own and blocks
//! on it: the connections' background tasks run there whatever the
//! caller's runtime is doing.
//!
//! **TLS.** Connections use TLS when the URL's `sslmode` asks for it
//! (`require`) or allows it and the database offers it (`prefer`, the
//! default), always verifying the database's certificate against the
//! system's certificate authorities and the one given with
//! `--database-ca`; `sslmode=disable` turns TLS off, for a database on the
//! same machine.
//!
//! **Server sequence numbers never skip.** Pull hands out "every op after
//! the device's cursor" by server sequence number, which is only safe if a
//! number becomes visible no later than every smaller one. Concurrent
//! transactions taking numbers from a PostgreSQL sequence would break
//! that: a transaction that took 10 and commits after the one that took
//! 11 leaves a puller who saw 11 past 10 for ever (the outbox ordering
//! problem). So numbers come from the `counters` row, taken with
//! `UPDATE … RETURNING` (`config::next_seq`, the same on SQLite): the row stays locked until the
//! transaction ends, so the transactions that write ops or deletions
//! commit one at a time in number order, on one server or many — the same
//! order SQLite's single writer gives. A server's pushes already commit
//! in groups, so the lock is taken once per group, not per op. The test
//! `a_server_sequence_number_holds_back_the_next_until_it_commits` fails if
//! the numbers stop being serialized.

use super::blobs::BlobStore;
use super::db::Db;
use super::postgres_schema;
pub use super::postgres_schema::latest as latest_schema;
use super::push_sql::PushQueue;
use super::{StoreError, StoreResult};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connections a server keeps when `--pool-size` is not given.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// A store on a PostgreSQL database.
pub struct PgStore {
    /// Runs the driver; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
    /// The blob directory: on a disk every server shares
    /// (`postgres_store.rs`).
    pub(super) blobs: BlobStore,
    /// This server's pushes waiting for the writer lock.
    pub(super) pushes: PushQueue,
    /// This server's writers take turns here before they take a
    /// connection (`postgres_store.rs`).
    pub(super) writing: std::sync::Mutex<()>,
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        // The driver's own text is only "db error"; the server's is in
        // the database error.
        match e.as_db_error() {
            Some(db) if *db.code() == tokio_postgres::error::SqlState::DISK_FULL => {
                StoreError::Full(db.message().to_string())
            }
            Some(db) if unavailable(db.code().code()) => {
                StoreError::Unavailable(format!("{} ({})", db.message(), db.code().code()))
            }
            // The connection went: the database restarting, a network cut.
            // Not any error of the driver's with an I/O cause: one it could
            // not encode or parse is a bug, the same at every try.
            None if e.is_closed() || connection_lost(&e) => StoreError::Unavailable(e.to_string()),
            // Not the error's detail: for a NOT NULL or CHECK violation it
            // is the whole failing row ("Failing row contains (…)"), an
            // op's JSON with the complainant's name and phone, and an
            // internal error's text goes to the log. Where it failed is
            // enough to find why.
            Some(db) => StoreError::Internal(format!(
                "{} ({}){}{}",
                db.message(),
                db.code().code(),
                db.table()
                    .map(|t| format!(", table {t}"))
                    .unwrap_or_default(),
                db.constraint()
                    .or(db.column())
                    .map(|c| format!(", on {c}"))
                    .unwrap_or_default()
            )),
            None => StoreError::Internal(e.to_string()),
        }
    }
}

/// Whether the SQLSTATE `code` says the database cannot take requests
/// just now rather than that this one is wrong: a connection lost (class
/// 08), the database shutting down or starting (57P01–57P03), its
/// connections all taken (53300), or a standby that takes no writes, as
/// after a failover to a replica (25006).
fn unavailable(code: &str) -> bool {
    (code.starts_with("08") && code != "08P01")
        || ["57P01", "57P02", "57P03", "53300", "25006"].contains(&code)
}

/// Whether `e`'s cause is the connection failing: refused, reset, cut
/// short, timed out.
fn connection_lost(e: &tokio_postgres::Error) -> bool {
    use std::io::ErrorKind::*;
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|io| {
            matches!(
                io.kind(),
                ConnectionRefused
                    | ConnectionReset
                    | ConnectionAborted
                    | NotConnected
                    | BrokenPipe
                    | TimedOut
                    | UnexpectedEof
                    | HostUnreachable
                    | NetworkUnreachable
                    | AddrNotAvailable
            )
        })
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            // Every connection busy past the wait, or a new one not made.
            deadpool_postgres::PoolError::Timeout(_) => {
                StoreError::Unavailable(format!("connection pool: {e}"))
            }
            e => StoreError::Internal(format!("connection pool: {e}")),
        }
    }
}

/// What each connection sets, besides the URL's own `options`. A server
/// that stops in the middle of a transaction (frozen, or cut off from the
/// database) would hold the writer lock (`counters`) until PostgreSQL
/// noticed the dead connection, hours with the operating system's
/// defaults, and every push, login and audit of every server would wait
/// behind it. PostgreSQL ends a session idle in a transaction after a
/// minute instead; a live transaction never idles that long.
///
/// A commit is flushed before it is acknowledged whatever the database
/// or role sets (`synchronous_commit=off` is a common tuning): a push
/// acknowledged and then lost in a crash would give its server sequence
/// numbers to later pushes, and a tablet that had pulled the lost ones
/// would skip the new ones for ever (SQLite's `synchronous=FULL`).
///
/// A backslash in a string literal is a backslash whatever the database
/// sets: the search's `LIKE ? ESCAPE '\'` would otherwise be a syntax
/// error under `standard_conforming_strings=off`, and every search fail.
///
/// No statement or lock wait is cut short by what a managed database sets
/// for its roles (`statement_timeout=30s` is common): an upgrade's index
/// over a year of audit would fail and the server refuse to start, and a
/// head office's statistics fail for a large company.
///
/// The database's side gives up on this server after 30 s of data it sent
/// unacknowledged (`tcp_user_timeout`, PostgreSQL 12): a server that lost
/// power while a write's answer was on its way would otherwise hold the
/// writer lock for the quarter of an hour of the operating system's
/// retransmissions, the session being busy, not idle.
const SESSION: &str = "-c idle_in_transaction_session_timeout=60s -c synchronous_commit=on \
                       -c standard_conforming_strings=on -c statement_timeout=0 \
                       -c lock_timeout=0 -c tcp_user_timeout=30000";

/// How long the server waits for the database before it answers that it
/// cannot reach it, where the URL says nothing else: the operating
/// system's defaults (two minutes to connect, two hours before a dead
/// connection is probed, a quarter of an hour of retransmissions) would
/// hold every push of this server behind its one writer meanwhile.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// See [`CONNECT_TIMEOUT`]: unacknowledged data on a connection.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);
/// See [`CONNECT_TIMEOUT`]: an idle connection probed after this long,
/// every [`KEEPALIVE_INTERVAL`], [`KEEPALIVE_RETRIES`] times.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 3;
/// How long a request waits for one of the pool's connections, and for
/// a new one to be made or a used one checked.
const POOL_WAIT: Duration = Duration::from_secs(30);
const POOL_CREATE: Duration = Duration::from_secs(10);
const POOL_RECYCLE: Duration = Duration::from_secs(5);
/// tokio-postgres's keepalive idle time when the URL sets none.
const DRIVER_KEEPALIVE_IDLE: Duration = Duration::from_secs(2 * 60 * 60);

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`)
    /// with at most `pool_size` connections, trusting the certificate
    /// authority in the PEM file `ca` besides the system's, and brings the
    /// schema up to date. Evidence files are kept in `blobs`. Nothing is
    /// written besides the schema: [`PgStore::seed`] readies a database to
    /// serve.
    pub fn open(
        url: &str,
        pool_size: usize,
        ca: Option<&Path>,
        blobs: &Path,
    ) -> StoreResult<PgStore> {
        let store = PgStore::connect(url, pool_size, ca, blobs)?;
        store.run(|pool| async move {
            let mut client = pool.get().await.map_err(connect_error)?;
            // The schema's `COLLATE "C"` orders as SQLite does only over
            // UTF-8 bytes (SQL_ASCII keeps the bytes given, which are), and
            // another encoding refuses characters SQLite takes (an emoji, a
            // rare hanzi typed into a complaint): a push holding one would
            // fail for good. A new database is refused; one already in
            // use is said so, and left to its operator to move.
            let encoding: String = client.query_one("SHOW server_encoding", &[]).await?.get(0);
            if !matches!(encoding.as_str(), "UTF8" | "SQL_ASCII") {
                let advice = format!(
                    "the database's encoding is {encoding}, not UTF8: create it with \
                     `CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0`"
                );
                if postgres_schema::applied(&client).await?.is_none() {
                    return Err(StoreError::Internal(advice));
                }
                tracing::warn!("{advice} (and move the data there with pg_dump and pg_restore)");
            }
            let version = postgres_schema::migrate(&mut client).await?;
            if version > postgres_schema::latest() {
                return Err(StoreError::Internal(format!(
                    "the database is at schema version {version}, newer than this server's {}: \
                     run the newer server",
                    postgres_schema::latest()
                )));
            }
            Ok(())
        })?;
        Ok(store)
    }

    /// Connects to a database a server of this build made and migrated,
    /// never migrating it: for a command that runs beside a server
    /// (`check`), which must not upgrade the schema under an older server
    /// still running, nor make the tables in a mistyped database.
    pub fn open_as_it_is(
        url: &str,
        pool_size: usize,
        ca: Option<&Path>,
        blobs: &Path,
    ) -> StoreResult<PgStore> {
        let store = PgStore::connect(url, pool_size, ca, blobs)?;
        store.run(|pool| async move {
            let client = pool.get().await.map_err(connect_error)?;
            let version = postgres_schema::applied(&client).await?;
            let ours = postgres_schema::latest();
            match version {
                None => Err(StoreError::Internal(
                    "the database has no schema of this server: pass the database URL \
                     the server runs with"
                        .into(),
                )),
                Some(v) if v != ours => Err(StoreError::Internal(format!(
                    "the database is at schema version {v} and this build's is {ours}: run \
                     this command with the build of the server that runs on it (a server of \
                     this build upgrades it when it starts)"
                ))),
                Some(_) => Ok(()),
            }
        })?;
        Ok(store)
    }

    /// The pool and the blob directory, the schema untouched.
    fn connect(
        url: &str,
        pool_size: usize,
        ca: Option<&Path>,
        blobs: &Path,
    ) -> StoreResult<PgStore> {
        let blobs = BlobStore::open(blobs)
            .map_err(|e| StoreError::Internal(format!("open {}: {e}", blobs.display())))?;
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Internal(format!("database URL: {e}")))?;
        let options = (config.get_options().into_iter())
            .chain([SESSION])
            .collect::<Vec<_>>()
            .join(" ");
        config.options(options);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        if config.get_keepalives_idle() == DRIVER_KEEPALIVE_IDLE {
            config
                .keepalives_idle(KEEPALIVE_IDLE)
                .keepalives_interval(KEEPALIVE_INTERVAL)
                .keepalives_retries(KEEPALIVE_RETRIES);
        }
        let tls = tls(ca)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Internal(format!("start the database runtime: {e}")))?;
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_CREATE))
            .recycle_timeout(Some(POOL_RECYCLE))
            .build()
            .map_err(|e| StoreError::Internal(format!("connection pool: {e}")))?;
        let store = PgStore {
            runtime: Some(runtime),
            pool,
            blobs,
            pushes: PushQueue::default(),
            writing: std::sync::Mutex::new(()),
        };
        Ok(store)
    }

    /// Runs `work` with the pool on the store's runtime and waits for it.
    pub(super) fn run<T, F, Fut>(&self, work: F) -> StoreResult<T>
    where
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| StoreError::Internal("the store is closing".into()))?;
        runtime.block_on(work(self.pool.clone()))
    }

    /// The store's runtime, for blocking on it.
    pub(super) fn handle(&self) -> StoreResult<tokio::runtime::Handle> {
        self.runtime
            .as_ref()
            .map(|r| r.handle().clone())
            .ok_or_else(|| StoreError::Internal("the store is closing".into()))
    }

    /// The connection pool.
    pub(super) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> StoreResult<i64> {
        self.connection()?
            .query_one(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                &[],
            )?
            .get(0)
    }

    /// The server's epoch (see `Store::epoch`).
    pub fn epoch(&self) -> StoreResult<u64> {
        self.connection()?
            .query_one("SELECT value FROM counters WHERE name = 'epoch'", &[])?
            .get(0)
    }
}

/// The TLS setup for the database's connections: the system's certificate
/// authorities (Debian's bundle) and the one in `ca`, if given.
fn tls(ca: Option<&Path>) -> StoreResult<MakeRustlsConnect> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
    let mut roots = rustls::RootCertStore::empty();
    if Path::new(SYSTEM_BUNDLE).exists() {
        let system = CertificateDer::pem_file_iter(SYSTEM_BUNDLE)
            .map_err(|e| StoreError::Internal(format!("read {SYSTEM_BUNDLE}: {e}")))?;
        // A bundle may hold certificates rustls cannot use; the rest stay.
        roots.add_parsable_certificates(system.flatten());
    }
    if let Some(ca) = ca {
        let unreadable = |e: &dyn std::fmt::Display| {
            StoreError::Internal(format!("--database-ca {}: {e}", ca.display()))
        };
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(ca).map_err(|e| unreadable(&e))? {
            roots
                .add(cert.map_err(|e| unreadable(&e))?)
                .map_err(|e| unreadable(&e))?;
            added += 1;
        }
        if added == 0 {
            return Err(unreadable(&"holds no certificate"));
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StoreError::Internal(format!("TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// A failed first connection, said so that whoever starts the server knows
/// what to change.
fn connect_error(e: deadpool_postgres::PoolError) -> StoreError {
    // The driver's own words are in the chain of sources.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    let hint = if text.contains("TLS") || text.contains("certificate") {
        " (is the database's TLS certificate trusted? Give its certificate authority \
         with --database-ca, or use sslmode=disable for a database on this machine)"
    } else {
        ""
    };
    StoreError::Internal(format!("connect to the database: {text}{hint}"))
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // A store may be dropped inside another runtime (a test, the
        // server's shutdown), where blocking on this one's end would panic.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[doc(hidden)]
pub mod test_database {
    //! For this crate's tests, unit and integration: a fresh database per
    //! test on the cluster `cargo xtask test` starts (`TEST_POSTGRES_URL`).
    //! Without one the PostgreSQL tests say so and pass, unless
    //! `TEST_POSTGRES_REQUIRED` is set, as `cargo xtask test` sets it:
    //! there they fail.

    use std::str::FromStr;

    /// The certificate authority of the test cluster's TLS certificate.
    pub fn ca() -> Option<std::path::PathBuf> {
        std::env::var_os("TEST_POSTGRES_CA").map(Into::into)
    }

    /// The URL of a new, empty database, or `None` to skip.
    pub fn fresh() -> Option<String> {
        fresh_with("")
    }

    /// [`fresh`], created with `options` after its name (`ENCODING …`).
    pub fn fresh_with(options: &str) -> Option<String> {
        let Ok(url) = std::env::var("TEST_POSTGRES_URL") else {
            assert!(
                std::env::var_os("TEST_POSTGRES_REQUIRED").is_none(),
                "TEST_POSTGRES_REQUIRED is set but TEST_POSTGRES_URL is not"
            );
            eprintln!("skipped: no TEST_POSTGRES_URL (`cargo xtask postgres` starts a cluster)");
            return None;
        };
        let name = format!("test_{}", uuid::Uuid::now_v7().simple());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect to the test cluster");
            tokio::spawn(connection);
            client
                .batch_execute(&format!("CREATE DATABASE {name} {options}"))
                .await
                .expect("create the test database");
        });
        let mut config = tokio_postgres::Config::from_str(&url).expect("test URL");
        config.dbname(&name);
        let host = match &config.get_hosts()[0] {
            tokio_postgres::config::Host::Tcp(host) => host.clone(),
            other => panic!("the test cluster is reached over TCP, not {other:?}"),
        };
        let user = config.get_user().unwrap_or("postgres");
        let port = config.get_ports().first().copied().unwrap_or(5432);
        Some(format!("postgres://{user}@{host}:{port}/{name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::next_seq;
    use super::super::db::Db;
    use super::super::postgres_db::Isolation;
    use super::{PgStore, test_database};

    fn store(url: &str) -> PgStore {
        let blobs = tempfile::tempdir().expect("temp dir");
        PgStore::open(url, 4, test_database::ca().as_deref(), blobs.path()).expect("open")
    }

    #[test]
    fn a_connection_keeps_a_bounded_number_of_statements_prepared() {
        use super::super::postgres_db::MAX_PREPARED;
        let Some(url) = test_database::fresh() else {
            return;
        };
        let store = store(&url);
        // SQL built at run time, each variant prepared where it runs.
        for n in 0..4 * (MAX_PREPARED + 10) {
            let db = store.connection().expect("a connection");
            db.query(&format!("SELECT {n}::BIGINT"), &[])
                .expect("a query");
        }
        let all: Vec<_> = (0..4)
            .map(|_| store.connection().expect("a connection"))
            .collect();
        for db in &all {
            assert!(db.prepared() <= MAX_PREPARED, "{}", db.prepared());
        }
    }

    #[test]
    fn a_database_not_in_utf8_is_refused_before_anything_is_written() {
        let Some(url) = test_database::fresh_with(
            "ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0",
        ) else {
            return;
        };
        let blobs = tempfile::tempdir().expect("temp dir");
        let refused = PgStore::open(&url, 4, test_database::ca().as_deref(), blobs.path())
            .err()
            .expect("refused");
        assert!(refused.to_string().contains("LATIN1"), "{refused}");
        let store = PgStore::connect(&url, 1, test_database::ca().as_deref(), blobs.path())
            .expect("connect");
        let tables: i64 = store
            .connection()
            .expect("a connection")
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
                &[],
            )
            .expect("count")
            .get(0)
            .expect("a count");
        assert_eq!(tables, 0, "no schema was made");
    }

    #[test]
    fn opening_migrates_once_and_again_is_a_no_op() {
        let Some(url) = test_database::fresh() else {
            return;
        };
        let first = store(&url);
        assert_eq!(
            first.schema_version().expect("version"),
            super::postgres_schema::latest()
        );
        assert_eq!(first.epoch().expect("epoch"), 1);
        // A second server on the same database finds the schema in place.
        let second = store(&url);
        assert_eq!(
            second.schema_version().expect("version"),
            super::postgres_schema::latest()
        );
    }

    #[test]
    fn the_database_is_reached_over_tls_verified_by_the_given_authority() {
        let Some(url) = test_database::fresh() else {
            return;
        };
        let ca = test_database::ca().expect("the test cluster's certificate authority");
        let url = format!("{url}?sslmode=require");
        let blobs = tempfile::tempdir().expect("temp dir");
        let store = PgStore::open(&url, 1, Some(&ca), blobs.path()).expect("open over TLS");
        let encrypted: bool = store
            .run(|pool| async move {
                let client = pool.get().await?;
                let row = client
                    .query_one(
                        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                        &[],
                    )
                    .await?;
                Ok(row.get(0))
            })
            .expect("ask");
        assert!(encrypted);
        let Err(untrusted) = PgStore::open(&url, 1, None, blobs.path()) else {
            panic!("a certificate from an unknown authority was accepted");
        };
        assert!(
            untrusted.to_string().contains("--database-ca"),
            "{untrusted}"
        );
    }

    /// What a session sets holds whatever the database sets for its
    /// sessions (a managed database's tuning).
    #[test]
    fn a_session_sets_its_own_timeouts_and_commits_whatever_the_database_sets() {
        let Some(url) = test_database::fresh() else {
            return;
        };
        store(&url)
            .run(|pool| async move {
                let client = pool.get().await?;
                let db: String = client
                    .query_one("SELECT current_database()", &[])
                    .await?
                    .get(0);
                client
                    .batch_execute(&format!(
                        "ALTER DATABASE \"{db}\" SET statement_timeout = '1ms';
                         ALTER DATABASE \"{db}\" SET lock_timeout = '1ms';
                         ALTER DATABASE \"{db}\" SET synchronous_commit = off;
                         ALTER DATABASE \"{db}\" SET idle_in_transaction_session_timeout = '1h'"
                    ))
                    .await?;
                Ok(())
            })
            .expect("tune the database");
        let settings: Vec<String> = store(&url)
            .run(|pool| async move {
                let client = pool.get().await?;
                let mut shown = Vec::new();
                for setting in [
                    "idle_in_transaction_session_timeout",
                    "synchronous_commit",
                    "statement_timeout",
                    "lock_timeout",
                    "tcp_user_timeout",
                ] {
                    let row = client.query_one(&format!("SHOW {setting}"), &[]).await?;
                    shown.push(row.get(0));
                }
                Ok(shown)
            })
            .expect("ask");
        assert_eq!(settings, ["1min", "on", "0", "0", "30000"]);
    }

    /// Two transactions that each take a server sequence number: the second
    /// must wait for the first to end, or a puller could see its number
    /// before the first's. With a lock timeout the wait shows as an error
    /// instead of a hang; without the serialization the second would get
    /// its number at once.
    #[test]
    fn a_server_sequence_number_holds_back_the_next_until_it_commits() {
        let Some(url) = test_database::fresh() else {
            return;
        };
        let store = store(&url);
        let mut first = store.connection().expect("connection");
        let mut second = store.connection().expect("connection");
        let first_tx = first.transaction(Isolation::ReadCommitted).expect("begin");
        let taken = next_seq(&first_tx).expect("first number");
        let second_tx = second.transaction(Isolation::ReadCommitted).expect("begin");
        second_tx
            .batch("SET LOCAL lock_timeout = '200ms'")
            .expect("lock timeout");
        let waited = next_seq(&second_tx);
        assert!(
            waited.is_err(),
            "a second transaction took a number while {taken} was uncommitted"
        );
        drop(second_tx);
        first_tx.commit().expect("commit");
        let after = second.transaction(Isolation::ReadCommitted).expect("begin");
        assert_eq!(next_seq(&after).expect("next"), taken + 1);
    }
}
