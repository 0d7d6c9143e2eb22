//! The SQLite schema, as an ordered list of migrations. Migration `n` runs
//! when the database's `user_version` is below `n`; each runs in its own
//! transaction together with its back-fill (if any) and the version bump,
//! so a crash never leaves a half-migrated file. Opening a store and
//! restoring a backup both migrate.

use rusqlite::types::Type;
use rusqlite::{Connection, Transaction, params};
use shared::case::Case;
use shared::id::CaseId;
use shared::report::CaseRow;

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
    // 4: the flags queries filter by, worked out by `shared` when a case is
    // materialized instead of spelled out again as state lists in SQL. Rows
    // written before are filled by `case_flags`.
    r#"
ALTER TABLE cases ADD COLUMN is_open INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN is_completed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN is_valid_complaint INTEGER NOT NULL DEFAULT 0;
"#,
    // 5: evidence. Which attachment (or its thumbnail) of which case names
    // which blob, with the purpose, media type and size its attach op
    // declared and the device that holds the bytes until they are uploaded.
    // Whether the bytes are on the server is the blob directory's answer,
    // not a column. Rows for cases stored before are filled by `case_blobs`.
    r#"
CREATE TABLE case_blobs (
    case_id       TEXT NOT NULL,
    attachment_id TEXT NOT NULL,
    thumbnail     INTEGER NOT NULL,
    hash          TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    size          INTEGER NOT NULL,
    device_id     TEXT NOT NULL,
    PRIMARY KEY (case_id, attachment_id, thumbnail)
);
CREATE INDEX case_blobs_hash ON case_blobs (hash);
"#,
    // 6: the number of attachments a case has, for the exports' 附件数
    // column; worked out by `shared` like the flags of migration 4. Rows
    // written before are filled by `attachment_counts`.
    r#"
ALTER TABLE cases ADD COLUMN attachment_count INTEGER NOT NULL DEFAULT 0;
"#,
    // 7: the person and department complained about (被投诉人/部门), for
    // 考核 in the statistics and exports. The clocks changed too (the
    // transfer clock of a complaint starts at its assessment, the feedback
    // clock waits for the complainant to be told, the special-case clock
    // became the cap on extensions, a major case has a reporting clock), so
    // every stored case is folded again with the stored settings
    // (`refold_cases`, after the last migration), which also fills the new
    // columns.
    r#"
ALTER TABLE cases ADD COLUMN respondent TEXT;
ALTER TABLE cases ADD COLUMN respondent_department TEXT;
"#,
    // 8: tombstones. A retention deletion takes the next server sequence
    // number, like an op, so pull hands it to every device in the case's
    // property exactly once; the row also keeps who deleted the case and
    // why, and a push to the case is refused (`case.deleted`).
    r#"
CREATE TABLE deletions (
    server_seq  INTEGER PRIMARY KEY,
    case_id     TEXT NOT NULL UNIQUE,
    property_id TEXT NOT NULL,
    reg_no      TEXT NOT NULL,
    deleted_by  TEXT,
    reason      TEXT NOT NULL,
    deleted_at  TEXT NOT NULL
);
CREATE INDEX deletions_property ON deletions (property_id, server_seq);
"#,
    // 9: what the fold carries between ops, per case, so that a push
    // applies its ops to the stored fold instead of folding every op of the
    // case again (`fold_sql.rs`); `config_seq` is the settings and
    // calendar it was folded with. Cases stored before have no row and are
    // folded whole at their next op.
    r#"
CREATE TABLE case_folds (
    case_id    TEXT PRIMARY KEY,
    config_seq INTEGER NOT NULL,
    state      TEXT NOT NULL
);
"#,
    // 10: the statistics read. The flags and the columns added since the
    // first version sit after each row's large JSON, so reading them from
    // the table walks the JSON's overflow pages; these indexes hold what
    // the statistics read (the period's cases by receipt, their clocks,
    // the open cases by due time), so the statistics read the indexes only.
    // The last replaces `cases_due`, a prefix of it.
    r#"
CREATE INDEX cases_figures ON cases (received_at, property_id, kind, state, category, channel,
    severity, building_id, unit_id, complainant_phone, complainant_name, reg_no, resolved_at,
    reopen_count, satisfaction, is_open, is_completed, is_valid_complaint, department,
    respondent, respondent_department, id);
CREATE INDEX case_deadlines_figures ON case_deadlines (case_id, clock, due_at, met_at);
CREATE INDEX cases_open_due ON cases (next_due_at, is_open, property_id, kind);
DROP INDEX cases_due;
"#,
    // 11: a case's history (its timeline and notes, which the fold only
    // appends to) apart from its row, in parts that each hold what one
    // materialization added (`history_sql.rs`): a push to a long case
    // writes its new entries, not the whole case again. `split_histories`
    // moves the lists of every case stored before out of its row.
    r#"
CREATE TABLE case_history (
    case_id  TEXT NOT NULL,
    part     INTEGER NOT NULL,
    timeline TEXT NOT NULL,
    notes    TEXT NOT NULL,
    PRIMARY KEY (case_id, part)
);
"#,
    // 12: the fold rules a case's stored state was made by
    // (`shared::fold::RULES`). Rows before have 0, so an upgraded server
    // folds every stored case again at start (`refold.rs`).
    r#"
ALTER TABLE case_folds ADD COLUMN rules INTEGER NOT NULL DEFAULT 0;
"#,
    // 13: the oldest op schema the server took when it registered the
    // device (`push_sql::device_before`). Devices before have 0: no floor
    // but their own ops'.
    r#"
ALTER TABLE devices ADD COLUMN schema_floor INTEGER NOT NULL DEFAULT 0;
"#,
    // 14: the complainant's name as a search compares it
    // (`shared::search::name`: full width read as ASCII, Unicode's
    // lowercase), which SQL's `lower()` is not. `fold_search_texts` fills
    // it and folds the stored search texts the same way.
    r#"
ALTER TABLE cases ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
"#,
    // 15: the login limiter's counts (`limits_sql.rs`), kept by the
    // database instead of each server process, so that a restart gives a
    // guesser no fresh guesses.
    r#"
CREATE TABLE login_limits (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    last_at       TEXT NOT NULL,
    blocked_until TEXT,
    forgotten_at  TEXT NOT NULL
);
CREATE INDEX login_limits_forgotten ON login_limits (forgotten_at);
"#,
    // 16: a clock taken away unmet after it had run out
    // (`shared::deadline::ClockState::taken_unmet`), which the statistics
    // count as missed, in the index they read. Rows before have 0 until
    // the fold rules that raised `shared::fold::RULES` with it fold every
    // case again at start (`refold.rs`).
    r#"
ALTER TABLE case_deadlines ADD COLUMN taken_unmet INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS case_deadlines_figures;
CREATE INDEX case_deadlines_figures
    ON case_deadlines (case_id, clock, due_at, met_at, taken_unmet);
"#,
    // 17: the properties a user was taken off (`accounts_sql::update_user`),
    // where they recorded ops, so that those who still work there keep
    // their name for what they did there (`accounts_sql::user_directory`).
    // Users moved before are found by the ops they recorded where they no
    // longer work; the users item is handed out again, so that tablets
    // synced before learn of them.
    r#"
CREATE TABLE user_former_properties (
    user_id     TEXT NOT NULL,
    property_id TEXT NOT NULL,
    PRIMARY KEY (user_id, property_id)
);
INSERT INTO user_former_properties (user_id, property_id)
SELECT DISTINCT author, property_id FROM ops
WHERE NOT EXISTS (
    SELECT 1 FROM user_properties up
    WHERE up.user_id = ops.author AND up.property_id = ops.property_id
);
UPDATE counters SET value = value + 1 WHERE name = 'server_seq';
UPDATE config SET server_seq = (SELECT value FROM counters WHERE name = 'server_seq')
WHERE key = 'users';
"#,
    // 18: the digits of the numbers typed into a case's content and remedy
    // (`shared::search::numbers`), searched only by the roles that see the
    // phone, while `search` holds them masked. Filled, and `search` and
    // `summary` masked, when the fold rules raised with it fold every case
    // again at start (`refold.rs`).
    r#"
ALTER TABLE cases ADD COLUMN search_numbers TEXT NOT NULL DEFAULT '';
"#,
    // 19: each user's key on a device, with which the device proves the
    // records it makes for them (`shared::proof`), given at login; made at
    // the first login after this migration for the rows before it.
    r#"
ALTER TABLE device_users ADD COLUMN record_key TEXT;
"#,
    // 20: the clocks whose due time is unknown (a year the calendar has
    // not loaded), space-separated codes, which the statistics count
    // apart (`shared::report::CaseRow::unknown_clocks`), in the index they
    // read. Filled when the fold rules raised with it fold every case
    // again at start (`refold.rs`).
    r#"
ALTER TABLE cases ADD COLUMN unknown_clocks TEXT NOT NULL DEFAULT '';
DROP INDEX IF EXISTS cases_figures;
CREATE INDEX cases_figures ON cases (received_at, property_id, kind, state, category, channel,
    severity, building_id, unit_id, complainant_phone, complainant_name, reg_no, resolved_at,
    reopen_count, satisfaction, is_open, is_completed, is_valid_complaint, department,
    respondent, respondent_department, unknown_clocks, id);
"#,
    // 21: the audit log and the sessions are never emptied (the one kept
    // for ever, the other for a year past each end), and some writes
    // search them inside the writer's transaction: a user's role changes
    // when an op set aside is re-applied (`admin_sql::held_at`), their
    // last password change, the ended sessions to forget at each login,
    // and a user's or a device's sessions to end. Without these a year's
    // rows are read whole each time, while every push waits.
    r#"
CREATE INDEX audit_action_at ON audit (action, at);
CREATE INDEX audit_action_user ON audit (action, user_id, id);
CREATE INDEX tokens_expires ON tokens (expires_at);
CREATE INDEX tokens_user ON tokens (user_id);
CREATE INDEX tokens_device ON tokens (device_id);
"#,
];

/// Work a migration needs besides its SQL: `(version, step)`, run in the
/// version's transaction after its SQL.
const BACKFILLS: &[(i64, Backfill)] = &[
    (4, case_flags),
    (5, case_blobs),
    (6, attachment_counts),
    (11, split_histories),
    (14, fold_search_texts),
];

/// A database older than this migration has every stored case folded again
/// from its ops once it is at the newest schema ([`refold_cases`]).
const REFOLD_BELOW: i64 = 7;
/// The `counters` row that says the refold is owed.
const REFOLD_OWED: &str = "refold_owed";

type Backfill = fn(&Transaction<'_>) -> rusqlite::Result<()>;

/// Fills migration 4's flags of every case from the case as it was folded
/// (the stored JSON), with the same `shared::report::CaseRow` projection
/// that materializing uses. It does not fold again: a case keeps the
/// deadlines it was folded with until its next op, and an upgrade is not an
/// op.
fn case_flags(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut select = tx.prepare("SELECT id, json FROM cases")?;
    let mut update = tx.prepare(
        "UPDATE cases SET is_open = ?2, is_completed = ?3, is_valid_complaint = ?4 WHERE id = ?1",
    )?;
    let mut rows = select.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let json: String = r.get(1)?;
        let case: Case = serde_json::from_str(&json)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, Type::Text, Box::new(e)))?;
        let row = CaseRow::of(&case);
        update.execute(params![id, row.open, row.completed, row.valid_complaint])?;
    }
    Ok(())
}

/// Fills migration 6's attachment counts from every stored case, with the
/// `shared::report::CaseRow` projection, like `case_flags`.
fn attachment_counts(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut select = tx.prepare("SELECT id, json FROM cases")?;
    let mut update = tx.prepare("UPDATE cases SET attachment_count = ?2 WHERE id = ?1")?;
    let mut rows = select.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let json: String = r.get(1)?;
        let case: Case = serde_json::from_str(&json)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, Type::Text, Box::new(e)))?;
        update.execute(params![id, CaseRow::of(&case).attachments as i64])?;
    }
    Ok(())
}

/// Folds every stored case again from its ops, as a push does
/// (`fold_sql::materialize`), for migrations that change what the fold
/// computes. It runs in the newest migration's transaction, because it
/// writes the case as this build stores it: with columns later migrations
/// add, its history apart. A stored case's JSON may name a clock this
/// build no longer has, so it is not read.
fn refold_cases(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let failed = |e: super::StoreError| {
        rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e))
    };
    let ids: Vec<String> = tx
        .prepare(
            "SELECT id FROM cases WHERE EXISTS (SELECT 1 FROM ops WHERE ops.case_id = cases.id)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(());
    }
    let config = super::config::load_config(tx).map_err(failed)?;
    let properties = super::config::load_properties(tx).map_err(failed)?;
    let run = super::fold_sql::FoldRun {
        ctx: shared::fold::FoldContext {
            settings: &config.settings,
            calendar: &config.calendar,
        },
        properties: &properties,
        config: super::fold_sql::config_stamp(tx).map_err(failed)?,
        seq: tx.query_row(
            "SELECT value FROM counters WHERE name = 'server_seq'",
            [],
            |r| r.get(0),
        )?,
    };
    for id in ids {
        let id: CaseId = super::sqlite::parse_id(&id).map_err(failed)?;
        super::fold_sql::materialize(tx, id, &[], false, &run).map_err(failed)?;
    }
    Ok(())
}

/// Fills migration 14's folded names and folds the stored search texts
/// again (`shared::search::fold`). Folding is idempotent and commutes with
/// the lowercasing the texts were stored with, so the stored text folds to
/// what the case's own text would.
fn fold_search_texts(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let rows: Vec<(String, String, String)> = tx
        .prepare("SELECT id, complainant_name, search FROM cases")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = tx.prepare("UPDATE cases SET search_name = ?2, search = ?3 WHERE id = ?1")?;
    for (id, name, search) in rows {
        let fold = shared::search::fold;
        update.execute(params![id, shared::search::name_text(&name), fold(&search)])?;
    }
    Ok(())
}

/// Moves the timeline and notes of every stored case out of its row into
/// migration 11's `case_history`, as one part. A row this build cannot
/// read is left whole: it reads as before, and its next op folds the case
/// again from its ops.
fn split_histories(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let failed = |e: super::StoreError| {
        rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e))
    };
    let rows: Vec<(String, String)> = tx
        .prepare("SELECT id, json FROM cases")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = tx.prepare("UPDATE cases SET json = ?2 WHERE id = ?1")?;
    for (id, json) in rows {
        let Ok(mut case) = serde_json::from_str::<Case>(&json) else {
            continue;
        };
        let history = super::history_sql::split(&mut case);
        let row = serde_json::to_string(&case)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        update.execute(params![id, row])?;
        super::history_sql::append(tx, case.id, &history).map_err(failed)?;
    }
    Ok(())
}

/// Fills migration 5's blob references from every stored case, as
/// materializing writes them.
fn case_blobs(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut select = tx.prepare("SELECT json FROM cases")?;
    let mut rows = select.query([])?;
    while let Some(r) = rows.next()? {
        let json: String = r.get(0)?;
        let case: Case = serde_json::from_str(&json)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e)))?;
        super::blobs_sql::write_case_blobs(tx, &case, false)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e)))?;
    }
    Ok(())
}

/// Brings the database up to the newest schema.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    migrate_to(conn, latest())
}

/// Brings the database up to schema version `last`.
fn migrate_to(conn: &mut Connection, last: i64) -> rusqlite::Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current || version > last {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        for (_, backfill) in BACKFILLS.iter().filter(|(v, _)| *v == version) {
            backfill(&tx)?;
        }
        // The refold waits for the newest schema, and a marker keeps it
        // owed across starts: an upgrade stopped between the two would
        // otherwise resume at a version past 7 and never fold.
        if version == REFOLD_BELOW {
            tx.execute(
                "INSERT INTO counters (name, value) VALUES (?1, 1)",
                [REFOLD_OWED],
            )?;
        }
        if version == latest()
            && tx.execute("DELETE FROM counters WHERE name = ?1", [REFOLD_OWED])? > 0
        {
            refold_cases(&tx)?;
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

/// The schema version this build writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::case::{CaseState, ContactMethod, Resolution};
    use shared::id::PropertyId;
    use shared::role::Role;
    use shared::sim::Fleet;

    /// A `cases` row as an older build stored it: only `id`, `state` and
    /// `json` matter to the migrations.
    fn stored_case(conn: &Connection, id: &str, state: &str, json: &str) {
        conn.execute(
            "INSERT INTO cases (id, property_id, reg_no, kind, state, category, channel, urgent,
                first_responder, complainant_name, summary, received_at, recorded_at, reopen_count,
                escalated, open_conflicts, violations, search, json, server_seq)
             VALUES (?1, 'p', 'r', 'k', ?2, 'c', 'ch', 0, 'u', 'n', 's', 't', 't', 0, 0, 0, 0, '', ?3, 1)",
            params![id, state, json],
        )
        .unwrap();
    }

    /// Two cases folded by a simulated device: one just registered, one
    /// resolved and closed.
    fn cases() -> [Case; 2] {
        let mut fleet = Fleet::new(&[(Role::Staff, 0)], PropertyId(uuid::Uuid::from_u128(7)), 0);
        let now = "2026-03-02T01:00:00Z".parse().unwrap();
        let mut fold = |choice| {
            let op = fleet.register(0, now, choice);
            shared::fold::fold(&[op], fleet.ctx()).unwrap()
        };
        let open = fold(0);
        let mut closed = fold(1);
        closed.resolution = Some(Box::new(Resolution {
            result: "fixed".into(),
            feedback_method: ContactMethod::Phone,
            feedback_at: None,
            on_the_spot: false,
            feedback_note: String::new(),
            feedback_by: None,
            stamp: closed.registered.clone(),
        }));
        closed.state = CaseState::Closed;
        [open, closed]
    }

    /// A restore right after an upgrade, the database to replace never
    /// opened by the new build: the devices it carries over are read by
    /// the newest schema's columns.
    #[test]
    fn a_restore_over_a_database_of_an_older_schema_migrates_it_first() {
        let dir = tempfile::tempdir().unwrap();
        let (db, backup) = (dir.path().join("cases.db"), dir.path().join("backup.db"));
        migrate(&mut Connection::open(&backup).unwrap()).unwrap();
        let mut current = Connection::open(&db).unwrap();
        migrate_to(&mut current, latest() - 1).unwrap();
        current
            .execute(
                "INSERT INTO devices (id, number, name, first_seen, last_seen) VALUES ('d', 1, 'tablet', 't', 't')",
                [],
            )
            .unwrap();
        drop(current);
        let report = super::super::sqlite_restore::restore(&db, &backup, chrono::Utc::now())
            .expect("restored");
        assert_eq!(report.devices_kept, 1);
    }

    /// A user moved before the server kept former properties: found by
    /// the ops they recorded where they no longer work, and the users item
    /// handed out again for the tablets that pulled it before.
    #[test]
    fn migration_17_finds_where_users_moved_before_worked() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 16).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO user_properties (user_id, property_id) VALUES ('u', 'now'), ('v', 'old');
             INSERT INTO ops (server_seq, id, device_id, seq, case_id, property_id, author, hash,
                              json, received_at)
             VALUES (1, 'o1', 'd', 1, 'c1', 'old', 'u', 'h', '{}', 't'),
                    (2, 'o2', 'd', 2, 'c2', 'now', 'u', 'h', '{}', 't'),
                    (3, 'o3', 'd', 3, 'c1', 'old', 'v', 'h', '{}', 't');
             UPDATE counters SET value = 7 WHERE name = 'server_seq';
             INSERT INTO config (key, json, server_seq) VALUES ('users', 'null', 5);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let former: Vec<String> = conn
            .prepare("SELECT user_id || ' ' || property_id FROM user_former_properties")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(former, ["u old"]);
        let seq: i64 = conn
            .query_row(
                "SELECT server_seq FROM config WHERE key = 'users'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(seq, 8);
    }

    #[test]
    fn migration_4_fills_the_flags_of_cases_stored_before() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 3).unwrap();
        for case in cases() {
            stored_case(
                &conn,
                &case.id.to_string(),
                case.state.code(),
                &serde_json::to_string(&case).unwrap(),
            );
        }
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, latest());
        let mut stmt = conn
            .prepare(
                "SELECT state, is_open, is_completed, is_valid_complaint FROM cases ORDER BY state",
            )
            .unwrap();
        let flags: Vec<(String, bool, bool, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            flags,
            vec![
                ("closed".to_string(), false, true, false),
                ("registered".to_string(), true, false, false),
            ]
        );
    }

    #[test]
    fn migration_5_fills_the_blob_references_of_cases_stored_before() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 4).unwrap();
        let [mut case, _] = cases();
        let stamp = case.registered.clone();
        let attachment = |kind, hash, thumbnail| shared::case::Attachment {
            id: shared::id::AttachmentId(uuid::Uuid::from_u128(hash as u128)),
            kind,
            name: "签名.png".into(),
            mime: "image/png".into(),
            size: 10,
            hash: (hash > 0).then(|| shared::blob::BlobHash::of(&[hash])),
            caption: String::new(),
            thumbnail,
            stamp: stamp.clone(),
        };
        let thumb = shared::case::Thumbnail {
            hash: shared::blob::BlobHash::of(b"thumb"),
            size: 3,
            mime: "image/jpeg".into(),
        };
        case.attachments = vec![
            // Recorded before evidence had hashes: nothing to reference.
            attachment(shared::case::AttachmentKind::Document, 0, None),
            attachment(shared::case::AttachmentKind::ComplainantSignature, 1, None),
            attachment(shared::case::AttachmentKind::Photo, 2, Some(thumb)),
        ];
        stored_case(
            &conn,
            &case.id.to_string(),
            "s",
            &serde_json::to_string(&case).unwrap(),
        );
        migrate(&mut conn).unwrap();
        let mut stmt = conn
            .prepare("SELECT purpose, thumbnail, size FROM case_blobs ORDER BY purpose, thumbnail")
            .unwrap();
        let rows: Vec<(String, bool, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                ("complainant_signature".to_string(), false, 10),
                ("photo".to_string(), false, 10),
                ("photo".to_string(), true, 3),
            ]
        );
    }

    #[test]
    fn migration_6_counts_the_attachments_of_cases_stored_before() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 5).unwrap();
        let [mut case, bare] = cases();
        let stamp = case.registered.clone();
        case.attachments = (0..3u8)
            .map(|i| shared::case::Attachment {
                id: shared::id::AttachmentId(uuid::Uuid::from_u128(u128::from(i))),
                kind: shared::case::AttachmentKind::Photo,
                name: "现场.jpg".into(),
                mime: "image/jpeg".into(),
                size: 10,
                // One recorded before evidence had hashes still counts.
                hash: (i > 0).then(|| shared::blob::BlobHash::of(&[i])),
                caption: String::new(),
                thumbnail: None,
                stamp: stamp.clone(),
            })
            .collect();
        for c in [&case, &bare] {
            stored_case(
                &conn,
                &c.id.to_string(),
                "s",
                &serde_json::to_string(c).unwrap(),
            );
        }
        migrate(&mut conn).unwrap();
        let count = |id: shared::id::CaseId| -> i64 {
            conn.query_row(
                "SELECT attachment_count FROM cases WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!((count(case.id), count(bare.id)), (3, 0));
    }

    #[test]
    fn migration_7_folds_every_case_again_from_its_ops() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 6).unwrap();
        let settings = shared::settings::Settings::default();
        let calendar = shared::calendar::Calendar::with_builtin();
        for (key, json) in [
            ("settings", serde_json::to_string(&settings).unwrap()),
            ("categories", "[]".to_string()),
            ("calendar", serde_json::to_string(&calendar).unwrap()),
        ] {
            conn.execute(
                "INSERT INTO config (key, json, server_seq) VALUES (?1, ?2, 1)",
                params![key, json],
            )
            .unwrap();
        }
        let mut fleet = Fleet::new(&[(Role::Staff, 0)], PropertyId(uuid::Uuid::from_u128(7)), 0);
        let op = fleet.register(0, "2026-03-02T01:00:00Z".parse().unwrap(), 0);
        conn.execute(
            "INSERT INTO ops (server_seq, id, device_id, seq, case_id, property_id, author, hash, json, received_at)
             VALUES (1, ?1, ?2, 1, ?3, 'p', 'u', 'h', ?4, 't')",
            params![
                op.id.to_string(),
                op.device.to_string(),
                op.case_id.to_string(),
                serde_json::to_string(&op).unwrap()
            ],
        )
        .unwrap();
        // What an older build stored; it cannot be read any more (a clock
        // that no longer exists), and need not be.
        stored_case(
            &conn,
            &op.case_id.to_string(),
            "s",
            r#"{"deadlines":[{"clock":"special_case"}]}"#,
        );
        // An upgrade stopped after migration 7 and started again.
        migrate_to(&mut conn, 10).unwrap();
        migrate(&mut conn).unwrap();
        let json: String = conn
            .query_row("SELECT json FROM cases", [], |r| r.get(0))
            .unwrap();
        // Split by migration 11 since.
        let case = super::super::history_sql::whole(&conn, op.case_id, &json)
            .expect("the refolded case reads");
        let expected = shared::fold::fold(
            &[op],
            shared::fold::FoldContext {
                settings: &settings,
                calendar: &calendar,
            },
        )
        .unwrap();
        assert_eq!(case, expected);
    }

    #[test]
    fn migration_11_moves_the_history_of_cases_stored_before_out_of_their_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 10).unwrap();
        let [mut case, bare] = cases();
        let stamp = case.registered.clone();
        case.notes.push(shared::case::Note {
            kind: shared::case::NoteKind::General,
            text: "已联系业主".into(),
            stamp,
        });
        case.timeline.push(case.timeline[0].clone());
        for c in [&case, &bare] {
            stored_case(
                &conn,
                &c.id.to_string(),
                "s",
                &serde_json::to_string(c).unwrap(),
            );
        }
        // What a build before `Case` could be read from cannot be split.
        stored_case(&conn, "x", "s", "{}");
        migrate(&mut conn).unwrap();
        for c in [&case, &bare] {
            let json: String = conn
                .query_row(
                    "SELECT json FROM cases WHERE id = ?1",
                    [c.id.to_string()],
                    |r| r.get(0),
                )
                .unwrap();
            let row: Case = serde_json::from_str(&json).unwrap();
            assert!(row.timeline.is_empty() && row.notes.is_empty());
            let whole = super::super::history_sql::whole(&conn, c.id, &json).unwrap();
            assert_eq!(&whole, c);
        }
        let left: String = conn
            .query_row("SELECT json FROM cases WHERE id = 'x'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, "{}");
    }

    #[test]
    fn migration_14_folds_the_search_texts_of_cases_stored_before() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 13).unwrap();
        stored_case(&conn, "x", "s", "{}");
        // As the build before stored them: lowercased by Rust, full width
        // kept.
        conn.execute(
            "UPDATE cases SET complainant_name = 'Émile ＺＯË', search = 'ａ栋电梯ｅｒｒ'",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (name, search): (String, String) = conn
            .query_row("SELECT search_name, search FROM cases", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((name.as_str(), search.as_str()), ("émilezoë", "a栋电梯err"));
    }

    #[test]
    fn migration_4_refuses_a_case_it_cannot_read() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 3).unwrap();
        stored_case(&conn, "x", "s", "{}");
        assert!(migrate(&mut conn).is_err());
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 3, "the failed migration is rolled back whole");
    }
}
