//! The quarterly spot-check (抽查回访) on either engine ([`Db`]):
//! recording a draw of the completed repair cases of one property and
//! quarter, and listing the draws with their call outcomes. The draw itself
//! is `shared::report::draw_sample`.

use super::audit_sql::write_audit;
use super::config::{load_config, load_properties};
use super::db::{Db, Value};
use super::filter_sql::scope_sql;
use super::reports::{Labels, SpotCheckDraw, SpotCheckFilter};
use super::reports_sql::COMPLETED;
use super::sqlite::{parse_id, parse_ts, ts};
use super::{AuditEntry, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use shared::case::{Case, CaseKind, CaseState, Registration};
use shared::lang::Lang;
use shared::property::Location;
use shared::report::{SpotCheck, SpotCheckItem, draw_sample};
use shared::role::Scope;

/// Draws and records the spot-check of one property and quarter in the
/// write transaction `tx`, refusing a second draw of the same quarter.
/// The caller commits, then reads it back with [`load`].
pub(super) fn draw(tx: &dyn Db, d: &SpotCheckDraw, audit: &AuditEntry) -> StoreResult<()> {
    let exists = tx.query_opt(
        "SELECT id FROM spot_checks WHERE property_id = ?1 AND year = ?2 AND quarter = ?3",
        &[
            d.property.to_string().into(),
            i64::from(d.year).into(),
            i64::from(d.quarter).into(),
        ],
    )?;
    if exists.is_some() {
        return Err(already_drawn(d));
    }
    // A repair nobody can call back (`Complainant::reachable`) is no
    // candidate: drawn, it would stay uncalled for good.
    let mut candidates: Vec<String> = Vec::new();
    for row in tx.query(
        &format!(
            "SELECT id, json FROM cases WHERE property_id = ?1 AND kind = ?2 AND {COMPLETED}
               AND resolved_at >= ?3 AND resolved_at < ?4
             ORDER BY id"
        ),
        &[
            d.property.to_string().into(),
            CaseKind::Repair.code().into(),
            ts(d.start).into(),
            ts(d.end).into(),
        ],
    )? {
        let stored: Registered = serde_json::from_str(&row.get::<String>(1)?)?;
        if stored.registration.complainant.reachable() {
            candidates.push(row.get(0)?);
        }
    }
    let sample = draw_sample(&candidates, d.percent, d.seed);
    // Another server may have drawn the quarter since the check above (on
    // PostgreSQL, whose draws do not wait for one writer): its row wins,
    // and this draw is told so as the check would have.
    let Some(row) = tx.query_opt(
        "INSERT INTO spot_checks (property_id, year, quarter, starts_at, ends_at, seed, percent,
                candidates, drawn_by, drawn_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (property_id, year, quarter) DO NOTHING RETURNING id",
        &[
            d.property.to_string().into(),
            i64::from(d.year).into(),
            i64::from(d.quarter).into(),
            ts(d.start).into(),
            ts(d.end).into(),
            d.seed.to_string().into(),
            i64::from(d.percent).into(),
            (candidates.len() as i64).into(),
            d.by.to_string().into(),
            ts(d.at).into(),
        ],
    )?
    else {
        return Err(already_drawn(d));
    };
    let id: i64 = row.get(0)?;
    for (i, case) in sample.iter().enumerate() {
        tx.execute(
            "INSERT INTO spot_check_cases (spot_check_id, case_id, position) VALUES (?1, ?2, ?3)",
            &[id.into(), case.into(), (i as i64 + 1).into()],
        )?;
    }
    // The candidates themselves, in the order drawn from: the cases
    // change after the draw (reopened, corrected, deleted), and the seed
    // alone over today's rows would give another sample.
    let mut entry = audit.clone();
    entry.detail = serde_json::json!({
        "spot_check": id, "property": d.property, "year": d.year, "quarter": d.quarter,
        "seed": d.seed, "percent": d.percent, "candidates": candidates.len(),
        "candidate_ids": candidates, "sampled": sample.len(),
    });
    write_audit(tx, &entry)
}

fn already_drawn(d: &SpotCheckDraw) -> StoreError {
    StoreError::Conflict(format!(
        "spot check {} Q{} of property {}",
        d.year, d.quarter, d.property
    ))
}

/// The part of a stored case the draw reads.
#[derive(serde::Deserialize)]
struct Registered {
    registration: Registration,
}

/// The draw `d` recorded, as [`load`] lists it.
pub(super) fn drawn(db: &dyn Db, d: &SpotCheckDraw) -> StoreResult<SpotCheck> {
    let filter = SpotCheckFilter {
        property: Some(d.property),
        year: Some(d.year),
        quarter: Some(d.quarter),
        from: None,
        to: None,
        limit: 1,
        // The drawing screen lists the draws again in its own language.
        lang: Lang::ZhCn,
    };
    load(db, &Scope::All, &filter)?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Internal("spot check vanished after the draw".into()))
}

/// The recorded draws in `scope`, the latest first, with their sampled
/// cases. Each case is read from its row alone: a call list needs nothing
/// of its history (timeline and notes).
pub(super) fn load(
    db: &dyn Db,
    scope: &Scope,
    filter: &SpotCheckFilter,
) -> StoreResult<Vec<SpotCheck>> {
    let config = load_config(db)?;
    let labels = Labels::new(filter.lang, load_properties(db)?, config.categories);
    let (cond, scope_args) = scope_sql(scope, "property_id");
    let mut conds = vec![cond];
    let mut args: Vec<Value<'static>> = scope_args.into_iter().map(Value::from).collect();
    if let Some(p) = filter.property {
        conds.push("property_id = ?".into());
        args.push(p.to_string().into());
    }
    if let Some(y) = filter.year {
        conds.push("year = ?".into());
        args.push(i64::from(y).into());
    }
    if let Some(q) = filter.quarter {
        conds.push("quarter = ?".into());
        args.push(i64::from(q).into());
    }
    // The overlap the statistics count a draw by (`reports_sql`).
    if let Some(from) = filter.from {
        conds.push("ends_at > ?".into());
        args.push(ts(from).into());
    }
    if let Some(to) = filter.to {
        conds.push("starts_at < ?".into());
        args.push(ts(to).into());
    }
    let sql = format!(
        "SELECT id, property_id, year, quarter, seed, percent, candidates, drawn_by, drawn_at,
                starts_at
         FROM spot_checks WHERE {} ORDER BY year DESC, quarter DESC, property_id LIMIT {}",
        conds.join(" AND "),
        filter.limit
    );
    let mut draws = db
        .query(&sql, &args)?
        .iter()
        .map(|r| {
            let property: String = r.get(1)?;
            let seed: String = r.get(4)?;
            let starts_at = parse_ts(&r.get::<String>(9)?)?;
            let draw = SpotCheck {
                id: r.get(0)?,
                property_name: labels.property(&property),
                property,
                year: r.get(2)?,
                quarter: r.get(3)?,
                seed: seed
                    .parse()
                    .map_err(|_| StoreError::Internal(format!("stored seed {seed:?}")))?,
                percent: r.get(5)?,
                candidates: r.get(6)?,
                drawn_by: parse_id(&r.get::<String>(7)?)?,
                drawn_at: parse_ts(&r.get::<String>(8)?)?,
                sampled: 0,
                called: 0,
                satisfied: 0,
                items: Vec::new(),
            };
            Ok((draw, starts_at))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    for (draw, starts_at) in &mut draws {
        let found = db.query(
            "SELECT sc.position, sc.case_id, c.json FROM spot_check_cases sc
             LEFT JOIN cases c ON c.id = sc.case_id
             WHERE sc.spot_check_id = ?1 ORDER BY sc.position",
            &[draw.id.into()],
        )?;
        for r in found {
            let json: Option<String> = r.get(2)?;
            let case_id = parse_id(&r.get::<String>(1)?)?;
            let case: Option<Case> = json.map(|json| serde_json::from_str(&json)).transpose()?;
            // Voided since the draw (a duplicate), it is no repair to call.
            if case.as_ref().is_some_and(|c| c.state == CaseState::Voided) {
                continue;
            }
            let item = spot_check_item(r.get(0)?, case_id, case.as_ref(), *starts_at, &labels);
            // Deleted since (retention), it keeps its place in the list,
            // blank, but is no sample: the statistics count none.
            if case.is_some() {
                draw.sampled += 1;
            }
            if let Some(score) = item.satisfaction {
                draw.called += 1;
                if score >= config.settings.satisfied_min {
                    draw.satisfied += 1;
                }
            }
            draw.items.push(item);
        }
    }
    Ok(draws.into_iter().map(|(draw, _)| draw).collect())
}

/// One sampled case, with its latest spot-check call made since the
/// quarter drawn began (`since`): one of an earlier quarter, before the
/// case was handled again, called about other work.
fn spot_check_item(
    position: u32,
    case_id: shared::id::CaseId,
    case: Option<&Case>,
    since: DateTime<Utc>,
    labels: &Labels,
) -> SpotCheckItem {
    let Some(case) = case else {
        // Deleted under retention since the draw: the sample keeps its place.
        return SpotCheckItem {
            position,
            case_id,
            reg_no: String::new(),
            place: String::new(),
            complainant_name: String::new(),
            phone: None,
            resolved_at: None,
            called_at: None,
            satisfaction: None,
            comment: None,
        };
    };
    let reg = &case.registration;
    let property = reg.property.to_string();
    let (building, unit) = match &reg.location {
        Location::Unit { building, unit } => (Some(building.to_string()), Some(unit.to_string())),
        Location::Building { building } => (Some(building.to_string()), None),
        Location::PublicArea => (None, None),
    };
    let call = case
        .follow_ups
        .iter()
        .rev()
        .find(|f| f.spot_check && f.stamp.at >= since);
    SpotCheckItem {
        position,
        case_id,
        reg_no: reg.reg_no.to_string(),
        place: labels.place(&property, building.as_deref(), unit.as_deref()),
        complainant_name: reg.complainant.name.clone(),
        phone: reg.complainant.phone.as_ref().map(|p| p.to_string()),
        resolved_at: case.resolution.as_ref().map(|r| r.stamp.at),
        called_at: call.map(|f| f.stamp.at),
        satisfaction: call.map(|f| f.satisfaction),
        comment: call.map(|f| f.comment.clone()),
    }
}
