//! The SQLite schema, as an ordered list of migrations. Migration `n` runs
//! when the database's `user_version` is below `n`; each runs in its own
//! transaction together with the version bump, so a crash never leaves a
//! half-migrated file.

use rusqlite::Connection;

/// The migrations, oldest first. Never edit one that has shipped: append.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('server_seq', 0), ('device_number', 0);

CREATE TABLE properties (
    id         TEXT PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    households INTEGER NOT NULL,
    json       TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    department    TEXT,
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

CREATE TABLE user_properties (
    user_id     TEXT NOT NULL REFERENCES users(id),
    property_id TEXT NOT NULL REFERENCES properties(id),
    PRIMARY KEY (user_id, property_id)
);

CREATE TABLE devices (
    id         TEXT PRIMARY KEY,
    number     INTEGER NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0,
    acked_seq  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE device_users (
    device_id TEXT NOT NULL REFERENCES devices(id),
    user_id   TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (device_id, user_id)
);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    device_id  TEXT NOT NULL REFERENCES devices(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE ops (
    server_seq  INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    case_id     TEXT NOT NULL,
    property_id TEXT NOT NULL,
    author      TEXT NOT NULL,
    hash        TEXT NOT NULL,
    json        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE INDEX ops_case ON ops (case_id);
CREATE INDEX ops_property_seq ON ops (property_id, server_seq);

CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    device_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    op_id       TEXT,
    hash        TEXT NOT NULL,
    json        TEXT NOT NULL,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution  TEXT,
    resolved_by TEXT
);
CREATE INDEX quarantine_device_seq ON quarantine (device_id, seq);

CREATE TABLE cases (
    id           TEXT PRIMARY KEY,
    property_id  TEXT NOT NULL,
    reg_no       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL,
    category     TEXT NOT NULL,
    channel      TEXT NOT NULL,
    severity     TEXT,
    validity     TEXT,
    urgent       INTEGER NOT NULL,
    building_id  TEXT,
    unit_id      TEXT,
    first_responder TEXT NOT NULL,
    assignee     TEXT,
    complainant_name TEXT NOT NULL,
    complainant_phone TEXT,
    summary      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    resolved_at  TEXT,
    closed_at    TEXT,
    next_due_at  TEXT,
    reopen_count INTEGER NOT NULL,
    satisfaction INTEGER,
    escalated    INTEGER NOT NULL,
    open_conflicts INTEGER NOT NULL,
    violations   INTEGER NOT NULL,
    search       TEXT NOT NULL,
    json         TEXT NOT NULL,
    server_seq   INTEGER NOT NULL
);
CREATE INDEX cases_property ON cases (property_id, received_at);
CREATE INDEX cases_state ON cases (state);
CREATE INDEX cases_due ON cases (next_due_at);

CREATE TABLE case_deadlines (
    case_id    TEXT NOT NULL REFERENCES cases(id),
    clock      TEXT NOT NULL,
    started_at TEXT NOT NULL,
    due_at     TEXT NOT NULL,
    met_at     TEXT,
    PRIMARY KEY (case_id, clock)
);

CREATE TABLE config (
    key        TEXT PRIMARY KEY,
    json       TEXT NOT NULL,
    server_seq INTEGER NOT NULL
);

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   TEXT,
    device_id TEXT,
    address   TEXT,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL
);
"#,
    // 2: head office. Columns the statistics group by (the assignee's
    // department, the latest spot-check call), filled from the case JSON for
    // rows materialized before this migration; the quarterly spot-check draws;
    // a note on how a quarantined op was settled; indexes for period queries.
    r#"
ALTER TABLE cases ADD COLUMN department TEXT;
ALTER TABLE cases ADD COLUMN spot_check_at TEXT;
ALTER TABLE cases ADD COLUMN spot_check_satisfaction INTEGER;
UPDATE cases SET
    department = json_extract(json, '$.assignee.department'),
    spot_check_at = (
        SELECT strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(f.value, '$.stamp.at'))
        FROM json_each(cases.json, '$.follow_ups') f
        WHERE json_extract(f.value, '$.spot_check') = 1
        ORDER BY f.key DESC LIMIT 1),
    spot_check_satisfaction = (
        SELECT json_extract(f.value, '$.satisfaction')
        FROM json_each(cases.json, '$.follow_ups') f
        WHERE json_extract(f.value, '$.spot_check') = 1
        ORDER BY f.key DESC LIMIT 1);
CREATE INDEX cases_received ON cases (received_at, id);
CREATE INDEX cases_property_received ON cases (property_id, received_at, id);
CREATE INDEX cases_resolved ON cases (property_id, kind, resolved_at);
CREATE INDEX case_deadlines_due ON case_deadlines (due_at);

CREATE TABLE spot_checks (
    id          INTEGER PRIMARY KEY,
    property_id TEXT NOT NULL REFERENCES properties(id),
    year        INTEGER NOT NULL,
    quarter     INTEGER NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    seed        TEXT NOT NULL,
    percent     INTEGER NOT NULL,
    candidates  INTEGER NOT NULL,
    drawn_by    TEXT NOT NULL,
    drawn_at    TEXT NOT NULL,
    UNIQUE (property_id, year, quarter)
);

CREATE TABLE spot_check_cases (
    spot_check_id INTEGER NOT NULL REFERENCES spot_checks(id),
    case_id       TEXT NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (spot_check_id, case_id)
);
CREATE INDEX spot_check_cases_case ON spot_check_cases (case_id);

ALTER TABLE quarantine ADD COLUMN resolution_note TEXT;
"#,
    // 3: server authority. A device is issued by the server with a secret
    // (only its SHA-256 is kept); a password set by someone else must be
    // changed at the next login; the epoch changes when a backup is
    // restored, so devices resend and pull again; registration numbers are
    // unique.
    r#"
ALTER TABLE devices ADD COLUMN secret_hash TEXT;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
INSERT INTO counters (name, value) VALUES ('epoch', 1);
CREATE INDEX cases_reg_no ON cases (reg_no);
ALTER TABLE quarantine ADD COLUMN pushed_by TEXT;
"#,
];

/// Brings the database up to the newest schema.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

/// The schema version this build writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}
