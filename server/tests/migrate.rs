//! `server migrate`: a SQLite installation moved into PostgreSQL by the
//! real binary, refused while its server runs and into a used database.

mod common;

use common::{Client, Fixture, Server, bin};
use server::store::postgres::test_database;
use std::process::{Command, Output};

fn migrate(data: &std::path::Path, url: &str) -> Output {
    let mut command = Command::new(bin());
    command
        .args(["migrate", "--from-data-dir"])
        .arg(data)
        .args(["--to", url]);
    if let Some(ca) = test_database::ca() {
        command.arg("--database-ca").arg(ca);
    }
    command.output().expect("run server migrate")
}

/// A SQLite installation to move and a new PostgreSQL database, or `None`
/// to skip. The installation is a SQLite data dir and the database is its
/// own, whatever the backend the tests run on.
fn installation_and_database() -> Option<(Fixture, String)> {
    if !common::sqlite_only("it moves a SQLite installation") {
        return None;
    }
    let url = test_database::fresh()?;
    Some((Fixture::new(), url))
}

#[test]
fn an_installation_moves_once_into_an_empty_database_with_its_server_stopped() {
    let Some((fixture, url)) = installation_and_database() else {
        return;
    };
    let data = fixture.data.path();
    let mut server = Server::start(data);
    // A login leaves a device, a token and audit rows to move.
    Client::login(&server.base, "staff_a");

    let running = migrate(data, &url);
    assert!(!running.status.success(), "migrated under a running server");
    assert!(
        String::from_utf8_lossy(&running.stderr).contains("in use by a running server"),
        "{}",
        String::from_utf8_lossy(&running.stderr)
    );

    server.kill();
    let moved = migrate(data, &url);
    let stdout = String::from_utf8_lossy(&moved.stdout);
    assert!(
        moved.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    let rows = |table: &str| -> Option<i64> {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
    };
    assert_eq!(rows("users"), Some(10), "{stdout}");
    assert_eq!(rows("properties"), Some(2), "{stdout}");
    assert_eq!(rows("devices"), Some(1), "{stdout}");
    assert!(stdout.contains("verified"), "{stdout}");

    let again = migrate(data, &url);
    assert!(!again.status.success(), "migrated twice into one database");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("migrate into an empty database"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // A server on the database finds the move in its audit log, once.
    common::put_on_database(data, &url);
    let server = Server::start(data);
    let (admin, _) = Client::login(&server.base, "admin");
    let (status, log) = admin.get("/api/v1/admin/audit?limit=100");
    assert_eq!(status, 200, "{log}");
    let moves: Vec<&serde_json::Value> = log
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["action"] == "database.migrate")
        .collect();
    assert_eq!(moves.len(), 1, "{log}");
    assert_eq!(moves[0]["detail"]["rows"]["users"], 10, "{log}");
}

#[test]
fn a_database_a_server_has_opened_is_refused_with_why() {
    let Some((fixture, url)) = installation_and_database() else {
        return;
    };
    let data = fixture.data.path();
    Server::start(data).kill();
    // A server opened the database once (and wrote its default settings),
    // served nothing.
    let blobs = fixture.data.path().join("pg-blobs");
    drop(
        server::open_postgres(&url, 1, test_database::ca().as_deref(), &blobs)
            .expect("open the database as a server does"),
    );
    let refused = migrate(data, &url);
    assert!(
        !refused.status.success(),
        "migrated into an opened database"
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("a server has already opened the PostgreSQL database"),
        "{stderr}"
    );
}
