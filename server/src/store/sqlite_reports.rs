//! [`Reports`] for SQLite: the statistics, and the keyset-paged export
//! (the spot-check draws are `sqlite_spot_checks.rs`). The definitions of
//! every figure are in `shared::report`, and which cases are open,
//! completed or valid complaints is decided there too
//! (`shared::report::CaseRow`, stored as flags on each row).
//!
//! The period's figures are one statement: its cases and their clocks read
//! from covering indexes and counted by `shared::report::Tally`. What is
//! about now (the overdue lists) and the spot-check draws are small queries
//! of their own.
//!
//! Queries that combine a case filter with other parameters put the filter
//! in a `WITH c AS (…)` first, so that the anonymous `?` parameters are
//! bound in the order they appear: the filter's, then the query's own.

use super::AuditEntry;
use super::reports::{Labels, Reports, SpotCheckDraw, SpotCheckFilter, StatsQuery};
use super::sqlite::{
    SqliteStore, case_where, load_config, load_properties, parse_id, parse_ts, scope_sql, ts,
};
use super::sqlite_spot_checks;
use super::{CaseFilter, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};
use shared::case::{CaseKind, CaseState, Channel, Severity};
use shared::deadline::Clock;
use shared::report::{
    Bucket, ClockRate, DepartmentRow, ExportCursor, ExportRow, OVERDUE_LIMIT, Overdue, OverdueCase,
    PropertyRow, SpotCheck, SpotCheckCounts, Stats, StatsCase, StatsClock, Tally, percent, round2,
    valid_complaint_rate,
};
use shared::role::Scope;
use std::collections::BTreeMap;

/// Cases whose handling is finished (`Case::is_completed`).
pub(super) const COMPLETED: &str = "is_completed";

/// Cases that still run their clocks (`CaseState::is_open`).
const OPEN: &str = "is_open";

/// A condition on `cases` (unaliased) and its parameters.
#[derive(Debug, Clone)]
struct Filter {
    sql: String,
    args: Vec<Value>,
}

impl Filter {
    /// The statistics filter: scope, property and kind, and the period of
    /// receipt unless `period` is false (the overdue list is about now).
    fn new(q: &StatsQuery, period: bool) -> Filter {
        let (scope, scope_args) = scope_sql(&q.scope, "property_id");
        let mut conds = vec![scope];
        let mut args: Vec<Value> = scope_args.into_iter().map(Value::from).collect();
        if let Some(p) = q.property {
            conds.push("property_id = ?".into());
            args.push(p.to_string().into());
        }
        if let Some(k) = q.kind {
            conds.push("kind = ?".into());
            args.push(k.code().to_string().into());
        }
        if period {
            conds.push("received_at >= ? AND received_at < ?".into());
            args.push(ts(q.start).into());
            args.push(ts(q.end).into());
        }
        Filter {
            sql: conds.join(" AND "),
            args,
        }
    }

    /// The filter with one more condition.
    fn and(&self, cond: &str) -> Filter {
        Filter {
            sql: format!("{} AND {cond}", self.sql),
            args: self.args.clone(),
        }
    }

    /// The filter's parameters followed by `more`.
    fn args_then(&self, more: &[Value]) -> Vec<Value> {
        let mut args = self.args.clone();
        args.extend_from_slice(more);
        args
    }
}

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

fn count_of(conn: &Connection, f: &Filter) -> StoreResult<u64> {
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM cases WHERE {}", f.sql),
        params_from_iter(f.args.iter()),
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// Buckets for every key of `keys` (zeros included), then any other key
/// found, largest first.
fn buckets(
    found: &BTreeMap<String, u64>,
    keys: impl IntoIterator<Item = String>,
    label: impl Fn(&str) -> String,
) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = keys
        .into_iter()
        .map(|key| Bucket {
            count: found.get(&key).copied().unwrap_or(0),
            label: label(&key),
            key,
        })
        .collect();
    let mut extra: Vec<Bucket> = found
        .iter()
        .filter(|(k, _)| !out.iter().any(|b| &b.key == *k))
        .map(|(k, n)| Bucket {
            key: k.clone(),
            label: label(k),
            count: *n,
        })
        .collect();
    extra.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out.extend(extra);
    out
}

/// A listed case from a row of `id, reg_no, property_id, kind, state,
/// category, department, due`; its clocks are the caller's to fill.
fn overdue_case(r: &Row<'_>, now: DateTime<Utc>, labels: &Labels) -> StoreResult<OverdueCase> {
    let id: String = r.get(0)?;
    let property: String = r.get(2)?;
    let due = parse_ts(&r.get::<_, String>(7)?)?;
    Ok(OverdueCase {
        id: parse_id(&id)?,
        reg_no: r.get(1)?,
        property_name: labels.property(&property),
        property,
        kind: r.get(3)?,
        state: r.get(4)?,
        category: r.get(5)?,
        department: r.get(6)?,
        next_due_at: due,
        overdue_hours: round2((now - due).num_seconds() as f64 / 3600.0),
        clocks: Vec::new(),
    })
}

/// Open major cases whose reporting clock has not been met.
fn major_unreported(
    conn: &Connection,
    f: &Filter,
    now: DateTime<Utc>,
    labels: &Labels,
) -> StoreResult<Overdue> {
    // Driven from the unmet reporting clocks (few, read from an index)
    // rather than from every open case: `CROSS JOIN` keeps the clocks the
    // outer loop.
    let from = format!(
        "FROM case_deadlines d CROSS JOIN cases ON cases.id = d.case_id
         WHERE d.clock = '{}' AND d.met_at IS NULL AND {}",
        Clock::MajorReport.code(),
        f.and(OPEN).sql
    );
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) {from}"),
        params_from_iter(f.args.iter()),
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT cases.id, reg_no, property_id, kind, state, category, department, d.due_at
         {from} ORDER BY d.due_at, cases.id LIMIT {OVERDUE_LIMIT}"
    );
    let items = rows(conn, &sql, &f.args, |r| {
        Ok(OverdueCase {
            clocks: vec![Clock::MajorReport.code().into()],
            ..overdue_case(r, now, labels)?
        })
    })?;
    Ok(Overdue {
        total: total as u64,
        items,
    })
}

fn overdue(
    conn: &Connection,
    f: &Filter,
    now: DateTime<Utc>,
    labels: &Labels,
) -> StoreResult<Overdue> {
    // `INDEXED BY` here and in the period's pass: without ANALYZE the
    // planner prefers an index on the property, which leaves it reading
    // every table row (and its JSON's overflow pages) for the other columns.
    let late = f.and(&format!(
        "{OPEN} AND next_due_at IS NOT NULL AND next_due_at < ?"
    ));
    let args = late.args_then(&[ts(now).into()]);
    let total: i64 = conn.query_row(
        &format!(
            "SELECT count(*) FROM cases INDEXED BY cases_open_due WHERE {}",
            late.sql
        ),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT id, reg_no, property_id, kind, state, category, department, next_due_at
         FROM cases INDEXED BY cases_open_due WHERE {} ORDER BY next_due_at, id
         LIMIT {OVERDUE_LIMIT}",
        late.sql
    );
    let mut items = rows(conn, &sql, &args, |r| overdue_case(r, now, labels))?;
    let mut stmt = conn.prepare(
        "SELECT clock FROM case_deadlines WHERE case_id = ?1 AND met_at IS NULL AND due_at < ?2
         ORDER BY due_at, clock",
    )?;
    for item in &mut items {
        item.clocks = stmt
            .query_map(rusqlite::params![item.id.to_string(), ts(now)], |r| {
                r.get(0)
            })?
            .collect::<Result<_, _>>()?;
    }
    Ok(Overdue {
        total: total as u64,
        items,
    })
}

fn spot_check_counts(conn: &Connection, q: &StatsQuery) -> StoreResult<SpotCheckCounts> {
    if q.kind.is_some_and(|k| k != CaseKind::Repair) {
        return Ok(SpotCheckCounts::default());
    }
    let (scope, scope_args) = scope_sql(&q.scope, "s.property_id");
    let mut args: Vec<Value> = vec![i64::from(q.satisfied_min).into()];
    args.extend(scope_args.into_iter().map(Value::from));
    let mut cond = scope;
    if let Some(p) = q.property {
        cond.push_str(" AND s.property_id = ?");
        args.push(p.to_string().into());
    }
    args.push(ts(q.end).into());
    args.push(ts(q.start).into());
    let (draws, sampled, called, satisfied): (i64, i64, i64, i64) = conn.query_row(
        &format!(
            "SELECT count(DISTINCT s.id), count(sc.case_id),
                coalesce(sum(c.spot_check_at IS NOT NULL), 0),
                coalesce(sum(c.spot_check_satisfaction >= ?), 0)
             FROM spot_checks s
             LEFT JOIN spot_check_cases sc ON sc.spot_check_id = s.id
             LEFT JOIN cases c ON c.id = sc.case_id
             WHERE {cond} AND s.starts_at < ? AND s.ends_at > ?"
        ),
        params_from_iter(args.iter()),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    Ok(SpotCheckCounts {
        draws: draws as u64,
        sampled: sampled as u64,
        called: called as u64,
        satisfied: satisfied as u64,
        called_rate: percent(called as u64, sampled as u64),
        satisfied_rate: percent(satisfied as u64, called as u64),
    })
}

/// What the period's pass reads: each case's figures' columns (all in the
/// `cases_figures` index) and one of its clocks per row (a case without
/// clocks has one row with none).
const FIGURE_COLUMNS: &str = "cases.id, reg_no, property_id, kind, state, category, channel,
    severity, building_id, unit_id, complainant_name, complainant_phone, received_at, resolved_at,
    reopen_count, satisfaction, is_open, is_completed, is_valid_complaint, department, respondent,
    respondent_department, d.clock, d.due_at, d.met_at";

/// The case of a row of [`FIGURE_COLUMNS`], without its clocks.
fn stats_case(r: &Row<'_>, id: &str) -> StoreResult<StatsCase> {
    let opt_ts = |i: usize| -> StoreResult<Option<DateTime<Utc>>> {
        r.get::<_, Option<String>>(i)?
            .as_deref()
            .map(parse_ts)
            .transpose()
    };
    Ok(StatsCase {
        id: parse_id(id)?,
        reg_no: r.get(1)?,
        property: r.get(2)?,
        kind: r.get(3)?,
        state: r.get(4)?,
        category: r.get(5)?,
        channel: r.get(6)?,
        severity: r.get(7)?,
        building: r.get(8)?,
        unit: r.get(9)?,
        complainant_name: r.get(10)?,
        complainant_phone: r.get(11)?,
        received_at: parse_ts(&r.get::<_, String>(12)?)?,
        resolved_at: opt_ts(13)?,
        reopen_count: r.get(14)?,
        satisfaction: r
            .get::<_, Option<i64>>(15)?
            .and_then(|s| u8::try_from(s).ok()),
        open: r.get(16)?,
        completed: r.get(17)?,
        valid_complaint: r.get(18)?,
        department: r.get(19)?,
        respondent: r.get(20)?,
        respondent_department: r.get(21)?,
        clocks: Vec::new(),
    })
}

/// The period's figures: its cases and their clocks read once, in one
/// statement, and counted by `shared`'s [`Tally`].
fn tally(conn: &Connection, f: &Filter, q: &StatsQuery) -> StoreResult<Tally> {
    let months = q.months.iter().map(|(_, s, e)| (*s, *e)).collect();
    let mut tally = Tally::new(q.now, months, q.satisfied_min);
    let sql = format!(
        "SELECT {FIGURE_COLUMNS} FROM cases INDEXED BY cases_figures
         LEFT JOIN case_deadlines d ON d.case_id = cases.id
         WHERE {}",
        f.sql
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(f.args.iter()))?;
    // The join gives a case's clocks on consecutive rows (the case is the
    // outer loop of a left join).
    let mut current: Option<(String, StatsCase)> = None;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        if current.as_ref().is_none_or(|(seen, _)| *seen != id) {
            if let Some((_, case)) = current.take() {
                tally.add(&case);
            }
            let case = stats_case(r, &id)?;
            current = Some((id, case));
        }
        if let (Some((_, case)), Some(clock)) = (current.as_mut(), r.get::<_, Option<String>>(22)?)
        {
            case.clocks.push(StatsClock {
                clock,
                due_at: parse_ts(&r.get::<_, String>(23)?)?,
                met_at: r
                    .get::<_, Option<String>>(24)?
                    .as_deref()
                    .map(parse_ts)
                    .transpose()?,
            });
        }
    }
    if let Some((_, case)) = current {
        tally.add(&case);
    }
    Ok(tally)
}

impl SqliteStore {
    fn compute_stats(conn: &Connection, q: &StatsQuery) -> StoreResult<Stats> {
        let config = load_config(conn)?;
        let properties: Vec<_> = load_properties(conn)?
            .into_iter()
            .filter(|p| q.scope.allows(p.id) && q.property.is_none_or(|f| f == p.id))
            .collect();
        let labels = Labels::new(q.lang, properties.clone(), config.categories.clone());
        let f = Filter::new(q, true);
        let tally = tally(conn, &f, q)?;

        let kinds: Vec<String> = match q.kind {
            Some(k) => vec![k.code().into()],
            None => CaseKind::ALL.iter().map(|k| k.code().into()).collect(),
        };
        let by_kind = buckets(&tally.by_kind, kinds, |k| labels.kind(k));
        let by_category = {
            let found = &tally.by_category;
            let keys = config
                .categories
                .iter()
                .filter(|c| c.active || found.contains_key(&c.code))
                .map(|c| c.code.clone());
            buckets(found, keys, |c| labels.category(c))
        };
        let by_property = buckets(
            &tally.by_property,
            properties.iter().map(|p| p.id.to_string()),
            |p| labels.property(p),
        );
        let by_building = buckets(&tally.by_building, Vec::new(), |key| {
            let (property, building) = key.split_once('/').unwrap_or((key, ""));
            let building = Some(building).filter(|b| !b.is_empty());
            format!(
                "{} {}",
                labels.property(property),
                labels.building(property, building)
            )
        });
        let by_channel = buckets(
            &tally.by_channel,
            Channel::ALL.iter().map(|c| c.code().to_string()),
            |c| labels.channel(c),
        );
        let by_severity = buckets(
            &tally.by_severity,
            Severity::ALL
                .iter()
                .map(|s| s.code().to_string())
                .chain([String::new()]),
            |s| labels.severity(Some(s)),
        );
        let by_state = buckets(
            &tally.by_state,
            CaseState::ALL.iter().map(|s| s.code().to_string()),
            |s| labels.state(s),
        );
        let by_month = q
            .months
            .iter()
            .zip(&tally.by_month)
            .map(|((label, _, _), n)| Bucket {
                key: label.clone(),
                label: label.clone(),
                count: *n,
            })
            .collect();

        let on_time: Vec<ClockRate> = tally
            .on_time()
            .into_iter()
            .map(|r| ClockRate {
                label: labels.clock(&r.clock),
                ..r
            })
            .collect();
        let on_time_overall = tally
            .on_time_overall()
            .map(|r| ClockRate {
                label: labels.pick("全部时限", "All clocks").into(),
                ..r
            })
            .unwrap_or_default();
        let target = q.follow_up_target_percent;

        let current = Filter::new(q, false);
        let overdue_open = {
            let late = current.and(&format!("{OPEN} AND next_due_at < ?"));
            let sql = format!(
                "SELECT property_id, count(*) FROM cases INDEXED BY cases_open_due WHERE {}
                 GROUP BY 1",
                late.sql
            );
            rows(conn, &sql, &late.args_then(&[ts(q.now).into()]), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .into_iter()
            .collect::<BTreeMap<_, _>>()
        };
        let property_rows = properties
            .iter()
            .map(|p| {
                let id = p.id.to_string();
                let counted = tally.properties.get(&id).cloned().unwrap_or_default();
                let valid_complaints = counted.valid_complaints;
                let rates = valid_complaint_rate(valid_complaints, p.households, &q.period);
                PropertyRow {
                    code: p.code.clone(),
                    name: p.name.clone(),
                    households: p.households,
                    cases: counted.cases,
                    valid_complaints,
                    valid_rate_bp: rates.map(|r| r.0),
                    valid_rate_annualized_bp: rates.map(|r| r.1),
                    valid_target_bp: q.valid_complaint_target_bp,
                    valid_missed: rates
                        .is_some_and(|r| r.1 >= f64::from(q.valid_complaint_target_bp)),
                    follow_up: counted.follow_up(target),
                    on_time_rate: counted.on_time_rate(),
                    satisfied_rate: counted.satisfied_rate(),
                    overdue_open: overdue_open.get(&id).copied().unwrap_or(0),
                    property: id,
                }
            })
            .collect();
        let departments = tally
            .departments
            .iter()
            .map(|(department, d)| DepartmentRow {
                department: department.clone(),
                cases: d.cases,
                resolved: d.resolved,
                avg_handling_hours: d.avg_handling_hours(),
                clocks: d.clocks(),
            })
            .collect();

        let mut stats = Stats {
            period: q.period,
            start: q.start,
            end: q.end,
            property: q.property.map(|p| p.to_string()),
            kind: q.kind.map(|k| k.code().to_string()),
            generated_at: q.now,
            total: tally.total,
            by_kind,
            by_category,
            by_property,
            by_building,
            by_channel,
            by_severity,
            by_state,
            by_month,
            on_time,
            on_time_overall,
            handling: tally.handling(),
            satisfaction: tally.satisfaction(),
            follow_up: tally.follow_up(target),
            reopen: tally.reopen(),
            properties: property_rows,
            repeat_units: tally.repeat_units(|property, building, unit| {
                let place = labels.place(property, building, Some(unit));
                format!("{} {place}", labels.property(property))
            }),
            repeat_complainants: tally.repeat_complainants(),
            departments,
            respondents: tally.respondents(),
            overdue: overdue(conn, &current, q.now, &labels)?,
            major_unreported: major_unreported(conn, &current, q.now, &labels)?,
            spot_checks: spot_check_counts(conn, q)?,
            missed_targets: Vec::new(),
        };
        stats.missed_targets = stats.targets_missed(q.lang);
        Ok(stats)
    }
}

const EXPORT_COLUMNS: &str =
    "id, reg_no, kind, state, property_id, building_id, unit_id, category, channel,
    complainant_name, complainant_phone, json_extract(json, '$.registration.content'),
    json_extract(json, '$.registration.requested_remedy'), received_at, recorded_at, severity,
    validity, urgent, department, json_extract(json, '$.assignee.name'),
    json_extract(json, '$.resolution.result'), resolved_at, closed_at, next_due_at, reopen_count,
    satisfaction, escalated, attachment_count, respondent, respondent_department";

fn export_row(r: &Row<'_>) -> StoreResult<ExportRow> {
    let opt_ts = |i: usize| -> StoreResult<Option<DateTime<Utc>>> {
        r.get::<_, Option<String>>(i)?
            .as_deref()
            .map(parse_ts)
            .transpose()
    };
    let id: String = r.get(0)?;
    let received: String = r.get(13)?;
    Ok(ExportRow {
        cursor: ExportCursor {
            received_at: received.clone(),
            id: id.clone(),
        },
        id,
        reg_no: r.get(1)?,
        kind: r.get(2)?,
        state: r.get(3)?,
        property: r.get(4)?,
        building: r.get(5)?,
        unit: r.get(6)?,
        category: r.get(7)?,
        channel: r.get(8)?,
        complainant_name: r.get(9)?,
        complainant_phone: r.get(10)?,
        content: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
        requested_remedy: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        received_at: parse_ts(&received)?,
        recorded_at: parse_ts(&r.get::<_, String>(14)?)?,
        severity: r.get(15)?,
        validity: r.get(16)?,
        urgent: r.get(17)?,
        department: r.get(18)?,
        assignee_name: r.get(19)?,
        result: r.get(20)?,
        resolved_at: opt_ts(21)?,
        closed_at: opt_ts(22)?,
        next_due_at: opt_ts(23)?,
        reopen_count: r.get(24)?,
        satisfaction: r.get(25)?,
        escalated: r.get(26)?,
        attachments: r.get(27)?,
        respondent: r.get(28)?,
        respondent_department: r.get(29)?,
    })
}

impl Reports for SqliteStore {
    fn stats(&self, q: &StatsQuery) -> StoreResult<Stats> {
        let mut conn = self.read()?;
        // One read transaction: every figure is of the same moment.
        let tx = conn.transaction()?;
        let stats = SqliteStore::compute_stats(&tx, q)?;
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
        count_of(&*self.read()?, &Filter { sql, args })
    }

    fn export_page(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        after: Option<&ExportCursor>,
        limit: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ExportRow>> {
        let (mut sql, mut args) = case_where(scope, filter, now);
        if let Some(c) = after {
            sql.push_str(" AND (received_at, id) > (?, ?)");
            args.push(c.received_at.clone().into());
            args.push(c.id.clone().into());
        }
        let limit = limit.clamp(1, 10_000);
        let query = format!(
            "SELECT {EXPORT_COLUMNS} FROM cases WHERE {sql} ORDER BY received_at, id LIMIT {limit}"
        );
        rows(&*self.read()?, &query, &args, export_row)
    }
}
