//! The `server` command: serve, and the administration that has to work
//! before anyone can log in (first admin, users, properties, calendar,
//! backup, integrity check). Everything here goes through the same store
//! and checks as the HTTP API. This file is the argument parsing; each
//! command is a module of `cli/`.

mod cli;

use clap::{Parser, Subcommand};
use cli::backup::Backup;
use cli::calendar::CalendarCommand;
use cli::certificates::TlsCommand;
use cli::check::Check;
use cli::first_admin::InitAdmin;
use cli::migrate::Migrate;
use cli::new_epoch::NewEpoch;
use cli::properties::PropertyCommand;
use cli::restore::Restore;
use cli::serve::Serve;
use cli::users::UserCommand;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Offline-first complaint and service-case sync server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the app.
    Serve(Serve),
    /// HTTPS without a domain: a local certificate authority for the tablets.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Creates the first admin if there is none, with a random password
    /// that is printed and kept in `<data-dir>/first-admin.txt`.
    InitAdmin(InitAdmin),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Properties, buildings and units.
    #[command(subcommand)]
    Property(PropertyCommand),
    /// The holiday calendar.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Writes a consistent copy of the database while the server may be running.
    Backup(Backup),
    /// Checks the database's integrity.
    Check(Check),
    /// Replaces the database with a backup, while the server is stopped.
    /// Starts a new epoch so that tablets resend what the backup lacks and
    /// pull again; keeps the devices the backup does not know; the
    /// replaced database is kept beside it.
    Restore(Restore),
    /// Starts a new epoch after a database was restored with other tools
    /// (PostgreSQL's), so that every tablet resends and pulls again.
    NewEpoch(NewEpoch),
    /// Moves the installation from its SQLite file to an empty PostgreSQL
    /// database and verifies the copy; the SQLite file is left as it was.
    Migrate(Migrate),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Serve(c) => c.run(),
        Command::Tls(c) => c.run(),
        Command::InitAdmin(c) => c.run(),
        Command::User(c) => c.run(),
        Command::Property(c) => c.run(),
        Command::Calendar(c) => c.run(),
        Command::Backup(c) => c.run(),
        Command::Check(c) => c.run(),
        Command::Restore(c) => c.run(),
        Command::NewEpoch(c) => c.run(),
        Command::Migrate(c) => c.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
