//! [`Reports`] for SQLite: the statistics as grouped SQL over the
//! materialized `cases` and `case_deadlines` rows, and the keyset-paged
//! export (the spot-check draws are `sqlite_spot_checks.rs`). The definitions of every figure are in
//! `shared::report`, and which cases are open, completed or valid
//! complaints is decided there too (`shared::report::CaseRow`, stored as
//! flags on each row); this file only filters and counts.
//!
//! Queries that combine a case filter with other parameters put the filter
//! in a `WITH c AS (…)` first, so that the anonymous `?` parameters are
//! bound in the order they appear: the filter's, then the query's own.
//!
//! Longer than most files because it holds one small query per figure of
//! the statistics; they share the `Filter` and the helpers at the top.

use super::AuditEntry;
use super::reports::{Labels, Reports, SpotCheckDraw, SpotCheckFilter, StatsQuery};
use super::sqlite::{
    SqliteStore, case_where, load_config, load_properties, parse_id, parse_ts, scope_sql, ts,
};
use super::sqlite_spot_checks;
use super::{CaseFilter, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};
use shared::case::{CaseKind, CaseState, Channel, Severity};
use shared::deadline::Clock;
use shared::report::{
    Bucket, CaseRef, ClockRate, DepartmentRow, ExportCursor, ExportRow, FollowUpRate, Handling,
    OVERDUE_LIMIT, Overdue, OverdueCase, PropertyRow, REPEAT_LIMIT, Reopen, RepeatComplainant,
    RepeatUnit, RespondentRow, Satisfaction, ScoreCount, SpotCheck, SpotCheckCounts, Stats,
    nearest_rank, percent, round2, valid_complaint_rate,
};
use shared::role::Scope;
use std::collections::BTreeMap;

/// Cases whose handling is finished (`Case::is_completed`).
pub(super) const COMPLETED: &str = "is_completed";

/// Received → latest resolution, in hours.
const HANDLING_HOURS: &str = "(julianday(resolved_at) - julianday(received_at)) * 24.0";

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

/// `count(*)` grouped by `expr`; NULL becomes the empty key.
fn counts(conn: &Connection, f: &Filter, expr: &str) -> StoreResult<BTreeMap<String, u64>> {
    let sql = format!(
        "SELECT {expr}, count(*) FROM cases WHERE {} GROUP BY 1",
        f.sql
    );
    Ok(rows(conn, &sql, &f.args, |r| {
        Ok((
            r.get::<_, Option<String>>(0)?.unwrap_or_default(),
            r.get::<_, i64>(1)? as u64,
        ))
    })?
    .into_iter()
    .collect())
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

/// Clock counts grouped by `group` (an expression over `d` and `c`).
fn clock_rates(
    conn: &Connection,
    f: &Filter,
    group: &str,
    now: &str,
) -> StoreResult<BTreeMap<String, ClockRate>> {
    let sql = format!(
        "WITH c AS (SELECT id, is_open, property_id, department FROM cases WHERE {})
         SELECT {group}, count(d.met_at), coalesce(sum(d.met_at <= d.due_at), 0),
            coalesce(sum(d.met_at IS NULL AND d.due_at < ? AND c.{OPEN}), 0), count(*)
         FROM case_deadlines d JOIN c ON c.id = d.case_id GROUP BY 1",
        f.sql
    );
    let found = rows(conn, &sql, &f.args_then(&[now.to_string().into()]), |r| {
        let met = r.get::<_, i64>(1)? as u64;
        let overdue = r.get::<_, i64>(3)? as u64;
        let all = r.get::<_, i64>(4)? as u64;
        Ok((
            r.get::<_, Option<String>>(0)?.unwrap_or_default(),
            ClockRate {
                met,
                on_time: r.get::<_, i64>(2)? as u64,
                overdue,
                running: all.saturating_sub(met + overdue),
                ..ClockRate::default()
            }
            .finish(),
        ))
    })?;
    Ok(found.into_iter().collect())
}

/// Follow-up clock counts grouped by `group`.
fn follow_ups(
    conn: &Connection,
    f: &Filter,
    group: &str,
    now: &str,
    target: u32,
) -> StoreResult<BTreeMap<String, FollowUpRate>> {
    let sql = format!(
        "WITH c AS (SELECT id, state, property_id FROM cases WHERE {})
         SELECT {group}, coalesce(sum(d.met_at IS NOT NULL), 0),
            coalesce(sum(d.met_at IS NULL AND d.due_at < ?), 0),
            coalesce(sum(d.met_at IS NULL AND d.due_at >= ?), 0)
         FROM case_deadlines d JOIN c ON c.id = d.case_id
         WHERE d.clock IN ('{}', '{}') AND c.state <> '{}'
         GROUP BY 1",
        f.sql,
        Clock::FollowUpComplaint.code(),
        Clock::FollowUpRepair.code(),
        CaseState::Withdrawn.code(),
    );
    let found = rows(
        conn,
        &sql,
        &f.args_then(&[now.to_string().into(), now.to_string().into()]),
        |r| {
            let done = r.get::<_, i64>(1)? as u64;
            let late = r.get::<_, i64>(2)? as u64;
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                FollowUpRate {
                    done,
                    due: done + late,
                    pending: r.get::<_, i64>(3)? as u64,
                    ..FollowUpRate::default()
                }
                .finish(target),
            ))
        },
    )?;
    Ok(found.into_iter().collect())
}

fn case_refs(json: &str) -> StoreResult<Vec<CaseRef>> {
    #[derive(serde::Deserialize)]
    struct Item {
        id: String,
        reg_no: String,
        received_at: String,
    }
    let mut items: Vec<Item> = serde_json::from_str(json)?;
    items.sort_by(|a, b| (&a.received_at, &a.id).cmp(&(&b.received_at, &b.id)));
    items
        .into_iter()
        .map(|i| {
            Ok(CaseRef {
                id: parse_id(&i.id)?,
                reg_no: i.reg_no,
            })
        })
        .collect()
}

const CASE_REFS: &str =
    "json_group_array(json_object('id', id, 'reg_no', reg_no, 'received_at', received_at))";

fn handling(conn: &Connection, f: &Filter) -> StoreResult<Handling> {
    let done = f.and(COMPLETED);
    let (n, avg): (i64, Option<f64>) = conn.query_row(
        &format!(
            "SELECT count(*), avg({HANDLING_HOURS}) FROM cases WHERE {}",
            done.sql
        ),
        params_from_iter(done.args.iter()),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let p90 = match nearest_rank(n as u64, 90) {
        None => None,
        Some(rank) => conn
            .query_row(
                &format!(
                    "SELECT {HANDLING_HOURS} AS h FROM cases WHERE {} ORDER BY h LIMIT 1 OFFSET ?",
                    done.sql
                ),
                params_from_iter(done.args_then(&[((rank - 1) as i64).into()]).iter()),
                |r| r.get::<_, f64>(0),
            )
            .optional()?,
    };
    Ok(Handling {
        resolved: n as u64,
        avg_hours: avg.map(round2),
        p90_hours: p90.map(round2),
    })
}

fn satisfaction(conn: &Connection, f: &Filter, min: u8) -> StoreResult<Satisfaction> {
    let found = counts(
        conn,
        &f.and("satisfaction IS NOT NULL"),
        "CAST(satisfaction AS TEXT)",
    )?;
    let distribution: Vec<ScoreCount> = (1..=5u8)
        .map(|score| ScoreCount {
            score,
            count: found.get(&score.to_string()).copied().unwrap_or(0),
        })
        .collect();
    let rated = distribution.iter().map(|s| s.count).sum();
    let satisfied = distribution
        .iter()
        .filter(|s| s.score >= min)
        .map(|s| s.count)
        .sum();
    Ok(Satisfaction {
        distribution,
        rated,
        satisfied,
        satisfied_min: min,
        rate: percent(satisfied, rated),
    })
}

fn reopen(conn: &Connection, f: &Filter) -> StoreResult<Reopen> {
    let (resolved, reopened, reopenings): (i64, i64, i64) = conn.query_row(
        &format!(
            "SELECT coalesce(sum(resolved_at IS NOT NULL), 0),
                coalesce(sum(resolved_at IS NOT NULL AND reopen_count > 0), 0),
                coalesce(sum(reopen_count), 0)
             FROM cases WHERE {}",
            f.sql
        ),
        params_from_iter(f.args.iter()),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(Reopen {
        resolved: resolved as u64,
        reopened: reopened as u64,
        reopenings: reopenings as u64,
        rate: percent(reopened as u64, resolved as u64),
    })
}

fn repeat_units(conn: &Connection, f: &Filter, labels: &Labels) -> StoreResult<Vec<RepeatUnit>> {
    let sql = format!(
        "SELECT property_id, building_id, unit_id, count(*), {CASE_REFS}
         FROM cases WHERE {} AND unit_id IS NOT NULL
         GROUP BY unit_id HAVING count(*) >= 2 ORDER BY 4 DESC, 3 LIMIT {REPEAT_LIMIT}",
        f.sql
    );
    rows(conn, &sql, &f.args, |r| {
        let property: String = r.get(0)?;
        let building: Option<String> = r.get(1)?;
        let unit: String = r.get(2)?;
        let place = labels.place(&property, building.as_deref(), Some(&unit));
        Ok(RepeatUnit {
            label: format!("{} {place}", labels.property(&property)),
            property,
            unit,
            count: r.get::<_, i64>(3)? as u64,
            cases: case_refs(&r.get::<_, String>(4)?)?,
        })
    })
}

fn repeat_complainants(conn: &Connection, f: &Filter) -> StoreResult<Vec<RepeatComplainant>> {
    // With max(), SQLite takes the bare `complainant_name` from the row
    // holding the maximum: the name given most recently.
    let sql = format!(
        "SELECT complainant_phone, complainant_name, max(received_at), count(*), {CASE_REFS}
         FROM cases WHERE {} AND complainant_phone IS NOT NULL AND complainant_phone <> ''
         GROUP BY complainant_phone HAVING count(*) >= 2 ORDER BY 4 DESC, 1 LIMIT {REPEAT_LIMIT}",
        f.sql
    );
    rows(conn, &sql, &f.args, |r| {
        Ok(RepeatComplainant {
            phone: r.get(0)?,
            name: r.get(1)?,
            count: r.get::<_, i64>(3)? as u64,
            cases: case_refs(&r.get::<_, String>(4)?)?,
        })
    })
}

fn departments(conn: &Connection, f: &Filter, now: &str) -> StoreResult<Vec<DepartmentRow>> {
    let assigned = f.and("department IS NOT NULL");
    let mut clocks = clock_rates(conn, &assigned, "c.department", now)?;
    let sql = format!(
        "SELECT department, count(*), coalesce(sum({COMPLETED}), 0),
            avg(CASE WHEN {COMPLETED} THEN {HANDLING_HOURS} END)
         FROM cases WHERE {} GROUP BY department ORDER BY department",
        assigned.sql
    );
    rows(conn, &sql, &assigned.args, |r| {
        let department: String = r.get(0)?;
        let mut clocks = clocks.remove(&department).unwrap_or_default();
        clocks.clock = "all".into();
        Ok(DepartmentRow {
            cases: r.get::<_, i64>(1)? as u64,
            resolved: r.get::<_, i64>(2)? as u64,
            avg_handling_hours: r.get::<_, Option<f64>>(3)?.map(round2),
            clocks,
            department,
        })
    })
}

/// Cases and valid complaints by the person and department complained
/// about.
fn respondents(conn: &Connection, f: &Filter) -> StoreResult<Vec<RespondentRow>> {
    let named = f.and("(respondent IS NOT NULL OR respondent_department IS NOT NULL)");
    let sql = format!(
        "SELECT coalesce(respondent_department, ''), coalesce(respondent, ''), count(*),
            coalesce(sum(is_valid_complaint), 0)
         FROM cases WHERE {} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
        named.sql
    );
    rows(conn, &sql, &named.args, |r| {
        Ok(RespondentRow {
            department: r.get(0)?,
            person: r.get(1)?,
            cases: r.get::<_, i64>(2)? as u64,
            valid_complaints: r.get::<_, i64>(3)? as u64,
        })
    })
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
    let unreported = f.and(&format!(
        "{OPEN} AND EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_id = cases.id
            AND d.clock = '{}' AND d.met_at IS NULL)",
        Clock::MajorReport.code()
    ));
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM cases WHERE {}", unreported.sql),
        params_from_iter(unreported.args.iter()),
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT id, reg_no, property_id, kind, state, category, department,
            (SELECT due_at FROM case_deadlines d WHERE d.case_id = cases.id AND d.clock = '{}') AS due
         FROM cases WHERE {} ORDER BY due, id LIMIT {OVERDUE_LIMIT}",
        Clock::MajorReport.code(),
        unreported.sql
    );
    let items = rows(conn, &sql, &unreported.args, |r| {
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
    let late = f.and(&format!(
        "{OPEN} AND next_due_at IS NOT NULL AND next_due_at < ?"
    ));
    let args = late.args_then(&[ts(now).into()]);
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM cases WHERE {}", late.sql),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT id, reg_no, property_id, kind, state, category, department, next_due_at
         FROM cases WHERE {} ORDER BY next_due_at, id LIMIT {OVERDUE_LIMIT}",
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

impl SqliteStore {
    fn compute_stats(conn: &Connection, q: &StatsQuery) -> StoreResult<Stats> {
        let config = load_config(conn)?;
        let properties: Vec<_> = load_properties(conn)?
            .into_iter()
            .filter(|p| q.scope.allows(p.id) && q.property.is_none_or(|f| f == p.id))
            .collect();
        let labels = Labels::new(q.lang, properties.clone(), config.categories.clone());
        let f = Filter::new(q, true);
        let now = ts(q.now);

        let total = count_of(conn, &f)?;
        let kinds: Vec<String> = match q.kind {
            Some(k) => vec![k.code().into()],
            None => CaseKind::ALL.iter().map(|k| k.code().into()).collect(),
        };
        let by_kind = buckets(&counts(conn, &f, "kind")?, kinds, |k| labels.kind(k));
        let by_category = {
            let found = counts(conn, &f, "category")?;
            let keys = config
                .categories
                .iter()
                .filter(|c| c.active || found.contains_key(&c.code))
                .map(|c| c.code.clone());
            buckets(&found, keys, |c| labels.category(c))
        };
        let by_property = buckets(
            &counts(conn, &f, "property_id")?,
            properties.iter().map(|p| p.id.to_string()),
            |p| labels.property(p),
        );
        let by_building = buckets(
            &counts(conn, &f, "property_id || '/' || coalesce(building_id, '')")?,
            Vec::new(),
            |key| {
                let (property, building) = key.split_once('/').unwrap_or((key, ""));
                let building = Some(building).filter(|b| !b.is_empty());
                format!(
                    "{} {}",
                    labels.property(property),
                    labels.building(property, building)
                )
            },
        );
        let by_channel = buckets(
            &counts(conn, &f, "channel")?,
            Channel::ALL.iter().map(|c| c.code().to_string()),
            |c| labels.channel(c),
        );
        let by_severity = buckets(
            &counts(conn, &f, "severity")?,
            Severity::ALL
                .iter()
                .map(|s| s.code().to_string())
                .chain([String::new()]),
            |s| labels.severity(Some(s)),
        );
        let by_state = buckets(
            &counts(conn, &f, "state")?,
            CaseState::ALL.iter().map(|s| s.code().to_string()),
            |s| labels.state(s),
        );
        let mut by_month = Vec::new();
        for (label, start, end) in &q.months {
            let month = f.and("received_at >= ? AND received_at < ?");
            let args = month.args_then(&[ts(*start).into(), ts(*end).into()]);
            let n: i64 = conn.query_row(
                &format!("SELECT count(*) FROM cases WHERE {}", month.sql),
                params_from_iter(args.iter()),
                |r| r.get(0),
            )?;
            by_month.push(Bucket {
                key: label.clone(),
                label: label.clone(),
                count: n as u64,
            });
        }

        let mut per_clock = clock_rates(conn, &f, "d.clock", &now)?;
        let on_time: Vec<ClockRate> = Clock::ALL
            .iter()
            .filter_map(|c| per_clock.remove(c.code()).map(|r| (c, r)))
            .map(|(c, r)| ClockRate {
                clock: c.code().into(),
                label: labels.clock(c.code()),
                ..r
            })
            .collect();
        let on_time_overall = clock_rates(conn, &f, "'all'", &now)?
            .remove("all")
            .map(|r| ClockRate {
                clock: "all".into(),
                label: labels.pick("全部时限", "All clocks").into(),
                ..r
            })
            .unwrap_or_default();

        let target = q.follow_up_target_percent;
        let follow_up = follow_ups(conn, &f, "'all'", &now, target)?
            .remove("all")
            .unwrap_or_else(|| FollowUpRate::default().finish(target));

        let mut property_clocks = clock_rates(conn, &f, "c.property_id", &now)?;
        let mut property_follow_ups = follow_ups(conn, &f, "c.property_id", &now, target)?;
        let property_cases = counts(conn, &f, "property_id")?;
        let valid = counts(conn, &f.and("is_valid_complaint"), "property_id")?;
        let satisfied = {
            let rated = f.and("satisfaction IS NOT NULL");
            let sql = format!(
                "SELECT property_id, count(*), coalesce(sum(satisfaction >= ?), 0) FROM cases WHERE {} GROUP BY 1",
                rated.sql
            );
            let mut args: Vec<Value> = vec![i64::from(q.satisfied_min).into()];
            args.extend(rated.args.iter().cloned());
            rows(conn, &sql, &args, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    percent(r.get::<_, i64>(2)? as u64, r.get::<_, i64>(1)? as u64),
                ))
            })?
            .into_iter()
            .collect::<BTreeMap<_, _>>()
        };
        let current = Filter::new(q, false);
        let overdue_open = {
            let late = current.and(&format!("{OPEN} AND next_due_at < ?"));
            let sql = format!(
                "SELECT property_id, count(*) FROM cases WHERE {} GROUP BY 1",
                late.sql
            );
            rows(conn, &sql, &late.args_then(&[now.clone().into()]), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .into_iter()
            .collect::<BTreeMap<_, _>>()
        };
        let property_rows = properties
            .iter()
            .map(|p| {
                let id = p.id.to_string();
                let valid_complaints = valid.get(&id).copied().unwrap_or(0);
                let rates = valid_complaint_rate(valid_complaints, p.households, &q.period);
                PropertyRow {
                    code: p.code.clone(),
                    name: p.name.clone(),
                    households: p.households,
                    cases: property_cases.get(&id).copied().unwrap_or(0),
                    valid_complaints,
                    valid_rate_bp: rates.map(|r| r.0),
                    valid_rate_annualized_bp: rates.map(|r| r.1),
                    valid_target_bp: q.valid_complaint_target_bp,
                    valid_missed: rates
                        .is_some_and(|r| r.1 >= f64::from(q.valid_complaint_target_bp)),
                    follow_up: property_follow_ups
                        .remove(&id)
                        .unwrap_or_else(|| FollowUpRate::default().finish(target)),
                    on_time_rate: property_clocks.remove(&id).and_then(|c| c.rate),
                    satisfied_rate: satisfied.get(&id).copied().flatten(),
                    overdue_open: overdue_open.get(&id).copied().unwrap_or(0),
                    property: id,
                }
            })
            .collect();

        let mut stats = Stats {
            period: q.period,
            start: q.start,
            end: q.end,
            property: q.property.map(|p| p.to_string()),
            kind: q.kind.map(|k| k.code().to_string()),
            generated_at: q.now,
            total,
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
            handling: handling(conn, &f)?,
            satisfaction: satisfaction(conn, &f, q.satisfied_min)?,
            follow_up,
            reopen: reopen(conn, &f)?,
            properties: property_rows,
            repeat_units: repeat_units(conn, &f, &labels)?,
            repeat_complainants: repeat_complainants(conn, &f)?,
            departments: departments(conn, &f, &now)?,
            respondents: respondents(conn, &f)?,
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
