//! [`Reports`] for PostgreSQL: the same SQL as SQLite's
//! (`reports_sql.rs`, `spot_checks_sql.rs`) on a pooled connection. A
//! statistics run reads one snapshot (`REPEATABLE READ`), so every figure
//! is of the same moment, as SQLite's read transaction gives.

use super::engine::Engine;
use super::filter_sql::case_where;
use super::postgres::PgStore;
use super::postgres_db::Isolation;
use super::reports::{Reports, SpotCheckDraw, SpotCheckFilter, StatsQuery};
use super::{AuditEntry, CaseFilter, StoreResult, reports_sql, spot_checks_sql};
use chrono::{DateTime, Utc};
use shared::report::{ExportRow, SpotCheck, Stats};
use shared::role::Scope;

impl Reports for PgStore {
    fn stats(&self, q: &StatsQuery) -> StoreResult<Stats> {
        let mut conn = self.connection()?;
        let tx = conn.transaction(Isolation::RepeatableRead)?;
        let stats = reports_sql::stats(&tx, q)?;
        tx.commit()?;
        Ok(stats)
    }

    fn draw_spot_check(&self, d: &SpotCheckDraw, audit: &AuditEntry) -> StoreResult<SpotCheck> {
        // As a writer, like SQLite's draw: a retention delete cannot
        // remove a case between the draw's reading it and its sample's
        // naming it. Two servers drawing the same quarter at once: the
        // table's unique key makes the second insert nothing, a `Conflict`.
        self.write(|tx| spot_checks_sql::draw(tx, d, audit))?;
        let mut conn = self.connection()?;
        spot_checks_sql::drawn(&conn.transaction(Isolation::RepeatableRead)?, d)
    }

    fn spot_checks(&self, scope: &Scope, filter: &SpotCheckFilter) -> StoreResult<Vec<SpotCheck>> {
        let mut conn = self.connection()?;
        spot_checks_sql::load(&conn.transaction(Isolation::RepeatableRead)?, scope, filter)
    }

    fn export_ids(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let (sql, args) = case_where(scope, filter, now);
        reports_sql::export_ids(&self.connection()?, &sql, &args)
    }

    fn export_rows(&self, ids: &[String]) -> StoreResult<Vec<ExportRow>> {
        reports_sql::export_rows(&self.connection()?, ids)
    }
}
