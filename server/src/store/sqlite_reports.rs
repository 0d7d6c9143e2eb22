//! [`Reports`] for SQLite: the SQL of `reports_sql.rs` (statistics,
//! export) and `spot_checks_sql.rs` (the draws) on a read-only connection,
//! or the writer for a draw.

use super::AuditEntry;
use super::engine::Engine;
use super::filter_sql::case_where;
use super::reports::{Reports, SpotCheckDraw, SpotCheckFilter, StatsQuery};
use super::reports_sql;
use super::spot_checks_sql;
use super::sqlite::SqliteStore;
use super::{CaseFilter, StoreResult};
use chrono::{DateTime, Utc};
use shared::report::{ExportRow, SpotCheck, Stats};
use shared::role::Scope;

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
        self.write(|tx| spot_checks_sql::draw(tx, d, audit))?;
        let mut conn = self.read()?;
        spot_checks_sql::drawn(&conn.transaction()?, d)
    }

    fn spot_checks(&self, scope: &Scope, filter: &SpotCheckFilter) -> StoreResult<Vec<SpotCheck>> {
        let mut conn = self.read()?;
        spot_checks_sql::load(&conn.transaction()?, scope, filter)
    }

    fn export_ids(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let (sql, args) = case_where(scope, filter, now);
        reports_sql::export_ids(&*self.read()?, &sql, &args)
    }

    fn export_rows(&self, ids: &[String]) -> StoreResult<Vec<ExportRow>> {
        reports_sql::export_rows(&*self.read()?, ids)
    }
}
