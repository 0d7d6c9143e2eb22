//! Reading cases, the case list and the quarantine on either engine
//! ([`Db`]).

use super::db::Db;
use super::filter_sql::case_where;
use super::sqlite::{parse_id, parse_ts};
use super::sqlite_history;
use super::{CaseFilter, StoreResult};
use chrono::{DateTime, Utc};
use shared::admin::QuarantineEntry;
use shared::case::Case;
use shared::id::{CaseId, PropertyId};
use shared::role::Scope;
use shared::wire::{CaseSummary, Page};

/// The case `id` whole (its row and its history) and its property. The
/// caller reads in one snapshot: a push beside it may be adding history.
pub(super) fn case(db: &dyn Db, id: CaseId) -> StoreResult<Option<(PropertyId, Case)>> {
    let Some(row) = db.query_opt(
        "SELECT property_id, json FROM cases WHERE id = ?1",
        &[id.to_string().into()],
    )?
    else {
        return Ok(None);
    };
    let property = parse_id(&row.get::<String>(0)?)?;
    let case = sqlite_history::whole(db, id, &row.get::<String>(1)?)?;
    Ok(Some((property, case)))
}

/// One page of the case list of `f` in `scope`, newest first.
pub(super) fn cases(
    db: &dyn Db,
    scope: &Scope,
    f: &CaseFilter,
    now: DateTime<Utc>,
) -> StoreResult<Page<CaseSummary>> {
    let (where_, mut args) = case_where(scope, f, now);
    let total: u64 = db
        .query_one(&format!("SELECT count(*) FROM cases WHERE {where_}"), &args)?
        .get(0)?;
    let per_page = f.per_page.clamp(1, 500);
    let page = f.page.max(1);
    let offset = (page as i64 - 1) * per_page as i64;
    args.push(i64::from(per_page).into());
    args.push(offset.into());
    let rows = db.query(
        &format!(
            "SELECT id, reg_no, kind, state, property_id, category, complainant_name, summary,
                received_at, next_due_at
             FROM cases WHERE {where_} ORDER BY received_at DESC, id LIMIT ? OFFSET ?"
        ),
        &args,
    )?;
    let items = rows
        .iter()
        .map(|r| {
            let next_due_at = r
                .get::<Option<String>>(9)?
                .as_deref()
                .map(parse_ts)
                .transpose()?;
            Ok(CaseSummary {
                id: parse_id(&r.get::<String>(0)?)?,
                reg_no: r.get(1)?,
                kind: serde_json::from_value(serde_json::Value::String(r.get(2)?))?,
                state: serde_json::from_value(serde_json::Value::String(r.get(3)?))?,
                property: parse_id(&r.get::<String>(4)?)?,
                category: r.get(5)?,
                complainant_name: r.get(6)?,
                summary: r.get(7)?,
                received_at: parse_ts(&r.get::<String>(8)?)?,
                next_due_at,
                overdue: shared::case::overdue(next_due_at, now),
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// How many ops the server holds.
pub(super) fn op_count(db: &dyn Db) -> StoreResult<u64> {
    db.query_one("SELECT count(*) FROM ops", &[])?.get(0)
}

/// The quarantined ops not yet settled, oldest first.
pub(super) fn quarantine(db: &dyn Db) -> StoreResult<Vec<QuarantineEntry>> {
    db.query(
        "SELECT id, device_id, seq, code, message, received_at, json FROM quarantine
         WHERE resolved_at IS NULL ORDER BY id",
        &[],
    )?
    .iter()
    .map(|r| {
        let json: String = r.get(6)?;
        Ok(QuarantineEntry {
            id: r.get(0)?,
            device: parse_id(&r.get::<String>(1)?)?,
            seq: r.get(2)?,
            code: r.get(3)?,
            message: r.get(4)?,
            received_at: parse_ts(&r.get::<String>(5)?)?,
            op: serde_json::from_str(&json).unwrap_or(serde_json::Value::String(json)),
        })
    })
    .collect()
}
