//! The configuration (settings, categories, calendar), the properties and
//! the server sequence number that marks their changes, on either engine.

use super::audit_sql::write_audit;
use super::db::Db;
use super::{AuditEntry, Config, StoreError, StoreResult};
use shared::calendar::Calendar;
use shared::category::{Category, default_categories};
use shared::property::Property;
use shared::settings::Settings;

// The config table's keys are the `ConfigItem` tags, so a stored row and
// the item pulled from it cannot name different things.
pub(super) const SETTINGS: &str = shared::wire::ConfigKey::Settings.code();
pub(super) const CATEGORIES: &str = shared::wire::ConfigKey::Categories.code();
pub(super) const CALENDAR: &str = shared::wire::ConfigKey::Calendar.code();
pub(super) const PROPERTIES: &str = shared::wire::ConfigKey::Properties.code();
pub(super) const USERS: &str = shared::wire::ConfigKey::Users.code();

/// The settings, categories and calendar.
pub(super) fn load_config(db: &dyn Db) -> StoreResult<Config> {
    let get = |key: &str| -> StoreResult<String> {
        db.query_one("SELECT json FROM config WHERE key = ?1", &[key.into()])?
            .get(0)
    };
    Ok(Config {
        settings: serde_json::from_str(&get(SETTINGS)?)?,
        categories: serde_json::from_str(&get(CATEGORIES)?)?,
        calendar: serde_json::from_str(&get(CALENDAR)?)?,
    })
}

/// The settings alone.
pub(super) fn load_settings(db: &dyn Db) -> StoreResult<shared::settings::Settings> {
    let row = db.query_one("SELECT json FROM config WHERE key = ?1", &[SETTINGS.into()])?;
    Ok(serde_json::from_str(row.text(0)?)?)
}

/// Every property, by code.
pub(super) fn load_properties(db: &dyn Db) -> StoreResult<Vec<Property>> {
    db.query("SELECT json FROM properties ORDER BY code", &[])?
        .iter()
        .map(|r| Ok(serde_json::from_str(&r.get::<String>(0)?)?))
        .collect()
}

/// Hands out the next server-wide sequence number (inside a write
/// transaction, whose lock on the counter row it keeps until the end:
/// see `postgres.rs` on why that matters).
pub(super) fn next_seq(tx: &dyn Db) -> StoreResult<i64> {
    tx.query_one(
        "UPDATE counters SET value = value + 1 WHERE name = 'server_seq' RETURNING value",
        &[],
    )?
    .get(0)
}

/// Marks a derived config item (properties, users) as changed, so that
/// pull hands it out again; answers its new revision.
pub(super) fn touch_config(tx: &dyn Db, key: &str) -> StoreResult<i64> {
    let seq = next_seq(tx)?;
    tx.execute(
        "UPDATE config SET server_seq = ?2 WHERE key = ?1",
        &[key.into(), seq.into()],
    )?;
    Ok(seq)
}

/// The revision of the config item `key`: the server sequence number of
/// its last change.
pub(super) fn revision(db: &dyn Db, key: &str) -> StoreResult<i64> {
    db.query_opt(
        "SELECT server_seq FROM config WHERE key = ?1",
        &[key.into()],
    )?
    .map_or(Ok(0), |row| row.get(0))
}

/// Fails with `Changed` when the config item `key` is no longer at the
/// `expected` revision (inside the write transaction that would save it).
fn check_revision(tx: &dyn Db, key: &str, expected: Option<i64>) -> StoreResult<()> {
    match expected {
        Some(expected) if revision(tx, key)? != expected => Err(StoreError::Changed(key.into())),
        _ => Ok(()),
    }
}

/// Stores the config item `key` as `json`, if it is still at the expected
/// revision when one is given; answers its new revision.
pub(super) fn put_config_json(
    tx: &dyn Db,
    (key, expected): (&str, Option<i64>),
    json: String,
    audit: &AuditEntry,
) -> StoreResult<i64> {
    if let Err(changed) = check_revision(tx, key, expected) {
        // Already so: a save sent again after its answer was lost (or
        // another administrator's same change) is done, not a conflict.
        let stored = tx.query_opt(
            "SELECT server_seq, json FROM config WHERE key = ?1",
            &[key.into()],
        )?;
        return match stored {
            Some(row) if row.text(1)? == json => row.get(0),
            _ => Err(changed),
        };
    }
    write_audit(tx, audit)?;
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT INTO config (key, json, server_seq) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET json = excluded.json, server_seq = excluded.server_seq",
        &[key.into(), json.into(), seq.into()],
    )?;
    Ok(seq)
}

/// Writes the default settings, categories and calendar where there are
/// none yet.
pub(super) fn seed_config(tx: &dyn Db) -> StoreResult<()> {
    let defaults: [(&str, String); 5] = [
        (SETTINGS, serde_json::to_string(&Settings::default())?),
        (CATEGORIES, serde_json::to_string(&default_categories())?),
        (CALENDAR, serde_json::to_string(&Calendar::with_builtin())?),
        (PROPERTIES, String::new()),
        (USERS, String::new()),
    ];
    for (key, json) in defaults {
        if tx
            .query_opt("SELECT 1 FROM config WHERE key = ?1", &[key.into()])?
            .is_none()
        {
            let seq = next_seq(tx)?;
            tx.execute(
                "INSERT INTO config (key, json, server_seq) VALUES (?1, ?2, ?3)",
                &[key.into(), json.into(), seq.into()],
            )?;
        }
    }
    Ok(())
}

/// Refuses (`admin.place_in_use`) when a building or unit of `before` that `after`
/// lacks (a unit counts as the pair of its building and itself) has cases.
fn refuse_removing_used_places(
    tx: &dyn Db,
    before: &Property,
    after: &Property,
) -> StoreResult<()> {
    let property = before.id.to_string();
    for building in &before.buildings {
        // Kept as it stands, not as removed earlier (one of its units).
        let Some(kept) = after.buildings.iter().find(|b| b.id == building.id) else {
            let used = tx.query_one(
                "SELECT COUNT(*) FROM cases WHERE property_id = ?1 AND building_id = ?2",
                &[property.as_str().into(), building.id.to_string().into()],
            )?;
            let count: i64 = used.get(0)?;
            if count > 0 {
                return Err(place_in_use(format!(
                    "building {} has {count} cases",
                    building.name
                )));
            }
            continue;
        };
        for unit in &building.units {
            if kept.units.iter().any(|u| u.id == unit.id) {
                continue;
            }
            let used = tx.query_one(
                "SELECT COUNT(*) FROM cases
                 WHERE property_id = ?1 AND building_id = ?2 AND unit_id = ?3",
                &[
                    property.as_str().into(),
                    building.id.to_string().into(),
                    unit.id.to_string().into(),
                ],
            )?;
            let count: i64 = used.get(0)?;
            if count > 0 {
                return Err(place_in_use(format!(
                    "unit {} {} has {count} cases",
                    building.name, unit.name
                )));
            }
        }
    }
    Ok(())
}

/// Replaces the categories with `categories` in the write transaction
/// `tx`, refused when cases use a code the list leaves out. The codes in
/// use are read in the same transaction: read before it, a push between
/// the two could register a case under a code the list removes. The audit
/// entry's detail is the list before and the list after.
pub(super) fn put_categories(
    tx: &dyn Db,
    categories: &[Category],
    expected: Option<i64>,
    audit: &AuditEntry,
) -> StoreResult<i64> {
    let kept = |code: &String| categories.iter().any(|c| &c.code == code);
    if let Some(code) = super::admin_sql::category_codes_in_use(tx)?
        .into_iter()
        .find(|code| !kept(code))
    {
        return Err(StoreError::Refused {
            code: "categories.code_in_use",
            message: format!(
                "cases use category {code}; retire it (active: false) instead of removing it"
            ),
        });
    }
    let mut audit = audit.clone();
    audit.detail = serde_json::json!({ "old": load_config(tx)?.categories, "new": categories });
    put_config_json(
        tx,
        (CATEGORIES, expected),
        serde_json::to_string(categories)?,
        &audit,
    )
}

fn place_in_use(what: String) -> StoreError {
    StoreError::Refused {
        code: "admin.place_in_use",
        message: format!(
            "{what}: a building or unit with cases cannot be removed (rename it instead)"
        ),
    }
}

/// Every building's and unit's name in `property`, by id.
fn places(property: &Property) -> Vec<(String, String)> {
    property
        .buildings
        .iter()
        .flat_map(|b| {
            std::iter::once((b.id.to_string(), b.name.clone())).chain(
                b.units
                    .iter()
                    .map(|u| (u.id.to_string(), format!("{} {}", b.name, u.name))),
            )
        })
        .collect()
}

/// Adds or replaces `property` (another property's code is a `Conflict`,
/// and its own code may not change: `admin.property_code_fixed`), if the
/// properties are still at the `expected` revision when one is
/// given. A building or unit it no longer has must have no cases (refused with
/// `admin.place_in_use`):
/// they would lose their place. It is kept as removed
/// (`Property::keep_removed`): offered for no new case, but a case a
/// tablet registered there offline before it heard is still taken. When a
/// building or unit is renamed, its cases are marked to be folded again
/// (`refold.rs`), which rewrites their search text.
pub(super) fn put_property(
    tx: &dyn Db,
    property: &Property,
    expected: Option<i64>,
    audit: &AuditEntry,
) -> StoreResult<i64> {
    if let Err(changed) = check_revision(tx, PROPERTIES, expected) {
        // Already so: a save sent again after its answer was lost.
        return match stored_as(tx, property)? {
            true => revision(tx, PROPERTIES),
            false => Err(changed),
        };
    }
    let taken = tx.query_opt(
        "SELECT id FROM properties WHERE code = ?1 AND id <> ?2",
        &[
            property.code.as_str().into(),
            property.id.to_string().into(),
        ],
    )?;
    if taken.is_some() {
        return Err(StoreError::Conflict(format!(
            "property code {}",
            property.code
        )));
    }
    let before = tx.query_opt(
        "SELECT json FROM properties WHERE id = ?1",
        &[property.id.to_string().into()],
    )?;
    let mut was = None;
    // The server keeps what was removed (`keep_removed`, from the saved
    // copy): a client's list is not taken, and a new property has none.
    let mut property = property.clone();
    property.removed.clear();
    if let Some(row) = before {
        let before = serde_json::from_str::<Property>(&row.get::<String>(0)?).ok();
        if let Some(before) = &before {
            was = Some(summary(before));
            // Its cases' registration numbers carry the code, and so do
            // those tablets make offline meanwhile: with another, the
            // server could no longer tell them for this property's.
            if before.code != property.code {
                return Err(StoreError::Refused {
                    code: "admin.property_code_fixed",
                    message: format!(
                        "a property's code cannot change (it is {}): the registration numbers of its cases carry it",
                        before.code
                    ),
                });
            }
            refuse_removing_used_places(tx, before, &property)?;
            property.keep_removed(before);
        }
        // The cases' search text holds their property's and place's names.
        if before.is_none_or(|before| {
            before.name != property.name || places(&before) != places(&property)
        }) {
            super::fold_sql::mark_stale(tx, property.id)?;
        }
    }
    tx.execute(
        "INSERT INTO properties (id, code, name, households, json) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET code = excluded.code, name = excluded.name,
           households = excluded.households, json = excluded.json",
        &[
            property.id.to_string().into(),
            property.code.as_str().into(),
            property.name.as_str().into(),
            i64::from(property.households).into(),
            serde_json::to_string(&property)?.into(),
        ],
    )?;
    let revision = touch_config(tx, PROPERTIES)?;
    // What changed, so that the audit answers who set the households a
    // year's valid-complaint rate divides by; the places only counted, as
    // a large estate has tens of thousands.
    let mut audit = audit.clone();
    audit.detail = serde_json::json!({
        "property": property.id,
        "code": property.code,
        "old": was,
        "new": summary(&property),
    });
    write_audit(tx, &audit)?;
    Ok(revision)
}

/// Whether `property`, saved now, would be stored as it already is.
fn stored_as(tx: &dyn Db, property: &Property) -> StoreResult<bool> {
    let Some(row) = tx.query_opt(
        "SELECT json FROM properties WHERE id = ?1",
        &[property.id.to_string().into()],
    )?
    else {
        return Ok(false);
    };
    let before: Property = serde_json::from_str(row.text(0)?)?;
    let mut saved = property.clone();
    saved.removed.clear();
    saved.keep_removed(&before);
    Ok(saved == before)
}

/// A property as its audit records it: all but the places, counted.
fn summary(property: &Property) -> serde_json::Value {
    serde_json::json!({
        "name": property.name,
        "households": property.households,
        "retired": property.retired,
        "contact": property.contact,
        "buildings": property.buildings.len(),
        "units": property.buildings.iter().map(|b| b.units.len()).sum::<usize>(),
    })
}
