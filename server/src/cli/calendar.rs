//! `server calendar import | show`: the holiday calendar (rest days and
//! make-up workdays per year) that working-day deadlines count with. An
//! import folds the stored cases again (`refold::catch_up`), so those whose
//! clocks needed the new years get their deadlines at once.

use super::{Data, cli_audit};
use clap::Subcommand;
use shared::calendar::{Calendar, YearSchedule};
use shared::wire::ConfigKey;
use std::path::PathBuf;

/// The `calendar` commands.
#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Imports a year's schedule (a JSON YearSchedule or a list of them),
    /// replacing that year.
    Import {
        #[command(flatten)]
        data: Data,
        file: PathBuf,
    },
    /// Shows the loaded years.
    Show {
        #[command(flatten)]
        data: Data,
    },
}

impl CalendarCommand {
    /// Runs the command.
    pub fn run(self) -> Result<(), String> {
        match self {
            CalendarCommand::Import { data, file } => {
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| format!("read {}: {e}", file.display()))?;
                let years: Vec<YearSchedule> = serde_json::from_str::<Vec<YearSchedule>>(&text)
                    .or_else(|_| serde_json::from_str::<YearSchedule>(&text).map(|y| vec![y]))
                    .map_err(|e| format!("{}: not a year schedule: {e}", file.display()))?;
                let store = data.open()?;
                // The revision first, so that a server saving meanwhile
                // makes this refuse rather than undo its change.
                let revision = store
                    .revision(ConfigKey::Calendar)
                    .map_err(|e| e.to_string())?;
                let mut calendar: Calendar = store.config().map_err(|e| e.to_string())?.calendar;
                // Every year is checked before any is said imported: a
                // file refused at its second year saves nothing.
                let mut imported = Vec::new();
                for year in years {
                    let y = year.year;
                    calendar
                        .admit(year)
                        .map_err(|e| format!("{y}: {e}; nothing was imported"))?;
                    imported.push(y);
                }
                let audit = cli_audit(
                    "calendar.put",
                    serde_json::json!({ "file": file.display().to_string(), "years": calendar.years().collect::<Vec<_>>() }),
                );
                store
                    .put_calendar(&calendar, Some(revision), &audit)
                    .map_err(|e| format!("{e}; nothing was imported"))?;
                for y in imported {
                    println!("imported {y}");
                }
                // The cases whose clocks needed these years are folded now,
                // as the admin API does: a running server does not hear of
                // a change made here, and the untouched case is the overdue
                // one.
                let batches =
                    server::refold::catch_up(store.as_ref()).map_err(|e| e.to_string())?;
                if batches > 0 {
                    println!("folded the stored cases again with the new calendar");
                }
                Ok(())
            }
            CalendarCommand::Show { data } => {
                let store = data.open()?;
                let calendar = store.config().map_err(|e| e.to_string())?.calendar;
                for year in calendar.years() {
                    if let Some(s) = calendar.schedule(year) {
                        println!(
                            "{year}: {} rest days, {} make-up workdays ({})",
                            s.rest_days.len(),
                            s.workdays.len(),
                            s.source
                        );
                    }
                }
                Ok(())
            }
        }
    }
}
