//! The SQL of [`Reports`](super::reports::Reports) for either engine
//! ([`Db`]): the statistics and the keyset-paged export (the spot-check
//! draws are `spot_checks_sql.rs`). The definitions of every figure are
//! in `shared::report`, and which cases are open, completed or valid
//! complaints is decided there too (`shared::report::CaseRow`, stored as
//! flags on each row).
//!
//! The period's figures are one statement: its cases and their clocks read
//! (on SQLite from covering indexes) and counted by `shared::report::Tally`.
//! What is about now (the overdue lists) and the spot-check draws are small
//! queries of their own.
//!
//! Queries that combine a case filter with other parameters put the filter
//! first, so that the anonymous `?` parameters are bound in the order they
//! appear: the filter's, then the query's own.

use super::StoreResult;
use super::config::{load_config, load_properties};
use super::db::{Db, Dialect, Row, Value};
use super::filter_sql::scope_sql;
use super::reports::{Labels, StatsQuery};
use super::sqlite::{parse_id, parse_ts, ts};
use chrono::{DateTime, NaiveDate, Utc};
use shared::case::{CaseKind, CaseState, Channel, FollowUp, Severity};
use shared::deadline::Clock;
use shared::report::{
    Bucket, ClockRate, DepartmentRow, ExportClock, ExportRow, FollowUpRow, OVERDUE_LIMIT, Overdue,
    OverdueCase, PropertyRow, SpotCheckCounts, Stats, StatsCase, StatsClock, SuggestionRow, Tally,
    percent, round2, valid_complaint_rate, valid_complaint_rate_missed,
};
use std::collections::BTreeMap;

/// Cases whose handling is finished (`Case::is_completed`).
pub(super) const COMPLETED: &str = "is_completed = 1";

/// Cases that still run their clocks (`CaseState::is_open`).
const OPEN: &str = "is_open = 1";

/// A condition on `cases` (unaliased) and its parameters.
#[derive(Debug, Clone)]
struct Filter {
    sql: String,
    args: Vec<Value<'static>>,
}

impl Filter {
    /// The statistics filter: scope, property and kind, and the period of
    /// receipt unless `period` is false (the overdue list is about now).
    fn new(q: &StatsQuery, period: bool) -> Filter {
        let (scope, scope_args) = scope_sql(&q.scope, "property_id");
        let mut conds = vec![scope];
        let mut args: Vec<Value<'static>> = scope_args.into_iter().map(Value::from).collect();
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
    fn args_then(&self, more: &[Value<'static>]) -> Vec<Value<'static>> {
        let mut args = self.args.clone();
        args.extend_from_slice(more);
        args
    }
}

/// Every row of a query, each made into a `T` by `f`.
fn rows<T>(
    db: &dyn Db,
    sql: &str,
    args: &[Value<'_>],
    f: impl FnMut(&Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    db.query(sql, args)?.iter().map(f).collect()
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
fn overdue_case(r: &Row, now: DateTime<Utc>, labels: &Labels) -> StoreResult<OverdueCase> {
    let id: String = r.get(0)?;
    let property: String = r.get(2)?;
    let due = parse_ts(&r.get::<String>(7)?)?;
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
    db: &dyn Db,
    f: &Filter,
    now: DateTime<Utc>,
    labels: &Labels,
) -> StoreResult<Overdue> {
    // Driven from the unmet reporting clocks (few, read from an index)
    // rather than from every open case: SQLite's `CROSS JOIN` keeps the
    // clocks the outer loop (PostgreSQL's planner picks the order itself).
    let join = match db.dialect() {
        Dialect::Sqlite => "CROSS JOIN",
        Dialect::Postgres => "JOIN",
    };
    let from = format!(
        "FROM case_deadlines d {join} cases ON cases.id = d.case_id
         WHERE d.clock = '{}' AND d.met_at IS NULL AND {}",
        Clock::MajorReport.code(),
        f.and(OPEN).sql
    );
    let total: i64 = db
        .query_one(&format!("SELECT count(*) {from}"), &f.args)?
        .get(0)?;
    let sql = format!(
        "SELECT cases.id, reg_no, property_id, kind, state, category, department, d.due_at
         {from} ORDER BY d.due_at, cases.id LIMIT {OVERDUE_LIMIT}"
    );
    let items = rows(db, &sql, &f.args, |r| {
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

fn overdue(db: &dyn Db, f: &Filter, now: DateTime<Utc>, labels: &Labels) -> StoreResult<Overdue> {
    let open_due = indexed_by(db, "cases_open_due");
    let late = f.and(&format!(
        "{OPEN} AND next_due_at IS NOT NULL AND next_due_at < ?"
    ));
    let args = late.args_then(&[ts(now).into()]);
    let total: i64 = db
        .query_one(
            &format!("SELECT count(*) FROM cases {open_due} WHERE {}", late.sql),
            &args,
        )?
        .get(0)?;
    let sql = format!(
        "SELECT id, reg_no, property_id, kind, state, category, department, next_due_at
         FROM cases {open_due} WHERE {} ORDER BY next_due_at, id
         LIMIT {OVERDUE_LIMIT}",
        late.sql
    );
    let mut items = rows(db, &sql, &args, |r| overdue_case(r, now, labels))?;
    for item in &mut items {
        item.clocks = rows(
            db,
            "SELECT clock FROM case_deadlines WHERE case_id = ?1 AND met_at IS NULL AND due_at < ?2
             ORDER BY due_at, clock",
            &[item.id.to_string().into(), ts(now).into()],
            |r| r.get(0),
        )?;
    }
    Ok(Overdue {
        total: total as u64,
        items,
    })
}

/// The spot-check draws of the period's quarters and their cases, those
/// voided since the draw (a duplicate is no repair to call) or deleted
/// under retention aside.
fn spot_check_counts(db: &dyn Db, q: &StatsQuery) -> StoreResult<SpotCheckCounts> {
    if q.kind.is_some_and(|k| k != CaseKind::Repair) {
        return Ok(SpotCheckCounts::default());
    }
    let (scope, scope_args) = scope_sql(&q.scope, "s.property_id");
    let mut args: Vec<Value<'static>> = vec![i64::from(q.satisfied_min).into()];
    args.extend(scope_args.into_iter().map(Value::from));
    let mut cond = scope;
    if let Some(p) = q.property {
        cond.push_str(" AND s.property_id = ?");
        args.push(p.to_string().into());
    }
    args.push(ts(q.end).into());
    args.push(ts(q.start).into());
    let counts = db.query_one(
        &format!(
            "SELECT count(DISTINCT s.id),
                CAST(coalesce(sum(CASE WHEN sc.case_id IS NOT NULL
                    AND c.state <> 'voided' THEN 1 ELSE 0 END), 0)
                    AS BIGINT),
                CAST(coalesce(sum(CASE WHEN c.spot_check_at >= s.starts_at
                    AND c.state <> 'voided' THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(coalesce(sum(CASE WHEN c.spot_check_satisfaction >= ?
                    AND c.spot_check_at >= s.starts_at
                    AND c.state <> 'voided' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM spot_checks s
             LEFT JOIN spot_check_cases sc ON sc.spot_check_id = s.id
             LEFT JOIN cases c ON c.id = sc.case_id
             WHERE {cond} AND s.starts_at < ? AND s.ends_at > ?"
        ),
        &args,
    )?;
    let (draws, sampled, called, satisfied): (u64, u64, u64, u64) = (
        counts.get(0)?,
        counts.get(1)?,
        counts.get(2)?,
        counts.get(3)?,
    );
    Ok(SpotCheckCounts {
        draws,
        sampled,
        called,
        satisfied,
        called_rate: percent(called, sampled),
        satisfied_rate: percent(satisfied, called),
    })
}

/// What the period's pass reads: each case's figures' columns (all in the
/// `cases_figures` index) and one of its clocks per row (a case without
/// clocks has one row with none).
const FIGURE_COLUMNS: &str = "cases.id, reg_no, property_id, kind, state, category, channel,
    severity, building_id, unit_id, complainant_name, complainant_phone, received_at, resolved_at,
    reopen_count, satisfaction, is_open, is_completed, is_valid_complaint, department, respondent,
    respondent_department, unknown_clocks, d.clock, d.due_at, d.met_at, d.taken_unmet";

/// The case of a row of [`FIGURE_COLUMNS`], without its clocks.
fn stats_case(r: &Row, id: &str) -> StoreResult<StatsCase> {
    let opt_ts = |i: usize| -> StoreResult<Option<DateTime<Utc>>> {
        r.get::<Option<String>>(i)?
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
        received_at: parse_ts(&r.get::<String>(12)?)?,
        resolved_at: opt_ts(13)?,
        reopen_count: r.get(14)?,
        satisfaction: r.get::<Option<i64>>(15)?.and_then(|s| u8::try_from(s).ok()),
        open: r.get(16)?,
        completed: r.get(17)?,
        valid_complaint: r.get(18)?,
        department: r.get(19)?,
        respondent: r.get(20)?,
        respondent_department: r.get(21)?,
        clocks: Vec::new(),
        unknown_clocks: r
            .get::<String>(22)?
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    })
}

/// The period's figures: its cases and their clocks read once, in one
/// statement, and counted by `shared`'s [`Tally`].
fn tally(db: &dyn Db, f: &Filter, q: &StatsQuery) -> StoreResult<Tally> {
    let months = q.months.iter().map(|(_, s, e)| (*s, *e)).collect();
    let mut tally = Tally::new(q.now, months, q.satisfied_min);
    let sql = format!(
        "SELECT {FIGURE_COLUMNS} FROM cases {}
         LEFT JOIN case_deadlines d ON d.case_id = cases.id
         WHERE {}{}",
        indexed_by(db, "cases_figures"),
        f.sql,
        clocks_together(db),
    );
    // A case is counted when its last clock has been read, so its clocks
    // must come on consecutive rows.
    let mut current: Option<(String, StatsCase)> = None;
    db.for_each_row(&sql, &f.args, &mut |r| {
        let id: String = r.get(0)?;
        if current.as_ref().is_none_or(|(seen, _)| *seen != id) {
            if let Some((_, case)) = current.take() {
                tally.add(&case);
            }
            let case = stats_case(r, &id)?;
            current = Some((id, case));
        }
        if let (Some((_, case)), Some(clock)) = (current.as_mut(), r.get::<Option<String>>(23)?) {
            case.clocks.push(StatsClock {
                clock,
                due_at: parse_ts(&r.get::<String>(24)?)?,
                met_at: r
                    .get::<Option<String>>(25)?
                    .as_deref()
                    .map(parse_ts)
                    .transpose()?,
                taken_unmet: r.get(26)?,
            });
        }
        Ok(())
    })?;
    if let Some((_, case)) = current {
        tally.add(&case);
    }
    Ok(tally)
}

/// Every figure of `q`, read in `db` (a read transaction, so that every
/// figure is of the same moment).
pub(super) fn stats(db: &dyn Db, q: &StatsQuery) -> StoreResult<Stats> {
    let config = load_config(db)?;
    let properties: Vec<_> = load_properties(db)?
        .into_iter()
        .filter(|p| q.scope.allows(p.id) && q.property.is_none_or(|f| f == p.id))
        .collect();
    let labels = Labels::new(q.lang, properties.clone(), config.categories.clone());
    let f = Filter::new(q, true);
    let tally = tally(db, &f, q)?;

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
        CaseState::ALL
            .iter()
            .filter(|s| **s != CaseState::Voided)
            .map(|s| s.code().to_string()),
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
            "SELECT property_id, count(*) FROM cases {} WHERE {}
                 GROUP BY 1",
            indexed_by(db, "cases_open_due"),
            late.sql
        );
        rows(db, &sql, &late.args_then(&[ts(q.now).into()]), |r| {
            Ok((r.get::<String>(0)?, r.get::<u64>(1)?))
        })?
        .into_iter()
        .collect::<BTreeMap<_, _>>()
    };
    // Filtered to another kind, the period holds no complaints to rate: a
    // rate of 0% would read as a property with none.
    let complaints_counted = q.kind.is_none_or(|k| k == CaseKind::Complaint);
    let property_rows = properties
        .iter()
        .map(|p| {
            let id = p.id.to_string();
            let counted = tally.properties.get(&id).cloned().unwrap_or_default();
            let valid_complaints = counted.valid_complaints;
            let rates = valid_complaint_rate(valid_complaints, p.households, &q.period)
                .filter(|_| complaints_counted);
            PropertyRow {
                code: p.code.clone(),
                name: p.name.clone(),
                households: p.households,
                cases: counted.cases,
                valid_complaints,
                unassessed_complaints: counted.unassessed_complaints,
                valid_rate_bp: rates.map(|r| r.0),
                valid_rate_annualized_bp: rates.map(|r| r.1),
                valid_target_bp: q.valid_complaint_target_bp,
                valid_missed: complaints_counted
                    && valid_complaint_rate_missed(
                        valid_complaints,
                        p.households,
                        &q.period,
                        q.valid_complaint_target_bp,
                    ),
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

    let (repeat_units_total, repeat_complainants_total) = tally.repeat_totals();
    let mut stats = Stats {
        period: q.period,
        start: q.start,
        end: q.end,
        property: q.property.map(|p| p.to_string()),
        kind: q.kind.map(|k| k.code().to_string()),
        generated_at: q.now,
        total: tally.total,
        voided: tally.voided,
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
        repeat_units_total,
        repeat_complainants_total,
        departments,
        respondents: tally.respondents(),
        overdue: overdue(db, &current, q.now, &labels)?,
        major_unreported: major_unreported(db, &current, q.now, &labels)?,
        spot_checks: spot_check_counts(db, q)?,
        missed_targets: Vec::new(),
    };
    stats.missed_targets = stats.targets_missed(q.lang);
    Ok(stats)
}

/// The export's columns, some read from the case's JSON.
fn export_columns(db: &dyn Db) -> String {
    let json = |path: &str| json_text(db, "json", path);
    format!(
        "id, reg_no, kind, state, property_id, building_id, unit_id, category, channel,
        complainant_name, complainant_phone, {}, {}, received_at, recorded_at, severity,
        validity, urgent, department, {}, {}, resolved_at, closed_at, next_due_at, reopen_count,
        satisfaction, escalated, attachment_count, respondent, respondent_department,
        (SELECT display_name FROM users WHERE users.id = cases.first_responder),
        CAST({} AS TEXT), {}, {}, {}, CAST({} AS TEXT), {}, {}, {}, {}, {}",
        json("registration.content"),
        json("registration.requested_remedy"),
        json("assignee.name"),
        json("resolution.result"),
        json("solution.compensation_fen"),
        json("solution.approval"),
        json("closure.corrective_action"),
        json("closure.verification"),
        // A JSON boolean: SQLite reads it as 1 or 0, PostgreSQL as text.
        json("suggestion.accepted"),
        json("suggestion.reason"),
        json("suggestion.plan"),
        json("suggestion.publish_on"),
        json("registration.source_ref"),
        // The array as JSON text, its latest regular call picked in Rust.
        json("follow_ups"),
    )
}

fn export_row(r: &Row) -> StoreResult<ExportRow> {
    let opt_ts = |i: usize| -> StoreResult<Option<DateTime<Utc>>> {
        r.get::<Option<String>>(i)?
            .as_deref()
            .map(parse_ts)
            .transpose()
    };
    Ok(ExportRow {
        id: r.get(0)?,
        reg_no: r.get(1)?,
        kind: r.get(2)?,
        state: r.get(3)?,
        property: r.get(4)?,
        building: r.get(5)?,
        unit: r.get(6)?,
        category: r.get(7)?,
        channel: r.get(8)?,
        source_ref: r.get::<Option<String>>(39)?.unwrap_or_default(),
        follow_up: r
            .get::<Option<String>>(40)?
            .and_then(|json| serde_json::from_str::<Vec<FollowUp>>(&json).ok())
            .and_then(|calls| FollowUpRow::latest(&calls)),
        clocks: Vec::new(),
        complainant_name: r.get(9)?,
        complainant_phone: r.get(10)?,
        content: r.get::<Option<String>>(11)?.unwrap_or_default(),
        requested_remedy: r.get::<Option<String>>(12)?.unwrap_or_default(),
        received_at: parse_ts(&r.get::<String>(13)?)?,
        recorded_at: parse_ts(&r.get::<String>(14)?)?,
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
        first_responder: r.get(30)?,
        compensation_fen: match r.get::<Option<String>>(32)?.as_deref() {
            Some("approved" | "not_needed") => r
                .get::<Option<String>>(31)?
                .and_then(|fen| fen.parse::<i64>().ok())
                .filter(|fen| *fen > 0),
            _ => None,
        },
        corrective_action: r.get::<Option<String>>(33)?.filter(|a| !a.is_empty()),
        verification: r.get::<Option<String>>(34)?.filter(|v| !v.is_empty()),
        suggestion: match r.get::<Option<String>>(35)? {
            Some(accepted) => Some(SuggestionRow {
                accepted: matches!(accepted.as_str(), "1" | "true"),
                reason: r.get::<Option<String>>(36)?.unwrap_or_default(),
                plan: r.get::<Option<String>>(37)?.filter(|p| !p.is_empty()),
                publish_on: r
                    .get::<Option<String>>(38)?
                    .and_then(|d| d.parse::<NaiveDate>().ok()),
            }),
            None => None,
        },
    })
}

/// The ids of the cases of `sql`, in `(received_at, id)` order: the
/// export's rows, chosen at one moment.
pub(super) fn export_ids(db: &dyn Db, sql: &str, args: &[Value<'_>]) -> StoreResult<Vec<String>> {
    rows(
        db,
        &format!("SELECT id FROM cases WHERE {sql} ORDER BY received_at, id"),
        args,
        |r| r.get(0),
    )
}

/// The export rows of the cases `ids`, in their order; a case deleted
/// since they were chosen has none.
pub(super) fn export_rows(db: &dyn Db, ids: &[String]) -> StoreResult<Vec<ExportRow>> {
    // Bounded statements: SQLite takes at most 32766 parameters.
    const CHUNK: usize = 1000;
    if ids.len() > CHUNK {
        let mut all = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            all.extend(export_rows(db, chunk)?);
        }
        return Ok(all);
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let args: Vec<Value<'_>> = ids.iter().map(|id| id.as_str().into()).collect();
    let query = format!(
        "SELECT {} FROM cases WHERE id IN ({marks})",
        export_columns(db)
    );
    let mut found: std::collections::HashMap<String, ExportRow> =
        rows(db, &query, &args, export_row)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
    let clocks = format!(
        "SELECT case_id, clock, due_at, met_at, taken_unmet FROM case_deadlines
         WHERE case_id IN ({marks}) ORDER BY case_id, due_at, clock"
    );
    for r in db.query(&clocks, &args)? {
        let case: String = r.get(0)?;
        if let Some(row) = found.get_mut(&case) {
            row.clocks.push(ExportClock {
                clock: r.get(1)?,
                due_at: parse_ts(&r.get::<String>(2)?)?,
                met_at: r
                    .get::<Option<String>>(3)?
                    .as_deref()
                    .map(parse_ts)
                    .transpose()?,
                taken_unmet: r.get(4)?,
            });
        }
    }
    let mut page: Vec<ExportRow> = ids.iter().filter_map(|id| found.remove(id)).collect();
    name_callers(db, &mut page)?;
    Ok(page)
}

/// Names who made each row's follow-up call, as their accounts read now:
/// one query a page, for the few callers it names.
fn name_callers(db: &dyn Db, page: &mut [ExportRow]) -> StoreResult<()> {
    let ids: std::collections::BTreeSet<&str> = page
        .iter()
        .filter_map(|r| r.follow_up.as_ref().map(|f| f.by.as_str()))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let args: Vec<Value<'_>> = ids.iter().map(|id| (*id).into()).collect();
    let names: std::collections::HashMap<String, String> = db
        .query(
            &format!("SELECT id, display_name FROM users WHERE id IN ({marks})"),
            &args,
        )?
        .iter()
        .map(|r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)))
        .collect::<StoreResult<_>>()?;
    for call in page.iter_mut().filter_map(|r| r.follow_up.as_mut()) {
        call.caller = names.get(&call.by).cloned();
    }
    Ok(())
}

/// SQLite's index hint: without `ANALYZE` its planner prefers an index on
/// the property, which leaves it reading every table row (and its JSON's
/// overflow pages) for the other columns. PostgreSQL plans by its own
/// statistics and has no hints.
fn indexed_by(db: &dyn Db, index: &str) -> String {
    match db.dialect() {
        Dialect::Sqlite => format!("INDEXED BY {index}"),
        Dialect::Postgres => String::new(),
    }
}

/// What keeps a case's rows of a join together. SQLite's plan is the
/// forced index's nested loop, the case the outer loop. PostgreSQL's may
/// be a hash join walking the clocks in table order (or a parallel one),
/// which interleaves cases and would count a case once per run of its
/// rows.
fn clocks_together(db: &dyn Db) -> &'static str {
    match db.dialect() {
        Dialect::Sqlite => "",
        Dialect::Postgres => " ORDER BY cases.id",
    }
}

/// The text at `path` (dotted keys) in the JSON text of `column`.
fn json_text(db: &dyn Db, column: &str, path: &str) -> String {
    match db.dialect() {
        Dialect::Sqlite => format!("json_extract({column}, '$.{path}')"),
        Dialect::Postgres => format!("({column}::jsonb #>> '{{{}}}')", path.replace('.', ",")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::StoreError;
    use super::super::db::Db;
    use super::super::filter_sql::case_where;
    use super::super::postgres::{PgStore, test_database};
    use super::super::postgres_copy::copy;
    use super::super::postgres_db::Isolation;
    use super::super::reports::{Reports, SpotCheckDraw, SpotCheckFilter, StatsQuery};
    use super::super::test_support::{audit, device, store_with_staff};
    use super::super::{CaseFilter, NewUser, Store};
    use super::{export_ids, export_rows, stats};
    use chrono::{DateTime, Duration, NaiveDate, Utc};
    use shared::lang::Lang;
    use shared::report::SpotCheck;
    use shared::report::{Period, PeriodKind};
    use shared::role::{Role, Scope};
    use shared::sim::Fleet;

    /// A SQLite installation with a property's worth of cases worked by
    /// simulated devices (staff, manager, department head, regional
    /// manager) through the push path, moved to PostgreSQL: the same SQL
    /// must give the same statistics, export, spot-check draws, cases and
    /// case list on both.
    #[test]
    fn the_same_installation_gives_the_same_figures_on_sqlite_and_postgresql() {
        let Some(url) = test_database::fresh() else {
            return;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, property, staff) = store_with_staff(dir.path());
        let mut identities = Vec::new();
        let mut users = vec![staff];
        for (login, role) in [
            ("manager", Role::Manager),
            ("head", Role::DepartmentHead),
            ("regional", Role::RegionalManager),
        ] {
            users.push(
                store
                    .create_user(
                        NewUser {
                            login: login.into(),
                            display_name: login.into(),
                            role,
                            properties: vec![property.id],
                            department: Some("工程部".into()),
                            password_hash: String::new(),
                            must_change_password: false,
                        },
                        Utc::now(),
                        &audit(),
                    )
                    .expect("user"),
            );
        }
        for user in &users {
            let (id, number) = device(&store, user);
            identities.push((id, user.id, user.role, 0, number));
        }
        let mut fleet = Fleet::with_identities(&identities, property.id, 0);
        fleet.property_code = property.code.clone();
        let start: DateTime<Utc> = "2026-03-02T01:00:00Z".parse().expect("time");
        // A seed whose cases include repairs completed in the second
        // quarter, for the draw below (`sampled > 0` says when a change of
        // the simulator's actions needs another).
        let mut seed: u64 = 13;
        let mut choice = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as u32
        };
        let ceiling = Utc::now() + Duration::minutes(5);
        for i in 0..400usize {
            let now = start + Duration::hours(i as i64 * 7);
            let dev = i % users.len();
            let op = if i % 8 == 0 {
                Some(fleet.register(0, now, choice()))
            } else {
                fleet.act(dev, now, choice())
            };
            let Some(op) = op else { continue };
            let by = usize::from(op.device != identities[0].0) * dev;
            let answer = store
                .push(op.device, &users[by], vec![op.clone()], now, ceiling)
                .expect("push");
            assert!(answer.quarantined.is_empty(), "{:?}", answer.quarantined);
            for d in 0..users.len() {
                fleet.receive(d, std::slice::from_ref(&op), now);
            }
        }
        drop(store);
        let path = dir.path().join("cases.sqlite3");
        let blobs = tempfile::tempdir().expect("temp dir");
        let target =
            PgStore::open(&url, 2, test_database::ca().as_deref(), blobs.path()).expect("open");
        copy(&path, &target).expect("copy");

        let settings = shared::settings::Settings::default();
        let day = NaiveDate::from_ymd_opt(2026, 4, 1).expect("day");
        let now: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().expect("time");
        let queries = [
            (PeriodKind::Year, Scope::All, None),
            (
                PeriodKind::Quarter,
                Scope::Properties(vec![property.id]),
                None,
            ),
            (
                PeriodKind::Month,
                Scope::All,
                Some(shared::case::CaseKind::Complaint),
            ),
        ];
        let sqlite = rusqlite::Connection::open(&path).expect("open SQLite");
        let mut postgres = target.connection().expect("connection");
        // A push rewrites a case's clocks one by one, so on a working
        // installation one case's clocks lie among other cases'.
        let rewrite = postgres
            .transaction(Isolation::ReadCommitted)
            .expect("begin");
        rewrite
            .execute(
                "UPDATE case_deadlines SET due_at = due_at WHERE clock = 'initial_assessment'",
                &[],
            )
            .expect("rewrite");
        rewrite.commit().expect("commit");
        let postgres = postgres
            .transaction(Isolation::RepeatableRead)
            .expect("begin");
        for (kind, scope, case_kind) in queries {
            let period = Period::containing(kind, day).expect("period");
            let q = StatsQuery::new(scope, None, case_kind, period, &settings, now, Lang::ZhCn);
            let on_sqlite = stats(&sqlite, &q).expect("SQLite statistics");
            assert!(on_sqlite.total > 0, "no cases to compare in {kind:?}");
            assert_eq!(
                stats(&postgres, &q).expect("PostgreSQL statistics"),
                on_sqlite
            );
        }
        // A large installation's plan: a hash join that walks the clocks
        // in table order. A case must still count once.
        for sql in [
            "SET LOCAL enable_nestloop = off",
            "SET LOCAL enable_mergejoin = off",
        ] {
            postgres.execute(sql, &[]).expect(sql);
        }
        let year = Period::containing(PeriodKind::Year, day).expect("period");
        let q = StatsQuery::new(Scope::All, None, None, year, &settings, now, Lang::ZhCn);
        assert_eq!(
            stats(&postgres, &q).expect("PostgreSQL statistics"),
            stats(&sqlite, &q).expect("SQLite statistics"),
            "the figures of a hash join's row order"
        );
        let filter = CaseFilter::default();
        let (sql, args) = case_where(&Scope::All, &filter, now);
        let export = |db: &dyn Db| {
            let ids = export_ids(db, &sql, &args).expect("export ids");
            export_rows(db, &ids).expect("export")
        };
        let on_sqlite = export(&sqlite);
        assert!(on_sqlite.len() > 10);
        assert!(
            on_sqlite.iter().any(|r| !r.content.is_empty()),
            "the JSON columns are read"
        );
        assert_eq!(export(&postgres), on_sqlite);
        drop(postgres);

        // The spot-check draw of the quarter, through each store's Reports.
        let sqlite_store = super::super::sqlite::SqliteStore::open(&path).expect("reopen");
        let quarter = Period::containing(PeriodKind::Quarter, day).expect("quarter");
        let draw = SpotCheckDraw {
            property: property.id,
            year: 2026,
            quarter: 2,
            start: StatsQuery::new(Scope::All, None, None, quarter, &settings, now, Lang::ZhCn)
                .start,
            end: now,
            seed: 42,
            percent: 50,
            by: users[1].id,
            at: now,
        };
        let stores: [&dyn Reports; 2] = [&sqlite_store, &target];
        let drawn: Vec<SpotCheck> = stores
            .iter()
            .map(|s| s.draw_spot_check(&draw, &audit()).expect("draw"))
            .collect();
        assert!(drawn[0].sampled > 0, "{:?}", drawn[0]);
        assert_eq!(drawn[1], drawn[0]);
        for store in stores {
            assert!(matches!(
                store.draw_spot_check(&draw, &audit()),
                Err(StoreError::Conflict(_))
            ));
        }
        let listed: Vec<Vec<SpotCheck>> = stores
            .iter()
            .map(|s| {
                // Some, or both lists are empty and agree on nothing.
                let filter = SpotCheckFilter {
                    limit: 10,
                    ..SpotCheckFilter::default()
                };
                s.spot_checks(&Scope::All, &filter).expect("list")
            })
            .collect();
        assert!(!listed[0].is_empty());
        assert_eq!(listed[1], listed[0]);

        // Every case reads back the same, whole, and so does the case list.
        let ids: Vec<String> = sqlite
            .prepare("SELECT id FROM cases ORDER BY id")
            .expect("ids")
            .query_map([], |r| r.get(0))
            .expect("ids")
            .collect::<Result<_, _>>()
            .expect("ids");
        assert!(ids.len() > 10);
        for id in ids {
            let id: shared::id::CaseId = id.parse().expect("case id");
            let on_sqlite = Store::case(&sqlite_store, id).expect("read");
            assert!(on_sqlite.is_some());
            assert_eq!(Store::case(&target, id).expect("read"), on_sqlite);
        }
        let list = CaseFilter {
            page: 1,
            per_page: 500,
            ..CaseFilter::default()
        };
        assert_eq!(
            Store::cases(&target, &Scope::All, &list, now).expect("list"),
            Store::cases(&sqlite_store, &Scope::All, &list, now).expect("list")
        );
    }
}
