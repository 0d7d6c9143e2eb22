//! Writing a folded case's rows, and reading cases, the case list, the
//! quarantine and the epoch, on either engine ([`Db`]).

use super::blobs_sql;
use super::db::{Db, Value};
use super::filter_sql::case_where;
use super::history_sql;
use super::sqlite::{parse_id, parse_ts, ts};
use super::{CaseFilter, StoreResult};
use chrono::{DateTime, Utc};
use shared::admin::QuarantineEntry;
use shared::case::Case;
use shared::id::{CaseId, PropertyId};
use shared::property::Property;
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
    let case = history_sql::whole(db, id, &row.get::<String>(1)?)?;
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
    let mut where_ = where_;
    let offset = match f.after {
        // After the case given, in the list's order: newest first, then id.
        Some((received_at, id)) => {
            where_.push_str(" AND (received_at < ? OR (received_at = ? AND id > ?))");
            args.push(ts(received_at).into());
            args.push(ts(received_at).into());
            args.push(id.to_string().into());
            0
        }
        None => (page as i64 - 1) * per_page as i64,
    };
    // One more than the page: whether a page follows.
    args.push((i64::from(per_page) + 1).into());
    args.push(offset.into());
    let mut rows = db.query(
        &format!(
            "SELECT id, reg_no, kind, state, property_id, category, complainant_name, summary,
                received_at, next_due_at
             FROM cases WHERE {where_} ORDER BY received_at DESC, id LIMIT ? OFFSET ?"
        ),
        &args,
    )?;
    let more = rows.len() > per_page as usize;
    rows.truncate(per_page as usize);
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
        .collect::<StoreResult<Vec<CaseSummary>>>()?;
    let next = items
        .last()
        .filter(|_| more)
        .map(|last| format!("{},{}", ts(last.received_at), last.id));
    Ok(Page {
        items,
        total,
        page,
        per_page,
        next,
    })
}

/// How many ops the server holds.
pub(super) fn op_count(db: &dyn Db) -> StoreResult<u64> {
    db.query_one("SELECT count(*) FROM ops", &[])?.get(0)
}

/// At most `limit` of the quarantined ops not yet settled after the entry
/// `after`, oldest first.
pub(super) fn quarantine(
    db: &dyn Db,
    limit: u32,
    after: Option<i64>,
) -> StoreResult<Vec<QuarantineEntry>> {
    let mut entries = db
        .query(
            "SELECT q.id, q.device_id, q.seq, q.code, q.message, q.received_at, q.json, d.number, d.name
             FROM quarantine q LEFT JOIN devices d ON d.id = q.device_id
             WHERE q.resolved_at IS NULL AND q.id > ?1 ORDER BY q.id LIMIT ?2",
            &[
                after.unwrap_or(0).into(),
                i64::from(limit.clamp(1, 1000)).into(),
            ],
        )?
        .iter()
        .map(|r| {
            let json: String = r.get(6)?;
            let op: serde_json::Value =
                serde_json::from_str(&json).unwrap_or(serde_json::Value::String(json));
            // A registration carries its number; an op of a case the
            // server holds is named by the case's (below).
            let reg_no = op["action"]["reg_no"].as_str().map(str::to_string);
            Ok(QuarantineEntry {
                id: r.get(0)?,
                device: parse_id(&r.get::<String>(1)?)?,
                seq: r.get(2)?,
                code: r.get(3)?,
                message: r.get(4)?,
                received_at: parse_ts(&r.get::<String>(5)?)?,
                op,
                device_number: r
                    .get::<Option<i64>>(7)?
                    .and_then(|n| u32::try_from(n).ok()),
                device_name: r.get(8)?,
                reg_no,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    // The cases' numbers, an entry's case id being any text the device
    // sent.
    let cases: Vec<String> = entries
        .iter()
        .filter(|e| e.reg_no.is_none())
        .filter_map(|e| e.op["case_id"].as_str())
        .filter(|id| id.parse::<CaseId>().is_ok())
        .map(str::to_string)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !cases.is_empty() {
        // A deleted case is still named by the number its tombstone keeps.
        let marks = vec!["?"; cases.len()].join(", ");
        let args: Vec<Value<'_>> = cases
            .iter()
            .chain(&cases)
            .map(|c| c.as_str().into())
            .collect();
        let numbers: std::collections::HashMap<String, String> = db
            .query(
                &format!(
                    "SELECT id, reg_no FROM cases WHERE id IN ({marks})
                     UNION ALL SELECT case_id, reg_no FROM deletions WHERE case_id IN ({marks})"
                ),
                &args,
            )?
            .iter()
            .map(|r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)))
            .collect::<StoreResult<_>>()?;
        for e in entries.iter_mut().filter(|e| e.reg_no.is_none()) {
            e.reg_no = e.op["case_id"]
                .as_str()
                .and_then(|id| numbers.get(id))
                .cloned();
        }
    }
    Ok(entries)
}

/// What is stored of a case before [`write_case`] writes it.
#[derive(Clone, Copy)]
pub(super) enum Before<'a> {
    /// Nothing: the case is new, so there are no old blob references or
    /// clocks to replace.
    Nothing,
    /// Rows that were not read back: every one is replaced.
    Unread,
    /// The case as its row holds it (without its history).
    Stored(&'a Case),
}

/// Writes a folded case's query row, its blob references and its deadline
/// rows. Every value is `shared`'s; nothing here decides a rule. The row's
/// JSON is `case` as given: materializing passes it without its history
/// (`history_sql.rs`), which no column is made from. `seq` is the server
/// sequence number the row is current at: the counter's value once the
/// transaction's ops are stored.
///
/// Given the stored case, only what differs is written: a note or a call
/// leaves every indexed column as it was, and rewriting them would move
/// the row's entries in each of the nine indexes on `cases` (one of them
/// of 22 columns), which was the larger part of a small push's write.
pub(super) fn write_case(
    tx: &dyn Db,
    case: &Case,
    properties: &[Property],
    before: Before<'_>,
    seq: i64,
) -> StoreResult<()> {
    let id = case.id;
    let reg = &case.registration;
    let place = properties
        .iter()
        .find(|p| p.id == reg.property)
        .map(|p| shared::search::place(p, &reg.location))
        .unwrap_or_default();
    let search = [
        shared::search::text(reg, &place),
        shared::search::name(reg),
        shared::search::numbers(reg),
    ];
    // Every column but the search texts, the JSON and the sequence number
    // is `shared`'s projection of the folded case, flags included; those
    // are in no index.
    let row = shared::report::CaseRow::of(case);
    let stored = match before {
        Before::Stored(stored) => Some(stored),
        Before::Nothing | Before::Unread => None,
    };
    if stored.is_some_and(|stored| shared::report::CaseRow::of(stored) == row) {
        tx.execute(
            "UPDATE cases SET search = ?2, search_name = ?3, search_numbers = ?6, json = ?4, server_seq = ?5
             WHERE id = ?1",
            &[
                id.to_string().into(),
                search[0].clone().into(),
                search[1].clone().into(),
                serde_json::to_string(case)?.into(),
                seq.into(),
                search[2].clone().into(),
            ],
        )?;
    } else {
        write_row(tx, case, row, search, seq)?;
    }
    if stored.is_none_or(|stored| stored.attachments != case.attachments) {
        blobs_sql::write_case_blobs(tx, case, matches!(before, Before::Nothing))?;
    }
    if stored.is_none_or(|stored| stored.deadlines != case.deadlines) {
        write_deadlines(tx, case, matches!(before, Before::Nothing))?;
    }
    Ok(())
}

/// Inserts or replaces the whole of a case's row.
fn write_row(
    tx: &dyn Db,
    case: &Case,
    row: shared::report::CaseRow,
    [search, search_name, search_numbers]: [String; 3],
    seq: i64,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO cases (id, property_id, reg_no, kind, state, category, channel, severity, validity, urgent,
            building_id, unit_id, first_responder, assignee, complainant_name, complainant_phone, summary,
            received_at, recorded_at, resolved_at, closed_at, next_due_at, reopen_count, satisfaction, escalated,
            open_conflicts, violations, search, json, server_seq, department, spot_check_at,
            spot_check_satisfaction, is_open, is_completed, is_valid_complaint, attachment_count,
            respondent, respondent_department, search_name, search_numbers, unknown_clocks)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
            ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40,
            ?41, ?42)
         ON CONFLICT (id) DO UPDATE SET property_id = excluded.property_id, reg_no = excluded.reg_no,
            kind = excluded.kind, state = excluded.state, category = excluded.category, channel = excluded.channel,
            severity = excluded.severity, validity = excluded.validity, urgent = excluded.urgent,
            building_id = excluded.building_id, unit_id = excluded.unit_id, first_responder = excluded.first_responder,
            assignee = excluded.assignee, complainant_name = excluded.complainant_name,
            complainant_phone = excluded.complainant_phone, summary = excluded.summary,
            received_at = excluded.received_at, recorded_at = excluded.recorded_at, resolved_at = excluded.resolved_at,
            closed_at = excluded.closed_at, next_due_at = excluded.next_due_at, reopen_count = excluded.reopen_count,
            satisfaction = excluded.satisfaction, escalated = excluded.escalated,
            open_conflicts = excluded.open_conflicts, violations = excluded.violations, search = excluded.search,
            json = excluded.json, server_seq = excluded.server_seq, department = excluded.department,
            spot_check_at = excluded.spot_check_at, spot_check_satisfaction = excluded.spot_check_satisfaction,
            is_open = excluded.is_open, is_completed = excluded.is_completed,
            is_valid_complaint = excluded.is_valid_complaint,
            attachment_count = excluded.attachment_count, respondent = excluded.respondent,
            respondent_department = excluded.respondent_department, search_name = excluded.search_name,
            search_numbers = excluded.search_numbers, unknown_clocks = excluded.unknown_clocks",
        &[
            row.id.to_string().into(),
            row.property.to_string().into(),
            row.reg_no.into(),
            row.kind.code().into(),
            row.state.code().into(),
            row.category.into(),
            row.channel.code().into(),
            row.severity.map(|s| s.code()).into(),
            row.validity.map(|v| v.code()).into(),
            row.urgent.into(),
            row.building.map(|b| b.to_string()).into(),
            row.unit.map(|u| u.to_string()).into(),
            row.first_responder.to_string().into(),
            row.assignee.map(|u| u.to_string()).into(),
            row.complainant_name.into(),
            row.complainant_phone.into(),
            row.summary.into(),
            ts(row.received_at).into(),
            ts(row.recorded_at).into(),
            row.resolved_at.map(ts).into(),
            row.closed_at.map(ts).into(),
            row.next_due_at.map(ts).into(),
            row.reopen_count.into(),
            row.satisfaction.into(),
            row.escalated.into(),
            Value::Int(row.open_conflicts as i64),
            Value::Int(row.violations as i64),
            search.into(),
            serde_json::to_string(case)?.into(),
            seq.into(),
            row.department.into(),
            row.spot_check_at.map(ts).into(),
            row.spot_check_satisfaction.into(),
            row.open.into(),
            row.completed.into(),
            row.valid_complaint.into(),
            Value::Int(row.attachments as i64),
            row.respondent.into(),
            row.respondent_department.into(),
            search_name.into(),
            search_numbers.into(),
            row.unknown_clocks
                .iter()
                .map(|c| c.code())
                .collect::<Vec<_>>()
                .join(" ")
                .into(),
        ],
    )?;
    Ok(())
}

/// Replaces a case's deadline rows; `new` says it has none yet.
fn write_deadlines(tx: &dyn Db, case: &Case, new: bool) -> StoreResult<()> {
    let key = case.id.to_string();
    if !new {
        tx.execute(
            "DELETE FROM case_deadlines WHERE case_id = ?1",
            &[Value::from(&key)],
        )?;
    }
    for d in &case.deadlines {
        tx.execute(
            "INSERT INTO case_deadlines (case_id, clock, started_at, due_at, met_at, taken_unmet)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                Value::from(&key),
                d.clock.code().into(),
                ts(d.started_at).into(),
                ts(d.due_at).into(),
                d.met_at.map(ts).into(),
                d.taken_unmet.into(),
            ],
        )?;
    }
    Ok(())
}

/// The server's epoch.
pub(super) fn read_epoch(db: &dyn Db) -> StoreResult<u64> {
    db.query_one("SELECT value FROM counters WHERE name = 'epoch'", &[])?
        .get(0)
}

/// How far `start_epoch` moves the device numbers on: more tablets than a
/// company issues between a backup and its restore.
pub const DEVICE_NUMBERS_SKIPPED: i64 = 1000;

/// Starts a new epoch: every device that sees it resends its ops above the
/// server's acknowledgement and pulls again from the start.
///
/// It runs on a database restored by other tools, which may be older than
/// epochs and device numbers tablets already hold. So the epoch is one
/// never used before (the audit's time in seconds, when that is more than
/// the next): a tablet holding the epoch of a later start would otherwise
/// see no change and keep its cursor past the restored ops. And the
/// device numbers move on by [`DEVICE_NUMBERS_SKIPPED`]: a tablet first
/// seen after the backup keeps the number it was given, which is in the
/// registration numbers it makes, and a new tablet must not get it again.
pub(super) fn start_epoch(db: &dyn Db, audit: &super::AuditEntry) -> StoreResult<u64> {
    db.execute(
        "UPDATE counters SET value = CASE WHEN value + 1 > ?1 THEN value + 1 ELSE ?1 END
         WHERE name = 'epoch'",
        &[audit.at.timestamp().into()],
    )?;
    db.execute(
        "UPDATE counters SET value = value + ?1 WHERE name = 'device_number'",
        &[DEVICE_NUMBERS_SKIPPED.into()],
    )?;
    let epoch = read_epoch(db)?;
    let mut entry = audit.clone();
    entry.detail = serde_json::json!({ "epoch": epoch });
    super::audit_sql::write_audit(db, &entry)?;
    Ok(epoch)
}
