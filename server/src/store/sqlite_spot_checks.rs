//! The quarterly spot-check (抽查回访) for SQLite: recording a draw of the
//! completed repair cases of one property and quarter, and listing the
//! draws with their call outcomes. The draw itself is
//! `shared::report::draw_sample`.

use super::AuditEntry;
use super::reports::{Labels, SpotCheckDraw, SpotCheckFilter};
use super::sqlite::{SqliteStore, load_config, load_properties, parse_id, parse_ts, scope_sql, ts};
use super::sqlite_reports::{COMPLETED, rows};
use super::{StoreError, StoreResult};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use shared::case::{Case, CaseKind};
use shared::lang::Lang;
use shared::property::Location;
use shared::report::{SpotCheck, SpotCheckItem, draw_sample};
use shared::role::Scope;

/// Draws and records the spot-check of one property and quarter, refusing
/// a second draw of the same quarter.
pub(super) fn draw(
    store: &SqliteStore,
    d: &SpotCheckDraw,
    audit: &AuditEntry,
) -> StoreResult<SpotCheck> {
    {
        let mut conn = store.writer();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists: Option<i64> = tx
            .query_row(
                "SELECT id FROM spot_checks WHERE property_id = ?1 AND year = ?2 AND quarter = ?3",
                rusqlite::params![d.property.to_string(), d.year, d.quarter],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "spot check {} Q{} of property {}",
                d.year, d.quarter, d.property
            )));
        }
        let candidates: Vec<String> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT id FROM cases WHERE property_id = ?1 AND kind = ?2 AND {COMPLETED}
                       AND resolved_at >= ?3 AND resolved_at < ?4
                     ORDER BY id"
            ))?;
            stmt.query_map(
                rusqlite::params![
                    d.property.to_string(),
                    CaseKind::Repair.code(),
                    ts(d.start),
                    ts(d.end)
                ],
                |r| r.get(0),
            )?
            .collect::<Result<_, _>>()?
        };
        let sample = draw_sample(&candidates, d.percent, d.seed);
        tx.execute(
            "INSERT INTO spot_checks (property_id, year, quarter, starts_at, ends_at, seed, percent,
                candidates, drawn_by, drawn_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                d.property.to_string(),
                d.year,
                d.quarter,
                ts(d.start),
                ts(d.end),
                d.seed.to_string(),
                d.percent,
                candidates.len() as i64,
                d.by.to_string(),
                ts(d.at)
            ],
        )?;
        let id = tx.last_insert_rowid();
        for (i, case) in sample.iter().enumerate() {
            tx.execute(
                "INSERT INTO spot_check_cases (spot_check_id, case_id, position) VALUES (?1, ?2, ?3)",
                rusqlite::params![id, case, i as i64 + 1],
            )?;
        }
        let mut entry = audit.clone();
        entry.detail = serde_json::json!({
            "spot_check": id, "property": d.property, "year": d.year, "quarter": d.quarter,
            "seed": d.seed, "candidates": candidates.len(), "sampled": sample.len(),
        });
        super::sqlite::write_audit(&tx, &entry)?;
        tx.commit()?;
    }
    let filter = SpotCheckFilter {
        property: Some(d.property),
        year: Some(d.year),
        quarter: Some(d.quarter),
    };
    load(&*store.read()?, &Scope::All, &filter)?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Internal("spot check vanished after the draw".into()))
}

/// The recorded draws in `scope`, with their sampled cases.
pub(super) fn load(
    conn: &Connection,
    scope: &Scope,
    filter: &SpotCheckFilter,
) -> StoreResult<Vec<SpotCheck>> {
    // One snapshot for every case row and its history, which a push beside
    // it may be adding to.
    let tx = conn.unchecked_transaction()?;
    let conn: &Connection = &tx;
    let config = load_config(conn)?;
    let labels = Labels::new(Lang::ZhCn, load_properties(conn)?, config.categories);
    let (cond, scope_args) = scope_sql(scope, "property_id");
    let mut conds = vec![cond];
    let mut args: Vec<Value> = scope_args.into_iter().map(Value::from).collect();
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
    let sql = format!(
        "SELECT id, property_id, year, quarter, seed, percent, candidates, drawn_by, drawn_at
         FROM spot_checks WHERE {} ORDER BY year DESC, quarter DESC, property_id",
        conds.join(" AND ")
    );
    let mut draws = rows(conn, &sql, &args, |r| {
        let property: String = r.get(1)?;
        let seed: String = r.get(4)?;
        Ok(SpotCheck {
            id: r.get(0)?,
            property_name: labels.property(&property),
            property,
            year: r.get(2)?,
            quarter: r.get(3)?,
            seed: seed
                .parse()
                .map_err(|_| StoreError::Internal(format!("stored seed {seed:?}")))?,
            percent: r.get(5)?,
            candidates: r.get::<_, i64>(6)? as u64,
            drawn_by: parse_id(&r.get::<_, String>(7)?)?,
            drawn_at: parse_ts(&r.get::<_, String>(8)?)?,
            sampled: 0,
            called: 0,
            satisfied: 0,
            items: Vec::new(),
        })
    })?;
    let mut stmt = conn.prepare(
        "SELECT sc.position, sc.case_id, c.json FROM spot_check_cases sc
         LEFT JOIN cases c ON c.id = sc.case_id
         WHERE sc.spot_check_id = ?1 ORDER BY sc.position",
    )?;
    for draw in &mut draws {
        let found: Vec<(u32, String, Option<String>)> = stmt
            .query_map([draw.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (position, case_id, json) in found {
            let case_id = parse_id(&case_id)?;
            let case: Option<Case> = json
                .map(|json| super::sqlite_history::whole(conn, case_id, &json))
                .transpose()?;
            let item = spot_check_item(position, case_id, case.as_ref(), &labels);
            draw.sampled += 1;
            if let Some(score) = item.satisfaction {
                draw.called += 1;
                if score >= config.settings.satisfied_min {
                    draw.satisfied += 1;
                }
            }
            draw.items.push(item);
        }
    }
    Ok(draws)
}

fn spot_check_item(
    position: u32,
    case_id: shared::id::CaseId,
    case: Option<&Case>,
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
    let call = case.follow_ups.iter().rev().find(|f| f.spot_check);
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
