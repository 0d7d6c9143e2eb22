//! [`Reports`] for SQLite: the statistics and the export run the SQL of
//! `reports_sql.rs` on a read-only connection; the spot-check draws are
//! `sqlite_spot_checks.rs`.

use super::AuditEntry;
use super::filter_sql::case_where;
use super::reports::{Reports, SpotCheckDraw, SpotCheckFilter, StatsQuery};
use super::reports_sql;
use super::sqlite::SqliteStore;
use super::sqlite_spot_checks;
use super::{CaseFilter, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};
use shared::report::{ExportCursor, ExportRow, SpotCheck, Stats};
use shared::role::Scope;

/// Every row of a query, each made into a `T` by `f`.
pub(super) fn rows<T>(
    conn: &Connection,
    sql: &str,
    args: &[Value],
    mut f: impl FnMut(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(f(r)?);
    }
    Ok(out)
}

impl Reports for SqliteStore {
    fn stats(&self, q: &StatsQuery) -> StoreResult<Stats> {
        let mut conn = self.read()?;
        // One read transaction: every figure is of the same moment.
        let tx = conn.transaction()?;
        let stats = reports_sql::stats(&tx, q)?;
        tx.commit()?;
        Ok(stats)
    }

    fn draw_spot_check(&self, d: &SpotCheckDraw, audit: &AuditEntry) -> StoreResult<SpotCheck> {
        sqlite_spot_checks::draw(self, d, audit)
    }

    fn spot_checks(&self, scope: &Scope, filter: &SpotCheckFilter) -> StoreResult<Vec<SpotCheck>> {
        sqlite_spot_checks::load(&*self.read()?, scope, filter)
    }

    fn export_count(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let (sql, args) = case_where(scope, filter, now);
        reports_sql::count_of(&*self.read()?, &sql, &args)
    }

    fn export_page(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        after: Option<&ExportCursor>,
        limit: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ExportRow>> {
        let (sql, args) = case_where(scope, filter, now);
        reports_sql::export_page(&*self.read()?, sql, args, after, limit)
    }
}
