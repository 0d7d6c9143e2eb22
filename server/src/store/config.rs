//! Reading the configuration (settings, categories, calendar) and the
//! properties on either engine.

use super::db::Db;
use super::{Config, StoreResult};
use shared::property::Property;

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

/// Every property, by code.
pub(super) fn load_properties(db: &dyn Db) -> StoreResult<Vec<Property>> {
    db.query("SELECT json FROM properties ORDER BY code", &[])?
        .iter()
        .map(|r| Ok(serde_json::from_str(&r.get::<String>(0)?)?))
        .collect()
}
