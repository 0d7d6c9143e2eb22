//! `server property add | building | list`: properties, their buildings
//! and units, with the same checks as the admin API.

use super::{Data, cli_audit, property_by_code};
use clap::Subcommand;
use server::api::admin::check_property;
use shared::id::{BuildingId, PropertyId, UnitId};
use shared::property::{Building, Property, Unit};
use shared::wire::ConfigKey;

/// The `property` commands.
#[derive(Subcommand)]
pub enum PropertyCommand {
    /// Adds a property.
    Add {
        #[command(flatten)]
        data: Data,
        /// Short code used in registration numbers (e.g. HY).
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Number of households (户数).
        #[arg(long)]
        households: u32,
        /// Where residents reach the service desk (客服电话, an address),
        /// printed on receipts and result notices.
        #[arg(long, default_value = "")]
        contact: String,
    },
    /// Adds a building with its units to a property.
    Building {
        #[command(flatten)]
        data: Data,
        /// The property's code.
        #[arg(long)]
        property: String,
        /// The building's name (e.g. 1栋).
        #[arg(long)]
        name: String,
        /// Unit names, separated by commas (ASCII or 全角), 、, semicolons,
        /// tabs or line breaks (e.g. 101,102,201).
        #[arg(long, default_value = "")]
        units: String,
    },
    /// Lists properties.
    List {
        #[command(flatten)]
        data: Data,
    },
}

impl PropertyCommand {
    /// Runs the command.
    pub fn run(self) -> Result<(), String> {
        match self {
            PropertyCommand::Add {
                data,
                code,
                name,
                households,
                contact,
            } => {
                let store = data.open()?;
                let property = Property {
                    id: PropertyId(uuid::Uuid::now_v7()),
                    code: code.trim().to_ascii_uppercase(),
                    name,
                    households,
                    buildings: Vec::new(),
                    retired: false,
                    contact: contact.trim().to_string(),
                    removed: Vec::new(),
                };
                check_property(&property).map_err(|e| e.to_string())?;
                let audit = cli_audit(
                    "property.put",
                    serde_json::json!({ "property": property.id, "code": property.code }),
                );
                store
                    .put_property(&property, None, &audit)
                    .map_err(|e| e.to_string())?;
                println!("created property {} {}", property.code, property.id);
                Ok(())
            }
            PropertyCommand::Building {
                data,
                property,
                name,
                units,
            } => {
                let store = data.open()?;
                // The revision first, so that a server saving meanwhile
                // makes this refuse rather than undo its change.
                let revision = store
                    .revision(ConfigKey::Properties)
                    .map_err(|e| e.to_string())?;
                let mut p = property_by_code(store.as_ref(), &property)?;
                let units = shared::property::split_unit_names(&units)
                    .into_iter()
                    .map(|name| Unit {
                        id: UnitId(uuid::Uuid::now_v7()),
                        name,
                    })
                    .collect();
                p.buildings.push(Building {
                    id: BuildingId(uuid::Uuid::now_v7()),
                    name,
                    units,
                });
                // The same bounds as the administration screen's.
                check_property(&p).map_err(|e| e.to_string())?;
                let audit = cli_audit(
                    "property.put",
                    serde_json::json!({ "property": p.id, "code": p.code }),
                );
                store
                    .put_property(&p, Some(revision), &audit)
                    .map_err(|e| e.to_string())?;
                println!(
                    "property {} now has {} building(s)",
                    p.code,
                    p.buildings.len()
                );
                Ok(())
            }
            PropertyCommand::List { data } => {
                let store = data.open()?;
                for p in store.properties().map_err(|e| e.to_string())? {
                    let units: usize = p.buildings.iter().map(|b| b.units.len()).sum();
                    println!(
                        "{}\t{}\t{} households\t{} buildings\t{} units\t{}{}",
                        p.code,
                        p.name,
                        p.households,
                        p.buildings.len(),
                        units,
                        p.id,
                        if p.retired { "\tretired" } else { "" }
                    );
                }
                Ok(())
            }
        }
    }
}
